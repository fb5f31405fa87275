//! Building the plugin runtime (engine and linker, once; the type and its calls are
//! in `call`), loading a plugin (compiled once, pre-instantiated, its manifest
//! completed with the schema it derives, with its configuration) and the registry
//! of the plugins loaded at start.
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};
use wasmtime::component::{Component, HasSelf, InstancePre, Linker};
use wasmtime::Engine;

use super::bindings::gantry::plugin::{
    config, git, github, http, kv, metrics, model, secrets, types,
};
use super::bindings::PluginPre;
use super::cache::ComponentCache;
use super::call::PluginRuntime;
use super::engine;
use super::host::CallData;
use super::manifest::Manifest;
use super::v0_1::bindings::PluginPre as V0_1PluginPre;
use crate::config::Limits;

/// A plugin ready to run.
pub struct LoadedPlugin {
    /// What it declares.
    pub manifest: Manifest,
    /// SHA-256 of the component, hex.
    pub digest: String,
    /// The SDK version it was built with, when it says.
    pub sdk_version: Option<String>,
    /// The declared capabilities, as a set.
    pub capabilities: Arc<HashSet<String>>,
    /// Its configuration, as JSON.
    pub config_json: Arc<str>,
    /// The component's bytes, as loaded (what is stored when it is installed).
    pub component: Arc<[u8]>,
    pub(crate) pre: InstancePre<CallData>,
}

impl std::fmt::Debug for LoadedPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedPlugin")
            .field("name", &self.manifest.name)
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

impl PluginRuntime {
    /// Builds the engine, starts its epoch ticker and links the host imports.
    ///
    /// # Errors
    /// When wasmtime rejects the configuration or the imports.
    pub fn new(limits: Limits) -> anyhow::Result<Self> {
        let engine = engine::build(&limits)?;
        engine::start_ticker(&engine, Duration::from_millis(limits.epoch_tick_ms));
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)
            .map_err(anyhow::Error::from)
            .context("linking WASI")?;
        link_host(&mut linker)
            .map_err(anyhow::Error::from)
            .context("linking Gantry's host imports")?;
        let slots = Arc::new(tokio::sync::Semaphore::new(
            usize::try_from(limits.pool_instances.max(1)).unwrap_or(1),
        ));
        Ok(Self {
            engine,
            linker: Arc::new(linker),
            limits,
            cache: None,
            slots,
        })
    }

    /// Keeps compiled plugins in `dir`, authenticated with a key derived from
    /// `secrets_key`, so loading them again skips compilation. Without a key nothing
    /// is cached on disk (compiled code read back unauthenticated could run as
    /// native code).
    #[must_use]
    pub fn with_cache(
        mut self,
        dir: impl Into<std::path::PathBuf>,
        secrets_key: Option<&crate::domain::Secret>,
    ) -> Self {
        self.cache = ComponentCache::new(dir, secrets_key);
        if self.cache.is_none() {
            tracing::info!("no usable secrets.key: compiled plugins are not cached on disk");
        }
        self
    }

    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Waits for a free instance slot; the instance must be dropped before the
    /// permit is.
    pub(crate) async fn instance_slot(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        // The semaphore is never closed; `None` would only mean running unbounded.
        self.slots.acquire().await.ok()
    }

    /// The limits applied to every invocation.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Checks that the component speaks a served WIT version, reads the manifest,
    /// compiles the component, checks its imports and exports against the host's
    /// and fills the manifest's `config_schema` from the plugin's `config-schema`
    /// export when it derives one (see the `config_schema` module). `config` overrides the
    /// manifest's default configuration.
    ///
    /// # Errors
    /// When the component speaks a WIT version this host does not serve (the
    /// message names those it serves), the manifest is missing or invalid, the
    /// component does not compile, needs imports the host does not provide or
    /// lacks an export of its version's world, its `config-schema` export fails, or
    /// it both derives a schema and writes one in its manifest.
    pub fn load(
        &self,
        bytes: &[u8],
        config: Option<&serde_json::Value>,
    ) -> anyhow::Result<LoadedPlugin> {
        let version = super::wit_version::served_version(bytes)?;
        let v0_1 = version.as_deref() == Some("0.1.0");
        let (manifest, sdk_version) = Manifest::from_component(bytes)?;
        let digest = hex::encode(Sha256::digest(bytes));
        let component = match &self.cache {
            Some(cache) => cache.load_or_compile(&self.engine, bytes, &digest),
            None => Component::from_binary(&self.engine, bytes).map_err(anyhow::Error::from),
        }
        .with_context(|| format!("compiling plugin `{}`", manifest.name))?;
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(anyhow::Error::from)
            .with_context(|| {
                format!(
                    "plugin `{}` needs imports this host does not provide",
                    manifest.name
                )
            })?;
        // The exports of the version it speaks (v0.1 has no `config-schema`).
        let exports = if v0_1 {
            V0_1PluginPre::new(instance_pre.clone()).map(drop)
        } else {
            PluginPre::new(instance_pre.clone()).map(drop)
        };
        exports.map_err(anyhow::Error::from).with_context(|| {
            format!(
                "plugin `{}` does not export the gantry:plugin@{} world",
                manifest.name,
                version.as_deref().unwrap_or(super::wit_version::CURRENT)
            )
        })?;
        let derived = if v0_1 {
            None
        } else {
            self.derived_config_schema(&component, &manifest.name)?
        };
        let manifest = manifest.with_derived_schema(derived)?;
        let config = config
            .cloned()
            .or_else(|| manifest.default_config.clone())
            .unwrap_or_else(|| serde_json::json!({}));
        Ok(LoadedPlugin {
            digest,
            sdk_version,
            capabilities: Arc::new(manifest.capabilities.iter().cloned().collect()),
            config_json: Arc::from(config.to_string()),
            component: Arc::from(bytes),
            manifest,
            pre: instance_pre,
        })
    }
}

/// Links every host interface of every served version: the current world's `log`
/// by hand (it reads strings as views, see `host::log`), its others through the
/// generated bindings, then v0.1's through its adapter (`v0_1`).
fn link_host(linker: &mut Linker<CallData>) -> wasmtime::Result<()> {
    types::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    config::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    github::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    git::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    kv::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    secrets::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    http::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    metrics::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    model::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    super::host::log::add_to_linker(linker)?;
    super::v0_1::link(linker)
}

/// The plugins loaded in this process.
#[derive(Debug, Default, Clone)]
pub struct PluginRegistry {
    plugins: Vec<Arc<LoadedPlugin>>,
}

impl PluginRegistry {
    /// Loads every `*.wasm` in `dir`, in file-name order, with per-plugin
    /// configuration from `configs`.
    ///
    /// # Errors
    /// When the directory cannot be read, a plugin fails to load, or two plugins
    /// share a name.
    pub fn load_dir(
        runtime: &PluginRuntime,
        dir: &Path,
        configs: &BTreeMap<String, serde_json::Value>,
    ) -> anyhow::Result<Self> {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .with_context(|| format!("reading the plugin directory {}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
            .collect();
        paths.sort();
        let mut registry = Self::default();
        for path in paths {
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            let name_hint = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            let plugin = runtime
                .load(&bytes, configs.get(name_hint))
                .with_context(|| format!("loading {}", path.display()))?;
            registry.add(plugin)?;
        }
        Ok(registry)
    }

    /// Adds a loaded plugin.
    ///
    /// # Errors
    /// When a plugin of the same name is already loaded.
    pub fn add(&mut self, plugin: LoadedPlugin) -> anyhow::Result<()> {
        if self
            .plugins
            .iter()
            .any(|p| p.manifest.name == plugin.manifest.name)
        {
            bail!("two plugins are named `{}`", plugin.manifest.name);
        }
        tracing::info!(plugin = %plugin.manifest.name, version = %plugin.manifest.version, digest = %&plugin.digest[..12], "plugin loaded");
        self.plugins.push(Arc::new(plugin));
        Ok(())
    }

    /// All loaded plugins.
    #[must_use]
    pub fn all(&self) -> &[Arc<LoadedPlugin>] {
        &self.plugins
    }
}
