#!/usr/bin/env bash
# The main job end to end on this machine: starts the local engine and registry, makes a demo
# Mesos-like git repository (master, release branches, a release tag, branches that must be left
# out), publishes the fixture image family for every eligible branch to the local registry and
# prints the published tags. The production images need Docker Hub and the internet; the fixture
# family stands in for them (test/fixtures/family: a base and a child FROM it, with smoke tests).
set -euo pipefail
cd "$(dirname "$0")/.."

env_lines=$(bash scripts/engine-up.sh)
eval "$env_lines"
export DOCKER_HOST

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi
npm run --silent build

repo="$MP_STATE_DIR/demo-repo"
if [ ! -d "$repo/.git" ]; then
  echo "[demo] making a demo repository in $repo" >&2
  git init -q -b master "$repo"
  g() { git -C "$repo" -c user.name=demo -c user.email=demo@example.invalid "$@"; }
  g commit -q --allow-empty -m "initial commit"
  for branch in 1.6.x 1.9.x 1.10.x 1.11.x; do
    g checkout -q -b "$branch" master
    g commit -q --allow-empty -m "release branch $branch"
  done
  g tag -a 1.11.0 -m "release 1.11.0" 1.11.x
  g branch feature/1.8.x master
  g checkout -q master
  g commit -q --allow-empty -m "work on master"
fi

registry="$MP_REGISTRY/demo"
echo "[demo] publishing to $registry (1.6.x and feature/1.8.x are not eligible and are left out)" >&2
node dist/pipeline/main.js publish \
  --repo "$repo" \
  --images test/fixtures/family \
  --registry "$registry" \
  --report "$MP_STATE_DIR/demo-report.json" "$@"
echo "[demo] report: $MP_STATE_DIR/demo-report.json; run again tomorrow (or with --date) to see unchanged branches re-tagged without a rebuild" >&2
