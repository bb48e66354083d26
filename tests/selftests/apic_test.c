// SPDX-License-Identifier: GPL-2.0
/*
 * apic_test: the in-kernel local APIC seen from long-mode guests.
 *
 * - xAPIC: the page at 0xfee00000, a self IPI through the ICR, EOI.
 * - x2APIC: switched on through IA32_APIC_BASE, the SELF IPI MSR, the ICR
 *   (#GP in xAPIC mode and for a reserved bit), EOI.
 * - Priorities: an interrupt held back by a higher one in service is
 *   taken right after that one's EOI, in both modes.
 * - The timer: one-shot and periodic (HLT sleeps in the kernel until the
 *   tick; a periodic run lasts at least its ticks' worth of host time;
 *   the ticks of a 1 ns period come at least 200 us apart) and
 *   TSC-deadline mode, whose deadline moves with writes of the TSC;
 *   while the guest spins (no HLT) the VMX-preemption timer delivers
 *   the ticks, never before their time.
 * - IPIs between two vCPUs: fixed (waking a halted vCPU) and NMI
 *   (INIT and SIPI are mp_test's).
 * - IPIs to every kind of destination among three vCPUs (shorthands, a
 *   logical set, a physical ID, broadcast, lowest priority), both modes.
 * - CPUID shows the APIC, x2APIC and TSC deadline; CR8 is TPR[7:4].
 * - Halt-poll: with halt_poll_ns set, a halt the timer ends soon ends
 *   while the vCPU polls (hvx-stat counts it); with 0 it sleeps.  The
 *   window grows with short halts and shrinks to nothing with long ones.
 * - HVX_SIGNAL_MSI: delivered, dropped for a missing destination (and
 *   for SMI and ExtINT delivery),
 *   refused (EINVAL) outside the MSI range, below vector 16, for a
 *   reserved delivery mode.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "hvx_harness.h"
#include "vcpu_pair.h"
#include "xapic.h"

#define X2APIC_SELF_IPI		0x83f
#define APIC_BASE_EXTD		(1ULL << 10)

#define IPI_VEC		0x50
#define TIMER_VEC	0x60
#define TICKS		20
#define TICK_NS		2000000ULL	/* 2 ms at the 1 GHz APIC clock */

static volatile uint64_t hits, ticks;

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

static void tick_handler(struct guest_ex_regs *regs)
{
	ticks++;
	apic_w(APIC_EOI, 0);
}

static void guest_xapic_self_ipi(void)
{
	uint32_t a, b, c, d;

	cpuid_count(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT(d & (1 << 9));		/* APIC */
	GUEST_ASSERT(c & (1 << 21));		/* x2APIC */
	GUEST_ASSERT(c & (1 << 24));		/* TSC deadline */
	GUEST_ASSERT_EQ(rdmsr(MSR_APIC_BASE) & ~0xfffULL, APIC_GPA);
	GUEST_ASSERT_EQ(apic_r(APIC_ID) >> 24, 0);
	apic_w(APIC_SVR, 0x1ff);		/* software enable */
	/* self shorthand, fixed: pending until interrupts are on */
	asm volatile("cli");
	apic_w(APIC_ICR, (1 << 18) | IPI_VEC);
	GUEST_ASSERT_EQ(hits, 0);
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(hits, 1);
	/* TPR 6 holds vector 0x50's class 5 off until it drops */
	asm volatile("mov %0, %%cr8" : : "r"(6UL));
	GUEST_ASSERT_EQ(apic_r(APIC_TPR), 0x60);
	apic_w(APIC_ICR, (1 << 18) | IPI_VEC);
	asm volatile("sti; nop; nop; cli");
	GUEST_ASSERT_EQ(hits, 1);
	asm volatile("mov %0, %%cr8" : : "r"(0UL));
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(hits, 2);
	GUEST_DONE();
}

HVX_GUEST_TEST(xapic_self_ipi, guest_xapic_self_ipi)
{
	vm_install_exception_handler(vm, IPI_VEC, xapic_handler);
	vcpu_expect_done(vcpu);
}

static void guest_x2apic(void)
{
	uint64_t self_ipi = (1 << 18) | IPI_VEC;

	/* the x2APIC MSRs #GP while the APIC is in xAPIC mode */
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_ICR), self_ipi), GP_VECTOR);
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_ID)), 0);
	wrmsr(X2APIC_MSR(APIC_SVR), 0x1ff);
	asm volatile("cli");
	wrmsr(X2APIC_SELF_IPI, IPI_VEC);
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(hits, 1);
	/* ICR bit 13 is reserved: #GP and no IPI */
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_MSR(APIC_ICR), self_ipi | (1 << 13)),
			GP_VECTOR);
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(hits, 1);
	/* the self shorthand through the ICR (the WRMSR exit's fast path) */
	wrmsr(X2APIC_MSR(APIC_ICR), self_ipi);
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(hits, 2);
	GUEST_DONE();
}

HVX_GUEST_TEST(x2apic_self_ipi, guest_x2apic)
{
	vm_install_exception_handler(vm, IPI_VEC, x2apic_handler);
	vcpu_expect_done(vcpu);
}

/*
 * A lower-priority interrupt that arrives while a higher one is in
 * service waits for the higher one's EOI, and is taken at the first
 * instruction boundary after it, in both modes (in x2APIC mode the EOI
 * is served on the WRMSR exit's fast path).
 */
#define LOW_VEC		0x41
#define HIGH_VEC	0x81

static volatile uint64_t low_hits, high_hits;
static volatile bool in_x2apic;

static void eoi(void)
{
	if (in_x2apic)
		wrmsr(X2APIC_MSR(APIC_EOI), 0);
	else
		apic_w(APIC_EOI, 0);
}

static void self_ipi(uint8_t vec)
{
	if (in_x2apic)
		wrmsr(X2APIC_SELF_IPI, vec);
	else
		apic_w(APIC_ICR, (1 << 18) | vec);
}

static void low_handler(struct guest_ex_regs *regs)
{
	low_hits++;
	eoi();
}

static void high_handler(struct guest_ex_regs *regs)
{
	uint64_t before = low_hits;

	high_hits++;
	self_ipi(LOW_VEC);
	/* interrupts on: class 4 still waits behind class 8 in service */
	asm volatile("sti; nop; nop; cli");
	GUEST_ASSERT_EQ(low_hits, before);
	asm volatile("sti");
	eoi();
	asm volatile("nop; cli");
	GUEST_ASSERT_EQ(low_hits, before + 1);
}

static void eoi_round(void)
{
	uint64_t low = low_hits, high = high_hits;

	asm volatile("cli");
	self_ipi(HIGH_VEC);
	asm volatile("sti; nop; cli");
	GUEST_ASSERT_EQ(high_hits, high + 1);
	GUEST_ASSERT_EQ(low_hits, low + 1);
	/* and nothing else comes after it */
	asm volatile("sti; nop; nop; cli");
	GUEST_ASSERT_EQ(low_hits, low + 1);
}

static void guest_eoi_lets_lower_through(void)
{
	apic_w(APIC_SVR, 0x1ff);
	eoi_round();
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
	in_x2apic = true;
	eoi_round();
	eoi_round();
	GUEST_DONE();
}

HVX_GUEST_TEST(eoi_lets_lower_through, guest_eoi_lets_lower_through)
{
	vm_install_exception_handler(vm, LOW_VEC, low_handler);
	vm_install_exception_handler(vm, HIGH_VEC, high_handler);
	vcpu_expect_done(vcpu);
}

static void guest_timer_oneshot(void)
{
	uint32_t c1, c2;

	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_TDCR, 0xb);			/* divide by 1 */
	apic_w(APIC_LVTT, TIMER_VEC);		/* one-shot */
	apic_w(APIC_TMICT, 50 * 1000 * 1000);	/* 50 ms */
	c1 = apic_r(APIC_TMCCT);
	c2 = apic_r(APIC_TMCCT);
	GUEST_ASSERT(c1 > 0 && c1 <= 50 * 1000 * 1000);
	GUEST_ASSERT(c2 <= c1);
	/* asleep in HLT until the tick */
	while (!ticks)
		asm volatile("sti; hlt; cli");
	GUEST_ASSERT_EQ(ticks, 1);
	GUEST_ASSERT_EQ(apic_r(APIC_TMCCT), 0);
	GUEST_DONE();
}

HVX_GUEST_TEST(timer_oneshot_wakes_hlt, guest_timer_oneshot)
{
	vm_install_exception_handler(vm, TIMER_VEC, tick_handler);
	vcpu_expect_done(vcpu);
}

static void guest_timer_due_while_out(void)
{
	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_TDCR, 0xb);			/* divide by 1 */
	apic_w(APIC_LVTT, TIMER_VEC);		/* one-shot */
	apic_w(APIC_TMICT, 10 * 1000 * 1000);	/* 10 ms */
	GUEST_SYNC(0);
	while (!ticks)
		asm volatile("sti; hlt; cli");
	GUEST_ASSERT_EQ(ticks, 1);
	GUEST_DONE();
}

/*
 * A one-shot timer whose expiry passes while the vCPU is out of
 * HVX_RUN (nothing runs it then: the VMX-preemption timer counts only
 * in the guest): HVX_GET_LAPIC fires it first, so the state shows its
 * interrupt requested and no expiry in the past, which a restore on a
 * host up for less time than that expiry is overdue would refuse.  The
 * guest then takes the interrupt once.
 */
HVX_GUEST_TEST(get_lapic_fires_a_due_timer, guest_timer_due_while_out)
{
	struct hvx_lapic_state s;
	uint32_t irr;

	vm_install_exception_handler(vm, TIMER_VEC, tick_handler);
	vcpu_expect_sync(vcpu, 0);
	usleep(50 * 1000);
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &s));
	EXPECT_EQ(0, s.flags & HVX_LAPIC_STATE_TIMER_ARMED);
	irr = s.regs[(0x200 + TIMER_VEC / 32 * 0x10) / 4];
	EXPECT_TRUE(irr & (1U << (TIMER_VEC % 32)));
	EXPECT_EQ(0, s.regs[APIC_TMCCT / 4]);
	vcpu_expect_done(vcpu);
}

#define HALT_POLL_NS	HVX_PARAM("halt_poll_ns")

#define POLL_HALTS	20

/* @n halts, each ended by a one-shot tick @ns after it was armed */
static void timed_halts(int n, uint32_t ns)
{
	int i;

	for (i = 0; i < n; i++) {
		uint64_t t = ticks;

		apic_w(APIC_TMICT, ns);
		while (ticks == t)
			asm volatile("sti; hlt; cli");
	}
}

static void guest_halt_poll(void)
{
	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_TDCR, 0xb);
	apic_w(APIC_LVTT, TIMER_VEC);		/* one-shot */
	timed_halts(POLL_HALTS, TICK_NS);
	GUEST_SYNC(0);
	timed_halts(1, TICK_NS);
	GUEST_DONE();
}

HVX_GUEST_TEST(halt_poll_ends_halt, guest_halt_poll)
{
	uint64_t ok, fail, halts, ok2, fail2, halts2;
	unsigned long max;

	HVX_REQUIRE(access(HALT_POLL_NS, W_OK) == 0, "no %s", HALT_POLL_NS);
	HVX_REQUIRE(access(HVX_STAT, X_OK) == 0, "no %s", HVX_STAT);
	ASSERT_TRUE(hvx_param_get(HALT_POLL_NS, &max));
	vm_install_exception_handler(vm, TIMER_VEC, tick_handler);
	/*
	 * With up to 1 s, the window grows past the 2 ms tick within the
	 * 20 halts: a halt ends in the poll, unless another task wanted
	 * the CPU then (a kernel thread may).
	 */
	ASSERT_TRUE(hvx_param_set(HALT_POLL_NS, 1000000000UL));
	vcpu_expect_sync(vcpu, 0);
	ASSERT_TRUE(hvx_param_set(HALT_POLL_NS, 0));
	ASSERT_TRUE(vm_stat("halt_poll_ok", &ok));
	ASSERT_TRUE(vm_stat("halt_poll_fail", &fail));
	ASSERT_TRUE(vm_stat("halts", &halts));
	TH_LOG("%d halts: %llu ended in the poll, %llu slept", POLL_HALTS,
	       (unsigned long long)ok, (unsigned long long)halts);
	EXPECT_LE(1, ok);
	/* a poll cut short (another task woke up) ends in a sleep */
	EXPECT_GE(halts, fail);
	EXPECT_GE(POLL_HALTS, ok + halts);
	/* no polling: the same halt sleeps, whatever the vCPU's window */
	vcpu_expect_done(vcpu);
	ASSERT_TRUE(hvx_param_set(HALT_POLL_NS, max));
	ASSERT_TRUE(vm_stat("halt_poll_ok", &ok2));
	ASSERT_TRUE(vm_stat("halt_poll_fail", &fail2));
	ASSERT_TRUE(vm_stat("halts", &halts2));
	EXPECT_EQ(ok, ok2);
	EXPECT_EQ(fail, fail2);
	EXPECT_LT(halts, halts2);
}

#define SHORT_TICK_NS	500000		/* 0.5 ms */
#define LONG_TICK_NS	4000000		/* 4 ms */
#define SHRINK_HALTS	24
#define LONG_HALTS	8

static void guest_poll_adapts(void)
{
	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_TDCR, 0xb);
	apic_w(APIC_LVTT, TIMER_VEC);		/* one-shot */
	timed_halts(POLL_HALTS, SHORT_TICK_NS);
	GUEST_SYNC(0);
	timed_halts(SHRINK_HALTS, LONG_TICK_NS);
	GUEST_SYNC(1);
	timed_halts(LONG_HALTS, LONG_TICK_NS);
	GUEST_DONE();
}

/*
 * The window adapts: short halts make it grow (from 10 us, doubling)
 * until polls end them; halts longer than halt_poll_ns make it shrink:
 * cut to 200 us at most by the first, then halved by each, it is 0
 * after 19 of them (2^18 > 200000), and the vCPU polls no more.
 */
HVX_GUEST_TEST(halt_poll_adapts, guest_poll_adapts)
{
	static const char *const names[] = {
		HALT_POLL_NS, HVX_PARAM("halt_poll_ns_grow"),
		HVX_PARAM("halt_poll_ns_grow_start"),
		HVX_PARAM("halt_poll_ns_shrink"),
	};
	static const unsigned long want[] = { 5000000, 2, 10000, 2 };
	uint64_t ok[3], fail[3], halts[3];
	unsigned long old[4];
	bool set = true;
	int i;

	HVX_REQUIRE(access(HVX_STAT, X_OK) == 0, "no %s", HVX_STAT);
	for (i = 0; i < 4; i++)
		ASSERT_TRUE(hvx_param_get(names[i], &old[i]));
	/* KVM's defaults on x86: up to 200 us, 10 us doubling, halving */
	EXPECT_EQ(200000, old[0]);
	EXPECT_EQ(2, old[1]);
	EXPECT_EQ(10000, old[2]);
	EXPECT_EQ(2, old[3]);
	for (i = 0; i < 4; i++)
		set &= hvx_param_set(names[i], want[i]);
	vm_install_exception_handler(vm, TIMER_VEC, tick_handler);
	if (set)
		vcpu_expect_sync(vcpu, 0);
	set &= vm_stat("halt_poll_ok", &ok[0]) &&
	       vm_stat("halt_poll_fail", &fail[0]);
	/* the 4 ms halts are longer than 200 us */
	set &= hvx_param_set(HALT_POLL_NS, 200000);
	if (set)
		vcpu_expect_sync(vcpu, 1);
	set &= vm_stat("halt_poll_ok", &ok[1]) &&
	       vm_stat("halt_poll_fail", &fail[1]) &&
	       vm_stat("halts", &halts[1]);
	if (set)
		vcpu_expect_done(vcpu);
	set &= vm_stat("halt_poll_ok", &ok[2]) &&
	       vm_stat("halt_poll_fail", &fail[2]) &&
	       vm_stat("halts", &halts[2]);
	for (i = 0; i < 4; i++)
		set &= hvx_param_set(names[i], old[i]);
	ASSERT_TRUE(set);
	TH_LOG("short halts: %llu ended in the poll; long ones: %llu polls failed",
	       (unsigned long long)ok[0],
	       (unsigned long long)(fail[1] - fail[0]));
	/* 0.5 ms ticks: the window reaches 640 us by the 7th halt */
	EXPECT_LE(1, ok[0]);
	/* a 4 ms halt never ends in a poll of at most 200 us */
	EXPECT_EQ(ok[0], ok[1]);
	/* shrunk to 0 within 24 long halts: the next 8 sleep unpolled */
	EXPECT_EQ(ok[1], ok[2]);
	EXPECT_EQ(fail[1], fail[2]);
	/*
	 * and they were halts: most of them, as a tick that came before
	 * the guest reached HLT (a slow exit path: the debug test host's
	 * once took 4 ms) is none
	 */
	EXPECT_LE(LONG_HALTS / 2, halts[2] - halts[1]);
}

static void guest_timer_periodic(void)
{
	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_TDCR, 0xb);
	apic_w(APIC_LVTT, (1 << 17) | TIMER_VEC);	/* periodic */
	/*
	 * armed once the host's stopwatch runs: the ticks are phase-locked
	 * to the start, and ticks due during a slow way out and back would
	 * coalesce, making the last come sooner after the host's start
	 */
	GUEST_SYNC(0);
	apic_w(APIC_TMICT, TICK_NS);
	while (ticks < TICKS)
		asm volatile("sti; hlt; cli");
	apic_w(APIC_TMICT, 0);				/* stop */
	GUEST_SYNC(ticks);
	GUEST_DONE();
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

HVX_GUEST_TEST(timer_periodic_ticks, guest_timer_periodic)
{
	uint64_t t0;

	vm_install_exception_handler(vm, TIMER_VEC, tick_handler);
	vcpu_expect_sync(vcpu, 0);
	t0 = now_ns();
	vcpu_expect_sync(vcpu, TICKS);
	/* the ticks follow the host's clock: never faster */
	EXPECT_LE((TICKS - 1) * TICK_NS, now_ns() - t0);
	vcpu_expect_done(vcpu);
}

/*
 * A periodic count of 1 at divide 1: a period of 1 ns.  Its ticks come no
 * closer than 200 us apart (missed ones coalesce), whether the guest
 * halts (the hrtimer) or spins (the preemption timer): at once, and again
 * and again, they would keep a host CPU in its timer interrupt.
 */
#define FAST_TICKS	20
#define MIN_REARM_NS	200000ULL

static void guest_timer_fastest(void)
{
	uint64_t start;

	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_TDCR, 0xb);
	apic_w(APIC_LVTT, (1 << 17) | TIMER_VEC);	/* periodic */
	GUEST_SYNC(0);
	apic_w(APIC_TMICT, 1);		/* armed once the stopwatch runs */
	while (ticks < FAST_TICKS)
		asm volatile("sti; hlt; cli");
	GUEST_SYNC(1);
	start = ticks;
	while (ticks < start + FAST_TICKS)
		asm volatile("sti; nop; nop; cli");
	apic_w(APIC_TMICT, 0);				/* stop */
	GUEST_SYNC(2);
	GUEST_DONE();
}

HVX_GUEST_TEST(timer_fastest_period_bounded, guest_timer_fastest)
{
	uint64_t t0, t1;

	vm_install_exception_handler(vm, TIMER_VEC, tick_handler);
	vcpu_expect_sync(vcpu, 0);
	t0 = now_ns();
	/* FAST_TICKS ticks while halted: the first may be due at once */
	vcpu_expect_sync(vcpu, 1);
	t1 = now_ns();
	EXPECT_LE((FAST_TICKS - 1) * MIN_REARM_NS, t1 - t0);
	/* and as many while spinning */
	vcpu_expect_sync(vcpu, 2);
	EXPECT_LE((FAST_TICKS - 1) * MIN_REARM_NS, now_ns() - t1);
	vcpu_expect_done(vcpu);
}

static void guest_tsc_deadline(void)
{
	uint64_t tsc;

	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
	wrmsr(X2APIC_MSR(APIC_SVR), 0x1ff);
	wrmsr(X2APIC_MSR(APIC_LVTT), (2 << 17) | TIMER_VEC);
	tsc = rdtsc();
	wrmsr(MSR_TSC_DEADLINE, tsc + 1000000);
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_DEADLINE), tsc + 1000000);
	while (!hits)
		asm volatile("sti; hlt; cli");
	/* fired: the deadline reads 0 again */
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_DEADLINE), 0);
	GUEST_DONE();
}

HVX_GUEST_TEST(timer_tsc_deadline, guest_tsc_deadline)
{
	vm_install_exception_handler(vm, TIMER_VEC, x2apic_handler);
	vcpu_expect_done(vcpu);
}

#define MSR_TSC_ADJUST	MSR_IA32_TSC_ADJUST
#define FAR_CYCLES	(1ULL << 50)	/* over two days even at 5 GHz */

/*
 * A TSC deadline is a value of the TSC, not a time: a write of IA32_TSC
 * or IA32_TSC_ADJUST that takes the TSC past it makes it fire at once.
 */
static void guest_deadline_follows_tsc(void)
{
	uint64_t deadline;

	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
	wrmsr(X2APIC_MSR(APIC_SVR), 0x1ff);
	wrmsr(X2APIC_MSR(APIC_LVTT), (2 << 17) | TIMER_VEC);
	deadline = rdtsc() + FAR_CYCLES;
	wrmsr(MSR_TSC_DEADLINE, deadline);
	wrmsr(MSR_IA32_TSC, deadline);
	while (!hits)
		asm volatile("sti; hlt; cli");
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_DEADLINE), 0);
	GUEST_SYNC(1);
	deadline = rdtsc() + FAR_CYCLES;
	wrmsr(MSR_TSC_DEADLINE, deadline);
	wrmsr(MSR_TSC_ADJUST, rdmsr(MSR_TSC_ADJUST) + FAR_CYCLES);
	while (hits < 2)
		asm volatile("sti; hlt; cli");
	GUEST_SYNC(2);
	/* userspace's write of the TSC too */
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + FAR_CYCLES);
	GUEST_SYNC(3);
	while (hits < 3)
		asm volatile("sti; hlt; cli");
	GUEST_DONE();
}

HVX_GUEST_TEST(timer_tsc_deadline_follows_the_tsc, guest_deadline_follows_tsc)
{
	uint64_t tsc;

	vm_install_exception_handler(vm, TIMER_VEC, x2apic_handler);
	vcpu_expect_sync(vcpu, 1);
	vcpu_expect_sync(vcpu, 2);
	vcpu_expect_sync(vcpu, 3);
	ASSERT_EQ(0, hvx_get_msr(vcpu->fd, MSR_IA32_TSC, &tsc));
	EXPECT_EQ(0, hvx_set_msr(vcpu->fd, MSR_IA32_TSC, tsc + 2 * FAR_CYCLES));
	vcpu_expect_done(vcpu);
}

static void guest_deadline_armed(void)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
	wrmsr(X2APIC_MSR(APIC_SVR), 0x1ff);
	wrmsr(X2APIC_MSR(APIC_LVTT), (2 << 17) | TIMER_VEC);
	wrmsr(MSR_TSC_DEADLINE, rdtsc() + FAR_CYCLES);
	GUEST_SYNC(0);
	while (!hits)
		asm volatile("sti; hlt; cli");
	GUEST_DONE();
}

/*
 * HVX_SET_LAPIC with an armed TSC deadline keeps to the TSC, not to the
 * time the state held until the expiry: restored into a vCPU whose TSC
 * went past the deadline since (here userspace's TSC write, which fires
 * the one then armed; a restore's TSC set long before its LAPIC), it
 * fires at once.  Before, it waited the time the get had seen left.
 */
HVX_GUEST_TEST(set_lapic_deadline_follows_the_tsc, guest_deadline_armed)
{
	struct hvx_lapic_state s, now;
	uint64_t tsc;
	uint32_t irr;

	vm_install_exception_handler(vm, TIMER_VEC, x2apic_handler);
	vcpu_expect_sync(vcpu, 0);
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &s));
	ASSERT_TRUE(s.flags & HVX_LAPIC_STATE_TIMER_ARMED);
	ASSERT_EQ(0, hvx_get_msr(vcpu->fd, MSR_IA32_TSC, &tsc));
	ASSERT_EQ(0, hvx_set_msr(vcpu->fd, MSR_IA32_TSC, tsc + 2 * FAR_CYCLES));
	ASSERT_EQ(0, hvx_set_lapic(vcpu->fd, &s));
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &now));
	EXPECT_EQ(0, now.flags & HVX_LAPIC_STATE_TIMER_ARMED);
	EXPECT_EQ(0, now.tsc_deadline);
	irr = now.regs[(0x200 + TIMER_VEC / 32 * 0x10) / 4];
	EXPECT_TRUE(irr & (1U << (TIMER_VEC % 32)));
	vcpu_expect_done(vcpu);
}

#define SPIN_TICKS	20
#define DEADLINE_CYCLES	1000000

static volatile uint64_t tick_tsc;

static void x2apic_tick_handler(struct guest_ex_regs *regs)
{
	tick_tsc = rdtsc();
	ticks++;
	wrmsr(X2APIC_MSR(APIC_EOI), 0);
}

/* The timer's ticks while the guest spins with interrupts on: no HLT. */
static void guest_timer_spins(void)
{
	uint64_t deadline, t;
	int i;

	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
	wrmsr(X2APIC_MSR(APIC_SVR), 0x1ff);
	wrmsr(X2APIC_MSR(APIC_TDCR), 0xb);
	wrmsr(X2APIC_MSR(APIC_LVTT), (1 << 17) | TIMER_VEC);	/* periodic */
	GUEST_SYNC(0);
	wrmsr(X2APIC_MSR(APIC_TMICT), TICK_NS);	/* once the stopwatch runs */
	asm volatile("sti");
	while (ticks < SPIN_TICKS)
		asm volatile("pause");
	asm volatile("cli");
	GUEST_SYNC(1);
	wrmsr(X2APIC_MSR(APIC_TMICT), 0);			/* stop */
	asm volatile("sti; nop; cli");		/* a tick already pending */
	ticks = 0;
	/* TSC deadline: each tick comes at its deadline, never before */
	wrmsr(X2APIC_MSR(APIC_LVTT), (2 << 17) | TIMER_VEC);
	for (i = 0; i < SPIN_TICKS; i++) {
		t = ticks;
		deadline = rdtsc() + DEADLINE_CYCLES;
		wrmsr(MSR_TSC_DEADLINE, deadline);
		asm volatile("sti");
		while (ticks == t)
			asm volatile("pause");
		asm volatile("cli");
		GUEST_ASSERT_EQ(ticks, t + 1);
		GUEST_ASSERT(tick_tsc >= deadline);
	}
	GUEST_DONE();
}

/* A bool module parameter reads Y or N. */
static bool param_on(const char *path)
{
	FILE *f = fopen(path, "r");
	int c;

	if (!f)
		return false;
	c = fgetc(f);
	fclose(f);
	return c == 'Y';
}

/*
 * While the vCPU runs, the VMX-preemption timer delivers the ticks (the
 * timer_vmx counter has every one, and the hrtimer none); the periodic
 * ticks still follow the host's clock.
 */
HVX_GUEST_TEST(timer_ticks_while_running, guest_timer_spins)
{
	bool vmx = param_on(HVX_PARAM("preemption_timer")) &&
		   (hvx_dev_caps()->vmx_features & HVX_VMX_PREEMPTION_TIMER);
	uint64_t t0, n;

	HVX_REQUIRE(access(HVX_STAT, X_OK) == 0, "no %s", HVX_STAT);
	vm_install_exception_handler(vm, TIMER_VEC, x2apic_tick_handler);
	vcpu_expect_sync(vcpu, 0);
	t0 = now_ns();
	vcpu_expect_sync(vcpu, 1);
	EXPECT_LE((SPIN_TICKS - 1) * TICK_NS, now_ns() - t0);
	vcpu_expect_done(vcpu);
	ASSERT_TRUE(vm_stat("timer_vmx", &n));
	TH_LOG("preemption timer %s: %llu ticks delivered by it",
	       vmx ? "on" : "off", (unsigned long long)n);
	if (vmx) {
		/* one more periodic tick may come before the timer stops */
		EXPECT_LE(2 * SPIN_TICKS, n);
		EXPECT_GE(2 * SPIN_TICKS + 1, n);
	} else {
		EXPECT_EQ(0, n);
	}
}

static volatile uint64_t ap_ready;

static void guest_ap_waits(void)
{
	apic_w(APIC_SVR, 0x1ff);
	ap_ready = 1;
	while (!hits || !ticks)
		asm volatile("sti; hlt; cli");
	GUEST_DONE();
}

static void ap_nmi(struct guest_ex_regs *regs)
{
	ticks++;	/* here: the NMI count */
}

static void guest_bsp_sends(void)
{
	apic_w(APIC_SVR, 0x1ff);
	while (!ap_ready)
		cpu_relax();
	/* fixed IPI to APIC ID 1, physical */
	apic_w(APIC_ICR2, 1 << 24);
	apic_w(APIC_ICR, IPI_VEC);
	/* NMI to all excluding self */
	apic_w(APIC_ICR, (3 << 18) | (4 << 8));
	GUEST_DONE();
}

HVX_TEST(ipis_between_vcpus)
{
	struct test_vcpu *bsp, *ap;
	struct runner r[2] = {};
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	vm = vm_create_with_one_vcpu(&bsp, guest_bsp_sends);
	ap = vm_vcpu_add(vm, 1, guest_ap_waits);
	vm_install_exception_handler(vm, IPI_VEC, xapic_handler);
	vm_install_exception_handler(vm, 2, ap_nmi);
	run_pair(_metadata, r, bsp, ap);
	EXPECT_FALSE(r[0].failed);
	EXPECT_FALSE(r[1].failed);
	EXPECT_EQ(1, guest_global(vm, hits));
	EXPECT_EQ(1, guest_global(vm, ticks));
	vm_free(vm);
}

/*
 * Fixed IPIs from vCPU 0 to every kind of destination of three vCPUs,
 * each counted by the vCPU that takes it (its APIC ID): the shorthands,
 * a logical set, a physical ID, the broadcast ID, and lowest priority
 * to a logical set, which exactly one of them takes.  In xAPIC mode
 * (flat logical model, one LDR bit per APIC ID) and in x2APIC mode
 * (cluster 0: the same bits).
 */
#define DEST_VEC	0x52
#define NR_DEST		3
#define DEST_AP_SET	0x6		/* logical: APIC IDs 1 and 2 */
#define ICR_LOWEST	(1 << 8)
#define ICR_LOGICAL	(1 << 11)
#define ICR_ALL		(2 << 18)
#define ICR_ALL_BUT_SELF	(3 << 18)
#define APIC_LDR	0x0d0

static volatile uint64_t dest_hits[NR_DEST], dest_ready[NR_DEST];
static volatile bool dest_x2apic, dest_done;

static uint32_t dest_my_id(void)
{
	if (dest_x2apic)
		return rdmsr(X2APIC_MSR(APIC_ID));
	return apic_r(APIC_ID) >> 24;
}

static void dest_handler(struct guest_ex_regs *regs)
{
	dest_hits[dest_my_id()]++;
	if (dest_x2apic)
		wrmsr(X2APIC_MSR(APIC_EOI), 0);
	else
		apic_w(APIC_EOI, 0);
}

static void dest_apic_on(void)
{
	if (dest_x2apic) {
		wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
		wrmsr(X2APIC_MSR(APIC_SVR), 0x1ff);
		return;
	}
	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_LDR, 1U << (24 + dest_my_id()));
}

static void dest_send(uint32_t low, uint32_t dest)
{
	if (dest_x2apic) {
		wrmsr(X2APIC_MSR(APIC_ICR), (uint64_t)dest << 32 | low);
		return;
	}
	apic_w(APIC_ICR2, dest << 24);
	apic_w(APIC_ICR, low);
}

/* Each vCPU's count reaches @h0, @h1, @h2 (vCPU 0's at its STI). */
static void dest_expect(uint64_t h0, uint64_t h1, uint64_t h2)
{
	asm volatile("sti; nop; cli");
	while (dest_hits[1] < h1 || dest_hits[2] < h2)
		cpu_relax();
	GUEST_ASSERT_EQ(dest_hits[0], h0);
	GUEST_ASSERT_EQ(dest_hits[1], h1);
	GUEST_ASSERT_EQ(dest_hits[2], h2);
}

static void guest_dest_ap(void)
{
	dest_apic_on();
	dest_ready[dest_my_id()] = 1;
	while (!dest_done)
		asm volatile("sti; hlt; cli");
	GUEST_DONE();
}

static void guest_dest_bsp(void)
{
	int i;

	dest_apic_on();
	while (!dest_ready[1] || !dest_ready[2])
		cpu_relax();
	asm volatile("cli");
	dest_send(ICR_ALL | DEST_VEC, 0);
	dest_expect(1, 1, 1);
	dest_send(ICR_ALL_BUT_SELF | DEST_VEC, 0);
	dest_expect(1, 2, 2);
	dest_send(ICR_LOGICAL | DEST_VEC, DEST_AP_SET);
	dest_expect(1, 3, 3);
	dest_send(DEST_VEC, 2);
	dest_expect(1, 3, 4);
	dest_send(DEST_VEC, dest_x2apic ? 0xffffffff : 0xff);
	dest_expect(2, 4, 5);
	dest_send(ICR_LOGICAL | ICR_LOWEST | DEST_VEC, DEST_AP_SET);
	while (dest_hits[1] + dest_hits[2] < 10)
		cpu_relax();
	/* a second copy would have arrived long before this */
	for (i = 0; i < 100000; i++)
		cpu_relax();
	GUEST_ASSERT_EQ(dest_hits[1] + dest_hits[2], 10);
	GUEST_ASSERT_EQ(dest_hits[0], 2);
	dest_done = true;
	dest_send(ICR_ALL_BUT_SELF | DEST_VEC, 0);
	GUEST_DONE();
}

static void run_destinations(struct __test_metadata *_metadata, bool x2apic)
{
	struct test_vcpu *vcpu[NR_DEST];
	struct runner r[NR_DEST] = {};
	pthread_t th[NR_DEST];
	struct test_vm *vm;
	int i;

	HVX_REQUIRE_VM();
	vm = vm_create_with_one_vcpu(&vcpu[0], guest_dest_bsp);
	for (i = 1; i < NR_DEST; i++)
		vcpu[i] = vm_vcpu_add(vm, i, guest_dest_ap);
	vm_install_exception_handler(vm, DEST_VEC, dest_handler);
	guest_global(vm, dest_x2apic) = x2apic;
	for (i = NR_DEST - 1; i >= 0; i--) {
		r[i].vcpu = vcpu[i];
		ASSERT_EQ(0, pthread_create(&th[i], NULL, run_to_done, &r[i]));
	}
	ASSERT_EQ(0, pthread_join(th[0], NULL));
	if (r[0].failed) {
		/* vCPU 0 stopped early: end the APs' wait for it */
		struct hvx_msi bcast = { .address = 0xfee00000 | 0xff << 12,
					 .data = DEST_VEC };

		guest_global(vm, dest_done) = true;
		EXPECT_EQ(NR_DEST, ioctl(vm->fd, HVX_SIGNAL_MSI, &bcast));
	}
	for (i = 0; i < NR_DEST; i++) {
		if (i)
			ASSERT_EQ(0, pthread_join(th[i], NULL));
		EXPECT_FALSE(r[i].failed);
	}
	/* and the IPI that ended the APs' wait */
	EXPECT_EQ(2, guest_global(vm, dest_hits)[0]);
	EXPECT_EQ(12, guest_global(vm, dest_hits)[1] +
		  guest_global(vm, dest_hits)[2]);
	vm_free(vm);
}

HVX_TEST(ipi_destinations_xapic)
{
	run_destinations(_metadata, false);
}

HVX_TEST(ipi_destinations_x2apic)
{
	run_destinations(_metadata, true);
}

static void guest_takes_msis(void)
{
	apic_w(APIC_SVR, 0x1ff);
	GUEST_SYNC(0);
	/* one at a time: two of one vector before an EOI are one IRR bit */
	while (hits < 1)
		asm volatile("sti; hlt; cli");
	GUEST_SYNC(1);
	while (hits < 2)
		asm volatile("sti; hlt; cli");
	GUEST_DONE();
}

static int signal_msi(struct test_vm *vm, uint64_t address, uint32_t data)
{
	struct hvx_msi msi = { .address = address, .data = data };

	return ioctl(vm->fd, HVX_SIGNAL_MSI, &msi);
}

/* MSIs from userspace: to APIC ID 0, dropped elsewhere, bad ones refused. */
HVX_GUEST_TEST(signal_msi, guest_takes_msis)
{
	vm_install_exception_handler(vm, IPI_VEC, xapic_handler);
	vcpu_expect_sync(vcpu, 0);
	/* fixed, edge, physical destination 0 */
	EXPECT_EQ(1, signal_msi(vm, 0xfee00000, IPI_VEC));
	/*
	 * a destination no vCPU has: dropped, not an error (a vector the
	 * guest has no handler for: taken by vCPU 0, it would fail the test)
	 */
	EXPECT_EQ(0, signal_msi(vm, 0xfee00000 | (7 << 12), 0x51));
	EXPECT_EQ(-1, signal_msi(vm, 0xfed00000, IPI_VEC));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, signal_msi(vm, 0xfee00000, 15));	/* vector < 16 */
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, signal_msi(vm, 0xfee00000, (3 << 8) | IPI_VEC));
	EXPECT_EQ(EINVAL, errno);			/* reserved mode */
	/* SMI and ExtINT: valid, but no vCPU takes them (no SMM, no 8259) */
	EXPECT_EQ(0, signal_msi(vm, 0xfee00000, 2 << 8));
	EXPECT_EQ(0, signal_msi(vm, 0xfee00000, 7 << 8));
	EXPECT_EQ(-1, ioctl(vm->fd, HVX_SIGNAL_MSI, NULL));
	EXPECT_EQ(EFAULT, errno);
	vcpu_expect_sync(vcpu, 1);
	/* lowest priority among the APICs named: here the only one */
	EXPECT_EQ(1, signal_msi(vm, 0xfee00000, (1 << 8) | IPI_VEC));
	vcpu_expect_done(vcpu);
	EXPECT_EQ(2, guest_global(vm, hits));
}

TEST_HARNESS_MAIN
