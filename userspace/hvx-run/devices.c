// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the devices of a run on their bus: those every guest has (the
 * UART, the debug exit, the i8042, the CMOS clock), the PC platform of -k
 * (platform.c), and its PCI bus with the virtio devices: virtio-rng always,
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
	/* a refused registration the transport says, once (sync_doorbells()) */
	if (r < 0 && !on)
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

/**
 * devices_init() - build the devices of a run on @d's bus
 * @d: the devices, zeroed
 * @cfg: what the command line asks for
 * @m: the machine: its out stream (the UART's output) and, once the VM
 *	exists, its vm_fd (the routes and doorbells)
 * @ram: guest RAM; with @cfg->pc, platform_build_tables() already wrote
 *	the tables into it
 *
 * Every device is initialized before the first step that can fail, so
 * devices_stop() and devices_destroy() undo this whatever part of it ran.
 *
 * Return: 0, or -1 with a message printed.
 */
int devices_init(struct devices *d, const struct devices_cfg *cfg,
		 struct machine *m, void *ram)
{
	d->begun = true;
	d->log = msg_stream_open();
	io_bus_init(&d->bus, d->log ? d->log : stderr);
	m->bus = &d->bus;
	/* with --console virtio, stdin is hvc0's alone */
	serial_init(&d->com1, cfg->console_virtio ? -1 : STDIN_FILENO,
		    m->out->wfd);
	i8042_init(&d->kbc, machine_stop, m);
	rtc_init(&d->rtc, cfg->ram_size, NULL, NULL);
	if (serial_register(&d->com1, &d->bus, SERIAL_COM1_BASE) ||
	    debug_exit_register(&d->dbg, &d->bus, machine_stop, m) ||
	    i8042_register(&d->kbc, &d->bus) ||
	    rtc_register(&d->rtc, &d->bus)) {
		msg("cannot register the devices");
		return -1;
	}
	if (cfg->pc) {
		if (platform_init(&d->plat, m, &d->bus, &d->com1, &d->rtc,
				  cfg->cmdline))
			return -1;
		/* under -k a reset is the guest's reboot, whichever way */
		d->kbc.reset_status = HVX_RUN_EXIT_REBOOT;
		platform_write_firmware(&d->plat, ram);
	}
	if ((cfg->nr_disks || cfg->console_virtio || cfg->net) &&
	    !d->plat.acpi.pci) {
		msg("-d, -n, --console virtio: no PCI bus with more than 3G of RAM");
		return -1;
	}
	if (d->plat.acpi.pci &&
	    pci_devices_init(&d->pdev, &d->bus, m, ram, cfg->ram_size,
			     cfg->disks, cfg->nr_disks, cfg->console_virtio,
			     cfg->net))
		return -1;
	return 0;
}

/**
 * devices_stop() - stop what may still send interrupts, before the VM goes
 * @d: the devices (devices_init() may have failed, or not have run)
 *
 * The device threads may still send MSIs: they stop before the VM goes.
 * The PCI devices drive INTx lines into the I/O APIC: they stop before
 * the platform's chips go.
 */
void devices_stop(struct devices *d)
{
	/* zeroed, a UART's descriptors would read as fd 0 */
	if (!d->begun)
		return;
	serial_stop_input(&d->com1);
	pci_devices_destroy(&d->pdev);
	platform_destroy(&d->plat);
}

/**
 * devices_destroy() - free what devices_stop() left
 * @d: the devices, stopped
 */
void devices_destroy(struct devices *d)
{
	if (!d->begun)
		return;
	rtc_destroy(&d->rtc);
	i8042_destroy(&d->kbc);
	serial_destroy(&d->com1);
	io_bus_destroy(&d->bus);
	if (d->log)
		fclose(d->log);
	d->log = NULL;
	d->begun = false;
}
