// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's virtio-blk requests
 * (userspace/hvx-run/virtio_blk_req.c) on a temporary image file: reads
 * and writes (with the header and the status sharing buffers with data
 * or not), the size checks, the read-only disk, flush, GET_ID, unknown
 * requests and chains too short for a request.  Discard and write zeroes
 * are in hvx_run_virtio_blk_ranges_test.c, the whole device in
 * hvx_run_virtio_blk_device_test.c.
 */
#include "kselftest_harness.h"

#include "virtio_blk_fixture.h"

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

TEST_HARNESS_MAIN
