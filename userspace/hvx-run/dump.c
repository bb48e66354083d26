// SPDX-License-Identifier: GPL-2.0
/*
 * hvx-run: the register dump printed when a guest dies (triple fault,
 * failed VM entry, internal error), and what the run page says about it.
 */
#include <inttypes.h>

#include <hvx/libhvx.h>

#include "hvx-run.h"

static void seg(FILE *f, const char *name, const struct hvx_segment *s)
{
	fprintf(f, "%-4s sel=%04x base=%016" PRIx64 " limit=%08x ar=%05x\n",
		name, s->selector, (uint64_t)s->base, s->limit, s->ar);
}

/**
 * dump_regs() - print a vCPU's registers
 * @f: where to
 * @regs: general-purpose registers, RIP, RFLAGS
 * @sregs: segments, descriptor tables, control registers, EFER; or NULL
 */
void dump_regs(FILE *f, const struct hvx_regs *regs,
	       const struct hvx_sregs *sregs)
{
	fprintf(f,
		"RAX=%016" PRIx64 " RBX=%016" PRIx64 " RCX=%016" PRIx64
		" RDX=%016" PRIx64 "\n"
		"RSI=%016" PRIx64 " RDI=%016" PRIx64 " RSP=%016" PRIx64
		" RBP=%016" PRIx64 "\n"
		"R8 =%016" PRIx64 " R9 =%016" PRIx64 " R10=%016" PRIx64
		" R11=%016" PRIx64 "\n"
		"R12=%016" PRIx64 " R13=%016" PRIx64 " R14=%016" PRIx64
		" R15=%016" PRIx64 "\n"
		"RIP=%016" PRIx64 " RFLAGS=%08" PRIx64 "\n",
		(uint64_t)regs->rax, (uint64_t)regs->rbx,
		(uint64_t)regs->rcx, (uint64_t)regs->rdx,
		(uint64_t)regs->rsi, (uint64_t)regs->rdi,
		(uint64_t)regs->rsp, (uint64_t)regs->rbp,
		(uint64_t)regs->r8, (uint64_t)regs->r9,
		(uint64_t)regs->r10, (uint64_t)regs->r11,
		(uint64_t)regs->r12, (uint64_t)regs->r13,
		(uint64_t)regs->r14, (uint64_t)regs->r15,
		(uint64_t)regs->rip, (uint64_t)regs->rflags);
	if (!sregs)
		return;
	seg(f, "CS", &sregs->cs);
	seg(f, "DS", &sregs->ds);
	seg(f, "ES", &sregs->es);
	seg(f, "FS", &sregs->fs);
	seg(f, "GS", &sregs->gs);
	seg(f, "SS", &sregs->ss);
	seg(f, "TR", &sregs->tr);
	seg(f, "LDT", &sregs->ldt);
	fprintf(f, "GDT  base=%016" PRIx64 " limit=%04x\n",
		(uint64_t)sregs->gdt.base, sregs->gdt.limit);
	fprintf(f, "IDT  base=%016" PRIx64 " limit=%04x\n",
		(uint64_t)sregs->idt.base, sregs->idt.limit);
	fprintf(f,
		"CR0=%016" PRIx64 " CR2=%016" PRIx64 " CR3=%016" PRIx64 "\n"
		"CR4=%016" PRIx64 " CR8=%016" PRIx64 " EFER=%016" PRIx64 "\n",
		(uint64_t)sregs->cr0, (uint64_t)sregs->cr2,
		(uint64_t)sregs->cr3, (uint64_t)sregs->cr4,
		(uint64_t)sregs->cr8, (uint64_t)sregs->efer);
}

static const char *const suberrors[] = {
	[HVX_INTERNAL_EMULATION] = "instruction hvx cannot emulate",
	[HVX_INTERNAL_UNHANDLED] = "VM exit hvx does not handle",
	[HVX_INTERNAL_DELIVERY] = "exit during event delivery",
	[HVX_INTERNAL_PAGE_WALK] = "guest page table outside RAM",
};

static void dump_internal(FILE *f, const struct hvx_run *run)
{
	uint32_t sub = run->internal.suberror;
	uint32_t ndata = run->internal.ndata;
	const uint8_t *insn = (const uint8_t *)&run->internal.data[4];
	uint64_t n, i;

	fprintf(f, "suberror %u (%s)\n", sub,
		sub < ARRAY_SIZE(suberrors) &&
		suberrors[sub] ? suberrors[sub] : "unknown");
	if (ndata > 16)
		ndata = 16;
	if (ndata >= 3)
		fprintf(f, "exit reason %" PRIu64 ", qualification 0x%" PRIx64
			", guest-physical address 0x%" PRIx64 "\n",
			(uint64_t)run->internal.data[0],
			(uint64_t)run->internal.data[1],
			(uint64_t)run->internal.data[2]);
	if (ndata >= 4) {
		n = run->internal.data[3];
		if (n > 16 || ndata < 6)
			n = 0;
		fprintf(f, "instruction bytes (%" PRIu64 "):", n);
		for (i = 0; i < n; i++)
			fprintf(f, " %02x", insn[i]);
		fprintf(f, "\n");
	}
	for (i = 6; i < ndata; i++)
		fprintf(f, "data[%" PRIu64 "]=0x%" PRIx64 "\n", i,
			(uint64_t)run->internal.data[i]);
}

/**
 * dump_exit() - print what the run page says about a fatal exit
 * @f: where to
 * @run: the run page after HVX_EXIT_SHUTDOWN, _FAIL_ENTRY or
 *	 _INTERNAL_ERROR (other reasons: only the name)
 */
void dump_exit(FILE *f, const struct hvx_run *run)
{
	uint64_t hw;

	fprintf(f, "exit reason %u (%s)\n", run->exit_reason,
		hvx_exit_reason_name(run->exit_reason));
	switch (run->exit_reason) {
	case HVX_EXIT_FAIL_ENTRY:
		hw = run->fail_entry.hardware_exit_reason;
		if (hw & HVX_FAIL_ENTRY_VMFAIL)
			fprintf(f, "VMLAUNCH/VMRESUME failed: VM-instruction error %" PRIu64 "\n",
				hw & 0xffffffff);
		else
			fprintf(f, "hardware exit reason 0x%" PRIx64
				" (basic reason %" PRIu64 "%s)\n", hw,
				hw & 0xffff, (hw & 0xffff) == 33 ?
				": invalid guest state" : (hw & 0xffff) == 34 ?
				": MSR loading" : (hw & 0xffff) == 41 ?
				": machine-check event" : "");
		fprintf(f, "qualification 0x%" PRIx64 ", host CPU %u\n",
			(uint64_t)run->fail_entry.qualification,
			run->fail_entry.cpu);
		break;
	case HVX_EXIT_INTERNAL_ERROR:
		dump_internal(f, run);
		break;
	case HVX_EXIT_EOI:
		fprintf(f, "level-triggered EOI of vector 0x%02x\n",
			run->eoi.vector);
		break;
	}
}
