// SPDX-License-Identifier: GPL-2.0
/*
 * The shared I/O ring: guest port and MMIO accesses that reach userspace
 * through shared memory instead of a return from HVX_RUN.
 *
 * A VM has at most one ring (HVX_CREATE_RING) and up to HVX_MAX_IO_RANGES
 * registered ranges (HVX_REGISTER_RANGE).  An access that lies entirely in
 * a range is served here, before the classic exit:
 *
 *   posted range:   a write is appended to the ring, the guest resumes;
 *   doorbell range: a write signals the range's eventfd, the guest resumes;
 *   sync range:     the access is appended as a request and the vCPU
 *                   sleeps until a thread of the VMM completes it with
 *                   HVX_RING_COMPLETE on the ring fd.
 *
 * Anything else, and any access that finds the ring full (or no ring),
 * takes the classic exit through the run page: nothing is ever dropped.
 *
 * vm->io_lock serialises the producer side of the ring between the vCPUs
 * of the VM, so entries are published in sequence-number order.  Taking it
 * again when HVX_RUN returns (hvx_ring_sync_point()) orders every post
 * made before that point, by any vCPU, before the return: see "Ordering"
 * in Documentation/rings.rst.
 */
#include <linux/anon_inodes.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/moduleparam.h>
#include <linux/nospec.h>
#include <linux/poll.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>
#include <asm/vmx.h>

#include "compat.h"
#include "vcpu.h"
#include "ring.h"
#include "trace.h"

/**
 * struct hvx_ring_wait - the outstanding ring request of one vCPU id
 * @wq:		the vCPU sleeps here until @done
 * @seq:	[i] sequence number of the request, 0 when none
 * @data:	[i] the completion's data, valid when @done
 * @slot:	[i] the request's producer index: whether the consumer took it
 * @done:	[i] HVX_RING_COMPLETE arrived for @seq
 */
struct hvx_ring_wait {
	wait_queue_head_t wq;
	u64 seq;
	u64 data;
	u32 slot;
	bool done;
};

/**
 * struct hvx_ring - the shared I/O ring of a VM
 * @hdr:	(c) the shared mapping: header page, then the entries
 * @pages:	(c) its pages
 * @nr_pages:	(c) how many
 * @entries:	(c) the entries, in the same mapping
 * @size:	(c) bytes of the mapping
 * @capacity:	(c) number of entries, a power of two
 * @flags:	(c) HVX_RING_* of the setup
 * @efd:	(c) eventfd to signal on publication, or NULL
 * @poll_wq:	poll() sleepers on the ring fd
 * @prod:	[i] hvx.ko's producer index (the shared copy is only output)
 * @seq:	[i] last sequence number handed out
 * @notify_deferred: [i] posts were published without waking the consumer
 *		(written with WRITE_ONCE: hvx_ring_vcpu_idle() peeks)
 * @closed:	[i] the ring fd is gone, and with it whatever could consume
 *		an entry or complete a request: accesses take the classic
 *		exit (read with READ_ONCE by a waiting vCPU)
 * @waits:	[i] (except @wq) outstanding requests, by vCPU id
 *
 * Tags as in hvx.h; [i] is vm->io_lock.
 */
struct hvx_ring {
	struct hvx_ring_header *hdr;
	struct page **pages;
	unsigned int nr_pages;
	struct hvx_ring_entry *entries;
	size_t size;
	u32 capacity;
	u32 flags;
	struct eventfd_ctx *efd;
	wait_queue_head_t poll_wq;
	u32 prod;
	u64 seq;
	bool notify_deferred;
	bool closed;
	struct hvx_ring_wait waits[HVX_MAX_VCPUS];
};

/*
 * How long a vCPU that made a ring request polls for its completion, and a
 * device thread in HVX_COMPLETE_WAIT for the next entry, before sleeping.
 * Across two CPUs the answer usually comes within microseconds; polling
 * saves a sleep and a wake-up, two trips through the scheduler and an IPI.
 * Only while nothing else is runnable on the CPU: a thread that shares it
 * gets it at once.  0: never poll.
 */
static unsigned int ring_poll_ns = 50000;
module_param(ring_poll_ns, uint, 0644);
MODULE_PARM_DESC(ring_poll_ns,
		 "ns to poll for a ring completion or entry before sleeping");

/*
 * Poll for @done(@arg) for at most ring_poll_ns, while nothing else wants
 * this CPU and no signal is pending.  Return: @done(@arg) at the end.
 */
static bool ring_poll(bool (*done)(void *arg), void *arg)
{
	u64 limit = READ_ONCE(ring_poll_ns), start;

	if (!limit || !single_task_running())
		return done(arg);
	start = local_clock();
	while (!done(arg)) {
		if (need_resched() || signal_pending(current) ||
		    !single_task_running() || local_clock() - start > limit)
			return done(arg);
		cpu_relax();
	}
	return true;
}

/* Largest MMIO range, and the alignment of MMIO ranges. */
#define RANGE_MMIO_MAX		SZ_1G
#define RANGE_MMIO_ALIGN	4

#define RANGE_FLAGS	(HVX_RANGE_DOORBELL | HVX_RANGE_SYNC | \
			 HVX_RANGE_UNREGISTER)

/**
 * hvx_ring_vm_init() - set up a new VM's ring state (no ring, no ranges)
 * @vm: the VM, not yet visible to anyone
 */
void hvx_ring_vm_init(struct hvx_vm *vm)
{
	spin_lock_init(&vm->io_lock);
}

static void ring_free(struct hvx_ring *ring)
{
	unsigned int i;

	if (ring->hdr)
		vunmap(ring->hdr);
	for (i = 0; i < ring->nr_pages; i++)
		__free_page(ring->pages[i]);
	kfree(ring->pages);
	kfree(ring);
}

/**
 * hvx_ring_vm_free() - free the ring and the ranges of a dying VM
 * @vm: the VM; no vCPU and no ring fd is left
 */
void hvx_ring_vm_free(struct hvx_vm *vm)
{
	struct hvx_ring *ring = vm->ring;
	unsigned int i;

	for (i = 0; i < vm->nr_ranges; i++)
		if (vm->ranges[i].efd)
			eventfd_ctx_put(vm->ranges[i].efd);
	vm->nr_ranges = 0;
	if (!ring)
		return;
	if (ring->efd)
		eventfd_ctx_put(ring->efd);
	ring_free(ring);
	vm->ring = NULL;
}

/* ---- the ring fd ---- */

/*
 * The last reference to the ring's file is gone (a mapping holds one):
 * nothing can consume the ring or complete a request any more.  A vCPU
 * waiting for a completion gives its request up and runs its instruction
 * again, which then takes the classic exit, as every access to a range
 * does from now on; without this it would wait for ever.
 */
static int hvx_ring_release(struct inode *inode, struct file *filp)
{
	struct hvx_vm *vm = filp->private_data;
	struct hvx_ring *ring = vm->ring;
	unsigned int i;

	spin_lock(&vm->io_lock);
	WRITE_ONCE(ring->closed, true);
	spin_unlock(&vm->io_lock);
	for (i = 0; i < HVX_MAX_VCPUS; i++)
		wake_up_all(&ring->waits[i].wq);
	hvx_vm_put(vm);
	return 0;
}

/*
 * A page of the mapping dropped since mmap() (MADV_DONTNEED): the ring's
 * own again, not a fresh one.  The mapping's file holds the VM, the VM
 * the ring.
 */
static vm_fault_t hvx_ring_fault(struct vm_fault *vmf)
{
	struct hvx_vm *vm = vmf->vma->vm_file->private_data;
	struct hvx_ring *ring = vm->ring;

	if (vmf->pgoff >= ring->nr_pages)
		return VM_FAULT_SIGBUS;
	vmf->page = ring->pages[vmf->pgoff];
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct hvx_ring_vm_ops = {
	.fault = hvx_ring_fault,
};

static int hvx_ring_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct hvx_vm *vm = filp->private_data;
	struct hvx_ring *ring = vm->ring;

	/* as for its ioctls: the ring is the owner's */
	if (current->mm != vm->mm)
		return -EIO;
	/* a private copy would stop seeing the producer index move */
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start > ring->size ||
	    !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/* no growing the mapping past the ring with mremap() */
	hvx_vm_flags_set(vma, VM_DONTEXPAND);
	vma->vm_ops = &hvx_ring_vm_ops;
	return vm_map_pages(vma, ring->pages, ring->nr_pages);
}

/* An entry is published that the consumer has not taken yet. */
static bool ring_has_entries(void *arg)
{
	struct hvx_ring *ring = arg;

	/* acquire: entries the index covers are visible once it is */
	return smp_load_acquire(&ring->hdr->producer) !=
	       READ_ONCE(ring->hdr->consumer);
}

static __poll_t hvx_ring_poll(struct file *filp, poll_table *pt)
{
	struct hvx_vm *vm = filp->private_data;
	struct hvx_ring *ring = vm->ring;

	poll_wait(filp, &ring->poll_wq, pt);
	/*
	 * ring_notify() looks at the wait queue without its lock: order
	 * joining it before the producer load (poll_wait() has this barrier
	 * only since 6.1.127).
	 */
	smp_mb();
	return ring_has_entries(ring) ? EPOLLIN | EPOLLRDNORM : 0;
}

/**
 * hvx_ring_complete() - HVX_RING_COMPLETE
 * @vm: the VM of the ring
 * @ring: the ring
 * @argp: struct hvx_ring_completion
 *
 * Completes request @seq, if not 0, and wakes its vCPU; then, with
 * HVX_COMPLETE_WAIT, polls a while (ring_poll_ns) and then sleeps on the
 * ring's wait queue (the one poll() uses, woken as ring_notify() says)
 * until an entry is pending.
 *
 * Return: 0 once the waiting vCPU is woken (and, with HVX_COMPLETE_WAIT,
 * an entry is pending); -EINVAL for a bad argument (unknown flags, @seq 0
 * without HVX_COMPLETE_WAIT or with a @vcpu or @data, @vcpu out of
 * range); -ENOENT when that vCPU has no outstanding request @seq (never
 * had, or already completed: nothing waits then); -EINTR when a signal
 * ended the wait, after the completion; -EFAULT.
 */
static long hvx_ring_complete(struct hvx_vm *vm, struct hvx_ring *ring,
			      void __user *argp)
{
	struct hvx_ring_completion c;
	struct hvx_ring_wait *w;

	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	if ((c.flags & ~HVX_COMPLETE_WAIT) || c.vcpu >= HVX_MAX_VCPUS ||
	    (!c.seq && (!(c.flags & HVX_COMPLETE_WAIT) || c.vcpu || c.data)))
		return -EINVAL;
	if (c.seq) {
		w = &ring->waits[array_index_nospec(c.vcpu, HVX_MAX_VCPUS)];
		spin_lock(&vm->io_lock);
		if (w->seq != c.seq || w->done) {
			spin_unlock(&vm->io_lock);
			return -ENOENT;
		}
		w->data = c.data;
		w->done = true;
		spin_unlock(&vm->io_lock);
		wake_up(&w->wq);
	}
	if (!(c.flags & HVX_COMPLETE_WAIT))
		return 0;
	/* Not -ERESTARTSYS: a restart would complete @seq a second time. */
	if (!ring_poll(ring_has_entries, ring) &&
	    wait_event_interruptible(ring->poll_wq, ring_has_entries(ring)))
		return -EINTR;
	return 0;
}

static long hvx_ring_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct hvx_vm *vm = filp->private_data;

	if (current->mm != vm->mm)
		return -EIO;
	switch (cmd) {
	case HVX_RING_COMPLETE:
		return hvx_ring_complete(vm, vm->ring, (void __user *)arg);
	}
	return -ENOTTY;
}

static const struct file_operations hvx_ring_fops = {
	.owner		= THIS_MODULE,
	.release	= hvx_ring_release,
	.unlocked_ioctl	= hvx_ring_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= hvx_ring_mmap,
	.poll		= hvx_ring_poll,
	.llseek		= noop_llseek,
};

/*
 * The ring's pages are charged to the memory cgroup of the VM's owner, as
 * the run page and the VM's other pages are (vmalloc_user() charges
 * nothing): up to 33 pages a VM that a memcg limit would not see.
 * __GFP_RETRY_MAYFAIL: at the limit HVX_CREATE_RING fails with ENOMEM
 * instead of calling the OOM killer on the caller's cgroup.
 */
static struct hvx_ring *ring_alloc(const struct hvx_ring_setup *rs)
{
	const gfp_t gfp = GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL;
	size_t size = HVX_RING_MMAP_SIZE((size_t)rs->entries);
	unsigned int i, n = PAGE_ALIGN(size) >> PAGE_SHIFT;
	struct hvx_ring *ring;
	struct page *page;

	ring = kzalloc(sizeof(*ring), gfp);
	if (!ring)
		return NULL;
	ring->capacity = rs->entries;
	ring->flags = rs->flags;
	ring->size = size;
	ring->pages = kcalloc(n, sizeof(*ring->pages), gfp);
	if (!ring->pages)
		goto err;
	while (ring->nr_pages < n) {
		page = alloc_page(gfp | __GFP_ZERO);
		if (!page)
			goto err;
		ring->pages[ring->nr_pages++] = page;
	}
	ring->hdr = vmap(ring->pages, n, VM_MAP, PAGE_KERNEL);
	if (!ring->hdr)
		goto err;
	ring->entries = (void *)ring->hdr + HVX_RING_ENTRIES_OFFSET;
	ring->hdr->version = HVX_RING_VERSION;
	ring->hdr->entry_size = sizeof(struct hvx_ring_entry);
	ring->hdr->capacity = ring->capacity;
	ring->hdr->flags = ring->flags;
	ring->hdr->entries_offset = HVX_RING_ENTRIES_OFFSET;
	ring->hdr->mmap_size = ring->size;
	init_waitqueue_head(&ring->poll_wq);
	for (i = 0; i < HVX_MAX_VCPUS; i++)
		init_waitqueue_head(&ring->waits[i].wq);
	return ring;

err:
	ring_free(ring);
	return NULL;
}

/**
 * hvx_ring_create() - HVX_CREATE_RING
 * @vm: the VM
 * @argp: struct hvx_ring_setup
 *
 * The ring fd holds a reference on the VM; the ring itself lives as long
 * as the VM.
 *
 * Return: the ring fd; -EINVAL for a bad argument (entries not a power of
 * two in range, unknown flags, non-zero padding, an fd that is no
 * eventfd); -EBADF; -EEXIST when the VM has a ring; -ENOMEM; -EFAULT;
 * -EMFILE.
 */
long hvx_ring_create(struct hvx_vm *vm, void __user *argp)
{
	struct eventfd_ctx *efd = NULL;
	struct hvx_ring_setup rs;
	struct hvx_ring *ring;
	struct file *file;
	int fd, err, i;

	if (copy_from_user(&rs, argp, sizeof(rs)))
		return -EFAULT;
	if (rs.pad || rs.flags & ~HVX_RING_SYNC ||
	    rs.entries < HVX_RING_MIN_ENTRIES ||
	    rs.entries > HVX_RING_MAX_ENTRIES || !is_power_of_2(rs.entries) ||
	    rs.eventfd < -1)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(rs.reserved); i++)
		if (rs.reserved[i])
			return -EINVAL;

	mutex_lock(&vm->lock);
	err = -EEXIST;
	if (vm->ring)
		goto err_unlock;
	if (rs.eventfd >= 0) {
		efd = eventfd_ctx_fdget(rs.eventfd);
		if (IS_ERR(efd)) {
			err = PTR_ERR(efd);
			goto err_unlock;
		}
	}
	err = -ENOMEM;
	ring = ring_alloc(&rs);
	if (!ring)
		goto err_efd;
	ring->efd = efd;

	fd = get_unused_fd_flags(O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto err_ring;
	}
	/* The file's reference; its release drops it. */
	refcount_inc(&vm->users);
	file = anon_inode_getfile("hvx-ring", &hvx_ring_fops, vm, O_RDWR);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_fd;
	}
	spin_lock(&vm->io_lock);
	vm->ring = ring;
	spin_unlock(&vm->io_lock);
	mutex_unlock(&vm->lock);
	fd_install(fd, file);
	return fd;

err_fd:
	/* Not the last reference: the VM file is open. */
	refcount_dec(&vm->users);
	put_unused_fd(fd);
err_ring:
	ring_free(ring);
err_efd:
	if (efd)
		eventfd_ctx_put(efd);
err_unlock:
	mutex_unlock(&vm->lock);
	return err;
}

/* ---- registered ranges ---- */

static int range_check(const struct hvx_io_range *r)
{
	u32 kind = r->flags & (HVX_RANGE_DOORBELL | HVX_RANGE_SYNC);
	unsigned int i;

	if (r->pad || r->flags & ~RANGE_FLAGS ||
	    kind == (HVX_RANGE_DOORBELL | HVX_RANGE_SYNC))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(r->reserved); i++)
		if (r->reserved[i])
			return -EINVAL;
	if (!r->length)
		return -EINVAL;
	switch (r->type) {
	case HVX_RING_PIO:
		if (r->base > 0xffff || r->length > 0x10000 - r->base)
			return -EINVAL;
		break;
	case HVX_RING_MMIO:
		if (r->length > RANGE_MMIO_MAX ||
		    r->base + r->length < r->base ||
		    !IS_ALIGNED(r->base | r->length, RANGE_MMIO_ALIGN))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (r->flags & HVX_RANGE_UNREGISTER)
		return 0;
	if (r->flags & HVX_RANGE_DOORBELL ? r->eventfd < 0 : r->eventfd != -1)
		return -EINVAL;
	return 0;
}

static long range_unregister(struct hvx_vm *vm, const struct hvx_io_range *u)
{
	struct eventfd_ctx *efd = NULL;
	unsigned int i;
	long err = -ENOENT;

	spin_lock(&vm->io_lock);
	for (i = 0; i < vm->nr_ranges; i++) {
		struct hvx_range *r = &vm->ranges[i];

		if (r->type != u->type || r->base != u->base ||
		    r->end - r->base != u->length)
			continue;
		efd = r->efd;
		*r = vm->ranges[vm->nr_ranges - 1];
		WRITE_ONCE(vm->nr_ranges, vm->nr_ranges - 1);
		err = 0;
		break;
	}
	spin_unlock(&vm->io_lock);
	if (efd)
		eventfd_ctx_put(efd);
	return err;
}

/**
 * hvx_ring_register() - HVX_REGISTER_RANGE
 * @vm: the VM
 * @argp: struct hvx_io_range
 *
 * Return: 0; -EINVAL for a bad argument (zero or too long a length, a
 * misaligned MMIO range, unknown flags, a doorbell without an eventfd, a
 * sync range without a HVX_RING_SYNC ring, non-zero padding); -EBADF;
 * -EEXIST when the range overlaps one of the same type; -ENOSPC when the
 * VM has HVX_MAX_IO_RANGES; -ENOENT when unregistering a range that is
 * not registered (base, length and type must match); -EFAULT.
 */
long hvx_ring_register(struct hvx_vm *vm, void __user *argp)
{
	struct eventfd_ctx *efd = NULL;
	struct hvx_io_range u;
	struct hvx_range *r;
	unsigned int i;
	long err;

	if (copy_from_user(&u, argp, sizeof(u)))
		return -EFAULT;
	err = range_check(&u);
	if (err)
		return err;
	if (u.flags & HVX_RANGE_UNREGISTER)
		return range_unregister(vm, &u);
	if (u.flags & HVX_RANGE_DOORBELL) {
		efd = eventfd_ctx_fdget(u.eventfd);
		if (IS_ERR(efd))
			return PTR_ERR(efd);
	}

	spin_lock(&vm->io_lock);
	err = -EINVAL;
	if (u.flags & HVX_RANGE_SYNC &&
	    (!vm->ring || !(vm->ring->flags & HVX_RING_SYNC)))
		goto out;
	err = -EEXIST;
	for (i = 0; i < vm->nr_ranges; i++) {
		r = &vm->ranges[i];
		if (r->type == u.type && u.base < r->end &&
		    r->base < u.base + u.length)
			goto out;
	}
	err = -ENOSPC;
	if (vm->nr_ranges == HVX_MAX_IO_RANGES)
		goto out;
	r = &vm->ranges[vm->nr_ranges];
	r->type = u.type;
	r->flags = u.flags;
	r->base = u.base;
	r->end = u.base + u.length;
	r->efd = efd;
	/* Readers without the lock only test it for zero. */
	WRITE_ONCE(vm->nr_ranges, vm->nr_ranges + 1);
	efd = NULL;
	err = 0;
out:
	spin_unlock(&vm->io_lock);
	if (efd)
		eventfd_ctx_put(efd);
	return err;
}

/* ---- the producer: exit handlers ---- */

static struct hvx_range *range_find(struct hvx_vm *vm, u32 type, u64 addr,
				    unsigned int size)
{
	unsigned int i;

	lockdep_assert_held(&vm->io_lock);
	for (i = 0; i < vm->nr_ranges; i++) {
		struct hvx_range *r = &vm->ranges[i];

		if (r->type == type && addr >= r->base &&
		    addr + size <= r->end)
			return r;
	}
	return NULL;
}

/*
 * Append one entry, vm->io_lock held.  Return: false when the ring is
 * full (or its consumer index is not one it could be).
 */
static bool ring_put(struct hvx_vcpu *vcpu, struct hvx_ring *ring, u32 type,
		     u64 addr, unsigned int size, u64 data, u8 flags)
{
	struct hvx_ring_entry *e;
	u32 cons;

	lockdep_assert_held(&vcpu->vm->io_lock);
	/* Pairs with the consumer's store-release: it is done with the slot. */
	cons = smp_load_acquire(&ring->hdr->consumer);
	if (ring->prod - cons >= ring->capacity)
		return false;
	e = &ring->entries[ring->prod & (ring->capacity - 1)];
	e->seq = ++ring->seq;
	e->addr = addr;
	e->data = data;
	e->vcpu = vcpu->id;
	e->type = type;
	e->size = size;
	e->flags = flags;
	memset(e->pad, 0, sizeof(e->pad));
	trace_hvx_ring_post(vcpu, ring->prod, type == HVX_RING_PIO ?
			    EXIT_REASON_IO_INSTRUCTION :
			    EXIT_REASON_EPT_VIOLATION);
	ring->prod++;
	/* The entry before the index: pairs with the consumer's acquire. */
	smp_store_release(&ring->hdr->producer, ring->prod);
	return true;
}

/* Wake the consumer if it asked to be, after a publication. */
static void ring_notify(struct hvx_ring *ring)
{
	/*
	 * Order the producer store before the need_wakeup load; the consumer
	 * does the mirror image (store need_wakeup, full barrier, load the
	 * producer index), so one of the two sees the other's store.
	 */
	smp_mb();
	if (READ_ONCE(ring->hdr->need_wakeup)) {
		WRITE_ONCE(ring->hdr->need_wakeup, 0);
		if (ring->efd)
			hvx_eventfd_signal(ring->efd);
		wake_up_all(&ring->poll_wq);
		return;
	}
	/* A poll() sleeper that did not set need_wakeup still wakes. */
	if (waitqueue_active(&ring->poll_wq))
		wake_up_all(&ring->poll_wq);
}

/* The vCPU's request was completed, or never will be. */
static bool ring_answered(void *arg)
{
	struct hvx_vcpu *vcpu = arg;
	struct hvx_ring *ring = vcpu->vm->ring;

	return READ_ONCE(ring->waits[vcpu->id].done) ||
	       READ_ONCE(ring->closed);
}

/* Finish the instruction of a completed ring request with @data. */
static int ring_finish(struct hvx_vcpu *vcpu, u64 data)
{
	vcpu->pending = HVX_PENDING_NONE;
	switch (vcpu->ring_op) {
	case HVX_RING_OP_PIO_IN:
		return hvx_complete_io_in_data(vcpu, &data);
	case HVX_RING_OP_MMIO_READ:
		return hvx_complete_mmio_data(vcpu, data);
	}
	hvx_skip_insn_len(vcpu, vcpu->pending_insn_len);
	return 1;
}

/**
 * hvx_ring_resume() - wait for the completion of the vCPU's ring request
 * @vcpu: the vCPU, loaded, preemptible, vcpu->pending HVX_PENDING_RING
 *
 * Called when the request is made, and again by the next HVX_RUN when a
 * signal interrupted the wait: the request stays outstanding (its entry
 * is on the ring once, never re-posted) and the guest's instruction is not
 * finished until the completion arrives.  It polls for the completion a
 * while first (ring_poll_ns), then sleeps.
 *
 * When the ring's file is closed first, the request is given up: a write
 * the consumer took is finished, as if completed; otherwise the
 * instruction, not finished, runs again (and exits).
 *
 * Return: 1 (resume the guest), or -EINTR with exit reason HVX_EXIT_INTR
 * when a signal came first or run->immediate_exit is set.
 */
int hvx_ring_resume(struct hvx_vcpu *vcpu)
{
	struct hvx_vm *vm = vcpu->vm;
	struct hvx_ring_wait *w = &vm->ring->waits[vcpu->id];
	bool done;
	u64 data;

	/* immediate_exit: leave now rather than wait; the request stays. */
	if ((READ_ONCE(vcpu->run->immediate_exit) && !ring_answered(vcpu)) ||
	    (!ring_poll(ring_answered, vcpu) &&
	     wait_event_interruptible(w->wq, ring_answered(vcpu)))) {
		vcpu->run->exit_reason = HVX_EXIT_INTR;
		return -EINTR;
	}
	spin_lock(&vm->io_lock);
	done = w->done;
	data = w->data;
	/* the ring closed: a write its consumer took is done, not replayed */
	if (!done && vcpu->ring_op == HVX_RING_OP_WRITE)
		done = (s32)(READ_ONCE(vm->ring->hdr->consumer) - w->slot) > 0;
	w->seq = 0;
	w->done = false;
	spin_unlock(&vm->io_lock);
	if (!done) {
		vcpu->pending = HVX_PENDING_NONE;
		return 1;
	}
	return ring_finish(vcpu, data);
}

/**
 * hvx_ring_abandon() - the vCPU's ring request is no longer waited for
 * @vcpu: the vCPU: userspace replaced the state the request would have
 *	finished (HVX_SET_REGS), or its file is closing
 *
 * Its HVX_RING_COMPLETE then answers ENOENT, as for any request nothing
 * waits for, rather than 0 for a completion thrown away.
 */
void hvx_ring_abandon(struct hvx_vcpu *vcpu)
{
	struct hvx_vm *vm = vcpu->vm;
	struct hvx_ring_wait *w;

	spin_lock(&vm->io_lock);
	/* vm->ring is set once, under this lock */
	if (vm->ring) {
		w = &vm->ring->waits[vcpu->id];
		w->seq = 0;
		w->done = false;
	}
	spin_unlock(&vm->io_lock);
}

/*
 * Serve an access through the registered ranges.  Return: 0 when the
 * caller takes the classic exit, 1 to resume the guest, -EINTR.
 */
static __always_inline int ring_access(struct hvx_vcpu *vcpu, u32 type,
				       u64 addr, unsigned int size, bool write,
				       u64 data, unsigned int insn_len,
				       enum hvx_ring_op op)
{
	struct hvx_vm *vm = vcpu->vm;
	struct hvx_ring_wait *w;
	struct hvx_ring *ring;
	struct hvx_range *r;
	bool notify;
	u8 flags;

	if (!READ_ONCE(vm->nr_ranges))
		return 0;
	spin_lock(&vm->io_lock);
	r = range_find(vm, type, addr, size);
	if (!r || (!write && !(r->flags & HVX_RANGE_SYNC))) {
		spin_unlock(&vm->io_lock);
		return 0;
	}
	if (r->flags & HVX_RANGE_DOORBELL) {
		hvx_eventfd_signal(r->efd);
		spin_unlock(&vm->io_lock);
		hvx_skip_insn_len(vcpu, insn_len);
		return 1;
	}
	flags = write ? HVX_RING_F_WRITE : 0;
	flags |= r->flags & HVX_RANGE_SYNC ? HVX_RING_F_REQUEST :
		 HVX_RING_F_POSTED;
	/* vm->ring is set once, under this lock, and lives as long as vm. */
	ring = vm->ring;
	if (!ring || ring->closed ||
	    !ring_put(vcpu, ring, type, addr, size, data, flags)) {
		spin_unlock(&vm->io_lock);
		hvx_stat_add(&vcpu->stats, HVX_STAT_RING_FALLBACK, 1);
		return 0;
	}
	if (flags & HVX_RING_F_REQUEST) {
		w = &ring->waits[vcpu->id];
		w->seq = ring->seq;
		w->slot = ring->prod - 1;
		w->done = false;
	}
	/*
	 * A request needs its server now.  Posts wake the consumer only once
	 * the ring is half full; until then the wake-up waits for the next
	 * sync point (HVX_RUN returning, a vCPU going idle, a VMX-preemption
	 * timer slice), so a guest streaming posted writes costs no context
	 * switch per entry.  Without the timer, a guest that posts and then
	 * spins would reach none: every post wakes the consumer.
	 */
	notify = (flags & HVX_RING_F_REQUEST) ||
		 !(hvx_vmx.pin & PIN_BASED_VMX_PREEMPTION_TIMER) ||
		 ring->prod - READ_ONCE(ring->hdr->consumer) >=
		 ring->capacity / 2;
	WRITE_ONCE(ring->notify_deferred, !notify);
	spin_unlock(&vm->io_lock);
	hvx_stat_add(&vcpu->stats, HVX_STAT_RING_POSTED, 1);
	if (notify)
		ring_notify(ring);

	if (flags & HVX_RING_F_POSTED) {
		hvx_skip_insn_len(vcpu, insn_len);
		return 1;
	}
	vcpu->pending = HVX_PENDING_RING;
	vcpu->ring_op = op;
	vcpu->pending_insn_len = insn_len;
	vcpu->pending_size = size;
	vcpu->pending_count = 0;
	return hvx_ring_resume(vcpu);
}

/**
 * hvx_ring_pio() - route IN or OUT (not the string forms) through a range
 * @vcpu: the vCPU, loaded, preemptible
 * @port: the port
 * @size: 1, 2 or 4
 * @in: IN (else OUT)
 * @insn_len: length of the instruction
 *
 * Return: 0 when the classic exit must serve the access; 1 when it was
 * posted, rung or completed (resume the guest); -EINTR when a signal
 * interrupted the wait for a completion (the request stays outstanding).
 */
int hvx_ring_pio(struct hvx_vcpu *vcpu, u16 port, unsigned int size,
		 bool in, unsigned int insn_len)
{
	u64 data = 0;

	if (!in)
		memcpy(&data, &vcpu->regs[HVX_RAX], size);
	return ring_access(vcpu, HVX_RING_PIO, port, size, !in, data, insn_len,
			   in ? HVX_RING_OP_PIO_IN : HVX_RING_OP_WRITE);
}

/**
 * hvx_ring_mmio() - route a decoded MMIO load or store through a range
 * @vcpu: the vCPU, loaded, preemptible; vcpu->mmio_insn decoded
 * @gpa: the guest-physical address
 * @size: 1, 2, 4 or 8
 * @write: a store of @data (else a load)
 * @data: the value stored
 *
 * Return: as hvx_ring_pio().
 */
int hvx_ring_mmio(struct hvx_vcpu *vcpu, u64 gpa, unsigned int size,
		  bool write, u64 data)
{
	return ring_access(vcpu, HVX_RING_MMIO, gpa, size, write, data,
			   vcpu->mmio_insn.len,
			   write ? HVX_RING_OP_WRITE : HVX_RING_OP_MMIO_READ);
}

/**
 * hvx_ring_sync_point() - order the VM's posts before an HVX_RUN return
 * @vm: the VM
 *
 * Every post holds vm->io_lock while it publishes; taking the lock here
 * makes each post that finished before this point happen-before the
 * return of the calling HVX_RUN, so userspace finds it in the ring when
 * it loads the producer index afterwards.  A wake-up the posts deferred
 * is delivered here (and where a vCPU goes idle: hvx_ring_vcpu_idle()).
 */
void hvx_ring_sync_point(struct hvx_vm *vm)
{
	struct hvx_ring *ring = READ_ONCE(vm->ring);
	bool notify;

	if (!ring)
		return;
	spin_lock(&vm->io_lock);
	notify = ring->notify_deferred;
	WRITE_ONCE(ring->notify_deferred, false);
	spin_unlock(&vm->io_lock);
	if (notify)
		ring_notify(ring);
}

/**
 * hvx_ring_vcpu_idle() - a vCPU of @vm goes idle in the kernel
 * @vm: the VM
 *
 * A guest that waits (sti; hlt) for what its posted writes asked of a
 * device must not wait on the wake-up they deferred.  No ordering is owed
 * to userspace here, so only a deferral seen takes the lock: one made
 * meanwhile has its poster's own sync point.
 */
void hvx_ring_vcpu_idle(struct hvx_vm *vm)
{
	struct hvx_ring *ring = READ_ONCE(vm->ring);

	if (ring && READ_ONCE(ring->notify_deferred))
		hvx_ring_sync_point(vm);
}
