#!/usr/bin/env bash
# Checks deploy/prometheus with Prometheus' own promtool: the rule files parse and their PromQL is
# valid (check rules), the unit tests of the alerts pass (test rules), and prometheus.yml is a valid
# configuration (check config, syntax only: its rule and token paths are the container's).
#
# promtool comes from PATH, or else from Debian's `prometheus` package, unpacked into a cache
# directory (scripts/prometheus-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/prometheus-tools.sh
promtool="$(prometheus_tool promtool)"
"$promtool" --version | head -1

"$promtool" check rules deploy/prometheus/rules/*.yml
"$promtool" test rules deploy/prometheus/tests/*.yml
"$promtool" check config --syntax-only deploy/prometheus/prometheus.yml
