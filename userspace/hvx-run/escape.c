// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: what the UART (serial.c) and virtio-console (virtio_console.c)
 * share for their input: the wait of their input threads, and the escape
 * sequence of a console on a terminal: Ctrl-A x ends hvx-run, Ctrl-A
 * Ctrl-A is one Ctrl-A for the guest, Ctrl-A and anything else is
 * dropped.
 */
#include <errno.h>
#include <poll.h>

#include "hvx-run.h"

/**
 * console_wait_input_for() - an input thread's sleep, bounded
 * @in_fd: the console's input file, or -1 to wait for the stop alone
 * @wake_fd: an eventfd that ends the sleep too, or -1
 * @stop_efd: the eventfd that ends the thread
 * @timeout_ms: the longest sleep, -1 for none
 *
 * Return: 1 when @in_fd is readable (or at its end), 0 when the time ran
 * out or @wake_fd woke it (the caller reads it), -1 when the thread must
 * end.
 */
int console_wait_input_for(int in_fd, int wake_fd, int stop_efd,
			   int timeout_ms)
{
	struct pollfd pfd[3] = {
		{ .fd = in_fd, .events = POLLIN },
		{ .fd = stop_efd, .events = POLLIN },
		{ .fd = wake_fd, .events = POLLIN },
	};
	int r;

	for (;;) {
		r = poll(pfd, 3, timeout_ms);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (pfd[1].revents)
			return -1;
		return pfd[0].revents != 0;
	}
}

/**
 * console_wait_input() - an input thread's sleep
 * @in_fd: the console's input file
 * @stop_efd: the eventfd that ends the thread
 *
 * Return: true when @in_fd is readable (or at its end), false when the
 * thread must end.
 */
bool console_wait_input(int in_fd, int stop_efd)
{
	return console_wait_input_for(in_fd, -1, stop_efd, -1) > 0;
}

/**
 * console_escape_init() - a console's escape state
 * @e: the state
 * @on: recognise the sequence (a terminal in raw mode); off, every byte
 *	goes to the guest
 * @stop: how Ctrl-A x ends the guest
 * @ctx: passed to @stop
 */
void console_escape_init(struct console_escape *e, bool on, stop_fn stop,
			 void *ctx)
{
	e->on = on;
	e->seen = false;
	e->stop = stop;
	e->stop_ctx = ctx;
}

/**
 * console_escape() - pass one input byte through the escape sequence
 * @e: the state
 * @c: the byte typed
 *
 * Return: 1 if @c goes to the guest, 0 if it is dropped, -1 after
 * Ctrl-A x, which has stopped the guest: the input ends there.
 */
int console_escape(struct console_escape *e, uint8_t c)
{
	if (!e->on)
		return 1;
	if (e->seen) {
		e->seen = false;
		if (c == 'x' || c == 'X') {
			e->stop(e->stop_ctx, HVX_RUN_EXIT_ESCAPE,
				"terminated by Ctrl-A x");
			return -1;
		}
		return c == SERIAL_ESCAPE_CHAR;
	}
	if (c == SERIAL_ESCAPE_CHAR) {
		e->seen = true;
		return 0;
	}
	return 1;
}

/**
 * console_escape_buf() - pass bytes as read through the escape sequence
 * @e: the state
 * @buf: the bytes; what goes to the guest is moved to the front
 * @n: how many
 * @stop: set after Ctrl-A x, which has stopped the guest (the bytes
 *	after it are dropped)
 *
 * Called before the console's own lock is taken: no guest, however it
 * drives its console, can keep Ctrl-A x from being seen.
 *
 * Return: the bytes for the guest.
 */
size_t console_escape_buf(struct console_escape *e, uint8_t *buf, size_t n,
			  bool *stop)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		int r = console_escape(e, buf[i]);

		if (r < 0) {
			*stop = true;
			break;
		}
		if (r)
			buf[k++] = buf[i];
	}
	return k;
}
