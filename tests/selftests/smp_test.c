// SPDX-License-Identifier: GPL-2.0
/*
 * smp_test: guests running at the same time: two vCPUs of one VM in two
 * threads, updating one counter in guest memory with LOCK XADD once both
 * are in the guest (a rendezvous there), and two VMs in two threads,
 * started together, each checking it only ever sees its own state.
 */
#include <pthread.h>

#include "hvx_harness.h"

#define ADDS		20000
#define SYNC_EVERY	2000
#define VM_ROUNDS	200

static volatile uint64_t counter, arrived;

static void guest_add(uint64_t id)
{
	uint64_t i, one;

	/* both vCPUs in guest mode before either adds: the adds overlap */
	asm volatile("lock incq %0" : "+m"(arrived) : : "memory");
	while (arrived < 2)
		cpu_relax();
	for (i = 0; i < ADDS; i++) {
		one = 1;
		asm volatile("lock xaddq %0, %1"
			     : "+r"(one), "+m"(counter) : : "memory");
		if (i % SYNC_EVERY == 0)
			GUEST_SYNC2(id, i);
	}
	GUEST_DONE();
}

struct vcpu_thread {
	struct test_vm *vm;
	uint32_t id;
	uint64_t syncs;
};

/* Make the vCPU in the thread that runs it, and run it to GUEST_DONE(). */
static void *run_vcpu(void *arg)
{
	struct vcpu_thread *t = arg;
	struct test_vcpu *vcpu;
	struct ucall uc;

	vcpu = vm_vcpu_add(t->vm, t->id, guest_add);
	vcpu_args_set(vcpu, 1, (uint64_t)t->id);
	while (vcpu_get_ucall(vcpu, &uc) == UCALL_SYNC) {
		TEST_ASSERT(uc.args[0] == t->id,
			    "vCPU %u saw the id of vCPU %llu", t->id,
			    (unsigned long long)uc.args[0]);
		t->syncs++;
	}
	return NULL;
}

HVX_TEST(two_vcpus_one_vm)
{
	struct vcpu_thread t[2];
	pthread_t th[2];
	struct test_vm *vm;
	int i;

	HVX_REQUIRE_VM();
	vm = vm_create(VM_RAM_SIZE_DEFAULT);
	for (i = 0; i < 2; i++) {
		t[i] = (struct vcpu_thread){ .vm = vm, .id = i };
		ASSERT_EQ(0, pthread_create(&th[i], NULL, run_vcpu, &t[i]));
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	for (i = 0; i < 2; i++)
		EXPECT_EQ(ADDS / SYNC_EVERY, t[i].syncs);
	EXPECT_EQ(2 * ADDS, guest_global(vm, counter));
	EXPECT_EQ(2, guest_global(vm, arrived));
	vm_free(vm);
}

/* Each VM keeps its own copy of this, and of its stack and RAM. */
static volatile uint64_t vm_tag;

static void guest_own_state(uint64_t tag)
{
	volatile uint64_t *scratch = (volatile uint64_t *)GUEST_SCRATCH_GPA;
	uint64_t i;

	vm_tag = tag;
	for (i = 0; i < VM_ROUNDS; i++) {
		*scratch = tag + i;
		GUEST_SYNC2(tag, i);
		GUEST_ASSERT_EQ(vm_tag, tag);
		GUEST_ASSERT_EQ(*scratch, tag + i);
	}
	GUEST_DONE();
}

/* Both VMs made before either runs. */
static pthread_barrier_t vms_made;

static void *run_vm(void *arg)
{
	uint64_t tag = (uintptr_t)arg, i = 0;
	struct test_vcpu *vcpu;
	struct test_vm *vm;
	struct ucall uc;

	vm = vm_create_with_one_vcpu(&vcpu, guest_own_state);
	vcpu_args_set(vcpu, 1, tag);
	pthread_barrier_wait(&vms_made);
	while (vcpu_get_ucall(vcpu, &uc) == UCALL_SYNC) {
		TEST_ASSERT(uc.args[0] == tag && uc.args[1] == i,
			    "VM %#llx: sync (%#llx, %llu), want round %llu",
			    (unsigned long long)tag,
			    (unsigned long long)uc.args[0],
			    (unsigned long long)uc.args[1],
			    (unsigned long long)i);
		TEST_ASSERT_EQ(*(uint64_t *)addr_gpa2hva(vm, GUEST_SCRATCH_GPA,
							 8), tag + i);
		i++;
	}
	TEST_ASSERT_EQ(i, VM_ROUNDS);
	TEST_ASSERT_EQ(guest_global(vm, vm_tag), tag);
	vm_free(vm);
	return NULL;
}

HVX_TEST(two_vms_at_once)
{
	pthread_t th[2];
	int i;

	HVX_REQUIRE_VM();
	ASSERT_EQ(0, pthread_barrier_init(&vms_made, NULL, 2));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, run_vm,
					    (void *)(uintptr_t)(0x1000000ULL *
								(i + 1))));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_join(th[i], NULL));
	pthread_barrier_destroy(&vms_made);
}

TEST_HARNESS_MAIN
