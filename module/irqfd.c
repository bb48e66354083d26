// SPDX-License-Identifier: GPL-2.0
/*
 * irqfds: an eventfd whose every signal delivers an MSI to the VM's local
 * APICs, from the signaller's own context, so that a device model (or a
 * vhost-like kernel producer) raises an interrupt without a trip through
 * the VMM's vCPU threads.
 *
 * An irqfd hangs a wait-queue entry on its eventfd.  The wake-up callback
 * runs with the eventfd's wait-queue lock held and interrupts off, maybe
 * in hard-interrupt context: it may only spin.  Delivery qualifies:
 * hvx_apic_route() takes the targets' apic_lock (irqsave) and reads the
 * vCPUs under RCU.
 *
 * Lifetime.  An irqfd is "active" while it is on vm->irqfds.  Exactly one
 * party takes it off (under vm->irqfd_lock) and so owns its teardown:
 *  - HVX_IRQFD_DEASSIGN, which unhooks it from the eventfd at once: once
 *    the ioctl returns no signal delivers it any more;
 *  - the eventfd's release (EPOLLHUP from its last close), whose callback
 *    cannot unhook itself or drop the eventfd reference under the
 *    eventfd's own lock: it hands the teardown to irqfd_wq;
 *  - the VM's free, which unhooks every active one and then waits for
 *    irqfd_wq, so that no irqfd of the VM is left on an eventfd when the
 *    VM goes.  Until then, a signal through one being torn down still
 *    finds the VM alive.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "vcpu.h"

/**
 * struct hvx_irqfd_hook - one irqfd
 * @vm:		(c) the VM
 * @ctx:	(c) the eventfd, referenced
 * @irq:	(c) the MSI, decoded
 * @wait:	on the eventfd's wait queue from assignment to teardown
 * @pt:		hooks @wait through the eventfd's poll
 * @link:	in vm->irqfds while @active
 * @active:	[vm->irqfd_lock] not yet taken off by its tearer-down
 * @shutdown:	the teardown, after an EPOLLHUP
 */
struct hvx_irqfd_hook {
	struct hvx_vm *vm;
	struct eventfd_ctx *ctx;
	struct hvx_lapic_irq irq;
	wait_queue_entry_t wait;
	poll_table pt;
	struct list_head link;
	bool active;
	struct work_struct shutdown;
};

/* Looks at a count already there when an irqfd is assigned, at most. */
#define IRQFD_ASSIGN_PASSES	4

/* Teardowns after EPOLLHUP; drained by every VM's free and at unload. */
static struct workqueue_struct *irqfd_wq;

/* Unhook and free an irqfd no longer active: no callback runs after. */
static void irqfd_destroy(struct hvx_irqfd_hook *h)
{
	u64 cnt;

	/* takes the eventfd's wait-queue lock: waits out a running callback */
	eventfd_ctx_remove_wait_queue(h->ctx, &h->wait, &cnt);
	eventfd_ctx_put(h->ctx);
	kfree(h);
}

static void irqfd_shutdown(struct work_struct *work)
{
	irqfd_destroy(container_of(work, struct hvx_irqfd_hook, shutdown));
}

/* Take @h off its VM's list; irqfd_lock held.  False if already off. */
static bool irqfd_deactivate(struct hvx_irqfd_hook *h)
{
	lockdep_assert_held(&h->vm->irqfd_lock);
	if (!h->active)
		return false;
	h->active = false;
	list_del(&h->link);
	h->vm->nr_irqfds--;
	return true;
}

/* The eventfd's wait-queue callback: its lock held, interrupts off. */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			int sync, void *key)
{
	struct hvx_irqfd_hook *h = container_of(wait, struct hvx_irqfd_hook,
						 wait);
	__poll_t events = key_to_poll(key);
	struct hvx_vm *vm = h->vm;
	unsigned long flags;
	u64 cnt;

	if (events & EPOLLIN) {
		/*
		 * Consume the count: each signal is one MSI, and a reader of
		 * the eventfd (or poll) sees none left over.  Every wake-up
		 * delivers, whatever count it finds: an irqfd of another VM
		 * on the same eventfd may have taken it first.
		 */
		eventfd_ctx_do_read(h->ctx, &cnt);
		hvx_apic_route(vm, NULL, &h->irq);
	}
	if (events & EPOLLHUP) {
		spin_lock_irqsave(&vm->irqfd_lock, flags);
		if (irqfd_deactivate(h))
			queue_work(irqfd_wq, &h->shutdown);
		spin_unlock_irqrestore(&vm->irqfd_lock, flags);
	}
	return 0;
}

static void irqfd_queue_proc(struct file *file, wait_queue_head_t *wqh,
			     poll_table *pt)
{
	struct hvx_irqfd_hook *h = container_of(pt, struct hvx_irqfd_hook, pt);

	add_wait_queue(wqh, &h->wait);
}

/* Is @ctx some active irqfd's eventfd?  irqfd_lock held. */
static struct hvx_irqfd_hook *irqfd_find(struct hvx_vm *vm,
					 struct eventfd_ctx *ctx)
{
	struct hvx_irqfd_hook *h;

	lockdep_assert_held(&vm->irqfd_lock);
	list_for_each_entry(h, &vm->irqfds, link)
		if (h->ctx == ctx)
			return h;
	return NULL;
}

/*
 * Hook @h onto its eventfd, @file, which stays open meanwhile: no EPOLLHUP
 * comes before the hook is in place (the caller's irqfd_mutex keeps a
 * deassignment from freeing @h).  A count already there is a signal sent
 * before: take it and deliver it, as the wake-up would have.  Poll looks
 * at the count without the eventfd's lock, so it may see one that a
 * signal's own wake-up of @h is taking: the count is taken under that
 * lock (unhooked meanwhile) and delivered only if still there, and a
 * signal sent while unhooked is found by hooking on again.  A signaller
 * that keeps that up is left to the next signal's wake-up after a few
 * passes.
 */
static void irqfd_hook(struct hvx_irqfd_hook *h, struct file *file)
{
	unsigned int pass;
	u64 cnt;

	for (pass = 0; pass < IRQFD_ASSIGN_PASSES; pass++) {
		if (!(vfs_poll(file, &h->pt) & EPOLLIN))
			return;
		eventfd_ctx_remove_wait_queue(h->ctx, &h->wait, &cnt);
		if (cnt)
			hvx_apic_route(h->vm, NULL, &h->irq);
	}
	vfs_poll(file, &h->pt);
}

static int irqfd_assign(struct hvx_vm *vm, const struct hvx_irqfd *args)
{
	struct hvx_irqfd_hook *h;
	struct hvx_lapic_irq irq;
	struct eventfd_ctx *ctx;
	struct fd f;
	int err;

	if (hvx_msi_decode(args->address, args->data, &irq))
		return -EINVAL;
	f = fdget(args->fd);
	if (!fd_file(f))
		return -EBADF;
	ctx = eventfd_ctx_fileget(fd_file(f));
	if (IS_ERR(ctx)) {
		err = -EBADF;
		goto out_fdput;
	}
	h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h) {
		err = -ENOMEM;
		goto err_put_ctx;
	}
	h->vm = vm;
	h->ctx = ctx;
	h->irq = irq;
	INIT_WORK(&h->shutdown, irqfd_shutdown);
	init_waitqueue_func_entry(&h->wait, irqfd_wakeup);
	init_poll_funcptr(&h->pt, irqfd_queue_proc);

	err = 0;
	mutex_lock(&vm->irqfd_mutex);
	spin_lock_irq(&vm->irqfd_lock);
	if (irqfd_find(vm, ctx))
		err = -EBUSY;
	else if (vm->nr_irqfds >= HVX_MAX_IRQFDS)
		err = -ENOSPC;
	if (err) {
		spin_unlock_irq(&vm->irqfd_lock);
		goto err_unlock;
	}
	h->active = true;
	list_add_tail(&h->link, &vm->irqfds);
	vm->nr_irqfds++;
	spin_unlock_irq(&vm->irqfd_lock);

	irqfd_hook(h, fd_file(f));
	mutex_unlock(&vm->irqfd_mutex);
	fdput(f);
	return 0;

err_unlock:
	mutex_unlock(&vm->irqfd_mutex);
	kfree(h);
err_put_ctx:
	eventfd_ctx_put(ctx);
out_fdput:
	fdput(f);
	return err;
}

static int irqfd_deassign(struct hvx_vm *vm, const struct hvx_irqfd *args)
{
	struct hvx_irqfd_hook *h;
	struct eventfd_ctx *ctx;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return -EBADF;
	mutex_lock(&vm->irqfd_mutex);
	spin_lock_irq(&vm->irqfd_lock);
	h = irqfd_find(vm, ctx);
	if (h)
		irqfd_deactivate(h);
	spin_unlock_irq(&vm->irqfd_lock);
	if (h)
		irqfd_destroy(h);
	mutex_unlock(&vm->irqfd_mutex);
	eventfd_ctx_put(ctx);
	return h ? 0 : -ENOENT;
}

/**
 * hvx_irqfd() - HVX_IRQFD
 * @vm: the VM
 * @uarg: userspace's struct hvx_irqfd
 *
 * Return: 0; -EFAULT; -EINVAL for unknown flags, non-zero padding or an
 * MSI HVX_SIGNAL_MSI would refuse; -EBADF when @fd is no eventfd; -EBUSY
 * when the eventfd already has an irqfd in this VM; -ENOSPC beyond
 * HVX_MAX_IRQFDS; -ENOENT to deassign an eventfd without one; -ENOMEM.
 */
int hvx_irqfd(struct hvx_vm *vm, const struct hvx_irqfd __user *uarg)
{
	struct hvx_irqfd args;

	if (copy_from_user(&args, uarg, sizeof(args)))
		return -EFAULT;
	if ((args.flags & ~HVX_IRQFD_DEASSIGN) || args.pad || args.reserved)
		return -EINVAL;
	if (args.flags & HVX_IRQFD_DEASSIGN)
		return irqfd_deassign(vm, &args);
	return irqfd_assign(vm, &args);
}

/**
 * hvx_irqfd_vm_init() - a new VM has no irqfds
 * @vm: the VM, not yet visible
 */
void hvx_irqfd_vm_init(struct hvx_vm *vm)
{
	mutex_init(&vm->irqfd_mutex);
	spin_lock_init(&vm->irqfd_lock);
	INIT_LIST_HEAD(&vm->irqfds);
}

/**
 * hvx_irqfd_vm_free() - remove every irqfd of a VM being freed
 * @vm: the VM; no ioctl can reach it any more
 *
 * On return no eventfd leads to @vm: every irqfd is unhooked and freed,
 * those an eventfd's release handed to the workqueue included.
 */
void hvx_irqfd_vm_free(struct hvx_vm *vm)
{
	struct hvx_irqfd_hook *h, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&vm->irqfd_mutex);
	spin_lock_irq(&vm->irqfd_lock);
	list_for_each_entry_safe(h, tmp, &vm->irqfds, link) {
		irqfd_deactivate(h);
		list_add(&h->link, &gone);
	}
	spin_unlock_irq(&vm->irqfd_lock);
	/* off the VM's list: @link is ours to reuse */
	list_for_each_entry_safe(h, tmp, &gone, link)
		irqfd_destroy(h);
	mutex_unlock(&vm->irqfd_mutex);
	flush_workqueue(irqfd_wq);
}

/**
 * hvx_irqfd_init() - at module load
 *
 * Return: 0 or -ENOMEM.
 */
int hvx_irqfd_init(void)
{
	irqfd_wq = alloc_workqueue("hvx-irqfd", 0, 0);
	return irqfd_wq ? 0 : -ENOMEM;
}

/**
 * hvx_irqfd_exit() - at module unload, after the last VM is gone
 */
void hvx_irqfd_exit(void)
{
	destroy_workqueue(irqfd_wq);
}
