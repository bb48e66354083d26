// SPDX-License-Identifier: GPL-2.0
/*
 * host_test: hvx and the host around it.
 *
 * - A vCPU moved between host CPUs at every exit keeps its state (its VMCS
 *   is cleared on the old CPU and loaded on the new one).
 * - CPUs going offline and online while a VM exists: VMX follows them, and
 *   a VMCS active on a CPU going offline is cleared there; a vCPU that
 *   never leaves HVX_RUN is moved off the CPU and goes on.
 * - Another hypervisor (kvm_intel with a VM) holding VMX makes
 *   HVX_CREATE_VM fail with EBUSY and one log line, leaving nothing
 *   half-enabled: once KVM lets go, VMs work again.
 * - kvm_intel loaded before hvx's first VM or while hvx runs one: each
 *   keeps to the one emergency-reboot callback slot, no WARN.
 * - A guest state the processor refuses is HVX_EXIT_FAIL_ENTRY with the
 *   hardware's exit reason, and the guest runs once the state is fixed.
 * - A guest that runs without exits to userspace: its time is guest time
 *   in the thread's accounts, and it holds up no RCU Tasks grace period
 *   (a tracer going off waits for one).
 * - A VM's EPT flushes interrupt only the CPUs its vCPUs ran on.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "hvx_harness.h"

#define ROUNDS		40

static void guest_keep_state(void)
{
	uint64_t i, acc = 0, x;

	for (i = 0; i < ROUNDS; i++) {
		acc = acc * 7 + i;
		/* xmm3 and r12 must survive every exit and every move */
		asm volatile("movq %0, %%xmm3" : : "r"(acc));
		asm volatile("mov %0, %%r12" : : "r"(acc) : "r12");
		GUEST_SYNC2(i, acc);
		asm volatile("movq %%xmm3, %0" : "=r"(x));
		GUEST_ASSERT_EQ(x, acc);
		asm volatile("mov %%r12, %0" : "=r"(x));
		GUEST_ASSERT_EQ(x, acc);
	}
	GUEST_DONE();
}

static int nr_cpus(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN);
}

static int pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		return -1;
	return sched_getcpu() == cpu ? 0 : -1;
}

static void unpin(void)
{
	cpu_set_t set;
	int i;

	CPU_ZERO(&set);
	for (i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Run to the next sync and check it is round @i with the right value. */
static uint64_t expect_round(struct __test_metadata *_metadata,
			     struct test_vcpu *vcpu, uint64_t i, uint64_t acc)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_get_ucall(vcpu, &uc));
	EXPECT_EQ(i, uc.args[0]);
	acc = acc * 7 + i;
	EXPECT_EQ(acc, uc.args[1]);
	return acc;
}

HVX_GUEST_TEST(vcpu_migrates_every_exit, guest_keep_state)
{
	uint64_t i, acc = 0;

	HVX_REQUIRE(nr_cpus() >= 2, "needs 2 CPUs");
	for (i = 0; i < ROUNDS; i++) {
		ASSERT_EQ(0, pin_to(i % 2));
		acc = expect_round(_metadata, vcpu, i, acc);
	}
	vcpu_expect_done(vcpu);
	unpin();
}

/* A setting: a test that fails with the CPU offline puts it back. */
static int cpu_online_set(int cpu, int on)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online",
		 cpu);
	return hvx_setting_set(path, on ? "1" : "0") ? 0 : -1;
}

HVX_GUEST_TEST(cpu_hotplug_with_vm, guest_keep_state)
{
	uint64_t i = 0, acc = 0;

	HVX_REQUIRE(nr_cpus() >= 2, "needs 2 CPUs");
	HVX_REQUIRE(!access("/sys/devices/system/cpu/cpu1/online", W_OK),
		    "CPU1 cannot go offline");

	/* Last run on CPU1: its VMCS stays active there. */
	ASSERT_EQ(0, pin_to(1));
	acc = expect_round(_metadata, vcpu, i++, acc);
	ASSERT_EQ(0, pin_to(0));

	/* Offline clears it on CPU1 and turns VMX off there. */
	ASSERT_EQ(0, cpu_online_set(1, 0));
	EXPECT_EQ(1, nr_cpus());
	acc = expect_round(_metadata, vcpu, i++, acc);
	acc = expect_round(_metadata, vcpu, i++, acc);

	/* Online turns VMX on again: the guest runs there. */
	ASSERT_EQ(0, cpu_online_set(1, 1));
	ASSERT_EQ(0, pin_to(1));
	acc = expect_round(_metadata, vcpu, i++, acc);
	ASSERT_EQ(0, pin_to(0));
	acc = expect_round(_metadata, vcpu, i++, acc);
	unpin();
	while (i < ROUNDS)
		acc = expect_round(_metadata, vcpu, i++, acc);
	vcpu_expect_done(vcpu);
}

static volatile uint64_t stop_spinning;

/* CPUID exits (handled in the kernel) until the host says stop. */
static void guest_cpuid_until_stopped(void)
{
	uint32_t a, b, c, d;
	uint64_t n = 0;

	while (!stop_spinning) {
		cpuid_count(0, 0, &a, &b, &c, &d);
		n++;
	}
	GUEST_SYNC(n);
	GUEST_DONE();
}

struct spinner {
	struct test_vcpu *vcpu;
	struct ucall uc;
	uint64_t kind;
};

/* Stays inside HVX_RUN, in the guest or an exit handler, until stopped. */
static void *run_spinner(void *arg)
{
	struct spinner *sp = arg;

	sp->kind = vcpu_get_ucall(sp->vcpu, &sp->uc);
	return NULL;
}

/*
 * A vCPU that never leaves HVX_RUN, preempted in the guest and in exit
 * handlers, while its CPU goes offline and online: it is pushed to the
 * other CPU and goes on there, never finding VMX off where it runs.
 */
HVX_GUEST_TEST(cpu_offline_under_running_vcpu, guest_cpuid_until_stopped)
{
	struct spinner sp = { .vcpu = vcpu };
	volatile uint64_t *stop;
	cpu_set_t cpu1;
	pthread_t th;
	int round;

	HVX_REQUIRE(nr_cpus() >= 2, "needs 2 CPUs");
	HVX_REQUIRE(!access("/sys/devices/system/cpu/cpu1/online", W_OK),
		    "CPU1 cannot go offline");
	stop = &guest_global(vm, stop_spinning);
	ASSERT_EQ(0, pin_to(0));
	ASSERT_EQ(0, pthread_create(&th, NULL, run_spinner, &sp));
	CPU_ZERO(&cpu1);
	CPU_SET(1, &cpu1);
	for (round = 0; round < 3; round++) {
		/* the vCPU runs on CPU1 when it goes: the kernel moves it */
		ASSERT_EQ(0, pthread_setaffinity_np(th, sizeof(cpu1), &cpu1));
		usleep(200 * 1000);
		ASSERT_EQ(0, cpu_online_set(1, 0));
		usleep(200 * 1000);
		ASSERT_EQ(0, cpu_online_set(1, 1));
	}
	*stop = 1;
	ASSERT_EQ(0, pthread_join(th, NULL));
	unpin();
	ASSERT_EQ(UCALL_SYNC, sp.kind);
	EXPECT_LT(0, sp.uc.args[0]);
	vcpu_expect_done(vcpu);
}

/* Pauses, taking only the exits of host interrupts, until stopped. */
static void guest_pause_until_stopped(void)
{
	uint64_t n = 0;

	while (!stop_spinning) {
		asm volatile("pause");
		n++;
	}
	GUEST_SYNC(n);
	GUEST_DONE();
}

/*
 * As run_spinner(), then the thread's own user, system and guest time
 * (/proc/thread-self/stat fields 14, 15 and 43, in clock ticks).
 */
struct timed_spinner {
	struct spinner sp;
	long utime, stime, gtime;
};

static void *run_timed_spinner(void *arg)
{
	struct timed_spinner *t = arg;
	char buf[1024], *p;
	int fd, n, field;

	run_spinner(&t->sp);
	t->gtime = -1;
	fd = open("/proc/thread-self/stat", O_RDONLY);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	/* the name, field 2, may hold spaces: count from its ')' */
	p = strrchr(buf, ')');
	for (field = 2; p && field < 43; field++) {
		p = strchr(p + 1, ' ');
		if (p && field + 1 == 14)
			t->utime = strtol(p + 1, NULL, 10);
		if (p && field + 1 == 15)
			t->stime = strtol(p + 1, NULL, 10);
	}
	if (p)
		t->gtime = strtol(p + 1, NULL, 10);
	return NULL;
}

/*
 * Half a second of a guest that runs on: the ticks that interrupt it
 * count as guest time (which the kernel counts in user time too), as
 * under KVM.  Before, all of it was the thread's system time.
 */
HVX_GUEST_TEST(guest_time_is_guest_time, guest_pause_until_stopped)
{
	struct timed_spinner t = { .sp.vcpu = vcpu };
	pthread_t th;

	ASSERT_EQ(0, pthread_create(&th, NULL, run_timed_spinner, &t));
	usleep(500 * 1000);
	guest_global(vm, stop_spinning) = 1;
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(UCALL_SYNC, t.sp.kind);
	TH_LOG("user %ld, system %ld, guest %ld ticks", t.utime, t.stime,
	       t.gtime);
	ASSERT_LE(0, t.gtime);
	EXPECT_LT(0, t.gtime);
	/* most of the run: allow for the host's work around it */
	EXPECT_LE(t.stime, t.gtime);
	vcpu_expect_done(vcpu);
}

static const char *const rcu_instance = "/sys/kernel/tracing/instances/hvx_rcu";

static int write_str(const char *dir, const char *file, const char *val)
{
	char path[256];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

/* The function tracer of a trace instance going off, in a thread. */
static void *tracer_off(void *arg)
{
	*(int *)arg = write_str(rcu_instance, "current_tracer", "nop");
	return NULL;
}

/*
 * While a vCPU's guest runs on, a trace instance's function tracer goes
 * off: ftrace frees its trampoline after an RCU Tasks grace period,
 * which waits for every task to switch voluntarily or run in user mode
 * (kprobes' optimizer and BPF trampolines wait the same way).  The guest
 * counts as user mode, as under KVM; before, the tracer waited until the
 * guest stopped.  The limit is generous: a grace period takes about a
 * second in the emulated test host.
 */
HVX_GUEST_TEST(running_guest_lets_rcu_tasks_end, guest_pause_until_stopped)
{
	struct spinner sp = { .vcpu = vcpu };
	pthread_t th, off;
	struct timespec ts;
	int r = -1, j;

	if (mkdir(rcu_instance, 0755) && errno != EEXIST)
		SKIP(return, "no trace instances (tracefs): %s",
		     strerror(errno));
	/* one function the test never calls: tracing costs nothing */
	r = write_str(rcu_instance, "set_ftrace_filter", "ksys_sync");
	if (!r)
		r = write_str(rcu_instance, "current_tracer", "function");
	if (r)
		rmdir(rcu_instance);
	ASSERT_EQ(0, r) {
		TH_LOG("the function tracer on ksys_sync: %s", strerror(errno));
	}
	r = -1;
	ASSERT_EQ(0, pthread_create(&th, NULL, run_spinner, &sp));
	usleep(200 * 1000);
	ASSERT_EQ(0, pthread_create(&off, NULL, tracer_off, &r));
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 30;
	j = pthread_timedjoin_np(off, NULL, &ts);
	guest_global(vm, stop_spinning) = 1;
	ASSERT_EQ(0, pthread_join(th, NULL));
	if (j)
		ASSERT_EQ(0, pthread_join(off, NULL));
	rmdir(rcu_instance);
	EXPECT_EQ(0, j) {
		TH_LOG("the tracer went off only once the guest stopped");
	}
	EXPECT_EQ(0, r);
	ASSERT_EQ(UCALL_SYNC, sp.kind);
	vcpu_expect_done(vcpu);
}

#define FLUSH_GVA	(GUEST_SCRATCH_GPA + 0x5000)
#define FLUSHES		200

/* Reads a page the VMM takes away between two reads, @n times. */
static void guest_reads_a_page(void)
{
	volatile uint64_t *p = (volatile uint64_t *)FLUSH_GVA;
	uint64_t i;

	for (i = 0; i < FLUSHES; i++) {
		(void)*p;
		GUEST_SYNC(i);
	}
	GUEST_DONE();
}

/*
 * CPU @cpu's function-call interrupts that were no TLB shootdown (a
 * shootdown is one too): /proc/interrupts's CAL less its TLB.
 */
static long call_irqs(int cpu)
{
	char line[4096], *p;
	long cal = -1, tlb = -1, v;
	FILE *f = fopen("/proc/interrupts", "r");
	int i;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		p = line + strspn(line, " ");
		if (strncmp(p, "CAL:", 4) && strncmp(p, "TLB:", 4))
			continue;
		v = -1;
		for (i = 0, p += 4; i <= cpu; i++)
			v = strtol(p, &p, 10);
		if (!strncmp(line + strspn(line, " "), "CAL:", 4))
			cal = v;
		else
			tlb = v;
	}
	fclose(f);
	return cal < 0 || tlb < 0 ? -1 : cal - tlb;
}

/*
 * A VM whose vCPU runs on CPU0 alone: each of @FLUSHES zaps of a guest
 * page (MADV_DONTNEED, through the MMU notifier) flushes the VM's EPT,
 * on CPU0.  CPU1, which never ran the VM, gets none of those IPIs; before,
 * INVEPT went to every CPU.
 */
HVX_TEST(ept_flush_spares_cpus_the_vm_never_ran_on)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint8_t *hva;
	long before, after;
	int i;

	HVX_REQUIRE(nr_cpus() >= 2, "needs 2 CPUs");
	/* pinned first: every ioctl of the vCPU loads it where it runs */
	ASSERT_EQ(0, pin_to(0));
	vm = vm_create_with_one_vcpu(&vcpu, guest_reads_a_page);
	hva = addr_gpa2hva(vm, FLUSH_GVA, 4096);
	before = call_irqs(1);
	ASSERT_LE(0, before);
	for (i = 0; i < FLUSHES; i++) {
		vcpu_expect_sync(vcpu, i);
		ASSERT_EQ(0, madvise(hva, 4096, MADV_DONTNEED));
	}
	after = call_irqs(1);
	vcpu_expect_done(vcpu);
	vm_free(vm);
	unpin();
	TH_LOG("CPU1: %ld function-call interrupts over %d flushes",
	       after - before, FLUSHES);
	EXPECT_LT(after - before, FLUSHES / 4);
}

HVX_TEST(cpu_hotplug_without_vm)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint64_t i, acc = 0;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(nr_cpus() >= 2, "needs 2 CPUs");
	HVX_REQUIRE(!access("/sys/devices/system/cpu/cpu1/online", W_OK),
		    "CPU1 cannot go offline");
	/* No VM: VMX is off, hotplug does not involve hvx at all. */
	ASSERT_EQ(0, cpu_online_set(1, 0));
	ASSERT_EQ(0, cpu_online_set(1, 1));

	vm = vm_create_with_one_vcpu(&vcpu, guest_keep_state);
	for (i = 0; i < ROUNDS; i++) {
		ASSERT_EQ(0, pin_to(i % 2));
		acc = expect_round(_metadata, vcpu, i, acc);
	}
	vcpu_expect_done(vcpu);
	unpin();
	vm_free(vm);
}

/*
 * A kernel ignores, with a log line, a parameter the module does not
 * have: kvm's enable_virt_at_load is new in 6.12.
 */
static int load_module_params(const char *name, const char *params)
{
	struct utsname u;
	char path[256];
	int fd, ret;

	uname(&u);
	snprintf(path, sizeof(path), "/lib/modules/%s/%s.ko", u.release, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret == -EEXIST ? 0 : ret;
}

static int load_module(const char *name)
{
	return load_module_params(name, "");
}

/*
 * Whether module @name's file declares parameter @param (its .modinfo
 * has "parmtype=PARAM:"): loading kvm.ko to find out costs the test host
 * seconds.  Return: 1 or 0, or -1 when the file could not be read whole
 * (the caller then loads the module and looks).
 */
static int module_has_param(const char *name, const char *param)
{
	char path[256], key[96];
	struct utsname u;
	struct stat st;
	size_t got = 0;
	char *buf = NULL;
	ssize_t r = 0;
	int fd, ret = -1;

	uname(&u);
	snprintf(path, sizeof(path), "/lib/modules/%s/%s.ko", u.release, name);
	snprintf(key, sizeof(key), "parmtype=%s:", param);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!fstat(fd, &st) && st.st_size > 0)
		buf = malloc(st.st_size);
	while (buf && got < (size_t)st.st_size) {
		r = read(fd, buf + got, st.st_size - got);
		if (r <= 0)
			break;
		got += r;
	}
	if (buf && got == (size_t)st.st_size)
		ret = !!memmem(buf, got, key, strlen(key));
	free(buf);
	close(fd);
	return ret;
}

/*
 * kvm_intel loaded but idle.  Since 6.12 kvm turns VMX on on every CPU
 * when it loads (enable_virt_at_load, on by default) instead of when its
 * first VM is created; off, it waits for a VM as 6.1's does.
 */
static int load_kvm_idle(void)
{
	if (load_module("irqbypass") ||
	    load_module_params("kvm", "enable_virt_at_load=0"))
		return -1;
	return load_module("kvm-intel");
}

static int klog_count(const char *what)
{
	static char buf[1 << 20];
	int len = klogctl(3, buf, sizeof(buf) - 1), n = 0;
	char *p = buf;

	if (len < 0)
		return -1;
	buf[len] = '\0';
	while ((p = strstr(p, what))) {
		n++;
		p += strlen(what);
	}
	return n;
}

HVX_TEST(kvm_holding_vmx_is_ebusy)
{
	const char *line = "VMX is in use by another hypervisor";
	int kvm, kvm_vm, fd, before;

	HVX_REQUIRE_VM();
	if (load_module("irqbypass") || load_module("kvm") ||
	    load_module("kvm-intel"))
		SKIP(return, "kvm_intel cannot be loaded here");
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, kvm);
	/* A KVM VM turns VMX on, in KVM's hands, on every CPU. */
	kvm_vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_LE(0, kvm_vm);

	before = klog_count(line);
	fd = ioctl(hvx_dev_fd(), HVX_CREATE_VM, 0);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EBUSY, errno);
	EXPECT_LT(before, klog_count(line));
	/* and again: the first failure left nothing half-enabled */
	fd = ioctl(hvx_dev_fd(), HVX_CREATE_VM, 0);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EBUSY, errno);

	close(kvm_vm);
	close(kvm);
	EXPECT_EQ(0, syscall(SYS_delete_module, "kvm_intel", O_NONBLOCK));
	EXPECT_EQ(0, syscall(SYS_delete_module, "kvm", O_NONBLOCK));

	/* KVM let go: hvx VMs work again. */
	fd = ioctl(hvx_dev_fd(), HVX_CREATE_VM, 0);
	ASSERT_LE(0, fd);
	close(fd);
}

static void guest_counts(void)
{
	int i;

	for (i = 0; i < 3; i++)
		GUEST_SYNC(i);
	GUEST_DONE();
}

static void run_counting_guest(struct __test_metadata *_metadata)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	int i;

	vm = vm_create_with_one_vcpu(&vcpu, guest_counts);
	for (i = 0; i < 3; i++)
		vcpu_expect_sync(vcpu, i);
	vcpu_expect_done(vcpu);
	vm_free(vm);
}

static int unload_kvm(void)
{
	if (syscall(SYS_delete_module, "kvm_intel", O_NONBLOCK))
		return -errno;
	return syscall(SYS_delete_module, "kvm", O_NONBLOCK) ? -errno : 0;
}

/*
 * Whether the kernel has warned since boot (the W taint): a warning the
 * count of "WARNING:" lines misses, its line or an older one having
 * scrolled out of the log buffer, still shows here.
 */
static bool tainted_by_warning(void)
{
	unsigned long t = 0;
	FILE *f = fopen("/proc/sys/kernel/tainted", "r");

	if (f) {
		if (fscanf(f, "%lu", &t) != 1)
			t = 0;
		fclose(f);
	}
	return t & (1UL << 9);		/* TAINT_WARN */
}

/*
 * The kernel has one emergency-reboot callback slot for virtualization,
 * and kvm_intel holds it while loaded: hvx must neither take it from KVM
 * nor WARN when it cannot have it, in either order.
 */
HVX_TEST(kvm_intel_loaded_first)
{
	bool tainted = tainted_by_warning();
	int warns;

	HVX_REQUIRE_VM();
	warns = klog_count("WARNING:");
	if (load_kvm_idle())
		SKIP(return, "kvm_intel cannot be loaded here");
	/* kvm_intel idle: hvx turns VMX on, KVM's callback stays */
	run_counting_guest(_metadata);
	run_counting_guest(_metadata);
	EXPECT_EQ(0, unload_kvm());
	/* and hvx takes the slot once KVM is gone */
	run_counting_guest(_metadata);
	EXPECT_EQ(warns, klog_count("WARNING:"));
	EXPECT_EQ(tainted, tainted_by_warning());
}

HVX_TEST(kvm_intel_loaded_while_hvx_runs)
{
	bool tainted = tainted_by_warning();
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	int warns, kvm;

	HVX_REQUIRE_VM();
	warns = klog_count("WARNING:");
	vm = vm_create_with_one_vcpu(&vcpu, guest_counts);
	vcpu_expect_sync(vcpu, 0);
	/* hvx holds VMX and the slot: kvm_intel must still load and own it */
	if (load_kvm_idle()) {
		vm_free(vm);
		SKIP(return, "kvm_intel cannot be loaded here");
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, kvm);
	/* VMX is hvx's: KVM cannot turn it on (6.1 says EBUSY, 6.12 EIO) */
	EXPECT_EQ(-1, ioctl(kvm, KVM_CREATE_VM, 0));
	EXPECT_TRUE(errno == EBUSY || errno == EIO) {
		TH_LOG("KVM_CREATE_VM: %s", strerror(errno));
	}
	close(kvm);
	vcpu_expect_sync(vcpu, 1);
	EXPECT_EQ(0, unload_kvm());
	/* hvx takes the slot back, and its guest never noticed */
	vcpu_expect_sync(vcpu, 2);
	vcpu_expect_done(vcpu);
	vm_free(vm);
	EXPECT_EQ(warns, klog_count("WARNING:"));
	EXPECT_EQ(tainted, tainted_by_warning());
}

/*
 * 6.12's default: kvm_intel holds VMX from the moment it loads, so hvx's
 * VMs fail with EBUSY until it is unloaded (README: "On a real VT-x
 * machine").
 */
HVX_TEST(kvm_intel_enabled_at_load_is_ebusy)
{
	int fd;

	HVX_REQUIRE_VM();
	if (module_has_param("kvm", "enable_virt_at_load") == 0)
		SKIP(return, "kvm has no enable_virt_at_load (before 6.12)");
	if (load_module("irqbypass") ||
	    load_module_params("kvm", "enable_virt_at_load=1") ||
	    load_module("kvm-intel"))
		SKIP(return, "kvm_intel cannot be loaded here");
	if (access("/sys/module/kvm/parameters/enable_virt_at_load", F_OK)) {
		EXPECT_EQ(0, unload_kvm());
		SKIP(return, "kvm has no enable_virt_at_load (before 6.12)");
	}
	fd = ioctl(hvx_dev_fd(), HVX_CREATE_VM, 0);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, unload_kvm());

	fd = ioctl(hvx_dev_fd(), HVX_CREATE_VM, 0);
	ASSERT_LE(0, fd);
	close(fd);
}

static void guest_never_runs(void)
{
	GUEST_DONE();
}

HVX_GUEST_TEST(invalid_guest_state_is_fail_entry, guest_never_runs)
{
	struct hvx_sregs s;

	vcpu_sregs_get(vcpu, &s);
	/* TR must be a busy TSS (type 3 or 11): make it an available one. */
	s.tr.ar = (s.tr.ar & ~HVX_AR_TYPE_MASK) | 0x9;
	vcpu_sregs_set(vcpu, &s);
	vcpu->run->fail_entry.pad = 0xffffffff;
	ASSERT_EQ(0, __vcpu_run(vcpu));
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_FAIL_ENTRY);
	/* bit 31: VM-entry failure; 33: invalid guest state */
	EXPECT_EQ(0x80000021ULL, vcpu->run->fail_entry.hardware_exit_reason);
	EXPECT_LT(vcpu->run->fail_entry.cpu, (uint32_t)nr_cpus());
	EXPECT_EQ(0, vcpu->run->fail_entry.pad);	/* the module's, zeroed */

	/*
	 * The documented flow: fix the state and run again.  The failed
	 * VMLAUNCH left the VMCS clear, so the next entry must launch it
	 * again (a VMRESUME would fail with VM-instruction error 5).
	 */
	s.tr.ar = (s.tr.ar & ~HVX_AR_TYPE_MASK) | 0xb;
	vcpu_sregs_set(vcpu, &s);
	vcpu_expect_done(vcpu);
}

TEST_HARNESS_MAIN
