//! Host bindings for the current `gantry:plugin@0.2.0` world, generated from the
//! SDK's WIT files so host and guest always agree; the host implements these, and
//! older versions are adapted onto them (`v0_1`). Every import is async (host calls
//! do I/O) and may trap (a plugin that breaks a hard limit is stopped).
#![allow(missing_docs, missing_debug_implementations, clippy::all)]

wasmtime::component::bindgen!({
    path: "../plugin-sdk/wit/v0.2",
    world: "plugin",
    imports: { default: async | trappable },
    exports: { default: async },
    with: {
        "gantry:plugin/secrets.secret": crate::wasm_host::host::secrets::SecretHandle,
        "gantry:plugin/git.workspace": crate::wasm_host::host::git::GitWorkspace,
    },
});

pub use gantry::plugin::types::{HostError, Repo};

impl From<crate::policy::Permission> for gantry::plugin::types::Permission {
    fn from(p: crate::policy::Permission) -> Self {
        use crate::policy::Permission as P;
        match p {
            P::Admin => Self::Admin,
            P::Maintain => Self::Maintain,
            P::Write => Self::Write,
            P::Triage => Self::Triage,
            P::Read => Self::Read,
            P::None => Self::None,
        }
    }
}
