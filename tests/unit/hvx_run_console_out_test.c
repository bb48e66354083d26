// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's copy of the guest's console output to stdout
 * and of its messages to stderr (userspace/hvx-run/console_out.c, msg()
 * in util.c): order and sync with a stdout that reads, flow control and
 * abandonment with one that never does, what an abandoned copy still
 * writes, and a stdout that is gone.  "stdout" is a pipe (or a file) of
 * the test's.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

#define FLOOD	(256 * 1024)	/* beyond both pipes' 64 KiB */

static void kick_handler(int sig)
{
}

/* As hvx-run does: a SIG_KICK handler without SA_RESTART. */
static void kick_setup(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigaction(SIG_KICK, &sa, NULL);
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

struct producer {
	int fd;
	size_t len;
	ssize_t written;
	bool done;
	pthread_t thread;
};

/* A device: writes @len bytes of the pattern, one write per 1000. */
static void *produce(void *arg)
{
	struct producer *p = arg;
	uint8_t buf[1000];
	size_t off = 0, n, i;
	ssize_t r;

	p->written = 0;
	while (off < p->len) {
		n = p->len - off < sizeof(buf) ? p->len - off : sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		r = write(p->fd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += r;
	}
	p->written = off;
	__atomic_store_n(&p->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static bool wait_done(struct producer *p, int ms)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };

	for (; ms > 0; ms -= 10) {
		if (__atomic_load_n(&p->done, __ATOMIC_ACQUIRE))
			return true;
		nanosleep(&tick, NULL);
	}
	return __atomic_load_n(&p->done, __ATOMIC_ACQUIRE);
}

static int pending(int fd)
{
	int n = -1;

	ioctl(fd, FIONREAD, &n);
	return n;
}

TEST(sync_puts_earlier_output_on_stdout)
{
	struct console_out o = { 0 };
	uint8_t buf[10000], got[10000];
	int fds[2];
	size_t i;

	kick_setup();
	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(0, console_out_start(&o, fds[1], "test"));
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	ASSERT_EQ((ssize_t)sizeof(buf), write(o.wfd, buf, sizeof(buf)));
	console_out_sync(&o);
	/* all of it, at once: nothing was left in hvx-run's pipe */
	EXPECT_EQ((int)sizeof(buf), pending(fds[0]));
	ASSERT_EQ((ssize_t)sizeof(got), read(fds[0], got, sizeof(got)));
	EXPECT_EQ(0, memcmp(buf, got, sizeof(buf)));
	console_out_stop(&o);
	console_out_destroy(&o);
	close(fds[0]);
	close(fds[1]);
}

TEST(everything_in_order_at_stop)
{
	struct console_out o = { 0 };
	struct producer p = { .len = FLOOD };
	int fds[2], bad = 0;
	size_t total = 0, i;
	uint8_t buf[4096];
	ssize_t n;

	kick_setup();
	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(0, console_out_start(&o, fds[1], "test"));
	p.fd = o.wfd;
	ASSERT_EQ(0, pthread_create(&p.thread, NULL, produce, &p));
	/* a slow reader: the producer waits, nothing is dropped */
	while (total < FLOOD) {
		n = read(fds[0], buf, sizeof(buf));
		ASSERT_LT(0, n);
		for (i = 0; i < (size_t)n; i++)
			bad += buf[i] != pattern(total + i);
		total += n;
	}
	pthread_join(p.thread, NULL);
	EXPECT_EQ(FLOOD, p.written);
	EXPECT_EQ(0, bad);
	console_out_stop(&o);
	console_out_destroy(&o);
	EXPECT_EQ(0, pending(fds[0]));
	close(fds[0]);
	close(fds[1]);
}

struct drain {
	int fd;
	bool stop;
};

/* A stdout that reads all it gets, until told. */
static void *drain(void *arg)
{
	struct drain *d = arg;
	char buf[4096];

	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE))
		if (read(d->fd, buf, sizeof(buf)) <= 0)
			break;
	return NULL;
}

/* Sync waits for what was written before it, not for a quiet pipe. */
TEST(sync_returns_while_devices_write_on)
{
	struct console_out o = { 0 };
	struct producer p = { .len = 1ULL << 40 };	/* for ever */
	struct timespec t0, t1;
	struct drain d;
	pthread_t rd;
	int fds[2];

	kick_setup();
	ASSERT_EQ(0, pipe(fds));
	d.fd = fds[0];
	d.stop = false;
	ASSERT_EQ(0, console_out_start(&o, fds[1], "test"));
	p.fd = o.wfd;
	ASSERT_EQ(0, pthread_create(&rd, NULL, drain, &d));
	ASSERT_EQ(0, pthread_create(&p.thread, NULL, produce, &p));
	usleep(50 * 1000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	console_out_sync(&o);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EXPECT_GT(2, t1.tv_sec - t0.tv_sec);
	/* the end: the producer stops on its pipe's closing */
	console_out_abandon(&o);
	pthread_cancel(p.thread);
	pthread_join(p.thread, NULL);
	console_out_stop(&o);
	console_out_destroy(&o);
	__atomic_store_n(&d.stop, true, __ATOMIC_RELEASE);
	close(fds[1]);
	pthread_join(rd, NULL);
	close(fds[0]);
}

TEST(abandon_frees_writers_of_a_stalled_stdout)
{
	struct console_out o = { 0 };
	struct producer p = { .len = FLOOD };
	int fds[2], full;

	kick_setup();
	ASSERT_EQ(0, pipe(fds));	/* never read */
	ASSERT_EQ(0, console_out_start(&o, fds[1], "test"));
	p.fd = o.wfd;
	ASSERT_EQ(0, pthread_create(&p.thread, NULL, produce, &p));
	/* stdout full, then hvx-run's pipe: the device waits */
	EXPECT_FALSE(wait_done(&p, 300));
	full = pending(fds[0]);
	EXPECT_LT(FLOOD / 8, full);
	console_out_abandon(&o);
	/*
	 * The rest is dropped: the device ends, and so does the thread.  A
	 * write that does not wait may still fill the last page's room.
	 */
	EXPECT_TRUE(wait_done(&p, 5000));
	pthread_join(p.thread, NULL);
	EXPECT_EQ(FLOOD, p.written);
	console_out_sync(&o);		/* returns: abandoned */
	console_out_stop(&o);
	console_out_destroy(&o);
	EXPECT_LE(full, pending(fds[0]));
	EXPECT_GT(full + 4096, pending(fds[0]));
	close(fds[0]);
	close(fds[1]);
}

TEST(stdout_gone_drops_output)
{
	struct console_out o = { 0 };
	struct producer p = { .len = FLOOD };
	int fds[2];

	kick_setup();
	signal(SIGPIPE, SIG_IGN);
	ASSERT_EQ(0, pipe(fds));
	close(fds[0]);
	ASSERT_EQ(0, console_out_start(&o, fds[1], "test"));
	p.fd = o.wfd;
	ASSERT_EQ(0, pthread_create(&p.thread, NULL, produce, &p));
	EXPECT_TRUE(wait_done(&p, 5000));
	pthread_join(p.thread, NULL);
	EXPECT_EQ(FLOOD, p.written);
	console_out_sync(&o);
	pthread_mutex_lock(&o.lock);
	EXPECT_EQ(EPIPE, o.failed);
	pthread_mutex_unlock(&o.lock);
	console_out_stop(&o);
	console_out_destroy(&o);
	close(fds[1]);
}

/* Read what is in @fd now (non-blocking) into @buf, as a string. */
static const char *read_now(int fd, char *buf, size_t size)
{
	ssize_t n;

	fcntl(fd, F_SETFL, O_NONBLOCK);
	n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

/*
 * Abandoned, the copy still writes what its file takes at once: the
 * message that hvx-run was stopped reaches a stderr that reads.
 */
TEST(abandoned_writes_what_is_taken_at_once)
{
	struct console_out o = { 0 };
	char buf[256];
	int fds[2];

	kick_setup();
	ASSERT_EQ(0, pipe(fds));
	ASSERT_EQ(0, console_out_start(&o, fds[1], "test"));
	ASSERT_EQ(4, write(o.wfd, "one\n", 4));
	console_out_sync(&o);
	console_out_abandon(&o);
	ASSERT_EQ(4, write(o.wfd, "two\n", 4));
	console_out_stop(&o);
	/* through a file of its own: fds[1] itself still blocks */
	EXPECT_LE(0, o.twin_fd);
	EXPECT_NE(o.out_fd, o.twin_fd);
	EXPECT_EQ(0, fcntl(fds[1], F_GETFL) & O_NONBLOCK);
	console_out_destroy(&o);
	EXPECT_STREQ("one\ntwo\n", read_now(fds[0], buf, sizeof(buf)));
	close(fds[0]);
	close(fds[1]);
}

/* A socket (a journal's stream) takes what it can without waiting. */
TEST(abandoned_socket_still_takes)
{
	struct console_out o = { 0 };
	char buf[256];
	int sv[2];

	kick_setup();
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, console_out_start(&o, sv[1], "test"));
	console_out_abandon(&o);
	ASSERT_EQ(24, write(o.wfd, "hvx-run: stopped by SIG\n", 24));
	console_out_stop(&o);
	EXPECT_TRUE(o.twin_sock);
	console_out_destroy(&o);
	EXPECT_STREQ("hvx-run: stopped by SIG\n",
		     read_now(sv[0], buf, sizeof(buf)));
	close(sv[0]);
	close(sv[1]);
}

/* A regular file goes on at its offset, not from its start. */
TEST(abandoned_file_appends)
{
	struct console_out o = { 0 };
	char buf[256];
	FILE *f = tmpfile();
	ssize_t n;

	kick_setup();
	ASSERT_NE(NULL, f);
	ASSERT_EQ(0, console_out_start(&o, fileno(f), "test"));
	ASSERT_EQ(4, write(o.wfd, "one\n", 4));
	console_out_sync(&o);
	console_out_abandon(&o);
	ASSERT_EQ(4, write(o.wfd, "two\n", 4));
	console_out_stop(&o);
	console_out_destroy(&o);
	n = pread(fileno(f), buf, sizeof(buf) - 1, 0);
	ASSERT_LT(0, n);
	buf[n] = 0;
	EXPECT_STREQ("one\ntwo\n", buf);
	fclose(f);
}

static char captured[4096];
static size_t nr_captured, nr_writes;

static void capture(void *ctx, const char *buf, size_t len)
{
	if (nr_captured + len < sizeof(captured)) {
		memcpy(captured + nr_captured, buf, len);
		nr_captured += len;
	}
	nr_writes++;
}

/* msg()'s and msg_stream_open()'s lines go out whole. */
TEST(messages_go_out_whole)
{
	char *big = malloc(1000);
	FILE *f;

	ASSERT_NE(NULL, big);
	memset(big, 'x', 999);
	big[999] = 0;
	msg_set_output(capture, NULL);
	msg("answer %d", 42);
	EXPECT_EQ(1, nr_writes);
	EXPECT_EQ(strlen("hvx-run: answer 42\n"), nr_captured);
	EXPECT_EQ(0, memcmp("hvx-run: answer 42\n", captured, nr_captured));
	/* a line too long is cut, and still ends its line */
	nr_captured = nr_writes = 0;
	msg("%s", big);
	EXPECT_EQ(1, nr_writes);
	EXPECT_EQ(strlen("hvx-run: ") + 511 + 1, nr_captured);
	EXPECT_EQ('\n', captured[nr_captured - 1]);
	EXPECT_EQ('x', captured[nr_captured - 2]);
	/* a stream's lines: out when they end, whole */
	nr_captured = nr_writes = 0;
	f = msg_stream_open();
	ASSERT_NE(NULL, f);
	fprintf(f, "hvx-run: %s ", "first");
	EXPECT_EQ(0, nr_writes);
	fprintf(f, "line\nsecond line\n");
	EXPECT_EQ(1, nr_writes);
	fclose(f);
	EXPECT_EQ(strlen("hvx-run: first line\nsecond line\n"), nr_captured);
	EXPECT_EQ(0, memcmp("hvx-run: first line\nsecond line\n", captured,
			    nr_captured));
	msg_set_output(NULL, NULL);
	free(big);
}

TEST_HARNESS_MAIN
