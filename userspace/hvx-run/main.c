// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: run a flat binary, an ELF executable, a Linux bzImage or a
 * multiboot kernel in an hvx VM, with a
 * 16550 UART on stdin/stdout, a debug-exit port, an i8042 and a CMOS
 * clock.  This file reads the options and puts the pieces together;
 * Documentation/hvx-run.rst and hvx-run(1) describe the behaviour.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hvx/libhvx.h>

#include "devices.h"
#include "hvx-run.h"
#include "virtio_net.h"

static const char usage_text[] =
"Usage: hvx-run [OPTIONS] IMAGE\n"
"       hvx-run [OPTIONS] -k KERNEL [-i FILE]... [-p PARAMS]\n"
"Run IMAGE, a flat binary or an ELF executable, or KERNEL, a Linux bzImage\n"
"or a multiboot (v1) kernel, in an hvx virtual machine.\n"
"\n"
"Options:\n"
"  -k, --kernel FILE    a Linux bzImage, started through the 64-bit boot\n"
"                       protocol on a PC platform with ACPI tables, or a\n"
"                       multiboot kernel, started as the multiboot\n"
"                       specification says (32-bit protected mode)\n"
"  -i, --initrd FILE    a bzImage's initial RAM disk (one); a multiboot\n"
"                       kernel's module (repeatable, in order)\n"
"  -p, --params TEXT    the kernel command line (multiboot: after the\n"
"                       kernel's file name)\n"
"  -d, --disk FILE[,ro] with -k: a virtio-blk disk on the raw image FILE\n"
"                       (repeatable, up to 8); ,ro: read-only\n"
"  -n, --network tap=NAME[,mac=XX:XX:XX:XX:XX:XX]\n"
"                       with -k: a virtio-net on tap device NAME (created\n"
"                       if absent), MAC 02:68:76:78:00:01 unless given\n"
"      --console KIND   with -k: uart (default), the 16550 on stdin/stdout,\n"
"                       or virtio, a virtio-console on stdin/stdout that\n"
"                       the guest sees as hvc0 (the UART stays for output)\n"
"  -m, --mem SIZE       guest RAM from guest-physical 0 (default 64M); SIZE\n"
"                       is bytes, or a number with K, M, G or T (x 1024^n),\n"
"                       a multiple of 4K, from 64K to 64G; 2M aligned in\n"
"                       hvx-run's memory and marked for transparent huge\n"
"                       pages, which hvx maps with 2M EPT pages\n"
"      --hugetlb        take guest RAM from the hugetlbfs pool (the default\n"
"                       huge page size; the pool must hold enough free\n"
"                       pages, see /proc/sys/vm/nr_hugepages)\n"
"  -c, --cpus N         vCPUs (default 1); vCPU 0 starts the image, the\n"
"                       others wait for the guest to send them INIT and\n"
"                       a start-up IPI through its local APIC\n"
"      --format FORMAT  flat or elf (default: elf if IMAGE starts with the\n"
"                       ELF magic, else flat)\n"
"      --load-addr GPA  where a flat image goes (default 0x1000)\n"
"      --entry GPA      where vCPU 0 starts (default: the load address of a\n"
"                       flat image, the ELF entry point of an ELF image)\n"
"      --caps           print what hvx and the CPU support, then exit\n"
"  -h, --help           print this help, then exit\n"
"\n"
"Boot modes:\n"
"  flat   16-bit real mode at CS:IP 0:entry (entry below 1M), SS:SP 0:load\n"
"         address (0:0 when loaded at 64K or above)\n"
"  ELF32  32-bit protected mode, flat 4G segments, no paging, no IDT; GDT\n"
"         in the page below min(RAM, 4G), ESP right below it\n"
"  ELF64  64-bit mode, the first max(RAM, 4G) identity-mapped with 2M pages;\n"
"         page tables at the top of RAM, GDT below them, RSP below that\n"
"  multiboot  as ELF32; EAX 0x2badb002, EBX the multiboot information\n"
"         (at 0x9000, or after the modules, which follow the image)\n"
"\n"
"Devices: 16550 UART at 0x3f8 on stdin/stdout, debug exit at 0xf4, i8042\n"
"at 0x60/0x64, CMOS/RTC at 0x70/0x71 (UTC).  With -k also: ACPI tables, an\n"
"I/O APIC, the 8259 pair, the 8254, fw_cfg at 0x510, power registers at\n"
"0x600-0x602, a PCI bus (ports 0xcf8/0xcfc, ECAM at 0xe0000000) with\n"
"virtio-rng, the -d disks, virtio-console with --console virtio and\n"
"virtio-net with -n; on a terminal, Ctrl-A x quits.  Other ports read all ones and\n"
"ignore writes; so does guest-physical memory beyond RAM.\n"
"\n"
"Exit status:\n"
"  V    the guest wrote byte V to port 0xf4 (any of 0-255)\n"
"  0    the guest executed HLT, asked the i8042 for a reset, or powered off\n"
"  2    bad command line, or a -k file that is not a kernel hvx-run boots\n"
"  120  the guest rebooted (-k)\n"
"  121  triple fault              122  VM entry failed\n"
"  123  hvx internal error        124  any other error\n"
"  129  SIGHUP                    130  SIGINT\n"
"  143  SIGTERM\n"
"See hvx-run(1).\n";

enum {
	OPT_FORMAT = 256,
	OPT_LOAD_ADDR,
	OPT_ENTRY,
	OPT_CAPS,
	OPT_HUGETLB,
	OPT_CONSOLE,
};

static const struct option long_options[] = {
	{ "kernel",	required_argument,	NULL, 'k' },
	{ "initrd",	required_argument,	NULL, 'i' },
	{ "params",	required_argument,	NULL, 'p' },
	{ "disk",	required_argument,	NULL, 'd' },
	{ "network",	required_argument,	NULL, 'n' },
	{ "mem",	required_argument,	NULL, 'm' },
	{ "cpus",	required_argument,	NULL, 'c' },
	{ "format",	required_argument,	NULL, OPT_FORMAT },
	{ "load-addr",	required_argument,	NULL, OPT_LOAD_ADDR },
	{ "entry",	required_argument,	NULL, OPT_ENTRY },
	{ "caps",	no_argument,		NULL, OPT_CAPS },
	{ "hugetlb",	no_argument,		NULL, OPT_HUGETLB },
	{ "console",	required_argument,	NULL, OPT_CONSOLE },
	{ "help",	no_argument,		NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

struct options {
	uint64_t mem;
	uint32_t cpus;
	enum image_format format;
	bool load_addr_set, entry_set, caps, hugetlb;
	uint64_t load_addr, entry;
	const char *image;
	const char *kernel, *params;
	const char **initrds;
	unsigned int nr_initrds;
	const char **disks;
	unsigned int nr_disks;
	bool console_virtio;
	struct vnet_spec net;
	bool net_on;
};

static int usage_error(const char *fmt, const char *arg)
{
	char buf[256];

	snprintf(buf, sizeof(buf), fmt, arg);
	msg("%s", buf);
	fprintf(stderr, "Try 'hvx-run --help'.\n");
	return -1;
}

/* Which of two words @arg is: 0 for @w0, 1 for @w1, -1 for neither. */
static int pick_word(const char *arg, const char *w0, const char *w1)
{
	if (!strcmp(arg, w0))
		return 0;
	return strcmp(arg, w1) ? -1 : 1;
}

/* One option of getopt_long()'s; 0, or -1 with a message printed. */
static int parse_option(int c, struct options *o)
{
	char err[160];
	uint64_t v;
	int w;

	switch (c) {
	case 'k':
		o->kernel = optarg;
		break;
	case 'i':
		o->initrds[o->nr_initrds++] = optarg;
		break;
	case 'p':
		o->params = optarg;
		break;
	case 'd':
		if (o->nr_disks == HVX_RUN_MAX_DISKS)
			return usage_error("more than %s disks (-d)", "8");
		o->disks[o->nr_disks++] = optarg;
		break;
	case 'n':
		if (o->net_on)
			return usage_error("one network device (-n)%s", "");
		if (vnet_parse(optarg, &o->net, err, sizeof(err)))
			return usage_error("%s", err);
		o->net_on = true;
		break;
	case 'm':
		if (parse_size(optarg, &o->mem) ||
		    o->mem < HVX_RUN_MEM_MIN ||
		    o->mem > HVX_RUN_MEM_MAX || o->mem % SZ_4K)
			return usage_error("bad memory size '%s': a multiple of 4K from 64K to 64G",
					   optarg);
		break;
	case 'c':
		if (parse_u64(optarg, &v) || !v || v > HVX_MAX_VCPUS)
			return usage_error("bad vCPU count '%s'", optarg);
		o->cpus = v;
		break;
	case OPT_FORMAT:
		w = pick_word(optarg, "flat", "elf");
		if (w < 0)
			return usage_error("unknown format '%s': flat or elf",
					   optarg);
		o->format = w ? IMAGE_ELF : IMAGE_FLAT;
		break;
	case OPT_LOAD_ADDR:
		if (parse_u64(optarg, &o->load_addr))
			return usage_error("bad load address '%s'", optarg);
		o->load_addr_set = true;
		break;
	case OPT_ENTRY:
		if (parse_u64(optarg, &o->entry))
			return usage_error("bad entry address '%s'", optarg);
		o->entry_set = true;
		break;
	case OPT_CAPS:
		o->caps = true;
		break;
	case OPT_HUGETLB:
		o->hugetlb = true;
		break;
	case OPT_CONSOLE:
		w = pick_word(optarg, "uart", "virtio");
		if (w < 0)
			return usage_error("unknown console '%s': uart or virtio",
					   optarg);
		o->console_virtio = w;
		break;
	case 'h':
		fputs(usage_text, stdout);
		exit(0);
	default:
		fprintf(stderr, "Try 'hvx-run --help'.\n");
		return -1;
	}
	return 0;
}

/* The options together, and the image; 0, or -1 with a message printed. */
static int check_options(int argc, char **argv, struct options *o)
{
	if (o->caps) {
		if (optind != argc)
			return usage_error("--caps takes no image%s", "");
		return 0;
	}
	if (o->kernel) {
		if (optind != argc)
			return usage_error("-k and an image: give one of them%s",
					   "");
		if (o->format != IMAGE_AUTO || o->load_addr_set ||
		    o->entry_set)
			return usage_error("--format, --load-addr and --entry are for images, not -k%s",
					   "");
		/* RAM in one slot from 0: it would cover the APICs' pages */
		if (o->mem > LINUX_RAM_MAX)
			return usage_error("-k takes at most %s of RAM: the I/O APIC and local APIC live below 4 GiB",
					   "3072M");
		if (o->mem < LINUX_RAM_MIN)
			return usage_error("-k takes at least %s of RAM: the firmware tables and the BIOS area fill the first MiB",
					   "2M");
		o->image = o->kernel;
		return 0;
	}
	if (o->nr_initrds || o->params || o->nr_disks || o->console_virtio ||
	    o->net_on)
		return usage_error("-i, -p, -d, -n and --console virtio go with -k%s",
				   "");
	if (optind != argc - 1)
		return usage_error(optind == argc ? "no image given%s" :
				   "more than one image given%s", "");
	o->image = argv[optind];
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	/* -i may come once per argument */
	o->initrds = calloc(argc, sizeof(*o->initrds));
	o->disks = calloc(argc, sizeof(*o->disks));
	if (!o->initrds || !o->disks) {
		msg("out of memory");
		return -1;
	}
	o->mem = HVX_RUN_MEM_DEFAULT;
	o->cpus = 1;
	o->format = IMAGE_AUTO;
	o->load_addr = HVX_RUN_LOAD_DEFAULT;

	while ((c = getopt_long(argc, argv, "k:i:p:m:c:d:n:h", long_options,
				NULL)) != -1)
		if (parse_option(c, o))
			return -1;
	return check_options(argc, argv, o);
}

static int open_hvx(struct hvx_caps *caps)
{
	int fd, v;

	fd = hvx_open();
	if (fd < 0) {
		msg("cannot open %s: %s%s", HVX_DEV_PATH, strerror(errno),
		    errno == ENOENT ? " (is hvx.ko loaded?)" : "");
		return -1;
	}
	v = hvx_get_api_version(fd);
	if (v != HVX_API_VERSION) {
		msg("hvx API version %d, hvx-run needs %d", v,
		    HVX_API_VERSION);
		close(fd);
		return -1;
	}
	if (hvx_get_caps(fd, caps) < 0) {
		msg("HVX_GET_CAPS: %s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int print_caps(void)
{
	struct hvx_caps caps;
	int fd = open_hvx(&caps);

	if (fd < 0)
		return HVX_RUN_EXIT_ERROR;
	printf("api_version:            %d\n", HVX_API_VERSION);
	hvx_caps_print(stdout, &caps);
	close(fd);
	return fflush(stdout) ? HVX_RUN_EXIT_ERROR : 0;
}

static void *read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t done = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		msg("cannot open %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		msg("%s: not a regular file", path);
		close(fd);
		return NULL;
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		msg("%s: out of memory", path);
		close(fd);
		return NULL;
	}
	while (done < (size_t)st.st_size) {
		n = read(fd, buf + done, st.st_size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			msg("cannot read %s: %s", path,
			    n ? strerror(errno) : "file shrank");
			free(buf);
			close(fd);
			return NULL;
		}
		done += n;
	}
	close(fd);
	*len = done;
	return buf;
}

/* -k with a bzImage: at most one initrd, the command line. */
static int load_linux(const struct options *o, const void *img, size_t len,
		      void *ram, uint64_t rsdp, struct load_info *li)
{
	struct linux_args a = {
		.cmdline = o->params ? o->params : "",
		.rsdp = rsdp,
	};
	void *initrd = NULL;
	char err[256];
	int r;

	if (o->nr_initrds > 1) {
		msg("%s: a Linux bzImage takes one initrd (-i), %u given",
		    o->kernel, o->nr_initrds);
		return HVX_RUN_EXIT_USAGE;
	}
	if (o->nr_initrds) {
		initrd = read_file(o->initrds[0], &a.initrd_len);
		/* a file that cannot be read is an error, as for the image */
		if (!initrd)
			return HVX_RUN_EXIT_ERROR;
		a.initrd = initrd;
	}
	r = load_bzimage(img, len, ram, o->mem, &a, li, err, sizeof(err));
	free(initrd);
	if (r) {
		msg("%s: %s", o->kernel, err);
		return HVX_RUN_EXIT_USAGE;
	}
	return 0;
}

/* -k with a multiboot kernel: each -i is a module, -p the arguments. */
static int load_mb(const struct options *o, const void *img, size_t len,
		   void *ram, struct load_info *li)
{
	struct multiboot_args a = {
		.name = o->kernel,
		.cmdline = o->params,
		.nr_mods = o->nr_initrds,
	};
	struct multiboot_mod *mods;
	unsigned int i, n;
	int r = HVX_RUN_EXIT_USAGE;
	char err[256];

	mods = calloc(o->nr_initrds + 1, sizeof(*mods));
	if (!mods) {
		msg("out of memory");
		return HVX_RUN_EXIT_ERROR;
	}
	for (n = 0; n < o->nr_initrds; n++) {
		mods[n].name = o->initrds[n];
		mods[n].data = read_file(o->initrds[n], &mods[n].len);
		if (!mods[n].data) {
			r = HVX_RUN_EXIT_ERROR;
			goto out;
		}
	}
	a.mods = mods;
	if (load_multiboot(img, len, ram, o->mem, &a, li, err, sizeof(err)))
		msg("%s: %s", o->kernel, err);
	else
		r = 0;
out:
	for (i = 0; i < n; i++)
		free((void *)mods[i].data);
	free(mods);
	return r;
}

/*
 * -k: a bzImage or a multiboot kernel.  A file that is not a kernel
 * hvx-run can boot is a usage error, as a bad option is.
 */
static int load_kernel(const struct options *o, const void *img, size_t len,
		       void *ram, uint64_t rsdp, struct load_info *li)
{
	if (image_is_bzimage(img, len))
		return load_linux(o, img, len, ram, rsdp, li);
	if (image_is_multiboot(img, len))
		return load_mb(o, img, len, ram, li);
	msg("%s: neither a Linux bzImage nor a multiboot kernel", o->kernel);
	return HVX_RUN_EXIT_USAGE;
}

/* Copy the image into RAM, fill @li.  Returns 0 or an exit status. */
static int load_image(const struct options *o, void *ram, uint64_t rsdp,
		      struct load_info *li)
{
	static const struct elf_rules given_entry = { .any_entry = true };
	enum image_format fmt = o->format;
	char err[256];
	size_t len;
	void *img;
	int r;

	img = read_file(o->image, &len);
	if (!img)
		return HVX_RUN_EXIT_ERROR;
	if (o->kernel) {
		r = load_kernel(o, img, len, ram, rsdp, li);
		free(img);
		return r;
	}
	if (fmt == IMAGE_AUTO)
		fmt = image_is_elf(img, len) ? IMAGE_ELF : IMAGE_FLAT;
	if (fmt == IMAGE_ELF && o->load_addr_set) {
		free(img);
		usage_error("--load-addr applies to flat images; %s is ELF",
			    o->image);
		return HVX_RUN_EXIT_USAGE;
	}
	if (fmt == IMAGE_ELF)
		r = load_elf_with(img, len, ram, o->mem,
				  o->entry_set ? &given_entry : NULL, li, err,
				  sizeof(err));
	else
		r = load_flat(img, len, o->load_addr, ram, o->mem, li, err,
			      sizeof(err));
	free(img);
	if (r) {
		msg("%s: %s", o->image, err);
		return HVX_RUN_EXIT_ERROR;
	}
	if (o->entry_set)
		li->entry = o->entry;
	return 0;
}

/* @cpus vCPUs with their run pages; the APs wait for a SIPI. */
static int create_vcpus(struct machine *m, uint32_t cpus)
{
	uint32_t i;

	m->vcpus = calloc(cpus, sizeof(*m->vcpus));
	if (!m->vcpus) {
		msg("out of memory");
		return -1;
	}
	for (i = 0; i < cpus; i++) {
		struct vcpu *v = &m->vcpus[i];

		v->m = m;
		v->id = i;
		v->fd = hvx_create_vcpu(m->vm_fd, i);
		if (v->fd < 0) {
			msg("HVX_CREATE_VCPU %u: %s", i, strerror(errno));
			return -1;
		}
		m->nr_vcpus++;
		v->run = hvx_map_run(v->fd, m->run_size);
		if (!v->run) {
			msg("vCPU %u: mmap of the run page: %s", i,
			    strerror(errno));
			return -1;
		}
		/* an AP sleeps in HVX_RUN until the guest's INIT and SIPI */
		if (i && hvx_set_mp_state(v->fd, HVX_MP_WAIT_SIPI) < 0) {
			msg("vCPU %u: HVX_SET_MP_STATE: %s", i,
			    strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The VM, its RAM slot and its vCPUs; vCPU 0 set up for @li. */
static int create_vm(struct machine *m, int hvx_fd,
		     const struct hvx_caps *caps, const struct options *o,
		     void *ram, const struct load_info *li,
		     const struct boot_layout *bl)
{
	struct hvx_sregs sregs;
	struct hvx_regs regs;
	char err[256];

	if (o->cpus > caps->max_vcpus) {
		msg("%u vCPUs asked for, hvx allows %u", o->cpus,
		    caps->max_vcpus);
		return -1;
	}
	m->vm_fd = hvx_create_vm(hvx_fd);
	if (m->vm_fd < 0) {
		msg("HVX_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	if (hvx_set_memory_region(m->vm_fd, 0, 0, 0, o->mem, ram) < 0) {
		msg("HVX_SET_MEMORY_REGION (%" PRIu64 " bytes): %s", o->mem,
		    strerror(errno));
		return -1;
	}
	if (o->kernel) {
		m->reset_rom = platform_map_reset_rom(m->vm_fd, 1);
		if (!m->reset_rom)
			return -1;
	}

	m->run_size = caps->run_page_size ? caps->run_page_size :
		      HVX_PAGE_SIZE;
	if (create_vcpus(m, o->cpus))
		return -1;
	if (hvx_get_regs(m->vcpus[0].fd, &regs) < 0) {
		msg("HVX_GET_REGS: %s", strerror(errno));
		return -1;
	}
	if (boot_cpu_state(li, bl, &regs, &sregs, err, sizeof(err))) {
		msg("%s: %s", o->image, err);
		return -1;
	}
	if (hvx_set_sregs(m->vcpus[0].fd, &sregs) < 0) {
		msg("HVX_SET_SREGS: %s", strerror(errno));
		return -1;
	}
	if (hvx_set_regs(m->vcpus[0].fd, &regs) < 0) {
		msg("HVX_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void destroy_vm(struct machine *m)
{
	uint32_t i;

	for (i = 0; i < m->nr_vcpus; i++) {
		if (m->vcpus[i].run)
			hvx_unmap_run(m->vcpus[i].run, m->run_size);
		close(m->vcpus[i].fd);
	}
	free(m->vcpus);
	if (m->vm_fd >= 0)
		close(m->vm_fd);
	if (m->reset_rom)
		munmap(m->reset_rom, RESET_ROM_SIZE);
}

static void kick_handler(int sig)
{
	/* Nothing: the point is that HVX_RUN returns -EINTR. */
}

/*
 * Block the signals the main thread waits for (the vCPU threads inherit
 * the mask) and return a signalfd for SIGINT, SIGTERM and SIGHUP.  A
 * hangup (a closed terminal, a dropped SSH session) stops the guest as
 * SIGTERM does, unless hvx-run was started with it ignored (nohup): a
 * blocked signal is never ignored, so it is not blocked then.
 */
static int setup_signals(void)
{
	struct sigaction sa;
	sigset_t set;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = kick_handler;
	sigaction(SIG_KICK, &sa, NULL);

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (signal_default(SIGHUP))
		sigaddset(&set, SIGHUP);
	sigaddset(&set, SIG_KICK);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigdelset(&set, SIG_KICK);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		msg("signalfd: %s", strerror(errno));
	return fd;
}

/*
 * The signal thread: a SIGINT, SIGTERM or SIGHUP stops the guest, and
 * from the stop until hvx-run is done with the guest's output one drops
 * what a stalled stdout has not taken (machine_stop_user()), which would
 * keep the threads that write it, and so hvx-run, from ending.
 */
struct signal_watch {
	int sig_fd, done_efd;
	struct machine *m;
	pthread_t thread;
	bool on;
};

static void *signal_thread(void *arg)
{
	struct signal_watch *w = arg;
	struct pollfd pfd[2] = {
		{ .fd = w->sig_fd, .events = POLLIN },
		{ .fd = w->done_efd, .events = POLLIN },
	};
	struct signalfd_siginfo si;

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			msg("poll: %s", strerror(errno));
			machine_stop(w->m, HVX_RUN_EXIT_ERROR, NULL);
			break;
		}
		if (pfd[1].revents & POLLIN)
			break;
		if (!(pfd[0].revents & POLLIN) ||
		    read(w->sig_fd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGINT)
			machine_stop_user(w->m, HVX_RUN_EXIT_SIGINT,
					  "stopped by SIGINT");
		else if (si.ssi_signo == SIGHUP)
			machine_stop_user(w->m, HVX_RUN_EXIT_SIGHUP,
					  "stopped by SIGHUP");
		else
			machine_stop_user(w->m, HVX_RUN_EXIT_SIGTERM,
					  "stopped by SIGTERM");
	}
	return NULL;
}

/* Return: 0, or -1 with a message printed. */
static int signal_watch_start(struct signal_watch *w, int sig_fd,
			      struct machine *m)
{
	w->sig_fd = sig_fd;
	w->m = m;
	w->done_efd = eventfd(0, EFD_CLOEXEC);
	w->on = w->done_efd >= 0 &&
		!pthread_create(&w->thread, NULL, signal_thread, w);
	if (!w->on)
		msg("cannot start the signal thread");
	return w->on ? 0 : -1;
}

static void signal_watch_end(struct signal_watch *w)
{
	uint64_t one = 1;

	if (w->on && write(w->done_efd, &one, sizeof(one)) == sizeof(one))
		pthread_join(w->thread, NULL);
	if (w->done_efd >= 0)
		close(w->done_efd);
	w->done_efd = -1;
	w->on = false;
}

/* Wait until the guest ends, or a signal (signal_thread()) ends it. */
static void wait_for_stop(struct machine *m)
{
	struct pollfd pfd = { .fd = m->stop_efd, .events = POLLIN };

	while (!machine_stopping(m))
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
			msg("poll: %s", strerror(errno));
			machine_stop(m, HVX_RUN_EXIT_ERROR, NULL);
		}
}

static void sync_output(void *ctx)
{
	console_out_sync(ctx);
}

/* A device's thread failed (device_failed()). */
static void device_failure(void *ctx)
{
	machine_stop(ctx, HVX_RUN_EXIT_ERROR, NULL);
}

/*
 * msg()'s output, into the stderr copy and out of it, waited for until
 * stderr took it or the copy was abandoned.
 */
static void write_messages(void *ctx, const char *buf, size_t len)
{
	struct console_out *err = ctx;

	if (console_out_write(err, buf, len))
		fwrite(buf, 1, len, stderr);
	else
		console_out_sync(err);
}

/*
 * The copies of the guest's output to stdout and of msg()'s to stderr,
 * with msg() on them.  Return: 0, or -1 after a message.
 */
static int outputs_start(struct machine *m, struct console_out *out,
			 struct console_out *err)
{
	if (console_out_start(err, STDERR_FILENO, "msg-out"))
		return -1;
	m->err = err;
	msg_set_output(write_messages, err);
	if (console_out_start(out, STDOUT_FILENO, "console-out"))
		return -1;
	m->out = out;
	msg_set_sync(sync_output, out);
	return 0;
}

/*
 * The guest's RAM filled: ACPI tables (-k), the image, the boot tables.
 * Return: 0, or hvx-run's exit status with a message printed.
 */
static int load_guest(const struct options *o, struct devices *d, void *ram,
		      struct load_info *li, struct boot_layout *bl)
{
	uint64_t rsdp = 0;
	int r;

	if (o->kernel &&
	    platform_build_tables(&d->plat, ram, o->mem, o->cpus, &rsdp))
		return HVX_RUN_EXIT_ERROR;
	r = load_image(o, ram, rsdp, li);
	if (r)
		return r;
	boot_layout(li->mode, o->mem, bl);
	boot_write_tables(li->mode, bl, ram);
	return 0;
}

/* What the command line asks of the devices (devices_init()). */
static struct devices_cfg devices_cfg_of(const struct options *o)
{
	return (struct devices_cfg) {
		.pc = o->kernel,
		.cmdline = o->params,
		.ram_size = o->mem,
		.disks = o->disks,
		.nr_disks = o->nr_disks,
		.console_virtio = o->console_virtio,
		.net = o->net_on ? &o->net : NULL,
	};
}

/* From the devices to the guest's end; hvx-run's exit status. */
static int run_machine(const struct options *o, struct devices *d, void *ram,
		       const struct load_info *li,
		       const struct boot_layout *bl)
{
	struct machine m = { .vm_fd = -1, .stop_efd = -1 };
	int hvx_fd = -1, sig_fd = -1, status = HVX_RUN_EXIT_ERROR;
	struct signal_watch watch = { .done_efd = -1 };
	struct console_out out = { .wfd = -1 }, err = { .wfd = -1 };
	struct devices_cfg cfg = devices_cfg_of(o);
	struct io_ring ring = { 0 };
	struct hvx_caps caps;

	pthread_mutex_init(&m.lock, NULL);
	pthread_cond_init(&m.stop_cond, NULL);
	m.park_on_hlt = o->kernel;
	/*
	 * Before any thread starts: every thread inherits the mask, and a
	 * signalfd sees a signal only if no thread takes it the usual way.
	 */
	sig_fd = setup_signals();
	if (sig_fd < 0 || outputs_start(&m, &out, &err))
		goto out;
	msg_set_failure(device_failure, &m);
	if (devices_init(d, &cfg, &m, ram))
		goto out;

	hvx_fd = open_hvx(&caps);
	if (hvx_fd < 0 || create_vm(&m, hvx_fd, &caps, o, ram, li, bl))
		goto out;
	m.halted_sleeps = caps.hvx_features & HVX_FEAT_HALTED_SLEEPS;

	m.stop_efd = eventfd(0, EFD_CLOEXEC);
	if (m.stop_efd < 0) {
		msg("eventfd: %s", strerror(errno));
		goto out;
	}
	io_ring_setup(&ring, m.vm_fd, &caps, &d->bus);
	if (ring.on)
		m.ring = &ring;

	if (platform_start(&d->plat, &d->com1, STDIN_FILENO, &m) ||
	    pci_devices_start(&d->pdev, d->plat.tty_raw))
		machine_stop(&m, HVX_RUN_EXIT_ERROR, NULL);
	if (signal_watch_start(&watch, sig_fd, &m))
		machine_stop(&m, HVX_RUN_EXIT_ERROR, NULL);
	vcpus_start(&m);
	wait_for_stop(&m);
	vcpus_join(&m);
	io_ring_stop(&ring);
	status = m.status;
out:
	/* before the devices stop: Ctrl-C must abandon a stalled stdout */
	terminal_restore();
	devices_stop(d);
	msg_set_failure(NULL, NULL);
	/* every thread that writes the guest's output has ended */
	console_out_stop(&out);
	console_out_sync(&err);
	/* a signal may still drop the output and messages until then */
	signal_watch_end(&watch);
	msg_set_sync(NULL, NULL);
	m.out = NULL;
	console_out_destroy(&out);
	if (sig_fd >= 0)
		close(sig_fd);
	if (m.stop_efd >= 0)
		close(m.stop_efd);
	destroy_vm(&m);
	if (hvx_fd >= 0)
		close(hvx_fd);
	devices_destroy(d);
	/* what the teardown said waits for stderr, as msg()'s lines do */
	msg_set_output(NULL, NULL);
	m.err = NULL;
	console_out_destroy(&err);
	pthread_cond_destroy(&m.stop_cond);
	pthread_mutex_destroy(&m.lock);
	return status;
}

static int run(const struct options *o)
{
	struct boot_layout bl;
	struct load_info li;
	struct devices *d;
	void *ram;
	int r;

	/* zeroed: no platform or PCI devices until they are built */
	d = calloc(1, sizeof(*d));
	if (!d) {
		msg("out of memory");
		return HVX_RUN_EXIT_ERROR;
	}
	ram = ram_alloc(o->mem, o->hugetlb);
	if (!ram) {
		msg("cannot map %" PRIu64 " bytes of guest RAM%s: %s", o->mem,
		    o->hugetlb ? " from hugetlbfs" : "", strerror(errno));
		free(d);
		return HVX_RUN_EXIT_ERROR;
	}
	r = load_guest(o, d, ram, &li, &bl);
	if (!r)
		r = run_machine(o, d, ram, &li, &bl);
	ram_free(ram, o->mem);
	free(d);
	return r;
}

/*
 * Standard input, output and error closed by whoever started hvx-run
 * (<&-) are /dev/null: else the next descriptor opened would become one
 * of them, and a signalfd read as the console's input loses its signal.
 * Return: 0, or -1 when one cannot be opened.
 */
static int std_fds_open(void)
{
	int fd;

	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* the lowest free descriptor: this one */
		if (open("/dev/null", O_RDWR) != fd)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	int status;

	if (std_fds_open())
		return HVX_RUN_EXIT_ERROR;
	if (parse_options(argc, argv, &o))
		return HVX_RUN_EXIT_USAGE;
	if (o.caps)
		status = print_caps();
	else
		status = run(&o);
	free(o.initrds);
	free(o.disks);
	return status;
}
