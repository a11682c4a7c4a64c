#!/bin/sh
# Boot the ptswitch guest kernel and Debian's stock kernel side by side as
# PV guests in the e2e lab (Xen under QEMU TCG, tests/e2e), and check what
# each declares and what ptswitch-agent makes of it (lab/dom0-checks.sh).
#
#   boot-test.sh [--xen XEN_GZ] [--expect stock|patched] [--kernel DIR]
#                [--build DIR] [--no-build] [--timeout SECS] [--log FILE]
#
# --xen      hypervisor (default Debian's /boot/xen-4.17-amd64.gz: it
#            refuses the opt-in, so the patched guest must report
#            vm-assist-off); hv-patches/build-xen.sh OUTDIR/xen.gz accepts
#            it (patch 0003), and the patched guest must report capable
# --expect   what to expect (default: stock for a file under /boot)
# --kernel   a build-kernel.sh OUTDIR (default: run build-kernel.sh, cached)
# --build    build dir for the agent and pt-domctl (default build/kguest)
# --no-build use the binaries already in the build dir
# --timeout  seconds before QEMU is killed (default 1500)
# --log      console log (default BUILD/console-<stock|patched>.log)
#
# Exits 0 only if every check passed and dom0 reached the end.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
E2E=$TOP/tests/e2e
# shellcheck source=../../tests/e2e/lib.sh
. "$E2E/lib.sh"

xen=/boot/xen-4.17-amd64.gz
flavour=
kdir=
build=$TOP/build/kguest
do_build=1
timeout_s=1500
log=
while [ $# -gt 0 ]; do
	case $1 in
	--xen) xen=$2; shift 2 ;;
	--expect) flavour=$2; shift 2 ;;
	--kernel) kdir=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--no-build) do_build=0; shift ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	-h | --help) sed -n '2,20p' "$0"; exit 0 ;;
	*) e2e_die "unknown argument $1 (see --help)" ;;
	esac
done

t_start=$(date +%s)
work=$(mktemp -d)
qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -r "$xen" ] || e2e_die "no hypervisor at $xen"
if [ -z "$flavour" ]; then
	case $(realpath "$xen") in
	/boot/xen-*) flavour=stock ;;
	*) flavour=patched ;;
	esac
fi
case $flavour in
stock | patched) ;;
*) e2e_die "--expect takes stock or patched" ;;
esac
[ -n "$log" ] || log=$build/console-$flavour.log
mkdir -p "$build" "$(dirname "$log")"

"$TOP/scripts/install-deps.sh"
"$E2E/install-deps.sh"

if [ -z "$kdir" ]; then
	kdir=$work/kernel
	"$HERE/build-kernel.sh" "$kdir"
fi
[ -s "$kdir/vmlinux" ] || e2e_die "no vmlinux in $kdir"

if [ "$do_build" = 1 ]; then
	make -C "$TOP" -s BUILD="$build" all tools >&2
fi
agent=$build/ptswitch-agent
[ -x "$agent" ] || e2e_die "no $agent"
domctl=
[ -x "$build/pt-domctl" ] && domctl=$build/pt-domctl

# Debian's kernel (dom0, and the stock guest), as the lab fetches it.
cache=${PTSWITCH_CACHE:-/var/cache/ptswitch}/e2e
if ! mkdir -p "$cache" 2>/dev/null || [ ! -w "$cache" ]; then
	cache=$work/cache
	mkdir -p "$cache"
fi
e2e_kernel_tree "$cache"
for vmlinuz in "$ktree"/boot/vmlinuz-*; do break; done
[ -r "$vmlinuz" ] || e2e_die "no kernel in $ktree/boot"
stock_elf=$ktree/vmlinux
if [ ! -s "$stock_elf" ] && ! e2e_extract_vmlinux "$vmlinuz" "$stock_elf"
then
	stock_elf=$vmlinuz
fi

if gzip -t "$xen" 2>/dev/null; then
	gzip -dc "$xen" >"$work/xen.elf"
else
	cp "$xen" "$work/xen.elf"
fi

# Guest image: the lab's, with our /init appended over its own.
e2e_log "building the images"
"$E2E/mkinitrd-guest.sh" --out "$work/lab-guest.cpio.gz" --agent "$agent"
mkdir -p "$work/goverlay"
install -m 0755 "$HERE/lab/guest-init" "$work/goverlay/init"
e2e_pack "$work/goverlay" "$work/goverlay.cpio.gz" /bin/busybox
# One gzip member: libxenguest cannot unpack concatenated ones.
{
	gzip -dc "$work/lab-guest.cpio.gz"
	gzip -dc "$work/goverlay.cpio.gz"
} | gzip -9n >"$work/guest.cpio.gz"

# dom0 image: the lab's (its guest kernel is the stock one), with our
# checks and the patched kernel appended.
"$E2E/mkinitrd-dom0.sh" --out "$work/lab-dom0.cpio.gz" --kernel-tree "$ktree" \
	--guest-initrd "$work/guest.cpio.gz" --guest-kernel "$stock_elf" \
	${domctl:+--domctl "$domctl"} >&2
mkdir -p "$work/doverlay/e2e/kguest"
install -m 0755 "$HERE/lab/dom0-checks.sh" "$work/doverlay/e2e/checks.sh"
cp "$kdir/vmlinux" "$work/doverlay/e2e/kguest/vmlinux"
e2e_pack "$work/doverlay" "$work/doverlay.cpio.gz" /bin/busybox
cat "$work/lab-dom0.cpio.gz" "$work/doverlay.cpio.gz" >"$work/dom0.cpio.gz"

dom0_cmdline="console=hvc0 earlyprintk=xen rdinit=/init e2e.xen=$flavour"

t_boot=$(date +%s)
e2e_log "booting $xen ($flavour) under QEMU (TCG), console log: $log"
e2e_boot "$work/xen.elf" "$vmlinuz" "$dom0_cmdline" "$work/dom0.cpio.gz" \
	"$log" "$timeout_s"
t_end=$(date +%s)

strip() { sed 's/^\[ *[0-9.]*\] //' "$log"; }
strip | grep -a '^E2E: \(PASS\|FAIL\|SKIP\|INFO\|CONSOLE\)' || true
e2e_log "boot+checks $((t_end - t_boot)) s, total $((t_end - t_start)) s"

nfail=$(strip | grep -ac '^E2E: FAIL ' || true)
npass=$(strip | grep -ac '^E2E: PASS ' || true)
if ! strip | grep -aq '^E2E: DONE'; then
	nfail=$((nfail + 1))
	echo "E2E: FAIL run dom0 never reached the end; last console lines:"
	tail -n 40 "$log"
fi
e2e_log "$npass passed, $nfail failed"
[ "$nfail" = 0 ] && [ "$npass" -gt 0 ]
