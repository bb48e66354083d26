/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-vCPU statistics and the generic netlink family that reports them.
 *
 * Counters are plain u64s in the vCPU, written only by the thread running
 * the vCPU's HVX_RUN (with WRITE_ONCE, so each store is one 64-bit store)
 * and read by the netlink handlers with READ_ONCE under vm->lock, which
 * keeps the vCPU alive.  A reader may see one counter a step ahead of
 * another, never a torn value.  The exit path takes no lock.
 */
#ifndef HVX_MODULE_STATS_H
#define HVX_MODULE_STATS_H

#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/msr.h>

struct hvx_vm;
struct hvx_vcpu;

/* Basic exit reasons counted one by one; higher ones only in the total. */
#define HVX_STATS_EXIT_REASONS	128

/* Indices into struct hvx_stats. */
enum hvx_stat_idx {
	HVX_STAT_EXITS,			/* VM exits, every reason */
	HVX_STAT_RING_POSTED,		/* exits posted to the exit ring */
	HVX_STAT_RING_FALLBACK,		/* ring full: synchronous exit */
	HVX_STAT_GUEST_CYCLES,		/* VM entry to VM exit, in TSC
					 * cycles (nanoseconds to readers)
					 */
	HVX_STAT_HOST_CYCLES,		/* in HVX_RUN, outside the guest */
	HVX_STAT_RUNS,			/* HVX_RUN calls */
	HVX_STAT_L1D_FLUSHES,		/* L1D flushes before VM entry */
	HVX_STAT_IRQS_INJECTED,		/* external interrupts delivered */
	HVX_STAT_NMIS_INJECTED,		/* NMIs delivered */
	HVX_STAT_HALTS,			/* HLTs that slept in the kernel */
	HVX_STAT_IPIS_SENT,		/* IPIs the guest sent (ICR) */
	HVX_STAT_HALT_POLL_OK,		/* halts a poll ended (inject.c) */
	HVX_STAT_HALT_POLL_FAIL,	/* polls that ended in a sleep */
	HVX_STAT_TIMER_VMX,		/* APIC timer ticks the preemption
					 * timer delivered (apic.c)
					 */
	HVX_STAT_EXIT_REASON0,		/* first of the per-reason counts */
	HVX_NR_STATS = HVX_STAT_EXIT_REASON0 + HVX_STATS_EXIT_REASONS,
};

/**
 * struct hvx_stats - one set of counters
 * @v: the counters, by enum hvx_stat_idx
 */
struct hvx_stats {
	u64 v[HVX_NR_STATS];
};

/**
 * struct hvx_vcpu_stats - the statistics of one vCPU
 * @s:		the counters
 * @ts:		the TSC at the last switch between host and guest time
 *		(valid while @running)
 * @running:	the vCPU's thread is inside HVX_RUN
 * @shutdown:	the last HVX_RUN ended in a triple fault
 *
 * Written only by the thread running the vCPU (vcpu->mutex held).
 */
struct hvx_vcpu_stats {
	struct hvx_stats s;
	u64 ts;
	bool running;
	bool shutdown;
};

/* One store, so that a reader never sees a torn value. */
static inline void hvx_stat_add(struct hvx_vcpu_stats *st, unsigned int idx,
				u64 n)
{
	WRITE_ONCE(st->s.v[idx], st->s.v[idx] + n);
}

/*
 * Charge the cycles since the last switch to @idx (HVX_STAT_GUEST_CYCLES
 * or HVX_STAT_HOST_CYCLES).  Inline: the run loop calls it on both sides
 * of every VM entry.
 */
static inline void hvx_stats_charge(struct hvx_vcpu_stats *st,
				    unsigned int idx)
{
	u64 now = rdtsc();

	if (now > st->ts)
		hvx_stat_add(st, idx, now - st->ts);
	st->ts = now;
}

/*
 * Count one VM exit (a VM exit, not a VMLAUNCH/VMRESUME that failed).
 * Total first: a reader that takes the reasons first sees no more in them
 * than in the total.
 */
static inline void hvx_stats_exit(struct hvx_vcpu_stats *st, u32 exit_reason)
{
	u16 basic = exit_reason;

	hvx_stat_add(st, HVX_STAT_EXITS, 1);
	if (basic < HVX_STATS_EXIT_REASONS)
		hvx_stat_add(st, HVX_STAT_EXIT_REASON0 + basic, 1);
}

/* stats.c: hooks of the run loop and the exit handlers */
void hvx_stats_run_begin(struct hvx_vcpu *vcpu);
void hvx_stats_run_end(struct hvx_vcpu *vcpu);
void hvx_stats_event(struct hvx_vcpu *vcpu, u32 event, u64 data);
void hvx_stats_vcpu_gone(struct hvx_vcpu *vcpu);

/* stats.c: readers, vm->lock held */
u64 hvx_stats_get(struct hvx_vm *vm, struct hvx_vcpu *vcpu,
		  unsigned int idx);
u32 hvx_stats_vm_state(struct hvx_vm *vm);

/* netlink.c */
int hvx_nl_init(void);
void hvx_nl_exit(void);
void hvx_nl_event(struct hvx_vm *vm, int vcpu_id, u32 event, u64 data);

#endif /* HVX_MODULE_STATS_H */
