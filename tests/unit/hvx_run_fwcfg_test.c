// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of hvx-run's fw_cfg device (userspace/hvx-run/fw_cfg.c),
 * through ports 0x510/0x511 as a guest uses them: the signature after a
 * 16-bit selector write, the ID, RAM size and CPU count items, the
 * command line, the file directory, reads past the end, unknown keys,
 * reselecting, byte-wide selector writes and the file limits.
 */
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"

#include "../../userspace/hvx-run/hvx-run.h"

#define CMDLINE		"console=ttyS0 quiet"

FIXTURE(fwcfg) {
	struct fw_cfg f;
	struct io_bus *bus;
};

FIXTURE_SETUP(fwcfg)
{
	self->bus = malloc(sizeof(*self->bus));
	ASSERT_NE(NULL, self->bus);
	io_bus_init(self->bus, NULL);
	fw_cfg_init(&self->f, 3 * SZ_1G + 0x1234000, 6, CMDLINE);
	ASSERT_EQ(0, fw_cfg_register(&self->f, self->bus));
}

FIXTURE_TEARDOWN(fwcfg)
{
	fw_cfg_destroy(&self->f);
	io_bus_destroy(self->bus);
	free(self->bus);
}

/* A 16-bit OUT to the selector port, as outw does it. */
static void select_key(struct io_bus *bus, uint16_t key)
{
	uint8_t b[2] = { key & 0xff, key >> 8 };

	io_bus_out(bus, FW_CFG_PORT_SEL, 2, b);
}

static void read_data(struct io_bus *bus, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n--)
		io_bus_in(bus, FW_CFG_PORT_DATA, 1, p++);
}

static uint64_t get_le(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static uint64_t get_be(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

TEST_F(fwcfg, signature_and_id)
{
	uint8_t b[8];

	select_key(self->bus, 0x0000);
	read_data(self->bus, b, 4);
	EXPECT_EQ(0, memcmp(b, "QEMU", 4));
	select_key(self->bus, 0x0001);
	read_data(self->bus, b, 4);
	EXPECT_EQ(1, get_le(b, 4));		/* traditional, no DMA */
}

TEST_F(fwcfg, ram_and_cpus)
{
	uint8_t b[8];

	select_key(self->bus, 0x0003);
	read_data(self->bus, b, 8);
	EXPECT_EQ(3 * SZ_1G + 0x1234000, get_le(b, 8));
	select_key(self->bus, 0x0005);
	read_data(self->bus, b, 2);
	EXPECT_EQ(6, get_le(b, 2));
}

TEST_F(fwcfg, cmdline)
{
	char s[64];
	uint8_t b[4];

	select_key(self->bus, 0x0014);
	read_data(self->bus, b, 4);
	EXPECT_EQ(strlen(CMDLINE) + 1, get_le(b, 4));
	memset(s, 0x55, sizeof(s));
	select_key(self->bus, 0x0015);
	read_data(self->bus, s, strlen(CMDLINE) + 2);
	EXPECT_STREQ(CMDLINE, s);
	/* The NUL, then past the end. */
	EXPECT_EQ(0, s[strlen(CMDLINE) + 1]);

	/* No command line: size 0, no data. */
	fw_cfg_destroy(&self->f);
	fw_cfg_init(&self->f, SZ_1G, 1, NULL);
	select_key(self->bus, 0x0014);
	read_data(self->bus, b, 4);
	EXPECT_EQ(0, get_le(b, 4));
	select_key(self->bus, 0x0015);
	read_data(self->bus, b, 1);
	EXPECT_EQ(0, b[0]);
}

TEST_F(fwcfg, directory)
{
	static const char bootorder[] = "/pci@i0cf8/ide@1\n";
	uint8_t blob[300], dir[4 + 3 * 64], b[300];
	unsigned int i;

	/* Empty at first: the count only. */
	select_key(self->bus, 0x0019);
	read_data(self->bus, dir, 8);
	EXPECT_EQ(0, get_be(dir, 4));
	EXPECT_EQ(0, get_be(dir + 4, 4));

	for (i = 0; i < sizeof(blob); i++)
		blob[i] = i * 7;
	ASSERT_EQ(0x20, fw_cfg_add_file(&self->f, "bootorder", bootorder,
					strlen(bootorder)));
	ASSERT_EQ(0x21, fw_cfg_add_file(&self->f, "etc/hvx/blob", blob,
					sizeof(blob)));
	/* The contents are copied. */
	memset(blob, 0, sizeof(blob));

	select_key(self->bus, 0x0019);
	read_data(self->bus, dir, sizeof(dir));
	EXPECT_EQ(2, get_be(dir, 4));
	EXPECT_EQ(strlen(bootorder), get_be(dir + 4, 4));
	EXPECT_EQ(0x20, get_be(dir + 8, 2));
	EXPECT_EQ(0, get_be(dir + 10, 2));
	EXPECT_STREQ("bootorder", (char *)dir + 12);
	for (i = strlen("bootorder"); i < 56; i++)
		EXPECT_EQ(0, dir[12 + i]);
	EXPECT_EQ(300, get_be(dir + 68, 4));
	EXPECT_EQ(0x21, get_be(dir + 72, 2));
	EXPECT_EQ(0, get_be(dir + 74, 2));
	EXPECT_STREQ("etc/hvx/blob", (char *)dir + 76);
	/* The directory ends after two entries. */
	for (i = 4 + 2 * 64; i < sizeof(dir); i++)
		EXPECT_EQ(0, dir[i]);

	/* The files, by the keys the directory gives. */
	select_key(self->bus, get_be(dir + 72, 2));
	read_data(self->bus, b, sizeof(b));
	for (i = 0; i < sizeof(b); i++)
		EXPECT_EQ((uint8_t)(i * 7), b[i]);
	select_key(self->bus, get_be(dir + 8, 2));
	memset(b, 0x55, sizeof(b));
	read_data(self->bus, b, strlen(bootorder) + 1);
	EXPECT_EQ(0, memcmp(b, bootorder, strlen(bootorder)));
	EXPECT_EQ(0, b[strlen(bootorder)]);
}

TEST_F(fwcfg, add_file_limits)
{
	char name[FW_CFG_NAME_MAX + 1];
	unsigned int i;

	EXPECT_EQ(-1, fw_cfg_add_file(&self->f, "", "x", 1));
	memset(name, 'a', sizeof(name));
	name[FW_CFG_NAME_MAX] = 0;		/* 56 characters: no NUL */
	EXPECT_EQ(-1, fw_cfg_add_file(&self->f, name, "x", 1));
	name[FW_CFG_NAME_MAX - 1] = 0;		/* 55 characters: fits */
	EXPECT_EQ(0x20, fw_cfg_add_file(&self->f, name, "x", 1));
	EXPECT_EQ(-1, fw_cfg_add_file(&self->f, name, "y", 1));
	EXPECT_EQ(0x21, fw_cfg_add_file(&self->f, "empty", NULL, 0));
	for (i = 2; i < FW_CFG_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		EXPECT_EQ(0x20 + (int)i, fw_cfg_add_file(&self->f, name,
							  "z", 1));
	}
	EXPECT_EQ(-1, fw_cfg_add_file(&self->f, "one-too-many", "z", 1));
}

TEST_F(fwcfg, past_end_and_unknown)
{
	uint8_t b[8];

	select_key(self->bus, 0x0000);
	read_data(self->bus, b, 8);
	EXPECT_EQ(0, memcmp(b, "QEMU\0\0\0\0", 8));
	/* Unknown keys, and a file key with no file, read zeros. */
	select_key(self->bus, 0x0042);
	memset(b, 0x55, sizeof(b));
	read_data(self->bus, b, 8);
	EXPECT_EQ(0, memcmp(b, "\0\0\0\0\0\0\0\0", 8));
	select_key(self->bus, 0x0020);
	read_data(self->bus, b, 1);
	EXPECT_EQ(0, b[0]);
	select_key(self->bus, 0xbeef);
	read_data(self->bus, b, 1);
	EXPECT_EQ(0, b[0]);
}

TEST_F(fwcfg, reselect_rewinds)
{
	uint8_t b[4];

	select_key(self->bus, 0x0000);
	read_data(self->bus, b, 2);
	EXPECT_EQ(0, memcmp(b, "QE", 2));
	select_key(self->bus, 0x0000);
	read_data(self->bus, b, 4);
	EXPECT_EQ(0, memcmp(b, "QEMU", 4));
	/* Through the API as well. */
	fw_cfg_select(&self->f, 0x0000);
	EXPECT_EQ('Q', fw_cfg_read(&self->f));
	fw_cfg_select(&self->f, 0x0000);
	EXPECT_EQ('Q', fw_cfg_read(&self->f));
}

TEST_F(fwcfg, byte_selector_writes)
{
	uint8_t b[4], v;

	/* The low half alone selects keys below 0x100. */
	v = 0x00;
	io_bus_out(self->bus, FW_CFG_PORT_SEL, 1, &v);
	read_data(self->bus, b, 4);
	EXPECT_EQ(0, memcmp(b, "QEMU", 4));
	/* A data-port write after a read does not change the key. */
	v = 0x05;
	io_bus_out(self->bus, FW_CFG_PORT_SEL, 1, &v);
	EXPECT_EQ(6, fw_cfg_read(&self->f));
	v = 0x01;
	io_bus_out(self->bus, FW_CFG_PORT_DATA, 1, &v);
	EXPECT_EQ(0, fw_cfg_read(&self->f));	/* still 0x0005's 2nd byte */
	/* Low then high byte by hand: key 0x0100, unknown, not 0x0000. */
	v = 0x00;
	io_bus_out(self->bus, FW_CFG_PORT_SEL, 1, &v);
	v = 0x01;
	io_bus_out(self->bus, FW_CFG_PORT_DATA, 1, &v);
	EXPECT_EQ(0, fw_cfg_read(&self->f));
	/* The selector port reads 0. */
	io_bus_in(self->bus, FW_CFG_PORT_SEL, 1, &v);
	EXPECT_EQ(0, v);
}

TEST_HARNESS_MAIN
