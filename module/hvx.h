/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx.ko internals shared between its files.
 *
 * Lifetime and lock tags on fields, after bhyve:
 *   (c) set at creation, constant afterwards
 *   (v) owned by the vCPU thread while it holds vcpu->mutex
 *   [m] guarded by vm->mem_lock
 *   [u] guarded by vm->mmu_lock (written with vm->mem_lock held too
 *       where [m] is also given: then either lock suffices to read)
 *   [l] guarded by vm->lock
 *   [i] guarded by vm->io_lock
 */
#ifndef HVX_MODULE_HVX_H
#define HVX_MODULE_HVX_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/preempt.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <linux/hvx.h>
#include <asm/fpu/api.h>

#include "stats.h"

/* What this build of hvx offers (HVX_FEAT_*). */
#define HVX_FEATURES		(HVX_FEAT_VM | HVX_FEAT_USER_MSR_EXIT | \
				 HVX_FEAT_RING | HVX_FEAT_EOI_EXIT | \
				 HVX_FEAT_IRQFD | HVX_FEAT_LAPIC_STATE | \
				 HVX_FEAT_DIRECTED_EOI | HVX_FEAT_APICV | \
				 HVX_FEAT_MMU_NOTIFIER | HVX_FEAT_LARGE_PAGES | \
				 HVX_FEAT_DIRTY_LOG | HVX_FEAT_DIRTY_LOG_SWITCH | \
				 HVX_FEAT_VCPU_STATE | HVX_FEAT_HALTED_SLEEPS | \
				 HVX_FEAT_PDPTRS)

/*
 * struct hvx_vmx_config - VMX capabilities and the controls hvx uses
 *
 * Filled once by hvx_caps_probe() at module load; read-only afterwards.
 */
struct hvx_vmx_config {
	u64 basic;
	u64 misc;
	u64 ept_vpid_cap;
	u64 cr0_fixed0, cr0_fixed1;
	u64 cr4_fixed0, cr4_fixed1;
	u64 features;		/* HVX_VMX_* */
	u64 apicv;		/* HVX_APICV_* in use, all or nothing */
	bool vectoring_quirk;	/* virtual interrupts leave stale
				 * IDT-vectoring information (Bochs;
				 * hvx_apicv_vectoring())
				 */
	u32 revision_id;
	u32 vmcs_size;
	u32 pin, proc, proc2;	/* VM-execution controls */
	u32 exit, entry;	/* VM-exit and VM-entry controls */
};

extern struct hvx_vmx_config hvx_vmx;

int hvx_caps_probe(void);
int hvx_caps_check_cpu(unsigned int cpu);
void hvx_caps_fill(struct hvx_caps *caps);

/**
 * struct hvx_memslot - one guest memory region
 * @gpa:	(c) guest-physical base, page aligned
 * @npages:	(c) size in pages; 0 marks an unused slot
 * @uaddr:	(c) userspace address in vm->mm
 * @flags:	[m] HVX_MEM_*
 * @dirty:	[m] with HVX_MEM_LOG_DIRTY, a bit per page the guest wrote
 *		since it was last cleared (dirty_log.c); its bits are set and
 *		cleared atomically
 *
 * @gpa, @npages and @uaddr are constant while the slot is in
 * vm->used_slots; the MMU notifier reads them under vm->mmu_lock, so a
 * slot enters and leaves used_slots under both locks.  @flags and @dirty
 * change only when HVX_SET_MEMORY_REGION turns logging on or off
 * (hvx_dirty_log_set()); the notifier reads neither.
 */
struct hvx_memslot {
	u64 gpa;
	u64 npages;
	u64 uaddr;
	u32 flags;
	unsigned long *dirty;
};

/**
 * struct hvx_ept - the EPT address space of one VM
 * @pml4:	[m] root table (a page)
 * @eptp:	(c) EPT pointer for the VMCS
 * @tables:	[m] number of table pages, for accounting
 * @leaves:	[u] present leaves by size: 4 KiB, 2 MiB, 1 GiB (read
 *		without the lock for statistics)
 * @splits:	[u] large leaves split in place into smaller ones when
 *		dirty logging started or an instruction fetch hit one
 *		under nx_huge_pages (read without the lock for statistics)
 * @unflushed:	[u] a present leaf was cleared and no INVEPT has run
 *		since; see hvx_ept_flush_locked()
 * @cpus:	(a) the CPUs a vCPU of the VM was loaded on, the only ones
 *		that may hold its translations: set before the vCPU's first
 *		entry there, never cleared; INVEPT goes to them alone
 *
 * Table pages are linked under vm->mem_lock and unlinked under both
 * locks; leaves are set and cleared under vm->mmu_lock (ept.c).
 */
struct hvx_ept {
	u64 *pml4;
	u64 eptp;
	unsigned long tables;
	u64 leaves[3];
	u64 splits;
	bool unflushed;
	cpumask_var_t cpus;
};

/* 2 MiB blocks a VM remembers for nx_recover.c: one page of them */
#define HVX_NX_RECOVER_MAX	(PAGE_SIZE / sizeof(u64))

/**
 * struct hvx_nx_recover - blocks an instruction fetch split (nx_recover.c)
 * @gpa:	[m] ring of their addresses, oldest at @head; allocated at
 *		the first
 * @head:	[m] index of the oldest
 * @n:		[m] how many
 * @work:	gives a share of them large leaves back, every period
 */
struct hvx_nx_recover {
	u64 *gpa;
	unsigned int head, n;
	struct delayed_work work;
};

struct hvx_vcpu;
struct hvx_ring;
struct eventfd_ctx;
struct pid;

/**
 * struct hvx_range - a registered port or MMIO range (ring.c)
 * @base:	first port or guest-physical address
 * @end:	one past the last
 * @type:	HVX_RING_PIO or HVX_RING_MMIO
 * @flags:	HVX_RANGE_DOORBELL, HVX_RANGE_SYNC or none (posted)
 * @efd:	the doorbell's eventfd (a reference), else NULL
 */
struct hvx_range {
	u64 base, end;
	u32 type;
	u32 flags;
	struct eventfd_ctx *efd;
};

/*
 * struct hvx_vm - one guest (child partition); the fields are described,
 * with what guards each, where they are (not kernel-doc)
 *
 * Freed when its file, all its vCPU files and its ring's file are closed
 * (a mapping holds its file): each holds a reference (@users).
 */
struct hvx_vm {
	refcount_t users;			/* the VM file, each vCPU, the
						 * ring
						 */
	struct mm_struct *mm;			/* (c) creator's, mmgrab'bed */
	int id;					/* (c) */
	u64 serial;				/* (c) never reused, unlike
						 * @id: which VM a CPU ran
						 * last (mitigate.c)
						 */
	pid_t pid;				/* (c) creator's tgid, for
						 * display only: numbers
						 * are reused
						 */
	struct pid *owner;			/* (c) creator's thread group,
						 * referenced: who may read
						 * the VM over netlink
						 */
	u64 tsc_offset;				/* [l] every new vCPU's TSC
						 * offset: the TSCs start at
						 * 0 with the VM, in step, or
						 * where HVX_OPT_GUEST_TSC
						 * put them
						 */

	struct mutex mem_lock;			/* guards slots and ept */
	unsigned long mem_fault;		/* [m] the page an access
						 * found missing, | 1 for a
						 * write (guest_mem.c)
						 */
	/*
	 * Guards EPT leaves and the invalidation state below against the
	 * MMU notifier, which must not sleep and may run under reclaim
	 * from an allocation made with vm->mem_lock held: so the notifier
	 * takes only this lock, and nothing allocates or faults under it.
	 * Nests inside vm->mem_lock.
	 */
	spinlock_t mmu_lock;
	struct mmu_notifier mmu_notifier;	/* on vm->mm from creation */
	unsigned long mmu_seq;			/* [u] bumped at the end of
						 * every invalidation of
						 * memory a slot maps
						 */
	unsigned long mmu_invalidating;		/* [u] invalidations begun
						 * and not yet ended
						 */
	/* [u] while mmu_invalidating: a range of vm->mm holding theirs */
	unsigned long mmu_inv_start, mmu_inv_end;
	struct hvx_memslot slots[HVX_MAX_MEM_SLOTS];	/* [m] */
	u8 used_slots[HVX_MAX_MEM_SLOTS];	/* [m][u] indices of the
						 * slots in use, for lookups
						 */
	unsigned int nr_used_slots;		/* [m][u] */
	u64 mem_size;				/* [m] for writers; bytes in
						 * all slots, read without
						 * the lock (netlink)
						 */
	u64 slots_gen;				/* [m] for writers; bumped on
						 * every slot change, read
						 * without the lock
						 */
	struct hvx_ept ept;			/* [m] */
	struct hvx_nx_recover nx_recover;

	/* guards vcpus, options and ring creation */
	struct mutex lock;
	struct hvx_vcpu *vcpus[HVX_MAX_VCPUS];	/* [l] */
	unsigned int nr_vcpus;			/* [l] */
	unsigned int vcpu_id_end;		/* [l] above every id ever
						 * used: routing reads
						 * vcpus[] up to it, without
						 * the lock
						 */
	bool unknown_msr_exit;			/* HVX_OPT_UNKNOWN_MSR_EXIT:
						 * lockless, WRITE_ONCE and
						 * READ_ONCE (taken at each
						 * exit, while vCPUs run)
						 */
	bool directed_eoi;			/* [l] HVX_OPT_DIRECTED_EOI: the
						 * local APICs of vCPUs created
						 * from now on offer it
						 */
	struct hvx_stats stats_gone;		/* [l] of closed vCPUs */
	bool shutdown_gone;			/* a closed vCPU's last HVX_RUN
						 * ended in a triple fault, and
						 * no HVX_RUN began since: set
						 * under [l], cleared by a run
						 * (WRITE_ONCE, READ_ONCE)
						 */
	atomic64_t msi_dropped;			/* IPIs and MSIs no local APIC
						 * took
						 */

	/*
	 * Guards the ranges, vm->ring's publication and the ring's producer
	 * side and request slots (ring.c).  Taken in exit handlers: never
	 * sleep under it.  Nests inside vm->lock.
	 */
	spinlock_t io_lock;
	struct hvx_range ranges[HVX_MAX_IO_RANGES];	/* [i] */
	unsigned int nr_ranges;			/* [i], read alone to test 0 */
	struct hvx_ring *ring;			/* [i] set once, freed with vm */

	/*
	 * irqfds (irqfd.c).  irqfd_mutex serialises HVX_IRQFD calls and the
	 * teardown at VM free, so that an irqfd is not removed while it is
	 * still being hooked to its eventfd.  irqfd_lock guards the list
	 * against the eventfd's wake-up callback, which takes it with the
	 * eventfd's wait-queue lock held, interrupts off.  Nests inside
	 * irqfd_mutex.
	 */
	struct mutex irqfd_mutex;		/* see above */
	spinlock_t irqfd_lock;			/* see above */
	struct list_head irqfds;		/* under irqfd_lock */
	unsigned int nr_irqfds;			/* under irqfd_lock */

	unsigned long *msr_bitmap;		/* (c) two pages: every vCPU's,
						 * then that of a vCPU in
						 * x2APIC mode with APIC
						 * virtualization (apicv.c)
						 */
	unsigned long *io_bitmap;		/* (c) two pages, A then B */
	struct page *apic_access_page;		/* (c) with APIC virtualization:
						 * the APIC-access page of
						 * every vCPU, mapped at the
						 * xAPIC base; never read
						 * (apicv.c)
						 */

	struct list_head list;			/* in hvx_vm_list */
};

/*
 * vm.c: every VM from creation until just before it is freed, for the
 * netlink dump.  hvx_vm_list_lock guards the list, and holding it keeps
 * each VM on it from being freed.  Nothing sleeps on a VM's locks while
 * holding it: a reader takes a reference (vm->users) under it and the
 * VM's locks after dropping it, since vm->lock and vm->mem_lock can be
 * held across faults on the owner's memory for as long as the owner likes.
 */
extern struct list_head hvx_vm_list;
extern struct mutex hvx_vm_list_lock;

/* irqfd.c */
int hvx_irqfd_init(void);
void hvx_irqfd_exit(void);
void hvx_irqfd_vm_init(struct hvx_vm *vm);
void hvx_irqfd_vm_free(struct hvx_vm *vm);
int hvx_irqfd(struct hvx_vm *vm, const struct hvx_irqfd __user *uarg);

/* guest memory: memslot.c, ept.c, guest_mem.c */
int hvx_mem_init(struct hvx_vm *vm);
void hvx_mem_destroy(struct hvx_vm *vm);
/* mmu_notifier.c */
int hvx_mmu_notifier_register(struct hvx_vm *vm);
void hvx_mmu_notifier_unregister(struct hvx_vm *vm);
int hvx_set_memory_region(struct hvx_vm *vm,
			  const struct hvx_memory_region *mr);

/* Outcome of hvx_ept_fault(). */
enum hvx_fault_result {
	HVX_FAULT_MAPPED,	/* mapping installed: re-enter the guest */
	HVX_FAULT_MMIO,		/* no slot: MMIO */
	HVX_FAULT_ROM_WRITE,	/* write to a read-only slot: MMIO too */
};

int hvx_ept_fault(struct hvx_vm *vm, u64 gpa, bool write, bool fetch);
int hvx_ept_map_own(struct hvx_vm *vm, u64 gpa, u64 pfn);
void hvx_ept_unmap_own(struct hvx_vm *vm, u64 gpa);
/* dirty_log.c */
long hvx_get_dirty_log(struct hvx_vm *vm, void __user *argp);
long hvx_clear_dirty_log(struct hvx_vm *vm, void __user *argp);
/* vmx_cpu.c: INVEPT single-context on every CPU in VMX operation */
void hvx_vmx_invept_all(u64 eptp, const struct cpumask *cpus);
void hvx_ept_flush(struct hvx_vm *vm);
void hvx_ept_flush_locked(struct hvx_vm *vm);

int hvx_read_gpa(struct hvx_vm *vm, u64 gpa, void *buf, size_t len);

/**
 * struct hvx_paging - the guest state a linear address walk depends on
 * @cr0:	CR0 (PG, WP)
 * @cr3:	CR3, the root of the walk
 * @cr4:	CR4 (PAE, PSE, SMEP, SMAP, LA57)
 * @efer:	IA32_EFER (LMA, NXE)
 * @pdpte:	under PAE paging, the four PDPTEs the processor holds: those
 *		read at the last load of CR3 (or of CR0/CR4's paging bits),
 *		not what memory at CR3 holds now
 * @ac:		RFLAGS.AC, which lets supervisor data accesses reach user
 *		pages under CR4.SMAP
 */
struct hvx_paging {
	u64 cr0, cr3, cr4, efer;
	u64 pdpte[4];
	bool ac;
};

/* Access bits for hvx_gva_to_gpa(). */
#define HVX_ACC_WRITE	BIT(0)
#define HVX_ACC_USER	BIT(1)
#define HVX_ACC_FETCH	BIT(2)

int hvx_gva_to_gpa(struct hvx_vm *vm, const struct hvx_paging *pg, u64 gva,
		   u32 access, u64 *gpa, u32 *fault_ec);
int hvx_read_gva(struct hvx_vm *vm, const struct hvx_paging *pg, u64 gva,
		 void *buf, size_t len, u32 access);
int hvx_fetch_gva(struct hvx_vm *vm, const struct hvx_paging *pg, u64 gva,
		  u8 *buf, bool user, bool all);
int hvx_write_gva(struct hvx_vm *vm, const struct hvx_paging *pg, u64 gva,
		  const void *buf, size_t len, u32 access);

#endif /* HVX_MODULE_HVX_H */
