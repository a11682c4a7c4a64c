#!/bin/sh
# SPDX-License-Identifier: MIT
# Fork end-to-end, run by the e2e lab's dom0/init in place of its checks
# (fork-e2e.sh overlays it).  Two one-vCPU PV guests run ptswitch-agent and
# forkbench: kfork-patched (the ptswitch guest kernel) and kfork-stock
# (Debian's).  In one boot:
#   1. both run forkbench in EMULATE, before ptswitchd starts;
#   2. ptswitchd starts (/e2e/fork-policy.yaml: nothing pinned) while both
#      run forkbench as load, and must put the patched guest in BATCH from
#      the counters after the handshake, and keep the stock one in EMULATE;
#   3. both run forkbench again: the patched guest in BATCH.
# One line per check: E2E: PASS|FAIL|SKIP <name> [why]; figures as
# E2E: INFO / E2E: RESULT lines.
export PATH=/usr/sbin:/usr/bin

POLICY=/e2e/fork-policy.yaml
BOOT_TIMEOUT=900
SWITCH_TIMEOUT=600

xen=stock
mib=16 forks=10 load=5 smib=16 sforks=10 bench_timeout=3600
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	e2e.xen=*) xen=${arg#e2e.xen=} ;;
	e2e.fb.mib=*) mib=${arg#e2e.fb.mib=} ;;
	e2e.fb.forks=*) forks=${arg#e2e.fb.forks=} ;;
	e2e.fb.load=*) load=${arg#e2e.fb.load=} ;;
	e2e.fb.smib=*) smib=${arg#e2e.fb.smib=} ;;
	e2e.fb.sforks=*) sforks=${arg#e2e.fb.sforks=} ;;
	e2e.fb.timeout=*) bench_timeout=${arg#e2e.fb.timeout=} ;;
	esac
done

# shellcheck source=../../../tests/e2e/dom0/checklib.sh
. /e2e/checklib.sh
# shellcheck source=dom0-forklib.sh
. /e2e/forklib.sh

lab_preflight fork-e2e || exit 0

echo "E2E: TIME kfork-create $(uptime_s)"
info "forkbench: patched ${mib} MiB x $forks forks, stock ${smib} MiB x" \
	"$sforks forks, load runs of $load forks"
create_guest kfork-patched /e2e/kguest/vmlinux $((mib + 128)) 1 \
	"fb.mib=$mib fb.forks=$forks fb.load=$load"
create_guest kfork-stock /e2e/guest-kernel $((smib + 128)) 1 \
	"fb.mib=$smib fb.forks=$sforks fb.load=$load"
p=$(xl domid kfork-patched 2>/dev/null)
s=$(xl domid kfork-stock 2>/dev/null)
if [ -z "$p" ] || [ -z "$s" ]; then
	fail guests-created "xl create: patched=${p:-failed} stock=${s:-failed}"
	xl list | sed 's/^/E2E: INFO xl: /'
	exit 0
fi
if wait_until $BOOT_TIMEOUT ready "$p" && wait_until 60 ready "$s"; then
	pass guests-ready
else
	fail guests-ready \
		"patched ready='$(xs "/local/domain/$p/data/e2e/ready")'" \
		"stock ready='$(xs "/local/domain/$s/data/e2e/ready")'"
fi
echo "E2E: TIME kfork-ready $(uptime_s)"
check_guest_packaged agent-packaged "$CONSOLE_DIR/guest-kfork-patched.log" "$p"
pcaps=$(xs "/local/domain/$p/data/ptswitch/caps")
sreason=$(xs "/local/domain/$s/data/ptswitch/caps-reason")
info "kfork-patched caps '$pcaps'; kfork-stock caps" \
	"'$(xs "/local/domain/$s/data/ptswitch/caps")' caps-reason '$sreason'"
if [ "$(stat_of "$p" opted_in)" = 1 ] &&
	[ "$pcaps" = "missing-pde spurious-fault lazy-flush" ]; then
	pass patched-capable
else
	fail patched-capable "opted_in $(stat_of "$p" opted_in), caps '$pcaps'"
fi
# The kernel's own list of what is in force (0009), read raw from its
# sysfs by the guest's /init; the agent's caps above are narrowed by it.
inforce=$(console kfork-patched | sed -n 's/^KGUEST: sysfs caps=//p' |
	head -n 1)
kguest_lists 0009-x86-xen-say-in-sysfs
case $? in
0)
	if [ "$inforce" = "missing-pde spurious-fault lazy-flush" ]; then
		pass patched-caps-in-force
	else
		fail patched-caps-in-force "the kernel says '$inforce'"
	fi
	;;
1) skip patched-caps-in-force "the guest kernel has no sysfs caps" ;;
*) fail patched-caps-in-force "no build-info for the guest kernel" ;;
esac
if [ "$sreason" = kernel-lacks-ptswitch-note ] &&
	[ "$(stat_of "$s" opted_in)" = 0 ]; then
	pass stock-agent-says-why
else
	fail stock-agent-says-why "caps-reason '$sreason'," \
		"opted_in $(stat_of "$s" opted_in)"
fi

# --- 1. EMULATE, no daemon ---------------------------------------------
hv_dump "$p" "kfork-patched before"
e0=$(stat_of "$p" emulated_writes)
m0p=$(hv_mode "$p")
echo "E2E: TIME bench-emulate-start $(uptime_s)"
res1=$(bench "$p" 1 emulate)
echo "E2E: TIME bench-emulate-end $(uptime_s)"
m1p=$(hv_mode "$p")
sres1=$(bench "$s" 1 stock-1)
hv_dump "$p" "kfork-patched after EMULATE bench"
e1=$(stat_of "$p" emulated_writes)
info "kfork-patched EMULATE: $res1"
info "kfork-stock (1): $sres1"
if [ "$m0p" = emulate ] && [ "$m1p" = emulate ] &&
	[ "$(fb result "$res1")" = ok ] && [ "$((e1 - e0))" -gt 0 ]; then
	pass patched-emulate-bench
else
	fail patched-emulate-bench "mode $m0p -> $m1p, '$res1'," \
		"emulated_writes $e0 -> $e1"
fi

# --- 1b. the same EMULATE bench on the kernel to compare with ----------
# (fork-e2e.sh --compare: a before/after figure in one boot, not checked)
if [ -r /e2e/kguest-compare/vmlinux ]; then
	create_guest kfork-compare /e2e/kguest-compare/vmlinux $((mib + 128)) \
		1 "fb.mib=$mib fb.forks=$forks fb.load=$load"
	c=$(xl domid kfork-compare 2>/dev/null)
	if [ -n "$c" ] && wait_until $BOOT_TIMEOUT ready "$c"; then
		cres=$(bench "$c" 1 compare)
		echo "E2E: RESULT emulate-compare $cres"
		c_med=$(fb fork_us_median "$cres")
		p_med=$(fb fork_us_median "$res1")
		if [ -n "$c_med" ] && [ -n "$p_med" ] && [ "$p_med" -gt 0 ]; then
			echo "E2E: RESULT ratio compare/patched EMULATE fork" \
				"median $(awk -v c="$c_med" -v p="$p_med" \
					'BEGIN { printf "%.2f", c / p }')" \
				"($c_med us / $p_med us)"
		fi
		console kfork-compare | grep '^KGUEST:' |
			sed 's/^/E2E: CONSOLE kfork-compare: /'
	else
		info "kfork-compare did not come up"
	fi
	xl destroy kfork-compare 2>/dev/null
fi

# --- 2. the daemon decides ---------------------------------------------
ptswitchd --foreground --verbose --config "$POLICY" >"$DAEMON_LOG" 2>&1 &
daemon_pid=$!
command "$p" "2 load"
command "$s" "2 load"
echo "E2E: TIME daemon-start $(uptime_s)"
in_batch() {
	[ "$(xs "/tool/ptswitch/domain/$p/mode")" = batch ] &&
		[ "$(hv_mode "$p")" = batch ]
}
stock_mode_seen=
watch_stock() {
	stock_mode_seen="$stock_mode_seen $(hv_mode "$s")"
	in_batch
}
if wait_until $SWITCH_TIMEOUT watch_stock; then
	echo "E2E: TIME switched $(uptime_s)"
	pass daemon-switches-patched-to-batch
else
	fail daemon-switches-patched-to-batch "after ${SWITCH_TIMEOUT}s:" \
		"daemon mode '$(xs "/tool/ptswitch/domain/$p/mode")'" \
		"reason '$(xs "/tool/ptswitch/domain/$p/reason")', hv" \
		"$(hv_mode "$p")"
fi
# The daemon that decided is the one the ptswitchd .deb installed.
check_packaged daemon-packaged ptswitchd /usr/sbin/ptswitchd "$daemon_pid"
xenstore-ls /tool/ptswitch 2>/dev/null | sed 's/^/E2E: INFO xs: /'
info "guest-visible mode: $(xs "/local/domain/$p/ptswitch/mode")," \
	"request '$(xs "/local/domain/$p/ptswitch/request")'," \
	"ack '$(xs "/local/domain/$p/data/ptswitch/ack")'"
# The decision came from the counters: the daemon logs the engine's
# reason with the switch, "saving" (a pin would say "pinned").
why=$(sed -n 's/.*switched kfork-patched to batch (\(.*\)).*/\1/p' \
	"$DAEMON_LOG" | head -n 1)
grep -E "requested batch|switched kfork-patched" "$DAEMON_LOG" |
	sed 's/^/E2E: INFO daemon: /'
if [ "$why" = saving ]; then
	pass batch-decided-from-counters
else
	fail batch-decided-from-counters "switch reason '$why'"
fi
ack=$(xs "/local/domain/$p/data/ptswitch/ack")
req=$(xs "/local/domain/$p/ptswitch/request")
case $ack in
"${req%% *} ok") pass handshake-acked ;;
*) fail handshake-acked "request '$req', ack '$ack'" ;;
esac

# --- 3. BATCH ------------------------------------------------------------
# The stock guest rests while the patched one is measured, as in 1.
command "$s" "3 idle"
wait_until 600 result_is "$s" 3 || info "kfork-stock did not go idle"
hv_dump "$p" "kfork-patched before BATCH bench"
b0=$(stat_of "$p" batches)
echo "E2E: TIME bench-batch-start $(uptime_s)"
sw0=$(xs "/tool/ptswitch/domain/$p/switches")
res3=$(bench "$p" 3 batch)
echo "E2E: TIME bench-batch-end $(uptime_s)"
m3p=$(hv_mode "$p")
sw1=$(xs "/tool/ptswitch/domain/$p/switches")
sres3=$(bench "$s" 4 stock-2)
stock_mode_seen="$stock_mode_seen $(hv_mode "$s")"
hv_dump "$p" "kfork-patched after BATCH bench"
hv_dump "$s" "kfork-stock at the end"
b1=$(stat_of "$p" batches)
rf=$(stat_of "$p" revalidation_failures)
info "kfork-patched BATCH: $res3"
info "kfork-stock (2): $sres3"
# Still in BATCH after the run, and not switched in between.
if [ "$m3p" = batch ] && [ "$sw0" = "$sw1" ] &&
	[ "$(fb result "$res3")" = ok ] &&
	[ "${b1:-0}" -gt "${b0:-0}" ] && [ "$rf" = 0 ]; then
	pass patched-batch-bench
else
	fail patched-batch-bench "mode after '$m3p', switches $sw0 -> $sw1," \
		"'$res3', batches" \
		"$b0 -> $b1, revalidation_failures '$rf'"
fi
if [ "$(fb result "$sres1")" = ok ] && [ "$(fb result "$sres3")" = ok ]; then
	pass stock-bench-intact
else
	fail stock-bench-intact "'$sres1' / '$sres3'"
fi

# The load runs of step 2 checked their memory too.
lp=$(xs "/local/domain/$p/data/e2e/load")
ls=$(xs "/local/domain/$s/data/e2e/load")
info "load runs (seq runs failed): patched '$lp', stock '$ls'"
case "$lp/$ls" in
"2 "*" 0/2 "*" 0") pass load-runs-intact ;;
*) fail load-runs-intact "patched '$lp', stock '$ls'" ;;
esac

# The stock guest never entered BATCH: every hypervisor mode sampled was
# emulate, Xen never closed a batch for it, the daemon never switched it.
sb=$(stat_of "$s" batches)
sw=$(xs "/tool/ptswitch/domain/$s/switches")
sr=$(xs "/tool/ptswitch/domain/$s/reason")
seen=$(echo "$stock_mode_seen" | tr ' ' '\n' | grep . | sort | uniq -c |
	awk '{ printf "%s%s x%s", n++ ? ", " : "", $2, $1 }')
info "kfork-stock modes sampled: $seen; batches $sb, switches $sw," \
	"reason '$sr'"
if ! echo "$stock_mode_seen" | tr ' ' '\n' | grep -qv '^emulate$\|^$' &&
	[ "$sb" = 0 ] && [ "$sw" = 0 ] &&
	[ "$sr" = incapable:kernel-lacks-ptswitch-note ]; then
	pass stock-never-batch
else
	fail stock-never-batch "modes '$seen', batches $sb, switches $sw," \
		"reason '$sr'"
fi

e_med=$(fb fork_us_median "$res1")
b_med=$(fb fork_us_median "$res3")
echo "E2E: RESULT emulate $res1"
echo "E2E: RESULT batch $res3"
# Batch flushes per fork, queued and alone (a hypercall each; lab/9002).
for r in "emulate $res1" "batch $res3" "emulate-compare ${cres:-}"; do
	# shellcheck disable=SC2086 # "mode result"
	set -- $r
	fl=$(fb lab_flushes "$*")
	n=$(fb forks "$*")
	[ -n "$fl" ] && [ -n "$n" ] && [ "$n" -gt 0 ] || continue
	echo "$fl $n" | awk -F'[,: ]' -v m="$1" '{ printf "E2E: INFO " \
		"flushes-per-fork %s queued %.1f alone %.1f (%d forks)\n", m,
		($3 - $1) / $5, ($4 - $2) / $5, $5 }'
done
if [ -n "$e_med" ] && [ -n "$b_med" ] && [ "$b_med" -gt 0 ]; then
	echo "E2E: RESULT ratio emulate/batch fork median" \
		"$(awk -v e="$e_med" -v b="$b_med" 'BEGIN { printf "%.2f", e / b }')" \
		"($e_med us / $b_med us)"
fi

for g in kfork-patched kfork-stock; do
	if console "$g" | grep -q 'BUG:\|Oops\|Kernel panic\|WARNING:'; then
		fail "$g-no-oops" "see its console"
	else
		pass "$g-no-oops"
	fi
done

# The series' KUnit suite (0008) ran at boot on the opted-in guest: every
# case but the one for a boot without the opt-in.
if grep -qx 'CONFIG_XEN_PT_BATCH_KUNIT_TEST=y' /e2e/kguest/config 2>/dev/null; then
	check_kunit kunit-pmd-helpers "$CONSOLE_DIR/guest-kfork-patched.log" \
		xen_pt_batch_pmd self_check_did_not_fail hooked_pmd_is_a_table \
		unhooked_pmd_is_a_table unhooked_pmd_names_its_table \
		unhooked_pmd_is_not_cleared unhooked_pmd_maps_its_table \
		unhooked_pmd_same_as_hooked lookalikes_keep_stock_answers
else
	skip kunit-pmd-helpers "the guest kernel was built without the suite"
fi

if kill -0 "$daemon_pid" 2>/dev/null; then
	kill "$daemon_pid"
	wait "$daemon_pid"
	rc=$?
	if [ "$rc" = 0 ]; then
		pass daemon-clean-stop
	else
		fail daemon-clean-stop "exit status $rc"
	fi
else
	fail daemon-clean-stop "ptswitchd died early"
fi
grep -E "kfork|dom($p|$s):" "$DAEMON_LOG" | tail -n 60 |
	sed 's/^/E2E: INFO daemon: /'

# --- 4. a PMD that stays unhooked (after the console checks above: the
# kernel must warn once here) ---------------------------------------------
# The lab-only knob leaves a PMD of a stuckpmd child unhooked for good, as
# a Xen that lost track of a batch would.  After the kernel's 5 s of
# retries with nothing to do, a user-mode access must end in SIGSEGV, a
# kernel read of that memory in EFAULT, each with one "no progress" line
# and no WARNING, and the guest must go on.  A kernel that loops instead is caught by
# stuckpmd's time-out; the uaccess run is then skipped, as its loop would
# be in kernel mode, for good.
stuck() {
	command "$p" "$1 stuckpmd $2"
	if wait_until 120 result_is "$p" "$1"; then
		result_of "$p"
	else
		echo "timeout"
	fi
}
c0=$(console kfork-patched | wc -l)
echo "E2E: TIME stuck-pmd-start $(uptime_s)"
su=$(stuck 5 user)
info "stuck PMD, user mode: $su"
case $su in
*" result=segv "*) pass stuck-pmd-user-segv ;;
*) fail stuck-pmd-user-segv "'$su'" ;;
esac
case $su in
*" result=loop "* | timeout)
	skip stuck-pmd-uaccess-efault "the user-mode access looped"
	;;
*)
	sk=$(stuck 6 uaccess)
	info "stuck PMD, uaccess: $sk"
	case $sk in
	*" result=efault "*) pass stuck-pmd-uaccess-efault ;;
	*) fail stuck-pmd-uaccess-efault "'$sk'" ;;
	esac
	;;
esac
echo "E2E: TIME stuck-pmd-end $(uptime_s)"
since=$(console kfork-patched | tail -n +$((c0 + 1)))
nwarn=$(echo "$since" | grep -c 'WARNING:')
nstuck=$(echo "$since" | grep -c 'stays unhooked: failing the fault')
echo "$since" | grep -E 'WARNING:|stays unhooked|lab: unhooked' |
	head -n 6 | sed 's/^/E2E: INFO kfork-patched: /'
if [ "$nwarn" = 0 ] && [ "$nstuck" = 2 ] &&
	! echo "$since" | grep -q 'BUG:\|Oops\|Kernel panic'; then
	pass stuck-pmd-warns-per-fault
else
	fail stuck-pmd-warns-per-fault "$nwarn WARNING lines, $nstuck" \
		"'stays unhooked' lines, or an oops; see the console"
	# The guest's kernel lines of the test, which are otherwise lost.
	echo "$since" | grep -v '^KGUEST:' | head -n 80 |
		sed 's/^/E2E: INFO kfork-patched console: /'
fi
command "$p" "7 idle"
if wait_until 60 result_is "$p" 7; then
	pass stuck-pmd-guest-alive
else
	fail stuck-pmd-guest-alive "no answer to 'idle' after the test"
fi
for g in kfork-patched kfork-stock; do
	console "$g" | grep '^KGUEST:' | sed "s/^/E2E: CONSOLE $g: /"
done
