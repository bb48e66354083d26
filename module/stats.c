// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU statistics: the hooks the run loop and the exit handlers call, and
 * the readers the netlink family uses (rules in stats.h).
 *
 * Time is counted in TSC cycles, read with RDTSC at each VM entry and
 * exit (stats.h), and turned into nanoseconds only when read: the exit
 * path pays one instruction for it, not a clock read and a scaling.  Host
 * time is everything inside HVX_RUN that is not guest time, including
 * time the thread was preempted; a TSC that steps back across CPUs
 * charges nothing.
 */
#include <linux/kernel.h>
#include <linux/math64.h>
#include <asm/tsc.h>

#include "vcpu.h"
#include "trace.h"

/**
 * hvx_stats_run_begin() - HVX_RUN starts
 * @vcpu: the vCPU, its mutex held
 */
void hvx_stats_run_begin(struct hvx_vcpu *vcpu)
{
	struct hvx_vcpu_stats *st = &vcpu->stats;

	hvx_stat_add(st, HVX_STAT_RUNS, 1);
	st->ts = rdtsc();
	WRITE_ONCE(st->shutdown, false);
	/* the VM runs again: a closed vCPU's triple fault is history */
	if (unlikely(READ_ONCE(vcpu->vm->shutdown_gone)))
		WRITE_ONCE(vcpu->vm->shutdown_gone, false);
	WRITE_ONCE(st->running, true);
}

/**
 * hvx_stats_run_end() - HVX_RUN returns
 * @vcpu: the vCPU, its mutex held
 */
void hvx_stats_run_end(struct hvx_vcpu *vcpu)
{
	hvx_stats_charge(&vcpu->stats, HVX_STAT_HOST_CYCLES);
	WRITE_ONCE(vcpu->stats.running, false);
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
	/* the VM stays shut down when the VMM closes that vCPU */
	if (vcpu->stats.shutdown)
		WRITE_ONCE(vm->shutdown_gone, true);
}

/* The two time counters hold TSC cycles; readers get nanoseconds. */
static u64 stat_value(unsigned int idx, u64 v)
{
	if ((idx == HVX_STAT_GUEST_CYCLES || idx == HVX_STAT_HOST_CYCLES) &&
	    tsc_khz)
		return mul_u64_u32_div(v, NSEC_PER_MSEC, tsc_khz);
	return v;
}

/**
 * hvx_stats_get() - read one counter
 * @vm: the VM, vm->lock held
 * @vcpu: one of its vCPUs, or NULL for the VM's total (its vCPUs and
 *	  those already closed)
 * @idx: enum hvx_stat_idx
 *
 * Return: the counter's value; for the two time counters, nanoseconds.
 */
u64 hvx_stats_get(struct hvx_vm *vm, struct hvx_vcpu *vcpu, unsigned int idx)
{
	unsigned int i;
	u64 sum;

	lockdep_assert_held(&vm->lock);
	if (vcpu)
		return stat_value(idx, READ_ONCE(vcpu->stats.s.v[idx]));
	sum = vm->stats_gone.v[idx];
	for (i = 0; i < HVX_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			sum += READ_ONCE(vm->vcpus[i]->stats.s.v[idx]);
	return stat_value(idx, sum);
}

/**
 * hvx_stats_vm_state() - what a VM's vCPUs are doing
 * @vm: the VM, vm->lock held
 *
 * Return: enum hvx_vm_state.
 */
u32 hvx_stats_vm_state(struct hvx_vm *vm)
{
	bool ran = vm->stats_gone.v[HVX_STAT_RUNS];
	bool shutdown = READ_ONCE(vm->shutdown_gone);
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
