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

/* vCPU fd */
struct hvx_run *hvx_map_run(int vcpu_fd, size_t size);
int hvx_unmap_run(struct hvx_run *run, size_t size);
int hvx_run(int vcpu_fd);
int hvx_get_regs(int vcpu_fd, struct hvx_regs *regs);
int hvx_set_regs(int vcpu_fd, const struct hvx_regs *regs);
int hvx_get_sregs(int vcpu_fd, struct hvx_sregs *sregs);
int hvx_set_sregs(int vcpu_fd, const struct hvx_sregs *sregs);

/*
 * MSR lists: hvx_get_msrs() and hvx_set_msrs() return the number of
 * entries processed (it stops at the first MSR outside the documented
 * set), or -1.  hvx_get_msr()/hvx_set_msr() handle one MSR and fail with
 * ENOENT when hvx does not know it.
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

/*
 * Print @caps to @f: each numeric field as "name: value", then one line
 * per HVX_VMX_* flag, "  <name> yes|no", and any bits hvx.h does not name.
 */
void hvx_caps_print(FILE *f, const struct hvx_caps *caps);

#endif /* HVX_LIBHVX_H */
