/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of hvx-run's virtio-net unit tests: a fake guest RAM with
 * both queues' rings, a datagram socket pair in place of the tap, a fake
 * TUNSETOFFLOAD that records the flags, tap reads and writes that fail on
 * demand (readv(), read() and writev() wrapped at link time), and the
 * driver's side of
 * frames (chains posted, frames made, the used ring waited for).
 * Included by each virtio-net test program, after kselftest_harness.h.
 */
#ifndef HVX_TEST_VIRTIO_NET_FIXTURE_H
#define HVX_TEST_VIRTIO_NET_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../../userspace/hvx-run/hvx-run.h"
#include "../../userspace/hvx-run/virtio_net.h"
#include "../../userspace/hvx-run/virtio_pci.h"
#include "virtio_driver.h"
#include "vring_build.h"

#define RAM_SIZE	(1 << 20)
#define QSIZE		16
#define DESC(q)		(0x1000 + 0x4000 * (q))
#define AVAIL(q)	(DESC(q) + 0x1000)
#define USED(q)		(DESC(q) + 0x2000)
#define BUF(i)		(0x20000 + 0x1000 * (i))
#define FRAME_LEN	60
#define F(bit)		(1ULL << (bit))

/*
 * What the device told the "tap" last, and whether it may; @fd's next
 * @fail_reads reads take a frame and fail with EINVAL, as a tap's does
 * when it cannot express a frame's offloads in the header (it frees the
 * frame); while @write_errno is set, writes fail with it.
 */
static struct {
	int calls;
	unsigned int flags;
	bool refuse;
	int fd;
	int fail_reads;
	int write_errno;
} tap;

ssize_t __real_readv(int fd, const struct iovec *iov, int n);
ssize_t __real_read(int fd, void *buf, size_t len);

static inline ssize_t tap_read_result(int fd, ssize_t r)
{
	if (r < 0 || fd != tap.fd ||
	    !__atomic_load_n(&tap.fail_reads, __ATOMIC_ACQUIRE))
		return r;
	__atomic_sub_fetch(&tap.fail_reads, 1, __ATOMIC_RELEASE);
	errno = EINVAL;
	return -1;
}

ssize_t __wrap_readv(int fd, const struct iovec *iov, int n)
{
	return tap_read_result(fd, __real_readv(fd, iov, n));
}

ssize_t __wrap_read(int fd, void *buf, size_t len)
{
	return tap_read_result(fd, __real_read(fd, buf, len));
}

ssize_t __real_writev(int fd, const struct iovec *iov, int n);

ssize_t __wrap_writev(int fd, const struct iovec *iov, int n)
{
	int err = __atomic_load_n(&tap.write_errno, __ATOMIC_ACQUIRE);

	if (fd == tap.fd && err) {
		errno = err;
		return -1;
	}
	return __real_writev(fd, iov, n);
}

static inline int fake_offload(int fd, unsigned int flags)
{
	tap.calls++;
	if (tap.refuse) {
		errno = EINVAL;
		return -1;
	}
	tap.flags = flags;
	return 0;
}

static inline int no_doorbell(void *ctx, int efd, uint64_t gpa, bool on)
{
	return -1;	/* the kicks come through virtio_bar_write() */
}

FIXTURE(net) {
	uint8_t *ram;
	int peer;
	struct virtio_dev *v;
	uint16_t next[2];
};

FIXTURE_SETUP(net)
{
	struct vq_mem mem;
	int sv[2];

	memset(&tap, 0, sizeof(tap));
	self->ram = calloc(1, RAM_SIZE);
	ASSERT_NE(NULL, self->ram);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, fcntl(sv[0], F_SETFL, O_NONBLOCK));
	tap.fd = sv[0];
	self->peer = sv[1];
	mem.base = self->ram;
	mem.size = RAM_SIZE;
	self->v = virtio_net_create_fd(sv[0], (const uint8_t *)"\x02\x11\x22\x33\x44\x55",
				       fake_offload, &mem, no_doorbell, NULL);
	ASSERT_NE(NULL, self->v);
	ASSERT_EQ(0, virtio_start(self->v));
}

FIXTURE_TEARDOWN(net)
{
	if (self->v) {
		virtio_stop(self->v);
		virtio_net_free(self->v);
	}
	close(self->peer);
	free(self->ram);
}

static inline uint16_t used_idx(uint8_t *ram, unsigned int q)
{
	return __atomic_load_n((uint16_t *)(ram + USED(q) + 2),
			       __ATOMIC_ACQUIRE);
}

static inline bool wait_used(uint8_t *ram, unsigned int q, uint16_t idx)
{
	unsigned int ms;

	for (ms = 0; ms < 5000; ms++) {
		if (used_idx(ram, q) == idx)
			return true;
		usleep(1000);
	}
	return false;
}

static inline bool wait_status(struct virtio_dev *v, uint8_t bit)
{
	unsigned int ms;

	for (ms = 0; ms < 5000; ms++) {
		if (dev_status(v) & bit)
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * Wait until the device thread has taken @n receive chains it has not
 * handed back, read under the queue's lock as the device does: a test
 * of what the device does with a chain it holds must not go on while
 * the chain still waits in the avail ring, or it tests nothing.
 */
static inline bool wait_rx_in_flight(struct virtio_dev *v, unsigned int n)
{
	struct virtqueue *vq = &v->vq[VNET_RXQ];
	unsigned int ms, got;

	for (ms = 0; ms < 5000; ms++) {
		pthread_mutex_lock(&vq->lock);
		got = vq->in_flight;
		pthread_mutex_unlock(&vq->lock);
		if (got == n)
			return true;
		usleep(1000);
	}
	return false;
}

/*
 * Wait until the device thread has made every tap read that @fail_reads
 * asked to fail (a positive condition, not a fixed sleep: the thread
 * may be late on a loaded machine).
 */
static inline bool wait_failed_reads_done(void)
{
	unsigned int ms;

	for (ms = 0; ms < 5000; ms++) {
		if (!__atomic_load_n(&tap.fail_reads, __ATOMIC_ACQUIRE))
			return true;
		usleep(1000);
	}
	return false;
}

/* Both queues on, with @features and VERSION_1; DRIVER_OK. */
static inline void driver_init(struct virtio_dev *v, uint8_t *ram,
			       uint16_t *next, uint64_t features)
{
	unsigned int q;

	memset(ram, 0, BUF(0));
	driver_features(v, features | F(VIRTIO_F_VERSION_1));
	for (q = 0; q < 2; q++) {
		driver_queue(v, q, QSIZE, DESC(q), AVAIL(q), USED(q));
		next[q] = 0;
	}
	cc_write(v, CC_STATUS, 0x0f, 1);
}

/* Receive chain @head: a header buffer, then @len bytes, at BUF(@i). */
static inline void post_rx(uint8_t *ram, uint16_t *next, uint16_t head,
			   unsigned int i, uint32_t len)
{
	memset(ram + BUF(i), 0xcc, VNET_HDR_LEN + len);
	set_desc(ram, DESC(VNET_RXQ), head, BUF(i), VNET_HDR_LEN,
		 VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, head + 1);
	set_desc(ram, DESC(VNET_RXQ), head + 1, BUF(i) + VNET_HDR_LEN, len,
		 VRING_DESC_F_WRITE, 0);
	vring_offer(ram, AVAIL(VNET_RXQ), QSIZE, next, head);
}

/* A frame with a header: flags, gso_type, then @fill. */
static inline void make_frame(uint8_t *p, uint8_t flags, uint8_t fill)
{
	memset(p, 0, VNET_HDR_LEN);
	p[0] = flags;
	put_le16(p + 2, 14);	/* hdr_len */
	put_le16(p + 6, 34);	/* csum_start */
	put_le16(p + 8, 16);	/* csum_offset */
	memset(p + VNET_HDR_LEN, fill, FRAME_LEN);
}

/*
 * After a reset, a new driver (with @features) posts a chain of its own
 * (head 6, buffer 3): the frame filled with @fill waiting in the socket
 * goes there, and the old chain's buffer 0 stays as the old driver left
 * it.
 */
static inline void
new_driver_gets_the_frame(struct __test_metadata *_metadata,
			  FIXTURE_DATA(net) *self, uint64_t features,
			  uint8_t fill)
{
	driver_init(self->v, self->ram, self->next, features);
	memset(self->ram + BUF(0), 0xcc, 64);
	post_rx(self->ram, &self->next[VNET_RXQ], 6, 3, 1514);
	driver_kick(self->v, VNET_RXQ);
	ASSERT_TRUE(wait_used(self->ram, VNET_RXQ, 1));
	EXPECT_EQ(6, get_le32(self->ram + USED(VNET_RXQ) + 4));
	EXPECT_EQ(fill, self->ram[BUF(3) + VNET_HDR_LEN]);
	EXPECT_EQ(0xcc, self->ram[BUF(0)]);
}

#endif /* HVX_TEST_VIRTIO_NET_FIXTURE_H */
