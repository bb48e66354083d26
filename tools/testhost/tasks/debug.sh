#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# "make check-debug", inside the debug test host (KASAN, lockdep, kmemleak,
# see tools/testhost/debug.config): the whole suite (suite.sh), then with
# hvx.ko unloaded one kmemleak scan.  A scan takes many minutes in Bochs,
# so there is none before the suite: its report keeps only the objects
# allocated after the suite began (by their jiffies), which leaves out the
# boot's suspects.  kmemleak's automatic scan thread is stopped first, so
# that it neither slows the suite nor holds the scan lock at its end.  The
# reports are printed as TAP comments; KASAN reports, lockdep splats and
# sleeping-in-atomic warnings are in the kernel log, which
# tools/testhost/check-debug.sh checks.
#
# Status: the suite's, or 1 when kmemleak found a leak or lockdep was
# turned off (by a splat, or by running out of its tables).

. /hvx/tasks/tap-lib.sh

kml=/sys/kernel/debug/kmemleak

uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

# kmemleak_scan: one scan, timed; a suspect is an object unreferenced and
# 5 s old or more.
kmemleak_scan() {
	echo "# kmemleak: scan at $(uptime_s) s"
	echo scan >"$kml"
	echo "# kmemleak: scan done at $(uptime_s) s"
}

# The automatic scan thread makes its first scan a minute after boot;
# stopping it waits for a scan under way.
if [ -w "$kml" ] && echo scan=off >"$kml"; then
	kmemleak=1
else
	kmemleak=
fi
start=$(sed -n 's/^jiffies: *//p' /proc/timer_list | head -n 1)
echo "# kmemleak: the suite starts at $(uptime_s) s, jiffies ${start:-absent}"
[ -n "$start" ] || kmemleak=

# The selftests then leave free memory to kmemleak: KASAN's quarantine
# holds freed objects, so MemFree is no measure of a leak here.
HVX_TEST_KASAN=1 /hvx/tasks/suite.sh
rc=$?
echo "# the suite ended at $(uptime_s) s"

grep -q '^hvx ' /proc/modules && rmmod hvx

if [ -n "$kmemleak" ]; then
	# Every object the suite left is now older than kmemleak's
	# minimum age.
	sleep 6
	kmemleak_scan
	/hvx/tasks/kmemleak-since.sh "$start" "$kml" >/tmp/kmemleak
	if [ -s /tmp/kmemleak ]; then
		# A pointer in flight (a register, a list being moved) makes
		# a suspect of one scan only: only what a second scan still
		# finds is a leak.
		kmemleak_scan
		/hvx/tasks/kmemleak-since.sh "$start" "$kml" >/tmp/kmemleak
	fi
	echo "# kmemleak: $(grep -c '^unreferenced object' "$kml") suspects in all"
	if [ -s /tmp/kmemleak ]; then
		sed 's/^/# kmemleak: /' /tmp/kmemleak
		tap_result fail "kmemleak: $(grep -c '^unreferenced object' \
			/tmp/kmemleak) unreferenced objects after the suite"
		rc=1
	else
		tap_result pass "kmemleak: no unreferenced object after the suite"
	fi
else
	tap_result fail "kmemleak: active (no $kml, or it was turned off)"
	rc=1
fi

# lockdep turns itself off after its first report.
locks=$(sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats)
if [ "$locks" = 1 ]; then
	tap_result pass "lockdep: still on after the suite (no splat)"
else
	tap_result fail "lockdep: still on after the suite (debug_locks ${locks:-absent})"
	rc=1
fi
exit $rc
