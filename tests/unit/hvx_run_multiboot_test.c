// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's multiboot (v1) loader
 * (userspace/hvx-run/multiboot.c) and the multiboot boot state (boot.c):
 * synthetic kernels, a.out kludge and ELF32, loaded into a buffer standing
 * for guest RAM; the header search, every address check, the information
 * structure as the Multiboot Specification lays it out (memory sizes,
 * command line, modules, memory map, loader name), where the modules and
 * the structure go, and the registers vCPU 0 starts with.
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

#define RAM_SIZE	(64 * SZ_1M)
#define IMG_LEN		0x4000

/* Header flags: page-aligned modules, memory information, a.out kludge. */
#define F_ALIGN		(1U << 0)
#define F_MEM		(1U << 1)
#define F_VIDEO		(1U << 2)
#define F_AOUT		(1U << 16)

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* magic, flags, checksum at @off */
static void put_header(uint8_t *img, size_t off, uint32_t flags)
{
	put32(img + off, MB_HEADER_MAGIC);
	put32(img + off + 4, flags);
	put32(img + off + 8, -(MB_HEADER_MAGIC + flags));
}

/* the a.out kludge's five addresses after the header at @off */
static void put_aout(uint8_t *img, size_t off, uint32_t header_addr,
		     uint32_t load_addr, uint32_t load_end, uint32_t bss_end,
		     uint32_t entry)
{
	put32(img + off + 12, header_addr);
	put32(img + off + 16, load_addr);
	put32(img + off + 20, load_end);
	put32(img + off + 24, bss_end);
	put32(img + off + 28, entry);
}

static bool all(const uint8_t *p, size_t n, uint8_t v)
{
	while (n--)
		if (*p++ != v)
			return false;
	return true;
}

TEST(header_search)
{
	static uint8_t img[3 * MB_SEARCH_LEN];
	static const size_t good[] = { 0, 4, 400, MB_SEARCH_LEN - 12 };
	static const size_t bad[] = { 2, 6, MB_SEARCH_LEN - 8, MB_SEARCH_LEN,
				      MB_SEARCH_LEN + 4 };
	unsigned int i;

	EXPECT_FALSE(image_is_multiboot(img, sizeof(img)));
	for (i = 0; i < ARRAY_SIZE(good); i++) {
		memset(img, 0, sizeof(img));
		put_header(img, good[i], F_ALIGN | F_MEM);
		EXPECT_TRUE(image_is_multiboot(img, sizeof(img))) {
			TH_LOG("header at %zu", good[i]);
		}
		/* the whole header must be in the file */
		EXPECT_TRUE(image_is_multiboot(img, good[i] + 12));
		EXPECT_FALSE(image_is_multiboot(img, good[i] + 11));
		/* a bad checksum */
		img[good[i] + 8] ^= 1;
		EXPECT_FALSE(image_is_multiboot(img, sizeof(img)));
	}
	/* not 4-byte aligned, or not completely in the first 8192 bytes */
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		memset(img, 0, sizeof(img));
		put_header(img, bad[i], F_ALIGN | F_MEM);
		EXPECT_FALSE(image_is_multiboot(img, sizeof(img))) {
			TH_LOG("header at %zu", bad[i]);
		}
	}
	/* an invalid candidate does not hide a later valid one */
	memset(img, 0, sizeof(img));
	put_header(img, 8, 0);
	img[16] ^= 0x80;
	put_header(img, 64, 0);
	EXPECT_TRUE(image_is_multiboot(img, sizeof(img)));
	EXPECT_FALSE(image_is_multiboot("\177ELF", 4));
	EXPECT_FALSE(image_is_multiboot(img, 0));
}

FIXTURE(mb)
{
	uint8_t *ram;
	uint8_t img[IMG_LEN];
	struct multiboot_mod mods[2];
	struct multiboot_args a;
	struct load_info li;
	char err[256];
};

/*
 * The a.out kernel most tests use: the header at 0x40 (so at 0x100040),
 * 0x3000 of the 0x4000 bytes loaded at 1 MiB, BSS to 0x105800, entry
 * 0x100080.
 */
FIXTURE_SETUP(mb)
{
	unsigned int i;

	self->ram = malloc(RAM_SIZE);
	ASSERT_NE(NULL, self->ram);
	memset(self->ram, 0xcc, RAM_SIZE);
	for (i = 0; i < IMG_LEN; i++)
		self->img[i] = i * 13 + 1;
	put_header(self->img, 0x40, F_ALIGN | F_MEM | F_AOUT);
	put_aout(self->img, 0x40, 0x100040, 0x100000, 0x103000, 0x105800,
		 0x100080);
	self->a.name = "kernel.elf";
	self->a.cmdline = "args here";
	self->a.mods = self->mods;
}

FIXTURE_TEARDOWN(mb)
{
	free(self->ram);
}

static int load(struct __test_metadata *_metadata, FIXTURE_DATA(mb) *self,
		size_t len, uint64_t ram_size)
{
	return load_multiboot(self->img, len, self->ram, ram_size, &self->a,
			      &self->li, self->err, sizeof(self->err));
}

TEST_F(mb, aout_load_with_bss)
{
	ASSERT_TRUE(image_is_multiboot(self->img, IMG_LEN));
	ASSERT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE)) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(BOOT_MULTIBOOT, self->li.mode);
	EXPECT_EQ(0x100080, self->li.entry);
	EXPECT_EQ(0x100000, self->li.low);
	EXPECT_EQ(0x105800, self->li.high);
	EXPECT_EQ(MB_INFO_ADDR, self->li.mb_info);
	/* the file up to load_end_addr, BSS zeroed, nothing after */
	EXPECT_EQ(0, memcmp(self->ram + 0x100000, self->img, 0x3000));
	EXPECT_TRUE(all(self->ram + 0x103000, 0x2800, 0));
	EXPECT_EQ(0xcc, self->ram[0x105800]);
	EXPECT_EQ(0xcc, self->ram[0xfffff]);
}

TEST_F(mb, aout_header_inside_the_file)
{
	/*
	 * The header at file offset 0x200 and at 0x200100: load_addr
	 * 0x200000 is file offset 0x100; load_end_addr 0 loads the rest of
	 * the file, bss_end_addr 0 means no BSS.
	 */
	memset(self->img + 0x40, 0, 32);
	put_header(self->img, 0x200, F_AOUT);
	put_aout(self->img, 0x200, 0x200100, 0x200000, 0, 0, 0x200000);
	ASSERT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE)) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(0x200000, self->li.entry);
	EXPECT_EQ(0x200000, self->li.low);
	EXPECT_EQ(0x200000 + IMG_LEN - 0x100, self->li.high);
	EXPECT_EQ(0, memcmp(self->ram + 0x200000, self->img + 0x100,
			    IMG_LEN - 0x100));
	EXPECT_EQ(0xcc, self->ram[0x1fffff]);
	EXPECT_EQ(0xcc, self->ram[0x200000 + IMG_LEN - 0x100]);
}

/* Load, expect -1 and @msg in the message, and RAM untouched. */
static void refused(struct __test_metadata *_metadata, FIXTURE_DATA(mb) *self,
		    size_t len, const char *msg)
{
	EXPECT_EQ(-1, load(_metadata, self, len, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, msg)) {
		TH_LOG("'%s' lacks '%s'", self->err, msg);
	}
	EXPECT_EQ(0xcc, self->ram[0x100000]);
	EXPECT_EQ(0xcc, self->ram[MB_INFO_ADDR]);
}

TEST_F(mb, aout_bad_addresses)
{
	uint8_t *h = self->img + 0x40;

	/* load_end_addr past the end of the file, by one byte */
	put32(h + 20, 0x100000 + IMG_LEN + 1);
	put32(h + 24, 0);
	refused(_metadata, self, IMG_LEN, "beyond the end of the file");
	put32(h + 20, 0x100000 + IMG_LEN);
	EXPECT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE));
	memset(self->ram, 0xcc, RAM_SIZE);
	refused(_metadata, self, IMG_LEN - 1, "beyond the end of the file");
	put32(h + 20, 0x100000);
	refused(_metadata, self, IMG_LEN, "not above load_addr");
	put32(h + 20, 0x103000);
	put32(h + 24, 0x105800);

	/* the entry outside the loaded part: before, at its end, in BSS */
	put32(h + 28, 0xfffff);
	refused(_metadata, self, IMG_LEN, "entry_addr 0xfffff is outside");
	put32(h + 28, 0x103000);
	refused(_metadata, self, IMG_LEN, "entry_addr 0x103000 is outside");
	put32(h + 28, 0x104000);
	refused(_metadata, self, IMG_LEN, "entry_addr");
	put32(h + 28, 0x102fff);
	EXPECT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE));
	memset(self->ram, 0xcc, RAM_SIZE);

	/* header_addr below load_addr; load_addr before the file's start */
	put32(h + 16, 0x100044);
	refused(_metadata, self, IMG_LEN, "above header_addr");
	put32(h + 16, 0x100000 - 4);
	refused(_metadata, self, IMG_LEN, "before the start of the file");
	put32(h + 16, 0x100000);

	/* BSS ending before the loaded part */
	put32(h + 24, 0x102fff);
	refused(_metadata, self, IMG_LEN, "bss_end_addr");
	put32(h + 24, 0x103000);
	EXPECT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE));
	EXPECT_EQ(0x103000, self->li.high);
	memset(self->ram, 0xcc, RAM_SIZE);

	/* beyond RAM; into the GDT page below the top of RAM */
	put32(h + 24, RAM_SIZE + 1);
	refused(_metadata, self, IMG_LEN, "outside RAM");
	put32(h + 24, RAM_SIZE - SZ_4K + 1);
	refused(_metadata, self, IMG_LEN, "boot structures");
	put32(h + 24, RAM_SIZE - SZ_4K);
	EXPECT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE));
	put32(h + 24, 0x105800);
	memset(self->ram, 0xcc, RAM_SIZE);

	/* the address fields cut off by the end of the file */
	refused(_metadata, self, 0x40 + 31, "cut off");
}

TEST_F(mb, aout_fields_past_8192_bytes)
{
	static uint8_t big[2 * MB_SEARCH_LEN];
	size_t off = MB_SEARCH_LEN - 12;

	/* the header fits, its address fields do not */
	put_header(big, off, F_AOUT);
	put_aout(big, off, 0x100000 + off, 0x100000, 0, 0, 0x100000);
	ASSERT_TRUE(image_is_multiboot(big, sizeof(big)));
	EXPECT_EQ(-1, load_multiboot(big, sizeof(big), self->ram, RAM_SIZE,
				     &self->a, &self->li, self->err,
				     sizeof(self->err)));
	EXPECT_NE(NULL, strstr(self->err, "first 8192 bytes")) {
		TH_LOG("%s", self->err);
	}
}

TEST_F(mb, required_flags)
{
	static const uint32_t unknown[] = { 1U << 3, 1U << 8, 1U << 15 };
	static const uint32_t fine[] = { 0, F_ALIGN, F_MEM, F_VIDEO,
					 1U << 17, 1U << 31 };
	unsigned int i;
	char want[64];

	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		put_header(self->img, 0x40, F_MEM | F_AOUT | unknown[i]);
		snprintf(want, sizeof(want), "unknown 0x%x", unknown[i]);
		refused(_metadata, self, IMG_LEN, want);
	}
	/* the video mode is not given, and need not be; optional bits */
	for (i = 0; i < ARRAY_SIZE(fine); i++) {
		put_header(self->img, 0x40, F_AOUT | fine[i]);
		EXPECT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE)) {
			TH_LOG("flags 0x%x: %s", fine[i], self->err);
		}
	}
	EXPECT_EQ(0, get32(self->ram + MB_INFO_ADDR) & (1U << 11));
}

TEST_F(mb, no_header)
{
	memset(self->img + 0x40, 0, 12);
	refused(_metadata, self, IMG_LEN, "no multiboot header");
}

/* An ELF32 executable with the header (no a.out kludge) in its segment. */
static size_t make_elf(uint8_t *img, uint8_t cls)
{
	Elf32_Ehdr h = {
		.e_type = ET_EXEC, .e_machine = EM_386,
		.e_version = EV_CURRENT, .e_entry = 0x10000c,
		.e_phoff = sizeof(Elf32_Ehdr),
		.e_ehsize = sizeof(Elf32_Ehdr),
		.e_phentsize = sizeof(Elf32_Phdr), .e_phnum = 1,
	};
	Elf32_Phdr ph = {
		.p_type = PT_LOAD, .p_offset = 0x100, .p_vaddr = 0x100000,
		.p_paddr = 0x100000, .p_filesz = 0x200, .p_memsz = 0x1000,
		.p_flags = PF_R | PF_W | PF_X,
	};

	memcpy(h.e_ident, ELFMAG, SELFMAG);
	h.e_ident[EI_CLASS] = cls;
	h.e_ident[EI_DATA] = ELFDATA2LSB;
	h.e_ident[EI_VERSION] = EV_CURRENT;
	memset(img, 0, 0x100);
	memcpy(img, &h, sizeof(h));
	memcpy(img + sizeof(h), &ph, sizeof(ph));
	put_header(img, 0x100, F_ALIGN | F_MEM);
	return 0x300;
}

TEST_F(mb, elf32_load)
{
	size_t len = make_elf(self->img, ELFCLASS32);

	ASSERT_TRUE(image_is_multiboot(self->img, len));
	ASSERT_EQ(0, load(_metadata, self, len, RAM_SIZE)) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(BOOT_MULTIBOOT, self->li.mode);
	EXPECT_EQ(0x10000c, self->li.entry);
	EXPECT_EQ(0x100000, self->li.low);
	EXPECT_EQ(0x101000, self->li.high);
	EXPECT_EQ(MB_INFO_ADDR, self->li.mb_info);
	EXPECT_EQ(0, memcmp(self->ram + 0x100000, self->img + 0x100, 0x200));
	EXPECT_TRUE(all(self->ram + 0x100200, 0xe00, 0));
	EXPECT_EQ(0xcc, self->ram[0x101000]);
	EXPECT_STREQ("kernel.elf args here",
		     (char *)self->ram + get32(self->ram + MB_INFO_ADDR + 16));

	/* ELF64 needs the a.out kludge; a non-ELF file too */
	make_elf(self->img, ELFCLASS64);
	memset(self->ram, 0xcc, RAM_SIZE);
	refused(_metadata, self, len, "not an ELF32 image");
	make_elf(self->img, ELFCLASS32);
	self->img[1] = 'X';
	refused(_metadata, self, len, "not an ELF image");
	/* loader.c's checks apply: a segment beyond the file */
	self->img[1] = 'E';
	refused(_metadata, self, len - 1, "truncated");
}

/* make_elf()'s image, its segment @i of @n set as given. */
static void elf_segment(uint8_t *img, unsigned int i, unsigned int n,
			uint32_t vaddr, uint32_t paddr, uint32_t memsz)
{
	Elf32_Ehdr *h = (Elf32_Ehdr *)img;
	Elf32_Phdr ph;

	memcpy(&ph, img + sizeof(*h), sizeof(ph));
	ph.p_vaddr = vaddr;
	ph.p_paddr = paddr;
	ph.p_filesz = memsz < 0x10 ? memsz : 0x10;
	ph.p_memsz = memsz;
	memcpy(img + sizeof(*h) + i * sizeof(ph), &ph, sizeof(ph));
	h->e_phnum = n;
}

/*
 * A kernel linked to run in the higher half gives its virtual entry
 * point: it is entered at the physical address that segment put it at,
 * as GRUB enters it; one that links its entry physical is entered there,
 * as QEMU does.  One whose entry no segment holds is refused.  (hvx-run
 * entered at e_entry: unbacked memory.)
 */
TEST_F(mb, elf32_higher_half_entry)
{
	size_t len = make_elf(self->img, ELFCLASS32);
	Elf32_Ehdr *h = (Elf32_Ehdr *)self->img;

	elf_segment(self->img, 0, 1, 0xc0100000, 0x100000, 0x1000);
	h->e_entry = 0xc010000c;
	ASSERT_EQ(0, load(_metadata, self, len, RAM_SIZE)) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(0x10000c, self->li.entry);
	EXPECT_EQ(0x100000, self->li.low);
	EXPECT_EQ(0, memcmp(self->ram + 0x100000, self->img + 0x100, 0x10));

	/* an entry linked physical, in no segment's virtual range: as is */
	h->e_entry = 0x10000c;
	memset(self->ram, 0xcc, RAM_SIZE);
	ASSERT_EQ(0, load(_metadata, self, len, RAM_SIZE)) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(0x10000c, self->li.entry);

	h->e_entry = 0xc0101000;	/* just past the segment */
	memset(self->ram, 0xcc, RAM_SIZE);
	refused(_metadata, self, len, "in no loadable segment");
	EXPECT_EQ(0xcc, self->ram[0x100000]);
}

/*
 * Each segment of an ELF kernel is checked against the BIOS area before
 * anything is written: a small one below it (AP start-up code) is fine
 * beside the kernel at 1 MiB, one inside it is refused with RAM
 * untouched.  (The span from the lowest to the highest segment was
 * checked, after the copy.)
 */
TEST_F(mb, elf32_segments_and_the_bios_area)
{
	size_t len = make_elf(self->img, ELFCLASS32);

	elf_segment(self->img, 1, 2, 0x8000, 0x8000, 0x100);
	ASSERT_EQ(0, load(_metadata, self, len, RAM_SIZE)) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(0x8000, self->li.low);
	EXPECT_EQ(0x101000, self->li.high);
	EXPECT_EQ(0, memcmp(self->ram + 0x8000, self->img + 0x100, 0x10));
	/* the information moves out of the kernel's span */
	EXPECT_EQ(0x101000, self->li.mb_info);

	elf_segment(self->img, 1, 2, 0xe0000, 0xe0000, 0x100);
	memset(self->ram, 0xcc, RAM_SIZE);
	refused(_metadata, self, len, "BIOS area");
	EXPECT_TRUE(all(self->ram + 0xe0000, 0x100, 0xcc));
	EXPECT_TRUE(all(self->ram + 0x100000, 0x10, 0xcc));
}

TEST_F(mb, info_structure)
{
	uint8_t *mbi, *mm, *name;
	uint32_t info;

	ASSERT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE));
	info = self->li.mb_info;
	mbi = self->ram + info;
	/* not in page 0, not over the image */
	EXPECT_GE(info, SZ_4K);
	EXPECT_LE(info + SZ_4K, self->li.low);

	/* mem, cmdline, mods, mmap, boot loader name */
	EXPECT_EQ(0x24d, get32(mbi));
	EXPECT_EQ(639, get32(mbi + 4));
	EXPECT_EQ(63 * 1024, get32(mbi + 8));
	EXPECT_EQ(0, get32(mbi + 12));		/* no boot device */
	EXPECT_STREQ("kernel.elf args here",
		     (char *)self->ram + get32(mbi + 16));
	/* no modules: count 0, still a valid address */
	EXPECT_EQ(0, get32(mbi + 20));
	EXPECT_GT(get32(mbi + 24), info);
	EXPECT_LT(get32(mbi + 24), info + SZ_4K);
	/* syms, drives, config table, APM, VBE, framebuffer: none */
	EXPECT_TRUE(all(mbi + 28, 16, 0));
	EXPECT_TRUE(all(mbi + 52, 12, 0));
	EXPECT_TRUE(all(mbi + 68, 116 - 68, 0));
	name = self->ram + get32(mbi + 64);
	EXPECT_STREQ("hvx-run", (char *)name);

	/* the memory map: u32 size (20), u64 base, u64 length, u32 type */
	ASSERT_EQ(4 * 24, get32(mbi + 44));
	mm = self->ram + get32(mbi + 48);
	EXPECT_EQ(0, get32(mbi + 48) % 4);
	EXPECT_EQ(20, get32(mm));
	EXPECT_EQ(0, get64(mm + 4));
	EXPECT_EQ(0x9fc00, get64(mm + 12));
	EXPECT_EQ(1, get32(mm + 20));
	EXPECT_EQ(20, get32(mm + 24));
	EXPECT_EQ(0x9fc00, get64(mm + 28));
	EXPECT_EQ(0x100000 - 0x9fc00, get64(mm + 36));
	EXPECT_EQ(2, get32(mm + 44));
	EXPECT_EQ(20, get32(mm + 48));
	EXPECT_EQ(0x100000, get64(mm + 52));
	EXPECT_EQ(RAM_SIZE - 0x100000, get64(mm + 60));
	EXPECT_EQ(1, get32(mm + 68));
	EXPECT_EQ(20, get32(mm + 72));
	EXPECT_EQ(0xfffff000, get64(mm + 76));
	EXPECT_EQ(0x1000, get64(mm + 84));
	EXPECT_EQ(2, get32(mm + 92));

	/* without -p, or with an empty one: the name alone */
	self->a.cmdline = NULL;
	ASSERT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE));
	EXPECT_STREQ("kernel.elf", (char *)self->ram + get32(mbi + 16));
	self->a.cmdline = "";
	ASSERT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE));
	EXPECT_STREQ("kernel.elf", (char *)self->ram + get32(mbi + 16));
}

TEST_F(mb, memory_map_sizes)
{
	uint8_t *mbi = self->ram + MB_INFO_ADDR, *mm;

	/*
	 * 6 GiB (only low memory is written: the buffer is smaller): RAM
	 * up to 4 GiB in mem_upper, a fourth entry above 4 GiB (and none
	 * for the reset vector's page, RAM here).
	 */
	ASSERT_EQ(0, load(_metadata, self, IMG_LEN, 6 * SZ_1G));
	EXPECT_EQ((SZ_4G - SZ_1M) / 1024, get32(mbi + 8));
	ASSERT_EQ(4 * 24, get32(mbi + 44));
	mm = self->ram + get32(mbi + 48);
	EXPECT_EQ(SZ_4G - SZ_1M, get64(mm + 60));
	EXPECT_EQ(SZ_4G, get64(mm + 76));
	EXPECT_EQ(2 * SZ_1G, get64(mm + 84));
	EXPECT_EQ(1, get32(mm + 92));

	/* 512 KiB: low memory only, no RAM above 1 MiB */
	put32(self->img + 0x40 + 12, 0x20040);
	put32(self->img + 0x40 + 16, 0x20000);
	put32(self->img + 0x40 + 20, 0x21000);
	put32(self->img + 0x40 + 24, 0x22000);
	put32(self->img + 0x40 + 28, 0x20080);
	ASSERT_EQ(0, load(_metadata, self, IMG_LEN, 512 * 1024ULL)) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(MB_INFO_ADDR, self->li.mb_info);
	EXPECT_EQ(512, get32(mbi + 4));
	EXPECT_EQ(0, get32(mbi + 8));
	ASSERT_EQ(3 * 24, get32(mbi + 44));
	mm = self->ram + get32(mbi + 48);
	EXPECT_EQ(512 * 1024ULL, get64(mm + 12));
	EXPECT_EQ(2, get32(mm + 44));
	EXPECT_EQ(0xfffff000, get64(mm + 52));
	EXPECT_EQ(2, get32(mm + 68));
}

TEST_F(mb, two_modules)
{
	static uint8_t one[5000];
	static const char two[] = "second module\n";
	uint8_t *mbi, *m;

	memset(one, 0x5a, sizeof(one));
	self->mods[0] = (struct multiboot_mod){ one, sizeof(one), "/tmp/m1" };
	self->mods[1] = (struct multiboot_mod){ two, strlen(two), "m2" };
	self->a.nr_mods = 2;
	ASSERT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE)) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(MB_INFO_ADDR, self->li.mb_info);
	mbi = self->ram + self->li.mb_info;
	EXPECT_EQ(2, get32(mbi + 20));
	m = self->ram + get32(mbi + 24);
	/* the first page after the image's BSS (0x105800), then the next */
	EXPECT_EQ(0x106000, get32(m));
	EXPECT_EQ(0x106000 + sizeof(one), get32(m + 4));
	EXPECT_STREQ("/tmp/m1", (char *)self->ram + get32(m + 8));
	EXPECT_EQ(0, get32(m + 12));
	EXPECT_EQ(0x108000, get32(m + 16));
	EXPECT_EQ(0x108000 + strlen(two), get32(m + 20));
	EXPECT_STREQ("m2", (char *)self->ram + get32(m + 24));
	EXPECT_EQ(0, get32(m + 28));
	EXPECT_EQ(0, memcmp(self->ram + 0x106000, one, sizeof(one)));
	EXPECT_EQ(0, memcmp(self->ram + 0x108000, two, strlen(two)));
	EXPECT_EQ(0xcc, self->ram[0x108000 + strlen(two)]);
	/* the BSS is still zero, the command line intact */
	EXPECT_TRUE(all(self->ram + 0x103000, 0x2800, 0));
	EXPECT_STREQ("kernel.elf args here",
		     (char *)self->ram + get32(mbi + 16));
}

TEST_F(mb, info_after_the_modules)
{
	static const char mod[] = "0123456789";
	uint8_t *h = self->img + 0x40, *mbi;

	/* an image over 0x9000: the structure goes after its module */
	put_aout(self->img, 0x40, 0x8040, 0x8000, 0x9000, 0xa000, 0x8080);
	self->mods[0] = (struct multiboot_mod){ mod, sizeof(mod), "m" };
	self->a.nr_mods = 1;
	ASSERT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE)) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(0xb000, self->li.mb_info);
	mbi = self->ram + 0xb000;
	EXPECT_EQ(0x24d, get32(mbi));
	EXPECT_EQ(0xa000, get32(self->ram + get32(mbi + 24)));
	EXPECT_STREQ("kernel.elf args here",
		     (char *)self->ram + get32(mbi + 16));
	EXPECT_EQ(0, memcmp(self->ram + 0xa000, mod, sizeof(mod)));

	/* an image below it, a module over it: the same */
	put32(h + 12, 0x2040);
	put32(h + 16, 0x2000);
	put32(h + 20, 0x3000);
	put32(h + 24, 0);
	put32(h + 28, 0x2080);
	self->mods[0].len = 0x8000;	/* only its start is read */
	self->mods[0].data = self->ram + RAM_SIZE - 0x10000;
	ASSERT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE));
	EXPECT_EQ(0xb000, self->li.mb_info);
	/* a smaller module leaves 0x9000 free */
	self->mods[0].len = 0x6000;
	ASSERT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE));
	EXPECT_EQ(MB_INFO_ADDR, self->li.mb_info);
}

/*
 * The BIOS area (0x9fc00-0xfffff: the ACPI tables, the reset vector's
 * code) holds no image; a module that would reach into it from below
 * goes to 1 MiB.
 */
TEST_F(mb, nothing_in_the_bios_area)
{
	static uint8_t big[0x100000];
	uint8_t *mbi;

	put_aout(self->img, 0x40, 0x9f040, 0x9f000, 0xa0000, 0, 0x9f080);
	EXPECT_EQ(-1, load(_metadata, self, IMG_LEN, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "BIOS area")) {
		TH_LOG("%s", self->err);
	}
	put_aout(self->img, 0x40, 0x10040, 0x10000, 0x11000, 0, 0x10080);
	memset(big, 0x5a, sizeof(big));
	self->mods[0] = (struct multiboot_mod){ big, sizeof(big), "big" };
	self->a.nr_mods = 1;
	ASSERT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE)) {
		TH_LOG("%s", self->err);
	}
	mbi = self->ram + self->li.mb_info;
	EXPECT_EQ(0x100000, get32(self->ram + get32(mbi + 24)));
	EXPECT_EQ(0x5a, self->ram[0x100000]);
	EXPECT_EQ(0xcc, self->ram[0xe0000]);
}

TEST_F(mb, modules_must_fit_below_the_gdt)
{
	size_t room = RAM_SIZE - SZ_4K - 0x106000;
	uint8_t *big = malloc(room + 1);

	ASSERT_NE(NULL, big);
	memset(big, 0x33, room + 1);
	self->mods[0] = (struct multiboot_mod){ big, room + 1, "big" };
	self->a.nr_mods = 1;
	EXPECT_EQ(-1, load(_metadata, self, IMG_LEN, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "module big")) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(0xcc, self->ram[0x106000]);
	/* up to the GDT page exactly */
	self->mods[0].len = room;
	EXPECT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE));
	EXPECT_EQ(0x33, self->ram[RAM_SIZE - SZ_4K - 1]);
	EXPECT_EQ(0xcc, self->ram[RAM_SIZE - SZ_4K]);
	free(big);
}

TEST_F(mb, boot_state)
{
	struct hvx_regs regs = { .rax = 0x1234, .rbx = 0x5678, .rdx = 0x600 };
	struct hvx_sregs s;
	struct boot_layout bl;
	uint64_t *gdt;

	ASSERT_EQ(0, load(_metadata, self, IMG_LEN, RAM_SIZE));
	boot_layout(BOOT_MULTIBOOT, RAM_SIZE, &bl);
	EXPECT_EQ(RAM_SIZE - SZ_4K, bl.gdt);
	EXPECT_EQ(RAM_SIZE - SZ_4K, bl.rsvd_lo);
	boot_write_tables(BOOT_MULTIBOOT, &bl, self->ram);
	gdt = (uint64_t *)(self->ram + bl.gdt);
	EXPECT_EQ(0, gdt[0]);
	EXPECT_EQ(0x00cf9b000000ffffULL, gdt[1]);
	EXPECT_EQ(0x00cf93000000ffffULL, gdt[2]);
	EXPECT_EQ(0xcc, self->ram[bl.gdt - 1]);

	ASSERT_EQ(0, boot_cpu_state(&self->li, &bl, &regs, &s, self->err,
				    sizeof(self->err)));
	EXPECT_EQ(0x2badb002, regs.rax);
	EXPECT_EQ(MB_INFO_ADDR, regs.rbx);
	EXPECT_EQ(0x600, regs.rdx);
	EXPECT_EQ(0x100080, regs.rip);
	EXPECT_EQ(2, regs.rflags);		/* IF = 0 */
	EXPECT_EQ(BOOT_CS_SEL, s.cs.selector);
	EXPECT_EQ(0, s.cs.base);
	EXPECT_EQ(0xffffffff, s.cs.limit);
	EXPECT_EQ(0xc09b, s.cs.ar);		/* 32-bit code */
	EXPECT_EQ(BOOT_DS_SEL, s.ds.selector);
	EXPECT_EQ(0xc093, s.ds.ar);
	EXPECT_EQ(0xc093, s.es.ar);
	EXPECT_EQ(0xc093, s.ss.ar);
	EXPECT_EQ(0x33, s.cr0);			/* PE, no PG */
	EXPECT_EQ(0, s.efer);
	EXPECT_EQ(RAM_SIZE - SZ_4K, s.gdt.base);
	EXPECT_EQ(23, s.gdt.limit);
	EXPECT_NE(NULL, strstr(boot_mode_name(BOOT_MULTIBOOT), "multiboot"));

	/* an ELF32 image keeps EAX and EBX */
	self->li.mode = BOOT_PROT32;
	regs.rax = 0x1234;
	regs.rbx = 0x5678;
	ASSERT_EQ(0, boot_cpu_state(&self->li, &bl, &regs, &s, self->err,
				    sizeof(self->err)));
	EXPECT_EQ(0x1234, regs.rax);
	EXPECT_EQ(0x5678, regs.rbx);
}

TEST_HARNESS_MAIN
