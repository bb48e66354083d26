// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC's snapshots: its state saved for HVX_GET_LAPIC and
 * restored from HVX_SET_LAPIC (lapic.h).  A restored state is checked
 * against the register rules of lapic.c first, so that only a state the
 * APIC could have been in gets in: a guest must not find a register bit
 * set that no write of its own could set, nor a timer that cannot run.
 */
#include <linux/limits.h>
#include <linux/types.h>
#include <linux/errno.h>

#include "lapic_internal.h"

void hvx_lapic_save(const struct hvx_lapic *l, u64 now_ns,
		    struct hvx_lapic_state *s)
{
	const struct hvx_lapic_timer *t = &l->timer;
	unsigned int i;

	for (i = 0; i < HVX_LAPIC_REGS_SIZE / 4; i++)
		s->regs[i] = l->regs[i];
	s->regs[HVX_APIC_REG_PPR >> 2] = hvx_lapic_ppr(l);
	s->regs[HVX_APIC_REG_APR >> 2] = hvx_lapic_apr(l);
	/*
	 * The processor's virtualized writes store them whole, the write-only
	 * ones included (an x2APIC self IPI passes through with APICv).
	 */
	s->regs[HVX_APIC_REG_TPR >> 2] &= 0xff;
	s->regs[HVX_APIC_REG_EOI >> 2] = 0;
	s->regs[HVX_APIC_REG_SELF_IPI >> 2] = 0;
	/* the register holds nothing; a reader of the state wants the count */
	s->regs[HVX_APIC_REG_TMCCT >> 2] = hvx_lapic_current_count(l, now_ns);
	s->apic_base = l->apic_base;
	s->tsc_deadline = t->tsc_deadline;
	s->timer_start_ns = (s64)(t->start_ns - now_ns);
	s->timer_period_ns = t->period_ns;
	s->timer_next_ns = (s64)(t->next_ns - now_ns);
	s->apic_id = l->apic_id;
	s->esr_pending = l->esr_pending;
	s->flags = t->armed ? HVX_LAPIC_STATE_TIMER_ARMED : 0;
	s->pad = 0;
}

/* the errors this APIC reports (it has no checksums nor redirection) */
#define LAPIC_ESR_MASK		(HVX_APIC_ESR_SEND_ILLEGAL | \
				 HVX_APIC_ESR_RECV_ILLEGAL | \
				 HVX_APIC_ESR_ILLEGAL_REG)
#define LAPIC_VEC_LOW_MASK	0xffff0000	/* vectors 16-31 of word 0 */

/*
 * The bits register @off may hold in a restored state: what a guest can
 * write, what the APIC itself sets in the others.  The LVT's delivery
 * status and remote IRR are never set: delivery is at once, and LINT0/1
 * take no level-triggered fixed interrupts here.  Derived registers take
 * anything: they are recomputed.
 */
static u32 restore_mask(const struct hvx_lapic *l, const struct lapic_reg *r,
			unsigned int off, bool x2)
{
	switch (off) {
	case HVX_APIC_REG_ID:
	case HVX_APIC_REG_LDR:
	case HVX_APIC_REG_ICR2:
		return x2 ? ~0U : LAPIC_XAPIC_ID_MASK;
	case HVX_APIC_REG_VERSION:
	case HVX_APIC_REG_PPR:
	case HVX_APIC_REG_APR:
	case HVX_APIC_REG_TMCCT:
		return ~0U;
	case HVX_APIC_REG_EOI:
	case HVX_APIC_REG_RRD:
	case HVX_APIC_REG_SELF_IPI:
		return 0;
	case HVX_APIC_REG_ESR:
		return LAPIC_ESR_MASK;
	case HVX_APIC_REG_DFR:
		return ~0U;	/* checked whole in regs_restorable() */
	case HVX_APIC_REG_ISR:
	case HVX_APIC_REG_TMR:
	case HVX_APIC_REG_IRR:
		return LAPIC_VEC_LOW_MASK;
	}
	if ((off >= HVX_APIC_REG_ISR && off < HVX_APIC_REG_ISR + 0x80) ||
	    (off >= HVX_APIC_REG_TMR && off < HVX_APIC_REG_TMR + 0x80) ||
	    (off >= HVX_APIC_REG_IRR && off < HVX_APIC_REG_IRR + 0x80))
		return ~0U;
	return lapic_reg_wmask(l, r);
}

/*
 * The BIOS's virtual wire in LINT0, which reset and INIT give the BSP
 * (reset_lint0()) whatever the APIC's state, and which stays until the
 * guest changes it: the one LVT entry a disabled APIC may hold unmasked.
 */
static bool lint0_virtual_wire(unsigned int off, u32 val)
{
	return off == HVX_APIC_REG_LVT_LINT0 &&
	       val == LAPIC_LINT0_VIRTUAL_WIRE;
}

/*
 * Whether @s is the register image that a global disable leaves
 * (reset_regs()): nothing changes a disabled APIC, whose registers no
 * access reaches and which accepts no interrupt.
 */
static bool regs_reset(const struct hvx_lapic *l,
		       const struct hvx_lapic_state *s)
{
	unsigned int off;
	u32 want;

	for (off = 0; off < HVX_LAPIC_REGS_SIZE; off += 16) {
		switch (off) {
		case HVX_APIC_REG_VERSION:
		case HVX_APIC_REG_PPR:
		case HVX_APIC_REG_APR:
		case HVX_APIC_REG_TMCCT:
			continue;		/* derived */
		case HVX_APIC_REG_ID:
			want = s->apic_id << HVX_APIC_ID_XAPIC_SHIFT;
			break;
		case HVX_APIC_REG_TPR:
			/* CR8 writes TPR[7:4] whatever the APIC's state */
			want = s->regs[off >> 2] & 0xf0;
			break;
		case HVX_APIC_REG_DFR:
			want = ~0U;
			break;
		case HVX_APIC_REG_SVR:
			want = 0xff;
			break;
		default:
			want = lapic_lvt_present(l, off) ?
			       HVX_APIC_LVT_MASKED : 0;
		}
		/* an INIT the disabled BSP took, as KVM's INIT does */
		if (s->apic_base & HVX_APIC_BASE_BSP &&
		    lint0_virtual_wire(off, s->regs[off >> 2]))
			continue;
		if (s->regs[off >> 2] != want)
			return false;
	}
	return !s->esr_pending && !s->flags && !s->timer_period_ns &&
	       !s->tsc_deadline;
}

/* Whether @s's register page is one the APIC could have been in. */
static bool regs_restorable(const struct hvx_lapic *l,
			    const struct hvx_lapic_state *s)
{
	bool x2 = lapic_base_mode(s->apic_base) == LAPIC_MODE_X2APIC;
	const u32 *regs = s->regs;
	unsigned int off;
	u32 dfr, lvtt;

	for (off = 0; off < HVX_LAPIC_REGS_SIZE; off += 16) {
		const struct lapic_reg *r = lapic_find_reg(l, off);
		const u32 *w = &regs[off >> 2];

		/* bytes 4-15 of each slot are no register */
		if (w[1] || w[2] || w[3])
			return false;
		if (!r) {
			if (w[0])
				return false;
			continue;
		}
		if (w[0] & ~restore_mask(l, r, off, x2))
			return false;
	}
	/*
	 * Any DFR model and timer mode 3 are taken: a guest's writes store
	 * them (they match no logical destination, and run no timer).
	 */
	dfr = regs[HVX_APIC_REG_DFR >> 2];
	if ((dfr & LAPIC_DFR_ONES) != LAPIC_DFR_ONES)
		return false;
	if (lapic_base_mode(s->apic_base) == LAPIC_MODE_OFF)
		return regs_reset(l, s);
	/* Software-disabled, every LVT entry stays masked, or is reset's. */
	if (!(regs[HVX_APIC_REG_SVR >> 2] & HVX_APIC_SVR_ENABLE))
		for (off = 0; off < HVX_LAPIC_REGS_SIZE; off += 16)
			if (lapic_lvt_present(l, off) &&
			    !(regs[off >> 2] & HVX_APIC_LVT_MASKED) &&
			    !lint0_virtual_wire(off, regs[off >> 2]))
				return false;
	lvtt = regs[HVX_APIC_REG_LVT_TIMER >> 2];
	/* A deadline timer has no initial count: MMIO writes ignore it. */
	if (lapic_lvtt_mode(lvtt) == HVX_APIC_TIMER_DEADLINE &&
	    regs[HVX_APIC_REG_TMICT >> 2])
		return false;
	/* x2APIC mode fixes the ID and the logical ID to the initial ID */
	return !x2 || (regs[HVX_APIC_REG_ID >> 2] == s->apic_id &&
		       regs[HVX_APIC_REG_LDR >> 2] == lapic_x2apic_ldr(s->apic_id));
}

/*
 * Whether the timer fields of @s are ones the registers can go with,
 * restored at @now_ns: the timer that lapic.c's own writes and expiries
 * leave (timer_load(), write_tdcr(), hvx_lapic_timer_expired()).
 */
static bool timer_restorable(const struct hvx_lapic *l,
			     const struct hvx_lapic_state *s, u64 now_ns)
{
	const u32 *regs = s->regs;
	unsigned int mode = lapic_lvtt_mode(regs[HVX_APIC_REG_LVT_TIMER >> 2]);
	u32 initial = regs[HVX_APIC_REG_TMICT >> 2];
	bool armed = s->flags & HVX_LAPIC_STATE_TIMER_ARMED;
	u64 period = s->timer_period_ns, run_down, to_next;
	s64 now = now_ns;

	/* The count is computed from the start: one ahead would underflow. */
	if (s->timer_start_ns > 0)
		return false;
	/*
	 * The expiry must be a time of the clock (0 to S64_MAX ns): one
	 * before would never come; a count's one past it would come at
	 * once and rearm in the same place forever.  A deadline as far as
	 * the clock goes (saved as S64_MAX from the get) stays that far.
	 */
	if (armed && s->timer_next_ns < -now)
		return false;
	/* A deadline stays armed until it fires; then both are gone. */
	if (mode == HVX_APIC_TIMER_DEADLINE)
		return !period && armed == !!s->tsc_deadline;
	if (armed && s->timer_next_ns > S64_MAX - now)
		return false;
	if (s->tsc_deadline)
		return false;
	if (!initial || (mode != HVX_APIC_TIMER_ONESHOT &&
			 mode != HVX_APIC_TIMER_PERIODIC))
		return !period && !armed;
	/*
	 * The period is the initial count's run-down time at the divide; a
	 * periodic one may be stretched towards a bound on its rate, no
	 * further than this APIC's (a host's bound may be lower, or none).
	 */
	run_down = lapic_ticks_to_ns(l, initial, hvx_lapic_timer_divide(
					regs[HVX_APIC_REG_TDCR >> 2]));
	if (period < run_down ||
	    period > lapic_timer_period(l, mode, run_down))
		return false;
	/* Only a one-shot count that ran down stops counting. */
	if (!armed)
		return mode == HVX_APIC_TIMER_ONESHOT &&
		       -(u64)s->timer_start_ns >= period;
	/*
	 * It fires at the end of a period from the start: a one-shot at
	 * the first, a periodic one at the first still to come (within one
	 * period from now).
	 */
	to_next = (u64)s->timer_next_ns - (u64)s->timer_start_ns;
	if (mode == HVX_APIC_TIMER_ONESHOT)
		return to_next == period;
	return s->timer_next_ns <= (s64)period && to_next >= period &&
	       !(to_next % period);
}

int hvx_lapic_restore(struct hvx_lapic *l, const struct hvx_lapic_state *s,
		      u64 now_ns, struct hvx_lapic_effects *eff)
{
	struct hvx_lapic_timer *t = &l->timer;
	unsigned int i;

	if (!lapic_base_valid(l, s->apic_base) || s->pad ||
	    (s->flags & ~HVX_LAPIC_STATE_TIMER_ARMED) ||
	    (s->esr_pending & ~LAPIC_ESR_MASK) ||
	    !regs_restorable(l, s) || !timer_restorable(l, s, now_ns))
		return -EINVAL;
	for (i = 0; i < HVX_LAPIC_PAGE_SIZE / 4; i++)
		l->regs[i] = i < HVX_LAPIC_REGS_SIZE / 4 ? s->regs[i] : 0;
	lapic_set_reg(l, HVX_APIC_REG_VERSION, lapic_version(l));
	lapic_set_reg(l, HVX_APIC_REG_TMCCT, 0);
	/* computed when read, never kept in the page (lapic_update_ppr()) */
	lapic_set_reg(l, HVX_APIC_REG_APR, 0);
	l->apic_base = s->apic_base;
	l->apic_id = s->apic_id;
	l->esr_pending = s->esr_pending;
	t->tsc_deadline = s->tsc_deadline;
	t->start_ns = now_ns + s->timer_start_ns;
	/*
	 * A state saved before the bound, or by another host's, gets it;
	 * the period then starts a stretched period before the expiry.
	 */
	t->period_ns = lapic_timer_period(l,
			lapic_lvtt_mode(s->regs[HVX_APIC_REG_LVT_TIMER >> 2]),
			s->timer_period_ns);
	t->next_ns = s->timer_next_ns > S64_MAX - (s64)now_ns ? S64_MAX :
		     now_ns + s->timer_next_ns;
	if (t->period_ns != s->timer_period_ns)
		t->start_ns = t->next_ns - t->period_ns;
	t->armed = s->flags & HVX_LAPIC_STATE_TIMER_ARMED;
	lapic_update_ppr(l);
	eff->flags |= HVX_LAPIC_EFF_ROUTE | HVX_LAPIC_EFF_EVAL |
		      HVX_LAPIC_EFF_TIMER;
	return 0;
}
