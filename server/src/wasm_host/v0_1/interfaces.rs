//! The v0.1 `config`, `kv`, `secrets`, `http`, `metrics` and `git` interfaces, each
//! call delegated to the current host implementation. Secret and workspace handles
//! are the same host resources in both versions.
use wasmtime::component::Resource;

use super::bindings::gantry::plugin::types::HostError;
use super::bindings::gantry::plugin::{config, git, http, kv, metrics, secrets, types};
use super::convert::{Newer, Older, Settle};
use super::github::{delegate, delegate_writes};
use crate::wasm_host::bindings::gantry::plugin as current;
use crate::wasm_host::host::git::GitWorkspace;
use crate::wasm_host::host::secrets::SecretHandle;
use crate::wasm_host::host::CallData;

type Answer<T> = Result<T, HostError>;

impl types::Host for CallData {}

impl config::Host for CallData {
    delegate! { current::config::Host =>
        fn get() -> String;
    }
}

impl kv::Host for CallData {
    delegate! { current::kv::Host =>
        fn get(key: String) -> Answer<Option<Vec<u8>>>;
        fn set(key: String, value: Vec<u8>) -> Answer<()>;
        fn delete(key: String) -> Answer<bool>;
        fn list_keys(prefix: String) -> Answer<Vec<String>>;
    }
}

impl secrets::Host for CallData {
    delegate! { current::secrets::Host =>
        fn open(name: String) -> Answer<Resource<SecretHandle>>;
    }
}

impl secrets::HostSecret for CallData {
    delegate! { current::secrets::HostSecret =>
        fn name(handle: Resource<SecretHandle>) -> String;
        fn drop(handle: Resource<SecretHandle>) -> ();
    }
}

impl http::Host for CallData {
    delegate! { current::http::Host =>
        fn fetch(request: http::Request, secret_headers: Vec<http::SecretHeader>) -> Answer<http::Response>;
    }
}

impl metrics::Host for CallData {
    delegate! { current::metrics::Host =>
        fn counter_add(name: String, label: String, value: u64) -> ();
        fn gauge_set(name: String, label: String, value: f64) -> ();
    }
}

impl git::Host for CallData {}

impl git::HostWorkspace for CallData {
    delegate! { current::git::HostWorkspace =>
        fn clone(repo: types::Repo, branch: Option<String>) -> Answer<Resource<GitWorkspace>>;
        fn head(ws: Resource<GitWorkspace>) -> Answer<String>;
        fn read_file(ws: Resource<GitWorkspace>, path: String) -> Answer<Option<Vec<u8>>>;
        fn write_file(ws: Resource<GitWorkspace>, path: String, content: Vec<u8>) -> Answer<()>;
        fn remove_file(ws: Resource<GitWorkspace>, path: String) -> Answer<bool>;
        fn create_branch(ws: Resource<GitWorkspace>, name: String) -> Answer<()>;
        fn commit(ws: Resource<GitWorkspace>, message: String, author: Option<git::Signature>) -> Answer<String>;
        fn tag(ws: Resource<GitWorkspace>, name: String, message: String) -> Answer<()>;
        fn log(ws: Resource<GitWorkspace>, since: Option<String>, limit: u32) -> Answer<Vec<git::CommitInfo>>;
        fn tags(ws: Resource<GitWorkspace>) -> Answer<Vec<String>>;
        fn branches(ws: Resource<GitWorkspace>) -> Answer<Vec<(String, String)>>;
        fn drop(ws: Resource<GitWorkspace>) -> ();
    }

    delegate_writes! { current::git::HostWorkspace =>
        fn push(ws: Resource<GitWorkspace>, tags: Vec<String>) -> Answer<()>;
        fn mirror_to(
            ws: Resource<GitWorkspace>,
            destination: types::Repo,
            branches: Vec<String>,
            tags: bool,
            force: bool
        ) -> Answer<()>;
    }
}
