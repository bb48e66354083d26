/* SPDX-License-Identifier: GPL-2.0 */
/*
 * EPT table internals shared by ept.c (building and tearing down the
 * tables) and ept_split.c (splitting large leaves in place).  The
 * functions run with vm->mem_lock held.
 */
#ifndef HVX_MODULE_EPT_H
#define HVX_MODULE_EPT_H

#include <linux/bits.h>
#include <linux/io.h>
#include <linux/mm_types.h>
#include <linux/types.h>
#include <asm/mtrr.h>
#include <asm/vmx.h>

#include "hvx.h"

#define HVX_EPT_LEVELS		4
#define HVX_EPT_ENTRIES		(PAGE_SIZE / sizeof(u64))
#define HVX_EPT_ADDR_MASK	GENMASK_ULL(51, 12)
/* A leaf above level 1: bit 7 of a PDE or PDPTE. */
#define HVX_EPT_LARGE		BIT_ULL(7)
/* The largest leaf hvx builds: 1 GiB, a PDPTE. */
#define HVX_EPT_MAX_LEAF	3

/*
 * A leaf over a page the host mapped writable when the fault looked it up
 * (bit 52 is ignored by the processor): write access may be given to it
 * later without looking the page up again, since any change the host
 * makes to its mapping clears the leaf first.  A leaf without it maps a
 * page the host shares or keeps read-only (KSM, the zero page, copy on
 * write): a write must look the page up for writing, which breaks the
 * sharing and, through the MMU notifier, clears the leaf.
 */
#define HVX_EPT_HOST_WRITABLE	BIT_ULL(52)

/* Non-leaf entries allow everything; the leaf alone decides access. */
#define HVX_EPT_NONLEAF		VMX_EPT_RWX_MASK

/* Guest memory is ordinary RAM: write-back whatever the guest's PAT says. */
#define HVX_EPT_LEAF_ATTR \
	(((u64)MTRR_TYPE_WRBACK << VMX_EPT_MT_EPTE_SHIFT) | VMX_EPT_IPAT_BIT)

static inline unsigned int ept_shift(int level)
{
	return PAGE_SHIFT + 9 * (level - 1);
}

static inline u64 ept_size(int level)
{
	return 1ULL << ept_shift(level);
}

static inline unsigned int ept_index(u64 gpa, int level)
{
	return (gpa >> ept_shift(level)) & (HVX_EPT_ENTRIES - 1);
}

static inline bool ept_present(u64 entry)
{
	return entry & VMX_EPT_RWX_MASK;
}

static inline bool ept_is_leaf(u64 entry, int level)
{
	return level == 1 || (entry & HVX_EPT_LARGE);
}

static inline u64 *ept_child(u64 entry)
{
	return __va(entry & HVX_EPT_ADDR_MASK);
}

u64 *hvx_ept_walk(struct hvx_vm *vm, u64 gpa, int min_level, int *level);
int hvx_ept_get_page(unsigned long hva, bool ro, bool write,
		     struct page **page, bool *writable);
int hvx_ept_host_level(struct mm_struct *mm, unsigned long hva);
bool hvx_ept_level_fits(struct hvx_memslot *slot, u64 gpa, unsigned long hva,
			int level);
void hvx_ept_exec_split(struct hvx_vm *vm, u64 gpa);

/* The present leaf that maps @gpa, or NULL; vm->mem_lock held. */
static inline u64 *ept_lookup(struct hvx_vm *vm, u64 gpa)
{
	int level;

	return hvx_ept_walk(vm, gpa, 1, &level);
}

#endif /* HVX_MODULE_EPT_H */
