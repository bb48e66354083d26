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
 * register reads return what was written, each interrupt arrives once.
 *
 * An interrupt whose delivery exits (its stack page not yet in the EPT)
 * is delivered again, itself and not the last event the processor
 * recorded for an earlier guest exception (module/apicv.c).
 */

#include <unistd.h>

#include "hvx_harness.h"

#define MSR_APIC_BASE	0x1b
#define APIC_BASE_EXTD	(1ULL << 10)
#define X2APIC_ID	0x802
#define X2APIC_TPR	0x808
#define X2APIC_PPR	0x80a
#define X2APIC_EOI	0x80b
#define X2APIC_LDR	0x80d
#define X2APIC_SVR	0x80f
#define X2APIC_LVTT	0x832
#define X2APIC_SELF_IPI	0x83f

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

	/* self-IPIs and their edge-triggered EOIs */
	asm volatile("sti");
	for (i = 0; i < ROUNDS; i++) {
		write_cr8(IPI_VEC >> 4);
		wrmsr(X2APIC_SELF_IPI, IPI_VEC);
		asm volatile("nop");
		GUEST_ASSERT_EQ(hits, i);
		write_cr8(0);
		asm volatile("nop");
		GUEST_ASSERT_EQ(hits, i + 1);
	}
	asm volatile("cli");
	GUEST_SYNC(2);
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

HVX_GUEST_TEST(apicv_exits, guest_apicv)
{
	bool hw = hvx_dev_caps()->apicv & HVX_APICV_VID;
	long long before, tpr_reads, ipis;

	HVX_REQUIRE(access(HVX_STAT, X_OK) == 0, "no %s", HVX_STAT);
	vm_install_exception_handler(vm, IPI_VEC, ipi_handler);
	vcpu_expect_sync(vcpu, 0);
	before = exits();
	ASSERT_LE(0, before);
	vcpu_expect_sync(vcpu, 1);
	tpr_reads = exits() - before;
	vcpu_expect_sync(vcpu, 2);
	ipis = exits() - before - tpr_reads;
	vcpu_expect_done(vcpu);

	TH_LOG("APIC virtualization %s: %lld exits for %d TPR/CR8 rounds, %lld for %d self-IPIs",
	       hw ? "on" : "off", tpr_reads, ROUNDS, ipis, ROUNDS);
	EXPECT_EQ(ROUNDS, guest_global(vm, hits));
	if (hw) {
		/*
		 * The sync's own exit, the first touches of the handler's
		 * pages, room for a host timer tick: a few, not one a round.
		 */
		EXPECT_GE(ROUNDS / 10, tpr_reads);
		EXPECT_GE(ROUNDS / 10, ipis);
	} else {
		EXPECT_LE(ROUNDS * 8, tpr_reads);
		EXPECT_LE(ROUNDS * 3, ipis);
	}
}

HVX_TEST(caps_report_apicv)
{
	const struct hvx_caps *c = hvx_dev_caps();

	HVX_REQUIRE_VM();
	EXPECT_TRUE(c->hvx_features & HVX_FEAT_APICV);
	/* all or nothing, and only with what the CPU has */
	if (c->apicv) {
		EXPECT_EQ(HVX_APICV_TPR_SHADOW | HVX_APICV_REG_VIRT |
			  HVX_APICV_VID | HVX_APICV_X2APIC, c->apicv);
		EXPECT_TRUE(c->vmx_features & HVX_VMX_VID);
		EXPECT_TRUE(c->vmx_features & HVX_VMX_VAPIC_REG);
		EXPECT_TRUE(c->vmx_features & HVX_VMX_VTPR);
	}
}

TEST_HARNESS_MAIN
