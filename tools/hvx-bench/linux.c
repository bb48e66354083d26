// SPDX-License-Identifier: GPL-2.0
/*
 * The Linux boot case: how long the same kernel, initramfs, command line
 * and RAM take to reach the guest's /init under hvx-run and under a
 * minimal KVM launcher (kvm_linux.c), and how many VM exits of which
 * kind it takes.  Documentation/bench.rst describes the measurement.
 *
 *   bench linux [-m SIZE] [-x HVX_RUN] [-o FILE] hvx|kvm KERNEL INITRD CMDLINE
 *	boot once; print "LINUX" and "LINUX-COUNT" lines
 *   bench linux-table HVX_RESULTS KVM_RESULTS
 *	the two side by side, and the targets
 *
 * The clock is the host's CLOCK_MONOTONIC, read when the bench program
 * starts the launcher and when the guest's "HVX-GUEST-INIT" line arrives
 * on its console (hvx-run's stdout, read through a pipe; the KVM
 * launcher's UART writes into a pipe too).  The exit counters are read
 * right then, on the same thread, while the guest goes on: hvx's over its
 * generic netlink family (the VM's totals, by VMX exit reason), KVM's
 * from debugfs (kvm_linux.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "hvx_stat.h"

#define LINUX_MEM_DEFAULT	(256ULL << 20)
#define LINUX_LINE_MAX		512
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* Seconds hvx-run has to stop after a SIGTERM forwarded to it. */
#define LINUX_STOP_GRACE_S	30

/* Targets: hvx's time to /init at most 0.8 x KVM's, at most 15,000 exits. */
#define TARGET_TIME_RATIO	0.8
#define TARGET_MAX_EXITS	15000

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/**
 * linux_boot_add() - note one counter of a boot
 * @b: the boot
 * @name: its name
 * @value: its value
 */
void linux_boot_add(struct linux_boot *b, const char *name, uint64_t value)
{
	if (b->nr == LINUX_MAX_COUNTERS)
		return;
	snprintf(b->c[b->nr].name, sizeof(b->c[0].name), "%s", name);
	b->c[b->nr++].value = value;
}

/**
 * linux_boot_diff() - note what grew from one reading of counters to the next
 * @b: gets @after's counters less @before's (those that grew) and
 *     @b->exits likewise (-1 when either reading has none)
 * @before: the first reading
 * @after: the second
 */
void linux_boot_diff(struct linux_boot *b, const struct linux_boot *before,
		     const struct linux_boot *after)
{
	unsigned int i, j;

	b->exits = before->exits < 0 || after->exits < 0 ? -1 :
		   after->exits - before->exits;
	for (i = 0; i < after->nr; i++) {
		uint64_t was = 0;

		for (j = 0; j < before->nr; j++)
			if (!strcmp(before->c[j].name, after->c[i].name))
				was = before->c[j].value;
		if (after->c[i].value > was)
			linux_boot_add(b, after->c[i].name,
				       after->c[i].value - was);
	}
}

/* One line of the console: is it the init line?  Take the time then. */
static void console_line(struct console_watch *w, const char *line)
{
	const char *up;

	if (w->boot->seen || strncmp(line, LINUX_INIT_MARK,
				     strlen(LINUX_INIT_MARK)))
		return;
	w->boot->init_s = seconds_since(&w->t0);
	w->boot->seen = true;
	up = strstr(line, "uptime=");
	snprintf(w->boot->uptime, sizeof(w->boot->uptime), "%.*s",
		 up ? (int)strcspn(up + 7, " \r\n") : 1, up ? up + 7 : "-");
	if (w->at_init)
		w->at_init(w->ctx, w->boot);
}

static void *console_thread(void *arg)
{
	struct console_watch *w = arg;
	char buf[4096], line[LINUX_LINE_MAX];
	size_t len = 0;
	ssize_t n, i;

	for (;;) {
		n = read(w->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (w->copy_fd >= 0 && write(w->copy_fd, buf, n) < 0)
			w->copy_fd = -1;
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				if (len < sizeof(line) - 1)
					line[len++] = buf[i];
				continue;
			}
			line[len] = 0;
			console_line(w, line);
			len = 0;
		}
	}
	close(w->fd);
	return NULL;
}

/**
 * console_watch_start() - start reading a guest's console
 * @w: @fd, @copy_fd, @t0, @at_init, @ctx and @boot set
 *
 * Return: 0, or -1 (printed).
 */
int console_watch_start(struct console_watch *w)
{
	int err = pthread_create(&w->thread, NULL, console_thread, w);

	if (err)
		bench_err("linux: console thread: %s", strerror(err));
	return err ? -1 : 0;
}

/**
 * console_watch_join() - wait for the end of the console (every writer
 * closed it)
 * @w: the watch
 */
void console_watch_join(struct console_watch *w)
{
	pthread_join(w->thread, NULL);
}

/**
 * struct hvx_watch - what the hvx side reads at /init
 * @nl:		the netlink connection, opened before hvx-run starts
 * @pid:	hvx-run's pid: its VM is the one to read
 */
struct hvx_watch {
	struct hs_conn nl;
	pid_t pid;
};

/**
 * hvx_vm_counters() - hvx's counters of the VM of one process
 * @nl: a connection to hvx's netlink family
 * @pid: the process
 * @b: gets the VM's totals: @b->exits and one counter per exit reason
 *     and statistic
 *
 * Return: 0, or -1 when there is no such VM or no answer (printed).
 */
int hvx_vm_counters(struct hs_conn *nl, pid_t pid, struct linux_boot *b)
{
	char name[48];
	struct hs_stats st;
	uint32_t id;
	size_t i;
	int err;

	err = hs_find_vm(nl, pid, &id);
	if (err) {
		bench_err("hvx: no VM of pid %d: %s", (int)pid,
			  hs_strerror(err));
		return -1;
	}
	err = hs_get_stats(nl, id, -1, &st);
	if (err) {
		bench_err("hvx: stats: %s", hs_strerror(err));
		return -1;
	}
	b->exits = st.exits;
	for (i = 0; i < HS_EXIT_REASONS; i++) {
		const char *r = hs_exit_reason_name(i);

		if (!st.reasons[i])
			continue;
		if (r)
			snprintf(name, sizeof(name), "exit:%s", r);
		else
			snprintf(name, sizeof(name), "exit:REASON_%zu", i);
		linux_boot_add(b, name, st.reasons[i]);
	}
	linux_boot_add(b, "runs", st.runs);
	linux_boot_add(b, "irqs_injected", st.irqs);
	linux_boot_add(b, "halts", st.halts);
	linux_boot_add(b, "halt_poll_ok", st.poll_ok);
	linux_boot_add(b, "halt_poll_fail", st.poll_fail);
	linux_boot_add(b, "timer_vmx", st.timer_vmx);
	linux_boot_add(b, "l1d_flushes", st.l1d_flushes);
	linux_boot_add(b, "ring_posted", st.ring_posted);
	return 0;
}

/* At /init: the totals of hvx-run's VM. */
static void hvx_at_init(void *ctx, struct linux_boot *boot)
{
	struct hvx_watch *hw = ctx;

	hvx_vm_counters(&hw->nl, hw->pid, boot);
}

/* hvx-run's pid while it runs, for linux_sigterm(); 0 otherwise */
static volatile sig_atomic_t hvx_run_pid;
/* a SIGTERM came while hvx-run ran */
static volatile sig_atomic_t hvx_run_term;

/*
 * SIGTERM while hvx-run runs: a timeout (the test host's busybox timeout
 * signals only its own child, this process) must stop hvx-run too, and
 * this process must outlive it.  Otherwise hvx-run's VM keeps hvx.ko
 * busy after the timeout's caller went on: its rmmod fails, and KVM
 * cannot load while hvx.ko holds VMX.  hvx-run stops on SIGTERM; should
 * it not within LINUX_STOP_GRACE_S, SIGALRM ends this process anyway, and
 * hvx-run's parent-death signal tells it again.
 */
static void linux_sigterm(int sig)
{
	int saved = errno;

	hvx_run_term = 1;
	if (hvx_run_pid > 0)
		kill(hvx_run_pid, SIGTERM);
	alarm(LINUX_STOP_GRACE_S);
	errno = saved;
}

/*
 * The child of linux_hvx_boot(): becomes hvx-run, its stdout @out_fd.
 * PR_SET_PDEATHSIG: should this process die without linux_sigterm()
 * (SIGKILL, or the grace ran out), hvx-run still gets its SIGTERM.  A
 * parent that died before the prctl() is caught by getppid() changing.
 * The handler inherited from the parent must not run here (its alarm()
 * would outlive the exec): SIGTERM, blocked since before the fork, gets
 * its default action back before the mask, so one sent to the child
 * before the exec ends it.
 */
static void __attribute__((noreturn))
hvx_run_exec(const char *hvx_run, char *const *args, pid_t parent,
	     const sigset_t *mask, int out_fd)
{
	int null_fd;

	signal(SIGTERM, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != parent)
		_exit(127);
	null_fd = open("/dev/null", O_RDONLY);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 ||
	    dup2(out_fd, STDOUT_FILENO) < 0)
		_exit(127);
	pthread_sigmask(SIG_SETMASK, mask, NULL);
	execv(hvx_run, args);
	_exit(127);
}

/*
 * Start hvx-run with SIGTERM forwarded to it (linux_sigterm()); @old
 * gets the disposition to restore, @mask the signal mask.  Its pid, or
 * -1 (printed).
 */
static pid_t hvx_run_start(const char *hvx_run, char *const *args,
			   int out_fd, struct sigaction *old, sigset_t *mask)
{
	struct sigaction sa = { .sa_handler = linux_sigterm,
				.sa_flags = SA_RESTART };
	pid_t parent = getpid(), pid;
	sigset_t term;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, mask);
	hvx_run_term = 0;
	sigaction(SIGTERM, &sa, old);
	pid = fork();
	if (!pid)
		hvx_run_exec(hvx_run, args, parent, mask, out_fd);
	if (pid < 0) {
		bench_err("linux hvx: fork: %s", strerror(errno));
		sigaction(SIGTERM, old, NULL);
	}
	hvx_run_pid = pid > 0 ? pid : 0;
	pthread_sigmask(SIG_SETMASK, mask, NULL);
	return pid;
}

/*
 * hvx-run is reaped (and the console thread joined): a SIGTERM that came
 * meanwhile ends this process now, as it would have without
 * linux_sigterm(); else the disposition @old is back.  SIGTERM is blocked
 * meanwhile, so that one coming now is either seen here or meets @old.
 */
static void hvx_run_reaped(const struct sigaction *old)
{
	sigset_t term, mask;

	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &term, &mask);
	hvx_run_pid = 0;
	if (hvx_run_term) {
		alarm(0);
		signal(SIGTERM, SIG_DFL);
		raise(SIGTERM);
	} else {
		sigaction(SIGTERM, old, NULL);
	}
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
}

/*
 * hvx-run boots the kernel, its stdout (the guest's console) into a pipe
 * that the console thread reads.  Returns hvx-run's exit status, or -1.
 */
static int linux_hvx_boot(const char *hvx_run, const char *kernel,
			  const char *initrd, const char *cmdline,
			  const char *mem, int console_copy,
			  const struct timespec *t0, struct linux_boot *boot)
{
	struct hvx_watch hw = { 0 };
	struct console_watch w = { .copy_fd = console_copy, .t0 = *t0,
				   .at_init = hvx_at_init, .ctx = &hw,
				   .boot = boot };
	char *const args[] = { (char *)hvx_run, "-m", (char *)mem, "-c", "1",
			       "-k", (char *)kernel, "-i", (char *)initrd,
			       "-p", (char *)cmdline, NULL };
	struct sigaction old;
	int pfd[2], status, err;
	sigset_t mask;
	pid_t pid;

	err = hs_open(&hw.nl);
	if (err) {
		bench_err("linux hvx: netlink: %s", hs_strerror(err));
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		bench_err("linux hvx: pipe: %s", strerror(errno));
		hs_close(&hw.nl);
		return -1;
	}
	pid = hvx_run_start(hvx_run, args, pfd[1], &old, &mask);
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		hs_close(&hw.nl);
		return -1;
	}
	hw.pid = pid;
	close(pfd[1]);
	w.fd = pfd[0];
	if (console_watch_start(&w))
		close(pfd[0]);
	else
		console_watch_join(&w);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	hvx_run_reaped(&old);
	hs_close(&hw.nl);
	if (!WIFEXITED(status)) {
		bench_err("linux hvx: %s ended by signal %d", hvx_run,
			  WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

static void print_boot(const char *be, const struct linux_boot *b, int rc)
{
	unsigned int i;

	if (!b->seen) {
		printf("LINUX %s error the guest did not reach /init (status %d)\n",
		       be, rc);
		return;
	}
	printf("LINUX %s init_s=%.3f uptime=%s exits=%" PRId64 " status=%d\n",
	       be, b->init_s, b->uptime, b->exits, rc);
	for (i = 0; i < b->nr; i++)
		printf("LINUX-COUNT %s %s %" PRIu64 "\n", be, b->c[i].name,
		       b->c[i].value);
}

static void linux_usage(void)
{
	fprintf(stderr,
		"usage: bench linux [-m SIZE] [-x HVX_RUN] [-o FILE] hvx|kvm KERNEL INITRD CMDLINE\n"
		"       bench linux-table HVX_RESULTS KVM_RESULTS\n"
		"  -m SIZE     guest RAM in MiB, with an M suffix (256M)\n"
		"  -x HVX_RUN  the hvx-run program (hvx-run next to bench)\n"
		"  -o FILE     copy the guest's console there\n");
}

/**
 * linux_main() - "bench linux ..."
 * @argc: arguments from "linux" on
 * @argv: them
 *
 * Return: 0 when the guest reached /init and powered off, 1 when it ran
 * but failed, 2 on bad usage, 3 when it could not start.
 */
int linux_main(int argc, char **argv)
{
	const char *mem = "256M", *hvx_run = NULL, *copy = NULL;
	static struct linux_boot boot;
	char self[4096], *slash;
	struct timespec t0;
	uint64_t mem_bytes;
	int opt, rc, copy_fd = -1;
	char *end;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	optind = 0;
	while ((opt = getopt(argc, argv, "+m:x:o:")) != -1) {
		switch (opt) {
		case 'm':
			mem = optarg;
			break;
		case 'x':
			hvx_run = optarg;
			break;
		case 'o':
			copy = optarg;
			break;
		default:
			linux_usage();
			return 2;
		}
	}
	mem_bytes = strtoull(mem, &end, 10) << 20;
	if (argc - optind != 4 || strcmp(end, "M") || !mem_bytes) {
		linux_usage();
		return 2;
	}
	if (copy) {
		copy_fd = open(copy, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			       0644);
		if (copy_fd < 0)
			bench_err("linux: %s: %s", copy, strerror(errno));
	}
	boot.exits = -1;
	if (!strcmp(argv[optind], "kvm")) {
		rc = linux_kvm_boot(argv[optind + 1], argv[optind + 2],
				    argv[optind + 3], mem_bytes, copy_fd, &t0,
				    &boot);
		print_boot("kvm", &boot, rc);
	} else if (!strcmp(argv[optind], "hvx")) {
		if (!hvx_run) {
			n = readlink("/proc/self/exe", self, sizeof(self) - 16);
			self[n > 0 ? n : 0] = 0;
			slash = strrchr(self, '/');
			strcpy(slash ? slash + 1 : self, "hvx-run");
			hvx_run = self;
		}
		rc = linux_hvx_boot(hvx_run, argv[optind + 1],
				    argv[optind + 2], argv[optind + 3], mem,
				    copy_fd, &t0, &boot);
		print_boot("hvx", &boot, rc);
	} else {
		linux_usage();
		return 2;
	}
	if (copy_fd >= 0)
		close(copy_fd);
	if (rc < 0 && !boot.seen)
		return 3;
	return rc || !boot.seen ? 1 : 0;
}

/* ===== bench linux-table ===== */

/**
 * struct linux_row - a kind of exit, by each hypervisor's name for it
 * @label:	what it is
 * @hvx:	hvx's counter
 * @kvm:	KVM's debugfs counter
 */
struct linux_row {
	const char *label;
	const char *hvx;
	const char *kvm;
};

static const struct linux_row linux_rows[] = {
	{ "  EPT violations (KVM: pf_taken)", "exit:EPT_VIOLATION",
	  "pf_taken" },
	{ "  port I/O", "exit:IO_INSTRUCTION", "io_exits" },
	{ "  external interrupts", "exit:EXTERNAL_INTERRUPT", "irq_exits" },
	{ "  HLT", "exit:HLT", "halt_exits" },
	{ "  interrupt window", "exit:INTERRUPT_WINDOW", "irq_window_exits" },
};

static int read_boot(const char *path, const char *be, struct linux_boot *b)
{
	char line[LINUX_LINE_MAX], w1[16], w2[16], name[48], val[32];
	unsigned long long v;
	FILE *f = fopen(path, "r");
	long long exits;
	double s;

	memset(b, 0, sizeof(*b));
	b->exits = -1;
	if (!f) {
		bench_err("%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%15s %15s", w1, w2) != 2 || strcmp(w2, be))
			continue;
		if (!strcmp(w1, "LINUX") &&
		    sscanf(line, "LINUX %*s init_s=%lf uptime=%31s exits=%lld",
			   &s, val, &exits) == 3) {
			b->seen = true;
			b->init_s = s;
			snprintf(b->uptime, sizeof(b->uptime), "%s", val);
			b->exits = exits;
		} else if (!strcmp(w1, "LINUX-COUNT") &&
			   sscanf(line, "LINUX-COUNT %*s %47s %llu", name,
				  &v) == 2) {
			linux_boot_add(b, name, v);
		}
	}
	fclose(f);
	return 0;
}

/**
 * linux_boot_get() - one counter of a reading
 * @b: the reading
 * @name: the counter's name
 *
 * Return: its value, or -1 when @b has no such counter.
 */
int64_t linux_boot_get(const struct linux_boot *b, const char *name)
{
	unsigned int i;

	for (i = 0; i < b->nr; i++)
		if (!strcmp(b->c[i].name, name))
			return b->c[i].value;
	return -1;
}

static void count_cell(char *buf, size_t len, int64_t v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%" PRId64, v);
}

static void ratio(int64_t h, int64_t k)
{
	if (h >= 0 && k > 0)
		printf(" %7.2f\n", (double)h / k);
	else
		printf(" %7s\n", "-");
}

static void print_counters(const char *be, const struct linux_boot *b)
{
	unsigned int i, col = 0;

	printf("%s counters:", be);
	for (i = 0; i < b->nr; i++) {
		if (col > 60) {
			printf("\n   ");
			col = 0;
		}
		col += printf(" %s=%" PRIu64, b->c[i].name, b->c[i].value);
	}
	printf("\n");
}

/**
 * linux_table() - "bench linux-table": the Linux boot case side by side
 * @hvx_path: output of "bench linux ... hvx"
 * @kvm_path: output of "bench linux ... kvm"
 *
 * Return: 0, or 1 when a file cannot be read.
 */
int linux_table(const char *hvx_path, const char *kvm_path)
{
	static struct linux_boot h, k;
	char a[32], b[32];
	int64_t hsum = 0, ksum = 0, hv, kv;
	unsigned int i, pass = 0, miss = 0, na = 0;

	if (read_boot(hvx_path, "hvx", &h) || read_boot(kvm_path, "kvm", &k))
		return 1;

	printf("%-40s %12s %12s %7s\n", "Linux boot to /init", "hvx", "KVM",
	       "hvx/KVM");
	snprintf(a, sizeof(a), h.seen ? "%.2f" : "error", h.init_s);
	snprintf(b, sizeof(b), k.seen ? "%.2f" : "error", k.init_s);
	printf("%-40s %12s %12s", "seconds to /init (host clock)", a, b);
	if (h.seen && k.seen && k.init_s > 0)
		printf(" %7.2f\n", h.init_s / k.init_s);
	else
		printf(" %7s\n", "-");
	printf("%-40s %12s %12s\n", "guest uptime at /init (s)",
	       h.seen ? h.uptime : "-", k.seen ? k.uptime : "-");
	count_cell(a, sizeof(a), h.exits);
	count_cell(b, sizeof(b), k.exits);
	printf("%-40s %12s %12s", "VM exits to /init", a, b);
	ratio(h.exits, k.exits);
	for (i = 0; i < ARRAY_SIZE(linux_rows); i++) {
		hv = linux_boot_get(&h, linux_rows[i].hvx);
		kv = linux_boot_get(&k, linux_rows[i].kvm);
		if (h.exits >= 0 && hv < 0)
			hv = 0;
		if (k.exits >= 0 && kv < 0)
			kv = 0;
		hsum += hv > 0 ? hv : 0;
		ksum += kv > 0 ? kv : 0;
		count_cell(a, sizeof(a), hv);
		count_cell(b, sizeof(b), kv);
		printf("%-40s %12s %12s", linux_rows[i].label, a, b);
		ratio(hv, kv);
	}
	count_cell(a, sizeof(a), h.exits >= 0 ? h.exits - hsum : -1);
	count_cell(b, sizeof(b), k.exits >= 0 ? k.exits - ksum : -1);
	printf("%-40s %12s %12s\n", "  other", a, b);

	printf("\ntargets:\n");
	if (!h.seen || !k.seen) {
		printf("n/a   %-44s (hvx %s, KVM %s)\n",
		       "time to /init <= 0.8 x KVM's",
		       h.seen ? "ok" : "error", k.seen ? "ok" : "error");
		na++;
	} else if (h.init_s <= TARGET_TIME_RATIO * k.init_s) {
		printf("PASS  %-44s (%.2f <= %.1f x %.2f)\n",
		       "time to /init <= 0.8 x KVM's", h.init_s,
		       TARGET_TIME_RATIO, k.init_s);
		pass++;
	} else {
		printf("MISS  %-44s (%.2f > %.1f x %.2f)\n",
		       "time to /init <= 0.8 x KVM's", h.init_s,
		       TARGET_TIME_RATIO, k.init_s);
		miss++;
	}
	if (h.exits < 0) {
		printf("n/a   %-44s (no hvx exit count)\n",
		       "exits to /init <= 15000");
		na++;
	} else if (h.exits <= TARGET_MAX_EXITS) {
		printf("PASS  %-44s (%" PRId64 " <= %d)\n",
		       "exits to /init <= 15000", h.exits, TARGET_MAX_EXITS);
		pass++;
	} else {
		printf("MISS  %-44s (%" PRId64 " > %d)\n",
		       "exits to /init <= 15000", h.exits, TARGET_MAX_EXITS);
		miss++;
	}
	printf("targets: %u PASS, %u MISS, %u n/a\n\n", pass, miss, na);
	print_counters("hvx", &h);
	print_counters("kvm", &k);
	return 0;
}

/* ===== bench linux-thp ===== */

/* The target: THP cuts the boot's EPT-violation exits at least 10 times. */
#define TARGET_THP_CUT		10

/* One hypervisor's EPT violations with THP off and on, and the target. */
static int thp_row(const char *be, const char *name, const char *off,
		   const char *on)
{
	static struct linux_boot b0, b1;
	int64_t v0, v1;

	if (read_boot(off, be, &b0) || read_boot(on, be, &b1)) {
		printf("n/a   %s: cut >= %dx (no results)\n", be,
		       TARGET_THP_CUT);
		return -1;
	}
	v0 = b0.seen ? linux_boot_get(&b0, name) : -1;
	v1 = b1.seen ? linux_boot_get(&b1, name) : -1;
	printf("%-4s %-20s %12" PRId64 " %12" PRId64, be, name, v0, v1);
	if (v0 < 0 || v1 < 0) {
		printf(" %7s\nn/a   %s: cut >= %dx (a boot or counter missing)\n",
		       "-", be, TARGET_THP_CUT);
		return -1;
	}
	printf(" %7.1f\n", v1 ? (double)v0 / v1 : 0.0);
	if (v1 * TARGET_THP_CUT <= v0) {
		printf("PASS  %s: cut >= %dx (%" PRId64 " >= %d x %" PRId64 ")\n",
		       be, TARGET_THP_CUT, v0, TARGET_THP_CUT, v1);
		return 1;
	}
	printf("MISS  %s: cut >= %dx (%" PRId64 " < %d x %" PRId64 ")\n", be,
	       TARGET_THP_CUT, v0, TARGET_THP_CUT, v1);
	return 0;
}

/**
 * linux_thp_table() - "bench linux-thp": the boot's EPT-violation exits
 *	with THP off and on, per hypervisor, and the 10x target (hvx's;
 *	KVM's for comparison)
 * @files: the "bench linux" outputs: hvx with THP off, hvx with it on,
 *	   KVM off, KVM on
 *
 * Return: 0, or 1 when a file cannot be read.
 */
int linux_thp_table(char **files)
{
	int h, k;

	printf("%-4s %-20s %12s %12s %7s\n", "", "EPT violations",
	       "THP off", "THP on", "cut");
	h = thp_row("hvx", "exit:EPT_VIOLATION", files[0], files[1]);
	k = thp_row("kvm", "pf_taken", files[2], files[3]);
	if (h == -1 && k == -1)
		return 1;
	return 0;
}
