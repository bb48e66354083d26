// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of the local APIC timer: one-shot, periodic and TSC-deadline
 * modes, the divide encoding and the current count (module/lapic.c), built into this program through
 * tests/unit/kernel_shim.h with the local APIC it works on (lapic.c).
 *
 * The expected values come from the Intel SDM vol. 3A, "Advanced
 * Programmable Interrupt Controller (APIC)", not from the code.
 */
#include <string.h>

#include "kernel_shim.h"
#include "kselftest_harness.h"

#include "../../module/lapic.c"
#include "lapic_util.h"

static const struct {
	u32 dcr;
	unsigned int div;
} divides[] = {
	{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
	{ 0x8, 32 }, { 0x9, 64 }, { 0xa, 128 }, { 0xb, 1 },
};

TEST(timer_divide_encoding)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(divides); i++) {
		EXPECT_EQ(divides[i].div, hvx_lapic_timer_divide(divides[i].dcr));
		/* Bit 2 and the bits above 3 are not part of it. */
		EXPECT_EQ(divides[i].div,
			  hvx_lapic_timer_divide(divides[i].dcr | 0xfffffff4));
	}
}

TEST(timer_oneshot_every_divide)
{
	struct hvx_lapic l;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(divides); i++) {
		u64 t0 = 1000000, period = 1000ULL * divides[i].div * 10;

		setup(&l, 0, 0);
		sw_enable(&l);
		wr(&l, HVX_APIC_REG_LVT_TIMER, 0x20);
		wr(&l, HVX_APIC_REG_TDCR, divides[i].dcr);
		EXPECT_TRUE(wr_at(&l, HVX_APIC_REG_TMICT, 1000, t0) &
			    HVX_LAPIC_EFF_TIMER);
		EXPECT_EQ(t0 + period, hvx_lapic_timer_next(&l))
			TH_LOG("div %u", divides[i].div);
		EXPECT_EQ(1000, rd_at(&l, HVX_APIC_REG_TMCCT, t0));
		EXPECT_EQ(500, rd_at(&l, HVX_APIC_REG_TMCCT, t0 + period / 2));
		EXPECT_EQ(1, rd_at(&l, HVX_APIC_REG_TMCCT, t0 + period - 1));
		EXPECT_EQ(0, rd_at(&l, HVX_APIC_REG_TMCCT, t0 + period));
		EXPECT_EQ(0, rd_at(&l, HVX_APIC_REG_TMCCT, t0 + 10 * period));
		EXPECT_EQ(1000, rd(&l, HVX_APIC_REG_TMICT));
		EXPECT_FALSE(hvx_lapic_timer_expired(&l, t0 + period - 1));
		EXPECT_FALSE(irr(&l, 0x20));
		EXPECT_TRUE(hvx_lapic_timer_expired(&l, t0 + period));
		EXPECT_TRUE(irr(&l, 0x20));
		EXPECT_FALSE(tmr(&l, 0x20));
		EXPECT_EQ(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&l));
		EXPECT_FALSE(hvx_lapic_timer_expired(&l, t0 + 2 * period));
	}
}

TEST(timer_periodic)
{
	struct hvx_lapic l;

	setup(&l, 0, 0);
	sw_enable(&l);
	wr(&l, HVX_APIC_REG_LVT_TIMER, 0x20020);
	wr(&l, HVX_APIC_REG_TDCR, 0xb);
	wr_at(&l, HVX_APIC_REG_TMICT, 100, 5000);	/* 1000 ns per period */
	EXPECT_EQ(6000, hvx_lapic_timer_next(&l));
	EXPECT_EQ(75, rd_at(&l, HVX_APIC_REG_TMCCT, 5250));
	EXPECT_EQ(100, rd_at(&l, HVX_APIC_REG_TMCCT, 6000));
	EXPECT_EQ(75, rd_at(&l, HVX_APIC_REG_TMCCT, 8250));
	EXPECT_TRUE(hvx_lapic_timer_expired(&l, 6000));
	EXPECT_EQ(7000, hvx_lapic_timer_next(&l));
	EXPECT_EQ(0x20, hvx_lapic_highest_pending(&l));
	hvx_lapic_ack(&l, 0x20);
	hvx_lapic_eoi(&l, &eff);
	/* Late by two and a half periods: one interrupt, next boundary. */
	EXPECT_TRUE(hvx_lapic_timer_expired(&l, 9500));
	EXPECT_EQ(10000, hvx_lapic_timer_next(&l));
	EXPECT_TRUE(irr(&l, 0x20));
	EXPECT_EQ(50, rd_at(&l, HVX_APIC_REG_TMCCT, 9500));
}

/*
 * cfg.min_period_ns stretches a shorter periodic period (the caller's
 * bound on the interrupt rate): 1 count at divide 1 is 10 ns here, run at
 * 2000 ns; the count reads 0 once it ran down.  A one-shot is not
 * stretched.
 */
TEST(timer_periodic_min_period)
{
	struct hvx_lapic l;

	setup(&l, 0, 0);
	l.cfg.min_period_ns = 2000;
	sw_enable(&l);
	wr(&l, HVX_APIC_REG_LVT_TIMER, 0x20020);
	wr(&l, HVX_APIC_REG_TDCR, 0xb);
	wr_at(&l, HVX_APIC_REG_TMICT, 1, 5000);
	EXPECT_EQ(7000, hvx_lapic_timer_next(&l));
	EXPECT_EQ(1, rd_at(&l, HVX_APIC_REG_TMCCT, 5000));
	EXPECT_EQ(0, rd_at(&l, HVX_APIC_REG_TMCCT, 5500));
	EXPECT_FALSE(hvx_lapic_timer_expired(&l, 6999));
	EXPECT_TRUE(hvx_lapic_timer_expired(&l, 7000));
	EXPECT_EQ(9000, hvx_lapic_timer_next(&l));
	/* late: one interrupt, the next boundary */
	EXPECT_TRUE(hvx_lapic_timer_expired(&l, 12500));
	EXPECT_EQ(13000, hvx_lapic_timer_next(&l));
	/* a divide written once the count ran down changes nothing */
	wr_at(&l, HVX_APIC_REG_TDCR, 0xb, 12600);
	EXPECT_EQ(13000, hvx_lapic_timer_next(&l));
	EXPECT_TRUE(hvx_lapic_timer_expired(&l, 13000));
	EXPECT_EQ(15000, hvx_lapic_timer_next(&l));

	/* one-shot: 10 ns as asked */
	wr(&l, HVX_APIC_REG_LVT_TIMER, 0x00020);
	wr_at(&l, HVX_APIC_REG_TMICT, 1, 20000);
	EXPECT_EQ(20010, hvx_lapic_timer_next(&l));
}

TEST(timer_masked)
{
	struct hvx_lapic l;

	setup(&l, 0, 0);
	sw_enable(&l);
	wr(&l, HVX_APIC_REG_LVT_TIMER, 0x10020);
	wr(&l, HVX_APIC_REG_TDCR, 0xb);
	wr_at(&l, HVX_APIC_REG_TMICT, 100, 0);
	EXPECT_EQ(50, rd_at(&l, HVX_APIC_REG_TMCCT, 500));
	EXPECT_TRUE(hvx_lapic_timer_expired(&l, 1000));
	EXPECT_FALSE(irr(&l, 0x20));
	EXPECT_EQ(-1, hvx_lapic_highest_pending(&l));

	/* A masked periodic timer keeps counting. */
	wr(&l, HVX_APIC_REG_LVT_TIMER, 0x30020);
	wr_at(&l, HVX_APIC_REG_TMICT, 100, 2000);
	EXPECT_TRUE(hvx_lapic_timer_expired(&l, 3000));
	EXPECT_EQ(4000, hvx_lapic_timer_next(&l));
	EXPECT_FALSE(irr(&l, 0x20));
	/* Unmasking without a mode change keeps it running. */
	wr(&l, HVX_APIC_REG_LVT_TIMER, 0x20020);
	EXPECT_EQ(4000, hvx_lapic_timer_next(&l));
	EXPECT_TRUE(hvx_lapic_timer_expired(&l, 4000));
	EXPECT_TRUE(irr(&l, 0x20));
}

TEST(timer_stops)
{
	struct hvx_lapic l;

	setup(&l, 0, HVX_LAPIC_F_TSC_DEADLINE);
	sw_enable(&l);
	wr(&l, HVX_APIC_REG_LVT_TIMER, 0x20);
	wr_at(&l, HVX_APIC_REG_TMICT, 100, 0);
	EXPECT_NE(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&l));
	/* Initial count 0 stops it. */
	EXPECT_TRUE(wr_at(&l, HVX_APIC_REG_TMICT, 0, 10) & HVX_LAPIC_EFF_TIMER);
	EXPECT_EQ(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&l));
	EXPECT_EQ(0, rd_at(&l, HVX_APIC_REG_TMCCT, 20));
	EXPECT_FALSE(hvx_lapic_timer_expired(&l, 1000000));

	/* A mode change disarms and clears the initial count. */
	wr_at(&l, HVX_APIC_REG_TMICT, 100, 0);
	EXPECT_TRUE(wr(&l, HVX_APIC_REG_LVT_TIMER, 0x20020) & HVX_LAPIC_EFF_TIMER);
	EXPECT_EQ(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&l));
	EXPECT_EQ(0, rd(&l, HVX_APIC_REG_TMICT));
	EXPECT_EQ(0, rd_at(&l, HVX_APIC_REG_TMCCT, 10));

	/* In TSC-deadline mode the initial count is ignored. */
	wr(&l, HVX_APIC_REG_LVT_TIMER, 0x40020);
	wr(&l, HVX_APIC_REG_TMICT, 100);
	EXPECT_EQ(0, rd(&l, HVX_APIC_REG_TMICT));
	EXPECT_EQ(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&l));

	/* Mode 3 is reserved: the timer does not run. */
	wr(&l, HVX_APIC_REG_LVT_TIMER, 0x60020);
	wr(&l, HVX_APIC_REG_TMICT, 100);
	EXPECT_EQ(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&l));
}

TEST(timer_tsc_deadline)
{
	struct hvx_lapic l;

	setup(&l, 0, HVX_LAPIC_F_TSC_DEADLINE);
	sw_enable(&l);
	/* Ignored outside TSC-deadline mode. */
	hvx_lapic_set_tsc_deadline(&l, 12345, 50000, 1000, &eff);
	EXPECT_EQ(0, hvx_lapic_tsc_deadline(&l));
	EXPECT_EQ(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&l));

	wr(&l, HVX_APIC_REG_LVT_TIMER, 0x40020);
	memset(&eff, 0, sizeof(eff));
	hvx_lapic_set_tsc_deadline(&l, 12345, 50000, 1000, &eff);
	EXPECT_TRUE(eff.flags & HVX_LAPIC_EFF_TIMER);
	EXPECT_EQ(12345, hvx_lapic_tsc_deadline(&l));
	EXPECT_EQ(50000, hvx_lapic_timer_next(&l));
	EXPECT_EQ(0, rd_at(&l, HVX_APIC_REG_TMCCT, 2000));
	EXPECT_FALSE(hvx_lapic_timer_expired(&l, 49999));
	EXPECT_TRUE(hvx_lapic_timer_expired(&l, 50000));
	EXPECT_TRUE(irr(&l, 0x20));
	EXPECT_EQ(0, hvx_lapic_tsc_deadline(&l));
	EXPECT_EQ(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&l));
	hvx_lapic_ack(&l, 0x20);
	hvx_lapic_eoi(&l, &eff);

	/* A deadline already past fires at once. */
	memset(&eff, 0, sizeof(eff));
	hvx_lapic_set_tsc_deadline(&l, 99, 500, 60000, &eff);
	EXPECT_TRUE(eff.flags & HVX_LAPIC_EFF_EVAL);
	EXPECT_TRUE(irr(&l, 0x20));
	EXPECT_EQ(0, hvx_lapic_tsc_deadline(&l));

	/* 0 disarms; so does leaving the mode. */
	hvx_lapic_set_tsc_deadline(&l, 777, 90000, 60000, &eff);
	hvx_lapic_set_tsc_deadline(&l, 0, 0, 60000, &eff);
	EXPECT_EQ(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&l));
	hvx_lapic_set_tsc_deadline(&l, 777, 90000, 60000, &eff);
	wr(&l, HVX_APIC_REG_LVT_TIMER, 0x20);
	EXPECT_EQ(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&l));
	EXPECT_EQ(0, hvx_lapic_tsc_deadline(&l));

	/* Not advertised: bit 18 does not stick. */
	setup(&l, 0, 0);
	sw_enable(&l);
	wr(&l, HVX_APIC_REG_LVT_TIMER, 0x40020);
	EXPECT_EQ(0x20, rd(&l, HVX_APIC_REG_LVT_TIMER));
}

TEST(timer_frequency)
{
	struct hvx_lapic l;

	/* 0 is the 1 GHz default: 1 ns per count at divide 1. */
	memset(&l, 0, sizeof(l));
	hvx_lapic_reset(&l, 0, true);
	EXPECT_EQ(HVX_LAPIC_DEFAULT_TIMER_HZ, l.cfg.timer_hz);
	sw_enable(&l);
	wr(&l, HVX_APIC_REG_TDCR, 0xb);
	wr_at(&l, HVX_APIC_REG_TMICT, 1000, 0);
	EXPECT_EQ(1000, hvx_lapic_timer_next(&l));
	EXPECT_EQ(600, rd_at(&l, HVX_APIC_REG_TMCCT, 400));

	/* Too slow a clock is raised to 1 MHz: 1 us per count. */
	memset(&l, 0, sizeof(l));
	l.cfg.timer_hz = 10;
	hvx_lapic_reset(&l, 0, true);
	EXPECT_EQ(1000000, l.cfg.timer_hz);

	/* A 3 GHz clock: counts are a third of a ns, rounded down. */
	memset(&l, 0, sizeof(l));
	l.cfg.timer_hz = 3000000000ULL;
	hvx_lapic_reset(&l, 0, true);
	sw_enable(&l);
	wr(&l, HVX_APIC_REG_TDCR, 0xb);
	wr_at(&l, HVX_APIC_REG_TMICT, 3000, 100);
	EXPECT_EQ(1100, hvx_lapic_timer_next(&l));
	EXPECT_EQ(1500, rd_at(&l, HVX_APIC_REG_TMCCT, 600));
	/* The longest count at the slowest divide, without overflow. */
	wr(&l, HVX_APIC_REG_TDCR, 0xa);
	wr_at(&l, HVX_APIC_REG_TMICT, 0xffffffff, 0);
	EXPECT_EQ(0xffffffffULL * 128 / 3, hvx_lapic_timer_next(&l));
}

TEST(timer_divide_change)
{
	struct hvx_lapic l;

	setup(&l, 0, 0);
	sw_enable(&l);
	wr(&l, HVX_APIC_REG_LVT_TIMER, 0x20);
	wr_at(&l, HVX_APIC_REG_TMICT, 1000, 0);		/* divide 2: 20 us */
	EXPECT_EQ(500, rd_at(&l, HVX_APIC_REG_TMCCT, 10000));
	wr_at(&l, HVX_APIC_REG_TDCR, 0x1, 10000);		/* divide 4 */
	EXPECT_EQ(500, rd_at(&l, HVX_APIC_REG_TMCCT, 10000));
	EXPECT_EQ(250, rd_at(&l, HVX_APIC_REG_TMCCT, 20000));
	EXPECT_EQ(30000, hvx_lapic_timer_next(&l));
	/* A stopped timer stays stopped. */
	wr(&l, HVX_APIC_REG_TMICT, 0);
	wr_at(&l, HVX_APIC_REG_TDCR, 0xb, 40000);
	EXPECT_EQ(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&l));
}

TEST_HARNESS_MAIN
