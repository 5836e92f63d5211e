#!/usr/bin/env bash
# Node.js >= 20.3 and npm (the TypeScript example worker and the BullMQ shim need them). Uses the
# node on PATH when it is new enough; else installs Node's official Linux build, checked against
# its published SHA-256, into .tools/node (the Makefile puts .tools/node/bin first on PATH).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
want_version=${TASKER_NODE_VERSION:-v20.19.5}
export PATH="$root/.tools/node/bin:$PATH"

new_enough() {
  command -v node >/dev/null && command -v npm >/dev/null &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=3)?0:1)'
}
if new_enough; then
  echo "node $(node --version) at $(command -v node)"
  exit 0
fi
case $(uname -m) in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "no Node.js build for $(uname -m): install Node >= 20.3 by hand" >&2; exit 1 ;;
esac
. "$(dirname "$0")/lib.bash"
need_pkgs curl ca-certificates xz-utils
name="node-$want_version-linux-$arch"
base="https://nodejs.org/dist/$want_version"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "installing Node.js $want_version into .tools/node"
curl -fsSL "$base/$name.tar.xz" -o "$tmp/$name.tar.xz"
curl -fsSL "$base/SHASUMS256.txt" -o "$tmp/SHASUMS256.txt"
(cd "$tmp" && grep " $name.tar.xz\$" SHASUMS256.txt | sha256sum -c --quiet -)
rm -rf "$root/.tools/node"
mkdir -p "$root/.tools"
tar -xJf "$tmp/$name.tar.xz" -C "$root/.tools"
mv "$root/.tools/$name" "$root/.tools/node"
new_enough || { echo "Node.js $want_version did not install" >&2; exit 1; }
echo "node $(node --version) at $(command -v node)"
