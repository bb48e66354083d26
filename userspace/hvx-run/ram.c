// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM: where in hvx-run's address space it lives, so that the host
 * can back it with huge pages, and hvx map it with 2 MiB EPT pages.
 *
 * Transparent huge pages back a range only in 2 MiB blocks aligned in
 * the process's address space; hvx maps a 2 MiB EPT page only where the
 * guest-physical address has the same offset in its 2 MiB block as the
 * host address.  RAM starts at guest-physical 0, so a 2 MiB aligned
 * mapping lines both up.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "hvx-run.h"

/* Rounded up to whole 2 MiB blocks: the tail block may be huge too. */
static uint64_t ram_span(uint64_t size)
{
	return (size + SZ_2M - 1) & ~(SZ_2M - 1);
}

/* Anonymous memory, 2 MiB aligned, marked for THP. */
static void *ram_alloc_thp(uint64_t size)
{
	uint64_t span = ram_span(size);
	uint8_t *p, *aligned;
	uintptr_t head;

	p = mmap(NULL, span + SZ_2M, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	head = (SZ_2M - ((uintptr_t)p & (SZ_2M - 1))) & (SZ_2M - 1);
	aligned = p + head;
	if (head)
		munmap(p, head);
	munmap(aligned + span, SZ_2M - head);
	/* Only advice: a host with THP off still runs the guest. */
	madvise(aligned, span, MADV_HUGEPAGE);
	return aligned;
}

/**
 * ram_alloc() - map guest RAM
 * @size: bytes, a multiple of 4 KiB
 * @hugetlb: from the hugetlbfs pool (MAP_HUGETLB, the default huge page
 *	     size), else anonymous memory THP may back
 *
 * Return: the mapping, or NULL with errno set (ENOMEM when the hugetlbfs
 * pool has too few free pages).
 */
void *ram_alloc(uint64_t size, bool hugetlb)
{
	void *p;

	if (!hugetlb)
		return ram_alloc_thp(size);
	p = mmap(NULL, ram_span(size), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1,
		 0);
	return p == MAP_FAILED ? NULL : p;
}

/**
 * ram_free() - unmap what ram_alloc() mapped
 * @ram: the mapping
 * @size: the size given to ram_alloc()
 */
void ram_free(void *ram, uint64_t size)
{
	munmap(ram, ram_span(size));
}
