/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel API differences between the kernels hvx builds against: Debian
 * 12's 6.1 and Debian 13's 6.12, both built and tested by "make check".
 * hvx's code is written against the newer API; each entry below names
 * the kernel that changed it and gives the older kernels the newer form.
 * This is the only place in hvx that tests the kernel version (so
 * checkpatch's LINUX_VERSION_CODE warning is off for this file only).  The
 * versions are those of the upstream changes; only 6.1 and 6.12 are
 * built here.
 *
 * Changes handled without an entry, the same code on both kernels:
 * - 6.6 removed <asm/virtext.h> and __cpu_emergency_vmxoff(): hvx turns
 *   VMX off itself in its emergency callback (vmx_cpu.c), and
 *   cpu_emergency_register_virt_callback() stays in <asm/reboot.h>;
 * - calls that the kernel headers turn into other symbols: kmalloc(),
 *   get_zeroed_page() and the like into *_noprof() (6.10), current and
 *   smp_processor_id() through pcpu_hot (6.2), shmem_mapping() no longer
 *   inline.
 * Documentation/design.rst lists the exported symbols hvx depends on.
 */
#ifndef HVX_COMPAT_H
#define HVX_COMPAT_H

#include <linux/version.h>

/* Building against kernel @a.@b.@c or a later one. */
#define HVX_KERNEL_SINCE(a, b, c)	(KERNEL_VERSION(a, b, c) <= LINUX_VERSION_CODE)

/*
 * 6.3 renamed the NMI entry KVM calls after a VM exit caused by an NMI:
 * asm_exc_nmi_noist became asm_exc_nmi_kvm_vmx (exported only while
 * kvm-intel is built as a module, as in Debian's kernels).
 */
#if HVX_KERNEL_SINCE(6, 3, 0)
#define HVX_NMI_ENTRY	asm_exc_nmi_kvm_vmx
#else
#define HVX_NMI_ENTRY	asm_exc_nmi_noist
#endif

#ifndef __ASSEMBLY__

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/syscore_ops.h>
#include <net/genetlink.h>
#include <asm/vmx.h>

/*
 * 6.3 made smp_send_reschedule() a macro that traces the IPI with
 * trace_ipi_send_cpu() before arch_smp_send_reschedule(); the tracepoint
 * is declared in <trace/events/ipi.h>, which <linux/smp.h> does not
 * include.  6.1's smp_send_reschedule() is an inline function of
 * <asm/smp.h> (apic.c's vCPU kick).
 */
#if HVX_KERNEL_SINCE(6, 3, 0)
#include <trace/events/ipi.h>
#endif

/*
 * 6.12 replaced VMX_BASIC_MEM_TYPE_MASK, _SHIFT and _WB in <asm/vmx.h>
 * with vmx_basic_vmcs_mem_type() and the memory type X86_MEMTYPE_WB.
 */
#if !HVX_KERNEL_SINCE(6, 12, 0)
#define X86_MEMTYPE_WB	VMX_BASIC_MEM_TYPE_WB

static inline u32 vmx_basic_vmcs_mem_type(u64 vmx_basic)
{
	return (vmx_basic & VMX_BASIC_MEM_TYPE_MASK) >>
	       VMX_BASIC_MEM_TYPE_SHIFT;
}
#endif

/*
 * 6.2 added FOLL_INTERRUPTIBLE: a page lookup waiting for a fault that
 * may retry (a userfaultfd handler's) gives up on any signal; before it,
 * on a fatal one only.
 */
#if HVX_KERNEL_SINCE(6, 2, 0)
#define HVX_FOLL_INTERRUPTIBLE	FOLL_INTERRUPTIBLE
#else
#define HVX_FOLL_INTERRUPTIBLE	0
#endif

/*
 * 6.3 made vma->vm_flags writable only through vm_flags_set() and the
 * like (hvx_ prefix: a stable kernel may backport the helper).
 */
static inline void hvx_vm_flags_set(struct vm_area_struct *vma,
				    vm_flags_t flags)
{
#if HVX_KERNEL_SINCE(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/*
 * 6.12 made struct fd (fdget()) one word holding the file and its flags;
 * the file is fd_file(f), no longer f.file.
 */
#if !HVX_KERNEL_SINCE(6, 12, 0)
#define fd_file(f)	((f).file)
#endif

/* 6.8 dropped the count argument of eventfd_signal(): it always adds 1. */
static inline void hvx_eventfd_signal(struct eventfd_ctx *ctx)
{
#if HVX_KERNEL_SINCE(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/*
 * 6.6 put a struct genl_info into struct genl_dumpit_info (the parsed
 * attributes moved from ->attrs to ->info.attrs) and added
 * genl_info_dump().
 */
#if !HVX_KERNEL_SINCE(6, 6, 0)
static inline struct nlattr **hvx_genl_dump_attrs(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb)->attrs;
}
#else
static inline struct nlattr **hvx_genl_dump_attrs(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}
#endif

/*
 * Syscore callbacks take a context, and a struct syscore holds them, where
 * the header declares register_syscore() (upstream 6.18; Debian 13's 6.12
 * from a backport, so module/Kbuild looks in the header and defines
 * HVX_SYSCORE_DATA).  HVX_DEFINE_SYSCORE() makes @name from callbacks of
 * that form on either kernel.
 */
#ifdef HVX_SYSCORE_DATA
#define HVX_DEFINE_SYSCORE(name, suspend_fn, resume_fn)			\
	static const struct syscore_ops name##_ops = {			\
		.suspend = suspend_fn,					\
		.resume = resume_fn,					\
	};								\
	static struct syscore name = { .ops = &name##_ops }
#define hvx_register_syscore(s)		register_syscore(s)
#define hvx_unregister_syscore(s)	unregister_syscore(s)
#else
#define HVX_DEFINE_SYSCORE(name, suspend_fn, resume_fn)			\
	static int name##_suspend(void)					\
	{								\
		return suspend_fn(NULL);				\
	}								\
	static void name##_resume(void)					\
	{								\
		resume_fn(NULL);					\
	}								\
	static struct syscore_ops name = {				\
		.suspend = name##_suspend,				\
		.resume = name##_resume,				\
	}
#define hvx_register_syscore(s)		register_syscore_ops(s)
#define hvx_unregister_syscore(s)	unregister_syscore_ops(s)
#endif

#endif /* __ASSEMBLY__ */
#endif /* HVX_COMPAT_H */
