// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the guest's console output on its way to stdout.
 *
 * The UART and virtio-console write into a pipe of hvx-run's own; one
 * thread copies it to stdout.  A stdout that takes nothing (a stalled
 * pipe, a terminal on hold) then blocks that thread alone, and the
 * devices only while the pipe is full, which is the flow control a
 * blocking stdout gave them before.  Nothing the guest wrote is lost or
 * reordered while stdout takes it.
 *
 * When the user ends hvx-run (SIGINT, SIGTERM, Ctrl-A x), what stdout has
 * not taken is abandoned: the thread's write is interrupted with SIG_KICK
 * and the rest of the pipe is read and dropped, so every thread that
 * writes output can end.  The write is kicked until it has returned: a
 * kick that lands just before the write starts is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "hvx-run.h"

/* Bytes in the pipe, not yet read; -1 when they cannot be counted. */
static int pipe_pending(const struct console_out *o)
{
	int n;

	return ioctl(o->rfd, FIONREAD, &n) < 0 ? -1 : n;
}

/*
 * Write @len bytes of @p to stdout unless abandoned.  in_write, set
 * around each wait on stdout, tells console_out_abandon() to kick this
 * thread, which it does only under the lock: the thread cannot end while
 * it is set.
 */
static void copy_out(struct console_out *o, const char *p, size_t len)
{
	struct pollfd pfd = { .fd = o->out_fd, .events = POLLOUT };
	ssize_t n;
	bool go;
	int err;

	while (len) {
		pthread_mutex_lock(&o->lock);
		go = !o->abandoned && !o->failed;
		o->in_write = go;
		pthread_mutex_unlock(&o->lock);
		if (!go)
			return;
		n = write(o->out_fd, p, len);
		err = n < 0 ? errno : 0;
		/* stdout made non-blocking by another process: wait here */
		if (err == EAGAIN)
			poll(&pfd, 1, -1);
		pthread_mutex_lock(&o->lock);
		o->in_write = false;
		if (err && err != EINTR && err != EAGAIN)
			o->failed = err;
		pthread_mutex_unlock(&o->lock);
		if (n > 0) {
			p += n;
			len -= n;
		}
	}
}

static void *out_thread(void *arg)
{
	struct console_out *o = arg;
	struct pollfd pfd = { .fd = o->rfd, .events = POLLIN };
	bool told = false;
	char buf[4096];
	sigset_t kick;
	ssize_t n;

	sigemptyset(&kick);
	sigaddset(&kick, SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	for (;;) {
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		/* counted as it leaves the pipe (non-blocking), for sync */
		pthread_mutex_lock(&o->lock);
		n = read(o->rfd, buf, sizeof(buf));
		if (n > 0)
			o->nr_read += n;
		pthread_mutex_unlock(&o->lock);
		if (!n)
			break;		/* every writer closed: the end */
		if (n < 0)
			continue;
		copy_out(o, buf, n);
		if (o->failed && !told) {
			msg("stdout: %s; the guest's output is dropped",
			    strerror(o->failed));
			told = true;
		}
		pthread_mutex_lock(&o->lock);
		o->nr_done += n;
		pthread_cond_broadcast(&o->synced);
		pthread_mutex_unlock(&o->lock);
	}
	pthread_mutex_lock(&o->lock);
	o->running = false;
	pthread_cond_broadcast(&o->synced);
	pthread_mutex_unlock(&o->lock);
	return NULL;
}

/**
 * console_out_start() - start the copy of the guest's output to @out_fd
 * @o: the state, zeroed
 * @out_fd: where the output goes (stdout)
 *
 * SIG_KICK must have a handler installed without SA_RESTART, and the
 * caller blocks the signals it waits for first: the thread inherits the
 * mask and unblocks SIG_KICK alone.
 *
 * Return: 0 with @o->wfd the file the devices write to, or -1 with a
 * message printed.
 */
int console_out_start(struct console_out *o, int out_fd)
{
	int fds[2], err;

	o->out_fd = out_fd;
	o->rfd = o->wfd = -1;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		msg("pipe: %s", strerror(errno));
		return -1;
	}
	o->rfd = fds[0];
	o->wfd = fds[1];
	/* a readiness that another reader took must not block the thread */
	if (fcntl(o->rfd, F_SETFL, O_NONBLOCK) < 0) {
		msg("fcntl: %s", strerror(errno));
		goto fail;
	}
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->synced, NULL);
	o->running = true;
	err = pthread_create(&o->thread, NULL, out_thread, o);
	if (err) {
		msg("cannot start the output thread: %s", strerror(err));
		pthread_cond_destroy(&o->synced);
		pthread_mutex_destroy(&o->lock);
		goto fail;
	}
	o->started = true;
	pthread_setname_np(o->thread, "console-out");
	return 0;
fail:
	close(o->rfd);
	close(o->wfd);
	o->rfd = o->wfd = -1;
	return -1;
}

/**
 * console_out_sync() - wait until what was written before is on stdout
 * @o: the state; not started is fine
 *
 * So that hvx-run's messages on stderr come after the guest's lines
 * before them.  Returns at once in the output thread itself, and once the
 * output is abandoned.
 */
void console_out_sync(struct console_out *o)
{
	uint64_t upto;
	int pending;

	if (!o->started || pthread_equal(pthread_self(), o->thread))
		return;
	pthread_mutex_lock(&o->lock);
	/* what is in the pipe now, not what devices write meanwhile */
	pending = pipe_pending(o);
	upto = o->nr_read + (pending > 0 ? pending : 0);
	while (o->running && !o->abandoned && !o->failed &&
	       o->nr_done < upto)
		pthread_cond_wait(&o->synced, &o->lock);
	pthread_mutex_unlock(&o->lock);
}

/**
 * console_out_abandon() - drop what stdout has not taken, from now on
 * @o: the state; not started is fine
 *
 * Returns once the output thread no longer waits on stdout.  Safe from
 * any thread but the output thread, not from a signal handler.
 */
void console_out_abandon(struct console_out *o)
{
	const struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	bool writing;

	if (!o->started)
		return;
	pthread_mutex_lock(&o->lock);
	o->abandoned = true;
	pthread_cond_broadcast(&o->synced);
	pthread_mutex_unlock(&o->lock);
	for (;;) {
		pthread_mutex_lock(&o->lock);
		writing = o->in_write;
		if (writing)
			pthread_kill(o->thread, SIG_KICK);
		pthread_mutex_unlock(&o->lock);
		if (!writing)
			break;
		nanosleep(&pause, NULL);
	}
}

/**
 * console_out_stop() - copy the rest to stdout and end the thread
 * @o: the state; nothing writes to @o->wfd any more
 *
 * Waits for stdout to take the rest unless the output was abandoned
 * (which another thread may do meanwhile, up to console_out_destroy()).
 */
void console_out_stop(struct console_out *o)
{
	if (o->wfd >= 0)
		close(o->wfd);
	o->wfd = -1;
	if (o->started && !o->joined) {
		pthread_join(o->thread, NULL);
		o->joined = true;
	}
}

/**
 * console_out_destroy() - free what console_out_start() took
 * @o: the state, stopped; no other thread uses it any more
 */
void console_out_destroy(struct console_out *o)
{
	console_out_stop(o);
	if (!o->started)
		return;
	o->started = false;
	close(o->rfd);
	o->rfd = -1;
	pthread_cond_destroy(&o->synced);
	pthread_mutex_destroy(&o->lock);
}
