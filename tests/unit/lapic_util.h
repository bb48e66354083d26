/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the local APIC unit tests share: an APIC set up as the tests want
 * it, and register access that says what it did.  Include after the
 * module sources under test.
 */
#ifndef HVX_UNIT_LAPIC_UTIL_H
#define HVX_UNIT_LAPIC_UTIL_H

#include <string.h>

/* 100 MHz: one count is 10 ns at divide 1. */
#define TIMER_HZ	100000000ULL
#define ALL_F		(HVX_LAPIC_F_X2APIC | HVX_LAPIC_F_TSC_DEADLINE | \
			 HVX_LAPIC_F_DIRECTED_EOI | HVX_LAPIC_F_CMCI)
#define BASE		(HVX_APIC_DEFAULT_BASE | HVX_APIC_BASE_EN)
#define BASE_X2		(BASE | HVX_APIC_BASE_EXTD)

static struct hvx_lapic_effects eff __attribute__((unused));

static inline void setup(struct hvx_lapic *l, u32 id, u32 features)
{
	memset(l, 0xa5, sizeof(*l));
	l->cfg.timer_hz = TIMER_HZ;
	l->cfg.features = features;
	l->cfg.maxphyaddr = 39;
	l->cfg.min_period_ns = 0;
	hvx_lapic_reset(l, id, id == 0);
	memset(&eff, 0, sizeof(eff));
}

static inline u32 rd_at(struct hvx_lapic *l, unsigned int off, u64 now)
{
	u32 v = 0xdeadbeef;

	if (hvx_lapic_read(l, off, 4, now, &v, &eff))
		return 0xdeadbeef;
	return v;
}

static inline u32 rd(struct hvx_lapic *l, unsigned int off)
{
	return rd_at(l, off, 0);
}

/* Returns the effect flags of this write alone. */
static inline u32 wr_at(struct hvx_lapic *l, unsigned int off, u32 val, u64 now)
{
	memset(&eff, 0, sizeof(eff));
	if (hvx_lapic_write(l, off, 4, val, now, &eff))
		return 0xdeadbeef;
	return eff.flags;
}

static inline u32 wr(struct hvx_lapic *l, unsigned int off, u32 val)
{
	return wr_at(l, off, val, 0);
}

/* What the ESR says after the latching write software must do first. */
static inline u32 esr(struct hvx_lapic *l)
{
	wr(l, HVX_APIC_REG_ESR, 0);
	return rd(l, HVX_APIC_REG_ESR);
}

static inline void sw_enable(struct hvx_lapic *l)
{
	wr(l, HVX_APIC_REG_SVR, 0x1ff);
}

static inline int to_x2apic(struct hvx_lapic *l)
{
	memset(&eff, 0, sizeof(eff));
	return hvx_lapic_set_base(l, BASE_X2, false, &eff);
}

static inline bool irr(struct hvx_lapic *l, u8 v)
{
	return hvx_lapic_vec_test(l, HVX_APIC_REG_IRR, v);
}

static inline bool tmr(struct hvx_lapic *l, u8 v)
{
	return hvx_lapic_vec_test(l, HVX_APIC_REG_TMR, v);
}

#endif /* HVX_UNIT_LAPIC_UTIL_H */
