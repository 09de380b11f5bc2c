#!/bin/sh
# mesos-init-wrapper master|agent [FLAG...]
#
# Starts mesos-master or mesos-agent configured the way the Mesos packages always were, so the
# systemd units and people's habits keep working:
#   /etc/default/mesos, /etc/default/mesos-ROLE   environment files; MESOS_<NAME>=value is --<name>
#   /etc/mesos-ROLE/NAME                          one file a flag: --NAME=<the file's contents>
#   /etc/mesos-ROLE/?NAME                         a flag without a value: --NAME (or ?no-NAME)
# FLAGs given on the command line come last. `slave` is accepted for `agent`. Output goes to
# stdout/stderr, which systemd hands to the journal: `journalctl -u mesos-master`.
set -eu

usage() {
  echo "usage: mesos-init-wrapper master|agent [FLAG...]  (slave is accepted for agent)" >&2
  exit "$1"
}

[ $# -ge 1 ] || usage 2
case "$1" in
  master) role=master ;;
  agent | slave) role=agent ;;
  -h | --help) usage 0 ;;
  *) echo "mesos-init-wrapper: unknown role \"$1\"" >&2; usage 2 ;;
esac
shift

set -a
for env_file in /etc/default/mesos "/etc/default/mesos-$role"; do
  # shellcheck source=/dev/null
  if [ -f "$env_file" ]; then . "$env_file"; fi
done
set +a

# Flags from files are appended after the command-line flags, then the command-line flags are
# rotated to the end: POSIX sh has no arrays, "$@" is the only list that keeps values intact.
given=$#
for file in "/etc/mesos-$role"/*; do
  [ -f "$file" ] || continue
  name=${file##*/}
  case "$name" in
    '?'*) set -- "$@" "--${name#?}" ;;
    *) set -- "$@" "--$name=$(cat "$file")" ;;
  esac
done
while [ "$given" -gt 0 ]; do
  first=$1
  shift
  set -- "$@" "$first"
  given=$((given - 1))
done

exec "/usr/sbin/mesos-$role" "$@"
