// SPDX-License-Identifier: GPL-2.0
/*
 * stress_regress_test: what make stress (tests/stress/) found, kept in
 * make check so that it stays fixed.
 *
 * - A TSC deadline so far ahead that its distance in ns does not fit in
 *   64 bits (IA32_TSC_DEADLINE near 2^64, from the guest's WRMSR or from
 *   HVX_SET_MSRS) made the host divide with an overflowing quotient: a
 *   divide error in hvx_apic_msr().  Such a deadline is armed and never
 *   fires.
 */
#include "hvx_harness.h"

#define X2APIC_MSR(off)		(0x800 + ((off) >> 4))
#define APIC_SVR		0x0f0
#define APIC_LVTT		0x320
#define APIC_BASE_EXTD		(1ULL << 10)
#define TIMER_VEC		0x60
#define LVTT_DEADLINE		(2 << 17)

static const uint64_t far_deadlines[] = {
	~0ULL, ~0ULL - 1, 1ULL << 63, 0x742cca515081ff6aULL, 1ULL << 45,
};

static void guest_far_deadline(void)
{
	unsigned int i;

	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
	wrmsr(X2APIC_MSR(APIC_SVR), 0x1ff);
	wrmsr(X2APIC_MSR(APIC_LVTT), LVTT_DEADLINE | TIMER_VEC);
	for (i = 0; i < ARRAY_SIZE(far_deadlines); i++) {
		wrmsr(MSR_TSC_DEADLINE, far_deadlines[i]);
		/* armed: it reads back until it fires, which it never does */
		GUEST_ASSERT_EQ(rdmsr(MSR_TSC_DEADLINE), far_deadlines[i]);
		GUEST_SYNC(i);
	}
	wrmsr(MSR_TSC_DEADLINE, 0);
	GUEST_DONE();
}

HVX_GUEST_TEST(far_tsc_deadline_from_guest, guest_far_deadline)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(far_deadlines); i++)
		vcpu_expect_sync(vcpu, i);
	vcpu_expect_done(vcpu);
}

static void guest_done(void)
{
	GUEST_SYNC(0);
	GUEST_DONE();
}

HVX_GUEST_TEST(far_tsc_deadline_from_host, guest_done)
{
	unsigned int i;

	/* with the timer in any mode: the conversion came first */
	for (i = 0; i < ARRAY_SIZE(far_deadlines); i++)
		EXPECT_EQ(0, hvx_set_msr(vcpu->fd, MSR_TSC_DEADLINE,
					 far_deadlines[i]));
	vcpu_expect_sync(vcpu, 0);
	vcpu_expect_done(vcpu);
}

TEST_HARNESS_MAIN
