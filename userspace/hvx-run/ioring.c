// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the shared I/O ring (Documentation/rings.rst).
 *
 * Writes to the UART's THR/DLL port (COM1 + 0) are posted: hvx.ko appends
 * them to the VM's ring and the guest goes on without leaving the kernel.
 * A device thread drains the ring into the I/O bus whenever hvx.ko
 * signals the ring's eventfd.  Ordering: every vCPU thread drains the
 * ring before it serves a synchronous exit (an LSR read, a debug-exit
 * write, HLT, a ring-full fallback, ...), and the main thread drains it
 * once more after the vCPUs stopped, so the device sees the guest's
 * accesses in program order.  One mutex serialises the consumers.
 *
 * Without HVX_FEAT_RING, or when the ring cannot be set up, everything
 * stays on the classic exits.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include <hvx/libhvx.h>

#include "hvx-run.h"

#define IO_RING_ENTRIES	256

static void serve(void *opaque, const struct hvx_ring_entry *e)
{
	struct io_ring *r = opaque;
	uint8_t buf[8];

	/* the module writes 1, 2, 4 or 8; anything else is no access */
	if (!e->size || e->size > sizeof(buf)) {
		msg("I/O ring: an entry of %u bytes, dropped", e->size);
		return;
	}
	memcpy(buf, &e->data, sizeof(buf));
	if (e->type == HVX_RING_PIO) {
		if (e->flags & HVX_RING_F_WRITE)
			io_bus_out(r->bus, e->addr, e->size, buf);
		else
			io_bus_in(r->bus, e->addr, e->size, buf);
	} else {
		io_bus_mmio(r->bus, e->addr, e->size,
			    e->flags & HVX_RING_F_WRITE, buf);
	}
	if (e->flags & HVX_RING_F_REQUEST) {
		uint64_t data = 0;

		memcpy(&data, buf, e->size);
		hvx_ring_complete(r->map.fd, e->vcpu, e->seq, data);
	}
}

/**
 * io_ring_drain() - hand everything published so far to the devices
 * @r: the ring, or NULL (or not set up): nothing to do
 */
void io_ring_drain(struct io_ring *r)
{
	if (!r || !r->on)
		return;
	pthread_mutex_lock(&r->lock);
	hvx_ring_drain(&r->map, serve, r);
	pthread_mutex_unlock(&r->lock);
}

static void *ring_thread(void *arg)
{
	struct io_ring *r = arg;
	struct pollfd pfd[2] = {
		{ .fd = r->efd, .events = POLLIN },
		{ .fd = r->stop_efd, .events = POLLIN },
	};
	uint64_t v;

	for (;;) {
		io_ring_drain(r);
		if (hvx_ring_prepare_sleep(&r->map))
			continue;
		if (poll(pfd, 2, -1) < 0 && errno != EINTR)
			goto fail;
		hvx_ring_awake(&r->map);
		if (pfd[1].revents & POLLIN)
			break;
		if ((pfd[0].revents & POLLIN) &&
		    read(r->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			goto fail;
	}
	return NULL;
fail:
	/* the vCPUs drain the ring at their exits from now on */
	msg("the I/O ring's thread ends: %s", strerror(errno));
	return NULL;
}

/**
 * io_ring_setup() - create the ring, post COM1's THR, start the thread
 * @r: the ring state (zeroed by the caller)
 * @vm_fd: the VM
 * @caps: hvx's capabilities
 * @bus: where entries go
 *
 * Afterwards @r->on tells whether the ring is in use; a failure is
 * reported and leaves every access on the classic exits.
 */
void io_ring_setup(struct io_ring *r, int vm_fd, const struct hvx_caps *caps,
		  struct io_bus *bus)
{
	int fd, err;

	r->efd = r->stop_efd = -1;
	r->map.fd = -1;
	r->bus = bus;
	if (!(caps->hvx_features & HVX_FEAT_RING))
		return;
	r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (r->efd < 0 || r->stop_efd < 0) {
		err = errno;
		goto fail;
	}
	fd = hvx_create_ring(vm_fd, IO_RING_ENTRIES, 0, r->efd);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	if (hvx_ring_map(fd, &r->map) < 0) {
		err = errno;
		close(fd);
		goto fail;
	}
	pthread_mutex_init(&r->lock, NULL);
	/* it returns its error; errno is not set */
	err = pthread_create(&r->thread, NULL, ring_thread, r);
	if (err) {
		pthread_mutex_destroy(&r->lock);
		goto fail_map;
	}
	r->on = true;
	/* Only now: a posted write needs the thread to drain it. */
	if (hvx_register_posted(vm_fd, HVX_RING_PIO, SERIAL_COM1_BASE, 1, 0))
		msg("cannot post COM1 writes: %s", strerror(errno));
	return;

fail_map:
	hvx_ring_unmap(&r->map);
	close(r->map.fd);
fail:
	msg("no shared I/O ring, serving every access by exits: %s",
	    strerror(err));
	if (r->efd >= 0)
		close(r->efd);
	if (r->stop_efd >= 0)
		close(r->stop_efd);
	r->efd = r->stop_efd = -1;
	r->map.fd = -1;
}

/**
 * io_ring_stop() - stop the thread and drain what is left
 * @r: the ring state; the vCPU threads have ended
 */
void io_ring_stop(struct io_ring *r)
{
	uint64_t one = 1;

	if (!r->on)
		return;
	if (write(r->stop_efd, &one, sizeof(one)) != sizeof(one)) {
		msg("cannot stop the ring thread: %s", strerror(errno));
		io_ring_drain(r);
		return;
	}
	pthread_join(r->thread, NULL);
	io_ring_drain(r);
	r->on = false;
	pthread_mutex_destroy(&r->lock);
	hvx_ring_unmap(&r->map);
	close(r->map.fd);
	close(r->efd);
	close(r->stop_efd);
}
