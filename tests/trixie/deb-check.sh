#!/bin/bash
# SPDX-License-Identifier: MIT
# make deb-check-trixie: the ptswitchd and ptswitch-agent .debs built
# inside the trixie root (mkroot.sh, cached) with trixie's debhelper and
# Build-Depends (libxen-dev 4.20, ...), then deb-check's own checks
# (tests/packaging/test-deb.sh) run there too: trixie's lintian (errors
# and warnings fail), contents, Depends, dpkg -i into a throwaway root,
# systemd-analyze.  The tree goes in as the tar scripts/build-deb.sh
# --export makes on the host (indeb.sh; the root has no git); nothing
# built on the host goes in.  Ends with one line: N passed, N failed.
#
#   tests/trixie/deb-check.sh [OUT]      (OUT: build/trixie/deb-check)
#
# OUT keeps the .debs for the trixie lab (tests/trixie/lab-debs.sh) and
# tests/systemd/run.sh --release trixie.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top" || exit 1
out=${1:-build/trixie/deb-check}
case $out in
/*) out=${out#"$top"/} ;; # inside the root the tree is /src
esac
case $out in
/* | ../*) echo "deb-check-trixie: OUT must be inside the tree" >&2; exit 2 ;;
esac

start=$(date +%s)
root=$("$here/mkroot.sh") || { echo "0 passed, 1 failed"; exit 1; }
echo "deb-check-trixie: root $root ($(tr '\n' ' ' <"$root/.ptswitch-versions"))"
echo "deb-check-trixie: root ready after $(($(date +%s) - start)) s"
"$here/indeb.sh" nice -n 19 tests/packaging/test-deb.sh "$out"
rc=$?
echo "deb-check-trixie: $(($(date +%s) - start)) s in all"
exit $rc
