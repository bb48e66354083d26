// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-diskread: the reader of make bench's disk case
 * (Documentation/bench.rst).  The same static program, with the same
 * parameters, reads a virtio disk inside the Linux guest and the image
 * file behind it in the test host, so the two figures compare the paths
 * to the same bytes.
 *
 *   hvx-diskread seq FILE BLOCK_KIB    read FILE once, start to end, in
 *                                      blocks of BLOCK_KIB KiB
 *   hvx-diskread rand FILE SECONDS THREADS
 *                                      4 KiB reads at random 4 KiB-aligned
 *                                      offsets of FILE for SECONDS, from
 *                                      THREADS threads at once (pread)
 *
 * FILE is opened with O_DIRECT, so a block device's reads go to the
 * device and not to the page cache.  A file system without O_DIRECT
 * (tmpfs: the test host's /tmp) refuses it with EINVAL; then FILE is
 * read through the page cache, which for tmpfs is the file's memory
 * itself, and the output says direct=0.  Times are CLOCK_MONOTONIC.
 * One line on stdout:
 *
 *   DISKREAD seq bytes=B block=K seconds=S mbps=M direct=D
 *   DISKREAD rand reads=N threads=T seconds=S iops=I direct=D
 *
 * (mbps: 10^6 bytes per second).  Exit status 1 on a failed or short
 * read, 2 for a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RAND_BLOCK	4096
#define MAX_THREADS	64
/*
 * Reads between two looks at the clock: the clock costs little, but not
 * nothing, in a guest whose clocksource is not the TSC.
 */
#define CLOCK_EVERY	8

struct reader {
	int fd;
	uint64_t blocks;	/* RAND_BLOCK blocks in the file */
	uint64_t deadline;	/* ns, CLOCK_MONOTONIC */
	uint64_t seed;
	uint64_t reads;		/* done by this thread */
	int err;		/* errno of a failed read, -1 for a short one */
	pthread_t thread;
};

static int direct = 1;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* O_DIRECT if FILE's file system has it, else through the page cache. */
static int open_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECT | O_CLOEXEC);

	if (fd < 0 && errno == EINVAL) {
		direct = 0;
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		fprintf(stderr, "hvx-diskread: %s: %s\n", path,
			strerror(errno));
	return fd;
}

static void *alloc_buf(size_t len)
{
	void *buf;

	/* O_DIRECT wants the buffer aligned to the logical block */
	if (posix_memalign(&buf, RAND_BLOCK, len))
		return NULL;
	memset(buf, 0, len);
	return buf;
}

static int read_seq(int fd, size_t block)
{
	uint64_t t0, t1, total = 0;
	char *buf = alloc_buf(block);
	ssize_t n;

	if (!buf)
		return 1;
	t0 = now_ns();
	while ((n = pread(fd, buf, block, total)) > 0)
		total += n;
	t1 = now_ns();
	free(buf);
	if (n < 0) {
		fprintf(stderr, "hvx-diskread: read at %llu: %s\n",
			(unsigned long long)total, strerror(errno));
		return 1;
	}
	printf("DISKREAD seq bytes=%llu block=%zu seconds=%.3f mbps=%.1f direct=%d\n",
	       (unsigned long long)total, block / 1024, (t1 - t0) / 1e9,
	       total * 1e3 / (t1 - t0), direct);
	return 0;
}

/* xorshift64*: each thread its own sequence, no shared state */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static void *rand_thread(void *arg)
{
	struct reader *r = arg;
	char *buf = alloc_buf(RAND_BLOCK);
	ssize_t n;

	if (!buf) {
		r->err = ENOMEM;
		return NULL;
	}
	for (;;) {
		if (r->reads % CLOCK_EVERY == 0 && now_ns() >= r->deadline)
			break;
		n = pread(r->fd, buf, RAND_BLOCK,
			  next_rand(&r->seed) % r->blocks * RAND_BLOCK);
		if (n != RAND_BLOCK) {
			r->err = n < 0 ? errno : -1;
			break;
		}
		r->reads++;
	}
	free(buf);
	return NULL;
}

static int read_rand(int fd, unsigned int seconds, unsigned int threads)
{
	struct reader r[MAX_THREADS];
	uint64_t t0, t1, reads = 0;
	off_t size = lseek(fd, 0, SEEK_END);
	unsigned int i, started;
	int ret = 0;

	if (size < RAND_BLOCK) {
		fprintf(stderr, "hvx-diskread: the file has no 4 KiB block\n");
		return 1;
	}
	t0 = now_ns();
	for (started = 0; started < threads; started++) {
		r[started] = (struct reader) {
			.fd = fd,
			.blocks = size / RAND_BLOCK,
			.deadline = t0 + seconds * 1000000000ULL,
			.seed = 0x9e3779b97f4a7c15ULL * (started + 1),
		};
		if (pthread_create(&r[started].thread, NULL, rand_thread,
				   &r[started])) {
			fprintf(stderr, "hvx-diskread: cannot start a thread\n");
			ret = 1;
			break;
		}
	}
	for (i = 0; i < started; i++) {
		pthread_join(r[i].thread, NULL);
		reads += r[i].reads;
		if (r[i].err) {
			fprintf(stderr, "hvx-diskread: thread %u: %s\n", i,
				r[i].err < 0 ? "short read" :
				strerror(r[i].err));
			ret = 1;
		}
	}
	t1 = now_ns();
	if (ret)
		return ret;
	printf("DISKREAD rand reads=%llu threads=%u seconds=%.3f iops=%.1f direct=%d\n",
	       (unsigned long long)reads, threads, (t1 - t0) / 1e9,
	       reads * 1e9 / (t1 - t0), direct);
	return 0;
}

/* A decimal number in [1, max], or 0. */
static unsigned long number(const char *s, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v > max)
		return 0;
	return v;
}

int main(int argc, char **argv)
{
	unsigned long a, b = 0;
	int fd, ret;

	if (argc == 4 && !strcmp(argv[1], "seq"))
		a = number(argv[3], 64 * 1024);
	else if (argc == 5 && !strcmp(argv[1], "rand"))
		a = number(argv[3], 3600), b = number(argv[4], MAX_THREADS);
	else
		a = 0;
	if (!a || (argc == 5 && !b)) {
		fprintf(stderr,
			"usage: hvx-diskread seq FILE BLOCK_KIB\n"
			"       hvx-diskread rand FILE SECONDS THREADS\n");
		return 2;
	}

	fd = open_file(argv[2]);
	if (fd < 0)
		return 1;
	if (argc == 4)
		ret = read_seq(fd, a * 1024);
	else
		ret = read_rand(fd, a, b);
	close(fd);
	return ret;
}
