/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench: exit-path benchmarks of hvx and of Linux KVM with the same guest.
 *
 * One tiny real-mode guest (guest.c) runs a timed loop of one operation
 * (CPUID, OUT, an MMIO store or load) and keeps the RDTSC delta in its
 * parameter block; a backend (hvx.c, kvm.c) creates the VM, routes the
 * port or address the way the case asks (exit to userspace, ring, posted,
 * coalesced, ioeventfd), runs the guest to its HLT and reads the delta.
 * main.c runs the cases and prints one RESULT line each; "bench table"
 * pairs the two backends' lines into the comparison table.
 */
#ifndef HVX_BENCH_H
#define HVX_BENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

/*
 * Guest-physical layout.  RAM is one slot at 0; everything above it is
 * unbacked, so the MMIO addresses exit.  Segments are all 0 (real mode),
 * so every address is a 16-bit offset.
 */
#define GUEST_RAM_SIZE		0x8000
#define GUEST_PARAMS_GPA	0x0600
#define GUEST_AP_GPA		0x0680	/* struct guest_ap */
#define GUEST_CODE_GPA		0x1000
#define GUEST_STACK_TOP		0x7000
#define GUEST_AP_STACK_TOP	0x6000	/* vCPU 1's */
#define MMIO_READ_GPA		0xa000	/* load: exit to userspace */
#define MMIO_WRITE_GPA		0xb000	/* store: exit to userspace */
#define MMIO_POSTED_GPA		0xc000	/* store: posted or coalesced */
#define MMIO_EVENTFD_GPA	0xd000	/* store: KVM ioeventfd, hvx doorbell */

#define PORT_SYNC		0x0700	/* OUT: exit to userspace */
#define PORT_RING		0x0704	/* OUT: ring, device thread */
#define PORT_POSTED		0x0708	/* OUT: posted or coalesced */
#define PORT_EVENTFD		0x070c	/* OUT: KVM ioeventfd, hvx doorbell */
#define PORT_DONE		0x0710	/* OUT: the guest is done (then HLT) */

/*
 * The first_touch case: a second slot of TOUCH_SIZE bytes at TOUCH_GPA,
 * fresh for every round, which the guest writes once per 4 KiB page.  It
 * runs with paging on, as a guest kernel touching its RAM does: 16-bit
 * code in protected mode with 32-bit paging, its page directory at
 * GUEST_PD_GPA mapping 4 MiB pages 1:1 (the base RAM and the slot).
 */
#define GUEST_PD_GPA		0x3000
#define TOUCH_GPA		0x40000000ULL
#define TOUCH_SIZE		(256ULL << 20)
#define TOUCH_PAGE		4096
#define TOUCH_PAGES		(TOUCH_SIZE / TOUCH_PAGE)

/*
 * The interrupt of GOP_TIMER (the local APIC timer) and GOP_MSI (an MSI
 * to APIC ID 0), through the real-mode IVT at 0.
 */
#define IRQ_VECTOR		0x40
#define MSI_ADDRESS		0xfee00000ULL	/* physical, APIC ID 0 */

/*
 * GOP_IPI: vCPU 0 sends IPI_VECTOR to vCPU 1 (APIC ID 1), whose handler
 * answers with IRQ_VECTOR to vCPU 0; both fixed, physical destination.
 */
#define IPI_VECTOR		0x41
#define AP_APIC_ID		1

/* The value every MMIO load returns (the VMM's answer). */
#define MMIO_READ_VALUE		0x5a5a1234u

/* What the guest loops over (the jump table in guest.c, in this order). */
enum guest_op {
	GOP_LOOP,	/* nothing: the loop's own cost */
	GOP_CPUID,	/* CPUID leaf 0 */
	GOP_OUT,	/* OUT dword to params.port */
	GOP_STORE,	/* MOV dword to params.addr */
	GOP_LOAD,	/* MOV dword from params.addr */
	GOP_TIMER,	/* local APIC timer interrupt taken and EOIed */
	GOP_MSI,	/* OUT to params.port, then wait for the MSI */
	GOP_TOUCH,	/* MOV dword to the next 4 KiB page from params.base */
	GOP_IPI,	/* IPI to vCPU 1, then wait for its IPI back */
	GOP_DEADLINE,	/* arm the TSC-deadline timer far ahead: WRMSR */
	NR_GUEST_OPS
};

#define GUEST_DONE_MAGIC	0x454e4f44u	/* "DONE" */

/**
 * struct guest_params - the guest's parameter block at GUEST_PARAMS_GPA
 * @op:		in: enum guest_op
 * @warm:	in: untimed iterations first (0 allowed)
 * @n:		in: timed iterations (at least 1)
 * @port:	in: port of GOP_OUT
 * @addr:	in: address of GOP_STORE and GOP_LOAD
 * @t0:		scratch: TSC at the start of the timed loop
 * @delta:	out: TSC cycles of the timed loop
 * @done:	out: GUEST_DONE_MAGIC once @delta is valid
 * @irqs:	out: interrupts the guest's handler took (GOP_TIMER,
 *		GOP_MSI, GOP_IPI), zero in
 * @base:	in: the first address GOP_TOUCH writes
 * @entries:	out: times the interrupt handler was entered (its first
 *		instruction counts), zero in; a device thread watches it
 * @mismatch:	out: the guest's own checks that failed, zero in.  After
 *		the timed loop (its figure is not changed by them): GOP_LOAD
 *		loads once more and counts a value other than
 *		MMIO_READ_VALUE; GOP_DEADLINE reads IA32_TSC_DEADLINE and
 *		counts a deadline that no WRMSR of the timed loop wrote
 *
 * Every value the guest writes in a store or OUT is its loop counter
 * (n .. 1, then warm .. 1), so a consumer can check what it received.
 * The guest signals the end with an OUT to PORT_DONE before its HLT (a
 * KVM with its in-kernel local APIC keeps HLT to itself).
 */
struct guest_params {
	uint32_t op;
	uint32_t warm;
	uint32_t n;
	uint16_t port;
	uint16_t addr;
	uint64_t t0;
	uint64_t delta;
	uint32_t done;
	uint32_t irqs;
	uint32_t base;
	uint32_t entries;
	uint32_t mismatch;
};

/**
 * struct guest_ap - what vCPU 1 shares at GUEST_AP_GPA (GOP_IPI)
 * @ready:	1 once its x2APIC is on and it waits for IPIs; zero in
 * @ipis:	IPIs its handler answered, all rounds together; zero in
 *
 * vCPU 1 runs bench_guest_ap from the case's setup to its teardown,
 * across the rounds of vCPU 0, so it has its own block: the parameter
 * block is written anew for every round.
 */
struct guest_ap {
	uint32_t ready;
	uint32_t ipis;
};

/*
 * The guest image (guest.c), to be copied to GUEST_CODE_GPA; vCPU 1 of
 * GOP_IPI starts at bench_guest_ap in it, in real mode like vCPU 0.
 */
extern const unsigned char bench_guest_start[];
extern const unsigned char bench_guest_ap[];
extern const unsigned char bench_guest_end[];

/* Where vCPU 1 starts, as a guest-physical address. */
#define GUEST_AP_ENTRY	(GUEST_CODE_GPA + (bench_guest_ap - bench_guest_start))

#define BENCH_HVX	(1U << 0)
#define BENCH_KVM	(1U << 1)

/**
 * struct bench_case - one measurement
 * @name:	its id in RESULT lines and the table
 * @op:		what the guest does
 * @port:	GOP_OUT's port
 * @addr:	GOP_STORE's or GOP_LOAD's address
 * @n:		timed iterations per round
 * @backends:	BENCH_HVX, BENCH_KVM: which backends have this path
 * @named:	runs only when named on the command line, not by default
 * @to_isr:	GOP_MSI: the figure is the device thread's, from its write()
 *		to the irqfd to the guest's handler (ev_reader_start()),
 *		not the guest's loop
 */
struct bench_case {
	const char *name;
	unsigned int backends;
	enum guest_op op;
	uint16_t port;
	uint16_t addr;
	uint32_t n;
	bool named;
	bool to_isr;
};

/**
 * struct bench_mm - guest-memory counters of one first_touch round, -1
 *	where the hypervisor did not tell
 * @ept_violations:	EPT-violation exits during the round (KVM: its
 *			pf_taken, the EPT violations that reached its page
 *			fault handler)
 * @vm_exits:		every VM exit during the round, in-kernel ones too
 * @pages_4k:		the VM's guest memory mapped after the round, in
 *			4 KiB EPT pages (KVM: its pages_4k)
 * @pages_2m:		... in 2 MiB EPT pages (KVM: its pages_2m)
 */
struct bench_mm {
	int64_t ept_violations;
	int64_t vm_exits;
	int64_t pages_4k;
	int64_t pages_2m;
};

/**
 * struct bench_counts - what the VMM side saw during one guest run
 * @exits:	returns from the run ioctl to userspace
 * @writes:	writes the consumer received (exits, ring or coalesced
 *		entries, eventfd counts) for the case's port or address
 * @bad:	writes whose value or target was not what the guest wrote
 * @wakeups:	times a device thread woke up (ring or eventfd reads)
 * @ap_ipis:	GOP_IPI: IPIs vCPU 1's handler answered (struct guest_ap)
 */
struct bench_counts {
	uint64_t exits;
	uint64_t writes;
	uint64_t bad;
	uint64_t wakeups;
	uint64_t ap_ipis;
};

struct linux_boot;

/**
 * struct bench_backend - a hypervisor to measure
 * @name:	"hvx" or "kvm"
 * @mask:	BENCH_HVX or BENCH_KVM
 * @open:	create the VM and its vCPU; 0, or -1 with a message printed
 * @setup:	route @c's port or address (first_touch: paging on and
 *		the slot's memory counters ready); 0, 1 when the backend has no
 *		such path (@why says why), -1 on an error (printed)
 * @run:	put @p into the guest, run it from GUEST_CODE_GPA to its HLT,
 *		serving exits, and read @p back; 0 or -1 (printed)
 * @teardown:	undo @setup (stop device threads, slot and paging off);
 *		fill @cnt with totals
 * @counters:	add the hypervisor's own counters of the VM (exits by
 *		reason and the like, all vCPUs, since the VM was made) to
 *		@b; 0, or -1 when it has none to give
 * @close:	free everything
 * @touch_slot:	first_touch: delete the slot at TOUCH_GPA, if any, and add
 *		a fresh one of TOUCH_SIZE bytes; its memory, or NULL
 *		(printed)
 * @mm_read:	first_touch: the hypervisor's counters now (EPT violations
 *		and exits so far, pages mapped), -1 where it does not tell
 */
struct bench_backend {
	const char *name;
	unsigned int mask;
	int (*open)(void);
	int (*setup)(const struct bench_case *c, const char **why);
	int (*run)(struct guest_params *p, struct bench_counts *cnt);
	void (*teardown)(const struct bench_case *c, struct bench_counts *cnt);
	int (*counters)(struct linux_boot *b);
	void (*close)(void);
	uint8_t *(*touch_slot)(void);
	void (*mm_read)(struct bench_mm *m);
};

extern const struct bench_backend hvx_backend;
extern const struct bench_backend kvm_backend;

/**
 * struct ev_reader - a device thread sleeping on an eventfd (evreader.c)
 * @efd:	the eventfd, made by ev_reader_start(), closed by _stop()
 * @relay_fd:	an eventfd the thread signals once per read (an irqfd: the
 *		device completes and interrupts), or -1
 * @thread:	the thread
 * @running:	@thread was started
 * @stop:	asks @thread to end
 * @total:	the counts read; final after ev_reader_stop()
 * @wakeups:	reads that returned
 * @watch:	with @relay_fd: the guest's handler entry count (struct
 *		guest_params' @entries); the thread times each relay from
 *		its write() until this changes (ev_latency_read()), or NULL
 */
struct ev_reader {
	int efd;
	int relay_fd;
	pthread_t thread;
	bool running;
	bool stop;
	uint64_t total;
	uint64_t wakeups;
	const uint32_t *watch;
};

int ev_reader_start(struct ev_reader *r, int relay_fd, const uint32_t *watch);
void ev_reader_stop(struct ev_reader *r);
void ev_latency_read(uint64_t *cycles, uint64_t *relays);
bool ev_latency_unpinned(void);
int bench_pin_self(int cpu);

/**
 * struct vcpu_thread - the thread of a second vCPU (vcpu_thread.c)
 * @run:	one call of the run ioctl and the exit it returned with: 0
 *		to call it again (EINTR included), -1 to end (printed)
 * @ctx:	passed to @run
 * @thread:	the thread
 * @running:	@thread was started
 * @stop:	asks @thread to end
 * @ended:	@thread has left its loop
 * @failed:	@run returned -1
 */
struct vcpu_thread {
	int (*run)(void *ctx);
	void *ctx;
	pthread_t thread;
	bool running;
	bool stop;
	bool ended;
	bool failed;
};

int vcpu_thread_start(struct vcpu_thread *t);
/* Stop and join the thread; -1 when its @run failed. */
int vcpu_thread_stop(struct vcpu_thread *t);

/*
 * The Linux boot case (linux.c, kvm_linux.c): a bzImage, its initramfs
 * and command line booted to the guest's /init, under hvx-run or under
 * the minimal KVM launcher of kvm_linux.c.  The guest's /init prints
 * LINUX_INIT_MARK first thing; the time is taken when that line reaches
 * the launcher's console, and the exit counters are read then.
 */
#define LINUX_INIT_MARK		"HVX-GUEST-INIT"
#define LINUX_MAX_COUNTERS	160

/**
 * struct linux_counter - one exit counter of a boot
 * @name:	hvx: "exit:REASON" (VMX exit reason) or a statistic's name;
 *		KVM: the name of the debugfs file
 * @value:	its increase from the launcher's start to /init
 */
struct linux_counter {
	char name[48];
	uint64_t value;
};

/**
 * struct linux_boot - what one boot measured
 *
 * The exit-path cases use its @exits, @nr and @c too, for the counters
 * of their VM before and after a case (struct bench_backend, counters).
 *
 * @seen:	the init line arrived
 * @init_s:	seconds from the launcher's start to the init line
 * @uptime:	the guest's /proc/uptime at /init, as it printed it
 * @exits:	VM exits from the start to the init line (-1: unknown)
 * @nr:		entries of @c
 * @c:		the counters by reason
 */
struct linux_boot {
	bool seen;
	double init_s;
	char uptime[32];
	int64_t exits;
	unsigned int nr;
	struct linux_counter c[LINUX_MAX_COUNTERS];
};

/**
 * struct console_watch - a thread reading a guest's console (linux.c)
 * @fd:		the read end; the thread reads it to its end and closes it
 * @copy_fd:	every byte read also goes here, or -1
 * @t0:		the launcher's start (CLOCK_MONOTONIC)
 * @at_init:	called on the thread right after the init line arrived,
 *		to read the exit counters into @boot
 * @ctx:	passed to @at_init
 * @boot:	@seen, @init_s and @uptime are filled in by the thread
 * @thread:	the thread
 */
struct console_watch {
	int fd;
	int copy_fd;
	struct timespec t0;
	void (*at_init)(void *ctx, struct linux_boot *boot);
	void *ctx;
	struct linux_boot *boot;
	pthread_t thread;
};

int console_watch_start(struct console_watch *w);
void console_watch_join(struct console_watch *w);
void linux_boot_add(struct linux_boot *b, const char *name, uint64_t value);
void linux_boot_diff(struct linux_boot *b, const struct linux_boot *before,
		     const struct linux_boot *after);
struct hs_conn;
int hvx_vm_counters(struct hs_conn *nl, pid_t pid, struct linux_boot *b);
/* KVM's counters, each summed over its VMs (kvm_stats.c) */
#define KVM_DEBUGFS		"/sys/kernel/debug/kvm"
int kvm_vm_counters(struct linux_boot *b);
int64_t linux_boot_get(const struct linux_boot *b, const char *name);
int linux_kvm_boot(const char *kernel, const char *initrd,
		   const char *cmdline, uint64_t mem, int console_copy,
		   const struct timespec *t0, struct linux_boot *boot);
int linux_main(int argc, char **argv);
int linux_table(const char *hvx_path, const char *kvm_path);
int linux_thp_table(char **files);

/*
 * The first_touch case (touch.c): the guest's page directory, the check
 * of what it wrote, the lines it prints, and "bench touch-table".
 */
int touch_page_dir(uint8_t *ram);
int touch_run(const struct bench_backend *be, struct guest_params *p,
	      struct bench_counts *cnt, struct bench_mm *mm, uint64_t *bad);
void touch_print_round(const char *be, unsigned int round, double per_page,
		       const struct bench_mm *mm, uint64_t bad);
void touch_print_result(const struct bench_mm *mm, double per_page);
int touch_table(int argc, char **argv);

/* main.c */
void bench_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* HVX_BENCH_H */
