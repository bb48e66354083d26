// SPDX-License-Identifier: GPL-2.0
/*
 * x86 state of selftest guests: the long-mode environment of vm_create()
 * (page tables, GDT, TSSs, IDT, registers), the real-mode and 32-bit
 * starts of tiny images, and the guest half of exception handling.
 *
 * The layout is documented in processor.h.  All descriptors are written
 * in the formats of the Intel SDM, "Segment Descriptors" and "IDT
 * Descriptors" (64-bit gates), because the guest's IRETQ and any
 * segment load read them back from memory even though VM entry takes its
 * state from the VMCS.
 */
#include <stdarg.h>
#include <stddef.h>

#include "hvx_util.h"

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_PS		(1ULL << 7)

#define DESC_CODE64	0x00af9b000000ffffULL
#define DESC_CODE32	0x00cf9b000000ffffULL
#define DESC_DATA	0x00cf93000000ffffULL

#define IDT_GATE_INTR	0x8eULL		/* P, DPL 0, 64-bit interrupt gate */
#define IDT_ENTRY_SIZE	16		/* lib/exception.S */
#define DF_IST		1

#define TSS_IST1	0x24
#define TSS_IOMAP	0x66
#define TSS_LIMIT	0x67

/* lib/exception.S */
extern char guest_idt_entries[];
extern char guest_code_return_trap[];

guest_handler_t guest_exception_handlers[256];

/*
 * Guest code: called by the common exception entry with the saved frame.
 * An installed handler wins; else a *_safe() helper's magic in R11 asks
 * to resume after the instruction; else the host hears of it and the
 * guest stops.
 */
void guest_exception_dispatch(struct guest_ex_regs *regs)
{
	guest_handler_t handler = guest_exception_handlers[regs->vector & 0xff];
	uint64_t cr2;

	if (handler) {
		handler(regs);
		return;
	}
	if (regs->r11 == GUEST_SAFE_MAGIC) {
		regs->r11 = regs->vector;
		regs->rip = regs->r10;
		regs->r10 = regs->error_code;
		return;
	}
	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	ucall_exception(regs->vector, regs->error_code, regs->rip, cr2);
}

/* Guest code: where a guest function returns to (lib/exception.S). */
void guest_code_returned(void)
{
	GUEST_FAIL("guest code returned without GUEST_DONE()");
}

static void setup_page_tables(struct test_vm *vm)
{
	uint64_t *pml4 = addr_gpa2hva(vm, GUEST_PML4_GPA, 4096);
	uint64_t *pdpt = addr_gpa2hva(vm, GUEST_PDPT_GPA, 4096);
	uint64_t *pd = addr_gpa2hva(vm, GUEST_PD_GPA, 4 * 4096);
	uint64_t *pt = addr_gpa2hva(vm, GUEST_PT0_GPA, 4096);
	uint64_t i;

	pml4[0] = GUEST_PDPT_GPA | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (GUEST_PD_GPA + i * 4096) | PTE_P | PTE_RW;
	/* 2048 entries of 2 MiB: 0 - 4 GiB, backed by RAM or not. */
	for (i = 0; i < 2048; i++)
		pd[i] = (i << 21) | PTE_P | PTE_RW | PTE_PS;
	/* The first 2 MiB in 4 KiB pages, page 0 left out. */
	pd[0] = GUEST_PT0_GPA | PTE_P | PTE_RW;
	pt[0] = 0;
	for (i = 1; i < 512; i++)
		pt[i] = (i << 12) | PTE_P | PTE_RW;
}

static void setup_gdt_tss(struct test_vm *vm)
{
	uint64_t *gdt = addr_gpa2hva(vm, GUEST_GDT_GPA, 4096);
	uint64_t tss, ist;
	uint8_t *p;
	uint32_t id;

	gdt[0] = 0;
	gdt[GUEST_CS_SEL / 8] = DESC_CODE64;
	gdt[GUEST_DS_SEL / 8] = DESC_DATA;
	for (id = 0; id < HVX_MAX_VCPUS; id++) {
		tss = GUEST_TSS_GPA + id * GUEST_TSS_SIZE;
		ist = GUEST_IST_GPA + (id + 1) * GUEST_IST_SIZE;

		/* 16-byte system descriptor: busy 64-bit TSS. */
		gdt[GUEST_TSS_SEL(id) / 8] = TSS_LIMIT |
			(tss & 0xffffff) << 16 | 0x8bULL << 40 |
			((tss >> 24) & 0xff) << 56;
		gdt[GUEST_TSS_SEL(id) / 8 + 1] = tss >> 32;

		p = addr_gpa2hva(vm, tss, GUEST_TSS_SIZE);
		memcpy(p + TSS_IST1, &ist, sizeof(ist));
		/* I/O map base beyond the limit: no I/O permission bitmap. */
		p[TSS_IOMAP] = TSS_LIMIT + 1;
	}
}

static void setup_idt(struct test_vm *vm)
{
	uint64_t *idt = addr_gpa2hva(vm, GUEST_IDT_GPA, 256 * 16);
	uint64_t entry, ist;
	int v;

	for (v = 0; v < 256; v++) {
		entry = (uintptr_t)guest_idt_entries + v * IDT_ENTRY_SIZE;
		ist = v == DF_VECTOR ? DF_IST : 0;
		idt[2 * v] = (entry & 0xffff) | (uint64_t)GUEST_CS_SEL << 16 |
			     ist << 32 | IDT_GATE_INTR << 40 |
			     ((entry >> 16) & 0xffff) << 48;
		idt[2 * v + 1] = entry >> 32;
	}
}

void vm_setup_long_mode(struct test_vm *vm)
{
	TEST_ASSERT(vm->ram_size % (2 * MiB) == 0,
		    "RAM size %#llx: not a multiple of 2 MiB",
		    (unsigned long long)vm->ram_size);
	setup_page_tables(vm);
	setup_gdt_tss(vm);
	setup_idt(vm);
	vm->long_mode = true;
}

void vm_install_exception_handler(struct test_vm *vm, int vector,
				  guest_handler_t handler)
{
	TEST_ASSERT(vm->long_mode && vector >= 0 && vector < 256,
		    "vector %d", vector);
	guest_global(vm, guest_exception_handlers)[vector] = handler;
}

static struct hvx_segment segment(uint16_t sel, uint64_t base,
				  uint32_t limit, uint32_t ar)
{
	struct hvx_segment s = {
		.base = base, .limit = limit, .selector = sel, .ar = ar,
	};

	return s;
}

void vcpu_setup_long_mode(struct test_vcpu *vcpu, void *guest_code)
{
	struct test_vm *vm = vcpu->vm;
	struct hvx_sregs sregs;
	struct hvx_regs regs;
	struct hvx_segment data;
	uint64_t top, trap = (uintptr_t)guest_code_return_trap;

	TEST_ASSERT(vm->long_mode, "vCPU %u: VM not made by vm_create()",
		    vcpu->id);
	top = vm->ram_size - (uint64_t)vcpu->id * GUEST_STACK_SIZE;
	TEST_ASSERT(top - GUEST_STACK_SIZE >= vm->image_end,
		    "no room for the stack of vCPU %u", vcpu->id);

	vcpu_sregs_get(vcpu, &sregs);
	data = segment(GUEST_DS_SEL, 0, 0xffffffff, AR_DATA);
	sregs.cs = segment(GUEST_CS_SEL, 0, 0xffffffff, AR_CODE64);
	sregs.ds = data;
	sregs.es = data;
	sregs.fs = data;
	sregs.gs = data;
	sregs.ss = data;
	sregs.tr = segment(GUEST_TSS_SEL(vcpu->id),
			   GUEST_TSS_GPA + vcpu->id * GUEST_TSS_SIZE,
			   TSS_LIMIT, AR_TSS_BUSY);
	sregs.ldt = segment(0, 0, 0, HVX_AR_UNUSABLE);
	sregs.gdt.base = GUEST_GDT_GPA;
	sregs.gdt.limit = 4095;
	sregs.idt.base = GUEST_IDT_GPA;
	sregs.idt.limit = 256 * 16 - 1;
	sregs.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		    X86_CR0_WP | X86_CR0_PG;
	sregs.cr3 = GUEST_PML4_GPA;
	sregs.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	sregs.cr8 = 0;
	sregs.efer = EFER_LME | EFER_LMA;
	vcpu_sregs_set(vcpu, &sregs);

	/*
	 * Enter as if called: the return address (a trap reporting that
	 * guest code returned) at RSP, RSP + 8 16-byte aligned.
	 */
	memcpy(addr_gpa2hva(vm, top - 8, 8), &trap, 8);
	memset(&regs, 0, sizeof(regs));
	regs.rip = (uintptr_t)guest_code;
	regs.rsp = top - 8;
	regs.rflags = X86_RFLAGS_FIXED;
	vcpu_regs_set(vcpu, &regs);
}

bool vcpu_enable_osxsave(struct test_vcpu *vcpu)
{
	struct hvx_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr4 |= X86_CR4_OSXSAVE;
	return __vcpu_ioctl(vcpu, HVX_SET_SREGS, &sregs) == 0;
}

void vcpu_setup_real_mode(struct test_vcpu *vcpu, uint16_t ip, uint16_t sp)
{
	struct hvx_sregs sregs;
	struct hvx_regs regs;
	struct hvx_segment data = segment(0, 0, 0xffff, AR_REAL_DATA);

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cs = segment(0, 0, 0xffff, AR_REAL_CODE);
	sregs.ds = data;
	sregs.es = data;
	sregs.fs = data;
	sregs.gs = data;
	sregs.ss = data;
	/* VM entry wants a usable TR even in real mode: a busy TSS. */
	sregs.tr = segment(0, 0, 0xffff, AR_TSS_BUSY);
	sregs.ldt = segment(0, 0, 0, HVX_AR_UNUSABLE);
	sregs.gdt.base = 0;
	sregs.gdt.limit = 0xffff;
	sregs.idt.base = 0;
	sregs.idt.limit = 0x3ff;
	sregs.cr0 = X86_CR0_ET;
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.cr8 = 0;
	sregs.efer = 0;
	vcpu_sregs_set(vcpu, &sregs);

	memset(&regs, 0, sizeof(regs));
	regs.rip = ip;
	regs.rsp = sp;
	regs.rflags = X86_RFLAGS_FIXED;
	vcpu_regs_set(vcpu, &regs);
}

void vcpu_setup_pm32(struct test_vcpu *vcpu, uint64_t gdt_gpa,
		     uint32_t eip, uint32_t esp)
{
	uint64_t *gdt = addr_gpa2hva(vcpu->vm, gdt_gpa, 24);
	struct hvx_segment data = segment(0x10, 0, 0xffffffff, AR_DATA);
	struct hvx_sregs sregs;
	struct hvx_regs regs;

	gdt[0] = 0;
	gdt[1] = DESC_CODE32;
	gdt[2] = DESC_DATA;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cs = segment(0x08, 0, 0xffffffff, AR_CODE32);
	sregs.ds = data;
	sregs.es = data;
	sregs.fs = data;
	sregs.gs = data;
	sregs.ss = data;
	sregs.tr = segment(0, 0, 0xffff, AR_TSS_BUSY);
	sregs.ldt = segment(0, 0, 0, HVX_AR_UNUSABLE);
	sregs.gdt.base = gdt_gpa;
	sregs.gdt.limit = 23;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.cr8 = 0;
	sregs.efer = 0;
	vcpu_sregs_set(vcpu, &sregs);

	memset(&regs, 0, sizeof(regs));
	regs.rip = eip;
	regs.rsp = esp;
	regs.rflags = X86_RFLAGS_FIXED;
	vcpu_regs_set(vcpu, &regs);
}

void vcpu_args_set(struct test_vcpu *vcpu, unsigned int n, ...)
{
	struct hvx_regs regs;
	__u64 *slots[] = {
		&regs.rdi, &regs.rsi, &regs.rdx, &regs.rcx, &regs.r8, &regs.r9,
	};
	unsigned int i;
	va_list ap;

	TEST_ASSERT(n <= ARRAY_SIZE(slots), "%u arguments", n);
	vcpu_regs_get(vcpu, &regs);
	va_start(ap, n);
	for (i = 0; i < n; i++)
		*slots[i] = va_arg(ap, uint64_t);
	va_end(ap);
	vcpu_regs_set(vcpu, &regs);
}
