// SPDX-License-Identifier: GPL-2.0
/*
 * EPT page tables: built lazily as the guest touches its memory, each leaf
 * mapping what the slot's userspace mapping maps at the time of the fault:
 * a 4 KiB page, or a 2 MiB or 1 GiB one where the host maps the memory
 * with a page that large and the slot's alignment allows.
 *
 * Where iTLB multihit is mitigated (hvx_nx_huge_pages, mitigate.c) large
 * leaves are never executable: an instruction fetch maps 4 KiB, or splits
 * the large leaf it hit into executable 4 KiB leaves (ept_split.c).
 *
 * Nothing is pinned.  The VM's MMU notifier (mmu_notifier.c) clears the
 * leaves of every range the host unmaps or changes, and flushes, before
 * the host may reuse the pages; a fault takes a page reference only until
 * its leaf is installed, and installs it only when no invalidation of
 * its range ran since it looked the page up (vm->mmu_seq,
 * vm->mmu_invalidating and its range: the retry protocol of KVM's MMU
 * notifier).
 *
 * Locking: table pages are linked under vm->mem_lock alone (a new table is
 * zeroed before it is linked, so concurrent walks see a valid one) and
 * unlinked under vm->mem_lock and vm->mmu_lock; leaves are set and cleared
 * under vm->mmu_lock.  A table page is freed only after INVEPT, because a
 * CPU may hold paging-structure entries pointing at it until then.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <asm/mtrr.h>
#include <asm/vmx.h>

#include "compat.h"
#include "hvx.h"
#include "mem.h"
#include "mitigate.h"
#include "ept.h"

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
	if (!zalloc_cpumask_var(&vm->ept.cpus, GFP_KERNEL_ACCOUNT)) {
		free_page((unsigned long)pml4);
		return -ENOMEM;
	}
	vm->ept.pml4 = pml4;
	vm->ept.tables = 1;
	vm->ept.eptp = __pa(pml4) | VMX_EPTP_MT_WB | VMX_EPTP_PWL_4;
	return 0;
}

/*
 * The entry that maps @gpa at @level, allocating missing tables above it.
 * Stops early at a leaf above @level that already maps @gpa: the caller
 * finds it present, and *@at says its level (else @level).  @level itself
 * may hold a table (4 KiB pages mapped there before): the caller then
 * maps smaller.  vm->mem_lock held.
 */
static u64 *ept_entry(struct hvx_vm *vm, u64 gpa, int level, int *at)
{
	u64 *table = vm->ept.pml4;
	int l;

	*at = level;
	for (l = HVX_EPT_LEVELS; l > level; l--) {
		u64 *entry = &table[ept_index(gpa, l)];
		u64 e = READ_ONCE(*entry);

		if (ept_present(e) && ept_is_leaf(e, l)) {
			*at = l;
			return entry;
		}
		if (!ept_present(e)) {
			u64 *child = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

			if (!child)
				return ERR_PTR(-ENOMEM);
			vm->ept.tables++;
			e = __pa(child) | HVX_EPT_NONLEAF;
			WRITE_ONCE(*entry, e);
		}
		table = ept_child(e);
	}
	return &table[ept_index(gpa, level)];
}

/*
 * The present entry that maps @gpa at @min_level or above: a leaf, or
 * the table entry at @min_level; *@level says at which level.  NULL when
 * nothing maps @gpa there.  vm->mem_lock held, so that no table goes.
 */
u64 *hvx_ept_walk(struct hvx_vm *vm, u64 gpa, int min_level, int *level)
{
	u64 *table = vm->ept.pml4;
	int l;

	for (l = HVX_EPT_LEVELS; l >= min_level; l--) {
		u64 *entry = &table[ept_index(gpa, l)];
		u64 e = READ_ONCE(*entry);

		if (!ept_present(e))
			return NULL;
		if (l == min_level || ept_is_leaf(e, l)) {
			*level = l;
			return entry;
		}
		table = ept_child(e);
	}
	return NULL;
}

/*
 * The largest leaf that may map @gpa: the host maps the memory that
 * large and hvx_ept_level_fits() allows it.
 */
static int max_level(struct hvx_vm *vm, struct hvx_memslot *slot, u64 gpa,
		     unsigned long hva)
{
	int level;

	/* Dirty pages are logged, and write-protected, 4 KiB at a time. */
	if (slot->dirty)
		return 1;
	level = min(hvx_ept_host_level(vm->mm, hva), HVX_EPT_MAX_LEAF);
	while (level > 1 && !hvx_ept_level_fits(slot, gpa, hva, level))
		level--;
	return level;
}

/**
 * struct ept_fault - one EPT violation being served
 * @gpa:	the faulting guest-physical address
 * @hva:	where the slot maps it in vm->mm
 * @write:	the access was a write
 * @fetch:	the access was an instruction fetch
 * @ro:		the slot is read-only
 * @writable:	the host maps @page writable (hvx_ept_get_page())
 * @seq:	vm->mmu_seq before the page was looked up
 * @gen:	vm->slots_gen when the slot was found
 * @page:	the page at @hva, referenced
 */
struct ept_fault {
	u64 gpa;
	unsigned long hva;
	bool write;
	bool fetch;
	bool ro;
	bool writable;
	unsigned long seq;
	u64 gen;
	struct page *page;
};

/*
 * A write found a read-only leaf over a page the host did not map
 * writable, and the lookup for writing made no invalidation: the host
 * made the same page writable in place (a copy on write that reused its
 * only copy).  The leaf may take write access then.  vm->mmu_lock held.
 */
static void ept_upgrade(u64 *entry, int level, struct ept_fault *f)
{
	u64 pfn = page_to_pfn(f->page) & ~((ept_size(level) >> PAGE_SHIFT) - 1);

	if ((*entry & HVX_EPT_ADDR_MASK) == PFN_PHYS(pfn))
		WRITE_ONCE(*entry, *entry | VMX_EPT_WRITABLE_MASK |
			   HVX_EPT_HOST_WRITABLE);
}

/*
 * Whether an invalidation may have changed the host's mapping of the
 * @size bytes @f maps since @f->seq was read: one of slot memory ended
 * since (mmu_seq), or one in progress covers part of them.  The others,
 * of the VMM's own memory, leave the fault alone.  vm->mmu_lock held.
 */
static bool ept_invalidated(struct hvx_vm *vm, const struct ept_fault *f,
			    u64 size)
{
	unsigned long lo = f->hva & ~(size - 1), hi = lo + size;

	lockdep_assert_held(&vm->mmu_lock);
	if (vm->mmu_seq != f->seq)
		return true;
	return vm->mmu_invalidating && lo < vm->mmu_inv_end &&
	       vm->mmu_inv_start < hi;
}

/*
 * The table @entry points to if its leaves all went (the host made the
 * block one large page after 4 KiB faults: a THP collapse, or a refault
 * after MADV_DONTNEED): the large leaf takes its place, as KVM's does.
 * Leaves are only made under vm->mem_lock, so it stays empty.  NULL when
 * a leaf is left.  vm->mem_lock held.
 */
static u64 *ept_empty_table(u64 entry)
{
	u64 *table = ept_child(entry);

	return memchr_inv(table, 0, PAGE_SIZE) ? NULL : table;
}

/*
 * Nothing maps the 2 MiB block of @gpa: no leaf, and no table or an empty
 * one (a fault that gave up after ept_entry() made it, an invalidation
 * that cleared its leaves).  vm->mem_lock held.
 */
static bool ept_block_empty(struct hvx_vm *vm, u64 gpa)
{
	int level;
	u64 *entry = hvx_ept_walk(vm, gpa, 2, &level);

	if (!entry || !ept_present(*entry))
		return true;
	return level == 2 && !ept_is_leaf(*entry, 2) && ept_empty_table(*entry);
}

/*
 * Free @table, empty, which a large leaf replaced: only once no CPU holds
 * paging-structure entries that point at it.  vm->mem_lock held.
 */
static void ept_free_replaced(struct hvx_vm *vm, u64 *table)
{
	LIST_HEAD(freed);

	list_add(&virt_to_page(table)->lru, &freed);
	hvx_ept_flush(vm);
	hvx_ept_free_tables(vm, &freed);
}

/*
 * Install the leaf for @f unless an invalidation ran since @f->seq was
 * read (the page may then be gone from the host's page tables), or
 * another vCPU mapped it first.  Either way the guest re-enters and, if
 * nothing maps the address, faults again.  vm->mem_lock held.
 */
static int ept_install(struct hvx_vm *vm, struct hvx_memslot *slot,
		       struct ept_fault *f)
{
	int at, level = max_level(vm, slot, f->gpa, f->hva);
	u64 pfn, prot, *entry, *table = NULL;
	bool note = false;

	/*
	 * No executable large leaf: a fetch maps 4 KiB (ept_split.c).  A
	 * block that could be large and whose first access is this fetch
	 * is noted for the recovery, as a block a fetch split is: else its
	 * data would stay in 4 KiB leaves for as long as the slot lives.
	 */
	if (f->fetch && hvx_nx_huge_pages) {
		note = level > 1 && ept_block_empty(vm, f->gpa);
		level = 1;
	}
	for (;; level--) {
		entry = ept_entry(vm, f->gpa, level, &at);
		if (IS_ERR(entry))
			return PTR_ERR(entry);
		if (level == 1 || !ept_present(*entry) ||
		    ept_is_leaf(*entry, level))
			break;
		/*
		 * else smaller pages map part of the block, or it waits for
		 * the iTLB multihit recovery: map small too
		 */
		if (!hvx_nx_recover_pending(ept_child(*entry))) {
			table = ept_empty_table(*entry);
			if (table)
				break;
		}
	}
	prot = VMX_EPT_READABLE_MASK | VMX_EPT_EXECUTABLE_MASK;
	if (f->writable)
		prot |= HVX_EPT_HOST_WRITABLE;
	/* A logging slot's page becomes writable with its first write. */
	if (f->writable && (!slot->dirty || f->write))
		prot |= VMX_EPT_WRITABLE_MASK;
	if (level > 1)
		prot |= HVX_EPT_LARGE;
	if (level > 1 && hvx_nx_huge_pages)
		prot &= ~VMX_EPT_EXECUTABLE_MASK;
	/* The host page is at least as large and aligned (hvx_ept_host_level()). */
	pfn = page_to_pfn(f->page) & ~((ept_size(level) >> PAGE_SHIFT) - 1);

	spin_lock(&vm->mmu_lock);
	if (ept_invalidated(vm, f, ept_size(max(at, level))))
		goto out;
	/* Logged before the guest can write through the leaf. */
	if (slot->dirty && f->write)
		set_bit((f->gpa - slot->gpa) >> PAGE_SHIFT, slot->dirty);
	if (ept_present(*entry) && !table) {
		if (f->write && !(*entry & VMX_EPT_WRITABLE_MASK))
			ept_upgrade(entry, at, f);
		goto out;
	}
	/*
	 * A larger leaf that ept_entry() found was zapped since: its entry
	 * is no place for a leaf of @level (nor a table).  The guest faults
	 * again and the walk puts a table there.
	 */
	if (at != level)
		goto out;
	WRITE_ONCE(*entry, PFN_PHYS(pfn) | prot | HVX_EPT_LEAF_ATTR);
	/* Read without the lock for statistics: one store. */
	WRITE_ONCE(vm->ept.leaves[level - 1], vm->ept.leaves[level - 1] + 1);
	spin_unlock(&vm->mmu_lock);
	if (table)
		ept_free_replaced(vm, table);
	if (note)
		hvx_nx_recover_note(vm, f->gpa);
	return HVX_FAULT_MAPPED;
out:
	spin_unlock(&vm->mmu_lock);
	return HVX_FAULT_MAPPED;
}

/* What ept_mapped() found. */
enum ept_mapped {
	EPT_UNMAPPED,		/* no leaf for the access, or one over a
				 * page the host shares: fault it in
				 */
	EPT_MADE_WRITABLE,	/* a write-protected page, logged if the
				 * slot logs, and now writable
				 */
	EPT_SPURIOUS,		/* the leaf allowed the access already */
	EPT_MADE_EXECUTABLE,	/* a 4 KiB leaf split from a large one that
				 * was not executable (hvx_nx_huge_pages),
				 * executable now
				 */
	EPT_EXEC_SPLIT,		/* a fetch from a large leaf that is not
				 * executable: split it (hvx_ept_exec_split())
				 */
};

/*
 * Whether a leaf maps @gpa for the access: another vCPU may have mapped
 * it first, or this is the first write to a write-protected page of a
 * writable slot that the host maps writable, which is logged and made
 * writable here.  A read-only leaf over a page the host shares is
 * EPT_UNMAPPED: the page must be looked up for writing.  vm->mem_lock
 * held.
 */
static enum ept_mapped ept_mapped(struct hvx_vm *vm, struct hvx_memslot *slot,
				  u64 gpa, bool write, bool fetch)
{
	enum ept_mapped ret = EPT_UNMAPPED;
	int level;
	u64 *leaf = hvx_ept_walk(vm, gpa, 1, &level);

	if (!leaf)
		return EPT_UNMAPPED;
	spin_lock(&vm->mmu_lock);
	if (!ept_present(*leaf))
		goto out;
	/* only the iTLB multihit mitigation leaves guest RAM not executable */
	if (fetch && !(*leaf & VMX_EPT_EXECUTABLE_MASK)) {
		if (level > 1) {
			ret = EPT_EXEC_SPLIT;
		} else {
			WRITE_ONCE(*leaf, *leaf | VMX_EPT_EXECUTABLE_MASK);
			ret = EPT_MADE_EXECUTABLE;
		}
	} else if (!write || (*leaf & VMX_EPT_WRITABLE_MASK)) {
		ret = EPT_SPURIOUS;
	} else if (*leaf & HVX_EPT_HOST_WRITABLE) {
		/*
		 * Write-protected for the log (now, or before logging was
		 * turned off), over a page the host mapped writable: no
		 * invalidation cleared the leaf since, so it still does.
		 */
		if (slot->dirty)
			set_bit((gpa - slot->gpa) >> PAGE_SHIFT, slot->dirty);
		WRITE_ONCE(*leaf, *leaf | VMX_EPT_WRITABLE_MASK);
		ret = EPT_MADE_WRITABLE;
	}
out:
	spin_unlock(&vm->mmu_lock);
	return ret;
}

/**
 * hvx_ept_fault() - map the guest page behind an EPT violation
 * @vm: the VM
 * @gpa: guest-physical address that faulted
 * @write: the access was a write
 * @fetch: the access was an instruction fetch
 *
 * The slot is looked up under vm->mem_lock, the page outside it (a page
 * fault on the owner's memory may start an invalidation, and may reclaim
 * memory, which may too), and the leaf installed under it again, if the
 * slots and the host's mapping stayed as they were.
 *
 * Context: the vCPU thread (current->mm == vm->mm), may sleep; takes
 * vm->mem_lock and vm->mmu_lock.
 *
 * In a slot with a dirty log, a write sets the page's bit before the
 * leaf lets the guest write (a read maps the page read-only).
 *
 * Return: HVX_FAULT_MAPPED (also when another vCPU mapped the page first,
 * or when a concurrent invalidation or slot change made the guest retry),
 * HVX_FAULT_MMIO when no slot covers @gpa, HVX_FAULT_ROM_WRITE when @write
 * hits a read-only slot, -EFAULT when the userspace page cannot be faulted
 * in or its mapping may not back guest memory (a file other than shmem or
 * hugetlbfs), -ENOMEM, -EINTR when a signal ended the wait for the page
 * (a userfaultfd handler's, say) or the page is poisoned (the caller has
 * SIGBUS pending then).
 */
int hvx_ept_fault(struct hvx_vm *vm, u64 gpa, bool write, bool fetch)
{
	struct hvx_memslot *slot;
	struct ept_fault f;
	int ret;

	if (WARN_ON_ONCE(current->mm != vm->mm))
		return -EFAULT;

	mutex_lock(&vm->mem_lock);
	slot = hvx_find_slot(vm, gpa);
	if (!slot) {
		mutex_unlock(&vm->mem_lock);
		return HVX_FAULT_MMIO;
	}
	f.ro = slot->flags & HVX_MEM_READONLY;
	if (write && f.ro) {
		mutex_unlock(&vm->mem_lock);
		return HVX_FAULT_ROM_WRITE;
	}
	switch (ept_mapped(vm, slot, gpa, write, fetch)) {
	case EPT_UNMAPPED:
		break;
	case EPT_EXEC_SPLIT:
		hvx_ept_exec_split(vm, gpa);
		mutex_unlock(&vm->mem_lock);
		return HVX_FAULT_MAPPED;
	case EPT_SPURIOUS:
		/*
		 * Another vCPU mapped it first.  The EPT violation itself
		 * dropped this CPU's cached translations of the address
		 * (SDM, "Operations that Invalidate Cached Mappings").
		 */
	case EPT_MADE_WRITABLE:
	case EPT_MADE_EXECUTABLE:
		mutex_unlock(&vm->mem_lock);
		return HVX_FAULT_MAPPED;
	}
	f.write = write;
	f.fetch = fetch;
	f.gpa = gpa & PAGE_MASK;
	f.hva = slot->uaddr + (f.gpa - slot->gpa);
	f.gen = vm->slots_gen;
	mutex_unlock(&vm->mem_lock);

	f.seq = READ_ONCE(vm->mmu_seq);
	/*
	 * Read the host's page tables only after the sequence number, so
	 * that a change made before an invalidation ended is either seen
	 * or caught by the check in ept_install(); pairs with the
	 * spin_unlock() of hvx_mn_invalidate_range_end().
	 */
	smp_rmb();
	ret = hvx_ept_get_page(f.hva, f.ro, write, &f.page, &f.writable);
	if (ret)
		return ret;

	mutex_lock(&vm->mem_lock);
	ret = HVX_FAULT_MAPPED;
	slot = hvx_find_slot(vm, gpa);
	if (slot && vm->slots_gen == f.gen)
		ret = ept_install(vm, slot, &f);
	mutex_unlock(&vm->mem_lock);
	/*
	 * The guest writes through a writable leaf without the host's page
	 * tables seeing it: a page the host maps writable but clean (the
	 * fast lookup dirties nothing; a swap-cache page is mapped so at a
	 * read fault) would be dropped by reclaim with the guest's data.
	 * The host cleans a page only after unmapping it, which clears the
	 * leaf, so marking it once here is enough (KVM does the same).
	 */
	if (f.writable)
		SetPageDirty(f.page);
	put_page(f.page);
	return ret;
}

/**
 * hvx_ept_map_own() - map a page of hvx's own where no slot is
 * @vm: the VM
 * @gpa: page-aligned guest-physical address
 * @pfn: the page, hvx's for as long as the VM lives
 *
 * For the APIC-access page (apicv.c): read and write, never execute.
 * A slot that covers @gpa wins: the guest's RAM is never hidden, and a
 * slot added over @gpa later clears the leaf (hvx_set_memory_region()).
 * Invalidations cannot clear it (hvx_ept_zap_hva() walks the slots),
 * nor can a slot's deletion; a leaf cleared all the same faults back in.
 *
 * Context: may sleep; takes vm->mem_lock and vm->mmu_lock.
 *
 * Return: 0 when the leaf is there, -EEXIST when a slot covers @gpa,
 * -ENOMEM.
 */
int hvx_ept_map_own(struct hvx_vm *vm, u64 gpa, u64 pfn)
{
	int at;
	u64 *entry;
	int ret = 0;

	mutex_lock(&vm->mem_lock);
	if (hvx_find_slot(vm, gpa)) {
		ret = -EEXIST;
		goto out;
	}
	entry = ept_entry(vm, gpa, 1, &at);
	if (IS_ERR(entry)) {
		ret = PTR_ERR(entry);
		goto out;
	}
	spin_lock(&vm->mmu_lock);
	/* (a large leaf maps only slot memory: none can be over @gpa) */
	if (at == 1 && !ept_present(*entry)) {
		WRITE_ONCE(*entry, PFN_PHYS(pfn) | VMX_EPT_READABLE_MASK |
			   VMX_EPT_WRITABLE_MASK | HVX_EPT_LEAF_ATTR);
		WRITE_ONCE(vm->ept.leaves[0], vm->ept.leaves[0] + 1);
	}
	spin_unlock(&vm->mmu_lock);
out:
	mutex_unlock(&vm->mem_lock);
	return ret;
}

/**
 * hvx_ept_unmap_own() - clear what hvx_ept_map_own() mapped at @gpa
 * @vm: the VM
 * @gpa: page-aligned guest-physical address
 *
 * Nothing changes where a slot covers @gpa.
 *
 * Context: may sleep; takes vm->mem_lock and vm->mmu_lock.
 */
void hvx_ept_unmap_own(struct hvx_vm *vm, u64 gpa)
{
	bool flush = false;
	LIST_HEAD(freed);

	mutex_lock(&vm->mem_lock);
	if (!hvx_find_slot(vm, gpa)) {
		spin_lock(&vm->mmu_lock);
		flush = hvx_ept_unmap(vm, gpa, 1, &freed);
		spin_unlock(&vm->mmu_lock);
	}
	if (flush)
		hvx_ept_flush(vm);
	hvx_ept_free_tables(vm, &freed);
	mutex_unlock(&vm->mem_lock);
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
	hvx_vmx_invept_all(vm->ept.eptp, vm->ept.cpus);
}

/**
 * hvx_ept_flush_locked() - flush, under vm->mmu_lock, what was cleared
 * @vm: the VM, vm->mmu_lock held
 *
 * A path that clears leaves may flush only after it drops vm->mmu_lock,
 * or drop the lock in the middle of a long walk; until it flushes, a CPU
 * may still reach pages through leaves that are no longer there.  The
 * MMU notifier must not let the host free a page before no CPU can: when
 * it finds the leaves of its range gone it cannot tell whether they were
 * flushed, so every clear sets ept.unflushed and the notifier flushes
 * here, before it drops the lock, whenever that is set.  INVEPT runs by
 * IPI; nobody takes vm->mmu_lock with interrupts off.
 */
void hvx_ept_flush_locked(struct hvx_vm *vm)
{
	lockdep_assert_held(&vm->mmu_lock);
	if (!vm->ept.unflushed)
		return;
	hvx_vmx_invept_all(vm->ept.eptp, vm->ept.cpus);
	vm->ept.unflushed = false;
}

/*
 * Clear the leaves of [start, end) below @table (at @level) and, with
 * @freed, unlink tables that end up empty, queueing them on @freed.  A
 * large leaf that the range covers only in part goes as a whole: the rest
 * of it faults back in.  Returns true when an entry changed, i.e. when a
 * flush is needed.  vm->mmu_lock held; with @freed, vm->mem_lock too.
 */
static bool ept_unmap_level(struct hvx_vm *vm, u64 *table, int level,
			    u64 start, u64 end, struct list_head *freed)
{
	u64 span = ept_size(level);
	bool changed = false;
	u64 addr, next;

	for (addr = start; addr < end; addr = next) {
		u64 *entry = &table[ept_index(addr, level)];
		u64 *child;

		next = min((addr & ~(span - 1)) + span, end);
		if (!ept_present(*entry))
			continue;
		if (ept_is_leaf(*entry, level)) {
			WRITE_ONCE(*entry, 0);
			WRITE_ONCE(vm->ept.leaves[level - 1],
				   vm->ept.leaves[level - 1] - 1);
			vm->ept.unflushed = true;
			changed = true;
			continue;
		}
		/*
		 * Up to 2^27 leaves per slot.  A slot deletion may let the
		 * notifier in here: it only clears leaves (and flushes what
		 * this walk cleared so far: ept.unflushed), and the tables
		 * this walk stands on are unlinked only by the holder of
		 * vm->mem_lock, which is this walk.
		 */
		if (level == 2 && freed)
			cond_resched_lock(&vm->mmu_lock);
		child = ept_child(*entry);
		if (ept_unmap_level(vm, child, level - 1, addr, next, freed))
			changed = true;
		/* Slots need not be table-aligned: a neighbour may use it. */
		if (!freed || memchr_inv(child, 0, PAGE_SIZE))
			continue;
		WRITE_ONCE(*entry, 0);
		list_add(&virt_to_page(child)->lru, freed);
		/* a CPU may hold entries of the table until INVEPT */
		vm->ept.unflushed = true;
		changed = true;
	}
	return changed;
}

/**
 * hvx_ept_unmap() - clear the EPT entries of a guest-physical range
 * @vm: the VM, vm->mem_lock and vm->mmu_lock held
 * @gpa: page-aligned start
 * @npages: length in pages
 * @freed: collects table pages that became empty and were unlinked
 *
 * Nothing is released here: the caller flushes with hvx_ept_flush() when
 * this returns true, and only then calls hvx_ept_free_tables() on @freed.
 *
 * Return: true when an entry was cleared.
 */
bool hvx_ept_unmap(struct hvx_vm *vm, u64 gpa, u64 npages,
		   struct list_head *freed)
{
	lockdep_assert_held(&vm->mem_lock);
	lockdep_assert_held(&vm->mmu_lock);
	return ept_unmap_level(vm, vm->ept.pml4, HVX_EPT_LEVELS, gpa,
			       gpa + (npages << PAGE_SHIFT), freed);
}

/* The part [@lo, @hi) of [@start, @end) that slot @s maps; false if none. */
static bool slot_hva_part(const struct hvx_memslot *s, unsigned long start,
			  unsigned long end, u64 *lo, u64 *hi)
{
	*lo = max_t(u64, start, s->uaddr);
	*hi = min_t(u64, end, s->uaddr + (s->npages << PAGE_SHIFT));
	return *lo < *hi;
}

/**
 * hvx_hva_in_slots() - whether a slot maps part of a range of vm->mm
 * @vm: the VM, vm->mmu_lock held
 * @start: first userspace address
 * @end: one past the last
 *
 * Return: true when some slot in use maps part of [@start, @end).
 */
bool hvx_hva_in_slots(struct hvx_vm *vm, unsigned long start,
		      unsigned long end)
{
	unsigned int i;
	u64 lo, hi;

	lockdep_assert_held(&vm->mmu_lock);
	for (i = 0; i < vm->nr_used_slots; i++)
		if (slot_hva_part(&vm->slots[vm->used_slots[i]], start, end,
				  &lo, &hi))
			return true;
	return false;
}

/**
 * hvx_ept_hva_mapped() - whether a leaf maps an address of vm->mm
 * @vm: the VM, vm->mmu_lock held (no table is unlinked without it)
 * @hva: the userspace address
 *
 * Return: true when a slot maps @hva and a leaf maps that guest page.
 */
bool hvx_ept_hva_mapped(struct hvx_vm *vm, unsigned long hva)
{
	unsigned int i;
	int level;
	u64 lo, hi;

	lockdep_assert_held(&vm->mmu_lock);
	for (i = 0; i < vm->nr_used_slots; i++) {
		struct hvx_memslot *s = &vm->slots[vm->used_slots[i]];

		if (slot_hva_part(s, hva, hva + 1, &lo, &hi) &&
		    hvx_ept_walk(vm, s->gpa + (lo - s->uaddr), 1, &level))
			return true;
	}
	return false;
}

/*
 * Userspace bytes of slots one zap clears under vm->mmu_lock at most,
 * before it may yield: up to 2^18 leaves (of each slot that maps them),
 * a millisecond or two.  An 8 GiB slot of pages read once (the zero page)
 * times 32 slots is 64M leaves, too long for one hold of a spinlock.
 */
#define HVX_ZAP_CHUNK	SZ_1G

/* The first address in [@start, @end) that a slot maps, or @end. */
static unsigned long slots_first_hva(struct hvx_vm *vm, unsigned long start,
				     unsigned long end)
{
	unsigned long first = end;
	unsigned int i;
	u64 lo, hi;

	for (i = 0; i < vm->nr_used_slots; i++)
		if (slot_hva_part(&vm->slots[vm->used_slots[i]], start, end,
				  &lo, &hi))
			first = min_t(unsigned long, first, lo);
	return first;
}

/* Every slot's part of [@start, @end) loses its leaves. */
static bool zap_hva_chunk(struct hvx_vm *vm, unsigned long start,
			  unsigned long end)
{
	bool changed = false;
	unsigned int i;

	for (i = 0; i < vm->nr_used_slots; i++) {
		struct hvx_memslot *s = &vm->slots[vm->used_slots[i]];
		u64 lo, hi;

		if (!slot_hva_part(s, start, end, &lo, &hi))
			continue;
		if (ept_unmap_level(vm, vm->ept.pml4, HVX_EPT_LEVELS,
				    s->gpa + (lo - s->uaddr),
				    s->gpa + (hi - s->uaddr), NULL))
			changed = true;
	}
	return changed;
}

/**
 * hvx_ept_zap_hva() - clear the leaves that map a range of vm->mm
 * @vm: the VM, vm->mmu_lock held
 * @start: first userspace address
 * @end: one past the last
 * @may_yield: the caller may sleep: vm->mmu_lock may be dropped between
 *	chunks of HVX_ZAP_CHUNK bytes for a reschedule
 *
 * For the MMU notifier: every slot's part of [@start, @end) loses its
 * leaves.  Tables stay (they are freed with their slot), so that this
 * needs no allocation, no sleep and not vm->mem_lock.  While the lock is
 * dropped, slots may come and go and a slot's deletion may unlink
 * tables: each chunk looks the slots up again and walks from the root.
 * Faults into the range install nothing meanwhile (the caller's
 * mmu_invalidating, or its mmu_seq), and the pages the cleared leaves
 * mapped stay the host's until the caller, having flushed, returns.
 *
 * Return: true when a leaf was cleared: the caller must flush before the
 * host may reuse the pages.
 */
bool hvx_ept_zap_hva(struct hvx_vm *vm, unsigned long start,
		     unsigned long end, bool may_yield)
{
	bool changed = false;
	unsigned long next;

	lockdep_assert_held(&vm->mmu_lock);
	/*
	 * The slots' parts are page-aligned: no rounding of @end, which
	 * may be ULONG_MAX (a soft-dirty clear covers the whole mm).
	 */
	start = round_down(start, PAGE_SIZE);
	while (start < end) {
		next = end - start > HVX_ZAP_CHUNK ? start + HVX_ZAP_CHUNK :
						     end;
		if (zap_hva_chunk(vm, start, next))
			changed = true;
		if (next == end)
			break;
		/*
		 * Flushed before the lock goes: a dirty-log read that takes
		 * it finds these leaves gone, and must not leave one
		 * writable in a TLB unflushed.  Only then: the caller
		 * flushes once, at the end.
		 */
		if (may_yield &&
		    (need_resched() || spin_needbreak(&vm->mmu_lock))) {
			hvx_ept_flush_locked(vm);
			cond_resched_lock(&vm->mmu_lock);
		}
		/* over the gaps between slots: a release covers the mm */
		start = slots_first_hva(vm, next, end);
	}
	return changed;
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
		set_page_private(page, 0);	/* nx_recover.c's mark */
		__free_page(page);
		vm->ept.tables--;
	}
}

static void ept_free_level(struct hvx_vm *vm, u64 *table, int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < HVX_EPT_ENTRIES; i++)
			if (ept_present(table[i]) &&
			    !ept_is_leaf(table[i], level))
				ept_free_level(vm, ept_child(table[i]),
					       level - 1);
		/* A big guest has many tables; vm->mem_lock is a mutex. */
		if (level == 2)
			cond_resched();
	}
	set_page_private(virt_to_page(table), 0);
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
	free_cpumask_var(vm->ept.cpus);
	WARN_ON_ONCE(vm->ept.tables);
}
