// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC of each vCPU, wired to the rest of hvx: the xAPIC page
 * and the x2APIC MSRs, CR8, interrupt routing between vCPUs (IPIs) and
 * the kicks that make a vCPU look at what it was sent.  The APIC's
 * architecture itself is lapic.c; its timer, on the VMX-preemption timer
 * or an hrtimer, apic_timer.c.
 *
 * Locking: vcpu->apic_lock guards vcpu->apic.  It is taken from the
 * vCPU's own thread, from other vCPUs' threads routing an IPI, and from
 * the timer's hard-interrupt callback, so always with interrupts off, and
 * never two at a time: routing takes each target's lock in turn.
 *
 * A level-triggered EOI is userspace's business: its I/O APIC clears the
 * pin's remote IRR and may deliver it again.  The EOI sets a bit in
 * vcpu->eoi_exits and HVX_REQ_EOI_EXIT; the run loop then returns
 * HVX_EXIT_EOI before it enters the guest again.  Edge-triggered EOIs
 * (nearly all of them) cost nothing more than before.
 *
 * A vCPU learns of a change through vcpu->requests (HVX_REQ_*): the sender
 * sets a bit, then kicks (hvx_vcpu_kick()): a vCPU asleep in HLT is woken,
 * one in the guest on another CPU gets a reschedule IPI, which makes it
 * exit.  The run loop publishes vcpu->in_guest before its last look at the
 * requests, with a full barrier on both sides, so no request is missed.
 */
#include <linux/bitmap.h>
#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/rcupdate.h>
#include <linux/smp.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/processor.h>
#include <asm/tsc.h>

#include "compat.h"
#include "lapic.h"
#include "vcpu.h"
#include "vmx_ops.h"


/*
 * The shortest period of a periodic timer (KVM's default minimum): with a
 * count of 1 at divide 1 (1 ns) its hrtimer would fire again at once, in
 * hard interrupt context, for as long as the guest liked.
 */
#define TIMER_MIN_PERIOD_NS	(200 * NSEC_PER_USEC)

/**
 * hvx_apic_init() - the vCPU's local APIC at creation (power-on state)
 * @vcpu: the new vCPU, not yet visible to anyone
 */
void hvx_apic_init(struct hvx_vcpu *vcpu)
{
	struct hvx_lapic *l = &vcpu->apic;

	spin_lock_init(&vcpu->apic_lock);
	hvx_apic_timer_init(vcpu);
	l->cfg.timer_hz = HVX_LAPIC_DEFAULT_TIMER_HZ;
	l->cfg.min_period_ns = TIMER_MIN_PERIOD_NS;
	/* as the default CPUID table shows them; a new table decides (cpuid.c) */
	l->cfg.features = HVX_LAPIC_F_X2APIC | HVX_LAPIC_F_TSC_DEADLINE;
	/* the caller holds vm->lock, which guards the option */
	if (vcpu->vm->directed_eoi)
		l->cfg.features |= HVX_LAPIC_F_DIRECTED_EOI;
	l->cfg.maxphyaddr = boot_cpu_data.x86_phys_bits;
	hvx_lapic_reset(l, vcpu->id, vcpu->id == 0);
	vcpu->timer_tsc = U64_MAX;
	/* the first entry sets up APIC virtualization for the mode */
	set_bit(HVX_REQ_EVENT, &vcpu->requests);
}

/**
 * hvx_apic_destroy() - stop the timer of a vCPU that is going away
 * @vcpu: the vCPU, gone from vm->vcpus[]: routing may still read it until
 *	a grace period ends (hvx_vcpu_release()), but only its own thread
 *	arms the timer
 */
void hvx_apic_destroy(struct hvx_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->apic_timer);
}

/**
 * hvx_vcpu_kick() - make a vCPU act on a request soon
 * @vcpu: the vCPU
 * @req: HVX_REQ_*
 *
 * Context: any, hard interrupts included.
 */
void hvx_vcpu_kick(struct hvx_vcpu *vcpu, unsigned int req)
{
	int cpu;

	set_bit(req, &vcpu->requests);
	/*
	 * Pairs with the barrier after in_guest is set in the run loop and
	 * with prepare_to_wait()'s in hvx_vcpu_block(): either we see the
	 * vCPU in the guest or waiting, or it sees the request.
	 */
	smp_mb__after_atomic();
	if (READ_ONCE(vcpu->in_guest)) {
		/*
		 * Not preempted between the read and the IPI: the CPU read
		 * could go offline meanwhile (an IPI to an offline CPU
		 * warns); one that went before the read is not in_guest.
		 */
		int me = get_cpu();

		cpu = READ_ONCE(vcpu->cpu);
		if (cpu >= 0 && cpu != me && cpu_online(cpu))
			smp_send_reschedule(cpu);
		put_cpu();
		/* it looks at its requests before it can wait */
		return;
	}
	/* a polling halt (halt_poll_ns) sees the request by itself */
	if (waitqueue_active(&vcpu->wq))
		wake_up_interruptible(&vcpu->wq);
}

/*
 * With APIC virtualization a level-triggered vector must not reach the
 * IRR while its vCPU may be in the guest: the processor could deliver it
 * before the next entry puts it into the EOI-exit bitmap, and its EOI
 * would then not exit.  It waits in vcpu->apicv_level for the vCPU's own
 * thread (apic_take_level()), which accepts it when the guest is out.
 * Caller: the target's apic_lock held.
 */
static bool apic_defer_level(struct hvx_vcpu *t, const struct hvx_lapic_irq *irq)
{
	lockdep_assert_held(&t->apic_lock);
	if (!hvx_vmx.apicv || !irq->level || irq->vector < 16 ||
	    (irq->delivery_mode != HVX_APIC_DM_FIXED &&
	     irq->delivery_mode != HVX_APIC_DM_LOWEST) ||
	    !hvx_lapic_sw_enabled(&t->apic))
		return false;
	set_bit(irq->vector, t->apicv_level);
	return true;
}

/*
 * Whether a level-triggered vector waits; apic_lock held.  Asked on every
 * look at the APIC, so a few loads instead of a bit search.
 */
static bool apic_level_deferred(const struct hvx_vcpu *vcpu)
{
	unsigned int i;

	for (i = 0; i < BITS_TO_LONGS(256); i++)
		if (vcpu->apicv_level[i])
			return true;
	return false;
}

/* The deferred level-triggered vectors into the IRR; apic_lock held. */
static void apic_take_level(struct hvx_vcpu *vcpu)
{
	unsigned int v;

	lockdep_assert_held(&vcpu->apic_lock);
	/* only APIC virtualization defers them (apic_defer_level()) */
	if (likely(!hvx_vmx.apicv || !apic_level_deferred(vcpu)))
		return;
	for_each_set_bit(v, vcpu->apicv_level, 256)
		if (test_and_clear_bit(v, vcpu->apicv_level))
			hvx_lapic_accept(&vcpu->apic, v, true);
	/*
	 * The EOI-exit bitmap and RVI must follow before the next entry,
	 * whether or not the sender's own request has landed yet.
	 */
	set_bit(HVX_REQ_EVENT, &vcpu->requests);
}

/* How APIC virtualization serves @l's mode; apic_lock held. */
static enum hvx_apicv_mode apic_vmode(const struct hvx_lapic *l)
{
	if (hvx_lapic_mode_x2apic(l))
		return HVX_APICV_X2APIC_MSRS;
	if (hvx_lapic_hw_enabled(l) &&
	    (l->apic_base & HVX_APIC_BASE_ADDR_MASK) == HVX_APIC_DEFAULT_BASE)
		return HVX_APICV_XAPIC_PAGE;
	return HVX_APICV_TRAP;
}

/**
 * hvx_apic_mode() - how APIC virtualization serves the APIC now
 * @vcpu: the vCPU
 *
 * Return: the mode, for an APIC in the state it was in.
 */
enum hvx_apicv_mode hvx_apic_mode(struct hvx_vcpu *vcpu)
{
	enum hvx_apicv_mode mode;
	unsigned long flags;

	spin_lock_irqsave(&vcpu->apic_lock, flags);
	mode = apic_vmode(&vcpu->apic);
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
	return mode;
}

/**
 * hvx_apic_vid_state() - what APIC virtualization needs before an entry
 * @vcpu: the vCPU, from its own thread, the guest not running
 * @tmr: the TMR, 64 vectors a word
 * @mode: how APIC virtualization serves the APIC's mode
 *
 * Deferred level-triggered vectors are accepted first.
 *
 * Return: the guest interrupt status (SVI, RVI).
 */
u16 hvx_apic_vid_state(struct hvx_vcpu *vcpu, u64 tmr[4],
		       enum hvx_apicv_mode *mode)
{
	struct hvx_lapic *l = &vcpu->apic;
	unsigned long flags;
	u16 status;
	int i;

	spin_lock_irqsave(&vcpu->apic_lock, flags);
	apic_take_level(vcpu);
	status = hvx_lapic_vid_status(l);
	*mode = apic_vmode(l);
	for (i = 0; i < 4; i++)
		tmr[i] = hvx_lapic_reg(l, HVX_APIC_REG_TMR + i * 32) |
			 (u64)hvx_lapic_reg(l, HVX_APIC_REG_TMR + i * 32 + 16)
			 << 32;
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
	return status;
}

/*
 * @irq into @t's APIC (or its deferred levels); t->apic_lock held.
 * *@irr_only: with APIC virtualization, an edge-triggered vector went into
 * the IRR and nothing else changed (its TMR bit was already clear), so the
 * processor needs only a new RVI (HVX_REQ_IRR).
 */
static enum hvx_lapic_delivery apic_accept(struct hvx_vcpu *t,
					   const struct hvx_lapic_irq *irq,
					   bool *irr_only)
{
	lockdep_assert_held(&t->apic_lock);
	*irr_only = false;
	if (apic_defer_level(t, irq))
		return HVX_LAPIC_ACCEPTED;
	/* an illegal vector's error interrupt may change the TMR */
	*irr_only = hvx_vmx.apicv && !irq->level && irq->vector >= 16 &&
		    !hvx_lapic_vec_test(&t->apic, HVX_APIC_REG_TMR, irq->vector);
	return hvx_lapic_deliver(&t->apic, irq);
}

/*
 * What one delivered message asks of its target vCPU.  Return: whether
 * the vCPU got something: an SMI (no SMM here) and an ExtINT (no PIC in
 * the kernel) are dropped, and counted so.
 */
static bool apic_delivered(struct hvx_vcpu *t, enum hvx_lapic_delivery d,
			   u8 vector, bool irr_only)
{
	switch (d) {
	case HVX_LAPIC_ACCEPTED:
		hvx_vcpu_kick(t, irr_only ? HVX_REQ_IRR : HVX_REQ_EVENT);
		return true;
	case HVX_LAPIC_NMI:
		hvx_vcpu_kick(t, HVX_REQ_NMI);
		return true;
	case HVX_LAPIC_INIT:
		/*
		 * A SIPI that came before is for a vCPU that waited for
		 * none: ignored (SDM "MP Initialization"), it must not start
		 * this INIT's wait.
		 */
		clear_bit(HVX_REQ_SIPI, &t->requests);
		hvx_vcpu_kick(t, HVX_REQ_INIT);
		return true;
	case HVX_LAPIC_SIPI:
		WRITE_ONCE(t->sipi_vector, vector);
		hvx_vcpu_kick(t, HVX_REQ_SIPI);
		return true;
	default:
		return false;
	}
}

/*
 * @irq into @t's APIC, whose lock the caller took with @flags; the lock
 * is released before the kick.  Return: 1 when @t got it, else 0.
 */
static __always_inline int
apic_accept_unlock(struct hvx_vcpu *t, const struct hvx_lapic_irq *irq,
		   unsigned long flags)
	__releases(&t->apic_lock)
{
	enum hvx_lapic_delivery d;
	bool irr_only;

	d = apic_accept(t, irq, &irr_only);
	spin_unlock_irqrestore(&t->apic_lock, flags);
	return apic_delivered(t, d, irq->vector, irr_only);
}

/*
 * Lowest priority: of the APICs that match, the software-enabled one of
 * lowest arbitration priority gets the message.  One pass keeps the best
 * so far instead of listing the matches: an irqfd's wake-up routes from
 * hard-interrupt context, where a list of HVX_MAX_VCPUS would cost a
 * kilobyte of stack.  Return: that vCPU, or NULL if no match is
 * software-enabled.
 */
static struct hvx_vcpu *apic_lowest(struct hvx_vm *vm, struct hvx_vcpu *src,
				    const struct hvx_lapic_irq *irq,
				    unsigned int end)
{
	u32 best_apr = HVX_LAPIC_APR_NONE;
	struct hvx_vcpu *best = NULL;
	unsigned long flags;
	unsigned int i;

	for (i = 0; i < end; i++) {
		struct hvx_vcpu *t = READ_ONCE(vm->vcpus[i]);

		if (!t)
			continue;
		spin_lock_irqsave(&t->apic_lock, flags);
		if (hvx_lapic_match_dest(&t->apic, t == src, irq) &&
		    hvx_lapic_lowest_prio_beats(&t->apic, &best_apr))
			best = t;
		spin_unlock_irqrestore(&t->apic_lock, flags);
	}
	return best;
}

/**
 * hvx_apic_route() - deliver an IPI or MSI to the local APICs it names
 * @vm: the VM
 * @src: the sending vCPU (for the "self" shorthands), or NULL for an MSI
 * @irq: the message
 *
 * A destination no vCPU matches drops the message, as on hardware.
 *
 * Return: the number of vCPUs that got it.
 */
int hvx_apic_route(struct hvx_vm *vm, struct hvx_vcpu *src,
		   const struct hvx_lapic_irq *irq)
{
	struct hvx_vcpu *best = NULL;
	unsigned long flags;
	unsigned int i, end;
	int got = 0;

	rcu_read_lock();
	/* a VM of two vCPUs looks at two slots, not HVX_MAX_VCPUS */
	end = smp_load_acquire(&vm->vcpu_id_end);
	if (irq->delivery_mode == HVX_APIC_DM_LOWEST ||
	    (irq->redir_hint && irq->logical))
		best = apic_lowest(vm, src, irq, end);
	if (best) {
		/* a snapshot of the priorities is all hardware uses too */
		spin_lock_irqsave(&best->apic_lock, flags);
		got = apic_accept_unlock(best, irq, flags);
		goto out;
	}
	/*
	 * Lowest priority with no software-enabled match gives it to every
	 * match too: a software-disabled APIC still takes an NMI or INIT
	 * sent with the redirection hint.
	 */
	for (i = 0; i < end; i++) {
		struct hvx_vcpu *t = READ_ONCE(vm->vcpus[i]);

		if (!t)
			continue;
		/* every APIC that matches gets it, under the lock of the match */
		spin_lock_irqsave(&t->apic_lock, flags);
		if (!hvx_lapic_match_dest(&t->apic, t == src, irq)) {
			spin_unlock_irqrestore(&t->apic_lock, flags);
			continue;
		}
		got += apic_accept_unlock(t, irq, flags);
	}
out:
	rcu_read_unlock();
	if (!got)
		atomic64_inc(&vm->msi_dropped);
	return got;
}

/*
 * The guest retired a level-triggered vector: userspace's I/O APIC hears
 * of it before the guest runs on.  Only the vCPU's own thread gets here
 * (its guest's access, or its own ioctl), so eoi_exits needs no lock.
 */
static void apic_eoi_exit(struct hvx_vcpu *vcpu, u8 vector)
{
	__set_bit(vector, vcpu->eoi_exits);
	set_bit(HVX_REQ_EOI_EXIT, &vcpu->requests);
}

/**
 * hvx_apic_eoi_exit() - report one level-triggered EOI to userspace
 * @vcpu: the vCPU, from its own thread; HVX_REQ_EOI_EXIT is set
 *
 * Reports the lowest vector waiting; the request stays while more wait,
 * so each gets its own exit before the guest runs again.
 *
 * Return: true with run->exit_reason HVX_EXIT_EOI and run->eoi filled;
 * false when there was nothing to report.
 */
bool hvx_apic_eoi_exit(struct hvx_vcpu *vcpu)
{
	struct hvx_run *run = vcpu->run;
	unsigned long v = find_first_bit(vcpu->eoi_exits, 256);

	if (v >= 256) {
		clear_bit(HVX_REQ_EOI_EXIT, &vcpu->requests);
		return false;
	}
	__clear_bit(v, vcpu->eoi_exits);
	if (bitmap_empty(vcpu->eoi_exits, 256))
		clear_bit(HVX_REQ_EOI_EXIT, &vcpu->requests);
	run->exit_reason = HVX_EXIT_EOI;
	memset(&run->eoi, 0, sizeof(run->eoi));
	run->eoi.vector = v;
	return true;
}

/* Act on what a guest access to its APIC asked for. */
static void apic_effects(struct hvx_vcpu *vcpu,
			 const struct hvx_lapic_effects *eff)
{
	if (eff->flags & HVX_LAPIC_EFF_TIMER)
		hvx_apic_timer_update(vcpu);
	if (eff->flags & HVX_LAPIC_EFF_EVAL)
		set_bit(HVX_REQ_EVENT, &vcpu->requests);
	if (eff->flags & HVX_LAPIC_EFF_IPI) {
		hvx_stat_add(&vcpu->stats, HVX_STAT_IPIS_SENT, 1);
		hvx_apic_route(vcpu->vm, vcpu, &eff->ipi);
	}
	/*
	 * An EOI that let a lower-priority interrupt through says EVAL.
	 * With APIC virtualization the processor's SVI must follow the ISR
	 * whatever is due (hvx_apicv_sync()).
	 */
	if (eff->flags & HVX_LAPIC_EFF_EOI) {
		if (hvx_vmx.apicv)
			set_bit(HVX_REQ_EVENT, &vcpu->requests);
		/* with directed EOI the guest tells the I/O APIC itself */
		if (unlikely(eff->eoi_level && !eff->eoi_suppress))
			apic_eoi_exit(vcpu, eff->eoi_vector);
	}
}

/**
 * hvx_apic_mmio() - a guest access to the xAPIC page
 * @vcpu: the vCPU, loaded
 * @gpa: the address
 * @size: bytes
 * @write: a store of @*val, else a load into @*val
 * @val: the value
 *
 * The caller checked hvx_apic_page().
 *
 * Return: true when the APIC served the access, false when the page is
 * not the APIC's after all (disabled, or in x2APIC mode): userspace's.
 */
bool hvx_apic_mmio(struct hvx_vcpu *vcpu, u64 gpa, unsigned int size,
		   bool write, u64 *val)
{
	struct hvx_lapic_effects eff = {};
	struct hvx_lapic *l = &vcpu->apic;
	unsigned long flags;
	u32 v32 = *val;
	int r;

	spin_lock_irqsave(&vcpu->apic_lock, flags);
	if (write)
		r = hvx_lapic_write(l, gpa & ~PAGE_MASK, size, v32,
				    ktime_get_ns(), &eff);
	else
		r = hvx_lapic_read(l, gpa & ~PAGE_MASK, size, ktime_get_ns(),
				   &v32, &eff);
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
	/* disabled, or in x2APIC mode: the page is not the APIC's */
	if (r == -ENXIO)
		return false;
	if (!write)
		*val = r ? 0 : v32;
	apic_effects(vcpu, &eff);
	return true;
}

/**
 * hvx_exit_eoi_induced() - the guest EOIed a vector of the EOI-exit bitmap
 * @vcpu: the vCPU, loaded
 *
 * The processor already retired the vector (virtual-interrupt delivery);
 * a level-triggered one goes to userspace as if the model had seen the
 * EOI.  The exit is trap-like: the instruction is done.
 *
 * Return: 1.
 */
int hvx_exit_eoi_induced(struct hvx_vcpu *vcpu)
{
	u8 vector = hvx_vmread(EXIT_QUALIFICATION) & HVX_APIC_VECTOR_MASK;
	struct hvx_lapic_effects eff = {};
	unsigned long flags;

	spin_lock_irqsave(&vcpu->apic_lock, flags);
	hvx_lapic_eoi_done(&vcpu->apic, vector, &eff);
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
	apic_effects(vcpu, &eff);
	return 1;
}

/**
 * hvx_exit_apic_write() - the guest wrote an xAPIC register the processor
 *	stored in the virtual-APIC page (APIC-access virtualization)
 * @vcpu: the vCPU, loaded
 *
 * The exit is trap-like: the instruction is done and the value is in
 * the page.  The model applies it as an MMIO write to the register as
 * it was at the entry (apicv.c), so that a write has the same effects
 * (IPIs, the timer, read-only bits) whichever way it came.  The exit
 * does not tell the size: a narrow write at a register's offset, which
 * the model ignores through MMIO, acts here on the register as it now
 * reads.  In x2APIC mode only a SELF IPI of an illegal vector exits so.
 *
 * Return: 1.
 */
int hvx_exit_apic_write(struct hvx_vcpu *vcpu)
{
	unsigned int at = hvx_vmread(EXIT_QUALIFICATION) & APIC_ACCESS_OFFSET;
	unsigned int off = at & (HVX_LAPIC_REGS_SIZE - 16);
	struct hvx_lapic_effects eff = {};
	struct hvx_lapic *l = &vcpu->apic;
	u64 now = ktime_get_ns();
	unsigned long flags;
	u32 val;

	spin_lock_irqsave(&vcpu->apic_lock, flags);
	val = hvx_lapic_reg(l, off);
	/*
	 * The TPR and EOI are not in the copy (a TPR write at 80H does not
	 * exit, nor does CR8's): one here is a narrow store above their
	 * first byte, which only those bytes took.  They read 0.
	 */
	if (off == HVX_APIC_REG_TPR)
		l->regs[off / 4] = val & 0xff;
	else if (off == HVX_APIC_REG_EOI)
		l->regs[off / 4] = 0;
	else
		l->regs[off / 4] = vcpu->apicv_old[off >> 4];
	/* x2APIC virtualization leaves a SELF IPI below vector 16 to us */
	if (hvx_lapic_mode_x2apic(l))
		hvx_lapic_wrmsr(l, HVX_X2APIC_MSR_BASE + (off >> 4), val, now,
				&eff);
	/* a misaligned write does nothing, as it does through MMIO */
	else if (at == off)
		hvx_lapic_write(l, off, 4, val, now, &eff);
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
	apic_effects(vcpu, &eff);
	return 1;
}

/* The guest's TSC and a deadline in it, as ns of ktime_get_ns(). */
static u64 tsc_deadline_ns(u64 deadline, u64 guest_tsc, u64 now)
{
	u64 delta = deadline - guest_tsc, limit = KTIME_MAX - now;

	if (deadline <= guest_tsc || !tsc_khz)
		return now;
	/*
	 * A deadline no ktime can hold never comes; and for one that far
	 * the quotient below would not fit in 64 bits: a divide error in
	 * the host, from any guest's WRMSR.
	 */
	if (delta / tsc_khz >= limit / USEC_PER_SEC)
		return KTIME_MAX;
	return min_t(u64, now + mul_u64_u32_div(delta, USEC_PER_SEC, tsc_khz),
		     KTIME_MAX);
}

/*
 * A timer write while the vCPU runs (a Linux guest's TSC deadline at
 * every timer event): its next tick for the preemption timer from the
 * clocks the caller just read, under the apic_lock it holds, rather than
 * read both and take the lock again in hvx_apic_timer_update().
 */
static void timer_moved_locked(struct hvx_vcpu *vcpu,
			       struct hvx_lapic_effects *eff, u64 now,
			       u64 host_tsc)
{
	lockdep_assert_held(&vcpu->apic_lock);
	if ((eff->flags & HVX_LAPIC_EFF_TIMER) && hvx_apic_timer_on_vmx(vcpu)) {
		vcpu->timer_tsc = hvx_timer_host_tsc(hvx_lapic_timer_next(&vcpu->apic),
						 now, host_tsc);
		eff->flags &= ~HVX_LAPIC_EFF_TIMER;
	}
}

/**
 * hvx_apic_tsc_moved() - the vCPU's TSC offset changed
 * @vcpu: the vCPU, loaded, with its new TSC_OFFSET
 *
 * An armed TSC deadline is a value of the TSC, not a time: the interrupt
 * comes when the TSC reaches it (SDM vol. 3A, "TSC-Deadline Mode"), so a
 * write of IA32_TSC or IA32_TSC_ADJUST, by the guest or userspace, moves
 * its expiry.
 */
void hvx_apic_tsc_moved(struct hvx_vcpu *vcpu)
{
	struct hvx_lapic_effects eff = {};
	struct hvx_lapic *l = &vcpu->apic;
	u64 now, host_tsc, tsc, deadline;
	unsigned long flags;

	now = hvx_clock_pair(&host_tsc);
	tsc = host_tsc + hvx_vmread64(TSC_OFFSET);
	spin_lock_irqsave(&vcpu->apic_lock, flags);
	deadline = hvx_lapic_tsc_deadline(l);
	if (deadline) {
		hvx_lapic_set_tsc_deadline(l, deadline,
					   tsc_deadline_ns(deadline, tsc, now),
					   now, &eff);
		timer_moved_locked(vcpu, &eff, now, host_tsc);
	}
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
	apic_effects(vcpu, &eff);
}

/*
 * Only the timer's registers need the time.  The ICR and EOI, which trap
 * on every IPI and (without APIC virtualization) every interrupt, do not
 * pay for reading the clock.
 */
static bool apic_msr_timed(u32 index)
{
	switch (index) {
	case HVX_MSR_TSC_DEADLINE:
	case HVX_X2APIC_MSR_BASE + (HVX_APIC_REG_TMICT >> 4):
	case HVX_X2APIC_MSR_BASE + (HVX_APIC_REG_TMCCT >> 4):
	case HVX_X2APIC_MSR_BASE + (HVX_APIC_REG_TDCR >> 4):
		return true;
	}
	return false;
}

/**
 * hvx_apic_msr() - RDMSR/WRMSR of an APIC MSR
 * @vcpu: the vCPU, loaded
 * @index: the MSR
 * @write: WRMSR of @*data, else RDMSR into @*data
 * @data: the value
 * @host: from userspace (HVX_SET_MSRS), which may restore any state
 *
 * Return: 0; -ENOENT when @index is no APIC MSR; -EINVAL where the
 * processor raises #GP.
 */
int hvx_apic_msr(struct hvx_vcpu *vcpu, u32 index, bool write, u64 *data,
		 bool host)
{
	struct hvx_lapic_effects eff = {};
	struct hvx_lapic *l = &vcpu->apic;
	u64 now = 0, host_tsc = 0, tsc = 0;
	unsigned long flags;
	int r = 0;

	if (index != HVX_MSR_APIC_BASE && index != HVX_MSR_TSC_DEADLINE &&
	    (index < HVX_X2APIC_MSR_BASE || index > HVX_X2APIC_MSR_LAST))
		return -ENOENT;
	if (apic_msr_timed(index)) {
		now = hvx_clock_pair(&host_tsc);
		tsc = host_tsc + hvx_vmread64(TSC_OFFSET);
	}
	spin_lock_irqsave(&vcpu->apic_lock, flags);
	if (index == HVX_MSR_APIC_BASE) {
		if (write)
			r = hvx_lapic_set_base(l, *data, host, &eff);
		else
			*data = l->apic_base;
	} else if (index == HVX_MSR_TSC_DEADLINE) {
		if (write)
			hvx_lapic_set_tsc_deadline(l, *data,
						   tsc_deadline_ns(*data, tsc,
								   now),
						   now, &eff);
		else
			*data = hvx_lapic_tsc_deadline(l);
	} else if (write) {
		r = hvx_lapic_wrmsr(l, index, *data, now, &eff);
	} else {
		r = hvx_lapic_rdmsr(l, index, now, data);
	}
	if (now)
		timer_moved_locked(vcpu, &eff, now, host_tsc);
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
	if (r)
		return -EINVAL;
	apic_effects(vcpu, &eff);
	if (write && index == HVX_MSR_APIC_BASE)
		hvx_apicv_base_changed(vcpu);
	return 0;
}

/**
 * hvx_apic_cr8() - CR8, the guest's view of TPR[7:4]
 * @vcpu: the vCPU
 *
 * Return: the value MOV from CR8 reads.
 */
u64 hvx_apic_cr8(struct hvx_vcpu *vcpu)
{
	return READ_ONCE(vcpu->apic.regs[HVX_APIC_REG_TPR / 4]) >> 4;
}

/**
 * hvx_apic_set_cr8() - MOV to CR8 (or the sregs ioctl): TPR[7:4]
 * @vcpu: the vCPU
 * @cr8: the value, 0-15
 */
void hvx_apic_set_cr8(struct hvx_vcpu *vcpu, u64 cr8)
{
	struct hvx_lapic_effects eff = {};
	unsigned long flags;

	spin_lock_irqsave(&vcpu->apic_lock, flags);
	/* CR8 writes reach the TPR whatever the APIC's mode or state */
	vcpu->apic.regs[HVX_APIC_REG_TPR / 4] = (cr8 & 0xf) << 4;
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
	eff.flags = HVX_LAPIC_EFF_EVAL;
	apic_effects(vcpu, &eff);
}

/**
 * hvx_apic_take() - the APIC's interrupt to deliver now, acknowledged
 * @vcpu: the vCPU
 * @ack: acknowledge it (the guest takes it at this entry); else only look
 *
 * Return: the vector, or -1 when nothing is above the processor priority.
 */
int hvx_apic_take(struct hvx_vcpu *vcpu, bool ack)
{
	unsigned long flags;
	int v;

	spin_lock_irqsave(&vcpu->apic_lock, flags);
	apic_take_level(vcpu);
	v = hvx_lapic_highest_pending(&vcpu->apic);
	if (v >= 0 && ack)
		hvx_lapic_ack(&vcpu->apic, v);
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
	return v;
}

/**
 * hvx_apic_get_state() - HVX_GET_LAPIC
 * @vcpu: the vCPU, its mutex held
 * @s: filled in completely
 */
void hvx_apic_get_state(struct hvx_vcpu *vcpu, struct hvx_lapic_state *s)
{
	u64 now = ktime_get_ns();
	unsigned long flags;
	bool fired;

	/*
	 * An expiry that passed while the vCPU was out of HVX_RUN (the
	 * VMX-preemption timer counts only in the guest) fires first: a
	 * state never holds an expiry in the past, which a restore on a
	 * host up for less than it is overdue would refuse.
	 */
	spin_lock_irqsave(&vcpu->apic_lock, flags);
	apic_take_level(vcpu);
	fired = hvx_lapic_timer_expired(&vcpu->apic, now);
	hvx_lapic_save(&vcpu->apic, now, s);
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
	if (!fired)
		return;
	set_bit(HVX_REQ_EVENT, &vcpu->requests);
	/*
	 * The next tick, to whichever timer serves it: not
	 * hvx_apic_timer_due(), which would put it on the preemption timer
	 * where the hrtimer serves it (preemption_timer=0).
	 */
	hvx_apic_timer_update(vcpu);
}

/**
 * hvx_apic_set_state() - HVX_SET_LAPIC
 * @vcpu: the vCPU, its mutex held
 * @s: the state, copied from userspace
 *
 * The timer goes on from where @s left it, on this host's clock: the
 * hrtimer is rearmed (an expiry already due fires at once).  Interrupts
 * in the IRR are looked at before the next entry.
 *
 * Return: 0; -EINVAL for a state the APIC cannot be in (see
 * hvx_lapic_restore()) or one of another vCPU (@s->apic_id is not this
 * vCPU's id): the APIC is then unchanged.
 */
int hvx_apic_set_state(struct hvx_vcpu *vcpu, const struct hvx_lapic_state *s)
{
	struct hvx_lapic_effects eff = {};
	unsigned long flags;
	int r;

	/* the initial APIC ID is the vCPU's: routing depends on it */
	if (s->apic_id != vcpu->id)
		return -EINVAL;
	spin_lock_irqsave(&vcpu->apic_lock, flags);
	r = hvx_lapic_restore(&vcpu->apic, s, ktime_get_ns(), &eff);
	/* a refused state leaves the deferred level-triggered vectors */
	if (!r)
		bitmap_zero(vcpu->apicv_level, 256);
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
	if (r)
		return r;
	apic_effects(vcpu, &eff);
	hvx_apicv_base_changed(vcpu);
	/*
	 * A TSC deadline is a value of the TSC: it fires when this vCPU's
	 * TSC reaches it, however long ago the get saw it ahead (a restore
	 * sets the TSC first, maybe long before).
	 */
	if (s->tsc_deadline)
		hvx_apic_tsc_moved(vcpu);
	return 0;
}

/**
 * hvx_signal_msi() - HVX_SIGNAL_MSI
 * @vm: the VM
 * @um: userspace's struct hvx_msi
 *
 * Return: the number of vCPUs that got it (0: dropped, as on hardware);
 * -EFAULT; -EINVAL for non-zero flags, an address outside the MSI range,
 * a reserved delivery mode or a vector below 16.
 */
int hvx_signal_msi(struct hvx_vm *vm, const struct hvx_msi __user *um)
{
	struct hvx_lapic_irq irq;
	struct hvx_msi msi;

	if (copy_from_user(&msi, um, sizeof(msi)))
		return -EFAULT;
	if (msi.flags || hvx_msi_decode(msi.address, msi.data, &irq))
		return -EINVAL;
	return hvx_apic_route(vm, NULL, &irq);
}
