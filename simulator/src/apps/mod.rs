//! The Rust API for GitHub Apps: registering an app with its RSA key ([`NewApp`]) and
//! its installations ([`NewInstallation`]), suspending them, minting installation
//! tokens, how long those live, whether requests must carry a token the simulator
//! knows ("token checking"), and what tests assert on: every App JWT seen
//! ([`JwtRecord`]) and the token requests per installation.
//!
//! Checking a JWT lives in `jwt`, the process-local log and settings in `log`; the
//! GitHub routes are in `routes::apps` and the same seeding operations are served
//! under `/_simulator` (`routes::control`). Apps, installations and tokens are saved
//! with the state; the JWT log, the counts and the settings are not.

pub(crate) mod jwt;
mod log;
mod manifest;

pub use self::manifest::{ManifestApproved, ManifestRefused};

use std::{collections::BTreeMap, fmt, time::Duration};

use chrono::{DateTime, Utc};
use jsonwebtoken::{jwk::Jwk, Algorithm, DecodingKey, EncodingKey};
use rand::{distr::Alphanumeric, Rng as _};
use serde::{Deserialize, Serialize};

pub(crate) use self::log::AppLog;
use crate::{
    state::{App, Installation, IssuedToken, PublicKey, State, PERMISSIONS},
    Simulator,
};

/// A GitHub App to register, for [`Simulator::register_app`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApp {
    /// The app id: the `iss` of its JWTs.
    pub id: u64,
    /// The app's RSA key in PEM: its public key (`PUBLIC KEY` or `RSA PUBLIC KEY`),
    /// or the private key GitHub generated for it (`RSA PRIVATE KEY` or `PRIVATE
    /// KEY`), of which only the public half is kept.
    pub key_pem: String,
    /// The app's slug, `gantry` unless set; its bot account is `{slug}[bot]`.
    #[serde(default = "default_slug")]
    pub slug: String,
    /// The app's display name, `Gantry` unless set.
    #[serde(default = "default_name")]
    pub name: String,
    /// Login of the account owning the app, `gantry` unless set.
    #[serde(default = "default_slug")]
    pub owner: String,
}

fn default_slug() -> String {
    "gantry".to_owned()
}

fn default_name() -> String {
    "Gantry".to_owned()
}

impl NewApp {
    /// An app with this id and key, named `Gantry` (slug and owner `gantry`).
    pub fn new(id: u64, key_pem: &str) -> Self {
        Self {
            id,
            key_pem: key_pem.to_owned(),
            slug: default_slug(),
            name: default_name(),
            owner: default_slug(),
        }
    }
}

/// An installation of a registered app, for [`Simulator::add_installation`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewInstallation {
    /// The installation id.
    pub id: u64,
    /// The app installed.
    pub app_id: u64,
    /// Login of the user or organisation it is installed on.
    pub account: String,
    /// Names of the account's repositories it may use; `None` (the default) for all.
    #[serde(default)]
    pub repositories: Option<Vec<String>>,
    /// Whether it is suspended: token requests get a 403.
    #[serde(default)]
    pub suspended: bool,
}

impl NewInstallation {
    /// An installation of `app_id` on every repository of `account`.
    pub fn new(id: u64, app_id: u64, account: &str) -> Self {
        Self {
            id,
            app_id,
            account: account.to_owned(),
            repositories: None,
            suspended: false,
        }
    }

    /// Limits the installation to these repositories of the account.
    #[must_use]
    pub fn repositories(mut self, names: &[&str]) -> Self {
        self.repositories = Some(names.iter().map(|n| (*n).to_owned()).collect());
        self
    }

    /// Makes the installation suspended.
    #[must_use]
    pub fn suspended(mut self) -> Self {
        self.suspended = true;
        self
    }
}

/// One App JWT the simulator saw, accepted or refused, for [`Simulator::app_jwts`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JwtRecord {
    /// When it arrived, in Unix seconds.
    pub received_at: i64,
    /// The request's method.
    pub method: String,
    /// The request's path.
    pub path: String,
    /// The header's `alg` as sent; `None` when the header could not be read.
    pub alg: Option<String>,
    /// The claims as sent, unverified; `None` when they could not be read.
    pub claims: Option<serde_json::Value>,
    /// `iss` read as an app id (from a number or a string).
    pub iss: Option<u64>,
    /// `iat`, when it is a whole number.
    pub iat: Option<i64>,
    /// `exp`, when it is a whole number.
    pub exp: Option<i64>,
    /// Whether the simulator accepted it.
    pub accepted: bool,
    /// GitHub's message, when it was refused.
    pub refusal: Option<String>,
}

/// Why [`Simulator::register_app`] refused a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppKeyError(String);

impl fmt::Display for AppKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AppKeyError {}

/// The public half of an RSA key given in PEM.
fn public_key(pem: &str) -> Result<PublicKey, AppKeyError> {
    let refuse = |what: &str| AppKeyError(format!("the app key is not {what}"));
    if pem.contains("PRIVATE KEY-----") {
        let private =
            EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| refuse("a valid RSA key"))?;
        let jwk = Jwk::from_encoding_key(&private, Algorithm::RS256)
            .map_err(|_| refuse("a valid RSA key"))?;
        let jsonwebtoken::jwk::AlgorithmParameters::RSA(rsa) = jwk.algorithm else {
            return Err(refuse("an RSA key"));
        };
        return Ok(PublicKey::Rsa { n: rsa.n, e: rsa.e });
    }
    if !pem.contains("PUBLIC KEY-----") {
        return Err(refuse("an RSA key in PEM"));
    }
    DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| refuse("a valid RSA key"))?;
    Ok(PublicKey::Pem(pem.to_owned()))
}

/// A fresh installation token, shaped like GitHub's (`ghs_` and 36 characters).
fn new_token() -> String {
    let random: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(36)
        .map(char::from)
        .collect();
    format!("ghs_{random}")
}

/// What a token request asks for beyond the defaults.
#[derive(Debug, Default)]
pub(crate) struct TokenRequest {
    /// The permissions wanted; `None` for all the installation has.
    pub permissions: Option<BTreeMap<String, String>>,
    /// The repositories wanted; `None` for all the installation covers.
    pub repositories: Option<Vec<String>>,
}

/// Hands out a token for `installation` living `lifetime` from `now`, and records it.
pub(crate) fn mint(
    state: &mut State,
    installation: &Installation,
    request: TokenRequest,
    lifetime: Duration,
    now: DateTime<Utc>,
) -> (String, IssuedToken) {
    let permissions = request.permissions.unwrap_or_else(|| {
        PERMISSIONS
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    });
    let lifetime = chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::hours(1));
    let issued = IssuedToken {
        installation_id: installation.id,
        expires_at: now + lifetime,
        permissions,
        repositories: request
            .repositories
            .or_else(|| installation.repositories.clone()),
    };
    let token = new_token();
    state
        .apps
        .remember_token(token.clone(), issued.clone(), now);
    (token, issued)
}

impl Simulator {
    /// Registers a GitHub App (or replaces the one with the same id): its JWTs are then
    /// accepted on `GET /app` and the other App routes. A persistent simulator saves
    /// the public half of the key, never a private key.
    ///
    /// # Errors
    ///
    /// Fails when `key_pem` is not an RSA key in PEM.
    pub fn register_app(&self, app: &NewApp) -> Result<(), AppKeyError> {
        let key = public_key(&app.key_pem)?;
        {
            let mut state = self.lock();
            let created_at = state
                .apps
                .apps
                .get(&app.id)
                .map_or_else(Utc::now, |old| old.created_at);
            state.ensure_user(&app.owner, "Organization");
            state.ensure_user(&format!("{}[bot]", app.slug), "Bot");
            state.apps.apps.insert(
                app.id,
                App {
                    id: app.id,
                    slug: app.slug.clone(),
                    name: app.name.clone(),
                    owner: app.owner.clone(),
                    key,
                    created_at,
                    granted: None,
                },
            );
        }
        self.save();
        Ok(())
    }

    /// Adds an installation of a registered app (or replaces the one with the same
    /// id); `false` when the app is unknown.
    pub fn add_installation(&self, installation: &NewInstallation) -> bool {
        {
            let mut state = self.lock();
            if !state.apps.apps.contains_key(&installation.app_id) {
                return false;
            }
            state.ensure_user(&installation.account, "User");
            let now = Utc::now();
            let created_at = state
                .apps
                .installations
                .get(&installation.id)
                .map_or(now, |old| old.created_at);
            state.apps.installations.insert(
                installation.id,
                Installation {
                    id: installation.id,
                    app_id: installation.app_id,
                    account: installation.account.clone(),
                    repositories: installation.repositories.clone(),
                    suspended_at: installation.suspended.then_some(now),
                    created_at,
                    updated_at: now,
                },
            );
        }
        self.save();
        true
    }

    /// Suspends an installation (its token requests get a 403 "This installation has
    /// been suspended"; tokens already handed out keep working until they expire) or
    /// lifts the suspension; `false` when it is unknown.
    pub fn set_installation_suspended(&self, installation_id: u64, suspended: bool) -> bool {
        {
            let mut state = self.lock();
            let Some(installation) = state.apps.installations.get_mut(&installation_id) else {
                return false;
            };
            let now = Utc::now();
            installation.suspended_at = suspended.then(|| installation.suspended_at.unwrap_or(now));
            installation.updated_at = now;
        }
        self.save();
        true
    }

    /// Hands out an installation token as `POST /app/installations/{id}/access_tokens`
    /// would, without a JWT and without counting a token request; `None` when the
    /// installation is unknown or suspended.
    pub fn issue_token(&self, installation_id: u64) -> Option<String> {
        let lifetime = self.app_log().token_lifetime();
        let token = {
            let mut state = self.lock();
            let installation = state
                .apps
                .installations
                .get(&installation_id)
                .filter(|i| i.suspended_at.is_none())
                .cloned()?;
            let request = TokenRequest::default();
            mint(&mut state, &installation, request, lifetime, Utc::now()).0
        };
        self.save();
        Some(token)
    }

    /// Revokes every installation token handed out for `installation_id`, as GitHub
    /// does when an App's tokens are revoked early (`DELETE /installation/token`, a
    /// key rotation, an admin's action); requests carrying them then get 401 when
    /// tokens are checked. Returns how many were revoked.
    pub fn revoke_tokens(&self, installation_id: u64) -> usize {
        let revoked = {
            let mut state = self.lock();
            let before = state.apps.tokens.len();
            state
                .apps
                .tokens
                .retain(|_, t| t.installation_id != installation_id);
            before - state.apps.tokens.len()
        };
        self.save();
        revoked
    }

    /// Registers a personal access token, accepted (like the installation tokens
    /// handed out) when tokens are checked.
    pub fn add_personal_token(&self, token: &str) {
        self.lock().apps.personal_tokens.insert(token.to_owned());
        self.save();
    }

    /// Says that `login` (a person) owns the personal token `token`: `GET /user`
    /// with it answers that user, as GitHub does. A token nobody was said to own is
    /// the app's bot account's (`gantry[bot]`), the author of writes that name no
    /// other user.
    pub fn set_token_owner(&self, token: &str, login: &str) {
        {
            let mut state = self.lock();
            state.ensure_user(login, "User");
            state
                .apps
                .token_owners
                .insert(token.to_owned(), login.to_owned());
        }
        self.save();
    }

    /// How long installation tokens handed out from now on live (an hour by default;
    /// a few seconds lets tests see one expire). Not saved.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.app_log().set_token_lifetime(lifetime);
    }

    /// Turns token checking on or off (off by default). When on, a REST or git request
    /// carrying a token is served only if the token is an unexpired installation token
    /// the simulator handed out or a registered personal token; others get 401 "Bad
    /// credentials". Requests without any token still follow
    /// [`crate::SimulatorOptions::allow_anonymous`]. Not saved.
    pub fn set_token_checking(&self, enabled: bool) {
        self.app_log().set_check_tokens(enabled);
    }

    /// This simulator with token checking on (see [`Simulator::set_token_checking`]).
    #[must_use]
    pub fn with_token_checking(self) -> Self {
        self.set_token_checking(true);
        self
    }

    /// Whether a request carrying `token` may be served: always, unless tokens are
    /// checked.
    pub(crate) fn accepts_token(&self, token: &str) -> bool {
        !self.app_log().checks_tokens() || self.lock().apps.accepts(token, Utc::now())
    }

    /// Whether a request carrying `token` may reach repository `owner/name` (see
    /// `Apps::token_reaches`): installation tokens are limited to their scope.
    pub(crate) fn token_reaches(&self, token: &str, owner: &str, name: &str) -> bool {
        let name = name.strip_suffix(".git").unwrap_or(name);
        self.lock().apps.token_reaches(token, owner, name)
    }

    /// Every App JWT the simulator saw (the last 1024), accepted or refused, oldest
    /// first.
    pub fn app_jwts(&self) -> Vec<JwtRecord> {
        self.app_log().jwts()
    }

    /// How many installation token requests (`POST
    /// /app/installations/{id}/access_tokens`) reached the simulator for an
    /// installation, answered or refused. Requests answered by a fault or refused
    /// before the route (no credentials) are not counted here; see
    /// [`Simulator::request_count`].
    pub fn token_requests(&self, installation_id: u64) -> u64 {
        self.app_log().token_requests(installation_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_that_is_not_pem_is_refused() {
        assert!(public_key("ssh-rsa AAAA").is_err());
        assert!(public_key("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----").is_err());
    }

    #[test]
    fn tokens_look_like_githubs() {
        let token = new_token();
        assert!(token.starts_with("ghs_"));
        assert_eq!(token.len(), 40);
        assert_ne!(token, new_token());
    }
}
