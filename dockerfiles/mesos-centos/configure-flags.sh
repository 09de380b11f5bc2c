#!/bin/sh
# configure-flags.sh SPEC
#
# Prints, one a line, the flags the `%configure` line of the Mesos RPM spec of this very tree
# (support/packaging/centos/mesos.spec) passes on el7, so the image is configured the way
# upstream's CentOS 7 packages of the same branch were: 1.7.x with --enable-grpc, 1.8.x and later
# with --enable-launcher-sealing, all with --enable-install-module-dependencies and the rest.
#
# The two macros those lines use are given their el7 values (launcher_sealing is defined
# `%{!?el6:...}`, _with_xfs is yes on el7). Anything else it does not understand stops the build
# with a message, rather than configuring Mesos differently from what the spec says.
set -eu

spec=${1:?usage: configure-flags.sh SPEC}
[ -f "$spec" ] || { echo "configure-flags.sh: no RPM spec at $spec" >&2; exit 1; }

# The %configure line and its continuation lines, backslashes removed.
block=$(awk '
  /^%configure([ \t]|\\|$)/ { inside = 1 }
  inside {
    line = $0
    more = sub(/\\[ \t]*$/, "", line)
    print line
    if (!more) exit
  }' "$spec")
if [ -z "$block" ]; then
  echo "configure-flags.sh: $spec has no %configure line" >&2
  exit 1
fi

set -f # the words are flags, not patterns
flags=
for word in $block; do
  case "$word" in
    %configure) continue ;;
    '%{launcher_sealing}') word=--enable-launcher-sealing ;;
    *'%{_with_xfs}') word="${word%'%{_with_xfs}'}yes" ;;
  esac
  case "$word" in
    *%*)
      echo "configure-flags.sh: $spec: cannot tell what $word is on el7; update configure-flags.sh" >&2
      exit 1
      ;;
    --[a-z]*) flags="$flags$word
" ;;
    *)
      echo "configure-flags.sh: $spec: \"$word\" on the %configure line is not a --flag" >&2
      exit 1
      ;;
  esac
done
if [ -z "$flags" ]; then
  echo "configure-flags.sh: the %configure line of $spec has no flags" >&2
  exit 1
fi
# Nothing is printed unless every word was understood.
printf '%s' "$flags"
