// SPDX-License-Identifier: GPL-2.0
/*
 * mp_test: starting and stopping vCPUs with INIT and SIPI, through the
 * in-kernel local APIC (the tests of its other IPIs are in apic_test.c).
 *
 * - INIT-SIPI-SIPI starts a vCPU that waits for a SIPI in real mode at
 *   the SIPI's vector; HVX_SET_MP_STATE/HVX_GET_MP_STATE.
 * - A CPU the guest takes offline (HLT with interrupts off, left halted
 *   by userspace) sleeps in HVX_RUN until INIT and SIPI start it again.
 * - INIT drops an exception queued for a vCPU that is out in userspace.
 * - A SIPI to a running vCPU is ignored.
 * - A SIPI to a halted vCPU, which waits for none, is ignored: a later
 *   INIT leaves the vCPU waiting for a SIPI of its own.  So is one that
 *   reached a vCPU out in userspace before an INIT did.
 * - INIT to the BSP restarts it at the reset vector, without a SIPI.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include "hvx_harness.h"
#include "thread_kick.h"
#include "vcpu_pair.h"
#include "xapic.h"

/* @vcpu's last exit is a 16-bit OUT of @value to @port. */
static void expect_out16(struct __test_metadata *_metadata,
			 struct test_vcpu *vcpu, uint16_t port, uint16_t value)
{
	struct hvx_run *run = vcpu->run;
	uint16_t data;

	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	EXPECT_EQ(port, run->io.port);
	EXPECT_EQ(2, run->io.size);
	memcpy(&data, (uint8_t *)run + run->io.data_offset, sizeof(data));
	EXPECT_EQ(value, data);
}

/* The C code of an AP that starts in real mode at a SIPI's vector. */
static void guest_ap_unused(void)
{
	GUEST_FAIL("the AP ran the code it was created with");
}

/*
 * Real-mode code for the AP at 0x10000: count its starts in the byte at
 * 0x10020, OUT 0x1234 to port 0x99, HLT.
 */
#define AP_STARTS_OFF	0x20
static const uint8_t ap_real_mode[] = {
	0x2e, 0xfe, 0x06, AP_STARTS_OFF, 0x00,	/* incb %cs:0x20 */
	0xb8, 0x34, 0x12,			/* mov $0x1234, %ax */
	0xe7, 0x99,				/* out %ax, $0x99 */
	0xf4,					/* hlt */
};

static void guest_bsp_starts_ap(void)
{
	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_ICR2, 1 << 24);
	apic_w(APIC_ICR, (5 << 8) | (1 << 14));		/* INIT, assert */
	apic_w(APIC_ICR, (6 << 8) | 0x10);		/* SIPI: 0x10000 */
	apic_w(APIC_ICR, (6 << 8) | 0x10);		/* and again */
	GUEST_DONE();
}

/*
 * A VM whose vCPU 0 runs @bsp_code and vCPU 1 @ap_code, with
 * ap_real_mode at 0x10000 for the SIPI (vector 0x10) to start.
 */
static struct test_vm *bsp_and_ap(struct test_vcpu **bsp,
				  struct test_vcpu **ap, void *bsp_code,
				  void *ap_code)
{
	struct test_vm *vm = vm_create_with_one_vcpu(bsp, bsp_code);

	*ap = vm_vcpu_add(vm, 1, ap_code);
	memcpy(addr_gpa2hva(vm, GUEST_SCRATCH_GPA, sizeof(ap_real_mode)),
	       ap_real_mode, sizeof(ap_real_mode));
	return vm;
}

HVX_TEST(init_sipi_starts_ap)
{
	struct hvx_mp_state mp = { .state = HVX_MP_WAIT_SIPI };
	struct test_vcpu *bsp, *ap;
	struct runner r[2] = {};
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	vm = bsp_and_ap(&bsp, &ap, guest_bsp_starts_ap, guest_ap_unused);
	ASSERT_EQ(0, ioctl(ap->fd, HVX_SET_MP_STATE, &mp));
	mp.state = 99;
	EXPECT_EQ(0, ioctl(ap->fd, HVX_GET_MP_STATE, &mp));
	EXPECT_EQ(HVX_MP_WAIT_SIPI, mp.state);
	mp.state = 3;
	EXPECT_EQ(-1, ioctl(ap->fd, HVX_SET_MP_STATE, &mp));
	EXPECT_EQ(EINVAL, errno);
	run_pair(_metadata, r, bsp, ap);
	EXPECT_FALSE(r[0].failed);
	EXPECT_EQ(0x99, r[1].last_port);
	EXPECT_EQ(0x1234, r[1].last_data);
	EXPECT_EQ(0, ioctl(ap->fd, HVX_GET_MP_STATE, &mp));
	EXPECT_EQ(HVX_MP_RUNNABLE, mp.state);
	vm_free(vm);
}

/* INIT and SIPI; once the AP ran (the host's turn), a second SIPI. */
static void guest_bsp_late_sipi(void)
{
	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_ICR2, 1 << 24);
	apic_w(APIC_ICR, (5 << 8) | (1 << 14));		/* INIT, assert */
	apic_w(APIC_ICR, (6 << 8) | 0x10);		/* SIPI: 0x10000 */
	GUEST_SYNC(1);
	apic_w(APIC_ICR, (6 << 8) | 0x10);		/* to a running AP */
	GUEST_DONE();
}

/*
 * A SIPI to a vCPU that is not waiting for one (it runs) is ignored: the
 * AP goes on to its HLT instead of starting over at the vector.
 */
HVX_TEST(sipi_to_running_vcpu_is_ignored)
{
	struct hvx_mp_state mp = { .state = HVX_MP_WAIT_SIPI };
	struct hvx_vcpu_events ev;
	struct runner r = {};
	struct test_vcpu *bsp, *ap;
	struct test_vm *vm;
	volatile uint8_t *starts;
	pthread_t th;

	HVX_REQUIRE_VM();
	vm = bsp_and_ap(&bsp, &ap, guest_bsp_late_sipi, guest_ap_unused);
	starts = addr_gpa2hva(vm, GUEST_SCRATCH_GPA + AP_STARTS_OFF, 1);
	ASSERT_EQ(0, ioctl(ap->fd, HVX_SET_MP_STATE, &mp));
	r.vcpu = ap;
	ASSERT_EQ(0, pthread_create(&th, NULL, run_to_done, &r));
	vcpu_expect_sync(bsp, 1);
	ASSERT_EQ(0, pthread_join(th, NULL));	/* the AP's OUT */
	EXPECT_EQ(0x1234, r.last_data);
	EXPECT_EQ(1, *starts);
	vcpu_expect_done(bsp);
	/* the SIPI reached the AP: what the AP's next run does with it */
	ASSERT_EQ(0, hvx_get_vcpu_events(ap->fd, &ev));
	EXPECT_TRUE(ev.flags & HVX_EVENTS_SIPI_PENDING);
	vcpu_run(ap);
	TEST_ASSERT_EXIT_REASON(ap, HVX_EXIT_HLT);
	EXPECT_EQ(1, *starts);
	vm_free(vm);
}

static void guest_ap_goes_offline(void)
{
	asm volatile("cli; hlt");
	GUEST_FAIL("the offline AP ran on past its HLT");
}

static void *run_until_signal(void *arg)
{
	struct test_vcpu *vcpu = arg;

	return (void *)(intptr_t)(__vcpu_run(vcpu) < 0 ? errno : 0);
}

/*
 * A CPU the guest took offline (HLT with interrupts disabled, which
 * userspace sees) and userspace left halted sleeps in HVX_RUN until the
 * guest starts it again with INIT and SIPI; a signal ends the sleep with
 * EINTR and leaves it halted.  Before HVX_FEAT_HALTED_SLEEPS, HVX_RUN
 * returned at once with another HVX_EXIT_HLT.
 */
HVX_TEST(offline_ap_sleeps_until_init)
{
	struct hvx_mp_state mp = { .state = HVX_MP_HALTED };
	struct sigaction sa = { .sa_handler = no_op };
	struct test_vcpu *bsp, *ap;
	struct runner r[2] = {};
	struct test_vm *vm;
	pthread_t th;
	void *res;

	HVX_REQUIRE_VM();
	vm = bsp_and_ap(&bsp, &ap, guest_bsp_starts_ap, guest_ap_goes_offline);
	vcpu_run(ap);
	TEST_ASSERT_EXIT_REASON(ap, HVX_EXIT_HLT);
	ASSERT_EQ(0, ioctl(ap->fd, HVX_SET_MP_STATE, &mp));

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&th, NULL, run_until_signal, ap));
	kick_and_join(th, &res);
	EXPECT_EQ(EINTR, (intptr_t)res);
	EXPECT_EQ(HVX_EXIT_INTR, ap->run->exit_reason);
	mp.state = 99;
	EXPECT_EQ(0, ioctl(ap->fd, HVX_GET_MP_STATE, &mp));
	EXPECT_EQ(HVX_MP_HALTED, mp.state);

	run_pair(_metadata, r, bsp, ap);
	EXPECT_FALSE(r[0].failed);
	EXPECT_EQ(0x99, r[1].last_port);
	EXPECT_EQ(0x1234, r[1].last_data);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGUSR1, &sa, NULL);
	vm_free(vm);
}

/* An MSR hvx does not know: with HVX_OPT_UNKNOWN_MSR_EXIT, an exit. */
static void guest_ap_reads_unknown_msr(void)
{
	rdmsr(MSR_TEST_UNKNOWN);
	GUEST_DONE();
}

/*
 * INIT and SIPI reach a vCPU that is out in userspace with an MSR exit;
 * userspace then refuses the MSR, which queues a #GP (with its error code)
 * for the next entry.  The INIT drops it: the vCPU starts at the SIPI's
 * real-mode code, where an exception with an error code would fail the
 * entry (it did: HVX_EXIT_FAIL_ENTRY).
 */
HVX_TEST(init_drops_a_queued_exception)
{
	struct test_vcpu *bsp, *ap;
	struct test_vm *vm;
	struct hvx_run *run;

	HVX_REQUIRE_VM();
	vm = bsp_and_ap(&bsp, &ap, guest_bsp_starts_ap,
			guest_ap_reads_unknown_msr);
	HVX_REQUIRE(vm->caps.hvx_features & HVX_FEAT_USER_MSR_EXIT,
		    "no HVX_FEAT_USER_MSR_EXIT");
	ASSERT_EQ(0, hvx_vm_set_option(vm->fd, HVX_OPT_UNKNOWN_MSR_EXIT, 1));
	run = ap->run;
	vcpu_run(ap);
	TEST_ASSERT_EXIT_REASON(ap, HVX_EXIT_RDMSR);
	vcpu_expect_done(bsp);
	run->msr.error = 1;
	vcpu_run(ap);
	expect_out16(_metadata, ap, 0x99, 0x1234);
	vm_free(vm);
}

static bool init_pending(struct test_vcpu *vcpu)
{
	struct hvx_vcpu_events ev;

	return !hvx_get_vcpu_events(vcpu->fd, &ev) &&
	       (ev.flags & HVX_EVENTS_INIT_PENDING);
}

/*
 * @ap, run by thread @th, sleeps waiting for a SIPI: the kick (SIGUSR1,
 * no_op() installed) ends its HVX_RUN with EINTR, and it still waits.  A
 * kick that came before the run took the INIT (a slow test host) is met
 * by running it again.
 */
static void expect_waits_for_sipi(struct __test_metadata *_metadata,
				  pthread_t th, struct test_vcpu *ap)
{
	struct hvx_mp_state mp = { .state = 99 };
	void *res;
	int i;

	kick_and_join(th, &res);
	EXPECT_EQ(EINTR, (intptr_t)res);
	for (i = 0; i < 5 && init_pending(ap); i++) {
		ASSERT_EQ(0, pthread_create(&th, NULL, run_until_signal, ap));
		usleep(200 * 1000);
		kick_and_join(th, &res);
		EXPECT_EQ(EINTR, (intptr_t)res);
	}
	EXPECT_EQ(HVX_EXIT_INTR, ap->run->exit_reason);
	EXPECT_EQ(0, ioctl(ap->fd, HVX_GET_MP_STATE, &mp));
	EXPECT_EQ(HVX_MP_WAIT_SIPI, mp.state);
}

static void guest_ap_idles(void)
{
	for (;;)
		asm volatile("sti; hlt" : : : "memory");
}

/* A SIPI to APIC ID 1 (vector 0x10), then, after a pause, INIT. */
static void guest_bsp_stale_sipi(void)
{
	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_ICR2, 1 << 24);
	apic_w(APIC_ICR, (6 << 8) | 0x10);		/* SIPI: 0x10000 */
	GUEST_SYNC(1);
	apic_w(APIC_ICR, (5 << 8) | (1 << 14));		/* INIT, assert */
	GUEST_DONE();
}

/*
 * A SIPI to a vCPU that waits for none (halted, with interrupts on) is
 * ignored.  It did stay pending while the vCPU slept, so that the INIT
 * sent a while later started the vCPU at the old SIPI's vector instead
 * of leaving it waiting for a SIPI.
 */
HVX_TEST(sipi_to_halted_vcpu_is_ignored)
{
	struct sigaction sa = { .sa_handler = no_op };
	struct test_vcpu *bsp, *ap;
	uint64_t halts = 0;
	struct test_vm *vm;
	pthread_t th;
	int i;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(access(HVX_STAT, X_OK) == 0, "no %s", HVX_STAT);
	vm = bsp_and_ap(&bsp, &ap, guest_bsp_stale_sipi, guest_ap_idles);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&th, NULL, run_until_signal, ap));
	/* the AP asleep in HLT first (the BSP has none), not running */
	for (i = 0; i < 1000 && !(vm_stat("halts", &halts) && halts); i++)
		usleep(10 * 1000);
	ASSERT_NE(0, halts);
	vcpu_expect_sync(bsp, 1);
	usleep(200 * 1000);			/* the AP sees the SIPI */
	vcpu_expect_done(bsp);
	usleep(200 * 1000);			/* and the INIT */
	expect_waits_for_sipi(_metadata, th, ap);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGUSR1, &sa, NULL);
	vm_free(vm);
}

/*
 * A SIPI, then an INIT, reach a vCPU that is out in userspace: the SIPI
 * came while the vCPU waited for none, and is ignored.  Taken after the
 * INIT, it started the vCPU at its vector.
 */
HVX_TEST(sipi_before_init_is_dropped)
{
	struct sigaction sa = { .sa_handler = no_op };
	struct test_vcpu *bsp, *ap;
	struct hvx_vcpu_events ev;
	struct test_vm *vm;
	pthread_t th;

	HVX_REQUIRE_VM();
	vm = bsp_and_ap(&bsp, &ap, guest_bsp_stale_sipi, guest_ap_unused);
	vcpu_expect_sync(bsp, 1);
	ASSERT_EQ(0, hvx_get_vcpu_events(ap->fd, &ev));
	EXPECT_TRUE(ev.flags & HVX_EVENTS_SIPI_PENDING);
	vcpu_expect_done(bsp);
	ASSERT_EQ(0, hvx_get_vcpu_events(ap->fd, &ev));
	EXPECT_TRUE(ev.flags & HVX_EVENTS_INIT_PENDING);
	EXPECT_FALSE(ev.flags & HVX_EVENTS_SIPI_PENDING);

	/* the AP takes the INIT and waits for a SIPI, until the kick */
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&th, NULL, run_until_signal, ap));
	usleep(200 * 1000);
	expect_waits_for_sipi(_metadata, th, ap);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGUSR1, &sa, NULL);
	vm_free(vm);
}

/* The AP sends INIT to APIC ID 0, the BSP. */
static void guest_ap_inits_bsp(void)
{
	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_ICR2, 0);
	apic_w(APIC_ICR, (5 << 8) | (1 << 14));		/* INIT, assert */
	GUEST_DONE();
}

static void guest_bsp_waits(void)
{
	GUEST_SYNC(0);
	GUEST_FAIL("the BSP went on after the INIT");
}

#define RESET_SLOT	1
#define RESET_GPA	0xffff0000UL
#define RESET_SIZE	0x10000UL

/* At the reset vector, 0xfffffff0: OUT 0x5678 to port 0x98, HLT. */
static const uint8_t reset_code[] = {
	0xb8, 0x78, 0x56,			/* mov $0x5678, %ax */
	0xe7, 0x98,				/* out %ax, $0x98 */
	0xf4,					/* hlt */
};

/*
 * INIT to the BSP (APIC_BASE bit 8) restarts it at the reset vector, as
 * after RESET; only the APs wait for a SIPI (SDM "MP Initialization").
 * A wait would last until the timer's signal.
 */
HVX_TEST(init_restarts_bsp_at_reset_vector)
{
	struct itimerval it = { .it_value = { .tv_sec = 2 } };
	struct hvx_mp_state mp = { .state = 99 };
	struct sigaction sa = { .sa_handler = no_op };
	struct test_vcpu *bsp, *ap;
	struct test_vm *vm;
	uint8_t *rom;
	int r;

	HVX_REQUIRE_VM();
	vm = bsp_and_ap(&bsp, &ap, guest_bsp_waits, guest_ap_inits_bsp);
	rom = vm_mem_add(vm, RESET_SLOT, 0, RESET_GPA, RESET_SIZE);
	memcpy(rom + 0xfff0, reset_code, sizeof(reset_code));
	vcpu_expect_sync(bsp, 0);
	vcpu_expect_done(ap);

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	r = __vcpu_run(bsp);
	it.it_value.tv_sec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	ASSERT_EQ(0, r) {
		TH_LOG("the BSP waited after INIT (errno %d)", errno);
	}
	expect_out16(_metadata, bsp, 0x98, 0x5678);
	EXPECT_EQ(0, ioctl(bsp->fd, HVX_GET_MP_STATE, &mp));
	EXPECT_EQ(HVX_MP_RUNNABLE, mp.state);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGALRM, &sa, NULL);
	vm_free(vm);
}

TEST_HARNESS_MAIN
