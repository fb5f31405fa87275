//! What the releases plugin decides, as pure functions: semantic versions and their
//! order, which tag a release's notes start from, conventional commits, the notes
//! themselves, and which workflow run and artifacts supply the assets. Nothing here
//! calls the host, so `cargo test` runs it on the host target.
use std::cmp::Ordering;
use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The releases plugin's configuration. Its JSON schema (the manifest's
/// `config_schema`) is derived from this type, doc comments as descriptions and
/// [`Config::default`] as defaults: `register_plugin!(Releases, config = Config)`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// What a release tag starts with before the version (`v` gives `v1.2.0`);
    /// `@gantry release 1.2.0` gets it added.
    #[schemars(length(max = 20))]
    pub tag_prefix: String,
    /// The workflow (file name such as `build.yml`, path, or name) whose latest
    /// successful run on the released commit supplies the assets; empty for a
    /// release without assets.
    #[schemars(length(max = 255))]
    pub artifacts_workflow: String,
    /// The artifacts to attach, by name; empty attaches every artifact of the run.
    #[schemars(inner(length(min = 1, max = 255)))]
    pub artifact_names: Vec<String>,
    /// The release notes' sections in order, each with the conventional-commit
    /// types it gathers. Breaking changes always come first.
    pub notes_sections: Vec<Section>,
    /// The heading of commits no section takes (other types, or not conventional);
    /// empty leaves them out of the notes.
    #[schemars(length(max = 100))]
    pub other_section: String,
    /// Create the release as a draft, attach the assets, then publish it. When
    /// false the release is published as it is created (one approval under the
    /// default policy) and the assets are attached afterwards.
    pub draft_first: bool,
    /// At most this many commits are read since the previous tag.
    #[schemars(range(min = 1, max = 5000))]
    pub max_commits: u32,
}

impl Default for Config {
    fn default() -> Self {
        let section = |title: &str, kind: &str| Section {
            title: title.into(),
            types: vec![kind.into()],
        };
        Self {
            tag_prefix: "v".into(),
            artifacts_workflow: String::new(),
            artifact_names: Vec::new(),
            notes_sections: vec![
                section("Features", "feat"),
                section("Bug fixes", "fix"),
                section("Performance", "perf"),
                section("Documentation", "docs"),
            ],
            other_section: "Other".into(),
            draft_first: true,
            max_commits: 1000,
        }
    }
}

/// One section of the release notes.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// The section's heading, for example `Features`.
    #[schemars(length(min = 1, max = 100))]
    pub title: String,
    /// Conventional-commit types, lower case, for example `feat`.
    #[schemars(inner(length(min = 1, max = 50)))]
    pub types: Vec<String>,
}

/// One identifier of a pre-release (`rc`, `1`): numbers sort below words, and
/// numerically among themselves, as semver says.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PreIdent {
    /// Digits only.
    Number(u64),
    /// Anything else.
    Text(String),
}

/// A semantic version `MAJOR.MINOR.PATCH[-PRE][+BUILD]` (the build is ignored in
/// comparisons, as semver says).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Incompatible changes.
    pub major: u64,
    /// Compatible features.
    pub minor: u64,
    /// Fixes.
    pub patch: u64,
    /// Pre-release identifiers; empty for a release.
    pub pre: Vec<PreIdent>,
    /// Build metadata, kept for the tag's text.
    pub build: String,
}

impl Version {
    /// Parses a version, with or without `prefix` in front (`v1.2.0` or `1.2.0`).
    /// `None` when it is not a semantic version.
    #[must_use]
    pub fn parse(text: &str, prefix: &str) -> Option<Self> {
        let text = text.trim();
        let bare = if prefix.is_empty() {
            text
        } else {
            text.strip_prefix(prefix).unwrap_or(text)
        };
        let (rest, build) = match bare.split_once('+') {
            Some((rest, build)) => (rest, Some(build)),
            None => (bare, None),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (rest, None),
        };
        let mut numbers = core.split('.').map(number);
        let (major, minor, patch) = (numbers.next()??, numbers.next()??, numbers.next()??);
        if numbers.next().is_some() {
            return None;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(pre) => pre.split('.').map(pre_ident).collect::<Option<Vec<_>>>()?,
        };
        let build = match build {
            None => String::new(),
            Some(b)
                if !b.is_empty()
                    && b.split('.')
                        .all(|part| !part.is_empty() && part.chars().all(ident_char)) =>
            {
                b.to_owned()
            }
            Some(_) => return None,
        };
        Some(Self {
            major,
            minor,
            patch,
            pre,
            build,
        })
    }

    /// Whether it is a pre-release (`1.0.0-rc.1`).
    #[must_use]
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// The version as text, without a prefix.
    #[must_use]
    pub fn text(&self) -> String {
        let mut out = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            let pre: Vec<String> = self
                .pre
                .iter()
                .map(|p| match p {
                    PreIdent::Number(n) => n.to_string(),
                    PreIdent::Text(t) => t.clone(),
                })
                .collect();
            let _ = write!(out, "-{}", pre.join("."));
        }
        if !self.build.is_empty() {
            let _ = write!(out, "+{}", self.build);
        }
        out
    }

    /// The tag of this version: `prefix` and the text.
    #[must_use]
    pub fn tag(&self, prefix: &str) -> String {
        format!("{prefix}{}", self.text())
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                // A pre-release comes before its release.
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-'
}

/// A version number: digits, no leading zero.
fn number(text: &str) -> Option<u64> {
    if text.is_empty()
        || !text.chars().all(|c| c.is_ascii_digit())
        || (text.len() > 1 && text.starts_with('0'))
    {
        return None;
    }
    text.parse().ok()
}

fn pre_ident(text: &str) -> Option<PreIdent> {
    if text.is_empty() || !text.chars().all(ident_char) {
        return None;
    }
    if text.chars().all(|c| c.is_ascii_digit()) {
        return number(text).map(PreIdent::Number);
    }
    Some(PreIdent::Text(text.to_owned()))
}

/// The tag a release's notes start after: the highest version tag below `new`. A
/// release skips pre-releases (the notes of `v1.0.0` cover everything since `v0.9.0`,
/// not since `v1.0.0-rc.2`); a pre-release counts every tag. Tags that are not
/// versions with `prefix` are ignored. `None` for a first release.
#[must_use]
pub fn previous_tag(tags: &[String], new: &Version, prefix: &str) -> Option<String> {
    tags.iter()
        .filter(|t| prefix.is_empty() || t.starts_with(prefix))
        .filter_map(|t| Version::parse(t, prefix).map(|v| (v, t)))
        .filter(|(v, _)| v < new && (new.is_prerelease() || !v.is_prerelease()))
        .max_by(|(a, _), (b, _)| a.cmp(b))
        .map(|(_, t)| t.clone())
}

/// A commit as the notes need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// Its SHA.
    pub sha: String,
    /// Its whole message.
    pub message: String,
    /// Its author's name.
    pub author: String,
}

/// A commit message read as a conventional commit
/// (`type(scope)!: description`, with an optional `BREAKING CHANGE:` footer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conventional {
    /// The type, lower case (`feat`); `None` when the subject does not follow the form.
    pub kind: Option<String>,
    /// The scope, when there is one.
    pub scope: Option<String>,
    /// Whether it is a breaking change (`!` or a `BREAKING CHANGE:` footer).
    pub breaking: bool,
    /// What the breaking change footer says, when there is one.
    pub breaking_note: Option<String>,
    /// The description (the whole subject when it is not conventional).
    pub description: String,
}

/// Reads a commit message as a conventional commit. A subject that does not follow
/// the form keeps no type and its whole text as the description.
#[must_use]
pub fn parse_commit(message: &str) -> Conventional {
    let subject = message.lines().next().unwrap_or_default().trim();
    let breaking_note = breaking_footer(message);
    let plain = Conventional {
        kind: None,
        scope: None,
        breaking: breaking_note.is_some(),
        breaking_note: breaking_note.clone(),
        description: subject.to_owned(),
    };
    let Some((head, description)) = subject.split_once(':') else {
        return plain;
    };
    let description = description.trim();
    let (head, bang) = match head.strip_suffix('!') {
        Some(head) => (head, true),
        None => (head, false),
    };
    let (kind, scope) = match head.split_once('(') {
        Some((kind, rest)) => match rest.strip_suffix(')') {
            Some(scope) if !scope.is_empty() && !scope.contains(['(', ')']) => {
                (kind, Some(scope.trim().to_owned()))
            }
            _ => return plain,
        },
        None => (head, None),
    };
    if kind.is_empty()
        || !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        || description.is_empty()
    {
        return plain;
    }
    Conventional {
        kind: Some(kind.to_ascii_lowercase()),
        scope,
        breaking: bang || breaking_note.is_some(),
        breaking_note,
        description: description.to_owned(),
    }
}

/// The text of a `BREAKING CHANGE:` (or `BREAKING-CHANGE:`) footer, up to the next
/// blank line.
fn breaking_footer(message: &str) -> Option<String> {
    let mut lines = message.lines().skip(1);
    while let Some(line) = lines.next() {
        let Some(rest) = line
            .strip_prefix("BREAKING CHANGE:")
            .or_else(|| line.strip_prefix("BREAKING-CHANGE:"))
        else {
            continue;
        };
        let mut note = rest.trim().to_owned();
        for more in lines.by_ref() {
            if more.trim().is_empty() {
                break;
            }
            note.push(' ');
            note.push_str(more.trim());
        }
        return Some(note);
    }
    None
}

/// Whether a commit is a merge commit git or GitHub wrote; the notes leave them out
/// (the commits they merge are listed themselves).
#[must_use]
pub fn is_merge(message: &str) -> bool {
    let subject = message.lines().next().unwrap_or_default();
    subject.starts_with("Merge pull request #")
        || subject.starts_with("Merge branch ")
        || subject.starts_with("Merge remote-tracking branch ")
}

/// Replaces `(#123)` and `#123` references in `text` with links to the pull request.
#[must_use]
pub fn link_pull_requests(text: &str, owner: &str, repo: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('#') {
        let (before, after) = rest.split_at(at);
        let digits: String = after[1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let standalone = before
            .chars()
            .last()
            .is_none_or(|c| c == '(' || c.is_whitespace());
        out.push_str(before);
        if digits.is_empty() || !standalone {
            out.push('#');
            rest = &after[1..];
            continue;
        }
        let _ = write!(
            out,
            "[#{digits}](https://github.com/{owner}/{repo}/pull/{digits})"
        );
        rest = &after[1 + digits.len()..];
    }
    out.push_str(rest);
    out
}

/// What the notes are about.
#[derive(Debug, Clone)]
pub struct NotesInput<'a> {
    /// The repository's owner, for links.
    pub owner: &'a str,
    /// The repository's name, for links.
    pub repo: &'a str,
    /// The new tag.
    pub tag: &'a str,
    /// The tag the notes start after; `None` for a first release.
    pub previous: Option<&'a str>,
    /// The commits since then, newest first.
    pub commits: &'a [CommitInfo],
}

/// The release notes, Markdown: breaking changes first, then the configured sections
/// in order and the rest under `other_section`, oldest commit first within each;
/// `(#123)` links to the pull request, each entry names its author, and the
/// contributors are listed at the end.
#[must_use]
pub fn render_notes(input: &NotesInput<'_>, config: &Config) -> String {
    let mut breaking = Vec::new();
    let mut sections: Vec<Vec<String>> = vec![Vec::new(); config.notes_sections.len()];
    let mut other = Vec::new();
    let mut authors: Vec<&str> = Vec::new();
    for commit in input.commits.iter().rev().filter(|c| !is_merge(&c.message)) {
        let parsed = parse_commit(&commit.message);
        let scope = parsed
            .scope
            .as_deref()
            .map(|s| format!("**{s}:** "))
            .unwrap_or_default();
        let short: String = commit.sha.chars().take(7).collect();
        let description = link_pull_requests(&parsed.description, input.owner, input.repo);
        let by = if commit.author.is_empty() {
            String::new()
        } else {
            format!(" by {}", commit.author)
        };
        let entry = format!("- {scope}{description} ({short}){by}");
        if !commit.author.is_empty() && !authors.contains(&commit.author.as_str()) {
            authors.push(&commit.author);
        }
        if parsed.breaking {
            let note = parsed
                .breaking_note
                .as_deref()
                .map(|n| format!("\n  {}", link_pull_requests(n, input.owner, input.repo)))
                .unwrap_or_default();
            breaking.push(format!("{entry}{note}"));
            continue;
        }
        let kind = parsed.kind.as_deref().unwrap_or_default();
        match config
            .notes_sections
            .iter()
            .position(|s| s.types.iter().any(|t| t.eq_ignore_ascii_case(kind)))
        {
            Some(i) => sections[i].push(entry),
            None if !config.other_section.is_empty() => other.push(entry),
            None => {}
        }
    }
    let mut notes = match input.previous {
        Some(previous) => format!(
            "## {tag}\n\nChanges since {previous} ([compare](https://github.com/{owner}/{repo}/compare/{previous}...{tag})).\n",
            tag = input.tag,
            owner = input.owner,
            repo = input.repo
        ),
        None => format!("## {}\n\nThe first release.\n", input.tag),
    };
    let mut add = |title: &str, entries: &[String]| {
        if !entries.is_empty() {
            let _ = write!(notes, "\n### {title}\n\n{}\n", entries.join("\n"));
        }
    };
    add("⚠ Breaking changes", &breaking);
    for (section, entries) in config.notes_sections.iter().zip(&sections) {
        add(&section.title, entries);
    }
    add(&config.other_section, &other);
    if breaking.is_empty() && sections.iter().all(Vec::is_empty) && other.is_empty() {
        notes.push_str("\nNo changes worth noting.\n");
    }
    if !authors.is_empty() {
        let _ = write!(notes, "\n### Contributors\n\n{}\n", authors.join(", "));
    }
    notes
}

/// A workflow run as the asset step needs it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Run {
    /// Its id.
    pub id: u64,
    /// The workflow's name.
    pub name: String,
    /// The workflow file's path.
    pub path: String,
    /// `completed`, ...
    pub status: String,
    /// `success`, ...
    pub conclusion: Option<String>,
    /// The branch it ran on.
    pub head_branch: String,
}

/// Whether `run` is a run of `workflow` (a file name, a path or the workflow's name).
#[must_use]
pub fn workflow_matches(workflow: &str, run: &Run) -> bool {
    let file = run.path.rsplit('/').next().unwrap_or_default();
    workflow == run.path || workflow == file || workflow == run.name
}

/// The run whose artifacts become the assets: the newest successful run of
/// `workflow` among `runs` (newest first), preferring one on `branch`.
#[must_use]
pub fn artifact_run<'a>(workflow: &str, branch: &str, runs: &'a [Run]) -> Option<&'a Run> {
    let good = |r: &&Run| {
        workflow_matches(workflow, r)
            && r.status == "completed"
            && r.conclusion.as_deref() == Some("success")
    };
    runs.iter()
        .filter(good)
        .find(|r| r.head_branch == branch)
        .or_else(|| runs.iter().find(good))
}

/// Whether an artifact called `name` is attached: every one when `wanted` is empty.
#[must_use]
pub fn artifact_wanted(name: &str, wanted: &[String]) -> bool {
    wanted.is_empty() || wanted.iter().any(|w| w == name)
}

/// The asset name an artifact gets: its name with `.zip` (GitHub keeps artifacts
/// zipped).
#[must_use]
pub fn asset_name(artifact: &str) -> String {
    if artifact.ends_with(".zip") {
        artifact.to_owned()
    } else {
        format!("{artifact}.zip")
    }
}

/// One asset to attach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    /// The artifact's id.
    pub artifact: u64,
    /// The asset's name.
    pub name: String,
    /// Whether it is attached (or given up on).
    pub done: bool,
}

/// Where a release stands while its steps run or wait (KV `plan/<tag>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Plan {
    /// The tag.
    pub tag: String,
    /// The issue or pull request the command came from, for replies.
    pub number: u64,
    /// The commit the tag is made from.
    pub target: String,
    /// The default branch.
    pub branch: String,
    /// Who asked.
    pub author: String,
    /// The release, once created.
    pub release: Option<u64>,
    /// Its page, once known.
    pub html_url: String,
    /// Whether it is published.
    pub published: bool,
    /// The assets, once looked up (`None` before).
    pub assets: Option<Vec<Asset>>,
    /// The approval the plan waits for, and what it holds.
    pub waiting: Option<Waiting>,
    /// What went wrong on the way without stopping the release.
    pub notes: Vec<String>,
}

/// A step held for approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Step {
    /// Creating the release.
    Create,
    /// Copying the artifact with this id.
    Copy(u64),
    /// Publishing.
    Publish,
}

/// The approval a plan waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    /// The approval's id.
    pub approval: String,
    /// The step it holds.
    pub step: Step,
}

/// What a held step is called in replies.
#[must_use]
pub fn step_text(step: &Step, plan: &Plan) -> String {
    match step {
        Step::Create => format!("creating release `{}`", plan.tag),
        Step::Copy(id) => {
            let name = plan
                .assets
                .iter()
                .flatten()
                .find(|a| a.artifact == *id)
                .map_or_else(|| format!("artifact {id}"), |a| format!("`{}`", a.name));
            format!("attaching {name} to release `{}`", plan.tag)
        }
        Step::Publish => format!("publishing release `{}`", plan.tag),
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
