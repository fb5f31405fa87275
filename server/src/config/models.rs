//! `[models]`: the language model providers the operator configures for plugins
//! that declare `model:<name>`. Each is named by its table (`[models.openai]`): kind
//! `rule-based` (built in, no network) or `openai-compatible` (a server speaking
//! OpenAI's chat completions API) with its base URL, model and timeout, the name of
//! its API key stored sealed with the plugin secrets (never the key itself), and its
//! prices in US dollars per million tokens. A provider named `rule-based` always
//! exists; configuring one by that name only sets its prices.
use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::bail;
use serde::{Deserialize, Serialize};

/// The name of the provider that always exists.
pub const RULE_BASED: &str = "rule-based";

/// The plugin name API keys of providers are stored for (`gantry secrets
/// plugin-set NAME --plugin _models --host HOST`): no plugin can have it, as plugin
/// names have no `_`, so no plugin can open them.
pub const KEY_OWNER: &str = "_models";

/// The kinds of provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    /// Built in, deterministic, no network.
    RuleBased,
    /// An OpenAI-compatible server.
    OpenaiCompatible,
}

impl ProviderKind {
    /// The kind as configured.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RuleBased => "rule-based",
            Self::OpenaiCompatible => "openai-compatible",
        }
    }
}

/// One configured provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    /// `rule-based` or `openai-compatible`.
    pub kind: ProviderKind,
    /// The API's base URL, up to and including `/v1`
    /// (`https://api.openai.com/v1`, `http://localhost:11434/v1`); openai-compatible
    /// only.
    #[serde(default)]
    pub base_url: String,
    /// The model asked for (`gpt-4o-mini`); openai-compatible only.
    #[serde(default)]
    pub model: String,
    /// How long one completion may take before it counts as a transient failure
    /// (the invocation's own deadline still applies).
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// The name of the API key, stored sealed with `gantry secrets plugin-set NAME
    /// --plugin _models --host HOST` (HOST being `base_url`'s); none for a server
    /// that needs no key.
    #[serde(default)]
    pub api_key_secret: Option<String>,
    /// US dollars per million prompt tokens (`0.15`).
    #[serde(default)]
    pub input_per_million: f64,
    /// US dollars per million completion tokens (`0.60`).
    #[serde(default)]
    pub output_per_million: f64,
}

fn default_timeout_secs() -> u64 {
    60
}

impl ProviderSettings {
    /// The built-in provider, free.
    #[must_use]
    pub fn rule_based() -> Self {
        Self {
            kind: ProviderKind::RuleBased,
            base_url: String::new(),
            model: String::new(),
            timeout_secs: default_timeout_secs(),
            api_key_secret: None,
            input_per_million: 0.0,
            output_per_million: 0.0,
        }
    }

    /// The timeout as a duration.
    #[must_use]
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    /// The host of `base_url`, which the API key's binding must name.
    #[must_use]
    pub fn host(&self) -> Option<String> {
        let url = reqwest::Url::parse(&self.base_url).ok()?;
        let host = url.host_str()?.to_ascii_lowercase();
        Some(match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        })
    }

    /// The prices in micro-dollars per million tokens, prompt and completion.
    #[must_use]
    pub fn prices(&self) -> Prices {
        // Checked finite and non-negative by `check`; at most a million dollars.
        let micros = |dollars: f64| (dollars * 1_000_000.0).round().clamp(0.0, 1e12) as u64;
        Prices {
            input_micros_per_million: micros(self.input_per_million),
            output_micros_per_million: micros(self.output_per_million),
        }
    }

    fn check(&self, name: &str) -> anyhow::Result<()> {
        for (what, price) in [
            ("input_per_million", self.input_per_million),
            ("output_per_million", self.output_per_million),
        ] {
            if !price.is_finite() || !(0.0..=1_000_000.0).contains(&price) {
                bail!("models.{name}.{what} must be a price in US dollars from 0 to 1000000");
            }
        }
        if self.timeout_secs == 0 || self.timeout_secs > 3600 {
            bail!("models.{name}.timeout_secs must be 1 to 3600");
        }
        match self.kind {
            ProviderKind::RuleBased => {
                if !self.base_url.is_empty()
                    || !self.model.is_empty()
                    || self.api_key_secret.is_some()
                {
                    bail!("models.{name}: a rule-based provider takes no base_url, model or api_key_secret");
                }
            }
            ProviderKind::OpenaiCompatible => {
                if name == RULE_BASED {
                    bail!("models.{RULE_BASED} is the built-in provider: its kind is rule-based");
                }
                let scheme_ok = reqwest::Url::parse(&self.base_url).is_ok_and(|u| {
                    matches!(u.scheme(), "http" | "https") && u.host_str().is_some()
                });
                if !scheme_ok {
                    bail!("models.{name}.base_url must be an http(s) URL such as https://api.openai.com/v1");
                }
                if self.model.trim().is_empty() {
                    bail!("models.{name}.model must name the model to ask for");
                }
                if let Some(secret) = &self.api_key_secret {
                    let ok = !secret.is_empty()
                        && secret.len() <= 128
                        && secret
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
                    if !ok {
                        bail!("models.{name}.api_key_secret must be the name of a stored secret (letters, digits, `-`, `_`, `.`), not the key itself");
                    }
                }
            }
        }
        Ok(())
    }
}

/// A model's prices, in micro-dollars (millionths of a US dollar) per million
/// tokens: a call costs `tokens * price / 1_000_000` micro-dollars, rounded up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Prices {
    /// Per million prompt tokens.
    pub input_micros_per_million: u64,
    /// Per million completion tokens.
    pub output_micros_per_million: u64,
}

impl Prices {
    /// What `prompt` and `completion` tokens cost, in micro-dollars, rounded up.
    #[must_use]
    pub fn cost_micros(&self, prompt: u64, completion: u64) -> u64 {
        let part =
            |tokens: u64, price: u64| (u128::from(tokens) * u128::from(price)).div_ceil(1_000_000);
        let total = part(prompt, self.input_micros_per_million)
            + part(completion, self.output_micros_per_million);
        u64::try_from(total).unwrap_or(u64::MAX)
    }
}

/// Checks every configured provider; the settings' `validate` calls it.
///
/// # Errors
/// The first provider that is not right, by its setting's path.
pub fn check(models: &BTreeMap<String, ProviderSettings>) -> anyhow::Result<()> {
    for (name, provider) in models {
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            bail!("models.{name}: a provider's name must be 1-64 lower case letters, digits or `-` (it is used as `model:{name}`)");
        }
        provider.check(name)?;
    }
    Ok(())
}

/// Every provider: the configured ones and `rule-based` (the configured one of that
/// name, else the free default).
#[must_use]
pub fn with_builtin(
    models: &BTreeMap<String, ProviderSettings>,
) -> BTreeMap<String, ProviderSettings> {
    let mut all = models.clone();
    all.entry(RULE_BASED.to_owned())
        .or_insert_with(ProviderSettings::rule_based);
    all
}

#[cfg(test)]
mod tests;
