//! The providers plugins may ask, as the operator configured them (`[models]`,
//! `config::models`) plus the built-in `rule-based`: looked up by name, and made
//! ready for one call with the API key the caller opened. The key is never in the
//! settings: they name a secret stored sealed for `_models` (which no plugin can
//! be), and the host opens it (`wasm_host::host::model`) only when a call needs it
//! and only when its binding names [`KeyRef::host`].
use std::collections::BTreeMap;

use super::openai::OpenAi;
use super::rule_based::RuleBased;
use super::Provider;
use crate::config::models::{self, Prices, ProviderKind, ProviderSettings};
use crate::domain::Secret;

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

/// Where a provider's API key is kept and where it may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef<'a> {
    /// The name of the secret stored for `_models`.
    pub secret: &'a str,
    /// The provider's host (with `:port` when its URL names one): the secret's
    /// binding must name it.
    pub host: String,
}

/// Why a provider could not be made ready for a call.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// No provider of that name is configured.
    #[error("no model provider `{0}` is configured (see [models] in the settings)")]
    Unknown(String),
    /// Its key is missing or not usable, or its client cannot be built; the
    /// operator has to fix it.
    #[error("model provider `{provider}`: {why}")]
    Unusable {
        /// The provider.
        provider: String,
        /// What is wrong, never the key.
        why: String,
    },
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
        self.get(name)
            .map(ProviderSettings::prices)
            .unwrap_or_default()
    }

    /// Where the API key of provider `name` is, when it takes one.
    #[must_use]
    pub fn key_of(&self, name: &str) -> Option<KeyRef<'_>> {
        let settings = self.get(name)?;
        let secret = settings.api_key_secret.as_deref()?;
        (settings.kind == ProviderKind::OpenaiCompatible).then(|| KeyRef {
            secret,
            host: settings.host().unwrap_or_default(),
        })
    }

    /// Provider `name`, ready for a call with `key` (opened from [`Self::key_of`]),
    /// giving up after `timeout` at most.
    ///
    /// # Errors
    /// [`OpenError`]: unknown, a key it needs but was not given, or a client that
    /// cannot be built.
    pub fn open(
        &self,
        name: &str,
        key: Option<Secret>,
        timeout: std::time::Duration,
    ) -> Result<Provider, OpenError> {
        let settings = self
            .get(name)
            .ok_or_else(|| OpenError::Unknown(name.to_owned()))?;
        match settings.kind {
            ProviderKind::RuleBased => Ok(Provider::RuleBased(RuleBased)),
            ProviderKind::OpenaiCompatible => {
                let unusable = |why: String| OpenError::Unusable {
                    provider: name.to_owned(),
                    why,
                };
                if settings.api_key_secret.is_some() && key.is_none() {
                    return Err(unusable("its API key was not opened".into()));
                }
                OpenAi::new(
                    &settings.base_url,
                    &settings.model,
                    key,
                    settings.timeout().min(timeout),
                )
                .map(Provider::OpenAi)
                .map_err(|e| unusable(format!("its HTTP client cannot be built: {e}")))
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::{KeyRef, ModelProviders, OpenError};
    use crate::config::models::{ProviderKind, ProviderSettings};
    use crate::domain::Secret;
    use crate::model::Provider;

    fn configured() -> ModelProviders {
        let mut models = BTreeMap::new();
        models.insert(
            "openai".to_owned(),
            ProviderSettings {
                kind: ProviderKind::OpenaiCompatible,
                base_url: "https://api.openai.com/v1".into(),
                model: "gpt-4o-mini".into(),
                api_key_secret: Some("openai-key".into()),
                input_per_million: 0.15,
                ..ProviderSettings::rule_based()
            },
        );
        models.insert(
            "local".to_owned(),
            ProviderSettings {
                kind: ProviderKind::OpenaiCompatible,
                base_url: "http://127.0.0.1:11434/v1".into(),
                model: "llama3".into(),
                ..ProviderSettings::rule_based()
            },
        );
        ModelProviders::new(&models)
    }

    #[test]
    fn plugins_see_names_kinds_and_models_never_addresses() {
        let providers = configured();
        let infos: Vec<(String, ProviderKind, String)> = providers
            .infos()
            .map(|p| (p.name, p.kind, p.model))
            .collect();
        assert_eq!(
            infos,
            vec![
                (
                    "local".into(),
                    ProviderKind::OpenaiCompatible,
                    "llama3".into()
                ),
                (
                    "openai".into(),
                    ProviderKind::OpenaiCompatible,
                    "gpt-4o-mini".into()
                ),
                (
                    "rule-based".into(),
                    ProviderKind::RuleBased,
                    "rule-based".into()
                ),
            ]
        );
        assert_eq!(providers.prices("openai").input_micros_per_million, 150_000);
        assert_eq!(providers.prices("nowhere"), Default::default());
    }

    #[test]
    fn a_provider_that_takes_a_key_opens_only_with_it() {
        let providers = configured();
        assert_eq!(
            providers.key_of("openai"),
            Some(KeyRef {
                secret: "openai-key",
                host: "api.openai.com".into()
            })
        );
        assert_eq!(providers.key_of("local"), None);
        assert_eq!(providers.key_of("rule-based"), None);
        let second = Duration::from_secs(1);
        assert!(matches!(
            providers.open("openai", None, second),
            Err(OpenError::Unusable { .. })
        ));
        assert!(matches!(
            providers.open("openai", Some(Secret::new("sk-x")), second),
            Ok(Provider::OpenAi(_))
        ));
        assert!(matches!(
            providers.open("local", None, second),
            Ok(Provider::OpenAi(_))
        ));
        assert!(matches!(
            providers.open("rule-based", None, second),
            Ok(Provider::RuleBased(_))
        ));
        let unknown = providers.open("nowhere", None, second).unwrap_err();
        assert!(matches!(unknown, OpenError::Unknown(_)));
        assert!(unknown.to_string().contains("[models]"));
    }
}
