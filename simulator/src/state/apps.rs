//! GitHub Apps as the simulator keeps them: registered apps with the public half of
//! their key, their installations (account, repositories, suspension), the
//! installation tokens handed out, and personal tokens registered for token checking.
//! Everything here is saved with the rest of the state, so a restarted persistent
//! simulator keeps accepting the tokens its clients cached.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use jsonwebtoken::DecodingKey;
use serde::{Deserialize, Serialize};

/// The permissions every simulated app and installation has.
pub(crate) const PERMISSIONS: [(&str, &str); 8] = [
    ("actions", "write"),
    ("checks", "write"),
    ("contents", "write"),
    ("issues", "write"),
    ("metadata", "read"),
    ("pull_requests", "write"),
    ("statuses", "write"),
    ("workflows", "write"),
];

/// The events every simulated app subscribes to.
pub(crate) const EVENTS: [&str; 8] = [
    "check_run",
    "check_suite",
    "issue_comment",
    "issues",
    "pull_request",
    "pull_request_review",
    "push",
    "workflow_run",
];

/// Apps, installations and tokens.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Apps {
    /// Registered apps by id.
    pub apps: BTreeMap<u64, App>,
    /// Installations by id.
    pub installations: BTreeMap<u64, Installation>,
    /// Installation tokens handed out and not yet long expired, by token.
    pub tokens: BTreeMap<String, IssuedToken>,
    /// Personal tokens accepted when tokens are checked.
    pub personal_tokens: BTreeSet<String>,
    /// Who owns a personal token (`GET /user` answers this login), by token.
    #[serde(default)]
    pub token_owners: BTreeMap<String, String>,
}

/// A registered GitHub App.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct App {
    pub id: u64,
    pub slug: String,
    pub name: String,
    /// Login of the account owning the app.
    pub owner: String,
    /// The key its JWTs are checked against.
    pub key: PublicKey,
    pub created_at: DateTime<Utc>,
    /// The permissions and events it was registered with from a manifest; `None`
    /// for an app registered directly, which has [`PERMISSIONS`] and [`EVENTS`].
    #[serde(default)]
    pub granted: Option<Granted>,
}

/// An app's permissions (`{"issues": "write"}`) and webhook events, from its manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Granted {
    pub permissions: std::collections::BTreeMap<String, String>,
    pub events: Vec<String>,
}

/// The public half of an app's RSA key: as registered (PEM), or derived from the
/// private key the app was registered with (modulus and exponent, base64url), so no
/// private key is ever saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PublicKey {
    Pem(String),
    Rsa { n: String, e: String },
}

impl PublicKey {
    /// The key for checking RS256 signatures; `None` if it no longer parses.
    pub fn decoding_key(&self) -> Option<DecodingKey> {
        match self {
            Self::Pem(pem) => DecodingKey::from_rsa_pem(pem.as_bytes()).ok(),
            Self::Rsa { n, e } => DecodingKey::from_rsa_components(n, e).ok(),
        }
    }
}

/// An installation of an app on an account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Installation {
    pub id: u64,
    pub app_id: u64,
    /// Login of the account the app is installed on.
    pub account: String,
    /// Names of the repositories it may use; `None` for all of the account's.
    pub repositories: Option<Vec<String>>,
    pub suspended_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Installation {
    /// Whether the installation covers repository `owner/name`.
    pub fn covers(&self, owner: &str, name: &str) -> bool {
        self.account.eq_ignore_ascii_case(owner)
            && self
                .repositories
                .as_ref()
                .is_none_or(|names| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
    }

    /// GitHub's `repository_selection`: `all` or `selected`.
    pub fn selection(&self) -> &'static str {
        if self.repositories.is_some() {
            "selected"
        } else {
            "all"
        }
    }
}

/// An installation token handed out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct IssuedToken {
    pub installation_id: u64,
    pub expires_at: DateTime<Utc>,
    /// The permissions it grants.
    pub permissions: BTreeMap<String, String>,
    /// The repositories it is limited to; `None` for all the installation covers.
    pub repositories: Option<Vec<String>>,
}

impl Apps {
    /// The installation of `app_id` covering repository `owner/name`.
    pub fn installation_for_repo(
        &self,
        app_id: u64,
        owner: &str,
        name: &str,
    ) -> Option<&Installation> {
        self.installations
            .values()
            .find(|i| i.app_id == app_id && i.covers(owner, name))
    }

    /// The installation of `app_id` on account `login`.
    pub fn installation_for_account(&self, app_id: u64, login: &str) -> Option<&Installation> {
        self.installations
            .values()
            .find(|i| i.app_id == app_id && i.account.eq_ignore_ascii_case(login))
    }

    /// Whether `token` is a registered personal token or an installation token that
    /// has not expired at `now`.
    pub fn accepts(&self, token: &str, now: DateTime<Utc>) -> bool {
        self.personal_tokens.contains(token)
            || self
                .tokens
                .get(token)
                .is_some_and(|issued| issued.expires_at > now)
    }

    /// Whether `token` may reach repository `owner/name`: a token the simulator
    /// handed out reaches only its installation's account, and only the repositories
    /// it was requested for (or that the installation selects), as GitHub scopes an
    /// installation token; any other token (personal, unknown) is not limited here.
    pub fn token_reaches(&self, token: &str, owner: &str, name: &str) -> bool {
        let Some(issued) = self.tokens.get(token) else {
            return true;
        };
        let Some(installation) = self.installations.get(&issued.installation_id) else {
            return false;
        };
        installation.account.eq_ignore_ascii_case(owner)
            && issued
                .repositories
                .as_ref()
                .is_none_or(|names| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
    }

    /// Records a token handed out, first dropping the ones that expired before `now`.
    pub fn remember_token(&mut self, token: String, issued: IssuedToken, now: DateTime<Utc>) {
        self.tokens.retain(|_, t| t.expires_at > now);
        self.tokens.insert(token, issued);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installation(repositories: Option<Vec<String>>) -> Installation {
        Installation {
            id: 1,
            app_id: 2,
            account: "Octo".to_owned(),
            repositories,
            suspended_at: None,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn an_installation_covers_its_accounts_repositories_or_the_selected_ones() {
        let all = installation(None);
        assert!(all.covers("octo", "anything"));
        assert!(!all.covers("other", "anything"));
        let some = installation(Some(vec!["Tools".to_owned()]));
        assert!(some.covers("octo", "tools"));
        assert!(!some.covers("octo", "web"));
        assert_eq!((all.selection(), some.selection()), ("all", "selected"));
    }

    #[test]
    fn only_unexpired_or_personal_tokens_are_accepted() {
        let now = Utc::now();
        let mut apps = Apps::default();
        let token = |expires_at| IssuedToken {
            installation_id: 1,
            expires_at,
            permissions: BTreeMap::new(),
            repositories: None,
        };
        apps.remember_token(
            "old".to_owned(),
            token(now - chrono::Duration::seconds(1)),
            now,
        );
        apps.remember_token(
            "new".to_owned(),
            token(now + chrono::Duration::seconds(60)),
            now,
        );
        apps.personal_tokens.insert("pat".to_owned());
        assert!(!apps.accepts("old", now));
        assert!(apps.accepts("new", now));
        assert!(apps.accepts("pat", now));
        assert!(!apps.accepts("unknown", now));
        apps.remember_token(
            "newer".to_owned(),
            token(now),
            now + chrono::Duration::seconds(1),
        );
        assert!(
            !apps.tokens.contains_key("old"),
            "expired tokens are dropped"
        );
    }
}
