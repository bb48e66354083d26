// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the MC146818 real-time clock and its CMOS RAM, at ports 0x70
 * (index; bit 7 is the NMI mask and is kept but ignored) and 0x71 (data).
 *
 * The clock registers read the host's current time, in UTC, each time
 * they are read: seconds 0x00, minutes 0x02, hours 0x04, day of week 0x06
 * (1 = Sunday), day of month 0x07, month 0x08, year 0x09 (two digits) and
 * century 0x32.  They are BCD in 24-hour format as status register B
 * (0x0b) says after reset (0x02); a guest that sets B's binary (0x04) or
 * clears its 24-hour (0x02) bit gets binary or 12-hour values (bit 7 of
 * the hour marks PM).  Writes to the clock registers are ignored: the
 * guest cannot set the host's clock.  Status A (0x0a) reads 0x26 and
 * never shows an update in progress, C (0x0c) reads 0 (no interrupt
 * flags), D (0x0d) 0x80 (battery good).  The rest of the 128 bytes is
 * RAM, with the memory size words a PC BIOS leaves there.
 */
#include <string.h>

#include "hvx-run.h"

#define RTC_SECONDS		0x00
#define RTC_MINUTES		0x02
#define RTC_HOURS		0x04
#define RTC_DAY_OF_WEEK		0x06
#define RTC_DAY_OF_MONTH	0x07
#define RTC_MONTH		0x08
#define RTC_YEAR		0x09
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d
#define RTC_CENTURY		0x32

#define REG_A_UIP		0x80
#define REG_A_RESET		0x26	/* 32.768 kHz time base, 1024 Hz */
#define REG_B_24H		0x02
#define REG_B_BINARY		0x04
#define REG_B_RESET		REG_B_24H
#define REG_D_VRT		0x80
#define HOUR_PM			0x80

/* CMOS RAM the BIOS fills: memory sizes, in the usual places. */
#define CMOS_EQUIPMENT		0x14
#define CMOS_BASE_MEM_LO	0x15	/* KiB below 640 KiB */
#define CMOS_EXT_MEM_LO		0x17	/* KiB above 1 MiB, up to 64 MiB */
#define CMOS_CHECKSUM_HI	0x2e	/* sum of 0x10 - 0x2d */
#define CMOS_EXT_MEM2_LO	0x30	/* the same, as POST found it */
#define CMOS_HIGH_MEM_LO	0x34	/* 64 KiB units, 16 MiB - 4 GiB */
#define CMOS_ABOVE_4G		0x5b	/* 64 KiB units, 3 bytes */

#define EQUIPMENT_FPU		0x02

static void put16(uint8_t *cmos, unsigned int reg, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	cmos[reg] = v;
	cmos[reg + 1] = v >> 8;
}

static void fill_memory_sizes(uint8_t *cmos, uint64_t ram_size)
{
	uint64_t below4g = ram_size < SZ_4G ? ram_size : SZ_4G;
	uint64_t above4g = ram_size - below4g;
	uint64_t kb = (ram_size < 640 * 1024 ? ram_size : 640 * 1024) / 1024;
	unsigned int i, sum = 0;

	put16(cmos, CMOS_BASE_MEM_LO, kb);
	kb = below4g > SZ_1M ? (below4g - SZ_1M) / 1024 : 0;
	put16(cmos, CMOS_EXT_MEM_LO, kb);
	put16(cmos, CMOS_EXT_MEM2_LO, kb);
	put16(cmos, CMOS_HIGH_MEM_LO,
	      below4g > 16 * SZ_1M ? (below4g - 16 * SZ_1M) / SZ_64K : 0);
	above4g /= SZ_64K;
	cmos[CMOS_ABOVE_4G] = above4g;
	cmos[CMOS_ABOVE_4G + 1] = above4g >> 8;
	cmos[CMOS_ABOVE_4G + 2] = above4g >> 16;
	cmos[CMOS_EQUIPMENT] = EQUIPMENT_FPU;

	for (i = 0x10; i < CMOS_CHECKSUM_HI; i++)
		sum += cmos[i];
	cmos[CMOS_CHECKSUM_HI] = sum >> 8;
	cmos[CMOS_CHECKSUM_HI + 1] = sum;
}

/**
 * rtc_init() - the clock and CMOS after power-on
 * @r: the device
 * @ram_size: guest RAM, for the memory size bytes
 * @now: the time source; NULL for time(NULL)
 */
void rtc_init(struct rtc *r, uint64_t ram_size, time_t (*now)(void))
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->now = now;
	r->cmos[RTC_REG_A] = REG_A_RESET;
	r->cmos[RTC_REG_B] = REG_B_RESET;
	r->cmos[RTC_REG_D] = REG_D_VRT;
	fill_memory_sizes(r->cmos, ram_size);
}

/**
 * rtc_destroy() - undo rtc_init()
 * @r: the device
 */
void rtc_destroy(struct rtc *r)
{
	pthread_mutex_destroy(&r->lock);
}

static uint8_t bcd(unsigned int v)
{
	return (v / 10) << 4 | (v % 10);
}

static bool is_clock_reg(uint8_t reg)
{
	return reg == RTC_SECONDS || reg == RTC_MINUTES || reg == RTC_HOURS ||
	       (reg >= RTC_DAY_OF_WEEK && reg <= RTC_YEAR) ||
	       reg == RTC_CENTURY;
}

static uint8_t clock_reg(struct rtc *r, uint8_t reg)
{
	time_t t = r->now ? r->now() : time(NULL);
	uint8_t b = r->cmos[RTC_REG_B];
	unsigned int v = 0;
	bool pm = false;
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (reg) {
	case RTC_SECONDS:
		/* A leap second reads as 59. */
		v = tm.tm_sec > 59 ? 59 : tm.tm_sec;
		break;
	case RTC_MINUTES:
		v = tm.tm_min;
		break;
	case RTC_HOURS:
		v = tm.tm_hour;
		if (!(b & REG_B_24H)) {
			pm = v >= 12;
			v = v % 12 ? v % 12 : 12;
		}
		break;
	case RTC_DAY_OF_WEEK:
		v = tm.tm_wday + 1;
		break;
	case RTC_DAY_OF_MONTH:
		v = tm.tm_mday;
		break;
	case RTC_MONTH:
		v = tm.tm_mon + 1;
		break;
	case RTC_YEAR:
		v = (tm.tm_year + 1900) % 100;
		break;
	case RTC_CENTURY:
		v = (tm.tm_year + 1900) / 100;
		break;
	}
	if (!(b & REG_B_BINARY))
		v = bcd(v);
	return v | (pm ? HOUR_PM : 0);
}

/**
 * rtc_read() - read a CMOS register
 * @r: the device
 * @reg: 0-127
 *
 * Return: its value; the clock registers as the host's clock says now.
 */
uint8_t rtc_read(struct rtc *r, uint8_t reg)
{
	uint8_t v;

	reg &= RTC_CMOS_SIZE - 1;
	pthread_mutex_lock(&r->lock);
	if (is_clock_reg(reg))
		v = clock_reg(r, reg);
	else if (reg == RTC_REG_C)
		v = 0;
	else
		v = r->cmos[reg];
	pthread_mutex_unlock(&r->lock);
	return v;
}

/**
 * rtc_write() - write a CMOS register
 * @r: the device
 * @reg: 0-127
 * @val: the value; ignored for the clock and the read-only registers
 */
void rtc_write(struct rtc *r, uint8_t reg, uint8_t val)
{
	reg &= RTC_CMOS_SIZE - 1;
	if (is_clock_reg(reg) || reg == RTC_REG_C || reg == RTC_REG_D)
		return;
	pthread_mutex_lock(&r->lock);
	if (reg == RTC_REG_A)
		val &= ~REG_A_UIP;
	r->cmos[reg] = val;
	pthread_mutex_unlock(&r->lock);
}

static uint8_t port_in(void *opaque, uint16_t port)
{
	struct rtc *r = opaque;
	uint8_t index;

	/* The index register is write-only. */
	if (port == RTC_INDEX_PORT)
		return 0xff;
	pthread_mutex_lock(&r->lock);
	index = r->index;
	pthread_mutex_unlock(&r->lock);
	return rtc_read(r, index);
}

static void port_out(void *opaque, uint16_t port, uint8_t val)
{
	struct rtc *r = opaque;
	uint8_t index;

	pthread_mutex_lock(&r->lock);
	if (port == RTC_INDEX_PORT)
		r->index = val;
	index = r->index;
	pthread_mutex_unlock(&r->lock);
	if (port == RTC_DATA_PORT)
		rtc_write(r, index, val);
}

static const struct io_port_ops rtc_ops = {
	.in = port_in,
	.out = port_out,
};

/**
 * rtc_register() - put the RTC at ports 0x70 and 0x71
 * @r: the device
 * @bus: the bus
 *
 * Return: 0, or -1 (see io_bus_register()).
 */
int rtc_register(struct rtc *r, struct io_bus *bus)
{
	return io_bus_register(bus, RTC_INDEX_PORT, 2, &rtc_ops, r, "rtc");
}
