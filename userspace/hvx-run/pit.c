// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the i8254 programmable interval timer at ports 0x40-0x43, and
 * the PC's system control port B at 0x61 that gates its channel 2.
 *
 * Nothing ticks.  Each channel remembers when it started counting and how
 * many input clocks (1193182 Hz) it had counted before; a read of a count
 * or of an OUT pin works out the clocks elapsed since from the injected
 * clock.  Channel 0's OUT drives ISA IRQ 0: each rising edge raises and
 * lowers GSI 0 through the irq_line_fn.  pit_next_event() says when the
 * next one is due and pit_expire() delivers it; pit_start() runs a thread
 * that does both on the host's CLOCK_MONOTONIC.
 *
 * Emulated: the three channels, modes 0-5 (6 and 7 are 2 and 3), the
 * low/high/low-then-high access modes with independent read and write
 * byte pointers, BCD counting, the counter latch command and the
 * read-back command (status and count).  Channels 0 and 1 have their GATE
 * tied high, so modes 1 and 5, which a rising GATE edge triggers, never
 * start on them.  Channel 2's GATE is port 0x61 bit 0; its OUT reads as
 * port 0x61 bit 5.  Channel 1's OUT (DRAM refresh) and channel 2's OUT
 * (the speaker) go nowhere.
 *
 * Simplifications: a count is loaded at the write, not at the next clock
 * edge; a new count written in mode 2 or 3 restarts the period at once
 * (the real part waits for the current period to end); mode 3 reads count
 * down by two through each half-period, odd counts included.  The
 * channels start as after the control word 0x30 (low-then-high, mode 0,
 * binary) with no count: nothing counts until the guest programs it, as
 * no BIOS ran before it.
 *
 * Port 0x61: bits 3:0 read back as written (bit 0 channel 2's GATE, bit 1
 * speaker data, bits 2-3 the parity and channel check enables, which
 * nothing reports), bit 4 is the refresh toggle, flipping at each read
 * (time-based on the real part, but guests only wait for it to change),
 * bit 5 channel 2's OUT; bits 6 and 7 (check errors) read 0.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include "hvx-run.h"

#define NSEC_PER_SEC		1000000000ULL
#define PIT_NEVER		UINT64_MAX
/*
 * A channel 0 period that ends less than this many clocks (about 100 us)
 * after the interrupt just delivered is folded into it: a guest must not
 * make the timer thread spin with a tiny count.
 */
#define PIT_MIN_IRQ_CLOCKS	120

#define PIT_CONTROL		(PIT_BASE + 3)

/* The control word. */
#define CW_SC_SHIFT		6
#define CW_SC_READ_BACK		3
#define CW_RW_SHIFT		4
#define CW_MODE_SHIFT		1
#define CW_BCD			0x01
#define CW_BITS			0x3f	/* what the status byte repeats */

enum {
	RW_LATCH,
	RW_LO,
	RW_HI,
	RW_LOHI,
};

/* The read-back command: bits 3:1 select channels, 5 and 4 are active low. */
#define RB_NO_COUNT		0x20
#define RB_NO_STATUS		0x10

#define STATUS_OUT		0x80
#define STATUS_NULL_COUNT	0x40

#define PORT_B_GATE2		0x01
#define PORT_B_WRITABLE		0x0f
#define PORT_B_REFRESH		0x10
#define PORT_B_OUT2		0x20

static uint64_t ns_to_clocks(uint64_t ns)
{
	return (__uint128_t)ns * PIT_HZ / NSEC_PER_SEC;
}

/* The first nanosecond at which @clk clocks have elapsed. */
static uint64_t clocks_to_ns(uint64_t clk)
{
	return ((__uint128_t)clk * NSEC_PER_SEC + PIT_HZ - 1) / PIT_HZ;
}

static uint64_t monotonic_ns(void *ctx)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static bool is_bcd(const struct pit_channel *c)
{
	return c->ctrl & CW_BCD;
}

static unsigned int access_mode(const struct pit_channel *c)
{
	return c->ctrl >> CW_RW_SHIFT;
}

/* A count of 0 stands for the largest one. */
static uint32_t modulus(const struct pit_channel *c)
{
	return is_bcd(c) ? 10000 : 65536;
}

/* GATE only triggers modes 1 and 5; it enables counting in the others. */
static bool gate_triggers(const struct pit_channel *c)
{
	return c->mode == 1 || c->mode == 5;
}

static bool counting(const struct pit_channel *c)
{
	return c->started && (c->gate || gate_triggers(c));
}

static uint64_t elapsed(const struct pit_channel *c, uint64_t now)
{
	if (!counting(c) || now <= c->start_ns)
		return c->base;
	return c->base + ns_to_clocks(now - c->start_ns);
}

/* The counter's value now, in binary. */
static uint32_t count_now(const struct pit_channel *c, uint64_t now)
{
	uint64_t e = elapsed(c, now), pos;
	uint32_t n = c->ce, mod = modulus(c);

	switch (c->mode) {
	case 2:
		/* n, n - 1, ..., 1, reload. */
		return (n - e % n) % mod;
	case 3:
		pos = e % n;
		if (pos >= (n + 1) / 2)
			pos -= (n + 1) / 2;
		return (n - 2 * pos) % mod;
	default:
		/* Down to 0, then on from the top: it wraps. */
		return (n + mod - e % mod) % mod;
	}
}

static bool out_now(const struct pit_channel *c, uint64_t now)
{
	uint64_t e = elapsed(c, now);
	uint32_t n = c->ce;

	switch (c->mode) {
	case 0:
		/* Low from the control word until the terminal count. */
		return c->started && e >= n;
	case 1:
		/* Low from the trigger until the terminal count. */
		return !c->started || e >= n;
	case 2:
		/* Low for the clock on which the count is 1. */
		return !counting(c) || n < 2 || e % n != n - 1;
	case 3:
		/* High for the first half (rounded up) of each period. */
		return !counting(c) || e % n < (n + 1) / 2;
	default:
		/* Modes 4 and 5: low for the clock after the count reaches 0. */
		return !c->started || e != n;
	}
}

static uint16_t to_bcd(uint32_t v)
{
	return (v / 1000 % 10) << 12 | (v / 100 % 10) << 8 |
	       (v / 10 % 10) << 4 | v % 10;
}

static uint32_t from_bcd(uint16_t v)
{
	return (v >> 12) * 1000 + (v >> 8 & 0xf) * 100 + (v >> 4 & 0xf) * 10 +
	       (v & 0xf);
}

static uint16_t count_reg(const struct pit_channel *c, uint64_t now)
{
	uint32_t v = count_now(c, now);

	return is_bcd(c) ? to_bcd(v) : v;
}

/* Load the count into the counter and start counting from it. */
static void load(struct pit_channel *c, uint64_t now)
{
	c->ce = c->count;
	c->base = 0;
	c->start_ns = now;
	c->started = true;
	c->null_count = false;
	/* OUT rises at the terminal count, or a clock after it. */
	c->irq_next = c->mode >= 4 ? c->ce + 1ULL : c->ce;
}

/* Stop counting, keeping the count: @base remembers what was counted. */
static void suspend(struct pit_channel *c, uint64_t now)
{
	c->base = elapsed(c, now);
	c->started = false;
	c->irq_next = PIT_NEVER;
}

static void set_gate(struct pit_channel *c, bool gate, uint64_t now)
{
	uint64_t e = elapsed(c, now);
	bool was = counting(c);

	if (gate == c->gate)
		return;
	c->gate = gate;
	if (was && !counting(c))
		c->base = e;
	else if (!was && counting(c))
		c->start_ns = now;
	if (!gate)
		return;
	/* A rising edge triggers modes 1 and 5, restarts 2 and 3. */
	if (gate_triggers(c) && c->has_count) {
		load(c, now);
	} else if ((c->mode == 2 || c->mode == 3) && c->started) {
		c->base = 0;
		c->start_ns = now;
		c->irq_next = c->ce;
	}
}

static void control_word(struct pit_channel *c, uint8_t val, uint64_t now)
{
	unsigned int mode = (val >> CW_MODE_SHIFT) & 7;

	suspend(c, now);
	c->ctrl = val & CW_BITS;
	c->mode = mode > 5 ? mode - 4 : mode;
	c->has_count = false;
	c->null_count = true;
	c->latched = false;
	c->status_latched = false;
	c->read_hi = false;
	c->write_hi = false;
}

static void latch_count(struct pit_channel *c, uint64_t now)
{
	/* A second latch before the first was read is ignored. */
	if (c->latched)
		return;
	c->latch = count_reg(c, now);
	c->latched = true;
}

static void latch_status(struct pit_channel *c, uint64_t now)
{
	if (c->status_latched)
		return;
	c->status = (out_now(c, now) ? STATUS_OUT : 0) |
		    (c->null_count ? STATUS_NULL_COUNT : 0) | c->ctrl;
	c->status_latched = true;
}

static void write_control(struct pit *p, uint8_t val, uint64_t now)
{
	unsigned int sc = val >> CW_SC_SHIFT, i;
	struct pit_channel *c;

	if (sc == CW_SC_READ_BACK) {
		for (i = 0; i < 3; i++) {
			if (!(val & (2 << i)))
				continue;
			if (!(val & RB_NO_COUNT))
				latch_count(&p->ch[i], now);
			if (!(val & RB_NO_STATUS))
				latch_status(&p->ch[i], now);
		}
		return;
	}
	c = &p->ch[sc];
	if (((val >> CW_RW_SHIFT) & 3) == RW_LATCH)
		latch_count(c, now);
	else
		control_word(c, val, now);
}

static void write_count(struct pit_channel *c, uint8_t val, uint64_t now)
{
	uint16_t raw;
	uint32_t n;

	switch (access_mode(c)) {
	case RW_LO:
		raw = val;
		break;
	case RW_HI:
		raw = val << 8;
		break;
	default:
		if (!c->write_hi) {
			c->write_lo = val;
			c->write_hi = true;
			/* Mode 0 stops counting at the first byte. */
			if (c->mode == 0)
				suspend(c, now);
			return;
		}
		c->write_hi = false;
		raw = c->write_lo | val << 8;
		break;
	}
	n = is_bcd(c) ? from_bcd(raw) : raw;
	c->count = n ? n : modulus(c);
	c->has_count = true;
	c->null_count = true;
	/* Modes 1 and 5 load it when GATE triggers them. */
	if (!gate_triggers(c))
		load(c, now);
}

static uint8_t read_count(struct pit_channel *c, uint64_t now)
{
	uint16_t v;
	bool hi;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	v = c->latched ? c->latch : count_reg(c, now);
	switch (access_mode(c)) {
	case RW_LO:
		hi = false;
		break;
	case RW_HI:
		hi = true;
		break;
	default:
		hi = c->read_hi;
		c->read_hi = !hi;
		if (!hi)
			return v;	/* the latch holds for the high byte */
		break;
	}
	c->latched = false;
	return hi ? v >> 8 : v & 0xff;
}

/* When channel 0's OUT next interrupts; lock held. */
static uint64_t next_event_locked(struct pit *p)
{
	const struct pit_channel *c = &p->ch[0];

	if (c->irq_next == PIT_NEVER || !counting(c) || c->irq_next < c->base)
		return UINT64_MAX;
	return c->start_ns + clocks_to_ns(c->irq_next - c->base);
}

/* Tell the timer thread that channel 0 changed; lock held. */
static void wake_thread(struct pit *p)
{
	uint64_t one = 1;

	/*
	 * Under the lock so that pit_stop() cannot close the eventfd in
	 * between.  It is non-blocking: a full counter wakes it anyway.
	 */
	if (p->wake_fd >= 0 && write(p->wake_fd, &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
		msg("cannot wake the PIT thread: %s", strerror(errno));
}

static uint8_t port_in(void *opaque, uint16_t port)
{
	struct pit *p = opaque;
	uint64_t now;
	uint8_t v;

	/* The control word register cannot be read. */
	if (port == PIT_CONTROL)
		return 0xff;
	pthread_mutex_lock(&p->lock);
	now = p->now_ns(p->clock_ctx);
	if (port == PIT_PORT_B) {
		v = p->port_b | (p->refresh ? PORT_B_REFRESH : 0) |
		    (out_now(&p->ch[2], now) ? PORT_B_OUT2 : 0);
		p->refresh = !p->refresh;
	} else {
		v = read_count(&p->ch[port - PIT_BASE], now);
	}
	pthread_mutex_unlock(&p->lock);
	return v;
}

static void port_out(void *opaque, uint16_t port, uint8_t val)
{
	struct pit *p = opaque;
	uint64_t now, before;

	pthread_mutex_lock(&p->lock);
	now = p->now_ns(p->clock_ctx);
	before = next_event_locked(p);
	if (port == PIT_PORT_B) {
		p->port_b = val & PORT_B_WRITABLE;
		set_gate(&p->ch[2], val & PORT_B_GATE2, now);
	} else if (port == PIT_CONTROL) {
		write_control(p, val, now);
	} else {
		write_count(&p->ch[port - PIT_BASE], val, now);
	}
	if (next_event_locked(p) != before)
		wake_thread(p);
	pthread_mutex_unlock(&p->lock);
}

static const struct io_port_ops pit_ops = {
	.in = port_in,
	.out = port_out,
};

/**
 * pit_init() - the PIT with nothing programmed
 * @p: the device
 * @now_ns: the clock, in nanoseconds; NULL for CLOCK_MONOTONIC, which is
 *	what pit_start() sleeps on (tests pass their own)
 * @clock_ctx: passed to @now_ns
 * @irq: drives GSI 0 (see pit_expire() for the context); NULL: nothing
 * @irq_ctx: passed to @irq
 */
void pit_init(struct pit *p, uint64_t (*now_ns)(void *), void *clock_ctx,
	      irq_line_fn irq, void *irq_ctx)
{
	unsigned int i;

	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->irq_lock, NULL);
	p->now_ns = now_ns ? now_ns : monotonic_ns;
	p->clock_ctx = clock_ctx;
	p->irq = irq;
	p->irq_ctx = irq_ctx;
	p->timer_fd = -1;
	p->wake_fd = -1;
	for (i = 0; i < 3; i++) {
		struct pit_channel *c = &p->ch[i];

		c->ctrl = RW_LOHI << CW_RW_SHIFT;
		c->count = c->ce = 65536;
		c->irq_next = PIT_NEVER;
		c->null_count = true;
		/* Channels 0 and 1: GATE tied high.  Channel 2: port 0x61. */
		c->gate = i < 2;
	}
}

/**
 * pit_destroy() - undo pit_init(), stopping the thread if it runs
 * @p: the device
 */
void pit_destroy(struct pit *p)
{
	pit_stop(p);
	pthread_mutex_destroy(&p->irq_lock);
	pthread_mutex_destroy(&p->lock);
}

/**
 * pit_register() - put the PIT at ports 0x40-0x43 and port B at 0x61
 * @p: the device
 * @bus: the bus
 *
 * Return: 0, or -1 (see io_bus_register()).
 */
int pit_register(struct pit *p, struct io_bus *bus)
{
	if (io_bus_register(bus, PIT_BASE, 4, &pit_ops, p, "pit"))
		return -1;
	return io_bus_register(bus, PIT_PORT_B, 1, &pit_ops, p, "port-b");
}

/**
 * pit_next_event() - when channel 0 next interrupts
 * @p: the device
 *
 * Return: the time, on the PIT's clock, at which pit_expire() will raise
 * GSI 0 next, or UINT64_MAX when channel 0 will not interrupt.  It may be
 * in the past: an interrupt is overdue.
 */
uint64_t pit_next_event(struct pit *p)
{
	uint64_t t;

	pthread_mutex_lock(&p->lock);
	t = next_event_locked(p);
	pthread_mutex_unlock(&p->lock);
	return t;
}

/**
 * pit_expire() - deliver channel 0's interrupt if it is due
 * @p: the device
 *
 * When channel 0's OUT has risen since the last interrupt, GSI 0 is
 * raised and lowered once, however many periods went by: missed periods
 * are coalesced, and so is the end of any period within about 100 us
 * (PIT_MIN_IRQ_CLOCKS) of now.  The guest sees fewer ticks then, not a
 * burst of late ones; its clock sources (the PIT's own count, the TSC)
 * still tell the time.
 *
 * @irq is called from the caller's thread (the timer thread after
 * pit_start()) without the PIT's lock held, so it may reach the PIT's
 * port handlers; it holds @p->irq_lock, which keeps each raise and lower
 * together, so it must not call pit_expire().
 */
void pit_expire(struct pit *p)
{
	struct pit_channel *c = &p->ch[0];
	bool fire = false;
	uint64_t e, next;

	pthread_mutex_lock(&p->lock);
	if (next_event_locked(p) != UINT64_MAX) {
		e = elapsed(c, p->now_ns(p->clock_ctx));
		if (e >= c->irq_next) {
			fire = true;
			if (c->mode == 2 || c->mode == 3) {
				/* The first period end far enough ahead. */
				next = e + PIT_MIN_IRQ_CLOCKS;
				c->irq_next = (next + c->ce - 1) / c->ce * c->ce;
			} else {
				c->irq_next = PIT_NEVER;
			}
		}
	}
	pthread_mutex_unlock(&p->lock);
	if (!fire || !p->irq)
		return;
	pthread_mutex_lock(&p->irq_lock);
	p->irq(p->irq_ctx, 0, true);
	p->irq(p->irq_ctx, 0, false);
	pthread_mutex_unlock(&p->irq_lock);
}

static int arm(int fd, uint64_t when)
{
	struct itimerspec its = { 0 };

	if (when != UINT64_MAX) {
		/* 0 would disarm it: anything in the past fires at once. */
		if (!when)
			when = 1;
		its.it_value.tv_sec = when / NSEC_PER_SEC;
		its.it_value.tv_nsec = when % NSEC_PER_SEC;
	}
	return timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static bool should_stop(struct pit *p)
{
	bool stop;

	pthread_mutex_lock(&p->lock);
	stop = p->stopping;
	pthread_mutex_unlock(&p->lock);
	return stop;
}

/*
 * Deliver what is due, sleep until the next interrupt or a change of
 * channel 0, again.  A change after pit_next_event() wrote the eventfd,
 * so poll() returns at once and the timer is armed anew.
 */
static void *pit_thread(void *arg)
{
	struct pit *p = arg;
	struct pollfd pfd[2] = {
		{ .fd = p->timer_fd, .events = POLLIN },
		{ .fd = p->wake_fd, .events = POLLIN },
	};
	uint64_t v;

	while (!should_stop(p)) {
		pit_expire(p);
		if (arm(p->timer_fd, pit_next_event(p))) {
			device_failed("PIT timer: %s", strerror(errno));
			break;
		}
		if (poll(pfd, 2, -1) < 0 && errno != EINTR) {
			device_failed("PIT thread: poll: %s", strerror(errno));
			break;
		}
		/* Both are non-blocking: a stale readiness reads EAGAIN. */
		if (((pfd[0].revents & POLLIN) &&
		     read(p->timer_fd, &v, sizeof(v)) < 0 && errno != EAGAIN) ||
		    ((pfd[1].revents & POLLIN) &&
		     read(p->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)) {
			device_failed("PIT thread: read: %s", strerror(errno));
			break;
		}
	}
	return NULL;
}

/**
 * pit_start() - deliver channel 0's interrupts in real time
 * @p: the device, whose clock must be CLOCK_MONOTONIC (pit_init() with
 *	a NULL @now_ns)
 *
 * Starts a thread that sleeps on a timerfd until pit_next_event() and
 * calls pit_expire(); port writes that move the next event wake it.  The
 * thread blocks every signal, whatever the caller's mask.  pit_start()
 * and pit_stop() are called from one thread (the main thread).
 *
 * Return: 0 (also when it already runs), or -1 with errno set.
 */
int pit_start(struct pit *p)
{
	int err, fd;

	if (p->thread_on)
		return 0;
	p->timer_fd = timerfd_create(CLOCK_MONOTONIC,
				     TFD_CLOEXEC | TFD_NONBLOCK);
	if (p->timer_fd < 0)
		return -1;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	pthread_mutex_lock(&p->lock);
	p->wake_fd = fd;
	p->stopping = false;
	pthread_mutex_unlock(&p->lock);

	err = thread_create_quiet(&p->thread, pit_thread, p);
	if (err)
		goto fail;
	p->thread_on = true;
	return 0;

fail:
	pthread_mutex_lock(&p->lock);
	if (p->wake_fd >= 0)
		close(p->wake_fd);
	p->wake_fd = -1;
	pthread_mutex_unlock(&p->lock);
	close(p->timer_fd);
	p->timer_fd = -1;
	errno = err;
	return -1;
}

/**
 * pit_stop() - end the thread pit_start() started
 * @p: the device; nothing happens when no thread runs
 *
 * Interrupts are no longer delivered unless someone calls pit_expire().
 */
void pit_stop(struct pit *p)
{
	uint64_t one = 1;

	if (!p->thread_on)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	if (write(p->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		msg("cannot stop the PIT thread: %s", strerror(errno));
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_mutex_lock(&p->lock);
	close(p->wake_fd);
	p->wake_fd = -1;
	pthread_mutex_unlock(&p->lock);
	close(p->timer_fd);
	p->timer_fd = -1;
	p->thread_on = false;
}
