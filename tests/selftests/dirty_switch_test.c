// SPDX-License-Identifier: GPL-2.0
/*
 * dirty_switch_test: dirty logging turned on and off on a live slot,
 * HVX_SET_MEMORY_REGION naming it again with only HVX_MEM_LOG_DIRTY
 * changed (HVX_FEAT_DIRTY_LOG_SWITCH).
 *
 * Turned on while the guest writes, the log misses no write made after
 * the call returned: a copy taken then and kept up to date from the log
 * ends equal to guest memory.  Turned off, there is no log to read, and
 * the guest's data stays right throughout.  On THP-backed memory the 2 MiB
 * EPT pages are split in place: the guest reads the whole slot without an
 * exit and takes exactly one EPT violation for the one page it writes;
 * turned off, 2 MiB pages map the slot again.  Bad requests get errnos.
 */
#include <asm/vmx.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvx_harness.h"
#include "nlq.h"

#define LOG_SLOT	1
#define LOG_GPA		(1ULL << 30)
#define LOG_PAGES	256
#define LOG_SIZE	(LOG_PAGES * HVX_PAGE_SIZE)
#define LOG_WORDS	(LOG_PAGES / 64)

/* A page the host and guest talk through while the guest runs. */
#define CTRL_SLOT	2
#define CTRL_GPA	(LOG_GPA + 64 * MiB)

enum { CTRL_CMD, CTRL_ROUND, CTRL_PAUSED };	/* words of the page */
enum { CMD_RUN, CMD_PAUSE, CMD_STOP };

static uint64_t *page_word(uint64_t base, unsigned int page)
{
	return (uint64_t *)(base + page * HVX_PAGE_SIZE);
}

/* Round @r writes into page @p. */
static bool round_writes(unsigned int r, unsigned int p)
{
	return (p * 7 + r) % 5 == 0;
}

/*
 * Rounds of writes, each of a fifth of the pages, until the host says
 * stop; between rounds, wait while it says pause.
 */
static void guest_write_until_stopped(void)
{
	volatile uint64_t *ctrl = (uint64_t *)CTRL_GPA;
	unsigned int r, p;

	for (r = 1; ctrl[CTRL_CMD] != CMD_STOP; r++) {
		for (p = 0; p < LOG_PAGES; p++)
			if (round_writes(r, p))
				page_word(LOG_GPA, p)[r % 512] = r;
		ctrl[CTRL_ROUND] = r;
		while (ctrl[CTRL_CMD] == CMD_PAUSE)
			ctrl[CTRL_PAUSED] = r;
	}
	GUEST_DONE();
}

struct writer {
	struct test_vcpu *vcpu;
	volatile uint64_t *ctrl;
	uint8_t *hva;
};

static void *writer_vcpu(void *arg)
{
	vcpu_expect_done(((struct writer *)arg)->vcpu);
	return NULL;
}

static uint64_t ctrl_get(struct writer *w, int word)
{
	return __atomic_load_n(&w->ctrl[word], __ATOMIC_ACQUIRE);
}

static void ctrl_set(struct writer *w, uint64_t cmd)
{
	__atomic_store_n(&w->ctrl[CTRL_CMD], cmd, __ATOMIC_RELEASE);
}

/* Wait until the guest has finished round @r; false after 60 s. */
static bool wait_round(struct writer *w, uint64_t r)
{
	int ms;

	for (ms = 0; ms < 60000; ms++) {
		if (ctrl_get(w, CTRL_ROUND) >= r)
			return true;
		usleep(1000);
	}
	return false;
}

static bool bit(const uint64_t *map, unsigned int page)
{
	return map[page / 64] >> (page % 64) & 1;
}

/* Copy into @shadow every page the log names. */
static void sync_shadow(struct test_vm *vm, const uint8_t *hva,
			uint8_t *shadow)
{
	uint64_t map[LOG_WORDS];
	unsigned int p;

	TEST_ASSERT(!hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map),
		    "HVX_GET_DIRTY_LOG: %s", strerror(errno));
	for (p = 0; p < LOG_PAGES; p++)
		if (bit(map, p))
			memcpy(shadow + p * HVX_PAGE_SIZE,
			       hva + p * HVX_PAGE_SIZE, HVX_PAGE_SIZE);
}

/* Pages of @a and @b that differ. */
static unsigned int pages_differ(const uint8_t *a, const uint8_t *b)
{
	unsigned int p, n = 0;

	for (p = 0; p < LOG_PAGES; p++)
		n += !!memcmp(a + p * HVX_PAGE_SIZE, b + p * HVX_PAGE_SIZE,
			      HVX_PAGE_SIZE);
	return n;
}

/*
 * Pages whose data is not what rounds 1 .. @last wrote: in each page,
 * the word of every round that wrote it holds that round's number, from
 * the last 512 rounds (a word is rewritten every 512).
 */
static unsigned int pages_wrong(const uint8_t *hva, unsigned int last)
{
	unsigned int p, r, n = 0;

	for (p = 0; p < LOG_PAGES; p++) {
		const uint64_t *w = page_word((uintptr_t)hva, p);

		for (r = last > 512 ? last - 511 : 1; r <= last; r++) {
			if (round_writes(r, p) && w[r % 512] != r) {
				n++;
				break;
			}
		}
	}
	return n;
}

static void set_logging(struct test_vm *vm, uint32_t slot, void *hva,
			uint64_t gpa, uint64_t size, bool on)
{
	vm_set_memory_region(vm, slot, on ? HVX_MEM_LOG_DIRTY : 0, gpa, size,
			     hva);
}

HVX_TEST(switched_on_mid_run_misses_no_write)
{
	struct writer w = {};
	uint64_t map[LOG_WORDS], r_on, r_off, last;
	uint8_t *shadow;
	struct test_vm *vm;
	pthread_t th;
	int i;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(hvx_dev_caps()->hvx_features & HVX_FEAT_DIRTY_LOG_SWITCH,
		    "no HVX_FEAT_DIRTY_LOG_SWITCH");
	vm = vm_create_with_one_vcpu(&w.vcpu, guest_write_until_stopped);
	w.hva = vm_mem_add(vm, LOG_SLOT, 0, LOG_GPA, LOG_SIZE);
	w.ctrl = vm_mem_add(vm, CTRL_SLOT, 0, CTRL_GPA, HVX_PAGE_SIZE);
	shadow = calloc(1, LOG_SIZE);
	ASSERT_NE(NULL, shadow);
	ASSERT_EQ(0, pthread_create(&th, NULL, writer_vcpu, &w));

	/* Not logging: no log to read. */
	ASSERT_TRUE(wait_round(&w, 20));
	EXPECT_ERRNO(EINVAL, hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map));

	/* On, then a full copy, as a migration starts. */
	set_logging(vm, LOG_SLOT, w.hva, LOG_GPA, LOG_SIZE, true);
	r_on = ctrl_get(&w, CTRL_ROUND);
	memcpy(shadow, w.hva, LOG_SIZE);
	for (i = 0; i < 20; i++) {
		usleep(2000);
		sync_shadow(vm, w.hva, shadow);
	}
	/* The guest wrote on while logged (its own pace, faulting). */
	EXPECT_TRUE(wait_round(&w, r_on + 20));

	/* Paused: the copy kept from the log equals guest memory. */
	ctrl_set(&w, CMD_PAUSE);
	while (!ctrl_get(&w, CTRL_PAUSED))
		usleep(1000);
	sync_shadow(vm, w.hva, shadow);
	EXPECT_EQ(0, pages_differ(shadow, w.hva));
	TH_LOG("logging on at round %llu, paused at round %llu",
	       (unsigned long long)r_on,
	       (unsigned long long)ctrl_get(&w, CTRL_PAUSED));

	/* Off: no log any more; the guest writes on unlogged. */
	set_logging(vm, LOG_SLOT, w.hva, LOG_GPA, LOG_SIZE, false);
	EXPECT_ERRNO(EINVAL, hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map));
	EXPECT_ERRNO(EINVAL, hvx_clear_dirty_log(vm->fd, LOG_SLOT, 0, 64,
						 map));
	r_off = ctrl_get(&w, CTRL_ROUND);
	ctrl_set(&w, CMD_RUN);
	EXPECT_TRUE(wait_round(&w, r_off + 50));

	/* On again: a fresh log, empty until the guest writes. */
	ctrl_set(&w, CMD_PAUSE);
	while (ctrl_get(&w, CTRL_PAUSED) <= r_off)
		usleep(1000);
	set_logging(vm, LOG_SLOT, w.hva, LOG_GPA, LOG_SIZE, true);
	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, HVX_DIRTY_LOG_KEEP,
				       map));
	EXPECT_EQ(0, map[0] | map[1] | map[2] | map[3]);
	memcpy(shadow, w.hva, LOG_SIZE);
	ctrl_set(&w, CMD_RUN);
	EXPECT_TRUE(wait_round(&w, ctrl_get(&w, CTRL_PAUSED) + 5));

	ctrl_set(&w, CMD_STOP);
	ASSERT_EQ(0, pthread_join(th, NULL));
	sync_shadow(vm, w.hva, shadow);
	EXPECT_EQ(0, pages_differ(shadow, w.hva));
	last = ctrl_get(&w, CTRL_ROUND);
	EXPECT_EQ(0, pages_wrong(w.hva, last));
	TH_LOG("logging off at round %llu, %llu rounds in all",
	       (unsigned long long)r_off, (unsigned long long)last);
	free(shadow);
	vm_free(vm);
}

HVX_TEST(bad_switches_fail)
{
	uint64_t map[LOG_WORDS];
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	uint8_t *hva, *other;

	HVX_REQUIRE_VM();
	vm = vm_create_with_one_vcpu(&vcpu, guest_write_until_stopped);
	hva = vm_mem_add(vm, LOG_SLOT, 0, LOG_GPA, LOG_SIZE);
	other = mmap(NULL, 2 * LOG_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, other);

	/* Anything changed besides HVX_MEM_LOG_DIRTY: the slot is busy. */
	EXPECT_REGION_ERR(vm->fd, LOG_SLOT, HVX_MEM_LOG_DIRTY, LOG_GPA,
			  LOG_SIZE / 2, hva, EBUSY);
	EXPECT_REGION_ERR(vm->fd, LOG_SLOT, HVX_MEM_LOG_DIRTY, LOG_GPA,
			  LOG_SIZE, other, EBUSY);
	EXPECT_REGION_ERR(vm->fd, LOG_SLOT, HVX_MEM_LOG_DIRTY,
			  LOG_GPA + LOG_SIZE, LOG_SIZE, hva, EBUSY);
	EXPECT_REGION_ERR(vm->fd, LOG_SLOT, HVX_MEM_READONLY, LOG_GPA,
			  LOG_SIZE, hva, EBUSY);
	/* Nothing changed at all: busy too, as before. */
	EXPECT_REGION_ERR(vm->fd, LOG_SLOT, 0, LOG_GPA, LOG_SIZE, hva, EBUSY);
	/* Logging with read-only, unknown flags: invalid. */
	EXPECT_REGION_ERR(vm->fd, LOG_SLOT,
			  HVX_MEM_LOG_DIRTY | HVX_MEM_READONLY, LOG_GPA,
			  LOG_SIZE, hva, EINVAL);
	EXPECT_REGION_ERR(vm->fd, LOG_SLOT, HVX_MEM_LOG_DIRTY | (1U << 7),
			  LOG_GPA, LOG_SIZE, hva, EINVAL);
	/* An unused slot is added, not switched: it overlaps slot 1. */
	EXPECT_REGION_ERR(vm->fd, 5, HVX_MEM_LOG_DIRTY, LOG_GPA, LOG_SIZE,
			  hva, EEXIST);

	/* None of that started a log. */
	EXPECT_ERRNO(EINVAL, hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map));

	/* On and off twice; then the slot goes as usual. */
	set_logging(vm, LOG_SLOT, hva, LOG_GPA, LOG_SIZE, true);
	EXPECT_REGION_ERR(vm->fd, LOG_SLOT, HVX_MEM_LOG_DIRTY, LOG_GPA,
			  LOG_SIZE, hva, EBUSY);
	EXPECT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map));
	set_logging(vm, LOG_SLOT, hva, LOG_GPA, LOG_SIZE, false);
	set_logging(vm, LOG_SLOT, hva, LOG_GPA, LOG_SIZE, true);
	set_logging(vm, LOG_SLOT, hva, LOG_GPA, LOG_SIZE, false);
	EXPECT_ERRNO(EINVAL, hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map));
	vm_set_memory_region(vm, LOG_SLOT, 0, LOG_GPA, 0, NULL);
	munmap(other, 2 * LOG_SIZE);
	vm_free(vm);
}

#define THP_SLOT_SIZE	(2 * THP_SIZE)
#define THP_PAGES	(THP_SLOT_SIZE / HVX_PAGE_SIZE)
#define WRITTEN_PAGE	5

/*
 * Write every page's number into it; then, at each request, read every
 * page back and write WRITTEN_PAGE once more.
 */
static void guest_read_all_write_one(void)
{
	uint64_t p, round;

	for (p = 0; p < THP_PAGES; p++)
		*page_word(LOG_GPA, p) = p;
	GUEST_SYNC(0);
	for (round = 1;; round++) {
		for (p = 0; p < THP_PAGES; p++)
			GUEST_ASSERT_EQ(*(volatile uint64_t *)
					page_word(LOG_GPA, p),
					p == WRITTEN_PAGE && round > 1 ?
					WRITTEN_PAGE + round - 1 : p);
		*(volatile uint64_t *)page_word(LOG_GPA, WRITTEN_PAGE) =
			WRITTEN_PAGE + round;
		GUEST_SYNC(round);
	}
}

/* EPT violations of the VM's vCPU 0 so far. */
static uint64_t ept_violations(struct nlq *q, uint32_t vm_id)
{
	struct stats st;

	TEST_ASSERT(!get_stats(q, vm_id, 0, &st), "HVX_CMD_GET_STATS");
	return st.reason[EXIT_REASON_EPT_VIOLATION];
}

HVX_TEST(thp_slot_split_in_place)
{
	struct vm_info before, on, off, back;
	uint64_t map[THP_PAGES / 64], ept0;
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	unsigned int i, n;
	struct nlq q;
	uint8_t *hva;

	HVX_REQUIRE_VM();
	HVX_REQUIRE(hvx_has_vmx_feature(HVX_VMX_EPT_2MB), "no 2 MiB EPT pages");
	ASSERT_EQ(0, nlq_open(&q));
	vm = vm_create_with_one_vcpu(&vcpu, guest_read_all_write_one);
	hva = thp_memory(THP_SLOT_SIZE);
	if (!hva)
		SKIP(goto out, "no transparent huge pages in this host");
	vm_set_memory_region(vm, LOG_SLOT, 0, LOG_GPA, THP_SLOT_SIZE, hva);
	vcpu_expect_sync(vcpu, 0);
	before = vm_of_pid(&q, getpid());
	ASSERT_LE(2, before.mapped[1]);

	/* On: both 2 MiB pages become 1024 read-only 4 KiB pages. */
	set_logging(vm, LOG_SLOT, hva, LOG_GPA, THP_SLOT_SIZE, true);
	on = vm_of_pid(&q, getpid());
	EXPECT_EQ(before.splits + 2, on.splits);
	EXPECT_EQ(before.mapped[1] - 2, on.mapped[1]);
	EXPECT_EQ(before.mapped[0] + THP_PAGES, on.mapped[0]);

	/* 1024 reads and one write: one EPT violation, the write's. */
	ept0 = ept_violations(&q, on.id);
	vcpu_expect_sync(vcpu, 1);
	EXPECT_EQ(ept0 + 1, ept_violations(&q, on.id));
	ASSERT_EQ(0, hvx_get_dirty_log(vm->fd, LOG_SLOT, 0, map));
	for (i = 0, n = 0; i < THP_PAGES / 64; i++)
		n += __builtin_popcountll(map[i]);
	EXPECT_EQ(1, n);
	EXPECT_TRUE(bit(map, WRITTEN_PAGE));
	EXPECT_EQ(WRITTEN_PAGE + 1, *page_word((uintptr_t)hva, WRITTEN_PAGE));

	/* Write-protected again by the read: the next round the same. */
	ept0 = ept_violations(&q, on.id);
	vcpu_expect_sync(vcpu, 2);
	EXPECT_EQ(ept0 + 1, ept_violations(&q, on.id));

	/* Off: the 4 KiB pages go, 2 MiB pages come back at the next touch. */
	set_logging(vm, LOG_SLOT, hva, LOG_GPA, THP_SLOT_SIZE, false);
	off = vm_of_pid(&q, getpid());
	EXPECT_EQ(on.mapped[0] - THP_PAGES, off.mapped[0]);
	ept0 = ept_violations(&q, on.id);
	vcpu_expect_sync(vcpu, 3);
	back = vm_of_pid(&q, getpid());
	EXPECT_EQ(before.mapped[1], back.mapped[1]);
	EXPECT_EQ(before.mapped[0], back.mapped[0]);
	EXPECT_EQ(ept0 + 2, ept_violations(&q, on.id));
	EXPECT_EQ(on.splits, back.splits);
	TH_LOG("EPT pages 4K/2M: %llu/%llu, logging %llu/%llu, after %llu/%llu",
	       (unsigned long long)before.mapped[0],
	       (unsigned long long)before.mapped[1],
	       (unsigned long long)on.mapped[0],
	       (unsigned long long)on.mapped[1],
	       (unsigned long long)back.mapped[0],
	       (unsigned long long)back.mapped[1]);
out:
	vm_free(vm);
	nlq_close(&q);
}

TEST_HARNESS_MAIN
