// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of destination matching, lowest priority and MSI decoding
 * (module/lapic_route.c), built into this program through
 * tests/unit/kernel_shim.h with the local APIC it works on (lapic.c).
 *
 * The expected values come from the Intel SDM vol. 3A, "Advanced
 * Programmable Interrupt Controller (APIC)", not from the code.
 */
#include <string.h>

#include "kernel_shim.h"
#include "kselftest_harness.h"

#include "../../module/lapic.c"
#include "../../module/lapic_route.c"
#include "lapic_util.h"

struct dest_case {
	bool x2;		/* target in x2APIC mode */
	u32 id;
	u32 ldr;		/* xAPIC: bits 31:24 */
	u32 dfr;
	u8 shorthand;
	bool logical;
	bool x2fmt;
	u32 dest;
	bool self;
	bool match;
};

#define FLAT	0xffffffff
#define CLUS	0x0fffffff

static const struct dest_case dests[] = {
	/* physical xAPIC */
	{ 0, 5, 0, FLAT, 0, 0, 0, 5, 0, 1 },
	{ 0, 5, 0, FLAT, 0, 0, 0, 6, 0, 0 },
	{ 0, 5, 0, FLAT, 0, 0, 0, 0xff, 0, 1 },
	{ 0, 5, 0, FLAT, 0, 0, 1, 0x105, 0, 0 },
	{ 0, 5, 0, FLAT, 0, 0, 1, 0xffffffff, 0, 1 },
	/* logical flat */
	{ 0, 1, 0x04000000, FLAT, 0, 1, 0, 0x0c, 0, 1 },
	{ 0, 1, 0x04000000, FLAT, 0, 1, 0, 0x03, 0, 0 },
	{ 0, 1, 0x04000000, FLAT, 0, 1, 0, 0xff, 0, 1 },
	{ 0, 1, 0, FLAT, 0, 1, 0, 0x7f, 0, 0 },
	/* logical cluster */
	{ 0, 1, 0x32000000, CLUS, 0, 1, 0, 0x36, 0, 1 },
	{ 0, 1, 0x32000000, CLUS, 0, 1, 0, 0x31, 0, 0 },
	{ 0, 1, 0x32000000, CLUS, 0, 1, 0, 0x22, 0, 0 },
	{ 0, 1, 0x32000000, CLUS, 0, 1, 0, 0xff, 0, 1 },
	/* physical x2APIC */
	{ 1, 0x123, 0, 0, 0, 0, 1, 0x123, 0, 1 },
	{ 1, 0x123, 0, 0, 0, 0, 1, 0x23, 0, 0 },
	{ 1, 0x123, 0, 0, 0, 0, 1, 0xffffffff, 0, 1 },
	{ 1, 0x123, 0, 0, 0, 0, 1, 0xff, 0, 0 },
	{ 1, 0x23, 0, 0, 0, 0, 0, 0xff, 0, 1 },	/* 8-bit MSI broadcast */
	{ 1, 0x23, 0, 0, 0, 0, 0, 0x23, 0, 1 },
	/* logical x2APIC cluster: id 0x23 is cluster 2, bit 3 */
	{ 1, 0x23, 0, 0, 0, 1, 1, 0x00020008, 0, 1 },
	{ 1, 0x23, 0, 0, 0, 1, 1, 0x0002fff7, 0, 0 },
	{ 1, 0x23, 0, 0, 0, 1, 1, 0x00010008, 0, 0 },
	{ 1, 0x23, 0, 0, 0, 1, 1, 0xffffffff, 0, 1 },
	/* shorthands, whatever the destination field says */
	{ 0, 5, 0, FLAT, HVX_APIC_DEST_SELF, 0, 0, 7, 1, 1 },
	{ 0, 5, 0, FLAT, HVX_APIC_DEST_SELF, 0, 0, 5, 0, 0 },
	{ 0, 5, 0, FLAT, HVX_APIC_DEST_ALL, 0, 0, 7, 1, 1 },
	{ 0, 5, 0, FLAT, HVX_APIC_DEST_ALL, 0, 0, 7, 0, 1 },
	{ 0, 5, 0, FLAT, HVX_APIC_DEST_OTHERS, 0, 0, 5, 1, 0 },
	{ 1, 5, 0, 0, HVX_APIC_DEST_OTHERS, 0, 1, 5, 0, 1 },
};

TEST(match_dest)
{
	struct hvx_lapic l;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dests); i++) {
		const struct dest_case *c = &dests[i];
		struct hvx_lapic_irq irq = {
			.shorthand = c->shorthand, .logical = c->logical,
			.x2apic_fmt = c->x2fmt, .dest = c->dest,
		};

		setup(&l, c->id, ALL_F);
		if (c->x2) {
			ASSERT_EQ(0, to_x2apic(&l));
		} else {
			wr(&l, HVX_APIC_REG_LDR, c->ldr);
			wr(&l, HVX_APIC_REG_DFR, c->dfr);
		}
		EXPECT_EQ(c->match, hvx_lapic_match_dest(&l, c->self, &irq))
			TH_LOG("case %u", i);
	}
	/* A globally disabled APIC is nobody's destination. */
	setup(&l, 5, 0);
	hvx_lapic_set_base(&l, HVX_APIC_DEFAULT_BASE, false, &eff);
	EXPECT_FALSE(hvx_lapic_match_dest(&l, true, &(struct hvx_lapic_irq) {
		.shorthand = HVX_APIC_DEST_ALL }));
}

/* The caller's pass over @n matches: the winner's index, or -1. */
static int lowest_prio(struct hvx_lapic *const *c, unsigned int n)
{
	u32 best_apr = HVX_LAPIC_APR_NONE;
	unsigned int i;
	int best = -1;

	for (i = 0; i < n; i++)
		if (hvx_lapic_lowest_prio_beats(c[i], &best_apr))
			best = i;
	return best;
}

TEST(lowest_priority)
{
	struct hvx_lapic a[4];
	struct hvx_lapic *c[4] = { &a[0], &a[1], &a[2], &a[3] };
	static const u8 tpr[4] = { 0x20, 0x10, 0x10, 0x00 };
	unsigned int i;
	u32 best_apr;

	for (i = 0; i < 4; i++) {
		setup(&a[i], i, 0);
		sw_enable(&a[i]);
		wr(&a[i], HVX_APIC_REG_TPR, tpr[i]);
	}
	/* a[3] is software-disabled and out of the race. */
	wr(&a[3], HVX_APIC_REG_SVR, 0xff);
	/* Equal APR: the first listed. */
	EXPECT_EQ(1, lowest_prio(c, 4));
	/* A requested interrupt raises the APR of a[1]. */
	hvx_lapic_accept(&a[1], 0x50, false);
	EXPECT_EQ(2, lowest_prio(c, 4));
	/* An interrupt in service raises a[2]'s. */
	hvx_lapic_accept(&a[2], 0x60, false);
	hvx_lapic_ack(&a[2], 0x60);
	EXPECT_EQ(0, lowest_prio(c, 4));
	EXPECT_EQ(-1, lowest_prio(c + 3, 1));
	EXPECT_EQ(-1, lowest_prio(c, 0));

	/* The first candidate wins at any APR, and the best is its APR. */
	best_apr = HVX_LAPIC_APR_NONE;
	wr(&a[0], HVX_APIC_REG_TPR, 0xff);
	EXPECT_TRUE(hvx_lapic_lowest_prio_beats(&a[0], &best_apr));
	EXPECT_EQ(0xff, best_apr);
	/* A loser, equal or disabled, leaves the best as it was. */
	best_apr = 0x10;
	EXPECT_FALSE(hvx_lapic_lowest_prio_beats(&a[3], &best_apr));
	EXPECT_EQ(0x10, best_apr);
	wr(&a[0], HVX_APIC_REG_TPR, 0x10);
	EXPECT_FALSE(hvx_lapic_lowest_prio_beats(&a[0], &best_apr));
	EXPECT_EQ(0x10, best_apr);
}

struct msi_case {
	u64 addr;
	u32 data;
	int rc;
	u32 dest;
	bool x2fmt, logical, rh, level;
	u8 dm, vector;
};

static const struct msi_case msis[] = {
	{ 0xfee00000, 0x0030, 0, 0, 0, 0, 0, 0, HVX_APIC_DM_FIXED, 0x30 },
	{ 0xfee05000, 0x0130, 0, 5, 0, 0, 0, 0, HVX_APIC_DM_LOWEST, 0x30 },
	{ 0xfeeff00c, 0xc041, 0, 0xff, 0, 1, 1, 1, HVX_APIC_DM_FIXED, 0x41 },
	{ 0xfee01000, 0x0200, 0, 1, 0, 0, 0, 0, HVX_APIC_DM_SMI, 0 },
	{ 0xfee01000, 0x0400, 0, 1, 0, 0, 0, 0, HVX_APIC_DM_NMI, 0 },
	{ 0xfee01000, 0x0500, 0, 1, 0, 0, 0, 0, HVX_APIC_DM_INIT, 0 },
	{ 0xfee01000, 0x0700, 0, 1, 0, 0, 0, 0, HVX_APIC_DM_EXTINT, 0 },
	/* extended destination ID: bits 11:5 are ID bits 14:8 */
	{ 0xfee34020, 0x0030, 0, 0x134, 1, 0, 0, 0, HVX_APIC_DM_FIXED, 0x30 },
	{ 0xfeefffe0, 0x0030, 0, 0x7fff, 1, 0, 0, 0, HVX_APIC_DM_FIXED, 0x30 },
	/* refused */
	{ 0xfed00000, 0x0030, -EINVAL },
	{ 0xfef00000, 0x0030, -EINVAL },
	{ 0x1fee00000ULL, 0x0030, -EINVAL },
	{ 0x0ee00000, 0x0030, -EINVAL },
	{ 0xfee00000, 0x0300, -EINVAL },
	{ 0xfee00000, 0x0630, -EINVAL },
	{ 0xfee00000, 0x000f, -EINVAL },
	{ 0xfee00000, 0x0100, -EINVAL },
};

TEST(msi_decode)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(msis); i++) {
		const struct msi_case *c = &msis[i];
		struct hvx_lapic_irq irq;

		memset(&irq, 0x5a, sizeof(irq));
		EXPECT_EQ(c->rc, hvx_msi_decode(c->addr, c->data, &irq))
			TH_LOG("case %u", i);
		if (c->rc)
			continue;
		EXPECT_EQ(c->dest, irq.dest) TH_LOG("case %u", i);
		EXPECT_EQ(c->x2fmt, irq.x2apic_fmt) TH_LOG("case %u", i);
		EXPECT_EQ(c->logical, irq.logical) TH_LOG("case %u", i);
		EXPECT_EQ(c->rh, irq.redir_hint) TH_LOG("case %u", i);
		EXPECT_EQ(c->level, irq.level) TH_LOG("case %u", i);
		EXPECT_EQ(c->dm, irq.delivery_mode) TH_LOG("case %u", i);
		EXPECT_EQ(c->vector, irq.vector) TH_LOG("case %u", i);
		EXPECT_EQ(HVX_APIC_DEST_NONE, irq.shorthand) TH_LOG("case %u", i);
	}
}

TEST_HARNESS_MAIN
