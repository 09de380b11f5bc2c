#!/usr/bin/env bash
# The benchmark's baseline: what Apache's old nightly scripts (support/jenkins/mini.sh and
# docker-centos.sh, see the reference notes) did, with the docker CLI, on an image family of a base
# and a child. For each branch: `docker build` the base, `docker build` the child on it, then for
# each image `docker push` the dated tag, `docker tag` the floating tag and `docker push` it; at the
# end `docker rmi` the tags, as the old scripts' EXIT trap did. No smoke tests, no skipping.
#
# The branches are those the pipeline plans: master and every N.N.x from --min-version on, read
# with `git ls-remote`; --branch picks some of them. The build args are the pipeline's own
# (GIT_REPO, GIT_SHA, GIT_BRANCH, VERSION; BASE_IMAGE for the child), so both build the same thing.
#
# With --platform (repeatable, e.g. linux/amd64 and linux/arm64) it does what a docker-CLI script
# publishing several platforms under one tag does: per branch and platform `docker build --platform`
# the base and the child (TARGETARCH as a build arg: the classic builder sets none), `docker push`
# each as `<dated tag>-<arch>`; then per image `docker manifest create` + `docker manifest push` of
# the dated tag and of the floating tag, each naming the per-platform tags (which stay, as such
# scripts leave them). This docker CLI has no buildx, so no `imagetools create`.
#
# Usage: baseline.sh --repo DIR|URL --registry HOST:PORT/NAMESPACE --images DIR --date YYYY-MM-DD
#                    [--base NAME] [--child NAME] [--branch NAME]... [--min-version 1.7]
#                    [--dockerfile NAME]   (in each context; default Dockerfile)
#                    [--platform OS/ARCH]... [--insecure]   (--insecure: `docker manifest` over http)
# The docker CLI is $BASELINE_DOCKER (default: docker) with the classic builder (DOCKER_BUILDKIT=0),
# the builder the old scripts had and the pipeline uses through the engine API.
set -euo pipefail

die() { printf 'baseline: %s\n' "$*" >&2; exit 2; }
# Milliseconds since the epoch, without a subprocess: for the per-branch timing line.
now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $((t / 1000)); }
say() { printf '[baseline] %s\n' "$*" >&2; }

repo='' registry='' images='' day='' base=bench-base child=bench-app min_version=1.7 dockerfile=Dockerfile
requested=()
platforms=()
insecure=()
while [ $# -gt 0 ]; do
  case "$1" in
    --repo) repo=${2:?}; shift 2 ;;
    --registry) registry=${2:?}; shift 2 ;;
    --images) images=${2:?}; shift 2 ;;
    --date) day=${2:?}; shift 2 ;;
    --base) base=${2:?}; shift 2 ;;
    --child) child=${2:?}; shift 2 ;;
    --branch) requested+=("${2:?}"); shift 2 ;;
    --min-version) min_version=${2:?}; shift 2 ;;
    --dockerfile) dockerfile=${2:?}; shift 2 ;;
    --platform) platforms+=("${2:?}"); shift 2 ;;
    --insecure) insecure=(--insecure); shift ;;
    -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
if [ -z "$repo" ] || [ -z "$registry" ] || [ -z "$images" ] || [ -z "$day" ]; then die "--repo, --registry, --images and --date are required"; fi
[[ "$day" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || die "--date $day is not YYYY-MM-DD"
if [ ! -f "$images/$base/$dockerfile" ] || [ ! -f "$images/$child/$dockerfile" ]; then die "$images must hold $base/$dockerfile and $child/$dockerfile"; fi

docker=${BASELINE_DOCKER:-docker}
export DOCKER_BUILDKIT=0

# master and N.N.x at or above --min-version, release branches in version order, master last.
eligible() {
  git ls-remote --heads "$repo" | awk -v min="$min_version" '
    BEGIN { split(min, m, ".") }
    {
      name = $2; sub("^refs/heads/", "", name)
      if (name == "master") { print 999999, 0, name, $1; next }
      if (name !~ /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.x$/) next
      split(name, v, ".")
      if (v[1] + 0 < m[1] + 0 || (v[1] + 0 == m[1] + 0 && v[2] + 0 < m[2] + 0)) next
      print v[1], v[2], name, $1
    }' | sort -n -k1,1 -k2,2 | awk '{ print $3, $4 }'
}

wanted() { # NAME: true when no --branch was given or NAME is one of them
  [ ${#requested[@]} -eq 0 ] && return 0
  local name
  for name in "${requested[@]}"; do [ "$name" = "$1" ] && return 0; done
  return 1
}

branches=()
shas=()
while read -r name sha; do
  wanted "$name" || continue
  branches+=("$name")
  shas+=("$sha")
done < <(eligible)
[ ${#branches[@]} -gt 0 ] || die "no eligible branch in $repo"

# One branch for several platforms: build and push each platform under `<dated>-<arch>`, then put
# one manifest list under the dated and the floating tag of each image.
publish_platforms() { # BRANCH SHA
  local branch=$1 sha=$2 dated="$1-$day" platform arch ref started built pushed build_ms=0 push_ms=0 tag
  local base_ref="$registry/$base" child_ref="$registry/$child"
  local args=(--build-arg "GIT_REPO=$repo" --build-arg "GIT_SHA=$sha" --build-arg "GIT_BRANCH=$branch" --build-arg "VERSION=$branch")
  local archs=()
  for platform in "${platforms[@]}"; do
    arch=${platform#*/}
    arch=${arch//\//-}
    archs+=("$arch")
    say "$branch at ${sha:0:12} for $platform: building $base_ref:$dated-$arch and $child_ref:$dated-$arch"
    started=$(now_ms)
    "$docker" build --rm --force-rm --platform "$platform" "${args[@]}" --build-arg "TARGETARCH=${arch%%-*}" -f "$images/$base/$dockerfile" -t "$base_ref:$dated-$arch" "$images/$base"
    "$docker" build --rm --force-rm --platform "$platform" "${args[@]}" --build-arg "TARGETARCH=${arch%%-*}" --build-arg "BASE_IMAGE=$base_ref:$dated-$arch" -f "$images/$child/$dockerfile" -t "$child_ref:$dated-$arch" "$images/$child"
    built=$(now_ms)
    for ref in "$base_ref" "$child_ref"; do "$docker" push "$ref:$dated-$arch"; done
    pushed=$(now_ms)
    build_ms=$((build_ms + built - started))
    push_ms=$((push_ms + pushed - built))
    say "platform-timing branch=$branch platform=$platform build_ms=$((built - started)) push_ms=$((pushed - built))"
  done
  started=$(now_ms)
  for ref in "$base_ref" "$child_ref"; do
    for tag in "$dated" "$branch"; do
      "$docker" manifest create "${insecure[@]}" "$ref:$tag" "${archs[@]/#/$ref:$dated-}"
      "$docker" manifest push "${insecure[@]}" --purge "$ref:$tag"
    done
  done
  pushed=$(now_ms)
  push_ms=$((push_ms + pushed - started))
  for arch in "${archs[@]}"; do "$docker" rmi "$child_ref:$dated-$arch" "$base_ref:$dated-$arch" >/dev/null || true; done
  say "timing branch=$branch build_ms=$build_ms push_ms=$push_ms cleanup_ms=$(($(now_ms) - pushed))"
}

for index in "${!branches[@]}"; do
  if [ ${#platforms[@]} -gt 0 ]; then
    publish_platforms "${branches[$index]}" "${shas[$index]}"
    continue
  fi
  branch=${branches[$index]}
  sha=${shas[$index]}
  dated="$branch-$day"
  base_ref="$registry/$base"
  child_ref="$registry/$child"
  say "$branch at ${sha:0:12}: building $base_ref:$dated and $child_ref:$dated"
  args=(--build-arg "GIT_REPO=$repo" --build-arg "GIT_SHA=$sha" --build-arg "GIT_BRANCH=$branch" --build-arg "VERSION=$branch")
  started=$(now_ms)
  "$docker" build --rm --force-rm "${args[@]}" -f "$images/$base/$dockerfile" -t "$base_ref:$dated" "$images/$base"
  "$docker" build --rm --force-rm "${args[@]}" --build-arg "BASE_IMAGE=$base_ref:$dated" -f "$images/$child/$dockerfile" -t "$child_ref:$dated" "$images/$child"
  built=$(now_ms)
  for ref in "$base_ref" "$child_ref"; do
    "$docker" push "$ref:$dated"
    "$docker" tag "$ref:$dated" "$ref:$branch"
    "$docker" push "$ref:$branch"
  done
  pushed=$(now_ms)
  # The old scripts' EXIT trap: drop the tags; docker rmi also drops the untagged parents.
  "$docker" rmi "$child_ref:$branch" "$child_ref:$dated" "$base_ref:$branch" "$base_ref:$dated" >/dev/null || true
  # One line per branch that scripts/bench/bench.ts reads for the phase times in results.json.
  say "timing branch=$branch build_ms=$((built - started)) push_ms=$((pushed - built)) cleanup_ms=$(($(now_ms) - pushed))"
done
say "pushed ${#branches[@]} branch(es): ${branches[*]}"
