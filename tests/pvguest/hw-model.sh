#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The pvguest benchmark's table (cycles per PTE by run length k) as a model
# of real hardware predicts it, printed with the costs it assumes, so that
# the expectation for a host sits next to the QEMU TCG figures.  These are
# assumptions, not measurements: every one can be overridden, e.g.
#   HW_FLUSH_REFILL=4000 tests/pvguest/hw-model.sh
# and the model is only as good as they are.  See docs/cost-model.md.
set -eu

# Cycles.  A PV #PF into Xen and back to the guest (no XPTI).
trap_c=${HW_TRAP:-1000}
# x86_emulate of one store plus validating the new PTE (ptwr).
emul_c=${HW_EMULATE:-1000}
# One mmu_update hypercall's entry and exit; validating one entry.
hcall_c=${HW_HYPERCALL:-400}
valid_c=${HW_VALIDATE:-250}
# The open's work besides its trap and flush: walks, three get_page,
# two cmpxchg under page_lock, the 4 KiB snapshot.
open_c=${HW_OPEN:-900}
# The close's work besides its flush: 512 compares, hook back, puts.
close_c=${HW_CLOSE:-800}
# A full local TLB flush, and the TLB misses it leaves behind in the
# guest's and Xen's working set (misses that hit the cache).
flush_c=${HW_FLUSH:-300}
refill_c=${HW_FLUSH_REFILL:-2000}
# A flush IPI to one other CPU and the wait for its acknowledgement.
ipi_c=${HW_IPI:-3000}
# A native store of one PTE.
store_c=${HW_STORE:-2}

awk -v trap="$trap_c" -v emul="$emul_c" -v hcall="$hcall_c" \
	-v valid="$valid_c" -v openc="$open_c" -v closec="$close_c" \
	-v flush="$flush_c" -v refill="$refill_c" -v ipi="$ipi_c" \
	-v store="$store_c" 'BEGIN {
	printf "MODEL assumed cycles: trap %d, emulate %d, hypercall %d, " \
		"validate %d, open %d, close %d, flush %d + refill %d, IPI %d, " \
		"store %d\n", trap, emul, hcall, valid, openc, closec, flush,
		refill, ipi, store
	# A batch: the fault that opens it, the open, the explicit flush
	# hypercall, the close, and two full flushes (open and close); with
	# a second vCPU each flush is also an IPI.
	b1 = trap + openc + hcall + closec + 2 * (flush + refill)
	b2 = b1 + 2 * ipi
	printf "MODEL batch fixed cost: %d cycles (1 vCPU), %d (2 vCPUs)\n", b1, b2
	printf "MODEL %5s %8s %10s %8s %8s %8s\n", "k", "emulate", "mmu_update",
		"batch", "batch2", "emu/bat"
	x1 = x2 = 0
	for (k = 1; k <= 512; k *= 2) {
		e = trap + emul
		m = hcall / k + valid
		b = b1 / k + store + valid
		c = b2 / k + store + valid
		if (!x1 && b < e) x1 = k
		if (!x2 && c < e) x2 = k
		printf "MODEL %5d %8d %10d %8d %8d %8.2f\n", k, e, m, b, c, e / b
	}
	printf "MODEL crossover batch-vs-emulate k=%d (1 vCPU), k=%d (2 vCPUs)\n",
		x1, x2
}'
