//! The `secrets` host interface: a plugin opens a secret stored for it by name
//! (needing `secrets:<name>`) and gets a handle; the value is decrypted into the
//! host's memory only and is never copied into the sandbox. Other host calls (HTTP
//! headers) take the handle and use the value on the plugin's behalf, only where
//! the secret's binding allows (its hosts and header names).
use crate::domain::Capability;
use wasmtime::component::Resource;

use super::super::bindings::gantry::plugin::secrets::{Host, HostSecret};
use super::super::bindings::HostError;
use super::CallData;
use crate::domain::Secret;
use crate::secrets::plugin::{self as plugin_secrets, Binding};

/// A secret opened by a plugin: its name, its value, which stays here, and where
/// it may be sent.
#[derive(Debug)]
pub struct SecretHandle {
    /// The name it was opened by.
    pub name: String,
    /// The value.
    pub value: Secret,
    /// The hosts and header names it may be sent to.
    pub binding: Binding,
}

/// Handles a plugin may hold at once.
const MAX_OPEN: usize = 32;

type HostResult<T> = wasmtime::Result<Result<T, HostError>>;

impl Host for CallData {
    async fn open(&mut self, name: String) -> HostResult<Resource<SecretHandle>> {
        let inv = &mut self.invocation;
        if name.is_empty() || name.len() > 128 {
            return Ok(Err(HostError::Invalid(
                "a secret name is 1 to 128 characters".into(),
            )));
        }
        if inv.open_secrets >= MAX_OPEN {
            return Ok(Err(HostError::LimitExceeded(format!(
                "at most {MAX_OPEN} secrets may be open at once"
            ))));
        }
        if let Err(e) = inv.check(&Capability::secret(&name)).await {
            return Ok(Err(e));
        }
        let project = match inv.project() {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let opened = match plugin_secrets::open(
            &inv.env.db,
            inv.env.services.secret_box.as_ref(),
            &inv.plugin,
            &project,
            &name,
        )
        .await
        {
            Ok(Some(opened)) => opened,
            Ok(None) => {
                if plugin_secrets::stored_for_others(&inv.env.db, &inv.plugin, &name)
                    .await
                    .unwrap_or(false)
                {
                    tracing::info!(plugin = %inv.plugin, secret = %name, "a secret of this name is stored, but not for this plugin (bind it with `gantry secrets plugin-set` or `plugin-bind`)");
                }
                return Ok(Err(HostError::NotFound(format!(
                    "no secret named {name} stored for plugin {} on {project} or globally",
                    inv.plugin
                ))));
            }
            Err(err) => {
                tracing::warn!(plugin = %inv.plugin, secret = %name, error = %err, "a plugin secret could not be opened");
                return Ok(Err(HostError::Unavailable(format!(
                    "secret {name} could not be opened: {err}"
                ))));
            }
        };
        inv.open_secrets += 1;
        Ok(Ok(self.table.push(SecretHandle {
            name,
            value: opened.value,
            binding: opened.binding,
        })?))
    }
}

impl HostSecret for CallData {
    async fn name(&mut self, handle: Resource<SecretHandle>) -> wasmtime::Result<String> {
        Ok(self.table.get(&handle)?.name.clone())
    }

    async fn drop(&mut self, handle: Resource<SecretHandle>) -> wasmtime::Result<()> {
        self.table.delete(handle)?;
        self.invocation.open_secrets = self.invocation.open_secrets.saturating_sub(1);
        Ok(())
    }
}
