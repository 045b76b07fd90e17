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
$SUDO apt-get update -q
$SUDO apt-get install -y -q chromium
/usr/bin/chromium --version
