//! Gantry's integration test crate. The suite itself is the `integration` test binary
//! in `integration/` (one binary, a module per area); guest crates for hostile and
//! fixture plugins live in `plugins/` and build with the other plugins.
