// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the ACPI tables of a hardware-reduced ACPI platform.
 *
 * hvx-run's PC has no ACPI hardware: no PM timer, no PM1 event or control
 * blocks, no GPEs, no SCI.  The FADT says so with HW_REDUCED_ACPI, which
 * ACPI 5.0 introduced for such machines; what remains are the sleep
 * control and sleep status registers (power off through \_S5) and the
 * reset register, all three single bytes in port space (pm.c serves
 * them).  Linux then also skips the 8259 PIC and the PIT and takes its
 * interrupts from the I/O APIC and the local APICs the MADT lists.
 *
 * The tables, in this order from the first 16-byte boundary of the
 * region the caller gives, each on a 16-byte boundary:
 *
 *   RSDP	revision 2 (ACPI 2.0+): the XSDT's address and both
 *		checksums.  No RSDT (its address is 0): every OS that reads
 *		a revision 2 RSDP uses the XSDT.  The RSDP must lie in the
 *		BIOS area 0xe0000-0xfffff, where an OS without the boot
 *		loader's pointer (boot_params.acpi_rsdp_addr) scans for it.
 *   XSDT	the FADT, the MADT and, with PCI, the MCFG.
 *   FADT	revision 6.0 (276 bytes), HW_REDUCED_ACPI, the DSDT's
 *		address in both fields, the sleep and reset registers.
 *   MADT	the local APICs and the I/O APIC; PCAT_COMPAT if
 *		struct acpi_config says the 8259 pair is there.
 *   DSDT	\_S5 and the legacy devices; the PCI root (acpi_pci.c).
 *   MCFG	with a PCI bus: its ECAM window (in the XSDT after the MADT).
 *
 * For 64 vCPUs that is 36 + 52 + 276 + 584 + 240 bytes, 0x4d0 with the
 * alignment: the tables need well under 2 KiB.  All fields are little
 * endian; the structures below are packed and written through htole*().
 */
#include <endian.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "aml.h"
#include "hvx-run.h"
#include "pci.h"

#define OEM_ID		"HVX   "	/* 6 characters */
#define OEM_TABLE_ID	"HVX-RUN "	/* 8 characters */
#define OEM_REVISION	1
#define CREATOR_ID	"HVX "
#define CREATOR_REVISION 1

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __packed;

/*
 * MCFG: the header, 8 reserved bytes, then one allocation per segment:
 * the ECAM base, the segment, the first and the last bus.
 */
struct acpi_mcfg {
	struct acpi_header header;
	uint64_t reserved;
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved2;
} __packed;

struct acpi_rsdp {
	char signature[8];		/* "RSD PTR " */
	uint8_t checksum;		/* of the first 20 bytes (ACPI 1.0) */
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum;	/* of all 36 bytes */
	uint8_t reserved[3];
} __packed;

/* Generic Address Structure */
struct acpi_gas {
	uint8_t space_id;
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __packed;

#define GAS_SYSTEM_IO		1
#define GAS_ACCESS_BYTE		1

struct acpi_fadt {
	struct acpi_header header;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control;
	struct acpi_gas sleep_status;
	uint64_t hypervisor_vendor_id;
} __packed;

/* FADT flags */
#define FADT_WBINVD		(1U << 0)
#define FADT_PROC_C1		(1U << 2)
#define FADT_PWR_BUTTON		(1U << 4)	/* no fixed-feature button */
#define FADT_SLP_BUTTON		(1U << 5)	/* likewise */
#define FADT_FIX_RTC		(1U << 6)	/* no RTC wake status */
#define FADT_RESET_REG_SUP	(1U << 10)
#define FADT_HW_REDUCED_ACPI	(1U << 20)

/* FADT IA-PC boot architecture flags */
#define BOOT_LEGACY_DEVICES	(1U << 0)
#define BOOT_8042		(1U << 1)
#define BOOT_NO_VGA		(1U << 2)
#define BOOT_NO_CMOS_RTC	(1U << 5)

/* FADT P_LVL2_LAT above 100 and P_LVL3_LAT above 1000: no C2, no C3. */
#define NO_C2_LATENCY		101
#define NO_C3_LATENCY		1001

#define RTC_CENTURY_INDEX	0x32

struct acpi_madt {
	struct acpi_header header;
	uint32_t lapic_address;
	uint32_t flags;
} __packed;

#define MADT_PCAT_COMPAT	1	/* MADT flags: dual 8259 present */

#define MADT_LAPIC		0
#define MADT_IOAPIC		1
#define MADT_OVERRIDE		2
#define MADT_LAPIC_NMI		4

struct madt_lapic {
	uint8_t type;
	uint8_t length;
	uint8_t processor_uid;
	uint8_t apic_id;
	uint32_t flags;
} __packed;

#define MADT_LAPIC_ENABLED	1

struct madt_ioapic {
	uint8_t type;
	uint8_t length;
	uint8_t id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} __packed;

struct madt_override {
	uint8_t type;
	uint8_t length;
	uint8_t bus;			/* 0: ISA */
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;
} __packed;

struct madt_lapic_nmi {
	uint8_t type;
	uint8_t length;
	uint8_t processor_uid;		/* 0xff: all processors */
	uint16_t flags;
	uint8_t lint;
} __packed;

/* Layouts as ACPI 6.0 gives them. */
_Static_assert(sizeof(struct acpi_header) == 36, "ACPI header");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT");
_Static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "FADT");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT");
_Static_assert(offsetof(struct acpi_fadt, sleep_control) == 244, "FADT");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT");
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT local APIC");
_Static_assert(sizeof(struct madt_ioapic) == 12, "MADT I/O APIC");
_Static_assert(sizeof(struct madt_override) == 10, "MADT override");
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT NMI");


/*
 * Device (FWCF) { Name (_HID, "QEMU0002") Name (_STA, 0x0B)
 * Name (_CRS, ResourceTemplate () { IO 0x510 length 2 }) }: the fw_cfg
 * device, under the ID Linux's qemu_fw_cfg driver binds to (a String:
 * it is no EISA ID).  _STA 0x0b is present, enabled and functioning but
 * not shown in user interfaces, as befits a firmware interface.
 */
static void aml_fw_cfg(struct aml *a)
{
	static const char hid[] = "QEMU0002";
	struct rsrc r = { .len = 0 };
	size_t pkg;

	rsrc_io(&r, FW_CFG_PORT_SEL, 2);
	aml_byte(a, AML_EXT);
	aml_byte(a, AML_DEVICE);
	pkg = aml_open(a);
	aml_nameseg(a, "FWCF");
	aml_byte(a, AML_NAME);
	aml_nameseg(a, "_HID");
	aml_byte(a, AML_STRING);
	aml_bytes(a, hid, sizeof(hid));
	aml_byte(a, AML_NAME);
	aml_nameseg(a, "_STA");
	aml_integer(a, 0x0b);
	aml_crs(a, &r);
	aml_close(a, pkg);
}

/*
 * The DSDT's body:
 *
 *   Name (_S5, Package (4) { s5_sleep_type, 0, 0, 0 })
 *   Scope (\_SB) {
 *       Device (COM1) { _HID PNP0501 (16550A), _UID 1,
 *                       _CRS IO 0x3f8 length 8, IRQ 4 }
 *       Device (RTC_) { _HID PNP0B00 (AT RTC), _CRS IO 0x70 length 2,
 *                       IRQ 8 }
 *       Device (PS2K) { _HID PNP0303 (i8042 keyboard controller),
 *                       _CRS IO 0x60, IO 0x64, IRQ 1 }
 *       Device (FWCF) { _HID "QEMU0002" (fw_cfg), _STA 0x0b,
 *                       _CRS IO 0x510 length 2 }
 *       Device (SYSR) { _HID PNP0C02 (motherboard resources),
 *                       _CRS the three power management ports }
 *   }
 *
 * \_S5 is what Linux evaluates to learn that S5 exists and which SLP_TYP
 * enters it: the first two elements are SLP_TYPa and SLP_TYPb (ignored
 * here: there is no PM1b), the last two are reserved.  The devices let
 * the guest find COM1, the RTC, the i8042 and fw_cfg through ACPI rather
 * than by probing; SYSR keeps the PM ports from being handed to other
 * devices.
 */
static void build_dsdt_body(struct aml *a, const struct acpi_config *cfg)
{
	struct rsrc r;
	size_t pkg, scope;

	/* NameOp "_S5_" PackageOp PkgLength NumElements Integer x 4 */
	aml_byte(a, AML_NAME);
	aml_nameseg(a, "_S5_");
	aml_byte(a, AML_PACKAGE);
	pkg = aml_open(a);
	aml_byte(a, 4);
	aml_integer(a, cfg->s5_sleep_type);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_close(a, pkg);

	/* ScopeOp PkgLength NameString ("\_SB_": RootChar NameSeg) */
	aml_byte(a, AML_SCOPE);
	scope = aml_open(a);
	aml_byte(a, AML_ROOT);
	aml_nameseg(a, "_SB_");

	if (cfg->com1) {
		rsrc_reset(&r);
		rsrc_io(&r, SERIAL_COM1_BASE, 8);
		rsrc_irq(&r, 4);
		aml_device(a, "COM1", "PNP0501", 1, &r);
	}
	if (cfg->rtc) {
		rsrc_reset(&r);
		rsrc_io(&r, RTC_INDEX_PORT, 2);
		rsrc_irq(&r, 8);
		aml_device(a, "RTC_", "PNP0B00", -1, &r);
	}
	if (cfg->i8042) {
		rsrc_reset(&r);
		rsrc_io(&r, I8042_DATA_PORT, 1);
		rsrc_io(&r, I8042_CMD_PORT, 1);
		rsrc_irq(&r, 1);
		aml_device(a, "PS2K", "PNP0303", -1, &r);
	}
	if (cfg->fw_cfg)
		aml_fw_cfg(a);
	rsrc_reset(&r);
	rsrc_io(&r, cfg->sleep_control_port, 1);
	rsrc_io(&r, cfg->sleep_status_port, 1);
	rsrc_io(&r, cfg->reset_port, 1);
	if (cfg->pci) {
		acpi_pci_reserve(&r);
		acpi_pci_root(a);
	}
	aml_device(a, "SYSR", "PNP0C02", -1, &r);

	aml_close(a, scope);
}

/**
 * acpi_config_default() - the tables hvx-run's PC needs
 * @cfg: filled in
 * @nr_cpus: vCPUs
 *
 * The I/O APIC at 0xfec00000 with ID 0, ISA IRQ 0 wired to GSI 2 (edge,
 * active high; the other ISA IRQs to the GSI of their number), the power
 * management ports PM_*, COM1, the RTC and the i8042, no 8259 pair, no
 * fw_cfg, the tables in the BIOS area's lower half, 0xe0000-0xeffff.
 */
void acpi_config_default(struct acpi_config *cfg, uint32_t nr_cpus)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->nr_cpus = nr_cpus;
	cfg->ioapic_base = IOAPIC_DEFAULT_BASE;
	cfg->ioapic_id = 0;
	cfg->nr_overrides = 1;
	cfg->overrides[0].irq = 0;
	cfg->overrides[0].gsi = 2;
	cfg->overrides[0].flags = ACPI_IRQ_EDGE | ACPI_IRQ_ACTIVE_HIGH;
	cfg->sleep_control_port = PM_SLEEP_CONTROL_PORT;
	cfg->sleep_status_port = PM_SLEEP_STATUS_PORT;
	cfg->reset_port = PM_RESET_PORT;
	cfg->reset_value = PM_RESET_VALUE;
	cfg->s5_sleep_type = PM_SLP_TYP_S5;
	cfg->tables_base = ACPI_TABLES_BASE;
	cfg->tables_size = ACPI_TABLES_SIZE;
	cfg->com1 = true;
	cfg->rtc = true;
	cfg->i8042 = true;
}

static void fill_header(struct acpi_header *h, const char *sig,
			uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = htole32(len);
	h->revision = rev;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
	h->oem_revision = htole32(OEM_REVISION);
	memcpy(h->creator_id, CREATOR_ID, 4);
	h->creator_revision = htole32(CREATOR_REVISION);
}

static struct acpi_gas port_gas(uint16_t port)
{
	return (struct acpi_gas) {
		.space_id = GAS_SYSTEM_IO,
		.bit_width = 8,
		.access_size = GAS_ACCESS_BYTE,
		.address = htole64(port),
	};
}

static void build_fadt(struct acpi_fadt *f, const struct acpi_config *cfg,
		       uint64_t dsdt)
{
	uint16_t boot = BOOT_NO_VGA;

	fill_header(&f->header, "FACP", sizeof(*f), 6);
	f->minor_version = 0;
	f->dsdt = htole32(dsdt);
	f->x_dsdt = htole64(dsdt);
	f->p_lvl2_lat = htole16(NO_C2_LATENCY);
	f->p_lvl3_lat = htole16(NO_C3_LATENCY);
	/*
	 * There are ISA devices (COM1, the RTC, the i8042), an i8042 that
	 * Linux may drive (without BOOT_8042 it assumes none), no VGA, and
	 * the RTC's century byte at CMOS 0x32.  MSIs work.
	 */
	if (cfg->com1 || cfg->rtc || cfg->i8042)
		boot |= BOOT_LEGACY_DEVICES;
	if (cfg->i8042)
		boot |= BOOT_8042;
	if (cfg->rtc)
		f->century = RTC_CENTURY_INDEX;
	else
		boot |= BOOT_NO_CMOS_RTC;
	f->iapc_boot_arch = htole16(boot);
	f->flags = htole32(FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON |
			   FADT_SLP_BUTTON | FADT_FIX_RTC |
			   FADT_RESET_REG_SUP | FADT_HW_REDUCED_ACPI);
	f->reset_reg = port_gas(cfg->reset_port);
	f->reset_value = cfg->reset_value;
	f->sleep_control = port_gas(cfg->sleep_control_port);
	f->sleep_status = port_gas(cfg->sleep_status_port);
	table_checksum(f, sizeof(*f), &f->header.checksum);
}

static size_t madt_size(const struct acpi_config *cfg)
{
	return sizeof(struct acpi_madt) +
	       cfg->nr_cpus * sizeof(struct madt_lapic) +
	       sizeof(struct madt_ioapic) +
	       cfg->nr_overrides * sizeof(struct madt_override) +
	       sizeof(struct madt_lapic_nmi);
}

static uint8_t *madt_ioapic(uint8_t *p, const struct acpi_config *cfg)
{
	struct madt_ioapic *io = (struct madt_ioapic *)p;

	io->type = MADT_IOAPIC;
	io->length = sizeof(*io);
	io->id = cfg->ioapic_id;
	io->address = htole32(cfg->ioapic_base);
	io->gsi_base = htole32(0);
	return p + sizeof(*io);
}

static uint8_t *madt_override(uint8_t *p, const struct acpi_irq_override *ov)
{
	struct madt_override *o = (struct madt_override *)p;

	o->type = MADT_OVERRIDE;
	o->length = sizeof(*o);
	o->bus = 0;
	o->source = ov->irq;
	o->gsi = htole32(ov->gsi);
	o->flags = htole16(ov->flags);
	return p + sizeof(*o);
}

static void build_madt(uint8_t *p, const struct acpi_config *cfg)
{
	struct acpi_madt *m = (struct acpi_madt *)p;
	uint8_t *e = p + sizeof(*m);
	struct madt_lapic_nmi *nmi;
	struct madt_lapic *l;
	unsigned int i;

	fill_header(&m->header, "APIC", madt_size(cfg), 3);
	m->lapic_address = htole32(ACPI_LAPIC_BASE);
	/*
	 * PCAT_COMPAT says the machine also has the dual 8259 (masked while
	 * the APICs are in use), so it is set only when the caller says the
	 * PIC pair is on the bus: with the flag Linux takes the 8259's
	 * presence for granted instead of probing for it.  Under
	 * HW_REDUCED_ACPI Linux installs its null PIC either way; the flag
	 * matters to an OS that reads the MADT without that.
	 */
	m->flags = htole32(cfg->pic ? MADT_PCAT_COMPAT : 0);

	for (i = 0; i < cfg->nr_cpus; i++, e += sizeof(*l)) {
		l = (struct madt_lapic *)e;
		l->type = MADT_LAPIC;
		l->length = sizeof(*l);
		l->processor_uid = i;
		l->apic_id = i;
		l->flags = htole32(MADT_LAPIC_ENABLED);
	}
	e = madt_ioapic(e, cfg);
	for (i = 0; i < cfg->nr_overrides; i++)
		e = madt_override(e, &cfg->overrides[i]);

	/* Every local APIC's LINT1 is the NMI input, edge, active high. */
	nmi = (struct madt_lapic_nmi *)e;
	nmi->type = MADT_LAPIC_NMI;
	nmi->length = sizeof(*nmi);
	nmi->processor_uid = 0xff;
	nmi->flags = htole16(ACPI_IRQ_EDGE | ACPI_IRQ_ACTIVE_HIGH);
	nmi->lint = 1;
	table_checksum(p, madt_size(cfg), &m->header.checksum);
}

/* Bus 0 of segment 0 in the ECAM window of pci.h. */
static void build_mcfg(struct acpi_mcfg *m)
{
	fill_header(&m->header, "MCFG", sizeof(*m), 1);
	m->base = htole64(PCI_ECAM_BASE);
	m->segment = 0;
	m->start_bus = 0;
	m->end_bus = 0;
	table_checksum(m, sizeof(*m), &m->header.checksum);
}

static int check_config(uint64_t ram_size, const struct acpi_config *cfg,
			char *err, size_t errlen)
{
	uint64_t rsdp = (cfg->tables_base + 15) & ~15ULL;
	unsigned int i;

	if (cfg->nr_cpus < 1 || cfg->nr_cpus > ACPI_MAX_CPUS) {
		snprintf(err, errlen, "%u vCPUs: the ACPI tables take 1-%u",
			 cfg->nr_cpus, ACPI_MAX_CPUS);
		return -1;
	}
	if (cfg->ioapic_id > 15 || !cfg->ioapic_base ||
	    cfg->ioapic_base >= SZ_4G) {
		snprintf(err, errlen,
			 "I/O APIC ID %u at 0x%" PRIx64 ": the ID must be 0-15, the address below 4 GiB",
			 cfg->ioapic_id, cfg->ioapic_base);
		return -1;
	}
	if (cfg->nr_overrides > ACPI_MAX_OVERRIDES) {
		snprintf(err, errlen, "%u interrupt source overrides: at most %u",
			 cfg->nr_overrides, ACPI_MAX_OVERRIDES);
		return -1;
	}
	for (i = 0; i < cfg->nr_overrides; i++) {
		if (cfg->overrides[i].irq > 15) {
			snprintf(err, errlen,
				 "interrupt source override of IRQ %u: ISA IRQs are 0-15",
				 cfg->overrides[i].irq);
			return -1;
		}
	}
	if (!cfg->sleep_control_port || !cfg->sleep_status_port ||
	    !cfg->reset_port ||
	    cfg->sleep_control_port == cfg->sleep_status_port ||
	    cfg->sleep_control_port == cfg->reset_port ||
	    cfg->sleep_status_port == cfg->reset_port ||
	    cfg->s5_sleep_type > 7) {
		snprintf(err, errlen,
			 "power management ports 0x%x, 0x%x, 0x%x, S5 type %u: need three different non-zero ports and a type 0-7",
			 cfg->sleep_control_port, cfg->sleep_status_port,
			 cfg->reset_port, cfg->s5_sleep_type);
		return -1;
	}
	if (!cfg->tables_size || cfg->tables_base > ram_size ||
	    cfg->tables_size > ram_size - cfg->tables_base) {
		snprintf(err, errlen,
			 "ACPI tables at 0x%" PRIx64 ", 0x%" PRIx64 " bytes: not in RAM (0x%" PRIx64 " bytes)",
			 cfg->tables_base, cfg->tables_size, ram_size);
		return -1;
	}
	if (rsdp < ACPI_RSDP_SCAN_START ||
	    rsdp + sizeof(struct acpi_rsdp) > ACPI_RSDP_SCAN_END) {
		snprintf(err, errlen,
			 "ACPI tables at 0x%" PRIx64 ": the RSDP must lie in 0x%llx-0x%llx",
			 cfg->tables_base, ACPI_RSDP_SCAN_START,
			 ACPI_RSDP_SCAN_END - 1);
		return -1;
	}
	return 0;
}

/* Take @len bytes, 16-byte aligned, from *@next. */
static uint64_t place(uint64_t *next, size_t len)
{
	uint64_t at = (*next + 15) & ~15ULL;

	*next = at + len;
	return at;
}

/**
 * acpi_build() - write the ACPI tables into guest RAM
 * @ram: guest RAM, from guest-physical 0
 * @ram_size: its size
 * @cfg: what to describe, and where (see acpi_config_default())
 * @rsdp_gpa: set to the RSDP's guest-physical address, for
 *	boot_params.acpi_rsdp_addr
 * @err: a message when it fails
 * @errlen: room in @err
 *
 * Clears the region @cfg names, then writes the tables from its start.
 * Nothing else of RAM is touched.
 *
 * Return: 0, or -1 when @cfg is out of range or the tables do not fit.
 */
int acpi_build(void *ram, uint64_t ram_size, const struct acpi_config *cfg,
	       uint64_t *rsdp_gpa, char *err, size_t errlen)
{
	uint64_t next, end, rsdp, xsdt, fadt, madt, dsdt, mcfg, entries[3];
	size_t xsdt_len, nr_entries = cfg->pci ? 3 : 2;
	struct aml aml, *a = &aml;
	uint8_t *mem = ram;
	struct acpi_header *h;
	struct acpi_rsdp *r;
	size_t dsdt_len;

	if (check_config(ram_size, cfg, err, errlen))
		return -1;

	a->len = 0;
	a->overflow = false;
	a->bad_rsrc = false;
	build_dsdt_body(a, cfg);
	if (a->bad_rsrc) {
		snprintf(err, errlen,
			 "a _CRS resource template is larger than %u bytes",
			 RSRC_MAX);
		return -1;
	}
	if (a->overflow) {
		snprintf(err, errlen, "the DSDT is larger than %u bytes",
			 AML_MAX);
		return -1;
	}
	dsdt_len = sizeof(struct acpi_header) + a->len;

	next = cfg->tables_base;
	end = cfg->tables_base + cfg->tables_size;
	rsdp = place(&next, sizeof(struct acpi_rsdp));
	xsdt_len = sizeof(struct acpi_header) + nr_entries * sizeof(entries[0]);
	xsdt = place(&next, xsdt_len);
	fadt = place(&next, sizeof(struct acpi_fadt));
	madt = place(&next, madt_size(cfg));
	dsdt = place(&next, dsdt_len);
	mcfg = cfg->pci ? place(&next, sizeof(struct acpi_mcfg)) : 0;
	if (next > end) {
		snprintf(err, errlen,
			 "the ACPI tables need 0x%" PRIx64 " bytes from 0x%" PRIx64 ", the region has 0x%" PRIx64,
			 next - cfg->tables_base, cfg->tables_base,
			 cfg->tables_size);
		return -1;
	}
	memset(mem + cfg->tables_base, 0, cfg->tables_size);

	h = (struct acpi_header *)(mem + dsdt);
	fill_header(h, "DSDT", dsdt_len, 2);	/* 2: 64-bit integers */
	memcpy(h + 1, a->b, a->len);
	table_checksum(h, dsdt_len, &h->checksum);

	build_madt(mem + madt, cfg);
	build_fadt((struct acpi_fadt *)(mem + fadt), cfg, dsdt);

	h = (struct acpi_header *)(mem + xsdt);
	if (cfg->pci)
		build_mcfg((struct acpi_mcfg *)(mem + mcfg));
	fill_header(h, "XSDT", xsdt_len, 1);
	entries[0] = htole64(fadt);
	entries[1] = htole64(madt);
	entries[2] = htole64(mcfg);
	memcpy(h + 1, entries, nr_entries * sizeof(entries[0]));
	table_checksum(h, xsdt_len, &h->checksum);

	r = (struct acpi_rsdp *)(mem + rsdp);
	memcpy(r->signature, "RSD PTR ", 8);
	memcpy(r->oem_id, OEM_ID, 6);
	r->revision = 2;
	r->rsdt_address = 0;
	r->length = htole32(sizeof(*r));
	r->xsdt_address = htole64(xsdt);
	table_checksum(r, 20, &r->checksum);
	table_checksum(r, sizeof(*r), &r->extended_checksum);

	*rsdp_gpa = rsdp;
	return 0;
}
