#!/bin/sh
# Prints the CentOS packages that own the shared libraries the ELF files staged under ROOT link
# against, one name a line: what rpmbuild's automatic Requires would have been. The runtime stage
# installs exactly these, so it gets no compiler and no -devel package, and a library a new Mesos
# branch starts to need is picked up without anyone editing a list.
set -eu

root=${1:?usage: runtime-packages.sh STAGING_ROOT}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# libmesos and friends are staged beside the binaries: resolve them there, not on the system. So
# are the bundled libraries --enable-install-module-dependencies stages under
# /usr/lib64/mesos/3rdparty, wherever their own installs put them: every staged folder that holds
# a shared library is searched.
LD_LIBRARY_PATH=$(find "$root" -type f -name '*.so*' | sed 's|/[^/]*$||' | sort -u | tr '\n' ':')
LD_LIBRARY_PATH="${LD_LIBRARY_PATH}$root/usr/lib64:$root/usr/lib"
export LD_LIBRARY_PATH

find "$root" -type f | while IFS= read -r file; do
  [ "$(od -An -tx1 -N4 "$file" | tr -d ' \n')" = 7f454c46 ] || continue
  # ldd exits non-zero for static executables; they need nothing. `read` drops the leading tab.
  ldd "$file" 2>/dev/null | while read -r line; do
    case "$line" in
      *'not found'*) printf '%s: %s\n' "${file#"$root"}" "$line" >>"$work/missing" ;;
      *'=> /'*) path=${line#*=> }; printf '%s\n' "${path%% (*}" ;;
      /*) printf '%s\n' "${line%% (*}" ;;
    esac
  done || true
done | sort -u >"$work/libraries"

if [ -s "$work/missing" ]; then
  echo "runtime-packages.sh: staged files need libraries nothing provides:" >&2
  sort -u "$work/missing" >&2
  exit 1
fi

: >"$work/packages"
# A redirect, not a pipe: an exit in the loop must end the script, not a subshell.
while IFS= read -r library; do
  case "$library" in "$root"/*) continue ;; esac
  real=$(readlink -f "$library")
  if ! rpm -qf --queryformat '%{NAME}\n' "$real" >>"$work/packages"; then
    echo "runtime-packages.sh: no package owns $real (needed as $library)" >&2
    exit 1
  fi
done <"$work/libraries"
sort -u "$work/packages"
