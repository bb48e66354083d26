// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the guest's console output on its way to stdout, and hvx-run's
 * own messages on their way to stderr.
 *
 * The UART and virtio-console write into a pipe of hvx-run's own; one
 * thread copies it to stdout.  A stdout that takes nothing (a stalled
 * pipe, a terminal on hold) then blocks that thread alone, and the
 * devices only while the pipe is full, which is the flow control a
 * blocking stdout gave them before.  Nothing the guest wrote is lost or
 * reordered while stdout takes it.  msg() goes through a second copy of
 * the same kind to stderr.
 *
 * When the user ends hvx-run (SIGINT, SIGTERM, Ctrl-A x), the copies are
 * abandoned: a thread's write is interrupted with SIG_KICK, and from then
 * on it writes only what its file takes without waiting, dropping the
 * rest, so every thread that writes output can end.  The write is kicked
 * until it has returned: a kick that lands just before the write starts
 * is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
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
 * A file of @fd's own that never blocks, for the output after
 * console_out_abandon(): O_NONBLOCK on @fd would be set for every process
 * that shares it (the shell's terminal).  A pipe, FIFO or terminal is
 * opened again; a regular file or block device takes writes without
 * waiting as it is (and a file opened again would write from offset 0);
 * a socket (a journal's stream) is sent to with MSG_DONTWAIT (*@sock);
 * anything else gets nothing more: -1.
 */
static int nonblocking_twin(int fd, bool *sock)
{
	char path[32];
	struct stat st;

	*sock = false;
	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISSOCK(st.st_mode))
		*sock = true;
	if (*sock || S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
}

/* Abandoned: what @o->out_fd takes at once of @len bytes of @p. */
static void write_at_once(struct console_out *o, const char *p, size_t len)
{
	ssize_t n;

	if (!o->twin_tried) {
		o->twin_fd = nonblocking_twin(o->out_fd, &o->twin_sock);
		o->twin_tried = true;
	}
	while (len && o->twin_fd >= 0) {
		if (o->twin_sock)
			n = send(o->twin_fd, p, len,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(o->twin_fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		p += n;
		len -= n;
	}
}

/*
 * Write @len bytes of @p to @o->out_fd, waiting for it until abandoned.
 * in_write, set around each wait, tells console_out_abandon() to kick
 * this thread, which it does only under the lock: the thread cannot end
 * while it is set.
 */
static void copy_out(struct console_out *o, const char *p, size_t len)
{
	struct pollfd pfd = { .fd = o->out_fd, .events = POLLOUT };
	bool abandoned, failed;
	ssize_t n;
	int err;

	while (len) {
		pthread_mutex_lock(&o->lock);
		abandoned = o->abandoned;
		failed = o->failed;
		o->in_write = !abandoned && !failed;
		pthread_mutex_unlock(&o->lock);
		if (failed)
			return;
		if (abandoned) {
			write_at_once(o, p, len);
			return;
		}
		n = write(o->out_fd, p, len);
		err = n < 0 ? errno : 0;
		/* made non-blocking by another process: wait here */
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
		/* (a stderr that failed is told nothing) */
		if (o->failed && !told && o->out_fd != STDERR_FILENO) {
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
 * @out_fd: where the output goes (stdout, or stderr for msg())
 * @name: the thread's name
 *
 * SIG_KICK must have a handler installed without SA_RESTART, and the
 * caller blocks the signals it waits for first: the thread inherits the
 * mask and unblocks SIG_KICK alone.
 *
 * Return: 0 with @o->wfd the file the devices write to, or -1 with a
 * message printed.
 */
int console_out_start(struct console_out *o, int out_fd, const char *name)
{
	int fds[2], err;

	o->out_fd = out_fd;
	o->rfd = o->wfd = o->twin_fd = -1;
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
	pthread_setname_np(o->thread, name);
	return 0;
fail:
	close(o->rfd);
	close(o->wfd);
	o->rfd = o->wfd = -1;
	return -1;
}

/**
 * console_out_write() - @len bytes into the copy, as a device writes them
 * @o: the state, started
 * @buf: the bytes (at most PIPE_BUF of them go in whole, unmixed with
 *	other writers')
 * @len: their count
 *
 * Waits while hvx-run's pipe is full, until @o->out_fd takes some or the
 * copy is abandoned.
 *
 * Return: 0, or -1 with errno set when the pipe takes nothing.
 */
int console_out_write(struct console_out *o, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(o->wfd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/**
 * console_out_sync() - wait until what was written before is out
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
 * console_out_abandon() - never wait on @o->out_fd again
 * @o: the state; not started is fine
 *
 * From now on the output thread writes only what @o->out_fd takes at
 * once and drops the rest.  Returns once the thread no longer waits on
 * it.  Safe from any thread but the output thread, not from a signal
 * handler.
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
 * console_out_stop() - copy the rest to @o->out_fd and end the thread
 * @o: the state; nothing writes to @o->wfd any more
 *
 * Waits for @o->out_fd to take the rest unless the output was abandoned
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
	if (o->twin_fd >= 0)
		close(o->twin_fd);
	o->twin_fd = -1;
	pthread_cond_destroy(&o->synced);
	pthread_mutex_destroy(&o->lock);
}
