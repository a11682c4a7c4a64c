#!/bin/sh
# SPDX-License-Identifier: MIT
# The patched Linux guest's fork figures on Xen 4.17 (bookworm lab, make
# e2e-linux) and Xen 4.20 (trixie lab, make e2e-trixie) side by side, read
# from the console logs those runs left.  Measures nothing itself: it is
# the CI log's one place where the two hypervisors' figures meet.
#
#   tests/trixie/fork-figures.sh [--since FILE] [LABEL=LOG ...]
#
# --since  every log must be newer than FILE (CI: a stamp made when the
#          run began), so that no figure comes from an earlier run
# LABEL=LOG  a row (default: the two logs of a CI run, below: each
#          Debian release's hypervisor with its own kernel)
#
# All figures are from QEMU TCG: compare ratios, not times.  Exits 1 when
# a log is missing, stale or has no figures, unless the run that should
# have written it recorded why it skipped it (LOG's directory holds a
# fresh patched-skipped: e2e-trixie.sh without a Xen 4.20 source); such a
# row reads "skipped" with the reason.
set -eu

since=
while [ $# -gt 0 ]; do
	case $1 in
	--since) since=$2; shift 2 ;;
	-h | --help) sed -n '2,15p' "$0"; exit 0 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- \
	"Xen 4.17, bookworm dom0, Linux 6.1=build/kguest/console-fork-patched-6.1.log" \
	"Xen 4.20, trixie dom0, Linux 6.12=build/trixie/lab/console-fork-6.12.log"

# field NAME LINE: NAME=value out of a forkbench result line.
field() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
ms() {
	[ -n "$1" ] && awk -v us="$1" 'BEGIN { printf "%.1f ms", us / 1000 }'
}

bad=0
echo "fork figures, patched guest, median fork latency (QEMU TCG):"
printf '%-40s %-8s %-12s %-12s %-7s %s\n' "run" "xen" "EMULATE" "BATCH" \
	"ratio" "checks"
for row in "$@"; do
	label=${row%%=*}
	log=${row#*=}
	skip=$(dirname "$log")/patched-skipped
	if [ -s "$skip" ] &&
		{ [ -z "$since" ] || [ -n "$(find "$skip" -newer "$since")" ]; }; then
		printf '%-40s skipped: %s\n' "$label" "$(head -c 200 "$skip")"
		continue
	fi
	if [ ! -s "$log" ]; then
		printf '%-40s no log %s\n' "$label" "$log"
		bad=1
		continue
	fi
	if [ -n "$since" ] && [ -z "$(find "$log" -newer "$since")" ]; then
		printf '%-40s stale: %s is older than this run\n' "$label" "$log"
		bad=1
		continue
	fi
	xen=$(grep -a -m1 '(XEN) Xen version' "$log" |
		sed -n 's/.*Xen version \([^ ]*\).*/\1/p')
	emu=$(grep -a 'E2E: RESULT emulate forkbench:' "$log" | tail -n1)
	bat=$(grep -a 'E2E: RESULT batch forkbench:' "$log" | tail -n1)
	ratio=$(grep -a 'E2E: RESULT ratio emulate/batch' "$log" | tail -n1 |
		sed -n 's/.*fork median \([0-9.]*\).*/\1/p')
	if [ -z "$emu" ] || [ -z "$bat" ] || [ -z "$ratio" ]; then
		printf '%-40s no fork figures in %s\n' "$label" "$log"
		bad=1
		continue
	fi
	npass=$(grep -ac 'E2E: PASS ' "$log" || true)
	nfail=$(grep -ac 'E2E: FAIL ' "$log" || true)
	printf '%-40s %-8s %-12s %-12s %-7s %s passed, %s failed\n' \
		"$label" "${xen:-?}" "$(ms "$(field fork_us_median "$emu")")" \
		"$(ms "$(field fork_us_median "$bat")")" "$ratio" "$npass" "$nfail"
done
exit "$bad"
