// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of the local APIC's snapshots (hvx_lapic_save() and
 * hvx_lapic_restore() in module/lapic_state.c, behind HVX_GET_LAPIC and
 * HVX_SET_LAPIC), built as tests/unit/lapic_test.c is.
 *
 * What a restore must refuse comes from the Intel SDM vol. 3A, "Advanced
 * Programmable Interrupt Controller (APIC)": states no APIC could be in.
 */
#include <string.h>

#include "kernel_shim.h"
#include "kselftest_harness.h"

#include "../../module/lapic.c"
#include "../../module/lapic_state.c"
#include "lapic_util.h"
#include "xorshift.h"

TEST(save_restore)
{
	struct hvx_lapic a, b;
	struct hvx_lapic_state s;
	unsigned int i;

	EXPECT_EQ(1080, sizeof(struct hvx_lapic_state));
	setup(&a, 9, ALL_F);
	sw_enable(&a);
	wr(&a, HVX_APIC_REG_TPR, 0x20);
	hvx_lapic_accept(&a, 0x50, true);
	hvx_lapic_ack(&a, 0x50);
	hvx_lapic_accept(&a, 0x61, false);
	rd(&a, 0x010);
	wr(&a, HVX_APIC_REG_LVT_TIMER, 0x20030);
	wr(&a, HVX_APIC_REG_TDCR, 0xb);
	wr_at(&a, HVX_APIC_REG_TMICT, 100, 1000);	/* periods at 2000, 3000 ... */
	hvx_lapic_save(&a, 1500, &s);
	EXPECT_EQ(-500, s.timer_start_ns);
	EXPECT_EQ(500, s.timer_next_ns);
	EXPECT_EQ(1000, s.timer_period_ns);
	EXPECT_EQ(0, s.pad);

	setup(&b, 1, ALL_F);
	memset(&eff, 0, sizeof(eff));
	ASSERT_EQ(0, hvx_lapic_restore(&b, &s, 100000, &eff));
	EXPECT_EQ(HVX_LAPIC_EFF_ROUTE | HVX_LAPIC_EFF_EVAL | HVX_LAPIC_EFF_TIMER,
		  eff.flags);
	for (i = 0; i < HVX_LAPIC_REGS_SIZE / 4; i++)
		EXPECT_EQ(a.regs[i], b.regs[i]) TH_LOG("word %u", i);
	EXPECT_EQ(a.apic_base, b.apic_base);
	EXPECT_EQ(9, b.apic_id);
	EXPECT_EQ(100500, hvx_lapic_timer_next(&b));
	EXPECT_EQ(rd_at(&a, HVX_APIC_REG_TMCCT, 1750),
		  rd_at(&b, HVX_APIC_REG_TMCCT, 100250));
	EXPECT_EQ(0x61, hvx_lapic_highest_pending(&b));
	EXPECT_EQ(HVX_APIC_ESR_ILLEGAL_REG, esr(&b));
	wr(&b, HVX_APIC_REG_EOI, 0);
	EXPECT_EQ(0x50, eff.eoi_vector);
	EXPECT_TRUE(eff.eoi_level);

	/* Refused: padding, an invalid base, a periodic timer with no period. */
	s.pad = 1;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.pad = 0;
	s.apic_base = HVX_APIC_BASE_EXTD | HVX_APIC_DEFAULT_BASE;	/* EN clear */
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.apic_base = BASE;
	s.timer_period_ns = 0;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.timer_period_ns = 1000;
	s.flags = 2;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	/* Nothing was half-restored by the refusals. */
	EXPECT_EQ(100500, hvx_lapic_timer_next(&b));
}

/*
 * With APIC virtualization the processor stores what the guest writes to
 * the write-only EOI and SELF IPI registers in the page (an x2APIC self
 * IPI takes no exit): a snapshot leaves them out, so that it restores.
 */
TEST(write_only_words_are_not_saved)
{
	struct hvx_lapic a, b;
	struct hvx_lapic_state s;

	setup(&a, 3, ALL_F);
	sw_enable(&a);
	a.regs[HVX_APIC_REG_SELF_IPI >> 2] = 0x40;
	a.regs[HVX_APIC_REG_EOI >> 2] = 0x1;
	hvx_lapic_save(&a, 0, &s);
	EXPECT_EQ(0, s.regs[HVX_APIC_REG_SELF_IPI >> 2]);
	EXPECT_EQ(0, s.regs[HVX_APIC_REG_EOI >> 2]);
	setup(&b, 3, ALL_F);
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
}

/* A saved state of an APIC with a one-shot count running, as a base. */
static void running_state(struct hvx_lapic *a, struct hvx_lapic_state *s)
{
	setup(a, 2, ALL_F);
	sw_enable(a);
	wr(a, HVX_APIC_REG_LVT_TIMER, 0x40);
	wr(a, HVX_APIC_REG_TDCR, 0xb);
	wr_at(a, HVX_APIC_REG_TMICT, 1000, 0);		/* 10 us at 100 MHz */
	hvx_lapic_save(a, 4000, s);
}

TEST(save_current_count_derived_regs)
{
	struct hvx_lapic a, b;
	struct hvx_lapic_state s;

	running_state(&a, &s);
	/* 4 us of 10 gone: 600 counts to go, shown to the reader */
	EXPECT_EQ(600, s.regs[HVX_APIC_REG_TMCCT >> 2]);
	EXPECT_EQ(0, a.regs[HVX_APIC_REG_TMCCT >> 2]);

	/* Version, PPR, APR and the count are derived, whatever @s says. */
	s.regs[HVX_APIC_REG_VERSION >> 2] = 0x12345678;
	s.regs[HVX_APIC_REG_PPR >> 2] = 0xff;
	s.regs[HVX_APIC_REG_APR >> 2] = 0xff;
	s.regs[HVX_APIC_REG_TMCCT >> 2] = 7;
	setup(&b, 2, ALL_F);
	ASSERT_EQ(0, hvx_lapic_restore(&b, &s, 10000, &eff));
	/* directed EOI (bit 24), max LVT 6 (CMCI), version 0x14 */
	EXPECT_EQ(0x01060014, rd(&b, HVX_APIC_REG_VERSION));
	EXPECT_EQ(0, rd(&b, HVX_APIC_REG_PPR));
	EXPECT_EQ(0, rd(&b, HVX_APIC_REG_APR));
	/* the count goes on from 600, not from 7 or the initial count */
	EXPECT_EQ(600, rd_at(&b, HVX_APIC_REG_TMCCT, 10000));
	EXPECT_EQ(100, rd_at(&b, HVX_APIC_REG_TMCCT, 15000));
	EXPECT_EQ(16000, hvx_lapic_timer_next(&b));
}

/* hvx.ko's feature set: no CMCI, no directed EOI unless the VM asks. */
TEST(reset_state_restores_without_cmci)
{
	const u32 f = HVX_LAPIC_F_X2APIC | HVX_LAPIC_F_TSC_DEADLINE;
	struct hvx_lapic a, b;
	struct hvx_lapic_state s;

	setup(&a, 0, f);
	hvx_lapic_save(&a, 0, &s);
	/* no CMCI entry: its slot is reserved, zero even when masked all */
	EXPECT_EQ(0, s.regs[HVX_APIC_REG_LVT_CMCI >> 2]);
	setup(&b, 0, f);
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	/* software disable masks every entry the APIC has, and only those */
	sw_enable(&a);
	wr(&a, HVX_APIC_REG_LVT_TIMER, 0x40);
	wr(&a, HVX_APIC_REG_SVR, 0xff);
	EXPECT_EQ(0x10040, hvx_lapic_reg(&a, HVX_APIC_REG_LVT_TIMER));
	EXPECT_EQ(0, a.regs[HVX_APIC_REG_LVT_CMCI >> 2]);
	hvx_lapic_save(&a, 0, &s);
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
}

TEST(restore_refuses_impossible_states)
{
	struct hvx_lapic a, b;
	struct hvx_lapic_state good, s;
	static const struct {
		unsigned int word;
		u32 val;
		const char *what;
	} bad_regs[] = {
		{ 0x010 >> 2, 1, "reserved offset 0x010" },
		{ (HVX_APIC_REG_TPR >> 2) + 1, 1, "bytes 4-7 of a slot" },
		{ HVX_APIC_REG_TPR >> 2, 0x100, "TPR bit 8" },
		{ HVX_APIC_REG_ID >> 2, 0x00000001, "xAPIC ID bit 0" },
		{ HVX_APIC_REG_EOI >> 2, 1, "EOI holds nothing" },
		{ HVX_APIC_REG_ISR >> 2, BIT(3), "ISR vector 3" },
		{ HVX_APIC_REG_IRR >> 2, BIT(15), "IRR vector 15" },
		{ HVX_APIC_REG_TMR >> 2, BIT(0), "TMR vector 0" },
		{ HVX_APIC_REG_DFR >> 2, 0xf0000000, "DFR low ones" },
		{ HVX_APIC_REG_LVT_LINT0 >> 2, BIT(17), "LINT0 bit 17" },
		{ HVX_APIC_REG_TDCR >> 2, 0x4, "TDCR bit 2" },
		{ HVX_APIC_REG_ICR >> 2, BIT(12), "ICR delivery status" },
		{ HVX_APIC_REG_ESR >> 2, 0x100, "ESR bit 8" },
		{ HVX_APIC_REG_SELF_IPI >> 2, 0x40, "SELF IPI holds nothing" },
	};
	unsigned int i;

	running_state(&a, &good);
	setup(&b, 2, ALL_F);
	ASSERT_EQ(0, hvx_lapic_restore(&b, &good, 0, &eff));
	for (i = 0; i < ARRAY_SIZE(bad_regs); i++) {
		s = good;
		s.regs[bad_regs[i].word] = bad_regs[i].val;
		EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff))
			TH_LOG("%s", bad_regs[i].what);
	}

	/*
	 * What a guest's own writes store is taken back: a DFR model
	 * other than flat or cluster, timer mode 3 (no timer runs).
	 */
	setup(&a, 2, ALL_F);
	sw_enable(&a);
	wr(&a, HVX_APIC_REG_DFR, 0x7fffffff);
	wr(&a, HVX_APIC_REG_LVT_TIMER, 0x60040);
	EXPECT_EQ(0x7fffffff, rd(&a, HVX_APIC_REG_DFR));
	EXPECT_EQ(0x60040, rd(&a, HVX_APIC_REG_LVT_TIMER));
	hvx_lapic_save(&a, 0, &s);
	setup(&b, 2, ALL_F);
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	EXPECT_EQ(0x7fffffff, rd(&b, HVX_APIC_REG_DFR));
	EXPECT_EQ(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&b));
	setup(&b, 2, ALL_F);
	ASSERT_EQ(0, hvx_lapic_restore(&b, &good, 0, &eff));

	/* Directed EOI and TSC deadline are features the APIC may lack. */
	s = good;
	s.regs[HVX_APIC_REG_SVR >> 2] |= HVX_APIC_SVR_DIRECTED_EOI;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	setup(&b, 2, HVX_LAPIC_F_X2APIC);
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s = good;
	s.regs[HVX_APIC_REG_LVT_TIMER >> 2] = 0x40040;
	s.regs[HVX_APIC_REG_TMICT >> 2] = 0;
	s.timer_period_ns = 0;
	s.flags = 0;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	setup(&b, 2, ALL_F);
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	/* ... with an initial count, which deadline mode never keeps */
	s.regs[HVX_APIC_REG_TMICT >> 2] = 5;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	/* armed in deadline mode without a deadline */
	s.regs[HVX_APIC_REG_TMICT >> 2] = 0;
	s.flags = HVX_LAPIC_STATE_TIMER_ARMED;
	s.tsc_deadline = 0;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.tsc_deadline = 12345;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	/* a deadline as far as the clock goes stays there; none before it */
	s.timer_next_ns = S64_MAX;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 1000, &eff));
	EXPECT_EQ(S64_MAX, hvx_lapic_timer_next(&b));
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	s.timer_next_ns = -1001;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 1000, &eff));
	s.timer_next_ns = -1000;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 1000, &eff));
	EXPECT_EQ(0, hvx_lapic_timer_next(&b));

	/* A one-shot armed with no count, or started in the future. */
	s = good;
	s.regs[HVX_APIC_REG_TMICT >> 2] = 0;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s = good;
	s.timer_start_ns = 1;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s = good;
	s.timer_period_ns = ~0ULL >> 1;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	/* a count that fires later than one period from now */
	s = good;
	s.timer_start_ns = 0;
	s.timer_next_ns = s.timer_period_ns + 1;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.timer_next_ns = S64_MAX;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.timer_next_ns = s.timer_period_ns;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));

	/* x2APIC: the ID and logical ID follow from the initial ID. */
	s = good;
	s.apic_base = BASE_X2;
	s.regs[HVX_APIC_REG_ID >> 2] = 2;
	s.regs[HVX_APIC_REG_LDR >> 2] = BIT(2);
	s.regs[HVX_APIC_REG_ICR2 >> 2] = 0x12345;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	EXPECT_TRUE(hvx_lapic_mode_x2apic(&b));
	s.regs[HVX_APIC_REG_ID >> 2] = 3;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.regs[HVX_APIC_REG_ID >> 2] = 2;
	s.regs[HVX_APIC_REG_LDR >> 2] = BIT(3);
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	/* an xAPIC's ID is 8 bits at 31:24 */
	s = good;
	s.regs[HVX_APIC_REG_ID >> 2] = 2;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));

	/* The refusals left the last good state alone. */
	EXPECT_TRUE(hvx_lapic_mode_x2apic(&b));
	EXPECT_EQ(2, hvx_lapic_reg(&b, HVX_APIC_REG_ID));
}

/* Save @a at @now and restore the state into a fresh APIC. */
static int save_restore_at(struct hvx_lapic *a, u64 now,
			   struct hvx_lapic_state *s)
{
	struct hvx_lapic b;

	hvx_lapic_save(a, now, s);
	setup(&b, a->apic_id, ALL_F);
	b.cfg.min_period_ns = a->cfg.min_period_ns;
	return hvx_lapic_restore(&b, s, now, &eff);
}

/* Every timer state the APIC's own writes and expiries leave restores. */
TEST(timer_states_of_guest_writes_restore)
{
	struct hvx_lapic a, b;
	struct hvx_lapic_state s;

	running_state(&a, &s);				/* one-shot, 10 us */
	EXPECT_EQ(0, save_restore_at(&a, 4000, &s));
	/* a new divide halfway: 500 counts to go at divide 2 */
	wr_at(&a, HVX_APIC_REG_TDCR, 0x0, 5000);
	EXPECT_EQ(0, save_restore_at(&a, 6000, &s));
	EXPECT_EQ(20000, s.timer_period_ns);
	EXPECT_EQ(9000, s.timer_next_ns);
	/* run down: no longer armed, the count reads 0 */
	EXPECT_TRUE(hvx_lapic_timer_expired(&a, 15000));
	EXPECT_EQ(0, save_restore_at(&a, 15000, &s));
	EXPECT_EQ(0, s.flags);
	EXPECT_EQ(0, s.regs[HVX_APIC_REG_TMCCT >> 2]);

	/* periodic, after expiries, stretched to a bound on its rate */
	a.cfg.min_period_ns = 50000;
	wr_at(&a, HVX_APIC_REG_LVT_TIMER, 0x20040, 20000);
	wr_at(&a, HVX_APIC_REG_TMICT, 1000, 20000);	/* 20 us at divide 2 */
	EXPECT_TRUE(hvx_lapic_timer_expired(&a, 190000));
	EXPECT_EQ(0, save_restore_at(&a, 190000, &s));
	EXPECT_EQ(50000, s.timer_period_ns);
	EXPECT_EQ(30000, s.timer_next_ns);
	/* a count stopped by a new mode; then a deadline, armed and fired */
	wr_at(&a, HVX_APIC_REG_LVT_TIMER, 0x40040, 200000);
	EXPECT_EQ(0, save_restore_at(&a, 200000, &s));
	hvx_lapic_set_tsc_deadline(&a, 777, 300000, 200000, &eff);
	EXPECT_EQ(0, save_restore_at(&a, 250000, &s));
	EXPECT_EQ(777, s.tsc_deadline);
	EXPECT_TRUE(hvx_lapic_timer_expired(&a, 300000));
	EXPECT_EQ(0, save_restore_at(&a, 300000, &s));
	EXPECT_EQ(0, s.tsc_deadline);
	/* a deadline as far as the clock goes, restored later */
	hvx_lapic_set_tsc_deadline(&a, ~0ULL, S64_MAX, 300000, &eff);
	hvx_lapic_save(&a, 300000, &s);
	setup(&b, a.apic_id, ALL_F);
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 900000, &eff));
	EXPECT_EQ(S64_MAX, hvx_lapic_timer_next(&b));
	/* timer mode 3 keeps an initial count and runs nothing */
	wr_at(&a, HVX_APIC_REG_LVT_TIMER, 0x60040, 300000);
	wr_at(&a, HVX_APIC_REG_TMICT, 1000, 300000);
	EXPECT_EQ(0, save_restore_at(&a, 310000, &s));
}

/*
 * What a restore leaves saves and restores again: a periodic timer with
 * no count (Linux's stopped timer), a period stretched to this APIC's
 * bound, a disabled APIC whose TPR a CR8 write set, a disabled BSP
 * that took an INIT.
 */
TEST(restored_states_restore_again)
{
	struct hvx_lapic a, b;
	struct hvx_lapic_state s;

	setup(&a, 1, ALL_F);
	a.cfg.min_period_ns = 5000;
	sw_enable(&a);
	wr(&a, HVX_APIC_REG_LVT_TIMER, 0x20040);	/* periodic, no count */
	EXPECT_EQ(0, save_restore_at(&a, 1000, &s));
	setup(&b, 1, ALL_F);
	b.cfg.min_period_ns = 5000;
	ASSERT_EQ(0, hvx_lapic_restore(&b, &s, 1000, &eff));
	EXPECT_EQ(0, save_restore_at(&b, 2000, &s));
	EXPECT_EQ(0, s.timer_period_ns);

	/* a 1 us period from a host without the bound: 5 us here */
	wr_at(&a, HVX_APIC_REG_TDCR, 0xb, 0);
	a.cfg.min_period_ns = 0;
	wr_at(&a, HVX_APIC_REG_TMICT, 100, 0);		/* 1 us */
	hvx_lapic_save(&a, 500, &s);
	EXPECT_EQ(1000, s.timer_period_ns);
	setup(&b, 1, ALL_F);
	b.cfg.min_period_ns = 5000;
	ASSERT_EQ(0, hvx_lapic_restore(&b, &s, 500, &eff));
	EXPECT_EQ(1000, hvx_lapic_timer_next(&b));
	EXPECT_EQ(0, save_restore_at(&b, 600, &s));
	EXPECT_EQ(5000, s.timer_period_ns);
	EXPECT_TRUE(hvx_lapic_timer_expired(&b, 1000));
	EXPECT_EQ(6000, hvx_lapic_timer_next(&b));

	/* disabled, with TPR[7:4] from CR8 */
	setup(&a, 1, ALL_F);
	memset(&eff, 0, sizeof(eff));
	ASSERT_EQ(0, hvx_lapic_set_base(&a, HVX_APIC_DEFAULT_BASE, false,
					&eff));
	a.regs[HVX_APIC_REG_TPR >> 2] = 0x50;	/* as hvx_apic_set_cr8() */
	EXPECT_EQ(0, save_restore_at(&a, 0, &s));
	s.regs[HVX_APIC_REG_TPR >> 2] = 0x55;
	setup(&b, 1, ALL_F);
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));

	/*
	 * A disabled BSP that took an INIT: its LINT0 is the virtual wire
	 * again.  Not so an AP's.
	 */
	setup(&a, 0, ALL_F);
	ASSERT_EQ(0, hvx_lapic_set_base(&a, HVX_APIC_DEFAULT_BASE |
					HVX_APIC_BASE_BSP, false, &eff));
	hvx_lapic_init_signal(&a);
	EXPECT_EQ(LAPIC_LINT0_VIRTUAL_WIRE,
		  hvx_lapic_reg(&a, HVX_APIC_REG_LVT_LINT0));
	EXPECT_EQ(0, save_restore_at(&a, 0, &s));
	setup(&a, 1, ALL_F);
	ASSERT_EQ(0, hvx_lapic_set_base(&a, HVX_APIC_DEFAULT_BASE, false,
					&eff));
	hvx_lapic_init_signal(&a);
	hvx_lapic_save(&a, 0, &s);
	s.regs[HVX_APIC_REG_LVT_LINT0 >> 2] = LAPIC_LINT0_VIRTUAL_WIRE;
	setup(&b, 1, ALL_F);
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
}

/*
 * Random walks of the guest's timer and mode writes, expiries, CR8
 * writes and INITs, an AP's and the BSP's: every state saved restores,
 * and what it restores to saves and restores again.
 */
TEST(random_walks_restore)
{
	static const u32 dcr[] = { 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa, 0xb };
	static const u32 counts[] = { 0, 1, 100, 20000, 0xffffffff };
	struct hvx_lapic a, b;
	struct hvx_lapic_state s;
	uint64_t rnd = 88172645463325252ULL;
	u64 now = 1000000;
	unsigned int walk, step, bad = 0;
	u32 id;
	u64 bsp;

	for (walk = 0; walk < 200; walk++) {
		/* every fourth walk the BSP's, whose LINT0 INIT sets */
		id = walk % 4 ? 3 : 0;
		bsp = id ? 0 : HVX_APIC_BASE_BSP;
		setup(&a, id, ALL_F);
		a.cfg.min_period_ns = walk % 2 ? 200000 : 0;
		for (step = 0; step < 40; step++) {
			xorshift64(&rnd);
			now += rnd % 300000;
			memset(&eff, 0, sizeof(eff));
			switch (rnd >> 60) {
			case 0:
			case 1:
				wr_at(&a, HVX_APIC_REG_LVT_TIMER,
				      ((rnd >> 8) & 3) << 17 | 0x40, now);
				break;
			case 2:
			case 3:
				wr_at(&a, HVX_APIC_REG_TMICT,
				      counts[(rnd >> 8) % 5], now);
				break;
			case 4:
				wr_at(&a, HVX_APIC_REG_TDCR,
				      dcr[(rnd >> 8) % 8], now);
				break;
			case 5:
				hvx_lapic_set_tsc_deadline(&a, rnd >> 20,
							   now + (rnd >> 40),
							   now, &eff);
				break;
			case 6:
				wr_at(&a, HVX_APIC_REG_SVR,
				      rnd & 0x100 ? 0x1ff : 0xff, now);
				break;
			case 7:
				hvx_lapic_set_base(&a, (rnd & 0x100 ? BASE :
						    HVX_APIC_DEFAULT_BASE) | bsp,
						   false, &eff);
				break;
			case 8:
				a.regs[HVX_APIC_REG_TPR >> 2] =
					((rnd >> 8) & 0xf) << 4;
				break;
			case 9:
				hvx_lapic_init_signal(&a);
				break;
			default:
				hvx_lapic_timer_expired(&a, now);
			}
			hvx_lapic_save(&a, now, &s);
			setup(&b, id, ALL_F);
			b.cfg.min_period_ns = a.cfg.min_period_ns;
			if (hvx_lapic_restore(&b, &s, now, &eff) ||
			    save_restore_at(&b, now + 10, &s)) {
				bad++;
				TH_LOG("walk %u step %u", walk, step);
				break;
			}
		}
	}
	EXPECT_EQ(0, bad);
}

/* A new divide while the count reads 0: later periods follow it too. */
TEST(divide_change_with_the_count_at_zero)
{
	struct hvx_lapic a;
	struct hvx_lapic_state s;

	/* a one-shot count run down stays run down, at the new period */
	setup(&a, 1, ALL_F);
	sw_enable(&a);
	wr(&a, HVX_APIC_REG_LVT_TIMER, 0x40);
	wr(&a, HVX_APIC_REG_TDCR, 0xb);
	wr_at(&a, HVX_APIC_REG_TMICT, 100, 0);		/* 1 us */
	EXPECT_TRUE(hvx_lapic_timer_expired(&a, 1000));
	wr_at(&a, HVX_APIC_REG_TDCR, 0x3, 2000);	/* divide 16 */
	EXPECT_EQ(0, rd_at(&a, HVX_APIC_REG_TMCCT, 2000));
	EXPECT_EQ(0, save_restore_at(&a, 2000, &s));
	EXPECT_EQ(16000, s.timer_period_ns);
	EXPECT_EQ(0, s.flags);

	/*
	 * Periodic, stretched from 100 us to a 200 us bound: 150 us in, the
	 * count reads 0.  At divide 128 a period is 12.8 ms, and the next
	 * expiry (at 200 us) stays.
	 */
	setup(&a, 1, ALL_F);
	a.cfg.min_period_ns = 200000;
	sw_enable(&a);
	wr(&a, HVX_APIC_REG_LVT_TIMER, 0x20040);
	wr(&a, HVX_APIC_REG_TDCR, 0xb);
	wr_at(&a, HVX_APIC_REG_TMICT, 10000, 0);
	EXPECT_EQ(0, rd_at(&a, HVX_APIC_REG_TMCCT, 150000));
	EXPECT_EQ(HVX_LAPIC_EFF_TIMER,
		  wr_at(&a, HVX_APIC_REG_TDCR, 0xa, 150000) &
		  HVX_LAPIC_EFF_TIMER);
	EXPECT_EQ(200000, hvx_lapic_timer_next(&a));
	EXPECT_EQ(0, save_restore_at(&a, 150000, &s));
	EXPECT_EQ(12800000, s.timer_period_ns);
	EXPECT_TRUE(hvx_lapic_timer_expired(&a, 200000));
	EXPECT_EQ(13000000, hvx_lapic_timer_next(&a));
	EXPECT_EQ(0, save_restore_at(&a, 210000, &s));
}

/*
 * The register images no guest reaches: live registers in a disabled
 * APIC, an unmasked LVT entry while software-disabled, status bits the
 * APIC never sets; and an x2APIC destination left in xAPIC mode.
 */
TEST(restore_refuses_unreachable_registers)
{
	struct hvx_lapic a, b;
	struct hvx_lapic_state good, s;

	/* disabled: the reset image, and nothing else */
	setup(&a, 2, ALL_F);
	sw_enable(&a);
	hvx_lapic_accept(&a, 0x40, false);
	memset(&eff, 0, sizeof(eff));
	ASSERT_EQ(0, hvx_lapic_set_base(&a, HVX_APIC_DEFAULT_BASE, false,
					&eff));
	hvx_lapic_save(&a, 0, &good);
	setup(&b, 2, ALL_F);
	EXPECT_EQ(0, hvx_lapic_restore(&b, &good, 0, &eff));
	s = good;
	s.regs[(HVX_APIC_REG_IRR >> 2) + 2 * 4] = 1;	/* vector 0x40 */
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s = good;
	s.regs[HVX_APIC_REG_SVR >> 2] = 0x1ff;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s = good;
	s.regs[HVX_APIC_REG_LVT_LINT1 >> 2] = HVX_APIC_DM_NMI << HVX_APIC_DM_SHIFT;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s = good;
	s.esr_pending = HVX_APIC_ESR_SEND_ILLEGAL;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));

	/* software-disabled: every LVT entry masked */
	setup(&a, 2, ALL_F);
	hvx_lapic_save(&a, 0, &good);
	EXPECT_EQ(0, hvx_lapic_restore(&b, &good, 0, &eff));
	s = good;
	s.regs[HVX_APIC_REG_LVT_LINT1 >> 2] = HVX_APIC_DM_NMI << HVX_APIC_DM_SHIFT;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.regs[HVX_APIC_REG_SVR >> 2] = 0x1ff;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	/* but for the BSP's LINT0 as reset leaves it, and only that */
	s = good;
	s.regs[HVX_APIC_REG_LVT_LINT0 >> 2] = 0x700;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	s.regs[HVX_APIC_REG_LVT_LINT0 >> 2] = 0x720;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.regs[HVX_APIC_REG_LVT_LINT0 >> 2] = 0x400;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));

	/* delivery status, remote IRR, ESR bits 0-4: never set here */
	s = good;
	s.regs[HVX_APIC_REG_SVR >> 2] = 0x1ff;
	s.regs[HVX_APIC_REG_LVT_LINT0 >> 2] = 0x10000 | BIT(12);
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.regs[HVX_APIC_REG_LVT_LINT0 >> 2] = 0x10000 | BIT(14);
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.regs[HVX_APIC_REG_LVT_LINT0 >> 2] = 0x10000;
	s.regs[HVX_APIC_REG_ESR >> 2] = BIT(0);
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.regs[HVX_APIC_REG_ESR >> 2] = 0;
	s.esr_pending = BIT(4);
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.esr_pending = HVX_APIC_ESR_ILLEGAL_REG;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));

	/* userspace's switch from x2APIC to xAPIC: an 8-bit destination */
	setup(&a, 2, ALL_F);
	sw_enable(&a);
	ASSERT_EQ(0, to_x2apic(&a));
	memset(&eff, 0, sizeof(eff));
	ASSERT_EQ(0, hvx_lapic_wrmsr(&a, HVX_X2APIC_MSR_BASE +
				     (HVX_APIC_REG_ICR >> 4),
				     0x12345678ULL << 32 | 0x4030, 0, &eff));
	memset(&eff, 0, sizeof(eff));
	ASSERT_EQ(0, hvx_lapic_set_base(&a, BASE, true, &eff));
	EXPECT_EQ(0x12000000, hvx_lapic_reg(&a, HVX_APIC_REG_ICR2));
	EXPECT_EQ(0, save_restore_at(&a, 0, &s));
}

/*
 * Timers no write leaves: a count that goes on but never fires, a period
 * the initial count and divide do not give, an expiry off the period's
 * end, a deadline that never fires, a period or deadline for no count.
 */
TEST(restore_refuses_impossible_timers)
{
	struct hvx_lapic a, b;
	struct hvx_lapic_state good, s;

	running_state(&a, &good);	/* started -4000, period 10000 */
	setup(&b, 2, ALL_F);
	b.cfg.min_period_ns = 50000;

	s = good;
	s.flags = 0;			/* counting, 6 us to go */
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.timer_start_ns = -10000;	/* ran down: stopped */
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	s.timer_start_ns = -9999;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s = good;
	s.timer_period_ns = 20000;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.timer_period_ns = 9999;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s = good;
	s.regs[HVX_APIC_REG_TDCR >> 2] = 0;	/* divide 2: 20 us */
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s = good;
	s.timer_next_ns = 5999;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.timer_next_ns = 6000;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));

	/* periodic: between the count's time and this APIC's bound */
	s = good;
	s.regs[HVX_APIC_REG_LVT_TIMER >> 2] = 0x20040;
	s.flags = 0;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.flags = HVX_LAPIC_STATE_TIMER_ARMED;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	EXPECT_EQ(50000, b.timer.period_ns);
	s.timer_period_ns = 20000;
	s.timer_start_ns = -30000;
	s.timer_next_ns = 10000;	/* the second period's end */
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	s.timer_next_ns = 0;		/* off the end of a period */
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.timer_period_ns = 50000;
	s.timer_start_ns = -40000;
	s.timer_next_ns = 10000;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	s.timer_period_ns = 50001;
	s.timer_next_ns = 10001;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));

	/* deadline mode: armed exactly while a deadline is set, no period */
	s = good;
	s.regs[HVX_APIC_REG_LVT_TIMER >> 2] = 0x40040;
	s.regs[HVX_APIC_REG_TMICT >> 2] = 0;
	s.timer_period_ns = 0;
	s.tsc_deadline = 12345;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	s.flags = 0;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.tsc_deadline = 0;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	s.timer_period_ns = 10000;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));

	/* no count: no period, no deadline outside deadline mode */
	s = good;
	s.regs[HVX_APIC_REG_TMICT >> 2] = 0;
	s.flags = 0;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.timer_period_ns = 0;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
	s = good;
	s.tsc_deadline = 12345;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s = good;
	s.regs[HVX_APIC_REG_LVT_TIMER >> 2] = 0x60040;	/* mode 3 */
	s.flags = 0;
	EXPECT_EQ(-EINVAL, hvx_lapic_restore(&b, &s, 0, &eff));
	s.timer_period_ns = 0;
	EXPECT_EQ(0, hvx_lapic_restore(&b, &s, 0, &eff));
}

TEST_HARNESS_MAIN
