// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the AML builder of the DSDT (acpi.c, acpi_pci.c): named
 * objects, integers, packages, devices and resource templates.
 */
#include <string.h>

#include "aml.h"

void aml_byte(struct aml *a, uint8_t v)
{
	if (a->len < AML_MAX)
		a->b[a->len++] = v;
	else
		a->overflow = true;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	const uint8_t *s = p;

	while (n--)
		aml_byte(a, *s++);
}

/* A NameSeg: exactly four characters, '_' padded by the caller. */
void aml_nameseg(struct aml *a, const char *seg)
{
	aml_bytes(a, seg, 4);
}

size_t aml_open(struct aml *a)
{
	return a->len;
}

void aml_close(struct aml *a, size_t start)
{
	size_t body = a->len - start, total = 0;
	unsigned int n, i;

	for (n = 1; n <= 4; n++) {
		total = body + n;
		if (total < (n == 1 ? 64U : 1U << (4 + 8 * (n - 1))))
			break;
	}
	if (n > 4 || a->len + n > AML_MAX) {
		a->overflow = true;
		return;
	}
	memmove(a->b + start + n, a->b + start, body);
	a->len += n;
	if (n == 1) {
		a->b[start] = total;
		return;
	}
	a->b[start] = (n - 1) << 6 | (total & 0xf);
	for (i = 1; i < n; i++)
		a->b[start + i] = total >> (4 + 8 * (i - 1));
}

/* An Integer in the shortest encoding: ZeroOp, OneOp, or a prefix. */
void aml_integer(struct aml *a, uint64_t v)
{
	unsigned int n, i;

	if (v <= 1) {
		aml_byte(a, v ? AML_ONE : AML_ZERO);
		return;
	}
	if (v <= 0xff) {
		aml_byte(a, AML_BYTE);
		n = 1;
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD);
		n = 2;
	} else if (v <= 0xffffffff) {
		aml_byte(a, AML_DWORD);
		n = 4;
	} else {
		aml_byte(a, AML_QWORD);
		n = 8;
	}
	for (i = 0; i < n; i++)
		aml_byte(a, v >> 8 * i);
}

static unsigned int hex_digit(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/*
 * EisaId ("PNP0501"): a DWord of the compressed EISA ID, the three
 * letters 5 bits each ('A' is 1) in bits 30:16 and the four hex digits
 * in bits 15:0, stored most significant byte first.  "PNP0501" is the
 * bytes 41 d0 05 01.
 */
void aml_eisa_id(struct aml *a, const char *id)
{
	uint32_t v;

	v = (uint32_t)(id[0] - '@') << 26 | (id[1] - '@') << 21 |
	    (id[2] - '@') << 16 | hex_digit(id[3]) << 12 |
	    hex_digit(id[4]) << 8 | hex_digit(id[5]) << 4 | hex_digit(id[6]);
	aml_byte(a, AML_DWORD);
	aml_byte(a, v >> 24);
	aml_byte(a, v >> 16);
	aml_byte(a, v >> 8);
	aml_byte(a, v);
}

/* An empty template, good again. */
void rsrc_reset(struct rsrc *r)
{
	r->len = 0;
	r->bad = false;
}

/**
 * rsrc_reserve() - room for the next descriptor of a resource template
 * @r: the template
 * @n: the descriptor's size in bytes
 *
 * Return: where to write its @n bytes, which now count in @r->len; NULL
 * if they do not fit, and @r is marked bad.
 */
uint8_t *rsrc_reserve(struct rsrc *r, size_t n)
{
	uint8_t *p;

	if (r->bad || n > RSRC_MAX - r->len) {
		r->bad = true;
		return NULL;
	}
	p = r->b + r->len;
	r->len += n;
	return p;
}

/*
 * IO (Decode16, port, port, 1, len): tag 0x47 (type 8, 7 bytes follow),
 * 0x01 (decodes 16 address bits), minimum and maximum base (the same:
 * the range cannot move), alignment, length.
 */
void rsrc_io(struct rsrc *r, uint16_t port, uint8_t len)
{
	uint8_t d[8] = { 0x47, 0x01, port & 0xff, port >> 8,
			 port & 0xff, port >> 8, 0x01, len };
	uint8_t *p = rsrc_reserve(r, sizeof(d));

	if (p)
		memcpy(p, d, sizeof(d));
}

/*
 * IRQNoFlags () {irq}: tag 0x22 (type 4, 2 bytes follow), the 16-bit mask
 * of ISA IRQs.  Without the optional flags byte the interrupt is edge
 * triggered, active high, as every ISA interrupt.  The mask has no bit for
 * an @irq above 15: that marks the template bad.
 */
void rsrc_irq(struct rsrc *r, unsigned int irq)
{
	uint8_t *p;

	if (irq > 15) {
		r->bad = true;
		return;
	}
	p = rsrc_reserve(r, 3);
	if (!p)
		return;
	p[0] = 0x22;
	p[1] = (1U << irq) & 0xff;
	p[2] = (1U << irq) >> 8;
}

/*
 * Memory32Fixed (ReadWrite, base, len): tag 0x86 (large item 6), length
 * 9, 0x01 (writable), the base and the length.
 */
void rsrc_mem32_fixed(struct rsrc *r, uint32_t base, uint32_t len)
{
	uint8_t *p = rsrc_reserve(r, 12);

	if (!p)
		return;
	p[0] = 0x86;
	p[1] = 9;
	p[2] = 0;
	p[3] = 0x01;
	p[4] = base;
	p[5] = base >> 8;
	p[6] = base >> 16;
	p[7] = base >> 24;
	p[8] = len;
	p[9] = len >> 8;
	p[10] = len >> 16;
	p[11] = len >> 24;
}

/*
 * Name (_CRS, ResourceTemplate () {...}): NameOp "_CRS" BufferOp
 * PkgLength BufferSize, the descriptors, and the end tag 0x79 (type 0xf,
 * 1 byte follows) with checksum 0, which means "do not check".  A bad
 * template, or one without room for the end tag, marks the AML with
 * bad_rsrc and adds nothing.
 */
void aml_crs(struct aml *a, struct rsrc *r)
{
	uint8_t *end = rsrc_reserve(r, 2);
	size_t pkg;

	if (!end) {
		a->bad_rsrc = true;
		return;
	}
	end[0] = 0x79;
	end[1] = 0x00;
	aml_byte(a, AML_NAME);
	aml_nameseg(a, "_CRS");
	aml_byte(a, AML_BUFFER);
	pkg = aml_open(a);
	aml_integer(a, r->len);
	aml_bytes(a, r->b, r->len);
	aml_close(a, pkg);
}

/*
 * Device (name) { Name (_HID, EisaId (hid)) [Name (_UID, uid)]
 * Name (_CRS, ...) }: ExtOpPrefix DeviceOp PkgLength NameSeg, then the
 * Name objects.  @uid < 0: no _UID.
 */
void aml_device(struct aml *a, const char *name, const char *hid,
		       int uid, struct rsrc *crs)
{
	size_t pkg;

	aml_byte(a, AML_EXT);
	aml_byte(a, AML_DEVICE);
	pkg = aml_open(a);
	aml_nameseg(a, name);
	aml_byte(a, AML_NAME);
	aml_nameseg(a, "_HID");
	aml_eisa_id(a, hid);
	if (uid >= 0) {
		aml_byte(a, AML_NAME);
		aml_nameseg(a, "_UID");
		aml_integer(a, uid);
	}
	aml_crs(a, crs);
	aml_close(a, pkg);
}
