#!/bin/sh
# Runs in the e2e dom0 (as the lab's checks): boot the pvguest kernel with
# `xl create`, answer its BATCH question, cross-check the hypervisor's
# counters when the patched domctl is there, and copy its console lines to
# dom0's console, where ../run.sh reads them.  Lines: "E2E: PASS|FAIL|SKIP
# name ..." (the lab's format) and the guest's own "PVGUEST: ..." lines.
export PATH=/usr/sbin:/usr/bin

CONSOLE=/var/log/xen/console/guest-pvguest.log
repeats=15
timeout_s=900
xen=stock
# shellcheck disable=SC2013 # the command line is one line of words
for arg in $(cat /proc/cmdline); do
	case $arg in
	pvguest.repeats=*) repeats=${arg#*=} ;;
	pvguest.timeout=*) timeout_s=${arg#*=} ;;
	e2e.xen=*) xen=${arg#*=} ;;
	esac
done

has_domctl=0
[ -x /usr/sbin/pt-domctl ] && has_domctl=1
uptime_s() { cut -d' ' -f1 /proc/uptime; }
seen() { grep -q "$1" "$CONSOLE" 2>/dev/null; }

cat >/tmp/pvguest.cfg <<CFG
name = "pvguest"
type = "pv"
kernel = "/e2e/pvguest/pvguest.elf"
memory = 32
vcpus = 1
# rdtsc executed natively, not emulated by Xen.
tsc_mode = "native"
extra = "pvg.repeats=$repeats"
# Keep the domain after it stops, for the counters and the post-mortem.
on_poweroff = "preserve"
on_crash = "preserve"
CFG

echo "E2E: TIME pvguest-create $(uptime_s)"
if ! xl create -q /tmp/pvguest.cfg; then
	echo "E2E: FAIL pvguest-create xl create failed"
	exit 0
fi
domid=$(xl domid pvguest)
echo "E2E: INFO pvguest domid $domid on $xen Xen"

# The guest asks for BATCH by enabling the vm-assist; dom0 answers in
# ptswitch/pvguest-batch ("applied" or why not).  The guest waits for it.
answer_batch() {
	if [ $has_domctl = 0 ]; then
		verdict="refused: no pt-domctl in dom0"
	elif out=$(pt-domctl set-mode "$domid" batch 2>/dev/null); then
		verdict=applied
	else
		# pt-domctl prints the hypervisor's errno as "error NAME".
		verdict="refused: set-mode batch: $(echo "$out" | head -n 1)"
	fi
	xenstore-write "/local/domain/$domid/ptswitch/pvguest-batch" \
		"$verdict"
	echo "E2E: INFO pvguest BATCH request answered: $verdict"
}

answered=0
waited=0
state=timeout
while [ $waited -lt "$timeout_s" ]; do
	if [ $answered = 0 ] && seen 'PVGUEST: OPTIN .* rc=0$'; then
		answer_batch
		answered=1
	fi
	if seen 'PVGUEST: DONE'; then
		state=finished
		break
	fi
	if seen 'PVGUEST: FATAL'; then
		state=fatal
		break
	fi
	xl domid pvguest >/dev/null 2>&1 || { state=vanished; break; }
	sleep 1
	waited=$((waited + 1))
done
echo "E2E: TIME pvguest-end $(uptime_s)"
# Let xenconsoled write out the last lines.
sleep 2

grep -a '^PVGUEST: ' "$CONSOLE" 2>/dev/null

if seen 'PVGUEST: START'; then
	echo "E2E: PASS pvguest-boot"
else
	echo "E2E: FAIL pvguest-boot no START line on the guest console"
fi
case $state in
finished) echo "E2E: PASS pvguest-bench" ;;
*)
	echo "E2E: FAIL pvguest-bench guest ended as '$state'"
	xl list 2>&1 | sed 's/^/E2E: INFO xl list: /'
	xl dmesg 2>&1 | tail -n 30 | sed 's/^/E2E: INFO xl dmesg: /'
	;;
esac

# The hypervisor's own count of emulated writes must match the guest's.
if [ $has_domctl = 1 ] && [ "$xen" = patched ]; then
	want=$(sed -n 's/^PVGUEST: INFO emulated_writes=\([0-9]*\).*/\1/p' \
		"$CONSOLE")
	got=$(pt-domctl get-stats "$domid" 2>&1 |
		awk '$1 == "emulated_writes" { print $2 }')
	pt-domctl get-stats "$domid" 2>&1 | sed 's/^/E2E: INFO stats: /'
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		echo "E2E: PASS pvguest-counter-matches emulated_writes=$got"
	else
		echo "E2E: FAIL pvguest-counter-matches hypervisor" \
			"'$got', guest '$want'"
	fi
	# The run-length histogram: the guest ends each timed run with a
	# hypercall, where the patched Xen ends its run (a deschedule in the
	# middle of a run would split it and show here as a mismatch).
	want=$(sed -n 's/^PVGUEST: INFO emul_runs=\([0-9,]*\).*/\1/p' \
		"$CONSOLE")
	got=$(pt-domctl get-stats "$domid" 2>&1 |
		awk '$1 ~ /^emul_runs\./ { printf "%s%s", sep, $2; sep = "," }')
	if [ -n "$want" ] && [ "$got" = "$want" ]; then
		echo "E2E: PASS pvguest-run-histogram-matches emul_runs=$got"
	else
		echo "E2E: FAIL pvguest-run-histogram-matches hypervisor" \
			"'$got', guest '$want'"
	fi
else
	for check in counter-matches run-histogram-matches; do
		echo "E2E: SKIP pvguest-$check needs the patched Xen and" \
			"pt-domctl (this is $xen Xen)"
	done
fi
# The guest's own verdicts (EMULATE controls, safety tests), in the lab's
# format.
sed -n 's/^PVGUEST: \(PASS\|FAIL\|SKIP\) /E2E: \1 /p' "$CONSOLE"
xl destroy pvguest >/dev/null 2>&1
exit 0
