#!/usr/bin/env bash
# Runs the whole test suite: every crate's tests with the integration suite on SQLite,
# the bundled plugins' unit tests on the host, then the integration suite again on
# PostgreSQL (GANTRY_TEST_POSTGRES_URL, default
# postgres://postgres@127.0.0.1:5432/test). Called by `./dev test` after the build;
# expects the plugins in target/plugins and target/test-plugins.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gantry/target}"
pg_url="${GANTRY_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
export GANTRY_TEST_POSTGRES_URL="$pg_url"

if cargo nextest --version >/dev/null 2>&1; then
    run() { cargo nextest run --no-fail-fast "$@"; }
else
    run() { cargo test --no-fail-fast "$@"; }
fi

echo "==> all tests, integration suite on SQLite" >&2
GANTRY_TEST_DATABASE=sqlite run --workspace "$@"

echo "==> bundled plugins' own unit tests, on the host" >&2
# Their rules are pure Rust; the wasm builds are tested by the integration suite.
CARGO_TARGET_DIR="${GANTRY_PLUGIN_TEST_TARGET_DIR:-$HOME/.cache/gantry/plugin-host-target}" \
    cargo test --manifest-path plugins/Cargo.toml -p gantry-plugin-commands -p gantry-plugin-ci -p gantry-plugin-hooks -p gantry-plugin-releases -p gantry-plugin-sync

echo "==> integration suite on PostgreSQL ($pg_url)" >&2
# Each test creates its own database gantry_t_<uuid>; drop what earlier runs left.
if command -v psql >/dev/null 2>&1; then
    psql "$pg_url" -Atqc "select datname from pg_database where datname like 'gantry_t_%'" 2>/dev/null |
        while read -r db; do psql "$pg_url" -qc "drop database if exists \"$db\"" >/dev/null 2>&1 || true; done
fi
GANTRY_TEST_DATABASE=postgres run -p gantry-tests "$@"

echo "==> deploy files (YAML, Kubernetes manifests, systemd unit, Dockerfile)" >&2
scripts/check-deploy.sh
