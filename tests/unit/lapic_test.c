// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of the local APIC state machine (module/lapic.c), built
 * into this program through tests/unit/kernel_shim.h (and the two kernel
 * headers under tests/unit/linux/ that it needs).
 *
 * The expected values come from the Intel SDM vol. 3A, "Advanced
 * Programmable Interrupt Controller (APIC)", not from the code.
 */
#include <string.h>

#include "kernel_shim.h"
#include "kselftest_harness.h"

#include "../../module/lapic.c"
#include "lapic_util.h"

struct reg_val {
	unsigned int off;
	u32 val;
};

static const struct reg_val reset_vals[] = {
	{ HVX_APIC_REG_ID, 0x03000000 }, { HVX_APIC_REG_VERSION, 0x00050014 },
	{ HVX_APIC_REG_TPR, 0 }, { HVX_APIC_REG_APR, 0 }, { HVX_APIC_REG_PPR, 0 },
	{ HVX_APIC_REG_EOI, 0 }, { HVX_APIC_REG_RRD, 0 }, { HVX_APIC_REG_LDR, 0 },
	{ HVX_APIC_REG_DFR, 0xffffffff }, { HVX_APIC_REG_SVR, 0xff },
	{ 0x100, 0 }, { 0x170, 0 }, { 0x180, 0 }, { 0x1f0, 0 }, { 0x200, 0 },
	{ 0x270, 0 }, { HVX_APIC_REG_ESR, 0 }, { HVX_APIC_REG_ICR, 0 },
	{ HVX_APIC_REG_ICR2, 0 }, { HVX_APIC_REG_LVT_TIMER, 0x10000 },
	{ HVX_APIC_REG_LVT_THERMAL, 0x10000 }, { HVX_APIC_REG_LVT_PMC, 0x10000 },
	{ HVX_APIC_REG_LVT_LINT0, 0x10000 }, { HVX_APIC_REG_LVT_LINT1, 0x10000 },
	{ HVX_APIC_REG_LVT_ERROR, 0x10000 }, { HVX_APIC_REG_TMICT, 0 },
	{ HVX_APIC_REG_TMCCT, 0 }, { HVX_APIC_REG_TDCR, 0 },
};

TEST(reset_values)
{
	struct hvx_lapic l;
	unsigned int i;

	setup(&l, 3, 0);
	for (i = 0; i < ARRAY_SIZE(reset_vals); i++)
		EXPECT_EQ(reset_vals[i].val, rd(&l, reset_vals[i].off))
			TH_LOG("offset %#x", reset_vals[i].off);
	EXPECT_EQ(0xfee00800ULL, l.apic_base);
	EXPECT_EQ(0, esr(&l));
	EXPECT_FALSE(hvx_lapic_sw_enabled(&l));
	EXPECT_EQ(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&l));

	setup(&l, 0, ALL_F);
	EXPECT_EQ(0xfee00900ULL, l.apic_base);
	EXPECT_EQ(0x01060014, rd(&l, HVX_APIC_REG_VERSION));
	EXPECT_EQ(0x10000, rd(&l, HVX_APIC_REG_LVT_CMCI));
	EXPECT_EQ(0, esr(&l));
}

struct mask_case {
	unsigned int off;
	u32 features;
	u32 ones;	/* read back after writing all ones */
	u32 zeros;	/* read back after writing zero */
};

static const struct mask_case masks[] = {
	{ HVX_APIC_REG_ID, 0, 0xff000000, 0 },
	{ HVX_APIC_REG_VERSION, 0, 0x00050014, 0x00050014 },
	{ HVX_APIC_REG_TPR, 0, 0xff, 0 },
	{ HVX_APIC_REG_APR, 0, 0, 0 },
	{ HVX_APIC_REG_PPR, 0, 0, 0 },
	{ HVX_APIC_REG_RRD, 0, 0, 0 },
	{ HVX_APIC_REG_LDR, 0, 0xff000000, 0 },
	{ HVX_APIC_REG_DFR, 0, 0xffffffff, 0x0fffffff },
	{ HVX_APIC_REG_SVR, 0, 0x1ff, 0 },
	{ HVX_APIC_REG_SVR, HVX_LAPIC_F_DIRECTED_EOI, 0x11ff, 0 },
	{ 0x100, 0, 0, 0 }, { 0x150, 0, 0, 0 }, { 0x180, 0, 0, 0 },
	{ 0x1c0, 0, 0, 0 }, { 0x200, 0, 0, 0 }, { 0x260, 0, 0, 0 },
	{ HVX_APIC_REG_LVT_CMCI, HVX_LAPIC_F_CMCI, 0x107ff, 0 },
	{ HVX_APIC_REG_ICR, 0, 0x000ccfff, 0 },
	{ HVX_APIC_REG_ICR2, 0, 0xff000000, 0 },
	{ HVX_APIC_REG_LVT_TIMER, 0, 0x300ff, 0 },
	{ HVX_APIC_REG_LVT_TIMER, HVX_LAPIC_F_TSC_DEADLINE, 0x700ff, 0 },
	{ HVX_APIC_REG_LVT_THERMAL, 0, 0x107ff, 0 },
	{ HVX_APIC_REG_LVT_PMC, 0, 0x107ff, 0 },
	{ HVX_APIC_REG_LVT_LINT0, 0, 0x1a7ff, 0 },
	{ HVX_APIC_REG_LVT_LINT1, 0, 0x1a7ff, 0 },
	{ HVX_APIC_REG_LVT_ERROR, 0, 0x100ff, 0 },
	{ HVX_APIC_REG_TMICT, 0, 0xffffffff, 0 },
	{ HVX_APIC_REG_TMCCT, 0, 0, 0 },
	{ HVX_APIC_REG_TDCR, 0, 0xb, 0 },
};

TEST(register_masks)
{
	struct hvx_lapic l;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(masks); i++) {
		const struct mask_case *c = &masks[i];

		setup(&l, 0, c->features);
		sw_enable(&l);
		/* The SVR case itself starts from the enabled value. */
		wr(&l, c->off, 0xffffffff);
		EXPECT_EQ(c->ones, rd(&l, c->off)) TH_LOG("offset %#x", c->off);
		wr(&l, c->off, 0);
		EXPECT_EQ(c->zeros, rd(&l, c->off)) TH_LOG("offset %#x", c->off);
		/* Read-only and writable registers are no illegal address. */
		EXPECT_EQ(0, esr(&l) & HVX_APIC_ESR_ILLEGAL_REG)
			TH_LOG("offset %#x", c->off);
	}
}

static const struct {
	unsigned int off;
	u32 val, flags;
} effect_cases[] = {
	{ HVX_APIC_REG_ID, 0x01000000, HVX_LAPIC_EFF_ROUTE },
	{ HVX_APIC_REG_LDR, 0x01000000, HVX_LAPIC_EFF_ROUTE },
	{ HVX_APIC_REG_DFR, 0, HVX_LAPIC_EFF_ROUTE },
	{ HVX_APIC_REG_TPR, 0x10, HVX_LAPIC_EFF_EVAL },
	{ HVX_APIC_REG_SVR, 0x1ff, HVX_LAPIC_EFF_EVAL },
	{ HVX_APIC_REG_EOI, 0, HVX_LAPIC_EFF_EOI },	/* nothing in service */
	{ HVX_APIC_REG_ICR, 0x4030, HVX_LAPIC_EFF_IPI },
	{ HVX_APIC_REG_ICR2, 0x01000000, 0 },
	{ HVX_APIC_REG_TMICT, 10, HVX_LAPIC_EFF_TIMER },
	{ HVX_APIC_REG_TDCR, 1, 0 },		/* timer stopped */
	{ HVX_APIC_REG_LVT_TIMER, 0x20020, HVX_LAPIC_EFF_TIMER },
	{ HVX_APIC_REG_LVT_TIMER, 0x10000, 0 },	/* same mode */
	{ HVX_APIC_REG_LVT_LINT0, 0x700, 0 },
	{ HVX_APIC_REG_ESR, 0, 0 },
	{ HVX_APIC_REG_PPR, 0xff, 0 },
};

TEST(write_effects)
{
	struct hvx_lapic l;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(effect_cases); i++) {
		setup(&l, 0, 0);
		EXPECT_EQ(effect_cases[i].flags,
			  wr(&l, effect_cases[i].off, effect_cases[i].val))
			TH_LOG("offset %#x", effect_cases[i].off);
	}
}

TEST(narrow_and_misaligned_access)
{
	struct hvx_lapic l;
	u32 v;

	setup(&l, 0x12, 0);
	sw_enable(&l);
	wr(&l, HVX_APIC_REG_TPR, 0x5a);
	ASSERT_EQ(0, hvx_lapic_read(&l, HVX_APIC_REG_ID + 3, 1, 0, &v, &eff));
	EXPECT_EQ(0x12, v);
	ASSERT_EQ(0, hvx_lapic_read(&l, HVX_APIC_REG_SVR, 2, 0, &v, &eff));
	EXPECT_EQ(0x1ff, v);
	ASSERT_EQ(0, hvx_lapic_read(&l, HVX_APIC_REG_TPR + 4, 4, 0, &v, &eff));
	EXPECT_EQ(0, v);
	/* Only aligned 32-bit writes count. */
	ASSERT_EQ(0, hvx_lapic_write(&l, HVX_APIC_REG_TPR, 2, 0x11, 0, &eff));
	ASSERT_EQ(0, hvx_lapic_write(&l, HVX_APIC_REG_TPR + 4, 4, 0x22, 0, &eff));
	EXPECT_EQ(0x5a, rd(&l, HVX_APIC_REG_TPR));
	EXPECT_EQ(0, esr(&l));
}

static const unsigned int reserved_offs[] = {
	0x000, 0x010, 0x040, 0x050, 0x060, 0x070, 0x290, 0x2a0, 0x2b0,
	0x2c0, 0x2d0, 0x2e0, 0x2f0 /* CMCI, not advertised */, 0x3a0, 0x3b0,
	0x3c0, 0x3d0, 0x3f0 /* SELF IPI: x2APIC only */, 0x400, 0x800, 0xff0,
};

TEST(reserved_offsets_illegal_address)
{
	struct hvx_lapic l;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(reserved_offs); i++) {
		unsigned int off = reserved_offs[i];

		setup(&l, 0, 0);
		EXPECT_EQ(0, rd(&l, off)) TH_LOG("offset %#x", off);
		EXPECT_EQ(HVX_APIC_ESR_ILLEGAL_REG, esr(&l)) TH_LOG("offset %#x", off);
		EXPECT_EQ(0, esr(&l)) TH_LOG("offset %#x", off);
		wr(&l, off, 0x12345678);
		EXPECT_EQ(HVX_APIC_ESR_ILLEGAL_REG, esr(&l)) TH_LOG("offset %#x", off);
	}
	/* EOI is write-only: it reads 0 but exists. */
	setup(&l, 0, 0);
	EXPECT_EQ(0, rd(&l, HVX_APIC_REG_EOI));
	EXPECT_EQ(0, esr(&l));
}

TEST(esr_latch_and_error_lvt)
{
	struct hvx_lapic l;

	setup(&l, 0, 0);
	sw_enable(&l);
	rd(&l, 0x010);
	/* Not visible until software writes the ESR. */
	EXPECT_EQ(0, rd(&l, HVX_APIC_REG_ESR));
	wr(&l, HVX_APIC_REG_ESR, 0xffffffff);
	EXPECT_EQ(HVX_APIC_ESR_ILLEGAL_REG, rd(&l, HVX_APIC_REG_ESR));
	EXPECT_EQ(HVX_APIC_ESR_ILLEGAL_REG, rd(&l, HVX_APIC_REG_ESR));
	wr(&l, HVX_APIC_REG_ESR, 0);
	EXPECT_EQ(0, rd(&l, HVX_APIC_REG_ESR));

	/* Masked error LVT: no interrupt. */
	rd(&l, 0x010);
	EXPECT_EQ(-1, hvx_lapic_highest_pending(&l));
	/*
	 * Unmasked: each error raises its vector, and says so, so that the
	 * caller looks for the interrupt now.  The error interrupt is edge
	 * triggered: the vector's TMR bit, left by a level one, clears.
	 */
	wr(&l, HVX_APIC_REG_LVT_ERROR, 0xfe);
	EXPECT_TRUE(hvx_lapic_accept(&l, 0xfe, true));
	hvx_lapic_ack(&l, 0xfe);
	EXPECT_TRUE(tmr(&l, 0xfe));
	hvx_lapic_eoi(&l, &eff);
	EXPECT_TRUE(hvx_lapic_accept(&l, 5, false));
	EXPECT_EQ(0xfe, hvx_lapic_highest_pending(&l));
	EXPECT_FALSE(tmr(&l, 0xfe));
	EXPECT_FALSE(irr(&l, 5));
	EXPECT_EQ(HVX_APIC_ESR_ILLEGAL_REG | HVX_APIC_ESR_RECV_ILLEGAL, esr(&l));
	hvx_lapic_ack(&l, 0xfe);
	hvx_lapic_eoi(&l, &eff);
	memset(&eff, 0, sizeof(eff));
	rd(&l, 0x010);
	EXPECT_TRUE(eff.flags & HVX_LAPIC_EFF_EVAL);
	EXPECT_EQ(0xfe, hvx_lapic_highest_pending(&l));
	hvx_lapic_ack(&l, 0xfe);
	hvx_lapic_eoi(&l, &eff);
	EXPECT_TRUE(wr(&l, 0x010, 0) & HVX_LAPIC_EFF_EVAL);
	hvx_lapic_ack(&l, 0xfe);
	hvx_lapic_eoi(&l, &eff);
	EXPECT_TRUE(wr(&l, HVX_APIC_REG_ICR, 0x4005) & HVX_LAPIC_EFF_EVAL);
	EXPECT_EQ(0xfe, hvx_lapic_highest_pending(&l));

	/* An illegal error vector is itself an error, signalled no further. */
	setup(&l, 0, 0);
	sw_enable(&l);
	wr(&l, HVX_APIC_REG_LVT_ERROR, 0x03);
	rd(&l, 0x010);
	EXPECT_EQ(HVX_APIC_ESR_ILLEGAL_REG | HVX_APIC_ESR_RECV_ILLEGAL, esr(&l));
	EXPECT_EQ(-1, vec_highest(&l, HVX_APIC_REG_IRR));
}

struct prio_case {
	u8 tpr;
	int isr;	/* vector in service, -1 for none */
	int irr;	/* vector requested, -1 for none */
	u8 ppr;
	u8 apr;
	int pending;	/* hvx_lapic_highest_pending() */
};

static const struct prio_case prios[] = {
	{ 0x00, -1, -1, 0x00, 0x00, -1 },
	{ 0x35, -1, -1, 0x35, 0x35, -1 },
	{ 0x35, 0x20, -1, 0x35, 0x35, -1 },
	{ 0x25, 0x41, -1, 0x40, 0x40, -1 },
	{ 0x4f, 0x41, -1, 0x4f, 0x40, -1 },	/* same class: PPR = TPR */
	{ 0x00, 0x41, 0x42, 0x40, 0x40, -1 },	/* same class as ISR */
	{ 0x00, 0x41, 0x51, 0x40, 0x50, 0x51 },
	{ 0x50, -1, 0x51, 0x50, 0x50, -1 },	/* TPR class blocks */
	{ 0x4f, -1, 0x51, 0x4f, 0x50, 0x51 },
	{ 0x30, -1, 0x71, 0x30, 0x70, 0x71 },
	{ 0x73, 0x21, 0x21, 0x73, 0x73, -1 },
	{ 0x10, 0x30, 0x20, 0x30, 0x30, -1 },
	{ 0xff, -1, 0xfe, 0xff, 0xff, -1 },
};

TEST(ppr_apr_pending)
{
	struct hvx_lapic l;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(prios); i++) {
		const struct prio_case *c = &prios[i];

		setup(&l, 0, 0);
		sw_enable(&l);
		if (c->isr >= 0) {
			hvx_lapic_accept(&l, c->isr, false);
			hvx_lapic_ack(&l, c->isr);
		}
		if (c->irr >= 0)
			hvx_lapic_accept(&l, c->irr, false);
		wr(&l, HVX_APIC_REG_TPR, c->tpr);
		EXPECT_EQ(c->ppr, rd(&l, HVX_APIC_REG_PPR)) TH_LOG("case %u", i);
		EXPECT_EQ(c->apr, rd(&l, HVX_APIC_REG_APR)) TH_LOG("case %u", i);
		EXPECT_EQ(c->pending, hvx_lapic_highest_pending(&l))
			TH_LOG("case %u", i);
	}
}

/*
 * The PPR kept in the page (which the EOI compares with, and which the
 * processor reads for the guest with APIC virtualization) is the one the
 * SDM defines after any sequence of TPR writes, accepts, acknowledgements
 * (of the highest pending vector, and of any requested one) and EOIs;
 * hvx_lapic_ack() derives it from the one before without a scan.
 */
TEST(stored_ppr_follows)
{
	struct hvx_lapic l;
	u32 seed = 12345;
	unsigned int i;
	int v;

	setup(&l, 0, 0);
	sw_enable(&l);
	for (i = 0; i < 20000; i++) {
		seed = seed * 1103515245 + 12345;
		switch ((seed >> 16) % 5) {
		case 0:
			wr(&l, HVX_APIC_REG_TPR, (seed >> 8) & 0xff);
			break;
		case 1:
			hvx_lapic_accept(&l, 16 + (seed >> 4) % 240, false);
			break;
		case 2:
			v = hvx_lapic_highest_pending(&l);
			if (v >= 0)
				hvx_lapic_ack(&l, v);
			break;
		case 3:
			/* the first requested vector from a random one up */
			for (v = 16 + (seed >> 4) % 240; v < 256; v++)
				if (hvx_lapic_vec_test(&l, HVX_APIC_REG_IRR, v))
					break;
			if (v < 256)
				hvx_lapic_ack(&l, v);
			break;
		default:
			wr(&l, HVX_APIC_REG_EOI, 0);
			break;
		}
		ASSERT_EQ(hvx_lapic_ppr(&l), hvx_lapic_reg(&l, HVX_APIC_REG_PPR))
			TH_LOG("step %u", i);
	}
}

TEST(accept_ack_eoi_order)
{
	struct hvx_lapic l;

	setup(&l, 0, 0);
	sw_enable(&l);
	EXPECT_TRUE(hvx_lapic_accept(&l, 0x31, false));
	EXPECT_TRUE(hvx_lapic_accept(&l, 0x52, false));
	EXPECT_TRUE(hvx_lapic_accept(&l, 0x45, false));
	EXPECT_EQ(0x52, hvx_lapic_highest_pending(&l));
	hvx_lapic_ack(&l, 0x52);
	EXPECT_FALSE(irr(&l, 0x52));
	EXPECT_EQ(0x50, rd(&l, HVX_APIC_REG_PPR));
	/* 0x45 waits behind the higher class in service ... */
	EXPECT_EQ(-1, hvx_lapic_highest_pending(&l));
	/* ... but a higher class nests. */
	hvx_lapic_accept(&l, 0x61, false);
	EXPECT_EQ(0x61, hvx_lapic_highest_pending(&l));
	hvx_lapic_ack(&l, 0x61);
	/* retiring 0x61 lets nothing through: no need to look again */
	EXPECT_EQ(HVX_LAPIC_EFF_EOI, wr(&l, HVX_APIC_REG_EOI, 0));
	EXPECT_EQ(0x61, eff.eoi_vector);
	EXPECT_EQ(-1, hvx_lapic_highest_pending(&l));
	/* retiring 0x52 lets 0x45 through */
	EXPECT_EQ(HVX_LAPIC_EFF_EOI | HVX_LAPIC_EFF_EVAL,
		  wr(&l, HVX_APIC_REG_EOI, 0));
	EXPECT_EQ(0x52, eff.eoi_vector);
	EXPECT_EQ(0x45, hvx_lapic_highest_pending(&l));
	hvx_lapic_ack(&l, 0x45);
	EXPECT_EQ(-1, hvx_lapic_highest_pending(&l));
	wr(&l, HVX_APIC_REG_EOI, 0);
	EXPECT_EQ(0x45, eff.eoi_vector);
	EXPECT_EQ(0x31, hvx_lapic_highest_pending(&l));
	hvx_lapic_ack(&l, 0x31);
	wr(&l, HVX_APIC_REG_EOI, 0);
	EXPECT_EQ(0x31, eff.eoi_vector);
	/* EOI with nothing in service retires nothing. */
	EXPECT_EQ(-1, hvx_lapic_eoi(&l, &eff));
	EXPECT_EQ(-1, eff.eoi_vector);
	EXPECT_EQ(0, rd(&l, HVX_APIC_REG_PPR));
	/* A vector already requested coalesces. */
	hvx_lapic_accept(&l, 0x80, false);
	EXPECT_TRUE(hvx_lapic_accept(&l, 0x80, false));
	hvx_lapic_ack(&l, 0x80);
	EXPECT_EQ(-1, hvx_lapic_highest_pending(&l));
}

TEST(tmr_level_eoi)
{
	struct hvx_lapic l;

	setup(&l, 0, HVX_LAPIC_F_DIRECTED_EOI);
	sw_enable(&l);
	hvx_lapic_accept(&l, 0x60, true);
	EXPECT_TRUE(tmr(&l, 0x60));
	EXPECT_EQ(BIT(0), rd(&l, HVX_APIC_REG_TMR + 0x30));
	hvx_lapic_ack(&l, 0x60);
	wr(&l, HVX_APIC_REG_EOI, 0);
	EXPECT_EQ(0x60, eff.eoi_vector);
	EXPECT_TRUE(eff.eoi_level);
	EXPECT_FALSE(eff.eoi_suppress);

	/* Edge acceptance clears the TMR bit again. */
	hvx_lapic_accept(&l, 0x60, false);
	EXPECT_FALSE(tmr(&l, 0x60));
	hvx_lapic_ack(&l, 0x60);
	wr(&l, HVX_APIC_REG_EOI, 0);
	EXPECT_FALSE(eff.eoi_level);

	/* Directed EOI: the guest EOIs the I/O APIC itself. */
	wr(&l, HVX_APIC_REG_SVR, 0x11ff);
	hvx_lapic_accept(&l, 0x70, true);
	hvx_lapic_ack(&l, 0x70);
	wr(&l, HVX_APIC_REG_EOI, 0);
	EXPECT_TRUE(eff.eoi_level);
	EXPECT_TRUE(eff.eoi_suppress);
}

static const unsigned int lvt_offs[] = {
	HVX_APIC_REG_LVT_CMCI, HVX_APIC_REG_LVT_TIMER, HVX_APIC_REG_LVT_THERMAL,
	HVX_APIC_REG_LVT_PMC, HVX_APIC_REG_LVT_LINT0, HVX_APIC_REG_LVT_LINT1,
	HVX_APIC_REG_LVT_ERROR,
};

TEST(svr_software_disable)
{
	struct hvx_lapic l;
	struct hvx_lapic_irq nmi = { .delivery_mode = HVX_APIC_DM_NMI };
	unsigned int i;

	setup(&l, 0, HVX_LAPIC_F_CMCI);
	sw_enable(&l);
	for (i = 0; i < ARRAY_SIZE(lvt_offs); i++)
		wr(&l, lvt_offs[i], 0x40);
	hvx_lapic_accept(&l, 0x40, false);
	wr(&l, HVX_APIC_REG_SVR, 0xff);
	for (i = 0; i < ARRAY_SIZE(lvt_offs); i++) {
		EXPECT_EQ(0x10040, rd(&l, lvt_offs[i])) TH_LOG("%#x", lvt_offs[i]);
		/* Unmasking is ignored while disabled. */
		wr(&l, lvt_offs[i], 0x41);
		EXPECT_EQ(0x10041, rd(&l, lvt_offs[i])) TH_LOG("%#x", lvt_offs[i]);
	}
	/* Fixed interrupts are refused; what was requested stays. */
	EXPECT_FALSE(hvx_lapic_accept(&l, 0x50, false));
	EXPECT_FALSE(irr(&l, 0x50));
	EXPECT_EQ(0x40, hvx_lapic_highest_pending(&l));
	/* NMI, INIT, SMI and SIPI still arrive. */
	EXPECT_EQ(HVX_LAPIC_NMI, hvx_lapic_deliver(&l, &nmi));
	/* Re-enabling leaves the entries masked until software unmasks. */
	sw_enable(&l);
	EXPECT_EQ(0x10041, rd(&l, HVX_APIC_REG_LVT_LINT0));
	wr(&l, HVX_APIC_REG_LVT_LINT0, 0x41);
	EXPECT_EQ(0x41, rd(&l, HVX_APIC_REG_LVT_LINT0));
}

struct icr_case {
	u32 low, high;
	bool sent;
	u8 dm, shorthand, vector;
	bool logical, assert, level;
	u32 dest;
};

static const struct icr_case icrs[] = {
	{ 0x00000030, 0x05000000, true, HVX_APIC_DM_FIXED, 0, 0x30, 0, 0, 0, 5 },
	{ 0x00004130, 0x0f000000, true, HVX_APIC_DM_LOWEST, 0, 0x30, 0, 1, 0, 0xf },
	{ 0x00000a00, 0x01000000, true, HVX_APIC_DM_SMI, 0, 0, 1, 0, 0, 1 },
	{ 0x00004400, 0xff000000, true, HVX_APIC_DM_NMI, 0, 0, 0, 1, 0, 0xff },
	{ 0x0000c500, 0x02000000, true, HVX_APIC_DM_INIT, 0, 0, 0, 1, 1, 2 },
	/* INIT level de-assert: reported, ignored by the receivers. */
	{ 0x00088500, 0, true, HVX_APIC_DM_INIT, 2, 0, 0, 0, 1, 0 },
	{ 0x000c4698, 0, true, HVX_APIC_DM_SIPI, 3, 0x98, 0, 1, 0, 0 },
	{ 0x00044031, 0, true, HVX_APIC_DM_FIXED, 1, 0x31, 0, 1, 0, 0 },
	{ 0x00080040, 0, true, HVX_APIC_DM_FIXED, 2, 0x40, 0, 0, 0, 0 },
	{ 0x000c0041, 0, true, HVX_APIC_DM_FIXED, 3, 0x41, 0, 0, 0, 0 },
	/* Reserved delivery modes and illegal vectors send nothing. */
	{ 0x00000330, 0x01000000, false },
	{ 0x00000730, 0x01000000, false },
	{ 0x0000000f, 0x01000000, false },
	{ 0x0000010f, 0x01000000, false },
};

TEST(icr_decode_xapic)
{
	struct hvx_lapic l;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(icrs); i++) {
		const struct icr_case *c = &icrs[i];
		u32 flags;

		setup(&l, 0, 0);
		sw_enable(&l);
		wr(&l, HVX_APIC_REG_ICR2, c->high);
		flags = wr(&l, HVX_APIC_REG_ICR, c->low | BIT(12));
		/* Delivery status always reads idle. */
		EXPECT_EQ(c->low, rd(&l, HVX_APIC_REG_ICR)) TH_LOG("case %u", i);
		EXPECT_EQ(c->sent, !!(flags & HVX_LAPIC_EFF_IPI)) TH_LOG("case %u", i);
		if (!c->sent) {
			u32 e = (c->low & 0xff) < 16 ? HVX_APIC_ESR_SEND_ILLEGAL : 0;

			EXPECT_EQ(e, esr(&l)) TH_LOG("case %u", i);
			continue;
		}
		EXPECT_EQ(c->dm, eff.ipi.delivery_mode) TH_LOG("case %u", i);
		EXPECT_EQ(c->shorthand, eff.ipi.shorthand) TH_LOG("case %u", i);
		EXPECT_EQ(c->vector, eff.ipi.vector) TH_LOG("case %u", i);
		EXPECT_EQ(c->logical, eff.ipi.logical) TH_LOG("case %u", i);
		EXPECT_EQ(c->assert, eff.ipi.assert) TH_LOG("case %u", i);
		EXPECT_EQ(c->level, eff.ipi.level) TH_LOG("case %u", i);
		EXPECT_EQ(c->dest, eff.ipi.dest) TH_LOG("case %u", i);
		EXPECT_FALSE(eff.ipi.x2apic_fmt);
	}
}

TEST(icr_x2apic)
{
	struct hvx_lapic l;
	u64 v;

	setup(&l, 0, ALL_F);
	ASSERT_EQ(0, to_x2apic(&l));
	memset(&eff, 0, sizeof(eff));
	ASSERT_EQ(0, hvx_lapic_wrmsr(&l, 0x830, 0x0001234500000831ULL, 0, &eff));
	EXPECT_TRUE(eff.flags & HVX_LAPIC_EFF_IPI);
	EXPECT_EQ(0x00012345, eff.ipi.dest);
	EXPECT_TRUE(eff.ipi.x2apic_fmt);
	EXPECT_TRUE(eff.ipi.logical);
	EXPECT_EQ(0x31, eff.ipi.vector);
	ASSERT_EQ(0, hvx_lapic_rdmsr(&l, 0x830, 0, &v));
	EXPECT_EQ(0x0001234500000831ULL, v);
	/* No ICR2; bit 12, xAPIC's delivery status, is ignored, as KVM does. */
	EXPECT_EQ(-EINVAL, hvx_lapic_rdmsr(&l, 0x831, 0, &v));
	EXPECT_EQ(-EINVAL, hvx_lapic_wrmsr(&l, 0x831, 0, 0, &eff));
	memset(&eff, 0, sizeof(eff));
	EXPECT_EQ(0, hvx_lapic_wrmsr(&l, 0x830, 0x0000000500001030ULL, 0,
				     &eff));
	EXPECT_TRUE(eff.flags & HVX_LAPIC_EFF_IPI);
	EXPECT_EQ(0x30, eff.ipi.vector);
	EXPECT_EQ(5, eff.ipi.dest);
	ASSERT_EQ(0, hvx_lapic_rdmsr(&l, 0x830, 0, &v));
	EXPECT_EQ(0x0000000500000030ULL, v);
	EXPECT_EQ(-EINVAL, hvx_lapic_wrmsr(&l, 0x830, 0x100030, 0, &eff));
}

struct msr_case {
	u32 msr;
	int rd_rc;
	u64 wval;
	int wr_rc;
	bool rb;	/* reads back as written */
};

static const struct msr_case msrs[] = {
	{ 0x800, -EINVAL, 0, -EINVAL },
	{ 0x801, -EINVAL, 0, -EINVAL },
	{ 0x802, 0, 0x23, -EINVAL },		/* ID: read-only */
	{ 0x803, 0, 0, -EINVAL },
	{ 0x808, 0, 0x20, 0, 1 },
	{ 0x808, 0, 0x100, -EINVAL },		/* reserved bits */
	{ 0x808, 0, 1ULL << 32, -EINVAL },
	{ 0x809, -EINVAL, 0, -EINVAL },		/* no APR */
	{ 0x80a, 0, 0, -EINVAL },
	{ 0x80b, -EINVAL, 0, 0 },		/* EOI: write-only, 0 */
	{ 0x80b, -EINVAL, 1, -EINVAL },
	{ 0x80c, -EINVAL, 0, -EINVAL },		/* no RRD */
	{ 0x80d, 0, 0, -EINVAL },		/* LDR: read-only */
	{ 0x80e, -EINVAL, 0, -EINVAL },		/* no DFR */
	{ 0x80f, 0, 0x11ff, 0, 1 },
	{ 0x80f, 0, 0x21ff, -EINVAL },
	{ 0x810, 0, 0, -EINVAL },
	{ 0x81f, 0, 0, -EINVAL },
	{ 0x827, 0, 0, -EINVAL },
	{ 0x828, 0, 0, 0 },			/* ESR: only 0 */
	{ 0x828, 0, 1, -EINVAL },
	{ 0x82f, 0, 0x107ff, 0, 1 },
	{ 0x82f, 0, 0x20000, -EINVAL },
	{ 0x830, 0, 0xffffffff000ccfffULL, 0, 1 },
	{ 0x831, -EINVAL, 0, -EINVAL },		/* no ICR2 */
	{ 0x832, 0, 0x400ff, 0, 1 },
	{ 0x832, 0, 0x80000, -EINVAL },
	{ 0x835, 0, 0x1a7ff, 0, 1 },
	{ 0x835, 0, 0x5000, 0 },		/* read-only status bits */
	{ 0x835, 0, 0x20000, -EINVAL },
	{ 0x837, 0, 0x100ff, 0, 1 },
	{ 0x837, 0, 0x700, -EINVAL },
	{ 0x838, 0, 0xffffffff, 0, 1 },
	{ 0x839, 0, 0, -EINVAL },
	{ 0x83a, -EINVAL, 0, -EINVAL },
	{ 0x83e, 0, 0xb, 0, 1 },
	{ 0x83e, 0, 0x4, -EINVAL },
	{ 0x83f, -EINVAL, 0x30, 0 },		/* SELF IPI: write-only */
	{ 0x83f, -EINVAL, 0x130, -EINVAL },
	{ 0x840, -EINVAL, 0, -EINVAL },
	{ 0x8ff, -EINVAL, 0, -EINVAL },
};

TEST(x2apic_msr_rules)
{
	struct hvx_lapic l;
	unsigned int i;
	u64 v;

	for (i = 0; i < ARRAY_SIZE(msrs); i++) {
		const struct msr_case *c = &msrs[i];

		setup(&l, 0x23, ALL_F);
		ASSERT_EQ(0, to_x2apic(&l));
		ASSERT_EQ(0, hvx_lapic_wrmsr(&l, 0x80f, 0x1ff, 0, &eff));
		EXPECT_EQ(c->rd_rc, hvx_lapic_rdmsr(&l, c->msr, 0, &v))
			TH_LOG("msr %#x", c->msr);
		EXPECT_EQ(c->wr_rc, hvx_lapic_wrmsr(&l, c->msr, c->wval, 0, &eff))
			TH_LOG("msr %#x value %#llx", c->msr,
			       (unsigned long long)c->wval);
		if (!c->rb)
			continue;
		ASSERT_EQ(0, hvx_lapic_rdmsr(&l, c->msr, 0, &v));
		EXPECT_EQ(c->wval, v) TH_LOG("msr %#x", c->msr);
	}
}

TEST(x2apic_mode)
{
	struct hvx_lapic l;
	static const struct {
		u32 id, ldr;
	} ldrs[] = {
		{ 0, 0x00000001 }, { 0x1f, 0x00018000 }, { 0x23, 0x00020008 },
		{ 0x12345, 0x12340020 },
	};
	unsigned int i;
	u64 v;

	for (i = 0; i < ARRAY_SIZE(ldrs); i++) {
		setup(&l, ldrs[i].id, ALL_F);
		ASSERT_EQ(0, to_x2apic(&l));
		EXPECT_TRUE(eff.flags & HVX_LAPIC_EFF_ROUTE);
		ASSERT_EQ(0, hvx_lapic_rdmsr(&l, 0x80d, 0, &v));
		EXPECT_EQ(ldrs[i].ldr, v);
		ASSERT_EQ(0, hvx_lapic_rdmsr(&l, 0x802, 0, &v));
		EXPECT_EQ(ldrs[i].id, v);
	}
	/* No MMIO in x2APIC mode, no MSRs in xAPIC mode. */
	EXPECT_EQ(-ENXIO, hvx_lapic_read(&l, HVX_APIC_REG_TPR, 4, 0, (u32 *)&v, &eff));
	EXPECT_EQ(-ENXIO, hvx_lapic_write(&l, HVX_APIC_REG_TPR, 4, 0, 0, &eff));
	setup(&l, 1, ALL_F);
	EXPECT_EQ(-EINVAL, hvx_lapic_rdmsr(&l, 0x808, 0, &v));
	EXPECT_EQ(-EINVAL, hvx_lapic_wrmsr(&l, 0x808, 0, 0, &eff));

	/* SELF IPI: an edge interrupt to this APIC, vectors 0-15 refused. */
	ASSERT_EQ(0, to_x2apic(&l));
	ASSERT_EQ(0, hvx_lapic_wrmsr(&l, 0x80f, 0x1ff, 0, &eff));
	memset(&eff, 0, sizeof(eff));
	ASSERT_EQ(0, hvx_lapic_wrmsr(&l, 0x83f, 0x45, 0, &eff));
	EXPECT_TRUE(eff.flags & HVX_LAPIC_EFF_EVAL);
	EXPECT_EQ(0x45, hvx_lapic_highest_pending(&l));
	ASSERT_EQ(0, hvx_lapic_wrmsr(&l, 0x83f, 0x05, 0, &eff));
	ASSERT_EQ(0, hvx_lapic_wrmsr(&l, 0x828, 0, 0, &eff));
	ASSERT_EQ(0, hvx_lapic_rdmsr(&l, 0x828, 0, &v));
	EXPECT_EQ(HVX_APIC_ESR_SEND_ILLEGAL, v);
	/* x2APIC EOI, and the current count through the MSR. */
	hvx_lapic_ack(&l, 0x45);
	memset(&eff, 0, sizeof(eff));
	ASSERT_EQ(0, hvx_lapic_wrmsr(&l, 0x80b, 0, 0, &eff));
	EXPECT_EQ(0x45, eff.eoi_vector);
	ASSERT_EQ(0, hvx_lapic_wrmsr(&l, 0x83e, 0xb, 0, &eff));
	ASSERT_EQ(0, hvx_lapic_wrmsr(&l, 0x838, 100, 0, &eff));
	ASSERT_EQ(0, hvx_lapic_rdmsr(&l, 0x839, 300, &v));
	EXPECT_EQ(70, v);
}

struct base_case {
	u64 from, to;
	u32 features;
	bool host;
	int rc;
};

#define DIS	HVX_APIC_DEFAULT_BASE
#define X2F	HVX_LAPIC_F_X2APIC

static const struct base_case bases[] = {
	{ BASE, BASE_X2, X2F, 0, 0 },
	{ BASE, BASE_X2, 0, 0, -EINVAL },	/* x2APIC not advertised */
	{ BASE_X2, BASE, X2F, 0, -EINVAL },	/* x2APIC -> xAPIC */
	{ BASE_X2, BASE, X2F, 1, 0 },
	{ BASE_X2, DIS, X2F, 0, 0 },
	{ DIS, BASE_X2, X2F, 0, -EINVAL },	/* disabled -> x2APIC */
	{ DIS, BASE_X2, X2F, 1, 0 },
	{ DIS, BASE, X2F, 0, 0 },
	{ BASE, DIS, X2F, 0, 0 },
	{ BASE, DIS | HVX_APIC_BASE_EXTD, X2F, 0, -EINVAL },
	{ BASE, DIS | HVX_APIC_BASE_EXTD, X2F, 1, -EINVAL },
	{ BASE, BASE | BIT(0), X2F, 0, -EINVAL },
	{ BASE, BASE | BIT(9), X2F, 1, -EINVAL },
	{ BASE, BASE | HVX_APIC_BASE_BSP, X2F, 0, 0 },
	{ BASE, BASE | BIT_ULL(38), X2F, 0, 0 },
	{ BASE, BASE | BIT_ULL(39), X2F, 0, -EINVAL },	/* MAXPHYADDR 39 */
	{ BASE, 0xfed00000 | HVX_APIC_BASE_EN, X2F, 0, 0 },
	{ BASE_X2, BASE_X2, X2F, 0, 0 },
};

TEST(apic_base_transitions)
{
	struct hvx_lapic l;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bases); i++) {
		const struct base_case *c = &bases[i];

		setup(&l, 1, c->features | X2F);
		ASSERT_EQ(0, hvx_lapic_set_base(&l, c->from, true, &eff));
		l.cfg.features = c->features;
		EXPECT_EQ(c->rc, hvx_lapic_set_base(&l, c->to, c->host, &eff))
			TH_LOG("case %u", i);
		EXPECT_EQ(c->rc ? c->from : c->to, l.apic_base) TH_LOG("case %u", i);
	}
	/* A relocation asks the caller to move the page. */
	setup(&l, 1, 0);
	memset(&eff, 0, sizeof(eff));
	hvx_lapic_set_base(&l, 0xfed00000 | HVX_APIC_BASE_EN, false, &eff);
	EXPECT_TRUE(eff.flags & HVX_LAPIC_EFF_ROUTE);
}

/* Move an APIC away from its reset state: what a reset must undo. */
static void dirty(struct hvx_lapic *l)
{
	sw_enable(l);
	wr(l, HVX_APIC_REG_TPR, 0x30);
	wr(l, HVX_APIC_REG_LVT_LINT0, 0x700);
	wr(l, HVX_APIC_REG_LVT_TIMER, 0x20);
	wr(l, HVX_APIC_REG_TMICT, 1000);
	hvx_lapic_accept(l, 0x40, true);
	rd(l, 0x010);
}

TEST(apic_base_disable_resets)
{
	struct hvx_lapic l;
	unsigned int i;
	u64 v;

	setup(&l, 3, X2F);
	dirty(&l);
	wr(&l, HVX_APIC_REG_LDR, 0x01000000);
	wr(&l, HVX_APIC_REG_DFR, 0);
	ASSERT_EQ(0, to_x2apic(&l));
	ASSERT_EQ(0, hvx_lapic_wrmsr(&l, 0x808, 0x50, 0, &eff));
	memset(&eff, 0, sizeof(eff));
	ASSERT_EQ(0, hvx_lapic_set_base(&l, DIS, false, &eff));
	EXPECT_TRUE(eff.flags & HVX_LAPIC_EFF_TIMER);
	EXPECT_EQ(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&l));
	/* Disabled: no page, no MSRs, no interrupts. */
	EXPECT_EQ(-ENXIO, hvx_lapic_read(&l, HVX_APIC_REG_TPR, 4, 0, (u32 *)&v, &eff));
	EXPECT_EQ(-EINVAL, hvx_lapic_rdmsr(&l, 0x808, 0, &v));
	EXPECT_FALSE(hvx_lapic_accept(&l, 0x50, false));
	ASSERT_EQ(0, hvx_lapic_set_base(&l, BASE, false, &eff));
	for (i = 0; i < ARRAY_SIZE(reset_vals); i++)
		EXPECT_EQ(reset_vals[i].val, rd(&l, reset_vals[i].off))
			TH_LOG("offset %#x", reset_vals[i].off);
	EXPECT_EQ(-1, vec_highest(&l, HVX_APIC_REG_IRR));
	EXPECT_EQ(0, esr(&l));
}

TEST(init_signal)
{
	struct hvx_lapic l;
	u64 v;

	setup(&l, 3, ALL_F);
	dirty(&l);
	wr(&l, HVX_APIC_REG_ID, 0x0a000000);
	hvx_lapic_init_signal(&l);
	EXPECT_EQ(0x0a000000, rd(&l, HVX_APIC_REG_ID));
	EXPECT_EQ(BASE, l.apic_base);
	EXPECT_EQ(0, rd(&l, HVX_APIC_REG_TPR));
	EXPECT_EQ(0xff, rd(&l, HVX_APIC_REG_SVR));
	EXPECT_EQ(0x10000, rd(&l, HVX_APIC_REG_LVT_LINT0));
	EXPECT_EQ(0, rd(&l, HVX_APIC_REG_TMICT));
	EXPECT_EQ(0xffffffff, rd(&l, HVX_APIC_REG_DFR));
	EXPECT_EQ(-1, vec_highest(&l, HVX_APIC_REG_IRR));
	EXPECT_EQ(-1, vec_highest(&l, HVX_APIC_REG_TMR));
	EXPECT_EQ(HVX_LAPIC_TIMER_NONE, hvx_lapic_timer_next(&l));
	EXPECT_EQ(0, esr(&l));

	/* INIT keeps x2APIC mode and its ID and LDR. */
	setup(&l, 0x23, ALL_F);
	ASSERT_EQ(0, to_x2apic(&l));
	hvx_lapic_init_signal(&l);
	EXPECT_TRUE(hvx_lapic_mode_x2apic(&l));
	ASSERT_EQ(0, hvx_lapic_rdmsr(&l, 0x802, 0, &v));
	EXPECT_EQ(0x23, v);
	ASSERT_EQ(0, hvx_lapic_rdmsr(&l, 0x80d, 0, &v));
	EXPECT_EQ(0x00020008, v);
}

struct lvt_case {
	enum hvx_lapic_lvt lvt;
	u32 entry;
	enum hvx_lapic_delivery res;
	int vector;		/* in the IRR afterwards, -1 for none */
	bool level;
};

static const struct lvt_case lvts[] = {
	{ HVX_LVT_LINT0, 0x00700, HVX_LAPIC_EXTINT, -1, 0 },
	{ HVX_LVT_LINT1, 0x00400, HVX_LAPIC_NMI, -1, 0 },
	{ HVX_LVT_LINT0, 0x10700, HVX_LAPIC_DROPPED, -1, 0 },
	{ HVX_LVT_LINT0, 0x08031, HVX_LAPIC_ACCEPTED, 0x31, 1 },
	{ HVX_LVT_LINT1, 0x00032, HVX_LAPIC_ACCEPTED, 0x32, 0 },
	{ HVX_LVT_LINT0, 0x00140, HVX_LAPIC_DROPPED, -1, 0 },	/* lowest */
	{ HVX_LVT_LINT0, 0x00640, HVX_LAPIC_DROPPED, -1, 0 },	/* SIPI */
	{ HVX_LVT_LINT0, 0x00200, HVX_LAPIC_SMI, -1, 0 },
	{ HVX_LVT_LINT0, 0x00500, HVX_LAPIC_INIT, -1, 0 },
	{ HVX_LVT_THERMAL, 0x00033, HVX_LAPIC_ACCEPTED, 0x33, 0 },
	{ HVX_LVT_PMC, 0x00400, HVX_LAPIC_NMI, -1, 0 },
	{ HVX_LVT_PMC, 0x00005, HVX_LAPIC_DROPPED, -1, 0 },	/* vector < 16 */
	{ HVX_LVT_CMCI, 0x00034, HVX_LAPIC_ACCEPTED, 0x34, 0 },
	{ HVX_LVT_ERROR, 0x00035, HVX_LAPIC_ACCEPTED, 0x35, 0 },
	{ HVX_LVT_NR, 0x00036, HVX_LAPIC_DROPPED, -1, 0 },
};

TEST(lvt_deliver)
{
	struct hvx_lapic l;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lvts); i++) {
		const struct lvt_case *c = &lvts[i];

		setup(&l, 0, HVX_LAPIC_F_CMCI);
		sw_enable(&l);
		if (c->lvt < HVX_LVT_NR)
			wr(&l, lapic_lvt_off[c->lvt], c->entry);
		EXPECT_EQ(c->res, hvx_lapic_lvt_deliver(&l, c->lvt)) TH_LOG("case %u", i);
		EXPECT_EQ(c->vector, vec_highest(&l, HVX_APIC_REG_IRR)) TH_LOG("case %u", i);
		if (c->vector >= 0)
			EXPECT_EQ(c->level, tmr(&l, c->vector)) TH_LOG("case %u", i);
	}
	/* No CMCI entry unless advertised. */
	setup(&l, 0, 0);
	sw_enable(&l);
	l.regs[HVX_APIC_REG_LVT_CMCI >> 2] = 0x34;
	EXPECT_EQ(HVX_LAPIC_DROPPED, hvx_lapic_lvt_deliver(&l, HVX_LVT_CMCI));
	/* Globally disabled: LINT0 is INTR, LINT1 is NMI. */
	hvx_lapic_set_base(&l, DIS, false, &eff);
	EXPECT_EQ(HVX_LAPIC_EXTINT, hvx_lapic_lvt_deliver(&l, HVX_LVT_LINT0));
	EXPECT_EQ(HVX_LAPIC_NMI, hvx_lapic_lvt_deliver(&l, HVX_LVT_LINT1));
	EXPECT_EQ(HVX_LAPIC_DROPPED, hvx_lapic_lvt_deliver(&l, HVX_LVT_THERMAL));
}

/*
 * The 8259's INTR (HVX_INTERRUPT) goes through LINT0: the BSP's passes it
 * from reset and INIT (virtual wire, as KVM's), an AP's not until its
 * guest unmasks it in ExtINT mode; a globally disabled APIC passes it.
 */
TEST(extint_through_lint0)
{
	struct hvx_lapic l;

	setup(&l, 0, 0);
	EXPECT_EQ(0x700, rd(&l, HVX_APIC_REG_LVT_LINT0));
	EXPECT_TRUE(hvx_lapic_accepts_extint(&l));
	sw_enable(&l);
	wr(&l, HVX_APIC_REG_LVT_LINT0, 0x10700);
	EXPECT_FALSE(hvx_lapic_accepts_extint(&l));
	wr(&l, HVX_APIC_REG_LVT_LINT0, 0x400);	/* NMI */
	EXPECT_FALSE(hvx_lapic_accepts_extint(&l));
	wr(&l, HVX_APIC_REG_LVT_LINT0, 0x031);	/* fixed */
	EXPECT_FALSE(hvx_lapic_accepts_extint(&l));
	wr(&l, HVX_APIC_REG_LVT_LINT0, 0x8700);	/* the trigger is ignored */
	EXPECT_TRUE(hvx_lapic_accepts_extint(&l));
	/* software disable masks every entry */
	wr(&l, HVX_APIC_REG_SVR, 0xff);
	EXPECT_FALSE(hvx_lapic_accepts_extint(&l));
	hvx_lapic_init_signal(&l);
	EXPECT_EQ(0x700, rd(&l, HVX_APIC_REG_LVT_LINT0));
	EXPECT_TRUE(hvx_lapic_accepts_extint(&l));

	setup(&l, 3, 0);
	EXPECT_FALSE(hvx_lapic_accepts_extint(&l));
	hvx_lapic_init_signal(&l);
	EXPECT_FALSE(hvx_lapic_accepts_extint(&l));
	sw_enable(&l);
	wr(&l, HVX_APIC_REG_LVT_LINT0, 0x700);
	EXPECT_TRUE(hvx_lapic_accepts_extint(&l));
	wr(&l, HVX_APIC_REG_LVT_LINT0, 0x10700);
	ASSERT_EQ(0, hvx_lapic_set_base(&l, DIS, false, &eff));
	EXPECT_TRUE(hvx_lapic_accepts_extint(&l));
}

struct deliver_case {
	u8 dm, vector;
	bool assert, level;
	enum hvx_lapic_delivery res;
};

static const struct deliver_case delivers[] = {
	{ HVX_APIC_DM_FIXED, 0x40, 1, 0, HVX_LAPIC_ACCEPTED },
	{ HVX_APIC_DM_FIXED, 0x05, 1, 0, HVX_LAPIC_DROPPED },
	{ HVX_APIC_DM_LOWEST, 0x41, 1, 1, HVX_LAPIC_ACCEPTED },
	{ HVX_APIC_DM_SMI, 0, 1, 0, HVX_LAPIC_SMI },
	{ 3, 0x40, 1, 0, HVX_LAPIC_DROPPED },
	{ HVX_APIC_DM_NMI, 0, 1, 0, HVX_LAPIC_NMI },
	{ HVX_APIC_DM_INIT, 0, 1, 1, HVX_LAPIC_INIT },
	{ HVX_APIC_DM_INIT, 0, 1, 0, HVX_LAPIC_INIT },
	{ HVX_APIC_DM_INIT, 0, 0, 1, HVX_LAPIC_DROPPED },	/* de-assert */
	{ HVX_APIC_DM_SIPI, 0x9a, 1, 0, HVX_LAPIC_SIPI },
	{ HVX_APIC_DM_EXTINT, 0, 1, 0, HVX_LAPIC_EXTINT },
};

TEST(deliver_modes)
{
	struct hvx_lapic l;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(delivers); i++) {
		const struct deliver_case *c = &delivers[i];
		struct hvx_lapic_irq irq = {
			.delivery_mode = c->dm, .vector = c->vector,
			.assert = c->assert, .level = c->level,
		};

		setup(&l, 0, 0);
		sw_enable(&l);
		EXPECT_EQ(c->res, hvx_lapic_deliver(&l, &irq)) TH_LOG("case %u", i);
		if (c->res == HVX_LAPIC_ACCEPTED) {
			EXPECT_TRUE(irr(&l, c->vector)) TH_LOG("case %u", i);
			EXPECT_EQ(c->level, tmr(&l, c->vector)) TH_LOG("case %u", i);
		} else {
			EXPECT_EQ(-1, vec_highest(&l, HVX_APIC_REG_IRR)) TH_LOG("case %u", i);
		}
		/* A globally disabled APIC takes nothing. */
		hvx_lapic_set_base(&l, DIS, false, &eff);
		EXPECT_EQ(HVX_LAPIC_DROPPED, hvx_lapic_deliver(&l, &irq))
			TH_LOG("case %u", i);
	}
	setup(&l, 0, 0);
	sw_enable(&l);
	hvx_lapic_deliver(&l, &(struct hvx_lapic_irq) { .vector = 5 });
	EXPECT_EQ(HVX_APIC_ESR_RECV_ILLEGAL, esr(&l));
}

/*
 * APIC virtualization: the processor moves vectors between IRR and ISR
 * in the page itself; the model computes what depends on them.
 */
TEST(vid_status_and_processor_eoi)
{
	struct hvx_lapic l;

	setup(&l, 0, ALL_F);
	sw_enable(&l);
	EXPECT_EQ(0, hvx_lapic_vid_status(&l));
	hvx_lapic_accept(&l, 0x31, false);
	hvx_lapic_accept(&l, 0x72, true);
	EXPECT_EQ(0x0072, hvx_lapic_vid_status(&l));
	hvx_lapic_ack(&l, 0x72);
	EXPECT_EQ(0x7231, hvx_lapic_vid_status(&l));

	/* the processor delivers 0x31 (IRR to ISR) without the model */
	vec_set(&l, HVX_APIC_REG_IRR, 0x31, false);
	vec_set(&l, HVX_APIC_REG_ISR, 0x31, true);
	EXPECT_EQ(0x7200, hvx_lapic_vid_status(&l));
	/* PPR and APR are computed on reads, not taken from the page */
	EXPECT_EQ(0x70, rd(&l, HVX_APIC_REG_PPR));
	EXPECT_EQ(0x70, rd(&l, HVX_APIC_REG_APR));

	/* it retires 0x72, level: the EOI goes to the I/O APIC */
	vec_set(&l, HVX_APIC_REG_ISR, 0x72, false);
	memset(&eff, 0, sizeof(eff));
	hvx_lapic_eoi_done(&l, 0x72, &eff);
	EXPECT_EQ(HVX_LAPIC_EFF_EOI | HVX_LAPIC_EFF_EVAL, eff.flags);
	EXPECT_EQ(0x72, eff.eoi_vector);
	EXPECT_TRUE(eff.eoi_level);
	EXPECT_FALSE(eff.eoi_suppress);
	EXPECT_EQ(0x30, rd(&l, HVX_APIC_REG_PPR));

	/* directed EOI: the guest tells the I/O APIC itself */
	wr(&l, HVX_APIC_REG_SVR, 0x11ff);
	memset(&eff, 0, sizeof(eff));
	hvx_lapic_eoi_done(&l, 0x72, &eff);
	EXPECT_TRUE(eff.eoi_level);
	EXPECT_TRUE(eff.eoi_suppress);
}

TEST(x2apic_registers_the_processor_serves)
{
	/* reads from the page: ID, version, TPR, PPR, LDR, SVR, ISR, LVTT */
	EXPECT_TRUE(hvx_lapic_x2apic_hw_access(0x802, false));
	EXPECT_TRUE(hvx_lapic_x2apic_hw_access(0x803, false));
	EXPECT_TRUE(hvx_lapic_x2apic_hw_access(0x808, false));
	EXPECT_TRUE(hvx_lapic_x2apic_hw_access(0x80a, false));
	EXPECT_TRUE(hvx_lapic_x2apic_hw_access(0x80d, false));
	EXPECT_TRUE(hvx_lapic_x2apic_hw_access(0x80f, false));
	EXPECT_TRUE(hvx_lapic_x2apic_hw_access(0x817, false));
	EXPECT_TRUE(hvx_lapic_x2apic_hw_access(0x832, false));
	EXPECT_TRUE(hvx_lapic_x2apic_hw_access(0x838, false));
	/*
	 * the model's: the ICR (the processor reads its destination at
	 * 304H, the model keeps it at 310H), current count, CMCI,
	 * write-only and absent ones
	 */
	EXPECT_FALSE(hvx_lapic_x2apic_hw_access(0x830, false));
	EXPECT_FALSE(hvx_lapic_x2apic_hw_access(0x839, false));
	EXPECT_FALSE(hvx_lapic_x2apic_hw_access(0x82f, false));
	EXPECT_FALSE(hvx_lapic_x2apic_hw_access(0x80b, false));
	EXPECT_FALSE(hvx_lapic_x2apic_hw_access(0x83f, false));
	EXPECT_FALSE(hvx_lapic_x2apic_hw_access(0x809, false));
	EXPECT_FALSE(hvx_lapic_x2apic_hw_access(0x80e, false));
	EXPECT_FALSE(hvx_lapic_x2apic_hw_access(0x831, false));
	EXPECT_FALSE(hvx_lapic_x2apic_hw_access(0x840, false));
	EXPECT_FALSE(hvx_lapic_x2apic_hw_access(0x7ff, false));
	/* writes: TPR, EOI and SELF IPI only */
	EXPECT_TRUE(hvx_lapic_x2apic_hw_access(0x808, true));
	EXPECT_TRUE(hvx_lapic_x2apic_hw_access(0x80b, true));
	EXPECT_TRUE(hvx_lapic_x2apic_hw_access(0x83f, true));
	EXPECT_FALSE(hvx_lapic_x2apic_hw_access(0x830, true));
	EXPECT_FALSE(hvx_lapic_x2apic_hw_access(0x838, true));
	EXPECT_FALSE(hvx_lapic_x2apic_hw_access(0x80f, true));
}

TEST_HARNESS_MAIN
