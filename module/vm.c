// SPDX-License-Identifier: GPL-2.0
/*
 * VMs: HVX_CREATE_VM and the VM file's ioctls.
 *
 * A VM lives while its file, any of its vCPU files or its ring's file is
 * open (or mapped).  It belongs to the process that created it: its
 * ioctls (and its vCPUs') from another process fail with -EIO, since guest
 * memory is that process's memory.  VMX is on everywhere while at least
 * one VM exists.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/pid.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr.h>

#include "vcpu.h"
#include "ring.h"

static DEFINE_IDA(hvx_vm_ida);

/* Live VMs for the netlink dump (stats.h); see hvx.h for the rules. */
LIST_HEAD(hvx_vm_list);
/* guards hvx_vm_list */
DEFINE_MUTEX(hvx_vm_list_lock);

/* Free a VM that netlink cannot reach (never published, or withdrawn). */
static void hvx_vm_teardown(struct hvx_vm *vm)
{
	/* first: an eventfd's signal must not reach a VM being torn down */
	hvx_irqfd_vm_free(vm);
	hvx_ring_vm_free(vm);
	/* No invalidation may walk the tables hvx_mem_destroy() frees. */
	hvx_mmu_notifier_unregister(vm);
	hvx_mem_destroy(vm);
	free_pages((unsigned long)vm->msr_bitmap, 1);
	free_pages((unsigned long)vm->io_bitmap, 1);
	if (vm->apic_access_page)
		__free_page(vm->apic_access_page);
	put_pid(vm->owner);
	mmdrop(vm->mm);
	ida_free(&hvx_vm_ida, vm->id);
	kfree(vm);
	hvx_vmx_put();
}

static void hvx_vm_free(struct hvx_vm *vm)
{
	/*
	 * Announce, then take the VM out of the dump's sight: from here on
	 * no netlink handler can reach it, so it may be torn down.
	 */
	hvx_nl_event(vm, -1, HVX_EVENT_VM_DESTROYED, 0);
	mutex_lock(&hvx_vm_list_lock);
	list_del(&vm->list);
	mutex_unlock(&hvx_vm_list_lock);
	hvx_vm_teardown(vm);
}

/**
 * hvx_vm_put() - drop a reference; the last one frees the VM
 * @vm: the VM
 */
void hvx_vm_put(struct hvx_vm *vm)
{
	if (refcount_dec_and_test(&vm->users))
		hvx_vm_free(vm);
}

static int hvx_vm_release(struct inode *inode, struct file *filp)
{
	hvx_vm_put(filp->private_data);
	return 0;
}

/*
 * The options that only vCPUs created afterwards take up: an APIC's
 * version register does not change under a guest, and one TSC offset for
 * all vCPUs keeps their TSCs in step.
 */
static long set_before_vcpus(struct hvx_vm *vm, const struct hvx_option *opt)
{
	long r = 0;

	mutex_lock(&vm->lock);
	if (vm->nr_vcpus)
		r = -EBUSY;
	else if (opt->option == HVX_OPT_DIRECTED_EOI)
		vm->directed_eoi = opt->value;
	else
		vm->tsc_offset = opt->value - rdtsc();
	mutex_unlock(&vm->lock);
	return r;
}

/**
 * hvx_vm_set_option() - HVX_VM_SET_OPTION
 * @vm: the VM
 * @argp: userspace's struct hvx_option
 *
 * Return: 0; -EFAULT when @argp cannot be read; -EINVAL for non-zero
 * padding, an unknown option or a value the option does not take;
 * -EBUSY for HVX_OPT_DIRECTED_EOI and HVX_OPT_GUEST_TSC while the VM has a
 * vCPU.
 */
static long hvx_vm_set_option(struct hvx_vm *vm, void __user *argp)
{
	struct hvx_option opt;

	if (copy_from_user(&opt, argp, sizeof(opt)))
		return -EFAULT;
	if (opt.pad)
		return -EINVAL;
	switch (opt.option) {
	case HVX_OPT_UNKNOWN_MSR_EXIT:
		if (opt.value > 1)
			return -EINVAL;
		WRITE_ONCE(vm->unknown_msr_exit, opt.value);
		return 0;
	case HVX_OPT_DIRECTED_EOI:
		if (opt.value > 1)
			return -EINVAL;
		fallthrough;
	case HVX_OPT_GUEST_TSC:
		return set_before_vcpus(vm, &opt);
	}
	return -EINVAL;
}

static long hvx_vm_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg)
{
	struct hvx_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;
	struct hvx_memory_region mr;

	if (current->mm != vm->mm)
		return -EIO;
	switch (cmd) {
	case HVX_SET_MEMORY_REGION:
		if (copy_from_user(&mr, argp, sizeof(mr)))
			return -EFAULT;
		return hvx_set_memory_region(vm, &mr);
	case HVX_CREATE_VCPU:
		return hvx_vcpu_create(vm, arg);
	case HVX_VM_SET_OPTION:
		return hvx_vm_set_option(vm, argp);
	case HVX_CREATE_RING:
		return hvx_ring_create(vm, argp);
	case HVX_REGISTER_RANGE:
		return hvx_ring_register(vm, argp);
	case HVX_SIGNAL_MSI:
		return hvx_signal_msi(vm, argp);
	case HVX_IRQFD:
		return hvx_irqfd(vm, argp);
	case HVX_GET_DIRTY_LOG:
		return hvx_get_dirty_log(vm, argp);
	case HVX_CLEAR_DIRTY_LOG:
		return hvx_clear_dirty_log(vm, argp);
	}
	return -ENOTTY;
}

static const struct file_operations hvx_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= hvx_vm_release,
	.unlocked_ioctl	= hvx_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/*
 * A new VM of the calling process, complete but not yet published, with
 * hvx.ko's hold on VMX (hvx_vm_teardown() undoes it all).  Return: the
 * VM, or ERR_PTR() of hvx_vmx_get()'s errno or -ENOMEM.
 */
static struct hvx_vm *hvx_vm_alloc(void)
{
	static atomic64_t hvx_vm_serial = ATOMIC64_INIT(0);
	struct hvx_vm *vm;
	int err;

	err = hvx_vmx_get();
	if (err)
		return ERR_PTR(err);

	err = -ENOMEM;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		goto err_vmx;
	refcount_set(&vm->users, 1);
	vm->serial = atomic64_inc_return(&hvx_vm_serial);
	vm->tsc_offset = -rdtsc();
	mutex_init(&vm->lock);
	hvx_ring_vm_init(vm);
	hvx_irqfd_vm_init(vm);
	vm->id = ida_alloc(&hvx_vm_ida, GFP_KERNEL);
	if (vm->id < 0) {
		err = vm->id;
		goto err_free_vm;
	}
	vm->msr_bitmap = (void *)__get_free_pages(GFP_KERNEL_ACCOUNT, 1);
	vm->io_bitmap = (void *)__get_free_pages(GFP_KERNEL_ACCOUNT, 1);
	/* zeroed: a vCPU outside xAPIC mode may reach it (apicv.c) */
	if (hvx_vmx.apicv)
		vm->apic_access_page = alloc_page(GFP_KERNEL_ACCOUNT |
						  __GFP_ZERO);
	if (!vm->msr_bitmap || !vm->io_bitmap ||
	    (hvx_vmx.apicv && !vm->apic_access_page))
		goto err_free_bitmaps;
	hvx_msr_bitmap_init(vm->msr_bitmap);
	hvx_apicv_msr_bitmap_init(vm->msr_bitmap);
	/* Every port exits: device models live in userspace. */
	memset(vm->io_bitmap, 0xff, 2 * PAGE_SIZE);
	err = hvx_mem_init(vm);
	if (err)
		goto err_free_bitmaps;
	mmgrab(current->mm);
	vm->mm = current->mm;
	err = hvx_mmu_notifier_register(vm);
	if (err)
		goto err_free_mem;
	vm->pid = task_tgid_nr(current);
	vm->owner = get_task_pid(current, PIDTYPE_TGID);
	return vm;

err_free_mem:
	hvx_mem_destroy(vm);
	mmdrop(vm->mm);
err_free_bitmaps:
	free_pages((unsigned long)vm->msr_bitmap, 1);
	free_pages((unsigned long)vm->io_bitmap, 1);
	if (vm->apic_access_page)
		__free_page(vm->apic_access_page);
	ida_free(&hvx_vm_ida, vm->id);
err_free_vm:
	kfree(vm);
err_vmx:
	hvx_vmx_put();
	return ERR_PTR(err);
}

/**
 * hvx_vm_create() - HVX_CREATE_VM
 *
 * Return: the new VM's file descriptor, or a negative errno: -EBUSY when
 * another hypervisor holds VMX or the host is going down, -EIO when VMXON
 * fails, -ENOMEM, -EMFILE, -ERESTARTNOINTR (a signal: made again).
 */
int hvx_vm_create(void)
{
	struct hvx_vm *vm = hvx_vm_alloc();
	struct file *file;
	int err, fd;

	if (IS_ERR(vm))
		return PTR_ERR(vm);
	/*
	 * The file before the VM is published: once netlink can take a
	 * reference, only the last hvx_vm_put() may free it.
	 */
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto err_teardown;
	}
	file = anon_inode_getfile("hvx-vm", &hvx_vm_fops, vm, O_RDWR);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		err = PTR_ERR(file);
		goto err_teardown;
	}

	/* Complete now: visible to the netlink dump, and announced. */
	mutex_lock(&hvx_vm_list_lock);
	list_add_tail(&vm->list, &hvx_vm_list);
	mutex_unlock(&hvx_vm_list_lock);
	hvx_nl_event(vm, -1, HVX_EVENT_VM_CREATED, 0);
	fd_install(fd, file);
	return fd;

err_teardown:
	hvx_vm_teardown(vm);
	return err;
}
