// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: one virtio-blk request, on the image file.
 *
 * A request is a header (type, reserved, sector) in the readable
 * buffers, then data (readable for writes, discards and write zeroes,
 * writable for reads and GET_ID), then one writable status byte at the
 * very end.  The
 * header and the status may share buffers with the data: the data is the
 * rest of the readable bytes after the header, and all writable bytes
 * but the last.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hvx-run.h"
#include "virtio_blk.h"

static const uint8_t zeroes[65536];

/* preadv/pwritev until all of it is done; a read past the end is 0s. */
static int rw_all(int fd, struct iovec *iov, unsigned int n, off_t off,
		  bool write)
{
	ssize_t r;

	while (n) {
		r = write ? pwritev(fd, iov, n, off) : preadv(fd, iov, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (!r) {
			if (write)
				return -1;
			while (n--)
				memset(iov[n].iov_base, 0, iov[n].iov_len);
			return 0;
		}
		off += r;
		while (n && (size_t)r >= iov->iov_len) {
			r -= iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= r;
		}
	}
	return 0;
}

/*
 * fallocate() failed because the file system lacks the mode, not the
 * disk: another way may do.  Any other error is the request's.
 */
static bool unsupported(int r)
{
	return r && errno == EOPNOTSUPP;
}

static int punch_hole(int fd, off_t off, off_t len)
{
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
			 len);
}

/*
 * Zeroes over @len bytes at @off, allocated: the file system's zero
 * range where it has one; else a hole allocated again (tmpfs has no zero
 * range, and writing 32 MiB of zeroes costs it 20 times as much); else
 * written.
 */
static int zeroes_allocated(int fd, off_t off, off_t len)
{
	ssize_t r;

	r = fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off,
		      len);
	if (!unsupported(r))
		return r;
	r = punch_hole(fd, off, len);
	if (!r)
		r = fallocate(fd, FALLOC_FL_KEEP_SIZE, off, len);
	if (!unsupported(r))
		return r;
	while (len) {
		r = pwrite(fd, zeroes, len < (off_t)sizeof(zeroes) ? len :
			   (off_t)sizeof(zeroes), off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = EIO;
			return -1;
		}
		off += r;
		len -= r;
	}
	return 0;
}

/*
 * DISCARD or WRITE_ZEROES: segments of (sector, num_sectors, flags).  A
 * discard punches a hole; a write zeroes with the unmap flag may, as
 * write_zeroes_may_unmap says (the range reads zeroes either way), where
 * the file system can; without it, the zeroes are allocated.  Zeroes are
 * data: in write-through mode they reach the disk before completing.
 */
static uint8_t do_ranges(int fd, unsigned int mode, uint64_t sectors,
			 struct vq_elem *e, bool zeroes)
{
	uint64_t data = e->out_len - VIRTIO_BLK_HDR_LEN, at, sector;
	uint8_t seg[VIRTIO_BLK_SEG_LEN];
	uint32_t num, flags, max = VIRTIO_BLK_MAX_DISCARD;
	uint64_t max_data = VIRTIO_BLK_MAX_DISCARD_SEG * VIRTIO_BLK_SEG_LEN;
	off_t off, len;
	int r;

	if (zeroes) {
		max = VIRTIO_BLK_MAX_WRITE_ZEROES;
		max_data = VIRTIO_BLK_MAX_WRITE_ZEROES_SEG *
			   VIRTIO_BLK_SEG_LEN;
	}
	/*
	 * Only for a driver that negotiated it (a read-only disk offers
	 * neither): one that did not may count on the image staying
	 * allocated, and a command the device does not support is
	 * VIRTIO_BLK_S_UNSUPP (virtio 1.2 5.2.6).
	 */
	if ((mode & VIRTIO_BLK_MODE_RO) ||
	    !(mode & (zeroes ? VIRTIO_BLK_MODE_ZEROES :
		      VIRTIO_BLK_MODE_DISCARD)))
		return VIRTIO_BLK_S_UNSUPP;
	/* no more segments than the device announces (max_*_seg) */
	if (!data || data % VIRTIO_BLK_SEG_LEN || data > max_data)
		return VIRTIO_BLK_S_IOERR;
	for (at = 0; at < data; at += VIRTIO_BLK_SEG_LEN) {
		iov_copy(e->iov, e->nr_out, VIRTIO_BLK_HDR_LEN + at, seg,
			 sizeof(seg), false);
		sector = get_le64(seg);
		num = get_le32(seg + 8);
		flags = get_le32(seg + 12);
		/*
		 * A flag the device does not know, or unmap on a discard:
		 * virtio 1.2 5.2.6.2
		 */
		if (flags & ~(zeroes ? VIRTIO_BLK_WZ_UNMAP : 0))
			return VIRTIO_BLK_S_UNSUPP;
		if (num > max || sector > sectors || num > sectors - sector)
			return VIRTIO_BLK_S_IOERR;
		if (!num)
			continue;
		off = sector * VIRTIO_BLK_SECTOR;
		len = (off_t)num * VIRTIO_BLK_SECTOR;
		if (zeroes && !(flags & VIRTIO_BLK_WZ_UNMAP)) {
			r = zeroes_allocated(fd, off, len);
		} else {
			r = punch_hole(fd, off, len);
			/*
			 * Deallocating is a may (virtio 1.2 5.2.6.2): where
			 * the file system cannot punch (vfat, NFSv3, many
			 * FUSE file systems), a discard does nothing and
			 * unmapping zeroes write allocated zeroes.
			 */
			if (unsupported(r))
				r = zeroes ? zeroes_allocated(fd, off, len) : 0;
		}
		if (r)
			return VIRTIO_BLK_S_IOERR;
	}
	if (zeroes && (mode & VIRTIO_BLK_MODE_SYNC) && fdatasync(fd))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

/**
 * virtio_blk_read_part() - read part of a read's data
 * @fd: the image file
 * @e: the read's chain (virtio_blk_read_len() gave its length)
 * @sector: its first sector
 * @from: the part's first byte in the data, a multiple of the sector
 * @len: the part's bytes
 *
 * Return: VIRTIO_BLK_S_OK, or VIRTIO_BLK_S_IOERR when the read failed.
 */
uint8_t virtio_blk_read_part(int fd, const struct vq_elem *e, uint64_t sector,
			     uint64_t from, uint64_t len)
{
	struct iovec iov[VQ_MAX_SEGS];
	unsigned int n;

	n = iov_slice(e->iov + e->nr_out, e->nr_in, from, len, iov);
	if (rw_all(fd, iov, n, sector * VIRTIO_BLK_SECTOR + from, false))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

/*
 * IN or OUT of @len bytes at @sector.  A driver that did not negotiate
 * FLUSH has a write-through cache (virtio 1.2 5.2.6.2): its writes are
 * on the disk before they complete.
 */
static uint8_t do_rw(int fd, unsigned int mode, uint64_t sectors,
		     struct vq_elem *e, uint64_t sector, bool write,
		     uint64_t len)
{
	struct iovec iov[VQ_MAX_SEGS];
	unsigned int n;

	if (write && (mode & VIRTIO_BLK_MODE_RO))
		return VIRTIO_BLK_S_IOERR;
	if (len % VIRTIO_BLK_SECTOR || sector > sectors ||
	    len / VIRTIO_BLK_SECTOR > sectors - sector)
		return VIRTIO_BLK_S_IOERR;
	if (!write)
		return virtio_blk_read_part(fd, e, sector, 0, len);
	n = iov_slice(e->iov, e->nr_out, VIRTIO_BLK_HDR_LEN, len, iov);
	if (rw_all(fd, iov, n, sector * VIRTIO_BLK_SECTOR, true) ||
	    ((mode & VIRTIO_BLK_MODE_SYNC) && fdatasync(fd)))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

/*
 * Zero bytes @from to @to of the writable buffers: the used ring's len
 * counts the bytes written from the first writable one on (virtio 1.2
 * 2.7.8.1), and the status comes last, so a request that wrote less
 * (one that failed, a GET_ID into a longer buffer) fills the rest.
 */
static void zero_from(const struct iovec *in, unsigned int nr, uint64_t from,
		      uint64_t to)
{
	uint64_t n;

	for (; from < to; from += n) {
		n = to - from < sizeof(zeroes) ? to - from : sizeof(zeroes);
		iov_copy(in, nr, from, (void *)zeroes, n, true);
	}
}

/*
 * A request's end: zero its writable bytes from @written on, the status
 * last.  Return: the used length, every writable byte.
 */
static uint32_t finish(struct vq_elem *e, uint64_t written, uint8_t status)
{
	struct iovec *in = e->iov + e->nr_out;
	uint64_t data_in = e->in_len - 1;

	zero_from(in, e->nr_in, written, data_in);
	iov_copy(in, e->nr_in, data_in, &status, 1, true);
	return data_in + 1;
}

/**
 * virtio_blk_read_len() - whether a request is a read the device may
 * serve in parts (virtio_blk_read_part())
 * @e: the request's chain, with room for a header and a status
 * @sectors: the disk's size in sectors
 * @sector: set to the read's first sector
 *
 * Return: the bytes of data a read of whole sectors within the disk
 * asks for; 0 for any other request, which virtio_blk_handle() serves
 * (and refuses, where it must) whole.
 */
uint64_t virtio_blk_read_len(const struct vq_elem *e, uint64_t sectors,
			     uint64_t *sector)
{
	uint8_t hdr[VIRTIO_BLK_HDR_LEN];
	uint64_t len = e->in_len - 1;

	iov_copy(e->iov, e->nr_out, 0, hdr, sizeof(hdr), false);
	*sector = get_le64(hdr + 8);
	if (get_le32(hdr) != VIRTIO_BLK_T_IN || len % VIRTIO_BLK_SECTOR ||
	    *sector > sectors || len / VIRTIO_BLK_SECTOR > sectors - *sector)
		return 0;
	return len;
}

/**
 * virtio_blk_read_end() - finish a read served in parts, once all are done
 * @e: the read's chain
 * @status: VIRTIO_BLK_S_OK when every part was read
 *
 * Return: the bytes written into the chain, as virtio_blk_handle()'s: a
 * failed read's data is zeroed, as a failed read served whole.
 */
uint32_t virtio_blk_read_end(struct vq_elem *e, uint8_t status)
{
	return finish(e, status == VIRTIO_BLK_S_OK ? e->in_len - 1 : 0,
		      status);
}

/**
 * virtio_blk_handle() - carry out one request
 * @fd: the image file
 * @mode: VIRTIO_BLK_MODE_*
 * @sectors: its size in sectors
 * @serial: GET_ID's answer (VIRTIO_BLK_ID_BYTES, NUL-padded)
 * @e: the request's chain
 *
 * A write or a write zeroes has reached the file (pwritev or fallocate
 * returned; with VIRTIO_BLK_MODE_SYNC, the disk) and a flush the disk
 * (fdatasync) before this returns.
 *
 * Return: the bytes written into the chain's writable buffers, all of
 * them (what a request does not fill is zeroed), status included; 0 for
 * a chain too short to hold a header and a status.
 */
uint32_t virtio_blk_handle(int fd, unsigned int mode, uint64_t sectors,
			   const char *serial, struct vq_elem *e)
{
	uint8_t hdr[VIRTIO_BLK_HDR_LEN], status = VIRTIO_BLK_S_OK;
	uint64_t sector, data_in;
	struct iovec *in = e->iov + e->nr_out;
	uint32_t written = 0;
	size_t n;

	if (e->out_len < VIRTIO_BLK_HDR_LEN || e->in_len < 1)
		return 0;
	iov_copy(e->iov, e->nr_out, 0, hdr, sizeof(hdr), false);
	sector = get_le64(hdr + 8);
	data_in = e->in_len - 1;
	switch (get_le32(hdr)) {
	case VIRTIO_BLK_T_IN:
		status = do_rw(fd, mode, sectors, e, sector, false, data_in);
		if (status == VIRTIO_BLK_S_OK)
			written = data_in;
		break;
	case VIRTIO_BLK_T_OUT:
		status = do_rw(fd, mode, sectors, e, sector, true,
			       e->out_len - VIRTIO_BLK_HDR_LEN);
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (fdatasync(fd))
			status = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		n = data_in < VIRTIO_BLK_ID_BYTES ? data_in :
		    VIRTIO_BLK_ID_BYTES;
		written = iov_copy(in, e->nr_in, 0, (void *)serial, n, true);
		break;
	case VIRTIO_BLK_T_DISCARD:
		status = do_ranges(fd, mode, sectors, e, false);
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = do_ranges(fd, mode, sectors, e, true);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
	}
	return finish(e, written, status);
}
