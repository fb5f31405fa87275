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

/// Finding slash and mention commands in comment bodies (the `gantry-commands` crate,
/// which the server uses too).
pub use gantry_commands as commands;
pub mod events;
pub mod host;
mod level;
mod macros;

#[doc(hidden)]
pub use macros::__version_bytes;

pub use host::{config, git, github, http, kv, log, metrics, secrets};
pub use level::Level;

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

pub use bindings::gantry::plugin::types::{
    Approval, ApprovalOutcome, Command, Event, HostError, Permission, Repo,
};

/// The version of this SDK, stamped into every plugin built with it (custom section
/// `gantry:sdk-version`) so the host knows which WIT version the plugin speaks.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The WIT package this SDK implements.
pub const WIT_PACKAGE: &str = "gantry:plugin@0.1.0";

/// What a plugin does. Every method has a default that does nothing, so a plugin
/// implements only what it subscribes to. A fresh instance serves every call: keep
/// no state between calls except through host storage ([`kv`]).
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

    /// Handles a `/verb` or `@bot verb` command whose verb the manifest declares;
    /// the host has already checked the commenter's permission.
    ///
    /// # Errors
    /// Whatever the plugin considers a failure of this command.
    fn handle_command(command: Command) -> Result<(), String> {
        let _ = command;
        Ok(())
    }

    /// Hears how an action the host held for approval ended (executed, failed,
    /// denied or expired).
    ///
    /// # Errors
    /// Whatever the plugin considers a failure of its follow-up.
    fn approval_resolved(approval: Approval) -> Result<(), String> {
        let _ = approval;
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
