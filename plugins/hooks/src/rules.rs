//! What the hooks plugin decides, as pure functions: which configured rules match an
//! event, whether a pull request's title is a conventional commit (and the check
//! run that says so), whether an author is a first-time contributor to greet, and
//! which issues a published release is announced on. Nothing here calls the host, so
//! `cargo test` runs it on the host target.
use serde::Deserialize;
use serde_json::Value;

/// The check run the title check reports as.
pub const TITLE_CHECK_NAME: &str = "gantry/hooks: title";

/// The `pull_request` actions that (re)check the title: a new title or a new head
/// commit, which needs its own check run.
pub const TITLE_CHECK_ACTIONS: [&str; 4] = ["opened", "edited", "synchronize", "reopened"];

/// `author_association` values GitHub gives a first-time contributor:
/// `FIRST_TIMER` has never contributed to GitHub, `FIRST_TIME_CONTRIBUTOR` never to
/// this repository.
pub const FIRST_TIME_ASSOCIATIONS: [&str; 2] = ["FIRST_TIME_CONTRIBUTOR", "FIRST_TIMER"];

/// The plugin's configuration (see `config_schema` in `gantry-plugin.toml`). Missing
/// keys take the defaults below, which match the manifest's `default_config`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Rules on events, tried in order.
    pub rules: Vec<Rule>,
    /// The conventional-commit title check.
    pub title_check: TitleCheck,
    /// The greeting for first-time contributors.
    pub first_time_greeting: FirstTimeGreeting,
    /// Announcements of published releases.
    pub release_announcement: ReleaseAnnouncement,
    /// Labels for pull requests by the paths they change.
    pub path_labels: Vec<PathLabel>,
    /// Rules around other plugins' runs (`gantry_hook` events).
    pub around: Vec<crate::around::AroundRule>,
}

/// A label a pull request gets when it changes a path matching one of `paths`.
#[derive(Debug, Deserialize)]
pub struct PathLabel {
    /// The label.
    pub label: String,
    /// Globs: `*` stays within a path segment, `**` crosses segments, and a pattern
    /// ending in `/` matches everything below that directory.
    pub paths: Vec<String>,
}

/// The pull request events path labels react to.
pub const PATH_LABEL_ACTIONS: &[&str] = &["opened", "reopened", "synchronize"];

/// The labels `rules` give to a change of `paths`, each once, in rule order.
#[must_use]
pub fn labels_for_paths(rules: &[PathLabel], paths: &[String]) -> Vec<String> {
    rules
        .iter()
        .filter(|rule| {
            paths
                .iter()
                .any(|path| rule.paths.iter().any(|pattern| path_matches(pattern, path)))
        })
        .map(|rule| rule.label.clone())
        .fold(Vec::new(), |mut labels, label| {
            if !labels.contains(&label) {
                labels.push(label);
            }
            labels
        })
}

/// Whether `path` matches the glob `pattern` (see [`PathLabel::paths`]).
#[must_use]
pub fn path_matches(pattern: &str, path: &str) -> bool {
    if let Some(dir) = pattern.strip_suffix('/') {
        return path.starts_with(&format!("{dir}/"));
    }
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    segments_match(&pattern, &path)
}

fn segments_match(pattern: &[&str], path: &[&str]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(&"**"), _) => {
            segments_match(&pattern[1..], path)
                || (!path.is_empty() && segments_match(pattern, &path[1..]))
        }
        (Some(p), Some(s)) => segment_matches(p, s) && segments_match(&pattern[1..], &path[1..]),
        _ => false,
    }
}

/// `*` matches any run of characters within one segment.
fn segment_matches(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(after) = text.strip_prefix(head) else {
                return false;
            };
            (0..=after.len())
                .filter(|i| after.is_char_boundary(*i))
                .any(|i| segment_matches(rest, &after[i..]))
        }
    }
}

/// One rule: when `on` matches, add `add_labels` and post `comment`.
#[derive(Debug, Deserialize)]
pub struct Rule {
    /// `event.action` or a bare event name.
    pub on: String,
    /// Labels to add.
    #[serde(default)]
    pub add_labels: Vec<String>,
    /// A comment template (`{author}`, `{title}`, `{repo}`).
    #[serde(default)]
    pub comment: Option<String>,
}

impl Rule {
    /// Whether the rule reacts to the event `name` (`issues`) whose `kind` is
    /// `name.action` (`issues.opened`).
    #[must_use]
    pub fn matches(&self, name: &str, kind: &str) -> bool {
        self.on == name || self.on == kind
    }
}

/// The conventional-commit title check's settings.
#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct TitleCheck {
    /// Off unless the operator turns it on.
    pub enabled: bool,
    /// The types a title may start with.
    pub types: Vec<String>,
}

impl Default for TitleCheck {
    fn default() -> Self {
        let types = [
            "feat", "fix", "docs", "style", "refactor", "perf", "test", "build", "ci", "chore",
            "revert",
        ];
        Self {
            enabled: false,
            types: types.iter().map(|t| (*t).to_owned()).collect(),
        }
    }
}

/// The first-time contributor greeting's settings.
#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct FirstTimeGreeting {
    /// Off unless the operator turns it on.
    pub enabled: bool,
    /// The comment; `{author}`, `{title}` and `{repo}` are replaced.
    pub message: String,
}

impl Default for FirstTimeGreeting {
    fn default() -> Self {
        Self {
            enabled: false,
            message: "Welcome, @{author}, and thank you for your first contribution to {repo}! A maintainer will be with you soon.".into(),
        }
    }
}

/// The release announcement's settings.
#[derive(Debug, Deserialize)]
#[serde(default)]
pub struct ReleaseAnnouncement {
    /// Issues (or pull requests) that hear of every published release, such as a
    /// pinned announcements issue.
    pub issues: Vec<u64>,
    /// Also announce on the issues and pull requests of this repository the release
    /// notes mention (`#12`, or a link to one).
    pub mentioned: bool,
    /// At most this many mentioned issues are announced on.
    pub max_mentioned: usize,
    /// Announce pre-releases too.
    pub prereleases: bool,
    /// The comment; `{tag}`, `{name}`, `{url}` and `{repo}` are replaced.
    pub message: String,
}

impl Default for ReleaseAnnouncement {
    fn default() -> Self {
        Self {
            issues: Vec::new(),
            mentioned: false,
            max_mentioned: 20,
            prereleases: false,
            message: "{name} is out: {url}".into(),
        }
    }
}

/// What the labelling and greeting act on: the issue or pull request an event is
/// about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its number.
    pub number: u64,
    /// The author's login.
    pub author: String,
    /// Its title.
    pub title: String,
    /// The author's `author_association` with the repository (`OWNER`, `NONE`, ...).
    pub association: String,
}

impl Target {
    /// Finds the issue or pull request in a payload (`issue`, then `pull_request`).
    #[must_use]
    pub fn from_payload(payload: &Value) -> Option<Self> {
        let item = payload
            .get("issue")
            .or_else(|| payload.get("pull_request"))?;
        let text = |pointer: &str| {
            item.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Some(Self {
            number: item.get("number")?.as_u64()?,
            author: text("/user/login"),
            title: text("/title"),
            association: text("/author_association"),
        })
    }

    /// A comment template with `{author}`, `{title}` and `{repo}` replaced.
    #[must_use]
    pub fn render(&self, template: &str, repo: &str) -> String {
        template
            .replace("{author}", &self.author)
            .replace("{title}", &self.title)
            .replace("{repo}", repo)
    }
}

/// A title that follows `type(scope)!: subject`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConventionalTitle {
    /// The type, as written.
    pub kind: String,
    /// The scope, when there is one.
    pub scope: Option<String>,
    /// Whether `!` marks a breaking change.
    pub breaking: bool,
    /// What follows `: `.
    pub subject: String,
}

/// Why a title is not a conventional commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TitleProblem {
    /// There is no `: ` after the type.
    NoSeparator,
    /// The type is not one of the configured ones (or is empty).
    UnknownType(String),
    /// `(` without a closing `)`, an empty scope, or text between `)` and `:`.
    BadScope,
    /// Nothing follows `: `.
    EmptySubject,
}

impl TitleProblem {
    /// One sentence for the check run's summary.
    #[must_use]
    pub fn explain(&self) -> String {
        match self {
            Self::NoSeparator => "The title has no type followed by `: ` (a colon and a space).".into(),
            Self::UnknownType(kind) if kind.is_empty() => "The title does not start with a type.".into(),
            Self::UnknownType(kind) => format!("`{kind}` is not one of the allowed types."),
            Self::BadScope => "The scope must be a non-empty word in parentheses right after the type, like `feat(parser): …`.".into(),
            Self::EmptySubject => "The title has no subject after `: `.".into(),
        }
    }
}

/// Parses a pull request title as a conventional commit header,
/// `type(scope)!: subject`, where the scope and `!` are optional and `type` is one
/// of `types` (compared without regard to case, as the specification asks).
///
/// # Errors
/// The first thing wrong with the title.
pub fn parse_title(title: &str, types: &[String]) -> Result<ConventionalTitle, TitleProblem> {
    let title = title.trim();
    let Some((head, rest)) = title.split_once(':') else {
        return Err(TitleProblem::NoSeparator);
    };
    let (head, breaking) = match head.strip_suffix('!') {
        Some(rest) => (rest, true),
        None => (head, false),
    };
    let (kind, scope) = match head.split_once('(') {
        None => (head, None),
        Some((kind, rest)) => {
            let scope = rest.strip_suffix(')').ok_or(TitleProblem::BadScope)?;
            if scope.trim().is_empty() || scope.contains(['(', ')']) {
                return Err(TitleProblem::BadScope);
            }
            (kind, Some(scope.to_owned()))
        }
    };
    if kind.is_empty() || !types.iter().any(|t| t.eq_ignore_ascii_case(kind)) {
        return Err(TitleProblem::UnknownType(kind.to_owned()));
    }
    let subject = rest.trim();
    if subject.is_empty() {
        return Err(TitleProblem::EmptySubject);
    }
    if !rest.starts_with(' ') {
        return Err(TitleProblem::NoSeparator);
    }
    Ok(ConventionalTitle {
        kind: kind.to_owned(),
        scope,
        breaking,
        subject: subject.to_owned(),
    })
}

/// What the title check reports: its conclusion, title and Markdown summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitleReport {
    /// Whether the title passes.
    pub success: bool,
    /// The check run output's title.
    pub title: String,
    /// The check run output's summary.
    pub summary: String,
}

/// The title check's report on `title`.
#[must_use]
pub fn title_report(title: &str, types: &[String]) -> TitleReport {
    match parse_title(title, types) {
        Ok(parsed) => {
            let scope = parsed
                .scope
                .as_deref()
                .map(|s| format!(" in `{s}`"))
                .unwrap_or_default();
            let breaking = if parsed.breaking {
                ", a breaking change"
            } else {
                ""
            };
            TitleReport {
                success: true,
                title: "The title is a conventional commit".into(),
                summary: format!("`{}`{scope}{breaking}: {}", parsed.kind, parsed.subject),
            }
        }
        Err(problem) => {
            let allowed: Vec<String> = types.iter().map(|t| format!("`{t}`")).collect();
            TitleReport {
                success: false,
                title: "The title is not a conventional commit".into(),
                summary: format!(
                    "{}\n\nExpected `type(scope)!: subject`, for example `fix(parser): accept empty lines` \
                     or `feat!: drop the v1 API`. The scope and `!` (a breaking change) are optional; \
                     the type is one of {}.\n\nTitle: `{}`",
                    problem.explain(),
                    allowed.join(", "),
                    title.replace('`', "'"),
                ),
            }
        }
    }
}

/// Whether the greeting for first-time contributors applies to the event `kind` and
/// its target; the comment to post when it does.
#[must_use]
pub fn first_time_greeting(
    config: &FirstTimeGreeting,
    kind: &str,
    target: &Target,
    repo: &str,
) -> Option<String> {
    let opened = kind == "issues.opened" || kind == "pull_request.opened";
    (config.enabled && opened && is_first_time(&target.association))
        .then(|| target.render(&config.message, repo))
}

/// Whether an `author_association` marks a first-time contributor.
#[must_use]
pub fn is_first_time(association: &str) -> bool {
    FIRST_TIME_ASSOCIATIONS.contains(&association)
}

/// A published release, from a `release` event's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Its tag.
    pub tag: String,
    /// Its title, or the tag when it has none.
    pub name: String,
    /// Its page.
    pub url: String,
    /// Its notes.
    pub body: String,
    /// Whether it is a pre-release.
    pub prerelease: bool,
}

impl Release {
    /// Reads the release from a `release` payload.
    #[must_use]
    pub fn from_payload(payload: &Value) -> Option<Self> {
        let release = payload.get("release")?;
        let text = |key: &str| {
            release
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let tag = text("tag_name");
        if tag.is_empty() {
            return None;
        }
        let name = Some(text("name"))
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| tag.clone());
        Some(Self {
            name,
            url: text("html_url"),
            body: text("body"),
            prerelease: release["prerelease"].as_bool().unwrap_or(false),
            tag,
        })
    }

    /// A comment template with `{tag}`, `{name}`, `{url}` and `{repo}` replaced.
    #[must_use]
    pub fn render(&self, template: &str, repo: &str) -> String {
        template
            .replace("{tag}", &self.tag)
            .replace("{name}", &self.name)
            .replace("{url}", &self.url)
            .replace("{repo}", repo)
    }
}

/// The issues and pull requests a published release is announced on: the
/// configured ones, then (when `mentioned`) those its notes mention, each once, in
/// that order. None for a pre-release unless `prereleases`. `repo_url` is the
/// repository's page (`https://github.com/o/r`), whose issue and pull request links
/// count as mentions.
#[must_use]
pub fn announcement_targets(
    config: &ReleaseAnnouncement,
    release: &Release,
    repo_url: &str,
) -> Vec<u64> {
    if release.prerelease && !config.prereleases {
        return Vec::new();
    }
    let mut targets: Vec<u64> = Vec::new();
    for number in config.issues.iter().copied().filter(|n| *n > 0) {
        if !targets.contains(&number) {
            targets.push(number);
        }
    }
    if config.mentioned {
        let mut added = 0;
        for number in mentioned_numbers(&release.body, repo_url) {
            if added == config.max_mentioned {
                break;
            }
            if !targets.contains(&number) {
                targets.push(number);
                added += 1;
            }
        }
    }
    targets
}

/// The issue and pull request numbers `text` mentions, in order, each once: `#12`
/// on its own (not `owner/repo#12`, `abc#12` or `#12abc`), and links to
/// `{repo_url}/issues/12` or `{repo_url}/pull/12`.
#[must_use]
pub fn mentioned_numbers(text: &str, repo_url: &str) -> Vec<u64> {
    let mut found: Vec<(usize, u64)> = Vec::new();
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices('#') {
        let before_ok = at == 0
            || !(bytes[at - 1].is_ascii_alphanumeric()
                || matches!(bytes[at - 1], b'/' | b'&' | b'_' | b'-'));
        if before_ok {
            if let Some(number) = number_at(&text[at + 1..]) {
                found.push((at, number));
            }
        }
    }
    let repo_url = repo_url.trim_end_matches('/');
    if !repo_url.is_empty() {
        for kind in ["issues", "pull"] {
            let prefix = format!("{repo_url}/{kind}/");
            for (at, _) in text.match_indices(&prefix) {
                if let Some(number) = number_at(&text[at + prefix.len()..]) {
                    found.push((at, number));
                }
            }
        }
    }
    found.sort_by_key(|(at, _)| *at);
    let mut numbers = Vec::new();
    for (_, number) in found {
        if !numbers.contains(&number) {
            numbers.push(number);
        }
    }
    numbers
}

/// The positive number at the start of `text` when a word does not go on after it.
fn number_at(text: &str) -> Option<u64> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let after = text.as_bytes().get(digits);
    if digits == 0 || after.is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_') {
        return None;
    }
    text[..digits].parse().ok().filter(|n| *n > 0)
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
