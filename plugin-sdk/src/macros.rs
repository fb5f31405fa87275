//! The `register_plugin!` macro (the exports, the constants it stamps into the binary
//! and the derived configuration schema), and the logging macros (`info!`, `debug!`,
//! `warn!`, `error!`) that take format arguments.
use crate::SDK_VERSION;

/// Exports a type implementing [`crate::Plugin`] as the component's plugin and embeds its
/// manifest (`gantry-plugin.toml` beside the crate's `Cargo.toml`) and the SDK
/// version as custom sections, so the host reads them without running any code.
///
/// `register_plugin!(MyPlugin, config = MyConfig)` also names the type the plugin
/// reads its configuration into (`#[derive(schemars::JsonSchema)]`): its JSON schema
/// ([`crate::config_schema`]) becomes the manifest's `config_schema` when the host
/// loads the plugin, so the manifest must not write one by hand (the host refuses
/// both at once). Without `config = ...`, the manifest's own `config_schema`, if
/// any, is the schema.
#[macro_export]
macro_rules! register_plugin {
    (@export $plugin:ty, $schema:expr) => {
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
            fn manifest() -> ::std::string::String {
                ::std::string::String::from(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/gantry-plugin.toml")))
            }
            fn config_schema() -> ::core::option::Option<::std::string::String> {
                $schema
            }
            fn handle_event(event: $crate::Event) -> ::core::result::Result<(), ::std::string::String> {
                <$plugin as $crate::Plugin>::handle_event(event).map_err($crate::Error::into_message)
            }
            fn handle_command(command: $crate::Command) -> ::core::result::Result<(), ::std::string::String> {
                <$plugin as $crate::Plugin>::handle_command(command).map_err($crate::Error::into_message)
            }
            fn approval_resolved(approval: $crate::Approval) -> ::core::result::Result<(), ::std::string::String> {
                <$plugin as $crate::Plugin>::approval_resolved(approval).map_err($crate::Error::into_message)
            }
        }

        $crate::bindings::__export_gantry_plugin!(__GantryExports with_types_in $crate::bindings);
    };
    ($plugin:ty, config = $config:ty $(,)?) => {
        $crate::register_plugin!(@export $plugin, ::core::option::Option::Some($crate::__config_schema_text::<$config>()));
    };
    ($plugin:ty $(,)?) => {
        $crate::register_plugin!(@export $plugin, ::core::option::Option::None);
    };
}

/// Logs at debug level with format arguments: `debug!("read {n} files")`.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => { $crate::log::debug(&::std::format!($($arg)+)) };
}

/// Logs at info level with format arguments: `info!("labelled #{number}")`.
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => { $crate::log::info(&::std::format!($($arg)+)) };
}

/// Logs at warn level with format arguments: `warn!("could not react: {e}")`.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => { $crate::log::warn(&::std::format!($($arg)+)) };
}

/// Logs at error level with format arguments: `error!("giving up on #{number}")`.
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => { $crate::log::error(&::std::format!($($arg)+)) };
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
