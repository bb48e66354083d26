// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: MSI-X of the PCI functions.
 *
 * Each vector has an eventfd the device signals (pci_msix_notify()).
 * While the vector is enabled and unmasked, the eventfd has an HVX_IRQFD
 * route to the address and data of its table entry, so a completion
 * reaches the guest without a system call into hvx; the route is
 * re-assigned whenever the guest changes the entry, the mask bits or the
 * enable bit.  While it is masked there is no route: pci_msix_notify()
 * sets the PBA bit instead, and the unmask delivers it.  An MSI is a
 * memory write of the function's, so bus mastering off holds the vectors
 * the same way.  While MSI-X is off the function does not use it at all:
 * it interrupts through INTx (pci_intx.c) and nothing becomes pending,
 * or enabling MSI-X would deliver interrupts INTx already did.  A device
 * reset forgets what is pending (pci_msix_clear_pending()).
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "hvx-run.h"
#include "pci.h"
#include "pci_msix.h"

/**
 * pci_add_msix() - give a function an MSI-X capability
 * @d: the function, before pci_bus_add(), with BAR @bar
 * @bar: the BAR of the table and the PBA
 * @table: the table's offset in it, 8-byte aligned
 * @pba: the PBA's offset, 8-byte aligned, after the table
 * @nr_vectors: 1 to PCI_MSIX_MAX_VECTORS
 *
 * Return: 0, or -1 when the layout is bad, an eventfd cannot be made or
 * configuration space is full.
 */
int pci_add_msix(struct pci_dev *d, unsigned int bar, uint32_t table,
		 uint32_t pba, unsigned int nr_vectors)
{
	uint8_t body[PCI_MSIX_CAP_LEN - 2];
	unsigned int i;
	uint8_t at;

	if (bar >= PCI_NUM_BARS || !nr_vectors ||
	    nr_vectors > PCI_MSIX_MAX_VECTORS || (table | pba) & 7 ||
	    table + nr_vectors * PCI_MSIX_ENTRY_SIZE > pba ||
	    pba + 8 > d->bar_size[bar])
		return -1;
	put_le16(body, nr_vectors - 1);
	put_le32(body + 2, table | bar);
	put_le32(body + 6, pba | bar);
	at = pci_add_cap(d, PCI_CAP_ID_MSIX, body, sizeof(body));
	if (!at)
		return -1;
	d->wmask[at + PCI_MSIX_FLAGS + 1] =
		(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
	d->msix_cap = at;
	d->msix_bar = bar;
	d->msix_table = table;
	d->msix_pba = pba;
	d->nr_vectors = nr_vectors;
	for (i = 0; i < nr_vectors; i++) {
		/* masked at reset, as the specification says */
		d->msix[i].entry[PCI_MSIX_ENTRY_CTRL] = PCI_MSIX_ENTRY_MASKED;
		d->msix[i].efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->msix[i].efd < 0)
			return -1;
	}
	return 0;
}

static uint16_t control(const struct pci_dev *d)
{
	return get_le16(d->cfg + d->msix_cap + PCI_MSIX_FLAGS);
}

/**
 * pci_msix_enabled() - MSI-X is on: the function does not use INTx
 * @d: the function, its lock held
 *
 * Return: the capability's enable bit; false without the capability.
 */
bool pci_msix_enabled(const struct pci_dev *d)
{
	return d->msix_cap && (control(d) & PCI_MSIX_FLAGS_ENABLE);
}

static bool vector_live(struct pci_dev *d, struct pci_msix_vector *v)
{
	uint16_t c = control(d);

	return (c & PCI_MSIX_FLAGS_ENABLE) && !(c & PCI_MSIX_FLAGS_MASKALL) &&
	       (get_le16(d->cfg + PCI_COMMAND) & PCI_COMMAND_MASTER) &&
	       !(v->entry[PCI_MSIX_ENTRY_CTRL] & PCI_MSIX_ENTRY_MASKED);
}

static void signal_efd(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		msg("MSI-X eventfd: %s", strerror(errno));
}

/* Make @v's route what its entry and the mask bits say; d->lock held. */
static void update_vector(struct pci_dev *d, struct pci_msix_vector *v)
{
	uint64_t address = get_le64(v->entry);
	uint32_t data = get_le32(v->entry + PCI_MSIX_ENTRY_DATA);
	bool live = vector_live(d, v);

	if (v->routed && (!live || v->r_address != address ||
			  v->r_data != data)) {
		d->route(d->route_ctx, v->efd, false, 0, 0);
		v->routed = false;
	}
	if (!live || v->routed)
		return;
	if (d->route(d->route_ctx, v->efd, true, address, data)) {
		/*
		 * A bad address or data the guest wrote: it gets nothing,
		 * and the first says so (each write could say it again).
		 */
		if (!d->msix_said)
			msg("%02x.0: MSI-X vector %ld (address 0x%llx data 0x%x): %s; not said again",
			    d->slot, (long)(v - d->msix),
			    (unsigned long long)address, data,
			    strerror(errno));
		d->msix_said = true;
		return;
	}
	v->routed = true;
	v->r_address = address;
	v->r_data = data;
	if (v->pending) {
		v->pending = false;
		signal_efd(v->efd);
	}
}

/**
 * pci_msix_update_all() - re-route every vector
 * @d: the function, its lock held
 */
void pci_msix_update_all(struct pci_dev *d)
{
	unsigned int i;

	for (i = 0; i < d->nr_vectors; i++)
		update_vector(d, &d->msix[i]);
}

/**
 * pci_msix_notify() - the function interrupts through an MSI-X vector
 * @d: the function
 * @vector: the MSI-X vector; out of range (VIRTIO_MSI_NO_VECTOR): none
 *
 * The vector's eventfd is signalled under the function's lock, so that
 * it is signalled while routed or marked pending, never lost between.
 * With MSI-X off it sends nothing: the function uses INTx then
 * (pci_intx_notify()).
 *
 * Return: false when MSI-X is off, so that a device that chose MSI-X
 * before the driver turned it off interrupts through INTx instead.
 */
bool pci_msix_notify(struct pci_dev *d, unsigned int vector)
{
	struct pci_msix_vector *v = NULL;
	bool on;

	if (vector < d->nr_vectors)
		v = &d->msix[vector];
	pthread_mutex_lock(&d->lock);
	on = pci_msix_enabled(d);
	if (v && v->routed)
		signal_efd(v->efd);
	else if (v && on)
		v->pending = true;
	pthread_mutex_unlock(&d->lock);
	return on;
}

/**
 * pci_msix_clear_pending() - forget the interrupts the masked vectors
 * hold, as a function reset does
 * @d: the function, its lock not held
 *
 * What a masked vector made pending belongs to the device's state before
 * the reset (a configuration change, a completion): the driver that sets
 * the function up anew must not get it when it unmasks the vector.
 */
void pci_msix_clear_pending(struct pci_dev *d)
{
	unsigned int i;

	pthread_mutex_lock(&d->lock);
	for (i = 0; i < d->nr_vectors; i++)
		d->msix[i].pending = false;
	pthread_mutex_unlock(&d->lock);
}

/* The PBA's byte @i, from the pending bits. */
static uint8_t pba_byte(struct pci_dev *d, unsigned int i)
{
	unsigned int b;
	uint8_t v = 0;

	for (b = 0; b < 8; b++)
		if (8 * i + b < d->nr_vectors && d->msix[8 * i + b].pending)
			v |= 1U << b;
	return v;
}

/**
 * pci_msix_read() - a read of the BAR that may be of the table or the PBA
 * @d: the function
 * @bar: the BAR
 * @off: the offset in it
 * @data: filled with @len bytes when the read was of the table or PBA
 * @len: 1-8
 *
 * Return: true when it was (and is done).
 */
bool pci_msix_read(struct pci_dev *d, unsigned int bar, uint64_t off,
		   void *data, unsigned int len)
{
	uint64_t tlen = d->nr_vectors * PCI_MSIX_ENTRY_SIZE;
	uint8_t *p = data;
	unsigned int i;

	if (!d->msix_cap || bar != d->msix_bar)
		return false;
	if (off - d->msix_table < tlen) {
		off -= d->msix_table;
		pthread_mutex_lock(&d->lock);
		for (i = 0; i < len; i++, off++)
			p[i] = off < tlen ?
			       d->msix[off / 16].entry[off % 16] : 0;
		pthread_mutex_unlock(&d->lock);
		return true;
	}
	if (off - d->msix_pba < 8) {
		off -= d->msix_pba;
		pthread_mutex_lock(&d->lock);
		for (i = 0; i < len; i++)
			p[i] = off + i < 8 ? pba_byte(d, off + i) : 0;
		pthread_mutex_unlock(&d->lock);
		return true;
	}
	return false;
}

/**
 * pci_msix_write() - a write to the BAR that may be of the table or PBA
 * @d: the function
 * @bar: the BAR
 * @off: the offset in it
 * @data: @len bytes
 * @len: 1-8
 *
 * The PBA is read-only; reserved vector control bits read as zero.
 *
 * Return: true when it was of the table or the PBA (and is done).
 */
bool pci_msix_write(struct pci_dev *d, unsigned int bar, uint64_t off,
		    const void *data, unsigned int len)
{
	uint64_t tlen = d->nr_vectors * PCI_MSIX_ENTRY_SIZE;
	const uint8_t *p = data;
	unsigned int i, first, last;

	if (!d->msix_cap || bar != d->msix_bar)
		return false;
	if (off - d->msix_pba < 8)
		return true;
	if (off - d->msix_table >= tlen)
		return false;
	off -= d->msix_table;
	first = off / 16;
	last = first;
	pthread_mutex_lock(&d->lock);
	for (i = 0; i < len && off + i < tlen; i++) {
		uint8_t *e = d->msix[(off + i) / 16].entry;
		unsigned int n = (off + i) % 16;

		if (n == PCI_MSIX_ENTRY_CTRL)
			e[n] = p[i] & PCI_MSIX_ENTRY_MASKED;
		else if (n < PCI_MSIX_ENTRY_CTRL)
			e[n] = p[i];
		last = (off + i) / 16;
	}
	for (i = first; i <= last; i++)
		update_vector(d, &d->msix[i]);
	pthread_mutex_unlock(&d->lock);
	return true;
}

/**
 * pci_msix_destroy() - remove the routes and close the eventfds
 * @d: the function
 */
void pci_msix_destroy(struct pci_dev *d)
{
	unsigned int i;

	for (i = 0; i < PCI_MSIX_MAX_VECTORS; i++) {
		struct pci_msix_vector *v = &d->msix[i];

		if (v->routed)
			d->route(d->route_ctx, v->efd, false, 0, 0);
		v->routed = false;
		if (v->efd >= 0)
			close(v->efd);
		v->efd = -1;
	}
}
