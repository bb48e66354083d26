// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's PCI host bridge (userspace/hvx-run/pci.c,
 * pci_msix.c), driven register by register as a guest drives it: the
 * host bridge through 0xcf8/0xcfc, a function through ECAM, BAR sizing
 * and moving, read-only fields, the capability list, and MSI-X: the
 * routes (recorded instead of HVX_IRQFD) follow the table, the per-vector
 * mask, the function mask and the enable bit, and an interrupt while
 * masked waits in the PBA until the unmask; INTA#: the status bit, the
 * INTx disable bit and MSI-X gate it, and functions share GSIs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"
#include "../../userspace/hvx-run/pci.h"

#define BAR_SIZE	0x4000
#define TABLE		0x2000
#define PBA		0x3000

struct route_log {
	unsigned int assigns, deassigns;
	int efd;
	uint64_t address;
	uint32_t data;
	int fail;
};

static int record_route(void *ctx, int efd, bool assign, uint64_t address,
			uint32_t data)
{
	struct route_log *l = ctx;

	if (l->fail) {
		errno = EINVAL;
		return -1;
	}
	if (assign) {
		l->assigns++;
		l->efd = efd;
		l->address = address;
		l->data = data;
	} else {
		l->deassigns++;
	}
	return 0;
}

struct bar_log {
	uint64_t last_off;
	unsigned int reads, writes;
};

static void bar_read(void *opaque, unsigned int bar, uint64_t off,
		     void *data, unsigned int len)
{
	struct bar_log *l = opaque;

	l->reads++;
	l->last_off = off;
	memset(data, 0xab, len);
}

static void bar_write(void *opaque, unsigned int bar, uint64_t off,
		      const void *data, unsigned int len)
{
	struct bar_log *l = opaque;

	l->writes++;
	l->last_off = off;
}

static const struct pci_bar_ops ops = { .read = bar_read, .write = bar_write };

FIXTURE(pci) {
	struct io_bus *bus;
	struct pci_bus pb;
	struct pci_dev dev;
	struct route_log routes;
	struct bar_log bars;
};

FIXTURE_SETUP(pci)
{
	uint8_t vndr[2] = { 0x42, 0x43 };

	self->bus = malloc(sizeof(*self->bus));
	ASSERT_NE(NULL, self->bus);
	io_bus_init(self->bus, NULL);
	memset(&self->routes, 0, sizeof(self->routes));
	memset(&self->bars, 0, sizeof(self->bars));
	ASSERT_EQ(0, pci_bus_init(&self->pb, self->bus, record_route,
				  &self->routes));
	pci_dev_init(&self->dev, 0x1af4, 0x1042, 0x018000, 1);
	self->dev.ops = &ops;
	self->dev.opaque = &self->bars;
	ASSERT_EQ(0, pci_add_bar(&self->dev, 0, BAR_SIZE));
	ASSERT_EQ(0x40, pci_add_cap(&self->dev, PCI_CAP_ID_VNDR, vndr, 4));
	ASSERT_EQ(0, pci_add_msix(&self->dev, 0, TABLE, PBA, 3));
	ASSERT_EQ(0, pci_bus_add(&self->pb, &self->dev));
}

FIXTURE_TEARDOWN(pci)
{
	pci_dev_destroy(&self->dev);
	pci_bus_destroy(&self->pb);
	io_bus_destroy(self->bus);
	free(self->bus);
}

/* Configuration mechanism #1, 32 bits as a guest's inl/outl do it. */
static uint32_t cf8_read(struct io_bus *bus, unsigned int slot,
			 unsigned int reg)
{
	uint32_t a = 0x80000000U | slot << 11 | reg, v;

	io_bus_out(bus, PCI_CONFIG_ADDRESS, 4, &a);
	io_bus_in(bus, PCI_CONFIG_DATA, 4, &v);
	return v;
}

static void cf8_write(struct io_bus *bus, unsigned int slot,
		      unsigned int reg, uint32_t v)
{
	uint32_t a = 0x80000000U | slot << 11 | reg;

	io_bus_out(bus, PCI_CONFIG_ADDRESS, 4, &a);
	io_bus_out(bus, PCI_CONFIG_DATA, 4, &v);
}

static uint32_t ecam_read(struct io_bus *bus, unsigned int slot,
			  unsigned int reg, unsigned int len)
{
	uint32_t v = 0;

	io_bus_mmio(bus, PCI_ECAM_BASE + (slot << 15) + reg, len, false,
		    (uint8_t *)&v);
	return v;
}

static void ecam_write(struct io_bus *bus, unsigned int slot,
		       unsigned int reg, uint32_t v, unsigned int len)
{
	io_bus_mmio(bus, PCI_ECAM_BASE + (slot << 15) + reg, len, true,
		    (uint8_t *)&v);
}

static void mmio_write32(struct io_bus *bus, uint64_t gpa, uint32_t v)
{
	io_bus_mmio(bus, gpa, 4, true, (uint8_t *)&v);
}

static uint32_t mmio_read32(struct io_bus *bus, uint64_t gpa)
{
	uint32_t v = 0;

	io_bus_mmio(bus, gpa, 4, false, (uint8_t *)&v);
	return v;
}

TEST_F(pci, host_bridge_through_ports)
{
	uint32_t a = 0x80000000U | 0x10, back;

	EXPECT_EQ(PCI_HOST_DEVICE << 16 | PCI_HOST_VENDOR,
		  cf8_read(self->bus, 0, PCI_VENDOR_ID));
	EXPECT_EQ(PCI_CLASS_HOST_BRIDGE, cf8_read(self->bus, 0, 8) >> 8);
	/* CONFIG_ADDRESS reads back */
	io_bus_out(self->bus, PCI_CONFIG_ADDRESS, 4, &a);
	io_bus_in(self->bus, PCI_CONFIG_ADDRESS, 4, &back);
	EXPECT_EQ(a, back);
	/* empty slots, other buses, the enable bit clear: all ones */
	EXPECT_EQ(0xffffffffU, cf8_read(self->bus, 5, 0));
	a = 0x80010000U;
	io_bus_out(self->bus, PCI_CONFIG_ADDRESS, 4, &a);
	io_bus_in(self->bus, PCI_CONFIG_DATA, 4, &back);
	EXPECT_EQ(0xffffffffU, back);
	a = 1U << 11;
	io_bus_out(self->bus, PCI_CONFIG_ADDRESS, 4, &a);
	io_bus_in(self->bus, PCI_CONFIG_DATA, 4, &back);
	EXPECT_EQ(0xffffffffU, back);
}

TEST_F(pci, function_through_ecam_and_ports)
{
	EXPECT_EQ(0x10421af4U, ecam_read(self->bus, 1, 0, 4));
	EXPECT_EQ(0x10421af4U, cf8_read(self->bus, 1, 0));
	EXPECT_EQ(0x1af4U, ecam_read(self->bus, 1, 0, 2));
	EXPECT_EQ(0x01, ecam_read(self->bus, 1, PCI_REVISION_ID, 1));
	EXPECT_EQ(0x018000U, ecam_read(self->bus, 1, 8, 4) >> 8);
	/* a second function of the slot and another bus: nothing */
	EXPECT_EQ(0xffffffffU, ecam_read(self->bus, 1, 0x1000, 4));
	/* beyond the header: zeros */
	EXPECT_EQ(0, ecam_read(self->bus, 1, 0x800, 4));
	/* no interrupt pin, the line is scratch */
	EXPECT_EQ(0, ecam_read(self->bus, 1, PCI_INTERRUPT_PIN, 1));
	ecam_write(self->bus, 1, PCI_INTERRUPT_LINE, 0x0b, 1);
	EXPECT_EQ(0x0b, ecam_read(self->bus, 1, PCI_INTERRUPT_LINE, 1));
}

TEST_F(pci, read_only_fields)
{
	ecam_write(self->bus, 1, PCI_VENDOR_ID, 0x12345678, 4);
	EXPECT_EQ(0x10421af4U, ecam_read(self->bus, 1, 0, 4));
	cf8_write(self->bus, 1, 8, 0);
	EXPECT_EQ(0x01800001U, cf8_read(self->bus, 1, 8));
	/* command: memory, master and INTx disable only */
	ecam_write(self->bus, 1, PCI_COMMAND, 0xffff, 2);
	EXPECT_EQ(PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		  PCI_COMMAND_INTX_DISABLE,
		  ecam_read(self->bus, 1, PCI_COMMAND, 2));
	/* the status's capability bit stays */
	ecam_write(self->bus, 1, PCI_STATUS, 0, 2);
	EXPECT_EQ(PCI_STATUS_CAP_LIST, ecam_read(self->bus, 1, PCI_STATUS, 2));
}

TEST_F(pci, bar_sizing_and_moving)
{
	uint32_t base = ecam_read(self->bus, 1, PCI_BAR0, 4);

	/* placed by hvx-run, naturally aligned in the window */
	EXPECT_GE(base, PCI_MMIO_BASE);
	EXPECT_EQ(0, base % BAR_SIZE);
	/* sizing, byte by byte through the ports too */
	cf8_write(self->bus, 1, PCI_BAR0, 0xffffffff);
	EXPECT_EQ(~(uint32_t)(BAR_SIZE - 1), cf8_read(self->bus, 1, PCI_BAR0));
	/* the unused BARs read 0 and stay 0 */
	ecam_write(self->bus, 1, PCI_BAR0 + 4, 0xffffffff, 4);
	EXPECT_EQ(0, ecam_read(self->bus, 1, PCI_BAR0 + 4, 4));
	/* moved, memory decoding on: accesses reach the device there */
	ecam_write(self->bus, 1, PCI_BAR0, PCI_MMIO_BASE + 0x100000, 4);
	/* memory decoding still off: all ones */
	EXPECT_EQ(0xffffffffU, mmio_read32(self->bus,
					   PCI_MMIO_BASE + 0x100010));
	EXPECT_EQ(0, self->bars.reads);
	ecam_write(self->bus, 1, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	EXPECT_EQ(0xababababU, mmio_read32(self->bus,
					   PCI_MMIO_BASE + 0x100010));
	EXPECT_EQ(1, self->bars.reads);
	EXPECT_EQ(0x10, self->bars.last_off);
	mmio_write32(self->bus, PCI_MMIO_BASE + 0x100020, 1);
	EXPECT_EQ(1, self->bars.writes);
	EXPECT_EQ(0x20, self->bars.last_off);
	/* the old place answers nothing */
	mmio_read32(self->bus, base + 0x10);
	EXPECT_EQ(1, self->bars.reads);
}

/*
 * Only a dword access to 0xcf8 is CONFIG_ADDRESS, its reserved bits
 * read 0; a byte to 0xcf9 (Linux's reboot=pci) leaves it alone.
 */
TEST_F(pci, config_address_is_a_dword)
{
	uint32_t a = 0xff000003U | 1 << 11, v = 0;
	uint16_t w = 0;
	uint8_t b = 0x06;

	io_bus_out(self->bus, PCI_CONFIG_ADDRESS, 4, &a);
	io_bus_in(self->bus, PCI_CONFIG_ADDRESS, 4, &v);
	EXPECT_EQ(0x80000800U, v);
	io_bus_out(self->bus, PCI_CONFIG_ADDRESS + 1, 1, &b);
	io_bus_out(self->bus, PCI_CONFIG_ADDRESS, 2, &w);
	io_bus_in(self->bus, PCI_CONFIG_ADDRESS, 4, &v);
	EXPECT_EQ(0x80000800U, v);
	io_bus_in(self->bus, PCI_CONFIG_ADDRESS + 1, 1, &b);
	EXPECT_EQ(0xff, b);
	/* function 1's vendor and device ID, a word at a time too */
	io_bus_in(self->bus, PCI_CONFIG_DATA, 4, &v);
	EXPECT_EQ(0x10421af4U, v);
	io_bus_in(self->bus, PCI_CONFIG_DATA + 2, 2, &w);
	EXPECT_EQ(0x1042, w);
	/* a dword at 0xcfe: CONFIG_DATA's last two bytes, then no port */
	io_bus_in(self->bus, PCI_CONFIG_DATA + 2, 4, &v);
	EXPECT_EQ(0xffff1042U, v);
}

static unsigned int nr_changes;
static uint32_t bar_seen[8];

static void record_change(void *opaque)
{
	struct pci_dev *d = opaque;

	if (nr_changes < 8)
		bar_seen[nr_changes] = pci_bar_address(d, 0);
	nr_changes++;
}

/*
 * A dword write of a BAR through CONFIG_DATA moves it at once: the
 * device is told once, and never sees a BAR half written.
 */
TEST_F(pci, dword_bar_write_is_one_change)
{
	self->dev.changed = record_change;
	self->dev.opaque = &self->dev;
	nr_changes = 0;
	cf8_write(self->bus, 1, PCI_BAR0, PCI_MMIO_BASE + 0x1230000);
	EXPECT_EQ(1, nr_changes);
	EXPECT_EQ(PCI_MMIO_BASE + 0x1230000, bar_seen[0]);
	EXPECT_EQ(PCI_MMIO_BASE + 0x1230000,
		  cf8_read(self->bus, 1, PCI_BAR0));
	self->dev.changed = NULL;
	self->dev.opaque = &self->bars;
}

TEST_F(pci, capability_list)
{
	unsigned int at = ecam_read(self->bus, 1, PCI_CAPABILITY_LIST, 1);

	EXPECT_EQ(0x40, at);
	EXPECT_EQ(PCI_CAP_ID_VNDR, ecam_read(self->bus, 1, at, 1));
	EXPECT_EQ(0x4342, ecam_read(self->bus, 1, at + 2, 2));
	at = ecam_read(self->bus, 1, at + 1, 1);
	EXPECT_EQ(0x44, at);
	EXPECT_EQ(PCI_CAP_ID_MSIX, ecam_read(self->bus, 1, at, 1));
	EXPECT_EQ(0, ecam_read(self->bus, 1, at + 1, 1));	/* the end */
	EXPECT_EQ(2, ecam_read(self->bus, 1, at + PCI_MSIX_FLAGS, 2));
	EXPECT_EQ(TABLE, ecam_read(self->bus, 1, at + PCI_MSIX_TABLE, 4));
	EXPECT_EQ(PBA, ecam_read(self->bus, 1, at + PCI_MSIX_PBA, 4));
	/* the table size is read-only */
	ecam_write(self->bus, 1, at + PCI_MSIX_FLAGS, 0x07ff, 2);
	EXPECT_EQ(2, ecam_read(self->bus, 1, at + PCI_MSIX_FLAGS, 2));
}

/* Capabilities up to the last byte of the space, and no further. */
TEST_F(pci, capabilities_fill_the_space)
{
	uint8_t body[2] = { 0, 0 };
	unsigned int n = 0;

	while (n < 100 && pci_add_cap(&self->dev, PCI_CAP_ID_VNDR, body, 4))
		n++;
	EXPECT_EQ((256 - 0x50) / 4, n);
	EXPECT_EQ(0x1af4, ecam_read(self->bus, 1, PCI_VENDOR_ID, 2));
	EXPECT_EQ(0xfc, ecam_read(self->bus, 1, 0xf8 + 1, 1));
	EXPECT_EQ(0, ecam_read(self->bus, 1, 0xfc + 1, 1));
}

static void set_vector(struct io_bus *bus, uint64_t table, unsigned int n,
		       uint32_t addr, uint32_t data, uint32_t ctrl)
{
	mmio_write32(bus, table + 16 * n, addr);
	mmio_write32(bus, table + 16 * n + 4, 0);
	mmio_write32(bus, table + 16 * n + 8, data);
	mmio_write32(bus, table + 16 * n + 12, ctrl);
}

static uint64_t drain(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

TEST_F(pci, msix_routes_follow_the_guest)
{
	uint64_t bar = ecam_read(self->bus, 1, PCI_BAR0, 4), table = bar + TABLE;
	unsigned int cap = 0x44;

	ecam_write(self->bus, 1, PCI_COMMAND, PCI_COMMAND_MEMORY |
		   PCI_COMMAND_MASTER, 2);
	/* masked at reset, entries writable while disabled: no route */
	EXPECT_EQ(1, mmio_read32(self->bus, table + 12));
	set_vector(self->bus, table, 1, 0xfee01000, 0x41, 1);
	EXPECT_EQ(0xfee01000U, mmio_read32(self->bus, table + 16));
	EXPECT_EQ(0x41, mmio_read32(self->bus, table + 24));
	EXPECT_EQ(0, self->routes.assigns);

	/* an interrupt while disabled: none, the function uses INTx then */
	EXPECT_FALSE(pci_msix_notify(&self->dev, 1));
	EXPECT_EQ(0, mmio_read32(self->bus, bar + PBA));
	/* one while enabled and masked: pending, the unmask sends it */
	ecam_write(self->bus, 1, cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE,
		   2);
	EXPECT_EQ(0, self->routes.assigns);	/* the vector is masked */
	EXPECT_TRUE(pci_msix_notify(&self->dev, 1));
	EXPECT_EQ(2, mmio_read32(self->bus, bar + PBA));
	mmio_write32(self->bus, table + 16 + 12, 0);
	EXPECT_EQ(1, self->routes.assigns);
	EXPECT_EQ(self->dev.msix[1].efd, self->routes.efd);
	EXPECT_EQ(0xfee01000ULL, self->routes.address);
	EXPECT_EQ(0x41, self->routes.data);
	EXPECT_EQ(0, mmio_read32(self->bus, bar + PBA));
	EXPECT_EQ(1, drain(self->dev.msix[1].efd));

	/* routed: an interrupt is a signal of the eventfd */
	EXPECT_TRUE(pci_msix_notify(&self->dev, 1));
	EXPECT_EQ(1, drain(self->dev.msix[1].efd));

	/* the guest reprograms the vector: the route is re-assigned */
	mmio_write32(self->bus, table + 16 + 8, 0x42);
	EXPECT_EQ(1, self->routes.deassigns);
	EXPECT_EQ(2, self->routes.assigns);
	EXPECT_EQ(0x42, self->routes.data);

	/* the function mask removes it, the PBA collects */
	ecam_write(self->bus, 1, cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE |
		   PCI_MSIX_FLAGS_MASKALL, 2);
	EXPECT_EQ(2, self->routes.deassigns);
	EXPECT_TRUE(pci_msix_notify(&self->dev, 1));
	EXPECT_EQ(0, drain(self->dev.msix[1].efd));
	EXPECT_EQ(2, mmio_read32(self->bus, bar + PBA));
	ecam_write(self->bus, 1, cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE,
		   2);
	EXPECT_EQ(3, self->routes.assigns);
	EXPECT_EQ(1, drain(self->dev.msix[1].efd));

	/* an MSI is a write to memory: no bus mastering, no route */
	ecam_write(self->bus, 1, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	EXPECT_EQ(3, self->routes.deassigns);
	EXPECT_TRUE(pci_msix_notify(&self->dev, 1));
	EXPECT_EQ(0, drain(self->dev.msix[1].efd));
	EXPECT_EQ(2, mmio_read32(self->bus, bar + PBA));
	ecam_write(self->bus, 1, PCI_COMMAND, PCI_COMMAND_MEMORY |
		   PCI_COMMAND_MASTER, 2);
	EXPECT_EQ(4, self->routes.assigns);
	EXPECT_EQ(0, mmio_read32(self->bus, bar + PBA));
	EXPECT_EQ(1, drain(self->dev.msix[1].efd));
	/* bus mastering set again as it is leaves the route alone */
	ecam_write(self->bus, 1, PCI_COMMAND, PCI_COMMAND_MEMORY |
		   PCI_COMMAND_MASTER, 2);
	EXPECT_EQ(4, self->routes.assigns);
	EXPECT_EQ(3, self->routes.deassigns);

	/* disabling removes it; the PBA is read-only; out-of-range vectors */
	ecam_write(self->bus, 1, cap + PCI_MSIX_FLAGS, 0, 2);
	EXPECT_EQ(4, self->routes.deassigns);
	mmio_write32(self->bus, bar + PBA, 0xff);
	EXPECT_EQ(0, mmio_read32(self->bus, bar + PBA));
	EXPECT_FALSE(pci_msix_notify(&self->dev, 0xffff));
	EXPECT_EQ(0, self->bars.writes);
}

static unsigned int nr_lines;

static void count_lines(void *ctx, const char *buf, size_t len)
{
	nr_lines++;
}

TEST_F(pci, msix_refused_route)
{
	uint64_t table = ecam_read(self->bus, 1, PCI_BAR0, 4) + TABLE;

	ecam_write(self->bus, 1, PCI_COMMAND, PCI_COMMAND_MEMORY |
		   PCI_COMMAND_MASTER, 2);
	ecam_write(self->bus, 1, 0x44 + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE,
		   2);
	/*
	 * HVX_IRQFD refuses a bad address: the vector stays unrouted, and
	 * one line says so however often the guest writes one.
	 */
	nr_lines = 0;
	msg_set_output(count_lines, NULL);
	self->routes.fail = 1;
	set_vector(self->bus, table, 0, 0x1234, 0x40, 0);
	EXPECT_FALSE(self->dev.msix[0].routed);
	mmio_write32(self->bus, table + 8, 0x41);
	mmio_write32(self->bus, table + 8, 0x40);
	EXPECT_EQ(1, nr_lines);
	msg_set_output(NULL, NULL);
	EXPECT_TRUE(pci_msix_notify(&self->dev, 0));
	EXPECT_TRUE(self->dev.msix[0].pending);
	/* a good address later: routed, and the pending one delivered */
	self->routes.fail = 0;
	mmio_write32(self->bus, table, 0xfee00000);
	EXPECT_TRUE(self->dev.msix[0].routed);
	EXPECT_EQ(1, drain(self->dev.msix[0].efd));
}

/* What the bus drives on the PCI GSIs, recorded. */
struct line_log {
	bool level[PCI_INTX_GSI_BASE + PCI_INTX_GSIS];
	unsigned int calls;
};

static void record_line(void *ctx, unsigned int gsi, bool level)
{
	struct line_log *l = ctx;

	if (gsi < PCI_INTX_GSI_BASE + PCI_INTX_GSIS)
		l->level[gsi] = level;
	l->calls++;
}

/*
 * INTA# of slots 1 and 9 share GSI 17, active low: it is low while
 * either asserts its pin, unless the command register's INTx disable
 * bit or MSI-X keeps a function off the line; the status bit shows the
 * function's condition either way.
 */
TEST(intx_shared_lines)
{
	struct pci_dev *d = calloc(10, sizeof(*d));
	struct line_log lines = { .calls = 0 };
	struct io_bus *bus = malloc(sizeof(*bus));
	struct route_log routes = { .fail = 0 };
	struct pci_bus pb;
	unsigned int i;

	ASSERT_NE(NULL, d);
	ASSERT_NE(NULL, bus);
	io_bus_init(bus, NULL);
	ASSERT_EQ(0, pci_bus_init(&pb, bus, record_route, &routes));
	pci_bus_connect_intx(&pb, record_line, &lines);
	/* idle: every PCI GSI high */
	EXPECT_EQ(PCI_INTX_GSIS, lines.calls);
	for (i = PCI_INTX_GSI_BASE; i < PCI_INTX_GSI_BASE + PCI_INTX_GSIS; i++)
		EXPECT_TRUE(lines.level[i]);
	for (i = 1; i < 10; i++) {
		pci_dev_init(&d[i], 0x1af4, 0x1042, 0x018000, 1);
		d[i].ops = &ops;
		ASSERT_EQ(0, pci_add_bar(&d[i], 0, BAR_SIZE));
		ASSERT_EQ(0, pci_add_msix(&d[i], 0, TABLE, PBA, 1));
		pci_add_intx(&d[i]);
		ASSERT_EQ(0, pci_bus_add(&pb, &d[i]));
		ASSERT_EQ(i, d[i].slot);
	}
	EXPECT_EQ(PCI_INTERRUPT_PIN_A, ecam_read(bus, 1, PCI_INTERRUPT_PIN, 1));
	EXPECT_EQ(17, ecam_read(bus, 1, PCI_INTERRUPT_LINE, 1));
	EXPECT_EQ(17, ecam_read(bus, 9, PCI_INTERRUPT_LINE, 1));
	EXPECT_EQ(18, ecam_read(bus, 2, PCI_INTERRUPT_LINE, 1));
	EXPECT_EQ(0, ecam_read(bus, 0, PCI_INTERRUPT_PIN, 1));

	pci_intx_set(&d[1], true);
	EXPECT_FALSE(lines.level[17]);
	EXPECT_TRUE(lines.level[18]);
	EXPECT_EQ(PCI_STATUS_INTERRUPT | PCI_STATUS_CAP_LIST,
		  ecam_read(bus, 1, PCI_STATUS, 2));
	EXPECT_EQ(PCI_STATUS_CAP_LIST, ecam_read(bus, 9, PCI_STATUS, 2));
	/* the line is shared: low until both release it */
	pci_intx_set(&d[9], true);
	pci_intx_set(&d[1], false);
	EXPECT_FALSE(lines.level[17]);
	EXPECT_EQ(PCI_STATUS_CAP_LIST, ecam_read(bus, 1, PCI_STATUS, 2));
	pci_intx_set(&d[9], false);
	EXPECT_TRUE(lines.level[17]);
	EXPECT_EQ(PCI_INTX_GSIS + 2, lines.calls);

	/* INTx disable takes the function off the line, not its status */
	pci_intx_set(&d[1], true);
	EXPECT_FALSE(lines.level[17]);
	ecam_write(bus, 1, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
	EXPECT_TRUE(lines.level[17]);
	EXPECT_EQ(PCI_STATUS_INTERRUPT | PCI_STATUS_CAP_LIST,
		  ecam_read(bus, 1, PCI_STATUS, 2));
	ecam_write(bus, 1, PCI_COMMAND, 0, 2);
	EXPECT_FALSE(lines.level[17]);

	/* so does MSI-X: a function with it on must not use INTx */
	ecam_write(bus, 1, d[1].msix_cap + PCI_MSIX_FLAGS,
		   PCI_MSIX_FLAGS_ENABLE, 2);
	EXPECT_TRUE(lines.level[17]);
	ecam_write(bus, 1, d[1].msix_cap + PCI_MSIX_FLAGS, 0, 2);
	EXPECT_FALSE(lines.level[17]);
	pci_intx_set(&d[1], false);
	EXPECT_TRUE(lines.level[17]);

	for (i = 1; i < 10; i++)
		pci_dev_destroy(&d[i]);
	pci_bus_destroy(&pb);
	io_bus_destroy(bus);
	free(bus);
	free(d);
}

TEST(pci_layout_checks)
{
	struct pci_dev d;

	pci_dev_init(&d, 1, 2, 3, 0);
	EXPECT_EQ(-1, pci_add_bar(&d, 6, 0x1000));
	EXPECT_EQ(-1, pci_add_bar(&d, 0, 0x1800));
	EXPECT_EQ(-1, pci_add_bar(&d, 0, 0x800));
	EXPECT_EQ(0, pci_add_bar(&d, 0, 0x1000));
	/* table past the PBA, PBA past the BAR, too many vectors */
	EXPECT_EQ(-1, pci_add_msix(&d, 0, 0x800, 0x810, 2));
	EXPECT_EQ(-1, pci_add_msix(&d, 0, 0, 0xffc, 2));
	EXPECT_EQ(-1, pci_add_msix(&d, 0, 0, 0x800, PCI_MSIX_MAX_VECTORS + 1));
	EXPECT_EQ(-1, pci_add_msix(&d, 1, 0, 0x800, 1));
	pci_dev_destroy(&d);
}

/*
 * An I/O access across 0xcfc reaches CONFIG_DATA with the bytes at and
 * after it, the ones before being ordinary ports (all ones).
 */
TEST_F(pci, unaligned_access_across_config_data)
{
	uint32_t a = 0x80000000U | 1 << 11, v = 0;
	uint16_t w = 0;

	io_bus_out(self->bus, PCI_CONFIG_ADDRESS, 4, &a);
	io_bus_in(self->bus, PCI_CONFIG_ADDRESS + 3, 2, &w);
	EXPECT_EQ(0xf4ff, w);
	io_bus_in(self->bus, PCI_CONFIG_ADDRESS + 2, 4, &v);
	EXPECT_EQ(0x1af4ffffU, v);
	/* a write across it: the command register's low byte */
	v = (PCI_COMMAND_MEMORY << 16) | 0xffff;
	a = 0x80000000U | 1 << 11 | PCI_COMMAND;
	io_bus_out(self->bus, PCI_CONFIG_ADDRESS, 4, &a);
	io_bus_out(self->bus, PCI_CONFIG_ADDRESS + 2, 4, &v);
	EXPECT_EQ(PCI_COMMAND_MEMORY, ecam_read(self->bus, 1, PCI_COMMAND, 2));
	/* CONFIG_ADDRESS is still what the dword write at 0xcf8 made it */
	io_bus_in(self->bus, PCI_CONFIG_ADDRESS, 4, &v);
	EXPECT_EQ(a, v);
}

TEST_HARNESS_MAIN
