# Shared helpers of scripts/deps/*.sh (sourced, not run): cheap checks first, apt-get only for
# what is missing, so a warm machine passes every script in well under a second.
up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_up() { for _ in $(seq 1 60); do up "$1" && return 0; sleep 1; done; echo "$2 did not come up on port $1" >&2; return 1; }

# need_pkgs PKG...: apt-get install the Debian packages that dpkg -s does not report installed.
need_pkgs() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing ${missing[*]} (apt-get)"
  local sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    $sudo apt-get update >/dev/null
    $sudo apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
  }
}

# npm_ci DIR WHAT: npm ci in DIR unless node_modules was installed from the same package-lock.json
# (a stamp file keyed on the lock file's hash).
npm_ci() {
  local dir=$1 what=$2 stamp want
  stamp="$dir/node_modules/.tasker-package-lock.sha256"
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$what: node_modules up to date"
    return 0
  fi
  echo "$what: npm ci"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
}
