//! The providers plugins may ask, as the operator configured them (`[models]`,
//! `config::models`) plus the built-in `rule-based`: looked up by name, and made
//! ready for one call. An openai-compatible provider's API key is opened from the
//! sealed plugin secrets (stored for `_models`, which no plugin can be) only when a
//! call needs it, and only when its binding names the provider's host: a key is
//! never in the settings, and never goes anywhere its binding does not allow.
use std::collections::BTreeMap;

use sea_orm::DatabaseConnection;

use super::openai::OpenAi;
use super::rule_based::RuleBased;
use super::Provider;
use crate::config::models::{self, Prices, ProviderKind, ProviderSettings, KEY_OWNER};
use crate::crypto::SecretBox;

/// The providers of this process, by name.
#[derive(Debug, Clone, Default)]
pub struct ModelProviders {
    entries: BTreeMap<String, ProviderSettings>,
}

/// One provider as a plugin sees it: never its address or key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderInfo {
    /// Its name, as in `model:<name>`.
    pub name: String,
    /// Its kind.
    pub kind: ProviderKind,
    /// The model it asks for (`rule-based` for the built-in one).
    pub model: String,
}

/// Why a provider could not be made ready for a call.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// No provider of that name is configured.
    #[error("no model provider `{0}` is configured (see [models] in the settings)")]
    Unknown(String),
    /// Its key is missing, cannot be opened, or is not bound to its host; the
    /// operator has to fix it.
    #[error("model provider `{provider}`: {why}")]
    Key {
        /// The provider.
        provider: String,
        /// What is wrong, never the key.
        why: String,
    },
    /// The secrets store could not be read; a retry may succeed.
    #[error("the API key of model provider `{0}` could not be read: the database failed")]
    Storage(String),
}

impl ModelProviders {
    /// The providers of the settings, with `rule-based`.
    #[must_use]
    pub fn new(configured: &BTreeMap<String, ProviderSettings>) -> Self {
        Self {
            entries: models::with_builtin(configured),
        }
    }

    /// The settings of provider `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&ProviderSettings> {
        self.entries.get(name)
    }

    /// What a plugin may know of each provider, in name order.
    pub fn infos(&self) -> impl Iterator<Item = ProviderInfo> + '_ {
        self.entries.iter().map(|(name, p)| ProviderInfo {
            name: name.clone(),
            kind: p.kind,
            model: model_name(p),
        })
    }

    /// The prices of provider `name` (free when unknown).
    #[must_use]
    pub fn prices(&self, name: &str) -> Prices {
        self.get(name).map(ProviderSettings::prices).unwrap_or_default()
    }

    /// Provider `name`, ready for a call on behalf of `project` (whose own stored
    /// key wins over the global one), giving up after `timeout` at most.
    ///
    /// # Errors
    /// [`OpenError`]: unknown, a key that is missing or not bound to the provider's
    /// host, or a storage failure.
    pub async fn open(
        &self,
        name: &str,
        db: &DatabaseConnection,
        sealer: Option<&SecretBox>,
        project: &str,
        timeout: std::time::Duration,
    ) -> Result<Provider, OpenError> {
        let settings = self
            .get(name)
            .ok_or_else(|| OpenError::Unknown(name.to_owned()))?;
        match settings.kind {
            ProviderKind::RuleBased => Ok(Provider::RuleBased(RuleBased)),
            ProviderKind::OpenaiCompatible => {
                let key_error = |why: String| OpenError::Key {
                    provider: name.to_owned(),
                    why,
                };
                let key = match &settings.api_key_secret {
                    None => None,
                    Some(secret) => {
                        let opened = crate::secrets::plugin::open(db, sealer, KEY_OWNER, project, secret)
                            .await
                            .map_err(|e| match e {
                                crate::secrets::SecretError::Database(_) => OpenError::Storage(name.to_owned()),
                                other => key_error(format!("its API key `{secret}` cannot be opened ({other})")),
                            })?
                            .ok_or_else(|| key_error(format!("its API key `{secret}` is not stored: `gantry secrets plugin-set {secret} --plugin {KEY_OWNER} --host HOST` reads it from standard input")))?;
                        let host = settings.host().unwrap_or_default();
                        if !opened.binding.allows(&host, "authorization") {
                            return Err(key_error(format!(
                                "its API key `{secret}` may be sent only to {}, not to {host}",
                                opened.binding.hosts.join(", ")
                            )));
                        }
                        Some(opened.value)
                    }
                };
                OpenAi::new(
                    &settings.base_url,
                    &settings.model,
                    key,
                    settings.timeout().min(timeout),
                )
                .map(Provider::OpenAi)
                .map_err(|e| key_error(format!("its HTTP client cannot be built: {e}")))
            }
        }
    }
}

/// The model a provider asks for.
fn model_name(settings: &ProviderSettings) -> String {
    match settings.kind {
        ProviderKind::RuleBased => "rule-based".to_owned(),
        ProviderKind::OpenaiCompatible => settings.model.clone(),
    }
}
