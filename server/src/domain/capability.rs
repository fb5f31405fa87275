//! Capabilities: what a plugin's host call needs, its manifest declares and policy
//! rules decide. The fixed ones are a `string_enum!` (a typo is a compile error, not
//! a call that is always denied); `http:HOST`, `secrets:NAME` and `model:PROVIDER`
//! carry their scope. `model:*` is a manifest's way to declare every model provider
//! the operator configures (a plugin cannot know their names); a call always asks
//! for one concrete `model:PROVIDER`, which the policy decides and the audit names.
//! Strings appear only where capabilities are stored or written by people
//! (manifests, rules, the audit log).
use std::fmt;
use std::str::FromStr;

use super::vocabulary::{string_enum, Unknown};

string_enum! {
    /// A capability without a scope.
    pub enum Fixed ("capability") {
        /// Read issues, comments, labels, milestones.
        IssuesRead => "issues:read",
        /// Comment, label, assign, edit issues.
        IssuesWrite => "issues:write",
        /// Read pull requests and their files.
        PullRequestsRead => "pull_requests:read",
        /// Request reviewers, edit pull requests, open them, review them.
        PullRequestsWrite => "pull_requests:write",
        /// Merge pull requests (held for approval by the built-in policy).
        PullRequestsMerge => "pull_requests:merge",
        /// Read files and refs.
        ContentsRead => "contents:read",
        /// Write files, tags, releases.
        ContentsWrite => "contents:write",
        /// Read a commit's check runs.
        ChecksRead => "checks:read",
        /// Create and update check runs.
        ChecksWrite => "checks:write",
        /// Read workflow runs and artifacts.
        ActionsRead => "actions:read",
        /// Dispatch and re-run workflows.
        ActionsWrite => "actions:write",
        /// Read a commit's statuses.
        StatusesRead => "statuses:read",
        /// Create commit statuses.
        StatusesWrite => "statuses:write",
        /// Clone the event's repository.
        GitClone => "git:clone",
        /// Push to it.
        GitPush => "git:push",
        /// The plugin's key-value store.
        Kv => "kv",
    }
}

/// A capability.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Capability {
    /// One of the fixed capabilities.
    Fixed(Fixed),
    /// `http:HOST` (or `http:HOST:PORT`): outbound HTTP to that host; kept as written.
    Http(String),
    /// `secrets:NAME`: reading that secret; kept as written.
    Secret(String),
    /// `model:PROVIDER`: completions from that configured model provider; kept as
    /// written.
    Model(String),
    /// `model:*`, declared in a manifest: completions from any configured model
    /// provider. Never what a call needs: that is the concrete `model:PROVIDER`.
    AnyModel,
}

/// The stored form of [`Capability::AnyModel`].
pub const ANY_MODEL: &str = "model:*";

impl Capability {
    /// `issues:read`.
    pub const ISSUES_READ: Self = Self::Fixed(Fixed::IssuesRead);
    /// `issues:write`.
    pub const ISSUES_WRITE: Self = Self::Fixed(Fixed::IssuesWrite);
    /// `pull_requests:read`.
    pub const PULL_REQUESTS_READ: Self = Self::Fixed(Fixed::PullRequestsRead);
    /// `pull_requests:write`.
    pub const PULL_REQUESTS_WRITE: Self = Self::Fixed(Fixed::PullRequestsWrite);
    /// `pull_requests:merge`.
    pub const PULL_REQUESTS_MERGE: Self = Self::Fixed(Fixed::PullRequestsMerge);
    /// `contents:read`.
    pub const CONTENTS_READ: Self = Self::Fixed(Fixed::ContentsRead);
    /// `contents:write`.
    pub const CONTENTS_WRITE: Self = Self::Fixed(Fixed::ContentsWrite);
    /// `checks:read`.
    pub const CHECKS_READ: Self = Self::Fixed(Fixed::ChecksRead);
    /// `checks:write`.
    pub const CHECKS_WRITE: Self = Self::Fixed(Fixed::ChecksWrite);
    /// `actions:read`.
    pub const ACTIONS_READ: Self = Self::Fixed(Fixed::ActionsRead);
    /// `actions:write`.
    pub const ACTIONS_WRITE: Self = Self::Fixed(Fixed::ActionsWrite);
    /// `statuses:read`.
    pub const STATUSES_READ: Self = Self::Fixed(Fixed::StatusesRead);
    /// `statuses:write`.
    pub const STATUSES_WRITE: Self = Self::Fixed(Fixed::StatusesWrite);
    /// `git:clone`.
    pub const GIT_CLONE: Self = Self::Fixed(Fixed::GitClone);
    /// `git:push`.
    pub const GIT_PUSH: Self = Self::Fixed(Fixed::GitPush);
    /// `kv`.
    pub const KV: Self = Self::Fixed(Fixed::Kv);

    /// `http:{host}` (`host` may carry a `:port`).
    #[must_use]
    pub fn http(host: &str) -> Self {
        Self::Http(format!("http:{host}"))
    }

    /// `secrets:{name}`.
    #[must_use]
    pub fn secret(name: &str) -> Self {
        Self::Secret(format!("secrets:{name}"))
    }

    /// `model:{provider}` (`model:*` for `*`).
    #[must_use]
    pub fn model(provider: &str) -> Self {
        if provider == "*" {
            Self::AnyModel
        } else {
            Self::Model(format!("model:{provider}"))
        }
    }

    /// The provider of a `model:PROVIDER` capability (`None` for `model:*`, which
    /// names none).
    #[must_use]
    pub fn model_provider(&self) -> Option<&str> {
        match self {
            Self::Model(text) => text.strip_prefix("model:"),
            _ => None,
        }
    }

    /// Whether a manifest declaring `declared` (capabilities as written) declares
    /// this one: it is listed, or it is a `model:PROVIDER` and `model:*` is listed.
    pub fn is_declared_in<'a>(&self, declared: impl IntoIterator<Item = &'a String>) -> bool {
        declared
            .into_iter()
            .any(|d| d == self.as_str() || (d == ANY_MODEL && matches!(self, Self::Model(_))))
    }

    /// What a person reading a manifest should know about a declared capability
    /// beyond its name, when there is something (`model:*`).
    #[must_use]
    pub fn declared_note(declared: &str) -> Option<&'static str> {
        (declared == ANY_MODEL).then_some(
            "any model provider the operator configures; the policy decides each model:PROVIDER",
        )
    }

    /// The stored form.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Fixed(fixed) => fixed.as_str(),
            Self::Http(text) | Self::Secret(text) | Self::Model(text) => text,
            Self::AnyModel => ANY_MODEL,
        }
    }
}

impl FromStr for Capability {
    type Err = Unknown;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let scoped = |prefix: &str| {
            s.strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
        };
        if let Ok(fixed) = s.parse::<Fixed>() {
            Ok(Self::Fixed(fixed))
        } else if scoped("http:") {
            Ok(Self::Http(s.to_owned()))
        } else if scoped("secrets:") {
            Ok(Self::Secret(s.to_owned()))
        } else if s == ANY_MODEL {
            Ok(Self::AnyModel)
        } else if scoped("model:") && !s.contains('*') {
            Ok(Self::Model(s.to_owned()))
        } else {
            Err(Unknown {
                kind: "capability",
                given: s.to_owned(),
            })
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_capability_reads_back_as_written_and_unknown_ones_are_refused() {
        for fixed in Fixed::ALL {
            let cap = Capability::Fixed(*fixed);
            assert_eq!(cap.as_str().parse::<Capability>(), Ok(cap));
        }
        for text in [
            "http:api.example.com",
            "http:10.0.0.1:8443",
            "secrets:token",
            "model:rule-based",
            "model:openai",
            "model:*",
        ] {
            assert_eq!(text.parse::<Capability>().unwrap().as_str(), text);
        }
        assert_eq!(Capability::http("example.com").as_str(), "http:example.com");
        assert_eq!(Capability::secret("key").to_string(), "secrets:key");
        let model = Capability::model("openai");
        assert_eq!(model.as_str(), "model:openai");
        assert_eq!(model.model_provider(), Some("openai"));
        assert_eq!("model:openai".parse::<Capability>(), Ok(model));
        assert_eq!(Capability::secret("key").model_provider(), None);
        for bad in [
            "issues:admin",
            "http:",
            "secrets:",
            "model:",
            "model:a b",
            "model:open*",
            "model:**",
            "http:a b",
            "",
            "KV",
        ] {
            let err = bad.parse::<Capability>().unwrap_err();
            assert_eq!(err.kind, "capability", "{bad}");
        }
    }

    #[test]
    fn model_star_declares_every_concrete_provider_and_is_never_one() {
        let any: Capability = "model:*".parse().unwrap();
        assert_eq!(any, Capability::AnyModel);
        assert_eq!(Capability::model("*"), Capability::AnyModel);
        assert_eq!(any.model_provider(), None);
        let star = vec!["issues:read".to_owned(), "model:*".to_owned()];
        let openai = Capability::model("openai");
        assert!(openai.is_declared_in(&star));
        assert!(Capability::model("rule-based").is_declared_in(&star));
        // It declares models only, nothing else.
        assert!(!Capability::secret("key").is_declared_in(&star));
        assert!(!Capability::http("example.com").is_declared_in(&star));
        assert!(!Capability::KV.is_declared_in(&star));
        assert!(Capability::ISSUES_READ.is_declared_in(&star));
        // A concrete declaration declares that provider only.
        let one = vec!["model:openai".to_owned()];
        assert!(openai.is_declared_in(&one));
        assert!(!Capability::model("local").is_declared_in(&one));
        assert!(!Capability::AnyModel.is_declared_in(&one));
        assert!(Capability::declared_note("model:*").is_some());
        assert_eq!(Capability::declared_note("model:openai"), None);
    }
}
