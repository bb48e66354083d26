// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's raw terminal (userspace/hvx-run/terminal.c):
 * raw mode and its restore, and the settings given back when a signal
 * ends the process (a fault, abort(), a hangup, SIGQUIT, SIGPWR, a
 * real-time signal).  The terminal
 * is a pseudo-terminal of the test's; a child process puts it in raw
 * mode and dies, and the test reads its settings after.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

/*
 * A pseudo-terminal's two ends; the slave is the "terminal".  Return:
 * false, the test skipped, where the machine has none (a container
 * without devpts).
 */
static bool open_pty(struct __test_metadata *_metadata, int *master,
		     int *slave)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY);
	if (*master < 0)
		SKIP(return false, "no pseudo-terminal: %s", strerror(errno));
	ASSERT_EQ(0, grantpt(*master));
	ASSERT_EQ(0, unlockpt(*master));
	*slave = open(ptsname(*master), O_RDWR | O_NOCTTY);
	ASSERT_LE(0, *slave);
	return true;
}

static bool is_raw(int fd)
{
	struct termios t;

	return tcgetattr(fd, &t) == 0 &&
	       !(t.c_lflag & (ECHO | ICANON | ISIG)) && !(t.c_iflag & ICRNL);
}

/* The settings a fresh pseudo-terminal has, which raw mode takes away. */
static bool is_cooked(int fd)
{
	struct termios t;

	return tcgetattr(fd, &t) == 0 &&
	       (t.c_lflag & (ECHO | ICANON | ISIG)) == (ECHO | ICANON | ISIG) &&
	       (t.c_iflag & ICRNL);
}

enum death { BY_FAULT, BY_ABORT, BY_KILL, BY_FAULT_IN_DEVICE_THREAD };

static void *fault_thread(void *arg)
{
	*(volatile int *)NULL = 1;
	return arg;
}

/*
 * A child puts @slave in raw mode and dies of @sig as @how says; the
 * test sees it die of @sig and finds @slave's settings back.
 */
static void die_raw(struct __test_metadata *_metadata, int sig,
		    enum death how)
{
	struct rlimit no_core = { 0, 0 };
	int master, slave, status;
	pid_t pid;

	if (!open_pty(_metadata, &master, &slave))
		return;
	ASSERT_TRUE(is_cooked(slave));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		setrlimit(RLIMIT_CORE, &no_core);
		if (!terminal_raw(slave) || !is_raw(slave))
			_exit(2);
		if (how == BY_FAULT)
			*(volatile int *)NULL = 1;
		else if (how == BY_FAULT_IN_DEVICE_THREAD &&
			 !thread_create_quiet(&(pthread_t){ 0 }, fault_thread,
					      NULL))
			pause();
		else if (how == BY_ABORT)
			abort();
		else
			kill(getpid(), sig);
		_exit(3);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status)) {
		TH_LOG("child status 0x%x", status);
	}
	EXPECT_EQ(sig, WTERMSIG(status));
	EXPECT_TRUE(is_cooked(slave));
	close(slave);
	close(master);
}

TEST(raw_then_restored)
{
	struct termios t;
	int master, slave;

	if (!open_pty(_metadata, &master, &slave))
		return;
	ASSERT_TRUE(terminal_raw(slave));
	EXPECT_TRUE(is_raw(slave));
	terminal_restore();
	EXPECT_TRUE(is_cooked(slave));

	/* a second restore does nothing: the user's later settings stay */
	ASSERT_EQ(0, tcgetattr(slave, &t));
	t.c_lflag &= ~ECHO;
	ASSERT_EQ(0, tcsetattr(slave, TCSANOW, &t));
	terminal_restore();
	ASSERT_EQ(0, tcgetattr(slave, &t));
	EXPECT_FALSE(t.c_lflag & ECHO);
	close(slave);
	close(master);
}

TEST(not_a_terminal)
{
	int p[2];

	ASSERT_EQ(0, pipe(p));
	EXPECT_FALSE(terminal_raw(p[0]));
	terminal_restore();
	close(p[0]);
	close(p[1]);
}

TEST(fault_restores)
{
	die_raw(_metadata, SIGSEGV, BY_FAULT);
}

/*
 * A crash in a device thread that blocks the signals from outside (the
 * PIT's, the RTC's): the fault's signal reaches the handler all the same.
 * (Those threads blocked every signal: the kernel then killed hvx-run
 * with the signal's default action, and the terminal stayed raw.)
 */
TEST(fault_in_device_thread_restores)
{
	die_raw(_metadata, SIGSEGV, BY_FAULT_IN_DEVICE_THREAD);
}

TEST(abort_restores)
{
	die_raw(_metadata, SIGABRT, BY_ABORT);
}

TEST(hangup_restores)
{
	die_raw(_metadata, SIGHUP, BY_KILL);
}

TEST(sigquit_restores)
{
	die_raw(_metadata, SIGQUIT, BY_KILL);
}

/* (These left the terminal raw: no handler was installed for them.) */
TEST(sigpwr_restores)
{
	die_raw(_metadata, SIGPWR, BY_KILL);
}

TEST(realtime_signal_restores)
{
	die_raw(_metadata, SIGRTMIN + 1, BY_KILL);
}

/* A signal the process ignores stays ignored: raw mode changes nothing. */
TEST(ignored_signal_stays_ignored)
{
	struct sigaction sa = { .sa_handler = SIG_IGN }, old;
	int master, slave;

	if (!open_pty(_metadata, &master, &slave))
		return;
	ASSERT_EQ(0, sigaction(SIGHUP, &sa, NULL));
	ASSERT_TRUE(terminal_raw(slave));
	ASSERT_EQ(0, sigaction(SIGHUP, NULL, &old));
	EXPECT_EQ(SIG_IGN, old.sa_handler);
	raise(SIGHUP);
	EXPECT_TRUE(is_raw(slave));
	terminal_restore();
	close(slave);
	close(master);
}

TEST_HARNESS_MAIN
