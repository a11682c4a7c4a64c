#!/bin/sh
# SPDX-License-Identifier: MIT
# SMP end-to-end, run by the e2e lab's dom0/init in place of its checks
# (smp-e2e.sh overlays it).  One PV guest with two vCPUs, the ptswitch
# guest kernel, runs the same page-table stress twice (lab/guest-fork-init
# "stress": several forkbench -t at once, each forking a re-dirtied parent
# while a reader thread and a mapping-churn thread of the same address
# space run on the other vCPU):
#   1. in EMULATE, before ptswitchd starts: the control;
#   2. ptswitchd starts with /e2e/smp-policy.yaml, which pins the guest to
#      BATCH: the agent must ack and the guest must be in BATCH;
#   3. in BATCH, with the mode sampled every second, then zapfault
#      (demand faults next to a thread that keeps zapping the same L1),
#      then mmstress (tests/mmstress: the kernel's mm walkers on
#      checksummed memory from two threads) for e2e.mm seconds and its
#      self-test, which must fail;
# then it goes back to EMULATE and must still answer.
# One line per check: E2E: PASS|FAIL|SKIP <name> [why]; figures as
# E2E: INFO / E2E: RESULT lines.
export PATH=/usr/sbin:/usr/bin

POLICY=/e2e/smp-policy.yaml
NAME=ksmp
BOOT_TIMEOUT=900
SWITCH_TIMEOUT=600

xen=stock
procs=2 mib=32 forks=10 stress_timeout=600 zap_s=60 mm_s=0
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	e2e.xen=*) xen=${arg#e2e.xen=} ;;
	e2e.smp.procs=*) procs=${arg#e2e.smp.procs=} ;;
	e2e.smp.mib=*) mib=${arg#e2e.smp.mib=} ;;
	e2e.smp.forks=*) forks=${arg#e2e.smp.forks=} ;;
	e2e.smp.timeout=*) stress_timeout=${arg#e2e.smp.timeout=} ;;
	e2e.smp.zap=*) zap_s=${arg#e2e.smp.zap=} ;;
	e2e.mm=*) mm_s=${arg#e2e.mm=} ;;
	esac
done

# shellcheck source=../../../tests/e2e/dom0/checklib.sh
. /e2e/checklib.sh
# shellcheck source=dom0-forklib.sh
. /e2e/forklib.sh

lab_preflight smp-e2e || exit 0

# snap FILE: all of Xen's counters of the guest; delta A B KEY: B - A.
snap() { pt-domctl get-stats "$g" >"$1" 2>&1; }
delta() {
	awk -v k="$3" 'FNR == NR { if ($1 == k) a = $2; next }
		$1 == k { b = $2 } END { print b - a }' "$1" "$2"
}
# flushes A B: the flush reasons that grew, "name +n, ..." (or none).
flushes() {
	f=$(for r in $(awk '/^flush\./ { sub(/^flush\./, ""); print $1 }' "$1")
	do
		n=$(delta "$1" "$2" "flush.$r")
		[ "$n" != 0 ] && printf '%s +%s, ' "$r" "$n"
	done | sed 's/, $//')
	echo "${f:-none}"
}

# stress SEQ LABEL: one stress run; samples the hypervisor's mode (and the
# daemon's) every second into $seen until the guest reports done, and
# shows Xen's counters and the guest's progress every 30 samples.
seen=
samples=0
sample() {
	seen="$seen $(hv_mode "$g")/$(xs "/tool/ptswitch/domain/$g/mode")"
	samples=$((samples + 1))
	if [ $((samples % 30)) = 0 ]; then
		pt-domctl get-stats "$g" 2>&1 |
			grep -E '^(batch|emulated_writes|flush|spurious|unhook|revalid)' |
			grep -v ' 0$' | tr '\n' ' ' |
			sed "s/^/E2E: INFO progress $(uptime_s) hv: /"
		echo
		console "$NAME" | grep -a 'KGUEST: progress' | tail -n "$procs" |
			sed 's/^/E2E: INFO progress guest: /'
	fi
	result_is "$g" "$1"
}
stress() {
	seen=
	samples=0
	command "$g" "$1 stress $2"
	# Seconds of dom0 uptime, not polls: a poll takes a while under TCG.
	end=$(($(cut -d. -f1 /proc/uptime) + stress_timeout))
	until sample "$1"; do
		[ "$(cut -d. -f1 /proc/uptime)" -ge $end ] && break
		sleep 1
	done
	result_is "$g" "$1"
	rc=$?
	mode_after=$(hv_mode "$g")
	[ $rc = 0 ] && return 0
	stuck "$1"
	return 1
}
# stuck SEQ: what a stress run that did not finish was doing: Xen's
# counters and the guest's vCPUs (xenctx pauses the domain, which closes
# an open batch, so they are read twice), then the guest's console.
stuck() {
	info "stress $1 did not finish in ${stress_timeout}s; its state:"
	for i in 1 2; do
		hv_dump "$g" "stuck ($i)"
		xl vcpu-list "$NAME" 2>&1 | sed 's/^/E2E: INFO stuck: /'
		xenctx -s /e2e/kguest/System.map -C -S "$g" 2>&1 |
			sed 's/^/E2E: INFO stuck: /'
		sleep 5
	done
	console "$NAME" | grep -av 'KGUEST: progress' | tail -n 20 |
		sed 's/^/E2E: INFO stuck guest: /'
}

# Back in EMULATE (the caller has stopped ptswitchd, which would put it
# back in BATCH), does a stuck run go on?  If not, print what each vCPU
# sees at its last fault address (cr2): xenctx -m walks the vCPU's page
# tables there (in libxenctrl) and dumps the page, or says it cannot.
still_stuck() {
	pt-domctl set-mode "$g" emulate >/dev/null 2>&1
	if wait_until 120 result_is "$g" "$1"; then
		info "stress $1 finished once back in EMULATE"
		return 1
	fi
	info "stress $1 still stuck 120 s after set-mode emulate" \
		"(mode $(hv_mode "$g"))"
	for v in 0 1; do
		ctx=$(xenctx -a "$g" "$v" 2>&1)
		cr2=$(echo "$ctx" | sed -n 's/.*cr2: *\([0-9a-f]*\).*/\1/p' |
			head -n 1)
		info "vcpu$v: $(echo "$ctx" | grep -E '^(rip|cr2|cr3)' |
			tr '\n' ' ')"
		[ -n "$cr2" ] || continue
		# cr2's page, the first page of its 2 MiB (its L1), and the
		# first pages of the L1s before and after it.
		base=$((0x$cr2 & ~0x1fffff))
		for a in "0x${cr2%???}000" $base $((base - 0x200000)) \
			$((base + 0x200000)); do
			a=$(printf '%x' "$a")
			xenctx -m "0x$a" -l 1 "$g" "$v" 2>&1 | grep . |
				head -n 2 | tr '\n' ' ' |
				sed "s/^/E2E: INFO vcpu$v reads $a: /"
			echo
		done
	done
	return 0
}

# tally: the samples in $seen as "mode/daemon-mode xN, ...".
tally() {
	echo "$seen" | tr ' ' '\n' | grep . | sort | uniq -c |
		awk '{ printf "%s%s x%s", n++ ? ", " : "", $2, $1 }'
}
# runs_ok SEQ: every forkbench of stress run SEQ exited 0 with result=ok;
# prints one INFO line per run.
runs_ok() {
	ok=0
	k=0
	while [ $k -lt "$procs" ]; do
		r=$(xs "/local/domain/$g/data/e2e/fb/$k")
		info "$NAME stress $1 run $k: ${r:-missing}"
		case $r in
		"$1 0 forkbench: "*" result=ok") ;;
		*) ok=1 ;;
		esac
		k=$((k + 1))
	done
	return $ok
}
# medians SEQ: the runs' fork latency medians in us, space-separated.
medians() {
	k=0
	while [ $k -lt "$procs" ]; do
		fb fork_us_median "$(xs "/local/domain/$g/data/e2e/fb/$k")"
		k=$((k + 1))
	done | tr '\n' ' ' | sed 's/ $//'
}
# The guest console's lines from line $1 on that look like trouble.
trouble_since() { guest_trouble "$NAME" | tail -n +"$1"; }

echo "E2E: TIME smp-create $(uptime_s)"
info "stress: $procs forkbench -t of ${mib} MiB x $forks forks at once," \
	"2 vCPUs"
create_guest "$NAME" /e2e/kguest/vmlinux $((procs * (mib + 8) + 160)) 2 \
	"fb.mib=$mib fb.forks=$forks fb.procs=$procs"
g=$(xl domid "$NAME" 2>/dev/null)
if [ -z "$g" ]; then
	fail guest-created "xl create failed"
	xl list | sed 's/^/E2E: INFO xl: /'
	exit 0
fi
if wait_until $BOOT_TIMEOUT ready "$g"; then
	pass guest-ready
else
	fail guest-ready "ready='$(xs "/local/domain/$g/data/e2e/ready")'"
fi
echo "E2E: TIME smp-ready $(uptime_s)"
check_guest_packaged agent-packaged "$CONSOLE_DIR/guest-$NAME.log" "$g"
caps=$(xs "/local/domain/$g/data/ptswitch/caps")
vcpus=$(xl list "$NAME" 2>/dev/null | awk 'NR == 2 { print $4 }')
gcpus=$(console "$NAME" | sed -n 's/^KGUEST: forkbench .* cpus=//p')
if [ "$(stat_of "$g" opted_in)" = 1 ] &&
	[ "$caps" = "missing-pde spurious-fault lazy-flush" ] &&
	[ "$vcpus" = 2 ] && [ "$gcpus" = 2 ]; then
	pass smp-guest-capable "2 vCPUs, caps '$caps'"
else
	fail smp-guest-capable "opted_in $(stat_of "$g" opted_in)," \
		"caps '$caps', vCPUs $vcpus (guest sees '$gcpus')"
fi

# --- 1. EMULATE: the control --------------------------------------------
snap /tmp/e0
echo "E2E: TIME stress-emulate-start $(uptime_s)"
if stress 1 emulate; then done1=yes; else done1=no; fi
echo "E2E: TIME stress-emulate-end $(uptime_s)"
snap /tmp/e1
seen1=$(tally)
info "$NAME EMULATE modes sampled: $seen1"
if [ $done1 = yes ] && runs_ok 1; then
	pass emulate-stress-intact
else
	fail emulate-stress-intact "finished: $done1 (see the runs above)"
fi
if ! echo "$seen" | tr ' ' '\n' | grep . | grep -qv '^emulate/$' &&
	[ "$(delta /tmp/e0 /tmp/e1 batches)" = 0 ] &&
	[ "$(delta /tmp/e0 /tmp/e1 emulated_writes)" -gt 0 ]; then
	pass emulate-stays-emulate "0 batches," \
		"$(delta /tmp/e0 /tmp/e1 emulated_writes) emulated writes"
else
	fail emulate-stays-emulate "modes '$seen1', batches" \
		"+$(delta /tmp/e0 /tmp/e1 batches), emulated writes" \
		"+$(delta /tmp/e0 /tmp/e1 emulated_writes)"
fi
# From boot to the end of the control run.
bad=$(trouble_since 1)
lines1=$(guest_trouble "$NAME" | wc -l)
if [ -z "$bad" ]; then
	pass emulate-guest-clean
else
	fail emulate-guest-clean "$(echo "$bad" | head -n 3 | tr '\n' '|')"
fi
med1=$(medians 1)

# --- 2. ptswitchd pins it to BATCH ---------------------------------------
ptswitchd --foreground --verbose --config "$POLICY" >"$DAEMON_LOG" 2>&1 &
daemon_pid=$!
echo "E2E: TIME daemon-start $(uptime_s)"
in_batch() {
	[ "$(xs "/tool/ptswitch/domain/$g/mode")" = batch ] &&
		[ "$(hv_mode "$g")" = batch ]
}
if wait_until $SWITCH_TIMEOUT in_batch; then
	echo "E2E: TIME switched $(uptime_s)"
	pass daemon-puts-smp-guest-in-batch \
		"reason '$(xs "/tool/ptswitch/domain/$g/reason")'"
else
	fail daemon-puts-smp-guest-in-batch "after ${SWITCH_TIMEOUT}s:" \
		"daemon mode '$(xs "/tool/ptswitch/domain/$g/mode")'" \
		"reason '$(xs "/tool/ptswitch/domain/$g/reason")', hv" \
		"$(hv_mode "$g")"
fi
# The daemon that pinned it is the one the ptswitchd .deb installed.
check_packaged daemon-packaged ptswitchd /usr/sbin/ptswitchd "$daemon_pid"
grep -E "requested batch|switched $NAME|refus" "$DAEMON_LOG" |
	sed 's/^/E2E: INFO daemon: /'
ack=$(xs "/local/domain/$g/data/ptswitch/ack")
req=$(xs "/local/domain/$g/ptswitch/request")
case $ack in
"${req%% *} ok") pass handshake-acked "request '$req', ack '$ack'" ;;
*) fail handshake-acked "request '$req', ack '$ack'" ;;
esac

# --- 3. BATCH --------------------------------------------------------------
snap /tmp/b0
sw0=$(xs "/tool/ptswitch/domain/$g/switches")
echo "E2E: TIME stress-batch-start $(uptime_s)"
if stress 2 batch; then done2=yes; else done2=no; fi
echo "E2E: TIME stress-batch-end $(uptime_s)"
snap /tmp/b1
sw1=$(xs "/tool/ptswitch/domain/$g/switches")
seen2=$(tally)
info "$NAME BATCH modes sampled: $seen2"
if [ $done2 = yes ] && runs_ok 2; then
	pass batch-stress-intact
else
	fail batch-stress-intact "finished: $done2 (see the runs above)"
fi
# Every sample, Xen's and the daemon's, said batch; no switch in between.
if [ -n "$seen" ] &&
	! echo "$seen" | tr ' ' '\n' | grep . | grep -qv '^batch/batch$' &&
	[ "$mode_after" = batch ] && [ "$sw0" = "$sw1" ]; then
	pass batch-mode-held "$seen2"
else
	fail batch-mode-held "modes '$seen2', after $mode_after," \
		"switches $sw0 -> $sw1"
fi
nb=$(delta /tmp/b0 /tmp/b1 batches)
np=$(delta /tmp/b0 /tmp/b1 batch_ptes)
ns=$(delta /tmp/b0 /tmp/b1 spurious_faults)
rf=$(stat_of "$g" revalidation_failures)
if [ "$nb" -gt 0 ]; then
	pass batch-batches "+$nb batches, +$np PTEs"
else
	fail batch-batches "batches +$nb"
fi
if [ "$rf" = 0 ]; then
	pass batch-no-revalidation-failure
else
	fail batch-no-revalidation-failure "revalidation_failures '$rf'"
fi
bad=$(trouble_since $((lines1 + 1)))
if [ -z "$bad" ]; then
	pass batch-guest-clean
else
	fail batch-guest-clean "$(echo "$bad" | head -n 3 | tr '\n' '|')"
fi
med2=$(medians 2)

# --- 3b. BATCH: demand faults next to a thread that zaps the same L1 -------
# zapfault (tests/kguest): one thread zaps a 2 MiB range with MADV_DONTNEED
# and re-touches it, so Xen opens a batch on its L1 again right after each
# flush, while two others take first-touch faults there from user and from
# kernel mode.  Every fault is valid: none may end in SIGBUS, SIGSEGV or
# EFAULT, and the kernel may not warn.  Xen's counters must show batches
# during the run, or it proved nothing.
lines2=$(guest_trouble "$NAME" | wc -l)
snap /tmp/z0
if [ $done2 = yes ] && in_batch; then
	command "$g" "4 zapfault $zap_s"
	if wait_until $((zap_s * 10 + 300)) result_is "$g" 4; then
		zr=$(result_of "$g")
	else
		zr=timeout
	fi
	snap /tmp/z1
	zb=$(delta /tmp/z0 /tmp/z1 batches)
	zs=$(delta /tmp/z0 /tmp/z1 spurious_faults)
	info "$NAME zapfault: $zr; Xen: batches +$zb, spurious +$zs," \
		"flushes: $(flushes /tmp/z0 /tmp/z1)"
	case $zr in
	*" sigbus=0 sigsegv=0 efault=0 lost=0 result=ok")
		if [ "$zb" -gt 0 ]; then
			pass batch-zap-faults-valid "+$zb batches, +$zs spurious"
		else
			fail batch-zap-faults-valid "no batch during the run"
		fi
		;;
	*) fail batch-zap-faults-valid "'$zr'" ;;
	esac
	zbad=$(guest_trouble "$NAME" | tail -n +$((lines2 + 1)))
	# The kernel's own words (xen: ..., lab: ...), not the names of its
	# KUnit cases, which the console also carries.
	zbad="$zbad$(console "$NAME" | grep -a -E 'xen: .*unhooked|lab: unhooked' |
		grep -v KGUEST)"
	if [ -z "$zbad" ]; then
		pass batch-zap-guest-clean
	else
		fail batch-zap-guest-clean "$(echo "$zbad" | head -n 3 |
			tr '\n' '|')"
	fi
else
	skip batch-zap-faults-valid "stress run 2 did not finish or not in BATCH"
	skip batch-zap-guest-clean "stress run 2 did not finish or not in BATCH"
fi

# --- 3c. BATCH: mmstress --------------------------------------------------
# The kernel's mm walkers that this kernel has (the lab's tinyconfig has no
# swap, KSM, userfaultfd or cgroups: mmstress reports each as skipped,
# with why) on checksummed memory from two threads, with /proc readers
# and forks: every checksum intact, Xen's mode BATCH at every sample and
# its batches counter grown, no kernel warning.  Then its self-test: a run
# that damages a page on purpose must report it and fail.
SMP_MM_NEED="threads pagemap smaps clear_refs madv-cold madv-pageout"
SMP_MM_NEED="$SMP_MM_NEED madv-free madv-dontneed mremap-move mremap-grow"
SMP_MM_NEED="$SMP_MM_NEED mprotect fork"
mm_checks="batch-mm-intact batch-mm-held-batch batch-mm-features"
mm_checks="$mm_checks batch-mm-guest-clean batch-mm-self-test-fails"
if [ "$mm_s" = 0 ]; then
	for c in $mm_checks; do skip "$c" "not asked for (e2e.mm=0)"; done
elif [ $done2 = no ] || ! in_batch; then
	for c in $mm_checks; do
		skip "$c" "stress run 2 did not finish or not in BATCH"
	done
else
	lines3=$(guest_trouble "$NAME" | wc -l)
	echo "E2E: TIME mmstress-start $(uptime_s)"
	# 2 MiB main regions: more rounds in the CI's time under TCG.
	mm_run "$g" 5 "$mm_s" smp-batch 2
	echo "E2E: TIME mmstress-end $(uptime_s)"
	info "$NAME mmstress: $mm_res"
	info "$NAME mmstress modes sampled: $mm_modes; Xen batches +$mm_batches"
	mm_features "$NAME" 5 | sed "s/^/E2E: INFO $NAME mmstress feature: /"
	if [ "$mm_res" = absent ]; then
		for c in $mm_checks; do
			skip "$c" "no mmstress in the guest image"
		done
	else
		if mm_intact "$mm_res"; then
			pass batch-mm-intact
		else
			fail batch-mm-intact "'$mm_res'"
		fi
		if [ $mm_all_batch = yes ] && [ "$mm_batches" -gt 0 ]; then
			pass batch-mm-held-batch "$mm_modes; batches +$mm_batches"
		else
			fail batch-mm-held-batch "modes '$mm_modes', batches" \
				"+$mm_batches"
		fi
		# shellcheck disable=SC2086 # one word per feature
		missing=$(mm_not_run "$NAME" 5 $SMP_MM_NEED)
		if [ -z "$missing" ]; then
			pass batch-mm-features "$SMP_MM_NEED"
		else
			fail batch-mm-features "did not run: $missing"
		fi
		nbad=$(guest_dmesg_bad "$g" 6)
		bad=$(guest_trouble "$NAME" | tail -n +$((lines3 + 1)))
		if [ "$nbad" = "dmesg 0" ] && [ -z "$bad" ]; then
			pass batch-mm-guest-clean
		else
			fail batch-mm-guest-clean "'$nbad'; $(echo "$bad" |
				head -n 3 | tr '\n' '|')"
			trouble_context "$NAME"
		fi
		mm_main=$mm_res
		if mm_self_test "$g" 7; then
			pass batch-mm-self-test-fails "$mm_res"
		else
			fail batch-mm-self-test-fails "'$mm_res'"
		fi
		console "$NAME" | grep -a '^KGUEST: mm 7: mmstress: BAD' |
			sed "s/^/E2E: INFO $NAME self-test: /"
		echo "E2E: RESULT mmstress in BATCH: $mm_main"
	fi
fi

# --- back to EMULATE; the guest must still answer --------------------------
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
[ $done2 = no ] && still_stuck 2
pt-domctl set-mode "$g" emulate >/dev/null 2>&1
ctxt_moved() {
	[ "$(xs "/local/domain/$g/data/ptswitch/metrics/ctxt")" != "$c0" ]
}
# Alive: its /init answers (unless it still waits for a stuck stress
# run), its agent still publishes, it did not crash.
answers() {
	if [ $done2 = yes ]; then
		command "$g" "3 idle"
		wait_until 300 result_is "$g" 3
	else
		c0=$(xs "/local/domain/$g/data/ptswitch/metrics/ctxt")
		wait_until 120 ctxt_moved
	fi
}
state=$(xl list "$NAME" 2>/dev/null | awk 'NR == 2 { print $5 }')
if answers && [ "$(hv_mode "$g")" = emulate ] &&
	! echo "$state" | grep -q c; then
	pass smp-guest-alive "state '$state'"
else
	fail smp-guest-alive "mode $(hv_mode "$g"), state '$state'," \
		"result '$(xs "/local/domain/$g/data/e2e/result")'"
fi
# Xen's own log (the serial log is checked again by the launcher).
xbad=$(xl dmesg 2>&1 | grep -a -E 'domain_crash|crashed|Xen WARN|Xen BUG|Assertion|FATAL|Panic|pt batch:')
if [ -z "$xbad" ]; then
	pass xen-dmesg-clean
else
	fail xen-dmesg-clean "$(echo "$xbad" | head -n 3 | tr '\n' '|')"
fi

# --- figures -----------------------------------------------------------------
hv_dump "$g" "$NAME at the end"
info "$NAME EMULATE: emulated writes +$(delta /tmp/e0 /tmp/e1 emulated_writes)," \
	"unhook_refused +$(delta /tmp/e0 /tmp/e1 unhook_refused)," \
	"flushes: $(flushes /tmp/e0 /tmp/e1)"
info "$NAME BATCH: batches +$nb, PTEs +$np, spurious +$ns," \
	"unhook_refused +$(delta /tmp/b0 /tmp/b1 unhook_refused)," \
	"emulated writes +$(delta /tmp/b0 /tmp/b1 emulated_writes)," \
	"flushes: $(flushes /tmp/b0 /tmp/b1)"
for b in 1 2-9 10-49 50-99 100-511 512; do
	printf '%s %s, ' "$b" "$(delta /tmp/b0 /tmp/b1 "batch_hist.$b")"
done | sed 's/, $//; s/^/E2E: INFO BATCH sizes: /'
echo
echo "E2E: RESULT fork median us per run: emulate $med1, batch $med2"
echo "E2E: RESULT batch: $nb batches, $np PTEs, $ns spurious faults" \
	"($(awk -v s="$ns" -v p="$np" \
		'BEGIN { printf "%.3f", p ? 1000 * s / p : 0 }') per 1000" \
	"batched PTEs, $(awk -v s="$ns" -v b="$nb" \
		'BEGIN { printf "%.4f", b ? s / b : 0 }') per batch)"
echo "E2E: RESULT flushes in BATCH: $(flushes /tmp/b0 /tmp/b1)"
grep -E "$NAME|dom$g:" "$DAEMON_LOG" | tail -n 30 |
	sed 's/^/E2E: INFO daemon: /'
console "$NAME" | grep -a '^KGUEST:' | sed "s/^/E2E: CONSOLE $NAME: /"
