// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's virtio-blk requests
 * (userspace/hvx-run/virtio_blk_req.c) on a temporary image file: reads
 * and writes (with the header and the status sharing buffers with data
 * or not), the size checks, the read-only disk, flush, GET_ID, unknown
 * requests and chains too short for a request; requests made at
 * random.  Discard and write zeroes
 * are in hvx_run_virtio_blk_ranges_test.c, the whole device in
 * hvx_run_virtio_blk_device_test.c.
 */
#include <sys/mman.h>

#include "kselftest_harness.h"

#include "virtio_blk_fixture.h"
#include "xorshift.h"

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
	/* not offered: refused even if it had been, sectors 8-15 kept */
	memset(self->data, 0, 16);
	put_le64(self->data, 8);
	put_le32(self->data + 8, 8);
	request(&self->e, self->hdr, VIRTIO_BLK_T_DISCARD, 0, self->data, 16,
		true, &self->status);
	virtio_blk_handle(self->fd, VIRTIO_BLK_MODE_RO |
			  VIRTIO_BLK_MODE_DISCARD, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, self->status);
	EXPECT_EQ(8, file_byte(self->fd, 8 * 512));
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

#define ARENA_SIZE	(64 * 1024)

/*
 * A request a careless or hostile driver might send, in @arena: a type
 * (known or not), a sector about the disk's end, readable bytes (the
 * header, data, discard or write-zeroes segments) and writable ones cut
 * into buffers at random places.
 */
static void rnd_request(struct vq_elem *e, uint8_t *arena, uint64_t *x)
{
	static const uint32_t types[] = {
		VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH,
		VIRTIO_BLK_T_GET_ID, VIRTIO_BLK_T_DISCARD,
		VIRTIO_BLK_T_WRITE_ZEROES, 2, 0xffffffff,
	};
	uint64_t r = xorshift64(x), out_len, in_len, at = 0, len, i;
	unsigned int n;

	out_len = r % 4 ? 16 + 16 * (r >> 8) % 3 * 8 : (r >> 8) % 64;
	if ((r >> 12) % 3 == 0)
		out_len += 512 * ((r >> 16) % 5) + (r >> 20) % 2;
	in_len = (r >> 24) % 2 ? 1 + 512 * ((r >> 28) % 5) : (r >> 28) % 1100;
	for (i = 0; i < out_len; i++)
		arena[i] = xorshift64(x);
	put_le32(arena, types[(r >> 40) % 8]);
	put_le64(arena + 8, SECTORS - 4 + (r >> 44) % 8 - ((r >> 52) % 2) *
		 ((r >> 53) % 64));
	/* a segment (sector, sectors, flags) about the disk's end too */
	if (out_len >= 32) {
		put_le64(arena + 16, SECTORS - 8 + (r >> 56) % 12);
		put_le32(arena + 24, (r >> 60) % 6 ? (r >> 4) % 12 : r >> 32);
		put_le32(arena + 28, (r >> 2) % 4 ? 0 : r >> 34);
	}
	memset(e, 0, sizeof(*e));
	for (n = 0; at < out_len + in_len && n < VQ_MAX_SEGS; n++) {
		len = 1 + xorshift64(x) % (out_len + in_len - at);
		if (at < out_len && at + len > out_len)
			len = out_len - at;	/* readable buffers first */
		e->iov[n].iov_base = arena + at;
		e->iov[n].iov_len = len;
		if (at < out_len) {
			e->nr_out++;
			e->out_len += len;
		} else {
			e->nr_in++;
			e->in_len += len;
		}
		at += len;
	}
}

/*
 * Random requests on every mode: each is answered with a known status in
 * its last writable byte and its used length is every writable byte (0
 * for a chain too short for a request); the readable buffers stay as
 * the driver wrote them; the file keeps its size; a read-only disk keeps
 * its bytes; nothing past the buffers is touched (the guard page).
 */
TEST_F(blk, random_requests)
{
	long page = sysconf(_SC_PAGESIZE);
	uint8_t *map, *arena, before[ARENA_SIZE], image[SECTORS * 512];
	uint64_t x = 0x2545f4914f6cdd1dULL, used;
	unsigned int round, mode, bad = 0, failed = 0;
	uint8_t status;
	struct stat st;

	map = mmap(NULL, ARENA_SIZE + page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + ARENA_SIZE, page, PROT_NONE));
	arena = map;
	for (round = 0; round < 10000; round++) {
		mode = xorshift64(&x) % 16;
		rnd_request(&self->e, arena, &x);
		memcpy(before, arena, self->e.out_len);
		if (mode & VIRTIO_BLK_MODE_RO)
			ASSERT_EQ(sizeof(image),
				  pread(self->fd, image, sizeof(image), 0));
		used = virtio_blk_handle(self->fd, mode, SECTORS, SERIAL,
					 &self->e);
		if (memcmp(before, arena, self->e.out_len))
			bad++;
		if (self->e.out_len < 16 || !self->e.in_len) {
			bad += used != 0;
			continue;
		}
		status = arena[self->e.out_len + self->e.in_len - 1];
		if (used != self->e.in_len || status > VIRTIO_BLK_S_UNSUPP)
			bad++;
		failed += status != VIRTIO_BLK_S_OK;
		if ((mode & VIRTIO_BLK_MODE_RO) &&
		    (pread(self->fd, before, sizeof(image), 0) !=
		     sizeof(image) || memcmp(before, image, sizeof(image))))
			bad++;
		if (fstat(self->fd, &st) || st.st_size != SECTORS * 512)
			bad++;
	}
	EXPECT_EQ(0, bad);
	/* both answers were given often */
	EXPECT_LT(500, failed);
	EXPECT_LT(500, round - failed);
	munmap(map, ARENA_SIZE + page);
}

TEST_HARNESS_MAIN
