#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs in the e2e dom0 (as the lab's checks): boot the pvguest kernel with
# `xl create`, first with one vCPU, then with two writing at once; answer
# each guest's BATCH question; cross-check the hypervisor's counters when
# the patched domctl is there; copy the guests' console lines to dom0's
# console, where ../run.sh reads them.  Lines: "E2E: PASS|FAIL|SKIP name
# ..." (the lab's format) and the guests' own "PVGUEST: ..." lines.
export PATH=/usr/sbin:/usr/bin

CONSOLE_DIR=/var/log/xen/console
repeats=15
timeout_s=900
smp=1
attacks=1
cases=all
xen=stock
# shellcheck disable=SC2013 # the command line is one line of words
for arg in $(cat /proc/cmdline); do
	case $arg in
	pvguest.repeats=*) repeats=${arg#*=} ;;
	pvguest.timeout=*) timeout_s=${arg#*=} ;;
	pvguest.smp=*) smp=${arg#*=} ;;
	pvguest.attacks=*) attacks=${arg#*=} ;;
	pvguest.cases=*) cases=${arg#*=} ;;
	e2e.xen=*) xen=${arg#*=} ;;
	esac
done

# run_smp_attack: the attacks with two vCPUs.
# guest_ended NAME CONSOLE: true once the guest crashed (astate=crashed) or
# printed its last line (astate=finished).
guest_ended() {
	if xl list "$1" 2>/dev/null | awk 'NR == 2 { exit $5 !~ /c/ }'; then
		astate=crashed
		return 0
	fi
	if grep -q 'PVGUEST: DONE' "$2" 2>/dev/null; then
		astate=finished
		return 0
	fi
	return 1
}

# shellcheck source=smp-attacks.sh
. /e2e/pvguest/smp-attacks.sh
# shellcheck source=foreign-probe.sh
. /e2e/pvguest/foreign-probe.sh
# shellcheck source=grant.sh
. /e2e/pvguest/grant.sh

has_domctl=0
[ -x /usr/sbin/pt-domctl ] && has_domctl=1
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# The guest asks for BATCH by enabling the vm-assist; dom0 answers in
# ptswitch/pvguest-batch ("applied" or why not).  The guest waits for it.
answer_batch() {
	if [ $has_domctl = 0 ]; then
		verdict="refused: no pt-domctl in dom0"
	elif out=$(pt-domctl set-mode "$1" batch 2>/dev/null); then
		verdict=applied
	else
		# pt-domctl prints the hypervisor's errno as "error NAME".
		verdict="refused: set-mode batch: $(echo "$out" | head -n 1)"
	fi
	# Opted in now (it asked) and waiting for the answer: once, what a
	# save would record of it, and that a live context change keeps it.
	if [ "$2" = pvguest ]; then
		check_saved_consent "$1"
		check_live_context_consent "$1" "$verdict"
	fi
	batch_verdict=$verdict
	xenstore-write "/local/domain/$1/ptswitch/pvguest-batch" "$verdict"
	echo "E2E: INFO $2 BATCH request answered: $verdict"
}

# mode_and_consent DOMID: "MODE OPTED_IN" as the domctl reports them.
mode_and_consent() {
	pt-domctl get-stats "$1" 2>/dev/null |
		awk '$1 == "mode" { m = $2 } $1 == "opted_in" { o = $2 }
			END { print m, o }'
}

# check_live_context_consent DOMID VERDICT: the guest is in BATCH and
# waits for dom0's answer.  vCPU 0 reset and given back its own context
# (XEN_DOMCTL_setvcpucontext on the paused domain; only a vCPU that is not
# initialised takes the context's vm_assist) must leave the running
# kernel's consent, and so BATCH, as they were: only a saved or restored
# copy drops the consent (hv-patches 0012).
check_live_context_consent() {
	lc=safety-live-context-keeps-consent
	if [ "$2" != applied ]; then
		echo "E2E: SKIP $lc dom$1 is not in BATCH ($2)"
		return 0
	fi
	lc_out=$(pt-domctl rewrite-context "$1" 2>&1)
	lc_got=$(mode_and_consent "$1")
	if [ "$lc_got" = "batch 1" ]; then
		echo "E2E: PASS $lc $lc_out, still 'batch', opted_in 1"
	else
		echo "E2E: FAIL $lc after '$lc_out' mode and opted_in are" \
			"'$lc_got', want 'batch 1'"
	fi
}

# check_withdrawn_consent NAME DOMID: the guest withdrew its consent after
# its BATCH benchmark (vm_assist disable) and then powered off; Xen itself
# must have taken it back to EMULATE (hv-patches 0013), so the domctl
# reports EMULATE without the consent.
check_withdrawn_consent() {
	cname=safety-withdrawn-consent-emulate
	if [ $has_domctl = 0 ] || [ "$xen" != patched ]; then
		echo "E2E: SKIP $1:$cname needs the patched Xen and" \
			"pt-domctl (this is $xen Xen)"
		return 0
	fi
	if [ "$batch_verdict" != applied ]; then
		echo "E2E: SKIP $1:$cname the guest was not in BATCH" \
			"($batch_verdict)"
		return 0
	fi
	wc_got=$(mode_and_consent "$2")
	if [ "$wc_got" = "emulate 0" ]; then
		echo "E2E: PASS $1:$cname mode emulate, opted_in 0"
	else
		echo "E2E: FAIL $1:$cname mode and opted_in are '$wc_got'" \
			"after the guest withdrew its consent, want 'emulate 0'"
	fi
}

# check_counters NAME DOMID CONSOLE HISTOGRAM(0|1)
check_counters() {
	if [ $has_domctl = 0 ] || [ "$xen" != patched ]; then
		echo "E2E: SKIP $1-counter-matches needs the patched Xen and" \
			"pt-domctl (this is $xen Xen)"
		[ "$4" = 1 ] && echo "E2E: SKIP $1-run-histogram-matches" \
			"needs the patched Xen and pt-domctl (this is $xen Xen)"
		return 0
	fi
	stats=$(pt-domctl get-stats "$2" 2>&1)
	echo "$stats" | sed "s/^/E2E: INFO $1 stats: /"
	want=$(sed -n 's/^PVGUEST: INFO emulated_writes=\([0-9]*\).*/\1/p' "$3")
	got=$(echo "$stats" | awk '$1 == "emulated_writes" { print $2 }')
	refused=$(echo "$stats" | awk '$1 == "unhook_refused" { print $2 }')
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		echo "E2E: PASS $1-counter-matches emulated_writes=$got"
	elif [ "$4" = 0 ] && [ -n "$want" ] && [ -n "$got" ] &&
		[ "$got" -gt "$want" ] &&
		[ $((got - want)) -le "${refused:-0}" ]; then
		# Two vCPUs in BATCH: a store whose batch could not open (the
		# other vCPU was in Xen) is emulated, which the guest cannot
		# tell; each is also an unhook_refused.
		echo "E2E: PASS $1-counter-matches emulated_writes=$got:" \
			"guest's $want plus $((got - want)) BATCH stores Xen" \
			"emulated (unhook_refused=$refused)"
	else
		echo "E2E: FAIL $1-counter-matches hypervisor '$got'," \
			"guest '$want'"
	fi
	[ "$4" = 1 ] || return 0
	# The run-length histogram: the guest ends each timed run with a
	# hypercall, where the patched Xen ends its run (a deschedule in
	# the middle of a run would split it and show as a mismatch).
	want=$(sed -n 's/^PVGUEST: INFO emul_runs=\([0-9,]*\).*/\1/p' "$3")
	got=$(echo "$stats" |
		awk '$1 ~ /^emul_runs\./ { printf "%s%s", sep, $2; sep = "," }')
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		echo "E2E: PASS $1-run-histogram-matches emul_runs=$got"
	else
		echo "E2E: FAIL $1-run-histogram-matches hypervisor '$got'," \
			"guest '$want'"
	fi
}

# create_pvguest NAME VCPUS EXTRA [CFG-LINE...]: our kernel as a PV guest,
# with EXTRA as its command line.  The domain is kept after it stops, for
# the counters and the post-mortem.
create_pvguest() {
	cfg=/tmp/$1.cfg
	{
		echo "name = \"$1\""
		echo 'type = "pv"'
		echo 'kernel = "/e2e/pvguest/pvguest.elf"'
		echo 'memory = 32'
		echo "vcpus = $2"
		echo "extra = \"$3\""
		shift 3
		for line in "$@"; do
			echo "$line"
		done
		echo 'on_poweroff = "preserve"'
		echo 'on_crash = "preserve"'
	} >"$cfg"
	xl create -q "$cfg"
}

# run_guest NAME VCPUS EXTRA-ARGS
run_guest() {
	name=$1
	console=$CONSOLE_DIR/guest-$name.log
	echo "E2E: TIME $name-create $(uptime_s)"
	# tsc_mode native: rdtsc executed natively, not emulated by Xen.
	if ! create_pvguest "$name" "$2" "pvg.repeats=$repeats $3" \
		'tsc_mode = "native"'; then
		echo "E2E: FAIL $name-create xl create failed"
		return 0
	fi
	domid=$(xl domid "$name")
	echo "E2E: INFO $name domid $domid, $2 vCPU(s), on $xen Xen"

	answered=0
	batch_verdict="no BATCH request"
	waited=0
	state=timeout
	while [ $waited -lt "$timeout_s" ]; do
		if [ $answered = 0 ] &&
			grep -q 'PVGUEST: OPTIN .* rc=0$' "$console" 2>/dev/null
		then
			answer_batch "$domid" "$name"
			answered=1
		fi
		if grep -q 'PVGUEST: DONE' "$console" 2>/dev/null; then
			state=finished
			break
		fi
		if grep -q 'PVGUEST: FATAL' "$console" 2>/dev/null; then
			state=fatal
			break
		fi
		xl domid "$name" >/dev/null 2>&1 || {
			state=vanished
			break
		}
		if xl list "$name" 2>/dev/null |
			awk 'NR == 2 { exit $5 !~ /c/ }'; then
			state=crashed
			break
		fi
		sleep 1
		waited=$((waited + 1))
	done
	echo "E2E: TIME $name-end $(uptime_s)"
	# Let xenconsoled write out the last lines.
	sleep 2

	grep -a '^PVGUEST: ' "$console" 2>/dev/null

	if grep -q 'PVGUEST: START' "$console" 2>/dev/null; then
		echo "E2E: PASS $name-boot"
	else
		echo "E2E: FAIL $name-boot no START line on the guest console"
	fi
	case $state in
	finished) echo "E2E: PASS $name-bench" ;;
	*)
		echo "E2E: FAIL $name-bench guest ended as '$state'"
		xl list 2>&1 | sed 's/^/E2E: INFO xl list: /'
		xl dmesg 2>&1 | tail -n 30 | sed 's/^/E2E: INFO xl dmesg: /'
		;;
	esac
	histogram=1
	[ "$2" -gt 1 ] && histogram=0
	check_counters "$name" "$domid" "$console" $histogram
	[ "$state" = finished ] && check_withdrawn_consent "$name" "$domid"
	if [ "$2" -gt 1 ] && [ $has_domctl = 1 ]; then
		echo "E2E: INFO spurious faults in $name: Xen spurious_faults" \
			"$(pt-domctl get-stats "$domid" 2>/dev/null |
				awk '$1 == "spurious_faults" { print $2 }');" \
			"guest: $(sed -n 's/^PVGUEST: INFO spurious_fault_rate //p' \
				"$console")"
	fi
	# The guest's own verdicts (EMULATE controls, safety tests), in the
	# lab's format, named after the guest.
	sed -n "s/^PVGUEST: \(PASS\|FAIL\|SKIP\) /E2E: \1 $name:/p" "$console"
	[ "${keep:-0}" = 1 ] || xl destroy "$name" >/dev/null 2>&1
}

# check_saved_consent DOMID: the guest opted in, but what a save or a
# migration records of it (vCPU 0's context) must not carry the consent:
# a Xen without the series refuses the unknown vm-assist on restore, and
# the kernel that resumes must consent again (issue 14 item 6).
check_saved_consent() {
	if [ $has_domctl = 0 ] || [ "$xen" != patched ]; then
		echo "E2E: SKIP safety-saved-context-no-consent needs the" \
			"patched Xen and pt-domctl (this is $xen Xen)"
		return 0
	fi
	opted=$(pt-domctl get-stats "$1" 2>/dev/null |
		awk '$1 == "opted_in" { print $2 }')
	saved=$(pt-domctl saved-vm-assist "$1" 2>&1)
	if [ "$opted" != 1 ]; then
		echo "E2E: SKIP safety-saved-context-no-consent dom$1 has not" \
			"opted in (opted_in '$opted')"
	elif echo "$saved" | grep -q ' pt_batch 0$'; then
		echo "E2E: PASS safety-saved-context-no-consent opted in, and" \
			"the context a save records says '$saved'"
	else
		echo "E2E: FAIL safety-saved-context-no-consent the context a" \
			"save records says '$saved': a restore on a Xen without" \
			"the series would fail"
	fi
}

# run_attack NAME FOREIGN_MFN: a one-vCPU guest that dom0 puts in BATCH,
# which writes a forbidden PTE natively into a batched L1 and flushes.
# PASS only if Xen refused it (crashed this guest with a revalidation
# failure, or left the entry not live) and dom0 and the kept first guest
# are still fine.
run_attack() {
	aname=pvguest-attack-$1
	console=$CONSOLE_DIR/guest-$aname.log
	if ! create_pvguest "$aname" 1 "pvg.attack=$1 pvg.foreign_mfn=$2"; then
		echo "E2E: FAIL attack-$1 xl create failed"
		return 0
	fi
	adomid=$(xl domid "$aname")
	[ "$1" = grant-ad-bits ] && grant_page "$adomid"
	answered=0
	acted=0
	action=
	waited=0
	astate=timeout
	while [ $waited -lt 120 ]; do
		if [ $answered = 0 ] &&
			grep -q 'PVGUEST: OPTIN .* rc=0$' "$console" 2>/dev/null
		then
			answer_batch "$adomid" "$aname"
			answered=1
		fi
		# While the guest holds a batch open (it started a second
		# ago): switch its mode, or destroy it.
		if [ $acted = 0 ] && grep -q "PVGUEST: ATTACK $1 start" \
			"$console" 2>/dev/null; then
			acted=1
			sleep 1
			case $1 in
			mode-switch)
				if out=$(pt-domctl set-mode "$adomid" emulate 2>&1)
				then
					action=ok
				else
					action=$out
				fi
				;;
			destroy)
				if out=$(xl destroy "$aname" 2>&1); then
					action=ok
				else
					action=$out
				fi
				astate=destroyed
				break
				;;
			esac
		fi
		guest_ended "$aname" "$console" && break
		sleep 1
		waited=$((waited + 1))
	done
	sleep 1
	grep -a '^PVGUEST: \(ATTACK\|SKIP\|FAIL\|NA\)' "$console" 2>/dev/null
	stats=$(pt-domctl get-stats "$adomid" 2>/dev/null)
	stat() { echo "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
	fails=$(stat revalidation_failures)
	batches=$(stat batches)
	# The rest of the system: dom0's toolstack answers, the kept guest
	# is still there.
	healthy=1
	xl list >/dev/null 2>&1 || healthy=0
	xl domid pvguest >/dev/null 2>&1 || healthy=0
	skip=$(sed -n "s/^PVGUEST: SKIP attack-$1 //p" "$console")
	said() { grep -q "^PVGUEST: ATTACK $1 $2" "$console"; }
	# These two survive by design: they must say a batch was open.
	case $1 in
	second-l2 | mode-switch)
		[ -z "$skip" ] &&
			! said "$1" 'survived: \(batch opened\|first batch open\) 1' &&
			skip="no batch was opened, BATCH not exercised"
		;;
	esac
	case $1 in
	destroy)
		gone=0
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			xl domid "$aname" >/dev/null 2>&1 || { gone=1; break; }
			sleep 1
		done
		bugs=$(xl dmesg 2>&1 | grep -c 'Assertion\|BUG\|FATAL\|Panic')
		if [ "$action" = ok ] && [ $gone = 1 ] && [ $healthy = 1 ] &&
			[ "$bugs" = 0 ]; then
			echo "E2E: PASS safety-destroy-mid-batch destroyed while" \
				"holding a batch; dom0 and the kept guest fine," \
				"no Xen BUG/assertion"
		else
			echo "E2E: FAIL safety-destroy-mid-batch destroy" \
				"'$action', gone $gone, healthy $healthy, Xen" \
				"BUG/assertion lines $bugs"
		fi
		return 0
		;;
	mode-switch)
		[ -z "$skip" ] && [ "$(stat flush.mode)" = 0 ] &&
			skip="the batch was closed before the switch (flush.desched $(stat flush.desched))"
		if [ -n "$skip" ]; then
			echo "E2E: SKIP safety-mode-switch-mid-batch $skip"
		elif [ "$action" = ok ] && [ "$astate" = finished ] &&
			[ $healthy = 1 ] &&
			said "$1" 'survived: .*closed by Xen after [0-9]* ms: 1, entry kept: 1' &&
			said "$1" 'next store: batch open 0, entry ok 1'; then
			echo "E2E: PASS safety-mode-switch-mid-batch set-mode" \
				"emulate closed the open batch (flush.mode" \
				"$(stat flush.mode)), entry kept, next store emulated"
		else
			echo "E2E: FAIL safety-mode-switch-mid-batch set-mode" \
				"'$action', state $astate, healthy $healthy"
		fi
		xl destroy "$aname" >/dev/null 2>&1
		return 0
		;;
	grant-ad-bits)
		if [ -n "$skip" ]; then
			echo "E2E: SKIP safety-grant-ad-bits-in-batch $skip"
		elif [ "$astate" = finished ] && [ $healthy = 1 ] &&
			[ "${fails:-0}" = 0 ] &&
			said "$1" 'survived: batch was open 1, flush rc 0, entry held 1 .*, mark 1'; then
			echo "E2E: PASS safety-grant-ad-bits-in-batch the Accessed" \
				"bit of a grant mapping cleared in a batch was kept" \
				"(batches=$batches, revalidation_failures=$fails)"
		else
			echo "E2E: FAIL safety-grant-ad-bits-in-batch state" \
				"$astate, healthy $healthy, revalidation_failures" \
				"'${fails:-}': an A-bit change of a grant mapping" \
				"must be kept at the close"
		fi
		# The unmap closed a second batch: counted as a grant flush.
		if [ -n "$skip" ]; then
			echo "E2E: SKIP safety-grant-flush-counted $skip"
		elif grep -q "^PVGUEST: INFO attack-$1 unmap with a batch open 1: rc 0 status 0, pde present after 1" "$console" &&
			[ "$(stat flush.grant)" -ge 1 ] 2>/dev/null; then
			echo "E2E: PASS safety-grant-flush-counted a batch closed" \
				"by a grant-table op counts as flush.grant" \
				"($(stat flush.grant))"
		else
			echo "E2E: FAIL safety-grant-flush-counted flush.grant" \
				"'$(stat flush.grant)', flush.hypercall" \
				"'$(stat flush.hypercall)': a batch closed by a" \
				"grant-table op must count as a grant flush"
		fi
		xl destroy "$aname" >/dev/null 2>&1
		grant_stop
		return 0
		;;
	second-l2)
		if [ -n "$skip" ]; then
			echo "E2E: SKIP safety-l1-hooked-into-second-l2 $skip"
		elif [ "$astate" = finished ] && [ $healthy = 1 ] &&
			said "$1" 'survived: .*hook rc 0, batch opened on the doubly mapped L1 0, entries ok 1' &&
			[ "$(stat unhook_refused)" -ge 1 ]; then
			echo "E2E: PASS safety-l1-hooked-into-second-l2 Xen" \
				"refused to unhook a doubly mapped L1" \
				"(unhook_refused $(stat unhook_refused))"
		else
			echo "E2E: FAIL safety-l1-hooked-into-second-l2 state" \
				"$astate, unhook_refused '$(stat unhook_refused)'"
		fi
		xl destroy "$aname" >/dev/null 2>&1
		return 0
		;;
	esac
	if [ -n "$skip" ]; then
		echo "E2E: SKIP safety-attack-$1 $skip"
	elif grep -q "^PVGUEST: FAIL attack-$1" "$console"; then
		echo "E2E: FAIL safety-attack-$1 $(sed -n \
			"s/^PVGUEST: FAIL attack-$1 //p" "$console")"
	elif [ $healthy = 1 ] && [ "$astate" = crashed ] &&
		[ "${fails:-0}" -ge 1 ]; then
		echo "E2E: PASS safety-attack-$1 Xen crashed only the attacker" \
			"(revalidation_failures=$fails, batches=$batches)"
	elif [ $healthy = 1 ] && [ "$astate" = finished ] &&
		grep -q "^PVGUEST: ATTACK $1 survived" "$console"; then
		echo "E2E: PASS safety-attack-$1 Xen kept the entry out" \
			"(revalidation_failures=${fails:-?}, batches=$batches)"
	else
		echo "E2E: FAIL safety-attack-$1 state $astate, healthy" \
			"$healthy, revalidation_failures '${fails:-}'"
	fi
	xl destroy "$aname" >/dev/null 2>&1
}

# pvguest.cases=races (run.sh --widen-races): only the cases that a debug
# Xen with CONFIG_PT_BATCH_WIDEN_RACES is built for, no benchmark.
if [ "$cases" = races ]; then
	kept=
	# The cases that a defect turns into a hypervisor assertion last:
	# that stops the hypervisor.
	run_foreign_probe
	run_smp_attack smp-bounce-bound safety-bounces-bounded
	run_smp_attack smp-close-l2-race safety-close-l2-race
	run_smp_attack smp-optin-race safety-optin-race
	exit 0
fi
# pvguest.cases=xen-access (run.sh --cases xen-access): Xen's own
# accesses to a range a batch has unhooked, no benchmark.
if [ "$cases" = xen-access ]; then
	kept=
	run_smp_attack smp-iret-unhooked safety-xen-reads-iret-frame-unhooked
	run_smp_attack smp-iret-unhooked-alias \
		safety-xen-reads-iret-frame-unhooked-alias
	run_smp_attack smp-bounce-unhooked \
		safety-xen-writes-bounce-frame-unhooked
	exit 0
fi

# The first guest is kept (stopped) while the attacks run: its data page
# is the other domain's page they try to map.
kept=pvguest
keep=1
run_guest pvguest 1 ""
keep=0
[ "$smp" = 1 ] && run_guest pvguest-smp 2 "pvg.smp=1"

first=$CONSOLE_DIR/guest-pvguest.log
if [ "$attacks" = 0 ]; then
	why="skipped (run.sh --no-attacks)"
elif ! grep -q '^PVGUEST: ROW mode=batch ' "$first" 2>/dev/null; then
	why="BATCH did not run in the first guest: $(sed -n \
		's/^PVGUEST: NA batch //p' "$first")"
fi
if [ -z "${why:-}" ]; then
	foreign=$(sed -n 's/^PVGUEST: INFO data_mfn=\([0-9]*\).*/\1/p' "$first")
	for attack in pagetable-writable-l2 pagetable-writable-l1 xen-page \
		host-frame-0 foreign-page use-while-batched second-l2 \
		grant-ad-bits mode-switch destroy; do
		run_attack "$attack" "${foreign:-0}"
	done
else
	for attack in attack-pagetable-writable-l2 attack-pagetable-writable-l1 \
		attack-xen-page attack-host-frame-0 attack-foreign-page \
		attack-use-while-batched l1-hooked-into-second-l2 mode-switch-mid-batch \
		destroy-mid-batch grant-ad-bits-in-batch; do
		echo "E2E: SKIP safety-$attack $why"
	done
fi
# Two vCPUs: a batch closed by the other vCPU (smp-attacks.sh).
for attack in smp-flush-race:safety-flush-race-from-other-vcpu \
	smp-mmu-update-open-l1:safety-mmu-update-on-open-l1 \
	smp-cr3-load:safety-cr3-load-on-other-vcpu \
	smp-bounced-read:safety-spurious-fault-bounced \
	smp-alias-after-close:safety-alias-write-after-close \
	smp-close-l2-race:safety-close-l2-race \
	smp-bounce-bound:safety-bounces-bounded \
	smp-bounce-hypercall:safety-bounces-bounded-hypercall \
	smp-bounce-two-ranges:safety-bounces-bounded-two-ranges \
	smp-optin-race:safety-optin-race \
	smp-iret-unhooked:safety-xen-reads-iret-frame-unhooked \
	smp-iret-unhooked-alias:safety-xen-reads-iret-frame-unhooked-alias \
	smp-bounce-unhooked:safety-xen-writes-bounce-frame-unhooked; do
	if [ "$smp" = 0 ]; then
		echo "E2E: SKIP ${attack#*:} skipped (run.sh --no-smp)"
	elif [ -z "${why:-}" ]; then
		run_smp_attack "${attack%%:*}" "${attack#*:}"
	else
		echo "E2E: SKIP ${attack#*:} $why"
	fi
done
# Foreign MMU ops from an unprivileged guest (foreign-probe.sh).
if [ "$smp" = 0 ]; then
	for c in errno no-refusals; do
		echo "E2E: SKIP safety-foreign-probe-$c skipped (run.sh --no-smp)"
	done
elif [ -z "${why:-}" ]; then
	run_foreign_probe
else
	for c in errno no-refusals; do
		echo "E2E: SKIP safety-foreign-probe-$c $why"
	done
fi
xl destroy pvguest >/dev/null 2>&1
exit 0
