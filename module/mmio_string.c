// SPDX-License-Identifier: GPL-2.0
/*
 * STOS and MOVS on MMIO, unrolled: one element per exit.
 *
 * The EPT violation names the element that touched MMIO.  hvx turns it
 * into one MMIO exit, steps RDI (and RSI) and, for REP, RCX by one element,
 * and leaves RIP on the instruction while the count is not done: the guest
 * executes it again and the next element exits again (or runs natively when
 * it reaches RAM).  MOVS between two MMIO addresses, segment overrides
 * other than DS on the source, an element that runs out of its MMIO page
 * and one on the xAPIC page are reported as emulation failures with the
 * instruction bytes (hvx_exit_unemulated()).
 *
 * The EPT violation came from one operand of MOVS; the processor had not
 * yet checked the other against the guest's page tables.  hvx checks it
 * as the guest's access at its CPL before the MMIO access is made, and a
 * fault there is the guest's (#PF, or #GP for a non-canonical address).
 */
#include <linux/kernel.h>
#include <asm/processor-flags.h>

#include "vcpu.h"
#include "vmx_ops.h"

/* Step RSI/RDI past one element, count it, and finish when the count is. */
static void string_step(struct hvx_vcpu *vcpu, const struct hvx_insn *insn,
			bool movs)
{
	unsigned int asize = insn->addr_size;
	s64 d = (hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_DF) ? -insn->size :
							      insn->size;
	u64 left = 0;

	hvx_string_reg_set(vcpu, HVX_RDI, vcpu->regs[HVX_RDI] + d, asize);
	if (movs)
		hvx_string_reg_set(vcpu, HVX_RSI, vcpu->regs[HVX_RSI] + d, asize);
	if (insn->rep) {
		left = (vcpu->regs[HVX_RCX] & hvx_asize_mask(asize)) - 1;
		hvx_string_reg_set(vcpu, HVX_RCX, left, asize);
	}
	if (!left)
		hvx_skip_insn_len(vcpu, insn->len);
}

/* Only a DS (or no) override on the MOVS source is handled. */
static bool source_is_ds(const u8 *bytes, const struct hvx_insn *insn)
{
	unsigned int i;

	for (i = 0; i + 1 < insn->len; i++) {
		switch (bytes[i]) {
		case 0x26: case 0x2e: case 0x36: case 0x64: case 0x65:
			return false;
		}
	}
	return true;
}

static u64 linear(struct hvx_vcpu *vcpu, unsigned long seg_base,
		  unsigned int reg, unsigned int asize)
{
	u64 a = vcpu->regs[reg] & hvx_asize_mask(asize);

	if (hvx_guest_mode(vcpu) == 8)
		return a;
	return (u32)(hvx_vmread(seg_base) + a);
}

/**
 * hvx_mmio_string() - one element of STOS or MOVS that touched MMIO
 * @vcpu: the vCPU, loaded; vcpu->mmio_insn holds the decoded instruction
 * @bytes: the instruction's bytes
 * @gpa: the MMIO address the element touched
 * @write: the element's MMIO access is a write
 *
 * Return: 0 (an MMIO exit, or an internal error, for userspace); 1 when a
 * REP prefix with a count of zero leaves nothing to do, when the RAM
 * operand faults (the fault injected), or when guest user mode used a form
 * that is not emulated (#UD, hvx_exit_unemulated()).
 */
int hvx_mmio_string(struct hvx_vcpu *vcpu, const u8 *bytes, u64 gpa,
		    bool write)
{
	const struct hvx_insn *insn = &vcpu->mmio_insn;
	struct hvx_run *run = vcpu->run;
	u64 val = 0, ram;
	int r;

	if (insn->rep &&
	    !(vcpu->regs[HVX_RCX] & hvx_asize_mask(insn->addr_size))) {
		hvx_skip_insn_len(vcpu, insn->len);
		return 1;
	}

	/*
	 * Not emulated: an element that runs out of the MMIO page (its
	 * other part would need the split emulate_mmio_split() makes for
	 * MOV), and one on the xAPIC page, which the in-kernel APIC serves,
	 * not userspace: an exit would lose part of the element, or the
	 * APIC write (an EOI).
	 */
	if (hvx_mmio_straddles(gpa, insn->size) || hvx_apic_page(vcpu, gpa))
		goto fail;
	if (insn->op == HVX_INSN_STOS && write) {
		hvx_mmio_exit(run, gpa, insn->size, true,
			      hvx_insn_store_value(insn, vcpu->regs[HVX_RAX]));
		string_step(vcpu, insn, false);
		return 0;
	}
	if (insn->op != HVX_INSN_MOVS || !source_is_ds(bytes, insn))
		goto fail;

	ram = write ? linear(vcpu, GUEST_DS_BASE, HVX_RSI, insn->addr_size) :
		      linear(vcpu, GUEST_ES_BASE, HVX_RDI, insn->addr_size);
	if (write) {
		/* RAM to MMIO: read the source now, the exit carries it. */
		r = hvx_guest_copy(vcpu, ram, &val, insn->size, false);
		if (r > 0)
			return 1;
		if (r == -EINTR)
			return hvx_exit_intr(vcpu);
		if (r)
			goto fail;
		hvx_mmio_exit(run, gpa, insn->size, true, val);
		string_step(vcpu, insn, true);
		return 0;
	}

	/* MMIO to RAM: the destination is written when the data comes. */
	r = hvx_string_fault(vcpu, ram, insn->size, 1, true);
	if (r < 0)
		return hvx_exit_intr(vcpu);
	if (!r)
		return 1;
	hvx_mmio_exit(run, gpa, insn->size, false, 0);
	vcpu->pending = HVX_PENDING_MMIO_MOVS;
	return 0;

fail:
	return hvx_exit_unemulated(vcpu, gpa, true);
}

/**
 * hvx_complete_mmio_movs() - store the element userspace read for MOVS
 * @vcpu: the vCPU, loaded
 *
 * The destination was checked before the exit, but the guest's page
 * tables may have changed while userspace served the read (another vCPU,
 * or the VMM): the write is checked at the guest's CPL, and a fault now
 * is the guest's #PF, the element not moved, as the processor would
 * raise it.
 *
 * Return: 1 to resume; 0 after an internal error (the destination is not
 * guest RAM: MMIO to MMIO moves are not emulated; guest user mode takes
 * #UD instead, hvx_exit_unemulated(); a poisoned destination too, SIGBUS
 * sent); -EINTR when a fatal signal ended the wait for its page.
 */
int hvx_complete_mmio_movs(struct hvx_vcpu *vcpu)
{
	const struct hvx_insn *insn = &vcpu->mmio_insn;
	u64 dst = linear(vcpu, GUEST_ES_BASE, HVX_RDI, insn->addr_size);
	int r;

	r = hvx_guest_copy(vcpu, dst, vcpu->run->mmio.data, insn->size, true);
	if (r > 0)
		return 1;
	if (r == -EINTR) {
		vcpu->pending = HVX_PENDING_MMIO_MOVS;
		return hvx_exit_intr(vcpu);
	}
	if (r)
		return hvx_exit_unemulated(vcpu, vcpu->run->mmio.phys_addr,
					   true);
	string_step(vcpu, insn, true);
	return 1;
}
