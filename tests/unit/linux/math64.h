/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's mul_u64_u64_div_u64() for module code built into host-side
 * unit tests (see kernel_shim.h): a * mul / div with a 128-bit product.
 */
#ifndef HVX_TESTS_UNIT_LINUX_MATH64_H
#define HVX_TESTS_UNIT_LINUX_MATH64_H

#include <stdint.h>

static inline uint64_t mul_u64_u64_div_u64(uint64_t a, uint64_t mul,
					   uint64_t div)
{
	return (uint64_t)((unsigned __int128)a * mul / div);
}

#endif /* HVX_TESTS_UNIT_LINUX_MATH64_H */
