// SPDX-License-Identifier: GPL-2.0
/*
 * A second vCPU's thread (ipi_roundtrip): it calls the backend's run
 * function over and over until it is told to stop.  The guest on that
 * vCPU spends its time in HLT, which both hypervisors keep in the kernel,
 * so the thread sleeps in the run ioctl; SIGUSR2 (no SA_RESTART) makes
 * the ioctl return EINTR so the thread sees the stop.  The signal is sent
 * until the thread has ended: one sent just before the thread enters the
 * ioctl would otherwise be lost.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

static void on_stop_signal(int sig)
{
	(void)sig;
}

static void *vcpu_thread_main(void *arg)
{
	struct vcpu_thread *t = arg;

	while (!__atomic_load_n(&t->stop, __ATOMIC_ACQUIRE)) {
		if (t->run(t->ctx)) {
			t->failed = true;
			break;
		}
	}
	__atomic_store_n(&t->ended, true, __ATOMIC_RELEASE);
	return NULL;
}

int vcpu_thread_start(struct vcpu_thread *t)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	int err;

	if (sigaction(SIGUSR2, &sa, NULL)) {
		bench_err("sigaction: %s", strerror(errno));
		return -1;
	}
	t->stop = false;
	t->ended = false;
	t->failed = false;
	err = pthread_create(&t->thread, NULL, vcpu_thread_main, t);
	if (err) {
		bench_err("cannot start a vCPU thread: %s", strerror(err));
		return -1;
	}
	t->running = true;
	return 0;
}

int vcpu_thread_stop(struct vcpu_thread *t)
{
	if (!t->running)
		return 0;
	__atomic_store_n(&t->stop, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&t->ended, __ATOMIC_ACQUIRE)) {
		pthread_kill(t->thread, SIGUSR2);
		usleep(1000);
	}
	pthread_join(t->thread, NULL);
	t->running = false;
	return t->failed ? -1 : 0;
}
