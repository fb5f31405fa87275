//! The `kv` host interface: the plugin's own keys in the event's repository, in the
//! database. Needs the `kv` capability; keys are 1 to 256 bytes, values at most the
//! output cap, and a plugin keeps at most `MAX_KEYS` keys and `MAX_BYTES` bytes
//! (keys and values) per repository.
use super::super::bindings::gantry::plugin::kv::Host;
use super::super::bindings::HostError;
use super::{CallData, CallState};
use crate::db::kv::{self, KvScope};
use crate::domain::Capability;

/// Keys one plugin may keep in one repository.
pub const MAX_KEYS: u64 = 10_000;
/// Bytes (keys and values) one plugin may keep in one repository: 16 MiB.
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;
/// Keys one `list-keys` call returns at most.
const MAX_LISTED: u64 = 1_000;

type HostResult<T> = wasmtime::Result<Result<T, HostError>>;

impl CallState {
    /// Checks the capability and the key; returns the repository the keys live in.
    async fn kv_scope(&mut self, key: &str) -> Result<String, HostError> {
        if key.is_empty() || key.len() > 256 {
            return Err(HostError::Invalid("a key must be 1 to 256 bytes".into()));
        }
        self.check(&Capability::KV).await?;
        self.project()
    }

    fn kv_failed(&mut self, err: &sea_orm::DbErr) -> HostError {
        tracing::warn!(plugin = %self.plugin, error = %err, "plugin key-value store failed");
        self.transient_failure = Some("the key-value store failed".into());
        HostError::Unavailable("the key-value store failed".into())
    }
}

impl Host for CallData {
    async fn get(&mut self, key: String) -> HostResult<Option<Vec<u8>>> {
        let inv = &mut self.invocation;
        let project = match inv.kv_scope(&key).await {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let scope = KvScope {
            plugin: &inv.plugin,
            project: &project,
        };
        Ok(kv::get(&inv.env.db, scope, &key)
            .await
            .map_err(|e| inv.kv_failed(&e)))
    }

    async fn set(&mut self, key: String, value: Vec<u8>) -> HostResult<()> {
        let inv = &mut self.invocation;
        if value.len() > inv.max_output_bytes {
            return Ok(Err(HostError::LimitExceeded(format!(
                "a value is at most {} bytes",
                inv.max_output_bytes
            ))));
        }
        let project = match inv.kv_scope(&key).await {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let db = inv.env.db.clone();
        let scope = KvScope {
            plugin: &inv.plugin,
            project: &project,
        };
        let result = async {
            let before = kv::get(&db, scope, &key).await?;
            if before.is_none() && kv::count(&db, scope).await? >= MAX_KEYS {
                return Ok(Err(HostError::LimitExceeded(format!(
                    "a plugin keeps at most {MAX_KEYS} keys per repository"
                ))));
            }
            let len = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
            let replaced = before.map_or(0, |v| len(v.len() + key.len()));
            let after = kv::bytes(&db, scope)
                .await?
                .saturating_sub(replaced)
                .saturating_add(len(value.len() + key.len()));
            if after > MAX_BYTES {
                return Ok(Err(HostError::LimitExceeded(format!(
                    "a plugin keeps at most {} MiB per repository (keys and values); delete keys first",
                    MAX_BYTES / (1024 * 1024)
                ))));
            }
            kv::set(&db, scope, &key, value).await.map(Ok)
        }
        .await;
        Ok(result.unwrap_or_else(|e| Err(inv.kv_failed(&e))))
    }

    async fn delete(&mut self, key: String) -> HostResult<bool> {
        let inv = &mut self.invocation;
        let project = match inv.kv_scope(&key).await {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let scope = KvScope {
            plugin: &inv.plugin,
            project: &project,
        };
        Ok(kv::delete(&inv.env.db, scope, &key)
            .await
            .map_err(|e| inv.kv_failed(&e)))
    }

    async fn list_keys(&mut self, prefix: String) -> HostResult<Vec<String>> {
        let inv = &mut self.invocation;
        if prefix.len() > 256 {
            return Ok(Err(HostError::Invalid(
                "a prefix is at most 256 bytes".into(),
            )));
        }
        if let Err(e) = inv.check(&Capability::KV).await {
            return Ok(Err(e));
        }
        let project = match inv.project() {
            Ok(p) => p,
            Err(e) => return Ok(Err(e)),
        };
        let scope = KvScope {
            plugin: &inv.plugin,
            project: &project,
        };
        Ok(kv::keys(&inv.env.db, scope, &prefix, MAX_LISTED)
            .await
            .map_err(|e| inv.kv_failed(&e)))
    }
}
