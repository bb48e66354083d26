// SPDX-License-Identifier: GPL-2.0
/*
 * A device thread that only consumes an eventfd: KVM's ioeventfd and
 * hvx's doorbell ranges signal one per guest write, and a VMM would have
 * a thread sleeping on it.  It counts what it read and how often it woke,
 * and may signal a second eventfd for each read (an irqfd: the device
 * "completes" and interrupts the guest).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bench.h"

static void *ev_reader_thread(void *arg)
{
	struct ev_reader *r = arg;
	uint64_t v, one = 1;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		if (read(r->efd, &v, sizeof(v)) != sizeof(v)) {
			if (errno == EINTR)
				continue;
			break;
		}
		r->total += v;
		r->wakeups++;
		/* the count that stops the thread raises no interrupt */
		if (r->relay_fd >= 0 &&
		    !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) &&
		    write(r->relay_fd, &one, sizeof(one)) != sizeof(one))
			break;
	}
	return NULL;
}

int ev_reader_start(struct ev_reader *r, int relay_fd)
{
	memset(r, 0, sizeof(*r));
	r->relay_fd = relay_fd;
	r->efd = eventfd(0, EFD_CLOEXEC);
	if (r->efd < 0) {
		bench_err("eventfd: %s", strerror(errno));
		return -1;
	}
	if (pthread_create(&r->thread, NULL, ev_reader_thread, r)) {
		bench_err("cannot start an eventfd reader");
		close(r->efd);
		r->efd = -1;
		return -1;
	}
	r->running = true;
	return 0;
}

void ev_reader_stop(struct ev_reader *r)
{
	uint64_t v, one = 1;

	if (r->running) {
		/* Wake the thread with one count of our own, take it off. */
		__atomic_store_n(&r->stop, true, __ATOMIC_RELEASE);
		if (write(r->efd, &one, sizeof(one)) != sizeof(one))
			bench_err("eventfd write: %s", strerror(errno));
		pthread_join(r->thread, NULL);
		r->running = false;
		fcntl(r->efd, F_SETFL, O_NONBLOCK);
		if (read(r->efd, &v, sizeof(v)) == sizeof(v))
			r->total += v;
		r->total -= one;
	}
	if (r->efd >= 0)
		close(r->efd);
	r->efd = -1;
}
