// SPDX-License-Identifier: GPL-2.0
/*
 * libhvx: the consumer side of the shared I/O ring and the range
 * registration ioctls.  The memory ordering is the one
 * Documentation/rings.rst describes: load-acquire of the producer index
 * before reading entries, store-release of the consumer index after, and
 * a full barrier between setting need_wakeup and the last look at the
 * producer index before sleeping.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <hvx/libhvx.h>

int hvx_create_ring(int vm_fd, uint32_t entries, uint32_t flags,
		    int eventfd)
{
	struct hvx_ring_setup rs = {
		.entries = entries,
		.flags = flags,
		.eventfd = eventfd,
	};

	return ioctl(vm_fd, HVX_CREATE_RING, &rs);
}

int hvx_ring_map(int ring_fd, struct hvx_ring_map *r)
{
	struct hvx_ring_header *hdr;
	size_t size;
	void *p;

	/* The header first, to learn the size of the whole. */
	p = mmap(NULL, HVX_PAGE_SIZE, PROT_READ, MAP_SHARED, ring_fd, 0);
	if (p == MAP_FAILED)
		return -1;
	hdr = p;
	size = hdr->mmap_size;
	if (hdr->version != HVX_RING_VERSION ||
	    hdr->entry_size != sizeof(struct hvx_ring_entry) ||
	    hdr->entries_offset != HVX_RING_ENTRIES_OFFSET ||
	    !hdr->capacity || hdr->capacity & (hdr->capacity - 1) ||
	    size != HVX_RING_MMAP_SIZE((size_t)hdr->capacity)) {
		munmap(p, HVX_PAGE_SIZE);
		errno = EPROTO;
		return -1;
	}
	munmap(p, HVX_PAGE_SIZE);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, ring_fd, 0);
	if (p == MAP_FAILED)
		return -1;
	r->fd = ring_fd;
	r->hdr = p;
	r->entries = (const void *)((char *)p + HVX_RING_ENTRIES_OFFSET);
	r->mask = r->hdr->capacity - 1;
	r->size = size;
	return 0;
}

void hvx_ring_unmap(struct hvx_ring_map *r)
{
	if (r->hdr)
		munmap(r->hdr, r->size);
	r->hdr = NULL;
}

uint32_t hvx_ring_pending(const struct hvx_ring_map *r)
{
	uint32_t prod = __atomic_load_n(&r->hdr->producer, __ATOMIC_ACQUIRE);

	return prod - __atomic_load_n(&r->hdr->consumer, __ATOMIC_RELAXED);
}

unsigned int hvx_ring_consume(struct hvx_ring_map *r,
			      struct hvx_ring_entry *out, unsigned int max)
{
	/* Only this thread writes the consumer index. */
	uint32_t cons = __atomic_load_n(&r->hdr->consumer, __ATOMIC_RELAXED);
	uint32_t prod = __atomic_load_n(&r->hdr->producer, __ATOMIC_ACQUIRE);
	unsigned int n = 0;

	while (cons != prod && n < max)
		out[n++] = r->entries[cons++ & r->mask];
	if (n)
		__atomic_store_n(&r->hdr->consumer, cons, __ATOMIC_RELEASE);
	return n;
}

unsigned int hvx_ring_drain(struct hvx_ring_map *r,
			    void (*fn)(void *opaque,
				       const struct hvx_ring_entry *e),
			    void *opaque)
{
	struct hvx_ring_entry batch[64];
	unsigned int n, i, total = 0;

	while ((n = hvx_ring_consume(r, batch, 64)) > 0) {
		for (i = 0; i < n; i++)
			fn(opaque, &batch[i]);
		total += n;
	}
	return total;
}

int hvx_ring_prepare_sleep(struct hvx_ring_map *r)
{
	__atomic_store_n(&r->hdr->need_wakeup, 1, __ATOMIC_RELAXED);
	/* Pairs with the kernel's smp_mb() between producer and flag. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (hvx_ring_pending(r)) {
		hvx_ring_awake(r);
		return 1;
	}
	return 0;
}

void hvx_ring_awake(struct hvx_ring_map *r)
{
	__atomic_store_n(&r->hdr->need_wakeup, 0, __ATOMIC_RELAXED);
}

int hvx_ring_wait(struct hvx_ring_map *r, int timeout_ms)
{
	struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
	int n;

	if (hvx_ring_prepare_sleep(r))
		return 1;
	n = poll(&pfd, 1, timeout_ms);
	hvx_ring_awake(r);
	if (n < 0)
		return -1;
	/* a closed or broken fd would look like a timeout, at once, forever */
	if (pfd.revents & (POLLNVAL | POLLERR)) {
		errno = pfd.revents & POLLNVAL ? EBADF : EIO;
		return -1;
	}
	return hvx_ring_pending(r) ? 1 : 0;
}

static int complete(int ring_fd, uint32_t vcpu, uint64_t seq, uint64_t data,
		    uint32_t flags)
{
	struct hvx_ring_completion c = {
		.seq = seq,
		.data = data,
		.vcpu = vcpu,
		.flags = flags,
	};

	return ioctl(ring_fd, HVX_RING_COMPLETE, &c);
}

int hvx_ring_complete(int ring_fd, uint32_t vcpu, uint64_t seq,
		      uint64_t data)
{
	return complete(ring_fd, vcpu, seq, data, 0);
}

int hvx_ring_complete_wait(int ring_fd, uint32_t vcpu, uint64_t seq,
			   uint64_t data)
{
	return complete(ring_fd, vcpu, seq, data, HVX_COMPLETE_WAIT);
}

static int range_ioctl(int vm_fd, uint32_t type, uint64_t base,
		       uint64_t length, uint32_t flags, int eventfd)
{
	struct hvx_io_range ir = {
		.type = type,
		.flags = flags,
		.base = base,
		.length = length,
		.eventfd = eventfd,
	};

	return ioctl(vm_fd, HVX_REGISTER_RANGE, &ir);
}

int hvx_register_posted(int vm_fd, uint32_t type, uint64_t base,
			uint64_t length, uint32_t flags)
{
	return range_ioctl(vm_fd, type, base, length, flags, -1);
}

int hvx_register_doorbell(int vm_fd, uint32_t type, uint64_t base,
			  uint64_t length, int eventfd)
{
	return range_ioctl(vm_fd, type, base, length, HVX_RANGE_DOORBELL,
			   eventfd);
}

int hvx_unregister_range(int vm_fd, uint32_t type, uint64_t base,
			 uint64_t length)
{
	return range_ioctl(vm_fd, type, base, length, HVX_RANGE_UNREGISTER,
			   -1);
}
