//! The host's imports, one module per WIT interface: the generated functions and
//! types re-exported under short paths, plus a few helpers that make the common
//! cases one call (JSON in KV, a plain GET, logging by level).
//!
//! Every call crosses into the host, which checks the plugin's declared
//! capabilities and the operator's policy before acting; see each WIT interface in
//! `wit/v0.1/` for the capability a function needs.

/// Typed GitHub calls on the event's repository (WIT interface `github`).
pub mod github {
    pub use crate::bindings::gantry::plugin::github::*;
}

/// git working copies that live in the host (WIT interface `git`).
pub mod git {
    pub use crate::bindings::gantry::plugin::git::*;
}

/// Secrets as handles whose values the plugin never sees (WIT interface `secrets`).
pub mod secrets {
    pub use crate::bindings::gantry::plugin::secrets::*;
}

/// The plugin's key-value store for the event's repository (WIT interface `kv`).
pub mod kv {
    pub use crate::bindings::gantry::plugin::kv::*;

    /// Reads `key` as JSON; `None` when it is not set or does not parse as `T`.
    ///
    /// # Errors
    /// A [`HostError`] when the policy refuses or the store fails.
    pub fn get_json<T: serde::de::DeserializeOwned>(key: &str) -> Result<Option<T>, HostError> {
        Ok(get(key)?.and_then(|bytes| serde_json::from_slice(&bytes).ok()))
    }

    /// Stores `value` under `key` as JSON.
    ///
    /// # Errors
    /// A [`HostError`] when the policy refuses, the value is over the cap, or the
    /// store fails.
    pub fn set_json<T: serde::Serialize>(key: &str, value: &T) -> Result<(), HostError> {
        let bytes = serde_json::to_vec(value).map_err(|e| HostError::Invalid(e.to_string()))?;
        set(key, &bytes)
    }
}

/// Outbound HTTP to declared hosts (WIT interface `http`).
pub mod http {
    pub use crate::bindings::gantry::plugin::http::*;

    /// A plain GET of `url` with no extra headers.
    ///
    /// # Errors
    /// A [`HostError`] when the host is not declared or allowed, or unreachable.
    pub fn get(url: &str) -> Result<Response, HostError> {
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
    pub use crate::bindings::gantry::plugin::metrics::*;
}

/// The plugin's configuration for the current project (WIT interface `config`).
pub mod config {
    /// Reads the configuration (already validated by the host) into `T`.
    ///
    /// # Errors
    /// When the configuration does not have the shape `T` expects.
    pub fn get<T: serde::de::DeserializeOwned>() -> Result<T, serde_json::Error> {
        serde_json::from_str(&crate::bindings::gantry::plugin::config::get())
    }
}

/// Log lines that land in the host's log and the invocation's record (WIT
/// interface `log`).
pub mod log {
    use crate::bindings::gantry::plugin::log::{write, Level};

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
