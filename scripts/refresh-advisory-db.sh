#!/usr/bin/env bash
# Replaces vendor/advisory-db/crates with the current RustSec advisory database
# (https://github.com/rustsec/advisory-db). Needs github.com; commit the result.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git clone --depth 1 https://github.com/rustsec/advisory-db "$tmp/advisory-db"
rm -rf "$root/vendor/advisory-db/crates"
cp -r "$tmp/advisory-db/crates" "$root/vendor/advisory-db/crates"
echo "vendor/advisory-db/crates now holds $(find "$root/vendor/advisory-db/crates" -name 'RUSTSEC-*.md' | wc -l) advisories at $(git -C "$tmp/advisory-db" rev-parse --short HEAD)"
