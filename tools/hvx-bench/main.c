// SPDX-License-Identifier: GPL-2.0
/*
 * bench: how many TSC cycles one guest operation costs under hvx and
 * under Linux KVM, measured inside the guest.  Documentation/bench.rst
 * describes the cases and how "make bench" runs them.
 *
 *   bench [-r ROUNDS] [-s PERCENT] hvx|kvm [CASE...]
 *	run the cases (all by default) on one hypervisor and print one
 *	"RESULT backend case cycles/op ..." line each, and a "COUNTS" line
 *	of the hypervisor's own counters per operation
 *   bench table HVX_RESULTS KVM_RESULTS
 *	pair the RESULT lines of two such runs into the comparison table
 *	and check the targets
 *   bench linux ..., bench linux-table ... and bench linux-thp ...
 *	the Linux boot case (linux.c)
 *   bench touch-table RESULTS...
 *	the first_touch case's lines of such runs, per THP setting (touch.c)
 *
 * hvx.ko and kvm_intel cannot hold VMX at the same time, so the two runs
 * are separate processes (tools/testhost/tasks/bench.sh).  Exit status:
 * 0 when every case that ran gave a checked number, 1 when some case
 * failed, 2 on bad usage, 3 when the VM could not be created at all.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define BENCH_BOTH	(BENCH_HVX | BENCH_KVM)
#define MAX_ROUNDS	31

/*
 * The cases.  n is chosen so that one round takes well under a second
 * of emulation in Bochs (roughly 100 million instructions a second,
 * where one instruction is one TSC cycle); a whole run of either backend
 * takes about half a minute.
 */
static const struct bench_case cases[] = {
	{ "loop",	    BENCH_BOTH, GOP_LOOP,  0, 0, 200000 },
	{ "cpuid",	    BENCH_BOTH, GOP_CPUID, 0, 0, 50000 },
	{ "pio_sync",	    BENCH_BOTH, GOP_OUT, PORT_SYNC, 0, 5000 },
	{ "pio_ring",	    BENCH_HVX,  GOP_OUT, PORT_RING, 0, 4000 },
	{ "pio_posted",	    BENCH_HVX,  GOP_OUT, PORT_POSTED, 0, 10000 },
	{ "pio_posted_vmm", BENCH_HVX,  GOP_OUT, PORT_POSTED, 0, 10000 },
	{ "pio_coalesced",  BENCH_KVM,  GOP_OUT, PORT_POSTED, 0, 10000 },
	{ "pio_eventfd",    BENCH_KVM,  GOP_OUT, PORT_EVENTFD, 0, 4000 },
	{ "pio_doorbell",   BENCH_HVX,  GOP_OUT, PORT_EVENTFD, 0, 4000 },
	{ "mmio_posted",    BENCH_HVX,  GOP_STORE, 0, MMIO_POSTED_GPA, 10000 },
	{ "mmio_posted_vmm", BENCH_HVX, GOP_STORE, 0, MMIO_POSTED_GPA, 10000 },
	{ "mmio_coalesced", BENCH_KVM,  GOP_STORE, 0, MMIO_POSTED_GPA, 10000 },
	{ "mmio_eventfd",   BENCH_KVM,  GOP_STORE, 0, MMIO_EVENTFD_GPA, 4000 },
	{ "mmio_doorbell",  BENCH_HVX,  GOP_STORE, 0, MMIO_EVENTFD_GPA, 4000 },
	{ "mmio_write",	    BENCH_BOTH, GOP_STORE, 0, MMIO_WRITE_GPA, 5000 },
	{ "mmio_read",	    BENCH_BOTH, GOP_LOAD,  0, MMIO_READ_GPA, 5000 },
	{ "lapic_timer",    BENCH_BOTH, GOP_TIMER, 0, 0, 2000 },
	{ "tsc_deadline",   BENCH_BOTH, GOP_DEADLINE, 0, 0, 5000 },
	{ "msi_irqfd",	    BENCH_BOTH, GOP_MSI, PORT_EVENTFD, 0, 1000 },
	/* the same MSIs, timed by the device thread from write() to handler */
	{ "msi_irqfd_isr",  BENCH_BOTH, GOP_MSI, PORT_EVENTFD, 0, 1000,
	  .to_isr = true },
	/* one write per page of a fresh 256 MiB slot (touch.c) */
	{ "first_touch",    BENCH_BOTH, GOP_TOUCH, 0, 0, TOUCH_PAGES, true },
	{ "ipi_roundtrip",  BENCH_BOTH, GOP_IPI,   0, 0, 1000 },
};

void bench_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The hypervisor's counters before a case, to subtract after it. */
static struct linux_boot counters_before;

static bool counters_read(const struct bench_backend *be,
			  struct linux_boot *b)
{
	b->nr = 0;
	b->exits = -1;
	return be->counters && !be->counters(b);
}

/*
 * After a case's RESULT line: the hypervisor's counters that grew during
 * it, per operation (the untimed iterations and each round's start and
 * end included), on a "COUNTS" line.  Those that grew by less than one
 * per hundred operations (each round's start and end) are left out.
 */
static void print_case_counters(const struct bench_backend *be,
				const struct bench_case *c, uint64_t ops)
{
	static struct linux_boot after, d;
	unsigned int i;

	if (!counters_read(be, &after) || !ops)
		return;
	d.nr = 0;
	linux_boot_diff(&d, &counters_before, &after);
	printf("COUNTS %s %s per-op", be->name, c->name);
	if (d.exits >= 0)
		printf(" vmexits=%.2f", (double)d.exits / ops);
	for (i = 0; i < d.nr; i++)
		if (d.c[i].value * 100 >= ops)
			printf(" %s=%.2f", d.c[i].name,
			       (double)d.c[i].value / ops);
	printf("\n");
}

/* What the guest gets for one round of @c, @n timed iterations. */
static void round_params(const struct bench_case *c, uint32_t n,
			 struct guest_params *p)
{
	memset(p, 0, sizeof(*p));
	p->op = c->op;
	/* a page is touched for the first time only once */
	p->warm = c->op == GOP_TOUCH ? 0 : n / 10 + 1;
	p->n = n;
	p->base = c->op == GOP_TOUCH ? TOUCH_GPA : 0;
	p->port = c->port;
	p->addr = c->addr;
}

/*
 * A to_isr case's figure for the round that just ended: the device
 * thread's timed relays since @cycles0 and @relays0, which it adds as it
 * sees the handler's entries, so wait until all @want are in (a second
 * at most).  Cycles per MSI, or -1.
 */
static double isr_round(uint64_t cycles0, uint64_t relays0, uint32_t want)
{
	uint64_t cycles, relays;
	unsigned int ms;

	if (ev_latency_unpinned())
		return -1;
	for (ms = 0; ; ms++) {
		ev_latency_read(&cycles, &relays);
		if (relays - relays0 >= want)
			break;
		if (ms == 1000) {
			bench_err("%llu of %u MSIs timed",
				  (unsigned long long)(relays - relays0), want);
			return -1;
		}
		usleep(1000);
	}
	return (double)(cycles - cycles0) / (relays - relays0);
}

/**
 * struct case_run - what the rounds of one case leave for its RESULT line
 * @p:		the last round's parameter block, as the guest left it
 * @cnt:	the VMM side's counts (the teardown adds to them)
 * @mm:		first_touch's guest-memory counters
 * @bad_pages:	first_touch's pages not as written
 * @per_op:	each round's figure
 * @n:		timed iterations per round
 * @irq_bad:	rounds whose guest did not take warm + n interrupts
 *		(counts_irqs() cases)
 * @irq_first:	the interrupts the first of them took
 * @mismatch:	the guest's failed checks (struct guest_params), all rounds
 */
struct case_run {
	struct guest_params p;
	struct bench_counts cnt;
	struct bench_mm mm;
	uint64_t bad_pages;
	double per_op[MAX_ROUNDS];
	uint32_t n;
	unsigned int irq_bad;
	uint32_t irq_first;
	uint64_t mismatch;
};

/* The cases whose guest counts the interrupts it takes in params.irqs. */
static bool counts_irqs(const struct bench_case *c)
{
	return c->op == GOP_TIMER || c->op == GOP_MSI || c->op == GOP_IPI;
}

/*
 * Note what the guest says of the round that just ended, for
 * check_case().  Every round's figure goes into the median, so every
 * round must have taken all its interrupts: one that lost timer
 * interrupts is cheaper, and could be the median with the last round
 * complete.
 */
static void round_check(const struct bench_case *c, struct case_run *r)
{
	const struct guest_params *p = &r->p;

	r->mismatch += p->mismatch;
	if (counts_irqs(c) && p->irqs != p->warm + p->n && !r->irq_bad++)
		r->irq_first = p->irqs;
}

/*
 * Print why a finished case's figure cannot be trusted, if it cannot:
 * every write reached its consumer once, every interrupt came in every
 * round, the guest's own checks held.  0, or -1.
 */
static int check_case(const struct bench_case *c, const struct case_run *r,
		      unsigned int rounds)
{
	const struct bench_counts *cnt = &r->cnt;
	uint32_t per_round = r->p.warm + r->p.n;
	uint64_t ops = (uint64_t)rounds * per_round;

	if (c->op == GOP_OUT || c->op == GOP_STORE) {
		printf(" writes=%llu", (unsigned long long)cnt->writes);
		if (cnt->writes == ops && !cnt->bad)
			return 0;
		printf(" check=FAIL(want %llu writes, %llu bad)",
		       (unsigned long long)ops, (unsigned long long)cnt->bad);
		return -1;
	}
	if (r->irq_bad) {
		printf(" check=FAIL(%u of %u rounds took other than %u interrupts, the first %u)",
		       r->irq_bad, rounds, per_round, r->irq_first);
		return -1;
	}
	if (r->mismatch) {
		/* each round's guest checks once (struct guest_params) */
		printf(" check=FAIL(%llu of %u rounds: %s)",
		       (unsigned long long)r->mismatch, rounds,
		       c->op == GOP_LOAD ?
		       "the closing load was not MMIO_READ_VALUE" :
		       "IA32_TSC_DEADLINE was no deadline the loop wrote");
		return -1;
	}
	if (c->op == GOP_IPI && cnt->ap_ipis != ops) {
		/* vCPU 1 answered each IPI once, all rounds together */
		printf(" check=FAIL(vCPU 1 answered %llu IPIs, want %llu)",
		       (unsigned long long)cnt->ap_ipis,
		       (unsigned long long)ops);
		return -1;
	}
	if (c->op == GOP_TOUCH && cnt->bad) {
		printf(" check=FAIL(%llu pages not as written)",
		       (unsigned long long)cnt->bad);
		return -1;
	}
	if (cnt->bad) {
		printf(" check=FAIL(%llu bad exits)",
		       (unsigned long long)cnt->bad);
		return -1;
	}
	return 0;
}

/*
 * Run up to @rounds rounds of @c, set up.  A to_isr case runs them with
 * the vCPU thread on CPU 0 (its device thread spins on the last one).
 * Return: the rounds that gave a figure, or -1 when the vCPU thread could
 * not be pinned (errno set).
 */
static int run_rounds(const struct bench_backend *be,
		      const struct bench_case *c, unsigned int rounds,
		      struct case_run *r)
{
	uint64_t isr_cycles, isr_relays;
	struct guest_params *p = &r->p;
	cpu_set_t cpus;
	unsigned int i;

	if (c->to_isr && (sched_getaffinity(0, sizeof(cpus), &cpus) ||
			  bench_pin_self(0)))
		return -1;
	for (i = 0; i < rounds; i++) {
		round_params(c, r->n, p);
		ev_latency_read(&isr_cycles, &isr_relays);
		if (c->op == GOP_TOUCH ?
		    touch_run(be, p, &r->cnt, &r->mm, &r->bad_pages) :
		    be->run(p, &r->cnt))
			break;
		if (p->done != GUEST_DONE_MAGIC) {
			bench_err("%s %s: the guest halted without a result",
				  be->name, c->name);
			break;
		}
		round_check(c, r);
		r->per_op[i] = (double)p->delta / r->n;
		if (c->to_isr) {
			r->per_op[i] = isr_round(isr_cycles, isr_relays,
						 p->warm + r->n);
			if (r->per_op[i] < 0)
				break;
		}
		if (c->op == GOP_TOUCH)
			touch_print_round(be->name, i + 1, r->per_op[i],
					  &r->mm, r->bad_pages);
	}
	if (c->to_isr)
		sched_setaffinity(0, sizeof(cpus), &cpus);
	return i;
}

/* Run @c for @rounds rounds; print its RESULT line.  0, or -1. */
static int run_case(const struct bench_backend *be,
		    const struct bench_case *c, unsigned int rounds,
		    unsigned int percent)
{
	static struct case_run r;
	const char *why = NULL;
	bool have_counters;
	double *per_op = r.per_op;
	int ret, done;

	if (!(c->backends & be->mask))
		return 0;
	/* to_isr: the device thread spins on the last CPU, the vCPU on 0 */
	if (c->to_isr && sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("RESULT %s %s n/a needs two CPUs\n", be->name, c->name);
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.mm = (struct bench_mm){ -1, -1, -1, -1 };
	have_counters = counters_read(be, &counters_before);
	ret = be->setup(c, &why);
	if (ret > 0) {
		printf("RESULT %s %s n/a %s\n", be->name, c->name, why);
		return 0;
	}
	if (ret < 0) {
		printf("RESULT %s %s error setup failed\n", be->name, c->name);
		be->teardown(c, &r.cnt);
		return -1;
	}

	r.n = (uint64_t)c->n * percent / 100;
	if (!r.n)
		r.n = 1;
	if (c->op == GOP_TOUCH && r.n > TOUCH_PAGES)
		r.n = TOUCH_PAGES;
	done = run_rounds(be, c, rounds, &r);
	if (done < 0)
		printf("RESULT %s %s error cannot pin the vCPU: %s\n",
		       be->name, c->name, strerror(errno));
	be->teardown(c, &r.cnt);
	r.cnt.bad += r.bad_pages;
	if (done < 0)
		return -1;
	if (done < (int)rounds) {
		printf("RESULT %s %s error the guest did not finish\n",
		       be->name, c->name);
		return -1;
	}

	qsort(per_op, rounds, sizeof(per_op[0]), cmp_double);
	printf("RESULT %s %s %.1f min=%.1f max=%.1f n=%u rounds=%u exits=%llu",
	       be->name, c->name, per_op[rounds / 2], per_op[0],
	       per_op[rounds - 1], r.n, rounds,
	       (unsigned long long)r.cnt.exits);
	if (r.cnt.wakeups)
		printf(" wakeups=%llu", (unsigned long long)r.cnt.wakeups);
	if (c->op == GOP_TOUCH)
		touch_print_result(&r.mm, per_op[rounds / 2]);
	ret = check_case(c, &r, rounds);
	printf("\n");
	if (have_counters)
		print_case_counters(be, c,
				    (uint64_t)rounds * (r.p.warm + r.n));
	fflush(stdout);
	return ret;
}

static int run_backend(const struct bench_backend *be, char **names,
		       int nnames, unsigned int rounds, unsigned int percent)
{
	unsigned int i;
	int j, status = 0;

	if (be->open()) {
		be->close();
		printf("RESULT %s - error cannot create the VM\n", be->name);
		return 3;
	}
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		bool wanted = !nnames && !cases[i].named;

		for (j = 0; j < nnames; j++)
			wanted |= !strcmp(names[j], cases[i].name);
		if (wanted && run_case(be, &cases[i], rounds, percent))
			status = 1;
	}
	be->close();
	return status;
}

/* ===== bench table ===== */

#define RES_NONE	0	/* no line for this case */
#define RES_OK		1
#define RES_NA		2	/* the path does not exist (reason in note) */
#define RES_ERR		3

struct result {
	char name[32];
	int state;
	double cycles;
	char note[96];
};

struct results {
	struct result r[64];
	unsigned int nr;
};

static int read_results(const char *path, const char *backend,
			struct results *res)
{
	char line[512], be[16], name[32], val[32];
	FILE *f = fopen(path, "r");
	int off;

	if (!f) {
		bench_err("%s: %s", path, strerror(errno));
		return -1;
	}
	res->nr = 0;
	while (fgets(line, sizeof(line), f) && res->nr < ARRAY_SIZE(res->r)) {
		struct result *r = &res->r[res->nr];

		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "RESULT %15s %31s %31s %n", be, name, val,
			   &off) != 3 || strcmp(be, backend))
			continue;
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", name);
		if (!strcmp(val, "n/a")) {
			r->state = RES_NA;
			snprintf(r->note, sizeof(r->note), "%s", line + off);
		} else if (!strcmp(val, "error")) {
			r->state = RES_ERR;
			snprintf(r->note, sizeof(r->note), "%s", line + off);
		} else {
			r->state = strstr(line, "check=FAIL") ? RES_ERR :
				   RES_OK;
			r->cycles = strtod(val, NULL);
			if (r->state == RES_ERR)
				snprintf(r->note, sizeof(r->note),
					 "check=FAIL, see its RESULT line");
		}
		res->nr++;
	}
	fclose(f);
	return 0;
}

static const struct result *find(const struct results *res,
				 const char *name)
{
	static const struct result none = { .state = RES_NONE };
	unsigned int i;

	for (i = 0; i < res->nr; i++)
		if (!strcmp(res->r[i].name, name))
			return &res->r[i];
	return &none;
}

/* "123.4", or why there is no number, in @buf. */
static const char *cell(const struct result *r, char *buf, size_t len)
{
	switch (r->state) {
	case RES_OK:
		snprintf(buf, len, "%.1f", r->cycles);
		break;
	case RES_NA:
		snprintf(buf, len, "%s", strncmp(r->note, "ring not built", 14) ?
			 "n/a" : "n/a (ring not built)");
		break;
	case RES_ERR:
		snprintf(buf, len, "error");
		break;
	default:
		snprintf(buf, len, "missing");
	}
	return buf;
}

/**
 * struct row - one line of the table
 * @label:	what is measured
 * @hvx:	the hvx case
 * @kvm:	the KVM case it is compared with
 */
struct row {
	const char *label;
	const char *hvx;
	const char *kvm;
};

static const struct row rows[] = {
	{ "0 empty loop (loop overhead)", "loop", "loop" },
	{ "1 CPUID leaf 0, exit handled in kernel", "cpuid", "cpuid" },
	{ "2 OUT, exit to userspace and back", "pio_sync", "pio_sync" },
	{ "3 OUT served by the ring (KVM: exit)", "pio_ring", "pio_sync" },
	{ "4 posted OUT vs KVM coalesced PIO", "pio_posted",
	  "pio_coalesced" },
	{ "4 posted OUT vs KVM ioeventfd", "pio_posted", "pio_eventfd" },
	{ "4 posted MMIO vs KVM coalesced MMIO", "mmio_posted",
	  "mmio_coalesced" },
	{ "4 posted MMIO vs KVM ioeventfd", "mmio_posted", "mmio_eventfd" },
	{ "  posted OUT, VMM drains (coalesced)", "pio_posted_vmm",
	  "pio_coalesced" },
	{ "  posted MMIO, VMM drains (coalesced)", "mmio_posted_vmm",
	  "mmio_coalesced" },
	{ "  doorbell OUT vs ioeventfd", "pio_doorbell", "pio_eventfd" },
	{ "  doorbell MMIO vs ioeventfd", "mmio_doorbell",
	  "mmio_eventfd" },
	{ "5 MMIO read, exit to userspace", "mmio_read", "mmio_read" },
	{ "  MMIO write, exit to userspace", "mmio_write", "mmio_write" },
	{ "6 APIC timer interrupt, EOI", "lapic_timer", "lapic_timer" },
	{ "  TSC-deadline write, in kernel", "tsc_deadline",
	  "tsc_deadline" },
	{ "7 doorbell, MSI by irqfd, EOI", "msi_irqfd", "msi_irqfd" },
	{ "  MSI by irqfd, write() to handler", "msi_irqfd_isr",
	  "msi_irqfd_isr" },
	{ "8 IPI to halted vCPU 1 and back", "ipi_roundtrip",
	  "ipi_roundtrip" },
};

/**
 * struct target - a goal: hvx's @hvx case at most @ratio times KVM's @kvm
 * @label:	the goal in words
 * @hvx:	hvx case
 * @kvm:	KVM case
 * @ratio:	the largest hvx/KVM that passes
 */
struct target {
	const char *label;
	const char *hvx;
	const char *kvm;
	double ratio;
};

/*
 * KVM's coalesced ring is drained by the vCPU thread, inside its count:
 * hvx's posted writes are set against it with the VMM draining too
 * (*_posted_vmm), not with a device thread on the other CPU.
 */
static const struct target targets[] = {
	{ "posted OUT >= 10x cheaper than KVM's OUT exit",
	  "pio_posted", "pio_sync", 0.1 },
	{ "posted MMIO >= 10x cheaper than KVM's OUT exit",
	  "mmio_posted", "pio_sync", 0.1 },
	{ "CPUID no slower than KVM", "cpuid", "cpuid", 1 },
	{ "OUT exit no slower than KVM", "pio_sync", "pio_sync", 1 },
	{ "ring OUT no slower than KVM's OUT exit", "pio_ring", "pio_sync",
	  1 },
	{ "posted OUT no slower than coalesced PIO", "pio_posted_vmm",
	  "pio_coalesced", 1 },
	{ "posted OUT no slower than ioeventfd", "pio_posted",
	  "pio_eventfd", 1 },
	{ "posted MMIO no slower than coalesced MMIO", "mmio_posted_vmm",
	  "mmio_coalesced", 1 },
	{ "posted MMIO no slower than ioeventfd", "mmio_posted",
	  "mmio_eventfd", 1 },
	{ "MMIO read no slower than KVM", "mmio_read", "mmio_read", 1 },
	{ "MMIO write no slower than KVM", "mmio_write", "mmio_write", 1 },
	{ "TSC-deadline write no slower than KVM", "tsc_deadline",
	  "tsc_deadline", 1 },
	{ "APIC timer interrupt <= 0.6x KVM's", "lapic_timer",
	  "lapic_timer", 0.6 },
	/* issue 9's case: "from write to the guest's handler" */
	{ "irqfd MSI, write() to handler <= 0.6x KVM's", "msi_irqfd_isr",
	  "msi_irqfd_isr", 0.6 },
	{ "IPI round trip <= 0.6x KVM's", "ipi_roundtrip", "ipi_roundtrip",
	  0.6 },
};

/* Why a case has no number, one line each. */
static void print_notes(const char *backend, const struct results *res)
{
	unsigned int i;

	for (i = 0; i < res->nr; i++)
		if (res->r[i].state == RES_NA || res->r[i].state == RES_ERR)
			printf("note: %s %s: %s %s\n", backend, res->r[i].name,
			       res->r[i].state == RES_NA ? "n/a," : "error,",
			       res->r[i].note);
}

static int print_table(const char *hvx_path, const char *kvm_path)
{
	static struct results hvx, kvm;
	char a[64], b[64];
	unsigned int i, pass = 0, miss = 0, na = 0;

	if (read_results(hvx_path, "hvx", &hvx) ||
	    read_results(kvm_path, "kvm", &kvm))
		return 1;

	printf("%-36s %20s %14s %7s\n", "operation", "hvx cycles/op",
	       "KVM cycles/op", "hvx/KVM");
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct result *h = find(&hvx, rows[i].hvx);
		const struct result *k = find(&kvm, rows[i].kvm);

		printf("%-36s %20s %14s", rows[i].label,
		       cell(h, a, sizeof(a)), cell(k, b, sizeof(b)));
		if (h->state == RES_OK && k->state == RES_OK && k->cycles > 0)
			printf(" %7.2f\n", h->cycles / k->cycles);
		else
			printf(" %7s\n", "-");
	}
	print_notes("hvx", &hvx);
	print_notes("kvm", &kvm);

	printf("\ntargets (hvx <= ratio x KVM):\n");
	for (i = 0; i < ARRAY_SIZE(targets); i++) {
		const struct target *t = &targets[i];
		const struct result *h = find(&hvx, t->hvx);
		const struct result *k = find(&kvm, t->kvm);

		if (h->state != RES_OK || k->state != RES_OK) {
			printf("n/a   %-48s (hvx %s, KVM %s)\n", t->label,
			       cell(h, a, sizeof(a)), cell(k, b, sizeof(b)));
			na++;
		} else if (h->cycles <= t->ratio * k->cycles) {
			printf("PASS  %-48s (%.1f <= %g x %.1f)\n", t->label,
			       h->cycles, t->ratio, k->cycles);
			pass++;
		} else {
			printf("MISS  %-48s (%.1f > %g x %.1f)\n", t->label,
			       h->cycles, t->ratio, k->cycles);
			miss++;
		}
	}
	printf("targets: %u PASS, %u MISS, %u n/a\n", pass, miss, na);
	return 0;
}

static void usage(void)
{
	unsigned int i;

	fprintf(stderr,
		"usage: bench [-r ROUNDS] [-s PERCENT] hvx|kvm [CASE...]\n"
		"       bench table HVX_RESULTS KVM_RESULTS\n"
		"       bench linux [-m SIZE] [-x HVX_RUN] [-o FILE] hvx|kvm KERNEL INITRD CMDLINE\n"
		"       bench linux-table HVX_RESULTS KVM_RESULTS\n"
		"       bench linux-thp HVX_OFF HVX_ON KVM_OFF KVM_ON\n"
		"       bench touch-table RESULTS...\n"
		"  -r ROUNDS   rounds per case, odd, the median is reported (5)\n"
		"  -s PERCENT  scale every case's iteration count (100)\n"
		"cases:");
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		fprintf(stderr, " %s", cases[i].name);
	fprintf(stderr, "\n(first_touch runs only when named)\n");
}

int main(int argc, char **argv)
{
	unsigned int rounds = 5, percent = 100;
	int opt;

	while ((opt = getopt(argc, argv, "+r:s:h")) != -1) {
		switch (opt) {
		case 'r':
			rounds = strtoul(optarg, NULL, 0);
			break;
		case 's':
			percent = strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
			return 2;
		}
	}
	/* an odd number, so that the median is one round's figure */
	if (optind >= argc || !(rounds & 1) || rounds > MAX_ROUNDS ||
	    !percent) {
		usage();
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[optind], "linux"))
		return linux_main(argc - optind, argv + optind);
	if (!strcmp(argv[optind], "linux-table")) {
		if (argc - optind != 3) {
			usage();
			return 2;
		}
		return linux_table(argv[optind + 1], argv[optind + 2]);
	}
	if (!strcmp(argv[optind], "linux-thp")) {
		if (argc - optind != 5) {
			usage();
			return 2;
		}
		return linux_thp_table(argv + optind + 1);
	}
	if (!strcmp(argv[optind], "touch-table")) {
		if (argc - optind < 2) {
			usage();
			return 2;
		}
		return touch_table(argc - optind - 1, argv + optind + 1);
	}
	if (!strcmp(argv[optind], "table")) {
		if (argc - optind != 3) {
			usage();
			return 2;
		}
		return print_table(argv[optind + 1], argv[optind + 2]);
	}
	if (!strcmp(argv[optind], "hvx"))
		return run_backend(&hvx_backend, argv + optind + 1,
				   argc - optind - 1, rounds, percent);
	if (!strcmp(argv[optind], "kvm"))
		return run_backend(&kvm_backend, argv + optind + 1,
				   argc - optind - 1, rounds, percent);
	usage();
	return 2;
}
