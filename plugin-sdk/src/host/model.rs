//! Language models through the host (WIT interface `model`): [`complete`] asks a
//! provider the operator configured for a completion, [`providers`] lists the ones
//! this plugin may ask. Asking `NAME` needs the capability `model:NAME`; the plugin
//! never sees a provider's address or key. A model error is its own type
//! ([`ModelError`]), which `?` turns into the SDK's [`crate::Error`]. With the
//! `fake-host` feature (natively) the fake host answers with scripted completions.
pub use crate::bindings::gantry::plugin::model::{
    Completion, Message, ModelError, ProviderInfo, ProviderKind, Request,
};

impl Message {
    /// A `system` message: the plugin's instructions to the model.
    #[must_use]
    pub fn system(content: &str) -> Self {
        Self {
            role: "system".to_owned(),
            content: content.to_owned(),
        }
    }

    /// A `user` message: the data the model works on (text from issues and pull
    /// requests goes here, never into the system message).
    #[must_use]
    pub fn user(content: &str) -> Self {
        Self {
            role: "user".to_owned(),
            content: content.to_owned(),
        }
    }
}

impl Request {
    /// A request to `provider` with `messages`, at most `max_tokens` in the answer,
    /// no schema.
    #[must_use]
    pub fn new(provider: &str, messages: Vec<Message>, max_tokens: u32) -> Self {
        Self {
            provider: provider.to_owned(),
            messages,
            max_tokens,
            json_schema: None,
        }
    }

    /// The same request asking for an answer that follows `schema` (a JSON schema).
    #[must_use]
    pub fn with_schema(mut self, schema: &serde_json::Value) -> Self {
        self.json_schema = Some(schema.to_string());
        self
    }
}

impl Completion {
    /// The answer parsed as JSON into `T` (for a request with a schema).
    ///
    /// # Errors
    /// When the answer is not JSON of that shape.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, crate::Error> {
        Ok(serde_json::from_str(&self.content)?)
    }
}

/// Asks `request.provider` for a completion.
///
/// # Errors
/// [`ModelError`]: denied (undeclared, the policy, no such provider), a budget that
/// would be passed, the provider's refusal, the provider unavailable for now (the
/// host retries the job: return the error), or an invalid request.
pub fn complete(request: &Request) -> Result<Completion, ModelError> {
    super::backend::model_complete(request)
}

/// The providers this plugin declares `model:<name>` for and the operator
/// configured, in name order.
#[must_use]
pub fn providers() -> Vec<ProviderInfo> {
    super::backend::model_providers()
}

/// The first of `preferred` this plugin may ask, else `rule-based` when it may,
/// else none: a plugin that works with any model picks its provider with this.
#[must_use]
pub fn pick(preferred: &[&str]) -> Option<ProviderInfo> {
    let available = providers();
    preferred
        .iter()
        .find_map(|name| available.iter().find(|p| p.name == *name).cloned())
        .or_else(|| available.iter().find(|p| p.name == "rule-based").cloned())
}
