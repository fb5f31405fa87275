//! Reading one file's unified diff, as GitHub's `patch` of a pull request file gives
//! it: hunks headed `@@ -OLD[,COUNT] +NEW[,COUNT] @@`, then lines starting with `' '`
//! (kept), `'-'` (deleted) or `'+'` (added), and `\ No newline at end of file`
//! markers. What the review needs of it: every line with its kind and its number in
//! the new file (the RIGHT side a line comment names), or in the old one for a
//! deleted line. Lines before the first hunk (a `diff --git` header, `rename from`,
//! `--- a/` and `+++ b/`) are skipped. Pure: no host calls.
use std::fmt;

/// What a line of a hunk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Unchanged context.
    Context,
    /// Added: only in the new file.
    Added,
    /// Deleted: only in the old file.
    Deleted,
}

/// One line of a hunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Kept, added or deleted.
    pub kind: Kind,
    /// Its number in the new file (context and added lines) or, for a deleted line,
    /// in the old file.
    pub number: u32,
    /// Its text without the leading `' '`, `'+'` or `'-'`.
    pub text: String,
}

/// One hunk: where it starts in each file and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// The first old line it covers.
    pub old_start: u32,
    /// How many old lines it covers.
    pub old_count: u32,
    /// The first new line it covers.
    pub new_start: u32,
    /// How many new lines it covers.
    pub new_count: u32,
    /// Its lines in order.
    pub lines: Vec<Line>,
}

/// Why a patch could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffError {
    /// The 1-based line of the patch where reading stopped.
    pub line: usize,
    /// What was wrong there.
    pub why: String,
}

impl fmt::Display for DiffError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} of the patch: {}", self.line, self.why)
    }
}

/// Reads a patch into its hunks.
///
/// # Errors
/// A hunk header that is not `@@ -A[,B] +C[,D] @@`, or a line inside a hunk that
/// starts with none of `' '`, `'+'`, `'-'` or `'\'`.
pub fn parse(patch: &str) -> Result<Vec<Hunk>, DiffError> {
    let mut hunks: Vec<Hunk> = Vec::new();
    // The next old and new line numbers of the current hunk.
    let (mut old, mut new) = (0u32, 0u32);
    for (index, raw) in patch.lines().enumerate() {
        let at = |why: String| DiffError {
            line: index + 1,
            why,
        };
        if raw.starts_with("@@") {
            let hunk = header(raw).map_err(at)?;
            old = hunk.old_start;
            new = hunk.new_start;
            hunks.push(hunk);
            continue;
        }
        let Some(hunk) = hunks.last_mut() else {
            // Before the first hunk: file headers.
            continue;
        };
        let (kind, text) = match raw.chars().next() {
            Some('+') => (Kind::Added, &raw[1..]),
            Some('-') => (Kind::Deleted, &raw[1..]),
            Some(' ') => (Kind::Context, &raw[1..]),
            // An empty context line whose space some tool trimmed.
            None => (Kind::Context, ""),
            Some('\\') => continue,
            Some(_) => {
                return Err(at(format!(
                    "`{}` is not a diff line (it starts with none of ' ', '+', '-')",
                    shorten(raw)
                )))
            }
        };
        let number = match kind {
            Kind::Deleted => {
                old += 1;
                old - 1
            }
            Kind::Added => {
                new += 1;
                new - 1
            }
            Kind::Context => {
                old += 1;
                new += 1;
                new - 1
            }
        };
        hunk.lines.push(Line {
            kind,
            number,
            text: text.to_owned(),
        });
    }
    Ok(hunks)
}

/// The added lines of a patch's hunks, in order.
pub fn added(hunks: &[Hunk]) -> impl Iterator<Item = &Line> {
    hunks
        .iter()
        .flat_map(|h| h.lines.iter())
        .filter(|l| l.kind == Kind::Added)
}

/// Reads `@@ -A[,B] +C[,D] @@ [section]`.
fn header(raw: &str) -> Result<Hunk, String> {
    let bad = || format!("`{}` is not a hunk header `@@ -A,B +C,D @@`", shorten(raw));
    let inner = raw
        .strip_prefix("@@ ")
        .and_then(|rest| rest.split_once(" @@"))
        .map(|(ranges, _section)| ranges)
        .ok_or_else(bad)?;
    let (old, new) = inner.split_once(' ').ok_or_else(bad)?;
    let (old_start, old_count) = old.strip_prefix('-').and_then(range).ok_or_else(bad)?;
    let (new_start, new_count) = new.strip_prefix('+').and_then(range).ok_or_else(bad)?;
    Ok(Hunk {
        old_start,
        old_count,
        new_start,
        new_count,
        lines: Vec::new(),
    })
}

/// `START[,COUNT]`; the count is 1 when left out.
fn range(text: &str) -> Option<(u32, u32)> {
    let (start, count) = match text.split_once(',') {
        Some((start, count)) => (start, count.parse().ok()?),
        None => (text, 1),
    };
    Some((start.parse().ok()?, count))
}

/// At most 60 characters of a line, for an error message.
fn shorten(line: &str) -> String {
    let mut short: String = line.chars().take(60).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
