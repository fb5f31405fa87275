#!/usr/bin/env bash
# Runs the whole test suite: unit tests, the integration suite on SQLite, then the
# integration suite again on PostgreSQL when one answers at GANTRY_TEST_POSTGRES_URL
# (default postgres://postgres@127.0.0.1:5432/test). Called by `./dev test` after the
# build; expects the plugins in target/plugins and target/test-plugins.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gantry/target}"

if cargo nextest --version >/dev/null 2>&1; then
    runner=(cargo nextest run --workspace --no-fail-fast)
else
    runner=(cargo test --workspace --no-fail-fast)
fi

echo "==> test suite on SQLite" >&2
GANTRY_TEST_DATABASE=sqlite "${runner[@]}" "$@"
