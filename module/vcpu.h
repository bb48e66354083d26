/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vCPU and the VMX core's internal interfaces.
 *
 * Tags as in hvx.h: (c) constant after creation, (v) owned by the thread
 * running the vCPU's ioctl under vcpu->mutex, (p) changed only with
 * preemption disabled on the CPU the vCPU is loaded on.
 */
#ifndef HVX_MODULE_VCPU_H
#define HVX_MODULE_VCPU_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/hrtimer.h>
#include <linux/jump_label.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <asm/fpu/api.h>
#include <asm/msr-index.h>
#include <asm/vmx.h>
#include <asm/processor-flags.h>

#include "hvx.h"
#include "insn_decode.h"
#include "lapic.h"
#include "vmx_ops.h"

/* General-purpose registers in the hardware's encoding order. */
enum hvx_gpr {
	HVX_RAX, HVX_RCX, HVX_RDX, HVX_RBX, HVX_RSP, HVX_RBP, HVX_RSI, HVX_RDI,
	HVX_R8, HVX_R9, HVX_R10, HVX_R11, HVX_R12, HVX_R13, HVX_R14, HVX_R15,
	HVX_NR_GPRS
};

/*
 * VMX-preemption timer ticks (TSC >> IA32_VMX_MISC[4:0]) a guest runs before
 * the run loop looks at signals and rescheduling again, even on a tickless
 * host CPU.
 */
#define HVX_PREEMPTION_TIMER_SLICE	(1U << 20)

/* Fixed and writable bits of DR6 and DR7 (SDM "Debug Registers"). */
#define HVX_DR6_FIXED	0xfffe0ff0UL
#define HVX_DR6_RW	0x0001e00fUL
#define HVX_DR6_TRAPS	0x0000000fUL	/* B0-B3: the breakpoints hit */
#define HVX_DR6_BD	0x00002000UL	/* debug-register access detected */
#define HVX_DR6_RTM	0x00010000UL	/* active low; stays 1 without RTM */
#define HVX_DR6_RESET	0xffff0ff0UL	/* DR6 after RESET and INIT */
#define HVX_DR7_FIXED	0x00000400UL
#define HVX_DR7_RSVD	0x0000d800UL
#define HVX_DR7_ENABLED	0x000000ffUL	/* L0-3, G0-3: breakpoints armed */
#define HVX_DR7_GD	0x00002000UL	/* general detect: MOV DR faults */

/* Requests to a vCPU (vcpu->requests), each followed by a kick. */
enum hvx_request {
	HVX_REQ_EVENT,		/* the local APIC may have an interrupt */
	HVX_REQ_NMI,		/* an NMI arrived at the local APIC */
	HVX_REQ_INIT,		/* INIT: into wait-for-SIPI */
	HVX_REQ_SIPI,		/* SIPI: start at sipi_vector << 12 */
	HVX_REQ_EOI_EXIT,	/* eoi_exits has a vector for userspace */
	HVX_REQ_IRR,		/* with apicv: an edge vector joined the IRR */
};

/* What a vCPU needs from userspace before it resumes the guest. */
enum hvx_pending {
	HVX_PENDING_NONE,
	HVX_PENDING_IO_IN,	/* IN/INS: data from run->io */
	HVX_PENDING_MMIO_READ,	/* load: data from run->mmio */
	HVX_PENDING_MMIO_SPLIT,	/* load from MMIO into RAM: run->mmio's
				 * bytes below vcpu->mmio_part_ram
				 */
	HVX_PENDING_MMIO_MOVS,	/* MOVS from MMIO: data from run->mmio */
	HVX_PENDING_RDMSR,	/* value or error from run->msr */
	HVX_PENDING_WRMSR,	/* error from run->msr */
	HVX_PENDING_HYPERCALL,	/* return value from run->hypercall */
	HVX_PENDING_SKIP,	/* OUT, MMIO write: just step over */
	HVX_PENDING_RING,	/* ring request: HVX_RING_COMPLETE (ring.c) */
};

/* MSRs perf may switch around an entry (perf.c); it names at most 3 */
#define HVX_PERF_MSRS	8

/*
 * struct hvx_vcpu - one virtual CPU.  Each field says what guards it
 * (the tags above); not kernel-doc: the fields are described where they
 * are.
 */
struct hvx_vcpu {
	unsigned long regs[HVX_NR_GPRS];	/* (v) first: vmenter.S */
	unsigned long host_rsp;			/* (v) HOST_RSP as written */

	struct hvx_vm *vm;			/* (c) */
	u32 id;					/* (c) */
	u16 vpid;				/* (c) 0: VPID not used */
	struct mutex mutex;			/* serialises vCPU ioctls */
	struct hvx_run *run;			/* (c) shared with userspace */
	void *vmcs;				/* (c) one page */
	struct rcu_head rcu;			/* frees the struct (vcpu.c) */

	int cpu;				/* (p) VMCS active here; -1 */
	bool launched;				/* (p) VMLAUNCH done */
	struct list_head loaded_link;		/* (p) per-CPU loaded list */
	struct preempt_notifier pn;		/* (v) registered in HVX_RUN */

	/* Host state the VM exit does not restore, saved at load time. */
	bool guest_msrs_loaded;			/* (p) syscall MSRs are guest's */
	u64 host_kernel_gs_base;		/* (p) */
	u16 host_ds_sel, host_es_sel;		/* (p) */
	u16 host_fs_sel, host_gs_sel, host_ldt_sel;	/* (p) */
	u64 host_fs_base;			/* (p) */
	unsigned long host_cr3, host_cr4;	/* (p) VMCS host fields */
	u64 host_debugctl;			/* (v) read at each entry; an exit
						 * clears it
						 */
	u32 host_pkru;				/* (p) while the guest's is in */
	/* (v) perf's counters for the guest and back (perf.c) */
	struct vmx_msr_entry perf_guest[HVX_PERF_MSRS];
	struct vmx_msr_entry perf_host[HVX_PERF_MSRS];
	unsigned int perf_nr;			/* (v) entries the lists use */
	bool l1d_flush_pending;			/* (p) host work since the last
						 * entry (mitigate.c)
						 */

	/* Guest state outside the VMCS. */
	u64 cr2;				/* (v) */
	unsigned long db[4], dr6;		/* (v) DR7 is in the VMCS */
	bool db_armed;				/* (v) guest DR7 enables a
						 * breakpoint: DR0-3 loaded
						 * for each entry
						 */
	u32 pkru;				/* (v) with CR4.PKE */
	u64 xcr0;				/* (v) */
	struct fpu_guest fpu;			/* (v) */
	u64 star, lstar, cstar, sfmask;		/* (v) */
	u64 kernel_gs_base;			/* (v) */
	u64 misc_enable;			/* (v) */
	u64 tsc_adjust;				/* (v) IA32_TSC_ADJUST */

	/* Events for the guest (inject.c) */
	int irq_vector;				/* (v) acknowledged external
						 * interrupt not yet delivered,
						 * or -1
						 */
	int extint_vector;			/* (v) an HVX_INTERRUPT the
						 * guest has not taken (it
						 * waits for LINT0 to pass
						 * ExtINT), or -1
						 */
	bool nmi_pending;			/* (v) the NMI latch */
	bool nmi_injected;			/* (v) an NMI whose delivery an
						 * exit cut short: it goes
						 * before the latched one
						 */
	u8 mp_state;				/* (v) uapi HVX_MP_ value; a
						 * halted or INIT vCPU sleeps
						 * in HVX_RUN
						 */
	u32 proc_ctl;				/* (v) CPU_BASED_VM_EXEC_CONTROL
						 * as written: window exiting
						 */
	u32 proc2_ctl;				/* (v) SECONDARY_VM_EXEC_CONTROL
						 * as written: x2APIC
						 * virtualization (apicv.c)
						 */
	u64 eoi_exit_bitmap[4];			/* (v) EOI_EXIT_BITMAP0-3 as
						 * written (apicv.c)
						 */
	bool event_injected;			/* (v) an interrupt or NMI went
						 * into the last entry
						 */
	u16 entry_intr_status;			/* (v) SVI and RVI at the last
						 * entry, with APIC
						 * virtualization (apicv.c)
						 */
	/* (v) registers at the last entry with APIC-access virtualization */
	u32 apicv_old[HVX_LAPIC_REGS_SIZE / 16];	/* by offset / 16 */
	wait_queue_head_t wq;			/* a halted vCPU sleeps here */
	unsigned int halt_poll_ns;		/* (v) how long its next halt
						 * polls (inject.c)
						 */
	unsigned long requests;			/* enum hvx_request bits, atomic:
						 * set by anyone, then a kick
						 */
	bool in_guest;				/* (v) between the last look at
						 * @requests and the exit
						 */
	u8 sipi_vector;				/* the last SIPI's vector */

	/*
	 * The local APIC (apic.c, lapic.c).  Its register page is the
	 * virtual-APIC page of APIC virtualization (apicv.c): page-aligned,
	 * so the vCPU is allocated in whole pages.
	 */
	spinlock_t apic_lock;			/* guards apic; irqsave */
	struct hvx_lapic apic;
	struct hrtimer apic_timer;		/* the APIC timer's next tick
						 * while the vCPU sleeps, or
						 * always without timer_vmx
						 */
	/*
	 * The APIC timer on the VMX-preemption timer while the vCPU runs
	 * (apic.c, run.c): no host interrupt, no hrtimer.  All (v).
	 */
	u64 timer_tsc;				/* host TSC of its next tick;
						 * U64_MAX: none, or the
						 * hrtimer serves it
						 */
	bool timer_asleep;			/* the vCPU sleeps (HLT, wait
						 * for SIPI) and handed its
						 * tick to the hrtimer
						 */
	bool slice_split;			/* the last entry programmed a
						 * tick, not the slice
						 */
	u32 slice_left;				/* preemption-timer units of
						 * the slice, while split
						 */
	u32 slice_set;				/* the value the last entry
						 * programmed, while split
						 */
	DECLARE_BITMAP(apicv_level, 256);	/* atomic: level-triggered
						 * vectors accepted but not
						 * yet in the IRR (apic.c)
						 */
	DECLARE_BITMAP(eoi_exits, 256);		/* (v) level-triggered vectors
						 * the guest EOIed, not yet
						 * reported (HVX_EXIT_EOI)
						 */

	/* The exit being served by userspace. */
	enum hvx_pending pending;		/* (v) */
	u8 pending_reg;				/* (v) destination GPR */
	u8 pending_insn_len;			/* (v) bytes to step over */
	u32 pending_op;				/* (v) INS: REP, address size */
	u8 pending_size;			/* (v) I/O access size */
	u64 pending_count;			/* (v) INS repetitions, or 0 */
	u64 pending_gva;			/* (v) INS destination */
	u32 exit_vect;				/* (v) IDT-vectoring information
						 * of the exit being handled
						 */
	bool triple_fault;			/* (v) an injection during #DF:
						 * the exit ends in shutdown
						 */
	struct hvx_insn mmio_insn;		/* (v) the last MMIO instruction
						 * decoded, the pending load's
						 */
	u8 mmio_bytes[HVX_INSN_MAX_LEN];	/* (v) the bytes it was decoded
						 * from
						 */
	u64 mmio_gfn;				/* (v) a page outside every slot
						 * as of vm->slots_gen ==
						 * mmio_gen, or ~0
						 */
	u64 mmio_gen;				/* (v) */
	u8 mmio_mode;				/* (v) its code size, 0: none */
	u8 ring_op;				/* (v) enum hvx_ring_op */
	u8 mmio_part_len;			/* (v) HVX_PENDING_MMIO_SPLIT:
						 * the bytes of the MMIO part
						 */
	u64 mmio_part_ram;			/* (v) the RAM part, in place */

	unsigned int cpuid_nent;		/* (v) */
	struct hvx_cpuid_entry cpuid[HVX_MAX_CPUID_ENTRIES];	/* (v) */
	unsigned long cr4_hidden;		/* (v) CR4 bits CPUID hides */
	u64 efer_hidden;			/* (v) EFER bits CPUID hides */

	struct hvx_vcpu_stats stats;		/* (v) stats.h: lock-free reads */
};

static_assert(offsetof(struct hvx_vcpu, regs) == 0);

/*
 * An address a descriptor-table register or an MSR (FS/GS base, LSTAR,
 * SYSENTER) may hold: canonical to the processor's linear-address width,
 * 57 bits where it has 5-level paging, whatever the guest's CR4.LA57: a
 * guest's WRMSR and WRFSBASE are checked so, and VM entry too.
 */
static inline bool hvx_addr_canonical(u64 addr)
{
	return __is_canonical_address(addr, boot_cpu_data.x86_virt_bits);
}

/* The part of RCX/RSI/RDI a string instruction of address size @asize uses. */
static inline u64 hvx_asize_mask(unsigned int asize)
{
	return asize == 8 ? ~0ULL : (1ULL << (asize * 8)) - 1;
}

/*
 * Set a string instruction's register: a 16-bit address size replaces the
 * low 16 bits only, a 32-bit one zero-extends, as the processor does.
 */
static inline void hvx_string_reg_set(struct hvx_vcpu *vcpu, unsigned int reg,
				      u64 val, unsigned int asize)
{
	if (asize == 2)
		vcpu->regs[reg] = (vcpu->regs[reg] & ~0xffffUL) | (val & 0xffff);
	else
		vcpu->regs[reg] = val & hvx_asize_mask(asize);
}

long hvx_string_fault(struct hvx_vcpu *vcpu, u64 gva, unsigned int size,
		      u64 n, bool write);
int hvx_guest_copy(struct hvx_vcpu *vcpu, u64 gva, void *buf,
		   unsigned int len, bool write);

/* vmx_cpu.c: VMX operation on the host CPUs */
DECLARE_PER_CPU(bool, hvx_vmx_on);	/* VMXON done on this CPU */
int hvx_vmx_get(void);
void hvx_vmx_put(void);
int hvx_vpid_alloc(void);
void hvx_vpid_free(int vpid);
void hvx_vcpu_load(struct hvx_vcpu *vcpu);
void hvx_vcpu_put(struct hvx_vcpu *vcpu);
void hvx_vcpu_clear(struct hvx_vcpu *vcpu);
void hvx_vcpu_run_begin(struct hvx_vcpu *vcpu);
void hvx_vcpu_run_end(struct hvx_vcpu *vcpu);
int hvx_vmx_module_init(void);
void hvx_vmx_module_exit(void);

/* vmcs.c: VMCS contents */
int hvx_vmcs_setup(struct hvx_vcpu *vcpu);
void hvx_vmcs_set_host_percpu(struct hvx_vcpu *vcpu);
void hvx_vmcs_reset_guest(struct hvx_vcpu *vcpu);

/* vmenter.S */
int __hvx_vmx_enter(struct hvx_vcpu *vcpu, unsigned long launched);
void hvx_vmx_do_nmi_irqoff(void);
asmlinkage void hvx_vmx_update_host_rsp(struct hvx_vcpu *vcpu,
					unsigned long rsp);
extern const char __hvx_vmx_exit[];

/* regs.c: register access for exit handlers and ioctls */
void hvx_skip_insn(struct hvx_vcpu *vcpu);
void hvx_inject_exception(struct hvx_vcpu *vcpu, u8 vector, bool has_ec,
			  u32 ec);
void hvx_inject_ud(struct hvx_vcpu *vcpu);
void hvx_inject_gp(struct hvx_vcpu *vcpu);
unsigned int hvx_guest_cpl(struct hvx_vcpu *vcpu);
int hvx_get_regs(struct hvx_vcpu *vcpu, struct hvx_regs *regs);
int hvx_set_regs(struct hvx_vcpu *vcpu, const struct hvx_regs *regs);
int hvx_get_sregs(struct hvx_vcpu *vcpu, struct hvx_sregs *sregs);
int hvx_set_sregs(struct hvx_vcpu *vcpu, const struct hvx_sregs *sregs);

/* vcpu_state.c: the vCPU's state outside its registers, for snapshots */
long hvx_vcpu_state_ioctl(struct hvx_vcpu *vcpu, unsigned int cmd,
			  void __user *argp);
void hvx_set_dr6(struct hvx_vcpu *vcpu, unsigned long val);
void hvx_set_dr7(struct hvx_vcpu *vcpu, unsigned long val);
void hvx_db_clears_gd(struct hvx_vcpu *vcpu);

/* cr.c: control registers, EFER and XCR0 */
bool hvx_pae_paging(struct hvx_vcpu *vcpu);
int hvx_set_pdptes(struct hvx_vcpu *vcpu, const u64 *pdpte);
int hvx_set_cr_all(struct hvx_vcpu *vcpu, unsigned long cr0,
		   unsigned long cr4, u64 efer);
int hvx_set_cr0(struct hvx_vcpu *vcpu, unsigned long cr0);
int hvx_set_cr4(struct hvx_vcpu *vcpu, unsigned long cr4);
int hvx_set_efer(struct hvx_vcpu *vcpu, u64 efer);
int hvx_set_cr3(struct hvx_vcpu *vcpu, unsigned long cr3);
int hvx_exit_cr_access(struct hvx_vcpu *vcpu);
int hvx_exit_xsetbv(struct hvx_vcpu *vcpu);
bool hvx_xcr0_valid(struct hvx_vcpu *vcpu, u64 v);
u64 hvx_guest_xfeatures(void);
extern u64 hvx_host_xcr0;

/*
 * The guest's view of CR0 and CR4: the read shadows hold them as the guest
 * last wrote them (cr.c).  Inline, as the exit paths read them often.
 * The vCPU must be loaded.
 */
static inline unsigned long hvx_get_cr0(struct hvx_vcpu *vcpu)
{
	return hvx_vmread(CR0_READ_SHADOW);
}

static inline unsigned long hvx_get_cr4(struct hvx_vcpu *vcpu)
{
	return hvx_vmread(CR4_READ_SHADOW);
}

/*
 * Whether the guest runs with an XCR0 of its own: the run loop loads it
 * right before VM entry and the host's right after the exit.  Guest XCR0
 * changes only by XSETBV and CR4 only by MOV to CR4, both of which exit,
 * so one answer holds for both sides of an entry.  @cr4: the guest's.
 */
static inline bool hvx_xcr0_switched(struct hvx_vcpu *vcpu,
				     unsigned long cr4)
{
	return (cr4 & X86_CR4_OSXSAVE) &&
	       vcpu->xcr0 != hvx_host_xcr0;
}

/*
 * Register access for the exit handlers, inline as they sit on the hot
 * exit paths.  The vCPU must be loaded: RSP lives in the VMCS.
 */

/**
 * hvx_gpr_read() - read a general-purpose register
 * @vcpu: the vCPU, loaded
 * @reg: enum hvx_gpr
 *
 * Return: the register (RSP from the VMCS).
 */
static inline unsigned long hvx_gpr_read(struct hvx_vcpu *vcpu,
					 unsigned int reg)
{
	if (reg == HVX_RSP)
		return hvx_vmread(GUEST_RSP);
	return vcpu->regs[reg];
}

/**
 * hvx_gpr_write() - write a general-purpose register
 * @vcpu: the vCPU, loaded
 * @reg: enum hvx_gpr
 * @val: the value
 */
static inline void hvx_gpr_write(struct hvx_vcpu *vcpu, unsigned int reg,
				 unsigned long val)
{
	if (reg == HVX_RSP)
		hvx_vmwrite(GUEST_RSP, val);
	else
		vcpu->regs[reg] = val;
}

void hvx_single_step_trap(struct hvx_vcpu *vcpu);

/**
 * hvx_skip_insn_len() - step over an emulated instruction
 * @vcpu: the vCPU, loaded
 * @len: its length in bytes
 *
 * Also ends STI/MOV SS blocking, clears RFLAGS.RF and raises the
 * single-step trap of a guest that runs with RFLAGS.TF, as completing
 * the instruction would.  (An exit for an EPT violation or an APIC
 * access saves RF set, for the instruction to run again; an emulated one
 * does not, and an instruction breakpoint on the next must fire.)
 */
static inline void hvx_skip_insn_len(struct hvx_vcpu *vcpu, unsigned int len)
{
	u32 intr = hvx_vmread32(GUEST_INTERRUPTIBILITY_INFO);
	unsigned long rip = hvx_vmread(GUEST_RIP) + len;
	unsigned long rflags = hvx_vmread(GUEST_RFLAGS);

	if (rflags & X86_EFLAGS_RF)
		hvx_vmwrite(GUEST_RFLAGS, rflags & ~X86_EFLAGS_RF);
	if (unlikely(rflags & X86_EFLAGS_TF))
		hvx_single_step_trap(vcpu);
	if (!(hvx_vmread(GUEST_CS_AR_BYTES) & HVX_AR_L))
		rip = (u32)rip;
	hvx_vmwrite(GUEST_RIP, rip);
	if (intr & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS))
		hvx_vmwrite(GUEST_INTERRUPTIBILITY_INFO,
			    intr & ~(GUEST_INTR_STATE_STI |
				     GUEST_INTR_STATE_MOV_SS));
}

/**
 * hvx_guest_mode() - the guest's code size
 * @vcpu: the vCPU, loaded
 *
 * Return: 8 in 64-bit mode, 4 for a 32-bit code segment, 2 for 16-bit
 * (real mode included), as the instruction decoder wants it.
 */
static inline unsigned int hvx_guest_mode(struct hvx_vcpu *vcpu)
{
	u32 ar = hvx_vmread32(GUEST_CS_AR_BYTES);

	if (!(hvx_get_cr0(vcpu) & X86_CR0_PE))
		return 2;
	if ((hvx_vmread(GUEST_IA32_EFER) & EFER_LMA) && (ar & HVX_AR_L))
		return 8;
	return (ar & HVX_AR_DB) ? 4 : 2;
}

/**
 * hvx_get_paging() - the state a guest linear-address walk needs
 * @vcpu: the vCPU, loaded
 * @pg: filled in
 */
static inline void hvx_get_paging(struct hvx_vcpu *vcpu,
				  struct hvx_paging *pg)
{
	int i;

	pg->cr0 = hvx_get_cr0(vcpu);
	pg->cr3 = hvx_vmread(GUEST_CR3);
	pg->cr4 = hvx_get_cr4(vcpu);
	pg->efer = hvx_vmread(GUEST_IA32_EFER);
	/* only SMAP asks, and only then is RFLAGS worth a VMREAD */
	pg->ac = (pg->cr4 & X86_CR4_SMAP) &&
		 (hvx_vmread(GUEST_RFLAGS) & X86_EFLAGS_AC);
	/* with EPT, VM exits store PAE paging's PDPTEs in the VMCS */
	if ((pg->cr0 & X86_CR0_PG) && (pg->cr4 & X86_CR4_PAE) &&
	    !(pg->efer & EFER_LMA))
		for (i = 0; i < 4; i++)
			pg->pdpte[i] = hvx_vmread(GUEST_PDPTR0 + 2 * i);
}

/**
 * hvx_fetch_insn() - the bytes of the instruction at CS:RIP
 * @vcpu: the vCPU, loaded
 * @mode: hvx_guest_mode(), which the caller has at hand
 * @buf: HVX_INSN_MAX_LEN bytes
 * @len: how many could be read
 * @all: as hvx_fetch_gva()'s
 *
 * The instruction may end before a page the guest cannot read, so fewer
 * than HVX_INSN_MAX_LEN bytes are fine.
 *
 * Return: 0, -EFAULT when not even one byte is readable, or -EINTR as
 * hvx_read_gpa() (*@len 0).
 */
static inline int hvx_fetch_insn(struct hvx_vcpu *vcpu, unsigned int mode,
				 u8 *buf, unsigned int *len, bool all)
{
	u64 rip = hvx_vmread(GUEST_RIP);
	struct hvx_paging pg;
	int n;

	/* 64-bit mode ignores the CS base, whatever the VMCS holds */
	if (mode != 8)
		rip = (u32)(hvx_vmread(GUEST_CS_BASE) + rip);
	hvx_get_paging(vcpu, &pg);
	n = hvx_fetch_gva(vcpu->vm, &pg, rip, buf, hvx_guest_cpl(vcpu) == 3,
			  all);
	if (n < 0) {
		*len = 0;
		return n;
	}
	*len = n;
	return n ? 0 : -EFAULT;
}

/**
 * hvx_exit_intr() - back to userspace for a signal, the instruction undone
 * @vcpu: the vCPU
 *
 * Return: -EINTR, exit reason HVX_EXIT_INTR: the guest runs the
 * instruction again at the next HVX_RUN.
 */
static inline int hvx_exit_intr(struct hvx_vcpu *vcpu)
{
	vcpu->run->exit_reason = HVX_EXIT_INTR;
	return -EINTR;
}

/* msr.c: guest MSRs */
int hvx_msr_get(struct hvx_vcpu *vcpu, u32 index, u64 *data);
int hvx_msr_set(struct hvx_vcpu *vcpu, u32 index, u64 data, bool host);
void hvx_msr_bitmap_init(unsigned long *bitmap);
void hvx_msrs_load_guest(struct hvx_vcpu *vcpu);
void hvx_msrs_load_host(struct hvx_vcpu *vcpu);
int hvx_exit_rdmsr(struct hvx_vcpu *vcpu);
int hvx_exit_wrmsr(struct hvx_vcpu *vcpu);
bool hvx_exit_wrmsr_fast(struct hvx_vcpu *vcpu);
void hvx_msr_init_host(void);

/* cpuid.c */
void hvx_cpuid_init_vcpu(struct hvx_vcpu *vcpu);
int hvx_get_cpuid(struct hvx_vcpu *vcpu, struct hvx_cpuid __user *uc);
int hvx_set_cpuid(struct hvx_vcpu *vcpu, struct hvx_cpuid __user *uc);
int hvx_exit_cpuid(struct hvx_vcpu *vcpu);
const struct hvx_cpuid_entry *hvx_cpuid_find(struct hvx_vcpu *vcpu,
					     u32 function, u32 index);

/* inject.c */

/*
 * Whether the next entry needs hvx_inject_events(): an event queued or
 * requested, a vCPU not runnable, a window being watched, or userspace
 * waiting for one.  Inline, as the run loop asks before every entry.
 */
static inline bool hvx_events_queued(struct hvx_vcpu *vcpu)
{
	return vcpu->irq_vector >= 0 || vcpu->extint_vector >= 0 ||
	       vcpu->nmi_pending ||
	       vcpu->nmi_injected ||
	       READ_ONCE(vcpu->requests) || vcpu->mp_state ||
	       (vcpu->proc_ctl & (CPU_BASED_INTR_WINDOW_EXITING |
				  CPU_BASED_NMI_WINDOW_EXITING)) ||
	       READ_ONCE(vcpu->run->request_interrupt_window);
}

int hvx_inject_events(struct hvx_vcpu *vcpu);
int hvx_exit_window(struct hvx_vcpu *vcpu);
void hvx_reblock_nmi(struct hvx_vcpu *vcpu);
void hvx_requeue_event(struct hvx_vcpu *vcpu, u32 vect);
int hvx_vcpu_block(struct hvx_vcpu *vcpu, bool hlt);
int hvx_set_interrupt(struct hvx_vcpu *vcpu, const struct hvx_interrupt *irq);
void hvx_set_nmi(struct hvx_vcpu *vcpu);
int hvx_set_mp_state(struct hvx_vcpu *vcpu, const struct hvx_mp_state *mp);
void hvx_run_report_events(struct hvx_vcpu *vcpu);

/* apic.c */

/*
 * Whether @gpa lies in the vCPU's xAPIC page.  Inline: the MMIO path asks
 * on every load and store before the ring and userspace.
 */
static inline bool hvx_apic_page(struct hvx_vcpu *vcpu, u64 gpa)
{
	return (gpa & PAGE_MASK) ==
	       (READ_ONCE(vcpu->apic.apic_base) & HVX_APIC_BASE_ADDR_MASK);
}

void hvx_apic_init(struct hvx_vcpu *vcpu);
void hvx_apic_destroy(struct hvx_vcpu *vcpu);
void hvx_apic_timer_init(struct hvx_vcpu *vcpu);
bool hvx_apic_timer_on_vmx(const struct hvx_vcpu *vcpu);
u64 hvx_clock_pair(u64 *tsc);
u64 hvx_timer_host_tsc(u64 next, u64 now, u64 tsc);
void hvx_apic_timer_update(struct hvx_vcpu *vcpu);
void hvx_apic_timer_sleep(struct hvx_vcpu *vcpu);
void hvx_apic_timer_wake(struct hvx_vcpu *vcpu);
void hvx_apic_timer_due(struct hvx_vcpu *vcpu);
void hvx_vcpu_kick(struct hvx_vcpu *vcpu, unsigned int req);
int hvx_apic_route(struct hvx_vm *vm, struct hvx_vcpu *src,
		   const struct hvx_lapic_irq *irq);
bool hvx_apic_mmio(struct hvx_vcpu *vcpu, u64 gpa, unsigned int size,
		   bool write, u64 *val);
void hvx_apic_tsc_moved(struct hvx_vcpu *vcpu);
int hvx_apic_msr(struct hvx_vcpu *vcpu, u32 index, bool write, u64 *data,
		 bool host);
u64 hvx_apic_cr8(struct hvx_vcpu *vcpu);
void hvx_apic_set_cr8(struct hvx_vcpu *vcpu, u64 cr8);
int hvx_apic_take(struct hvx_vcpu *vcpu, bool ack);
bool hvx_apic_eoi_exit(struct hvx_vcpu *vcpu);
void hvx_apic_get_state(struct hvx_vcpu *vcpu, struct hvx_lapic_state *s);
int hvx_apic_set_state(struct hvx_vcpu *vcpu, const struct hvx_lapic_state *s);
int hvx_exit_eoi_induced(struct hvx_vcpu *vcpu);
int hvx_exit_apic_write(struct hvx_vcpu *vcpu);

/* How APIC virtualization serves the APIC in its current mode (apicv.c). */
enum hvx_apicv_mode {
	HVX_APICV_TRAP,		/* disabled, or xAPIC away from the default
				 * base: every access exits
				 */
	HVX_APICV_XAPIC_PAGE,	/* xAPIC at 0xfee00000: APIC-access page */
	HVX_APICV_X2APIC_MSRS,	/* x2APIC: MSR virtualization */
};

enum hvx_apicv_mode hvx_apic_mode(struct hvx_vcpu *vcpu);
u16 hvx_apic_vid_state(struct hvx_vcpu *vcpu, u64 tmr[4],
		       enum hvx_apicv_mode *mode);

/* perf.c */
DECLARE_STATIC_KEY_FALSE(hvx_perf_switching);
void hvx_perf_init(void);
int hvx_perf_vmcs_init(struct hvx_vcpu *vcpu);
void hvx_perf_switch(struct hvx_vcpu *vcpu);

/* apicv.c */
void hvx_apicv_msr_bitmap_init(unsigned long *bitmap);
int hvx_apicv_vmcs_init(struct hvx_vcpu *vcpu);
void hvx_apicv_sync(struct hvx_vcpu *vcpu);
void hvx_apicv_sync_irr(struct hvx_vcpu *vcpu);
void hvx_apicv_save_regs(struct hvx_vcpu *vcpu);
void hvx_apicv_base_changed(struct hvx_vcpu *vcpu);
int hvx_apicv_map_access_page(struct hvx_vcpu *vcpu, u64 gpa);
int hvx_exit_apic_access(struct hvx_vcpu *vcpu);
u32 hvx_apicv_vectoring(struct hvx_vcpu *vcpu, u32 vect, bool injected);
int hvx_signal_msi(struct hvx_vm *vm, const struct hvx_msi __user *um);

/* exception.c */
extern const u32 hvx_exception_bitmap;
void hvx_handle_machine_check(void);
int hvx_exit_exception_nmi(struct hvx_vcpu *vcpu);

/* exit.c, exit_io.c, exit_mmio.c */
int hvx_handle_exit(struct hvx_vcpu *vcpu, u32 exit_reason);
int hvx_exit_raised_triple_fault(struct hvx_vcpu *vcpu, int r);
int hvx_exit_io(struct hvx_vcpu *vcpu);
int hvx_exit_ept_violation(struct hvx_vcpu *vcpu);
int hvx_exit_ept_misconfig(struct hvx_vcpu *vcpu);
int hvx_complete_io_in(struct hvx_vcpu *vcpu);
int hvx_complete_mmio_read(struct hvx_vcpu *vcpu);
int hvx_complete_mmio_split(struct hvx_vcpu *vcpu);
void hvx_mmio_exit(struct hvx_run *run, u64 gpa, unsigned int size,
		   bool write, u64 val);
int hvx_mmio_string(struct hvx_vcpu *vcpu, const u8 *bytes, u64 gpa,
		    bool write);

/* An access of @size bytes at @gpa, in MMIO, runs into the next page. */
static inline bool hvx_mmio_straddles(u64 gpa, unsigned int size)
{
	return (gpa & ~PAGE_MASK) + size > PAGE_SIZE;
}
int hvx_complete_mmio_movs(struct hvx_vcpu *vcpu);
int hvx_complete_io_in_data(struct hvx_vcpu *vcpu, const void *data);
int hvx_complete_mmio_data(struct hvx_vcpu *vcpu, u64 data);
int hvx_exit_internal(struct hvx_vcpu *vcpu, u32 suberror, u64 gpa,
		      bool with_insn);
int hvx_exit_unemulated(struct hvx_vcpu *vcpu, u64 gpa, bool with_insn);

/* run.c */
int hvx_vcpu_run(struct hvx_vcpu *vcpu);

/* vm.c, vcpu.c */
int hvx_vm_create(void);
int hvx_vcpu_create(struct hvx_vm *vm, unsigned long id);
void hvx_vm_put(struct hvx_vm *vm);

#endif /* HVX_MODULE_VCPU_H */
