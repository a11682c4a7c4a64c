#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs in the e2e dom0 as the lab's checks (pvguest.checks=fuzz, run.sh
# --fuzz): one pvguest of 2-4 vCPUs in fuzz mode (../fuzz.c), put in BATCH when
# it asks; while it runs, dom0 switches its mode and pauses it at moments
# drawn from the same seed; afterwards the verdicts: the guest finished
# and its audit found no violation, no revalidation failed, the domain
# went away when destroyed and gave its memory back, and the hypervisor
# logged no assertion, BUG or domain_crash.  With pvguest.fuzz_destroy=1
# dom0 destroys the guest at a round drawn from the seed (the 3rd to the
# 12th second of its operations) instead: then only the destroy and the
# hypervisor's log are judged.
export PATH=/usr/sbin:/usr/bin
# grant_page, grant_stop
# shellcheck source=grant.sh
. /e2e/pvguest/grant.sh

CONSOLE_DIR=/var/log/xen/console
seed=1
ops=10000
timeout_s=900
iret=2
acts=1
destroy=0
vcpus=2
# shellcheck disable=SC2013 # the command line is one line of words
for arg in $(cat /proc/cmdline); do
	case $arg in
	pvguest.seed=*) seed=${arg#*=} ;;
	pvguest.ops=*) ops=${arg#*=} ;;
	pvguest.timeout=*) timeout_s=${arg#*=} ;;
	pvguest.fuzz_iret=*) iret=${arg#*=} ;;
	pvguest.dom0_actions=*) acts=${arg#*=} ;;
	pvguest.fuzz_destroy=*) destroy=${arg#*=} ;;
	pvguest.fuzz_vcpus=*) vcpus=${arg#*=} ;;
	esac
done

name=pvguest-fuzz
console=$CONSOLE_DIR/guest-$name.log
has_domctl=0
[ -x /usr/sbin/pt-domctl ] && has_domctl=1

# The host's free memory: in pages from pt-domctl (exact: a destroyed
# guest must give back every page), else in MB from xl info.
unit=MB
free_mb() { xl info 2>/dev/null | awk '$1 == "free_memory" { print $3 }'; }
if [ -x /usr/sbin/pt-domctl ] && pt-domctl free-pages >/dev/null 2>&1; then
	unit=pages
	free_mb() { pt-domctl free-pages 2>/dev/null; }
fi
# dom0's own stream from the seed (a 31-bit LCG): r in [0, $1).
rnd_state=$((seed % 2147483648))
rnd() {
	rnd_state=$(((rnd_state * 1103515245 + 12345) % 2147483648))
	r=$(((rnd_state >> 8) % $1))
}
xen_bad_lines() {
	xl dmesg 2>&1 | grep -c 'Assertion\|BUG\|FATAL\|Panic\|domain_crash'
}

# The round (seconds into the operations) at which dom0 destroys.
rnd 10
destroy_at=$((r + 3))
rounds=0
shown=0
# guest_cfg NAME OPS [ARGS]: the fuzz guest's configuration.
guest_cfg() {
	cat >/tmp/$1.cfg <<CFG
name = "$1"
type = "pv"
kernel = "/e2e/pvguest/pvguest.elf"
memory = 32
vcpus = $vcpus
extra = "pvg.mode=fuzz pvg.smp=1 pvg.vcpus=$vcpus pvg.seed=$seed pvg.ops=$2 pvg.fuzz_iret=$iret${3:+ $3}"
on_poweroff = "preserve"
on_crash = "preserve"
CFG
}
# A warm-up: the same guest with no operations, created, granted a page
# and destroyed, so that what dom0 keeps after its first guest (its
# maptrack frames and event channel buckets grow then, for good: 3 pages
# seen) is not charged to the fuzz guest: free pages are compared
# exactly.  It does not wait for BATCH (a leak of BATCH's is the fuzz
# guest's to show).
guest_cfg $name-warmup 0 pvg.batch_wait=0
if xl create -q /tmp/$name-warmup.cfg; then
	wdomid=$(xl domid "$name-warmup")
	grant_page "$wdomid"
	w=0
	while [ $w -lt 60 ] && ! grep -q 'PVGUEST: DONE' \
		"$CONSOLE_DIR/guest-$name-warmup.log" 2>/dev/null; do
		w=$((w + 1))
		sleep 1
	done
	xl destroy "$name-warmup" >/dev/null 2>&1
	grant_stop
	sleep 2
fi
free_before=$(free_mb)
bad_before=$(xen_bad_lines)
guest_cfg $name "$ops"
echo "E2E: INFO fuzz seed $seed, $vcpus vCPUs, $ops ops per vCPU, dom0 actions $acts," \
	"free $free_before $unit before"
if ! xl create -q /tmp/$name.cfg; then
	echo "E2E: FAIL fuzz-guest-finished xl create failed"
	exit 0
fi
domid=$(xl domid "$name")
# The page the guest's grant ops map (it waits 20 s for the reference).
grant_page "$domid"

# xen_audit WHEN: the hypervisor's audit of the guest's page tables
# (pt-domctl audit, debug builds with CONFIG_PT_BATCH_AUDIT; Xen pauses
# the guest meanwhile).  Counts runs and violations; remembers the first
# bad report, or why there is no audit.
n_audit=0 audit_bad=0 audit_first= audit_none=
xen_audit() {
	[ $has_domctl = 1 ] || {
		audit_none="no pt-domctl in dom0"
		return 0
	}
	aout=$(pt-domctl audit "$domid" 2>/dev/null)
	case $aout in
	"error EOPNOTSUPP"*)
		audit_none="the hypervisor has no audit (a release build)"
		return 0 ;;
	"error "*)
		audit_bad=$((audit_bad + 1))
		[ -n "$audit_first" ] || audit_first="$1: $aout"
		return 0 ;;
	esac
	n_audit=$((n_audit + 1))
	v=$(echo "$aout" | awk '$1 == "violations" { print $2 }')
	# Once the guest has finished no table is left partly validated: a
	# skipped comparison then would hide pages from the counts.
	if [ "$1" = end ]; then
		sk=$(echo "$aout" | awk '$1 == "counts_skipped" { print $2 }')
		[ "${sk:-0}" = 0 ] || v=${v:-0}+skipped
	fi
	if [ "${v:-1}" != 0 ]; then
		audit_bad=$((audit_bad + 1))
		[ -n "$audit_first" ] ||
			audit_first="$1: $(echo "$aout" | tr '\n' ' ')"
	fi
	audit_last=$(echo "$aout" | tr '\n' ' ')
}

answered=0
state=timeout
n_emulate=0 n_batch=0 n_pause=0 n_refused=0 n_back=0
t0=$(cut -d. -f1 /proc/uptime)
while [ $(($(cut -d. -f1 /proc/uptime) - t0)) -lt "$timeout_s" ]; do
	if [ $answered = 0 ] &&
		grep -q 'PVGUEST: OPTIN .* rc=0$' "$console" 2>/dev/null; then
		verdict="refused: no pt-domctl in dom0"
		if [ $has_domctl = 1 ]; then
			if out=$(pt-domctl set-mode "$domid" batch 2>&1); then
				verdict=applied
			else
				verdict="refused: $(echo "$out" | head -n 1)"
			fi
		fi
		xenstore-write "/local/domain/$domid/ptswitch/pvguest-batch" \
			"$verdict"
		echo "E2E: INFO fuzz BATCH request answered: $verdict"
		answered=1
	fi
	if grep -q 'PVGUEST: DONE' "$console" 2>/dev/null; then
		state=finished
		break
	fi
	if xl list "$name" 2>/dev/null | awk 'NR == 2 { exit $5 !~ /c/ }'; then
		state=crashed
		break
	fi
	xl domid "$name" >/dev/null 2>&1 || {
		state=vanished
		break
	}
	# The guest's progress, as it comes (a long run takes hours).
	np=$(grep -c 'PVGUEST: FUZZ progress' "$console" 2>/dev/null)
	if [ "${np:-0}" -gt "$shown" ]; then
		grep 'PVGUEST: FUZZ progress' "$console" |
			tail -n +$((shown + 1)) | sed 's/^/E2E: INFO fuzz /'
		shown=$np
	fi
	# Between the start of the ops and their end: mode switches and
	# pauses at moments drawn from the seed (or the destroy).
	if grep -q 'PVGUEST: FUZZ start' "$console" 2>/dev/null &&
		! grep -q 'PVGUEST: FUZZ ops-done' "$console" 2>/dev/null; then
		rounds=$((rounds + 1))
	fi
	if [ "$destroy" = 1 ] && [ $rounds -ge $destroy_at ]; then
		echo "E2E: INFO fuzz dom0 destroy at" \
			"$(cut -d' ' -f1 /proc/uptime) s, round $rounds"
		xl destroy "$name"
		state=destroyed
		break
	fi
	if [ "$acts" = 1 ] && [ $has_domctl = 1 ] && [ $rounds -gt 0 ] &&
		! grep -q 'PVGUEST: FUZZ ops-done' "$console" 2>/dev/null; then
		rnd 10
		case $r in
		0 | 1)
			act="set-mode emulate"
			n_emulate=$((n_emulate + 1))
			pt-domctl set-mode "$domid" emulate >/dev/null 2>&1 ||
				n_refused=$((n_refused + 1))
			sleep 1
			;;
		2 | 3 | 4 | 5 | 6)
			act="set-mode batch"
			n_batch=$((n_batch + 1))
			pt-domctl set-mode "$domid" batch >/dev/null 2>&1 ||
				n_refused=$((n_refused + 1))
			;;
		7 | 8)
			act="pause"
			n_pause=$((n_pause + 1))
			xl pause "$name"
			rnd 3
			sleep $((r + 1))
			xl unpause "$name"
			;;
		9)
			act="audit"
			xen_audit mid-run
			;;
		*) act= ;;
		esac
		[ -n "$act" ] && echo "E2E: INFO fuzz dom0 $act at" \
			"$(cut -d' ' -f1 /proc/uptime) s"
		# An EMULATE stretch (dom0's, held a second above, or the
		# guest's withdrawn consent) ends with the round: the run is
		# about BATCH, and a round takes seconds of a TCG dom0, so a
		# fast guest's operations see only a few of them.
		if [ "$(pt-domctl get-mode "$domid" 2>/dev/null)" = emulate ]; then
			n_back=$((n_back + 1))
			pt-domctl set-mode "$domid" batch >/dev/null 2>&1 ||
				n_refused=$((n_refused + 1))
			echo "E2E: INFO fuzz dom0 set-mode batch (back) at" \
				"$(cut -d' ' -f1 /proc/uptime) s"
		fi
	fi
	sleep 1
done
sleep 2
grep -a '^PVGUEST: ' "$console" 2>/dev/null
echo "E2E: INFO fuzz dom0 actions: set-mode emulate $n_emulate, set-mode" \
	"batch $n_batch and $n_back back ($n_refused refused), pause $n_pause"

stats=
[ $has_domctl = 1 ] && stats=$(pt-domctl get-stats "$domid" 2>/dev/null)
stat() { echo "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
echo "E2E: INFO fuzz stats: $(echo "$stats" | grep -E \
	'^(mode|opted_in|emulated_writes|batches|batch_ptes|flush|spurious|unhook|revalid)' |
	tr '\n' ' ')"

# The audit at the end, on the guest as it stopped (finished, or crashed
# and preserved): every mid-run audit and this one must find nothing.
case $state in
destroyed | vanished) ;;
*) xen_audit end ;;
esac
if [ -n "$audit_none" ] && [ $n_audit = 0 ] && [ $audit_bad = 0 ]; then
	echo "E2E: SKIP fuzz-xen-audit $audit_none"
elif [ $n_audit = 0 ] && [ $audit_bad = 0 ]; then
	echo "E2E: SKIP fuzz-xen-audit the guest was gone ($state)"
elif [ $audit_bad = 0 ]; then
	echo "E2E: PASS fuzz-xen-audit $n_audit audits (mid-run and at the" \
		"end), no violation; last: $audit_last"
else
	echo "E2E: FAIL fuzz-xen-audit $audit_bad of $((n_audit + audit_bad))" \
		"audits bad; first: $audit_first"
fi

if [ $state = destroyed ]; then
	echo "E2E: SKIP fuzz-guest-finished seed $seed: destroyed by dom0" \
		"mid-run (pvguest.fuzz_destroy=1)"
elif [ $state = finished ]; then
	echo "E2E: PASS fuzz-guest-finished seed $seed"
else
	echo "E2E: FAIL fuzz-guest-finished seed $seed: guest ended as" \
		"'$state'"
	xl dmesg 2>&1 | tail -n 20 | sed 's/^/E2E: INFO xl dmesg: /'
fi
if [ $state = destroyed ]; then
	echo "E2E: SKIP fuzz-guest-audit destroyed before its audit"
elif grep -q '^PVGUEST: PASS fuzz-guest-audit' "$console"; then
	echo "E2E: PASS fuzz-guest-audit $(sed -n \
		's/^PVGUEST: FUZZ result //p' "$console")"
else
	echo "E2E: FAIL fuzz-guest-audit $(sed -n \
		's/^PVGUEST: FUZZ result //p' "$console")"
fi
# Xen's own writes to the guest: upcalls and grant mappings happened,
# on every vCPU (their violations are the guest audit's).
ev=$(sed -n 's/^PVGUEST: FUZZ upcalls //p' "$console" | tail -n 1)
ipis=$(echo "$ev" | sed -n 's/.*ipis=\([0-9,]*\).*/\1/p')
n_ipis=$(echo "$ipis" | tr ',' '\n' | grep -c '^[1-9]')
if [ $state = destroyed ]; then
	echo "E2E: SKIP fuzz-upcalls destroyed before its report"
elif [ "$n_ipis" = "$vcpus" ]; then
	echo "E2E: PASS fuzz-upcalls $ev"
else
	echo "E2E: FAIL fuzz-upcalls a vCPU took no IPI upcall: '$ev'"
fi
gr=$(sed -n 's/^PVGUEST: FUZZ grants //p' "$console" | tail -n 1)
gm=$(echo "$gr" | sed -n 's/.*maps=\([0-9]*\).*/\1/p')
if [ $state = destroyed ]; then
	echo "E2E: SKIP fuzz-grants destroyed before its report"
elif [ -z "$grant_pid" ] || [ ! -s /tmp/pvg-grant-ref ]; then
	echo "E2E: FAIL fuzz-grants dom0 granted no page (pvg-grant)"
elif [ "${gm:-0}" -gt 0 ]; then
	echo "E2E: PASS fuzz-grants $gr"
else
	echo "E2E: FAIL fuzz-grants no grant mapped: '$gr'"
fi
grant_stop

rf=$(stat revalidation_failures)
if [ -z "$rf" ]; then
	echo "E2E: SKIP fuzz-no-revalidation-failure no counters (no" \
		"pt-domctl, or the domain was destroyed: $state)"
elif [ "$rf" = 0 ]; then
	echo "E2E: PASS fuzz-no-revalidation-failure batches" \
		"$(stat batches), batch_ptes $(stat batch_ptes)"
else
	echo "E2E: FAIL fuzz-no-revalidation-failure $rf: the fuzzer" \
		"stores no forbidden entry into a batchable L1"
fi
# A run that spent its operations in EMULATE audited nothing of BATCH.
# Floor: one batch per 100 operations of both vCPUs (runs with dom0's
# actions have had 1 per 13 to 1 per 52).  Without dom0's actions or
# with a destroy the mode is not the run's to keep: not checked.
floor=$((2 * ops / 100))
nb=$(stat batches)
if [ "$acts" != 1 ] || [ $state = destroyed ] || [ -z "$nb" ]; then
	echo "E2E: SKIP fuzz-batch-coverage (dom0 actions $acts, $state)"
elif [ "$nb" -ge "$floor" ]; then
	echo "E2E: PASS fuzz-batch-coverage batches $nb >= $floor"
else
	echo "E2E: FAIL fuzz-batch-coverage batches $nb < $floor: the run" \
		"was mostly in EMULATE"
fi

# Destroyed: gone from xl list, its memory free again.
xl destroy "$name" >/dev/null 2>&1
gone=0
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	if ! xl list 2>/dev/null |
		awk -v id="$domid" 'NR > 1 && $2 == id { f = 1 } END { exit !f }'
	then
		gone=1
		break
	fi
	sleep 1
done
free_after=$(free_mb)
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ "${free_after:-0}" -ge "${free_before:-0}" ] && break
	sleep 1
	free_after=$(free_mb)
done
if [ $gone = 1 ] && [ "${free_after:-0}" -ge "${free_before:-1}" ]; then
	echo "E2E: PASS fuzz-destroyed-cleanly dom$domid gone, free_memory" \
		"$free_before -> $free_after $unit"
else
	echo "E2E: FAIL fuzz-destroyed-cleanly dom$domid gone $gone," \
		"free $free_before -> $free_after $unit"
	xl list 2>&1 | sed 's/^/E2E: INFO xl list: /'
fi
bad=$(($(xen_bad_lines) - bad_before))
if [ "$bad" = 0 ]; then
	echo "E2E: PASS fuzz-xen-log no assertion, BUG or domain_crash in" \
		"xl dmesg"
else
	echo "E2E: FAIL fuzz-xen-log $bad assertion/BUG/domain_crash lines:"
	xl dmesg 2>&1 | grep 'Assertion\|BUG\|FATAL\|Panic\|domain_crash' |
		tail -n 10 | sed 's/^/E2E: INFO xl dmesg: /'
fi
exit 0
