#!/usr/bin/env bash
# What the bridge's tests need beyond Go: Sidekiq (Debian ruby-sidekiq), Celery (Debian
# python3-celery) and BullMQ (npm, pinned by bridge/shims/node/package-lock.json). Idempotent: a
# warm machine skips every step.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

missing=()
for p in ruby-sidekiq python3-celery; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    apt-get update >/dev/null
    apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  }
fi

node_dir="$root/bridge/shims/node"
if [ ! -d "$node_dir/node_modules/bullmq" ]; then
  echo "installing bullmq (npm ci in $node_dir)"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "bridge deps: sidekiq $(dpkg-query -W -f='${Version}' ruby-sidekiq), celery $(dpkg-query -W -f='${Version}' python3-celery), bullmq $(node -p "require('$node_dir/node_modules/bullmq/package.json').version")"
