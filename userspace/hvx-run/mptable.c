// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the MultiProcessor Specification 1.4 tables.
 *
 * A kernel that does not use ACPI (Linux with acpi=off, kernels built
 * without it, small kernels that only know the MP tables) finds the
 * processors, the I/O APIC and the interrupt wiring here; without them
 * it would run on the bootstrap processor alone, with the 8259 as its
 * only interrupt controller and no way to route a PCI INTx line.  The
 * tables say what the MADT and the DSDT's _PRT say (acpi.c, acpi_pci.c),
 * from the same struct acpi_config:
 *
 *   floating pointer	"_MP_", the configuration table's address; no
 *			default configuration, and no IMCR (feature byte 2
 *			bit 7 clear: the machine is in virtual wire mode)
 *   header		"PCMP", spec revision 1.4, the local APICs' address
 *   processors		one per vCPU, local APIC ID = vCPU number, vCPU 0
 *			the bootstrap processor
 *   buses		PCI (bus 0, with a PCI bus) and ISA
 *   I/O APIC		the one of the MADT
 *   I/O interrupts	ISA IRQs 0, 1 and 3-15 on the pin of their number
 *			unless an override of the MADT moves them (IRQ 0 to
 *			pin 2); INTA# of PCI slots 1-31 on pci_intx_gsi()
 *			(PCI's defaults, level triggered and active low)
 *   local interrupts	the 8259's output (ExtINT) on vCPU 0's LINT0, the
 *			one it reaches (irq.c); NMI on every LINT1, as the
 *			MADT's NMI entry says
 *
 * There is no ExtINT entry for I/O APIC pin 0: the 8259's output reaches
 * vCPU 0's LINT0, not the I/O APIC.  The I/O APIC's ID is the MADT's, 0
 * like the first local APIC's: xAPIC IDs of the two kinds do not clash.
 *
 * The floating pointer goes at @base, which must lie in 0xf0000-0xfffff
 * (where an OS scans for it; the other places the specification names
 * are in RAM that a kernel may take), the configuration table right
 * after it.  All fields are little endian; the structures are packed.
 */
#include <endian.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "hvx-run.h"
#include "pc_chips.h"
#include "pci.h"

#define MP_SPEC_REV		4	/* 1.4 */
#define MP_LAPIC_VERSION	0x14	/* hvx.ko's local APIC version register */

/* Processor entries: family 6, and the two feature bits that matter */
#define MP_CPU_SIGNATURE	0x600
#define MP_CPU_FEATURES		(1U << 0 | 1U << 9)	/* FPU, APIC */

enum mp_entry_type {
	MP_PROCESSOR = 0,
	MP_BUS = 1,
	MP_IOAPIC = 2,
	MP_IOINTR = 3,
	MP_LINTR = 4,
};

#define MP_CPU_ENABLED		0x01
#define MP_CPU_BSP		0x02
#define MP_IOAPIC_ENABLED	0x01

enum mp_irq_type {
	MP_INT = 0,
	MP_NMI = 1,
	MP_EXTINT = 3,
};

#define MP_BUS_PCI		0
#define MP_BUS_ISA		1
#define MP_ALL_LAPICS		0xff

struct mp_floating {
	char signature[4];
	uint32_t physptr;
	uint8_t length;		/* in 16-byte units: 1 */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature[5];
} __packed;

struct mp_header {
	char signature[4];
	uint16_t length;	/* base table, with its entries */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem_id[8];
	char product_id[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entry_count;
	uint32_t lapic_address;
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __packed;

struct mp_processor {
	uint8_t type;
	uint8_t lapic_id;
	uint8_t lapic_version;
	uint8_t flags;
	uint32_t signature;
	uint32_t features;
	uint32_t reserved[2];
} __packed;

struct mp_bus {
	uint8_t type;
	uint8_t id;
	char bus_type[6];
} __packed;

struct mp_ioapic {
	uint8_t type;
	uint8_t id;
	uint8_t version;
	uint8_t flags;
	uint32_t address;
} __packed;

/* an I/O (type 3) or local (type 4) interrupt assignment */
struct mp_intr {
	uint8_t type;
	uint8_t irq_type;
	uint16_t flags;		/* MPS INTI flags, as the MADT's */
	uint8_t src_bus;
	uint8_t src_irq;
	uint8_t dst_apic;
	uint8_t dst_pin;
} __packed;

_Static_assert(sizeof(struct mp_floating) == 16, "MP floating pointer");
_Static_assert(sizeof(struct mp_header) == 44, "MP header");
_Static_assert(sizeof(struct mp_processor) == 20, "MP processor");
_Static_assert(sizeof(struct mp_bus) == 8, "MP bus");
_Static_assert(sizeof(struct mp_ioapic) == 8, "MP I/O APIC");
_Static_assert(sizeof(struct mp_intr) == 8, "MP interrupt");

/* Where an OS looks for the floating pointer in the BIOS area. */
#define MP_SCAN_START		0xf0000ULL
#define MP_SCAN_END		0x100000ULL

/* PCI slots 1-31 have INTA# entries; slot 0 is the host bridge. */
#define MP_PCI_SLOTS		(PCI_MAX_SLOTS - 1)

/* The most the tables take: 64 vCPUs, both buses, every entry. */
#define MP_MAX_SIZE	(sizeof(struct mp_floating) +			\
			 sizeof(struct mp_header) +			\
			 ACPI_MAX_CPUS * sizeof(struct mp_processor) +	\
			 2 * sizeof(struct mp_bus) +			\
			 sizeof(struct mp_ioapic) +			\
			 (15 + MP_PCI_SLOTS + 2) * sizeof(struct mp_intr))

/* The GSI and flags of ISA IRQ @irq: its override, else its own pin. */
static void isa_irq(const struct acpi_config *cfg, unsigned int irq,
		    unsigned int *gsi, uint16_t *flags)
{
	unsigned int i;

	*gsi = irq;
	*flags = 0;	/* conforms to the bus: ISA's edge, active high */
	for (i = 0; i < cfg->nr_overrides; i++) {
		if (cfg->overrides[i].irq == irq) {
			*gsi = cfg->overrides[i].gsi;
			*flags = cfg->overrides[i].flags;
		}
	}
}

/* A bus entry; @name is the specification's six characters. */
static uint8_t *put_bus(uint8_t *p, uint8_t id, const char *name)
{
	struct mp_bus *bus = (struct mp_bus *)p;

	bus->type = MP_BUS;
	bus->id = id;
	memcpy(bus->bus_type, name, sizeof(bus->bus_type));
	return p + sizeof(*bus);
}

static uint8_t *put_intr(uint8_t *p, uint8_t type, uint8_t irq_type,
			 uint16_t flags, uint8_t bus, uint8_t src,
			 uint8_t apic, uint8_t pin)
{
	struct mp_intr *e = (struct mp_intr *)p;

	e->type = type;
	e->irq_type = irq_type;
	e->flags = htole16(flags);
	e->src_bus = bus;
	e->src_irq = src;
	e->dst_apic = apic;
	e->dst_pin = pin;
	return p + sizeof(*e);
}

/* The entries, in the order of their types; returns their count. */
static unsigned int put_entries(uint8_t *p, const struct acpi_config *cfg,
				uint8_t **end)
{
	uint8_t isa = cfg->pci ? MP_BUS_ISA : 0;
	unsigned int i, n = 0, gsi;
	struct mp_processor *cpu;
	struct mp_ioapic *io;
	uint16_t flags;

	for (i = 0; i < cfg->nr_cpus; i++, n++) {
		cpu = (struct mp_processor *)p;
		cpu->type = MP_PROCESSOR;
		cpu->lapic_id = i;
		cpu->lapic_version = MP_LAPIC_VERSION;
		cpu->flags = MP_CPU_ENABLED | (i ? 0 : MP_CPU_BSP);
		cpu->signature = htole32(MP_CPU_SIGNATURE);
		cpu->features = htole32(MP_CPU_FEATURES);
		p += sizeof(*cpu);
	}
	if (cfg->pci) {
		p = put_bus(p, MP_BUS_PCI, "PCI   ");
		n++;
	}
	p = put_bus(p, isa, "ISA   ");
	n++;

	io = (struct mp_ioapic *)p;
	io->type = MP_IOAPIC;
	io->id = cfg->ioapic_id;
	io->version = IOAPIC_VERSION;
	io->flags = MP_IOAPIC_ENABLED;
	io->address = htole32(cfg->ioapic_base);
	p += sizeof(*io);
	n++;

	/* IRQ 2 is the 8259 cascade, no device's */
	for (i = 0; i < 16; i++) {
		if (i == 2)
			continue;
		isa_irq(cfg, i, &gsi, &flags);
		p = put_intr(p, MP_IOINTR, MP_INT, flags, isa, i,
			     cfg->ioapic_id, gsi);
		n++;
	}
	/* source IRQ: the device number in bits 6:2, the pin (INTA#) 1:0 */
	for (i = 1; cfg->pci && i <= MP_PCI_SLOTS; i++, n++)
		p = put_intr(p, MP_IOINTR, MP_INT, 0, MP_BUS_PCI, i << 2,
			     cfg->ioapic_id, pci_intx_gsi(i));

	p = put_intr(p, MP_LINTR, MP_EXTINT, 0, isa, 0, 0, 0);
	p = put_intr(p, MP_LINTR, MP_NMI, 0, isa, 0, MP_ALL_LAPICS, 1);
	*end = p;
	return n + 2;
}

/**
 * mptable_build() - write the MP floating pointer and configuration table
 * @ram: guest RAM
 * @ram_size: its size
 * @cfg: the machine, as the ACPI tables describe it (acpi_build() has
 *	checked it)
 * @base: guest-physical address of the floating pointer, 16-byte aligned,
 *	with room in 0xf0000-0xfffff for the largest tables (64 vCPUs,
 *	MP_MAX_SIZE: 1,748 bytes), which it clears first
 * @err: filled with the reason on failure
 * @errlen: its size
 *
 * Return: 0, or -1 with @err filled.
 */
int mptable_build(void *ram, uint64_t ram_size, const struct acpi_config *cfg,
		  uint64_t base, char *err, size_t errlen)
{
	struct mp_floating *fp;
	struct mp_header *h;
	uint8_t *mem = ram;
	uint8_t *end;
	unsigned int n;

	if ((base & 15) || base < MP_SCAN_START ||
	    base > MP_SCAN_END - MP_MAX_SIZE) {
		snprintf(err, errlen,
			 "MP tables at 0x%" PRIx64 ": they need %zu bytes at a 16-byte boundary in 0x%llx-0x%llx",
			 base, MP_MAX_SIZE, MP_SCAN_START, MP_SCAN_END - 1);
		return -1;
	}
	if (base + MP_MAX_SIZE > ram_size) {
		snprintf(err, errlen, "MP tables at 0x%" PRIx64 ": not in RAM",
			 base);
		return -1;
	}
	if (cfg->nr_cpus < 1 || cfg->nr_cpus > ACPI_MAX_CPUS) {
		snprintf(err, errlen, "MP tables: %u vCPUs, 1-%u",
			 cfg->nr_cpus, ACPI_MAX_CPUS);
		return -1;
	}
	memset(mem + base, 0, MP_MAX_SIZE);
	fp = (struct mp_floating *)(mem + base);
	h = (struct mp_header *)(fp + 1);

	memcpy(h->signature, "PCMP", 4);
	h->spec_rev = MP_SPEC_REV;
	memcpy(h->oem_id, "HVX     ", 8);
	memcpy(h->product_id, "HVX-RUN     ", 12);
	h->lapic_address = htole32(ACPI_LAPIC_BASE);
	n = put_entries((uint8_t *)(h + 1), cfg, &end);
	h->entry_count = htole16(n);
	h->length = htole16(end - (uint8_t *)h);
	table_checksum(h, end - (uint8_t *)h, &h->checksum);

	memcpy(fp->signature, "_MP_", 4);
	fp->physptr = htole32(base + sizeof(*fp));
	fp->length = 1;
	fp->spec_rev = MP_SPEC_REV;
	table_checksum(fp, sizeof(*fp), &fp->checksum);
	return 0;
}
