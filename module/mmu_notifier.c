// SPDX-License-Identifier: GPL-2.0
/*
 * The VM's MMU notifier: EPT follows the host's page tables of vm->mm.
 *
 * Whenever the host is about to unmap, move, write-protect, merge or
 * split pages of vm->mm (munmap, reclaim and swap, compaction, KSM, THP
 * splits, MADV_DONTNEED, fork's copy-on-write), it calls
 * invalidate_range_start(); the leaves mapping that range are cleared and
 * every CPU's cached translations of the VM flushed before it returns, so
 * the guest cannot reach the old pages once the host reuses them.  The
 * flush is made under vm->mmu_lock, and also when another path cleared
 * the leaves and has not flushed yet (hvx_ept_flush_locked()).  Until
 * the matching invalidate_range_end(), a fault into the range installs
 * nothing, nor after it a fault that looked its page up before, when a
 * slot maps part of the range (ept.c).  Invalidations of the VMM's own
 * memory, far more frequent, make no fault elsewhere retry.  Reclaim
 * asks which pages the guest used (page aging, below).
 *
 * The callbacks take only vm->mmu_lock, a spinlock: they may run where
 * sleeping is not allowed (the OOM reaper), and under reclaim entered
 * from an allocation made with vm->mem_lock held.  Where the range says
 * the caller may sleep (and at release), a long zap drops the lock
 * between chunks to reschedule (hvx_ept_zap_hva()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/mmu_notifier.h>
#include <linux/spinlock.h>

#include "hvx.h"
#include "mem.h"

static struct hvx_vm *mn_vm(struct mmu_notifier *mn)
{
	return container_of(mn, struct hvx_vm, mmu_notifier);
}

static int hvx_mn_invalidate_range_start(struct mmu_notifier *mn,
					 const struct mmu_notifier_range *range)
{
	struct hvx_vm *vm = mn_vm(mn);

	spin_lock(&vm->mmu_lock);
	/* faults into the range wait for the end: they retry */
	if (!vm->mmu_invalidating++) {
		vm->mmu_inv_start = range->start;
		vm->mmu_inv_end = range->end;
	} else {
		vm->mmu_inv_start = min(vm->mmu_inv_start, range->start);
		vm->mmu_inv_end = max(vm->mmu_inv_end, range->end);
	}
	hvx_ept_zap_hva(vm, range->start, range->end,
			mmu_notifier_range_blockable(range));
	/*
	 * Under the lock: leaves of the range that another path cleared
	 * and has not flushed yet are gone from the tables but not from
	 * every TLB, and the host frees the pages once this returns.
	 */
	hvx_ept_flush_locked(vm);
	spin_unlock(&vm->mmu_lock);
	return 0;
}

static void hvx_mn_invalidate_range_end(struct mmu_notifier *mn,
					const struct mmu_notifier_range *range)
{
	struct hvx_vm *vm = mn_vm(mn);

	/*
	 * A fault that read the old sequence number looked its page up
	 * before or during this invalidation: it must not install it.
	 * Only if a slot maps part of the range: the VMM's own memory
	 * (its heap, a munmap of its buffers) concerns no fault.  A slot
	 * that went meanwhile fails its faults' slots_gen check; one that
	 * came is seen here.
	 */
	spin_lock(&vm->mmu_lock);
	if (hvx_hva_in_slots(vm, range->start, range->end))
		vm->mmu_seq++;
	vm->mmu_invalidating--;
	spin_unlock(&vm->mmu_lock);
}

/*
 * Page aging.  EPT's accessed flags are off (hvx_ept_init()): a leaf is
 * the guest's use of its page since the page was last aged, and aging
 * clears it, so that the next use faults it back and is seen.  Without
 * this, reclaim saw a page the guest works with as idle once the host's
 * own accessed bit was cleared, and swapped it out.  clear_young flushes
 * too: a writable leaf left in a TLB would let the guest write on
 * unseen by a dirty log that write-protects only the leaves it finds.
 */
static int hvx_mn_clear_young(struct mmu_notifier *mn, struct mm_struct *mm,
			      unsigned long start, unsigned long end)
{
	struct hvx_vm *vm = mn_vm(mn);
	bool young;

	spin_lock(&vm->mmu_lock);
	young = hvx_ept_zap_hva(vm, start, end, false);
	if (young)
		hvx_ept_flush_locked(vm);
	spin_unlock(&vm->mmu_lock);
	return young;
}

static int hvx_mn_test_young(struct mmu_notifier *mn, struct mm_struct *mm,
			     unsigned long address)
{
	struct hvx_vm *vm = mn_vm(mn);
	bool young;

	spin_lock(&vm->mmu_lock);
	young = hvx_ept_hva_mapped(vm, address);
	spin_unlock(&vm->mmu_lock);
	return young;
}

/*
 * The mm is going away (its last user exited, or it is being torn down
 * with the VM still open in another process): no page of it may stay in
 * EPT.  The tables stay until the VM is freed.
 */
static void hvx_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct hvx_vm *vm = mn_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_seq++;
	hvx_ept_zap_hva(vm, 0, TASK_SIZE_MAX, true);
	hvx_ept_flush_locked(vm);
	spin_unlock(&vm->mmu_lock);
}

static const struct mmu_notifier_ops hvx_mmu_notifier_ops = {
	.invalidate_range_start	= hvx_mn_invalidate_range_start,
	.invalidate_range_end	= hvx_mn_invalidate_range_end,
	.clear_flush_young	= hvx_mn_clear_young,
	.clear_young		= hvx_mn_clear_young,
	.test_young		= hvx_mn_test_young,
	.release		= hvx_mn_release,
};

/**
 * hvx_mmu_notifier_register() - make EPT follow vm->mm
 * @vm: the new VM: vm->mm set, its memory initialised (hvx_mem_init())
 *
 * Context: process context; takes vm->mm's mmap lock for writing.
 *
 * Return: 0, -ENOMEM, or -ERESTARTNOINTR when a signal came first.
 */
int hvx_mmu_notifier_register(struct hvx_vm *vm)
{
	int err;

	vm->mmu_notifier.ops = &hvx_mmu_notifier_ops;
	err = mmu_notifier_register(&vm->mmu_notifier, vm->mm);
	/*
	 * mm_take_all_locks() gives up on any pending signal, a VMM's timer
	 * signal among them: the caller undoes the VM and the call is made
	 * again once the handler ran, rather than every VMM looping on
	 * EINTR as KVM's must.
	 */
	return err == -EINTR ? -ERESTARTNOINTR : err;
}

/**
 * hvx_mmu_notifier_unregister() - stop following vm->mm
 * @vm: the VM being freed; vm->mm still grabbed
 *
 * Waits for callbacks in flight: afterwards none runs on this VM, and
 * its tables may be freed.  When the mm is still in use, release runs
 * once more and clears every leaf.
 */
void hvx_mmu_notifier_unregister(struct hvx_vm *vm)
{
	mmu_notifier_unregister(&vm->mmu_notifier, vm->mm);
}
