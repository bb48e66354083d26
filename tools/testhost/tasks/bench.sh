#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# "make bench", inside the VT-x test host: run the benchmark cases under
# hvx, unload hvx.ko, load Linux KVM (irqbypass, kvm, kvm-intel from
# /lib/modules/$(uname -r)) and run the same cases under KVM, once per
# L1D-flush setting, then print one comparison table per setting.  hvx.ko and kvm_intel must never hold VMX at the
# same time, hence this order.  Each part sits between markers that
# tools/testhost/bench.sh cuts out of the serial log.
#
# Status: 0 when both hypervisors ran the benchmarks (the table may still
# show MISS targets or failed cases), 1 when either could not run at all.

bench=/hvx/bin/hvx-bench
mods=/lib/modules/$(uname -r)
# Per hypervisor; a hung guest must not cost the other half.
limit=${HVX_BENCH_LIMIT:-300}
status=0

echo "HVX-BENCH-CPU $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo |
	head -n 1)"

# ran RC: the bench program ran through (some cases may have failed).
ran() {
	[ "$1" -eq 0 ] || [ "$1" -eq 1 ]
}

# hvx and KVM are compared at the same L1D-flush setting (module parameter
# vmentry_l1d_flush of both), each setting in its own table: "never", and
# "cond", which is what both choose by default on a CPU affected by L1TF.
settings=${HVX_BENCH_L1D:-never cond}

for l1d in $settings; do
	if insmod /hvx/hvx.ko vmentry_l1d_flush="$l1d"; then
		t0=$(date +%s)
		timeout "$limit" "$bench" hvx >/tmp/bench-hvx-$l1d.txt \
			2>>/tmp/bench-hvx.err
		rc=$?
		echo "HVX-BENCH-HVX l1d=$l1d rc=$rc seconds=$(($(date +%s) - t0))"
		rmmod hvx || echo "HVX-BENCH-ERROR rmmod hvx failed"
	else
		echo "HVX-BENCH-ERROR insmod hvx.ko failed"
		: >/tmp/bench-hvx-$l1d.txt
		rc=3
	fi
	ran "$rc" || status=1

	kvm_ok=1
	for m in irqbypass kvm kvm-intel; do
		args=
		[ "$m" = kvm-intel ] && args="vmentry_l1d_flush=$l1d"
		if ! insmod "$mods/$m.ko" $args; then
			echo "HVX-BENCH-ERROR insmod $m.ko failed"
			kvm_ok=0
			break
		fi
	done
	if [ "$kvm_ok" = 1 ]; then
		t0=$(date +%s)
		timeout "$limit" "$bench" kvm >/tmp/bench-kvm-$l1d.txt \
			2>>/tmp/bench-kvm.err
		rc=$?
		echo "HVX-BENCH-KVM l1d=$l1d rc=$rc seconds=$(($(date +%s) - t0))"
	else
		: >/tmp/bench-kvm-$l1d.txt
		rc=3
	fi
	rmmod kvm_intel kvm irqbypass 2>/dev/null
	ran "$rc" || status=1
done

echo "HVX-BENCH-RESULTS-BEGIN"
for l1d in $settings; do
	echo "# vmentry_l1d_flush=$l1d"
	cat /tmp/bench-hvx-$l1d.txt /tmp/bench-kvm-$l1d.txt
done
echo "HVX-BENCH-RESULTS-END"
echo "HVX-BENCH-TABLE-BEGIN"
for l1d in $settings; do
	echo "--- hvx and KVM both with vmentry_l1d_flush=$l1d"
	"$bench" table /tmp/bench-hvx-$l1d.txt /tmp/bench-kvm-$l1d.txt
	echo
done
echo "HVX-BENCH-TABLE-END"
if [ -s /tmp/bench-hvx.err ] || [ -s /tmp/bench-kvm.err ]; then
	echo "HVX-BENCH-STDERR-BEGIN"
	cat /tmp/bench-hvx.err /tmp/bench-kvm.err 2>/dev/null
	echo "HVX-BENCH-STDERR-END"
fi
echo "HVX-BENCH-END status=$status"
exit $status
