/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Ending a vCPU thread's HVX_RUN from another thread with SIGUSR1, as a
 * VMM kicks its vCPUs.
 */
#ifndef SELFTEST_HVX_THREAD_KICK_H
#define SELFTEST_HVX_THREAD_KICK_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

/* A SIGUSR1 handler that only interrupts: install without SA_RESTART. */
static inline void no_op(int sig)
{
}

/*
 * Send SIGUSR1 (whose handler must be no_op(), without SA_RESTART) to @th
 * until it ends, every 20 ms: a signal that lands just before the thread
 * enters its wait is lost, so one is not enough.
 */
static inline void kick_and_join(pthread_t th, void **res)
{
	struct timespec ts;

	do {
		pthread_kill(th, SIGUSR1);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
	} while (pthread_timedjoin_np(th, res, &ts) == ETIMEDOUT);
}

#endif /* SELFTEST_HVX_THREAD_KICK_H */
