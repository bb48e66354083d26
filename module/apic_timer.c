// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC timer (lapic.c keeps its registers and count) as the
 * host serves it.
 *
 * While the vCPU runs, the VMX-preemption timer ends the run at the next
 * tick (vcpu->timer_tsc, programmed at each entry by run.c),
 * as KVM's "hv timer" does: no hrtimer to move at each deadline write and
 * no host interrupt per tick.  While the vCPU sleeps (HLT, wait for
 * SIPI) nothing runs it, so the hrtimer takes over until it wakes
 * (hvx_apic_timer_sleep(), hvx_apic_timer_wake()).  The preemption timer
 * counts only while the guest runs: a tick that comes while the vCPU's
 * thread is elsewhere in HVX_RUN or back in userspace is delivered at the
 * next entry, which the guest cannot tell from a tick taken on time.
 * Without a preemption timer, or with preemption_timer=0, the hrtimer
 * serves the timer always.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hrtimer.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/moduleparam.h>
#include <linux/preempt.h>
#include <linux/spinlock.h>
#include <linux/timekeeping.h>
#include <asm/tsc.h>

#include "lapic.h"
#include "vcpu.h"

static bool preemption_timer = true;
module_param(preemption_timer, bool, 0444);
MODULE_PARM_DESC(preemption_timer, "serve the APIC timer with the VMX-preemption timer while the vCPU runs (default on where the CPU has one that VM exits can save)");

/* A tick beyond this is never programmed: the time slice ends first. */
#define TIMER_TSC_MAX_NS	(3600ULL * NSEC_PER_SEC)

static enum hrtimer_restart apic_timer_fire(struct hrtimer *t);

/* The preemption timer can serve the APIC timers of this module's vCPUs. */
static bool timer_vmx(void)
{
	return preemption_timer && tsc_khz &&
	       (hvx_vmx.pin & PIN_BASED_VMX_PREEMPTION_TIMER);
}

/**
 * hvx_apic_timer_on_vmx() - whether the preemption timer takes the next tick
 * @vcpu: the vCPU
 *
 * Return: true while the vCPU runs (not asleep) and the preemption timer
 * serves APIC timers.
 */
bool hvx_apic_timer_on_vmx(const struct hvx_vcpu *vcpu)
{
	return timer_vmx() && !vcpu->timer_asleep;
}

/**
 * hvx_clock_pair() - ktime and the host TSC at one instant
 * @tsc: out: the host TSC
 *
 * As near one instant as no preemption between the two reads makes it:
 * the vCPU thread may be preempted anywhere else, and a deadline
 * converted from one clock to the other with a pair read that far apart
 * would be early or late by as long.
 *
 * Return: ktime_get_ns().
 */
u64 hvx_clock_pair(u64 *tsc)
{
	u64 now;

	preempt_disable();
	now = ktime_get_ns();
	*tsc = rdtsc();
	preempt_enable();
	return now;
}

/**
 * hvx_timer_host_tsc() - a tick's time as a host TSC value
 * @next: the tick, in ktime_get_ns() (HVX_LAPIC_TIMER_NONE: none)
 * @now: ktime_get_ns() read at @tsc (hvx_clock_pair())
 * @tsc: the host TSC
 *
 * Return: the host TSC when ktime_get_ns() reaches @next, rounded up;
 * U64_MAX for no tick.
 */
u64 hvx_timer_host_tsc(u64 next, u64 now, u64 tsc)
{
	if (next == HVX_LAPIC_TIMER_NONE)
		return U64_MAX;
	if (next <= now)
		return tsc;
	/* rounded up: the tick is never found due before its time */
	return tsc + mul_u64_u32_div(min_t(u64, next - now, TIMER_TSC_MAX_NS),
				     tsc_khz, NSEC_PER_MSEC) + 1;
}

/**
 * hvx_apic_timer_update() - follow the APIC's next tick
 * @vcpu: the vCPU, from the thread that owns it (vcpu->mutex held)
 *
 * Programs the next tick for the preemption timer (vcpu->timer_tsc) while
 * the vCPU runs, else arms, moves or stops the hrtimer.  The hrtimer is
 * started and stopped under vcpu->apic_lock, which its callback holds
 * while it sets its next expiry (apic_timer_fire()).
 */
void hvx_apic_timer_update(struct hvx_vcpu *vcpu)
{
	unsigned long flags;
	u64 next, now, tsc;

	if (hvx_apic_timer_on_vmx(vcpu)) {
		spin_lock_irqsave(&vcpu->apic_lock, flags);
		next = hvx_lapic_timer_next(&vcpu->apic);
		spin_unlock_irqrestore(&vcpu->apic_lock, flags);
		/* no clock read for a stopped timer (a deadline already past) */
		if (next == HVX_LAPIC_TIMER_NONE) {
			vcpu->timer_tsc = U64_MAX;
			return;
		}
		now = hvx_clock_pair(&tsc);
		vcpu->timer_tsc = hvx_timer_host_tsc(next, now, tsc);
		return;
	}
	vcpu->timer_tsc = U64_MAX;
	spin_lock_irqsave(&vcpu->apic_lock, flags);
	next = hvx_lapic_timer_next(&vcpu->apic);
	if (next == HVX_LAPIC_TIMER_NONE)
		hrtimer_try_to_cancel(&vcpu->apic_timer);
	else
		hrtimer_start(&vcpu->apic_timer, ns_to_ktime(next),
			      HRTIMER_MODE_ABS_HARD);
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
}

/**
 * hvx_apic_timer_due() - the preemption timer's tick came: fire the timer
 * @vcpu: the vCPU, from its own thread, the preemption timer serving its
 *	APIC timer
 *
 * A tick found a little early (the clocks' conversion) fires at the next
 * one, a few preemption-timer units later.
 */
void hvx_apic_timer_due(struct hvx_vcpu *vcpu)
{
	u64 tsc, now = hvx_clock_pair(&tsc), next;
	unsigned long flags;
	bool fired;

	spin_lock_irqsave(&vcpu->apic_lock, flags);
	fired = hvx_lapic_timer_expired(&vcpu->apic, now);
	next = hvx_lapic_timer_next(&vcpu->apic);
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
	if (fired) {
		set_bit(HVX_REQ_EVENT, &vcpu->requests);
		hvx_stat_add(&vcpu->stats, HVX_STAT_TIMER_VMX, 1);
	}
	vcpu->timer_tsc = hvx_timer_host_tsc(next, now, tsc);
}

/**
 * hvx_apic_timer_sleep() - the vCPU goes to sleep: the hrtimer takes over
 * @vcpu: the vCPU, from its own thread
 *
 * A tick already due fires first, so the sleep it would end never starts.
 * With no tick programmed there is nothing to hand over: nothing can arm
 * the timer while the vCPU sleeps (only the guest and the vCPU's own
 * ioctls do), and the wake-up then costs nothing either.
 */
void hvx_apic_timer_sleep(struct hvx_vcpu *vcpu)
{
	if (vcpu->timer_tsc == U64_MAX)
		return;
	if (vcpu->timer_tsc <= rdtsc())
		hvx_apic_timer_due(vcpu);
	if (vcpu->timer_tsc == U64_MAX)
		return;
	vcpu->timer_asleep = true;
	hvx_apic_timer_update(vcpu);
}

/**
 * hvx_apic_timer_wake() - the vCPU woke: back to the preemption timer
 * @vcpu: the vCPU, from its own thread
 */
void hvx_apic_timer_wake(struct hvx_vcpu *vcpu)
{
	if (!vcpu->timer_asleep)
		return;
	vcpu->timer_asleep = false;
	/* waits for a callback running elsewhere, which may re-arm it */
	hrtimer_cancel(&vcpu->apic_timer);
	hvx_apic_timer_update(vcpu);
}

/*
 * The expiry is set under vcpu->apic_lock, and only while the timer is
 * not queued: hvx_apic_timer_update() may have started it again while
 * this ran, and the expiry of a queued hrtimer must not change under it.
 */
static enum hrtimer_restart apic_timer_fire(struct hrtimer *t)
{
	struct hvx_vcpu *vcpu = container_of(t, struct hvx_vcpu, apic_timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	u64 now = ktime_get_ns(), next;
	unsigned long flags;
	bool fired;

	spin_lock_irqsave(&vcpu->apic_lock, flags);
	fired = hvx_lapic_timer_expired(&vcpu->apic, now);
	next = hvx_lapic_timer_next(&vcpu->apic);
	if (next != HVX_LAPIC_TIMER_NONE && !hrtimer_is_queued(t)) {
		hrtimer_set_expires(t, ns_to_ktime(next));
		ret = HRTIMER_RESTART;
	}
	spin_unlock_irqrestore(&vcpu->apic_lock, flags);
	if (fired)
		hvx_vcpu_kick(vcpu, HVX_REQ_EVENT);
	return ret;
}

/**
 * hvx_apic_timer_init() - the timer of a new vCPU, stopped
 * @vcpu: the vCPU
 */
void hvx_apic_timer_init(struct hvx_vcpu *vcpu)
{
	hrtimer_init(&vcpu->apic_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	vcpu->apic_timer.function = apic_timer_fire;
}
