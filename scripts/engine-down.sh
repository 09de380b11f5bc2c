#!/usr/bin/env bash
# Stops what engine-up.sh started, and only that: each process is found by its pid file and
# checked against its own command line, never looked up by name. Data is kept unless --purge.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
  exec sudo --preserve-env=MP_STATE_DIR,MP_BRIDGE "$0" "$@"
fi

for name in registry-open registry-auth registry-token; do
  stop_pid_file "$MP_STATE_DIR/$name/registry.pid" "$MP_STATE_DIR/$name/config.yml" "$name"
done
stop_pid_file "$MP_STATE_DIR/token-service/token-service.pid" "$MP_STATE_DIR/token-service/config.json" "token service"
stop_pid_file "$MP_STATE_DIR/dockerd.pid" "$MP_SOCKET" dockerd
stop_pid_file "$MP_STATE_DIR/exec/containerd/containerd.pid" "$MP_STATE_DIR/exec" containerd
unmount_stale
rm -f "$MP_SOCKET"
if ip link show "$MP_BRIDGE" >/dev/null 2>&1; then ip link del "$MP_BRIDGE" || true; fi
if [ "${1:-}" = "--purge" ]; then
  log "removing $MP_STATE_DIR"
  rm -rf "$MP_STATE_DIR"
fi
log "stopped"
