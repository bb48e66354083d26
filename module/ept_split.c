// SPDX-License-Identifier: GPL-2.0
/*
 * Large EPT leaves split in place into 512 leaves one level down, the
 * guest keeping every page mapped: for the dirty log, which write-protects
 * 4 KiB pages (hvx_ept_log_start(), and back to large leaves at
 * hvx_ept_log_stop()), and for an instruction fetch from a large leaf
 * under the iTLB multihit mitigation (hvx_ept_exec_split()).  Locking as
 * in ept.c: tables are linked under vm->mem_lock, leaves changed under
 * vm->mmu_lock too.
 */
#include <linux/gfp.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/sched.h>
#include <linux/spinlock.h>

#include "ept.h"
#include "mem.h"

/**
 * hvx_ept_write_protect() - take write access away from one page's leaf
 * @vm: the VM, vm->mem_lock and vm->mmu_lock held
 * @gpa: the page, in a slot with a dirty log (so mapped 4 KiB)
 *
 * Return: true when the leaf was writable: the caller must flush before
 * it relies on the next write faulting.
 */
bool hvx_ept_write_protect(struct hvx_vm *vm, u64 gpa)
{
	u64 *leaf = ept_lookup(vm, gpa);

	lockdep_assert_held(&vm->mmu_lock);
	if (!leaf || !(*leaf & VMX_EPT_WRITABLE_MASK))
		return false;
	WRITE_ONCE(*leaf, *leaf & ~VMX_EPT_WRITABLE_MASK);
	return true;
}

/*
 * Replace the large leaf *@entry at @level by @child, a zeroed table
 * filled here with the 512 leaves one level down that map the same
 * memory: for the dirty log (!@exec) without write access, so that the
 * guest takes no fault but the first write to each page; for an
 * instruction fetch (@exec) with the large leaf's access, and 4 KiB ones
 * executable.  A CPU may still use the large leaf until the caller
 * flushes.  vm->mem_lock and vm->mmu_lock held.
 */
static void ept_split(struct hvx_vm *vm, u64 *entry, int level, u64 *child,
		      bool exec)
{
	u64 e = *entry;
	u64 base = e & HVX_EPT_ADDR_MASK;
	u64 attr = e & ~HVX_EPT_ADDR_MASK;
	unsigned int i;

	if (!exec)
		attr &= ~VMX_EPT_WRITABLE_MASK;
	if (level == 2)
		attr &= ~HVX_EPT_LARGE;
	if (level == 2 && exec)
		attr |= VMX_EPT_EXECUTABLE_MASK;
	for (i = 0; i < HVX_EPT_ENTRIES; i++)
		child[i] = (base + i * ept_size(level - 1)) | attr;
	vm->ept.tables++;
	WRITE_ONCE(*entry, __pa(child) | HVX_EPT_NONLEAF);
	WRITE_ONCE(vm->ept.leaves[level - 1], vm->ept.leaves[level - 1] - 1);
	WRITE_ONCE(vm->ept.leaves[level - 2],
		   vm->ept.leaves[level - 2] + HVX_EPT_ENTRIES);
	WRITE_ONCE(vm->ept.splits, vm->ept.splits + 1);
}

/*
 * Split the large leaf over @gpa, if there is one, one level down (as
 * ept_split() with @exec).  The table is allocated before vm->mmu_lock
 * is taken, and the leaf may have gone in the meantime (the MMU
 * notifier).  Without memory for a table the leaf is cleared instead:
 * the guest faults its pages back in 4 KiB at a time.  vm->mem_lock
 * held.  Returns false when no large leaf was left over @gpa; sets
 * *@flush when an entry changed.
 */
static bool ept_split_one(struct hvx_vm *vm, u64 gpa, bool exec, bool *flush)
{
	u64 *entry, *child;
	int level;

	entry = hvx_ept_walk(vm, gpa, 2, &level);
	if (!entry || !ept_is_leaf(READ_ONCE(*entry), level))
		return false;
	child = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	spin_lock(&vm->mmu_lock);
	if (ept_present(*entry) && ept_is_leaf(*entry, level)) {
		if (child) {
			ept_split(vm, entry, level, child, exec);
			child = NULL;
		} else {
			WRITE_ONCE(*entry, 0);
			WRITE_ONCE(vm->ept.leaves[level - 1],
				   vm->ept.leaves[level - 1] - 1);
			vm->ept.unflushed = true;
		}
		*flush = true;
	}
	spin_unlock(&vm->mmu_lock);
	free_page((unsigned long)child);
	return true;
}

/*
 * Write-protect the 4 KiB leaves of [@start, @end), inside one 2 MiB
 * block, splitting a large leaf over the block first.  vm->mem_lock
 * held.  Returns true when an entry changed.
 */
static bool ept_log_block(struct hvx_vm *vm, u64 start, u64 end)
{
	bool flush = false;
	u64 *pde, *pt, a;
	int level;

	/* A 1 GiB leaf takes two rounds: to 2 MiB leaves, then 4 KiB. */
	while (ept_split_one(vm, start, false, &flush))
		;
	pde = hvx_ept_walk(vm, start, 2, &level);
	if (!pde)
		return flush;
	/* A table: the notifier clears leaves only, never a table entry. */
	pt = ept_child(READ_ONCE(*pde));
	spin_lock(&vm->mmu_lock);
	for (a = start; a < end; a += PAGE_SIZE) {
		u64 *leaf = &pt[ept_index(a, 1)];

		if (*leaf & VMX_EPT_WRITABLE_MASK) {
			WRITE_ONCE(*leaf, *leaf & ~VMX_EPT_WRITABLE_MASK);
			flush = true;
		}
	}
	spin_unlock(&vm->mmu_lock);
	return flush;
}

/**
 * hvx_ept_log_start() - prepare a slot's mappings for dirty logging
 * @vm: the VM, vm->mem_lock held
 * @slot: the slot, its bitmap in place (so faults map 4 KiB, read-only)
 *
 * Splits every large leaf of the slot in place into 4 KiB leaves and
 * takes write access away from all of them, so that the next write to
 * each page faults and is logged; the guest keeps reading its memory
 * without a fault.
 *
 * Return: true when an entry changed: the caller must flush before it
 * relies on the next write faulting.
 */
bool hvx_ept_log_start(struct hvx_vm *vm, struct hvx_memslot *slot)
{
	u64 end = slot->gpa + (slot->npages << PAGE_SHIFT);
	u64 block = ept_size(2);
	bool flush = false;
	u64 a, next;

	lockdep_assert_held(&vm->mem_lock);
	for (a = slot->gpa; a < end; a = next) {
		next = min((a & ~(block - 1)) + block, end);
		if (ept_log_block(vm, a, next))
			flush = true;
		/* Up to 131072 blocks in a slot; vm->mem_lock is a mutex. */
		cond_resched();
	}
	return flush;
}

/**
 * hvx_ept_log_stop() - let large leaves map a slot that stopped logging
 * @vm: the VM, vm->mem_lock held; current->mm is vm->mm
 * @slot: the slot, its bitmap gone (so faults map large again)
 * @freed: collects the table pages unlinked, as for hvx_ept_unmap()
 *
 * Clears the 4 KiB leaves of each 2 MiB block of the slot that a 2 MiB
 * leaf could map now (the host maps it with a huge page, and
 * hvx_ept_level_fits()): the next access maps the block with one leaf.  Other
 * blocks keep their leaves; a write-protected one becomes writable at
 * its next write (ept_mapped()).
 *
 * Return: true when an entry changed: flush, then free @freed.
 */
bool hvx_ept_log_stop(struct hvx_vm *vm, struct hvx_memslot *slot,
		      struct list_head *freed)
{
	u64 end = slot->gpa + (slot->npages << PAGE_SHIFT);
	u64 block = ept_size(2);
	bool flush = false;
	u64 a;

	lockdep_assert_held(&vm->mem_lock);
	for (a = ALIGN(slot->gpa, block); a + block <= end; a += block) {
		unsigned long hva = slot->uaddr + (a - slot->gpa);

		if (!hvx_ept_level_fits(slot, a, hva, 2) || hvx_ept_host_level(vm->mm, hva) < 2)
			continue;
		spin_lock(&vm->mmu_lock);
		if (hvx_ept_unmap(vm, a, block >> PAGE_SHIFT, freed))
			flush = true;
		spin_unlock(&vm->mmu_lock);
		cond_resched();
	}
	return flush;
}

/*
 * An instruction fetch hit a large leaf that is not executable (the iTLB
 * multihit mitigation): split it down to 4 KiB leaves, all of them
 * executable, so that no executable translation is ever larger and the
 * guest's next fetches in the block fault no more (the erratum is about
 * large executable pages only).  The split leaves keep their access;
 * other CPUs drop the large leaf at the flush.  vm->mem_lock held.
 */
void hvx_ept_exec_split(struct hvx_vm *vm, u64 gpa)
{
	bool flush = false;

	/* A 1 GiB leaf takes two rounds: to 2 MiB leaves, then 4 KiB. */
	while (ept_split_one(vm, gpa, true, &flush))
		;
	if (flush) {
		hvx_ept_flush(vm);
		/* large leaves back for it later (nx_recover.c) */
		hvx_nx_recover_note(vm, gpa);
	}
}
