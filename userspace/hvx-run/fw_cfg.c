// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: a firmware configuration device with QEMU's fw_cfg interface,
 * the traditional port-based variant (no DMA), so that guests and their
 * drivers written for QEMU (Linux's qemu_fw_cfg, SeaBIOS) find what the
 * command line configured.
 *
 * Port 0x510 is the selector: a 16-bit write picks an item and rewinds
 * it.  Port 0x511 is the data port: each byte read returns the item's
 * next byte, and 0 past its end.  The io_bus hands a 16-bit OUT to 0x510
 * over as a byte to 0x510 and then one to 0x511, so a byte to 0x510
 * selects at once (its key in the low byte) and a byte to 0x511 right
 * after it is the key's high byte; otherwise writes to the data port are
 * ignored, as the legacy interface has them (items are read-only).
 * Reads of the selector port return 0.
 *
 * The items: the signature "QEMU" (0x0000), the interface ID (0x0001,
 * bit 0: the traditional interface), the RAM size as a little-endian u64
 * (0x0003), the number of CPUs as a little-endian u16 (0x0005), the
 * kernel command line's size including its NUL as a little-endian u32
 * (0x0014) and its bytes (0x0015), and the file directory (0x0019): a
 * big-endian u32 count, then per file a big-endian u32 size, a
 * big-endian u16 key, two reserved bytes and a NUL-padded 56-byte name.
 * Files get the keys from 0x0020 up, in the order they were added.  A
 * key with no item reads as an empty item: all zeros.
 */
#include <stdlib.h>
#include <string.h>

#include "hvx-run.h"

#define FW_CFG_SIGNATURE	0x0000
#define FW_CFG_ID		0x0001
#define FW_CFG_RAM_SIZE		0x0003
#define FW_CFG_NB_CPUS		0x0005
#define FW_CFG_CMDLINE_SIZE	0x0014
#define FW_CFG_CMDLINE_DATA	0x0015
#define FW_CFG_FILE_DIR		0x0019
#define FW_CFG_FILE_FIRST	0x0020

#define FW_CFG_ID_TRADITIONAL	0x01

#define DIR_ENTRY_SIZE		64

static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

static void put_be(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = v >> (8 * (n - 1 - i));
}

/* Rebuild the directory item from the files; lock held or not shared. */
static void build_dir(struct fw_cfg *f)
{
	uint8_t *p = f->dir;
	unsigned int i;

	put_be(p, f->nr_files, 4);
	p += 4;
	for (i = 0; i < f->nr_files; i++, p += DIR_ENTRY_SIZE) {
		const struct fw_cfg_file *file = &f->files[i];

		memset(p, 0, DIR_ENTRY_SIZE);
		put_be(p, file->len, 4);
		put_be(p + 4, FW_CFG_FILE_FIRST + i, 2);
		memcpy(p + 8, file->name, strlen(file->name));
	}
	f->dir_len = p - f->dir;
}

/**
 * fw_cfg_init() - the device with its fixed items and no files
 * @f: the device
 * @ram_size: guest RAM, for the RAM size item
 * @nr_cpus: vCPUs, for the CPU count item
 * @cmdline: the kernel command line, or NULL for none (the size item
 *	then reads 0); not copied: it must outlive the device
 */
void fw_cfg_init(struct fw_cfg *f, uint64_t ram_size, uint16_t nr_cpus,
		 const char *cmdline)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	memcpy(f->signature, "QEMU", 4);
	put_le(f->id, FW_CFG_ID_TRADITIONAL, 4);
	put_le(f->ram_size, ram_size, 8);
	put_le(f->nr_cpus, nr_cpus, 2);
	f->cmdline = cmdline;
	if (cmdline)
		put_le(f->cmdline_size, strlen(cmdline) + 1, 4);
	build_dir(f);
}

/**
 * fw_cfg_destroy() - undo fw_cfg_init(), freeing the files' copies
 * @f: the device
 */
void fw_cfg_destroy(struct fw_cfg *f)
{
	unsigned int i;

	for (i = 0; i < f->nr_files; i++)
		free(f->files[i].data);
	f->nr_files = 0;
	pthread_mutex_destroy(&f->lock);
}

/**
 * fw_cfg_add_file() - add a named file to the directory
 * @f: the device, before the guest runs or not
 * @name: its name, 1 to FW_CFG_NAME_MAX - 1 characters ("etc/..."), not
 *	yet in the directory
 * @data: its contents, copied
 * @len: their size
 *
 * Return: the file's key (0x0020 and up), or -1 when the name is empty,
 * too long or taken, the directory is full (FW_CFG_MAX_FILES) or memory
 * ran out.
 */
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data,
		    uint32_t len)
{
	struct fw_cfg_file *file;
	size_t n = strlen(name);
	unsigned int i;
	uint8_t *copy;
	int key = -1;

	if (!n || n >= FW_CFG_NAME_MAX)
		return -1;
	/* malloc(0) may return NULL: keep one byte for an empty file. */
	copy = malloc(len ? len : 1);
	if (!copy)
		return -1;
	if (len)
		memcpy(copy, data, len);
	pthread_mutex_lock(&f->lock);
	for (i = 0; i < f->nr_files; i++)
		if (!strcmp(f->files[i].name, name))
			goto out;
	if (f->nr_files == FW_CFG_MAX_FILES)
		goto out;
	file = &f->files[f->nr_files];
	memcpy(file->name, name, n + 1);
	file->data = copy;
	file->len = len;
	key = FW_CFG_FILE_FIRST + f->nr_files++;
	copy = NULL;
	build_dir(f);
out:
	pthread_mutex_unlock(&f->lock);
	free(copy);
	return key;
}

/* The selected item's bytes; lock held.  No item: empty. */
static const uint8_t *item(struct fw_cfg *f, uint32_t *len)
{
	unsigned int key = f->selector;

	switch (key) {
	case FW_CFG_SIGNATURE:
		*len = sizeof(f->signature);
		return f->signature;
	case FW_CFG_ID:
		*len = sizeof(f->id);
		return f->id;
	case FW_CFG_RAM_SIZE:
		*len = sizeof(f->ram_size);
		return f->ram_size;
	case FW_CFG_NB_CPUS:
		*len = sizeof(f->nr_cpus);
		return f->nr_cpus;
	case FW_CFG_CMDLINE_SIZE:
		*len = sizeof(f->cmdline_size);
		return f->cmdline_size;
	case FW_CFG_CMDLINE_DATA:
		*len = f->cmdline ? strlen(f->cmdline) + 1 : 0;
		return (const uint8_t *)f->cmdline;
	case FW_CFG_FILE_DIR:
		*len = f->dir_len;
		return f->dir;
	}
	if (key >= FW_CFG_FILE_FIRST &&
	    key < FW_CFG_FILE_FIRST + f->nr_files) {
		*len = f->files[key - FW_CFG_FILE_FIRST].len;
		return f->files[key - FW_CFG_FILE_FIRST].data;
	}
	*len = 0;
	return NULL;
}

/**
 * fw_cfg_select() - write the selector
 * @f: the device
 * @key: the item; reading starts again at its first byte
 */
void fw_cfg_select(struct fw_cfg *f, uint16_t key)
{
	pthread_mutex_lock(&f->lock);
	f->selector = key;
	f->offset = 0;
	f->hi_pending = false;
	pthread_mutex_unlock(&f->lock);
}

/**
 * fw_cfg_read() - read the data port
 * @f: the device
 *
 * Return: the selected item's next byte, 0 past its end.
 */
uint8_t fw_cfg_read(struct fw_cfg *f)
{
	const uint8_t *p;
	uint32_t len;
	uint8_t v = 0;

	pthread_mutex_lock(&f->lock);
	f->hi_pending = false;
	p = item(f, &len);
	if (f->offset < len) {
		v = p[f->offset];
		f->offset++;
	}
	pthread_mutex_unlock(&f->lock);
	return v;
}

static uint8_t port_in(void *opaque, uint16_t port)
{
	struct fw_cfg *f = opaque;

	if (port == FW_CFG_PORT_SEL)
		return 0;
	return fw_cfg_read(f);
}

static void port_out(void *opaque, uint16_t port, uint8_t val)
{
	struct fw_cfg *f = opaque;

	pthread_mutex_lock(&f->lock);
	if (port == FW_CFG_PORT_SEL) {
		/* Either a whole 8-bit key or the low half of a 16-bit one. */
		f->selector = val;
		f->offset = 0;
		f->hi_pending = true;
	} else if (f->hi_pending) {
		f->selector |= val << 8;
		f->hi_pending = false;
	}
	pthread_mutex_unlock(&f->lock);
}

static const struct io_port_ops fw_cfg_ops = {
	.in = port_in,
	.out = port_out,
};

/**
 * fw_cfg_register() - put the device at ports 0x510 (selector) and 0x511
 * (data)
 * @f: the device
 * @bus: the bus
 *
 * Return: 0, or -1 (see io_bus_register()).
 */
int fw_cfg_register(struct fw_cfg *f, struct io_bus *bus)
{
	return io_bus_register(bus, FW_CFG_PORT_SEL, 2, &fw_cfg_ops, f,
			       "fw_cfg");
}
