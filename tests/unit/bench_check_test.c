// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-bench's checks of a case (tools/hvx-bench/main.c,
 * built into this program): a fake backend plays the guest's rounds, and
 * run_case() must fail the case (check=FAIL on its RESULT line, -1) when
 * any one round took the wrong number of interrupts or failed the
 * guest's own check, not only the last round.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* main.c first: its ARRAY_SIZE is the one kselftest.h then leaves be */
#define main bench_main
#include "../../tools/hvx-bench/main.c"
#undef main

#include "kselftest_harness.h"

#define NR_ROUNDS	5

/*
 * What the fake guest does in each round: @irqs_off is added to the
 * interrupts it takes (warm + n), @mismatch is its failed checks.
 */
static struct {
	int irqs_off[NR_ROUNDS];
	uint32_t mismatch[NR_ROUNDS];
	unsigned int round;
	uint64_t irqs_total;
} fake;

static int fake_open(void)
{
	return 0;
}

static int fake_setup(const struct bench_case *c, const char **why)
{
	fake.round = 0;
	fake.irqs_total = 0;
	return 0;
}

static int fake_run(struct guest_params *p, struct bench_counts *cnt)
{
	unsigned int i = fake.round++;

	p->done = GUEST_DONE_MAGIC;
	/* the round that lost an interrupt is the cheaper one */
	p->delta = (uint64_t)p->n * (fake.irqs_off[i] < 0 ? 500 : 1000 + i);
	p->irqs = p->warm + p->n + fake.irqs_off[i];
	p->mismatch = fake.mismatch[i];
	fake.irqs_total += p->warm + p->n;
	cnt->exits++;
	return 0;
}

static void fake_teardown(const struct bench_case *c,
			  struct bench_counts *cnt)
{
	/* vCPU 1 of ipi_roundtrip answered every IPI */
	cnt->ap_ipis = fake.irqs_total;
}

static void fake_close(void)
{
}

static const struct bench_backend fake_backend = {
	.name = "fake",
	.mask = BENCH_HVX | BENCH_KVM,
	.open = fake_open,
	.setup = fake_setup,
	.run = fake_run,
	.teardown = fake_teardown,
	.close = fake_close,
};

/* What main.c calls besides: none of it is reached here. */
const struct bench_backend hvx_backend, kvm_backend;

int linux_main(int argc, char **argv)
{
	return 2;
}

int linux_table(const char *hvx_path, const char *kvm_path)
{
	return 2;
}

int linux_thp_table(char **files)
{
	return 2;
}

int touch_table(int argc, char **argv)
{
	return 2;
}

int touch_run(const struct bench_backend *be, struct guest_params *p,
	      struct bench_counts *cnt, struct bench_mm *mm, uint64_t *bad)
{
	return -1;
}

void touch_print_round(const char *be, unsigned int round, double per_page,
		       const struct bench_mm *mm, uint64_t bad)
{
}

void touch_print_result(const struct bench_mm *mm, double per_page)
{
}

void ev_latency_read(uint64_t *cycles, uint64_t *relays)
{
	*cycles = 0;
	*relays = 0;
}

bool ev_latency_unpinned(void)
{
	return true;
}

int bench_pin_self(int cpu)
{
	return -1;
}

void linux_boot_diff(struct linux_boot *b, const struct linux_boot *before,
		     const struct linux_boot *after)
{
}

static const struct bench_case *case_named(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	return NULL;
}

/*
 * Run the case @name on the fake backend as set up in @fake; its RESULT
 * line into @line, run_case()'s return value.
 */
static int run_named(const char *name, char *line, size_t len)
{
	const struct bench_case *c = case_named(name);
	FILE *out = tmpfile();
	int saved, ret;
	size_t n;

	if (!c || !out)
		return -2;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fileno(out), STDOUT_FILENO);
	ret = run_case(&fake_backend, c, NR_ROUNDS, 10);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	rewind(out);
	n = fread(line, 1, len - 1, out);
	line[n] = 0;
	fclose(out);
	return ret;
}

static void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
}

/* Case @name, run as @fake is set up, fails its check saying @want. */
static void expect_check_fail(struct __test_metadata *_metadata,
			      const char *name, const char *want)
{
	char line[512];

	EXPECT_EQ(-1, run_named(name, line, sizeof(line)))
		TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, want))
		TH_LOG("%s", line);
}

TEST(every_round_complete_passes)
{
	static const char *const names[] = {
		"lapic_timer", "msi_irqfd", "ipi_roundtrip", "mmio_read",
		"tsc_deadline",
	};
	char line[512];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		fake_reset();
		EXPECT_EQ(0, run_named(names[i], line, sizeof(line)))
			TH_LOG("%s: %s", names[i], line);
		EXPECT_EQ(NULL, strstr(line, "check=FAIL"))
			TH_LOG("%s: %s", names[i], line);
	}
}

/* The bad round is the median's: its figure would be the case's. */
TEST(one_round_lost_a_timer_interrupt)
{
	fake_reset();
	fake.irqs_off[1] = -1;
	expect_check_fail(_metadata, "lapic_timer",
			  "check=FAIL(1 of 5 rounds");
}

TEST(several_rounds_lost_interrupts)
{
	fake_reset();
	fake.irqs_off[0] = -1;
	fake.irqs_off[2] = -3;
	fake.irqs_off[3] = -1;
	expect_check_fail(_metadata, "lapic_timer",
			  "check=FAIL(3 of 5 rounds");
}

TEST(msi_round_with_an_extra_interrupt)
{
	fake_reset();
	fake.irqs_off[2] = 1;
	expect_check_fail(_metadata, "msi_irqfd",
			  "check=FAIL(1 of 5 rounds");
}

TEST(ipi_round_short)
{
	fake_reset();
	fake.irqs_off[0] = -1;
	expect_check_fail(_metadata, "ipi_roundtrip",
			  "check=FAIL(1 of 5 rounds");
}

TEST(mmio_read_wrong_value)
{
	fake_reset();
	fake.mismatch[3] = 1;
	expect_check_fail(_metadata, "mmio_read",
			  "check=FAIL(1 of 5 rounds: the closing load");
}

TEST(tsc_deadline_not_armed)
{
	fake_reset();
	fake.mismatch[0] = 1;
	fake.mismatch[4] = 1;
	expect_check_fail(_metadata, "tsc_deadline",
			  "check=FAIL(2 of 5 rounds: IA32_TSC_DEADLINE");
}

TEST_HARNESS_MAIN
