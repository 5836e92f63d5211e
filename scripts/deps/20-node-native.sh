#!/usr/bin/env bash
# Node dependencies of the native TypeScript example worker (examples/typescript): npm ci from the
# committed package-lock.json when node_modules is missing or the lock file changed since the last
# install (a stamp keyed on the lock file's hash). Needs 10-node.sh first.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.bash"
npm_ci "$root/examples/typescript" examples/typescript
