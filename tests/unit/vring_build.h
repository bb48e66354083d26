/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split rings built by hand in a test's fake guest RAM, as a driver
 * would: a descriptor, a chain made available, a wait for the used one.  After hvx-run.h
 * (put_le*()).
 */
#ifndef HVX_TEST_VRING_BUILD_H
#define HVX_TEST_VRING_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

/* Descriptor @i of the table at guest-physical @table. */
static inline void set_desc(uint8_t *ram, uint64_t table, unsigned int i,
			    uint64_t addr, uint32_t len, uint16_t flags,
			    uint16_t next)
{
	uint8_t *d = ram + table + 16 * i;

	put_le64(d, addr);
	put_le32(d + 8, len);
	put_le16(d + 12, flags);
	put_le16(d + 14, next);
}

/*
 * Make chain @head available in the ring at @avail; *@next is its idx.
 * The index is published as a driver does, after the entry (release):
 * a device thread may be reading it (x86: little-endian already).
 */
static inline void vring_offer(uint8_t *ram, uint64_t avail, uint16_t qsize,
			       uint16_t *next, uint16_t head)
{
	put_le16(ram + avail + 4 + 2 * (*next % qsize), head);
	(*next)++;
	__atomic_store_n((uint16_t *)(ram + avail + 2), *next,
			 __ATOMIC_RELEASE);
}

/* Wait until the used ring at @used reads index @idx; false after 5 s. */
static inline bool vring_wait_used(uint8_t *ram, uint64_t used, uint16_t idx)
{
	unsigned int ms;

	for (ms = 0; ms < 5000; ms++) {
		if (__atomic_load_n((uint16_t *)(ram + used + 2),
				    __ATOMIC_ACQUIRE) == idx)
			return true;
		usleep(1000);
	}
	return false;
}

#endif /* HVX_TEST_VRING_BUILD_H */
