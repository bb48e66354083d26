/* SPDX-License-Identifier: GPL-2.0 */
/* BIT() and BIT_ULL() for module code built into host-side unit tests. */
#ifndef HVX_TESTS_UNIT_LINUX_BITS_H
#define HVX_TESTS_UNIT_LINUX_BITS_H

#include "../kernel_shim.h"

#endif /* HVX_TESTS_UNIT_LINUX_BITS_H */
