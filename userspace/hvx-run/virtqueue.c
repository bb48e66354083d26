// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: split virtqueues, the device side.
 *
 * The driver owns the descriptor table and the avail ring and may change
 * them at any time, so each descriptor is copied once and only the copy
 * is checked and used; the rings' indexes are read with acquire and
 * published with release ordering.  Whatever a chain says, no byte
 * outside guest RAM is read or written: every buffer is checked against
 * RAM before it becomes an iovec.  A malformed ring (an avail index
 * running ahead by more than the queue size, a head or next index out of
 * range, a loop or a chain longer than its table, a buffer outside RAM,
 * a readable buffer after a writable one, more than VQ_MAX_SEGS buffers
 * or VQ_MAX_CHAIN_BYTES bytes, an indirect descriptor that was not
 * negotiated, is nested, has NEXT set or a bad table) stops the queue
 * with one log line; the device then sets NEEDS_RESET.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hvx-run.h"
#include "virtqueue.h"

/**
 * vq_gpa() - the host address of guest-physical @gpa .. @gpa + @len - 1
 * @mem: guest RAM
 * @gpa: first byte
 * @len: bytes (0 is allowed)
 *
 * Return: the host address, or NULL when any of it lies outside RAM.
 */
void *vq_gpa(const struct vq_mem *mem, uint64_t gpa, uint64_t len)
{
	if (gpa > mem->size || len > mem->size - gpa)
		return NULL;
	return mem->base + gpa;
}

/**
 * iov_slice() - a part of a chain's buffers, as buffers of its own
 * @iov: the buffers
 * @n: how many
 * @skip: where the part begins, in bytes
 * @len: its length at most
 * @out: filled with the part's buffers (room for @n)
 *
 * Return: how many buffers @out holds.
 */
unsigned int iov_slice(const struct iovec *iov, unsigned int n, size_t skip,
		       size_t len, struct iovec *out)
{
	unsigned int i, m = 0;
	size_t k;

	for (i = 0; i < n && len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		k = iov[i].iov_len - skip;
		if (k > len)
			k = len;
		out[m].iov_base = (uint8_t *)iov[i].iov_base + skip;
		out[m++].iov_len = k;
		len -= k;
		skip = 0;
	}
	return m;
}

/**
 * iov_copy() - copy between a chain's buffers and a flat buffer
 * @iov: the buffers
 * @n: how many
 * @skip: where in them to begin, in bytes
 * @buf: the flat buffer
 * @len: bytes to copy at most
 * @to_iov: from @buf into the buffers; else from them into @buf
 *
 * Return: bytes copied, less than @len when the buffers end first.
 */
size_t iov_copy(const struct iovec *iov, unsigned int n, size_t skip,
		void *buf, size_t len, bool to_iov)
{
	size_t done = 0, k;
	unsigned int i;

	for (i = 0; i < n && done < len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		k = iov[i].iov_len - skip;
		if (k > len - done)
			k = len - done;
		if (to_iov)
			memcpy((uint8_t *)iov[i].iov_base + skip,
			       (uint8_t *)buf + done, k);
		else
			memcpy((uint8_t *)buf + done,
			       (uint8_t *)iov[i].iov_base + skip, k);
		done += k;
		skip = 0;
	}
	return done;
}

/**
 * vq_init() - a stopped queue
 * @vq: the queue
 * @mem: guest RAM
 * @name: the device and queue, for the log line
 */
void vq_init(struct virtqueue *vq, const struct vq_mem *mem,
	     const char *name)
{
	memset(vq, 0, sizeof(*vq));
	pthread_mutex_init(&vq->lock, NULL);
	vq->mem = *mem;
	vq->name = name;
}

/**
 * vq_destroy() - free the queue's lock
 * @vq: the queue
 */
void vq_destroy(struct virtqueue *vq)
{
	pthread_mutex_destroy(&vq->lock);
}

static int __printf(2, 3) vq_bad(struct virtqueue *vq, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vq->ready = false;
	/*
	 * The first only: a reset re-arms the queue, and a guest that made
	 * the same fault after each would fill the log (and wait on stdout
	 * with the queue's lock held, msg()).
	 */
	if (!vq->bad_said)
		msg("%s: %s: the device needs a reset; later faults of this queue are not said",
		    vq->name, buf);
	vq->bad_said = true;
	return -1;
}

/**
 * vq_start() - check the driver's areas and start the queue
 * @vq: the queue
 * @size: queue size, a power of two up to VQ_MAX_SIZE
 * @desc: descriptor table, 16-byte aligned
 * @avail: driver area, 2-byte aligned
 * @used: device area, 4-byte aligned
 * @event_idx: VIRTIO_F_EVENT_IDX negotiated
 * @indirect: VIRTIO_F_INDIRECT_DESC negotiated
 *
 * Return: 0, or -1 after the log line when an area is misaligned or
 * outside RAM or @size is bad.
 */
int vq_start(struct virtqueue *vq, uint16_t size, uint64_t desc,
	     uint64_t avail, uint64_t used, bool event_idx, bool indirect)
{
	int r = -1;

	pthread_mutex_lock(&vq->lock);
	if (!size || size > VQ_MAX_SIZE || (size & (size - 1)))
		vq_bad(vq, "queue size %u", size);
	else if (desc % 16 || avail % 2 || used % 4)
		vq_bad(vq, "misaligned rings");
	else if (!vq_gpa(&vq->mem, desc, (uint64_t)size * VRING_DESC_SIZE) ||
		 !vq_gpa(&vq->mem, avail, VRING_AVAIL_SIZE(size)) ||
		 !vq_gpa(&vq->mem, used, VRING_USED_SIZE(size)))
		vq_bad(vq, "rings outside guest RAM");
	else
		r = 0;
	if (!r) {
		vq->size = size;
		vq->desc = desc;
		vq->avail = avail;
		vq->used = used;
		vq->event_idx = event_idx;
		vq->indirect = indirect;
		vq->last_avail = 0;
		vq->used_idx = 0;
		vq->in_flight = 0;
		vq->ready = true;
	}
	pthread_mutex_unlock(&vq->lock);
	return r;
}

/**
 * vq_reset() - stop the queue (device reset)
 * @vq: the queue
 */
void vq_reset(struct virtqueue *vq)
{
	pthread_mutex_lock(&vq->lock);
	vq->ready = false;
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->in_flight = 0;
	pthread_mutex_unlock(&vq->lock);
}

/**
 * vq_pause() - stop or restart taking chains, as the device may take them
 * or not (virtio_pci.c: DRIVER_OK, bus mastering, NEEDS_RESET); a reset
 * or vq_start() leaves it as it is
 * @vq: the queue
 * @paused: take none
 *
 * A paused queue neither reads the avail ring nor writes avail_event;
 * vq_push() still hands back the chains the device took before, so that
 * what it had in flight completes before the pause is done.
 */
void vq_pause(struct virtqueue *vq, bool paused)
{
	pthread_mutex_lock(&vq->lock);
	vq->paused = paused;
	pthread_mutex_unlock(&vq->lock);
}

/* The areas were checked by vq_start(): these stay inside RAM. */
static uint16_t *ring16(struct virtqueue *vq, uint64_t gpa)
{
	return (uint16_t *)(vq->mem.base + gpa);
}

static uint16_t avail_idx(struct virtqueue *vq)
{
	return __atomic_load_n(ring16(vq, vq->avail + 2), __ATOMIC_ACQUIRE);
}

static uint16_t *avail_event(struct virtqueue *vq)
{
	return ring16(vq, vq->used + 4 + 8 * (uint64_t)vq->size);
}

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Append buffer @d of a chain to @e. */
static int add_buf(struct virtqueue *vq, struct vq_elem *e,
		   const struct vring_desc *d)
{
	bool in = d->flags & VRING_DESC_F_WRITE;
	unsigned int n = e->nr_out + e->nr_in;
	void *p;

	if (n == VQ_MAX_SEGS)
		return vq_bad(vq, "chain of head %u: more than %u buffers",
			      e->head, VQ_MAX_SEGS);
	if (!in && e->nr_in)
		return vq_bad(vq, "chain of head %u: readable after writable",
			      e->head);
	p = vq_gpa(&vq->mem, d->addr, d->len);
	if (!p)
		return vq_bad(vq, "chain of head %u: buffer 0x%llx+0x%x outside guest RAM",
			      e->head, (unsigned long long)d->addr, d->len);
	if (e->out_len + e->in_len + d->len > VQ_MAX_CHAIN_BYTES)
		return vq_bad(vq, "chain of head %u: over %llu bytes",
			      e->head, VQ_MAX_CHAIN_BYTES);
	e->iov[n].iov_base = p;
	e->iov[n].iov_len = d->len;
	if (in) {
		e->nr_in++;
		e->in_len += d->len;
	} else {
		e->nr_out++;
		e->out_len += d->len;
	}
	return 0;
}

/*
 * Follow a chain from descriptor @i of the table at @table (@n entries,
 * inside RAM); @top: the queue's own table, where an indirect descriptor
 * may appear.
 */
static int read_chain(struct virtqueue *vq, struct vq_elem *e,
		      uint64_t table, uint32_t n, uint16_t i, bool top)
{
	struct vring_desc d;
	uint32_t count;

	for (count = 0; ; count++) {
		if (count == n)
			return vq_bad(vq, "chain of head %u: longer than its table (a loop)",
				      e->head);
		memcpy(&d, vq->mem.base + table + (uint64_t)i * VRING_DESC_SIZE,
		       sizeof(d));
		if (top)
			e->nr_desc++;
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!top || !vq->indirect ||
			    d.flags & VRING_DESC_F_NEXT || !d.len ||
			    d.len % VRING_DESC_SIZE ||
			    d.len / VRING_DESC_SIZE > VQ_MAX_SIZE ||
			    !vq_gpa(&vq->mem, d.addr, d.len))
				return vq_bad(vq, "chain of head %u: bad indirect descriptor",
					      e->head);
			return read_chain(vq, e, d.addr,
					  d.len / VRING_DESC_SIZE, 0, false);
		}
		if (add_buf(vq, e, &d))
			return -1;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= n)
			return vq_bad(vq, "chain of head %u: next %u out of range",
				      e->head, i);
	}
}

/**
 * vq_pop() - take the next chain the driver made available
 * @vq: the queue
 * @e: filled with the chain
 *
 * Return: 1 with a chain in @e, 0 when none is available (or the queue
 * is stopped or paused), -1 when the ring is malformed: the queue stopped
 * after its log line.
 */
int vq_pop(struct virtqueue *vq, struct vq_elem *e)
{
	uint16_t idx, head;
	int r = 0;

	pthread_mutex_lock(&vq->lock);
	if (!vq->ready || vq->paused)
		goto out;
	idx = avail_idx(vq);
	if ((uint16_t)(idx - vq->last_avail) > vq->size) {
		r = vq_bad(vq, "avail index %u, %u ahead of the device",
			   idx, (uint16_t)(idx - vq->last_avail));
		goto out;
	}
	if (idx == vq->last_avail)
		goto out;
	/*
	 * A driver reuses a descriptor only after its chain came back: a
	 * head offered again before then would have the device take (and
	 * hold memory for) chains without end.
	 */
	if (vq->in_flight >= vq->size) {
		r = vq_bad(vq, "more chains offered than the queue holds");
		goto out;
	}
	head = *ring16(vq, vq->avail + 4 + 2 * (vq->last_avail % vq->size));
	memset(e, 0, offsetof(struct vq_elem, iov));
	e->head = head;
	if (head >= vq->size) {
		r = vq_bad(vq, "head %u out of range", head);
		goto out;
	}
	if (read_chain(vq, e, vq->desc, vq->size, head, true)) {
		r = -1;
		goto out;
	}
	vq->last_avail++;
	vq->in_flight++;
	r = 1;
out:
	pthread_mutex_unlock(&vq->lock);
	return r;
}

/**
 * vq_has_more() - before the device sleeps: ask for the next notification
 * and see whether a chain came meanwhile
 * @vq: the queue
 *
 * With EVENT_IDX, avail_event is set to the next index the device takes,
 * so that the driver notifies for it and not before.
 *
 * Return: true when a chain is available (never while paused).
 */
bool vq_has_more(struct virtqueue *vq)
{
	bool more = false;

	pthread_mutex_lock(&vq->lock);
	if (vq->ready && !vq->paused) {
		if (vq->event_idx)
			__atomic_store_n(avail_event(vq), vq->last_avail,
					 __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		more = avail_idx(vq) != vq->last_avail;
	}
	pthread_mutex_unlock(&vq->lock);
	return more;
}

/**
 * vq_push_many() - hand chains back through the used ring at once
 * @vq: the queue
 * @u: the chains' heads (vq_elem.head) and the bytes the device wrote
 *	into each one's writable buffers
 * @n: how many, at most the queue's size (more are dropped: a device
 *	never holds more chains)
 *
 * The used index moves once, past all of them: a driver never sees part
 * of a frame that spans several chains (virtio-net's mergeable receive
 * buffers).
 *
 * Return: true when the driver wants an interrupt for them: with
 * EVENT_IDX, when the used index passes the driver's used_event; else
 * unless the driver set VRING_AVAIL_F_NO_INTERRUPT.
 */
bool vq_push_many(struct virtqueue *vq, const struct vq_used *u,
		  unsigned int n)
{
	uint16_t old, event;
	uint32_t *elem;
	bool notify = false;
	unsigned int i;

	pthread_mutex_lock(&vq->lock);
	if (!vq->ready || !n || n > vq->size)
		goto out;
	old = vq->used_idx;
	for (i = 0; i < n; i++) {
		elem = (uint32_t *)(vq->mem.base + vq->used + 4 +
				    8 * (uint64_t)(vq->used_idx % vq->size));
		elem[0] = u[i].head;
		elem[1] = u[i].len;
		if (vq->in_flight)
			vq->in_flight--;
		vq->used_idx++;
	}
	__atomic_store_n(ring16(vq, vq->used + 2), vq->used_idx,
			 __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->event_idx) {
		event = *ring16(vq, vq->avail + 4 + 2 * (uint64_t)vq->size);
		/* the used index moved from @old past @event */
		notify = (uint16_t)(vq->used_idx - event - 1) <
			 (uint16_t)(vq->used_idx - old);
	} else {
		notify = !(*ring16(vq, vq->avail) &
			   VRING_AVAIL_F_NO_INTERRUPT);
	}
out:
	pthread_mutex_unlock(&vq->lock);
	return notify;
}

/**
 * vq_push() - hand a chain back through the used ring
 * @vq: the queue
 * @head: the chain's head (vq_elem.head)
 * @len: bytes the device wrote into its writable buffers
 *
 * Return: as vq_push_many().
 */
bool vq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	struct vq_used u = { .head = head, .len = len };

	return vq_push_many(vq, &u, 1);
}
