#!/usr/bin/env bash
# Node.js >= 20.3 and npm: the TypeScript example worker (@temporalio/worker) and the BullMQ shim
# need them. Uses the node on PATH when it is new enough (this machine kind ships Node 20); else
# installs Debian's nodejs and npm, and says plainly if that is still too old.
set -euo pipefail
new_enough() {
  command -v node >/dev/null && command -v npm >/dev/null &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=3)?0:1)'
}
if ! new_enough; then
  . "$(dirname "$0")/lib.bash"
  need_pkgs nodejs npm
fi
if ! new_enough; then
  echo "Node.js >= 20.3 is needed (found $(node --version 2>/dev/null || echo none)): install a newer nodejs package" >&2
  exit 1
fi
echo "node $(node --version) at $(command -v node)"
