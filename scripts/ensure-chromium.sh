#!/usr/bin/env bash
# The status-page test drives Debian's chromium (playwright-core downloads no browser): install it when missing.
# Idempotent and quiet; runs before `npm test` (its pretest), so a fresh machine and CI need nothing else.
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$chromium" ] && exit 0
if [ -n "${CHROMIUM_PATH:-}" ]; then
  echo "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable: point it at a Chromium or Chrome binary" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "no $chromium and no apt-get: install Chromium and set CHROMIUM_PATH to its binary" >&2
  exit 1
fi
run_as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "no $chromium: install Debian's chromium as root (apt-get install chromium)" >&2
    exit 1
  fi
  run_as_root=(sudo)
fi
echo "Installing Debian's chromium for the status-page browser test (once)..." >&2
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { "${run_as_root[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq &&
  DEBIAN_FRONTEND=noninteractive "${run_as_root[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -qq chromium; } \
  >"$log" 2>&1; then
  cat "$log" >&2
  echo "installing chromium failed (output above)" >&2
  exit 1
fi
[ -x "$chromium" ] || { echo "chromium installed, but $chromium is missing" >&2; exit 1; }
