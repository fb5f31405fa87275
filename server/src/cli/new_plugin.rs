//! `gantry plugin new`: a plugin crate from the template in `template/`, ready to
//! build with `scripts/build-plugins.sh --crate DIR` and run with `gantry plugin test`.
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// The template files, embedded in the binary. The plugin guide shows `lib.rs`
/// verbatim (a test checks it), so the guide and the template cannot drift apart.
pub const TEMPLATE_LIB_RS: &str = include_str!("template/lib.rs.tmpl");
const TEMPLATE_CARGO_TOML: &str = include_str!("template/Cargo.toml.tmpl");
const TEMPLATE_MANIFEST: &str = include_str!("template/gantry-plugin.toml.tmpl");

/// Creates `dir` with a new plugin named `name` depending on the SDK at `sdk`.
///
/// # Errors
/// When the name is not a valid plugin name, `dir` exists, or files cannot be written.
pub fn create(name: &str, dir: &Path, sdk: &Path) -> anyhow::Result<()> {
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
    if !sdk.join("Cargo.toml").is_file() {
        bail!(
            "no SDK at {}: pass --sdk PATH/TO/gantry/plugin-sdk",
            sdk.display()
        );
    }
    let sdk = sdk
        .canonicalize()
        .with_context(|| format!("resolving {}", sdk.display()))?;
    let fill = |t: &str| {
        t.replace("{{name}}", name)
            .replace("{{sdk}}", &sdk.display().to_string())
    };
    std::fs::create_dir_all(dir.join("src"))
        .with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(dir.join("Cargo.toml"), fill(TEMPLATE_CARGO_TOML))?;
    std::fs::write(dir.join("gantry-plugin.toml"), fill(TEMPLATE_MANIFEST))?;
    std::fs::write(dir.join("src/lib.rs"), fill(TEMPLATE_LIB_RS))?;
    std::fs::write(dir.join(".gitignore"), "/target\n")?;
    Ok(())
}

/// The SDK beside the current directory when run from a Gantry checkout.
#[must_use]
pub fn default_sdk() -> PathBuf {
    PathBuf::from("plugin-sdk")
}
