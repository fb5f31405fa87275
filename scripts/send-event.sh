#!/usr/bin/env bash
# Sends a corpus webhook payload, signed like GitHub signs it, to a running Gantry.
#
#   scripts/send-event.sh issues/opened [URL]
#   scripts/send-event.sh path/to/payload.json EVENT [URL]
#
# The event name is the corpus folder (issues/opened -> `issues`). The secret comes
# from GANTRY_WEBHOOK_SECRET (default: the sandbox's `gantry-sandbox`); the URL
# defaults to http://127.0.0.1:8080/webhooks/github.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
secret="${GANTRY_WEBHOOK_SECRET:-gantry-sandbox}"
if [[ -f "${1:-}" ]]; then
    file="$1"; event="${2:?the event name is required with a file}"; url="${3:-}"
else
    name="${1:?usage: $0 EVENT/ACTION [URL]}"
    file="$root/tests/fixtures/webhooks/$name.payload.json"
    event="${name%%/*}"; url="${2:-}"
    [[ -f "$file" ]] || { echo "no corpus payload at $file" >&2; exit 1; }
fi
url="${url:-http://127.0.0.1:8080/webhooks/github}"
signature="sha256=$(openssl dgst -sha256 -hmac "$secret" -hex < "$file" | sed 's/^.*= //')"
delivery="$(cat /proc/sys/kernel/random/uuid)"
curl -sS -X POST "$url" \
    -H "content-type: application/json" \
    -H "x-github-event: $event" \
    -H "x-github-delivery: $delivery" \
    -H "x-hub-signature-256: $signature" \
    --data-binary "@$file"
echo
