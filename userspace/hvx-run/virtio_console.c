// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: virtio-console (virtio 1.2 section 5.3) for --console virtio,
 * the guest's hvc0.  One port (no VIRTIO_CONSOLE_F_MULTIPORT, no size,
 * no emergency write): receiveq 0 carries host input to the guest,
 * transmitq 1 the guest's output to the host.
 *
 * Output: the device thread writes each transmitq chain to the output
 * file before it hands the chain back, one chain after the other, so
 * nothing is lost or reordered; a full pipe holds the guest's console.
 * Input: a thread of its own reads the input file as it comes (on a
 * terminal through the Ctrl-A escape, escape.c, so Ctrl-A x works even
 * while the driver takes nothing) into a pending buffer and copies it
 * into the buffers the driver posted on receiveq.  While the driver has
 * posted none, the bytes wait (up to VCON_PENDING_MAX); the kick that
 * posts buffers delivers them.  Keys typed beyond that are lost, as on
 * the UART; a file or a pipe (no escape) is read only as fast as the
 * driver takes its bytes, and loses none.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "hvx-run.h"
#include "virtio_console.h"
#include "virtio_pci.h"

#define PCI_CLASS_COMM_OTHER	0x078000

/**
 * struct virtio_console - the device
 * @v:		the transport
 * @in_fd:	the input file, -1 for none
 * @out_fd:	the output file
 * @lock:	protects @in, @in_eof, @stopping, @rx and the pops of
 *		receiveq, which both threads do
 * @in:		input not yet delivered
 * @rx:		receiveq's chain being filled
 * @in_eof:	the input file ended (or Ctrl-A x)
 * @stopping:	the input thread must end
 * @esc:	the escape sequence
 * @in_thread:	the input thread, while @in_thread_on
 * @in_thread_on: vcon_start_input() started it
 * @in_stop_efd: wakes it from poll() to end
 * @keep:	the input is a file or a pipe: none of it may be lost
 * @in_wants_room: with @keep, the input thread waits for room in @in
 *		(@lock)
 * @in_room_efd: wakes it when there is some
 * @out_failed: the output file failed: said once, output discarded since
 *		(only the device thread uses it)
 */
struct virtio_console {
	struct virtio_dev v;
	int in_fd, out_fd;
	pthread_mutex_t lock;
	struct vcon_pending in;
	struct vq_elem rx;
	bool in_eof, stopping;
	struct console_escape esc;
	pthread_t in_thread;
	bool in_thread_on;
	int in_stop_efd;
	bool keep, in_wants_room;
	int in_room_efd;
	bool out_failed;
};

static struct virtio_console *to_con(struct virtio_dev *v)
{
	return (struct virtio_console *)v;
}

static void con_cfg_read(struct virtio_dev *v, unsigned int off,
			 void *data, unsigned int len)
{
	/* cols, rows, max_nr_ports, emerg_wr: none of their features */
	memset(data, 0, len);
}

/*
 * Copy pending input into posted buffers while there are both; none into
 * a device that needs a reset (a malformed transmit chain set it): the
 * input waits for the reset.  At most VCON_RX_BUDGET chains, as a driver
 * could post chains without room as fast as they come back: the queue is
 * kicked again for the rest, and the lock is let go meanwhile.  An input
 * thread waiting for room hears of it.
 */
static void deliver_locked(struct virtio_console *c)
{
	struct virtio_dev *v = &c->v;
	unsigned int chains = 0;
	uint64_t one = 1;
	uint32_t n;
	int r;

	if (virtio_broken(v))
		return;
	while (c->in.len) {
		if (chains++ == VCON_RX_BUDGET) {
			virtio_kick_queue(v, VCON_RECEIVEQ);
			break;
		}
		r = vq_pop(&v->vq[VCON_RECEIVEQ], &c->rx);
		if (r < 0) {
			virtio_needs_reset(v);
			break;
		}
		/*
		 * None posted: ask for the kick of the next one (EVENT_IDX's
		 * avail_event), unless it came meanwhile.
		 */
		if (!r) {
			if (vq_has_more(&v->vq[VCON_RECEIVEQ]))
				continue;
			break;
		}
		n = vcon_receive(&c->rx, &c->in);
		virtio_complete(v, VCON_RECEIVEQ, c->rx.head, n);
	}
	if (c->in_wants_room && c->in.len < VCON_PENDING_MAX &&
	    write(c->in_room_efd, &one, sizeof(one)) == sizeof(one))
		c->in_wants_room = false;
}

static void tx_req(struct virtio_dev *v, unsigned int q, struct vq_elem *e)
{
	struct virtio_console *c = to_con(v);

	if (!c->out_failed && vcon_transmit(e, c->out_fd)) {
		msg("virtio-console: output: %s; discarding it",
		    strerror(errno));
		c->out_failed = true;
	}
	virtio_complete(v, q, e->head, 0);
	free(e);
}

static void con_kick(struct virtio_dev *v, unsigned int q)
{
	struct virtio_console *c = to_con(v);

	if (q == VCON_TRANSMITQ) {
		virtio_serve(v, q, tx_req);
		return;
	}
	pthread_mutex_lock(&c->lock);
	deliver_locked(c);
	pthread_mutex_unlock(&c->lock);
}

/*
 * The driver reset the device or turned bus mastering off: the input
 * thread fills receive chains under @c->lock, so once it is free no
 * chain taken before is in use.
 */
static void con_quiesce(struct virtio_dev *v)
{
	struct virtio_console *c = to_con(v);

	pthread_mutex_lock(&c->lock);
	pthread_mutex_unlock(&c->lock);
}

static const struct virtio_ops con_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.class = PCI_CLASS_COMM_OTHER,
	.nr_queues = 2,
	.cfg_read = con_cfg_read,
	.kick = con_kick,
	.quiesce = con_quiesce,
	.drain = con_quiesce,
};

/*
 * How much the input thread may read now: with @c->keep, no more than
 * the pending buffer takes; 0 makes it wait until deliver_locked() says
 * there is room.
 */
static size_t input_room(struct virtio_console *c, size_t size)
{
	size_t room;

	if (!c->keep)
		return size;
	pthread_mutex_lock(&c->lock);
	room = VCON_PENDING_MAX - c->in.len;
	c->in_wants_room = !room;
	pthread_mutex_unlock(&c->lock);
	return room < size ? room : size;
}

static void *input_thread(void *arg)
{
	struct virtio_console *c = arg;
	uint8_t buf[256];
	uint64_t val;
	size_t size;
	ssize_t n;
	bool end;
	int r;

	for (;;) {
		size = input_room(c, sizeof(buf));
		r = console_wait_input_for(size ? c->in_fd : -1,
					   size ? -1 : c->in_room_efd,
					   c->in_stop_efd, -1);
		if (r < 0)
			break;
		if (!r) {
			if (read(c->in_room_efd, &val, sizeof(val)) < 0 &&
			    errno != EAGAIN)
				break;
			continue;
		}
		n = read(c->in_fd, buf, size);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		end = n <= 0;
		size = end ? 0 : console_escape_buf(&c->esc, buf, n, &end);
		pthread_mutex_lock(&c->lock);
		if (c->stopping) {
			pthread_mutex_unlock(&c->lock);
			break;
		}
		vcon_keep(&c->in, buf, size);
		if (end)
			c->in_eof = true;
		deliver_locked(c);
		if (c->in_eof || c->stopping) {
			pthread_mutex_unlock(&c->lock);
			break;
		}
		pthread_mutex_unlock(&c->lock);
	}
	return NULL;
}

/**
 * virtio_console_create() - the console device
 * @mem: guest RAM
 * @doorbell: registers its doorbells
 * @ctx: passed to @doorbell
 * @in_fd: the input file (stdin), -1 for none
 * @out_fd: the output file (stdout)
 *
 * Return: the device (virtio_console_free() frees it), or NULL after a
 * message.
 */
struct virtio_dev *virtio_console_create(const struct vq_mem *mem,
					 virtio_doorbell_fn doorbell,
					 void *ctx, int in_fd, int out_fd)
{
	struct virtio_console *c = calloc(1, sizeof(*c));

	if (!c) {
		msg("virtio-console: out of memory");
		return NULL;
	}
	c->in_fd = in_fd;
	c->out_fd = out_fd;
	c->in_stop_efd = -1;
	c->in_room_efd = -1;
	pthread_mutex_init(&c->lock, NULL);
	if (virtio_init(&c->v, &con_ops, mem, doorbell, ctx)) {
		virtio_console_free(&c->v);
		return NULL;
	}
	return &c->v;
}

static void close_efds(struct virtio_console *c)
{
	if (c->in_stop_efd >= 0)
		close(c->in_stop_efd);
	if (c->in_room_efd >= 0)
		close(c->in_room_efd);
	c->in_stop_efd = -1;
	c->in_room_efd = -1;
}

/**
 * virtio_console_start_input() - serve the input file from a thread
 * @v: the console
 * @escape: recognise Ctrl-A x (end hvx-run) and Ctrl-A Ctrl-A
 * @stop: how Ctrl-A x ends the guest
 * @ctx: passed to @stop
 *
 * The caller blocks the signals it waits for before; the thread inherits
 * the mask.
 *
 * Return: 0, or -1 after a message.
 */
int virtio_console_start_input(struct virtio_dev *v, bool escape,
			       stop_fn stop, void *ctx)
{
	struct virtio_console *c = to_con(v);
	int err;

	if (c->in_fd < 0)
		return 0;
	console_escape_init(&c->esc, escape, stop, ctx);
	c->keep = !escape;
	c->in_stop_efd = eventfd(0, EFD_CLOEXEC);
	c->in_room_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->in_stop_efd < 0 || c->in_room_efd < 0) {
		msg("virtio-console: eventfd: %s", strerror(errno));
		goto fail;
	}
	err = pthread_create(&c->in_thread, NULL, input_thread, c);
	if (err) {
		msg("virtio-console: cannot start its input thread: %s",
		    strerror(err));
		goto fail;
	}
	c->in_thread_on = true;
	return 0;
fail:
	close_efds(c);
	return -1;
}

/**
 * virtio_console_stop_input() - end the input thread, if there is one
 * @v: the console
 */
void virtio_console_stop_input(struct virtio_dev *v)
{
	struct virtio_console *c = to_con(v);
	uint64_t one = 1;

	if (!c->in_thread_on)
		return;
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_mutex_unlock(&c->lock);
	if (write(c->in_stop_efd, &one, sizeof(one)) < 0)
		msg("virtio-console: stop: %s", strerror(errno));
	pthread_join(c->in_thread, NULL);
	close_efds(c);
	c->in_thread_on = false;
}

/**
 * virtio_console_free() - free the console, its threads stopped
 * @v: the console
 */
void virtio_console_free(struct virtio_dev *v)
{
	struct virtio_console *c = to_con(v);

	virtio_console_stop_input(v);
	virtio_destroy(v);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
