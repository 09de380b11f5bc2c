#!/bin/sh
# mesos-mini's PID 1 until systemd takes over: recreates the host's cgroup v1 layout inside the
# container, tells the agent and the inner Docker daemon where their cgroups go, then execs
# systemd (or the command given: `docker run ... mesos/mesos-mini /usr/sbin/init --log-level=debug`).
#
# Why: Docker bind-mounts the container's own cgroup, say memory:/docker/<id>, onto the hierarchy
# root /sys/fs/cgroup/memory, but /proc/<pid>/cgroup still says /docker/<id>. The Mesos agent
# finds cgroups through /proc/<pid>/cgroup, so it looks for /sys/fs/cgroup/memory/docker/<id> and
# fails. Binding each hierarchy root onto <root>/docker/<id> makes that path exist and be this
# container's cgroup. The agent then creates its containers' cgroups under docker/<id>/mesos and
# the inner Docker daemon under /docker/<id>/docker: all inside this container's cgroup, so
# nothing is left on the host when it stops. Both get a subgroup of their own because an agent
# treats every cgroup under its --cgroups_root as one of its containers (and destroys "orphans").
#
# The locations are variables so the logic can be tested against a fake tree:
#   MINI_CGROUP_ROOT  (/sys/fs/cgroup)  MINI_MOUNTINFO (/proc/self/mountinfo)
#   MINI_CGROUPS_ENV  (/etc/mesos-mini/cgroups.env, read by the agent and docker units)
set -eu

cgroup_root=${MINI_CGROUP_ROOT:-/sys/fs/cgroup}
mountinfo=${MINI_MOUNTINFO:-/proc/self/mountinfo}
cgroups_env=${MINI_CGROUPS_ENV:-/etc/mesos-mini/cgroups.env}

say() { printf 'mesos-mini: %s\n' "$@" >&2; }

if [ -f "$cgroup_root/cgroup.controllers" ]; then
  say "this host uses cgroup v2 (the unified hierarchy is mounted at $cgroup_root)." \
    "Mesos 1.11 and older support cgroup v1 only, and the agent's isolators and the cgroup layout" \
    "this container sets up need it; stopping now rather than starting a cluster that cannot run tasks." \
    "Run mesos-mini on a host that boots with cgroup v1: on Linux add" \
    "systemd.unified_cgroup_hierarchy=0 to the kernel command line and reboot; on Docker Desktop" \
    "set \"deprecatedCgroupv1\": true in its settings.json and restart Docker Desktop."
  exit 1
fi

# "<cgroup path> <mount point>" of every cgroup v1 hierarchy mounted under the root. mountinfo
# fields: 4 is the root of the mount inside its filesystem (the container's cgroup path), 5 the
# mount point; the file system type follows the lone "-" after the optional fields.
hierarchies=$(awk -v base="$cgroup_root/" '{
  for (i = 7; i <= NF && $i != "-"; i++) ;
  if ($(i + 1) == "cgroup" && index($5, base) == 1) print $4, $5
}' "$mountinfo")
if [ -z "$hierarchies" ]; then
  say "no cgroup v1 hierarchy is mounted under $cgroup_root; mesos-mini needs a cgroup v1 host."
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
    if awk -v target="$target" '$5 == target { found = 1 } END { exit !found }' "$mountinfo"; then
      continue
    fi
    # Without --privileged Docker mounts the hierarchies read-only: explain, not just EROFS.
    if ! mkdir -p "$target" 2>/dev/null; then
      say "cannot create $target: mesos-mini needs \`docker run --privileged\` (without it the cgroup hierarchies are read-only)."
      exit 1
    fi
    mount --bind "$hierarchy" "$target"
  done <<EOF
$hierarchies
EOF
fi

parent=${cgroup%/}
mkdir -p "$(dirname "$cgroups_env")"
cat >"$cgroups_env" <<EOF
# Written by /entrypoint.sh when the container started; read by mesos-agent.service and
# docker.service. This container's cgroup is ${cgroup}.
MESOS_CGROUPS_ROOT=${parent#/}${parent:+/}mesos
DOCKER_CGROUP_PARENT=${parent}/docker
EOF

if [ $# -eq 0 ]; then set -- /usr/sbin/init; fi
exec "$@"
