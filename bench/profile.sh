#!/bin/sh
# Runs the fleet variant once with its worker child under `node --cpu-prof`, then prints the
# top functions of the profile. Profiles land in bench/results/*.cpuprofile (gitignored); the
# numbers of a profiled run (bench/results/profile.md) are slowed by the profiler: do not compare
# them with latest.md. Extra arguments go to run.ts, e.g. `bench/profile.sh --n=2000`.
set -eu
cd "$(dirname "$0")/.."
BENCH_VARIANTS="${BENCH_VARIANTS:-fleet}" BENCH_PROFILE="${BENCH_PROFILE:-fleet}" BENCH_OUT=profile BENCH_LABEL="${BENCH_LABEL:-profile}" \
  node --conditions=@revos/source --import tsx bench/run.ts "$@"
node bench/top-functions.mjs --top="${TOP:-25}"
