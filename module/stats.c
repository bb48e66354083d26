// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU statistics: the hooks the run loop and the exit handlers call, and
 * the readers the netlink family uses (rules in stats.h).
 *
 * Time is local_clock(): cheap, and with irqs off around the VM entry
 * both readings come from one CPU.  Host time is everything inside
 * HVX_RUN that is not guest time, including time the thread was
 * preempted; a clock that steps back across CPUs charges nothing.
 */
#include <linux/kernel.h>
#include <linux/sched/clock.h>

#include "vcpu.h"
#include "trace.h"

static inline void stat_add(struct hvx_vcpu_stats *st, unsigned int idx,
			    u64 n)
{
	WRITE_ONCE(st->s.v[idx], st->s.v[idx] + n);
}

/* Charge the time since the last switch to @idx. */
static inline void charge_time(struct hvx_vcpu_stats *st, unsigned int idx)
{
	u64 now = local_clock();

	if (now > st->ts)
		stat_add(st, idx, now - st->ts);
	st->ts = now;
}

/**
 * hvx_stats_run_begin() - HVX_RUN starts
 * @vcpu: the vCPU, its mutex held
 */
void hvx_stats_run_begin(struct hvx_vcpu *vcpu)
{
	struct hvx_vcpu_stats *st = &vcpu->stats;

	stat_add(st, HVX_STAT_RUNS, 1);
	st->ts = local_clock();
	WRITE_ONCE(st->shutdown, false);
	WRITE_ONCE(st->running, true);
}

/**
 * hvx_stats_run_end() - HVX_RUN returns
 * @vcpu: the vCPU, its mutex held
 */
void hvx_stats_run_end(struct hvx_vcpu *vcpu)
{
	charge_time(&vcpu->stats, HVX_STAT_HOST_NS);
	WRITE_ONCE(vcpu->stats.running, false);
}

/**
 * hvx_stats_enter() - the guest is about to be entered
 * @vcpu: the vCPU, loaded, irqs off
 */
void hvx_stats_enter(struct hvx_vcpu *vcpu)
{
	trace_hvx_entry(vcpu);
	charge_time(&vcpu->stats, HVX_STAT_HOST_NS);
}

/**
 * hvx_stats_leave() - the guest has just exited (or failed to enter)
 * @vcpu: the vCPU, loaded, irqs off
 */
void hvx_stats_leave(struct hvx_vcpu *vcpu)
{
	charge_time(&vcpu->stats, HVX_STAT_GUEST_NS);
}

/**
 * hvx_stats_exit() - count and trace one VM exit
 * @vcpu: the vCPU, loaded
 * @exit_reason: VM_EXIT_REASON, or ~0U when VMLAUNCH/VMRESUME failed
 *
 * A failed entry, either way, is also reported on the events group.
 */
void hvx_stats_exit(struct hvx_vcpu *vcpu, u32 exit_reason)
{
	struct hvx_vcpu_stats *st = &vcpu->stats;
	u16 basic = exit_reason;

	if (unlikely(exit_reason == ~0U)) {
		hvx_stats_event(vcpu, HVX_EVENT_FAIL_ENTRY,
				vcpu->run->fail_entry.hardware_exit_reason);
		return;
	}
	/*
	 * Total first: a reader that takes the reasons first sees no more
	 * in them than in the total.
	 */
	stat_add(st, HVX_STAT_EXITS, 1);
	if (basic < HVX_STATS_EXIT_REASONS)
		stat_add(st, HVX_STAT_EXIT_REASON0 + basic, 1);
	trace_hvx_exit(vcpu, exit_reason);
	if (unlikely(exit_reason & VMX_EXIT_REASONS_FAILED_VMENTRY))
		hvx_stats_event(vcpu, HVX_EVENT_FAIL_ENTRY, exit_reason);
}

/**
 * hvx_stats_event() - a vCPU event for the events group
 * @vcpu: the vCPU, its mutex held
 * @event: HVX_EVENT_VCPU_SHUTDOWN, _FAIL_ENTRY or _INTERNAL_ERROR
 * @data: see HVX_ATTR_EVENT_DATA
 */
void hvx_stats_event(struct hvx_vcpu *vcpu, u32 event, u64 data)
{
	if (event == HVX_EVENT_VCPU_SHUTDOWN)
		WRITE_ONCE(vcpu->stats.shutdown, true);
	hvx_nl_event(vcpu->vm, vcpu->id, event, data);
}

/**
 * hvx_stats_vcpu_gone() - keep a closing vCPU's counts in its VM's totals
 * @vcpu: the vCPU, no longer running; vm->lock held
 */
void hvx_stats_vcpu_gone(struct hvx_vcpu *vcpu)
{
	struct hvx_vm *vm = vcpu->vm;
	unsigned int i;

	lockdep_assert_held(&vm->lock);
	for (i = 0; i < HVX_NR_STATS; i++)
		vm->stats_gone.v[i] += vcpu->stats.s.v[i];
}

/**
 * hvx_stats_get() - read one counter
 * @vm: the VM, vm->lock held
 * @vcpu: one of its vCPUs, or NULL for the VM's total (its vCPUs and
 *	  those already closed)
 * @idx: enum hvx_stat_idx
 *
 * Return: the counter's value.
 */
u64 hvx_stats_get(struct hvx_vm *vm, struct hvx_vcpu *vcpu, unsigned int idx)
{
	unsigned int i;
	u64 sum;

	lockdep_assert_held(&vm->lock);
	if (vcpu)
		return READ_ONCE(vcpu->stats.s.v[idx]);
	sum = vm->stats_gone.v[idx];
	for (i = 0; i < HVX_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			sum += READ_ONCE(vm->vcpus[i]->stats.s.v[idx]);
	return sum;
}

/**
 * hvx_stats_vm_state() - what a VM's vCPUs are doing
 * @vm: the VM, vm->lock held
 *
 * Return: enum hvx_vm_state.
 */
u32 hvx_stats_vm_state(struct hvx_vm *vm)
{
	bool ran = vm->stats_gone.v[HVX_STAT_RUNS], shutdown = false;
	struct hvx_vcpu *vcpu;
	unsigned int i;

	lockdep_assert_held(&vm->lock);
	for (i = 0; i < HVX_MAX_VCPUS; i++) {
		vcpu = vm->vcpus[i];
		if (!vcpu)
			continue;
		if (READ_ONCE(vcpu->stats.running))
			return HVX_VM_STATE_RUNNING;
		ran |= READ_ONCE(vcpu->stats.s.v[HVX_STAT_RUNS]) != 0;
		shutdown |= READ_ONCE(vcpu->stats.shutdown);
	}
	if (shutdown)
		return HVX_VM_STATE_SHUTDOWN;
	return ran ? HVX_VM_STATE_STOPPED : HVX_VM_STATE_CREATED;
}
