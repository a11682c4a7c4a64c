#!/bin/bash
# SPDX-License-Identifier: MIT
# The inside of make check-trixie (tests/trixie/check.sh runs it in the
# trixie root).  Build directories of its own: nothing built on the host
# is used.
set -uo pipefail
cd "$(dirname "$0")/../.."
REL=build/trixie/rel
SAN=build/trixie/san

. tests/tally.sh

jobs=$(nproc 2>/dev/null || echo 2)
check "release build (make all) with trixie's gcc and Xen 4.20 headers" \
	make -s -j"$jobs" BUILD=$REL all
check "ASan+UBSan build of everything the tests use" \
	make -s -j"$jobs" BUILD=$SAN SAN=1 tests

# The binaries are trixie's: linked against Xen 4.20's libraries.
# grep reads all of ldd's output: grep -q could end the pipe early, and
# under pipefail the SIGPIPE ldd then takes would fail the check.
links() { ldd "$1" 2>/dev/null | grep -F "$2" >/dev/null; }
check "ptswitchd links libxenctrl.so.4.20" links $REL/ptswitchd libxenctrl.so.4.20
check "ptswitch-agent links trixie's libxenstore.so.4" \
	links $REL/ptswitch-agent libxenstore.so.4
check "ptswitchd runs (--help)" eval "$REL/ptswitchd --help >/dev/null"
check "ptswitchd parses the shipped policy with trixie's libyaml" \
	$REL/ptswitchd --check-config config/ptswitch.yaml
# Built for domctl interface 0x17, which hv-patches/xen-4.20 keeps, the
# daemon issues the ptswitch domctl (unit/test_pt_domctl,
# integration/test_domctl_number).
check "the domctl interface is 4.20's (0x17)" \
	grep -q 'XEN_DOMCTL_INTERFACE_VERSION 0x00000017' /usr/include/xen/domctl.h
xs=$(. tests/xslab/xslab.sh && echo "$XSLAB_XENSTORED")
check "xslab picks trixie's xenstored ($xs)" \
	[ "$xs" = /usr/lib/xen-4.20/bin/xenstored ]

echo "incheck: $pass passed, $fail failed before the test suite"
log=$(mktemp)
# Not here: the tree's SPDX lines (a property of the source, no git in
# the root) and the metrics textfile checked with promtool (the same code
# on both releases; no prometheus in the root). make check runs both.
PTSWITCH_SKIP_TESTS="test_spdx test_metrics" tests/run-tests.sh $SAN 2>&1 |
	tee "$log"
line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
rm -f "$log"
if [ -n "$line" ]; then
	pass=$((pass + ${line%% passed*}))
	line=${line#* passed, }
	fail=$((fail + ${line%% failed*}))
else
	fail=$((fail + 1))
fi
finish
