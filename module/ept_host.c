// SPDX-License-Identifier: GPL-2.0
/*
 * The host's side of an EPT fault: the page behind a guest page, looked
 * up in the VMM's mm as a user-mode access would fault it in, and how
 * large the host maps it (which bounds the leaf, ept.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/pgtable.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "compat.h"
#include "hvx.h"
#include "mem.h"
#include "ept.h"

/**
 * hvx_hwpoison() - the VMM's SIGBUS for a poisoned page of guest memory
 * @hva: the page's userspace address, in current->mm (the VM's)
 *
 * The page at @hva has a memory error (hardware-poisoned, or poisoned
 * by MADV_HWPOISON): the VMM gets the SIGBUS (BUS_MCEERR_AR, the address,
 * the poisoned page's size) its own access would have got, so that it
 * can give the guest a machine check; left to its default action, it
 * ends the VMM.  HVX_RUN returns EINTR, and the access faults again at
 * the next.  As KVM, for an EPT fault and (unlike KVM) for an access
 * hvx emulates.
 *
 * Return: -EINTR.
 */
int hvx_hwpoison(unsigned long hva)
{
	struct vm_area_struct *vma;
	short lsb = PAGE_SHIFT;

	mmap_read_lock(current->mm);
	vma = vma_lookup(current->mm, hva);
	if (vma && is_vm_hugetlb_page(vma))
		lsb = huge_page_shift(hstate_vma(vma));
	mmap_read_unlock(current->mm);
	send_sig_mceerr(BUS_MCEERR_AR, (void __user *)hva, lsb, current);
	return -EINTR;
}

/*
 * Take a reference on the page at @hva for a fault, only from a mapping
 * that may back guest memory (hvx_vma_backs_guest()).  The reference is
 * short-term: it only keeps the page from being freed until its leaf is
 * installed, and the MMU notifier removes the leaf before the host
 * changes the mapping.  current->mm is the VM's.
 *
 * The lookup may drop the mmap lock and retry the fault, as a user-mode
 * fault does: a userfaultfd range gets its fault event and waits for the
 * handler (with the lock held throughout, the fault failed with SIGBUS
 * and HVX_RUN with EFAULT).  A signal ends the wait (a fatal one only,
 * before 6.2: HVX_FOLL_INTERRUPTIBLE), and HVX_RUN returns EINTR; the
 * access faults again at the next.  The mapping is checked after the
 * lookup, under the lock again: one replaced in between was an
 * invalidation, which the fault's sequence number sees (the leaf is not
 * installed, the guest retries).
 *
 * A write looks the page up for writing.  A read in a writable slot takes
 * the page writable only if the host maps it so already (a fast lookup
 * that faults nothing); else it looks it up for reading, so that a page
 * KSM merged, or the zero page, stays shared while the guest only reads
 * it.  *@writable says which.
 */
int hvx_ept_get_page(unsigned long hva, bool ro, bool write,
		     struct page **page, bool *writable)
{
	struct vm_area_struct *vma;
	bool backs;
	long ret;

	*writable = write ||
		    (!ro && get_user_pages_fast_only(hva, 1, FOLL_WRITE,
						     page) == 1);
	if (*writable && !write)
		ret = 1;
	else
		ret = get_user_pages_unlocked(hva, 1, page,
					      HVX_FOLL_INTERRUPTIBLE |
					      FOLL_HWPOISON |
					      (write ? FOLL_WRITE : 0));
	if (ret == -EHWPOISON)
		return hvx_hwpoison(hva);
	if (ret != 1)
		return ret == -ENOMEM || ret == -EINTR ? ret : -EFAULT;
	mmap_read_lock(current->mm);
	vma = vma_lookup(current->mm, hva);
	backs = vma && hvx_vma_backs_guest(vma, ro);
	mmap_read_unlock(current->mm);
	if (backs)
		return 0;
	put_page(*page);
	return -EFAULT;
}

/*
 * The level at which the host maps @hva: 3 for a 1 GiB page, 2 for
 * 2 MiB, else 1.  A lockless walk of the host's page tables, with
 * interrupts off so that no table is freed under it (x86 frees page
 * tables only after an IPI or an RCU grace period); what it returns may
 * be stale at once, which the retry protocol catches: an unmap or split
 * of the huge page is an invalidation, so the fault will not install.
 */
int hvx_ept_host_level(struct mm_struct *mm, unsigned long hva)
{
	unsigned long flags;
	int level = 1;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (!pgd_present(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (!p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (!pud_present(pud))
		goto out;
	if (pud_leaf(pud)) {
		level = 3;
		goto out;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	if (pmd_present(pmd) && pmd_leaf(pmd))
		level = 2;
out:
	local_irq_restore(flags);
	return level;
}

/*
 * Whether a leaf at @level (2 or 3) may map @gpa of @slot, @hva in the
 * host: the CPU has such leaves, and the whole leaf lies in the slot at
 * the same offset from the host's page as @gpa.  How large the host's
 * page is the caller's to check (hvx_ept_host_level()).
 */
bool hvx_ept_level_fits(struct hvx_memslot *slot, u64 gpa, unsigned long hva,
		       int level)
{
	u64 slot_end = slot->gpa + (slot->npages << PAGE_SHIFT);
	u64 size = ept_size(level);
	u64 base = gpa & ~(size - 1);

	if (level == 3 && !(hvx_vmx.features & HVX_VMX_EPT_1GB))
		return false;
	if (level == 2 && !(hvx_vmx.features & HVX_VMX_EPT_2MB))
		return false;
	if ((gpa ^ hva) & (size - 1))
		return false;
	return base >= slot->gpa && base + size <= slot_end;
}
