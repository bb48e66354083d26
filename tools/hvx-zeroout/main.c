// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-zeroout: zero a range of a block device the two ways Linux asks a
 * disk to, for the Linux guest of the linux_boot tests (busybox has
 * neither).
 *
 *   hvx-zeroout DEVICE OFFSET LENGTH zero
 *	fallocate(FALLOC_FL_ZERO_RANGE): the zeros stay allocated; the
 *	block layer sends WRITE_ZEROES without unmap where the disk has
 *	it, else writes zero pages
 *   hvx-zeroout DEVICE OFFSET LENGTH punch
 *	fallocate(FALLOC_FL_PUNCH_HOLE): WRITE_ZEROES that may unmap, and
 *	no fallback: a disk without it fails with EOPNOTSUPP
 *
 * OFFSET and LENGTH are decimal bytes, multiples of 512.  Exit status 0
 * when the call succeeded, 1 when it failed (its error on stderr), 2 for
 * a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long long off, len;
	char *end1, *end2;
	int fd, mode;

	if (argc != 5)
		goto usage;
	if (argv[2][0] < '0' || argv[2][0] > '9' ||
	    argv[3][0] < '0' || argv[3][0] > '9')
		goto usage;
	off = strtoull(argv[2], &end1, 10);
	len = strtoull(argv[3], &end2, 10);
	if (*end1 || *end2 || !len || off % 512 || len % 512)
		goto usage;
	if (!strcmp(argv[4], "zero"))
		mode = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	else if (!strcmp(argv[4], "punch"))
		mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	else
		goto usage;
	fd = open(argv[1], O_RDWR);
	if (fd < 0 || fallocate(fd, mode, off, len) || close(fd)) {
		fprintf(stderr, "hvx-zeroout: %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: hvx-zeroout DEVICE OFFSET LENGTH zero|punch\n");
	return 2;
}
