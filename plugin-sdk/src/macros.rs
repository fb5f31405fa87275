//! The `register_plugin!` macro and the constants it stamps into the binary.
use crate::SDK_VERSION;

/// Exports a type implementing [`crate::Plugin`] as the component's plugin and embeds its
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
            fn manifest() -> ::std::string::String {
                ::std::string::String::from(include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/gantry-plugin.toml")))
            }
            fn handle_event(event: $crate::Event) -> ::core::result::Result<(), ::std::string::String> {
                <$plugin as $crate::Plugin>::handle_event(event)
            }
            fn handle_command(command: $crate::Command) -> ::core::result::Result<(), ::std::string::String> {
                <$plugin as $crate::Plugin>::handle_command(command)
            }
            fn approval_resolved(approval: $crate::Approval) -> ::core::result::Result<(), ::std::string::String> {
                <$plugin as $crate::Plugin>::approval_resolved(approval)
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
