// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's CMOS/RTC (userspace/hvx-run/rtc.c) on a
 * clock the test sets: the time registers in BCD and 24-hour format after
 * reset, binary and 12-hour formats, the status registers, the memory
 * size bytes, CMOS RAM, access through ports 0x70/0x71; the periodic,
 * update-ended and alarm interrupts, status C and IRQ 8's line, the rate
 * select, UIP, the SET bit; and the interrupt thread on the host's clock.
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

#define SEC		1000000000ULL
#define NEVER		UINT64_MAX

struct irq_event {
	unsigned int gsi;
	bool level;
	uint64_t ns;
};

/* The fake wall clock and what the line saw. */
struct rig {
	uint64_t now;
	unsigned int nirq;
	struct irq_event ev[16];
};

static uint64_t fake_now(void *ctx)
{
	struct rig *g = ctx;

	return g->now;
}

static void irq_line(void *ctx, unsigned int gsi, bool level)
{
	struct rig *g = ctx;

	if (g->nirq < ARRAY_SIZE(g->ev)) {
		g->ev[g->nirq].gsi = gsi;
		g->ev[g->nirq].level = level;
		g->ev[g->nirq].ns = g->now;
	}
	g->nirq++;
}

/* 2026-11-26 06:35:09 UTC, a Thursday. */
#define T_MORNING	1795674909
/* 1999-12-31 23:59:59 UTC, a Friday. */
#define T_1999		946684799
/* 2000-01-01 12:00:00 UTC, a Saturday: noon. */
#define T_NOON		946728000

FIXTURE(cmos) {
	struct rtc r;
	struct rig g;
};

FIXTURE_SETUP(cmos)
{
	self->g.now = T_MORNING * SEC;
	rtc_init(&self->r, 64 * SZ_1M, fake_now, &self->g);
	rtc_connect_irq(&self->r, irq_line, &self->g, 8);
}

FIXTURE_TEARDOWN(cmos)
{
	rtc_destroy(&self->r);
}

TEST_F(cmos, time_bcd_24h)
{
	struct rtc *r = &self->r;

	EXPECT_EQ(0x09, rtc_read(r, 0x00));
	EXPECT_EQ(0x35, rtc_read(r, 0x02));
	EXPECT_EQ(0x06, rtc_read(r, 0x04));
	EXPECT_EQ(0x05, rtc_read(r, 0x06));	/* Thursday: 1 = Sunday */
	EXPECT_EQ(0x26, rtc_read(r, 0x07));
	EXPECT_EQ(0x11, rtc_read(r, 0x08));
	EXPECT_EQ(0x26, rtc_read(r, 0x09));
	EXPECT_EQ(0x20, rtc_read(r, 0x32));

	self->g.now = T_1999 * SEC;
	EXPECT_EQ(0x59, rtc_read(r, 0x00));
	EXPECT_EQ(0x59, rtc_read(r, 0x02));
	EXPECT_EQ(0x23, rtc_read(r, 0x04));
	EXPECT_EQ(0x06, rtc_read(r, 0x06));
	EXPECT_EQ(0x31, rtc_read(r, 0x07));
	EXPECT_EQ(0x12, rtc_read(r, 0x08));
	EXPECT_EQ(0x99, rtc_read(r, 0x09));
	EXPECT_EQ(0x19, rtc_read(r, 0x32));
}

TEST_F(cmos, status_registers)
{
	struct rtc *r = &self->r;

	EXPECT_EQ(0x26, rtc_read(r, 0x0a));
	EXPECT_EQ(0x02, rtc_read(r, 0x0b));
	EXPECT_EQ(0x00, rtc_read(r, 0x0c));
	EXPECT_EQ(0x80, rtc_read(r, 0x0d));
	/* UIP is read-only, and so are C and D. */
	rtc_write(r, 0x0a, 0xa6);
	EXPECT_EQ(0x26, rtc_read(r, 0x0a));
	rtc_write(r, 0x0c, 0xff);
	rtc_write(r, 0x0d, 0x00);
	EXPECT_EQ(0x00, rtc_read(r, 0x0c));
	EXPECT_EQ(0x80, rtc_read(r, 0x0d));
}

TEST_F(cmos, binary_and_12_hour)
{
	struct rtc *r = &self->r;

	rtc_write(r, 0x0b, 0x06);		/* binary, 24-hour */
	EXPECT_EQ(9, rtc_read(r, 0x00));
	EXPECT_EQ(35, rtc_read(r, 0x02));
	EXPECT_EQ(6, rtc_read(r, 0x04));
	EXPECT_EQ(26, rtc_read(r, 0x09));
	EXPECT_EQ(20, rtc_read(r, 0x32));

	rtc_write(r, 0x0b, 0x00);		/* BCD, 12-hour */
	EXPECT_EQ(0x06, rtc_read(r, 0x04));
	self->g.now = T_1999 * SEC;
	EXPECT_EQ(0x80 | 0x11, rtc_read(r, 0x04));
	self->g.now = T_NOON * SEC;
	EXPECT_EQ(0x80 | 0x12, rtc_read(r, 0x04));
	self->g.now = (T_NOON - 12 * 3600) * SEC;		/* midnight */
	EXPECT_EQ(0x12, rtc_read(r, 0x04));
	rtc_write(r, 0x0b, 0x04);		/* binary, 12-hour */
	self->g.now = T_1999 * SEC;
	EXPECT_EQ(0x80 | 11, rtc_read(r, 0x04));
}

TEST_F(cmos, clock_is_read_only)
{
	struct rtc *r = &self->r;

	rtc_write(r, 0x00, 0x42);
	rtc_write(r, 0x09, 0x42);
	rtc_write(r, 0x32, 0x42);
	EXPECT_EQ(0x09, rtc_read(r, 0x00));
	EXPECT_EQ(0x26, rtc_read(r, 0x09));
	EXPECT_EQ(0x20, rtc_read(r, 0x32));
	/* Alarms and the rest are RAM. */
	rtc_write(r, 0x01, 0x30);
	EXPECT_EQ(0x30, rtc_read(r, 0x01));
	rtc_write(r, 0x7f, 0x5a);
	EXPECT_EQ(0x5a, rtc_read(r, 0x7f));
	/* Bit 7 of the index (NMI mask) is not part of it. */
	EXPECT_EQ(0x5a, rtc_read(r, 0xff));
}

TEST_F(cmos, memory_sizes)
{
	struct rtc *r = &self->r;
	unsigned int sum = 0, i;

	/* 640 KiB base, 63 MiB extended, 48 MiB above 16 MiB. */
	EXPECT_EQ(0x80, rtc_read(r, 0x15));
	EXPECT_EQ(0x02, rtc_read(r, 0x16));
	EXPECT_EQ(0x00, rtc_read(r, 0x17));
	EXPECT_EQ(0xfc, rtc_read(r, 0x18));
	EXPECT_EQ(0x00, rtc_read(r, 0x30));
	EXPECT_EQ(0xfc, rtc_read(r, 0x31));
	EXPECT_EQ(0x00, rtc_read(r, 0x34));
	EXPECT_EQ(0x03, rtc_read(r, 0x35));
	EXPECT_EQ(0x00, rtc_read(r, 0x5b));
	for (i = 0x10; i < 0x2e; i++)
		sum += rtc_read(r, i);
	EXPECT_EQ(sum >> 8, rtc_read(r, 0x2e));
	EXPECT_EQ(sum & 0xff, rtc_read(r, 0x2f));

	/*
	 * 6 GiB: the KiB words are capped, 4 GiB - 16 MiB is 0xff00 units
	 * of 64 KiB, the 2 GiB above 4 GiB 0x8000 units.
	 */
	rtc_destroy(r);
	rtc_init(r, 6 * SZ_1G, fake_now, &self->g);
	EXPECT_EQ(0xff, rtc_read(r, 0x17));
	EXPECT_EQ(0xff, rtc_read(r, 0x18));
	EXPECT_EQ(0x00, rtc_read(r, 0x34));
	EXPECT_EQ(0xff, rtc_read(r, 0x35));
	EXPECT_EQ(0x00, rtc_read(r, 0x5b));
	EXPECT_EQ(0x80, rtc_read(r, 0x5c));
	EXPECT_EQ(0x00, rtc_read(r, 0x5d));
}

TEST_F(cmos, ports)
{
	struct io_bus *bus = malloc(sizeof(*bus));
	uint8_t b;

	ASSERT_NE(NULL, bus);
	io_bus_init(bus, NULL);
	ASSERT_EQ(0, rtc_register(&self->r, bus));

	b = 0x80 | 0x09;			/* NMI masked, year */
	io_bus_out(bus, 0x70, 1, &b);
	io_bus_in(bus, 0x71, 1, &b);
	EXPECT_EQ(0x26, b);
	io_bus_in(bus, 0x70, 1, &b);		/* write-only */
	EXPECT_EQ(0xff, b);
	b = 0x40;
	io_bus_out(bus, 0x70, 1, &b);
	b = 0x77;
	io_bus_out(bus, 0x71, 1, &b);
	b = 0;
	io_bus_in(bus, 0x71, 1, &b);
	EXPECT_EQ(0x77, b);
	EXPECT_EQ(0x77, rtc_read(&self->r, 0x40));
	io_bus_destroy(bus);
	free(bus);
}

/* 1024 Hz: 32 cycles of the 32768 Hz time base, 976562.5 ns. */
#define NS_1024HZ	976563ULL
#define NS_2x1024HZ	1953125ULL

TEST_F(cmos, periodic_1024hz)
{
	struct rtc *r = &self->r;
	struct rig *g = &self->g;
	uint64_t t = g->now;

	/* Reset's rate select is 6, 1024 Hz; nothing is enabled yet. */
	EXPECT_EQ(NEVER, rtc_next_event(r));
	rtc_write(r, 0x0b, 0x42);			/* PIE, 24-hour */
	EXPECT_EQ(t + NS_1024HZ, rtc_next_event(r));
	g->now = t + NS_1024HZ - 1;
	rtc_expire(r);
	EXPECT_EQ(0, g->nirq);
	g->now = t + NS_1024HZ;
	rtc_expire(r);
	ASSERT_EQ(1, g->nirq);
	EXPECT_EQ(8, g->ev[0].gsi);
	EXPECT_TRUE(g->ev[0].level);
	EXPECT_EQ(t + NS_1024HZ, g->ev[0].ns);
	/* High until C is read: nothing to wait for meanwhile. */
	EXPECT_EQ(NEVER, rtc_next_event(r));
	g->now = t + NS_1024HZ + 500000;
	rtc_expire(r);
	EXPECT_EQ(1, g->nirq);

	/* Reading C clears it and drops the line. */
	EXPECT_EQ(0xc0, rtc_read(r, 0x0c));		/* IRQF | PF */
	ASSERT_EQ(2, g->nirq);
	EXPECT_FALSE(g->ev[1].level);
	EXPECT_EQ(0x00, rtc_read(r, 0x0c));
	EXPECT_EQ(2, g->nirq);
	EXPECT_EQ(t + NS_2x1024HZ, rtc_next_event(r));

	/* Ten periods missed make one interrupt. */
	g->now = t + 10 * NS_2x1024HZ / 2 + 100;
	rtc_expire(r);
	EXPECT_EQ(3, g->nirq);
	EXPECT_EQ(0xc0, rtc_read(r, 0x0c));
	EXPECT_EQ(4, g->nirq);
}

TEST_F(cmos, rate_select)
{
	static const struct {
		uint8_t a;
		uint64_t ns;
	} rates[] = {
		{ 0x21, 3906250 },	/* rate 1: 256 Hz, as rate 8 */
		{ 0x22, 7812500 },	/* rate 2: 128 Hz, as rate 9 */
		{ 0x23, 122071 },	/* 8192 Hz: 4 cycles, rounded up */
		{ 0x28, 3906250 },	/* 256 Hz */
		{ 0x2a, 15625000 },	/* 64 Hz */
		{ 0x2f, 500000000 },	/* 2 Hz */
	};
	struct rtc *r = &self->r;
	struct rig *g = &self->g;
	uint64_t t = g->now;
	unsigned int i;

	rtc_write(r, 0x0b, 0x42);
	for (i = 0; i < ARRAY_SIZE(rates); i++) {
		rtc_write(r, 0x0a, rates[i].a);
		EXPECT_EQ(t + rates[i].ns, rtc_next_event(r)) TH_LOG("A %#x",
								 rates[i].a);
		EXPECT_EQ(rates[i].a, rtc_read(r, 0x0a));
	}

	/* Rate 0: no periodic interrupt, no PF. */
	rtc_write(r, 0x0a, 0x20);
	EXPECT_EQ(NEVER, rtc_next_event(r));
	g->now = t + SEC / 2;
	rtc_expire(r);
	EXPECT_EQ(0, g->nirq);
	EXPECT_EQ(0x00, rtc_read(r, 0x0c));
}

TEST_F(cmos, update_ended)
{
	struct rtc *r = &self->r;
	struct rig *g = &self->g;
	uint64_t t = g->now;

	rtc_write(r, 0x0a, 0x20);		/* no PF to muddle C */
	rtc_write(r, 0x0b, 0x12);		/* UIE, 24-hour */
	EXPECT_EQ(t + SEC, rtc_next_event(r));
	g->now = t + SEC - 1;
	rtc_expire(r);
	EXPECT_EQ(0, g->nirq);
	EXPECT_EQ(0x09, rtc_read(r, 0x00));
	g->now = t + SEC;
	rtc_expire(r);
	ASSERT_EQ(1, g->nirq);
	EXPECT_TRUE(g->ev[0].level);
	/* The update happened: the new second shows. */
	EXPECT_EQ(0x10, rtc_read(r, 0x00));
	EXPECT_EQ(0x90, rtc_read(r, 0x0c));	/* IRQF | UF */
	EXPECT_EQ(2, g->nirq);

	/* Once a second: nothing more before the next boundary. */
	g->now = t + SEC + SEC / 2;
	rtc_expire(r);
	EXPECT_EQ(0x00, rtc_read(r, 0x0c));
	EXPECT_EQ(2, g->nirq);
	EXPECT_EQ(t + 2 * SEC, rtc_next_event(r));
	g->now = t + 2 * SEC;
	rtc_expire(r);
	EXPECT_EQ(3, g->nirq);
	EXPECT_EQ(0x90, rtc_read(r, 0x0c));

	/* Three updates missed: one interrupt. */
	g->now = t + 5 * SEC + SEC / 5;
	rtc_expire(r);
	EXPECT_EQ(5, g->nirq);
	EXPECT_EQ(0x90, rtc_read(r, 0x0c));
	EXPECT_EQ(6, g->nirq);
}

/*
 * A host clock set back: the next update is a second of the new time,
 * not of the old (the thread re-arms on it when the clock is set).
 */
TEST_F(cmos, update_after_the_clock_went_back)
{
	struct rtc *r = &self->r;
	struct rig *g = &self->g;
	uint64_t t = g->now;

	rtc_write(r, 0x0a, 0x20);
	rtc_write(r, 0x0b, 0x12);		/* UIE, 24-hour */
	EXPECT_EQ(t + SEC, rtc_next_event(r));
	g->now = t - 10 * SEC + SEC / 2;
	rtc_expire(r);
	EXPECT_EQ(0, g->nirq);
	EXPECT_EQ(t - 9 * SEC, rtc_next_event(r));
	g->now = t - 9 * SEC;
	rtc_expire(r);
	ASSERT_EQ(1, g->nirq);
	EXPECT_EQ(0x90, rtc_read(r, 0x0c));
}

TEST_F(cmos, alarm)
{
	struct rtc *r = &self->r;
	struct rig *g = &self->g;
	uint64_t t = g->now;

	/* 06:35:30, in BCD; it is 06:35:09. */
	rtc_write(r, 0x0a, 0x20);
	rtc_write(r, 0x01, 0x30);
	rtc_write(r, 0x03, 0x35);
	rtc_write(r, 0x05, 0x06);
	rtc_write(r, 0x0b, 0x22);			/* AIE, 24-hour */
	EXPECT_EQ(t + 21 * SEC, rtc_next_event(r));
	g->now = t + 21 * SEC - 1;
	rtc_expire(r);
	EXPECT_EQ(0, g->nirq);
	EXPECT_EQ(0x10, rtc_read(r, 0x0c));	/* UF, not enabled */
	g->now = t + 21 * SEC;
	rtc_expire(r);
	ASSERT_EQ(1, g->nirq);
	EXPECT_TRUE(g->ev[0].level);
	EXPECT_EQ(0xb0, rtc_read(r, 0x0c));	/* IRQF | AF | UF */
	EXPECT_EQ(2, g->nirq);
	/* Next: the same time tomorrow. */
	EXPECT_EQ(t + (21 + 86400) * SEC, rtc_next_event(r));

	/* Don't-care hours and minutes: each minute at :00. */
	rtc_write(r, 0x03, 0xc0);
	rtc_write(r, 0x05, 0xff);
	rtc_write(r, 0x01, 0x00);
	EXPECT_EQ(t + 51 * SEC, rtc_next_event(r));

	/* Binary, 12-hour: 6:40:00 AM, then PM. */
	rtc_write(r, 0x0b, 0x24);
	rtc_write(r, 0x01, 0);
	rtc_write(r, 0x03, 40);
	rtc_write(r, 0x05, 6);
	EXPECT_EQ(t + 291 * SEC, rtc_next_event(r));
	rtc_write(r, 0x05, 0x80 | 6);
	EXPECT_EQ(t + (291 + 12 * 3600) * SEC, rtc_next_event(r));

	/* Passed over in one step, the alarm still sets AF. */
	g->now = t + (300 + 12 * 3600) * SEC;
	rtc_expire(r);
	EXPECT_EQ(3, g->nirq);
	EXPECT_EQ(0xb0, rtc_read(r, 0x0c));

	/* A value no time has (BCD 0x60 seconds): never. */
	rtc_write(r, 0x0b, 0x22);
	rtc_write(r, 0x01, 0x60);
	rtc_write(r, 0x03, 0xff);
	rtc_write(r, 0x05, 0xff);
	EXPECT_EQ(NEVER, rtc_next_event(r));
	g->now += 2 * 86400 * SEC;
	rtc_expire(r);
	EXPECT_EQ(4, g->nirq);
	EXPECT_EQ(0x10, rtc_read(r, 0x0c));
}

TEST_F(cmos, uip_window)
{
	struct rtc *r = &self->r;
	struct rig *g = &self->g;
	uint64_t next = g->now + SEC;

	/* The last 8 cycles of 1/32768 s before the update: 244.14 us. */
	g->now = next - 200000;
	EXPECT_EQ(0xa6, rtc_read(r, 0x0a));
	g->now = next - 244140;
	EXPECT_EQ(0xa6, rtc_read(r, 0x0a));
	g->now = next - 244141;
	EXPECT_EQ(0x26, rtc_read(r, 0x0a));
	g->now = next - 300000;
	EXPECT_EQ(0x26, rtc_read(r, 0x0a));
	g->now = next;
	EXPECT_EQ(0x26, rtc_read(r, 0x0a));
	g->now = next - 1;
	EXPECT_EQ(0xa6, rtc_read(r, 0x0a));
	/* No updates while SET: no UIP. */
	rtc_write(r, 0x0b, 0x82);
	EXPECT_EQ(0x26, rtc_read(r, 0x0a));
}

TEST_F(cmos, set_stops_updates)
{
	struct rtc *r = &self->r;
	struct rig *g = &self->g;
	uint64_t t = g->now;

	rtc_write(r, 0x0a, 0x20);
	rtc_write(r, 0x0b, 0x12);
	rtc_write(r, 0x0b, 0x92);		/* SET clears UIE */
	EXPECT_EQ(0x82, rtc_read(r, 0x0b));
	rtc_write(r, 0x0b, 0xb2);		/* AIE stays */
	rtc_write(r, 0x01, 0xff);
	rtc_write(r, 0x03, 0xff);
	rtc_write(r, 0x05, 0xff);
	EXPECT_EQ(NEVER, rtc_next_event(r));
	g->now = t + 2 * SEC;
	rtc_expire(r);
	EXPECT_EQ(0, g->nirq);
	EXPECT_EQ(0x00, rtc_read(r, 0x0c));
	rtc_write(r, 0x0b, 0x22);
	EXPECT_EQ(t + 3 * SEC, rtc_next_event(r));
	g->now = t + 3 * SEC;
	rtc_expire(r);
	EXPECT_EQ(1, g->nirq);
	EXPECT_EQ(0xb0, rtc_read(r, 0x0c));
}

TEST_F(cmos, disabled_never_raise)
{
	struct rtc *r = &self->r;
	struct rig *g = &self->g;
	uint64_t t = g->now;
	unsigned int i;

	/* Every source would fire: 1024 Hz, an alarm each second. */
	rtc_write(r, 0x01, 0xff);
	rtc_write(r, 0x03, 0xff);
	rtc_write(r, 0x05, 0xff);
	for (i = 1; i <= 3000; i++) {
		g->now = t + i * 1000000ULL;
		rtc_expire(r);
		EXPECT_EQ(NEVER, rtc_next_event(r));
	}
	EXPECT_EQ(0, g->nirq);

	/* Enabling a pending flag's interrupt raises the line at once. */
	rtc_write(r, 0x0b, 0x12);
	ASSERT_EQ(1, g->nirq);
	EXPECT_TRUE(g->ev[0].level);
	EXPECT_EQ(0xf0, rtc_read(r, 0x0c));	/* IRQF | PF | AF | UF */
	EXPECT_EQ(2, g->nirq);
	/* Disabling it with its flag set drops the line. */
	g->now = t + 4 * SEC;
	rtc_expire(r);
	EXPECT_EQ(3, g->nirq);
	rtc_write(r, 0x0b, 0x02);
	ASSERT_EQ(4, g->nirq);
	EXPECT_FALSE(g->ev[3].level);
	EXPECT_EQ(0x70, rtc_read(r, 0x0c));	/* flags, no IRQF */
	EXPECT_EQ(4, g->nirq);
}

TEST_F(cmos, interrupt_through_ports)
{
	struct io_bus *bus = malloc(sizeof(*bus));
	struct rig *g = &self->g;
	uint8_t b;

	ASSERT_NE(NULL, bus);
	io_bus_init(bus, NULL);
	ASSERT_EQ(0, rtc_register(&self->r, bus));
	b = 0x0b;
	io_bus_out(bus, 0x70, 1, &b);
	b = 0x12;
	io_bus_out(bus, 0x71, 1, &b);
	g->now += SEC;
	rtc_expire(&self->r);
	EXPECT_EQ(1, g->nirq);
	b = 0x0c;
	io_bus_out(bus, 0x70, 1, &b);
	io_bus_in(bus, 0x71, 1, &b);
	EXPECT_EQ(0xd0, b);			/* IRQF | PF | UF */
	EXPECT_EQ(2, g->nirq);
	io_bus_destroy(bus);
	free(bus);
}

/* The RTC thread's interrupts, with the time each arrived. */
#define RISES_WANTED	6
static unsigned int rises;
static uint64_t rise_ns[RISES_WANTED];

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void count_rises(void *ctx, unsigned int gsi, bool level)
{
	unsigned int n;

	if (!level)
		return;
	n = __atomic_fetch_add(&rises, 1, __ATOMIC_RELAXED);
	if (n < RISES_WANTED)
		rise_ns[n] = mono_ns();
}

static uint64_t rtc_armed(struct rtc *r)
{
	uint64_t armed;

	pthread_mutex_lock(&r->lock);
	armed = r->armed;
	pthread_mutex_unlock(&r->lock);
	return armed;
}

/*
 * The thread on the host's clock at 64 Hz, the guest reading C every
 * 2 ms.  A loaded host may delay the thread or the reader by any amount,
 * so the test waits for the interrupts (5 s at most) rather than counting
 * them over a fixed time, and checks what no delay can change: they come,
 * and they never come faster than the rate (each needs a period boundary
 * after the read of C that ended the one before, so the sixth cannot
 * arrive before five periods went by).  With every interrupt disabled the thread
 * disarms its timer after one more expiry at most, and stays quiet.
 */
TEST(rtc_thread)
{
	const uint64_t period_ns = SEC / 64;
	uint64_t start, deadline;
	struct rtc r;
	unsigned int n;

	rtc_init(&r, 64 * SZ_1M, NULL, NULL);
	rtc_connect_irq(&r, count_rises, NULL, 8);
	ASSERT_EQ(0, rtc_start(&r));
	start = mono_ns();
	deadline = start + 5 * SEC;
	rtc_write(&r, 0x0a, 0x2a);		/* 64 Hz */
	rtc_read(&r, 0x0c);			/* no stale PF */
	rtc_write(&r, 0x0b, 0x42);
	while (__atomic_load_n(&rises, __ATOMIC_RELAXED) < RISES_WANTED &&
	       mono_ns() < deadline) {
		usleep(2000);
		rtc_read(&r, 0x0c);
	}
	rtc_write(&r, 0x0b, 0x02);
	ASSERT_LE(RISES_WANTED, __atomic_load_n(&rises, __ATOMIC_RELAXED));
	/* 1 ms of slack for the two clocks' rounding */
	EXPECT_LE(start + (RISES_WANTED - 1) * period_ns - 1000000,
		  rise_ns[RISES_WANTED - 1]);
	for (n = 1; n < RISES_WANTED; n++)
		EXPECT_LT(rise_ns[n - 1], rise_ns[n]);

	while (rtc_armed(&r) != NEVER && mono_ns() < deadline + SEC) {
		usleep(2000);
		rtc_read(&r, 0x0c);
	}
	EXPECT_EQ(NEVER, rtc_armed(&r));
	rtc_read(&r, 0x0c);
	n = __atomic_load_n(&rises, __ATOMIC_RELAXED);
	usleep(50000);
	EXPECT_EQ(n, __atomic_load_n(&rises, __ATOMIC_RELAXED));
	rtc_stop(&r);
	rtc_destroy(&r);
}

TEST_HARNESS_MAIN
