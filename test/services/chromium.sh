#!/usr/bin/env bash
# Headless Chromium for the browser tests (test/browser/), from the Debian package:
#
#   bash test/services/chromium.sh        prints CHROMIUM_BINARY=/usr/bin/chromium on stdout
#
# Idempotent: when the binary exists (CHROMIUM_BINARY, else /usr/bin/chromium) it is only
# checked (`--version`) and nothing is installed. Otherwise, as root on a Debian machine,
# `apt-get update && apt-get install -y chromium` (log: $DRIFTWATCH_SERVICES_DIR/logs/apt-chromium.log,
# a few minutes cold). Not root, no apt-get, or DRIFTWATCH_NO_APT=1: a clear error saying what
# to install. The driver (puppeteer-core) never downloads a browser of its own.
#
# Called by the browser project's globalSetup (test/browser/setup.ts); see docs/testing.md.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN="${CHROMIUM_BINARY:-/usr/bin/chromium}"

check() {
  local version
  version=$("$BIN" --headless --no-sandbox --version 2>/dev/null) \
    || fail "chromium" "" "$BIN exists but \`$BIN --version\` fails (a broken install? try: apt-get install --reinstall chromium)"
  log "chromium: $version ($BIN)"
  echo "CHROMIUM_BINARY=$BIN"
}

if [[ -x "$BIN" ]]; then
  check
  exit 0
fi
if [[ -n "${CHROMIUM_BINARY:-}" ]]; then
  fail "chromium" "" "CHROMIUM_BINARY=$CHROMIUM_BINARY is not an executable file"
fi
if [[ $(id -u) -ne 0 || -n "${DRIFTWATCH_NO_APT:-}" ]] || ! command -v apt-get >/dev/null 2>&1; then
  fail "chromium" "" "$BIN not found and cannot apt-get install it (not root, no apt-get, or DRIFTWATCH_NO_APT): install the Debian package 'chromium', or point CHROMIUM_BINARY at a Chromium or Chrome binary"
fi

t=$(date +%s.%N)
log "installing chromium with apt-get (log: $LOGS/apt-chromium.log) ..."
# Other setup steps may hold the dpkg lock (up.sh installs PostgreSQL and Redis): wait for it.
{
  apt-get -o DPkg::Lock::Timeout=600 update \
    && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends chromium
} >"$LOGS/apt-chromium.log" 2>&1 || fail "chromium: apt-get install chromium" "$LOGS/apt-chromium.log"
[[ -x "$BIN" ]] || fail "chromium" "$LOGS/apt-chromium.log" "apt-get installed chromium but $BIN is missing"
log "installed chromium in $(elapsed "$t")"
check
