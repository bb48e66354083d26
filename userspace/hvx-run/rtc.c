// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the MC146818 real-time clock and its CMOS RAM, at ports 0x70
 * (index; bit 7 is the NMI mask and is kept but ignored) and 0x71 (data).
 *
 * The clock registers read the host's wall clock, in UTC, each time they
 * are read: seconds 0x00, minutes 0x02, hours 0x04, day of week 0x06
 * (1 = Sunday), day of month 0x07, month 0x08, year 0x09 (two digits) and
 * century 0x32.  They are BCD in 24-hour format as status register B
 * (0x0b) says after reset (0x02); a guest that sets B's binary (0x04) or
 * clears its 24-hour (0x02) bit gets binary or 12-hour values (bit 7 of
 * the hour marks PM).  Writes to the clock registers are ignored: the
 * guest cannot set the host's clock.  D (0x0d) reads 0x80 (battery good).
 * The rest of the 128 bytes is RAM, with the memory size words a PC BIOS
 * leaves there; the alarm registers 0x01, 0x03 and 0x05 are among it.
 *
 * Interrupts.  Nothing ticks: the part's 32768 Hz time base is the wall
 * clock (the injected one, in nanoseconds since the epoch) cut into
 * 1/32768 s, so that its periodic taps and its once-a-second update line
 * up with the seconds the guest reads, as on the real part.  At each
 * access the flags of status C (0x0c) catch up with the time gone by:
 * PF (0x40) at each period of A's rate select (bits 3:0: 32768 >> (rate
 * - 1) Hz, rates 1 and 2 are 256 and 128 Hz, 0 is off), UF (0x10) at
 * each second boundary (the update cycle), AF (0x20) at the update that
 * makes the time match the alarm registers, each of which matches
 * anything from 0xc0 up.  The flags are set whether or not B enables
 * their interrupts (PIE 0x40, AIE 0x20, UIE 0x10); IRQF (C bit 7) is set
 * while an enabled flag is, and the ISA line (rtc_connect_irq()) is high
 * then.  Reading C returns the flags and clears them, which drops the
 * line.  A flag that stays set keeps the line high: a guest that does not
 * read C gets no more interrupts, and periods it misses are lost, as on
 * the part.  A's UIP (bit 7) reads 1 during the last 8 time base cycles
 * (244 us) before each update.  B's SET (0x80) stops the updates (no UF,
 * no AF, no UIP) and clears UIE.  The divider bits of A (6:4) are kept
 * but change nothing: the time base always runs with the host's clock.
 *
 * rtc_next_event() says when the line would next rise and rtc_expire()
 * raises it; rtc_start() runs a thread that does both on the host's
 * CLOCK_REALTIME, sleeping while no enabled interrupt can come.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include "hvx-run.h"

#define RTC_SECONDS		0x00
#define RTC_SECONDS_ALARM	0x01
#define RTC_MINUTES		0x02
#define RTC_MINUTES_ALARM	0x03
#define RTC_HOURS		0x04
#define RTC_HOURS_ALARM		0x05
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
#define REG_A_RATE		0x0f
#define REG_A_RESET		0x26	/* 32.768 kHz time base, 1024 Hz */
#define REG_B_SET		0x80
#define REG_B_PIE		0x40
#define REG_B_AIE		0x20
#define REG_B_UIE		0x10
#define REG_B_24H		0x02
#define REG_B_BINARY		0x04
#define REG_B_RESET		REG_B_24H
#define REG_C_IRQF		0x80
#define REG_C_PF		0x40
#define REG_C_AF		0x20
#define REG_C_UF		0x10
#define REG_C_FLAGS		0x70	/* the same bits as B's enables */
#define REG_D_VRT		0x80
#define HOUR_PM			0x80
#define ALARM_DONT_CARE		0xc0	/* and above */

#define NSEC_PER_SEC		1000000000ULL
#define SECS_PER_DAY		86400
#define TIME_BASE_HZ		32768
/* UIP rises this many time base cycles before the update: 244 us. */
#define UIP_CYCLES		8
#define RTC_NEVER		UINT64_MAX

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

static uint64_t realtime_ns(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Time base cycles completed at @ns. */
static uint64_t cycles(uint64_t ns)
{
	return (__uint128_t)ns * TIME_BASE_HZ / NSEC_PER_SEC;
}

/* The first nanosecond at which @c cycles have completed. */
static uint64_t cycles_to_ns(uint64_t c)
{
	return ((__uint128_t)c * NSEC_PER_SEC + TIME_BASE_HZ - 1) /
	       TIME_BASE_HZ;
}

/* The periodic interrupt's period in time base cycles; 0: off. */
static uint64_t period(const struct rtc *r)
{
	unsigned int rate = r->cmos[RTC_REG_A] & REG_A_RATE;

	if (!rate)
		return 0;
	/* Rates 1 and 2 repeat rates 8 and 9 on a 32.768 kHz time base. */
	if (rate < 3)
		rate += 7;
	return 1ULL << (rate - 1);
}

static bool updating(const struct rtc *r)
{
	return !(r->cmos[RTC_REG_B] & REG_B_SET);
}

static uint8_t bcd(unsigned int v)
{
	return (v / 10) << 4 | (v % 10);
}

/* @v, a value of clock register @reg, as B's formats say. */
static uint8_t encode(const struct rtc *r, uint8_t reg, unsigned int v)
{
	uint8_t b = r->cmos[RTC_REG_B];
	bool pm = false;

	if (reg == RTC_HOURS && !(b & REG_B_24H)) {
		pm = v >= 12;
		v = v % 12 ? v % 12 : 12;
	}
	if (!(b & REG_B_BINARY))
		v = bcd(v);
	return v | (pm ? HOUR_PM : 0);
}

static bool is_clock_reg(uint8_t reg)
{
	return reg == RTC_SECONDS || reg == RTC_MINUTES || reg == RTC_HOURS ||
	       (reg >= RTC_DAY_OF_WEEK && reg <= RTC_YEAR) ||
	       reg == RTC_CENTURY;
}

static uint8_t clock_reg(const struct rtc *r, uint8_t reg, uint64_t now)
{
	time_t t = now / NSEC_PER_SEC;
	unsigned int v = 0;
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
	return encode(r, reg, v);
}

static bool alarm_matches(const struct rtc *r, uint8_t alarm_reg,
			  uint8_t reg, unsigned int v)
{
	uint8_t alarm = r->cmos[alarm_reg];

	return alarm >= ALARM_DONT_CARE || alarm == encode(r, reg, v);
}

/* Whether some value 0..@n-1 of @reg matches its alarm register. */
static bool alarm_field_can_match(const struct rtc *r, uint8_t alarm_reg,
				  uint8_t reg, unsigned int n)
{
	unsigned int v;

	for (v = 0; v < n; v++)
		if (alarm_matches(r, alarm_reg, reg, v))
			return true;
	return false;
}

/*
 * The first second after @s (in seconds since the epoch) whose time
 * matches the alarm, or RTC_NEVER.  The time of day is UTC, so the
 * pattern repeats daily: one day ahead is enough.  Hours and minutes that
 * do not match are skipped whole, so this takes a few hundred steps at
 * most.
 */
static uint64_t next_alarm(const struct rtc *r, uint64_t s)
{
	uint64_t k = s + 1, end = s + 1 + SECS_PER_DAY;
	unsigned int sod;

	if (!alarm_field_can_match(r, RTC_HOURS_ALARM, RTC_HOURS, 24) ||
	    !alarm_field_can_match(r, RTC_MINUTES_ALARM, RTC_MINUTES, 60) ||
	    !alarm_field_can_match(r, RTC_SECONDS_ALARM, RTC_SECONDS, 60))
		return RTC_NEVER;
	while (k < end) {
		sod = k % SECS_PER_DAY;
		if (!alarm_matches(r, RTC_HOURS_ALARM, RTC_HOURS,
				   sod / 3600)) {
			k += 3600 - sod % 3600;
			continue;
		}
		if (!alarm_matches(r, RTC_MINUTES_ALARM, RTC_MINUTES,
				   sod / 60 % 60)) {
			k += 60 - sod % 60;
			continue;
		}
		if (alarm_matches(r, RTC_SECONDS_ALARM, RTC_SECONDS, sod % 60))
			return k;
		k++;
	}
	return RTC_NEVER;
}

/* Set C's flags for what happened since the last call; lock held. */
static void catch_up(struct rtc *r, uint64_t now)
{
	uint64_t then = r->checked_ns, p = period(r);

	r->checked_ns = now;
	/* Nothing happened, or the host's clock was set back. */
	if (now <= then)
		return;
	if (p && cycles(now) / p > cycles(then) / p)
		r->flags |= REG_C_PF;
	if (updating(r) && now / NSEC_PER_SEC > then / NSEC_PER_SEC) {
		r->flags |= REG_C_UF;
		if (next_alarm(r, then / NSEC_PER_SEC) <= now / NSEC_PER_SEC)
			r->flags |= REG_C_AF;
	}
}

static bool irqf(const struct rtc *r)
{
	return r->flags & r->cmos[RTC_REG_B] & REG_C_FLAGS;
}

/* Drive the line as IRQF says; lock held, as in serial.c. */
static void update_irq(struct rtc *r)
{
	bool level = irqf(r);

	if (!r->irq || level == r->irq_level)
		return;
	r->irq_level = level;
	r->irq(r->irq_ctx, r->gsi, level);
}

/* When an enabled flag next rises and with it the line; lock held. */
static uint64_t next_event_locked(const struct rtc *r)
{
	uint8_t en = r->cmos[RTC_REG_B] & REG_C_FLAGS;
	uint64_t t = RTC_NEVER, s = r->checked_ns / NSEC_PER_SEC, p, k;

	/* IRQF is set: nothing changes the line until C is read. */
	if (irqf(r))
		return RTC_NEVER;
	p = period(r);
	if ((en & REG_B_PIE) && p)
		t = cycles_to_ns((cycles(r->checked_ns) / p + 1) * p);
	if (!updating(r))
		return t;
	if ((en & REG_B_UIE) && (s + 1) * NSEC_PER_SEC < t)
		t = (s + 1) * NSEC_PER_SEC;
	if (en & REG_B_AIE) {
		k = next_alarm(r, s);
		if (k != RTC_NEVER && k * NSEC_PER_SEC < t)
			t = k * NSEC_PER_SEC;
	}
	return t;
}

/* Wake the thread when an access moved the next event closer; lock held. */
static void wake_thread(struct rtc *r)
{
	uint64_t one = 1;

	if (r->wake_fd < 0 || next_event_locked(r) >= r->armed)
		return;
	/* Once is enough: the thread rearms before it sleeps again. */
	r->armed = 0;
	if (write(r->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		msg("cannot wake the RTC thread: %s", strerror(errno));
}

/**
 * rtc_init() - the clock and CMOS after power-on
 * @r: the device
 * @ram_size: guest RAM, for the memory size bytes
 * @now_ns: the wall clock, in nanoseconds since the epoch (UTC); NULL for
 *	CLOCK_REALTIME, which is what rtc_start() sleeps on (tests pass
 *	their own)
 * @clock_ctx: passed to @now_ns
 */
void rtc_init(struct rtc *r, uint64_t ram_size, uint64_t (*now_ns)(void *),
	      void *clock_ctx)
{
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->now_ns = now_ns ? now_ns : realtime_ns;
	r->clock_ctx = clock_ctx;
	r->checked_ns = r->now_ns(r->clock_ctx);
	r->timer_fd = -1;
	r->wake_fd = -1;
	r->cmos[RTC_REG_A] = REG_A_RESET;
	r->cmos[RTC_REG_B] = REG_B_RESET;
	r->cmos[RTC_REG_D] = REG_D_VRT;
	fill_memory_sizes(r->cmos, ram_size);
}

/**
 * rtc_destroy() - undo rtc_init(), stopping the thread if it runs
 * @r: the device
 */
void rtc_destroy(struct rtc *r)
{
	rtc_stop(r);
	pthread_mutex_destroy(&r->lock);
}

/**
 * rtc_connect_irq() - give the RTC its interrupt line
 * @r: the device, before the vCPUs start
 * @irq: how to drive the line; called with the RTC's lock held, from the
 *	thread that made IRQF change (a vCPU's, or rtc_start()'s)
 * @ctx: passed to @irq
 * @gsi: the line: ISA IRQ 8 on a PC
 */
void rtc_connect_irq(struct rtc *r, irq_line_fn irq, void *ctx,
		     unsigned int gsi)
{
	pthread_mutex_lock(&r->lock);
	r->irq = irq;
	r->irq_ctx = ctx;
	r->gsi = gsi;
	r->irq_level = false;
	update_irq(r);
	pthread_mutex_unlock(&r->lock);
}

/**
 * rtc_read() - read a CMOS register
 * @r: the device
 * @reg: 0-127
 *
 * Return: its value; the clock registers as the clock says now.  Reading
 * status C clears its flags and drops the line.
 */
uint8_t rtc_read(struct rtc *r, uint8_t reg)
{
	uint64_t now;
	uint8_t v;

	reg &= RTC_CMOS_SIZE - 1;
	pthread_mutex_lock(&r->lock);
	now = r->now_ns(r->clock_ctx);
	catch_up(r, now);
	if (is_clock_reg(reg)) {
		v = clock_reg(r, reg, now);
	} else if (reg == RTC_REG_A) {
		v = r->cmos[reg];
		if (updating(r) &&
		    cycles(now) % TIME_BASE_HZ >= TIME_BASE_HZ - UIP_CYCLES)
			v |= REG_A_UIP;
	} else if (reg == RTC_REG_C) {
		v = r->flags | (irqf(r) ? REG_C_IRQF : 0);
		r->flags = 0;
	} else {
		v = r->cmos[reg];
	}
	update_irq(r);
	wake_thread(r);
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
	/* What happened before the write happened with the old settings. */
	catch_up(r, r->now_ns(r->clock_ctx));
	if (reg == RTC_REG_A)
		val &= ~REG_A_UIP;
	if (reg == RTC_REG_B && (val & REG_B_SET))
		val &= ~REG_B_UIE;
	r->cmos[reg] = val;
	update_irq(r);
	wake_thread(r);
	pthread_mutex_unlock(&r->lock);
}

/**
 * rtc_next_event() - when the line next rises
 * @r: the device
 *
 * Return: the time, on the RTC's clock, at which rtc_expire() will set
 * IRQF next, or UINT64_MAX when no enabled interrupt can come (none is
 * enabled, or IRQF is already set and waits for a read of C).  It may be
 * in the past: an interrupt is overdue.
 */
uint64_t rtc_next_event(struct rtc *r)
{
	uint64_t t;

	pthread_mutex_lock(&r->lock);
	t = next_event_locked(r);
	pthread_mutex_unlock(&r->lock);
	return t;
}

/**
 * rtc_expire() - bring the flags up to date and raise the line if due
 * @r: the device
 */
void rtc_expire(struct rtc *r)
{
	pthread_mutex_lock(&r->lock);
	catch_up(r, r->now_ns(r->clock_ctx));
	update_irq(r);
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

/*
 * An absolute time of CLOCK_REALTIME: one the host's clock is set past
 * (an NTP step, date) is cancelled, and the read says ECANCELED, rather
 * than the wake-up come as late as the clock went back.
 */
static int arm(int fd, uint64_t when)
{
	struct itimerspec its = { 0 };

	if (when != RTC_NEVER) {
		/* 0 would disarm it: anything in the past fires at once. */
		if (!when)
			when = 1;
		its.it_value.tv_sec = when / NSEC_PER_SEC;
		its.it_value.tv_nsec = when % NSEC_PER_SEC;
	}
	return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
			       &its, NULL);
}

/*
 * Catch up, sleep until the next enabled interrupt or an access that
 * brings one closer, again.  With no interrupt enabled the timer stays
 * disarmed and the thread sleeps in poll() until an access wakes it.
 */
static void *rtc_thread(void *arg)
{
	struct rtc *r = arg;
	struct pollfd pfd[2] = {
		{ .fd = r->timer_fd, .events = POLLIN },
		{ .fd = r->wake_fd, .events = POLLIN },
	};
	uint64_t v, next;

	for (;;) {
		pthread_mutex_lock(&r->lock);
		if (r->stopping) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		catch_up(r, r->now_ns(r->clock_ctx));
		update_irq(r);
		next = next_event_locked(r);
		/* An access that finds an earlier event wakes us. */
		r->armed = next;
		pthread_mutex_unlock(&r->lock);
		if (arm(r->timer_fd, next)) {
			device_failed("RTC timer: %s", strerror(errno));
			break;
		}
		if (poll(pfd, 2, -1) < 0 && errno != EINTR) {
			device_failed("RTC thread: poll: %s", strerror(errno));
			break;
		}
		/*
		 * Both are non-blocking: a stale readiness reads EAGAIN.  A
		 * host clock that was set cancels the timer: catch up with
		 * the new time and arm again.
		 */
		if (((pfd[0].revents & POLLIN) &&
		     read(r->timer_fd, &v, sizeof(v)) < 0 && errno != EAGAIN &&
		     errno != ECANCELED) ||
		    ((pfd[1].revents & POLLIN) &&
		     read(r->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)) {
			device_failed("RTC thread: read: %s", strerror(errno));
			break;
		}
	}
	return NULL;
}

/**
 * rtc_start() - deliver the RTC's interrupts in real time
 * @r: the device, whose clock must be CLOCK_REALTIME (rtc_init() with a
 *	NULL @now_ns)
 *
 * Starts a thread that sleeps on a timerfd until rtc_next_event() and
 * raises the line then; accesses that bring the next event closer wake
 * it.  It sleeps for good while the guest enables no interrupt.  The
 * thread blocks every signal, whatever the caller's mask.  rtc_start()
 * and rtc_stop() are called from one thread (the main thread).
 *
 * Return: 0 (also when it already runs), or -1 with errno set.
 */
int rtc_start(struct rtc *r)
{
	int err, fd;

	if (r->thread_on)
		return 0;
	r->timer_fd = timerfd_create(CLOCK_REALTIME,
				     TFD_CLOEXEC | TFD_NONBLOCK);
	if (r->timer_fd < 0)
		return -1;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	pthread_mutex_lock(&r->lock);
	r->wake_fd = fd;
	r->stopping = false;
	r->armed = 0;
	pthread_mutex_unlock(&r->lock);

	err = thread_create_quiet(&r->thread, rtc_thread, r);
	if (err)
		goto fail;
	r->thread_on = true;
	return 0;

fail:
	pthread_mutex_lock(&r->lock);
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	r->wake_fd = -1;
	pthread_mutex_unlock(&r->lock);
	close(r->timer_fd);
	r->timer_fd = -1;
	errno = err;
	return -1;
}

/**
 * rtc_stop() - end the thread rtc_start() started
 * @r: the device; nothing happens when no thread runs
 *
 * The line no longer rises by itself; accesses still update it.
 */
void rtc_stop(struct rtc *r)
{
	uint64_t one = 1;

	if (!r->thread_on)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	if (write(r->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		msg("cannot stop the RTC thread: %s", strerror(errno));
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	pthread_mutex_lock(&r->lock);
	close(r->wake_fd);
	r->wake_fd = -1;
	pthread_mutex_unlock(&r->lock);
	close(r->timer_fd);
	r->timer_fd = -1;
	r->thread_on = false;
}
