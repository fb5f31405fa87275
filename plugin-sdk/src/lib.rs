//! Gantry plugin SDK: everything a plugin author needs to build a Gantry plugin.
//!
//! A plugin is a WebAssembly component built for `wasm32-wasip2` that exports the
//! `gantry:plugin@0.1.0` world (see `wit/v0.1/`). This crate wraps the generated
//! bindings in an idiomatic [`Plugin`] trait, typed [`events`], thin [`github`],
//! [`log`] and [`config`] helpers, and the [`register_plugin!`] macro that exports
//! the plugin and embeds its manifest.
//!
//! ```ignore
//! use gantry_plugin_sdk::{events::IssuesEvent, github, Event, Plugin};
//!
//! struct Hello;
//!
//! impl Plugin for Hello {
//!     fn handle_event(event: Event) -> Result<(), String> {
//!         let issue: IssuesEvent = event.parse().map_err(|e| e.to_string())?;
//!         let repo = event.repo().ok_or("no repository")?;
//!         github::create_comment(&repo, issue.issue.number, "Hello!").map_err(|e| e.to_string())?;
//!         Ok(())
//!     }
//! }
//!
//! gantry_plugin_sdk::register_plugin!(Hello);
//! ```
//!
//! The manifest is read from `gantry-plugin.toml` beside the plugin's `Cargo.toml`.
#![deny(missing_docs)]

pub mod commands;
pub mod events;

/// Bindings generated from the WIT files by `wit-bindgen`. Prefer the wrappers in
/// this crate; the raw bindings are public for what the wrappers do not cover yet.
#[allow(unsafe_code, missing_docs, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit/v0.1",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_gantry_plugin",
        default_bindings_module: "gantry_plugin_sdk::bindings",
        generate_all,
    });
}

pub use bindings::gantry::plugin::types::{Event, HostError, Repo};

/// The version of this SDK, stamped into every plugin built with it (custom section
/// `gantry:sdk-version`) so the host knows which WIT version the plugin speaks.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The WIT package this SDK implements.
pub const WIT_PACKAGE: &str = "gantry:plugin@0.1.0";

/// What a plugin does. Every method has a default that does nothing, so a plugin
/// implements only what it subscribes to. A fresh instance serves every call: keep
/// no state between calls except through host storage.
pub trait Plugin {
    /// Handles one event the manifest subscribes to. Return `Err` with a message to
    /// record a failure against the delivery.
    ///
    /// # Errors
    /// Whatever the plugin considers a failure of this event's handling.
    fn handle_event(event: Event) -> Result<(), String> {
        let _ = event;
        Ok(())
    }
}

impl Event {
    /// Parses the JSON payload into a typed event (see [`events`]) or any other
    /// deserialisable type.
    ///
    /// # Errors
    /// When the payload does not have the shape `T` expects.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }

    /// The repository the event is about, when the payload names one.
    #[must_use]
    pub fn repo(&self) -> Option<Repo> {
        self.repository.clone()
    }

    /// The event and action joined by a dot (`issues.opened`), or the bare event name
    /// for events without an action (`push`).
    #[must_use]
    pub fn kind(&self) -> String {
        match &self.action {
            Some(action) => format!("{}.{}", self.name, action),
            None => self.name.clone(),
        }
    }
}


/// GitHub calls, made by the host under the plugin's declared capabilities.
pub mod github {
    use crate::bindings::gantry::plugin::github as raw;
    use crate::{HostError, Repo};

    /// Adds labels to an issue or pull request; returns all its labels afterwards.
    /// Needs `issues:write`.
    ///
    /// # Errors
    /// A [`HostError`] when the policy or GitHub refuses, or a limit is reached.
    pub fn add_labels(repo: &Repo, number: u64, labels: &[String]) -> Result<Vec<String>, HostError> {
        raw::add_labels(repo, number, labels)
    }

    /// Creates a comment on an issue or pull request; returns the comment's id.
    /// Needs `issues:write`.
    ///
    /// # Errors
    /// A [`HostError`] when the policy or GitHub refuses, or a limit is reached.
    pub fn create_comment(repo: &Repo, number: u64, body: &str) -> Result<u64, HostError> {
        raw::create_comment(repo, number, body)
    }
}

/// Log lines that land in the host's log and the invocation's record.
pub mod log {
    use crate::bindings::gantry::plugin::log::{write, Level};

    /// Logs at debug level.
    pub fn debug(message: &str) {
        write(Level::Debug, message);
    }
    /// Logs at info level.
    pub fn info(message: &str) {
        write(Level::Info, message);
    }
    /// Logs at warn level.
    pub fn warn(message: &str) {
        write(Level::Warn, message);
    }
    /// Logs at error level.
    pub fn error(message: &str) {
        write(Level::Error, message);
    }
}

/// The plugin's configuration for the current project.
pub mod config {
    /// Reads the configuration (already validated by the host) into `T`.
    ///
    /// # Errors
    /// When the configuration does not have the shape `T` expects.
    pub fn get<T: serde::de::DeserializeOwned>() -> Result<T, serde_json::Error> {
        serde_json::from_str(&crate::bindings::gantry::plugin::config::get())
    }
}

/// Exports a type implementing [`Plugin`] as the component's plugin and embeds its
/// manifest (`gantry-plugin.toml` beside the crate's `Cargo.toml`) and the SDK
/// version as custom sections, so the host reads them without running any code.
#[macro_export]
macro_rules! register_plugin {
    ($plugin:ty) => {
        #[allow(unsafe_code)]
        #[used]
        #[link_section = "gantry:manifest"]
        static __GANTRY_MANIFEST: [u8; include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/gantry-plugin.toml")).len()] =
            *include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/gantry-plugin.toml"));

        #[allow(unsafe_code)]
        #[used]
        #[link_section = "gantry:sdk-version"]
        static __GANTRY_SDK_VERSION: [u8; $crate::SDK_VERSION.len()] = $crate::__version_bytes();

        struct __GantryExports;

        impl $crate::bindings::Guest for __GantryExports {
            fn handle_event(event: $crate::Event) -> ::core::result::Result<(), ::std::string::String> {
                <$plugin as $crate::Plugin>::handle_event(event)
            }
        }

        $crate::bindings::__export_gantry_plugin!(__GantryExports with_types_in $crate::bindings);
    };
}

#[doc(hidden)]
#[must_use]
pub const fn __version_bytes<const N: usize>() -> [u8; N] {
    let src = SDK_VERSION.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N && i < src.len() {
        out[i] = src[i];
        i += 1;
    }
    out
}
