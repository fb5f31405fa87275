//! The wasmtime plugin host: reading manifests, compiling components, running one
//! fresh sandboxed instance per invocation, and the host imports plugins call.
//!
//! - `manifest`: the plugin's declaration, read from a custom section without running
//!   any of its code;
//! - `route`: a manifest's `[[routes]]`, subscriptions filtered by changed paths and
//!   branches, and their install-time checks;
//! - `cache`: compiled components on disk by content digest;
//! - `engine`: wasmtime configuration and the epoch ticker that bounds guest CPU;
//! - `bindings`: the host side of `gantry:plugin@0.2.0`, generated from the SDK's WIT;
//! - `v0_1`: the frozen `gantry:plugin@0.1.0`, still served, adapted onto `bindings`;
//! - `wit_version`: which version a component speaks, and the versions served;
//! - `host`: the state of one call (`CallData`, the store's data, holding
//!   `CallState`) and the host imports, one module each;
//! - `call_types`: what a call takes (event, command, approval notice, the job's
//!   `JobEnv` holding the process's `ProcessServices`) and the report it gives;
//! - `config_schema`: the schema a plugin derives from its configuration's type,
//!   asked of its `config-schema` export once when it is loaded;
//! - `call`: the runtime and its entry points (`PluginRuntime::invoke` and the
//!   others), running one call with its deadline, memory and output caps;
//! - `egress`: plugins' outbound HTTP client and its address checks;
//! - `registry`: building the runtime, loading a plugin, and the plugins loaded at
//!   start (which of them run for a repository is `services::installed::active`);
//! - `inspect`: what a component declares and speaks, read without running it;
//! - `stop`: job control's stop signals, checked as each host call is entered.
pub mod bindings;
pub mod cache;
mod call;
pub mod call_types;
pub mod config_schema;
pub mod egress;
pub mod engine;
pub mod host;
pub mod inspect;
pub mod manifest;
pub mod registry;
pub mod route;
pub mod stop;
pub mod v0_1;
pub mod wit_version;

pub use call::PluginRuntime;
pub use call_types::{
    ApprovalNotice, GitPlaces, InvocationReport, JobEnv, Outcome, PluginCommand, PluginEvent,
    ProcessServices,
};
pub use manifest::Manifest;
pub use registry::{LoadedPlugin, PluginRegistry};
pub use stop::{Cancelled, StopSignal, StopSignals};
