// SPDX-License-Identifier: GPL-2.0
/*
 * isolation_test: host state a guest changes or relies on, kept apart
 * (Documentation/design.rst, "What a guest can and cannot do to the
 * host").
 *
 * - Every MSR a guest writes without an exit (KERNEL_GS_BASE by SWAPGS,
 *   FS/GS base, SYSENTER, PAT) survives exits to userspace, rescheduling
 *   and migration between host CPUs, seen by the guest and by
 *   HVX_GET_MSRS.
 * - DS and ES of the calling thread come back from HVX_RUN as they were
 *   (a 32-bit caller's __USER_DS), and so does its LDT, even one another
 *   thread installed while HVX_RUN ran.
 * - RDPMC exits: #GP, never the host's counters.
 * - #DB is the guest's: DR6 reports the single step the guest took, and
 *   the guest's DR0-3 (not the host's) back the breakpoints its DR7 arms.
 * - The host's hardware breakpoints (perf, ptrace) stay armed across
 *   VM exits, which clear DR7.
 * - XCR0: features outside hvx's fixed allow-list (PKRU, MPX, AMX) are
 *   refused with #GP even when userspace shows them in CPUID.
 * - The speculative-execution mitigations reported by HVX_GET_CAPS
 *   follow the host's own (/sys/devices/system/cpu/vulnerabilities).
 * - vmentry_l1d_flush=cond flushes L1D for what KVM's does, not after
 *   each EPT violation that faults guest memory in.
 */
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <asm/ldt.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hvx_harness.h"

#define ROUNDS			6

/* Values a round writes: distinct per MSR and per round, canonical. */
#define VAL(msr, round)	(0x0000123400000000ULL | ((uint64_t)(msr) << 8) | \
			 (round))
#define PAT_VAL(round)	(0x0007040600070406ULL ^ ((uint64_t)((round) & 1) << 8))

static const uint32_t exitless_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

static void swapgs(void)
{
	asm volatile("swapgs" : : : "memory");
}

/*
 * Each round: KERNEL_GS_BASE by WRMSR (an exit), then SWAPGS swaps it
 * with GS base without one; the MSRs of the VMCS by WRMSR without exits.
 * The host takes the exit, moves the thread, reads and checks; the guest
 * then checks that nothing changed under it.
 */
static void guest_exitless_msrs(void)
{
	uint64_t round, i;

	for (round = 0; round < ROUNDS; round++) {
		wrmsr(MSR_KERNEL_GS_BASE, VAL(MSR_KERNEL_GS_BASE, round));
		for (i = 0; i < ARRAY_SIZE(exitless_msrs); i++)
			wrmsr(exitless_msrs[i], VAL(exitless_msrs[i], round));
		wrmsr(MSR_IA32_SYSENTER_CS, 0x10 + round);
		wrmsr(MSR_IA32_CR_PAT, PAT_VAL(round));
		/* GS base <-> KERNEL_GS_BASE, behind hvx's back */
		swapgs();
		GUEST_SYNC(round);
		GUEST_ASSERT_EQ(rdmsr(MSR_KERNEL_GS_BASE),
				VAL(MSR_GS_BASE, round));
		GUEST_ASSERT_EQ(rdmsr(MSR_GS_BASE),
				VAL(MSR_KERNEL_GS_BASE, round));
		swapgs();
		GUEST_ASSERT_EQ(rdmsr(MSR_GS_BASE), VAL(MSR_GS_BASE, round));
		GUEST_ASSERT_EQ(rdmsr(MSR_FS_BASE), VAL(MSR_FS_BASE, round));
		GUEST_ASSERT_EQ(rdmsr(MSR_IA32_SYSENTER_CS), 0x10 + round);
		GUEST_ASSERT_EQ(rdmsr(MSR_IA32_SYSENTER_ESP),
				VAL(MSR_IA32_SYSENTER_ESP, round));
		GUEST_ASSERT_EQ(rdmsr(MSR_IA32_SYSENTER_EIP),
				VAL(MSR_IA32_SYSENTER_EIP, round));
		GUEST_ASSERT_EQ(rdmsr(MSR_IA32_CR_PAT), PAT_VAL(round));
	}
	GUEST_DONE();
}

static void move_thread(int round)
{
	int cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(round % cpus, &set);
	sched_setaffinity(0, sizeof(set), &set);
	/* and let anything else on that CPU run in between */
	usleep(1000);
	sched_yield();
}

HVX_GUEST_TEST(exitless_msrs_survive_exits, guest_exitless_msrs)
{
	cpu_set_t all;
	int round;

	sched_getaffinity(0, sizeof(all), &all);
	for (round = 0; round < ROUNDS; round++) {
		vcpu_expect_sync(vcpu, round);
		move_thread(round);
		/* the guest swapped GS base and KERNEL_GS_BASE */
		EXPECT_EQ(VAL(MSR_GS_BASE, round),
			  vcpu_get_msr(vcpu, MSR_KERNEL_GS_BASE));
		EXPECT_EQ(VAL(MSR_KERNEL_GS_BASE, round),
			  vcpu_get_msr(vcpu, MSR_GS_BASE));
		EXPECT_EQ(VAL(MSR_FS_BASE, round),
			  vcpu_get_msr(vcpu, MSR_FS_BASE));
		EXPECT_EQ(0x10 + round, vcpu_get_msr(vcpu, MSR_IA32_SYSENTER_CS));
		EXPECT_EQ(VAL(MSR_IA32_SYSENTER_EIP, round),
			  vcpu_get_msr(vcpu, MSR_IA32_SYSENTER_EIP));
		EXPECT_EQ(PAT_VAL(round), vcpu_get_msr(vcpu, MSR_IA32_CR_PAT));
	}
	vcpu_expect_done(vcpu);
	sched_setaffinity(0, sizeof(all), &all);
}

static void guest_out_loop(void)
{
	int i;

	for (i = 0; i < 4; i++)
		GUEST_SYNC(i);
	GUEST_DONE();
}

/* HVX_RUN by a raw SYSCALL with DS = ES = @sel; what they hold after. */
static uint16_t run_with_ds_es(int fd, uint16_t sel, uint16_t *es)
{
	long ret = SYS_ioctl;
	uint16_t ds;

	asm volatile("mov %w[sel], %%ds\n\t"
		     "mov %w[sel], %%es\n\t"
		     "syscall\n\t"
		     "mov %%ds, %w[ds]\n\t"
		     "mov %%es, %w[es]\n\t"
		     : "+a"(ret), [ds] "=&r"(ds), [es] "=&r"(*es)
		     : "D"((long)fd), "S"((long)HVX_RUN), "d"(0L),
		       [sel] "r"(sel)
		     : "rcx", "r11", "memory");
	return ds;
}

#define USER_DS		0x2b	/* __USER_DS of x86-64 Linux */

HVX_GUEST_TEST(ds_es_restored, guest_out_loop)
{
	uint16_t ds, es;
	int i;

	for (i = 0; i < 4; i++) {
		ds = run_with_ds_es(vcpu->fd, USER_DS, &es);
		EXPECT_EQ(USER_DS, ds);
		EXPECT_EQ(USER_DS, es);
		TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	}
	/* a 64-bit caller's null selectors stay usable too */
	asm volatile("mov %w0, %%ds; mov %w0, %%es" : : "r"(0));
	vcpu_expect_done(vcpu);
}

/*
 * A 64-bit caller's null DS and ES come back null, not the kernel's
 * selector, which a debugger's PTRACE_SETREGS then refuses with EIO.
 * (Every exit loaded __KERNEL_DS, and the return by SYSRET kept it.)
 */
HVX_GUEST_TEST(null_ds_es_stay_null, guest_out_loop)
{
	uint16_t ds, es;
	int i;

	for (i = 0; i < 4; i++) {
		ds = run_with_ds_es(vcpu->fd, 0, &es);
		EXPECT_EQ(0, ds);
		EXPECT_EQ(0, es);
		TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	}
	asm volatile("mov %w0, %%ds; mov %w0, %%es" : : "r"(0));
	vcpu_expect_done(vcpu);
}

/*
 * The guest says it runs, then spins until the host has done its part:
 * the whole time inside one HVX_RUN, guest MSRs and selectors loaded.
 */
static volatile uint64_t ldt_started, ldt_go;

static void guest_wait_for_go(void)
{
	ldt_started = 1;
	while (!ldt_go)
		cpu_relax();
	GUEST_DONE();
}

struct ldt_installer {
	struct test_vm *vm;
	int cpu;
	long ret;
};

/* On another CPU: once the guest runs, the process's first LDT. */
static void *install_ldt(void *arg)
{
	struct user_desc d = {
		.entry_number = 0, .base_addr = 0, .limit = 0xfffff,
		.seg_32bit = 1, .limit_in_pages = 1, .useable = 1,
	};
	struct ldt_installer *in = arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(in->cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
	while (!__atomic_load_n(&guest_global(in->vm, ldt_started),
				__ATOMIC_ACQUIRE))
		usleep(1000);
	in->ret = syscall(SYS_modify_ldt, 1, &d, sizeof(d));
	__atomic_store_n(&guest_global(in->vm, ldt_go), 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Whether selector @sel is usable: LAR sets ZF for a valid descriptor. */
static bool selector_valid(uint16_t sel)
{
	uint32_t ar = 0;
	bool ok;

	asm volatile("lar %[sel], %[ar]" : "=@ccz"(ok), [ar] "+r"(ar)
		     : [sel] "r"((uint32_t)sel));
	return ok;
}

/*
 * Another thread's modify_ldt() while HVX_RUN runs: its IPI loads LDTR on
 * the vCPU's CPU, the next VM exit clears it, and HVX_RUN must still
 * return to the LDT (a thread left without one faults on its selectors).
 */
HVX_GUEST_TEST(ldt_installed_during_run, guest_wait_for_go)
{
	struct ldt_installer in = { .vm = vm, .cpu = 1 };
	cpu_set_t all, one;
	pthread_t t;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "needs two CPUs");
	EXPECT_FALSE(selector_valid(0x7));
	sched_getaffinity(0, sizeof(all), &all);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	ASSERT_EQ(0, pthread_create(&t, NULL, install_ldt, &in));
	vcpu_expect_done(vcpu);
	EXPECT_TRUE(selector_valid(0x7));
	pthread_join(t, NULL);
	EXPECT_EQ(0, in.ret);
	sched_setaffinity(0, sizeof(all), &all);
}

#define X86_CR4_PCE	(1UL << 8)

static void guest_rdpmc(void)
{
	uint64_t v = 0;

	asm volatile("mov %0, %%cr4" : : "r"(get_cr4() | X86_CR4_PCE));
	GUEST_ASSERT(get_cr4() & X86_CR4_PCE);
	/* no virtual PMU: every counter index is out of range */
	GUEST_ASSERT_EQ(rdpmc_safe(0, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(rdpmc_safe(1, &v), GP_VECTOR);
	GUEST_ASSERT_EQ(rdpmc_safe(1U << 30, &v), GP_VECTOR);
	GUEST_DONE();
}

HVX_GUEST_TEST(rdpmc_is_gp, guest_rdpmc)
{
	vcpu_expect_done(vcpu);
}

static volatile uint64_t db_count, db_dr6;

static void db_handler(struct guest_ex_regs *regs)
{
	uint64_t dr6;

	asm volatile("mov %%dr6, %0" : "=r"(dr6));
	db_dr6 = dr6;
	db_count++;
	regs->rflags &= ~X86_EFLAGS_TF;
	/* the guest clears DR6 itself, as a kernel does */
	asm volatile("mov %0, %%dr6" : : "r"(DR6_RESET));
}

static void guest_single_step(void)
{
	uint64_t dr6;

	asm volatile("pushf\n\t"
		     "orq $0x100, (%%rsp)\n\t"
		     "popf\n\t"
		     "nop\n\t"
		     "nop\n\t" : : : "memory", "cc");
	GUEST_ASSERT_EQ(db_count, 1);
	GUEST_ASSERT(db_dr6 & DR6_BS);
	asm volatile("mov %%dr6, %0" : "=r"(dr6));
	GUEST_ASSERT_EQ(dr6, DR6_RESET);
	GUEST_DONE();
}

HVX_GUEST_TEST(single_step_db_is_guests, guest_single_step)
{
	vm_install_exception_handler(vm, DB_VECTOR, db_handler);
	vcpu_expect_done(vcpu);
}

static volatile uint64_t watched;

/*
 * A hardware breakpoint on this thread's @watched; NULL when the CPU (or
 * the emulator) does not raise it natively, without any guest around.
 */
static int watch_open(void)
{
	struct perf_event_attr pe = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(pe),
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = (uintptr_t)&watched,
		.bp_len = HW_BREAKPOINT_LEN_8,
		.sample_period = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	uint64_t n = 0;
	int fd;

	fd = syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0);
	if (fd < 0)
		return -1;
	watched++;
	if (read(fd, &n, sizeof(n)) != sizeof(n) || n != 1) {
		close(fd);
		return -1;
	}
	return fd;
}

static uint64_t watch_count(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return ~0ULL;
	return n;
}

/* A VM exit clears DR7: the host's breakpoint must be armed again after. */
HVX_GUEST_TEST(host_breakpoint_survives_exits, guest_out_loop)
{
	int fd = watch_open(), i;

	HVX_REQUIRE(fd >= 0, "hardware breakpoints do not fire here");
	for (i = 0; i < 4; i++) {
		vcpu_expect_sync(vcpu, i);
		/* right after HVX_RUN, before anything reschedules */
		watched++;
		EXPECT_EQ(i + 2, watch_count(fd));
	}
	vcpu_expect_done(vcpu);
	close(fd);
}

static volatile uint64_t guest_var, bp_hits, bp_dr6;

static void db_count_bp(struct guest_ex_regs *regs)
{
	uint64_t dr6;

	asm volatile("mov %%dr6, %0" : "=r"(dr6));
	bp_dr6 = dr6;
	bp_hits++;
	asm volatile("mov %0, %%dr6" : : "r"(DR6_RESET));
}

/* DR0: write breakpoint on 8 bytes; DR7: L0, R/W0 = write, LEN0 = 8. */
#define DR7_L0_W8	0x000d0401UL

static void guest_breakpoint(void)
{
	asm volatile("mov %0, %%dr0" : : "r"(&guest_var));
	asm volatile("mov %0, %%dr7" : : "r"(DR7_L0_W8));
	guest_var = 1;
	GUEST_ASSERT_EQ(bp_hits, 1);
	GUEST_ASSERT(bp_dr6 & 1);	/* B0 */
	/* exits in between must not lose the guest's DR0 */
	GUEST_SYNC(0);
	guest_var = 2;
	GUEST_ASSERT_EQ(bp_hits, 2);
	asm volatile("mov %0, %%dr7" : : "r"(0x400UL));
	guest_var = 3;
	GUEST_ASSERT_EQ(bp_hits, 2);
	GUEST_DONE();
}

/*
 * The guest's DR0 and DR7 are its own, while the host's breakpoint (in
 * the same first slot) stays armed for the host around every run.
 */
HVX_GUEST_TEST(guest_breakpoint_is_guests, guest_breakpoint)
{
	int fd = watch_open();

	HVX_REQUIRE(fd >= 0, "hardware breakpoints do not fire here");
	vm_install_exception_handler(vm, DB_VECTOR, db_count_bp);
	vcpu_expect_sync(vcpu, 0);
	watched++;
	EXPECT_EQ(2, watch_count(fd));
	vcpu_expect_done(vcpu);
	watched++;
	EXPECT_EQ(3, watch_count(fd));
	close(fd);
}

#define XFEATURE_MPX		(3ULL << 3)
#define XFEATURE_PKRU		(1ULL << 9)
#define XFEATURE_AMX		(3ULL << 17)

static void guest_xcr0_allow_list(void)
{
	uint64_t base = XFEATURE_X87 | XFEATURE_SSE;

	GUEST_ASSERT_EQ(xsetbv_safe(0, base), GUEST_NO_FAULT);
	GUEST_ASSERT_EQ(xsetbv_safe(0, base | XFEATURE_PKRU), GP_VECTOR);
	GUEST_ASSERT_EQ(xsetbv_safe(0, base | XFEATURE_MPX), GP_VECTOR);
	GUEST_ASSERT_EQ(xsetbv_safe(0, base | XFEATURE_AMX), GP_VECTOR);
	GUEST_ASSERT_EQ(xgetbv(0), base);
	GUEST_DONE();
}

HVX_GUEST_TEST(xcr0_allow_list, guest_xcr0_allow_list)
{
	struct hvx_cpuid_entry *e;
	struct hvx_cpuid *cpuid;

	cpuid = hvx_get_cpuid_alloc(vcpu->fd);
	ASSERT_NE(NULL, cpuid);
	e = hvx_cpuid_find(cpuid, 1, 0);
	ASSERT_NE(NULL, e);
	HVX_REQUIRE(e->ecx & CPUID_1_ECX_XSAVE, "no XSAVE for guests");
	/* userspace claims every feature: hvx must still refuse them */
	e = hvx_cpuid_find(cpuid, 0xd, 0);
	ASSERT_NE(NULL, e);
	e->eax |= XFEATURE_PKRU | XFEATURE_MPX | XFEATURE_AMX;
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_SET_CPUID, cpuid));
	free(cpuid);
	ASSERT_TRUE(vcpu_enable_osxsave(vcpu));
	vcpu_expect_done(vcpu);
}

/* Whether /sys/devices/system/cpu/vulnerabilities/@name holds @what. */
static bool vuln_says(const char *name, const char *what)
{
	char path[128], buf[256] = "";
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/vulnerabilities/%s", name);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strstr(buf, what) != NULL;
}

HVX_TEST(mitigations_follow_the_host)
{
	bool verw;
	uint64_t m;
	uint64_t l1d = HVX_MITIGATE_L1D_FLUSH_COND |
		       HVX_MITIGATE_L1D_FLUSH_ALWAYS |
		       HVX_MITIGATE_L1D_FLUSH_OFF;

	HVX_REQUIRE_VM();
	m = hvx_dev_caps()->mitigations;
	/*
	 * the host clears CPU buffers on its way to user mode: so does hvx.
	 * MDS, TAA or RFDS may be why (a CPU affected by one alone says so
	 * in its own file; RFDS's says "Clear Register File").  MMIO stale
	 * data alone is either way: 6.12 clears before every VM entry, 6.1
	 * only for a VM with a device assigned, which hvx never has.
	 */
	verw = vuln_says("mds", "Clear CPU buffers") ||
	       vuln_says("tsx_async_abort", "Clear CPU buffers") ||
	       vuln_says("reg_file_data_sampling", "Clear Register File");
	if (verw || !vuln_says("mmio_stale_data", "Clear CPU buffers"))
		EXPECT_EQ(verw, !!(m & HVX_MITIGATE_VERW));
	/* exactly one L1D setting on an affected CPU, none elsewhere */
	if (vuln_says("l1tf", "Not affected")) {
		EXPECT_EQ(0, m & l1d);
	} else {
		EXPECT_EQ(1, __builtin_popcountll(m & l1d));
	}
	if (vuln_says("spectre_v2", "RSB filling")) {
		EXPECT_TRUE(m & HVX_MITIGATE_RSB_FILL);
	}
	if (vuln_says("spectre_v2", "IBPB: conditional") ||
	    vuln_says("spectre_v2", "IBPB: always-on")) {
		EXPECT_TRUE(m & HVX_MITIGATE_IBPB);
	}
	/* VMSCAPE: the host's IBPB before user mode after a guest ran */
	EXPECT_EQ(vuln_says("vmscape", "IBPB before exit to userspace"),
		  !!(m & HVX_MITIGATE_IBPB_EXIT_TO_USER));
	/* iTLB multihit: no executable large EPT page on an affected CPU */
	EXPECT_EQ(!vuln_says("itlb_multihit", "Not affected"),
		  !!(m & HVX_MITIGATE_NX_HUGE_PAGES));
}

/* Whether @line holds @word as a whole word. */
static bool line_has_word(const char *line, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = line; (p = strstr(p, word)); p++)
		if ((p == line || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[n] == ' ' || p[n] == '\t' || p[n] == '\n'))
			return true;
	return false;
}

/*
 * Which of @words[@n] a line of file @path holds as a whole word, into
 * @found[]; false when there is no such file.  One pass: in the emulated
 * test host a read of available_filter_functions takes seconds.
 */
static bool file_has_words(const char *path, const char *const *words,
			   unsigned int n, bool *found)
{
	char line[512];
	unsigned int i;
	FILE *f;

	memset(found, 0, n * sizeof(*found));
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		for (i = 0; i < n; i++)
			found[i] |= line_has_word(line, words[i]);
	fclose(f);
	return true;
}

#define FTRACE_FUNCS	"/sys/kernel/tracing/available_filter_functions"
#define KPROBE_BLACKLIST "/sys/kernel/debug/kprobes/blacklist"

/*
 * What runs between the L1D flush and VM entry, and right after the exit
 * with NMIs blocked, can be neither traced nor probed: a tracer's or a
 * probe's code would bring host data back into L1D, and a probe's INT3
 * would unblock NMIs.  (hvx_nl_event, the control, can be: entry 0.)
 */
HVX_TEST(entry_path_is_neither_traced_nor_probed)
{
	static const char *const entry[] = {
		"hvx_nl_event",
		"vcpu_enter_exit", "hvx_mitigate_l1d", "__hvx_vmx_enter",
		"hvx_vmx_update_host_rsp", "exception_irqoff",
		"hvx_vmx_do_nmi_irqoff", "hvx_handle_machine_check",
	};
	bool traced[ARRAY_SIZE(entry)], unprobed[ARRAY_SIZE(entry)];
	unsigned int i;

	HVX_REQUIRE_VM();
	if (!file_has_words(FTRACE_FUNCS, entry, ARRAY_SIZE(entry), traced) ||
	    !file_has_words(KPROBE_BLACKLIST, entry, ARRAY_SIZE(entry),
			    unprobed) || !traced[0] || unprobed[0])
		SKIP(return, "no function tracer or kprobes");
	for (i = 1; i < ARRAY_SIZE(entry); i++) {
		EXPECT_FALSE(traced[i])
			TH_LOG("%s can be traced", entry[i]);
		EXPECT_TRUE(unprobed[i])
			TH_LOG("%s can be probed", entry[i]);
	}
}

#define TOUCH_GPA	(8 * MiB)
#define TOUCH_PAGES	1024

static void guest_touch_pages(void)
{
	volatile uint8_t *p = (uint8_t *)TOUCH_GPA;
	int i;

	for (i = 0; i < TOUCH_PAGES; i++)
		p[i * 4096] = 1;
	GUEST_DONE();
}

/*
 * At "cond" the ioctl, a reschedule and host interrupts ask for a flush;
 * 1024 EPT violations in one HVX_RUN, each faulting a page in, do not:
 * the flushes stay far below one per exit.
 */
HVX_GUEST_TEST(l1d_cond_not_after_ept_faults, guest_touch_pages)
{
	void *hva = addr_gpa2hva(vm, TOUCH_GPA, TOUCH_PAGES * 4096);
	uint64_t exits, flushes;

	HVX_REQUIRE(hvx_dev_caps()->mitigations & HVX_MITIGATE_L1D_FLUSH_COND,
		    "vmentry_l1d_flush is not cond");
	HVX_REQUIRE(access(HVX_STAT, X_OK) == 0, "no %s", HVX_STAT);
	/* 4 KiB host pages, so 4 KiB EPT pages: a violation per page */
	ASSERT_EQ(0, madvise(hva, TOUCH_PAGES * 4096, MADV_NOHUGEPAGE));
	vcpu_expect_done(vcpu);
	ASSERT_TRUE(vm_stat("exits", &exits));
	ASSERT_TRUE(vm_stat("l1d_flushes", &flushes));
	TH_LOG("%llu exits, %llu L1D flushes", (unsigned long long)exits,
	       (unsigned long long)flushes);
	EXPECT_LE(TOUCH_PAGES, exits);
	EXPECT_GT(exits / 4, flushes);
}

TEST_HARNESS_MAIN
