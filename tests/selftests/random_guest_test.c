// SPDX-License-Identifier: GPL-2.0
/*
 * random_guest_test: a guest must never make hvx write an invalid VMCS.
 *
 * The random guests of lib/random_guest.c (random_guest.h says what they
 * are and how they may end), 100 per mode, without the hostile extras of
 * make stress.  HVX_EXIT_FAIL_ENTRY, any internal error but hvx's
 * documented limits and any HVX_RUN errno but EINTR fail the test.
 *
 * The seed is printed; HVX_RANDOM_SEED replays a run, HVX_RANDOM_GUESTS
 * sets the number of guests per mode and HVX_RANDOM_GUEST runs only that
 * one guest (by index) of each mode.
 */
#include <stdlib.h>
#include <time.h>

#include "hvx_harness.h"
#include "random_guest.h"

#define SEED_DEFAULT	0x15c0ffee	/* make check is repeatable */
#define GUESTS_DEFAULT	100	/* per mode, in make check */
#define TEST_TIMEOUT_S	300

static const struct random_guest_opts opts = {
	.budget_us = 30000,	/* per guest, test-host time */
	.exit_budget = 3000,
};

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

static void run_mode(struct __test_metadata *_metadata, enum rg_mode mode)
{
	uint64_t seed = env_u64("HVX_RANDOM_SEED", SEED_DEFAULT);
	unsigned int n = env_u64("HVX_RANDOM_GUESTS", GUESTS_DEFAULT);
	long only = (long)env_u64("HVX_RANDOM_GUEST", -1ULL);
	unsigned int count[RG_NR_ENDS] = {}, i, kinds = 0;
	struct timespec t0, t1;
	char why[256];

	ASSERT_EQ(0, random_guest_init());
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ksft_print_msg("%s mode: seed HVX_RANDOM_SEED=%#llx, %u guests\n",
		       rg_mode_name[mode], (unsigned long long)seed, n);
	for (i = 0; i < n; i++) {
		uint64_t s = rg_guest_seed(seed, mode, i);
		struct test_vcpu *vcpu;
		struct test_vm *vm;
		enum rg_end end;

		if (only >= 0 && i != only)
			continue;
		vm = random_guest_create(mode, &s, &opts, &vcpu);
		end = random_guest_run(vcpu, &opts, why, sizeof(why));
		count[end]++;
		if (end == RG_END_BAD) {
			ksft_print_msg("%s guest %u (HVX_RANDOM_GUEST=%u): %s\n",
				       rg_mode_name[mode], i, i, why);
			fflush(stdout);
		}
		vm_free(vm);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ksft_print_msg("%s mode: %u guests in %.1f s\n", rg_mode_name[mode], n,
		       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (i = 0; i < RG_NR_ENDS; i++) {
		kinds += count[i] != 0;
		if (count[i] || i == RG_END_BAD)
			ksft_print_msg("%s mode: %u ended by %s\n",
				       rg_mode_name[mode], count[i], rg_end_name[i]);
	}
	fflush(stdout);
	EXPECT_EQ(0, count[RG_END_BAD]) {
		TH_LOG("%u %s-mode guests ended as hardware never would (seed %#llx)",
		       count[RG_END_BAD], rg_mode_name[mode],
		       (unsigned long long)seed);
	}
	/*
	 * The guests must get somewhere: a generator or setup that broke
	 * every guest at its first instruction would end them all alike
	 * (each mode's 100 guests end in five or six ways; a short replay
	 * with fewer guests need not).
	 */
	if (only < 0 && n >= GUESTS_DEFAULT)
		EXPECT_LE(3, kinds) {
			TH_LOG("%s-mode guests ended in %u ways only",
			       rg_mode_name[mode], kinds);
		}
}

HVX_TEST_TIMEOUT(random_real_mode, TEST_TIMEOUT_S)
{
	HVX_REQUIRE_VM();
	run_mode(_metadata, RG_REAL);
}

HVX_TEST_TIMEOUT(random_protected_mode, TEST_TIMEOUT_S)
{
	HVX_REQUIRE_VM();
	run_mode(_metadata, RG_PM32);
}

HVX_TEST_TIMEOUT(random_long_mode, TEST_TIMEOUT_S)
{
	HVX_REQUIRE_VM();
	run_mode(_metadata, RG_LONG);
}

TEST_HARNESS_MAIN
