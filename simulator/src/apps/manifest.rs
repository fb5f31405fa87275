//! Registering a GitHub App from a manifest, as GitHub's "Register GitHub App" page
//! does when an admin posts a manifest to it and confirms: the App is created with
//! the manifest's name, permissions (`default_permissions`) and events
//! (`default_events`), a private key, a webhook secret and a client secret, and
//! GitHub redirects to the manifest's `redirect_url` with a temporary `code`; `POST
//! /app-manifests/{code}/conversions` trades the code, once and within an hour, for
//! the App and its secrets. [`Simulator::approve_manifest`] plays the admin's
//! confirmation; the key is the test's (the simulator does not generate RSA keys).
use std::time::{Duration, Instant};

use rand::{distr::Alphanumeric, Rng as _};
use serde_json::Value;

use super::{NewApp, Simulator};
use crate::state::Granted;

/// How long a code may be converted (GitHub: one hour).
const CODE_LIFETIME: Duration = Duration::from_secs(3600);

/// What a code converts into.
#[derive(Debug, Clone)]
pub(crate) struct Conversion {
    pub app_id: u64,
    pub pem: String,
    pub webhook_secret: String,
    pub client_id: String,
    pub client_secret: String,
    pub issued: Instant,
}

/// A manifest GitHub accepted: the code its redirect carries and the App's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestApproved {
    /// The `code` to convert.
    pub code: String,
    /// The App created.
    pub app_id: u64,
}

/// Why a manifest was not accepted, as GitHub's page would say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestRefused(pub String);

impl std::fmt::Display for ManifestRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn random(n: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

impl Simulator {
    /// Registers the App `manifest` describes, owned by `owner`, with `private_key_pem`
    /// as the key GitHub generates for it, and returns the code GitHub would add to
    /// the redirect, with the App's id. Refused, like GitHub's form, without a `name` or a
    /// `hook_attributes.url`, with a permission level other than `read` or `write`,
    /// or with a key that is not an RSA private key.
    ///
    /// # Errors
    /// [`ManifestRefused`] naming the problem.
    pub fn approve_manifest(
        &self,
        manifest: &Value,
        owner: &str,
        private_key_pem: &str,
    ) -> Result<ManifestApproved, ManifestRefused> {
        let name = manifest["name"]
            .as_str()
            .filter(|n| !n.trim().is_empty())
            .ok_or_else(|| ManifestRefused("the manifest has no name".into()))?;
        if manifest["hook_attributes"]["url"].as_str().is_none() {
            return Err(ManifestRefused(
                "the manifest has no hook_attributes.url".into(),
            ));
        }
        let mut permissions = std::collections::BTreeMap::new();
        if let Some(map) = manifest["default_permissions"].as_object() {
            for (key, level) in map {
                match level.as_str() {
                    Some(l @ ("read" | "write")) => {
                        permissions.insert(key.clone(), l.to_owned());
                    }
                    _ => {
                        return Err(ManifestRefused(format!(
                            "default_permissions.{key} must be read or write"
                        )))
                    }
                }
            }
        }
        let events = manifest["default_events"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let id = {
            let state = self.lock();
            state.apps.apps.keys().max().copied().unwrap_or(1000) + 1
        };
        let slug: String = name
            .to_ascii_lowercase()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let mut app = NewApp::new(id, private_key_pem);
        app.slug = slug;
        app.name = name.to_owned();
        app.owner = owner.to_owned();
        self.register_app(&app)
            .map_err(|e| ManifestRefused(format!("the key: {e}")))?;
        if let Some(registered) = self.lock().apps.apps.get_mut(&id) {
            registered.granted = Some(Granted {
                permissions,
                events,
            });
        }
        self.save();
        let code = random(20);
        self.app_log().manifests.insert(
            code.clone(),
            Conversion {
                app_id: id,
                pem: private_key_pem.to_owned(),
                webhook_secret: random(40),
                client_id: format!("Iv1.{}", random(16)),
                client_secret: random(40),
                issued: Instant::now(),
            },
        );
        Ok(ManifestApproved { code, app_id: id })
    }

    /// Takes the conversion of `code`: once, within an hour.
    pub(crate) fn take_manifest_conversion(&self, code: &str) -> Option<Conversion> {
        self.app_log()
            .manifests
            .remove(code)
            .filter(|c| c.issued.elapsed() < CODE_LIFETIME)
    }
}
