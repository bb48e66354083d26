#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# make bench's disk case, inside the VT-x test host (tools/testhost/tasks/
# bench.sh runs it; Documentation/bench.rst).  A 64 MiB image file in the
# test host's /tmp (tmpfs) is read by hvx-diskread twice:
#   - by the test host itself: "seq" (the whole file in 1 MiB blocks) and
#     "rand" (4 KiB reads at random offsets for 10 s from 8 threads);
#   - by a Linux guest of hvx-run (1 vCPU, 256 MiB) that has the image as
#     its virtio disk vda (-d FILE,ro), with the same program and the same
#     parameters (guest/init's disk_bench).
# While the guest reads, hvx's counters of the VM (hvx-stat --json) are
# read when the guest's BEGIN and END line of each phase arrives; "runs"
# (HVX_RUN calls: each returns to userspace once) is the number of exits
# to userspace, the guest's /sys/block/vda/stat the number of requests.
#
# Usage: bench_disk.sh [L1D]: hvx.ko is loaded with vmentry_l1d_flush=L1D
# (cond) for the guest's part and unloaded after.  "hvxdiskblock=KIB",
# "hvxdiskseconds=S", "hvxdiskthreads=N" and "hvxdiskmegs=M" on the test
# host's command line change 1024, 10, 8 and 64; "hvxdiskrun=BIN,..."
# runs the guest's part once on each hvx-run BIN, with a table each
# (/hvx/bin/hvx-run alone by default); "hvxdiskmarkers=ttyS0" frames the
# phases on the UART instead of hvc0.  Prints HVX-BENCH-DISK
# lines for the log and leaves the table in /tmp/disk/table.txt.  Status 0
# when both sides ran (a MISS target included), 1 otherwise.

l1d=${1:-cond}
block=${hvxdiskblock:-1024}
secs=${hvxdiskseconds:-10}
threads=${hvxdiskthreads:-8}
megs=${hvxdiskmegs:-64}
reader=/hvx/bin/hvx-diskread
D=/tmp/disk
img=$D/disk.img
limit=${HVX_BENCH_DISK_LIMIT:-300}
runs=${hvxdiskrun:-/hvx/bin/hvx-run}
markers=${hvxdiskmarkers:-hvc0}
guest_cmdline="console=ttyS0 quiet panic=-1 hvxguest=diskbench \
hvxdiskblock=$block hvxdiskseconds=$secs hvxdiskthreads=$threads"
# The phases' markers on hvc0 (hvx-run --console virtio) need no exit to
# userspace; on the UART (hvxdiskmarkers=ttyS0) they cost about 17 per
# phase (the serial driver reads the status registers)
console_opt=
if [ "$markers" = hvc0 ]; then
	console_opt="--console virtio"
	guest_cmdline="$guest_cmdline hvxdiskhvc=1"
fi

rm -rf "$D"
mkdir -p "$D"
: >"$D/table.txt"

# written, not sparse: every read of either side finds a page of the file
if ! dd if=/dev/zero of="$img" bs=1M count="$megs" 2>/dev/null; then
	echo "HVX-BENCH-DISK-ERROR cannot write the ${megs} MiB image"
	exit 1
fi

# The test host's own reads of the file.
"$reader" seq "$img" "$block" >"$D/host-seq.txt" 2>&1
"$reader" rand "$img" "$secs" "$threads" >"$D/host-rand.txt" 2>&1
echo "HVX-BENCH-DISK-HOST $(cat "$D/host-seq.txt")"
echo "HVX-BENCH-DISK-HOST $(cat "$D/host-rand.txt")"

# num KEY FILE: the number after "KEY": in a snapshot (the VM's totals)
num() {
	sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2" | head -n 1
}

# reasons FILE: "NAME COUNT" per VMX exit reason of a snapshot
reasons() {
	tr '{' '\n' <"$1" |
		sed -n 's/.*"name":"\([^"]*\)","count":\([0-9]*\).*/\1 \2/p'
}

# value KEY FILE: KEY=VALUE of a DISKREAD line
value() {
	sed -n "s/.*DISKREAD.* $1=\([0-9.]*\).*/\1/p" "$2" | head -n 1
}

# run_guest BIN: boot the guest on hvx-run BIN, its files in $G.  Each
# BEGIN or END line of a phase takes a snapshot of hvx's counters before
# the guest goes on (it pauses 2 s after each).
run_guest() {
	cr=$(printf '\r')
	t0=$(date +%s)
	(
		# shellcheck disable=SC2086 # console_opt: none or two words
		timeout "$limit" "$1" -m 256M -c 1 -k /hvx/guest/vmlinuz \
			-i /hvx/guest/initrd.gz -p "$guest_cmdline" \
			$console_opt -d "$img,ro" </dev/null 2>"$G/guest.err"
		echo $? >"$G/guest.status"
	) | while IFS= read -r line; do
		# not through tr: a filter's buffer would hold the markers back
		line=${line%"$cr"}
		echo "$line" >>"$G/guest.out"
		case $line in
		HVX-GUEST-DISK-BEGIN\ *)
			/hvx/bin/hvx-stat --json >"$G/${line#* }-begin.json" 2>&1 ;;
		HVX-GUEST-DISK-END\ *)
			/hvx/bin/hvx-stat --json >"$G/${line#* }-end.json" 2>&1 ;;
		esac
	done
	rc=$(cat "$G/guest.status" 2>/dev/null)
	echo "HVX-BENCH-DISK-GUEST $1 l1d=$l1d rc=${rc:-none}" \
		"seconds=$(($(date +%s) - t0))"
	sed -n 's/^HVX-GUEST-DISK-\(SETUP\|RESULT\|STAT\) /HVX-BENCH-DISK-GUEST-\1 /p' \
		"$G/guest.out"
	[ "$rc" = 0 ] && return
	echo "HVX-BENCH-DISK-ERROR hvx-run's status ${rc:-none}; its messages:"
	cat "$G/guest.err"
	tail -n 30 "$G/guest.out"
	return 1
}

# phase NAME: "requests runs posted exits" of the guest's phase NAME;
# each counter's growth between its BEGIN and END snapshots, requests
# from the guest's /sys/block/vda/stat (reads completed).
phase() {
	b=$G/$1-begin.json
	e=$G/$1-end.json
	if [ -z "$(num runs "$b")" ] || [ -z "$(num runs "$e")" ]; then
		echo "HVX-BENCH-DISK-ERROR no counters of phase $1" >&2
		return 1
	fi
	reqs=$(sed -n "s/^HVX-GUEST-DISK-STAT $1 //p" "$G/guest.out" |
		awk '{ n = NF / 2; print $(n + 1) - $1 }')
	echo "${reqs:-0} $(($(num runs "$e") - $(num runs "$b")))" \
		"$(($(num ring_posted "$e") - $(num ring_posted "$b")))" \
		"$(($(num exits "$e") - $(num exits "$b")))"
	reasons "$b" >"$G/$1-begin.reasons"
	reasons "$e" | awk -v p="$1" 'NR == FNR { was[$1] = $2; next }
		$2 - was[$1] > 0 {
			printf "HVX-BENCH-DISK-COUNT %s %s %d\n", p, $1,
				$2 - was[$1]
		}' "$G/$1-begin.reasons" - >&2
}

# target WHAT GUEST HOST K: the target line "GUEST >= K x HOST"; n/a
# when a figure is missing
target() {
	awk -v what="$1" -v g="$2" -v h="$3" -v k="$4" 'BEGIN {
		if (g == "" || h == "") { printf "n/a   %s\n", what; exit }
		ok = g >= k * h
		printf "%s  %-44s(%s %s %s x %s)\n", ok ? "PASS" : "MISS",
			what, g, ok ? ">=" : "<", k, h }'
}

# table BIN: the table of the guest's run on hvx-run BIN beside the test
# host's figures, and the targets.  Status 1 when a figure is missing.
table() {
	gs=$(value mbps "$G/seq.txt")
	hs=$(value mbps "$D/host-seq.txt")
	gr=$(value iops "$G/rand.txt")
	hr=$(value iops "$D/host-rand.txt")
	gm=$(sed -n 's/^HVX-GUEST-DISK-SETUP .*markers=\([^ ]*\).*/\1/p' \
		"$G/guest.out")
	echo "--- disk: a ${megs} MiB image in the test host's tmpfs; guest:" \
		"Linux on $1 -d FILE,ro, 1 vCPU, 256 MiB," \
		"vmentry_l1d_flush=$l1d; the same hvx-diskread on both sides;" \
		"phase markers on ${gm:-?}"
	awk -v gs="$gs" -v hs="$hs" -v gr="$gr" -v hr="$hr" \
	    -v blk="$block" -v megs="$megs" -v secs="$secs" -v thr="$threads" \
	    -v gd="$(value direct "$G/seq.txt")" \
	    -v hd="$(value direct "$D/host-seq.txt")" '
	function ratio(a, b) { return (a != "" && b > 0) ? sprintf("%.2f", a / b) : "-" }
	function dash(a) { return a == "" ? "-" : a }
	BEGIN {
		printf "%-40s %12s %12s %10s\n", "", "guest", "host", "guest/host"
		printf "%-40s %12s %12s %10s\n",
			"seq " megs " MiB, " blk " KiB blocks (MB/s)",
			dash(gs), dash(hs), ratio(gs, hs)
		printf "%-40s %12s %12s %10s\n",
			"rand 4 KiB, " thr " threads, " secs " s (IOPS)",
			dash(gr), dash(hr), ratio(gr, hr)
		printf "%-40s %12s %12s\n", "O_DIRECT", dash(gd), dash(hd)
	}'
	echo
	printf '%-8s %10s %12s %14s %12s %10s\n' phase requests \
		"to userspace" "per 100 req." "posted" "all exits"
	for p in idle seq rand; do
		# shellcheck disable=SC2046 # four numbers
		set -- $(cat "$G/$p.counts")
		[ $# = 4 ] || set -- - - - -
		printf '%-8s %10s %12s %14s %12s %10s\n' "$p" "$1" "$2" \
			"$(awk -v r="$1" -v u="$2" 'BEGIN {
				print (r > 0) ? sprintf("%.2f", u * 100 / r) : "-" }')" \
			"$3" "$4"
	done
	echo
	echo "targets (hvx):"
	target "sequential >= 0.8 x the host's MB/s" "$gs" "$hs" 0.8
	target "random 4 KiB >= 0.5 x the host's IOPS" "$gr" "$hr" 0.5
	for p in seq rand; do
		# shellcheck disable=SC2046 # four numbers
		set -- $(cat "$G/$p.counts")
		awk -v p="$p" -v r="${1:-}" -v u="${2:-}" 'BEGIN {
			if (r == "" || u == "" || r == 0) {
				printf "n/a   %s: exits to userspace < 1 per 100 requests\n", p
				exit
			}
			printf "%s  %-4s: exits to userspace < 1 per 100 requests (%d %s %d / 100)\n",
				(u * 100 < r) ? "PASS" : "MISS", p, u,
				(u * 100 < r) ? "<" : ">=", r }'
	done
	[ -n "$gs" ] && [ -n "$hs" ] && [ -n "$gr" ] && [ -n "$hr" ]
}

# The guest's part, once per hvx-run: its files in $D/N/ for the N-th.
if ! insmod /hvx/hvx.ko vmentry_l1d_flush="$l1d"; then
	echo "HVX-BENCH-DISK-ERROR insmod hvx.ko failed"
	exit 1
fi
status=0
n=0
for bin in $(echo "$runs" | tr ',' ' '); do
	n=$((n + 1))
	G=$D/$n
	mkdir -p "$G"
	run_guest "$bin" || status=1
	for p in idle seq rand; do
		phase "$p" >"$G/$p.counts" 2>"$G/$p.log" || status=1
		cat "$G/$p.log"
		echo "HVX-BENCH-DISK-PHASE $bin $p requests runs posted exits:" \
			"$(cat "$G/$p.counts")"
	done
	for p in seq rand; do
		sed -n "s/^HVX-GUEST-DISK-RESULT $p //p" "$G/guest.out" \
			>"$G/$p.txt"
	done
	table "$bin" >>"$D/table.txt" || status=1
	echo >>"$D/table.txt"
done
rmmod hvx || echo "HVX-BENCH-DISK-ERROR rmmod hvx failed"
exit $status
