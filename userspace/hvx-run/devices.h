/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx-run: the devices of a run, the PCI bus of -k and the virtio devices
 * on it (devices.c).
 */
#ifndef HVX_RUN_DEVICES_H
#define HVX_RUN_DEVICES_H

#include <stdint.h>

#include "hvx-run.h"
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

/**
 * struct devices_cfg - what the command line asks of a run's devices
 * @pc:		-k: the PC platform
 * @cmdline:	the kernel command line fw_cfg offers (-p), or NULL
 * @ram_size:	guest RAM's size
 * @disks:	-d's image files
 * @nr_disks:	how many
 * @console_virtio: --console virtio: stdin is hvc0's, not the UART's
 * @net:	-n's tap, or NULL
 */
struct devices_cfg {
	bool pc;
	const char *cmdline;
	uint64_t ram_size;
	const char *const *disks;
	unsigned int nr_disks;
	bool console_virtio;
	const struct vnet_spec *net;
};

/**
 * struct devices - the devices of one run: the port bus and what hangs
 * on it
 * @log:	unhandled accesses: msg()'s stream
 * @bus:	the port and MMIO bus
 * @com1:	the UART
 * @dbg:	the debug exit port
 * @kbc:	the i8042
 * @rtc:	the CMOS clock
 * @plat:	-k: the PC platform
 * @pdev:	-k: the PCI bus and its devices (-d, -n, --console virtio)
 * @begun:	devices_init() ran, in whole or in part: there is something
 *		for devices_stop() and devices_destroy() to undo
 */
struct devices {
	FILE *log;
	struct io_bus bus;
	struct serial com1;
	struct debug_exit dbg;
	struct i8042 kbc;
	struct rtc rtc;
	struct platform plat;
	struct pci_devices pdev;
	bool begun;
};

int devices_init(struct devices *d, const struct devices_cfg *cfg,
		 struct machine *m, void *ram);
void devices_stop(struct devices *d);
void devices_destroy(struct devices *d);

int pci_devices_init(struct pci_devices *d, struct io_bus *bus,
		     struct machine *m, void *ram, uint64_t ram_size,
		     const char *const *disks, unsigned int nr_disks,
		     bool console, const struct vnet_spec *net);
int pci_devices_start(struct pci_devices *d, bool tty_raw);
void pci_devices_destroy(struct pci_devices *d);

#endif /* HVX_RUN_DEVICES_H */
