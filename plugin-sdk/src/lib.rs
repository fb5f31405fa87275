//! Gantry plugin SDK: everything a plugin author needs to build a Gantry plugin.
//!
//! A plugin is a WebAssembly component built for `wasm32-wasip2` that exports the
//! `gantry:plugin@0.2.0` world (see `wit/v0.2/`). This crate wraps the generated
//! bindings in an idiomatic [`Plugin`] trait, typed [`events`] behind one enum
//! ([`Event::typed`]), the host's interfaces as modules ([`github`], [`git`], [`kv`],
//! [`http`], [`secrets`], [`metrics`], [`model`], [`config`], [`log`]) that answer one
//! [`Error`] type, writes that say whether they were done or held for approval
//! ([`Written`]), logging macros with format arguments ([`info!`] and friends), and
//! the [`register_plugin!`] macro that exports the plugin and embeds its manifest,
//! and [`config_schema`], the JSON schema of a configuration type
//! (`register_plugin!(P, config = T)` gives it to the host).
//!
//! ```ignore
//! use gantry_plugin_sdk::events::TypedEvent;
//! use gantry_plugin_sdk::{github, info, Context, Error, Event, Plugin, Written};
//!
//! struct Hello;
//!
//! impl Plugin for Hello {
//!     fn handle_event(event: Event) -> Result<(), Error> {
//!         let TypedEvent::Issues(opened) = event.typed()? else { return Ok(()) };
//!         let repo = event.repo().context("the event names no repository")?;
//!         match github::create_comment(&repo, opened.issue.number, "Hello!")? {
//!             Written::Done(id) => info!("commented: {id}"),
//!             Written::Held(held) => info!("the comment is {held}"),
//!         }
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
mod error;
pub mod events;
#[cfg(all(feature = "fake-host", not(target_arch = "wasm32")))]
pub mod fake;
mod host;
mod level;
mod macros;
mod schema;
mod written;

#[doc(hidden)]
pub use macros::__version_bytes;

pub use error::{Context, Error};
pub use host::{config, git, github, http, kv, log, metrics, model, secrets};
pub use level::Level;
#[doc(hidden)]
pub use schema::__config_schema_text;
pub use schema::config_schema;
/// Deriving a configuration's JSON schema (`#[derive(schemars::JsonSchema)]`), the
/// version this SDK uses: see [`register_plugin!`] and [`config_schema`].
pub use schemars;
pub use written::{Held, Written};

/// Bindings generated from `wit/v0.2` by `wit-bindgen`; the SDK's modules wrap them.
/// Hidden from the documentation: reach every call through the modules above
/// (`github` re-exports the generated functions it does not wrap).
#[doc(hidden)]
#[allow(unsafe_code, missing_docs, missing_debug_implementations, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit/v0.2",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_gantry_plugin",
        default_bindings_module: "gantry_plugin_sdk::bindings",
        additional_derives: [PartialEq, serde::Serialize, serde::Deserialize],
        additional_derives_ignore: ["secret-header"],
        generate_all,
    });
}

pub use bindings::gantry::plugin::types::{
    Approval, ApprovalOutcome, Command, Event, HostError, Permission, Repo,
};

/// The version of this SDK, stamped into every plugin built with it (custom section
/// `gantry:sdk-version`); `gantry plugin inspect` shows it. The WIT version a plugin
/// speaks is read from its imports, not from this.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The WIT package this SDK implements.
pub const WIT_PACKAGE: &str = "gantry:plugin@0.2.0";

/// What a plugin does. Every method has a default that does nothing, so a plugin
/// implements only what it subscribes to. A fresh instance serves every call: keep
/// no state between calls except through host storage ([`kv`]).
///
/// An `Err` is recorded against the delivery as its `Display` text. A write held
/// for approval is not an error ([`Written::Held`]).
pub trait Plugin {
    /// Handles one event the manifest subscribes to.
    ///
    /// # Errors
    /// Whatever the plugin considers a failure of this event's handling.
    fn handle_event(event: Event) -> Result<(), Error> {
        let _ = event;
        Ok(())
    }

    /// Handles a `/verb` or `@bot verb` command whose verb the manifest declares;
    /// the host has already checked the commenter's permission.
    ///
    /// # Errors
    /// Whatever the plugin considers a failure of this command.
    fn handle_command(command: Command) -> Result<(), Error> {
        let _ = command;
        Ok(())
    }

    /// Hears how an action the host held for approval ended (executed, failed,
    /// denied or expired).
    ///
    /// # Errors
    /// Whatever the plugin considers a failure of its follow-up.
    fn approval_resolved(approval: Approval) -> Result<(), Error> {
        let _ = approval;
        Ok(())
    }
}

impl Event {
    /// Parses the JSON payload into the typed event of its name (see [`events`]);
    /// [`events::TypedEvent::Other`] for an event the SDK does not model.
    ///
    /// # Errors
    /// When the payload of a modelled event does not have its shape.
    pub fn typed(&self) -> Result<events::TypedEvent, Error> {
        events::TypedEvent::parse(&self.name, &self.payload)
            .with_context(|| format!("reading the {} payload", self.name))
    }

    /// Parses the JSON payload into any deserialisable type.
    ///
    /// # Errors
    /// When the payload does not have the shape `T` expects.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_str(&self.payload)
            .with_context(|| format!("reading the {} payload", self.name))
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
