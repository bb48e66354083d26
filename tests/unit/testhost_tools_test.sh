#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The test host's own judges must be able to say no: tap-summary.sh counts
# failures and refuses an empty run, kernel-log-check.sh flags oopses and
# warnings.  Prints TAP; run by check.sh on the build machine.

th=$(cd "$(dirname "$0")/../../tools/testhost" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$th/tap-check.sh"

echo "TAP version 13"
echo "1..8"

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

printf '[ 1.0] hvx: loaded\n[ 2.0] WARNING: CPU: 0 PID: 1 at x.c:1\n' \
	>"$tmp/warn.log"
"$th/kernel-log-check.sh" host "$tmp/warn.log" | grep -q '^not ok'
tap_check $? "kernel-log-check: a WARNING fails"

printf '[ 1.0] hvx: loaded\n[ 2.0] hvx: unloaded\n' >"$tmp/clean.log"
"$th/kernel-log-check.sh" host "$tmp/clean.log" | grep -q '^ok'
tap_check $? "kernel-log-check: a clean log passes"

exit $fail
