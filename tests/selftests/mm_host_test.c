// SPDX-License-Identifier: GPL-2.0
/*
 * mm_host_test: what the host's memory management asks of guest memory
 * besides invalidations.  A block the host makes one transparent huge
 * page after the guest touched it 4 KiB at a time gets a 2 MiB EPT page.
 */
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
	TH_LOG("EPT pages 4K/2M: %llu/%llu before the collapse, %llu/%llu after",
	       (unsigned long long)small.mapped[0],
	       (unsigned long long)small.mapped[1],
	       (unsigned long long)collapsed.mapped[0],
	       (unsigned long long)collapsed.mapped[1]);
	EXPECT_EQ(small.mapped[1] + 1, collapsed.mapped[1]);
	EXPECT_LE(collapsed.mapped[0] + 500, small.mapped[0]);
	EXPECT_EQ(2, hva[0]);
	EXPECT_EQ(2, hva[THP_SIZE - 1 - 4095]);
out:
	vm_free(vm);
	munmap(p, 2 * THP_SIZE);
	nlq_close(&q);
}

TEST_HARNESS_MAIN
