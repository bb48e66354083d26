// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: copy a flat binary or the PT_LOAD segments of an ELF
 * executable into guest RAM.
 *
 * Everything works on a buffer holding the whole image file and on the
 * buffer that backs guest RAM, so the unit tests need no VM.  The image is
 * untrusted input: every offset and size is checked before it is used.
 */
#include <elf.h>
#include <inttypes.h>
#include <string.h>

#include "hvx-run.h"

/* [start, start + len) lies inside [0, limit); no overflow. */
static bool fits(uint64_t start, uint64_t len, uint64_t limit)
{
	return start <= limit && len <= limit - start;
}

/**
 * image_is_elf() - does the image start with the ELF magic?
 * @img: the image
 * @len: its size
 *
 * Return: true for "\x7fELF".
 */
bool image_is_elf(const void *img, size_t len)
{
	return len >= SELFMAG && !memcmp(img, ELFMAG, SELFMAG);
}

/**
 * load_flat() - copy a flat binary into guest RAM
 * @img: the image
 * @len: its size
 * @load_addr: guest-physical address of its first byte
 * @ram: guest RAM (guest-physical address 0)
 * @ram_size: its size
 * @li: filled in: real mode, entry at @load_addr
 * @err: message on failure
 * @errlen: size of @err
 *
 * Return: 0, or -1 with @err set.
 */
int load_flat(const void *img, size_t len, uint64_t load_addr,
	      void *ram, uint64_t ram_size, struct load_info *li,
	      char *err, size_t errlen)
{
	if (!len)
		return errf(err, errlen, "the image is empty");
	if (!fits(load_addr, len, ram_size))
		return errf(err, errlen,
			    "%zu bytes at 0x%" PRIx64 " do not fit in %" PRIu64
			    " bytes of RAM", len, load_addr, ram_size);
	memcpy((uint8_t *)ram + load_addr, img, len);
	li->mode = BOOT_REAL16;
	li->entry = load_addr;
	li->low = load_addr;
	li->high = load_addr + len;
	return 0;
}

/* The fields of a program header that matter, for both classes. */
struct phdr {
	uint32_t type;
	uint64_t offset, vaddr, paddr, filesz, memsz;
};

static void read_phdr(const uint8_t *p, bool is64, struct phdr *ph)
{
	if (is64) {
		Elf64_Phdr h;

		memcpy(&h, p, sizeof(h));
		ph->type = h.p_type;
		ph->offset = h.p_offset;
		ph->vaddr = h.p_vaddr;
		ph->paddr = h.p_paddr;
		ph->filesz = h.p_filesz;
		ph->memsz = h.p_memsz;
	} else {
		Elf32_Phdr h;

		memcpy(&h, p, sizeof(h));
		ph->type = h.p_type;
		ph->offset = h.p_offset;
		ph->vaddr = h.p_vaddr;
		ph->paddr = h.p_paddr;
		ph->filesz = h.p_filesz;
		ph->memsz = h.p_memsz;
	}
}

/* The fields of the ELF header that matter, for both classes. */
struct ehdr {
	uint16_t type, machine;
	uint64_t entry, phoff;
	uint16_t phentsize, phnum;
};

static int read_ehdr(const uint8_t *img, size_t len, bool is64,
		     struct ehdr *eh, char *err, size_t errlen)
{
	if (is64) {
		Elf64_Ehdr h;

		if (len < sizeof(h))
			return errf(err, errlen, "ELF header truncated");
		memcpy(&h, img, sizeof(h));
		eh->type = h.e_type;
		eh->machine = h.e_machine;
		eh->entry = h.e_entry;
		eh->phoff = h.e_phoff;
		eh->phentsize = h.e_phentsize;
		eh->phnum = h.e_phnum;
		if (eh->machine != EM_X86_64)
			return errf(err, errlen,
				    "ELF64 image for machine %u, not x86-64",
				    eh->machine);
		if (eh->phentsize != sizeof(Elf64_Phdr))
			return errf(err, errlen,
				    "bad program header size %u",
				    eh->phentsize);
	} else {
		Elf32_Ehdr h;

		if (len < sizeof(h))
			return errf(err, errlen, "ELF header truncated");
		memcpy(&h, img, sizeof(h));
		eh->type = h.e_type;
		eh->machine = h.e_machine;
		eh->entry = h.e_entry;
		eh->phoff = h.e_phoff;
		eh->phentsize = h.e_phentsize;
		eh->phnum = h.e_phnum;
		if (eh->machine != EM_386)
			return errf(err, errlen,
				    "ELF32 image for machine %u, not i386",
				    eh->machine);
		if (eh->phentsize != sizeof(Elf32_Phdr))
			return errf(err, errlen,
				    "bad program header size %u",
				    eh->phentsize);
	}
	if (eh->type != ET_EXEC)
		return errf(err, errlen,
			    "ELF type %u: only executables (ET_EXEC) load",
			    eh->type);
	if (!eh->phnum)
		return errf(err, errlen, "no program headers");
	if (!fits(eh->phoff, (uint64_t)eh->phnum * eh->phentsize, len))
		return errf(err, errlen, "program headers truncated");
	return 0;
}

/*
 * The checks of one PT_LOAD segment @i before anything is written: in the
 * file, in RAM below @limit, clear of the boot structures @bl and of the
 * range @o may name.
 */
static int check_segment(const struct phdr *ph, unsigned int i, size_t len,
			 uint64_t limit, bool is64,
			 const struct boot_layout *bl,
			 const struct elf_rules *o, char *err, size_t errlen)
{
	if (ph->filesz > ph->memsz)
		return errf(err, errlen,
			    "segment %u: file size above memory size", i);
	if (!fits(ph->offset, ph->filesz, len))
		return errf(err, errlen, "segment %u truncated", i);
	if (!fits(ph->paddr, ph->memsz, limit))
		return errf(err, errlen,
			    "segment %u (0x%" PRIx64 "-0x%" PRIx64
			    ") outside RAM (%s0x%" PRIx64 ")", i,
			    ph->paddr, ph->paddr + ph->memsz - 1,
			    is64 ? "" : "usable below ", limit);
	if (ph->paddr < bl->rsvd_hi && bl->rsvd_lo < ph->paddr + ph->memsz)
		return errf(err, errlen,
			    "segment %u (0x%" PRIx64 "-0x%" PRIx64
			    ") overlaps the boot structures at 0x%"
			    PRIx64 "-0x%" PRIx64 "; give more RAM",
			    i, ph->paddr, ph->paddr + ph->memsz - 1,
			    bl->rsvd_lo, bl->rsvd_hi - 1);
	if (o && ph->paddr < o->avoid_hi && o->avoid_lo < ph->paddr + ph->memsz)
		return errf(err, errlen,
			    "segment %u (0x%" PRIx64 "-0x%" PRIx64
			    ") overlaps %s 0x%" PRIx64 "-0x%" PRIx64,
			    i, ph->paddr, ph->paddr + ph->memsz - 1,
			    o->avoid_what, o->avoid_lo, o->avoid_hi - 1);
	return 0;
}

/* Whether @addr is in @ph's virtual (@virt) or physical addresses. */
static bool in_segment(const struct phdr *ph, uint64_t addr, bool virt)
{
	uint64_t base = virt ? ph->vaddr : ph->paddr;

	return addr >= base && addr - base < ph->memsz;
}

/**
 * load_elf_with() - copy the PT_LOAD segments of an ELF executable into RAM
 * @img: the image
 * @len: its size
 * @ram: guest RAM (guest-physical address 0)
 * @ram_size: its size
 * @o: what a boot protocol adds to the rules below, or NULL
 * @li: filled in: the boot mode of the ELF class and the entry point
 * @err: message on failure
 * @errlen: size of @err
 *
 * Segments go to their physical addresses (p_paddr), the bytes past
 * p_filesz up to p_memsz are zeroed.  An ELF32 image must stay below
 * 4 GiB.  No segment may overlap the boot structures hvx-run puts in RAM
 * for the image's boot mode (boot_layout()), nor @o's range.  The entry
 * is e_entry as given, or with @o->phys_entry the physical address of
 * e_entry in the segment whose virtual addresses hold it, as GRUB enters
 * a multiboot kernel linked to run in the higher half; where none holds
 * it, e_entry as given if a segment's physical addresses do (a kernel
 * that links its entry physical, as QEMU takes it), else the image is
 * refused.  Without @o->phys_entry, an entry in no segment's physical
 * range is refused too, unless @o->any_entry.
 *
 * Return: 0, or -1 with @err set.
 */
int load_elf_with(const void *img, size_t len, void *ram, uint64_t ram_size,
		  const struct elf_rules *o, struct load_info *li,
		  char *err, size_t errlen)
{
	const uint8_t *p = img;
	struct boot_layout bl;
	uint64_t limit, low = UINT64_MAX, high = 0, entry;
	struct ehdr eh = { 0 };
	bool is64, found = false, in_phys = false;
	struct phdr ph;
	unsigned int i, nload = 0;

	if (len < EI_NIDENT || !image_is_elf(img, len))
		return errf(err, errlen, "not an ELF image");
	if (p[EI_CLASS] != ELFCLASS32 && p[EI_CLASS] != ELFCLASS64)
		return errf(err, errlen, "unknown ELF class %u", p[EI_CLASS]);
	if (p[EI_DATA] != ELFDATA2LSB)
		return errf(err, errlen, "ELF image is not little-endian");
	if (p[EI_VERSION] != EV_CURRENT)
		return errf(err, errlen, "unknown ELF version %u",
			    p[EI_VERSION]);
	is64 = p[EI_CLASS] == ELFCLASS64;
	if (read_ehdr(p, len, is64, &eh, err, errlen))
		return -1;

	li->mode = is64 ? BOOT_LONG64 : BOOT_PROT32;
	boot_layout(li->mode, ram_size, &bl);
	limit = is64 ? ram_size : (ram_size < SZ_4G ? ram_size : SZ_4G);

	/* Check everything before writing anything. */
	entry = eh.entry;
	for (i = 0; i < eh.phnum; i++) {
		read_phdr(p + eh.phoff + i * eh.phentsize, is64, &ph);
		if (ph.type != PT_LOAD || !ph.memsz)
			continue;
		if (check_segment(&ph, i, len, limit, is64, &bl, o, err,
				  errlen))
			return -1;
		if (o && o->phys_entry && !found &&
		    in_segment(&ph, eh.entry, true)) {
			entry = eh.entry - ph.vaddr + ph.paddr;
			found = true;
		}
		in_phys |= in_segment(&ph, eh.entry, false);
		nload++;
	}
	if (!nload)
		return errf(err, errlen, "no loadable segment");
	/*
	 * As QEMU, an entry already physical is taken too.  Without a boot
	 * protocol's translation the entry runs as given, with no paging or
	 * with low memory identity-mapped: it must be in a segment's
	 * physical range, else it would run zeroed RAM.
	 */
	if (!found && !in_phys && !(o && o->any_entry))
		return errf(err, errlen,
			    "the entry point 0x%" PRIx64 " is in no loadable segment",
			    eh.entry);

	for (i = 0; i < eh.phnum; i++) {
		uint8_t *dst;

		read_phdr(p + eh.phoff + i * eh.phentsize, is64, &ph);
		if (ph.type != PT_LOAD || !ph.memsz)
			continue;
		dst = (uint8_t *)ram + ph.paddr;
		memcpy(dst, p + ph.offset, ph.filesz);
		memset(dst + ph.filesz, 0, ph.memsz - ph.filesz);
		if (ph.paddr < low)
			low = ph.paddr;
		if (ph.paddr + ph.memsz > high)
			high = ph.paddr + ph.memsz;
	}
	li->entry = entry;
	li->low = low;
	li->high = high;
	return 0;
}

/**
 * load_elf() - load_elf_with() without a boot protocol's rules
 * @img: the image
 * @len: its size
 * @ram: guest RAM (guest-physical address 0)
 * @ram_size: its size
 * @li: filled in: the boot mode of the ELF class, e_entry as given
 * @err: message on failure
 * @errlen: size of @err
 *
 * Return: 0, or -1 with @err set.
 */
int load_elf(const void *img, size_t len, void *ram, uint64_t ram_size,
	     struct load_info *li, char *err, size_t errlen)
{
	return load_elf_with(img, len, ram, ram_size, NULL, li, err, errlen);
}
