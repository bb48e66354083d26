// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's MP tables (userspace/hvx-run/mptable.c),
 * read back with the offsets of the MultiProcessor Specification 1.4,
 * not with mptable.c's structures: the floating pointer as an OS's scan
 * of 0xf0000-0xfffff finds it, the configuration table's checksum,
 * length and entry count, the entries in the order of their types, the
 * processors for 1, 4 and 64 vCPUs, the buses, the I/O APIC, the ISA
 * IRQs with the MADT's override, every PCI slot's INTA# on the GSI of
 * pci_intx_gsi() (the DSDT's _PRT), the local interrupts; without a PCI
 * bus; and the places and machines it refuses.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"
#include "../../userspace/hvx-run/pc_chips.h"
#include "../../userspace/hvx-run/pci.h"

#define RAM_SIZE	(2 * SZ_1M)

/*
 * The tables of 64 vCPUs with the PCI bus: the floating pointer, the
 * header, 64 processors, 2 buses, the I/O APIC, 15 ISA and 31 PCI
 * interrupts, 2 local ones; the last base that leaves room for them.
 */
#define MP_LARGEST	(16 + 44 + 64 * 20 + 2 * 8 + 8 + (15 + 31 + 2) * 8)
#define MP_HIGHEST	((0x100000 - MP_LARGEST) & ~15)

/* entry sizes by type: processor, bus, I/O APIC, I/O and local interrupt */
static const unsigned int entry_size[] = { 20, 8, 8, 8, 8 };

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* The floating pointer as an OS finds it: 16-byte steps, checksum 0. */
static uint64_t scan_mp(const uint8_t *ram)
{
	uint64_t a;

	for (a = 0xf0000; a < 0x100000; a += 16)
		if (!memcmp(ram + a, "_MP_", 4) && ram[a + 8] == 1 &&
		    !sum8(ram + a, 16))
			return a;
	return 0;
}

/* What the entries say, tallied as a test checks them. */
struct mp_seen {
	unsigned int cpus, bsp, buses, ioapics, ioints, lints;
	int pci_bus, isa_bus;			/* bus IDs, -1: none */
	uint8_t cpu_id[64];
	int isa_pin[16];			/* -1: no entry */
	uint16_t isa_flags[16];
	int slot_pin[32];			/* INTA# of each slot */
	uint16_t slot_flags[32];
	int extint_lint, nmi_lint;
	uint8_t ioapic_id, ioapic_ver, ioapic_flags;
	uint32_t ioapic_addr;
};

/* Tally entry @e, of a type below 5, into @s and check its fields. */
static void read_entry(struct __test_metadata *_metadata, const uint8_t *e,
		       struct mp_seen *s)
{
	switch (e[0]) {
	case 0:
		EXPECT_EQ(0x14, e[2]);
		EXPECT_EQ(1, e[3] & 1);	/* enabled */
		if (s->cpus < 64)
			s->cpu_id[s->cpus] = e[1];
		if (e[3] & 2) {
			EXPECT_EQ(0, e[1]);
			s->bsp++;
		}
		s->cpus++;
		break;
	case 1:
		if (!memcmp(e + 2, "PCI   ", 6))
			s->pci_bus = e[1];
		else if (!memcmp(e + 2, "ISA   ", 6))
			s->isa_bus = e[1];
		s->buses++;
		break;
	case 2:
		s->ioapic_id = e[1];
		s->ioapic_ver = e[2];
		s->ioapic_flags = e[3];
		s->ioapic_addr = get_le32(e + 4);
		s->ioapics++;
		break;
	case 3:
		EXPECT_EQ(0, e[1]);	/* INT: vectored */
		EXPECT_EQ(s->ioapic_id, e[6]);
		if (e[4] == s->isa_bus && e[5] < 16) {
			EXPECT_EQ(-1, s->isa_pin[e[5]]);
			s->isa_pin[e[5]] = e[7];
			s->isa_flags[e[5]] = get_le16(e + 2);
		} else if (e[4] == s->pci_bus) {
			EXPECT_EQ(0, e[5] & 3);	/* INTA# */
			EXPECT_EQ(-1, s->slot_pin[e[5] >> 2]);
			s->slot_pin[e[5] >> 2] = e[7];
			s->slot_flags[e[5] >> 2] = get_le16(e + 2);
		} else {
			TH_LOG("interrupt from bus %u", e[4]);
			EXPECT_TRUE(false);
		}
		s->ioints++;
		break;
	case 4:
		EXPECT_EQ(0, get_le16(e + 2));	/* ISA's own */
		EXPECT_EQ(s->isa_bus, e[4]);
		/* the 8259 reaches vCPU 0; NMIs every CPU */
		if (e[1] == 3) {
			EXPECT_EQ(0, e[6]);
			s->extint_lint = e[7];
		} else if (e[1] == 1) {
			EXPECT_EQ(0xff, e[6]);
			s->nmi_lint = e[7];
		}
		s->lints++;
		break;
	}
}

/*
 * Check the header and walk the entries into @s; false if the table is
 * not one an OS would take.
 */
static bool read_mp(struct __test_metadata *_metadata, const uint8_t *ram,
		    struct mp_seen *s)
{
	uint64_t fp = scan_mp(ram), t;
	unsigned int n, i, len, type, last = 0;
	const uint8_t *h, *e;

	memset(s, 0, sizeof(*s));
	s->pci_bus = s->isa_bus = s->extint_lint = s->nmi_lint = -1;
	memset(s->isa_pin, 0xff, sizeof(s->isa_pin));
	memset(s->slot_pin, 0xff, sizeof(s->slot_pin));
	EXPECT_NE(0, fp);
	if (!fp)
		return false;
	EXPECT_EQ(4, ram[fp + 9]);		/* spec revision 1.4 */
	EXPECT_EQ(0, ram[fp + 11]);		/* no default configuration */
	EXPECT_EQ(0, ram[fp + 12]);		/* no IMCR: virtual wire mode */
	EXPECT_EQ(0, ram[fp + 13] | ram[fp + 14] | ram[fp + 15]);
	t = get_le32(ram + fp + 4);
	EXPECT_EQ(fp + 16, t);			/* right after it */
	if (t != fp + 16)
		return false;
	h = ram + t;
	len = get_le16(h + 4);
	EXPECT_EQ(0, memcmp(h, "PCMP", 4));
	EXPECT_EQ(4, h[6]);
	EXPECT_LE(len, RAM_SIZE - t);
	if (len > RAM_SIZE - t)
		return false;
	EXPECT_EQ(0, sum8(h, len));
	EXPECT_EQ(0xfee00000, get_le32(h + 36));
	EXPECT_EQ(0, get_le16(h + 40));		/* no extended table */
	n = get_le16(h + 34);
	e = h + 44;
	for (i = 0; i < n; i++) {
		type = e[0];
		EXPECT_LT(type, 5);
		if (type >= 5)
			return false;
		EXPECT_LE(last, type);		/* sorted by type */
		last = type;
		read_entry(_metadata, e, s);
		e += entry_size[type];
	}
	EXPECT_EQ(len, e - h);
	return true;
}

/* Whether RAM from @from to @to - 1 still holds ram_for()'s filler. */
static bool untouched(const uint8_t *ram, unsigned int from, unsigned int to)
{
	for (; from < to; from++)
		if (ram[from] != 0xa5)
			return false;
	return true;
}

static uint8_t *ram_for(struct __test_metadata *_metadata)
{
	uint8_t *ram = malloc(RAM_SIZE);

	if (ram)
		memset(ram, 0xa5, RAM_SIZE);
	return ram;
}

/*
 * Four vCPUs with the PCI bus: what the MADT and the _PRT say, and no
 * byte written outside the tables.
 */
TEST(four_cpus_with_pci)
{
	uint8_t *ram = ram_for(_metadata);
	struct acpi_config cfg;
	struct mp_seen s;
	char err[256];
	unsigned int i;

	ASSERT_NE(NULL, ram);
	acpi_config_default(&cfg, 4);
	cfg.pci = true;
	ASSERT_EQ(0, mptable_build(ram, RAM_SIZE, &cfg, MPTABLE_BASE, err,
				   sizeof(err)));
	ASSERT_EQ(MPTABLE_BASE, scan_mp(ram));
	ASSERT_TRUE(read_mp(_metadata, ram, &s));
	EXPECT_EQ(4, s.cpus);
	EXPECT_EQ(1, s.bsp);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(i, s.cpu_id[i]);
	EXPECT_EQ(2, s.buses);
	EXPECT_EQ(0, s.pci_bus);
	EXPECT_EQ(1, s.isa_bus);
	EXPECT_EQ(1, s.ioapics);
	EXPECT_EQ(cfg.ioapic_id, s.ioapic_id);
	EXPECT_EQ(IOAPIC_VERSION, s.ioapic_ver);
	EXPECT_EQ(1, s.ioapic_flags);
	EXPECT_EQ(IOAPIC_DEFAULT_BASE, s.ioapic_addr);
	/* ISA: IRQ 0 on pin 2, edge and active high as the override says */
	EXPECT_EQ(2, s.isa_pin[0]);
	EXPECT_EQ(ACPI_IRQ_EDGE | ACPI_IRQ_ACTIVE_HIGH, s.isa_flags[0]);
	EXPECT_EQ(-1, s.isa_pin[2]);	/* the cascade */
	for (i = 1; i < 16; i++) {
		if (i == 2)
			continue;
		EXPECT_EQ(i, s.isa_pin[i]);
		EXPECT_EQ(0, s.isa_flags[i]);	/* ISA's own: edge, high */
	}
	/* PCI: slots 1-31, PCI's own level and low, the _PRT's GSIs */
	EXPECT_EQ(-1, s.slot_pin[0]);
	for (i = 1; i < 32; i++) {
		EXPECT_EQ(pci_intx_gsi(i), s.slot_pin[i]);
		EXPECT_EQ(0, s.slot_flags[i]);
	}
	EXPECT_EQ(15 + 31, s.ioints);
	EXPECT_EQ(2, s.lints);
	EXPECT_EQ(0, s.extint_lint);
	EXPECT_EQ(1, s.nmi_lint);
	/* nothing outside them */
	EXPECT_TRUE(untouched(ram, 0, 0xf0000));
	EXPECT_TRUE(untouched(ram, 0xf0000 + MP_LARGEST, RAM_SIZE));
	free(ram);
}

/* One and 64 vCPUs; without a PCI bus, ISA is bus 0 and no slot has a pin. */
TEST(cpus_and_no_pci)
{
	uint8_t *ram = ram_for(_metadata);
	struct acpi_config cfg;
	struct mp_seen s;
	char err[256];
	unsigned int i;

	ASSERT_NE(NULL, ram);
	acpi_config_default(&cfg, 1);
	ASSERT_EQ(0, mptable_build(ram, RAM_SIZE, &cfg, MPTABLE_BASE, err,
				   sizeof(err)));
	ASSERT_TRUE(read_mp(_metadata, ram, &s));
	EXPECT_EQ(1, s.cpus);
	EXPECT_EQ(1, s.bsp);
	EXPECT_EQ(1, s.buses);
	EXPECT_EQ(-1, s.pci_bus);
	EXPECT_EQ(0, s.isa_bus);
	EXPECT_EQ(15, s.ioints);
	EXPECT_EQ(2, s.isa_pin[0]);
	EXPECT_EQ(8, s.isa_pin[8]);

	/*
	 * The largest tables at the highest base accepted, the last
	 * 16-byte boundary with room for them: the scan finds them there,
	 * and they end below 1 MiB.
	 */
	memset(ram, 0xa5, RAM_SIZE);
	acpi_config_default(&cfg, ACPI_MAX_CPUS);
	cfg.pci = true;
	ASSERT_EQ(0, mptable_build(ram, RAM_SIZE, &cfg, MP_HIGHEST, err,
				   sizeof(err)));
	ASSERT_TRUE(read_mp(_metadata, ram, &s));
	EXPECT_EQ(MP_HIGHEST, scan_mp(ram));
	EXPECT_EQ(ACPI_MAX_CPUS, s.cpus);
	EXPECT_EQ(1, s.bsp);
	for (i = 0; i < ACPI_MAX_CPUS; i++)
		EXPECT_EQ(i, s.cpu_id[i]);
	EXPECT_EQ(15 + 31, s.ioints);
	EXPECT_TRUE(untouched(ram, 0x100000, RAM_SIZE));
	free(ram);
}

/*
 * Refused: not on a 16-byte boundary, outside 0xf0000-0xfffff or too
 * close to its end for 64 vCPUs' tables (also where the end would wrap
 * around), past RAM, 0 or 65 vCPUs.
 */
TEST(refused)
{
	uint8_t *ram = ram_for(_metadata);
	struct acpi_config cfg;
	char err[256];

	ASSERT_NE(NULL, ram);
	acpi_config_default(&cfg, 2);
	cfg.pci = true;
	err[0] = 0;
	EXPECT_EQ(-1, mptable_build(ram, RAM_SIZE, &cfg, MPTABLE_BASE + 8,
				    err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "16-byte boundary in 0xf0000-0xfffff"));
	EXPECT_EQ(-1, mptable_build(ram, RAM_SIZE, &cfg, 0xe0000, err,
				    sizeof(err)));
	EXPECT_EQ(-1, mptable_build(ram, RAM_SIZE, &cfg, MP_HIGHEST + 16, err,
				    sizeof(err)));
	EXPECT_EQ(-1, mptable_build(ram, RAM_SIZE, &cfg, -16ULL, err,
				    sizeof(err)));
	EXPECT_EQ(-1, mptable_build(ram, 0xf0400, &cfg, MPTABLE_BASE, err,
				    sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "not in RAM"));
	cfg.nr_cpus = 0;
	EXPECT_EQ(-1, mptable_build(ram, RAM_SIZE, &cfg, MPTABLE_BASE, err,
				    sizeof(err)));
	cfg.nr_cpus = ACPI_MAX_CPUS + 1;
	EXPECT_EQ(-1, mptable_build(ram, RAM_SIZE, &cfg, MPTABLE_BASE, err,
				    sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "65 vCPUs"));
	/* nothing written by a refusal */
	EXPECT_EQ(0, scan_mp(ram));
	free(ram);
}

TEST_HARNESS_MAIN
