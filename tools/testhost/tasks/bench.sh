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
# Then the Linux boot case: the test host's own kernel and the guest
# initramfs booted to /init under hvx-run and under hvx-bench's minimal KVM
# launcher ("bench linux"), at one L1D-flush setting, and its table.
# "hvxbenchcases=exit,linux" on the test host's command line (make bench
# passes HVX_BENCH_CASES) picks the parts to run; both by default.
# "hvxbenchonly=CASE,..." (HVX_BENCH_ONLY) runs only these exit-path cases.
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
cases=$(echo "${hvxbenchcases:-exit,linux}" | tr ',' ' ')
want() {
	case " $cases " in *" $1 "*) return 0 ;; esac
	return 1
}
want exit || settings=
only=$(echo "${hvxbenchonly:-}" | tr ',' ' ')

# pick [CASE...]: those of CASE... that hvxbenchonly names, or all of
# them; without CASE, what it names (nothing: every case).
pick() {
	if [ -z "$only" ] || [ $# = 0 ]; then
		echo "${*:-$only}"
		return
	fi
	for c in "$@"; do
		case " $only " in *" $c "*) printf '%s ' "$c" ;; esac
	done
}

# The Linux boot case at this L1D-flush setting: what both choose by
# default on this CPU.
linux_l1d=${HVX_BENCH_LINUX_L1D:-cond}
linux_limit=${HVX_BENCH_LINUX_LIMIT:-120}
guest_cmdline="console=ttyS0 quiet panic=-1"
# ... once per transparent-huge-page setting: Linux turns THP off at boot
# below 512 MiB of RAM, as in this test host; "madvise" gives the RAM of
# hvx-run and of the KVM launcher (2 MiB aligned, MADV_HUGEPAGE) huge
# pages, which both map with 2 MiB EPT pages.
linux_thp=${HVX_BENCH_LINUX_THP:-never madvise}
thp_file=/sys/kernel/mm/transparent_hugepage/enabled

# insmod_kvm L1D: load irqbypass, kvm and kvm-intel; 0 when they loaded.
insmod_kvm() {
	for m in irqbypass kvm kvm-intel; do
		args=
		[ "$m" = kvm-intel ] && args="vmentry_l1d_flush=$1"
		if ! insmod "$mods/$m.ko" $args; then
			echo "HVX-BENCH-ERROR insmod $m.ko failed"
			return 1
		fi
	done
	return 0
}

# linux_boot BACKEND THP: boot the guest once with THP set to THP; its
# LINUX lines go to /tmp/linux-BACKEND-THP.txt, its console to
# /tmp/linux-BACKEND-THP.console.
linux_boot() {
	t0=$(date +%s)
	echo "$2" >"$thp_file" 2>/dev/null ||
		echo "HVX-BENCH-ERROR cannot set THP to $2"
	timeout "$linux_limit" "$bench" linux -m 256M \
		-o "/tmp/linux-$1-$2.console" "$1" /hvx/guest/vmlinuz \
		/hvx/guest/initrd.gz "$guest_cmdline" >"/tmp/linux-$1-$2.txt" \
		2>>/tmp/bench-$1.err
	rc=$?
	echo "HVX-BENCH-LINUX-$1 l1d=$linux_l1d thp=$2 rc=$rc seconds=$(($(date +%s) - t0))"
	# at once, so that a later hang does not take these figures along
	sed "s/^/HVX-BENCH-LINUX-RESULT thp=$2 /" "/tmp/linux-$1-$2.txt" |
		grep -v COUNT
	if [ "$rc" != 0 ]; then
		echo "linux $1 thp=$2: the guest's console:" >>/tmp/bench-$1.err
		tail -n 30 "/tmp/linux-$1-$2.console" >>/tmp/bench-$1.err
	fi
	[ "$rc" = 0 ] || [ "$rc" = 1 ]
}

# variant L1D NAME ARG...: the interrupt cases again on hvx.ko loaded with
# ARG..., one line each for the log (HVX-BENCH-HVX-NAME), and their
# counters.
variant() {
	irq_cases=$(pick lapic_timer msi_irqfd ipi_roundtrip)
	[ -n "$irq_cases" ] || return
	v_l1d=$1
	v_name=$2
	shift 2
	insmod /hvx/hvx.ko vmentry_l1d_flush="$v_l1d" "$@" || {
		echo "HVX-BENCH-ERROR insmod hvx.ko $* failed"
		return
	}
	# shellcheck disable=SC2086 # one word per case
	timeout "$limit" "$bench" hvx $irq_cases \
		2>>/tmp/bench-hvx.err |
		sed -n -e "s/^RESULT hvx /HVX-BENCH-HVX-$v_name l1d=$v_l1d /p" \
		-e "s/^COUNTS hvx /HVX-BENCH-HVX-$v_name-COUNTS l1d=$v_l1d /p"
	rmmod hvx || echo "HVX-BENCH-ERROR rmmod hvx failed"
}

# enable_apicv=0 is hvx's default: every APIC access exits.  KVM polls a
# halted vCPU before it sleeps by default; hvx does not (halt_poll_ns=0):
# "hvxbenchhaltpoll=NS" adds a run with hvx polling as long.
haltpoll=${hvxbenchhaltpoll:-}
variants() {
	variant "$1" NOAPICV enable_apicv=0
	[ -z "$haltpoll" ] ||
		variant "$1" HALTPOLL enable_apicv=1 halt_poll_ns="$haltpoll"
}

for l1d in $settings; do
	if insmod /hvx/hvx.ko vmentry_l1d_flush="$l1d" enable_apicv=1; then
		t0=$(date +%s)
		# shellcheck disable=SC2046 # one word per case
		timeout "$limit" "$bench" hvx $(pick) \
			>/tmp/bench-hvx-$l1d.txt \
			2>>/tmp/bench-hvx.err
		rc=$?
		echo "HVX-BENCH-HVX l1d=$l1d rc=$rc seconds=$(($(date +%s) - t0))"
		rmmod hvx || echo "HVX-BENCH-ERROR rmmod hvx failed"
		variants "$l1d"
	else
		echo "HVX-BENCH-ERROR insmod hvx.ko failed"
		: >/tmp/bench-hvx-$l1d.txt
		rc=3
	fi
	ran "$rc" || status=1

	if insmod_kvm "$l1d"; then
		t0=$(date +%s)
		# shellcheck disable=SC2046 # one word per case
		timeout "$limit" "$bench" kvm $(pick) \
			>/tmp/bench-kvm-$l1d.txt \
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

if want linux; then
	for thp in $linux_thp; do
		: >/tmp/linux-hvx-$thp.txt
		: >/tmp/linux-kvm-$thp.txt
	done
	if insmod /hvx/hvx.ko vmentry_l1d_flush="$linux_l1d"; then
		for thp in $linux_thp; do
			linux_boot hvx "$thp" || status=1
		done
		rmmod hvx || echo "HVX-BENCH-ERROR rmmod hvx failed"
	else
		echo "HVX-BENCH-ERROR insmod hvx.ko failed"
		status=1
	fi
	if insmod_kvm "$linux_l1d"; then
		for thp in $linux_thp; do
			linux_boot kvm "$thp" || status=1
		done
	else
		status=1
	fi
	rmmod kvm_intel kvm irqbypass 2>/dev/null
fi

echo "HVX-BENCH-RESULTS-BEGIN"
for l1d in $settings; do
	echo "# vmentry_l1d_flush=$l1d"
	cat /tmp/bench-hvx-$l1d.txt /tmp/bench-kvm-$l1d.txt
done
if want linux; then
	for thp in $linux_thp; do
		echo "# linux-boot, vmentry_l1d_flush=$linux_l1d, THP $thp"
		cat /tmp/linux-hvx-$thp.txt /tmp/linux-kvm-$thp.txt
	done
fi
echo "HVX-BENCH-RESULTS-END"
echo "HVX-BENCH-TABLE-BEGIN"
for l1d in $settings; do
	echo "--- hvx and KVM both with vmentry_l1d_flush=$l1d"
	"$bench" table /tmp/bench-hvx-$l1d.txt /tmp/bench-kvm-$l1d.txt
	echo
done
if want linux; then
	for thp in $linux_thp; do
		echo "--- linux-boot: Debian's kernel, busybox initramfs," \
			"1 vCPU, 256 MiB, \"$guest_cmdline\"," \
			"vmentry_l1d_flush=$linux_l1d, THP $thp"
		"$bench" linux-table /tmp/linux-hvx-$thp.txt \
			/tmp/linux-kvm-$thp.txt
		echo
	done
fi
echo "HVX-BENCH-TABLE-END"
if [ -s /tmp/bench-hvx.err ] || [ -s /tmp/bench-kvm.err ]; then
	echo "HVX-BENCH-STDERR-BEGIN"
	cat /tmp/bench-hvx.err /tmp/bench-kvm.err 2>/dev/null
	echo "HVX-BENCH-STDERR-END"
fi
echo "HVX-BENCH-END status=$status"
exit $status
