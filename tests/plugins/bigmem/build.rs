//! Links the module with a 128 MiB initial linear memory.
fn main() {
    if std::env::var("TARGET").is_ok_and(|t| t.starts_with("wasm32")) {
        println!("cargo:rustc-link-arg=--initial-memory=134217728");
    }
}
