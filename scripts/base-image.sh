#!/usr/bin/env bash
# Builds the offline base image that every fixture image starts from: FROM scratch, the static
# busybox binary from Debian's busybox-static, and a link for each of its applets.
# No registry is reachable here, so nothing can be pulled. Skips the build when the image exists.
#   base-image.sh [--rebuild] [ARCH BUSYBOX]: with ARCH (amd64, arm64) and that architecture's
#   static busybox, builds $MP_BASE_IMAGE-ARCH for platform linux/ARCH (emulation.sh fetches the
#   foreign one); without, builds $MP_BASE_IMAGE from the host's /bin/busybox.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

: "${DOCKER_HOST:=unix://$MP_SOCKET}"
export DOCKER_HOST
rebuild=0
if [ "${1:-}" = --rebuild ]; then rebuild=1; shift; fi
arch=${1:-}
busybox=${2:-/bin/busybox}
image=$MP_BASE_IMAGE
platform_query=
if [ -n "$arch" ]; then
  [[ "$arch" =~ ^(amd64|arm64)$ ]] || die "base-image.sh: ARCH must be amd64 or arm64, not '$arch'"
  image="$MP_BASE_IMAGE-$arch"
  platform_query="&platform=linux/$arch"
fi
socket=${DOCKER_HOST#unix://}

# Bump when the recipe below changes: an image built from an older recipe is rebuilt.
recipe=2

image_recipe() {
  curl -sf --max-time 5 --unix-socket "$socket" "http://engine/images/${image}/json" 2>/dev/null |
    grep -o '"io.mesos-pipeline.base-recipe":"[0-9]*"' | sed -n '1s/[^0-9]//gp' || true
}

if [ "$(image_recipe)" = "$recipe" ] && [ "$rebuild" = 0 ]; then
  exit 0
fi

[ -x "$busybox" ] || die "$busybox is missing; run engine-up.sh (emulation.sh fetches a foreign busybox)"
linkage=$(ldd "$busybox" 2>&1 || true)
# ldd answers "not a dynamic executable" for a static binary (also one of a foreign architecture).
if [[ "$linkage" != *'not a dynamic executable'* ]] && [[ "$linkage" != *'not regular file'* ]]; then
  die "$busybox is not static; install Debian's busybox-static (engine-up.sh does)"
fi

ctx=$(mktemp -d)
# The engine's answer goes beside the context, not into it: tar would see the folder change while
# it reads it ("file changed as we read it", exit 1) and fail a fresh machine's first engine-up.sh.
build_log=$(mktemp)
trap 'rm -rf "$ctx" "$build_log"' EXIT
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/tmp" "$ctx/rootfs/etc" "$ctx/rootfs/root"
cp "$busybox" "$ctx/rootfs/bin/busybox"
# A foreign busybox lists its applets through the emulator registered by emulation.sh.
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$ctx/rootfs/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$ctx/rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$ctx/rootfs/etc/group"
chmod 1777 "$ctx/rootfs/tmp"
version=$("$busybox" 2>&1 | awk 'NR == 1 { print $2 }')
cat >"$ctx/Dockerfile" <<EOF
FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL org.opencontainers.image.title="busybox (static, offline base)" org.opencontainers.image.version="$version" io.mesos-pipeline.base-recipe="$recipe"
CMD ["sh"]
EOF

log "building $image from $busybox ($version)"
# Build through the engine API with the context as a tar stream: no dependency on the CLI's builder.
tar -C "$ctx" -cf - . | curl -sf --unix-socket "$socket" -X POST \
  -H 'Content-Type: application/x-tar' --data-binary @- \
  "http://engine/build?t=${image}&rm=1&forcerm=1${platform_query}" >"$build_log"
if grep -q '"error"' "$build_log" || [ "$(image_recipe)" != "$recipe" ]; then
  cat "$build_log" >&2
  die "building $image failed"
fi
log "built $image"
