//! REST paths built from untrusted text (plugin arguments, payload fields): each
//! segment is checked, then percent-encoded. A segment may not be empty, `.` or
//! `..`, in any spelling a server or proxy might decode to one (`%2e`, `%2E%2e`,
//! doubly encoded forms), nor hide one behind an encoded slash or backslash
//! (`..%2fx`). Whether GitHub or a proxy in front of it normalises dot segments then
//! no longer matters: the path names the repository the host authorised, and only
//! it. [`check`] applies the same rule to a finished path, as a last gate before a
//! request leaves.
use thiserror::Error;

use super::client::url_escape;

/// Why a path segment was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PathError {
    /// An empty segment (`a//b`, a trailing `/`, or nothing at all).
    #[error("a path segment is empty")]
    Empty,
    /// A `.` or `..` segment, possibly encoded or behind an encoded slash.
    #[error("a path segment is a dot segment (`.` or `..`, possibly encoded): {0:?}")]
    DotSegment(String),
}

/// How many rounds of percent-decoding are looked through (a proxy that decodes
/// twice is already unusual).
const DECODE_ROUNDS: usize = 3;

/// Percent-decodes `text` once; invalid escapes stay as they are.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Refuses `text` (one raw or encoded segment) when any decoding of it, split at
/// slashes and backslashes, has a `.` or `..` part.
fn refuse_dots(text: &str) -> Result<(), PathError> {
    let mut current = text.to_owned();
    for _ in 0..=DECODE_ROUNDS {
        if current
            .split(['/', '\\'])
            .any(|part| part == "." || part == "..")
        {
            return Err(PathError::DotSegment(text.to_owned()));
        }
        let next = decode(&current);
        if next == current {
            break;
        }
        current = next;
    }
    Ok(())
}

/// One path segment (a label, a user, a tag, a workflow file), checked and encoded.
/// A `/` inside it is encoded, so a label `area/ui` stays one segment.
///
/// # Errors
/// [`PathError`] when it is empty or a dot segment in any spelling.
pub fn segment(text: &str) -> Result<String, PathError> {
    if text.is_empty() {
        return Err(PathError::Empty);
    }
    refuse_dots(text)?;
    Ok(url_escape(text))
}

/// A path of several segments (a file path, a ref name), each checked and encoded,
/// `/` kept between them.
///
/// # Errors
/// [`PathError`] when any segment is empty or a dot segment.
pub fn segments(text: &str) -> Result<String, PathError> {
    text.split('/')
        .map(segment)
        .collect::<Result<Vec<_>, _>>()
        .map(|s| s.join("/"))
}

/// Checks a finished path (its query left out): no segment is a dot segment in any
/// spelling. Empty segments are allowed here (`/repos/o/r/contents/` lists a root).
///
/// # Errors
/// [`PathError::DotSegment`] naming the offending segment.
pub fn check(path: &str) -> Result<(), PathError> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.split('/').try_for_each(refuse_dots)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_segments_are_refused_in_every_spelling() {
        for bad in [
            ".",
            "..",
            "%2e",
            "%2E%2e",
            "%252e%252e",
            "..%2fx",
            "x%2F..",
            "..\\x",
            "x%5c..",
        ] {
            assert!(segment(bad).is_err(), "{bad}");
        }
        assert_eq!(segments("a/../b"), Err(PathError::DotSegment("..".into())));
        assert_eq!(segments("a//b"), Err(PathError::Empty));
        assert_eq!(segment(""), Err(PathError::Empty));
        assert!(check("/repos/o/r/contents/../../x/contents/y").is_err());
        assert!(check("/repos/o/r/git/refs/heads/%2e%2e/x").is_err());
    }

    #[test]
    fn ordinary_names_pass_and_are_encoded() {
        assert_eq!(segment("area/ui").unwrap(), "area%2Fui");
        assert_eq!(segment("v1.0..2").unwrap(), "v1.0..2");
        assert_eq!(segment("...").unwrap(), "...");
        assert_eq!(segments("docs/a b.md").unwrap(), "docs/a%20b.md");
        assert_eq!(segments("heads/release/1.0").unwrap(), "heads/release/1.0");
        assert!(check("/repos/o/r/issues/1/labels/area%2Fui?x=..").is_ok());
        assert!(check("/repos/o/r/contents/").is_ok());
    }
}
