// SPDX-License-Identifier: GPL-2.0
/*
 * Names of the VMX basic exit reasons.  The kernel's uapi <asm/vmx.h>
 * (linux-libc-dev) is the one source: its VMX_EXIT_REASONS table is the
 * one the kernel's own tracepoints print.
 */
#include <stddef.h>
#include <asm/vmx.h>

#include "hvx_stat.h"

static const struct {
	unsigned int reason;
	const char *name;
} hs_reasons[] = { VMX_EXIT_REASONS };

const char *hs_exit_reason_name(uint32_t reason)
{
	size_t i;

	for (i = 0; i < sizeof(hs_reasons) / sizeof(hs_reasons[0]); i++)
		if (hs_reasons[i].reason == reason)
			return hs_reasons[i].name;
	return NULL;
}
