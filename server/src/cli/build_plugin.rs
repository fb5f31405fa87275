//! `gantry plugin build [DIR]`: builds one plugin crate for `wasm32-wasip2` with the
//! first toolchain route that works (as `scripts/build-plugins.sh` does): rustup
//! with the target installed, or Debian's rustc-web building std with `-Zbuild-std`;
//! when neither works, says what to install. Prints the built component's path.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

const TARGET: &str = "wasm32-wasip2";

/// How this machine builds for `wasm32-wasip2`.
enum Route {
    Rustup,
    Debian,
}

/// Builds the crate in `dir` and returns the path of the component it built.
///
/// # Errors
/// When `dir` holds no crate, no toolchain can build for `wasm32-wasip2` (the message
/// says what to install), or the build fails.
pub fn build(dir: &Path) -> anyhow::Result<PathBuf> {
    let manifest = dir.join("Cargo.toml");
    if !manifest.is_file() {
        bail!(
            "no plugin crate in {} (no Cargo.toml); make one with `gantry plugin new NAME`",
            dir.display()
        );
    }
    let route = match std::env::var("GANTRY_WASM_ROUTE").as_deref() {
        Ok("debian") => has_debian_route().then_some(Route::Debian),
        Ok("rustup") => has_rustup_target().then_some(Route::Rustup),
        _ if has_rustup_target() => Some(Route::Rustup),
        _ => has_debian_route().then_some(Route::Debian),
    };
    let mut cargo = match route {
        Some(Route::Rustup) => Command::new("cargo"),
        Some(Route::Debian) => {
            let path = std::env::var("PATH").unwrap_or_default();
            let mut cargo = Command::new("/usr/bin/cargo");
            cargo
                .env("PATH", format!("/usr/bin:{path}"))
                .env("RUSTC", "/usr/bin/rustc")
                .env("RUSTC_BOOTSTRAP", "1")
                .env("RUSTFLAGS", "-L /usr/lib/wasm32-wasi")
                .arg("-Zbuild-std=std,panic_abort");
            cargo
        }
        None => bail!(
            "no toolchain can build {TARGET} plugins here: run `rustup target add {TARGET}` \
             (or, on Debian without rustup: `apt-get install rustc-web cargo-web rust-web-src \
             lld-22 wasi-libc`)"
        ),
    };
    let output = cargo
        .args(["build", "--release", "--target", TARGET])
        .args([
            "--message-format",
            "json-render-diagnostics",
            "--manifest-path",
        ])
        .arg(&manifest)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo")?;
    if !output.status.success() {
        bail!("cargo could not build {}", dir.display());
    }
    built_component(&String::from_utf8_lossy(&output.stdout))
        .with_context(|| format!("the build of {} produced no .wasm", dir.display()))
}

/// The `.wasm` named in cargo's JSON messages (the crate's `cdylib`).
fn built_component(messages: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact")
        .flat_map(|m| m["filenames"].as_array().cloned().unwrap_or_default())
        .filter_map(|f| f.as_str().map(PathBuf::from))
        .rfind(|f| f.extension().is_some_and(|e| e == "wasm"))
}

/// rustup with the `wasm32-wasip2` target installed.
fn has_rustup_target() -> bool {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|out| {
            out.status.success()
                && String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .any(|l| l == TARGET)
        })
}

/// Debian's rustc-web with its std sources and wasi-libc.
fn has_debian_route() -> bool {
    if !Path::new("/usr/lib/wasm32-wasi/libc.a").is_file() {
        return false;
    }
    Command::new("/usr/bin/rustc")
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
        .is_some_and(|sysroot| sysroot.join("lib/rustlib/src/rust/library").is_dir())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::built_component;

    #[test]
    fn the_component_is_the_wasm_among_the_artifacts() {
        let messages = [
            r#"{"reason":"compiler-artifact","filenames":["/t/release/deps/libserde.rlib"]}"#,
            "not json",
            r#"{"reason":"compiler-artifact","filenames":["/t/release/hello.wasm"]}"#,
            r#"{"reason":"build-finished","success":true}"#,
        ]
        .join("\n");
        assert_eq!(
            built_component(&messages),
            Some(PathBuf::from("/t/release/hello.wasm"))
        );
        assert_eq!(built_component(&messages[..70]), None);
    }
}
