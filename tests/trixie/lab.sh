#!/bin/bash
# SPDX-License-Identifier: MIT
# Groundwork of the trixie QEMU lab (issue 16 item 4): make the images
# from the trixie lab root (mkimages.sh, inside it), then boot Debian's
# stock Xen 4.20 under QEMU (TCG) on this host with the trixie dom0 and
# guests, running tests/e2e's dom0 checks (stock expectations).
#
#   tests/trixie/lab.sh [--timeout SECS]
#
# Not in CI yet: the patched 4.20 hypervisor does not exist, and the CI
# budget is not yet worked out (tests/trixie/README.md).  The console log
# goes to build/trixie/lab/console-stock.log.  Ends with N passed, N failed.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
cd "$TOP"
# shellcheck source=../e2e/lib.sh
. tests/e2e/lib.sh
timeout_s=900
[ "${1:-}" = --timeout ] && timeout_s=$2

out=build/trixie/lab
t0=$(date +%s)
"$HERE/inroot.sh" --lab bash tests/trixie/mkimages.sh "$out"
t_img=$(date +%s)
cat "$out/VERSIONS"

# QEMU is the host's (it plays the machine, it goes into no image).
scripts/install-deps.sh e2e >&2
e2e_workdir
e2e_xen_elf "$out/xen-4.20-amd64.gz" "$work/xen.elf"
log=$out/console-stock.log
e2e_log "booting stock Xen 4.20 with the trixie dom0 (TCG), log: $log"
e2e_boot "$work/xen.elf" "$out/vmlinuz" \
	"console=hvc0 earlyprintk=xen rdinit=/init e2e.xen=stock" \
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
e2e_log "images $((t_img - t0)) s, boot+checks $((t_end - t_img)) s"
echo "$npass passed, $nfail failed, $nskip skipped (stock Xen 4.20, trixie)"
[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
