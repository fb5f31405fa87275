//! Compiled plugins cached on disk by content digest, so a restart does not compile
//! every plugin again.
//!
//! A cache entry is `<sha256 of the component>-<engine tag>.cwasm`, where the tag
//! changes with wasmtime's version and settings, beside a `.hmac`: an HMAC-SHA256 of
//! the digest, the tag and the compiled artifact under a key derived from
//! `secrets.key`. Loading compiled code is `unsafe` in wasmtime because a tampered
//! file would run as native code, so an artifact is loaded only when its HMAC
//! verifies: someone who can write the data directory but does not hold
//! `secrets.key` cannot make Gantry run code of their own. Anything else (missing,
//! altered, from another engine or another key) is compiled again and rewritten.
//! Without `secrets.key` nothing is cached on disk. The directory is created with
//! mode 0700 and the files 0600.
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use wasmtime::component::Component;
use wasmtime::Engine;

use crate::domain::Secret;

type HmacSha256 = Hmac<Sha256>;

/// What the cache key is derived for, so it differs from every other use of
/// `secrets.key`.
const KEY_LABEL: &[u8] = b"gantry compiled-component cache v1";

/// A directory of compiled components, authenticated with a key.
#[derive(Clone)]
pub struct ComponentCache {
    dir: PathBuf,
    key: [u8; 32],
}

impl std::fmt::Debug for ComponentCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComponentCache")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl ComponentCache {
    /// A cache in `dir` (created when first written), authenticated with a key
    /// derived from `secrets_key`; `None`, so nothing is cached on disk, without a
    /// usable key.
    #[must_use]
    pub fn new(dir: impl Into<PathBuf>, secrets_key: Option<&Secret>) -> Option<Self> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(secrets_key?.expose().trim())
            .ok()
            .filter(|k| k.len() >= 32)?;
        let mut mac = HmacSha256::new_from_slice(&raw).ok()?;
        mac.update(KEY_LABEL);
        Some(Self {
            dir: dir.into(),
            key: mac.finalize().into_bytes().into(),
        })
    }

    fn mac(&self, digest: &str, tag: &str) -> anyhow::Result<HmacSha256> {
        let mut mac = HmacSha256::new_from_slice(&self.key).context("the cache key")?;
        mac.update(digest.as_bytes());
        mac.update(b"\n");
        mac.update(tag.as_bytes());
        mac.update(b"\n");
        Ok(mac)
    }

    /// The compiled component for `bytes` (whose SHA-256 is `digest`): from the
    /// cache when a matching, authenticated artifact is there, otherwise compiled
    /// and stored.
    ///
    /// # Errors
    /// When the component does not compile. Cache read and write failures only log.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
        digest: &str,
    ) -> anyhow::Result<Component> {
        let tag = engine_tag(engine);
        let path = self.dir.join(format!("{digest}-{tag}.cwasm"));
        let seal = path.with_extension("cwasm.hmac");
        if let (Ok(artifact), Ok(expected)) = (std::fs::read(&path), std::fs::read_to_string(&seal))
        {
            let authentic = hex::decode(expected.trim()).is_ok_and(|expected| {
                self.mac(digest, &tag).is_ok_and(|mut mac| {
                    mac.update(&artifact);
                    mac.verify_slice(&expected).is_ok()
                })
            });
            if authentic {
                match deserialize(engine, &artifact) {
                    Ok(component) => return Ok(component),
                    Err(err) => {
                        tracing::warn!(path = %path.display(), error = %err, "cached plugin unusable; compiling again")
                    }
                }
            } else {
                tracing::warn!(path = %path.display(), "cached plugin does not match its HMAC (altered, or from another secrets.key); compiling again");
            }
        }
        let artifact = engine
            .precompile_component(bytes)
            .map_err(anyhow::Error::from)
            .context("compiling the plugin")?;
        let stored = self.mac(digest, &tag).and_then(|mut mac| {
            mac.update(&artifact);
            store(&path, &seal, &artifact, &mac.finalize().into_bytes())
        });
        if let Err(err) = stored {
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
    // now in memory or earlier into Gantry's own data directory, and in that case its
    // HMAC under a key derived from `secrets.key` verified, so nobody without the key
    // wrote it. wasmtime itself checks that it was compiled by a compatible engine.
    unsafe { Component::deserialize(engine, artifact) }.map_err(anyhow::Error::from)
}

/// Writes the artifact, then its HMAC, each through a temporary file (mode 0600)
/// renamed into place, so a crash leaves no torn entry that looks valid; the
/// directory is made mode 0700.
fn store(path: &Path, seal: &Path, artifact: &[u8], mac: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().context("cache path without a directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    private_dir(dir)?;
    let write = |target: &Path, data: &[u8]| -> anyhow::Result<()> {
        let tmp = target.with_extension(format!("tmp{}", std::process::id()));
        write_private(&tmp, data).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, target)
            .with_context(|| format!("renaming to {}", target.display()))?;
        Ok(())
    };
    write(path, artifact)?;
    write(seal, hex::encode(mac).as_bytes())
}

#[cfg(unix)]
fn private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("making {} private (0700)", dir.display()))
}

#[cfg(not(unix))]
fn private_dir(_dir: &Path) -> anyhow::Result<()> {
    Ok(())
}

fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)?.write_all(data)
}
