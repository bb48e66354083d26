#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench's status (tools/testhost/tasks/bench.sh) says 1 whenever a
# benchmark run could not run through: the main hvx run, an hvx variant
# (enable_apicv=0) or the KVM run.  The variants run between the main
# hvx run and the check of its status, and once overwrote it.  bench.sh's
# exit part runs here with insmod and rmmod stubbed on PATH and a stand-in
# bench program, in a copy whose /tmp/ and /hvx/ are this test's folder.
# Prints TAP; run by check.sh on the build machine.

src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$src/tools/testhost/tap-check.sh"

echo "TAP version 13"
echo "1..7"

mkdir -p "$tmp/stub" "$tmp/hvx/bin" "$tmp/run"
printf '#!/bin/sh\necho "insmod $*" >>"%s/mods"\n' "$tmp" >"$tmp/stub/insmod"
printf '#!/bin/sh\necho "rmmod $*" >>"%s/mods"\n' "$tmp" >"$tmp/stub/rmmod"
# The bench program: "hvx" alone is the main run, "hvx CASE..." a
# variant; $FAIL names the run that dies of a signal (status 139).
cat >"$tmp/hvx/bin/hvx-bench" <<'END'
#!/bin/sh
run=$1
[ "$1" = hvx ] && [ $# -gt 1 ] && run=variant
echo "$run" >>"$BENCH_RUNS"
[ "$run" = "$FAIL" ] && exit 139
[ "$1" = hvx ] || [ "$1" = kvm ] && echo "RESULT $1 cpuid 1.0"
exit 0
END
chmod +x "$tmp/stub/insmod" "$tmp/stub/rmmod" "$tmp/hvx/bin/hvx-bench"

# the script with its /tmp/ and /hvx/ in $tmp: none of the machine's
# files is touched
sed -e "s|/tmp/|@TMP@/|g" -e "s|/hvx/|@HVX@/|g" \
	"$src/tools/testhost/tasks/bench.sh" >"$tmp/bench.sh.in"
! grep -q -e /tmp/ -e /hvx/ "$tmp/bench.sh.in"
tap_check $? "bench.sh's copy has no path of the test host left"
sed -e "s|@TMP@|$tmp/run|g" -e "s|@HVX@|$tmp/hvx|g" "$tmp/bench.sh.in" \
	>"$tmp/bench.sh"

# bench FAIL: run the copy's exit part at one L1D-flush setting with the
# run FAIL failing ("none": none); its status, its output in $tmp/out.
bench() {
	rm -f "$tmp/runs" "$tmp/mods" "$tmp"/run/*
	PATH="$tmp/stub:$PATH" FAIL=$1 BENCH_RUNS="$tmp/runs" \
		hvxbenchcases=exit HVX_BENCH_L1D=never HVX_BENCH_LIMIT=30 \
		sh "$tmp/bench.sh" >"$tmp/out" 2>&1
}

bench none
st=$?
[ "$st" = 0 ] && grep -q '^HVX-BENCH-END status=0$' "$tmp/out"
tap_check $? "every run through: status 0 (was $st)"
[ "$(tr '\n' ' ' <"$tmp/runs")" = "hvx variant kvm table " ]
tap_check $? "main hvx run, its variant, the KVM run, the table ($(
	tr '\n' ' ' <"$tmp/runs"))"

bench hvx
st=$?
[ "$st" = 1 ] && grep -q '^HVX-BENCH-END status=1$' "$tmp/out"
tap_check $? "the main hvx run crashed, its variant ran: status 1 (was $st)"
grep -q '^HVX-BENCH-HVX l1d=never rc=139 ' "$tmp/out" &&
	grep -q '^HVX-BENCH-HVX-NOAPICV l1d=never rc=0 ' "$tmp/out"
tap_check $? "the log names each run's status"

bench variant
st=$?
[ "$st" = 1 ]
tap_check $? "the variant crashed: status 1 (was $st)"

bench kvm
st=$?
[ "$st" = 1 ]
tap_check $? "the KVM run crashed: status 1 (was $st)"

exit $fail
