#!/bin/bash
# SPDX-License-Identifier: MIT
# Run a command inside the trixie build root (tests/trixie/mkroot.sh), with
# this source tree at /src and the current directory there.
#
#   tests/trixie/inroot.sh [--lab] CMD...   (--lab: mkroot.sh's lab root)
#
# A private mount namespace holds /proc, /dev, a fresh /tmp and the source
# bind mount: they go away with the command, whatever way it ends.  Build
# into a directory of the trixie build's own (make BUILD=build/trixie/...):
# nothing built on the host is used inside.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
set_arg=
[ "${1:-}" = --lab ] && { set_arg=--lab; shift; }
[ $# -gt 0 ] || { echo "usage: $0 [--lab] CMD..." >&2; exit 2; }
root=$("$here/mkroot.sh" $set_arg)

exec unshare --mount --propagation private --fork -- /bin/bash -c '
set -e
root=$1 top=$2
shift 2
mkdir -p "$root/src"
mount --bind "$top" "$root/src"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
cd "$root/src"
exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 ${CI:+CI=$CI} \
	/bin/sh -c "cd /src && exec \"\$@\"" sh "$@"
' sh "$root" "$top" "$@"
