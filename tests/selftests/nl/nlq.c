// SPDX-License-Identifier: GPL-2.0
/*
 * A small generic netlink client of the "hvx" family (libnl-genl-3), for
 * the selftests that read what hvx reports: stats_test, mm_test,
 * dirty_switch_test.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>
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

/*
 * Send @msg (freed) as a dump on a netlink socket of its own, and read
 * the replies one datagram, that is one dump round, at a time, handing
 * each message's attributes to @fn.  The socket never received with a
 * large buffer, so the kernel sizes each round for about one message of
 * the largest kind (libnl's sockets ask for 16 KiB rounds).  Return the
 * rounds that carried replies, or the kernel's -errno.
 */
int nlq_dump_by_rounds(struct nl_msg *msg, nlq_reply_fn fn, void *arg)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr *req = nlmsg_hdr(msg), *nlh;
	struct nlattr *tb[HVX_ATTR_MAX + 1];
	int fd, rem, rounds = 0, err = 0;
	bool done = false, replies;
	char *buf = NULL;
	ssize_t len;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	TEST_ASSERT(fd >= 0, "netlink socket: %s", strerror(errno));
	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
	req->nlmsg_seq = 1;
	len = sendto(fd, req, req->nlmsg_len, 0, (void *)&kernel,
		     sizeof(kernel));
	TEST_ASSERT(len == req->nlmsg_len, "sendto: %s", strerror(errno));
	nlmsg_free(msg);
	while (!done && !err) {
		len = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
		TEST_ASSERT(len > 0, "recv: %s", strerror(errno));
		buf = realloc(buf, len);
		TEST_ASSERT(buf && recv(fd, buf, len, 0) == len, "recv");
		replies = false;
		rem = len;
		for (nlh = (void *)buf; nlmsg_ok(nlh, rem) && !done && !err;
		     nlh = nlmsg_next(nlh, &rem)) {
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
			} else if (nlh->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)nlmsg_data(nlh))->error;
			} else {
				TEST_ASSERT(!genlmsg_parse(nlh, 0, tb,
							   HVX_ATTR_MAX, NULL),
					    "a reply that does not parse");
				fn(tb, arg);
				replies = true;
			}
		}
		rounds += replies;
	}
	free(buf);
	close(fd);
	return err ? err : rounds;
}

/* Join "events" on @q; 0 or -errno of the join. */
int nlq_events_join(struct nlq *q)
{
	int grp = genl_ctrl_resolve_grp(q->sk, HVX_GENL_NAME,
					HVX_GENL_MCGRP_EVENTS);

	TEST_ASSERT(grp >= 0, "no events group: %s", nl_geterror(grp));
	if (setsockopt(nl_socket_get_fd(q->sk), SOL_NETLINK,
		       NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)))
		return -errno;
	nl_socket_disable_seq_check(q->sk);
	return 0;
}

struct nlq_event_wait {
	pid_t pid;
	struct nlq_event ev;
	bool got;
};

static int nlq_event_cb(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[HVX_ATTR_MAX + 1];
	struct nlq_event_wait *w = arg;
	struct nlq_event *ev = &w->ev;

	if (w->got || gh->cmd != HVX_CMD_EVENT ||
	    genlmsg_parse(nlmsg_hdr(msg), 0, tb, HVX_ATTR_MAX, NULL) < 0)
		return NL_SKIP;
	ev->pid = attr_u32(tb[HVX_ATTR_PID]);
	if (ev->pid != (uint32_t)w->pid)
		return NL_SKIP;
	ev->event = attr_u32(tb[HVX_ATTR_EVENT]);
	ev->vm = attr_u32(tb[HVX_ATTR_VM_ID]);
	ev->serial = attr_u64(tb[HVX_ATTR_VM_SERIAL]);
	ev->vcpu = tb[HVX_ATTR_VCPU_ID] ? (int)attr_u32(tb[HVX_ATTR_VCPU_ID])
					: -1;
	ev->has_data = tb[HVX_ATTR_EVENT_DATA];
	ev->data = ev->has_data ? attr_u64(tb[HVX_ATTR_EVENT_DATA]) : 0;
	w->got = true;
	return NL_OK;
}

/* The next event about a VM of this process; false after 10 s without. */
bool nlq_next_event(struct nlq *q, struct nlq_event *ev)
{
	struct nlq_event_wait w = { .pid = getpid() };
	struct pollfd p = { .fd = nl_socket_get_fd(q->sk), .events = POLLIN };

	nl_socket_modify_cb(q->sk, NL_CB_VALID, NL_CB_CUSTOM, nlq_event_cb, &w);
	while (!w.got) {
		if (poll(&p, 1, 10000) != 1)
			return false;
		if (nl_recvmsgs_default(q->sk) < 0)
			return false;
	}
	*ev = w.ev;
	return true;
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
