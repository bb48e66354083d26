// SPDX-License-Identifier: GPL-2.0
/*
 * hvx.ko: module load and unload, and the /dev/hvx control device.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/uaccess.h>
#include <asm/fpu/xcr.h>

#include "mitigate.h"
#include "vcpu.h"

/**
 * hvx_get_caps() - HVX_GET_CAPS
 * @argp: where userspace wants its struct hvx_caps
 *
 * Return: 0, or -EFAULT when @argp cannot be written.
 */
static long hvx_get_caps(void __user *argp)
{
	struct hvx_caps caps;

	hvx_caps_fill(&caps);
	if (copy_to_user(argp, &caps, sizeof(caps)))
		return -EFAULT;
	return 0;
}

static long hvx_dev_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	switch (cmd) {
	case HVX_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return HVX_API_VERSION;
	case HVX_GET_CAPS:
		return hvx_get_caps((void __user *)arg);
	case HVX_CREATE_VM:
		if (arg)
			return -EINVAL;
		return hvx_vm_create();
	default:
		return -ENOTTY;
	}
}

static const struct file_operations hvx_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= hvx_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice hvx_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= HVX_DEVICE_NAME,
	.fops	= &hvx_dev_fops,
	.mode	= 0600,
};

static int __init hvx_init(void)
{
	int err;

	err = hvx_caps_probe();
	if (err)
		return err;
	if (boot_cpu_has(X86_FEATURE_OSXSAVE))
		hvx_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	err = hvx_mitigate_init();
	if (err)
		return err;
	hvx_msr_init_host();
	hvx_perf_init();
	err = hvx_irqfd_init();
	if (err)
		goto err_mitigate;
	err = hvx_vmx_module_init();
	if (err)
		goto err_irqfd;

	/* Before /dev/hvx: VMs announce themselves on the family. */
	err = hvx_nl_init();
	if (err) {
		pr_err("cannot register generic netlink family %s: %d\n",
		       HVX_GENL_NAME, err);
		goto err_vmx;
	}
	err = misc_register(&hvx_dev);
	if (err) {
		pr_err("cannot register /dev/%s: %d\n", HVX_DEVICE_NAME, err);
		goto err_nl;
	}
	pr_info("loaded: VMCS revision %#x, features %#llx, APIC virtualization %s\n",
		hvx_vmx.revision_id, hvx_vmx.features,
		hvx_vmx.apicv ? "on (TPR shadow, register virtualization, virtual-interrupt delivery, x2APIC, xAPIC page)" :
				"off");
	if (hvx_vmx.apicv && hvx_vmx.vectoring_quirk)
		pr_info("Bochs BIOS: a virtual interrupt's delivery cut short is taken from SVI\n");
	return 0;

err_nl:
	hvx_nl_exit();
err_vmx:
	hvx_vmx_module_exit();
err_irqfd:
	hvx_irqfd_exit();
err_mitigate:
	hvx_mitigate_exit();
	return err;
}

static void __exit hvx_exit(void)
{
	misc_deregister(&hvx_dev);
	hvx_nl_exit();
	/* vCPU structs freed after a grace period (vcpu.c) */
	rcu_barrier();
	hvx_vmx_module_exit();
	hvx_irqfd_exit();
	hvx_mitigate_exit();
	pr_info("unloaded\n");
}

module_init(hvx_init);
module_exit(hvx_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hvx: a small type-2 hypervisor on Intel VT-x");
