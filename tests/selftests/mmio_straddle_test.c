// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_straddle_test: a load or store that starts in an MMIO page and
 * ends in the next page, RAM.  The MMIO exit carries only the bytes that
 * fall in the MMIO page, the rest go to (or come from) RAM, and a load
 * puts both parts together.  When the next page is not mapped by the
 * guest, the guest takes the #PF there and the MMIO part is not written.
 * (An access that starts in RAM and ends in MMIO is still emulated whole
 * at the MMIO page: its exit reports the second part's address only.)
 * A STOS element that straddles is not emulated: an internal error, not
 * an exit that writes RAM's bytes to the device.
 */
#include "hvx_harness.h"

#define MMIO_GPA	0x40000000ULL	/* beyond RAM, mapped by the guest */
#define RAM_GPA		(MMIO_GPA + 0x201000)	/* MMIO, RAM, MMIO */

static void guest_straddles(void)
{
	mmio_w32(RAM_GPA - 2, 0x55667788);
	GUEST_ASSERT_EQ(*(volatile uint16_t *)RAM_GPA, 0x5566);
	GUEST_ASSERT_EQ(mmio_r64(RAM_GPA - 3), 0x00bbaa5566beef00ULL);
	mmio_w16(RAM_GPA - 1, 0x1234);
	GUEST_ASSERT_EQ(*(volatile uint8_t *)RAM_GPA, 0x12);
	GUEST_DONE();
}

HVX_GUEST_TEST(straddling_access_split, guest_straddles)
{
	uint8_t *ram = vm_mem_add(vm, 1, 0, RAM_GPA, 0x1000);

	ram[2] = 0xaa;
	ram[3] = 0xbb;
	vcpu_expect_mmio(vcpu, RAM_GPA - 2, 2, true, 0x7788);
	EXPECT_EQ(0x66, ram[0]);
	EXPECT_EQ(0x55, ram[1]);
	vcpu_expect_mmio(vcpu, RAM_GPA - 3, 3, false, 0xbeef00);
	vcpu_expect_mmio(vcpu, RAM_GPA - 1, 1, true, 0x34);
	vcpu_expect_done(vcpu);
}

static volatile uint64_t pf_addr, pf_count;

static void pf_skip(struct guest_ex_regs *regs)
{
	uint64_t cr2;

	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	pf_addr = cr2;
	pf_count++;
	regs->rip += 2;		/* movl %eax, (%rdx) */
}

/* MMIO, then a page the host leaves out of the guest's page tables. */
static void guest_straddle_faults(void)
{
	asm volatile("movl %%eax, (%%rdx)"
		     : : "a"(0x11223344), "d"(RAM_GPA - 2) : "memory");
	GUEST_ASSERT_EQ(pf_count, 1);
	GUEST_ASSERT_EQ(pf_addr, RAM_GPA);
	GUEST_DONE();
}

/*
 * A straddling store whose MMIO side is mapped and whose other side is
 * not: the guest takes the #PF there (CR2 the second page), and the MMIO
 * part is not written either.  The 2 MiB around them is mapped with a
 * page table the test builds, without RAM_GPA's page.
 */
HVX_GUEST_TEST(straddling_access_faults_on_its_other_side,
	       guest_straddle_faults)
{
	uint64_t pt_gpa = GUEST_SCRATCH_GPA + 0x1000;
	uint64_t base = RAM_GPA & ~(THP_SIZE - 1);
	uint64_t *pt = addr_gpa2hva(vm, pt_gpa, 4096);
	uint64_t *pde = addr_gpa2hva(vm, GUEST_PD_GPA + 8 * (base >> 21), 8);
	int i;

	for (i = 0; i < 512; i++)
		pt[i] = (base + i * 4096ULL) | 3;	/* present, writable */
	pt[(RAM_GPA - base) >> 12] = 0;
	*pde = pt_gpa | 3;
	vm_install_exception_handler(vm, PF_VECTOR, pf_skip);
	vcpu_expect_done(vcpu);
}


static void guest_stos_straddles(void)
{
	uint64_t di = RAM_GPA - 2;

	asm volatile("stosl" : "+D"(di) : "a"(0x55667788) : "memory");
	GUEST_DONE();
}

/*
 * (hvx made one 4-byte MMIO write at RAM_GPA - 2, two of its bytes RAM's,
 * which stayed unwritten.)
 */
HVX_GUEST_TEST(straddling_stos_is_internal_error, guest_stos_straddles)
{
	uint8_t *ram = vm_mem_add(vm, 1, 0, RAM_GPA, 0x1000);
	struct hvx_run *run = vcpu->run;

	ASSERT_EQ(0, __vcpu_run(vcpu));
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_INTERNAL_ERROR);
	EXPECT_EQ(HVX_INTERNAL_EMULATION, run->internal.suberror);
	EXPECT_EQ(RAM_GPA - 2, run->internal.data[2]);
	EXPECT_EQ(0xab, run->internal.data[4] & 0xff);	/* stos */
	EXPECT_EQ(0, ram[0]);
}

TEST_HARNESS_MAIN
