// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: load a Multiboot (version 1) kernel and its modules.
 *
 * The Multiboot Specification 0.6.96 is the reference.  The kernel file
 * carries a header (magic, flags, checksum) 4-byte aligned in its first
 * 8 KiB.  With flags bit 16 (the "a.out kludge") the header also says
 * where the file goes: header_addr is where the header itself lands, so
 * load_addr maps to file offset header offset - (header_addr - load_addr),
 * the file up to load_end_addr (0: to its end) is copied, the memory up to
 * bss_end_addr (0: none) is zeroed, and entry_addr is the entry.  Without
 * bit 16 the file must be an ELF32 executable, loaded as loader.c loads
 * one.  The loader hands over an information structure: memory sizes, the
 * command line, the modules, a memory map, its own name.
 *
 * Where things go (Documentation/hvx-run.rst has the same): the image at
 * its own addresses, the modules page-aligned in order after the image's
 * end (BSS included), the information structure with the memory map, the
 * module list and the strings at MB_INFO_ADDR, or after the last module
 * when the image or a module is in the way.  Nothing may reach the GDT
 * page that boot.c puts below min(RAM, 4 GiB).
 *
 * The image is untrusted input: every offset and address is checked.
 * The a.out kludge is checked in full before anything is written; an ELF
 * image is copied by load_elf_with(), so a failure placing the modules may
 * leave it in RAM.
 */
#include <elf.h>
#include <inttypes.h>
#include <string.h>

#include "hvx-run.h"

/* The header: three fields always, five more with the a.out kludge. */
#define MBH_MAGIC		0
#define MBH_FLAGS		4
#define MBH_CHECKSUM		8
#define MBH_HEADER_ADDR		12
#define MBH_LOAD_ADDR		16
#define MBH_LOAD_END_ADDR	20
#define MBH_BSS_END_ADDR	24
#define MBH_ENTRY_ADDR		28
#define MBH_LEN			12
#define MBH_AOUT_LEN		32

/*
 * Header flags.  Bits 0-15 are requirements: a loader must refuse a
 * kernel with one it does not know.  Bit 2 (a video mode) hvx-run leaves
 * unanswered, as the specification allows: no video fields are given.
 */
#define MBH_F_PAGE_ALIGN	(1U << 0)	/* modules page-aligned */
#define MBH_F_MEMORY_INFO	(1U << 1)	/* mem_* fields, memory map */
#define MBH_F_VIDEO_MODE	(1U << 2)
#define MBH_F_AOUT_KLUDGE	(1U << 16)
#define MBH_F_REQUIRED		0x0000ffffU
#define MBH_F_KNOWN		(MBH_F_PAGE_ALIGN | MBH_F_MEMORY_INFO | \
				 MBH_F_VIDEO_MODE)

/* The information structure: offsets and flags of the fields given. */
#define MBI_FLAGS		0
#define MBI_MEM_LOWER		4
#define MBI_MEM_UPPER		8
#define MBI_CMDLINE		16
#define MBI_MODS_COUNT		20
#define MBI_MODS_ADDR		24
#define MBI_MMAP_LENGTH		44
#define MBI_MMAP_ADDR		48
#define MBI_BOOT_LOADER_NAME	64
/* The structure is 116 bytes up to the framebuffer fields. */
#define MBI_SPACE		128

#define MBI_F_MEM		(1U << 0)
#define MBI_F_CMDLINE		(1U << 2)
#define MBI_F_MODS		(1U << 3)
#define MBI_F_MMAP		(1U << 6)
#define MBI_F_LOADER_NAME	(1U << 9)

/* A module list entry: start, end (exclusive), string, reserved. */
#define MOD_ENTRY_LEN		16
/* A memory map entry: u32 size (of the rest), u64 base, u64 length, u32 type. */
#define MMAP_ENTRY_LEN		24
#define MMAP_MAX		5
#define MMAP_RAM		1
#define MMAP_RESERVED		2

#define LOADER_NAME		"hvx-run"

static uint64_t page_up(uint64_t a)
{
	return (a + SZ_4K - 1) & ~(SZ_4K - 1);
}

/* [start, start + len) lies inside [0, limit); no overflow. */
static bool fits(uint64_t start, uint64_t len, uint64_t limit)
{
	return start <= limit && len <= limit - start;
}

/*
 * The offset of the first valid header (magic, checksum) in the first
 * MB_SEARCH_LEN bytes, or -1.
 */
static long find_header(const uint8_t *img, size_t len)
{
	size_t end = len < MB_SEARCH_LEN ? len : MB_SEARCH_LEN;
	size_t off;

	for (off = 0; off + MBH_LEN <= end; off += 4) {
		const uint8_t *h = img + off;

		if (get_le32(h + MBH_MAGIC) == MB_HEADER_MAGIC &&
		    (uint32_t)(get_le32(h + MBH_MAGIC) + get_le32(h + MBH_FLAGS) +
			       get_le32(h + MBH_CHECKSUM)) == 0)
			return off;
	}
	return -1;
}

/**
 * image_is_multiboot() - does the image carry a multiboot (v1) header?
 * @img: the image
 * @len: its size
 *
 * Return: true when the magic 0x1BADB002 with a valid checksum sits at a
 * 4-byte aligned offset within the first 8192 bytes.
 */
bool image_is_multiboot(const void *img, size_t len)
{
	return find_header(img, len) >= 0;
}

/*
 * The a.out kludge: check the five addresses against the file and RAM
 * (everything below @limit, the GDT page of boot_layout()), then fill
 * @li.  Nothing is written; copy_aout() does that.
 */
static int check_aout(const uint8_t *img, size_t len, size_t hoff,
		      uint64_t top, uint64_t limit, struct load_info *li,
		      uint64_t *file_off, uint64_t *load_len,
		      char *err, size_t errlen)
{
	const uint8_t *h = img + hoff;
	uint64_t header_addr, load_addr, load_end, bss_end, entry, end;

	if (hoff + MBH_AOUT_LEN > len || hoff + MBH_AOUT_LEN > MB_SEARCH_LEN)
		return errf(err, errlen,
			    "the header's address fields (flags bit 16) are cut off by the end of the %s",
			    hoff + MBH_AOUT_LEN > len ? "file" :
			    "first 8192 bytes");
	header_addr = get_le32(h + MBH_HEADER_ADDR);
	load_addr = get_le32(h + MBH_LOAD_ADDR);
	load_end = get_le32(h + MBH_LOAD_END_ADDR);
	bss_end = get_le32(h + MBH_BSS_END_ADDR);
	entry = get_le32(h + MBH_ENTRY_ADDR);

	if (load_addr > header_addr)
		return errf(err, errlen,
			    "load_addr 0x%" PRIx64 " is above header_addr 0x%" PRIx64,
			    load_addr, header_addr);
	if (header_addr - load_addr > hoff)
		return errf(err, errlen,
			    "load_addr 0x%" PRIx64 " lies before the start of the file (header_addr 0x%" PRIx64 ", header at offset 0x%zx)",
			    load_addr, header_addr, hoff);
	*file_off = hoff - (header_addr - load_addr);
	if (load_end) {
		if (load_end <= load_addr)
			return errf(err, errlen,
				    "load_end_addr 0x%" PRIx64 " is not above load_addr 0x%" PRIx64,
				    load_end, load_addr);
		*load_len = load_end - load_addr;
		if (*load_len > len - *file_off)
			return errf(err, errlen,
				    "load_end_addr 0x%" PRIx64 " is beyond the end of the file (0x%" PRIx64 " bytes from offset 0x%" PRIx64 ", the file has 0x%zx)",
				    load_end, *load_len, *file_off, len);
	} else {
		*load_len = len - *file_off;
	}
	end = load_addr + *load_len;
	if (bss_end) {
		if (bss_end < end)
			return errf(err, errlen,
				    "bss_end_addr 0x%" PRIx64 " is below the end of the loaded part 0x%" PRIx64,
				    bss_end, end);
		end = bss_end;
	}
	if (entry < load_addr || entry >= load_addr + *load_len)
		return errf(err, errlen,
			    "entry_addr 0x%" PRIx64 " is outside the loaded part 0x%" PRIx64 "-0x%" PRIx64,
			    entry, load_addr, load_addr + *load_len - 1);
	if (end > top)
		return errf(err, errlen,
			    "the image (0x%" PRIx64 "-0x%" PRIx64 ") is outside RAM (usable below 0x%" PRIx64 ")",
			    load_addr, end - 1, top);
	if (end > limit)
		return errf(err, errlen,
			    "the image (0x%" PRIx64 "-0x%" PRIx64 ") overlaps the boot structures at 0x%" PRIx64 "-0x%" PRIx64 "; give more RAM",
			    load_addr, end - 1, limit, top - 1);
	li->mode = BOOT_MULTIBOOT;
	li->entry = entry;
	li->low = load_addr;
	li->high = end;
	return 0;
}

/*
 * The ELF32 path: loader.c's ELF loading, the same checks, each segment
 * clear of the BIOS area, and the entry translated as GRUB does: a kernel
 * linked in the higher half gives its virtual entry point.
 */
static const struct elf_rules mb_elf_rules = {
	.phys_entry = true,
	.avoid_lo = MB_INFO_END,
	.avoid_hi = SZ_1M,
	.avoid_what = "the BIOS area",
};

static int load_mb_elf(const uint8_t *img, size_t len, void *ram,
		       uint64_t ram_size, struct load_info *li,
		       char *err, size_t errlen)
{
	if (!image_is_elf(img, len))
		return errf(err, errlen,
			    "not an ELF image, and the header has no load addresses (flags bit 16)");
	if (len <= EI_CLASS || img[EI_CLASS] != ELFCLASS32)
		return errf(err, errlen,
			    "not an ELF32 image: other ELF files need the header's load addresses (flags bit 16)");
	if (load_elf_with(img, len, ram, ram_size, &mb_elf_rules, li, err,
			  errlen))
		return -1;
	li->mode = BOOT_MULTIBOOT;
	return 0;
}

/*
 * The memory map: low RAM, the EBDA to 1 MiB reserved, RAM from 1 MiB,
 * the reset vector's page reserved (where it is not RAM: -k keeps RAM
 * below the 32-bit MMIO hole).
 */
static unsigned int fill_mmap(uint64_t ram_size, uint64_t base[],
			      uint64_t size[], uint32_t type[])
{
	uint64_t top = ram_size < SZ_4G ? ram_size : SZ_4G;
	unsigned int n = 0;

	base[n] = 0;
	size[n] = ram_size < MB_INFO_END ? ram_size : MB_INFO_END;
	type[n++] = MMAP_RAM;
	base[n] = MB_INFO_END;
	size[n] = SZ_1M - MB_INFO_END;
	type[n++] = MMAP_RESERVED;
	if (top > SZ_1M) {
		base[n] = SZ_1M;
		size[n] = top - SZ_1M;
		type[n++] = MMAP_RAM;
	}
	if (top <= RESET_ROM_BASE) {
		base[n] = RESET_ROM_BASE;
		size[n] = RESET_ROM_SIZE;
		type[n++] = MMAP_RESERVED;
	}
	if (ram_size > SZ_4G) {
		base[n] = SZ_4G;
		size[n] = ram_size - SZ_4G;
		type[n++] = MMAP_RAM;
	}
	return n;
}

/* [a, a + alen) and [b, b + blen) share a byte. */
static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* Copy the string @s to guest-physical @*at, advance @*at; its address. */
static uint32_t put_str(uint8_t *mem, uint64_t *at, const char *s)
{
	uint64_t a = *at;
	size_t n = strlen(s) + 1;

	memcpy(mem + a, s, n);
	*at += n;
	return a;
}

/* The multiboot information's place and contents, before it is written. */
struct mb_info_plan {
	uint64_t mm_base[MMAP_MAX], mm_size[MMAP_MAX];
	uint32_t mm_type[MMAP_MAX];
	unsigned int nmm;
	uint64_t at, len;	/* where it goes, all of it */
};

/*
 * Below 1 MiB, [MB_INFO_END, 1 MiB) is the BIOS area of the memory map,
 * where hvx-run keeps the ACPI tables and the reset vector's code: what
 * would land there at @at goes to 1 MiB instead.
 */
static uint64_t past_bios_area(uint64_t at, uint64_t len)
{
	return overlap(at, len, MB_INFO_END, SZ_1M - MB_INFO_END) ? SZ_1M : at;
}

/*
 * The place of the next module of @len bytes, *@next the first free
 * address (page_up() of the image's end to begin with): page-aligned, in
 * order, none in the BIOS area.  plan_info() checks the places,
 * write_info() fills them, both through this.
 */
static uint64_t place_module(uint64_t *next, uint64_t len)
{
	uint64_t at = past_bios_area(*next, len);

	*next = page_up(at + len);
	return at;
}

/*
 * Modules go after the image (place_module()); the information
 * structure, its memory map, module list and strings (the boot loader
 * name, the command line, the module names) at MB_INFO_ADDR or, where
 * that is taken, after the modules.  Return: 0, or -1 with @err set.
 */
static int plan_info(const struct load_info *li, uint64_t ram_size,
		     uint64_t rsvd_lo, const struct multiboot_args *a,
		     struct mb_info_plan *p, char *err, size_t errlen)
{
	uint64_t mod_at = page_up(li->high), end, at;
	unsigned int i;

	for (i = 0; i < a->nr_mods; i++) {
		at = place_module(&mod_at, a->mods[i].len);
		if (!fits(at, a->mods[i].len, rsvd_lo))
			return errf(err, errlen,
				    "module %s (%zu bytes) does not fit between 0x%" PRIx64 " and the boot structures at 0x%" PRIx64 "; give more RAM",
				    a->mods[i].name, a->mods[i].len, at,
				    rsvd_lo);
	}

	p->nmm = fill_mmap(ram_size, p->mm_base, p->mm_size, p->mm_type);
	p->len = MBI_SPACE + p->nmm * MMAP_ENTRY_LEN +
		 (uint64_t)a->nr_mods * MOD_ENTRY_LEN + sizeof(LOADER_NAME) +
		 strlen(a->name) + 1 +
		 (a->cmdline && *a->cmdline ? strlen(a->cmdline) + 1 : 0);
	for (i = 0; i < a->nr_mods; i++)
		p->len += strlen(a->mods[i].name) + 1;
	p->at = MB_INFO_ADDR;
	end = ram_size < MB_INFO_END ? ram_size : MB_INFO_END;
	if (!fits(p->at, p->len, end < rsvd_lo ? end : rsvd_lo) ||
	    overlap(p->at, p->len, li->low, mod_at - li->low)) {
		p->at = past_bios_area(mod_at, p->len);
		if (!fits(p->at, p->len, rsvd_lo))
			return errf(err, errlen,
				    "no room for the multiboot information (%" PRIu64 " bytes) at 0x%" PRIx64 " or after the modules; give more RAM",
				    p->len, (uint64_t)MB_INFO_ADDR);
	}
	return 0;
}

/* The modules and the information structure, where plan_info() put them. */
static void write_info(uint8_t *mem, uint64_t ram_size,
		       const struct load_info *li,
		       const struct multiboot_args *a,
		       const struct mb_info_plan *p)
{
	uint64_t top = ram_size < SZ_4G ? ram_size : SZ_4G;
	uint64_t mmap = p->at + MBI_SPACE;
	uint64_t mods = mmap + p->nmm * MMAP_ENTRY_LEN;
	uint64_t mod_at = page_up(li->high), at;
	uint8_t *mbi = mem + p->at;
	unsigned int i;

	memset(mbi, 0, p->len);
	for (i = 0; i < p->nmm; i++) {
		uint8_t *e = mem + mmap + i * MMAP_ENTRY_LEN;

		put_le32(e, MMAP_ENTRY_LEN - 4);
		put_le64(e + 4, p->mm_base[i]);
		put_le64(e + 12, p->mm_size[i]);
		put_le32(e + 20, p->mm_type[i]);
	}
	at = mods + a->nr_mods * MOD_ENTRY_LEN;
	put_le32(mbi + MBI_BOOT_LOADER_NAME, put_str(mem, &at, LOADER_NAME));
	put_le32(mbi + MBI_CMDLINE, put_str(mem, &at, a->name));
	if (a->cmdline && *a->cmdline) {
		/* "NAME ARGS": a space over the name's NUL */
		mem[at - 1] = ' ';
		put_str(mem, &at, a->cmdline);
	}
	for (i = 0; i < a->nr_mods; i++) {
		uint8_t *e = mem + mods + i * MOD_ENTRY_LEN;
		uint64_t m = place_module(&mod_at, a->mods[i].len);

		memcpy(mem + m, a->mods[i].data, a->mods[i].len);
		put_le32(e, m);
		put_le32(e + 4, m + a->mods[i].len);
		put_le32(e + 8, put_str(mem, &at, a->mods[i].name));
	}

	put_le32(mbi + MBI_FLAGS, MBI_F_MEM | MBI_F_CMDLINE | MBI_F_MODS |
	      MBI_F_MMAP | MBI_F_LOADER_NAME);
	put_le32(mbi + MBI_MEM_LOWER, p->mm_size[0] / 1024);
	put_le32(mbi + MBI_MEM_UPPER, top > SZ_1M ? (top - SZ_1M) / 1024 : 0);
	put_le32(mbi + MBI_MODS_COUNT, a->nr_mods);
	put_le32(mbi + MBI_MODS_ADDR, mods);
	put_le32(mbi + MBI_MMAP_LENGTH, p->nmm * MMAP_ENTRY_LEN);
	put_le32(mbi + MBI_MMAP_ADDR, mmap);
}

/**
 * load_multiboot() - put a multiboot kernel, its modules and information
 *		      structure into RAM
 * @img: the image
 * @len: its size
 * @ram: guest RAM (guest-physical address 0)
 * @ram_size: its size
 * @a: file name, command line, modules
 * @li: filled in: BOOT_MULTIBOOT, the entry, the image's range (BSS
 *	included), the information structure
 * @err: message on failure
 * @errlen: size of @err
 *
 * The information structure gives the memory sizes, the command line
 * ("NAME ARGS", or NAME without -p), the modules (a valid list even when
 * there are none), the memory map and the boot loader name.
 *
 * Return: 0, or -1 with @err set: no header, a required feature hvx-run
 * does not have, addresses outside the file or RAM, no room for the
 * modules.
 */
int load_multiboot(const void *img, size_t len, void *ram, uint64_t ram_size,
		   const struct multiboot_args *a, struct load_info *li,
		   char *err, size_t errlen)
{
	uint64_t top, file_off = 0, load_len = 0;
	struct mb_info_plan plan = { 0 };
	const uint8_t *b = img;
	struct boot_layout bl;
	uint8_t *mem = ram;
	uint32_t flags;
	bool aout;
	long hoff;

	hoff = find_header(b, len);
	if (hoff < 0)
		return errf(err, errlen,
			    "no multiboot header (magic 0x1BADB002 with its checksum, 4-byte aligned in the first 8192 bytes)");
	flags = get_le32(b + hoff + MBH_FLAGS);
	if (flags & MBH_F_REQUIRED & ~MBH_F_KNOWN)
		return errf(err, errlen,
			    "the kernel requires features hvx-run does not know (header flags 0x%x, unknown 0x%x)",
			    flags, flags & MBH_F_REQUIRED & ~MBH_F_KNOWN);
	aout = flags & MBH_F_AOUT_KLUDGE;

	boot_layout(BOOT_MULTIBOOT, ram_size, &bl);
	top = ram_size < SZ_4G ? ram_size : SZ_4G;
	memset(li, 0, sizeof(*li));
	if (aout) {
		if (check_aout(b, len, hoff, top, bl.rsvd_lo, li, &file_off,
			       &load_len, err, errlen))
			return -1;
	} else if (load_mb_elf(b, len, ram, ram_size, li, err, errlen)) {
		return -1;
	}
	/* load_elf_with() checked each of an ELF's segments */
	if (aout && overlap(li->low, li->high - li->low, MB_INFO_END,
			    SZ_1M - MB_INFO_END))
		return errf(err, errlen,
			    "the image (0x%" PRIx64 "-0x%" PRIx64 ") overlaps the BIOS area 0x%llx-0xfffff",
			    li->low, li->high - 1, MB_INFO_END);
	if (plan_info(li, ram_size, bl.rsvd_lo, a, &plan, err, errlen))
		return -1;

	/* nothing is written before everything is known to fit */
	if (aout) {
		memcpy(mem + li->low, b + file_off, load_len);
		memset(mem + li->low + load_len, 0,
		       li->high - li->low - load_len);
	}
	li->mb_info = plan.at;
	write_info(mem, ram_size, li, a, &plan);
	return 0;
}
