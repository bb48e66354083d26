// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's virtio-blk requests
 * (userspace/hvx-run/virtio_blk_req.c) on a temporary image file: reads
 * and writes (with the header and the status sharing buffers with data
 * or not), the size checks, the read-only disk, flush, GET_ID, discard
 * punching holes, unknown requests and chains too short for a request.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"
#include "../../userspace/hvx-run/virtio_blk.h"

#define SECTORS		64
#define SERIAL		"disk-serial-0123456789"

FIXTURE(blk) {
	char path[64];
	int fd;
	uint8_t hdr[16], data[4096], status;
	struct vq_elem e;
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

FIXTURE_TEARDOWN(blk)
{
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
	EXPECT_EQ(1025, virtio_blk_handle(self->fd, false, SECTORS, SERIAL,
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
	EXPECT_EQ(513, virtio_blk_handle(self->fd, false, SECTORS, SERIAL,
					 &self->e));
	EXPECT_EQ(5, self->data[511]);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->data[512]);
}

TEST_F(blk, write_reaches_the_file)
{
	memset(self->data, 0xa5, 1024);
	request(&self->e, self->hdr, VIRTIO_BLK_T_OUT, 10, self->data, 1024,
		true, &self->status);
	EXPECT_EQ(1, virtio_blk_handle(self->fd, false, SECTORS, SERIAL,
				       &self->e));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_EQ(9, file_byte(self->fd, 10 * 512 - 1));
	EXPECT_EQ(0xa5, file_byte(self->fd, 10 * 512));
	EXPECT_EQ(0xa5, file_byte(self->fd, 12 * 512 - 1));
	EXPECT_EQ(12, file_byte(self->fd, 12 * 512));
}

TEST_F(blk, read_only_refuses_writes)
{
	memset(self->data, 0xa5, 512);
	request(&self->e, self->hdr, VIRTIO_BLK_T_OUT, 1, self->data, 512,
		true, &self->status);
	EXPECT_EQ(1, virtio_blk_handle(self->fd, true, SECTORS, SERIAL,
				       &self->e));
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	EXPECT_EQ(1, file_byte(self->fd, 512));
	request(&self->e, self->hdr, VIRTIO_BLK_T_DISCARD, 0, self->data, 16,
		true, &self->status);
	virtio_blk_handle(self->fd, true, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	/* reads still work */
	request(&self->e, self->hdr, VIRTIO_BLK_T_IN, 1, self->data, 512,
		false, &self->status);
	virtio_blk_handle(self->fd, true, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
}

TEST_F(blk, beyond_the_end_and_partial_sectors)
{
	request(&self->e, self->hdr, VIRTIO_BLK_T_IN, SECTORS - 1, self->data,
		1024, false, &self->status);
	virtio_blk_handle(self->fd, false, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	request(&self->e, self->hdr, VIRTIO_BLK_T_OUT, ~0ULL, self->data, 512,
		true, &self->status);
	virtio_blk_handle(self->fd, false, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	request(&self->e, self->hdr, VIRTIO_BLK_T_IN, 0, self->data, 100,
		false, &self->status);
	virtio_blk_handle(self->fd, false, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
}

TEST_F(blk, flush_get_id_unknown)
{
	request(&self->e, self->hdr, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false,
		&self->status);
	EXPECT_EQ(1, virtio_blk_handle(self->fd, false, SECTORS, SERIAL,
				       &self->e));
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	memset(self->data, 0, 64);
	request(&self->e, self->hdr, VIRTIO_BLK_T_GET_ID, 0, self->data, 20,
		false, &self->status);
	EXPECT_EQ(21, virtio_blk_handle(self->fd, false, SECTORS, SERIAL,
					&self->e));
	EXPECT_EQ(0, memcmp(self->data, SERIAL, 20));
	request(&self->e, self->hdr, 99, 0, NULL, 0, false, &self->status);
	virtio_blk_handle(self->fd, false, SECTORS, SERIAL, &self->e);
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
	virtio_blk_handle(self->fd, false, SECTORS, SERIAL, &self->e);
	if (self->status == VIRTIO_BLK_S_IOERR)
		SKIP(return, "no hole punching on this file system");
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_EQ(7, file_byte(self->fd, 8 * 512 - 1));
	EXPECT_EQ(0, file_byte(self->fd, 8 * 512));
	EXPECT_EQ(0, file_byte(self->fd, 16 * 512 - 1));
	EXPECT_EQ(16, file_byte(self->fd, 16 * 512));
	/* past the end */
	put_le64(seg, SECTORS - 4);
	virtio_blk_handle(self->fd, false, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
}

TEST_F(blk, chain_too_short)
{
	request(&self->e, self->hdr, VIRTIO_BLK_T_IN, 0, NULL, 0, false,
		&self->status);
	self->e.iov[0].iov_len = 8;
	self->e.out_len = 8;
	EXPECT_EQ(0, virtio_blk_handle(self->fd, false, SECTORS, SERIAL,
				       &self->e));
	EXPECT_EQ(0xff, self->status);
}

TEST_HARNESS_MAIN
