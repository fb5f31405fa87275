//! The simulator's OpenAI-compatible stand-in as an operator configures a model
//! provider, shared by the model tests: its `[models]` entry pointing at the
//! simulator's `/v1` (priced, with its key named as a secret), and the key stored
//! sealed for `_models`, bound to the provider's host, as `gantry secrets` stores it.
use gantry_server::config::models::{ProviderKind, ProviderSettings, KEY_OWNER};
use gantry_server::config::Settings;
use gantry_server::secrets::plugin::{self as plugin_secrets, Binding, SecretId};

use crate::helpers::TestApp;

/// The secret the stand-in's key is stored under.
const KEY_SECRET: &str = "stand-in-key";

/// The stand-in answering as model `sim-small` at $0.15 and $0.60 per million tokens
/// in and out, giving up on an answer after `timeout_secs`.
pub fn provider(settings: &Settings, timeout_secs: u64) -> ProviderSettings {
    ProviderSettings {
        kind: ProviderKind::OpenaiCompatible,
        base_url: format!("{}/v1", settings.github.api_url),
        model: "sim-small".into(),
        timeout_secs,
        api_key_secret: Some(KEY_SECRET.into()),
        input_per_million: 0.15,
        output_per_million: 0.6,
    }
}

/// Makes `key` the one key the stand-in accepts and stores it sealed as the key of
/// provider `stand-in` (which `app`'s settings must configure).
pub async fn store_key(app: &TestApp, key: &str) {
    app.sim.set_model_keys(&[key]);
    let host = app.state.settings.models["stand-in"].host().unwrap();
    plugin_secrets::set(
        &app.state.db,
        app.state.settings.secrets.key.as_ref(),
        SecretId {
            plugin: KEY_OWNER,
            scope: "*",
            name: KEY_SECRET,
        },
        &Binding::new(&[host], &[]).unwrap(),
        key,
    )
    .await
    .unwrap();
}
