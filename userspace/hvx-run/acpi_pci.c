// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the PCI root in the DSDT (acpi.c writes the MCFG table).
 *
 *   Device (PCI0) { _HID PNP0A08 (PCI Express root), _CID PNP0A03 (PCI
 *                   root), _SEG 0, _BBN 0, _UID 0,
 *                   _CRS bus 0, the configuration ports 0xcf8-0xcff,
 *                   I/O 0x1000-0xffff, memory PCI_MMIO_BASE for
 *                   PCI_MMIO_SIZE,
 *                   _PRT INTA# of each slot 1-31: GSI 16 + slot % 8 }
 *
 * The _PRT is what a driver without MSI-X needs (pci_intx.c): Linux
 * finds a function's GSI there, and takes it as level triggered, active
 * low.  The tables are written before the functions are on the bus, so
 * it names every slot, as a board's firmware does.  There is no _OSC:
 * the guest keeps native control of nothing it would need.
 */
#include <string.h>

#include "aml.h"
#include "hvx-run.h"
#include "pci.h"

/* Address space descriptors (ACPI 6.0 section 6.4.3.5) */
#define RSRC_DWORD_ADDR		0x87
#define RSRC_WORD_ADDR		0x88
#define RSRC_TYPE_MEM		0
#define RSRC_TYPE_IO		1
#define RSRC_TYPE_BUS		2
#define RSRC_MIN_MAX_FIXED	0x0c	/* producer, _MIF, _MAF */
#define RSRC_IO_ENTIRE_RANGE	0x03
#define RSRC_MEM_RW		0x01	/* non-cacheable, read-write */

/* WordBusNumber / WordIO: granularity 0, no translation. */
static void rsrc_word(struct rsrc *r, uint8_t type, uint8_t tflags,
		      uint16_t min, uint16_t max)
{
	uint8_t *p = rsrc_reserve(r, 16);

	if (!p)
		return;
	p[0] = RSRC_WORD_ADDR;
	put_le16(p + 1, 13);
	p[3] = type;
	p[4] = RSRC_MIN_MAX_FIXED;
	p[5] = tflags;
	put_le16(p + 6, 0);
	put_le16(p + 8, min);
	put_le16(p + 10, max);
	put_le16(p + 12, 0);
	put_le16(p + 14, max - min + 1);
}

/* DWordMemory: granularity 0, no translation. */
static void rsrc_dword_mem(struct rsrc *r, uint32_t min, uint32_t len)
{
	uint8_t *p = rsrc_reserve(r, 26);

	if (!p)
		return;
	p[0] = RSRC_DWORD_ADDR;
	put_le16(p + 1, 23);
	p[3] = RSRC_TYPE_MEM;
	p[4] = RSRC_MIN_MAX_FIXED;
	p[5] = RSRC_MEM_RW;
	put_le32(p + 6, 0);
	put_le32(p + 10, min);
	put_le32(p + 14, min + len - 1);
	put_le32(p + 18, 0);
	put_le32(p + 22, len);
}

static void aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	aml_byte(a, AML_NAME);
	aml_nameseg(a, name);
	aml_integer(a, v);
}

/*
 * Name (_PRT, Package { Package { slot << 16 | 0xffff (any function),
 * 0 (INTA#), 0 (no link device: the GSI is fixed), GSI }, ... })
 * (ACPI 6.0 section 6.2.13).
 */
static void aml_prt(struct aml *a)
{
	size_t outer, entry;
	unsigned int s;

	aml_byte(a, AML_NAME);
	aml_nameseg(a, "_PRT");
	aml_byte(a, AML_PACKAGE);
	outer = aml_open(a);
	aml_byte(a, PCI_MAX_SLOTS - 1);
	for (s = 1; s < PCI_MAX_SLOTS; s++) {
		aml_byte(a, AML_PACKAGE);
		entry = aml_open(a);
		aml_byte(a, 4);
		aml_integer(a, (uint64_t)s << 16 | 0xffff);
		aml_integer(a, 0);
		aml_integer(a, 0);
		aml_integer(a, pci_intx_gsi(s));
		aml_close(a, entry);
	}
	aml_close(a, outer);
}

/**
 * acpi_pci_root() - the PCI0 device, inside \_SB
 * @a: the DSDT being built
 */
void acpi_pci_root(struct aml *a)
{
	struct rsrc r = { .len = 0 };
	size_t pkg;

	rsrc_word(&r, RSRC_TYPE_BUS, 0, 0, 0);
	rsrc_io(&r, PCI_CONFIG_ADDRESS, 8);
	rsrc_word(&r, RSRC_TYPE_IO, RSRC_IO_ENTIRE_RANGE, PCI_IO_WINDOW_BASE,
		  PCI_IO_WINDOW_END);
	rsrc_dword_mem(&r, PCI_MMIO_BASE, PCI_MMIO_SIZE);

	aml_byte(a, AML_EXT);
	aml_byte(a, AML_DEVICE);
	pkg = aml_open(a);
	aml_nameseg(a, "PCI0");
	aml_byte(a, AML_NAME);
	aml_nameseg(a, "_HID");
	aml_eisa_id(a, "PNP0A08");
	aml_byte(a, AML_NAME);
	aml_nameseg(a, "_CID");
	aml_eisa_id(a, "PNP0A03");
	aml_name_int(a, "_SEG", 0);
	aml_name_int(a, "_BBN", 0);
	aml_name_int(a, "_UID", 0);
	aml_crs(a, &r);
	aml_prt(a);
	aml_close(a, pkg);
}

/**
 * acpi_pci_reserve() - the ECAM window, among the motherboard's resources
 * @r: SYSR's resource template
 *
 * Linux uses an MCFG region only when the firmware reserves it so.
 */
void acpi_pci_reserve(struct rsrc *r)
{
	rsrc_mem32_fixed(r, PCI_ECAM_BASE, PCI_ECAM_SIZE);
}
