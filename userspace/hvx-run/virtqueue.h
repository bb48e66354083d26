/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx-run: split virtqueues (virtio 1.2 section 2.7), the device side
 * (virtqueue.c).  Every address the driver gives is checked against
 * guest RAM before it is used; a malformed ring or chain makes
 * vq_pop() fail, and the device then asks for a reset (NEEDS_RESET).
 */
#ifndef HVX_RUN_VIRTQUEUE_H
#define HVX_RUN_VIRTQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define VQ_MAX_SIZE		1024	/* queue_size we offer at most */
#define VQ_MAX_SEGS		130	/* buffers of one chain we accept */
#define VQ_MAX_CHAIN_BYTES	(64ULL << 20)	/* bytes of one chain */

/* Descriptor flags and ring flags */
#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4
#define VRING_USED_F_NO_NOTIFY	1
#define VRING_AVAIL_F_NO_INTERRUPT 1

/* Layout: a descriptor is 16 bytes, ring headers flags + idx. */
#define VRING_DESC_SIZE		16
#define VRING_AVAIL_SIZE(n)	(4 + 2 * (uint64_t)(n) + 2)
#define VRING_USED_SIZE(n)	(4 + 8 * (uint64_t)(n) + 2)

/**
 * struct vq_mem - guest RAM as the device sees it
 * @base:	host address of guest-physical 0
 * @size:	bytes of RAM from guest-physical 0
 */
struct vq_mem {
	uint8_t *base;
	uint64_t size;
};

/**
 * struct virtqueue - one split virtqueue
 * @lock:	protects everything below (the device's threads share it)
 * @mem:	guest RAM
 * @size:	queue size, a power of two
 * @desc:	the descriptor table's guest-physical address
 * @avail:	the driver area
 * @used:	the device area
 * @ready:	vq_start() checked the areas and the queue runs
 * @paused:	the device takes no chain now (vq_pause())
 * @event_idx:	VIRTIO_F_EVENT_IDX was negotiated
 * @indirect:	VIRTIO_F_INDIRECT_DESC was negotiated
 * @bad_said:	a malformed ring was said; later ones are not (a reset
 *		keeps it)
 * @last_avail:	the next avail ring entry to take
 * @used_idx:	the used ring index the device publishes next
 * @in_flight:	chains taken and not yet handed back; never more than
 *		@size, the most a driver can have made available
 * @name:	for the log line of a malformed ring
 */
struct virtqueue {
	pthread_mutex_t lock;
	struct vq_mem mem;
	uint16_t size;
	uint64_t desc, avail, used;
	bool ready, paused, event_idx, indirect, bad_said;
	uint16_t last_avail, used_idx;
	unsigned int in_flight;
	const char *name;
};

/**
 * struct vq_elem - one chain taken from the avail ring
 * @head:	its head descriptor, for vq_push()
 * @nr_desc:	descriptors of the queue's table it holds (an indirect
 *		table counts as one)
 * @nr_out:	driver-to-device buffers, first in @iov
 * @nr_in:	device-to-driver buffers, after them
 * @out_len:	bytes of the @nr_out buffers
 * @in_len:	bytes of the @nr_in buffers
 * @iov:	the buffers, in guest RAM
 */
struct vq_elem {
	uint16_t head;
	unsigned int nr_desc, nr_out, nr_in;
	uint64_t out_len, in_len;
	struct iovec iov[VQ_MAX_SEGS];
};

/**
 * struct vq_used - a chain handed back: one used ring element
 * @head:	its head descriptor (vq_elem.head)
 * @len:	bytes the device wrote into its writable buffers
 */
struct vq_used {
	uint16_t head;
	uint32_t len;
};

void vq_init(struct virtqueue *vq, const struct vq_mem *mem,
	     const char *name);
void vq_destroy(struct virtqueue *vq);
int vq_start(struct virtqueue *vq, uint16_t size, uint64_t desc,
	     uint64_t avail, uint64_t used, bool event_idx, bool indirect);
void vq_reset(struct virtqueue *vq);
void vq_pause(struct virtqueue *vq, bool paused);
int vq_pop(struct virtqueue *vq, struct vq_elem *e);
bool vq_has_more(struct virtqueue *vq);
bool vq_push(struct virtqueue *vq, uint16_t head, uint32_t len);
bool vq_push_many(struct virtqueue *vq, const struct vq_used *u,
		  unsigned int n);
void *vq_gpa(const struct vq_mem *mem, uint64_t gpa, uint64_t len);
unsigned int iov_slice(const struct iovec *iov, unsigned int n, size_t skip,
		       size_t len, struct iovec *out);
size_t iov_copy(const struct iovec *iov, unsigned int n, size_t skip,
		void *buf, size_t len, bool to_iov);

#endif /* HVX_RUN_VIRTQUEUE_H */
