/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The local APIC of a vCPU, as a pure state machine (Intel SDM vol. 3A,
 * "Advanced Programmable Interrupt Controller (APIC)").
 *
 * hvx keeps the local APICs in the kernel and leaves the I/O APIC, the PIC
 * and the PIT to userspace, which signals interrupts as MSIs.  This file
 * knows the architecture only: register semantics in xAPIC and x2APIC
 * mode, priorities, acceptance, EOI, the timer arithmetic, destination
 * matching and MSI decoding.  It has no locks, allocates nothing and reads
 * no clock: time comes in as nanoseconds of the caller's clock, and the
 * caller serialises all calls on one APIC (and takes the APICs it routes
 * an interrupt to in a fixed order).  What the guest's accesses mean for
 * the rest of hvx (an IPI to route, a timer to rearm, an EOI to forward to
 * userspace) comes back in struct hvx_lapic_effects.
 *
 * The caller's part, per vCPU, all under the one lock that serialises
 * that vCPU's APIC:
 *  - set l->cfg, then hvx_lapic_reset() at vCPU creation and RESET;
 *    hvx_lapic_init_signal() on INIT;
 *  - route xAPIC page accesses to hvx_lapic_read()/hvx_lapic_write() and
 *    x2APIC MSRs, IA32_APIC_BASE and IA32_TSC_DEADLINE to their functions,
 *    injecting #GP where they return -EINVAL;
 *  - act on the effects: route an IPI (hvx_lapic_match_dest() on every
 *    APIC, hvx_lapic_lowest_prio_beats() for lowest priority, then
 *    hvx_lapic_deliver() on each target under the target's lock), rearm
 *    its timer at hvx_lapic_timer_next() (later is allowed: missed
 *    periods coalesce, which is also how to bound a guest's periodic
 *    rate), forward a level-triggered EOI to userspace's I/O APIC, and
 *    kick a vCPU whose interrupt state may have changed;
 *  - before each VM entry: hvx_lapic_highest_pending(); inject it (or open
 *    an interrupt window) and hvx_lapic_ack() it once it is delivered.
 *    NMI, SMI, INIT, SIPI and ExtINT never enter the IRR: the delivery
 *    functions return them for the caller to act on.
 *
 * The code needs nothing from the kernel but its integer types and
 * mul_u64_u64_div_u64(), so the host-side unit test builds it in
 * userspace.
 */
#ifndef HVX_MODULE_LAPIC_H
#define HVX_MODULE_LAPIC_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/hvx.h>

/* Register offsets in the xAPIC page; x2APIC MSR 0x800 + n is offset n << 4. */
#define HVX_APIC_REG_ID			0x020
#define HVX_APIC_REG_VERSION		0x030
#define HVX_APIC_REG_TPR		0x080
#define HVX_APIC_REG_APR		0x090
#define HVX_APIC_REG_PPR		0x0a0
#define HVX_APIC_REG_EOI		0x0b0
#define HVX_APIC_REG_RRD		0x0c0
#define HVX_APIC_REG_LDR		0x0d0
#define HVX_APIC_REG_DFR		0x0e0
#define HVX_APIC_REG_SVR		0x0f0
#define HVX_APIC_REG_ISR		0x100	/* 8 registers, 32 vectors each */
#define HVX_APIC_REG_TMR		0x180
#define HVX_APIC_REG_IRR		0x200
#define HVX_APIC_REG_ESR		0x280
#define HVX_APIC_REG_LVT_CMCI		0x2f0
#define HVX_APIC_REG_ICR		0x300
#define HVX_APIC_REG_ICR2		0x310
#define HVX_APIC_REG_LVT_TIMER		0x320
#define HVX_APIC_REG_LVT_THERMAL	0x330
#define HVX_APIC_REG_LVT_PMC		0x340
#define HVX_APIC_REG_LVT_LINT0		0x350
#define HVX_APIC_REG_LVT_LINT1		0x360
#define HVX_APIC_REG_LVT_ERROR		0x370
#define HVX_APIC_REG_TMICT		0x380	/* timer initial count */
#define HVX_APIC_REG_TMCCT		0x390	/* timer current count */
#define HVX_APIC_REG_TDCR		0x3e0	/* timer divide configuration */
#define HVX_APIC_REG_SELF_IPI		0x3f0	/* x2APIC only */

#define HVX_LAPIC_PAGE_SIZE		4096
/* Registers live in the first KiB of the page; the rest reads as zero. */
#define HVX_LAPIC_REGS_SIZE		1024

#define HVX_X2APIC_MSR_BASE		0x800
#define HVX_X2APIC_MSR_LAST		0x8ff
#define HVX_MSR_APIC_BASE		0x01b
#define HVX_MSR_TSC_DEADLINE		0x6e0

/* IA32_APIC_BASE */
#define HVX_APIC_BASE_BSP		BIT_ULL(8)
#define HVX_APIC_BASE_EXTD		BIT_ULL(10)	/* x2APIC mode */
#define HVX_APIC_BASE_EN		BIT_ULL(11)	/* global enable */
#define HVX_APIC_BASE_ADDR_MASK		(~0xfffULL)
#define HVX_APIC_DEFAULT_BASE		0xfee00000ULL

/* The xAPIC ID and LDR sit in bits 31:24; DFR models (bits 31:28). */
#define HVX_APIC_ID_XAPIC_SHIFT		24
#define HVX_APIC_DFR_FLAT		0xf
#define HVX_APIC_DFR_CLUSTER		0x0

/* Spurious-interrupt vector register */
#define HVX_APIC_SVR_ENABLE		BIT(8)
#define HVX_APIC_SVR_DIRECTED_EOI	BIT(12)	/* suppress EOI broadcast */

/* Error status register bits */
#define HVX_APIC_ESR_SEND_ILLEGAL	BIT(5)
#define HVX_APIC_ESR_RECV_ILLEGAL	BIT(6)
#define HVX_APIC_ESR_ILLEGAL_REG	BIT(7)

/* LVT entries and the ICR */
#define HVX_APIC_VECTOR_MASK		0xff
#define HVX_APIC_DM_SHIFT		8
#define HVX_APIC_LVT_MASKED		BIT(16)
#define HVX_APIC_LVT_LEVEL		BIT(15)	/* trigger mode (LINT0, LINT1) */
#define HVX_APIC_TIMER_MODE_SHIFT	17
#define HVX_APIC_TIMER_MODE_MASK	(3U << HVX_APIC_TIMER_MODE_SHIFT)
#define HVX_APIC_ICR_LOGICAL		BIT(11)
#define HVX_APIC_ICR_ASSERT		BIT(14)
#define HVX_APIC_ICR_LEVEL		BIT(15)
#define HVX_APIC_ICR_SHORT_SHIFT	18

/* Delivery modes of the ICR, the LVT and MSI data (bits 10:8). */
enum hvx_apic_dm {
	HVX_APIC_DM_FIXED	= 0,
	HVX_APIC_DM_LOWEST	= 1,
	HVX_APIC_DM_SMI		= 2,
	HVX_APIC_DM_NMI		= 4,
	HVX_APIC_DM_INIT	= 5,
	HVX_APIC_DM_SIPI	= 6,	/* ICR only */
	HVX_APIC_DM_EXTINT	= 7,	/* LVT and MSI only */
};

/* Destination shorthands of the ICR (bits 19:18). */
enum hvx_apic_shorthand {
	HVX_APIC_DEST_NONE	= 0,
	HVX_APIC_DEST_SELF	= 1,
	HVX_APIC_DEST_ALL	= 2,	/* all including self */
	HVX_APIC_DEST_OTHERS	= 3,	/* all excluding self */
};

/* Timer modes of the LVT timer entry (bits 18:17). */
enum hvx_apic_timer_mode {
	HVX_APIC_TIMER_ONESHOT	= 0,
	HVX_APIC_TIMER_PERIODIC	= 1,
	HVX_APIC_TIMER_DEADLINE	= 2,
};

/* LVT entries, in the order of their offsets. */
enum hvx_lapic_lvt {
	HVX_LVT_CMCI,
	HVX_LVT_TIMER,
	HVX_LVT_THERMAL,
	HVX_LVT_PMC,
	HVX_LVT_LINT0,
	HVX_LVT_LINT1,
	HVX_LVT_ERROR,
	HVX_LVT_NR,
};

/* Optional features, in hvx_lapic_config.features. */
#define HVX_LAPIC_F_X2APIC		BIT(0)	/* EXTD may be set in IA32_APIC_BASE */
#define HVX_LAPIC_F_TSC_DEADLINE	BIT(1)	/* timer mode 2, IA32_TSC_DEADLINE */
#define HVX_LAPIC_F_DIRECTED_EOI	BIT(2)	/* version bit 24, SVR bit 12 */
#define HVX_LAPIC_F_CMCI		BIT(3)	/* the CMCI LVT entry, max LVT 6 */

/* 1 ns per count at divide 1, as KVM's APIC bus. */
#define HVX_LAPIC_DEFAULT_TIMER_HZ	1000000000ULL

/* hvx_lapic_timer_next() when the timer will not fire. */
#define HVX_LAPIC_TIMER_NONE		(~0ULL)

/**
 * struct hvx_lapic_config - what the VM chose, kept across resets
 * @timer_hz:	frequency of the clock the timer divides (the "bus" clock),
 *		in Hz; hvx_lapic_reset() makes 0 HVX_LAPIC_DEFAULT_TIMER_HZ
 *		and raises anything below 1 MHz to 1 MHz
 * @features:	HVX_LAPIC_F_* flags
 * @maxphyaddr:	guest physical-address width: higher bits of
 *		IA32_APIC_BASE are reserved
 * @min_period_ns: the shortest period of a periodic timer, 0 for none: a
 *		shorter one runs at this (the caller's bound on the rate of a
 *		guest's timer interrupts)
 */
struct hvx_lapic_config {
	u64 timer_hz;
	u32 features;
	u8 maxphyaddr;
	u64 min_period_ns;
};

/**
 * struct hvx_lapic_timer - the timer state that is not in the registers
 * @armed:	an expiry is due at @next_ns
 * @start_ns:	when the current count was loaded from the initial count
 * @period_ns:	time for the initial count to run down at the current divide
 * @next_ns:	the next expiry, when @armed
 * @tsc_deadline: IA32_TSC_DEADLINE as the guest wrote it, 0 when disarmed
 */
struct hvx_lapic_timer {
	bool armed;
	u64 start_ns;
	u64 period_ns;
	u64 next_ns;
	u64 tsc_deadline;
};

/**
 * struct hvx_lapic - one local APIC
 * @regs:	the register page image at xAPIC offsets; 32-bit registers
 *		at 16-byte spacing.  Page-aligned, so that it can be the
 *		processor's virtual-APIC page: with APIC virtualization the
 *		processor itself updates TPR, PPR, ISR and IRR here.  In
 *		x2APIC mode the upper half of the ICR is kept at
 *		HVX_APIC_REG_ICR2.  The current-count register is computed
 *		on reads and holds nothing
 * @apic_base:	IA32_APIC_BASE
 * @apic_id:	the initial APIC ID: the x2APIC ID, and what INIT and
 *		disabling restore
 * @esr_pending: errors found since the last ESR write; a write latches
 *		them into the ESR register
 * @timer:	timer state outside the registers
 * @cfg:	the configuration, untouched by resets
 */
struct hvx_lapic {
	u32 regs[HVX_LAPIC_PAGE_SIZE / 4] __aligned(HVX_LAPIC_PAGE_SIZE);
	u64 apic_base;
	u32 apic_id;
	u32 esr_pending;
	struct hvx_lapic_timer timer;
	struct hvx_lapic_config cfg;
};

/**
 * struct hvx_lapic_irq - an interrupt message: an IPI or a decoded MSI
 * @dest:	destination: 8 bits in xAPIC format, 32 in x2APIC format
 * @x2apic_fmt:	@dest is a 32-bit x2APIC destination (x2APIC ICR, or an MSI
 *		with an extended destination ID); else an 8-bit one, whose
 *		0xff is a broadcast in either mode
 * @vector:	vector (fixed, lowest priority, SIPI)
 * @delivery_mode: enum hvx_apic_dm
 * @logical:	logical destination mode
 * @shorthand:	enum hvx_apic_shorthand; always NONE for an MSI
 * @assert:	level bit: 0 with INIT and a level trigger is an INIT
 *		level de-assert, which modern processors ignore
 * @level:	level-triggered (trigger mode bit)
 * @redir_hint:	MSI redirection hint: lowest-priority among @dest
 */
struct hvx_lapic_irq {
	u32 dest;
	bool x2apic_fmt;
	u8 vector;
	u8 delivery_mode;
	bool logical;
	u8 shorthand;
	bool assert;
	bool level;
	bool redir_hint;
};

/* What hvx_lapic_write() and its kin ask of the caller. */
#define HVX_LAPIC_EFF_IPI		BIT(0)	/* route @ipi to the APICs it names */
#define HVX_LAPIC_EFF_EVAL		BIT(1)	/* re-check hvx_lapic_highest_pending() */
#define HVX_LAPIC_EFF_TIMER		BIT(2)	/* rearm from hvx_lapic_timer_next() */
#define HVX_LAPIC_EFF_EOI		BIT(3)	/* an EOI was written: @eoi_* valid */
#define HVX_LAPIC_EFF_ROUTE		BIT(4)	/* ID, LDR, DFR or mode changed */

/**
 * struct hvx_lapic_effects - consequences of a guest access
 * @flags:	HVX_LAPIC_EFF_* flags; the callee only adds to them
 * @ipi:	with HVX_LAPIC_EFF_IPI: the IPI the ICR write sent
 * @eoi_vector:	with HVX_LAPIC_EFF_EOI: the vector retired, -1 if none
 * @eoi_level:	it was level-triggered: tell the I/O APIC (remote IRR)
 *		unless @eoi_suppress
 * @eoi_suppress: directed EOI is on (SVR bit 12): the guest EOIs the I/O
 *		APIC itself, do not broadcast
 */
struct hvx_lapic_effects {
	u32 flags;
	struct hvx_lapic_irq ipi;
	int eoi_vector;
	bool eoi_level;
	bool eoi_suppress;
};

/**
 * enum hvx_lapic_delivery - what became of an interrupt at one APIC
 * @HVX_LAPIC_DROPPED:	nothing: masked, illegal vector, APIC disabled
 * @HVX_LAPIC_ACCEPTED:	fixed or lowest priority: now in the IRR
 * @HVX_LAPIC_NMI:	the caller injects an NMI
 * @HVX_LAPIC_SMI:	an SMI (hvx has no SMM: the caller drops it)
 * @HVX_LAPIC_INIT:	INIT: the caller resets the vCPU (INIT de-assert
 *			never comes back as this)
 * @HVX_LAPIC_SIPI:	start-up IPI with the vector of the message
 * @HVX_LAPIC_EXTINT:	ExtINT: the caller takes the vector from the PIC
 */
enum hvx_lapic_delivery {
	HVX_LAPIC_DROPPED,
	HVX_LAPIC_ACCEPTED,
	HVX_LAPIC_NMI,
	HVX_LAPIC_SMI,
	HVX_LAPIC_INIT,
	HVX_LAPIC_SIPI,
	HVX_LAPIC_EXTINT,
};

/* HVX_GET_LAPIC's register page is the model's first KiB. */
HVX_ABI_ASSERT(sizeof(((struct hvx_lapic_state *)0)->regs) ==
	       HVX_LAPIC_REGS_SIZE);

/**
 * hvx_lapic_reset() - power-on or RESET state
 * @l:		the APIC; @l->cfg must be set, the rest is overwritten
 * @apic_id:	initial APIC ID
 * @bsp:	this is the bootstrap processor's APIC
 *
 * Global enable in xAPIC mode at 0xfee00000, software-disabled, every LVT
 * entry masked, DFR all ones, the timer stopped; but the BSP's LINT0 is
 * unmasked in ExtINT mode, as the BIOS leaves it (virtual wire), so that
 * a guest started without one takes the 8259's interrupts (as KVM's reset).
 */
void hvx_lapic_reset(struct hvx_lapic *l, u32 apic_id, bool bsp);

/**
 * hvx_lapic_init_signal() - state after an INIT
 * @l:	the APIC
 *
 * As after a reset but the APIC ID and IA32_APIC_BASE (mode included)
 * are kept; the BSP is the one whose IA32_APIC_BASE says so.
 */
void hvx_lapic_init_signal(struct hvx_lapic *l);

/**
 * hvx_lapic_accepts_extint() - whether the 8259's INTR reaches the CPU
 * @l:	the APIC
 *
 * Through LINT0: unmasked in ExtINT mode, or the APIC globally disabled
 * (LINT0 is then the INTR pin itself).
 *
 * Return: true when an external interrupt from the PIC can be taken.
 */
bool hvx_lapic_accepts_extint(const struct hvx_lapic *l);

/**
 * hvx_lapic_reg() - a register of the page image
 * @l:		the APIC
 * @offset:	xAPIC offset, a multiple of 16 below 1 KiB
 *
 * Return: the stored value, without side effects (the current count is
 * not computed here).
 */
static inline u32 hvx_lapic_reg(const struct hvx_lapic *l,
				unsigned int offset)
{
	return l->regs[(offset & (HVX_LAPIC_REGS_SIZE - 16)) >> 2];
}

/**
 * hvx_lapic_vec_test() - one vector's bit in the ISR, TMR or IRR
 * @l:		the APIC
 * @base:	HVX_APIC_REG_ISR, HVX_APIC_REG_TMR or HVX_APIC_REG_IRR
 * @vec:	the vector
 *
 * Return: whether it is set.
 */
static inline bool hvx_lapic_vec_test(const struct hvx_lapic *l,
				      unsigned int base, u8 vec)
{
	return hvx_lapic_reg(l, base + ((vec >> 5) << 4)) & BIT(vec & 31);
}

/**
 * hvx_lapic_mode_x2apic() - is the APIC in x2APIC mode
 * @l:	the APIC
 *
 * Return: true if globally enabled with EXTD set.
 */
static inline bool hvx_lapic_mode_x2apic(const struct hvx_lapic *l)
{
	return (l->apic_base & (HVX_APIC_BASE_EN | HVX_APIC_BASE_EXTD)) ==
	       (HVX_APIC_BASE_EN | HVX_APIC_BASE_EXTD);
}

/**
 * hvx_lapic_hw_enabled() - is the APIC globally enabled (IA32_APIC_BASE.EN)
 * @l:	the APIC
 *
 * Return: true if enabled.  A disabled APIC accepts nothing; its LINT0
 * and LINT1 pins act as the INTR and NMI pins.
 */
static inline bool hvx_lapic_hw_enabled(const struct hvx_lapic *l)
{
	return l->apic_base & HVX_APIC_BASE_EN;
}

/**
 * hvx_lapic_sw_enabled() - globally enabled and SVR bit 8 set
 * @l:	the APIC
 *
 * Return: true if the APIC accepts fixed and lowest-priority interrupts.
 */
static inline bool hvx_lapic_sw_enabled(const struct hvx_lapic *l)
{
	return hvx_lapic_hw_enabled(l) &&
	       (hvx_lapic_reg(l, HVX_APIC_REG_SVR) & HVX_APIC_SVR_ENABLE);
}

/**
 * hvx_lapic_read() - an MMIO read of the xAPIC page
 * @l:		the APIC
 * @offset:	offset in the 4 KiB page
 * @len:	1, 2 or 4 bytes, within one 32-bit register
 * @now_ns:	current time, for the timer's current count
 * @val:	the value read, in the low @len bytes
 * @eff:	what the read asks of the caller (an error interrupt)
 *
 * Reserved offsets read 0 and record "illegal register address"; write-only
 * registers (EOI) read 0.  Bytes 4-15 of each 16-byte slot read 0.
 *
 * Return: 0, or -ENXIO if the APIC is disabled or in x2APIC mode (the page
 * is not there: the caller treats the access as one to no device).
 */
int hvx_lapic_read(struct hvx_lapic *l, unsigned int offset, unsigned int len,
		   u64 now_ns, u32 *val, struct hvx_lapic_effects *eff);

/**
 * hvx_lapic_write() - an MMIO write to the xAPIC page
 * @l:		the APIC
 * @offset:	offset in the 4 KiB page
 * @len:	bytes written; only aligned 32-bit writes have an effect
 * @val:	the value written
 * @now_ns:	current time, for the timer
 * @eff:	what the caller must do next (flags added, never cleared)
 *
 * Writes to read-only registers are ignored; writes to reserved offsets
 * record "illegal register address".  Only the writable bits of each
 * register change.
 *
 * Return: 0, or -ENXIO as for hvx_lapic_read().
 */
int hvx_lapic_write(struct hvx_lapic *l, unsigned int offset, unsigned int len,
		    u32 val, u64 now_ns, struct hvx_lapic_effects *eff);

/**
 * hvx_lapic_rdmsr() - RDMSR of an x2APIC register (0x800-0x8ff)
 * @l:		the APIC
 * @msr:	the MSR
 * @now_ns:	current time, for the timer's current count
 * @val:	the value read; the ICR is 64 bits, the rest 32
 *
 * Return: 0, or -EINVAL for #GP: not in x2APIC mode, no such register
 * (APR, RRD, DFR, ICR2 are gone) or a write-only one (EOI, SELF IPI).
 */
int hvx_lapic_rdmsr(struct hvx_lapic *l, u32 msr, u64 now_ns, u64 *val);

/**
 * hvx_lapic_wrmsr() - WRMSR of an x2APIC register (0x800-0x8ff)
 * @l:		the APIC
 * @msr:	the MSR
 * @val:	the value written
 * @now_ns:	current time, for the timer
 * @eff:	what the caller must do next
 *
 * Return: 0, or -EINVAL for #GP: not in x2APIC mode, no such register, a
 * read-only one, a reserved bit set, a non-zero EOI or ESR write.
 */
int hvx_lapic_wrmsr(struct hvx_lapic *l, u32 msr, u64 val, u64 now_ns,
		    struct hvx_lapic_effects *eff);

/**
 * hvx_lapic_set_base() - write IA32_APIC_BASE
 * @l:		the APIC
 * @val:	the new value
 * @host:	written by the VMM (restore): any valid state may be set
 *		directly, the guest's transition rules do not apply
 * @eff:	what the caller must do next
 *
 * The guest may go disabled -> xAPIC -> x2APIC and from either enabled
 * mode to disabled; x2APIC -> xAPIC, disabled -> x2APIC and EXTD without
 * EN fault.  Disabling resets the APIC to its power-on state (keeping the
 * base address and BSP flag); entering x2APIC mode sets the 32-bit ID and
 * the derived LDR.  The BSP flag is writable, as KVM has it.
 *
 * Return: 0, or -EINVAL for #GP (reserved bit, illegal transition).
 */
int hvx_lapic_set_base(struct hvx_lapic *l, u64 val, bool host,
		       struct hvx_lapic_effects *eff);

/**
 * hvx_lapic_set_tsc_deadline() - write IA32_TSC_DEADLINE
 * @l:		the APIC
 * @tsc:	the guest's value, 0 to disarm
 * @deadline_ns: @tsc converted by the caller to its clock (ignored if
 *		@tsc is 0)
 * @now_ns:	current time: a deadline already past fires at once
 * @eff:	what the caller must do next
 *
 * Ignored unless the timer is in TSC-deadline mode.  hvx_lapic_timer_next()
 * then reports @deadline_ns.
 */
void hvx_lapic_set_tsc_deadline(struct hvx_lapic *l, u64 tsc, u64 deadline_ns,
				u64 now_ns, struct hvx_lapic_effects *eff);

/**
 * hvx_lapic_tsc_deadline() - read IA32_TSC_DEADLINE
 * @l:	the APIC
 *
 * Return: the armed deadline, 0 once it fired or outside TSC-deadline mode.
 */
u64 hvx_lapic_tsc_deadline(const struct hvx_lapic *l);

/**
 * hvx_lapic_accept() - accept a fixed or lowest-priority interrupt
 * @l:		the APIC
 * @vector:	the vector
 * @level:	level-triggered: the TMR bit is set, else cleared
 *
 * Vectors 0-15 are refused with "received illegal vector", which puts
 * the error LVT's vector into the IRR instead when that entry is unmasked.
 * A software-disabled APIC refuses them too: the SDM has it answer only
 * INIT, NMI, SMI and SIPI; interrupts already in the IRR stay there.  The
 * IRR bit is set atomically: the caller may be another CPU while the
 * processor delivers from the same page (APIC virtualization).
 *
 * Return: true if a vector is (now) in the IRR: @vector, or the error
 * interrupt's.
 */
bool hvx_lapic_accept(struct hvx_lapic *l, u8 vector, bool level);

/**
 * hvx_lapic_deliver() - deliver an interrupt message to this APIC
 * @l:		the APIC, one the message's destination matched
 * @irq:	the message
 *
 * Fixed and lowest priority go to hvx_lapic_accept(); the other delivery
 * modes are for the caller to act on.  An INIT level de-assert is dropped.
 *
 * Return: what became of it.
 */
enum hvx_lapic_delivery hvx_lapic_deliver(struct hvx_lapic *l,
					  const struct hvx_lapic_irq *irq);

/**
 * hvx_lapic_lvt_deliver() - a local interrupt source fires
 * @l:		the APIC
 * @lvt:	enum hvx_lapic_lvt: LINT0/LINT1 from the caller's PIC or NMI
 *		wiring, PMC, thermal, CMCI; the timer and error entries are
 *		signalled from inside
 *
 * Follows the entry's mask and delivery mode.  On a globally disabled APIC
 * LINT0 is the INTR pin (EXTINT) and LINT1 the NMI pin.
 *
 * Return: what became of it.
 */
enum hvx_lapic_delivery hvx_lapic_lvt_deliver(struct hvx_lapic *l,
					      enum hvx_lapic_lvt lvt);

/**
 * hvx_lapic_highest_pending() - the interrupt the vCPU should take now
 * @l:	the APIC
 *
 * Return: the highest vector in the IRR if its priority class is above
 * the PPR's, else -1.
 */
int hvx_lapic_highest_pending(const struct hvx_lapic *l);

/**
 * hvx_lapic_ack() - the vCPU took @vector (it was injected)
 * @l:		the APIC
 * @vector:	the vector hvx_lapic_highest_pending() returned
 *
 * Moves it from the IRR to the ISR and raises the PPR.
 */
void hvx_lapic_ack(struct hvx_lapic *l, u8 vector);

/**
 * hvx_lapic_eoi() - end of interrupt
 * @l:		the APIC
 * @eff:	receives HVX_LAPIC_EFF_EOI and the eoi_* fields, and
 *		HVX_LAPIC_EFF_EVAL when an interrupt is due now
 *
 * Retires the highest vector in the ISR; its TMR bit says whether the
 * caller must forward the EOI to the I/O APIC.
 *
 * Return: the vector retired, or -1 if the ISR was empty.
 */
int hvx_lapic_eoi(struct hvx_lapic *l, struct hvx_lapic_effects *eff);

/**
 * hvx_lapic_eoi_done() - the processor retired @vector itself
 * @l:		the APIC, whose ISR bit for @vector is already clear
 * @vector:	the vector (virtual-interrupt delivery's EOI virtualization)
 * @eff:	receives HVX_LAPIC_EFF_EOI and the eoi_* fields, as
 *		hvx_lapic_eoi() gives them
 */
void hvx_lapic_eoi_done(struct hvx_lapic *l, u8 vector,
			struct hvx_lapic_effects *eff);

/**
 * hvx_lapic_vid_status() - the guest interrupt status for @l's registers
 * @l:	the APIC
 *
 * Return: the highest vector in the ISR in bits 15:8 (SVI) and the highest
 * in the IRR in bits 7:0 (RVI), each 0 when there is none.
 */
u16 hvx_lapic_vid_status(const struct hvx_lapic *l);

/**
 * hvx_lapic_irr_highest() - the highest requested vector
 * @l:	the APIC
 *
 * Return: the highest vector in the IRR, or -1 when it is empty.
 */
int hvx_lapic_irr_highest(const struct hvx_lapic *l);

/**
 * hvx_lapic_x2apic_hw_access() - may the processor serve this x2APIC MSR
 * @msr:	0x800-0x8ff
 * @write:	WRMSR, else RDMSR
 *
 * With APIC-register virtualization the processor reads x2APIC registers
 * from the page, and with virtual-interrupt delivery it writes TPR, EOI and
 * SELF IPI itself.  Registers it would get wrong stay with the model: the
 * current count (computed, not stored), the ICR (the processor reads its
 * destination at 304H, the model keeps it at 310H), those x2APIC mode
 * does not have, the optional CMCI entry and every other write.
 *
 * Return: true if the access need not exit.
 */
bool hvx_lapic_x2apic_hw_access(u32 msr, bool write);

/**
 * hvx_lapic_ppr() - processor priority
 * @l:	the APIC
 *
 * Return: the TPR if its class is at least that of the highest in-service
 * vector, else that vector's class (low nibble 0).
 */
u32 hvx_lapic_ppr(const struct hvx_lapic *l);

/**
 * hvx_lapic_apr() - arbitration priority, for lowest-priority delivery
 * @l:	the APIC
 *
 * Return: the TPR if its class is at least that of the highest requested
 * and above that of the highest in-service vector; else the highest of the
 * three classes.
 */
u32 hvx_lapic_apr(const struct hvx_lapic *l);

/**
 * hvx_lapic_match_dest() - is this APIC a destination of @irq
 * @l:		the APIC
 * @source_is_self: @l sent the IPI (for the shorthands)
 * @irq:	the message: shorthand, destination mode and destination
 *
 * Physical: the APIC ID or the broadcast ID (0xff, or 0xffffffff in x2APIC
 * format).  Logical xAPIC: the flat model ANDs LDR and destination bits;
 * the cluster model compares the high nibbles and ANDs the low ones; 0xff
 * is a broadcast in both.  Logical x2APIC: cluster in bits 31:16 equal,
 * member bits 15:0 ANDed.  A globally disabled APIC matches nothing.
 *
 * Return: true if @l is a destination.
 */
bool hvx_lapic_match_dest(const struct hvx_lapic *l, bool source_is_self,
			  const struct hvx_lapic_irq *irq);

/* Above every APR: the best so far before the first candidate. */
#define HVX_LAPIC_APR_NONE	0x100

/**
 * hvx_lapic_lowest_prio_beats() - does this APIC win lowest priority so far
 * @l:		an APIC the destination matched
 * @best_apr:	the best candidate's APR so far, HVX_LAPIC_APR_NONE before
 *		the first; set to @l's if @l wins
 *
 * A caller asks it of each matching APIC in turn, so that a message to
 * any number of vCPUs needs no list of them.  The software-enabled APIC
 * with the lowest arbitration priority wins; a tie keeps the earlier one,
 * so a caller that goes in vCPU index order gets "lowest vCPU index"
 * (hardware may pick any).  Focus processor checking is not done.
 *
 * Return: true if @l is software-enabled and its APR below *@best_apr.
 */
bool hvx_lapic_lowest_prio_beats(const struct hvx_lapic *l, u32 *best_apr);

/**
 * hvx_msi_decode() - decode an MSI address/data pair
 * @address:	the MSI address: bits 31:20 must be 0xfee, bits 63:32 0
 * @data:	the MSI data
 * @irq:	the message, shorthand NONE
 *
 * Destination ID in address bits 19:12; address bits 11:5 are taken as an
 * extended destination ID (bits 14:8 of a 15-bit ID, as KVM and QEMU
 * define it) and make the destination x2APIC format.  Redirection hint bit
 * 3, destination mode bit 2; data: vector 7:0, delivery mode 10:8, level
 * 14, trigger 15.
 *
 * Return: 0, or -EINVAL for an address outside 0xfee00000-0xfeefffff, a
 * reserved delivery mode (3, 6) or a vector below 16 with fixed or
 * lowest-priority delivery.
 */
int hvx_msi_decode(u64 address, u32 data, struct hvx_lapic_irq *irq);

/**
 * hvx_lapic_timer_divide() - the divisor of the divide configuration
 * @dcr:	the divide configuration register (bits 0, 1, 3)
 *
 * Return: 1, 2, 4, ... or 128.
 */
unsigned int hvx_lapic_timer_divide(u32 dcr);

/**
 * hvx_lapic_timer_next() - when the timer fires next
 * @l:	the APIC
 *
 * Return: the absolute expiry in the caller's nanoseconds, or
 * HVX_LAPIC_TIMER_NONE.  A masked timer still expires (a periodic one
 * keeps counting), it just raises nothing.
 */
u64 hvx_lapic_timer_next(const struct hvx_lapic *l);

/**
 * hvx_lapic_timer_expired() - the caller's timer for this APIC fired
 * @l:		the APIC
 * @now_ns:	current time
 *
 * Raises the LVT timer vector unless masked, rearms a periodic timer at the
 * next period boundary after @now_ns (periods missed meanwhile coalesce
 * into one interrupt) and disarms the others.  Calls before the expiry do
 * nothing.
 *
 * Return: true if the timer expired (then hvx_lapic_timer_next() has the
 * next expiry, and an interrupt may be pending).
 */
bool hvx_lapic_timer_expired(struct hvx_lapic *l, u64 now_ns);

/**
 * hvx_lapic_current_count() - the timer's current count at @now_ns
 * @l:		the APIC
 * @now_ns:	current time
 *
 * Return: 0 when stopped, run down, or in TSC-deadline mode.
 */
u32 hvx_lapic_current_count(const struct hvx_lapic *l, u64 now_ns);

/**
 * hvx_lapic_save() - the state for a snapshot (HVX_GET_LAPIC)
 * @l:		the APIC
 * @now_ns:	current time: the timer's times are saved relative to it
 * @s:		filled in completely; the current-count register holds the
 *		count at @now_ns, for the reader's information
 */
void hvx_lapic_save(const struct hvx_lapic *l, u64 now_ns,
		    struct hvx_lapic_state *s);

/**
 * hvx_lapic_restore() - load a snapshot
 * @l:		the APIC; @l->cfg is kept
 * @s:		the state
 * @now_ns:	current time: the relative times are rebased onto it
 * @eff:	what the caller must do next (everything: re-route, re-arm,
 *		re-evaluate)
 *
 * Any state a guest could have brought the APIC into is accepted, mode
 * included (the guest's transition rules do not apply to a restore).
 * The version, PPR, APR and current count are derived, not loaded.
 *
 * Return: 0, or -EINVAL, with @l untouched, for: an invalid
 * IA32_APIC_BASE (reserved bits, EXTD without EN, x2APIC without the
 * feature); non-zero padding, unknown flags, a bit set in a reserved
 * word or one a register cannot hold (vectors 0-15 in the ISR, TMR or
 * IRR, DFR bits 27:0 not all ones, a feature's bit without the
 * feature); an x2APIC ID or LDR that does not follow from @s->apic_id;
 * an armed timer with nothing to count (no initial count, no deadline,
 * no period) or a start in the future; a period longer than the longest
 * count; an expiry outside 0 to S64_MAX ns of @now_ns's clock, or for a
 * counting timer more than one period ahead.
 */
int hvx_lapic_restore(struct hvx_lapic *l, const struct hvx_lapic_state *s,
		      u64 now_ns, struct hvx_lapic_effects *eff);

#endif /* HVX_MODULE_LAPIC_H */
