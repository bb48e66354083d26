// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "hvx": the list of VMs, their statistics and
 * the "events" multicast group.  Documentation/netlink.rst describes the
 * protocol; uapi/linux/hvx.h defines it.
 *
 * Who may read what.  A process may read the VMs it created, matched by
 * its struct pid (vm->owner, referenced by the VM) and not by number: a
 * number is reused once its process is gone, a struct pid is not while a
 * reference lives.  Any other VM needs CAP_NET_ADMIN,
 * checked with netlink_capable() on the request: the capability generic
 * netlink itself asks for administrative requests (GENL_ADMIN_PERM), and
 * a check that the task which opened the socket holds it as well as the
 * one sending, so a privileged process cannot lend its rights to another
 * through a socket.  An explicit check in the handlers, not
 * GENL_ADMIN_PERM, because unprivileged processes may still read their
 * own VMs.  The events group reports every VM's events and cannot filter
 * per listener, so joining it needs CAP_NET_ADMIN too.
 *
 * Lifetimes.  A handler finds VMs on hvx_vm_list under hvx_vm_list_lock,
 * which hvx_vm_free() takes before it tears a VM down, and takes a
 * reference (vm->users) before it drops the lock; only then does it take
 * the VM's own locks, since their holders may sleep for as long as the
 * VM's owner likes (a fault on its memory) and every VM creation and
 * destruction on the host waits for hvx_vm_list_lock.  A VM that is
 * already dying (no users left) is skipped.  vm->lock keeps its vCPUs.
 * A dump remembers where it stopped by VM id (and vCPU id), never by
 * pointer.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/kernel.h>
#include <linux/nospec.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <net/genetlink.h>

#include "compat.h"
#include "vcpu.h"

/**
 * struct hvx_nl_reader - who sent a request
 * @tgid:	the sending process, referenced (hvx_nl_reader_init())
 * @admin:	it may read every VM (CAP_NET_ADMIN, see above)
 */
struct hvx_nl_reader {
	struct pid *tgid;
	bool admin;
};

/**
 * struct hvx_nl_dump - where a dump stands, kept in cb->ctx
 * @who:	the requester, as .start found it
 * @last_vm:	id of the last VM dumped, -1 before the first
 * @last_vcpu:	per-vCPU dump: id of the last vCPU dumped, -1 before
 * @one_vm:	HVX_ATTR_VM_ID was given: dump only VM @vm_id
 * @vm_id:	that VM's id
 * @vm_serial:	and its serial: a VM made later may get the same id
 */
struct hvx_nl_dump {
	struct hvx_nl_reader who;
	int last_vm;
	int last_vcpu;
	bool one_vm;
	u32 vm_id;
	u64 vm_serial;
};

static_assert(sizeof(struct hvx_nl_dump) <=
	      sizeof_field(struct netlink_callback, ctx));

static struct genl_family hvx_genl_family;

enum hvx_nl_mcgrp {
	HVX_MCGRP_EVENTS,
};

static const struct genl_multicast_group hvx_nl_mcgrps[] = {
	[HVX_MCGRP_EVENTS] = {
		.name	= HVX_GENL_MCGRP_EVENTS,
		.flags	= GENL_MCAST_CAP_NET_ADMIN,
	},
};

/*
 * The policies cover every attribute the family defines, so that a
 * request is checked strictly (unknown types and wrong lengths are
 * refused) and the policy dump of the controller documents the replies.
 */
static const struct nla_policy
hvx_exit_count_policy[HVX_EXIT_COUNT_ATTR_MAX + 1] = {
	[HVX_EXIT_COUNT_ATTR_UNSPEC]	= { .strict_start_type = 1 },
	[HVX_EXIT_COUNT_ATTR_PAD]	= { .type = NLA_REJECT },
	[HVX_EXIT_COUNT_ATTR_REASON]	=
		NLA_POLICY_MAX(NLA_U32, HVX_STATS_EXIT_REASONS - 1),
	[HVX_EXIT_COUNT_ATTR_COUNT]	= { .type = NLA_U64 },
};

static const struct nla_policy
hvx_exit_reasons_policy[HVX_EXIT_REASONS_ATTR_MAX + 1] = {
	[HVX_EXIT_REASONS_ATTR_UNSPEC]	= { .strict_start_type = 1 },
	[HVX_EXIT_REASONS_ATTR_ENTRY]	=
		NLA_POLICY_NESTED(hvx_exit_count_policy),
};

static const struct nla_policy hvx_stats_policy[HVX_STATS_ATTR_MAX + 1] = {
	[HVX_STATS_ATTR_UNSPEC]		= { .strict_start_type = 1 },
	[HVX_STATS_ATTR_PAD]		= { .type = NLA_REJECT },
	[HVX_STATS_ATTR_EXITS]		= { .type = NLA_U64 },
	[HVX_STATS_ATTR_EXIT_REASONS]	=
		NLA_POLICY_NESTED(hvx_exit_reasons_policy),
	[HVX_STATS_ATTR_RING_POSTED]	= { .type = NLA_U64 },
	[HVX_STATS_ATTR_RING_FALLBACK]	= { .type = NLA_U64 },
	[HVX_STATS_ATTR_GUEST_NS]	= { .type = NLA_U64 },
	[HVX_STATS_ATTR_HOST_NS]	= { .type = NLA_U64 },
	[HVX_STATS_ATTR_RUNS]		= { .type = NLA_U64 },
	[HVX_STATS_ATTR_L1D_FLUSHES]	= { .type = NLA_U64 },
	[HVX_STATS_ATTR_IRQS_INJECTED]	= { .type = NLA_U64 },
	[HVX_STATS_ATTR_NMIS_INJECTED]	= { .type = NLA_U64 },
	[HVX_STATS_ATTR_HALTS]		= { .type = NLA_U64 },
	[HVX_STATS_ATTR_IPIS_SENT]	= { .type = NLA_U64 },
	[HVX_STATS_ATTR_HALT_POLL_OK]	= { .type = NLA_U64 },
	[HVX_STATS_ATTR_HALT_POLL_FAIL]	= { .type = NLA_U64 },
	[HVX_STATS_ATTR_TIMER_VMX]	= { .type = NLA_U64 },
};

static const struct nla_policy hvx_nl_policy[HVX_ATTR_MAX + 1] = {
	[HVX_ATTR_UNSPEC]	= { .strict_start_type = 1 },
	[HVX_ATTR_PAD]		= { .type = NLA_REJECT },
	[HVX_ATTR_VM_ID]	= { .type = NLA_U32 },
	[HVX_ATTR_VCPU_ID]	= NLA_POLICY_MAX(NLA_U32, HVX_MAX_VCPUS - 1),
	[HVX_ATTR_PID]		= { .type = NLA_U32 },
	[HVX_ATTR_NR_VCPUS]	= NLA_POLICY_MAX(NLA_U32, HVX_MAX_VCPUS),
	[HVX_ATTR_MEM_SIZE]	= { .type = NLA_U64 },
	[HVX_ATTR_MSI_DROPPED]	= { .type = NLA_U64 },
	[HVX_ATTR_MAPPED_4K]	= { .type = NLA_U64 },
	[HVX_ATTR_MAPPED_2M]	= { .type = NLA_U64 },
	[HVX_ATTR_MAPPED_1G]	= { .type = NLA_U64 },
	[HVX_ATTR_EPT_SPLITS]	= { .type = NLA_U64 },
	[HVX_ATTR_STATE]	= NLA_POLICY_MAX(NLA_U32, HVX_VM_STATE_MAX),
	[HVX_ATTR_STATS]	= NLA_POLICY_NESTED(hvx_stats_policy),
	[HVX_ATTR_EVENT]	= NLA_POLICY_RANGE(NLA_U32, 1, HVX_EVENT_MAX),
	[HVX_ATTR_EVENT_DATA]	= { .type = NLA_U64 },
	[HVX_ATTR_VM_SERIAL]	= { .type = NLA_U64 },
};

/* The counters HVX_ATTR_STATS carries besides the exit reasons. */
static const struct {
	u16 attr;
	u16 idx;
} hvx_nl_scalars[] = {
	{ HVX_STATS_ATTR_EXITS,		HVX_STAT_EXITS },
	{ HVX_STATS_ATTR_RING_POSTED,	HVX_STAT_RING_POSTED },
	{ HVX_STATS_ATTR_RING_FALLBACK,	HVX_STAT_RING_FALLBACK },
	{ HVX_STATS_ATTR_GUEST_NS,	HVX_STAT_GUEST_CYCLES },
	{ HVX_STATS_ATTR_HOST_NS,	HVX_STAT_HOST_CYCLES },
	{ HVX_STATS_ATTR_RUNS,		HVX_STAT_RUNS },
	{ HVX_STATS_ATTR_L1D_FLUSHES,	HVX_STAT_L1D_FLUSHES },
	{ HVX_STATS_ATTR_IRQS_INJECTED,	HVX_STAT_IRQS_INJECTED },
	{ HVX_STATS_ATTR_NMIS_INJECTED,	HVX_STAT_NMIS_INJECTED },
	{ HVX_STATS_ATTR_HALTS,		HVX_STAT_HALTS },
	{ HVX_STATS_ATTR_IPIS_SENT,	HVX_STAT_IPIS_SENT },
	{ HVX_STATS_ATTR_HALT_POLL_OK,	HVX_STAT_HALT_POLL_OK },
	{ HVX_STATS_ATTR_HALT_POLL_FAIL, HVX_STAT_HALT_POLL_FAIL },
	{ HVX_STATS_ATTR_TIMER_VMX,	HVX_STAT_TIMER_VMX },
};

/* Payload of the largest HVX_CMD_GET_STATS message. */
static size_t hvx_nl_stats_size(void)
{
	size_t entry = nla_total_size(0) + nla_total_size(sizeof(u32)) +
		       nla_total_size_64bit(sizeof(u64));

	return 2 * nla_total_size(sizeof(u32)) +	/* VM_ID, VCPU_ID */
	       nla_total_size_64bit(sizeof(u64)) +	/* VM_SERIAL */
	       nla_total_size(0) +			/* STATS */
	       ARRAY_SIZE(hvx_nl_scalars) * nla_total_size_64bit(sizeof(u64)) +
	       nla_total_size(0) +			/* EXIT_REASONS */
	       HVX_STATS_EXIT_REASONS * entry;
}

/*
 * Payload of the largest HVX_CMD_GET_VM or HVX_CMD_EVENT message: GET_VM
 * has the most u64s (VM_SERIAL, MEM_SIZE, MSI_DROPPED, MAPPED_*,
 * EPT_SPLITS).
 */
static size_t hvx_nl_vm_size(void)
{
	return 5 * nla_total_size(sizeof(u32)) +
	       7 * nla_total_size_64bit(sizeof(u64));
}

/*
 * The reference keeps the struct pid from being freed and its address
 * reused for another process while a dump goes on; hvx_nl_reader_put()
 * drops it.
 */
static void hvx_nl_reader_init(struct hvx_nl_reader *who, struct sk_buff *skb)
{
	who->tgid = get_task_pid(current, PIDTYPE_TGID);
	who->admin = netlink_capable(skb, CAP_NET_ADMIN);
}

static void hvx_nl_reader_put(struct hvx_nl_reader *who)
{
	put_pid(who->tgid);
	who->tgid = NULL;
}

static bool hvx_nl_may_read(const struct hvx_nl_reader *who,
			    const struct hvx_vm *vm)
{
	return who->admin || vm->owner == who->tgid;
}

/*
 * The VM of the dump @d with the smallest id above @after: one @d->who may
 * read, the one @d names if it names one, and not dying.  It comes with a
 * reference; hvx_vm_put() it.  Takes hvx_vm_list_lock.
 */
static struct hvx_vm *hvx_nl_get_next(const struct hvx_nl_dump *d, int after)
{
	struct hvx_vm *vm, *next;

	mutex_lock(&hvx_vm_list_lock);
	do {
		next = NULL;
		list_for_each_entry(vm, &hvx_vm_list, list)
			if (vm->id > after && (!next || vm->id < next->id) &&
			    (!d->one_vm || (vm->id == d->vm_id &&
					     vm->serial == d->vm_serial)) &&
			    hvx_nl_may_read(&d->who, vm))
				next = vm;
		if (next)
			after = next->id;
	} while (next && !refcount_inc_not_zero(&next->users));
	mutex_unlock(&hvx_vm_list_lock);
	return next;
}

/*
 * The VM HVX_ATTR_VM_ID names, if it exists, is not dying and @who may
 * read it, with a reference (hvx_vm_put() it); else NULL with *@err set
 * to -ENOENT or -EPERM.  Takes hvx_vm_list_lock.
 */
static struct hvx_vm *hvx_nl_get_vm(const struct hvx_nl_reader *who,
				    u32 id, struct nlattr *attr,
				    struct netlink_ext_ack *extack, int *err)
{
	struct hvx_vm *vm;

	mutex_lock(&hvx_vm_list_lock);
	list_for_each_entry(vm, &hvx_vm_list, list) {
		if (vm->id != id)
			continue;
		if (!hvx_nl_may_read(who, vm)) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "VM of another process: needs CAP_NET_ADMIN");
			*err = -EPERM;
			vm = NULL;
		} else if (!refcount_inc_not_zero(&vm->users)) {
			break;
		}
		mutex_unlock(&hvx_vm_list_lock);
		return vm;
	}
	mutex_unlock(&hvx_vm_list_lock);
	NL_SET_ERR_MSG_ATTR(extack, attr, "no such VM");
	*err = -ENOENT;
	return NULL;
}

/*
 * Every message names its VM by id and serial: the id alone may belong
 * to a VM made after the one a listener saw (ids are reused at once).
 */
static int hvx_nl_put_vm_id(struct sk_buff *skb, struct hvx_vm *vm)
{
	return nla_put_u32(skb, HVX_ATTR_VM_ID, vm->id) ?:
	       nla_put_u64_64bit(skb, HVX_ATTR_VM_SERIAL, vm->serial,
				 HVX_ATTR_PAD);
}

/*
 * One HVX_CMD_GET_VM message; the caller holds a reference to @vm.  The
 * memory size and the EPT leaf counts are running totals, read without
 * vm->mem_lock: that lock is held across faults and copies on the
 * owner's memory.
 */
static int hvx_nl_fill_vm(struct sk_buff *skb, struct hvx_vm *vm, u32 portid,
			  u32 seq, int flags)
{
	u64 mem = READ_ONCE(vm->mem_size);
	u32 nr_vcpus, state;
	void *hdr;

	mutex_lock(&vm->lock);
	nr_vcpus = vm->nr_vcpus;
	state = hvx_stats_vm_state(vm);
	mutex_unlock(&vm->lock);

	hdr = genlmsg_put(skb, portid, seq, &hvx_genl_family, flags,
			  HVX_CMD_GET_VM);
	if (!hdr)
		return -EMSGSIZE;
	if (hvx_nl_put_vm_id(skb, vm) ||
	    nla_put_u32(skb, HVX_ATTR_PID, vm->pid) ||
	    nla_put_u32(skb, HVX_ATTR_NR_VCPUS, nr_vcpus) ||
	    nla_put_u64_64bit(skb, HVX_ATTR_MEM_SIZE, mem, HVX_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, HVX_ATTR_MSI_DROPPED,
			      atomic64_read(&vm->msi_dropped), HVX_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, HVX_ATTR_MAPPED_4K,
			      READ_ONCE(vm->ept.leaves[0]), HVX_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, HVX_ATTR_MAPPED_2M,
			      READ_ONCE(vm->ept.leaves[1]), HVX_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, HVX_ATTR_MAPPED_1G,
			      READ_ONCE(vm->ept.leaves[2]), HVX_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, HVX_ATTR_EPT_SPLITS,
			      READ_ONCE(vm->ept.splits), HVX_ATTR_PAD) ||
	    nla_put_u32(skb, HVX_ATTR_STATE, state)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/*
 * HVX_ATTR_STATS of @vcpu, or of the whole VM when @vcpu is NULL;
 * vm->lock held.  The exit reasons are read before the total (see
 * hvx_stats_exit() in stats.h), so their sum never exceeds it.
 */
static int hvx_nl_put_stats(struct sk_buff *skb, struct hvx_vm *vm,
			    struct hvx_vcpu *vcpu)
{
	struct nlattr *stats, *reasons, *entry;
	unsigned int i;
	u64 n;

	stats = nla_nest_start(skb, HVX_ATTR_STATS);
	if (!stats)
		return -EMSGSIZE;
	reasons = nla_nest_start(skb, HVX_STATS_ATTR_EXIT_REASONS);
	if (!reasons)
		return -EMSGSIZE;
	for (i = 0; i < HVX_STATS_EXIT_REASONS; i++) {
		n = hvx_stats_get(vm, vcpu, HVX_STAT_EXIT_REASON0 + i);
		if (!n)
			continue;
		entry = nla_nest_start(skb, HVX_EXIT_REASONS_ATTR_ENTRY);
		if (!entry ||
		    nla_put_u32(skb, HVX_EXIT_COUNT_ATTR_REASON, i) ||
		    nla_put_u64_64bit(skb, HVX_EXIT_COUNT_ATTR_COUNT, n,
				      HVX_EXIT_COUNT_ATTR_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, entry);
	}
	nla_nest_end(skb, reasons);
	for (i = 0; i < ARRAY_SIZE(hvx_nl_scalars); i++)
		if (nla_put_u64_64bit(skb, hvx_nl_scalars[i].attr,
				      hvx_stats_get(vm, vcpu,
						    hvx_nl_scalars[i].idx),
				      HVX_STATS_ATTR_PAD))
			return -EMSGSIZE;
	nla_nest_end(skb, stats);
	return 0;
}

/* One HVX_CMD_GET_STATS message; vm->lock held. */
static int hvx_nl_fill_stats(struct sk_buff *skb, struct hvx_vm *vm,
			     struct hvx_vcpu *vcpu, u32 portid, u32 seq,
			     int flags)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &hvx_genl_family, flags,
			  HVX_CMD_GET_STATS);
	if (!hdr)
		return -EMSGSIZE;
	if (hvx_nl_put_vm_id(skb, vm) ||
	    (vcpu && nla_put_u32(skb, HVX_ATTR_VCPU_ID, vcpu->id)) ||
	    hvx_nl_put_stats(skb, vm, vcpu)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

static int hvx_nl_get_vm_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[HVX_ATTR_VM_ID];
	struct hvx_nl_reader who;
	struct sk_buff *msg;
	struct hvx_vm *vm;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, HVX_ATTR_VM_ID))
		return -EINVAL;
	msg = genlmsg_new(hvx_nl_vm_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hvx_nl_reader_init(&who, skb);
	vm = hvx_nl_get_vm(&who, nla_get_u32(attr), attr, info->extack, &err);
	hvx_nl_reader_put(&who);
	if (vm) {
		err = hvx_nl_fill_vm(msg, vm, info->snd_portid, info->snd_seq,
				     0);
		hvx_vm_put(vm);
	}
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

static int hvx_nl_get_stats_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *attr = info->attrs[HVX_ATTR_VM_ID];
	struct nlattr *vcpu_attr = info->attrs[HVX_ATTR_VCPU_ID];
	struct hvx_vcpu *vcpu = NULL;
	struct hvx_nl_reader who;
	struct sk_buff *msg;
	struct hvx_vm *vm;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, HVX_ATTR_VM_ID))
		return -EINVAL;
	msg = genlmsg_new(hvx_nl_stats_size(), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hvx_nl_reader_init(&who, skb);
	vm = hvx_nl_get_vm(&who, nla_get_u32(attr), attr, info->extack, &err);
	hvx_nl_reader_put(&who);
	if (!vm)
		goto out;
	mutex_lock(&vm->lock);
	/* The policy keeps the id below HVX_MAX_VCPUS. */
	if (vcpu_attr) {
		vcpu = vm->vcpus[array_index_nospec(nla_get_u32(vcpu_attr),
						    HVX_MAX_VCPUS)];
		if (!vcpu) {
			NL_SET_ERR_MSG_ATTR(info->extack, vcpu_attr,
					    "no such vCPU");
			err = -ENOENT;
			goto out_unlock_vm;
		}
	}
	err = hvx_nl_fill_stats(msg, vm, vcpu, info->snd_portid,
				info->snd_seq, 0);
out_unlock_vm:
	mutex_unlock(&vm->lock);
	hvx_vm_put(vm);
out:
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/*
 * .start of both dumps, in the requester's context: who asks, and, with
 * HVX_ATTR_VM_ID, whether that VM exists and may be read, so that the
 * request fails at once with -ENOENT or -EPERM.  On success .done, and
 * only it, drops the reference to the requester's struct pid.
 */
static int hvx_nl_dump_start(struct netlink_callback *cb)
{
	struct nlattr *attr = hvx_genl_dump_attrs(cb)[HVX_ATTR_VM_ID];
	struct hvx_nl_dump *d = (void *)cb->ctx;
	struct hvx_vm *vm;
	int err = 0;

	hvx_nl_reader_init(&d->who, cb->skb);
	d->last_vm = -1;
	d->last_vcpu = -1;
	d->one_vm = !!attr;
	/* Room for one HVX_CMD_GET_STATS message with every exit reason. */
	cb->min_dump_alloc =
		nlmsg_total_size(genlmsg_total_size(hvx_nl_stats_size()));
	if (!attr)
		return 0;
	d->vm_id = nla_get_u32(attr);
	vm = hvx_nl_get_vm(&d->who, d->vm_id, attr, cb->extack, &err);
	if (vm) {
		d->vm_serial = vm->serial;
		hvx_vm_put(vm);
	} else {
		hvx_nl_reader_put(&d->who);
	}
	return err;
}

static int hvx_nl_dump_done(struct netlink_callback *cb)
{
	struct hvx_nl_dump *d = (void *)cb->ctx;

	hvx_nl_reader_put(&d->who);
	return 0;
}

/* End of one dump round: more to come, done, or one message too big. */
static int hvx_nl_dump_ret(struct sk_buff *skb, int err)
{
	if (err == -EMSGSIZE && skb->len)
		return skb->len;
	return err ? err : skb->len;
}

static int hvx_nl_get_vm_dumpit(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct hvx_nl_dump *d = (void *)cb->ctx;
	struct hvx_vm *vm;
	int err = 0;

	while ((vm = hvx_nl_get_next(d, d->last_vm))) {
		err = hvx_nl_fill_vm(skb, vm, NETLINK_CB(cb->skb).portid,
				     cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (!err)
			d->last_vm = vm->id;
		hvx_vm_put(vm);
		if (err)
			break;
	}
	return hvx_nl_dump_ret(skb, err);
}

/* Per-vCPU dump: the vCPUs of VM @d->vm_id, one message each. */
static int hvx_nl_dump_vcpus(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct hvx_nl_dump *d = (void *)cb->ctx;
	struct hvx_vm *vm;
	int i, err = 0;

	/* Gone since .start (its id maybe another VM's now): the dump ends. */
	vm = hvx_nl_get_next(d, d->vm_id - 1);
	if (!vm)
		return 0;

	mutex_lock(&vm->lock);
	for (i = d->last_vcpu + 1; i < HVX_MAX_VCPUS; i++) {
		if (!vm->vcpus[i])
			continue;
		err = hvx_nl_fill_stats(skb, vm, vm->vcpus[i],
					NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (err)
			break;
		d->last_vcpu = i;
	}
	mutex_unlock(&vm->lock);
	hvx_vm_put(vm);
	return err;
}

/* Totals dump: one message per VM the requester may read. */
static int hvx_nl_dump_vms(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct hvx_nl_dump *d = (void *)cb->ctx;
	struct hvx_vm *vm;
	int err = 0;

	while ((vm = hvx_nl_get_next(d, d->last_vm))) {
		mutex_lock(&vm->lock);
		err = hvx_nl_fill_stats(skb, vm, NULL,
					NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, NLM_F_MULTI);
		mutex_unlock(&vm->lock);
		if (!err)
			d->last_vm = vm->id;
		hvx_vm_put(vm);
		if (err)
			break;
	}
	return err;
}

static int hvx_nl_get_stats_dumpit(struct sk_buff *skb,
				   struct netlink_callback *cb)
{
	struct hvx_nl_dump *d = (void *)cb->ctx;
	int err;

	if (d->one_vm)
		err = hvx_nl_dump_vcpus(skb, cb);
	else
		err = hvx_nl_dump_vms(skb, cb);
	return hvx_nl_dump_ret(skb, err);
}

static const struct genl_ops hvx_nl_ops[] = {
	{
		.cmd	= HVX_CMD_GET_VM,
		.doit	= hvx_nl_get_vm_doit,
		.start	= hvx_nl_dump_start,
		.dumpit	= hvx_nl_get_vm_dumpit,
		.done	= hvx_nl_dump_done,
	},
	{
		.cmd	= HVX_CMD_GET_STATS,
		.doit	= hvx_nl_get_stats_doit,
		.start	= hvx_nl_dump_start,
		.dumpit	= hvx_nl_get_stats_dumpit,
		.done	= hvx_nl_dump_done,
	},
};

static struct genl_family hvx_genl_family __ro_after_init = {
	.name		= HVX_GENL_NAME,
	.version	= HVX_GENL_VERSION,
	.maxattr	= HVX_ATTR_MAX,
	.policy		= hvx_nl_policy,
	.netnsok	= false,
	.parallel_ops	= true,
	.module		= THIS_MODULE,
	.ops		= hvx_nl_ops,
	.n_ops		= ARRAY_SIZE(hvx_nl_ops),
	.mcgrps		= hvx_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(hvx_nl_mcgrps),
};

/**
 * hvx_nl_event() - send an event to the "events" group
 * @vm: the VM
 * @vcpu_id: the vCPU, or -1 for an event of the whole VM
 * @event: enum hvx_event
 * @data: HVX_ATTR_EVENT_DATA, sent with FAIL_ENTRY and INTERNAL_ERROR
 *
 * Process context; costs nothing but a check when nobody listens.  An
 * event that cannot be allocated is dropped: listeners see a gap, the VM
 * goes on.
 */
void hvx_nl_event(struct hvx_vm *vm, int vcpu_id, u32 event, u64 data)
{
	bool with_data = event == HVX_EVENT_FAIL_ENTRY ||
			 event == HVX_EVENT_INTERNAL_ERROR;
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&hvx_genl_family, &init_net, HVX_MCGRP_EVENTS))
		return;
	msg = genlmsg_new(hvx_nl_vm_size(), GFP_KERNEL);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &hvx_genl_family, 0, HVX_CMD_EVENT);
	if (!hdr)
		goto err_free;
	if (nla_put_u32(msg, HVX_ATTR_EVENT, event) ||
	    hvx_nl_put_vm_id(msg, vm) ||
	    nla_put_u32(msg, HVX_ATTR_PID, vm->pid) ||
	    (vcpu_id >= 0 && nla_put_u32(msg, HVX_ATTR_VCPU_ID, vcpu_id)) ||
	    (with_data && nla_put_u64_64bit(msg, HVX_ATTR_EVENT_DATA, data,
					    HVX_ATTR_PAD)))
		goto err_free;
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&hvx_genl_family, msg, 0, HVX_MCGRP_EVENTS,
			  GFP_KERNEL);
	return;

err_free:
	nlmsg_free(msg);
}

/**
 * hvx_nl_init() - register the "hvx" generic netlink family
 *
 * Return: 0, or the error of genl_register_family().
 */
int __init hvx_nl_init(void)
{
	return genl_register_family(&hvx_genl_family);
}

/**
 * hvx_nl_exit() - unregister the family
 */
void hvx_nl_exit(void)
{
	genl_unregister_family(&hvx_genl_family);
}
