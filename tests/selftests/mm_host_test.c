// SPDX-License-Identifier: GPL-2.0
/*
 * mm_host_test: what the host's memory management asks of guest memory
 * besides invalidations.  Reclaim asks which pages the guest used (page
 * aging): the pages a guest works with stay in memory while those it
 * left go to swap.  A block the host makes one transparent huge page
 * after the guest touched it 4 KiB at a time gets a 2 MiB EPT page.  A
 * poisoned page (a memory error) is the VMM's SIGBUS, as its own access
 * would be.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvx_harness.h"
#include "nlq.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

/* An extra slot above the test VM's RAM, mapped by the guest's tables. */
#define EXTRA_SLOT	1
#define EXTRA_GPA	(1ULL << 30)

/* ---- page aging ---- */

#define AGE_PAGES	128
#define AGE_SIZE	(AGE_PAGES * HVX_PAGE_SIZE)
#define CG_TEST		HVX_CG_ROOT "/hvx-mm-host-test"

/* Touch the even pages of the extra slot, each time the host asks. */
static void guest_touch_even(void)
{
	unsigned int i;

	for (;;) {
		for (i = 0; i < AGE_PAGES; i += 2)
			*(volatile uint64_t *)(EXTRA_GPA + i * 4096ULL) += 1;
		GUEST_SYNC(0);
	}
}

/*
 * Reclaim keeps the pages the guest uses.  The host touched all the
 * slot's pages, the guest then the even ones (through EPT, which the
 * host's page tables do not see), and MADV_COLD cleared the host's
 * accessed bits: reclaim of part of the slot asks hvx which pages
 * the guest used, keeps those and takes odd ones.  A quarter of the
 * slot: reclaim may overshoot its target, and comes back to the pages it
 * kept, aged since, only after all others.  (hvx had no page aging: to
 * reclaim every page looked idle, and the guest's working set went to
 * swap with the rest.)
 */
HVX_TEST(reclaim_keeps_the_pages_the_guest_uses)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	unsigned int even, odd;
	char amount[32];
	uint8_t *hva;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(hvx_have_swap(), "no swap to page anonymous memory out to");
	HVX_REQUIRE(hvx_memcg_child(CG_TEST),
		    "no cgroup v2 memory controller: %s", strerror(errno));
	ASSERT_TRUE(hvx_write_file(CG_TEST "/cgroup.procs", "0"));
	vm = vm_create_with_one_vcpu(&vcpu, guest_touch_even);
	hva = vm_mem_add(vm, EXTRA_SLOT, 0, EXTRA_GPA, AGE_SIZE);
	/* Small pages: reclaim would split a THP first. */
	madvise(hva, AGE_SIZE, MADV_NOHUGEPAGE);
	vcpu_expect_sync(vcpu, 0);
	/*
	 * What else the cgroup holds goes first, so that reclaim below
	 * reaches the slot; what the guest faults back is in use.
	 */
	hvx_write_file(CG_TEST "/memory.reclaim", "256M");
	memset(hva, 0x5a, AGE_SIZE);
	vcpu_expect_sync(vcpu, 0);
	ASSERT_EQ(0, madvise(hva, AGE_SIZE, MADV_COLD));
	snprintf(amount, sizeof(amount), "%u", AGE_SIZE / 4);
	hvx_write_file(CG_TEST "/memory.reclaim", amount);
	even = hvx_resident_pages(hva, AGE_PAGES, 0, 2);
	odd = hvx_resident_pages(hva, AGE_PAGES, 1, 2);
	TH_LOG("resident after reclaim: %u of %u even pages, %u of %u odd",
	       even, AGE_PAGES / 2, odd, AGE_PAGES / 2);
	EXPECT_EQ(AGE_PAGES / 2, even);
	/* else reclaim never reached the slot, and this shows nothing */
	EXPECT_GT(AGE_PAGES / 2, odd);
	/* The guest finds its data, the odd pages coming back from swap. */
	vcpu_expect_sync(vcpu, 0);
	EXPECT_EQ(0x5a + 2, hva[0]);
	EXPECT_EQ(0x5a, hva[HVX_PAGE_SIZE]);
	vm_free(vm);
	ASSERT_TRUE(hvx_write_file(HVX_CG_ROOT "/cgroup.procs", "0"));
	EXPECT_EQ(0, rmdir(CG_TEST));
}

/* ---- THP collapse ---- */

/* Write every 4 KiB page of one 2 MiB block, each time the host asks. */
static void guest_touch_block(void)
{
	uint64_t off;

	for (;;) {
		for (off = 0; off < THP_SIZE; off += 4096)
			*(volatile uint8_t *)(EXTRA_GPA + off) += 1;
		GUEST_SYNC(0);
	}
}

/*
 * A block the guest touched while the host mapped it 4 KiB at a time,
 * which the host then collapses into a transparent huge page (khugepaged,
 * MADV_COLLAPSE): the collapse clears its 512 leaves, and the guest's
 * next touch maps the block with one 2 MiB EPT page.  (The empty table
 * stayed, and the block was 4 KiB pages for as long as the slot lived.)
 */
HVX_TEST(collapsed_block_gets_a_2m_ept_page)
{
	struct vm_info small, collapsed;
	char b[2][VM_INFO_STR];
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint8_t *p, *hva;
	struct nlq q;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(hvx_has_vmx_feature(HVX_VMX_EPT_2MB), "no 2 MiB EPT pages");
	ASSERT_EQ(0, nlq_open(&q));
	vm = vm_create_with_one_vcpu(&vcpu, guest_touch_block);
	p = mmap(NULL, 2 * THP_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	hva = (uint8_t *)(((uintptr_t)p + THP_SIZE - 1) & ~(THP_SIZE - 1));
	ASSERT_EQ(0, madvise(hva, THP_SIZE, MADV_NOHUGEPAGE));
	vm_set_memory_region(vm, EXTRA_SLOT, 0, EXTRA_GPA, THP_SIZE, hva);
	vcpu_expect_sync(vcpu, 0);
	small = vm_of_pid(&q, getpid());
	ASSERT_EQ(0, madvise(hva, THP_SIZE, MADV_HUGEPAGE));
	if (madvise(hva, THP_SIZE, MADV_COLLAPSE))
		SKIP(goto out, "no collapse: %s", strerror(errno));
	vcpu_expect_sync(vcpu, 0);
	collapsed = vm_of_pid(&q, getpid());
	TH_LOG("EPT pages: before the collapse %s; after %s",
	       vm_info_str(&small, b[0]), vm_info_str(&collapsed, b[1]));
	EXPECT_EQ(small.mapped[1] + 1, collapsed.mapped[1]);
	EXPECT_LE(collapsed.mapped[0] + 500, small.mapped[0]);
	EXPECT_EQ(2, hva[0]);
	EXPECT_EQ(2, hva[THP_SIZE - 1 - 4095]);
out:
	vm_free(vm);
	munmap(p, 2 * THP_SIZE);
	nlq_close(&q);
}

/* ---- memory errors ---- */

static volatile sig_atomic_t bus_count;
static siginfo_t bus_info;

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	bus_info = *si;
	bus_count++;
}

/* Report the second page's first word of the extra slot, when asked. */
static void guest_read_page1(void)
{
	for (;;)
		GUEST_SYNC(*(volatile uint64_t *)(EXTRA_GPA + 4096));
}

/*
 * A guest page with a memory error (MADV_HWPOISON injects one): the
 * guest's access sends the VMM SIGBUS with BUS_MCEERR_AR, the page's
 * address and size, and HVX_RUN fails with EINTR, as KVM_RUN; once the
 * VMM replaced the page the guest reads the new one.  (HVX_RUN failed
 * with a plain EFAULT.)
 */
/*
 * Poison @page, guest memory of @vcpu's VM: its next HVX_RUN fails with
 * EINTR and the VMM gets SIGBUS (BUS_MCEERR_AR, the page, its size); then
 * a fresh page takes its place, as a VMM does after the guest's #MC.
 * False, the test skipped, where the kernel injects no memory failure.
 */
static bool poison_then_replace(struct __test_metadata *_metadata,
				struct test_vcpu *vcpu, uint8_t *page)
{
	struct sigaction sa = { .sa_sigaction = on_sigbus,
				.sa_flags = SA_SIGINFO };

	ASSERT_EQ(0, sigaction(SIGBUS, &sa, NULL));
	/* The injection itself may signal this process (its own mapping). */
	if (madvise(page, HVX_PAGE_SIZE, MADV_HWPOISON))
		SKIP(return false, "no memory-failure injection: %s",
		     strerror(errno));
	bus_count = 0;
	/* an EINTR before the access (task work: 6.12's mm_cid) runs on */
	do {
		EXPECT_EQ(-1, __vcpu_run(vcpu));
		EXPECT_EQ(EINTR, errno);
		EXPECT_EQ(HVX_EXIT_INTR, vcpu->run->exit_reason);
	} while (!bus_count && errno == EINTR &&
		 vcpu->run->exit_reason == HVX_EXIT_INTR);
	ASSERT_EQ(1, bus_count);
	EXPECT_EQ(BUS_MCEERR_AR, bus_info.si_code);
	EXPECT_EQ((void *)page, bus_info.si_addr);
	EXPECT_EQ(12, bus_info.si_addr_lsb);
	ASSERT_EQ(0, madvise(page, HVX_PAGE_SIZE, MADV_DONTNEED));
	return true;
}

/* A VM running @guest over a two-page extra slot; its second page in @page. */
static struct test_vm *two_page_vm(void *guest, struct test_vcpu **vcpu,
				   uint8_t **page)
{
	struct test_vm *vm = vm_create_with_one_vcpu(vcpu, guest);

	*page = (uint8_t *)vm_mem_add(vm, EXTRA_SLOT, 0, EXTRA_GPA,
				      2 * HVX_PAGE_SIZE) + HVX_PAGE_SIZE;
	return vm;
}

HVX_TEST(poisoned_page_is_the_vmms_sigbus)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint8_t *page;

	HVX_REQUIRE_VM();
	vm = two_page_vm(guest_read_page1, &vcpu, &page);
	*(uint64_t *)page = 0x600d;
	vcpu_expect_sync(vcpu, 0x600d);
	if (poison_then_replace(_metadata, vcpu, page))
		vcpu_expect_sync(vcpu, 0);
	signal(SIGBUS, SIG_DFL);
	vm_free(vm);
}

#define OUTS_PORT	0x80

/* OUTS of the extra slot's second page's first byte, which hvx reads. */
static void guest_outs_page1(void)
{
	const void *src = (const void *)(EXTRA_GPA + 4096);

	asm volatile("outsb" : "+S"(src) : "d"(OUTS_PORT) : "memory");
	GUEST_DONE();
}

/*
 * A poisoned page that hvx reads for the guest (here OUTS's source: hvx
 * emulates string I/O) is the VMM's SIGBUS too, and HVX_RUN's EINTR, as
 * the guest's own access is; the instruction runs again once the VMM
 * replaced the page.  (HVX_RUN reported an internal error: the kernel's
 * copy failed with no signal.)
 */
HVX_TEST(poisoned_page_read_by_emulation_is_the_vmms_sigbus)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint8_t *page;

	HVX_REQUIRE_VM();
	vm = two_page_vm(guest_outs_page1, &vcpu, &page);
	page[0] = 0x5d;
	if (poison_then_replace(_metadata, vcpu, page)) {
		vcpu_run(vcpu);
		ASSERT_EQ(HVX_EXIT_IO, vcpu->run->exit_reason);
		EXPECT_EQ(OUTS_PORT, vcpu->run->io.port);
		EXPECT_EQ(0, ((uint8_t *)vcpu->run +
			      vcpu->run->io.data_offset)[0]);
		vcpu_expect_done(vcpu);
	}
	signal(SIGBUS, SIG_DFL);
	vm_free(vm);
}

TEST_HARNESS_MAIN
