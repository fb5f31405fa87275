//! Production checks: what `gantry serve` refuses to start with when
//! `server.environment = "production"`, and what `gantry config check` reports in any
//! environment. Every problem is found and named at once, with the setting to change
//! and how, so an operator fixes them in one pass instead of one restart each.
//!
//! The checks read the settings only; whether a webhook secret is stored in the
//! database (`gantry secrets add`) is the caller's to find out and pass in.
use std::fmt;

use super::{Environment, Settings};
use crate::domain::{Secret, SANDBOX_WEBHOOK_SECRET};

/// The shortest `api.token` or `metrics.token` a production start accepts.
pub const MIN_TOKEN_CHARS: usize = 32;

/// One failed production check: the setting it is about and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The setting's path in the TOML file (`secrets.key`).
    pub setting: &'static str,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.setting, self.message)
    }
}

/// Whether webhook secrets are stored in the database, as far as the caller knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredSecrets {
    /// At least one is stored.
    Some,
    /// None is stored.
    None,
    /// The database could not be read; the reason.
    Unknown(String),
}

impl Settings {
    /// Every production check this configuration fails, in the order of the
    /// settings file; empty when it may serve in production.
    #[must_use]
    pub fn production_problems(&self, stored: &StoredSecrets) -> Vec<Problem> {
        let mut problems = Vec::new();
        webhook_secret(self, stored, &mut problems);
        if self.secrets.key.is_none() {
            problems.push(Problem {
                setting: "secrets.key",
                message: "missing: without it stored secrets cannot be sealed and the audit log is not keyed; make one with `gantry secrets generate-key` and set GANTRY_SECRETS__KEY".into(),
            });
        }
        for (setting, token) in [
            ("api.token", &self.api.token),
            ("metrics.token", &self.metrics.token),
        ] {
            short_token(setting, token.as_ref(), &mut problems);
        }
        if !self.web.secure_cookies && self.web.trusted_proxies.is_empty() {
            problems.push(Problem {
                setting: "web.secure_cookies",
                message: "false while web.trusted_proxies is empty: session cookies would travel without Secure over plain HTTP; serve over TLS and set web.secure_cookies = true, or list the TLS-terminating proxy in web.trusted_proxies so its X-Forwarded-Proto counts".into(),
            });
        }
        if self.worker.replicas > 1 && self.database_url().starts_with("sqlite:") {
            problems.push(Problem {
                setting: "worker.replicas",
                message: format!(
                    "{} replicas declared on SQLite, which one process alone may use: set database.url to PostgreSQL (postgres://...) for several replicas, or declare worker.replicas = 1",
                    self.worker.replicas
                ),
            });
        }
        problems
    }

    /// Refuses a production start while a check fails; development always passes.
    ///
    /// # Errors
    /// In production, when any check fails: every problem, one per line.
    pub fn check_production(&self, stored: &StoredSecrets) -> anyhow::Result<()> {
        if self.server.environment != Environment::Production {
            return Ok(());
        }
        let problems = self.production_problems(stored);
        if problems.is_empty() {
            return Ok(());
        }
        Err(anyhow::anyhow!(
            "refusing to start with server.environment = \"production\": {} problem{} (`gantry config check` prints this report)\n{}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            list(&problems)
        ))
    }
}

/// The problems as an indented list, one per line.
#[must_use]
pub fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn webhook_secret(settings: &Settings, stored: &StoredSecrets, problems: &mut Vec<Problem>) {
    if settings
        .webhook
        .secrets
        .iter()
        .any(|s| s.expose() == SANDBOX_WEBHOOK_SECRET)
    {
        problems.push(Problem {
            setting: "webhook.secrets",
            message: "the sandbox's well-known default secret is configured: anyone could sign deliveries; make one with `openssl rand -hex 32` and set it in GitHub and GANTRY_WEBHOOK_SECRET".into(),
        });
    }
    if !settings.webhook.secrets.is_empty() {
        return;
    }
    let message = match stored {
        StoredSecrets::Some => return,
        StoredSecrets::None => "none is set and none is stored: every delivery would be refused; set GANTRY_WEBHOOK_SECRET (`openssl rand -hex 32`, the same as the App's) or store one with `gantry secrets add`".to_owned(),
        StoredSecrets::Unknown(why) => format!("none is set, and whether one is stored could not be read ({why}): set GANTRY_WEBHOOK_SECRET or store one with `gantry secrets add`"),
    };
    problems.push(Problem {
        setting: "webhook.secrets",
        message,
    });
}

fn short_token(setting: &'static str, token: Option<&Secret>, problems: &mut Vec<Problem>) {
    let Some(token) = token else { return };
    let chars = token.expose().chars().count();
    if chars < MIN_TOKEN_CHARS {
        problems.push(Problem {
            setting,
            message: format!("{chars} characters, fewer than {MIN_TOKEN_CHARS}: a short bearer token can be guessed; make one with `openssl rand -hex 32`"),
        });
    }
}

#[cfg(test)]
#[path = "production_tests.rs"]
mod tests;
