#!/bin/bash
# SPDX-License-Identifier: MIT
# The trixie QEMU lab (issue 16 item 4): make the images from the trixie
# lab root (mkimages.sh, inside it), then boot Xen 4.20 under QEMU (TCG)
# on this host with the trixie dom0 and guests, running tests/e2e's dom0
# checks.
#
#   tests/trixie/lab.sh [--patched [--xen XEN_GZ]] [--timeout SECS]
#
# Without --patched: Debian's stock xen-hypervisor-4.20-amd64, stock
# expectations.  --patched: hv-patches/xen-4.20 built by
# XEN_RELEASE=4.20 hv-patches/build-xen.sh (cached; its XEN_SRC applies
# where the registry does not serve trixie's source) and checked with
# check-abi.sh, or the xen.gz --xen names; patched expectations, as
# tests/e2e/run-e2e.sh --patched does on 4.17.
#
# ptswitchd and the agent go into the images from trixie .debs with dpkg:
# TRIXIE_LAB_DEBS=DIR (CI: what make deb-check-trixie left in
# build/trixie/deb-check), else built once per tree in the trixie root
# (tests/e2e/lab-debs.sh --release trixie).
#
# In CI through tests/trixie/e2e.sh (make e2e-trixie).  The console log
# goes to build/trixie/lab/console-FLAVOUR.log.
# Ends with N passed, N failed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
cd "$TOP"
# shellcheck source=../e2e/lib.sh
. tests/e2e/lib.sh
timeout_s=900
flavour=stock
xen=
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) timeout_s=$2; shift 2 ;;
	--patched) flavour=patched; shift ;;
	--xen) xen=$2; shift 2 ;;
	*) echo "usage: $0 [--patched [--xen XEN_GZ]] [--timeout SECS]" >&2
		exit 2 ;;
	esac
done

out=build/trixie/lab
t0=$(date +%s)
# The trixie .debs (TRIXIE_LAB_DEBS, else built in the trixie root),
# installed into the images with dpkg inside the lab root: the tree is
# /src there, so they must be in it.
debs=$(tests/e2e/lab-debs.sh --release trixie)
case $debs in
"$TOP"/*) debs=${debs#"$TOP"/} ;;
*) e2e_die "the trixie .debs must be inside the tree: $debs" ;;
esac
"$HERE/inroot.sh" --lab bash tests/trixie/mkimages.sh "$out" "$debs"
t_img=$(date +%s)
cat "$out/VERSIONS"

# QEMU is the host's (it plays the machine, it goes into no image).
scripts/install-deps.sh e2e >&2
e2e_workdir
if [ "$flavour" = stock ]; then
	xen=$out/xen-4.20-amd64.gz
elif [ -z "$xen" ]; then
	e2e_log "building the patched Xen 4.20 (hv-patches/build-xen.sh)"
	XEN_RELEASE=4.20 hv-patches/build-xen.sh "$out/xen-patched" >&2
	xen=$out/xen-patched/xen.gz
	# The tools' copy of the ABI against the headers of what we boot.
	hv-patches/check-abi.sh "$out/xen-patched" >&2 ||
		e2e_die "hv-patches/check-abi.sh failed (above)"
fi
t_xen=$(date +%s)
e2e_xen_elf "$xen" "$work/xen.elf"
log=$out/console-$flavour.log
e2e_log "booting $flavour Xen 4.20 with the trixie dom0 (TCG), log: $log"
# ptswitchd and the agent are the trixie .debs' (installed with dpkg):
# the checks that they are the packaged ones run (daemon-packaged,
# conffile-valid, agent-packaged).
e2e_boot "$work/xen.elf" "$out/vmlinuz" \
	"console=hvc0 earlyprintk=xen rdinit=/init e2e.xen=$flavour" \
	"$out/dom0.cpio.gz" "$log" "$timeout_s"
t_end=$(date +%s)

grep -a 'E2E: \(PASS\|FAIL\|SKIP\)' "$log" | sed 's/^\[ *[0-9.]*\] //' || true
npass=$(grep -ac 'E2E: PASS ' "$log" || true)
nfail=$(grep -ac 'E2E: FAIL ' "$log" || true)
nskip=$(grep -ac 'E2E: SKIP ' "$log" || true)
if ! grep -aq 'E2E: DONE' "$log"; then
	nfail=$((nfail + 1))
	echo "E2E: FAIL run dom0 never reached the end; last console lines:"
	tail -n 40 "$log"
fi
first_at() {
	grep -a -m1 "$1" "$log" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p'
}
e2e_log "dom0 ready $(first_at 'E2E: TIME dom0-ready') s, guests up" \
	"$(first_at 'E2E: TIME guest-up') s, end $(first_at 'E2E: DONE') s" \
	"(since QEMU start)"
e2e_log "images $((t_img - t0)) s, hypervisor $((t_xen - t_img)) s," \
	"boot+checks $((t_end - t_xen)) s"
echo "$npass passed, $nfail failed, $nskip skipped ($flavour Xen 4.20, trixie)"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
