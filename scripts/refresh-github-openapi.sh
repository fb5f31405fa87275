#!/usr/bin/env bash
# Refreshes simulator/openapi/ from GitHub's OpenAPI description as published in the
# npm package @octokit/openapi (a copy of github/rest-api-description): downloads the
# pinned version's tarball with `npm pack` (npm checks its integrity), copies its LICENSE
# (MIT) and extracts the operations listed in simulator/openapi/operations.txt with
# scripts/extract-github-openapi.py into simulator/openapi/github-subset.json.
#
#   scripts/refresh-github-openapi.sh            # the pinned version (VERSION file)
#   scripts/refresh-github-openapi.sh 23.0.3     # another version; pins it
#
# Needs npm, tar and python3. After a refresh, run the contract test
# (cargo nextest run -p gantry-simulator contract) and read the diff.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/simulator/openapi"
version="${1:-$(cat "$dir/VERSION")}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "@octokit/openapi@$version" >/dev/null)
tar -xzf "$work/octokit-openapi-$version.tgz" -C "$work" \
    package/LICENSE package/generated/api.github.com.deref.json
cp "$work/package/LICENSE" "$dir/LICENSE"
python3 "$root/scripts/extract-github-openapi.py" \
    "$work/package/generated/api.github.com.deref.json" \
    "$dir/operations.txt" "$version" "$dir/github-subset.json"
echo "$version" >"$dir/VERSION"
echo "simulator/openapi/ refreshed from @octokit/openapi@$version"
