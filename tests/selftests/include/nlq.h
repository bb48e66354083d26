/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small generic netlink client of the "hvx" family (nl/nlq.c), for
 * selftests built with libnl-genl-3 (ST_EXTRA_* in the Makefile).
 */
#ifndef HVX_SELFTEST_NLQ_H
#define HVX_SELFTEST_NLQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/hvx.h>

struct nl_sock;
struct nl_msg;
struct nlattr;

struct nlq {
	struct nl_sock *sk;
	int family;
};

/* Connect and resolve "hvx"; -ENOENT when the family is missing. */
int nlq_open(struct nlq *q);
void nlq_close(struct nlq *q);
/* A request for @cmd; the caller adds attributes. */
struct nl_msg *nlq_msg(struct nlq *q, uint8_t cmd, int flags);

typedef void (*nlq_reply_fn)(struct nlattr **tb, void *arg);
/*
 * Send @msg (freed), hand each reply's attributes to @fn, and return 0 or
 * the kernel's -errno.
 */
int nlq_send(struct nlq *q, struct nl_msg *msg, nlq_reply_fn fn, void *arg);

/*
 * Send @msg (freed) as a dump on a socket of its own and read it one
 * round (one datagram) at a time, each round sized for one message:
 * each reply's attributes to @fn.  The rounds that carried replies, or
 * the kernel's -errno.
 */
int nlq_dump_by_rounds(struct nl_msg *msg, nlq_reply_fn fn, void *arg);

/* An HVX_CMD_EVENT notification of the "events" group. */
struct nlq_event {
	uint32_t event, vm, pid;
	uint64_t serial;
	int vcpu;
	bool has_data;
	uint64_t data;
};

/* Join "events" on @q; 0 or -errno of the join. */
int nlq_events_join(struct nlq *q);
/* The next event about a VM of this process; false after 10 s without. */
bool nlq_next_event(struct nlq *q, struct nlq_event *ev);

/* An attribute's value; a missing or malformed one fails the test. */
uint32_t attr_u32(struct nlattr *a);
uint64_t attr_u64(struct nlattr *a);

/* What HVX_CMD_GET_VM reports. */
struct vm_info {
	uint32_t id, pid, nr_vcpus, state;
	uint64_t serial;
	uint64_t mem_size;
	uint64_t mapped[3];	/* EPT pages now: 4 KiB, 2 MiB, 1 GiB */
	uint64_t splits;	/* large EPT pages split in place */
};

struct vm_list {
	struct vm_info vm[64];
	int n;
};

/* Room for vm_info_str()'s text. */
#define VM_INFO_STR	64

/* @v's EPT pages and splits as "4K/2M %llu/%llu, %llu splits", in @buf. */
const char *vm_info_str(const struct vm_info *v, char buf[VM_INFO_STR]);

/* Add one HVX_CMD_GET_VM reply to a struct vm_list (nlq_send()'s @arg). */
void vm_list_add(struct nlattr **tb, void *arg);
/* Every VM the caller may read (HVX_CMD_GET_VM dump). */
int list_vms(struct nlq *q, struct vm_list *l);
/* The one VM of process @pid; anything else fails the test. */
struct vm_info vm_of_pid(struct nlq *q, pid_t pid);

/* What HVX_CMD_GET_STATS reports. */
struct stats {
	uint32_t vm_id;
	int vcpu;
	uint64_t vm_serial;
	uint64_t exits, runs, guest_ns, host_ns, posted, fallback;
	uint64_t reason[128];
	uint64_t reason_sum;
};

struct stats_list {
	struct stats s[HVX_MAX_VCPUS + 1];
	int n;
};

/* Fill the next entry of a struct stats_list (nlq_send()'s @arg). */
void stats_cb(struct nlattr **tb, void *arg);
/* HVX_CMD_GET_STATS of VM @vm, vCPU @vcpu (< 0: the VM's totals). */
int get_stats(struct nlq *q, uint32_t vm, int vcpu, struct stats *s);

#endif /* HVX_SELFTEST_NLQ_H */
