// SPDX-License-Identifier: GPL-2.0
/*
 * mm_test: guest memory is the host's, as its mm sees it.  Nothing is
 * pinned: what userspace does to the memory behind a slot (drop it,
 * rewrite it, let it be swapped out) the guest sees at once, and what the
 * guest wrote survives the host reclaiming it.  Memory the host backs
 * with transparent huge pages is mapped with 2 MiB EPT pages (counted in
 * HVX_CMD_GET_VM), and a 2 MiB page goes as a whole when part of it is
 * invalidated.  KSM merges two guests' identical pages, and a guest that
 * writes a merged page gets its own copy.  Invalidations of the VMM's own
 * memory make no guest fault retry.  Blocks an instruction fetch split
 * (the iTLB multihit mitigation) get their 2 MiB pages back over time.
 * A soft-dirty clear sees the guest's later writes.  (Userfaultfd ranges:
 * uffd_test.)
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <asm/vmx.h>

#include "hvx_harness.h"
#include "nlq.h"

/* An extra slot above the test VM's RAM, mapped by the guest's tables. */
#define EXTRA_SLOT	1
#define EXTRA_GPA	(1ULL << 30)
#define EXTRA_PAGES	64
#define EXTRA_SIZE	(EXTRA_PAGES * HVX_PAGE_SIZE)

/* Report the first word of the extra slot, each time the host asks. */
static void guest_read_word(void)
{
	volatile uint64_t *p = (uint64_t *)EXTRA_GPA;

	for (;;)
		GUEST_SYNC(*p);
}

HVX_TEST(host_rewrite_is_seen_by_guest)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint64_t *hva;

	HVX_REQUIRE_VM();
	vm = vm_create_with_one_vcpu(&vcpu, guest_read_word);
	hva = vm_mem_add(vm, EXTRA_SLOT, 0, EXTRA_GPA, EXTRA_SIZE);
	*hva = 0x1111;
	vcpu_expect_sync(vcpu, 0x1111);

	/* The page goes; a fresh zero page replaces it on the next touch. */
	ASSERT_EQ(0, madvise(hva, HVX_PAGE_SIZE, MADV_DONTNEED));
	vcpu_expect_sync(vcpu, 0);
	/* That new page is the one the guest has mapped now. */
	*hva = 0x2222;
	vcpu_expect_sync(vcpu, 0x2222);

	/* The same after the page was mapped over with a new one. */
	ASSERT_EQ((void *)hva, mmap(hva, HVX_PAGE_SIZE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				    -1, 0));
	vcpu_expect_sync(vcpu, 0);
	*hva = 0x3333;
	vcpu_expect_sync(vcpu, 0x3333);
	vm_free(vm);
}

static uint64_t pattern(unsigned int page)
{
	return 0x5eed000000000000ULL | (uint64_t)page * 0x10001;
}

/* Fill the extra slot's pages, then check them each time it is asked. */
static void guest_fill_then_check(void)
{
	unsigned int i;

	for (i = 0; i < EXTRA_PAGES; i++)
		*(volatile uint64_t *)(EXTRA_GPA + i * 4096ULL) = pattern(i);
	GUEST_SYNC(0);
	for (;;) {
		for (i = 0; i < EXTRA_PAGES; i++)
			GUEST_ASSERT_EQ(*(volatile uint64_t *)
					(EXTRA_GPA + i * 4096ULL), pattern(i));
		GUEST_SYNC(1);
	}
}

/*
 * Page [@p, @p + @len) out to swap.  6.1's MADV_PAGEOUT keeps a page that
 * was used since it was last aged (6.12's ignores that), and the guest's
 * use counts (page aging, mm_host_test): the first call ages the pages
 * the guest used, the second pages them out.
 */
static int page_out(void *p, size_t len)
{
	if (madvise(p, len, MADV_PAGEOUT))
		return -1;
	return madvise(p, len, MADV_PAGEOUT);
}

HVX_TEST(reclaimed_memory_comes_back_intact)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	unsigned int before, out, back;
	uint64_t *hva;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(hvx_have_swap(), "no swap to page anonymous memory out to");
	vm = vm_create_with_one_vcpu(&vcpu, guest_fill_then_check);
	hva = vm_mem_add(vm, EXTRA_SLOT, 0, EXTRA_GPA, EXTRA_SIZE);
	/* Small pages: MADV_PAGEOUT on part of a THP would split it. */
	madvise(hva, EXTRA_SIZE, MADV_NOHUGEPAGE);
	vcpu_expect_sync(vcpu, 0);
	before = hvx_resident_pages(hva, EXTRA_PAGES, 0, 1);
	EXPECT_EQ(EXTRA_PAGES, before);

	/* Out to swap, the guest's mappings with them. */
	ASSERT_EQ(0, page_out(hva, EXTRA_SIZE));
	out = hvx_resident_pages(hva, EXTRA_PAGES, 0, 1);
	TH_LOG("resident pages: %u, after MADV_PAGEOUT %u", before, out);
	EXPECT_LE(out, EXTRA_PAGES / 2);

	/* The guest reads them back in (the host does not touch them). */
	vcpu_expect_sync(vcpu, 1);
	back = hvx_resident_pages(hva, EXTRA_PAGES, 0, 1);
	EXPECT_EQ(EXTRA_PAGES, back);
	EXPECT_EQ(pattern(7), hva[7 * HVX_PAGE_SIZE / 8]);
	vm_free(vm);
}

HVX_TEST(guest_writes_after_reclaim_reach_the_host)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint64_t *hva;
	unsigned int i;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(hvx_have_swap(), "no swap to page anonymous memory out to");
	vm = vm_create_with_one_vcpu(&vcpu, guest_fill_then_check);
	hva = vm_mem_add(vm, EXTRA_SLOT, 0, EXTRA_GPA, EXTRA_SIZE);
	madvise(hva, EXTRA_SIZE, MADV_NOHUGEPAGE);
	/* Out before the guest ever writes: its writes fault them back. */
	memset(hva, 0xaa, EXTRA_SIZE);
	ASSERT_EQ(0, page_out(hva, EXTRA_SIZE));
	EXPECT_GE(EXTRA_PAGES / 2, hvx_resident_pages(hva, EXTRA_PAGES, 0, 1));
	vcpu_expect_sync(vcpu, 0);
	/*
	 * And out again with the guest's data (the guest's mappings must
	 * let them go), then back for the host.
	 */
	ASSERT_EQ(0, page_out(hva, EXTRA_SIZE));
	EXPECT_GE(EXTRA_PAGES / 2, hvx_resident_pages(hva, EXTRA_PAGES, 0, 1));
	for (i = 0; i < EXTRA_PAGES; i++)
		EXPECT_EQ(pattern(i), hva[i * HVX_PAGE_SIZE / 8]);
	vcpu_expect_sync(vcpu, 1);
	vm_free(vm);
}

/* Write the extra slot's first word with what the host asks for. */
static void guest_write_word(void)
{
	volatile uint64_t *p = (uint64_t *)EXTRA_GPA;
	uint64_t v;

	for (v = 1;; v++) {
		*p = v;
		GUEST_SYNC(v);
	}
}

/* Whether /proc/self/pagemap shows @p's page soft-dirty (bit 55). */
static bool soft_dirty(const void *p)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	uint64_t e = 0;
	bool ok;

	ok = fd >= 0 && pread(fd, &e, sizeof(e), (uintptr_t)p /
			      HVX_PAGE_SIZE * sizeof(e)) == sizeof(e);
	if (fd >= 0)
		close(fd);
	return ok && (e >> 55 & 1);
}

/*
 * A soft-dirty clear (CRIU's incremental dumps) write-protects the whole
 * mm: the guest's next write must make the page soft-dirty again.  (Its
 * range ends at ULONG_MAX, which hvx rounded up to 0: no EPT leaf went,
 * and the guest wrote the page behind the host's back.)
 */
HVX_TEST(soft_dirty_clear_sees_guest_writes)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint64_t *hva;

	HVX_REQUIRE_VM();
	vm = vm_create_with_one_vcpu(&vcpu, guest_write_word);
	hva = vm_mem_add(vm, EXTRA_SLOT, 0, EXTRA_GPA, EXTRA_SIZE);
	vcpu_expect_sync(vcpu, 1);	/* the guest's leaf is writable */
	HVX_REQUIRE(soft_dirty(hva), "no soft-dirty bits in pagemap");
	ASSERT_TRUE(hvx_write_file("/proc/self/clear_refs", "4"));
	ASSERT_FALSE(soft_dirty(hva));
	vcpu_expect_sync(vcpu, 2);
	EXPECT_TRUE(soft_dirty(hva));
	EXPECT_EQ(2, *hva);
	vm_free(vm);
}

HVX_TEST(fork_copy_on_write_leaves_guest_on_parent_page)
{
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint64_t *hva;
	int status, go[2];
	pid_t pid;
	char c;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, pipe(go));
	vm = vm_create_with_one_vcpu(&vcpu, guest_write_word);
	hva = vm_mem_add(vm, EXTRA_SLOT, 0, EXTRA_GPA, EXTRA_SIZE);
	vcpu_expect_sync(vcpu, 1);
	EXPECT_EQ(1, *hva);

	/*
	 * fork() write-protects the parent's pages; the guest's next write
	 * must land in the page the parent sees, not in one the child
	 * shares.
	 */
	fflush(stdout);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* after the guest's write, whenever that is */
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(*hva == 1 ? 0 : 1);
	}
	close(go[0]);
	vcpu_expect_sync(vcpu, 2);
	EXPECT_EQ(2, *hva);
	ASSERT_EQ(1, write(go[1], "w", 1));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	vm_free(vm);
}

#define THP_SLOT_SIZE	(2 * THP_SIZE)

/* Touch every 4 KiB page of the THP slot, then again on each request. */
static void guest_touch_thp_slot(void)
{
	uint64_t off;

	for (;;) {
		for (off = 0; off < THP_SLOT_SIZE; off += 4096)
			*(volatile uint8_t *)(EXTRA_GPA + off) += 1;
		GUEST_SYNC(0);
	}
}

#define CHURN_SIZE	(4 * MiB)
#define CHURN_PAGES	(CHURN_SIZE / HVX_PAGE_SIZE)

/*
 * First touches of the 4 KiB pages of the extra slot, between syncs.  One
 * page per 2 MiB is touched before: the guest's page walk then has its
 * tables mapped already, and each first touch is one EPT violation.
 */
static void guest_first_touches(void)
{
	uint64_t off;

	for (off = 0; off < CHURN_SIZE; off += THP_SIZE)
		*(volatile uint8_t *)(EXTRA_GPA + off) = 1;
	GUEST_SYNC(0);
	for (off = 0; off < CHURN_SIZE; off += HVX_PAGE_SIZE)
		if (off % THP_SIZE)
			*(volatile uint8_t *)(EXTRA_GPA + off) = 1;
	GUEST_SYNC(1);
	GUEST_DONE();
}

struct churn {
	bool stop;
	unsigned long rounds;
};

/* The VMM's own memory, mapped, touched and unmapped until told. */
static void *churn(void *arg)
{
	struct churn *c = arg;
	char *p;

	while (!__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE)) {
		p = mmap(NULL, 4 * HVX_PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			break;
		p[0] = 1;
		munmap(p, 4 * HVX_PAGE_SIZE);
		__atomic_add_fetch(&c->rounds, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/*
 * Invalidations of memory no slot maps (the VMM's heap, its buffers)
 * leave the guest's faults alone: each first touch of a page is one EPT
 * violation, however often the VMM unmaps its own memory meanwhile.
 * Before, each invalidation that ended while a fault looked its page up
 * made it retry.
 */
HVX_TEST(vmm_invalidations_do_not_retry_guest_faults)
{
	struct stats before, after;
	struct churn c = { 0 };
	unsigned long rounds;
	int i;
	struct test_vcpu *vcpu;
	struct vm_info info;
	struct test_vm *vm;
	uint64_t faults;
	pthread_t th;
	struct nlq q;
	void *hva;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, nlq_open(&q));
	vm = vm_create_with_one_vcpu(&vcpu, guest_first_touches);
	hva = vm_mem_add(vm, EXTRA_SLOT, 0, EXTRA_GPA, CHURN_SIZE);
	/* 4 KiB pages: one fault each */
	ASSERT_EQ(0, madvise(hva, CHURN_SIZE, MADV_NOHUGEPAGE));
	info = vm_of_pid(&q, getpid());
	vcpu_expect_sync(vcpu, 0);
	/* netlink, not hvx-stat: a fork would write-protect guest RAM */
	ASSERT_EQ(0, get_stats(&q, info.id, 0, &before));
	ASSERT_EQ(0, pthread_create(&th, NULL, churn, &c));
	/* churning before the faults, and still while they are served */
	for (i = 0; i < 10000 &&
	     __atomic_load_n(&c.rounds, __ATOMIC_ACQUIRE) < 10; i++)
		usleep(1000);
	rounds = __atomic_load_n(&c.rounds, __ATOMIC_ACQUIRE);
	ASSERT_LE(10, rounds);
	vcpu_expect_sync(vcpu, 1);
	EXPECT_LT(rounds, __atomic_load_n(&c.rounds, __ATOMIC_ACQUIRE));
	__atomic_store_n(&c.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	ASSERT_EQ(0, get_stats(&q, info.id, 0, &after));
	faults = after.reason[EXIT_REASON_EPT_VIOLATION] -
		 before.reason[EXIT_REASON_EPT_VIOLATION];
	TH_LOG("%llu EPT violations for %lu first touches",
	       (unsigned long long)faults,
	       (unsigned long)(CHURN_PAGES - CHURN_SIZE / THP_SIZE));
	EXPECT_EQ(CHURN_PAGES - CHURN_SIZE / THP_SIZE, faults);
	vcpu_expect_done(vcpu);
	vm_free(vm);
	nlq_close(&q);
}

#define KSM_DIR		"/sys/kernel/mm/ksm/"

/* A number in a KSM sysfs file, or -1. */
static long ksm_get(const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), KSM_DIR "%s", name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Set for this test: the fixture's teardown puts the old value back. */
static bool ksm_set(const char *name, long v)
{
	char path[128], val[32];

	snprintf(path, sizeof(path), KSM_DIR "%s", name);
	snprintf(val, sizeof(val), "%ld\n", v);
	return hvx_setting_set(path, val);
}

/* Fill the extra slot; at the next request write page 0, then check. */
static void guest_fill_write_first(void)
{
	unsigned int i;

	for (i = 0; i < EXTRA_PAGES; i++)
		*(volatile uint64_t *)(EXTRA_GPA + i * 4096ULL) = pattern(i);
	GUEST_SYNC(0);
	*(volatile uint64_t *)EXTRA_GPA = ~pattern(0);
	for (i = 0; i < EXTRA_PAGES; i++)
		GUEST_ASSERT_EQ(*(volatile uint64_t *)(EXTRA_GPA + i * 4096ULL),
				i ? pattern(i) : ~pattern(0));
	GUEST_SYNC(1);
	GUEST_DONE();
}

/*
 * Two guests fill their memory alike; KSM merges the pages (the notifier
 * takes the guests' mappings away first).  One guest then writes a
 * merged page: it gets its own copy, and the other guest still reads the
 * old contents; both read all their data back, and reading leaves the
 * pages merged.
 */
HVX_TEST_TIMEOUT(ksm_merges_two_guests, 300)
{
	long run0, sharing0, sharing = 0;
	struct test_vcpu *va, *vb;
	struct test_vm *a, *b;
	uint64_t *ha, *hb;
	int ms;

	HVX_REQUIRE_VM();
	run0 = ksm_get("run");
	HVX_REQUIRE(run0 >= 0, "no KSM in this kernel (CONFIG_KSM)");
	a = vm_create_with_one_vcpu(&va, guest_fill_write_first);
	b = vm_create_with_one_vcpu(&vb, guest_fill_then_check);
	ha = vm_mem_add(a, EXTRA_SLOT, 0, EXTRA_GPA, EXTRA_SIZE);
	hb = vm_mem_add(b, EXTRA_SLOT, 0, EXTRA_GPA, EXTRA_SIZE);
	vcpu_expect_sync(va, 0);
	vcpu_expect_sync(vb, 0);
	ASSERT_EQ(0, memcmp(ha, hb, EXTRA_SIZE));

	sharing0 = ksm_get("pages_sharing");
	ASSERT_EQ(0, madvise(ha, EXTRA_SIZE, MADV_MERGEABLE));
	ASSERT_EQ(0, madvise(hb, EXTRA_SIZE, MADV_MERGEABLE));
	ASSERT_TRUE(ksm_set("pages_to_scan", 4096));
	ASSERT_TRUE(ksm_set("sleep_millisecs", 10));
	ASSERT_TRUE(ksm_set("run", 1));
	/* One copy of each page kept, the other shares it. */
	for (ms = 0; ms < 120000; ms += 50) {
		sharing = ksm_get("pages_sharing") - sharing0;
		if (sharing >= EXTRA_PAGES)
			break;
		usleep(50000);
	}
	TH_LOG("pages_sharing rose by %ld in %d ms", sharing, ms);
	EXPECT_LE(EXTRA_PAGES, sharing);

	/* Guest A writes page 0 and reads its data; B reads the old. */
	vcpu_expect_sync(va, 1);
	vcpu_expect_sync(vb, 1);
	EXPECT_EQ(~pattern(0), ha[0]);
	EXPECT_EQ(pattern(0), hb[0]);
	EXPECT_EQ(pattern(9), hb[9 * HVX_PAGE_SIZE / 8]);
	/*
	 * Reading a merged page maps it read-only and keeps it shared:
	 * only the page guest A wrote has one user left.
	 */
	sharing = ksm_get("pages_sharing") - sharing0;
	TH_LOG("pages_sharing after both guests read: %ld more than before",
	       sharing);
	EXPECT_LE(EXTRA_PAGES - 1, sharing);

	vcpu_expect_done(va);
	vm_free(a);
	vm_free(b);
}

/* mov $0x5a, %eax; ret: in the THP slot, past the byte each page's touch */
static const uint8_t ret_5a[] = { 0xb8, 0x5a, 0x00, 0x00, 0x00, 0xc3 };
#define EXEC_TOUCHED	0x1800			/* in the first 2 MiB */
#define EXEC_FRESH	(THP_SIZE + 0x2800)	/* the second, never touched */

/* Touch the first 2 MiB of the THP slot, then call code in both. */
static void guest_exec_thp_slot(void)
{
	uint64_t off;

	for (off = 0; off < THP_SIZE; off += 4096)
		*(volatile uint8_t *)(EXTRA_GPA + off) += 1;
	GUEST_SYNC(0);
	GUEST_SYNC(((int (*)(void))(EXTRA_GPA + EXEC_TOUCHED))());
	GUEST_SYNC(((int (*)(void))(EXTRA_GPA + EXEC_FRESH))());
	GUEST_DONE();
}

/*
 * With the iTLB multihit mitigation no large EPT page is executable: a
 * fetch from memory mapped 2 MiB splits that page in place, and a first
 * access that is a fetch maps 4 KiB.  Without it the fetch keeps the
 * 2 MiB page.  The code runs either way.
 */
HVX_TEST(thp_code_runs_from_4k_ept_pages)
{
	struct vm_info before, touched, ran, fresh;
	char b[4][VM_INFO_STR];
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	struct nlq q;
	uint8_t *hva;
	bool nx;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(hvx_has_vmx_feature(HVX_VMX_EPT_2MB), "no 2 MiB EPT pages");
	nx = hvx_dev_caps()->mitigations & HVX_MITIGATE_NX_HUGE_PAGES;
	ASSERT_EQ(0, nlq_open(&q));
	vm = vm_create_with_one_vcpu(&vcpu, guest_exec_thp_slot);
	hva = thp_memory(THP_SLOT_SIZE);
	if (!hva)
		SKIP(goto out, "no transparent huge pages in this host");
	memcpy(hva + EXEC_TOUCHED, ret_5a, sizeof(ret_5a));
	memcpy(hva + EXEC_FRESH, ret_5a, sizeof(ret_5a));
	before = vm_of_pid(&q, getpid());
	vm_set_memory_region(vm, EXTRA_SLOT, 0, EXTRA_GPA, THP_SLOT_SIZE, hva);
	vcpu_expect_sync(vcpu, 0);
	touched = vm_of_pid(&q, getpid());
	vcpu_expect_sync(vcpu, 0x5a);
	ran = vm_of_pid(&q, getpid());
	vcpu_expect_sync(vcpu, 0x5a);
	fresh = vm_of_pid(&q, getpid());
	vcpu_expect_done(vcpu);
	TH_LOG("nx_huge_pages %s; EPT pages: %s; touched %s; ran %s; fresh %s",
	       nx ? "on" : "off", vm_info_str(&before, b[0]),
	       vm_info_str(&touched, b[1]), vm_info_str(&ran, b[2]),
	       vm_info_str(&fresh, b[3]));
	/* the touched block: one 2 MiB page, data only */
	EXPECT_EQ(before.mapped[1] + 1, touched.mapped[1]);
	if (nx) {
		/* split by the fetch: its 512 pages stay mapped, 4 KiB */
		EXPECT_EQ(touched.splits + 1, ran.splits);
		EXPECT_EQ(touched.mapped[1] - 1, ran.mapped[1]);
		/* (a few more: the guest's own pages on the way) */
		EXPECT_LE(touched.mapped[0] + 512, ran.mapped[0]);
		EXPECT_GE(touched.mapped[0] + 512 + 16, ran.mapped[0]);
		/* a fetch first maps 4 KiB: no 2 MiB page, no split */
		EXPECT_EQ(ran.splits, fresh.splits);
		EXPECT_EQ(ran.mapped[1], fresh.mapped[1]);
		EXPECT_LE(ran.mapped[0] + 1, fresh.mapped[0]);
		EXPECT_GE(ran.mapped[0] + 16, fresh.mapped[0]);
	} else {
		EXPECT_EQ(touched.splits, ran.splits);
		EXPECT_EQ(touched.mapped[1], ran.mapped[1]);
		EXPECT_EQ(ran.mapped[1] + 1, fresh.mapped[1]);
	}
	EXPECT_EQ(1, hva[0]);
out:
	vm_free(vm);
	nlq_close(&q);
}

/* Touch every 4 KiB page of the THP slot's first 2 MiB as data. */
static void touch_extra_block(void)
{
	uint64_t off;

	for (off = 0; off < THP_SIZE; off += 4096)
		*(volatile uint8_t *)(EXTRA_GPA + off) += 1;
}

/*
 * Touch the first 2 MiB of the THP slot, call code in it, then touch it
 * twice more, each at a request; call the code again, touch it once more.
 */
static void guest_exec_then_data(void)
{
	int i;

	touch_extra_block();
	GUEST_SYNC(0);
	GUEST_SYNC(((int (*)(void))(EXTRA_GPA + EXEC_TOUCHED))());
	for (i = 0; i < 2; i++) {
		touch_extra_block();
		GUEST_SYNC(1);
	}
	GUEST_SYNC(((int (*)(void))(EXTRA_GPA + EXEC_TOUCHED))());
	touch_extra_block();
	GUEST_SYNC(2);
	GUEST_DONE();
}

#define NX_RATIO	HVX_PARAM("nx_huge_pages_recovery_ratio")
#define NX_PERIOD	HVX_PARAM("nx_huge_pages_recovery_period_ms")

#define NX_RECOVERY_REQUIRE() do {					\
	HVX_REQUIRE_VM();						\
	HVX_REQUIRE(hvx_has_vmx_feature(HVX_VMX_EPT_2MB),		\
		    "no 2 MiB EPT pages");				\
	HVX_REQUIRE(hvx_dev_caps()->mitigations &			\
		    HVX_MITIGATE_NX_HUGE_PAGES, "nx_huge_pages off");	\
} while (0)

/*
 * A VM running @guest over the THP slot, ret_5a at @code in it, and the
 * recovery every 100 ms for all blocks; NULL where no THP backs the slot.
 * The slot's memory in *@hvap if @hvap.
 */
static struct test_vm *nx_recovery_vm(struct __test_metadata *_metadata,
				      void *guest, uint64_t code,
				      struct test_vcpu **vcpu, uint8_t **hvap)
{
	struct test_vm *vm;
	uint8_t *hva;

	ASSERT_TRUE(hvx_param_set(NX_RATIO, 1));
	ASSERT_TRUE(hvx_param_set(NX_PERIOD, 100));
	vm = vm_create_with_one_vcpu(vcpu, guest);
	hva = thp_memory(THP_SLOT_SIZE);
	if (!hva) {
		vm_free(vm);
		return NULL;
	}
	memcpy(hva + code, ret_5a, sizeof(ret_5a));
	vm_set_memory_region(vm, EXTRA_SLOT, 0, EXTRA_GPA, THP_SLOT_SIZE, hva);
	if (hvap)
		*hvap = hva;
	return vm;
}

/*
 * A 2 MiB block that an instruction fetch split under the iTLB multihit
 * mitigation gets its 2 MiB EPT page back from the recovery (here every
 * 100 ms, all of them): the next data access maps it large, the next
 * fetch splits it again.  With the recovery off it stays split, data
 * accesses after a recovery period included.
 */
HVX_TEST(nx_split_blocks_get_large_pages_back)
{
	struct vm_info touched, ran, back, off, again, stays;
	char b[4][VM_INFO_STR];
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	struct nlq q;

	NX_RECOVERY_REQUIRE();
	vm = nx_recovery_vm(_metadata, guest_exec_then_data, EXEC_TOUCHED,
			    &vcpu, NULL);
	if (!vm)
		SKIP(return, "no transparent huge pages in this host");
	ASSERT_EQ(0, nlq_open(&q));
	vcpu_expect_sync(vcpu, 0);
	touched = vm_of_pid(&q, getpid());
	vcpu_expect_sync(vcpu, 0x5a);
	ran = vm_of_pid(&q, getpid());
	/* the recovery runs; the guest touches the block as data */
	usleep(500 * 1000);
	vcpu_expect_sync(vcpu, 1);
	back = vm_of_pid(&q, getpid());
	/* split again below; with the recovery off it stays so */
	ASSERT_TRUE(hvx_param_set(NX_RATIO, 0));
	vcpu_expect_sync(vcpu, 1);
	off = vm_of_pid(&q, getpid());
	vcpu_expect_sync(vcpu, 0x5a);
	again = vm_of_pid(&q, getpid());
	usleep(500 * 1000);
	vcpu_expect_sync(vcpu, 2);
	stays = vm_of_pid(&q, getpid());
	vcpu_expect_done(vcpu);
	TH_LOG("EPT pages: touched %s; ran %s; back %s; again %s",
	       vm_info_str(&touched, b[0]), vm_info_str(&ran, b[1]),
	       vm_info_str(&back, b[2]), vm_info_str(&again, b[3]));
	EXPECT_EQ(touched.mapped[1] - 1, ran.mapped[1]);
	EXPECT_EQ(touched.splits + 1, ran.splits);
	/* large again, with no split on the way */
	EXPECT_EQ(touched.mapped[1], back.mapped[1]);
	EXPECT_EQ(ran.splits, back.splits);
	EXPECT_EQ(back.mapped[1], off.mapped[1]);
	/* the fetch split it again, and nothing takes it back */
	EXPECT_EQ(back.splits + 1, again.splits);
	EXPECT_EQ(back.mapped[1] - 1, again.mapped[1]);
	/* a recovery would have let the data round map it large */
	EXPECT_EQ(again.mapped[1], stays.mapped[1]);
	EXPECT_EQ(again.splits, stays.splits);
	vm_free(vm);
	nlq_close(&q);
}

/*
 * A split block waiting for its recovery stays split when an invalidation
 * takes all its leaves (here an mprotect() round trip): its next data
 * accesses map 4 KiB, and the fetch that follows needs no split.  (Mapped
 * large again, it would be split and noted for the recovery once more.)
 */
HVX_TEST(nx_split_block_stays_split_after_invalidation)
{
	struct vm_info ran, data, again;
	char b[3][VM_INFO_STR];
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	struct nlq q;
	uint8_t *hva;

	NX_RECOVERY_REQUIRE();
	vm = nx_recovery_vm(_metadata, guest_exec_then_data, EXEC_TOUCHED,
			    &vcpu, &hva);
	if (!vm)
		SKIP(return, "no transparent huge pages in this host");
	/* no recovery within the test */
	ASSERT_TRUE(hvx_param_set(NX_PERIOD, 3600 * 1000));
	ASSERT_EQ(0, nlq_open(&q));
	vcpu_expect_sync(vcpu, 0);
	vcpu_expect_sync(vcpu, 0x5a);
	ran = vm_of_pid(&q, getpid());
	ASSERT_EQ(0, mprotect(hva, THP_SIZE, PROT_READ));
	ASSERT_EQ(0, mprotect(hva, THP_SIZE, PROT_READ | PROT_WRITE));
	vcpu_expect_sync(vcpu, 1);
	data = vm_of_pid(&q, getpid());
	vcpu_expect_sync(vcpu, 1);
	vcpu_expect_sync(vcpu, 0x5a);
	again = vm_of_pid(&q, getpid());
	vcpu_expect_sync(vcpu, 2);
	vcpu_expect_done(vcpu);
	TH_LOG("EPT pages: ran %s; data %s; again %s",
	       vm_info_str(&ran, b[0]), vm_info_str(&data, b[1]),
	       vm_info_str(&again, b[2]));
	EXPECT_EQ(ran.mapped[1], data.mapped[1]);
	EXPECT_EQ(ran.mapped[1], again.mapped[1]);
	EXPECT_EQ(ran.splits, again.splits);
	/* the data went through the mprotect() round */
	EXPECT_EQ(4, hva[0]);
	vm_free(vm);
	nlq_close(&q);
}

/* Call code in the THP slot's second block, its first access; then data. */
static void guest_fetch_then_data(void)
{
	uint64_t off;

	GUEST_SYNC(((int (*)(void))(EXTRA_GPA + EXEC_FRESH))());
	for (off = THP_SIZE; off < THP_SLOT_SIZE; off += 4096)
		*(volatile uint8_t *)(EXTRA_GPA + off) += 1;
	GUEST_SYNC(1);
	GUEST_DONE();
}

/*
 * A block whose first access is a fetch maps 4 KiB under the mitigation;
 * the recovery takes it back as it does a split block, and the data that
 * follows maps it large.  (It was never noted: its data filled it 4 KiB
 * at a time for as long as the slot lived.)
 */
HVX_TEST(nx_fetch_first_blocks_get_large_pages_back)
{
	struct vm_info ran, back;
	char b[2][VM_INFO_STR];
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	struct nlq q;

	NX_RECOVERY_REQUIRE();
	vm = nx_recovery_vm(_metadata, guest_fetch_then_data, EXEC_FRESH,
			    &vcpu, NULL);
	if (!vm)
		SKIP(return, "no transparent huge pages in this host");
	ASSERT_EQ(0, nlq_open(&q));
	vcpu_expect_sync(vcpu, 0x5a);
	ran = vm_of_pid(&q, getpid());
	usleep(500 * 1000);
	vcpu_expect_sync(vcpu, 1);
	back = vm_of_pid(&q, getpid());
	vcpu_expect_done(vcpu);
	TH_LOG("EPT pages: ran %s; back %s", vm_info_str(&ran, b[0]),
	       vm_info_str(&back, b[1]));
	EXPECT_EQ(ran.mapped[1] + 1, back.mapped[1]);
	EXPECT_EQ(ran.splits, back.splits);
	vm_free(vm);
	nlq_close(&q);
}

HVX_TEST(thp_memory_gets_2m_ept_pages)
{
	struct vm_info before, after, split;
	char b[2][VM_INFO_STR];
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	struct nlq q;
	uint8_t *hva;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(hvx_has_vmx_feature(HVX_VMX_EPT_2MB), "no 2 MiB EPT pages");
	ASSERT_EQ(0, nlq_open(&q));
	vm = vm_create_with_one_vcpu(&vcpu, guest_touch_thp_slot);
	hva = thp_memory(THP_SLOT_SIZE);
	if (!hva)
		SKIP(goto out, "no transparent huge pages in this host");
	before = vm_of_pid(&q, getpid());
	vm_set_memory_region(vm, EXTRA_SLOT, 0, EXTRA_GPA, THP_SLOT_SIZE, hva);
	vcpu_expect_sync(vcpu, 0);
	after = vm_of_pid(&q, getpid());
	TH_LOG("EPT pages: before %s; after %s", vm_info_str(&before, b[0]),
	       vm_info_str(&after, b[1]));
	/* 1024 pages touched, two EPT entries for them. */
	EXPECT_EQ(before.mapped[1] + 2, after.mapped[1]);
	EXPECT_GE(before.mapped[0] + 16, after.mapped[0]);
	EXPECT_EQ(1, hva[0]);

	/* One 4 KiB page goes: its whole 2 MiB EPT page goes with it. */
	ASSERT_EQ(0, madvise(hva + 4096, 4096, MADV_DONTNEED));
	split = vm_of_pid(&q, getpid());
	EXPECT_EQ(after.mapped[1] - 1, split.mapped[1]);
	/* The guest finds its data again, the dropped page zeroed. */
	vcpu_expect_sync(vcpu, 0);
	EXPECT_EQ(2, hva[0]);
	EXPECT_EQ(1, hva[4096]);
	EXPECT_EQ(2, hva[THP_SIZE]);
out:
	vm_free(vm);
	nlq_close(&q);
}

TEST_HARNESS_MAIN
