#!/usr/bin/env bash
# Builds every guest crate of the `plugins/` workspace (bundled plugins and the hostile
# test fixtures under tests/plugins/) for wasm32-wasip2, then copies the components to
#   target/plugins/<name>.wasm       bundled plugins (what `gantry sandbox` loads)
#   target/test-plugins/<name>.wasm  test fixtures
# With `--crate DIR` it builds that one plugin crate instead (for example one made by
# `gantry plugin new`) and prints the path of the component it built.
# It picks the first toolchain route that works:
#   1. rustup with the wasm32-wasip2 target installed;
#   2. Debian's rustc-web with its std sources, building std with -Zbuild-std.
# When neither works it says exactly what to install. GANTRY_WASM_ROUTE=rustup|debian
# forces a route. Wasm builds use their own target directory (GANTRY_WASM_TARGET_DIR)
# so the host build's cache is untouched.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wasm_target_dir="${GANTRY_WASM_TARGET_DIR:-${HOME}/.cache/gantry/wasm-target}"
manifest="$root/plugins/Cargo.toml"
single_crate=""
if [[ "${1:-}" == "--crate" ]]; then
    single_crate="$(cd "${2:?usage: $0 --crate DIR}" && pwd)"
    manifest="$single_crate/Cargo.toml"
    shift 2
fi
out_plugins="$root/target/plugins"
out_fixtures="$root/target/test-plugins"

have_rustup_target() {
    command -v rustup >/dev/null 2>&1 &&
        rustup target list --installed 2>/dev/null | grep -qx 'wasm32-wasip2'
}

have_debian_route() {
    [[ -x /usr/bin/rustc && -x /usr/bin/cargo && -f /usr/lib/wasm32-wasi/libc.a ]] &&
        /usr/bin/rustc --print sysroot >/dev/null 2>&1 &&
        [[ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/src/rust/library" ]]
}

route_wanted="${GANTRY_WASM_ROUTE:-}"
if [[ "$route_wanted" != "debian" ]] && have_rustup_target; then
    route="rustup target wasm32-wasip2"
    build() { cargo build --release --target wasm32-wasip2 --manifest-path "$manifest" --target-dir "$wasm_target_dir" "$@"; }
elif [[ "$route_wanted" != "rustup" ]] && have_debian_route; then
    route="Debian rustc-web with -Zbuild-std"
    build() {
        PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
            RUSTFLAGS="-L /usr/lib/wasm32-wasi" \
            /usr/bin/cargo build --release -Zbuild-std=std,panic_abort --target wasm32-wasip2 \
            --manifest-path "$manifest" --target-dir "$wasm_target_dir" "$@"
    }
else
    cat >&2 <<'MSG'
error: no toolchain can build wasm32-wasip2 plugins on this machine.
Install one of:
  - with rustup and network:   rustup target add wasm32-wasip2
  - on Debian (no rustup download needed):
        apt-get update && apt-get install -y rustc-web cargo-web rust-web-src lld-22 wasi-libc
(`./dev setup` installs the Debian route for you.)
MSG
    exit 1
fi

echo "building plugins with: $route" >&2
build --quiet "$@"

if [[ -n "$single_crate" ]]; then
    crate_name="$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$manifest" | head -n 1)"
    wasm="$wasm_target_dir/wasm32-wasip2/release/${crate_name//-/_}.wasm"
    [[ -f "$wasm" ]] || { echo "error: the build did not produce $wasm" >&2; exit 1; }
    echo "$wasm"
    exit 0
fi

mkdir -p "$out_plugins" "$out_fixtures"
shopt -s nullglob
built=("$wasm_target_dir"/wasm32-wasip2/release/*.wasm)
if ((${#built[@]} == 0)); then
    echo "error: the build produced no .wasm files in $wasm_target_dir/wasm32-wasip2/release" >&2
    exit 1
fi
for wasm in "${built[@]}"; do
    file="$(basename "$wasm" .wasm)"
    case "$file" in
        gantry_plugin_*) cp "$wasm" "$out_plugins/${file#gantry_plugin_}.wasm" ;;
        gantry_fixture_*) cp "$wasm" "$out_fixtures/${file#gantry_fixture_}.wasm" ;;
    esac
done
echo "plugins:  $(cd "$out_plugins" && ls | tr '\n' ' ')" >&2
echo "fixtures: $(cd "$out_fixtures" && ls | tr '\n' ' ')" >&2
