#!/usr/bin/env bash
# What `npm test` needs beyond node_modules, so `npm ci && npm test` is all a new machine takes:
# PostgreSQL and Redis answering (started from the Debian packages when they are the local defaults
# and down), Chromium for the browser test, and PgBouncer and redis-sentinel for the topology tests
# (each installed from Debian's packages when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${TEST_PG_URL:-}" ] && [ -z "${TEST_REDIS_URL:-}" ]; then
  bash scripts/ensure-services.sh
fi
bash scripts/ensure-chromium.sh
bash scripts/ensure-topology-tools.sh
