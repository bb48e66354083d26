#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The test host's own judges must be able to say no: tap-summary.sh counts
# failures and refuses an empty run, kernel-log-check.sh flags oopses and
# warnings, debug-log-check.sh each kind of report of the debug test host,
# kmemleak-since.sh the boot's kmemleak suspects.
# Prints TAP; run by check.sh on the build machine.

th=$(cd "$(dirname "$0")/../../tools/testhost" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$th/tap-check.sh"

echo "TAP version 13"
echo "1..18"

printf 'ok 1 a\nok 2 b # SKIP no\nnot ok 3 c\n' >"$tmp/mixed.tap"
out=$("$th/tap-summary.sh" "$tmp/mixed.tap")
st=$?
[ "$st" = 1 ]; tap_check $? "tap-summary: a failure makes the exit status 1"
[ "$(echo "$out" | tail -n 1)" = "1 passed, 1 failed, 1 skipped" ]
tap_check $? "tap-summary: last line counts pass, fail, skip"
echo "$out" | grep -q '^FAILED: .*not ok 3 c'
tap_check $? "tap-summary: names the failed test"

printf 'ok 1 a\nok 2 b\n' >"$tmp/pass.tap"
"$th/tap-summary.sh" "$tmp/pass.tap" >/dev/null
tap_check $? "tap-summary: all passing is exit status 0"

printf '# nothing ran\n' >"$tmp/empty.tap"
! "$th/tap-summary.sh" "$tmp/empty.tap" >/dev/null
tap_check $? "tap-summary: a run with no result fails"

printf 'ok 1 a\nBail out! host died\n' >"$tmp/bail.tap"
! "$th/tap-summary.sh" "$tmp/bail.tap" >/dev/null
tap_check $? "tap-summary: Bail out! fails"

# klog_case VERDICT NAME LOG: kernel-log-check.sh says VERDICT ("ok" or
# "not ok") of a serial log whose text is the printf format LOG.
klog_case() {
	# shellcheck disable=SC2059
	printf "$3" >"$tmp/klog.log"
	"$th/kernel-log-check.sh" host "$tmp/klog.log" | grep -q "^$1 "
	tap_check $? "kernel-log-check: $2"
}
klog_case "not ok" "a WARNING fails" \
	'[ 1.0] hvx: loaded\n[ 2.0] WARNING: CPU: 0 PID: 1 at x.c:1\n'
klog_case ok "a clean log passes" '[ 1.0] hvx: loaded\n[ 2.0] hvx: unloaded\n'
# a guest's output quoted with a NUL in it, then the host's warning
klog_case "not ok" "a WARNING after a quoted NUL fails" \
	'# \000\001guest\n[ 2.0] WARNING: CPU: 0 PID: 1 at x.c:1\n'
klog_case ok "a Linux guest's quoted WARNING is not the host's" \
	'# [ 2.0] WARNING: CPU: 0 PID: 1 at guest.c:1\n'


# debug_report WHAT FILE: debug-log-check.sh fails exactly the line of
# WHAT on the log FILE, whose other lines pass.
debug_report() {
	out=$("$th/debug-log-check.sh" debug "$2")
	[ "$(echo "$out" | grep -c '^not ok')" = 1 ] &&
		echo "$out" | grep -q "^not ok 0 debug: no $1 in"
}

printf '[ 3.0] kasan: KernelAddressSanitizer initialized (generic)\n[ 4.0] kmemleak: Kernel memory leak detector initialized (mem pool available: 12345)\n[ 5.0] hvx: loaded\n' \
	>"$tmp/debug-clean.log"
[ "$("$th/debug-log-check.sh" debug "$tmp/debug-clean.log" |
     grep -c '^ok 0 debug: no ')" = 4 ]
tap_check $? "debug-log-check: a clean debug boot passes all four"

printf '[ 9.0] ==================================================================\n[ 9.0] BUG: KASAN: slab-out-of-bounds in hvx_vm_ioctl+0x1d4/0x5a0 [hvx]\n[ 9.0] Read of size 8 at addr ffff888012345678 by task vm_test/99\n' \
	>"$tmp/kasan.log"
debug_report "KASAN report" "$tmp/kasan.log"
tap_check $? "debug-log-check: a KASAN report fails"

printf '[ 9.0] ======================================================\n[ 9.0] WARNING: possible circular locking dependency detected\n[ 9.0] 6.1.192-hvx-debug #1 Tainted: G           OE\n' \
	>"$tmp/lockdep.log"
debug_report "lockdep splat" "$tmp/lockdep.log"
tap_check $? "debug-log-check: a lockdep splat fails"

printf '[ 9.0] BUG: sleeping function called from invalid context at mm/slab.h:742\n[ 9.0] in_atomic(): 1, irqs_disabled(): 1, non_block: 0, pid: 99, name: run_test\n' \
	>"$tmp/atomic.log"
debug_report "sleeping-in-atomic warning" "$tmp/atomic.log"
tap_check $? "debug-log-check: sleeping in atomic context fails"

printf '[ 9.0] kmemleak: Memory pool empty, consider increasing CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE\n[ 9.0] kmemleak: Kernel memory leak detector disabled\n' \
	>"$tmp/kmemleak.log"
debug_report "kmemleak failure" "$tmp/kmemleak.log"
tap_check $? "debug-log-check: kmemleak turning itself off fails"

printf '[ 9.0] INFO: task vm_test:99 blocked for more than 120 seconds.\n' \
	>"$tmp/hung.log"
debug_report "lockdep splat" "$tmp/hung.log"
tap_check $? "debug-log-check: a hung task (with its held locks) fails"

# A kmemleak report: one object from the boot, one from the suite (the
# suite began at jiffies 4294900000), the same fields as mm/kmemleak.c's.
cat >"$tmp/kmemleak.report" <<'END'
unreferenced object 0xffff888003a1b000 (size 64):
  comm "swapper/0", pid 1, jiffies 4294892300 (age 1200.250s)
  hex dump (first 32 bytes):
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................
  backtrace:
    [<00000000a1b2c3d4>] __kmalloc+0x4d/0x150
unreferenced object 0xffff888012340000 (size 128):
  comm "vm_test", pid 77, jiffies 4294999999 (age 10.500s)
  backtrace:
    [<00000000d4c3b2a1>] kmalloc_trace+0x26/0x90
END
out=$("$th/tasks/kmemleak-since.sh" 4294900000 "$tmp/kmemleak.report")
[ "$(echo "$out" | grep -c '^unreferenced object')" = 1 ] &&
	echo "$out" | grep -q '^unreferenced object 0xffff888012340000' &&
	[ "$(echo "$out" | wc -l)" = 4 ]
tap_check $? "kmemleak-since: keeps the suite's object, whole, and no other"
out=$("$th/tasks/kmemleak-since.sh" 4295000000 "$tmp/kmemleak.report") &&
	[ -z "$out" ]
tap_check $? "kmemleak-since: an older report is empty"

exit $fail
