// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: INTA#, the PCI functions' interrupt pin, for drivers without
 * MSI-X (Linux with pci=nomsi, an MSI-X allocation that failed, a
 * firmware or an older kernel).
 *
 * A function with a pin asserts it by an interrupt made while MSI-X is
 * off (pci_intx_notify()) and releases it with pci_intx_set(); the
 * status register's interrupt status bit shows it.  The pin reaches its line
 * only while the command register's INTx disable bit is clear and MSI-X
 * is off: a function with MSI-X enabled must not use INTx (PCI 3.0,
 * 6.8.2).  Lines are shared: slot s drives GSI 16 + s % 8, and a GSI is
 * low (asserted: PCI lines are active low) while any of its functions
 * drives it, high otherwise, as a wired OR of open-drain outputs.
 */
#include "hvx-run.h"
#include "pci.h"
#include "pci_msix.h"

_Static_assert(PCI_INTX_GSI_BASE + PCI_INTX_GSIS <= IOAPIC_NUM_PINS,
	       "the PCI GSIs are I/O APIC inputs");

/* Drive @slot's share of its GSI.  Takes the bus's INTx lock. */
static void bus_drive(struct pci_bus *pb, unsigned int slot, bool low)
{
	unsigned int i = slot % PCI_INTX_GSIS;
	uint32_t was;

	pthread_mutex_lock(&pb->intx_lock);
	was = pb->intx_slots[i];
	if (low)
		pb->intx_slots[i] |= 1U << slot;
	else
		pb->intx_slots[i] &= ~(1U << slot);
	if (!was != !pb->intx_slots[i] && pb->intx_line)
		pb->intx_line(pb->intx_ctx, pci_intx_gsi(slot),
			      !pb->intx_slots[i]);
	pthread_mutex_unlock(&pb->intx_lock);
}

/**
 * pci_intx_update() - make the pin's output what the registers say
 * @d: the function, its lock held
 *
 * Called after the device changed its interrupt status and after the
 * guest wrote the command register or the MSI-X control word.
 */
void pci_intx_update(struct pci_dev *d)
{
	uint16_t cmd = get_le16(d->cfg + PCI_COMMAND);
	bool out;

	out = (d->cfg[PCI_STATUS] & PCI_STATUS_INTERRUPT) &&
	      !(cmd & PCI_COMMAND_INTX_DISABLE) && !pci_msix_enabled(d);
	if (out == d->intx_out)
		return;
	d->intx_out = out;
	if (d->intx_bus)
		bus_drive(d->intx_bus, d->slot, out);
}

/**
 * pci_add_intx() - give a function the interrupt pin INTA#
 * @d: the function, before pci_bus_add(), which wires the pin
 */
void pci_add_intx(struct pci_dev *d)
{
	d->cfg[PCI_INTERRUPT_PIN] = PCI_INTERRUPT_PIN_A;
}

/**
 * pci_intx_set() - the function asserts or releases its interrupt pin
 * @d: the function, with pci_add_intx()
 * @asserted: its interrupt condition: the interrupt status bit
 *
 * Whether the line follows depends on the command register and MSI-X
 * (pci_intx_update()).  A level-triggered interrupt stays asserted until
 * the driver makes the device release it (virtio: reads the ISR), so
 * callers release it under the lock that guards that state, the one
 * they assert it under (pci_intx_notify()): the line never disagrees
 * with it.
 */
void pci_intx_set(struct pci_dev *d, bool asserted)
{
	pthread_mutex_lock(&d->lock);
	pci_intx_assert(d, asserted);
	pthread_mutex_unlock(&d->lock);
}

/**
 * pci_intx_assert() - pci_intx_set() with the function's lock held
 * @d: the function
 * @asserted: its interrupt condition
 */
void pci_intx_assert(struct pci_dev *d, bool asserted)
{
	if (asserted)
		d->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		d->cfg[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
	pci_intx_update(d);
}

/**
 * pci_intx_notify() - the function interrupts, through INTA# unless MSI-X is on
 * @d: the function
 *
 * While MSI-X is off, an interrupt asserts INTA#, as the driver then uses
 * it, until the device releases it (pci_intx_set()).  A device calls this
 * under the lock of the state its driver clears to release it, and the
 * MSI-X half after dropping that lock: an MSI need not wait on it.
 *
 * Return: true when MSI-X is on: the interrupt is for pci_msix_notify().
 */
bool pci_intx_notify(struct pci_dev *d)
{
	bool msix;

	/*
	 * MSI-X on, every completion of a driver that has it: no need for
	 * the function's lock, which pci_msix_notify() holds across an
	 * eventfd write.  Waiting on it here, under the device's lock,
	 * held up the other workers' completions and the device thread's
	 * kicks: make bench's random 4 KiB reads were a fifth slower.
	 */
	if (__atomic_load_n(&d->msix_on, __ATOMIC_ACQUIRE))
		return true;
	pthread_mutex_lock(&d->lock);
	msix = pci_msix_enabled(d);
	if (!msix && d->cfg[PCI_INTERRUPT_PIN])
		pci_intx_assert(d, true);
	pthread_mutex_unlock(&d->lock);
	return msix;
}

/**
 * pci_bus_connect_intx() - wire the PCI GSIs to the interrupt controller
 * @pb: the bus, before any function interrupts
 * @line: drives a GSI, the electrical level (irq_router_line())
 * @ctx: passed to @line
 *
 * Every PCI GSI is driven high, idle: an input starts low, which an
 * active-low level-triggered entry would take for an interrupt that no
 * driver can end.
 */
void pci_bus_connect_intx(struct pci_bus *pb, irq_line_fn line, void *ctx)
{
	unsigned int i;

	pthread_mutex_lock(&pb->intx_lock);
	pb->intx_line = line;
	pb->intx_ctx = ctx;
	for (i = 0; i < PCI_INTX_GSIS; i++)
		line(ctx, PCI_INTX_GSI_BASE + i, !pb->intx_slots[i]);
	pthread_mutex_unlock(&pb->intx_lock);
}
