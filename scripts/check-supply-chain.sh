#!/usr/bin/env bash
# The supply-chain check of `./dev test`: cargo deny (advisories, licences, bans,
# sources; deny.toml says why each exception is there) on the host and plugin
# workspaces, offline, against the advisories in vendor/advisory-db; then the vendored
# sqlx-core, which cargo deny sees only as a path: it must be sqlx-core 0.9.0 as
# published plus the one patch its README describes, and sqlx-core 0.9.0 itself is
# checked for advisories. Last, the check must be able to fail: a fixture that depends
# on a crate with an advisory must be refused.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cache="${GANTRY_CACHE_DIR:-$HOME/.cache/gantry}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

command -v cargo-deny >/dev/null 2>&1 || {
    echo "error: cargo-deny is missing; ./dev setup installs it" >&2
    exit 1
}

# cargo-deny reads a git checkout of the advisory database under db-path, in a folder
# named after the database's URL; it is made from vendor/advisory-db on each run.
db_root="$cache/advisory-dbs"
export GANTRY_ADVISORY_DBS="$db_root"
db="$db_root/advisory-db-3157b0e258782691"
rm -rf "$db"
mkdir -p "$db"
cp -r vendor/advisory-db/crates "$db/crates"
(
    cd "$db"
    git init -q
    git add -A
    GIT_AUTHOR_NAME=gantry GIT_AUTHOR_EMAIL=gantry@localhost \
        GIT_COMMITTER_NAME=gantry GIT_COMMITTER_EMAIL=gantry@localhost \
        git commit -q -m "vendor/advisory-db of the Gantry checkout"
)

check() {
    local manifest="$1"
    shift
    # Every platform's crates are fetched first (cargo metadata reads them all), so
    # cargo deny can run offline: the advisories are the vendored ones.
    cargo fetch --quiet --manifest-path "$manifest"
    cargo deny --log-level warn --offline --manifest-path "$manifest" \
        --config "$root/deny.toml" check "$@"
}

echo "  host workspace" >&2
check Cargo.toml
echo "  plugin workspace" >&2
check plugins/Cargo.toml

echo "  vendored sqlx-core" >&2
version="$(sed -n 's/^version = "\(.*\)"/\1/p' vendor/sqlx-core/Cargo.toml | head -n 1)"
[[ "$version" == "0.9.0" ]] || {
    echo "error: vendor/sqlx-core is $version; its README and this check are for 0.9.0" >&2
    exit 1
}
fixture="$work/sqlx-core-0.9.0"
cp -r tests/fixtures/supply-chain/sqlx-core-0.9.0 "$fixture"
cargo fetch --quiet --manifest-path "$fixture/Cargo.toml"
published="$(find "${CARGO_HOME:-$HOME/.cargo}/registry/src" -maxdepth 2 -type d -name 'sqlx-core-0.9.0' | head -n 1)"
[[ -n "$published" ]] || {
    echo "error: the published sqlx-core 0.9.0 could not be fetched" >&2
    exit 1
}
# The published crate with vendor/sqlx-core.patch applied must be vendor/sqlx-core.
cp -r "$published" "$work/sqlx-core-patched"
(cd "$work/sqlx-core-patched" && git apply -p1 "$root/vendor/sqlx-core.patch")
if ! diff -r -x README.gantry.md -x .cargo-ok -x .cargo_vcs_info.json \
    "$work/sqlx-core-patched" vendor/sqlx-core >"$work/sqlx.diff"; then
    echo "error: vendor/sqlx-core is not sqlx-core 0.9.0 plus vendor/sqlx-core.patch:" >&2
    cat "$work/sqlx.diff" >&2
    exit 1
fi
check "$fixture/Cargo.toml" advisories

echo "  the check refuses a crate with an advisory" >&2
fixture="$work/vulnerable"
cp -r tests/fixtures/supply-chain/vulnerable "$fixture"
if check "$fixture/Cargo.toml" advisories >"$work/vulnerable.log" 2>&1; then
    echo "error: cargo deny accepted shlex 1.2.0 (RUSTSEC-2024-0006): the advisory check sees nothing" >&2
    exit 1
fi
grep -q 'RUSTSEC-2024-0006' "$work/vulnerable.log" || {
    echo "error: cargo deny refused the fixture, but not for RUSTSEC-2024-0006:" >&2
    cat "$work/vulnerable.log" >&2
    exit 1
}
echo "  supply chain: ok" >&2
