/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest memory internals shared by memslot.c, ept.c and guest_mem.c.
 * Everything here except hvx_vmx_invept_all() runs with vm->mem_lock held.
 */
#ifndef HVX_MODULE_MEM_H
#define HVX_MODULE_MEM_H

#include <linux/list.h>
#include <linux/types.h>

#include "hvx.h"

struct hvx_memslot *hvx_find_slot(struct hvx_vm *vm, u64 gpa);

int hvx_ept_init(struct hvx_vm *vm);
bool hvx_ept_unmap(struct hvx_vm *vm, u64 gpa, u64 npages,
		   struct list_head *freed);
void hvx_ept_free_tables(struct hvx_vm *vm, struct list_head *freed);
void hvx_ept_free_all(struct hvx_vm *vm);

#endif /* HVX_MODULE_MEM_H */
