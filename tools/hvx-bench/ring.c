// SPDX-License-Identifier: GPL-2.0
/*
 * ===== RING PLUG-IN POINT =====
 *
 * hvx's shared I/O ring in the benchmarks (uapi/linux/hvx.h, "Shared I/O
 * ring"), for three cases of main.c:
 *
 * pio_ring:	PORT_RING, a synchronous port write served by a device
 *		thread: the vCPU waits in the kernel while the thread takes
 *		the request from the ring and completes it (HVX_RANGE_SYNC,
 *		HVX_RING_COMPLETE).
 * pio_posted:	PORT_POSTED, a posted port write: hvx queues it in the ring
 *		and resumes the guest; the device thread drains the ring.
 * mmio_posted:	MMIO_POSTED_GPA, the same for an MMIO store.
 * *_posted_vmm: the same posted writes with the device thread parked:
 *		the vCPU thread drains the ring whenever HVX_RUN returns,
 *		which is how a VMM consumes KVM's coalesced MMIO ring.
 * *_doorbell:	PORT_EVENTFD, MMIO_EVENTFD_GPA: a doorbell range
 *		(HVX_RANGE_DOORBELL) signals an eventfd that a device thread
 *		reads, hvx's counterpart of KVM's ioeventfd.
 *
 * bench_ring_open() creates the ring, registers the posted and sync ranges
 * and starts the device thread.  Whenever the ring is empty the thread
 * sleeps in HVX_RING_COMPLETE with HVX_COMPLETE_WAIT, which also completes
 * the last request it served: one system call per request (or per batch
 * of posts), as a VMM's device thread would do it.  A signal (SIGUSR1,
 * without SA_RESTART) ends that sleep when the thread must park or stop.
 * A write the ring cannot take comes back as an ordinary exit to
 * userspace, which hvx.c's run loop counts.  When hvx.ko refuses the
 * ring, the cases report "n/a (ring not built)".  The ring is made,
 * mapped, served and completed through libhvx, as hvx-run does it.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <time.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <hvx/libhvx.h>

#include "bench.h"
#include "ring.h"

/*
 * Capacity; KVM's coalesced ring holds a page, 170 entries.  Posts wake
 * the device thread once the ring is half full; on one CPU it runs only
 * when the scheduler preempts the vCPU thread, at worst at the next tick
 * (4 ms at HZ=250).  4096 entries of posted OUT take longer than that to
 * fill, so the ring does not overflow while the woken thread waits for
 * the CPU; with 1024 a few percent of the writes fell back to exits.
 */
#define RING_ENTRIES	4096

static struct {
	bool up;			/* ring made, ranges set, thread on */
	char why[96];			/* why not, when !up */
	int vm_fd;
	struct hvx_ring_map map;	/* map.fd: the ring fd, or -1 */
	pthread_t thread;
	bool stop;
	bool exited;			/* ring_thread() returned */
	/* parking the device thread for the *_posted_vmm cases */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool park;			/* asked to park */
	bool parked;			/* it is parked */
	bool vmm;			/* this case's VMM drains, per exit */
	/* written by the consumer, read once it has caught up */
	uint64_t writes;
	uint64_t bad;
	uint64_t wakeups;
	uint64_t completions;
	/* the completion owed for the last request served (seq 0: none) */
	uint64_t owed_seq;
	uint32_t owed_vcpu;
	/* the doorbell range of the current case */
	uint32_t bell_type;
	uint64_t bell_base, bell_length;
	bool bell_set;
	struct ev_reader bell_reader;
	int irqfd;			/* msi_irqfd's eventfd, or -1 */
} rg = {
	.map.fd = -1,
	.irqfd = -1,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static uint32_t load_acquire(uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_release(uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/*
 * HVX_RING_COMPLETE of what is owed; with @wait it then sleeps until an
 * entry is pending (or a kick).
 */
static void complete(bool wait)
{
	int r;

	if (!rg.owed_seq && !wait)
		return;
	r = wait ? hvx_ring_complete_wait(rg.map.fd, rg.owed_vcpu,
					  rg.owed_seq, 0) :
		   hvx_ring_complete(rg.map.fd, rg.owed_vcpu, rg.owed_seq, 0);
	if (r && errno != EINTR)
		bench_err("hvx: HVX_RING_COMPLETE: %s", strerror(errno));
	else if (rg.owed_seq)
		rg.completions++;
	rg.owed_seq = 0;
	rg.owed_vcpu = 0;
}

/*
 * Serve one entry: count it.  A request's completion is owed until the
 * thread's next HVX_RING_COMPLETE; one still owed is paid first.
 */
static void serve(const struct hvx_ring_entry *e)
{
	bool ours;

	ours = (e->type == HVX_RING_PIO &&
		(e->addr == PORT_RING || e->addr == PORT_POSTED)) ||
	       (e->type == HVX_RING_MMIO && e->addr == MMIO_POSTED_GPA);
	if (!ours || e->size != 4 || !(e->flags & HVX_RING_F_WRITE) ||
	    !(uint32_t)e->data)
		rg.bad++;
	else
		rg.writes++;
	if (!(e->flags & HVX_RING_F_REQUEST))
		return;
	complete(false);
	rg.owed_seq = e->seq;
	rg.owed_vcpu = e->vcpu;
}

/*
 * Consume what is published, from @cons on, each slot given back as soon
 * as it is served; return the new index.
 */
static uint32_t drain(uint32_t cons)
{
	uint32_t prod = load_acquire(&rg.map.hdr->producer);

	while (cons != prod) {
		serve(&rg.map.entries[cons & rg.map.mask]);
		cons++;
		store_release(&rg.map.hdr->consumer, cons);
	}
	return cons;
}

/* Park while asked to; the vCPU thread consumes meanwhile. */
static void park(void)
{
	pthread_mutex_lock(&rg.lock);
	rg.parked = true;
	pthread_cond_broadcast(&rg.cond);
	while (rg.park && !rg.stop)
		pthread_cond_wait(&rg.cond, &rg.lock);
	rg.parked = false;
	pthread_mutex_unlock(&rg.lock);
}

/*
 * The device thread: drain, then pay what it owes and sleep until the
 * next entry, in one HVX_RING_COMPLETE.
 */
static void *ring_thread(void *arg)
{
	uint32_t cons = rg.map.hdr->consumer;

	for (;;) {
		if (__atomic_load_n(&rg.park, __ATOMIC_ACQUIRE)) {
			complete(false);
			park();
			cons = rg.map.hdr->consumer;
			continue;
		}
		if (cons != load_acquire(&rg.map.hdr->producer)) {
			cons = drain(cons);
			continue;
		}
		if (__atomic_load_n(&rg.stop, __ATOMIC_ACQUIRE))
			break;
		complete(true);
		rg.wakeups++;
	}
	complete(false);
	pthread_mutex_lock(&rg.lock);
	rg.exited = true;
	pthread_cond_broadcast(&rg.cond);
	pthread_mutex_unlock(&rg.lock);
	return NULL;
}

static void on_kick(int sig)
{
}

/*
 * Send kicks until @done() holds (rg.lock held): a kick that lands just
 * before the thread goes to sleep is lost, so one is not enough.
 */
static void kick_until(bool (*done)(void))
{
	struct timespec ts;

	while (!done()) {
		pthread_kill(rg.thread, SIGUSR1);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&rg.cond, &rg.lock, &ts);
	}
}

static bool is_parked(void)
{
	return rg.parked;
}

static bool has_exited(void)
{
	return rg.exited;
}

static void not_built(const char *what)
{
	snprintf(rg.why, sizeof(rg.why), "ring not built: %s %s", what,
		 strerror(errno));
}

void bench_ring_open(int vm_fd)
{
	struct sigaction sa = { .sa_handler = on_kick };	/* no SA_RESTART */
	int fd;

	rg.up = false;
	rg.vm_fd = vm_fd;
	if (sigaction(SIGUSR1, &sa, NULL)) {
		not_built("sigaction");
		return;
	}
	fd = hvx_create_ring(vm_fd, RING_ENTRIES, HVX_RING_SYNC, -1);
	if (fd < 0) {
		/* ENOTTY: an hvx.ko without the ring */
		if (errno == ENOTTY)
			snprintf(rg.why, sizeof(rg.why), "ring not built");
		else
			not_built("HVX_CREATE_RING");
		return;
	}
	if (hvx_ring_map(fd, &rg.map)) {
		not_built("mmap");
		close(fd);
		return;
	}
	if (hvx_register_posted(vm_fd, HVX_RING_PIO, PORT_RING, 4,
				HVX_RANGE_SYNC)) {
		not_built("HVX_REGISTER_RANGE (sync port)");
		return;
	}
	if (hvx_register_posted(vm_fd, HVX_RING_PIO, PORT_POSTED, 4, 0)) {
		not_built("HVX_REGISTER_RANGE (port)");
		return;
	}
	if (hvx_register_posted(vm_fd, HVX_RING_MMIO, MMIO_POSTED_GPA, 0x1000,
				0)) {
		not_built("HVX_REGISTER_RANGE (MMIO)");
		return;
	}
	rg.stop = false;
	rg.exited = false;
	if (pthread_create(&rg.thread, NULL, ring_thread, NULL)) {
		snprintf(rg.why, sizeof(rg.why), "no device thread");
		return;
	}
	rg.up = true;
}

static bool is_vmm_case(const struct bench_case *c)
{
	return strstr(c->name, "_vmm") != NULL;
}

/* msi_irqfd: the doorbell's device thread raises an MSI by irqfd. */
static bool is_irqfd_case(const struct bench_case *c)
{
	return strstr(c->name, "_irqfd") != NULL;
}

static bool is_doorbell_case(const struct bench_case *c)
{
	return strstr(c->name, "_doorbell") != NULL || is_irqfd_case(c);
}

/* An eventfd whose signal is the MSI of the interrupt cases; -1 on error. */
static int irqfd_open(void)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	if (fd < 0) {
		bench_err("eventfd: %s", strerror(errno));
		return -1;
	}
	if (hvx_irqfd_assign(rg.vm_fd, fd, MSI_ADDRESS, IRQ_VECTOR)) {
		bench_err("hvx: HVX_IRQFD: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int bench_ring_setup(const struct bench_case *c, const uint32_t *entries,
		     const char **why)
{
	/* once here, not a string search at every exit */
	rg.vmm = rg.up && is_vmm_case(c);
	if (!rg.up) {
		*why = rg.why[0] ? rg.why : "ring not built";
		return 1;
	}
	if (is_doorbell_case(c)) {
		rg.irqfd = is_irqfd_case(c) ? irqfd_open() : -1;
		if (is_irqfd_case(c) && rg.irqfd < 0)
			return -1;
		if (ev_reader_start(&rg.bell_reader, rg.irqfd,
				    c->to_isr ? entries : NULL))
			return -1;
		rg.bell_type = c->op == GOP_STORE ? HVX_RING_MMIO : HVX_RING_PIO;
		rg.bell_base = c->op == GOP_STORE ? c->addr : c->port;
		rg.bell_length = c->op == GOP_STORE ? 0x1000 : 4;
		if (hvx_register_doorbell(rg.vm_fd, rg.bell_type, rg.bell_base,
					  rg.bell_length, rg.bell_reader.efd)) {
			bench_err("hvx: HVX_REGISTER_RANGE (doorbell): %s",
				  strerror(errno));
			return -1;
		}
		rg.bell_set = true;
		return 0;
	}
	if (is_vmm_case(c)) {
		/* Park the device thread: kick it out of its wait. */
		pthread_mutex_lock(&rg.lock);
		__atomic_store_n(&rg.park, true, __ATOMIC_RELEASE);
		kick_until(is_parked);
		pthread_mutex_unlock(&rg.lock);
	}
	/* The thread is idle or parked between cases: nothing in flight. */
	rg.writes = 0;
	rg.bad = 0;
	rg.wakeups = 0;
	rg.completions = 0;
	return 0;
}

void bench_ring_after_exit(const struct bench_case *c)
{
	if (rg.vmm) {
		drain(rg.map.hdr->consumer);
		complete(false);
	}
}

void bench_ring_teardown(const struct bench_case *c, struct bench_counts *cnt)
{
	unsigned int spins = 0;

	rg.vmm = false;
	if (!rg.up)
		return;
	if (is_doorbell_case(c)) {
		if (rg.bell_set) {
			if (hvx_unregister_range(rg.vm_fd, rg.bell_type,
						 rg.bell_base, rg.bell_length))
				bench_err("hvx: unregistering the doorbell: %s",
					  strerror(errno));
			rg.bell_set = false;
		}
		if (rg.bell_reader.running) {
			ev_reader_stop(&rg.bell_reader);
			cnt->writes += rg.bell_reader.total;
			cnt->wakeups += rg.bell_reader.wakeups;
		}
		if (rg.irqfd >= 0) {
			hvx_irqfd_deassign(rg.vm_fd, rg.irqfd);
			close(rg.irqfd);
			rg.irqfd = -1;
		}
		return;
	}
	if (is_vmm_case(c)) {
		drain(rg.map.hdr->consumer);
		pthread_mutex_lock(&rg.lock);
		rg.park = false;
		pthread_cond_broadcast(&rg.cond);
		pthread_mutex_unlock(&rg.lock);
	}
	/* Let the device thread catch up with what the guest posted. */
	while (hvx_ring_pending(&rg.map) && spins++ < 100000)
		sched_yield();
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	cnt->writes += rg.writes;
	cnt->bad += rg.bad;
	cnt->wakeups += rg.wakeups;
}

void bench_ring_close(void)
{
	if (rg.up) {
		pthread_mutex_lock(&rg.lock);
		__atomic_store_n(&rg.stop, true, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&rg.cond);
		kick_until(has_exited);
		pthread_mutex_unlock(&rg.lock);
		pthread_join(rg.thread, NULL);
	}
	hvx_ring_unmap(&rg.map);
	if (rg.map.fd >= 0)
		close(rg.map.fd);
	rg.map.fd = -1;
	rg.up = false;
}

/* ===== end of the ring plug-in point ===== */
