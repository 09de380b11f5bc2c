#!/usr/bin/env bash
# The whole test suite, from a clean clone on a machine with only Node 20, npm and apt-get:
# installs and starts what it needs (engine-up.sh), then runs every test while it type-checks and lints.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages (docker.io, docker-registry, busybox-static, shellcheck, ...), the engine,
# the two registries and the offline base image. Idempotent and quick when already up.
bash scripts/engine-up.sh >/dev/null

# The offline C toolchain image of the compile-cache test (scripts/toolchain-image.sh) takes a
# minute or two to make on a machine that does not have it yet: make it while the code is built,
# type-checked and linted. The test calls the same script, which waits for this one to finish.
mkdir -p "${MP_STATE_DIR:-/var/tmp/mesos-pipeline-engine}"
bash scripts/toolchain-image.sh >"${MP_STATE_DIR:-/var/tmp/mesos-pipeline-engine}/toolchain.log" 2>&1 &
toolchain=$!

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Its prepare script builds the CLI.
  npm ci --no-audit --no-fund
else
  npm run --silent build
fi
# The itg project's global setup builds the CLI when vitest runs on its own; here it is built.
export MP_TEST_CLI_BUILT=1
# Type-check and lint while the tests run: the tests mostly wait on the engine, and these two would
# otherwise add a minute before the first test starts. Their output comes after the tests'.
checks_log=$(mktemp)
(npm run --silent typecheck && npm run --silent lint) >"$checks_log" 2>&1 &
checks=$!
status=0
npx vitest run -c test/vitest.config.ts "$@" || status=$?
if ! wait "$checks"; then
  status=1
  echo "typecheck or lint failed:" >&2
fi
cat "$checks_log" >&2
rm -f "$checks_log"
# Nothing of this script outlives it, also when the compile-cache test was not selected.
wait "$toolchain" || true
exit "$status"
