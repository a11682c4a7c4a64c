# SPDX-License-Identifier: MIT
"""A Python server with a large heap that farms work out to process pools.

The parent allocates HEAP_MIB of heap (bytearray zero-fills it, so all
of it is resident and mapped).  Then, for every line "go" on standard
input, it runs one round: POOLS times, the parent first rewrites the
fraction DIRTY of its heap's pages (an update of its data between two
batches of work: 0 for a dataset that stays as loaded), then a
multiprocessing pool of two workers is
forked from the parent (the 'fork' start method, Linux's default before
Python 3.14), each worker dirties a few pages of the inherited heap
(copy-on-write) and returns a checksum, and the pool is closed.  Every
fork copies the page tables of the whole heap and write-protects it;
every worker's exit tears its copy down.

One line per round on standard output:
    round SECONDS forks N fork_ms_median MS update_s U checksum C
where fork_ms is how long Pool() took to start its two workers (the
forks as the parent sees them) and U the time spent rewriting the heap.
"quit" ends the program.

    python3 pyfork.py [HEAP_MIB [POOLS [DIRTY]]]
"""
import multiprocessing
import sys
import time

PAGE = 4096
HEAP_MIB = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
POOLS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
DIRTY = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
WORKERS = 2
TASKS = 4

_t0 = time.monotonic()
heap = bytearray(HEAP_MIB << 20)
ALLOC_S = time.monotonic() - _t0
generation = 0


def update():
    """Rewrite one byte in each of the first DIRTY of the heap's pages.

    A memoryview slice assignment writes a page per step without a
    Python-level loop per page (that would take minutes under TCG).
    """
    global generation
    pages = int(len(heap) // PAGE * DIRTY)
    if pages == 0:
        return 0.0
    generation = (generation + 1) & 0xFF
    t = time.monotonic()
    memoryview(heap)[:pages * PAGE:PAGE] = bytes([generation]) * pages
    return time.monotonic() - t


def task(i):
    # Dirty 16 pages spread over the heap: copy-on-write faults.
    stride = len(heap) // 16
    total = 0
    for k in range(16):
        off = (k * stride + i * PAGE) % len(heap)
        heap[off] = (heap[off] + i + 1) & 0xFF
        total += heap[off]
    return total


def one_round(ctx):
    start = time.monotonic()
    fork_ms = []
    checksum = 0
    update_s = 0.0
    for _ in range(POOLS):
        update_s += update()
        t = time.monotonic()
        pool = ctx.Pool(WORKERS)
        fork_ms.append((time.monotonic() - t) * 1000.0)
        checksum += sum(pool.map(task, range(TASKS)))
        pool.close()
        pool.join()
    fork_ms.sort()
    median = fork_ms[len(fork_ms) // 2]
    return time.monotonic() - start, median, update_s, checksum


def main():
    ctx = multiprocessing.get_context("fork")
    print("ready heap_mib %d alloc_s %.2f dirty %.2f" %
          (HEAP_MIB, ALLOC_S, DIRTY), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "quit":
            break
        if cmd != "go":
            continue
        secs, median, update_s, checksum = one_round(ctx)
        print("round %.3f forks %d fork_ms_median %.1f update_s %.2f "
              "checksum %d" % (secs, POOLS * WORKERS, median, update_s,
                               checksum), flush=True)


if __name__ == "__main__":
    main()
