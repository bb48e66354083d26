#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Usage: debug-log-check.sh NAME SERIAL_LOG
#
# Four TAP lines: whether the debug test host's kernel log (see
# debug.config) holds a KASAN report, a lockdep splat, a sleeping-in-atomic
# warning, or kmemleak turning itself off.  Each failure shows the report's
# first lines as comments.  kernel-log-check.sh judges BUG, WARNING and
# oops lines in general; kmemleak's suspects are judged in the test host
# (tasks/debug.sh), after the suite.

name=$1
log=$2

# clean WHAT PATTERN: one TAP line, whether the log is free of PATTERN (an
# extended regular expression).
clean() {
	bad=$(tr -d '\r' <"$log" | grep -E -A 12 "$2" | head -n 40)
	if [ -n "$bad" ]; then
		echo "$bad" | sed 's/^/# /'
		echo "not ok 0 $name: no $1 in the kernel log"
	else
		echo "ok 0 $name: no $1 in the kernel log"
	fi
}

clean "KASAN report" 'BUG: KASAN|KASAN: '
clean "lockdep splat" 'possible (circular|recursive) locking|inconsistent lock state|possible irq lock inversion|suspicious RCU usage|non-static key|DEBUG_LOCKS_WARN_ON|BUG: MAX_LOCK|held lock freed|held when returning to user space|bad unlock balance|INFO: task .* blocked'
clean "sleeping-in-atomic warning" 'BUG: sleeping function|BUG: scheduling while atomic|BUG: workqueue leaked lock|BUG: using smp_processor_id'
clean "kmemleak failure" 'kmemleak: .*(disabled|Cannot|failed|pool empty)'
