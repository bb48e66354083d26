// SPDX-License-Identifier: GPL-2.0
/*
 * Guest MSRs.
 *
 * The documented set (Documentation/api.rst): EFER, STAR, LSTAR, CSTAR,
 * SFMASK, KERNEL_GS_BASE, FS_BASE, GS_BASE, SYSENTER_CS/ESP/EIP, PAT, TSC,
 * TSC_ADJUST, MISC_ENABLE, the read-only UCODE_REV and PLATFORM_ID that
 * every Intel guest kernel reads at boot, and DEBUGCTL, 0 for good.
 * FS/GS base, SYSENTER and PAT live in the VMCS and the guest reaches
 * them without exits; the rest exit through the MSR bitmap.
 *
 * The syscall MSRs and KERNEL_GS_BASE are not switched by VMX.  They are
 * loaded with the guest's values before the first entry and the host's
 * come back when the vCPU thread is scheduled out or HVX_RUN returns
 * (hvx_msrs_load_host()), together with the selectors, GDT and TSS limits
 * a VM exit leaves wrong for user space.  Of these MSRs only
 * KERNEL_GS_BASE changes without an exit (SWAPGS), so it is read back
 * before the host's value goes in; every other MSR the guest can write
 * without an exit lives in the VMCS (FS/GS base, SYSENTER, PAT), and the
 * rest exit through the MSR bitmap.
 */
#include <linux/kernel.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/page.h>
#include <asm/segment.h>
#include <asm/tlbflush.h>

#include "vcpu.h"
#include "vmx_ops.h"

/*
 * DEBUGCTL bits a guest may write, which hvx drops, as KVM does without
 * LBR virtualization: there is no virtual LBR, and a branch trap (BTF)
 * would need the single-step it turns into emulated.  Linux writes BTF
 * for ptrace's PTRACE_SINGLEBLOCK, and would take a #GP.
 */
#define DEBUGCTL_DROPPED	(DEBUGCTLMSR_LBR | DEBUGCTLMSR_BTF)

/* IA32_BIOS_SIGN_ID as guests read it: revision 1 in bits 63:32. */
#define HVX_GUEST_UCODE_REV	0x100000000ULL

static u64 host_star, host_lstar, host_cstar, host_sfmask;

/**
 * hvx_msr_init_host() - read the host's syscall MSRs, the same on all CPUs
 */
void hvx_msr_init_host(void)
{
	rdmsrl(MSR_STAR, host_star);
	rdmsrl(MSR_LSTAR, host_lstar);
	rdmsrl(MSR_CSTAR, host_cstar);
	rdmsrl(MSR_SYSCALL_MASK, host_sfmask);
}

/**
 * hvx_msrs_load_guest() - the guest's MSRs, before VM entry
 * @vcpu: the vCPU, loaded, interrupts disabled, its guest MSRs not loaded
 *	  (the run loop tests vcpu->guest_msrs_loaded itself: they stay
 *	  loaded from one entry to the next until the thread leaves)
 */
void hvx_msrs_load_guest(struct hvx_vcpu *vcpu)
{
	u64 fsbase;

	savesegment(ds, vcpu->host_ds_sel);
	savesegment(es, vcpu->host_es_sel);
	savesegment(fs, vcpu->host_fs_sel);
	savesegment(gs, vcpu->host_gs_sel);
	asm volatile("sldt %0" : "=r" (vcpu->host_ldt_sel));
	rdmsrl(MSR_FS_BASE, fsbase);
	vcpu->host_fs_base = fsbase;
	hvx_vmwrite(HOST_FS_BASE, fsbase);
	rdmsrl(MSR_KERNEL_GS_BASE, vcpu->host_kernel_gs_base);

	wrmsrl(MSR_STAR, vcpu->star);
	wrmsrl(MSR_LSTAR, vcpu->lstar);
	wrmsrl(MSR_CSTAR, vcpu->cstar);
	wrmsrl(MSR_SYSCALL_MASK, vcpu->sfmask);
	wrmsrl(MSR_KERNEL_GS_BASE, vcpu->kernel_gs_base);
	vcpu->guest_msrs_loaded = true;
}

/*
 * Whether the thread returns to an LDT: the one LDTR held at the first
 * entry, or one that another thread's modify_ldt() installed since.  Its
 * IPI loaded LDTR here between two exits, and the next exit cleared it;
 * the GDT's LDT descriptor on this CPU is the mm's (flush_ldt()).
 */
static bool host_has_ldt(struct hvx_vcpu *vcpu)
{
#ifdef CONFIG_MODIFY_LDT_SYSCALL
	if (current->mm && READ_ONCE(current->mm->context.ldt))
		return true;
#endif
	return vcpu->host_ldt_sel;
}

/**
 * hvx_msrs_load_host() - the host's MSRs and segment state back
 * @vcpu: the vCPU, preemption disabled
 */
void hvx_msrs_load_host(struct hvx_vcpu *vcpu)
{
	if (!vcpu->guest_msrs_loaded)
		return;
	/*
	 * SWAPGS changes it without an exit: the CPU holds the guest's.
	 * Read before GS is reloaded: load_gs_index() writes the inactive
	 * GS base, which is this MSR.
	 */
	rdmsrl(MSR_KERNEL_GS_BASE, vcpu->kernel_gs_base);
	/*
	 * VM exits loaded null selectors into DS, ES, FS, GS and LDTR.  A
	 * 32-bit caller has __USER_DS in DS and ES, which it keeps across
	 * system calls; a 64-bit one normally has null ones, which 64-bit
	 * mode does not use.
	 */
	if (unlikely(vcpu->host_ds_sel | vcpu->host_es_sel)) {
		loadsegment(ds, vcpu->host_ds_sel);
		loadsegment(es, vcpu->host_es_sel);
	}
	if (host_has_ldt(vcpu))
		asm volatile("lldt %0" : : "rm" ((u16)(GDT_ENTRY_LDT * 8)));
	if (vcpu->host_gs_sel)
		load_gs_index(vcpu->host_gs_sel);
	if (vcpu->host_fs_sel) {
		loadsegment(fs, vcpu->host_fs_sel);
		wrmsrl(MSR_FS_BASE, vcpu->host_fs_base);
	}
	wrmsrl(MSR_KERNEL_GS_BASE, vcpu->host_kernel_gs_base);
	wrmsrl(MSR_STAR, host_star);
	wrmsrl(MSR_LSTAR, host_lstar);
	wrmsrl(MSR_CSTAR, host_cstar);
	wrmsrl(MSR_SYSCALL_MASK, host_sfmask);
	/* VM exits set the GDT limit to 0xffff and the TSS limit to 0x67. */
	load_fixmap_gdt(smp_processor_id());
	invalidate_tss_limit();
	vcpu->guest_msrs_loaded = false;
}

/* Write a syscall MSR now if the guest's values are in the CPU. */
static void sync_loaded(struct hvx_vcpu *vcpu, u32 index, u64 data)
{
	preempt_disable();
	if (vcpu->guest_msrs_loaded)
		wrmsrl(index, data);
	preempt_enable();
}

/*
 * The guest's KERNEL_GS_BASE: while its MSRs are loaded the CPU holds the
 * current value, which SWAPGS may have changed since the last WRMSR.
 */
static u64 kernel_gs_base(struct hvx_vcpu *vcpu)
{
	u64 v;

	preempt_disable();
	if (vcpu->guest_msrs_loaded)
		rdmsrl(MSR_KERNEL_GS_BASE, vcpu->kernel_gs_base);
	v = vcpu->kernel_gs_base;
	preempt_enable();
	return v;
}

static bool pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (i * 8);

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

/**
 * hvx_msr_get() - read a guest MSR of the documented set
 * @vcpu: the vCPU, loaded
 * @index: MSR number
 * @data: the value
 *
 * Return: 0; -ENOENT for an MSR outside the set; -EINVAL where the
 * processor raises #GP (an x2APIC register out of x2APIC mode).
 */
int hvx_msr_get(struct hvx_vcpu *vcpu, u32 index, u64 *data)
{
	switch (index) {
	case MSR_EFER:
		*data = hvx_vmread(GUEST_IA32_EFER);
		break;
	case MSR_STAR:
		*data = vcpu->star;
		break;
	case MSR_LSTAR:
		*data = vcpu->lstar;
		break;
	case MSR_CSTAR:
		*data = vcpu->cstar;
		break;
	case MSR_SYSCALL_MASK:
		*data = vcpu->sfmask;
		break;
	case MSR_KERNEL_GS_BASE:
		*data = kernel_gs_base(vcpu);
		break;
	case MSR_FS_BASE:
		*data = hvx_vmread(GUEST_FS_BASE);
		break;
	case MSR_GS_BASE:
		*data = hvx_vmread(GUEST_GS_BASE);
		break;
	case MSR_IA32_SYSENTER_CS:
		*data = hvx_vmread32(GUEST_SYSENTER_CS);
		break;
	case MSR_IA32_SYSENTER_ESP:
		*data = hvx_vmread(GUEST_SYSENTER_ESP);
		break;
	case MSR_IA32_SYSENTER_EIP:
		*data = hvx_vmread(GUEST_SYSENTER_EIP);
		break;
	case MSR_IA32_CR_PAT:
		*data = hvx_vmread64(GUEST_IA32_PAT);
		break;
	case MSR_IA32_TSC:
		*data = rdtsc() + hvx_vmread64(TSC_OFFSET);
		break;
	case MSR_IA32_MISC_ENABLE:
		*data = vcpu->misc_enable;
		break;
	case MSR_IA32_TSC_ADJUST:
		*data = vcpu->tsc_adjust;
		break;
	case MSR_IA32_UCODE_REV:
		/*
		 * No microcode update is visible to a guest: report a
		 * revision high enough that the guest's errata checks pass
		 * and its loader has nothing to do.
		 */
		*data = HVX_GUEST_UCODE_REV;
		break;
	case MSR_IA32_PLATFORM_ID:
	case MSR_IA32_DEBUGCTLMSR:
		*data = 0;
		break;
	default:
		return hvx_apic_msr(vcpu, index, false, data, false);
	}
	return 0;
}

/* The writes the processor refuses with #GP whatever the state. */
static bool msr_value_valid(u32 index, u64 data)
{
	switch (index) {
	case MSR_SYSCALL_MASK:
		return !(data >> 32);		/* bits 63:32 reserved */
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		/* an address, canonical to the processor's width */
		return hvx_addr_canonical(data);
	case MSR_IA32_CR_PAT:
		return pat_valid(data);
	}
	return true;
}

/*
 * IA32_TSC and IA32_TSC_ADJUST, two views of the TSC offset.  The guest's
 * write of one moves the other along, as on hardware; userspace sets each
 * alone (restoring state sets both).  A TSC that moves takes an armed TSC
 * deadline's expiry with it.
 */
static void set_tsc_msr(struct hvx_vcpu *vcpu, u32 index, u64 data,
			bool host)
{
	if (index == MSR_IA32_TSC) {
		if (!host)
			vcpu->tsc_adjust += data - (rdtsc() +
						    hvx_vmread64(TSC_OFFSET));
		hvx_vmwrite(TSC_OFFSET, data - rdtsc());
		hvx_apic_tsc_moved(vcpu);
		return;
	}
	if (!host) {
		hvx_vmwrite(TSC_OFFSET, hvx_vmread64(TSC_OFFSET) +
			    data - vcpu->tsc_adjust);
		hvx_apic_tsc_moved(vcpu);
	}
	vcpu->tsc_adjust = data;
}

/**
 * hvx_msr_set() - write a guest MSR of the documented set
 * @vcpu: the vCPU, loaded
 * @index: MSR number
 * @data: the value
 * @host: written by userspace (not the guest's WRMSR)
 *
 * Return: 0; -ENOENT for an MSR outside the set; -EINVAL for a value the
 * processor would refuse with #GP.
 */
int hvx_msr_set(struct hvx_vcpu *vcpu, u32 index, u64 data, bool host)
{
	if (!msr_value_valid(index, data))
		return -EINVAL;

	switch (index) {
	case MSR_EFER:
		/* the guest's, not userspace's, follow its CPUID (NX, LM) */
		if (!host && (data & vcpu->efer_hidden))
			return -EINVAL;
		return hvx_set_efer(vcpu, data);
	case MSR_STAR:
		vcpu->star = data;
		sync_loaded(vcpu, index, data);
		break;
	case MSR_LSTAR:
		vcpu->lstar = data;
		sync_loaded(vcpu, index, data);
		break;
	case MSR_CSTAR:
		vcpu->cstar = data;
		sync_loaded(vcpu, index, data);
		break;
	case MSR_SYSCALL_MASK:
		vcpu->sfmask = (u32)data;
		sync_loaded(vcpu, index, vcpu->sfmask);
		break;
	case MSR_KERNEL_GS_BASE:
		vcpu->kernel_gs_base = data;
		sync_loaded(vcpu, index, data);
		break;
	case MSR_FS_BASE:
		hvx_vmwrite(GUEST_FS_BASE, data);
		break;
	case MSR_GS_BASE:
		hvx_vmwrite(GUEST_GS_BASE, data);
		break;
	case MSR_IA32_SYSENTER_CS:
		hvx_vmwrite(GUEST_SYSENTER_CS, (u32)data);
		break;
	case MSR_IA32_SYSENTER_ESP:
		hvx_vmwrite(GUEST_SYSENTER_ESP, data);
		break;
	case MSR_IA32_SYSENTER_EIP:
		hvx_vmwrite(GUEST_SYSENTER_EIP, data);
		break;
	case MSR_IA32_CR_PAT:
		hvx_vmwrite(GUEST_IA32_PAT, data);
		break;
	case MSR_IA32_TSC:
	case MSR_IA32_TSC_ADJUST:
		set_tsc_msr(vcpu, index, data, host);
		break;
	case MSR_IA32_UCODE_REV:
		/* the guest writes 0 before CPUID to latch the revision */
		if (!host && data)
			return -EINVAL;
		break;
	case MSR_IA32_PLATFORM_ID:
		/* read-only; userspace restores the 0 it read */
		if (!host || data)
			return -EINVAL;
		break;
	case MSR_IA32_DEBUGCTLMSR:
		if (data & ~DEBUGCTL_DROPPED)
			return -EINVAL;
		break;
	case MSR_IA32_MISC_ENABLE:
		/* Only userspace may change what the guest sees here. */
		if (!host && data != vcpu->misc_enable)
			return -EINVAL;
		vcpu->misc_enable = data;
		break;
	default:
		return hvx_apic_msr(vcpu, index, true, &data, host);
	}
	return 0;
}

/* MSR bitmap layout: read low, read high, write low, write high (1 KiB). */
static void bitmap_allow(unsigned long *bitmap, u32 msr)
{
	unsigned long base = msr >= 0xc0000000 ? 1024 * 8 : 0;
	u32 bit = msr & 0x1fff;

	__clear_bit(base + bit, bitmap);
	__clear_bit(base + 2048 * 8 + bit, bitmap);
}

/**
 * hvx_msr_bitmap_init() - exits for every MSR but those the VMCS switches
 * @bitmap: the VM's MSR bitmap page
 */
void hvx_msr_bitmap_init(unsigned long *bitmap)
{
	memset(bitmap, 0xff, PAGE_SIZE);
	bitmap_allow(bitmap, MSR_FS_BASE);
	bitmap_allow(bitmap, MSR_GS_BASE);
	bitmap_allow(bitmap, MSR_IA32_SYSENTER_CS);
	bitmap_allow(bitmap, MSR_IA32_SYSENTER_ESP);
	bitmap_allow(bitmap, MSR_IA32_SYSENTER_EIP);
	bitmap_allow(bitmap, MSR_IA32_CR_PAT);
}

static int msr_exit_to_user(struct hvx_vcpu *vcpu, u32 index, u64 data,
			    bool write)
{
	struct hvx_run *run = vcpu->run;

	run->exit_reason = write ? HVX_EXIT_WRMSR : HVX_EXIT_RDMSR;
	run->msr.index = index;
	run->msr.error = 0;
	/* what an earlier exit's union member or userspace left there */
	memset(run->msr.pad, 0, sizeof(run->msr.pad));
	run->msr.data = data;
	vcpu->pending = write ? HVX_PENDING_WRMSR : HVX_PENDING_RDMSR;
	vcpu->pending_insn_len = hvx_vmread32(VM_EXIT_INSTRUCTION_LEN);
	return 0;
}

/**
 * hvx_exit_rdmsr() - RDMSR of an intercepted MSR
 * @vcpu: the vCPU, loaded
 *
 * Return: 1 to resume, 0 to exit to userspace (unknown MSR, when the VM
 * asked for HVX_OPT_UNKNOWN_MSR_EXIT).
 */
int hvx_exit_rdmsr(struct hvx_vcpu *vcpu)
{
	u32 index = vcpu->regs[HVX_RCX];
	u64 data;
	int r;

	r = hvx_msr_get(vcpu, index, &data);
	if (r) {
		/* one hvx knows and refuses is #GP, as for WRMSR */
		if (r == -ENOENT && READ_ONCE(vcpu->vm->unknown_msr_exit))
			return msr_exit_to_user(vcpu, index, 0, false);
		hvx_inject_gp(vcpu);
		return 1;
	}
	vcpu->regs[HVX_RAX] = (u32)data;
	vcpu->regs[HVX_RDX] = data >> 32;
	hvx_skip_insn(vcpu);
	return 1;
}

/* WRMSR writes EDX:EAX; the upper halves of RAX and RDX are ignored. */
static u64 wrmsr_data(const struct hvx_vcpu *vcpu)
{
	return (u32)vcpu->regs[HVX_RAX] | (vcpu->regs[HVX_RDX] << 32);
}

/**
 * hvx_exit_wrmsr_fast() - an x2APIC ICR or EOI write, or a TSC deadline,
 * served before interrupts are enabled again
 * @vcpu: the vCPU, loaded, interrupts and preemption disabled, just
 *	after a WRMSR exit
 *
 * An IPI costs its sender one exit, and without APIC virtualization
 * every interrupt costs one more for its EOI; serving them here lets the
 * run loop enter the guest again at once instead of going round
 * (interrupts on, cond_resched(), the checks before the next entry).
 * Delivery needs no sleeping lock: the APIC locks are taken with
 * interrupts saved, and a kick sends a reschedule IPI or wakes a wait
 * queue.  An EOI that lets an interrupt through, or whose level-triggered
 * vector userspace must hear of, leaves a request: the run loop then
 * goes round as for any exit.  A guest kernel writes its next TSC
 * deadline at every timer event: arming the timer needs no sleeping lock
 * either (the VMX-preemption timer's deadline for the next entry, or an
 * hrtimer started or cancelled with interrupts saved), and a deadline
 * already past leaves its request too.
 *
 * A write the processor refuses (xAPIC mode, a reserved bit) gets its
 * #GP here too: a VM exit clears the entry's event field, so there is no
 * pending exception for it to meet, and a second pass through
 * hvx_handle_exit() would only be refused again.
 *
 * Return: true when the exit was served (the instruction skipped, or #GP
 * injected); false for any other MSR: hvx_handle_exit() serves the exit.
 */
bool hvx_exit_wrmsr_fast(struct hvx_vcpu *vcpu)
{
	u32 index = vcpu->regs[HVX_RCX];
	u64 data = wrmsr_data(vcpu);

	if (index != HVX_X2APIC_MSR_BASE + (HVX_APIC_REG_ICR >> 4) &&
	    index != HVX_X2APIC_MSR_BASE + (HVX_APIC_REG_EOI >> 4) &&
	    index != HVX_MSR_TSC_DEADLINE)
		return false;
	/* what hvx_handle_exit() does for every exit: no event was cut short */
	vcpu->event_injected = false;
	vcpu->exit_vect = 0;
	if (hvx_apic_msr(vcpu, index, true, &data, false))
		hvx_inject_gp(vcpu);
	else
		hvx_skip_insn(vcpu);
	return true;
}

/**
 * hvx_exit_wrmsr() - WRMSR of an intercepted MSR
 * @vcpu: the vCPU, loaded
 *
 * Return: 1 to resume, 0 to exit to userspace (as for RDMSR).
 */
int hvx_exit_wrmsr(struct hvx_vcpu *vcpu)
{
	u32 index = vcpu->regs[HVX_RCX];
	u64 data = wrmsr_data(vcpu);
	int err;

	/* x2APIC writes (ICR, EOI), the hot ones, skip the other MSRs' switch */
	if (index >= HVX_X2APIC_MSR_BASE && index <= HVX_X2APIC_MSR_LAST)
		err = hvx_apic_msr(vcpu, index, true, &data, false);
	else
		err = hvx_msr_set(vcpu, index, data, false);

	if (err == -ENOENT && READ_ONCE(vcpu->vm->unknown_msr_exit))
		return msr_exit_to_user(vcpu, index, data, true);
	if (err)
		hvx_inject_gp(vcpu);
	else
		hvx_skip_insn(vcpu);
	return 1;
}
