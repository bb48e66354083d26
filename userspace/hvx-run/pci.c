// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the PCI host bridge, bus 0 and its configuration space.
 *
 * Configuration space is a byte array with a write mask per byte, so
 * that the whole 1-4 byte accesses of the configuration ports
 * (config_port_access()) and the 1-8 byte ones of ECAM behave alike.
 * Writing all ones to a BAR and reading it back gives its size, as the
 * mask keeps the low bits.  MSI-X lives in pci_msix.c, the interrupt
 * pin in pci_intx.c.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "hvx-run.h"
#include "pci.h"
#include "pci_msix.h"

static void put_cfg16(struct pci_dev *d, unsigned int off, uint16_t v)
{
	put_le16(d->cfg + off, v);
}

/**
 * pci_dev_init() - a function with an empty type 0 header
 * @d: the function
 * @vendor: vendor ID
 * @device: device ID
 * @class: class code, subclass, programming interface (24 bits)
 * @revision: revision ID
 *
 * The command register's memory, bus master and INTx disable bits are
 * writable, the interrupt line too; there is no interrupt pin unless
 * pci_add_intx() adds it.
 */
void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device,
		  uint32_t class, uint8_t revision)
{
	unsigned int i;

	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	put_cfg16(d, PCI_VENDOR_ID, vendor);
	put_cfg16(d, PCI_DEVICE_ID, device);
	d->cfg[PCI_REVISION_ID] = revision;
	d->cfg[PCI_CLASS_PROG] = class;
	d->cfg[PCI_CLASS_PROG + 1] = class >> 8;
	d->cfg[PCI_CLASS_PROG + 2] = class >> 16;
	put_le16(d->wmask + PCI_COMMAND, PCI_COMMAND_MEMORY |
		 PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE);
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->cfg[PCI_INTERRUPT_LINE] = 0xff;
	d->cap_next = PCI_CAP_START;
	for (i = 0; i < PCI_MSIX_MAX_VECTORS; i++)
		d->msix[i].efd = -1;
}

/**
 * pci_dev_destroy() - free what a function holds: its vectors' eventfds
 * and routes
 * @d: the function
 */
void pci_dev_destroy(struct pci_dev *d)
{
	pci_msix_destroy(d);
	pthread_mutex_destroy(&d->lock);
}

/**
 * pci_add_bar() - give a function a 32-bit memory BAR
 * @d: the function, before pci_bus_add()
 * @bar: 0-5
 * @size: a power of two, 4 KiB or more
 *
 * Return: 0, or -1 for a bad @bar or @size.
 */
int pci_add_bar(struct pci_dev *d, unsigned int bar, uint32_t size)
{
	if (bar >= PCI_NUM_BARS || size < 0x1000 || (size & (size - 1)))
		return -1;
	d->bar_size[bar] = size;
	put_le32(d->wmask + PCI_BAR0 + 4 * bar, ~(size - 1));
	return 0;
}

/**
 * pci_add_cap() - append a capability to a function's list
 * @d: the function, before pci_bus_add()
 * @id: the capability ID
 * @body: its bytes after the ID and the next pointer
 * @len: the capability's length, ID and next pointer included
 *
 * Return: its offset in configuration space, or 0 when it does not fit.
 */
uint8_t pci_add_cap(struct pci_dev *d, uint8_t id, const void *body,
		    uint8_t len)
{
	unsigned int at = d->cap_next;

	/* cap_next 0: the last one ended at the end of the space */
	if (len < 2 || !at || at + len > PCI_CFG_SIZE)
		return 0;
	d->cfg[at] = id;
	d->cfg[at + 1] = 0;
	memcpy(d->cfg + at + 2, body, len - 2);
	if (d->cap_last)
		d->cfg[d->cap_last + 1] = at;
	else
		d->cfg[PCI_CAPABILITY_LIST] = at;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->cap_last = at;
	d->cap_next = (at + len + 3) & ~3U;
	return at;
}

/**
 * pci_bar_address() - where a BAR is now
 * @d: the function
 * @bar: 0-5
 *
 * Return: its guest-physical address, 0 when it has none.
 */
uint32_t pci_bar_address(struct pci_dev *d, unsigned int bar)
{
	uint32_t v;

	pthread_mutex_lock(&d->lock);
	v = get_le32(d->cfg + PCI_BAR0 + 4 * bar) & PCI_BAR_MEM_MASK;
	pthread_mutex_unlock(&d->lock);
	return v;
}

static bool command_has(struct pci_dev *d, uint16_t bit)
{
	bool on;

	pthread_mutex_lock(&d->lock);
	on = get_le16(d->cfg + PCI_COMMAND) & bit;
	pthread_mutex_unlock(&d->lock);
	return on;
}

/**
 * pci_memory_enabled() - the command register's memory space enable
 * @d: the function
 *
 * Return: true when its memory BARs decode.
 */
bool pci_memory_enabled(struct pci_dev *d)
{
	return command_has(d, PCI_COMMAND_MEMORY);
}

/**
 * pci_bar_decoded() - where a memory BAR decodes now
 * @d: the function
 * @bar: 0-5, a BAR it has
 *
 * The host bridge forwards only its window (PCI_MMIO_BASE, the DSDT's
 * _CRS) to bus 0: a BAR the guest moved outside it, even in part,
 * decodes nowhere, as one with memory decoding off.
 *
 * Return: its address, or 0 when it does not decode.
 */
uint32_t pci_bar_decoded(struct pci_dev *d, unsigned int bar)
{
	uint64_t base = pci_bar_address(d, bar);

	if (!base || !pci_memory_enabled(d) || base < PCI_MMIO_BASE ||
	    base + d->bar_size[bar] > PCI_MMIO_BASE + PCI_MMIO_SIZE)
		return 0;
	return base;
}

/**
 * pci_bus_master() - the command register's bus master enable
 * @d: the function
 *
 * Return: true when the function may access memory (DMA, MSI).
 */
bool pci_bus_master(struct pci_dev *d)
{
	return command_has(d, PCI_COMMAND_MASTER);
}

/* The access of @len bytes at @off touches the register at @reg. */
static bool touches(unsigned int off, unsigned int len, unsigned int reg,
		    unsigned int reg_len)
{
	return off < reg + reg_len && reg < off + len;
}

/**
 * pci_cfg_read() - a read of configuration space
 * @d: the function
 * @off: the first byte
 * @data: filled with @len bytes; beyond the header and the capabilities,
 *	zeros
 * @len: 1-8
 */
void pci_cfg_read(struct pci_dev *d, unsigned int off, void *data,
		  unsigned int len)
{
	bool win = d->window && touches(off, len, d->window, 4);
	uint8_t *p = data, w[4];
	unsigned int i, at;

	if (win) {
		d->window_access(d->opaque, false, w, 4);
		pthread_mutex_lock(&d->lock);
		memcpy(d->cfg + d->window, w, 4);
		pthread_mutex_unlock(&d->lock);
	}
	/*
	 * The window's bytes are this read's, not what another vCPU's read
	 * stored meanwhile: a read-to-clear register (the ISR) behind it
	 * would lose its value.
	 */
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < len; i++) {
		at = off + i;
		if (win && at - d->window < 4)
			p[i] = w[at - d->window];
		else
			p[i] = at < PCI_CFG_SIZE ? d->cfg[at] : 0;
	}
	pthread_mutex_unlock(&d->lock);
}

/**
 * pci_cfg_write() - a write to configuration space
 * @d: the function
 * @off: the first byte
 * @data: @len bytes
 * @len: 1-8
 *
 * Only the bits of the write mask change.  A write to the command
 * register or a BAR tells the device (@d->changed); one to the command
 * register or the MSI-X capability's control word re-routes the vectors
 * and sets the interrupt pin's output anew.
 */
void pci_cfg_write(struct pci_dev *d, unsigned int off, const void *data,
		   unsigned int len)
{
	const uint8_t *p = data;
	bool changed, command, irq, window;
	unsigned int i, o;
	uint8_t w[4];

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < len; i++) {
		o = off + i;
		if (o >= PCI_CFG_SIZE)
			break;
		d->cfg[o] = (d->cfg[o] & ~d->wmask[o]) | (p[i] & d->wmask[o]);
	}
	command = touches(off, len, PCI_COMMAND, 2);
	irq = command || (d->msix_cap &&
			  touches(off, len, d->msix_cap + PCI_MSIX_FLAGS, 2));
	if (irq) {
		/* bus mastering gates MSI-X as the function mask does */
		if (d->msix_cap)
			pci_msix_update_all(d);
		__atomic_store_n(&d->msix_on, pci_msix_enabled(d),
				 __ATOMIC_RELEASE);
		pci_intx_update(d);
	}
	changed = command || touches(off, len, PCI_BAR0, 4 * PCI_NUM_BARS);
	window = d->window && touches(off, len, d->window, 4);
	if (window)
		memcpy(w, d->cfg + d->window, 4);
	pthread_mutex_unlock(&d->lock);
	if (changed && d->changed)
		d->changed(d->opaque);
	if (window)
		d->window_access(d->opaque, true, w,
				 off + len - d->window > 4 ? 4 :
				 off + len - d->window);
}

/* The configuration space accesses of the ports and of ECAM. */
static struct pci_dev *slot_dev(struct pci_bus *pb, unsigned int slot,
				unsigned int func)
{
	if (func || slot >= PCI_MAX_SLOTS)
		return NULL;
	return pb->devs[slot];
}

/* CONFIG_ADDRESS: enable (31), bus (23:16), device (15:11), function
 * (10:8), register (7:2).  Only bus 0 has functions.
 */
static struct pci_dev *addressed(struct pci_bus *pb, unsigned int *reg)
{
	uint32_t a = pb->address;

	if (!(a & 0x80000000U) || ((a >> 16) & 0xff))
		return NULL;
	*reg = a & 0xfc;
	return slot_dev(pb, (a >> 11) & 0x1f, (a >> 8) & 7);
}

/*
 * Mechanism #1: only a dword access to 0xcf8 is CONFIG_ADDRESS (its bits
 * 30:24 and 1:0 reserved, reading 0); a narrower one is ordinary I/O,
 * as are 0xcf9-0xcfb (the reset control port 0xcf9 of some chipsets:
 * none here), reading all ones.  An access to CONFIG_DATA reaches the
 * addressed register whole, so that a dword write of a BAR changes it
 * at once rather than byte by byte.
 */
static void config_port_access(void *opaque, uint16_t port,
			       unsigned int size, uint8_t *data, bool write)
{
	struct pci_bus *pb = opaque;
	struct pci_dev *d = NULL;
	unsigned int reg, n;

	/* one across 0xcfc is two, as the processor's bus cycles are */
	if (port < PCI_CONFIG_DATA && port + size > PCI_CONFIG_DATA) {
		n = PCI_CONFIG_DATA - port;
		config_port_access(opaque, port, n, data, write);
		config_port_access(opaque, PCI_CONFIG_DATA, size - n, data + n,
				   write);
		return;
	}
	pthread_mutex_lock(&pb->lock);
	if (port == PCI_CONFIG_ADDRESS && size == 4) {
		if (write)
			pb->address = get_le32(data) & PCI_CONFIG_ADDRESS_MASK;
		else
			put_le32(data, pb->address);
		pthread_mutex_unlock(&pb->lock);
		return;
	}
	if (port >= PCI_CONFIG_DATA)
		d = addressed(pb, &reg);
	pthread_mutex_unlock(&pb->lock);
	if (!d) {
		if (!write)
			memset(data, 0xff, size);
	} else if (write) {
		pci_cfg_write(d, reg + (port & 3), data, size);
	} else {
		pci_cfg_read(d, reg + (port & 3), data, size);
	}
}

static const struct io_port_ops config_port_ops = {
	.access = config_port_access,
};

/* ECAM: bus (27:20, only 0 here), device (19:15), function (14:12). */
static void ecam_read(void *opaque, uint64_t offset, void *data,
		      unsigned int len)
{
	struct pci_dev *d = slot_dev(opaque, offset >> 15, (offset >> 12) & 7);

	if (d)
		pci_cfg_read(d, offset & 0xfff, data, len);
	else
		memset(data, 0xff, len);
}

static void ecam_write(void *opaque, uint64_t offset, const void *data,
		       unsigned int len)
{
	struct pci_dev *d = slot_dev(opaque, offset >> 15, (offset >> 12) & 7);

	if (d)
		pci_cfg_write(d, offset & 0xfff, data, len);
}

static const struct io_mmio_ops ecam_ops = {
	.read = ecam_read,
	.write = ecam_write,
};

/*
 * The BAR of some function holding guest-physical @gpa, decoding, and the
 * offset into it.  BARs of different functions may overlap while the
 * guest moves them; the lowest slot wins.
 */
static struct pci_dev *find_bar(struct pci_bus *pb, uint64_t gpa,
				unsigned int *bar, uint64_t *offset)
{
	struct pci_dev *d;
	unsigned int s, b;
	uint32_t base;

	for (s = 0; s < PCI_MAX_SLOTS; s++) {
		d = pb->devs[s];
		if (!d)
			continue;
		for (b = 0; b < PCI_NUM_BARS; b++) {
			if (!d->bar_size[b])
				continue;
			base = pci_bar_decoded(d, b);
			if (base && gpa - base < d->bar_size[b]) {
				*bar = b;
				*offset = gpa - base;
				return d;
			}
		}
	}
	return NULL;
}

/**
 * pci_bar_access() - an access to a BAR: its MSI-X table or PBA, or the
 * device's handlers
 * @d: the function
 * @bar: the BAR
 * @off: the offset in it
 * @data: @len bytes, read or written
 * @len: 1-8
 * @write: a write
 */
void pci_bar_access(struct pci_dev *d, unsigned int bar, uint64_t off,
		    void *data, unsigned int len, bool write)
{
	if (write) {
		if (!pci_msix_write(d, bar, off, data, len))
			d->ops->write(d->opaque, bar, off, data, len);
	} else if (!pci_msix_read(d, bar, off, data, len)) {
		d->ops->read(d->opaque, bar, off, data, len);
	}
}

/**
 * pci_mmio_read() - a read in the PCI memory window
 * @opaque: the struct pci_bus
 * @offset: from PCI_MMIO_BASE
 * @data: filled with @len bytes (all ones where no BAR decodes)
 * @len: 1-8
 */
void pci_mmio_read(void *opaque, uint64_t offset, void *data,
		   unsigned int len)
{
	struct pci_dev *d;
	unsigned int bar;
	uint64_t off;

	d = find_bar(opaque, PCI_MMIO_BASE + offset, &bar, &off);
	if (!d) {
		memset(data, 0xff, len);
		return;
	}
	pci_bar_access(d, bar, off, data, len, false);
}

/**
 * pci_mmio_write() - a write in the PCI memory window
 * @opaque: the struct pci_bus
 * @offset: from PCI_MMIO_BASE
 * @data: @len bytes
 * @len: 1-8
 */
void pci_mmio_write(void *opaque, uint64_t offset, const void *data,
		    unsigned int len)
{
	struct pci_dev *d;
	unsigned int bar;
	uint64_t off;

	d = find_bar(opaque, PCI_MMIO_BASE + offset, &bar, &off);
	if (d)
		pci_bar_access(d, bar, off, (void *)data, len, true);
}

static const struct io_mmio_ops window_ops = {
	.read = pci_mmio_read,
	.write = pci_mmio_write,
};

/**
 * pci_bus_add() - put a function in the next free slot, its BARs in the
 * window, its INTA# (if it has one) on the slot's GSI
 * @pb: the bus
 * @d: the function, with its BARs, capabilities and pin
 *
 * Return: 0, or -1 when the bus or the window is full.
 */
int pci_bus_add(struct pci_bus *pb, struct pci_dev *d)
{
	unsigned int s, b;
	uint64_t at;

	for (s = 0; s < PCI_MAX_SLOTS && pb->devs[s]; s++)
		;
	if (s == PCI_MAX_SLOTS)
		return -1;
	for (b = 0; b < PCI_NUM_BARS; b++) {
		if (!d->bar_size[b])
			continue;
		/* naturally aligned, as a BAR must be */
		at = (pb->mmio_next + d->bar_size[b] - 1) &
		     ~(uint64_t)(d->bar_size[b] - 1);
		if (at + d->bar_size[b] > PCI_MMIO_BASE + PCI_MMIO_SIZE)
			return -1;
		put_le32(d->cfg + PCI_BAR0 + 4 * b, at);
		pb->mmio_next = at + d->bar_size[b];
	}
	d->slot = s;
	d->route = pb->route;
	d->route_ctx = pb->route_ctx;
	if (d->cfg[PCI_INTERRUPT_PIN]) {
		d->intx_bus = pb;
		/* what firmware writes there in APIC mode: the GSI */
		d->cfg[PCI_INTERRUPT_LINE] = pci_intx_gsi(s);
	}
	pb->devs[s] = d;
	return 0;
}

/**
 * pci_bus_init() - the host bridge at 00:00.0 and the bus's address spaces
 * @pb: the bus
 * @bus: where the configuration ports, ECAM and the window go
 * @route: changes MSI-X routes (HVX_IRQFD)
 * @route_ctx: passed to @route
 *
 * Return: 0, or -1 when @bus has no room, with nothing of @pb left to
 * destroy (@bus may keep the handlers it took: it goes next).
 */
int pci_bus_init(struct pci_bus *pb, struct io_bus *bus, pci_route_fn route,
		 void *route_ctx)
{
	memset(pb, 0, sizeof(*pb));
	pthread_mutex_init(&pb->lock, NULL);
	pthread_mutex_init(&pb->intx_lock, NULL);
	pb->mmio_next = PCI_MMIO_BASE;
	pb->route = route;
	pb->route_ctx = route_ctx;
	pci_dev_init(&pb->host, PCI_HOST_VENDOR, PCI_HOST_DEVICE,
		     PCI_CLASS_HOST_BRIDGE, 0);
	pci_bus_add(pb, &pb->host);
	if (io_bus_register(bus, PCI_CONFIG_ADDRESS, 8, &config_port_ops, pb,
			    "pci-config") ||
	    io_bus_register_mmio(bus, PCI_ECAM_BASE, PCI_ECAM_SIZE, &ecam_ops,
				 pb, "pci-ecam") ||
	    io_bus_register_mmio(bus, PCI_MMIO_BASE, PCI_MMIO_SIZE,
				 &window_ops, pb, "pci-window")) {
		pci_bus_destroy(pb);
		return -1;
	}
	return 0;
}

/**
 * pci_bus_destroy() - free the bridge (the functions are their owners')
 * @pb: the bus
 */
void pci_bus_destroy(struct pci_bus *pb)
{
	pci_dev_destroy(&pb->host);
	pthread_mutex_destroy(&pb->intx_lock);
	pthread_mutex_destroy(&pb->lock);
}
