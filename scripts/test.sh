#!/usr/bin/env bash
# The whole test suite, from a clean clone on a machine with only Node 20, npm and apt-get:
# installs and starts what it needs (engine-up.sh), then type-checks, lints and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages (docker.io, docker-registry, busybox-static, shellcheck, ...), the engine,
# the two registries and the offline base image. Idempotent and quick when already up.
bash scripts/engine-up.sh >/dev/null

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
npm run --silent typecheck
npm run --silent lint
npx vitest run -c test/vitest.config.ts "$@"
