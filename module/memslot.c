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

#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/processor.h>

#include "hvx.h"
#include "mem.h"

/* Bounds slot->pages[] to 128 MiB of pointers. */
#define HVX_MAX_SLOT_SIZE	(64ULL * SZ_1G)

/* 4-level EPT reaches 48 bits; the host cannot back more than it has. */
static u64 hvx_gpa_limit(void)
{
	return 1ULL << min_t(unsigned int, 48, boot_cpu_data.x86_phys_bits);
}

/*
 * Unpin and unaccount the slot's pages and mark it unused.  The caller has
 * already cleared their EPT entries and flushed.
 */
static void hvx_slot_release(struct hvx_vm *vm, struct hvx_memslot *slot)
{
	bool dirty = !(slot->flags & HVX_MEM_READONLY);
	u64 i, n = 0;

	/* unpin_user_pages_dirty_lock() wants a dense array: compact it. */
	for (i = 0; i < slot->npages && n < slot->npinned; i++)
		if (slot->pages[i])
			slot->pages[n++] = slot->pages[i];
	WARN_ON_ONCE(n != slot->npinned);
	if (n) {
		unpin_user_pages_dirty_lock(slot->pages, n, dirty);
		account_locked_vm(vm->mm, n, false);
	}
	kvfree(slot->pages);
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
	if (mr->size > HVX_MAX_SLOT_SIZE || mr->guest_phys_addr >= limit ||
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
 * its pages are unpinned.  Adding pins nothing; pages are pinned as the
 * guest touches them (hvx_ept_fault()).  An occupied slot is not changed in
 * place: delete it first.
 *
 * Context: process context in a thread of the VM's creator; takes
 * vm->mem_lock.
 *
 * Return: 0; -EINVAL for a bad slot number, flags, alignment, size or
 * address range, or deleting an unused slot; -EFAULT when the userspace
 * range is not a user address range; -EBUSY when adding to an occupied
 * slot; -EEXIST when the range overlaps another slot; -ENOMEM; -EIO when
 * called from another process.
 */
int hvx_set_memory_region(struct hvx_vm *vm,
			  const struct hvx_memory_region *mr)
{
	struct hvx_memslot *slot;
	struct page **pages = NULL;
	u64 npages = mr->size >> PAGE_SHIFT;
	int ret;

	ret = hvx_check_region(mr);
	if (ret)
		return ret;
	/* access_ok() and the later pins are about current's mm. */
	if (current->mm != vm->mm)
		return -EIO;

	if (npages) {
		pages = kvcalloc(npages, sizeof(*pages), GFP_KERNEL_ACCOUNT);
		if (!pages)
			return -ENOMEM;
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
	slot->gpa = mr->guest_phys_addr;
	slot->uaddr = mr->userspace_addr;
	slot->flags = mr->flags;
	slot->pages = pages;
	slot->npinned = 0;
	slot->npages = npages;
	vm->used_slots[vm->nr_used_slots++] = mr->slot;
	hvx_slots_changed(vm);
	pages = NULL;
out_unlock:
	mutex_unlock(&vm->mem_lock);
	kvfree(pages);
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
