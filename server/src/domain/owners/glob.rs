//! The gitignore-style patterns of `CODEOWNERS`, matched against a file's path
//! from the repository's root: a leading `/` or a `/` inside anchors the pattern
//! at the root, a pattern without one matches at any depth; a trailing `/`
//! matches only a directory (so the files under it); `*` is any run of characters
//! but `/`, `?` one character but `/`, a `**` segment any number of directories.
//! A pattern naming a directory covers every file under it, except one ending in
//! `/*`, which GitHub documents as covering only the files directly inside.
//! Pure, no I/O.

/// One compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    segments: Vec<String>,
    directory_only: bool,
    /// Ends in a lone `*` segment: files directly inside only.
    direct_only: bool,
}

impl Pattern {
    /// Compiles `text`; `None` when nothing is left of it (`/`, `//`).
    #[must_use]
    pub fn new(text: &str) -> Option<Pattern> {
        let directory_only = text.ends_with('/');
        let body = text.trim_end_matches('/');
        let anchored = body.contains('/');
        let mut segments: Vec<String> = body
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        if segments.is_empty() {
            return None;
        }
        if !anchored {
            segments.insert(0, "**".into());
        }
        let direct_only = segments.last().is_some_and(|s| s == "*") && segments.len() > 1;
        Some(Pattern {
            segments,
            directory_only,
            direct_only,
        })
    }

    /// Whether the pattern covers the file at `path`.
    #[must_use]
    pub fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        if parts.is_empty() {
            return false;
        }
        let segments: Vec<&str> = self.segments.iter().map(String::as_str).collect();
        if !self.directory_only && walk(&segments, &parts) {
            return true;
        }
        if self.direct_only {
            return false;
        }
        // A directory above the file: every proper prefix of its path.
        (1..parts.len()).any(|n| walk(&segments, &parts[..n]))
    }
}

/// Whether `segments` match exactly the path `parts`.
fn walk(segments: &[&str], parts: &[&str]) -> bool {
    match segments.split_first() {
        None => parts.is_empty(),
        Some((&"**", rest)) => (0..=parts.len()).any(|skip| walk(rest, &parts[skip..])),
        Some((first, rest)) => parts
            .split_first()
            .is_some_and(|(part, tail)| segment(first, part) && walk(rest, tail)),
    }
}

/// Whether one segment's pattern (`*`, `?`, literals) matches one path part.
fn segment(pattern: &str, part: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let part: Vec<char> = part.chars().collect();
    let (mut p, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while s < part.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, s));
                p += 1;
            }
            Some(c) if *c == '?' || *c == part[s] => {
                p += 1;
                s += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    p = sp + 1;
                    s = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::Pattern;

    fn m(pattern: &str, path: &str) -> bool {
        Pattern::new(pattern).unwrap().matches(path)
    }

    #[test]
    fn a_pattern_without_a_slash_matches_at_any_depth() {
        assert!(m("*.js", "app.js"));
        assert!(m("*.js", "src/deep/app.js"));
        assert!(!m("*.js", "src/app.jsx"));
        assert!(m("logs", "a/logs/x.txt"));
        assert!(m("logs", "logs"));
    }

    #[test]
    fn a_leading_or_inner_slash_anchors_at_the_root() {
        assert!(m("/build/logs/", "build/logs/a.log"));
        assert!(m("/build/logs/", "build/logs/deep/a.log"));
        assert!(!m("/build/logs/", "x/build/logs/a.log"));
        assert!(m("src/lib.rs", "src/lib.rs"));
        assert!(!m("src/lib.rs", "a/src/lib.rs"));
    }

    #[test]
    fn a_trailing_slash_matches_only_a_directory() {
        assert!(m("apps/", "apps/a.txt"));
        assert!(m("apps/", "deep/apps/a.txt"));
        assert!(!m("apps/", "apps"));
        assert!(m("apps", "apps"));
    }

    #[test]
    fn stars_question_marks_and_double_stars() {
        assert!(m("docs/*", "docs/a.md"));
        assert!(!m("docs/*", "docs/build/a.md"));
        assert!(m("a?c.txt", "abc.txt"));
        assert!(!m("a?c.txt", "a/c.txt"));
        assert!(m("**/logs", "deeply/nested/logs/x"));
        assert!(m("src/**/test.rs", "src/test.rs"));
        assert!(m("src/**/test.rs", "src/a/b/test.rs"));
        assert!(m("src/**", "src/a/b"));
        assert!(m("*", "any/where/file"));
        assert!(m("a*b*c", "aXbYc"));
        assert!(!m("a*b*c", "aXbY"));
    }

    #[test]
    fn nothing_left_is_no_pattern() {
        assert!(Pattern::new("/").is_none());
    }
}
