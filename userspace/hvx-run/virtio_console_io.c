// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the data path of virtio-console's port 0 (virtio_console.c),
 * apart so that the unit tests drive it with hand-built rings.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "hvx-run.h"
#include "virtio_console.h"

/* Write all of @p, waiting while a non-blocking @fd is full. */
static int write_all(int fd, const uint8_t *p, size_t len)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n > 0) {
			p += n;
			len -= n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && poll(&pfd, 1, -1) >= 0)
			continue;
		return -1;
	}
	return 0;
}

/**
 * vcon_transmit() - write a transmitq chain's readable buffers, in order
 * @e: the chain
 * @out_fd: where the guest's output goes; -1 discards it
 *
 * Partial writes and a full pipe are waited out: output is never lost
 * or reordered while @out_fd takes it.
 *
 * Return: 0, or -1 with errno when @out_fd fails (EPIPE and the like).
 */
int vcon_transmit(const struct vq_elem *e, int out_fd)
{
	unsigned int i;

	if (out_fd < 0)
		return 0;
	for (i = 0; i < e->nr_out; i++)
		if (write_all(out_fd, e->iov[i].iov_base, e->iov[i].iov_len))
			return -1;
	return 0;
}

/**
 * vcon_receive() - copy pending input into a receiveq chain
 * @e: the chain; its readable buffers, if any, are ignored
 * @in: the input not yet delivered; what is copied leaves it
 *
 * Return: the bytes written into the chain's writable buffers.
 */
uint32_t vcon_receive(struct vq_elem *e, struct vcon_pending *in)
{
	uint32_t done = 0;
	unsigned int i;
	size_t n;

	for (i = e->nr_out; i < e->nr_out + e->nr_in && in->len; i++) {
		n = e->iov[i].iov_len < in->len ? e->iov[i].iov_len : in->len;
		memcpy(e->iov[i].iov_base, in->buf + in->off, n);
		in->off += n;
		in->len -= n;
		done += n;
	}
	if (!in->len)
		in->off = 0;
	return done;
}

/**
 * vcon_keep() - add input to what waits for the driver
 * @in: the input not yet delivered
 * @buf: the bytes (console_escape_buf() let them through)
 * @n: how many
 *
 * Kept up to VCON_PENDING_MAX bytes waiting; beyond that, typed bytes are
 * lost (the driver takes none).
 */
void vcon_keep(struct vcon_pending *in, const uint8_t *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (in->off + in->len == VCON_PENDING_MAX && in->off) {
			memmove(in->buf, in->buf + in->off, in->len);
			in->off = 0;
		}
		if (in->off + in->len < VCON_PENDING_MAX)
			in->buf[in->off + in->len++] = buf[i];
	}
}
