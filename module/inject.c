// SPDX-License-Identifier: GPL-2.0
/*
 * External interrupts and NMIs for the guest: queued, injected on VM entry
 * when the guest can take them, with interrupt-window and NMI-window
 * exiting when it cannot yet; and HLT, which sleeps in the kernel until
 * the guest has something to take.
 *
 * A vCPU holds at most one external interrupt that has been acknowledged
 * but not delivered (irq_vector), one whose delivery a VM exit cut short
 * (or HVX_SET_VCPU_EVENTS gave), and apart from it one userspace queued
 * (extint_vector: HVX_INTERRUPT, a PIC's ExtINT, which waits while the
 * vCPU's LINT0 does not pass ExtINT); what the local APIC gives (apic.c)
 * is injected as it is taken.  NMIs latch one deep, as on hardware.
 * Other vCPUs and the APIC timer reach a vCPU through vcpu->requests.
 * Exceptions are not queued here: an exit handler writes them straight
 * into the VM-entry interruption field (regs.c), and they go first; a
 * queued interrupt then waits for the entry after, through the interrupt
 * window.
 */
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/wait.h>
#include <asm/trapnr.h>

#include "ring.h"
#include "vcpu.h"
#include "vmx_ops.h"
#include "trace.h"

/*
 * Halt polling: a halted vCPU first polls for its wakeup, so that one
 * that comes soon costs no sleep and no scheduler round trip; never while
 * another task wants the CPU.  Each vCPU's window adapts, as KVM's does:
 * it starts at 0, grows when a halt ended sooner than halt_poll_ns (the
 * most it may reach; 0 turns polling off) and shrinks when a halt lasted
 * longer, so that a guest idle for long stretches stops polling.
 */
static unsigned int halt_poll_ns = 200000;
module_param(halt_poll_ns, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns, "most ns a halted vCPU polls before it sleeps (0: never)");

static unsigned int halt_poll_ns_grow = 2;
module_param(halt_poll_ns_grow, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns_grow, "factor by which a vCPU's poll window grows (0: it does not)");

static unsigned int halt_poll_ns_grow_start = 10000;
module_param(halt_poll_ns_grow_start, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns_grow_start, "ns of a window that grows from 0");

static unsigned int halt_poll_ns_shrink = 2;
module_param(halt_poll_ns_shrink, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns_shrink, "divisor by which a vCPU's poll window shrinks (0: back to 0)");

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

/*
 * INIT: the architectural state after INIT (the local APIC keeps its ID
 * and base).  The BSP runs on from the reset vector, an AP waits for a
 * SIPI (SDM "MP Initialization").  Pending events are gone.
 */
static void vcpu_init_signal(struct hvx_vcpu *vcpu)
{
	unsigned long flags;

	spin_lock_irqsave(&vcpu->apic_lock, flags);
	hvx_lapic_init_signal(&vcpu->apic);
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
	/* the timer stopped */
	hvx_apic_timer_update(vcpu);
	hvx_vmcs_reset_guest(vcpu);
	/* an event queued for the next entry went with the old state */
	hvx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	vcpu->event_injected = false;
	/* the APIC's registers changed: RVI and SVI follow (apicv.c) */
	set_bit(HVX_REQ_EVENT, &vcpu->requests);
	vcpu->irq_vector = -1;
	vcpu->extint_vector = -1;
	vcpu->nmi_pending = false;
	vcpu->nmi_injected = false;
	vcpu->mp_state = vcpu->apic.apic_base & HVX_APIC_BASE_BSP ?
			 HVX_MP_RUNNABLE : HVX_MP_WAIT_SIPI;
}

/* SIPI: a vCPU waiting for one starts in real mode at vector << 12. */
static void vcpu_sipi(struct hvx_vcpu *vcpu, u8 vector)
{
	if (vcpu->mp_state != HVX_MP_WAIT_SIPI)
		return;
	hvx_vmwrite(GUEST_CS_SELECTOR, vector << 8);
	hvx_vmwrite(GUEST_CS_BASE, vector << 12);
	hvx_vmwrite(GUEST_RIP, 0);
	vcpu->mp_state = HVX_MP_RUNNABLE;
}

/* Turn what other vCPUs and the timer sent into the vCPU's own state. */
static void take_requests(struct hvx_vcpu *vcpu)
{
	if (!(READ_ONCE(vcpu->requests) & (BIT(HVX_REQ_NMI) | BIT(HVX_REQ_INIT) |
					   BIT(HVX_REQ_SIPI))))
		return;
	if (test_and_clear_bit(HVX_REQ_NMI, &vcpu->requests))
		vcpu->nmi_pending = true;
	if (test_and_clear_bit(HVX_REQ_INIT, &vcpu->requests))
		vcpu_init_signal(vcpu);
	if (test_and_clear_bit(HVX_REQ_SIPI, &vcpu->requests))
		vcpu_sipi(vcpu, READ_ONCE(vcpu->sipi_vector));
}

/*
 * Whether the HVX_INTERRUPT queued goes at the next window: the 8259's
 * INTR waits at a LINT0 that does not pass ExtINT, as KVM's does.
 */
static bool extint_ready(struct hvx_vcpu *vcpu)
{
	return vcpu->extint_vector >= 0 &&
	       hvx_lapic_accepts_extint(&vcpu->apic);
}

/*
 * The interrupt for this entry: irq_vector (one acknowledged, which goes
 * whatever LINT0 says), the HVX_INTERRUPT queued, or else the local
 * APIC's, taken (acknowledged) if the guest can take it at this entry,
 * else only seen.  With virtual-interrupt delivery the processor takes
 * the APIC's: this only learns what changed.
 * Return: the vector to inject now; -EAGAIN when one waits for the
 * window; -ENOENT for none.
 */
static int take_irq(struct hvx_vcpu *vcpu, bool open)
{
	int v;

	if (hvx_vmx.apicv) {
		unsigned long req = READ_ONCE(vcpu->requests);

		if (req & BIT(HVX_REQ_EVENT)) {
			/* the whole sync covers a new IRR bit too */
			if (req & BIT(HVX_REQ_IRR))
				clear_bit(HVX_REQ_IRR, &vcpu->requests);
			clear_bit(HVX_REQ_EVENT, &vcpu->requests);
			hvx_apicv_sync(vcpu);
		} else if (req & BIT(HVX_REQ_IRR)) {
			clear_bit(HVX_REQ_IRR, &vcpu->requests);
			hvx_apicv_sync_irr(vcpu);
		}
	}
	if (vcpu->irq_vector >= 0 || extint_ready(vcpu)) {
		if (!open)
			return -EAGAIN;
		if (vcpu->irq_vector >= 0) {
			v = vcpu->irq_vector;
			vcpu->irq_vector = -1;
		} else {
			v = vcpu->extint_vector;
			vcpu->extint_vector = -1;
		}
		return v;
	}
	if (hvx_vmx.apicv)
		return -ENOENT;
	if (!test_bit(HVX_REQ_EVENT, &vcpu->requests))
		return -ENOENT;
	clear_bit(HVX_REQ_EVENT, &vcpu->requests);
	v = hvx_apic_take(vcpu, open);
	if (v < 0)
		return -ENOENT;
	/*
	 * Taken, it raised the PPR above every other requested vector: the
	 * next to come through comes with its EOI (HVX_LAPIC_EFF_EVAL), or
	 * is a higher one that arrives later with its own request.  Only
	 * seen, it waits for the window: look again then.
	 */
	if (open)
		return v;
	set_bit(HVX_REQ_EVENT, &vcpu->requests);
	return -EAGAIN;
}

/**
 * hvx_inject_events() - put a queued NMI or interrupt into the next entry
 * @vcpu: the vCPU, loaded, interrupts disabled
 *
 * Return: 1 to enter the guest; 0 to return to userspace with
 * run->exit_reason set: a level-triggered EOI to report (it goes first,
 * as the guest's EOI came before anything queued now), or the interrupt
 * window userspace asked for is open; -EAGAIN when the vCPU must not
 * enter but wait (halted, or for a SIPI): hvx_vcpu_block().
 */
int hvx_inject_events(struct hvx_vcpu *vcpu)
{
	/* the window userspace's 8259 waits for: only where LINT0 passes it */
	bool want_window = READ_ONCE(vcpu->run->request_interrupt_window) &&
			   hvx_lapic_accepts_extint(&vcpu->apic);
	bool busy, open, nmi_waits, nmi_after_sti;
	u32 intr;
	int v;

	if (unlikely(test_bit(HVX_REQ_EOI_EXIT, &vcpu->requests)) &&
	    hvx_apic_eoi_exit(vcpu))
		return 0;
	take_requests(vcpu);
	/* halted (a signal may have ended the last HVX_RUN there), or INIT */
	if (vcpu->mp_state != HVX_MP_RUNNABLE)
		return -EAGAIN;
	/* an exception an exit handler raised goes first */
	busy = hvx_vmread32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID_MASK;
	intr = hvx_vmread32(GUEST_INTERRUPTIBILITY_INFO);

	if (vcpu->nmi_injected || vcpu->nmi_pending) {
		if (!busy && !(intr & NMI_BLOCKED)) {
			u32 info = X86_TRAP_NMI | INTR_TYPE_NMI_INTR |
				   INTR_INFO_VALID_MASK;

			hvx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, info);
			vcpu->event_injected = true;
			if (vcpu->nmi_injected)
				vcpu->nmi_injected = false;
			else
				vcpu->nmi_pending = false;
			busy = true;
			hvx_stat_add(&vcpu->stats, HVX_STAT_NMIS_INJECTED, 1);
			trace_hvx_inject(vcpu, X86_TRAP_NMI, info, false, 0);
		}
	}
	/*
	 * An NMI that only an STI shadow holds back waits for the interrupt
	 * window (RFLAGS.IF is set under that shadow), which opens after the
	 * shadow's instruction: a processor may take an NMI-window exit
	 * inside the shadow (SDM "NMI-Window Exiting"), that is before the
	 * guest's first instruction after every entry, for ever.  As with
	 * KVM, an instruction in the shadow that clears IF (sti; cli) keeps
	 * the NMI until the next exit.
	 */
	nmi_waits = vcpu->nmi_injected || vcpu->nmi_pending;
	nmi_after_sti = nmi_waits && !busy &&
			(intr & NMI_BLOCKED) == GUEST_INTR_STATE_STI;
	window_exiting(vcpu, CPU_BASED_NMI_WINDOW_EXITING,
		       nmi_waits && !nmi_after_sti);

	open = !busy && (hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
	       !(intr & IRQ_SHADOW);
	v = take_irq(vcpu, open);
	if (v != -ENOENT) {
		if (v >= 0) {
			u32 info = v | INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK;

			hvx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, info);
			vcpu->event_injected = true;
			trace_hvx_inject(vcpu, v, info, false, 0);
			hvx_stat_add(&vcpu->stats, HVX_STAT_IRQS_INJECTED, 1);
		}
		window_exiting(vcpu, CPU_BASED_INTR_WINDOW_EXITING, v < 0);
		return 1;
	}
	if (want_window && open) {
		window_exiting(vcpu, CPU_BASED_INTR_WINDOW_EXITING, false);
		vcpu->run->exit_reason = HVX_EXIT_IRQ_WINDOW_OPEN;
		return 0;
	}
	window_exiting(vcpu, CPU_BASED_INTR_WINDOW_EXITING,
		       want_window || nmi_after_sti);
	return 1;
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
	 * Not into the latch: an NMI latched meanwhile is a second one.
	 */
	vcpu->nmi_injected = true;
	intr = hvx_vmread32(GUEST_INTERRUPTIBILITY_INFO);
	if (intr & GUEST_INTR_STATE_NMI)
		hvx_vmwrite(GUEST_INTERRUPTIBILITY_INFO,
			    intr & ~GUEST_INTR_STATE_NMI);
}

/**
 * hvx_reblock_nmi() - an IRET that exited had already unblocked NMIs
 * @vcpu: the vCPU, loaded
 *
 * An IRET that faults, or takes an EPT violation, unblocks NMIs before
 * the exit (bit 12 of the exit qualification or of the exit's
 * interruption information says so; SDM "Information for VM Exits Due
 * to Vectored Events" and "... EPT Violations").  It runs again after
 * the exit, and must do so with NMIs blocked: else an NMI queued
 * meanwhile would nest in the guest's NMI handler.  The caller checks
 * the bit, from the value it read anyway, and that the exit came during
 * no event delivery.
 */
void hvx_reblock_nmi(struct hvx_vcpu *vcpu)
{
	hvx_vmwrite(GUEST_INTERRUPTIBILITY_INFO,
		    hvx_vmread32(GUEST_INTERRUPTIBILITY_INFO) |
		    GUEST_INTR_STATE_NMI);
}

/*
 * A SIPI to a vCPU that waits for none is ignored (SDM "MP
 * Initialization").  Left pending while the vCPU sleeps, it would start
 * the vCPU at its stale vector right after a later INIT.  Dropped unless
 * an INIT stands beside it (INIT then SIPI, which take_requests() takes
 * in that order); the exchange fails if an INIT comes meanwhile.
 */
static void drop_stale_sipi(struct hvx_vcpu *vcpu, unsigned long req)
{
	while ((req & BIT(HVX_REQ_SIPI)) && !(req & BIT(HVX_REQ_INIT)) &&
	       !try_cmpxchg(&vcpu->requests, &req,
			    req & ~BIT(HVX_REQ_SIPI)))
		;
}

/* Whether a blocked vCPU has something that ends its wait. */
static bool block_ends(struct hvx_vcpu *vcpu)
{
	unsigned long req = READ_ONCE(vcpu->requests);

	if (vcpu->mp_state == HVX_MP_WAIT_SIPI)
		return req & (BIT(HVX_REQ_SIPI) | BIT(HVX_REQ_INIT));
	if (req & BIT(HVX_REQ_SIPI))
		drop_stale_sipi(vcpu, req);
	if (req & BIT(HVX_REQ_INIT))
		return true;
	/*
	 * An event the next entry delivers, as exit_hlt() sees it: one that
	 * HVX_SET_VCPU_EVENTS gave a halted vCPU (a debugger, a restore).
	 */
	if (hvx_vmread32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID_MASK)
		return true;
	/* an NMI ends a halt only where the guest can take it */
	if ((vcpu->nmi_injected || vcpu->nmi_pending ||
	     (req & BIT(HVX_REQ_NMI))) &&
	    !(hvx_vmread32(GUEST_INTERRUPTIBILITY_INFO) & GUEST_INTR_STATE_NMI))
		return true;
	if (!(hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF))
		return false;
	/* the processor may hold an interrupt in the IRR that no request names */
	if (vcpu->irq_vector >= 0 || extint_ready(vcpu))
		return true;
	if (hvx_vmx.apicv)
		return hvx_apic_take(vcpu, false) >= 0;
	return (req & BIT(HVX_REQ_EVENT)) && hvx_apic_take(vcpu, false) >= 0;
}

/*
 * Userspace asked for the interrupt window (its 8259's interrupt, which
 * came while the guest had interrupts off) and the halted guest could
 * take one now: that exit, rather than a sleep nothing would end, as with
 * KVM.  The guest's "sti; hlt" opened the window inside the HLT, where
 * no interrupt-window exit comes.  HVX_INTERRUPT then ends the halt.
 */
static bool halted_window_open(struct hvx_vcpu *vcpu)
{
	return vcpu->mp_state == HVX_MP_HALTED &&
	       READ_ONCE(vcpu->run->request_interrupt_window) &&
	       vcpu->irq_vector < 0 && vcpu->extint_vector < 0 &&
	       hvx_lapic_accepts_extint(&vcpu->apic) &&
	       (hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
	       !(hvx_vmread32(GUEST_INTERRUPTIBILITY_INFO) & IRQ_SHADOW);
}

/* The requests a kick that may end a halt sets (hvx_vcpu_kick()). */
#define HALT_WAKE_REQS	(BIT(HVX_REQ_EVENT) | BIT(HVX_REQ_IRR) | \
			 BIT(HVX_REQ_NMI) | BIT(HVX_REQ_INIT) | \
			 BIT(HVX_REQ_SIPI))

/*
 * Poll for the end of a halt for up to the vCPU's window, as long as this
 * is the only task that wants the CPU.  block_ends() has found nothing
 * before: while the vCPU does not run, only a kick can change that, and
 * a kick sets a request first.  So the APIC is looked at (under its lock)
 * once a request is set, not on every turn: how fast a turn is, is how
 * soon the wakeup is seen.  Return: whether the halt ended; then *@end
 * is the poll's last look at the clock (within a turn of the wakeup,
 * close enough for halt_poll_adapt(), one clock read fewer on the way
 * back into the guest).
 */
static bool halt_poll(struct hvx_vcpu *vcpu, ktime_t start, ktime_t *end)
{
	unsigned int ns = min(vcpu->halt_poll_ns, READ_ONCE(halt_poll_ns));
	ktime_t stop = ktime_add_ns(start, ns), now = start;

	if (!ns || !single_task_running())
		return false;
	do {
		if ((READ_ONCE(vcpu->requests) & HALT_WAKE_REQS) &&
		    block_ends(vcpu)) {
			hvx_stat_add(&vcpu->stats, HVX_STAT_HALT_POLL_OK, 1);
			*end = now;
			return true;
		}
		cpu_relax();
		if (!single_task_running() || need_resched() ||
		    signal_pending(current))
			break;
		now = ktime_get();
	} while (ktime_before(now, stop));
	hvx_stat_add(&vcpu->stats, HVX_STAT_HALT_POLL_FAIL, 1);
	return false;
}

/*
 * The window after a halt of @halted ns: grown when the wakeup came
 * within halt_poll_ns but after the window (a longer poll would have
 * caught it), shrunk when even halt_poll_ns would not have.
 */
static void halt_poll_adapt(struct hvx_vcpu *vcpu, u64 halted)
{
	unsigned int max = READ_ONCE(halt_poll_ns);
	unsigned int grow = READ_ONCE(halt_poll_ns_grow);
	unsigned int shrink = READ_ONCE(halt_poll_ns_shrink);
	u64 ns = vcpu->halt_poll_ns;

	if (halted <= ns && ns <= max)
		return;
	if (halted > max) {
		ns = shrink ? ns / shrink : 0;
	} else if (grow) {
		ns *= grow;
		if (ns < READ_ONCE(halt_poll_ns_grow_start))
			ns = READ_ONCE(halt_poll_ns_grow_start);
	}
	vcpu->halt_poll_ns = min_t(u64, ns, max);
}

/**
 * hvx_vcpu_block() - sleep while the guest is halted or waits for a SIPI
 * @vcpu: the vCPU, loaded, preemptible; vcpu->mp_state not runnable
 * @hlt: the guest has just executed HLT
 *
 * A HLT with interrupts disabled and nothing pending goes to userspace,
 * which alone can end it (a guest that is done, or a CPU taken offline).
 * A vCPU that userspace left halted (HVX_SET_MP_STATE) sleeps with
 * interrupts disabled too, until an NMI or INIT, as a processor does.
 *
 * Return: 1 when the wait is over (the guest has something to take, or
 * got its SIPI); 0 after that exit to userspace; -EINTR when a signal
 * came first (the state stays: the next HVX_RUN waits again).
 */
int hvx_vcpu_block(struct hvx_vcpu *vcpu, bool hlt)
{
	DEFINE_WAIT(wait);
	ktime_t start = 0, end = 0;
	int r = 1;

	if (block_ends(vcpu))
		goto awake;
	if (hlt && !(hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_IF)) {
		vcpu->mp_state = HVX_MP_RUNNABLE;
		vcpu->run->exit_reason = HVX_EXIT_HLT;
		return 0;
	}
	if (halted_window_open(vcpu)) {
		vcpu->run->exit_reason = HVX_EXIT_IRQ_WINDOW_OPEN;
		return 0;
	}
	/* a sync point for the ring's deferred wake-up (rings.rst) */
	hvx_ring_vcpu_idle(vcpu->vm);
	/* nothing runs the guest's timer now: the hrtimer, until we wake */
	hvx_apic_timer_sleep(vcpu);
	if (vcpu->mp_state == HVX_MP_HALTED) {
		start = ktime_get();
		if (halt_poll(vcpu, start, &end))
			goto awake;
		hvx_stat_add(&vcpu->stats, HVX_STAT_HALTS, 1);
	}
	for (;;) {
		prepare_to_wait(&vcpu->wq, &wait, TASK_INTERRUPTIBLE);
		if (block_ends(vcpu))
			break;
		if (signal_pending(current)) {
			vcpu->run->exit_reason = HVX_EXIT_INTR;
			r = -EINTR;
			break;
		}
		schedule();
	}
	finish_wait(&vcpu->wq, &wait);
	if (r < 0) {
		hvx_apic_timer_wake(vcpu);
		return r;
	}
awake:
	hvx_apic_timer_wake(vcpu);
	/* a SIPI is taken by the run loop; a halt ends here */
	if (vcpu->mp_state == HVX_MP_HALTED) {
		vcpu->mp_state = HVX_MP_RUNNABLE;
		if (start) {
			if (!end)
				end = ktime_get();
			halt_poll_adapt(vcpu, ktime_to_ns(ktime_sub(end, start)));
		}
	}
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
	if (vcpu->irq_vector >= 0 || vcpu->extint_vector >= 0)
		return -EBUSY;
	vcpu->extint_vector = irq->vector;
	return 0;
}

/**
 * hvx_set_mp_state() - HVX_SET_MP_STATE
 * @vcpu: the vCPU, its mutex held
 * @mp: the request, copied from userspace
 *
 * Return: 0; -EINVAL for an unknown state or non-zero padding.
 */
int hvx_set_mp_state(struct hvx_vcpu *vcpu, const struct hvx_mp_state *mp)
{
	if (mp->pad || mp->state > HVX_MP_WAIT_SIPI)
		return -EINVAL;
	vcpu->mp_state = mp->state;
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

	/*
	 * Not the local APIC's requests: an HVX_INTERRUPT goes before what
	 * its IRR holds (take_irq()), and a halted vCPU keeps a request
	 * that delivered nothing (a masked timer's expiry, a vector below
	 * the PPR) until it wakes, which the window exit it made a VMM wait
	 * for would not do.
	 */
	run->if_flag = !!(rflags & X86_EFLAGS_IF);
	run->ready_for_interrupt_injection = run->if_flag &&
		vcpu->irq_vector < 0 && vcpu->extint_vector < 0 &&
		hvx_lapic_accepts_extint(&vcpu->apic) &&
		!(hvx_vmread32(VM_ENTRY_INTR_INFO_FIELD) &
		  INTR_INFO_VALID_MASK) &&
		!(hvx_vmread32(GUEST_INTERRUPTIBILITY_INFO) & IRQ_SHADOW);
}
