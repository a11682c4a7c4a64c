#!/bin/sh
# SPDX-License-Identifier: MIT
# The packaged guest kernel end-to-end (kdeb-e2e.sh), run by the e2e
# lab's dom0/init in place of its checks.  One two-vCPU PV guest, kdeb,
# boots /e2e/kguest/vmlinuz: the /boot/vmlinuz-<krel> that dpkg installed
# from the linux-image package into the guest image, whose /lib/modules
# the guest loads its Xen frontends from (lab/guest-kdeb.sh).  Then:
#   1. the kernel is the package's (uname -r, dpkg's status and md5sum),
#      its modules load, and the series is active (sysfs vm_assist, the
#      ELF note, the agent's probe: capable and opted in);
#   2. forkbench in EMULATE, before ptswitchd starts;
#   3. ptswitchd (/e2e/fork-policy.yaml, nothing pinned) must put the
#      guest in BATCH from the counters while forkbench runs as load;
#      forkbench again in BATCH;
#   3b. `ptswitchctl pin kdeb batch`, then mmstress (tests/mmstress) for
#      e2e.mm seconds on both vCPUs: swap on a zram disk under a memory
#      cgroup's pressure, KSM, userfaultfd, the /proc readers, madvise,
#      mremap, mprotect and fork, all of which Debian's config has and
#      must run; checksums intact, BATCH at every sample, no kernel
#      warning;
#   4. `ptswitchctl pin kdeb emulate` must bring it back to EMULATE;
#      forkbench once more;
#   5. the 8 MiB the guest wrote at boot has its boot checksum, the load
#      runs found their memory intact, and the kernel log has no WARN,
#      BUG, oops or bad page.
# Command line: e2e.kdeb.krel=<uname -r expected>,
# e2e.kdeb.pkg=<package>, e2e.kdeb.modules=<mod:mod>, e2e.fb.* as for
# dom0-fork.sh.
export PATH=/usr/sbin:/usr/bin

POLICY=/e2e/fork-policy.yaml
BOOT_TIMEOUT=900
SWITCH_TIMEOUT=600
KERNEL=/e2e/kguest/vmlinuz

xen=stock
mib=32 forks=10 load=4 bench_timeout=3600 mm_s=0
krel='' pkg='' mods=''
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in
	e2e.xen=*) xen=${arg#e2e.xen=} ;;
	e2e.fb.mib=*) mib=${arg#e2e.fb.mib=} ;;
	e2e.fb.forks=*) forks=${arg#e2e.fb.forks=} ;;
	e2e.fb.load=*) load=${arg#e2e.fb.load=} ;;
	e2e.kdeb.krel=*) krel=${arg#e2e.kdeb.krel=} ;;
	e2e.kdeb.pkg=*) pkg=${arg#e2e.kdeb.pkg=} ;;
	e2e.kdeb.modules=*) mods=${arg#e2e.kdeb.modules=} ;;
	e2e.mm=*) mm_s=${arg#e2e.mm=} ;;
	esac
done

# shellcheck source=../../../tests/e2e/dom0/checklib.sh
. /e2e/checklib.sh
# shellcheck source=dom0-forklib.sh
. /e2e/forklib.sh

lab_preflight kdeb-e2e || exit 0

# The guest's image is big (the package's modules): room for it
# unpacked, beside forkbench's parent, and for mmstress's zram swap disk
# (48 MiB of data that does not compress) with its working set.
img_mib=$(($(stat -c %s /e2e/guest.cpio.gz) * 4 / 1048576))
mm_mib=0
[ "$mm_s" = 0 ] || mm_mib=80
echo "E2E: TIME kdeb-create $(uptime_s)"
info "kdeb: kernel $krel from $pkg, forkbench ${mib} MiB x $forks" \
	"forks, load runs of $load; image ${img_mib} MiB unpacked (about)"
create_guest kdeb "$KERNEL" $((mib + 160 + img_mib + mm_mib)) 2 \
	"fb.mib=$mib fb.forks=$forks fb.load=$load kdeb.pkg=$pkg kdeb.modules=$mods"
g=$(xl domid kdeb 2>/dev/null)
if [ -z "$g" ]; then
	fail kdeb-guest-created "xl create failed"
	xl list | sed 's/^/E2E: INFO xl: /'
	exit 0
fi
if wait_until $BOOT_TIMEOUT ready "$g"; then
	pass kdeb-guest-ready
else
	fail kdeb-guest-ready \
		"ready='$(xs "/local/domain/$g/data/e2e/ready")'"
	console kdeb | tail -n 40 | sed 's/^/E2E: INFO kdeb console: /'
	exit 0
fi
echo "E2E: TIME kdeb-ready $(uptime_s)"
console kdeb | grep '^KGUEST: \(kernel\|kdeb\|sysfs\|once\)' |
	sed 's/^/E2E: INFO /'

# --- 1. the package's kernel, with the series active -------------------
running=$(console kdeb | sed -n 's/^KGUEST: kernel \([^ ]*\) .*/\1/p' |
	head -n 1)
line=$(console kdeb | grep '^KGUEST: kdeb package ' | head -n 1)
want_md5=$(md5sum <"$KERNEL" | cut -d' ' -f1)
if [ "$running" = "$krel" ] &&
	echo "$line" | grep -q "status='install ok installed'" &&
	echo "$line" | grep -q " vmlinuz-md5=$want_md5 modules-dir=yes"; then
	pass kdeb-kernel-is-the-package
else
	fail kdeb-kernel-is-the-package "uname -r '$running' (want '$krel')," \
		"'$line', xl booted md5 $want_md5"
fi
nmods=0 nloaded=0
for m in $(echo "$mods" | tr : ' '); do
	nmods=$((nmods + 1))
	console kdeb | grep -q "^KGUEST: kdeb modules $m loaded" &&
		nloaded=$((nloaded + 1))
done
if [ "$nmods" -gt 0 ] && [ "$nloaded" = "$nmods" ]; then
	pass kdeb-modules-load
else
	fail kdeb-modules-load "$nloaded of $nmods modules loaded ($mods)"
fi
sysfs=$(console kdeb | sed -n 's/^KGUEST: sysfs vm_assist=//p' | head -n 1)
note=$(console kdeb | sed -n 's/^KGUEST: kdeb note ptswitch //p' |
	head -n 1)
caps=$(xs "/local/domain/$g/data/ptswitch/caps")
if [ "$sysfs" = 1 ] && [ "$note" = present ] &&
	[ "$caps" = "missing-pde spurious-fault lazy-flush" ] &&
	[ "$(stat_of "$g" opted_in)" = 1 ]; then
	pass kdeb-series-active
else
	fail kdeb-series-active "sysfs vm_assist '$sysfs', note '$note'," \
		"agent caps '$caps', opted_in $(stat_of "$g" opted_in)"
	# No switch will come: the BATCH checks below fail after 30 s.
	SWITCH_TIMEOUT=30
fi
check_guest_packaged kdeb-agent-packaged "$CONSOLE_DIR/guest-kdeb.log" "$g"

command "$g" "1 sum"
wait_until 120 result_is "$g" 1
sum0=$(result_of "$g")

# --- 2. EMULATE, no daemon ---------------------------------------------
m0=$(hv_mode "$g")
res2=$(bench "$g" 2 emulate)
info "kdeb EMULATE: $res2"
if [ "$m0" = emulate ] && [ "$(hv_mode "$g")" = emulate ] &&
	[ "$(fb result "$res2")" = ok ]; then
	pass kdeb-emulate-bench
else
	fail kdeb-emulate-bench "mode $m0 -> $(hv_mode "$g"), '$res2'"
fi

# --- 3. the daemon puts it in BATCH --------------------------------------
ptswitchd --foreground --verbose --config "$POLICY" >"$DAEMON_LOG" 2>&1 &
daemon_pid=$!
command "$g" "3 load"
echo "E2E: TIME daemon-start $(uptime_s)"
in_mode() {
	[ "$(xs "/tool/ptswitch/domain/$g/mode")" = "$1" ] &&
		[ "$(hv_mode "$g")" = "$1" ]
}
if wait_until $SWITCH_TIMEOUT in_mode batch; then
	echo "E2E: TIME switched-batch $(uptime_s)"
	pass kdeb-daemon-switches-to-batch
else
	fail kdeb-daemon-switches-to-batch "after ${SWITCH_TIMEOUT}s:" \
		"daemon mode '$(xs "/tool/ptswitch/domain/$g/mode")'" \
		"reason '$(xs "/tool/ptswitch/domain/$g/reason")', hv" \
		"$(hv_mode "$g")"
fi
b0=$(stat_of "$g" batches)
res4=$(bench "$g" 4 batch)
info "kdeb BATCH: $res4"
b1=$(stat_of "$g" batches)
rf=$(stat_of "$g" revalidation_failures)
if [ "$(hv_mode "$g")" = batch ] && [ "$(fb result "$res4")" = ok ] &&
	[ "${b1:-0}" -gt "${b0:-0}" ] && [ "$rf" = 0 ]; then
	pass kdeb-batch-bench
else
	fail kdeb-batch-bench "mode $(hv_mode "$g"), '$res4', batches" \
		"$b0 -> $b1, revalidation_failures '$rf'"
fi

# --- 3b. mmstress in BATCH, pinned ----------------------------------------
# Debian's config has every walker mmstress drives: each must run (a
# skipped one fails the check with mmstress's reason), with every
# checksum intact, Xen's mode BATCH at every sample, its batches counter
# grown and no kernel warning.  The pin keeps the daemon from taking it
# back to EMULATE on mmstress's own counters.
KDEB_MM_NEED="threads swap memcg-pressure ksm userfaultfd pagemap smaps"
KDEB_MM_NEED="$KDEB_MM_NEED clear_refs madv-cold madv-pageout madv-free"
KDEB_MM_NEED="$KDEB_MM_NEED madv-dontneed mremap-move mremap-grow mprotect fork"
mm_checks="kdeb-mm-intact kdeb-mm-held-batch kdeb-mm-features"
mm_checks="$mm_checks kdeb-mm-guest-clean"
if [ "$mm_s" = 0 ]; then
	for c in $mm_checks; do skip "$c" "not asked for (e2e.mm=0)"; done
else
	out=$(ptswitchctl pin kdeb batch 2>&1)
	info "ptswitchctl pin kdeb batch: $out"
	wait_until $SWITCH_TIMEOUT in_mode batch
	lines3=$(guest_trouble kdeb | wc -l)
	echo "E2E: TIME mmstress-start $(uptime_s)"
	mm_run "$g" 8 "$mm_s" kdeb-batch
	echo "E2E: TIME mmstress-end $(uptime_s)"
	info "kdeb mmstress: $mm_res"
	info "kdeb mmstress modes sampled: $mm_modes; Xen batches +$mm_batches"
	console kdeb | grep -a '^KGUEST: mm\(:\| 8 \)' |
		sed 's/^/E2E: INFO kdeb /'
	mm_features kdeb 8 | sed 's/^/E2E: INFO kdeb mmstress feature: /'
	if mm_intact "$mm_res"; then
		pass kdeb-mm-intact
	else
		fail kdeb-mm-intact "'$mm_res'"
	fi
	if [ $mm_all_batch = yes ] && [ "$mm_batches" -gt 0 ]; then
		pass kdeb-mm-held-batch "$mm_modes; batches +$mm_batches"
	else
		fail kdeb-mm-held-batch "modes '$mm_modes', batches +$mm_batches"
	fi
	# shellcheck disable=SC2086 # one word per feature
	missing=$(mm_not_run kdeb 8 $KDEB_MM_NEED)
	if [ -z "$missing" ]; then
		pass kdeb-mm-features "$KDEB_MM_NEED"
	else
		fail kdeb-mm-features "did not run: $missing ($(mm_features \
			kdeb 8 | grep ' SKIPPED \| FAILED ' | tr '\n' '|'))"
	fi
	nbad=$(guest_dmesg_bad "$g" 9)
	bad=$(guest_trouble kdeb | tail -n +$((lines3 + 1)))
	if [ "$nbad" = "dmesg 0" ] && [ -z "$bad" ]; then
		pass kdeb-mm-guest-clean
	else
		fail kdeb-mm-guest-clean "'$nbad'; $(echo "$bad" | head -n 3 |
			tr '\n' '|')"
		trouble_context kdeb
	fi
	echo "E2E: RESULT mmstress in BATCH: $mm_res"
fi

# --- 4. and back to EMULATE, as an operator would ------------------------
was=$(hv_mode "$g")
out=$(ptswitchctl pin kdeb emulate 2>&1)
info "ptswitchctl pin kdeb emulate: $out"
if [ "$was" = batch ] && wait_until $SWITCH_TIMEOUT in_mode emulate; then
	echo "E2E: TIME switched-emulate $(uptime_s)"
	pass kdeb-back-to-emulate
else
	fail kdeb-back-to-emulate "hv mode before the pin '$was', daemon mode" \
		"'$(xs "/tool/ptswitch/domain/$g/mode")', hv $(hv_mode "$g")"
fi
res5=$(bench "$g" 5 emulate-again)
info "kdeb EMULATE again: $res5"
if [ "$(hv_mode "$g")" = emulate ] && [ "$(fb result "$res5")" = ok ]; then
	pass kdeb-emulate-again-bench
else
	fail kdeb-emulate-again-bench "mode $(hv_mode "$g"), '$res5'"
fi
grep -E "kdeb|dom$g:" "$DAEMON_LOG" | grep -E 'switch|request|pin' |
	tail -n 20 | sed 's/^/E2E: INFO daemon: /'

# --- 5. memory and kernel log ------------------------------------------
lr=$(xs "/local/domain/$g/data/e2e/load")
info "load runs (seq runs failed): '$lr'"
case $lr in
"3 "*" 0") pass kdeb-load-runs-intact ;;
*) fail kdeb-load-runs-intact "'$lr'" ;;
esac
command "$g" "6 sum"
wait_until 120 result_is "$g" 6
sum1=$(result_of "$g")
if [ -n "$sum0" ] && [ "$sum0" = "$sum1" ] &&
	[ "${sum0#sum }" != "$sum0" ]; then
	pass kdeb-memory-checksum "$sum1"
else
	fail kdeb-memory-checksum "at boot '$sum0', at the end '$sum1'"
fi
command "$g" "7 dmesg"
wait_until 120 result_is "$g" 7
nbad=$(result_of "$g")
if [ "$nbad" = "dmesg 0" ] && ! guest_trouble kdeb >/dev/null; then
	pass kdeb-no-kernel-warnings
else
	fail kdeb-no-kernel-warnings "'$nbad'; $(guest_trouble kdeb |
		head -n 3 | tr '\n' '|')"
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
e_med=$(fb fork_us_median "$res2")
b_med=$(fb fork_us_median "$res4")
echo "E2E: RESULT emulate $res2"
echo "E2E: RESULT batch $res4"
echo "E2E: RESULT emulate-again $res5"
if [ -n "$e_med" ] && [ -n "$b_med" ] && [ "$b_med" -gt 0 ]; then
	echo "E2E: RESULT ratio emulate/batch fork median" \
		"$(awk -v e="$e_med" -v b="$b_med" 'BEGIN { printf "%.2f", e / b }')" \
		"($e_med us / $b_med us)"
fi
console kdeb | grep '^KGUEST:' | sed "s/^/E2E: CONSOLE kdeb: /"
