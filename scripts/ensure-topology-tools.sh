#!/usr/bin/env bash
# The production-topology tests (issue 28) start Debian's PgBouncer (test/db/pgbouncer.test.ts,
# test/fault/pgbouncer-outage.test.ts) and Redis Sentinels (test/fault/redis-failover.test.ts).
# Installs the packages when their binaries are missing.
set -euo pipefail
missing=()
[ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
command -v redis-sentinel >/dev/null || missing+=(redis-sentinel)
if [ ${#missing[@]} -eq 0 ]; then
  echo "topology tools: pgbouncer and redis-sentinel present"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if [ -n "$SUDO" ] && ! command -v sudo >/dev/null; then
  echo "topology tools: ${missing[*]} missing and this user cannot install them; run 'apt-get install ${missing[*]}' as root" >&2
  exit 1
fi
echo "topology tools: installing Debian's ${missing[*]} (the pooler and failover tests need them)"
$SUDO apt-get update -q
$SUDO apt-get install -y -q "${missing[@]}" || { echo "topology tools: apt-get install ${missing[*]} failed; install them by hand" >&2; exit 1; }
# The Debian packages start their own services (PgBouncer on 6432, a Sentinel on 26379); the tests use
# private instances on free ports, so those are left as the package set them up.
