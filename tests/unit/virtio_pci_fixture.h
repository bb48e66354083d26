/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unit tests' view of a virtio-pci device on hvx-run's bus: guest RAM
 * with one queue's rings at fixed addresses, the doorbell and MSI route
 * callbacks recorded, config-space and BAR accessors, and a driver's
 * queue set-up.  Included by one test program each.
 */
#ifndef HVX_UNIT_VIRTIO_PCI_FIXTURE_H
#define HVX_UNIT_VIRTIO_PCI_FIXTURE_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "../../userspace/hvx-run/hvx-run.h"
#include "../../userspace/hvx-run/virtio_pci.h"

#define RAM_SIZE	(1 << 20)
#define DESC		0x1000
#define AVAIL		0x2000
#define USED		0x3000
#define BUF		0x8000
#define QSIZE		16

struct calls {
	unsigned int doorbells, undoorbells, routes;
	uint64_t db_gpa;
	bool db_refused;	/* as hvx refuses one over another's */
};

static inline int route(void *ctx, int efd, bool assign, uint64_t a,
			uint32_t d)
{
	struct calls *c = ctx;

	c->routes += assign;
	return 0;
}

static inline int doorbell(void *ctx, int efd, uint64_t gpa, bool on)
{
	struct calls *c = ctx;

	if (on) {
		c->doorbells++;
		if (c->db_refused) {
			errno = EEXIST;
			return -1;
		}
		c->db_gpa = gpa;
	} else {
		c->undoorbells++;
	}
	return 0;
}

static inline uint32_t ecam32(struct io_bus *bus, unsigned int reg)
{
	uint32_t v = 0;

	io_bus_mmio(bus, PCI_ECAM_BASE + (1 << 15) + reg, 4, false,
		    (uint8_t *)&v);
	return v;
}

static inline void wr(struct io_bus *bus, uint64_t gpa, uint64_t v,
		      unsigned int n)
{
	io_bus_mmio(bus, gpa, n, true, (uint8_t *)&v);
}

static inline uint64_t rd(struct io_bus *bus, uint64_t gpa,
			  unsigned int n)
{
	uint64_t v = 0;

	io_bus_mmio(bus, gpa, n, false, (uint8_t *)&v);
	return v;
}

/* Negotiate VERSION_1 (+ EVENT_IDX: bit 29), set queue 0 up, enable. */
static inline void setup_queue(struct io_bus *bus, uint64_t bar)
{
	uint64_t cc = bar + VIRTIO_COMMON_OFF;

	wr(bus, cc + 0x14, 0x03, 1);
	wr(bus, cc + 0x08, 1, 4);
	wr(bus, cc + 0x0c, 1, 4);
	wr(bus, cc + 0x14, 0x0b, 1);
	wr(bus, cc + 0x10, 0, 2);		/* config vector 0 */
	wr(bus, cc + 0x16, 0, 2);
	wr(bus, cc + 0x18, QSIZE, 2);
	wr(bus, cc + 0x1a, 1, 2);		/* queue vector 1 */
	wr(bus, cc + 0x20, DESC, 4);
	wr(bus, cc + 0x24, 0, 4);
	wr(bus, cc + 0x28, AVAIL, 8);
	wr(bus, cc + 0x30, USED, 8);
	wr(bus, cc + 0x1c, 1, 2);
	wr(bus, cc + 0x14, 0x0f, 1);
}

static inline bool wait_efd(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, 5000) != 1)
		return false;
	return read(efd, &v, sizeof(v)) == sizeof(v);
}

#endif
