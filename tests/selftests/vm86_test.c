// SPDX-License-Identifier: GPL-2.0
/*
 * vm86_test: a guest in virtual-8086 mode, which a 32-bit guest enters by
 * itself with an IRET, is saved and restored as any other: the RFLAGS
 * HVX_GET_REGS returns, VM set, HVX_SET_REGS takes back in protected
 * mode (and refuses in real mode), and the guest goes on in a new VM.
 */
#include "hvx_harness.h"

#define BLOB_GPA	0x1000
#define GDT_GPA		0x800
#define STACK		0x7000

#define REQUIRE_UG()	HVX_REQUIRE_VMX(HVX_VMX_UNRESTRICTED_GUEST)

/* The image, assembled for BLOB_GPA; the host copies it, never runs it. */
asm(
"	.pushsection .rodata.hvx_vm86, \"a\"\n"
"	.set BLOB, " XSTR(BLOB_GPA) "\n"
/*
 * From flat 32-bit protected mode into virtual-8086 mode with an IRET
 * (CS = BLOB / 16), as a DOS extender or vm86(2) enters it; there two
 * byte stores beyond the 1 MiB of RAM, at 0x100000 and 0x100001
 * (DS = 0xffff), each an MMIO exit, then a spin.
 */
"	.code32\n"
"v86_start:\n"
"	pushl	$0\n"				/* GS, FS, DS, ES */
"	pushl	$0\n"
"	pushl	$0\n"
"	pushl	$0\n"
"	pushl	$0\n"				/* SS:ESP */
"	pushl	$0x6000\n"
"	pushl	$0x20002\n"			/* EFLAGS.VM */
"	pushl	$(BLOB >> 4)\n"			/* CS:IP */
"	pushl	$(v86_code - v86_start)\n"
"	iretl\n"
"	.code16\n"
"v86_code:\n"
"	movw	$0xffff, %ax\n"
"	movw	%ax, %ds\n"
"	movb	$0x5a, 0x10\n"
"	movb	$0xa5, 0x11\n"
"1:	jmp	1b\n"
"	.code32\n"
"v86_end:\n"
"	.code64\n"
"	.popsection\n");

extern const char v86_start[], v86_end[];

/* A one-byte MMIO store of @data at @gpa, with the vCPU in VM86 mode. */
static void expect_v86_store(struct __test_metadata *_metadata,
			     struct test_vcpu *vcpu, uint64_t gpa,
			     uint8_t data)
{
	struct hvx_regs regs;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_MMIO);
	EXPECT_EQ(gpa, vcpu->run->mmio.phys_addr);
	EXPECT_EQ(1, vcpu->run->mmio.len);
	EXPECT_EQ(1, vcpu->run->mmio.is_write);
	EXPECT_EQ(data, vcpu->run->mmio.data[0]);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_TRUE(regs.rflags & X86_EFLAGS_VM);
}

/* A VM of 1 MiB with v86_start loaded, vCPU 0 in flat protected mode. */
static struct test_vm *v86_vm(struct test_vcpu **vcpu)
{
	struct test_vm *vm = vm_create_bare(1 * MiB);

	vm_load_blob(vm, BLOB_GPA, v86_start, v86_end);
	*vcpu = vm_vcpu_add_bare(vm, 0);
	vcpu_setup_pm32(*vcpu, GDT_GPA, BLOB_GPA, STACK);
	return vm;
}

/*
 * A guest in virtual-8086 mode is saved and restored as any other: the
 * RFLAGS a get returns, VM set, a set into a new VM's vCPU takes back
 * (with the segments of VM86 mode, set first), and the guest goes on
 * there.  In real mode a set refuses VM (vm_test: in IA-32e mode too).
 */
HVX_TEST(vm86_state_saved_and_restored)
{
	struct test_vcpu *vcpu, *to;
	struct test_vm *vm, *vm2;
	struct hvx_sregs sregs;
	struct hvx_regs regs;

	HVX_REQUIRE_VM();
	REQUIRE_UG();
	vm = v86_vm(&vcpu);
	expect_v86_store(_metadata, vcpu, 0x100000, 0x5a);
	vcpu_complete_exit(vcpu);
	vcpu_sregs_get(vcpu, &sregs);
	vcpu_regs_get(vcpu, &regs);
	EXPECT_EQ(BLOB_GPA >> 4, sregs.cs.selector);
	EXPECT_EQ(BLOB_GPA, sregs.cs.base);
	EXPECT_EQ(0xffff0, sregs.ds.base);
	EXPECT_EQ(0xf3, sregs.ds.ar);
	vm2 = v86_vm(&to);
	vcpu_sregs_set(to, &sregs);
	vcpu_regs_set(to, &regs);
	expect_v86_store(_metadata, to, 0x100001, 0xa5);
	vm_free(vm2);
	vm_free(vm);

	vm = vm_create_bare(1 * MiB);
	vcpu = vm_vcpu_add_bare(vm, 0);
	vcpu_regs_get(vcpu, &regs);
	regs.rflags |= X86_EFLAGS_VM;
	EXPECT_ERRNO(EINVAL, ioctl(vcpu->fd, HVX_SET_REGS, &regs));
	vm_free(vm);
}

TEST_HARNESS_MAIN
