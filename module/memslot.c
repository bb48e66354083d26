// SPDX-License-Identifier: GPL-2.0
/*
 * Memory slots: which guest-physical ranges are RAM, and where in the
 * creating process's address space that RAM lives.
 *
 * A slot does not move or change size while it exists: to do that,
 * userspace deletes it (size 0) and adds it again, which keeps the EPT
 * update a plain "clear, flush" with no partial remapping.  The one
 * change made in place is turning dirty logging on or off (dirty_log.c),
 * which keeps the guest's memory mapped.  Nothing is
 * pinned: EPT follows the host's page tables through the VM's MMU
 * notifier (mmu_notifier.c), so deleting a slot releases no pages.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hugetlb_inline.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/spinlock.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/sched.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/processor.h>

#include "hvx.h"
#include "mem.h"

/* 4-level EPT reaches 48 bits; the host cannot back more than it has. */
static u64 hvx_gpa_limit(void)
{
	return 1ULL << min_t(unsigned int, 48, boot_cpu_data.x86_phys_bits);
}

/**
 * hvx_vma_backs_guest() - whether a mapping may back a slot
 * @vma: the mapping, its mm's mmap lock held
 * @readonly: the slot is HVX_MEM_READONLY
 *
 * The guest writes through EPT, not through the host's page tables: the
 * host sees the page made writable once, at the fault, and never the
 * stores that follow.  Anonymous memory, shmem (memfd,
 * MAP_SHARED|MAP_ANONYMOUS, SysV shm) and hugetlbfs have no filesystem
 * behind them to be surprised.  A page of any other file, mapped writable
 * into the guest, would be written behind its filesystem's back, so those
 * are refused.  A read-only slot may use a private file mapping (a
 * firmware image mapped from its file, say): the guest never writes its
 * pages, and a private mapping cannot carry writes to the file.
 *
 * Return: true when @vma may back the slot.
 */
bool hvx_vma_backs_guest(struct vm_area_struct *vma, bool readonly)
{
	if (vma_is_anonymous(vma) || is_vm_hugetlb_page(vma) ||
	    shmem_file(vma->vm_file))
		return true;
	return readonly && !(vma->vm_flags & VM_MAYSHARE);
}

/*
 * Refuse a region whose current mappings could not back it.  Holes are
 * left to the pin, which fails on them; the pin also checks again, since
 * the mappings may change after this.  Context: current->mm is vm->mm.
 */
static int hvx_check_vmas(u64 start, u64 size, bool readonly)
{
	VMA_ITERATOR(vmi, current->mm, start);
	struct vm_area_struct *vma;
	int ret = 0;

	mmap_read_lock(current->mm);
	for_each_vma_range(vmi, vma, start + size) {
		if (!hvx_vma_backs_guest(vma, readonly)) {
			ret = -EINVAL;
			break;
		}
	}
	mmap_read_unlock(current->mm);
	return ret;
}

/*
 * Remove a slot from the guest: vm->mem_lock held.  Its leaves are
 * cleared while the notifier still sees the slot: the walk may drop
 * vm->mmu_lock on the way, and an invalidation meanwhile must clear the
 * leaves the walk has not reached yet.  The slot leaves the notifier's
 * sight once it has no leaf, and its tables go only after the flush.
 */
static void hvx_slot_delete(struct hvx_vm *vm, struct hvx_memslot *slot)
{
	LIST_HEAD(freed);
	unsigned int i;

	spin_lock(&vm->mmu_lock);
	/* Also reclaims tables a fault allocated and then left empty. */
	hvx_ept_unmap(vm, slot->gpa, slot->npages, &freed);
	for (i = 0; i < vm->nr_used_slots; i++) {
		if (vm->used_slots[i] == slot - vm->slots) {
			vm->used_slots[i] = vm->used_slots[--vm->nr_used_slots];
			break;
		}
	}
	hvx_ept_flush_locked(vm);
	spin_unlock(&vm->mmu_lock);
	hvx_ept_free_tables(vm, &freed);
	WRITE_ONCE(vm->mem_size, vm->mem_size - (slot->npages << PAGE_SHIFT));
	kvfree(slot->dirty);
	memset(slot, 0, sizeof(*slot));
	hvx_slots_changed(vm);
}

/*
 * Outside the slots EPT maps only pages of hvx's own (hvx_ept_map_own():
 * the APIC-access page); a new slot's RAM takes their place, faulted in
 * at the next access.  vm->mem_lock held, before the slot is in use.
 */
static void hvx_slot_clear_own(struct hvx_vm *vm, struct hvx_memslot *slot)
{
	bool flush;
	LIST_HEAD(freed);

	spin_lock(&vm->mmu_lock);
	flush = hvx_ept_unmap(vm, slot->gpa, slot->npages, &freed);
	spin_unlock(&vm->mmu_lock);
	if (flush)
		hvx_ept_flush(vm);
	hvx_ept_free_tables(vm, &freed);
}

static bool hvx_slot_overlaps(struct hvx_vm *vm, u64 gpa, u64 npages)
{
	unsigned int i;

	for (i = 0; i < HVX_MAX_MEM_SLOTS; i++) {
		struct hvx_memslot *s = &vm->slots[i];

		if (s->npages && gpa < s->gpa + (s->npages << PAGE_SHIFT) &&
		    s->gpa < gpa + (npages << PAGE_SHIFT))
			return true;
	}
	return false;
}

/* @mr names @slot, in use, as it is but for HVX_MEM_LOG_DIRTY. */
static bool hvx_only_logging_changes(const struct hvx_memslot *slot,
				     const struct hvx_memory_region *mr)
{
	return mr->guest_phys_addr == slot->gpa &&
	       mr->size == slot->npages << PAGE_SHIFT &&
	       mr->userspace_addr == slot->uaddr &&
	       (mr->flags ^ slot->flags) == HVX_MEM_LOG_DIRTY;
}

static int hvx_check_region(const struct hvx_memory_region *mr)
{
	u64 limit = hvx_gpa_limit();

	if (mr->slot >= HVX_MAX_MEM_SLOTS ||
	    (mr->flags & ~(HVX_MEM_READONLY | HVX_MEM_LOG_DIRTY)))
		return -EINVAL;
	/* The guest cannot write a read-only slot: nothing to log. */
	if ((mr->flags & HVX_MEM_READONLY) && (mr->flags & HVX_MEM_LOG_DIRTY))
		return -EINVAL;
	if (!PAGE_ALIGNED(mr->guest_phys_addr) || !PAGE_ALIGNED(mr->size) ||
	    !PAGE_ALIGNED(mr->userspace_addr))
		return -EINVAL;
	if (!mr->size)
		return 0;
	/* Both terms are below 2^48 here, so the sum cannot wrap. */
	if (mr->guest_phys_addr >= limit ||
	    mr->size > limit - mr->guest_phys_addr)
		return -EINVAL;
	if (!access_ok(u64_to_user_ptr(mr->userspace_addr), mr->size))
		return -EFAULT;
	return 0;
}

/**
 * hvx_set_memory_region() - HVX_SET_MEMORY_REGION: add or delete a slot
 * @vm: the VM
 * @mr: the request, already copied from userspace
 *
 * Size 0 deletes the slot: its EPT entries are cleared and flushed.
 * Adding allocates nothing; pages are mapped into EPT as the guest
 * touches them (hvx_ept_fault()), and stay the host's to reclaim,
 * migrate or swap (mmu_notifier.c).  An occupied slot is not changed in
 * place but for one change: the same slot, address, size and memory with
 * HVX_MEM_LOG_DIRTY alone flipped starts or stops dirty logging
 * (hvx_dirty_log_set()); for anything else, delete it first.  The slots
 * of a VM add up to HVX_MAX_VM_MEM_SIZE at most.  The memory must be
 * anonymous, shmem or hugetlbfs (see hvx_vma_backs_guest()).
 *
 * Context: process context in a thread of the VM's creator; takes
 * vm->mem_lock.
 *
 * Return: 0; -EINVAL for a bad slot number, flags, alignment, size or
 * address range, for HVX_MEM_LOG_DIRTY with HVX_MEM_READONLY, for
 * deleting an unused slot, or for memory mapped from
 * a file other than shmem or hugetlbfs; -EFAULT when the userspace range
 * is not a user address range; -EBUSY when adding to an occupied slot
 * other than to turn its logging on or off; -EEXIST when the range
 * overlaps another slot; -E2BIG when the VM's slots would exceed
 * HVX_MAX_VM_MEM_SIZE; -ENOMEM for the dirty bitmap; -EIO when called
 * from another process.
 */
int hvx_set_memory_region(struct hvx_vm *vm,
			  const struct hvx_memory_region *mr)
{
	struct hvx_memslot *slot;
	u64 npages = mr->size >> PAGE_SHIFT;
	int ret;

	ret = hvx_check_region(mr);
	if (ret)
		return ret;
	/* access_ok() and the later faults are about current's mm. */
	if (current->mm != vm->mm)
		return -EIO;
	if (npages) {
		ret = hvx_check_vmas(mr->userspace_addr, mr->size,
				     mr->flags & HVX_MEM_READONLY);
		if (ret)
			return ret;
	}

	mutex_lock(&vm->mem_lock);
	slot = &vm->slots[array_index_nospec(mr->slot, HVX_MAX_MEM_SLOTS)];
	if (!npages) {
		if (!slot->npages) {
			ret = -EINVAL;
			goto out_unlock;
		}
		hvx_slot_delete(vm, slot);
		goto out_unlock;
	}
	if (slot->npages) {
		ret = -EBUSY;
		if (hvx_only_logging_changes(slot, mr))
			ret = hvx_dirty_log_set(vm, slot,
						mr->flags & HVX_MEM_LOG_DIRTY);
		goto out_unlock;
	}
	if (hvx_slot_overlaps(vm, mr->guest_phys_addr, npages)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (mr->size > HVX_MAX_VM_MEM_SIZE - vm->mem_size) {
		ret = -E2BIG;
		goto out_unlock;
	}
	if (mr->flags & HVX_MEM_LOG_DIRTY) {
		slot->dirty = hvx_dirty_log_alloc(npages);
		if (!slot->dirty) {
			ret = -ENOMEM;
			goto out_unlock;
		}
	}
	slot->gpa = mr->guest_phys_addr;
	slot->uaddr = mr->userspace_addr;
	slot->flags = mr->flags;
	slot->npages = npages;
	WRITE_ONCE(vm->mem_size, vm->mem_size + mr->size);
	hvx_slot_clear_own(vm, slot);
	spin_lock(&vm->mmu_lock);
	vm->used_slots[vm->nr_used_slots++] = mr->slot;
	spin_unlock(&vm->mmu_lock);
	hvx_slots_changed(vm);
out_unlock:
	mutex_unlock(&vm->mem_lock);
	return ret;
}

/**
 * hvx_mem_init() - set up an empty guest-physical address space
 * @vm: the new VM
 *
 * Return: 0 or -ENOMEM.
 */
int hvx_mem_init(struct hvx_vm *vm)
{
	mutex_init(&vm->mem_lock);
	spin_lock_init(&vm->mmu_lock);
	memset(vm->slots, 0, sizeof(vm->slots));
	vm->nr_used_slots = 0;
	vm->mem_size = 0;
	memset(&vm->ept, 0, sizeof(vm->ept));
	hvx_nx_recover_init(vm);
	return hvx_ept_init(vm);
}

/**
 * hvx_mem_destroy() - release all guest memory of a VM
 * @vm: the VM; no vCPU can enter it any more
 *
 * Flushes first, then frees the whole table tree.  Clearing the leaves
 * before the flush, as a slot deletion does, would buy nothing here: no
 * vCPU can enter the VM any more and the MMU notifier is gone, so once
 * the flush is done no CPU holds or can rebuild a translation through
 * these tables.  vm->mm need not be current's.  Also safe when
 * hvx_mem_init() was called and failed.
 */
void hvx_mem_destroy(struct hvx_vm *vm)
{
	unsigned int i;

	/* before the lock: the recovery's work takes it */
	hvx_nx_recover_destroy(vm);
	mutex_lock(&vm->mem_lock);
	if (vm->ept.pml4)
		hvx_ept_flush(vm);
	hvx_ept_free_all(vm);
	for (i = 0; i < HVX_MAX_MEM_SLOTS; i++)
		kvfree(vm->slots[i].dirty);
	memset(vm->slots, 0, sizeof(vm->slots));
	vm->nr_used_slots = 0;
	mutex_unlock(&vm->mem_lock);
	mutex_destroy(&vm->mem_lock);
}
