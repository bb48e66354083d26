// SPDX-License-Identifier: GPL-2.0
/*
 * exception_test: exceptions in long-mode guests written in C.  The
 * guest's own handlers run for #UD and #BP; INT1 in a MOV SS shadow with
 * RFLAGS.TF is delivered once; a fault hvx raises pushes RFLAGS with RF
 * as the processor's own do; instruction breakpoints fire after an
 * emulated MMIO access and once on a REP INS of many exits, a #DB hvx
 * delivers clears DR7.GD and leaves DR6.BS; an exception without a handler is reported
 * (vector, error code, RIP, CR2); no IDT ends in a triple fault.
 */
#include "hvx_harness.h"

static volatile uint64_t ud_count, bp_count;

static void ud_skip(struct guest_ex_regs *regs)
{
	ud_count++;
	regs->rip += 2;		/* ud2 */
}

static void bp_count_it(struct guest_ex_regs *regs)
{
	bp_count++;		/* a trap: RIP is already past int3 */
}

static void guest_exceptions(void)
{
	asm volatile("ud2");
	asm volatile("ud2");
	asm volatile("ud2");
	asm volatile("int3");
	asm volatile("int3");
	GUEST_ASSERT_EQ(ud_count, 3);
	GUEST_ASSERT_EQ(bp_count, 2);
	GUEST_DONE();
}

HVX_GUEST_TEST(guest_exception_handlers, guest_exceptions)
{
	vm_install_exception_handler(vm, UD_VECTOR, ud_skip);
	vm_install_exception_handler(vm, BP_VECTOR, bp_count_it);
	vcpu_expect_done(vcpu);
}

static volatile uint64_t icebp_next, icebp_traps;

/* Count the #DBs up to the one INT1 raised; that one clears TF. */
static void icebp_record(struct guest_ex_regs *regs)
{
	if (regs->rip == icebp_next) {
		icebp_traps++;
		regs->rflags &= ~X86_EFLAGS_TF;
	}
}

/*
 * INT1 (ICEBP) in a MOV SS shadow with RFLAGS.TF set: its #DB exits and
 * is delivered again, and that entry must not keep the shadow the
 * instruction ended (VM entry wants a pending single step in a shadow
 * with TF set, which this exit does not record).  An unprivileged guest
 * process can do the same.
 */
static void guest_icebp_in_shadow(void)
{
	asm volatile("lea 1f(%%rip), %%rax\n\t"
		     "mov %%rax, %[next]\n\t"
		     "pushf\n\t"
		     "orq $0x100, (%%rsp)\n\t"
		     "popf\n\t"
		     "mov %%ss, %%eax\n\t"
		     "mov %%eax, %%ss\n\t"
		     ".byte 0xf1\n"
		     "1:\n\t"
		     : [next] "=m"(icebp_next)
		     : : "rax", "memory", "cc");
	GUEST_ASSERT_EQ(icebp_traps, 1);
	GUEST_DONE();
}

HVX_GUEST_TEST(icebp_in_mov_ss_shadow, guest_icebp_in_shadow)
{
	vm_install_exception_handler(vm, DB_VECTOR, icebp_record);
	vcpu_expect_done(vcpu);
}

static volatile uint64_t fault_rflags[2];

/* Record the RFLAGS image a fault pushed; step over the 2-byte insn. */
static void fault_record(struct guest_ex_regs *regs)
{
	fault_rflags[regs->vector == GP_VECTOR] = regs->rflags;
	regs->rip += 2;
}

/*
 * A fault-class exception pushes RFLAGS with RF set, so that an
 * instruction breakpoint on the faulting instruction does not fire again
 * when the handler returns to it.  VM entry does not set RF for an
 * injected exception: hvx must, for those it raises (#GP for RDPMC
 * here), as the processor does for its own (#UD for UD2).
 */
static void guest_fault_rf(void)
{
	asm volatile("ud2" : : : "memory");
	asm volatile("rdpmc" : : "c"(0) : "rax", "rdx", "memory");
	GUEST_ASSERT(fault_rflags[0] & X86_EFLAGS_RF);
	GUEST_ASSERT(fault_rflags[1] & X86_EFLAGS_RF);
	GUEST_DONE();
}

HVX_GUEST_TEST(injected_fault_sets_rf, guest_fault_rf)
{
	vm_install_exception_handler(vm, UD_VECTOR, fault_record);
	vm_install_exception_handler(vm, GP_VECTOR, fault_record);
	vcpu_expect_done(vcpu);
}

/* DR7: breakpoints 0 and 1 enabled (L0, L1) for instructions; GD. */
#define DR7_L0		(1ULL << 0)
#define DR7_L1		(1ULL << 2)
#define DR7_GD		(1ULL << 13)
#define DR6_B0		(1ULL << 0)
#define MMIO_GPA	0x40000000ULL	/* 1 GiB: beyond RAM, mapped */
#define BP_PORT		0x35

static volatile uint64_t bp_hits, bp_dr7, bp_dr6;

/*
 * A #DB: count it, and what DR7 and DR6 read in the handler; back with
 * RF set, so that a breakpointed instruction runs, and TF clear.
 */
static void breakpoint_hit(struct guest_ex_regs *regs)
{
	uint64_t v;

	bp_hits++;
	asm volatile("mov %%dr7, %0" : "=r"(v));
	bp_dr7 = v;
	asm volatile("mov %%dr6, %0" : "=r"(v));
	bp_dr6 = v;
	regs->rflags = (regs->rflags | X86_EFLAGS_RF) & ~X86_EFLAGS_TF;
}

/* Breakpoint 0 on the instruction at @at, with the other bits of @dr7. */
static void arm_breakpoint(const void *at, uint64_t dr7)
{
	asm volatile("mov %0, %%dr0" : : "r"(at));
	asm volatile("mov %0, %%dr7" : : "r"(dr7 | DR7_L0));
}

/*
 * A breakpoint on an MMIO load, and one on the instruction after it: the
 * first #DB's handler returns with RF set, the load runs with it and
 * exits (an EPT violation, which the SDM has save RF set in any case),
 * hvx emulates the load and steps over it: RF goes, as when an
 * instruction completes, and the second breakpoint fires.  (RF stayed
 * set: one #DB.  Bochs saves RF clear on EPT violations, so the test
 * host cannot show it; and an instruction that takes one on a page of
 * its page walk runs again with RF clear there: the first load maps
 * those pages.)
 */
static void guest_breakpoint_after_mmio(void)
{
	extern const char mmio_load[], after_mmio[];
	uint32_t v;

	GUEST_ASSERT_EQ(mmio_r32(MMIO_GPA + 8), 0x9abcdef0);
	asm volatile("mov %0, %%dr1" : : "r"(after_mmio));
	arm_breakpoint(mmio_load, DR7_L1);
	asm volatile("mmio_load: movl (%1), %0\n"
		     "after_mmio: nop"
		     : "=r"(v) : "r"(MMIO_GPA) : "memory");
	GUEST_ASSERT_EQ(v, 0x12345678);
	GUEST_ASSERT_EQ(bp_hits, 2);
	GUEST_DONE();
}

HVX_GUEST_TEST(breakpoint_after_emulated_mmio, guest_breakpoint_after_mmio)
{
	vm_install_exception_handler(vm, DB_VECTOR, breakpoint_hit);
	vcpu_expect_mmio(vcpu, MMIO_GPA + 8, 4, false, 0x9abcdef0);
	vcpu_expect_mmio(vcpu, MMIO_GPA, 4, false, 0x12345678);
	vcpu_expect_done(vcpu);
}

/*
 * REP INSB of three pages takes several exits, each a batch, and the
 * guest goes on with the instruction after each: as a processor resumes
 * a REP string instruction, with RF set, so a breakpoint on it fires
 * once.  (Once a batch.)
 */
static void guest_breakpoint_on_rep_ins(void)
{
	static uint8_t buf[3 * 4096];
	extern const char rep_ins[];
	uint64_t c = sizeof(buf);
	void *p = buf;

	arm_breakpoint(rep_ins, 0);
	asm volatile("rep_ins: rep insb"
		     : "+c"(c), "+D"(p) : "d"(BP_PORT) : "memory");
	GUEST_ASSERT_EQ(c, 0);
	GUEST_ASSERT_EQ(bp_hits, 1);
	GUEST_DONE();
}

HVX_GUEST_TEST(breakpoint_on_rep_ins_fires_once, guest_breakpoint_on_rep_ins)
{
	unsigned int exits = 0;
	struct ucall uc = {};
	uint64_t cmd;

	vm_install_exception_handler(vm, DB_VECTOR, breakpoint_hit);
	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason != HVX_EXIT_IO ||
		    vcpu->run->io.port != BP_PORT)
			break;
		ASSERT_EQ(HVX_IO_IN, vcpu->run->io.direction);
		exits++;
	}
	EXPECT_LT(1, exits);
	cmd = get_ucall(vcpu, &uc);
	if (cmd == UCALL_ABORT)
		REPORT_GUEST_ASSERT(vcpu, uc);
	EXPECT_EQ(UCALL_DONE, cmd);
}

/*
 * With DR7.GD a MOV DR is a #DB, but the processor clears GD as it
 * enters the #DB handler, which can then read DR6 and DR7; a #DB hvx
 * delivers (an instruction breakpoint, here) must too.  (GD stayed: the
 * handler's read was a second #DB.)
 */
static void guest_db_clears_gd(void)
{
	extern const char gd_target[];

	arm_breakpoint(gd_target, DR7_GD);
	asm volatile("gd_target: nop");
	GUEST_ASSERT_EQ(bp_hits, 1);
	GUEST_ASSERT_EQ(bp_dr7 & (DR7_GD | DR7_L0), DR7_L0);
	GUEST_DONE();
}

HVX_GUEST_TEST(db_handler_sees_gd_clear, guest_db_clears_gd)
{
	vm_install_exception_handler(vm, DB_VECTOR, breakpoint_hit);
	vcpu_expect_done(vcpu);
}

/*
 * A debug exception clears only DR6's B0-B3: the BS a single step set
 * is still there at the next #DB, a breakpoint's, beside its B0, until
 * the guest clears it.  (hvx cleared BS and BD too.)
 */
static void guest_dr6_sticky(void)
{
	extern const char sticky_bp[];

	asm volatile("mov %0, %%dr6" : : "r"(0UL));
	asm volatile("pushf\n\t"
		     "orq $0x100, (%%rsp)\n\t"
		     "popf\n\t"
		     "nop" : : : "memory", "cc");
	GUEST_ASSERT_EQ(bp_hits, 1);
	GUEST_ASSERT_EQ(bp_dr6 & 0xf00f, DR6_BS);
	arm_breakpoint(sticky_bp, 0);
	asm volatile("sticky_bp: nop");
	GUEST_ASSERT_EQ(bp_hits, 2);
	GUEST_ASSERT_EQ(bp_dr6 & 0xf00f, DR6_BS | DR6_B0);
	GUEST_DONE();
}

HVX_GUEST_TEST(dr6_keeps_bs_across_db, guest_dr6_sticky)
{
	vm_install_exception_handler(vm, DB_VECTOR, breakpoint_hit);
	vcpu_expect_done(vcpu);
}

static void guest_null_deref(void)
{
	uint64_t v;

	asm volatile("movq (%1), %0" : "=r"(v) : "r"(0x10UL) : "memory");
	GUEST_FAIL("read of page 0 did not fault");
}

HVX_GUEST_TEST(unhandled_exception_reported, guest_null_deref)
{
	struct ucall uc;

	vcpu_run(vcpu);
	ASSERT_EQ(UCALL_UNHANDLED, get_ucall(vcpu, &uc));
	EXPECT_EQ(PF_VECTOR, uc.args[0]);
	EXPECT_EQ(0, uc.args[1] & 1);	/* not-present page */
	EXPECT_EQ(0x10, uc.args[3]);	/* CR2 */
	EXPECT_LE((uintptr_t)guest_null_deref, uc.args[2]);
	EXPECT_GT((uintptr_t)guest_null_deref + 64, uc.args[2]);
}

static void guest_triple_fault(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) idtr = { 0, 0 };

	/* No IDT: #BP -> #GP -> #DF -> shutdown. */
	asm volatile("lidt %0; int3" : : "m"(idtr) : "memory");
	GUEST_FAIL("survived a triple fault");
}

HVX_GUEST_TEST(triple_fault_shutdown, guest_triple_fault)
{
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_SHUTDOWN);
}

TEST_HARNESS_MAIN
