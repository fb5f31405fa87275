//! Compiled plugins cached on disk by content digest, so a restart does not compile
//! every plugin again.
//!
//! A cache entry is `<sha256 of the component>-<engine tag>.cwasm`, where the tag
//! changes with wasmtime's version and settings, beside a `.sha256` of the compiled
//! artifact. Loading compiled code is `unsafe` in wasmtime because a tampered file
//! would run as native code: the cache lives in Gantry's own data directory, and an
//! artifact is loaded only when it matches its checksum; anything else (missing,
//! altered, from another engine) is compiled again and rewritten.
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Context;
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// A directory of compiled components.
#[derive(Debug, Clone)]
pub struct ComponentCache {
    dir: PathBuf,
}

impl ComponentCache {
    /// A cache in `dir` (created when first written).
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The compiled component for `bytes` (whose SHA-256 is `digest`): from the
    /// cache when a matching artifact is there, otherwise compiled and stored.
    ///
    /// # Errors
    /// When the component does not compile. Cache read and write failures only log.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
        digest: &str,
    ) -> anyhow::Result<Component> {
        let path = self
            .dir
            .join(format!("{digest}-{}.cwasm", engine_tag(engine)));
        let checksum = path.with_extension("cwasm.sha256");
        if let (Ok(artifact), Ok(expected)) =
            (std::fs::read(&path), std::fs::read_to_string(&checksum))
        {
            if hex::encode(Sha256::digest(&artifact)) == expected.trim() {
                match deserialize(engine, &artifact) {
                    Ok(component) => return Ok(component),
                    Err(err) => {
                        tracing::warn!(path = %path.display(), error = %err, "cached plugin unusable; compiling again")
                    }
                }
            } else {
                tracing::warn!(path = %path.display(), "cached plugin does not match its checksum; compiling again");
            }
        }
        let artifact = engine
            .precompile_component(bytes)
            .map_err(anyhow::Error::from)
            .context("compiling the plugin")?;
        if let Err(err) = store(&path, &checksum, &artifact) {
            tracing::warn!(path = %path.display(), error = format!("{err:#}"), "could not cache the compiled plugin");
        }
        deserialize(engine, &artifact)
    }
}

/// A short tag that changes whenever compiled code from this engine would not load
/// in another (wasmtime version, target, settings).
fn engine_tag(engine: &Engine) -> String {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

#[allow(unsafe_code)]
fn deserialize(engine: &Engine, artifact: &[u8]) -> anyhow::Result<Component> {
    // SAFETY: `artifact` was produced by `Engine::precompile_component`, either just
    // now in memory or earlier into Gantry's own data directory, and in that case it
    // matched the checksum written beside it. wasmtime itself checks that it was
    // compiled by a compatible engine.
    unsafe { Component::deserialize(engine, artifact) }.map_err(anyhow::Error::from)
}

/// Writes the artifact, then its checksum, each through a temporary file renamed
/// into place, so a crash leaves no torn entry that looks valid.
fn store(path: &Path, checksum: &Path, artifact: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().context("cache path without a directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let write = |target: &Path, data: &[u8]| -> anyhow::Result<()> {
        let tmp = target.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, data).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, target)
            .with_context(|| format!("renaming to {}", target.display()))?;
        Ok(())
    };
    write(path, artifact)?;
    write(checksum, hex::encode(Sha256::digest(artifact)).as_bytes())
}
