// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's Linux loader (userspace/hvx-run/linux.c) and
 * the Linux boot state (boot.c): a synthetic bzImage with a setup header
 * as Documentation/x86/boot.rst lays it out, loaded into a buffer standing
 * for guest RAM; the boot_params page, e820 map, command line and initrd
 * it produces, and every malformed image refused with its message.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

#define RAM_SIZE	(64 * SZ_1M)
#define SETUP_SECTS	3
#define PM_OFFSET	((SETUP_SECTS + 1) * 512)
#define KERNEL_LEN	0x3000
#define IMAGE_LEN	(PM_OFFSET + KERNEL_LEN)
#define INIT_SIZE	(8 * SZ_1M)

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

FIXTURE(bz)
{
	uint8_t *ram;
	uint8_t img[IMAGE_LEN];
	struct linux_args a;
	struct load_info li;
	char err[256];
};

/* A 2.15 image like Debian's 6.1 kernel, with a recognisable payload. */
FIXTURE_SETUP(bz)
{
	uint8_t *b = self->img;
	unsigned int i;

	self->ram = malloc(RAM_SIZE);
	ASSERT_NE(NULL, self->ram);
	memset(self->ram, 0xcc, RAM_SIZE);
	memset(b, 0, sizeof(self->img));
	b[0x1f1] = SETUP_SECTS;
	put32(b + 0x1f4, KERNEL_LEN / 16);	/* syssize */
	put16(b + 0x1fe, 0xaa55);
	b[0x200] = 0xeb;
	b[0x201] = 0x6a;		/* header ends at 0x26c */
	put32(b + 0x202, 0x53726448);
	put16(b + 0x206, 0x020f);
	b[0x211] = 0x01;		/* LOADED_HIGH */
	put32(b + 0x214, 0x100000);
	put32(b + 0x22c, 0x7fffffff);	/* initrd_addr_max */
	put32(b + 0x230, 0x200000);	/* kernel_alignment */
	b[0x234] = 1;			/* relocatable */
	put16(b + 0x236, 0x7f);		/* xloadflags: 64-bit entry and more */
	put32(b + 0x238, 2047);		/* cmdline_size */
	put32(b + 0x260, INIT_SIZE);
	put32(b + 0x268, 0x12345);	/* kernel_info_offset: copied as is */
	b[0x26c] = 0x5a;		/* beyond the header: not copied */
	for (i = PM_OFFSET; i < IMAGE_LEN; i++)
		b[i] = i * 7;
	self->a.cmdline = "console=ttyS0 quiet";
	self->a.rsdp = 0xe0000;
}

FIXTURE_TEARDOWN(bz)
{
	free(self->ram);
}

static int load(struct __test_metadata *_metadata, FIXTURE_DATA(bz) *self,
		size_t len, uint64_t ram_size)
{
	return load_bzimage(self->img, len, self->ram, ram_size, &self->a,
			    &self->li, self->err, sizeof(self->err));
}

TEST_F(bz, good_image)
{
	uint8_t *bp = self->ram + LINUX_BOOT_PARAMS;

	ASSERT_TRUE(image_is_bzimage(self->img, IMAGE_LEN));
	ASSERT_EQ(0, load(_metadata, self, IMAGE_LEN, RAM_SIZE)) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(BOOT_LINUX64, self->li.mode);
	EXPECT_EQ(0x100200, self->li.entry);
	EXPECT_EQ(LINUX_BOOT_PARAMS, self->li.boot_params);
	EXPECT_EQ(0x100000, self->li.low);
	EXPECT_EQ(0x100000 + KERNEL_LEN, self->li.high);
	/* the protected-mode kernel at 1 MiB, and nothing past it */
	EXPECT_EQ(0, memcmp(self->ram + 0x100000, self->img + PM_OFFSET,
			    KERNEL_LEN));
	EXPECT_EQ(0xcc, self->ram[0x100000 + KERNEL_LEN]);

	/* the setup header copied, the loader's fields filled in */
	EXPECT_EQ(0x53726448, get32(bp + 0x202));
	EXPECT_EQ(0x020f, get16(bp + 0x206));
	EXPECT_EQ(0x12345, get32(bp + 0x268));
	EXPECT_EQ(0, bp[0x26c]);
	EXPECT_EQ(0xffff, get16(bp + 0x1fa));
	EXPECT_EQ(0xff, bp[0x210]);
	EXPECT_EQ(0x81, bp[0x211]);
	EXPECT_EQ(LINUX_CMDLINE, get32(bp + 0x228));
	EXPECT_STREQ("console=ttyS0 quiet",
		     (char *)self->ram + LINUX_CMDLINE);
	EXPECT_EQ(0xe0000, get64(bp + 0x70));
	/* no initrd */
	EXPECT_EQ(0, get32(bp + 0x218));
	EXPECT_EQ(0, get32(bp + 0x21c));

	/* e820: low RAM, EBDA, BIOS area, RAM from 1 MiB, reset vector */
	ASSERT_EQ(5, bp[0x1e8]);
	EXPECT_EQ(0, get64(bp + 0x2d0));
	EXPECT_EQ(0x9fc00, get64(bp + 0x2d0 + 8));
	EXPECT_EQ(1, get32(bp + 0x2d0 + 16));
	EXPECT_EQ(0x9fc00, get64(bp + 0x2e4));
	EXPECT_EQ(2, get32(bp + 0x2e4 + 16));
	EXPECT_EQ(0xe0000, get64(bp + 0x2f8));
	EXPECT_EQ(0x20000, get64(bp + 0x2f8 + 8));
	EXPECT_EQ(2, get32(bp + 0x2f8 + 16));
	EXPECT_EQ(0x100000, get64(bp + 0x30c));
	EXPECT_EQ(RAM_SIZE - 0x100000, get64(bp + 0x30c + 8));
	EXPECT_EQ(1, get32(bp + 0x30c + 16));
	EXPECT_EQ(0xfffff000, get64(bp + 0x320));
	EXPECT_EQ(0x1000, get64(bp + 0x320 + 8));
	EXPECT_EQ(2, get32(bp + 0x320 + 16));
}

TEST_F(bz, initrd_at_the_top)
{
	uint8_t *bp = self->ram + LINUX_BOOT_PARAMS;
	static uint8_t rd[5000];
	uint32_t at;

	memset(rd, 0x42, sizeof(rd));
	self->a.initrd = rd;
	self->a.initrd_len = sizeof(rd);
	ASSERT_EQ(0, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	at = get32(bp + 0x218);
	EXPECT_EQ(RAM_SIZE - 2 * SZ_4K, at);
	EXPECT_EQ(sizeof(rd), get32(bp + 0x21c));
	EXPECT_EQ(0, memcmp(self->ram + at, rd, sizeof(rd)));

	/* initrd_addr_max below the top of RAM is honoured */
	put32(self->img + 0x22c, 0x2000000 - 1);
	ASSERT_EQ(0, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	EXPECT_EQ(0x2000000 - 2 * SZ_4K, get32(bp + 0x218));

	/* but never over the kernel's decompression space */
	put32(self->img + 0x22c, 0x100000 + INIT_SIZE + 0x1000 - 1);
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "initrd"));
}

TEST_F(bz, not_a_kernel)
{
	put32(self->img + 0x202, 0x12345678);
	EXPECT_FALSE(image_is_bzimage(self->img, IMAGE_LEN));
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "not a Linux bzImage"));
	/* an ELF file or a flat binary is not one either */
	EXPECT_FALSE(image_is_bzimage("\177ELF", 4));
	EXPECT_FALSE(image_is_bzimage(self->img, 0x200));
	/* nothing was written */
	EXPECT_EQ(0xcc, self->ram[0x100000]);
	EXPECT_EQ(0xcc, self->ram[LINUX_BOOT_PARAMS]);
}

TEST_F(bz, truncated)
{
	EXPECT_EQ(-1, load(_metadata, self, 0x250, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "truncated"));
	/* ending right after "HdrS": the version after it is not read */
	put16(self->img + 0x206, 0x0200);
	EXPECT_EQ(-1, load(_metadata, self, 0x206, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "truncated"));
	put16(self->img + 0x206, 0x020f);
	/* the setup sectors are there, the kernel is not */
	EXPECT_EQ(-1, load(_metadata, self, PM_OFFSET, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "truncated"));
	/* the kernel shorter than syssize says, by a byte */
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN - 16, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "truncated"));
	/* what a build may leave off the last 16 bytes, or add, is taken */
	EXPECT_EQ(0, load(_metadata, self, IMAGE_LEN - 15, RAM_SIZE));
	EXPECT_EQ(0, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	/* no syssize: the 64-bit entry at 0x200 must be there */
	put32(self->img + 0x1f4, 0);
	EXPECT_EQ(-1, load(_metadata, self, PM_OFFSET + 0x200, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "truncated"));
	EXPECT_EQ(0, load(_metadata, self, PM_OFFSET + 0x201, RAM_SIZE));
	/* setup_sects 0 means 4 */
	self->img[0x1f1] = 0;
	EXPECT_EQ(-1, load(_metadata, self, 5 * 512 + 0x200, RAM_SIZE));
	EXPECT_EQ(0, load(_metadata, self, 5 * 512 + 0x201, RAM_SIZE));
}

/* A header that ends before init_size, which protocol 2.12 has. */
TEST_F(bz, short_header)
{
	self->img[0x201] = 0x5f;	/* ends at 0x261 */
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "before init_size"));
	self->img[0x201] = 0x62;	/* ends at 0x264 */
	EXPECT_EQ(0, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
}

TEST_F(bz, too_old)
{
	put16(self->img + 0x206, 0x020b);
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "2.11 is too old")) {
		TH_LOG("%s", self->err);
	}
	put16(self->img + 0x206, 0x020c);
	EXPECT_EQ(0, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	/* before 2.14 the RSDP field is not the kernel's to read */
	EXPECT_EQ(0, get64(self->ram + LINUX_BOOT_PARAMS + 0x70));
}

TEST_F(bz, no_64bit_entry)
{
	put16(self->img + 0x236, 0x7e);
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "64-bit entry"));
	put16(self->img + 0x236, 0x7f);
	self->img[0x211] = 0;
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "zImage"));
}

TEST_F(bz, ram_limits)
{
	/* relocatable, 2 MiB aligned: it runs from 2 MiB, init_size on */
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, 8 * SZ_1M));
	EXPECT_NE(NULL, strstr(self->err, "needs 10 MiB")) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(0, load(_metadata, self, IMAGE_LEN, 10 * SZ_1M));
	/* not relocatable: from 1 MiB */
	self->img[0x234] = 0;
	EXPECT_EQ(0, load(_metadata, self, IMAGE_LEN, 9 * SZ_1M));
	self->img[0x234] = 1;
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, 4 * SZ_1G));
	EXPECT_NE(NULL, strstr(self->err, "at most 3072 MiB"));
}

/*
 * A relocatable kernel loaded at 1 MiB decompresses from its preferred
 * address up (16 MiB, as Debian's): init_size counts from there, and the
 * initrd goes above it.
 */
TEST_F(bz, init_size_from_preferred_address)
{
	static uint8_t rd[SZ_4K];
	uint8_t *bp = self->ram + LINUX_BOOT_PARAMS;

	put32(self->img + 0x258, 16 * SZ_1M);
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, 20 * SZ_1M));
	EXPECT_NE(NULL, strstr(self->err, "needs 24 MiB")) {
		TH_LOG("%s", self->err);
	}
	self->a.initrd = rd;
	self->a.initrd_len = sizeof(rd);
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, 24 * SZ_1M));
	EXPECT_NE(NULL, strstr(self->err, "initrd"));
	ASSERT_EQ(0, load(_metadata, self, IMAGE_LEN, 24 * SZ_1M + SZ_4K)) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(24 * SZ_1M, get32(bp + 0x218));
}

/*
 * A kernel larger than the room init_size asks for still needs the room
 * of its own copy at 1 MiB: RAM one page short of it is refused.
 */
TEST_F(bz, kernel_copy_needs_its_room)
{
	self->img[0x234] = 0;			/* runs at 1 MiB */
	put32(self->img + 0x260, 0);		/* init_size 0 */
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN,
			   SZ_1M + KERNEL_LEN - SZ_4K));
	EXPECT_NE(NULL, strstr(self->err, "needs")) {
		TH_LOG("%s", self->err);
	}
	EXPECT_EQ(0, load(_metadata, self, IMAGE_LEN, SZ_1M + KERNEL_LEN));
}

/* A header length past every known field is cut at 0x280 in the copy. */
TEST_F(bz, header_length_capped)
{
	uint8_t *bp = self->ram + LINUX_BOOT_PARAMS;

	self->img[0x201] = 0xff;		/* "ends" at 0x301 */
	self->img[0x27f] = 0x11;
	self->img[0x280] = 0x77;
	ASSERT_EQ(0, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	EXPECT_EQ(0x11, bp[0x27f]);
	EXPECT_EQ(0, bp[0x280]);
}

/* A kernel whose cmdline_size says 4 GiB still gets at most 64 KiB. */
TEST_F(bz, command_line_at_most_64k)
{
	char *line = malloc(0x10001);

	ASSERT_NE(NULL, line);
	memset(line, 'x', 0x10000);
	line[0x10000] = 0;
	put32(self->img + 0x238, 0xffffffff);
	self->a.cmdline = line;
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "65536 bytes"));
	line[0xffff] = 0;
	EXPECT_EQ(0, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	free(line);
}

/*
 * init_size counts from where the kernel runs: a kernel that is not
 * relocatable runs at its preferred address; a relocatable one aligns
 * that up only by a power of two; one preferring an address beyond RAM
 * is refused (the room it needs wrapped and passed).
 */
TEST_F(bz, runtime_start_address)
{
	put32(self->img + 0x258, 16 * SZ_1M);	/* pref_address */
	self->img[0x234] = 0;
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, 20 * SZ_1M));
	EXPECT_NE(NULL, strstr(self->err, "needs 24 MiB")) {
		TH_LOG("%s", self->err);
	}
	self->img[0x234] = 1;
	put32(self->img + 0x258, 17 * SZ_1M);
	put32(self->img + 0x230, 0x1800000);	/* not a power of two */
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, 24 * SZ_1M));
	EXPECT_NE(NULL, strstr(self->err, "needs 25 MiB")) {
		TH_LOG("%s", self->err);
	}
	/* one so high that the sum of the start and init_size would wrap */
	put32(self->img + 0x230, 0x200000);
	put32(self->img + 0x258, 0xfff00000);
	put32(self->img + 0x25c, 0xffffffff);
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "preferred address")) {
		TH_LOG("%s", self->err);
	}
}

TEST_F(bz, command_line_limit)
{
	char *line = malloc(2049);

	ASSERT_NE(NULL, line);
	memset(line, 'x', 2048);
	line[2048] = 0;
	self->a.cmdline = line;
	EXPECT_EQ(-1, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	EXPECT_NE(NULL, strstr(self->err, "2048 bytes"));
	line[2047] = 0;
	EXPECT_EQ(0, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	EXPECT_EQ(2047, strlen((char *)self->ram + LINUX_CMDLINE));
	free(line);
}

TEST_F(bz, boot_state)
{
	struct hvx_sregs sregs;
	struct hvx_regs regs;
	struct boot_layout bl;
	uint64_t *gdt, *pd, i;

	ASSERT_EQ(0, load(_metadata, self, IMAGE_LEN, RAM_SIZE));
	boot_layout(BOOT_LINUX64, RAM_SIZE, &bl);
	EXPECT_EQ(LINUX_GDT, bl.gdt);
	EXPECT_EQ(LINUX_PML4, bl.pml4);
	boot_write_tables(BOOT_LINUX64, &bl, self->ram);
	gdt = (uint64_t *)(self->ram + bl.gdt);
	EXPECT_EQ(0, gdt[1]);
	EXPECT_EQ(0x00af9b000000ffffULL, gdt[2]);
	EXPECT_EQ(0x00cf93000000ffffULL, gdt[3]);
	pd = (uint64_t *)(self->ram + bl.pd);
	for (i = 0; i < 2048; i++)
		ASSERT_EQ((i << 21) | 0x83, pd[i]);
	/* the tables end below boot_params */
	EXPECT_LE(bl.pd + LINUX_NPD * SZ_4K, LINUX_BOOT_PARAMS);

	memset(&regs, 0, sizeof(regs));
	ASSERT_EQ(0, boot_cpu_state(&self->li, &bl, &regs, &sregs, self->err,
				    sizeof(self->err)));
	EXPECT_EQ(0x100200, regs.rip);
	EXPECT_EQ(LINUX_BOOT_PARAMS, regs.rsi);
	EXPECT_EQ(0x10, sregs.cs.selector);
	EXPECT_EQ(0x18, sregs.ds.selector);
	EXPECT_EQ(0x18, sregs.ss.selector);
	EXPECT_TRUE(sregs.cs.ar & HVX_AR_L);
	EXPECT_EQ(LINUX_PML4, sregs.cr3);
	EXPECT_EQ(0x500, sregs.efer);
	EXPECT_EQ(0x2, regs.rflags);	/* interrupts off */
	EXPECT_EQ(LINUX_GDT, sregs.gdt.base);
	EXPECT_EQ(31, sregs.gdt.limit);
}

TEST_HARNESS_MAIN
