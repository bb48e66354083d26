/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx-run: virtio-blk requests (virtio_blk_req.c), for virtio_blk.c and
 * the unit tests.
 */
#ifndef HVX_RUN_VIRTIO_BLK_H
#define HVX_RUN_VIRTIO_BLK_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "virtqueue.h"

/* Feature bits */
#define VIRTIO_BLK_F_SIZE_MAX	1
#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_BLK_SIZE	6
#define VIRTIO_BLK_F_FLUSH	9
#define VIRTIO_BLK_F_DISCARD	13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

/* Request types */
#define VIRTIO_BLK_T_IN		0
#define VIRTIO_BLK_T_OUT	1
#define VIRTIO_BLK_T_FLUSH	4
#define VIRTIO_BLK_T_GET_ID	8
#define VIRTIO_BLK_T_DISCARD	11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

/* Status */
#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define VIRTIO_BLK_SECTOR	512
#define VIRTIO_BLK_ID_BYTES	20
#define VIRTIO_BLK_HDR_LEN	16	/* type, reserved, sector */
/* a discard or write zeroes segment: sector, num_sectors, flags */
#define VIRTIO_BLK_SEG_LEN	16
#define VIRTIO_BLK_WZ_UNMAP	0x1	/* flags: write zeroes may deallocate */
/*
 * Segments of one request, and the bytes of one: a driver told of no size
 * limit (Linux) builds requests as large as its buffers go, and a chain
 * over VQ_MAX_CHAIN_BYTES puts the device in NEEDS_RESET.  The most it may
 * send, header and status included, stays under that.
 */
#define VIRTIO_BLK_SEG_MAX	(VQ_MAX_SEGS - 2)
#define VIRTIO_BLK_SIZE_MAX	(256U << 10)
static_assert(VIRTIO_BLK_SEG_MAX * (uint64_t)VIRTIO_BLK_SIZE_MAX +
	      VIRTIO_BLK_HDR_LEN + 1 <= VQ_MAX_CHAIN_BYTES,
	      "a request of SEG_MAX segments of SIZE_MAX is one chain");
/* sectors in a discard segment, and segments in one request */
#define VIRTIO_BLK_MAX_DISCARD	0x3fffff
#define VIRTIO_BLK_MAX_DISCARD_SEG 1
/*
 * The same for write zeroes.  32 MiB: zeroes written where the file
 * system cannot allocate them take a worker long, and a reset or bus
 * mastering off waits for it (Linux splits larger ones).
 */
#define VIRTIO_BLK_MAX_WRITE_ZEROES 0x10000
#define VIRTIO_BLK_MAX_WRITE_ZEROES_SEG 1
/* threads per disk (virtio_blk.c); -D changes it for bench.rst's figures */
#ifndef VIRTIO_BLK_WORKERS
#define VIRTIO_BLK_WORKERS	4
#endif

/* virtio_blk_handle()'s @mode */
#define VIRTIO_BLK_MODE_RO	0x1	/* writes, discards, zeroes fail */
#define VIRTIO_BLK_MODE_SYNC	0x2	/* writes reach the disk (no FLUSH) */
#define VIRTIO_BLK_MODE_DISCARD	0x4	/* DISCARD negotiated */
#define VIRTIO_BLK_MODE_ZEROES	0x8	/* WRITE_ZEROES negotiated */

uint32_t virtio_blk_handle(int fd, unsigned int mode, uint64_t sectors,
			   const char *serial, struct vq_elem *e);
uint64_t virtio_blk_read_len(const struct vq_elem *e, uint64_t sectors,
			     uint64_t *sector);
uint8_t virtio_blk_read_part(int fd, const struct vq_elem *e, uint64_t sector,
			     uint64_t from, uint64_t len);
uint32_t virtio_blk_read_end(struct vq_elem *e, uint8_t status);

#endif /* HVX_RUN_VIRTIO_BLK_H */
