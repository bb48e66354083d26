/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx-run: the PCI host bridge of -k (pci.c).
 *
 * One PCI segment with one bus, bus 0.  Configuration space is reached
 * through ports 0xcf8/0xcfc (configuration mechanism #1) and through an
 * ECAM window the ACPI MCFG table announces (acpi_pci.c).  Memory BARs
 * are placed by hvx-run in a 32-bit window the DSDT's PCI root declares;
 * the guest may move them.  Devices interrupt through MSI-X, each vector
 * an eventfd with an HVX_IRQFD route that follows what the guest writes
 * into the MSI-X table, or, while MSI-X is off, through their INTA# pin
 * (pci_intx.c), a level-triggered I/O APIC input that the DSDT's _PRT
 * names.
 */
#ifndef HVX_RUN_PCI_H
#define HVX_RUN_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "pc_chips.h"

struct io_bus;

#define PCI_CONFIG_ADDRESS	0xcf8	/* 32-bit, then CONFIG_DATA */
#define PCI_CONFIG_ADDRESS_MASK	0x80fffffcU	/* its writable bits */
#define PCI_CONFIG_DATA		0xcfc
#define PCI_ECAM_BASE		0xe0000000ULL
#define PCI_ECAM_SIZE		0x100000ULL	/* bus 0: 32 x 8 x 4 KiB */
#define PCI_MMIO_BASE		0xc0000000ULL
#define PCI_MMIO_SIZE		0x20000000ULL
#define PCI_IO_WINDOW_BASE	0x1000
#define PCI_IO_WINDOW_END	0xffff
#define PCI_MAX_SLOTS		32
#define PCI_CFG_SIZE		256	/* beyond: reads 0, writes ignored */

/* Configuration space header, type 0 */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define  PCI_COMMAND_IO		0x0001
#define  PCI_COMMAND_MEMORY	0x0002
#define  PCI_COMMAND_MASTER	0x0004
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS		0x06
#define  PCI_STATUS_INTERRUPT	0x0008
#define  PCI_STATUS_CAP_LIST	0x0010
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09	/* then subclass, class */
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_NUM_BARS		6
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d
#define  PCI_INTERRUPT_PIN_A	1
#define PCI_CAP_START		0x40

#define PCI_BAR_MEM_MASK	0xfffffff0U

/*
 * INTA# of slot s is I/O APIC input PCI_INTX_GSI_BASE + s % PCI_INTX_GSIS
 * (the _PRT of acpi_pci.c says so): GSIs 16-23, which no ISA device
 * uses, level triggered and active low as ACPI has PCI lines by default.
 */
#define PCI_INTX_GSI_BASE	16
#define PCI_INTX_GSIS		8

static inline unsigned int pci_intx_gsi(unsigned int slot)
{
	return PCI_INTX_GSI_BASE + slot % PCI_INTX_GSIS;
}

/* Capabilities */
#define PCI_CAP_ID_VNDR		0x09
#define PCI_CAP_ID_MSIX		0x11
#define PCI_MSIX_FLAGS		2	/* message control, from the cap */
#define  PCI_MSIX_FLAGS_QSIZE	0x07ff
#define  PCI_MSIX_FLAGS_MASKALL	0x4000
#define  PCI_MSIX_FLAGS_ENABLE	0x8000
#define PCI_MSIX_TABLE		4	/* offset | BIR */
#define PCI_MSIX_PBA		8
#define PCI_MSIX_CAP_LEN	12
#define PCI_MSIX_ENTRY_SIZE	16
#define  PCI_MSIX_ENTRY_DATA	8
#define  PCI_MSIX_ENTRY_CTRL	12
#define  PCI_MSIX_ENTRY_MASKED	0x1
#define PCI_MSIX_MAX_VECTORS	32

/* The bridge at 00:00.0: a host bridge without anything to set. */
#define PCI_HOST_VENDOR		0x1b36
#define PCI_HOST_DEVICE		0x0008
#define PCI_CLASS_HOST_BRIDGE	0x060000

/*
 * How a device learns of its BAR's accesses: @offset from the BAR's start,
 * @len 1-8.  Called without the device's lock, from any thread.
 */
struct pci_bar_ops {
	void (*read)(void *opaque, unsigned int bar, uint64_t offset,
		     void *data, unsigned int len);
	void (*write)(void *opaque, unsigned int bar, uint64_t offset,
		      const void *data, unsigned int len);
};

/*
 * How the bridge changes an MSI-X vector's route: assign @efd to the MSI
 * @address/@data, or remove its route (@assign false).  Return: 0 or
 * -1 with errno.  hvx-run's is HVX_IRQFD; unit tests record the calls.
 */
typedef int (*pci_route_fn)(void *ctx, int efd, bool assign,
			    uint64_t address, uint32_t data);

/**
 * struct pci_msix_vector - one MSI-X table entry and its route
 * @entry:	the table entry as the guest wrote it (address low, high,
 *		data, vector control), little-endian
 * @efd:	the vector's eventfd, or -1
 * @routed:	@efd has a route to @r_address/@r_data
 * @r_address:	the routed MSI address
 * @r_data:	the routed MSI data
 * @pending:	the PBA bit: an interrupt came while the vector was masked
 */
struct pci_msix_vector {
	uint8_t entry[PCI_MSIX_ENTRY_SIZE];
	int efd;
	bool routed;
	uint64_t r_address;
	uint32_t r_data;
	bool pending;
};

/**
 * struct pci_dev - one function on bus 0
 * @lock:	protects @cfg, @msix and @intx_out (not @wmask, set before
 *		it runs); taken after a device's own lock (virtio_dev's),
 *		before the bus's @intx_lock and the I/O APIC's
 * @slot:	its device number
 * @cfg:	configuration space as the guest reads it
 * @wmask:	the bits of @cfg the guest may write
 * @bar_size:	each BAR's size (0: none), 32-bit memory BARs only
 * @ops:	its BARs' handlers
 * @opaque:	passed to @ops and @changed
 * @changed:	after the guest wrote the command register or a BAR, with
 *		@lock dropped (the device re-registers its doorbells)
 * @window:	offset of a 4-byte window of configuration space the device
 *		serves itself (@window_access), 0: none
 * @window_access: with @lock dropped: before a read of the window, fill
 *		@data; after a write, take @data, the window's bytes, of
 *		which the write ended at byte @end (1-4)
 * @msix_cap:	offset of the MSI-X capability, or 0
 * @msix_bar:	the BAR holding the table and the PBA
 * @msix_table:	the table's offset in it
 * @msix_pba:	the PBA's offset
 * @nr_vectors:	entries in the table
 * @msix:	the vectors
 * @route:	changes a vector's route
 * @route_ctx:	passed to @route
 * @msix_said:	a vector the guest set wrong was said once (under @lock)
 * @msix_on:	the MSI-X enable bit of @cfg, written under @lock and read
 *		without it (pci_intx_notify(), on every completion)
 * @intx_bus:	the bus its INTA# is wired through (pci_bus_add() of a
 *		function with pci_add_intx()), or NULL
 * @intx_out:	it drives its INTA# low now (under @lock)
 * @cap_next:	where the next capability goes (pci_add_cap())
 * @cap_last:	the last capability's offset, 0: none yet
 */
struct pci_dev {
	pthread_mutex_t lock;
	unsigned int slot;
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];
	uint32_t bar_size[PCI_NUM_BARS];
	const struct pci_bar_ops *ops;
	void *opaque;
	void (*changed)(void *opaque);
	uint8_t window;
	void (*window_access)(void *opaque, bool write, uint8_t *data,
			      unsigned int end);
	uint8_t msix_cap;
	uint8_t msix_bar;
	uint32_t msix_table, msix_pba;
	unsigned int nr_vectors;
	struct pci_msix_vector msix[PCI_MSIX_MAX_VECTORS];
	pci_route_fn route;
	void *route_ctx;
	bool msix_said;
	bool msix_on;
	struct pci_bus *intx_bus;
	bool intx_out;
	uint8_t cap_next, cap_last;
};

/**
 * struct pci_bus - the host bridge and bus 0
 * @lock:	protects @address and @mmio_next
 * @address:	CONFIG_ADDRESS as last written
 * @devs:	the functions by slot, NULL where none
 * @host:	the host bridge, slot 0
 * @mmio_next:	where the next BAR goes in the 32-bit window
 * @route:	given to each device for its MSI-X vectors
 * @route_ctx:	passed to @route
 * @intx_lock:	protects @intx_slots, and is held while a PCI GSI is
 *		driven, so that the functions sharing it change it in order
 * @intx_slots:	for each PCI GSI, the slots whose INTA# is asserted
 * @intx_line:	drives a PCI GSI (electrical level), or NULL
 * @intx_ctx:	passed to @intx_line
 */
struct pci_bus {
	pthread_mutex_t lock;
	uint32_t address;
	struct pci_dev *devs[PCI_MAX_SLOTS];
	struct pci_dev host;
	uint64_t mmio_next;
	pci_route_fn route;
	void *route_ctx;
	pthread_mutex_t intx_lock;
	uint32_t intx_slots[PCI_INTX_GSIS];
	irq_line_fn intx_line;
	void *intx_ctx;
};

int pci_bus_init(struct pci_bus *pb, struct io_bus *bus, pci_route_fn route,
		 void *route_ctx);
void pci_bus_destroy(struct pci_bus *pb);
void pci_dev_init(struct pci_dev *d, uint16_t vendor, uint16_t device,
		  uint32_t class, uint8_t revision);
void pci_dev_destroy(struct pci_dev *d);
int pci_add_bar(struct pci_dev *d, unsigned int bar, uint32_t size);
uint8_t pci_add_cap(struct pci_dev *d, uint8_t id, const void *body,
		    uint8_t len);
int pci_add_msix(struct pci_dev *d, unsigned int bar, uint32_t table,
		 uint32_t pba, unsigned int nr_vectors);
int pci_bus_add(struct pci_bus *pb, struct pci_dev *d);
uint32_t pci_bar_address(struct pci_dev *d, unsigned int bar);
bool pci_memory_enabled(struct pci_dev *d);
bool pci_bus_master(struct pci_dev *d);
uint32_t pci_bar_decoded(struct pci_dev *d, unsigned int bar);
void pci_bar_access(struct pci_dev *d, unsigned int bar, uint64_t off,
		    void *data, unsigned int len, bool write);
bool pci_intx_notify(struct pci_dev *d);
bool pci_msix_notify(struct pci_dev *d, unsigned int vector);
void pci_msix_clear_pending(struct pci_dev *d);
void pci_add_intx(struct pci_dev *d);
void pci_intx_set(struct pci_dev *d, bool asserted);
void pci_bus_connect_intx(struct pci_bus *pb, irq_line_fn line, void *ctx);
void pci_cfg_read(struct pci_dev *d, unsigned int off, void *data,
		  unsigned int len);
void pci_cfg_write(struct pci_dev *d, unsigned int off, const void *data,
		   unsigned int len);
void pci_mmio_read(void *opaque, uint64_t offset, void *data,
		   unsigned int len);
void pci_mmio_write(void *opaque, uint64_t offset, const void *data,
		    unsigned int len);

#endif /* HVX_RUN_PCI_H */
