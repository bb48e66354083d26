// SPDX-License-Identifier: GPL-2.0
/*
 * KVM's own counters, the files of KVM_DEBUGFS: each is the sum over the
 * VMs of one statistic (exits, pf_taken, pages_2m, ...).  The benchmarks
 * run one VM at a time, so a difference of two reads is that VM's.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

/**
 * kvm_vm_counters() - read every counter of KVM_DEBUGFS
 * @b: each regular file's value is added as a counter; @b->exits is the
 *     "exits" file's, or -1
 *
 * The files sum over every VM of the host: the caller's is the only one.
 *
 * Return: 0, or -1 when the directory cannot be read (errno set).
 */
int kvm_vm_counters(struct linux_boot *b)
{
	char path[300], buf[32];
	struct dirent *de;
	struct stat sb;
	uint64_t v;
	DIR *d;
	int fd;
	ssize_t n;

	b->exits = -1;
	d = opendir(KVM_DEBUGFS);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (strlen(de->d_name) >= sizeof(b->c[0].name))
			continue;
		snprintf(path, sizeof(path), KVM_DEBUGFS "/%s", de->d_name);
		if (stat(path, &sb) || !S_ISREG(sb.st_mode))
			continue;
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = 0;
		v = strtoull(buf, NULL, 0);
		if (!strcmp(de->d_name, "exits"))
			b->exits = v;
		linux_boot_add(b, de->d_name, v);
	}
	closedir(d);
	return 0;
}
