#!/bin/bash
# SPDX-License-Identifier: MIT
# The ptswitch demo: Debian's real xenstored (tests/xslab), ptswitchd on the
# sim backend with its built-in policy, and seven guests each running the
# real ptswitch-agent with a guest's xenstore privileges.  The sim plays
# the hypervisor's counters from the workload traces in tests/traces.
#
# Usage: demo/run-demo.sh [BUILD_DIR]     (make demo runs it)
# DEMO_SECONDS (default 160) sets how long the guests run, DEMO_TABLE_EVERY
# (default 40) how often the table of guests is printed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
build=${1:-build}
case $build in /*) ;; *) build="$top/$build" ;; esac
export XSLAB_BUILD=$build
. "$top/tests/xslab/xslab.sh"

seconds=${DEMO_SECONDS:-160}
table_every=${DEMO_TABLE_EVERY:-40}
lab=$(mktemp -d "${TMPDIR:-/tmp}/ptswitch-demo.XXXXXX")
fixtures=$top/tests/fixtures/guest
traces=$top/tests/traces
T=/tool/ptswitch

cleanup() {
	local pid
	for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
	wait 2>/dev/null
	xslab_stop
	rm -rf "$lab"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

#   domid name      trace         kernel fixture
guests="1 web-1     webserver     synthetic-capable
2 build-1   kernel-build  synthetic-capable
3 fork-1    fork-heavy    synthetic-capable
4 db-1      database      synthetic-capable
5 idle-1    idle          synthetic-capable
6 mixed-1   phase-change  synthetic-capable
7 stock-1   fork-heavy    debian-6.1-pv-domu"

echo "== starting Debian's xenstored (no hypervisor: tests/xslab)"
xslab_start "$lab/xs" || exit 1
: >"$lab/sim.map"
while read -r id name trace kernel; do
	xslab_add_domain "$id" "$name" >/dev/null || exit 1
	optin=yes
	[ "$kernel" = debian-6.1-pv-domu ] && optin=no
	# mixed-1 starts late in its cycle: webserver, then fork-heavy,
	# then kernel-build, so both switch directions show in the demo.
	offset=0
	[ "$trace" = phase-change ] && offset=100
	echo "$id $traces/$trace.trace optin=$optin offset=$offset" \
		>>"$lab/sim.map"
done <<<"$guests"

echo "== starting one ptswitch-agent per guest, each with its guest's privileges"
while read -r id name trace kernel; do
	sock=$(xslab_guest_env "$id") || exit 1
	XENSTORED_PATH=$sock "$build/ptswitch-agent" --foreground \
		--root "$fixtures/$kernel" --interval 5 \
		>"$lab/agent-$id.log" 2>&1 &
	printf '   dom%s %-8s %-13s kernel: %s\n' "$id" "$name" "$trace" \
		"$kernel"
done <<<"$guests"

echo "== starting ptswitchd (built-in policy, sim backend)"
# The SAVING column comes from its Prometheus textfile, refreshed every
# second here (xenstore's stats node is refreshed once a minute).
"$build/ptswitchd" --foreground --builtin-policy \
	--backend "sim:$lab/sim.map" --metrics-file "$lab/ptswitch.prom" \
	--metrics-interval 1s >"$lab/ptswitchd.log" 2>&1 &
dpid=$!
for _ in $(seq 50); do
	[ "$(xenstore-read $T/daemon/pid 2>/dev/null)" = "$dpid" ] && break
	sleep 0.2
done
echo
echo "   While it runs, in another shell:"
echo "     XENSTORED_PATH=$XENSTORED_PATH xenstore-ls $T"
echo

# Events as they happen: the daemon's own log lines about switches.
start=$(date +%s)
tail -n +1 -F "$lab/ptswitchd.log" 2>/dev/null |
	grep --line-buffered -E "requested|switched|stays in|rejected" |
	while IFS= read -r line; do
		printf '[%3ss] %s\n' $(($(date +%s) - start)) "${line#ptswitchd: }"
	done &

# saving ID: the modeled saving of BATCH for a guest, as a percentage;
# "-" until the daemon has decided once.
saving() {
	awk -v id="$1" '
		index($0, "ptswitch_guest_modeled_saving_ratio{domid=\"" id "\",") == 1 {
			printf "%+.0f%%", $NF * 100; found = 1; exit
		}
		END { if (!found) printf "-" }' "$lab/ptswitch.prom" 2>/dev/null ||
		printf -- -
}

table() {
	local id name
	printf '\n[%3ss] %-6s %-9s %-8s %-10s %-38s %s\n' \
		$(($(date +%s) - start)) DOMID NAME MODE STATE REASON SAVING
	while read -r id name _; do
		printf '       %-6s %-9s %-8s %-10s %-38s %s\n' "$id" "$name" \
			"$(xenstore-read $T/domain/$id/mode 2>/dev/null)" \
			"$(xenstore-read $T/domain/$id/state 2>/dev/null)" \
			"$(xenstore-read $T/domain/$id/reason 2>/dev/null)" \
			"$(saving "$id")"
	done <<<"$guests"
	echo
}

declare -A batch_s
while read -r id _; do batch_s[$id]=0; done <<<"$guests"
for ((s = 1; s <= seconds; s++)); do
	sleep 1
	kill -0 "$dpid" 2>/dev/null || { echo "ptswitchd died"; exit 1; }
	while read -r id _; do
		[ "$(xenstore-read $T/domain/$id/mode 2>/dev/null)" = batch ] &&
			batch_s[$id]=$((batch_s[$id] + 1))
	done <<<"$guests"
	((s % table_every == 0)) && table
done

echo "== summary after ${seconds}s"
printf '%-6s %-9s %-13s %-8s %8s %9s %7s  %-38s %s\n' DOMID NAME WORKLOAD \
	MODE SWITCHES "IN BATCH" SAVING REASON "CAPS"
while read -r id name trace _; do
	printf '%-6s %-9s %-13s %-8s %8s %8s%% %7s  %-38s %s\n' "$id" "$name" \
		"$trace" "$(xenstore-read $T/domain/$id/mode)" \
		"$(xenstore-read $T/domain/$id/switches)" \
		$((100 * batch_s[$id] / seconds)) "$(saving "$id")" \
		"$(xenstore-read $T/domain/$id/reason)" \
		"$(xenstore-read $T/domain/$id/caps)"
done <<<"$guests"
echo
echo "Why stock-1 never entered BATCH: its agent reports"
XENSTORED_PATH=$XENSTORED_PATH "$build/ptswitch-agent" --once \
	--root "$fixtures/debian-6.1-pv-domu" |
	grep -E '^(xen-features|ptswitch-note|vm-assist|caps|batch):' |
	sed 's/^/   /'
echo
echo "== xenstore-ls $T/daemon"
xenstore-ls $T/daemon
kill -TERM "$dpid"
wait "$dpid" 2>/dev/null
