// SPDX-License-Identifier: GPL-2.0
/*
 * EPT violations: fault guest memory in, or emulate an MMIO access.
 *
 * A guest-physical address inside a memory slot is mapped on its first
 * touch.  Anywhere else (or a write to a read-only slot) the faulting
 * instruction is fetched and decoded, and the access goes to the shared
 * I/O ring when it lies in a registered range (ring.c), else to userspace
 * as an MMIO exit with its address, size and data.  An instruction the
 * decoder does not know is reported with its bytes, never guessed at.
 *
 * A load or store that starts in an MMIO page and ends in a RAM page is
 * done in two parts: the RAM bytes here, the MMIO bytes as the exit
 * (STOS and MOVS elements are not: mmio_string.c).
 *
 * Only an instruction's own data access is emulated.  The exit
 * qualification and the IDT-vectoring field tell the other accesses that
 * can reach MMIO, and the instruction at RIP has nothing to do with them:
 * the CPU reading a guest paging-structure entry or PAE PDPTEs, and the
 * CPU delivering an event (reading the IDT or a TSS, pushing the frame).
 * Those end the run with an internal error that says which
 * (HVX_INTERNAL_PAGE_WALK, HVX_INTERNAL_DELIVERY); no device model
 * serves them.
 */
#include <linux/kernel.h>

#include "vcpu.h"
#include "ring.h"
#include "vmx_ops.h"

/* EPT violation exit qualification (SDM table 28-7). */
#define EPT_QUAL_WRITE		BIT(1)
#define EPT_QUAL_FETCH		BIT(2)
#define EPT_QUAL_GLA_VALID	BIT(7)	/* the access was for a linear address */
#define EPT_QUAL_GLA_XLATE	BIT(8)	/* ... to its translation, not a walk */
#define EPT_QUAL_NMI_UNBLOCK	BIT(12)	/* an IRET had unblocked NMIs */

/**
 * hvx_mmio_exit() - fill the run page for a classic MMIO exit
 * @run: the run page
 * @gpa: the address
 * @size: bytes, 1 to 8
 * @write: a store (with @val) rather than a load
 * @val: the value stored
 */
void hvx_mmio_exit(struct hvx_run *run, u64 gpa, unsigned int size,
		   bool write, u64 val)
{
	run->exit_reason = HVX_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = size;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	run->mmio.is_write = write;
	memset(run->mmio.pad, 0, sizeof(run->mmio.pad));
	if (write)
		memcpy(run->mmio.data, &val, size);
}

/*
 * Decode into vcpu->mmio_insn, which still holds the last instruction
 * decoded.  A driver polls or feeds a device with the same instruction
 * over and over, and a decode depends on nothing but the bytes and the
 * code size: when both match, the last result stands.  All fifteen bytes
 * are compared (a fixed size compiles to a few loads), so only a full
 * fetch is remembered.
 */
static int decode_mmio(struct hvx_vcpu *vcpu, unsigned int mode,
		       const u8 *bytes, unsigned int len)
{
	struct hvx_insn *insn = &vcpu->mmio_insn;
	int r;

	if (vcpu->mmio_mode == mode && len == HVX_INSN_MAX_LEN &&
	    !memcmp(bytes, vcpu->mmio_bytes, HVX_INSN_MAX_LEN))
		return 0;
	vcpu->mmio_mode = 0;
	r = hvx_insn_decode(bytes, len, mode, insn);
	if (r)
		return r;
	if (len == HVX_INSN_MAX_LEN) {
		memcpy(vcpu->mmio_bytes, bytes, HVX_INSN_MAX_LEN);
		vcpu->mmio_mode = mode;
	}
	return 0;
}

/*
 * The instruction at CS:RIP into vcpu->mmio_insn, its bytes in @bytes.
 * An instruction that runs into a page the host reclaimed since the CPU
 * fetched it is fetched again with that page faulted in.
 */
static int fetch_and_decode(struct hvx_vcpu *vcpu, unsigned int mode,
			    u8 *bytes)
{
	unsigned int len;
	int r;

	r = hvx_fetch_insn(vcpu, mode, bytes, &len, false);
	if (!r)
		r = decode_mmio(vcpu, mode, bytes, len);
	if (r == -ENODATA) {
		r = hvx_fetch_insn(vcpu, mode, bytes, &len, true);
		if (!r)
			r = decode_mmio(vcpu, mode, bytes, len);
	}
	return r;
}

/*
 * A load or store that starts in an MMIO page and ends in the next page.
 * The processor translates each part; the EPT violation names the first,
 * so @gpa is where the access starts, and its bytes are the value's low
 * ones.  (When the first page is RAM the violation names the second
 * page's first byte, and its linear address, not where the access
 * starts: that case would need the instruction's effective address,
 * which the decoder does not compute.)  The RAM part is the guest's own
 * access; the MMIO part an exit to userspace with its own bytes (not the
 * I/O ring's or the APIC's, whose registers no access straddles).
 * @mode is the code size: outside 64-bit mode linear addresses wrap at
 * 4 GiB.  (hvx_mmio_straddles() tells.)
 */
static int emulate_mmio_split(struct hvx_vcpu *vcpu, u64 gpa, bool write,
			      unsigned int mode)
{
	const struct hvx_insn *insn = &vcpu->mmio_insn;
	unsigned int k = PAGE_SIZE - (gpa & ~PAGE_MASK);
	u64 ram_gva, part = 0, val = 0;
	int r;

	ram_gva = hvx_vmread(GUEST_LINEAR_ADDRESS) + k;
	if (mode != 8)
		ram_gva = (u32)ram_gva;
	if (hvx_apic_page(vcpu, gpa))
		return hvx_exit_unemulated(vcpu, gpa, true);
	if (write) {
		val = hvx_insn_store_value(insn,
					   hvx_gpr_read(vcpu, insn->reg));
		part = val >> (8 * k);
	}
	r = hvx_guest_copy(vcpu, ram_gva, &part, insn->size - k, write);
	if (r > 0)
		return 1;
	if (r == -EINTR)
		return hvx_exit_intr(vcpu);
	if (r)
		return hvx_exit_unemulated(vcpu, gpa, true);
	hvx_mmio_exit(vcpu->run, gpa, k, write, val);
	if (write) {
		hvx_skip_insn_len(vcpu, insn->len);
		return 0;
	}
	vcpu->mmio_part_len = k;
	vcpu->mmio_part_ram = part << (8 * k);
	vcpu->pending = HVX_PENDING_MMIO_SPLIT;
	return 0;
}

static int emulate_mmio(struct hvx_vcpu *vcpu, u64 gpa, bool write)
{
	unsigned int mode = hvx_guest_mode(vcpu);
	struct hvx_insn *insn = &vcpu->mmio_insn;
	u8 bytes[HVX_INSN_MAX_LEN];
	u64 val;
	int r;

	r = fetch_and_decode(vcpu, mode, bytes);
	if (r == -EINTR)
		return hvx_exit_intr(vcpu);
	if (r)
		return hvx_exit_unemulated(vcpu, gpa, true);

	switch (insn->op) {
	case HVX_INSN_LOAD:
	case HVX_INSN_LOAD_ZX:
	case HVX_INSN_LOAD_SX:
		if (write)
			break;
		if (unlikely(hvx_mmio_straddles(gpa, insn->size)))
			return emulate_mmio_split(vcpu, gpa, false, mode);
		if (hvx_apic_page(vcpu, gpa) &&
		    hvx_apic_mmio(vcpu, gpa, insn->size, false, &val))
			return hvx_complete_mmio_data(vcpu, val);
		r = hvx_ring_mmio(vcpu, gpa, insn->size, false, 0);
		if (r)
			return r;
		hvx_mmio_exit(vcpu->run, gpa, insn->size, false, 0);
		vcpu->pending = HVX_PENDING_MMIO_READ;
		return 0;
	case HVX_INSN_STORE:
	case HVX_INSN_STORE_IMM:
		if (!write)
			break;
		if (unlikely(hvx_mmio_straddles(gpa, insn->size)))
			return emulate_mmio_split(vcpu, gpa, true, mode);
		val = hvx_insn_store_value(insn,
					   hvx_gpr_read(vcpu, insn->reg));
		if (hvx_apic_page(vcpu, gpa) &&
		    hvx_apic_mmio(vcpu, gpa, insn->size, true, &val)) {
			hvx_skip_insn_len(vcpu, insn->len);
			return 1;
		}
		r = hvx_ring_mmio(vcpu, gpa, insn->size, true, val);
		if (r)
			return r;
		hvx_mmio_exit(vcpu->run, gpa, insn->size, true, val);
		hvx_skip_insn_len(vcpu, insn->len);
		return 0;
	case HVX_INSN_STOS:
	case HVX_INSN_MOVS:
		return hvx_mmio_string(vcpu, bytes, gpa, write);
	}
	/* A decode that disagrees with the hardware's access. */
	return hvx_exit_unemulated(vcpu, gpa, true);
}

/**
 * hvx_complete_mmio_read() - finish an MMIO load with userspace's data
 * @vcpu: the vCPU, loaded
 *
 * Return: 1 (resume the guest).
 */
int hvx_complete_mmio_read(struct hvx_vcpu *vcpu)
{
	u64 data = 0;

	memcpy(&data, vcpu->run->mmio.data, vcpu->mmio_insn.size);
	return hvx_complete_mmio_data(vcpu, data);
}

/**
 * hvx_complete_mmio_split() - finish a load from MMIO into RAM
 * @vcpu: the vCPU, loaded
 *
 * Return: 1 (resume the guest).
 */
int hvx_complete_mmio_split(struct hvx_vcpu *vcpu)
{
	u64 data = 0;

	memcpy(&data, vcpu->run->mmio.data, vcpu->mmio_part_len);
	return hvx_complete_mmio_data(vcpu, data | vcpu->mmio_part_ram);
}

/**
 * hvx_complete_mmio_data() - finish an MMIO load with @data
 * @vcpu: the vCPU, loaded
 * @data: the value read (the low vcpu->mmio_insn.size bytes count)
 *
 * Return: 1 (resume the guest).
 */
int hvx_complete_mmio_data(struct hvx_vcpu *vcpu, u64 data)
{
	const struct hvx_insn *insn = &vcpu->mmio_insn;
	u64 old = hvx_gpr_read(vcpu, insn->reg);

	if (insn->size < 8)
		data &= (1ULL << (insn->size * 8)) - 1;
	hvx_gpr_write(vcpu, insn->reg, hvx_insn_load_result(insn, old, data));
	hvx_skip_insn_len(vcpu, insn->len);
	return 1;
}

/**
 * hvx_exit_ept_violation() - guest access to an unmapped GPA
 * @vcpu: the vCPU, loaded, preemptible (a fault may sleep)
 *
 * Return: 1 when the page is now mapped (or the shared I/O ring served
 * the access), 0 for an MMIO exit, or a negative errno: guest memory
 * cannot be faulted in (-EFAULT, -ENOMEM), or a signal interrupted the wait
 * for a ring completion or for the page (-EINTR, exit reason HVX_EXIT_INTR).
 */
int hvx_exit_ept_violation(struct hvx_vcpu *vcpu)
{
	unsigned long q = hvx_vmread(EXIT_QUALIFICATION);
	u64 gpa = hvx_vmread64(GUEST_PHYSICAL_ADDRESS);
	bool write = q & EPT_QUAL_WRITE;
	struct hvx_vm *vm = vcpu->vm;
	u64 gen;
	int r;

	if (unlikely(q & EPT_QUAL_NMI_UNBLOCK) &&
	    !(vcpu->exit_vect & VECTORING_INFO_VALID_MASK))
		hvx_reblock_nmi(vcpu);
	/* the xAPIC page, virtualized: the APIC-access page goes there */
	if (unlikely(vcpu->proc2_ctl & SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES) &&
	    !(q & EPT_QUAL_FETCH) &&
	    (gpa & PAGE_MASK) == HVX_APIC_DEFAULT_BASE) {
		r = hvx_apicv_map_access_page(vcpu, gpa);
		if (r)
			return r;
	}
	/*
	 * A device register is accessed over and over: remember the last
	 * page found outside every slot, for as long as no slot changes,
	 * and skip the lookup (and vm->mem_lock) next time.
	 */
	gen = smp_load_acquire(&vm->slots_gen);
	if (gpa >> PAGE_SHIFT != vcpu->mmio_gfn || gen != vcpu->mmio_gen) {
		r = hvx_ept_fault(vm, gpa, write, q & EPT_QUAL_FETCH);
		if (r < 0) {
			/* a signal ended the wait: the access faults again */
			if (r == -EINTR)
				vcpu->run->exit_reason = HVX_EXIT_INTR;
			return r;
		}
		/*
		 * No L1D flush for "cond": as KVM's EPT-violation path, the
		 * fault is taken to touch only this guest's memory and mm;
		 * a sleep or an interrupt on the way asks for one itself.
		 */
		if (r == HVX_FAULT_MAPPED)
			return 1;
		if (r == HVX_FAULT_MMIO) {
			vcpu->mmio_gfn = gpa >> PAGE_SHIFT;
			vcpu->mmio_gen = gen;
		}
	}
	/* Executing from MMIO is nothing a device model can serve. */
	if (q & EPT_QUAL_FETCH)
		return hvx_exit_unemulated(vcpu, gpa, false);
	if (unlikely(vcpu->exit_vect & VECTORING_INFO_VALID_MASK))
		return hvx_exit_internal(vcpu, HVX_INTERNAL_DELIVERY, gpa,
					 false);
	if (unlikely((q & (EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLATE)) !=
		     (EPT_QUAL_GLA_VALID | EPT_QUAL_GLA_XLATE)))
		return hvx_exit_internal(vcpu, HVX_INTERNAL_PAGE_WALK, gpa,
					 false);
	return emulate_mmio(vcpu, gpa, write);
}

/*
 * APIC-access exit qualification (SDM table 28-6): asm/vmx.h has the
 * linear access types, not the guest-physical one during delivery.
 */
#define TYPE_PHYSICAL_APIC_EVENT	(10 << 12)

/**
 * hvx_exit_apic_access() - an xAPIC page access the processor does not
 *	virtualize (apicv.c)
 * @vcpu: the vCPU, loaded
 *
 * Fault-like: nothing happened yet.  A data read or write is emulated
 * as the MMIO access it would have been without the APIC-access page;
 * the rest (an access during event delivery, or of the processor's own
 * page walk) ends the run as it would there.
 *
 * Return: as hvx_exit_ept_violation().
 */
int hvx_exit_apic_access(struct hvx_vcpu *vcpu)
{
	unsigned long q = hvx_vmread(EXIT_QUALIFICATION);
	u64 gpa = HVX_APIC_DEFAULT_BASE + (q & APIC_ACCESS_OFFSET);

	switch (q & APIC_ACCESS_TYPE) {
	case TYPE_LINEAR_APIC_INST_READ:
		return emulate_mmio(vcpu, gpa, false);
	case TYPE_LINEAR_APIC_INST_WRITE:
		return emulate_mmio(vcpu, gpa, true);
	case TYPE_LINEAR_APIC_INST_FETCH:
		return hvx_exit_unemulated(vcpu, gpa, false);
	case TYPE_LINEAR_APIC_EVENT:
	case TYPE_PHYSICAL_APIC_EVENT:
		return hvx_exit_internal(vcpu, HVX_INTERNAL_DELIVERY, gpa,
					 false);
	}
	return hvx_exit_internal(vcpu, HVX_INTERNAL_PAGE_WALK, gpa, false);
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
