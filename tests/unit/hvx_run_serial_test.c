// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's 16550 UART (userspace/hvx-run/serial.c):
 * register behaviour, transmission to the output file, non-blocking
 * reception from the input file, loopback, and access through the port
 * bus at 0x3f8; the input thread, and its escape sequence while the guest
 * takes nothing.  Pipes stand for stdin and stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

enum { RBR, IER, IIR, LCR, MCR, LSR, MSR, SCR };
#define THR	RBR
#define FCR	IIR
#define DLL	RBR
#define DLM	IER

FIXTURE(uart) {
	struct serial s;
	int in[2], out[2];
};

FIXTURE_SETUP(uart)
{
	ASSERT_EQ(0, pipe(self->in));
	ASSERT_EQ(0, pipe(self->out));
	/* Reading the output side must not block when it is empty. */
	fcntl(self->out[0], F_SETFL, O_NONBLOCK);
	serial_init(&self->s, self->in[0], self->out[1]);
}

FIXTURE_TEARDOWN(uart)
{
	serial_destroy(&self->s);
	close(self->in[0]);
	close(self->in[1]);
	close(self->out[0]);
	close(self->out[1]);
}

static ssize_t output(int fd, char *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);

	return n < 0 ? 0 : n;
}

TEST_F(uart, reset_values)
{
	struct serial *s = &self->s;

	EXPECT_EQ(0x00, serial_in(s, IER));
	EXPECT_EQ(0x01, serial_in(s, IIR));
	EXPECT_EQ(0x00, serial_in(s, LCR));
	EXPECT_EQ(0x00, serial_in(s, MCR));
	EXPECT_EQ(0x60, serial_in(s, LSR));
	EXPECT_EQ(0xb0, serial_in(s, MSR));
	EXPECT_EQ(0x00, serial_in(s, SCR));
	/* Nothing to receive: RBR reads 0, LSR.DR stays clear. */
	EXPECT_EQ(0x00, serial_in(s, RBR));
	serial_out(s, LCR, 0x80);
	EXPECT_EQ(12, serial_in(s, DLL));
	EXPECT_EQ(0, serial_in(s, DLM));
}

TEST_F(uart, transmit)
{
	struct serial *s = &self->s;
	const char *text = "hi\n";
	char buf[16];

	for (; *text; text++) {
		EXPECT_EQ(0x60, serial_in(s, LSR) & 0x60);
		serial_out(s, THR, *text);
	}
	ASSERT_EQ(3, output(self->out[0], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "hi\n", 3));
}

TEST_F(uart, divisor_latch)
{
	struct serial *s = &self->s;
	char buf[4];

	serial_out(s, LCR, 0x83);
	serial_out(s, DLL, 0x01);
	serial_out(s, DLM, 0x02);
	EXPECT_EQ(0x01, serial_in(s, DLL));
	EXPECT_EQ(0x02, serial_in(s, DLM));
	EXPECT_EQ(0x83, serial_in(s, LCR));
	/* With DLAB set nothing was transmitted and IER kept its value. */
	EXPECT_EQ(0, output(self->out[0], buf, sizeof(buf)));
	serial_out(s, LCR, 0x03);
	EXPECT_EQ(0x00, serial_in(s, IER));
	EXPECT_EQ(0x03, serial_in(s, LCR));
	serial_out(s, IER, 0xff);
	EXPECT_EQ(0x0f, serial_in(s, IER));
	serial_out(s, LCR, 0x83);
	EXPECT_EQ(0x02, serial_in(s, DLM));
}

TEST_F(uart, scratch_and_read_only_registers)
{
	struct serial *s = &self->s;

	serial_out(s, SCR, 0xa5);
	EXPECT_EQ(0xa5, serial_in(s, SCR));
	serial_out(s, LSR, 0x00);
	serial_out(s, MSR, 0x00);
	EXPECT_EQ(0x60, serial_in(s, LSR));
	EXPECT_EQ(0xb0, serial_in(s, MSR));
	serial_out(s, MCR, 0xff);
	EXPECT_EQ(0x1f, serial_in(s, MCR));
}

TEST_F(uart, receive)
{
	struct serial *s = &self->s;

	ASSERT_EQ(3, write(self->in[1], "abc", 3));
	EXPECT_EQ(0x61, serial_in(s, LSR));
	EXPECT_EQ('a', serial_in(s, RBR));
	EXPECT_EQ(0x61, serial_in(s, LSR));
	EXPECT_EQ('b', serial_in(s, RBR));
	EXPECT_EQ('c', serial_in(s, RBR));
	/* Empty again, not at its end: no blocking, DR clear. */
	EXPECT_EQ(0x60, serial_in(s, LSR));
	ASSERT_EQ(1, write(self->in[1], "d", 1));
	EXPECT_EQ('d', serial_in(s, RBR));
	/* End of input: DR stays clear. */
	close(self->in[1]);
	self->in[1] = -1;
	EXPECT_EQ(0x60, serial_in(s, LSR));
	EXPECT_EQ(0x60, serial_in(s, LSR));
	EXPECT_TRUE(s->in_eof);
}

TEST_F(uart, fifo_takes_sixteen)
{
	struct serial *s = &self->s;
	int i;

	serial_out(s, FCR, 0x01);
	ASSERT_EQ(20, write(self->in[1], "0123456789abcdefghij", 20));
	EXPECT_EQ(0x61, serial_in(s, LSR));
	EXPECT_EQ(16, s->rx_count);
	for (i = 0; i < 16; i++)
		EXPECT_EQ("0123456789abcdef"[i], serial_in(s, RBR));
	for (i = 0; i < 4; i++)
		EXPECT_EQ("ghij"[i], serial_in(s, RBR));
	EXPECT_EQ(0x60, serial_in(s, LSR));
}

TEST_F(uart, fifo_control_and_iir)
{
	struct serial *s = &self->s;

	EXPECT_EQ(0x01, serial_in(s, IIR));
	serial_out(s, FCR, 0x07);
	EXPECT_EQ(0xc1, serial_in(s, IIR));
	/* Received data, THR empty: by priority, when enabled. */
	ASSERT_EQ(2, write(self->in[1], "xy", 2));
	EXPECT_EQ(0xc1, serial_in(s, IIR));
	serial_out(s, IER, 0x03);
	EXPECT_EQ(0xc4, serial_in(s, IIR));
	EXPECT_EQ('x', serial_in(s, RBR));
	EXPECT_EQ('y', serial_in(s, RBR));
	EXPECT_EQ(0xc2, serial_in(s, IIR));
	/* Reading IIR acknowledged the THR-empty interrupt... */
	EXPECT_EQ(0xc1, serial_in(s, IIR));
	/* ...and a transmission raises it again. */
	serial_out(s, THR, '.');
	EXPECT_EQ(0xc2, serial_in(s, IIR));
	/* FCR bit 1 drops received bytes. */
	ASSERT_EQ(1, write(self->in[1], "z", 1));
	EXPECT_EQ(0x61, serial_in(s, LSR));
	serial_out(s, FCR, 0x03);
	EXPECT_EQ(0x60, serial_in(s, LSR));
	/* turning the FIFOs off (or on) drops them too */
	ASSERT_EQ(1, write(self->in[1], "w", 1));
	EXPECT_EQ(0x61, serial_in(s, LSR));
	serial_out(s, FCR, 0x00);
	EXPECT_EQ(0x60, serial_in(s, LSR));
	/* and empties the transmitter: THR empty again */
	EXPECT_EQ(0x02, serial_in(s, IIR));
	EXPECT_EQ(0x01, serial_in(s, IIR));
	/* FIFOs off, bits 1-7 of a write without bit 0 change nothing */
	ASSERT_EQ(1, write(self->in[1], "v", 1));
	EXPECT_EQ(0x61, serial_in(s, LSR));
	serial_out(s, FCR, 0xc2);
	EXPECT_EQ(0x61, serial_in(s, LSR));
	EXPECT_EQ(0x04, serial_in(s, IIR));	/* data, no FIFO bits */
	EXPECT_EQ('v', serial_in(s, RBR));
}

TEST_F(uart, loopback)
{
	struct serial *s = &self->s;
	unsigned int i;
	char buf[4];

	serial_out(s, MCR, 0x10);
	EXPECT_EQ(0x0b, serial_in(s, MSR));	/* CTS, DSR, DCD dropped */
	EXPECT_EQ(0x00, serial_in(s, MSR));
	serial_out(s, MCR, 0x1a);		/* RTS, OUT2 */
	EXPECT_EQ(0x99, serial_in(s, MSR));
	EXPECT_EQ(0x90, serial_in(s, MSR));
	serial_out(s, MCR, 0x15);		/* DTR, OUT1 */
	EXPECT_EQ(0x6b, serial_in(s, MSR));
	serial_out(s, MCR, 0x11);		/* RI falls */
	EXPECT_EQ(0x24, serial_in(s, MSR));

	/* Transmitted bytes come back and do not reach the output. */
	ASSERT_EQ(1, write(self->in[1], "i", 1));
	serial_out(s, THR, 'L');
	EXPECT_EQ(0x61, serial_in(s, LSR));
	EXPECT_EQ('L', serial_in(s, RBR));
	EXPECT_EQ(0x60, serial_in(s, LSR));
	EXPECT_EQ(0, output(self->out[0], buf, sizeof(buf)));

	/* A second byte with FIFOs off overruns the first: it replaces it. */
	serial_out(s, THR, '1');
	serial_out(s, THR, '2');
	/* the line status goes before the data it came with */
	serial_out(s, IER, 0x05);
	EXPECT_EQ(0x06, serial_in(s, IIR));
	EXPECT_EQ(0x63, serial_in(s, LSR));
	EXPECT_EQ(0x04, serial_in(s, IIR));
	serial_out(s, IER, 0x00);
	EXPECT_EQ(0x61, serial_in(s, LSR));
	EXPECT_EQ('2', serial_in(s, RBR));
	/* with FIFOs on, a full FIFO keeps its bytes: the 17th is lost */
	serial_out(s, FCR, 0x01);
	for (i = 0; i < 17; i++)
		serial_out(s, THR, 'a' + i);
	EXPECT_EQ(0x63, serial_in(s, LSR));
	for (i = 0; i < 16; i++)
		EXPECT_EQ('a' + i, serial_in(s, RBR));
	EXPECT_EQ(0x60, serial_in(s, LSR));
	serial_out(s, FCR, 0x00);

	/* Out of loopback, input flows again. */
	serial_out(s, MCR, 0x03);
	EXPECT_EQ(0xb0, serial_in(s, MSR) & 0xf0);
	EXPECT_EQ('i', serial_in(s, RBR));
}

TEST_F(uart, through_the_bus)
{
	struct io_bus *bus = malloc(sizeof(*bus));
	uint8_t b[4];
	char buf[8];

	ASSERT_NE(NULL, bus);
	io_bus_init(bus, NULL);
	ASSERT_EQ(0, serial_register(&self->s, bus, SERIAL_COM1_BASE));
	EXPECT_EQ(-1, serial_register(&self->s, bus, SERIAL_COM1_BASE));
	EXPECT_EQ(-1, serial_register(&self->s, bus, 0x3f9));

	b[0] = 0x42;
	io_bus_out(bus, 0x3ff, 1, b);
	io_bus_in(bus, 0x3ff, 1, b);
	EXPECT_EQ(0x42, b[0]);
	/* A word read covers MSR and SCR. */
	io_bus_in(bus, 0x3fe, 2, b);
	EXPECT_EQ(0xb0, b[0]);
	EXPECT_EQ(0x42, b[1]);
	/* A dword read from SCR runs past the UART: all ones there. */
	io_bus_in(bus, 0x3ff, 4, b);
	EXPECT_EQ(0x42, b[0]);
	EXPECT_EQ(0xff, b[1]);
	EXPECT_EQ(0xff, b[3]);

	memcpy(b, "ok", 2);
	io_bus_out(bus, 0x3f8, 1, b);
	io_bus_out(bus, 0x3f8, 1, b + 1);
	ASSERT_EQ(2, output(self->out[0], buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "ok", 2));
	io_bus_destroy(bus);
	free(bus);
}

/* The interrupt line: every level change, in order. */
struct line_log {
	unsigned int n;
	unsigned int gsi[16];
	bool level[16];
};

static void log_line(void *ctx, unsigned int gsi, bool level)
{
	struct line_log *l = ctx;

	if (l->n < 16) {
		l->gsi[l->n] = gsi;
		l->level[l->n] = level;
	}
	l->n++;
}

TEST_F(uart, interrupt_line)
{
	struct serial *s = &self->s;
	struct line_log l = { 0 };

	serial_connect_irq(s, log_line, &l, 4);
	/* THR-empty enabled, but OUT2 keeps the line off the bus */
	serial_out(s, IER, 0x02);
	EXPECT_EQ(0, l.n);
	serial_out(s, MCR, 0x08);
	ASSERT_EQ(1, l.n);
	EXPECT_EQ(4, l.gsi[0]);
	EXPECT_TRUE(l.level[0]);
	/* reading IIR acknowledges THR empty: the line drops */
	EXPECT_EQ(0x02, serial_in(s, IIR));
	ASSERT_EQ(2, l.n);
	EXPECT_FALSE(l.level[1]);
	/* each byte sent makes THR empty again: a new edge */
	serial_out(s, THR, 'x');
	ASSERT_EQ(3, l.n);
	EXPECT_TRUE(l.level[2]);
	/* a second byte while the line is up changes nothing */
	serial_out(s, THR, 'y');
	EXPECT_EQ(3, l.n);
	/* disabling the interrupt drops the line */
	serial_out(s, IER, 0x00);
	ASSERT_EQ(4, l.n);
	EXPECT_FALSE(l.level[3]);
	/*
	 * THR empty acknowledged, then the FIFOs turned on, their transmit
	 * side reset, and turned off: each raises THR empty again at once
	 */
	serial_out(s, IER, 0x02);
	ASSERT_EQ(5, l.n);
	EXPECT_EQ(0x02, serial_in(s, IIR));
	ASSERT_EQ(6, l.n);
	serial_out(s, FCR, 0x01);
	ASSERT_EQ(7, l.n);
	EXPECT_TRUE(l.level[6]);
	EXPECT_EQ(0xc2, serial_in(s, IIR));
	serial_out(s, FCR, 0x05);
	ASSERT_EQ(9, l.n);
	EXPECT_EQ(0xc2, serial_in(s, IIR));
	serial_out(s, FCR, 0x01);	/* no reset, no change: nothing */
	EXPECT_EQ(10, l.n);
	serial_out(s, FCR, 0x00);
	ASSERT_EQ(11, l.n);
	EXPECT_EQ(0x02, serial_in(s, IIR));
	serial_out(s, IER, 0x00);
	l.n = 4;

	/* received data: up while the FIFO holds a byte */
	serial_out(s, IER, 0x01);
	EXPECT_EQ(4, l.n);
	ASSERT_EQ(1, write(self->in[1], "a", 1));
	EXPECT_EQ(0x01, serial_in(s, LSR) & 0x01);
	ASSERT_EQ(5, l.n);
	EXPECT_TRUE(l.level[4]);
	EXPECT_EQ('a', serial_in(s, RBR));
	ASSERT_EQ(6, l.n);
	EXPECT_FALSE(l.level[5]);
	/* OUT2 off: the line goes down even with data pending */
	ASSERT_EQ(1, write(self->in[1], "b", 1));
	EXPECT_EQ(0x04, serial_in(s, IIR));
	ASSERT_EQ(7, l.n);
	serial_out(s, MCR, 0x00);
	ASSERT_EQ(8, l.n);
	EXPECT_FALSE(l.level[7]);
}

/* A line log that the input thread may write while the test reads it. */
static pthread_mutex_t line_lock = PTHREAD_MUTEX_INITIALIZER;

static void log_line_locked(void *ctx, unsigned int gsi, bool level)
{
	pthread_mutex_lock(&line_lock);
	log_line(ctx, gsi, level);
	pthread_mutex_unlock(&line_lock);
}

static bool wait_level(struct line_log *l, bool level)
{
	bool ok = false;
	int i;

	for (i = 0; i < 2000 && !ok; i++) {
		pthread_mutex_lock(&line_lock);
		ok = l->n && l->level[(l->n - 1) % 16] == level;
		pthread_mutex_unlock(&line_lock);
		if (!ok)
			usleep(1000);
	}
	return ok;
}

struct stop_log {
	int status;
	int calls;
};

/* Called by the input thread: @calls published after @status. */
static void record_stop(void *ctx, int status, const char *why)
{
	struct stop_log *st = ctx;

	st->status = status;
	__atomic_store_n(&st->calls, st->calls + 1, __ATOMIC_RELEASE);
}

/* The stops so far; @status is then the last one's. */
static int stop_calls(struct stop_log *st)
{
	return __atomic_load_n(&st->calls, __ATOMIC_ACQUIRE);
}

/* The receive FIFO's count, as the input thread leaves it. */
static unsigned int rx_count(struct serial *s)
{
	unsigned int n;

	pthread_mutex_lock(&s->lock);
	n = s->rx_count;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* CPU time thread @t uses in the next @ms milliseconds. */
static int64_t thread_cpu_ns(pthread_t t, unsigned int ms)
{
	struct timespec a, b;
	clockid_t c;

	if (pthread_getcpuclockid(t, &c) || clock_gettime(c, &a))
		return -1;
	usleep(ms * 1000);
	if (clock_gettime(c, &b))
		return -1;
	return (b.tv_sec - a.tv_sec) * 1000000000LL + b.tv_nsec - a.tv_nsec;
}

TEST_F(uart, input_thread)
{
	struct serial *s = &self->s;
	struct line_log l = { 0 };
	struct stop_log st = { 0 };
	int64_t ns;

	serial_connect_irq(s, log_line_locked, &l, 4);
	serial_out(s, FCR, 0x01);
	serial_out(s, IER, 0x01);
	serial_out(s, MCR, 0x08);
	ASSERT_EQ(0, serial_start_input(s, true, record_stop, &st));

	/* input raises the line without the guest polling */
	ASSERT_EQ(2, write(self->in[1], "hi", 2));
	ASSERT_TRUE(wait_level(&l, true));
	EXPECT_EQ('h', serial_in(s, RBR));
	EXPECT_EQ('i', serial_in(s, RBR));
	EXPECT_TRUE(wait_level(&l, false));

	/* Ctrl-A Ctrl-A is one Ctrl-A; Ctrl-A and another key is dropped */
	ASSERT_EQ(5, write(self->in[1], "\001\001\001zq", 5));
	ASSERT_TRUE(wait_level(&l, true));
	EXPECT_EQ(0x01, serial_in(s, RBR));
	EXPECT_EQ('q', serial_in(s, RBR));
	EXPECT_EQ(0, serial_in(s, LSR) & 0x01);
	EXPECT_EQ(0, stop_calls(&st));

	/*
	 * Loopback keeps input from the receiver: the thread waits (it
	 * does not spin on the readable input), and the input comes
	 * when loopback ends.
	 */
	serial_out(s, MCR, 0x18);
	ASSERT_EQ(1, write(self->in[1], "w", 1));
	ns = thread_cpu_ns(s->in_thread, 300);
	EXPECT_LE(0, ns);
	EXPECT_GT(30000000, ns);
	EXPECT_EQ(0, serial_in(s, LSR) & 0x01);
	serial_out(s, MCR, 0x08);
	ASSERT_TRUE(wait_level(&l, true));
	EXPECT_EQ('w', serial_in(s, RBR));

	/* Ctrl-A x ends hvx-run */
	ASSERT_EQ(2, write(self->in[1], "\001x", 2));
	for (int i = 0; i < 2000 && !stop_calls(&st); i++)
		usleep(1000);
	EXPECT_EQ(1, stop_calls(&st));
	EXPECT_EQ(HVX_RUN_EXIT_ESCAPE, st.status);
	serial_stop_input(s);
}

/*
 * Ctrl-A x while the guest takes no input (a hung guest, or one that
 * never opened the port): the bytes before it wait in the FIFO, yet the
 * escape still ends hvx-run, and what was typed waits for the guest.
 */
TEST_F(uart, escape_while_input_waits)
{
	struct serial *s = &self->s;
	struct stop_log st = { 0 };
	int i;

	serial_out(s, FCR, 0x01);
	ASSERT_EQ(0, serial_start_input(s, true, record_stop, &st));
	ASSERT_EQ(20, write(self->in[1], "0123456789abcdefghij", 20));
	for (i = 0; i < 2000 && rx_count(s) < 16; i++)
		usleep(1000);
	ASSERT_EQ(3, write(self->in[1], "k\001x", 3));
	for (i = 0; i < 2000 && !stop_calls(&st); i++)
		usleep(1000);
	EXPECT_EQ(1, stop_calls(&st));
	EXPECT_EQ(HVX_RUN_EXIT_ESCAPE, st.status);
	for (i = 0; i < 16; i++)
		EXPECT_EQ("0123456789abcdef"[i], serial_in(s, RBR));
	for (i = 0; i < 5; i++)
		EXPECT_EQ("ghijk"[i], serial_in(s, RBR));
	EXPECT_EQ(0, serial_in(s, LSR) & 0x01);
	serial_stop_input(s);
}

#define FLOOD_BYTES	(256 * 1024)	/* beyond the output pipe's 64 KiB */

struct flood {
	struct serial *s;
	bool done;
};

/* The guest writing THR while stdout takes nothing: it blocks. */
static void *flood_thr(void *arg)
{
	struct flood *f = arg;
	int i;

	for (i = 0; i < FLOOD_BYTES; i++)
		serial_out(f->s, THR, 'f');
	__atomic_store_n(&f->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* Milliseconds since @t0, on the monotonic clock. */
static int64_t ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000LL +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Whether a thread other than the caller holds the UART's lock. */
static bool uart_locked(struct serial *s)
{
	if (pthread_mutex_trylock(&s->lock) == EBUSY)
		return true;
	pthread_mutex_unlock(&s->lock);
	return false;
}

/* The bytes waiting in pipe @fd, or -1. */
static int pipe_bytes(int fd)
{
	int n;

	return ioctl(fd, FIONREAD, &n) ? -1 : n;
}

/*
 * Ctrl-A x while the UART waits on a stdout that takes nothing (holding
 * its lock): the escape still ends hvx-run, whose stop then frees stdout.
 *
 * Every wait is bounded by time, not by a count of tries: a try that
 * drains a byte or two takes no time, and a writer left blocked on the
 * full pipe would hang pthread_join() until the harness's timeout.
 */
TEST_F(uart, escape_while_output_blocks)
{
	struct flood f = { .s = &self->s };
	struct stop_log st = { 0 };
	struct serial *s = &self->s;
	struct timespec t0;
	char buf[4096];
	int size, calls;
	pthread_t th;

	size = fcntl(self->out[1], F_GETPIPE_SZ);
	ASSERT_LT(0, size);
	ASSERT_GT(FLOOD_BYTES, size);
	ASSERT_EQ(0, serial_start_input(s, true, record_stop, &st));
	ASSERT_EQ(0, pthread_create(&th, NULL, flood_thr, &f));

	/* the output pipe fills, and the writer blocks in it, locked */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (pipe_bytes(self->out[0]) != size && ms_since(&t0) < 5000)
		usleep(1000);
	while (!uart_locked(s) && ms_since(&t0) < 5000)
		usleep(1000);
	EXPECT_EQ(size, pipe_bytes(self->out[0]));
	EXPECT_TRUE(uart_locked(s));
	EXPECT_FALSE(__atomic_load_n(&f.done, __ATOMIC_ACQUIRE));

	ASSERT_EQ(2, write(self->in[1], "\001x", 2));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!__atomic_load_n(&st.calls, __ATOMIC_ACQUIRE) &&
	       ms_since(&t0) < 5000)
		usleep(1000);
	calls = __atomic_load_n(&st.calls, __ATOMIC_ACQUIRE);
	EXPECT_EQ(1, calls);
	EXPECT_EQ(HVX_RUN_EXIT_ESCAPE, st.status);
	/* the escape came while the writer was still blocked, locked */
	EXPECT_EQ(size, pipe_bytes(self->out[0]));
	EXPECT_TRUE(uart_locked(s));
	EXPECT_FALSE(__atomic_load_n(&f.done, __ATOMIC_ACQUIRE));

	/* stdout takes the rest: the writer ends */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!__atomic_load_n(&f.done, __ATOMIC_ACQUIRE) &&
	       ms_since(&t0) < 10000)
		if (output(self->out[0], buf, sizeof(buf)) <= 0)
			usleep(100);
	EXPECT_TRUE(__atomic_load_n(&f.done, __ATOMIC_ACQUIRE));
	if (!__atomic_load_n(&f.done, __ATOMIC_ACQUIRE)) {
		/* a failure, not a hang: EPIPE loses what is left at once */
		signal(SIGPIPE, SIG_IGN);
		close(self->out[0]);
		self->out[0] = -1;
	}
	pthread_join(th, NULL);
	serial_stop_input(s);
}

/*
 * The same with the escape typed as keys of their own, the usual way:
 * @first (ending in Ctrl-A) in one read, 200 ms later the x in another.
 * The input thread must go on reading while the writer holds the UART.
 */
static void escape_in_keys(struct __test_metadata *_metadata,
			   struct serial *s, int in_w, int out_r, int out_w,
			   const char *first)
{
	struct flood f = { .s = s };
	struct stop_log st = { 0 };
	struct timespec t0;
	char buf[4096];
	int size;
	pthread_t th;

	size = fcntl(out_w, F_GETPIPE_SZ);
	ASSERT_EQ(0, serial_start_input(s, true, record_stop, &st));
	ASSERT_EQ(0, pthread_create(&th, NULL, flood_thr, &f));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (pipe_bytes(out_r) != size && ms_since(&t0) < 5000)
		usleep(1000);
	while (!uart_locked(s) && ms_since(&t0) < 5000)
		usleep(1000);
	ASSERT_TRUE(uart_locked(s));
	ASSERT_EQ(strlen(first), write(in_w, first, strlen(first)));
	usleep(200 * 1000);
	ASSERT_EQ(1, write(in_w, "x", 1));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop_calls(&st) && ms_since(&t0) < 5000)
		usleep(1000);
	EXPECT_EQ(1, stop_calls(&st));
	EXPECT_EQ(HVX_RUN_EXIT_ESCAPE, st.status);
	EXPECT_TRUE(uart_locked(s));
	/* stdout takes the rest: the writer ends, the input thread too */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!__atomic_load_n(&f.done, __ATOMIC_ACQUIRE) &&
	       ms_since(&t0) < 10000)
		if (output(out_r, buf, sizeof(buf)) <= 0)
			usleep(100);
	EXPECT_TRUE(__atomic_load_n(&f.done, __ATOMIC_ACQUIRE));
	pthread_join(th, NULL);
	serial_stop_input(s);
}

TEST_F(uart, escape_keys_while_output_blocks)
{
	escape_in_keys(_metadata, &self->s, self->in[1], self->out[0],
		       self->out[1], "\001");
}

TEST_F(uart, key_then_escape_keys_while_output_blocks)
{
	escape_in_keys(_metadata, &self->s, self->in[1], self->out[0],
		       self->out[1], "k\001");
}

/* Input typed while the writer holds the UART reaches it once free. */
TEST_F(uart, input_waits_while_output_blocks)
{
	struct flood f = { .s = &self->s };
	struct stop_log st = { 0 };
	struct serial *s = &self->s;
	struct timespec t0;
	char buf[4096], got[4];
	unsigned int n = 0;
	pthread_t th;

	ASSERT_EQ(0, serial_start_input(s, true, record_stop, &st));
	ASSERT_EQ(0, pthread_create(&th, NULL, flood_thr, &f));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!uart_locked(s) && ms_since(&t0) < 5000)
		usleep(1000);
	ASSERT_TRUE(uart_locked(s));
	ASSERT_EQ(3, write(self->in[1], "abc", 3));
	usleep(100 * 1000);
	EXPECT_TRUE(uart_locked(s));
	while (!__atomic_load_n(&f.done, __ATOMIC_ACQUIRE) &&
	       ms_since(&t0) < 10000)
		if (output(self->out[0], buf, sizeof(buf)) <= 0)
			usleep(100);
	pthread_join(th, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (n < 3 && ms_since(&t0) < 5000) {
		if (serial_in(s, 5) & 1)	/* LSR: data ready */
			got[n++] = serial_in(s, 0);
		else
			usleep(1000);
	}
	EXPECT_EQ(3, n);
	EXPECT_EQ(0, memcmp(got, "abc", 3));
	EXPECT_EQ(0, stop_calls(&st));
	serial_stop_input(s);
}

/*
 * The guest reads the receiver until @len bytes came or 5 s passed
 * without one.  Return: how many came; *@bad, how many of them differ
 * from @want; *@oe, whether LSR said an overrun.
 */
static unsigned int guest_reads(struct serial *s, const char *want,
				unsigned int len, unsigned int *bad,
				uint8_t *oe)
{
	unsigned int n = 0, idle = 0;
	uint8_t lsr;

	*bad = 0;
	*oe = 0;
	while (n < len && idle < 5000) {
		lsr = serial_in(s, LSR);
		*oe |= lsr & 0x02;
		if (!(lsr & 0x01)) {
			idle++;
			usleep(1000);
			continue;
		}
		idle = 0;
		*bad += serial_in(s, RBR) != want[n++];
	}
	return n;
}

/*
 * @len bytes written ahead on the input, as a terminal's (@escape: read
 * as they come) or a pipe's: the guest's later reads get them all, with
 * no overrun.
 */
static void input_read_ahead(struct __test_metadata *_metadata,
			     struct serial *s, int in_fd, bool escape,
			     unsigned int len)
{
	static char in[20000];
	struct stop_log st = { 0 };
	unsigned int i, bad;
	uint8_t oe;

	ASSERT_GE(sizeof(in), len);
	for (i = 0; i < len; i++)
		in[i] = 'a' + i % 23;
	serial_out(s, FCR, 0x01);
	ASSERT_EQ(0, serial_start_input(s, escape, record_stop, &st));
	ASSERT_EQ(len, write(in_fd, in, len));
	usleep(200 * 1000);	/* the thread reads ahead what it may */
	EXPECT_EQ(len, guest_reads(s, in, len, &bad, &oe));
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, oe);	/* no overrun */
	EXPECT_EQ(0, stop_calls(&st));
	serial_stop_input(s);
}

/*
 * A pipe on standard input (no escape): read only as the guest takes its
 * bytes, so none is lost, however far ahead it was written.
 */
TEST_F(uart, piped_input_waits_for_the_guest)
{
	input_read_ahead(_metadata, &self->s, self->in[1], false, 20000);
}

/*
 * A terminal's input (escape on) is read as it comes, and up to 8 KiB of
 * it waits while the guest takes none (the thread's buffer and the
 * UART's), all of it there for the guest's later reads.  (4 KiB and the
 * FIFO's 16 bytes were kept, the rest lost with LSR.OE.)
 */
TEST_F(uart, terminal_input_reads_ahead_8k)
{
	input_read_ahead(_metadata, &self->s, self->in[1], true, 6000);
}

/*
 * A terminal's input (escape on) past what the thread and the UART hold
 * while the guest reads none: the thread reads on, so that Ctrl-A x
 * typed after 8 KiB still ends hvx-run, and the keys it has no room for
 * are lost, said as an overrun (LSR.OE).  The guest's later reads get
 * the first 16 (the FIFO) + 4096 (s->held) + 4096 (the thread's own)
 * bytes in order, and nothing after them.  All of it is in the pipe
 * before the thread starts, so that its first read takes a whole 4 KiB
 * and the FIFO the first 16 bytes of it, however late the thread runs.
 */
TEST_F(uart, terminal_input_past_8k_is_lost_escape_still_seen)
{
	static char in[3 * SERIAL_HELD_SIZE + 2];
	const unsigned int kept = 16 + 2 * SERIAL_HELD_SIZE;
	struct stop_log st = { 0 };
	struct serial *s = &self->s;
	unsigned int i, bad;
	uint8_t oe;

	for (i = 0; i < 3 * SERIAL_HELD_SIZE; i++)
		in[i] = 'a' + i % 19;
	memcpy(in + 3 * SERIAL_HELD_SIZE, "\001x", 2);
	serial_out(s, FCR, 0x01);
	/* the write must not wait for a reader that is not there yet */
	ASSERT_LE((int)sizeof(in), fcntl(self->in[1], F_GETPIPE_SZ));
	ASSERT_EQ(sizeof(in), write(self->in[1], in, sizeof(in)));
	ASSERT_EQ(0, serial_start_input(s, true, record_stop, &st));
	for (i = 0; i < 5000 && !stop_calls(&st); i++)
		usleep(1000);
	EXPECT_EQ(1, stop_calls(&st));
	EXPECT_EQ(HVX_RUN_EXIT_ESCAPE, st.status);
	EXPECT_EQ(kept, guest_reads(s, in, kept, &bad, &oe));
	EXPECT_EQ(0, bad);
	EXPECT_NE(0, oe);
	/* the rest was lost: nothing more comes */
	usleep(50 * 1000);
	EXPECT_EQ(0, serial_in(s, LSR) & 0x01);
	serial_stop_input(s);
}

/* The input thread's sleeps (the link wraps the function). */
static unsigned int input_waits;

int __real_console_wait_input_for(int in_fd, int wake_fd, int stop_efd,
				  int timeout_ms);

int __wrap_console_wait_input_for(int in_fd, int wake_fd, int stop_efd,
				  int timeout_ms)
{
	__atomic_add_fetch(&input_waits, 1, __ATOMIC_RELAXED);
	return __real_console_wait_input_for(in_fd, wake_fd, stop_efd,
					     timeout_ms);
}

/*
 * Whether the input thread holds all it may of @len bytes piped to @in:
 * 16 in the FIFO, SERIAL_HELD_SIZE in s->held and as many of its own,
 * the rest left in the pipe.
 */
static bool input_holds_all(struct serial *s, int in, unsigned int len)
{
	unsigned int rx, held;

	pthread_mutex_lock(&s->lock);
	rx = s->rx_count;
	held = s->held_len;
	pthread_mutex_unlock(&s->lock);
	return rx == 16 && held == SERIAL_HELD_SIZE &&
	       pipe_bytes(in) == len - 16 - 2 * SERIAL_HELD_SIZE;
}

/*
 * A pipe the guest does not read: once the thread holds all it may, it
 * sleeps until the guest reads (it woke every 10 ms before), and the
 * guest's reads wake it for the rest.
 */
TEST_F(uart, piped_input_sleeps_while_the_guest_reads_none)
{
	static char in[3 * SERIAL_HELD_SIZE];
	struct stop_log st = { 0 };
	struct serial *s = &self->s;
	unsigned int i, bad, waits;
	uint8_t oe;

	for (i = 0; i < sizeof(in); i++)
		in[i] = 'a' + i % 19;
	serial_out(s, FCR, 0x01);
	/*
	 * All of it in the pipe before the thread starts: its reads take
	 * whole buffers, and what it holds in the end is known.
	 */
	ASSERT_LE((int)sizeof(in), fcntl(self->in[1], F_GETPIPE_SZ));
	ASSERT_EQ(sizeof(in), write(self->in[1], in, sizeof(in)));
	close(self->in[1]);
	self->in[1] = -1;
	ASSERT_EQ(0, serial_start_input(s, false, record_stop, &st));
	/*
	 * Wait for that state, not for a quiet spell of the thread's
	 * count, which a thread late on a loaded machine shows too.  The
	 * thread has then read its last, and makes at most the one sleep
	 * it was on its way to.
	 */
	for (i = 0; i < 5000 && !input_holds_all(s, self->in[0], sizeof(in));
	     i++)
		usleep(1000);
	ASSERT_TRUE(input_holds_all(s, self->in[0], sizeof(in)));
	waits = __atomic_load_n(&input_waits, __ATOMIC_RELAXED);
	usleep(300 * 1000);
	EXPECT_GE(waits + 1, __atomic_load_n(&input_waits,
					     __ATOMIC_RELAXED));
	EXPECT_EQ(sizeof(in), guest_reads(s, in, sizeof(in), &bad, &oe));
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, oe);
	serial_stop_input(s);
}

TEST_HARNESS_MAIN
