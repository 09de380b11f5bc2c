#!/usr/bin/env bash
# Starts the project's own container stack and prints the environment to use it:
#   - a real dockerd (Debian's docker.io) on its own socket, data root, exec root and bridge,
#   - three real registries (Debian's docker-registry) on 127.0.0.1: one open, one with htpasswd,
#     one with token auth (Docker Hub's flow) and our token service (scripts/token-service.mjs),
#   - a FROM-scratch busybox base image, since no public registry is reachable here,
#   - emulation of the other architecture (scripts/emulation.sh; MP_EMULATE= skips it) and a base
#     image per architecture, $MP_BASE_IMAGE-amd64 and $MP_BASE_IMAGE-arm64, for multi-platform tests.
# Idempotent: what already answers is left alone, so a second run is a fast no-op. Survives
# what a killed session leaves behind: stale pid files, sockets, mounts and bridge.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

# The token service runs on the Node that runs npm (setup-node's, on CI), which sudo's PATH may lack.
MP_NODE=${MP_NODE:-$(command -v node || true)}

if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || die "dockerd needs root: run this script as root or install sudo"
  exec sudo --preserve-env=MP_STATE_DIR,MP_BRIDGE,MP_BRIDGE_CIDR,MP_REGISTRY_PORT,MP_AUTH_REGISTRY_PORT,MP_TOKEN_REGISTRY_PORT,MP_TOKEN_SERVICE_PORT,MP_TOKEN_LIFETIME,MP_BASE_IMAGE,MP_EMULATE \
    MP_SOCKET_GROUP="$(id -g)" MP_NODE="$MP_NODE" "$0" "$@"
fi

install_missing() {
  # package:command pairs (or package:/path); a package is installed only when what it provides is
  # missing, so an engine that is already installed (docker-ce on CI runners) is used as it is.
  local want=(
    docker.io:dockerd
    docker-registry:docker-registry
    apache2-utils:htpasswd
    openssl:openssl
    skopeo:skopeo
    shellcheck:shellcheck
    curl:curl
    iproute2:ip
    git:git
    ca-certificates:/etc/ssl/certs/ca-certificates.crt
  )
  local missing=() entry pkg what
  for entry in "${want[@]}"; do
    pkg=${entry%%:*}
    what=${entry#*:}
    if [[ "$what" == /* ]]; then [ -e "$what" ] || missing+=("$pkg")
    else command -v "$what" >/dev/null 2>&1 || missing+=("$pkg"); fi
  done
  # The dynamic busybox package also provides /bin/busybox; fixture images need the static one.
  [[ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null || true)" == *'install ok installed'* ]] || missing+=(busybox-static)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]} (apt-get's output: $MP_STATE_DIR/apt.log)"
  # policy-rc.d keeps the packages' own service scripts from starting a system dockerd.
  local policy=/usr/sbin/policy-rc.d created_policy=0
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; created_policy=1; fi
  local status=0
  quiet_apt_install "$MP_STATE_DIR/apt.log" "${missing[@]}" || status=$?
  if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
  [ "$status" -eq 0 ] || die "could not install ${missing[*]}"
}

ensure_bridge() {
  # Our own bridge, so this engine never touches docker0 of an engine already on the machine.
  if ! ip link show "$MP_BRIDGE" >/dev/null 2>&1; then
    ip link add name "$MP_BRIDGE" type bridge
  fi
  # A bridge whose address was never set takes the lowest address of its ports: each container
  # that starts or stops may change it, and the containers' packets still on their way to the old
  # one are lost. Through a published port that is a request taken and never answered (seen here:
  # 10 to 40 s stalls while other containers came and went). dockerd sets docker0's address for
  # that reason; ours gets a set one too, random and locally administered. A bridge left by an
  # older version of this script is mended the same way.
  if [ "$(cat "/sys/class/net/$MP_BRIDGE/addr_assign_type")" != 3 ]; then
    ip link set dev "$MP_BRIDGE" address "$(od -An -N5 -tx1 /dev/urandom | awk '{ printf "02:%s:%s:%s:%s:%s", $1, $2, $3, $4, $5 }')"
  fi
  [[ "$(ip addr show dev "$MP_BRIDGE")" == *"inet ${MP_BRIDGE_CIDR%/*}/"* ]] || ip addr add "$MP_BRIDGE_CIDR" dev "$MP_BRIDGE"
  ip link set "$MP_BRIDGE" up
}

start_engine() {
  local pidfile="$MP_STATE_DIR/dockerd.pid"
  if pid_alive "$pidfile" "$MP_SOCKET"; then
    for _ in $(seq 1 100); do engine_answers && return 0; sleep 0.3; done
    log "dockerd (pid $(cat "$pidfile")) does not answer; restarting it"
  fi
  stop_pid_file "$pidfile" "$MP_SOCKET" dockerd
  stop_pid_file "$MP_STATE_DIR/exec/containerd/containerd.pid" "$MP_STATE_DIR/exec" containerd
  unmount_stale
  rm -f "$MP_SOCKET" "$MP_STATE_DIR/exec/containerd/containerd.sock"*
  ensure_bridge
  log "starting dockerd on $MP_SOCKET"
  local group_flag=()
  [ -n "${MP_SOCKET_GROUP:-}" ] && group_flag=(--group "$MP_SOCKET_GROUP")
  # Own bridge and no iptables rules: this engine must not touch docker0 or the DOCKER chains
  # of an engine that may already run on the machine. Published ports use the userland proxy.
  setsid nohup dockerd \
    --host "unix://$MP_SOCKET" "${group_flag[@]}" \
    --data-root "$MP_STATE_DIR/docker" \
    --exec-root "$MP_STATE_DIR/exec" \
    --pidfile "$pidfile" \
    --bridge "$MP_BRIDGE" --iptables=false --ip-masq=false \
    --storage-driver overlay2 \
    >>"$MP_STATE_DIR/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 200); do
    engine_answers && { log "dockerd is up"; return 0; }
    sleep 0.3
  done
  tail -n 30 "$MP_STATE_DIR/dockerd.log" >&2
  die "dockerd did not answer on $MP_SOCKET within 60s (log: $MP_STATE_DIR/dockerd.log)"
}

write_if_changed() { # FILE, content on stdin: true when FILE changed (and was rewritten)
  local file=$1
  cat >"$file.tmp"
  if [ -f "$file" ] && cmp -s "$file.tmp" "$file"; then
    rm -f "$file.tmp"
    return 1
  fi
  mv "$file.tmp" "$file"
}

write_registry_config() { # NAME PORT [AUTH-LINE]
  local name=$1 port=$2 auth=${3:-} config="$MP_STATE_DIR/$1/config.yml"
  mkdir -p "$MP_STATE_DIR/$name/data"
  if {
    echo "version: 0.1"
    echo "log: {level: info, accesslog: {disabled: false}}"
    echo "storage: {filesystem: {rootdirectory: $MP_STATE_DIR/$name/data}, delete: {enabled: true}}"
    echo "http: {addr: 127.0.0.1:$port}"
    if [ -n "$auth" ]; then echo "$auth"; fi
  } | write_if_changed "$config"; then
    # A registry still running on an older config (another token service port, a new
    # certificate) would refuse every token: it is restarted.
    stop_pid_file "$MP_STATE_DIR/$name/registry.pid" "$config" "registry $name (its config changed)"
  fi
}

start_registry() { # NAME PORT
  local name=$1 port=$2 pidfile="$MP_STATE_DIR/$1/registry.pid" config="$MP_STATE_DIR/$1/config.yml"
  if pid_alive "$pidfile" "$config" && registry_answers "$port"; then return 0; fi
  stop_pid_file "$pidfile" "$config" "registry $name"
  if registry_answers "$port" || (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port 127.0.0.1:$port is taken by a process this script did not start; set MP_REGISTRY_PORT / MP_AUTH_REGISTRY_PORT / MP_TOKEN_REGISTRY_PORT to free ports"
  fi
  log "starting registry $name on 127.0.0.1:$port"
  : >"$MP_STATE_DIR/$name/registry.log"
  # The inner shell records its own pid and then becomes the registry, so the pid file is exact.
  # shellcheck disable=SC2016
  setsid nohup bash -c 'echo $$ >"$1"; exec docker-registry serve "$2"' registry "$pidfile" "$config" \
    >>"$MP_STATE_DIR/$name/registry.log" 2>&1 </dev/null &
  for _ in $(seq 1 100); do registry_answers "$port" && return 0; sleep 0.1; done
  tail -n 20 "$MP_STATE_DIR/$name/registry.log" >&2
  die "registry $name did not answer on 127.0.0.1:$port"
}

TOKEN_DIR=$MP_STATE_DIR/token-service
TOKEN_ISSUER=mesos-pipeline-token-service
TOKEN_AUDIENCE=mesos-pipeline-token-registry

ensure_token_keys() {
  # The signing key and its self-signed CA:true certificate, which the token registry trusts as
  # its rootcertbundle. Made once.
  mkdir -p "$TOKEN_DIR"
  [ -s "$TOKEN_DIR/key.pem" ] && [ -s "$TOKEN_DIR/cert.pem" ] && return 0
  log "making the token service's signing key and certificate"
  (
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mesos-pipeline token service" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,digitalSignature,keyCertSign" \
      -keyout "$TOKEN_DIR/key.pem.tmp" -out "$TOKEN_DIR/cert.pem.tmp" 2>/dev/null
  )
  chmod 0644 "$TOKEN_DIR/cert.pem.tmp"
  mv "$TOKEN_DIR/key.pem.tmp" "$TOKEN_DIR/key.pem"
  mv "$TOKEN_DIR/cert.pem.tmp" "$TOKEN_DIR/cert.pem"
  # Whatever still runs signs with, or trusts, the old pair.
  stop_pid_file "$TOKEN_DIR/token-service.pid" "$TOKEN_DIR/config.json" "token service (new key)"
  stop_pid_file "$MP_STATE_DIR/registry-token/registry.pid" "$MP_STATE_DIR/registry-token/config.yml" \
    "registry registry-token (new certificate)"
}

write_token_service_config() {
  [[ "$MP_TOKEN_LIFETIME" =~ ^[1-9][0-9]*$ ]] ||
    die "MP_TOKEN_LIFETIME must be a whole number of seconds (at least 1), not '$MP_TOKEN_LIFETIME'"
  local config="$TOKEN_DIR/config.json"
  if write_if_changed "$config" <<EOF; then
{
  "listen": "127.0.0.1:$MP_TOKEN_SERVICE_PORT",
  "issuer": "$TOKEN_ISSUER",
  "service": "$TOKEN_AUDIENCE",
  "key": "$TOKEN_DIR/key.pem",
  "certificate": "$TOKEN_DIR/cert.pem",
  "accounts": [{ "usernameFile": "$MP_STATE_DIR/auth/username", "passwordFile": "$MP_STATE_DIR/auth/password" }],
  "lifetimeSeconds": $MP_TOKEN_LIFETIME
}
EOF
    # Another lifetime or port: the running service is restarted with it.
    stop_pid_file "$TOKEN_DIR/token-service.pid" "$config" "token service (its config changed)"
  fi
}

start_token_service() {
  local pidfile="$TOKEN_DIR/token-service.pid" config="$TOKEN_DIR/config.json" port=$MP_TOKEN_SERVICE_PORT
  if pid_alive "$pidfile" "$config" && token_service_answers "$port"; then return 0; fi
  stop_pid_file "$pidfile" "$config" "token service"
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "port 127.0.0.1:$port is taken by a process this script did not start; set MP_TOKEN_SERVICE_PORT to a free port"
  fi
  if [ -z "$MP_NODE" ] || [ ! -x "$MP_NODE" ]; then
    die "the token service needs Node: put node on PATH or set MP_NODE"
  fi
  log "starting the token service on 127.0.0.1:$port (tokens live ${MP_TOKEN_LIFETIME}s)"
  : >"$TOKEN_DIR/token-service.log"
  # shellcheck disable=SC2016
  setsid nohup bash -c 'echo $$ >"$1"; exec "$2" "$3" "$4"' token-service "$pidfile" "$MP_NODE" \
    "$here/token-service.mjs" "$config" >>"$TOKEN_DIR/token-service.log" 2>&1 </dev/null &
  for _ in $(seq 1 100); do token_service_answers "$port" && return 0; sleep 0.1; done
  tail -n 20 "$TOKEN_DIR/token-service.log" >&2
  die "the token service did not answer on 127.0.0.1:$port"
}

ensure_credentials() {
  local dir="$MP_STATE_DIR/auth"
  mkdir -p "$dir"
  chmod 0750 "$dir"
  [ -s "$dir/username" ] || echo "pipeline-tester" >"$dir/username"
  if [ ! -s "$dir/password" ]; then
    (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$dir/password")
  fi
  if [ ! -s "$dir/htpasswd" ]; then
    # -i reads the password from stdin: it never appears on a command line.
    htpasswd -B -i -c "$dir/htpasswd" "$(cat "$dir/username")" <"$dir/password" 2>/dev/null
  fi
  [ -n "${MP_SOCKET_GROUP:-}" ] && chgrp -R "$MP_SOCKET_GROUP" "$dir" && chmod 0640 "$dir/password"
  return 0
}

main() {
  install_missing
  mkdir -p "$MP_STATE_DIR"
  ensure_credentials
  ensure_token_keys
  write_registry_config registry-open "$MP_REGISTRY_PORT"
  write_registry_config registry-auth "$MP_AUTH_REGISTRY_PORT" \
    "auth: {htpasswd: {realm: mesos-pipeline-test, path: $MP_STATE_DIR/auth/htpasswd}}"
  write_registry_config registry-token "$MP_TOKEN_REGISTRY_PORT" \
    "auth: {token: {realm: \"http://127.0.0.1:$MP_TOKEN_SERVICE_PORT/token\", service: $TOKEN_AUDIENCE, issuer: $TOKEN_ISSUER, rootcertbundle: $TOKEN_DIR/cert.pem}}"
  write_token_service_config
  start_engine
  start_registry registry-open "$MP_REGISTRY_PORT"
  start_registry registry-auth "$MP_AUTH_REGISTRY_PORT"
  start_token_service
  start_registry registry-token "$MP_TOKEN_REGISTRY_PORT"
  DOCKER_HOST="unix://$MP_SOCKET" MP_BASE_IMAGE="$MP_BASE_IMAGE" "$here/base-image.sh"
  # One base image per architecture the engine can run: the host's, and the emulated one.
  local host_arch platforms foreign
  host_arch=$(dpkg --print-architecture)
  platforms="linux/$host_arch"
  DOCKER_HOST="unix://$MP_SOCKET" MP_BASE_IMAGE="$MP_BASE_IMAGE" "$here/base-image.sh" "$host_arch" /bin/busybox
  "$here/emulation.sh"
  for foreign in amd64 arm64; do
    if [ "$foreign" = "$host_arch" ] || [ ! -x "$MP_STATE_DIR/busybox-$foreign/busybox" ]; then continue; fi
    if [ "${MP_EMULATE-x}" = "" ]; then continue; fi
    DOCKER_HOST="unix://$MP_SOCKET" MP_BASE_IMAGE="$MP_BASE_IMAGE" \
      "$here/base-image.sh" "$foreign" "$MP_STATE_DIR/busybox-$foreign/busybox"
    platforms="$platforms,linux/$foreign"
  done

  local token_env="$TOKEN_DIR/env"
  {
    echo "MP_TOKEN_REGISTRY=127.0.0.1:$MP_TOKEN_REGISTRY_PORT"
    echo "MP_TOKEN_REGISTRY_LOG=$MP_STATE_DIR/registry-token/registry.log"
    echo "MP_TOKEN_REALM=http://127.0.0.1:$MP_TOKEN_SERVICE_PORT/token"
    echo "MP_TOKEN_SERVICE_LOG=$TOKEN_DIR/token-service.log"
    echo "MP_TOKEN_LIFETIME=$MP_TOKEN_LIFETIME"
  } >"$token_env.tmp"
  mv "$token_env.tmp" "$token_env"
  chmod 0644 "$token_env"

  local tmp="$MP_ENV_FILE.tmp"
  {
    echo "DOCKER_HOST=unix://$MP_SOCKET"
    echo "MP_STATE_DIR=$MP_STATE_DIR"
    echo "MP_REGISTRY=127.0.0.1:$MP_REGISTRY_PORT"
    echo "MP_REGISTRY_LOG=$MP_STATE_DIR/registry-open/registry.log"
    echo "MP_AUTH_REGISTRY=127.0.0.1:$MP_AUTH_REGISTRY_PORT"
    echo "MP_AUTH_REGISTRY_LOG=$MP_STATE_DIR/registry-auth/registry.log"
    echo "MP_AUTH_USERNAME_FILE=$MP_STATE_DIR/auth/username"
    echo "MP_AUTH_PASSWORD_FILE=$MP_STATE_DIR/auth/password"
    cat "$token_env"
    echo "MP_BASE_IMAGE=$MP_BASE_IMAGE"
    echo "MP_PLATFORMS=$platforms"
  } >"$tmp"
  mv "$tmp" "$MP_ENV_FILE"
  chmod 0644 "$MP_ENV_FILE"
  # The password stays in its file; only its path is printed.
  sed 's/^/export /' "$MP_ENV_FILE"
}

main "$@"
