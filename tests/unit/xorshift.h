/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The unit tests' random numbers: xorshift64 from a fixed seed, so that
 * a failing test fails the same way on every run.
 */
#ifndef HVX_TEST_XORSHIFT_H
#define HVX_TEST_XORSHIFT_H

#include <stdint.h>

/* The next number of the sequence in *@x (seeded non-zero). */
static inline uint64_t xorshift64(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

#endif /* HVX_TEST_XORSHIFT_H */
