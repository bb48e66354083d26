/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of hvx-run's virtio-blk unit tests: a temporary image file
 * of SECTORS sectors, each filled with the low byte of its number, and a
 * request built in front of it (request()).  And what the tests fake by
 * wrapping the C library (-Wl,--wrap=preadv,--wrap=fdatasync,
 * --wrap=fallocate): the workers' reads held at a gate or failing at an
 * offset, fdatasync()
 * counted or failing, fallocate() modes missing as on some file systems.
 * Included by each virtio-blk test program, after kselftest_harness.h.
 */
#ifndef HVX_TEST_VIRTIO_BLK_FIXTURE_H
#define HVX_TEST_VIRTIO_BLK_FIXTURE_H

#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../../userspace/hvx-run/hvx-run.h"
#include "../../userspace/hvx-run/virtio_blk.h"
#include "../../userspace/hvx-run/virtio_pci.h"

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

/*
 * The gate the disk's reads pass (preadv() is wrapped): a device test
 * closes it to hold the workers' reads and reset the device under them.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool hold;
	unsigned int entered, left;	/* preadv calls begun, ended */
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

/* A read at this offset fails with EIO (-1: none). */
static off_t preadv_fails_at = -1;

/* the disk's preadv(); the read itself is preadv2(), which is not wrapped */
ssize_t __wrap_preadv(int fd, const struct iovec *iov, int n, off_t off)
{
	ssize_t r;

	if (off == preadv_fails_at) {
		errno = EIO;
		return -1;
	}
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
static inline void request(struct vq_elem *e, uint8_t *hdr, uint32_t type,
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

static inline uint8_t file_byte(int fd, off_t off)
{
	uint8_t b = 0xee;

	if (pread(fd, &b, 1, off) != 1)
		return 0xee;
	return b;
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

#endif
