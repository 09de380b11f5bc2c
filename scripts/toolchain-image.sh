#!/usr/bin/env bash
# Makes, once, the offline C toolchain image that the compile-cache test and benchmark build with
# (no public registry is reachable here): Debian's gcc, make and ccache, extracted by mmdebstrap
# from Debian's own packages and turned into an image with `docker import`. Prints its tag.
#
# The tag is a content key of the recipe below (suite, variant, packages): an image with that tag
# is reused as it is, so a second run is a no-op. Runs at once wait for each other (a lock), so
# a test that needs the image can call this while scripts/test.sh is still making it.
#   DOCKER_HOST   the engine (default: the one scripts/engine-up.sh starts)
#   MP_TOOLCHAIN_MIRROR   a Debian mirror (default: mmdebstrap's, deb.debian.org)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

suite=bookworm
# `extract` unpacks the packages and their dependencies without running their maintainer
# scripts: a third of the time of a full install, and all a compiler in a RUN step needs.
variant=extract
packages=(dash coreutils make gcc libc6-dev ccache)
recipe="mesos-pipeline toolchain 1; suite=$suite; variant=$variant; packages=${packages[*]}"
key=$(printf '%s' "$recipe" | sha256sum | cut -c1-16)
tag="mesos-pipeline/toolchain:$key"
export DOCKER_HOST=${DOCKER_HOST:-unix://$MP_SOCKET}

have_image() { docker image inspect "$tag" >/dev/null 2>&1; }
if have_image; then echo "$tag"; exit 0; fi

mkdir -p "$MP_STATE_DIR"
exec 9>"$MP_STATE_DIR/toolchain.lock"
flock 9
if have_image; then echo "$tag"; exit 0; fi

if ! command -v mmdebstrap >/dev/null 2>&1; then
  log "installing mmdebstrap"
  quiet_apt_install "$MP_STATE_DIR/apt.log" mmdebstrap || exit 1
fi

log "making $tag (${packages[*]} from Debian $suite)"
started=$SECONDS
partial="$tag-partial"
mirror=()
[ -n "${MP_TOOLCHAIN_MIRROR:-}" ] && mirror=("$MP_TOOLCHAIN_MIRROR")
# Imported under a temporary tag first: a failed or cut-off mmdebstrap never leaves the real tag.
if ! mmdebstrap --quiet --mode=root --variant="$variant" --include="$(IFS=,; echo "${packages[*]}")" \
  --format=tar "$suite" - "${mirror[@]}" |
  docker import --change "LABEL io.mesos-pipeline.toolchain=$key" --message "$recipe" - "$partial" >/dev/null; then
  docker rmi "$partial" >/dev/null 2>&1 || true
  die "could not make the toolchain image $tag"
fi
docker tag "$partial" "$tag"
docker rmi "$partial" >/dev/null
log "made $tag in $((SECONDS - started))s"
echo "$tag"
