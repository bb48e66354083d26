// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-stat's side of the "hvx" generic netlink family (libnl-genl-3).
 * Documentation/netlink.rst describes the messages.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>

#include "hvx_stat.h"

static uint32_t get_u32(struct nlattr *a, uint32_t dflt)
{
	return a && nla_len(a) >= 4 ? nla_get_u32(a) : dflt;
}

static uint64_t get_u64(struct nlattr *a)
{
	return a && nla_len(a) >= 8 ? nla_get_u64(a) : 0;
}

int hs_open(struct hs_conn *c)
{
	int err;

	c->sk = nl_socket_alloc();
	if (!c->sk)
		return -ENOMEM;
	err = -EIO;
	if (genl_connect(c->sk) < 0)
		goto err_free;
	c->family = genl_ctrl_resolve(c->sk, HVX_GENL_NAME);
	if (c->family < 0) {
		if (c->family == -NLE_OBJ_NOTFOUND)
			err = HS_ERR_NO_FAMILY;
		goto err_free;
	}
	return 0;

err_free:
	nl_socket_free(c->sk);
	c->sk = NULL;
	return err;
}

void hs_close(struct hs_conn *c)
{
	nl_socket_free(c->sk);
	c->sk = NULL;
}

const char *hs_strerror(int err)
{
	if (err == HS_ERR_NO_FAMILY)
		return "the hvx module is not loaded (no generic netlink family \""
		       HVX_GENL_NAME "\")";
	return strerror(-err);
}

/* A request: command @cmd, @flags (NLM_F_DUMP or 0), optional ids. */
static struct nl_msg *request(struct hs_conn *c, uint8_t cmd, int flags,
			      long vm_id, int vcpu_id)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, c->family, 0, flags,
			 cmd, HVX_GENL_VERSION) ||
	    (vm_id >= 0 && nla_put_u32(msg, HVX_ATTR_VM_ID, vm_id) < 0) ||
	    (vcpu_id >= 0 && nla_put_u32(msg, HVX_ATTR_VCPU_ID, vcpu_id) < 0)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

struct txn {
	nl_recvmsg_msg_cb_t fn;
	void *arg;
	int err;
	bool done;
};

static int txn_valid(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;

	return t->fn(msg, t->arg);
}

static int txn_done(struct nl_msg *msg, void *arg)
{
	((struct txn *)arg)->done = true;
	return NL_STOP;
}

/*
 * A dump's end: NLMSG_DONE carries the error that cut the dump short,
 * which libnl passes on without a look.
 */
static int txn_finish(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	int e;

	if (nlmsg_datalen(h) >= (int)sizeof(e)) {
		memcpy(&e, nlmsg_data(h), sizeof(e));
		if (e < 0)
			((struct txn *)arg)->err = e;
	}
	return txn_done(msg, arg);
}

static int txn_error(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct txn *t = arg;

	t->err = e->error;
	t->done = true;
	return NL_STOP;
}

/*
 * Send @msg (freed) and feed every reply to @fn until the request's
 * acknowledgement or the dump's end.  Return 0 or the kernel's -errno.
 */
static int transact(struct hs_conn *c, struct nl_msg *msg,
		    nl_recvmsg_msg_cb_t fn, void *arg)
{
	struct txn t = { .fn = fn, .arg = arg };
	struct nl_cb *cb;
	int err;

	if (!msg)
		return -ENOMEM;
	cb = nl_cb_alloc(NL_CB_DEFAULT);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, txn_valid, &t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, txn_done, &t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, txn_finish, &t);
	nl_cb_err(cb, NL_CB_CUSTOM, txn_error, &t);
	err = nl_send_auto(c->sk, msg);
	nlmsg_free(msg);
	while (err >= 0 && !t.done)
		err = nl_recvmsgs(c->sk, cb);
	nl_cb_put(cb);
	if (t.err)
		return t.err;
	return err < 0 ? -EIO : 0;
}

/* A growing array of @size-byte elements. */
struct vec {
	void *data;
	size_t n, cap, size;
	int err;
};

static void *vec_add(struct vec *v)
{
	void *p;

	if (v->n == v->cap) {
		size_t cap = v->cap ? 2 * v->cap : 16;

		p = realloc(v->data, cap * v->size);
		if (!p) {
			v->err = -ENOMEM;
			return NULL;
		}
		v->data = p;
		v->cap = cap;
	}
	p = (char *)v->data + v->n++ * v->size;
	memset(p, 0, v->size);
	return p;
}

static int parse_vm(struct nl_msg *msg, struct hs_vm *vm)
{
	struct nlattr *tb[HVX_ATTR_MAX + 1];
	int err;

	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, HVX_ATTR_MAX, NULL);
	if (err < 0)
		return err;
	vm->id = get_u32(tb[HVX_ATTR_VM_ID], 0);
	vm->serial = get_u64(tb[HVX_ATTR_VM_SERIAL]);
	vm->pid = get_u32(tb[HVX_ATTR_PID], 0);
	vm->nr_vcpus = get_u32(tb[HVX_ATTR_NR_VCPUS], 0);
	vm->state = get_u32(tb[HVX_ATTR_STATE], 0);
	vm->mem_size = get_u64(tb[HVX_ATTR_MEM_SIZE]);
	vm->mapped[0] = get_u64(tb[HVX_ATTR_MAPPED_4K]);
	vm->mapped[1] = get_u64(tb[HVX_ATTR_MAPPED_2M]);
	vm->mapped[2] = get_u64(tb[HVX_ATTR_MAPPED_1G]);
	vm->splits = get_u64(tb[HVX_ATTR_EPT_SPLITS]);
	return 0;
}

static int vm_cb(struct nl_msg *msg, void *arg)
{
	struct vec *v = arg;
	struct hs_vm *vm = vec_add(v);

	/* a reply that does not parse is no VM, as in stats_cb() */
	if (vm && parse_vm(msg, vm))
		v->n--;
	return NL_OK;
}

static int cmp_vm(const void *a, const void *b)
{
	const struct hs_vm *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int hs_list_vms(struct hs_conn *c, struct hs_vm **vms, size_t *n)
{
	struct vec v = { .size = sizeof(struct hs_vm) };
	int err;

	err = transact(c, request(c, HVX_CMD_GET_VM, NLM_F_DUMP, -1, -1),
		       vm_cb, &v);
	if (!err)
		err = v.err;
	if (err) {
		free(v.data);
		return err;
	}
	qsort(v.data, v.n, sizeof(struct hs_vm), cmp_vm);
	*vms = v.data;
	*n = v.n;
	return 0;
}

int hs_find_vm(struct hs_conn *c, uint32_t pid, uint32_t *id)
{
	struct hs_vm *vms = NULL;
	size_t n = 0, i;
	int err = hs_list_vms(c, &vms, &n);

	for (i = 0; !err && i < n; i++)
		if (vms[i].pid == pid)
			break;
	if (!err && i == n)
		err = -ESRCH;
	if (!err)
		*id = vms[i].id;
	free(vms);
	return err;
}

int hs_get_vm(struct hs_conn *c, uint32_t id, struct hs_vm *vm)
{
	struct vec v = { .size = sizeof(struct hs_vm) };
	int err;

	err = transact(c, request(c, HVX_CMD_GET_VM, 0, id, -1), vm_cb, &v);
	if (!err)
		err = v.err ? v.err : v.n ? 0 : -EBADMSG;
	if (!err)
		*vm = *(struct hs_vm *)v.data;
	free(v.data);
	return err;
}

static void parse_reasons(struct nlattr *nest, struct hs_stats *st)
{
	struct nlattr *entry, *tb[HVX_EXIT_COUNT_ATTR_MAX + 1];
	uint32_t reason;
	int rem;

	nla_for_each_nested(entry, nest, rem) {
		if (nla_type(entry) != HVX_EXIT_REASONS_ATTR_ENTRY ||
		    nla_parse_nested(tb, HVX_EXIT_COUNT_ATTR_MAX, entry, NULL))
			continue;
		reason = get_u32(tb[HVX_EXIT_COUNT_ATTR_REASON], UINT32_MAX);
		if (reason < HS_EXIT_REASONS)
			st->reasons[reason] = get_u64(tb[HVX_EXIT_COUNT_ATTR_COUNT]);
	}
}

static int parse_stats(struct nl_msg *msg, struct hs_stats *st)
{
	struct nlattr *tb[HVX_ATTR_MAX + 1], *sb[HVX_STATS_ATTR_MAX + 1];
	int err;

	err = genlmsg_parse(nlmsg_hdr(msg), 0, tb, HVX_ATTR_MAX, NULL);
	if (err < 0)
		return err;
	st->vm_id = get_u32(tb[HVX_ATTR_VM_ID], 0);
	st->vm_serial = get_u64(tb[HVX_ATTR_VM_SERIAL]);
	st->vcpu_id = get_u32(tb[HVX_ATTR_VCPU_ID], UINT32_MAX);
	if (!tb[HVX_ATTR_STATS] ||
	    nla_parse_nested(sb, HVX_STATS_ATTR_MAX, tb[HVX_ATTR_STATS], NULL))
		return -EBADMSG;
	st->exits = get_u64(sb[HVX_STATS_ATTR_EXITS]);
	st->ring_posted = get_u64(sb[HVX_STATS_ATTR_RING_POSTED]);
	st->ring_fallback = get_u64(sb[HVX_STATS_ATTR_RING_FALLBACK]);
	st->guest_ns = get_u64(sb[HVX_STATS_ATTR_GUEST_NS]);
	st->host_ns = get_u64(sb[HVX_STATS_ATTR_HOST_NS]);
	st->runs = get_u64(sb[HVX_STATS_ATTR_RUNS]);
	st->l1d_flushes = get_u64(sb[HVX_STATS_ATTR_L1D_FLUSHES]);
	st->irqs = get_u64(sb[HVX_STATS_ATTR_IRQS_INJECTED]);
	st->nmis = get_u64(sb[HVX_STATS_ATTR_NMIS_INJECTED]);
	st->halts = get_u64(sb[HVX_STATS_ATTR_HALTS]);
	st->poll_ok = get_u64(sb[HVX_STATS_ATTR_HALT_POLL_OK]);
	st->poll_fail = get_u64(sb[HVX_STATS_ATTR_HALT_POLL_FAIL]);
	st->timer_vmx = get_u64(sb[HVX_STATS_ATTR_TIMER_VMX]);
	if (sb[HVX_STATS_ATTR_EXIT_REASONS])
		parse_reasons(sb[HVX_STATS_ATTR_EXIT_REASONS], st);
	return 0;
}

static int stats_cb(struct nl_msg *msg, void *arg)
{
	struct vec *v = arg;
	struct hs_stats *st = vec_add(v);

	if (st && parse_stats(msg, st))
		v->n--;
	return NL_OK;
}

int hs_get_stats(struct hs_conn *c, uint32_t id, int vcpu_id,
		 struct hs_stats *st)
{
	struct vec v = { .size = sizeof(struct hs_stats) };
	int err;

	err = transact(c, request(c, HVX_CMD_GET_STATS, 0, id, vcpu_id),
		       stats_cb, &v);
	if (!err)
		err = v.err ? v.err : v.n ? 0 : -EBADMSG;
	if (!err)
		*st = *(struct hs_stats *)v.data;
	free(v.data);
	return err;
}

int hs_dump_stats(struct hs_conn *c, long id, struct hs_stats **st,
		  size_t *n)
{
	struct vec v = { .size = sizeof(struct hs_stats) };
	int err;

	err = transact(c, request(c, HVX_CMD_GET_STATS, NLM_F_DUMP, id, -1),
		       stats_cb, &v);
	if (!err)
		err = v.err;
	if (err) {
		free(v.data);
		return err;
	}
	*st = v.data;
	*n = v.n;
	return 0;
}

struct watch {
	void (*fn)(const struct hs_event *ev, void *arg);
	void *arg;
};

static int event_cb(struct nl_msg *msg, void *arg)
{
	struct genlmsghdr *gh = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[HVX_ATTR_MAX + 1];
	struct watch *w = arg;
	struct hs_event ev;

	/* the parse checks that the message holds the header first */
	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, HVX_ATTR_MAX, NULL) < 0 ||
	    gh->cmd != HVX_CMD_EVENT)
		return NL_SKIP;
	memset(&ev, 0, sizeof(ev));
	ev.event = get_u32(tb[HVX_ATTR_EVENT], 0);
	ev.vm_id = get_u32(tb[HVX_ATTR_VM_ID], 0);
	ev.vm_serial = get_u64(tb[HVX_ATTR_VM_SERIAL]);
	ev.pid = get_u32(tb[HVX_ATTR_PID], 0);
	ev.vcpu_id = get_u32(tb[HVX_ATTR_VCPU_ID], UINT32_MAX);
	ev.has_data = tb[HVX_ATTR_EVENT_DATA];
	ev.data = get_u64(tb[HVX_ATTR_EVENT_DATA]);
	w->fn(&ev, w->arg);
	return NL_OK;
}

int hs_watch(struct hs_conn *c, void (*fn)(const struct hs_event *ev,
					   void *arg), void *arg)
{
	struct watch w = { fn, arg };
	int grp, err;

	grp = genl_ctrl_resolve_grp(c->sk, HVX_GENL_NAME,
				    HVX_GENL_MCGRP_EVENTS);
	if (grp < 0)
		return -ENOENT;
	/* setsockopt itself, for its errno: EPERM without CAP_NET_ADMIN */
	if (setsockopt(nl_socket_get_fd(c->sk), SOL_NETLINK,
		       NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)))
		return -errno;
	nl_socket_disable_seq_check(c->sk);
	nl_socket_modify_cb(c->sk, NL_CB_VALID, NL_CB_CUSTOM, event_cb, &w);
	for (;;) {
		/* Lost events (ENOBUFS) or a signal: go on listening. */
		err = nl_recvmsgs_default(c->sk);
		if (err == -NLE_NOMEM)
			fprintf(stderr, "hvx-stat: events lost (receive buffer full)\n");
		else if (err < 0 && err != -NLE_INTR)
			return -EIO;
	}
}
