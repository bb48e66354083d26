// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's i8259A pair (userspace/hvx-run/pic.c),
 * programmed through its ports as a guest does: Linux's initialisation
 * and probe, delivery and EOI, masking, priorities, the cascade, edge and
 * level triggering with the ELCR, IRR/ISR reads, the poll command,
 * auto-EOI, spurious acknowledges, and the INTR callback: called back
 * into, and from several threads at once.
 */
#include <stdlib.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

#define MASTER_CMD	0x20
#define MASTER_DATA	0x21
#define SLAVE_CMD	0xa0
#define SLAVE_DATA	0xa1
#define ELCR_MASTER	0x4d0
#define ELCR_SLAVE	0x4d1

#define OCW3_READ_IRR	0x0a
#define OCW3_READ_ISR	0x0b
#define OCW3_POLL	0x0c
#define OCW2_EOI	0x20
#define OCW2_SEOI	0x60

/* The INTR reports, in order. */
struct intr_log {
	struct pic *p;
	unsigned int calls;
	bool levels[32];
	/* When set, a raised INTR is acknowledged from within the callback. */
	bool ack_in_callback;
	int acked[8];
	unsigned int nacked;
};

static void intr(void *ctx, bool level)
{
	struct intr_log *l = ctx;

	if (l->calls < ARRAY_SIZE(l->levels))
		l->levels[l->calls] = level;
	l->calls++;
	if (level && l->ack_in_callback && l->nacked < ARRAY_SIZE(l->acked))
		l->acked[l->nacked++] = pic_ack(l->p);
}

FIXTURE(pic) {
	struct pic p;
	struct io_bus *bus;
	struct intr_log log;
};

FIXTURE_SETUP(pic)
{
	self->bus = malloc(sizeof(*self->bus));
	ASSERT_NE(NULL, self->bus);
	io_bus_init(self->bus, NULL);
	self->log.p = &self->p;
	pic_init(&self->p, intr, &self->log);
	ASSERT_EQ(0, pic_register(&self->p, self->bus));
}

FIXTURE_TEARDOWN(pic)
{
	pic_destroy(&self->p);
	io_bus_destroy(self->bus);
	free(self->bus);
}

static void outb(struct io_bus *bus, uint16_t port, uint8_t val)
{
	io_bus_out(bus, port, 1, &val);
}

static uint8_t inb(struct io_bus *bus, uint16_t port)
{
	uint8_t v;

	io_bus_in(bus, port, 1, &v);
	return v;
}

/* init_8259A() of arch/x86/kernel/i8259.c, without auto-EOI. */
static void linux_init(struct io_bus *bus)
{
	outb(bus, MASTER_DATA, 0xff);
	outb(bus, MASTER_CMD, 0x11);	/* ICW1: edge, cascade, ICW4 */
	outb(bus, MASTER_DATA, 0x20);	/* ICW2: vectors 0x20-0x27 */
	outb(bus, MASTER_DATA, 0x04);	/* ICW3: slave on IR2 */
	outb(bus, MASTER_DATA, 0x01);	/* ICW4: 8086 mode */
	outb(bus, SLAVE_CMD, 0x11);
	outb(bus, SLAVE_DATA, 0x28);	/* vectors 0x28-0x2f */
	outb(bus, SLAVE_DATA, 0x02);	/* cascade identity 2 */
	outb(bus, SLAVE_DATA, 0x01);
	outb(bus, MASTER_DATA, 0xff);
	outb(bus, SLAVE_DATA, 0xff);
}

/* An edge-triggered ISA device's interrupt. */
static void pulse(struct pic *p, unsigned int irq)
{
	pic_set_irq(p, irq, true);
	pic_set_irq(p, irq, false);
}

static uint8_t read_isr(struct io_bus *bus, uint16_t cmd)
{
	outb(bus, cmd, OCW3_READ_ISR);
	return inb(bus, cmd);
}

static uint8_t read_irr(struct io_bus *bus, uint16_t cmd)
{
	outb(bus, cmd, OCW3_READ_IRR);
	return inb(bus, cmd);
}

TEST_F(pic, linux_init_and_probe)
{
	struct io_bus *bus = self->bus;

	linux_init(bus);
	EXPECT_EQ(0xff, inb(bus, MASTER_DATA));
	EXPECT_EQ(0xff, inb(bus, SLAVE_DATA));
	/* probe_8259A(): everything but the cascade masked, read back. */
	outb(bus, SLAVE_DATA, 0xff);
	outb(bus, MASTER_DATA, 0xfb);
	EXPECT_EQ(0xfb, inb(bus, MASTER_DATA));
	EXPECT_EQ(0x00, read_irr(bus, MASTER_CMD));
	EXPECT_EQ(0x00, read_isr(bus, MASTER_CMD));
	EXPECT_EQ(0x00, read_isr(bus, SLAVE_CMD));
	EXPECT_FALSE(pic_output(&self->p));
	EXPECT_EQ(0, self->log.calls);
}

TEST_F(pic, power_on_state)
{
	struct pic *p = &self->p;

	/* As a BIOS leaves it: all masked, vectors 0x08 and 0x70. */
	EXPECT_EQ(0xff, inb(self->bus, MASTER_DATA));
	EXPECT_EQ(0xff, inb(self->bus, SLAVE_DATA));
	pulse(p, 0);
	EXPECT_FALSE(pic_output(p));
	outb(self->bus, MASTER_DATA, 0xfa);
	outb(self->bus, SLAVE_DATA, 0xfe);
	EXPECT_TRUE(pic_output(p));
	EXPECT_EQ(0x08, pic_ack(p));
	pulse(p, 8);
	outb(self->bus, MASTER_CMD, OCW2_EOI);
	EXPECT_EQ(0x70, pic_ack(p));
}

TEST_F(pic, irq0_ack_eoi)
{
	struct io_bus *bus = self->bus;
	struct pic *p = &self->p;

	linux_init(bus);
	outb(bus, MASTER_DATA, 0xfe);
	pulse(p, 0);
	EXPECT_TRUE(pic_output(p));
	ASSERT_EQ(1, self->log.calls);
	EXPECT_TRUE(self->log.levels[0]);
	EXPECT_EQ(0x01, read_irr(bus, MASTER_CMD));

	EXPECT_EQ(0x20, pic_ack(p));
	EXPECT_FALSE(pic_output(p));
	ASSERT_EQ(2, self->log.calls);
	EXPECT_FALSE(self->log.levels[1]);
	EXPECT_EQ(0x01, read_isr(bus, MASTER_CMD));
	EXPECT_EQ(0x00, read_irr(bus, MASTER_CMD));

	/* The next tick waits for the EOI. */
	pulse(p, 0);
	EXPECT_FALSE(pic_output(p));
	EXPECT_EQ(0x01, read_irr(bus, MASTER_CMD));
	outb(bus, MASTER_CMD, OCW2_EOI);
	EXPECT_EQ(0x00, read_isr(bus, MASTER_CMD));
	EXPECT_TRUE(pic_output(p));
	EXPECT_EQ(3, self->log.calls);
	EXPECT_EQ(0x20, pic_ack(p));
	outb(bus, MASTER_CMD, OCW2_SEOI | 0);
	EXPECT_EQ(0x00, read_isr(bus, MASTER_CMD));
	EXPECT_FALSE(pic_output(p));
	EXPECT_EQ(4, self->log.calls);
}

TEST_F(pic, masking)
{
	struct io_bus *bus = self->bus;
	struct pic *p = &self->p;

	linux_init(bus);
	pulse(p, 1);
	/* Masked: requested, not delivered. */
	EXPECT_EQ(0x02, read_irr(bus, MASTER_CMD));
	EXPECT_FALSE(pic_output(p));
	EXPECT_EQ(-1, pic_ack(p));
	outb(bus, MASTER_DATA, 0xfd);
	EXPECT_TRUE(pic_output(p));
	/* Masking again withdraws INTR but keeps the request. */
	outb(bus, MASTER_DATA, 0xff);
	EXPECT_FALSE(pic_output(p));
	EXPECT_EQ(0x02, read_irr(bus, MASTER_CMD));
	outb(bus, MASTER_DATA, 0x00);
	EXPECT_EQ(0x21, pic_ack(p));
	ASSERT_EQ(4, self->log.calls);
	EXPECT_TRUE(self->log.levels[0]);
	EXPECT_FALSE(self->log.levels[1]);
	EXPECT_TRUE(self->log.levels[2]);
	EXPECT_FALSE(self->log.levels[3]);
}

TEST_F(pic, priority)
{
	struct io_bus *bus = self->bus;
	struct pic *p = &self->p;

	linux_init(bus);
	outb(bus, MASTER_DATA, 0x00);
	pulse(p, 3);
	pulse(p, 1);
	EXPECT_EQ(0x0a, read_irr(bus, MASTER_CMD));
	/* IRQ 1 first; IRQ 3 waits while it is in service. */
	EXPECT_EQ(0x21, pic_ack(p));
	EXPECT_FALSE(pic_output(p));
	outb(bus, MASTER_CMD, OCW2_EOI);
	EXPECT_TRUE(pic_output(p));
	EXPECT_EQ(0x23, pic_ack(p));

	/* A higher priority nests; the non-specific EOI ends it first. */
	pulse(p, 1);
	EXPECT_TRUE(pic_output(p));
	EXPECT_EQ(0x21, pic_ack(p));
	EXPECT_EQ(0x0a, read_isr(bus, MASTER_CMD));
	outb(bus, MASTER_CMD, OCW2_EOI);
	EXPECT_EQ(0x08, read_isr(bus, MASTER_CMD));
	/* A lower one does not; a specific EOI ends what it names. */
	pulse(p, 5);
	EXPECT_FALSE(pic_output(p));
	outb(bus, MASTER_CMD, OCW2_SEOI | 3);
	EXPECT_EQ(0x00, read_isr(bus, MASTER_CMD));
	EXPECT_EQ(0x25, pic_ack(p));
	/* The rotating EOIs end it too (no rotation). */
	outb(bus, MASTER_CMD, 0xa0);
	EXPECT_EQ(0x00, read_isr(bus, MASTER_CMD));
	pulse(p, 4);
	EXPECT_EQ(0x24, pic_ack(p));
	outb(bus, MASTER_CMD, 0xe0 | 4);
	EXPECT_EQ(0x00, read_isr(bus, MASTER_CMD));
	/* A specific EOI of another IR leaves it in service. */
	pulse(p, 6);
	EXPECT_EQ(0x26, pic_ack(p));
	outb(bus, MASTER_CMD, OCW2_SEOI | 2);
	EXPECT_EQ(0x40, read_isr(bus, MASTER_CMD));
}

TEST_F(pic, cascade)
{
	struct io_bus *bus = self->bus;
	struct pic *p = &self->p;

	linux_init(bus);
	outb(bus, SLAVE_DATA, 0xfe);
	pulse(p, 8);
	/* The master's IR2 is masked. */
	EXPECT_FALSE(pic_output(p));
	EXPECT_EQ(0x01, read_irr(bus, SLAVE_CMD));
	outb(bus, MASTER_DATA, 0xfb);
	EXPECT_TRUE(pic_output(p));
	EXPECT_EQ(0x04, read_irr(bus, MASTER_CMD));

	EXPECT_EQ(0x28, pic_ack(p));
	EXPECT_FALSE(pic_output(p));
	EXPECT_EQ(0x04, read_isr(bus, MASTER_CMD));
	EXPECT_EQ(0x01, read_isr(bus, SLAVE_CMD));
	EXPECT_EQ(0x00, read_irr(bus, MASTER_CMD));
	EXPECT_EQ(0x00, read_irr(bus, SLAVE_CMD));

	/* Linux's mask_and_ack_8259A(): specific EOIs, slave first. */
	outb(bus, SLAVE_CMD, OCW2_SEOI | 0);
	outb(bus, MASTER_CMD, OCW2_SEOI | 2);
	EXPECT_EQ(0x00, read_isr(bus, MASTER_CMD));
	EXPECT_EQ(0x00, read_isr(bus, SLAVE_CMD));

	/* IRQ 15, through IR2, waits while IRQ 1 is in service. */
	outb(bus, SLAVE_DATA, 0x00);
	outb(bus, MASTER_DATA, 0x00);
	pulse(p, 15);
	pulse(p, 1);
	EXPECT_EQ(0x21, pic_ack(p));
	EXPECT_FALSE(pic_output(p));
	outb(bus, MASTER_CMD, OCW2_EOI);
	EXPECT_EQ(0x2f, pic_ack(p));
	/* IRQ 2 has no line of its own: it is the cascade. */
	outb(bus, SLAVE_CMD, OCW2_EOI);
	outb(bus, MASTER_CMD, OCW2_EOI);
	pulse(p, 2);
	pulse(p, 16);
	EXPECT_FALSE(pic_output(p));
	EXPECT_EQ(0x00, read_irr(bus, MASTER_CMD));
}

TEST_F(pic, elcr_level_and_edge)
{
	struct io_bus *bus = self->bus;
	struct pic *p = &self->p;

	linux_init(bus);
	/* IRQs 0, 1, 2, 8 and 13 cannot be level triggered. */
	outb(bus, ELCR_MASTER, 0xff);
	outb(bus, ELCR_SLAVE, 0xff);
	EXPECT_EQ(0xf8, inb(bus, ELCR_MASTER));
	EXPECT_EQ(0xde, inb(bus, ELCR_SLAVE));
	outb(bus, ELCR_MASTER, 0x00);
	outb(bus, ELCR_SLAVE, 0x04);	/* IRQ 10 level, IRQ 11 edge */
	EXPECT_EQ(0x04, inb(bus, ELCR_SLAVE));
	outb(bus, MASTER_DATA, 0xfb);
	outb(bus, SLAVE_DATA, 0xf3);

	/* Level: requests again after the EOI while the line is high. */
	pic_set_irq(p, 10, true);
	EXPECT_EQ(0x2a, pic_ack(p));
	EXPECT_EQ(0x04, read_irr(bus, SLAVE_CMD));
	outb(bus, SLAVE_CMD, OCW2_EOI);
	outb(bus, MASTER_CMD, OCW2_EOI);
	EXPECT_TRUE(pic_output(p));
	/* Lowered before the INTA: the request is gone. */
	pic_set_irq(p, 10, false);
	EXPECT_FALSE(pic_output(p));
	EXPECT_EQ(0x00, read_irr(bus, SLAVE_CMD));
	EXPECT_EQ(-1, pic_ack(p));

	/* Edge: lowering keeps the request; one interrupt per edge. */
	pic_set_irq(p, 11, true);
	pic_set_irq(p, 11, false);
	EXPECT_TRUE(pic_output(p));
	EXPECT_EQ(0x2b, pic_ack(p));
	outb(bus, SLAVE_CMD, OCW2_EOI);
	outb(bus, MASTER_CMD, OCW2_EOI);
	EXPECT_FALSE(pic_output(p));
	/* A line held high is one edge, however long it stays high. */
	pic_set_irq(p, 11, true);
	EXPECT_EQ(0x2b, pic_ack(p));
	outb(bus, SLAVE_CMD, OCW2_EOI);
	outb(bus, MASTER_CMD, OCW2_EOI);
	pic_set_irq(p, 11, true);
	EXPECT_FALSE(pic_output(p));

	/* Switching a held line to level makes it request. */
	outb(bus, ELCR_SLAVE, 0x0c);
	EXPECT_TRUE(pic_output(p));
	EXPECT_EQ(0x2b, pic_ack(p));
}

TEST_F(pic, read_irr_isr)
{
	struct io_bus *bus = self->bus;
	struct pic *p = &self->p;

	linux_init(bus);
	outb(bus, MASTER_DATA, 0x00);
	pulse(p, 4);
	pulse(p, 6);
	EXPECT_EQ(0x24, pic_ack(p));
	/* After ICW1 port 0 reads the IRR. */
	EXPECT_EQ(0x40, inb(bus, MASTER_CMD));
	outb(bus, MASTER_CMD, OCW3_READ_ISR);
	EXPECT_EQ(0x10, inb(bus, MASTER_CMD));
	/* The selection holds until changed; OCW3 without RR keeps it. */
	EXPECT_EQ(0x10, inb(bus, MASTER_CMD));
	outb(bus, MASTER_CMD, 0x08);
	EXPECT_EQ(0x10, inb(bus, MASTER_CMD));
	outb(bus, MASTER_CMD, OCW3_READ_IRR);
	EXPECT_EQ(0x40, inb(bus, MASTER_CMD));
	/* Port 1 reads the mask whatever was selected. */
	EXPECT_EQ(0x00, inb(bus, MASTER_DATA));
}

TEST_F(pic, poll)
{
	struct io_bus *bus = self->bus;
	struct pic *p = &self->p;

	linux_init(bus);
	outb(bus, MASTER_DATA, 0x00);
	outb(bus, SLAVE_DATA, 0x00);
	pulse(p, 5);
	pulse(p, 3);
	/* The next read answers the poll and acknowledges. */
	outb(bus, MASTER_CMD, OCW3_POLL);
	EXPECT_EQ(0x83, inb(bus, MASTER_CMD));
	/* Only that read: the next one reads the IRR again. */
	EXPECT_EQ(0x20, inb(bus, MASTER_CMD));
	EXPECT_EQ(0x08, read_isr(bus, MASTER_CMD));
	/* Either port answers; with 3 in service, 5 waits: no interrupt. */
	outb(bus, MASTER_CMD, OCW3_POLL);
	EXPECT_EQ(0x00, inb(bus, MASTER_DATA));
	outb(bus, MASTER_CMD, OCW2_EOI);
	outb(bus, MASTER_CMD, OCW3_POLL);
	EXPECT_EQ(0x85, inb(bus, MASTER_DATA));
	outb(bus, MASTER_CMD, OCW2_EOI);

	/* A slave interrupt polls as IR2, then on the slave. */
	pulse(p, 12);
	outb(bus, MASTER_CMD, OCW3_POLL);
	EXPECT_EQ(0x82, inb(bus, MASTER_CMD));
	outb(bus, SLAVE_CMD, OCW3_POLL);
	EXPECT_EQ(0x84, inb(bus, SLAVE_CMD));
	EXPECT_EQ(0x10, read_isr(bus, SLAVE_CMD));
	EXPECT_FALSE(pic_output(p));
}

TEST_F(pic, spurious)
{
	struct io_bus *bus = self->bus;
	struct pic *p = &self->p;

	linux_init(bus);
	outb(bus, MASTER_DATA, 0x00);
	/* Nothing pending: -1 rather than IR7's vector, nothing in service. */
	EXPECT_EQ(-1, pic_ack(p));
	EXPECT_EQ(0x00, read_isr(bus, MASTER_CMD));
	/* A request masked between INTR and INTA. */
	pulse(p, 7);
	EXPECT_TRUE(pic_output(p));
	outb(bus, MASTER_DATA, 0x80);
	EXPECT_EQ(-1, pic_ack(p));
	EXPECT_EQ(0x00, read_isr(bus, MASTER_CMD));
	EXPECT_EQ(0x80, read_irr(bus, MASTER_CMD));
	/* In service already: lower or equal priority is no request either. */
	outb(bus, MASTER_DATA, 0x00);
	EXPECT_EQ(0x27, pic_ack(p));
	EXPECT_EQ(-1, pic_ack(p));
	EXPECT_EQ(0x80, read_isr(bus, MASTER_CMD));
}

TEST_F(pic, auto_eoi)
{
	struct io_bus *bus = self->bus;
	struct pic *p = &self->p;

	outb(bus, MASTER_CMD, 0x11);
	outb(bus, MASTER_DATA, 0x30);
	outb(bus, MASTER_DATA, 0x04);
	outb(bus, MASTER_DATA, 0x03);	/* ICW4: 8086, auto-EOI */
	outb(bus, MASTER_DATA, 0x00);
	pulse(p, 1);
	pulse(p, 0);
	EXPECT_EQ(0x30, pic_ack(p));
	EXPECT_EQ(0x00, read_isr(bus, MASTER_CMD));
	/* Nothing in service: the next one needs no EOI. */
	EXPECT_TRUE(pic_output(p));
	EXPECT_EQ(0x31, pic_ack(p));
	EXPECT_FALSE(pic_output(p));

	/* A new ICW1 without IC4 clears auto-EOI. */
	outb(bus, MASTER_CMD, 0x10);
	outb(bus, MASTER_DATA, 0x30);
	outb(bus, MASTER_DATA, 0x04);
	outb(bus, MASTER_DATA, 0xfe);	/* OCW1 already: no ICW4 */
	EXPECT_EQ(0xfe, inb(bus, MASTER_DATA));
	pulse(p, 0);
	EXPECT_EQ(0x30, pic_ack(p));
	EXPECT_EQ(0x01, read_isr(bus, MASTER_CMD));
}

TEST_F(pic, init_sequence)
{
	struct io_bus *bus = self->bus;
	struct pic *p = &self->p;

	linux_init(bus);
	outb(bus, MASTER_DATA, 0x00);
	pulse(p, 3);
	EXPECT_EQ(0x23, pic_ack(p));
	pic_set_irq(p, 4, true);
	EXPECT_FALSE(pic_output(p));
	/* a mask that ICW1 must clear, not one that is 0 already */
	outb(bus, MASTER_DATA, 0xa5);
	/*
	 * ICW1 clears the mask, ISR and IRR, and INTR stays low until the
	 * last ICW.  Single mode: no ICW3.
	 */
	outb(bus, MASTER_CMD, 0x13);
	EXPECT_EQ(0x00, read_isr(bus, MASTER_CMD));
	EXPECT_EQ(0x00, inb(bus, MASTER_DATA));
	/* ICW2's low three bits are not the base's: 0x43 is 0x40 */
	outb(bus, MASTER_DATA, 0x43);
	pulse(p, 1);
	EXPECT_FALSE(pic_output(p));
	outb(bus, MASTER_DATA, 0x01);	/* ICW4 */
	EXPECT_TRUE(pic_output(p));
	EXPECT_EQ(0x41, pic_ack(p));
	/* IRQ 4 was high through ICW1: an edge input needs a new edge. */
	outb(bus, MASTER_CMD, OCW2_EOI);
	EXPECT_FALSE(pic_output(p));
	pic_set_irq(p, 4, false);
	pic_set_irq(p, 4, true);
	EXPECT_EQ(0x44, pic_ack(p));
}

TEST_F(pic, ack_from_callback)
{
	struct io_bus *bus = self->bus;
	struct pic *p = &self->p;

	/*
	 * An INTR callback that acknowledges at once (a router injecting
	 * straight away) may call back into the PIC, and the reports stay
	 * in order: up, down once its ack put IRQ 5 in service, up again at
	 * the EOI (IRQ 6 was waiting), down at the second ack.
	 */
	linux_init(bus);
	pulse(p, 6);
	pulse(p, 5);
	self->log.ack_in_callback = true;
	outb(bus, MASTER_DATA, 0x00);
	ASSERT_EQ(1, self->log.nacked);
	EXPECT_EQ(0x25, self->log.acked[0]);
	ASSERT_EQ(2, self->log.calls);
	EXPECT_TRUE(self->log.levels[0]);
	EXPECT_FALSE(self->log.levels[1]);
	EXPECT_FALSE(pic_output(p));

	outb(bus, MASTER_CMD, OCW2_EOI);
	ASSERT_EQ(2, self->log.nacked);
	EXPECT_EQ(0x26, self->log.acked[1]);
	ASSERT_EQ(4, self->log.calls);
	EXPECT_TRUE(self->log.levels[2]);
	EXPECT_FALSE(self->log.levels[3]);
	EXPECT_EQ(0x40, read_isr(bus, MASTER_CMD));
}

/* Reports from many threads: they must alternate and end at the truth. */
struct stress {
	struct pic p;
	struct io_bus *bus;
	unsigned int reports, repeats, inside, overlaps;
	bool last;
};

static void stress_intr(void *ctx, bool level)
{
	struct stress *st = ctx;
	unsigned int i;

	/*
	 * Reports never overlap, so this needs no lock of its own; it takes
	 * its time (as kicking a vCPU does) to give overlaps a chance.
	 */
	if (__atomic_fetch_add(&st->inside, 1, __ATOMIC_SEQ_CST))
		__atomic_fetch_add(&st->overlaps, 1, __ATOMIC_SEQ_CST);
	if (st->reports && level == st->last)
		st->repeats++;
	for (i = 0; i < 200; i++)
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	st->last = level;
	st->reports++;
	__atomic_fetch_sub(&st->inside, 1, __ATOMIC_SEQ_CST);
}

static void *stress_thread(void *arg)
{
	struct stress *st = arg;
	unsigned int i;
	int vec;

	for (i = 0; i < 20000; i++) {
		pulse(&st->p, 1 + i % 2 * 2);
		pic_set_irq(&st->p, 12, i % 3 == 0);
		vec = pic_ack(&st->p);
		if (vec >= 0x28)
			outb(st->bus, SLAVE_CMD, OCW2_EOI);
		if (vec >= 0)
			outb(st->bus, MASTER_CMD, OCW2_EOI);
	}
	return NULL;
}

TEST(pic_threads)
{
	struct stress *st = calloc(1, sizeof(*st));
	pthread_t t[3];
	unsigned int i;

	ASSERT_NE(NULL, st);
	st->bus = malloc(sizeof(*st->bus));
	ASSERT_NE(NULL, st->bus);
	io_bus_init(st->bus, NULL);
	pic_init(&st->p, stress_intr, st);
	ASSERT_EQ(0, pic_register(&st->p, st->bus));
	linux_init(st->bus);
	outb(st->bus, ELCR_SLAVE, 0x10);	/* IRQ 12 level */
	outb(st->bus, MASTER_DATA, 0x00);
	outb(st->bus, SLAVE_DATA, 0x00);
	for (i = 0; i < ARRAY_SIZE(t); i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, stress_thread, st));
	for (i = 0; i < ARRAY_SIZE(t); i++)
		pthread_join(t[i], NULL);
	EXPECT_LT(0, st->reports);
	EXPECT_EQ(0, st->overlaps);
	EXPECT_EQ(0, st->repeats);
	EXPECT_EQ(pic_output(&st->p), st->last);
	pic_destroy(&st->p);
	io_bus_destroy(st->bus);
	free(st->bus);
	free(st);
}

TEST_HARNESS_MAIN
