// SPDX-License-Identifier: GPL-2.0
/*
 * random_guest_test: a guest must never make hvx write an invalid VMCS.
 *
 * Random bytes run as guest code in real mode, 32-bit protected mode and
 * long mode, with random registers, an interrupt table whose handlers are
 * more random code, and an MMIO hole.  Each guest runs until a time budget
 * (a timer signal sets immediate_exit), an exit budget, a triple fault or
 * an internal error; port I/O, MMIO, HLT, hypercalls and MSR exits are
 * served as a trivial device model would.  A guest may end only in a way
 * hardware also has (shutdown) or in one of hvx's documented limits: an
 * MMIO access by an instruction the decoder does not know, code fetched
 * from MMIO, INS/OUTS with a memory operand hvx cannot copy, an MMIO
 * access while the CPU delivers an event, or a guest paging structure
 * outside RAM.  HVX_EXIT_FAIL_ENTRY, any other internal error and any
 * HVX_RUN errno but EINTR fail the test.
 *
 * The seed is printed; HVX_RANDOM_SEED replays a run, HVX_RANDOM_GUESTS
 * sets the number of guests per mode and HVX_RANDOM_GUEST runs only that
 * one guest (by index) of each mode.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

#include "hvx_harness.h"

/* Real and protected mode: RAM with a PC's hole at 640 KiB - 1 MiB. */
#define LOW_RAM_SIZE	0xa0000ULL
#define HOLE_GPA	0xa0000ULL
#define HOLE_SIZE	0x60000ULL
#define HIGH_RAM_GPA	0x100000ULL
#define HIGH_RAM_SIZE	(3 * MiB)
#define CODE_GPA	0x1000ULL
#define CODE_SIZE	4096
#define PM_GDT_GPA	0x500ULL
#define PM_IDT_GPA	0x800ULL

/* Long mode: the library's layout; everything above RAM is MMIO. */
#define LM_RAM_SIZE	(16 * MiB)
#define LM_CODE_GPA	GUEST_SCRATCH_GPA
#define LM_MMIO_GPA	0x80000000ULL

/* VMX basic exit reasons in internal.data[0] */
#define EXIT_IO_INSTRUCTION	30
#define EXIT_EPT_VIOLATION	48

#define SEED_DEFAULT	0x15c0ffee	/* make check is repeatable */
#define GUESTS_DEFAULT	100	/* per mode, in make check */
#define TEST_TIMEOUT_S	300
#define BUDGET_US	30000	/* per guest, test-host time */
#define EXIT_BUDGET	3000	/* per guest */

enum mode { MODE_REAL, MODE_PM32, MODE_LONG, NR_MODES };
static const char * const mode_name[] = { "real", "pm32", "long" };

enum end {
	END_BUDGET, END_EXITS, END_SHUTDOWN, END_EMUL_MMIO, END_EMUL_IO,
	END_DELIVERY, END_PAGE_WALK, END_BAD, NR_ENDS
};
static const char * const end_name[] = {
	"time budget", "exit budget", "shutdown",
	"emulation limit (MMIO)", "emulation limit (INS/OUTS)",
	"MMIO during event delivery", "page walk in MMIO", "BAD",
};

/* xorshift64*: small, and the same sequence everywhere for a seed. */
static uint64_t rnd_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static uint64_t rnd_below(uint64_t *s, uint64_t n)
{
	return rnd_next(s) % n;
}

static uint64_t guest_seed(uint64_t seed, int mode, unsigned int i)
{
	uint64_t s = seed ^ ((uint64_t)mode << 56) ^ (i * 0x9e3779b97f4a7c15ULL);

	return s ? s : 1;
}

/*
 * A register value: mostly an address in RAM, often one in MMIO, sometimes
 * anything.
 */
static uint64_t rnd_value(uint64_t *s, enum mode mode)
{
	switch (rnd_below(s, 8)) {
	case 0:
		return rnd_below(s, 0x10000);
	case 1:
		return HOLE_GPA + rnd_below(s, HOLE_SIZE);
	case 2:
		return mode == MODE_LONG ? LM_MMIO_GPA + rnd_below(s, MiB) :
		       HIGH_RAM_GPA + HIGH_RAM_SIZE + rnd_below(s, MiB);
	case 3:
		return rnd_below(s, 2) ? 0 : ~0ULL;
	case 4:
		return rnd_next(s);
	default:
		return mode == MODE_LONG ?
		       GUEST_SCRATCH_GPA + rnd_below(s, GUEST_SCRATCH_SIZE) :
		       HIGH_RAM_GPA + rnd_below(s, HIGH_RAM_SIZE);
	}
}

static void fill_random(uint64_t *s, uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = rnd_next(s) >> 56;
}

static void random_gprs(uint64_t *s, struct hvx_regs *r, enum mode mode)
{
	__u64 *g[] = { &r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi,
		       &r->rbp, &r->r8, &r->r9, &r->r10, &r->r11, &r->r12,
		       &r->r13, &r->r14, &r->r15 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(g); i++)
		*g[i] = rnd_value(s, mode);
	if (mode != MODE_LONG)
		for (i = 0; i < ARRAY_SIZE(g); i++)
			*g[i] &= 0xffffffff;
}

/* One guest in eight has its interrupt table in the MMIO hole. */
static bool idt_in_hole(uint64_t *s)
{
	return rnd_below(s, 8) == 0;
}

static struct test_vm *create_low_vm(void)
{
	struct test_vm *vm = vm_create_bare(LOW_RAM_SIZE);

	vm_mem_add(vm, 1, 0, HIGH_RAM_GPA, HIGH_RAM_SIZE);
	return vm;
}

static struct test_vcpu *setup_real(struct test_vm *vm, uint64_t *s)
{
	struct test_vcpu *vcpu = vm_vcpu_add_bare(vm, 0);
	uint16_t *ivt = addr_gpa2hva(vm, 0, 1024);
	struct hvx_sregs sregs;
	struct hvx_regs regs;
	int v;

	fill_random(s, addr_gpa2hva(vm, CODE_GPA, CODE_SIZE), CODE_SIZE);
	/* every vector is a far pointer 0:offset into the random code */
	for (v = 0; v < 256; v++) {
		ivt[2 * v] = CODE_GPA + rnd_below(s, CODE_SIZE);
		ivt[2 * v + 1] = 0;
	}
	vcpu_setup_real_mode(vcpu, CODE_GPA, rnd_below(s, 0x10000));

	vcpu_sregs_get(vcpu, &sregs);
	if (idt_in_hole(s))
		sregs.idt.base = HOLE_GPA + rnd_below(s, 0x1000);
	sregs.ss.selector = rnd_below(s, 2) ? 0 : rnd_below(s, 0x10000);
	sregs.ss.base = (uint64_t)sregs.ss.selector << 4;
	sregs.ds.selector = rnd_below(s, 0x10000);
	sregs.ds.base = (uint64_t)sregs.ds.selector << 4;
	vcpu_sregs_set(vcpu, &sregs);

	vcpu_regs_get(vcpu, &regs);
	random_gprs(s, &regs, MODE_REAL);
	vcpu_regs_set(vcpu, &regs);
	return vcpu;
}

static struct test_vcpu *setup_pm32(struct test_vm *vm, uint64_t *s)
{
	struct test_vcpu *vcpu = vm_vcpu_add_bare(vm, 0);
	uint64_t *idt = addr_gpa2hva(vm, PM_IDT_GPA, 256 * 8);
	struct hvx_sregs sregs;
	struct hvx_regs regs;
	uint64_t off;
	int v;

	fill_random(s, addr_gpa2hva(vm, CODE_GPA, CODE_SIZE), CODE_SIZE);
	/* 32-bit interrupt gates, selector 0x08, into the random code */
	for (v = 0; v < 256; v++) {
		off = CODE_GPA + rnd_below(s, CODE_SIZE);
		idt[v] = (off & 0xffff) | 0x08ULL << 16 | 0x8eULL << 40 |
			 (off >> 16) << 48;
	}
	vcpu_setup_pm32(vcpu, PM_GDT_GPA, CODE_GPA,
			rnd_below(s, 2) ? 0x9000 : rnd_value(s, MODE_PM32));

	vcpu_sregs_get(vcpu, &sregs);
	sregs.idt.base = idt_in_hole(s) ? HOLE_GPA + rnd_below(s, 0x1000) :
			 PM_IDT_GPA;
	sregs.idt.limit = 256 * 8 - 1;
	vcpu_sregs_set(vcpu, &sregs);

	vcpu_regs_get(vcpu, &regs);
	random_gprs(s, &regs, MODE_PM32);
	vcpu_regs_set(vcpu, &regs);
	return vcpu;
}

static void guest_unused(void)
{
}

static struct test_vcpu *setup_long(struct test_vm *vm, uint64_t *s)
{
	struct test_vcpu *vcpu = vm_vcpu_add(vm, 0, guest_unused);
	uint64_t *idt = addr_gpa2hva(vm, GUEST_IDT_GPA, 256 * 16);
	struct hvx_sregs sregs;
	struct hvx_regs regs;
	uint64_t off, rsp;
	int v;

	fill_random(s, addr_gpa2hva(vm, LM_CODE_GPA, CODE_SIZE), CODE_SIZE);
	/* 64-bit interrupt gates into the random code instead of the library's */
	for (v = 0; v < 256; v++) {
		off = LM_CODE_GPA + rnd_below(s, CODE_SIZE);
		idt[2 * v] = (off & 0xffff) | (uint64_t)GUEST_CS_SEL << 16 |
			     0x8eULL << 40 | ((off >> 16) & 0xffff) << 48;
		idt[2 * v + 1] = off >> 32;
	}
	if (idt_in_hole(s)) {
		vcpu_sregs_get(vcpu, &sregs);
		sregs.idt.base = LM_MMIO_GPA + rnd_below(s, 0x1000);
		vcpu_sregs_set(vcpu, &sregs);
	}

	vcpu_regs_get(vcpu, &regs);
	rsp = regs.rsp;
	random_gprs(s, &regs, MODE_LONG);
	regs.rsp = rnd_below(s, 2) ? rsp : rnd_value(s, MODE_LONG);
	regs.rip = LM_CODE_GPA;
	vcpu_regs_set(vcpu, &regs);
	return vcpu;
}

static struct hvx_run *volatile budget_run;

static void budget_expired(int sig)
{
	struct hvx_run *run = budget_run;

	if (run)
		run->immediate_exit = 1;
}

static void arm_budget(struct hvx_run *run)
{
	struct itimerval it = { .it_value.tv_usec = BUDGET_US };

	budget_run = run;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_budget(void)
{
	struct itimerval it = {};

	setitimer(ITIMER_REAL, &it, NULL);
	budget_run = NULL;
}

/* The internal errors hvx documents as its limits, not as its bugs. */
static enum end documented_limit(const struct hvx_run *run)
{
	switch (run->internal.suberror) {
	case HVX_INTERNAL_EMULATION:
		/*
		 * Only for an instruction touching what is not RAM: an MMIO
		 * access the decoder has no form for, code fetched from MMIO
		 * (EPT violation), INS/OUTS whose memory operand is not in
		 * RAM (I/O instruction).
		 */
		if (run->internal.data[0] == EXIT_EPT_VIOLATION)
			return END_EMUL_MMIO;
		if (run->internal.data[0] == EXIT_IO_INSTRUCTION)
			return END_EMUL_IO;
		break;
	case HVX_INTERNAL_DELIVERY:
		return END_DELIVERY;
	case HVX_INTERNAL_PAGE_WALK:
		return END_PAGE_WALK;
	}
	return END_BAD;
}

static enum end run_guest(struct test_vcpu *vcpu, char *why, size_t len)
{
	struct hvx_run *run = vcpu->run;
	unsigned int exits;
	enum end end;
	int ret;

	for (exits = 0; exits < EXIT_BUDGET; exits++) {
		ret = __vcpu_run(vcpu);
		if (ret < 0) {
			if (errno == EINTR && run->immediate_exit)
				return END_BUDGET;
			if (errno == EINTR)
				continue;
			snprintf(why, len, "HVX_RUN errno %d (%s)", errno,
				 strerror(errno));
			return END_BAD;
		}
		switch (run->exit_reason) {
		case HVX_EXIT_IO:
		case HVX_EXIT_HLT:
		case HVX_EXIT_HYPERCALL:
			continue;
		case HVX_EXIT_MMIO:
			if (!run->mmio.is_write)
				memset(run->mmio.data, 0xff,
				       sizeof(run->mmio.data));
			continue;
		case HVX_EXIT_RDMSR:
		case HVX_EXIT_WRMSR:
			run->msr.error = 1;
			continue;
		case HVX_EXIT_SHUTDOWN:
			return END_SHUTDOWN;
		case HVX_EXIT_INTERNAL_ERROR:
			end = documented_limit(run);
			if (end != END_BAD)
				return end;
			break;
		}
		vcpu_exit_str(vcpu, why, len);
		return END_BAD;
	}
	return END_EXITS;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 0) : dflt;
}

static void run_mode(struct __test_metadata *_metadata, enum mode mode)
{
	uint64_t seed = env_u64("HVX_RANDOM_SEED", SEED_DEFAULT);
	unsigned int n = env_u64("HVX_RANDOM_GUESTS", GUESTS_DEFAULT);
	long only = (long)env_u64("HVX_RANDOM_GUEST", -1ULL);
	unsigned int count[NR_ENDS] = {}, i;
	struct sigaction sa = { .sa_handler = budget_expired };
	struct timespec t0, t1;
	char why[256];

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ksft_print_msg("%s mode: seed HVX_RANDOM_SEED=%#llx, %u guests\n",
		       mode_name[mode], (unsigned long long)seed, n);
	for (i = 0; i < n; i++) {
		uint64_t s = guest_seed(seed, mode, i);
		struct test_vcpu *vcpu;
		struct test_vm *vm;
		enum end end;

		if (only >= 0 && i != only)
			continue;
		if (mode == MODE_LONG) {
			vm = vm_create(LM_RAM_SIZE);
			vcpu = setup_long(vm, &s);
		} else {
			vm = create_low_vm();
			vcpu = mode == MODE_REAL ? setup_real(vm, &s) :
						   setup_pm32(vm, &s);
		}
		why[0] = 0;
		arm_budget(vcpu->run);
		end = run_guest(vcpu, why, sizeof(why));
		disarm_budget();
		count[end]++;
		if (end == END_BAD) {
			ksft_print_msg("%s guest %u (HVX_RANDOM_GUEST=%u): %s\n",
				       mode_name[mode], i, i, why);
			fflush(stdout);
		}
		vm_free(vm);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ksft_print_msg("%s mode: %u guests in %.1f s\n", mode_name[mode], n,
		       t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (i = 0; i < NR_ENDS; i++) {
		if (count[i] || i == END_BAD)
			ksft_print_msg("%s mode: %u ended by %s\n",
				       mode_name[mode], count[i], end_name[i]);
	}
	fflush(stdout);
	EXPECT_EQ(0, count[END_BAD]) {
		TH_LOG("%u %s-mode guests ended as hardware never would (seed %#llx)",
		       count[END_BAD], mode_name[mode],
		       (unsigned long long)seed);
	}
}

HVX_TEST_TIMEOUT(random_real_mode, TEST_TIMEOUT_S)
{
	HVX_REQUIRE_VM();
	run_mode(_metadata, MODE_REAL);
}

HVX_TEST_TIMEOUT(random_protected_mode, TEST_TIMEOUT_S)
{
	HVX_REQUIRE_VM();
	run_mode(_metadata, MODE_PM32);
}

HVX_TEST_TIMEOUT(random_long_mode, TEST_TIMEOUT_S)
{
	HVX_REQUIRE_VM();
	run_mode(_metadata, MODE_LONG);
}

TEST_HARNESS_MAIN
