//! A released WIT version is frozen: `wit/v0.1/` must stay byte for byte what
//! plugins were built against, so every file is hashed (SHA-256) against the
//! constants below and no file may be added or removed. A change belongs in the next
//! version's folder, never here.
use std::path::Path;

use sha2::{Digest, Sha256};

/// Every file of `wit/v0.1/` and its SHA-256, in name order.
const V0_1: &[(&str, &str)] = &[
    (
        "config.wit",
        "f02137778ace72415d03ad58540855f0165f4a3c57593136b7a6cd89ee7d3cb1",
    ),
    (
        "git.wit",
        "53f373e260eebc32254dfafc03f95d7a9aedb16ed4eb9f5241e8cb9c971125fb",
    ),
    (
        "github.wit",
        "79249419b5ecc4e47f8ba72cd5238a6b3d36f06459b2d693f6a1bde6ed67350f",
    ),
    (
        "http.wit",
        "687668f801508bff4ad112b1455bb776d43e2e752c0ec3adf47797fe03a83a3d",
    ),
    (
        "kv.wit",
        "54220e45851370ce739554096972a1dcd430099e65a79884a52843d71ef20b92",
    ),
    (
        "log.wit",
        "3b3dd3e42d11e9650da013541dea433d282231f9274c9c0252c40fd91782be33",
    ),
    (
        "metrics.wit",
        "22db41342cbb8cc402e91ef0d2b6061a22855aceb1a1f46702b28280b6b086a7",
    ),
    (
        "secrets.wit",
        "75d648664a0e76455b97c2cea28379fbf0def8c50b566260d1b35f7ac9afa387",
    ),
    (
        "types.wit",
        "ff467fa446530c29fe2dd2d12fe970a245cb3c164ebe3d61a0645056bce80faf",
    ),
    (
        "world.wit",
        "7ffffe64205492abeb5f55dcd80420146021736432649d62b76056930bccc7cd",
    ),
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn wit_v0_1_is_byte_for_byte_what_was_released() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("wit/v0.1");
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let expected: Vec<&str> = V0_1.iter().map(|(name, _)| *name).collect();
    assert_eq!(found, expected, "wit/v0.1/ gained or lost a file");
    for (name, sha) in V0_1 {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        assert_eq!(
            hex(&Sha256::digest(&bytes)),
            *sha,
            "wit/v0.1/{name} changed: released WIT is frozen, change wit/v0.2/ instead"
        );
    }
}

#[test]
fn wit_v0_2_is_its_own_package_version() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("wit/v0.2");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("package gantry:plugin@0.2.0;\n"),
            "{} does not declare gantry:plugin@0.2.0",
            path.display()
        );
    }
}
