// SPDX-License-Identifier: GPL-2.0
/*
 * EPT violations: fault guest memory in, or emulate an MMIO access.
 *
 * A guest-physical address inside a memory slot is mapped on its first
 * touch.  Anywhere else (or a write to a read-only slot) the faulting
 * instruction is fetched and decoded, and the access goes to userspace as
 * an MMIO exit with its address, size and data.  An instruction the
 * decoder does not know is reported with its bytes, never guessed at.
 */
#include <linux/kernel.h>

#include "vcpu.h"
#include "vmx_ops.h"

/* EPT violation exit qualification (SDM table 28-7). */
#define EPT_QUAL_WRITE		BIT(1)
#define EPT_QUAL_FETCH		BIT(2)

static int emulate_mmio(struct hvx_vcpu *vcpu, u64 gpa, bool write)
{
	struct hvx_insn *insn = &vcpu->mmio_insn;
	struct hvx_run *run = vcpu->run;
	u8 bytes[HVX_INSN_MAX_LEN];
	unsigned int len;
	u64 val;

	if (hvx_fetch_insn(vcpu, bytes, &len) ||
	    hvx_insn_decode(bytes, len, hvx_guest_mode(vcpu), insn))
		return hvx_exit_internal(vcpu, HVX_INTERNAL_EMULATION, gpa,
					 true);

	run->exit_reason = HVX_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = insn->size;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));

	switch (insn->op) {
	case HVX_INSN_LOAD:
	case HVX_INSN_LOAD_ZX:
	case HVX_INSN_LOAD_SX:
		if (write)
			break;
		run->mmio.is_write = 0;
		vcpu->pending = HVX_PENDING_MMIO_READ;
		return 0;
	case HVX_INSN_STORE:
	case HVX_INSN_STORE_IMM:
		if (!write)
			break;
		val = hvx_insn_store_value(insn,
					   hvx_gpr_read(vcpu, insn->reg));
		run->mmio.is_write = 1;
		memcpy(run->mmio.data, &val, insn->size);
		hvx_skip_insn_len(vcpu, insn->len);
		return 0;
	}
	/* String forms, or a decode that disagrees with the hardware. */
	return hvx_exit_internal(vcpu, HVX_INTERNAL_EMULATION, gpa, true);
}

/**
 * hvx_complete_mmio_read() - finish an MMIO load with userspace's data
 * @vcpu: the vCPU, loaded
 *
 * Return: 1 (resume the guest).
 */
int hvx_complete_mmio_read(struct hvx_vcpu *vcpu)
{
	const struct hvx_insn *insn = &vcpu->mmio_insn;
	u64 data = 0, old = hvx_gpr_read(vcpu, insn->reg);

	memcpy(&data, vcpu->run->mmio.data, insn->size);
	hvx_gpr_write(vcpu, insn->reg, hvx_insn_load_result(insn, old, data));
	hvx_skip_insn_len(vcpu, insn->len);
	return 1;
}

/**
 * hvx_exit_ept_violation() - guest access to an unmapped GPA
 * @vcpu: the vCPU, loaded, preemptible (pinning may sleep)
 *
 * Return: 1 when the page is now mapped, 0 for an MMIO exit, or a
 * negative errno when guest memory cannot be pinned (-EFAULT, -ENOMEM).
 */
int hvx_exit_ept_violation(struct hvx_vcpu *vcpu)
{
	unsigned long q = hvx_vmread(EXIT_QUALIFICATION);
	u64 gpa = hvx_vmread64(GUEST_PHYSICAL_ADDRESS);
	bool write = q & EPT_QUAL_WRITE;
	int r;

	r = hvx_ept_fault(vcpu->vm, gpa, write);
	if (r < 0)
		return r;
	if (r == HVX_FAULT_MAPPED)
		return 1;
	/* Executing from MMIO is nothing a device model can serve. */
	if (q & EPT_QUAL_FETCH)
		return hvx_exit_internal(vcpu, HVX_INTERNAL_EMULATION, gpa,
					 false);
	return emulate_mmio(vcpu, gpa, write);
}

/**
 * hvx_exit_ept_misconfig() - hvx never builds misconfigured entries
 * @vcpu: the vCPU, loaded
 *
 * Return: 0 (internal error to userspace).
 */
int hvx_exit_ept_misconfig(struct hvx_vcpu *vcpu)
{
	return hvx_exit_internal(vcpu, HVX_INTERNAL_UNHANDLED,
				 hvx_vmread64(GUEST_PHYSICAL_ADDRESS), false);
}
