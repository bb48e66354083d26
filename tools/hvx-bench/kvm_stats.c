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
 * kvm_stats_read() - read every counter
 * @st: filled with each regular file of KVM_DEBUGFS and its value
 *
 * Return: 0, or -1 with errno set when the directory cannot be read.
 */
int kvm_stats_read(struct kvm_stats *st)
{
	char path[300], buf[32];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int fd;
	ssize_t n;

	st->nr = 0;
	d = opendir(KVM_DEBUGFS);
	if (!d)
		return -1;
	while ((de = readdir(d)) && st->nr < LINUX_MAX_COUNTERS) {
		if (strlen(de->d_name) >= sizeof(st->name[0]))
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
		strcpy(st->name[st->nr], de->d_name);
		st->value[st->nr++] = strtoull(buf, NULL, 0);
	}
	closedir(d);
	return 0;
}

/**
 * kvm_stats_get() - one counter of a read
 * @st: what kvm_stats_read() filled
 * @name: the file's name
 *
 * Return: its value, or -1 when this KVM has no such counter.
 */
int64_t kvm_stats_get(const struct kvm_stats *st, const char *name)
{
	unsigned int i;

	for (i = 0; i < st->nr; i++)
		if (!strcmp(st->name[i], name))
			return st->value[i];
	return -1;
}
