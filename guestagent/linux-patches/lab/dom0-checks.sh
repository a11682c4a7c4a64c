#!/bin/sh
# SPDX-License-Identifier: MIT
# Boot test of the ptswitch guest kernel, run by the e2e lab's dom0/init in
# place of the lab's checks.sh (boot-test.sh overlays it).  Boots the
# patched kernel (/e2e/kguest/vmlinux) and Debian's stock kernel
# (/e2e/guest-kernel) as PV guests with the same image and compares what
# they report.  One line per check: E2E: PASS|FAIL|SKIP <name> [why].
export PATH=/usr/sbin:/usr/bin

CONSOLE_DIR=/var/log/xen/console
BOOT_TIMEOUT=600

xen=stock
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	e2e.xen=*) xen=${arg#e2e.xen=} ;;
	esac
done

# shellcheck source=../../../tests/e2e/dom0/checklib.sh
. /e2e/checklib.sh
console() { cat "$CONSOLE_DIR/guest-$1.log" 2>/dev/null; }
# kg NAME KEY: the value of a "KGUEST: KEY..." line of guest NAME.
kg() { console "$1" | tr -d '\r' | sed -n "s/^KGUEST: $2//p" | head -n 1; }

# create_guest NAME KERNEL
create_guest() {
	cat >"/tmp/$1.cfg" <<CFG
name = "$1"
type = "pv"
kernel = "$2"
ramdisk = "/e2e/guest.cpio.gz"
extra = "console=hvc0 rdinit=/init"
memory = 160
vcpus = 1
on_crash = "preserve"
CFG
	xl create -q "/tmp/$1.cfg"
}

echo "E2E: TIME kguest-create $(uptime_s)"
create_guest kpatched /e2e/kguest/vmlinux
create_guest kstock /e2e/guest-kernel
p=$(xl domid kpatched 2>/dev/null)
s=$(xl domid kstock 2>/dev/null)
if [ -z "$p" ] || [ -z "$s" ]; then
	fail guests-created "xl create: kpatched=${p:-failed} kstock=${s:-failed}"
	exit 0
fi
done_both() {
	console kpatched | grep -q 'KGUEST: DONE' &&
		console kstock | grep -q 'KGUEST: DONE'
}
wait_until $BOOT_TIMEOUT done_both
echo "E2E: TIME kguest-done $(uptime_s)"
# Let the agents publish to xenstore (interval 2 s).
sleep 6
check_guest_packaged agent-packaged "$CONSOLE_DIR/guest-kpatched.log" "$p"

for g in kpatched kstock; do
	echo "E2E: INFO ---- console of $g ----"
	console "$g" | tr -d '\r' | sed "s/^/E2E: CONSOLE $g: /"
done
xl list | sed 's/^/E2E: INFO xl: /'

# The patched kernel boots, runs the agent and survives the fork loop.
if console kpatched | grep -q 'KGUEST: DONE'; then
	pass patched-boots
else
	fail patched-boots "no KGUEST: DONE on its console"
fi
if console kpatched | grep -q 'BUG:\|Oops\|Kernel panic\|WARNING:'; then
	fail patched-no-oops "see its console"
else
	pass patched-no-oops
fi
if [ "$(kg kpatched 'forks=100 bad=')" = 0 ]; then
	pass patched-fork-loop
else
	fail patched-fork-loop "$(kg kpatched 'forks=')"
fi

# What each kernel declares and what the agent concludes.
note=$(kg kpatched 'once ptswitch-note: ')
if [ "$note" = present ]; then
	pass patched-note
else
	fail patched-note "ptswitch-note: '$note'"
fi
xsr() { xenstore-read "/local/domain/$1/data/ptswitch/$2" 2>/dev/null; }
pcaps_xs=$(xsr "$p" caps)
preason_xs=$(xsr "$p" caps-reason)
scaps_xs=$(xsr "$s" caps)
sreason_xs=$(xsr "$s" caps-reason)
echo "E2E: INFO kpatched xenstore caps='$pcaps_xs' caps-reason='$preason_xs'"
echo "E2E: INFO kstock xenstore caps='$scaps_xs' caps-reason='$sreason_xs'"

# The kernel's own account of the opt-in (pt-batch.c).
dm() { console kpatched | grep -c "KGUEST: dmesg .*$1"; }
if [ "$(dm 'self-check failed')" = 0 ]; then
	pass patched-self-check
else
	fail patched-self-check "$(kg kpatched 'dmesg .*self-check')"
fi
case $xen in
stock) want='not offered by Xen (-38)' ;;
*) want='opt-in accepted (self-check passed)' ;;
esac
if [ "$(dm "$want")" = 1 ]; then
	pass patched-opt-in-logged
else
	fail patched-opt-in-logged "no '$want' in its dmesg"
fi

# The series' KUnit suite (0008) ran at boot: the cases for this boot's
# opt-in state passed, the others were skipped.
if grep -qx 'CONFIG_XEN_PT_BATCH_KUNIT_TEST=y' /e2e/kguest/config 2>/dev/null; then
	case $xen in
	stock) set -- unhooked_pmd_without_opt_in ;;
	*) set -- unhooked_pmd_is_a_table unhooked_pmd_names_its_table \
		unhooked_pmd_is_not_cleared unhooked_pmd_maps_its_table \
		unhooked_pmd_same_as_hooked ;;
	esac
	check_kunit kunit-pmd-helpers "$CONSOLE_DIR/guest-kpatched.log" \
		xen_pt_batch_pmd self_check_did_not_fail hooked_pmd_is_a_table \
		lookalikes_keep_stock_answers "$@"
else
	skip kunit-pmd-helpers "the guest kernel was built without the suite"
fi

pbatch=$(kg kpatched 'once batch: ')
passist=$(kg kpatched 'sysfs vm_assist=')

# The kernel's list of what is in force (0009), read raw from its sysfs by
# the guest's /init: nothing where Xen does not batch, however much the
# note declares.
kguest_lists 0009-x86-xen-say-in-sysfs
case $? in
0)
	case $xen in
	stock) want= ;;
	*) want='missing-pde spurious-fault lazy-flush' ;;
	esac
	if console kpatched | tr -d '\r' | grep -qx "KGUEST: sysfs caps=$want"; then
		pass patched-caps-in-force "'$want'"
	else
		fail patched-caps-in-force "the kernel says" \
			"'$(kg kpatched 'sysfs caps=')', expected '$want'"
	fi
	;;
1) skip patched-caps-in-force "the guest kernel has no sysfs caps" ;;
*) fail patched-caps-in-force "no build-info for the guest kernel" ;;
esac
case $xen in
stock)
	# Xen rejects the unknown VM assist: the kernel behaves as stock.
	if [ "$passist" = 0 ] && [ "$pbatch" = "no (vm-assist-off)" ] &&
		[ "$preason_xs" = vm-assist-off ]; then
		pass patched-on-stock-xen-vm-assist-off
	else
		fail patched-on-stock-xen-vm-assist-off "vm_assist=$passist" \
			"batch: $pbatch, xenstore reason '$preason_xs'"
	fi
	;;
*)
	if [ "$passist" = 1 ] && [ "$pbatch" = yes ] &&
		[ -z "$preason_xs" ] &&
		[ "$pcaps_xs" = "missing-pde spurious-fault lazy-flush" ]; then
		pass patched-capable
	else
		fail patched-capable "vm_assist=$passist batch: $pbatch" \
			"xenstore caps '$pcaps_xs' reason '$preason_xs'"
	fi
	if [ -x /usr/sbin/pt-domctl ]; then
		pt-domctl get-stats "$p" | sed 's/^/E2E: INFO kpatched hv: /'
		pt-domctl get-stats "$s" | sed 's/^/E2E: INFO kstock hv: /'
		opted() {
			pt-domctl get-stats "$1" |
				awk '$1 == "opted_in" { print $2 }'
		}
		pin=$(opted "$p")
		sin=$(opted "$s")
		if [ "$pin" = 1 ] && [ "$sin" = 0 ]; then
			pass hv-sees-opt-in
		else
			fail hv-sees-opt-in "opted_in patched=$pin stock=$sin"
		fi
	else
		skip hv-sees-opt-in "no pt-domctl in the image"
	fi
	;;
esac
# The same fork work again, with the patched guest in BATCH where the
# hypervisor offers it (hv-patches 0005).  Counters from Xen say whether
# batches were really used.
done_work() {
	xenstore-read "/local/domain/$1/data/e2e/work" >/dev/null 2>&1
}
work() {
	cmd=/local/domain/$1/e2e/command
	xenstore-write "$cmd" work && xenstore-chmod "$cmd" n0 "r$1"
	wait_until $BOOT_TIMEOUT done_work "$1"
	xenstore-read "/local/domain/$1/data/e2e/work" 2>/dev/null
}
if [ "$xen" != stock ] && [ -x /usr/sbin/pt-domctl ]; then
	mode=$(pt-domctl set-mode "$p" batch 2>&1)
	echo "E2E: INFO kpatched set-mode batch: $mode"
	if [ "$mode" = batch ]; then
		b0=$(stat_of "$p" batches)
		echo "E2E: TIME kpatched-work-start $(uptime_s)"
		res=$(work "$p")
		echo "E2E: TIME kpatched-work-end $(uptime_s)"
		echo "E2E: INFO kpatched work in BATCH: forks/bad '$res'"
		pt-domctl get-stats "$p" |
			grep -E '^(mode|batch|flush|spurious|unhook|revalid|emulated)' |
			sed 's/^/E2E: INFO kpatched hv after work: /'
		b1=$(stat_of "$p" batches)
		ex=$(stat_of "$p" flush.explicit)
		rf=$(stat_of "$p" revalidation_failures)
		if [ "$res" = "200 0" ] && [ "${b1:-0}" -gt "${b0:-0}" ] &&
			[ "$rf" = 0 ]; then
			pass patched-batch-work
		else
			fail patched-batch-work "forks/bad '$res'," \
				"batches $b0 -> $b1, revalidation_failures $rf"
		fi
		if [ "${ex:-0}" -gt 0 ]; then
			pass patched-lazy-flush-explicit
		else
			fail patched-lazy-flush-explicit "flush.explicit '$ex'"
		fi
		back=$(pt-domctl set-mode "$p" emulate 2>&1)
		echo "E2E: INFO kpatched set-mode emulate: $back"
		if xl list kpatched >/dev/null 2>&1 &&
			! console kpatched |
				grep -q 'BUG:\|Oops\|Kernel panic\|WARNING:'
		then
			pass patched-alive-after-batch
		else
			fail patched-alive-after-batch "see its console"
			console kpatched | tr -d '\r' | tail -n 40 |
				sed 's/^/E2E: CONSOLE kpatched (after): /'
		fi
	else
		skip patched-batch-work "set-mode batch refused: $mode"
	fi
fi

# Xen itself keeps the stock kernel out of BATCH (no opt-in).
if [ "$xen" != stock ] && [ -x /usr/sbin/pt-domctl ]; then
	out=$(pt-domctl set-mode "$s" batch 2>&1)
	if [ "$(stat_of "$s" mode)" = emulate ] &&
		echo "$out" | grep -q EPERM; then
		pass stock-batch-refused-by-xen
	else
		fail stock-batch-refused-by-xen "set-mode batch: '$out'," \
			"mode $(stat_of "$s" mode)"
	fi
fi

sbatch=$(kg kstock 'once batch: ')
if [ "$sbatch" = "no (kernel-lacks-ptswitch-note)" ] &&
	[ "$sreason_xs" = kernel-lacks-ptswitch-note ]; then
	pass stock-kernel-lacks-note
else
	fail stock-kernel-lacks-note "batch: $sbatch, xenstore '$sreason_xs'"
fi
