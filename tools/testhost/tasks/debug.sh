#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# "make check-debug", inside the debug test host (KASAN, lockdep, kmemleak,
# see tools/testhost/debug.config): the whole suite (suite.sh), then with
# hvx.ko unloaded a kmemleak scan.  Leak suspects from the boot are
# cleared before the suite, so what the scan reports was allocated while
# the suite ran.  The reports are printed as TAP comments; KASAN reports,
# lockdep splats and sleeping-in-atomic warnings are in the kernel log,
# which tools/testhost/check-debug.sh checks.
#
# Status: the suite's, or 1 when kmemleak found a leak or lockdep was
# turned off (by a splat, or by running out of its tables).

. /hvx/tasks/tap-lib.sh

kml=/sys/kernel/debug/kmemleak

# kmemleak_scan: one scan; reports objects unreferenced for 5 s or more.
kmemleak_scan() {
	echo scan >"$kml"
}

if kmemleak_scan 2>/dev/null && echo clear >"$kml"; then
	kmemleak=1
else
	kmemleak=
fi

/hvx/tasks/suite.sh
rc=$?

grep -q '^hvx ' /proc/modules && rmmod hvx

if [ -n "$kmemleak" ]; then
	# An object freed late (RCU, a worker) is only a suspect while it
	# is younger than kmemleak's minimum age: scan again after it.
	sleep 6
	kmemleak_scan
	sleep 6
	kmemleak_scan
	cat "$kml" >/tmp/kmemleak
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
