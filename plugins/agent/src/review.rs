//! The rule-based review of a pull request's files, as a pure function: which added
//! lines get a line comment (TODO/FIXME/XXX, debug leftovers, `.unwrap()` outside
//! tests) and what goes in the review's body (large files and diffs, source changes
//! without test changes, files without a readable diff). [`review`] decides; the
//! plugin posts what it returns as one `COMMENT` review. The paths' rules (what is a
//! test, a binary, a source file) are in [`paths`]; the review with a model (its
//! prompt, its answer's schema and where its findings go) is in [`model`].
use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::config::{Check, Config};
use crate::diff::{self, Kind};

pub mod model;
pub mod paths;

/// One file of the pull request, as `list-pull-request-files` gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileDiff {
    /// Its path (the new one when renamed).
    pub path: String,
    /// `added`, `removed`, `modified`, `renamed`, ...
    pub status: String,
    /// Lines added.
    pub additions: u64,
    /// Lines deleted.
    pub deletions: u64,
    /// Its unified diff; `None` for a binary file or one too large to show.
    pub patch: Option<String>,
}

/// A line comment to post: on `line` of `path`, RIGHT side (the new file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineComment {
    /// The file.
    pub path: String,
    /// The line in the new file.
    pub line: u32,
    /// The comment, Markdown.
    pub body: String,
}

/// The review to post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    /// Its body, Markdown; never empty (GitHub needs one for `COMMENT`).
    pub body: String,
    /// Its line comments, by file then line.
    pub comments: Vec<LineComment>,
}

/// What one check found on one added line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Finding {
    /// `TODO`, `FIXME` or `XXX`.
    Marker(&'static str),
    /// `dbg!`.
    Dbg,
    /// `println!` or `eprintln!` in library code.
    Print(&'static str),
    /// `console.log`.
    ConsoleLog,
    /// `.unwrap()` outside tests.
    Unwrap,
}

impl Finding {
    fn text(self) -> String {
        match self {
            Self::Marker(word) => format!("`{word}` added: finish it before merging, or track it in an issue and link the issue here."),
            Self::Dbg => "Debug leftover: `dbg!` prints to standard error in every build; remove it before merging.".into(),
            Self::Print(name) => format!("`{name}` in library code: a library should not write to the terminal; log it or return it to the caller."),
            Self::ConsoleLog => "Debug leftover: `console.log`; remove it, or use the project's logger.".into(),
            Self::Unwrap => "`.unwrap()` outside tests panics on an error: handle the error, or use `expect` saying why it cannot happen.".into(),
        }
    }
}

/// Reviews `files` under `config`'s checks and thresholds.
#[must_use]
pub fn review(files: &[FileDiff], config: &Config) -> Review {
    let mut found: BTreeMap<(usize, u32), Vec<Finding>> = BTreeMap::new();
    let mut notes: Vec<String> = Vec::new();
    let mut unread: Vec<String> = Vec::new();
    let mut test_changed = false;
    let mut untested_sources: Vec<&str> = Vec::new();
    for (index, file) in files.iter().enumerate() {
        let changed = file.additions + file.deletions;
        if config.runs(Check::Large) && changed > config.large_file_lines {
            notes.push(format!(
                "`{}` changes {changed} lines (more than {}): a change this large is hard to review; consider splitting it.",
                file.path, config.large_file_lines
            ));
        }
        if paths::is_test(&file.path) {
            test_changed = true;
        } else if paths::is_source(&file.path) && file.status != "removed" {
            untested_sources.push(&file.path);
        }
        let Some(patch) = file.patch.as_deref().filter(|p| !p.is_empty()) else {
            if changed > 0 || file.status == "added" {
                unread.push(format!(
                    "`{}`: GitHub shows no diff for it (a binary file, or one too large to show), so it was not checked.",
                    file.path
                ));
            }
            continue;
        };
        let hunks = match diff::parse(patch) {
            Ok(hunks) => hunks,
            Err(e) => {
                unread.push(format!(
                    "`{}`: its diff could not be read ({e}), so it was not checked.",
                    file.path
                ));
                continue;
            }
        };
        if paths::is_rust(&file.path) && adds_rust_tests(&hunks) {
            test_changed = true;
        }
        for (line, finding) in line_findings(&file.path, &hunks, config) {
            found.entry((index, line)).or_default().push(finding);
        }
    }
    let total: u64 = files.iter().map(|f| f.additions + f.deletions).sum();
    if config.runs(Check::Large) && total > config.large_diff_lines {
        notes.push(format!(
            "This pull request changes {total} lines in {} files (more than {}): a diff this large is hard to review; consider splitting it.",
            files.len(),
            config.large_diff_lines
        ));
    }
    if config.runs(Check::Untested) && !test_changed && !untested_sources.is_empty() {
        notes.push(format!(
            "Source files changed but no test did: {}. Add or update a test that covers the change.",
            listing(&untested_sources, 10)
        ));
    }

    let lines_found = found.len();
    let findings: usize = found.values().map(Vec::len).sum();
    let files_found = {
        let mut files: Vec<usize> = found.keys().map(|(f, _)| *f).collect();
        files.dedup();
        files.len()
    };
    let cap = usize::try_from(config.max_line_comments).unwrap_or(usize::MAX);
    let mut comments = Vec::new();
    let mut left_out = Vec::new();
    for ((index, line), mut list) in found {
        let path = &files[index].path;
        if comments.len() < cap {
            list.sort();
            list.dedup();
            let body = list
                .into_iter()
                .map(Finding::text)
                .collect::<Vec<_>>()
                .join("\n\n");
            comments.push(LineComment {
                path: path.clone(),
                line,
                body,
            });
        } else {
            left_out.push(format!("`{path}` line {line}"));
        }
    }

    let checks: Vec<&str> = config.checks.iter().map(|c| c.name()).collect();
    let checks = if checks.is_empty() {
        "none".to_owned()
    } else {
        checks.join(", ")
    };
    let mut body = format!("**Review by Gantry's agent** (rule-based; checks: {checks})\n\n");
    if findings == 0 && notes.is_empty() {
        let _ = write!(
            body,
            "No findings: the checks flagged nothing in the {} of this pull request.",
            plural(files.len(), "file")
        );
    } else if findings > 0 {
        let _ = write!(
            body,
            "{} on {} of {}, each commented on its line.",
            plural(findings, "finding"),
            plural(lines_found, "line"),
            plural(files_found, "file")
        );
    } else {
        body.push_str("No line has a finding; about the pull request as a whole:");
    }
    if !left_out.is_empty() {
        let _ = write!(
            body,
            "\n\nAt most {cap} line comments are posted; these lines have findings too: {}.",
            listing(&left_out, 20)
        );
    }
    for note in notes.iter().chain(&unread) {
        let _ = write!(body, "\n\n- {note}");
    }
    body.push_str(
        "\n\n<sub>Deterministic checks by Gantry's rule-based provider; no model was used.</sub>",
    );
    Review { body, comments }
}

/// The findings on `path`'s added lines, by line.
fn line_findings(path: &str, hunks: &[diff::Hunk], config: &Config) -> Vec<(u32, Finding)> {
    let rust = paths::is_rust(path);
    let script = paths::is_script(path);
    let rust_test_file = rust && paths::is_rust_test(path);
    let rust_binary = rust && paths::is_rust_binary(path);
    let mut found = Vec::new();
    // After a `#[cfg(test)]` line of this patch, the rest is test code.
    let mut in_tests = false;
    for line in hunks.iter().flat_map(|h| &h.lines) {
        if line.kind == Kind::Deleted {
            continue;
        }
        if rust && line.text.trim_start().starts_with("#[cfg(test)]") {
            in_tests = true;
        }
        if line.kind != Kind::Added {
            continue;
        }
        let text = line.text.as_str();
        if config.runs(Check::Todo) {
            if let Some(word) = ["TODO", "FIXME", "XXX"]
                .into_iter()
                .find(|w| has_word(text, w))
            {
                found.push((line.number, Finding::Marker(word)));
            }
        }
        if is_comment(text) {
            continue;
        }
        if config.runs(Check::Debug) {
            if rust && has_macro(text, "dbg") {
                found.push((line.number, Finding::Dbg));
            }
            if rust && !rust_binary && !rust_test_file && !in_tests {
                if let Some(name) = ["println", "eprintln"]
                    .into_iter()
                    .find(|m| has_macro(text, m))
                {
                    let name = if name == "println" {
                        "println!"
                    } else {
                        "eprintln!"
                    };
                    found.push((line.number, Finding::Print(name)));
                }
            }
            if script && has_call(text, "console.log") {
                found.push((line.number, Finding::ConsoleLog));
            }
        }
        if config.runs(Check::Unwrap)
            && rust
            && !rust_test_file
            && !in_tests
            && text.contains(".unwrap()")
        {
            found.push((line.number, Finding::Unwrap));
        }
    }
    found
}

/// Whether a Rust patch adds a test (`#[test]`, `#[cfg(test)]`, `mod tests`).
fn adds_rust_tests(hunks: &[diff::Hunk]) -> bool {
    diff::added(hunks).any(|l| {
        let t = l.text.trim_start();
        t.starts_with("#[test]")
            || t.starts_with("#[cfg(test)]")
            || t.starts_with("#[tokio::test")
            || t.starts_with("mod tests")
    })
}

/// Whether the line is a comment only (`//`, `/*`, `*`, `#` in scripts is not).
fn is_comment(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("//") || t.starts_with("/*") || t.starts_with('*')
}

fn ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Whether `word` stands alone in `text` (no letter, digit or `_` on either side).
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

/// Whether `text` invokes the macro `name!` (not `my_name!`).
fn has_macro(text: &str, name: &str) -> bool {
    let bang = format!("{name}!");
    text.match_indices(&bang)
        .any(|(at, _)| !text[..at].chars().next_back().is_some_and(ident))
}

/// Whether `text` calls `name(` (not `x.name(` nor `myname(`).
fn has_call(text: &str, name: &str) -> bool {
    let call = format!("{name}(");
    text.match_indices(&call).any(|(at, _)| {
        !text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| ident(c) || c == '.')
    })
}

/// `n thing` or `n things`.
fn plural(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// The first `max` items, backquoted when they are paths, then how many more.
fn listing<S: AsRef<str>>(items: &[S], max: usize) -> String {
    let mut shown: Vec<String> = items
        .iter()
        .take(max)
        .map(|s| {
            let s = s.as_ref();
            if s.starts_with('`') {
                s.to_owned()
            } else {
                format!("`{s}`")
            }
        })
        .collect();
    if items.len() > max {
        shown.push(format!("and {} more", items.len() - max));
    }
    shown.join(", ")
}

#[cfg(test)]
#[path = "review_tests.rs"]
mod tests;
