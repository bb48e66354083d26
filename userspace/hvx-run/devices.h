/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx-run: the PCI bus of -k and the virtio devices on it (devices.c).
 */
#ifndef HVX_RUN_DEVICES_H
#define HVX_RUN_DEVICES_H

#include <stdint.h>

#include "pci.h"
#include "virtio_pci.h"

#define HVX_RUN_MAX_DISKS	8

struct io_bus;
struct machine;
struct vnet_spec;

/**
 * struct pci_devices - the bus and its devices
 * @pci:	the host bridge and bus 0
 * @m:		the machine, whose vm_fd the routes and doorbells use
 * @rng:	virtio-rng
 * @console:	virtio-console on stdin/stdout (--console virtio), or NULL
 * @net:	virtio-net on a tap (-n), or NULL
 * @disks:	virtio-blk, one per -d
 * @nr_disks:	how many
 * @on:		pci_devices_init() succeeded
 */
struct pci_devices {
	struct pci_bus pci;
	struct machine *m;
	struct virtio_dev *rng;
	struct virtio_dev *console;
	struct virtio_dev *net;
	struct virtio_dev *disks[HVX_RUN_MAX_DISKS];
	unsigned int nr_disks;
	bool on;
};

int pci_devices_init(struct pci_devices *d, struct io_bus *bus,
		     struct machine *m, void *ram, uint64_t ram_size,
		     const char *const *disks, unsigned int nr_disks,
		     bool console, const struct vnet_spec *net);
int pci_devices_start(struct pci_devices *d, bool tty_raw);
void pci_devices_destroy(struct pci_devices *d);

#endif /* HVX_RUN_DEVICES_H */
