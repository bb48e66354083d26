// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's ACPI tables (userspace/hvx-run/acpi.c),
 * read back with the offsets of the ACPI specification, not with acpi.c's
 * structures: the RSDP as a guest's legacy scan finds it, every table's
 * signature, length and checksum, the XSDT's entries, the FADT's flags
 * and registers, the MADT for 1, 2 and 64 vCPUs, the DSDT's AML (fw_cfg's
 * device too), the MCFG and the PCI root with the PCI bus; configuration
 * errors; and, where acpica-tools is installed, iasl's disassembly of
 * every table and acpiexec evaluating \_S5 and sleeping to S5 through
 * the sleep registers.
 * The resource template builders refuse what does not fit in their buffer.
 * The power management ports behind the FADT: hvx_run_pm_test.c.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/aml.h"
#include "../../userspace/hvx-run/hvx-run.h"
#include "../../userspace/hvx-run/pci.h"

#define RAM_SIZE	(2 * SZ_1M)

static uint16_t get16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* The RSDP as a guest finds it: 16-byte steps through 0xe0000-0xfffff. */
static uint64_t scan_rsdp(const uint8_t *ram)
{
	uint64_t a;

	for (a = 0xe0000; a < 0x100000; a += 16)
		if (!memcmp(ram + a, "RSD PTR ", 8) && !sum8(ram + a, 20))
			return a;
	return 0;
}

/* Table header fields (ACPI 6.0 table 5-29). */
#define HDR_LENGTH	4
#define HDR_REVISION	8
#define HDR_OEM_ID	10
#define HDR_SIZE	36

/* FADT fields (ACPI 6.0 table 5-34). */
#define FADT_FACS	36
#define FADT_DSDT	40
#define FADT_SCI_INT	46
#define FADT_SMI_CMD	48
#define FADT_PM1A_EVT	56
#define FADT_PM1A_CNT	64
#define FADT_PM_TMR	76
#define FADT_GPE0	80
#define FADT_CENTURY	108
#define FADT_BOOT_ARCH	109
#define FADT_FLAGS	112
#define FADT_RESET_REG	116
#define FADT_RESET_VAL	128
#define FADT_MINOR	131
#define FADT_X_FACS	132
#define FADT_X_DSDT	140
#define FADT_X_PM1A_EVT	148
#define FADT_X_PM_TMR	208
#define FADT_SLEEP_CTL	244
#define FADT_SLEEP_STS	256
#define FADT_SIZE	276

#define FLAG_WBINVD		(1U << 0)
#define FLAG_RESET_REG_SUP	(1U << 10)
#define FLAG_HW_REDUCED		(1U << 20)
#define BOOT_LEGACY		(1U << 0)
#define BOOT_8042		(1U << 1)
#define BOOT_NO_VGA		(1U << 2)
#define BOOT_NO_MSI		(1U << 3)
#define BOOT_NO_CMOS_RTC	(1U << 5)

/* The ACPI tables of one build, found the way a guest finds them. */
struct tables {
	uint64_t rsdp, xsdt, fadt, madt, dsdt;
};

static void find_tables(struct __test_metadata *_metadata,
			const uint8_t *ram, struct tables *t)
{
	const uint8_t *x;

	memset(t, 0, sizeof(*t));
	t->rsdp = scan_rsdp(ram);
	ASSERT_NE(0, t->rsdp);
	t->xsdt = get64(ram + t->rsdp + 24);
	x = ram + t->xsdt;
	ASSERT_EQ(0, memcmp(x, "XSDT", 4));
	ASSERT_EQ(HDR_SIZE + 16, get32(x + HDR_LENGTH));
	t->fadt = get64(x + HDR_SIZE);
	t->madt = get64(x + HDR_SIZE + 8);
	ASSERT_LT(t->fadt, RAM_SIZE);
	ASSERT_LT(t->madt, RAM_SIZE);
	t->dsdt = get64(ram + t->fadt + FADT_X_DSDT);
	ASSERT_LT(t->dsdt, RAM_SIZE);
}

/* One table's header: signature, length, checksum, OEM ID, place. */
static void check_table(struct __test_metadata *_metadata,
			const uint8_t *ram, uint64_t gpa, const char *sig,
			uint32_t len)
{
	const uint8_t *p = ram + gpa;

	EXPECT_EQ(0, memcmp(p, sig, 4)) TH_LOG("%s at 0x%lx", sig,
					       (unsigned long)gpa);
	EXPECT_EQ(len, get32(p + HDR_LENGTH)) TH_LOG("%s", sig);
	EXPECT_EQ(0, sum8(p, get32(p + HDR_LENGTH))) TH_LOG("%s", sig);
	EXPECT_EQ(0, memcmp(p + HDR_OEM_ID, "HVX   ", 6)) TH_LOG("%s", sig);
	EXPECT_EQ(0, gpa % 8) TH_LOG("%s", sig);
	EXPECT_LE(0xe0000, gpa);
	EXPECT_LE(gpa + len, 0x100000) TH_LOG("%s", sig);
}

static uint32_t madt_len(uint32_t cpus)
{
	return 44 + 8 * cpus + 12 + 10 + 6;
}

/* Decode an AML PkgLength at @p: its value, and its own size in @n. */
static uint32_t pkg_length(const uint8_t *p, unsigned int *n)
{
	unsigned int follow = p[0] >> 6, i;
	uint32_t v;

	*n = 1 + follow;
	if (!follow)
		return p[0] & 0x3f;
	v = p[0] & 0x0f;
	for (i = 1; i <= follow; i++)
		v |= (uint32_t)p[i] << (4 + 8 * (i - 1));
	return v;
}

static const uint8_t *find_bytes(const uint8_t *hay, size_t len,
				 const void *needle, size_t n)
{
	return memmem(hay, len, needle, n);
}

FIXTURE(acpi) {
	uint8_t *ram;
	struct acpi_config cfg;
	uint64_t rsdp;
	struct tables t;
};

FIXTURE_VARIANT(acpi) {
	uint32_t cpus;
};

FIXTURE_VARIANT_ADD(acpi, one_cpu) {
	.cpus = 1,
};

FIXTURE_VARIANT_ADD(acpi, two_cpus) {
	.cpus = 2,
};

FIXTURE_VARIANT_ADD(acpi, max_cpus) {
	.cpus = ACPI_MAX_CPUS,
};

FIXTURE_SETUP(acpi)
{
	char err[256] = "";

	self->ram = calloc(1, RAM_SIZE);
	ASSERT_NE(NULL, self->ram);
	acpi_config_default(&self->cfg, variant->cpus);
	ASSERT_EQ(0, acpi_build(self->ram, RAM_SIZE, &self->cfg, &self->rsdp,
				err, sizeof(err))) TH_LOG("%s", err);
	find_tables(_metadata, self->ram, &self->t);
}

FIXTURE_TEARDOWN(acpi)
{
	free(self->ram);
}

TEST_F(acpi, rsdp)
{
	const uint8_t *r = self->ram + self->rsdp;

	/* Where the scan finds it, and where the caller was told. */
	EXPECT_EQ(self->t.rsdp, self->rsdp);
	EXPECT_EQ(ACPI_TABLES_BASE, self->rsdp);
	EXPECT_EQ(0, self->rsdp % 16);
	EXPECT_EQ(0, sum8(r, 20));			/* ACPI 1.0 checksum */
	EXPECT_EQ(2, r[15]);				/* revision */
	EXPECT_EQ(36, get32(r + 20));			/* length */
	EXPECT_EQ(0, sum8(r, 36));			/* extended checksum */
	EXPECT_EQ(0, memcmp(r + 9, "HVX   ", 6));
	EXPECT_EQ(0, get32(r + 16));			/* no RSDT */
	EXPECT_EQ(self->t.xsdt, get64(r + 24));
	/* Only one RSDP in the area. */
	EXPECT_EQ(NULL, find_bytes(r + 16, 0x100000 - self->rsdp - 16,
				   "RSD PTR ", 8));
}

TEST_F(acpi, headers)
{
	const uint8_t *d = self->ram + self->t.dsdt;
	struct tables *t = &self->t;
	uint64_t a[4] = { t->xsdt, t->fadt, t->madt, t->dsdt };
	uint32_t l[4];
	unsigned int i, j;

	check_table(_metadata, self->ram, t->xsdt, "XSDT", 36 + 16);
	check_table(_metadata, self->ram, t->fadt, "FACP", FADT_SIZE);
	check_table(_metadata, self->ram, t->madt, "APIC",
		    madt_len(variant->cpus));
	check_table(_metadata, self->ram, t->dsdt, "DSDT", get32(d + 4));
	EXPECT_LT(HDR_SIZE + 50, get32(d + 4));
	EXPECT_EQ(1, self->ram[t->xsdt + HDR_REVISION]);
	EXPECT_EQ(6, self->ram[t->fadt + HDR_REVISION]);
	EXPECT_EQ(2, self->ram[t->dsdt + HDR_REVISION]);

	/* No two tables (nor the RSDP) overlap. */
	for (i = 0; i < 4; i++) {
		l[i] = get32(self->ram + a[i] + HDR_LENGTH);
		EXPECT_LE(t->rsdp + 36, a[i]);
	}
	for (i = 0; i < 4; i++)
		for (j = 0; j < i; j++)
			EXPECT_TRUE(a[i] + l[i] <= a[j] || a[j] + l[j] <= a[i]);
}

TEST_F(acpi, xsdt)
{
	const uint8_t *x = self->ram + self->t.xsdt;

	EXPECT_EQ(0, memcmp(self->ram + get64(x + 36), "FACP", 4));
	EXPECT_EQ(0, memcmp(self->ram + get64(x + 44), "APIC", 4));
}

TEST_F(acpi, fadt)
{
	const uint8_t *f = self->ram + self->t.fadt;
	const uint8_t *g;
	unsigned int i;

	EXPECT_EQ(FLAG_HW_REDUCED, get32(f + FADT_FLAGS) & FLAG_HW_REDUCED);
	EXPECT_EQ(FLAG_RESET_REG_SUP,
		  get32(f + FADT_FLAGS) & FLAG_RESET_REG_SUP);
	EXPECT_EQ(FLAG_WBINVD, get32(f + FADT_FLAGS) & FLAG_WBINVD);
	EXPECT_EQ(0, f[FADT_MINOR]);
	/* i8042 at 0x60/0x64, no VGA, MSIs fine, an RTC, ISA devices. */
	EXPECT_EQ(BOOT_LEGACY | BOOT_8042 | BOOT_NO_VGA,
		  get16(f + FADT_BOOT_ARCH));
	EXPECT_EQ(0, get16(f + FADT_BOOT_ARCH) & (BOOT_NO_MSI |
						  BOOT_NO_CMOS_RTC));
	EXPECT_EQ(0x32, f[FADT_CENTURY]);

	/* DSDT in both fields, no FACS, no fixed hardware. */
	EXPECT_EQ(self->t.dsdt, get32(f + FADT_DSDT));
	EXPECT_EQ(self->t.dsdt, get64(f + FADT_X_DSDT));
	EXPECT_EQ(0, get32(f + FADT_FACS));
	EXPECT_EQ(0, get64(f + FADT_X_FACS));
	EXPECT_EQ(0, get16(f + FADT_SCI_INT));
	EXPECT_EQ(0, get32(f + FADT_SMI_CMD));
	for (i = FADT_PM1A_EVT; i < FADT_GPE0 + 8; i += 4)
		EXPECT_EQ(0, get32(f + i)) TH_LOG("FADT offset %u", i);
	EXPECT_EQ(0, get32(f + FADT_PM_TMR));
	for (i = FADT_X_PM1A_EVT; i < FADT_SLEEP_CTL; i++)
		EXPECT_EQ(0, f[i]) TH_LOG("FADT offset %u", i);
	EXPECT_EQ(0, get64(f + FADT_X_PM_TMR + 4));

	/* Reset register: system I/O, 8 bits, byte access, the port. */
	g = f + FADT_RESET_REG;
	EXPECT_EQ(1, g[0]);
	EXPECT_EQ(8, g[1]);
	EXPECT_EQ(0, g[2]);
	EXPECT_EQ(1, g[3]);
	EXPECT_EQ(PM_RESET_PORT, get64(g + 4));
	EXPECT_EQ(PM_RESET_VALUE, f[FADT_RESET_VAL]);
	/* Sleep control and status registers. */
	g = f + FADT_SLEEP_CTL;
	EXPECT_EQ(0, memcmp(g, "\x01\x08\x00\x01", 4));
	EXPECT_EQ(PM_SLEEP_CONTROL_PORT, get64(g + 4));
	g = f + FADT_SLEEP_STS;
	EXPECT_EQ(0, memcmp(g, "\x01\x08\x00\x01", 4));
	EXPECT_EQ(PM_SLEEP_STATUS_PORT, get64(g + 4));
}

TEST_F(acpi, madt)
{
	const uint8_t *m = self->ram + self->t.madt;
	uint32_t len = get32(m + HDR_LENGTH), off;
	unsigned int lapics = 0, ioapics = 0, overrides = 0, nmis = 0;

	EXPECT_EQ(0xfee00000, get32(m + 36));
	EXPECT_EQ(0, get32(m + 40));		/* no PCAT_COMPAT: no 8259 */
	for (off = 44; off < len; off += m[off + 1]) {
		const uint8_t *e = m + off;

		ASSERT_LE(2, e[1]);
		ASSERT_LE(off + e[1], len);
		switch (e[0]) {
		case 0:
			ASSERT_EQ(8, e[1]);
			/* In order: UID = APIC ID = vCPU index, enabled. */
			EXPECT_EQ(lapics, e[2]);
			EXPECT_EQ(lapics, e[3]);
			EXPECT_EQ(1, get32(e + 4));
			lapics++;
			break;
		case 1:
			ASSERT_EQ(12, e[1]);
			EXPECT_EQ(0, e[2]);			/* ID */
			EXPECT_EQ(0xfec00000, get32(e + 4));
			EXPECT_EQ(0, get32(e + 8));		/* GSI base */
			ioapics++;
			break;
		case 2:
			ASSERT_EQ(10, e[1]);
			EXPECT_EQ(0, e[2]);			/* ISA */
			EXPECT_EQ(0, e[3]);			/* IRQ 0 */
			EXPECT_EQ(2, get32(e + 4));		/* GSI 2 */
			EXPECT_EQ(0x0005, get16(e + 8));	/* edge high */
			overrides++;
			break;
		case 4:
			ASSERT_EQ(6, e[1]);
			EXPECT_EQ(0xff, e[2]);			/* all */
			EXPECT_EQ(1, e[5]);			/* LINT1 */
			nmis++;
			break;
		default:
			EXPECT_TRUE(false) TH_LOG("MADT entry type %u", e[0]);
		}
	}
	EXPECT_EQ(len, off);
	EXPECT_EQ(variant->cpus, lapics);
	EXPECT_EQ(1, ioapics);
	EXPECT_EQ(1, overrides);
	EXPECT_EQ(1, nmis);
}

TEST_F(acpi, dsdt)
{
	const uint8_t *d = self->ram + self->t.dsdt;
	uint32_t len = get32(d + HDR_LENGTH), v;
	const uint8_t *p, *end = d + len;
	unsigned int n;

	/*
	 * The body: Name (_S5_, Package (4) { 5, 0, 0, 0 }), then
	 * Scope (\_SB_) to the end of the table.
	 */
	p = d + HDR_SIZE;
	ASSERT_EQ(0, memcmp(p, "\x08_S5_\x12", 6));
	v = pkg_length(p + 6, &n);
	EXPECT_EQ(1, n);
	EXPECT_EQ(0, memcmp(p + 6 + n, "\x04\x0a\x05\x00\x00\x00", 6));
	p += 6 + v;
	ASSERT_LT(p, end);
	ASSERT_EQ(0x10, p[0]);				/* ScopeOp */
	v = pkg_length(p + 1, &n);
	EXPECT_EQ(2, n);				/* over 63 bytes */
	EXPECT_EQ(end, p + 1 + v);
	EXPECT_EQ(0, memcmp(p + 1 + n, "\\_SB_", 5));

	/* The devices: names and EISA IDs, COM1's resources. */
	EXPECT_NE(NULL, find_bytes(p, end - p, "\x5b\x82", 2));
	EXPECT_NE(NULL, find_bytes(p, end - p, "COM1\x08_HID\x0c\x41\xd0\x05\x01",
				   14));
	EXPECT_NE(NULL, find_bytes(p, end - p, "RTC_\x08_HID\x0c\x41\xd0\x0b\x00",
				   14));
	EXPECT_NE(NULL, find_bytes(p, end - p, "PS2K\x08_HID\x0c\x41\xd0\x03\x03",
				   14));
	EXPECT_NE(NULL, find_bytes(p, end - p, "SYSR\x08_HID\x0c\x41\xd0\x0c\x02",
				   14));
	EXPECT_NE(NULL, find_bytes(p, end - p,
				   "\x47\x01\xf8\x03\xf8\x03\x01\x08\x22\x10\x00\x79\x00",
				   13));
	EXPECT_NE(NULL, find_bytes(p, end - p,
				   "\x47\x01\x00\x06\x00\x06\x01\x01", 8));
}

/* Run @cmd with sh; its output in @out (static). */
static int run(const char *cmd, char **out)
{
	static char buf[1 << 16];
	size_t n = 0;
	FILE *f;

	buf[0] = 0;
	*out = buf;
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n < sizeof(buf) - 1 && !feof(f))
		n += fread(buf + n, 1, sizeof(buf) - 1 - n, f);
	buf[n] = 0;
	return pclose(f);
}

static bool have(const char *tool)
{
	char cmd[128];
	char *out;

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return run(cmd, &out) == 0;
}

static void write_file(struct __test_metadata *_metadata, const char *dir,
		       const char *name, const void *p, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(len, fwrite(p, 1, len, f));
	ASSERT_EQ(0, fclose(f));
}

/* A new directory under $TMPDIR (or /tmp) for the tools' files. */
static bool make_dir(char *dir, size_t len)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, len, "%s/hvx-acpi-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(dir);
}

/* Dump the tables as name.dat files into @dir. */
static void dump_tables(struct __test_metadata *_metadata, const uint8_t *ram,
			const struct tables *t, const char *dir)
{
	static const char *const names[] = { "xsdt", "facp", "apic", "dsdt" };
	uint64_t a[] = { t->xsdt, t->fadt, t->madt, t->dsdt };
	char name[16];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(a); i++) {
		snprintf(name, sizeof(name), "%s.dat", names[i]);
		write_file(_metadata, dir, name, ram + a[i],
			   get32(ram + a[i] + HDR_LENGTH));
	}
}

static char *slurp(const char *dir, const char *name)
{
	char path[512];
	char *buf;
	long n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/*
 * iasl -d: each table disassembles, with no complaint (iasl marks a bad
 * checksum and fields it cannot decode in its output, and exits 0
 * anyway).  iasl cannot read an RSDP file, so the RSDP is left out.
 */
TEST_F(acpi, iasl)
{
	static const char *const names[] = { "xsdt", "facp", "apic", "dsdt" };
	char dir[256], cmd[1024], name[16];
	char *out, *dsl;
	unsigned int i;

	if (!have("iasl"))
		SKIP(return, "iasl not installed (Debian package acpica-tools)");
	ASSERT_TRUE(make_dir(dir, sizeof(dir)));
	dump_tables(_metadata, self->ram, &self->t, dir);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(cmd, sizeof(cmd), "cd '%s' && iasl -d %s.dat 2>&1", dir,
			 names[i]);
		EXPECT_EQ(0, run(cmd, &out)) TH_LOG("%s", out);
		snprintf(name, sizeof(name), "%s.dsl", names[i]);
		dsl = slurp(dir, name);
		ASSERT_NE(NULL, dsl) TH_LOG("%s", out);
		EXPECT_EQ(NULL, strstr(dsl, "Incorrect checksum"))
			TH_LOG("%s", dsl);
		EXPECT_EQ(NULL, strstr(dsl, "****")) TH_LOG("%s", dsl);
		if (i == 1) {
			EXPECT_NE(NULL, strstr(dsl, "Hardware Reduced (V5) : 1"));
			EXPECT_NE(NULL, strstr(dsl,
					       "Reset Register Supported (V2) : 1"));
		}
		if (i == 3) {
			EXPECT_NE(NULL, strstr(dsl, "Name (_S5, Package (0x04)"))
				TH_LOG("%s", dsl);
			EXPECT_NE(NULL, strstr(dsl, "EisaId (\"PNP0501\")"));
			EXPECT_NE(NULL, strstr(dsl, "EisaId (\"PNP0B00\")"));
			EXPECT_NE(NULL, strstr(dsl, "EisaId (\"PNP0303\")"));
			EXPECT_NE(NULL, strstr(dsl, "IRQNoFlags ()\n                    {4}"));
		}
		free(dsl);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	EXPECT_EQ(0, system(cmd));
}

/*
 * acpiexec runs the AML with ACPICA, the interpreter Linux has: \_S5
 * evaluates to SLP_TYP 5, and sleeping to S5 goes through the extended
 * sleep registers of the hardware-reduced model.
 */
TEST_F(acpi, acpiexec)
{
	char dir[256], cmd[1024];
	char *out;

	if (!have("acpiexec"))
		SKIP(return, "acpiexec not installed (Debian package acpica-tools)");
	ASSERT_TRUE(make_dir(dir, sizeof(dir)));
	dump_tables(_metadata, self->ram, &self->t, dir);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && acpiexec -b 'evaluate \\_S5; evaluate \\_SB.COM1._CRS; sleep 5' facp.dat apic.dat dsdt.dat </dev/null 2>&1",
		 dir);
	EXPECT_EQ(0, run(cmd, &out)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "4 Devices")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "[Integer] = 0000000000000005"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "47 01 F8 03 F8 03 01 08 22 10 00 79 00"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "Sleep-A: 05")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "HwExtendedSleep")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "Error")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "Warning")) TH_LOG("%s", out);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	EXPECT_EQ(0, system(cmd));
}

static int build(uint8_t *ram, uint64_t ram_size,
		 const struct acpi_config *cfg, char *err)
{
	uint64_t rsdp = 0;

	return acpi_build(ram, ram_size, cfg, &rsdp, err, 256);
}

TEST(config_errors)
{
	uint8_t *ram = malloc(RAM_SIZE);
	struct acpi_config cfg;
	char err[256];
	unsigned int i;

	ASSERT_NE(NULL, ram);
	memset(ram, 0x5a, RAM_SIZE);

	acpi_config_default(&cfg, 0);
	EXPECT_EQ(-1, build(ram, RAM_SIZE, &cfg, err));
	EXPECT_NE(NULL, strstr(err, "0 vCPUs")) TH_LOG("%s", err);
	cfg.nr_cpus = ACPI_MAX_CPUS + 1;
	EXPECT_EQ(-1, build(ram, RAM_SIZE, &cfg, err));
	EXPECT_NE(NULL, strstr(err, "65 vCPUs")) TH_LOG("%s", err);

	/* RAM ends inside the region; the region is outside the BIOS area. */
	acpi_config_default(&cfg, 1);
	EXPECT_EQ(-1, build(ram, 0xe8000, &cfg, err));
	EXPECT_NE(NULL, strstr(err, "not in RAM")) TH_LOG("%s", err);
	cfg.tables_base = 0x100000;
	EXPECT_EQ(-1, build(ram, RAM_SIZE, &cfg, err));
	EXPECT_NE(NULL, strstr(err, "the RSDP must lie in 0xe0000-0xfffff"))
		TH_LOG("%s", err);
	cfg.tables_base = 0xd0000;
	EXPECT_EQ(-1, build(ram, RAM_SIZE, &cfg, err));
	/* The last 16 bytes of the area cannot hold the RSDP. */
	cfg.tables_base = 0xffff0;
	cfg.tables_size = 0x10000;
	EXPECT_EQ(-1, build(ram, RAM_SIZE, &cfg, err));
	/* Too small for the tables. */
	acpi_config_default(&cfg, 64);
	cfg.tables_size = 0x400;
	EXPECT_EQ(-1, build(ram, RAM_SIZE, &cfg, err));
	EXPECT_NE(NULL, strstr(err, "the ACPI tables need")) TH_LOG("%s", err);
	cfg.tables_size = 0;
	EXPECT_EQ(-1, build(ram, RAM_SIZE, &cfg, err));

	acpi_config_default(&cfg, 1);
	cfg.ioapic_id = 16;
	EXPECT_EQ(-1, build(ram, RAM_SIZE, &cfg, err));
	acpi_config_default(&cfg, 1);
	cfg.ioapic_base = SZ_4G;
	EXPECT_EQ(-1, build(ram, RAM_SIZE, &cfg, err));
	acpi_config_default(&cfg, 1);
	cfg.overrides[0].irq = 16;
	EXPECT_EQ(-1, build(ram, RAM_SIZE, &cfg, err));
	acpi_config_default(&cfg, 1);
	cfg.nr_overrides = ACPI_MAX_OVERRIDES + 1;
	EXPECT_EQ(-1, build(ram, RAM_SIZE, &cfg, err));
	acpi_config_default(&cfg, 1);
	cfg.reset_port = cfg.sleep_status_port;
	EXPECT_EQ(-1, build(ram, RAM_SIZE, &cfg, err));
	acpi_config_default(&cfg, 1);
	cfg.sleep_control_port = 0;
	EXPECT_EQ(-1, build(ram, RAM_SIZE, &cfg, err));
	acpi_config_default(&cfg, 1);
	cfg.s5_sleep_type = 8;
	EXPECT_EQ(-1, build(ram, RAM_SIZE, &cfg, err));

	/* Failures write nothing. */
	for (i = 0; i < RAM_SIZE; i++)
		if (ram[i] != 0x5a)
			break;
	EXPECT_EQ(RAM_SIZE, i);
	free(ram);
}

/* A template with guard bytes after it, which no builder may touch. */
struct guarded_rsrc {
	struct rsrc r;
	uint8_t guard[64];
};

static bool guard_intact(const struct guarded_rsrc *g)
{
	size_t i;

	for (i = 0; i < sizeof(g->guard); i++)
		if (g->guard[i] != 0xa5)
			return false;
	return true;
}

/*
 * Every resource descriptor builder checks for room: what does not fit
 * is left out, writes nothing past the buffer and marks the template
 * bad, and aml_crs() then marks the AML so that acpi_build() fails.
 */
TEST(rsrc_bounds)
{
	struct guarded_rsrc g;
	struct aml a = { .len = 0 };
	unsigned int i;

	memset(&g, 0xa5, sizeof(g));
	rsrc_reset(&g.r);
	/* 15 IO descriptors and the end tag: 122 of the 128 bytes */
	for (i = 0; i < 15; i++)
		rsrc_io(&g.r, 0x100 + i, 1);
	EXPECT_EQ(120, g.r.len);
	EXPECT_FALSE(g.r.bad);
	aml_crs(&a, &g.r);
	EXPECT_FALSE(a.bad_rsrc);
	EXPECT_FALSE(a.overflow);
	EXPECT_EQ(122, g.r.len);
	EXPECT_EQ(0x79, g.r.b[120]);

	/* 16 fill it: no room for the end tag */
	rsrc_reset(&g.r);
	for (i = 0; i < 16; i++)
		rsrc_io(&g.r, 0x100 + i, 1);
	EXPECT_EQ(RSRC_MAX, g.r.len);
	EXPECT_FALSE(g.r.bad);
	a.len = 0;
	aml_crs(&a, &g.r);
	EXPECT_TRUE(a.bad_rsrc);
	EXPECT_EQ(0, a.len);
	EXPECT_TRUE(guard_intact(&g));

	/* one more of each kind: refused, nothing written */
	rsrc_io(&g.r, 0x200, 1);
	rsrc_irq(&g.r, 3);
	rsrc_mem32_fixed(&g.r, 0xfe000000, 0x1000);
	EXPECT_EQ(RSRC_MAX, g.r.len);
	EXPECT_TRUE(g.r.bad);
	EXPECT_TRUE(guard_intact(&g));

	/* a partial fit is no fit: 12 bytes with 8 left */
	rsrc_reset(&g.r);
	for (i = 0; i < 15; i++)
		rsrc_io(&g.r, 0x100 + i, 1);
	rsrc_mem32_fixed(&g.r, 0xfe000000, 0x1000);
	EXPECT_EQ(120, g.r.len);
	EXPECT_TRUE(g.r.bad);
	/* and a bad template stays bad, even where the next one fits */
	rsrc_irq(&g.r, 3);
	EXPECT_EQ(120, g.r.len);
	EXPECT_TRUE(guard_intact(&g));

	/* an ISA IRQ mask has 16 bits */
	rsrc_reset(&g.r);
	rsrc_irq(&g.r, 15);
	EXPECT_FALSE(g.r.bad);
	EXPECT_EQ(0x80, g.r.b[2]);
	rsrc_irq(&g.r, 16);
	EXPECT_TRUE(g.r.bad);
	EXPECT_EQ(3, g.r.len);

	/* the PCI root's window descriptors go through the same check */
	rsrc_reset(&g.r);
	for (i = 0; i < 15; i++)
		rsrc_io(&g.r, 0x100 + i, 1);
	acpi_pci_reserve(&g.r);
	EXPECT_TRUE(g.r.bad);
	EXPECT_EQ(120, g.r.len);
	EXPECT_TRUE(guard_intact(&g));
}

TEST(region)
{
	uint8_t *ram = malloc(RAM_SIZE);
	struct acpi_config cfg;
	uint64_t rsdp, i;
	struct tables t;
	char err[256];

	ASSERT_NE(NULL, ram);
	memset(ram, 0x5a, RAM_SIZE);
	/* A region starting off a 16-byte boundary, 4 KiB long. */
	acpi_config_default(&cfg, 64);
	cfg.tables_base = 0xf0004;
	cfg.tables_size = 0x1000;
	ASSERT_EQ(0, acpi_build(ram, RAM_SIZE, &cfg, &rsdp, err,
				sizeof(err))) TH_LOG("%s", err);
	EXPECT_EQ(0xf0010, rsdp);
	find_tables(_metadata, ram, &t);
	EXPECT_EQ(rsdp, t.rsdp);
	EXPECT_LE(t.dsdt + get32(ram + t.dsdt + HDR_LENGTH), 0xf1004);
	/* Outside the region: untouched; inside, past the tables: zero. */
	for (i = 0; i < RAM_SIZE; i++)
		if ((i < 0xf0004 || i >= 0xf1004) && ram[i] != 0x5a)
			break;
	EXPECT_EQ(RAM_SIZE, i) TH_LOG("byte 0x%lx", (unsigned long)i);
	EXPECT_EQ(0, ram[0xf0004]);
	EXPECT_EQ(0, ram[0xf1003]);
	free(ram);
}

TEST(config_changes)
{
	uint8_t *ram = calloc(1, RAM_SIZE);
	struct acpi_config cfg;
	const uint8_t *f, *d;
	struct tables t;
	uint64_t rsdp;
	char err[256];

	ASSERT_NE(NULL, ram);
	/*
	 * No i8042, no RTC, no COM1, but the 8259 pair; other ports, S5
	 * type, I/O APIC.
	 */
	acpi_config_default(&cfg, 3);
	cfg.i8042 = false;
	cfg.rtc = false;
	cfg.com1 = false;
	cfg.sleep_control_port = 0x1000;
	cfg.sleep_status_port = 0x1004;
	cfg.reset_port = 0xcf9;
	cfg.reset_value = 0x06;
	cfg.s5_sleep_type = 7;
	cfg.ioapic_id = 9;
	cfg.ioapic_base = 0xfec01000;
	cfg.nr_overrides = 2;
	cfg.overrides[1].irq = 9;
	cfg.overrides[1].gsi = 9;
	cfg.overrides[1].flags = ACPI_IRQ_LEVEL | ACPI_IRQ_ACTIVE_LOW;
	cfg.pic = true;
	ASSERT_EQ(0, acpi_build(ram, RAM_SIZE, &cfg, &rsdp, err,
				sizeof(err))) TH_LOG("%s", err);
	find_tables(_metadata, ram, &t);
	check_table(_metadata, ram, t.madt, "APIC", madt_len(3) + 10);
	EXPECT_EQ(1, get32(ram + t.madt + 40));		/* PCAT_COMPAT */
	f = ram + t.fadt;
	EXPECT_EQ(BOOT_NO_VGA | BOOT_NO_CMOS_RTC, get16(f + FADT_BOOT_ARCH));
	EXPECT_EQ(0, f[FADT_CENTURY]);
	EXPECT_EQ(0xcf9, get64(f + FADT_RESET_REG + 4));
	EXPECT_EQ(0x06, f[FADT_RESET_VAL]);
	EXPECT_EQ(0x1000, get64(f + FADT_SLEEP_CTL + 4));
	EXPECT_EQ(0x1004, get64(f + FADT_SLEEP_STS + 4));
	EXPECT_EQ(0, memcmp(ram + t.madt + 44 + 3 * 8,
			    "\x01\x0c\x09\x00\x00\x10\xc0\xfe", 8));
	EXPECT_EQ(0, memcmp(ram + t.madt + 44 + 3 * 8 + 12 + 10,
			    "\x02\x0a\x00\x09\x09\x00\x00\x00\x0f\x00", 10));
	d = ram + t.dsdt;
	EXPECT_EQ(0, memcmp(d + HDR_SIZE + 6 + 1, "\x04\x0a\x07", 3));
	EXPECT_EQ(NULL, find_bytes(d, get32(d + 4), "PS2K", 4));
	EXPECT_EQ(NULL, find_bytes(d, get32(d + 4), "RTC_", 4));
	EXPECT_EQ(NULL, find_bytes(d, get32(d + 4), "COM1", 4));
	EXPECT_NE(NULL, find_bytes(d, get32(d + 4),
				   "\x47\x01\xf9\x0c\xf9\x0c\x01\x01", 8));
	free(ram);
}

/*
 * The fw_cfg device, when asked for: Device (FWCF) with the String _HID
 * Linux's driver matches, _STA 0x0b and the two ports; acpiexec, where
 * installed, evaluates them.
 */
TEST(fw_cfg_device)
{
	uint8_t *ram = calloc(1, RAM_SIZE);
	char dir[256], cmd[1024], err[256];
	struct acpi_config cfg;
	const uint8_t *d;
	struct tables t;
	uint64_t rsdp;
	char *out;

	ASSERT_NE(NULL, ram);
	acpi_config_default(&cfg, 2);
	EXPECT_FALSE(cfg.fw_cfg);
	cfg.fw_cfg = true;
	ASSERT_EQ(0, acpi_build(ram, RAM_SIZE, &cfg, &rsdp, err,
				sizeof(err))) TH_LOG("%s", err);
	find_tables(_metadata, ram, &t);
	d = ram + t.dsdt;
	EXPECT_EQ(0, sum8(d, get32(d + HDR_LENGTH)));
	EXPECT_NE(NULL, find_bytes(d, get32(d + 4),
				   "FWCF\x08_HID\x0dQEMU0002\x00\x08_STA\x0a\x0b", 26));
	EXPECT_NE(NULL, find_bytes(d, get32(d + 4),
				   "\x47\x01\x10\x05\x10\x05\x01\x02\x79\x00", 10));

	if (!have("acpiexec")) {
		free(ram);
		SKIP(return, "acpiexec not installed (Debian package acpica-tools)");
	}
	ASSERT_TRUE(make_dir(dir, sizeof(dir)));
	dump_tables(_metadata, ram, &t, dir);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && acpiexec -b 'evaluate \\_SB.FWCF._HID; evaluate \\_SB.FWCF._STA; evaluate \\_SB.FWCF._CRS' facp.dat apic.dat dsdt.dat </dev/null 2>&1",
		 dir);
	EXPECT_EQ(0, run(cmd, &out)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "5 Devices")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"QEMU0002\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "[Integer] = 000000000000000B"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "47 01 10 05 10 05 01 02 79 00"))
		TH_LOG("%s", out);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	EXPECT_EQ(0, system(cmd));
	free(ram);
}

/*
 * With the PCI bus: the XSDT's third entry is an MCFG with one ECAM
 * allocation (bus 0 of segment 0 at PCI_ECAM_BASE), the DSDT has PCI0
 * with its _PRT and SYSR reserves the ECAM window; iasl and acpiexec
 * accept them.
 */
TEST(pci_root)
{
	uint8_t *ram = calloc(1, RAM_SIZE);
	char dir[256], cmd[1024], err[256];
	const uint8_t *x, *m, *d;
	struct acpi_config cfg;
	struct tables t;
	uint64_t rsdp;
	char *out;

	ASSERT_NE(NULL, ram);
	acpi_config_default(&cfg, 2);
	EXPECT_FALSE(cfg.pci);
	cfg.pci = true;
	ASSERT_EQ(0, acpi_build(ram, RAM_SIZE, &cfg, &rsdp, err,
				sizeof(err))) TH_LOG("%s", err);
	x = ram + get64(ram + rsdp + 24);
	ASSERT_EQ(HDR_SIZE + 24, get32(x + HDR_LENGTH));
	EXPECT_EQ(0, sum8(x, HDR_SIZE + 24));
	m = ram + get64(x + HDR_SIZE + 16);
	check_table(_metadata, ram, m - ram, "MCFG", 60);
	EXPECT_EQ(PCI_ECAM_BASE, get64(m + 44));
	EXPECT_EQ(0, get16(m + 52));		/* segment */
	EXPECT_EQ(0, m[54]);			/* first bus */
	EXPECT_EQ(0, m[55]);			/* last bus */
	d = ram + get64(ram + get64(x + HDR_SIZE) + FADT_X_DSDT);
	EXPECT_EQ(0, sum8(d, get32(d + HDR_LENGTH)));
	/* PCI0 with _HID PNP0A08, _CID PNP0A03 */
	EXPECT_NE(NULL, find_bytes(d, get32(d + 4),
				   "PCI0\x08_HID\x0c\x41\xd0\x0a\x08\x08_CID\x0c\x41\xd0\x0a\x03", 22));
	/* _PRT's first entry: slot 1's INTA# is GSI 17 */
	EXPECT_NE(NULL, find_bytes(d, get32(d + 4),
				   "_PRT\x12", 5));
	EXPECT_NE(NULL, find_bytes(d, get32(d + 4),
				   "\x12\x0b\x04\x0c\xff\xff\x01\x00\x00\x00\x0a\x11",
				   12));
	/* Memory32Fixed: the ECAM window among SYSR's resources */
	EXPECT_NE(NULL, find_bytes(d, get32(d + 4),
				   "\x86\x09\x00\x01\x00\x00\x00\xe0\x00\x00\x10\x00", 12));

	if (!have("iasl") || !have("acpiexec")) {
		free(ram);
		SKIP(return, "acpica-tools not installed");
	}
	t.xsdt = x - ram;
	t.fadt = get64(x + HDR_SIZE);
	t.madt = get64(x + HDR_SIZE + 8);
	t.dsdt = d - ram;
	ASSERT_TRUE(make_dir(dir, sizeof(dir)));
	dump_tables(_metadata, ram, &t, dir);
	write_file(_metadata, dir, "mcfg.dat", m, 60);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && iasl -d mcfg.dat dsdt.dat 2>&1 && cat mcfg.dsl dsdt.dsl",
		 dir);
	EXPECT_EQ(0, run(cmd, &out)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "Base Address : 00000000E0000000"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "EisaId (\"PNP0A08\")")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "WordBusNumber")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "0xC0000000")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "****")) TH_LOG("%s", out);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && acpiexec -b 'evaluate \\_SB.PCI0._CRS; evaluate \\_SB.PCI0._SEG; evaluate \\_SB.PCI0._PRT' facp.dat apic.dat dsdt.dat </dev/null 2>&1",
		 dir);
	EXPECT_EQ(0, run(cmd, &out)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "88 0D 00 02 0C 00")) TH_LOG("%s", out);
	/* _PRT: INTA# of slot s is GSI 16 + s % 8, slots 1 to 31 */
	EXPECT_NE(NULL, strstr(out, "_PRT returned")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "[Package] Contains 31 Elements:\n"
			       "    [Package] Contains 4 Elements:\n"
			       "      [Integer] = 000000000001FFFF\n"
			       "      [Integer] = 0000000000000000\n"
			       "      [Integer] = 0000000000000000\n"
			       "      [Integer] = 0000000000000011\n"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "      [Integer] = 000000000008FFFF\n"
			       "      [Integer] = 0000000000000000\n"
			       "      [Integer] = 0000000000000000\n"
			       "      [Integer] = 0000000000000010\n"))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "      [Integer] = 00000000001FFFFF\n"
			       "      [Integer] = 0000000000000000\n"
			       "      [Integer] = 0000000000000000\n"
			       "      [Integer] = 0000000000000017\n"))
		TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "Error")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "Warning")) TH_LOG("%s", out);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	EXPECT_EQ(0, system(cmd));
	free(ram);
}

TEST_HARNESS_MAIN
