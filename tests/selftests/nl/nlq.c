// SPDX-License-Identifier: GPL-2.0
/*
 * A small generic netlink client of the "hvx" family (libnl-genl-3), for
 * the selftests that read what hvx reports: stats_test, mm_test,
 * dirty_switch_test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "nlq.h"
#include "test_util.h"

/* Connect and resolve "hvx"; -ENOENT when the family is missing. */
int nlq_open(struct nlq *q)
{
	q->sk = nl_socket_alloc();
	if (!q->sk)
		return -ENOMEM;
	if (genl_connect(q->sk) < 0) {
		nl_socket_free(q->sk);
		return -EIO;
	}
	q->family = genl_ctrl_resolve(q->sk, HVX_GENL_NAME);
	if (q->family < 0) {
		nl_socket_free(q->sk);
		return -ENOENT;
	}
	return 0;
}

void nlq_close(struct nlq *q)
{
	nl_socket_free(q->sk);
}

/* A request for @cmd; the caller adds attributes. */
struct nl_msg *nlq_msg(struct nlq *q, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	TEST_ASSERT(msg, "nlmsg_alloc");
	TEST_ASSERT(genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, q->family, 0,
				flags, cmd, HVX_GENL_VERSION), "genlmsg_put");
	return msg;
}

struct nlq_ctx {
	nlq_reply_fn fn;
	void *arg;
	int error;
	int replies;
	bool done;
};

static int nlq_valid_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[HVX_ATTR_MAX + 1];
	struct nlq_ctx *c = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, HVX_ATTR_MAX, NULL) < 0) {
		c->error = -EBADMSG;
		return NL_STOP;
	}
	c->replies++;
	if (c->fn)
		c->fn(tb, c->arg);
	return NL_OK;
}

static int nlq_done_cb(struct nl_msg *msg, void *arg)
{
	((struct nlq_ctx *)arg)->done = true;
	return NL_STOP;
}

static int nlq_err_cb(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nlq_ctx *c = arg;

	c->error = e->error;
	c->done = true;
	return NL_STOP;
}

/*
 * Send @msg (freed), hand each reply's attributes to @fn, and return 0 or
 * the kernel's -errno: a request ends with its acknowledgement, a dump
 * with NLMSG_DONE.
 */
int nlq_send(struct nlq *q, struct nl_msg *msg, nlq_reply_fn fn,
		    void *arg)
{
	struct nlq_ctx c = { .fn = fn, .arg = arg };
	struct nl_cb *cb = nl_cb_alloc(NL_CB_DEFAULT);
	int err;

	TEST_ASSERT(cb, "nl_cb_alloc");
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, nlq_valid_cb, &c);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, nlq_done_cb, &c);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, nlq_done_cb, &c);
	nl_cb_err(cb, NL_CB_CUSTOM, nlq_err_cb, &c);
	nl_socket_enable_auto_ack(q->sk);
	err = nl_send_auto(q->sk, msg);
	nlmsg_free(msg);
	TEST_ASSERT(err >= 0, "nl_send_auto: %s", nl_geterror(err));
	while (!c.done) {
		err = nl_recvmsgs(q->sk, cb);
		if (err < 0) {
			if (!c.error)
				c.error = -EIO;
			break;
		}
	}
	nl_cb_put(cb);
	return c.error;
}

uint32_t attr_u32(struct nlattr *a)
{
	TEST_ASSERT(a && nla_len(a) == 4, "missing or bad u32 attribute");
	return nla_get_u32(a);
}

uint64_t attr_u64(struct nlattr *a)
{
	TEST_ASSERT(a && nla_len(a) == 8, "missing or bad u64 attribute");
	return nla_get_u64(a);
}

void vm_list_add(struct nlattr **tb, void *arg)
{
	struct vm_list *l = arg;
	struct vm_info *vm;

	TEST_ASSERT(l->n < (int)ARRAY_SIZE(l->vm), "too many VMs");
	vm = &l->vm[l->n++];
	vm->id = attr_u32(tb[HVX_ATTR_VM_ID]);
	vm->serial = attr_u64(tb[HVX_ATTR_VM_SERIAL]);
	vm->pid = attr_u32(tb[HVX_ATTR_PID]);
	vm->nr_vcpus = attr_u32(tb[HVX_ATTR_NR_VCPUS]);
	vm->state = attr_u32(tb[HVX_ATTR_STATE]);
	vm->mem_size = attr_u64(tb[HVX_ATTR_MEM_SIZE]);
	vm->mapped[0] = attr_u64(tb[HVX_ATTR_MAPPED_4K]);
	vm->mapped[1] = attr_u64(tb[HVX_ATTR_MAPPED_2M]);
	vm->mapped[2] = attr_u64(tb[HVX_ATTR_MAPPED_1G]);
	vm->splits = attr_u64(tb[HVX_ATTR_EPT_SPLITS]);
}

int list_vms(struct nlq *q, struct vm_list *l)
{
	l->n = 0;
	return nlq_send(q, nlq_msg(q, HVX_CMD_GET_VM, NLM_F_DUMP), vm_list_add,
			l);
}

/* The one VM of process @pid (the harness runs each test in a child). */
struct vm_info vm_of_pid(struct nlq *q, pid_t pid)
{
	struct vm_info found = {};
	struct vm_list l;
	int i, n = 0;

	TEST_ASSERT(!list_vms(q, &l), "HVX_CMD_GET_VM dump failed");
	for (i = 0; i < l.n; i++) {
		if (l.vm[i].pid == (uint32_t)pid) {
			found = l.vm[i];
			n++;
		}
	}
	TEST_ASSERT(n == 1, "%d VMs of pid %d in the dump, want 1", n, pid);
	return found;
}

void stats_cb(struct nlattr **tb, void *arg)
{
	struct nlattr *sb[HVX_STATS_ATTR_MAX + 1];
	struct nlattr *cb[HVX_EXIT_COUNT_ATTR_MAX + 1];
	struct stats_list *l = arg;
	struct nlattr *e;
	struct stats *s;
	uint32_t r;
	int rem;

	TEST_ASSERT(l->n < (int)ARRAY_SIZE(l->s), "too many replies");
	s = &l->s[l->n++];
	memset(s, 0, sizeof(*s));
	s->vm_id = attr_u32(tb[HVX_ATTR_VM_ID]);
	s->vm_serial = attr_u64(tb[HVX_ATTR_VM_SERIAL]);
	s->vcpu = tb[HVX_ATTR_VCPU_ID] ? (int)attr_u32(tb[HVX_ATTR_VCPU_ID])
				       : -1;
	TEST_ASSERT(tb[HVX_ATTR_STATS] &&
		    !nla_parse_nested(sb, HVX_STATS_ATTR_MAX,
				      tb[HVX_ATTR_STATS], NULL),
		    "no HVX_ATTR_STATS");
	s->exits = attr_u64(sb[HVX_STATS_ATTR_EXITS]);
	s->runs = attr_u64(sb[HVX_STATS_ATTR_RUNS]);
	s->guest_ns = attr_u64(sb[HVX_STATS_ATTR_GUEST_NS]);
	s->host_ns = attr_u64(sb[HVX_STATS_ATTR_HOST_NS]);
	s->posted = attr_u64(sb[HVX_STATS_ATTR_RING_POSTED]);
	s->fallback = attr_u64(sb[HVX_STATS_ATTR_RING_FALLBACK]);
	TEST_ASSERT(sb[HVX_STATS_ATTR_EXIT_REASONS], "no exit reasons");
	nla_for_each_nested(e, sb[HVX_STATS_ATTR_EXIT_REASONS], rem) {
		TEST_ASSERT(nla_type(e) == HVX_EXIT_REASONS_ATTR_ENTRY &&
			    !nla_parse_nested(cb, HVX_EXIT_COUNT_ATTR_MAX, e,
					      NULL), "bad exit reason entry");
		r = attr_u32(cb[HVX_EXIT_COUNT_ATTR_REASON]);
		TEST_ASSERT(r < ARRAY_SIZE(s->reason) && !s->reason[r],
			    "reason %u out of range or twice", r);
		s->reason[r] = attr_u64(cb[HVX_EXIT_COUNT_ATTR_COUNT]);
		TEST_ASSERT(s->reason[r], "reason %u sent with count 0", r);
		s->reason_sum += s->reason[r];
	}
}

/* HVX_CMD_GET_STATS of VM @vm, vCPU @vcpu (< 0: the VM's totals). */
int get_stats(struct nlq *q, uint32_t vm, int vcpu, struct stats *s)
{
	struct nl_msg *msg = nlq_msg(q, HVX_CMD_GET_STATS, 0);
	struct stats_list l = {};
	int err;

	nla_put_u32(msg, HVX_ATTR_VM_ID, vm);
	if (vcpu >= 0)
		nla_put_u32(msg, HVX_ATTR_VCPU_ID, vcpu);
	err = nlq_send(q, msg, stats_cb, &l);
	if (!err) {
		TEST_ASSERT(l.n == 1, "%d replies", l.n);
		*s = l.s[0];
	}
	return err;
}

const char *vm_info_str(const struct vm_info *v, char buf[VM_INFO_STR])
{
	snprintf(buf, VM_INFO_STR, "4K/2M %llu/%llu, %llu splits",
		 (unsigned long long)v->mapped[0],
		 (unsigned long long)v->mapped[1],
		 (unsigned long long)v->splits);
	return buf;
}
