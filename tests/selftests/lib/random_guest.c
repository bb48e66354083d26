// SPDX-License-Identifier: GPL-2.0
/*
 * Random guests (random_guest.h): their memory, registers and tables,
 * the hostile extras make stress adds, and the run to a defined end.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/time.h>
#include <asm/vmx.h>

#include "random_guest.h"

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
#define PM_PD_GPA	HIGH_RAM_GPA

/* Long mode: the library's layout; everything above RAM is MMIO. */
#define LM_RAM_SIZE	(16 * MiB)
#define LM_CODE_GPA	GUEST_SCRATCH_GPA
#define LM_MMIO_GPA	0x80000000ULL

#define APIC_GPA	0xfee00000ULL

const char * const rg_mode_name[RG_NR_MODES] = { "real", "pm32", "long" };
const char * const rg_end_name[RG_NR_ENDS] = {
	"time budget", "exit budget", "shutdown",
	"emulation limit (MMIO)", "emulation limit (INS/OUTS)",
	"MMIO during event delivery", "page walk in MMIO",
	"entry refused (state from HVX_SET_SREGS)", "BAD",
};

/*
 * The current guest got hostile state through HVX_SET_SREGS (the tests
 * run one guest at a time).
 */
static bool user_state;

/*
 * A register value: mostly an address in RAM, often one in MMIO, sometimes
 * anything.
 */
static uint64_t rnd_value(uint64_t *s, enum rg_mode mode)
{
	switch (rnd_below(s, 8)) {
	case 0:
		return rnd_below(s, 0x10000);
	case 1:
		return HOLE_GPA + rnd_below(s, HOLE_SIZE);
	case 2:
		return mode == RG_LONG ? LM_MMIO_GPA + rnd_below(s, MiB) :
		       HIGH_RAM_GPA + HIGH_RAM_SIZE + rnd_below(s, MiB);
	case 3:
		return rnd_below(s, 2) ? 0 : ~0ULL;
	case 4:
		return rnd_next(s);
	default:
		return mode == RG_LONG ?
		       GUEST_SCRATCH_GPA + rnd_below(s, GUEST_SCRATCH_SIZE) :
		       HIGH_RAM_GPA + rnd_below(s, HIGH_RAM_SIZE);
	}
}

static void random_gprs(uint64_t *s, struct hvx_regs *r, enum rg_mode mode)
{
	__u64 *g[] = { &r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi,
		       &r->rbp, &r->r8, &r->r9, &r->r10, &r->r11, &r->r12,
		       &r->r13, &r->r14, &r->r15 };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(g); i++)
		*g[i] = rnd_value(s, mode);
	if (mode != RG_LONG)
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

	rnd_fill(s, addr_gpa2hva(vm, CODE_GPA, CODE_SIZE), CODE_SIZE);
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
	random_gprs(s, &regs, RG_REAL);
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

	rnd_fill(s, addr_gpa2hva(vm, CODE_GPA, CODE_SIZE), CODE_SIZE);
	/* 32-bit interrupt gates, selector 0x08, into the random code */
	for (v = 0; v < 256; v++) {
		off = CODE_GPA + rnd_below(s, CODE_SIZE);
		idt[v] = (off & 0xffff) | 0x08ULL << 16 | 0x8eULL << 40 |
			 (off >> 16) << 48;
	}
	vcpu_setup_pm32(vcpu, PM_GDT_GPA, CODE_GPA,
			rnd_below(s, 2) ? 0x9000 : rnd_value(s, RG_PM32));

	vcpu_sregs_get(vcpu, &sregs);
	sregs.idt.base = idt_in_hole(s) ? HOLE_GPA + rnd_below(s, 0x1000) :
			 PM_IDT_GPA;
	sregs.idt.limit = 256 * 8 - 1;
	vcpu_sregs_set(vcpu, &sregs);

	vcpu_regs_get(vcpu, &regs);
	random_gprs(s, &regs, RG_PM32);
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

	rnd_fill(s, addr_gpa2hva(vm, LM_CODE_GPA, CODE_SIZE), CODE_SIZE);
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
	random_gprs(s, &regs, RG_LONG);
	regs.rsp = rnd_below(s, 2) ? rsp : rnd_value(s, RG_LONG);
	regs.rip = LM_CODE_GPA;
	vcpu_regs_set(vcpu, &regs);
	return vcpu;
}

/* ---- the hostile extras (make stress) ---- */

/* Instruction bytes written at the start of the random code. */
struct code_writer {
	uint8_t *p, *end;
};

static bool emit(struct code_writer *c, const void *bytes, size_t len)
{
	if (c->end - c->p < (long)len)
		return false;
	memcpy(c->p, bytes, len);
	c->p += len;
	return true;
}

static const uint16_t apic_regs[] = {
	0x080, 0x0b0, 0x0d0, 0x0e0, 0x0f0, 0x280, 0x300, 0x310,
	0x320, 0x350, 0x360, 0x370, 0x380, 0x3e0,
};

/* A value for APIC register @reg: mostly one that does something. */
static uint32_t apic_value(uint64_t *s, uint16_t reg)
{
	if (rnd_below(s, 4) == 0)
		return rnd_next(s);
	switch (reg) {
	case 0x0f0:	/* enabled, any spurious vector */
		return 0x100 | rnd_below(s, 256);
	case 0x320:	/* timer: one-shot, periodic or deadline; any vector */
		return rnd_below(s, 3) << 17 | rnd_below(s, 256);
	case 0x380:
		return rnd_below(s, 0x1000);
	case 0x300:	/* IPIs to itself or all: fixed, NMI, INIT, SIPI */
		return rnd_below(s, 4) << 18 | rnd_below(s, 8) << 8 |
		       rnd_below(s, 256);
	}
	return rnd_below(s, 0x100);
}

/* MOV to APIC registers, then the random code (32- or 64-bit mode). */
static void hostile_apic(uint64_t *s, struct code_writer *c, bool lm)
{
	unsigned int n = 1 + rnd_below(s, 8);
	uint8_t insn[16];
	uint32_t addr, val;
	uint64_t a64;

	while (n--) {
		addr = APIC_GPA + apic_regs[rnd_below(s, ARRAY_SIZE(apic_regs))];
		val = apic_value(s, addr & 0xfff);
		if (lm) {	/* mov rax, imm64; mov dword [rax], imm32 */
			a64 = addr;
			insn[0] = 0x48;
			insn[1] = 0xb8;
			memcpy(insn + 2, &a64, 8);
			insn[10] = 0xc7;
			insn[11] = 0x00;
			memcpy(insn + 12, &val, 4);
			if (!emit(c, insn, 16))
				return;
		} else {	/* mov dword [disp32], imm32 */
			insn[0] = 0xc7;
			insn[1] = 0x05;
			memcpy(insn + 2, &addr, 4);
			memcpy(insn + 6, &val, 4);
			if (!emit(c, insn, 10))
				return;
		}
	}
	/* STI half the time, so that what was programmed arrives */
	if (rnd_below(s, 2))
		emit(c, "\xfb", 1);
}

/* Byte stores into the code ahead: the guest rewrites what it runs next. */
static void hostile_smc(uint64_t *s, struct code_writer *c, enum rg_mode mode,
			uint64_t code_gpa)
{
	unsigned int n = 1 + rnd_below(s, 4);
	uint8_t insn[10];
	uint32_t target, disp;

	while (n--) {
		target = code_gpa + rnd_below(s, CODE_SIZE);
		if (mode != RG_REAL) {
			/*
			 * mov byte [disp32], imm8; in 64-bit mode the same
			 * bytes are RIP-relative: disp from the next insn
			 */
			disp = mode == RG_PM32 ? target : target -
			       (code_gpa + (c->p - (c->end - CODE_SIZE)) + 7);
			insn[0] = 0xc6;
			insn[1] = 0x05;
			memcpy(insn + 2, &disp, 4);
			insn[6] = rnd_next(s);
			if (!emit(c, insn, 7))
				return;
		} else {	/* mov byte cs:[disp16], imm8 */
			insn[0] = 0x2e;
			insn[1] = 0xc6;
			insn[2] = 0x06;
			insn[3] = target;
			insn[4] = target >> 8;
			insn[5] = rnd_next(s);
			if (!emit(c, insn, 6))
				return;
		}
	}
}

static const uint32_t hostile_msrs[] = {
	0x10, 0x1b, 0x3a, 0x174, 0x175, 0x176, 0x277, 0x6e0, 0x830, 0x838,
	0xc0000080, 0xc0000081, 0xc0000082, 0xc0000084, 0xc0000100,
	0xc0000101, 0xc0000102,
};

/*
 * Random CR0, CR4, EFER, CR3, descriptor tables, segments and MSRs, each
 * kept only if hvx takes it (a refused value is the test of its checks).
 */
static void hostile_state(uint64_t *s, struct test_vcpu *vcpu,
			  enum rg_mode mode)
{
	struct hvx_sregs sregs, orig;
	unsigned int n = 1 + rnd_below(s, 4), i;
	uint64_t val;

	vcpu_sregs_get(vcpu, &orig);
	for (i = 0; i < n; i++) {
		sregs = orig;
		val = rnd_below(s, 2) ? rnd_next(s) : rnd_value(s, mode);
		switch (rnd_below(s, 8)) {
		case 0:
			sregs.cr0 ^= 1ULL << rnd_below(s, 32);
			break;
		case 1:
			sregs.cr4 ^= 1ULL << rnd_below(s, 24);
			break;
		case 2:
			sregs.efer ^= 1ULL << rnd_below(s, 16);
			break;
		case 3:
			sregs.cr3 = val & ~0xfffULL;
			break;
		case 4:
			sregs.gdt.base = val;
			sregs.gdt.limit = rnd_next(s);
			break;
		case 5:
			sregs.idt.base = val;
			sregs.idt.limit = rnd_next(s);
			break;
		case 6:
			sregs.ds.selector = rnd_next(s);
			sregs.ds.ar = rnd_next(s) & 0x1f0ff;
			break;
		default:
			hvx_set_msr(vcpu->fd, hostile_msrs[rnd_below(s,
				    ARRAY_SIZE(hostile_msrs))], val);
			continue;
		}
		if (!__vcpu_ioctl(vcpu, HVX_SET_SREGS, &sregs)) {
			orig = sregs;
			user_state = true;
		}
	}
}

/* Page-table entries that point anywhere, with any flags. */
static void hostile_paging(uint64_t *s, struct test_vm *vm,
			   struct test_vcpu *vcpu, enum rg_mode mode)
{
	unsigned int n = 1 + rnd_below(s, 16), i;
	struct hvx_sregs sregs;
	uint64_t *table;
	uint32_t *pd;

	if (mode == RG_LONG) {
		table = addr_gpa2hva(vm, GUEST_PML4_GPA, GUEST_PT0_GPA +
				     4096 - GUEST_PML4_GPA);
		for (i = 0; i < n; i++)
			table[rnd_below(s, (GUEST_PT0_GPA + 4096 -
					    GUEST_PML4_GPA) / 8)] =
				rnd_below(s, 2) ? rnd_next(s) :
				(rnd_value(s, mode) & ~0xfffULL) | rnd_below(s, 0x1000);
		return;
	}
	if (mode != RG_PM32)
		return;
	/* 32-bit paging: a random page directory, 4 MiB pages or not */
	pd = addr_gpa2hva(vm, PM_PD_GPA, 4096);
	rnd_fill(s, pd, 4096);
	if (rnd_below(s, 2))
		pd[0] = 0x83;	/* the first 4 MiB identity-mapped */
	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr3 = PM_PD_GPA;
	sregs.cr4 |= rnd_below(s, 2) ? 0x10 : 0;	/* PSE */
	sregs.cr0 |= 0x80000000;
	/*
	 * Valid guest state, which a VM entry takes: only the tables it
	 * points at, guest memory, are hostile.  So not user_state: a
	 * failed entry later is hvx's, and ends the guest as bad.
	 */
	__vcpu_ioctl(vcpu, HVX_SET_SREGS, &sregs);
}

static void make_hostile(struct test_vm *vm, struct test_vcpu *vcpu,
			 enum rg_mode mode, uint64_t *s, unsigned int hostile)
{
	uint64_t code_gpa = mode == RG_LONG ? LM_CODE_GPA : CODE_GPA;
	uint8_t *code = addr_gpa2hva(vm, code_gpa, CODE_SIZE);
	struct code_writer c = { .p = code, .end = code + CODE_SIZE };

	if ((hostile & RG_HOSTILE_APIC) && mode != RG_REAL && rnd_below(s, 2))
		hostile_apic(s, &c, mode == RG_LONG);
	if ((hostile & RG_HOSTILE_SMC) && rnd_below(s, 4) == 0)
		hostile_smc(s, &c, mode, code_gpa);
	if ((hostile & RG_HOSTILE_STATE) && rnd_below(s, 4) == 0)
		hostile_state(s, vcpu, mode);
	if ((hostile & RG_HOSTILE_PAGING) && rnd_below(s, 4) == 0)
		hostile_paging(s, vm, vcpu, mode);
}

struct test_vm *random_guest_create(enum rg_mode mode, uint64_t *s,
				    const struct random_guest_opts *opts,
				    struct test_vcpu **vcpu)
{
	struct test_vm *vm;

	user_state = false;
	if (mode == RG_LONG) {
		vm = vm_create(LM_RAM_SIZE);
		*vcpu = setup_long(vm, s);
	} else {
		vm = create_low_vm();
		*vcpu = mode == RG_REAL ? setup_real(vm, s) :
					  setup_pm32(vm, s);
	}
	if (opts->hostile)
		make_hostile(vm, *vcpu, mode, s, opts->hostile);
	return vm;
}

/* ---- running ---- */

static struct hvx_run *volatile budget_run;

static void budget_expired(int sig)
{
	struct hvx_run *run = budget_run;

	if (run)
		run->immediate_exit = 1;
}

int random_guest_init(void)
{
	struct sigaction sa = { .sa_handler = budget_expired };

	return sigaction(SIGALRM, &sa, NULL);
}

static void arm_budget(struct hvx_run *run, unsigned int us)
{
	struct itimerval it = {
		.it_value.tv_sec = us / 1000000,
		.it_value.tv_usec = us % 1000000,
	};

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
static enum rg_end documented_limit(const struct hvx_run *run)
{
	switch (run->internal.suberror) {
	case HVX_INTERNAL_EMULATION:
		/*
		 * Only for an instruction touching what is not RAM: an MMIO
		 * access the decoder has no form for, code fetched from MMIO
		 * (EPT violation), INS/OUTS whose memory operand is not in
		 * RAM (I/O instruction).
		 */
		if (run->internal.data[0] == EXIT_REASON_EPT_VIOLATION)
			return RG_END_EMUL_MMIO;
		if (run->internal.data[0] == EXIT_REASON_IO_INSTRUCTION)
			return RG_END_EMUL_IO;
		break;
	case HVX_INTERNAL_DELIVERY:
		return RG_END_DELIVERY;
	case HVX_INTERNAL_PAGE_WALK:
		return RG_END_PAGE_WALK;
	}
	return RG_END_BAD;
}

static enum rg_end run_exits(struct test_vcpu *vcpu, unsigned int budget,
			     char *why, size_t len)
{
	struct hvx_run *run = vcpu->run;
	unsigned int exits;
	enum rg_end end;

	for (exits = 0; exits < budget; exits++) {
		if (__vcpu_run(vcpu) < 0) {
			if (errno == EINTR && run->immediate_exit)
				return RG_END_BUDGET;
			if (errno == EINTR)
				continue;
			snprintf(why, len, "HVX_RUN errno %d (%s)", errno,
				 strerror(errno));
			return RG_END_BAD;
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
			return RG_END_SHUTDOWN;
		case HVX_EXIT_FAIL_ENTRY:
			/* invalid guest state, not a VMfail of hvx's VMCS */
			if (user_state && !(run->fail_entry.hardware_exit_reason &
					    HVX_FAIL_ENTRY_VMFAIL))
				return RG_END_USER_STATE;
			break;
		case HVX_EXIT_INTERNAL_ERROR:
			end = documented_limit(run);
			if (end != RG_END_BAD)
				return end;
			break;
		}
		vcpu_exit_str(vcpu, why, len);
		return RG_END_BAD;
	}
	return RG_END_EXITS;
}

enum rg_end random_guest_run(struct test_vcpu *vcpu,
			     const struct random_guest_opts *opts,
			     char *why, size_t len)
{
	enum rg_end end;

	why[0] = 0;
	arm_budget(vcpu->run, opts->budget_us);
	end = run_exits(vcpu, opts->exit_budget, why, len);
	disarm_budget();
	return end;
}
