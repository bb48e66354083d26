/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hvx-run: launch a flat or ELF image in an hvx VM.
 *
 * The pieces, one file each: option parsing (main.c), image loading
 * (loader.c), the initial CPU state of each boot mode (boot.c), the port
 * and MMIO dispatch (io.c), the devices (serial.c, debug_exit.c, i8042.c,
 * rtc.c, pic.c, pit.c, ioapic.c, pm.c, fw_cfg.c; the legacy chips are
 * declared in pc_chips.h), the ACPI tables (acpi.c), the PC platform of
 * -k and its interrupt routing (platform.c, irq.c), the Linux and
 * multiboot loaders (linux.c, multiboot.c), the vCPU threads (vcpu.c),
 * the register dump (dump.c), guest RAM's mapping (ram.c) and the copy
 * of the consoles' output to stdout (console_out.c).
 *
 * Devices never see the run page: they register port handlers (byte-wide
 * but for the PCI configuration ports) or MMIO handlers on a struct
 * io_bus, and whoever learns of a guest
 * access calls io_bus_in()/io_bus_out()/io_bus_mmio().  Today that is
 * the vCPU thread after an HVX_EXIT_IO (io_bus_handle_run()) or
 * HVX_EXIT_MMIO, and the thread serving the shared I/O ring (ioring.c),
 * which gets COM1's posted THR writes.  Every device takes its own lock,
 * so the handlers may be called from any thread.
 *
 * Documentation/hvx-run.rst is the user's view of all this.
 */
#ifndef HVX_RUN_H
#define HVX_RUN_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <linux/hvx.h>
#include <hvx/libhvx.h>

#include "pc_chips.h"

/* Exit statuses of hvx-run besides the guest's own (debug-exit port). */
#define HVX_RUN_EXIT_OK		0	/* HLT, i8042 reset request */
#define HVX_RUN_EXIT_POWEROFF	0	/* ACPI S5 (pm.c) */
#define HVX_RUN_EXIT_USAGE	2	/* bad command line */
#define HVX_RUN_EXIT_REBOOT	120	/* ACPI reset register (pm.c) */
#define HVX_RUN_EXIT_SHUTDOWN	121	/* triple fault */
#define HVX_RUN_EXIT_FAIL_ENTRY	122	/* VM entry failed */
#define HVX_RUN_EXIT_INTERNAL	123	/* hvx internal error */
#define HVX_RUN_EXIT_ERROR	124	/* any other error */
#define HVX_RUN_EXIT_SIGHUP	129	/* 128 + SIGHUP */
#define HVX_RUN_EXIT_SIGINT	130	/* 128 + SIGINT */
#define HVX_RUN_EXIT_SIGTERM	143	/* 128 + SIGTERM */

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define __printf(a, b)	__attribute__((format(printf, a, b)))

#define SZ_4K		0x1000ULL
#define SZ_64K		0x10000ULL
#define SZ_1M		0x100000ULL
#define SZ_2M		0x200000ULL
#define SZ_1G		0x40000000ULL
#define SZ_4G		0x100000000ULL

/* The layout of tables a guest reads (acpi.c, mptable.c), byte for byte */
#define __packed	__attribute__((packed))

/*
 * Set a table's checksum byte @field, inside its @len bytes at @p, so
 * that they sum to 0 (mod 256): the rule of ACPI's and the MP tables.
 */
static inline void table_checksum(void *p, size_t len, uint8_t *field)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	*field = 0;
	while (len--)
		sum += *b++;
	*field = -sum;
}

/* Little-endian fields of images and of the tables written for the guest. */
static inline uint16_t get_le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static inline uint32_t get_le32(const uint8_t *p)
{
	return get_le16(p) | (uint32_t)get_le16(p + 2) << 16;
}

static inline uint64_t get_le64(const uint8_t *p)
{
	return get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static inline void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, v);
	put_le16(p + 2, v >> 16);
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, v);
	put_le32(p + 4, v >> 32);
}

/* Guest RAM: at least 64 KiB, at most one hvx memory slot (64 GiB). */
#define HVX_RUN_MEM_MIN		SZ_64K
#define HVX_RUN_MEM_MAX		(64 * SZ_1G)
#define HVX_RUN_MEM_DEFAULT	(64 * SZ_1M)
#define HVX_RUN_LOAD_DEFAULT	0x1000ULL

/* util.c: messages and number parsing */
void msg(const char *fmt, ...) __printf(1, 2);
void msg_set_sync(void (*sync)(void *), void *ctx);
void msg_set_output(void (*out)(void *, const char *, size_t), void *ctx);
void msg_write(const char *buf, size_t len);
FILE *msg_stream_open(void);
void msg_set_failure(void (*fail)(void *), void *ctx);
void device_failed(const char *fmt, ...) __printf(1, 2);
int errf(char *err, size_t errlen, const char *fmt, ...) __printf(3, 4);
int parse_size(const char *s, uint64_t *out);
int parse_u64(const char *s, uint64_t *out);

/* loader.c */
enum image_format {
	IMAGE_AUTO,
	IMAGE_FLAT,
	IMAGE_ELF,
};

enum boot_mode {
	BOOT_REAL16,	/* flat image: 16-bit real mode */
	BOOT_PROT32,	/* ELF32: flat 32-bit protected mode, no paging */
	BOOT_LONG64,	/* ELF64: 64-bit mode, RAM identity-mapped */
	BOOT_LINUX64,	/* bzImage: the 64-bit Linux boot protocol */
	BOOT_MULTIBOOT,	/* multiboot kernel: BOOT_PROT32 with EAX, EBX */
};

/**
 * struct load_info - what loading an image found
 * @mode:	boot mode the image asks for
 * @entry:	where vCPU 0 starts (guest-physical, or linear: identical)
 * @low:	lowest guest-physical byte written
 * @high:	one past the highest guest-physical byte written
 * @boot_params: BOOT_LINUX64: the boot_params page (RSI at entry)
 * @mb_info:	BOOT_MULTIBOOT: the multiboot information structure (EBX at
 *		entry)
 */
struct load_info {
	enum boot_mode mode;
	uint64_t entry;
	uint64_t low, high;
	uint64_t boot_params;
	uint64_t mb_info;
};

/**
 * struct elf_rules - what a boot protocol adds to loading an ELF image
 * @phys_entry:	enter at e_entry's physical address in its segment
 * @any_entry:	e_entry may be in no segment (--entry replaces it)
 * @avoid_lo:	no segment may touch [@avoid_lo, @avoid_hi)
 * @avoid_hi:	(both 0: no such range)
 * @avoid_what:	the range's name, for the message
 */
struct elf_rules {
	bool phys_entry, any_entry;
	uint64_t avoid_lo, avoid_hi;
	const char *avoid_what;
};

bool image_is_elf(const void *img, size_t len);
int load_flat(const void *img, size_t len, uint64_t load_addr,
	      void *ram, uint64_t ram_size, struct load_info *li,
	      char *err, size_t errlen);
int load_elf(const void *img, size_t len, void *ram, uint64_t ram_size,
	     struct load_info *li, char *err, size_t errlen);
int load_elf_with(const void *img, size_t len, void *ram, uint64_t ram_size,
		  const struct elf_rules *o, struct load_info *li,
		  char *err, size_t errlen);

/* boot.c */

/* GDT selectors of the protected and long modes. */
#define BOOT_CS_SEL	0x08
#define BOOT_DS_SEL	0x10

/*
 * Linux's low memory, below the EBDA: the GDT, page tables identity-mapping
 * the first 4 GiB in 2 MiB pages (PML4, PDPT, four PDs), the boot_params
 * page, the stack and the command line.  The boot protocol's selectors.
 */
#define LINUX_CS_SEL		0x10
#define LINUX_DS_SEL		0x18
#define LINUX_GDT		0x1000ULL
#define LINUX_PML4		0x2000ULL
#define LINUX_NPD		4
#define LINUX_BOOT_PARAMS	0x8000ULL
#define LINUX_STACK		0x10000ULL
#define LINUX_CMDLINE		0x10000ULL
#define LINUX_CMDLINE_MAX	0x10000ULL
#define LINUX_LOW_END		(LINUX_CMDLINE + LINUX_CMDLINE_MAX)
/* The BIOS area with the ACPI and MP tables, reserved in the e820 map. */
#define LINUX_BIOS_AREA		0xe0000ULL
#define LINUX_EBDA		0x9fc00ULL
/* The protected-mode kernel goes at 1 MiB, as every loader puts it. */
#define LINUX_KERNEL_ADDR	0x100000ULL
/* RAM above this would overlap the 32-bit MMIO hole (I/O and local APIC). */
#define LINUX_RAM_MAX		0xc0000000ULL
/*
 * The first MiB holds the tables and the BIOS area up to the reset
 * vector, which a multiboot kernel's GDT page at the top of RAM would
 * overwrite.
 */
#define LINUX_RAM_MIN		SZ_2M
/*
 * The page at the top of 4 GiB where a processor's reset vector
 * (0xfffffff0) lies; a PC's BIOS ROM shows there.  Reserved in the memory
 * maps (platform_map_reset_rom()).
 */
#define RESET_ROM_BASE		0xfffff000ULL
#define RESET_ROM_SIZE		0x1000ULL

/**
 * struct linux_args - what goes with a bzImage
 * @cmdline:	the kernel command line (NUL-terminated)
 * @initrd:	the initrd, or NULL
 * @initrd_len:	its size
 * @rsdp:	guest-physical address of the ACPI RSDP, or 0
 */
struct linux_args {
	const char *cmdline;
	const void *initrd;
	size_t initrd_len;
	uint64_t rsdp;
};

bool image_is_bzimage(const void *img, size_t len);
int load_bzimage(const void *img, size_t len, void *ram, uint64_t ram_size,
		 const struct linux_args *a, struct load_info *li,
		 char *err, size_t errlen);

/*
 * multiboot.c: Multiboot (version 1) kernels.  The header's magic and the value EAX
 * holds at entry; the header lies in the first MB_SEARCH_LEN bytes of the
 * file.  The information structure, the memory map, the module list and
 * the strings go at MB_INFO_ADDR, above the page kernels take for their
 * AP start-up code (0x8000) and below the EBDA; when the image or its
 * modules are there, in the first page after the last module instead.
 */
#define MB_HEADER_MAGIC		0x1badb002
#define MB_BOOT_MAGIC		0x2badb002
#define MB_SEARCH_LEN		8192
#define MB_INFO_ADDR		0x9000ULL
#define MB_INFO_END		LINUX_EBDA

/**
 * struct multiboot_mod - one module (-i FILE) of a multiboot kernel
 * @data:	its contents
 * @len:	their size
 * @name:	the module's string: its file name
 */
struct multiboot_mod {
	const void *data;
	size_t len;
	const char *name;
};

/**
 * struct multiboot_args - what goes with a multiboot kernel
 * @name:	the kernel's file name: the command line's first word
 * @cmdline:	the rest of the command line (-p), or NULL
 * @mods:	the modules, in order
 * @nr_mods:	how many
 */
struct multiboot_args {
	const char *name;
	const char *cmdline;
	const struct multiboot_mod *mods;
	unsigned int nr_mods;
};

bool image_is_multiboot(const void *img, size_t len);
int load_multiboot(const void *img, size_t len, void *ram, uint64_t ram_size,
		   const struct multiboot_args *a, struct load_info *li,
		   char *err, size_t errlen);

/**
 * struct boot_layout - where hvx-run puts its boot structures in RAM
 * @rsvd_lo:	first byte of guest RAM the boot structures use
 * @rsvd_hi:	one past the last (@rsvd_lo == @rsvd_hi: none)
 * @gdt:	the GDT (protected and long mode), one page
 * @pml4:	long mode: the PML4, then the PDPT, then @npd PDs
 * @pdpt:	long mode: the PDPT
 * @pd:		long mode: the first PD
 * @npd:	long mode: number of PDs (GiB identity-mapped)
 * @stack:	protected and long mode: the initial stack pointer
 */
struct boot_layout {
	uint64_t rsvd_lo, rsvd_hi;
	uint64_t gdt;
	uint64_t pml4, pdpt, pd;
	uint64_t npd;
	uint64_t stack;
};

void boot_layout(enum boot_mode mode, uint64_t ram_size,
		 struct boot_layout *bl);
void boot_write_tables(enum boot_mode mode, const struct boot_layout *bl,
		       void *ram);
int boot_cpu_state(const struct load_info *li, const struct boot_layout *bl,
		   struct hvx_regs *regs, struct hvx_sregs *sregs,
		   char *err, size_t errlen);
const char *boot_mode_name(enum boot_mode mode);

/* io.c: port and MMIO dispatch */

/**
 * struct io_port_ops - a device's port handlers
 * @in:		read the byte at @port
 * @out:	write @val to @port
 * @access:	optional, instead of @in and @out: the whole access of
 *		@size bytes at @port (@data, lowest port first; filled for
 *		a read), cut at the end of the device's range, for a
 *		device whose registers see the access's width (the PCI
 *		configuration ports)
 *
 * Without @access, wider accesses reach a device as byte accesses to
 * consecutive ports.  The handlers may be called from any thread.
 */
struct io_port_ops {
	uint8_t (*in)(void *opaque, uint16_t port);
	void (*out)(void *opaque, uint16_t port, uint8_t val);
	void (*access)(void *opaque, uint16_t port, unsigned int size,
		       uint8_t *data, bool write);
};

/**
 * struct io_mmio_ops - a device's MMIO handlers
 * @read:	fill @data with the @len bytes at @offset into the device's
 *		range
 * @write:	take the @len bytes at @data, written at @offset
 *
 * @offset counts from the base the device registered; @len is 1 to 8
 * (an access that runs past the end of the range reaches the device
 * shortened to the bytes inside it).  Both handlers may be called from
 * any thread.
 */
struct io_mmio_ops {
	void (*read)(void *opaque, uint64_t offset, void *data,
		     unsigned int len);
	void (*write)(void *opaque, uint64_t offset, const void *data,
		      unsigned int len);
};

#define IO_BUS_MAX_REGIONS	32
#define IO_BUS_MAX_MMIO		16
#define IO_BUS_MAX_MMIO_LOG	64

struct io_region {
	uint16_t base, len;
	const struct io_port_ops *ops;
	void *opaque;
	const char *name;
};

struct io_mmio_region {
	uint64_t base, len;
	const struct io_mmio_ops *ops;
	void *opaque;
	const char *name;
};

/**
 * struct io_bus - the guest's port space and its MMIO space
 * @map:	port -> region index + 1 (0: no device)
 * @regions:	the registered ranges
 * @nregions:	how many
 * @mmio:	the registered MMIO ranges
 * @nmmio:	how many
 * @logged:	one bit per port: an unhandled access was already logged
 * @log:	where unhandled accesses are reported (stderr)
 * @mmio_lock:	protects @mmio_pages and @nmmio_pages
 * @mmio_pages:	pages whose unhandled MMIO was already logged
 */
struct io_bus {
	uint8_t map[65536];
	struct io_region regions[IO_BUS_MAX_REGIONS];
	unsigned int nregions;
	struct io_mmio_region mmio[IO_BUS_MAX_MMIO];
	unsigned int nmmio;
	uint64_t logged[65536 / 64];
	FILE *log;
	pthread_mutex_t mmio_lock;
	uint64_t mmio_pages[IO_BUS_MAX_MMIO_LOG];
	unsigned int nmmio_pages;
};

void io_bus_init(struct io_bus *bus, FILE *log);
void io_bus_destroy(struct io_bus *bus);
int io_bus_register(struct io_bus *bus, uint16_t base, uint16_t len,
		    const struct io_port_ops *ops, void *opaque,
		    const char *name);
int io_bus_register_mmio(struct io_bus *bus, uint64_t base, uint64_t len,
			 const struct io_mmio_ops *ops, void *opaque,
			 const char *name);
void io_bus_in(struct io_bus *bus, uint16_t port, unsigned int size,
	       void *data);
void io_bus_out(struct io_bus *bus, uint16_t port, unsigned int size,
		const void *data);
void io_bus_mmio(struct io_bus *bus, uint64_t gpa, unsigned int len,
		 bool is_write, uint8_t *data);
int io_bus_handle_run(struct io_bus *bus, struct hvx_run *run);

/*
 * How a device ends the guest: @status is hvx-run's exit status, @why a
 * line for stderr or NULL.  The first request wins.
 */
typedef void (*stop_fn)(void *ctx, int status, const char *why);

/* serial.c: 16550A UART */
#define SERIAL_COM1_BASE	0x3f8
#define SERIAL_FIFO_SIZE	16
#define SERIAL_HELD_SIZE	4096	/* input read ahead of the guest */

/* With -k on a terminal: Ctrl-A x ends hvx-run, Ctrl-A Ctrl-A sends ^A. */
#define SERIAL_ESCAPE_CHAR	0x01
#define HVX_RUN_EXIT_ESCAPE	HVX_RUN_EXIT_SIGINT

/* escape.c: that sequence and the input wait, for both consoles */
struct console_escape {
	bool on, seen;
	stop_fn stop;
	void *stop_ctx;
};

void console_escape_init(struct console_escape *e, bool on, stop_fn stop,
			 void *ctx);
int console_escape(struct console_escape *e, uint8_t c);
size_t console_escape_buf(struct console_escape *e, uint8_t *buf, size_t n,
			  bool *stop);
int console_wait_input_for(int in_fd, int wake_fd, int stop_efd,
			   int timeout_ms);
bool console_wait_input(int in_fd, int stop_efd);

struct serial {
	pthread_mutex_t lock;
	int in_fd, out_fd;
	bool in_eof;
	uint8_t rx[SERIAL_FIFO_SIZE];
	unsigned int rx_head, rx_count;
	uint8_t held[SERIAL_HELD_SIZE];	/* read, not yet received */
	unsigned int held_head, held_len;
	uint8_t ier, lcr, mcr, lsr_err, msr_delta, scr, fcr, dll, dlm;
	bool thri_pending;
	irq_line_fn irq;
	void *irq_ctx;
	unsigned int gsi;
	bool irq_level;
	/*
	 * the input thread (serial_start_input()); in_wants_room: it waits
	 * for room in held, and the register path that makes some signals
	 * in_room_efd
	 */
	pthread_t in_thread;
	bool in_thread_on, in_stop, in_wants_room;
	int in_stop_efd, in_room_efd;
	struct console_escape esc;
};

void serial_init(struct serial *s, int in_fd, int out_fd);
void serial_destroy(struct serial *s);
int serial_register(struct serial *s, struct io_bus *bus, uint16_t base);
void serial_connect_irq(struct serial *s, irq_line_fn irq, void *ctx,
			unsigned int gsi);
int serial_start_input(struct serial *s, bool escape, stop_fn stop,
		       void *ctx);
void serial_stop_input(struct serial *s);
uint8_t serial_in(struct serial *s, unsigned int reg);
void serial_out(struct serial *s, unsigned int reg, uint8_t val);

/* debug_exit.c: a byte written to port 0xf4 ends the guest */
#define DEBUG_EXIT_PORT		0xf4

struct debug_exit {
	stop_fn stop;
	void *ctx;
};

int debug_exit_register(struct debug_exit *d, struct io_bus *bus,
			stop_fn stop, void *ctx);

/* i8042.c: keyboard controller, enough for status reads and reset */
#define I8042_DATA_PORT		0x60
#define I8042_CMD_PORT		0x64

struct i8042 {
	pthread_mutex_t lock;
	uint8_t status, cmd_byte, out_port, out;
	uint8_t pending_cmd;	/* command waiting for its data byte */
	stop_fn stop;
	void *ctx;
	int reset_status;	/* hvx-run's status on a reset request */
};

void i8042_init(struct i8042 *k, stop_fn stop, void *ctx);
void i8042_destroy(struct i8042 *k);
int i8042_register(struct i8042 *k, struct io_bus *bus);
uint8_t i8042_in(struct i8042 *k, uint16_t port);
void i8042_out(struct i8042 *k, uint16_t port, uint8_t val);

/* fw_cfg.c: QEMU's firmware configuration interface, ports 0x510/0x511 */
#define FW_CFG_PORT_SEL		0x510
#define FW_CFG_PORT_DATA	0x511
#define FW_CFG_MAX_FILES	16
#define FW_CFG_NAME_MAX		56	/* a directory entry's name, NUL included */

/**
 * struct fw_cfg_file - one named file
 * @name:	its name, NUL-terminated
 * @data:	a copy of its contents
 * @len:	their size
 */
struct fw_cfg_file {
	char name[FW_CFG_NAME_MAX];
	uint8_t *data;
	uint32_t len;
};

/**
 * struct fw_cfg - the device
 * @lock:	protects everything below
 * @selector:	the selected item's key
 * @offset:	the next byte of it the data port returns
 * @hi_pending:	a byte went to the selector port: a byte to the data port
 *		now is the key's high half
 * @signature:	item 0x0000
 * @id:		item 0x0001, little-endian
 * @ram_size:	item 0x0003, little-endian
 * @nr_cpus:	item 0x0005, little-endian
 * @cmdline_size: item 0x0014, little-endian
 * @cmdline:	item 0x0015 (with its NUL), or NULL
 * @files:	the named files, key 0x0020 + index
 * @nr_files:	how many
 * @dir:	item 0x0019, the file directory, big-endian
 * @dir_len:	its size
 */
struct fw_cfg {
	pthread_mutex_t lock;
	uint16_t selector;
	uint32_t offset;
	bool hi_pending;
	uint8_t signature[4];
	uint8_t id[4];
	uint8_t ram_size[8];
	uint8_t nr_cpus[2];
	uint8_t cmdline_size[4];
	const char *cmdline;
	struct fw_cfg_file files[FW_CFG_MAX_FILES];
	unsigned int nr_files;
	uint8_t dir[4 + 64 * FW_CFG_MAX_FILES];
	uint32_t dir_len;
};

void fw_cfg_init(struct fw_cfg *f, uint64_t ram_size, uint16_t nr_cpus,
		 const char *cmdline);
void fw_cfg_destroy(struct fw_cfg *f);
int fw_cfg_register(struct fw_cfg *f, struct io_bus *bus);
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data,
		    uint32_t len);
void fw_cfg_select(struct fw_cfg *f, uint16_t key);
uint8_t fw_cfg_read(struct fw_cfg *f);

/* acpi.c: the ACPI tables; pm.c: the power management ports */

/*
 * Where acpi_config_default() puts the tables: the BIOS area's lower
 * half; the MP tables (mptable.c) take the upper one.
 */
#define ACPI_TABLES_BASE	0xe0000ULL
#define ACPI_TABLES_SIZE	0x10000ULL
/* The RSDP must be here for the legacy scan (16-byte boundaries). */
#define ACPI_RSDP_SCAN_START	0xe0000ULL
#define ACPI_RSDP_SCAN_END	0x100000ULL

#define ACPI_MAX_CPUS		64
#define ACPI_MAX_OVERRIDES	16
#define ACPI_LAPIC_BASE		0xfee00000ULL

/* MPS INTI flags of an interrupt source override */
#define ACPI_IRQ_ACTIVE_HIGH	0x0001
#define ACPI_IRQ_ACTIVE_LOW	0x0003
#define ACPI_IRQ_EDGE		0x0004
#define ACPI_IRQ_LEVEL		0x000c

/*
 * The power management registers of the hardware-reduced ACPI model, in
 * port space (the FADT's sleep control, sleep status and reset register
 * GAS describe them): writing SLP_EN with SLP_TYP 5 to the sleep control
 * register powers off (the \_S5 package says 5), writing 0x01 to the
 * reset register reboots.  0x600-0x602 belong to no PC device.
 */
#define PM_SLEEP_CONTROL_PORT	0x600
#define PM_SLEEP_STATUS_PORT	0x601
#define PM_RESET_PORT		0x602
#define PM_RESET_VALUE		0x01
#define PM_SLP_TYP_S5		5
#define PM_SLP_TYP_SHIFT	2	/* sleep control bits 4:2 */
#define PM_SLP_TYP_MASK		0x1c
#define PM_SLP_EN		0x20	/* sleep control bit 5 */
#define PM_WAK_STS		0x80	/* sleep status bit 7 */

/**
 * struct acpi_irq_override - an MADT interrupt source override
 * @irq:	the ISA IRQ, 0-15
 * @gsi:	the global system interrupt it is wired to
 * @flags:	ACPI_IRQ_*: polarity | trigger mode (0: as the bus says)
 */
struct acpi_irq_override {
	uint8_t irq;
	uint32_t gsi;
	uint16_t flags;
};

/**
 * struct acpi_config - what the ACPI tables describe
 * @nr_cpus:		vCPUs, 1-ACPI_MAX_CPUS; local APIC IDs 0..n-1
 * @ioapic_base:	the I/O APIC's MMIO window, below 4 GiB
 * @ioapic_id:		its APIC ID, 0-15; its GSI base is 0
 * @nr_overrides:	entries of @overrides used
 * @overrides:		ISA IRQs not wired to the GSI of the same number,
 *			or not edge triggered active high
 * @sleep_control_port:	the sleep control register
 * @sleep_status_port:	the sleep status register
 * @reset_port:		the reset register
 * @reset_value:	what to write there to reboot
 * @s5_sleep_type:	SLP_TYP of S5, 0-7, as \_S5 says
 * @tables_base:	guest-physical start of the tables' region; the
 *			RSDP goes at its first 16-byte boundary, which must
 *			lie in the BIOS area 0xe0000-0xfffff
 * @tables_size:	its size; the region is cleared, tables use < 2 KiB
 * @com1:		declare the 16550A at 0x3f8, IRQ 4
 * @rtc:		declare the RTC at 0x70, IRQ 8
 * @i8042:		declare the i8042 at 0x60/0x64, IRQ 1
 * @fw_cfg:		declare the fw_cfg device at 0x510/0x511
 * @pic:		the dual 8259 is on the bus too: MADT PCAT_COMPAT
 * @pci:		the PCI root of pci.h: DSDT PCI0 and the MCFG table
 */
struct acpi_config {
	uint32_t nr_cpus;
	uint64_t ioapic_base;
	uint8_t ioapic_id;
	unsigned int nr_overrides;
	struct acpi_irq_override overrides[ACPI_MAX_OVERRIDES];
	uint16_t sleep_control_port;
	uint16_t sleep_status_port;
	uint16_t reset_port;
	uint8_t reset_value;
	uint8_t s5_sleep_type;
	uint64_t tables_base;
	uint64_t tables_size;
	bool com1, rtc, i8042, pic, fw_cfg, pci;
};

void acpi_config_default(struct acpi_config *cfg, uint32_t nr_cpus);
int acpi_build(void *ram, uint64_t ram_size, const struct acpi_config *cfg,
	       uint64_t *rsdp_gpa, char *err, size_t errlen);

/* mptable.c: the MultiProcessor Specification tables, for OSes without ACPI */
#define MPTABLE_BASE		0xf0000ULL

int mptable_build(void *ram, uint64_t ram_size, const struct acpi_config *cfg,
		  uint64_t base, char *err, size_t errlen);

/**
 * struct pm - the power management registers
 * @sleep_control_port:	as in struct acpi_config
 * @sleep_status_port:	as in struct acpi_config
 * @reset_port:		as in struct acpi_config
 * @reset_value:	as in struct acpi_config
 * @s5_sleep_type:	as in struct acpi_config
 * @stop:		ends the guest
 * @ctx:		passed to @stop
 */
struct pm {
	uint16_t sleep_control_port;
	uint16_t sleep_status_port;
	uint16_t reset_port;
	uint8_t reset_value;
	uint8_t s5_sleep_type;
	stop_fn stop;
	void *ctx;
};

void pm_init(struct pm *pm, const struct acpi_config *cfg, stop_fn stop,
	     void *ctx);
int pm_register(struct pm *pm, struct io_bus *bus);

/* dump.c */
void dump_regs(FILE *f, const struct hvx_regs *regs,
	       const struct hvx_sregs *sregs);
void dump_exit(FILE *f, const struct hvx_run *run);

/* ioring.c: the shared I/O ring and its device thread */

/**
 * struct io_ring - the VM's shared I/O ring, as hvx-run uses it
 * @map:	the mapped ring (@map.fd is the ring fd)
 * @efd:	eventfd hvx.ko signals when it publishes to a sleeping thread
 * @stop_efd:	tells the thread to end
 * @lock:	serialises the consumers (the thread and the vCPU threads)
 * @thread:	the device thread
 * @on:		the ring is set up and its thread runs
 * @bus:	where the entries go
 */
/* Entries a consumer takes from the ring at a time. */
#define IO_RING_BATCH	64
/* io_ring_drain()'s @vcpu for the ring's thread and the main thread */
#define IO_RING_ALL	(-1)

/**
 * struct io_ring - hvx-run's consumer of the shared I/O ring
 * @map:	the ring
 * @efd:	eventfd hvx.ko signals when the consumer asked to be woken
 * @stop_efd:	eventfd that ends @thread
 * @lock:	guards @serving, @batch, @nr_batch, @next and @done, and
 *		the consumer index (moved only with it held)
 * @served:	signalled when an entry is served, and when a consumer's
 *		turn ends
 * @thread:	the ring's thread
 * @on:		the ring is in use (set before @thread starts)
 * @orphaned:	@thread ended on an error (atomic): the vCPUs serve the
 *		whole ring at each return
 * @serving:	a consumer serves @batch, without @lock
 * @batch:	the entries it took from the ring
 * @nr_batch:	how many
 * @next:	the one in service: those before it are served
 * @done:	ring index of the first entry not yet served
 * @bus:	where entries go
 */
struct io_ring {
	struct hvx_ring_map map;
	int efd, stop_efd;
	pthread_mutex_t lock;
	pthread_cond_t served;
	pthread_t thread;
	bool on;
	bool orphaned;
	bool serving;
	struct hvx_ring_entry batch[IO_RING_BATCH];
	uint32_t nr_batch;
	uint32_t next;
	uint32_t done;
	struct io_bus *bus;
};

void io_ring_setup(struct io_ring *r, int vm_fd, const struct hvx_caps *caps,
		   struct io_bus *bus);
void io_ring_drain(struct io_ring *r, int who);
bool io_ring_orders_exit(const struct io_ring *r,
			 const struct hvx_run *run);
void io_ring_returned(struct io_ring *r, uint32_t vcpu,
		      const struct hvx_run *run);
void io_ring_stop(struct io_ring *r);

/**
 * struct irq_router - the controllers ISA interrupt lines reach
 * @pic:	the 8259 pair, or NULL
 * @ioapic_line: drives an I/O APIC pin (GSI), or NULL
 * @ioapic_ctx:	passed to @ioapic_line
 * @extint:	the 8259's INTR as it last reported it (atomic): vCPU 0
 *		looks here before it takes the PIC's lock
 */
struct irq_router {
	struct pic *pic;
	irq_line_fn ioapic_line;
	void *ioapic_ctx;
	bool extint;
};

struct vcpu;

/* irq.c */
void irq_router_line(void *ctx, unsigned int irq, bool level);
void irq_extint_changed(void *ctx, bool level);
void irq_extint_deliver(struct vcpu *v);


struct machine;

/**
 * struct platform - what -k adds: a PC with ACPI (platform.c)
 * @acpi:	what the ACPI and the MP tables describe
 * @pic:	the 8259 pair
 * @pit:	the 8254
 * @ioapic:	the I/O APIC
 * @pm:		the power registers
 * @fw_cfg:	the firmware configuration device
 * @rtc:	the CMOS clock (main.c's), whose line and thread are ours
 * @ram_size:	guest RAM, as platform_build_tables() was told
 * @tty_raw:	the console's terminal is in raw mode (terminal.c)
 * @on:		the devices exist
 */
struct platform {
	struct acpi_config acpi;
	struct pic pic;
	struct pit pit;
	struct ioapic ioapic;
	struct pm pm;
	struct fw_cfg fw_cfg;
	struct rtc *rtc;
	uint64_t ram_size;
	bool tty_raw;
	bool on;
};

int platform_build_tables(struct platform *p, void *ram, uint64_t ram_size,
			  uint32_t nr_cpus, uint64_t *rsdp);
int platform_init(struct platform *p, struct machine *m, struct io_bus *bus,
		  struct serial *com1, struct rtc *rtc, const char *cmdline);
void platform_write_firmware(struct platform *p, void *ram);
void *platform_map_reset_rom(int vm_fd, uint32_t slot);
int platform_start(struct platform *p, struct serial *com1, int tty_fd,
		   struct machine *m);
void platform_destroy(struct platform *p);

/* terminal.c: the console's terminal in raw mode, and back; dispositions */
bool terminal_raw(int fd);
void terminal_restore(void);
bool signal_default(int sig);
int thread_create_quiet(pthread_t *thread, void *(*fn)(void *), void *arg);

/**
 * struct console_out - the guest's console output on its way to stdout,
 *	or hvx-run's messages to stderr
 * @out_fd:	where it goes (stdout, stderr)
 * @rfd:	the read end of hvx-run's pipe, the output thread's
 * @wfd:	its write end, the devices' output file
 * @thread:	copies the pipe to @out_fd
 * @started:	@thread was started (until console_out_destroy())
 * @joined:	@thread was joined
 * @twin_fd:	@out_fd opened again not to block, once abandoned (@thread's)
 * @twin_tried:	@twin_fd was opened, or could not be (@thread's)
 * @twin_sock:	@twin_fd is a socket: sent to with MSG_DONTWAIT (@thread's)
 * @lock:	guards the fields below
 * @synced:	broadcast when @nr_done grows, and at the end
 * @nr_read:	bytes @thread has read from the pipe
 * @nr_done:	bytes of those written to @out_fd or dropped
 * @running:	@thread has not ended
 * @in_write:	@thread waits on @out_fd
 * @abandoned:	@out_fd gets only what it takes at once from now on
 * @failed:	the errno @out_fd failed with; output is dropped
 */
struct console_out {
	int out_fd, rfd, wfd, twin_fd;
	bool twin_tried, twin_sock;
	pthread_t thread;
	bool started, joined;
	pthread_mutex_t lock;
	pthread_cond_t synced;
	uint64_t nr_read, nr_done;
	bool running, in_write, abandoned;
	int failed;
};

/* console_out.c */
int console_out_start(struct console_out *o, int out_fd, const char *name);
int console_out_write(struct console_out *o, const char *buf, size_t len);
void console_out_sync(struct console_out *o);
void console_out_abandon(struct console_out *o);
void console_out_stop(struct console_out *o);
void console_out_destroy(struct console_out *o);

/* vcpu.c: the VM and its vCPU threads */

/* Sent to a vCPU thread to make its HVX_RUN return -EINTR. */
#define SIG_KICK	SIGUSR1

struct machine;

/**
 * struct vcpu - one vCPU and its thread
 * @m:		the machine
 * @id:		vCPU id
 * @fd:		the vCPU file
 * @run:	its run page
 * @thread:	its thread, once @started
 * @started:	the thread was created (written before the threads run)
 * @running:	the thread runs the guest (m->lock)
 * @parked:	the guest took it offline: counted in m->nr_parked (its
 *		thread only)
 * @exited:	the guest has run it: it exited at least once, counted in
 *		m->nr_live (its thread only)
 * @census_seen: the last census (m->census_gen) it answered (its thread
 *		only)
 */
struct vcpu {
	struct machine *m;
	uint32_t id;
	int fd;
	struct hvx_run *run;
	pthread_t thread;
	bool started;
	bool running;
	bool parked;
	bool exited;
	uint32_t census_seen;
};

/**
 * struct machine - one guest
 * @vm_fd:	the VM
 * @reset_rom:	under -k, the page at RESET_ROM_BASE, or NULL
 * @run_size:	size of a vCPU's run page mapping
 * @nr_vcpus:	vCPUs created
 * @vcpus:	them
 * @bus:	the port and MMIO dispatch
 * @lock:	protects @stopping, @status, @stop_cond, the counts and the
 *		census
 * @stop_cond:	signalled when @stopping is set (APs wait on it)
 * @stopping:	the guest is ending; vCPU threads leave
 * @status:	hvx-run's exit status once @stopping
 * @stop_efd:	eventfd the main thread polls to learn of @stopping
 * @ring:	the shared I/O ring, or NULL
 * @irq:	where device interrupt lines go
 * @ioapic:	the I/O APIC (-k), told of level-triggered EOIs, or NULL
 * @park_on_hlt: HLT with interrupts disabled parks the vCPU (-k) instead
 *		of ending the guest
 * @halted_sleeps: hvx lets a parked vCPU sleep in HVX_RUN until an INIT
 *		(HVX_FEAT_HALTED_SLEEPS), so the guest can start it again
 * @nr_parked:	vCPUs parked so (m->lock)
 * @nr_live:	vCPUs the guest has run, as their first exits tell; one it
 *		never started waits for a SIPI without an exit (m->lock)
 * @census_gen:	the census of parked vCPUs, bumped at each (m->lock)
 * @census_left: its answers still to come (m->lock)
 * @out:	the consoles' way to stdout; a stop the user asks for
 *		abandons what stdout has not taken
 * @err:	msg()'s way to stderr, abandoned as @out is
 */
struct machine {
	int vm_fd;
	void *reset_rom;
	size_t run_size;
	uint32_t nr_vcpus;
	struct vcpu *vcpus;
	struct io_bus *bus;
	pthread_mutex_t lock;
	pthread_cond_t stop_cond;
	bool stopping;
	int status;
	int stop_efd;
	struct io_ring *ring;
	struct irq_router irq;
	struct ioapic *ioapic;
	bool park_on_hlt;
	bool halted_sleeps;
	uint32_t nr_parked;
	uint32_t nr_live;
	uint32_t census_gen;
	uint32_t census_left;
	struct console_out *out;
	struct console_out *err;
};

void machine_stop(void *ctx, int status, const char *why);
void machine_stop_user(void *ctx, int status, const char *why);
bool machine_stopping(struct machine *m);
int vcpus_start(struct machine *m);
void vcpus_join(struct machine *m);

/* ram.c */
void *ram_alloc(uint64_t size, bool hugetlb);
void ram_free(void *ram, uint64_t size);

#endif /* HVX_RUN_H */
