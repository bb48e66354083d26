// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's CMOS/RTC (userspace/hvx-run/rtc.c) with a
 * fixed clock: the time registers in BCD and 24-hour format after reset,
 * binary and 12-hour formats, the status registers, the memory size
 * bytes, CMOS RAM, and access through ports 0x70/0x71.
 */
#include <stdlib.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

static time_t fixed;

static time_t fixed_now(void)
{
	return fixed;
}

/* 2026-11-26 06:35:09 UTC, a Thursday. */
#define T_MORNING	1795674909
/* 1999-12-31 23:59:59 UTC, a Friday. */
#define T_1999		946684799
/* 2000-01-01 12:00:00 UTC, a Saturday: noon. */
#define T_NOON		946728000

FIXTURE(cmos) {
	struct rtc r;
};

FIXTURE_SETUP(cmos)
{
	fixed = T_MORNING;
	rtc_init(&self->r, 64 * SZ_1M, fixed_now);
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

	fixed = T_1999;
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
	/* Update-in-progress never shows; C and D are read-only. */
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
	fixed = T_1999;
	EXPECT_EQ(0x80 | 0x11, rtc_read(r, 0x04));
	fixed = T_NOON;
	EXPECT_EQ(0x80 | 0x12, rtc_read(r, 0x04));
	fixed = T_NOON - 12 * 3600;		/* midnight */
	EXPECT_EQ(0x12, rtc_read(r, 0x04));
	rtc_write(r, 0x0b, 0x04);		/* binary, 12-hour */
	fixed = T_1999;
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
	rtc_init(r, 6 * SZ_1G, fixed_now);
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

TEST_HARNESS_MAIN
