#!/bin/sh
# mesos-mini's PID 1 until systemd takes over: recreates the host's cgroup layout inside the
# container, tells the agent and the inner Docker daemon where their cgroups go, then execs
# systemd (or the command given: `docker run ... mesos/mesos-mini /usr/sbin/init --log-level=debug`).
#
# cgroup v1 hosts. Docker bind-mounts the container's own cgroup, say memory:/docker/<id>, onto the
# hierarchy root /sys/fs/cgroup/memory, but /proc/<pid>/cgroup still says /docker/<id>. The Mesos
# agent finds cgroups through /proc/<pid>/cgroup, so it looks for /sys/fs/cgroup/memory/docker/<id>
# and fails. Binding each hierarchy root onto <root>/docker/<id> makes that path exist and be this
# container's cgroup. The agent then creates its containers' cgroups under docker/<id>/mesos and
# the inner Docker daemon under /docker/<id>/docker: all inside this container's cgroup, so
# nothing is left on the host when it stops. Both get a subgroup of their own because an agent
# treats every cgroup under its --cgroups_root as one of its containers (and destroys "orphans").
#
# cgroup v2 hosts, for a Mesos with the cgroups v2 isolator (apache/mesos master): the same layout
# on the unified hierarchy. CentOS 7's systemd (219) predates cgroup v2 and tracks its units in a
# named v1 hierarchy, which only the host's cgroup namespace may create: so mesos-mini needs
# `--cgroupns=host` there, and then sees the whole host tree. It moves its processes into
# <own>/init (a cgroup with children may hold no processes), enables every controller for its
# children, binds its own cgroup onto /sys/fs/cgroup and onto the path /proc names, and gives
# systemd its hierarchy at /sys/fs/cgroup/systemd with this container at <own>. The agent's
# isolators are the v2 ones: cgroups/blkio is called cgroups/io there.
# A Mesos without the v2 isolator (1.11 and older) stops at once on a v2 host, in one line.
#
# The locations are variables so the logic can be tested against a fake tree:
#   MINI_CGROUP_ROOT  (/sys/fs/cgroup)  MINI_MOUNTINFO (/proc/self/mountinfo)
#   MINI_PROC_CGROUP  (/proc/self/cgroup)
#   MINI_CGROUPS_ENV  (/etc/mesos-mini/cgroups.env, read by the agent and docker units)
#   MINI_CGROUP_VERSIONS (/usr/share/mesos/cgroup-versions, written when Mesos was built)
#   MINI_AGENT_DEFAULTS  (/etc/default/mesos-agent, the agent's isolators on cgroup v1)
set -eu

cgroup_root=${MINI_CGROUP_ROOT:-/sys/fs/cgroup}
mountinfo=${MINI_MOUNTINFO:-/proc/self/mountinfo}
proc_cgroup=${MINI_PROC_CGROUP:-/proc/self/cgroup}
cgroups_env=${MINI_CGROUPS_ENV:-/etc/mesos-mini/cgroups.env}
versions_file=${MINI_CGROUP_VERSIONS:-/usr/share/mesos/cgroup-versions}
agent_defaults=${MINI_AGENT_DEFAULTS:-/etc/default/mesos-agent}

say() { printf 'mesos-mini: %s\n' "$@" >&2; }

privileged() {
  say "cannot create $1: mesos-mini needs \`docker run --privileged\` (without it the cgroup hierarchies are read-only)."
  exit 1
}

mounted_at() { awk -v target="$1" '$5 == target { found = 1 } END { exit !found }' "$mountinfo"; }

# Writes the environment the agent's and the Docker daemon's units read. $1: this container's
# cgroup, $2: the cgroup version, $3: extra agent flags.
write_env() {
  parent=${1%/}
  mkdir -p "$(dirname "$cgroups_env")"
  cat >"$cgroups_env" <<EOF
# Written by /entrypoint.sh when the container started; read by mesos-agent.service and
# docker.service. This container's cgroup is ${1} (cgroup v$2).
MINI_CGROUP_VERSION=$2
MESOS_CGROUPS_ROOT=${parent#/}${parent:+/}mesos
DOCKER_CGROUP_PARENT=${parent}/docker
MINI_AGENT_FLAGS=$3
EOF
}

run() {
  if [ $# -eq 0 ]; then set -- /usr/sbin/init; fi
  exec "$@"
}

if [ -f "$cgroup_root/cgroup.controllers" ]; then
  case " $(cat "$versions_file" 2>/dev/null || echo 1) " in
    *" 2 "*) ;;
    *)
      say "this host uses cgroup v2 and the Mesos in this image (1.11 or older) supports cgroup v1 only: on cgroup v2 run the images built from Mesos master (tags master, latest, master-<date>), which have the cgroups v2 isolator, or boot the host with cgroup v1 (kernel option systemd.unified_cgroup_hierarchy=0; Docker Desktop: \"deprecatedCgroupv1\": true)."
      exit 1
      ;;
  esac
  own=$(sed -n 's/^0:://p' "$proc_cgroup")
  if [ -z "$own" ] || [ "$own" = / ]; then
    say "on a cgroup v2 host mesos-mini needs \`docker run --cgroupns=host\` as well as --privileged: CentOS 7's systemd keeps its units in a cgroup hierarchy of its own, which only the host's cgroup namespace may create."
    exit 1
  fi
  if ! mounted_at "$cgroup_root$own"; then
    base=$cgroup_root$own
    mkdir -p "$base/init" 2>/dev/null || privileged "$base/init"
    # A cgroup that hands controllers to children may hold no processes itself: move them all
    # (one that exited meanwhile cannot be moved, and need not be).
    while read -r pid; do echo "$pid" || :; done <"$base/cgroup.procs" >"$base/init/cgroup.procs"
    # shellcheck disable=SC2013 # the file is one line of words, one per controller
    for controller in $(cat "$base/cgroup.controllers"); do
      echo "+$controller" >>"$base/cgroup.subtree_control" 2>/dev/null || say "cannot enable the $controller controller for the cluster's cgroups"
    done
    mount --bind "$base" "$cgroup_root"
    mkdir -p "$cgroup_root$own"
    mount --bind "$cgroup_root" "$cgroup_root$own"
  fi
  if ! mounted_at "$cgroup_root/systemd"; then
    mkdir -p "$cgroup_root/systemd"
    mount -t cgroup -o none,name=systemd cgroup "$cgroup_root/systemd"
  fi
  mkdir -p "$cgroup_root/systemd$own"
  echo $$ >"$cgroup_root/systemd$own/cgroup.procs"
  isolation=$(sed -n 's/^MESOS_ISOLATION=//p' "$agent_defaults" | sed 's#cgroups/blkio#cgroups/io#')
  write_env "$own" 2 "${isolation:+--isolation=$isolation}"
  run "$@"
fi

# "<cgroup path> <mount point>" of every cgroup v1 hierarchy mounted under the root. mountinfo
# fields: 4 is the root of the mount inside its filesystem (the container's cgroup path), 5 the
# mount point; the file system type follows the lone "-" after the optional fields.
hierarchies=$(awk -v base="$cgroup_root/" '{
  for (i = 7; i <= NF && $i != "-"; i++) ;
  if ($(i + 1) == "cgroup" && index($5, base) == 1) print $4, $5
}' "$mountinfo")
if [ -z "$hierarchies" ]; then
  say "no cgroup v1 hierarchy is mounted under $cgroup_root; mesos-mini needs a cgroup v1 host, or a cgroup v2 host with the images built from Mesos master."
  exit 1
fi

# Docker places a container at the same path in every hierarchy; anything else is not a layout
# this script knows how to mirror.
cgroup=$(printf '%s\n' "$hierarchies" | awk '{ print $1 }' | sort -u)
case "$cgroup" in
  *"
"*)
    say "the container is in different cgroups in different hierarchies:" "$hierarchies"
    exit 1
    ;;
esac

# In a private cgroup namespace the container sees itself at "/": the paths already agree.
if [ "$cgroup" != / ]; then
  # A here-document, not a pipe: an exit inside the loop must end the script.
  while read -r _ hierarchy; do
    target=$hierarchy$cgroup
    # Bound already (the script ran before in this mount namespace): binding again would stack.
    if mounted_at "$target"; then
      continue
    fi
    # Without --privileged Docker mounts the hierarchies read-only: explain, not just EROFS.
    mkdir -p "$target" 2>/dev/null || privileged "$target"
    mount --bind "$hierarchy" "$target"
  done <<EOF
$hierarchies
EOF
fi

write_env "$cgroup" 1 ""
run "$@"
