#!/usr/bin/env bash
# Runs a command against the cluster topology: the Temporal services as separate processes on
# PostgreSQL (bin/temporal-node up), plus the workers and bridge its flags ask for, started for
# this command and stopped after it (their databases dropped). Flags before `--` go to
# `temporal-node up`, e.g.
#   scripts/with-cluster.sh --workers 2 --mtls -- go run ./cmd/tasker start examples/diamond --wait
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
up_args=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do up_args+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "usage: $0 [temporal-node up flags] -- command..." >&2; exit 2; }
for b in temporal-node worker bridge; do
  [ -x "$root/bin/$b" ] || (cd "$root" && go build -o bin/ ./cmd/temporal-node ./cmd/worker ./cmd/bridge)
done
out=$(mktemp)
"$root/bin/temporal-node" up "${up_args[@]}" >"$out" 2>"$out.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$out" "$out.log"' EXIT
for _ in $(seq 1 1800); do
  grep -q '^CLUSTER_DIR=' "$out" && break
  kill -0 $pid 2>/dev/null || { cat "$out.log" >&2; echo "cluster exited" >&2; exit 1; }
  sleep 0.1
done
grep -q '^CLUSTER_DIR=' "$out" || { cat "$out.log" >&2; echo "cluster did not start" >&2; exit 1; }
while IFS= read -r kv; do export "${kv?}"; done <"$out"
echo "with-cluster: TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS (logs in $CLUSTER_DIR)" >&2
"$@"
