// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory as the module's emulation sees it: guest-physical accesses
 * through the slots' userspace mappings, and a software walk of the
 * guest's own page tables for linear addresses.
 *
 * All of it runs in the vCPU thread, whose mm is the VM's.  Each public
 * function runs its access under vm->mem_lock, so that no slot can be
 * deleted halfway through it (a page walk and the read it leads to
 * included).  Every access goes through copy_{from,to}_user() on the
 * slot's userspace mapping: EPT maps what that mapping maps (the MMU
 * notifier keeps them in step, mmu_notifier.c), so this is what the guest
 * sees.
 *
 * The copies run with page faults off.  A page the host does not map for
 * the access (reclaimed, never touched, shared for copy-on-write, missing
 * in a userfaultfd range, poisoned) ends the access with -EAGAIN and its
 * address in vm->mem_fault; mem_fault_in() faults it in with the lock
 * dropped, and the access runs again from the start.  So a userfaultfd
 * handler may take its time without stalling the VM's other users of the
 * lock (other vCPUs' EPT faults, slot changes, dirty-log reads), a signal
 * ends the wait as it ends an EPT fault's, and a memory error is the
 * VMM's SIGBUS, as at an EPT fault (ept_host.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/pgtable_types.h>
#include <asm/processor-flags.h>
#include <asm/trap_pf.h>

#include "compat.h"
#include "hvx.h"
#include "insn_decode.h"
#include "mem.h"

/* Physical-address field of a guest paging-structure entry. */
#define GPT_ADDR_MASK	GENMASK_ULL(51, 12)

/* An access found the page at @uaddr missing: the caller faults it in. */
static int mem_fault(struct hvx_vm *vm, const void __user *uaddr, bool write)
{
	vm->mem_fault = ((unsigned long)uaddr & PAGE_MASK) | write;
	return -EAGAIN;
}

/*
 * After an access ended with -EAGAIN: fault in the page vm->mem_fault
 * names, as the guest's own access would, with vm->mem_lock dropped for
 * the time.  With @intr a signal ends the wait (-EINTR), and a poisoned
 * page is the VMM's SIGBUS and -EINTR: the instruction runs again at the
 * next HVX_RUN.  Without it (a store, which may complete an instruction
 * userspace served half of: it must not stay pending) only a fatal signal
 * ends the wait, and a poisoned page is SIGBUS and -EIO.  Return: 0 to
 * run the access again; -EINTR; -EIO when the page cannot be had.
 */
static int mem_fault_in(struct hvx_vm *vm, bool intr)
{
	unsigned long uaddr = vm->mem_fault & PAGE_MASK;
	bool write = vm->mem_fault & 1;
	struct page *page;
	long ret;

	mutex_unlock(&vm->mem_lock);
	ret = get_user_pages_unlocked(uaddr, 1, &page,
				      (intr ? HVX_FOLL_INTERRUPTIBLE : 0) |
				      FOLL_HWPOISON | (write ? FOLL_WRITE : 0));
	if (ret == 1) {
		put_page(page);
	} else if (ret == -EHWPOISON) {
		hvx_hwpoison(uaddr);		/* the VMM's SIGBUS */
		ret = intr ? -EINTR : -EIO;
	}
	mutex_lock(&vm->mem_lock);
	/*
	 * A page that comes and goes (reclaim) must not hold the thread:
	 * a signal ends the retries as it ends a wait.
	 */
	if (ret == 1)
		return (intr ? signal_pending(current) :
			       fatal_signal_pending(current)) ? -EINTR : 0;
	return ret == -EINTR ? -EINTR : -EIO;
}

/*
 * Copy between @buf and guest-physical memory, a page at a time; the
 * caller holds vm->mem_lock.  -EAGAIN: see mem_fault_in().
 */
static int gpa_copy(struct hvx_vm *vm, u64 gpa, u8 *buf, size_t len,
		    bool write)
{
	struct hvx_memslot *slot;
	void __user *uaddr;
	size_t chunk, left;

	lockdep_assert_held(&vm->mem_lock);
	for (; len; gpa += chunk, buf += chunk, len -= chunk) {
		slot = hvx_find_slot(vm, gpa);
		if (!slot || (write && (slot->flags & HVX_MEM_READONLY)))
			return -EFAULT;
		chunk = min_t(size_t, len, PAGE_SIZE - offset_in_page(gpa));
		uaddr = u64_to_user_ptr(slot->uaddr + gpa - slot->gpa);
		pagefault_disable();
		left = write ? copy_to_user(uaddr, buf, chunk) :
			       copy_from_user(buf, uaddr, chunk);
		pagefault_enable();
		/* a write's bytes before the fault are written again */
		if (left)
			return mem_fault(vm, uaddr, write);
		/*
		 * After the write: a log read in between reports the page
		 * the next time, not before the data is there.
		 */
		if (write && slot->dirty)
			set_bit((gpa - slot->gpa) >> PAGE_SHIFT, slot->dirty);
	}
	return 0;
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
 * Return: 0; -EFAULT when a byte is outside every slot, -EIO when its
 * userspace page cannot be read (@buf is then partly written); -EINTR as
 * for an EPT fault: a signal ended the wait for the page, or it is
 * poisoned (SIGBUS pending).
 */
int hvx_read_gpa(struct hvx_vm *vm, u64 gpa, void *buf, size_t len)
{
	int ret;

	if (WARN_ON_ONCE(current->mm != vm->mm))
		return -EFAULT;
	mutex_lock(&vm->mem_lock);
	while ((ret = gpa_copy(vm, gpa, buf, len, false)) == -EAGAIN &&
	       !(ret = mem_fault_in(vm, true)))
		;
	mutex_unlock(&vm->mem_lock);
	return ret;
}

/*
 * One guest paging-structure entry; a 4-byte one lands in the low half.
 * -EIO outside guest RAM; -EAGAIN: see mem_fault_in().
 */
static int gpt_read(struct hvx_vm *vm, u64 gpa, unsigned int size, u64 *pte)
{
	int ret;

	*pte = 0;
	ret = gpa_copy(vm, gpa, (u8 *)pte, size, false);
	return ret == -EFAULT ? -EIO : ret;
}

/*
 * Set @bits (Accessed, Dirty) in the guest paging-structure entry at @gpa
 * that the walk read as @old, as the processor's walk does, and only if
 * it still holds @old.  Return: 0 (also when there was nothing to set, or
 * the entry is in no writable slot: ROM tables stay as they are), 1 when
 * the guest changed the entry meanwhile (walk again), -EIO for an address
 * userspace cannot have, or -EAGAIN (mem_fault_in()).
 */
static int gpt_set_bits(struct hvx_vm *vm, u64 gpa, unsigned int size,
			u64 old, u64 bits)
{
	struct hvx_memslot *slot;
	void __user *uaddr;
	u32 old32 = old;
	int ret;

	if ((old & bits) == bits)
		return 0;
	slot = hvx_find_slot(vm, gpa);
	if (!slot || (slot->flags & HVX_MEM_READONLY))
		return 0;
	uaddr = u64_to_user_ptr(slot->uaddr + gpa - slot->gpa);
	if (!access_ok(uaddr, size))
		return -EIO;
	/* 0 when swapped, 1 when the entry differs, -EFAULT */
	pagefault_disable();
	if (size == 8)
		ret = __try_cmpxchg_user((u64 __user *)uaddr, &old, old | bits,
					 fault64);
	else
		ret = __try_cmpxchg_user((u32 __user *)uaddr, &old32,
					 old32 | (u32)bits, fault32);
	pagefault_enable();
	if (ret)
		return ret > 0 ? 1 : mem_fault(vm, uaddr, true);
	if (slot->dirty)
		set_bit((gpa - slot->gpa) >> PAGE_SHIFT, slot->dirty);
	return 0;
}

/*
 * Whether the walk's combined permissions (@allowed: U/S and R/W of every
 * level, @nx: any level's NX) refuse @access.
 */
static bool walk_denied(const struct hvx_paging *pg, u32 access,
			u64 allowed, bool nx)
{
	if ((access & HVX_ACC_USER) && !(allowed & _PAGE_USER))
		return true;
	if ((access & HVX_ACC_WRITE) && !(allowed & _PAGE_RW) &&
	    ((access & HVX_ACC_USER) || (pg->cr0 & X86_CR0_WP)))
		return true;
	if ((access & HVX_ACC_FETCH) && nx)
		return true;
	if (!(allowed & _PAGE_USER) || (access & HVX_ACC_USER))
		return false;
	/* supervisor access to a user page: SMEP for fetches, else SMAP */
	if (access & HVX_ACC_FETCH)
		return pg->cr4 & X86_CR4_SMEP;
	return (pg->cr4 & X86_CR4_SMAP) && !pg->ac;
}

/* The #PF error code of a failed walk: @ec holds P and RSVD already. */
static u32 walk_fault_ec(const struct hvx_paging *pg, u32 access, u32 ec)
{
	bool nxe = pg->efer & EFER_NX;

	if (access & HVX_ACC_WRITE)
		ec |= X86_PF_WRITE;
	if (access & HVX_ACC_USER)
		ec |= X86_PF_USER;
	/* The CPU reports I/D only where execute protection exists. */
	if ((access & HVX_ACC_FETCH) &&
	    ((pg->cr4 & X86_CR4_SMEP) || ((pg->cr4 & X86_CR4_PAE) && nxe)))
		ec |= X86_PF_INSTR;
	return ec;
}

/*
 * Where the walk of @gva starts: the paging mode's levels, entry size,
 * index bits and top table (for PAE, the PDPTE's page directory).
 * Return: 0, 1 when the PDPTE is not present, or a negative errno.
 */
static int walk_root(const struct hvx_paging *pg, u64 gva, int *level,
		     unsigned int *esize, unsigned int *bits, u64 *table)
{
	u64 pdpte;

	if (pg->efer & EFER_LMA) {
		if (pg->cr4 & X86_CR4_LA57)
			return -EOPNOTSUPP;
		if (!__is_canonical_address(gva, 48))
			return -EINVAL;
		*level = 4;
		*esize = 8;
		*bits = 9;
		*table = pg->cr3 & GPT_ADDR_MASK;
	} else if (pg->cr4 & X86_CR4_PAE) {
		pdpte = pg->pdpte[(gva >> 30) & 3];
		if (!(pdpte & _PAGE_PRESENT))
			return 1;
		*level = 2;
		*esize = 8;
		*bits = 9;
		*table = pdpte & GPT_ADDR_MASK;
	} else {
		*level = 2;
		*esize = 4;
		*bits = 10;
		*table = pg->cr3 & GENMASK_ULL(31, 12);
	}
	return 0;
}

/* The entries a walk went through, for their Accessed and Dirty flags. */
struct gpt_path {
	u64 gpa[4], pte[4];
	unsigned int n;
};

/*
 * Accessed in every entry of @path, Dirty too in the last (the leaf) for
 * a write, as the processor sets them on a successful walk.  Return: as
 * gpt_set_bits().
 */
static int walk_set_ad(struct hvx_vm *vm, const struct gpt_path *path,
		       unsigned int esize, bool write)
{
	unsigned int i;
	u64 bits;
	int ret;

	for (i = 0; i < path->n; i++) {
		bits = _PAGE_ACCESSED;
		if (write && i == path->n - 1)
			bits |= _PAGE_DIRTY;
		ret = gpt_set_bits(vm, path->gpa[i], esize, path->pte[i], bits);
		if (ret)
			return ret;
	}
	return 0;
}

/* The walk of hvx_gva_to_gpa() with paging on; vm->mem_lock held. */
static int gva_walk(struct hvx_vm *vm, const struct hvx_paging *pg, u64 gva,
		    u32 access, u64 *gpa, u32 *fault_ec)
{
	bool nxe = pg->efer & EFER_NX;
	u64 table, pte, addr, mask, allowed;
	unsigned int esize, bits, shift, idx, tries = 0;
	struct gpt_path path;
	int level, ret;
	bool nx;
	u32 ec = 0;

	if (!(pg->efer & EFER_LMA))
		gva = lower_32_bits(gva);
again:
	path.n = 0;
	allowed = _PAGE_RW | _PAGE_USER;
	nx = false;
	ret = walk_root(pg, gva, &level, &esize, &bits, &table);
	if (ret > 0)
		goto fault;
	if (ret)
		return ret;

	for (;; level--) {
		shift = PAGE_SHIFT + bits * (level - 1);
		idx = (gva >> shift) & (BIT(bits) - 1);
		ret = gpt_read(vm, table + idx * esize, esize, &pte);
		if (ret)
			return ret;
		if (!(pte & _PAGE_PRESENT))
			goto fault;
		path.gpa[path.n] = table + idx * esize;
		path.pte[path.n++] = pte;
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

	if (walk_denied(pg, access, allowed, nx))
		goto prot;
	/* an entry the guest changed under the walk: walk it again */
	ret = walk_set_ad(vm, &path, esize, access & HVX_ACC_WRITE);
	if (ret > 0 && ++tries < 8)
		goto again;
	if (ret < 0)
		return ret;
	*gpa = addr;
	return 0;

rsvd:
	ec = X86_PF_RSVD;
prot:
	ec |= X86_PF_PROT;
fault:
	*fault_ec = walk_fault_ec(pg, access, ec);
	return -EFAULT;
}

/* hvx_gva_to_gpa() with vm->mem_lock held; paging off needs no call. */
static __always_inline int gva_to_gpa(struct hvx_vm *vm,
				      const struct hvx_paging *pg, u64 gva,
				      u32 access, u64 *gpa, u32 *fault_ec)
{
	if (!(pg->cr0 & X86_CR0_PG)) {
		*gpa = lower_32_bits(gva);
		return 0;
	}
	return gva_walk(vm, pg, gva, access, gpa, fault_ec);
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
 * paging (from the processor's cached PDPTEs, in @pg) and
 * 4-level paging with 2 MiB and 1 GiB pages.  Checks P, R/W (CR0.WP for
 * supervisor writes), U/S, XD with EFER.NXE, SMEP, and SMAP with RFLAGS.AC
 * (every access checked here is the instruction's own, explicit one).
 * Reserved-bit checks are limited to XD without EFER.NXE and PS in a
 * PML4E.  Protection keys are not checked (hvx's CPUID shows no PKU
 * unless userspace sets it).  A successful walk sets the Accessed flag of
 * every entry it used and, for a write, the leaf's Dirty flag, as the
 * processor does (a guest's reclaim trusts them), walking again if the
 * guest changes an entry meanwhile.
 *
 * Context: as hvx_read_gpa(); the walk runs under vm->mem_lock.
 *
 * Return: 0; -EFAULT with @fault_ec set when the guest must get a #PF;
 * -EINVAL for a non-canonical address (#GP, not #PF); -EIO when a paging
 * structure is outside guest RAM or its page cannot be had; -EOPNOTSUPP
 * under 5-level paging; -EINTR as hvx_read_gpa(), for a write (@access)
 * as hvx_write_gva().
 */
int hvx_gva_to_gpa(struct hvx_vm *vm, const struct hvx_paging *pg, u64 gva,
		   u32 access, u64 *gpa, u32 *fault_ec)
{
	int ret;

	if (WARN_ON_ONCE(current->mm != vm->mm))
		return -EFAULT;
	mutex_lock(&vm->mem_lock);
	while ((ret = gva_to_gpa(vm, pg, gva, access, gpa, fault_ec)) ==
	       -EAGAIN && !(ret = mem_fault_in(vm, !(access & HVX_ACC_WRITE))))
		;
	mutex_unlock(&vm->mem_lock);
	return ret;
}

/* Translate the page holding @va and say how much of @len it holds. */
static int gva_chunk(struct hvx_vm *vm, const struct hvx_paging *pg, u64 va,
		     size_t len, u32 access, u64 *gpa, size_t *chunk)
{
	u32 ec;

	*chunk = min_t(size_t, len, PAGE_SIZE - offset_in_page(va));
	return gva_to_gpa(vm, pg, va, access, gpa, &ec);
}

/*
 * Copy between @buf and guest linear memory, vm->mem_lock held.  A write
 * translates every page before it stores a byte, so a fault on a later
 * page leaves guest memory untouched, as the CPU does for an access that
 * straddles a page boundary.
 */
static int gva_copy(struct hvx_vm *vm, const struct hvx_paging *pg, u64 gva,
		    u8 *buf, size_t len, u32 access)
{
	bool write = access & HVX_ACC_WRITE;
	size_t chunk, left;
	u64 gpa, va;
	int ret;

	for (va = gva, left = len; write && left; va += chunk, left -= chunk) {
		ret = gva_chunk(vm, pg, va, left, access, &gpa, &chunk);
		if (ret)
			return ret;
	}
	for (va = gva, left = len; left; va += chunk, buf += chunk,
	     left -= chunk) {
		ret = gva_chunk(vm, pg, va, left, access, &gpa, &chunk);
		if (!ret)
			ret = gpa_copy(vm, gpa, buf, chunk, write);
		if (ret)
			return ret;
	}
	return 0;
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
	int ret;

	if (WARN_ON_ONCE(current->mm != vm->mm))
		return -EFAULT;
	mutex_lock(&vm->mem_lock);
	while ((ret = gva_copy(vm, pg, gva, buf, len,
			       access & ~HVX_ACC_WRITE)) == -EAGAIN &&
	       !(ret = mem_fault_in(vm, true)))
		;
	mutex_unlock(&vm->mem_lock);
	return ret;
}

/**
 * hvx_write_gva() - copy a kernel buffer into guest linear memory
 * @vm: the VM
 * @pg: the guest's paging state
 * @gva: linear start; the range may span pages
 * @buf: source
 * @len: bytes
 * @access: HVX_ACC_USER for the guest's user mode, else 0
 *
 * Checked as a write with @access.  Every page is translated before any byte
 * is written, so a fault on a later page leaves memory untouched, as the
 * CPU does for an access that straddles a page boundary.
 *
 * Context: as hvx_read_gpa().
 *
 * Return: 0; -EFAULT when a page is not writable by the guest or not in
 * writable guest RAM; other errors as hvx_gva_to_gpa(), but only a fatal
 * signal ends the wait for a page (-EINTR), and a poisoned page sends the
 * VMM SIGBUS and gives -EIO: the store may complete an instruction whose
 * port or MMIO read userspace served, which must not stay half done.
 */
int hvx_write_gva(struct hvx_vm *vm, const struct hvx_paging *pg, u64 gva,
		  const void *buf, size_t len, u32 access)
{
	int ret;

	if (WARN_ON_ONCE(current->mm != vm->mm))
		return -EFAULT;
	mutex_lock(&vm->mem_lock);
	while ((ret = gva_copy(vm, pg, gva, (u8 *)buf, len,
			       access | HVX_ACC_WRITE)) == -EAGAIN &&
	       !(ret = mem_fault_in(vm, false)))
		;
	mutex_unlock(&vm->mem_lock);
	return ret;
}

/**
 * hvx_fetch_gva() - the instruction bytes at a linear address
 * @vm: the VM
 * @pg: the guest's paging state
 * @gva: linear address of the instruction
 * @buf: HVX_INSN_MAX_LEN bytes
 * @user: the guest runs at CPL 3 (a user fetch, which SMEP allows)
 * @all: fault in a page after the first that the host reclaimed
 *
 * Reads as many of the HVX_INSN_MAX_LEN bytes at @gva as the guest could
 * fetch, stopping at the first page it could not.  This is the first step
 * of every MMIO exit, so it takes vm->mem_lock once.
 *
 * Only the page of RIP is faulted in unless @all: the bytes beyond it
 * need not be the instruction's, whose bytes the CPU has just fetched,
 * and a page the guest never touched must not be waited for, nor
 * signalled as poisoned.  A caller whose decode ran out of bytes there
 * knows the instruction goes on, and fetches again with @all.
 *
 * Context: as hvx_read_gpa().
 *
 * Return: the number of bytes read, 0 when not even the first one could
 * be fetched; -EINTR as hvx_read_gpa().
 */
int hvx_fetch_gva(struct hvx_vm *vm, const struct hvx_paging *pg, u64 gva,
		  u8 *buf, bool user, bool all)
{
	u32 access = HVX_ACC_FETCH | (user ? HVX_ACC_USER : 0), ec;
	unsigned int n = 0, chunk;
	int ret = 0;
	u64 gpa;

	if (WARN_ON_ONCE(current->mm != vm->mm))
		return 0;
	mutex_lock(&vm->mem_lock);
	while (n < HVX_INSN_MAX_LEN) {
		chunk = min_t(unsigned int, HVX_INSN_MAX_LEN - n,
			      PAGE_SIZE - offset_in_page(gva + n));
		ret = gva_to_gpa(vm, pg, gva + n, access, &gpa, &ec);
		if (!ret)
			ret = gpa_copy(vm, gpa, buf + n, chunk, false);
		if (ret == -EAGAIN && (!n || all)) {
			ret = mem_fault_in(vm, true);
			if (!ret)
				continue;	/* the same chunk again */
		}
		if (ret)
			break;
		n += chunk;
	}
	mutex_unlock(&vm->mem_lock);
	return ret == -EINTR ? -EINTR : n;
}
