// SPDX-License-Identifier: GPL-2.0
/*
 * state_test: what a guest exit must keep apart and what it must hand
 * over: general-purpose registers seen and changed by the host at an exit,
 * SSE registers of host and guest kept separate across exits, XCR0 set by
 * the guest with XSETBV (valid and invalid values), and the ways HVX_RUN
 * returns without the guest asking: a signal (EINTR, HVX_EXIT_INTR,
 * resumable) and immediate_exit.
 */
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "hvx_harness.h"

#define REGS_PORT	0x40
#define SSE_PORT	0xe0
#define SSE_ROUNDS	8

static void guest_regs(void)
{
	uint64_t rbx;

	asm volatile("mov $0x1111, %%ecx\n\t"
		     "mov $0x2222, %%edx\n\t"
		     "mov $0x3333, %%esi\n\t"
		     "mov $0x4444, %%edi\n\t"
		     "mov $0x8888, %%r8d\n\t"
		     "mov $0x9999, %%r9d\n\t"
		     "movabs $0xaaaaaaaaaaaaaaaa, %%r10\n\t"
		     "mov $0xbbbb, %%r11d\n\t"
		     "mov $0xcccc, %%r12d\n\t"
		     "mov $0xdddd, %%r13d\n\t"
		     "mov $0xeeee, %%r14d\n\t"
		     "mov $0xffff, %%r15d\n\t"
		     "mov $0x5555, %%ebx\n\t"
		     "outb %%al, %[port]\n\t"
		     : "=b"(rbx)
		     : "a"(0x77), [port] "i"(REGS_PORT)
		     : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11",
		       "r12", "r13", "r14", "r15", "memory");
	/* The host changed RBX while the guest was out. */
	GUEST_ASSERT_EQ(rbx, 0x0123456789abcdefULL);
	GUEST_DONE();
}

HVX_GUEST_TEST(regs_at_exit, guest_regs)
{
	struct hvx_regs regs;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	ASSERT_EQ(REGS_PORT, vcpu->run->io.port);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0x77, regs.rax & 0xff);
	EXPECT_EQ(0x5555, regs.rbx);
	EXPECT_EQ(0x1111, regs.rcx);
	EXPECT_EQ(0x2222, regs.rdx);
	EXPECT_EQ(0x3333, regs.rsi);
	EXPECT_EQ(0x4444, regs.rdi);
	EXPECT_EQ(0x8888, regs.r8);
	EXPECT_EQ(0x9999, regs.r9);
	EXPECT_EQ(0xaaaaaaaaaaaaaaaaULL, regs.r10);
	EXPECT_EQ(0xbbbb, regs.r11);
	EXPECT_EQ(0xcccc, regs.r12);
	EXPECT_EQ(0xdddd, regs.r13);
	EXPECT_EQ(0xeeee, regs.r14);
	EXPECT_EQ(0xffff, regs.r15);
	EXPECT_EQ(0, regs.rsp & 7);
	EXPECT_EQ(X86_RFLAGS_FIXED, regs.rflags & X86_RFLAGS_FIXED);
	/*
	 * RIP agrees with the run page and points at the OUT (E6 ib) or,
	 * if hvx completes it before exiting, right after it.
	 */
	EXPECT_EQ(vcpu->run->rip, regs.rip);
	EXPECT_TRUE(*(uint8_t *)addr_gva2hva(vm, regs.rip, 1) == 0xe6 ||
		    *(uint8_t *)addr_gva2hva(vm, regs.rip - 2, 1) == 0xe6);
	regs.rbx = 0x0123456789abcdefULL;
	vcpu_regs_set(vcpu, &regs);
	vcpu_expect_done(vcpu);
}

static void guest_sse(void)
{
	uint8_t *b = (uint8_t *)GUEST_SCRATCH_GPA;
	uint8_t *out = b + 256;
	int round, i;

	for (i = 0; i < 256; i++)
		b[i] = 0xb0 ^ i;
	for (round = 0; round < SSE_ROUNDS; round++) {
		/* Exit with the guest's values live in every XMM register. */
		asm volatile(XMM_LOAD_ALL
			     "outb %%al, %[port]\n\t"
			     XMM_STORE_ALL
			     : : [src] "r"(b), [dst] "r"(out), "a"(round),
			       [port] "i"(SSE_PORT)
			     : "memory", XMM_CLOBBERS);
		for (i = 0; i < 256; i++)
			GUEST_ASSERT_EQ(out[i], b[i]);
	}
	GUEST_DONE();
}

/*
 * HVX_RUN by a raw SYSCALL with the host's values live in every XMM
 * register, read back right after: nothing else runs in between.
 */
static long run_with_xmm(int fd, const uint8_t *src, uint8_t *dst)
{
	long ret = SYS_ioctl;

	asm volatile(XMM_LOAD_ALL
		     "syscall\n\t"
		     XMM_STORE_ALL
		     : "+a"(ret)
		     : "D"((long)fd), "S"((long)HVX_RUN), "d"(0L),
		       [src] "r"(src), [dst] "r"(dst)
		     : "rcx", "r11", "memory", XMM_CLOBBERS);
	return ret;
}

HVX_GUEST_TEST(sse_registers_isolated, guest_sse)
{
	uint8_t a[256], out[256];
	long ret;
	int round, i;

	for (i = 0; i < 256; i++)
		a[i] = 0xa0 ^ (i * 7);
	for (round = 0; round < SSE_ROUNDS; round++) {
		memset(out, 0, sizeof(out));
		ret = run_with_xmm(vcpu->fd, a, out);
		ASSERT_EQ(0, ret);
		TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
		ASSERT_EQ(SSE_PORT, vcpu->run->io.port);
		for (i = 0; i < 256; i++)
			ASSERT_EQ(a[i], out[i])
				TH_LOG("round %d: host xmm%d byte %d", round,
				       i / 16, i % 16);
	}
	vcpu_expect_done(vcpu);
}

static void guest_xsetbv(void)
{
	uint32_t a, b, c, d;

	GUEST_ASSERT(get_cr4() & X86_CR4_OSXSAVE);
	cpuid_count(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT(c & CPUID_1_ECX_OSXSAVE);	/* follows CR4.OSXSAVE */
	GUEST_ASSERT_EQ(xgetbv(0), XFEATURE_X87);	/* reset value */
	GUEST_ASSERT_EQ(xsetbv_safe(0, XFEATURE_X87 | XFEATURE_SSE),
			GUEST_NO_FAULT);
	GUEST_ASSERT_EQ(xgetbv(0), XFEATURE_X87 | XFEATURE_SSE);
	GUEST_SYNC(1);
	/* x87 must stay set; AVX needs SSE; XCR1 is not writable. */
	GUEST_ASSERT_EQ(xsetbv_safe(0, 0), GP_VECTOR);
	GUEST_ASSERT_EQ(xsetbv_safe(0, XFEATURE_SSE), GP_VECTOR);
	GUEST_ASSERT_EQ(xsetbv_safe(0, XFEATURE_X87 | XFEATURE_AVX),
			GP_VECTOR);
	GUEST_ASSERT_EQ(xsetbv_safe(0, XFEATURE_X87 | (1ULL << 63)),
			GP_VECTOR);
	GUEST_ASSERT_EQ(xsetbv_safe(1, XFEATURE_X87), GP_VECTOR);
	GUEST_ASSERT_EQ(xgetbv(0), XFEATURE_X87 | XFEATURE_SSE);
	/* SSE still works with XCR0 = x87 | SSE. */
	asm volatile("xorps %%xmm0, %%xmm0" : : : "xmm0");
	GUEST_DONE();
}

static bool host_osxsave(void)
{
	uint32_t a, b, c, d;

	cpuid_count(1, 0, &a, &b, &c, &d);
	return c & CPUID_1_ECX_OSXSAVE;
}

HVX_GUEST_TEST(xsetbv, guest_xsetbv)
{
	struct hvx_cpuid_entry *e;
	struct hvx_cpuid *cpuid;
	uint64_t host_xcr0;

	cpuid = hvx_get_cpuid_alloc(vcpu->fd);
	ASSERT_NE(NULL, cpuid);
	e = hvx_cpuid_find(cpuid, 1, 0);
	ASSERT_NE(NULL, e);
	HVX_REQUIRE(e->ecx & CPUID_1_ECX_XSAVE, "no XSAVE for guests");
	free(cpuid);
	HVX_REQUIRE(host_osxsave(), "host without OSXSAVE");
	ASSERT_TRUE(vcpu_enable_osxsave(vcpu));

	host_xcr0 = xgetbv(0);
	vcpu_expect_sync(vcpu, 1);
	/* The guest's XCR0 stays the guest's. */
	EXPECT_EQ(host_xcr0, xgetbv(0));
	vcpu_expect_done(vcpu);
	EXPECT_EQ(host_xcr0, xgetbv(0));
}

static volatile int release;

static void guest_spin(void)
{
	int round;

	for (round = 0; round < 2; round++) {
		GUEST_SYNC(round);
		while (release <= round)
			cpu_relax();
	}
	GUEST_DONE();
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	alarms++;
}

static void set_timer(long usec)
{
	struct itimerval it = {
		.it_interval = { .tv_usec = usec },
		.it_value = { .tv_usec = usec },
	};

	TEST_ASSERT(!setitimer(ITIMER_REAL, &it, NULL), "setitimer");
}

HVX_GUEST_TEST(signal_interrupts_run, guest_spin)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no restart */
	int round, ret;

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	for (round = 0; round < 2; round++) {
		vcpu_expect_sync(vcpu, round);
		/*
		 * The guest spins without exits; a periodic timer makes sure
		 * one signal lands while the vCPU thread is inside HVX_RUN.
		 */
		alarms = 0;
		set_timer(50000);
		ret = __vcpu_run_to_signal(vcpu, &alarms);
		set_timer(0);
		ASSERT_EQ(-1, ret);
		ASSERT_EQ(EINTR, errno);
		EXPECT_EQ(HVX_EXIT_INTR, vcpu->run->exit_reason);
		EXPECT_LT(0, alarms);
		guest_global(vm, release) = round + 1;
	}
	vcpu_expect_done(vcpu);
}

static volatile sig_atomic_t profs;

static void on_prof(int sig)
{
	profs++;
}

/*
 * A CPU-time timer expires in task work, which the kernel runs on the
 * thread's way back to userspace: HVX_RUN has to return for it while the
 * guest spins without an exit to userspace, or SIGPROF waits for the
 * wall-clock watchdog's SIGALRM (and ITIMER_PROF, RLIMIT_CPU never fire).
 */
HVX_GUEST_TEST(cpu_time_timer_interrupts_run, guest_spin)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no restart */
	struct sigaction sp = { .sa_handler = on_prof };
	struct itimerval prof = { .it_value = { .tv_usec = 100000 } };
	struct itimerval watchdog = { .it_value = { .tv_sec = 5 } };
	struct itimerval off = { 0 };
	int ret;

	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, sigaction(SIGPROF, &sp, NULL));
	vcpu_expect_sync(vcpu, 0);
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &watchdog, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_PROF, &prof, NULL));
	/*
	 * Other task work ends HVX_RUN too, with no signal (from 6.4 the
	 * scheduler's mm_cid scan, every 100 ms): run again until one came.
	 */
	do {
		ret = __vcpu_run(vcpu);
		if (ret != -1 || errno != EINTR ||
		    vcpu->run->exit_reason != HVX_EXIT_INTR)
			break;
	} while (!profs && !alarms);
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &off, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_PROF, &off, NULL));
	ASSERT_EQ(-1, ret);
	ASSERT_EQ(EINTR, errno);
	EXPECT_EQ(HVX_EXIT_INTR, vcpu->run->exit_reason);
	EXPECT_EQ(1, profs);
	EXPECT_EQ(0, alarms);
	guest_global(vm, release) = 1;
	vcpu_expect_sync(vcpu, 1);
	guest_global(vm, release) = 2;
	vcpu_expect_done(vcpu);
}

HVX_GUEST_TEST(immediate_exit, guest_spin)
{
	struct hvx_regs regs;

	vcpu->run->immediate_exit = 1;
	ASSERT_EQ(-1, __vcpu_run(vcpu));
	ASSERT_EQ(EINTR, errno);
	EXPECT_EQ(HVX_EXIT_INTR, vcpu->run->exit_reason);
	/* Nothing ran. */
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ((uintptr_t)guest_spin, regs.rip);
	/* Again, now in the middle of a guest. */
	vcpu->run->immediate_exit = 0;
	vcpu_expect_sync(vcpu, 0);
	vcpu->run->immediate_exit = 1;
	ASSERT_EQ(-1, __vcpu_run(vcpu));
	ASSERT_EQ(EINTR, errno);
	EXPECT_EQ(HVX_EXIT_INTR, vcpu->run->exit_reason);
	vcpu->run->immediate_exit = 0;
	guest_global(vm, release) = 1;
	vcpu_expect_sync(vcpu, 1);
	guest_global(vm, release) = 2;
	vcpu_expect_done(vcpu);
}

TEST_HARNESS_MAIN
