// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's image loading and boot state
 * (userspace/hvx-run/loader.c, boot.c): flat and ELF images copied into a
 * buffer standing for guest RAM, the checks on malformed images, the
 * boot structures of each mode and the registers vCPU 0 starts with.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

#define RAM_SIZE	(4 * SZ_1M)

/* An ELF executable under construction: header, program headers, data. */
struct elf_image {
	uint8_t buf[8192];
	size_t len;
	bool is64;
	unsigned int nph;
};

static void elf_begin(struct elf_image *e, bool is64, uint64_t entry)
{
	memset(e, 0, sizeof(*e));
	e->is64 = is64;
	if (is64) {
		Elf64_Ehdr h = {
			.e_type = ET_EXEC, .e_machine = EM_X86_64,
			.e_version = EV_CURRENT, .e_entry = entry,
			.e_phoff = sizeof(Elf64_Ehdr),
			.e_ehsize = sizeof(Elf64_Ehdr),
			.e_phentsize = sizeof(Elf64_Phdr),
		};

		memcpy(h.e_ident, ELFMAG, SELFMAG);
		h.e_ident[EI_CLASS] = ELFCLASS64;
		h.e_ident[EI_DATA] = ELFDATA2LSB;
		h.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(e->buf, &h, sizeof(h));
	} else {
		Elf32_Ehdr h = {
			.e_type = ET_EXEC, .e_machine = EM_386,
			.e_version = EV_CURRENT, .e_entry = entry,
			.e_phoff = sizeof(Elf32_Ehdr),
			.e_ehsize = sizeof(Elf32_Ehdr),
			.e_phentsize = sizeof(Elf32_Phdr),
		};

		memcpy(h.e_ident, ELFMAG, SELFMAG);
		h.e_ident[EI_CLASS] = ELFCLASS32;
		h.e_ident[EI_DATA] = ELFDATA2LSB;
		h.e_ident[EI_VERSION] = EV_CURRENT;
		memcpy(e->buf, &h, sizeof(h));
	}
	/* Room for 8 program headers; segment data goes after them. */
	e->len = 1024;
}

/* Add a segment with @filesz bytes of @fill; returns its file offset. */
static void elf_add(struct elf_image *e, uint32_t type, uint64_t paddr,
		    uint64_t vaddr, size_t filesz, uint64_t memsz,
		    uint8_t fill)
{
	size_t off = e->len;

	memset(e->buf + off, fill, filesz);
	e->len += filesz;
	if (e->is64) {
		Elf64_Phdr ph = {
			.p_type = type, .p_offset = off, .p_vaddr = vaddr,
			.p_paddr = paddr, .p_filesz = filesz,
			.p_memsz = memsz, .p_flags = PF_R | PF_X,
		};
		Elf64_Ehdr *h = (Elf64_Ehdr *)e->buf;

		memcpy(e->buf + sizeof(*h) + e->nph * sizeof(ph), &ph,
		       sizeof(ph));
		h->e_phnum = ++e->nph;
	} else {
		Elf32_Phdr ph = {
			.p_type = type, .p_offset = off, .p_vaddr = vaddr,
			.p_paddr = paddr, .p_filesz = filesz,
			.p_memsz = memsz, .p_flags = PF_R | PF_X,
		};
		Elf32_Ehdr *h = (Elf32_Ehdr *)e->buf;

		memcpy(e->buf + sizeof(*h) + e->nph * sizeof(ph), &ph,
		       sizeof(ph));
		h->e_phnum = ++e->nph;
	}
}

FIXTURE(ram) {
	uint8_t *ram;
	struct elf_image elf;
	struct load_info li;
	char err[256];
};

FIXTURE_SETUP(ram)
{
	self->ram = calloc(1, RAM_SIZE);
	ASSERT_NE(NULL, self->ram);
	memset(self->ram, 0xcc, RAM_SIZE);
	self->err[0] = 0;
}

FIXTURE_TEARDOWN(ram)
{
	free(self->ram);
}

static bool all(const uint8_t *p, size_t n, uint8_t v)
{
	while (n--)
		if (*p++ != v)
			return false;
	return true;
}

TEST_F(ram, flat_at_default_address)
{
	static const uint8_t img[] = { 0xfa, 0xf4, 0x01, 0x02 };

	ASSERT_EQ(0, load_flat(img, sizeof(img), HVX_RUN_LOAD_DEFAULT,
			       self->ram, RAM_SIZE, &self->li, self->err,
			       sizeof(self->err)));
	EXPECT_EQ(0, memcmp(self->ram + 0x1000, img, sizeof(img)));
	EXPECT_EQ(0xcc, self->ram[0xfff]);
	EXPECT_EQ(0xcc, self->ram[0x1004]);
	EXPECT_EQ(BOOT_REAL16, self->li.mode);
	EXPECT_EQ(0x1000, self->li.entry);
	EXPECT_EQ(0x1000, self->li.low);
	EXPECT_EQ(0x1004, self->li.high);
}

TEST_F(ram, flat_bounds)
{
	static const uint8_t img[16] = { 1 };

	/* Exactly at the end of RAM: fits. */
	EXPECT_EQ(0, load_flat(img, sizeof(img), RAM_SIZE - 16, self->ram,
			       RAM_SIZE, &self->li, self->err,
			       sizeof(self->err)));
	EXPECT_EQ(1, self->ram[RAM_SIZE - 16]);
	/* One byte over, far over, wrapping: refused, RAM untouched. */
	EXPECT_EQ(-1, load_flat(img, sizeof(img), RAM_SIZE - 15, self->ram,
				RAM_SIZE, &self->li, self->err,
				sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "do not fit"));
	EXPECT_EQ(-1, load_flat(img, sizeof(img), RAM_SIZE, self->ram,
				RAM_SIZE, &self->li, self->err,
				sizeof(self->err)));
	EXPECT_EQ(-1, load_flat(img, sizeof(img), UINT64_MAX - 4, self->ram,
				RAM_SIZE, &self->li, self->err,
				sizeof(self->err)));
	EXPECT_EQ(-1, load_flat(img, 0, 0x1000, self->ram, RAM_SIZE,
				&self->li, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "empty"));
}

TEST_F(ram, elf_magic)
{
	static const uint8_t flat[] = { 0x7f, 'E', 'L', 'G' };

	elf_begin(&self->elf, false, 0x100000);
	EXPECT_TRUE(image_is_elf(self->elf.buf, self->elf.len));
	EXPECT_FALSE(image_is_elf(flat, sizeof(flat)));
	EXPECT_FALSE(image_is_elf(self->elf.buf, 3));
	EXPECT_EQ(-1, load_elf(flat, sizeof(flat), self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "not an ELF"));
}

TEST_F(ram, elf32_segments)
{
	struct elf_image *e = &self->elf;

	elf_begin(e, false, 0x100010);
	/* text: 0x100 bytes of 0x90 at 1 MiB */
	elf_add(e, PT_LOAD, 0x100000, 0x100000, 0x100, 0x100, 0x90);
	/* data + bss: 0x10 bytes of 0x11, then 0x30 zeroes */
	elf_add(e, PT_LOAD, 0x101000, 0x101000, 0x10, 0x40, 0x11);
	/* not loaded */
	elf_add(e, PT_NOTE, 0x102000, 0x102000, 0x10, 0x10, 0x22);
	ASSERT_EQ(0, load_elf(e->buf, e->len, self->ram, RAM_SIZE, &self->li,
			      self->err, sizeof(self->err))) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(BOOT_PROT32, self->li.mode);
	EXPECT_EQ(0x100010, self->li.entry);
	EXPECT_EQ(0x100000, self->li.low);
	EXPECT_EQ(0x101040, self->li.high);
	EXPECT_TRUE(all(self->ram + 0x100000, 0x100, 0x90));
	EXPECT_EQ(0xcc, self->ram[0x100100]);
	EXPECT_TRUE(all(self->ram + 0x101000, 0x10, 0x11));
	EXPECT_TRUE(all(self->ram + 0x101010, 0x30, 0x00));
	EXPECT_EQ(0xcc, self->ram[0x101040]);
	EXPECT_TRUE(all(self->ram + 0x102000, 0x10, 0xcc));
}

TEST_F(ram, elf64_uses_physical_addresses)
{
	struct elf_image *e = &self->elf;

	elf_begin(e, true, 0x200000);
	elf_add(e, PT_LOAD, 0x200000, 0xffffffff80200000ULL, 0x80, 0x80,
		0x48);
	ASSERT_EQ(0, load_elf(e->buf, e->len, self->ram, RAM_SIZE, &self->li,
			      self->err, sizeof(self->err))) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(BOOT_LONG64, self->li.mode);
	EXPECT_EQ(0x200000, self->li.entry);
	EXPECT_TRUE(all(self->ram + 0x200000, 0x80, 0x48));
}

/*
 * Without a boot protocol, e_entry is taken as given, and runs with no
 * paging or identity-mapped: it must be in a segment's physical range.
 * One outside (in a virtual range only, or in none) would run zeroed
 * RAM, and is refused with nothing written, unless --entry replaces it.
 */
TEST_F(ram, elf_entry_in_no_segment)
{
	static const struct elf_rules any = { .any_entry = true };
	struct elf_image *e = &self->elf;

	elf_begin(e, true, 0xffffffff80200100ULL);
	elf_add(e, PT_LOAD, 0x200000, 0xffffffff80200000ULL, 0x80, 0x80,
		0x48);
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "in no loadable segment"));
	EXPECT_TRUE(all(self->ram + 0x200000, 0x80, 0xcc));
	/* in the virtual range only */
	elf_begin(e, true, 0xffffffff80200010ULL);
	elf_add(e, PT_LOAD, 0x200000, 0xffffffff80200000ULL, 0x80, 0x80,
		0x48);
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	EXPECT_TRUE(all(self->ram + 0x200000, 0x80, 0xcc));
	/* unless --entry replaces it */
	EXPECT_EQ(0, load_elf_with(e->buf, e->len, self->ram, RAM_SIZE,
				   &any, &self->li, self->err,
				   sizeof(self->err)));
	elf_begin(e, false, 0x100100);
	elf_add(e, PT_LOAD, 0x100000, 0x100000, 0x100, 0x100, 0x90);
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	/* the last byte of memsz is in, and so is a physical entry */
	elf_begin(e, false, 0x1000ff);
	elf_add(e, PT_LOAD, 0x100000, 0x100000, 0x10, 0x100, 0x90);
	EXPECT_EQ(0, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			      &self->li, self->err, sizeof(self->err)));
	elf_begin(e, true, 0x200010);
	elf_add(e, PT_LOAD, 0x200000, 0xffffffff80200000ULL, 0x80, 0x80,
		0x48);
	EXPECT_EQ(0, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			      &self->li, self->err, sizeof(self->err)));
	EXPECT_EQ(0x200010, self->li.entry);
}

TEST_F(ram, elf_outside_ram)
{
	struct elf_image *e = &self->elf;

	elf_begin(e, false, 0x100000);
	elf_add(e, PT_LOAD, RAM_SIZE - 0x10, RAM_SIZE - 0x10, 0x10, 0x20,
		0x90);
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "outside RAM"));
	/* Nothing was written. */
	EXPECT_TRUE(all(self->ram + RAM_SIZE - 0x10, 0x10, 0xcc));
}

TEST_F(ram, elf_overlaps_boot_structures)
{
	struct elf_image *e = &self->elf;
	struct boot_layout bl;

	/* 32-bit: the GDT is the last page. */
	elf_begin(e, false, 0x100000);
	elf_add(e, PT_LOAD, RAM_SIZE - 0x1001, 0, 2, 2, 0x90);
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "boot structures"));

	/* 64-bit: GDT and page tables, 7 pages for RAM below 4 GiB. */
	boot_layout(BOOT_LONG64, RAM_SIZE, &bl);
	EXPECT_EQ(RAM_SIZE - 7 * SZ_4K, bl.rsvd_lo);
	elf_begin(e, true, bl.rsvd_lo - 0x10);
	elf_add(e, PT_LOAD, bl.rsvd_lo - 0x10, 0, 0x10, 0x10, 0x90);
	EXPECT_EQ(0, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			      &self->li, self->err, sizeof(self->err)));
	elf_begin(e, true, bl.rsvd_lo - 0x10);
	elf_add(e, PT_LOAD, bl.rsvd_lo - 0x10, 0, 0x10, 0x11, 0x90);
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "boot structures"));
}

TEST_F(ram, elf_malformed)
{
	struct elf_image *e = &self->elf;
	Elf32_Ehdr *h32 = (Elf32_Ehdr *)e->buf;
	Elf64_Ehdr *h64 = (Elf64_Ehdr *)e->buf;
	Elf32_Phdr *ph;

	/* Segment data beyond the end of the file. */
	elf_begin(e, false, 0x100000);
	elf_add(e, PT_LOAD, 0x100000, 0x100000, 0x100, 0x100, 0x90);
	EXPECT_EQ(-1, load_elf(e->buf, e->len - 1, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "truncated"));

	/* File size above memory size. */
	ph = (Elf32_Phdr *)(e->buf + sizeof(*h32));
	ph->p_memsz = 0x80;
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	ph->p_memsz = 0x100;

	/* Program headers beyond the end of the file. */
	h32->e_phoff = e->len - 8;
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "program headers"));
	h32->e_phoff = 0xfffffff0;
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	h32->e_phoff = sizeof(*h32);

	/* Not an executable; another machine; big-endian; no segments. */
	h32->e_type = ET_DYN;
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "ET_EXEC"));
	h32->e_type = ET_EXEC;
	h32->e_machine = EM_X86_64;
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	h32->e_machine = EM_386;
	e->buf[EI_DATA] = ELFDATA2MSB;
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	e->buf[EI_DATA] = ELFDATA2LSB;
	e->buf[EI_CLASS] = 3;
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	e->buf[EI_CLASS] = ELFCLASS32;
	ph->p_type = PT_NOTE;
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "no loadable"));
	ph->p_type = PT_LOAD;
	EXPECT_EQ(0, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			      &self->li, self->err, sizeof(self->err)));

	/* Truncated header; a 32-bit class with a 64-bit machine header. */
	EXPECT_EQ(-1, load_elf(e->buf, 20, self->ram, RAM_SIZE, &self->li,
			       self->err, sizeof(self->err)));
	elf_begin(e, true, 0x100000);
	elf_add(e, PT_LOAD, 0x100000, 0x100000, 0x10, 0x10, 0x90);
	h64->e_machine = EM_386;
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
	h64->e_machine = EM_X86_64;
	h64->e_phentsize = sizeof(Elf32_Phdr);
	EXPECT_EQ(-1, load_elf(e->buf, e->len, self->ram, RAM_SIZE,
			       &self->li, self->err, sizeof(self->err)));
}

TEST(layouts)
{
	struct boot_layout bl;

	boot_layout(BOOT_REAL16, 64 * SZ_1M, &bl);
	EXPECT_EQ(bl.rsvd_lo, bl.rsvd_hi);

	boot_layout(BOOT_PROT32, 64 * SZ_1M, &bl);
	EXPECT_EQ(0x3fff000, bl.gdt);
	EXPECT_EQ(0x3fff000, bl.stack);
	EXPECT_EQ(0x3fff000, bl.rsvd_lo);
	EXPECT_EQ(0x4000000, bl.rsvd_hi);

	/* Above 4 GiB of RAM, 32-bit structures stay below 4 GiB. */
	boot_layout(BOOT_PROT32, 6 * SZ_1G, &bl);
	EXPECT_EQ(SZ_4G - SZ_4K, bl.gdt);
	EXPECT_EQ(SZ_4G, bl.rsvd_hi);

	boot_layout(BOOT_LONG64, 64 * SZ_1M, &bl);
	EXPECT_EQ(4, bl.npd);
	EXPECT_EQ(0x3ffa000, bl.pml4);
	EXPECT_EQ(0x3ffb000, bl.pdpt);
	EXPECT_EQ(0x3ffc000, bl.pd);
	EXPECT_EQ(0x3ff9000, bl.gdt);
	EXPECT_EQ(0x3ff9000, bl.stack);
	EXPECT_EQ(0x3ff9000, bl.rsvd_lo);
	EXPECT_EQ(0x4000000, bl.rsvd_hi);

	/* 5.5 GiB: 6 PDs map 6 GiB. */
	boot_layout(BOOT_LONG64, 5 * SZ_1G + SZ_1G / 2, &bl);
	EXPECT_EQ(6, bl.npd);
	EXPECT_EQ(5 * SZ_1G + SZ_1G / 2 - 8 * SZ_4K, bl.pml4);
	EXPECT_EQ(bl.pml4 - SZ_4K, bl.gdt);
}

TEST_F(ram, long_mode_tables)
{
	struct boot_layout bl;
	uint64_t *gdt, *pml4, *pdpt, *pd, i;

	boot_layout(BOOT_LONG64, RAM_SIZE, &bl);
	boot_write_tables(BOOT_LONG64, &bl, self->ram);
	gdt = (uint64_t *)(self->ram + bl.gdt);
	pml4 = (uint64_t *)(self->ram + bl.pml4);
	pdpt = (uint64_t *)(self->ram + bl.pdpt);
	pd = (uint64_t *)(self->ram + bl.pd);

	EXPECT_EQ(0, gdt[0]);
	EXPECT_EQ(0x00af9b000000ffffULL, gdt[BOOT_CS_SEL / 8]);
	EXPECT_EQ(0x00cf93000000ffffULL, gdt[BOOT_DS_SEL / 8]);
	EXPECT_EQ(0, gdt[3]);
	EXPECT_EQ(0, gdt[511]);

	EXPECT_EQ(bl.pdpt | 3, pml4[0]);
	for (i = 1; i < 512; i++)
		ASSERT_EQ(0, pml4[i]);
	for (i = 0; i < 4; i++)
		EXPECT_EQ((bl.pd + i * SZ_4K) | 3, pdpt[i]);
	for (i = 4; i < 512; i++)
		ASSERT_EQ(0, pdpt[i]);
	/* 2048 identity-mapped 2 MiB pages: present, writable, PS. */
	for (i = 0; i < 2048; i++)
		ASSERT_EQ((i << 21) | 0x83, pd[i]);
	/* Nothing below the GDT was touched. */
	EXPECT_EQ(0xcc, self->ram[bl.gdt - 1]);
}

TEST_F(ram, protected_mode_gdt)
{
	struct boot_layout bl;
	uint64_t *gdt;

	boot_layout(BOOT_PROT32, RAM_SIZE, &bl);
	boot_write_tables(BOOT_PROT32, &bl, self->ram);
	gdt = (uint64_t *)(self->ram + bl.gdt);
	EXPECT_EQ(0, gdt[0]);
	EXPECT_EQ(0x00cf9b000000ffffULL, gdt[1]);
	EXPECT_EQ(0x00cf93000000ffffULL, gdt[2]);
	EXPECT_EQ(0xcc, self->ram[bl.gdt - 1]);

	/* Real mode writes nothing. */
	memset(self->ram, 0xcc, RAM_SIZE);
	boot_layout(BOOT_REAL16, RAM_SIZE, &bl);
	boot_write_tables(BOOT_REAL16, &bl, self->ram);
	EXPECT_TRUE(all(self->ram, RAM_SIZE, 0xcc));
}

TEST(real_mode_state)
{
	struct load_info li = { BOOT_REAL16, 0x1000, 0x1000, 0x1100 };
	struct hvx_regs regs = { .rdx = 0x600, .rax = 1 };
	struct hvx_sregs s;
	struct boot_layout bl;
	char err[128];

	boot_layout(BOOT_REAL16, 64 * SZ_1M, &bl);
	ASSERT_EQ(0, boot_cpu_state(&li, &bl, &regs, &s, err, sizeof(err)));
	EXPECT_EQ(0, s.cs.selector);
	EXPECT_EQ(0, s.cs.base);
	EXPECT_EQ(0xffff, s.cs.limit);
	EXPECT_EQ(0x9b, s.cs.ar);
	EXPECT_EQ(0x93, s.ds.ar);
	EXPECT_EQ(0x93, s.ss.ar);
	EXPECT_EQ(0, s.ss.selector);
	EXPECT_EQ(0x10, s.cr0);
	EXPECT_EQ(0, s.cr4);
	EXPECT_EQ(0, s.efer);
	EXPECT_EQ(0x3ff, s.idt.limit);
	EXPECT_EQ(0x8b, s.tr.ar);
	EXPECT_EQ(0x1000, regs.rip);
	EXPECT_EQ(0x1000, regs.rsp);
	EXPECT_EQ(2, regs.rflags);
	/* Other registers keep their RESET values. */
	EXPECT_EQ(0x600, regs.rdx);
	EXPECT_EQ(1, regs.rax);

	/* An entry above 64 KiB: CS is its 64 KiB frame. */
	li.entry = 0x23456;
	li.low = 0x20000;
	ASSERT_EQ(0, boot_cpu_state(&li, &bl, &regs, &s, err, sizeof(err)));
	EXPECT_EQ(0x2000, s.cs.selector);
	EXPECT_EQ(0x20000, s.cs.base);
	EXPECT_EQ(0x3456, regs.rip);
	EXPECT_EQ(0, regs.rsp);

	li.entry = SZ_1M;
	EXPECT_EQ(-1, boot_cpu_state(&li, &bl, &regs, &s, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "real mode"));
}

TEST(protected_mode_state)
{
	struct load_info li = { BOOT_PROT32, 0x100010, 0x100000, 0x101000 };
	struct hvx_regs regs = {};
	struct hvx_sregs s;
	struct boot_layout bl;
	char err[128];

	boot_layout(BOOT_PROT32, 64 * SZ_1M, &bl);
	ASSERT_EQ(0, boot_cpu_state(&li, &bl, &regs, &s, err, sizeof(err)));
	EXPECT_EQ(BOOT_CS_SEL, s.cs.selector);
	EXPECT_EQ(0, s.cs.base);
	EXPECT_EQ(0xffffffff, s.cs.limit);
	EXPECT_EQ(0xc09b, s.cs.ar);
	EXPECT_EQ(BOOT_DS_SEL, s.ds.selector);
	EXPECT_EQ(0xc093, s.ds.ar);
	EXPECT_EQ(BOOT_DS_SEL, s.ss.selector);
	EXPECT_EQ(0xc093, s.ss.ar);
	EXPECT_EQ(0x3fff000, s.gdt.base);
	EXPECT_EQ(23, s.gdt.limit);
	EXPECT_EQ(0, s.idt.limit);
	EXPECT_EQ(0x33, s.cr0);
	EXPECT_EQ(0x600, s.cr4);
	EXPECT_EQ(0, s.efer);
	EXPECT_EQ(0x100010, regs.rip);
	EXPECT_EQ(0x3fff000, regs.rsp);
	EXPECT_EQ(2, regs.rflags);

	/* The entry is not checked: one above 4 GiB fails at VM entry. */
	li.entry = SZ_4G;
	ASSERT_EQ(0, boot_cpu_state(&li, &bl, &regs, &s, err, sizeof(err)));
	EXPECT_EQ(SZ_4G, regs.rip);
}

TEST(long_mode_state)
{
	struct load_info li = { BOOT_LONG64, 0x100000, 0x100000, 0x101000 };
	struct hvx_regs regs = {};
	struct hvx_sregs s;
	struct boot_layout bl;
	char err[128];

	boot_layout(BOOT_LONG64, 64 * SZ_1M, &bl);
	ASSERT_EQ(0, boot_cpu_state(&li, &bl, &regs, &s, err, sizeof(err)));
	EXPECT_EQ(BOOT_CS_SEL, s.cs.selector);
	EXPECT_EQ(0xa09b, s.cs.ar);
	EXPECT_EQ(0xc093, s.ds.ar);
	EXPECT_EQ(0x3ff9000, s.gdt.base);
	EXPECT_EQ(0x80010033, s.cr0);
	EXPECT_EQ(0x3ffa000, s.cr3);
	EXPECT_EQ(0x620, s.cr4);
	EXPECT_EQ(0x500, s.efer);
	EXPECT_EQ(0x100000, regs.rip);
	EXPECT_EQ(0x3ff9000, regs.rsp);

	/* The entry is not checked either. */
	li.entry = 0x800000000000ULL;
	ASSERT_EQ(0, boot_cpu_state(&li, &bl, &regs, &s, err, sizeof(err)));
	EXPECT_EQ(0x800000000000ULL, regs.rip);

	/* An image over the boot structures is refused. */
	li.entry = 0x100000;
	li.high = 0x3ff9001;
	EXPECT_EQ(-1, boot_cpu_state(&li, &bl, &regs, &s, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "boot structures of 64-bit mode at 0x3ff9000"))
		TH_LOG("%s", err);
}

TEST_HARNESS_MAIN
