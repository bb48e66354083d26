// SPDX-License-Identifier: GPL-2.0
/*
 * Which local APICs a message names (Intel SDM vol. 3A, "Determining IPI
 * Destination" and "Message Signalled Interrupts"): destination matching
 * in physical, flat, cluster and x2APIC cluster modes with the
 * shorthands, the lowest-priority choice, and MSI decoding.  Pure, like
 * lapic.c, and tested with it (tests/unit/lapic_route_test.c).
 */
#include <linux/types.h>
#include <linux/errno.h>

#include "lapic.h"

static bool match_logical_xapic(const struct hvx_lapic *l, u32 dest)
{
	u32 ldr = hvx_lapic_reg(l, HVX_APIC_REG_LDR) >> HVX_APIC_ID_XAPIC_SHIFT;
	u32 model = hvx_lapic_reg(l, HVX_APIC_REG_DFR) >> 28;

	if (dest == 0xff)
		return true;
	if (model == HVX_APIC_DFR_FLAT)
		return ldr & dest;
	if (model == HVX_APIC_DFR_CLUSTER)
		return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
	return false;
}

static bool match_logical_x2apic(const struct hvx_lapic *l, u32 dest)
{
	u32 ldr = hvx_lapic_reg(l, HVX_APIC_REG_LDR);

	return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
}

bool hvx_lapic_match_dest(const struct hvx_lapic *l, bool source_is_self,
			  const struct hvx_lapic_irq *irq)
{
	u32 bcast = irq->x2apic_fmt ? 0xffffffff : 0xff;
	u32 dest = irq->dest;

	if (!hvx_lapic_hw_enabled(l))
		return false;
	switch (irq->shorthand) {
	case HVX_APIC_DEST_SELF:
		return source_is_self;
	case HVX_APIC_DEST_ALL:
		return true;
	case HVX_APIC_DEST_OTHERS:
		return !source_is_self;
	}
	if (!irq->x2apic_fmt)
		dest &= 0xff;
	if (dest == bcast)
		return true;
	if (hvx_lapic_mode_x2apic(l)) {
		if (!irq->logical)
			return dest == l->apic_id;
		return match_logical_x2apic(l, dest);
	}
	/* An xAPIC has 8-bit IDs: wider destinations name someone else. */
	if (dest > 0xff)
		return false;
	if (!irq->logical)
		return dest == hvx_lapic_reg(l, HVX_APIC_REG_ID) >> HVX_APIC_ID_XAPIC_SHIFT;
	return match_logical_xapic(l, dest);
}

bool hvx_lapic_lowest_prio_beats(const struct hvx_lapic *l, u32 *best_apr)
{
	u32 apr;

	if (!hvx_lapic_sw_enabled(l))
		return false;
	apr = hvx_lapic_apr(l);
	if (apr >= *best_apr)
		return false;
	*best_apr = apr;
	return true;
}

#define MSI_ADDR_BASE_SHIFT	20
#define MSI_ADDR_BASE		0xfee
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_ADDR_EXT_SHIFT	5
#define MSI_ADDR_RH		BIT(3)
#define MSI_ADDR_LOGICAL	BIT(2)

int hvx_msi_decode(u64 address, u32 data, struct hvx_lapic_irq *irq)
{
	u8 dm = (data >> HVX_APIC_DM_SHIFT) & 7;
	u8 vec = data & HVX_APIC_VECTOR_MASK;
	u32 ext = (address >> MSI_ADDR_EXT_SHIFT) & 0x7f;

	if ((address >> MSI_ADDR_BASE_SHIFT) != MSI_ADDR_BASE)
		return -EINVAL;
	if (dm == 3 || dm == HVX_APIC_DM_SIPI)
		return -EINVAL;
	if (dm <= HVX_APIC_DM_LOWEST && vec < 16)
		return -EINVAL;
	*irq = (struct hvx_lapic_irq) {
		.dest = ((address >> MSI_ADDR_DEST_SHIFT) & 0xff) | (ext << 8),
		.x2apic_fmt = ext != 0,
		.vector = vec,
		.delivery_mode = dm,
		.logical = address & MSI_ADDR_LOGICAL,
		.shorthand = HVX_APIC_DEST_NONE,
		.assert = data & HVX_APIC_ICR_ASSERT,
		.level = data & HVX_APIC_ICR_LEVEL,
		.redir_hint = address & MSI_ADDR_RH,
	};
	return 0;
}
