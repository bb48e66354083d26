// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty page logging: HVX_GET_DIRTY_LOG and HVX_CLEAR_DIRTY_LOG.
 *
 * A slot added with HVX_MEM_LOG_DIRTY has a bit per page (slot->dirty).
 * Its pages are mapped 4 KiB at a time and read-only until the guest
 * writes them: the write faults, sets the page's bit, and only then gets
 * a writable leaf (ept.c); the module's own writes to guest memory set
 * the bit after they land (guest_mem.c).  Clearing a bit write-protects
 * its page again, and the call flushes before it returns, so that every
 * write made after it returns faults and is logged anew.  A write that
 * slips in between the clear and the flush lands in a page this read
 * reports, and userspace copies the pages it is told about afterwards.
 *
 * Logging starts and stops on a live slot when HVX_SET_MEMORY_REGION
 * names it again with only HVX_MEM_LOG_DIRTY changed (hvx_dirty_log_set()):
 * starting splits the slot's large leaves in place and write-protects
 * every leaf, stopping lets 2 MiB leaves map the slot again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitops.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>

#include "hvx.h"
#include "mem.h"

/* Words of the log of an @npages page slot, as userspace lays it out. */
static size_t log_words(u64 npages)
{
	return DIV_ROUND_UP(npages, 64) * (64 / BITS_PER_LONG);
}

/**
 * hvx_dirty_log_alloc() - an empty dirty bitmap for a slot
 * @npages: the slot's size in pages
 *
 * Up to 8 MiB for a slot of HVX_MAX_VM_MEM_SIZE, charged to the caller's
 * memory cgroup.
 *
 * Return: the bitmap (free with kvfree()), or NULL.
 */
unsigned long *hvx_dirty_log_alloc(u64 npages)
{
	return kvcalloc(BITS_TO_LONGS(npages), sizeof(unsigned long),
			GFP_KERNEL_ACCOUNT);
}

/**
 * hvx_dirty_log_set() - start or stop logging a slot in use
 * @vm: the VM, vm->mem_lock held; current->mm is vm->mm
 * @slot: the slot, logging now if and only if !@on
 * @on: start (true) or stop logging
 *
 * Starting: the bitmap is in place before any leaf changes, so that the
 * faults that follow map 4 KiB and read-only; then the slot's large
 * leaves are split in place, every leaf write-protected, and all CPUs
 * flushed before this returns: each write after it is logged.  The guest
 * may run all the while; a write that lands before the flush, through a
 * translation a CPU still holds, lands before this returns.
 *
 * Stopping: the bitmap goes and what it held with it; blocks a 2 MiB
 * leaf can map again are unmapped so that they fault back in large.
 *
 * Return: 0, or -ENOMEM for the bitmap (nothing changed then).
 */
int hvx_dirty_log_set(struct hvx_vm *vm, struct hvx_memslot *slot, bool on)
{
	unsigned long *dirty = NULL;
	LIST_HEAD(freed);
	bool flush;

	lockdep_assert_held(&vm->mem_lock);
	if (on) {
		dirty = hvx_dirty_log_alloc(slot->npages);
		if (!dirty)
			return -ENOMEM;
		slot->dirty = dirty;
		slot->flags |= HVX_MEM_LOG_DIRTY;
		flush = hvx_ept_log_start(vm, slot);
		dirty = NULL;
	} else {
		dirty = slot->dirty;
		slot->dirty = NULL;
		slot->flags &= ~HVX_MEM_LOG_DIRTY;
		flush = hvx_ept_log_stop(vm, slot, &freed);
	}
	if (flush)
		hvx_ept_flush(vm);
	hvx_ept_free_tables(vm, &freed);
	kvfree(dirty);
	return 0;
}

/* The logging slot @index, or NULL; vm->mem_lock held. */
static struct hvx_memslot *log_slot(struct hvx_vm *vm, u32 index)
{
	struct hvx_memslot *slot;

	if (index >= HVX_MAX_MEM_SLOTS)
		return NULL;
	slot = &vm->slots[array_index_nospec(index, HVX_MAX_MEM_SLOTS)];
	return slot->npages && slot->dirty ? slot : NULL;
}

/*
 * Clear the bits of @mask in word @w of the log and write-protect the
 * pages that were dirty.  vm->mem_lock and vm->mmu_lock held.  Returns
 * the bits that were set; *@flush becomes true when a leaf changed.
 */
static unsigned long log_clear_word(struct hvx_vm *vm,
				    struct hvx_memslot *slot, size_t w,
				    unsigned long mask, bool *flush)
{
	unsigned long was;
	unsigned int bit;

	was = atomic_long_fetch_andnot(mask, (atomic_long_t *)&slot->dirty[w]);
	was &= mask;
	for_each_set_bit(bit, &was, BITS_PER_LONG) {
		u64 page = (u64)w * BITS_PER_LONG + bit;

		if (hvx_ept_write_protect(vm, slot->gpa + (page << PAGE_SHIFT)))
			*flush = true;
	}
	return was;
}

/*
 * Copying the log out failed: put back the bits taken from @buf, if the
 * slot at @index still logs with the same size.  A slot replaced by one
 * of the same size meanwhile gets them too: a page reported dirty twice
 * is only copied twice.
 */
static void log_put_back(struct hvx_vm *vm, u32 index, u64 npages,
			 const unsigned long *buf)
{
	struct hvx_memslot *slot;
	size_t w;

	mutex_lock(&vm->mem_lock);
	slot = log_slot(vm, index);
	if (slot && slot->npages == npages)
		for (w = 0; w < BITS_TO_LONGS(npages); w++)
			if (buf[w])
				atomic_long_or(buf[w],
					       (atomic_long_t *)&slot->dirty[w]);
	mutex_unlock(&vm->mem_lock);
}

/**
 * hvx_get_dirty_log() - HVX_GET_DIRTY_LOG
 * @vm: the VM
 * @argp: struct hvx_dirty_log in userspace
 *
 * The log is read into a buffer under vm->mem_lock and copied out after
 * the lock is dropped: the bitmap may lie in a userfaultfd range or a
 * file that takes long to answer, and the VM's EPT faults and slot
 * changes do not wait for it.
 *
 * Context: process context of the VM's creator; takes vm->mem_lock and
 * vm->mmu_lock.
 *
 * Return: 0; -EFAULT when @argp or the bitmap cannot be accessed (the
 * log is then left as it was); -EINVAL for unknown flags, or a slot that
 * is unused or does not log; -ENOMEM.
 */
long hvx_get_dirty_log(struct hvx_vm *vm, void __user *argp)
{
	struct hvx_memslot *slot;
	struct hvx_dirty_log log;
	unsigned long *buf;
	bool flush = false;
	u64 npages;
	size_t w;
	long ret;

	if (copy_from_user(&log, argp, sizeof(log)))
		return -EFAULT;
	if (log.flags & ~HVX_DIRTY_LOG_KEEP)
		return -EINVAL;
	mutex_lock(&vm->mem_lock);
	slot = log_slot(vm, log.slot);
	ret = -EINVAL;
	if (!slot)
		goto out_unlock;
	npages = slot->npages;
	ret = -ENOMEM;
	buf = kvcalloc(log_words(npages), sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		goto out_unlock;

	spin_lock(&vm->mmu_lock);
	for (w = 0; w < BITS_TO_LONGS(npages); w++) {
		/*
		 * Up to 2^21 words: the notifier may come in between two,
		 * as faults may; a write-protected leaf stays until the
		 * flush below, before the log is returned.
		 */
		cond_resched_lock(&vm->mmu_lock);
		if (log.flags & HVX_DIRTY_LOG_KEEP)
			buf[w] = READ_ONCE(slot->dirty[w]);
		else if (READ_ONCE(slot->dirty[w]))
			buf[w] = log_clear_word(vm, slot, w, ~0UL, &flush);
	}
	spin_unlock(&vm->mmu_lock);
	if (flush)
		hvx_ept_flush(vm);
	mutex_unlock(&vm->mem_lock);

	ret = 0;
	if (copy_to_user(u64_to_user_ptr(log.bitmap), buf,
			 log_words(npages) * sizeof(*buf))) {
		/* Put back what was taken: the pages are reported later. */
		if (!(log.flags & HVX_DIRTY_LOG_KEEP))
			log_put_back(vm, log.slot, npages, buf);
		ret = -EFAULT;
	}
	kvfree(buf);
	return ret;

out_unlock:
	mutex_unlock(&vm->mem_lock);
	return ret;
}

/* The range of @c is whole words of the log, and inside the slot. */
static bool clear_range_ok(const struct hvx_clear_dirty_log *c,
			   const struct hvx_memslot *slot)
{
	if (c->pad || !c->num_pages || c->first_page % 64)
		return false;
	if (c->first_page >= slot->npages ||
	    c->num_pages > slot->npages - c->first_page)
		return false;
	return c->num_pages % 64 == 0 ||
	       c->first_page + c->num_pages == slot->npages;
}

/* @c names a logging slot and a range clear_range_ok() takes. */
static bool clear_args_ok(struct hvx_vm *vm,
			  const struct hvx_clear_dirty_log *c)
{
	struct hvx_memslot *slot;
	bool ok;

	mutex_lock(&vm->mem_lock);
	slot = log_slot(vm, c->slot);
	ok = slot && clear_range_ok(c, slot);
	mutex_unlock(&vm->mem_lock);
	return ok;
}

/**
 * hvx_clear_dirty_log() - HVX_CLEAR_DIRTY_LOG
 * @vm: the VM
 * @argp: struct hvx_clear_dirty_log in userspace
 *
 * Clears the bits the user's bitmap names in [first_page, first_page +
 * num_pages) and write-protects those pages again, as
 * HVX_GET_DIRTY_LOG without HVX_DIRTY_LOG_KEEP does for all of them.
 * The user's bitmap is read with vm->mem_lock dropped, as
 * hvx_get_dirty_log() writes it, and the slot looked up again after.
 *
 * Context: as hvx_get_dirty_log().
 *
 * Return: 0; -EFAULT when @argp or the bitmap cannot be read (nothing is
 * cleared then); -EINVAL for a slot that is unused or does not log, a
 * non-zero pad, or a range that is empty, outside the slot or not
 * 64-page aligned as struct hvx_clear_dirty_log says; -ENOMEM.
 */
long hvx_clear_dirty_log(struct hvx_vm *vm, void __user *argp)
{
	struct hvx_clear_dirty_log c;
	struct hvx_memslot *slot;
	unsigned long *buf;
	bool flush = false;
	size_t w, first;
	long ret;

	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	if (!clear_args_ok(vm, &c))
		return -EINVAL;
	buf = kvmalloc_array(log_words(c.num_pages), sizeof(*buf),
			     GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	/* as in hvx_get_dirty_log(): no user access under vm->mem_lock */
	if (copy_from_user(buf, u64_to_user_ptr(c.bitmap),
			   log_words(c.num_pages) * sizeof(*buf))) {
		ret = -EFAULT;
		goto out_free;
	}

	mutex_lock(&vm->mem_lock);
	/* again: the slot may have gone while the bitmap was read */
	slot = log_slot(vm, c.slot);
	ret = -EINVAL;
	if (!slot || !clear_range_ok(&c, slot))
		goto out_unlock;
	/* Bits past the slot's end are ignored: the range ends with it. */
	first = c.first_page / BITS_PER_LONG;
	spin_lock(&vm->mmu_lock);
	for (w = 0; w < BITS_TO_LONGS(c.num_pages); w++) {
		unsigned long mask = buf[w];

		/* as in hvx_get_dirty_log() */
		cond_resched_lock(&vm->mmu_lock);
		if (w == BITS_TO_LONGS(c.num_pages) - 1 &&
		    c.num_pages % BITS_PER_LONG)
			mask &= BIT(c.num_pages % BITS_PER_LONG) - 1;
		if (mask)
			log_clear_word(vm, slot, first + w, mask, &flush);
	}
	spin_unlock(&vm->mmu_lock);
	if (flush)
		hvx_ept_flush(vm);
	ret = 0;
out_unlock:
	mutex_unlock(&vm->mem_lock);
out_free:
	kvfree(buf);
	return ret;
}
