// SPDX-License-Identifier: GPL-2.0
/*
 * string_io_test: INS and OUTS exit before the processor checks their
 * memory operand's segment (SDM 26.1.1), so hvx checks it: REP INSB of 4
 * bytes 2 before ES's limit moves 2, then raises #GP with ECX 2; INS
 * through a null ES raises #GP before any port read.  (hvx moved all 4
 * bytes past the limit, and read the port for the null ES, storing where
 * the VMCS's undefined guest-linear address pointed.)  The guest is a
 * flat 32-bit image with no IDT: the #GP shuts it down.
 */
#include "hvx_harness.h"

#define BLOB_GPA	0x1000
#define TINY_RAM	(4 * MiB)
#define TINY_SP		0x7000
#define ES_BASE		0x20000

/* REP INSB of ECX bytes at ES:EDI from port 0x1a; OUT ECX, HLT. */
asm(
"	.pushsection .rodata.hvx_string_io, \"a\"\n"
"	.code32\n"
"ins32_start:\n"
"	cld\n"
"	movw	$0x1a, %dx\n"
"	rep insb\n"
"	movl	%ecx, %eax\n"
"	outl	%eax, $0x15\n"
"	hlt\n"
"ins32_end:\n"
"	.code64\n"
"	.popsection\n");

extern const char ins32_start[], ins32_end[];

/*
 * The image in flat 32-bit protected mode, with an ES of @limit based at
 * ES_BASE (or unusable), EDI and ECX.
 */
static struct test_vm *ins32_vm(struct test_vcpu **vcpu, uint32_t limit,
				bool unusable, uint32_t edi, uint32_t ecx)
{
	struct test_vm *vm = vm_create_bare(TINY_RAM);
	struct hvx_sregs sregs;
	struct hvx_regs regs;

	vm_load_blob(vm, BLOB_GPA, ins32_start, ins32_end);
	*vcpu = vm_vcpu_add_bare(vm, 0);
	vcpu_setup_pm32(*vcpu, 0x800, BLOB_GPA, TINY_SP);
	vcpu_sregs_get(*vcpu, &sregs);
	sregs.es.base = ES_BASE;
	sregs.es.limit = limit;
	sregs.es.ar &= ~HVX_AR_G;
	if (unusable) {
		sregs.es.selector = 0;
		sregs.es.ar |= HVX_AR_UNUSABLE;
	}
	vcpu_sregs_set(*vcpu, &sregs);
	vcpu_regs_get(*vcpu, &regs);
	regs.rdi = edi;
	regs.rcx = ecx;
	vcpu_regs_set(*vcpu, &regs);
	return vm;
}

HVX_TEST(ins_stops_at_the_segment_limit)
{
	struct test_vcpu *vcpu;
	struct hvx_regs regs;
	struct hvx_run *run;
	struct test_vm *vm;
	uint8_t *es;

	HVX_REQUIRE_VM();
	HVX_REQUIRE_VMX(HVX_VMX_UNRESTRICTED_GUEST);
	vm = ins32_vm(&vcpu, 0xfff, false, 0xffe, 4);
	run = vcpu->run;
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	EXPECT_EQ(HVX_IO_IN, run->io.direction);
	EXPECT_EQ(0x1a, run->io.port);
	ASSERT_EQ(2, run->io.count);
	memcpy((uint8_t *)run + run->io.data_offset, "\xa1\xa2", 2);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_SHUTDOWN);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(2, regs.rcx);
	EXPECT_EQ(0x1000, regs.rdi);
	es = addr_gpa2hva(vm, ES_BASE + 0xffe, 4);
	EXPECT_EQ(0xa1, es[0]);
	EXPECT_EQ(0xa2, es[1]);
	EXPECT_EQ(0, es[2]);
	EXPECT_EQ(0, es[3]);
	vm_free(vm);
}

HVX_TEST(ins_through_a_null_es_faults)
{
	struct test_vcpu *vcpu;
	struct hvx_regs regs;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	HVX_REQUIRE_VMX(HVX_VMX_UNRESTRICTED_GUEST);
	vm = ins32_vm(&vcpu, 0xffff, true, 0x10, 1);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_SHUTDOWN);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(1, regs.rcx);
	vm_free(vm);
}

TEST_HARNESS_MAIN
