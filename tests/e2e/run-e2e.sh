#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end lab: boot Xen under QEMU (TCG) with a Debian dom0 running
# ptswitchd and PV guests running ptswitch-agent, each installed into its
# image from this tree's .debs with dpkg (lab-debs.sh: LAB_DEBS=DIR, or
# built once per tree), run the checks in dom0 (dom0/checks.sh) and
# report.  See tests/e2e/README.md.
#
#   run-e2e.sh [--patched | --xen XEN_GZ_OR_ELF] [--expect stock|patched]
#              [--no-build] [--build DIR] [--domctl BIN] [--timeout SECS]
#              [--log FILE]
#
# --patched  build the hypervisor with hv-patches/build-xen.sh (cached) and
#            boot that
# --xen      hypervisor to boot (default: Debian's stock
#            /boot/xen-4.17-amd64.gz, i.e. unpatched), e.g. the xen.gz that
#            hv-patches/build-xen.sh leaves in its OUTDIR
# --expect   what the checks expect of it (default: stock for a file under
#            /boot, patched otherwise)
# --no-build use the tools already in the build dir instead of `make`
# --domctl   the direct domctl CLI (default: BUILD/pt-domctl if present)
# --timeout  seconds before QEMU is killed (default 900)
#
# Exits 0 only if every check that ran passed and dom0 reached the end.
# Downloads (the kernel package) are cached under
# ${PTSWITCH_CACHE:-/var/cache/ptswitch}/e2e when that is writable.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"

xen=/boot/xen-4.17-amd64.gz
flavour=
build_xen=0
build=$TOP/build
do_build=1
domctl=
timeout_s=900
log=

while [ $# -gt 0 ]; do
	case $1 in
	--xen) xen=$2; shift 2 ;;
	--expect) flavour=$2; shift 2 ;;
	--no-build) do_build=0; shift ;;
	--build) build=$2; shift 2 ;;
	--domctl) domctl=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--patched) build_xen=1; shift ;;
	-h|--help) sed -n '2,23p' "$0"; exit 0 ;;
	*) e2e_die "unknown argument $1 (see --help)" ;;
	esac
done

t_start=$(date +%s)
e2e_workdir

"$TOP/scripts/install-deps.sh"
"$HERE/install-deps.sh"

if [ "$build_xen" = 1 ]; then
	e2e_log "building the patched hypervisor (hv-patches/build-xen.sh)"
	"$TOP/hv-patches/build-xen.sh" "$work/xen" >&2
	# The tools' copy of the ABI, and the series' numbers, against the
	# headers of the hypervisor we boot.
	"$TOP/hv-patches/check-abi.sh" "$work/xen" >&2 ||
		e2e_die "hv-patches/check-abi.sh failed (above)"
	xen=$work/xen/xen.gz
	[ -n "$flavour" ] || flavour=patched
fi
t_xen=$(date +%s)

# Which hypervisor: stock when it is Debian's file, else patched.  The
# dom0 checks use this to know what to expect.
flavour=$(e2e_flavour "$xen" "$flavour") || exit 1
[ -n "$log" ] || log=$build/e2e/console-$flavour.log
mkdir -p "$(dirname "$log")"

# A cache is an optimisation only: fall back to the private temp dir.
cache=$(e2e_cache_dir "$work")

if [ "$do_build" = 1 ]; then
	e2e_log "building the lab's tools (pt-domctl)"
	make -C "$TOP" -s BUILD="$build" tools >&2
fi
[ -z "$domctl" ] && [ -x "$build/pt-domctl" ] && domctl=$build/pt-domctl
# ptswitchd and the agent: their packages, installed into the images.
debs=$("$HERE/lab-debs.sh")
version=$(dpkg-parsechangelog -l "$TOP/debian/changelog" -S Version)
daemon_deb=$debs/ptswitchd_${version}_amd64.deb
agent_deb=$debs/ptswitch-agent_${version}_amd64.deb
e2e_log "ptswitchd: $daemon_deb, agent: $agent_deb," \
	"domctl: ${domctl:-absent}, xen: $xen ($flavour)"

# Debian's kernel, unpacked rather than installed on the host.
e2e_kernel_tree "$cache"
set -- "$ktree"/boot/vmlinuz-*
vmlinuz=$1
guest_kernel=$ktree/vmlinux
if [ ! -s "$guest_kernel" ] &&
	! e2e_extract_vmlinux "$vmlinuz" "$guest_kernel"; then
	e2e_log "no xz payload in $vmlinuz: guests boot the bzImage (slower)"
	guest_kernel=$vmlinuz
fi

# QEMU's multiboot loader wants the ELF, Debian ships it gzipped.
e2e_xen_elf "$xen" "$work/xen.elf"

e2e_log "building initramfs images"
"$HERE/mkinitrd-guest.sh" --out "$work/guest.cpio.gz" \
	--deb "$agent_deb" --kernel-tree "$ktree" \
	${domctl:+--domctl "$domctl"}
"$HERE/mkinitrd-dom0.sh" --out "$work/dom0.cpio.gz" --kernel-tree "$ktree" \
	--guest-initrd "$work/guest.cpio.gz" --guest-kernel "$guest_kernel" \
	--deb "$daemon_deb" ${domctl:+--domctl "$domctl"}

dom0_cmdline="console=hvc0 earlyprintk=xen rdinit=/init e2e.xen=$flavour"

t_boot=$(date +%s)
e2e_log "booting under QEMU (TCG), console log: $log"
e2e_boot "$work/xen.elf" "$vmlinuz" "$dom0_cmdline" "$work/dom0.cpio.gz" \
	"$log" "$timeout_s"
t_end=$(date +%s)

# Report.
grep -a 'E2E: \(PASS\|FAIL\|SKIP\)' "$log" | sed 's/^\[ *[0-9.]*\] //' || true
first_at() {
	grep -a -m1 "$1" "$log" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'
}
e2e_log "timings (s since QEMU start):" \
	"dom0 init $(first_at 'E2E: TIME init')," \
	"dom0 ready $(first_at 'E2E: TIME dom0-ready')," \
	"guests up $(first_at 'E2E: TIME guest-up')," \
	"end $(first_at 'E2E: DONE'); hypervisor build $((t_xen - t_start)) s," \
	"boot+checks $((t_end - t_boot)) s, total $((t_end - t_start)) s"

npass=$(grep -ac 'E2E: PASS ' "$log" || true)
nfail=$(grep -ac 'E2E: FAIL ' "$log" || true)
nskip=$(grep -ac 'E2E: SKIP ' "$log" || true)
done_seen=0
grep -aq 'E2E: DONE' "$log" && done_seen=1
if [ "$done_seen" = 0 ]; then
	nfail=$((nfail + 1))
	echo "E2E: FAIL run dom0 never reached the end (timeout or crash);" \
		"last console lines:"
	tail -n 40 "$log"
fi
echo "$npass passed, $nfail failed, $nskip skipped ($flavour Xen)"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
