// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's I/O APIC (userspace/hvx-run/ioapic.c), on
 * an io_bus at 0xfec00000 as the guest sees it: ID, VER and ARB, the
 * redirection entries through IOREGSEL/IOWIN (32-bit accesses), masked
 * pins, edge and level delivery as xAPIC MSIs, remote IRR and EOI (the
 * message and the EOI register at +0x40), active-low pins, the edge/level
 * switch that clears remote IRR, and that the MSI callback runs without
 * the I/O APIC's lock.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

#define BASE		IOAPIC_DEFAULT_BASE
#define MAX_MSIS	64

/* The MSIs the I/O APIC sent. */
struct msis {
	struct ioapic *io;
	unsigned int n;
	uint64_t address[MAX_MSIS];
	uint32_t data[MAX_MSIS];
	bool locked;		/* a callback found the lock held */
	int ret;		/* what the callback returns */
};

static int record_msi(void *ctx, uint64_t address, uint32_t data)
{
	struct msis *m = ctx;

	if (pthread_mutex_trylock(&m->io->lock))
		m->locked = true;
	else
		pthread_mutex_unlock(&m->io->lock);
	if (m->n < MAX_MSIS) {
		m->address[m->n] = address;
		m->data[m->n] = data;
	}
	m->n++;
	if (m->ret < 0)
		errno = EINVAL;
	return m->ret;
}

/* What msg() printed. */
static char msg_buf[1024];
static size_t msg_len;

static void save_msg(void *ctx, const char *buf, size_t len)
{
	if (msg_len + len < sizeof(msg_buf)) {
		memcpy(msg_buf + msg_len, buf, len);
		msg_len += len;
		msg_buf[msg_len] = '\0';
	}
}

FIXTURE(ioapic) {
	struct io_bus *bus;
	struct ioapic io;
	struct msis m;
};

FIXTURE_SETUP(ioapic)
{
	self->bus = malloc(sizeof(*self->bus));
	ASSERT_NE(NULL, self->bus);
	io_bus_init(self->bus, stderr);
	memset(&self->m, 0, sizeof(self->m));
	self->m.io = &self->io;
	self->m.ret = 1;
	ioapic_init(&self->io, BASE, 0, record_msi, &self->m);
	ASSERT_EQ(0, ioapic_register(&self->io, self->bus));
}

FIXTURE_TEARDOWN(ioapic)
{
	EXPECT_FALSE(self->m.locked);
	ioapic_destroy(&self->io);
	io_bus_destroy(self->bus);
	free(self->bus);
}

static uint32_t rd32(struct io_bus *bus, uint64_t off)
{
	uint8_t d[4];

	io_bus_mmio(bus, BASE + off, 4, false, d);
	return d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
}

static void wr32(struct io_bus *bus, uint64_t off, uint32_t v)
{
	uint8_t d[4] = { v, v >> 8, v >> 16, v >> 24 };

	io_bus_mmio(bus, BASE + off, 4, true, d);
}

static uint32_t reg_read(struct io_bus *bus, uint8_t reg)
{
	wr32(bus, 0x00, reg);
	return rd32(bus, 0x10);
}

static void reg_write(struct io_bus *bus, uint8_t reg, uint32_t v)
{
	wr32(bus, 0x00, reg);
	wr32(bus, 0x10, v);
}

/* Program pin @pin: high dword (destination) first, as Linux does. */
static void set_rte(struct io_bus *bus, unsigned int pin, uint32_t lo,
		    uint8_t dest)
{
	reg_write(bus, 0x11 + 2 * pin, (uint32_t)dest << 24);
	reg_write(bus, 0x10 + 2 * pin, lo);
}

static uint32_t rte_lo(struct io_bus *bus, unsigned int pin)
{
	return reg_read(bus, 0x10 + 2 * pin);
}

#define LEVEL		(1U << 15)
#define MASKED		(1U << 16)
#define REMOTE_IRR	(1U << 14)
#define ACTIVE_LOW	(1U << 13)
#define LOGICAL		(1U << 11)
#define LOWEST_PRIO	(1U << 8)

TEST_F(ioapic, id_version_arbitration)
{
	struct io_bus *bus = self->bus;

	EXPECT_EQ(0x00000000, reg_read(bus, 0x00));
	EXPECT_EQ(0x00170020, reg_read(bus, 0x01));	/* 0x20, 24 pins */
	EXPECT_EQ(0x00000000, reg_read(bus, 0x02));

	reg_write(bus, 0x00, 0x0a000000);
	EXPECT_EQ(0x0a000000, reg_read(bus, 0x00));
	EXPECT_EQ(0x0a000000, reg_read(bus, 0x02));
	/* Four ID bits, nothing else writable. */
	reg_write(bus, 0x00, 0xffffffff);
	EXPECT_EQ(0x0f000000, reg_read(bus, 0x00));
	reg_write(bus, 0x01, 0);
	reg_write(bus, 0x02, 0);
	EXPECT_EQ(0x00170020, reg_read(bus, 0x01));
	EXPECT_EQ(0x0f000000, reg_read(bus, 0x02));
	/* Unknown registers read 0. */
	EXPECT_EQ(0, reg_read(bus, 0x03));
	EXPECT_EQ(0, reg_read(bus, 0x40));
	EXPECT_EQ(0, reg_read(bus, 0xff));

	/* IOREGSEL reads back; the ID given at init is the ID register's. */
	wr32(bus, 0x00, 0x13);
	EXPECT_EQ(0x13, rd32(bus, 0x00));
	ioapic_destroy(&self->io);
	ioapic_init(&self->io, BASE, 5, record_msi, &self->m);
	EXPECT_EQ(0x05000000, reg_read(bus, 0x00));
}

TEST_F(ioapic, redirection_entries)
{
	struct io_bus *bus = self->bus;
	unsigned int pin;

	/* After reset: masked, all else 0. */
	for (pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		EXPECT_EQ(MASKED, rte_lo(bus, pin));
		EXPECT_EQ(0, reg_read(bus, 0x11 + 2 * pin));
	}
	/* Past the last entry: nothing. */
	EXPECT_EQ(0, reg_read(bus, 0x10 + 2 * IOAPIC_NUM_PINS));

	/* Writable: vector, delivery mode, dest mode, polarity, trigger,
	 * mask; delivery status and remote IRR are read-only.
	 */
	reg_write(bus, 0x10 + 2 * 7, 0xffffffff);
	EXPECT_EQ(0x0001afff, rte_lo(bus, 7));
	reg_write(bus, 0x11 + 2 * 7, 0xffffffff);
	EXPECT_EQ(0xff000000, reg_read(bus, 0x11 + 2 * 7));
	set_rte(bus, 23, 0x00000931 | MASKED, 0x42);
	EXPECT_EQ(0x00010931, rte_lo(bus, 23));
	EXPECT_EQ(0x42000000, reg_read(bus, 0x11 + 2 * 23));
	/* The others are untouched. */
	EXPECT_EQ(MASKED, rte_lo(bus, 6));
	EXPECT_EQ(MASKED, rte_lo(bus, 8));
	EXPECT_EQ(0, self->m.n);
}

TEST_F(ioapic, access_widths)
{
	struct io_bus *bus = self->bus;
	uint8_t b;

	set_rte(bus, 2, 0x234, 0);		/* vector 0x34, SMI */
	/* Byte reads of IOWIN see the bytes of the register. */
	wr32(bus, 0x00, 0x14);
	io_bus_mmio(bus, BASE + 0x10, 1, false, &b);
	EXPECT_EQ(0x34, b);
	io_bus_mmio(bus, BASE + 0x11, 1, false, &b);
	EXPECT_EQ(0x02, b);
	/* IOREGSEL takes a byte write. */
	b = 0x01;
	io_bus_mmio(bus, BASE + 0x00, 1, true, &b);
	EXPECT_EQ(0x00170020, rd32(bus, 0x10));
	/* A byte write to IOWIN is dropped. */
	wr32(bus, 0x00, 0x14);
	b = 0x99;
	io_bus_mmio(bus, BASE + 0x10, 1, true, &b);
	EXPECT_EQ(0x234, rte_lo(bus, 2));
	/* Elsewhere in the window: reads 0. */
	EXPECT_EQ(0, rd32(bus, 0x20));
	EXPECT_EQ(0, rd32(bus, 0x40));
	EXPECT_EQ(0, rd32(bus, 0xffc));
}

TEST_F(ioapic, masked_pin)
{
	struct io_bus *bus = self->bus;

	ioapic_set_irq(&self->io, 4, true);
	ioapic_set_irq(&self->io, 4, false);
	EXPECT_EQ(0, self->m.n);

	/* Edge: an edge while masked is lost, unmasking sends nothing. */
	set_rte(bus, 4, 0x31 | MASKED, 0);
	ioapic_set_irq(&self->io, 4, true);
	set_rte(bus, 4, 0x31, 0);
	EXPECT_EQ(0, self->m.n);
	ioapic_set_irq(&self->io, 4, false);
	EXPECT_EQ(0, self->m.n);

	/* Level: nothing while masked. */
	set_rte(bus, 9, 0x41 | LEVEL | MASKED, 0);
	ioapic_set_irq(&self->io, 9, true);
	EXPECT_EQ(0, self->m.n);
	EXPECT_EQ(0, rte_lo(bus, 9) & REMOTE_IRR);
}

TEST_F(ioapic, edge)
{
	struct io_bus *bus = self->bus;
	irq_line_fn line = ioapic_irq_line;

	/* Fixed, physical destination 3, vector 0x31. */
	set_rte(bus, 4, 0x31, 3);
	ioapic_set_irq(&self->io, 4, true);
	ASSERT_EQ(1, self->m.n);
	EXPECT_EQ(0xfee03000, self->m.address[0]);
	EXPECT_EQ(0x4031, self->m.data[0]);		/* assert, edge */
	/* Staying high, going low: nothing. */
	ioapic_set_irq(&self->io, 4, true);
	ioapic_set_irq(&self->io, 4, false);
	EXPECT_EQ(1, self->m.n);
	/* The next rising edge: again.  No remote IRR for edge. */
	ioapic_set_irq(&self->io, 4, true);
	EXPECT_EQ(2, self->m.n);
	EXPECT_EQ(0, rte_lo(bus, 4) & REMOTE_IRR);
	ioapic_set_irq(&self->io, 4, false);

	/* Lowest priority to logical destination 0x0f. */
	set_rte(bus, 1, 0x51 | LOWEST_PRIO | LOGICAL, 0x0f);
	ioapic_set_irq(&self->io, 1, true);
	ioapic_set_irq(&self->io, 1, false);
	ASSERT_EQ(3, self->m.n);
	EXPECT_EQ(0xfee0f004, self->m.address[2]);
	EXPECT_EQ(0x4151, self->m.data[2]);

	/* NMI to destination 0xff (broadcast). */
	set_rte(bus, 5, 4 << 8, 0xff);
	ioapic_set_irq(&self->io, 5, true);
	ASSERT_EQ(4, self->m.n);
	EXPECT_EQ(0xfeeff000, self->m.address[3]);
	EXPECT_EQ(0x4400, self->m.data[3]);

	/* Through the irq_line_fn adapter; pins past 23 are ignored. */
	set_rte(bus, 8, 0x38, 1);
	line(&self->io, 8, true);
	line(&self->io, 8, false);
	line(&self->io, 24, true);
	line(&self->io, 1000, true);
	ASSERT_EQ(5, self->m.n);
	EXPECT_EQ(0xfee01000, self->m.address[4]);
	EXPECT_EQ(0x4038, self->m.data[4]);
}

TEST_F(ioapic, level_and_eoi)
{
	struct io_bus *bus = self->bus;

	set_rte(bus, 9, 0x41 | LEVEL, 1);
	ioapic_set_irq(&self->io, 9, true);
	ASSERT_EQ(1, self->m.n);
	EXPECT_EQ(0xfee01000, self->m.address[0]);
	EXPECT_EQ(0xc041, self->m.data[0]);		/* level, assert */
	EXPECT_EQ(0x41 | LEVEL | REMOTE_IRR, rte_lo(bus, 9));

	/* Still asserted, remote IRR set: no second message. */
	ioapic_set_irq(&self->io, 9, true);
	EXPECT_EQ(1, self->m.n);
	/* Rewriting the entry leaves remote IRR and sends nothing. */
	set_rte(bus, 9, 0x41 | LEVEL, 1);
	EXPECT_EQ(1, self->m.n);
	EXPECT_EQ(0x41 | LEVEL | REMOTE_IRR, rte_lo(bus, 9));
	/* An EOI for another vector changes nothing. */
	ioapic_eoi(&self->io, 0x42);
	EXPECT_EQ(1, self->m.n);
	EXPECT_EQ(0x41 | LEVEL | REMOTE_IRR, rte_lo(bus, 9));

	/* EOI while still asserted: sent again, remote IRR set again. */
	ioapic_eoi(&self->io, 0x41);
	ASSERT_EQ(2, self->m.n);
	EXPECT_EQ(0xc041, self->m.data[1]);
	EXPECT_EQ(0x41 | LEVEL | REMOTE_IRR, rte_lo(bus, 9));

	/* Deasserted, then EOI: remote IRR clear, nothing sent. */
	ioapic_set_irq(&self->io, 9, false);
	ioapic_eoi(&self->io, 0x41);
	EXPECT_EQ(2, self->m.n);
	EXPECT_EQ(0x41 | LEVEL, rte_lo(bus, 9));

	/* Asserted again: sent. */
	ioapic_set_irq(&self->io, 9, true);
	EXPECT_EQ(3, self->m.n);
}

/*
 * NMI, SMI, INIT and ExtINT entries are edge-triggered whatever their
 * trigger-mode bit: each rising edge sends one message, without the level
 * bit, and remote IRR stays clear (no EOI ever ends them).  (Remote IRR
 * was set at the first, and the pin sent nothing more.)
 */
TEST_F(ioapic, nmi_entry_is_edge_even_if_level)
{
	struct io_bus *bus = self->bus;
	uint32_t mode;

	for (mode = 2; mode <= 7; mode++) {
		uint32_t lo = mode << 8 | LEVEL;

		if (mode == 3 || mode == 6)	/* reserved, StartUp */
			continue;
		self->m.n = 0;
		set_rte(bus, 5, lo, 0);
		ioapic_set_irq(&self->io, 5, true);
		ioapic_set_irq(&self->io, 5, false);
		ioapic_set_irq(&self->io, 5, true);
		ASSERT_EQ(2, self->m.n) TH_LOG("delivery mode %u", mode);
		EXPECT_EQ(0x4000 | mode << 8, self->m.data[1]);
		EXPECT_EQ(lo, rte_lo(bus, 5));
		ioapic_set_irq(&self->io, 5, false);
	}
}

TEST_F(ioapic, eoi_register)
{
	struct io_bus *bus = self->bus;

	/* Two pins sharing a vector, both asserted. */
	set_rte(bus, 10, 0x61 | LEVEL, 0);
	set_rte(bus, 11, 0x61 | LEVEL, 2);
	ioapic_set_irq(&self->io, 10, true);
	ioapic_set_irq(&self->io, 11, true);
	ASSERT_EQ(2, self->m.n);

	/* The EOI register (+0x40): the vector in its low byte. */
	wr32(bus, 0x40, 0x62);
	EXPECT_EQ(2, self->m.n);
	ioapic_set_irq(&self->io, 10, false);
	wr32(bus, 0x40, 0x61);
	ASSERT_EQ(3, self->m.n);		/* pin 11 again */
	EXPECT_EQ(0xfee02000, self->m.address[2]);
	EXPECT_EQ(0x61 | LEVEL, rte_lo(bus, 10));
	EXPECT_EQ(0x61 | LEVEL | REMOTE_IRR, rte_lo(bus, 11));
	/* Reading it has no effect. */
	EXPECT_EQ(0, rd32(bus, 0x40));
	EXPECT_EQ(0x61 | LEVEL | REMOTE_IRR, rte_lo(bus, 11));
}

TEST_F(ioapic, level_unmask_and_edge_switch)
{
	struct io_bus *bus = self->bus;

	/* Asserted while masked: unmasking sends it. */
	set_rte(bus, 12, 0x71 | LEVEL | MASKED, 0);
	ioapic_set_irq(&self->io, 12, true);
	EXPECT_EQ(0, self->m.n);
	set_rte(bus, 12, 0x71 | LEVEL, 0);
	EXPECT_EQ(1, self->m.n);
	EXPECT_NE(0, rte_lo(bus, 12) & REMOTE_IRR);

	/*
	 * Without using the EOI register: mask, switch to edge (remote IRR
	 * goes), back to level and unmask: sent again, being asserted.
	 */
	set_rte(bus, 12, 0x71 | MASKED, 0);
	EXPECT_EQ(0, rte_lo(bus, 12) & REMOTE_IRR);
	set_rte(bus, 12, 0x71 | LEVEL, 0);
	EXPECT_EQ(2, self->m.n);
	EXPECT_NE(0, rte_lo(bus, 12) & REMOTE_IRR);
}

TEST_F(ioapic, active_low)
{
	struct io_bus *bus = self->bus;

	/* Edge, active low: the falling edge is the interrupt. */
	ioapic_set_irq(&self->io, 3, true);		/* idle high */
	set_rte(bus, 3, 0x33 | ACTIVE_LOW, 0);
	EXPECT_EQ(0, self->m.n);
	ioapic_set_irq(&self->io, 3, false);
	ASSERT_EQ(1, self->m.n);
	EXPECT_EQ(0x4033, self->m.data[0]);
	ioapic_set_irq(&self->io, 3, true);
	EXPECT_EQ(1, self->m.n);
	ioapic_set_irq(&self->io, 3, false);
	EXPECT_EQ(2, self->m.n);

	/* Level, active low: asserted while low. */
	ioapic_set_irq(&self->io, 16, true);
	set_rte(bus, 16, 0x90 | LEVEL | ACTIVE_LOW, 0);
	EXPECT_EQ(2, self->m.n);
	ioapic_set_irq(&self->io, 16, false);
	ASSERT_EQ(3, self->m.n);
	EXPECT_EQ(0xc090, self->m.data[2]);
	ioapic_set_irq(&self->io, 16, true);
	ioapic_eoi(&self->io, 0x90);
	EXPECT_EQ(3, self->m.n);
	EXPECT_EQ(0x90 | LEVEL | ACTIVE_LOW, rte_lo(bus, 16));
}

TEST_F(ioapic, msi_errors)
{
	struct io_bus *bus = self->bus;

	msg_len = 0;
	msg_buf[0] = '\0';
	msg_set_output(save_msg, NULL);
	self->m.ret = -1;
	set_rte(bus, 4, 0x31, 0);
	ioapic_set_irq(&self->io, 4, true);
	ioapic_set_irq(&self->io, 4, false);
	ioapic_set_irq(&self->io, 4, true);
	msg_set_output(NULL, NULL);
	EXPECT_EQ(2, self->m.n);
	EXPECT_EQ(2, self->io.msi_errors);
	/* the first refusal is said, with its pin and vector; then counted */
	EXPECT_STREQ("hvx-run: I/O APIC: pin 4's interrupt (vector 49, delivery mode 0) not delivered: Invalid argument; more are only counted\n",
		     msg_buf);
	self->m.ret = 0;	/* delivered to nobody is not an error */
	ioapic_set_irq(&self->io, 4, false);
	ioapic_set_irq(&self->io, 4, true);
	EXPECT_EQ(3, self->m.n);
	EXPECT_EQ(2, self->io.msi_errors);
}

/* The callback may come back into the I/O APIC: no lock is held. */
static int reenter_msi(void *ctx, uint64_t address, uint32_t data)
{
	struct msis *m = ctx;
	uint8_t d[4];

	m->n++;
	ioapic_mmio_read(m->io, IOAPIC_IOWIN, d, 4);
	if ((data & 0xff) == 0x31)
		ioapic_set_irq(m->io, 6, true);
	return 1;
}

TEST_F(ioapic, callback_reenters)
{
	struct io_bus *bus = self->bus;

	set_rte(bus, 4, 0x31, 0);
	set_rte(bus, 6, 0x36, 0);
	self->io.msi = reenter_msi;
	ioapic_set_irq(&self->io, 4, true);
	EXPECT_EQ(2, self->m.n);
}

TEST_HARNESS_MAIN
