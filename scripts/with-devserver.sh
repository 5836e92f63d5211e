#!/usr/bin/env bash
# Runs a command with TEMPORAL_ADDRESS pointing at one embedded Temporal server (bin/devserver),
# started for this command and stopped after it, unless TEMPORAL_ADDRESS is already set.
set -euo pipefail
if [ -n "${TEMPORAL_ADDRESS:-}" ]; then exec "$@"; fi
root=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$root/bin/devserver" ] || go build -o "$root/bin/" "$root/cmd/devserver"
out=$(mktemp)
"$root/bin/devserver" --port -1 --no-ui --log-format json >"$out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 1 300); do
  addr=$(sed -n 's/^TEMPORAL_ADDRESS=//p' "$out")
  [ -n "$addr" ] && break
  kill -0 $pid 2>/dev/null || { cat "$out" >&2; echo "dev server exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "${addr:-}" ] || { cat "$out" >&2; echo "dev server did not start" >&2; exit 1; }
export TEMPORAL_ADDRESS=$addr
echo "with-devserver: TEMPORAL_ADDRESS=$addr" >&2
"$@"
