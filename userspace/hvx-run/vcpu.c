// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: one thread per vCPU, and how the guest ends.
 *
 * Every vCPU runs the same loop: HVX_RUN, serve the exit, again.  vCPU 0
 * starts the image; the others start waiting for a SIPI, and sleep inside
 * HVX_RUN until the guest's INIT and start-up IPIs reach them through the
 * local APICs in hvx.ko.
 *
 * A vCPU that halts with interrupts disabled can only be woken by an NMI
 * or INIT.  A small image means "the end" by that; an operating system
 * does it to park a CPU (Linux on a CPU it stops, or after a panic), so
 * with -k the vCPU thread only waits, and the machine ends when every
 * vCPU is parked.
 *
 * Whoever ends the guest (a device, an exit, the main thread on a signal)
 * calls machine_stop().  It records the status once, sets immediate_exit
 * in every running vCPU's run page and sends that thread SIG_KICK, so an
 * HVX_RUN in progress returns -EINTR and one about to start returns at
 * once; it wakes the halted vCPUs and tells the main thread through an
 * eventfd.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hvx/libhvx.h>

#include "hvx-run.h"

/**
 * machine_stop() - end the guest
 * @ctx: the struct machine
 * @status: hvx-run's exit status
 * @why: a line for stderr, or NULL
 *
 * Only the first call counts.  Safe from any thread but not from a signal
 * handler.
 */
void machine_stop(void *ctx, int status, const char *why)
{
	struct machine *m = ctx;
	uint64_t one = 1;
	uint32_t i;

	pthread_mutex_lock(&m->lock);
	if (m->stopping) {
		pthread_mutex_unlock(&m->lock);
		return;
	}
	m->stopping = true;
	m->status = status;
	for (i = 0; i < m->nr_vcpus; i++) {
		struct vcpu *v = &m->vcpus[i];

		if (!v->running)
			continue;
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (!pthread_equal(v->thread, pthread_self()))
			pthread_kill(v->thread, SIG_KICK);
	}
	pthread_cond_broadcast(&m->stop_cond);
	pthread_mutex_unlock(&m->lock);
	if (write(m->stop_efd, &one, sizeof(one)) < 0)
		msg("cannot wake the main thread: %s", strerror(errno));
	/* after the kicks: it waits for the guest's output before it */
	if (why)
		msg("%s", why);
}

/**
 * machine_stop_user() - end the guest because the user asks to
 * @ctx: the struct machine
 * @status: hvx-run's exit status
 * @why: a line for stderr, or NULL
 *
 * For SIGINT, SIGTERM and Ctrl-A x: as machine_stop(), after abandoning
 * the guest's output that stdout has not taken, and the messages stderr
 * has not.  A stalled stdout or stderr must not keep hvx-run from ending,
 * nor hold up the message.
 */
void machine_stop_user(void *ctx, int status, const char *why)
{
	struct machine *m = ctx;

	if (m->out)
		console_out_abandon(m->out);
	if (m->err)
		console_out_abandon(m->err);
	machine_stop(ctx, status, why);
}

/**
 * machine_stopping() - has the guest ended?
 * @m: the machine
 *
 * Return: true once machine_stop() was called.
 */
bool machine_stopping(struct machine *m)
{
	bool s;

	pthread_mutex_lock(&m->lock);
	s = m->stopping;
	pthread_mutex_unlock(&m->lock);
	return s;
}

/*
 * Print why the vCPU died, its exit when @exited (after a failed HVX_RUN
 * the run page still holds the exit before), and its registers, in one
 * write.
 */
static void report(struct vcpu *v, const char *what, bool exited)
{
	struct hvx_sregs sregs;
	struct hvx_regs regs;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f) {
		msg("vCPU %u: %s", v->id, what);
		return;
	}
	fprintf(f, "hvx-run: vCPU %u: %s\n", v->id, what);
	if (exited)
		dump_exit(f, v->run);
	if (hvx_get_regs(v->fd, &regs) < 0) {
		fprintf(f, "cannot read the registers: %s\n", strerror(errno));
	} else if (hvx_get_sregs(v->fd, &sregs) < 0) {
		fprintf(f, "cannot read the segment registers: %s\n",
			strerror(errno));
		dump_regs(f, &regs, NULL);
	} else {
		dump_regs(f, &regs, &sregs);
	}
	fclose(f);
	msg_write(buf, len);
	free(buf);
}

/*
 * The guest ends with @status, then the report: printing waits for
 * stdout to take the guest's output before it, and meanwhile the other
 * vCPUs and the devices must not run on, nor a SIGTERM or another
 * vCPU's debug exit take the status (machine_stop() keeps the first).
 */
static void crash(struct vcpu *v, int status, const char *what)
{
	machine_stop(v->m, status, NULL);
	report(v, what, true);
}

/* Whether this is the first of a kind of exit hvx-run only half serves. */
static bool first_time(bool *done)
{
	return !__atomic_exchange_n(done, true, __ATOMIC_RELAXED);
}

static bool hypercall_logged, msr_logged;

#define ALL_HALTED	"every vCPU halted with interrupts disabled"

/*
 * Every vCPU the guest has run looks parked.  A parked vCPU sleeping in
 * HVX_RUN (m->halted_sleeps) may have been started again inside hvx.ko
 * (INIT and SIPI, or an NMI) with no exit to count it, so the others are
 * kicked to look at their own state (census_answer()), and the last
 * answer decides.  m->lock held.
 */
static void census_start(struct vcpu *v)
{
	struct machine *m = v->m;
	uint32_t i;

	m->census_gen++;
	m->census_left = m->nr_parked - 1;
	v->census_seen = m->census_gen;
	for (i = 0; i < m->nr_vcpus; i++) {
		struct vcpu *o = &m->vcpus[i];

		if (o == v || !o->running)
			continue;
		__atomic_store_n(&o->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		pthread_kill(o->thread, SIG_KICK);
	}
}

/*
 * HLT with interrupts disabled under -k: the guest took this CPU offline
 * (or halts the machine, one CPU at a time), but the others may go on.
 * The vCPU sleeps in HVX_RUN until an INIT brings it back (a CPU put
 * online again), or with an older hvx waits here for the end.  Returns
 * true (leave the loop) once all the guest has run are parked, as a
 * census confirms: one it never started (maxcpus=1) waits for a SIPI
 * that will not come.  (An AP started so late that the others halt
 * before its first exit is missed.)
 */
static bool park(struct vcpu *v)
{
	struct machine *m = v->m;
	bool all, census;

	pthread_mutex_lock(&m->lock);
	all = ++m->nr_parked == m->nr_live;
	census = all && m->halted_sleeps && m->nr_parked > 1;
	if (census)
		census_start(v);
	pthread_mutex_unlock(&m->lock);
	v->parked = true;
	if (all && !census) {
		machine_stop(m, HVX_RUN_EXIT_OK, ALL_HALTED);
		return true;
	}
	if (m->halted_sleeps) {
		if (!hvx_set_mp_state(v->fd, HVX_MP_HALTED))
			return false;
		msg("vCPU %u: HVX_SET_MP_STATE: %s", v->id, strerror(errno));
	}
	pthread_mutex_lock(&m->lock);
	while (!m->stopping)
		pthread_cond_wait(&m->stop_cond, &m->lock);
	pthread_mutex_unlock(&m->lock);
	return true;
}

/* A parked vCPU exited: an INIT and SIPI (or an NMI) woke it. */
static void unpark(struct vcpu *v)
{
	struct machine *m = v->m;

	pthread_mutex_lock(&m->lock);
	m->nr_parked--;
	pthread_mutex_unlock(&m->lock);
	v->parked = false;
}

/*
 * A parked vCPU's answer to a census (census_start()): still halted, or
 * waiting for a SIPI, or started again inside hvx.ko, and so no longer
 * parked (the census then finds fewer parked than live, and the machine
 * goes on).  Returns true when its answer was the last, and every vCPU
 * is halted: the machine stops.
 */
static bool census_answer(struct vcpu *v)
{
	struct machine *m = v->m;
	uint32_t state = HVX_MP_HALTED;
	bool last = false;

	if (!hvx_get_mp_state(v->fd, &state) && state == HVX_MP_RUNNABLE)
		unpark(v);
	pthread_mutex_lock(&m->lock);
	if (v->census_seen != m->census_gen) {
		v->census_seen = m->census_gen;
		last = v->parked && m->census_left && !--m->census_left &&
		       m->nr_parked == m->nr_live;
	}
	pthread_mutex_unlock(&m->lock);
	if (last)
		machine_stop(m, HVX_RUN_EXIT_OK, ALL_HALTED);
	return last;
}

/* Serve one exit.  Returns true when the vCPU must stop. */
static bool handle_exit(struct vcpu *v)
{
	struct machine *m = v->m;
	struct hvx_run *run = v->run;

	switch (run->exit_reason) {
	case HVX_EXIT_IO:
		if (io_bus_handle_run(m->bus, run))
			break;
		return false;
	case HVX_EXIT_MMIO:
		if (run->mmio.len > sizeof(run->mmio.data))
			break;
		io_bus_mmio(m->bus, run->mmio.phys_addr, run->mmio.len,
			    run->mmio.is_write, run->mmio.data);
		return false;
	case HVX_EXIT_HLT:
		if (m->park_on_hlt)
			return park(v);
		machine_stop(m, HVX_RUN_EXIT_OK, "guest halted");
		return true;
	case HVX_EXIT_IRQ_WINDOW_OPEN:
		return false;	/* irq_extint_deliver() before the next entry */
	case HVX_EXIT_EOI:
		/* a level-triggered interrupt ended: remote IRR, redelivery */
		if (m->ioapic)
			ioapic_eoi(m->ioapic, run->eoi.vector);
		return false;
	case HVX_EXIT_SHUTDOWN:
		crash(v, HVX_RUN_EXIT_SHUTDOWN, "triple fault");
		return true;
	case HVX_EXIT_FAIL_ENTRY:
		crash(v, HVX_RUN_EXIT_FAIL_ENTRY, "VM entry failed");
		return true;
	case HVX_EXIT_INTERNAL_ERROR:
		crash(v, HVX_RUN_EXIT_INTERNAL, "hvx internal error");
		return true;
	case HVX_EXIT_HYPERCALL:
		if (first_time(&hypercall_logged))
			msg("hypercall %" PRIu64 " at RIP 0x%" PRIx64 ": no hypercalls, returning -ENOSYS (reported once)",
			    (uint64_t)run->hypercall.nr, (uint64_t)run->rip);
		run->hypercall.ret = (uint64_t)-ENOSYS;
		return false;
	case HVX_EXIT_RDMSR:
	case HVX_EXIT_WRMSR:
		if (first_time(&msr_logged))
			msg("MSR 0x%" PRIx64 " at RIP 0x%" PRIx64 ": unknown, injecting #GP (reported once)",
			    (uint64_t)run->msr.index, (uint64_t)run->rip);
		run->msr.error = 1;
		return false;
	}
	crash(v, HVX_RUN_EXIT_ERROR, "unexpected exit");
	return true;
}

static void run_loop(struct vcpu *v)
{
	struct machine *m = v->m;

	pthread_mutex_lock(&m->lock);
	if (m->stopping) {
		pthread_mutex_unlock(&m->lock);
		return;
	}
	v->running = true;
	pthread_mutex_unlock(&m->lock);

	for (;;) {
		char why[80];
		int r, err;

		/*
		 * A kick (the stop, a census, vCPU 0's for the 8259 in
		 * irq_extint_changed()) is taken here: cleared before the
		 * looks at the stop, the census and INTR, so that a setting
		 * after them stays for the HVX_RUN below.
		 */
		__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		if (machine_stopping(m))
			break;
		if (v->parked &&
		    __atomic_load_n(&m->census_gen, __ATOMIC_RELAXED) !=
		    v->census_seen && census_answer(v))
			break;
		if (v->id == 0)
			irq_extint_deliver(v);
		r = hvx_run(v->fd);
		err = errno;
		/*
		 * What the guest posted before an exit comes first (the
		 * devices may change errno, hence err).  A kick, or a stray
		 * signal: look at m->stopping.
		 */
		io_ring_returned(m->ring, v->id, r ? NULL : v->run);
		if (r < 0 && err == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, sizeof(why), "HVX_RUN failed: %s",
				 strerror(err));
			machine_stop(m, HVX_RUN_EXIT_ERROR, NULL);
			report(v, why, false);
			break;
		}
		if (!v->exited) {
			v->exited = true;
			pthread_mutex_lock(&m->lock);
			m->nr_live++;
			pthread_mutex_unlock(&m->lock);
		}
		if (v->parked)
			unpark(v);
		if (handle_exit(v))
			break;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, SIG_KICK);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);

	run_loop(v);
	/*
	 * No kick after this (machine_stop(), irq_extint_changed()): the
	 * 8259's timer goes on after the vCPUs are joined, and a signal to
	 * a joined thread may find its descriptor gone with its stack.
	 */
	pthread_mutex_lock(&v->m->lock);
	v->running = false;
	pthread_mutex_unlock(&v->m->lock);
	return NULL;
}

/**
 * vcpus_start() - start a thread for each vCPU
 * @m: the machine, its vCPUs created and vCPU 0 set up
 *
 * The caller blocks SIG_KICK (and what it waits for with signalfd) first;
 * the threads unblock SIG_KICK themselves.
 *
 * Return: 0, or -1 with errno set when a thread cannot be created (the
 * machine is then stopped; vcpus_join() still joins the others).
 */
int vcpus_start(struct machine *m)
{
	uint32_t i;
	int err;

	for (i = 0; i < m->nr_vcpus; i++) {
		struct vcpu *v = &m->vcpus[i];

		pthread_mutex_lock(&m->lock);
		err = pthread_create(&v->thread, NULL, vcpu_thread, v);
		v->started = !err;
		pthread_mutex_unlock(&m->lock);
		if (!err) {
			char name[16];

			/* for ps -L and top -H */
			snprintf(name, sizeof(name), "vcpu%u", i);
			pthread_setname_np(v->thread, name);
		}
		if (err) {
			msg("cannot start the thread of vCPU %u: %s", i,
			    strerror(err));
			machine_stop(m, HVX_RUN_EXIT_ERROR, NULL);
			errno = err;
			return -1;
		}
	}
	return 0;
}

/**
 * vcpus_join() - wait for the vCPU threads to end
 * @m: the machine, stopping
 */
void vcpus_join(struct machine *m)
{
	uint32_t i;

	for (i = 0; i < m->nr_vcpus; i++)
		if (m->vcpus[i].started)
			pthread_join(m->vcpus[i].thread, NULL);
}
