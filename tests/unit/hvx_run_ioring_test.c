// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run's consumer of the shared I/O ring (ioring.c), on a ring in
 * plain memory that the test fills as hvx.ko would: entries are served
 * in ring order, one consumer at a time; a vCPU waits for, and serves,
 * its own entries only, so that a device blocked on one vCPU's entry
 * (the UART with stdout stalled) holds up no other vCPU's exit; a drain
 * of everything (an exit to the UART, the ring's thread) waits for all.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kselftest_harness.h"
#include "../../userspace/hvx-run/hvx-run.h"

#define PORT		0x3f8
#define CAPACITY	256
#define STALL		'S'	/* the device blocks on this byte */
#define STALL2		'T'	/* and on this one */

/* A port that records the bytes written to it, in order. */
struct recorder {
	pthread_mutex_t lock;
	char bytes[1024];
	unsigned int n;
	sem_t entered[2];	/* posted when it blocks on STALL, STALL2 */
	sem_t release[2];	/* lets it go on */
};

static void rec_out(void *opaque, uint16_t port, uint8_t val)
{
	struct recorder *rec = opaque;
	int i = val == STALL2;

	if (val == STALL || val == STALL2) {
		sem_post(&rec->entered[i]);
		while (sem_wait(&rec->release[i]))
			;
	}
	pthread_mutex_lock(&rec->lock);
	if (rec->n < sizeof(rec->bytes) - 1)
		rec->bytes[rec->n++] = val;
	pthread_mutex_unlock(&rec->lock);
}

static const struct io_port_ops rec_ops = { .out = rec_out };

FIXTURE(ioring) {
	struct io_bus bus;
	struct recorder rec;
	struct io_ring r;
	void *mem;
};

FIXTURE_SETUP(ioring)
{
	struct hvx_ring_header *hdr;
	int i;

	memset(&self->rec, 0, sizeof(self->rec));
	pthread_mutex_init(&self->rec.lock, NULL);
	for (i = 0; i < 2; i++) {
		sem_init(&self->rec.entered[i], 0, 0);
		sem_init(&self->rec.release[i], 0, 0);
	}
	io_bus_init(&self->bus, stderr);
	/* eight ports, as the UART's */
	ASSERT_EQ(0, io_bus_register(&self->bus, PORT, 8, &rec_ops,
				     &self->rec, "rec"));
	self->mem = calloc(1, HVX_RING_MMAP_SIZE((size_t)CAPACITY));
	ASSERT_NE(NULL, self->mem);
	hdr = self->mem;
	hdr->capacity = CAPACITY;
	memset(&self->r, 0, sizeof(self->r));
	self->r.map.fd = -1;
	self->r.map.hdr = hdr;
	self->r.map.entries = (const void *)((char *)self->mem +
					     HVX_RING_ENTRIES_OFFSET);
	self->r.map.mask = CAPACITY - 1;
	self->r.bus = &self->bus;
	pthread_mutex_init(&self->r.lock, NULL);
	pthread_cond_init(&self->r.served, NULL);
	self->r.on = true;
}

FIXTURE_TEARDOWN(ioring)
{
	pthread_cond_destroy(&self->r.served);
	pthread_mutex_destroy(&self->r.lock);
	free(self->mem);
	io_bus_destroy(&self->bus);
}

/* hvx.ko's side: a posted OUT of @val to PORT by @vcpu. */
static void post(struct io_ring *r, uint32_t vcpu, uint8_t val)
{
	struct hvx_ring_header *hdr = r->map.hdr;
	struct hvx_ring_entry *e;

	e = (struct hvx_ring_entry *)&r->map.entries[hdr->producer &
						      r->map.mask];
	memset(e, 0, sizeof(*e));
	e->seq = hdr->producer + 1;
	e->addr = PORT;
	e->data = val;
	e->vcpu = vcpu;
	e->type = HVX_RING_PIO;
	e->size = 1;
	e->flags = HVX_RING_F_WRITE | HVX_RING_F_POSTED;
	__atomic_store_n(&hdr->producer, hdr->producer + 1,
			 __ATOMIC_RELEASE);
}

struct drainer {
	struct io_ring *r;
	int vcpu;
	pthread_t thread;
	bool done;		/* atomic */
};

static void *drain_thread(void *arg)
{
	struct drainer *d = arg;

	io_ring_drain(d->r, d->vcpu);
	__atomic_store_n(&d->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static void start(struct drainer *d, struct io_ring *r, int vcpu)
{
	d->r = r;
	d->vcpu = vcpu;
	d->done = false;
	pthread_create(&d->thread, NULL, drain_thread, d);
}

/* Whether @d's drain returns within @ms. */
static bool returns_within(struct drainer *d, int ms)
{
	struct timespec ts = { 0, 1000000 };

	while (ms-- > 0) {
		if (__atomic_load_n(&d->done, __ATOMIC_ACQUIRE))
			return true;
		nanosleep(&ts, NULL);
	}
	return __atomic_load_n(&d->done, __ATOMIC_ACQUIRE);
}

static const char *bytes(struct recorder *rec)
{
	pthread_mutex_lock(&rec->lock);
	rec->bytes[rec->n] = '\0';
	pthread_mutex_unlock(&rec->lock);
	return rec->bytes;
}

/*
 * vCPU 0's entry blocks the device: vCPU 1, with nothing posted, goes on
 * at once, and so does vCPU 2 whose entries were served before it; vCPU
 * 0's second entry, behind the blocked one, holds vCPU 0 until it is
 * served.
 */
TEST_F(ioring, blocked_entry_holds_its_vcpu_only)
{
	struct drainer a, b, c, d;

	post(&self->r, 2, 'a');
	post(&self->r, 0, STALL);
	post(&self->r, 0, 'b');
	start(&a, &self->r, 0);
	ASSERT_EQ(0, sem_wait(&self->rec.entered[0]));
	/* the next entry, vCPU 3's, is not taken yet: it waits */
	post(&self->r, 3, 'c');

	start(&b, &self->r, 1);
	EXPECT_TRUE(returns_within(&b, 5000));
	start(&c, &self->r, 2);
	EXPECT_TRUE(returns_within(&c, 5000));
	start(&d, &self->r, 3);
	EXPECT_FALSE(returns_within(&d, 50));
	EXPECT_FALSE(__atomic_load_n(&a.done, __ATOMIC_ACQUIRE));
	EXPECT_STREQ("a", bytes(&self->rec));

	sem_post(&self->rec.release[0]);
	pthread_join(a.thread, NULL);
	pthread_join(b.thread, NULL);
	pthread_join(c.thread, NULL);
	pthread_join(d.thread, NULL);
	EXPECT_STREQ("aSbc", bytes(&self->rec));
	EXPECT_EQ(self->r.map.hdr->producer, self->r.map.hdr->consumer);
}

/*
 * vCPU 2 waits while its entry is in service; once it is served, vCPU 2
 * goes on though the next entry, vCPU 0's, blocks the device.
 */
TEST_F(ioring, waiter_goes_on_once_its_entry_is_served)
{
	struct drainer a, c;

	post(&self->r, 2, STALL2);
	post(&self->r, 0, STALL);
	start(&a, &self->r, 0);
	ASSERT_EQ(0, sem_wait(&self->rec.entered[1]));
	start(&c, &self->r, 2);
	EXPECT_FALSE(returns_within(&c, 50));
	sem_post(&self->rec.release[1]);
	ASSERT_EQ(0, sem_wait(&self->rec.entered[0]));
	EXPECT_TRUE(returns_within(&c, 5000));
	EXPECT_STREQ("T", bytes(&self->rec));
	sem_post(&self->rec.release[0]);
	pthread_join(a.thread, NULL);
	pthread_join(c.thread, NULL);
	EXPECT_STREQ("TS", bytes(&self->rec));
}

/*
 * The ring's thread and the main thread's last drain wait for a blocked
 * consumer to empty the ring (the thread would otherwise find entries
 * pending and poll again at once, for as long as the consumer waits).
 */
TEST_F(ioring, all_waits_for_the_consumer)
{
	struct drainer a, all;

	post(&self->r, 0, STALL);
	start(&a, &self->r, 0);
	ASSERT_EQ(0, sem_wait(&self->rec.entered[0]));
	post(&self->r, 1, 'x');
	start(&all, &self->r, IO_RING_ALL);
	EXPECT_FALSE(returns_within(&all, 50));
	sem_post(&self->rec.release[0]);
	pthread_join(a.thread, NULL);
	pthread_join(all.thread, NULL);
	EXPECT_STREQ("Sx", bytes(&self->rec));
	EXPECT_EQ(self->r.map.hdr->producer, self->r.map.hdr->consumer);
}

/*
 * A vCPU with no entry of its own serves none (another vCPU's output may
 * block); one with entries serves up to its last and stops there.
 */
TEST_F(ioring, vcpu_serves_only_up_to_its_own_entries)
{
	struct drainer b, a;

	post(&self->r, 0, 'a');
	post(&self->r, 1, STALL);
	start(&b, &self->r, 2);
	EXPECT_TRUE(returns_within(&b, 5000));
	EXPECT_STREQ("", bytes(&self->rec));
	start(&a, &self->r, 0);
	EXPECT_TRUE(returns_within(&a, 5000));
	EXPECT_STREQ("a", bytes(&self->rec));
	EXPECT_EQ(1, self->r.map.hdr->consumer);
	pthread_join(b.thread, NULL);
	pthread_join(a.thread, NULL);
	/* the rest is the ring's thread's, or the next drain's */
	start(&a, &self->r, IO_RING_ALL);
	ASSERT_EQ(0, sem_wait(&self->rec.entered[0]));
	sem_post(&self->rec.release[0]);
	pthread_join(a.thread, NULL);
	EXPECT_STREQ("aS", bytes(&self->rec));
}

/*
 * Several batches, from several vCPUs draining at once as their exits
 * come: every entry once, in ring order.
 */
TEST_F(ioring, entries_served_once_in_ring_order)
{
	struct drainer d[4];
	char want[sizeof(self->rec.bytes)];
	unsigned int i, n = 0;

	for (i = 0; i < 200; i++) {
		want[n++] = 'a' + i % 26;
		post(&self->r, i % 4, 'a' + i % 26);
	}
	want[n] = '\0';
	for (i = 0; i < 4; i++)
		start(&d[i], &self->r, i);
	for (i = 0; i < 4; i++)
		pthread_join(d[i].thread, NULL);
	EXPECT_STREQ(want, bytes(&self->rec));
	EXPECT_EQ(200, self->r.map.hdr->consumer);
}

/*
 * Which exits wait for every vCPU's posts: those to the ports of the
 * device that owns the posted port, the UART's, only.
 */
TEST_F(ioring, orders_exit)
{
	struct io_ring *r = &self->r;
	struct hvx_run run = { .exit_reason = HVX_EXIT_IO };

	run.io.size = 1;
	run.io.port = PORT;
	EXPECT_TRUE(io_ring_orders_exit(r, &run));
	run.io.port = PORT + 7;
	EXPECT_TRUE(io_ring_orders_exit(r, &run));
	run.io.port = PORT + 8;
	EXPECT_FALSE(io_ring_orders_exit(r, &run));
	run.io.port = PORT - 1;
	EXPECT_FALSE(io_ring_orders_exit(r, &run));
	run.io.size = 2;
	EXPECT_TRUE(io_ring_orders_exit(r, &run));
	run.io.port = 0x2f8;
	EXPECT_FALSE(io_ring_orders_exit(r, &run));
	run.exit_reason = HVX_EXIT_MMIO;
	run.io.port = PORT;
	EXPECT_FALSE(io_ring_orders_exit(r, &run));
}

/*
 * What a vCPU's HVX_RUN return serves: nothing without an exit, its own
 * entries before an exit, everything before an access to the UART; and
 * everything at every return once the ring's thread is gone.
 */
TEST_F(ioring, returned_serves_what_the_exit_needs)
{
	struct hvx_run hlt = { .exit_reason = HVX_EXIT_HLT };
	struct hvx_run uart = { .exit_reason = HVX_EXIT_IO,
				.io = { .size = 1, .port = PORT + 5 } };

	post(&self->r, 1, 'a');
	post(&self->r, 0, 'b');
	post(&self->r, 1, 'c');
	io_ring_returned(&self->r, 0, NULL);
	EXPECT_STREQ("", bytes(&self->rec));
	io_ring_returned(&self->r, 0, &hlt);
	EXPECT_STREQ("ab", bytes(&self->rec));
	post(&self->r, 1, 'd');
	io_ring_returned(&self->r, 0, &uart);
	EXPECT_STREQ("abcd", bytes(&self->rec));
	post(&self->r, 1, 'e');
	self->r.orphaned = true;
	io_ring_returned(&self->r, 0, NULL);
	EXPECT_STREQ("abcde", bytes(&self->rec));
}

/* An empty ring, or no ring: nothing to wait for. */
TEST_F(ioring, nothing_to_serve)
{
	io_ring_drain(&self->r, 0);
	io_ring_drain(&self->r, IO_RING_ALL);
	io_ring_drain(NULL, 0);
	self->r.on = false;
	post(&self->r, 0, 'z');
	io_ring_drain(&self->r, 0);
	EXPECT_STREQ("", bytes(&self->rec));
}

TEST_HARNESS_MAIN
