// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's whole virtio-blk device (virtio_blk.c on
 * the transport, its device thread and workers) in fake guest RAM,
 * driven through BAR 0 as a driver would: malformed requests, a reset and
 * bus mastering turned off while reads are in flight, the cache mode and
 * the commands that follow the driver's features, the configuration the
 * driver reads.
 */
#include "kselftest_harness.h"

#include "virtio_blk_fixture.h"
#include "virtio_driver.h"
#include "vring_build.h"

/*
 * The whole disk in fake guest RAM, driven through BAR 0 as a driver
 * would.  preadv is wrapped (-Wl,--wrap=preadv) so that the test can
 * hold the workers' reads and reset the device under them.
 */
#define RAM_SIZE	(1 << 20)
#define DESC		0x1000
#define AVAIL		0x2000
#define USED		0x3000
#define HDR(i)		(0x8000 + 16 * (i))
#define DATA(i)		(0x10000 + 0x1000 * (i))	/* 512 bytes, status */
#define DATA_LEN	513
#define QSIZE		16
#define NR_REQS		(VIRTIO_BLK_WORKERS + 2)

/* Wait until @n preadv calls have begun; false after 5 s. */
static bool gate_wait_entered(unsigned int n)
{
	struct timespec t;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += 5;
	pthread_mutex_lock(&gate.lock);
	while (gate.entered < n &&
	       !pthread_cond_timedwait(&gate.cond, &gate.lock, &t))
		;
	ok = gate.entered >= n;
	pthread_mutex_unlock(&gate.lock);
	return ok;
}

static unsigned int gate_count(unsigned int *count)
{
	unsigned int n;

	pthread_mutex_lock(&gate.lock);
	n = *count;
	pthread_mutex_unlock(&gate.lock);
	return n;
}

/* Fresh rings, VERSION_1 and @features negotiated, queue 0 on, DRIVER_OK. */
static void driver_init_with(struct virtio_dev *v, uint8_t *ram,
			     uint64_t features)
{
	memset(ram + DESC, 0, USED + VRING_USED_SIZE(QSIZE) - DESC);
	driver_features(v, 1ULL << VIRTIO_F_VERSION_1 | features);
	driver_queue(v, 0, QSIZE, DESC, AVAIL, USED);
	cc_write(v, CC_STATUS, 0x0f, 1);	/* DRIVER_OK */
}

static void driver_init(struct virtio_dev *v, uint8_t *ram)
{
	driver_init_with(v, ram, 0);
}

/* Offer request @i: read sector @i + 1 into DATA(@i), status after it. */
static void offer_read(uint8_t *ram, uint16_t *next, unsigned int i)
{
	put_le32(ram + HDR(i), VIRTIO_BLK_T_IN);
	put_le32(ram + HDR(i) + 4, 0);
	put_le64(ram + HDR(i) + 8, i + 1);
	memset(ram + DATA(i), 0xcc, DATA_LEN);
	set_desc(ram, DESC, 2 * i, HDR(i), 16, VRING_DESC_F_NEXT, 2 * i + 1);
	set_desc(ram, DESC, 2 * i + 1, DATA(i), DATA_LEN, VRING_DESC_F_WRITE,
		 0);
	vring_offer(ram, AVAIL, QSIZE, next, 2 * i);
}

/*
 * Offer request @i: a @type request at @sector whose @len bytes of data
 * the driver wrote at DATA(@i), the status after them.
 */
static void offer_out(uint8_t *ram, uint16_t *next, unsigned int i,
		      uint32_t type, uint64_t sector, uint32_t len)
{
	put_le32(ram + HDR(i), type);
	put_le32(ram + HDR(i) + 4, 0);
	put_le64(ram + HDR(i) + 8, sector);
	ram[DATA(i) + len] = 0xcc;
	set_desc(ram, DESC, 2 * i, HDR(i), 16, VRING_DESC_F_NEXT, 2 * i + 1);
	set_desc(ram, DESC, 2 * i + 1, DATA(i), len, VRING_DESC_F_NEXT,
		 2 * i + 2);
	set_desc(ram, DESC, 2 * i + 2, DATA(i) + len, 1, VRING_DESC_F_WRITE,
		 0);
	vring_offer(ram, AVAIL, QSIZE, next, 2 * i);
}

/* Offer request @i: write sector @i + 1 from DATA(@i), status after it. */
static void offer_write(uint8_t *ram, uint16_t *next, unsigned int i)
{
	memset(ram + DATA(i), 0x77, 512);
	offer_out(ram, next, i, VIRTIO_BLK_T_OUT, i + 1, 512);
}

static int no_doorbell(void *ctx, int efd, uint64_t gpa, bool on)
{
	return -1;	/* the kicks come through virtio_bar_write() */
}

/* The driver's reset, and what guest RAM held the moment it returned. */
struct resetter {
	struct virtio_dev *v;
	uint8_t *ram;
	uint8_t data[NR_REQS][DATA_LEN];
	uint16_t used_idx;
	bool done;
};

static void *reset_thread(void *arg)
{
	struct resetter *r = arg;
	unsigned int i;

	cc_write(r->v, CC_STATUS, 0, 1);
	for (i = 0; i < NR_REQS; i++)
		memcpy(r->data[i], r->ram + DATA(i), DATA_LEN);
	r->used_idx = get_le16(r->ram + USED + 2);
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* The driver turns bus mastering off; what RAM held when that returned. */
static void *master_off_thread(void *arg)
{
	struct resetter *r = arg;
	unsigned int i;

	driver_bus_master(r->v, false);
	for (i = 0; i < NR_REQS; i++)
		memcpy(r->data[i], r->ram + DATA(i), DATA_LEN);
	r->used_idx = get_le16(r->ram + USED + 2);
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* The disk in fake guest RAM, its queue set up by the driver. */
static void device_up(struct __test_metadata *_metadata,
		      FIXTURE_DATA(blk) *self)
{
	struct vq_mem mem;

	self->ram = calloc(1, RAM_SIZE);
	ASSERT_NE(NULL, self->ram);
	mem.base = self->ram;
	mem.size = RAM_SIZE;
	self->v = virtio_blk_create(self->path, 0, &mem, no_doorbell, NULL);
	ASSERT_NE(NULL, self->v);
	ASSERT_EQ(0, virtio_start(self->v));
	driver_init(self->v, self->ram);
}

/*
 * Kick the queue, its chains filling every worker's read at the gate,
 * and reset the device from thread *@t (@r's): the reset waits for the
 * held reads.
 */
static void reset_while_held(struct __test_metadata *_metadata,
			     FIXTURE_DATA(blk) *self, struct resetter *r,
			     pthread_t *t)
{
	driver_kick(self->v, 0);
	ASSERT_TRUE(gate_wait_entered(VIRTIO_BLK_WORKERS));
	r->v = self->v;
	r->ram = self->ram;
	ASSERT_EQ(0, pthread_create(t, NULL, reset_thread, r));
	ASSERT_TRUE(wait_resetting(self->v));
	usleep(100 * 1000);	/* time to finish, were it not waiting */
	EXPECT_FALSE(__atomic_load_n(&r->done, __ATOMIC_ACQUIRE));
}

static unsigned int nr_lines;

static void count_lines(void *ctx, const char *buf, size_t len)
{
	__atomic_add_fetch(&nr_lines, 1, __ATOMIC_RELAXED);
}

/*
 * A request without room for its header (or its status) is malformed:
 * NEEDS_RESET, and the requests after it wait for the reset.  Said on
 * stderr the first time only: a driver that makes it again after each
 * reset does not fill the log.
 */
TEST_F(blk, short_request_needs_reset)
{
	unsigned int i, round;
	uint16_t next;

	msg_set_output(count_lines, NULL);
	device_up(_metadata, self);
	for (round = 0; round < 3; round++) {
		if (round) {
			cc_write(self->v, CC_STATUS, 0, 1);
			driver_init(self->v, self->ram);
		}
		next = 0;
		offer_read(self->ram, &next, 0);
		set_desc(self->ram, DESC, 0, HDR(0), 8, VRING_DESC_F_NEXT, 1);
		offer_read(self->ram, &next, 1);
		driver_kick(self->v, 0);
		for (i = 0; i < 5000 && !(dev_status(self->v) &
					  VIRTIO_STATUS_NEEDS_RESET); i++)
			usleep(1000);
		EXPECT_NE(0, dev_status(self->v) & VIRTIO_STATUS_NEEDS_RESET);
		usleep(50 * 1000);
		EXPECT_EQ(0, get_le16(self->ram + USED + 2));
		EXPECT_EQ(0xcc, self->ram[DATA(1)]);
	}
	msg_set_output(NULL, NULL);
	EXPECT_EQ(1, nr_lines);
}

TEST_F(blk, reset_waits_for_requests_in_flight)
{
	struct resetter *r = calloc(1, sizeof(*r));
	uint16_t next = 0;
	pthread_t t;
	unsigned int i;

	ASSERT_NE(NULL, r);
	device_up(_metadata, self);
	ASSERT_EQ(0x0f, dev_status(self->v));

	/* every worker held in its read, two requests left queued */
	gate_set(true);
	for (i = 0; i < NR_REQS; i++)
		offer_read(self->ram, &next, i);
	reset_while_held(_metadata, self, r, &t);
	/* the driver still sees no 0 */
	EXPECT_NE(0, dev_status(self->v));
	gate_set(false);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, dev_status(self->v));
	EXPECT_EQ(VIRTIO_BLK_WORKERS, gate_count(&gate.left));

	/* a straggler would write now: guest RAM stays as the reset left it */
	usleep(50 * 1000);
	for (i = 0; i < NR_REQS; i++)
		EXPECT_EQ(0, memcmp(r->data[i], self->ram + DATA(i),
				    DATA_LEN));
	EXPECT_EQ(0, r->used_idx);
	EXPECT_EQ(0, get_le16(self->ram + USED + 2));
	/* the queued requests were dropped before they touched memory */
	EXPECT_EQ(VIRTIO_BLK_WORKERS, gate_count(&gate.entered));
	for (i = VIRTIO_BLK_WORKERS; i < NR_REQS; i++)
		EXPECT_EQ(0xcc, self->ram[DATA(i)]);

	/* and the disk works again for the driver that set it up anew */
	driver_init(self->v, self->ram);
	next = 0;
	offer_read(self->ram, &next, 2);
	driver_kick(self->v, 0);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(4, get_le32(self->ram + USED + 4));	/* the head */
	EXPECT_EQ(DATA_LEN, get_le32(self->ram + USED + 8));
	EXPECT_EQ(3, self->ram[DATA(2)]);
	EXPECT_EQ(3, self->ram[DATA(2) + 511]);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[DATA(2) + 512]);
	usleep(50 * 1000);
	EXPECT_EQ(1, get_le16(self->ram + USED + 2));
	free(r);
}

/*
 * Bus mastering off (Linux before a kexec): the requests the device took
 * complete before the write is done, nothing more is taken or written,
 * and the device needs a reset: setting the bit again does not start it
 * on the old rings, whose memory a kexec'd kernel has taken.
 */
TEST_F(blk, bus_master_off_completes_then_stops)
{
	struct resetter *r = calloc(2, sizeof(*r));
	uint16_t next = 0;
	pthread_t t[2];
	unsigned int i;

	ASSERT_NE(NULL, r);
	device_up(_metadata, self);
	gate_set(true);
	for (i = 0; i < NR_REQS; i++)
		offer_read(self->ram, &next, i);
	driver_kick(self->v, 0);
	ASSERT_TRUE(gate_wait_entered(VIRTIO_BLK_WORKERS));

	for (i = 0; i < 2; i++) {
		r[i].v = self->v;
		r[i].ram = self->ram;
		/* the second write, finding the bit clear, waits too */
		ASSERT_EQ(0, pthread_create(&t[i], NULL, master_off_thread,
					    &r[i]));
		usleep(100 * 1000);	/* time to finish, were it not waiting */
		EXPECT_FALSE(__atomic_load_n(&r[i].done, __ATOMIC_ACQUIRE));
	}
	gate_set(false);
	ASSERT_EQ(0, pthread_join(t[0], NULL));
	ASSERT_EQ(0, pthread_join(t[1], NULL));
	/* every request taken, the queued ones too, done by then */
	EXPECT_EQ(NR_REQS, r[0].used_idx);
	EXPECT_EQ(NR_REQS, r[1].used_idx);
	for (i = 0; i < NR_REQS; i++) {
		EXPECT_EQ(i + 1, r[0].data[i][0]);
		EXPECT_EQ(VIRTIO_BLK_S_OK, r[0].data[i][512]);
	}
	EXPECT_NE(0, dev_status(self->v) & VIRTIO_STATUS_NEEDS_RESET);

	/* a request offered and kicked now is neither taken nor served */
	offer_read(self->ram, &next, NR_REQS);
	driver_kick(self->v, 0);
	usleep(50 * 1000);
	EXPECT_EQ(NR_REQS, get_le16(self->ram + USED + 2));
	EXPECT_EQ(0xcc, self->ram[DATA(NR_REQS)]);
	/* nor once the bit is set again */
	driver_bus_master(self->v, true);
	driver_kick(self->v, 0);
	usleep(50 * 1000);
	EXPECT_EQ(NR_REQS, get_le16(self->ram + USED + 2));
	EXPECT_EQ(0xcc, self->ram[DATA(NR_REQS)]);
	EXPECT_EQ(NR_REQS, gate_count(&gate.entered));

	/*
	 * Linux's remove and probe: a reset, bus mastering off (no reset
	 * needed at status 0), on, the driver anew: the disk works.
	 */
	cc_write(self->v, CC_STATUS, 0, 1);
	EXPECT_EQ(0, dev_status(self->v));
	driver_bus_master(self->v, false);
	EXPECT_EQ(0, dev_status(self->v));
	driver_init(self->v, self->ram);
	next = 0;
	offer_read(self->ram, &next, 2);
	driver_kick(self->v, 0);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(3, self->ram[DATA(2)]);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[DATA(2) + 512]);
	free(r);
}

/*
 * A driver that sets bus mastering only after it kicked: nothing is
 * taken before, and the kick is served once the bit is set.
 */
TEST_F(blk, requests_wait_for_bus_mastering)
{
	uint16_t next = 0;

	device_up(_metadata, self);
	cc_write(self->v, CC_STATUS, 0, 1);
	driver_bus_master(self->v, false);
	memset(self->ram + DESC, 0, USED + VRING_USED_SIZE(QSIZE) - DESC);
	driver_negotiate(self->v, 1ULL << VIRTIO_F_VERSION_1);
	driver_queue(self->v, 0, QSIZE, DESC, AVAIL, USED);
	cc_write(self->v, CC_STATUS, 0x0f, 1);
	offer_read(self->ram, &next, 4);
	driver_kick(self->v, 0);
	usleep(50 * 1000);
	EXPECT_EQ(0, get_le16(self->ram + USED + 2));
	EXPECT_EQ(0xcc, self->ram[DATA(4)]);
	driver_bus_master(self->v, true);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(5, self->ram[DATA(4)]);
	EXPECT_EQ(0x0f, dev_status(self->v));
}

/*
 * A chain made available and kicked before DRIVER_OK waits for it
 * (virtio 1.2, 3.1.2), and is served once the driver sets it.
 */
TEST_F(blk, requests_wait_for_driver_ok)
{
	uint16_t next = 0;

	device_up(_metadata, self);
	cc_write(self->v, CC_STATUS, 0, 1);
	memset(self->ram + DESC, 0, USED + VRING_USED_SIZE(QSIZE) - DESC);
	driver_negotiate(self->v, 1ULL << VIRTIO_F_VERSION_1);
	driver_queue(self->v, 0, QSIZE, DESC, AVAIL, USED);
	offer_read(self->ram, &next, 4);
	driver_kick(self->v, 0);
	usleep(50 * 1000);
	EXPECT_EQ(0, get_le16(self->ram + USED + 2));
	EXPECT_EQ(0xcc, self->ram[DATA(4)]);
	cc_write(self->v, CC_STATUS, 0x0f, 1);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(5, self->ram[DATA(4)]);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[DATA(4) + 512]);
}

/*
 * The device follows the driver's features: write-through (each write
 * synced) without FLUSH, write-back with it.
 */
TEST_F(blk, cache_mode_follows_flush_negotiation)
{
	uint16_t next = 0;

	device_up(_metadata, self);	/* VERSION_1 only */
	nr_syncs = 0;
	offer_write(self->ram, &next, 0);
	driver_kick(self->v, 0);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[DATA(0) + 512]);
	EXPECT_EQ(1, __atomic_load_n(&nr_syncs, __ATOMIC_SEQ_CST));
	EXPECT_EQ(0x77, file_byte(self->fd, 512));

	cc_write(self->v, CC_STATUS, 0, 1);
	driver_init_with(self->v, self->ram, 1ULL << VIRTIO_BLK_F_FLUSH);
	next = 0;
	offer_write(self->ram, &next, 3);
	driver_kick(self->v, 0);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[DATA(3) + 512]);
	EXPECT_EQ(1, __atomic_load_n(&nr_syncs, __ATOMIC_SEQ_CST));
	EXPECT_EQ(0x77, file_byte(self->fd, 4 * 512));
}

/* Offer request @i: write zeroes over sectors 8-15, unmap allowed. */
static void offer_zeroes(uint8_t *ram, uint16_t *next, unsigned int i)
{
	put_le64(ram + DATA(i), 8);
	put_le32(ram + DATA(i) + 8, 8);
	put_le32(ram + DATA(i) + 12, VIRTIO_BLK_WZ_UNMAP);
	offer_out(ram, next, i, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16);
}

/*
 * The device serves write zeroes only to a driver that negotiated it:
 * unsupported, the sectors unchanged, without; zeroed with.
 */
TEST_F(blk, write_zeroes_follows_negotiation)
{
	uint16_t next = 0;

	device_up(_metadata, self);	/* VERSION_1 only */
	offer_zeroes(self->ram, &next, 0);
	driver_kick(self->v, 0);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, self->ram[DATA(0) + 16]);
	EXPECT_EQ(8, file_byte(self->fd, 8 * 512));

	cc_write(self->v, CC_STATUS, 0, 1);
	driver_init_with(self->v, self->ram,
			 1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	next = 0;
	offer_zeroes(self->ram, &next, 1);
	driver_kick(self->v, 0);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[DATA(1) + 16]);
	EXPECT_EQ(0, file_byte(self->fd, 8 * 512));
	EXPECT_EQ(0, file_byte(self->fd, 16 * 512 - 1));
	EXPECT_EQ(16, file_byte(self->fd, 16 * 512));
}

/* Where the split reads' buffers go: RAM's upper half */
#define BIG_BUF		0x80000
#define BIG_LEN		0x80000
#define BIG_STATUS(i)	(0x7000 + (i))
#define BIG_SECTORS	2048	/* the disk grown to 1 MiB for these */
/* three parts of 128 KiB, rounded down to 4 KiB, and 4.5 KiB more */
#define UNEVEN_LEN	(3 * 128 * 1024 + 9 * 512)
/* from RAM's second quarter on: a read of two parts, one of four */
#define PART_BUF	0x40000
#define PART_READ	0x40000

static uint8_t big_byte(uint64_t off)
{
	uint64_t s = off / 512;

	return s ^ s >> 8 ^ off % 512 / 64;
}

/* The fixture's disk grown to BIG_SECTORS of big_byte()s. */
static bool grow_big(int fd)
{
	static uint8_t buf[BIG_SECTORS * 512];
	uint64_t off;

	for (off = 0; off < sizeof(buf); off++)
		buf[off] = big_byte(off);
	return pwrite(fd, buf, sizeof(buf), 0) == sizeof(buf);
}

/*
 * Offer request @i: read @len bytes from @sector into @buf, through
 * three data buffers of uneven sizes (a fifth, two fifths, the rest), so
 * that parts begin and end inside them; descriptors 5 * @i on.
 */
static void offer_big_read(uint8_t *ram, uint16_t *next, unsigned int i,
			   uint64_t sector, uint64_t buf, uint32_t len)
{
	uint32_t a = len / 5 / 512 * 512, b = 2 * a;
	unsigned int d = 5 * i;

	put_le32(ram + HDR(i), VIRTIO_BLK_T_IN);
	put_le32(ram + HDR(i) + 4, 0);
	put_le64(ram + HDR(i) + 8, sector);
	memset(ram + buf, 0xcc, len);
	ram[BIG_STATUS(i)] = 0xcc;
	set_desc(ram, DESC, d, HDR(i), 16, VRING_DESC_F_NEXT, d + 1);
	set_desc(ram, DESC, d + 1, buf, a, VRING_DESC_F_WRITE |
		 VRING_DESC_F_NEXT, d + 2);
	set_desc(ram, DESC, d + 2, buf + a, b, VRING_DESC_F_WRITE |
		 VRING_DESC_F_NEXT, d + 3);
	set_desc(ram, DESC, d + 3, buf + a + b, len - a - b,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, d + 4);
	set_desc(ram, DESC, d + 4, BIG_STATUS(i), 1, VRING_DESC_F_WRITE, 0);
	vring_offer(ram, AVAIL, QSIZE, next, d);
}

/* How many of the @len bytes at @p, from the first, are @v. */
static size_t bytes_are(const uint8_t *p, uint8_t v, size_t len)
{
	size_t i;

	for (i = 0; i < len && p[i] == v; i++)
		;
	return i;
}

/* @len bytes at @buf are the disk's from @sector on. */
static bool big_data_is(uint8_t *ram, uint64_t buf, uint64_t sector,
			uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		if (ram[buf + i] != big_byte(sector * 512 + i))
			return false;
	return true;
}

/*
 * A large read is served in parts by every worker at once (four reads
 * held at the gate for one request), and completes once, with the data
 * where each part belongs, across its buffers' boundaries.
 */
TEST_F(blk, large_read_served_in_parts)
{
	uint16_t next = 0;

	ASSERT_TRUE(grow_big(self->fd));
	device_up(_metadata, self);
	gate_set(true);
	offer_big_read(self->ram, &next, 0, 100, BIG_BUF, BIG_LEN);
	driver_kick(self->v, 0);
	ASSERT_TRUE(gate_wait_entered(VIRTIO_BLK_WORKERS));
	usleep(50 * 1000);
	EXPECT_EQ(0, get_le16(self->ram + USED + 2));
	gate_set(false);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(VIRTIO_BLK_WORKERS, gate_count(&gate.entered));
	EXPECT_EQ(0, get_le32(self->ram + USED + 4));
	EXPECT_EQ(BIG_LEN + 1, get_le32(self->ram + USED + 8));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[BIG_STATUS(0)]);
	EXPECT_TRUE(big_data_is(self->ram, BIG_BUF, 100, BIG_LEN));
	usleep(50 * 1000);
	EXPECT_EQ(1, get_le16(self->ram + USED + 2));

	/* three parts, the last the longest, to the disk's last sector */
	offer_big_read(self->ram, &next, 1, BIG_SECTORS - UNEVEN_LEN / 512,
		       BIG_BUF, UNEVEN_LEN);
	driver_kick(self->v, 0);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 2));
	EXPECT_EQ(VIRTIO_BLK_WORKERS + 3, gate_count(&gate.entered));
	EXPECT_EQ(UNEVEN_LEN + 1, get_le32(self->ram + USED + 16));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[BIG_STATUS(1)]);
	EXPECT_TRUE(big_data_is(self->ram, BIG_BUF,
				BIG_SECTORS - UNEVEN_LEN / 512, UNEVEN_LEN));
}

/*
 * One part failing fails the read: VIRTIO_BLK_S_IOERR, and none of its
 * data, the other parts' included, as when a read served whole fails.
 */
TEST_F(blk, large_read_part_fails)
{
	uint16_t next = 0;

	ASSERT_TRUE(grow_big(self->fd));
	device_up(_metadata, self);
	/* the third of four parts of 128 KiB */
	preadv_fails_at = 8 * 512 + 2 * (BIG_LEN / 4);
	offer_big_read(self->ram, &next, 0, 8, BIG_BUF, BIG_LEN);
	driver_kick(self->v, 0);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(BIG_LEN + 1, get_le32(self->ram + USED + 8));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->ram[BIG_STATUS(0)]);
	EXPECT_EQ(VIRTIO_BLK_WORKERS - 1, gate_count(&gate.left));
	EXPECT_EQ(0, self->ram[BIG_BUF]);
	EXPECT_EQ(0, self->ram[BIG_BUF + BIG_LEN - 1]);
	EXPECT_EQ(BIG_LEN, bytes_are(self->ram + BIG_BUF, 0, BIG_LEN));
	/* a read of less than two parts is served whole, and fails whole */
	preadv_fails_at = 8 * 512;
	offer_big_read(self->ram, &next, 1, 8, BIG_BUF, 2 * 128 * 1024 - 512);
	driver_kick(self->v, 0);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 2));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->ram[BIG_STATUS(1)]);
	EXPECT_EQ(VIRTIO_BLK_WORKERS - 1, gate_count(&gate.left));
}

/*
 * A large read that ends one sector past the disk, or begins there, is
 * not split: it fails whole, before any read of the file, with every
 * data byte zeroed.
 */
TEST_F(blk, large_read_past_the_end)
{
	uint16_t next = 0;

	ASSERT_TRUE(grow_big(self->fd));
	device_up(_metadata, self);
	offer_big_read(self->ram, &next, 0, BIG_SECTORS - BIG_LEN / 512 + 1,
		       BIG_BUF, BIG_LEN);
	driver_kick(self->v, 0);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(BIG_LEN + 1, get_le32(self->ram + USED + 8));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->ram[BIG_STATUS(0)]);
	EXPECT_EQ(BIG_LEN, bytes_are(self->ram + BIG_BUF, 0, BIG_LEN));
	offer_big_read(self->ram, &next, 1, BIG_SECTORS, BIG_BUF, BIG_LEN);
	driver_kick(self->v, 0);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 2));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->ram[BIG_STATUS(1)]);
	EXPECT_EQ(BIG_LEN, bytes_are(self->ram + BIG_BUF, 0, BIG_LEN));
	EXPECT_EQ(0, gate_count(&gate.entered));
	/* the same read one sector earlier is the disk's last: served */
	offer_big_read(self->ram, &next, 2, BIG_SECTORS - BIG_LEN / 512,
		       BIG_BUF, BIG_LEN);
	driver_kick(self->v, 0);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 3));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[BIG_STATUS(2)]);
	EXPECT_TRUE(big_data_is(self->ram, BIG_BUF,
				BIG_SECTORS - BIG_LEN / 512, BIG_LEN));
	EXPECT_EQ(VIRTIO_BLK_WORKERS, gate_count(&gate.entered));
}

/*
 * The disk grown to BIG_SECTORS and up, its reads held at the gate, and
 * two large reads offered: one of two parts, one of four, the last two
 * of which wait in the queue behind the four the workers hold once
 * kicked.
 */
static void offer_split_reads(struct __test_metadata *_metadata,
			      FIXTURE_DATA(blk) *self, uint16_t *next)
{
	ASSERT_TRUE(grow_big(self->fd));
	device_up(_metadata, self);
	gate_set(true);
	offer_big_read(self->ram, next, 0, 0, PART_BUF, PART_READ);
	offer_big_read(self->ram, next, 1, 600, PART_BUF + PART_READ,
		       2 * PART_READ);
}

/*
 * A reset while parts of large reads are held and more are queued: a
 * read of two parts and the first two of one of four held, the last two
 * queued.  The queued parts are dropped unread and the reset waits for
 * the held ones.  The read whose parts all ran ends as a request served
 * whole would, before the reset returns; the one with dropped parts
 * writes nothing after its parts (no status, no zeroes); neither
 * completes.
 */
TEST_F(blk, reset_drops_queued_parts)
{
	struct resetter *r = calloc(1, sizeof(*r));
	uint8_t *before = malloc(3 * PART_READ);
	uint16_t next = 0;
	pthread_t t;

	ASSERT_NE(NULL, r);
	ASSERT_NE(NULL, before);
	offer_split_reads(_metadata, self, &next);
	reset_while_held(_metadata, self, r, &t);
	gate_set(false);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, dev_status(self->v));
	/* a straggler would write now */
	memcpy(before, self->ram + PART_BUF, 3 * PART_READ);
	usleep(50 * 1000);
	EXPECT_EQ(0, memcmp(before, self->ram + PART_BUF, 3 * PART_READ));
	EXPECT_EQ(0, get_le16(self->ram + USED + 2));
	EXPECT_EQ(VIRTIO_BLK_WORKERS, gate_count(&gate.entered));
	EXPECT_EQ(VIRTIO_BLK_WORKERS, gate_count(&gate.left));
	/* the held parts read their bytes; the queued ones none */
	EXPECT_TRUE(big_data_is(self->ram, PART_BUF, 0, PART_READ));
	EXPECT_TRUE(big_data_is(self->ram, PART_BUF + PART_READ, 600,
				PART_READ));
	EXPECT_EQ(PART_READ, bytes_are(self->ram + PART_BUF + 2 * PART_READ,
				       0xcc, PART_READ));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[BIG_STATUS(0)]);
	EXPECT_EQ(0xcc, self->ram[BIG_STATUS(1)]);
	free(before);
	free(r);
}

/*
 * Bus mastering turned off while parts of large reads are held and more
 * are queued: unlike a reset, it drops none.  The write returns once
 * every part has run and both reads completed, with all their data.
 */
TEST_F(blk, bus_master_off_completes_parts)
{
	struct resetter *r = calloc(1, sizeof(*r));
	uint16_t next = 0;
	pthread_t t;

	ASSERT_NE(NULL, r);
	offer_split_reads(_metadata, self, &next);
	driver_kick(self->v, 0);
	ASSERT_TRUE(gate_wait_entered(VIRTIO_BLK_WORKERS));
	r->v = self->v;
	r->ram = self->ram;
	ASSERT_EQ(0, pthread_create(&t, NULL, master_off_thread, r));
	usleep(100 * 1000);	/* time to finish, were it not waiting */
	EXPECT_FALSE(__atomic_load_n(&r->done, __ATOMIC_ACQUIRE));
	gate_set(false);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(2, r->used_idx);
	EXPECT_EQ(VIRTIO_BLK_WORKERS + 2, gate_count(&gate.entered));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[BIG_STATUS(0)]);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[BIG_STATUS(1)]);
	EXPECT_TRUE(big_data_is(self->ram, PART_BUF, 0, PART_READ));
	EXPECT_TRUE(big_data_is(self->ram, PART_BUF + PART_READ, 600,
				2 * PART_READ));
	EXPECT_NE(0, dev_status(self->v) & VIRTIO_STATUS_NEEDS_RESET);
	free(r);
}

/*
 * Resets racing large reads that run free (no gate): each reset returns
 * with the device at status 0, and nothing writes to guest memory after
 * it, neither data nor used ring (the canaries set then are intact once
 * the driver is back); the disk then serves a read as before.
 */
TEST_F(blk, resets_race_large_reads)
{
	unsigned int i, bad = 0;
	uint16_t next;

	ASSERT_TRUE(grow_big(self->fd));
	device_up(_metadata, self);
	cc_write(self->v, CC_STATUS, 0, 1);
	for (i = 0; i < 200; i++) {
		driver_init(self->v, self->ram);
		next = 0;
		offer_big_read(self->ram, &next, 0, i, BIG_BUF, BIG_LEN);
		driver_kick(self->v, 0);
		if (i % 4)
			usleep(i % 4 * 100);
		cc_write(self->v, CC_STATUS, 0, 1);
		if (dev_status(self->v))
			bad++;
		memset(self->ram + BIG_BUF, 0xa5, BIG_LEN);
		self->ram[BIG_STATUS(0)] = 0xa5;
		put_le16(self->ram + USED + 2, 0xa5a5);
		usleep(200);
		if (bytes_are(self->ram + BIG_BUF, 0xa5, BIG_LEN) != BIG_LEN ||
		    self->ram[BIG_STATUS(0)] != 0xa5 ||
		    get_le16(self->ram + USED + 2) != 0xa5a5)
			bad++;
	}
	EXPECT_EQ(0, bad);
	driver_init(self->v, self->ram);
	next = 0;
	offer_big_read(self->ram, &next, 0, 7, BIG_BUF, BIG_LEN);
	driver_kick(self->v, 0);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[BIG_STATUS(0)]);
	EXPECT_TRUE(big_data_is(self->ram, BIG_BUF, 7, BIG_LEN));
}

/*
 * The segment limits a driver reads: SEG_MAX segments of SIZE_MAX bytes,
 * with the header and the status, make a chain the queue takes, whose
 * read completes (past the disk's end: an I/O error) without NEEDS_RESET.
 * Without SIZE_MAX Linux builds requests of any size, and one over the
 * chain limit stopped the disk for good.
 */
TEST_F(blk, segment_limits_config)
{
	uint32_t seg_max, size_max;
	uint64_t table = BIG_BUF, status = BIG_BUF + 0x1000;
	uint16_t next = 0;
	uint8_t cfg[8];
	unsigned int i;

	device_up(_metadata, self);
	EXPECT_TRUE(self->v->host_features & 1ULL << VIRTIO_BLK_F_SIZE_MAX);
	EXPECT_TRUE(self->v->host_features & 1ULL << VIRTIO_BLK_F_SEG_MAX);
	self->v->ops->cfg_read(self->v, 8, cfg, sizeof(cfg));
	size_max = get_le32(cfg);
	seg_max = get_le32(cfg + 4);
	EXPECT_EQ(VIRTIO_BLK_SIZE_MAX, size_max);
	EXPECT_EQ(VQ_MAX_SEGS - 2, seg_max);
	ASSERT_GE(VQ_MAX_CHAIN_BYTES,
		  (uint64_t)seg_max * size_max + VIRTIO_BLK_HDR_LEN + 1);

	/* header, seg_max segments over one buffer, status: indirect */
	cc_write(self->v, CC_STATUS, 0, 1);
	driver_init_with(self->v, self->ram, 1ULL << VIRTIO_F_INDIRECT_DESC);
	put_le32(self->ram + HDR(0), VIRTIO_BLK_T_IN);
	put_le32(self->ram + HDR(0) + 4, 0);
	put_le64(self->ram + HDR(0) + 8, SECTORS);
	set_desc(self->ram, table, 0, HDR(0), VIRTIO_BLK_HDR_LEN,
		 VRING_DESC_F_NEXT, 1);
	for (i = 1; i <= seg_max; i++)
		set_desc(self->ram, table, i, DATA(0), size_max,
			 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, i + 1);
	set_desc(self->ram, table, seg_max + 1, status, 1,
		 VRING_DESC_F_WRITE, 0);
	self->ram[status] = 0xcc;
	set_desc(self->ram, DESC, 0, table, (seg_max + 2) * 16,
		 VRING_DESC_F_INDIRECT, 0);
	vring_offer(self->ram, AVAIL, QSIZE, &next, 0);
	driver_kick(self->v, 0);
	ASSERT_TRUE(vring_wait_used(self->ram, USED, 1));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->ram[status]);
	EXPECT_EQ(0, dev_status(self->v) & VIRTIO_STATUS_NEEDS_RESET);
}

/*
 * The features and the configuration a driver reads: write zeroes of up
 * to VIRTIO_BLK_MAX_WRITE_ZEROES sectors in one segment, which may unmap; a
 * read-only disk offers neither it nor discard.  An image has one writer
 * or any number of readers: a read-only disk beside the writable one is
 * refused, two read-only disks are not, nor is a writable one once the
 * image is free again.
 */
TEST_F(blk, write_zeroes_config)
{
	struct virtio_dev *ro, *other;
	uint8_t cfg[12];
	struct vq_mem mem;
	char spec[80];

	device_up(_metadata, self);
	EXPECT_TRUE(self->v->host_features &
		    1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
	self->v->ops->cfg_read(self->v, 48, cfg, sizeof(cfg));
	EXPECT_EQ(VIRTIO_BLK_MAX_WRITE_ZEROES, get_le32(cfg));
	EXPECT_EQ(1, get_le32(cfg + 4));
	EXPECT_EQ(1, cfg[8]);
	mem.base = self->ram;
	mem.size = RAM_SIZE;
	snprintf(spec, sizeof(spec), "%s,ro", self->path);
	EXPECT_EQ(NULL, virtio_blk_create(spec, 1, &mem, no_doorbell, NULL));
	virtio_stop(self->v);
	virtio_blk_free(self->v);
	self->v = NULL;
	ro = virtio_blk_create(spec, 1, &mem, no_doorbell, NULL);
	ASSERT_NE(NULL, ro);
	EXPECT_FALSE(ro->host_features & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES |
					  1ULL << VIRTIO_BLK_F_DISCARD));
	EXPECT_TRUE(ro->host_features & 1ULL << VIRTIO_BLK_F_RO);
	other = virtio_blk_create(spec, 2, &mem, no_doorbell, NULL);
	EXPECT_NE(NULL, other);
	if (other)
		virtio_blk_free(other);
	EXPECT_EQ(NULL, virtio_blk_create(self->path, 3, &mem, no_doorbell,
					  NULL));
	virtio_blk_free(ro);
	other = virtio_blk_create(self->path, 4, &mem, no_doorbell, NULL);
	ASSERT_NE(NULL, other);
	virtio_blk_free(other);
}

TEST_HARNESS_MAIN
