/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host side of the hvx selftest library: VMs, vCPUs, guest memory.
 *
 * Two tiers, after the KVM selftests: __name() is the raw call and returns
 * what the ioctl returned (-1 with errno), for negative tests; name()
 * asserts success, printing the ioctl's name, rc and errno.
 *
 * A long-mode test VM (vm_create(), vm_create_with_one_vcpu()) runs C code
 * of the test binary itself: the binary is static and linked at a fixed
 * address, and the library copies its loaded segments, as they are in the
 * running process, to the same addresses in guest memory.  So guest and
 * host share code, string literals and the initial values of globals;
 * after the copy each side has its own globals (sync_global_*()).
 */
#ifndef HVX_SELFTEST_HVX_UTIL_H
#define HVX_SELFTEST_HVX_UTIL_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <hvx/libhvx.h>

#include "test_util.h"
#include "processor.h"
#include "ucall.h"

#define VM_RAM_SIZE_DEFAULT	(32 * MiB)

/**
 * struct test_memslot - one memory slot as the host set it
 * @used:	the slot is set
 * @flags:	HVX_MEM_*
 * @gpa:	guest-physical base
 * @size:	bytes
 * @hva:	host address (the mapping the library owns when @owned)
 * @owned:	the library mmap'ed @hva and munmaps it
 */
struct test_memslot {
	bool used;
	uint32_t flags;
	uint64_t gpa;
	uint64_t size;
	void *hva;
	bool owned;
};

struct test_vm;

/**
 * struct test_vcpu - one vCPU
 * @vm:		its VM
 * @id:		vCPU id
 * @fd:		vCPU fd
 * @run:	the mapped run page
 * @run_size:	its length (caps.run_page_size)
 */
struct test_vcpu {
	struct test_vm *vm;
	uint32_t id;
	int fd;
	struct hvx_run *run;
	size_t run_size;
};

/**
 * struct test_vm - one VM
 * @fd:		VM fd
 * @caps:	capabilities of /dev/hvx
 * @ram_size:	size of slot 0 (RAM at GPA 0)
 * @ram:	host address of slot 0
 * @long_mode:	page tables, GDT, IDT and the image are set up
 * @image_end:	end of the copied image (guest stacks must stay above)
 * @slots:	the memory slots
 * @vcpus:	vCPUs by id
 * @lock:	guards @vcpus and @slots for tests that add from threads
 */
struct test_vm {
	int fd;
	struct hvx_caps caps;
	uint64_t ram_size;
	uint8_t *ram;
	bool long_mode;
	uint64_t image_end;
	struct test_memslot slots[HVX_MAX_MEM_SLOTS];
	struct test_vcpu *vcpus[HVX_MAX_VCPUS];
	pthread_mutex_t lock;
};

/* /dev/hvx: opened once per process; -1 (errno set) if it is missing. */
int hvx_dev_fd(void);
/* Capabilities, or NULL when /dev/hvx is missing. */
const struct hvx_caps *hvx_dev_caps(void);
/* /dev/hvx is there and says it can create VMs. */
bool hvx_vm_supported(void);
/* The host CPU's and hvx's VMX feature HVX_VMX_* @bit is present. */
bool hvx_has_vmx_feature(uint64_t bit);
/* hvx-stat, in the test host; the selftests read counters through it. */
#define HVX_STAT	"/hvx/bin/hvx-stat"
/*
 * Counter @name (a JSON key of "hvx-stat --json": "exits",
 * "ring_posted", ...) of this process's only VM into @val; false when
 * hvx-stat is not there or does not list the VM.
 */
bool vm_stat(const char *name, uint64_t *val);
/*
 * A system-wide setting (a sysfs or tracefs file) written for one test:
 * its first value in the test is saved and written back by
 * hvx_settings_restore(), which the fixture's teardown calls (after an
 * ASSERT that failed too) and so does a failed TEST_ASSERT before it
 * aborts.  A value read as choices with the one in force bracketed
 * (THP's "always madvise [never]") is saved as that word.  False when
 * the file cannot be read or written.
 */
bool hvx_setting_set(const char *path, const char *val);
/* Write @val (no newline added) over the file at @path: true if whole. */
bool hvx_write_file(const char *path, const char *val);
void hvx_settings_restore(void);
/* Whether the host has swap (/proc/swaps lists a device). */
bool hvx_have_swap(void);
/*
 * Of the @npages pages at @p, those in memory (mincore()), counting the
 * pages @first, @first + @step, ...
 */
unsigned int hvx_resident_pages(const void *p, unsigned int npages,
				unsigned int first, unsigned int step);
/*
 * The cgroup v2 memory controller, mounted at HVX_CG_ROOT if it was not,
 * and an empty child cgroup at @path made for a test; false (errno set)
 * if either is impossible.  The test moves itself in by writing "0" to
 * @path/cgroup.procs, and back to HVX_CG_ROOT before it removes @path.
 */
#define HVX_CG_ROOT	"/sys/fs/cgroup"
bool hvx_memcg_child(const char *path);
/*
 * hvx.ko's module parameters, by name; false when one cannot be read or
 * set.  hvx_param_set() is a hvx_setting_set().
 */
#define HVX_PARAM(name)	"/sys/module/hvx/parameters/" name
bool hvx_param_get(const char *path, unsigned long *val);
bool hvx_param_set(const char *path, unsigned long val);

#define __ioctl_assert(fd, cmd, arg, name) ({				\
	int __ret = ioctl(fd, cmd, arg);				\
									\
	TEST_ASSERT(__ret >= 0, "%s failed, rc: %i errno: %i (%s)",	\
		    name, __ret, errno, strerror(errno));		\
	__ret;								\
})

/* ioctls on a VM or vCPU, raw and asserting. */
#define __vm_ioctl(vm, cmd, arg)	ioctl((vm)->fd, cmd, arg)
#define vm_ioctl(vm, cmd, arg)		__ioctl_assert((vm)->fd, cmd, arg, #cmd)
#define __vcpu_ioctl(vcpu, cmd, arg)	ioctl((vcpu)->fd, cmd, arg)
#define vcpu_ioctl(vcpu, cmd, arg)					\
	__ioctl_assert((vcpu)->fd, cmd, arg, #cmd)

/*
 * vm_create_bare() - a VM with RAM of @ram_size bytes in slot 0 at GPA 0,
 * zeroed, and nothing in it (for tiny images and ioctl tests).
 */
struct test_vm *vm_create_bare(uint64_t ram_size);

/*
 * vm_create() - a long-mode test VM: vm_create_bare(), then the image,
 * page tables, GDT, TSSs and IDT (see processor.h for the layout).
 */
struct test_vm *vm_create(uint64_t ram_size);

/*
 * vm_create_with_one_vcpu() - vm_create(VM_RAM_SIZE_DEFAULT) plus vCPU 0
 * set to run @guest_code in 64-bit mode.
 */
struct test_vm *vm_create_with_one_vcpu(struct test_vcpu **vcpu,
					void *guest_code);

/* Close every fd, unmap everything, free @vm (and its vCPUs). */
void vm_free(struct test_vm *vm);

/* A vCPU with run page mapped and nothing set; raw: NULL with errno. */
struct test_vcpu *__vm_vcpu_add(struct test_vm *vm, uint32_t id);
struct test_vcpu *vm_vcpu_add_bare(struct test_vm *vm, uint32_t id);

/* A vCPU set up to run @guest_code in 64-bit mode (needs vm_create()). */
struct test_vcpu *vm_vcpu_add(struct test_vm *vm, uint32_t id,
			      void *guest_code);

/* Unmap @vcpu's run page and close it: hvx frees it; its id is free. */
void vm_vcpu_close(struct test_vcpu *vcpu);

/*
 * Memory slots.  __vm_set_memory_region() is the raw ioctl (it also keeps
 * the library's view of the slots in step for addr_gpa2hva()).
 * vm_mem_add() mmaps @size bytes of anonymous memory, registers them at
 * @gpa in @slot and returns the host address; deleting such a slot (size
 * 0) or vm_free() unmaps it.  Naming a slot again as it is with only
 * HVX_MEM_LOG_DIRTY changed turns logging on or off and keeps its memory.
 */
int __vm_set_memory_region(struct test_vm *vm, uint32_t slot,
			   uint32_t flags, uint64_t gpa, uint64_t size,
			   void *hva);
void vm_set_memory_region(struct test_vm *vm, uint32_t slot,
			  uint32_t flags, uint64_t gpa, uint64_t size,
			  void *hva);
void *vm_mem_add(struct test_vm *vm, uint32_t slot, uint32_t flags,
		 uint64_t gpa, uint64_t size);

/* The size of a transparent huge page (a 2 MiB EPT page). */
#define THP_SIZE	(2 * MiB)

/*
 * @size bytes of anonymous memory, THP_SIZE aligned and zeroed, that the
 * kernel backed with transparent huge pages (turning THP on for
 * MADV_HUGEPAGE ranges if it was off), or NULL when it could not.
 */
void *thp_memory(size_t size);

/*
 * Host address of guest-physical @gpa, where @len bytes lie in one slot;
 * __addr_gpa2hva() returns NULL otherwise, addr_gpa2hva() aborts.
 */
void *__addr_gpa2hva(struct test_vm *vm, uint64_t gpa, uint64_t len);
void *addr_gpa2hva(struct test_vm *vm, uint64_t gpa, uint64_t len);
/* The library's guests are identity-mapped: GVA == GPA. */
#define addr_gva2hva(vm, gva, len)	addr_gpa2hva(vm, gva, len)
/* Copy @len bytes at host [@start, @end) to guest-physical @gpa. */
void vm_load_blob(struct test_vm *vm, uint64_t gpa, const void *start,
		  const void *end);

/* The guest's copy of host global @g, and copying @g in and out. */
#define guest_global(vm, g)						\
	(*(__typeof__(&(g)))addr_gpa2hva(vm, (uintptr_t)&(g), sizeof(g)))
#define sync_global_to_guest(vm, g)					\
	memcpy(addr_gpa2hva(vm, (uintptr_t)&(g), sizeof(g)), &(g),	\
	       sizeof(g))
#define sync_global_from_guest(vm, g)					\
	memcpy(&(g), addr_gpa2hva(vm, (uintptr_t)&(g), sizeof(g)),	\
	       sizeof(g))

/* Make guest exceptions of @vector call @handler (NULL: report them). */
void vm_install_exception_handler(struct test_vm *vm, int vector,
				  guest_handler_t handler);

/*
 * Running.  __vcpu_run() is the raw ioctl.  vcpu_run() retries EINTR
 * (unless immediate_exit is set) and asserts success.
 */
int __vcpu_run(struct test_vcpu *vcpu);
/*
 * __vcpu_run(), again after each EINTR that came while *@caught (what the
 * test's signal handler counts) stayed 0: the kernel's task work (6.4 and
 * later) ends HVX_RUN with EINTR and no signal too.
 */
int __vcpu_run_to_signal(struct test_vcpu *vcpu,
			 const volatile sig_atomic_t *caught);
void vcpu_run(struct test_vcpu *vcpu);

/*
 * alarm_in_ms() - SIGALRM @ms from now, caught by a handler that only
 * counts it in alarms_caught (0 again here), without SA_RESTART: the
 * call the thread then waits in (an HVX_RUN) ends with EINTR;
 * __vcpu_run_to_signal(vcpu, &alarms_caught) runs on past the kernel's
 * own EINTRs until the alarm.  Return: 0, or -1 with errno.
 */
extern volatile sig_atomic_t alarms_caught;
int alarm_in_ms(unsigned int ms);

/* HVX_RUN with immediate_exit: completes the last exit, enters nothing. */
void vcpu_complete_exit(struct test_vcpu *vcpu);

/* Describe the last exit ("IO out port 0xe7 size 4 ..."), for messages. */
const char *vcpu_exit_str(struct test_vcpu *vcpu, char *buf, size_t len);
void __vcpu_assert_exit_reason(struct test_vcpu *vcpu, uint32_t reason,
			       const char *file, int line);

/*
 * TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_xxx): the last exit was @reason,
 * else print both names, the exit's details (FAIL_ENTRY, INTERNAL_ERROR,
 * a guest assertion) and fail.
 */
#define TEST_ASSERT_EXIT_REASON(vcpu, reason)				\
	__vcpu_assert_exit_reason(vcpu, reason, __FILE__, __LINE__)

/*
 * Run @vcpu to an HVX_EXIT_MMIO of @len bytes at @gpa, a store of @data
 * (@write) or a load, which gets @data; fail otherwise.
 */
void vcpu_expect_mmio(struct test_vcpu *vcpu, uint64_t gpa, uint32_t len,
		      bool write, uint64_t data);

/* Registers. */
void vcpu_regs_get(struct test_vcpu *vcpu, struct hvx_regs *regs);
void vcpu_regs_set(struct test_vcpu *vcpu, const struct hvx_regs *regs);
void vcpu_sregs_get(struct test_vcpu *vcpu, struct hvx_sregs *sregs);
void vcpu_sregs_set(struct test_vcpu *vcpu, const struct hvx_sregs *sregs);
uint64_t vcpu_get_msr(struct test_vcpu *vcpu, uint32_t index);
void vcpu_set_msr(struct test_vcpu *vcpu, uint32_t index, uint64_t val);
/* Set up to 6 guest function arguments (RDI, RSI, ...), each a uint64_t. */
void vcpu_args_set(struct test_vcpu *vcpu, unsigned int n, ...);
/* Set CR4.OSXSAVE; false when hvx refuses (no XSAVE for the guest). */
bool vcpu_enable_osxsave(struct test_vcpu *vcpu);

/* Tiny images (processor.c): start a vCPU of a bare VM in one mode. */

/*
 * vcpu_setup_real_mode() - 16-bit real mode at CS:IP = 0:@ip: every
 * segment selector 0, base 0, limit 0xffff; CR0 = ET; TR a busy TSS and
 * LDTR unusable, as VM entry requires; SP = @sp.
 */
void vcpu_setup_real_mode(struct test_vcpu *vcpu, uint16_t ip, uint16_t sp);

/*
 * vcpu_setup_pm32() - flat 32-bit protected mode, no paging: writes a GDT
 * (null, 0x08 code32, 0x10 data) at @gdt_gpa and starts at @eip with
 * ESP = @esp.
 */
void vcpu_setup_pm32(struct test_vcpu *vcpu, uint64_t gdt_gpa,
		     uint32_t eip, uint32_t esp);

/* Long-mode setup of vm_vcpu_add(), for vCPUs made otherwise. */
void vcpu_setup_long_mode(struct test_vcpu *vcpu, void *guest_code);

/* processor.c: build the page tables, GDT, TSSs and IDT of vm_create(). */
void vm_setup_long_mode(struct test_vm *vm);

/* hvx_util.c: copy the running binary's PT_LOAD segments to the guest. */
void vm_load_image(struct test_vm *vm);

#endif /* HVX_SELFTEST_HVX_UTIL_H */
