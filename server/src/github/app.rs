//! GitHub App authentication: an RS256 JWT signed with the App's private key (PKCS#1
//! or PKCS#8 PEM), `iat` backdated 60 s against clock skew and `exp` 10 minutes
//! after it (GitHub's maximum), exchanged for installation tokens that are cached
//! per installation and renewed shortly before `expires_at`.
//!
//! [`GitHubAccess`] is what the rest of the server asks for a client: with a
//! personal access token every installation shares one client; as an App each
//! installation gets its own, on its own token.
use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::client::{GitHubClient, GitHubError};
use crate::config::GitHubSettings;
use crate::domain::{RepoRef, Secret};

/// A token is renewed when less than this is left of it.
const RENEW_BEFORE: Duration = Duration::minutes(5);

/// The claims GitHub expects in an App JWT.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AppClaims {
    /// Issued at, backdated 60 s.
    pub iat: i64,
    /// Expiry, 10 minutes after `iat`.
    pub exp: i64,
    /// The App's id.
    pub iss: String,
}

/// An App's id and private key.
#[derive(Clone)]
pub struct AppCredentials {
    app_id: u64,
    key: EncodingKey,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl AppCredentials {
    /// Reads the private key (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`).
    ///
    /// # Errors
    /// When the PEM is not an RSA private key; the message never contains the key.
    pub fn from_pem(app_id: u64, pem: &[u8]) -> anyhow::Result<Self> {
        let key = EncodingKey::from_rsa_pem(pem).map_err(|e| {
            anyhow::anyhow!(
                "github.private_key is not an RSA private key in PEM (PKCS#1 or PKCS#8): {e}"
            )
        })?;
        Ok(Self { app_id, key })
    }

    /// The claims of a JWT made at `now`.
    #[must_use]
    pub fn claims(&self, now: DateTime<Utc>) -> AppClaims {
        let iat = now.timestamp() - 60;
        AppClaims {
            iat,
            exp: iat + 600,
            iss: self.app_id.to_string(),
        }
    }

    /// A signed App JWT made at `now`.
    ///
    /// # Errors
    /// Only if signing fails.
    pub fn jwt(&self, now: DateTime<Utc>) -> Result<String, GitHubError> {
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &self.claims(now), &self.key).map_err(
            |e| GitHubError::Rejected {
                status: 0,
                message: format!("could not sign the App JWT: {e}"),
            },
        )
    }
}

/// Where GitHub clients report on `/metrics`.
#[derive(Debug, Clone)]
pub struct GitHubMetrics {
    /// `x-ratelimit-remaining` by installation.
    pub rate_left: prometheus::IntGaugeVec,
    /// Answers by status class.
    pub calls: prometheus::IntCounterVec,
}

/// An installation token and the client that uses it.
#[derive(Debug, Clone)]
struct Cached {
    client: GitHubClient,
    expires_at: DateTime<Utc>,
    /// Set by the client when GitHub answers 401 to the token.
    revoked: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// What a cached token is for: an installation, and the one repository it was
/// requested for (`owner/name` in lower case), or `None` for the whole installation.
type TokenKey = (u64, Option<String>);

/// Installation tokens of one App, cached per installation and repository.
#[derive(Debug)]
pub struct Installations {
    credentials: AppCredentials,
    settings: GitHubSettings,
    /// Client with no credentials, for the token exchange (the JWT goes in a header).
    bare: GitHubClient,
    cache: Mutex<HashMap<TokenKey, Cached>>,
    rate_left: Option<GitHubMetrics>,
}

#[derive(Deserialize)]
struct TokenResponse {
    token: String,
    expires_at: DateTime<Utc>,
    /// The repositories a token requested for some of them covers.
    #[serde(default)]
    repositories: Vec<TokenRepository>,
}

#[derive(Deserialize)]
struct TokenRepository {
    full_name: String,
}

impl Installations {
    /// Sets up the App.
    ///
    /// # Errors
    /// When the API base URL is not valid.
    pub fn new(
        credentials: AppCredentials,
        settings: &GitHubSettings,
        rate_left: Option<GitHubMetrics>,
    ) -> anyhow::Result<Self> {
        let bare = GitHubClient::new(&GitHubSettings {
            token: None,
            ..settings.clone()
        })?;
        Ok(Self {
            credentials,
            settings: settings.clone(),
            bare,
            cache: Mutex::new(HashMap::new()),
            rate_left,
        })
    }

    /// A client on a token of `installation`, limited to `repository` when one is
    /// given: the cached one while more than five minutes of it are left and GitHub
    /// has not refused it (a 401 on a call), else a fresh token.
    ///
    /// # Errors
    /// [`GitHubError::Rejected`] with a clear message when GitHub refuses the App's
    /// credentials, the installation is suspended, or the installation does not cover
    /// `repository` (another account's, or not selected); `NotFound` for an unknown
    /// installation, `Transient` when GitHub is unavailable.
    pub async fn client(
        &self,
        installation: u64,
        repository: Option<&RepoRef>,
    ) -> Result<GitHubClient, GitHubError> {
        let key: TokenKey = (
            installation,
            repository.map(|r| r.full_name().to_ascii_lowercase()),
        );
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.get(&key) {
            let revoked = cached.revoked.load(std::sync::atomic::Ordering::SeqCst);
            if cached.expires_at - Utc::now() > RENEW_BEFORE && !revoked {
                return Ok(cached.client.clone());
            }
        }
        let jwt = self.credentials.jwt(Utc::now())?;
        let path = format!("/app/installations/{installation}/access_tokens");
        let body = repository.map(|r| serde_json::json!({ "repositories": [r.name] }));
        let answer = self
            .bare
            .rest_with_bearer(http::Method::POST, &path, &jwt, body.as_ref())
            .await
            .map_err(|e| explain(e, installation, repository))?;
        let token: TokenResponse =
            serde_json::from_value(answer).map_err(|e| GitHubError::Rejected {
                status: 201,
                message: format!("unexpected token response: {e}"),
            })?;
        if let Some(repo) = repository {
            // The name alone is looked up in the installation's account: only the
            // owner GitHub answers with binds the installation to this repository.
            let wanted = repo.full_name();
            if !token
                .repositories
                .iter()
                .any(|r| r.full_name.eq_ignore_ascii_case(&wanted))
            {
                return Err(not_covered(installation, repo));
            }
        }
        tracing::info!(installation, repository = ?key.1, expires_at = %token.expires_at, "installation token issued");
        let mut client = GitHubClient::new(&GitHubSettings {
            token: Some(Secret::new(token.token)),
            ..self.settings.clone()
        })
        .map_err(|e| GitHubError::Rejected {
            status: 0,
            message: e.to_string(),
        })?;
        if let Some(m) = &self.rate_left {
            client = client.with_metrics(
                m.rate_left.with_label_values(&[&installation.to_string()]),
                m.calls.clone(),
            );
        }
        let revoked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        client = client.with_revocation_flag(revoked.clone());
        cache.insert(
            key,
            Cached {
                client: client.clone(),
                expires_at: token.expires_at,
                revoked,
            },
        );
        Ok(client)
    }

    /// A `GET` as the App itself (its JWT), for one page of a cursor-paged list:
    /// `path` relative to the API (`/app/hook/deliveries?per_page=100`) or a
    /// `rel="next"` URL an earlier page gave. The answer and the next page's path.
    ///
    /// # Errors
    /// As any call; `Rejected` for a next URL on another host than the API's.
    pub async fn app_page(
        &self,
        path: &str,
    ) -> Result<(serde_json::Value, Option<String>), GitHubError> {
        let jwt = self.credentials.jwt(Utc::now())?;
        let (value, next) = self.bare.page_with_bearer(path, &jwt).await?;
        let next = match next {
            None => None,
            Some(url) => Some(self.relative(&url)?),
        };
        Ok((value, next))
    }

    /// A `POST` as the App itself, without a body (`/app/hook/deliveries/{id}/attempts`).
    ///
    /// # Errors
    /// As any call.
    pub async fn app_post(&self, path: &str) -> Result<serde_json::Value, GitHubError> {
        let jwt = self.credentials.jwt(Utc::now())?;
        self.bare
            .rest_with_bearer(http::Method::POST, path, &jwt, None)
            .await
    }

    /// `url` (a `link` header's) as a path relative to the API's base URL.
    fn relative(&self, url: &str) -> Result<String, GitHubError> {
        let base = self.settings.api_url.trim_end_matches('/');
        url.strip_prefix(base)
            .filter(|rest| rest.starts_with('/'))
            .map(str::to_owned)
            .ok_or_else(|| GitHubError::Rejected {
                status: 0,
                message: format!("GitHub sent a next page outside {base}: {url}"),
            })
    }

    /// Forgets `installation`'s tokens (after a suspension or a removal).
    pub async fn forget(&self, installation: u64) {
        self.cache
            .lock()
            .await
            .retain(|(id, _), _| *id != installation);
    }
}

/// The refusal when `installation` does not cover `repo`.
fn not_covered(installation: u64, repo: &RepoRef) -> GitHubError {
    GitHubError::Rejected {
        status: 422,
        message: format!(
            "installation {installation} does not cover {}: the event names an installation of another account, or one the repository is not selected in",
            repo.full_name()
        ),
    }
}

/// Says what a refused token exchange means for the operator.
fn explain(err: GitHubError, installation: u64, repository: Option<&RepoRef>) -> GitHubError {
    if let (GitHubError::Rejected { status: 422, .. }, Some(repo)) = (&err, repository) {
        return not_covered(installation, repo);
    }
    match err {
        GitHubError::Rejected { status: 401, message } => GitHubError::Rejected {
            status: 401,
            message: format!("GitHub refused the App's credentials ({message}): check github.app_id and github.private_key, and the server's clock"),
        },
        GitHubError::Rejected { status: 403, message } => {
            GitHubError::Rejected { status: 403, message: format!("installation {installation} may not get a token ({message}): is it suspended?") }
        }
        GitHubError::NotFound(message) => GitHubError::NotFound(format!("installation {installation} does not exist for this App ({message})")),
        other => other,
    }
}

/// How the server reaches GitHub: one personal token, or an App's installations.
#[derive(Debug, Clone)]
pub enum GitHubAccess {
    /// A personal access token (or none, for a simulator that allows it).
    Token(GitHubClient),
    /// A GitHub App.
    App(Arc<Installations>),
}

impl GitHubAccess {
    /// Builds from settings: an App when `app_id` and a private key are set.
    ///
    /// # Errors
    /// When the key cannot be read or is not an RSA key, or the URL is invalid.
    pub fn from_settings(
        settings: &GitHubSettings,
        rate_left: Option<GitHubMetrics>,
    ) -> anyhow::Result<Self> {
        let Some(app_id) = settings.app_id else {
            let mut client = GitHubClient::new(settings)?;
            if let Some(m) = &rate_left {
                client =
                    client.with_metrics(m.rate_left.with_label_values(&["token"]), m.calls.clone());
            }
            return Ok(Self::Token(client));
        };
        let pem = match (&settings.private_key, &settings.private_key_file) {
            (Some(key), _) => key.expose().as_bytes().to_vec(),
            (None, Some(path)) => std::fs::read(path).map_err(|e| {
                anyhow::anyhow!("reading github.private_key_file {}: {e}", path.display())
            })?,
            (None, None) => anyhow::bail!(
                "github.app_id is set but neither github.private_key nor github.private_key_file"
            ),
        };
        Ok(Self::App(Arc::new(Installations::new(
            AppCredentials::from_pem(app_id, &pem)?,
            settings,
            rate_left,
        )?)))
    }

    /// The client for an event of `installation` about `repository` (both ignored
    /// with a personal token). As an App, the token is limited to `repository` when
    /// the event has one.
    ///
    /// # Errors
    /// See [`Installations::client`]; as an App, an event without an installation
    /// cannot be acted on.
    pub async fn client(
        &self,
        installation: Option<i64>,
        repository: Option<&RepoRef>,
    ) -> Result<GitHubClient, GitHubError> {
        match self {
            Self::Token(client) => Ok(client.clone()),
            Self::App(app) => {
                let id = installation
                    .and_then(|i| u64::try_from(i).ok())
                    .ok_or_else(|| GitHubError::Rejected {
                        status: 0,
                        message: "the event names no installation, so the App has no token for it"
                            .into(),
                    })?;
                app.client(id, repository).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_backdated_60_seconds_and_last_ten_minutes() {
        // Any RSA key will do for claims; signing is tested end to end.
        let creds = AppCredentials {
            app_id: 42,
            key: EncodingKey::from_secret(b"unused"),
        };
        let now = Utc::now();
        let claims = creds.claims(now);
        assert_eq!(claims.iat, now.timestamp() - 60);
        assert_eq!(claims.exp - claims.iat, 600);
        assert_eq!(claims.iss, "42");
    }

    #[test]
    fn a_key_that_is_not_rsa_pem_is_a_clear_error_without_the_key() {
        let err = AppCredentials::from_pem(
            1,
            b"-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("PKCS#1 or PKCS#8"), "{err}");
        assert!(!err.to_string().contains("not-a-key"));
    }
}
