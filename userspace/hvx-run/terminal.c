// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the console's terminal in raw mode, and its settings given
 * back however hvx-run ends.
 *
 * Raw mode sends every key to the guest, Ctrl-C included, so a terminal
 * left raw is one the user can no longer type into.  The settings are
 * restored at teardown (terminal_restore()), and by a handler for each
 * signal whose default action ends the process (a crash, abort(), a
 * hangup, SIGQUIT or a real-time signal from kill): the handler restores
 * the terminal and lets the signal do what it would have done, in every
 * thread (thread_create_quiet()).  Only SIGKILL and SIGSTOP are beyond
 * reach.  The state is global because a signal handler must find
 * it; there is one controlling terminal.
 */
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hvx-run.h"

/*
 * The signals whose default action ends the process and that hvx-run
 * neither blocks (SIGINT, SIGTERM: the signal thread; SIGHUP too, where
 * it is not ignored, which then never reaches a handler) nor handles
 * (SIGPIPE, SIG_KICK), and the real-time ones (SIGRTMIN to SIGRTMAX).  A
 * disposition not SIG_DFL is left alone.
 */
static const int fatal_signals[] = {
	SIGHUP, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV,
	SIGUSR2, SIGALRM, SIGSYS, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF,
	SIGPWR, SIGIO, SIGSTKFLT,
};

/* Written before the handlers are installed, only read after. */
static struct termios saved;
static int saved_fd = -1;
static volatile sig_atomic_t raw_on;

/*
 * tcsetattr() is async-signal-safe.  SA_RESETHAND put back the default
 * action, and the signal, blocked while this runs, stays pending until
 * it returns: raised again, or the fault met again, it ends the process
 * as it would have.
 */
static void fatal_handler(int sig)
{
	if (raw_on)
		tcsetattr(saved_fd, TCSANOW, &saved);
	raise(sig);
}

/**
 * signal_default() - whether @sig has its default disposition
 * @sig: the signal
 *
 * Return: false also where it is ignored (nohup) or handled: hvx-run
 * leaves such a signal alone.
 */
bool signal_default(int sig)
{
	struct sigaction old;

	return sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_DFL;
}

static void catch_fatal(int sig, const struct sigaction *sa)
{
	if (signal_default(sig))
		sigaction(sig, sa, NULL);
}

static void catch_fatal_signals(void)
{
	struct sigaction sa;
	unsigned int i;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fatal_handler;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(fatal_signals); i++)
		catch_fatal(fatal_signals[i], &sa);
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		catch_fatal(sig, &sa);
}

/*
 * The signals a thread's own fault raises (abort() included): the kernel
 * delivers them to that thread whatever its mask, but with the default
 * action where they are blocked, so that the handlers above never run.
 */
static const int fault_signals[] = {
	SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS,
};

/**
 * thread_create_quiet() - start a thread that takes no signal from outside
 * @thread: out: the thread
 * @fn: its function
 * @arg: passed to @fn
 *
 * For device threads that sleep in waits of their own (the PIT's and the
 * RTC's timers): every signal is blocked in the thread but those its own
 * faults raise, so that a crash there still gives the terminal back.
 *
 * Return: 0, or pthread_create()'s error.
 */
int thread_create_quiet(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t set, old;
	unsigned int i;
	int err;

	sigfillset(&set);
	for (i = 0; i < ARRAY_SIZE(fault_signals); i++)
		sigdelset(&set, fault_signals[i]);
	pthread_sigmask(SIG_SETMASK, &set, &old);
	err = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

/**
 * terminal_raw() - put @fd in raw mode if it is a terminal
 * @fd: the console's input
 *
 * Keys go to the guest as typed, Ctrl-C included (its shell echoes
 * them); the escape sequence (escape.c) ends hvx-run.  Call it once.
 *
 * Return: true when @fd is a terminal now in raw mode.
 */
bool terminal_raw(int fd)
{
	struct termios raw;

	if (!isatty(fd) || tcgetattr(fd, &saved))
		return false;
	raw = saved;
	raw.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
			 ICRNL | IXON);
	raw.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	saved_fd = fd;
	catch_fatal_signals();
	raw_on = 1;
	if (tcsetattr(fd, TCSANOW, &raw)) {
		raw_on = 0;
		return false;
	}
	return true;
}

/**
 * terminal_restore() - give the terminal back the settings it had
 *
 * Nothing when terminal_raw() did not put one in raw mode, or after the
 * first call.
 */
void terminal_restore(void)
{
	if (!raw_on)
		return;
	tcsetattr(saved_fd, TCSANOW, &saved);
	raw_on = 0;
}
