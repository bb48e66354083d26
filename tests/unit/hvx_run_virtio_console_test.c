// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of virtio-console's data path
 * (userspace/hvx-run/virtio_console_io.c) with split rings built by hand
 * in a fake guest RAM: transmitq chains reach the output file whole and
 * in order, also through a full non-blocking pipe; receiveq chains take
 * pending input across their writable buffers, as much as fits, and the
 * rest waits for the next chain.  And the console escape sequence
 * (escape.c) that it shares with the UART, seen in input that waits.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"
#include "../../userspace/hvx-run/virtio_console.h"
#include "../../userspace/hvx-run/virtio_pci.h"
#include "virtio_driver.h"
#include "vring_build.h"

#define RAM_SIZE	(4ULL << 20)
#define QSIZE		8
#define DESC		0x1000
#define AVAIL		0x2000
#define USED		0x3000
#define BUF		0x10000
#define BIG		(1ULL << 20)

FIXTURE(port0) {
	uint8_t *ram;
	struct vq_mem mem;
	struct virtqueue vq;
	struct vq_elem e;
	uint16_t next_avail;
};

FIXTURE_SETUP(port0)
{
	self->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	self->mem.base = self->ram;
	self->mem.size = RAM_SIZE;
	self->next_avail = 0;
	vq_init(&self->vq, &self->mem, "console test queue");
	ASSERT_EQ(0, vq_start(&self->vq, QSIZE, DESC, AVAIL, USED, false,
			      false));
}

FIXTURE_TEARDOWN(port0)
{
	vq_destroy(&self->vq);
	munmap(self->ram, RAM_SIZE);
}

/* Make chain @head available. */
#define offer(ram, next, head)	vring_offer(ram, AVAIL, QSIZE, next, head)
#define OFFER(head)	offer(self->ram, &self->next_avail, head)

/* Three readable buffers, then a writable one the device ignores. */
TEST_F(port0, transmit_in_order)
{
	char out[64] = { 0 };
	int p[2];

	ASSERT_EQ(0, pipe(p));
	memcpy(self->ram + BUF, "hel", 3);
	memcpy(self->ram + BUF + 0x100, "lo ", 3);
	memcpy(self->ram + BUF + 0x200, "world", 5);
	set_desc(self->ram, DESC, 0, BUF, 3, VRING_DESC_F_NEXT, 1);
	set_desc(self->ram, DESC, 1, BUF + 0x100, 3, VRING_DESC_F_NEXT, 2);
	set_desc(self->ram, DESC, 2, BUF + 0x200, 5, 0, 0);
	memcpy(self->ram + BUF + 0x300, "!\n", 2);
	set_desc(self->ram, DESC, 3, BUF + 0x300, 2, VRING_DESC_F_NEXT, 4);
	set_desc(self->ram, DESC, 4, BUF + 0x400, 16, VRING_DESC_F_WRITE, 0);
	OFFER(0);
	OFFER(3);
	ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
	EXPECT_EQ(3, self->e.nr_out);
	EXPECT_EQ(0, vcon_transmit(&self->e, p[1]));
	ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
	EXPECT_EQ(0, vcon_transmit(&self->e, p[1]));
	close(p[1]);
	EXPECT_EQ(13, read(p[0], out, sizeof(out)));
	EXPECT_STREQ("hello world!\n", out);
	close(p[0]);
	/* no output file: nothing to do, no error */
	EXPECT_EQ(0, vcon_transmit(&self->e, -1));
}

struct drain {
	int fd;
	uint8_t *buf;
	size_t len;
};

static void *drain_pipe(void *arg)
{
	struct drain *d = arg;
	ssize_t n;

	usleep(20000);		/* let the pipe fill first */
	while ((n = read(d->fd, d->buf + d->len, BIG - d->len)) > 0)
		d->len += n;
	return NULL;
}

/*
 * A 1 MiB chain into a non-blocking pipe of 64 KiB: the device waits for
 * room instead of dropping what does not fit.
 */
TEST_F(port0, transmit_full_pipe)
{
	struct drain d = { .len = 0 };
	pthread_t t;
	uint64_t i;
	int p[2];

	d.buf = malloc(BIG);
	ASSERT_NE(NULL, d.buf);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(0, fcntl(p[1], F_SETFL, O_NONBLOCK));
	for (i = 0; i < BIG; i++)
		self->ram[BUF + i] = i * 7 + (i >> 12);
	set_desc(self->ram, DESC, 0, BUF, BIG / 2, VRING_DESC_F_NEXT, 1);
	set_desc(self->ram, DESC, 1, BUF + BIG / 2, BIG / 2, 0, 0);
	OFFER(0);
	ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
	d.fd = p[0];
	ASSERT_EQ(0, pthread_create(&t, NULL, drain_pipe, &d));
	EXPECT_EQ(0, vcon_transmit(&self->e, p[1]));
	close(p[1]);
	pthread_join(t, NULL);
	close(p[0]);
	ASSERT_EQ(BIG, d.len);
	EXPECT_EQ(0, memcmp(d.buf, self->ram + BUF, BIG));
	free(d.buf);
}

TEST_F(port0, transmit_error)
{
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, pipe(p));
	close(p[0]);
	set_desc(self->ram, DESC, 0, BUF, 8, 0, 0);
	OFFER(0);
	ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
	EXPECT_EQ(-1, vcon_transmit(&self->e, p[1]));
	EXPECT_EQ(EPIPE, errno);
	close(p[1]);
}

/* Pending input spread over writable buffers, the rest kept in order. */
TEST_F(port0, receive)
{
	struct vcon_pending in = { .len = 0 };

	memcpy(in.buf, "abcdef", 6);
	in.len = 6;
	memset(self->ram + BUF, '.', 0x1000);
	/* a readable buffer first: skipped, not written */
	set_desc(self->ram, DESC, 0, BUF, 4, VRING_DESC_F_NEXT, 1);
	set_desc(self->ram, DESC, 1, BUF + 0x100, 2,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	set_desc(self->ram, DESC, 2, BUF + 0x200, 3, VRING_DESC_F_WRITE, 0);
	set_desc(self->ram, DESC, 3, BUF + 0x300, 64, VRING_DESC_F_WRITE, 0);
	set_desc(self->ram, DESC, 4, BUF + 0x400, 64, VRING_DESC_F_WRITE, 0);
	OFFER(0);
	OFFER(3);
	OFFER(4);
	ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
	EXPECT_EQ(5, vcon_receive(&self->e, &in));
	EXPECT_EQ(0, memcmp(self->ram + BUF, "....", 4));
	EXPECT_EQ(0, memcmp(self->ram + BUF + 0x100, "ab.", 3));
	EXPECT_EQ(0, memcmp(self->ram + BUF + 0x200, "cde.", 4));
	EXPECT_EQ(1, in.len);
	EXPECT_EQ(5, in.off);

	ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
	EXPECT_EQ(1, vcon_receive(&self->e, &in));
	EXPECT_EQ(0, memcmp(self->ram + BUF + 0x300, "f.", 2));
	EXPECT_EQ(0, in.len);
	EXPECT_EQ(0, in.off);

	/* nothing pending: the chain gets nothing */
	ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
	EXPECT_EQ(0, vcon_receive(&self->e, &in));
	EXPECT_EQ('.', self->ram[BUF + 0x400]);
}

struct stops {
	int calls, status;
};

static void record_stop(void *ctx, int status, const char *why)
{
	struct stops *s = ctx;

	s->calls++;
	s->status = status;
}

TEST(escape)
{
	struct console_escape e;
	struct stops st = { 0 };

	console_escape_init(&e, true, record_stop, &st);
	EXPECT_EQ(1, console_escape(&e, 'a'));
	EXPECT_EQ(0, console_escape(&e, SERIAL_ESCAPE_CHAR));
	EXPECT_EQ(1, console_escape(&e, SERIAL_ESCAPE_CHAR));
	EXPECT_EQ(0, console_escape(&e, SERIAL_ESCAPE_CHAR));
	EXPECT_EQ(0, console_escape(&e, 'z'));
	EXPECT_EQ(1, console_escape(&e, 'x'));
	EXPECT_EQ(0, st.calls);
	EXPECT_EQ(0, console_escape(&e, SERIAL_ESCAPE_CHAR));
	EXPECT_EQ(-1, console_escape(&e, 'x'));
	EXPECT_EQ(1, st.calls);
	EXPECT_EQ(HVX_RUN_EXIT_ESCAPE, st.status);

	/* not a terminal: every byte is the guest's */
	console_escape_init(&e, false, record_stop, &st);
	EXPECT_EQ(1, console_escape(&e, SERIAL_ESCAPE_CHAR));
	EXPECT_EQ(1, console_escape(&e, 'x'));
	EXPECT_EQ(1, st.calls);
}

/*
 * Input read while the driver takes none: kept up to VCON_PENDING_MAX
 * bytes (what was partly delivered moves to the front), the rest lost,
 * and Ctrl-A x still seen at the end of it.
 */
TEST(input_waits_escape_seen)
{
	static struct vcon_pending in;
	static uint8_t buf[VCON_PENDING_MAX + 100];
	struct console_escape e;
	struct stops st = { 0 };
	uint8_t tail[8];
	bool stop = false;
	size_t i;

	console_escape_init(&e, true, record_stop, &st);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = 'a' + i % 26;
	in.off = 10;
	in.len = 5;
	memset(in.buf, '-', 15);
	ASSERT_EQ(sizeof(buf), console_escape_buf(&e, buf, sizeof(buf), &stop));
	EXPECT_FALSE(stop);
	vcon_keep(&in, buf, sizeof(buf));
	EXPECT_EQ(0, in.off);
	EXPECT_EQ(VCON_PENDING_MAX, in.len);
	EXPECT_EQ('-', in.buf[0]);
	EXPECT_EQ('a', in.buf[5]);
	EXPECT_EQ('a' + (VCON_PENDING_MAX - 6) % 26,
		  in.buf[VCON_PENDING_MAX - 1]);
	memcpy(tail, "y\001\001x\001xz", 7);
	EXPECT_EQ(3, console_escape_buf(&e, tail, 7, &stop));
	EXPECT_TRUE(stop);
	EXPECT_EQ(0, memcmp(tail, "y\001x", 3));
	EXPECT_EQ(1, st.calls);
	EXPECT_EQ(HVX_RUN_EXIT_ESCAPE, st.status);
}

static int no_doorbell(void *ctx, int efd, uint64_t gpa, bool on)
{
	return -1;	/* the kicks come through virtio_bar_write() */
}

/* The whole device, its input and output on pipes, set up by a driver. */
FIXTURE(con) {
	uint8_t *ram;
	uint16_t next[2];
	struct virtio_dev *v;
	int in[2], out[2];
};

/* Features, both queues on fresh rings, DRIVER_OK. */
static void con_driver_up(FIXTURE_DATA(con) *self)
{
	unsigned int q;

	memset(self->ram + DESC, 0, 0x8000);
	self->next[0] = self->next[1] = 0;
	driver_features(self->v, 1ULL << VIRTIO_F_VERSION_1);
	for (q = 0; q < 2; q++)
		driver_queue(self->v, q, QSIZE, DESC + 0x4000 * q,
			     AVAIL + 0x4000 * q, USED + 0x4000 * q);
	cc_write(self->v, CC_STATUS, 0x0f, 1);
}

/* FIXTURE(con)'s device, its input thread with the escape on or off. */
static void con_open(struct __test_metadata *_metadata,
		     FIXTURE_DATA(con) *self, bool escape, struct stops *st)
{
	struct vq_mem mem;

	self->ram = calloc(1, RAM_SIZE);
	ASSERT_NE(NULL, self->ram);
	ASSERT_EQ(0, pipe2(self->in, O_CLOEXEC | O_NONBLOCK));
	ASSERT_EQ(0, pipe2(self->out, O_CLOEXEC));
	mem.base = self->ram;
	mem.size = RAM_SIZE;
	self->v = virtio_console_create(&mem, no_doorbell, NULL, self->in[0],
					self->out[1]);
	ASSERT_NE(NULL, self->v);
	ASSERT_EQ(0, virtio_start(self->v));
	ASSERT_EQ(0, virtio_console_start_input(self->v, escape,
						escape ? record_stop : NULL,
						st));
	con_driver_up(self);
}

static void con_close(FIXTURE_DATA(con) *self)
{
	virtio_console_stop_input(self->v);
	virtio_stop(self->v);
	virtio_console_free(self->v);
	close(self->in[0]);
	close(self->in[1]);
	close(self->out[0]);
	close(self->out[1]);
	free(self->ram);
}

FIXTURE_SETUP(con)
{
	con_open(_metadata, self, false, NULL);
}

FIXTURE_TEARDOWN(con)
{
	con_close(self);
}

/* Post a 64-byte receive buffer at @buf. */
static void con_post_rx(FIXTURE_DATA(con) *self, uint64_t buf)
{
	set_desc(self->ram, DESC, 0, buf, 64, VRING_DESC_F_WRITE, 0);
	vring_offer(self->ram, AVAIL, QSIZE, &self->next[0], 0);
	driver_kick(self->v, VCON_RECEIVEQ);
}

/*
 * Once a malformed transmit chain set NEEDS_RESET, the input waits in
 * hvx-run for the reset, rather than go into receive buffers the driver
 * posted.
 */
TEST_F(con, broken_console_takes_no_input)
{
	uint8_t *ram = self->ram;
	unsigned int i;

	/* a receive buffer; a transmit chain that loops */
	con_post_rx(self, BUF);
	set_desc(ram, DESC + 0x4000, 0, BUF + 0x1000, 8, VRING_DESC_F_NEXT, 0);
	vring_offer(ram, AVAIL + 0x4000, QSIZE, &self->next[1], 0);
	driver_kick(self->v, VCON_TRANSMITQ);
	for (i = 0; i < 5000 && !(dev_status(self->v) &
				  VIRTIO_STATUS_NEEDS_RESET); i++)
		usleep(1000);
	ASSERT_NE(0, dev_status(self->v) & VIRTIO_STATUS_NEEDS_RESET);
	ASSERT_EQ(3, write(self->in[1], "abc", 3));
	usleep(100 * 1000);
	EXPECT_EQ(0, get_le16(ram + USED + 2));
}

/* Bytes waiting in the pipe's read end @fd, as many as @buf holds. */
static ssize_t pipe_take(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 0) != 1)
		return 0;
	return read(fd, buf, len);
}

/* "abc" typed, and a transmit chain of "xyz" posted and kicked. */
static void input_and_output(struct __test_metadata *_metadata,
			     FIXTURE_DATA(con) *self)
{
	memcpy(self->ram + BUF + 0x1000, "xyz", 3);
	set_desc(self->ram, DESC + 0x4000, 0, BUF + 0x1000, 3, 0, 0);
	vring_offer(self->ram, AVAIL + 0x4000, QSIZE, &self->next[1], 0);
	driver_kick(self->v, VCON_TRANSMITQ);
	ASSERT_EQ(3, write(self->in[1], "abc", 3));
}

/* Neither: no input in the buffer at BUF, nothing on the output. */
static void expect_none_taken(struct __test_metadata *_metadata,
			      FIXTURE_DATA(con) *self)
{
	char got[8];

	EXPECT_EQ(0, get_le16(self->ram + USED + 2));
	EXPECT_EQ(0, self->ram[BUF]);
	EXPECT_EQ(0, get_le16(self->ram + USED + 0x4000 + 2));
	EXPECT_EQ(0, pipe_take(self->out[0], got, sizeof(got)));
}

/*
 * Bus mastering off: input waits in hvx-run, a transmit chain stays
 * unread, also once the bit is set again (the device needs a reset); the
 * driver that sets it up anew gets the input.
 */
TEST_F(con, bus_master_off_holds_both_ways)
{
	uint8_t *ram = self->ram;
	unsigned int i;

	con_post_rx(self, BUF);
	driver_bus_master(self->v, false);
	input_and_output(_metadata, self);
	usleep(100 * 1000);
	driver_bus_master(self->v, true);
	driver_kick(self->v, VCON_RECEIVEQ);
	driver_kick(self->v, VCON_TRANSMITQ);
	usleep(100 * 1000);
	expect_none_taken(_metadata, self);
	EXPECT_NE(0, dev_status(self->v) & VIRTIO_STATUS_NEEDS_RESET);

	/* reset, set up anew: the input waited for the new buffer */
	cc_write(self->v, CC_STATUS, 0, 1);
	con_driver_up(self);
	con_post_rx(self, BUF + 0x100);
	for (i = 0; i < 5000 && get_le16(ram + USED + 2) != 1; i++)
		usleep(1000);
	EXPECT_EQ(1, get_le16(ram + USED + 2));
	EXPECT_EQ(0, memcmp(ram + BUF + 0x100, "abc", 3));
	EXPECT_EQ(0, ram[BUF]);
}

/*
 * Before DRIVER_OK, input waits in hvx-run and a transmit chain stays
 * unread, though the driver posted and kicked them (virtio 1.2, 3.1.2);
 * setting DRIVER_OK delivers both.
 */
TEST_F(con, nothing_taken_before_driver_ok)
{
	uint8_t *ram = self->ram;
	unsigned int i;
	char got[8];

	cc_write(self->v, CC_STATUS, 0, 1);
	memset(ram + DESC, 0, 0x8000);
	self->next[0] = self->next[1] = 0;
	driver_negotiate(self->v, 1ULL << VIRTIO_F_VERSION_1);
	for (i = 0; i < 2; i++)
		driver_queue(self->v, i, QSIZE, DESC + 0x4000 * i,
			     AVAIL + 0x4000 * i, USED + 0x4000 * i);
	con_post_rx(self, BUF);
	input_and_output(_metadata, self);
	usleep(100 * 1000);
	expect_none_taken(_metadata, self);

	cc_write(self->v, CC_STATUS, 0x0f, 1);
	for (i = 0; i < 5000 && (get_le16(ram + USED + 2) != 1 ||
				 get_le16(ram + USED + 0x4000 + 2) != 1); i++)
		usleep(1000);
	EXPECT_EQ(1, get_le16(ram + USED + 2));
	EXPECT_EQ(0, memcmp(ram + BUF, "abc", 3));
	EXPECT_EQ(1, get_le16(ram + USED + 0x4000 + 2));
	EXPECT_EQ(3, pipe_take(self->out[0], got, sizeof(got)));
	EXPECT_EQ(0, memcmp(got, "xyz", 3));
}

/*
 * Post a @len-byte receive buffer at @buf as chain @head; wait for it.
 * Return: the bytes it took, -1 when it came back in no 5 s.
 */
static int con_rx_wait(FIXTURE_DATA(con) *self, uint16_t head, uint64_t buf,
		       uint32_t len)
{
	unsigned int i;

	set_desc(self->ram, DESC, head, buf, len, VRING_DESC_F_WRITE, 0);
	vring_offer(self->ram, AVAIL, QSIZE, &self->next[0], head);
	driver_kick(self->v, VCON_RECEIVEQ);
	for (i = 0; i < 5000 && get_le16(self->ram + USED + 2) != head + 1;
	     i++)
		usleep(1000);
	return get_le16(self->ram + USED + 2) == head + 1 ?
	       (int)get_le32(self->ram + USED + 4 + 8 * head + 4) : -1;
}

/*
 * A pipe (no escape) is read only as fast as the driver takes its bytes:
 * 8 KiB written while no buffer is posted, twice what hvx-run holds,
 * leave 4 KiB in the pipe, and all of it reaches the guest, in order,
 * once it posts buffers (as many as the input thread, reading on as
 * room comes, fills).  Before, the thread read on and dropped what did
 * not fit.
 */
TEST_F(con, piped_input_waits_for_the_driver)
{
	static uint8_t data[2 * VCON_PENDING_MAX];
	unsigned int i, got = 0;
	int left = -1, n;

	for (i = 0; i < sizeof(data); i++)
		data[i] = 'a' + i % 23 + i / 4096;
	ASSERT_EQ(sizeof(data), write(self->in[1], data, sizeof(data)));
	/* the thread has taken what it holds; give it time to read on */
	for (i = 0; i < 5000; i++) {
		ASSERT_EQ(0, ioctl(self->in[0], FIONREAD, &left));
		if (left <= VCON_PENDING_MAX)
			break;
		usleep(1000);
	}
	usleep(100 * 1000);
	ASSERT_EQ(0, ioctl(self->in[0], FIONREAD, &left));
	EXPECT_EQ(VCON_PENDING_MAX, left);

	for (i = 0; i < QSIZE && got < sizeof(data); i++) {
		n = con_rx_wait(self, i, BUF + 0x4000 * i, 0x4000);
		ASSERT_LT(0, n);
		ASSERT_GE(sizeof(data) - got, (unsigned int)n);
		EXPECT_EQ(0, memcmp(self->ram + BUF + 0x4000 * i, data + got,
				    n));
		got += n;
	}
	EXPECT_EQ(sizeof(data), got);
}

/* The same device on a terminal: its input through the escape. */
FIXTURE(con_esc) {
	FIXTURE_DATA(con) c;
	struct stops st;
};

FIXTURE_SETUP(con_esc)
{
	con_open(_metadata, &self->c, true, &self->st);
}

FIXTURE_TEARDOWN(con_esc)
{
	con_close(&self->c);
}

/* A receive queue as large as the device takes, apart from the others. */
#define BIG_Q		VQ_MAX_SIZE
#define BIG_DESC	0x100000
#define BIG_AVAIL	0x108000
#define BIG_USED	0x109000

struct spinner {
	struct virtio_dev *v;
	uint8_t *ram;
	bool stop;
};

/*
 * A driver that offers chain 0 again as soon as it comes back, the whole
 * queue ahead of the device.
 */
static void *offer_forever(void *arg)
{
	struct spinner *sp = arg;
	uint16_t used;

	while (!__atomic_load_n(&sp->stop, __ATOMIC_RELAXED)) {
		used = __atomic_load_n((uint16_t *)(sp->ram + BIG_USED + 2),
				       __ATOMIC_ACQUIRE);
		__atomic_store_n((uint16_t *)(sp->ram + BIG_AVAIL + 2),
				 (uint16_t)(used + BIG_Q), __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * Ctrl-A x is seen, and the device stays sound, while a driver keeps it
 * busy with receive chains that take nothing (readable buffers only,
 * handed back empty, the typed byte still waiting), VCON_RX_BUDGET at a
 * go.  The escape is read outside the console's lock, which the device
 * holds while it fills chains; this does not show here whether the lock
 * was needed: the device runs out of offered chains between two of the
 * driver thread's refreshes (a queue's worth), and lets the lock go.
 */
TEST_F(con_esc, escape_seen_while_chains_take_nothing)
{
	struct spinner sp = { .v = self->c.v, .ram = self->c.ram };
	uint8_t *ram = self->c.ram;
	unsigned int i;
	pthread_t t;

	cc_write(sp.v, CC_STATUS, 0, 1);
	driver_features(sp.v, 1ULL << VIRTIO_F_VERSION_1);
	driver_queue(sp.v, VCON_RECEIVEQ, BIG_Q, BIG_DESC, BIG_AVAIL,
		     BIG_USED);
	driver_queue(sp.v, VCON_TRANSMITQ, QSIZE, DESC + 0x4000,
		     AVAIL + 0x4000, USED + 0x4000);
	cc_write(sp.v, CC_STATUS, 0x0f, 1);
	set_desc(ram, BIG_DESC, 0, BUF, 8, 0, 0);
	ASSERT_EQ(1, write(self->c.in[1], "a", 1));
	usleep(100 * 1000);
	ASSERT_EQ(0, pthread_create(&t, NULL, offer_forever, &sp));
	driver_kick(sp.v, VCON_RECEIVEQ);
	for (i = 0; i < 5000 && get_le16(ram + BIG_USED + 2) < 4 * BIG_Q;
	     i++)
		usleep(1000);
	ASSERT_EQ(2, write(self->c.in[1], "\001x", 2));
	for (i = 0; i < 2000 &&
	     !__atomic_load_n(&self->st.calls, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	__atomic_store_n(&sp.stop, true, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	EXPECT_EQ(1, self->st.calls);
	EXPECT_EQ(HVX_RUN_EXIT_ESCAPE, self->st.status);
	EXPECT_EQ(0, dev_status(sp.v) & VIRTIO_STATUS_NEEDS_RESET);
}

TEST_HARNESS_MAIN
