// SPDX-License-Identifier: GPL-2.0
/*
 * cr_test: the control and debug registers and the MSRs a guest writes as
 * a processor has them: a CR4.PGE write flushes global translations; CR0.ET
 * reads 1; CR4.PCIDE needs CR3[11:0] clear; DR7.GD makes a MOV DR fault;
 * CR4 and EFER bits whose features the guest's CPUID hides are #GP, and
 * the table is fixed once the vCPU ran; DEBUGCTL reads 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "hvx_harness.h"

/*
 * MOV to CR4 that changes CR4.PGE flushes the TLB, global entries
 * included: Linux's flush of global pages without INVPCID.  The write
 * exits to hvx, which must flush the guest's translations itself (with
 * VPIDs they outlive exits).  A global 4 KiB page at TLB_LIN is read
 * through, moved to another frame without INVLPG, and read again after
 * two CR4 writes.
 */
#define TLB_LIN		(GUEST_SCRATCH_GPA + 0x20000)
#define TLB_FRAME_A	(GUEST_SCRATCH_GPA + 0x21000)
#define TLB_FRAME_B	(GUEST_SCRATCH_GPA + 0x22000)
#define PTE_P_RW_G	(1ULL << 0 | 1ULL << 1 | 1ULL << 8)
#define X86_CR4_PGE	(1ULL << 7)

static void guest_cr4_pge_flush(void)
{
	volatile uint64_t *pte = (uint64_t *)GUEST_PT0_GPA + (TLB_LIN >> 12);
	volatile uint64_t *lin = (uint64_t *)TLB_LIN;
	uint64_t cr4;

	*(volatile uint64_t *)TLB_FRAME_A = 0xaaaa;
	*(volatile uint64_t *)TLB_FRAME_B = 0xbbbb;
	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	asm volatile("mov %0, %%cr4" : : "r"(cr4 | X86_CR4_PGE) : "memory");
	*pte = TLB_FRAME_A | PTE_P_RW_G;
	asm volatile("invlpg (%0)" : : "r"(lin) : "memory");
	GUEST_ASSERT_EQ(*lin, 0xaaaa);
	*pte = TLB_FRAME_B | PTE_P_RW_G;
	asm volatile("mov %0, %%cr4" : : "r"(cr4 & ~X86_CR4_PGE) : "memory");
	asm volatile("mov %0, %%cr4" : : "r"(cr4 | X86_CR4_PGE) : "memory");
	GUEST_ASSERT_EQ(*lin, 0xbbbb);
	GUEST_DONE();
}

HVX_GUEST_TEST(cr4_pge_write_flushes_tlb, guest_cr4_pge_flush)
{
	/* without VPIDs every entry flushes: nothing for hvx to show */
	HVX_REQUIRE_VMX(HVX_VMX_VPID);
	vcpu_expect_done(vcpu);
}

/*
 * CR0.ET reads 1 whatever the guest writes (fixed since the 486), and
 * CR4.PCIDE may not go from 0 to 1 while CR3[11:0] (PWT, PCD) is not 0
 * (#GP), as on a processor.
 */
static void guest_cr0_et_and_pcide(void)
{
	uint64_t cr0 = get_cr0(), cr3 = get_cr3(), cr4 = get_cr4();
	uint32_t a, b, c, d;

	asm volatile("mov %0, %%cr0" : : "r"(cr0 & ~X86_CR0_ET));
	GUEST_ASSERT_EQ(get_cr0(), cr0 | X86_CR0_ET);
	cpuid_count(1, 0, &a, &b, &c, &d);
	GUEST_SYNC(!!(c & CPUID_1_ECX_PCID));
	asm volatile("mov %0, %%cr3" : : "r"(cr3 | 0x8) : "memory");
	GUEST_ASSERT_EQ(set_cr4_safe(cr4 | X86_CR4_PCIDE), GP_VECTOR);
	GUEST_ASSERT_EQ(get_cr4(), cr4);
	asm volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
	GUEST_ASSERT_EQ(set_cr4_safe(cr4 | X86_CR4_PCIDE), GUEST_NO_FAULT);
	GUEST_ASSERT_EQ(set_cr4_safe(cr4), GUEST_NO_FAULT);
	GUEST_DONE();
}

HVX_GUEST_TEST(cr0_et_fixed_pcide_needs_cr3_clear, guest_cr0_et_and_pcide)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_get_ucall(vcpu, &uc));
	HVX_REQUIRE(uc.args[0], "no PCID in the guest's CPUID");
	vcpu_expect_done(vcpu);
}

static volatile uint64_t gd_dr6, gd_dr7, gd_rip, gd_count;

static void gd_handler(struct guest_ex_regs *regs)
{
	uint64_t v;

	asm volatile("mov %%dr6, %0" : "=r"(v));
	gd_dr6 = v;
	asm volatile("mov %%dr7, %0" : "=r"(v));
	gd_dr7 = v;
	gd_rip = regs->rip;
	gd_count++;
}

/*
 * DR7.GD set: the next MOV DR is a #DB fault, at the MOV, with DR6.BD
 * set and DR7.GD clear in the handler, which the MOV then, run again,
 * passes.  Before, hvx performed the access.
 */
static void guest_dr7_general_detect(void)
{
	uint64_t dr0 = 0x1234, v = 0;
	extern char gd_mov[];

	asm volatile("mov %0, %%dr0" : : "r"(dr0));
	asm volatile("mov %0, %%dr7" : : "r"(0x400UL | (1UL << 13)));
	asm volatile("gd_mov: mov %%dr0, %0" : "=r"(v));
	GUEST_ASSERT_EQ(gd_count, 1);
	GUEST_ASSERT_EQ(gd_rip, (uint64_t)gd_mov);
	GUEST_ASSERT(gd_dr6 & (1UL << 13));
	GUEST_ASSERT_EQ(gd_dr7 & (1UL << 13), 0);
	GUEST_ASSERT_EQ(v, dr0);
	GUEST_DONE();
}

HVX_GUEST_TEST(dr7_general_detect_faults, guest_dr7_general_detect)
{
	vm_install_exception_handler(vm, DB_VECTOR, gd_handler);
	vcpu_expect_done(vcpu);
}

/*
 * A CR4 or EFER bit whose feature the guest's CPUID hides is reserved:
 * setting it raises #GP, as on a processor without the feature, and
 * HVX_SET_SREGS refuses it.  FSGSBASE and LM stand for the others.  So
 * are the local APIC's IA32_APIC_BASE.EXTD without x2APIC and LVT timer
 * bit 18 without the TSC-deadline timer, which a write clears where a
 * state set before the table had it.  (The APIC took both, and kept the
 * bit: no timer but the deadline one.)
 */
#define CPUID_7_EBX_FSGSBASE	(1U << 0)
#define CPUID_E1_EDX_LM		(1U << 29)
#define CPUID_1_ECX_X2APIC	(1U << 21)
#define CPUID_1_ECX_DEADLINE	(1U << 24)
#define APIC_BASE_EXTD		(1ULL << 10)
#define APIC_LVTT_GPA		0xfee00320UL
#define LVT_MASKED		(1U << 16)
#define LVT_TSC_DEADLINE	(1U << 18)

static void guest_cpuid_hides_controls(void)
{
	uint64_t cr4 = get_cr4(), efer = rdmsr(MSR_EFER);

	GUEST_ASSERT_EQ(set_cr4_safe(cr4 | X86_CR4_FSGSBASE), GP_VECTOR);
	GUEST_ASSERT_EQ(get_cr4(), cr4);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_EFER, efer), GP_VECTOR);
	GUEST_ASSERT_EQ(rdmsr(MSR_EFER), efer);
	/* the APIC's: x2APIC mode, the TSC-deadline timer mode */
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_APIC_BASE,
				   rdmsr(MSR_APIC_BASE) | APIC_BASE_EXTD),
			GP_VECTOR);
	GUEST_ASSERT_EQ(mmio_r32(APIC_LVTT_GPA),
			LVT_MASKED | LVT_TSC_DEADLINE | 0x30);
	mmio_w32(APIC_LVTT_GPA, LVT_MASKED | LVT_TSC_DEADLINE | 0x30);
	GUEST_ASSERT_EQ(mmio_r32(APIC_LVTT_GPA), LVT_MASKED | 0x30);
	GUEST_DONE();
}

HVX_GUEST_TEST(cpuid_hides_cr4_and_efer_bits, guest_cpuid_hides_controls)
{
	struct hvx_lapic_state apic;
	struct hvx_cpuid *cpuid;
	struct hvx_cpuid_entry *e;
	struct hvx_sregs sregs, fsgs;

	cpuid = hvx_get_cpuid_alloc(vcpu->fd);
	ASSERT_NE(NULL, cpuid);
	e = hvx_cpuid_find(cpuid, 7, 0);
	ASSERT_NE(NULL, e);
	HVX_REQUIRE(e->ebx & CPUID_7_EBX_FSGSBASE, "no FSGSBASE");
	/* with the feature shown the bit is taken */
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_GET_SREGS, &sregs));
	fsgs = sregs;
	fsgs.cr4 |= X86_CR4_FSGSBASE;
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_SET_SREGS, &fsgs));
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_SET_SREGS, &sregs));

	e->ebx &= ~CPUID_7_EBX_FSGSBASE;
	e = hvx_cpuid_find(cpuid, 0x80000001, 0);
	ASSERT_NE(NULL, e);
	e->edx &= ~CPUID_E1_EDX_LM;
	e = hvx_cpuid_find(cpuid, 1, 0);
	ASSERT_NE(NULL, e);
	e->ecx &= ~(CPUID_1_ECX_X2APIC | CPUID_1_ECX_DEADLINE);
	/* a state restored in deadline mode first: the guest's write ends it */
	ASSERT_EQ(0, hvx_get_lapic(vcpu->fd, &apic));
	apic.regs[0x320 / 4] = LVT_MASKED | LVT_TSC_DEADLINE | 0x30;
	ASSERT_EQ(0, hvx_set_lapic(vcpu->fd, &apic));
	ASSERT_EQ(0, hvx_set_cpuid(vcpu->fd, cpuid));
	EXPECT_EQ(-1, ioctl(vcpu->fd, HVX_SET_SREGS, &fsgs));
	EXPECT_EQ(EINVAL, errno);
	vcpu_expect_done(vcpu);
	free(cpuid);
}

/*
 * Once a vCPU ran, its CPUID table is fixed (KVM's rule, but EBUSY): the
 * guest has set control bits and sized its state by what it saw.  The
 * same table again is taken, as a VMM that sets a vCPU up twice does.
 * An HVX_RUN that never entered the guest does not count: one that
 * immediate_exit ended, one a signal ended while the vCPU waited for a
 * SIPI (an AP a VMM stops before it set the CPU up), one whose VM entry
 * failed on guest state (the VMM fixes its state and runs again).
 */
static void guest_cpuid_fixed(void)
{
	uint32_t a, b, c, d;

	cpuid_count(HVX_CPUID_SIGNATURE, 0, &a, &b, &c, &d);
	GUEST_SYNC(b);
	cpuid_count(HVX_CPUID_SIGNATURE, 0, &a, &b, &c, &d);
	GUEST_SYNC(b);
	GUEST_DONE();
}

HVX_GUEST_TEST(cpuid_fixed_once_run, guest_cpuid_fixed)
{
	struct hvx_cpuid *cpuid, *now;
	struct hvx_cpuid_entry *e;
	struct hvx_sregs s;
	size_t size;

	cpuid = hvx_get_cpuid_alloc(vcpu->fd);
	ASSERT_NE(NULL, cpuid);
	size = cpuid->nent * sizeof(cpuid->entries[0]);
	e = hvx_cpuid_find(cpuid, HVX_CPUID_SIGNATURE, 0);
	ASSERT_NE(NULL, e);
	vcpu->run->immediate_exit = 1;
	ASSERT_EQ(-1, __vcpu_run(vcpu));
	ASSERT_EQ(EINTR, errno);
	vcpu->run->immediate_exit = 0;
	ASSERT_EQ(0, hvx_set_mp_state(vcpu->fd, HVX_MP_WAIT_SIPI));
	ASSERT_EQ(0, alarm_in_ms(1000));
	ASSERT_EQ(-1, __vcpu_run(vcpu));
	ASSERT_EQ(EINTR, errno);
	ASSERT_EQ(0, hvx_set_mp_state(vcpu->fd, HVX_MP_RUNNABLE));
	/* nor a VM entry the processor refused (an available TSS in TR) */
	vcpu_sregs_get(vcpu, &s);
	s.tr.ar = (s.tr.ar & ~HVX_AR_TYPE_MASK) | 0x9;
	vcpu_sregs_set(vcpu, &s);
	ASSERT_EQ(0, __vcpu_run(vcpu));
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_FAIL_ENTRY);
	s.tr.ar = (s.tr.ar & ~HVX_AR_TYPE_MASK) | 0xb;
	vcpu_sregs_set(vcpu, &s);
	e->ebx = 0x5a5a5a5a;
	ASSERT_EQ(0, hvx_set_cpuid(vcpu->fd, cpuid));
	vcpu_expect_sync(vcpu, 0x5a5a5a5a);

	EXPECT_EQ(0, hvx_set_cpuid(vcpu->fd, cpuid));
	e->ebx = 0xa5a5a5a5;
	EXPECT_EQ(-1, hvx_set_cpuid(vcpu->fd, cpuid));
	EXPECT_EQ(EBUSY, errno);
	e->ebx = 0x5a5a5a5a;
	cpuid->nent--;
	EXPECT_EQ(-1, hvx_set_cpuid(vcpu->fd, cpuid));
	EXPECT_EQ(EBUSY, errno);
	cpuid->nent++;
	now = hvx_get_cpuid_alloc(vcpu->fd);
	ASSERT_NE(NULL, now);
	ASSERT_EQ(cpuid->nent, now->nent);
	EXPECT_EQ(0, memcmp(cpuid->entries, now->entries, size));
	vcpu_expect_sync(vcpu, 0x5a5a5a5a);
	vcpu_expect_done(vcpu);
	free(now);
	free(cpuid);
}

/*
 * DEBUGCTL reads 0; the LBR and BTF bits a guest kernel writes (Linux's
 * PTRACE_SINGLEBLOCK sets BTF) are taken and dropped, as KVM does without
 * LBR virtualization; any other bit is #GP.  Before, every access was.
 */
static void guest_debugctl(void)
{
	uint64_t v = ~0ULL;

	GUEST_ASSERT_EQ(rdmsr_safe(MSR_IA32_DEBUGCTL, &v), GUEST_NO_FAULT);
	GUEST_ASSERT_EQ(v, 0);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_DEBUGCTL, 0), GUEST_NO_FAULT);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_DEBUGCTL, 3), GUEST_NO_FAULT);
	GUEST_ASSERT_EQ(rdmsr_safe(MSR_IA32_DEBUGCTL, &v), GUEST_NO_FAULT);
	GUEST_ASSERT_EQ(v, 0);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_DEBUGCTL, 1 << 6), GP_VECTOR);
	GUEST_ASSERT_EQ(wrmsr_safe(MSR_IA32_DEBUGCTL, 1ULL << 32), GP_VECTOR);
	GUEST_DONE();
}

HVX_GUEST_TEST(debugctl_reads_zero, guest_debugctl)
{
	uint64_t v = ~0ULL;

	vcpu_expect_done(vcpu);
	ASSERT_EQ(0, hvx_get_msr(vcpu->fd, MSR_IA32_DEBUGCTL, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, hvx_set_msr(vcpu->fd, MSR_IA32_DEBUGCTL, 0));
}

TEST_HARNESS_MAIN
