/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Random guests: random bytes run as guest code in real mode, 32-bit
 * protected mode and long mode, with random registers, an interrupt table
 * whose handlers are more random code, and an MMIO hole; random_guest_test
 * and make stress's hostile guests (tests/stress/guests.c) share them.
 *
 * A guest runs until a time budget (a timer signal sets immediate_exit),
 * an exit budget, a triple fault or an internal error; port I/O, MMIO,
 * HLT, hypercalls and MSR exits are served as a trivial device model
 * would.  It may end only in a way hardware also has (shutdown) or in one
 * of hvx's documented limits: an MMIO access by an instruction the
 * decoder does not know, code fetched from MMIO, INS/OUTS with a memory
 * operand hvx cannot copy, an MMIO access while the CPU delivers an
 * event, or a guest paging structure outside RAM.  With the hostile
 * extras, a VM entry the processor refuses after HVX_SET_SREGS took
 * hostile state is one more (api.rst: hvx checks CR0, CR4 and EFER, the
 * processor the rest).  Anything else is RG_END_BAD.
 */
#ifndef HVX_SELFTEST_RANDOM_GUEST_H
#define HVX_SELFTEST_RANDOM_GUEST_H

#include "hvx_util.h"
#include "prng.h"

enum rg_mode { RG_REAL, RG_PM32, RG_LONG, RG_NR_MODES };

enum rg_end {
	RG_END_BUDGET, RG_END_EXITS, RG_END_SHUTDOWN, RG_END_EMUL_MMIO,
	RG_END_EMUL_IO, RG_END_DELIVERY, RG_END_PAGE_WALK,
	RG_END_USER_STATE, RG_END_BAD, RG_NR_ENDS
};

/* What is random besides code, registers and the interrupt table. */
#define RG_HOSTILE_APIC		(1U << 0)	/* APIC and timer programming */
#define RG_HOSTILE_SMC		(1U << 1)	/* stores into its own code */
#define RG_HOSTILE_STATE	(1U << 2)	/* CRs, EFER, MSRs, tables */
#define RG_HOSTILE_PAGING	(1U << 3)	/* page tables point anywhere */
#define RG_HOSTILE_ALL		0xfU

struct random_guest_opts {
	unsigned int hostile;		/* RG_HOSTILE_* */
	unsigned int budget_us;		/* test-host time per guest */
	unsigned int exit_budget;	/* exits per guest */
};

extern const char * const rg_mode_name[RG_NR_MODES];
extern const char * const rg_end_name[RG_NR_ENDS];

/* The state of guest @i of @mode in the run of @seed. */
static inline uint64_t rg_guest_seed(uint64_t seed, enum rg_mode mode,
				     unsigned int i)
{
	return rnd_stream(seed ^ ((uint64_t)mode << 56), i);
}

/* Install the budget timer's SIGALRM handler; 0 or -1 (errno). */
int random_guest_init(void);

/* A fresh VM with vCPU 0 set up as random guest @s of @mode. */
struct test_vm *random_guest_create(enum rg_mode mode, uint64_t *s,
				    const struct random_guest_opts *opts,
				    struct test_vcpu **vcpu);

/* Run it to its end; for RG_END_BAD, @why says what happened. */
enum rg_end random_guest_run(struct test_vcpu *vcpu,
			     const struct random_guest_opts *opts,
			     char *why, size_t len);

#endif /* HVX_SELFTEST_RANDOM_GUEST_H */
