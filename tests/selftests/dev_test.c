// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/hvx control device: its node, the API version, the capability
 * report (checked against the kernel's own "vmx flags" in /proc/cpuinfo)
 * and the errors of bad requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <hvx/libhvx.h>

#include "kselftest_harness.h"

FIXTURE(dev) {
	int fd;
};

FIXTURE_SETUP(dev)
{
	self->fd = open("/dev/hvx", O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, "/dev/hvx: %s", strerror(errno));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST(node_is_root_only_misc_char_device)
{
	struct stat st;
	char line[64];
	FILE *f;
	int maj = -1;

	ASSERT_EQ(0, stat("/dev/hvx", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);

	/* A misc device: major 10, the minor /sys/class/misc/hvx says. */
	f = fopen("/sys/class/misc/hvx/dev", "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(line, sizeof(line), f));
	fclose(f);
	sscanf(line, "%d:", &maj);
	EXPECT_EQ(10, maj);
	EXPECT_EQ(10, (int)major(st.st_rdev));
}

TEST(unprivileged_open_is_eacces)
{
	int status;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		if (open("/dev/hvx", O_RDWR) >= 0)
			_exit(3);
		_exit(errno == EACCES ? 0 : 4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(dev, api_version)
{
	EXPECT_EQ(HVX_API_VERSION, ioctl(self->fd, HVX_GET_API_VERSION, 0));
	EXPECT_EQ(1, HVX_API_VERSION);
}

TEST_F(dev, api_version_with_argument_is_einval)
{
	EXPECT_EQ(-1, ioctl(self->fd, HVX_GET_API_VERSION, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(dev, unknown_ioctls_are_enotty)
{
	EXPECT_EQ(-1, ioctl(self->fd, _IO(HVXIO, 0x0f), 0));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(-1, ioctl(self->fd, _IO('x', 1), 0));
	EXPECT_EQ(ENOTTY, errno);
	/* a VM ioctl on the control device */
	EXPECT_EQ(-1, ioctl(self->fd, HVX_CREATE_VCPU, 0));
	EXPECT_EQ(ENOTTY, errno);
	/* HVX_GET_CAPS with the wrong size is another command */
	EXPECT_EQ(-1, ioctl(self->fd, _IOR(HVXIO, 0x01, __u64), 0));
	EXPECT_EQ(ENOTTY, errno);
}

TEST_F(dev, caps_bad_pointer_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, HVX_GET_CAPS, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, HVX_GET_CAPS, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, HVX_GET_CAPS, (void *)-4096L));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, create_vm_with_argument_is_einval)
{
	EXPECT_EQ(-1, ioctl(self->fd, HVX_CREATE_VM, 1));
	EXPECT_EQ(EINVAL, errno);
}

/* The "vmx flags" line of /proc/cpuinfo, or NULL without one. */
static char *cpuinfo_vmx_flags(void)
{
	static char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "r");
	char *found = NULL;

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "vmx flags", 9)) {
			found = strchr(line, ':');
			break;
		}
	}
	fclose(f);
	return found;
}

static int has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ' || p[-1] == ':') &&
		    (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

TEST_F(dev, caps_match_cpuinfo_vmx_flags)
{
	const struct hvx_flag_name *fl;
	struct hvx_caps caps;
	char *flags = cpuinfo_vmx_flags();
	int checked = 0;

	ASSERT_NE(NULL, flags);
	memset(&caps, 0xa5, sizeof(caps));
	ASSERT_EQ(0, ioctl(self->fd, HVX_GET_CAPS, &caps));
	for (fl = hvx_vmx_flag_names; fl->name; fl++) {
		if (fl->bit == HVX_VMX_EPT_2MB)
			continue;	/* not shown by /proc/cpuinfo */
		EXPECT_EQ(has_word(flags, fl->name),
			  !!(caps.vmx_features & fl->bit)) {
			TH_LOG("flag %s: cpuinfo %d, hvx %d", fl->name,
			       has_word(flags, fl->name),
			       !!(caps.vmx_features & fl->bit));
		}
		checked++;
	}
	EXPECT_LE(20, checked);
	/* what hvx requires is there, or the module would not load */
	EXPECT_TRUE(caps.vmx_features & HVX_VMX_EPT);
	EXPECT_TRUE(caps.vmx_features & HVX_VMX_UNRESTRICTED_GUEST);
	EXPECT_TRUE(caps.hvx_features & HVX_FEAT_VM);
}

TEST_F(dev, caps_fields)
{
	struct hvx_caps caps;
	unsigned int i;

	memset(&caps, 0xa5, sizeof(caps));
	ASSERT_EQ(0, ioctl(self->fd, HVX_GET_CAPS, &caps));
	/* VMCS revision, and a VMCS region of at most 4 KiB */
	EXPECT_NE(0, caps.vmx_basic & 0x7fffffff);
	EXPECT_GE(4096, (caps.vmx_basic >> 32) & 0x1fff);
	EXPECT_EQ(HVX_MAX_VCPUS, caps.max_vcpus);
	EXPECT_EQ(HVX_MAX_MEM_SLOTS, caps.max_mem_slots);
	EXPECT_EQ(4096, caps.run_page_size);
	EXPECT_EQ(caps.vmx_misc & 0x1f, caps.preemption_timer_shift);
	EXPECT_NE(0, caps.ept_vpid_cap);
	for (i = 0; i < sizeof(caps.reserved) / sizeof(caps.reserved[0]); i++)
		EXPECT_EQ(0, caps.reserved[i]);
}

TEST_HARNESS_MAIN
