// SPDX-License-Identifier: GPL-2.0
/*
 * user_mode_test: what hvx emulates for guest user code (CPL 3) is
 * checked against the guest's page tables as the processor would check
 * it.  The guest gives user mode every page but one (SECRET_GPA, a
 * supervisor page) and one it leaves unmapped (ABSENT_GPA), then runs
 * small user-mode routines that end in UD2 (or a fault), each handled at
 * CPL 0 by returning to the code that entered user mode.
 *
 * - MOVS from MMIO to RAM: into a user page, the MMIO read exits, the
 *   data lands and the page's PTE is marked Dirty, as the processor's
 *   store would mark it (hvx left it clean); into the supervisor page or
 *   the absent one, the guest
 *   takes #PF (user, write) before any MMIO access, and nothing is
 *   written.  (hvx wrote the supervisor page, and ended the run with an
 *   emulation error for the absent one.)
 * - MOVS from RAM to MMIO: from the supervisor page, #PF (user, read)
 *   and no MMIO exit.
 * - MOVS from MMIO to a user page that the VMM unmaps while it serves the
 *   read: #PF (user, write) when the read completes.  (hvx ended the run
 *   with an emulation error.)
 * - REP OUTS with IOPL 3: from a user page, the bytes reach the port;
 *   from the supervisor page, #PF (user, read) and no I/O exit.  (hvx
 *   sent the supervisor page's bytes to the port.)
 * - With CR4.SMEP, a load from MMIO by user code on a user page exits to
 *   userspace with the right data.  (hvx fetched the user code as the
 *   supervisor, which SMEP refuses: an emulation error.)
 * - An MMIO access in a form hvx does not emulate (ADD from memory) is #UD
 *   for user code, as under KVM, and an internal error for the kernel.
 *   (User code ended the run with the internal error.)
 * - With CR4.SMAP, the kernel's INS into a user page is #PF unless
 *   RFLAGS.AC is set.  (hvx's walk did not check SMAP.)  On a processor
 *   with SMAP only: the emulated test host's has none.
 */
#include "hvx_harness.h"

#define MMIO_GPA	0x40000000ULL	/* beyond RAM: every access exits */
#define TEST_PORT	0x5f0

#define PTE_P		(1ULL << 0)
#define PTE_U		(1ULL << 2)
#define PTE_D		(1ULL << 6)

#define USER_CS		0xf03		/* GDT slot 0xf00, DPL 3 */
#define USER_SS		0xf0b		/* GDT slot 0xf08, DPL 3 */
#define DESC_UCODE64	0x00affb000000ffffULL
#define DESC_UDATA	0x00cff3000000ffffULL

#define USER_STACK	(GUEST_SCRATCH_GPA + 0x8000)	/* top */
#define KERNEL_STACK	(GUEST_SCRATCH_GPA + 0xa000)	/* top: TSS.RSP0 */
#define USER_BUF	(GUEST_SCRATCH_GPA + 0xb000)
#define SECRET_GPA	(GUEST_SCRATCH_GPA + 0xc000)
#define ABSENT_GPA	(GUEST_SCRATCH_GPA + 0xd000)
#define USER_CODE	(GUEST_SCRATCH_GPA + 0xe000)
#define TSS_RSP0	4

#define RFLAGS_IOPL3	(3ULL << 12)

#define PF_EC_P		(1U << 0)
#define PF_EC_W		(1U << 1)
#define PF_EC_U		(1U << 2)

#define SECRET		0x5ec4e75ec4e75ec4ULL

/* The user-mode routines: RSI, RDI and RCX come from enter_user(). */
asm(".pushsection .text\n"
    "user_movsb:\n"
    "	rep movsb\n"
    "	ud2\n"
    "user_outsb:\n"
    "	movw	$" XSTR(TEST_PORT) ", %dx\n"
    "	rep outsb\n"
    "	ud2\n"
    "user_load:\n"
    "	movb	(%rsi), %al\n"
    "	movb	%al, (%rdi)\n"
    "	ud2\n"
    "user_load_end:\n"
    "user_add:\n"
    "	addl	(%rsi), %eax\n"
    "	ud2\n"
    ".popsection\n");
extern char user_movsb[], user_outsb[], user_load[], user_load_end[];
extern char user_add[];
extern char user_return[];

static uint64_t kernel_rsp;
static volatile uint64_t fault_vector, fault_ec, fault_cr2, fault_rip;

/* The user segments, the stack a fault in user mode switches to, a flush. */
static void user_segments_setup(void)
{
	uint64_t *gdt = (uint64_t *)GUEST_GDT_GPA;
	uint64_t cr3;

	gdt[(USER_CS & ~3) / 8] = DESC_UCODE64;
	gdt[(USER_SS & ~3) / 8] = DESC_UDATA;
	*(volatile uint64_t *)(GUEST_TSS_GPA + TSS_RSP0) = KERNEL_STACK;
	asm volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

/* User access through the PML4E and PDPTEs: the lower levels decide. */
static void user_top_levels(void)
{
	uint64_t *pml4 = (uint64_t *)GUEST_PML4_GPA;
	uint64_t *pdpt = (uint64_t *)GUEST_PDPT_GPA;
	int i;

	pml4[0] |= PTE_U;
	for (i = 0; i < 4; i++)
		pdpt[i] |= PTE_U;
}

/* Every page but SECRET_GPA's for user mode; ABSENT_GPA unmapped. */
static void user_mode_setup(void)
{
	uint64_t *pd = (uint64_t *)GUEST_PD_GPA;
	uint64_t *pt = (uint64_t *)GUEST_PT0_GPA;
	int i;

	user_top_levels();
	for (i = 0; i < 4 * 512; i++)
		pd[i] |= PTE_U;
	for (i = 0; i < 512; i++)
		pt[i] |= PTE_U;
	pt[SECRET_GPA >> 12] &= ~PTE_U;
	pt[ABSENT_GPA >> 12] &= ~PTE_P;
	user_segments_setup();
	*(volatile uint64_t *)SECRET_GPA = SECRET;
}

/*
 * For SMEP: only the user stack, USER_BUF, USER_CODE and the MMIO page
 * are user pages; the test's own code stays the supervisor's.
 */
static void smep_setup(void)
{
	uint64_t *pd = (uint64_t *)GUEST_PD_GPA;
	uint64_t *pt = (uint64_t *)GUEST_PT0_GPA;

	user_top_levels();
	pd[0] |= PTE_U;				/* the table of PT0 */
	pd[MMIO_GPA >> 21] |= PTE_U;
	pt[(USER_STACK - 1) >> 12] |= PTE_U;
	pt[USER_BUF >> 12] |= PTE_U;
	pt[USER_CODE >> 12] |= PTE_U;
	memcpy((void *)USER_CODE, user_load, user_load_end - user_load);
	user_segments_setup();
}

/* Back to CPL 0 at user_return, on the stack enter_user() left. */
static void user_fault(struct guest_ex_regs *regs)
{
	uint64_t cr2;

	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	fault_vector = regs->vector;
	fault_ec = regs->error_code;
	fault_cr2 = cr2;
	fault_rip = regs->rip;
	regs->rip = (uint64_t)user_return;
	regs->cs = GUEST_CS_SEL;
	regs->ss = GUEST_DS_SEL;
	regs->rsp = kernel_rsp;
	regs->rflags &= ~RFLAGS_IOPL3;
}

/* Run @fn at CPL 3 with RSI, RDI, RCX and RFLAGS; back after its fault. */
static void __attribute__((noinline))
enter_user(void *fn, uint64_t si, uint64_t di, uint64_t cx, uint64_t flags)
{
	fault_vector = ~0ULL;
	asm volatile("mov %%rsp, %[ksp]\n"
		     "pushq $" XSTR(USER_SS) "\n"
		     "pushq %[usp]\n"
		     "pushq %[fl]\n"
		     "pushq $" XSTR(USER_CS) "\n"
		     "pushq %[ip]\n"
		     "iretq\n"
		     ".globl user_return\n"
		     "user_return:\n"
		     : [ksp] "=m"(kernel_rsp), "+S"(si), "+D"(di), "+c"(cx)
		     : [usp] "r"(USER_STACK), [fl] "r"(flags | X86_RFLAGS_FIXED),
		       [ip] "r"(fn)
		     : "rax", "rdx", "memory");
}

static void guest_user_mode(void)
{
	volatile uint64_t *pt = (uint64_t *)GUEST_PT0_GPA;
	volatile uint8_t *buf = (uint8_t *)USER_BUF;

	user_mode_setup();

	/* MMIO to a clean user page: the read exits, the byte lands, UD2 */
	pt[USER_BUF >> 12] &= ~PTE_D;
	asm volatile("invlpg (%0)" : : "r"(USER_BUF) : "memory");
	enter_user(user_movsb, MMIO_GPA, USER_BUF, 1, 0);
	GUEST_ASSERT_EQ(fault_vector, UD_VECTOR);
	GUEST_ASSERT_EQ(buf[0], 0x5a);
	GUEST_ASSERT(pt[USER_BUF >> 12] & PTE_D);

	/* MMIO to the supervisor page: #PF before the MMIO read */
	enter_user(user_movsb, MMIO_GPA, SECRET_GPA, 4, 0);
	GUEST_SYNC(fault_vector);
	GUEST_SYNC(fault_ec);
	GUEST_SYNC(fault_cr2);
	GUEST_ASSERT_EQ(*(volatile uint64_t *)SECRET_GPA, SECRET);

	/* MMIO to the absent page: #PF, not an emulation error */
	enter_user(user_movsb, MMIO_GPA + 8, ABSENT_GPA, 1, 0);
	GUEST_SYNC(fault_vector);
	GUEST_SYNC(fault_ec);
	GUEST_SYNC(fault_cr2);

	/* the supervisor page to MMIO: #PF, no MMIO write */
	enter_user(user_movsb, SECRET_GPA, MMIO_GPA, 8, 0);
	GUEST_SYNC(fault_vector);
	GUEST_SYNC(fault_ec);

	/* OUTS from a user page reaches the port */
	buf[0] = 0x11;
	buf[1] = 0x22;
	enter_user(user_outsb, USER_BUF, 0, 2, RFLAGS_IOPL3);
	GUEST_ASSERT_EQ(fault_vector, UD_VECTOR);

	/* OUTS from the supervisor page: #PF, no I/O */
	enter_user(user_outsb, SECRET_GPA, 0, 8, RFLAGS_IOPL3);
	GUEST_SYNC(fault_vector);
	GUEST_SYNC(fault_ec);
	GUEST_SYNC(fault_cr2);

	/* MMIO to a user page gone by the time the read completes: #PF */
	enter_user(user_movsb, MMIO_GPA + 16, USER_BUF + 64, 1, 0);
	GUEST_SYNC(fault_vector);
	GUEST_SYNC(fault_ec);
	GUEST_SYNC(fault_cr2);
	GUEST_DONE();
}

static void guest_user_load_smep(void)
{
	volatile uint8_t *buf = (uint8_t *)USER_BUF;
	uint32_t eax, ebx, ecx, edx;
	uint64_t cr4;

	cpuid_count(7, 0, &eax, &ebx, &ecx, &edx);
	GUEST_SYNC(!!(ebx & CPUID_7_EBX_SMEP));
	smep_setup();
	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	asm volatile("mov %0, %%cr4" : : "r"(cr4 | X86_CR4_SMEP));
	enter_user((void *)USER_CODE, MMIO_GPA + 4, USER_BUF, 0, 0);
	GUEST_ASSERT_EQ(fault_vector, UD_VECTOR);
	GUEST_ASSERT_EQ(buf[0], 0xa5);
	GUEST_DONE();
}

static void guest_user_unemulated(void)
{
	uint32_t sum = 0;

	user_mode_setup();
	/* at CPL 3: #UD at the ADD, not at the UD2 after it */
	enter_user(user_add, MMIO_GPA, 0, 0, 0);
	GUEST_SYNC(fault_vector);
	GUEST_SYNC(fault_rip - (uint64_t)user_add);
	/* at CPL 0: the run ends */
	asm volatile("addl (%1), %0" : "+r"(sum) : "r"(MMIO_GPA) : "memory");
	GUEST_DONE();
}

HVX_GUEST_TEST(unemulated_mmio_is_ud_in_user_mode, guest_user_unemulated)
{
	struct hvx_run *run = vcpu->run;

	vm_install_exception_handler(vm, PF_VECTOR, user_fault);
	vm_install_exception_handler(vm, GP_VECTOR, user_fault);
	vm_install_exception_handler(vm, UD_VECTOR, user_fault);
	vcpu_expect_sync(vcpu, UD_VECTOR);
	vcpu_expect_sync(vcpu, 0);
	ASSERT_EQ(0, __vcpu_run(vcpu));
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(HVX_INTERNAL_EMULATION, run->internal.suberror);
	EXPECT_EQ(MMIO_GPA, run->internal.data[2]);
}

/* INSB at @addr from CPL 0: the vector it raised (-1: none), EC, CR2. */
static int insb_safe(uint64_t addr, uint64_t *ec, uint64_t *cr2)
{
	register uint64_t r10 asm("r10");
	register uint64_t r11 asm("r11");
	uint64_t p = addr;

	asm volatile(GUEST_SAFE_BEGIN "insb" GUEST_SAFE_END
		     : "+D"(p), "=&r"(r10), "=&r"(r11)
		     : "d"(TEST_PORT) : "memory");
	*ec = r10;
	asm volatile("mov %%cr2, %0" : "=r"(*cr2));
	return (int)r11;
}

static void guest_smap_ins(void)
{
	uint64_t *pt = (uint64_t *)GUEST_PT0_GPA;
	uint32_t eax, ebx, ecx, edx;
	uint64_t cr4, ec, cr2;

	cpuid_count(7, 0, &eax, &ebx, &ecx, &edx);
	GUEST_SYNC(!!(ebx & CPUID_7_EBX_SMAP));
	user_top_levels();
	((uint64_t *)GUEST_PD_GPA)[0] |= PTE_U;
	pt[USER_BUF >> 12] |= PTE_U;
	user_segments_setup();
	asm volatile("mov %%cr4, %0" : "=r"(cr4));
	asm volatile("mov %0, %%cr4" : : "r"(cr4 | X86_CR4_SMAP));
	GUEST_ASSERT_EQ(insb_safe(USER_BUF, &ec, &cr2), PF_VECTOR);
	GUEST_ASSERT_EQ(ec, PF_EC_P | PF_EC_W);
	GUEST_ASSERT_EQ(cr2, USER_BUF);
	asm volatile("stac" : : : "memory");
	GUEST_ASSERT_EQ(insb_safe(USER_BUF, &ec, &cr2), -1);
	asm volatile("clac" : : : "memory");
	GUEST_DONE();
}

HVX_GUEST_TEST(kernel_ins_into_user_page_under_smap, guest_smap_ins)
{
	struct hvx_run *run = vcpu->run;
	uint8_t *buf = addr_gpa2hva(vm, USER_BUF, 1);
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_get_ucall(vcpu, &uc));
	HVX_REQUIRE(uc.args[0], "the guest's CPUID has no SMAP");
	/* no I/O exit for the first INS: the #PF comes before it */
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	ASSERT_EQ(HVX_IO_IN, run->io.direction);
	*((uint8_t *)run + run->io.data_offset) = 0x77;
	vcpu_expect_done(vcpu);
	EXPECT_EQ(0x77, buf[0]);
}

HVX_GUEST_TEST(user_mmio_load_under_smep, guest_user_load_smep)
{
	struct ucall uc;

	vm_install_exception_handler(vm, PF_VECTOR, user_fault);
	vm_install_exception_handler(vm, GP_VECTOR, user_fault);
	vm_install_exception_handler(vm, UD_VECTOR, user_fault);
	ASSERT_EQ(UCALL_SYNC, vcpu_get_ucall(vcpu, &uc));
	HVX_REQUIRE(uc.args[0], "the guest's CPUID has no SMEP");
	vcpu_expect_mmio(vcpu, MMIO_GPA + 4, 1, false, 0xa5);
	vcpu_expect_done(vcpu);
}

HVX_GUEST_TEST(emulated_accesses_check_user_pages, guest_user_mode)
{
	struct hvx_run *run = vcpu->run;
	uint64_t *pte;
	uint8_t *d;

	vm_install_exception_handler(vm, PF_VECTOR, user_fault);
	vm_install_exception_handler(vm, GP_VECTOR, user_fault);
	vm_install_exception_handler(vm, UD_VECTOR, user_fault);

	/* the control: a user page takes the MMIO data */
	vcpu_expect_mmio(vcpu, MMIO_GPA, 1, false, 0x5a);

	vcpu_expect_sync(vcpu, PF_VECTOR);
	vcpu_expect_sync(vcpu, PF_EC_U | PF_EC_W | PF_EC_P);
	vcpu_expect_sync(vcpu, SECRET_GPA);

	vcpu_expect_sync(vcpu, PF_VECTOR);
	vcpu_expect_sync(vcpu, PF_EC_U | PF_EC_W);
	vcpu_expect_sync(vcpu, ABSENT_GPA);

	vcpu_expect_sync(vcpu, PF_VECTOR);
	vcpu_expect_sync(vcpu, PF_EC_U | PF_EC_P);

	/* the control: OUTS from a user page */
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	EXPECT_EQ(HVX_IO_OUT, run->io.direction);
	EXPECT_EQ(TEST_PORT, run->io.port);
	EXPECT_EQ(1, run->io.size);
	ASSERT_EQ(2, run->io.count);
	d = (uint8_t *)run + run->io.data_offset;
	EXPECT_EQ(0x11, d[0]);
	EXPECT_EQ(0x22, d[1]);

	vcpu_expect_sync(vcpu, PF_VECTOR);
	vcpu_expect_sync(vcpu, PF_EC_U | PF_EC_P);
	vcpu_expect_sync(vcpu, SECRET_GPA);

	/* the read exits; the VMM unmaps the destination meanwhile */
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_MMIO);
	EXPECT_EQ(MMIO_GPA + 16, run->mmio.phys_addr);
	EXPECT_FALSE(run->mmio.is_write);
	pte = addr_gpa2hva(vm, GUEST_PT0_GPA + (USER_BUF >> 12) * 8,
			   sizeof(*pte));
	*pte &= ~PTE_P;
	run->mmio.data[0] = 0x77;
	vcpu_expect_sync(vcpu, PF_VECTOR);
	vcpu_expect_sync(vcpu, PF_EC_U | PF_EC_W);
	vcpu_expect_sync(vcpu, USER_BUF + 64);
	vcpu_expect_done(vcpu);
}

TEST_HARNESS_MAIN
