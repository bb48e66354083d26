/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's atomic_or() for module code built into host-side unit
 * tests (see kernel_shim.h).
 */
#ifndef HVX_TESTS_UNIT_LINUX_ATOMIC_H
#define HVX_TESTS_UNIT_LINUX_ATOMIC_H

typedef struct {
	int counter;
} atomic_t;

static inline void atomic_or(int i, atomic_t *v)
{
	__atomic_fetch_or(&v->counter, i, __ATOMIC_SEQ_CST);
}

#endif /* HVX_TESTS_UNIT_LINUX_ATOMIC_H */
