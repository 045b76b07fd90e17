#!/usr/bin/env bash
# Starts local PostgreSQL and Redis when they are not answering (Debian packages, as on the dev
# machines), then waits until both accept connections. Used by .ci/run and `npm start`.
set -uo pipefail

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ]; }

if ! pg_up; then
  echo "PostgreSQL is down; starting it"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! redis_up; then
  echo "Redis is down; starting it"
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi

for _ in $(seq 1 60); do
  if pg_up && redis_up; then echo "PostgreSQL and Redis are up"; exit 0; fi
  sleep 0.5
done
pg_up || echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2
redis_up || echo "Redis did not come up on 127.0.0.1:6379" >&2
exit 1
