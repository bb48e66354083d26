// SPDX-License-Identifier: GPL-2.0
/*
 * Guest register access for exit handlers and the register ioctls, and
 * event injection.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/page.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "event.h"
#include "ring.h"
#include "vcpu.h"
#include "vmx_ops.h"
#include "trace.h"

/**
 * hvx_skip_insn() - step over the instruction that caused the VM exit
 * @vcpu: the vCPU, loaded, in its exit handler
 */
void hvx_skip_insn(struct hvx_vcpu *vcpu)
{
	hvx_skip_insn_len(vcpu, hvx_vmread32(VM_EXIT_INSTRUCTION_LEN));
}

/**
 * hvx_inject_exception() - deliver a hardware exception at the next entry
 * @vcpu: the vCPU, loaded
 * @vector: the exception vector (0-31)
 * @has_ec: whether @ec is meant (else an error code pushed is 0)
 * @ec: the error code
 *
 * VM entry requires the deliver-error-code bit exactly for the exceptions
 * that push one, and only with CR0.PE set (Intel SDM "Checks on VM-Entry
 * Control Fields"), so the bit follows that rule, not the caller.  An
 * exception already waiting for the entry is combined with the new one as
 * the CPU would: #DF for two contributory exceptions or a #PF followed by
 * a #PF or contributory one, and a triple fault for such an exception
 * during #DF, which ends the run with HVX_EXIT_SHUTDOWN
 * (vcpu->triple_fault, see hvx_handle_exit()).  A fault's RFLAGS image
 * gets RF, as the processor pushes it.
 */
void hvx_inject_exception(struct hvx_vcpu *vcpu, u8 vector, bool has_ec,
			  u32 ec)
{
	u32 pending = hvx_vmread32(VM_ENTRY_INTR_INFO_FIELD), info;
	bool deliver_ec;
	int v = vector;

	if (!has_ec)
		ec = 0;
	if ((pending & INTR_INFO_VALID_MASK) &&
	    (pending & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_HARD_EXCEPTION) {
		v = hvx_combine_exceptions(pending & INTR_INFO_VECTOR_MASK,
					   vector);
		if (v < 0) {
			hvx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, 0);
			vcpu->triple_fault = true;
			return;
		}
		if (v != vector)
			ec = 0;		/* #DF pushes 0 */
	}
	info = v | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID_MASK;
	deliver_ec = hvx_exc_in(HVX_EXC_ERROR_CODE, v) &&
		     (hvx_get_cr0(vcpu) & X86_CR0_PE);
	if (deliver_ec)
		info |= INTR_INFO_DELIVER_CODE_MASK;
	/* kept in real mode too: HVX_SET_SREGS may set CR0.PE before entry */
	if (hvx_exc_in(HVX_EXC_ERROR_CODE, v))
		hvx_vmwrite(VM_ENTRY_EXCEPTION_ERROR_CODE, ec);
	hvx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, info);
	if (v == X86_TRAP_DB)
		hvx_db_clears_gd(vcpu);
	/*
	 * A processor delivering a fault pushes RFLAGS with RF set, so an
	 * instruction breakpoint does not fire again when the handler
	 * returns to the instruction; an entry injecting one does not.
	 */
	if (hvx_exc_in(HVX_EXC_FAULT, v))
		hvx_vmwrite(GUEST_RFLAGS,
			    hvx_vmread(GUEST_RFLAGS) | X86_EFLAGS_RF);
	trace_hvx_inject(vcpu, v, info, deliver_ec, ec);
}

/**
 * hvx_inject_ud() - deliver #UD
 * @vcpu: the vCPU, loaded
 */
void hvx_inject_ud(struct hvx_vcpu *vcpu)
{
	hvx_inject_exception(vcpu, X86_TRAP_UD, false, 0);
}

/**
 * hvx_inject_gp() - deliver #GP(0)
 * @vcpu: the vCPU, loaded
 */
void hvx_inject_gp(struct hvx_vcpu *vcpu)
{
	hvx_inject_exception(vcpu, X86_TRAP_GP, true, 0);
}

/**
 * hvx_guest_cpl() - the guest's current privilege level
 * @vcpu: the vCPU, loaded
 *
 * Return: SS.DPL, which is the CPL in protected mode (0 in real mode).
 */
unsigned int hvx_guest_cpl(struct hvx_vcpu *vcpu)
{
	if (!(hvx_get_cr0(vcpu) & X86_CR0_PE))
		return 0;
	return (hvx_vmread32(GUEST_SS_AR_BYTES) >> HVX_AR_DPL_SHIFT) & 3;
}

/**
 * hvx_get_regs() - HVX_GET_REGS
 * @vcpu: the vCPU, loaded
 * @r: filled in
 *
 * Return: 0
 */
int hvx_get_regs(struct hvx_vcpu *vcpu, struct hvx_regs *r)
{
	r->rax = vcpu->regs[HVX_RAX];
	r->rbx = vcpu->regs[HVX_RBX];
	r->rcx = vcpu->regs[HVX_RCX];
	r->rdx = vcpu->regs[HVX_RDX];
	r->rsi = vcpu->regs[HVX_RSI];
	r->rdi = vcpu->regs[HVX_RDI];
	r->rsp = hvx_vmread(GUEST_RSP);
	r->rbp = vcpu->regs[HVX_RBP];
	r->r8 = vcpu->regs[HVX_R8];
	r->r9 = vcpu->regs[HVX_R9];
	r->r10 = vcpu->regs[HVX_R10];
	r->r11 = vcpu->regs[HVX_R11];
	r->r12 = vcpu->regs[HVX_R12];
	r->r13 = vcpu->regs[HVX_R13];
	r->r14 = vcpu->regs[HVX_R14];
	r->r15 = vcpu->regs[HVX_R15];
	r->rip = hvx_vmread(GUEST_RIP);
	r->rflags = hvx_vmread(GUEST_RFLAGS);
	return 0;
}

/**
 * hvx_set_regs() - HVX_SET_REGS
 * @vcpu: the vCPU, loaded
 * @r: the registers
 *
 * Return: 0, or -EINVAL for RFLAGS with reserved bits wrong, or VM set
 * outside legacy protected mode.
 */
int hvx_set_regs(struct hvx_vcpu *vcpu, const struct hvx_regs *r)
{
	/* Bits 1 must be set; 3, 5, 15, 22-63 clear. */
	if (!(r->rflags & X86_EFLAGS_FIXED) ||
	    (r->rflags & (GENMASK_ULL(63, 22) | BIT(3) | BIT(5) | BIT(15))))
		return -EINVAL;
	/*
	 * Virtual-8086 mode, which a guest enters by itself with an IRET,
	 * is only in legacy protected mode: elsewhere the entry would fail.
	 */
	if (r->rflags & X86_EFLAGS_VM &&
	    (!(hvx_get_cr0(vcpu) & X86_CR0_PE) ||
	     hvx_vmread(GUEST_IA32_EFER) & EFER_LMA))
		return -EINVAL;
	vcpu->regs[HVX_RAX] = r->rax;
	vcpu->regs[HVX_RBX] = r->rbx;
	vcpu->regs[HVX_RCX] = r->rcx;
	vcpu->regs[HVX_RDX] = r->rdx;
	vcpu->regs[HVX_RSI] = r->rsi;
	vcpu->regs[HVX_RDI] = r->rdi;
	vcpu->regs[HVX_RBP] = r->rbp;
	vcpu->regs[HVX_R8] = r->r8;
	vcpu->regs[HVX_R9] = r->r9;
	vcpu->regs[HVX_R10] = r->r10;
	vcpu->regs[HVX_R11] = r->r11;
	vcpu->regs[HVX_R12] = r->r12;
	vcpu->regs[HVX_R13] = r->r13;
	vcpu->regs[HVX_R14] = r->r14;
	vcpu->regs[HVX_R15] = r->r15;
	hvx_vmwrite(GUEST_RSP, r->rsp);
	hvx_vmwrite(GUEST_RIP, r->rip);
	hvx_vmwrite(GUEST_RFLAGS, r->rflags);
	/* userspace replaced the state an exit was waiting on */
	if (vcpu->pending == HVX_PENDING_RING)
		hvx_ring_abandon(vcpu);
	vcpu->pending = HVX_PENDING_NONE;
	return 0;
}

/* VMCS fields of one segment register, in the order of struct hvx_sregs. */
struct hvx_seg_fields {
	u16 sel, base, limit, ar;
};

#define SEG_FIELDS(s) { GUEST_##s##_SELECTOR, GUEST_##s##_BASE, \
			GUEST_##s##_LIMIT, GUEST_##s##_AR_BYTES }

static const struct hvx_seg_fields hvx_segs[] = {
	SEG_FIELDS(CS), SEG_FIELDS(DS), SEG_FIELDS(ES), SEG_FIELDS(FS),
	SEG_FIELDS(GS), SEG_FIELDS(SS), SEG_FIELDS(TR), SEG_FIELDS(LDTR),
};

static struct hvx_segment *sregs_seg(struct hvx_sregs *s, int i)
{
	struct hvx_segment *segs[] = {
		&s->cs, &s->ds, &s->es, &s->fs, &s->gs, &s->ss, &s->tr, &s->ldt,
	};

	return segs[i];
}

/**
 * hvx_get_sregs() - HVX_GET_SREGS
 * @vcpu: the vCPU, loaded
 * @s: filled in
 *
 * Return: 0
 */
int hvx_get_sregs(struct hvx_vcpu *vcpu, struct hvx_sregs *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < ARRAY_SIZE(hvx_segs); i++) {
		struct hvx_segment *seg = sregs_seg(s, i);

		seg->selector = hvx_vmread16(hvx_segs[i].sel);
		seg->base = hvx_vmread(hvx_segs[i].base);
		seg->limit = hvx_vmread32(hvx_segs[i].limit);
		seg->ar = hvx_vmread32(hvx_segs[i].ar);
	}
	s->gdt.base = hvx_vmread(GUEST_GDTR_BASE);
	s->gdt.limit = hvx_vmread32(GUEST_GDTR_LIMIT);
	s->idt.base = hvx_vmread(GUEST_IDTR_BASE);
	s->idt.limit = hvx_vmread32(GUEST_IDTR_LIMIT);
	s->cr0 = hvx_get_cr0(vcpu);
	s->cr2 = vcpu->cr2;
	s->cr3 = hvx_vmread(GUEST_CR3);
	s->cr4 = hvx_get_cr4(vcpu);
	s->efer = hvx_vmread(GUEST_IA32_EFER);
	s->cr8 = hvx_apic_cr8(vcpu);
	return 0;
}

/* Access-rights bits the VMCS defines (Intel SDM "Guest Register State"). */
#define HVX_AR_VALID	(HVX_AR_TYPE_MASK | HVX_AR_S | (3 << HVX_AR_DPL_SHIFT) | \
			 HVX_AR_P | HVX_AR_AVL | HVX_AR_L | HVX_AR_DB | \
			 HVX_AR_G | HVX_AR_UNUSABLE)

/*
 * An exception waiting for the entry pushes its error code only in
 * protected mode, and VM entry checks the deliver-error-code bit against
 * CR0.PE: after HVX_SET_SREGS changed CR0.PE, the bit follows it (the
 * code itself is kept, hvx_inject_exception()).
 */
static void pending_error_code_follows_pe(struct hvx_vcpu *vcpu)
{
	u32 info = hvx_vmread32(VM_ENTRY_INTR_INFO_FIELD), want;

	if (!(info & INTR_INFO_VALID_MASK) ||
	    (info & INTR_INFO_INTR_TYPE_MASK) != INTR_TYPE_HARD_EXCEPTION ||
	    !hvx_exc_in(HVX_EXC_ERROR_CODE, info & INTR_INFO_VECTOR_MASK))
		return;
	want = info & ~INTR_INFO_DELIVER_CODE_MASK;
	if (hvx_get_cr0(vcpu) & X86_CR0_PE)
		want |= INTR_INFO_DELIVER_CODE_MASK;
	if (want != info)
		hvx_vmwrite(VM_ENTRY_INTR_INFO_FIELD, want);
}

/**
 * hvx_set_sregs() - HVX_SET_SREGS
 * @vcpu: the vCPU, loaded
 * @s: the registers
 *
 * CR0, CR4 and EFER are checked together, as the processor checks the
 * guest's own writes; EFER.LMA follows from EFER.LME and CR0.PG.
 * Segment state the hardware rejects fails the next HVX_RUN with
 * HVX_EXIT_FAIL_ENTRY, as on a physical CPU it would fault.
 *
 * Return: 0, or -EINVAL for invalid control-register or segment values,
 * a CR3 with bits beyond the physical-address width, a GDTR or IDTR base
 * that is not canonical, a CR8 above 15, or non-zero padding or reserved
 * words; -EINTR as hvx_set_cr_all() (nothing changed).
 */
int hvx_set_sregs(struct hvx_vcpu *vcpu, const struct hvx_sregs *s)
{
	struct hvx_sregs tmp = *s;
	unsigned long old_cr3;
	int i, err;

	for (i = 0; i < ARRAY_SIZE(hvx_segs); i++) {
		const struct hvx_segment *seg = sregs_seg(&tmp, i);

		if ((seg->ar & ~HVX_AR_VALID) || seg->pad || seg->pad2)
			return -EINVAL;
	}
	/* what VM entry checks of them (SDM "Checks on Guest Control
	 * Registers" and "... Descriptor-Table Registers")
	 */
	if ((s->cr3 & GENMASK_ULL(63, boot_cpu_data.x86_phys_bits)) ||
	    !hvx_addr_canonical(s->gdt.base) ||
	    !hvx_addr_canonical(s->idt.base))
		return -EINVAL;
	if (s->gdt.pad[0] || s->gdt.pad[1] || s->gdt.pad[2] ||
	    s->idt.pad[0] || s->idt.pad[1] || s->idt.pad[2] ||
	    (s->cr8 & ~0xfULL) ||
	    memchr_inv(s->reserved, 0, sizeof(s->reserved)))
		return -EINVAL;

	/* CR3 first: PAE paging loads its PDPTEs from the new CR3. */
	old_cr3 = hvx_vmread(GUEST_CR3);
	hvx_vmwrite(GUEST_CR3, s->cr3);
	err = hvx_set_cr_all(vcpu, s->cr0, s->cr4, s->efer);
	if (err) {
		hvx_vmwrite(GUEST_CR3, old_cr3);
		return err;
	}
	pending_error_code_follows_pe(vcpu);

	for (i = 0; i < ARRAY_SIZE(hvx_segs); i++) {
		const struct hvx_segment *seg = sregs_seg(&tmp, i);

		hvx_vmwrite(hvx_segs[i].sel, seg->selector);
		hvx_vmwrite(hvx_segs[i].base, seg->base);
		hvx_vmwrite(hvx_segs[i].limit, seg->limit);
		hvx_vmwrite(hvx_segs[i].ar, seg->ar);
	}
	hvx_vmwrite(GUEST_GDTR_BASE, s->gdt.base);
	hvx_vmwrite(GUEST_GDTR_LIMIT, s->gdt.limit);
	hvx_vmwrite(GUEST_IDTR_BASE, s->idt.base);
	hvx_vmwrite(GUEST_IDTR_LIMIT, s->idt.limit);
	vcpu->cr2 = s->cr2;
	/*
	 * A saved CR8 is the saved TPR[7:4]: a LAPIC state set before keeps
	 * its TPR[3:0], whatever the order of the restore.
	 */
	if (s->cr8 != hvx_apic_cr8(vcpu))
		hvx_apic_set_cr8(vcpu, s->cr8);
	return 0;
}
