//! Installed plugins in their compiled, ready-to-run form, kept in memory by content
//! digest. Each digest is compiled once per process (and, with the runtime's disk
//! cache, once per machine): at install, at start, or by the first job that needs
//! it. A component that does not compile is remembered too, so it is not compiled
//! again for every job.
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::{anyhow, Context};
use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::wasm_host::{LoadedPlugin, PluginRuntime};

/// Compiled plugins by digest, on one runtime.
pub struct CompiledPlugins {
    runtime: PluginRuntime,
    ready: Mutex<HashMap<String, Arc<LoadedPlugin>>>,
    failed: Mutex<HashMap<String, String>>,
    /// Held while compiling, so two workers needing the same new plugin compile it
    /// once.
    compiling: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for CompiledPlugins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self
            .ready
            .lock()
            .values()
            .map(|p| format!("{}@{}", p.manifest.name, &p.digest[..12]))
            .collect();
        f.debug_struct("CompiledPlugins")
            .field("ready", &names)
            .finish_non_exhaustive()
    }
}

impl CompiledPlugins {
    /// An empty set compiling on `runtime`.
    #[must_use]
    pub fn new(runtime: PluginRuntime) -> Self {
        Self {
            runtime,
            ready: Mutex::default(),
            failed: Mutex::default(),
            compiling: tokio::sync::Mutex::new(()),
        }
    }

    /// The runtime plugins are compiled on (and must run on).
    #[must_use]
    pub fn runtime(&self) -> &PluginRuntime {
        &self.runtime
    }

    /// The compiled plugin with this digest, when it is in memory.
    #[must_use]
    pub fn get(&self, digest: &str) -> Option<Arc<LoadedPlugin>> {
        self.ready.lock().get(digest).cloned()
    }

    /// Keeps a plugin compiled elsewhere on the same runtime.
    pub fn insert(&self, plugin: Arc<LoadedPlugin>) {
        self.ready.lock().insert(plugin.digest.clone(), plugin);
    }

    /// The compiled form of `bytes`: from memory, or compiled now (off the async
    /// threads) and kept.
    ///
    /// # Errors
    /// When the component has no valid manifest, does not compile, or needs imports
    /// this host does not provide; the same error again for the same bytes.
    pub async fn compile(&self, bytes: Arc<[u8]>) -> anyhow::Result<Arc<LoadedPlugin>> {
        let digest = hex::encode(Sha256::digest(&bytes));
        if let Some(plugin) = self.get(&digest) {
            return Ok(plugin);
        }
        let _one_at_a_time = self.compiling.lock().await;
        if let Some(plugin) = self.get(&digest) {
            return Ok(plugin);
        }
        if let Some(err) = self.failed.lock().get(&digest) {
            return Err(anyhow!("{err}"));
        }
        let runtime = self.runtime.clone();
        let loaded = tokio::task::spawn_blocking(move || runtime.load(&bytes, None))
            .await
            .context("the compiler task failed")?;
        match loaded {
            Ok(plugin) => {
                let plugin = Arc::new(plugin);
                self.insert(plugin.clone());
                Ok(plugin)
            }
            Err(err) => {
                self.failed.lock().insert(digest, format!("{err:#}"));
                Err(err)
            }
        }
    }

    /// Drops every compiled plugin whose digest is not in `installed` (upgraded or
    /// removed plugins).
    pub fn retain(&self, installed: &HashSet<&str>) {
        self.ready
            .lock()
            .retain(|digest, _| installed.contains(digest.as_str()));
        self.failed
            .lock()
            .retain(|digest, _| installed.contains(digest.as_str()));
    }
}
