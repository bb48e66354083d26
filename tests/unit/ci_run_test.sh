#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# .ci/run's last line is always "N passed, N failed": make check's own
# summary when it wrote one (its "N skipped" line just before), else
# "0 passed, 1 failed", also when make check is killed by a signal.  The
# script runs here in a copy of .ci/ with make stubbed on PATH: the stub
# writes the check.log a case names, exits with its status, or waits to
# be killed.
# Prints TAP; run by check.sh on the build machine.

src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$src/tools/testhost/tap-check.sh"

echo "TAP version 13"
echo "1..7"

mkdir -p "$tmp/tree/.ci" "$tmp/stub"
cp "$src/.ci/run" "$tmp/tree/.ci/run"
cat >"$tmp/stub/make" <<'END'
#!/bin/sh
# $LOG_TEXT: check.log's text (printf format); $STATUS: exit status;
# $HANG: sleep until killed
mkdir -p build
[ -n "$LOG_TEXT" ] && printf "$LOG_TEXT" >build/check.log
[ -n "$HANG" ] && { echo ready >"$READY"; exec sleep 60; }
exit "${STATUS:-0}"
END
chmod +x "$tmp/stub/make"

# ci CASE...: run .ci/run with the stub; its output in $tmp/out, status $st
ci() {
	env -u BUILD PATH="$tmp/stub:$PATH" "$@" "$tmp/tree/.ci/run" >"$tmp/out" 2>&1
	st=$?
}

ci LOG_TEXT='log\n2 skipped\n40 passed, 0 failed\n' STATUS=0
[ $st = 0 ] && [ "$(tail -n 2 "$tmp/out")" = "2 skipped
40 passed, 0 failed" ]
tap_check $? "a passing run: its skipped line, then N passed, N failed last"

ci LOG_TEXT='FAILED: x\n0 skipped\n39 passed, 1 failed\n' STATUS=2
[ $st = 2 ] && [ "$(tail -n 1 "$tmp/out")" = "39 passed, 1 failed" ]
tap_check $? "a failing run: its summary last, make's status"

ci STATUS=2
[ $st != 0 ] && [ "$(tail -n 1 "$tmp/out")" = "0 passed, 1 failed" ]
tap_check $? "no check.log: 0 passed, 1 failed"

ci LOG_TEXT='building\n' STATUS=0
[ $st != 0 ] && [ "$(tail -n 1 "$tmp/out")" = "0 passed, 1 failed" ]
tap_check $? "a check.log without a summary, status 0: a failure"

# an old summary is not taken for this run's
mkdir -p "$tmp/tree/build"
printf '0 skipped\n9 passed, 0 failed\n' >"$tmp/tree/build/check.log"
ci STATUS=1
[ $st = 1 ] && [ "$(tail -n 1 "$tmp/out")" = "0 passed, 1 failed" ]
tap_check $? "an earlier run's check.log is not this run's summary"

# killed while make check runs: CI signals the whole process group
# (setsid makes .ci/run the leader of one of its own)
rm -f "$tmp/ready"
env -u BUILD PATH="$tmp/stub:$PATH" HANG=1 READY="$tmp/ready" \
	setsid "$tmp/tree/.ci/run" >"$tmp/out" 2>&1 &
pid=$!
i=0
while [ ! -e "$tmp/ready" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
[ -e "$tmp/ready" ] && /bin/kill -s TERM -- "-$pid"
wait $pid
st=$?
[ -e "$tmp/ready" ] && [ $st != 0 ] &&
	[ "$(tail -n 1 "$tmp/out")" = "0 passed, 1 failed" ]
tap_check $? "killed by SIGTERM: 0 passed, 1 failed"

# the summary line check.sh's tap-summary.sh prints is the one .ci/run takes
printf 'ok 1 a\nok 2 b # SKIP x\n' >"$tmp/r.tap"
ci LOG_TEXT="$("$src/tools/testhost/tap-summary.sh" "$tmp/r.tap")\n" STATUS=0
[ $st = 0 ] && [ "$(tail -n 2 "$tmp/out")" = "1 skipped
1 passed, 0 failed" ]
tap_check $? "tap-summary.sh's summary goes through .ci/run"
exit $fail
