// SPDX-License-Identifier: GPL-2.0
/*
 * libhvx_test: the pure parts of libhvx, on the build machine (no
 * /dev/hvx needed): exit reason names, the HVX_VMX_* name table against
 * the header it mirrors, the capability printer's exact output, and
 * that a VM ioctl wrapper (hvx_signal_msi()) issues its ioctl.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hvx/libhvx.h>

#include "kselftest_harness.h"

#define NR_EXIT_REASONS	(HVX_EXIT_EOI + 1)

TEST(exit_reason_names)
{
	const char *names[NR_EXIT_REASONS];
	uint32_t r, s;

	for (r = 0; r < NR_EXIT_REASONS; r++) {
		names[r] = hvx_exit_reason_name(r);
		ASSERT_NE(NULL, names[r]);
		EXPECT_STRNE("UNKNOWN", names[r]) TH_LOG("reason %u", r);
		for (s = 0; s < r; s++)
			EXPECT_STRNE(names[s], names[r]);
	}
	EXPECT_STREQ("NONE", hvx_exit_reason_name(HVX_EXIT_NONE));
	EXPECT_STREQ("IO", hvx_exit_reason_name(HVX_EXIT_IO));
	EXPECT_STREQ("MMIO", hvx_exit_reason_name(HVX_EXIT_MMIO));
	EXPECT_STREQ("HLT", hvx_exit_reason_name(HVX_EXIT_HLT));
	EXPECT_STREQ("SHUTDOWN", hvx_exit_reason_name(HVX_EXIT_SHUTDOWN));
	EXPECT_STREQ("FAIL_ENTRY", hvx_exit_reason_name(HVX_EXIT_FAIL_ENTRY));
	EXPECT_STREQ("INTERNAL_ERROR",
		     hvx_exit_reason_name(HVX_EXIT_INTERNAL_ERROR));
	EXPECT_STREQ("HYPERCALL", hvx_exit_reason_name(HVX_EXIT_HYPERCALL));
	EXPECT_STREQ("RDMSR", hvx_exit_reason_name(HVX_EXIT_RDMSR));
	EXPECT_STREQ("WRMSR", hvx_exit_reason_name(HVX_EXIT_WRMSR));
	EXPECT_STREQ("INTR", hvx_exit_reason_name(HVX_EXIT_INTR));
	EXPECT_STREQ("IRQ_WINDOW_OPEN",
		     hvx_exit_reason_name(HVX_EXIT_IRQ_WINDOW_OPEN));
	EXPECT_STREQ("EOI", hvx_exit_reason_name(HVX_EXIT_EOI));
	EXPECT_STREQ("UNKNOWN", hvx_exit_reason_name(NR_EXIT_REASONS));
	EXPECT_STREQ("UNKNOWN", hvx_exit_reason_name(UINT32_MAX));
}

static int table_len(const struct hvx_flag_name *t)
{
	int n = 0;

	while (t[n].name)
		n++;
	return n;
}

TEST(vmx_flag_table)
{
	const struct hvx_flag_name *t = hvx_vmx_flag_names;
	int i, j, n = table_len(t);
	uint64_t all = 0;
	const char *c;

	/* HVX_VMX_EPT is bit 0, HVX_VMX_TSC_SCALING the last. */
	EXPECT_EQ(__builtin_ctzll(HVX_VMX_TSC_SCALING) + 1, n);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(1ULL << i, t[i].bit) TH_LOG("entry %d", i);
		EXPECT_LT(0, strlen(t[i].name));
		for (c = t[i].name; *c; c++)
			EXPECT_TRUE(islower(*c) || isdigit(*c) || *c == '_')
				TH_LOG("name \"%s\"", t[i].name);
		for (j = 0; j < i; j++)
			EXPECT_STRNE(t[j].name, t[i].name);
		all |= t[i].bit;
	}
	EXPECT_EQ((HVX_VMX_TSC_SCALING << 1) - 1, all);
	EXPECT_EQ(0, t[n].bit);

	n = table_len(hvx_feature_names);
	EXPECT_EQ(15, n);
	EXPECT_EQ(HVX_FEAT_VM, hvx_feature_names[0].bit);
	EXPECT_EQ(HVX_FEAT_USER_MSR_EXIT, hvx_feature_names[1].bit);
	EXPECT_EQ(HVX_FEAT_RING, hvx_feature_names[2].bit);
	EXPECT_EQ(HVX_FEAT_EOI_EXIT, hvx_feature_names[3].bit);
	EXPECT_EQ(HVX_FEAT_IRQFD, hvx_feature_names[4].bit);
	EXPECT_EQ(HVX_FEAT_LAPIC_STATE, hvx_feature_names[5].bit);
	EXPECT_EQ(HVX_FEAT_DIRECTED_EOI, hvx_feature_names[6].bit);
	EXPECT_EQ(HVX_FEAT_APICV, hvx_feature_names[7].bit);
	EXPECT_EQ(HVX_FEAT_MMU_NOTIFIER, hvx_feature_names[8].bit);
	EXPECT_EQ(HVX_FEAT_LARGE_PAGES, hvx_feature_names[9].bit);
	EXPECT_EQ(HVX_FEAT_DIRTY_LOG, hvx_feature_names[10].bit);
	EXPECT_EQ(HVX_FEAT_DIRTY_LOG_SWITCH, hvx_feature_names[11].bit);
	EXPECT_EQ(HVX_FEAT_VCPU_STATE, hvx_feature_names[12].bit);
	EXPECT_EQ(HVX_FEAT_HALTED_SLEEPS, hvx_feature_names[13].bit);
	EXPECT_EQ(HVX_FEAT_PDPTRS, hvx_feature_names[14].bit);
}

/* uapi/linux/hvx.h of this tree, found from the cwd, the source or exe. */
static FILE *open_uapi_header(void)
{
	static const char rel[] = "uapi/linux/hvx.h";
	char path[PATH_MAX + 32], exe[PATH_MAX], *slash;
	const char *env = getenv("HVX_SRCDIR");
	ssize_t len;
	FILE *f;
	int up;

	if (env) {
		snprintf(path, sizeof(path), "%s/%s", env, rel);
		return fopen(path, "r");
	}
	f = fopen(rel, "r");
	if (f)
		return f;
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len <= 0)
		return NULL;
	exe[len] = 0;
	/* BUILD/unit/libhvx_test: try the parents of its directory. */
	for (up = 0; up < 4 && (slash = strrchr(exe, '/')); up++) {
		*slash = 0;
		snprintf(path, sizeof(path), "%s/%s", exe, rel);
		f = fopen(path, "r");
		if (f)
			return f;
	}
	return NULL;
}

/* The table says what the comments next to HVX_VMX_* in hvx.h say. */
TEST(vmx_flag_names_match_header)
{
	regex_t re;
	regmatch_t m[4];
	char line[256], macro[64], comment[64];
	const struct hvx_flag_name *t;
	int n = 0, bit, found;
	FILE *f;

	f = open_uapi_header();
	if (!f)
		SKIP(return, "uapi/linux/hvx.h not found (set HVX_SRCDIR)");
	ASSERT_EQ(0, regcomp(&re,
			     "^#define HVX_VMX_([A-Z0-9_]+)[[:space:]]+"
			     "\\(1ULL << ([0-9]+)\\)[[:space:]]+"
			     "/\\* (.*) \\*/", REG_EXTENDED));
	while (fgets(line, sizeof(line), f)) {
		if (regexec(&re, line, 4, m, 0))
			continue;
		snprintf(macro, sizeof(macro), "%.*s",
			 (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so);
		snprintf(comment, sizeof(comment), "%.*s",
			 (int)(m[3].rm_eo - m[3].rm_so), line + m[3].rm_so);
		bit = atoi(line + m[2].rm_so);
		n++;
		found = 0;
		for (t = hvx_vmx_flag_names; t->name; t++) {
			if (t->bit != 1ULL << bit)
				continue;
			found = 1;
			if (!strcmp(comment, "(not shown)")) {
				/* Not in /proc/cpuinfo: the macro's name. */
				char lower[64];
				int i;

				for (i = 0; macro[i]; i++)
					lower[i] = tolower(macro[i]);
				lower[i] = 0;
				EXPECT_STREQ(lower, t->name);
			} else {
				EXPECT_STREQ(comment, t->name);
			}
		}
		EXPECT_TRUE(found) TH_LOG("HVX_VMX_%s not in the table", macro);
	}
	regfree(&re);
	fclose(f);
	EXPECT_EQ(table_len(hvx_vmx_flag_names), n);
}

static const char expected_caps[] =
	"vmx_features:           0x0000000000000107\n"
	"hvx_features:           0x0000000000000001\n"
	"vmx_basic:              0x00d810000000002b\n"
	"vmx_misc:               0x0000000000000005\n"
	"ept_vpid_cap:           0x0000000006334141\n"
	"max_vcpus:              64\n"
	"max_mem_slots:          32\n"
	"run_page_size:          4096\n"
	"preemption_timer_shift: 5\n"
	"hvx features:\n"
	"  vm                    yes\n"
	"  user_msr_exit         no\n"
	"  ring                  no\n"
	"  eoi_exit              no\n"
	"  irqfd                 no\n"
	"  lapic_state           no\n"
	"  directed_eoi          no\n"
	"  apicv                 no\n"
	"  mmu_notifier          no\n"
	"  large_pages           no\n"
	"  dirty_log             no\n"
	"  dirty_log_switch      no\n"
	"  vcpu_state            no\n"
	"  halted_sleeps         no\n"
	"  pdptrs                no\n"
	"vmx flags:\n"
	"  ept                   yes\n"
	"  unrestricted_guest    yes\n"
	"  vpid                  yes\n"
	"  preemption_timer      no\n"
	"  invvpid               no\n"
	"  ept_x_only            no\n"
	"  ept_ad                no\n"
	"  ept_1gb               no\n"
	"  ept_2mb               yes\n"
	"  vnmi                  no\n"
	"  posted_intr           no\n"
	"  tsc_offset            no\n"
	"  vtpr                  no\n"
	"  mtf                   no\n"
	"  vapic                 no\n"
	"  vapic_reg             no\n"
	"  vid                   no\n"
	"  ple                   no\n"
	"  shadow_vmcs           no\n"
	"  pml                   no\n"
	"  flexpriority          no\n"
	"  apicv                 no\n"
	"  ept_mode_based_exec   no\n"
	"  tsc_scaling           no\n"
	"mitigations:\n"
	"  l1d_flush_cond        yes\n"
	"  l1d_flush_always      no\n"
	"  l1d_flush_msr         no\n"
	"  l1d_flush_off         no\n"
	"  verw                  yes\n"
	"  rsb_fill              no\n"
	"  bhb_clear             no\n"
	"  spec_ctrl             no\n"
	"  ibpb                  yes\n"
	"  ibpb_exit_to_user     no\n"
	"  nx_huge_pages         no\n"
	"apicv:\n"
	"  tpr_shadow            yes\n"
	"  reg_virt              no\n"
	"  vid                   no\n"
	"  x2apic                no\n"
	"  apic_access           no\n"
	"  unknown bits:         0x0000000000000080\n";

static char *print_caps(const struct hvx_caps *caps)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	hvx_caps_print(f, caps);
	fclose(f);
	return text;
}

TEST(caps_print)
{
	struct hvx_caps caps = {
		.vmx_features = HVX_VMX_EPT | HVX_VMX_UNRESTRICTED_GUEST |
				HVX_VMX_VPID | HVX_VMX_EPT_2MB,
		.hvx_features = HVX_FEAT_VM,
		.vmx_basic = 0x00d810000000002bULL,
		.vmx_misc = 5,
		.ept_vpid_cap = 0x6334141,
		.max_vcpus = 64,
		.max_mem_slots = 32,
		.run_page_size = 4096,
		.preemption_timer_shift = 5,
		.mitigations = HVX_MITIGATE_L1D_FLUSH_COND |
			       HVX_MITIGATE_VERW | HVX_MITIGATE_IBPB,
		.apicv = HVX_APICV_TPR_SHADOW | 0x80,
	};
	char *text;

	text = print_caps(&caps);
	ASSERT_NE(NULL, text);
	EXPECT_STREQ(expected_caps, text);
	free(text);

	/* Bits hvx.h does not name are shown, not dropped. */
	caps.vmx_features |= 1ULL << 40;
	caps.hvx_features |= 1ULL << 30;
	text = print_caps(&caps);
	ASSERT_NE(NULL, text);
	EXPECT_NE(NULL, strstr(text,
			       "  unknown bits:         0x0000010000000000\n"));
	EXPECT_NE(NULL, strstr(text,
			       "  unknown bits:         0x0000000040000000\n"));
	free(text);
}

TEST(cpuid_find)
{
	struct hvx_cpuid *c = hvx_cpuid_alloc(3);

	ASSERT_NE(NULL, c);
	EXPECT_EQ(3, c->nent);
	c->entries[0] = (struct hvx_cpuid_entry){ .function = 1, .eax = 1 };
	c->entries[1] = (struct hvx_cpuid_entry){
		.function = 7, .index = 0, .eax = 70,
		.flags = HVX_CPUID_FLAG_SIGNIFICANT_INDEX,
	};
	c->entries[2] = (struct hvx_cpuid_entry){
		.function = 7, .index = 1, .eax = 71,
		.flags = HVX_CPUID_FLAG_SIGNIFICANT_INDEX,
	};
	/* Without SIGNIFICANT_INDEX the subleaf does not matter. */
	ASSERT_NE(NULL, hvx_cpuid_find(c, 1, 5));
	EXPECT_EQ(1, hvx_cpuid_find(c, 1, 5)->eax);
	ASSERT_NE(NULL, hvx_cpuid_find(c, 7, 1));
	EXPECT_EQ(71, hvx_cpuid_find(c, 7, 1)->eax);
	EXPECT_EQ(NULL, hvx_cpuid_find(c, 7, 2));
	EXPECT_EQ(NULL, hvx_cpuid_find(c, 0x40000000, 0));
	free(c);
}

TEST(msrs_alloc)
{
	struct hvx_msrs *m = hvx_msrs_alloc(HVX_MAX_MSR_ENTRIES);

	ASSERT_NE(NULL, m);
	EXPECT_EQ(HVX_MAX_MSR_ENTRIES, m->nmsrs);
	EXPECT_EQ(0, m->entries[HVX_MAX_MSR_ENTRIES - 1].index);
	free(m);
}

/* The VM ioctls reach the fd they are given: not a VM here. */
/*
 * A ring wait on a closed fd fails: poll() answers POLLNVAL at once, which
 * a caller taking it for a timeout would loop on at full speed.  An empty
 * ring, then one with an entry (pending: no poll at all).
 */
TEST(ring_wait_closed_fd)
{
	struct hvx_ring_header hdr = { 0 };
	struct hvx_ring_map r = { .hdr = &hdr };

	r.fd = open("/dev/null", O_RDONLY);
	ASSERT_LE(0, r.fd);
	ASSERT_EQ(0, close(r.fd));
	errno = 0;
	EXPECT_EQ(-1, hvx_ring_wait(&r, 10000));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(0, hdr.need_wakeup);
	hdr.producer = 1;
	EXPECT_EQ(1, hvx_ring_wait(&r, 10000));
	EXPECT_EQ(0, hdr.need_wakeup);
}

TEST(signal_msi_not_a_vm)
{
	int fd = open("/dev/null", O_RDWR);

	ASSERT_LE(0, fd);
	errno = 0;
	EXPECT_EQ(-1, hvx_signal_msi(fd, 0xfee00000, 0x30));
	EXPECT_EQ(ENOTTY, errno);
	errno = 0;
	EXPECT_EQ(-1, hvx_signal_msi(-1, 0xfee00000, 0x30));
	EXPECT_EQ(EBADF, errno);
	close(fd);
}

TEST_HARNESS_MAIN
