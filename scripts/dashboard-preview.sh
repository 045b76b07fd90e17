#!/usr/bin/env bash
# Draws docs/img/dashboard.png: a real fleet scraped by Debian's real Prometheus (unpacked, not installed)
# with deploy/prometheus' config and rules, a short load, then every panel of the Grafana dashboard drawn
# from that Prometheus (deploy/grafana/preview/). Needs the shared PostgreSQL and Redis; takes ~3 minutes.
# Usage: npm run dashboard:preview [-- <load seconds>]   (not part of CI)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/prometheus-tools.sh
PROMETHEUS_BIN="$(prometheus_tool prometheus)"
export PROMETHEUS_BIN
bash scripts/ensure-chromium.sh
exec node --conditions=@revos/source --import tsx deploy/grafana/preview/fleet.ts "$@"
