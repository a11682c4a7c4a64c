/* SPDX-License-Identifier: MIT */
/*
 * The benchmark: k = 1..512 PTE writes to one L1 page, timed with rdtsc,
 * the median of REPEATS runs.  Every timed write changes the entry: runs
 * alternate the data page's mapping between read-only and writable
 * (present to present, like fork's write-protect pass), so no untimed
 * reset is needed and Xen never sees a no-op.
 *
 *   native      plain stores to an ordinary page: the floor (and rdtsc)
 *   emulate     stores to the read-only L1: one trap + emulation each
 *   mmu_update  one mmu_update hypercall with k entries, as Linux's lazy
 *               MMU mode batches them (entries built inside the timing)
 *   batch       stores to the read-only L1, then the explicit batch flush
 *               (ptswitch BATCH; planned ABI MMUEXT_FLUSH_PT_BATCH)
 */
#include "bench.h"
#include "hypercall.h"
#include "smp.h"
#include "testpt.h"

#define MAX_REPEATS 64

static const char *const base_name[BM_COUNT] = {"native", "emulate",
						"mmu_update", "batch"};

/* With a second vCPU writing, every name gets "-2vcpu". */
static bool smp;

void bench_set_smp(bool on)
{
	smp = on;
}

const char *bench_mode_name(enum bench_mode mode)
{
	static char names[BM_COUNT][24];

	snprintf(names[mode], sizeof(names[mode]), "%s%s", base_name[mode],
		 smp ? "-2vcpu" : "");
	return names[mode];
}

/* What vCPU 1 does while vCPU 0 measures MODE. */
static enum ap_work ap_work_for(enum bench_mode mode)
{
	switch (mode) {
	case BM_EMULATE:
		return AP_WRITE_EMULATE;
	case BM_MMU_UPDATE:
		return AP_WRITE_MMU;
	case BM_BATCH:
		return AP_WRITE_BATCH;
	default:
		return AP_IDLE;
	}
}

unsigned int bench_k(unsigned int i)
{
	return 1u << i;
}

static u64 *scratch;
u64 bench_emulated_writes;	  /* every store that trapped into emulation */
u64 bench_emul_runs[RUN_BUCKETS]; /* the runs of them, bucketed */

/* Buckets of common/ptswitch.h: 1, 2-9, 10-49, 50-99, 100-511, 512+. */
unsigned int run_bucket(u64 n)
{
	return n < 2	 ? 0
	       : n < 10	 ? 1
	       : n < 50	 ? 2
	       : n < 100 ? 3
	       : n < 512 ? 4
			 : 5;
}

static u64 time_native(unsigned int k, u64 val)
{
	volatile u64 *p = scratch;
	u64 t0, t1;
	unsigned int i;

	t0 = rdtsc_ordered();
	for (i = 0; i < k; i++)
		p[i] = val;
	t1 = rdtsc_ordered();
	return t1 - t0;
}

static u64 time_emulate(unsigned int k, u64 val)
{
	volatile u64 *l1 = tpt.l1[0];
	u64 t0, t1;
	unsigned int i;

	t0 = rdtsc_ordered();
	for (i = 0; i < k; i++)
		l1[i] = val;
	t1 = rdtsc_ordered();
	bench_emulated_writes += k;
	return t1 - t0;
}

static long last_rc;

static u64 time_mmu_update(unsigned int k, u64 val)
{
	static struct mmu_update req[512];
	u64 base = pte_maddr(tpt.l1[0], 0), t0, t1;
	unsigned int i, done = 0;

	t0 = rdtsc_ordered();
	for (i = 0; i < k; i++) {
		req[i].ptr = (base + i * sizeof(u64)) | MMU_NORMAL_PT_UPDATE;
		req[i].val = val;
	}
	last_rc = hyp_mmu_update(req, k, &done);
	t1 = rdtsc_ordered();
	if (!last_rc && done != k)
		last_rc = -1;
	return t1 - t0;
}

/*
 * BATCH semantics the guest must cope with: while its L1 is unhooked, the
 * L2 entry that maps it reads as not present (counted, never "repaired"),
 * and a fault on a batched range may be spurious: with two vCPUs, Xen
 * bounces another vCPU's first access to the range the owner has unhooked
 * (VMASST_TYPE_pt_batch).  The handler checks its own L2 entry: unhooked
 * (present bit clear, frame kept) or hooked again meanwhile, it retries.
 * Both vCPUs count here, hence the atomics.
 */
u64 batch_unhooked_seen, batch_spurious_faults, batch_ptes, batch_runs;
u64 batch_faults_unhooked, batch_faults_rehooked, batch_faults_vcpu[2];

static bool spurious_fault_hook(struct trap_frame *f, u64 cr2)
{
	u64 lo = tpt.va, hi = tpt.va + TEST_L1S * (512ul << PAGE_SHIFT), l2e;
	bool in_l1 = false;
	unsigned int i;

	for (i = 0; i < TEST_L1S; i++)
		if (cr2 >> PAGE_SHIFT == (u64)tpt.l1[i] >> PAGE_SHIFT)
			in_l1 = true;
	if (f->vector != 14 || !(in_l1 || (cr2 >= lo && cr2 < hi)))
		return false;
	if (!in_l1) {
		l2e = ((volatile u64 *)tpt.l2)[(cr2 - lo) >> 21];
		if (!(l2e & PTE_P) && (l2e & PTE_ADDR_MASK))
			__atomic_add_fetch(&batch_faults_unhooked, 1,
					   __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&batch_faults_rehooked, 1,
					   __ATOMIC_RELAXED);
	}
	__atomic_add_fetch(&batch_faults_vcpu[smp_cpu()], 1, __ATOMIC_RELAXED);
	/* A fault storm is not spurious: give up after a bound. */
	return __atomic_add_fetch(&batch_spurious_faults, 1,
				  __ATOMIC_RELAXED) <= 100000;
}

static u64 time_batch(unsigned int k, u64 val)
{
	volatile u64 *l1 = tpt.l1[0];
	struct mmuext_op flush = {.cmd = PVG_MMUEXT_FLUSH_BATCH};
	u64 t0, t1;
	unsigned int i;

	t0 = rdtsc_ordered();
	for (i = 0; i < k; i++)
		l1[i] = val;
	if (!(((volatile u64 *)tpt.l2)[0] & PTE_P))
		batch_unhooked_seen++;
	batch_ptes += k;
	batch_runs++;
	last_rc = hyp_mmuext_op(&flush, 1);
	t1 = rdtsc_ordered();
	return t1 - t0;
}

static void sort_u64(u64 *a, unsigned int n)
{
	unsigned int i, j;

	for (i = 1; i < n; i++) {
		u64 v = a[i];

		for (j = i; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
}

/* The entries must hold what was written last: the writes took effect. */
static bool entries_are(const volatile u64 *table, unsigned int k, u64 val)
{
	unsigned int i;

	for (i = 0; i < k; i++) {
		if (!pte_same(table[i], val)) {
			pr("PVGUEST: INFO entry %u is 0x%lx, wrote 0x%lx\n", i,
			   table[i], val);
			return false;
		}
	}
	return true;
}

/* One timed run of MODE writing VAL into k entries; 0 and last_rc set. */
static u64 run_once(enum bench_mode mode, unsigned int k, u64 val)
{
	u64 t = 0;

	switch (mode) {
	case BM_NATIVE:
		t = time_native(k, val);
		break;
	case BM_EMULATE:
		t = time_emulate(k, val);
		/*
		 * An untimed hypercall: a patched Xen ends its run of
		 * emulated writes there (where a batch would flush), so its
		 * run-length histogram must show exactly these runs of k.
		 */
		hyp_xen_version();
		bench_emul_runs[run_bucket(k)]++;
		break;
	case BM_MMU_UPDATE:
		t = time_mmu_update(k, val);
		break;
	case BM_BATCH:
		t = time_batch(k, val);
		break;
	case BM_COUNT:
		break;
	}
	return t;
}

static void fail_mode(struct bench_result *r, enum bench_mode mode,
		      const char *why, unsigned int k)
{
	r->error[mode] = why;
	pr("PVGUEST: ERROR mode=%s k=%u %s (rc %ld)\n", bench_mode_name(mode),
	   k, why, last_rc);
}

/*
 * Measure MODES[0..n) for every k.  The modes take turns within each
 * repetition, so that a burst of load on a shared host hits them alike
 * and their ratios hold.  With vCPU 1 writing, one mode at a time (it
 * mirrors that mode).  Every run that writes the L1 flips the entries'
 * value, so that no write is a no-op.
 */
void bench_modes(struct bench_result *r, const enum bench_mode *modes,
		 unsigned int n, unsigned int repeats)
{
	static u64 samples[BM_COUNT][MAX_REPEATS];
	unsigned int ki, rep, i;
	bool batch = false;

	if (!scratch)
		scratch = alloc_page();
	if (repeats > MAX_REPEATS)
		repeats = MAX_REPEATS;
	for (i = 0; i < n; i++)
		batch |= modes[i] == BM_BATCH;
	trap_set_hook(batch ? spurious_fault_hook : NULL);
	last_rc = 0;
	/* Start from a known state: every entry maps the data page RO. */
	if (testpt_set(0, 0, 512, tpt.pte_ro)) {
		fail_mode(r, modes[0], "resetting the L1 failed", 0);
		return;
	}
	if (smp && (n != 1 || smp_set_work(ap_work_for(modes[0])))) {
		fail_mode(r, modes[0], "vCPU 1 did not start writing", 0);
		return;
	}
	for (ki = 0; ki < BENCH_KS; ki++) {
		unsigned int k = bench_k(ki);
		u64 val = tpt.pte_ro, nval = tpt.pte_ro;

		for (rep = 0; rep < repeats + 2; rep++) {
			for (i = 0; i < n; i++) {
				enum bench_mode m = modes[i];
				u64 *v = m == BM_NATIVE ? &nval : &val;
				u64 t;

				*v = *v == tpt.pte_ro ? tpt.pte_rw : tpt.pte_ro;
				t = run_once(m, k, *v);
				if (last_rc) {
					fail_mode(r, m, "hypercall failed", k);
					goto out;
				}
				if (rep >= 2)
					samples[m][rep - 2] = t;
			}
		}
		for (i = 0; i < n; i++) {
			enum bench_mode m = modes[i];
			u64 *row = samples[m];

			if (!entries_are(m == BM_NATIVE ? scratch : tpt.l1[0],
					 k, m == BM_NATIVE ? nval : val)) {
				fail_mode(r, m, "entries differ", k);
				goto out;
			}
			sort_u64(row, repeats);
			r->median[m][ki] = row[repeats / 2];
			r->min[m][ki] = row[0];
			pr("PVGUEST: ROW mode=%s k=%u reps=%u median=%lu "
			   "min=%lu per_pte=%lu\n",
			   bench_mode_name(m), k, repeats, r->median[m][ki],
			   r->min[m][ki], r->median[m][ki] / k);
		}
	}
	for (i = 0; i < n; i++)
		r->ran[modes[i]] = true;
	if (batch)
		pr("PVGUEST: INFO batch unhooked_l2_seen=%lu "
		   "spurious_faults=%lu\n",
		   batch_unhooked_seen, batch_spurious_faults);
out:
	if (smp && smp_set_work(AP_IDLE))
		for (i = 0; i < n; i++) {
			r->ran[modes[i]] = false;
			r->error[modes[i]] = "vCPU 1 failed while writing";
		}
}

void bench_mode(struct bench_result *r, enum bench_mode mode,
		unsigned int repeats)
{
	bench_modes(r, &mode, 1, repeats);
}

/* Smallest k from which MODE is cheaper per PTE than EMULATE for all k. */
static void crossover(const struct bench_result *r, enum bench_mode mode)
{
	int ki, from = -1;

	if (!r->ran[mode] || !r->ran[BM_EMULATE]) {
		pr("PVGUEST: CROSSOVER %s-vs-emulate k=n/a\n",
		   bench_mode_name(mode));
		return;
	}
	for (ki = BENCH_KS - 1; ki >= 0; ki--) {
		if (r->median[mode][ki] >= r->median[BM_EMULATE][ki])
			break;
		from = ki;
	}
	if (from < 0)
		pr("PVGUEST: CROSSOVER %s-vs-emulate k=none\n",
		   bench_mode_name(mode));
	else
		pr("PVGUEST: CROSSOVER %s-vs-emulate k=%u\n",
		   bench_mode_name(mode), bench_k((unsigned int)from));
}

static void cell(char *buf, size_t size, const struct bench_result *r,
		 enum bench_mode mode, unsigned int ki)
{
	if (r->ran[mode])
		snprintf(buf, size, "%lu", r->median[mode][ki] / bench_k(ki));
	else
		snprintf(buf, size, "n/a");
}

void bench_report(const struct bench_result *r, unsigned int repeats,
		  const char *batch_na)
{
	unsigned int ki;
	int m;

	pr("PVGUEST: TABLE cycles per PTE (median of %u runs; tsc_khz=%lu)%s\n",
	   repeats, tsc_khz(),
	   smp ? ", vCPU 1 writing another L1 meanwhile" : "");
	pr("PVGUEST: TABLE %5s %8s %9s %10s %9s %8s | %9s %9s\n", "k", "native",
	   "emulate", "mmu_update", "batch", "emu/mmu", "emu(min)", "mmu(min)");
	for (ki = 0; ki < BENCH_KS; ki++) {
		char c[BM_COUNT][16], ratio[16];

		for (m = 0; m < BM_COUNT; m++)
			cell(c[m], sizeof(c[m]), r, (enum bench_mode)m, ki);
		if (r->ran[BM_EMULATE] && r->ran[BM_MMU_UPDATE] &&
		    r->median[BM_MMU_UPDATE][ki])
			snprintf(ratio, sizeof(ratio), "%lu.%02lu",
				 r->median[BM_EMULATE][ki] /
				     r->median[BM_MMU_UPDATE][ki],
				 r->median[BM_EMULATE][ki] * 100 /
				     r->median[BM_MMU_UPDATE][ki] % 100);
		else
			snprintf(ratio, sizeof(ratio), "n/a");
		pr("PVGUEST: TABLE %5u %8s %9s %10s %9s %8s | %9lu %9lu\n",
		   bench_k(ki), c[BM_NATIVE], c[BM_EMULATE], c[BM_MMU_UPDATE],
		   c[BM_BATCH], ratio, r->min[BM_EMULATE][ki] / bench_k(ki),
		   r->min[BM_MMU_UPDATE][ki] / bench_k(ki));
	}
	crossover(r, BM_MMU_UPDATE);
	if (r->ran[BM_BATCH])
		crossover(r, BM_BATCH);
	else
		pr("PVGUEST: NA %s %s\n", bench_mode_name(BM_BATCH), batch_na);
	for (m = 0; m < BM_COUNT; m++)
		if (r->error[m])
			pr("PVGUEST: ERROR mode=%s %s\n",
			   bench_mode_name((enum bench_mode)m), r->error[m]);
}
