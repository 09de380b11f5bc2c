#!/usr/bin/env bash
# shellcheck disable=SC2034 # the variables are used by the scripts that source this file
# Shared settings for the engine scripts. Sourced, never run.
# One state folder holds everything the local stack owns: sockets, data roots, pid files, logs,
# credentials and the env file that tests read. It is machine-wide on purpose, so that every
# checkout (and CI's clean clone) shares one engine instead of starting a second one.

MP_STATE_DIR=${MP_STATE_DIR:-/var/tmp/mesos-pipeline-engine}
MP_BRIDGE=${MP_BRIDGE:-mpbr0}
MP_BRIDGE_CIDR=${MP_BRIDGE_CIDR:-172.30.77.1/24}
MP_REGISTRY_PORT=${MP_REGISTRY_PORT:-5000}
MP_AUTH_REGISTRY_PORT=${MP_AUTH_REGISTRY_PORT:-5001}
# The token-auth registry (Docker Hub's flow) and the token service that signs its tokens.
MP_TOKEN_REGISTRY_PORT=${MP_TOKEN_REGISTRY_PORT:-5002}
MP_TOKEN_SERVICE_PORT=${MP_TOKEN_SERVICE_PORT:-5003}
MP_TOKEN_LIFETIME=${MP_TOKEN_LIFETIME:-300}
MP_BASE_IMAGE=${MP_BASE_IMAGE:-mesos-pipeline/busybox:static}

MP_SOCKET="$MP_STATE_DIR/docker.sock"
MP_ENV_FILE="$MP_STATE_DIR/env"

log() { printf '[engine] %s\n' "$*" >&2; }

# apt-get update and install, quietly: no questions (noninteractive), -qq, and dpkg's unpacking and
# setting-up lines go to a log file that is shown only when the install fails. Usage:
#   quiet_apt_install LOGFILE PACKAGE...
quiet_apt_install() {
  local logfile=$1
  shift
  mkdir -p "$(dirname "$logfile")"
  : >"$logfile"
  if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$logfile" 2>&1 ||
    ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "$@" \
      >>"$logfile" 2>&1; then
    printf '[engine] error: installing %s failed; the output of apt-get (%s):\n' "$*" "$logfile" >&2
    cat "$logfile" >&2
    return 1
  fi
}
die() { printf '[engine] error: %s\n' "$*" >&2; exit 1; }

# pid_alive FILE PATTERN: true when FILE holds the pid of a live process whose command line
# contains PATTERN. The pattern check guards against a stale pid file whose pid was reused.
pid_alive() {
  local file=$1 pattern=$2 pid
  [ -s "$file" ] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  # No `| grep -q` here or anywhere in these scripts: with pipefail, grep leaving early can kill
  # the writer with SIGPIPE and turn a match into a failure.
  [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == *"$pattern"* ]]
}

engine_answers() {
  curl -sf --max-time 3 --unix-socket "$MP_SOCKET" http://engine/_ping >/dev/null 2>&1
}

token_service_answers() { # PORT
  curl -sf --max-time 3 "http://127.0.0.1:$1/healthz" >/dev/null 2>&1
}

registry_answers() { # PORT -> true when a registry answers /v2/ (200 open, 401 with auth)
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$1/v2/" 2>/dev/null)
  [ "$code" = 200 ] || [ "$code" = 401 ]
}

stop_pid_file() { # FILE PATTERN NAME: stop the process a pid file names, if it is still ours
  local file=$1 pattern=$2 name=${3:-process} pid
  if pid_alive "$file" "$pattern"; then
    pid=$(cat "$file")
    log "stopping $name (pid $pid)"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do pid_alive "$file" "$pattern" || break; sleep 0.2; done
    if pid_alive "$file" "$pattern"; then
      log "$name did not stop within 20s; killing it"
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

unmount_stale() {
  # Mounts left under the state folder by a killed dockerd (overlay merged dirs, netns, shm).
  local m
  awk -v p="$MP_STATE_DIR/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
}
