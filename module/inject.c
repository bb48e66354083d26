// SPDX-License-Identifier: GPL-2.0
/*
 * External interrupts and NMIs for the guest: queued, injected on VM entry
 * when the guest can take them, with interrupt-window and NMI-window
 * exiting when it cannot yet; and HLT, which sleeps in the kernel until
 * the guest has something to take.
 *
 * A vCPU holds at most one external interrupt that has been acknowledged
 * but not delivered (irq_vector): one userspace queued (HVX_INTERRUPT, a
 * PIC's ExtINT), or one whose delivery a VM exit cut short.  NMIs latch
 * one deep, as on hardware.  Exceptions are not queued here: an exit
 * handler writes them straight into the VM-entry interruption field
 * (regs.c), and they go first; a queued interrupt then waits for the
 * entry after, through the interrupt window.
 */
#include <linux/kernel.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>
#include <asm/trapnr.h>

#include "vcpu.h"
#include "vmx_ops.h"
#include "trace.h"

/* What blocks an external interrupt, and an NMI, at the next entry. */
#define IRQ_SHADOW	(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS)
#define NMI_BLOCKED	(IRQ_SHADOW | GUEST_INTR_STATE_NMI)

/* Turn an "exit when the window opens" control on or off. */
static void window_exiting(struct hvx_vcpu *vcpu, u32 bit, bool on)
{
	u32 ctl = on ? vcpu->proc_ctl | bit : vcpu->proc_ctl & ~bit;

	if (ctl != vcpu->proc_ctl) {
		vcpu->proc_ctl = ctl;
		hvx_vmwrite(CPU_BASED_VM_EXEC_CONTROL, ctl);
	}
}

static bool irq_window_open(struct hvx_vcpu *vcpu)
{
	return (hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
	       !(hvx_vmread32(GUEST_INTERRUPTIBILITY_INFO) & IRQ_SHADOW);
}

/**
 * hvx_inject_events() - put a queued NMI or interrupt into the next entry
 * @vcpu: the vCPU, loaded, interrupts disabled
 *
 * Return: true to enter the guest; false when userspace asked for the
 * interrupt window and it is open (run->exit_reason is set).
 */
bool hvx_inject_events(struct hvx_vcpu *vcpu)
{
	bool want_window = READ_ONCE(vcpu->run->request_interrupt_window);
	bool busy;
	u32 intr;

	if (likely(vcpu->irq_vector < 0 && !vcpu->nmi_pending &&
		   !want_window)) {
		if (unlikely(vcpu->proc_ctl & (CPU_BASED_INTR_WINDOW_EXITING |
					       CPU_BASED_NMI_WINDOW_EXITING)))
			window_exiting(vcpu, CPU_BASED_INTR_WINDOW_EXITING |
				       CPU_BASED_NMI_WINDOW_EXITING, false);
		return true;
	}
	/* an exception an exit handler raised goes first */
	busy = hvx_vmread32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID_MASK;
	intr = hvx_vmread32(GUEST_INTERRUPTIBILITY_INFO);

	if (vcpu->nmi_pending) {
		if (!busy && !(intr & NMI_BLOCKED)) {
			hvx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, X86_TRAP_NMI |
				    INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK);
			vcpu->nmi_pending = false;
			busy = true;
			hvx_stat_add(&vcpu->stats, HVX_STAT_NMIS_INJECTED, 1);
			trace_hvx_inject(vcpu, X86_TRAP_NMI, X86_TRAP_NMI |
					 INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK,
					 false, 0);
		}
		window_exiting(vcpu, CPU_BASED_NMI_WINDOW_EXITING,
			       vcpu->nmi_pending);
	}

	if (vcpu->irq_vector >= 0) {
		if (!busy && (hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
		    !(intr & IRQ_SHADOW)) {
			u32 info = vcpu->irq_vector | INTR_TYPE_EXT_INTR |
				   INTR_INFO_VALID_MASK;

			hvx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, info);
			trace_hvx_inject(vcpu, vcpu->irq_vector, info, false, 0);
			vcpu->irq_vector = -1;
			hvx_stat_add(&vcpu->stats, HVX_STAT_IRQS_INJECTED, 1);
		}
		window_exiting(vcpu, CPU_BASED_INTR_WINDOW_EXITING,
			       vcpu->irq_vector >= 0);
		return true;
	}

	if (want_window) {
		if (!busy && irq_window_open(vcpu)) {
			window_exiting(vcpu, CPU_BASED_INTR_WINDOW_EXITING,
				       false);
			vcpu->run->exit_reason = HVX_EXIT_IRQ_WINDOW_OPEN;
			return false;
		}
		window_exiting(vcpu, CPU_BASED_INTR_WINDOW_EXITING, true);
	} else {
		window_exiting(vcpu, CPU_BASED_INTR_WINDOW_EXITING, false);
	}
	return true;
}

/**
 * hvx_exit_window() - interrupt-window or NMI-window exit
 * @vcpu: the vCPU, loaded
 *
 * The guest can take what was waiting: the next entry injects it (or
 * returns to userspace, which asked for the window).
 *
 * Return: 1.
 */
int hvx_exit_window(struct hvx_vcpu *vcpu)
{
	window_exiting(vcpu, CPU_BASED_INTR_WINDOW_EXITING |
		       CPU_BASED_NMI_WINDOW_EXITING, false);
	return 1;
}

/**
 * hvx_requeue_event() - an NMI or interrupt whose delivery an exit cut short
 * @vcpu: the vCPU, loaded
 * @vect: the IDT-vectoring information of the exit
 *
 * It goes back to the head of the queue, to be delivered again when the
 * guest can take it: an exception the exit handler raises comes first.
 */
void hvx_requeue_event(struct hvx_vcpu *vcpu, u32 vect)
{
	u32 intr;

	if ((vect & VECTORING_INFO_TYPE_MASK) != INTR_TYPE_NMI_INTR) {
		vcpu->irq_vector = vect & VECTORING_INFO_VECTOR_MASK;
		return;
	}
	/*
	 * The exit left NMIs blocked as if the handler ran (SDM "Saving
	 * Non-Register State"); it did not, and no IRET will unblock them.
	 */
	vcpu->nmi_pending = true;
	intr = hvx_vmread32(GUEST_INTERRUPTIBILITY_INFO);
	if (intr & GUEST_INTR_STATE_NMI)
		hvx_vmwrite(GUEST_INTERRUPTIBILITY_INFO,
			    intr & ~GUEST_INTR_STATE_NMI);
}

/* Whether a halted vCPU has something that ends HLT. */
static bool halt_wakes(struct hvx_vcpu *vcpu)
{
	return vcpu->nmi_pending ||
	       (vcpu->irq_vector >= 0 &&
		(hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF));
}

/**
 * hvx_vcpu_halt() - sleep while the guest is halted
 * @vcpu: the vCPU, loaded, preemptible; vcpu->halted set
 *
 * Return: 1 when the guest has something to take (the halt is over); 0
 * after an exit to userspace (HLT with interrupts disabled and nothing
 * pending: nothing but userspace can end it); -EINTR when a signal came
 * first (the vCPU stays halted: the next HVX_RUN sleeps again).
 */
int hvx_vcpu_halt(struct hvx_vcpu *vcpu)
{
	DEFINE_WAIT(wait);
	int r = 1;

	if (halt_wakes(vcpu))
		goto awake;
	if (!(hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF)) {
		vcpu->halted = false;
		vcpu->run->exit_reason = HVX_EXIT_HLT;
		return 0;
	}
	hvx_stat_add(&vcpu->stats, HVX_STAT_HALTS, 1);
	for (;;) {
		prepare_to_wait(&vcpu->wq, &wait, TASK_INTERRUPTIBLE);
		if (halt_wakes(vcpu))
			break;
		if (signal_pending(current)) {
			vcpu->run->exit_reason = HVX_EXIT_INTR;
			r = -EINTR;
			break;
		}
		schedule();
	}
	finish_wait(&vcpu->wq, &wait);
	if (r < 0)
		return r;
awake:
	vcpu->halted = false;
	return 1;
}

/**
 * hvx_set_interrupt() - HVX_INTERRUPT
 * @vcpu: the vCPU, its mutex held
 * @irq: the request, copied from userspace
 *
 * Return: 0; -EINVAL for a vector above 255 or non-zero padding; -EBUSY
 * while the last one is still waiting for the guest.
 */
int hvx_set_interrupt(struct hvx_vcpu *vcpu, const struct hvx_interrupt *irq)
{
	if (irq->vector > 255 || irq->pad)
		return -EINVAL;
	if (vcpu->irq_vector >= 0)
		return -EBUSY;
	vcpu->irq_vector = irq->vector;
	return 0;
}

/**
 * hvx_set_nmi() - HVX_NMI
 * @vcpu: the vCPU, its mutex held
 *
 * A second NMI before the first is delivered merges with it, as the
 * processor's NMI latch does.
 */
void hvx_set_nmi(struct hvx_vcpu *vcpu)
{
	vcpu->nmi_pending = true;
}

/**
 * hvx_run_report_events() - the run page's interrupt fields, as HVX_RUN ends
 * @vcpu: the vCPU, loaded
 */
void hvx_run_report_events(struct hvx_vcpu *vcpu)
{
	struct hvx_run *run = vcpu->run;
	unsigned long rflags = hvx_vmread(GUEST_RFLAGS);

	run->if_flag = !!(rflags & X86_EFLAGS_IF);
	run->ready_for_interrupt_injection = vcpu->irq_vector < 0 &&
		!(hvx_vmread32(VM_ENTRY_INTR_INFO_FIELD) &
		  INTR_INFO_VALID_MASK) && irq_window_open(vcpu);
}
