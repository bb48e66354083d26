/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What ring_test.c and ring_request_test.c share: the guest's ports and
 * MMIO ranges, and the host side's ring setup, range registration and
 * statistics.
 */
#ifndef SELFTEST_HVX_RING_UTIL_H
#define SELFTEST_HVX_RING_UTIL_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "hvx_harness.h"
#include "thread_kick.h"

#define PORT_POSTED	0x500		/* 4 ports, posted */
#define PORT_SYNC	0x600		/* 4 ports, ring requests */
#define PORT_DOORBELL	0x700		/* 1 port, doorbell */
#define MMIO_POSTED_GPA	0x40000000ULL	/* 4 KiB, posted */
#define MMIO_SYNC_GPA	0x40100000ULL	/* 4 KiB, ring requests */
#define MMIO_DB_GPA	0x40200000ULL	/* 4 bytes, doorbell */

#define SYNC_ITERS	200
#define IN_MAGIC	0xabcd1234U

static inline int ring_setup(struct test_vm *vm, uint32_t entries,
			     uint32_t flags, int efd, struct hvx_ring_map *map)
{
	int fd = hvx_create_ring(vm->fd, entries, flags, efd);

	TEST_ASSERT(fd >= 0, "HVX_CREATE_RING: %s", strerror(errno));
	TEST_ASSERT(!hvx_ring_map(fd, map), "ring mmap: %s", strerror(errno));
	return fd;
}

static inline void ring_teardown(struct hvx_ring_map *map)
{
	hvx_ring_unmap(map);
	close(map->fd);
}

static inline void register_posted(struct test_vm *vm)
{
	TEST_ASSERT(!hvx_register_posted(vm->fd, HVX_RING_PIO, PORT_POSTED, 4,
					 0), "posted PIO: %s", strerror(errno));
	TEST_ASSERT(!hvx_register_posted(vm->fd, HVX_RING_MMIO,
					 MMIO_POSTED_GPA, 4096, 0),
		    "posted MMIO: %s", strerror(errno));
}

static inline bool ring_supported(void)
{
	return hvx_vm_supported() &&
	       (hvx_dev_caps()->hvx_features & HVX_FEAT_RING);
}

/*
 * The ring_posted and ring_fallback totals of this process's only VM, as
 * hvx-stat (netlink) reports them; false when hvx-stat is not there, or
 * reports no such counters (a test where HVX_STAT exists asserts them).
 */
static inline bool vm_ring_stats(uint64_t *posted, uint64_t *fallback)
{
	return vm_stat("ring_posted", posted) &&
	       vm_stat("ring_fallback", fallback);
}

#define HVX_REQUIRE_RING()						\
	HVX_REQUIRE(ring_supported(), "hvx without HVX_FEAT_RING")

#endif /* SELFTEST_HVX_RING_UTIL_H */
