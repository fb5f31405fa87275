//! What a changed file is, from its path alone: Rust or JavaScript/TypeScript, a
//! test, a Rust binary or build script (where printing is its job), a source file
//! whose change wants a test. Pure; paths are as GitHub lists them (`/`-separated,
//! relative to the repository's root).

/// Whether it is Rust.
#[must_use]
pub fn is_rust(path: &str) -> bool {
    extension(path) == Some("rs")
}

/// Whether it is JavaScript or TypeScript.
#[must_use]
pub fn is_script(path: &str) -> bool {
    matches!(
        extension(path),
        Some("js" | "jsx" | "mjs" | "cjs" | "ts" | "tsx" | "mts" | "cts")
    )
}

/// Whether a Rust file is test code: under a `tests/` folder, or named `tests.rs`,
/// `*_tests.rs` or `*_test.rs`.
#[must_use]
pub fn is_rust_test(path: &str) -> bool {
    let name = file_name(path);
    in_folder(path, "tests")
        || name == "tests.rs"
        || name.ends_with("_tests.rs")
        || name.ends_with("_test.rs")
}

/// Whether a Rust file is a program rather than a library, where writing to the
/// terminal is its job: `main.rs`, `build.rs`, or under `src/bin/`, `examples/`,
/// `benches/` or `tests/`.
#[must_use]
pub fn is_rust_binary(path: &str) -> bool {
    let name = file_name(path);
    name == "main.rs"
        || name == "build.rs"
        || path.starts_with("src/bin/")
        || path.contains("/src/bin/")
        || ["examples", "benches", "tests"]
            .into_iter()
            .any(|f| in_folder(path, f))
}

/// Whether a file of any language is a test: under a `tests`, `test`, `__tests__`,
/// `spec` or `testdata` folder, or named like one (`*_test.go`, `test_*.py`,
/// `*.test.ts`, `*.spec.js`, `*_spec.rb`, `FooTest.java`, `tests.rs`, ...).
#[must_use]
pub fn is_test(path: &str) -> bool {
    if ["tests", "test", "__tests__", "spec", "testdata"]
        .into_iter()
        .any(|f| in_folder(path, f))
    {
        return true;
    }
    let name = file_name(path);
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    stem.starts_with("test_")
        || stem == "tests"
        || stem == "conftest"
        || [
            "_test", "_tests", "_spec", ".test", ".spec", "Test", "Tests",
        ]
        .into_iter()
        .any(|end| stem.ends_with(end) && stem.len() > end.len())
}

/// Whether it is source code whose change should come with a test (and is not a
/// test itself).
#[must_use]
pub fn is_source(path: &str) -> bool {
    matches!(
        extension(path),
        Some(
            "rs" | "js"
                | "jsx"
                | "mjs"
                | "cjs"
                | "ts"
                | "tsx"
                | "mts"
                | "cts"
                | "py"
                | "go"
                | "java"
                | "kt"
                | "scala"
                | "c"
                | "h"
                | "cc"
                | "cpp"
                | "cxx"
                | "hpp"
                | "cs"
                | "rb"
                | "php"
                | "swift"
                | "ex"
                | "exs"
                | "hs"
                | "dart"
        )
    ) && !is_test(path)
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn extension(path: &str) -> Option<&str> {
    file_name(path).rsplit_once('.').map(|(_, ext)| ext)
}

/// Whether a folder of the path (not its file name) is `folder`.
fn in_folder(path: &str, folder: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    parts.contains(&folder)
}
