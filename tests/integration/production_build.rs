//! The production build: `gantry serve` built without the `sandbox` feature (as
//! deploy/docker's Dockerfile builds it) links no simulator code, and the commands
//! that need the simulator say so instead of running.
use std::path::Path;
use std::process::Command;

/// `cargo tree` of the server's normal dependencies, with or without its defaults.
fn dependency_tree(default_features: bool) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(&root)
        .args(["tree", "--offline", "--locked", "-p", "gantry-server"])
        .args(["-e", "normal", "--prefix", "none"]);
    if !default_features {
        command.arg("--no-default-features");
    }
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn the_production_build_of_gantry_links_no_simulator() {
    let production = dependency_tree(false);
    assert!(
        production.contains("gantry-server"),
        "the tree names the server: {production}"
    );
    assert!(
        !production.contains("gantry-simulator"),
        "the production build depends on the simulator:\n{production}"
    );
    // The development build (default features) has it, so the check above can fail.
    assert!(dependency_tree(true).contains("gantry-simulator"));
}

#[test]
fn the_dockerfile_builds_gantry_without_the_sandbox_feature() {
    let dockerfile = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/docker/Dockerfile"),
    )
    .unwrap();
    let build = dockerfile
        .lines()
        .find(|l| l.contains("cargo build"))
        .expect("the Dockerfile builds gantry");
    assert!(
        build.contains("--no-default-features") && build.contains("--release"),
        "{build}"
    );
}
