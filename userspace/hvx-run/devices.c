// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the PCI bus of -k and its virtio devices: virtio-rng always,
 * a virtio-blk per -d, virtio-console with --console virtio, virtio-net
 * with -n.  Their MSI-X vectors reach the guest through HVX_IRQFD, their
 * queue notifications through doorbells (HVX_REGISTER_RANGE with
 * HVX_RANGE_DOORBELL), both on the VM that exists by the time the guest
 * programs them; their INTA# pins, for drivers without MSI-X, the I/O
 * APIC's GSIs 16-23 through the router of irq.c.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "devices.h"
#include "hvx-run.h"
#include "virtio_console.h"
#include "virtio_net.h"

static int route_irqfd(void *ctx, int efd, bool assign, uint64_t address,
		       uint32_t data)
{
	struct machine *m = ctx;

	if (assign)
		return hvx_irqfd_assign(m->vm_fd, efd, address, data);
	return hvx_irqfd_deassign(m->vm_fd, efd);
}

static int set_doorbell(void *ctx, int efd, uint64_t gpa, bool on)
{
	struct machine *m = ctx;
	int r;

	if (on)
		r = hvx_register_doorbell(m->vm_fd, HVX_RING_MMIO, gpa,
					  VIRTIO_NOTIFY_MULT, efd);
	else
		r = hvx_unregister_range(m->vm_fd, HVX_RING_MMIO, gpa,
					 VIRTIO_NOTIFY_MULT);
	if (r < 0)
		msg("doorbell at 0x%llx: %s", (unsigned long long)gpa,
		    strerror(errno));
	return r < 0 ? -1 : 0;
}

/**
 * pci_devices_init() - the bus and the devices, before the VM runs
 * @d: the devices
 * @bus: where the bus's address spaces go
 * @m: the machine
 * @ram: guest RAM
 * @ram_size: its size, at most PCI_MMIO_BASE
 * @disks: the -d arguments
 * @nr_disks: how many, at most HVX_RUN_MAX_DISKS
 * @console: a virtio-console on stdin and stdout (--console virtio),
 *	writing through @m->out when there is one
 * @net: the tap of a virtio-net (-n), or NULL for none
 *
 * Return: 0, or -1 after a message (pci_devices_destroy() cleans up).
 */
int pci_devices_init(struct pci_devices *d, struct io_bus *bus,
		     struct machine *m, void *ram, uint64_t ram_size,
		     const char *const *disks, unsigned int nr_disks,
		     bool console, const struct vnet_spec *net)
{
	struct vq_mem mem = { .base = ram, .size = ram_size };
	unsigned int i;

	memset(d, 0, sizeof(*d));
	d->m = m;
	if (pci_bus_init(&d->pci, bus, route_irqfd, m)) {
		msg("cannot register the PCI bus");
		return -1;
	}
	pci_bus_connect_intx(&d->pci, irq_router_line, &m->irq);
	d->on = true;
	d->rng = virtio_rng_create(&mem, set_doorbell, m);
	if (!d->rng || pci_bus_add(&d->pci, &d->rng->pci))
		return -1;
	if (console) {
		d->console = virtio_console_create(&mem, set_doorbell, m,
						   STDIN_FILENO,
						   m->out ? m->out->wfd :
						   STDOUT_FILENO);
		if (!d->console || pci_bus_add(&d->pci, &d->console->pci))
			return -1;
	}
	if (net) {
		d->net = virtio_net_create(net, &mem, set_doorbell, m);
		if (!d->net || pci_bus_add(&d->pci, &d->net->pci))
			return -1;
	}
	for (i = 0; i < nr_disks; i++) {
		d->disks[i] = virtio_blk_create(disks[i], i, &mem, set_doorbell,
						m);
		if (!d->disks[i])
			return -1;
		d->nr_disks++;
		if (pci_bus_add(&d->pci, &d->disks[i]->pci)) {
			msg("disk %s: no room on the PCI bus", disks[i]);
			return -1;
		}
	}
	return 0;
}

/**
 * pci_devices_start() - start the device threads
 * @d: the devices
 * @tty_raw: stdin is a terminal in raw mode: the console's input
 *	recognises the Ctrl-A escape
 *
 * Return: 0, or -1 after a message.
 */
int pci_devices_start(struct pci_devices *d, bool tty_raw)
{
	unsigned int i;

	if (!d->on)
		return 0;
	if (virtio_start(d->rng))
		return -1;
	if (d->console &&
	    (virtio_start(d->console) ||
	     virtio_console_start_input(d->console, tty_raw, machine_stop_user,
					d->m)))
		return -1;
	if (d->net && virtio_start(d->net))
		return -1;
	for (i = 0; i < d->nr_disks; i++)
		if (virtio_start(d->disks[i]))
			return -1;
	return 0;
}

/**
 * pci_devices_destroy() - stop the threads, free the devices; before the
 * VM goes, as they still hold routes and doorbells on it
 * @d: the devices (pci_devices_init() may have failed or not run)
 */
void pci_devices_destroy(struct pci_devices *d)
{
	unsigned int i;

	if (!d->on)
		return;
	if (d->rng) {
		virtio_stop(d->rng);
		virtio_rng_free(d->rng);
	}
	if (d->console) {
		virtio_console_stop_input(d->console);
		virtio_stop(d->console);
		virtio_console_free(d->console);
	}
	if (d->net) {
		virtio_stop(d->net);
		virtio_net_free(d->net);
	}
	for (i = 0; i < d->nr_disks; i++) {
		virtio_stop(d->disks[i]);
		virtio_blk_free(d->disks[i]);
	}
	pci_bus_destroy(&d->pci);
	d->on = false;
}
