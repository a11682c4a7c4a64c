#!/bin/sh
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
xen=stock
# shellcheck disable=SC2013 # the command line is one line of words
for arg in $(cat /proc/cmdline); do
	case $arg in
	pvguest.repeats=*) repeats=${arg#*=} ;;
	pvguest.timeout=*) timeout_s=${arg#*=} ;;
	pvguest.smp=*) smp=${arg#*=} ;;
	e2e.xen=*) xen=${arg#*=} ;;
	esac
done

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
	xenstore-write "/local/domain/$1/ptswitch/pvguest-batch" "$verdict"
	echo "E2E: INFO $2 BATCH request answered: $verdict"
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
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		echo "E2E: PASS $1-counter-matches emulated_writes=$got"
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

# run_guest NAME VCPUS EXTRA-ARGS
run_guest() {
	name=$1
	console=$CONSOLE_DIR/guest-$name.log
	cat >"/tmp/$name.cfg" <<CFG
name = "$name"
type = "pv"
kernel = "/e2e/pvguest/pvguest.elf"
memory = 32
vcpus = $2
# rdtsc executed natively, not emulated by Xen.
tsc_mode = "native"
extra = "pvg.repeats=$repeats $3"
# Keep the domain after it stops, for the counters and the post-mortem.
on_poweroff = "preserve"
on_crash = "preserve"
CFG
	echo "E2E: TIME $name-create $(uptime_s)"
	if ! xl create -q "/tmp/$name.cfg"; then
		echo "E2E: FAIL $name-create xl create failed"
		return 0
	fi
	domid=$(xl domid "$name")
	echo "E2E: INFO $name domid $domid, $2 vCPU(s), on $xen Xen"

	answered=0
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
	# The guest's own verdicts (EMULATE controls, safety tests), in the
	# lab's format, named after the guest.
	sed -n "s/^PVGUEST: \(PASS\|FAIL\|SKIP\) /E2E: \1 $name:/p" "$console"
	xl destroy "$name" >/dev/null 2>&1
}

run_guest pvguest 1 ""
[ "$smp" = 1 ] && run_guest pvguest-smp 2 "pvg.smp=1"
exit 0
