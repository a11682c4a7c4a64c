#!/bin/bash
# SPDX-License-Identifier: MIT
# make check-trixie: ptswitch built and tested on Debian trixie (Xen 4.20)
# from this bookworm machine.  Inside the trixie root (mkroot.sh, cached):
# a release build and the ASan+UBSan build, both from this source tree
# with trixie's compiler and libraries, then the unit tests and the
# integration tests against trixie's own xenstored (tests/xslab).  Ends
# with one line: N passed, N failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top"

start=$(date +%s)
root=$("$here/mkroot.sh") || { echo "0 passed, 1 failed"; exit 1; }
echo "check-trixie: root $root ($(cat "$root/.ptswitch-versions" | tr '\n' ' '))"
echo "check-trixie: root ready after $(($(date +%s) - start)) s"
"$here/inroot.sh" bash tests/trixie/incheck.sh
rc=$?
echo "check-trixie: $(($(date +%s) - start)) s in all"
exit $rc
