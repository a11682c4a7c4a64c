#!/bin/sh
# SPDX-License-Identifier: MIT
# Sourced by bench.sh in the e2e dom0: the BATCH attacks with two vCPUs
# (../smp_attack.c).  Each runs in a fresh 2-vCPU guest that dom0 puts in
# BATCH; the verdict comes from the guest's ATTACK lines, the domain's
# state, the hypervisor's counters, the health of dom0 and the kept first
# guest, and whether the domain really goes away when destroyed (a leaked
# page reference keeps a dying domain around as a zombie).

# domain_gone DOMID: true once no domain has that id (15 s at most).
domain_gone() {
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		xl list 2>/dev/null | awk -v id="$1" 'NR > 1 && $2 == id { f = 1 }
			END { exit f }' && return 0
		sleep 1
	done
	return 1
}

# run_smp_attack NAME TEST: NAME is the guest's pvg.attack, TEST the
# E2E check name.
run_smp_attack() {
	aname=pvguest-attack-$1
	console=$CONSOLE_DIR/guest-$aname.log
	if ! create_pvguest "$aname" 2 "pvg.attack=$1 pvg.smp=1"; then
		echo "E2E: FAIL $2 xl create failed"
		return 0
	fi
	adomid=$(xl domid "$aname")
	answered=0
	waited=0
	astate=timeout
	while [ $waited -lt 180 ]; do
		if [ $answered = 0 ] &&
			grep -q 'PVGUEST: OPTIN .* rc=0$' "$console" 2>/dev/null
		then
			answer_batch "$adomid" "$aname"
			answered=1
		fi
		guest_ended "$aname" "$console" && break
		sleep 1
		waited=$((waited + 1))
	done
	sleep 2
	grep -a '^PVGUEST: \(ATTACK\|SKIP\|FAIL\|NA\|FATAL\)' "$console" \
		2>/dev/null
	stats=$(pt-domctl get-stats "$adomid" 2>/dev/null)
	echo "E2E: INFO $aname stats: $(echo "$stats" |
		grep -E '^(batches|flush|spurious|unhook|revalid)' | tr '\n' ' ')"
	stat() { echo "$stats" | awk -v k="$1" '$1 == k { print $2 }'; }
	fails=$(stat revalidation_failures)
	# Mode and consent as the guest left them (before the destroy).
	consent=$(mode_and_consent "$adomid" 2>/dev/null)
	healthy=1
	xl list >/dev/null 2>&1 || healthy=0
	# The kept first guest (none with pvguest.cases=races).
	[ -z "$kept" ] || xl domid "$kept" >/dev/null 2>&1 || healthy=0
	xl destroy "$aname" >/dev/null 2>&1
	gone=0
	domain_gone "$adomid" && gone=1
	bugs=$(xl dmesg 2>&1 | grep -c 'Assertion\|BUG\|FATAL\|Panic')
	said() { grep -q "^PVGUEST: ATTACK $1 $2" "$console"; }
	num() {
		sed -n "s/^PVGUEST: ATTACK $1 .*$2 \([0-9]*\).*/\1/p" \
			"$console" | head -n 1
	}
	skip=$(sed -n "s/^PVGUEST: SKIP attack-$1 //p" "$console" | head -n 1)
	base="state $astate, healthy $healthy, gone after destroy $gone,"
	base="$base Xen BUG/assertion lines $bugs"
	ok_base=0
	[ $healthy = 1 ] && [ $gone = 1 ] && [ "$bugs" = 0 ] && ok_base=1
	if grep -q "^PVGUEST: FAIL attack-$1" "$console"; then
		echo "E2E: FAIL $2 $(sed -n "s/^PVGUEST: FAIL attack-$1 //p" \
			"$console"); $base"
		return 0
	fi
	case $1 in
	smp-flush-race)
		opened=$(num "$1" 'batches seen open')
		closed=$(num "$1" 'between two of our stores')
		[ -z "$skip" ] && { [ "${opened:-0}" -ge 1 ] &&
			[ "${closed:-0}" -ge 1 ]; } ||
			skip=${skip:-"no batch was seen open and closed by the other vCPU"}
		if [ -n "$skip" ] && [ $ok_base = 1 ]; then
			echo "E2E: SKIP $2 $skip"
		elif [ $ok_base = 1 ] && said "$1" 'valid: .*entries ok 1' &&
			[ "${fails:-0}" -ge 1 ] &&
			{ [ "$astate" = crashed ] || said "$1" survived; }; then
			echo "E2E: PASS $2 $opened batches opened and $closed" \
				"closed under vCPU 0 by vCPU 1's hypercalls," \
				"valid entries intact; the forbidden PTE was" \
				"caught at a close (revalidation_failures=$fails," \
				"$astate); $base"
		else
			echo "E2E: FAIL $2 revalidation_failures '${fails:-}'," \
				"opened '$opened' closed '$closed'; $base"
		fi
		;;
	smp-mmu-update-open-l1)
		rounds=$(num "$1" 'rounds')
		open=$(num "$1" 'batch open when vCPU 1 wrote')
		[ -z "$skip" ] && [ "${open:-0}" = 0 ] &&
			skip="vCPU 1 never found the batch open"
		if [ -n "$skip" ] && [ $ok_base = 1 ]; then
			echo "E2E: SKIP $2 $skip"
		elif [ $ok_base = 1 ] && [ "$astate" = finished ] &&
			[ "${rounds:-0}" -ge 1 ] &&
			said "$1" "survived: rounds $rounds, batch open when vCPU 1 wrote $open, closed by its hypercall $open, entries ok $rounds, mmu_update ok $rounds, forbidden refused $rounds, forbidden entry unchanged 1"; then
			# "closed": hooked again when its mmu_update returned.
			echo "E2E: PASS $2 $rounds rounds, $open with vCPU 0's" \
				"batch open: vCPU 1's mmu_update closed it first," \
				"entries right, forbidden entry refused; $base"
		else
			echo "E2E: FAIL $2 rounds '$rounds', open '$open'; $base"
		fi
		;;
	smp-cr3-load)
		rounds=$(num "$1" 'rounds')
		open=$(num "$1" 'batch open before the load')
		cr3=$(stat flush.cr3)
		desched=$(stat flush.desched)
		[ -z "$skip" ] && [ "${open:-0}" = 0 ] &&
			skip="vCPU 1 never found the batch open"
		if [ -n "$skip" ] && [ $ok_base = 1 ]; then
			echo "E2E: SKIP $2 $skip"
		elif [ $ok_base = 1 ] && [ "$astate" = finished ] &&
			[ "${rounds:-0}" -ge 1 ] &&
			said "$1" "survived: rounds $rounds, batch open before the load $open, closed by it $open, entry ok 1" &&
			# vCPU 0 may be descheduled (closing its batch)
			# between vCPU 1's look and its load: on a loaded
			# host some closes are counted as desched.
			[ $((${cr3:-0} + ${desched:-0})) -ge "$open" ]; then
			echo "E2E: PASS $2 $rounds emulated CR3 loads by vCPU 1," \
				"$open with vCPU 0's batch open, each closed it" \
				"(flush.cr3=$cr3, flush.desched=$desched); $base"
		else
			echo "E2E: FAIL $2 rounds '$rounds', open '$open'," \
				"flush.cr3 '$cr3', flush.desched '$desched'; $base"
		fi
		;;
	smp-bounced-read)
		rounds=$(num "$1" 'rounds')
		open=$(num "$1" 'batch open before the read')
		unhooked=$(num "$1" 'with its L2 entry unhooked')
		xen_spurious=$(stat spurious_faults)
		[ -z "$skip" ] && [ "${open:-0}" = 0 ] &&
			skip="vCPU 1 never found the batch open"
		if [ -n "$skip" ] && [ $ok_base = 1 ]; then
			echo "E2E: SKIP $2 $skip"
		elif [ $ok_base = 1 ] && [ "$astate" = finished ] &&
			[ "${rounds:-0}" -ge 1 ] && [ "${unhooked:-0}" -ge 1 ] &&
			[ "${xen_spurious:-0}" -ge "$unhooked" ] &&
			said "$1" "survived: .*reads ok $rounds\$"; then
			echo "E2E: PASS $2 $rounds reads, $open with vCPU 0's" \
				"batch open: $unhooked faults bounced to vCPU 1" \
				"with its L2 entry unhooked, all retried and read" \
				"right (Xen spurious_faults=$xen_spurious," \
				"flush.fault=$(stat flush.fault)); $base"
		else
			echo "E2E: FAIL $2 rounds '$rounds', open '$open'," \
				"unhooked '$unhooked', Xen spurious_faults" \
				"'$xen_spurious'; $base"
		fi
		;;
	smp-bounce-bound | smp-bounce-hypercall | smp-bounce-two-ranges)
		# A bounce, then at most the close of each range the access
		# touches: one range, or two for the movsq across.
		bound=2
		[ "$1" = smp-bounce-two-ranges ] && bound=3
		right=$(num "$1" 'read right')
		bounced=$(num "$1" 'faults bounced with the L2 entry unhooked')
		most=$(num "$1" 'max faults on one read')
		given=$(num "$1" 'reads given up')
		[ -z "$skip" ] && [ "${bounced:-0}" = 0 ] &&
			skip="no read of vCPU 1 was bounced"
		what="max faults on one read '$most', reads given up"
		what="$what '$given', read right '$right' of 20, bounced"
		what="$what '$bounced'"
		if [ -n "$skip" ] && [ $ok_base = 1 ]; then
			echo "E2E: SKIP $2 $skip"
		elif [ $ok_base = 1 ] && [ "$astate" = finished ] &&
			[ "$right" = 20 ] && [ "$given" = 0 ] &&
			[ "${most:-99}" -le $bound ]; then
			echo "E2E: PASS $2 $what (spurious_faults" \
				"$(stat spurious_faults), unhook_refused" \
				"$(stat unhook_refused)); $base"
		else
			echo "E2E: FAIL $2 $what (bound $bound); $base"
		fi
		;;
	smp-close-l2-race)
		rounds=$(num "$1" 'rounds')
		open=$(num "$1" 'batch open when vCPU 1 looked')
		[ -z "$skip" ] && [ "${open:-0}" = 0 ] &&
			skip="vCPU 1 never found the batch open"
		if [ -n "$skip" ] && [ $ok_base = 1 ]; then
			echo "E2E: SKIP $2 $skip"
		elif [ $ok_base = 1 ] && [ "$astate" = finished ] &&
			[ "${rounds:-0}" -ge 1 ] &&
			said "$1" "survived: rounds $rounds, batch open when vCPU 1 looked $open, L3 slot cleared after the close $open, restored $open, last error 0, entries ok $rounds, data read 1"; then
			echo "E2E: PASS $2 $rounds rounds, $open with vCPU 0's" \
				"batch open: vCPU 1 dropped the L2 from the L3" \
				"as soon as the close hooked the L1 back, and" \
				"restored it; entries right (flush.explicit" \
				"$(stat flush.explicit)); $base"
		else
			echo "E2E: FAIL $2 rounds '$rounds', open '$open'; $base"
		fi
		;;
	smp-alias-after-close)
		said "$1" 'survived: batch opened 1, vCPU 1 wrote through the alias while open 1 (trapped 0)' ||
			skip=${skip:-"vCPU 1 did not write through the alias of an open batch"}
		if [ -n "$skip" ] && [ $ok_base = 1 ]; then
			echo "E2E: SKIP $2 $skip"
		elif [ $ok_base = 1 ] && [ "$astate" = finished ] &&
			said "$1" 'survived: .*closed 1, its entry kept 1; store after the close trapped 1, entry unchanged 1'; then
			echo "E2E: PASS $2 vCPU 1's store through the alias" \
				"landed while the batch was open and was kept;" \
				"after the close its store trapped and was" \
				"refused; $base"
		else
			echo "E2E: FAIL $2 $base"
		fi
		;;
	smp-iret-unhooked | smp-iret-unhooked-alias | smp-bounce-unhooked)
		# Xen's own access to a stack behind the unhooked PDE: the
		# batch closed by that access (flush.fault) in at least one
		# of the rounds (vCPU 0 may be descheduled first in others),
		# every access done, the domain alive.
		int3=0
		[ "$1" = smp-bounce-unhooked ] && int3=10
		survived=$(sed -n "s/^PVGUEST: ATTACK $1 survived: //p" \
			"$console" | head -n 1)
		xfault=$(stat flush.fault)
		[ -z "$skip" ] && [ -n "$survived" ] &&
			[ "${xfault:-0}" = 0 ] &&
			skip="no round's access met the batch still open (flush.desched $(stat flush.desched))"
		if [ -n "$skip" ] && [ $ok_base = 1 ]; then
			echo "E2E: SKIP $2 $skip"
		elif [ $ok_base = 1 ] && [ "$astate" = finished ] &&
			said "$1" "survived: rounds 10, batch open before the access [0-9]*, vCPU 1 returned 10, batch closed by then 10, int3 handled $int3, entry ok 1"; then
			echo "E2E: PASS $2 $survived (flush.fault $xfault:" \
				"closed by Xen's own access); $base"
		else
			echo "E2E: FAIL $2 state $astate, guest" \
				"'${survived:-no survived line}'; $base"
		fi
		;;
	smp-optin-race)
		survived=$(sed -n "s/^PVGUEST: ATTACK $1 survived: //p" \
			"$console" | head -n 1)
		if [ -n "$skip" ] && [ $ok_base = 1 ]; then
			echo "E2E: SKIP $2 $skip"
		elif [ $ok_base = 1 ] && [ "$astate" = finished ] &&
			[ -n "$survived" ] && [ "$consent" = "emulate 0" ]; then
			echo "E2E: PASS $2 $survived; then mode and opted_in" \
				"'$consent'; $base"
		else
			echo "E2E: FAIL $2 guest '${survived:-no survived line}'," \
				"mode and opted_in '$consent' (want 'emulate 0');" \
				"$base"
		fi
		;;
	esac
}
