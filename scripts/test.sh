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

# The suite's temporary files go to a folder of this run, checked at the end: a test
# leaves none behind (its TestApp removes the simulator's git repositories, tempfile
# its directories).
run_tmp="$(mktemp -d "${TMPDIR:-/tmp}/gantry-test-run.XXXXXX")"
# Like /tmp itself: the PostgreSQL fault test runs initdb as the postgres user in a
# folder of its own under it.
chmod 1777 "$run_tmp"
export TMPDIR="$run_tmp"

if cargo nextest --version >/dev/null 2>&1; then
    run() { cargo nextest run --no-fail-fast "$@"; }
else
    run() { cargo test --no-fail-fast "$@"; }
fi

echo "==> all tests, integration suite on SQLite" >&2
GANTRY_TEST_DATABASE=sqlite run --workspace "$@"

echo "==> bundled plugins' own unit tests, on the host" >&2
# Their rules, and their handlers against the SDK's fake host (`fake-host`), natively;
# the wasm builds are tested by the integration suite.
CARGO_TARGET_DIR="${GANTRY_PLUGIN_TEST_TARGET_DIR:-$HOME/.cache/gantry/plugin-host-target}" \
    cargo test --manifest-path plugins/Cargo.toml -p gantry-plugin-agent -p gantry-plugin-commands -p gantry-plugin-ci -p gantry-plugin-hooks -p gantry-plugin-releases -p gantry-plugin-sync

echo "==> integration suite on PostgreSQL ($pg_url)" >&2
# Each test creates its own database gantry_t_<uuid>; drop what earlier runs left.
if command -v psql >/dev/null 2>&1; then
    psql "$pg_url" -Atqc "select datname from pg_database where datname like 'gantry_t_%'" 2>/dev/null |
        while read -r db; do psql "$pg_url" -qc "drop database if exists \"$db\"" >/dev/null 2>&1 || true; done
fi
GANTRY_TEST_DATABASE=postgres run -p gantry-tests "$@"

echo "==> deploy files (YAML, Kubernetes manifests, systemd unit, Dockerfile)" >&2
scripts/check-deploy.sh

echo "==> nothing left behind" >&2
# Each test drops its PostgreSQL database when it ends (helpers::TestDatabase).
left=0
if command -v psql >/dev/null 2>&1; then
    dbs="$(psql "$pg_url" -Atqc "select count(*) from pg_database where datname like 'gantry_t_%'")"
    if [[ "$dbs" != "0" ]]; then
        echo "error: the suite left $dbs PostgreSQL test databases (gantry_t_*)" >&2
        left=1
    fi
fi
# Chromium keeps profile folders of its own; the suite's are tempfile's and the simulator's.
leftovers="$(find "$run_tmp" -mindepth 1 -maxdepth 1 \( -name '.tmp*' -o -name 'gantry-*' \) | wc -l)"
if [[ "$leftovers" != "0" ]]; then
    echo "error: the suite left $leftovers temporary folders in $run_tmp:" >&2
    # With what each holds, two levels down: that names the test that left it.
    find "$run_tmp" -mindepth 1 -maxdepth 1 \( -name '.tmp*' -o -name 'gantry-*' \) | head -20 |
        while read -r folder; do find "$folder" -maxdepth 2 | head -15; done >&2
    left=1
fi
rm -rf "$run_tmp"
((left == 0))
