// SPDX-License-Identifier: GPL-2.0
/*
 * The first_touch case: what the guest's first write to each 4 KiB page
 * of fresh RAM costs, hvx beside KVM, with the host's transparent huge
 * pages as they are set (Documentation/bench.rst).  Every round, the
 * backend (hvx.c, kvm.c) gives the guest a new slot of TOUCH_SIZE bytes
 * at TOUCH_GPA, backed as hvx-run's RAM is (ram_alloc(): 2 MiB aligned,
 * MADV_HUGEPAGE), and reads its hypervisor's counters around the run.
 * Here: the guest's page directory, the check of what it wrote, the
 * lines the case prints, and "bench touch-table", which pairs them.
 *
 *   RESULT BACKEND first_touch CYCLES_PER_PAGE ... per_gib=N thp=SETTING
 *	ept_violations=N vm_exits=N pages_4k=N pages_2m=N
 *   ROUND BACKEND first_touch I ... (the same, for round I)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"
#define PAGES_PER_GIB	((1ULL << 30) / TOUCH_PAGE)

/* 32-bit paging: a page-directory entry mapping 4 MiB (CR4.PSE). */
#define PDE_P		(1U << 0)
#define PDE_RW		(1U << 1)
#define PDE_PS		(1U << 7)
#define PDE_SPAN	(4ULL << 20)

/* The target: hvx's first touch with THP at most half of KVM's. */
#define TARGET_RATIO	0.5

_Static_assert(TOUCH_GPA % PDE_SPAN == 0 && TOUCH_SIZE % PDE_SPAN == 0,
	       "the slot is whole 4 MiB pages");
_Static_assert(TOUCH_GPA + TOUCH_SIZE <= (1ULL << 32),
	       "32-bit paging reaches the slot");
_Static_assert(GUEST_PD_GPA % 4096 == 0 && GUEST_PD_GPA + 4096 <=
	       GUEST_STACK_TOP - 0x1000, "the page directory is below the stack");

/**
 * touch_page_dir() - write the page directory of first_touch
 * @ram: the base RAM (GPA 0), the guest image in it
 *
 * 4 MiB pages, 1:1: the first holds the base RAM (and the unbacked MMIO
 * addresses above it, which first_touch does not use), the others the
 * slot.
 *
 * Return: 0, or -1 (printed) when the guest image reaches the directory.
 */
int touch_page_dir(uint8_t *ram)
{
	uint32_t *pd = (uint32_t *)(ram + GUEST_PD_GPA);
	uint64_t a;

	if (GUEST_CODE_GPA + (bench_guest_end - bench_guest_start) >
	    GUEST_PD_GPA) {
		bench_err("the guest image reaches its page directory");
		return -1;
	}
	memset(pd, 0, 4096);
	pd[0] = PDE_P | PDE_RW | PDE_PS;
	for (a = TOUCH_GPA; a < TOUCH_GPA + TOUCH_SIZE; a += PDE_SPAN)
		pd[a / PDE_SPAN] = (uint32_t)a | PDE_P | PDE_RW | PDE_PS;
	return 0;
}

/*
 * What the guest wrote: page i of the @n it touched holds its loop
 * counter there, n - i.  The pages without it.
 */
static uint64_t touch_bad_pages(const uint8_t *slot, uint32_t n)
{
	uint64_t bad = 0;
	uint32_t i, v;

	for (i = 0; i < n; i++) {
		memcpy(&v, slot + (uint64_t)i * TOUCH_PAGE, sizeof(v));
		bad += v != n - i;
	}
	return bad;
}

/* A round's counters from two reads around it; -1 where either lacks. */
static void mm_delta(struct bench_mm *m, const struct bench_mm *before,
		     const struct bench_mm *after)
{
	*m = *after;
	m->ept_violations = before->ept_violations < 0 ||
			    after->ept_violations < 0 ? -1 :
			    after->ept_violations - before->ept_violations;
	m->vm_exits = before->vm_exits < 0 || after->vm_exits < 0 ? -1 :
		      after->vm_exits - before->vm_exits;
}

/**
 * touch_run() - one round of first_touch
 * @be: the backend, set up for the case
 * @p: the parameters, as for @be->run
 * @cnt: as for @be->run
 * @mm: out: the round's counters (EPT violations and exits during the
 *	run, pages mapped after it)
 * @bad: increased by the pages the guest did not write as it should
 *
 * On a fresh slot, the backend's counters read around the run.
 *
 * Return: 0, or -1 (printed).
 */
int touch_run(const struct bench_backend *be, struct guest_params *p,
	      struct bench_counts *cnt, struct bench_mm *mm, uint64_t *bad)
{
	struct bench_mm before, after;
	uint8_t *slot = be->touch_slot();

	if (!slot)
		return -1;
	be->mm_read(&before);
	if (be->run(p, cnt))
		return -1;
	be->mm_read(&after);
	mm_delta(mm, &before, &after);
	*bad += touch_bad_pages(slot, p->n);
	return 0;
}

/* The THP setting in force: the bracketed word of THP_ENABLED. */
static const char *thp_setting(char *buf, size_t len)
{
	char line[128], *a, *b;
	FILE *f = fopen(THP_ENABLED, "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return buf;
	if (fgets(line, sizeof(line), f)) {
		a = strchr(line, '[');
		b = a ? strchr(a, ']') : NULL;
		if (b)
			snprintf(buf, len, "%.*s", (int)(b - a - 1), a + 1);
	}
	fclose(f);
	return buf;
}

static void print_mm(const struct bench_mm *mm, double per_page)
{
	char thp[32];

	printf(" per_gib=%.0f thp=%s ept_violations=%" PRId64
	       " vm_exits=%" PRId64 " pages_4k=%" PRId64 " pages_2m=%" PRId64,
	       per_page * PAGES_PER_GIB, thp_setting(thp, sizeof(thp)),
	       mm->ept_violations, mm->vm_exits, mm->pages_4k, mm->pages_2m);
}

/**
 * touch_print_round() - the ROUND line of one first_touch round
 * @be: the backend's name
 * @round: its number, from 1
 * @per_page: its cycles per page
 * @mm: its counters
 * @bad: pages not as written so far
 */
void touch_print_round(const char *be, unsigned int round, double per_page,
		       const struct bench_mm *mm, uint64_t bad)
{
	printf("ROUND %s first_touch %u %.1f", be, round, per_page);
	print_mm(mm, per_page);
	printf(" bad=%" PRIu64 "\n", bad);
}

/**
 * touch_print_result() - the first_touch fields of the RESULT line
 * @mm: the last round's counters
 * @per_page: the median cycles per page
 */
void touch_print_result(const struct bench_mm *mm, double per_page)
{
	print_mm(mm, per_page);
}

/* ===== bench touch-table ===== */

/**
 * struct touch_row - the RESULT line of one backend at one THP setting
 * @be:		"hvx" or "kvm"
 * @thp:	the setting
 * @ok:		it has a number, and its check passed
 * @per_page:	cycles per page
 * @mm:		its counters
 */
struct touch_row {
	char be[8];
	char thp[16];
	bool ok;
	double per_page;
	struct bench_mm mm;
};

#define TOUCH_ROWS	16

static int64_t field(const char *line, const char *name)
{
	const char *p = strstr(line, name);

	return p ? strtoll(p + strlen(name), NULL, 10) : -1;
}

static void read_row(const char *line, struct touch_row *r)
{
	char be[8], val[32];
	const char *thp;

	memset(r, 0, sizeof(*r));
	if (sscanf(line, "RESULT %7s first_touch %31s", be, val) != 2)
		return;
	snprintf(r->be, sizeof(r->be), "%s", be);
	thp = strstr(line, " thp=");
	snprintf(r->thp, sizeof(r->thp), "%.*s",
		 thp ? (int)strcspn(thp + 5, "\n ") : 1, thp ? thp + 5 : "-");
	r->ok = strcmp(val, "error") && strcmp(val, "n/a") &&
		!strstr(line, "check=FAIL");
	r->per_page = strtod(val, NULL);
	r->mm.ept_violations = field(line, " ept_violations=");
	r->mm.vm_exits = field(line, " vm_exits=");
	r->mm.pages_4k = field(line, " pages_4k=");
	r->mm.pages_2m = field(line, " pages_2m=");
}

static unsigned int read_rows(int nfiles, char **files, struct touch_row *r)
{
	char line[512];
	unsigned int nr = 0;
	int i;

	for (i = 0; i < nfiles; i++) {
		FILE *f = fopen(files[i], "r");

		if (!f) {
			bench_err("%s: %s", files[i], strerror(errno));
			continue;
		}
		while (fgets(line, sizeof(line), f) && nr < TOUCH_ROWS) {
			read_row(line, &r[nr]);
			if (r[nr].be[0])
				nr++;
		}
		fclose(f);
	}
	return nr;
}

static const struct touch_row *find_row(const struct touch_row *r,
					unsigned int nr, const char *be,
					const char *thp)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (!strcmp(r[i].be, be) && !strcmp(r[i].thp, thp))
			return &r[i];
	return NULL;
}

/*
 * hvx with THP @thp against KVM with the same; 1 PASS, 0 MISS, -1 n/a.
 * Only on the same backing: a side whose slot got fewer 2 MiB pages (the
 * host's memory more fragmented for it) pays for 4 KiB pages, which says
 * nothing of the hypervisors.
 */
static int check_target(const struct touch_row *r, unsigned int nr,
			const char *thp)
{
	const struct touch_row *h = find_row(r, nr, "hvx", thp);
	const struct touch_row *k = find_row(r, nr, "kvm", thp);
	bool pass;

	if (!h || !k || !h->ok || !k->ok) {
		printf("n/a   first touch with THP %s <= 0.5 x KVM's (hvx %s, KVM %s)\n",
		       thp, h && h->ok ? "ok" : "no figure",
		       k && k->ok ? "ok" : "no figure");
		return -1;
	}
	if (h->mm.pages_2m < 0 || h->mm.pages_2m != k->mm.pages_2m) {
		printf("n/a   first touch with THP %s <= 0.5 x KVM's (not the same backing: 2 MiB maps hvx %" PRId64 ", KVM %" PRId64 ")\n",
		       thp, h->mm.pages_2m, k->mm.pages_2m);
		return -1;
	}
	pass = h->per_page <= TARGET_RATIO * k->per_page;
	printf("%s  first touch with THP %s <= 0.5 x KVM's (%.0f %s 0.5 x %.0f cycles/GiB)\n",
	       pass ? "PASS" : "MISS", thp, h->per_page * PAGES_PER_GIB,
	       pass ? "<=" : ">", k->per_page * PAGES_PER_GIB);
	return pass;
}

/**
 * touch_table() - "bench touch-table FILE...": the first_touch lines of
 *	the files, one row per backend and THP setting, and the target
 * @argc: the number of files
 * @argv: their paths
 *
 * Return: 0, or 1 when no file held a first_touch line.
 */
int touch_table(int argc, char **argv)
{
	static struct touch_row r[TOUCH_ROWS];
	unsigned int i, nr, pass = 0, miss = 0, na = 0;
	const struct touch_row *k;
	int t;

	nr = read_rows(argc, argv, r);
	if (!nr) {
		bench_err("touch-table: no first_touch results");
		return 1;
	}
	printf("%-8s %-4s %14s %9s %7s %10s %8s %7s %7s\n", "THP", "",
	       "cycles/GiB", "per page", "hvx/KVM", "EPT viol.",
	       "exits", "4K maps", "2M maps");
	for (i = 0; i < nr; i++) {
		k = find_row(r, nr, "kvm", r[i].thp);
		printf("%-8s %-4s", r[i].thp, r[i].be);
		if (!r[i].ok) {
			printf(" %14s (no figure: see its RESULT line)\n",
			       "error");
			continue;
		}
		printf(" %14.0f %9.1f", r[i].per_page * PAGES_PER_GIB,
		       r[i].per_page);
		if (strcmp(r[i].be, "kvm") && k && k->ok && k->per_page > 0)
			printf(" %7.2f", r[i].per_page / k->per_page);
		else
			printf(" %7s", "-");
		printf(" %10" PRId64 " %8" PRId64 " %7" PRId64 " %7" PRId64
		       "\n", r[i].mm.ept_violations, r[i].mm.vm_exits,
		       r[i].mm.pages_4k, r[i].mm.pages_2m);
	}
	puts("(per page: emulated cycles of one first write; EPT viol.: KVM's pf_taken;");
	puts(" exits: every VM exit of the run; maps: EPT pages after it; -1: not told)");

	printf("\ntargets:\n");
	for (i = 0; i < nr; i++) {
		/* each THP setting but never, once (at its hvx row) */
		if (strcmp(r[i].be, "hvx") || !strcmp(r[i].thp, "never"))
			continue;
		t = check_target(r, nr, r[i].thp);
		pass += t == 1;
		miss += t == 0;
		na += t < 0;
	}
	if (!pass && !miss && !na) {
		printf("n/a   first touch with THP <= 0.5 x KVM's (no run with THP)\n");
		na++;
	}
	printf("targets: %u PASS, %u MISS, %u n/a\n", pass, miss, na);
	return 0;
}
