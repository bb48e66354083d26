// SPDX-License-Identifier: GPL-2.0
/*
 * Host side of the hvx selftest library: assertions, /dev/hvx, VMs,
 * vCPUs, memory slots, the guest image, running and exit reporting.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "hvx_util.h"

void test_assert_fail(const char *file, int line, const char *expr,
		      const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "# ==== Test Assertion Failure ====\n");
	fprintf(stderr, "#   %s:%d: %s\n", file, line, expr);
	fprintf(stderr, "#   pid=%d errno=%d (%s)\n#   ", (int)getpid(),
		err, strerror(err));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	/* abort() skips the fixture's teardown: the later tests' settings */
	hvx_settings_restore();
	abort();
}

long proc_kb(const char *path, const char *field)
{
	size_t flen = strlen(field);
	char line[256];
	long kb = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			kb = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kb;
}

long meminfo_kb(const char *field)
{
	return proc_kb("/proc/meminfo", field);
}

long pcp_free_kb(void)
{
	char line[256];
	long pages = 0, n;
	FILE *f;

	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		return -1;
	/* "count: N" under "pagesets", one per CPU and populated zone */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &n) == 1)
			pages += n;
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * Fold every CPU's vmstat deltas into the counters /proc/meminfo shows
 * (and, from 6.7 on, let each CPU's free list shrink toward its lower
 * limit): reading /proc/sys/vm/stat_refresh does it on every CPU before
 * it returns.  Root only; without it the counters lag by a few pages.
 */
static void vmstat_refresh(void)
{
	char c;
	int fd;

	fd = open("/proc/sys/vm/stat_refresh", O_RDONLY);
	if (fd < 0)
		return;
	/* It reads as empty; an error leaves the counters less exact only. */
	while (read(fd, &c, 1) > 0)
		;
	close(fd);
}

bool memfree_measures_leaks(void)
{
	const char *kasan = getenv("HVX_TEST_KASAN");

	return !kasan || !*kasan || !strcmp(kasan, "0");
}

long meminfo_settled_kb(const char *field)
{
	long kb = -1, pcp0, pcp1;
	bool free_pages;
	int i;

	/*
	 * Closing the last fd of a VM frees it from task work or an RCU
	 * callback: give both a moment.
	 */
	sync();
	usleep(200 * 1000);
	vmstat_refresh();
	free_pages = !strcmp(field, "MemFree") || !strcmp(field, "MemAvailable");
	if (!free_pages)
		return meminfo_kb(field);
	/*
	 * Pages freed to a CPU's free list (the pcp list) are free but not
	 * in MemFree or MemAvailable, which count the buddy allocator's
	 * free pages only.  6.1 caps each list near the zone's low
	 * watermark split among the CPUs; from 6.7 on the cap is tuned
	 * automatically and a CPU that frees much may keep up to an eighth
	 * of the zone (split among the CPUs) until vmstat's periodic work
	 * shrinks it, so the megabytes a killed process frees can sit there
	 * for seconds: count them.  They move to the buddy lists now and
	 * then, so read MemFree between two equal looks at the lists.
	 */
	for (i = 0; i < 20; i++) {
		pcp0 = pcp_free_kb();
		kb = meminfo_kb(field);
		pcp1 = pcp_free_kb();
		if (kb < 0 || pcp0 < 0 || pcp1 < 0)
			return kb < 0 ? kb : -1;
		if (pcp0 == pcp1)
			return kb + pcp0;
		usleep(10 * 1000);
	}
	return kb + (pcp0 < pcp1 ? pcp0 : pcp1);
}

static int dev_fd = -1;
static int dev_errno;
static struct hvx_caps dev_caps;
static pthread_once_t dev_once = PTHREAD_ONCE_INIT;

static void dev_open(void)
{
	dev_fd = hvx_open();
	if (dev_fd < 0) {
		dev_errno = errno;
		return;
	}
	if (hvx_get_caps(dev_fd, &dev_caps) < 0) {
		dev_errno = errno;
		close(dev_fd);
		dev_fd = -1;
	}
}

int hvx_dev_fd(void)
{
	pthread_once(&dev_once, dev_open);
	if (dev_fd < 0)
		errno = dev_errno;
	return dev_fd;
}

const struct hvx_caps *hvx_dev_caps(void)
{
	return hvx_dev_fd() < 0 ? NULL : &dev_caps;
}

bool hvx_vm_supported(void)
{
	const struct hvx_caps *caps = hvx_dev_caps();

	return caps && (caps->hvx_features & HVX_FEAT_VM);
}

bool hvx_has_vmx_feature(uint64_t bit)
{
	const struct hvx_caps *caps = hvx_dev_caps();

	return caps && (caps->vmx_features & bit) == bit;
}

int __vm_set_memory_region(struct test_vm *vm, uint32_t slot,
			   uint32_t flags, uint64_t gpa, uint64_t size,
			   void *hva)
{
	struct test_memslot *s;
	int ret;

	ret = hvx_set_memory_region(vm->fd, slot, flags, gpa, size, hva);
	if (ret < 0 || slot >= HVX_MAX_MEM_SLOTS)
		return ret;
	/* Mirror what hvx now holds, so that addr_gpa2hva() agrees. */
	pthread_mutex_lock(&vm->lock);
	s = &vm->slots[slot];
	/* Logging turned on or off: the memory stays, and stays ours. */
	if (s->used && s->gpa == gpa && s->size == size && s->hva == hva) {
		s->flags = flags;
		pthread_mutex_unlock(&vm->lock);
		return ret;
	}
	if (s->owned)
		munmap(s->hva, s->size);
	memset(s, 0, sizeof(*s));
	if (size) {
		s->used = true;
		s->flags = flags;
		s->gpa = gpa;
		s->size = size;
		s->hva = hva;
	}
	pthread_mutex_unlock(&vm->lock);
	return ret;
}

void vm_set_memory_region(struct test_vm *vm, uint32_t slot,
			  uint32_t flags, uint64_t gpa, uint64_t size,
			  void *hva)
{
	int ret = __vm_set_memory_region(vm, slot, flags, gpa, size, hva);

	TEST_ASSERT(ret == 0,
		    "HVX_SET_MEMORY_REGION slot %u gpa %#llx size %#llx: rc %d errno %d (%s)",
		    slot, (unsigned long long)gpa, (unsigned long long)size,
		    ret, errno, strerror(errno));
}

void *vm_mem_add(struct test_vm *vm, uint32_t slot, uint32_t flags,
		 uint64_t gpa, uint64_t size)
{
	void *hva;

	hva = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	TEST_ASSERT(hva != MAP_FAILED, "mmap %#llx bytes",
		    (unsigned long long)size);
	vm_set_memory_region(vm, slot, flags, gpa, size, hva);
	vm->slots[slot].owned = true;
	return hva;
}

void *__addr_gpa2hva(struct test_vm *vm, uint64_t gpa, uint64_t len)
{
	struct test_memslot *s;
	unsigned int i;

	for (i = 0; i < HVX_MAX_MEM_SLOTS; i++) {
		s = &vm->slots[i];
		if (s->used && gpa >= s->gpa && gpa - s->gpa < s->size &&
		    len <= s->size - (gpa - s->gpa))
			return (uint8_t *)s->hva + (gpa - s->gpa);
	}
	return NULL;
}

void *addr_gpa2hva(struct test_vm *vm, uint64_t gpa, uint64_t len)
{
	void *hva = __addr_gpa2hva(vm, gpa, len);

	TEST_ASSERT(hva, "GPA %#llx + %#llx is not in guest memory",
		    (unsigned long long)gpa, (unsigned long long)len);
	return hva;
}

void vm_load_blob(struct test_vm *vm, uint64_t gpa, const void *start,
		  const void *end)
{
	size_t len = (const char *)end - (const char *)start;

	memcpy(addr_gpa2hva(vm, gpa, len), start, len);
}

void vm_load_image(struct test_vm *vm)
{
	const Elf64_Phdr *phdr = (const Elf64_Phdr *)getauxval(AT_PHDR);
	unsigned long i, phnum = getauxval(AT_PHNUM);
	uint64_t start, end;

	TEST_ASSERT(phdr && phnum, "no program headers in the auxv");
	for (i = 0; i < phnum; i++) {
		if (phdr[i].p_type != PT_LOAD)
			continue;
		start = phdr[i].p_vaddr;
		end = start + phdr[i].p_memsz;
		TEST_ASSERT(start >= GUEST_IMAGE_MIN_GPA && end <= vm->ram_size,
			    "segment %#llx-%#llx does not fit the guest: is the test static and -no-pie?",
			    (unsigned long long)start,
			    (unsigned long long)end);
		/*
		 * From memory, not from the file: relocations, IRELATIVE
		 * results and initialised globals are as the host has them,
		 * .bss included.
		 */
		memcpy(addr_gpa2hva(vm, start, end - start),
		       (const void *)(uintptr_t)start, end - start);
		if (end > vm->image_end)
			vm->image_end = end;
	}
}

struct test_vm *vm_create_bare(uint64_t ram_size)
{
	const struct hvx_caps *caps = hvx_dev_caps();
	struct test_vm *vm;

	TEST_ASSERT(caps, "cannot open %s", HVX_DEV_PATH);
	vm = calloc(1, sizeof(*vm));
	TEST_ASSERT(vm, "calloc");
	pthread_mutex_init(&vm->lock, NULL);
	vm->caps = *caps;
	vm->fd = hvx_create_vm(hvx_dev_fd());
	TEST_ASSERT(vm->fd >= 0, "HVX_CREATE_VM failed, rc: %d errno: %d (%s)",
		    vm->fd, errno, strerror(errno));
	vm->ram_size = ram_size;
	vm->ram = vm_mem_add(vm, 0, 0, 0, ram_size);
	return vm;
}

struct test_vm *vm_create(uint64_t ram_size)
{
	struct test_vm *vm = vm_create_bare(ram_size);

	vm_load_image(vm);
	vm_setup_long_mode(vm);
	return vm;
}

struct test_vm *vm_create_with_one_vcpu(struct test_vcpu **vcpu,
					void *guest_code)
{
	struct test_vm *vm = vm_create(VM_RAM_SIZE_DEFAULT);

	*vcpu = vm_vcpu_add(vm, 0, guest_code);
	return vm;
}

void vm_vcpu_close(struct test_vcpu *vcpu)
{
	vcpu->vm->vcpus[vcpu->id] = NULL;
	munmap(vcpu->run, vcpu->run_size);
	close(vcpu->fd);
	free(vcpu);
}

void vm_free(struct test_vm *vm)
{
	struct test_vcpu *vcpu;
	unsigned int i;

	for (i = 0; i < HVX_MAX_VCPUS; i++) {
		vcpu = vm->vcpus[i];
		if (!vcpu)
			continue;
		munmap(vcpu->run, vcpu->run_size);
		close(vcpu->fd);
		free(vcpu);
	}
	close(vm->fd);
	for (i = 0; i < HVX_MAX_MEM_SLOTS; i++) {
		if (vm->slots[i].owned)
			munmap(vm->slots[i].hva, vm->slots[i].size);
	}
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

struct test_vcpu *__vm_vcpu_add(struct test_vm *vm, uint32_t id)
{
	struct test_vcpu *vcpu;
	int err;

	vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu)
		return NULL;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->run_size = vm->caps.run_page_size;
	vcpu->fd = hvx_create_vcpu(vm->fd, id);
	if (vcpu->fd < 0)
		goto err_free;
	vcpu->run = hvx_map_run(vcpu->fd, vcpu->run_size);
	if (!vcpu->run)
		goto err_close;
	pthread_mutex_lock(&vm->lock);
	if (id < HVX_MAX_VCPUS)
		vm->vcpus[id] = vcpu;
	pthread_mutex_unlock(&vm->lock);
	return vcpu;

err_close:
	err = errno;
	close(vcpu->fd);
	errno = err;
err_free:
	err = errno;
	free(vcpu);
	errno = err;
	return NULL;
}

struct test_vcpu *vm_vcpu_add_bare(struct test_vm *vm, uint32_t id)
{
	struct test_vcpu *vcpu = __vm_vcpu_add(vm, id);

	TEST_ASSERT(vcpu, "vCPU %u: HVX_CREATE_VCPU or mmap failed: %s",
		    id, strerror(errno));
	return vcpu;
}

struct test_vcpu *vm_vcpu_add(struct test_vm *vm, uint32_t id,
			      void *guest_code)
{
	struct test_vcpu *vcpu = vm_vcpu_add_bare(vm, id);

	vcpu_setup_long_mode(vcpu, guest_code);
	return vcpu;
}

volatile sig_atomic_t alarms_caught;

static void alarm_caught(int sig)
{
	alarms_caught++;
}

int alarm_in_ms(unsigned int ms)
{
	struct sigaction sa = { .sa_handler = alarm_caught };	/* no restart */
	struct itimerval it = {
		.it_value = { .tv_sec = ms / 1000,
			      .tv_usec = (ms % 1000) * 1000 },
	};

	alarms_caught = 0;
	if (sigaction(SIGALRM, &sa, NULL))
		return -1;
	return setitimer(ITIMER_REAL, &it, NULL);
}

int __vcpu_run(struct test_vcpu *vcpu)
{
	return hvx_run(vcpu->fd);
}

int __vcpu_run_to_signal(struct test_vcpu *vcpu,
			 const volatile sig_atomic_t *caught)
{
	int ret;

	do {
		ret = __vcpu_run(vcpu);
	} while (ret == -1 && errno == EINTR && !*caught);
	return ret;
}

void vcpu_run(struct test_vcpu *vcpu)
{
	int ret;

	do {
		ret = __vcpu_run(vcpu);
	} while (ret < 0 && errno == EINTR && !vcpu->run->immediate_exit);
	TEST_ASSERT(ret == 0, "vCPU %u: HVX_RUN failed, rc: %d errno: %d (%s)",
		    vcpu->id, ret, errno, strerror(errno));
}

void vcpu_complete_exit(struct test_vcpu *vcpu)
{
	int ret;

	vcpu->run->immediate_exit = 1;
	ret = __vcpu_run(vcpu);
	vcpu->run->immediate_exit = 0;
	TEST_ASSERT(ret == -1 && errno == EINTR,
		    "vCPU %u: HVX_RUN with immediate_exit: rc %d errno %d (%s)",
		    vcpu->id, ret, errno, strerror(errno));
}

static const char *internal_name(uint32_t suberror)
{
	switch (suberror) {
	case HVX_INTERNAL_EMULATION:	return "emulation";
	case HVX_INTERNAL_UNHANDLED:	return "unhandled exit";
	case HVX_INTERNAL_DELIVERY:	return "event delivery";
	case HVX_INTERNAL_PAGE_WALK:	return "page walk";
	default:			return "?";
	}
}

const char *vcpu_exit_str(struct test_vcpu *vcpu, char *buf, size_t len)
{
	struct hvx_run *run = vcpu->run;
	uint64_t data = 0, fer;
	size_t n;
	uint32_t i;

	n = snprintf(buf, len, "%s (%u) at rip %#llx",
		     hvx_exit_reason_name(run->exit_reason), run->exit_reason,
		     (unsigned long long)run->rip);
	if (n >= len)
		return buf;
	switch (run->exit_reason) {
	case HVX_EXIT_IO:
		if (run->io.size <= 8 && run->io.data_offset < 4096)
			memcpy(&data, (uint8_t *)run + run->io.data_offset,
			       run->io.size);
		snprintf(buf + n, len - n,
			 ": %s port %#x size %u count %u data %#llx",
			 run->io.direction == HVX_IO_OUT ? "out" : "in",
			 run->io.port, run->io.size, run->io.count,
			 (unsigned long long)data);
		break;
	case HVX_EXIT_MMIO:
		memcpy(&data, run->mmio.data, sizeof(data));
		snprintf(buf + n, len - n, ": %s gpa %#llx len %u data %#llx",
			 run->mmio.is_write ? "write" : "read",
			 (unsigned long long)run->mmio.phys_addr,
			 run->mmio.len, (unsigned long long)data);
		break;
	case HVX_EXIT_HYPERCALL:
		snprintf(buf + n, len - n, ": nr %#llx",
			 (unsigned long long)run->hypercall.nr);
		break;
	case HVX_EXIT_EOI:
		snprintf(buf + n, len - n, ": vector %#x", run->eoi.vector);
		break;
	case HVX_EXIT_RDMSR:
	case HVX_EXIT_WRMSR:
		snprintf(buf + n, len - n, ": msr %#x data %#llx",
			 run->msr.index, (unsigned long long)run->msr.data);
		break;
	case HVX_EXIT_FAIL_ENTRY:
		fer = run->fail_entry.hardware_exit_reason;
		snprintf(buf + n, len - n,
			 ": %s %llu, qualification %#llx, cpu %u",
			 fer & HVX_FAIL_ENTRY_VMFAIL ?
			 "VMLAUNCH/VMRESUME failed, VM-instruction error" :
			 "invalid guest state, exit reason",
			 (unsigned long long)(fer & 0xffff),
			 (unsigned long long)run->fail_entry.qualification,
			 run->fail_entry.cpu);
		break;
	case HVX_EXIT_INTERNAL_ERROR:
		n += snprintf(buf + n, len - n, ": suberror %u (%s), data",
			      run->internal.suberror,
			      internal_name(run->internal.suberror));
		for (i = 0; i < run->internal.ndata && i < 16; i++) {
			if (n >= len)
				break;
			data = run->internal.data[i];
			n += snprintf(buf + n, len - n, " %#llx",
				      (unsigned long long)data);
		}
		break;
	}
	return buf;
}

void __vcpu_assert_exit_reason(struct test_vcpu *vcpu, uint32_t reason,
			       const char *file, int line)
{
	char buf[512];
	struct ucall uc;
	uint64_t cmd;

	if (vcpu->run->exit_reason == reason)
		return;
	cmd = get_ucall(vcpu, &uc);
	if (cmd == UCALL_ABORT || cmd == UCALL_UNHANDLED)
		ucall_report(vcpu, &uc);
	test_assert_fail(file, line, "TEST_ASSERT_EXIT_REASON",
			 "vCPU %u: want exit %s, got %s", vcpu->id,
			 hvx_exit_reason_name(reason),
			 vcpu_exit_str(vcpu, buf, sizeof(buf)));
}

void vcpu_expect_mmio(struct test_vcpu *vcpu, uint64_t gpa, uint32_t len,
		      bool write, uint64_t data)
{
	struct hvx_run *run = vcpu->run;
	uint64_t got = 0;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, HVX_EXIT_MMIO);
	TEST_ASSERT(run->mmio.phys_addr == gpa && run->mmio.len == len &&
		    !run->mmio.is_write == !write,
		    "want %s %#llx len %u, got %s %#llx len %u",
		    write ? "write" : "read", (unsigned long long)gpa, len,
		    run->mmio.is_write ? "write" : "read",
		    (unsigned long long)run->mmio.phys_addr, run->mmio.len);
	if (write) {
		memcpy(&got, run->mmio.data, len);
		TEST_ASSERT_EQ(got, data);
	} else {
		memcpy(run->mmio.data, &data, len);
	}
}

void vcpu_regs_get(struct test_vcpu *vcpu, struct hvx_regs *regs)
{
	vcpu_ioctl(vcpu, HVX_GET_REGS, regs);
}

void vcpu_regs_set(struct test_vcpu *vcpu, const struct hvx_regs *regs)
{
	vcpu_ioctl(vcpu, HVX_SET_REGS, regs);
}

void vcpu_sregs_get(struct test_vcpu *vcpu, struct hvx_sregs *sregs)
{
	vcpu_ioctl(vcpu, HVX_GET_SREGS, sregs);
}

void vcpu_sregs_set(struct test_vcpu *vcpu, const struct hvx_sregs *sregs)
{
	vcpu_ioctl(vcpu, HVX_SET_SREGS, sregs);
}

uint64_t vcpu_get_msr(struct test_vcpu *vcpu, uint32_t index)
{
	uint64_t val;

	TEST_ASSERT(hvx_get_msr(vcpu->fd, index, &val) == 0,
		    "get MSR %#x: %s", index, strerror(errno));
	return val;
}

void vcpu_set_msr(struct test_vcpu *vcpu, uint32_t index, uint64_t val)
{
	TEST_ASSERT(hvx_set_msr(vcpu->fd, index, val) == 0,
		    "set MSR %#x to %#llx: %s", index,
		    (unsigned long long)val, strerror(errno));
}

#define THP_ENABLED	"/sys/kernel/mm/transparent_hugepage/enabled"

/*
 * THP on for MADV_HUGEPAGE ranges.  Linux turns it off at boot below
 * 512 MiB of RAM, which is where the test host is; as root, turn it on,
 * for this test only (the later ones, and hvx-run's, run as booted).
 */
static bool thp_on(void)
{
	char buf[128] = "";
	FILE *f;

	f = fopen(THP_ENABLED, "r");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	if (!strstr(buf, "[never]"))
		return true;
	return hvx_setting_set(THP_ENABLED, "madvise");
}

void *thp_memory(size_t size)
{
	uint8_t *p, *q;
	long thp0;

	if (!thp_on())
		return NULL;
	thp0 = proc_kb("/proc/self/smaps_rollup", "AnonHugePages");
	p = mmap(NULL, size + THP_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(p != MAP_FAILED, "mmap");
	q = (uint8_t *)(((uintptr_t)p + THP_SIZE - 1) & ~(THP_SIZE - 1));
	madvise(q, size, MADV_HUGEPAGE);
	memset(q, 0, size);
	/* The kernel may not have found free 2 MiB blocks. */
	if (proc_kb("/proc/self/smaps_rollup", "AnonHugePages") - thp0 <
	    (long)(size / 1024))
		return NULL;
	return q;
}

bool hvx_have_swap(void)
{
	char line[256];
	int lines = 0;
	FILE *f;

	f = fopen("/proc/swaps", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	return lines > 1;
}

unsigned int hvx_resident_pages(const void *p, unsigned int npages,
				unsigned int first, unsigned int step)
{
	unsigned char *vec = calloc(npages, 1);
	unsigned int i, n = 0;

	TEST_ASSERT(vec, "calloc");
	TEST_ASSERT(!mincore((void *)p, (size_t)npages * HVX_PAGE_SIZE, vec),
		    "mincore");
	for (i = first; i < npages; i += step)
		n += vec[i] & 1;
	free(vec);
	return n;
}

bool hvx_memcg_child(const char *path)
{
	if (access(HVX_CG_ROOT "/cgroup.controllers", F_OK) &&
	    mount("none", HVX_CG_ROOT, "cgroup2", 0, NULL))
		return false;
	if (!hvx_write_file(HVX_CG_ROOT "/cgroup.subtree_control", "+memory"))
		return false;
	return !mkdir(path, 0755) || errno == EEXIST;
}

bool hvx_param_get(const char *path, unsigned long *val)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%lu", val) == 1;
	return !fclose(f) && ok;
}

/* The settings this test changed, and what they were before it. */
static struct {
	char path[128];
	char val[64];
} saved[16];
static unsigned int nr_saved;
/* the test process that saved them: a child it forked has a copy */
static pid_t saved_by;

bool hvx_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	return !close(fd) && ok;
}

/*
 * A setting read as its choices with the one in force bracketed
 * ("always madvise [never]") is written back as that word alone.
 */
static void setting_choice(char *val)
{
	char *open = strchr(val, '['), *close;

	if (!open || !(close = strchr(open, ']')))
		return;
	memmove(val, open + 1, close - open - 1);
	val[close - open - 1] = 0;
}

/* Save @path's value, once per test. */
static bool setting_save(const char *path)
{
	unsigned int i;
	ssize_t n;
	int fd;

	/* a forked child keeps a list of its own, not its parent's copy */
	if (nr_saved && saved_by != getpid())
		nr_saved = 0;
	for (i = 0; i < nr_saved; i++)
		if (!strcmp(saved[i].path, path))
			return true;
	if (nr_saved == ARRAY_SIZE(saved) ||
	    strlen(path) >= sizeof(saved[0].path))
		return false;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, saved[nr_saved].val, sizeof(saved[0].val) - 1);
	close(fd);
	if (n <= 0)
		return false;
	saved[nr_saved].val[n] = 0;
	setting_choice(saved[nr_saved].val);
	strcpy(saved[nr_saved].path, path);
	saved_by = getpid();
	nr_saved++;
	return true;
}

bool hvx_setting_set(const char *path, const char *val)
{
	return setting_save(path) && hvx_write_file(path, val);
}

void hvx_settings_restore(void)
{
	/* a forked child's failure leaves them to the test that set them */
	if (nr_saved && saved_by != getpid())
		return;
	while (nr_saved) {
		nr_saved--;
		if (!hvx_write_file(saved[nr_saved].path, saved[nr_saved].val))
			fprintf(stderr, "# cannot restore %s\n",
				saved[nr_saved].path);
	}
}

bool hvx_param_set(const char *path, unsigned long val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lu\n", val);
	return hvx_setting_set(path, buf);
}

bool vm_stat(const char *name, uint64_t *val)
{
	static char buf[65536];
	char key[64], *p, *end;
	size_t n;
	FILE *f;

	if (access(HVX_STAT, X_OK))
		return false;
	f = popen(HVX_STAT " --json", "r");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	pclose(f);
	buf[n] = 0;
	snprintf(key, sizeof(key), "\"pid\":%d,", (int)getpid());
	p = strstr(buf, key);
	if (!p)
		return false;
	end = strchr(p, '}');
	snprintf(key, sizeof(key), "\"%s\":", name);
	p = strstr(p, key);
	if (!p || !end || p > end)
		return false;
	*val = strtoull(p + strlen(key), NULL, 10);
	return true;
}
