// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's virtio-blk requests
 * (userspace/hvx-run/virtio_blk_req.c) on a temporary image file: reads
 * and writes (with the header and the status sharing buffers with data
 * or not), the size checks, the read-only disk, flush, GET_ID, discard
 * punching holes, unknown requests and chains too short for a request.
 * Then the whole disk (virtio_blk.c on the transport, its device thread
 * and workers): a driver reset while its reads are in flight.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"
#include "../../userspace/hvx-run/virtio_blk.h"
#include "../../userspace/hvx-run/virtio_pci.h"
#include "virtio_driver.h"
#include "vring_build.h"

#define SECTORS		64
#define SERIAL		"disk-serial-0123456789"

FIXTURE(blk) {
	char path[64];
	int fd;
	uint8_t hdr[16], data[4096], status;
	struct vq_elem e;
	struct virtio_dev *v;
	uint8_t *ram;
};

FIXTURE_SETUP(blk)
{
	uint8_t sector[512];
	unsigned int i;

	strcpy(self->path, "/tmp/hvx-blk-test.XXXXXX");
	self->fd = mkstemp(self->path);
	ASSERT_LE(0, self->fd);
	for (i = 0; i < SECTORS; i++) {
		memset(sector, i, sizeof(sector));
		ASSERT_EQ(512, write(self->fd, sector, sizeof(sector)));
	}
	self->status = 0xff;
}

static void gate_set(bool hold);

FIXTURE_TEARDOWN(blk)
{
	/* a failed check may leave workers held: the disk joins them */
	gate_set(false);
	if (self->v) {
		virtio_stop(self->v);
		virtio_blk_free(self->v);
	}
	free(self->ram);
	close(self->fd);
	unlink(self->path);
}

/* header | data (out or in) | status, one buffer each */
static void request(struct vq_elem *e, uint8_t *hdr, uint32_t type,
		    uint64_t sector, void *data, size_t len, bool out,
		    uint8_t *status)
{
	memset(e, 0, sizeof(*e));
	put_le32(hdr, type);
	put_le32(hdr + 4, 0);
	put_le64(hdr + 8, sector);
	e->iov[0].iov_base = hdr;
	e->iov[0].iov_len = 16;
	e->nr_out = 1;
	e->out_len = 16;
	if (len && out) {
		e->iov[1].iov_base = data;
		e->iov[1].iov_len = len;
		e->nr_out++;
		e->out_len += len;
	} else if (len) {
		e->iov[1].iov_base = data;
		e->iov[1].iov_len = len;
		e->nr_in++;
		e->in_len += len;
	}
	e->iov[e->nr_out + e->nr_in].iov_base = status;
	e->iov[e->nr_out + e->nr_in].iov_len = 1;
	e->nr_in++;
	e->in_len++;
}

static uint8_t file_byte(int fd, off_t off)
{
	uint8_t b = 0xee;

	if (pread(fd, &b, 1, off) != 1)
		return 0xee;
	return b;
}

TEST_F(blk, read)
{
	request(&self->e, self->hdr, VIRTIO_BLK_T_IN, 3, self->data, 1024,
		false, &self->status);
	EXPECT_EQ(1025, virtio_blk_handle(self->fd, 0, SECTORS, SERIAL,
					  &self->e));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_EQ(3, self->data[0]);
	EXPECT_EQ(3, self->data[511]);
	EXPECT_EQ(4, self->data[512]);
	EXPECT_EQ(4, self->data[1023]);
}

TEST_F(blk, read_with_status_in_the_data_buffer)
{
	/* one writable buffer: 512 bytes of data, then the status */
	request(&self->e, self->hdr, VIRTIO_BLK_T_IN, 5, NULL, 0, false,
		&self->status);
	self->e.iov[1].iov_base = self->data;
	self->e.iov[1].iov_len = 513;
	self->e.in_len = 513;
	EXPECT_EQ(513, virtio_blk_handle(self->fd, 0, SECTORS, SERIAL,
					 &self->e));
	EXPECT_EQ(5, self->data[511]);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->data[512]);
}

TEST_F(blk, write_reaches_the_file)
{
	memset(self->data, 0xa5, 1024);
	request(&self->e, self->hdr, VIRTIO_BLK_T_OUT, 10, self->data, 1024,
		true, &self->status);
	EXPECT_EQ(1, virtio_blk_handle(self->fd, 0, SECTORS, SERIAL,
				       &self->e));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_EQ(9, file_byte(self->fd, 10 * 512 - 1));
	EXPECT_EQ(0xa5, file_byte(self->fd, 10 * 512));
	EXPECT_EQ(0xa5, file_byte(self->fd, 12 * 512 - 1));
	EXPECT_EQ(12, file_byte(self->fd, 12 * 512));
}

TEST_F(blk, write_with_header_in_the_data_buffer)
{
	/*
	 * The readable bytes as the driver may lay them out: the header and
	 * the first 100 data bytes in one buffer, the other 924 in a second.
	 */
	unsigned int i;

	request(&self->e, self->data, VIRTIO_BLK_T_OUT, 20, NULL, 0, true,
		&self->status);
	for (i = 0; i < 1024; i++)
		self->data[16 + i] = (uint8_t)(i * 7 + 1);
	self->e.iov[0].iov_len = 116;
	self->e.iov[1].iov_base = self->data + 116;
	self->e.iov[1].iov_len = 924;
	self->e.iov[2].iov_base = &self->status;
	self->e.iov[2].iov_len = 1;
	self->e.nr_out = 2;
	self->e.out_len = 1040;
	EXPECT_EQ(1, virtio_blk_handle(self->fd, 0, SECTORS, SERIAL,
				       &self->e));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_EQ(19, file_byte(self->fd, 20 * 512 - 1));
	for (i = 0; i < 1024; i += 99)
		EXPECT_EQ((uint8_t)(i * 7 + 1),
			  file_byte(self->fd, 20 * 512 + i)) TH_LOG("byte %u", i);
	EXPECT_EQ((uint8_t)(1023 * 7 + 1), file_byte(self->fd, 22 * 512 - 1));
	EXPECT_EQ(22, file_byte(self->fd, 22 * 512));
}

/* fdatasync() is wrapped (-Wl,--wrap=fdatasync): counted, or failing */
static unsigned int nr_syncs;
static bool sync_fails;

int __real_fdatasync(int fd);

int __wrap_fdatasync(int fd)
{
	__atomic_add_fetch(&nr_syncs, 1, __ATOMIC_SEQ_CST);
	if (sync_fails) {
		errno = EIO;
		return -1;
	}
	return __real_fdatasync(fd);
}

/*
 * Without FLUSH negotiated the cache is write-through: a write is on the
 * disk (fdatasync) before it completes, and fails if that does.
 */
TEST_F(blk, write_through_mode_syncs_each_write)
{
	memset(self->data, 0x5a, 512);
	request(&self->e, self->hdr, VIRTIO_BLK_T_OUT, 3, self->data, 512,
		true, &self->status);
	nr_syncs = 0;
	virtio_blk_handle(self->fd, 0, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_EQ(0, nr_syncs);
	virtio_blk_handle(self->fd, VIRTIO_BLK_MODE_SYNC, SECTORS, SERIAL,
			  &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_EQ(1, nr_syncs);
	EXPECT_EQ(0x5a, file_byte(self->fd, 3 * 512));
	sync_fails = true;
	virtio_blk_handle(self->fd, VIRTIO_BLK_MODE_SYNC, SECTORS, SERIAL,
			  &self->e);
	sync_fails = false;
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	/* reads do not sync */
	request(&self->e, self->hdr, VIRTIO_BLK_T_IN, 3, self->data, 512,
		false, &self->status);
	virtio_blk_handle(self->fd, VIRTIO_BLK_MODE_SYNC, SECTORS, SERIAL,
			  &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_EQ(2, nr_syncs);
}

TEST_F(blk, read_only_refuses_writes)
{
	memset(self->data, 0xa5, 512);
	request(&self->e, self->hdr, VIRTIO_BLK_T_OUT, 1, self->data, 512,
		true, &self->status);
	EXPECT_EQ(1, virtio_blk_handle(self->fd, VIRTIO_BLK_MODE_RO, SECTORS,
				       SERIAL, &self->e));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	EXPECT_EQ(1, file_byte(self->fd, 512));
	request(&self->e, self->hdr, VIRTIO_BLK_T_DISCARD, 0, self->data, 16,
		true, &self->status);
	virtio_blk_handle(self->fd, VIRTIO_BLK_MODE_RO, SECTORS, SERIAL,
			  &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, self->status);	/* not offered */
	/* reads still work */
	request(&self->e, self->hdr, VIRTIO_BLK_T_IN, 1, self->data, 512,
		false, &self->status);
	virtio_blk_handle(self->fd, VIRTIO_BLK_MODE_RO, SECTORS, SERIAL,
			  &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
}

TEST_F(blk, beyond_the_end_and_partial_sectors)
{
	memset(self->data, 0xaa, 1024);
	request(&self->e, self->hdr, VIRTIO_BLK_T_IN, SECTORS - 1, self->data,
		1024, false, &self->status);
	/* a read that failed zeroed its data: len counts from byte 0 */
	EXPECT_EQ(1025, virtio_blk_handle(self->fd, 0, SECTORS, SERIAL,
					  &self->e));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	EXPECT_EQ(0, self->data[0]);
	EXPECT_EQ(0, self->data[1023]);
	request(&self->e, self->hdr, VIRTIO_BLK_T_OUT, ~0ULL, self->data, 512,
		true, &self->status);
	virtio_blk_handle(self->fd, 0, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	request(&self->e, self->hdr, VIRTIO_BLK_T_IN, 0, self->data, 100,
		false, &self->status);
	virtio_blk_handle(self->fd, 0, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
}

/*
 * Writes past the end: the first sector after it, and further on.  The
 * file keeps its size (a write that went through would extend it).
 */
TEST_F(blk, write_past_the_end_leaves_the_file)
{
	struct stat st;
	uint64_t sector;

	for (sector = SECTORS; sector <= SECTORS + 10; sector += 10) {
		request(&self->e, self->hdr, VIRTIO_BLK_T_OUT, sector,
			self->data, 512, true, &self->status);
		virtio_blk_handle(self->fd, 0, SECTORS, SERIAL, &self->e);
		EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	}
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(SECTORS * 512, st.st_size);
}

/* GET_ID into a buffer shorter than the serial: no byte past it. */
TEST_F(blk, get_id_short_buffer)
{
	memset(self->data, 0xaa, 64);
	request(&self->e, self->hdr, VIRTIO_BLK_T_GET_ID, 0, self->data, 8,
		false, &self->status);
	self->status = 0xbb;
	EXPECT_EQ(9, virtio_blk_handle(self->fd, 0, SECTORS, SERIAL,
				       &self->e));
	EXPECT_EQ(0, memcmp(self->data, SERIAL, 8));
	EXPECT_EQ(0xaa, self->data[8]);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	/* a longer buffer: the 20 bytes, then zeros up to the status */
	memset(self->data, 0xaa, 64);
	request(&self->e, self->hdr, VIRTIO_BLK_T_GET_ID, 0, self->data, 40,
		false, &self->status);
	EXPECT_EQ(41, virtio_blk_handle(self->fd, 0, SECTORS, SERIAL,
					&self->e));
	EXPECT_EQ(0, memcmp(self->data, SERIAL, VIRTIO_BLK_ID_BYTES));
	EXPECT_EQ(0, self->data[39]);
	EXPECT_EQ(0xaa, self->data[40]);
}

TEST_F(blk, flush_get_id_unknown)
{
	request(&self->e, self->hdr, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false,
		&self->status);
	EXPECT_EQ(1, virtio_blk_handle(self->fd, 0, SECTORS, SERIAL,
				       &self->e));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	memset(self->data, 0, 64);
	request(&self->e, self->hdr, VIRTIO_BLK_T_GET_ID, 0, self->data, 20,
		false, &self->status);
	EXPECT_EQ(21, virtio_blk_handle(self->fd, 0, SECTORS, SERIAL,
					&self->e));
	EXPECT_EQ(0, memcmp(self->data, SERIAL, 20));
	request(&self->e, self->hdr, 99, 0, NULL, 0, false, &self->status);
	virtio_blk_handle(self->fd, 0, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, self->status);
}

TEST_F(blk, discard_punches_a_hole)
{
	uint8_t seg[16];

	put_le64(seg, 8);
	put_le32(seg + 8, 8);
	put_le32(seg + 12, 0);
	request(&self->e, self->hdr, VIRTIO_BLK_T_DISCARD, 0, seg, 16, true,
		&self->status);
	/* the file system's own answer decides, not the device's */
	if (fallocate(self->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      SECTORS * 512 - 512, 512))
		SKIP(return, "no hole punching on this file system");
	virtio_blk_handle(self->fd, 0, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_EQ(7, file_byte(self->fd, 8 * 512 - 1));
	EXPECT_EQ(0, file_byte(self->fd, 8 * 512));
	EXPECT_EQ(0, file_byte(self->fd, 16 * 512 - 1));
	EXPECT_EQ(16, file_byte(self->fd, 16 * 512));
	/* past the end */
	put_le64(seg, SECTORS - 4);
	virtio_blk_handle(self->fd, 0, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	/* the unmap flag, or one the device does not know: no hole */
	put_le64(seg, 24);
	put_le32(seg + 12, 1);
	virtio_blk_handle(self->fd, 0, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, self->status);
	put_le32(seg + 12, 0x80000000U);
	virtio_blk_handle(self->fd, 0, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, self->status);
	EXPECT_EQ(24, file_byte(self->fd, 24 * 512));
}

TEST_F(blk, chain_too_short)
{
	request(&self->e, self->hdr, VIRTIO_BLK_T_IN, 0, NULL, 0, false,
		&self->status);
	self->e.iov[0].iov_len = 8;
	self->e.out_len = 8;
	EXPECT_EQ(0, virtio_blk_handle(self->fd, 0, SECTORS, SERIAL,
				       &self->e));
	EXPECT_EQ(0xff, self->status);
	/* a header, but no writable byte for the status */
	request(&self->e, self->hdr, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false,
		&self->status);
	self->e.nr_in = 0;
	self->e.in_len = 0;
	EXPECT_EQ(0, virtio_blk_handle(self->fd, 0, SECTORS, SERIAL,
				       &self->e));
	EXPECT_EQ(0xff, self->status);
}

static bool no_zero_range, no_punch;

int __real_fallocate(int fd, int mode, off_t off, off_t len);

/* A file system without ZERO_RANGE (tmpfs) or hole punching, on demand. */
int __wrap_fallocate(int fd, int mode, off_t off, off_t len)
{
	if ((no_zero_range && (mode & FALLOC_FL_ZERO_RANGE)) ||
	    (no_punch && (mode & FALLOC_FL_PUNCH_HOLE))) {
		errno = EOPNOTSUPP;
		return -1;
	}
	return __real_fallocate(fd, mode, off, len);
}

/*
 * Sectors @from to @to - 1 of the file read zeroes (@zero) or, as they
 * were written, the low byte of their number in every byte.
 */
static bool sectors_are(int fd, unsigned int from, unsigned int to,
			bool zero)
{
	uint8_t buf[512];
	unsigned int s, i;

	for (s = from; s < to; s++) {
		if (pread(fd, buf, sizeof(buf), s * 512) != sizeof(buf))
			return false;
		for (i = 0; i < sizeof(buf); i++)
			if (buf[i] != (zero ? 0 : (uint8_t)s))
				return false;
	}
	return true;
}

static long long blocks_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : (long long)st.st_blocks;
}

/* Whether punching 4 KiB out of a written file frees its block here. */
static bool punch_frees(void)
{
	char path[] = "/tmp/hvx-blk-punch.XXXXXX";
	static uint8_t buf[16384];
	int fd = mkstemp(path);
	long long before;
	bool frees;

	if (fd < 0)
		return false;
	memset(buf, 1, sizeof(buf));
	frees = write(fd, buf, sizeof(buf)) == sizeof(buf) && !fsync(fd);
	before = blocks_of(fd);
	frees = frees && !fallocate(fd, FALLOC_FL_PUNCH_HOLE |
				    FALLOC_FL_KEEP_SIZE, 4096, 4096) &&
		blocks_of(fd) == before - 8;
	close(fd);
	unlink(path);
	return frees;
}

#define WZ_SECTORS	2048	/* the disk grown to 1 MiB for these */

/* The fixture's disk grown to WZ_SECTORS, each new sector as the first. */
static bool grow_disk(int fd)
{
	uint8_t sector[512];
	unsigned int s;

	for (s = SECTORS; s < WZ_SECTORS; s++) {
		memset(sector, s, sizeof(sector));
		if (pwrite(fd, sector, 512, s * 512) != 512)
			return false;
	}
	return true;
}

/* A write zeroes request of one segment, @seg, into the fixture's @e. */
#define wz_request(self, seg, sector, num, flags) do {			\
	put_le64((seg), (sector));					\
	put_le32((seg) + 8, (num));					\
	put_le32((seg) + 12, (flags));					\
	request(&(self)->e, (self)->hdr, VIRTIO_BLK_T_WRITE_ZEROES, 0,	\
		(seg), 16, true, &(self)->status);			\
} while (0)

/*
 * WRITE_ZEROES: the range reads zeroes and nothing around it changes.
 * Without the unmap flag the zeroes stay allocated, by the file system's
 * zero range, a hole allocated again where it has none (tmpfs), or
 * written where it has neither; with it, the range becomes a hole where
 * the file system punches one, else allocated zeroes.  Write-through mode
 * syncs them, and fails them when the sync fails.
 */
TEST_F(blk, write_zeroes)
{
	/* the hole first: a file system's new extent blocks come later */
	static const struct {
		bool unmap, no_zero_range, no_punch, hole;
	} ways[] = {
		{ true, false, false, true }, { false, false, false, false },
		{ false, true, false, false }, { false, true, true, false },
		{ true, false, true, false },
	};
	bool holes = punch_frees();
	unsigned int i, s;
	long long before;
	uint8_t seg[16];

	ASSERT_TRUE(grow_disk(self->fd));
	ASSERT_EQ(0, fsync(self->fd));
	if (!holes)
		TH_LOG("punching frees no block here: holes not checked");
	for (i = 0; i < 5; i++) {
		s = 64 + 16 * i;
		wz_request(self, seg, s, 8, ways[i].unmap ?
			   VIRTIO_BLK_WZ_UNMAP : 0);
		no_zero_range = ways[i].no_zero_range;
		no_punch = ways[i].no_punch;
		nr_syncs = 0;
		before = blocks_of(self->fd);
		virtio_blk_handle(self->fd, VIRTIO_BLK_MODE_SYNC, WZ_SECTORS,
				  SERIAL, &self->e);
		no_zero_range = false;
		no_punch = false;
		EXPECT_EQ(VIRTIO_BLK_S_OK, self->status) TH_LOG("way %u", i);
		EXPECT_EQ(1, nr_syncs);
		EXPECT_TRUE(sectors_are(self->fd, s - 1, s, false));
		EXPECT_TRUE(sectors_are(self->fd, s, s + 8, true))
			TH_LOG("way %u", i);
		EXPECT_TRUE(sectors_are(self->fd, s + 8, s + 9, false));
		/* a hole frees the range's block; no other way frees any */
		if (ways[i].hole && holes) {
			EXPECT_EQ(before - 8, blocks_of(self->fd));
		} else if (!ways[i].hole) {
			EXPECT_LE(before, blocks_of(self->fd))
				TH_LOG("way %u", i);
		}
	}
}

/*
 * WRITE_ZEROES written in more than one chunk, without a sync in
 * write-back mode; up to the last sector; a failed sync fails the
 * request; refused without zeroing anything: an unknown flag, a range
 * past the end, one longer than max_write_zeroes_sectors, a read-only
 * disk.
 */
TEST_F(blk, write_zeroes_limits)
{
	uint8_t seg[16];

	ASSERT_TRUE(grow_disk(self->fd));
	wz_request(self, seg, 512, 300, 0);
	wz_request(self, seg, 512, 300, 0);
	no_zero_range = true;
	no_punch = true;
	nr_syncs = 0;
	virtio_blk_handle(self->fd, 0, WZ_SECTORS, SERIAL, &self->e);
	no_zero_range = false;
	no_punch = false;
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_EQ(0, nr_syncs);
	EXPECT_TRUE(sectors_are(self->fd, 511, 512, false));
	EXPECT_TRUE(sectors_are(self->fd, 512, 812, true));
	EXPECT_TRUE(sectors_are(self->fd, 812, 813, false));

	wz_request(self, seg, WZ_SECTORS - 4, 4, 0);
	virtio_blk_handle(self->fd, 0, WZ_SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_TRUE(sectors_are(self->fd, WZ_SECTORS - 4, WZ_SECTORS, true));
	wz_request(self, seg, 1024, 8, 0);
	sync_fails = true;
	virtio_blk_handle(self->fd, VIRTIO_BLK_MODE_SYNC, WZ_SECTORS, SERIAL,
			  &self->e);
	sync_fails = false;
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);

	/* refused, nothing zeroed: an unknown flag, past the end, too long */
	wz_request(self, seg, 48, 4, 2);
	virtio_blk_handle(self->fd, 0, WZ_SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, self->status);
	wz_request(self, seg, WZ_SECTORS - 2, 4, 0);
	virtio_blk_handle(self->fd, 0, WZ_SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	wz_request(self, seg, 0, VIRTIO_BLK_MAX_WRITE_ZEROES + 1, 0);
	virtio_blk_handle(self->fd, 0, VIRTIO_BLK_MAX_WRITE_ZEROES + 8,
			  SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	/* a read-only disk does not offer it */
	wz_request(self, seg, 48, 4, 0);
	virtio_blk_handle(self->fd, VIRTIO_BLK_MODE_RO, WZ_SECTORS, SERIAL,
			  &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, self->status);
	EXPECT_TRUE(sectors_are(self->fd, 0, 64, false));
	EXPECT_TRUE(sectors_are(self->fd, WZ_SECTORS - 6, WZ_SECTORS - 4,
				false));
}

/*
 * Discard data that is not whole 16-byte segments, a segment of more
 * sectors than the device announces, and more segments than it
 * announces, are refused without a hole.
 */
TEST_F(blk, discard_bad_segments)
{
	uint8_t seg[32];

	memset(seg, 0, sizeof(seg));
	put_le64(seg, 8);
	put_le32(seg + 8, 8);
	request(&self->e, self->hdr, VIRTIO_BLK_T_DISCARD, 0, seg, 20, true,
		&self->status);
	virtio_blk_handle(self->fd, 0, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	EXPECT_EQ(8, file_byte(self->fd, 8 * 512));
	put_le64(seg, 0);
	put_le32(seg + 8, VIRTIO_BLK_MAX_DISCARD + 1);
	request(&self->e, self->hdr, VIRTIO_BLK_T_DISCARD, 0, seg, 16, true,
		&self->status);
	virtio_blk_handle(self->fd, 0, VIRTIO_BLK_MAX_DISCARD + 8, SERIAL,
			  &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	EXPECT_EQ(8, file_byte(self->fd, 8 * 512));
	/* two segments, where the device announces one */
	put_le64(seg, 8);
	put_le32(seg + 8, 8);
	put_le64(seg + 16, 24);
	put_le32(seg + 24, 8);
	request(&self->e, self->hdr, VIRTIO_BLK_T_DISCARD, 0, seg, 32, true,
		&self->status);
	virtio_blk_handle(self->fd, 0, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	EXPECT_EQ(8, file_byte(self->fd, 8 * 512));
	EXPECT_EQ(24, file_byte(self->fd, 24 * 512));
}

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

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool hold;
	unsigned int entered, left;	/* preadv calls begun, ended */
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

/* the disk's preadv(); the read itself is preadv2(), which is not wrapped */
ssize_t __wrap_preadv(int fd, const struct iovec *iov, int n, off_t off)
{
	ssize_t r;

	pthread_mutex_lock(&gate.lock);
	gate.entered++;
	pthread_cond_broadcast(&gate.cond);
	while (gate.hold)
		pthread_cond_wait(&gate.cond, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
	r = preadv2(fd, iov, n, off, 0);
	pthread_mutex_lock(&gate.lock);
	gate.left++;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
	return r;
}

static void gate_set(bool hold)
{
	pthread_mutex_lock(&gate.lock);
	gate.hold = hold;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
}

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

/* Fresh rings, VERSION_1 negotiated, queue 0 on, DRIVER_OK. */
static void driver_init(struct virtio_dev *v, uint8_t *ram)
{
	memset(ram + DESC, 0, USED + VRING_USED_SIZE(QSIZE) - DESC);
	driver_features(v, 1ULL << VIRTIO_F_VERSION_1);
	driver_queue(v, 0, QSIZE, DESC, AVAIL, USED);
	cc_write(v, CC_STATUS, 0x0f, 1);	/* DRIVER_OK */
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

/* Offer request @i: write sector @i + 1 from DATA(@i), status after it. */
static void offer_write(uint8_t *ram, uint16_t *next, unsigned int i)
{
	put_le32(ram + HDR(i), VIRTIO_BLK_T_OUT);
	put_le32(ram + HDR(i) + 4, 0);
	put_le64(ram + HDR(i) + 8, i + 1);
	memset(ram + DATA(i), 0x77, 512);
	ram[DATA(i) + 512] = 0xcc;
	set_desc(ram, DESC, 2 * i, HDR(i), 16, VRING_DESC_F_NEXT, 2 * i + 1);
	set_desc(ram, DESC, 2 * i + 1, DATA(i), 512, VRING_DESC_F_NEXT,
		 2 * i + 2);
	set_desc(ram, DESC, 2 * i + 2, DATA(i) + 512, 1, VRING_DESC_F_WRITE,
		 0);
	vring_offer(ram, AVAIL, QSIZE, next, 2 * i);
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

static bool wait_used(uint8_t *ram, uint16_t idx)
{
	unsigned int ms;

	for (ms = 0; ms < 5000; ms++) {
		if (__atomic_load_n((uint16_t *)(ram + USED + 2),
				    __ATOMIC_ACQUIRE) == idx)
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * A request without room for its header (or its status) is malformed:
 * NEEDS_RESET, and the requests after it wait for the reset.
 */
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

TEST_F(blk, short_request_needs_reset)
{
	uint16_t next = 0;
	unsigned int i;

	device_up(_metadata, self);
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
	driver_kick(self->v, 0);
	ASSERT_TRUE(gate_wait_entered(VIRTIO_BLK_WORKERS));

	r->v = self->v;
	r->ram = self->ram;
	ASSERT_EQ(0, pthread_create(&t, NULL, reset_thread, r));
	ASSERT_TRUE(wait_resetting(self->v));
	usleep(100 * 1000);	/* time to finish, were it not waiting */
	/* the reset waits for the reads; the driver still sees no 0 */
	EXPECT_FALSE(__atomic_load_n(&r->done, __ATOMIC_ACQUIRE));
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
	ASSERT_TRUE(wait_used(self->ram, 1));
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
	ASSERT_TRUE(wait_used(self->ram, 1));
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
	ASSERT_TRUE(wait_used(self->ram, 1));
	EXPECT_EQ(5, self->ram[DATA(4)]);
	EXPECT_EQ(0x0f, dev_status(self->v));
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
	ASSERT_TRUE(wait_used(self->ram, 1));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[DATA(0) + 512]);
	EXPECT_EQ(1, __atomic_load_n(&nr_syncs, __ATOMIC_SEQ_CST));
	EXPECT_EQ(0x77, file_byte(self->fd, 512));

	cc_write(self->v, CC_STATUS, 0, 1);
	memset(self->ram + DESC, 0, USED + VRING_USED_SIZE(QSIZE) - DESC);
	driver_features(self->v, 1ULL << VIRTIO_F_VERSION_1 |
			1ULL << VIRTIO_BLK_F_FLUSH);
	driver_queue(self->v, 0, QSIZE, DESC, AVAIL, USED);
	cc_write(self->v, CC_STATUS, 0x0f, 1);
	next = 0;
	offer_write(self->ram, &next, 3);
	driver_kick(self->v, 0);
	ASSERT_TRUE(wait_used(self->ram, 1));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->ram[DATA(3) + 512]);
	EXPECT_EQ(1, __atomic_load_n(&nr_syncs, __ATOMIC_SEQ_CST));
	EXPECT_EQ(0x77, file_byte(self->fd, 4 * 512));
}

/*
 * The features and the configuration a driver reads: write zeroes of up
 * to VIRTIO_BLK_MAX_WRITE_ZEROES sectors in one segment, which may unmap; a
 * read-only disk offers neither it nor discard.
 */
TEST_F(blk, write_zeroes_config)
{
	uint8_t cfg[12];
	struct virtio_dev *ro;
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
	ro = virtio_blk_create(spec, 1, &mem, no_doorbell, NULL);
	ASSERT_NE(NULL, ro);
	EXPECT_FALSE(ro->host_features & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES |
					  1ULL << VIRTIO_BLK_F_DISCARD));
	EXPECT_TRUE(ro->host_features & 1ULL << VIRTIO_BLK_F_RO);
	virtio_blk_free(ro);
}

TEST_HARNESS_MAIN
