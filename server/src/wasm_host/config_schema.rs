//! The configuration schema a plugin derives from the Rust type it reads its
//! configuration into (the SDK's `register_plugin!(P, config = T)`): the
//! `config-schema` export of `gantry:plugin@0.2.0`, called once when a component is
//! loaded (install, upgrade, start, `gantry plugin test`, `gantry plugin inspect`).
//! The call runs in a store of its own with no capabilities: WASI with nothing
//! granted (no files, network, environment or output), every Gantry import a trap,
//! the memory limit and the invocation deadline of an ordinary call. v0.1 has no
//! such export: its plugins' schemas are always written in the manifest.
//!
//! A derived schema fills the manifest's `config_schema` (a manifest that also
//! writes one is refused), and, when the manifest writes no `default_config`, the
//! defaults of its top-level properties (`#[serde(default)]`) become it.
use std::time::Instant;

use anyhow::{bail, Context};
use wasmtime::component::{Component, Linker, ResourceTable, WasmStr};
use wasmtime::{Store, StoreLimits, StoreLimitsBuilder, Trap, UpdateDeadline};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::call::PluginRuntime;
use super::manifest::Manifest;

/// The export's name.
const EXPORT: &str = "config-schema";

/// The longest schema taken from a plugin, in bytes.
pub const MAX_SCHEMA_BYTES: usize = 256 * 1024;

/// The state of the one call: a WASI context that grants nothing.
struct SchemaCall {
    wasi: WasiCtx,
    table: ResourceTable,
    limits: StoreLimits,
}

impl WasiView for SchemaCall {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl PluginRuntime {
    /// Calls the component's `config-schema` export and parses what it answers:
    /// `None` when the plugin derives no schema.
    ///
    /// # Errors
    /// When the call traps (a Gantry import, a panic, the memory limit) or passes
    /// the deadline, the export is missing, or the answer is too long, not JSON or
    /// not a JSON object; each message names the plugin and says what went wrong.
    pub(super) fn derived_config_schema(
        &self,
        component: &Component,
        plugin: &str,
    ) -> anyhow::Result<Option<serde_json::Value>> {
        let text = futures::executor::block_on(self.call_config_schema(component)).map_err(|err| {
            if err.downcast_ref::<Trap>() == Some(&Trap::Interrupt) {
                anyhow::anyhow!(
                    "plugin `{plugin}`: its `{EXPORT}` export did not answer within {} ms",
                    self.limits.timeout_ms
                )
            } else {
                anyhow::anyhow!(
                    "plugin `{plugin}`: its `{EXPORT}` export failed; it is called once at load, with no capabilities (no Gantry host call answers; WASI grants nothing): {err:#}"
                )
            }
        })?;
        let Some(text) = text else {
            return Ok(None);
        };
        let schema: serde_json::Value = serde_json::from_str(&text).with_context(|| {
            format!("plugin `{plugin}`: its `{EXPORT}` export did not answer JSON")
        })?;
        if !schema.is_object() {
            bail!("plugin `{plugin}`: its `{EXPORT}` export answered JSON that is not an object (a JSON schema is one)");
        }
        Ok(Some(schema))
    }

    /// One fresh instance in a store with no capabilities, its export called once.
    async fn call_config_schema(&self, component: &Component) -> wasmtime::Result<Option<String>> {
        // An instance slot of the pool, as every call takes; declared before the
        // store, so it is released after the instance is gone.
        let _slot = self.instance_slot().await;
        let mut linker = Linker::<SchemaCall>::new(self.engine());
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        linker.define_unknown_imports_as_traps(component)?;
        let state = SchemaCall {
            wasi: WasiCtxBuilder::new()
                .allow_tcp(false)
                .allow_udp(false)
                .allow_ip_name_lookup(false)
                .build(),
            table: ResourceTable::new(),
            limits: StoreLimitsBuilder::new()
                .memory_size(self.limits.memory_mib.saturating_mul(1024 * 1024))
                .build(),
        };
        let mut store = Store::new(self.engine(), state);
        store.limiter(|s| &mut s.limits);
        let deadline = Instant::now() + self.limits.timeout();
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            Ok(if Instant::now() >= deadline {
                UpdateDeadline::Interrupt
            } else {
                UpdateDeadline::Continue(1)
            })
        });
        let instance = linker.instantiate_async(&mut store, component).await?;
        let export = instance.get_typed_func::<(), (Option<WasmStr>,)>(&mut store, EXPORT)?;
        let (answer,) = export.call_async(&mut store, ()).await?;
        let Some(text) = answer else {
            return Ok(None);
        };
        let text = text.to_str(&store)?;
        if text.len() > MAX_SCHEMA_BYTES {
            return Err(wasmtime::Error::msg(format!(
                "its schema is {} bytes, more than the {MAX_SCHEMA_BYTES} taken",
                text.len()
            )));
        }
        Ok(Some(text.into_owned()))
    }
}

impl Manifest {
    /// The manifest with the schema its plugin derives (`None`: unchanged). When
    /// it writes no `default_config`, the defaults of the schema's top-level
    /// properties become it, so install merges them as it merges written ones.
    /// `default: null` annotations (an `Option` field's) are dropped: a manifest
    /// is stored as TOML, which has no null.
    ///
    /// # Errors
    /// When the manifest also writes a `config_schema` (one source of truth: the
    /// message says which to remove), or the schema holds a null elsewhere.
    pub fn with_derived_schema(self, derived: Option<serde_json::Value>) -> anyhow::Result<Self> {
        let Some(mut schema) = derived else {
            return Ok(self);
        };
        if self.config_schema.is_some() {
            bail!(
                "plugin `{}` has two configuration schemas: one derived from its Rust type (`register_plugin!(..., config = T)`) and one written in the `[config_schema]` table of gantry-plugin.toml; keep one: delete the `[config_schema]` table, or register the plugin without `config = T`",
                self.name
            );
        }
        drop_null_defaults(&mut schema);
        if let Some(at) = first_null(&schema, String::new()) {
            bail!(
                "plugin `{}`: its derived configuration schema holds null at `{at}`, which a manifest (TOML) cannot store; describe that value without null (for example `#[schemars(with = ...)]`, or a default instead of an `Option`)",
                self.name
            );
        }
        let default_config = self.default_config.or_else(|| defaults_of(&schema));
        Ok(Self {
            config_schema: Some(schema),
            default_config,
            ..self
        })
    }
}

/// The defaults of an object schema's top-level properties, as one object; `None`
/// when none has one.
fn defaults_of(schema: &serde_json::Value) -> Option<serde_json::Value> {
    let properties = schema.get("properties")?.as_object()?;
    let defaults: serde_json::Map<String, serde_json::Value> = properties
        .iter()
        .filter_map(|(name, property)| Some((name.clone(), property.get("default")?.clone())))
        .collect();
    (!defaults.is_empty()).then_some(serde_json::Value::Object(defaults))
}

/// Removes every `"default": null`, at any depth.
fn drop_null_defaults(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(fields) => {
            if fields
                .get("default")
                .is_some_and(serde_json::Value::is_null)
            {
                fields.remove("default");
            }
            fields.values_mut().for_each(drop_null_defaults);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_null_defaults),
        _ => {}
    }
}

/// Where the first null is, as a JSON pointer.
fn first_null(value: &serde_json::Value, at: String) -> Option<String> {
    match value {
        serde_json::Value::Null => Some(at),
        serde_json::Value::Object(fields) => fields
            .iter()
            .find_map(|(key, v)| first_null(v, format!("{at}/{key}"))),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| first_null(v, format!("{at}/{i}"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn manifest(
        written: Option<serde_json::Value>,
        defaults: Option<serde_json::Value>,
    ) -> Manifest {
        let mut m: Manifest = toml::from_str("name = \"t\"\nversion = \"0.1.0\"").unwrap();
        m.config_schema = written;
        m.default_config = defaults;
        m
    }

    fn derived() -> serde_json::Value {
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object",
            "properties": {
                "labels": {"type": "array", "items": {"type": "string"}, "default": ["triage"]},
                "limit": {"type": "integer", "default": 3},
                "note": {"type": ["string", "null"], "default": null},
                "free": {"type": "boolean"}
            }
        })
    }

    #[test]
    fn a_derived_schema_fills_the_manifest_and_its_defaults_become_the_default_config() {
        let m = manifest(None, None)
            .with_derived_schema(Some(derived()))
            .unwrap();
        let schema = m.config_schema.unwrap();
        assert_eq!(schema["properties"]["limit"]["default"], 3);
        assert!(
            schema["properties"]["note"].get("default").is_none(),
            "{schema}"
        );
        assert_eq!(
            m.default_config,
            Some(json!({"labels": ["triage"], "limit": 3}))
        );

        let written = json!({"limit": 5});
        let m = manifest(None, Some(written.clone()))
            .with_derived_schema(Some(derived()))
            .unwrap();
        assert_eq!(
            m.default_config,
            Some(written),
            "a written default_config wins"
        );
        let unchanged = manifest(Some(json!({"type": "object"})), None);
        assert_eq!(
            unchanged.clone().with_derived_schema(None).unwrap(),
            unchanged
        );
    }

    #[test]
    fn a_schema_both_derived_and_written_is_refused_naming_the_fix() {
        let err = manifest(Some(json!({"type": "object"})), None)
            .with_derived_schema(Some(derived()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("two configuration schemas"), "{err}");
        assert!(err.contains("delete the `[config_schema]` table"), "{err}");
    }

    #[test]
    fn a_null_the_manifest_store_cannot_hold_is_refused_saying_where() {
        let schema = json!({"type": "object", "properties": {"k": {"enum": ["a", null]}}});
        let err = manifest(None, None)
            .with_derived_schema(Some(schema))
            .unwrap_err()
            .to_string();
        assert!(err.contains("null at `/properties/k/enum/1`"), "{err}");
    }
}
