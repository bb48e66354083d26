// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory as the module's emulation sees it: guest-physical accesses
 * through the slots' userspace mappings, and a software walk of the
 * guest's own page tables for linear addresses.
 *
 * All of it runs in the vCPU thread, whose mm is the VM's: the copies go
 * through copy_{from,to}_user() and need no pinned page.  They hold
 * vm->mem_lock so that a slot cannot be deleted halfway through an access.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/pgtable_types.h>
#include <asm/processor-flags.h>
#include <asm/trap_pf.h>

#include "hvx.h"
#include "mem.h"

/* Physical-address field of a guest paging-structure entry. */
#define GPT_ADDR_MASK	GENMASK_ULL(51, 12)

/* Where @gpa is in userspace, and how much of @len its slot holds. */
static int gpa_chunk(struct hvx_vm *vm, u64 gpa, size_t len, bool write,
		     void __user **uptr, size_t *chunk)
{
	struct hvx_memslot *slot = hvx_find_slot(vm, gpa);
	u64 off;

	if (!slot || (write && (slot->flags & HVX_MEM_READONLY)))
		return -EFAULT;
	off = gpa - slot->gpa;
	*chunk = min_t(u64, len, (slot->npages << PAGE_SHIFT) - off);
	*uptr = u64_to_user_ptr(slot->uaddr + off);
	return 0;
}

/* Copy between @buf and guest-physical memory, slot by slot. */
static int gpa_copy(struct hvx_vm *vm, u64 gpa, u8 *buf, size_t len,
		    bool write)
{
	void __user *uaddr;
	size_t chunk;
	int ret = 0;

	if (WARN_ON_ONCE(current->mm != vm->mm))
		return -EFAULT;

	mutex_lock(&vm->mem_lock);
	while (len) {
		ret = gpa_chunk(vm, gpa, len, write, &uaddr, &chunk);
		if (ret)
			break;
		if (write ? copy_to_user(uaddr, buf, chunk) :
			    copy_from_user(buf, uaddr, chunk)) {
			ret = -EFAULT;
			break;
		}
		gpa += chunk;
		buf += chunk;
		len -= chunk;
	}
	mutex_unlock(&vm->mem_lock);
	return ret;
}

/**
 * hvx_read_gpa() - copy guest-physical memory into a kernel buffer
 * @vm: the VM
 * @gpa: guest-physical start; the range may span pages and slots
 * @buf: destination
 * @len: bytes
 *
 * Context: the vCPU thread (current->mm == vm->mm), may sleep; takes
 * vm->mem_lock.
 *
 * Return: 0, or -EFAULT when a byte is outside every slot or its userspace
 * page cannot be read (@buf is then partly written).
 */
int hvx_read_gpa(struct hvx_vm *vm, u64 gpa, void *buf, size_t len)
{
	return gpa_copy(vm, gpa, buf, len, false);
}

/**
 * hvx_write_gpa() - copy a kernel buffer into guest-physical memory
 * @vm: the VM
 * @gpa: guest-physical start; the range may span pages and slots
 * @buf: source
 * @len: bytes
 *
 * Context: as hvx_read_gpa().
 *
 * Return: 0, or -EFAULT when a byte is outside every slot, in a read-only
 * slot, or its userspace page cannot be written (bytes before it may have
 * been written).
 */
int hvx_write_gpa(struct hvx_vm *vm, u64 gpa, const void *buf, size_t len)
{
	return gpa_copy(vm, gpa, (void *)buf, len, true);
}

/* One guest paging-structure entry; a 4-byte one lands in the low half. */
static int gpt_read(struct hvx_vm *vm, u64 gpa, unsigned int size, u64 *pte)
{
	*pte = 0;
	return hvx_read_gpa(vm, gpa, pte, size) ? -EIO : 0;
}

/**
 * hvx_gva_to_gpa() - translate a guest linear address as the guest's MMU would
 * @vm: the VM
 * @pg: the guest's CR0, CR3, CR4 and EFER
 * @gva: linear address
 * @access: HVX_ACC_* bits of the access to check
 * @gpa: out: guest-physical address, on success
 * @fault_ec: out: #PF error code, when -EFAULT is returned
 *
 * Handles paging off, 32-bit paging (with 4 MiB pages under CR4.PSE), PAE
 * paging (PDPTEs read from memory at CR3, not the CPU's cached copies) and
 * 4-level paging with 2 MiB and 1 GiB pages.  Checks P, R/W (CR0.WP for
 * supervisor writes), U/S, XD with EFER.NXE, and SMEP.  Reserved-bit checks
 * are limited to XD without EFER.NXE and PS in a PML4E.  SMAP and
 * protection keys are not checked: they depend on RFLAGS.AC and PKRU,
 * which @pg does not carry.  Accessed and dirty flags are not set: the
 * walk is for emulating single accesses, and a guest that relies on them
 * for this page gets them set on its own next access through the MMU.
 *
 * Context: as hvx_read_gpa().
 *
 * Return: 0; -EFAULT with @fault_ec set when the guest must get a #PF;
 * -EINVAL for a non-canonical address (#GP, not #PF); -EIO when a paging
 * structure is outside guest RAM; -EOPNOTSUPP under 5-level paging.
 */
int hvx_gva_to_gpa(struct hvx_vm *vm, const struct hvx_paging *pg, u64 gva,
		   u32 access, u64 *gpa, u32 *fault_ec)
{
	bool nxe = pg->efer & EFER_NX;
	u64 allowed = _PAGE_RW | _PAGE_USER;
	u64 table, pte, addr, mask;
	unsigned int esize, bits, shift, idx;
	bool nx = false;
	int level, ret;
	u32 ec = 0;

	if (!(pg->cr0 & X86_CR0_PG)) {
		*gpa = lower_32_bits(gva);
		return 0;
	}

	if (pg->efer & EFER_LMA) {
		if (pg->cr4 & X86_CR4_LA57)
			return -EOPNOTSUPP;
		if ((u64)sign_extend64(gva, 47) != gva)
			return -EINVAL;
		level = 4;
		esize = 8;
		bits = 9;
		table = pg->cr3 & GPT_ADDR_MASK;
	} else if (pg->cr4 & X86_CR4_PAE) {
		gva = lower_32_bits(gva);
		ret = gpt_read(vm, (pg->cr3 & GENMASK_ULL(31, 5)) + (gva >> 30) * 8,
			       8, &pte);
		if (ret)
			return ret;
		if (!(pte & _PAGE_PRESENT))
			goto fault;
		level = 2;
		esize = 8;
		bits = 9;
		table = pte & GPT_ADDR_MASK;
	} else {
		gva = lower_32_bits(gva);
		level = 2;
		esize = 4;
		bits = 10;
		table = pg->cr3 & GENMASK_ULL(31, 12);
	}

	for (;; level--) {
		shift = PAGE_SHIFT + bits * (level - 1);
		idx = (gva >> shift) & (BIT(bits) - 1);
		ret = gpt_read(vm, table + idx * esize, esize, &pte);
		if (ret)
			return ret;
		if (!(pte & _PAGE_PRESENT))
			goto fault;
		if ((pte & _PAGE_NX) && !nxe)
			goto rsvd;
		allowed &= pte;
		nx |= !!(pte & _PAGE_NX);

		if (level == 1) {
			addr = (pte & GPT_ADDR_MASK) | offset_in_page(gva);
			break;
		}
		if (pte & _PAGE_PSE) {
			if (level == 4)
				goto rsvd;
			mask = BIT_ULL(shift) - 1;
			if (esize == 8) {
				addr = (pte & GPT_ADDR_MASK & ~mask) | (gva & mask);
				break;
			}
			/* 4 MiB page; PDE bits 20:13 are address bits 39:32 */
			if (pg->cr4 & X86_CR4_PSE) {
				addr = (pte & GENMASK_ULL(31, 22)) |
				       ((pte & GENMASK_ULL(20, 13)) << 19) |
				       (gva & mask);
				break;
			}
		}
		table = pte & GPT_ADDR_MASK;
	}

	if ((access & HVX_ACC_USER) && !(allowed & _PAGE_USER))
		goto prot;
	if ((access & HVX_ACC_WRITE) && !(allowed & _PAGE_RW) &&
	    ((access & HVX_ACC_USER) || (pg->cr0 & X86_CR0_WP)))
		goto prot;
	if ((access & HVX_ACC_FETCH) && nx)
		goto prot;
	if ((access & (HVX_ACC_FETCH | HVX_ACC_USER)) == HVX_ACC_FETCH &&
	    (allowed & _PAGE_USER) && (pg->cr4 & X86_CR4_SMEP))
		goto prot;
	*gpa = addr;
	return 0;

rsvd:
	ec = X86_PF_RSVD;
prot:
	ec |= X86_PF_PROT;
fault:
	if (access & HVX_ACC_WRITE)
		ec |= X86_PF_WRITE;
	if (access & HVX_ACC_USER)
		ec |= X86_PF_USER;
	/* The CPU reports I/D only where execute protection exists. */
	if ((access & HVX_ACC_FETCH) &&
	    ((pg->cr4 & X86_CR4_SMEP) || ((pg->cr4 & X86_CR4_PAE) && nxe)))
		ec |= X86_PF_INSTR;
	*fault_ec = ec;
	return -EFAULT;
}

/* Translate the page holding @gva and say how much of @len it holds. */
static int gva_chunk(struct hvx_vm *vm, const struct hvx_paging *pg, u64 gva,
		     size_t len, u32 access, u64 *gpa, size_t *chunk)
{
	u32 ec;

	*chunk = min_t(size_t, len, PAGE_SIZE - offset_in_page(gva));
	return hvx_gva_to_gpa(vm, pg, gva, access, gpa, &ec);
}

/**
 * hvx_read_gva() - copy guest linear memory into a kernel buffer
 * @vm: the VM
 * @pg: the guest's paging state
 * @gva: linear start; the range may span pages
 * @buf: destination
 * @len: bytes
 * @access: HVX_ACC_* bits to check on each page (HVX_ACC_WRITE makes no
 *	    sense here)
 *
 * Context: as hvx_read_gpa().
 *
 * Return: 0; -EFAULT when a page is not mapped with @access or not in
 * guest RAM; other errors as hvx_gva_to_gpa().
 */
int hvx_read_gva(struct hvx_vm *vm, const struct hvx_paging *pg, u64 gva,
		 void *buf, size_t len, u32 access)
{
	u8 *dst = buf;
	size_t chunk;
	u64 gpa;
	int ret;

	for (; len; gva += chunk, dst += chunk, len -= chunk) {
		ret = gva_chunk(vm, pg, gva, len, access, &gpa, &chunk);
		if (!ret)
			ret = hvx_read_gpa(vm, gpa, dst, chunk);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * hvx_write_gva() - copy a kernel buffer into guest linear memory
 * @vm: the VM
 * @pg: the guest's paging state
 * @gva: linear start; the range may span pages
 * @buf: source
 * @len: bytes
 *
 * Checked as a supervisor write.  Every page is translated before any byte
 * is written, so a fault on a later page leaves memory untouched, as the
 * CPU does for an access that straddles a page boundary.
 *
 * Context: as hvx_read_gpa().
 *
 * Return: 0; -EFAULT when a page is not writable by the guest or not in
 * writable guest RAM; other errors as hvx_gva_to_gpa().
 */
int hvx_write_gva(struct hvx_vm *vm, const struct hvx_paging *pg, u64 gva,
		  const void *buf, size_t len)
{
	const u8 *src = buf;
	size_t chunk, left;
	u64 gpa, va;
	int ret;

	for (va = gva, left = len; left; va += chunk, left -= chunk) {
		ret = gva_chunk(vm, pg, va, left, HVX_ACC_WRITE, &gpa, &chunk);
		if (ret)
			return ret;
	}
	for (va = gva, left = len; left; va += chunk, src += chunk,
	     left -= chunk) {
		ret = gva_chunk(vm, pg, va, left, HVX_ACC_WRITE, &gpa, &chunk);
		if (!ret)
			ret = hvx_write_gpa(vm, gpa, src, chunk);
		if (ret)
			return ret;
	}
	return 0;
}
