// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal Linux launcher on Linux KVM, for the Linux boot case: the
 * same bzImage loading, boot state and legacy devices as hvx-run's -k
 * (its linux.c, boot.c, acpi.c, pm.c, serial.c, rtc.c, i8042.c and io.c
 * are built into hvx-bench; no PCI bus, fw_cfg or RTC interrupt, which
 * hvx-run has, Documentation/bench.rst), with KVM's in-kernel
 * irqchip (8259 pair, I/O APIC at 0xfec00000, local APIC at 0xfee00000)
 * and in-kernel 8254 in place of hvx-run's.  One memory slot from GPA 0,
 * one vCPU with the CPUID KVM supports, one thread: port exits go to the
 * io_bus, MMIO exits to io_bus_mmio(), COM1's line to KVM_IRQ_LINE, and
 * the guest's ACPI power-off (pm.c) ends the run.
 *
 * The exit counters are KVM's own, the files of /sys/kernel/debug/kvm:
 * they are read at the start and when the guest's init line arrives, and
 * the differences reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "bench.h"
#include "hvx-run.h"

/* KVM's real-mode TSS and identity map: three pages below the BIOS. */
#define KVM_LINUX_TSS		0xfffbd000UL
#define KVM_LINUX_IDENT_MAP	0xfffbc000UL
#define COM1_GSI		4
#define CPUID_MAX_ENTRIES	1024
#define CPUID_1_ECX_HYPERVISOR	(1U << 31)
#define CPUID_1_ECX_TSC_DEADLINE	(1U << 24)

/* The PC's wiring, as hvx-run's MADT describes it (IRQ 0 on pin 2). */
#define PIC_INPUTS		16
#define IOAPIC_PINS		24
#define PC_CASCADE_IRQ		2

/**
 * struct kvm_linux - the VM
 * @kvm:	/dev/kvm
 * @vm:		the VM
 * @vcpu:	its vCPU
 * @run:	the vCPU's kvm_run
 * @run_size:	its mapping's size
 * @ram:	guest RAM, @mem bytes at GPA 0
 * @mem:	its size
 * @bus:	the ports and MMIO ranges userspace serves
 * @com1:	the UART
 * @kbc:	the i8042
 * @rtc:	the CMOS clock
 * @pm:		the ACPI power registers
 * @acpi:	what the tables describe
 * @stopped:	a device ended the guest
 * @status:	hvx-run's exit status for why
 */
struct kvm_linux {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram;
	uint64_t mem;
	struct io_bus *bus;
	struct serial com1;
	struct i8042 kbc;
	struct rtc rtc;
	struct pm pm;
	struct acpi_config acpi;
	bool stopped;
	int status;
};

/* The counters at the start, to subtract at /init. */
static struct linux_boot stats_start;

/* At /init: what grew since the start. */
static void kvm_at_init(void *ctx, struct linux_boot *boot)
{
	static struct linux_boot now;

	now.nr = 0;
	if (kvm_vm_counters(&now)) {
		bench_err("linux kvm: %s: %s", KVM_DEBUGFS, strerror(errno));
		return;
	}
	linux_boot_diff(boot, &stats_start, &now);
}

static void kvm_linux_stop(void *ctx, int status, const char *why)
{
	struct kvm_linux *k = ctx;

	if (k->stopped)
		return;
	k->stopped = true;
	k->status = status;
	if (why)
		bench_err("linux kvm: %s", why);
}

/* COM1's line: the UART raises and lowers it, KVM's irqchip takes it. */
static void kvm_linux_irq(void *ctx, unsigned int gsi, bool level)
{
	struct kvm_linux *k = ctx;
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	if (ioctl(k->vm, KVM_IRQ_LINE, &l))
		bench_err("linux kvm: KVM_IRQ_LINE %u: %s", gsi,
			  strerror(errno));
}

static void route(struct kvm_irq_routing_entry *e, uint32_t gsi,
		  uint32_t chip, uint32_t pin)
{
	memset(e, 0, sizeof(*e));
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_IRQCHIP;
	e->u.irqchip.irqchip = chip;
	e->u.irqchip.pin = pin;
}

/*
 * ISA IRQ n reaches 8259 input n and I/O APIC pin n, but IRQ 0 (the
 * 8254, which KVM raises as GSI 0) reaches pin 2, as the MADT's
 * interrupt source override tells the guest.  KVM's default table would
 * wire it to pin 0.
 */
static int set_routing(struct kvm_linux *k)
{
	struct kvm_irq_routing *r;
	unsigned int i, n = 0;
	int ret;

	r = calloc(1, sizeof(*r) + (PIC_INPUTS + IOAPIC_PINS) *
		   sizeof(r->entries[0]));
	if (!r)
		return -1;
	for (i = 0; i < PIC_INPUTS; i++)
		if (i != PC_CASCADE_IRQ)
			route(&r->entries[n++], i, i < 8 ?
			      KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE,
			      i % 8);
	for (i = 0; i < IOAPIC_PINS; i++)
		if (i != PC_CASCADE_IRQ)
			route(&r->entries[n++], i, KVM_IRQCHIP_IOAPIC,
			      i ? i : PC_CASCADE_IRQ);
	r->nr = n;
	ret = ioctl(k->vm, KVM_SET_GSI_ROUTING, r);
	free(r);
	return ret;
}

/*
 * The CPUID KVM supports, with what KVM leaves to userspace and every
 * launcher sets: the hypervisor bit (without it Linux looks for no
 * hypervisor leaves, finds no kvmclock and, in Bochs, cannot calibrate
 * its TSC against the PIT), and the TSC-deadline timer where
 * KVM_CAP_TSC_DEADLINE_TIMER says the in-kernel APIC has it (supported
 * CPUID shows it clear before Linux 6.14; QEMU sets it so).  hvx's
 * default CPUID shows it: without it only this guest would check the
 * PIT's timer and calibrate its APIC timer, about 0.1 s of its boot.
 */
static int set_cpuid(struct kvm_linux *k)
{
	uint32_t ecx = CPUID_1_ECX_HYPERVISOR;
	struct kvm_cpuid2 *c;
	unsigned int i;
	int ret;

	if (ioctl(k->kvm, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		ecx |= CPUID_1_ECX_TSC_DEADLINE;
	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c)
		return -1;
	c->nent = CPUID_MAX_ENTRIES;
	ret = ioctl(k->kvm, KVM_GET_SUPPORTED_CPUID, c);
	for (i = 0; !ret && i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx |= ecx;
	if (!ret)
		ret = ioctl(k->vcpu, KVM_SET_CPUID2, c);
	free(c);
	return ret;
}

static void kvm_seg(struct kvm_segment *to, const struct hvx_segment *from)
{
	memset(to, 0, sizeof(*to));
	to->base = from->base;
	to->limit = from->limit;
	to->selector = from->selector;
	to->type = from->ar & HVX_AR_TYPE_MASK;
	to->s = !!(from->ar & HVX_AR_S);
	to->dpl = (from->ar >> HVX_AR_DPL_SHIFT) & 3;
	to->present = !!(from->ar & HVX_AR_P);
	to->avl = !!(from->ar & HVX_AR_AVL);
	to->l = !!(from->ar & HVX_AR_L);
	to->db = !!(from->ar & HVX_AR_DB);
	to->g = !!(from->ar & HVX_AR_G);
	to->unusable = !!(from->ar & HVX_AR_UNUSABLE);
}

/* hvx-run's boot state of the 64-bit boot protocol, in KVM's structures. */
static int set_boot_state(struct kvm_linux *k, const struct load_info *li,
			  const struct boot_layout *bl)
{
	struct hvx_regs hr = { 0 };
	struct hvx_sregs hs;
	struct kvm_sregs s;
	struct kvm_regs r;
	char err[256];

	if (boot_cpu_state(li, bl, &hr, &hs, err, sizeof(err))) {
		bench_err("linux kvm: %s", err);
		return -1;
	}
	if (ioctl(k->vcpu, KVM_GET_SREGS, &s))
		return -1;
	kvm_seg(&s.cs, &hs.cs);
	kvm_seg(&s.ds, &hs.ds);
	kvm_seg(&s.es, &hs.es);
	kvm_seg(&s.fs, &hs.fs);
	kvm_seg(&s.gs, &hs.gs);
	kvm_seg(&s.ss, &hs.ss);
	kvm_seg(&s.tr, &hs.tr);
	kvm_seg(&s.ldt, &hs.ldt);
	s.gdt.base = hs.gdt.base;
	s.gdt.limit = hs.gdt.limit;
	s.idt.base = hs.idt.base;
	s.idt.limit = hs.idt.limit;
	s.cr0 = hs.cr0;
	s.cr3 = hs.cr3;
	s.cr4 = hs.cr4;
	s.efer = hs.efer;
	if (ioctl(k->vcpu, KVM_SET_SREGS, &s))
		return -1;
	memset(&r, 0, sizeof(r));
	r.rip = hr.rip;
	r.rsp = hr.rsp;
	r.rsi = hr.rsi;
	r.rflags = hr.rflags;
	return ioctl(k->vcpu, KVM_SET_REGS, &r);
}

static void *read_whole(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		bench_err("linux kvm: %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	buf = malloc(st.st_size + 1);
	if (!buf)
		bench_err("linux kvm: %s: out of memory", path);
	while (buf && done < (size_t)st.st_size) {
		n = read(fd, buf + done, st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			bench_err("linux kvm: %s: short read", path);
			free(buf);
			buf = NULL;
			break;
		}
		done += n;
	}
	close(fd);
	*len = done;
	return buf;
}

/* The kernel, initrd, command line, ACPI and MP tables in RAM. */
static int load(struct kvm_linux *k, const char *kernel, const char *initrd,
		const char *cmdline, struct load_info *li,
		struct boot_layout *bl)
{
	struct linux_args a = { .cmdline = cmdline };
	size_t klen;
	char err[256];
	void *img, *rd;
	int ret = -1;

	if (acpi_build(k->ram, k->mem, &k->acpi, &a.rsdp, err, sizeof(err))) {
		bench_err("linux kvm: ACPI tables: %s", err);
		return -1;
	}
	/* as hvx-run's: the guest's MP table scan finds the same */
	if (mptable_build(k->ram, k->mem, &k->acpi, MPTABLE_BASE, err,
			  sizeof(err))) {
		bench_err("linux kvm: %s", err);
		return -1;
	}
	img = read_whole(kernel, &klen);
	rd = read_whole(initrd, &a.initrd_len);
	a.initrd = rd;
	if (img && rd) {
		ret = load_bzimage(img, klen, k->ram, k->mem, &a, li, err,
				   sizeof(err));
		if (ret)
			bench_err("linux kvm: %s: %s", kernel, err);
	}
	free(img);
	free(rd);
	if (ret)
		return -1;
	boot_layout(li->mode, k->mem, bl);
	boot_write_tables(li->mode, bl, k->ram);
	return 0;
}

/* The VM, its irqchip, 8254, RAM slot and vCPU. */
static int create(struct kvm_linux *k)
{
	struct kvm_userspace_memory_region mr = { 0 };
	struct kvm_pit_config pit = { 0 };
	uint64_t ident = KVM_LINUX_IDENT_MAP;
	int ret;

	k->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->kvm < 0) {
		bench_err("linux kvm: /dev/kvm: %s", strerror(errno));
		return -1;
	}
	k->vm = ioctl(k->kvm, KVM_CREATE_VM, 0);
	if (k->vm < 0 ||
	    ioctl(k->vm, KVM_SET_TSS_ADDR, KVM_LINUX_TSS) ||
	    ioctl(k->vm, KVM_SET_IDENTITY_MAP_ADDR, &ident) ||
	    ioctl(k->vm, KVM_CREATE_IRQCHIP, 0) || set_routing(k) ||
	    ioctl(k->vm, KVM_CREATE_PIT2, &pit)) {
		bench_err("linux kvm: creating the VM: %s", strerror(errno));
		return -1;
	}
	mr.slot = 0;
	mr.guest_phys_addr = 0;
	mr.memory_size = k->mem;
	mr.userspace_addr = (uintptr_t)k->ram;
	if (ioctl(k->vm, KVM_SET_USER_MEMORY_REGION, &mr)) {
		bench_err("linux kvm: KVM_SET_USER_MEMORY_REGION: %s",
			  strerror(errno));
		return -1;
	}
	k->vcpu = ioctl(k->vm, KVM_CREATE_VCPU, 0);
	ret = ioctl(k->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (k->vcpu < 0 || ret <= 0) {
		bench_err("linux kvm: KVM_CREATE_VCPU: %s", strerror(errno));
		return -1;
	}
	k->run_size = ret;
	k->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      k->vcpu, 0);
	if (k->run == MAP_FAILED) {
		k->run = NULL;
		bench_err("linux kvm: mmap of kvm_run: %s", strerror(errno));
		return -1;
	}
	if (set_cpuid(k)) {
		bench_err("linux kvm: CPUID: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The userspace devices, as hvx-run -k has them. */
static int devices(struct kvm_linux *k, int console_fd)
{
	k->bus = malloc(sizeof(*k->bus));
	if (!k->bus)
		return -1;
	io_bus_init(k->bus, stderr);
	serial_init(&k->com1, -1, console_fd);
	i8042_init(&k->kbc, kvm_linux_stop, k);
	k->kbc.reset_status = HVX_RUN_EXIT_REBOOT;
	rtc_init(&k->rtc, k->mem, NULL, NULL);
	pm_init(&k->pm, &k->acpi, kvm_linux_stop, k);
	serial_connect_irq(&k->com1, kvm_linux_irq, k, COM1_GSI);
	if (serial_register(&k->com1, k->bus, SERIAL_COM1_BASE) ||
	    i8042_register(&k->kbc, k->bus) || rtc_register(&k->rtc, k->bus) ||
	    pm_register(&k->pm, k->bus)) {
		bench_err("linux kvm: cannot register the UART, i8042, RTC or PM ports");
		return -1;
	}
	return 0;
}

static int run_vcpu(struct kvm_linux *k)
{
	struct kvm_run *run = k->run;
	uint8_t *data;
	uint32_t i;

	while (!k->stopped) {
		if (ioctl(k->vcpu, KVM_RUN, 0)) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			bench_err("linux kvm: KVM_RUN: %s", strerror(errno));
			return -1;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			data = (uint8_t *)run + run->io.data_offset;
			for (i = 0; i < run->io.count; i++, data += run->io.size)
				if (run->io.direction == KVM_EXIT_IO_OUT)
					io_bus_out(k->bus, run->io.port,
						   run->io.size, data);
				else
					io_bus_in(k->bus, run->io.port,
						  run->io.size, data);
			break;
		case KVM_EXIT_MMIO:
			io_bus_mmio(k->bus, run->mmio.phys_addr, run->mmio.len,
				    run->mmio.is_write, run->mmio.data);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_SHUTDOWN:
			bench_err("linux kvm: triple fault");
			return -1;
		default:
			bench_err("linux kvm: exit %u (hardware reason 0x%llx)",
				  run->exit_reason, (unsigned long long)
				  run->hw.hardware_exit_reason);
			return -1;
		}
	}
	return k->status ? -1 : 0;
}

static void destroy(struct kvm_linux *k)
{
	if (k->bus) {
		rtc_destroy(&k->rtc);
		i8042_destroy(&k->kbc);
		serial_destroy(&k->com1);
		io_bus_destroy(k->bus);
		free(k->bus);
	}
	if (k->run)
		munmap(k->run, k->run_size);
	if (k->vcpu >= 0)
		close(k->vcpu);
	if (k->vm >= 0)
		close(k->vm);
	if (k->kvm >= 0)
		close(k->kvm);
	if (k->ram)
		ram_free(k->ram, k->mem);
}

/**
 * linux_kvm_boot() - boot a bzImage under KVM until it powers off
 * @kernel: the bzImage
 * @initrd: its initramfs
 * @cmdline: its command line
 * @mem: bytes of RAM
 * @console_copy: the guest's console goes here too, or -1
 * @t0: the start, CLOCK_MONOTONIC
 * @boot: filled in: the time to the init line and KVM's counters then
 *
 * Return: 0 when the guest powered off, -1 on any failure (printed).
 */
int linux_kvm_boot(const char *kernel, const char *initrd,
		   const char *cmdline, uint64_t mem, int console_copy,
		   const struct timespec *t0, struct linux_boot *boot)
{
	struct kvm_linux k = { .kvm = -1, .vm = -1, .vcpu = -1, .mem = mem };
	struct console_watch w = { .copy_fd = console_copy,
				   .at_init = kvm_at_init, .boot = boot };
	struct boot_layout bl;
	struct load_info li;
	int pfd[2], ret = -1;

	stats_start.nr = 0;
	if (kvm_vm_counters(&stats_start))
		bench_err("linux kvm: %s: %s: no exit counters",
			  KVM_DEBUGFS, strerror(errno));
	w.t0 = *t0;
	acpi_config_default(&k.acpi, 1);
	/* KVM_CREATE_IRQCHIP's 8259 pair is there, as hvx-run's is */
	k.acpi.pic = true;
	/* As hvx-run maps it: THP can back it where the host allows. */
	k.ram = ram_alloc(mem, false);
	if (!k.ram) {
		bench_err("linux kvm: guest RAM: %s", strerror(errno));
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		bench_err("linux kvm: pipe: %s", strerror(errno));
		destroy(&k);
		return -1;
	}
	w.fd = pfd[0];
	if (console_watch_start(&w)) {
		close(pfd[0]);
		close(pfd[1]);
		destroy(&k);
		return -1;
	}
	if (!create(&k) && !load(&k, kernel, initrd, cmdline, &li, &bl) &&
	    !devices(&k, pfd[1])) {
		if (set_boot_state(&k, &li, &bl))
			bench_err("linux kvm: boot state: %s",
				  strerror(errno));
		else
			ret = run_vcpu(&k);
	}
	close(pfd[1]);
	console_watch_join(&w);
	destroy(&k);
	return ret;
}
