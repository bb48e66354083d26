/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest memory internals shared by memslot.c, ept.c, guest_mem.c and
 * dirty_log.c.
 * Everything here except hvx_vmx_invept_all() runs with vm->mem_lock held,
 * except hvx_ept_zap_hva(), hvx_ept_hva_mapped() and hvx_hva_in_slots(),
 * which need vm->mmu_lock only.
 */
#ifndef HVX_MODULE_MEM_H
#define HVX_MODULE_MEM_H

#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/types.h>
#include <asm/barrier.h>
#include <asm/page.h>

#include "hvx.h"

/*
 * A slot was added or deleted: what a vCPU remembers about which addresses
 * are MMIO is stale (vcpu->mmio_gfn).  vm->mem_lock held.
 */
static inline void hvx_slots_changed(struct hvx_vm *vm)
{
	/* Pairs with the acquire in hvx_exit_ept_violation(). */
	smp_store_release(&vm->slots_gen, vm->slots_gen + 1);
}

/**
 * hvx_find_slot() - the slot containing a guest-physical address
 * @vm: the VM, vm->mem_lock held
 * @gpa: guest-physical address
 *
 * Inline: every EPT violation and every emulated access looks up a slot,
 * and every MMIO access misses them all.
 *
 * Return: the slot, or NULL when @gpa is not guest RAM.
 */
static inline struct hvx_memslot *hvx_find_slot(struct hvx_vm *vm, u64 gpa)
{
	unsigned int i;

	lockdep_assert_held(&vm->mem_lock);
	for (i = 0; i < vm->nr_used_slots; i++) {
		struct hvx_memslot *s = &vm->slots[vm->used_slots[i]];

		/* Unsigned: also false when gpa < s->gpa. */
		if ((gpa - s->gpa) >> PAGE_SHIFT < s->npages)
			return s;
	}
	return NULL;
}

struct vm_area_struct;

bool hvx_vma_backs_guest(struct vm_area_struct *vma, bool readonly);

int hvx_ept_init(struct hvx_vm *vm);
bool hvx_ept_unmap(struct hvx_vm *vm, u64 gpa, u64 npages,
		   struct list_head *freed);
bool hvx_ept_write_protect(struct hvx_vm *vm, u64 gpa);
bool hvx_ept_log_start(struct hvx_vm *vm, struct hvx_memslot *slot);
bool hvx_ept_log_stop(struct hvx_vm *vm, struct hvx_memslot *slot,
		      struct list_head *freed);
bool hvx_ept_zap_hva(struct hvx_vm *vm, unsigned long start,
		     unsigned long end, bool may_yield);
bool hvx_ept_hva_mapped(struct hvx_vm *vm, unsigned long hva);
bool hvx_hva_in_slots(struct hvx_vm *vm, unsigned long start,
		      unsigned long end);
void hvx_ept_free_tables(struct hvx_vm *vm, struct list_head *freed);
int hvx_hwpoison(unsigned long hva);
void hvx_ept_free_all(struct hvx_vm *vm);

void hvx_nx_recover_init(struct hvx_vm *vm);
void hvx_nx_recover_note(struct hvx_vm *vm, u64 gpa);
bool hvx_nx_recover_pending(const u64 *table);
void hvx_nx_recover_destroy(struct hvx_vm *vm);

unsigned long *hvx_dirty_log_alloc(u64 npages);
int hvx_dirty_log_set(struct hvx_vm *vm, struct hvx_memslot *slot, bool on);

#endif /* HVX_MODULE_MEM_H */
