#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The test host's own judges must be able to say no: tap-summary.sh counts
# failures and refuses an empty run, serial-verdict.sh tells a reset from
# an end, serial-tap.sh keeps one run and names a binary cut off,
# host-status.sh fails a host that stopped, kernel-log-check.sh flags oopses and
# warnings, debug-log-check.sh each kind of report of the debug test host,
# kmemleak-since.sh the boot's kmemleak suspects.
# Prints TAP; run by check.sh on the build machine.

th=$(cd "$(dirname "$0")/../../tools/testhost" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$th/tap-check.sh"

echo "TAP version 13"
echo "1..29"

printf 'ok 1 a\nok 2 b # SKIP no\nnot ok 3 c\n' >"$tmp/mixed.tap"
out=$("$th/tap-summary.sh" "$tmp/mixed.tap")
st=$?
[ "$st" = 1 ]; tap_check $? "tap-summary: a failure makes the exit status 1"
[ "$(echo "$out" | tail -n 2)" = "1 skipped
1 passed, 1 failed" ]
tap_check $? "tap-summary: last line counts pass and fail, the one before skip"
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

# verdict_case WORD NAME LOG: serial-verdict.sh says WORD of a serial log
# whose text is the printf format LOG.
verdict_case() {
	# shellcheck disable=SC2059
	printf "$3" >"$tmp/serial.log"
	[ "$("$th/serial-verdict.sh" "$tmp/serial.log")" = "$1" ]
	tap_check $? "serial-verdict: $2"
}
verdict_case running "a task under way" 'HVX-TESTHOST-BEGIN\nok 0 a\n'
verdict_case "end 3" "the end marker's status" \
	'HVX-TESTHOST-BEGIN\r\nHVX-TESTHOST-END rc=3\r\n'
verdict_case running "an end marker not yet whole" \
	'HVX-TESTHOST-BEGIN\nHVX-TESTHOST-END rc=3'
verdict_case panic "the host's panic" \
	'HVX-TESTHOST-BEGIN\n[ 9.0] Kernel panic - not syncing: x\n'
verdict_case running "a guest's quoted panic is not the host's" \
	'HVX-TESTHOST-BEGIN\n# [ 9.0] Kernel panic - not syncing: x\n'
verdict_case reboot "a second start is a reset, even once it ended" \
	'HVX-TESTHOST-BEGIN\nok 0 a\nHVX-TESTHOST-BEGIN\nHVX-TESTHOST-END rc=0\n'
verdict_case panic "a panic then a start again is the panic" \
	'HVX-TESTHOST-BEGIN\n[ 9.0] Kernel panic - not syncing: x\nHVX-TESTHOST-BEGIN\n'

# serial-tap.sh: the first run only; a binary cut off is named
printf 'bios\r\nHVX-TESTHOST-BEGIN\r\n# hvx-run: a_test (1 s up)\n1..1\nok 1 x\n# hvx-run: b_test (2 s up)\nHVX-TESTHOST-BEGIN\nok 9 again\n' \
	>"$tmp/reset.log"
out=$("$th/serial-tap.sh" "$tmp/reset.log")
[ "$(echo "$out" | head -n 1)" = HVX-TESTHOST-BEGIN ] &&
	! echo "$out" | grep -q 'again' &&
	[ "$(echo "$out" | tail -n 1)" = "not ok 0 b_test: no result (the test host stopped while it ran)" ]
tap_check $? "serial-tap: a reset's second run left out, the cut-off binary named"
printf 'HVX-TESTHOST-BEGIN\n# hvx-run: a_test (1 s up)\n1..1\nok 1 x\nHVX-TESTHOST-END rc=0\nHVX-DMESG-BEGIN\n[ 1.0] dmesg\n' \
	>"$tmp/whole.log"
out=$("$th/serial-tap.sh" "$tmp/whole.log")
[ "$(echo "$out" | tail -n 1)" = HVX-DMESG-BEGIN ] &&
	! echo "$out" | grep -q '^not ok'
tap_check $? "serial-tap: a whole run up to the kernel log, no failure added"
printf 'HVX-TESTHOST-BEGIN\n# hvx-run: a_test (1 s up)\n1..1\nok 1 x\n# hvx-run: vCPU 0: triple fault\n' \
	>"$tmp/quoted.log"
! "$th/serial-tap.sh" "$tmp/quoted.log" | grep -q '^not ok'
tap_check $? "serial-tap: hvx-run's quoted message is no test binary"
mkdir -p "$tmp/work"
printf 'line\n>>PANIC<< exit\n' >"$tmp/work/bochs.log"
out=$("$th/host-status.sh" h 126 60 "$tmp/work")
echo "$out" | grep -q '^not ok 0 h test host ran its task once' &&
	echo "$out" | grep -q '^#   >>PANIC<< exit'
tap_check $? "host-status: a reset fails and shows bochs.log's end"

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
