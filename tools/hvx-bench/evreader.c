// SPDX-License-Identifier: GPL-2.0
/*
 * A device thread that only consumes an eventfd: KVM's ioeventfd and
 * hvx's doorbell ranges signal one per guest write, and a VMM would have
 * a thread sleeping on it.  It counts what it read and how often it woke,
 * and may signal a second eventfd for each read (an irqfd: the device
 * "completes" and interrupts the guest).
 *
 * Timed relays measure issue 9's MSI case as it is worded: "from write to
 * the guest's handler".  The thread reads the TSC just before its
 * write() to the irqfd and again when it sees the guest's handler entry
 * count move, spinning on that count in guest memory.  Both reads are
 * the host's TSC on the thread's own CPU, so no guest TSC offset enters,
 * and the same code times KVM's irqfd and hvx's.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bench.h"

/* Timed relays of all readers so far: TSC cycles and how many. */
static uint64_t lat_cycles, lat_relays;
/* a timing device thread could not be pinned: its figures are void */
static bool lat_unpinned;

static inline uint64_t host_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/**
 * bench_pin_self() - run the calling thread on @cpu only
 * @cpu: a CPU number; negative for the last CPU online
 *
 * A spinning device thread must not share a CPU with the vCPU it waits
 * for.  Return: 0, or -1 with errno set.
 */
int bench_pin_self(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		cpu = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	if (cpu < 0)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/**
 * ev_latency_read() - the timed relays so far, all readers together
 * @cycles: out: their TSC cycles, write() to handler entry
 * @relays: out: how many
 */
bool ev_latency_unpinned(void)
{
	return __atomic_load_n(&lat_unpinned, __ATOMIC_ACQUIRE);
}

void ev_latency_read(uint64_t *cycles, uint64_t *relays)
{
	/* relays last: a count read here always has its cycles added */
	*relays = __atomic_load_n(&lat_relays, __ATOMIC_ACQUIRE);
	*cycles = __atomic_load_n(&lat_cycles, __ATOMIC_ACQUIRE);
}

/* Relay one count; with @r->watch, time it to the guest's handler. */
static int relay(struct ev_reader *r)
{
	uint64_t one = 1, t0, t1;
	uint32_t before;

	if (!r->watch)
		return write(r->relay_fd, &one, sizeof(one)) == sizeof(one) ?
		       0 : -1;
	before = __atomic_load_n(r->watch, __ATOMIC_ACQUIRE);
	t0 = host_rdtsc();
	if (write(r->relay_fd, &one, sizeof(one)) != sizeof(one))
		return -1;
	while (__atomic_load_n(r->watch, __ATOMIC_ACQUIRE) == before) {
		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			return 0;
		__builtin_ia32_pause();
	}
	t1 = host_rdtsc();
	__atomic_add_fetch(&lat_cycles, t1 - t0, __ATOMIC_RELEASE);
	__atomic_add_fetch(&lat_relays, 1, __ATOMIC_RELEASE);
	return 0;
}

static void *ev_reader_thread(void *arg)
{
	struct ev_reader *r = arg;
	uint64_t v;

	/* unpinned, it may share the vCPU's CPU: no figure then */
	if (r->watch && bench_pin_self(-1)) {
		bench_err("cannot pin the device thread: %s", strerror(errno));
		__atomic_store_n(&lat_unpinned, true, __ATOMIC_RELEASE);
	}
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
		    !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) && relay(r))
			break;
	}
	return NULL;
}

/**
 * ev_reader_start() - start a device thread on a new eventfd
 * @r:		the reader; its @efd is the eventfd to signal
 * @relay_fd:	an eventfd to signal once per read, or -1
 * @watch:	with @relay_fd, the guest's handler entry count to time each
 *		relay to (the thread then spins, pinned to the last CPU), or
 *		NULL
 *
 * Return: 0, or -1 with a message printed.
 */
int ev_reader_start(struct ev_reader *r, int relay_fd, const uint32_t *watch)
{
	memset(r, 0, sizeof(*r));
	r->relay_fd = relay_fd;
	r->watch = relay_fd >= 0 ? watch : NULL;
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
