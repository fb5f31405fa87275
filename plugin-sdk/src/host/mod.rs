//! The host's imports, one module per WIT interface, each answering the SDK's
//! [`crate::Error`] (`model` its own typed error, which converts to it): `github`,
//! `git` and `model` in their own files, the small interfaces here, with helpers that make the common cases one call (JSON in KV, a plain GET,
//! the configuration as a struct, logging by level).
//!
//! Every call crosses into the host, which checks the plugin's declared
//! capabilities and the operator's policy before acting; see each WIT interface in
//! `wit/v0.2/` for the capability a function needs.
//!
//! Every call passes one seam, `backend`: the real imports on wasm32 (and natively
//! without the `fake-host` feature), or natively with `fake-host` the thread-local
//! fake host of `crate::fake`, which records each call and answers it.
use serde_json::Value;

mod backend;
pub mod git;
pub mod github;
pub mod model;

pub(crate) use backend::call;

/// Arguments by name, as the fake host records them.
pub(crate) fn args(named: &[(&str, Value)]) -> Value {
    Value::Object(
        named
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect(),
    )
}

/// One argument as JSON (`null` for what does not serialise).
pub(crate) fn arg<T: serde::Serialize + ?Sized>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// Secrets as handles whose values the plugin never sees (WIT interface `secrets`).
/// Opening `name` needs the capability `secrets:<name>`.
pub mod secrets {
    pub use crate::bindings::gantry::plugin::secrets::Secret;
    use crate::Error;

    /// Opens the secret called `name` (the repository's, else the global one).
    ///
    /// # Errors
    /// `not-found` when neither exists; `denied` without the capability.
    pub fn open(name: &str) -> Result<Secret, Error> {
        Ok(super::backend::secrets_open(name)?)
    }
}

/// The plugin's key-value store for the event's repository (WIT interface `kv`).
pub mod kv {
    use super::backend;
    use crate::{Context, Error};

    /// The value of `key`, or `None` when it is not set.
    ///
    /// # Errors
    /// The host's refusal or the store's failure.
    pub fn get(key: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(backend::kv_get(key)?)
    }

    /// Sets `key` to `value`.
    ///
    /// # Errors
    /// The host's refusal, a value over the cap, or the store's failure.
    pub fn set(key: &str, value: &[u8]) -> Result<(), Error> {
        Ok(backend::kv_set(key, value)?)
    }

    /// Removes `key`; whether it was set.
    ///
    /// # Errors
    /// The host's refusal or the store's failure.
    pub fn delete(key: &str) -> Result<bool, Error> {
        Ok(backend::kv_delete(key)?)
    }

    /// The keys that start with `prefix`, in byte order, at most 1,000.
    ///
    /// # Errors
    /// The host's refusal or the store's failure.
    pub fn list_keys(prefix: &str) -> Result<Vec<String>, Error> {
        Ok(backend::kv_list_keys(prefix)?)
    }

    /// Reads `key` as JSON; `None` when it is not set or does not parse as `T`.
    ///
    /// # Errors
    /// The host's refusal or the store's failure.
    pub fn get_json<T: serde::de::DeserializeOwned>(key: &str) -> Result<Option<T>, Error> {
        Ok(get(key)
            .with_context(|| format!("reading `{key}` from KV"))?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok()))
    }

    /// Stores `value` under `key` as JSON.
    ///
    /// # Errors
    /// The host's refusal, a value over the cap, or the store's failure.
    pub fn set_json<T: serde::Serialize>(key: &str, value: &T) -> Result<(), Error> {
        let bytes = serde_json::to_vec(value)?;
        set(key, &bytes).with_context(|| format!("writing `{key}` to KV"))
    }
}

/// Outbound HTTP to declared hosts (WIT interface `http`).
pub mod http {
    use crate::bindings::gantry::plugin::http as wit;
    pub use crate::bindings::gantry::plugin::http::{
        Header, Method, Request, Response, SecretHeader,
    };
    use crate::Error;

    /// Sends `request` with `secret_headers` added. Any status is a response.
    ///
    /// # Errors
    /// The host's refusal (an undeclared host), an unreachable server or the
    /// deadline.
    pub fn fetch(
        request: &Request,
        secret_headers: &[SecretHeader<'_>],
    ) -> Result<Response, Error> {
        let secret_names: Vec<&str> = secret_headers.iter().map(|h| h.name.as_str()).collect();
        Ok(super::call(
            "http.fetch",
            || {
                super::args(&[
                    ("request", super::arg(request)),
                    ("secret_headers", super::arg(&secret_names)),
                ])
            },
            || wit::fetch(request, secret_headers),
        )?)
    }

    /// A plain GET of `url` with no extra headers.
    ///
    /// # Errors
    /// As [`fetch`].
    pub fn get(url: &str) -> Result<Response, Error> {
        fetch(
            &Request {
                method: Method::Get,
                url: url.to_owned(),
                headers: Vec::new(),
                body: None,
            },
            &[],
        )
    }
}

/// Counters and gauges on the host's Prometheus endpoint (WIT interface `metrics`).
pub mod metrics {
    /// Adds `value` to the counter `name` with label `label`.
    pub fn counter_add(name: &str, label: &str, value: u64) {
        super::backend::counter_add(name, label, value);
    }

    /// Sets the gauge `name` with label `label` to `value`.
    pub fn gauge_set(name: &str, label: &str, value: f64) {
        super::backend::gauge_set(name, label, value);
    }
}

/// The plugin's configuration for the current project (WIT interface `config`).
pub mod config {
    use crate::{Context, Error};

    /// The configuration (already checked by the host against the manifest's
    /// schema) as JSON text.
    #[must_use]
    pub fn raw() -> String {
        super::backend::config_get()
    }

    /// Reads the configuration into `T`.
    ///
    /// # Errors
    /// When the configuration does not have the shape `T` expects.
    pub fn get<T: serde::de::DeserializeOwned>() -> Result<T, Error> {
        serde_json::from_str(&raw()).context("invalid config")
    }
}

/// Log lines that land in the host's log and the invocation's record (WIT
/// interface `log`). The [`crate::info!`], [`crate::debug!`], [`crate::warn!`] and
/// [`crate::error!`] macros take format arguments.
pub mod log {
    pub use crate::bindings::gantry::plugin::log::Level;

    use super::backend::log_write as write;

    /// Logs `message` at `level`.
    pub fn log(level: Level, message: &str) {
        write(level, message);
    }
    /// Logs at debug level.
    pub fn debug(message: &str) {
        write(Level::Debug, message);
    }
    /// Logs at info level.
    pub fn info(message: &str) {
        write(Level::Info, message);
    }
    /// Logs at warn level.
    pub fn warn(message: &str) {
        write(Level::Warn, message);
    }
    /// Logs at error level.
    pub fn error(message: &str) {
        write(Level::Error, message);
    }
}
