# Sourced by scripts that need Prometheus' own binaries (promtool, prometheus).
# prometheus_tool NAME prints the path of NAME: from PATH, or else from Debian's `prometheus` package,
# unpacked (not installed: no service is started, nothing outside the cache directory is written) into
# ${REVOS_TOOLS_DIR:-$HOME/.cache/revos-tools}.
prometheus_tool() {
  local name="$1" tools="${REVOS_TOOLS_DIR:-$HOME/.cache/revos-tools}" found
  found="$(command -v "$name" || true)"
  if [[ -n "$found" ]]; then echo "$found"; return; fi
  found="$tools/prometheus/usr/bin/$name"
  if [[ ! -x "$found" ]]; then
    echo "$name not on PATH: unpacking it from Debian's prometheus package into $tools" >&2
    mkdir -p "$tools/download"
    (cd "$tools/download" && rm -f prometheus_*.deb && apt-get download prometheus >/dev/null)
    dpkg-deb -x "$tools"/download/prometheus_*.deb "$tools/prometheus"
  fi
  echo "$found"
}
