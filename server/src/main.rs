//! The `gantry` binary; everything lives in the library.
fn main() -> std::process::ExitCode {
    gantry_server::cli::main()
}
