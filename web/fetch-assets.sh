#!/usr/bin/env bash
# Re-fetches the pinned third-party assets listed in web/static/VERSIONS with
# `npm pack` (the npm registry), verifies each tarball against its npm integrity
# (sha512) and the extracted file against its sha256, and writes it into
# web/static/. Without --update, a file that differs from the committed one is an
# error (so CI can check the committed copy is the pinned release, unmodified).
#
#   web/fetch-assets.sh            verify: fetch, check, compare with web/static
#   web/fetch-assets.sh --update   fetch, check, overwrite web/static
#
# To move to a new version: edit the version and integrity in VERSIONS (npm view
# htmx.org@X dist.integrity), run with --update, then put the printed sha256 in VERSIONS.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
static="$here/static"
update=false
[[ "${1:-}" == "--update" ]] && update=true

command -v npm >/dev/null || { echo "fetch-assets: npm is needed (apt-get install npm)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
status=0

while read -r package version inner saved integrity sha256; do
    [[ -z "$package" || "$package" == \#* ]] && continue
    (cd "$work" && npm pack --silent "$package@$version" >/dev/null 2>&1) || { echo "fetch-assets: npm pack $package@$version failed" >&2; exit 1; }
    tarball="$(ls "$work"/*-"$version".tgz | head -n1)"
    got="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
    if [[ "$got" != "$integrity" ]]; then
        echo "fetch-assets: $package@$version: integrity $got does not match VERSIONS ($integrity)" >&2
        exit 1
    fi
    mkdir -p "$work/x"
    tar -xzf "$tarball" -C "$work/x" "package/$inner"
    file_sha="$(sha256sum "$work/x/package/$inner" | cut -d' ' -f1)"
    if [[ "$sha256" != "$file_sha" ]]; then
        if $update; then
            echo "fetch-assets: $saved sha256 is $file_sha: put it in VERSIONS" >&2
        else
            echo "fetch-assets: $package@$version $inner has sha256 $file_sha, VERSIONS says $sha256" >&2
            exit 1
        fi
    fi
    if $update; then
        cp "$work/x/package/$inner" "$static/$saved"
        echo "fetch-assets: $saved <- $package@$version ($inner)"
    elif ! cmp -s "$work/x/package/$inner" "$static/$saved"; then
        echo "fetch-assets: web/static/$saved differs from $package@$version $inner: run web/fetch-assets.sh --update" >&2
        status=1
    else
        echo "fetch-assets: web/static/$saved is $package@$version, verified"
    fi
    rm -rf "$work/x" "$tarball"
done < "$static/VERSIONS"
exit $status
