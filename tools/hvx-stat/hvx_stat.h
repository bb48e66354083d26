/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx-stat: what the "hvx" generic netlink family reports, as plain C
 * structures (nl.c fills them with libnl-genl), and the exit reason names
 * (reasons.c).
 */
#ifndef HVX_STAT_H
#define HVX_STAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/hvx.h>

/* Exit reasons the module counts one by one (it sends no higher ones). */
#define HS_EXIT_REASONS	128

/* One VM, from HVX_CMD_GET_VM. */
struct hs_vm {
	uint32_t id;
	uint64_t serial;	/* never reused, unlike @id */
	uint32_t pid;
	uint32_t nr_vcpus;
	uint32_t state;		/* enum hvx_vm_state */
	uint64_t mem_size;	/* bytes */
	uint64_t mapped[3];	/* EPT pages mapped now: 4 KiB, 2 MiB, 1 GiB */
	uint64_t splits;	/* large EPT pages split in place */
};

/* One set of counters, from HVX_CMD_GET_STATS. */
struct hs_stats {
	uint32_t vm_id;
	uint64_t vm_serial;
	int32_t vcpu_id;	/* -1: the VM's totals */
	uint64_t exits;
	uint64_t ring_posted;
	uint64_t ring_fallback;
	uint64_t guest_ns;
	uint64_t host_ns;
	uint64_t runs;
	uint64_t l1d_flushes;
	uint64_t irqs, nmis, halts;	/* interrupts, NMIs delivered; HLT sleeps */
	uint64_t poll_ok, poll_fail;	/* halt polls that ended the halt, not */
	uint64_t timer_vmx;		/* APIC timer ticks on the VMX timer */
	uint64_t reasons[HS_EXIT_REASONS];
};

/* One notification of the "events" group. */
struct hs_event {
	uint32_t event;		/* enum hvx_event */
	uint32_t vm_id;
	uint64_t vm_serial;
	uint32_t pid;
	int32_t vcpu_id;	/* -1 for VM events */
	bool has_data;
	uint64_t data;
};

struct nl_sock;

/* A connection to the family. */
struct hs_conn {
	struct nl_sock *sk;
	int family;
};

/*
 * nl.c.  Every function returns 0 or a negative errno (the kernel's own
 * for a refused request); hs_open() returns HS_ERR_NO_FAMILY when the
 * module is not loaded.  hs_strerror() describes either.
 */
#define HS_ERR_NO_FAMILY	(-10000)

int hs_open(struct hs_conn *c);
void hs_close(struct hs_conn *c);
/* Every VM the caller may read, sorted by id; free(*vms). */
int hs_list_vms(struct hs_conn *c, struct hs_vm **vms, size_t *n);
/* The first VM (lowest id) of process @pid; -ESRCH when it has none. */
int hs_find_vm(struct hs_conn *c, uint32_t pid, uint32_t *id);
int hs_get_vm(struct hs_conn *c, uint32_t id, struct hs_vm *vm);
/* The totals of VM @id, or of its vCPU @vcpu_id (>= 0). */
int hs_get_stats(struct hs_conn *c, uint32_t id, int vcpu_id,
		 struct hs_stats *st);
/* Dump: each vCPU of VM @id, or (@id < 0) the totals of every VM. */
int hs_dump_stats(struct hs_conn *c, long id, struct hs_stats **st,
		  size_t *n);
/* Join the events group and call @fn for each event, forever. */
int hs_watch(struct hs_conn *c, void (*fn)(const struct hs_event *ev,
					   void *arg), void *arg);
const char *hs_strerror(int err);

/* reasons.c: "CPUID" for 10; NULL for a number <asm/vmx.h> does not name */
const char *hs_exit_reason_name(uint32_t reason);

#endif /* HVX_STAT_H */
