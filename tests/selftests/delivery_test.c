// SPDX-License-Identifier: GPL-2.0
/*
 * delivery_test: exits during event delivery and accesses that are not an
 * instruction's own.
 *
 * An event whose delivery touches a guest page hvx has not mapped yet
 * exits and is re-injected: in real mode without an error code (VM entry
 * refuses one there), and a software interrupt with the right instruction
 * length or by executing INT n again.  An event whose delivery reads the
 * IDT from MMIO, and a page walk that reads a paging structure from MMIO,
 * end in internal errors that say so, not in an MMIO exit for the
 * instruction at RIP.  An NMI whose delivery an exit cut short stays
 * apart from one latched meanwhile: both are delivered.
 */
#include "hvx_harness.h"

#define RM_RAM		(1 * MiB)
#define RM_CODE		0x1000
#define RM_HANDLER	0x1800
#define RM_MMIO		0x200000ULL	/* beyond RAM */
#define PORT_DONE	0x10

#define LM_MMIO_IDT	0x80000000ULL	/* beyond RAM, mapped by the guest */
#define LM_MMIO_PD	0xc0000000ULL
#define LM_WALKED_VA	0xc0200000ULL	/* PD entry 1 of pdpt[3] */

static struct test_vm *real_mode_vm(struct test_vcpu **vcpu,
				    const uint8_t *code, size_t len,
				    uint16_t ss, uint16_t sp)
{
	static const uint8_t handler[] = {
		0xe6, PORT_DONE,	/* out PORT_DONE, al */
		0xf4,			/* hlt */
	};
	struct test_vm *vm = vm_create_bare(RM_RAM);
	uint16_t *ivt = addr_gpa2hva(vm, 0, 1024);
	struct hvx_sregs sregs;
	int v;

	memcpy(addr_gpa2hva(vm, RM_CODE, len), code, len);
	memcpy(addr_gpa2hva(vm, RM_HANDLER, sizeof(handler)), handler,
	       sizeof(handler));
	for (v = 0; v < 256; v++) {
		ivt[2 * v] = RM_HANDLER;
		ivt[2 * v + 1] = 0;
	}
	*vcpu = vm_vcpu_add_bare(vm, 0);
	vcpu_setup_real_mode(*vcpu, RM_CODE, sp);
	vcpu_sregs_get(*vcpu, &sregs);
	sregs.ss.selector = ss;
	sregs.ss.base = (uint64_t)ss << 4;
	vcpu_sregs_set(*vcpu, &sregs);
	return vm;
}

static void expect_done(struct test_vcpu *vcpu)
{
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_IO);
	TEST_ASSERT_EQ(vcpu->run->io.port, PORT_DONE);
}

static uint16_t guest_word(struct test_vm *vm, uint64_t gpa)
{
	uint16_t w;

	memcpy(&w, addr_gpa2hva(vm, gpa, 2), 2);
	return w;
}

/*
 * #GP in real mode (a word read at DS:0xffff) whose frame goes to a stack
 * page the guest never touched: the exit during delivery carries an error
 * code the real-mode entry must not get back.
 */
HVX_TEST(real_mode_exception_reinjected)
{
	static const uint8_t code[] = {
		0x8b, 0x1e, 0xff, 0xff,	/* mov bx, [0xffff] */
		0xf4,
	};
	struct test_vcpu *vcpu;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	vm = real_mode_vm(&vcpu, code, sizeof(code), 0x2000, 0);
	expect_done(vcpu);
	/* IP, CS, FLAGS of the faulting instruction at 0x2000:0xfffa */
	TEST_ASSERT_EQ(guest_word(vm, 0x2fffa), RM_CODE);
	TEST_ASSERT_EQ(guest_word(vm, 0x2fffc), 0);
	TEST_ASSERT_EQ(guest_word(vm, 0x2fffe) & 0x2, 0x2);
	vm_free(vm);
}

/*
 * INT 0x21 whose frame straddles two untouched stack pages: delivery
 * exits once while INT executes and again while hvx re-injects it; the
 * return address pushed is still the instruction after INT.
 */
HVX_TEST(real_mode_int_reinjected_twice)
{
	static const uint8_t code[] = {
		0xcd, 0x21,		/* int 0x21 */
		0xf4,
	};
	struct test_vcpu *vcpu;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	/* FLAGS at 0x31000, CS at 0x30ffe, IP at 0x30ffc */
	vm = real_mode_vm(&vcpu, code, sizeof(code), 0x3000, 0x1002);
	expect_done(vcpu);
	TEST_ASSERT_EQ(guest_word(vm, 0x30ffc), RM_CODE + 2);
	TEST_ASSERT_EQ(guest_word(vm, 0x30ffe), 0);
	vm_free(vm);
}

static void assert_internal(struct __test_metadata *_metadata,
			    struct test_vcpu *vcpu, uint32_t suberror,
			    uint64_t gpa)
{
	struct hvx_run *run = vcpu->run;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_INTERNAL_ERROR);
	ASSERT_EQ(suberror, run->internal.suberror);
	ASSERT_EQ(48, run->internal.data[0]);	/* EPT violation */
	ASSERT_EQ(gpa, run->internal.data[2]);
}

/* The IVT in MMIO: INT n cannot be delivered, and is no MMIO access. */
HVX_TEST(real_mode_ivt_in_mmio)
{
	static const uint8_t code[] = {
		0xcd, 0x20,		/* int 0x20 */
		0xf4,
	};
	struct test_vcpu *vcpu;
	struct hvx_sregs sregs;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	vm = real_mode_vm(&vcpu, code, sizeof(code), 0, 0x8000);
	vcpu_sregs_get(vcpu, &sregs);
	sregs.idt.base = RM_MMIO;
	vcpu_sregs_set(vcpu, &sregs);
	assert_internal(_metadata, vcpu, HVX_INTERNAL_DELIVERY,
			RM_MMIO + 0x20 * 4);
	vm_free(vm);
}

static void guest_ud(void)
{
	asm volatile("ud2");
	GUEST_DONE();
}

/* A long-mode IDT in MMIO: #UD cannot be delivered. */
HVX_GUEST_TEST(long_mode_idt_in_mmio, guest_ud)
{
	struct hvx_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.idt.base = LM_MMIO_IDT;
	vcpu_sregs_set(vcpu, &sregs);
	assert_internal(_metadata, vcpu, HVX_INTERNAL_DELIVERY,
			LM_MMIO_IDT + 6 * 16);
}

static volatile uint64_t nmis;

static void nmi_count(struct guest_ex_regs *regs)
{
	nmis++;
}

static void guest_nmis(void)
{
	GUEST_SYNC2(1, nmis);
	GUEST_DONE();
}

/*
 * An NMI whose delivery exits (its IDT gate in MMIO), and a second NMI
 * queued at that exit: two NMIs, one being delivered and one latched,
 * so the handler runs twice once the IDT is back.
 */
HVX_GUEST_TEST(nmi_cut_short_keeps_latched_nmi, guest_nmis)
{
	struct hvx_vcpu_events ev;
	struct hvx_sregs sregs;
	struct ucall uc;
	uint64_t idt;

	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_VCPU_STATE,
		    "no HVX_FEAT_VCPU_STATE");
	vm_install_exception_handler(vm, 2, nmi_count);
	vcpu_sregs_get(vcpu, &sregs);
	idt = sregs.idt.base;
	sregs.idt.base = LM_MMIO_IDT;
	vcpu_sregs_set(vcpu, &sregs);
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_NMI, 0));
	assert_internal(_metadata, vcpu, HVX_INTERNAL_DELIVERY,
			LM_MMIO_IDT + 2 * 16);
	ASSERT_EQ(0, ioctl(vcpu->fd, HVX_NMI, 0));
	/* the cut-short one is the event the next entry injects */
	ASSERT_EQ(0, hvx_get_vcpu_events(vcpu->fd, &ev));
	EXPECT_TRUE(ev.flags & HVX_EVENTS_INJECTED);
	EXPECT_EQ(HVX_EVENT_NMI, ev.inject_type);
	EXPECT_EQ(2, ev.inject_vector);
	EXPECT_TRUE(ev.flags & HVX_EVENTS_NMI_PENDING);
	sregs.idt.base = idt;
	vcpu_sregs_set(vcpu, &sregs);
	ASSERT_EQ(UCALL_SYNC, vcpu_get_ucall(vcpu, &uc));
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(2, uc.args[1]);
	vcpu_expect_done(vcpu);
}

static void guest_walk(void)
{
	uint64_t v = *(volatile uint64_t *)LM_WALKED_VA;

	GUEST_ASSERT_EQ(v, 0);
	GUEST_DONE();
}

/*
 * A page directory in MMIO: the CPU's read of the entry is no access of
 * the MOV at RIP (which the decoder knows, and would have turned into an
 * MMIO read of the directory entry's address).
 */
HVX_GUEST_TEST(long_mode_page_table_in_mmio, guest_walk)
{
	uint64_t *pdpt = addr_gpa2hva(vm, GUEST_PDPT_GPA, 4096);

	pdpt[3] = LM_MMIO_PD | 0x3;	/* present, writable */
	assert_internal(_metadata, vcpu, HVX_INTERNAL_PAGE_WALK,
			LM_MMIO_PD + 1 * 8);
}

TEST_HARNESS_MAIN
