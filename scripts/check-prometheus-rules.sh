#!/usr/bin/env bash
# Checks deploy/prometheus with Prometheus' own promtool: the rule files parse and their PromQL is
# valid (check rules), the unit tests of the alerts pass (test rules), and prometheus.yml is a valid
# configuration (check config, syntax only: its rule and token paths are the container's).
#
# promtool comes from PATH, or else from Debian's `prometheus` package, unpacked (not installed:
# no service is started, nothing outside the cache directory is written) into
# ${REVOS_TOOLS_DIR:-$HOME/.cache/revos-tools}.
set -euo pipefail
cd "$(dirname "$0")/.."

tools="${REVOS_TOOLS_DIR:-$HOME/.cache/revos-tools}"
promtool="$(command -v promtool || true)"
if [[ -z "$promtool" ]]; then
  promtool="$tools/prometheus/usr/bin/promtool"
  if [[ ! -x "$promtool" ]]; then
    echo "promtool not on PATH: unpacking it from Debian's prometheus package into $tools"
    mkdir -p "$tools/download"
    (cd "$tools/download" && rm -f prometheus_*.deb && apt-get download prometheus >/dev/null)
    dpkg-deb -x "$tools"/download/prometheus_*.deb "$tools/prometheus"
  fi
fi
"$promtool" --version | head -1

"$promtool" check rules deploy/prometheus/rules/*.yml
"$promtool" test rules deploy/prometheus/tests/*.yml
"$promtool" check config --syntax-only deploy/prometheus/prometheus.yml
