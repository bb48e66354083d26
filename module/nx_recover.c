// SPDX-License-Identifier: GPL-2.0
/*
 * Large EPT pages back for memory an instruction fetch split.
 *
 * Under the iTLB multihit mitigation (hvx_nx_huge_pages) a fetch from a
 * 2 MiB EPT leaf splits it into 4 KiB leaves (hvx_ept_exec_split()), a
 * fetch that is a block's first access maps 4 KiB (ept_install()), and
 * they would stay so while the slot lives, though the guest may have run
 * code there once (a loader, a module later freed) and uses it as data
 * since.  As KVM's recovery thread does, every period a share of the
 * blocks split so (1 / nx_huge_pages_recovery_ratio of them, oldest
 * first) loses its leaves: the next data access maps the block with one
 * 2 MiB leaf again, the next fetch splits it again.
 *
 * The blocks are kept in a ring of HVX_NX_RECOVER_MAX entries per VM, and
 * the table of 4 KiB leaves of each is marked (its page's private word,
 * its entry's index + 1: an entry left behind by a table freed meanwhile,
 * with its slot or by dirty logging, leaves the mark of the block's next
 * table alone):
 * an invalidation that empties a marked table leaves it in place, and the
 * block's next faults map 4 KiB, as KVM keeps such a block small until its
 * recovery; else a block the host ages often would be mapped large, split
 * and noted again and again, and push the others out of the ring.  When
 * the ring is full the oldest is forgotten and its mark cleared: that
 * block stays split until an invalidation empties its table.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "ept.h"
#include "mem.h"

static unsigned int nx_huge_pages_recovery_ratio __read_mostly = 60;
module_param(nx_huge_pages_recovery_ratio, uint, 0644);
MODULE_PARM_DESC(nx_huge_pages_recovery_ratio,
		 "Share (1/N) of the blocks an instruction fetch split that get large EPT pages back each period; 0: never");

static unsigned int nx_huge_pages_recovery_period_ms __read_mostly;
module_param(nx_huge_pages_recovery_period_ms, uint, 0644);
MODULE_PARM_DESC(nx_huge_pages_recovery_period_ms,
		 "Period of that recovery in ms; 0: one hour / ratio, at least 1 s");

/* The period now, in jiffies; 0 when recovery is off. */
static unsigned long recovery_period(void)
{
	unsigned int ratio = READ_ONCE(nx_huge_pages_recovery_ratio);
	unsigned int ms = READ_ONCE(nx_huge_pages_recovery_period_ms);

	if (!ratio)
		return 0;
	if (!ms)
		ms = 3600 * 1000 / min(ratio, 3600U);
	return max(msecs_to_jiffies(ms), 1UL);
}

/*
 * The page of the table of 4 KiB leaves at the 2 MiB block of @gpa; NULL
 * if the block has none.  vm->mem_lock held: tables are linked and
 * unlinked under it.
 */
static struct page *block_table(struct hvx_vm *vm, u64 gpa)
{
	int level;
	u64 *pde = hvx_ept_walk(vm, gpa, 2, &level), e;

	if (!pde || level != 2)
		return NULL;
	/* once: a large leaf there may be cleared meanwhile (mmu_lock) */
	e = READ_ONCE(*pde);
	if (!ept_present(e) || ept_is_leaf(e, 2))
		return NULL;
	return virt_to_page(ept_child(e));
}

/**
 * hvx_nx_recover_pending() - whether a block's table waits for the recovery
 * @table: a table of 4 KiB leaves, vm->mem_lock held
 *
 * Return: true when the table was noted by hvx_nx_recover_note() and is in
 * the ring still: the block stays small even when its leaves all went.
 */
bool hvx_nx_recover_pending(const u64 *table)
{
	return page_private(virt_to_page(table));
}

/* Forget the oldest block; its table may take a large leaf again. */
static u64 recover_pop(struct hvx_vm *vm)
{
	struct hvx_nx_recover *r = &vm->nx_recover;
	u64 gpa = r->gpa[r->head];
	struct page *table = block_table(vm, gpa);

	if (table && page_private(table) == r->head + 1)
		set_page_private(table, 0);
	r->head = (r->head + 1) % HVX_NX_RECOVER_MAX;
	r->n--;
	return gpa;
}

static void nx_recover_work(struct work_struct *work)
{
	struct hvx_vm *vm = container_of(to_delayed_work(work), struct hvx_vm,
					 nx_recover.work);
	struct hvx_nx_recover *r = &vm->nx_recover;
	unsigned int ratio = READ_ONCE(nx_huge_pages_recovery_ratio), k;
	unsigned long period;
	bool flush = false;
	LIST_HEAD(freed);

	/*
	 * Not to wait on the shared workqueue: the VM's owner holds the
	 * lock across copies of its own buffers (the dirty log's), which
	 * a page fault served by userspace can make last.  Busy: next time.
	 */
	if (!mutex_trylock(&vm->mem_lock)) {
		schedule_delayed_work(&r->work, HZ / 10);
		return;
	}
	k = ratio ? DIV_ROUND_UP(r->n, ratio) : 0;
	for (; k; k--) {
		u64 gpa = recover_pop(vm);
		struct hvx_memslot *slot = hvx_find_slot(vm, gpa);

		/* a logging slot maps 4 KiB anyway; a deleted one nothing */
		if (!slot || slot->dirty)
			continue;
		spin_lock(&vm->mmu_lock);
		if (block_table(vm, gpa) &&
		    hvx_ept_unmap(vm, gpa, ept_size(2) >> PAGE_SHIFT, &freed))
			flush = true;
		spin_unlock(&vm->mmu_lock);
	}
	if (flush)
		hvx_ept_flush(vm);
	hvx_ept_free_tables(vm, &freed);
	period = recovery_period();
	if (r->n && period)
		schedule_delayed_work(&r->work, period);
	mutex_unlock(&vm->mem_lock);
}

/**
 * hvx_nx_recover_note() - remember a 2 MiB block a fetch split or made 4 KiB
 * @vm: the VM, vm->mem_lock held
 * @gpa: an address in the block, which has a table of 4 KiB leaves
 *
 * A block noted already is not noted twice.
 */
void hvx_nx_recover_note(struct hvx_vm *vm, u64 gpa)
{
	struct hvx_nx_recover *r = &vm->nx_recover;
	unsigned long period = recovery_period();
	struct page *table;
	unsigned int at;

	lockdep_assert_held(&vm->mem_lock);
	table = block_table(vm, gpa);
	if (!period || !table || page_private(table))
		return;
	if (!r->gpa) {
		r->gpa = kcalloc(HVX_NX_RECOVER_MAX, sizeof(*r->gpa),
				 GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!r->gpa)
			return;		/* it stays split */
	}
	if (r->n == HVX_NX_RECOVER_MAX)
		recover_pop(vm);
	at = (r->head + r->n) % HVX_NX_RECOVER_MAX;
	r->gpa[at] = gpa & ~(ept_size(2) - 1);
	r->n++;
	set_page_private(table, at + 1);
	if (!delayed_work_pending(&r->work))
		schedule_delayed_work(&r->work, period);
}

/**
 * hvx_nx_recover_init() - a new VM's recovery, idle
 * @vm: the VM
 */
void hvx_nx_recover_init(struct hvx_vm *vm)
{
	memset(&vm->nx_recover, 0, sizeof(vm->nx_recover));
	INIT_DELAYED_WORK(&vm->nx_recover.work, nx_recover_work);
}

/**
 * hvx_nx_recover_destroy() - stop the recovery of a VM being freed
 * @vm: the VM, vm->mem_lock not held (the work takes it)
 */
void hvx_nx_recover_destroy(struct hvx_vm *vm)
{
	cancel_delayed_work_sync(&vm->nx_recover.work);
	kfree(vm->nx_recover.gpa);
	vm->nx_recover.gpa = NULL;
}
