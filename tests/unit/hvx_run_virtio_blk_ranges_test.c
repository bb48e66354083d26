// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's virtio-blk requests on ranges of sectors
 * (userspace/hvx-run/virtio_blk_req.c): discard punching holes (or
 * doing nothing where the file system cannot), write
 * zeroes in each of its ways (the file system's zero range, a hole, or
 * writes), their limits and refusals.
 */
#include "kselftest_harness.h"

#include "virtio_blk_fixture.h"

/* virtio_blk_handle()'s modes of a driver that negotiated the command */
#define DISCARD	VIRTIO_BLK_MODE_DISCARD
#define ZEROES	VIRTIO_BLK_MODE_ZEROES
#define SYNC	VIRTIO_BLK_MODE_SYNC

/* A request of one segment, @seg, of @type into the fixture's @e. */
#define range_request(self, type, seg, sector, num, flags) do {		\
	put_le64((seg), (sector));					\
	put_le32((seg) + 8, (num));					\
	put_le32((seg) + 12, (flags));					\
	request(&(self)->e, (self)->hdr, (type), 0, (seg), 16, true,	\
		&(self)->status);					\
} while (0)

TEST_F(blk, discard_punches_a_hole)
{
	uint8_t seg[16];

	range_request(self, VIRTIO_BLK_T_DISCARD, seg, 8, 8, 0);
	/* the file system's own answer decides, not the device's */
	if (fallocate(self->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      SECTORS * 512 - 512, 512))
		SKIP(return, "no hole punching on this file system");
	virtio_blk_handle(self->fd, DISCARD, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_EQ(7, file_byte(self->fd, 8 * 512 - 1));
	EXPECT_EQ(0, file_byte(self->fd, 8 * 512));
	EXPECT_EQ(0, file_byte(self->fd, 16 * 512 - 1));
	EXPECT_EQ(16, file_byte(self->fd, 16 * 512));
	/* past the end */
	put_le64(seg, SECTORS - 4);
	virtio_blk_handle(self->fd, DISCARD, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	/* the unmap flag, or one the device does not know: no hole */
	put_le64(seg, 24);
	put_le32(seg + 12, 1);
	virtio_blk_handle(self->fd, DISCARD, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, self->status);
	put_le32(seg + 12, 0x80000000U);
	virtio_blk_handle(self->fd, DISCARD, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, self->status);
	EXPECT_EQ(24, file_byte(self->fd, 24 * 512));
}

/*
 * On a file system that punches no hole (vfat, NFSv3), a discard succeeds
 * and leaves the data: deallocating is a may.  (It failed with IOERR,
 * an I/O error in the guest's log for each discard, and fstrim failed.)
 */
TEST_F(blk, discard_without_hole_punching_succeeds)
{
	uint8_t seg[16];

	range_request(self, VIRTIO_BLK_T_DISCARD, seg, 8, 8, 0);
	no_punch = true;
	virtio_blk_handle(self->fd, DISCARD, SECTORS, SERIAL, &self->e);
	no_punch = false;
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_EQ(8, file_byte(self->fd, 8 * 512));
	EXPECT_EQ(15, file_byte(self->fd, 16 * 512 - 1));
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

#define wz_request(self, seg, sector, num, flags)			\
	range_request(self, VIRTIO_BLK_T_WRITE_ZEROES, seg, sector, num, flags)

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
		virtio_blk_handle(self->fd, SYNC | ZEROES, WZ_SECTORS,
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
	virtio_blk_handle(self->fd, ZEROES, WZ_SECTORS, SERIAL, &self->e);
	no_zero_range = false;
	no_punch = false;
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_EQ(0, nr_syncs);
	EXPECT_TRUE(sectors_are(self->fd, 511, 512, false));
	EXPECT_TRUE(sectors_are(self->fd, 512, 812, true));
	EXPECT_TRUE(sectors_are(self->fd, 812, 813, false));

	wz_request(self, seg, WZ_SECTORS - 4, 4, 0);
	virtio_blk_handle(self->fd, ZEROES, WZ_SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_TRUE(sectors_are(self->fd, WZ_SECTORS - 4, WZ_SECTORS, true));
	wz_request(self, seg, 1024, 8, 0);
	sync_fails = true;
	virtio_blk_handle(self->fd, SYNC | ZEROES, WZ_SECTORS, SERIAL,
			  &self->e);
	sync_fails = false;
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);

	/* refused, nothing zeroed: an unknown flag, past the end, too long */
	wz_request(self, seg, 48, 4, 2);
	virtio_blk_handle(self->fd, ZEROES, WZ_SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, self->status);
	wz_request(self, seg, WZ_SECTORS - 2, 4, 0);
	virtio_blk_handle(self->fd, ZEROES, WZ_SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	wz_request(self, seg, 0, VIRTIO_BLK_MAX_WRITE_ZEROES + 1, 0);
	virtio_blk_handle(self->fd, ZEROES, VIRTIO_BLK_MAX_WRITE_ZEROES + 8,
			  SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	/* a read-only disk does not offer it: refused even if it did */
	wz_request(self, seg, 48, 4, 0);
	virtio_blk_handle(self->fd, VIRTIO_BLK_MODE_RO | ZEROES, WZ_SECTORS,
			  SERIAL, &self->e);
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
	virtio_blk_handle(self->fd, DISCARD, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	EXPECT_EQ(8, file_byte(self->fd, 8 * 512));
	put_le64(seg, 0);
	put_le32(seg + 8, VIRTIO_BLK_MAX_DISCARD + 1);
	request(&self->e, self->hdr, VIRTIO_BLK_T_DISCARD, 0, seg, 16, true,
		&self->status);
	virtio_blk_handle(self->fd, DISCARD, VIRTIO_BLK_MAX_DISCARD + 8, SERIAL,
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
	virtio_blk_handle(self->fd, DISCARD, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_IOERR, self->status);
	EXPECT_EQ(8, file_byte(self->fd, 8 * 512));
	EXPECT_EQ(24, file_byte(self->fd, 24 * 512));
}

/*
 * A driver that did not negotiate DISCARD or WRITE_ZEROES (one that
 * wants its image allocated, or that took the other alone) gets either
 * refused as unsupported, with no hole punched and nothing zeroed.
 */
TEST_F(blk, ranges_need_their_feature)
{
	static const struct {
		uint32_t type;
		unsigned int mode;
	} cases[] = {
		{ VIRTIO_BLK_T_DISCARD, 0 },
		{ VIRTIO_BLK_T_DISCARD, SYNC | ZEROES },
		{ VIRTIO_BLK_T_WRITE_ZEROES, 0 },
		{ VIRTIO_BLK_T_WRITE_ZEROES, SYNC | DISCARD },
	};
	unsigned int i, flags;
	uint8_t seg[16];

	for (i = 0; i < 4; i++) {
		/* the unmap flag: each way would leave a hole */
		flags = 0;
		if (cases[i].type == VIRTIO_BLK_T_WRITE_ZEROES)
			flags = VIRTIO_BLK_WZ_UNMAP;
		put_le64(seg, 8);
		put_le32(seg + 8, 8);
		put_le32(seg + 12, flags);
		request(&self->e, self->hdr, cases[i].type, 0, seg, 16, true,
			&self->status);
		virtio_blk_handle(self->fd, cases[i].mode, SECTORS, SERIAL,
				  &self->e);
		EXPECT_EQ(VIRTIO_BLK_S_UNSUPP, self->status) TH_LOG("case %u", i);
		EXPECT_EQ(8, file_byte(self->fd, 8 * 512)) TH_LOG("case %u", i);
		EXPECT_EQ(15, file_byte(self->fd, 16 * 512 - 1));
	}
	/* negotiated (discard_punches_a_hole has the discard) */
	wz_request(self, seg, 8, 8, VIRTIO_BLK_WZ_UNMAP);
	virtio_blk_handle(self->fd, ZEROES, SECTORS, SERIAL, &self->e);
	EXPECT_EQ(VIRTIO_BLK_S_OK, self->status);
	EXPECT_EQ(0, file_byte(self->fd, 8 * 512));
	EXPECT_EQ(7, file_byte(self->fd, 8 * 512 - 1));
}

TEST_HARNESS_MAIN
