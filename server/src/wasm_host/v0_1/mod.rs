//! `gantry:plugin@0.1.0`, frozen and still served: its host bindings, generated
//! from `plugin-sdk/wit/v0.1`, and an adapter that implements every v0.1 import by
//! converting its arguments to the current version's types, calling the current
//! host implementation (`bindings`, `host`) and converting the answer back. A
//! v0.1 component links against these imports beside the current ones in the same
//! linker, so it runs unchanged: same calls, same checks, same policy, same audit.
//!
//! - `convert`: the v0.1 and current types, each way;
//! - `github`: the `github` interface;
//! - `interfaces`: `config`, `kv`, `secrets`, `http`, `metrics` and `git`.
//!
//! The exports (`handle-event`, `handle-command`, `approval-resolved`) are the same
//! in both versions and are called by name (`call`), so nothing adapts them.
use wasmtime::component::{HasSelf, Linker};

use super::host::CallData;

mod convert;
mod github;
mod interfaces;

/// Host bindings of the frozen v0.1 world.
#[allow(missing_docs, missing_debug_implementations, clippy::all)]
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../plugin-sdk/wit/v0.1",
        world: "plugin",
        imports: { default: async | trappable },
        exports: { default: async },
        with: {
            "gantry:plugin/secrets.secret": crate::wasm_host::host::secrets::SecretHandle,
            "gantry:plugin/git.workspace": crate::wasm_host::host::git::GitWorkspace,
        },
    });
}

/// Links every v0.1 import: `log` by hand as the current one, the others through
/// the adapter.
///
/// # Errors
/// When wasmtime refuses a definition.
pub fn link(linker: &mut Linker<CallData>) -> wasmtime::Result<()> {
    use bindings::gantry::plugin::{config, git, github, http, kv, metrics, secrets, types};
    types::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    config::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    github::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    git::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    kv::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    secrets::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    http::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    metrics::add_to_linker::<CallData, HasSelf<CallData>>(linker, |s| s)?;
    super::host::log::add_to_linker_as(linker, "gantry:plugin/log@0.1.0")
}
