// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: load a Linux bzImage for the 64-bit boot protocol.
 *
 * The kernel's own Documentation/x86/boot.rst is the specification: the
 * setup header sits at 0x1f1 of the image, the protected-mode kernel
 * follows the (setup_sects + 1) real-mode sectors, and a loader that
 * enters at the 64-bit entry point (the protected-mode kernel + 0x200)
 * hands over a boot_params page holding a copy of the setup header, the
 * e820 memory map, the command line and initrd addresses.  No real-mode
 * code of the kernel runs, so no BIOS is needed.
 *
 * The image is untrusted input: every offset is checked before use.
 */
#include <inttypes.h>
#include <string.h>

#include "hvx-run.h"

/* Offsets in the image and in boot_params (the "zero page"). */
#define BP_ACPI_RSDP		0x070	/* u64, protocol 2.14 */
#define BP_EXT_RAMDISK_IMAGE	0x0c0	/* u32 */
#define BP_EXT_RAMDISK_SIZE	0x0c4	/* u32 */
#define BP_EXT_CMD_LINE_PTR	0x0c8	/* u32 */
#define BP_E820_ENTRIES		0x1e8	/* u8 */
#define HDR_START		0x1f1	/* the setup header */
#define HDR_SETUP_SECTS		0x1f1	/* u8 */
#define HDR_SYSSIZE		0x1f4	/* u32, 16-byte units */
#define HDR_VID_MODE		0x1fa	/* u16 */
#define HDR_BOOT_FLAG		0x1fe	/* u16, 0xaa55 */
#define HDR_JUMP		0x200	/* u8 0xeb, u8 header length - 2 */
#define HDR_MAGIC		0x202	/* "HdrS" */
#define HDR_VERSION		0x206	/* u16 */
#define HDR_TYPE_OF_LOADER	0x210	/* u8 */
#define HDR_LOADFLAGS		0x211	/* u8 */
#define HDR_CODE32_START	0x214	/* u32 */
#define HDR_RAMDISK_IMAGE	0x218	/* u32 */
#define HDR_RAMDISK_SIZE	0x21c	/* u32 */
#define HDR_HEAP_END_PTR	0x224	/* u16 */
#define HDR_CMD_LINE_PTR	0x228	/* u32 */
#define HDR_INITRD_ADDR_MAX	0x22c	/* u32 */
#define HDR_KERNEL_ALIGNMENT	0x230	/* u32 */
#define HDR_RELOCATABLE		0x234	/* u8 */
#define HDR_XLOADFLAGS		0x236	/* u16 */
#define HDR_CMDLINE_SIZE	0x238	/* u32 */
#define HDR_PREF_ADDRESS	0x258	/* u64 */
#define HDR_INIT_SIZE		0x260	/* u32 */
#define HDR_END_MAX		0x280	/* past every field up to 2.15 */
#define BP_E820_TABLE		0x2d0	/* 128 x {u64 addr, u64 size, u32} */
#define BP_E820_MAX		128
#define E820_ENTRY_SIZE		20

#define HDR_MAGIC_VALUE		0x53726448	/* "HdrS" */
#define BOOT_FLAG_VALUE		0xaa55
#define LOADFLAGS_LOADED_HIGH	0x01
#define LOADFLAGS_CAN_USE_HEAP	0x80
#define XLF_KERNEL_64		0x0001
#define LOADER_UNDEFINED	0xff
#define VID_MODE_NORMAL		0xffff
#define HEAP_END		0xfe00

/*
 * 2.12 (Linux 3.8) brought xloadflags, which says whether the 64-bit
 * entry point exists; 2.14 the RSDP field.
 */
#define PROTOCOL_MIN		0x020c
#define PROTOCOL_RSDP		0x020e

#define E820_RAM		1
#define E820_RESERVED		2

/**
 * image_is_bzimage() - does the image carry a Linux setup header?
 * @img: the image
 * @len: its size
 *
 * Return: true when the boot flag and the "HdrS" magic are in place.
 */
bool image_is_bzimage(const void *img, size_t len)
{
	const uint8_t *b = img;

	return len >= HDR_MAGIC + 4 &&
	       get_le16(b + HDR_BOOT_FLAG) == BOOT_FLAG_VALUE &&
	       get_le32(b + HDR_MAGIC) == HDR_MAGIC_VALUE;
}

static void e820_add(uint8_t *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	uint8_t n = bp[BP_E820_ENTRIES];
	uint8_t *e = bp + BP_E820_TABLE + n * E820_ENTRY_SIZE;

	put_le64(e, addr);
	put_le64(e + 8, size);
	put_le32(e + 16, type);
	bp[BP_E820_ENTRIES] = n + 1;
}

/*
 * RAM below the EBDA, the BIOS area (the ACPI and MP tables) reserved,
 * RAM from 1 MiB, and the reset vector's page reserved.  The hole from
 * the EBDA to 1 MiB is where a PC has its VGA window and option ROMs;
 * Linux expects it not to be RAM.
 */
static void e820_fill(uint8_t *bp, uint64_t ram_size)
{
	e820_add(bp, 0, LINUX_EBDA, E820_RAM);
	e820_add(bp, LINUX_EBDA, 0xa0000 - LINUX_EBDA, E820_RESERVED);
	e820_add(bp, LINUX_BIOS_AREA, SZ_1M - LINUX_BIOS_AREA, E820_RESERVED);
	e820_add(bp, SZ_1M, ram_size - SZ_1M, E820_RAM);
	e820_add(bp, RESET_ROM_BASE, RESET_ROM_SIZE, E820_RESERVED);
}

/*
 * Where the kernel runs from once it decompresses itself, which init_size
 * counts from (the boot protocol's "kernel runtime start address"): a
 * relocatable kernel loaded at 1 MiB moves up to its preferred address
 * (16 MiB for most configurations), aligned; another runs at that address.
 */
static uint64_t runtime_start(const uint8_t *b)
{
	uint64_t pref = get_le64(b + HDR_PREF_ADDRESS);
	uint64_t align = get_le32(b + HDR_KERNEL_ALIGNMENT);
	uint64_t start = LINUX_KERNEL_ADDR;

	if (!b[HDR_RELOCATABLE])
		return pref > start ? pref : start;
	if (start < pref)
		start = pref;
	/* a power of two, as the protocol has it; anything else: none */
	if (align && !(align & (align - 1)))
		start = (start + align - 1) & ~(align - 1);
	return start;
}

/*
 * The initrd as high as initrd_addr_max and RAM allow, page-aligned, above
 * the kernel's decompression space (@need); its place into boot_params.
 */
static int place_initrd(const uint8_t *b, uint8_t *mem, uint64_t ram_size,
			uint64_t need, const struct linux_args *a,
			char *err, size_t errlen)
{
	uint8_t *bp = mem + LINUX_BOOT_PARAMS;
	uint64_t end, rd;

	end = (uint64_t)get_le32(b + HDR_INITRD_ADDR_MAX) + 1;
	if (end > ram_size)
		end = ram_size;
	end &= ~(SZ_4K - 1);
	if (a->initrd_len > end ||
	    ((end - a->initrd_len) & ~(SZ_4K - 1)) < need)
		return errf(err, errlen,
			    "the initrd (%zu bytes) does not fit between the kernel and 0x%" PRIx64,
			    a->initrd_len, end);
	rd = (end - a->initrd_len) & ~(SZ_4K - 1);
	memcpy(mem + rd, a->initrd, a->initrd_len);
	put_le32(bp + HDR_RAMDISK_IMAGE, rd);
	put_le32(bp + HDR_RAMDISK_SIZE, a->initrd_len);
	put_le32(bp + BP_EXT_RAMDISK_IMAGE, 0);
	put_le32(bp + BP_EXT_RAMDISK_SIZE, 0);
	return 0;
}

/*
 * The setup header's protocol version, once the header is whole and
 * describes a kernel hvx-run can start; -1 after a message in @err.
 */
static int header_version(const uint8_t *b, size_t len, char *err,
			  size_t errlen)
{
	uint16_t version;

	if (!image_is_bzimage(b, len))
		return errf(err, errlen,
			    "not a Linux bzImage (no boot flag and \"HdrS\" setup header)");
	/* (the magic's check reads up to it, not the version after it) */
	if (len < HDR_END_MAX)
		return errf(err, errlen, "truncated: %zu bytes", len);
	version = get_le16(b + HDR_VERSION);
	if (version < PROTOCOL_MIN)
		return errf(err, errlen,
			    "boot protocol %u.%02u is too old: hvx-run needs 2.12 (Linux 3.8) or later",
			    version >> 8, version & 0xff);
	if (!(get_le16(b + HDR_XLOADFLAGS) & XLF_KERNEL_64))
		return errf(err, errlen,
			    "no 64-bit entry point (xloadflags bit 0 clear): a 32-bit kernel");
	if (!(b[HDR_LOADFLAGS] & LOADFLAGS_LOADED_HIGH))
		return errf(err, errlen, "a zImage: it loads below 1 MiB");
	return version;
}

/*
 * Where the image's parts end: the setup header (*@hdr_end, which must
 * hold 2.12's fields up to init_size, read here and given the kernel)
 * and the setup code (*@setup_len); the protected-mode part after it
 * must hold its 64-bit entry 0x200 in and be as long as syssize says (a
 * build may pad it to the next 16 bytes, or not).  0, or -1 after a
 * message in @err.
 */
static int image_parts(const uint8_t *b, size_t len, size_t *hdr_end,
		       uint64_t *setup_len, char *err, size_t errlen)
{
	uint64_t sys_len = get_le32(b + HDR_SYSSIZE) * 16ULL;

	*hdr_end = HDR_JUMP + 2 + b[HDR_JUMP + 1];
	if (*hdr_end > HDR_END_MAX)
		*hdr_end = HDR_END_MAX;
	if (*hdr_end < HDR_INIT_SIZE + 4)
		return errf(err, errlen,
			    "the setup header ends at 0x%zx, before init_size: not a 2.12 header",
			    *hdr_end);
	*setup_len = ((b[HDR_SETUP_SECTS] ? b[HDR_SETUP_SECTS] : 4) + 1) *
		     512ULL;
	if (*setup_len >= len)
		return errf(err, errlen,
			    "truncated: %zu bytes, the setup code alone takes %" PRIu64,
			    len, *setup_len);
	if (len - *setup_len <= 0x200 || len - *setup_len + 15 < sys_len)
		return errf(err, errlen,
			    "truncated: %zu bytes, the kernel after the setup code needs %" PRIu64,
			    len, *setup_len + (sys_len > 0x201 ? sys_len : 0x201));
	return 0;
}

/**
 * load_bzimage() - put a bzImage, its command line and initrd into RAM
 * @img: the image
 * @len: its size
 * @ram: guest RAM (guest-physical address 0)
 * @ram_size: its size
 * @a: command line, initrd, RSDP
 * @li: filled in: BOOT_LINUX64, the 64-bit entry, the boot_params page
 * @err: message on failure
 * @errlen: size of @err
 *
 * The protected-mode kernel goes at 1 MiB, the initrd as high as the
 * kernel allows, the boot_params page and the command line in low memory
 * (LINUX_* in hvx-run.h).
 *
 * Return: 0, or -1 with @err set: not a bzImage, truncated, a protocol
 * older than 2.12 or without a 64-bit entry point, too little or too much
 * RAM, a command line or initrd that does not fit.
 */
int load_bzimage(const void *img, size_t len, void *ram, uint64_t ram_size,
		 const struct linux_args *a, struct load_info *li,
		 char *err, size_t errlen)
{
	const uint8_t *b = img;
	uint8_t *mem = ram, *bp = mem + LINUX_BOOT_PARAMS;
	uint64_t setup_len = 0, kernel_len, init_size, need;
	size_t hdr_end, cmd_len = strlen(a->cmdline);
	int version = header_version(b, len, err, errlen);

	if (version < 0 ||
	    image_parts(b, len, &hdr_end, &setup_len, err, errlen))
		return -1;
	kernel_len = len - setup_len;
	init_size = get_le32(b + HDR_INIT_SIZE);
	/* no RAM there, and runtime_start() must not wrap */
	if (get_le64(b + HDR_PREF_ADDRESS) >= LINUX_RAM_MAX)
		return errf(err, errlen,
			    "the kernel's preferred address 0x%" PRIx64 " is above the %" PRIu64 " MiB of RAM a Linux guest can have",
			    get_le64(b + HDR_PREF_ADDRESS),
			    (uint64_t)(LINUX_RAM_MAX / SZ_1M));
	/* the copy at 1 MiB, and the space it decompresses into */
	need = runtime_start(b) + init_size;
	if (need < LINUX_KERNEL_ADDR + kernel_len)
		need = LINUX_KERNEL_ADDR + kernel_len;
	if (ram_size > LINUX_RAM_MAX)
		return errf(err, errlen,
			    "at most %" PRIu64 " MiB of RAM for a Linux guest",
			    (uint64_t)(LINUX_RAM_MAX / SZ_1M));
	if (need > ram_size)
		return errf(err, errlen,
			    "the kernel needs %" PRIu64 " MiB of RAM to decompress, there are %" PRIu64,
			    (uint64_t)((need + SZ_1M - 1) / SZ_1M),
			    (uint64_t)(ram_size / SZ_1M));
	if (cmd_len >= LINUX_CMDLINE_MAX ||
	    cmd_len >= get_le32(b + HDR_CMDLINE_SIZE) + 1ULL)
		return errf(err, errlen,
			    "the command line has %zu bytes, the kernel takes %u",
			    cmd_len, get_le32(b + HDR_CMDLINE_SIZE));

	memcpy(mem + LINUX_KERNEL_ADDR, b + setup_len, kernel_len);
	memcpy(mem + LINUX_CMDLINE, a->cmdline, cmd_len + 1);

	memset(bp, 0, SZ_4K);
	memcpy(bp + HDR_START, b + HDR_START, hdr_end - HDR_START);
	put_le16(bp + HDR_VID_MODE, VID_MODE_NORMAL);
	bp[HDR_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	bp[HDR_LOADFLAGS] |= LOADFLAGS_CAN_USE_HEAP;
	put_le16(bp + HDR_HEAP_END_PTR, HEAP_END);
	put_le32(bp + HDR_CODE32_START, LINUX_KERNEL_ADDR);
	put_le32(bp + HDR_CMD_LINE_PTR, LINUX_CMDLINE);
	put_le32(bp + BP_EXT_CMD_LINE_PTR, 0);
	if (a->rsdp && version >= PROTOCOL_RSDP)
		put_le64(bp + BP_ACPI_RSDP, a->rsdp);
	e820_fill(bp, ram_size);

	if (a->initrd && place_initrd(b, ram, ram_size, need, a, err, errlen))
		return -1;

	li->mode = BOOT_LINUX64;
	li->entry = LINUX_KERNEL_ADDR + 0x200;
	li->low = LINUX_KERNEL_ADDR;
	li->high = LINUX_KERNEL_ADDR + kernel_len;
	li->boot_params = LINUX_BOOT_PARAMS;
	return 0;
}
