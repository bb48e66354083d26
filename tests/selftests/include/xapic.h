/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC as the selftests' guests see it: its xAPIC page at the
 * reset base, the registers the tests use, and the guest's accessors
 * (plain 32-bit loads and stores; hvx.ko serves the page).
 */
#ifndef SELFTEST_HVX_XAPIC_H
#define SELFTEST_HVX_XAPIC_H

#include <stdint.h>

#define APIC_GPA	0xfee00000UL
#define APIC_ID		0x020
#define APIC_TPR	0x080
#define APIC_EOI	0x0b0
#define APIC_SVR	0x0f0
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define APIC_LVT0	0x350

#define LVT_EXTINT	(7U << 8)

#define LVT_MASKED	(1U << 16)
#define LVT_PERIODIC	(1U << 17)

/* The x2APIC MSR of the register at xAPIC offset @off. */
#define X2APIC_MSR(off)	(0x800 + ((off) >> 4))

static inline uint32_t apic_r(uint32_t off)
{
	return *(volatile uint32_t *)(APIC_GPA + off);
}

static inline void apic_w(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(APIC_GPA + off) = v;
}

#endif
