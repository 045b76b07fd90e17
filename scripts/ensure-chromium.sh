#!/usr/bin/env bash
# The browser test (test/ops/ops.browser.test.ts) drives Debian's chromium through playwright-core,
# which never downloads a browser. Installs the package when /usr/bin/chromium is missing.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if [ -n "$SUDO" ] && ! command -v sudo >/dev/null; then
  echo "chromium: /usr/bin/chromium is missing and this user cannot install it; run 'apt-get install chromium' as root" >&2
  exit 1
fi
echo "chromium: /usr/bin/chromium is missing; installing Debian's chromium package (the browser test needs it)"
$SUDO apt-get update -q
$SUDO apt-get install -y -q chromium || { echo "chromium: apt-get install chromium failed; install it by hand" >&2; exit 1; }
/usr/bin/chromium --version
