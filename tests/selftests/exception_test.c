// SPDX-License-Identifier: GPL-2.0
/*
 * exception_test: exceptions in long-mode guests written in C.  The
 * guest's own handlers run for #UD and #BP; INT1 in a MOV SS shadow with
 * RFLAGS.TF is delivered once; a fault hvx raises pushes RFLAGS with RF
 * as the processor's own do; an exception without a handler is reported
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
