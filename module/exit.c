// SPDX-License-Identifier: GPL-2.0
/*
 * VM exit dispatch.
 *
 * Every handler in hvx_exit_handlers[] follows one contract: return 1 when
 * the exit is handled and the guest may resume; return 0 after filling
 * vcpu->run for an exit to userspace; return a negative errno to fail
 * HVX_RUN.  A reason without a handler is an internal error reported to
 * userspace, never a silent resume.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <asm/trapnr.h>
#include <asm/vmx.h>

#include "ring.h"
#include "vcpu.h"
#include "vmx_ops.h"

/**
 * hvx_exit_internal() - report an exit hvx cannot handle to userspace
 * @vcpu: the vCPU, loaded
 * @suberror: HVX_INTERNAL_*
 * @gpa: the guest-physical address involved, or 0
 * @with_insn: fetch the instruction bytes at CS:RIP for the report
 *
 * Return: 0 (exit to userspace).
 */
int hvx_exit_internal(struct hvx_vcpu *vcpu, u32 suberror, u64 gpa,
		      bool with_insn)
{
	struct hvx_run *run = vcpu->run;
	u8 insn[16] = {};
	unsigned int n = 0;

	hvx_stats_event(vcpu, HVX_EVENT_INTERNAL_ERROR, suberror);
	run->exit_reason = HVX_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.data[0] = hvx_vmread32(VM_EXIT_REASON);
	run->internal.data[1] = hvx_vmread(EXIT_QUALIFICATION);
	run->internal.data[2] = gpa;
	if (with_insn)
		hvx_fetch_insn(vcpu, hvx_guest_mode(vcpu), insn, &n, false);
	run->internal.data[3] = n;
	memcpy(&run->internal.data[4], insn, sizeof(insn));
	run->internal.ndata = 6;
	return 0;
}

/**
 * hvx_exit_unemulated() - an instruction hvx cannot emulate touched MMIO
 * @vcpu: the vCPU, loaded
 * @gpa: the guest-physical address involved, or 0
 * @with_insn: fetch the instruction bytes at CS:RIP for the report
 *
 * The guest kernel's (CPL 0) is HVX_INTERNAL_EMULATION for userspace.
 * Guest user mode's takes #UD, as under KVM: a process given a device
 * mapping (UIO, a sysfs resource file) must not stop the machine with an
 * instruction the decoder lacks.
 *
 * Return: 1 after injecting #UD, or 0 (exit to userspace).
 */
int hvx_exit_unemulated(struct hvx_vcpu *vcpu, u64 gpa, bool with_insn)
{
	if (hvx_guest_cpl(vcpu)) {
		hvx_inject_ud(vcpu);
		return 1;
	}
	return hvx_exit_internal(vcpu, HVX_INTERNAL_EMULATION, gpa, with_insn);
}

static int exit_unhandled(struct hvx_vcpu *vcpu)
{
	pr_debug("vCPU %u: unhandled VM exit %u\n", vcpu->id,
		 hvx_vmread32(VM_EXIT_REASON));
	return hvx_exit_internal(vcpu, HVX_INTERNAL_UNHANDLED, 0, true);
}

static int exit_resume(struct hvx_vcpu *vcpu)
{
	return 1;
}

static int exit_preemption_timer(struct hvx_vcpu *vcpu)
{
	/* the APIC timer's tick (run.c, preemption_timer_arm()) */
	if (vcpu->timer_tsc <= rdtsc())
		hvx_apic_timer_due(vcpu);
	if (vcpu->slice_split && vcpu->slice_left)
		return 1;
	/*
	 * A time slice ended: the run loop checks signals and rescheduling,
	 * and a ring consumer waiting for deferred posts is woken.
	 */
	vcpu->slice_left = HVX_PREEMPTION_TIMER_SLICE;
	if (!vcpu->slice_split)
		hvx_vmwrite(VMX_PREEMPTION_TIMER_VALUE,
			    HVX_PREEMPTION_TIMER_SLICE);
	hvx_ring_sync_point(vcpu->vm);
	return 1;
}

static int exit_triple_fault(struct hvx_vcpu *vcpu)
{
	hvx_stats_event(vcpu, HVX_EVENT_VCPU_SHUTDOWN, 0);
	vcpu->run->exit_reason = HVX_EXIT_SHUTDOWN;
	return 0;
}

/*
 * HLT: the guest sleeps until it has something to take; with interrupts
 * disabled and nothing pending only userspace can end it (HVX_EXIT_HLT).
 * An event already due at the next entry (the single-step trap of a guest
 * stepping over the HLT) wakes it at once.
 */
static int exit_hlt(struct hvx_vcpu *vcpu)
{
	hvx_skip_insn(vcpu);
	if (hvx_vmread32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID_MASK)
		return 1;
	vcpu->mp_state = HVX_MP_HALTED;
	return hvx_vcpu_block(vcpu, true);
}

static int exit_skip(struct hvx_vcpu *vcpu)
{
	hvx_skip_insn(vcpu);
	return 1;
}

static int exit_ud(struct hvx_vcpu *vcpu)
{
	hvx_inject_ud(vcpu);
	return 1;
}

/*
 * RDPMC: there is no virtual PMU, so no counter index is valid and the
 * processor's answer is #GP.  It must exit: with CR4.PCE the guest would
 * otherwise read the host's live counters.
 */
static int exit_gp(struct hvx_vcpu *vcpu)
{
	hvx_inject_gp(vcpu);
	return 1;
}

/* VMCALL: RAX is the call number, RBX, RCX, RDX, RSI, RDI, R8 the args. */
static int exit_vmcall(struct hvx_vcpu *vcpu)
{
	static const u8 args[] = { HVX_RBX, HVX_RCX, HVX_RDX, HVX_RSI,
				   HVX_RDI, HVX_R8 };
	struct hvx_run *run = vcpu->run;
	int i;

	/* Guest user space may not talk to the VMM: -EPERM, as on KVM. */
	if (hvx_guest_cpl(vcpu)) {
		vcpu->regs[HVX_RAX] = -EPERM;
		hvx_skip_insn(vcpu);
		return 1;
	}
	run->exit_reason = HVX_EXIT_HYPERCALL;
	run->hypercall.nr = vcpu->regs[HVX_RAX];
	for (i = 0; i < ARRAY_SIZE(args); i++)
		run->hypercall.args[i] = vcpu->regs[args[i]];
	run->hypercall.ret = 0;
	vcpu->pending = HVX_PENDING_HYPERCALL;
	vcpu->pending_insn_len = hvx_vmread32(VM_EXIT_INSTRUCTION_LEN);
	return 0;
}

/*
 * MOV to/from DR0-7: the guest's values live in hvx; DR0-3 reach the
 * hardware only for entries while the guest's DR7 arms a breakpoint, and
 * the host's come back after the exit (run.c).
 */
static int exit_dr_access(struct hvx_vcpu *vcpu)
{
	unsigned long q = hvx_vmread(EXIT_QUALIFICATION);
	unsigned int dr = q & 7, gpr = (q >> 8) & 0xf;
	bool from = q & BIT(4);
	unsigned long val;

	if (hvx_guest_cpl(vcpu)) {
		hvx_inject_gp(vcpu);
		return 1;
	}
	if (dr == 4 || dr == 5) {
		if (hvx_get_cr4(vcpu) & X86_CR4_DE) {
			hvx_inject_ud(vcpu);
			return 1;
		}
		dr += 2;
	}
	/*
	 * General detect: the access is a #DB fault, which the VM exit
	 * comes before (SDM 17.2.4); the processor sets DR6.BD and clears
	 * DR7.GD for the handler, which may then touch the registers.
	 */
	if (hvx_vmread(GUEST_DR7) & HVX_DR7_GD) {
		/* RTM is active low: set outside a transaction */
		hvx_set_dr6(vcpu, (vcpu->dr6 & ~HVX_DR6_TRAPS) | HVX_DR6_BD |
			    HVX_DR6_RTM);
		hvx_inject_exception(vcpu, X86_TRAP_DB, false, 0);
		return 1;
	}
	if (from) {
		if (dr < 4)
			val = vcpu->db[dr];
		else if (dr == 6)
			val = vcpu->dr6;
		else
			val = hvx_vmread(GUEST_DR7);
		hvx_gpr_write(vcpu, gpr, val);
	} else {
		val = hvx_gpr_read(vcpu, gpr);
		/* outside 64-bit mode the upper half is not the operand's */
		if (hvx_guest_mode(vcpu) != 8)
			val = (u32)val;
		if (dr >= 6 && (val >> 32)) {
			hvx_inject_gp(vcpu);
			return 1;
		}
		if (dr < 4)
			vcpu->db[dr] = val;
		else if (dr == 6)
			hvx_set_dr6(vcpu, val);
		else
			hvx_set_dr7(vcpu, val);
	}
	hvx_skip_insn(vcpu);
	return 1;
}

/*
 * An exit interrupted the delivery of an event: deliver it again on the
 * next entry, in a form VM entry accepts (Intel SDM "Checks on VM-Entry
 * Control Fields"), whatever the IDT-vectoring field held.
 */
static void reinject(struct hvx_vcpu *vcpu, u32 vect)
{
	u32 type = vect & VECTORING_INFO_TYPE_MASK;
	u8 vector = vect & VECTORING_INFO_VECTOR_MASK;
	u32 len;

	switch (type) {
	case INTR_TYPE_HARD_EXCEPTION:
		/*
		 * The error code goes with the exception only where VM entry
		 * allows it: not in real mode (the emulated CPU reports one
		 * there), only for the vectors that push one.
		 */
		hvx_inject_exception(vcpu, vector,
				     vect & VECTORING_INFO_DELIVER_CODE_MASK,
				     hvx_vmread32(IDT_VECTORING_ERROR_CODE));
		return;
	case INTR_TYPE_SOFT_INTR:
	case INTR_TYPE_SOFT_EXCEPTION:
	case INTR_TYPE_PRIV_SW_EXCEPTION:
		/*
		 * Entry needs the instruction's length, 1 to 15, and an exit
		 * during the delivery of an event that an entry injected may
		 * report none (0, or a stale value beyond 15).  RIP is still
		 * at INT n, INT3, INTO or INT1: the guest executes it again
		 * and so raises the same event, as it would after a fault.
		 */
		len = hvx_vmread32(VM_EXIT_INSTRUCTION_LEN);
		if (len < 1 || len > HVX_INSN_MAX_LEN)
			return;
		hvx_vmwrite(VM_ENTRY_INSTRUCTION_LEN, len);
		break;
	case INTR_TYPE_NMI_INTR:
		if (vector == X86_TRAP_NMI)
			hvx_requeue_event(vcpu, vect);
		return;
	case INTR_TYPE_EXT_INTR:
		hvx_requeue_event(vcpu, vect);
		return;
	default:
		/* no other type is ever reported; never write one */
		return;
	}
	hvx_vmwrite(VM_ENTRY_INTR_INFO_FIELD,
		    vect & (VECTORING_INFO_VALID_MASK | VECTORING_INFO_TYPE_MASK |
			    VECTORING_INFO_VECTOR_MASK));
}

static int (*const hvx_exit_handlers[])(struct hvx_vcpu *vcpu) = {
	[EXIT_REASON_EXCEPTION_NMI]	= hvx_exit_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = exit_resume,
	[EXIT_REASON_TRIPLE_FAULT]	= exit_triple_fault,
	[EXIT_REASON_INTERRUPT_WINDOW]	= hvx_exit_window,
	[EXIT_REASON_NMI_WINDOW]	= hvx_exit_window,
	[EXIT_REASON_CPUID]		= hvx_exit_cpuid,
	[EXIT_REASON_HLT]		= exit_hlt,
	[EXIT_REASON_INVD]		= exit_skip,
	[EXIT_REASON_RDPMC]		= exit_gp,
	[EXIT_REASON_VMCALL]		= exit_vmcall,
	[EXIT_REASON_VMCLEAR]		= exit_ud,
	[EXIT_REASON_VMLAUNCH]		= exit_ud,
	[EXIT_REASON_VMPTRLD]		= exit_ud,
	[EXIT_REASON_VMPTRST]		= exit_ud,
	[EXIT_REASON_VMREAD]		= exit_ud,
	[EXIT_REASON_VMRESUME]		= exit_ud,
	[EXIT_REASON_VMWRITE]		= exit_ud,
	[EXIT_REASON_VMOFF]		= exit_ud,
	[EXIT_REASON_VMON]		= exit_ud,
	[EXIT_REASON_CR_ACCESS]		= hvx_exit_cr_access,
	[EXIT_REASON_DR_ACCESS]		= exit_dr_access,
	[EXIT_REASON_IO_INSTRUCTION]	= hvx_exit_io,
	[EXIT_REASON_MSR_READ]		= hvx_exit_rdmsr,
	[EXIT_REASON_MSR_WRITE]		= hvx_exit_wrmsr,
	[EXIT_REASON_MWAIT_INSTRUCTION]	= exit_ud,
	[EXIT_REASON_MONITOR_INSTRUCTION] = exit_ud,
	[EXIT_REASON_APIC_ACCESS]	= hvx_exit_apic_access,
	[EXIT_REASON_EOI_INDUCED]	= hvx_exit_eoi_induced,
	[EXIT_REASON_APIC_WRITE]	= hvx_exit_apic_write,
	[EXIT_REASON_EPT_VIOLATION]	= hvx_exit_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG]	= hvx_exit_ept_misconfig,
	[EXIT_REASON_INVEPT]		= exit_ud,
	[EXIT_REASON_PREEMPTION_TIMER]	= exit_preemption_timer,
	[EXIT_REASON_INVVPID]		= exit_ud,
	[EXIT_REASON_WBINVD]		= exit_skip,
	[EXIT_REASON_XSETBV]		= hvx_exit_xsetbv,
	[EXIT_REASON_VMFUNC]		= exit_ud,
};

/**
 * hvx_handle_exit() - serve one VM exit
 * @vcpu: the vCPU, loaded, preemptible
 * @exit_reason: VM_EXIT_REASON
 *
 * Return: as the handlers (see the top of this file).
 */
int hvx_handle_exit(struct hvx_vcpu *vcpu, u32 exit_reason)
{
	u16 basic = exit_reason & 0xffff;
	struct hvx_run *run = vcpu->run;
	bool injected;
	u32 vect;
	int r;

	/*
	 * A machine check during VM entry is the host's (handled right after
	 * the exit), not a guest state the processor refused: enter again.
	 */
	if (unlikely(basic == EXIT_REASON_MCE_DURING_VMENTRY))
		return 1;
	if (unlikely(exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY)) {
		run->exit_reason = HVX_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_exit_reason = exit_reason;
		run->fail_entry.qualification = hvx_vmread(EXIT_QUALIFICATION);
		run->fail_entry.cpu = raw_smp_processor_id();
		run->fail_entry.pad = 0;
		hvx_stats_event(vcpu, HVX_EVENT_FAIL_ENTRY, exit_reason);
		return 0;
	}
	/* An exit while delivering an event: deliver it again on entry. */
	vect = hvx_vmread32(IDT_VECTORING_INFO_FIELD);
	injected = vcpu->event_injected;
	vcpu->event_injected = false;
	if (unlikely(vect & VECTORING_INFO_VALID_MASK) && hvx_vmx.apicv)
		vect = hvx_apicv_vectoring(vcpu, vect, injected);
	vcpu->exit_vect = vect;
	if (unlikely(vect & VECTORING_INFO_VALID_MASK))
		reinject(vcpu, vect);

	/*
	 * The device exits, by far the most frequent, are called directly:
	 * an indirect call costs a retpoline on the hosts that need one.
	 */
	if (basic == EXIT_REASON_EPT_VIOLATION)
		r = hvx_exit_ept_violation(vcpu);
	else if (basic == EXIT_REASON_IO_INSTRUCTION)
		r = hvx_exit_io(vcpu);
	else if (basic < ARRAY_SIZE(hvx_exit_handlers) &&
		 hvx_exit_handlers[basic])
		r = hvx_exit_handlers[basic](vcpu);
	else
		r = exit_unhandled(vcpu);

	if (unlikely(vcpu->triple_fault))
		r = hvx_exit_raised_triple_fault(vcpu, r);
	return r;
}

/**
 * hvx_exit_raised_triple_fault() - end the run for a triple fault
 * @vcpu: the vCPU, vcpu->triple_fault set
 * @r: what the exit's handler, or the completion of a userspace exit,
 *	returned
 *
 * An exception the handler or the completion raised during a #DF made a
 * triple fault (hvx_inject_exception()): no entry may come before it is
 * reported, or the guest would run on with the #DF dropped.
 *
 * Return: @r when negative, else 0 with HVX_EXIT_SHUTDOWN.
 */
int hvx_exit_raised_triple_fault(struct hvx_vcpu *vcpu, int r)
{
	vcpu->triple_fault = false;
	if (r < 0)
		return r;
	vcpu->pending = HVX_PENDING_NONE;
	return exit_triple_fault(vcpu);
}
