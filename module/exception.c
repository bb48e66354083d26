// SPDX-License-Identifier: GPL-2.0
/*
 * Exceptions the guest raises that hvx intercepts (the exception bitmap).
 *
 * #DB and #AC are intercepted although hvx has nothing to add to them:
 * a guest can make the delivery of either raise the same exception again
 * (a data breakpoint on the stack the #DB frame is pushed to, CVE-2015-8104;
 * a misaligned user stack that a same-privilege #AC frame is pushed to,
 * CVE-2015-5307).  The processor then loops in microcode without ever
 * looking at interrupts, and the host core hangs.  With the intercept each
 * round is a VM exit, so the run loop sees signals and need_resched; the
 * guest gets its exception back and stays stuck, as on bare metal.
 *
 * #MC belongs to the host: a machine check in guest context is reported
 * by the hardware of the host, so it goes to the host's handler, right
 * after the exit with interrupts still off (hvx_handle_machine_check()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/ptrace.h>
#include <asm/cpu.h>
#include <asm/debugreg.h>
#include <asm/mce.h>
#include <asm/trapnr.h>

#include "vcpu.h"
#include "vmx_ops.h"

/* What hvx_vmcs_setup() writes into every vCPU's exception bitmap. */
const u32 hvx_exception_bitmap = BIT(X86_TRAP_DB) | BIT(X86_TRAP_AC) |
				 BIT(X86_TRAP_MC);

/* The DR6 bits a #DB exit qualification reports (Intel SDM table 28-1). */
#define HVX_DB_QUAL_DR6	(DR_TRAP_BITS | HVX_DR6_BD | DR_STEP)

/**
 * hvx_handle_machine_check() - give a machine check to the host's handler
 *
 * Called right after a VM exit that a machine check caused (exception 18,
 * or a machine check during VM entry), with interrupts disabled.  A host
 * built without machine-check support runs with CR4.MCE clear, where the
 * processor shuts down instead of raising #MC; nothing is left to do.
 * noinstr: it may run before the NMIs blocked by the exit are unblocked.
 */
noinstr void hvx_handle_machine_check(void)
{
	struct pt_regs regs = {
		/* the guest's CPL does not matter to the host: say user */
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	if (IS_ENABLED(CONFIG_X86_MCE))
		do_machine_check(&regs);
}

/**
 * hvx_single_step_trap() - the #DB that ends an emulated instruction
 * @vcpu: the vCPU, loaded, running with RFLAGS.TF
 *
 * An instruction that exits never completes in the guest, so the
 * processor raises no single-step trap for it: one hvx emulates must, or
 * a debugger in the guest stepping over CPUID or an OUT would step over
 * two instructions.  A REP string instruction traps once, at its end,
 * not after each iteration as the processor would.
 */
void hvx_single_step_trap(struct hvx_vcpu *vcpu)
{
	vcpu->dr6 = (vcpu->dr6 & ~HVX_DR6_TRAPS) | DR_STEP;
	hvx_inject_exception(vcpu, X86_TRAP_DB, false, 0);
}

/*
 * #DB: put the exception's DR6 bits where the guest reads DR6 (a #DB that
 * causes a VM exit leaves the real DR6 alone) and deliver it again.
 */
static int exit_debug(struct hvx_vcpu *vcpu, u32 info)
{
	unsigned long q = hvx_vmread(EXIT_QUALIFICATION);
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;

	if (type == INTR_TYPE_PRIV_SW_EXCEPTION) {
		/*
		 * INT1 (ICEBP) sets no DR6 bit; deliver it as it was, with
		 * DR7.GD cleared as for every #DB.
		 * The instruction ends any STI or MOV SS shadow it ran in:
		 * an entry in the shadow with RFLAGS.TF set would need a
		 * pending single step, which the processor does not record
		 * on this exit, and would fail.
		 */
		u32 intr = hvx_vmread32(GUEST_INTERRUPTIBILITY_INFO);

		if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
			hvx_vmwrite(GUEST_INTERRUPTIBILITY_INFO,
				    intr & ~(GUEST_INTR_STATE_STI |
					     GUEST_INTR_STATE_MOV_SS));
		hvx_vmwrite(VM_ENTRY_INSTRUCTION_LEN,
			    hvx_vmread32(VM_EXIT_INSTRUCTION_LEN));
		hvx_vmwrite(VM_ENTRY_INTR_INFO_FIELD,
			    X86_TRAP_DB | type | INTR_INFO_VALID_MASK);
		hvx_db_clears_gd(vcpu);
		return 1;
	}
	/*
	 * A debug exception may clear B0-B3; BD and BS stay until the
	 * guest clears them (SDM 17.2.3), as a handler that gathers DR6
	 * over several #DBs expects.
	 */
	vcpu->dr6 = (vcpu->dr6 & ~HVX_DR6_TRAPS) | (q & HVX_DB_QUAL_DR6);
	/*
	 * A single step out of a MOV SS or STI shadow: VM entry requires the
	 * pending single step to be recorded while the shadow lasts.
	 */
	if ((hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_TF) &&
	    (hvx_vmread32(GUEST_INTERRUPTIBILITY_INFO) &
	     (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)))
		hvx_vmwrite(GUEST_PENDING_DBG_EXCEPTIONS,
			    hvx_vmread(GUEST_PENDING_DBG_EXCEPTIONS) | DR_STEP);
	hvx_inject_exception(vcpu, X86_TRAP_DB, false, 0);
	return 1;
}

/*
 * #AC: the guest's own alignment check (CPL 3 with CR0.AM and RFLAGS.AC)
 * goes back to it.  Any other #AC is the host's split-lock detection
 * catching the guest: the host's policy decides (warn, or SIGBUS).
 */
static int exit_alignment_check(struct hvx_vcpu *vcpu)
{
	if ((hvx_get_cr0(vcpu) & X86_CR0_AM) &&
	    (hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_AC) &&
	    hvx_guest_cpl(vcpu) == 3) {
		hvx_inject_exception(vcpu, X86_TRAP_AC, true, 0);
		return 1;
	}
	if (handle_guest_split_lock(hvx_vmread(GUEST_RIP)))
		return 1;
	return hvx_exit_internal(vcpu, HVX_INTERNAL_UNHANDLED, 0, true);
}

/**
 * hvx_exit_exception_nmi() - an exception or NMI caused the exit
 * @vcpu: the vCPU, loaded
 *
 * NMIs and machine checks were given to the host right after the exit.
 *
 * Return: 1 to resume, 0 for an internal-error exit to userspace.
 */
int hvx_exit_exception_nmi(struct hvx_vcpu *vcpu)
{
	u32 info = hvx_vmread32(VM_EXIT_INTR_INFO);

	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		return 1;
	/* bit 12 is undefined after a #DF */
	if (unlikely(info & INTR_INFO_UNBLOCK_NMI) &&
	    (info & INTR_INFO_VECTOR_MASK) != X86_TRAP_DF &&
	    !(vcpu->exit_vect & VECTORING_INFO_VALID_MASK))
		hvx_reblock_nmi(vcpu);
	switch (info & INTR_INFO_VECTOR_MASK) {
	case X86_TRAP_MC:
		/*
		 * A memory error in guest RAM queued the kernel's recovery
		 * (memory_failure(), SIGBUS) as work for the way back to
		 * userspace: go there, or the guest takes the same #MC until
		 * the kernel panics over too many in a row.
		 */
		if (test_thread_flag(TIF_NOTIFY_RESUME)) {
			vcpu->run->exit_reason = HVX_EXIT_INTR;
			return -EINTR;
		}
		return 1;
	case X86_TRAP_DB:
		return exit_debug(vcpu, info);
	case X86_TRAP_AC:
		return exit_alignment_check(vcpu);
	}
	pr_debug("vCPU %u: unexpected exception exit %#x\n", vcpu->id, info);
	return hvx_exit_internal(vcpu, HVX_INTERNAL_UNHANDLED, 0, true);
}
