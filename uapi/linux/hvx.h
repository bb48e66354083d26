/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * hvx: a small type-2 hypervisor for Linux on Intel VT-x.
 *
 * The one ABI header shared by hvx.ko and its userspace.  Every structure
 * has fixed-width fields, explicit padding and a size checked at compile
 * time; fields are marked in (userspace to hvx) or out (hvx to userspace).
 * Documentation/api.rst describes each ioctl.
 */
#ifndef _UAPI_LINUX_HVX_H
#define _UAPI_LINUX_HVX_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define HVX_API_VERSION		1
#define HVX_DEVICE_NAME		"hvx"

/*
 * ioctl-number.rst lists 0xB8 for mshv.h and mrvl_cn10k_dpi.h too; hvx's
 * commands go to its own files only (/dev/hvx, VM, vCPU and ring files).
 */
#define HVXIO			0xB8

#define HVX_PAGE_SIZE		4096

#define HVX_MAX_VCPUS		64
#define HVX_MAX_MEM_SLOTS	32
/* The most guest-physical memory, all slots of a VM together. */
#define HVX_MAX_VM_MEM_SIZE	(256ULL << 30)
#define HVX_MAX_CPUID_ENTRIES	64
#define HVX_MAX_MSR_ENTRIES	64

/*
 * VMX features of the host CPU, in hvx_caps.vmx_features.  Each bit is set
 * when the CPU allows the control to be set (or, for EPT and VPID
 * capabilities, reports it in IA32_VMX_EPT_VPID_CAP).  The names in the
 * comments are the ones /proc/cpuinfo prints on its "vmx flags" line.
 */
#define HVX_VMX_EPT			(1ULL << 0)	/* ept */
#define HVX_VMX_UNRESTRICTED_GUEST	(1ULL << 1)	/* unrestricted_guest */
#define HVX_VMX_VPID			(1ULL << 2)	/* vpid */
#define HVX_VMX_PREEMPTION_TIMER	(1ULL << 3)	/* preemption_timer */
#define HVX_VMX_INVVPID			(1ULL << 4)	/* invvpid */
#define HVX_VMX_EPT_X_ONLY		(1ULL << 5)	/* ept_x_only */
#define HVX_VMX_EPT_AD			(1ULL << 6)	/* ept_ad */
#define HVX_VMX_EPT_1GB			(1ULL << 7)	/* ept_1gb */
#define HVX_VMX_EPT_2MB			(1ULL << 8)	/* (not shown) */
#define HVX_VMX_VNMI			(1ULL << 9)	/* vnmi */
#define HVX_VMX_POSTED_INTR		(1ULL << 10)	/* posted_intr */
#define HVX_VMX_TSC_OFFSET		(1ULL << 11)	/* tsc_offset */
#define HVX_VMX_VTPR			(1ULL << 12)	/* vtpr */
#define HVX_VMX_MTF			(1ULL << 13)	/* mtf */
#define HVX_VMX_VAPIC			(1ULL << 14)	/* vapic */
#define HVX_VMX_VAPIC_REG		(1ULL << 15)	/* vapic_reg */
#define HVX_VMX_VID			(1ULL << 16)	/* vid */
#define HVX_VMX_PLE			(1ULL << 17)	/* ple */
#define HVX_VMX_SHADOW_VMCS		(1ULL << 18)	/* shadow_vmcs */
#define HVX_VMX_PML			(1ULL << 19)	/* pml */
#define HVX_VMX_FLEXPRIORITY		(1ULL << 20)	/* flexpriority */
#define HVX_VMX_APICV			(1ULL << 21)	/* apicv */
#define HVX_VMX_EPT_MODE_BASED_EXEC	(1ULL << 22)	/* ept_mode_based_exec */
#define HVX_VMX_TSC_SCALING		(1ULL << 23)	/* tsc_scaling */

/* Features of hvx itself, in hvx_caps.hvx_features. */
#define HVX_FEAT_VM		(1ULL << 0)	/* VMs can be created */
#define HVX_FEAT_USER_MSR_EXIT	(1ULL << 1)	/* HVX_OPT_UNKNOWN_MSR_EXIT */
#define HVX_FEAT_RING		(1ULL << 2)	/* shared I/O ring, HVX_CREATE_RING */
#define HVX_FEAT_EOI_EXIT	(1ULL << 3)	/* HVX_EXIT_EOI for level EOIs */
#define HVX_FEAT_IRQFD		(1ULL << 4)	/* HVX_IRQFD */
#define HVX_FEAT_LAPIC_STATE	(1ULL << 5)	/* HVX_GET_LAPIC, HVX_SET_LAPIC */
#define HVX_FEAT_DIRECTED_EOI	(1ULL << 6)	/* HVX_OPT_DIRECTED_EOI */
#define HVX_FEAT_APICV		(1ULL << 7)	/* hvx_caps.apicv reports the
						 * APIC virtualization in use
						 */
#define HVX_FEAT_MMU_NOTIFIER	(1ULL << 8)	/* guest memory not pinned:
						 * the host may reclaim,
						 * move and merge it
						 */
#define HVX_FEAT_LARGE_PAGES	(1ULL << 9)	/* 2 MiB / 1 GiB EPT pages
						 * over host huge pages
						 */
#define HVX_FEAT_DIRTY_LOG	(1ULL << 10)	/* HVX_MEM_LOG_DIRTY,
						 * HVX_GET_DIRTY_LOG,
						 * HVX_CLEAR_DIRTY_LOG
						 */
#define HVX_FEAT_DIRTY_LOG_SWITCH (1ULL << 11)	/* HVX_SET_MEMORY_REGION
						 * on a slot in use with only
						 * HVX_MEM_LOG_DIRTY changed
						 * starts or stops logging
						 */
#define HVX_FEAT_VCPU_STATE	(1ULL << 12)	/* HVX_GET_VCPU_EVENTS,
						 * HVX_GET_DEBUGREGS,
						 * HVX_GET_XSAVE and their
						 * setters
						 */
#define HVX_FEAT_HALTED_SLEEPS	(1ULL << 13)	/* HVX_MP_HALTED sleeps with
						 * interrupts disabled too,
						 * until an NMI or INIT
						 */
#define HVX_FEAT_PDPTRS		(1ULL << 14)	/* HVX_GET_PDPTRS,
						 * HVX_SET_PDPTRS
						 */

/*
 * The processor's APIC virtualization hvx uses for every vCPU (struct
 * hvx_caps.apicv); 0 when the CPU lacks part of it or the module was
 * loaded with enable_apicv=0, and every APIC access then exits.
 */
#define HVX_APICV_TPR_SHADOW	(1ULL << 0)	/* CR8 and TPR without exits */
#define HVX_APICV_REG_VIRT	(1ULL << 1)	/* APIC register reads
						 * without exits
						 */
#define HVX_APICV_VID		(1ULL << 2)	/* virtual-interrupt delivery:
						 * no injection, edge EOIs
						 * without exits
						 */
#define HVX_APICV_X2APIC	(1ULL << 3)	/* x2APIC MSR virtualization */
#define HVX_APICV_APIC_ACCESS	(1ULL << 4)	/* xAPIC page virtualization
						 * at the default base
						 */

/*
 * Speculative-execution mitigations hvx applies around VM entry and exit
 * (struct hvx_caps.mitigations), chosen at load from the host's own state.
 */
#define HVX_MITIGATE_L1D_FLUSH_COND	(1ULL << 0)	/* L1D flushed before an
							 * entry after host work
							 */
#define HVX_MITIGATE_L1D_FLUSH_ALWAYS	(1ULL << 1)	/* before every entry */
#define HVX_MITIGATE_L1D_FLUSH_MSR	(1ULL << 2)	/* by IA32_FLUSH_CMD, not
							 * by software
							 */
#define HVX_MITIGATE_L1D_FLUSH_OFF	(1ULL << 3)	/* affected by L1TF, and
							 * vmentry_l1d_flush=never
							 */
#define HVX_MITIGATE_VERW		(1ULL << 4)	/* CPU buffers cleared
							 * before entry
							 */
#define HVX_MITIGATE_RSB_FILL		(1ULL << 5)	/* return stack filled
							 * after exit
							 */
#define HVX_MITIGATE_BHB_CLEAR		(1ULL << 6)	/* branch history cleared
							 * after exit
							 */
#define HVX_MITIGATE_SPEC_CTRL		(1ULL << 7)	/* SPEC_CTRL (IBRS)
							 * rewritten after exit
							 */
#define HVX_MITIGATE_IBPB		(1ULL << 8)	/* IBPB when a CPU
							 * switches VMs
							 */
#define HVX_MITIGATE_IBPB_EXIT_TO_USER	(1ULL << 9)	/* IBPB before a CPU
							 * that ran a guest
							 * returns to user
							 * mode (VMSCAPE)
							 */
#define HVX_MITIGATE_NX_HUGE_PAGES	(1ULL << 10)	/* no executable large
							 * EPT pages (iTLB
							 * multihit)
							 */

/**
 * struct hvx_caps - what the CPU offers and what hvx does with it
 * @vmx_features:	out: HVX_VMX_* bits of the host CPU
 * @hvx_features:	out: HVX_FEAT_* bits of this hvx build
 * @vmx_basic:		out: raw IA32_VMX_BASIC
 * @vmx_misc:		out: raw IA32_VMX_MISC
 * @ept_vpid_cap:	out: raw IA32_VMX_EPT_VPID_CAP (0 without EPT/VPID)
 * @max_vcpus:		out: vCPUs per VM (ids 0 .. max_vcpus - 1)
 * @max_mem_slots:	out: memory slots per VM
 * @run_page_size:	out: size of the vCPU mmap (struct hvx_run)
 * @preemption_timer_shift: out: timer ticks every 2^shift TSC cycles
 * @mitigations:	out: HVX_MITIGATE_* bits in force
 * @apicv:		out: HVX_APICV_* bits in force (with HVX_FEAT_APICV)
 * @reserved:		must be ignored
 */
struct hvx_caps {
	__u64 vmx_features;
	__u64 hvx_features;
	__u64 vmx_basic;
	__u64 vmx_misc;
	__u64 ept_vpid_cap;
	__u32 max_vcpus;
	__u32 max_mem_slots;
	__u32 run_page_size;
	__u32 preemption_timer_shift;
	__u64 mitigations;
	__u64 apicv;
	__u64 reserved[7];
};

/* Memory region flags. */
#define HVX_MEM_READONLY	(1U << 0)
#define HVX_MEM_LOG_DIRTY	(1U << 1)	/* record the pages the guest
						 * writes (not with READONLY)
						 */

/**
 * struct hvx_dirty_log - HVX_GET_DIRTY_LOG: the pages a slot's guest wrote
 * @slot:	in: a slot added with HVX_MEM_LOG_DIRTY
 * @flags:	in: 0, or HVX_DIRTY_LOG_KEEP
 * @bitmap:	in: userspace address of ALIGN(npages, 64) / 8 bytes, one
 *		bit per page of the slot (bit i of 64-bit word i / 64 is
 *		page i); out: the bits of the pages written since the last
 *		clear
 *
 * Without HVX_DIRTY_LOG_KEEP the bits read are cleared and their pages
 * write-protected again before the call returns: a write after it is in
 * a later log.  With it, nothing changes: HVX_CLEAR_DIRTY_LOG clears.
 */
struct hvx_dirty_log {
	__u32 slot;
	__u32 flags;
	__u64 bitmap;
};

/* hvx_dirty_log.flags */
#define HVX_DIRTY_LOG_KEEP	(1U << 0)	/* read only, clear nothing */

/**
 * struct hvx_clear_dirty_log - HVX_CLEAR_DIRTY_LOG: clear part of a log
 * @slot:	in: a slot added with HVX_MEM_LOG_DIRTY
 * @pad:	in: 0
 * @first_page:	in: first page of the range, a multiple of 64
 * @num_pages:	in: pages in the range, a multiple of 64 unless the range
 *		ends with the slot; not 0
 * @bitmap:	in: userspace address of ALIGN(num_pages, 64) / 8 bytes:
 *		bit i clears page first_page + i and write-protects it
 */
struct hvx_clear_dirty_log {
	__u32 slot;
	__u32 pad;
	__u64 first_page;
	__u64 num_pages;
	__u64 bitmap;
};

/**
 * struct hvx_memory_region - map userspace memory into guest-physical space
 * @slot:		in: slot number, 0 .. max_mem_slots - 1
 * @flags:		in: HVX_MEM_* flags
 * @guest_phys_addr:	in: guest-physical base, page aligned
 * @size:		in: bytes, page multiple; 0 deletes the slot
 * @userspace_addr:	in: page-aligned address in the calling process
 */
struct hvx_memory_region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 size;
	__u64 userspace_addr;
};

/* VM options for HVX_VM_SET_OPTION. */
#define HVX_OPT_UNKNOWN_MSR_EXIT 1	/* value 1: unknown MSRs exit, 0: #GP */
#define HVX_OPT_DIRECTED_EOI	2	/* value 1: local APICs offer directed
					 * EOI (before the first vCPU)
					 */
#define HVX_OPT_GUEST_TSC	3	/* value: the guest TSC, now, of every
					 * vCPU (before the first vCPU)
					 */

/**
 * struct hvx_option - set one VM option
 * @option:	in: HVX_OPT_*
 * @pad:	must be zero
 * @value:	in: the option's value
 */
struct hvx_option {
	__u32 option;
	__u32 pad;
	__u64 value;
};

/**
 * struct hvx_regs - general-purpose registers of a vCPU
 * @rax:	RAX
 * @rbx:	RBX
 * @rcx:	RCX
 * @rdx:	RDX
 * @rsi:	RSI
 * @rdi:	RDI
 * @rsp:	RSP
 * @rbp:	RBP
 * @r8:	R8
 * @r9:	R9
 * @r10:	R10
 * @r11:	R11
 * @r12:	R12
 * @r13:	R13
 * @r14:	R14
 * @r15:	R15
 * @rip:	the instruction pointer
 * @rflags:	RFLAGS; a set needs bit 1 set and bits 3, 5, 15 and 22-63
 *		clear, and VM only in legacy protected mode (EINVAL)
 */
struct hvx_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
};

/*
 * Segment access rights, in the VMX format (Intel SDM "Guest Register
 * State"): type in bits 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15,
 * unusable 16.
 */
#define HVX_AR_TYPE_MASK	0xfU
#define HVX_AR_S		(1U << 4)
#define HVX_AR_DPL_SHIFT	5
#define HVX_AR_P		(1U << 7)
#define HVX_AR_AVL		(1U << 12)
#define HVX_AR_L		(1U << 13)
#define HVX_AR_DB		(1U << 14)
#define HVX_AR_G		(1U << 15)
#define HVX_AR_UNUSABLE		(1U << 16)

/**
 * struct hvx_segment - one segment register
 * @base:	linear base address
 * @limit:	byte-granular limit (as the VMCS holds it)
 * @selector:	selector
 * @pad:	must be zero
 * @ar:		access rights, HVX_AR_* (VMX format)
 * @pad2:	must be zero
 */
struct hvx_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u16 pad;
	__u32 ar;
	__u32 pad2;
};

/**
 * struct hvx_dtable - GDTR or IDTR
 * @base:	linear base address
 * @limit:	limit
 * @pad:	must be zero
 */
struct hvx_dtable {
	__u64 base;
	__u16 limit;
	__u16 pad[3];
};

/**
 * struct hvx_sregs - segment, control and system registers of a vCPU
 * @cs:		CS
 * @ds:		DS
 * @es:		ES
 * @fs:		FS
 * @gs:		GS
 * @ss:		SS
 * @tr:		the task register
 * @ldt:	the LDT register
 * @gdt:	GDTR
 * @idt:	IDTR
 * @cr0:	CR0
 * @cr2:	CR2
 * @cr3:	CR3
 * @cr4:	CR4
 * @cr8:	CR8, the local APIC's task priority (TPR bits 7:4); a set
 *		that changes it clears TPR bits 3:0
 * @efer:	IA32_EFER
 * @reserved:	must be zero
 *
 * Writing CR0, CR4 and EFER goes through the same checks as a guest's own
 * write would: invalid combinations give -EINVAL.  EFER.LMA follows from
 * EFER.LME and CR0.PG and is ignored on input.
 */
struct hvx_sregs {
	struct hvx_segment cs, ds, es, fs, gs, ss;
	struct hvx_segment tr, ldt;
	struct hvx_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 reserved[4];
};

/**
 * struct hvx_msr_entry - one MSR value
 * @index:	in: MSR number
 * @reserved:	must be zero: processing stops at an entry where it is not
 * @data:	in (set) or out (get): the value
 */
struct hvx_msr_entry {
	__u32 index;
	__u32 reserved;
	__u64 data;
};

/**
 * struct hvx_msrs - a list of MSRs to get or set
 * @nmsrs:	in: number of entries, at most HVX_MAX_MSR_ENTRIES
 * @pad:	must be zero
 * @entries:	the MSRs
 *
 * HVX_GET_MSRS and HVX_SET_MSRS return how many entries they processed,
 * stopping at the first MSR outside the documented set, value refused or
 * entry with a non-zero reserved word.
 */
struct hvx_msrs {
	__u32 nmsrs;
	__u32 pad;
	struct hvx_msr_entry entries[];
};

/* CPUID entry flags. */
#define HVX_CPUID_FLAG_SIGNIFICANT_INDEX (1U << 0)	/* ecx selects */

/**
 * struct hvx_cpuid_entry - what CPUID returns for one leaf (and subleaf)
 * @function:	leaf (EAX on input)
 * @index:	subleaf (ECX on input), used with SIGNIFICANT_INDEX
 * @flags:	HVX_CPUID_FLAG_*
 * @eax:	output EAX
 * @ebx:	output EBX
 * @ecx:	output ECX
 * @edx:	output EDX
 * @pad:	must be zero
 */
struct hvx_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;
	__u32 eax, ebx, ecx, edx;
	__u32 pad;
};

/**
 * struct hvx_cpuid - the CPUID table of a vCPU
 * @nent:	in: entries in @entries; out (get): entries filled, or
 *		the number needed when -E2BIG is returned
 * @pad:	must be zero
 * @entries:	the table
 */
struct hvx_cpuid {
	__u32 nent;
	__u32 pad;
	struct hvx_cpuid_entry entries[];
};

/* Exit reasons in hvx_run.exit_reason. */
#define HVX_EXIT_NONE		0	/* nothing yet */
#define HVX_EXIT_IO		1	/* port I/O: run->io */
#define HVX_EXIT_MMIO		2	/* access outside memory slots: mmio */
#define HVX_EXIT_HLT		3	/* guest executed HLT */
#define HVX_EXIT_SHUTDOWN	4	/* triple fault */
#define HVX_EXIT_FAIL_ENTRY	5	/* VM entry failed: fail_entry */
#define HVX_EXIT_INTERNAL_ERROR	6	/* hvx cannot go on: internal */
#define HVX_EXIT_HYPERCALL	7	/* VMCALL: hypercall */
#define HVX_EXIT_RDMSR		8	/* unknown MSR read: msr */
#define HVX_EXIT_WRMSR		9	/* unknown MSR write: msr */
#define HVX_EXIT_INTR		10	/* a signal or immediate_exit */
#define HVX_EXIT_IRQ_WINDOW_OPEN 11	/* request_interrupt_window: the guest
					 * can take an interrupt now
					 */
#define HVX_EXIT_EOI		12	/* the guest ended a level-triggered
					 * interrupt: eoi
					 */

#define HVX_IO_IN		0
#define HVX_IO_OUT		1

/* HVX_EXIT_FAIL_ENTRY: VMLAUNCH/VMRESUME failed, not the guest state. */
#define HVX_FAIL_ENTRY_VMFAIL	(1ULL << 32)

/* Suberrors of HVX_EXIT_INTERNAL_ERROR. */
#define HVX_INTERNAL_EMULATION	1	/* instruction hvx cannot emulate */
#define HVX_INTERNAL_UNHANDLED	2	/* VM exit reason hvx does not handle */
#define HVX_INTERNAL_DELIVERY	3	/* exit during event delivery */
#define HVX_INTERNAL_PAGE_WALK	4	/* guest paging structure in MMIO */

/* Where port I/O data lives in the run page (offset from its start). */
#define HVX_RUN_DATA_OFFSET	1024
#define HVX_RUN_DATA_SIZE	(HVX_PAGE_SIZE - HVX_RUN_DATA_OFFSET)

/**
 * struct hvx_run - the shared run page of a vCPU (mmap offset 0)
 * @immediate_exit:	in: non-zero makes HVX_RUN return -EINTR at once
 * @request_interrupt_window: in: non-zero makes HVX_RUN return with
 *			HVX_EXIT_IRQ_WINDOW_OPEN as soon as the guest can take
 *			an external interrupt (a PIC in userspace waits for it):
 *			never while the local APIC's LINT0 does not pass
 *			ExtINT (masked, or another delivery mode)
 * @pad0:		must be zero
 * @exit_reason:	out: HVX_EXIT_*
 * @ready_for_interrupt_injection: out: non-zero when an HVX_INTERRUPT now
 *			would be delivered at the next entry: none is queued,
 *			RFLAGS.IF is set, no STI or MOV SS shadow blocks it
 *			and LINT0 passes ExtINT
 * @if_flag:		out: the guest's RFLAGS.IF
 * @pad1:		reserved
 * @rip:		out: guest RIP at the exit
 * @rflags:		out: guest RFLAGS at the exit
 * @cr8:		out: guest CR8 at the exit (for interrupt controllers)
 * @reserved:		reserved for interrupt-window and sync-register use
 * @io:			HVX_EXIT_IO: @direction HVX_IO_IN/OUT, @size 1/2/4
 *			bytes, @port, @count repetitions (string forms), data
 *			for all repetitions at @data_offset from the page's
 *			start.  For IN, userspace fills the data before the
 *			next HVX_RUN.
 * @mmio:		HVX_EXIT_MMIO: @phys_addr, @len (1 to 8: the
 *			access's size, or the bytes in the MMIO page of one
 *			that runs on into RAM, api.rst), @is_write, @data (written value, or filled by
 *			userspace for a read before the next HVX_RUN)
 * @hypercall:		HVX_EXIT_HYPERCALL: @nr (RAX), @args (RBX, RCX, RDX,
 *			RSI, RDI, R8); @ret is written into RAX on resume
 * @msr:		HVX_EXIT_RDMSR/WRMSR: @index, @data (value written, or
 *			value to return), @error set by userspace: non-zero
 *			injects #GP instead
 * @fail_entry:		HVX_EXIT_FAIL_ENTRY: @hardware_exit_reason (the VM
 *			exit reason, bit 31 set, for an invalid guest state;
 *			or HVX_FAIL_ENTRY_VMFAIL | the VM-instruction error
 *			when VMLAUNCH/VMRESUME itself failed), @qualification,
 *			@cpu (host CPU)
 * @eoi:		HVX_EXIT_EOI: @vector, whose TMR bit was set when the
 *			guest's EOI retired it from the ISR (the I/O APIC
 *			clears its remote IRR); the EOI is complete, the
 *			guest resumes after it on the next HVX_RUN
 * @internal:		HVX_EXIT_INTERNAL_ERROR: @suberror, @ndata words of
 *			@data, which hold [0] VM exit reason, [1] exit
 *			qualification, [2] guest-physical address, [3] number
 *			of instruction bytes fetched (0-15), [4..5] those
 *			bytes, first byte in the low byte of [4]
 * @padding:		sizes the union
 */
struct hvx_run {
	__u8 immediate_exit;
	__u8 request_interrupt_window;
	__u8 pad0[6];

	__u32 exit_reason;
	__u8 ready_for_interrupt_injection;
	__u8 if_flag;
	__u8 pad1[2];
	__u64 rip;
	__u64 rflags;
	__u64 cr8;
	__u64 reserved[11];

	union {
		struct {
			__u8 direction;
			__u8 size;
			__u16 port;
			__u32 count;
			__u64 data_offset;
		} io;
		struct {
			__u64 phys_addr;
			__u8 data[8];
			__u32 len;
			__u8 is_write;
			__u8 pad[3];
		} mmio;
		struct {
			__u64 nr;
			__u64 args[6];
			__u64 ret;
		} hypercall;
		struct {
			__u32 index;
			__u8 error;
			__u8 pad[3];
			__u64 data;
		} msr;
		struct {
			__u64 hardware_exit_reason;
			__u64 qualification;
			__u32 cpu;
			__u32 pad;
		} fail_entry;
		struct {
			__u32 suberror;
			__u32 ndata;
			__u64 data[16];
		} internal;
		struct {
			__u8 vector;
			__u8 pad[7];
		} eoi;
		__u8 padding[256];
	};
};

/**
 * struct hvx_interrupt - HVX_INTERRUPT: one external interrupt for the vCPU
 * @vector:	in: 0-255, the vector a PIC in ExtINT mode answers the
 *		interrupt acknowledge with
 * @pad:	must be zero
 *
 * The 8259's INTR, through the local APIC's LINT0: delivered as soon as
 * the guest can take it (RFLAGS.IF, no STI or MOV SS shadow, LINT0
 * unmasked in ExtINT mode or the APIC globally disabled; the BSP's LINT0
 * is so after reset), before the next instruction once it can.  One at a
 * time:
 * userspace waits for ready_for_interrupt_injection or the interrupt
 * window (request_interrupt_window) before it queues the next.
 */
struct hvx_interrupt {
	__u32 vector;
	__u32 pad;
};

/**
 * struct hvx_msi - HVX_SIGNAL_MSI: a message-signalled interrupt
 * @address:	in: 0xfee00000-0xfeefffff: destination ID (bits 19:12, and
 *		bits 11:5 as ID bits 14:8), redirection hint (bit 3),
 *		logical destination mode (bit 2)
 * @data:	in: vector (7:0, 16 or above for fixed and lowest priority),
 *		delivery mode (10:8: fixed, lowest priority, SMI, NMI, INIT,
 *		ExtINT), level (14), trigger mode (15)
 * @flags:	in: must be zero
 *
 * As a device's write to the MSI address range: delivered to the local
 * APICs the destination names.  One that names no vCPU is dropped and
 * counted (HVX_ATTR_MSI_DROPPED), as the hardware drops it; so are SMI
 * (no SMM) and ExtINT (no 8259 in hvx.ko).
 */
struct hvx_msi {
	__u64 address;
	__u32 data;
	__u32 flags;
};

/* irqfds of one VM at most, and hvx_irqfd.flags */
#define HVX_MAX_IRQFDS		64
#define HVX_IRQFD_DEASSIGN	(1U << 0)	/* remove the eventfd's irqfd */

/**
 * struct hvx_irqfd - HVX_IRQFD: an eventfd whose signal is an MSI
 * @fd:		in: the eventfd
 * @flags:	in: 0 to assign, HVX_IRQFD_DEASSIGN to remove
 * @address:	in: the MSI address, as in struct hvx_msi (ignored with
 *		HVX_IRQFD_DEASSIGN)
 * @data:	in: the MSI data, as in struct hvx_msi (ignored with
 *		HVX_IRQFD_DEASSIGN)
 * @pad:	must be zero
 * @reserved:	must be zero
 *
 * Each signal of the eventfd delivers the MSI to the local APICs, from
 * the signaller's context, without a return to userspace.
 */
struct hvx_irqfd {
	__s32 fd;
	__u32 flags;
	__u64 address;
	__u32 data;
	__u32 pad;
	__u64 reserved;
};

/* hvx_lapic_state.flags */
#define HVX_LAPIC_STATE_TIMER_ARMED	(1U << 0)	/* an expiry is due */

/**
 * struct hvx_lapic_state - HVX_GET_LAPIC, HVX_SET_LAPIC: a local APIC
 * @regs:		the register page, offsets 0x000-0x3ff: word n is the
 *			32 bits at offset 4 * n (only every fourth word is a
 *			register; the others are zero).  In x2APIC mode the
 *			ICR's upper half is at 0x310.  Get fills the current
 *			count (0x390) for the reader; set ignores it, the
 *			version, PPR and APR, which follow from the rest
 * @apic_base:		IA32_APIC_BASE
 * @tsc_deadline:	IA32_TSC_DEADLINE as the guest wrote it, 0 if disarmed
 * @timer_start_ns:	when the current count was loaded from the initial
 *			count, in ns relative to the get (<= 0)
 * @timer_period_ns:	run-down time of the initial count, in ns
 * @timer_next_ns:	next expiry relative to the get; negative if overdue
 * @apic_id:		the initial APIC ID: the vCPU id
 * @esr_pending:	errors not yet latched into the ESR by an ESR write
 * @flags:		HVX_LAPIC_STATE_*
 * @pad:		must be zero
 *
 * Times are relative to the moment of the call, so that a state set
 * later, or on another host, goes on where it stopped.
 */
struct hvx_lapic_state {
	__u32 regs[256];
	__u64 apic_base;
	__u64 tsc_deadline;
	__s64 timer_start_ns;
	__u64 timer_period_ns;
	__s64 timer_next_ns;
	__u32 apic_id;
	__u32 esr_pending;
	__u32 flags;
	__u32 pad;
};

/* A vCPU's multiprocessor state (struct hvx_mp_state). */
#define HVX_MP_RUNNABLE		0	/* runs when HVX_RUN is called */
#define HVX_MP_HALTED		1	/* in HLT: sleeps in HVX_RUN until it
					 * has an interrupt (with RFLAGS.IF)
					 * or NMI to take, or an INIT
					 */
#define HVX_MP_WAIT_SIPI	2	/* after INIT: sleeps in HVX_RUN until
					 * a SIPI starts it
					 */

/**
 * struct hvx_mp_state - HVX_GET_MP_STATE, HVX_SET_MP_STATE
 * @state:	HVX_MP_*
 * @pad:	must be zero
 *
 * Every vCPU starts runnable; a VMM that lets its guest start application
 * processors with INIT-SIPI-SIPI puts them in HVX_MP_WAIT_SIPI first.
 */
struct hvx_mp_state {
	__u32 state;
	__u32 pad;
};

/* hvx_vcpu_events.flags */
#define HVX_EVENTS_INJECTED	(1U << 0)	/* the next entry delivers
						 * the inject_ fields' event
						 */
#define HVX_EVENTS_ERROR_CODE	(1U << 1)	/* it pushes inject_error_code */
#define HVX_EVENTS_IRQ		(1U << 2)	/* irq_vector is acknowledged,
						 * not yet delivered
						 */
#define HVX_EVENTS_NMI_PENDING	(1U << 3)	/* an NMI waits */
#define HVX_EVENTS_NMI_MASKED	(1U << 4)	/* NMIs blocked: an NMI
						 * handler has not IRETed
						 */
#define HVX_EVENTS_STI_SHADOW	(1U << 5)	/* interrupts blocked for one
						 * instruction after STI
						 */
#define HVX_EVENTS_MOV_SS_SHADOW (1U << 6)	/* interrupts, NMIs and #DB
						 * blocked after MOV/POP SS
						 */
#define HVX_EVENTS_INIT_PENDING	(1U << 7)	/* an INIT not yet taken */
#define HVX_EVENTS_SIPI_PENDING	(1U << 8)	/* a SIPI with sipi_vector not
						 * yet taken
						 */
#define HVX_EVENTS_EXTINT	(1U << 9)	/* an HVX_INTERRUPT not yet
						 * taken: extint_vector
						 */
#define HVX_EVENTS_FLAGS	0x3ff

/* hvx_vcpu_events.inject_type: the VMX event types */
#define HVX_EVENT_EXT_INTR	0	/* external interrupt */
#define HVX_EVENT_NMI		2	/* NMI, vector 2 */
#define HVX_EVENT_HW_EXCEPTION	3	/* hardware exception, vector 0-31 */
#define HVX_EVENT_SOFT_INTR	4	/* INT n */
#define HVX_EVENT_PRIV_SW_EXC	5	/* INT1 (ICEBP) */
#define HVX_EVENT_SOFT_EXC	6	/* INT3, INTO */

/* hvx_vcpu_events.pending_dbg: the bits a pending #DB may carry */
#define HVX_PENDING_DBG_VALID	0x1500fULL	/* B0-B3, BP, BS, RTM */

/**
 * struct hvx_vcpu_events - HVX_GET_VCPU_EVENTS, HVX_SET_VCPU_EVENTS
 * @flags:		HVX_EVENTS_*
 * @inject_type:	with HVX_EVENTS_INJECTED: HVX_EVENT_*
 * @inject_vector:	with HVX_EVENTS_INJECTED: its vector
 * @inject_insn_len:	with HVX_EVENTS_INJECTED and a software event: the
 *			length of the instruction that raised it, 1-15
 * @irq_vector:		with HVX_EVENTS_IRQ: the external interrupt's vector
 * @inject_error_code:	with HVX_EVENTS_ERROR_CODE: the error code
 * @sipi_vector:	with HVX_EVENTS_SIPI_PENDING: the SIPI's vector
 * @pending_dbg:	debug exceptions pending after a shadow or a
 *			string instruction (HVX_PENDING_DBG_VALID bits)
 * @eoi_pending:	level-triggered vectors the guest EOIed whose
 *			HVX_EXIT_EOI userspace has not had yet (bit n of
 *			word n / 64; vectors 16-255)
 * @extint_vector:	with HVX_EVENTS_EXTINT: the vector of the
 *			HVX_INTERRUPT queued, which waits while LINT0 does
 *			not pass ExtINT
 * @pad:		must be zero
 * @reserved:		must be zero
 *
 * The events that are part of a vCPU's state but of no register: what
 * the next VM entry delivers (an exception an exit raised, or an event
 * whose delivery an exit cut short), the external interrupt and NMI
 * waiting for the guest to take them, the blocking of interrupts and
 * NMIs, INIT and SIPI not yet taken, and EOIs not yet reported.
 */
struct hvx_vcpu_events {
	__u32 flags;
	__u8 inject_type;
	__u8 inject_vector;
	__u8 inject_insn_len;
	__u8 irq_vector;
	__u32 inject_error_code;
	__u32 sipi_vector;
	__u64 pending_dbg;
	__u64 eoi_pending[4];
	__u8 extint_vector;
	__u8 pad[7];
	__u64 reserved[3];
};

/**
 * struct hvx_debugregs - HVX_GET_DEBUGREGS, HVX_SET_DEBUGREGS
 * @db:		DR0-DR3, the breakpoint addresses
 * @dr6:	DR6 (bits 63:32 must be zero)
 * @dr7:	DR7 (bits 63:32 must be zero)
 * @flags:	must be zero
 * @reserved:	must be zero
 */
struct hvx_debugregs {
	__u64 db[4];
	__u64 dr6;
	__u64 dr7;
	__u64 flags;
	__u64 reserved[9];
};

/* Bytes of hvx_xsave.region: the largest XSAVE image a guest can need. */
#define HVX_XSAVE_REGION_SIZE	4096

/**
 * struct hvx_xsave - HVX_GET_XSAVE, HVX_SET_XSAVE: x87, SSE, AVX state
 * @xcr0:	XCR0 as the guest set it
 * @size:	get: the bytes of @region the image uses; set: ignored
 * @flags:	must be zero
 * @reserved:	must be zero
 * @region:	the XSAVE image in standard (non-compacted) format: the
 *		legacy area, the XSAVE header (its XSTATE_BV says which
 *		components follow), the components at the offsets CPUID
 *		leaf 0xD gives
 */
struct hvx_xsave {
	__u64 xcr0;
	__u32 size;
	__u32 flags;
	__u64 reserved[6];
	__u8 region[HVX_XSAVE_REGION_SIZE];
};

/* hvx_pdptrs.flags */
#define HVX_PDPTRS_VALID	(1U << 0)	/* the vCPU uses PAE paging:
						 * pdptr holds its PDPTEs
						 */

/**
 * struct hvx_pdptrs - HVX_GET_PDPTRS, HVX_SET_PDPTRS: the PAE PDPTEs
 * @flags:	get: HVX_PDPTRS_VALID while the vCPU uses PAE paging (CR0.PG
 *		and CR4.PAE set, outside long mode), else 0 and @pdptr zero;
 *		set: must be HVX_PDPTRS_VALID
 * @pad:	must be zero
 * @pdptr:	the four page-directory-pointer-table entries
 * @reserved:	must be zero
 *
 * PAE paging translates through the four PDPTEs the processor loaded
 * when CR3 was last written (or PAE paging turned on), not through the
 * table in memory, which the guest may have changed since.
 * HVX_SET_SREGS loads them from memory, as a MOV to CR3 would; a restore
 * that must be exact sets the saved ones after it.
 */
struct hvx_pdptrs {
	__u32 flags;
	__u32 pad;
	__u64 pdptr[4];
	__u64 reserved[4];
};

/* ioctls of /dev/hvx, 0x00-0x0f */
#define HVX_GET_API_VERSION	_IO(HVXIO, 0x00)
#define HVX_GET_CAPS		_IOR(HVXIO, 0x01, struct hvx_caps)
#define HVX_CREATE_VM		_IO(HVXIO, 0x02)	/* arg: 0 */

/* ioctls of a VM fd, 0x10-0x2f */
#define HVX_SET_MEMORY_REGION	_IOW(HVXIO, 0x10, struct hvx_memory_region)
#define HVX_CREATE_VCPU		_IO(HVXIO, 0x11)	/* arg: vCPU id */
#define HVX_VM_SET_OPTION	_IOW(HVXIO, 0x12, struct hvx_option)
/* 0x13-0x14: the shared I/O ring, below */

/* ioctls of a vCPU fd, 0x40-0x5f */
#define HVX_RUN			_IO(HVXIO, 0x40)
#define HVX_GET_REGS		_IOR(HVXIO, 0x41, struct hvx_regs)
#define HVX_SET_REGS		_IOW(HVXIO, 0x42, struct hvx_regs)
#define HVX_GET_SREGS		_IOR(HVXIO, 0x43, struct hvx_sregs)
#define HVX_SET_SREGS		_IOW(HVXIO, 0x44, struct hvx_sregs)
#define HVX_GET_MSRS		_IOWR(HVXIO, 0x45, struct hvx_msrs)
#define HVX_SET_MSRS		_IOW(HVXIO, 0x46, struct hvx_msrs)
#define HVX_GET_CPUID		_IOWR(HVXIO, 0x47, struct hvx_cpuid)
#define HVX_SET_CPUID		_IOW(HVXIO, 0x48, struct hvx_cpuid)
#define HVX_INTERRUPT		_IOW(HVXIO, 0x49, struct hvx_interrupt)
#define HVX_NMI			_IO(HVXIO, 0x4a)	/* arg: 0 */
#define HVX_GET_MP_STATE	_IOR(HVXIO, 0x4b, struct hvx_mp_state)
#define HVX_SET_MP_STATE	_IOW(HVXIO, 0x4c, struct hvx_mp_state)
#define HVX_GET_LAPIC		_IOR(HVXIO, 0x50, struct hvx_lapic_state)
#define HVX_SET_LAPIC		_IOW(HVXIO, 0x51, struct hvx_lapic_state)
#define HVX_GET_VCPU_EVENTS	_IOR(HVXIO, 0x52, struct hvx_vcpu_events)
#define HVX_SET_VCPU_EVENTS	_IOW(HVXIO, 0x53, struct hvx_vcpu_events)
#define HVX_GET_DEBUGREGS	_IOR(HVXIO, 0x54, struct hvx_debugregs)
#define HVX_SET_DEBUGREGS	_IOW(HVXIO, 0x55, struct hvx_debugregs)
#define HVX_GET_XSAVE		_IOR(HVXIO, 0x56, struct hvx_xsave)
#define HVX_SET_XSAVE		_IOW(HVXIO, 0x57, struct hvx_xsave)
#define HVX_GET_PDPTRS		_IOR(HVXIO, 0x58, struct hvx_pdptrs)
#define HVX_SET_PDPTRS		_IOW(HVXIO, 0x59, struct hvx_pdptrs)

/* CPUID 0x40000000 returns "hvxhvxhvx" in EBX, ECX, EDX. */
#define HVX_CPUID_SIGNATURE	0x40000000
#define HVX_CPUID_SIG_EBX	0x68787668	/* "hvxh" */
#define HVX_CPUID_SIG_ECX	0x76687876	/* "vxhv" */
#define HVX_CPUID_SIG_EDX	0x00000078	/* "x\0\0\0" */

/* ===== Generic netlink family "hvx": statistics and events ===== */
/*
 * Documentation/netlink.rst describes the family.  Requests carry
 * HVX_ATTR_* attributes; every reply and event message has the same
 * layout.  A process reads its own VMs; other processes' VMs, and the
 * "events" group, need CAP_NET_ADMIN.
 */
#define HVX_GENL_NAME		"hvx"
#define HVX_GENL_VERSION	1
#define HVX_GENL_MCGRP_EVENTS	"events"

/**
 * enum hvx_cmd - commands of the "hvx" family
 * @HVX_CMD_UNSPEC:	not used
 * @HVX_CMD_GET_VM:	do: one VM (HVX_ATTR_VM_ID required); dump: every
 *			VM the caller may read.  Reply: VM_ID, VM_SERIAL,
 *			PID, NR_VCPUS, MEM_SIZE, STATE, MSI_DROPPED,
 *			MAPPED_4K, MAPPED_2M, MAPPED_1G, EPT_SPLITS
 * @HVX_CMD_GET_STATS:	do: HVX_ATTR_VM_ID required, HVX_ATTR_VCPU_ID
 *			optional: the VM's totals, or that vCPU's.  dump
 *			with HVX_ATTR_VM_ID: one message per vCPU of the VM;
 *			dump without: the totals of every VM the caller may
 *			read.  Reply: VM_ID, VM_SERIAL, [VCPU_ID], STATS
 * @HVX_CMD_EVENT:	notification on the "events" group: EVENT, VM_ID,
 *			VM_SERIAL, PID, [VCPU_ID], [EVENT_DATA]
 * @__HVX_CMD_MAX:	one past the last command
 */
enum hvx_cmd {
	HVX_CMD_UNSPEC,
	HVX_CMD_GET_VM,
	HVX_CMD_GET_STATS,
	HVX_CMD_EVENT,
	__HVX_CMD_MAX,
};
#define HVX_CMD_MAX		(__HVX_CMD_MAX - 1)

/**
 * enum hvx_attr - top-level attributes
 * @HVX_ATTR_UNSPEC:	not used
 * @HVX_ATTR_PAD:	alignment padding of 64-bit attributes
 * @HVX_ATTR_VM_ID:	u32: the VM's id (unique among live VMs)
 * @HVX_ATTR_VCPU_ID:	u32: the vCPU's id, below HVX_MAX_VCPUS
 * @HVX_ATTR_PID:	u32: the creating process (thread group id, as the
 *			initial PID namespace numbers it)
 * @HVX_ATTR_NR_VCPUS:	u32: vCPUs the VM has now
 * @HVX_ATTR_MEM_SIZE:	u64: bytes of guest memory, the sum of the slots
 * @HVX_ATTR_STATE:	u32: enum hvx_vm_state
 * @HVX_ATTR_STATS:	nest: enum hvx_stats_attr
 * @HVX_ATTR_EVENT:	u32: enum hvx_event
 * @HVX_ATTR_EVENT_DATA: u64: for HVX_EVENT_FAIL_ENTRY the hardware exit
 *			reason as hvx_run.fail_entry reports it; for
 *			HVX_EVENT_INTERNAL_ERROR the suberror (HVX_INTERNAL_*)
 * @HVX_ATTR_MSI_DROPPED: u64: IPIs and MSIs (HVX_SIGNAL_MSI) whose
 *			destination named no vCPU, or that no vCPU took
 *			(SMI and ExtINT delivery)
 * @HVX_ATTR_MAPPED_4K:	u64: guest memory mapped now with 4 KiB EPT pages,
 *			in pages of that size
 * @HVX_ATTR_MAPPED_2M:	u64: the same with 2 MiB pages (a huge page backs
 *			the memory on the host: THP or hugetlbfs)
 * @HVX_ATTR_MAPPED_1G:	u64: the same with 1 GiB pages
 * @HVX_ATTR_EPT_SPLITS: u64: large EPT pages split in place into 512
 *			smaller ones (when dirty logging started, or the
 *			guest executed from one: HVX_MITIGATE_NX_HUGE_PAGES),
 *			since the VM was created
 * @HVX_ATTR_VM_SERIAL:	u64: the VM's serial number, never reused while
 *			the module stays loaded (a VM made later may get
 *			the same VM_ID at once): replies that name the
 *			same VM_ID and VM_SERIAL are about the same VM
 * @__HVX_ATTR_MAX:	one past the last attribute
 */
enum hvx_attr {
	HVX_ATTR_UNSPEC,
	HVX_ATTR_PAD,
	HVX_ATTR_VM_ID,
	HVX_ATTR_VCPU_ID,
	HVX_ATTR_PID,
	HVX_ATTR_NR_VCPUS,
	HVX_ATTR_MEM_SIZE,
	HVX_ATTR_STATE,
	HVX_ATTR_STATS,
	HVX_ATTR_EVENT,
	HVX_ATTR_EVENT_DATA,
	HVX_ATTR_MSI_DROPPED,
	HVX_ATTR_MAPPED_4K,
	HVX_ATTR_MAPPED_2M,
	HVX_ATTR_MAPPED_1G,
	HVX_ATTR_EPT_SPLITS,
	HVX_ATTR_VM_SERIAL,
	__HVX_ATTR_MAX,
};
#define HVX_ATTR_MAX		(__HVX_ATTR_MAX - 1)

/**
 * enum hvx_stats_attr - attributes nested in HVX_ATTR_STATS
 * @HVX_STATS_ATTR_UNSPEC:	not used
 * @HVX_STATS_ATTR_PAD:		alignment padding
 * @HVX_STATS_ATTR_EXITS:	u64: VM exits, every reason
 * @HVX_STATS_ATTR_EXIT_REASONS: nest: one HVX_EXIT_REASONS_ATTR_ENTRY per
 *				basic exit reason with a non-zero count
 * @HVX_STATS_ATTR_RING_POSTED:	u64: exits posted to the exit ring
 * @HVX_STATS_ATTR_RING_FALLBACK: u64: exits that fell back to a
 *				synchronous return from HVX_RUN
 * @HVX_STATS_ATTR_GUEST_NS:	u64: ns spent in the guest (VM entry to exit)
 * @HVX_STATS_ATTR_HOST_NS:	u64: ns spent inside HVX_RUN outside the guest
 * @HVX_STATS_ATTR_RUNS:	u64: HVX_RUN calls
 * @HVX_STATS_ATTR_L1D_FLUSHES: u64: L1D flushes before VM entry
 * @HVX_STATS_ATTR_IRQS_INJECTED: u64: external interrupts hvx injected at
 *				VM entry (again for one an exit cut short; not
 *				the processor's with virtual-interrupt delivery)
 * @HVX_STATS_ATTR_NMIS_INJECTED: u64: NMIs hvx injected at VM entry
 * @HVX_STATS_ATTR_HALTS:	u64: HLTs the vCPU found nothing to wake it for
 *				after its poll, in the kernel
 * @HVX_STATS_ATTR_IPIS_SENT:	u64: IPIs the guest sent through its ICR
 * @HVX_STATS_ATTR_HALT_POLL_OK: u64: halts that a poll ended before the
 *				vCPU slept (module parameter halt_poll_ns)
 * @HVX_STATS_ATTR_HALT_POLL_FAIL: u64: polls that ended without a wakeup,
 *				after which the vCPU slept
 * @HVX_STATS_ATTR_TIMER_VMX:	u64: local APIC timer ticks the VMX-preemption
 *				timer delivered while the vCPU ran (module
 *				parameter preemption_timer)
 * @__HVX_STATS_ATTR_MAX:	one past the last attribute
 */
enum hvx_stats_attr {
	HVX_STATS_ATTR_UNSPEC,
	HVX_STATS_ATTR_PAD,
	HVX_STATS_ATTR_EXITS,
	HVX_STATS_ATTR_EXIT_REASONS,
	HVX_STATS_ATTR_RING_POSTED,
	HVX_STATS_ATTR_RING_FALLBACK,
	HVX_STATS_ATTR_GUEST_NS,
	HVX_STATS_ATTR_HOST_NS,
	HVX_STATS_ATTR_RUNS,
	HVX_STATS_ATTR_L1D_FLUSHES,
	HVX_STATS_ATTR_IRQS_INJECTED,
	HVX_STATS_ATTR_NMIS_INJECTED,
	HVX_STATS_ATTR_HALTS,
	HVX_STATS_ATTR_IPIS_SENT,
	HVX_STATS_ATTR_HALT_POLL_OK,
	HVX_STATS_ATTR_HALT_POLL_FAIL,
	HVX_STATS_ATTR_TIMER_VMX,
	__HVX_STATS_ATTR_MAX,
};
#define HVX_STATS_ATTR_MAX	(__HVX_STATS_ATTR_MAX - 1)

/**
 * enum hvx_exit_reasons_attr - attributes nested in HVX_STATS_ATTR_EXIT_REASONS
 * @HVX_EXIT_REASONS_ATTR_UNSPEC:	not used
 * @HVX_EXIT_REASONS_ATTR_ENTRY:	nest: enum hvx_exit_count_attr
 * @__HVX_EXIT_REASONS_ATTR_MAX:	one past the last attribute
 */
enum hvx_exit_reasons_attr {
	HVX_EXIT_REASONS_ATTR_UNSPEC,
	HVX_EXIT_REASONS_ATTR_ENTRY,
	__HVX_EXIT_REASONS_ATTR_MAX,
};
#define HVX_EXIT_REASONS_ATTR_MAX	(__HVX_EXIT_REASONS_ATTR_MAX - 1)

/**
 * enum hvx_exit_count_attr - attributes nested in HVX_EXIT_REASONS_ATTR_ENTRY
 * @HVX_EXIT_COUNT_ATTR_UNSPEC:	not used
 * @HVX_EXIT_COUNT_ATTR_PAD:	alignment padding
 * @HVX_EXIT_COUNT_ATTR_REASON:	u32: VMX basic exit reason (EXIT_REASON_*
 *				of <asm/vmx.h>, bits 15:0 of the exit reason)
 * @HVX_EXIT_COUNT_ATTR_COUNT:	u64: exits with that reason
 * @__HVX_EXIT_COUNT_ATTR_MAX:	one past the last attribute
 */
enum hvx_exit_count_attr {
	HVX_EXIT_COUNT_ATTR_UNSPEC,
	HVX_EXIT_COUNT_ATTR_PAD,
	HVX_EXIT_COUNT_ATTR_REASON,
	HVX_EXIT_COUNT_ATTR_COUNT,
	__HVX_EXIT_COUNT_ATTR_MAX,
};
#define HVX_EXIT_COUNT_ATTR_MAX	(__HVX_EXIT_COUNT_ATTR_MAX - 1)

/**
 * enum hvx_vm_state - HVX_ATTR_STATE
 * @HVX_VM_STATE_CREATED:	no vCPU has entered HVX_RUN yet
 * @HVX_VM_STATE_RUNNING:	at least one vCPU is inside HVX_RUN
 * @HVX_VM_STATE_STOPPED:	vCPUs have run, none is inside HVX_RUN
 * @HVX_VM_STATE_SHUTDOWN:	stopped, and a vCPU's last HVX_RUN ended in a
 *				shutdown (triple fault)
 * @__HVX_VM_STATE_MAX:		one past the last state
 */
enum hvx_vm_state {
	HVX_VM_STATE_CREATED,
	HVX_VM_STATE_RUNNING,
	HVX_VM_STATE_STOPPED,
	HVX_VM_STATE_SHUTDOWN,
	__HVX_VM_STATE_MAX,
};
#define HVX_VM_STATE_MAX	(__HVX_VM_STATE_MAX - 1)

/**
 * enum hvx_event - HVX_ATTR_EVENT of an HVX_CMD_EVENT notification
 * @HVX_EVENT_UNSPEC:		not used
 * @HVX_EVENT_VM_CREATED:	a VM was created
 * @HVX_EVENT_VM_DESTROYED:	a VM was freed (its last fd closed and
 *				its last mapping gone)
 * @HVX_EVENT_VCPU_SHUTDOWN:	a vCPU exited with HVX_EXIT_SHUTDOWN
 * @HVX_EVENT_FAIL_ENTRY:	a vCPU exited with HVX_EXIT_FAIL_ENTRY
 * @HVX_EVENT_INTERNAL_ERROR:	a vCPU exited with HVX_EXIT_INTERNAL_ERROR
 * @__HVX_EVENT_MAX:		one past the last event
 */
enum hvx_event {
	HVX_EVENT_UNSPEC,
	HVX_EVENT_VM_CREATED,
	HVX_EVENT_VM_DESTROYED,
	HVX_EVENT_VCPU_SHUTDOWN,
	HVX_EVENT_FAIL_ENTRY,
	HVX_EVENT_INTERNAL_ERROR,
	__HVX_EVENT_MAX,
};
#define HVX_EVENT_MAX		(__HVX_EVENT_MAX - 1)
/* ===== End of the generic netlink family ===== */

/* ===== Shared I/O ring ===== */
/*
 * Documentation/rings.rst describes the protocol.  HVX_CREATE_RING on a VM
 * fd returns a ring fd; mmap it (offset 0, hvx_ring_header.mmap_size
 * bytes, which is HVX_RING_MMAP_SIZE(entries)): page 0 is the header, the
 * entries follow from HVX_RING_ENTRIES_OFFSET.  Indices are free-running
 * __u32s; entry i lives at i & (capacity - 1).  hvx.ko writes entries and
 * @producer (store-release after the entry); userspace reads them after a
 * load-acquire of @producer and gives slots back by a store-release of
 * @consumer.
 */
#define HVX_RING_VERSION	1
#define HVX_RING_MIN_ENTRIES	64
#define HVX_RING_MAX_ENTRIES	4096
#define HVX_RING_ENTRIES_OFFSET	HVX_PAGE_SIZE
#define HVX_RING_MMAP_SIZE(n)	(HVX_RING_ENTRIES_OFFSET +		\
				 (((n) * 32 + HVX_PAGE_SIZE - 1) &	\
				  ~(HVX_PAGE_SIZE - 1)))
#define HVX_MAX_IO_RANGES	32

/* hvx_ring_setup.flags */
#define HVX_RING_SYNC		(1U << 0)	/* allow HVX_RANGE_SYNC ranges */

/**
 * struct hvx_ring_setup - HVX_CREATE_RING
 * @entries:	in: capacity, a power of two in HVX_RING_MIN_ENTRIES ..
 *		HVX_RING_MAX_ENTRIES
 * @flags:	in: HVX_RING_* flags
 * @eventfd:	in: eventfd signalled when entries are published while
 *		the consumer asked for a wake-up (posted writes may defer it
 *		to a sync point, Documentation/rings.rst), or -1
 * @pad:	must be zero
 * @reserved:	must be zero
 */
struct hvx_ring_setup {
	__u32 entries;
	__u32 flags;
	__s32 eventfd;
	__u32 pad;
	__u64 reserved[4];
};

/**
 * struct hvx_ring_header - page 0 of the ring mapping
 * @version:	out: HVX_RING_VERSION
 * @entry_size:	out: sizeof(struct hvx_ring_entry)
 * @capacity:	out: number of entries, a power of two
 * @flags:	out: the HVX_RING_* flags of the setup
 * @entries_offset: out: HVX_RING_ENTRIES_OFFSET
 * @mmap_size:	out: bytes to mmap
 * @pad0:	reserved
 * @producer:	out: entries published so far (written by hvx.ko only)
 * @pad1:	reserved (keeps @producer on its own cache line)
 * @consumer:	in: entries consumed so far (written by userspace only)
 * @need_wakeup: in: non-zero asks hvx.ko for an eventfd signal and a
 *		poll wake-up on the next publication (for posted writes, at
 *		the latest at the VM's next sync point); hvx.ko clears it
 *		when it sends them
 * @pad2:	reserved
 */
struct hvx_ring_header {
	__u32 version;
	__u32 entry_size;
	__u32 capacity;
	__u32 flags;
	__u64 entries_offset;
	__u64 mmap_size;
	__u8 pad0[32];

	__u32 producer;
	__u8 pad1[60];

	__u32 consumer;
	__u32 need_wakeup;
	__u8 pad2[56];
};

/* hvx_ring_entry.type and hvx_io_range.type */
#define HVX_RING_PIO		1
#define HVX_RING_MMIO		2

/* hvx_ring_entry.flags */
#define HVX_RING_F_WRITE	(1U << 0)	/* OUT or store: @data valid */
#define HVX_RING_F_POSTED	(1U << 1)	/* no completion expected */
#define HVX_RING_F_REQUEST	(1U << 2)	/* vCPU waits: HVX_RING_COMPLETE */

/**
 * struct hvx_ring_entry - one guest access
 * @seq:	per-VM sequence number, from 1, in publication order
 * @addr:	port (HVX_RING_PIO) or guest-physical address
 * @data:	the value written (HVX_RING_F_WRITE), low @size bytes
 * @vcpu:	the vCPU id
 * @type:	HVX_RING_PIO or HVX_RING_MMIO
 * @size:	1, 2, 4 or 8 bytes
 * @flags:	HVX_RING_F_*
 * @pad:	zero
 */
struct hvx_ring_entry {
	__u64 seq;
	__u64 addr;
	__u64 data;
	__u16 vcpu;
	__u8 type;
	__u8 size;
	__u8 flags;
	__u8 pad[3];
};

/* hvx_io_range.flags */
#define HVX_RANGE_DOORBELL	(1U << 0)	/* signal @eventfd, no entry */
#define HVX_RANGE_SYNC		(1U << 1)	/* requests, served in ring */
#define HVX_RANGE_UNREGISTER	(1U << 2)	/* remove the exact range */

/**
 * struct hvx_io_range - HVX_REGISTER_RANGE
 * @type:	in: HVX_RING_PIO or HVX_RING_MMIO
 * @flags:	in: HVX_RANGE_*; none: posted writes
 * @base:	in: first port or guest-physical address
 * @length:	in: ports (base + length <= 0x10000) or bytes (MMIO: base
 *		and length multiples of 4, length at most 1 GiB)
 * @eventfd:	in: HVX_RANGE_DOORBELL: the eventfd to signal; else -1
 * @pad:	must be zero
 * @reserved:	must be zero
 */
struct hvx_io_range {
	__u32 type;
	__u32 flags;
	__u64 base;
	__u64 length;
	__s32 eventfd;
	__u32 pad;
	__u64 reserved[2];
};

/**
 * struct hvx_ring_completion - HVX_RING_COMPLETE on the ring fd
 * @seq:	in: the request's hvx_ring_entry.seq; 0 completes nothing
 *		(then @data and @vcpu must be 0 and @flags must wait)
 * @data:	in: the value read (ignored for writes), low @size bytes
 * @vcpu:	in: the request's hvx_ring_entry.vcpu
 * @flags:	in: HVX_COMPLETE_* (was padding: 0 is the plain completion)
 *
 * With HVX_COMPLETE_WAIT the call then sleeps until the ring holds an
 * entry past the consumer index, so that a device thread completes one
 * request and waits for the next in a single system call.  It returns 0
 * once there is one, or fails with EINTR when a signal comes first; the
 * completion, if any, has taken effect either way.
 */
struct hvx_ring_completion {
	__u64 seq;
	__u64 data;
	__u32 vcpu;
	__u32 flags;
};

/* hvx_ring_completion.flags */
#define HVX_COMPLETE_WAIT	(1U << 0)	/* then wait for an entry */

#define HVX_CREATE_RING		_IOW(HVXIO, 0x13, struct hvx_ring_setup)
#define HVX_REGISTER_RANGE	_IOW(HVXIO, 0x14, struct hvx_io_range)
/* Its first name, from when it registered posted ranges only. */
#define HVX_REGISTER_POSTED	HVX_REGISTER_RANGE
#define HVX_SIGNAL_MSI		_IOW(HVXIO, 0x15, struct hvx_msi)
#define HVX_IRQFD		_IOW(HVXIO, 0x18, struct hvx_irqfd)
#define HVX_GET_DIRTY_LOG	_IOW(HVXIO, 0x19, struct hvx_dirty_log)
#define HVX_CLEAR_DIRTY_LOG	_IOW(HVXIO, 0x1a, struct hvx_clear_dirty_log)
/* ioctls of a ring fd, 0x60-0x6f */
#define HVX_RING_COMPLETE	_IOW(HVXIO, 0x60, struct hvx_ring_completion)
/* ===== End of the shared I/O ring ===== */

#ifdef __KERNEL__
#include <linux/build_bug.h>
#define HVX_ABI_ASSERT(cond) static_assert(cond, "hvx ABI")
#elif defined(__cplusplus)
#define HVX_ABI_ASSERT(cond) static_assert(cond, "hvx ABI")
#else
#define HVX_ABI_ASSERT(cond) _Static_assert(cond, "hvx ABI")
#endif

HVX_ABI_ASSERT(sizeof(struct hvx_caps) == 128);
HVX_ABI_ASSERT(sizeof(struct hvx_memory_region) == 32);
HVX_ABI_ASSERT(sizeof(struct hvx_dirty_log) == 16);
HVX_ABI_ASSERT(sizeof(struct hvx_clear_dirty_log) == 32);
HVX_ABI_ASSERT(sizeof(struct hvx_option) == 16);
HVX_ABI_ASSERT(sizeof(struct hvx_regs) == 144);
HVX_ABI_ASSERT(sizeof(struct hvx_segment) == 24);
HVX_ABI_ASSERT(sizeof(struct hvx_dtable) == 16);
HVX_ABI_ASSERT(sizeof(struct hvx_sregs) == 8 * 24 + 2 * 16 + 10 * 8);
HVX_ABI_ASSERT(sizeof(struct hvx_msr_entry) == 16);
HVX_ABI_ASSERT(sizeof(struct hvx_msrs) == 8);
HVX_ABI_ASSERT(sizeof(struct hvx_cpuid_entry) == 32);
HVX_ABI_ASSERT(sizeof(struct hvx_cpuid) == 8);
HVX_ABI_ASSERT(sizeof(struct hvx_run) == 128 + 256);
HVX_ABI_ASSERT(sizeof(struct hvx_interrupt) == 8);
HVX_ABI_ASSERT(sizeof(struct hvx_mp_state) == 8);
HVX_ABI_ASSERT(sizeof(struct hvx_msi) == 16);
HVX_ABI_ASSERT(sizeof(struct hvx_irqfd) == 32);
HVX_ABI_ASSERT(sizeof(struct hvx_lapic_state) == 1024 + 5 * 8 + 4 * 4);
HVX_ABI_ASSERT(sizeof(struct hvx_vcpu_events) == 88);
HVX_ABI_ASSERT(sizeof(struct hvx_debugregs) == 128);
HVX_ABI_ASSERT(sizeof(struct hvx_xsave) == 64 + HVX_XSAVE_REGION_SIZE);
HVX_ABI_ASSERT(sizeof(struct hvx_pdptrs) == 72);
HVX_ABI_ASSERT(sizeof(struct hvx_run) <= HVX_RUN_DATA_OFFSET);
HVX_ABI_ASSERT(sizeof(struct hvx_ring_setup) == 48);
HVX_ABI_ASSERT(sizeof(struct hvx_ring_header) == 192);
HVX_ABI_ASSERT(sizeof(struct hvx_ring_entry) == 32);
HVX_ABI_ASSERT(sizeof(struct hvx_io_range) == 48);
HVX_ABI_ASSERT(sizeof(struct hvx_ring_completion) == 24);

#endif /* _UAPI_LINUX_HVX_H */
