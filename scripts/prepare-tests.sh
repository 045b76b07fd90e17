#!/usr/bin/env bash
# What `npm test` needs beyond node_modules, so `npm ci && npm test` is all a new machine takes:
# PostgreSQL and Redis answering (started from the Debian packages when they are the local defaults
# and down) and Chromium for the browser test (installed from Debian's packages when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TEST_PG_URL:-}" ] && [ -z "${TEST_REDIS_URL:-}" ]; then
  bash scripts/ensure-services.sh
fi
bash scripts/ensure-chromium.sh
