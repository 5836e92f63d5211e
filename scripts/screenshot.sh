#!/usr/bin/env bash
# Takes a screenshot of a task's workflow page in the Temporal UI, as an operator sees it, with
# headless Chromium (Debian's chromium): docs/images/workflow.png by default.
# Usage: scripts/screenshot.sh [OUT.png]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/docs/images/workflow.png}
command -v chromium >/dev/null || { echo "screenshot: needs chromium (apt-get install chromium)" >&2; exit 1; }
cd "$root"
go build -o bin/ ./cmd/worker ./cmd/tasker
port=7391 ui=8391
log=$(mktemp)
./bin/worker --port $port --ui-port $ui --log-format json >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 100); do curl -sf -o /dev/null "http://127.0.0.1:$ui/" && break; sleep 0.2; done
tasker() { ./bin/tasker --temporal-address 127.0.0.1:$port "$@"; }
# A flaky task (a step that needed three attempts), finished: a running workflow's page keeps
# polling, which headless Chromium's virtual time never sees the end of.
read -r id run < <(tasker start examples/flaky --wait --json | python3 -c 'import json,sys; t=json.load(sys.stdin); print(t["workflow_id"], t["run_id"])')
enc=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$id")
shot() { # shot URL FILE
  local profile
  profile=$(mktemp -d)
  timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
    --window-size=1440,${HEIGHT:-1500} --virtual-time-budget=15000 --screenshot="$2" "$1" >/dev/null 2>&1
  rm -rf "$profile"
  echo "screenshot of $1 written to $2"
}
base="http://127.0.0.1:$ui/namespaces/default/workflows/$enc/$run"
shot "$base/history" "$out"
for tab in ${TABS-user-metadata search-attributes}; do shot "$base/$tab" "${out%.png}-$tab.png"; done
