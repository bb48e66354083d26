// SPDX-License-Identifier: GPL-2.0
/*
 * The vCPU run loop (HVX_RUN).
 *
 * Enter the guest with interrupts disabled after the last look at signals,
 * the work a return to userspace would run, and need_resched; after the
 * exit an NMI that caused it goes to the host's handler, interrupts are
 * enabled again (an external interrupt that caused the exit is taken
 * there, as "acknowledge interrupt on exit" is off), and the exit is
 * handled with preemption enabled: the preempt notifier moves
 * the VMCS along if the thread migrates.  The guest's FPU state is loaded
 * for the whole of HVX_RUN (fpu_swap_kvm_fpstate), so the scheduler saves
 * and restores it like any task's, and the host's never leaks in.
 */
#include <linux/kernel.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/task_work.h>
#include <linux/vtime.h>
#include <asm/fpu/api.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>

#include "mitigate.h"
#include "vcpu.h"
#include "ring.h"
#include "trace.h"
#include "vmx_ops.h"

/**
 * hvx_vmx_update_host_rsp() - called by vmenter.S with its stack pointer
 * @vcpu: the vCPU being entered
 * @rsp: where the VM exit must find the stack
 *
 * The stack depth is the same on every entry from the run loop, so the
 * VMCS is written only the first time (and after an ioctl path changes it).
 * noinstr: it runs after the L1D flush, where a tracer's or a kprobe's
 * code would bring host data back into L1D for the guest to read.
 */
asmlinkage noinstr void hvx_vmx_update_host_rsp(struct hvx_vcpu *vcpu,
						unsigned long rsp)
{
	if (unlikely(rsp != vcpu->host_rsp)) {
		vcpu->host_rsp = rsp;
		hvx_vmwrite(HOST_RSP, rsp);
	}
}

/*
 * Keep HOST_CR3/HOST_CR4 current; the vCPU is loaded, interrupts off.
 * CR3 changes with the process (and with PTI); CR4 bits can be toggled at
 * run time.  Written only when they differ from the last value.
 */
static void update_host_cr(struct hvx_vcpu *vcpu)
{
	unsigned long cr3 = __read_cr3(), cr4 = cr4_read_shadow();

	if (unlikely(cr3 != vcpu->host_cr3)) {
		hvx_vmwrite(HOST_CR3, cr3);
		vcpu->host_cr3 = cr3;
	}
	if (unlikely(cr4 != vcpu->host_cr4)) {
		hvx_vmwrite(HOST_CR4, cr4);
		vcpu->host_cr4 = cr4;
	}
}

/*
 * The guest's DR0-3, for an entry while its DR7 arms a breakpoint: the
 * VMCS switches DR7 but not the address registers, so without them the
 * guest's DR7 would arm the host's addresses.  DR6 is not loaded: the
 * guest reads it through hvx (MOV DR exits), and a #DB that exits leaves
 * the real one alone.
 */
static void load_guest_db(struct hvx_vcpu *vcpu)
{
	/*
	 * Until the entry loads the guest's DR7, the host's is in force: it
	 * must not arm the guest's addresses for the host's own accesses.
	 * The host's comes back after the exit (restore_host_debug()).
	 */
	if (unlikely(hw_breakpoint_active()))
		native_set_debugreg(7, 0);
	native_set_debugreg(0, vcpu->db[0]);
	native_set_debugreg(1, vcpu->db[1]);
	native_set_debugreg(2, vcpu->db[2]);
	native_set_debugreg(3, vcpu->db[3]);
}

/*
 * A VM exit sets DR7 to 0x400 and DEBUGCTL to 0: give the host its
 * breakpoints (ptrace, perf) and its DEBUGCTL (LBR, BTF, bus-lock
 * detection) back.  DR0-3 may hold the guest's; they matter only to a
 * DR7 that arms them, which the host's restore rewrites along with them.
 */
static void restore_host_debug(struct hvx_vcpu *vcpu)
{
	if (unlikely(vcpu->host_debugctl))
		update_debugctlmsr(vcpu->host_debugctl);
	if (unlikely(hw_breakpoint_active()))
		hw_breakpoint_restore();
}

/*
 * PKRU is not switched by VMX and not part of the FPU state swapped for
 * HVX_RUN: a guest with CR4.PKE writes it with WRPKRU without an exit.
 */
static void load_guest_pkru(struct hvx_vcpu *vcpu)
{
	vcpu->host_pkru = rdpkru();
	if (vcpu->pkru != vcpu->host_pkru)
		wrpkru(vcpu->pkru);
}

static void load_host_pkru(struct hvx_vcpu *vcpu)
{
	vcpu->pkru = rdpkru();
	if (vcpu->pkru != vcpu->host_pkru)
		wrpkru(vcpu->host_pkru);
}

/*
 * An NMI or a machine check that caused the exit is consumed: the host's
 * handler must see it before interrupts are enabled again.
 */
static noinstr void exception_irqoff(u32 info)
{
	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_NMI_INTR)
		hvx_vmx_do_nmi_irqoff();
	else if ((info & INTR_INFO_VECTOR_MASK) == X86_TRAP_MC &&
		 (info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_HARD_EXCEPTION)
		hvx_handle_machine_check();
}

/* Finish the exit userspace served, with what it left in the run page. */
static int complete_userspace_exit(struct hvx_vcpu *vcpu)
{
	struct hvx_run *run = vcpu->run;
	enum hvx_pending p = vcpu->pending;
	u64 data;

	vcpu->pending = HVX_PENDING_NONE;
	switch (p) {
	case HVX_PENDING_NONE:
	case HVX_PENDING_SKIP:
		return 1;
	case HVX_PENDING_IO_IN:
		return hvx_complete_io_in(vcpu);
	case HVX_PENDING_MMIO_MOVS:
		return hvx_complete_mmio_movs(vcpu);
	case HVX_PENDING_MMIO_READ:
		return hvx_complete_mmio_read(vcpu);
	case HVX_PENDING_MMIO_SPLIT:
		return hvx_complete_mmio_split(vcpu);
	case HVX_PENDING_RING:
		/* a signal cut the wait short: wait again, same request */
		vcpu->pending = HVX_PENDING_RING;
		return hvx_ring_resume(vcpu);
	case HVX_PENDING_RDMSR:
		if (run->msr.error) {
			hvx_inject_gp(vcpu);
			return 1;
		}
		data = run->msr.data;
		vcpu->regs[HVX_RAX] = (u32)data;
		vcpu->regs[HVX_RDX] = data >> 32;
		break;
	case HVX_PENDING_WRMSR:
		if (run->msr.error) {
			hvx_inject_gp(vcpu);
			return 1;
		}
		break;
	case HVX_PENDING_HYPERCALL:
		vcpu->regs[HVX_RAX] = run->hypercall.ret;
		break;
	}
	hvx_skip_insn_len(vcpu, vcpu->pending_insn_len);
	return 1;
}

/*
 * The VMX-preemption timer ends a run at the APIC timer's next tick
 * (vcpu->timer_tsc, apic.c) or at the end of the time slice, whichever
 * comes first.  Without a tick the VMCS counts the slice down across
 * exits by itself (its value is saved at each exit); with one, the run
 * is "split": the slice's rest is kept in vcpu->slice_left, and what each
 * run used of it is taken off after the exit.  The timer counts one unit
 * per 2^rate TSC cycles, the first one possibly sooner: one unit more
 * than the cycles to the tick makes sure the tick is due at the exit.
 */
static void preemption_timer_arm(struct hvx_vcpu *vcpu)
{
	u64 tsc = vcpu->timer_tsc, now, units;
	u32 v;

	if (likely(tsc == U64_MAX && !vcpu->slice_split))
		return;
	if (!vcpu->slice_split)
		vcpu->slice_left = hvx_vmread32(VMX_PREEMPTION_TIMER_VALUE);
	v = vcpu->slice_left;
	if (tsc != U64_MAX) {
		now = rdtsc();
		units = tsc > now ? ((tsc - now - 1) >>
			vmx_misc_preemption_timer_rate(hvx_vmx.misc)) + 2 : 0;
		v = min_t(u64, v, units);
	}
	vcpu->slice_split = tsc != U64_MAX;
	vcpu->slice_set = v;
	hvx_vmwrite(VMX_PREEMPTION_TIMER_VALUE, v);
}

/* After an exit of a split run: what it used of the slice. */
static void preemption_timer_account(struct hvx_vcpu *vcpu)
{
	u32 used;

	if (likely(!vcpu->slice_split))
		return;
	used = vcpu->slice_set - hvx_vmread32(VMX_PREEMPTION_TIMER_VALUE);
	vcpu->slice_left -= min(used, vcpu->slice_left);
}

/*
 * The guest runs as user mode does, for RCU Tasks and for the CPU time
 * accounts, as under KVM.  RCU Tasks (ftrace and kprobe trampolines, BPF)
 * waits for each task to switch voluntarily or run in user mode: a vCPU
 * thread whose guest runs on would hold every such grace period, and the
 * host's tracing with it, for as long.  The time is the guest's
 * (/proc/<pid>/stat, /proc/stat, cgroups), not system time: with
 * tick-based accounting PF_VCPU stays set until the interrupts the exit
 * left pending are taken (irqs_on_after_exit()), the tick among them;
 * on a nohz_full CPU vtime accounting times the run itself.
 */
static __always_inline void guest_mode_enter(void)
{
	rcu_note_voluntary_context_switch(current);
	vtime_account_guest_enter();
}

static __always_inline void guest_mode_exit_irqoff(void)
{
	if (vtime_accounting_enabled_this_cpu())
		vtime_guest_exit(current);
}

/* VMLAUNCH/VMRESUME failed: the instruction error for userspace. */
static u32 __cold entry_vmfail(struct hvx_vcpu *vcpu)
{
	struct hvx_run *run = vcpu->run;

	run->exit_reason = HVX_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_exit_reason = HVX_FAIL_ENTRY_VMFAIL |
		hvx_vmread32(VM_INSTRUCTION_ERROR);
	run->fail_entry.qualification = 0;
	run->fail_entry.cpu = raw_smp_processor_id();
	run->fail_entry.pad = 0;
	return ~0U;
}

/*
 * The L1D flush, the entry, the exit and the NMI or machine check the
 * exit consumed, in one function neither traced nor probed (noinstr, as
 * all it calls): nothing may run between the flush and VMLAUNCH (it would
 * bring host data back into L1D), and an exception before the NMI is
 * handled (a kprobe's INT3) would unblock NMIs early.  Return: whether
 * the entry failed; if not, the exit reason in *@reason.
 */
static noinstr int vcpu_enter_exit(struct hvx_vcpu *vcpu, u32 *reason)
{
	int fail;

	if (hvx_l1d_flush >= HVX_L1D_FLUSH_COND)
		hvx_mitigate_l1d(vcpu);
	fail = __hvx_vmx_enter(vcpu, vcpu->launched);
	if (likely(!fail)) {
		*reason = hvx_vmread32(VM_EXIT_REASON);
		if (unlikely((u16)*reason == EXIT_REASON_EXCEPTION_NMI))
			exception_irqoff(hvx_vmread32(VM_EXIT_INTR_INFO));
	}
	return fail;
}

/*
 * One entry into the guest and back.  Returns the VM exit reason, or
 * ~0U when VMLAUNCH/VMRESUME failed (the instruction error is in
 * vcpu->run->fail_entry).
 */
static u32 enter_guest(struct hvx_vcpu *vcpu)
{
	unsigned long cr4 = hvx_get_cr4(vcpu);
	bool xcr0 = hvx_xcr0_switched(vcpu, cr4);
	bool pkru = cr4 & X86_CR4_PKE;
	u32 reason;
	int fail;

	update_host_cr(vcpu);
	/*
	 * The host's DEBUGCTL (LBR, BTF, bus-lock detection) as it is now:
	 * perf changes it by IPI, so a value read when the thread came to
	 * this CPU may be stale by the exit.
	 */
	vcpu->host_debugctl = get_debugctlmsr();
	if (static_branch_unlikely(&hvx_perf_switching))
		hvx_perf_switch(vcpu);
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	trace_hvx_entry(vcpu);
	hvx_stats_charge(&vcpu->stats, HVX_STAT_HOST_CYCLES);
	if (unlikely(!vcpu->guest_msrs_loaded))
		hvx_msrs_load_guest(vcpu);
	if (xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	if (pkru)
		load_guest_pkru(vcpu);
	if (unlikely(vcpu->db_armed))
		load_guest_db(vcpu);
	if (native_read_cr2() != vcpu->cr2)
		native_write_cr2(vcpu->cr2);
	preemption_timer_arm(vcpu);
	/*
	 * Last before the entry, as the flush is: guest_mode_enter()
	 * touches the task and, on nohz_full CPUs, the cgroup's time
	 * accounts.  The NMI (or machine check) the exit consumed comes
	 * first after it: NMIs stay blocked until the next IRET, which any
	 * exception in the code below (a host breakpoint
	 * restore_host_debug() arms again) would make early.
	 */
	guest_mode_enter();
	fail = vcpu_enter_exit(vcpu, &reason);
	guest_mode_exit_irqoff();
	vcpu->cr2 = native_read_cr2();
	hvx_mitigate_exit_to_user();
	restore_host_debug(vcpu);
	if (pkru)
		load_host_pkru(vcpu);
	if (xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, hvx_host_xcr0);
	hvx_stats_charge(&vcpu->stats, HVX_STAT_GUEST_CYCLES);
	if (unlikely(fail))
		return entry_vmfail(vcpu);
	preemption_timer_account(vcpu);
	/* A VM entry that failed on guest state leaves the VMCS clear. */
	if (likely(!(reason & VMX_EXIT_REASONS_FAILED_VMENTRY)))
		vcpu->launched = true;
	if (unlikely((u16)reason == EXIT_REASON_MCE_DURING_VMENTRY))
		hvx_handle_machine_check();
	/* counted and traced as it comes, before any exit is served */
	hvx_stats_exit(&vcpu->stats, reason);
	trace_hvx_exit(vcpu, reason);
	return reason;
}

/*
 * user_work_pending() - work the kernel does only on a return to
 * userspace, which a guest that never exits there would hold off for
 * good: task work (the expiry of CPU-time timers among it, with
 * POSIX_CPU_TIMERS_TASK_WORK: ITIMER_PROF, RLIMIT_CPU, timer_create() on a
 * CPU clock) and the memory cgroup's throttling above memory.high.  KVM
 * runs it from its loop through a helper that needs a struct kvm_vcpu;
 * hvx returns to userspace (HVX_EXIT_INTR), whose way out runs it.
 * rseq's notify-resume alone is no reason: userspace does not run before
 * the return anyway, and the flag stays set until then.
 */
static bool user_work_pending(void)
{
	if (!test_thread_flag(TIF_NOTIFY_RESUME))
		return false;
	if (task_work_pending(current))
		return true;
#ifdef CONFIG_MEMCG
	if (current->memcg_nr_pages_over_high)
		return true;
#endif
	return false;
}

/* A signal or user_work_pending(): HVX_RUN returns to userspace. */
static bool user_return_pending(void)
{
	return signal_pending(current) || user_work_pending();
}

/*
 * Whatever may stop an entry, in one load of the thread's flags: the
 * scheduler, a signal, work for the way back to userspace.
 */
#define HVX_ENTRY_WORK	(_TIF_NEED_RESCHED | _TIF_SIGPENDING | \
			 _TIF_NOTIFY_SIGNAL | _TIF_NOTIFY_RESUME)

/*
 * Whether the next entry must wait: the scheduler wants the CPU or
 * HVX_RUN returns to userspace.  One load decides the common case; a
 * flag set is looked at closer (rseq's notify-resume alone, set after
 * every preemption until the thread next returns to userspace, enters).
 */
static __always_inline bool entry_blocked(void)
{
	if (likely(!(read_thread_flags() & HVX_ENTRY_WORK)))
		return false;
	return need_resched() || user_return_pending();
}

/*
 * irqs_off_for_entry() - preemption and interrupts off for the next entry,
 * the last look at what would stop it taken with them off, so that nothing
 * slips in after.
 *
 * Return: 1 with both off; with both on again, 0 when the scheduler wants
 * the CPU (go round), -EINTR for a signal or user_work_pending(), -EIO
 * when VMX is off here.
 */
static int irqs_off_for_entry(struct hvx_vcpu *vcpu)
{
	bool resched, vmx_on;
	int cpu;

	preempt_disable();
	local_irq_disable();
	/*
	 * VMX is off here once the reboot notifier turned it off for good
	 * (hvx_reboot()), or on a CPU on its way offline after hvx's
	 * teardown there, which the scheduler keeps user threads away
	 * from.  VMLAUNCH would fault.
	 */
	vmx_on = this_cpu_read(hvx_vmx_on);
	if (likely(vmx_on && !entry_blocked()))
		return 1;
	resched = need_resched();
	cpu = raw_smp_processor_id();
	local_irq_enable();
	preempt_enable();
	if (user_return_pending()) {
		vcpu->run->exit_reason = HVX_EXIT_INTR;
		return -EINTR;
	}
	if (vmx_on || resched)
		return 0;
	pr_warn_ratelimited("hvx: VMX is off on CPU%d\n", cpu);
	return -EIO;
}

/*
 * The end of irqs_off_for_entry()'s section; the time from here is the
 * host's (guest_mode_enter()).
 */
static void irqs_on_after_exit(struct hvx_vcpu *vcpu)
{
	WRITE_ONCE(vcpu->in_guest, false);
	local_irq_enable();
	current->flags &= ~PF_VCPU;
	preempt_enable();
}

static int run_loop(struct hvx_vcpu *vcpu)
{
	u32 reason;
	int r;

	for (;;) {
		cond_resched();
		r = irqs_off_for_entry(vcpu);
		if (r <= 0) {
			if (!r)
				continue;
			return r;
		}
		/*
		 * Senders set a request, then look at in_guest: one of us
		 * sees the other (apic.c, hvx_vcpu_kick()).
		 */
		WRITE_ONCE(vcpu->in_guest, true);
		/* in_guest before the requests: pairs with hvx_vcpu_kick() */
		smp_mb();
		if (unlikely(hvx_events_queued(vcpu))) {
			r = hvx_inject_events(vcpu);
			if (r <= 0) {
				irqs_on_after_exit(vcpu);
				if (!r)
					return 0;
				r = hvx_vcpu_block(vcpu, false);
				if (r <= 0)
					return r;
				continue;
			}
		}
enter:
		/* what the processor may deliver in this run (apicv.c) */
		if (hvx_vmx.apicv) {
			vcpu->entry_intr_status =
				hvx_vmread16(GUEST_INTR_STATUS);
			if (vcpu->proc2_ctl &
			    SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES)
				hvx_apicv_save_regs(vcpu);
		}
		reason = enter_guest(vcpu);
		if (reason == EXIT_REASON_MSR_WRITE &&
		    hvx_exit_wrmsr_fast(vcpu)) {
			/*
			 * in_guest stays set: a kick from now on sends a
			 * reschedule IPI, which ends the next run at once;
			 * one before it is in the requests looked at here.
			 */
			if (likely(!entry_blocked() &&
				   !hvx_events_queued(vcpu)))
				goto enter;
			irqs_on_after_exit(vcpu);
			continue;
		}
		irqs_on_after_exit(vcpu);

		if (unlikely(reason == ~0U)) {
			hvx_stats_event(vcpu, HVX_EVENT_FAIL_ENTRY,
					vcpu->run->fail_entry.hardware_exit_reason);
			return 0;
		}
		r = hvx_handle_exit(vcpu, reason);
		if (r <= 0)
			return r;
	}
}

/**
 * hvx_vcpu_run() - HVX_RUN
 * @vcpu: the vCPU, its mutex held by the calling thread
 *
 * Return: 0 with vcpu->run->exit_reason telling why; -EINTR when a signal
 * is pending, work waits for the thread's return to userspace
 * (user_work_pending()) or run->immediate_exit is set (exit reason
 * HVX_EXIT_INTR),
 * also while the vCPU waits for a ring completion (the request stays
 * outstanding; the next HVX_RUN waits for it again);
 * another negative errno when guest memory cannot be mapped; -EIO when
 * the thread finds VMX off on its CPU (after the reboot notifier, see
 * irqs_off_for_entry()).
 */
int hvx_vcpu_run(struct hvx_vcpu *vcpu)
{
	struct hvx_run *run = vcpu->run;
	int r;

	hvx_stats_run_begin(vcpu);
	run->exit_reason = HVX_EXIT_NONE;
	hvx_vcpu_run_begin(vcpu);
	r = complete_userspace_exit(vcpu);
	if (unlikely(vcpu->triple_fault))
		r = hvx_exit_raised_triple_fault(vcpu, r);
	if (r <= 0)
		goto out;
	if (READ_ONCE(run->immediate_exit)) {
		run->exit_reason = HVX_EXIT_INTR;
		r = -EINTR;
		goto out;
	}
	fpu_swap_kvm_fpstate(&vcpu->fpu, true);
	r = run_loop(vcpu);
	fpu_swap_kvm_fpstate(&vcpu->fpu, false);
out:
	run->rip = hvx_vmread(GUEST_RIP);
	run->rflags = hvx_vmread(GUEST_RFLAGS);
	run->cr8 = hvx_apic_cr8(vcpu);
	hvx_run_report_events(vcpu);
	/* posts of every vCPU so far are in the ring before we return */
	hvx_ring_sync_point(vcpu->vm);
	hvx_vcpu_run_end(vcpu);
	hvx_stats_run_end(vcpu);
	return r;
}
