// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the shared I/O ring (Documentation/rings.rst).
 *
 * Writes to the UART's THR/DLL port (COM1 + 0) are posted: hvx.ko appends
 * them to the VM's ring and the guest goes on without leaving the kernel.
 * A device thread drains the ring into the I/O bus whenever hvx.ko
 * signals the ring's eventfd.  Ordering: before a vCPU thread serves a
 * synchronous exit (an LSR read, a debug-exit write, HLT, a ring-full
 * fallback, ...) every entry that vCPU posted is served (for an access
 * to COM1 itself, every entry any vCPU posted before it), and the main
 * thread drains the ring once more after the vCPUs stopped, so the
 * device sees the guest's accesses in their order.
 *
 * One consumer serves at a time (@serving), in ring order, without the
 * lock: a device may block (the UART's write to a full output pipe while
 * stdout is stalled), and only the vCPUs whose own entries wait behind
 * it, or that access the UART, may wait with it.  Another vCPU's exit is
 * served at once, as it is without the ring: a crash or power-off on one
 * vCPU is recorded while another's console output is stuck.
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
/* The port whose writes are posted: COM1's THR/DLL. */
#define POSTED_PORT	SERIAL_COM1_BASE

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

/*
 * One past the ring index of @vcpu's last entry not yet served, or
 * @r->done when it has none: the batch being served (from the entry in
 * service on) and what is not yet taken.  Lock held: the batch and the
 * consumer index do not move.
 */
static uint32_t vcpu_end(const struct io_ring *r, uint32_t vcpu)
{
	uint32_t i, idx = r->done, end = r->done, prod, cons;

	for (i = r->next; i < r->nr_batch; i++, idx++)
		if (r->batch[i].vcpu == vcpu)
			end = idx + 1;
	prod = __atomic_load_n(&r->map.hdr->producer, __ATOMIC_ACQUIRE);
	cons = __atomic_load_n(&r->map.hdr->consumer, __ATOMIC_RELAXED);
	for (; cons != prod; cons++)
		if (r->map.entries[cons & r->map.mask].vcpu == vcpu)
			end = cons + 1;
	return end;
}

/*
 * Serve, in ring order, the entries before ring index @end, taking no
 * more: one past it may be the one that blocks.  Lock held, @serving
 * ours; @end is at most the producer index.
 */
static void serve_upto(struct io_ring *r, uint32_t end)
{
	uint32_t i, n, want;

	while ((int32_t)(end - r->done) > 0) {
		want = end - r->done;
		n = hvx_ring_consume(&r->map, r->batch, want < IO_RING_BATCH ?
				     want : IO_RING_BATCH);
		if (!n)
			break;
		r->nr_batch = n;
		for (i = 0; i < n; i++) {
			r->next = i;
			pthread_mutex_unlock(&r->lock);
			serve(r, &r->batch[i]);
			pthread_mutex_lock(&r->lock);
			r->next = i + 1;
			r->done++;
			/* a vCPU whose last entry this was goes on */
			pthread_cond_broadcast(&r->served);
		}
		r->nr_batch = r->next = 0;
	}
}

/**
 * io_ring_drain() - serve what the ring holds, as far as @who needs
 * @r: the ring, or NULL (or not set up): nothing to do
 * @who: a vCPU about to serve an exit: returns once none of its entries
 *	is left unserved, and serves only up to its last one (another
 *	vCPU's output may be the entry that blocks); IO_RING_ALL: once
 *	every entry published before the call is served (an exit to the
 *	device the ring's writes go to, the ring's thread, the main thread
 *	at the end)
 *
 * One consumer serves at a time, in ring order; a caller whose entries
 * another consumer serves waits for it (so the ring's thread does not
 * find them pending again and again, and spin).
 */
void io_ring_drain(struct io_ring *r, int who)
{
	uint32_t end;

	if (!r || !r->on)
		return;
	pthread_mutex_lock(&r->lock);
	end = who >= 0 ? vcpu_end(r, who) :
	      __atomic_load_n(&r->map.hdr->producer, __ATOMIC_ACQUIRE);
	while ((int32_t)(end - r->done) > 0) {
		if (r->serving) {
			pthread_cond_wait(&r->served, &r->lock);
			continue;
		}
		r->serving = true;
		serve_upto(r, end);
		r->serving = false;
		pthread_cond_broadcast(&r->served);
	}
	pthread_mutex_unlock(&r->lock);
}

/**
 * io_ring_orders_exit() - whether an exit must follow every vCPU's posts
 * @r: the ring
 * @run: the run page of the exit
 *
 * An access to the device the ring's writes go to may have been ordered
 * after another vCPU's posted writes through guest memory (a lock handed
 * over: bytes written, then LCR's DLAB set by the next holder), as the
 * device would see them on hardware.  Other exits need only their own
 * vCPU's posts served first.
 *
 * Return: true for a port access to any port of the bus device that owns
 * the posted port (COM1's eight).
 */
bool io_ring_orders_exit(const struct io_ring *r, const struct hvx_run *run)
{
	uint8_t dev = r->bus->map[POSTED_PORT];
	unsigned int i;

	if (run->exit_reason != HVX_EXIT_IO || !dev)
		return false;
	for (i = 0; i < run->io.size; i++)
		if (r->bus->map[(uint16_t)(run->io.port + i)] == dev)
			return true;
	return false;
}

/**
 * io_ring_returned() - serve what a vCPU's HVX_RUN return needs served
 * @r: the ring, or NULL (or not set up): nothing to do
 * @vcpu: the vCPU
 * @run: its run page, holding an exit; NULL for a return that serves
 *	none (EINTR, a failure)
 *
 * Before the exit: the vCPU's own entries, or every vCPU's before an
 * access to COM1 (io_ring_orders_exit()).  A return without an exit needs
 * nothing, the ring's thread being woken by it; once that thread is gone
 * (its poll() failed), the vCPUs serve every entry at every return.
 */
void io_ring_returned(struct io_ring *r, uint32_t vcpu,
		      const struct hvx_run *run)
{
	if (!r || !r->on)
		return;
	if (__atomic_load_n(&r->orphaned, __ATOMIC_RELAXED))
		io_ring_drain(r, IO_RING_ALL);
	else if (run)
		io_ring_drain(r, io_ring_orders_exit(r, run) ? IO_RING_ALL :
				 (int)vcpu);
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
		io_ring_drain(r, IO_RING_ALL);
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
	/* the vCPUs drain the whole ring at their returns from now on */
	msg("the I/O ring's thread ends: %s", strerror(errno));
	__atomic_store_n(&r->orphaned, true, __ATOMIC_RELAXED);
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
	pthread_cond_init(&r->served, NULL);
	r->on = true;
	/* it returns its error; errno is not set */
	err = pthread_create(&r->thread, NULL, ring_thread, r);
	if (err) {
		r->on = false;
		pthread_cond_destroy(&r->served);
		pthread_mutex_destroy(&r->lock);
		goto fail_map;
	}
	/* Only now: a posted write needs the thread to drain it. */
	if (hvx_register_posted(vm_fd, HVX_RING_PIO, POSTED_PORT, 1, 0))
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
		io_ring_drain(r, IO_RING_ALL);
		return;
	}
	pthread_join(r->thread, NULL);
	io_ring_drain(r, IO_RING_ALL);
	r->on = false;
	pthread_cond_destroy(&r->served);
	pthread_mutex_destroy(&r->lock);
	hvx_ring_unmap(&r->map);
	close(r->map.fd);
	close(r->efd);
	close(r->stop_efd);
}
