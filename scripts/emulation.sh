#!/usr/bin/env bash
# Sets up emulation of the other common Linux architecture (arm64 on an amd64 host, amd64 on an
# arm64 host) so that the engine can build and run images for both, and fetches that
# architecture's static busybox for the fixture base images. Run as root by engine-up.sh; can be
# run on its own against a running stack (binfmt registration is host-wide, the engine is never
# restarted). Idempotent: what is already in place is left alone.
#   MP_EMULATE=arm64 (default: the architecture the host is not) or MP_EMULATE= to skip.
# Prints nothing on stdout; on success the busybox binary is at $MP_STATE_DIR/busybox-<arch>/busybox.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

[ "$(id -u)" -eq 0 ] || die "emulation setup needs root (binfmt_misc, apt-get)"

host_arch=$(dpkg --print-architecture)
case "$host_arch" in
  amd64) default_foreign=arm64 ;;
  arm64) default_foreign=amd64 ;;
  *) default_foreign= ;;
esac
foreign=${MP_EMULATE-$default_foreign}
[ -n "$foreign" ] || exit 0
[ "$foreign" != "$host_arch" ] || exit 0

case "$foreign" in
  arm64) qemu="qemu-aarch64" ;;
  amd64) qemu="qemu-x86_64" ;;
  *) die "MP_EMULATE must be amd64 or arm64, not '$foreign'" ;;
esac

binfmt=/proc/sys/fs/binfmt_misc
apt_updated=0
apt_install() { # PACKAGE...
  export DEBIAN_FRONTEND=noninteractive
  if [ "$apt_updated" = 0 ]; then apt-get update -qq >&2; apt_updated=1; fi
  apt-get install -y -qq --no-install-recommends "$@" >&2
}

uname_of() { case "$1" in arm64) echo aarch64 ;; amd64) echo x86_64 ;; esac; }

ensure_qemu() {
  local conf=/usr/lib/binfmt.d/$qemu.conf
  [ -s "$conf" ] || { log "installing qemu-user-static"; apt_install qemu-user-static; }
  [ -s "$conf" ] || die "qemu-user-static did not provide $conf"
  # A killed session's container may come back without the mount; the registration itself is
  # kernel state and survives.
  if [ ! -e "$binfmt/register" ]; then
    log "mounting binfmt_misc"
    mount -t binfmt_misc binfmt_misc "$binfmt" || die "cannot mount binfmt_misc on $binfmt (needs root on the host)"
  fi
  if [ -e "$binfmt/$qemu" ]; then
    local state
    state=$(cat "$binfmt/$qemu")
    # The F flag (interpreter opened at registration) is what makes it work inside containers.
    if [[ "$state" == enabled* ]] && [[ "$state" == *"flags: "*F* ]]; then return 0; fi
    log "re-registering $qemu (was: ${state%%$'\n'*})"
    echo -1 >"$binfmt/$qemu"
  fi
  log "registering $qemu with binfmt_misc"
  # The conf line is the registration string itself (systemd-binfmt's format).
  grep -v '^[#;]' "$conf" | sed -n '/^:/{p;q}' >"$binfmt/register" || die "registering $qemu failed"
  [ -e "$binfmt/$qemu" ] || die "$qemu did not register"
}

ensure_foreign_busybox() {
  local dir="$MP_STATE_DIR/busybox-$foreign"
  # Runs through the emulator: a truncated or foreign file left by a killed session is fetched again.
  if [ -x "$dir/busybox" ] && [ "$("$dir/busybox" uname -m 2>/dev/null || true)" = "$(uname_of "$foreign")" ]; then
    return 0
  fi
  if [[ " $(dpkg --print-foreign-architectures | tr '\n' ' ') " != *" $foreign "* ]]; then
    log "adding dpkg architecture $foreign"
    dpkg --add-architecture "$foreign"
    apt_updated=0
  fi
  if [ "$apt_updated" = 0 ]; then apt-get update -qq >&2; apt_updated=1; fi
  local work
  work=$(mktemp -d)
  # Downloaded and unpacked, not installed: busybox-static is not co-installable across architectures.
  (cd "$work" && apt-get download -qq -o APT::Sandbox::User=root "busybox-static:$foreign" >&2) || {
    rm -rf "$work"
    die "apt-get download busybox-static:$foreign failed"
  }
  dpkg-deb -x "$work"/busybox-static_*.deb "$work/root"
  mkdir -p "$dir"
  cp "$work/root/bin/busybox" "$dir/busybox.tmp"
  chmod 0755 "$dir/busybox.tmp"
  mv "$dir/busybox.tmp" "$dir/busybox"
  rm -rf "$work"
  log "fetched the $foreign static busybox into $dir"
}

ensure_qemu
ensure_foreign_busybox
