// SPDX-License-Identifier: GPL-2.0
/*
 * vCPUs: HVX_CREATE_VCPU and the vCPU file (mmap of the run page, the
 * register ioctls, HVX_RUN).
 *
 * A vCPU's ioctls are serialised by its mutex.  Those that touch the VMCS
 * load it on the calling CPU and follow the thread if it migrates
 * (hvx_vcpu_run_begin()), so they may sleep.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "ring.h"
#include "vcpu.h"

/* All of a vCPU but its struct, which IPI and MSI routing may read. */
static void hvx_vcpu_free_parts(struct hvx_vcpu *vcpu)
{
	hvx_vcpu_clear(vcpu);
	fpu_free_guest_fpstate(&vcpu->fpu);
	hvx_vpid_free(vcpu->vpid);
	free_page((unsigned long)vcpu->vmcs);
	free_page((unsigned long)vcpu->run);
}

static void hvx_vcpu_free(struct hvx_vcpu *vcpu)
{
	hvx_vcpu_free_parts(vcpu);
	free_pages_exact(vcpu, sizeof(*vcpu));
}

static void hvx_vcpu_free_rcu(struct rcu_head *head)
{
	struct hvx_vcpu *vcpu = container_of(head, struct hvx_vcpu, rcu);

	free_pages_exact(vcpu, sizeof(*vcpu));
}

static int hvx_vcpu_release(struct inode *inode, struct file *filp)
{
	struct hvx_vcpu *vcpu = filp->private_data;
	struct hvx_vm *vm = vcpu->vm;

	if (vcpu->pending == HVX_PENDING_RING)
		hvx_ring_abandon(vcpu);
	mutex_lock(&vm->lock);
	hvx_stats_vcpu_gone(vcpu);	/* its counts stay in the VM's */
	WRITE_ONCE(vm->vcpus[vcpu->id], NULL);
	vm->nr_vcpus--;
	mutex_unlock(&vm->lock);
	hvx_apic_destroy(vcpu);
	hvx_vcpu_free_parts(vcpu);
	/*
	 * IPI and MSI routing reads vm->vcpus[] under RCU only, and what it
	 * touches is in the struct (the APIC, the requests, the wait queue):
	 * the struct goes after a grace period, without waiting for one
	 * here, where a process's exit closes its vCPUs one after another.
	 * The readers are the VM's other vCPUs, which hold the VM, and its
	 * irqfds, which the VM's teardown unhooks before it frees anything.
	 */
	call_rcu(&vcpu->rcu, hvx_vcpu_free_rcu);
	hvx_vm_put(vm);
	return 0;
}

/* The run page, dropped since mmap() (MADV_DONTNEED): the same page. */
static vm_fault_t hvx_vcpu_fault(struct vm_fault *vmf)
{
	struct hvx_vcpu *vcpu = vmf->vma->vm_file->private_data;

	if (vmf->pgoff)
		return VM_FAULT_SIGBUS;
	vmf->page = virt_to_page(vcpu->run);
	get_page(vmf->page);
	return 0;
}

static const struct vm_operations_struct hvx_vcpu_vm_ops = {
	.fault = hvx_vcpu_fault,
};

static int hvx_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct hvx_vcpu *vcpu = filp->private_data;

	/* as for its ioctls: the run page is the owner's */
	if (current->mm != vcpu->vm->mm)
		return -EIO;
	/* a private copy would hide the exits and answers from each side */
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != PAGE_SIZE ||
	    !(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/* no growing the mapping past the page with mremap() */
	hvx_vm_flags_set(vma, VM_DONTEXPAND);
	vma->vm_ops = &hvx_vcpu_vm_ops;
	return vm_insert_page(vma, vma->vm_start, virt_to_page(vcpu->run));
}

/**
 * msrs_ioctl() - HVX_GET_MSRS, HVX_SET_MSRS
 * @vcpu: the vCPU, its mutex held
 * @um: userspace's struct hvx_msrs and its entries
 * @set: HVX_SET_MSRS
 *
 * Entries are processed in order and stop at the first one with a
 * non-zero reserved word or an MSR hvx refuses (outside the set, or a
 * value the MSR cannot take).
 *
 * Return: the number of entries processed; -EFAULT when @um cannot be
 * read (or, for a get, written); -EINVAL for non-zero padding; -E2BIG
 * for more than HVX_MAX_MSR_ENTRIES entries.
 */
static long msrs_ioctl(struct hvx_vcpu *vcpu, struct hvx_msrs __user *um,
		       bool set)
{
	struct hvx_msr_entry e;
	struct hvx_msrs hdr;
	u32 i;

	if (copy_from_user(&hdr, um, sizeof(hdr)))
		return -EFAULT;
	if (hdr.pad)
		return -EINVAL;
	if (hdr.nmsrs > HVX_MAX_MSR_ENTRIES)
		return -E2BIG;
	for (i = 0; i < hdr.nmsrs; i++) {
		if (copy_from_user(&e, &um->entries[i], sizeof(e)))
			return -EFAULT;
		if (e.reserved)
			break;
		if (set) {
			if (hvx_msr_set(vcpu, e.index, e.data, true))
				break;
		} else {
			if (hvx_msr_get(vcpu, e.index, &e.data))
				break;
			if (copy_to_user(&um->entries[i].data, &e.data,
					 sizeof(e.data)))
				return -EFAULT;
		}
	}
	return i;
}

/*
 * The register ioctls, small enough for the stack (the larger states are
 * hvx_vcpu_state_ioctl()'s).
 */
static long vmcs_ioctl(struct hvx_vcpu *vcpu, unsigned int cmd,
		       void __user *argp)
{
	union {
		struct hvx_regs regs;
		struct hvx_sregs sregs;
	} u;
	long r = 0;

	switch (cmd) {
	case HVX_SET_REGS:
		if (copy_from_user(&u.regs, argp, sizeof(u.regs)))
			return -EFAULT;
		break;
	case HVX_SET_SREGS:
		if (copy_from_user(&u.sregs, argp, sizeof(u.sregs)))
			return -EFAULT;
		break;
	}

	hvx_vcpu_run_begin(vcpu);
	switch (cmd) {
	case HVX_GET_REGS:
		r = hvx_get_regs(vcpu, &u.regs);
		break;
	case HVX_SET_REGS:
		r = hvx_set_regs(vcpu, &u.regs);
		break;
	case HVX_GET_SREGS:
		r = hvx_get_sregs(vcpu, &u.sregs);
		break;
	case HVX_SET_SREGS:
		r = hvx_set_sregs(vcpu, &u.sregs);
		break;
	case HVX_GET_MSRS:
		r = msrs_ioctl(vcpu, argp, false);
		break;
	case HVX_SET_MSRS:
		r = msrs_ioctl(vcpu, argp, true);
		break;
	}
	hvx_vcpu_run_end(vcpu);

	if (!r && cmd == HVX_GET_REGS &&
	    copy_to_user(argp, &u.regs, sizeof(u.regs)))
		return -EFAULT;
	if (!r && cmd == HVX_GET_SREGS &&
	    copy_to_user(argp, &u.sregs, sizeof(u.sregs)))
		return -EFAULT;
	return r;
}

static long hvx_vcpu_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct hvx_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	long r;

	if (current->mm != vcpu->vm->mm)
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	switch (cmd) {
	case HVX_RUN:
		/* the run page's padding is the ABI's, for later fields */
		if (arg || memchr_inv(vcpu->run->pad0, 0,
				      sizeof(vcpu->run->pad0)))
			r = -EINVAL;
		else
			r = hvx_vcpu_run(vcpu);
		break;
	case HVX_GET_REGS:
	case HVX_SET_REGS:
	case HVX_GET_SREGS:
	case HVX_SET_SREGS:
	case HVX_GET_MSRS:
	case HVX_SET_MSRS:
		r = vmcs_ioctl(vcpu, cmd, argp);
		break;
	case HVX_GET_CPUID:
		r = hvx_get_cpuid(vcpu, argp);
		break;
	case HVX_SET_CPUID:
		r = hvx_set_cpuid(vcpu, argp);
		break;
	case HVX_INTERRUPT: {
		struct hvx_interrupt irq;

		r = copy_from_user(&irq, argp, sizeof(irq)) ? -EFAULT :
		    hvx_set_interrupt(vcpu, &irq);
		break;
	}
	case HVX_NMI:
		r = arg ? -EINVAL : 0;
		if (!r)
			hvx_set_nmi(vcpu);
		break;
	case HVX_GET_MP_STATE: {
		struct hvx_mp_state mp = { .state = vcpu->mp_state };

		r = copy_to_user(argp, &mp, sizeof(mp)) ? -EFAULT : 0;
		break;
	}
	case HVX_SET_MP_STATE: {
		struct hvx_mp_state mp;

		r = copy_from_user(&mp, argp, sizeof(mp)) ? -EFAULT :
		    hvx_set_mp_state(vcpu, &mp);
		break;
	}
	case HVX_GET_LAPIC:
	case HVX_SET_LAPIC:
	case HVX_GET_VCPU_EVENTS:
	case HVX_SET_VCPU_EVENTS:
	case HVX_GET_DEBUGREGS:
	case HVX_SET_DEBUGREGS:
	case HVX_GET_XSAVE:
	case HVX_SET_XSAVE:
	case HVX_GET_PDPTRS:
	case HVX_SET_PDPTRS:
		r = hvx_vcpu_state_ioctl(vcpu, cmd, argp);
		break;
	default:
		r = -ENOTTY;
	}
	mutex_unlock(&vcpu->mutex);
	return r;
}

static const struct file_operations hvx_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= hvx_vcpu_release,
	.unlocked_ioctl	= hvx_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= hvx_vcpu_mmap,
	.llseek		= noop_llseek,
};

static struct hvx_vcpu *hvx_vcpu_alloc(struct hvx_vm *vm, u32 id)
{
	struct hvx_vcpu *vcpu;

	vcpu = alloc_pages_exact(sizeof(*vcpu),
				 GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->cpu = -1;
	INIT_LIST_HEAD(&vcpu->loaded_link);
	mutex_init(&vcpu->mutex);
	vcpu->dr6 = HVX_DR6_RESET;
	vcpu->irq_vector = -1;
	vcpu->extint_vector = -1;
	init_waitqueue_head(&vcpu->wq);
	hvx_apic_init(vcpu);
	vcpu->misc_enable = MSR_IA32_MISC_ENABLE_FAST_STRING;
	vcpu->mmio_gfn = ~0ULL;
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vcpu->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run || !vcpu->vmcs)
		goto err_free;
	if (!fpu_alloc_guest_fpstate(&vcpu->fpu))
		goto err_free;
	vcpu->vpid = hvx_vpid_alloc();
	hvx_cpuid_init_vcpu(vcpu);
	return vcpu;

err_free:
	free_page((unsigned long)vcpu->run);
	free_page((unsigned long)vcpu->vmcs);
	free_pages_exact(vcpu, sizeof(*vcpu));
	return NULL;
}

/**
 * hvx_vcpu_create() - HVX_CREATE_VCPU
 * @vm: the VM
 * @id: the vCPU id, below HVX_MAX_VCPUS
 *
 * Return: the vCPU's file descriptor, or -EINVAL (bad id), -EEXIST (id in
 * use), -ENOMEM, -EIO (the hardware refused the VMCS).
 */
int hvx_vcpu_create(struct hvx_vm *vm, unsigned long id)
{
	struct hvx_vcpu *vcpu;
	struct file *file;
	int err, fd;

	if (id >= HVX_MAX_VCPUS)
		return -EINVAL;
	id = array_index_nospec(id, HVX_MAX_VCPUS);
	mutex_lock(&vm->lock);
	if (vm->vcpus[id]) {
		err = -EEXIST;
		goto out_unlock;
	}
	err = -ENOMEM;
	vcpu = hvx_vcpu_alloc(vm, id);
	if (!vcpu)
		goto out_unlock;
	err = hvx_vmcs_setup(vcpu);
	if (err)
		goto err_free;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		err = fd;
		goto err_free;
	}
	file = anon_inode_getfile("hvx-vcpu", &hvx_vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_put_fd;
	}
	/* Published before the fd: its release needs the slot filled. */
	refcount_inc(&vm->users);
	/* published complete: routing reads it without vm->lock */
	smp_store_release(&vm->vcpus[id], vcpu);
	vm->nr_vcpus++;
	if (id >= vm->vcpu_id_end) {
		/* after vcpus[id]: who sees the new end sees the vCPU too */
		smp_store_release(&vm->vcpu_id_end, id + 1);
	}
	fd_install(fd, file);
	mutex_unlock(&vm->lock);
	return fd;

err_put_fd:
	put_unused_fd(fd);
err_free:
	hvx_vcpu_free(vcpu);
out_unlock:
	mutex_unlock(&vm->lock);
	return err;
}
