// SPDX-License-Identifier: GPL-2.0
/*
 * apicv_test: the processor's APIC virtualization takes the exits away.
 *
 * A guest in x2APIC mode writes its TPR (MSR and CR8), reads APIC
 * registers and takes self-IPIs that it EOIs (edge-triggered), many times
 * over; the vCPU's exit count, read with hvx-stat, must not grow with the
 * number of accesses when HVX_GET_CAPS reports APIC virtualization, and
 * must grow by at least one exit per access when it does not (hvx.ko
 * loaded with enable_apicv=0).  Either way the guest sees the same APIC:
 * a TPR above the vector holds a self-IPI back until the TPR drops,
 * register reads return what was written, the ICR whole, each interrupt
 * arrives once.
 *
 * apicv_exits_xapic does the same in xAPIC mode through the APIC page
 * at 0xfee00000 (APIC-access virtualization): TPR writes, register
 * reads, self-IPIs through the ICR and their EOIs.  Then writes the
 * processor stores in the page before it exits (an LVT entry with a
 * read-only bit, a new timer mode, the ESR, a byte above the TPR's
 * first) and a read it does not serve
 * (the current count) must mean what they mean to the model, and the
 * state HVX_GET_LAPIC reads back must be one HVX_SET_LAPIC takes.
 * apicv_xapic_moved: an APIC that IA32_APIC_BASE moves away from
 * 0xfee00000 traps at its new base (an exit per access either way), the
 * old page is then no APIC but MMIO for userspace, and back at
 * 0xfee00000 its accesses cost no exit again.  apicv_slot_over_page: a
 * memory slot added over the APIC page takes its place (RAM, not the
 * APIC), and once deleted the APIC is back.
 *
 * An interrupt whose delivery exits (its stack page not yet in the EPT)
 * is delivered again, itself and not the last event the processor
 * recorded for an earlier guest exception (module/apicv.c).
 */

#include <unistd.h>

#include "hvx_harness.h"

#define APIC_BASE_EXTD	(1ULL << 10)
#define X2APIC_ID	0x802
#define X2APIC_TPR	0x808
#define X2APIC_PPR	0x80a
#define X2APIC_EOI	0x80b
#define X2APIC_LDR	0x80d
#define X2APIC_SVR	0x80f
#define X2APIC_ICR	0x830
#define X2APIC_LVTT	0x832
#define X2APIC_SELF_IPI	0x83f

#define APIC_GPA	0xfee00000UL
#define APIC_ID		0x020
#define APIC_TPR	0x080
#define APIC_EOI	0x0b0
#define APIC_SVR	0x0f0
#define APIC_ESR	0x280
#define APIC_ICR	0x300
#define APIC_LVTT	0x320
#define APIC_LINT0	0x350
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define APIC_SELF_IPI	0x3f0	/* x2APIC only: illegal in xAPIC mode */
#define ICR_SELF	(1U << 18)
#define LVT_MASKED	(1U << 16)
#define LVT_PENDING	(1U << 12)	/* delivery status, read-only */
#define LVT_PERIODIC	(1U << 17)
#define ESR_ILLEGAL_REG	(1U << 7)

#define RAM_SLOT	2
#define RAM_WORD	0x5a5a5a5a
#define MOVED_GPA	0xfed00000UL
#define ID_FROM_USER	0x12345678

#define ROUNDS		200
#define IPI_VEC		0x41

/* A slot above the test VM's RAM that the guest has not touched yet. */
#define STACK_SLOT	1
#define STACK_GPA	(1ULL << 30)
#define STACK_SIZE	(2 * HVX_PAGE_SIZE)

static volatile uint64_t hits, ud_hits;

static void ipi_handler(struct guest_ex_regs *regs)
{
	hits++;
	wrmsr(X2APIC_EOI, 0);
}

static void write_cr8(uint64_t v)
{
	asm volatile("mov %0, %%cr8" : : "r"(v));
}

static uint64_t read_cr8(void)
{
	uint64_t v;

	asm volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

/*
 * Self-IPIs sent with @send and their edge-triggered EOIs: held while
 * the TPR is at their class, taken once when it drops.  Then sync 2.
 */
static void guest_self_ipis(void (*send)(void))
{
	int i;

	asm volatile("sti");
	for (i = 0; i < ROUNDS; i++) {
		write_cr8(IPI_VEC >> 4);
		send();
		asm volatile("nop");
		GUEST_ASSERT_EQ(hits, i);
		write_cr8(0);
		asm volatile("nop");
		GUEST_ASSERT_EQ(hits, i + 1);
	}
	asm volatile("cli");
	GUEST_SYNC(2);
}

static void x2apic_self_ipi(void)
{
	wrmsr(X2APIC_SELF_IPI, IPI_VEC);
}

/*
 * The ICR reads back whole, the destination in EDX, with APIC
 * virtualization too (the processor would read it at 304H, the model
 * keeps it at 310H); a write ignores bit 12, xAPIC's delivery status, as
 * KVM does.  No APIC has ID 5 or 6: the IPIs go nowhere.
 */
static void x2apic_icr_reads_back(void)
{
	wrmsr(X2APIC_ICR, 5ULL << 32 | 0x50);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_ICR), 5ULL << 32 | 0x50);
	GUEST_ASSERT_EQ(wrmsr_safe(X2APIC_ICR, 6ULL << 32 | LVT_PENDING | 0x50),
			GUEST_NO_FAULT);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_ICR), 6ULL << 32 | 0x50);
}

static void guest_apicv(void)
{
	int i;

	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
	wrmsr(X2APIC_SVR, 0x1ff);
	wrmsr(X2APIC_LVTT, (1 << 16) | 0x30);
	GUEST_SYNC(0);

	/* TPR and register reads */
	for (i = 0; i < ROUNDS; i++) {
		wrmsr(X2APIC_TPR, (i & 0xf) << 4);
		GUEST_ASSERT_EQ(rdmsr(X2APIC_TPR), (i & 0xf) << 4);
		GUEST_ASSERT_EQ(rdmsr(X2APIC_PPR), (i & 0xf) << 4);
		GUEST_ASSERT_EQ(read_cr8(), i & 0xf);
		write_cr8(0);
		GUEST_ASSERT_EQ(rdmsr(X2APIC_ID), 0);
		GUEST_ASSERT_EQ(rdmsr(X2APIC_LDR), 1);
		GUEST_ASSERT_EQ(rdmsr(X2APIC_SVR), 0x1ff);
		GUEST_ASSERT_EQ(rdmsr(X2APIC_LVTT), (1 << 16) | 0x30);
	}
	GUEST_SYNC(1);

	guest_self_ipis(x2apic_self_ipi);
	x2apic_icr_reads_back();
	GUEST_DONE();
}

#define apic_r(off)	mmio_r32(APIC_GPA + (off))
#define apic_w(off, v)	mmio_w32(APIC_GPA + (off), (v))

static void xapic_handler(struct guest_ex_regs *regs)
{
	hits++;
	apic_w(APIC_EOI, 0);
}

static void xapic_self_ipi(void)
{
	apic_w(APIC_ICR, ICR_SELF | IPI_VEC);
}

/* What the model does with writes the processor stores before it exits. */
static void guest_xapic_semantics(void)
{
	uint32_t count;

	/* a read-only bit stays clear */
	apic_w(APIC_LINT0, LVT_MASKED | LVT_PENDING | 0x31);
	GUEST_ASSERT_EQ(apic_r(APIC_LINT0), LVT_MASKED | 0x31);
	/* a new timer mode stops the timer and clears the initial count */
	apic_w(APIC_TDCR, 0xb);
	apic_w(APIC_TMICT, 1000000000);
	count = apic_r(APIC_TMCCT);
	GUEST_ASSERT(count > 0 && count <= 1000000000);
	GUEST_ASSERT_EQ(apic_r(APIC_TMICT), 1000000000);
	apic_w(APIC_LVTT, LVT_MASKED | LVT_PERIODIC | 0x30);
	GUEST_ASSERT_EQ(apic_r(APIC_TMICT), 0);
	GUEST_ASSERT_EQ(apic_r(APIC_TMCCT), 0);
	/* an illegal register's error reaches the ESR at its next write */
	GUEST_ASSERT_EQ(apic_r(APIC_SELF_IPI), 0);
	apic_w(APIC_ESR, 0);
	GUEST_ASSERT_EQ(apic_r(APIC_ESR), ESR_ILLEGAL_REG);
	apic_w(APIC_ESR, 0);
	GUEST_ASSERT_EQ(apic_r(APIC_ESR), 0);
	/*
	 * a byte store above the TPR's first byte leaves the TPR as it was,
	 * as through MMIO (the exit's restore made it 0)
	 */
	apic_w(APIC_TPR, 0xf0);
	mmio_w8(APIC_GPA + APIC_TPR + 1, 0x12);
	GUEST_ASSERT_EQ(apic_r(APIC_TPR), 0xf0);
	apic_w(APIC_TPR, 0);
}

static void guest_apicv_xapic(void)
{
	int i;

	apic_w(APIC_SVR, 0x1ff);
	apic_w(APIC_LVTT, LVT_MASKED | 0x30);
	GUEST_SYNC(0);

	/* TPR and register reads */
	for (i = 0; i < ROUNDS; i++) {
		apic_w(APIC_TPR, (i & 0xf) << 4);
		GUEST_ASSERT_EQ(apic_r(APIC_TPR), (i & 0xf) << 4);
		GUEST_ASSERT_EQ(read_cr8(), i & 0xf);
		write_cr8(0);
		GUEST_ASSERT_EQ(apic_r(APIC_TPR), 0);
		GUEST_ASSERT_EQ(apic_r(APIC_ID), 0);
		GUEST_ASSERT_EQ(apic_r(APIC_SVR), 0x1ff);
		GUEST_ASSERT_EQ(apic_r(APIC_LVTT), LVT_MASKED | 0x30);
	}
	GUEST_SYNC(1);

	guest_self_ipis(xapic_self_ipi);
	guest_xapic_semantics();
	GUEST_DONE();
}

static void guest_xapic_moved(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);
	int i;

	apic_w(APIC_SVR, 0x1ff);
	wrmsr(MSR_APIC_BASE, (base & 0xfff) | MOVED_GPA);
	GUEST_SYNC(0);
	for (i = 0; i < ROUNDS; i++) {
		mmio_w32(MOVED_GPA + APIC_TPR, (i & 0xf) << 4);
		GUEST_ASSERT_EQ(mmio_r32(MOVED_GPA + APIC_TPR), (i & 0xf) << 4);
	}
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(mmio_r32(MOVED_GPA + APIC_SVR), 0x1ff);
	GUEST_ASSERT_EQ(apic_r(APIC_ID), ID_FROM_USER);
	wrmsr(MSR_APIC_BASE, base);
	GUEST_ASSERT_EQ(apic_r(APIC_SVR), 0x1ff);
	GUEST_SYNC(2);
	for (i = 0; i < ROUNDS; i++) {
		apic_w(APIC_TPR, (i & 0xf) << 4);
		GUEST_ASSERT_EQ(apic_r(APIC_TPR), (i & 0xf) << 4);
	}
	GUEST_SYNC(3);
	GUEST_DONE();
}

static void guest_slot_over_page(void)
{
	apic_w(APIC_SVR, 0x1ff);
	GUEST_ASSERT_EQ(apic_r(APIC_SVR), 0x1ff);
	GUEST_SYNC(0);
	/* RAM there now: the TPR write is a store to it */
	GUEST_ASSERT_EQ(apic_r(APIC_SVR), RAM_WORD);
	apic_w(APIC_TPR, 0x20);
	GUEST_ASSERT_EQ(read_cr8(), 0);
	GUEST_SYNC(1);
	GUEST_ASSERT_EQ(apic_r(APIC_SVR), 0x1ff);
	apic_w(APIC_TPR, 0x20);
	GUEST_ASSERT_EQ(read_cr8(), 2);
	GUEST_DONE();
}

/* Step over the ud2 the guest runs on purpose, and only that. */
static void ud_handler(struct guest_ex_regs *regs)
{
	GUEST_ASSERT_EQ(*(volatile uint16_t *)regs->rip, 0x0b0f);
	ud_hits++;
	regs->rip += 2;
}

static void guest_cut_short(void)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD);
	wrmsr(X2APIC_SVR, 0x1ff);
	/* the last event the processor records before the interrupt */
	asm volatile("ud2");
	GUEST_ASSERT_EQ(ud_hits, 1);

	/* held while interrupts are off, delivered onto the fresh stack */
	wrmsr(X2APIC_SELF_IPI, IPI_VEC);
	asm volatile("mov %%rsp, %%rbx\n\t"
		     "mov %0, %%rsp\n\t"
		     "sti\n\t"
		     "nop\n\t"
		     "cli\n\t"
		     "mov %%rbx, %%rsp"
		     : : "r"(STACK_GPA + STACK_SIZE) : "rbx", "memory");
	GUEST_ASSERT_EQ(hits, 1);
	GUEST_ASSERT_EQ(ud_hits, 1);
	GUEST_DONE();
}

HVX_TEST(delivery_cut_short)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	vm = vm_create_with_one_vcpu(&vcpu, guest_cut_short);
	vm_mem_add(vm, STACK_SLOT, 0, STACK_GPA, STACK_SIZE);
	vm_install_exception_handler(vm, 6, ud_handler);
	vm_install_exception_handler(vm, IPI_VEC, ipi_handler);
	vcpu_expect_done(vcpu);
	EXPECT_EQ(1, guest_global(vm, hits));
	EXPECT_EQ(1, guest_global(vm, ud_hits));
	/* the interrupt frame went onto that stack: its RSP is the top */
	EXPECT_EQ(STACK_GPA + STACK_SIZE,
		  ((uint64_t *)addr_gpa2hva(vm, STACK_GPA, STACK_SIZE))
		  [STACK_SIZE / 8 - 2]);
	vm_free(vm);
}

/* The VM's exits so far (hvx-stat's total over its one vCPU). */
static long long exits(void)
{
	uint64_t v;

	return vm_stat("exits", &v) ? (long long)v : -1;
}

/*
 * Run a guest of syncs 0, 1, 2 and done: @rounds TPR rounds between 0
 * and 1, self-IPIs between 1 and 2.  With APIC virtualization (@hw) a
 * few exits in all (the sync's own, the first touches of the handler's
 * pages, room for a host timer tick), not one a round; without, at
 * least @tpr_exits and 3 a round.
 */
static void expect_exits(struct __test_metadata *_metadata,
			 struct test_vm *vm, struct test_vcpu *vcpu,
			 const char *what, bool hw, int tpr_exits)
{
	long long before, tpr_reads, ipis;

	vcpu_expect_sync(vcpu, 0);
	before = exits();
	ASSERT_LE(0, before);
	vcpu_expect_sync(vcpu, 1);
	tpr_reads = exits() - before;
	vcpu_expect_sync(vcpu, 2);
	ipis = exits() - before - tpr_reads;
	vcpu_expect_done(vcpu);

	TH_LOG("%s %s: %lld exits for %d TPR/CR8 rounds, %lld for %d self-IPIs",
	       what, hw ? "on" : "off", tpr_reads, ROUNDS, ipis, ROUNDS);
	EXPECT_EQ(ROUNDS, guest_global(vm, hits));
	if (hw) {
		EXPECT_GE(ROUNDS / 10, tpr_reads);
		EXPECT_GE(ROUNDS / 10, ipis);
	} else {
		EXPECT_LE(ROUNDS * tpr_exits, tpr_reads);
		EXPECT_LE(ROUNDS * 3, ipis);
	}
}

HVX_GUEST_TEST(apicv_exits, guest_apicv)
{
	HVX_REQUIRE(access(HVX_STAT, X_OK) == 0, "no %s", HVX_STAT);
	vm_install_exception_handler(vm, IPI_VEC, ipi_handler);
	expect_exits(_metadata, vm, vcpu, "APIC virtualization",
		     hvx_dev_caps()->apicv & HVX_APICV_VID, 8);
}

HVX_GUEST_TEST(apicv_exits_xapic, guest_apicv_xapic)
{
	struct hvx_lapic_state s;

	HVX_REQUIRE(access(HVX_STAT, X_OK) == 0, "no %s", HVX_STAT);
	vm_install_exception_handler(vm, IPI_VEC, xapic_handler);
	expect_exits(_metadata, vm, vcpu, "xAPIC page virtualization",
		     hvx_dev_caps()->apicv & HVX_APICV_APIC_ACCESS, 7);
	/* what the processor wrote into the page is a state to restore */
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &s));
	EXPECT_EQ(0, s.regs[APIC_TPR / 4]);
	EXPECT_EQ(0, s.regs[APIC_EOI / 4]);
	EXPECT_EQ(ICR_SELF | IPI_VEC, s.regs[APIC_ICR / 4]);
	EXPECT_EQ(0, hvx_set_lapic(vcpu->fd, &s));
}

HVX_GUEST_TEST(apicv_xapic_moved, guest_xapic_moved)
{
	bool hw = hvx_dev_caps()->apicv & HVX_APICV_APIC_ACCESS;
	long long before, moved, back;

	HVX_REQUIRE(access(HVX_STAT, X_OK) == 0, "no %s", HVX_STAT);
	vcpu_expect_sync(vcpu, 0);
	before = exits();
	ASSERT_LE(0, before);
	vcpu_expect_sync(vcpu, 1);
	moved = exits() - before;
	/* nothing of the APIC-access page is left at the old base */
	vcpu_expect_mmio(vcpu, APIC_GPA + APIC_ID, 4, false, ID_FROM_USER);
	vcpu_expect_sync(vcpu, 2);
	before = exits();
	vcpu_expect_sync(vcpu, 3);
	back = exits() - before;
	vcpu_expect_done(vcpu);

	TH_LOG("xAPIC page virtualization %s: %lld exits for %d TPR rounds at %#lx, %lld back at %#lx",
	       hw ? "on" : "off", moved, ROUNDS, MOVED_GPA, back, APIC_GPA);
	EXPECT_LE(ROUNDS * 2, moved);
	if (hw) {
		EXPECT_GE(ROUNDS / 10, back);
	} else {
		EXPECT_LE(ROUNDS * 2, back);
	}
}

HVX_GUEST_TEST(apicv_slot_over_page, guest_slot_over_page)
{
	uint32_t *ram;

	vcpu_expect_sync(vcpu, 0);
	ram = vm_mem_add(vm, RAM_SLOT, 0, APIC_GPA, HVX_PAGE_SIZE);
	ram[APIC_SVR / 4] = RAM_WORD;
	vcpu_expect_sync(vcpu, 1);
	EXPECT_EQ(0x20, ram[APIC_TPR / 4]);
	vm_set_memory_region(vm, RAM_SLOT, 0, APIC_GPA, 0, NULL);
	vcpu_expect_done(vcpu);
}

/* hvx.ko's enable_apicv parameter: 'Y' or 'N', 0 when unreadable. */
static char enable_apicv_param(void)
{
	FILE *f = fopen("/sys/module/hvx/parameters/enable_apicv", "r");
	int c;

	if (!f)
		return 0;
	c = fgetc(f);
	fclose(f);
	return c == EOF ? 0 : c;
}

HVX_TEST(caps_report_apicv)
{
	const uint64_t needs = HVX_VMX_VTPR | HVX_VMX_VAPIC |
			       HVX_VMX_VAPIC_REG | HVX_VMX_VID;
	const struct hvx_caps *c = hvx_dev_caps();

	HVX_REQUIRE_VM();
	EXPECT_TRUE(c->hvx_features & HVX_FEAT_APICV);
	/*
	 * Asked for on a CPU that has it, it is on: else the APIC tests'
	 * second pass (suite.sh) would test the trapping path again.
	 */
	ASSERT_NE(0, enable_apicv_param());
	if (enable_apicv_param() == 'Y' && (c->vmx_features & needs) == needs)
		EXPECT_NE(0, c->apicv);
	if (enable_apicv_param() == 'N')
		EXPECT_EQ(0, c->apicv);
	/* all or nothing, and only with what the CPU has */
	if (c->apicv) {
		EXPECT_EQ(HVX_APICV_TPR_SHADOW | HVX_APICV_REG_VIRT |
			  HVX_APICV_VID | HVX_APICV_X2APIC |
			  HVX_APICV_APIC_ACCESS, c->apicv);
		EXPECT_TRUE(c->vmx_features & HVX_VMX_VID);
		EXPECT_TRUE(c->vmx_features & HVX_VMX_VAPIC);
		EXPECT_TRUE(c->vmx_features & HVX_VMX_VAPIC_REG);
		EXPECT_TRUE(c->vmx_features & HVX_VMX_VTPR);
	}
}

TEST_HARNESS_MAIN
