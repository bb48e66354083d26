/* SPDX-License-Identifier: GPL-2.0 */
#ifndef HVX_RUN_AML_H
#define HVX_RUN_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * AML, the DSDT's byte code (ACPI 6.0 chapter 20), built into a buffer.
 * Objects with a body (Scope, Device, Package, Buffer) start with a
 * PkgLength that counts itself and the body: one byte when that is below
 * 64 (bits 5:0), else 2 to 4 bytes, the first holding the number of
 * bytes that follow in bits 7:6 and the length's bits 3:0, each next byte
 * 8 more bits.  aml_open() notes where a body starts; aml_close() slides
 * it up to make room and writes its PkgLength.
 */
#define AML_MAX		2048

#define AML_ZERO	0x00	/* ZeroOp */
#define AML_ONE		0x01	/* OneOp */
#define AML_NAME	0x08	/* NameOp NameSeg DataObject */
#define AML_BYTE	0x0a	/* BytePrefix, then 1 byte */
#define AML_WORD	0x0b	/* WordPrefix, then 2 */
#define AML_DWORD	0x0c	/* DWordPrefix, then 4 */
#define AML_STRING	0x0d	/* StringPrefix, then ASCII and a NUL */
#define AML_QWORD	0x0e	/* QWordPrefix, then 8 */
#define AML_SCOPE	0x10	/* ScopeOp PkgLength NameString TermList */
#define AML_BUFFER	0x11	/* BufferOp PkgLength BufferSize bytes */
#define AML_PACKAGE	0x12	/* PackageOp PkgLength NumElements ... */
#define AML_EXT		0x5b	/* ExtOpPrefix */
#define AML_DEVICE	0x82	/* after it: DeviceOp PkgLength NameSeg ... */
#define AML_ROOT	0x5c	/* RootChar '\' */

struct aml {
	uint8_t b[AML_MAX];
	size_t len;
	bool overflow;
	bool bad_rsrc;		/* aml_crs() got a template marked bad */
};

/*
 * A resource template (ACPI 6.0 section 6.4), as the bytes of a Buffer:
 * small resource descriptors, then the end tag.  A descriptor that does
 * not fit, or cannot be encoded, is left out and marks the template bad;
 * aml_crs() passes that on to the AML, whose builder then fails.
 */
#define RSRC_MAX	128

struct rsrc {
	uint8_t b[RSRC_MAX];
	size_t len;
	bool bad;
};

void aml_byte(struct aml *a, uint8_t v);
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_nameseg(struct aml *a, const char *seg);
size_t aml_open(struct aml *a);
void aml_close(struct aml *a, size_t start);
void aml_integer(struct aml *a, uint64_t v);
void aml_eisa_id(struct aml *a, const char *id);
void rsrc_reset(struct rsrc *r);
uint8_t *rsrc_reserve(struct rsrc *r, size_t n);
void rsrc_io(struct rsrc *r, uint16_t port, uint8_t len);
void rsrc_irq(struct rsrc *r, unsigned int irq);
void rsrc_mem32_fixed(struct rsrc *r, uint32_t base, uint32_t len);
void aml_crs(struct aml *a, struct rsrc *r);
void aml_device(struct aml *a, const char *name, const char *hid,
		int uid, struct rsrc *crs);

/* acpi_pci.c: the PCI root of the DSDT */
void acpi_pci_root(struct aml *a);
void acpi_pci_reserve(struct rsrc *r);

#endif /* HVX_RUN_AML_H */
