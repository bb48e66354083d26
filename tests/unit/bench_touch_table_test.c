// SPDX-License-Identifier: GPL-2.0
/*
 * Host-side test of "bench touch-table" (tools/hvx-bench/touch.c, built
 * into this program): the first-touch target is judged only when both
 * sides' slots got the same number of 2 MiB pages, not when one side's
 * cheaper figure comes from its backing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tools/hvx-bench/touch.c"

#include "kselftest_harness.h"

void bench_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* the guest image, which the table does not use */
const unsigned char bench_guest_start[1], bench_guest_end[1];

/* touch_table() over two RESULT lines; its output in @out. */
static void table_of(const char *hvx, const char *kvm, char *out,
		     size_t len)
{
	char path[2][32] = { "/tmp/touch-hvx.XXXXXX", "/tmp/touch-kvm.XXXXXX" };
	const char *line[2] = { hvx, kvm };
	char *argv[2] = { path[0], path[1] };
	FILE *f = tmpfile();
	int i, fd, saved;
	size_t n;

	for (i = 0; i < 2; i++) {
		fd = mkstemp(path[i]);
		if (fd < 0 || write(fd, line[i], strlen(line[i])) < 0)
			abort();
		close(fd);
	}
	fflush(stdout);
	saved = dup(1);
	dup2(fileno(f), 1);
	touch_table(2, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	rewind(f);
	n = fread(out, 1, len - 1, f);
	out[n] = 0;
	fclose(f);
	unlink(path[0]);
	unlink(path[1]);
}

#define HVX_LINE "RESULT hvx first_touch 1497.0 min=1490.0 max=1500.0 per_gib=392000000 thp=madvise ept_violations=128 vm_exits=200 pages_4k=0 pages_2m=%d\n"
#define KVM_LINE "RESULT kvm first_touch %s min=1 max=9999 per_gib=1 thp=madvise ept_violations=65536 vm_exits=65600 pages_4k=0 pages_2m=%d\n"

TEST(target_only_on_the_same_backing)
{
	char hvx[256], kvm[256], out[4096];

	/* KVM's slot on 4 KiB pages: its figure says nothing of KVM */
	snprintf(hvx, sizeof(hvx), HVX_LINE, 128);
	snprintf(kvm, sizeof(kvm), KVM_LINE, "6973.3", 0);
	table_of(hvx, kvm, out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "n/a   first touch with THP madvise"));
	EXPECT_EQ(NULL, strstr(out, "PASS  first touch"));
	EXPECT_NE(NULL, strstr(out, "targets: 0 PASS, 0 MISS, 1 n/a"));

	/* the same backing: judged, either way */
	snprintf(kvm, sizeof(kvm), KVM_LINE, "6973.3", 128);
	table_of(hvx, kvm, out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "targets: 1 PASS, 0 MISS, 0 n/a"));
	snprintf(kvm, sizeof(kvm), KVM_LINE, "1500.0", 128);
	table_of(hvx, kvm, out, sizeof(out));
	EXPECT_NE(NULL, strstr(out, "targets: 0 PASS, 1 MISS, 0 n/a"));
}

TEST_HARNESS_MAIN
