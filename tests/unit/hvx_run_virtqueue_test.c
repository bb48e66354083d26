// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's split virtqueues
 * (userspace/hvx-run/virtqueue.c) with rings built by hand in a fake
 * guest RAM followed by an inaccessible guard page: good chains, direct
 * and indirect; each malformed chain (a loop, a chain longer than the
 * queue, buffers outside RAM or wrapping, too many buffers or bytes, a
 * readable buffer after a writable one, indices out of range, bad
 * indirect tables, more chains offered than the queue holds) stops the
 * queue, hands out nothing and touches nothing outside RAM; event-index
 * and flag interrupt suppression; the checks of the ring addresses at
 * start; rings filled at random.
 */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"
#include "../../userspace/hvx-run/virtqueue.h"
#include "vring_build.h"
#include "xorshift.h"

#define RAM_SIZE	(80ULL << 20)	/* room for an oversize chain */
#define QSIZE		8
#define DESC		0x1000
#define AVAIL		0x2000
#define USED		0x3000
#define BUF		0x10000
#define INDIRECT	0x8000

FIXTURE(vq) {
	uint8_t *ram;
	struct vq_mem mem;
	struct virtqueue vq;
	struct vq_elem e;
	uint16_t next_avail;
};

FIXTURE_SETUP(vq)
{
	long page = sysconf(_SC_PAGESIZE);

	self->ram = mmap(NULL, RAM_SIZE + page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, self->ram);
	/* anything the queue touches past RAM faults */
	ASSERT_EQ(0, mprotect(self->ram + RAM_SIZE, page, PROT_NONE));
	self->mem.base = self->ram;
	self->mem.size = RAM_SIZE;
	self->next_avail = 0;
	vq_init(&self->vq, &self->mem, "test queue");
	ASSERT_EQ(0, vq_start(&self->vq, QSIZE, DESC, AVAIL, USED, false,
			      true));
}

FIXTURE_TEARDOWN(vq)
{
	vq_destroy(&self->vq);
	munmap(self->ram, RAM_SIZE + sysconf(_SC_PAGESIZE));
}

/* Make chain @head available. */
#define offer(ram, next, head)	vring_offer(ram, AVAIL, QSIZE, next, head)
#define OFFER(head)	offer(self->ram, &self->next_avail, head)

TEST_F(vq, good_chain_and_used_ring)
{
	set_desc(self->ram, DESC, 2, BUF, 16, VRING_DESC_F_NEXT, 5);
	set_desc(self->ram, DESC, 5, BUF + 0x100, 512, VRING_DESC_F_NEXT, 0);
	set_desc(self->ram, DESC, 0, BUF + 0x400, 1, VRING_DESC_F_WRITE, 0);
	EXPECT_EQ(0, vq_pop(&self->vq, &self->e));
	OFFER(2);
	ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
	EXPECT_EQ(2, self->e.head);
	EXPECT_EQ(2, self->e.nr_out);
	EXPECT_EQ(1, self->e.nr_in);
	EXPECT_EQ(528, self->e.out_len);
	EXPECT_EQ(1, self->e.in_len);
	EXPECT_EQ(self->ram + BUF, self->e.iov[0].iov_base);
	EXPECT_EQ(self->ram + BUF + 0x400, self->e.iov[2].iov_base);
	EXPECT_EQ(0, vq_pop(&self->vq, &self->e));
	EXPECT_FALSE(vq_has_more(&self->vq));
	/* the used ring: id, len, then the index */
	EXPECT_TRUE(vq_push(&self->vq, 2, 1));
	EXPECT_EQ(2, get_le32(self->ram + USED + 4));
	EXPECT_EQ(1, get_le32(self->ram + USED + 8));
	EXPECT_EQ(1, get_le16(self->ram + USED + 2));
	OFFER(2);
	EXPECT_TRUE(vq_has_more(&self->vq));
}

/* The queue stopped after a malformed chain: nothing more comes out. */
static void expect_stopped(struct __test_metadata *_metadata,
			   struct virtqueue *vq, struct vq_elem *e,
			   uint8_t *ram)
{
	EXPECT_FALSE(vq->ready);
	EXPECT_EQ(0, vq_pop(vq, e));
	EXPECT_FALSE(vq_push(vq, 0, 0));
	EXPECT_EQ(0, get_le16(ram + USED + 2));
}

TEST_F(vq, loop)
{
	set_desc(self->ram, DESC, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(self->ram, DESC, 1, BUF, 16, VRING_DESC_F_NEXT, 0);
	OFFER(0);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, chain_longer_than_the_queue)
{
	unsigned int i;

	/* every descriptor once, then the last points back into the chain */
	for (i = 0; i < QSIZE; i++)
		set_desc(self->ram, DESC, i, BUF, 16, VRING_DESC_F_NEXT,
			 (i + 1) % QSIZE);
	OFFER(3);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, whole_queue_chain_is_fine)
{
	unsigned int i;

	for (i = 0; i < QSIZE; i++)
		set_desc(self->ram, DESC, i, BUF, 16,
			 i < QSIZE - 1 ? VRING_DESC_F_NEXT : 0, i + 1);
	OFFER(0);
	EXPECT_EQ(1, vq_pop(&self->vq, &self->e));
	EXPECT_EQ(QSIZE, self->e.nr_out);
}

TEST_F(vq, buffer_outside_ram)
{
	set_desc(self->ram, DESC, 0, RAM_SIZE - 8, 16, 0, 0);
	OFFER(0);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, buffer_wraps)
{
	set_desc(self->ram, DESC, 0, ~0ULL - 4, 16, VRING_DESC_F_WRITE, 0);
	OFFER(0);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, oversize_chain)
{
	/* each buffer inside RAM, together over VQ_MAX_CHAIN_BYTES */
	set_desc(self->ram, DESC, 0, 0, 40 << 20, VRING_DESC_F_NEXT, 1);
	set_desc(self->ram, DESC, 1, 0, 40 << 20, 0, 0);
	OFFER(0);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, readable_after_writable)
{
	set_desc(self->ram, DESC, 0, BUF, 16,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(self->ram, DESC, 1, BUF, 16, 0, 0);
	OFFER(0);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, head_out_of_range)
{
	OFFER(QSIZE);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, next_out_of_range)
{
	set_desc(self->ram, DESC, 0, BUF, 16, VRING_DESC_F_NEXT, 200);
	OFFER(0);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, avail_index_runs_ahead)
{
	put_le16(self->ram + AVAIL + 2, QSIZE + 1);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

/*
 * A driver that offers a chain again before it came back (the same head
 * without end, the used ring never read) gets at most the queue size of
 * chains taken: the next one stops the queue.  Each chain handed back
 * makes room for one more.
 */
TEST_F(vq, chains_in_flight_bounded)
{
	unsigned int i;

	set_desc(self->ram, DESC, 0, BUF, 16, VRING_DESC_F_WRITE, 0);
	for (i = 0; i < QSIZE; i++) {
		OFFER(0);
		ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
	}
	EXPECT_TRUE(vq_push(&self->vq, 0, 16));
	OFFER(0);
	ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
	OFFER(0);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	EXPECT_FALSE(self->vq.ready);
	EXPECT_EQ(0, vq_pop(&self->vq, &self->e));
	/* a restart forgets the chains the reset dropped */
	vq_reset(&self->vq);
	ASSERT_EQ(0, vq_start(&self->vq, QSIZE, DESC, AVAIL, USED, false,
			      true));
	self->next_avail = 0;
	for (i = 0; i < QSIZE; i++) {
		OFFER(0);
		ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
	}
}

/*
 * The driver's and the device's indices run past 0xffff and the rings'
 * slots past the queue size: 3 x QSIZE chains with distinct heads from
 * indices 0xfffe on, each head read from slot index % QSIZE and each
 * used entry written at used_idx % QSIZE.
 */
TEST_F(vq, indices_wrap)
{
	uint16_t start = 0xfffe, idx;
	unsigned int i, head;

	for (i = 0; i < QSIZE; i++)
		set_desc(self->ram, DESC, i, BUF + i * 0x100, 16,
			 VRING_DESC_F_WRITE, 0);
	self->vq.last_avail = start;
	self->vq.used_idx = start;
	put_le16(self->ram + USED + 2, start);
	self->next_avail = start;
	for (i = 0; i < 3 * QSIZE; i++) {
		idx = start + i;
		head = (i * 3 + 1) % QSIZE;
		OFFER(head);
		ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
		EXPECT_EQ(head, self->e.head);
		EXPECT_EQ(self->ram + BUF + head * 0x100,
			  self->e.iov[0].iov_base);
		ASSERT_TRUE(vq_push(&self->vq, head, i));
		EXPECT_EQ(head, get_le32(self->ram + USED + 4 +
					 8 * (idx % QSIZE)));
		EXPECT_EQ(i, get_le32(self->ram + USED + 8 +
				      8 * (idx % QSIZE)));
		EXPECT_EQ((uint16_t)(idx + 1), get_le16(self->ram + USED + 2));
	}
	EXPECT_TRUE(self->vq.ready);
}

/* A ring exactly full is legal: QSIZE chains offered, then all taken. */
TEST_F(vq, full_ring)
{
	unsigned int i;

	for (i = 0; i < QSIZE; i++) {
		set_desc(self->ram, DESC, i, BUF, 16, VRING_DESC_F_WRITE, 0);
		OFFER(i);
	}
	for (i = 0; i < QSIZE; i++) {
		ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
		EXPECT_EQ(i, self->e.head);
	}
	EXPECT_EQ(0, vq_pop(&self->vq, &self->e));
	EXPECT_TRUE(self->vq.ready);
}

/* A next index equal to the table's size is one past its end. */
TEST_F(vq, next_is_the_table_size)
{
	set_desc(self->ram, DESC, 0, BUF, 16, VRING_DESC_F_NEXT, QSIZE);
	OFFER(0);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

/* The same in an indirect table that ends where RAM does. */
TEST_F(vq, indirect_next_is_the_table_size)
{
	uint64_t table = RAM_SIZE - 2 * 16;

	set_desc(self->ram, table, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(self->ram, table, 1, BUF, 16, VRING_DESC_F_NEXT, 2);
	set_desc(self->ram, DESC, 0, table, 2 * 16, VRING_DESC_F_INDIRECT, 0);
	OFFER(0);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

/* The driver area (avail ring) must lie in RAM too. */
TEST_F(vq, start_checks_the_driver_area)
{
	vq_reset(&self->vq);
	EXPECT_EQ(-1, vq_start(&self->vq, QSIZE, DESC, RAM_SIZE - 8, USED,
			       false, true));
	EXPECT_FALSE(self->vq.ready);
}

TEST_F(vq, indirect_table)
{
	set_desc(self->ram, INDIRECT, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(self->ram, INDIRECT, 1, BUF + 0x100, 64,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
	set_desc(self->ram, INDIRECT, 2, BUF + 0x200, 1, VRING_DESC_F_WRITE,
		 0);
	set_desc(self->ram, DESC, 4, INDIRECT, 3 * 16, VRING_DESC_F_INDIRECT,
		 0);
	OFFER(4);
	ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
	EXPECT_EQ(4, self->e.head);
	EXPECT_EQ(1, self->e.nr_out);
	EXPECT_EQ(2, self->e.nr_in);
	EXPECT_EQ(65, self->e.in_len);
}

/* A bad indirect descriptor @flags/@addr/@len at head 0. */
static int bad_indirect(struct virtqueue *vq, struct vq_elem *e,
			uint8_t *ram, uint16_t *next, uint64_t addr,
			uint32_t len, uint16_t flags)
{
	set_desc(ram, INDIRECT, 0, BUF, 16, 0, 0);
	set_desc(ram, DESC, 0, addr, len, flags, 1);
	set_desc(ram, DESC, 1, BUF, 16, 0, 0);
	offer(ram, next, 0);
	return vq_pop(vq, e);
}

#define BAD_INDIRECT(addr, len, flags) \
	bad_indirect(&self->vq, &self->e, self->ram, &self->next_avail, \
		     addr, len, flags)

TEST_F(vq, indirect_with_next)
{
	EXPECT_EQ(-1, BAD_INDIRECT(INDIRECT, 16,
				   VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, indirect_bad_length)
{
	EXPECT_EQ(-1, BAD_INDIRECT(INDIRECT, 24, VRING_DESC_F_INDIRECT));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, indirect_empty)
{
	EXPECT_EQ(-1, BAD_INDIRECT(INDIRECT, 0, VRING_DESC_F_INDIRECT));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, indirect_table_outside_ram)
{
	EXPECT_EQ(-1, BAD_INDIRECT(RAM_SIZE - 16, 32, VRING_DESC_F_INDIRECT));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, indirect_nested)
{
	set_desc(self->ram, INDIRECT, 0, INDIRECT, 16, VRING_DESC_F_INDIRECT,
		 0);
	set_desc(self->ram, DESC, 0, INDIRECT, 16, VRING_DESC_F_INDIRECT, 0);
	OFFER(0);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, indirect_loop)
{
	set_desc(self->ram, INDIRECT, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
	set_desc(self->ram, INDIRECT, 1, BUF, 16, VRING_DESC_F_NEXT, 0);
	set_desc(self->ram, DESC, 0, INDIRECT, 32, VRING_DESC_F_INDIRECT, 0);
	OFFER(0);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, too_many_buffers)
{
	unsigned int i, n = VQ_MAX_SEGS + 1;

	for (i = 0; i < n; i++)
		set_desc(self->ram, INDIRECT, i, BUF, 16,
			 i < n - 1 ? VRING_DESC_F_NEXT : 0, i + 1);
	set_desc(self->ram, DESC, 0, INDIRECT, 16 * n, VRING_DESC_F_INDIRECT,
		 0);
	OFFER(0);
	EXPECT_EQ(-1, vq_pop(&self->vq, &self->e));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, indirect_not_negotiated)
{
	ASSERT_EQ(0, vq_start(&self->vq, QSIZE, DESC, AVAIL, USED, false,
			      false));
	EXPECT_EQ(-1, BAD_INDIRECT(INDIRECT, 16, VRING_DESC_F_INDIRECT));
	expect_stopped(_metadata, &self->vq, &self->e, self->ram);
}

TEST_F(vq, event_idx_suppression)
{
	uint16_t *used_event = (uint16_t *)(self->ram + AVAIL + 4 + 2 * QSIZE);
	uint16_t *avail_event = (uint16_t *)(self->ram + USED + 4 + 8 * QSIZE);
	unsigned int i;

	ASSERT_EQ(0, vq_start(&self->vq, QSIZE, DESC, AVAIL, USED, true,
			      true));
	set_desc(self->ram, DESC, 0, BUF, 16, 0, 0);
	/* the driver wants an interrupt once used passes index 3 */
	*used_event = 3;
	for (i = 1; i <= 5; i++)
		EXPECT_EQ(i == 4, vq_push(&self->vq, 0, 0));
	/* the device asks to be notified at the next index it takes */
	OFFER(0);
	OFFER(0);
	EXPECT_EQ(1, vq_pop(&self->vq, &self->e));
	EXPECT_TRUE(vq_has_more(&self->vq));
	EXPECT_EQ(1, *avail_event);
	EXPECT_EQ(1, vq_pop(&self->vq, &self->e));
	EXPECT_FALSE(vq_has_more(&self->vq));
	EXPECT_EQ(2, *avail_event);
}

/*
 * Paused (bus mastering off): no chain taken, avail_event not written,
 * across a reset and a new start too; a chain taken before still goes
 * back; unpaused, the queue goes on.
 */
TEST_F(vq, paused_takes_nothing)
{
	uint16_t *avail_event = (uint16_t *)(self->ram + USED + 4 + 8 * QSIZE);

	ASSERT_EQ(0, vq_start(&self->vq, QSIZE, DESC, AVAIL, USED, true,
			      true));
	set_desc(self->ram, DESC, 0, BUF, 16, 0, 0);
	set_desc(self->ram, DESC, 1, BUF, 16, 0, 0);
	OFFER(0);
	ASSERT_EQ(1, vq_pop(&self->vq, &self->e));
	vq_pause(&self->vq, true);
	OFFER(1);
	*avail_event = 0x5555;
	EXPECT_EQ(0, vq_pop(&self->vq, &self->e));
	EXPECT_FALSE(vq_has_more(&self->vq));
	EXPECT_EQ(0x5555, *avail_event);
	vq_push(&self->vq, 0, 0);
	EXPECT_EQ(1, get_le16(self->ram + USED + 2));
	vq_reset(&self->vq);
	ASSERT_EQ(0, vq_start(&self->vq, QSIZE, DESC, AVAIL, USED, true,
			      true));
	EXPECT_EQ(0, vq_pop(&self->vq, &self->e));
	EXPECT_EQ(0x5555, *avail_event);
	vq_pause(&self->vq, false);
	EXPECT_TRUE(vq_has_more(&self->vq));
	EXPECT_EQ(0, *avail_event);
	EXPECT_EQ(1, vq_pop(&self->vq, &self->e));
	EXPECT_EQ(0, self->e.head);
}

TEST_F(vq, flag_suppression)
{
	put_le16(self->ram + AVAIL, VRING_AVAIL_F_NO_INTERRUPT);
	EXPECT_FALSE(vq_push(&self->vq, 0, 0));
	put_le16(self->ram + AVAIL, 0);
	EXPECT_TRUE(vq_push(&self->vq, 0, 0));
}

static unsigned int nr_lines;

static void count_lines(void *ctx, const char *buf, size_t len)
{
	nr_lines++;
}

/*
 * A malformed ring is said once per queue: a driver that makes it again
 * after each reset does not fill the log; the queue stops each time.
 */
TEST_F(vq, malformed_ring_said_once)
{
	unsigned int i;

	msg_set_output(count_lines, NULL);
	for (i = 0; i < 100; i++) {
		vq_reset(&self->vq);
		EXPECT_EQ(-1, vq_start(&self->vq, 3, DESC, AVAIL, USED, false,
				       false));
		EXPECT_FALSE(self->vq.ready);
	}
	msg_set_output(NULL, NULL);
	EXPECT_EQ(1, nr_lines);
}

TEST_F(vq, start_checks)
{
	EXPECT_EQ(-1, vq_start(&self->vq, 6, DESC, AVAIL, USED, false, false));
	EXPECT_EQ(-1, vq_start(&self->vq, 0, DESC, AVAIL, USED, false, false));
	EXPECT_EQ(-1, vq_start(&self->vq, 2 * VQ_MAX_SIZE, DESC, AVAIL, USED,
			       false, false));
	EXPECT_EQ(-1, vq_start(&self->vq, QSIZE, DESC + 8, AVAIL, USED, false,
			       false));
	EXPECT_EQ(-1, vq_start(&self->vq, QSIZE, DESC, AVAIL + 1, USED, false,
			       false));
	EXPECT_EQ(-1, vq_start(&self->vq, QSIZE, DESC, AVAIL, USED + 2, false,
			       false));
	EXPECT_EQ(-1, vq_start(&self->vq, QSIZE, DESC, AVAIL,
			       RAM_SIZE - 16, false, false));
	EXPECT_EQ(-1, vq_start(&self->vq, QSIZE, RAM_SIZE - 64, AVAIL, USED,
			       false, false));
	EXPECT_FALSE(self->vq.ready);
	EXPECT_EQ(0, vq_start(&self->vq, QSIZE, DESC, AVAIL, USED, false,
			      false));
}

/* An address a careless or hostile driver might write. */
static uint64_t rnd_addr(uint64_t *x)
{
	uint64_t r = xorshift64(x);

	switch (r % 6) {
	case 0:
		return BUF + (r >> 8) % 0x10000;
	case 1:
		return RAM_SIZE - (r >> 8) % 0x20000;
	case 2:
		return RAM_SIZE + (r >> 8) % 0x1000;
	case 3:
		return -((r >> 8) % 0x2000);	/* wraps */
	case 4:
		return r;
	default:
		return INDIRECT + 16 * ((r >> 8) % 4);
	}
}

static uint32_t rnd_len(uint64_t *x)
{
	uint64_t r = xorshift64(x);

	switch (r % 4) {
	case 0:
		return (r >> 8) % 64;
	case 1:
		return (r >> 8) % 0x20000;
	case 2:
		return 16 * ((r >> 8) % 8);
	default:
		return r >> 32;
	}
}

/* Descriptor @i of @table filled at random. */
static void rnd_desc(uint8_t *ram, uint64_t table, unsigned int i,
		     uint64_t *x)
{
	uint64_t r = xorshift64(x), addr = rnd_addr(x);
	uint32_t len = rnd_len(x);

	/* to RAM's end, or a few bytes short of it or past it */
	if (!(r & 0x30000) && addr < RAM_SIZE && RAM_SIZE - addr < 0x20000)
		len = RAM_SIZE - addr + (r >> 20) % 33 - 16;
	set_desc(ram, table, i, addr, len,
		 r & (VRING_DESC_F_NEXT | VRING_DESC_F_WRITE |
		      VRING_DESC_F_INDIRECT), (r >> 8) % (QSIZE + 2));
}

/*
 * Rings a driver filled at random (descriptors and indirect tables at
 * the edges of RAM and beyond, lengths up to 4 GiB, indices out of
 * range, avail indices that jump): every chain the queue hands out lies
 * inside RAM within the limits, and every one it refuses stops it, and
 * nothing reads or writes past RAM (the guard page).
 */
TEST_F(vq, random_rings_stay_inside_ram)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL, r, sum_out, sum_in, base;
	unsigned int round, i, taken = 0, refused = 0, bad = 0;
	uint64_t table = RAM_SIZE - 16 * 8;
	uint8_t *p;
	int got;

	for (round = 0; round < 20000; round++) {
		r = xorshift64(&x);
		for (i = 0; i < 1 + r % 3; i++)
			rnd_desc(self->ram, DESC, xorshift64(&x) % QSIZE, &x);
		for (i = 0; i < 8; i++)
			rnd_desc(self->ram, r & 0x100 ? table : INDIRECT, i,
				 &x);
		if ((r >> 16) % 50 == 0)
			put_le16(self->ram + AVAIL + 2, xorshift64(&x));
		else
			OFFER((r >> 24) % (QSIZE + 1));
		got = vq_pop(&self->vq, &self->e);
		if (got < 0) {
			refused++;
			if (self->vq.ready)
				bad++;
			memset(self->ram + DESC, 0, USED - DESC + 0x1000);
			self->next_avail = 0;
			ASSERT_EQ(0, vq_start(&self->vq, QSIZE, DESC, AVAIL,
					      USED, r & 0x200, !(r & 0x400)));
			continue;
		}
		if (!got)
			continue;
		taken++;
		sum_out = sum_in = 0;
		if (self->e.nr_out + self->e.nr_in > VQ_MAX_SEGS)
			bad++;
		for (i = 0; i < self->e.nr_out + self->e.nr_in; i++) {
			p = self->e.iov[i].iov_base;
			base = p - self->ram;
			if (p < self->ram || base > RAM_SIZE ||
			    self->e.iov[i].iov_len > RAM_SIZE - base)
				bad++;
			if (i < self->e.nr_out)
				sum_out += self->e.iov[i].iov_len;
			else
				sum_in += self->e.iov[i].iov_len;
		}
		if (sum_out != self->e.out_len || sum_in != self->e.in_len ||
		    sum_out + sum_in > VQ_MAX_CHAIN_BYTES)
			bad++;
		/* the device's first and last byte of each buffer */
		for (i = 0; i < self->e.nr_out + self->e.nr_in; i++) {
			p = self->e.iov[i].iov_base;
			if (self->e.iov[i].iov_len)
				p[0] = p[self->e.iov[i].iov_len - 1];
		}
		vq_push(&self->vq, self->e.head, self->e.in_len);
	}
	EXPECT_EQ(0, bad);
	/* both ends of the fuzz were reached */
	EXPECT_LT(100, taken);
	EXPECT_LT(100, refused);
	TH_LOG("%u chains taken, %u refused", taken, refused);
}

TEST_HARNESS_MAIN
