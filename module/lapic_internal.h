/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What lapic.c shares with lapic_state.c, the APIC's snapshots: the rules
 * of each register and the helpers a restored state is checked with.
 * Nothing outside these two files includes it; the rest of hvx sees the
 * APIC through lapic.h.
 */
#ifndef HVX_LAPIC_INTERNAL_H
#define HVX_LAPIC_INTERNAL_H

#include "lapic.h"

#define LAPIC_DFR_ONES		0x0fffffff

/* the BSP's LINT0 after reset or INIT: ExtINT, unmasked (virtual wire) */
#define LAPIC_LINT0_VIRTUAL_WIRE	(HVX_APIC_DM_EXTINT << HVX_APIC_DM_SHIFT)

/* Where a register exists and how it may be accessed. */
#define R_XR		BIT(0)	/* readable in xAPIC mode */
#define R_XW		BIT(1)	/* writable in xAPIC mode */
#define R_2R		BIT(2)	/* readable in x2APIC mode */
#define R_2W		BIT(3)	/* writable in x2APIC mode */
#define R_64		BIT(4)	/* x2APIC: a 64-bit register (the ICR) */
#define R_CMCI		BIT(5)	/* exists only with HVX_LAPIC_F_CMCI */
#define R_XAPIC		(R_XR | R_XW)
#define R_X2APIC	(R_2R | R_2W)
#define R_RW		(R_XAPIC | R_X2APIC)
#define R_RO		(R_XR | R_2R)

struct lapic_reg;
typedef void (*lapic_write_fn)(struct hvx_lapic *l, const struct lapic_reg *r,
			       unsigned int off, u32 val, u64 now_ns,
			       struct hvx_lapic_effects *eff);

/**
 * struct lapic_reg - the rules of one register
 * @flags:	R_* flags; 0 for a reserved offset
 * @wmask:	bits a write changes
 * @romask:	read-only bits an x2APIC write may set without a fault
 * @fwmask:	more writable bits when the APIC has feature @feature
 * @feature:	HVX_LAPIC_F_* flag enabling @fwmask
 * @write:	side effects of a write; NULL stores the writable bits
 */
struct lapic_reg {
	u8 flags;
	u32 wmask;
	u32 romask;
	u32 fwmask;
	u32 feature;
	lapic_write_fn write;
};

enum lapic_mode { LAPIC_MODE_OFF, LAPIC_MODE_XAPIC, LAPIC_MODE_X2APIC };

static inline enum lapic_mode lapic_base_mode(u64 base)
{
	if (!(base & HVX_APIC_BASE_EN))
		return LAPIC_MODE_OFF;
	return base & HVX_APIC_BASE_EXTD ? LAPIC_MODE_X2APIC : LAPIC_MODE_XAPIC;
}

static inline u32 *lapic_reg_ptr(struct hvx_lapic *l, unsigned int off)
{
	return &l->regs[off >> 2];
}

static inline void lapic_set_reg(struct hvx_lapic *l, unsigned int off,
				 u32 val)
{
	*lapic_reg_ptr(l, off) = val;
}

static inline bool lapic_has_feature(const struct hvx_lapic *l, u32 feature)
{
	return l->cfg.features & feature;
}

/* The timer mode (enum hvx_apic_timer_mode) of LVT timer value @lvtt. */
static inline unsigned int lapic_lvtt_mode(u32 lvtt)
{
	return (lvtt & HVX_APIC_TIMER_MODE_MASK) >> HVX_APIC_TIMER_MODE_SHIFT;
}

/* xAPIC mode's ID, logical ID and ICR destination: bits 31:24. */
#define LAPIC_XAPIC_ID_MASK	0xff000000U

/* Whether @off is an LVT entry of this APIC (CMCI only with the feature). */
bool lapic_lvt_present(const struct hvx_lapic *l, unsigned int off);

/* The rules of the register at @off (a multiple of 16), NULL if reserved. */
const struct lapic_reg *lapic_find_reg(const struct hvx_lapic *l,
				       unsigned int off);
/* The bits a guest's write of @r changes, with the APIC's features. */
u32 lapic_reg_wmask(const struct hvx_lapic *l, const struct lapic_reg *r);
/* Time for @ticks counts at divide @div, at least 1 ns. */
u64 lapic_ticks_to_ns(const struct hvx_lapic *l, u64 ticks, unsigned int div);
/* The period a timer in @mode runs at: periodic, at least min_period_ns. */
u64 lapic_timer_period(const struct hvx_lapic *l, unsigned int mode, u64 ns);
/* Whether @val is an IA32_APIC_BASE value this APIC can take. */
bool lapic_base_valid(const struct hvx_lapic *l, u64 val);
/* The logical ID that x2APIC mode fixes for APIC ID @id. */
u32 lapic_x2apic_ldr(u32 id);
/* The version register: version, max LVT entry, EOI suppression. */
u32 lapic_version(const struct hvx_lapic *l);
/* Store the PPR after a change of TPR or ISR. */
void lapic_update_ppr(struct hvx_lapic *l);

#endif /* HVX_LAPIC_INTERNAL_H */
