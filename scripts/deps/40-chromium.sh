#!/usr/bin/env bash
# What the console's browser tests (httpapi) need: headless Chromium, Debian's `chromium` package,
# driven by chromedp. Idempotent: a machine that has it skips the install.
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || {
    apt-get update >/dev/null
    apt-get install -y --no-install-recommends chromium >/dev/null
  }
fi
echo "console deps: $(chromium --version 2>/dev/null | head -1)"
