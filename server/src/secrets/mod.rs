//! Stored secrets, sealed with `secrets.key`: webhook secrets by scope and whether a
//! delivery's signature is acceptable (`webhook`), and secrets for plugins, bound to
//! the plugin, scope and hosts they may be sent to (`plugin`), and the GitHub App
//! registered from the dashboard (`app`). Below the wasm host, which opens plugin
//! secrets for the HTTP host call.
pub mod app;
pub mod plugin;
pub mod webhook;

pub use webhook::{SecretError, WebhookSecrets};
