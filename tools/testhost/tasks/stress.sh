#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# "make stress", inside the VT-x test host: the ioctl fuzzer, hostile
# guests, SIGKILLs at random points, create/destroy churn (tests/stress/)
# and fds used by another process (fd_test), each a row of one table: what ran, how many, what went
# wrong, and memory before and after it (MemAvailable and Slab from
# /proc/meminfo after dropping caches; pinned pages, FOLL_PIN pins taken
# minus released from /proc/vmstat).  Then hvx.ko must unload.
#
# The kernel command line (make stress passes them) sets the seed
# (hvxstressseed=), the parts (hvxstressparts=fuzz,guests,kills,churn,fds)
# and the sizes (hvxstresscalls=, hvxstressguests=, hvxstresskills=,
# hvxstresscycles=).  tools/testhost/stress.sh cuts the table out of the
# serial log and checks the kernel log.
#
# Status: 0 when every row is clean, 1 otherwise.

stress=/hvx/stress
seed=${hvxstressseed:-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')}
seed=0x${seed#0x}
parts=$(echo "${hvxstressparts:-fuzz,guests,kills,churn,fds}" | tr ',' ' ')
calls=${hvxstresscalls:-1000000}
guests=${hvxstressguests:-10000}
kills=${hvxstresskills:-100}
cycles=${hvxstresscycles:-10000}
# Memory that may differ after a part without a leak (caches the kernel
# keeps: page tables, slab pages not yet given back), in KiB; a leak of
# one VM's pinned RAM or of the fuzzer's objects over a run is larger.
tolerance_kb=${hvxstresstolerance:-2048}
limit=${hvxstresslimit:-1800}
status=0
rows=/tmp/stress-rows

# The pinned pages of the whole system: FOLL_PIN pins taken less released.
pinned() {
	awk '/^nr_foll_pin_acquired/ { a = $2 } /^nr_foll_pin_released/ { r = $2 }
	     END { print a - r }' /proc/vmstat
}

meminfo() {
	sed -n "s/^$1: *\([0-9]*\) kB/\1/p" /proc/meminfo
}

# snapshot VAR: "MemAvailable Slab pinned" once deferred frees are done.
snapshot() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
	echo 3 >/proc/sys/vm/drop_caches
	eval "$1=\"$(meminfo MemAvailable) $(meminfo Slab) $(pinned)\""
}

# row WHAT COUNT WRONG BEFORE AFTER SECONDS: print a table row and judge
# the memory figures; a row is clean with nothing wrong, no pinned page
# left and MemAvailable back within the tolerance.
row() {
	set -- "$1" "$2" "$3" $4 $5 "$6"
	# $4 $5 $6: before; $7 $8 $9: after; ${10}: seconds
	verdict=clean
	[ "$3" = 0 ] || verdict=FAILED
	[ "$9" -le "$6" ] || verdict=FAILED
	[ "$7" -ge $(($4 - tolerance_kb)) ] || verdict=FAILED
	printf '%-28s %9s %6s %9s %9s %7s %7s %6s %6s %6s  %s\n' \
		"$1" "$2" "$3" "$4" "$7" "$5" "$8" "$6" "$9" "${10}" \
		"$verdict" >>"$rows"
	echo "HVX-STRESS-ROW $1: count=$2 wrong=$3 memavail=$4->$7 slab=$5->$8 pinned=$6->$9 seconds=${10} $verdict"
	[ "$verdict" = clean ] || status=1
}

want() {
	case " $parts " in *" $1 "*) return 0 ;; esac
	return 1
}

: >"$rows"
echo "HVX-STRESS-SEED $seed"
if ! insmod /hvx/hvx.ko; then
	echo "HVX-STRESS-ERROR insmod hvx.ko failed"
	echo "HVX-STRESS-END status=1"
	exit 1
fi
snapshot start

# part WHAT COUNT PROGRAM ARGS...: run a stress program (at most $limit
# s) and make its row: "wrong=N" on its summary line says what went wrong,
# a non-zero exit status adds one; an empty COUNT is its "calls=N".
part() {
	what=$1
	n=$2
	shift 2
	snapshot before
	t0=$(date +%s)
	timeout "$limit" "$@" >/tmp/part.out 2>&1
	rc=$?
	sed 's/^/HVX-STRESS-OUT /' /tmp/part.out | tail -n 20
	sum=$(grep ' wrong=[0-9]' /tmp/part.out | tail -n 1)
	w=$(echo "$sum" | sed -n 's/.* wrong=\([0-9]*\).*/\1/p')
	[ -n "$n" ] || n=$(echo "$sum" | sed -n 's/.* calls=\([0-9]*\).*/\1/p')
	[ "$rc" = 0 ] || w=$((${w:-0} + 1))
	snapshot after
	row "$what" "${n:-0}" "${w:-1}" "$before" "$after" $(($(date +%s) - t0))
}

want fuzz && part "ioctl fuzzer (calls)" "" "$stress/fuzz" --seed "$seed" \
	--calls "$calls"
want guests && part "hostile guests" "$guests" "$stress/guests" \
	--seed "$seed" --guests "$guests"

# victim N I: become victim N (hvx-run booting Linux with 2 vCPUs and
# its device threads, hvx-run spinning, the fuzzer).  Run in the
# background, it execs, so that $! is the victim itself and the SIGKILL
# reaches it, not a subshell that leaves it running.
victim() {
	case $1 in
	0) exec /hvx/bin/hvx-run -m 256M -c 2 -k /hvx/guest/vmlinuz \
		-i /hvx/guest/initrd.gz -p "console=ttyS0 quiet" ;;
	1) exec /hvx/bin/hvx-run /hvx/images/spin.bin ;;
	*) exec "$stress/fuzz" --seed "$(($low + $2))" --calls 100000000 ;;
	esac
}

if want kills; then
	# the victims' order and kill times follow from the seed too
	low=0x$(printf %s "${seed#0x}" | tail -c 8)
	RANDOM=$((low & 0x7fff))
	snapshot before
	t0=$(date +%s)
	w=0
	i=0
	while [ "$i" -lt "$kills" ]; do
		victim $((i % 3)) "$i" </dev/null >/dev/null 2>/tmp/victim.err &
		pid=$!
		# 0.1 to 3 s: during start-up, boot, I/O and fuzzing alike
		usleep $((100000 + (RANDOM % 30) * 100000))
		if ! kill -9 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			st=$?
			how="exit status $st"
			[ "$st" -le 128 ] || how="signal $((st - 128))"
			echo "HVX-STRESS-OUT kill $i: victim $((i % 3)) was gone before its SIGKILL ($how):"
			tail -n 3 /tmp/victim.err | sed 's/^/HVX-STRESS-OUT   /'
			w=$((w + 1))
		fi
		wait "$pid" 2>/dev/null
		i=$((i + 1))
	done
	snapshot after
	row "SIGKILLs" "$kills" "$w" "$before" "$after" $(($(date +%s) - t0))
fi

want churn && part "VM + slot churn (cycles)" "$cycles + $cycles" \
	"$stress/churn" --cycles "$cycles"

if want fds; then
	snapshot before
	t0=$(date +%s)
	/hvx/selftests/fd_test >/tmp/fd_test.out 2>&1
	rc=$?
	sed 's/^/HVX-STRESS-OUT /' /tmp/fd_test.out | grep -v '^HVX-STRESS-OUT ok' |
		tail -n 20
	n=$(grep -c '^ok ' /tmp/fd_test.out)
	w=$(grep -c '^not ok ' /tmp/fd_test.out)
	[ "$rc" = 0 ] || [ "$w" != 0 ] || w=1
	snapshot after
	row "fds: SCM_RIGHTS, fork (tests)" "$n" "$w" "$before" "$after" \
		$(($(date +%s) - t0))
fi

snapshot end
if rmmod hvx; then
	unload=clean
else
	unload=FAILED
	status=1
fi

echo "HVX-STRESS-TABLE-BEGIN"
echo "seed $seed; memory in KiB (MemAvailable and Slab after drop_caches," \
	"pinned: FOLL_PIN pages); tolerance $tolerance_kb KiB"
printf '%-28s %9s %6s %9s %9s %7s %7s %6s %6s %6s  %s\n' \
	what count wrong avail-bef avail-aft slab-bef slab-aft pin-bef \
	pin-aft secs verdict
cat "$rows"
set -- $start $end
echo "whole run: MemAvailable $1 -> $4, Slab $2 -> $5, pinned $3 -> $6;" \
	"rmmod hvx: $unload"
echo "HVX-STRESS-TABLE-END"
echo "HVX-STRESS-END status=$status"
exit $status
