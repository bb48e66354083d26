// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: a virtio device's thread, which serves its queues' kicks (the
 * doorbells' eventfds) and its own file, and takes their chains.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hvx-run.h"
#include "virtio_pci.h"

/**
 * virtio_serve() - take every available chain of a queue
 * @v: the device
 * @q: the queue
 * @req: called with each chain (malloc'd: it frees it once completed)
 *
 * A malformed ring stops here with NEEDS_RESET; so does a chain that
 * @req found malformed (it set NEEDS_RESET).
 */
void virtio_serve(struct virtio_dev *v, unsigned int q,
		  void (*req)(struct virtio_dev *v, unsigned int q,
			      struct vq_elem *e))
{
	static const struct timespec oom_wait = { .tv_nsec = 1000000 };
	struct vq_elem *e;
	int r;

	for (;;) {
		/* a request that needed a reset ends the serving */
		if (virtio_broken(v))
			return;
		e = malloc(sizeof(*e));
		if (!e) {
			/*
			 * With EVENT_IDX the driver need not kick again for
			 * the chains left: the thread comes back for them,
			 * a millisecond later, not spinning while memory
			 * stays short.
			 */
			if (!v->oom_said)
				msg("%s: out of memory; trying again",
				    v->ops->name);
			v->oom_said = true;
			nanosleep(&oom_wait, NULL);
			virtio_kick_queue(v, q);
			return;
		}
		r = vq_pop(&v->vq[q], e);
		if (r > 0) {
			req(v, q, e);
			continue;
		}
		free(e);
		if (r < 0) {
			virtio_needs_reset(v);
			return;
		}
		if (!vq_has_more(&v->vq[q]))
			return;
	}
}

/*
 * The device's own file (ops->poll_fd), if it has one to wait on now, in
 * @pfd.  Return: 1 when it does, else 0.
 */
static unsigned int extra_fd(struct virtio_dev *v, struct pollfd *pfd)
{
	short events = 0;

	pfd->revents = 0;
	/* a file ready for a device that may not use it would spin */
	if (!v->ops->poll_fd || !virtio_may_serve(v, -1))
		return 0;
	pfd->fd = v->ops->poll_fd(v, &events);
	pfd->events = events;
	return pfd->fd >= 0;
}

/* The device thread: the queues' kicks, until virtio_stop(). */
static void *device_thread(void *arg)
{
	struct pollfd pfd[VIRTIO_MAX_QUEUES + 2];
	struct virtio_dev *v = arg;
	unsigned int i, n = v->ops->nr_queues, extra;
	uint64_t val;

	for (i = 0; i < n; i++) {
		pfd[i].fd = v->q[i].kick_efd;
		pfd[i].events = POLLIN;
	}
	pfd[n].fd = v->stop_efd;
	pfd[n].events = POLLIN;
	for (;;) {
		extra = extra_fd(v, &pfd[n + 1]);
		if (poll(pfd, n + 1 + extra, -1) < 0) {
			if (errno == EINTR)
				continue;
			device_failed("%s: poll: %s", v->ops->name,
				      strerror(errno));
			return NULL;
		}
		/*
		 * A kick that came before the stop is served first: the
		 * guest's last console output, posted before it powered off.
		 */
		for (i = 0; i < n; i++) {
			if (!(pfd[i].revents & POLLIN) ||
			    read(pfd[i].fd, &val, sizeof(val)) < 0)
				continue;
			pthread_mutex_lock(&v->serve_lock);
			if (virtio_may_serve(v, i))
				v->ops->kick(v, i);
			pthread_mutex_unlock(&v->serve_lock);
		}
		if (pfd[n].revents)
			return NULL;
		if (extra && pfd[n + 1].revents) {
			pthread_mutex_lock(&v->serve_lock);
			if (virtio_may_serve(v, -1))
				v->ops->poll_ready(v, pfd[n + 1].revents);
			pthread_mutex_unlock(&v->serve_lock);
		}
	}
}

/**
 * virtio_start() - start the device thread
 * @v: the device
 *
 * Return: 0, or -1 after a message.
 */
int virtio_start(struct virtio_dev *v)
{
	int r = pthread_create(&v->thread, NULL, device_thread, v);

	if (r) {
		msg("%s: cannot start its thread: %s", v->ops->name,
		    strerror(r));
		return -1;
	}
	v->thread_on = true;
	return 0;
}

/**
 * virtio_stop() - end the device thread
 * @v: the device
 */
void virtio_stop(struct virtio_dev *v)
{
	uint64_t one = 1;

	if (!v->thread_on)
		return;
	if (write(v->stop_efd, &one, sizeof(one)) < 0)
		msg("%s: stop: %s", v->ops->name, strerror(errno));
	pthread_join(v->thread, NULL);
	v->thread_on = false;
}
