#!/usr/bin/env bash
# What the bridge's tests need beyond Go: Sidekiq (Debian ruby-sidekiq), Celery (Debian
# python3-celery) and BullMQ (npm, pinned by bridge/shims/node/package-lock.json). Idempotent: a
# warm machine runs two dpkg checks and compares one hash.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$(dirname "$0")/lib.bash"

need_pkgs ruby-sidekiq python3-celery
node_dir="$root/bridge/shims/node"
npm_ci "$node_dir" bridge/shims/node
echo "bridge deps: sidekiq $(dpkg-query -W -f='${Version}' ruby-sidekiq), celery $(dpkg-query -W -f='${Version}' python3-celery), bullmq $(node -p "require('$node_dir/node_modules/bullmq/package.json').version")"
