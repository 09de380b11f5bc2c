#!/usr/bin/env bash
# `npm run bench`: the pipeline against the docker-CLI baseline (scripts/bench/baseline.sh), cold,
# warm, one branch moved and at a large build context. See BENCHMARKS.md for the method.
#
# Starts (or reuses) the local engine and registries, builds the pipeline, then hands over to
# scripts/bench/bench.ts (compiled to dist/), which reads its knobs from BENCH_* variables (defaults: the issue's
# numbers) and writes .bench/results.json and .bench/results.md.
#   npm run bench                 # the full run: 6 branches, 3 repetitions, 10 s CPU, 50 MiB, 10 MB vs 1 GB
#   npm run bench -- --reduced    # a quick check of the harness: 2 branches, 1 repetition, small sizes
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -x /usr/bin/time ]; then
  # Peak RSS is read from outside the measured process, by GNU time (Debian package `time`).
  if [ "$(id -u)" -eq 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends time >&2
  else
    echo "bench: /usr/bin/time is missing; install Debian's time package" >&2
    exit 2
  fi
fi

# The engine and registries (idempotent); it prints `export NAME=value` lines.
engine_env=$(bash scripts/engine-up.sh)
eval "$engine_env"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
npm run --silent build

exec node dist/scripts/bench/bench.js "$@"
