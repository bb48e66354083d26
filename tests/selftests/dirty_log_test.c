// SPDX-License-Identifier: GPL-2.0
/*
 * dirty_log_test: HVX_MEM_LOG_DIRTY, HVX_GET_DIRTY_LOG and
 * HVX_CLEAR_DIRTY_LOG.
 *
 * The log names exactly the pages the guest wrote (not those it only
 * read), is cleared by a read unless HVX_DIRTY_LOG_KEEP, and a cleared
 * page is logged again on its next write; read while the guest writes,
 * it never misses a page: a copy kept by copying each page the log names
 * ends equal to guest memory.  Bad requests get errnos.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvx_harness.h"

#define LOG_SLOT	1
#define LOG_GPA		(1ULL << 30)
#define LOG_PAGES	256
#define LOG_SIZE	(LOG_PAGES * HVX_PAGE_SIZE)
#define LOG_WORDS	(LOG_PAGES / 64)

static uint64_t *page_word(uint64_t base, unsigned int page)
{
	return (uint64_t *)(base + page * HVX_PAGE_SIZE);
}

/* Round 1 writes every third page and reads the rest; round 2 page 5. */
static void guest_two_rounds(void)
{
	unsigned int i;
	uint64_t sum = 0;

	for (i = 0; i < LOG_PAGES; i++) {
		if (i % 3 == 0)
			*(volatile uint64_t *)page_word(LOG_GPA, i) = i + 1;
		else
			sum += *(volatile uint64_t *)page_word(LOG_GPA, i);
	}
	GUEST_SYNC(sum);
	*(volatile uint64_t *)page_word(LOG_GPA, 5) = 5;
	GUEST_SYNC(1);
	*(volatile uint64_t *)page_word(LOG_GPA, 6) = 6;
	*(volatile uint64_t *)page_word(LOG_GPA, 130) = 130;
	GUEST_SYNC(2);
	GUEST_DONE();
}

static bool bit(const uint64_t *map, unsigned int page)
{
	return map[page / 64] >> (page % 64) & 1;
}

static unsigned int count_bits(const uint64_t *map)
{
	unsigned int i, n = 0;

	for (i = 0; i < LOG_WORDS; i++)
		n += __builtin_popcountll(map[i]);
	return n;
}

static struct test_vm *log_vm(struct test_vcpu **vcpu, void *guest,
			      uint8_t **hva)
{
	struct test_vm *vm = vm_create_with_one_vcpu(vcpu, guest);

	*hva = vm_mem_add(vm, LOG_SLOT, HVX_MEM_LOG_DIRTY, LOG_GPA, LOG_SIZE);
	return vm;
}

HVX_TEST(log_names_the_pages_written)
{
	uint64_t map[LOG_WORDS];
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	unsigned int i;
	uint8_t *hva;

	HVX_REQUIRE_VM();
	ASSERT_TRUE(hvx_dev_caps()->hvx_features & HVX_FEAT_DIRTY_LOG);
	vm = log_vm(&vcpu, guest_two_rounds, &hva);
	vcpu_expect_sync(vcpu, 0);

	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map));
	for (i = 0; i < LOG_PAGES; i++)
		EXPECT_EQ(i % 3 == 0, bit(map, i)) {
			TH_LOG("page %u", i);
			break;
		}
	/* Read and cleared: nothing since. */
	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map));
	EXPECT_EQ(0, count_bits(map));

	/* Page 5 was read before: its first write is logged. */
	vcpu_expect_sync(vcpu, 1);
	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map));
	EXPECT_EQ(1, count_bits(map));
	EXPECT_TRUE(bit(map, 5));
	EXPECT_EQ(5, *page_word((uintptr_t)hva, 5));

	/* Page 6 was written, then cleared: written again, logged again. */
	vcpu_expect_sync(vcpu, 2);
	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map));
	EXPECT_EQ(2, count_bits(map));
	EXPECT_TRUE(bit(map, 6));
	EXPECT_TRUE(bit(map, 130));
	vcpu_expect_done(vcpu);
	vm_free(vm);
}

/* Write page 6 again on every request. */
static void guest_rewrite_pages(void)
{
	uint64_t v;

	for (v = 1;; v++) {
		*(volatile uint64_t *)page_word(LOG_GPA, 6) = v;
		*(volatile uint64_t *)page_word(LOG_GPA, 70) = v;
		*(volatile uint64_t *)page_word(LOG_GPA, 200) = v;
		GUEST_SYNC(v);
	}
}

HVX_TEST(keep_then_clear_a_range)
{
	uint64_t map[LOG_WORDS], clear[LOG_WORDS] = {};
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint8_t *hva;

	HVX_REQUIRE_VM();
	vm = log_vm(&vcpu, guest_rewrite_pages, &hva);
	vcpu_expect_sync(vcpu, 1);

	/* HVX_DIRTY_LOG_KEEP reads without clearing. */
	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, HVX_DIRTY_LOG_KEEP,
				       map));
	EXPECT_EQ(3, count_bits(map));
	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, HVX_DIRTY_LOG_KEEP,
				       map));
	EXPECT_EQ(3, count_bits(map));

	/* Clear page 70 (second word) only: 6 and 200 stay. */
	clear[0] = 1ULL << (70 - 64);
	ASSERT_EQ(0, hvx_clear_dirty_log(vm->fd, LOG_SLOT, 64, 64, clear));
	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, HVX_DIRTY_LOG_KEEP,
				       map));
	EXPECT_EQ(2, count_bits(map));
	EXPECT_TRUE(bit(map, 6));
	EXPECT_FALSE(bit(map, 70));
	EXPECT_TRUE(bit(map, 200));

	/* Page 70 was write-protected again: its next write is logged. */
	vcpu_expect_sync(vcpu, 2);
	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, HVX_DIRTY_LOG_KEEP,
				       map));
	EXPECT_EQ(3, count_bits(map));
	EXPECT_EQ(2, *page_word((uintptr_t)hva, 70));

	/* The last word of the slot, set whole: page 200 goes. */
	memset(clear, 0xff, sizeof(clear));
	ASSERT_EQ(0, hvx_clear_dirty_log(vm->fd, LOG_SLOT, 192, 64, clear));
	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map));
	EXPECT_EQ(2, count_bits(map));
	EXPECT_FALSE(bit(map, 200));
	vm_free(vm);
}

#define ODD_PAGES	100

/* Write pages 5, 70 and 99 (the last) of a 100-page slot on each request. */
static void guest_rewrite_odd(void)
{
	uint64_t v;

	for (v = 1;; v++) {
		*(volatile uint64_t *)page_word(LOG_GPA, 5) = v;
		*(volatile uint64_t *)page_word(LOG_GPA, 70) = v;
		*(volatile uint64_t *)page_word(LOG_GPA, ODD_PAGES - 1) = v;
		GUEST_SYNC(v);
	}
}

/*
 * A range that ends with the slot need not be 64 pages (a slot of 100:
 * pages 64-99), and the bits its bitmap sets past the slot are ignored;
 * one that ends short of it, or past it, must be whole words.
 */
HVX_TEST(clear_the_tail_of_an_odd_slot)
{
	/* the log of 100 pages is two words: the other two stay 0 */
	uint64_t map[LOG_WORDS] = {}, clear[1];
	struct test_vcpu *vcpu;
	struct test_vm *vm;

	HVX_REQUIRE_VM();
	vm = vm_create_with_one_vcpu(&vcpu, guest_rewrite_odd);
	vm_mem_add(vm, LOG_SLOT, HVX_MEM_LOG_DIRTY, LOG_GPA,
		   ODD_PAGES * HVX_PAGE_SIZE);
	vcpu_expect_sync(vcpu, 1);
	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, HVX_DIRTY_LOG_KEEP,
				       map));
	EXPECT_EQ(3, count_bits(map));

	clear[0] = ~0ULL;
	EXPECT_ERRNO(EINVAL, hvx_clear_dirty_log(vm->fd, LOG_SLOT, 64, 37,
						 clear));
	EXPECT_ERRNO(EINVAL, hvx_clear_dirty_log(vm->fd, LOG_SLOT, 64, 35,
						 clear));
	EXPECT_ERRNO(EINVAL, hvx_clear_dirty_log(vm->fd, LOG_SLOT, 0, 36,
						 clear));
	ASSERT_EQ(0, hvx_clear_dirty_log(vm->fd, LOG_SLOT, 64, 36, clear));
	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, HVX_DIRTY_LOG_KEEP,
				       map));
	EXPECT_EQ(1, count_bits(map));
	EXPECT_TRUE(bit(map, 5));

	/* both write-protected again: their next writes are logged */
	vcpu_expect_sync(vcpu, 2);
	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map));
	EXPECT_EQ(3, count_bits(map));
	EXPECT_TRUE(bit(map, 70));
	EXPECT_TRUE(bit(map, ODD_PAGES - 1));
	vm_free(vm);
}

HVX_TEST(bad_requests_fail)
{
	uint64_t map[LOG_WORDS] = {};
	struct hvx_clear_dirty_log c;
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint8_t *hva;
	void *plain;

	HVX_REQUIRE_VM();
	vm = log_vm(&vcpu, guest_rewrite_pages, &hva);
	vcpu_expect_sync(vcpu, 1);

	/* Slot 0 does not log; slot 9 is unused; 1000 does not exist. */
	EXPECT_ERRNO(EINVAL, hvx_get_dirty_log(vm->fd, 0, 0, map));
	EXPECT_ERRNO(EINVAL, hvx_get_dirty_log(vm->fd, 9, 0, map));
	EXPECT_ERRNO(EINVAL, hvx_clear_dirty_log(vm->fd, 1000, 0, 64, map));
	/* Unknown flags, a non-zero pad. */
	EXPECT_ERRNO(EINVAL, hvx_get_dirty_log(vm->fd, LOG_SLOT, 2, map));
	c = (struct hvx_clear_dirty_log){ .slot = LOG_SLOT, .pad = 1,
		.num_pages = 64, .bitmap = (uintptr_t)map };
	EXPECT_ERRNO(EINVAL, ioctl(vm->fd, HVX_CLEAR_DIRTY_LOG, &c));

	/* Bad bitmap pointers: the log is not lost. */
	EXPECT_ERRNO(EFAULT, hvx_get_dirty_log(vm->fd, LOG_SLOT, 0,
					       (uint64_t *)8));
	EXPECT_ERRNO(EFAULT, ioctl(vm->fd, HVX_GET_DIRTY_LOG, (void *)8));
	EXPECT_ERRNO(EFAULT, hvx_clear_dirty_log(vm->fd, LOG_SLOT, 0, 64,
						 (uint64_t *)8));
	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map));
	EXPECT_EQ(3, count_bits(map));

	/* Ranges: outside the slot, empty, not 64-page aligned. */
	EXPECT_ERRNO(EINVAL, hvx_clear_dirty_log(vm->fd, LOG_SLOT, 256, 64,
						 map));
	EXPECT_ERRNO(EINVAL, hvx_clear_dirty_log(vm->fd, LOG_SLOT, 192, 128,
						 map));
	EXPECT_ERRNO(EINVAL, hvx_clear_dirty_log(vm->fd, LOG_SLOT, 0, 0, map));
	EXPECT_ERRNO(EINVAL, hvx_clear_dirty_log(vm->fd, LOG_SLOT, 32, 64,
						 map));
	EXPECT_ERRNO(EINVAL, hvx_clear_dirty_log(vm->fd, LOG_SLOT, 0, 63, map));

	/* Logging a read-only slot makes no sense. */
	plain = mmap(NULL, LOG_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, plain);
	EXPECT_REGION_ERR(vm->fd, 2, HVX_MEM_LOG_DIRTY | HVX_MEM_READONLY,
			  2ULL << 30, LOG_SIZE, plain, EINVAL);
	EXPECT_REGION_ERR(vm->fd, 2, 1U << 7, 2ULL << 30, LOG_SIZE, plain,
			  EINVAL);
	munmap(plain, LOG_SIZE);
	vm_free(vm);
}

#define RACE_ROUNDS	100

/* Each round writes its number into a fifth of the pages. */
static void guest_write_rounds(void)
{
	unsigned int r, p;

	for (r = 1; r <= RACE_ROUNDS; r++)
		for (p = 0; p < LOG_PAGES; p++)
			if ((p * 7 + r) % 5 == 0)
				page_word(LOG_GPA, p)[r % 512] = r;
	GUEST_DONE();
}

struct race {
	struct test_vcpu *vcpu;
	volatile bool done;
};

static void *race_vcpu(void *arg)
{
	struct race *r = arg;

	vcpu_expect_done(r->vcpu);
	r->done = true;
	return NULL;
}

/* Copy into @shadow every page the log names; the number copied. */
static unsigned int sync_shadow(struct test_vm *vm, const uint8_t *hva,
				uint8_t *shadow)
{
	uint64_t map[LOG_WORDS];
	unsigned int p, n = 0;

	TEST_ASSERT(!hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map),
		    "HVX_GET_DIRTY_LOG: %s", strerror(errno));
	for (p = 0; p < LOG_PAGES; p++) {
		if (!bit(map, p))
			continue;
		memcpy(shadow + p * HVX_PAGE_SIZE, hva + p * HVX_PAGE_SIZE,
		       HVX_PAGE_SIZE);
		n++;
	}
	return n;
}

HVX_TEST(concurrent_reads_miss_no_page)
{
	struct race r = {};
	unsigned int reads = 0, copied = 0, p, bad = 0;
	struct test_vm *vm;
	uint8_t *hva, *shadow;
	pthread_t th;

	HVX_REQUIRE_VM();
	vm = log_vm(&r.vcpu, guest_write_rounds, &hva);
	shadow = calloc(1, LOG_SIZE);
	ASSERT_NE(NULL, shadow);

	ASSERT_EQ(0, pthread_create(&th, NULL, race_vcpu, &r));
	/*
	 * A pause between reads, as a migration loop has: read back to
	 * back, each read write-protects the page the guest was just let
	 * to write and kicks it out before its store retires, and the
	 * guest crawls.
	 */
	while (!r.done) {
		copied += sync_shadow(vm, hva, shadow);
		reads++;
		usleep(2000);
	}
	ASSERT_EQ(0, pthread_join(th, NULL));
	/* The last writes, after the last read while the guest ran. */
	copied += sync_shadow(vm, hva, shadow);
	TH_LOG("%u log reads while the guest wrote, %u pages copied", reads,
	       copied);
	for (p = 0; p < LOG_PAGES; p++)
		if (memcmp(shadow + p * HVX_PAGE_SIZE, hva + p * HVX_PAGE_SIZE,
			   HVX_PAGE_SIZE))
			bad++;
	EXPECT_EQ(0, bad);
	EXPECT_LT(1, reads);
	/* Each page holds the number of the last round that wrote it. */
	for (p = 0; p < LOG_PAGES; p++) {
		unsigned int last = RACE_ROUNDS;

		while ((p * 7 + last) % 5)
			last--;
		EXPECT_EQ(last, page_word((uintptr_t)hva, p)[last % 512]);
	}
	free(shadow);
	vm_free(vm);
}

TEST_HARNESS_MAIN
