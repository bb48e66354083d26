// SPDX-License-Identifier: GPL-2.0
/*
 * Memory slots: which guest-physical ranges are RAM, and where in the
 * creating process's address space that RAM lives.
 *
 * A slot is immutable while it exists.  To move, resize or re-flag one,
 * userspace deletes it (size 0) and adds it again; that keeps the EPT
 * update a plain "clear, flush, unpin" with no partial remapping.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/hugetlb_inline.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/shmem_fs.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <asm/processor.h>

#include "hvx.h"
#include "mem.h"

/* Pages handed to unpin_user_pages_dirty_lock() at a time. */
#define HVX_UNPIN_BATCH		16

/* 4-level EPT reaches 48 bits; the host cannot back more than it has. */
static u64 hvx_gpa_limit(void)
{
	return 1ULL << min_t(unsigned int, 48, boot_cpu_data.x86_phys_bits);
}

/**
 * hvx_mem_charge() - charge one pinned page to the VM's creator
 * @vm: the VM, vm->mem_lock held
 *
 * The budget is the user's, as for io_uring's and VFIO's long-term pins:
 * vm->user->locked_vm against RLIMIT_MEMLOCK.  A process's own counters
 * start again from 0 in a child after fork() or after execve(), so a
 * budget kept there could be spent again by every new process holding
 * the VM fds of the last one.  The mm's pinned_vm is raised too, so that
 * the pins show as VmPin in /proc/PID/status.  CAP_IPC_LOCK lifts the
 * limit but not the count, so that the uncharge is always what was
 * charged.
 *
 * Return: 0, or -ENOMEM past RLIMIT_MEMLOCK.
 */
int hvx_mem_charge(struct hvx_vm *vm)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	atomic_long_t *locked = &vm->user->locked_vm;
	long cur = atomic_long_read(locked);

	lockdep_assert_held(&vm->mem_lock);
	do {
		if (cur + 1 > limit && !capable(CAP_IPC_LOCK))
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(locked, &cur, cur + 1));
	atomic64_inc(&vm->mm->pinned_vm);
	return 0;
}

/* Give back what hvx_mem_charge() took for @n pages. */
void hvx_mem_uncharge(struct hvx_vm *vm, u64 n)
{
	atomic_long_sub(n, &vm->user->locked_vm);
	atomic64_sub(n, &vm->mm->pinned_vm);
}

/**
 * hvx_vma_backs_guest() - whether a mapping may back a slot
 * @vma: the mapping, its mm's mmap lock held
 * @readonly: the slot is HVX_MEM_READONLY
 *
 * Pins are long-term and writes through them bypass the mapping's
 * owner.  Anonymous memory, shmem (memfd, MAP_SHARED|MAP_ANONYMOUS, SysV
 * shm) and hugetlbfs have no filesystem behind them to be surprised.  A
 * page of any other file, pinned writable, would be written behind its
 * filesystem's back (no page_mkwrite, no writeback protection), so those
 * are refused.  A read-only slot may use a private file mapping (a
 * firmware image mapped from its file, say): its pages are never written
 * through the pin, and a private mapping cannot carry writes to the file.
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
 * Unpin and unaccount the slot's pages and mark it unused.  The caller has
 * already cleared their EPT entries and flushed.  A slot may hold
 * millions of pins: they go back in batches, with a chance to reschedule
 * between them (vm->mem_lock is a mutex, so sleeping is allowed).
 */
static void hvx_slot_release(struct hvx_vm *vm, struct hvx_memslot *slot)
{
	bool dirty = !(slot->flags & HVX_MEM_READONLY);
	struct page *batch[HVX_UNPIN_BATCH];
	unsigned int n = 0;
	unsigned long idx;
	struct page *page;
	u64 total = 0;

	xa_for_each(&slot->pages, idx, page) {
		batch[n++] = page;
		if (n < ARRAY_SIZE(batch))
			continue;
		unpin_user_pages_dirty_lock(batch, n, dirty);
		total += n;
		n = 0;
		cond_resched();
	}
	if (n)
		unpin_user_pages_dirty_lock(batch, n, dirty);
	total += n;
	WARN_ON_ONCE(total != slot->npinned);
	hvx_mem_uncharge(vm, total);
	xa_destroy(&slot->pages);
	WRITE_ONCE(vm->mem_size, vm->mem_size - (slot->npages << PAGE_SHIFT));
	memset(slot, 0, sizeof(*slot));
}

/* Remove a slot from the guest: vm->mem_lock held. */
static void hvx_slot_delete(struct hvx_vm *vm, struct hvx_memslot *slot)
{
	LIST_HEAD(freed);
	unsigned int i;

	/*
	 * Walk the range even without pinned pages: tables allocated by a
	 * fault that then failed to pin are reclaimed here too.
	 */
	if (hvx_ept_unmap(vm, slot->gpa, slot->npages, &freed))
		hvx_ept_flush(vm);
	hvx_ept_free_tables(vm, &freed);
	hvx_slot_release(vm, slot);
	for (i = 0; i < vm->nr_used_slots; i++) {
		if (vm->used_slots[i] == slot - vm->slots) {
			vm->used_slots[i] = vm->used_slots[--vm->nr_used_slots];
			break;
		}
	}
	hvx_slots_changed(vm);
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

static int hvx_check_region(const struct hvx_memory_region *mr)
{
	u64 limit = hvx_gpa_limit();

	if (mr->slot >= HVX_MAX_MEM_SLOTS || (mr->flags & ~HVX_MEM_READONLY))
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
 * Size 0 deletes the slot: its EPT entries are cleared and flushed before
 * its pages are unpinned.  Adding pins nothing and allocates nothing;
 * pages are pinned as the guest touches them (hvx_ept_fault()).  An
 * occupied slot is not changed in place: delete it first.  The slots of a
 * VM add up to HVX_MAX_VM_MEM_SIZE at most.  The memory must be anonymous,
 * shmem or hugetlbfs (see hvx_vma_backs_guest()).
 *
 * Context: process context in a thread of the VM's creator; takes
 * vm->mem_lock.
 *
 * Return: 0; -EINVAL for a bad slot number, flags, alignment, size or
 * address range, for deleting an unused slot, or for memory mapped from
 * a file other than shmem or hugetlbfs; -EFAULT when the userspace range
 * is not a user address range; -EBUSY when adding to an occupied slot;
 * -EEXIST when the range overlaps another slot; -E2BIG when the VM's
 * slots would exceed HVX_MAX_VM_MEM_SIZE; -EIO when called from another
 * process.
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
	/* access_ok() and the later pins are about current's mm. */
	if (current->mm != vm->mm)
		return -EIO;
	if (npages) {
		ret = hvx_check_vmas(mr->userspace_addr, mr->size,
				     mr->flags & HVX_MEM_READONLY);
		if (ret)
			return ret;
	}

	mutex_lock(&vm->mem_lock);
	slot = &vm->slots[mr->slot];
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
	slot->gpa = mr->guest_phys_addr;
	slot->uaddr = mr->userspace_addr;
	slot->flags = mr->flags;
	xa_init(&slot->pages);
	slot->npinned = 0;
	slot->npages = npages;
	WRITE_ONCE(vm->mem_size, vm->mem_size + mr->size);
	vm->used_slots[vm->nr_used_slots++] = mr->slot;
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
	memset(vm->slots, 0, sizeof(vm->slots));
	vm->nr_used_slots = 0;
	vm->mem_size = 0;
	memset(&vm->ept, 0, sizeof(vm->ept));
	return hvx_ept_init(vm);
}

/**
 * hvx_mem_destroy() - release all guest memory of a VM
 * @vm: the VM; no vCPU can enter it any more
 *
 * Flushes first, then frees the whole table tree and unpins every slot's
 * pages.  Clearing the leaves before the flush, as a slot deletion does,
 * would buy nothing here: no vCPU can enter the VM any more, so once the
 * flush is done no CPU holds or can rebuild a translation through these
 * tables.  vm->mm need not be current's.  Also safe when hvx_mem_init()
 * was called and failed.
 */
void hvx_mem_destroy(struct hvx_vm *vm)
{
	unsigned int i;

	mutex_lock(&vm->mem_lock);
	if (vm->ept.pml4)
		hvx_ept_flush(vm);
	hvx_ept_free_all(vm);
	for (i = 0; i < HVX_MAX_MEM_SLOTS; i++)
		if (vm->slots[i].npages)
			hvx_slot_release(vm, &vm->slots[i]);
	mutex_unlock(&vm->mem_lock);
	mutex_destroy(&vm->mem_lock);
}
