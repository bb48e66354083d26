// SPDX-License-Identifier: GPL-2.0
/*
 * eoi_test: what an I/O APIC in userspace needs from the in-kernel local
 * APICs, and their state (irqfd_test has the irqfds).
 *
 * - HVX_EXIT_EOI: a level-triggered MSI's EOI (xAPIC page and x2APIC
 *   MSR) exits with the vector, after the EOI took effect; an
 *   edge-triggered one does not exit.  With HVX_OPT_DIRECTED_EOI and
 *   SVR bit 12 the guest EOIs the I/O APIC itself: no exit.
 * - HVX_GET_LAPIC/HVX_SET_LAPIC: ID, TPR, timer, IRR seen by a get; a
 *   set the guest sees (TPR, an in-service level vector whose EOI then
 *   exits), the timer's count going on across it; bad states (an expiry
 *   no clock reaches among them) refused with nothing changed, not even
 *   a level-triggered interrupt APIC virtualization holds back.
 */

#include "hvx_harness.h"

#define APIC_GPA	0xfee00000UL
#define APIC_ID		0x020
#define APIC_VERSION	0x030
#define APIC_TPR	0x080
#define APIC_EOI	0x0b0
#define APIC_SVR	0x0f0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_LVTT	0x320
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0

#define X2APIC_MSR(off)	(0x800 + ((off) >> 4))
#define APIC_BASE_EXTD	(1ULL << 10)

#define MSI_ADDR	0xfee00000ULL		/* physical, APIC ID 0 */
#define MSI_LEVEL	((1U << 15) | (1U << 14))	/* trigger, assert */

#define LEVEL_VEC	0x70
#define EDGE_VEC	0x71
#define PENDING_VEC	0x50
#define INSERVICE_VEC	0x60
#define TIMER_VEC	0x40
#define TIMER_COUNT	4000000000U		/* 4 s at the 1 GHz clock */

static volatile uint64_t hits;

static uint32_t apic_r(uint32_t off)
{
	return *(volatile uint32_t *)(APIC_GPA + off);
}

static void apic_w(uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(APIC_GPA + off) = v;
}

static void xapic_handler(struct guest_ex_regs *regs)
{
	hits++;
	apic_w(APIC_EOI, 0);
}

static void x2apic_handler(struct guest_ex_regs *regs)
{
	hits++;
	wrmsr(X2APIC_MSR(APIC_EOI), 0);
}

/* The vector's bit in a 256-bit register of a state's page. */
static bool state_vec(const struct hvx_lapic_state *s, uint32_t base,
		      uint8_t vec)
{
	return s->regs[(base + (vec >> 5) * 16) / 4] & (1U << (vec & 31));
}

static void state_set_vec(struct hvx_lapic_state *s, uint32_t base,
			  uint8_t vec)
{
	s->regs[(base + (vec >> 5) * 16) / 4] |= 1U << (vec & 31);
}

#define REG(s, off)	((s)->regs[(off) / 4])

static void guest_eoi(uint64_t x2)
{
	if (x2) {
		wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
		wrmsr(X2APIC_MSR(APIC_SVR), 0x1ff);
	} else {
		apic_w(APIC_SVR, 0x1ff);
	}
	asm volatile("cli");
	GUEST_SYNC(0);
	/* the level MSI: its handler's EOI exits, then this goes on */
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(hits, 1);
	GUEST_SYNC(1);
	/* the edge MSI: its EOI does not exit */
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(hits, 2);
	GUEST_DONE();
}

static void eoi_exits(struct __test_metadata *_metadata,
		      struct test_vm *vm, struct test_vcpu *vcpu, bool x2)
{
	struct hvx_lapic_state s;

	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_EOI_EXIT,
		    "no HVX_FEAT_EOI_EXIT");
	vm_install_exception_handler(vm, LEVEL_VEC,
				     x2 ? x2apic_handler : xapic_handler);
	vm_install_exception_handler(vm, EDGE_VEC,
				     x2 ? x2apic_handler : xapic_handler);
	vcpu_args_set(vcpu, 1, (uint64_t)x2);
	vcpu_expect_sync(vcpu, 0);
	EXPECT_EQ(1, hvx_signal_msi(vm->fd, MSI_ADDR, MSI_LEVEL | LEVEL_VEC));
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &s));
	EXPECT_TRUE(state_vec(&s, APIC_IRR, LEVEL_VEC));
	EXPECT_TRUE(state_vec(&s, APIC_TMR, LEVEL_VEC));

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_EOI);
	EXPECT_EQ(LEVEL_VEC, vcpu->run->eoi.vector);
	/* the EOI is done when userspace hears of it */
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &s));
	EXPECT_FALSE(state_vec(&s, APIC_ISR, LEVEL_VEC));
	EXPECT_FALSE(state_vec(&s, APIC_IRR, LEVEL_VEC));
	EXPECT_EQ(1, guest_global(vm, hits));

	vcpu_expect_sync(vcpu, 1);
	EXPECT_EQ(1, hvx_signal_msi(vm->fd, MSI_ADDR, EDGE_VEC));
	vcpu_expect_done(vcpu);
	EXPECT_EQ(2, guest_global(vm, hits));
}

HVX_GUEST_TEST(level_eoi_exits_xapic, guest_eoi)
{
	eoi_exits(_metadata, vm, vcpu, false);
}

HVX_GUEST_TEST(level_eoi_exits_x2apic, guest_eoi)
{
	eoi_exits(_metadata, vm, vcpu, true);
}

static void guest_directed_eoi(void)
{
	/* version bit 24: EOI-broadcast suppression is offered */
	GUEST_ASSERT(apic_r(APIC_VERSION) & (1U << 24));
	apic_w(APIC_SVR, 0x11ff);
	asm volatile("cli");
	GUEST_SYNC(0);
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(hits, 1);
	/* broadcast on again: the next level EOI exits */
	apic_w(APIC_SVR, 0x1ff);
	GUEST_SYNC(1);
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(hits, 2);
	GUEST_DONE();
}

HVX_TEST(directed_eoi_suppresses_exit)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_DIRECTED_EOI,
		    "no HVX_FEAT_DIRECTED_EOI");
	vm = vm_create(VM_RAM_SIZE_DEFAULT);
	EXPECT_EQ(-1, hvx_vm_set_option(vm->fd, HVX_OPT_DIRECTED_EOI, 2));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, hvx_vm_set_option(vm->fd, HVX_OPT_DIRECTED_EOI, 1));
	vcpu = vm_vcpu_add(vm, 0, guest_directed_eoi);
	/* the version register is the APIC's from its creation on */
	EXPECT_EQ(-1, hvx_vm_set_option(vm->fd, HVX_OPT_DIRECTED_EOI, 0));
	EXPECT_EQ(EBUSY, errno);
	vm_install_exception_handler(vm, LEVEL_VEC, xapic_handler);

	vcpu_expect_sync(vcpu, 0);
	EXPECT_EQ(1, hvx_signal_msi(vm->fd, MSI_ADDR, MSI_LEVEL | LEVEL_VEC));
	vcpu_expect_sync(vcpu, 1);
	EXPECT_EQ(1, hvx_signal_msi(vm->fd, MSI_ADDR, MSI_LEVEL | LEVEL_VEC));
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_EOI);
	EXPECT_EQ(LEVEL_VEC, vcpu->run->eoi.vector);
	vcpu_expect_done(vcpu);
	vm_free(vm);
}

/* LAPIC state */

static void guest_lapic_state(void)
{
	uint32_t count;

	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_TPR, 0x20);
	apic_w(APIC_TDCR, 0xb);				/* divide by 1 */
	apic_w(APIC_LVTT, (1 << 16) | TIMER_VEC);	/* masked one-shot */
	apic_w(APIC_TMICT, TIMER_COUNT);
	asm volatile("cli");
	GUEST_SYNC(0);
	/* the host's set: TPR 0x10, 0x60 in service (level) */
	GUEST_ASSERT_EQ(apic_r(APIC_TPR), 0x10);
	GUEST_ASSERT_EQ(apic_r(APIC_ISR + 0x30), 1);
	count = apic_r(APIC_TMCCT);
	GUEST_SYNC(count);
	/* 0x60 in service holds the pending 0x50 back until its EOI */
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(hits, 0);
	apic_w(APIC_EOI, 0);
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(hits, 1);
	GUEST_DONE();
}

HVX_GUEST_TEST(lapic_state_round_trip, guest_lapic_state)
{
	struct hvx_lapic_state s, set, now;
	struct ucall uc;

	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_LAPIC_STATE,
		    "no HVX_FEAT_LAPIC_STATE");
	vm_install_exception_handler(vm, PENDING_VEC, xapic_handler);
	vcpu_expect_sync(vcpu, 0);
	/* interrupts are off in the guest: this one stays in the IRR */
	EXPECT_EQ(1, hvx_signal_msi(vm->fd, MSI_ADDR, PENDING_VEC));

	memset(&s, 0xa5, sizeof(s));
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &s));
	EXPECT_EQ(0, s.apic_id);
	EXPECT_EQ(0xfee00900, s.apic_base);		/* EN, BSP */
	EXPECT_EQ(0, REG(&s, APIC_ID));
	EXPECT_EQ(0x20, REG(&s, APIC_TPR));
	EXPECT_EQ(0x1ff, REG(&s, APIC_SVR));
	EXPECT_EQ((1U << 16) | TIMER_VEC, REG(&s, APIC_LVTT));
	EXPECT_EQ(TIMER_COUNT, REG(&s, APIC_TMICT));
	EXPECT_LT(0, REG(&s, APIC_TMCCT));
	EXPECT_GE(TIMER_COUNT, REG(&s, APIC_TMCCT));
	EXPECT_TRUE(state_vec(&s, APIC_IRR, PENDING_VEC));
	EXPECT_FALSE(state_vec(&s, APIC_ISR, PENDING_VEC));
	EXPECT_EQ(HVX_LAPIC_STATE_TIMER_ARMED, s.flags);
	EXPECT_LT(0, s.timer_next_ns);
	EXPECT_GE((int64_t)TIMER_COUNT, s.timer_next_ns);
	EXPECT_EQ(0, s.pad);
	EXPECT_EQ(0, REG(&s, 0x010));			/* reserved */

	set = s;
	REG(&set, APIC_TPR) = 0x10;
	state_set_vec(&set, APIC_ISR, INSERVICE_VEC);
	state_set_vec(&set, APIC_TMR, INSERVICE_VEC);
	ASSERT_EQ(0, hvx_set_lapic(vcpu->fd, &set));
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &now));
	EXPECT_EQ(0x10, REG(&now, APIC_TPR));
	EXPECT_EQ(0x60, REG(&now, 0x0a0));		/* PPR: 0x60 in service */
	EXPECT_TRUE(state_vec(&now, APIC_IRR, PENDING_VEC));
	EXPECT_TRUE(state_vec(&now, APIC_ISR, INSERVICE_VEC));
	/* the count went on from where it was, not from the initial count */
	EXPECT_GE(REG(&s, APIC_TMCCT), REG(&now, APIC_TMCCT));
	EXPECT_LT(0, REG(&now, APIC_TMCCT));

	/* Refused, and nothing of them taken. */
	set = now;
	set.pad = 1;
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));
	EXPECT_EQ(EINVAL, errno);
	set = now;
	set.flags = 2;
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));
	EXPECT_EQ(EINVAL, errno);
	set = now;
	set.apic_base |= 1;				/* reserved bit */
	REG(&set, APIC_TPR) = 0x30;
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));
	EXPECT_EQ(EINVAL, errno);
	set = now;
	set.apic_base = (set.apic_base & ~(1ULL << 11)) | APIC_BASE_EXTD;
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));	/* x2APIC, no EN */
	EXPECT_EQ(EINVAL, errno);
	set = now;
	REG(&set, 0x010) = 1;
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));
	EXPECT_EQ(EINVAL, errno);
	set = now;
	REG(&set, 0x0e0) = 0xf0000000;			/* DFR: 27:0 are ones */
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));
	EXPECT_EQ(EINVAL, errno);
	set = now;
	state_set_vec(&set, APIC_ISR, 3);
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));
	EXPECT_EQ(EINVAL, errno);
	set = now;
	set.apic_id = 1;				/* another vCPU's */
	REG(&set, APIC_ID) = 1 << 24;
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));
	EXPECT_EQ(EINVAL, errno);
	/* a count that goes on but never fires; one at another rate */
	set = now;
	set.flags = 0;
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));
	EXPECT_EQ(EINVAL, errno);
	set = now;
	set.timer_period_ns *= 2;
	set.timer_next_ns += now.timer_period_ns;
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));
	EXPECT_EQ(EINVAL, errno);
	/*
	 * An expiry no clock reaches: once taken, the hrtimer fired at
	 * once and rearmed in the same place for ever (a host lockup).
	 */
	set = now;
	set.timer_next_ns = INT64_MAX;
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));
	EXPECT_EQ(EINVAL, errno);
	set.timer_next_ns = INT64_MIN;
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));
	EXPECT_EQ(EINVAL, errno);
	/* a one-shot count fires within one period */
	set.timer_next_ns = set.timer_period_ns + 1;
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &set));
	EXPECT_EQ(0x10, REG(&set, APIC_TPR));
	EXPECT_EQ(0, REG(&set, APIC_ID));
	EXPECT_EQ(now.apic_base, set.apic_base);
	/* the timer as it was: no refused expiry or period taken */
	EXPECT_EQ(now.flags, set.flags);
	EXPECT_EQ(now.timer_period_ns, set.timer_period_ns);
	EXPECT_LE(set.timer_next_ns, now.timer_next_ns);
	EXPECT_EQ(0, memcmp(&now.regs[APIC_ISR / 4], &set.regs[APIC_ISR / 4],
			    0x180));

	ASSERT_EQ(UCALL_SYNC, vcpu_get_ucall(vcpu, &uc));
	EXPECT_GE(REG(&now, APIC_TMCCT), uc.args[0]);
	EXPECT_LT(0, uc.args[0]);
	/* the restored in-service vector is level-triggered: its EOI exits */
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_EOI);
	EXPECT_EQ(INSERVICE_VEC, vcpu->run->eoi.vector);
	vcpu_expect_done(vcpu);
}

static void guest_apic_on_idle(void)
{
	apic_w(APIC_SVR, 0x1ff);
	asm volatile("cli");
	GUEST_SYNC(0);
	GUEST_DONE();
}

/*
 * A level-triggered MSI to a vCPU that is out of the guest: with APIC
 * virtualization it waits beside the IRR for the vCPU's thread.  A set
 * that is refused changes nothing, so the interrupt is still there.
 */
HVX_GUEST_TEST(lapic_set_refused_keeps_level_irq, guest_apic_on_idle)
{
	struct hvx_lapic_state s, set;

	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_LAPIC_STATE,
		    "no HVX_FEAT_LAPIC_STATE");
	vcpu_expect_sync(vcpu, 0);
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &s));
	EXPECT_EQ(1, hvx_signal_msi(vm->fd, MSI_ADDR, MSI_LEVEL | LEVEL_VEC));
	set = s;
	set.pad = 1;
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &s));
	EXPECT_TRUE(state_vec(&s, APIC_IRR, LEVEL_VEC));
	EXPECT_TRUE(state_vec(&s, APIC_TMR, LEVEL_VEC));
	set = s;
	set.esr_pending = 0x100;			/* the ESR has 8 bits */
	EXPECT_EQ(-1, hvx_set_lapic(vcpu->fd, &set));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &set));
	EXPECT_EQ(s.esr_pending, set.esr_pending);
	EXPECT_TRUE(state_vec(&set, APIC_IRR, LEVEL_VEC));
	vcpu_expect_done(vcpu);
}

TEST_HARNESS_MAIN
