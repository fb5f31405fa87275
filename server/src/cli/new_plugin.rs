//! `gantry plugin new`: a plugin crate from the template in `template/`, ready to
//! build with `gantry plugin build` and run with `gantry plugin test`. The SDK it
//! depends on is `--sdk`, else `./plugin-sdk` in a Gantry checkout, else the SDK
//! embedded in the binary, written into the crate at `.gantry/sdk/`.
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// The template files, embedded in the binary. The plugin guide shows `lib.rs`
/// verbatim (a test checks it), so the guide and the template cannot drift apart.
pub const TEMPLATE_LIB_RS: &str = include_str!("template/lib.rs.tmpl");
const TEMPLATE_CARGO_TOML: &str = include_str!("template/Cargo.toml.tmpl");
const TEMPLATE_MANIFEST: &str = include_str!("template/gantry-plugin.toml.tmpl");

/// Where a crate keeps the embedded SDK, relative to the crate.
pub const EMBEDDED_SDK_DIR: &str = ".gantry/sdk";

/// Creates `dir` with a new plugin named `name` depending on the SDK at `sdk`, or on
/// `./plugin-sdk` when there is one, or on the embedded SDK written into the crate.
/// Returns the SDK the crate depends on, as its manifest names it.
///
/// # Errors
/// When the name is not a valid plugin name, `dir` exists, or files cannot be written.
pub fn create(name: &str, dir: &Path, sdk: Option<&Path>) -> anyhow::Result<String> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid || name.starts_with('-') {
        bail!("`{name}` is not a plugin name: use 1-64 lower case letters, digits and `-`");
    }
    if dir.exists() {
        bail!("{} already exists", dir.display());
    }
    let checkout = PathBuf::from("plugin-sdk");
    let sdk = match sdk {
        Some(sdk) if !sdk.join("Cargo.toml").is_file() => {
            bail!(
                "no SDK at {}: pass --sdk PATH/TO/gantry/plugin-sdk",
                sdk.display()
            );
        }
        Some(sdk) => Some(sdk),
        None => checkout
            .join("Cargo.toml")
            .is_file()
            .then_some(checkout.as_path()),
    };
    let sdk = match sdk {
        Some(sdk) => sdk
            .canonicalize()
            .with_context(|| format!("resolving {}", sdk.display()))?
            .display()
            .to_string(),
        None => EMBEDDED_SDK_DIR.to_owned(),
    };
    let fill = |t: &str| t.replace("{{name}}", name).replace("{{sdk}}", &sdk);
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("creating {}", dir.display()))?;
    if sdk == EMBEDDED_SDK_DIR {
        super::sdk_bundle::write_to(&dir.join(EMBEDDED_SDK_DIR))?;
    }
    std::fs::write(dir.join("Cargo.toml"), fill(TEMPLATE_CARGO_TOML))?;
    std::fs::write(dir.join("gantry-plugin.toml"), fill(TEMPLATE_MANIFEST))?;
    std::fs::write(dir.join("src/lib.rs"), fill(TEMPLATE_LIB_RS))?;
    std::fs::write(dir.join(".gitignore"), "/target\n")?;
    Ok(sdk)
}
