//! Where host calls go: the real imports on wasm32 (and natively without the
//! `fake-host` feature), or natively with `fake-host` the thread-local fake host of
//! `crate::fake`, which records each call and answers it. One module of each, with
//! the same functions; the wrappers in `host` call only these.
#[cfg(not(all(feature = "fake-host", not(target_arch = "wasm32"))))]
pub(crate) use real::*;

#[cfg(all(feature = "fake-host", not(target_arch = "wasm32")))]
pub(crate) use fake::*;

/// The real imports.
#[cfg(not(all(feature = "fake-host", not(target_arch = "wasm32"))))]
mod real {
    use serde::de::DeserializeOwned;
    use serde_json::Value;

    use crate::bindings::gantry::plugin::{config, kv, log, metrics, model, secrets};
    use crate::HostError;

    /// Makes the call `real`; `name` and `args` are for the fake host only.
    pub(crate) fn call<T: DeserializeOwned>(
        name: &str,
        args: impl FnOnce() -> Value,
        real: impl FnOnce() -> Result<T, HostError>,
    ) -> Result<T, HostError> {
        let _ = (name, args);
        real()
    }

    pub(crate) fn kv_get(key: &str) -> Result<Option<Vec<u8>>, HostError> {
        kv::get(key)
    }

    pub(crate) fn kv_set(key: &str, value: &[u8]) -> Result<(), HostError> {
        kv::set(key, value)
    }

    pub(crate) fn kv_delete(key: &str) -> Result<bool, HostError> {
        kv::delete(key)
    }

    pub(crate) fn kv_list_keys(prefix: &str) -> Result<Vec<String>, HostError> {
        kv::list_keys(prefix)
    }

    pub(crate) fn secrets_open(name: &str) -> Result<secrets::Secret, HostError> {
        secrets::open(name)
    }

    pub(crate) fn counter_add(name: &str, label: &str, value: u64) {
        metrics::counter_add(name, label, value);
    }

    pub(crate) fn gauge_set(name: &str, label: &str, value: f64) {
        metrics::gauge_set(name, label, value);
    }

    pub(crate) fn config_get() -> String {
        config::get()
    }

    pub(crate) fn model_complete(
        request: &model::Request,
    ) -> Result<model::Completion, model::ModelError> {
        model::complete(request)
    }

    pub(crate) fn model_providers() -> Vec<model::ProviderInfo> {
        model::providers()
    }

    pub(crate) fn log_write(level: log::Level, message: &str) {
        log::write(level, message);
    }
}

/// The fake host's answers.
#[cfg(all(feature = "fake-host", not(target_arch = "wasm32")))]
mod fake {
    use serde::de::DeserializeOwned;
    use serde_json::{json, Value};

    use crate::bindings::gantry::plugin::{log, model, secrets};
    use crate::fake::{answer, kv, record};
    use crate::HostError;

    /// Records the call `name` with `args` and answers what the test scripted.
    pub(crate) fn call<T: DeserializeOwned>(
        name: &str,
        args: impl FnOnce() -> Value,
        real: impl FnOnce() -> Result<T, HostError>,
    ) -> Result<T, HostError> {
        let _ = real;
        answer(name, args())
    }

    pub(crate) fn kv_get(key: &str) -> Result<Option<Vec<u8>>, HostError> {
        Ok(kv::get(key))
    }

    pub(crate) fn kv_set(key: &str, value: &[u8]) -> Result<(), HostError> {
        kv::set(key, value);
        Ok(())
    }

    pub(crate) fn kv_delete(key: &str) -> Result<bool, HostError> {
        Ok(kv::delete(key))
    }

    pub(crate) fn kv_list_keys(prefix: &str) -> Result<Vec<String>, HostError> {
        Ok(kv::list_keys(prefix))
    }

    /// The fake host keeps no secrets: a secret is a host resource.
    pub(crate) fn secrets_open(name: &str) -> Result<secrets::Secret, HostError> {
        record("secrets.open", json!({ "name": name }));
        Err(HostError::NotFound(format!(
            "the fake host keeps no secrets ({name})"
        )))
    }

    pub(crate) fn counter_add(name: &str, label: &str, value: u64) {
        let args = json!({ "name": name, "label": label, "value": value });
        record("metrics.counter-add", args);
    }

    pub(crate) fn gauge_set(name: &str, label: &str, value: f64) {
        let args = json!({ "name": name, "label": label, "value": value });
        record("metrics.gauge-set", args);
    }

    pub(crate) fn config_get() -> String {
        crate::fake::config()
    }

    pub(crate) fn model_complete(
        request: &model::Request,
    ) -> Result<model::Completion, model::ModelError> {
        crate::fake::model::complete(request)
    }

    pub(crate) fn model_providers() -> Vec<model::ProviderInfo> {
        crate::fake::model::providers()
    }

    pub(crate) fn log_write(level: log::Level, message: &str) {
        let level = match level {
            log::Level::Trace => "TRACE",
            log::Level::Debug => "DEBUG",
            log::Level::Info => "INFO",
            log::Level::Warn => "WARN",
            log::Level::Error => "ERROR",
        };
        record("log.write", json!({ "level": level, "message": message }));
    }
}
