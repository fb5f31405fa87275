//! The dashboard's install in two steps: `stage_upload` reads what an uploaded
//! component is, without running or installing it, and keeps its bytes by digest in
//! `plugin_uploads` (so the confirmation may reach any replica); `confirm_upload`
//! installs it, or upgrades the plugin of its name when one is installed, and
//! forgets the upload.
use sha2::{Digest, Sha256};

use super::{PluginAdmin, PluginAdminError};
use crate::db::{plugin_uploads, plugins as queries};
use crate::wasm_host::Manifest;

/// An uploaded component waiting for confirmation.
#[derive(Debug)]
pub struct Staged {
    /// What it declares.
    pub manifest: Manifest,
    /// The SDK it was built with, when it says.
    pub sdk_version: Option<String>,
    /// SHA-256 of its bytes, hex: what the confirmation names.
    pub digest: String,
    /// Its size in bytes.
    pub size: usize,
    /// The installed version it would replace, when its name is installed.
    pub upgrade_of: Option<String>,
}

fn manifest_of(bytes: &[u8]) -> Result<(Manifest, Option<String>), PluginAdminError> {
    Manifest::from_component(bytes)
        .map_err(|e| PluginAdminError::InvalidPlugin(format!("not a Gantry plugin: {e:#}")))
}

impl PluginAdmin<'_> {
    /// Keeps `bytes` by digest until confirmed, and says what they are.
    ///
    /// # Errors
    /// [`PluginAdminError::InvalidPlugin`] when no manifest can be read; the
    /// database.
    pub async fn stage_upload(&self, bytes: Vec<u8>) -> Result<Staged, PluginAdminError> {
        let (manifest, sdk_version) = manifest_of(&bytes)?;
        let digest = hex::encode(Sha256::digest(&bytes));
        let size = bytes.len();
        plugin_uploads::keep(self.db, &digest, bytes, self.actor.name()).await?;
        let upgrade_of = queries::find(self.db, &manifest.name)
            .await?
            .map(|p| p.version);
        Ok(Staged {
            manifest,
            sdk_version,
            digest,
            size,
            upgrade_of,
        })
    }

    /// Installs (or upgrades to) the staged upload `digest`; its plugin's name, or
    /// `None` when the upload is gone (already installed, or expired).
    ///
    /// # Errors
    /// As [`PluginAdmin::install`] and [`PluginAdmin::upgrade`].
    pub async fn confirm_upload(&self, digest: &str) -> Result<Option<String>, PluginAdminError> {
        let Some(bytes) = plugin_uploads::find(self.db, digest).await? else {
            return Ok(None);
        };
        let (manifest, _) = manifest_of(&bytes)?;
        let name = if queries::find(self.db, &manifest.name).await?.is_some() {
            self.upgrade(bytes, Some(&manifest.name))
                .await?
                .plugin
                .status
                .name
        } else {
            self.install(bytes).await?.status.name
        };
        plugin_uploads::forget(self.db, digest).await?;
        Ok(Some(name))
    }
}
