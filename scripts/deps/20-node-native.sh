#!/usr/bin/env bash
# Node dependencies of the native TypeScript example worker (examples/typescript): npm ci from the
# committed package-lock.json when node_modules is missing or the lock file changed since the last
# install. Needs Node >= 20.3 and npm (installed on this machine kind). Idempotent and fast when warm.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
dir="$root/examples/typescript"

command -v node >/dev/null || { echo "node is not installed: Node >= 20.3 is needed for examples/typescript" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm is not installed: it is needed for examples/typescript" >&2; exit 1; }
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=3)?0:1)' ||
  { echo "node $(node --version) is too old: @temporalio/worker needs >= 20.3" >&2; exit 1; }

stamp="$dir/node_modules/.tasker-package-lock.sha256"
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dir/node_modules/@temporalio/worker" ]; then
  echo "examples/typescript: node_modules up to date"
  exit 0
fi
echo "examples/typescript: npm ci"
(cd "$dir" && npm ci --no-audit --no-fund)
echo "$want" >"$stamp"
