//! GitHub's `CODEOWNERS`: one rule a line, a gitignore-style pattern then its
//! owners (`@user`, `@org/team`, an email); `#` starts a comment (`\#` is a literal
//! `#`); the LAST matching line decides a file's owners, and a line with a pattern
//! but no owners leaves the files it matches without owners. A line GitHub would
//! mark as an error (an unknown owner form, a `!` negation, a `[...]` range) is
//! reported and skipped, as GitHub skips it. Pure, no I/O.
use super::glob::Pattern;

/// Where GitHub looks for the file, in order; the first found is used.
pub const LOCATIONS: [&str; 3] = [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"];

/// One owner as written, without its `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// `@login`.
    User(String),
    /// `@org/team`, kept as `org/team`.
    Team(String),
    /// `someone@example.com`.
    Email(String),
}

impl Owner {
    /// How ownership answers name it: a login, `org/team`, or the email.
    #[must_use]
    pub fn name(&self) -> &str {
        match self {
            Owner::User(s) | Owner::Team(s) | Owner::Email(s) => s,
        }
    }

    fn parse(token: &str) -> Option<Owner> {
        if let Some(name) = token.strip_prefix('@') {
            let (first, team) = match name.split_once('/') {
                Some((org, team)) => (org, Some(team)),
                None => (name, None),
            };
            if !login_ok(first) {
                return None;
            }
            return match team {
                None => Some(Owner::User(name.to_owned())),
                Some(team) if team_ok(team) => Some(Owner::Team(name.to_owned())),
                Some(_) => None,
            };
        }
        let (local, domain) = token.split_once('@')?;
        let ok = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@');
        ok.then(|| Owner::Email(token.to_owned()))
    }
}

/// A GitHub login: letters, digits and single inner hyphens, at most 39.
fn login_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 39
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
}

/// A team's slug.
fn team_ok(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// One valid line.
#[derive(Debug, Clone)]
struct Rule {
    line: usize,
    pattern: Pattern,
    owners: Vec<Owner>,
}

/// A line GitHub would mark as an error, skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// The line, 1-based.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

/// A parsed file.
#[derive(Debug, Clone, Default)]
pub struct CodeOwners {
    rules: Vec<Rule>,
    /// The lines skipped, in order.
    pub errors: Vec<LineError>,
}

/// Who owns a file, and the line that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision<'a> {
    /// The deciding line, 1-based.
    pub line: usize,
    /// Its owners; empty when the line unsets ownership.
    pub owners: &'a [Owner],
}

/// Splits a line into tokens at unescaped whitespace, dropping an unescaped `#`
/// at the start of a token and everything after it; `\#` and `\ ` are literal.
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(next @ ('#' | ' ')) => current.push(next),
                Some(next) => {
                    current.push('\\');
                    current.push(next);
                }
                None => current.push('\\'),
            },
            '#' if current.is_empty() => break,
            c if c.is_whitespace() => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Parses a file's text.
#[must_use]
pub fn parse(text: &str) -> CodeOwners {
    let mut parsed = CodeOwners::default();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let mut words = tokens(raw).into_iter();
        let Some(pattern) = words.next() else {
            continue;
        };
        let mut error = |message: String| parsed.errors.push(LineError { line, message });
        if pattern.starts_with('!') {
            error(format!("`{pattern}`: negation (`!`) is not supported"));
            continue;
        }
        if pattern.contains('[') || pattern.contains(']') {
            error(format!(
                "`{pattern}`: character ranges (`[...]`) are not supported"
            ));
            continue;
        }
        let mut owners = Vec::new();
        let mut bad = None;
        for word in words {
            match Owner::parse(&word) {
                Some(owner) => owners.push(owner),
                None => {
                    bad = Some(word);
                    break;
                }
            }
        }
        if let Some(word) = bad {
            error(format!(
                "`{word}` is not an owner (`@user`, `@org/team` or an email)"
            ));
            continue;
        }
        match Pattern::new(&pattern) {
            Some(pattern) => parsed.rules.push(Rule {
                line,
                pattern,
                owners,
            }),
            None => error(format!("`{pattern}` is not a valid pattern")),
        }
    }
    parsed
}

impl CodeOwners {
    /// The last line matching `path` (relative to the repository's root, no
    /// leading `/`), or `None` when no line matches.
    #[must_use]
    pub fn decide(&self, path: &str) -> Option<Decision<'_>> {
        self.rules
            .iter()
            .rev()
            .find(|rule| rule.pattern.matches(path))
            .map(|rule| Decision {
                line: rule.line,
                owners: &rule.owners,
            })
    }
}

#[cfg(test)]
#[path = "codeowners_tests.rs"]
mod tests;
