// SPDX-License-Identifier: GPL-2.0
/*
 * snapshot_test: a vCPU's whole state saved and restored, as a snapshot or
 * a migration does it.
 * - migrate_vcpu: a guest stopped with values live in its XMM/YMM, x87
 *   and MXCSR registers, a data breakpoint armed in DR0/DR7, MSRs set,
 *   an NMI and an interrupt pending, is saved, its VM freed, and restored
 *   into a new VM with a copy of its memory: it finds every value, takes
 *   the NMI and the interrupt, its breakpoint fires, its TSC went on
 *   (HVX_OPT_GUEST_TSC).
 * - guest_tsc_option: the option sets every vCPU's TSC, in step.
 * - vcpu_events_take_effect: events set by HVX_SET_VCPU_EVENTS are the
 *   guest's: an EOI to report (the next HVX_RUN's exit), an NMI held
 *   until the guest's next IRET, a hardware exception with its error
 *   code, a software interrupt with its instruction length.
 * - state_ioctls_refuse: every state the setters must refuse (EINVAL,
 *   nothing taken), and HVX_GET_VCPU_EVENTS refused (EBUSY) while an IN
 *   waits for its data.
 * - lapic_before_sregs_keeps_tpr: the restore's order does not lose
 *   TPR[3:0].
 */
#include <string.h>
#include <sys/ioctl.h>

#include "hvx_harness.h"
#include "xapic.h"

#define SNAP_PORT	0xe0
#define IRQ_VEC		0x30
#define SOFT_VEC	0x80
#define EOI_VEC		0x70

/* Guest values: DR0-DR3, MSRs, x87 control word, MXCSR. */
#define DR1_VAL		0x1111000ULL
#define DR2_VAL		0xffffffff82222000ULL
#define DR3_VAL		0x3333000ULL
/* L0, R/W0 = 01 (data writes), LEN0 = 11 (4 bytes), GE, bit 10 */
#define DR7_VAL		(0x1ULL | (1ULL << 16) | (3ULL << 18) | (1ULL << 9) | \
			 (1ULL << 10))
#define LSTAR_VAL	0xffffffff81001000ULL
#define CSTAR_VAL	0xffffffff81002000ULL
#define STAR_VAL	0x0023001000000000ULL
#define SFMASK_VAL	0x47700ULL
#define KGS_VAL		0xffff888000abc000ULL
#define FCW_VAL		0x0b7f		/* round up, all masked */
#define SRC_TSC		(1ULL << 50)
#define MXCSR_VAL	0x5f80		/* round up, all masked */

static volatile uint32_t nmi_count, irq_count, db_count, gp_count, bp_count;
static volatile uint64_t db_dr6, gp_error, soft_rip;
static volatile uint32_t bp_target;

static void nmi_handler(struct guest_ex_regs *regs)
{
	nmi_count++;
}

static void irq_handler(struct guest_ex_regs *regs)
{
	irq_count++;
}

static void db_handler(struct guest_ex_regs *regs)
{
	uint64_t dr6;

	asm volatile("mov %%dr6, %0" : "=r"(dr6));
	db_dr6 = dr6;
	db_count++;
}

static void gp_handler(struct guest_ex_regs *regs)
{
	gp_error = regs->error_code;
	gp_count++;
}

static void bp_handler(struct guest_ex_regs *regs)
{
	bp_count++;
}

/* INT n injected with an instruction length: the frame's RIP is past it. */
static void soft_handler(struct guest_ex_regs *regs)
{
	soft_rip = regs->rip;
	regs->rip -= 2;
}

static bool guest_has_avx(void)
{
	uint32_t a, b, c, d;

	cpuid_count(1, 0, &a, &b, &c, &d);
	if (!(c & (1U << 28)))
		return false;
	cpuid_count(0xd, 0, &a, &b, &c, &d);
	return a & XFEATURE_AVX;
}

/*
 * The exit at which the host saves the vCPU, with the vector registers
 * (loaded by @load from src, stored by @store to dst after), the x87
 * control word and MXCSR live.
 */
#define SNAPSHOT_STOP(load, store)					\
	asm volatile("fldcw %[fcw]\n\t"					\
		     "ldmxcsr %[mxcsr]\n\t"					\
		     load						\
		     "outb %%al, %[port]\n\t"				\
		     store						\
		     "fnstcw %[fcw_out]\n\t"				\
		     "stmxcsr %[mxcsr_out]\n\t"				\
		     : [fcw_out] "=m"(fcw_out), [mxcsr_out] "=m"(mxcsr_out)	\
		     : [src] "r"(src), [dst] "r"(dst), "a"(0),		\
		       [port] "i"(SNAP_PORT), [fcw] "m"(fcw_in),		\
		       [mxcsr] "m"(mxcsr_in)				\
		     : "memory", XMM_CLOBBERS)

/*
 * Everything set, then one exit (OUT to SNAP_PORT) with the vector
 * registers, x87 control word and MXCSR live: the host saves the vCPU
 * there and resumes it in another VM, where the rest runs.
 */
static void guest_migrate(void)
{
	uint8_t *src = (uint8_t *)GUEST_SCRATCH_GPA, *dst = src + 512;
	bool avx = guest_has_avx();
	uint64_t t0, t1, v;
	uint16_t fcw_in = FCW_VAL, fcw_out = 0;
	uint32_t mxcsr_in = MXCSR_VAL, mxcsr_out = 0;
	int i;

	for (i = 0; i < 512; i++)
		src[i] = 0x5a ^ (i * 13);
	GUEST_ASSERT_EQ(xsetbv_safe(0, XFEATURE_X87 | XFEATURE_SSE |
				       (avx ? XFEATURE_AVX : 0)),
			GUEST_NO_FAULT);
	wrmsr(MSR_STAR, STAR_VAL);
	wrmsr(MSR_LSTAR, LSTAR_VAL);
	wrmsr(MSR_CSTAR, CSTAR_VAL);
	wrmsr(MSR_SYSCALL_MASK, SFMASK_VAL);
	wrmsr(MSR_KERNEL_GS_BASE, KGS_VAL);
	asm volatile("mov %0, %%dr0" : : "r"((uint64_t)(uintptr_t)&bp_target));
	asm volatile("mov %0, %%dr1" : : "r"(DR1_VAL));
	asm volatile("mov %0, %%dr2" : : "r"(DR2_VAL));
	asm volatile("mov %0, %%dr3" : : "r"(DR3_VAL));
	asm volatile("mov %0, %%dr7" : : "r"(DR7_VAL));
	/* the NMI and interrupt the host queues wait for the restore */
	asm volatile("cli");
	t0 = rdtsc();
	if (avx)
		SNAPSHOT_STOP(YMM_LOAD_ALL, YMM_STORE_ALL);
	else
		SNAPSHOT_STOP(XMM_LOAD_ALL, XMM_STORE_ALL);
	t1 = rdtsc();

	/* The NMI came at the first instruction; the interrupt waits. */
	GUEST_ASSERT_EQ(nmi_count, 1);
	GUEST_ASSERT_EQ(irq_count, 0);
	for (i = 0; i < (avx ? 512 : 256); i++)
		GUEST_ASSERT_EQ(dst[i], src[i]);
	GUEST_ASSERT_EQ(fcw_out, FCW_VAL);
	GUEST_ASSERT_EQ(mxcsr_out, MXCSR_VAL);
	GUEST_ASSERT_EQ(xgetbv(0), XFEATURE_X87 | XFEATURE_SSE |
				   (avx ? XFEATURE_AVX : 0));
	GUEST_ASSERT(t1 > t0);
	GUEST_ASSERT_EQ(rdmsr(MSR_STAR), STAR_VAL);
	GUEST_ASSERT_EQ(rdmsr(MSR_LSTAR), LSTAR_VAL);
	GUEST_ASSERT_EQ(rdmsr(MSR_CSTAR), CSTAR_VAL);
	GUEST_ASSERT_EQ(rdmsr(MSR_SYSCALL_MASK), SFMASK_VAL);
	GUEST_ASSERT_EQ(rdmsr(MSR_KERNEL_GS_BASE), KGS_VAL);
	asm volatile("mov %%dr0, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, (uintptr_t)&bp_target);
	asm volatile("mov %%dr1, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, DR1_VAL);
	asm volatile("mov %%dr2, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, DR2_VAL);
	asm volatile("mov %%dr3, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, DR3_VAL);
	asm volatile("mov %%dr7, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, DR7_VAL);

	asm volatile("sti; nop; cli" : : : "memory");
	GUEST_ASSERT_EQ(irq_count, 1);
	/* the breakpoint is armed in the new VM too */
	bp_target = 1;
	GUEST_ASSERT_EQ(db_count, 1);
	GUEST_ASSERT_1(db_dr6 & 1, db_dr6);
	GUEST_DONE();
}

/* Every piece of a vCPU's state, in the order a restore sets it. */
struct vcpu_snapshot {
	struct hvx_cpuid *cpuid;
	struct hvx_sregs sregs;
	struct hvx_pdptrs pdptrs;	/* flags 0 here: long mode */
	struct hvx_regs regs;
	struct hvx_msrs *msrs;
	struct hvx_lapic_state lapic;
	struct hvx_xsave xsave;
	struct hvx_debugregs dregs;
	struct hvx_vcpu_events events;
	uint32_t mp_state;
	uint64_t tsc;		/* restored VM-wide: HVX_OPT_GUEST_TSC */
};

/*
 * The documented set but the local APIC's (HVX_GET_LAPIC holds them) and
 * TSC (restored VM-wide): every one a get returns a set takes back.
 */
static const uint32_t snap_msrs[] = {
	MSR_IA32_PLATFORM_ID, MSR_IA32_TSC_ADJUST, MSR_IA32_UCODE_REV,
	MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
	MSR_IA32_MISC_ENABLE, MSR_IA32_CR_PAT, MSR_EFER, MSR_STAR, MSR_LSTAR,
	MSR_CSTAR, MSR_SYSCALL_MASK, MSR_FS_BASE, MSR_GS_BASE,
	MSR_KERNEL_GS_BASE,
};

#define NR_SNAP_MSRS	(sizeof(snap_msrs) / sizeof(snap_msrs[0]))

static void snapshot_save(struct __test_metadata *_metadata,
			  struct test_vcpu *vcpu, struct vcpu_snapshot *s)
{
	unsigned int i;

	s->cpuid = hvx_get_cpuid_alloc(vcpu->fd);
	ASSERT_NE(NULL, s->cpuid);
	vcpu_sregs_get(vcpu, &s->sregs);
	ASSERT_EQ(0, hvx_get_pdptrs(vcpu->fd, &s->pdptrs));
	vcpu_regs_get(vcpu, &s->regs);
	s->msrs = hvx_msrs_alloc(NR_SNAP_MSRS);
	ASSERT_NE(NULL, s->msrs);
	for (i = 0; i < NR_SNAP_MSRS; i++)
		s->msrs->entries[i].index = snap_msrs[i];
	ASSERT_EQ(NR_SNAP_MSRS, hvx_get_msrs(vcpu->fd, s->msrs));
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &s->lapic));
	ASSERT_EQ(0, hvx_get_xsave(vcpu->fd, &s->xsave));
	ASSERT_EQ(0, hvx_get_debugregs(vcpu->fd, &s->dregs));
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &s->events));
	ASSERT_EQ(0, hvx_get_mp_state(vcpu->fd, &s->mp_state));
	s->tsc = vcpu_get_msr(vcpu, MSR_IA32_TSC);
}

static void snapshot_restore(struct __test_metadata *_metadata,
			     struct test_vcpu *vcpu,
			     const struct vcpu_snapshot *s)
{
	ASSERT_EQ(0, hvx_set_cpuid(vcpu->fd, s->cpuid));
	vcpu_sregs_set(vcpu, &s->sregs);
	if (s->pdptrs.flags & HVX_PDPTRS_VALID)
		ASSERT_EQ(0, hvx_set_pdptrs(vcpu->fd, &s->pdptrs));
	vcpu_regs_set(vcpu, &s->regs);
	ASSERT_EQ(NR_SNAP_MSRS, hvx_set_msrs(vcpu->fd, s->msrs));
	ASSERT_EQ(0, hvx_set_lapic(vcpu->fd, &s->lapic));
	ASSERT_EQ(0, hvx_set_xsave(vcpu->fd, &s->xsave));
	ASSERT_EQ(0, hvx_set_debugregs(vcpu->fd, &s->dregs));
	ASSERT_EQ(0, hvx_set_vcpu_events(vcpu->fd, &s->events));
	ASSERT_EQ(0, hvx_set_mp_state(vcpu->fd, s->mp_state));
}

HVX_TEST(migrate_vcpu)
{
	struct hvx_vcpu_events ev;
	struct hvx_debugregs dr;
	struct vcpu_snapshot s;
	struct test_vcpu *vcpu;
	struct hvx_xsave *xs;
	struct test_vm *vm;
	struct hvx_regs regs;
	uint64_t ram_size;
	void *ram;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_VCPU_STATE,
		    "no HVX_FEAT_VCPU_STATE");
	/* far from where a new VM's TSC starts: the restore must move it */
	vm = vm_create(VM_RAM_SIZE_DEFAULT);
	ASSERT_EQ(0, hvx_vm_set_option(vm->fd, HVX_OPT_GUEST_TSC, SRC_TSC));
	vcpu = vm_vcpu_add(vm, 0, guest_migrate);
	ASSERT_TRUE(vcpu_enable_osxsave(vcpu));
	vm_install_exception_handler(vm, 2, nmi_handler);
	vm_install_exception_handler(vm, IRQ_VEC, irq_handler);
	vm_install_exception_handler(vm, DB_VECTOR, db_handler);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	if (vcpu->run->io.port == UCALL_PORT) {
		struct ucall uc;

		get_ucall(vcpu, &uc);
		REPORT_GUEST_ASSERT(vcpu, uc);
	}
	ASSERT_EQ(SNAP_PORT, vcpu->run->io.port);

	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_NMI, 0));
	ASSERT_EQ(0, hvx_interrupt(vcpu->fd, IRQ_VEC));
	vcpu_complete_exit(vcpu);
	snapshot_save(_metadata, vcpu, &s);

	EXPECT_EQ(HVX_EVENTS_EXTINT | HVX_EVENTS_NMI_PENDING, s.events.flags);
	EXPECT_EQ(IRQ_VEC, s.events.extint_vector);
	EXPECT_EQ((uintptr_t)&bp_target, s.dregs.db[0]);
	EXPECT_EQ(DR1_VAL, s.dregs.db[1]);
	EXPECT_EQ(DR2_VAL, s.dregs.db[2]);
	EXPECT_EQ(DR3_VAL, s.dregs.db[3]);
	EXPECT_EQ(DR7_VAL, s.dregs.dr7);
	EXPECT_EQ(0xffff0ff0, s.dregs.dr6);		/* after RESET */
	/* XMM0 in the legacy area; MXCSR at 24, FCW at 0 */
	EXPECT_EQ(0, memcmp(s.xsave.region + 160,
			    addr_gpa2hva(vm, GUEST_SCRATCH_GPA, 16), 16));
	EXPECT_EQ(MXCSR_VAL, *(uint32_t *)(s.xsave.region + 24));
	EXPECT_EQ(FCW_VAL, *(uint16_t *)s.xsave.region);
	EXPECT_LE(576, s.xsave.size);
	EXPECT_GE(HVX_XSAVE_REGION_SIZE, s.xsave.size);
	EXPECT_EQ(HVX_MP_RUNNABLE, s.mp_state);
	EXPECT_LT(SRC_TSC, s.tsc);

	/* The old VM goes; a new one gets its memory and the vCPU's state. */
	ram_size = vm->ram_size;
	ram = malloc(ram_size);
	ASSERT_NE(NULL, ram);
	memcpy(ram, vm->ram, ram_size);
	vm_free(vm);
	vm = vm_create(ram_size);
	memcpy(vm->ram, ram, ram_size);
	free(ram);
	ASSERT_EQ(0, hvx_vm_set_option(vm->fd, HVX_OPT_GUEST_TSC, s.tsc));
	vcpu = vm_vcpu_add_bare(vm, 0);
	snapshot_restore(_metadata, vcpu, &s);

	/* Read back as set. */
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(0, memcmp(&regs, &s.regs, sizeof(regs)));
	ASSERT_EQ(0, hvx_get_debugregs(vcpu->fd, &dr));
	EXPECT_EQ(0, memcmp(&dr, &s.dregs, sizeof(dr)));
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	EXPECT_EQ(0, memcmp(&ev, &s.events, sizeof(ev)));
	xs = malloc(sizeof(*xs));
	ASSERT_NE(NULL, xs);
	ASSERT_EQ(0, hvx_get_xsave(vcpu->fd, xs));
	EXPECT_EQ(s.xsave.xcr0, xs->xcr0);
	EXPECT_EQ(s.xsave.size, xs->size);
	EXPECT_EQ(0, memcmp(xs->region, s.xsave.region, s.xsave.size));
	free(xs);

	vcpu_expect_done(vcpu);
	free(s.cpuid);
	free(s.msrs);
	vm_free(vm);
}

/* HVX_OPT_GUEST_TSC sets every vCPU's TSC, in step; only before them. */
HVX_TEST(guest_tsc_option)
{
	const uint64_t start = 1ULL << 44;
	struct test_vcpu *v0, *v1;
	struct test_vm *vm;
	uint64_t a, b, c;

	HVX_REQUIRE_VM();
	vm = vm_create_bare(VM_RAM_SIZE_DEFAULT);
	ASSERT_EQ(0, hvx_vm_set_option(vm->fd, HVX_OPT_GUEST_TSC, start));
	v0 = vm_vcpu_add_bare(vm, 0);
	v1 = vm_vcpu_add_bare(vm, 1);
	a = vcpu_get_msr(v0, MSR_IA32_TSC);
	b = vcpu_get_msr(v1, MSR_IA32_TSC);
	c = vcpu_get_msr(v0, MSR_IA32_TSC);
	EXPECT_LE(start, a);
	EXPECT_LE(a, b);
	EXPECT_LE(b, c);
	/* minutes at most since the option: far below 2^40 cycles */
	EXPECT_GT(start + (1ULL << 40), c);
	EXPECT_ERRNO(EBUSY, hvx_vm_set_option(vm->fd, HVX_OPT_GUEST_TSC,
					      start));
	vm_free(vm);
}

/*
 * Three stops; at each the host sets an event and the guest sees it:
 * 1: an EOI to report, and an NMI pending while NMIs are masked:
 * delivered after the next IRET (the #BP handler's); 2: #GP with error code 0x18; 3: INT 0x80 with an
 * instruction length of 2.
 */
static void guest_events(void)
{
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(nmi_count, 0);
	asm volatile("int3" : : : "memory");
	GUEST_ASSERT_EQ(bp_count, 1);
	GUEST_ASSERT_EQ(nmi_count, 1);
	GUEST_SYNC(2);
	GUEST_ASSERT_EQ(gp_count, 1);
	GUEST_ASSERT_EQ(gp_error, 0x18);
	GUEST_SYNC(3);
	GUEST_SYNC2(4, soft_rip);
	GUEST_DONE();
}

/* Set @ev; a get must read it back as it was set. */
static void set_events(struct __test_metadata *_metadata,
		       struct test_vcpu *vcpu,
		       const struct hvx_vcpu_events *ev)
{
	struct hvx_vcpu_events now;

	ASSERT_EQ(0, hvx_set_vcpu_events(vcpu->fd, ev));
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &now));
	EXPECT_EQ(0, memcmp(ev, &now, sizeof(now)));
}

HVX_GUEST_TEST(vcpu_events_take_effect, guest_events)
{
	struct hvx_vcpu_events ev;
	struct hvx_regs regs;
	struct ucall uc;

	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_VCPU_STATE,
		    "no HVX_FEAT_VCPU_STATE");
	vm_install_exception_handler(vm, 2, nmi_handler);
	vm_install_exception_handler(vm, BP_VECTOR, bp_handler);
	vm_install_exception_handler(vm, GP_VECTOR, gp_handler);
	vm_install_exception_handler(vm, SOFT_VEC, soft_handler);

	vcpu_expect_sync(vcpu, 1);
	vcpu_complete_exit(vcpu);
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	EXPECT_EQ(0, ev.flags);
	ev.flags = HVX_EVENTS_NMI_PENDING | HVX_EVENTS_NMI_MASKED;
	ev.eoi_pending[EOI_VEC / 64] = 1ULL << (EOI_VEC % 64);
	set_events(_metadata, vcpu, &ev);
	/* the EOI comes back first, before the guest runs */
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_EOI);
	EXPECT_EQ(EOI_VEC, vcpu->run->eoi.vector);
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	EXPECT_EQ(0, ev.eoi_pending[EOI_VEC / 64]);
	EXPECT_EQ(HVX_EVENTS_NMI_PENDING | HVX_EVENTS_NMI_MASKED, ev.flags);

	vcpu_expect_sync(vcpu, 2);
	vcpu_complete_exit(vcpu);
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	EXPECT_EQ(0, ev.flags);			/* the IRET unmasked NMIs */
	ev.flags = HVX_EVENTS_INJECTED | HVX_EVENTS_ERROR_CODE;
	ev.inject_type = HVX_EVENT_HW_EXCEPTION;
	ev.inject_vector = GP_VECTOR;
	ev.inject_error_code = 0x18;
	set_events(_metadata, vcpu, &ev);

	vcpu_expect_sync(vcpu, 3);
	vcpu_complete_exit(vcpu);
	vcpu_regs_get(vcpu, &regs);
	memset(&ev, 0, sizeof(ev));
	ev.flags = HVX_EVENTS_INJECTED;
	ev.inject_type = HVX_EVENT_SOFT_INTR;
	ev.inject_vector = SOFT_VEC;
	ev.inject_insn_len = 2;
	set_events(_metadata, vcpu, &ev);

	ASSERT_EQ(UCALL_SYNC, vcpu_get_ucall(vcpu, &uc));
	ASSERT_EQ(4, uc.args[0]);
	EXPECT_EQ(regs.rip + 2, uc.args[1]);
	vcpu_expect_done(vcpu);
}

#define ACK_VEC		0x41

static volatile uint64_t ack_count;

static void ack_handler(struct guest_ex_regs *regs)
{
	ack_count++;
}

static void guest_ack_seen(void)
{
	GUEST_ASSERT_EQ(ack_count, 1);
	GUEST_DONE();
}

/*
 * An external interrupt injected with HVX_SET_VCPU_EVENTS is one
 * acknowledged and not yet delivered: hvx keeps it as one whose delivery
 * an exit cut short, reads it back as HVX_EVENTS_IRQ, refuses a second
 * (EBUSY, an HVX_INTERRUPT too: one at a time) and a
 * set that gives both (EINVAL); the guest takes it.  (Both were taken,
 * and an exit that cut the injected one's delivery short put it over
 * the other, which was lost.)
 */
HVX_GUEST_TEST(injected_interrupt_is_the_queued_one, guest_ack_seen)
{
	struct hvx_interrupt irq = { .vector = 0x40 };
	struct hvx_vcpu_events ev;
	struct hvx_regs regs;

	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_VCPU_STATE,
		    "no HVX_FEAT_VCPU_STATE");
	vm_install_exception_handler(vm, ACK_VEC, ack_handler);
	vcpu_regs_get(vcpu, &regs);
	regs.rflags |= X86_RFLAGS_IF;
	vcpu_regs_set(vcpu, &regs);
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	ev.flags = HVX_EVENTS_INJECTED | HVX_EVENTS_IRQ;
	ev.inject_type = HVX_EVENT_EXT_INTR;
	ev.inject_vector = ACK_VEC;
	ev.irq_vector = 0x40;
	EXPECT_ERRNO(EINVAL, hvx_set_vcpu_events(vcpu->fd, &ev));
	ev.flags = HVX_EVENTS_INJECTED;
	ev.irq_vector = 0;
	ASSERT_EQ(0, hvx_set_vcpu_events(vcpu->fd, &ev));
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	EXPECT_EQ(HVX_EVENTS_IRQ, ev.flags);
	EXPECT_EQ(ACK_VEC, ev.irq_vector);
	EXPECT_ERRNO(EBUSY, ioctl(vcpu->fd, HVX_INTERRUPT, &irq));
	vcpu_expect_done(vcpu);
}

/*
 * An exception waiting for the entry pushes an error code only in
 * protected mode, and VM entry checks that against CR0.PE: one set in
 * real mode gains its code (0) when HVX_SET_SREGS sets CR0.PE, and a
 * #GP(5) set in protected mode keeps its 5 through a trip to real mode.
 * (The entry failed.)  The bare vCPU starts in real mode.
 */
HVX_TEST(pending_error_code_follows_cr0_pe)
{
	struct hvx_vcpu_events ev = {
		.flags = HVX_EVENTS_INJECTED,
		.inject_type = HVX_EVENT_HW_EXCEPTION,
		.inject_vector = GP_VECTOR,
	};
	struct hvx_sregs real, prot;
	struct test_vcpu *vcpu;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_VCPU_STATE,
		    "no HVX_FEAT_VCPU_STATE");
	vm = vm_create_bare(VM_RAM_SIZE_DEFAULT);
	vcpu = vm_vcpu_add_bare(vm, 0);
	vcpu_sregs_get(vcpu, &real);
	ASSERT_EQ(0, real.cr0 & X86_CR0_PE);
	prot = real;
	prot.cr0 |= X86_CR0_PE;
	ASSERT_EQ(0, hvx_set_vcpu_events(vcpu->fd, &ev));
	vcpu_sregs_set(vcpu, &prot);
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	EXPECT_EQ(HVX_EVENTS_INJECTED | HVX_EVENTS_ERROR_CODE, ev.flags);
	EXPECT_EQ(0, ev.inject_error_code);

	ev.inject_error_code = 5;
	ASSERT_EQ(0, hvx_set_vcpu_events(vcpu->fd, &ev));
	vcpu_sregs_set(vcpu, &real);
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	EXPECT_EQ(HVX_EVENTS_INJECTED, ev.flags);
	EXPECT_EQ(0, ev.inject_error_code);
	vcpu_sregs_set(vcpu, &prot);
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	EXPECT_EQ(HVX_EVENTS_INJECTED | HVX_EVENTS_ERROR_CODE, ev.flags);
	EXPECT_EQ(5, ev.inject_error_code);
	vm_free(vm);
}

/* Whether the vCPU's CPUID shows RTM, which makes DR6 bit 16 writable. */
static bool vcpu_has_rtm(struct test_vcpu *vcpu)
{
	struct hvx_cpuid *cpuid = hvx_get_cpuid_alloc(vcpu->fd);
	bool rtm = false;
	uint32_t i;

	TEST_ASSERT(cpuid, "HVX_GET_CPUID");
	for (i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 7 && !cpuid->entries[i].index)
			rtm = cpuid->entries[i].ebx & (1U << 11);
	free(cpuid);
	return rtm;
}

#define IN_PORT		0xe1
#define IN_DATA		0x5c

static void guest_in(void)
{
	uint8_t v;

	asm volatile("inb %[port], %%al" : "=a"(v) : [port] "i"(IN_PORT));
	GUEST_ASSERT_EQ(v, IN_DATA);
	GUEST_DONE();
}

/* HVX_SET_VCPU_EVENTS with @ev must fail with EINVAL and change nothing. */
#define EXPECT_EVENTS_REFUSED(ev) do {					\
	struct hvx_vcpu_events __now;					\
									\
	EXPECT_ERRNO(EINVAL, hvx_set_vcpu_events(vcpu->fd, &(ev)));	\
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &__now));		\
	EXPECT_EQ(0, memcmp(&__now, &base, sizeof(base)));		\
} while (0)

HVX_GUEST_TEST(state_ioctls_refuse, guest_in)
{
	struct hvx_vcpu_events base, ev;
	struct hvx_debugregs dr, dr0;
	struct hvx_xsave *xs, *x0;
	struct hvx_regs regs;
	uint64_t rflags, dr6_fixed;

	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_VCPU_STATE,
		    "no HVX_FEAT_VCPU_STATE");
	/* The IN waits for its data: its RIP is no state to save yet. */
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	ASSERT_EQ(HVX_IO_IN, vcpu->run->io.direction);
	ASSERT_EQ(IN_PORT, vcpu->run->io.port);
	EXPECT_ERRNO(EBUSY, hvx_get_vcpu_events(vcpu->fd, &ev));
	*((uint8_t *)vcpu->run + vcpu->run->io.data_offset) = IN_DATA;
	vcpu_complete_exit(vcpu);
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &base));

	ev = base;
	ev.flags = HVX_EVENTS_FLAGS + 1;			/* unknown */
	EXPECT_EVENTS_REFUSED(ev);
	ev = base;
	ev.reserved[2] = 1;
	EXPECT_EVENTS_REFUSED(ev);
	ev = base;
	ev.pad[6] = 1;
	EXPECT_EVENTS_REFUSED(ev);
	ev = base;
	ev.pending_dbg = 1ULL << 5;
	EXPECT_EVENTS_REFUSED(ev);
	ev = base;
	ev.irq_vector = 0x40;				/* without the flag */
	EXPECT_EVENTS_REFUSED(ev);
	ev = base;
	ev.extint_vector = 0x40;			/* without the flag */
	EXPECT_EVENTS_REFUSED(ev);
	ev = base;
	ev.sipi_vector = 0x10;
	EXPECT_EVENTS_REFUSED(ev);
	ev = base;
	ev.eoi_pending[0] = 1ULL << 15;			/* no APIC vector */
	EXPECT_EVENTS_REFUSED(ev);
	/* one shadow at a time, IF set as the STI shadow needs */
	vcpu_regs_get(vcpu, &regs);
	rflags = regs.rflags;
	regs.rflags |= X86_RFLAGS_IF;
	vcpu_regs_set(vcpu, &regs);
	ev = base;
	ev.flags = HVX_EVENTS_STI_SHADOW | HVX_EVENTS_MOV_SS_SHADOW;
	EXPECT_EVENTS_REFUSED(ev);
	/* which alone stands */
	ev.flags = HVX_EVENTS_STI_SHADOW;
	EXPECT_EQ(0, hvx_set_vcpu_events(vcpu->fd, &ev));
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	EXPECT_EQ(HVX_EVENTS_STI_SHADOW,
		  ev.flags & (HVX_EVENTS_STI_SHADOW | HVX_EVENTS_MOV_SS_SHADOW));
	ASSERT_EQ(0, hvx_set_vcpu_events(vcpu->fd, &base));
	/* the STI shadow only with IF set */
	regs.rflags &= ~X86_RFLAGS_IF;
	vcpu_regs_set(vcpu, &regs);
	ev = base;
	ev.flags = HVX_EVENTS_STI_SHADOW;
	EXPECT_EVENTS_REFUSED(ev);
	ev = base;
	ev.flags = HVX_EVENTS_INJECTED;			/* interrupt, IF clear */
	ev.inject_type = HVX_EVENT_EXT_INTR;
	ev.inject_vector = 0x40;
	EXPECT_EVENTS_REFUSED(ev);
	ev.inject_type = HVX_EVENT_NMI;			/* NMI is vector 2 */
	EXPECT_EVENTS_REFUSED(ev);
	ev.inject_type = 1;				/* reserved type */
	EXPECT_EVENTS_REFUSED(ev);
	ev.inject_type = 7;				/* other event */
	ev.inject_vector = 0;
	EXPECT_EVENTS_REFUSED(ev);
	ev.inject_type = HVX_EVENT_HW_EXCEPTION;
	ev.inject_vector = 32;
	EXPECT_EVENTS_REFUSED(ev);
	ev.inject_vector = GP_VECTOR;			/* #GP needs its code */
	EXPECT_EVENTS_REFUSED(ev);
	ev.inject_vector = UD_VECTOR;			/* #UD has none */
	ev.flags |= HVX_EVENTS_ERROR_CODE;
	EXPECT_EVENTS_REFUSED(ev);
	ev.flags &= ~HVX_EVENTS_ERROR_CODE;
	ev.inject_error_code = 5;			/* code without flag */
	EXPECT_EVENTS_REFUSED(ev);
	ev.inject_error_code = 0;
	ev.inject_insn_len = 2;				/* not a soft event */
	EXPECT_EVENTS_REFUSED(ev);
	ev.inject_type = HVX_EVENT_SOFT_INTR;
	ev.inject_insn_len = 0;
	EXPECT_EVENTS_REFUSED(ev);
	ev.inject_insn_len = 16;
	EXPECT_EVENTS_REFUSED(ev);
	ev.inject_type = HVX_EVENT_SOFT_EXC;		/* INT3 or INTO only */
	ev.inject_vector = 5;
	ev.inject_insn_len = 1;
	EXPECT_EVENTS_REFUSED(ev);
	ev = base;
	ev.inject_vector = 3;				/* without the flag */
	EXPECT_EVENTS_REFUSED(ev);
	ev = base;
	ev.inject_error_code = 5;			/* without the flag */
	EXPECT_EVENTS_REFUSED(ev);
	ev = base;
	ev.flags = HVX_EVENTS_INJECTED | HVX_EVENTS_NMI_MASKED;
	ev.inject_type = HVX_EVENT_NMI;			/* NMIs are masked */
	ev.inject_vector = 2;
	EXPECT_EVENTS_REFUSED(ev);
	/* VM entry takes no error code above 16 bits */
	ev = base;
	ev.flags = HVX_EVENTS_INJECTED | HVX_EVENTS_ERROR_CODE;
	ev.inject_type = HVX_EVENT_HW_EXCEPTION;
	ev.inject_vector = GP_VECTOR;
	ev.inject_error_code = 0x10000;
	EXPECT_EVENTS_REFUSED(ev);
	/* a transaction's #DB (RTM) stands beside bit 12 alone */
	ev = base;
	ev.pending_dbg = 1ULL << 16;
	EXPECT_EVENTS_REFUSED(ev);

	ASSERT_EQ(0, hvx_get_debugregs(vcpu->fd, &dr0));
	dr = dr0;
	dr.dr6 |= 1ULL << 32;
	EXPECT_ERRNO(EINVAL, hvx_set_debugregs(vcpu->fd, &dr));
	dr = dr0;
	dr.dr7 |= 1ULL << 40;
	EXPECT_ERRNO(EINVAL, hvx_set_debugregs(vcpu->fd, &dr));
	dr = dr0;
	dr.flags = 1;
	EXPECT_ERRNO(EINVAL, hvx_set_debugregs(vcpu->fd, &dr));
	dr = dr0;
	dr.reserved[8] = 1;
	dr.db[0] = 0x1234;
	EXPECT_ERRNO(EINVAL, hvx_set_debugregs(vcpu->fd, &dr));
	ASSERT_EQ(0, hvx_get_debugregs(vcpu->fd, &dr));
	EXPECT_EQ(0, memcmp(&dr, &dr0, sizeof(dr)));
	/* DR6 and DR7 keep their fixed bits, as after a MOV */
	dr.dr6 = 0;
	dr.dr7 = 0;
	ASSERT_EQ(0, hvx_set_debugregs(vcpu->fd, &dr));
	ASSERT_EQ(0, hvx_get_debugregs(vcpu->fd, &dr));
	dr6_fixed = vcpu_has_rtm(vcpu) ? 0xfffe0ff0 : 0xffff0ff0;
	EXPECT_EQ(dr6_fixed, dr.dr6);
	EXPECT_EQ(0x400, dr.dr7);

	xs = malloc(sizeof(*xs));
	x0 = malloc(sizeof(*x0));
	ASSERT_NE(NULL, xs);
	ASSERT_NE(NULL, x0);
	ASSERT_EQ(0, hvx_get_xsave(vcpu->fd, x0));
	*xs = *x0;
	xs->xcr0 = 0;					/* x87 always */
	EXPECT_ERRNO(EINVAL, hvx_set_xsave(vcpu->fd, xs));
	xs->xcr0 = XFEATURE_X87 | XFEATURE_AVX;		/* AVX needs SSE */
	EXPECT_ERRNO(EINVAL, hvx_set_xsave(vcpu->fd, xs));
	*xs = *x0;
	xs->flags = 1;
	EXPECT_ERRNO(EINVAL, hvx_set_xsave(vcpu->fd, xs));
	*xs = *x0;
	xs->reserved[0] = 1;
	EXPECT_ERRNO(EINVAL, hvx_set_xsave(vcpu->fd, xs));
	*xs = *x0;
	xs->region[512 + 7] = 0x80;			/* XSTATE_BV bit 63 */
	EXPECT_ERRNO(EINVAL, hvx_set_xsave(vcpu->fd, xs));
	*xs = *x0;
	xs->region[512 + 8] = 1;			/* XCOMP_BV: compacted */
	EXPECT_ERRNO(EINVAL, hvx_set_xsave(vcpu->fd, xs));
	*xs = *x0;
	xs->region[512] |= XFEATURE_SSE;
	xs->region[24 + 3] = 0x80;			/* MXCSR bit 31 */
	EXPECT_ERRNO(EINVAL, hvx_set_xsave(vcpu->fd, xs));
	ASSERT_EQ(0, hvx_get_xsave(vcpu->fd, xs));
	EXPECT_EQ(0, memcmp(xs, x0, sizeof(*xs)));
	free(xs);
	free(x0);

	regs.rflags = rflags;
	vcpu_regs_set(vcpu, &regs);
	vcpu_expect_done(vcpu);
}

/*
 * A restore that sets the local APIC before the special registers keeps
 * the TPR's low nibble: the CR8 of the same snapshot changes nothing.
 * A CR8 that differs sets TPR[7:4] and clears TPR[3:0], as MOV to CR8.
 */
HVX_GUEST_TEST(lapic_before_sregs_keeps_tpr, guest_in)
{
	struct hvx_lapic_state lapic;
	struct hvx_sregs sregs;

	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &lapic));
	lapic.regs[APIC_TPR / 4] = 0x35;
	ASSERT_EQ(0, hvx_set_lapic(vcpu->fd, &lapic));
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(3, sregs.cr8);
	vcpu_sregs_set(vcpu, &sregs);
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &lapic));
	EXPECT_EQ(0x35, lapic.regs[APIC_TPR / 4]);
	sregs.cr8 = 5;
	vcpu_sregs_set(vcpu, &sregs);
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &lapic));
	EXPECT_EQ(0x50, lapic.regs[APIC_TPR / 4]);
}

TEST_HARNESS_MAIN
