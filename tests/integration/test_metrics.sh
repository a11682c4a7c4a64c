#!/bin/bash
# SPDX-License-Identifier: MIT
# ptswitchd --metrics-file: the node_exporter textfile against the real
# xenstored.  promtool (Debian's prometheus package) lints it; it holds
# each guest's mode, desired mode, switches, counters and saving,
# labelled by domid, name and UUID (escaped); it is replaced atomically
# and readable by node_exporter; an unwritable path is logged, not
# fatal.  Then the example alert rules: promtool check and test rules.
set -u
# shellcheck source=daemonlab.sh
. "$(dirname "$0")/daemonlab.sh"
command -v promtool >/dev/null || { echo "no promtool (prometheus)"; exit 1; }
daemon_lab "$AGENT"
M=$LAB/textfile
mkdir -p "$M"
PROM=$M/ptswitch.prom
UUID1=6a1e0cbb-2f4b-4e2a-9d2e-6f0d3c1b5a01

pin_policy batch
xslab_add_domain 1 g1 || exit 1
xslab_add_domain 2 'odd"name\' || exit 1
xenstore-write /local/domain/1/vm "/vm/$UUID1"
printf '1 %s optin=yes\n2 %s optin=yes\n' \
	"$TRACES/idle.trace" "$TRACES/idle.trace" >"$D/sim.map"
capable_agent 1

start_daemon --metrics-file "$PROM" --metrics-interval 1s
check "the pinned guest reaches batch" \
	wait_for 20 xs_is $T/domain/1/mode batch
batch_line="ptswitch_guest_mode{domid=\"1\",name=\"g1\",uuid=\"$UUID1\",mode=\"batch\"} 1"
check "the textfile shows it in batch, with its name and UUID" \
	wait_for 10 grep -qxF "$batch_line" "$PROM"
cp "$PROM" "$LAB/snapshot.prom"
S=$LAB/snapshot.prom
check "promtool check metrics accepts it$(promtool check metrics <"$S" 2>&1 | head -c 400)" \
	eval "promtool check metrics <'$S' >/dev/null 2>&1"
check "its desired mode is batch" grep -qxF \
	"ptswitch_guest_desired_mode{domid=\"1\",name=\"g1\",uuid=\"$UUID1\",mode=\"batch\"} 1" "$S"
check "one switch counted" grep -qxF \
	"ptswitch_guest_switches_total{domid=\"1\",name=\"g1\",uuid=\"$UUID1\"} 1" "$S"
for m in ptswitch_guest_modeled_saving_ratio ptswitch_guest_emulated_writes_total \
	ptswitch_guest_batches_total ptswitch_guest_batch_ptes_total \
	ptswitch_guest_spurious_faults_total ptswitch_guest_refused \
	ptswitch_guest_last_switch_timestamp_seconds; do
	check "$m for each guest" test "$(grep -c "^$m{" "$S")" -eq 2
done
check "a label with a quote and a backslash is escaped" grep -qF \
	'name="odd\"name\\",uuid=""' "$S"
check "the daemon is not in advise" grep -qx 'ptswitch_daemon_advise 0' "$S"
check "the sim can switch" grep -qx 'ptswitch_hypervisor_can_switch 1' "$S"
check "two guests" grep -qx 'ptswitch_guests 2' "$S"
check "readable by node_exporter's user (0644)" \
	test "$(stat -c %a "$PROM")" = 644
ino=$(stat -c %i "$PROM")
inode_changed() { [ "$(stat -c %i "$PROM")" != "$ino" ]; }
check "rewritten by rename (a new inode) every period" \
	wait_for 5 inode_changed
check "no temporary file left beside it" \
	test "$(find "$M" -type f | wc -l)" -eq 1

# An unwritable path: logged once, the daemon keeps running.
stop_daemon
"$DAEMON" --foreground --config "$D/policy.yaml" --backend "sim:$D/sim.map" \
	--metrics-file "$LAB/no/such/dir/ptswitch.prom" --metrics-interval 1s \
	>"$D/daemon2.log" 2>&1 &
DPID=$!
check "an unwritable path is logged" \
	wait_for 10 grep -q "metrics file $LAB/no/such/dir/ptswitch.prom: No such file" "$D/daemon2.log"
sleep 2.5
check "once, not every period" \
	test "$(grep -c 'metrics file' "$D/daemon2.log")" -eq 1
check "and the daemon keeps running" kill -0 "$DPID"
kill -TERM "$DPID"
wait "$DPID"

"$DAEMON" --metrics-interval 10 >"$D/usage.out" 2>&1
check "a bad --metrics-interval is a usage error (2)" test $? -eq 2
check "saying what it wants" grep -q "at least 1s" "$D/usage.out"

# The example alert rules.
check "promtool check rules config/ptswitch.rules.yml" \
	promtool check rules "$TOP/config/ptswitch.rules.yml"
check "promtool test rules (flapping, refused, unpatched)" \
	bash -c "cd '$TOP/tests/prometheus' && promtool test rules ptswitch.rules.test.yml"
finish
