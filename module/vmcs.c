// SPDX-License-Identifier: GPL-2.0
/*
 * VMCS contents: controls, host state and the guest's reset state, in the
 * order of the Intel SDM chapter "Virtual Machine Control Structures".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "vcpu.h"
#include "vmx_ops.h"

/* Real-mode access rights: present, S, accessed read/write data or code. */
#define AR_DATA16	0x93
#define AR_CODE16	0x9b
#define AR_TSS_BUSY	0x8b
#define AR_LDT		0x82

static u64 tr_base_of(unsigned long gdt, u16 tr)
{
	struct ldttss_desc *d = (struct ldttss_desc *)(gdt + (tr & ~7));

	return get_desc_base((struct desc_struct *)d) |
	       ((u64)d->base3 << 32);
}

/**
 * hvx_vmcs_set_host_percpu() - host fields that differ between CPUs
 * @vcpu: the vCPU, loaded on this CPU (preemption disabled)
 */
void hvx_vmcs_set_host_percpu(struct hvx_vcpu *vcpu)
{
	struct desc_ptr gdt;
	unsigned long tr;
	u64 v;

	native_store_gdt(&gdt);
	store_tr(tr);
	hvx_vmwrite(HOST_GDTR_BASE, gdt.address);
	hvx_vmwrite(HOST_TR_BASE, tr_base_of(gdt.address, tr));
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	hvx_vmwrite(HOST_IA32_SYSENTER_ESP, v);
	rdmsrl(MSR_GS_BASE, v);
	hvx_vmwrite(HOST_GS_BASE, v);
	vcpu->host_cr3 = 0;
	vcpu->host_cr4 = 0;
}

static int hvx_vmcs_set_controls(struct hvx_vcpu *vcpu)
{
	struct hvx_vm *vm = vcpu->vm;
	u32 proc2 = hvx_vmx.proc2;
	int err = 0;

	if (!vcpu->vpid)
		proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	err |= hvx_vmwrite(PIN_BASED_VM_EXEC_CONTROL, hvx_vmx.pin);
	vcpu->proc_ctl = hvx_vmx.proc;
	err |= hvx_vmwrite(CPU_BASED_VM_EXEC_CONTROL, vcpu->proc_ctl);
	vcpu->proc2_ctl = proc2;
	err |= hvx_vmwrite(SECONDARY_VM_EXEC_CONTROL, proc2);
	err |= hvx_vmwrite(EXCEPTION_BITMAP, hvx_exception_bitmap);
	err |= hvx_vmwrite(PAGE_FAULT_ERROR_CODE_MASK, 0);
	err |= hvx_vmwrite(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	err |= hvx_vmwrite(CR3_TARGET_COUNT, 0);
	err |= hvx_vmwrite(VM_EXIT_CONTROLS, hvx_vmx.exit);
	err |= hvx_vmwrite(VM_EXIT_MSR_STORE_COUNT, 0);
	err |= hvx_vmwrite(VM_ENTRY_CONTROLS, hvx_vmx.entry);
	err |= hvx_perf_vmcs_init(vcpu);
	err |= hvx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
	err |= hvx_vmwrite(IO_BITMAP_A, __pa(vm->io_bitmap));
	err |= hvx_vmwrite(IO_BITMAP_B, __pa(vm->io_bitmap) + PAGE_SIZE);
	err |= hvx_vmwrite(MSR_BITMAP, __pa(vm->msr_bitmap));
	err |= hvx_vmwrite(EPT_POINTER, vm->ept.eptp);
	if (vcpu->vpid)
		err |= hvx_vmwrite(VIRTUAL_PROCESSOR_ID, vcpu->vpid);
	/* The guest owns no CR0/CR4 bit: every write is checked by hvx. */
	err |= hvx_vmwrite(CR0_GUEST_HOST_MASK, ~0UL);
	err |= hvx_vmwrite(CR4_GUEST_HOST_MASK, ~0UL);
	/* one offset for the VM: its vCPUs' TSCs are synchronised */
	err |= hvx_vmwrite(TSC_OFFSET, vm->tsc_offset);
	err |= hvx_vmwrite(VMCS_LINK_POINTER, ~0ULL);
	if (hvx_vmx.apicv)
		err |= hvx_apicv_vmcs_init(vcpu);
	if (hvx_vmx.pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		err |= hvx_vmwrite(VMX_PREEMPTION_TIMER_VALUE,
				   HVX_PREEMPTION_TIMER_SLICE);
	return err ? -EIO : 0;
}

static int hvx_vmcs_set_host_const(void)
{
	struct desc_ptr idt;
	u32 lo, hi;
	u64 v;
	int err = 0;

	err |= hvx_vmwrite(HOST_CR0, read_cr0() & ~X86_CR0_TS);
	err |= hvx_vmwrite(HOST_CS_SELECTOR, __KERNEL_CS);
	/*
	 * Null DS and ES, as a 64-bit caller has them (64-bit mode uses
	 * neither): with __KERNEL_DS the caller went back to user mode
	 * holding a ring-0 selector, which PTRACE_SETREGS refuses (a
	 * debugger could not write the VMM's registers).  A 32-bit
	 * caller's are restored (hvx_msrs_load_host()).
	 */
	err |= hvx_vmwrite(HOST_DS_SELECTOR, 0);
	err |= hvx_vmwrite(HOST_ES_SELECTOR, 0);
	err |= hvx_vmwrite(HOST_SS_SELECTOR, __KERNEL_DS);
	err |= hvx_vmwrite(HOST_FS_SELECTOR, 0);
	err |= hvx_vmwrite(HOST_GS_SELECTOR, 0);
	err |= hvx_vmwrite(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	store_idt(&idt);
	err |= hvx_vmwrite(HOST_IDTR_BASE, idt.address);
	err |= hvx_vmwrite(HOST_RIP, (unsigned long)__hvx_vmx_exit);
	rdmsr(MSR_IA32_SYSENTER_CS, lo, hi);
	err |= hvx_vmwrite(HOST_IA32_SYSENTER_CS, lo);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	err |= hvx_vmwrite(HOST_IA32_SYSENTER_EIP, v);
	rdmsrl(MSR_EFER, v);
	err |= hvx_vmwrite(HOST_IA32_EFER, v);
	rdmsrl(MSR_IA32_CR_PAT, v);
	err |= hvx_vmwrite(HOST_IA32_PAT, v);
	return err ? -EIO : 0;
}

static void set_seg(unsigned long sel, unsigned long base,
		    unsigned long limit, unsigned long ar, u16 s, u64 b,
		    u32 l, u32 a)
{
	hvx_vmwrite(sel, s);
	hvx_vmwrite(base, b);
	hvx_vmwrite(limit, l);
	hvx_vmwrite(ar, a);
}

#define SET_SEG(seg, s, b, l, a) \
	set_seg(GUEST_##seg##_SELECTOR, GUEST_##seg##_BASE, \
		GUEST_##seg##_LIMIT, GUEST_##seg##_AR_BYTES, s, b, l, a)

/**
 * hvx_vmcs_reset_guest() - the architectural state after RESET
 * @vcpu: the vCPU, loaded
 *
 * Real mode at F000:FFF0 like a physical CPU; userspace sets what its
 * image needs with HVX_SET_REGS and HVX_SET_SREGS.
 */
void hvx_vmcs_reset_guest(struct hvx_vcpu *vcpu)
{
	const struct hvx_cpuid_entry *e;

	SET_SEG(CS, 0xf000, 0xffff0000, 0xffff, AR_CODE16);
	SET_SEG(DS, 0, 0, 0xffff, AR_DATA16);
	SET_SEG(ES, 0, 0, 0xffff, AR_DATA16);
	SET_SEG(FS, 0, 0, 0xffff, AR_DATA16);
	SET_SEG(GS, 0, 0, 0xffff, AR_DATA16);
	SET_SEG(SS, 0, 0, 0xffff, AR_DATA16);
	SET_SEG(TR, 0, 0, 0xffff, AR_TSS_BUSY);
	SET_SEG(LDTR, 0, 0, 0xffff, AR_LDT);
	hvx_vmwrite(GUEST_GDTR_BASE, 0);
	hvx_vmwrite(GUEST_GDTR_LIMIT, 0xffff);
	hvx_vmwrite(GUEST_IDTR_BASE, 0);
	hvx_vmwrite(GUEST_IDTR_LIMIT, 0xffff);

	hvx_vmwrite(GUEST_RIP, 0xfff0);
	hvx_vmwrite(GUEST_RSP, 0);
	hvx_vmwrite(GUEST_RFLAGS, X86_EFLAGS_FIXED);
	/* the debug registers after RESET and INIT */
	hvx_vmwrite(GUEST_DR7, HVX_DR7_FIXED);
	memset(vcpu->db, 0, sizeof(vcpu->db));
	vcpu->dr6 = HVX_DR6_RESET;
	vcpu->db_armed = false;
	vcpu->pkru = 0;
	hvx_vmwrite(GUEST_IA32_DEBUGCTL, 0);
	hvx_vmwrite(GUEST_IA32_PAT, 0x0007040600070406ULL);
	hvx_vmwrite(GUEST_SYSENTER_CS, 0);
	hvx_vmwrite(GUEST_SYSENTER_ESP, 0);
	hvx_vmwrite(GUEST_SYSENTER_EIP, 0);
	hvx_vmwrite(GUEST_ACTIVITY_STATE, GUEST_ACTIVITY_ACTIVE);
	hvx_vmwrite(GUEST_INTERRUPTIBILITY_INFO, 0);
	hvx_vmwrite(GUEST_PENDING_DBG_EXCEPTIONS, 0);

	hvx_vmwrite(GUEST_IA32_EFER, 0);
	hvx_vmwrite(GUEST_CR3, 0);
	hvx_set_cr4(vcpu, 0);
	hvx_set_cr0(vcpu, X86_CR0_ET | X86_CR0_CD | X86_CR0_NW);
	vcpu->cr2 = 0;
	vcpu->xcr0 = XFEATURE_MASK_FP;

	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	e = hvx_cpuid_find(vcpu, 1, 0);
	vcpu->regs[HVX_RDX] = e ? e->eax : 0x600;
}

/**
 * hvx_vmcs_setup() - fill a new vCPU's VMCS
 * @vcpu: the vCPU; its VMCS is cleared and not active anywhere
 *
 * Return: 0, or -EIO when the hardware refused a field.
 */
int hvx_vmcs_setup(struct hvx_vcpu *vcpu)
{
	int err;

	*(u32 *)vcpu->vmcs = hvx_vmx.revision_id;
	if (hvx_vmclear(__pa(vcpu->vmcs)))
		return -EIO;

	preempt_disable();
	hvx_vcpu_load(vcpu);
	err = hvx_vmcs_set_controls(vcpu);
	if (!err)
		err = hvx_vmcs_set_host_const();
	if (!err)
		hvx_vmcs_reset_guest(vcpu);
	preempt_enable();
	return err;
}
