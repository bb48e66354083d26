// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading hvx.ko.
 *
 * Runs with the module not loaded; takes the path of hvx.ko as its only
 * argument.  On a CPU with VMX the module loads, creates /dev/hvx and
 * unloads, repeatedly.  On a CPU without VMX (the QEMU test host) loading
 * fails with ENODEV and one "hvx: ..." line in the kernel log, and nothing
 * is left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/klog.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"

static const char *module_path = "/hvx/hvx.ko";

static int load_module_with(const char *params)
{
	int fd, ret;

	fd = open(module_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int load_module(void)
{
	return load_module_with("");
}

static int unload_module(void)
{
	return syscall(SYS_delete_module, "hvx", O_NONBLOCK) ? -errno : 0;
}

static int cpu_has_vmx(void)
{
	char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "flags", 5) && strstr(line, " vmx")) {
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

static int module_loaded(void)
{
	return access("/sys/module/hvx", F_OK) == 0;
}

/*
 * Count kernel log lines that start with "hvx: " and contain @what; into
 * *@last (unless NULL) the number that follows @what on the last of them,
 * -1 with none.  -1 when the log cannot be read.
 */
static int klog_scan(const char *what, long *last)
{
	int len = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, *line, *save, *msg;
	int n = 0;

	if (last)
		*last = -1;
	if (len <= 0)
		return -1;
	buf = calloc(1, len + 1);
	len = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, len);
	if (len < 0) {
		free(buf);
		return -1;
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		msg = strstr(line, "hvx: ");
		if (!msg || !(msg = strstr(msg, what)))
			continue;
		n++;
		if (last)
			*last = strtol(msg + strlen(what), NULL, 0);
	}
	free(buf);
	return n;
}

static int klog_count(const char *what)
{
	return klog_scan(what, NULL);
}

TEST(load_unload_cycles)
{
	struct stat st;
	int i;

	if (cpu_has_vmx() != 1)
		SKIP(return, "CPU has no VMX");
	ASSERT_FALSE(module_loaded());
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(0, load_module());
		ASSERT_TRUE(module_loaded());
		ASSERT_EQ(0, stat("/dev/hvx", &st));
		ASSERT_TRUE(S_ISCHR(st.st_mode));
		ASSERT_EQ(0600, st.st_mode & 07777);
		ASSERT_EQ(0, st.st_uid);
		ASSERT_EQ(0, unload_module());
		ASSERT_FALSE(module_loaded());
		ASSERT_NE(0, access("/dev/hvx", F_OK));
	}
}

TEST(double_load_is_eexist)
{
	if (cpu_has_vmx() != 1)
		SKIP(return, "CPU has no VMX");
	ASSERT_EQ(0, load_module());
	EXPECT_EQ(-EEXIST, load_module());
	ASSERT_EQ(0, unload_module());
}

/*
 * A vmentry_l1d_flush value the parameter does not know fails the load on
 * every CPU, not only on one with L1TF where the value would be used.
 */
TEST(unknown_l1d_flush_value_is_einval)
{
	if (cpu_has_vmx() != 1)
		SKIP(return, "CPU has no VMX");
	EXPECT_EQ(-EINVAL, load_module_with("vmentry_l1d_flush=sometimes"));
	EXPECT_FALSE(module_loaded());
	ASSERT_EQ(0, load_module_with("vmentry_l1d_flush=cond"));
	ASSERT_EQ(0, unload_module());
}

/* Whether this CPU has the iTLB multihit erratum, as the kernel says. */
static bool itlb_multihit(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/vulnerabilities/itlb_multihit",
			"r");
	char buf[128] = "";

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return buf[0] && !strstr(buf, "Not affected");
}

/*
 * nx_huge_pages: an unknown value fails the load; "off" on a CPU with
 * the erratum loads with one warning, "on" without.
 */
TEST(nx_huge_pages_values)
{
	const char *warn = "iTLB multihit: the CPU is affected";
	int before;

	if (cpu_has_vmx() != 1)
		SKIP(return, "CPU has no VMX");
	EXPECT_EQ(-EINVAL, load_module_with("nx_huge_pages=sometimes"));
	EXPECT_FALSE(module_loaded());
	before = klog_count(warn);
	ASSERT_LE(0, before);
	ASSERT_EQ(0, load_module_with("nx_huge_pages=off"));
	ASSERT_EQ(0, unload_module());
	EXPECT_EQ(before + itlb_multihit(), klog_count(warn));
	ASSERT_EQ(0, load_module_with("nx_huge_pages=on"));
	ASSERT_EQ(0, unload_module());
	EXPECT_EQ(before + itlb_multihit(), klog_count(warn));
}

/*
 * One line for each load and unload (the log holds earlier tests' too).
 * (The test host's Bochs reports revision 0x2b: IA32_VMX_BASIC[30:0].)
 */
TEST(load_logs_vmcs_revision)
{
	int loaded, unloaded;
	long rev;

	if (cpu_has_vmx() != 1)
		SKIP(return, "CPU has no VMX");
	loaded = klog_count("loaded: VMCS revision ");
	unloaded = klog_count("unloaded");
	ASSERT_LE(0, loaded);
	ASSERT_EQ(0, load_module());
	EXPECT_EQ(loaded + 1, klog_scan("loaded: VMCS revision ", &rev));
	/* bit 31 of IA32_VMX_BASIC is 0, and no processor has revision 0 */
	EXPECT_LT(0, rev);
	EXPECT_GT(1L << 31, rev);
	ASSERT_EQ(0, unload_module());
	EXPECT_EQ(unloaded + 1, klog_count("unloaded"));
}

TEST(no_vmx_refuses_with_enodev)
{
	int before;

	if (cpu_has_vmx() != 0)
		SKIP(return, "CPU has VMX");
	before = klog_count("CPU does not support VMX");
	ASSERT_LE(0, before);
	EXPECT_EQ(-ENODEV, load_module());
	EXPECT_FALSE(module_loaded());
	EXPECT_NE(0, access("/dev/hvx", F_OK));
	/* exactly one clear line per refused load */
	EXPECT_EQ(before + 1, klog_count("CPU does not support VMX"));
	/* and again: a refused load leaves nothing behind */
	EXPECT_EQ(-ENODEV, load_module());
	EXPECT_EQ(before + 2, klog_count("CPU does not support VMX"));
}

int main(int argc, char **argv)
{
	if (argc > 1)
		module_path = argv[1];
	return test_harness_run(1, argv);
}
