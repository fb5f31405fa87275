//! A secret string that never shows itself in `Debug`, `Display`, serialized output
//! or logs, the minimum length of a webhook secret and the sandbox's well-known one.
use serde::{Deserialize, Serialize};

/// The shortest webhook secret accepted (configured or stored): an HMAC key shorter
/// than this is guessable offline from one signed delivery.
pub const MIN_WEBHOOK_SECRET_BYTES: usize = 32;

/// The webhook secret `gantry sandbox` uses when `GANTRY_WEBHOOK_SECRET` is not set:
/// well known, so a production start refuses it (`config::production`).
pub const SANDBOX_WEBHOOK_SECRET: &str = "gantry-sandbox";

/// A secret value (webhook secret, token). `Debug` prints `Secret(***)` and
/// serializing writes `"***"`, so no settings dump or trace can carry the value; it
/// is only reachable through [`Secret::expose`], which makes every use easy to audit.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("***")
    }
}

impl Secret {
    /// Wraps a secret value.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself. Never log what this returns.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_output_hides_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert!(!format!("{:?}", vec![s]).contains("hunter2"));
    }

    #[test]
    fn serialized_output_hides_the_value() {
        let s = Secret::new("hunter2");
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""***""#);
        assert_eq!(
            toml::to_string(
                &[("k", &s)]
                    .into_iter()
                    .collect::<std::collections::BTreeMap<_, _>>()
            )
            .unwrap()
            .trim(),
            r#"k = "***""#
        );
    }
}
