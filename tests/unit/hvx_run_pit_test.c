// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's i8254 and port 0x61
 * (userspace/hvx-run/pit.c), programmed through its ports, on a clock
 * the test sets: channel 0 periodic at Linux's HZ and one-shot, IRQ 0's
 * raise and lower, coalescing, the counter latch and read-back commands,
 * the access modes, BCD, Linux's TSC calibration on channel 2 through
 * port 0x61, the gate, and the real-time thread on the host's clock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

#define CH0		0x40
#define CH2		0x42
#define MODE		0x43
#define PORT_B		0x61

#define T0		1000000000ULL	/* where the fake clock starts */
#define LATCH_250HZ	4773		/* (1193182 + 125) / 250 */

/* ceil(n * 10^9 / 1193182): when n clocks have gone by. */
#define NS_4773		4000228ULL
#define NS_2x4773	8000456ULL
#define NS_250x4773	1000056991ULL
#define NS_65535	54924564ULL
#define NS_59659	49999917ULL
#define NS_65536	54925402ULL

struct irq_event {
	unsigned int gsi;
	bool level;
	uint64_t ns;
};

/* The fake clock and what the irq line saw. */
struct rig {
	uint64_t now;
	unsigned int nirq;
	struct irq_event ev[16];
	unsigned int raised;
};

static uint64_t fake_now(void *ctx)
{
	struct rig *r = ctx;

	return r->now;
}

static void irq_line(void *ctx, unsigned int gsi, bool level)
{
	struct rig *r = ctx;

	if (r->nirq < ARRAY_SIZE(r->ev)) {
		r->ev[r->nirq].gsi = gsi;
		r->ev[r->nirq].level = level;
		r->ev[r->nirq].ns = r->now;
	}
	r->nirq++;
	if (level)
		r->raised++;
}

FIXTURE(pit) {
	struct pit p;
	struct io_bus *bus;
	struct rig rig;
};

FIXTURE_SETUP(pit)
{
	self->bus = malloc(sizeof(*self->bus));
	ASSERT_NE(NULL, self->bus);
	io_bus_init(self->bus, NULL);
	self->rig.now = T0;
	pit_init(&self->p, fake_now, &self->rig, irq_line, &self->rig);
	ASSERT_EQ(0, pit_register(&self->p, self->bus));
}

FIXTURE_TEARDOWN(pit)
{
	pit_destroy(&self->p);
	io_bus_destroy(self->bus);
	free(self->bus);
}

/*
 * The first nanosecond by which @n clocks have gone by: what the tests
 * add to a start time to be @n clocks into a count.
 */
static uint64_t clk(uint64_t n)
{
	return (n * 1000000000ULL + 1193182 - 1) / 1193182;
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

/* Read a low-then-high count (or latch) of @port. */
static unsigned int inw_lohi(struct io_bus *bus, uint16_t port)
{
	unsigned int lo = inb(bus, port);

	return lo | inb(bus, port) << 8;
}

/* Linux's pit_set_periodic(): mode 2, low then high. */
static void periodic(struct io_bus *bus, unsigned int count)
{
	outb(bus, MODE, 0x34);
	outb(bus, CH0, count & 0xff);
	outb(bus, CH0, count >> 8);
}

TEST_F(pit, periodic_250hz)
{
	struct pit *p = &self->p;
	struct rig *r = &self->rig;
	unsigned int i;

	EXPECT_EQ(UINT64_MAX, pit_next_event(p));
	periodic(self->bus, LATCH_250HZ);
	ASSERT_EQ(T0 + NS_4773, pit_next_event(p));

	/* Nothing a nanosecond early. */
	r->now = T0 + NS_4773 - 1;
	pit_expire(p);
	EXPECT_EQ(0, r->nirq);
	r->now = T0 + NS_4773;
	pit_expire(p);
	ASSERT_EQ(2, r->nirq);
	EXPECT_EQ(0, r->ev[0].gsi);
	EXPECT_TRUE(r->ev[0].level);
	EXPECT_EQ(0, r->ev[1].gsi);
	EXPECT_FALSE(r->ev[1].level);
	EXPECT_EQ(T0 + NS_2x4773, pit_next_event(p));
	/* Once per period. */
	pit_expire(p);
	EXPECT_EQ(2, r->nirq);

	/* A second of ticks, each woken at its time. */
	for (i = 2; i <= 250; i++) {
		r->now = pit_next_event(p);
		pit_expire(p);
	}
	EXPECT_EQ(T0 + NS_250x4773, r->now);
	EXPECT_EQ(250, r->raised);
	EXPECT_EQ(500, r->nirq);
}

/*
 * Control-word modes 6 and 7 are modes 2 and 3 (the 8254's "don't care"
 * bit): 6 reloads like the rate generator, 7 counts by two like the
 * square wave.
 */
TEST_F(pit, modes_6_and_7)
{
	struct io_bus *bus = self->bus;
	struct pit *p = &self->p;
	struct rig *r = &self->rig;

	outb(bus, MODE, 0x3c);			/* channel 0, lo/hi, mode 6 */
	outb(bus, CH0, LATCH_250HZ & 0xff);
	outb(bus, CH0, LATCH_250HZ >> 8);
	ASSERT_EQ(T0 + NS_4773, pit_next_event(p));
	r->now = T0 + NS_4773;
	pit_expire(p);
	EXPECT_EQ(T0 + NS_2x4773, pit_next_event(p));

	/*
	 * Mode 3 with an odd count: (n + 1) / 2 clocks high counting down
	 * by two from n, then (n - 1) / 2 low from n again: 5, 3, 1, 5, 3.
	 */
	r->now = T0 + SZ_1G;
	outb(bus, MODE, 0x36);
	outb(bus, CH0, 5);
	outb(bus, CH0, 0);
	r->now += clk(2);
	outb(bus, MODE, 0x00);
	EXPECT_EQ(1, inw_lohi(bus, CH0));
	r->now += clk(2) - clk(1);		/* the 3rd clock */
	outb(bus, MODE, 0x00);
	EXPECT_EQ(5, inw_lohi(bus, CH0));

	outb(bus, MODE, 0x3e);			/* mode 7 */
	outb(bus, CH0, LATCH_250HZ & 0xff);
	outb(bus, CH0, LATCH_250HZ >> 8);
	r->now += 1000000;			/* 1193 clocks */
	outb(bus, MODE, 0x00);
	EXPECT_EQ(LATCH_250HZ - 2 * 1193, inw_lohi(bus, CH0));
}

TEST_F(pit, missed_periods_coalesce)
{
	struct pit *p = &self->p;
	struct rig *r = &self->rig;

	periodic(self->bus, LATCH_250HZ);
	/* 10.5 periods late: one interrupt, then the next period's end. */
	r->now = T0 + NS_4773 * 21 / 2;
	pit_expire(p);
	EXPECT_EQ(1, r->raised);
	EXPECT_EQ(T0 + 44002508, pit_next_event(p));	/* 11 periods */
	pit_expire(p);
	EXPECT_EQ(1, r->raised);

	/*
	 * A period of two clocks cannot make the thread spin: the next
	 * interrupt is at least 120 clocks (100 us) after the one delivered.
	 */
	periodic(self->bus, 2);
	r->now += clk(2);
	pit_expire(p);
	EXPECT_EQ(2, r->raised);
	EXPECT_EQ(r->now - clk(2) + clk(122), pit_next_event(p));
}

TEST_F(pit, oneshot)
{
	struct io_bus *bus = self->bus;
	struct pit *p = &self->p;
	struct rig *r = &self->rig;

	/* Linux's oneshot clockevent: mode 4, OUT rises a clock after 0. */
	outb(bus, MODE, 0x38);
	outb(bus, CH0, 100);
	EXPECT_EQ(UINT64_MAX, pit_next_event(p));
	outb(bus, CH0, 0);
	EXPECT_EQ(T0 + 84648, pit_next_event(p));	/* 101 clocks */
	r->now = T0 + 84648 - 1;
	pit_expire(p);
	EXPECT_EQ(0, r->raised);
	r->now = T0 + 84648;
	pit_expire(p);
	EXPECT_EQ(1, r->raised);
	EXPECT_EQ(UINT64_MAX, pit_next_event(p));
	r->now += 1000000000;
	pit_expire(p);
	EXPECT_EQ(1, r->raised);

	/* Mode 0: at the terminal count; rewriting the count rearms. */
	outb(bus, MODE, 0x30);
	EXPECT_EQ(UINT64_MAX, pit_next_event(p));
	outb(bus, CH0, 0xa5);
	outb(bus, CH0, 0x12);
	EXPECT_EQ(r->now + NS_4773, pit_next_event(p));
	r->now += 1000;
	outb(bus, CH0, 0xa5);
	/* The first byte stopped it. */
	EXPECT_EQ(UINT64_MAX, pit_next_event(p));
	outb(bus, CH0, 0x12);
	EXPECT_EQ(r->now + NS_4773, pit_next_event(p));
	/* Linux's shutdown: a control word alone stops it. */
	outb(bus, MODE, 0x30);
	EXPECT_EQ(UINT64_MAX, pit_next_event(p));
	r->now += 2 * NS_4773;
	pit_expire(p);
	EXPECT_EQ(1, r->raised);
}

TEST_F(pit, counter_latch)
{
	struct io_bus *bus = self->bus;
	struct rig *r = &self->rig;
	unsigned int a, b;

	periodic(bus, LATCH_250HZ);
	/* 1 ms: 1193 clocks. */
	r->now = T0 + 1000000;
	outb(bus, MODE, 0x00);
	r->now += 500000;
	/* The latch holds the count of the latch command. */
	EXPECT_EQ(LATCH_250HZ - 1193, inw_lohi(bus, CH0));
	outb(bus, MODE, 0x00);
	a = inw_lohi(bus, CH0);
	EXPECT_EQ(LATCH_250HZ - 1789, a);	/* 1.5 ms */
	r->now += 1000000;
	outb(bus, MODE, 0x00);
	/* A second latch before the first is read is ignored. */
	r->now += 1000000;
	outb(bus, MODE, 0x00);
	b = inw_lohi(bus, CH0);
	EXPECT_EQ(a - 1193, b);
	/* Mode 2 reloads: a period and a clock later, one below the top. */
	r->now = T0 + clk(LATCH_250HZ + 1);
	outb(bus, MODE, 0x00);
	EXPECT_EQ(LATCH_250HZ - 1, inw_lohi(bus, CH0));
	/* Without a latch the count is read live. */
	r->now = T0 + NS_4773 + 1000000;
	EXPECT_EQ(LATCH_250HZ - 1193, inw_lohi(bus, CH0));
}

TEST_F(pit, read_back)
{
	struct io_bus *bus = self->bus;
	struct rig *r = &self->rig;

	outb(bus, MODE, 0x34);
	/* Status only: OUT high (mode 2), null count, access, mode. */
	outb(bus, MODE, 0xe2);
	EXPECT_EQ(0xf4, inb(bus, CH0));
	outb(bus, CH0, LATCH_250HZ & 0xff);
	outb(bus, CH0, LATCH_250HZ >> 8);
	r->now = T0 + 1000000;
	/* Count and status: the status byte comes first. */
	outb(bus, MODE, 0xc2);
	r->now += 1000000;
	EXPECT_EQ(0xb4, inb(bus, CH0));
	EXPECT_EQ(LATCH_250HZ - 1193, inw_lohi(bus, CH0));
	/* Count only, latched at 2 ms, read later. */
	outb(bus, MODE, 0xd2);
	r->now += 1000000;
	EXPECT_EQ(LATCH_250HZ - 2386, inw_lohi(bus, CH0));
	/* Channel 2 at the same time: mode 0, no count, OUT low. */
	outb(bus, MODE, 0xb0);
	outb(bus, MODE, 0xca);
	EXPECT_EQ(0x70, inb(bus, CH2));
	EXPECT_EQ(0xb4, inb(bus, CH0));
	/* Channel 0's OUT is low for the clock on which the count is 1. */
	r->now = T0 + clk(LATCH_250HZ - 1);
	outb(bus, MODE, 0xe2);
	EXPECT_EQ(0x34, inb(bus, CH0));
	/* The control word register reads nothing. */
	EXPECT_EQ(0xff, inb(bus, MODE));
}

TEST_F(pit, access_modes)
{
	struct io_bus *bus = self->bus;
	struct pit *p = &self->p;
	struct rig *r = &self->rig;
	uint64_t t;

	/* Low byte only: the high byte is 0. */
	outb(bus, MODE, 0x14);
	outb(bus, CH0, 200);
	EXPECT_EQ(T0 + 167620, pit_next_event(p));	/* 200 clocks */
	r->now = T0 + clk(1);
	EXPECT_EQ(199, inb(bus, CH0));
	EXPECT_EQ(199, inb(bus, CH0));
	/* High byte only: the low byte is 0. */
	t = r->now;
	outb(bus, MODE, 0x24);
	outb(bus, CH0, 0x02);
	EXPECT_EQ(t + 429105, pit_next_event(p));	/* 512 clocks */
	r->now = t + clk(100);
	EXPECT_EQ(0x01, inb(bus, CH0));
	r->now = t + clk(300);
	EXPECT_EQ(0x00, inb(bus, CH0));

	/*
	 * Low then high: reads and writes have their own byte pointers, so
	 * reading the low byte, writing the low byte, reading the high byte
	 * and writing the high byte is valid (the 8254's own example).
	 */
	t = r->now;
	outb(bus, MODE, 0x34);
	outb(bus, CH0, 0x00);
	outb(bus, CH0, 0x10);
	r->now = t + clk(1193);
	EXPECT_EQ((0x1000 - 1193) & 0xff, inb(bus, CH0));
	outb(bus, CH0, LATCH_250HZ & 0xff);
	EXPECT_EQ((0x1000 - 1193) >> 8, inb(bus, CH0));
	/* Mode 2: the period goes on until the high byte. */
	EXPECT_EQ(t + 3432838, pit_next_event(p));	/* 4096 clocks */
	outb(bus, CH0, LATCH_250HZ >> 8);
	EXPECT_EQ(r->now + NS_4773, pit_next_event(p));
	/* A control word resets both pointers. */
	outb(bus, CH0, 0x11);
	inb(bus, CH0);
	outb(bus, MODE, 0x34);
	outb(bus, CH0, 0x00);
	outb(bus, CH0, 0x01);
	EXPECT_EQ(r->now + 214553, pit_next_event(p));	/* 256 clocks */
	EXPECT_EQ(0x00, inb(bus, CH0));
	EXPECT_EQ(0x01, inb(bus, CH0));
	/* A count of 0 is 65536. */
	outb(bus, CH0, 0x00);
	outb(bus, CH0, 0x00);
	EXPECT_EQ(r->now + NS_65536, pit_next_event(p));
	r->now += clk(1);
	EXPECT_EQ(0xffff, inw_lohi(bus, CH0));
}

TEST_F(pit, bcd)
{
	struct io_bus *bus = self->bus;
	struct pit *p = &self->p;
	struct rig *r = &self->rig;
	uint64_t t;

	/* Mode 2, BCD: 0x1000 is 1000 clocks. */
	outb(bus, MODE, 0x35);
	outb(bus, CH0, 0x00);
	outb(bus, CH0, 0x10);
	EXPECT_EQ(T0 + 838096, pit_next_event(p));
	r->now = T0 + clk(1);
	EXPECT_EQ(0x0999, inw_lohi(bus, CH0));
	r->now = T0 + clk(11);
	EXPECT_EQ(0x0989, inw_lohi(bus, CH0));
	/* The status shows BCD. */
	outb(bus, MODE, 0xe2);
	EXPECT_EQ(0xb5, inb(bus, CH0));
	/* Mode 0, BCD, count 0 (10000): wraps to 9999 after 0. */
	t = r->now;
	outb(bus, MODE, 0x31);
	outb(bus, CH0, 0x00);
	outb(bus, CH0, 0x00);
	EXPECT_EQ(t + 8380952, pit_next_event(p));	/* 10000 clocks */
	r->now = t + clk(10001);
	EXPECT_EQ(0x9999, inw_lohi(bus, CH0));
}

/*
 * pit_calibrate_tsc(): gate on, speaker off, channel 2 mode 0 with a
 * 50 ms count, poll port 0x61 bit 5 until OUT rises.
 */
TEST_F(pit, calibrate_tsc_channel2)
{
	struct io_bus *bus = self->bus;
	struct pit *p = &self->p;
	struct rig *r = &self->rig;
	unsigned int latch = 1193182 / 20;

	outb(bus, PORT_B, (inb(bus, PORT_B) & ~0x02) | 0x01);
	outb(bus, MODE, 0xb0);
	outb(bus, CH2, latch & 0xff);
	outb(bus, CH2, latch >> 8);
	EXPECT_EQ(0, inb(bus, PORT_B) & 0x20);
	r->now = T0 + NS_59659 - 1;
	EXPECT_EQ(0, inb(bus, PORT_B) & 0x20);
	r->now = T0 + NS_59659;
	EXPECT_EQ(0x20, inb(bus, PORT_B) & 0x20);
	/* And it stays high; the count wraps on. */
	r->now += 1000000;
	EXPECT_EQ(0x21, inb(bus, PORT_B) & 0x2f);
	EXPECT_EQ(65536 - 1193, inw_lohi(bus, CH2));
	/* Channel 2 never interrupts. */
	EXPECT_EQ(UINT64_MAX, pit_next_event(p));
	pit_expire(p);
	EXPECT_EQ(0, r->nirq);
}

/*
 * quick_pit_calibrate(): channel 2 mode 0 from 0xffff, reading the MSB
 * as it goes down (the LSB is read and dropped), then waiting for OUT.
 */
TEST_F(pit, quick_calibrate_msb)
{
	struct io_bus *bus = self->bus;
	struct rig *r = &self->rig;
	unsigned int i, msb, last = 0x100;

	outb(bus, PORT_B, (inb(bus, PORT_B) & ~0x02) | 0x01);
	outb(bus, MODE, 0xb0);
	outb(bus, CH2, 0xff);
	outb(bus, CH2, 0xff);
	for (i = 0; i < 255; i++) {
		/* Each MSB value lasts 256 clocks, about 214.5 us. */
		r->now = T0 + clk(i * 256 + 128);
		inb(bus, CH2);
		msb = inb(bus, CH2);
		EXPECT_EQ(0xff - i, msb);
		EXPECT_LT(msb, last);
		last = msb;
	}
	r->now = T0 + NS_65535 - 1;
	EXPECT_EQ(0, inb(bus, PORT_B) & 0x20);
	r->now = T0 + NS_65535;
	EXPECT_EQ(0x20, inb(bus, PORT_B) & 0x20);
}

TEST_F(pit, gate)
{
	struct io_bus *bus = self->bus;
	struct rig *r = &self->rig;
	uint64_t t;

	/* Mode 0 with the gate low does not count. */
	EXPECT_EQ(0, inb(bus, PORT_B) & 0x01);
	outb(bus, MODE, 0xb0);
	outb(bus, CH2, 0x00);
	outb(bus, CH2, 0x10);
	r->now += 10000000;
	EXPECT_EQ(0x1000, inw_lohi(bus, CH2));
	t = r->now;
	outb(bus, PORT_B, 0x01);
	r->now = t + clk(1193);
	EXPECT_EQ(0x1000 - 1193, inw_lohi(bus, CH2));
	/* Low again: suspended; high again: goes on from there. */
	outb(bus, PORT_B, 0x00);
	r->now += 50000000;
	EXPECT_EQ(0x1000 - 1193, inw_lohi(bus, CH2));
	t = r->now;
	outb(bus, PORT_B, 0x01);
	r->now = t + clk(1000);
	EXPECT_EQ(0x1000 - 2193, inw_lohi(bus, CH2));

	/* Mode 1: a rising gate triggers OUT low for the count. */
	outb(bus, PORT_B, 0x00);
	outb(bus, MODE, 0xb2);
	outb(bus, CH2, 100);
	outb(bus, CH2, 0);
	r->now += 1000000;
	EXPECT_EQ(0x20, inb(bus, PORT_B) & 0x20);
	t = r->now;
	outb(bus, PORT_B, 0x01);
	EXPECT_EQ(0x00, inb(bus, PORT_B) & 0x20);
	r->now = t + clk(99);
	EXPECT_EQ(0x00, inb(bus, PORT_B) & 0x20);
	EXPECT_EQ(1, inw_lohi(bus, CH2));
	r->now = t + clk(100);
	EXPECT_EQ(0x20, inb(bus, PORT_B) & 0x20);
	/* Retriggered: low again for the whole count. */
	outb(bus, PORT_B, 0x00);
	t = r->now;
	outb(bus, PORT_B, 0x01);
	r->now = t + clk(50);
	EXPECT_EQ(0x00, inb(bus, PORT_B) & 0x20);
	EXPECT_EQ(50, inw_lohi(bus, CH2));

	/* Mode 3, the speaker's square wave: high half, low half. */
	t = r->now;
	outb(bus, MODE, 0xb6);
	outb(bus, CH2, 100);
	outb(bus, CH2, 0);
	r->now = t + clk(49);
	EXPECT_EQ(0x20, inb(bus, PORT_B) & 0x20);
	r->now = t + clk(51);
	EXPECT_EQ(0x00, inb(bus, PORT_B) & 0x20);
	/* Down by two through each half. */
	r->now = t + clk(70);
	EXPECT_EQ(100 - 2 * 20, inw_lohi(bus, CH2));
	r->now = t + clk(101);
	EXPECT_EQ(0x20, inb(bus, PORT_B) & 0x20);
	/* Gate low forces OUT high; high again restarts the period. */
	r->now = t + clk(151);
	EXPECT_EQ(0x00, inb(bus, PORT_B) & 0x20);
	outb(bus, PORT_B, 0x00);
	EXPECT_EQ(0x20, inb(bus, PORT_B) & 0x20);
	t = r->now;
	outb(bus, PORT_B, 0x01);
	r->now = t + clk(40);
	EXPECT_EQ(0x20, inb(bus, PORT_B) & 0x20);
	EXPECT_EQ(100 - 2 * 40, inw_lohi(bus, CH2));
}

TEST_F(pit, port_b)
{
	struct io_bus *bus = self->bus;
	uint8_t a, b, c;

	/* The refresh bit flips at each read. */
	a = inb(bus, PORT_B);
	b = inb(bus, PORT_B);
	c = inb(bus, PORT_B);
	EXPECT_EQ(0x10, (a ^ b) & 0x10);
	EXPECT_EQ(0x10, (b ^ c) & 0x10);
	EXPECT_EQ(a & 0x10, c & 0x10);
	/* Bits 3:0 read back; the rest cannot be written. */
	outb(bus, PORT_B, 0xff);
	EXPECT_EQ(0x0f, inb(bus, PORT_B) & 0xcf);
	outb(bus, PORT_B, 0x0a);
	EXPECT_EQ(0x0a, inb(bus, PORT_B) & 0xcf);
}

/* The real-time thread on the host's clock. */
struct counter {
	unsigned int raised, lowered;
	pthread_mutex_t lock;
};

static void count_irq(void *ctx, unsigned int gsi, bool level)
{
	struct counter *c = ctx;

	pthread_mutex_lock(&c->lock);
	if (gsi == 0 && level)
		c->raised++;
	else if (gsi == 0)
		c->lowered++;
	pthread_mutex_unlock(&c->lock);
}

static unsigned int raised(struct counter *c)
{
	unsigned int n;

	pthread_mutex_lock(&c->lock);
	n = c->raised;
	pthread_mutex_unlock(&c->lock);
	return n;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

TEST(pit_thread)
{
	struct counter cnt = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct io_bus *bus = malloc(sizeof(*bus));
	uint64_t start, end;
	struct pit p;
	unsigned int n;

	ASSERT_NE(NULL, bus);
	io_bus_init(bus, NULL);
	pit_init(&p, NULL, NULL, count_irq, &cnt);
	ASSERT_EQ(0, pit_register(&p, bus));
	/*
	 * Started with nothing programmed, the thread sleeps for good; the
	 * port writes must wake it.
	 */
	ASSERT_EQ(0, pit_start(&p));
	usleep(10000);
	EXPECT_EQ(0, raised(&cnt));
	/*
	 * However loaded the host, interrupts come (5 s at most are waited
	 * for five), and never more than the periods that went by.
	 */
	start = mono_ns();
	periodic(bus, 1193);			/* 999848 ns */
	while (raised(&cnt) < 5 && mono_ns() - start < 5000000000ULL)
		usleep(1000);
	pit_stop(&p);
	end = mono_ns();
	n = raised(&cnt);
	EXPECT_LE(5, n);
	EXPECT_GE((end - start) / 999848, n);
	EXPECT_EQ(n, cnt.lowered);
	/* Stopped: no more. */
	usleep(10000);
	EXPECT_EQ(n, raised(&cnt));
	pit_destroy(&p);
	io_bus_destroy(bus);
	free(bus);
}

static int failures;
static char said[512];

static void count_failure(void *ctx)
{
	__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
}

static void keep_line(void *ctx, const char *buf, size_t len)
{
	snprintf(said, sizeof(said), "%.*s", (int)len, buf);
}

/*
 * A thread whose timer fails ends the guest (device_failed()), rather
 * than leave it running without ticks: its timerfd replaced by an
 * eventfd, the next arm fails.
 */
TEST(pit_thread_failure_ends_the_guest)
{
	struct counter cnt = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct io_bus *bus = malloc(sizeof(*bus));
	unsigned int i;
	struct pit p;
	int efd;

	ASSERT_NE(NULL, bus);
	io_bus_init(bus, NULL);
	pit_init(&p, NULL, NULL, count_irq, &cnt);
	ASSERT_EQ(0, pit_register(&p, bus));
	msg_set_failure(count_failure, NULL);
	msg_set_output(keep_line, NULL);
	ASSERT_EQ(0, pit_start(&p));
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_LE(0, dup2(efd, p.timer_fd));
	periodic(bus, 1193);			/* wakes the thread */
	for (i = 0; i < 5000 && !__atomic_load_n(&failures, __ATOMIC_RELAXED);
	     i++)
		usleep(1000);
	EXPECT_EQ(1, __atomic_load_n(&failures, __ATOMIC_RELAXED));
	pit_stop(&p);
	msg_set_failure(NULL, NULL);
	msg_set_output(NULL, NULL);
	EXPECT_STREQ("hvx-run: PIT timer: Invalid argument; the guest ends\n",
		     said);
	pit_destroy(&p);
	close(efd);
	io_bus_destroy(bus);
	free(bus);
}

TEST_HARNESS_MAIN
