// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC state machine (see lapic.h for the contract).
 *
 * Every register's rules are one row of lapic_regs[]: in which mode it
 * exists, whether it reads and writes there, which bits a write may change
 * and, for the few with side effects, a write handler.  The MMIO and MSR
 * paths only differ in what they do with a rule that is broken: xAPIC
 * ignores the write or records an error in the ESR, x2APIC faults.
 *
 * Timer times are the caller's nanoseconds.  The timer counts down at
 * cfg.timer_hz / divide; rather than tick, the current count is computed
 * from when it was loaded.  The run-down time of one initial count is
 * rounded down to whole nanoseconds, so the expiry never comes after the
 * count the guest reads has reached 0.
 */
#include <linux/types.h>
#include <linux/errno.h>
#include <linux/math64.h>
#include <linux/atomic.h>

#include "lapic_internal.h"

#define LAPIC_NSEC_PER_SEC	1000000000ULL
#define LAPIC_VERSION		0x14
#define LAPIC_VERSION_EOI_SUPP	BIT(24)
#define LAPIC_NR_REGS		(HVX_LAPIC_REGS_SIZE / 16)
#define LAPIC_ICR_MASK		0x000ccfff

static const u16 lapic_lvt_off[HVX_LVT_NR] = {
	[HVX_LVT_CMCI]		= HVX_APIC_REG_LVT_CMCI,
	[HVX_LVT_TIMER]		= HVX_APIC_REG_LVT_TIMER,
	[HVX_LVT_THERMAL]	= HVX_APIC_REG_LVT_THERMAL,
	[HVX_LVT_PMC]		= HVX_APIC_REG_LVT_PMC,
	[HVX_LVT_LINT0]		= HVX_APIC_REG_LVT_LINT0,
	[HVX_LVT_LINT1]		= HVX_APIC_REG_LVT_LINT1,
	[HVX_LVT_ERROR]		= HVX_APIC_REG_LVT_ERROR,
};

/* The 256-bit registers: bit @vec of the eight words from @base. */
static u32 *vec_word(struct hvx_lapic *l, unsigned int base, u8 vec)
{
	return lapic_reg_ptr(l, base + ((vec >> 5) << 4));
}

static void vec_set(struct hvx_lapic *l, unsigned int base, u8 vec, bool on)
{
	u32 *w = vec_word(l, base, vec);

	if (on)
		*w |= BIT(vec & 31);
	else
		*w &= ~BIT(vec & 31);
}

/*
 * A vector into the IRR, from any CPU.  With virtual-interrupt delivery
 * the processor itself clears IRR bits (delivery) and sets them (a
 * virtualized self IPI) while the vCPU runs, in the same words: a plain
 * read-modify-write from another CPU could undo its change, losing an
 * interrupt or delivering one twice.
 */
static void irr_set(struct hvx_lapic *l, u8 vec)
{
	atomic_or(BIT(vec & 31),
		  (atomic_t *)vec_word(l, HVX_APIC_REG_IRR, vec));
}

static int vec_highest(const struct hvx_lapic *l, unsigned int base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = hvx_lapic_reg(l, base + (i << 4));

		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

/* Priority class of a vector or priority, 0 when there is none. */
static u32 prio_class(int v)
{
	return v < 0 ? 0 : (u32)v & 0xf0;
}

/* The PPR from the TPR and the class in service. */
static u32 ppr_from(u32 tpr, u32 isrc)
{
	return prio_class(tpr) >= isrc ? tpr : isrc;
}

/* The APR from the TPR and the classes in service and requested. */
static u32 apr_from(u32 tpr, u32 isrc, u32 irrc)
{
	u32 apr = prio_class(tpr);

	if (apr >= irrc && apr > isrc)
		return tpr;
	if (isrc > apr)
		apr = isrc;
	return irrc > apr ? irrc : apr;
}

u32 hvx_lapic_ppr(const struct hvx_lapic *l)
{
	return ppr_from(hvx_lapic_reg(l, HVX_APIC_REG_TPR) & 0xff,
			prio_class(vec_highest(l, HVX_APIC_REG_ISR)));
}

u32 hvx_lapic_apr(const struct hvx_lapic *l)
{
	return apr_from(hvx_lapic_reg(l, HVX_APIC_REG_TPR) & 0xff,
			prio_class(vec_highest(l, HVX_APIC_REG_ISR)),
			prio_class(vec_highest(l, HVX_APIC_REG_IRR)));
}

/*
 * The PPR register follows every change of TPR and ISR: with APIC
 * virtualization the processor reads it from the page (x2APIC), and the
 * EOI compares with it.  The APR is only ever computed (reg_read(),
 * lowest-priority arbitration), so a vector entering the IRR, the one
 * change an interrupt from elsewhere makes, costs no scan here.
 */
void lapic_update_ppr(struct hvx_lapic *l)
{
	lapic_set_reg(l, HVX_APIC_REG_PPR, hvx_lapic_ppr(l));
}

static bool lvt_masked(const struct hvx_lapic *l, enum hvx_lapic_lvt lvt)
{
	return hvx_lapic_reg(l, lapic_lvt_off[lvt]) & HVX_APIC_LVT_MASKED;
}

/*
 * An error detected: kept for the next ESR write, and signalled through
 * the error LVT entry.  That entry's own vector may be illegal; that error
 * is recorded without a second signal, which could only fail again.
 * Returns true when the error vector went into the IRR.
 */
static bool lapic_error(struct hvx_lapic *l, u32 bits)
{
	u32 lvt = hvx_lapic_reg(l, HVX_APIC_REG_LVT_ERROR);
	u8 vec = lvt & HVX_APIC_VECTOR_MASK;

	l->esr_pending |= bits;
	if (!hvx_lapic_sw_enabled(l) || (lvt & HVX_APIC_LVT_MASKED))
		return false;
	if (vec < 16) {
		l->esr_pending |= HVX_APIC_ESR_RECV_ILLEGAL;
		return false;
	}
	vec_set(l, HVX_APIC_REG_TMR, vec, false);
	irr_set(l, vec);
	return true;
}

/* An error the guest's own access caused: the error interrupt is due now. */
static void lapic_error_eff(struct hvx_lapic *l, u32 bits,
			    struct hvx_lapic_effects *eff)
{
	if (lapic_error(l, bits))
		eff->flags |= HVX_LAPIC_EFF_EVAL;
}

bool hvx_lapic_accept(struct hvx_lapic *l, u8 vector, bool level)
{
	if (!hvx_lapic_sw_enabled(l))
		return false;
	if (vector < 16)
		return lapic_error(l, HVX_APIC_ESR_RECV_ILLEGAL);
	/* the TMR first: the vector may be delivered once it is in the IRR */
	vec_set(l, HVX_APIC_REG_TMR, vector, level);
	irr_set(l, vector);
	return true;
}

/* Indexed by delivery mode; fixed and lowest priority are accepted. */
static const u8 lapic_dm_result[8] = {
	[HVX_APIC_DM_FIXED]	= HVX_LAPIC_ACCEPTED,
	[HVX_APIC_DM_LOWEST]	= HVX_LAPIC_ACCEPTED,
	[HVX_APIC_DM_SMI]	= HVX_LAPIC_SMI,
	[3]			= HVX_LAPIC_DROPPED,
	[HVX_APIC_DM_NMI]	= HVX_LAPIC_NMI,
	[HVX_APIC_DM_INIT]	= HVX_LAPIC_INIT,
	[HVX_APIC_DM_SIPI]	= HVX_LAPIC_SIPI,
	[HVX_APIC_DM_EXTINT]	= HVX_LAPIC_EXTINT,
};

enum hvx_lapic_delivery hvx_lapic_deliver(struct hvx_lapic *l,
					  const struct hvx_lapic_irq *irq)
{
	enum hvx_lapic_delivery res = lapic_dm_result[irq->delivery_mode & 7];

	if (!hvx_lapic_hw_enabled(l))
		return HVX_LAPIC_DROPPED;
	if (res == HVX_LAPIC_ACCEPTED)
		return hvx_lapic_accept(l, irq->vector, irq->level) ?
		       HVX_LAPIC_ACCEPTED : HVX_LAPIC_DROPPED;
	if (res == HVX_LAPIC_INIT && !irq->assert && irq->level)
		return HVX_LAPIC_DROPPED;
	return res;
}

enum hvx_lapic_delivery hvx_lapic_lvt_deliver(struct hvx_lapic *l,
					      enum hvx_lapic_lvt lvt)
{
	struct hvx_lapic_irq irq = { .assert = true };
	u32 e;

	if (!hvx_lapic_hw_enabled(l)) {
		if (lvt == HVX_LVT_LINT0)
			return HVX_LAPIC_EXTINT;
		return lvt == HVX_LVT_LINT1 ? HVX_LAPIC_NMI : HVX_LAPIC_DROPPED;
	}
	if (lvt >= HVX_LVT_NR || lvt_masked(l, lvt))
		return HVX_LAPIC_DROPPED;
	if (lvt == HVX_LVT_CMCI && !lapic_has_feature(l, HVX_LAPIC_F_CMCI))
		return HVX_LAPIC_DROPPED;
	e = hvx_lapic_reg(l, lapic_lvt_off[lvt]);
	irq.vector = e & HVX_APIC_VECTOR_MASK;
	irq.delivery_mode = (e >> HVX_APIC_DM_SHIFT) & 7;
	/* Lowest priority and SIPI are reserved in the LVT. */
	if (irq.delivery_mode == HVX_APIC_DM_LOWEST ||
	    irq.delivery_mode == HVX_APIC_DM_SIPI)
		return HVX_LAPIC_DROPPED;
	irq.level = (lvt == HVX_LVT_LINT0 || lvt == HVX_LVT_LINT1) &&
		    (e & HVX_APIC_LVT_LEVEL);
	return hvx_lapic_deliver(l, &irq);
}

/* The highest requested vector above @ppr, or -1. */
static int pending_above(const struct hvx_lapic *l, u32 ppr)
{
	int irrv = vec_highest(l, HVX_APIC_REG_IRR);

	if (irrv < 0 || prio_class(irrv) <= prio_class(ppr))
		return -1;
	return irrv;
}

int hvx_lapic_highest_pending(const struct hvx_lapic *l)
{
	return pending_above(l, hvx_lapic_ppr(l));
}

void hvx_lapic_ack(struct hvx_lapic *l, u8 vector)
{
	u32 ppr = hvx_lapic_reg(l, HVX_APIC_REG_PPR);

	vec_set(l, HVX_APIC_REG_IRR, vector, false);
	vec_set(l, HVX_APIC_REG_ISR, vector, true);
	/*
	 * The stored PPR is exact, so no scan of the ISR: a vector put in
	 * service raises it only when its class is higher, and then to that
	 * class (it is the highest in service, above the TPR's class).
	 */
	if (prio_class(vector) > prio_class(ppr))
		lapic_set_reg(l, HVX_APIC_REG_PPR, prio_class(vector));
}

int hvx_lapic_eoi(struct hvx_lapic *l, struct hvx_lapic_effects *eff)
{
	int vec = vec_highest(l, HVX_APIC_REG_ISR);

	eff->flags |= HVX_LAPIC_EFF_EOI;
	eff->eoi_vector = vec;
	eff->eoi_level = false;
	eff->eoi_suppress = false;
	if (vec < 0)
		return -1;
	vec_set(l, HVX_APIC_REG_ISR, vec, false);
	eff->eoi_level = hvx_lapic_vec_test(l, HVX_APIC_REG_TMR, vec);
	eff->eoi_suppress = eff->eoi_level &&
		(hvx_lapic_reg(l, HVX_APIC_REG_SVR) & HVX_APIC_SVR_DIRECTED_EOI);
	lapic_update_ppr(l);
	/*
	 * Only a vector the retired one held back can have become due; most
	 * EOIs find none, and the next entry need not look again.  The PPR
	 * is the one lapic_update_ppr() just stored.
	 */
	if (pending_above(l, hvx_lapic_reg(l, HVX_APIC_REG_PPR)) >= 0)
		eff->flags |= HVX_LAPIC_EFF_EVAL;
	return vec;
}

void hvx_lapic_eoi_done(struct hvx_lapic *l, u8 vector,
			struct hvx_lapic_effects *eff)
{
	eff->flags |= HVX_LAPIC_EFF_EOI | HVX_LAPIC_EFF_EVAL;
	eff->eoi_vector = vector;
	eff->eoi_level = hvx_lapic_vec_test(l, HVX_APIC_REG_TMR, vector);
	eff->eoi_suppress = eff->eoi_level &&
		(hvx_lapic_reg(l, HVX_APIC_REG_SVR) & HVX_APIC_SVR_DIRECTED_EOI);
	lapic_update_ppr(l);
}

int hvx_lapic_irr_highest(const struct hvx_lapic *l)
{
	return vec_highest(l, HVX_APIC_REG_IRR);
}

u16 hvx_lapic_vid_status(const struct hvx_lapic *l)
{
	int isr = vec_highest(l, HVX_APIC_REG_ISR);
	int irr = vec_highest(l, HVX_APIC_REG_IRR);

	return (isr < 0 ? 0 : isr << 8) | (irr < 0 ? 0 : irr);
}

/* Timer */

unsigned int hvx_lapic_timer_divide(u32 dcr)
{
	unsigned int v = (dcr & 3) | ((dcr >> 1) & 4);

	return v == 7 ? 1 : 2U << v;
}

static unsigned int timer_mode(const struct hvx_lapic *l)
{
	return lapic_lvtt_mode(hvx_lapic_reg(l, HVX_APIC_REG_LVT_TIMER));
}

static bool timer_counts(const struct hvx_lapic *l)
{
	return timer_mode(l) == HVX_APIC_TIMER_ONESHOT ||
	       timer_mode(l) == HVX_APIC_TIMER_PERIODIC;
}

static unsigned int timer_divide(const struct hvx_lapic *l)
{
	return hvx_lapic_timer_divide(hvx_lapic_reg(l, HVX_APIC_REG_TDCR));
}

/*
 * Time for @ticks counts at divide @div, at least 1 ns.  @ticks * @div is
 * below 2^39 and cfg.timer_hz at least 1 MHz, so the quotient fits.
 */
u64 lapic_ticks_to_ns(const struct hvx_lapic *l, u64 ticks, unsigned int div)
{
	u64 ns = mul_u64_u64_div_u64(ticks * div, LAPIC_NSEC_PER_SEC,
				     l->cfg.timer_hz);

	return ns ? ns : 1;
}

/*
 * The period a timer in @mode runs at for a run-down time of @ns: a
 * periodic one at least cfg.min_period_ns (the caller's bound on its
 * rate).  No count (0) stays none.
 */
u64 lapic_timer_period(const struct hvx_lapic *l, unsigned int mode, u64 ns)
{
	if (mode == HVX_APIC_TIMER_PERIODIC && ns && ns < l->cfg.min_period_ns)
		return l->cfg.min_period_ns;
	return ns;
}

/* Counts elapsed in @ns (below one period, so the quotient fits). */
static u64 ns_to_ticks(const struct hvx_lapic *l, u64 ns, unsigned int div)
{
	return mul_u64_u64_div_u64(ns, l->cfg.timer_hz,
				   (u64)div * LAPIC_NSEC_PER_SEC);
}

static void timer_stop(struct hvx_lapic *l, struct hvx_lapic_effects *eff)
{
	l->timer.armed = false;
	l->timer.period_ns = 0;
	l->timer.tsc_deadline = 0;
	eff->flags |= HVX_LAPIC_EFF_TIMER;
}

/* Load the current count from the initial count at @start_ns. */
static void timer_load(struct hvx_lapic *l, u64 start_ns,
		       struct hvx_lapic_effects *eff)
{
	u32 initial = hvx_lapic_reg(l, HVX_APIC_REG_TMICT);

	timer_stop(l, eff);
	if (!initial || !timer_counts(l))
		return;
	l->timer.start_ns = start_ns;
	l->timer.period_ns = lapic_timer_period(l, timer_mode(l),
			lapic_ticks_to_ns(l, initial, timer_divide(l)));
	l->timer.next_ns = start_ns + l->timer.period_ns;
	l->timer.armed = true;
}

u32 hvx_lapic_current_count(const struct hvx_lapic *l, u64 now_ns)
{
	u32 initial = hvx_lapic_reg(l, HVX_APIC_REG_TMICT);
	u64 elapsed = now_ns - l->timer.start_ns, ticks;

	if (!initial || !l->timer.period_ns || !timer_counts(l))
		return 0;
	if (timer_mode(l) == HVX_APIC_TIMER_PERIODIC)
		elapsed %= l->timer.period_ns;
	else if (elapsed >= l->timer.period_ns)
		return 0;
	/* a period stretched to cfg.min_period_ns reads 0 once run down */
	ticks = ns_to_ticks(l, elapsed, timer_divide(l));
	return ticks >= initial ? 0 : initial - ticks;
}

u64 hvx_lapic_timer_next(const struct hvx_lapic *l)
{
	return l->timer.armed ? l->timer.next_ns : HVX_LAPIC_TIMER_NONE;
}

bool hvx_lapic_timer_expired(struct hvx_lapic *l, u64 now_ns)
{
	struct hvx_lapic_timer *t = &l->timer;

	if (!t->armed || now_ns < t->next_ns)
		return false;
	if (timer_mode(l) == HVX_APIC_TIMER_PERIODIC) {
		u64 k = (now_ns - t->start_ns) / t->period_ns;

		t->next_ns = t->start_ns + (k + 1) * t->period_ns;
	} else {
		t->armed = false;
		t->tsc_deadline = 0;
	}
	hvx_lapic_lvt_deliver(l, HVX_LVT_TIMER);
	return true;
}

void hvx_lapic_set_tsc_deadline(struct hvx_lapic *l, u64 tsc, u64 deadline_ns,
				u64 now_ns, struct hvx_lapic_effects *eff)
{
	if (timer_mode(l) != HVX_APIC_TIMER_DEADLINE)
		return;
	timer_stop(l, eff);
	if (!tsc)
		return;
	l->timer.tsc_deadline = tsc;
	l->timer.next_ns = deadline_ns;
	l->timer.armed = true;
	if (hvx_lapic_timer_expired(l, now_ns))
		eff->flags |= HVX_LAPIC_EFF_EVAL;
}

u64 hvx_lapic_tsc_deadline(const struct hvx_lapic *l)
{
	if (timer_mode(l) != HVX_APIC_TIMER_DEADLINE)
		return 0;
	return l->timer.tsc_deadline;
}

/* Register writes */

u32 lapic_reg_wmask(const struct hvx_lapic *l, const struct lapic_reg *r)
{
	return r->wmask | (lapic_has_feature(l, r->feature) ? r->fwmask : 0);
}

/*
 * Bits outside the write mask keep their value (read-only ones), but for
 * a feature's bits without the feature: reserved, they go to 0, so that
 * a TSC-deadline mode a state restored before a CPUID table hid the
 * timer ends at the guest's next write (as KVM masks it).
 */
static void store_masked(struct hvx_lapic *l, const struct lapic_reg *r,
			 unsigned int off, u32 val)
{
	u32 m = lapic_reg_wmask(l, r);
	u32 keep = ~m & ~r->fwmask;

	lapic_set_reg(l, off, (hvx_lapic_reg(l, off) & keep) | (val & m));
}

/* ID and LDR: only xAPIC mode writes them. */
static void write_id(struct hvx_lapic *l, const struct lapic_reg *r,
		     unsigned int off, u32 val, u64 now_ns,
		     struct hvx_lapic_effects *eff)
{
	store_masked(l, r, off, val);
	eff->flags |= HVX_LAPIC_EFF_ROUTE;
}

static void write_tpr(struct hvx_lapic *l, const struct lapic_reg *r,
		      unsigned int off, u32 val, u64 now_ns,
		      struct hvx_lapic_effects *eff)
{
	store_masked(l, r, off, val);
	lapic_update_ppr(l);
	eff->flags |= HVX_LAPIC_EFF_EVAL;
}

static void write_eoi(struct hvx_lapic *l, const struct lapic_reg *r,
		      unsigned int off, u32 val, u64 now_ns,
		      struct hvx_lapic_effects *eff)
{
	hvx_lapic_eoi(l, eff);
}

static void write_dfr(struct hvx_lapic *l, const struct lapic_reg *r,
		      unsigned int off, u32 val, u64 now_ns,
		      struct hvx_lapic_effects *eff)
{
	lapic_set_reg(l, off, (val & r->wmask) | LAPIC_DFR_ONES);
	eff->flags |= HVX_LAPIC_EFF_ROUTE;
}

/* A CMCI entry the APIC does not have is a reserved, zero word. */
bool lapic_lvt_present(const struct hvx_lapic *l, unsigned int off)
{
	int i;

	for (i = 0; i < HVX_LVT_NR; i++)
		if (lapic_lvt_off[i] == off)
			return i != HVX_LVT_CMCI ||
			       lapic_has_feature(l, HVX_LAPIC_F_CMCI);
	return false;
}

static void mask_all_lvts(struct hvx_lapic *l)
{
	int i;

	for (i = 0; i < HVX_LVT_NR; i++)
		if (lapic_lvt_present(l, lapic_lvt_off[i]))
			*lapic_reg_ptr(l, lapic_lvt_off[i]) |= HVX_APIC_LVT_MASKED;
}

static void write_svr(struct hvx_lapic *l, const struct lapic_reg *r,
		      unsigned int off, u32 val, u64 now_ns,
		      struct hvx_lapic_effects *eff)
{
	store_masked(l, r, off, val);
	if (!(val & HVX_APIC_SVR_ENABLE))
		mask_all_lvts(l);
	eff->flags |= HVX_LAPIC_EFF_EVAL;
}

/* A write latches the errors found since the last one. */
static void write_esr(struct hvx_lapic *l, const struct lapic_reg *r,
		      unsigned int off, u32 val, u64 now_ns,
		      struct hvx_lapic_effects *eff)
{
	lapic_set_reg(l, off, l->esr_pending);
	l->esr_pending = 0;
}

static void write_icr(struct hvx_lapic *l, const struct lapic_reg *r,
		      unsigned int off, u32 val, u64 now_ns,
		      struct hvx_lapic_effects *eff)
{
	struct hvx_lapic_irq *ipi = &eff->ipi;
	u32 high = hvx_lapic_reg(l, HVX_APIC_REG_ICR2);
	bool x2 = hvx_lapic_mode_x2apic(l);

	store_masked(l, r, off, val);
	val &= r->wmask;
	*ipi = (struct hvx_lapic_irq) {
		.dest = x2 ? high : high >> HVX_APIC_ID_XAPIC_SHIFT,
		.x2apic_fmt = x2,
		.vector = val & HVX_APIC_VECTOR_MASK,
		.delivery_mode = (val >> HVX_APIC_DM_SHIFT) & 7,
		.logical = val & HVX_APIC_ICR_LOGICAL,
		.shorthand = (val >> HVX_APIC_ICR_SHORT_SHIFT) & 3,
		.assert = val & HVX_APIC_ICR_ASSERT,
		.level = val & HVX_APIC_ICR_LEVEL,
	};
	if (ipi->delivery_mode == 3 || ipi->delivery_mode == HVX_APIC_DM_EXTINT)
		return;
	if (ipi->delivery_mode <= HVX_APIC_DM_LOWEST && ipi->vector < 16) {
		lapic_error_eff(l, HVX_APIC_ESR_SEND_ILLEGAL, eff);
		return;
	}
	eff->flags |= HVX_LAPIC_EFF_IPI;
}

static void write_lvt(struct hvx_lapic *l, const struct lapic_reg *r,
		      unsigned int off, u32 val, u64 now_ns,
		      struct hvx_lapic_effects *eff)
{
	unsigned int old_mode = timer_mode(l);

	store_masked(l, r, off, val);
	if (!hvx_lapic_sw_enabled(l))
		*lapic_reg_ptr(l, off) |= HVX_APIC_LVT_MASKED;
	/*
	 * A new timer mode disarms the timer, whatever it was doing (SDM
	 * vol. 3A, "TSC-Deadline Mode"; KVM departs from it between
	 * one-shot and periodic mode, where its count goes on).
	 */
	if (off == HVX_APIC_REG_LVT_TIMER && timer_mode(l) != old_mode) {
		lapic_set_reg(l, HVX_APIC_REG_TMICT, 0);
		timer_stop(l, eff);
	}
}

static void write_tmict(struct hvx_lapic *l, const struct lapic_reg *r,
			unsigned int off, u32 val, u64 now_ns,
			struct hvx_lapic_effects *eff)
{
	if (timer_mode(l) == HVX_APIC_TIMER_DEADLINE)
		return;
	lapic_set_reg(l, off, val);
	timer_load(l, now_ns, eff);
}

/*
 * A new divide applies to the counts still to go: the count goes on from
 * where it is, at the new rate.  The period (each reload's) follows the
 * new divide too, also while the count reads 0: a one-shot count that ran
 * down stays run down, and a periodic one stretched to its bound keeps
 * its next expiry unless the new period ends sooner.
 */
static void write_tdcr(struct hvx_lapic *l, const struct lapic_reg *r,
		       unsigned int off, u32 val, u64 now_ns,
		       struct hvx_lapic_effects *eff)
{
	u32 cur = hvx_lapic_current_count(l, now_ns);
	u32 initial = hvx_lapic_reg(l, HVX_APIC_REG_TMICT);
	struct hvx_lapic_timer *t = &l->timer;
	unsigned int div;
	u64 period;

	store_masked(l, r, off, val);
	if (!initial || !timer_counts(l))
		return;
	div = timer_divide(l);
	if (cur) {
		timer_load(l, now_ns, eff);
		t->start_ns = now_ns + lapic_ticks_to_ns(l, cur, div) -
			      t->period_ns;
		if (cur == initial)
			t->start_ns = now_ns;
		t->next_ns = t->start_ns + t->period_ns;
		return;
	}
	period = lapic_timer_period(l, timer_mode(l),
				    lapic_ticks_to_ns(l, initial, div));
	t->period_ns = period;
	eff->flags |= HVX_LAPIC_EFF_TIMER;
	if (timer_mode(l) == HVX_APIC_TIMER_ONESHOT) {
		t->start_ns = now_ns - period;
		if (t->armed)
			t->next_ns = now_ns;	/* overdue: fires at once */
		return;
	}
	/* an expiry overdue stays so */
	if ((s64)(t->next_ns - now_ns) > (s64)period)
		t->next_ns = now_ns + period;
	t->start_ns = t->next_ns - period;
}

static void write_self_ipi(struct hvx_lapic *l, const struct lapic_reg *r,
			   unsigned int off, u32 val, u64 now_ns,
			   struct hvx_lapic_effects *eff)
{
	u8 vec = val & HVX_APIC_VECTOR_MASK;

	if (vec < 16) {
		lapic_error_eff(l, HVX_APIC_ESR_SEND_ILLEGAL, eff);
		return;
	}
	hvx_lapic_accept(l, vec, false);
	eff->flags |= HVX_LAPIC_EFF_EVAL;
}

#define REG(f, w, fn)		{ .flags = (f), .wmask = (w), .write = (fn) }
/* LVT: delivery status (bit 12) and remote IRR (bit 14) are read-only. */
#define LVT(f, w, ...)		{ .flags = (f), .wmask = (w), \
				  .romask = BIT(12) | BIT(14), \
				  .write = write_lvt, __VA_ARGS__ }
#define IDX(off)		((off) >> 4)

static const struct lapic_reg lapic_regs[LAPIC_NR_REGS] = {
	[IDX(HVX_APIC_REG_ID)]	= REG(R_XAPIC | R_2R, LAPIC_XAPIC_ID_MASK, write_id),
	[IDX(HVX_APIC_REG_VERSION)]	= REG(R_RO, 0, NULL),
	[IDX(HVX_APIC_REG_TPR)]	= REG(R_RW, 0xff, write_tpr),
	[IDX(HVX_APIC_REG_APR)]	= REG(R_XR, 0, NULL),
	[IDX(HVX_APIC_REG_PPR)]	= REG(R_RO, 0, NULL),
	[IDX(HVX_APIC_REG_EOI)]	= REG(R_XW | R_2W, 0, write_eoi),
	[IDX(HVX_APIC_REG_RRD)]	= REG(R_XR, 0, NULL),
	[IDX(HVX_APIC_REG_LDR)]	= REG(R_XAPIC | R_2R, LAPIC_XAPIC_ID_MASK, write_id),
	[IDX(HVX_APIC_REG_DFR)]	= REG(R_XAPIC, 0xf0000000, write_dfr),
	[IDX(HVX_APIC_REG_SVR)]	= { .flags = R_RW, .wmask = 0x1ff,
				    .fwmask = HVX_APIC_SVR_DIRECTED_EOI,
				    .feature = HVX_LAPIC_F_DIRECTED_EOI,
				    .write = write_svr },
	[IDX(HVX_APIC_REG_ISR) ... IDX(HVX_APIC_REG_ISR) + 7] = REG(R_RO, 0, NULL),
	[IDX(HVX_APIC_REG_TMR) ... IDX(HVX_APIC_REG_TMR) + 7] = REG(R_RO, 0, NULL),
	[IDX(HVX_APIC_REG_IRR) ... IDX(HVX_APIC_REG_IRR) + 7] = REG(R_RO, 0, NULL),
	[IDX(HVX_APIC_REG_ESR)]	= REG(R_RW, 0, write_esr),
	[IDX(HVX_APIC_REG_LVT_CMCI)] = LVT(R_RW | R_CMCI, 0x107ff),
	/* an x2APIC write ignores bit 12, xAPIC's delivery status (KVM too) */
	[IDX(HVX_APIC_REG_ICR)]	= { .flags = R_RW | R_64,
				    .wmask = LAPIC_ICR_MASK,
				    .romask = BIT(12), .write = write_icr },
	[IDX(HVX_APIC_REG_ICR2)]	= REG(R_XAPIC, LAPIC_XAPIC_ID_MASK, NULL),
	[IDX(HVX_APIC_REG_LVT_TIMER)] = LVT(R_RW, 0x300ff, .fwmask = BIT(18),
					.feature = HVX_LAPIC_F_TSC_DEADLINE),
	[IDX(HVX_APIC_REG_LVT_THERMAL)] = LVT(R_RW, 0x107ff),
	[IDX(HVX_APIC_REG_LVT_PMC)]	= LVT(R_RW, 0x107ff),
	[IDX(HVX_APIC_REG_LVT_LINT0)] = LVT(R_RW, 0x1a7ff),
	[IDX(HVX_APIC_REG_LVT_LINT1)] = LVT(R_RW, 0x1a7ff),
	[IDX(HVX_APIC_REG_LVT_ERROR)] = LVT(R_RW, 0x100ff),
	[IDX(HVX_APIC_REG_TMICT)]	= REG(R_RW, 0xffffffff, write_tmict),
	[IDX(HVX_APIC_REG_TMCCT)]	= REG(R_RO, 0, NULL),
	[IDX(HVX_APIC_REG_TDCR)]	= REG(R_RW, 0xb, write_tdcr),
	[IDX(HVX_APIC_REG_SELF_IPI)] = REG(R_2W, 0xff, write_self_ipi),
};

/* The rules of the register at @off (a multiple of 16), NULL if reserved. */
const struct lapic_reg *lapic_find_reg(const struct hvx_lapic *l,
				       unsigned int off)
{
	const struct lapic_reg *r;

	if (off >= HVX_LAPIC_REGS_SIZE)
		return NULL;
	r = &lapic_regs[IDX(off)];
	if (!r->flags ||
	    ((r->flags & R_CMCI) && !lapic_has_feature(l, HVX_LAPIC_F_CMCI)))
		return NULL;
	return r;
}

static void reg_write(struct hvx_lapic *l, const struct lapic_reg *r,
		      unsigned int off, u32 val, u64 now_ns,
		      struct hvx_lapic_effects *eff)
{
	if (r->write)
		r->write(l, r, off, val, now_ns, eff);
	else
		store_masked(l, r, off, val);
}

/*
 * The priorities are computed: with APIC virtualization the processor
 * changes the ISR and IRR without telling the model.
 */
static u32 reg_read(const struct hvx_lapic *l, unsigned int off, u64 now_ns)
{
	if (off == HVX_APIC_REG_TMCCT)
		return hvx_lapic_current_count(l, now_ns);
	if (off == HVX_APIC_REG_PPR)
		return hvx_lapic_ppr(l);
	if (off == HVX_APIC_REG_APR)
		return hvx_lapic_apr(l);
	return hvx_lapic_reg(l, off);
}

bool hvx_lapic_x2apic_hw_access(u32 msr, bool write)
{
	unsigned int off = (msr - HVX_X2APIC_MSR_BASE) << 4;
	const struct lapic_reg *r;

	if (msr < HVX_X2APIC_MSR_BASE || off >= HVX_LAPIC_REGS_SIZE)
		return false;
	if (write)
		return off == HVX_APIC_REG_TPR || off == HVX_APIC_REG_EOI ||
		       off == HVX_APIC_REG_SELF_IPI;
	/*
	 * The processor reads the ICR's 8 bytes at 300H, the model keeps
	 * the destination at 310H (HVX_GET_LAPIC's layout).
	 */
	r = &lapic_regs[IDX(off)];
	return (r->flags & R_2R) && !(r->flags & R_CMCI) &&
	       off != HVX_APIC_REG_TMCCT && off != HVX_APIC_REG_ICR;
}

/* xAPIC MMIO */

static bool mmio_present(const struct hvx_lapic *l)
{
	return hvx_lapic_hw_enabled(l) && !hvx_lapic_mode_x2apic(l);
}

int hvx_lapic_read(struct hvx_lapic *l, unsigned int offset, unsigned int len,
		   u64 now_ns, u32 *val, struct hvx_lapic_effects *eff)
{
	unsigned int off = offset & ~15U, byte = offset & 15;
	const struct lapic_reg *r = lapic_find_reg(l, off);
	u32 v = 0;

	*val = 0;
	if (!mmio_present(l))
		return -ENXIO;
	if (!r || !(r->flags & R_XAPIC)) {
		lapic_error_eff(l, HVX_APIC_ESR_ILLEGAL_REG, eff);
		return 0;
	}
	if ((r->flags & R_XR) && byte < 4)
		v = reg_read(l, off, now_ns) >> (8 * byte);
	*val = len >= 4 ? v : v & ((1U << (8 * len)) - 1);
	return 0;
}

int hvx_lapic_write(struct hvx_lapic *l, unsigned int offset, unsigned int len,
		    u32 val, u64 now_ns, struct hvx_lapic_effects *eff)
{
	const struct lapic_reg *r = lapic_find_reg(l, offset & ~15U);

	if (!mmio_present(l))
		return -ENXIO;
	if (!r || !(r->flags & R_XAPIC)) {
		lapic_error_eff(l, HVX_APIC_ESR_ILLEGAL_REG, eff);
		return 0;
	}
	/* Narrow or misaligned writes do nothing, as on most processors. */
	if (len != 4 || (offset & 15) || !(r->flags & R_XW))
		return 0;
	reg_write(l, r, offset, val, now_ns, eff);
	return 0;
}

/* x2APIC MSRs */

static const struct lapic_reg *find_msr(const struct hvx_lapic *l, u32 msr,
					unsigned int *off)
{
	if (!hvx_lapic_mode_x2apic(l) || msr < HVX_X2APIC_MSR_BASE ||
	    msr > HVX_X2APIC_MSR_LAST)
		return NULL;
	*off = (msr - HVX_X2APIC_MSR_BASE) << 4;
	return lapic_find_reg(l, *off);
}

int hvx_lapic_rdmsr(struct hvx_lapic *l, u32 msr, u64 now_ns, u64 *val)
{
	unsigned int off;
	const struct lapic_reg *r = find_msr(l, msr, &off);

	*val = 0;
	if (!r || !(r->flags & R_2R))
		return -EINVAL;
	*val = reg_read(l, off, now_ns);
	if (r->flags & R_64)
		*val |= (u64)hvx_lapic_reg(l, HVX_APIC_REG_ICR2) << 32;
	return 0;
}

int hvx_lapic_wrmsr(struct hvx_lapic *l, u32 msr, u64 val, u64 now_ns,
		    struct hvx_lapic_effects *eff)
{
	unsigned int off;
	const struct lapic_reg *r = find_msr(l, msr, &off);
	u64 allowed;

	if (!r || !(r->flags & R_2W))
		return -EINVAL;
	allowed = lapic_reg_wmask(l, r) | r->romask;
	if (r->flags & R_64)
		allowed |= 0xffffffff00000000ULL;
	if (val & ~allowed)
		return -EINVAL;
	if (r->flags & R_64)
		lapic_set_reg(l, HVX_APIC_REG_ICR2, val >> 32);
	reg_write(l, r, off, (u32)val, now_ns, eff);
	return 0;
}

/* Reset, INIT, IA32_APIC_BASE */

u32 lapic_x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | BIT(id & 15);
}

u32 lapic_version(const struct hvx_lapic *l)
{
	u32 maxlvt = lapic_has_feature(l, HVX_LAPIC_F_CMCI) ? 6 : 5;
	u32 v = LAPIC_VERSION | (maxlvt << 16);

	if (lapic_has_feature(l, HVX_LAPIC_F_DIRECTED_EOI))
		v |= LAPIC_VERSION_EOI_SUPP;
	return v;
}

/*
 * The ID and LDR the current mode gives the APIC after a reset; in xAPIC
 * mode the ICR's destination is 8 bits (userspace may switch from x2APIC
 * mode directly).
 */
static void set_mode_ids(struct hvx_lapic *l)
{
	bool x2 = hvx_lapic_mode_x2apic(l);

	lapic_set_reg(l, HVX_APIC_REG_ID, x2 ? l->apic_id :
		      l->apic_id << HVX_APIC_ID_XAPIC_SHIFT);
	lapic_set_reg(l, HVX_APIC_REG_LDR,
		      x2 ? lapic_x2apic_ldr(l->apic_id) : 0);
	if (!x2)
		lapic_set_reg(l, HVX_APIC_REG_ICR2,
			      hvx_lapic_reg(l, HVX_APIC_REG_ICR2) &
			      LAPIC_XAPIC_ID_MASK);
}

/* Power-up register state; IA32_APIC_BASE and the APIC ID are kept. */
static void reset_regs(struct hvx_lapic *l)
{
	unsigned int i;

	for (i = 0; i < HVX_LAPIC_PAGE_SIZE / 4; i++)
		l->regs[i] = 0;
	l->esr_pending = 0;
	l->timer = (struct hvx_lapic_timer) { };
	set_mode_ids(l);
	lapic_set_reg(l, HVX_APIC_REG_VERSION, lapic_version(l));
	lapic_set_reg(l, HVX_APIC_REG_DFR, 0xffffffff);
	lapic_set_reg(l, HVX_APIC_REG_SVR, 0xff);
	mask_all_lvts(l);
	lapic_update_ppr(l);
}

/*
 * The timer arithmetic divides by the frequency and needs the run-down
 * time of the longest count (2^39 clocks) to fit in 64 bits of ns.
 */
#define LAPIC_MIN_TIMER_HZ	1000000ULL

/* The BIOS's virtual wire: the BSP's LINT0 passes the 8259's INTR. */
static void reset_lint0(struct hvx_lapic *l)
{
	if (l->apic_base & HVX_APIC_BASE_BSP)
		lapic_set_reg(l, HVX_APIC_REG_LVT_LINT0,
			      LAPIC_LINT0_VIRTUAL_WIRE);
}

void hvx_lapic_reset(struct hvx_lapic *l, u32 apic_id, bool bsp)
{
	if (!l->cfg.timer_hz)
		l->cfg.timer_hz = HVX_LAPIC_DEFAULT_TIMER_HZ;
	if (l->cfg.timer_hz < LAPIC_MIN_TIMER_HZ)
		l->cfg.timer_hz = LAPIC_MIN_TIMER_HZ;
	l->apic_id = apic_id;
	l->apic_base = HVX_APIC_DEFAULT_BASE | HVX_APIC_BASE_EN |
		       (bsp ? HVX_APIC_BASE_BSP : 0);
	reset_regs(l);
	reset_lint0(l);
}

void hvx_lapic_init_signal(struct hvx_lapic *l)
{
	u32 id = hvx_lapic_reg(l, HVX_APIC_REG_ID);

	reset_regs(l);
	reset_lint0(l);
	lapic_set_reg(l, HVX_APIC_REG_ID, id);
}

bool hvx_lapic_accepts_extint(const struct hvx_lapic *l)
{
	u32 lvt0 = hvx_lapic_reg(l, HVX_APIC_REG_LVT_LINT0);

	if (!hvx_lapic_hw_enabled(l))
		return true;
	return !(lvt0 & HVX_APIC_LVT_MASKED) &&
	       ((lvt0 >> HVX_APIC_DM_SHIFT) & 7) == HVX_APIC_DM_EXTINT;
}

bool lapic_base_valid(const struct hvx_lapic *l, u64 val)
{
	u8 maxphy = l->cfg.maxphyaddr ? l->cfg.maxphyaddr : 36;
	u64 rsvd = 0x2ff | ~((1ULL << maxphy) - 1);

	if (!lapic_has_feature(l, HVX_LAPIC_F_X2APIC))
		rsvd |= HVX_APIC_BASE_EXTD;
	if (val & rsvd)
		return false;
	return !((val & HVX_APIC_BASE_EXTD) && !(val & HVX_APIC_BASE_EN));
}

int hvx_lapic_set_base(struct hvx_lapic *l, u64 val, bool host,
		       struct hvx_lapic_effects *eff)
{
	enum lapic_mode old = lapic_base_mode(l->apic_base);
	enum lapic_mode new = lapic_base_mode(val);

	if (!lapic_base_valid(l, val))
		return -EINVAL;
	/* The SDM's state diagram: x2APIC is entered from xAPIC only. */
	if (!host && new == LAPIC_MODE_X2APIC && old != LAPIC_MODE_X2APIC &&
	    old != LAPIC_MODE_XAPIC)
		return -EINVAL;
	if (!host && new == LAPIC_MODE_XAPIC && old == LAPIC_MODE_X2APIC)
		return -EINVAL;
	if ((val ^ l->apic_base) & HVX_APIC_BASE_ADDR_MASK)
		eff->flags |= HVX_LAPIC_EFF_ROUTE;
	l->apic_base = val;
	if (new == old)
		return 0;
	if (new == LAPIC_MODE_OFF)
		reset_regs(l);
	else
		set_mode_ids(l);
	eff->flags |= HVX_LAPIC_EFF_ROUTE | HVX_LAPIC_EFF_EVAL |
		      HVX_LAPIC_EFF_TIMER;
	return 0;
}
