// SPDX-License-Identifier: GPL-2.0
/*
 * EPT page tables: built lazily, one 4 KiB leaf per guest page the guest
 * touches, each backed by a page of the slot's userspace mapping pinned
 * long-term.
 *
 * Invariant, under vm->mem_lock: slot->pages has an entry at i exactly
 * when the leaf for the slot's i-th page is present.  Leaves are only ever
 * installed (not-present to present needs no INVEPT) or cleared as a whole
 * slot at a time; a page is unpinned, and a table page freed, only after
 * INVEPT, because a CPU may hold cached translations or paging-structure
 * entries pointing at it until then.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/xarray.h>
#include <asm/mtrr.h>
#include <asm/vmx.h>

#include "compat.h"
#include "hvx.h"
#include "mem.h"

#define HVX_EPT_LEVELS		4
#define HVX_EPT_ENTRIES		(PAGE_SIZE / sizeof(u64))
#define HVX_EPT_ADDR_MASK	GENMASK_ULL(51, 12)

/* Non-leaf entries allow everything; the leaf alone decides access. */
#define HVX_EPT_NONLEAF		VMX_EPT_RWX_MASK

/* Guest memory is ordinary RAM: write-back whatever the guest's PAT says. */
#define HVX_EPT_LEAF_ATTR \
	(((u64)MTRR_TYPE_WRBACK << VMX_EPT_MT_EPTE_SHIFT) | VMX_EPT_IPAT_BIT)

static inline unsigned int ept_shift(int level)
{
	return PAGE_SHIFT + 9 * (level - 1);
}

static inline unsigned int ept_index(u64 gpa, int level)
{
	return (gpa >> ept_shift(level)) & (HVX_EPT_ENTRIES - 1);
}

static inline bool ept_present(u64 entry)
{
	return entry & VMX_EPT_RWX_MASK;
}

static inline u64 *ept_child(u64 entry)
{
	return __va(entry & HVX_EPT_ADDR_MASK);
}

/**
 * hvx_ept_init() - allocate the root table and compute the EPT pointer
 * @vm: the VM, its EPT not set up yet
 *
 * The CPU's support for 4-level write-back EPT was checked at module load.
 * Accessed/dirty flags stay off: hvx never reads them.
 *
 * Return: 0 or -ENOMEM.
 */
int hvx_ept_init(struct hvx_vm *vm)
{
	u64 *pml4 = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

	if (!pml4)
		return -ENOMEM;
	vm->ept.pml4 = pml4;
	vm->ept.tables = 1;
	vm->ept.eptp = __pa(pml4) | VMX_EPTP_MT_WB | VMX_EPTP_PWL_4;
	return 0;
}

/*
 * The leaf entry for @gpa, allocating missing tables on the way down.  A
 * new table is zeroed before the store that links it, and x86 keeps stores
 * in order, so a concurrent hardware walk never sees a half-built table.
 * Tables left empty by a failure here are reclaimed with the slot.
 */
static u64 *ept_leaf(struct hvx_vm *vm, u64 gpa)
{
	u64 *table = vm->ept.pml4;
	int level;

	for (level = HVX_EPT_LEVELS; level > 1; level--) {
		u64 *entry = &table[ept_index(gpa, level)];

		if (!ept_present(*entry)) {
			u64 *child = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

			if (!child)
				return ERR_PTR(-ENOMEM);
			vm->ept.tables++;
			WRITE_ONCE(*entry, __pa(child) | HVX_EPT_NONLEAF);
		}
		table = ept_child(*entry);
	}
	return &table[ept_index(gpa, 1)];
}

/*
 * Pin the page at @uaddr for the guest: only from a mapping that may back
 * guest memory (hvx_vma_backs_guest()).  The mappings may have changed
 * since HVX_SET_MEMORY_REGION checked them, so the check is made again
 * on the mapping the pin went through, under the mmap lock that keeps it.
 * current->mm is the VM's.
 */
static int ept_pin(unsigned long uaddr, bool ro, struct page **page)
{
	unsigned int gup = FOLL_LONGTERM | (ro ? 0 : FOLL_WRITE);
	struct vm_area_struct *vma;
	long ret;

	mmap_read_lock(current->mm);
	ret = hvx_pin_user_pages(uaddr, 1, gup, page);
	/* The pin keeps the mmap lock: the VMA it went through is still here. */
	vma = ret == 1 ? vma_lookup(current->mm, uaddr) : NULL;
	if (ret == 1 && (!vma || !hvx_vma_backs_guest(vma, ro))) {
		unpin_user_page(*page);
		ret = -EFAULT;
	}
	mmap_read_unlock(current->mm);
	if (ret == 1)
		return 0;
	return ret == -ENOMEM ? -ENOMEM : -EFAULT;
}

/* Pin the slot's @idx-th page and point @leaf at it. */
static int ept_map_page(struct hvx_vm *vm, struct hvx_memslot *slot,
			u64 idx, u64 *leaf)
{
	bool ro = slot->flags & HVX_MEM_READONLY;
	struct page *page;
	u64 prot;
	int ret;

	ret = ept_pin(slot->uaddr + (idx << PAGE_SHIFT), ro, &page);
	if (ret)
		return ret;
	ret = hvx_mem_charge(vm);
	if (ret)
		goto err_unpin;
	ret = xa_err(xa_store(&slot->pages, idx, page, GFP_KERNEL_ACCOUNT));
	if (ret)
		goto err_uncharge;

	slot->npinned++;
	prot = VMX_EPT_READABLE_MASK | VMX_EPT_EXECUTABLE_MASK;
	if (!ro)
		prot |= VMX_EPT_WRITABLE_MASK;
	WRITE_ONCE(*leaf, page_to_phys(page) | prot | HVX_EPT_LEAF_ATTR);
	return 0;

err_uncharge:
	hvx_mem_uncharge(vm, 1);
err_unpin:
	unpin_user_page(page);
	return ret;
}

/**
 * hvx_ept_fault() - map the guest page behind an EPT violation
 * @vm: the VM
 * @gpa: guest-physical address that faulted
 * @write: the access was a write
 *
 * Context: the vCPU thread (current->mm == vm->mm), may sleep; takes
 * vm->mem_lock.  The pin happens under the lock so that a concurrent slot
 * deletion either sees the page in slot->pages[] or never sees it pinned.
 *
 * Return: HVX_FAULT_MAPPED (also when another vCPU mapped the page first),
 * HVX_FAULT_MMIO when no slot covers @gpa, HVX_FAULT_ROM_WRITE when @write
 * hits a read-only slot,
 * -EFAULT when the userspace page cannot be pinned or its mapping may not
 * back guest memory (a file other than shmem or hugetlbfs), -ENOMEM, also
 * when the creator's user is over RLIMIT_MEMLOCK (hvx_mem_charge()).
 */
int hvx_ept_fault(struct hvx_vm *vm, u64 gpa, bool write)
{
	struct hvx_memslot *slot;
	u64 idx, *leaf;
	int ret;

	if (WARN_ON_ONCE(current->mm != vm->mm))
		return -EFAULT;

	mutex_lock(&vm->mem_lock);
	slot = hvx_find_slot(vm, gpa);
	if (!slot) {
		ret = HVX_FAULT_MMIO;
		goto out;
	}
	if (write && (slot->flags & HVX_MEM_READONLY)) {
		ret = HVX_FAULT_ROM_WRITE;
		goto out;
	}
	idx = (gpa - slot->gpa) >> PAGE_SHIFT;
	ret = HVX_FAULT_MAPPED;
	if (xa_load(&slot->pages, idx))
		goto out;

	leaf = ept_leaf(vm, gpa);
	if (IS_ERR(leaf)) {
		ret = PTR_ERR(leaf);
		goto out;
	}
	/* Cannot be present without a page at idx; never overwrite one. */
	if (WARN_ON_ONCE(ept_present(*leaf)))
		goto out;
	ret = ept_map_page(vm, slot, idx, leaf);
	if (!ret)
		ret = HVX_FAULT_MAPPED;
out:
	mutex_unlock(&vm->mem_lock);
	return ret;
}

/**
 * hvx_ept_flush() - drop every CPU's cached translations of this VM
 * @vm: the VM
 *
 * Must come between clearing EPT entries and releasing what they pointed
 * at (guest pages or table pages).
 */
void hvx_ept_flush(struct hvx_vm *vm)
{
	hvx_vmx_invept_all(vm->ept.eptp);
}

/*
 * Clear the leaves of [start, end) below @table (at @level) and unlink
 * tables that end up empty, queueing them on @freed.  Returns true when an
 * entry changed, i.e. when a flush is needed.
 */
static bool ept_unmap_level(u64 *table, int level, u64 start, u64 end,
			    struct list_head *freed)
{
	u64 span = 1ULL << ept_shift(level);
	bool changed = false;
	u64 addr, next;

	for (addr = start; addr < end; addr = next) {
		u64 *entry = &table[ept_index(addr, level)];
		u64 *child;

		next = min((addr & ~(span - 1)) + span, end);
		if (!ept_present(*entry))
			continue;
		/* Up to 2^27 leaves per slot; vm->mem_lock is a mutex. */
		if (level == 2)
			cond_resched();
		if (level == 1) {
			WRITE_ONCE(*entry, 0);
			changed = true;
			continue;
		}
		child = ept_child(*entry);
		if (ept_unmap_level(child, level - 1, addr, next, freed))
			changed = true;
		/* Slots need not be table-aligned: a neighbour may use it. */
		if (memchr_inv(child, 0, PAGE_SIZE))
			continue;
		WRITE_ONCE(*entry, 0);
		list_add(&virt_to_page(child)->lru, freed);
		changed = true;
	}
	return changed;
}

/**
 * hvx_ept_unmap() - clear the EPT entries of a guest-physical range
 * @vm: the VM, vm->mem_lock held
 * @gpa: page-aligned start
 * @npages: length in pages
 * @freed: collects table pages that became empty and were unlinked
 *
 * Nothing is released here: the caller flushes with hvx_ept_flush() when
 * this returns true, and only then unpins pages and calls
 * hvx_ept_free_tables() on @freed.
 *
 * Return: true when an entry was cleared.
 */
bool hvx_ept_unmap(struct hvx_vm *vm, u64 gpa, u64 npages,
		   struct list_head *freed)
{
	lockdep_assert_held(&vm->mem_lock);
	return ept_unmap_level(vm->ept.pml4, HVX_EPT_LEVELS, gpa,
			       gpa + (npages << PAGE_SHIFT), freed);
}

/**
 * hvx_ept_free_tables() - free table pages unlinked by hvx_ept_unmap()
 * @vm: the VM, vm->mem_lock held
 * @freed: the list hvx_ept_unmap() filled; empty afterwards
 *
 * Only after hvx_ept_flush().
 */
void hvx_ept_free_tables(struct hvx_vm *vm, struct list_head *freed)
{
	struct page *page, *tmp;

	list_for_each_entry_safe(page, tmp, freed, lru) {
		list_del(&page->lru);
		__free_page(page);
		vm->ept.tables--;
	}
}

static void ept_free_level(struct hvx_vm *vm, u64 *table, int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < HVX_EPT_ENTRIES; i++)
			if (ept_present(table[i]))
				ept_free_level(vm, ept_child(table[i]),
					       level - 1);
		/* A big guest has many tables; vm->mem_lock is a mutex. */
		if (level == 2)
			cond_resched();
	}
	free_page((unsigned long)table);
	vm->ept.tables--;
}

/**
 * hvx_ept_free_all() - free every table page, the root included
 * @vm: the VM, no vCPU able to enter it any more
 *
 * Only after hvx_ept_flush().
 */
void hvx_ept_free_all(struct hvx_vm *vm)
{
	if (!vm->ept.pml4)
		return;
	ept_free_level(vm, vm->ept.pml4, HVX_EPT_LEVELS);
	vm->ept.pml4 = NULL;
	WARN_ON_ONCE(vm->ept.tables);
}
