// SPDX-License-Identifier: GPL-2.0
/*
 * guests: the hostile guests of make stress.
 *
 * The random guests of lib/random_guest.c, in turn in real, protected and
 * long mode, with every hostile extra: APIC and timer programming (IPIs
 * to itself included), stores into the guest's own code, random CR0, CR4,
 * EFER, CR3, descriptor tables, segments and MSRs, and page tables that
 * point anywhere.  Each must end as random_guest.h allows; a canary page
 * of this process, never given to a VM, must keep its contents.
 *
 * Usage: guests [--seed S] [--guests N] [--first I]
 * Guest I of a run is the same for a seed whatever N is: --first I
 * --guests 1 replays one.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "random_guest.h"

#define CANARY_BYTE(i)	((uint8_t)((i) * 0x9d + 0x5a))

static const struct random_guest_opts opts = {
	.hostile = RG_HOSTILE_ALL,
	.budget_us = 5000,
	.exit_budget = 500,
};

static uint8_t *canary;

static bool canary_intact(void)
{
	size_t i;

	for (i = 0; i < 4096; i++)
		if (canary[i] != CANARY_BYTE(i))
			return false;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "guests", required_argument, NULL, 'n' },
		{ "first", required_argument, NULL, 'f' },
		{}
	};
	unsigned long n = 10000, first = 0, i, count[RG_NR_ENDS] = {};
	uint64_t seed = 0x15c0ffee, s;
	unsigned int bad_canary = 0;
	struct timespec t0, t1;
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	enum rg_mode mode;
	enum rg_end end;
	char why[256];
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			n = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			first = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: guests [--seed S] [--guests N] [--first I]\n");
			return 2;
		}
	}
	canary = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (canary == MAP_FAILED || random_guest_init()) {
		perror("guests");
		return 2;
	}
	for (i = 0; i < 4096; i++)
		canary[i] = CANARY_BYTE(i);
	printf("guests: seed %#llx, guests %lu-%lu (--seed %#llx --first I --guests 1 replays guest I)\n",
	       (unsigned long long)seed, first, first + n - 1,
	       (unsigned long long)seed);
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = first; i < first + n; i++) {
		mode = i % RG_NR_MODES;
		s = rg_guest_seed(seed, mode, i);
		vm = random_guest_create(mode, &s, &opts, &vcpu);
		end = random_guest_run(vcpu, &opts, why, sizeof(why));
		count[end]++;
		if (end == RG_END_BAD)
			printf("guests: guest %lu (%s mode, --first %lu): %s\n",
			       i, rg_mode_name[mode], i, why);
		vm_free(vm);
		if (!canary_intact()) {
			bad_canary++;
			printf("guests: the canary page changed after guest %lu\n", i);
			for (s = 0; s < 4096; s++)
				canary[s] = CANARY_BYTE(s);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (i = 0; i < RG_NR_ENDS; i++)
		printf("guests: %lu ended by %s\n", count[i], rg_end_name[i]);
	printf("GUESTS seed=%#llx guests=%lu wrong=%lu canary=%s seconds=%.1f\n",
	       (unsigned long long)seed, n, count[RG_END_BAD] + bad_canary,
	       bad_canary ? "CHANGED" : "intact",
	       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return count[RG_END_BAD] || bad_canary ? 1 : 0;
}
