/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libhvx: a thin C library over the /dev/hvx ioctls (uapi/linux/hvx.h).
 *
 * Error convention, the same as the system calls underneath: functions
 * returning int give 0 (or a count, or a file descriptor, as documented)
 * on success and -1 with errno set on failure; functions returning a
 * pointer give NULL with errno set.  Nothing here prints, exits or keeps
 * global state, so the library serves tools, the launcher and the tests
 * alike.
 */
#ifndef HVX_LIBHVX_H
#define HVX_LIBHVX_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/hvx.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HVX_DEV_PATH	"/dev/" HVX_DEVICE_NAME

/* /dev/hvx */
int hvx_open(void);
int hvx_get_api_version(int hvx_fd);
int hvx_get_caps(int hvx_fd, struct hvx_caps *caps);
int hvx_create_vm(int hvx_fd);

/* VM fd */
int hvx_set_memory_region(int vm_fd, uint32_t slot, uint32_t flags,
			  uint64_t gpa, uint64_t size, void *uaddr);
int hvx_delete_memory_region(int vm_fd, uint32_t slot);
int hvx_create_vcpu(int vm_fd, uint32_t id);
int hvx_vm_set_option(int vm_fd, uint32_t option, uint64_t value);
/*
 * HVX_SIGNAL_MSI: an MSI with the xAPIC @address (0xfee00000-0xfeefffff)
 * and @data.  Returns the number of vCPUs that got it (0: dropped, as
 * on hardware), or -1 (EINVAL: a malformed message).
 */
int hvx_signal_msi(int vm_fd, uint64_t address, uint32_t data);
/*
 * HVX_IRQFD: every signal of @eventfd delivers the MSI @address/@data;
 * hvx_irqfd_deassign() removes it again.
 */
int hvx_irqfd_assign(int vm_fd, int eventfd, uint64_t address,
		     uint32_t data);
int hvx_irqfd_deassign(int vm_fd, int eventfd);
/*
 * HVX_GET_DIRTY_LOG: the pages of @slot the guest wrote, one bit each in
 * @bitmap (the slot's pages rounded up to 64, over 8); @flags 0 clears
 * what it reads, HVX_DIRTY_LOG_KEEP leaves it.  HVX_CLEAR_DIRTY_LOG
 * clears the pages @bitmap names from @first on.
 */
int hvx_get_dirty_log(int vm_fd, uint32_t slot, uint32_t flags,
		      uint64_t *bitmap);
int hvx_clear_dirty_log(int vm_fd, uint32_t slot, uint64_t first,
			uint64_t num, const uint64_t *bitmap);

/* vCPU fd */
struct hvx_run *hvx_map_run(int vcpu_fd, size_t size);
int hvx_unmap_run(struct hvx_run *run, size_t size);
int hvx_run(int vcpu_fd);
int hvx_get_regs(int vcpu_fd, struct hvx_regs *regs);
int hvx_set_regs(int vcpu_fd, const struct hvx_regs *regs);
int hvx_get_sregs(int vcpu_fd, struct hvx_sregs *sregs);
int hvx_set_sregs(int vcpu_fd, const struct hvx_sregs *sregs);
int hvx_get_mp_state(int vcpu_fd, uint32_t *state);
int hvx_set_mp_state(int vcpu_fd, uint32_t state);
int hvx_interrupt(int vcpu_fd, uint32_t vector);
int hvx_get_lapic(int vcpu_fd, struct hvx_lapic_state *state);
int hvx_set_lapic(int vcpu_fd, const struct hvx_lapic_state *state);
/* The rest of a vCPU's state, for snapshots: see "Saving a vCPU" in api.rst. */
int hvx_get_vcpu_events(int vcpu_fd, struct hvx_vcpu_events *events);
int hvx_set_vcpu_events(int vcpu_fd, const struct hvx_vcpu_events *events);
int hvx_get_debugregs(int vcpu_fd, struct hvx_debugregs *dregs);
int hvx_set_debugregs(int vcpu_fd, const struct hvx_debugregs *dregs);
int hvx_get_xsave(int vcpu_fd, struct hvx_xsave *xsave);
int hvx_set_xsave(int vcpu_fd, const struct hvx_xsave *xsave);
int hvx_get_pdptrs(int vcpu_fd, struct hvx_pdptrs *pdptrs);
int hvx_set_pdptrs(int vcpu_fd, const struct hvx_pdptrs *pdptrs);

/*
 * MSR lists: hvx_get_msrs() and hvx_set_msrs() return the number of
 * entries processed (it stops at the first MSR outside the documented
 * set, or at a value hvx refuses), or -1.  hvx_get_msr()/hvx_set_msr()
 * handle one MSR and fail with ENOENT when hvx does not know it or (set)
 * refuses the value.
 */
struct hvx_msrs *hvx_msrs_alloc(uint32_t nmsrs);
int hvx_get_msrs(int vcpu_fd, struct hvx_msrs *msrs);
int hvx_set_msrs(int vcpu_fd, const struct hvx_msrs *msrs);
int hvx_get_msr(int vcpu_fd, uint32_t index, uint64_t *data);
int hvx_set_msr(int vcpu_fd, uint32_t index, uint64_t data);

/*
 * CPUID tables: hvx_cpuid_alloc() returns a zeroed table with room for
 * @nent entries and nent set; free() it.  hvx_get_cpuid_alloc() sizes the
 * table itself (first call with nent = 0 learns the size from E2BIG).
 * hvx_cpuid_find() returns the entry for @function/@index, or NULL.
 */
struct hvx_cpuid *hvx_cpuid_alloc(uint32_t nent);
int hvx_get_cpuid(int vcpu_fd, struct hvx_cpuid *cpuid);
int hvx_set_cpuid(int vcpu_fd, const struct hvx_cpuid *cpuid);
struct hvx_cpuid *hvx_get_cpuid_alloc(int vcpu_fd);
struct hvx_cpuid_entry *hvx_cpuid_find(struct hvx_cpuid *cpuid,
				       uint32_t function, uint32_t index);

/*
 * The shared I/O ring (Documentation/rings.rst).  hvx_create_ring()
 * returns the ring fd; hvx_ring_map() maps it and checks its header.
 * One thread at a time consumes a ring (hvx_ring_consume(),
 * hvx_ring_drain()); HVX_RING_COMPLETE may come from any thread.
 */

/**
 * struct hvx_ring_map - a mapped ring, as userspace sees it
 * @fd:		the ring fd
 * @hdr:	the header page
 * @entries:	the entries
 * @mask:	capacity - 1
 * @size:	bytes mapped
 */
struct hvx_ring_map {
	int fd;
	struct hvx_ring_header *hdr;
	const struct hvx_ring_entry *entries;
	uint32_t mask;
	size_t size;
};

int hvx_create_ring(int vm_fd, uint32_t entries, uint32_t flags,
		    int eventfd);
/* Map @ring_fd; EPROTO when the header's version or layout is unknown. */
int hvx_ring_map(int ring_fd, struct hvx_ring_map *r);
void hvx_ring_unmap(struct hvx_ring_map *r);
/* Entries published and not consumed (load-acquire of the producer). */
uint32_t hvx_ring_pending(const struct hvx_ring_map *r);
/*
 * Copy up to @max entries to @out and give their slots back
 * (store-release of the consumer index).  Return: how many.
 */
unsigned int hvx_ring_consume(struct hvx_ring_map *r,
			      struct hvx_ring_entry *out, unsigned int max);
/*
 * Call @fn for every entry up to the producer index as loaded now (and
 * any published meanwhile), in order.  Return: how many.
 */
unsigned int hvx_ring_drain(struct hvx_ring_map *r,
			    void (*fn)(void *opaque,
				       const struct hvx_ring_entry *e),
			    void *opaque);
/*
 * Batched wake-ups: hvx_ring_prepare_sleep() sets need_wakeup and, after
 * a full barrier, looks at the producer again: true means entries are
 * pending (do not sleep; need_wakeup is cleared again).  After waking,
 * hvx_ring_awake() clears it.  hvx_ring_wait() does both around a poll()
 * of the ring fd: 1 when entries are pending, 0 on timeout, -1 with errno
 * (EBADF: the fd is not open).
 */
int hvx_ring_prepare_sleep(struct hvx_ring_map *r);
void hvx_ring_awake(struct hvx_ring_map *r);
int hvx_ring_wait(struct hvx_ring_map *r, int timeout_ms);
/* HVX_RING_COMPLETE: finish request @seq of vCPU @vcpu with @data. */
int hvx_ring_complete(int ring_fd, uint32_t vcpu, uint64_t seq,
		      uint64_t data);
/*
 * HVX_RING_COMPLETE with HVX_COMPLETE_WAIT: finish request @seq (none when
 * @seq is 0; then @vcpu and @data must be 0), then sleep until an entry is
 * pending.  0, or -1 with errno: EINTR, a signal (the completion stands);
 * any other, at once and without the wait: ENOENT when @seq is no longer
 * outstanding (the vCPU's HVX_SET_REGS or close abandoned it), EINVAL for
 * bad arguments.  Either way @seq is done with: a loop that passed it
 * again would fail again without sleeping.
 */
int hvx_ring_complete_wait(int ring_fd, uint32_t vcpu, uint64_t seq,
			   uint64_t data);
/*
 * HVX_REGISTER_RANGE: @type HVX_RING_PIO or HVX_RING_MMIO; @flags 0
 * (posted writes) or HVX_RANGE_SYNC; doorbells take an eventfd.
 */
int hvx_register_posted(int vm_fd, uint32_t type, uint64_t base,
			uint64_t length, uint32_t flags);
int hvx_register_doorbell(int vm_fd, uint32_t type, uint64_t base,
			  uint64_t length, int eventfd);
int hvx_unregister_range(int vm_fd, uint32_t type, uint64_t base,
			 uint64_t length);

/* Pure helpers (no ioctls). */

/* "IO", "MMIO", ...; "UNKNOWN" for numbers outside HVX_EXIT_*. */
const char *hvx_exit_reason_name(uint32_t reason);

/**
 * struct hvx_flag_name - one HVX_VMX_* bit and its /proc/cpuinfo name
 * @bit:	the HVX_VMX_* mask
 * @name:	the name /proc/cpuinfo prints on its "vmx flags" line (the
 *		comment next to the #define in hvx.h); ept_2mb, which
 *		/proc/cpuinfo does not show, gets that name
 */
struct hvx_flag_name {
	uint64_t bit;
	const char *name;
};

/* All HVX_VMX_* bits in bit order, ended by { 0, NULL }. */
extern const struct hvx_flag_name hvx_vmx_flag_names[];

/* All HVX_FEAT_* bits in bit order, ended by { 0, NULL }. */
extern const struct hvx_flag_name hvx_feature_names[];

/* All HVX_MITIGATE_* bits in bit order, ended by { 0, NULL }. */
extern const struct hvx_flag_name hvx_mitigation_names[];
/* HVX_APICV_* bits: the APIC virtualization in force (hvx_caps.apicv). */
extern const struct hvx_flag_name hvx_apicv_names[];

/*
 * Print @caps to @f: each numeric field as "name: value", then one line
 * per HVX_FEAT_*, HVX_VMX_*, HVX_MITIGATE_* and HVX_APICV_* flag,
 * "  <name> yes|no", and any bits hvx.h does not name.
 */
void hvx_caps_print(FILE *f, const struct hvx_caps *caps);

#ifdef __cplusplus
}
#endif

#endif /* HVX_LIBHVX_H */
