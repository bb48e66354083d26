/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel's environment for self-contained module code
 * (no locking, no allocation) to build in a host-side unit test: the
 * kernel's integer type names and a few helpers.  Include it before the
 * module source.
 */
#ifndef HVX_TESTS_UNIT_KERNEL_SHIM_H
#define HVX_TESTS_UNIT_KERNEL_SHIM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;

#ifndef BIT
#define BIT(nr)		(1UL << (nr))
#endif
#ifndef BIT_ULL
#define BIT_ULL(nr)	(1ULL << (nr))
#endif
#ifndef __aligned
#define __aligned(x)	__attribute__((aligned(x)))
#endif
#ifndef S64_MAX
#define S64_MAX		INT64_MAX
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#endif /* HVX_TESTS_UNIT_KERNEL_SHIM_H */
