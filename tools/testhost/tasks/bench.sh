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
# Then the guest-memory cases, at one L1D-flush setting and once per
# transparent-huge-page setting: first_touch (a guest writes once to each
# 4 KiB page of a fresh 256 MiB slot), and the Linux boot case (the test
# host's own kernel and the guest initramfs booted to /init under hvx-run
# and under hvx-bench's minimal KVM launcher, "bench linux"); their tables.
# Then the disk case (bench_disk.sh): the guest's virtio disk read beside
# the test host's own reads of the same image file.
# "hvxbenchcases=exit,touch,linux,disk" on the test host's command line
# (make bench passes HVX_BENCH_CASES) picks the parts to run; all by
# default.
# "hvxbenchonly=CASE,..." (HVX_BENCH_ONLY) runs only these cases of the
# exit and touch parts.
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
cases=$(echo "${hvxbenchcases:-exit,touch,linux,disk}" | tr ',' ' ')
want() {
	case " $cases " in *" $1 "*) return 0 ;; esac
	return 1
}
want exit || settings=
only=$(echo "${hvxbenchonly:-}" | tr ',' ' ')
# first_touch has its own part: the exit part runs the other cases named.
exit_only=
for c in $only; do
	[ "$c" = first_touch ] || exit_only="$exit_only $c"
done
[ -z "$only" ] || [ -n "$exit_only" ] || settings=

# pick [CASE...]: those of CASE... that hvxbenchonly names, or all of
# them; without CASE, the exit-path cases it names (nothing: every case).
pick() {
	if [ -z "$only" ] || [ $# = 0 ]; then
		echo "${*:-$exit_only}"
		return
	fi
	for c in "$@"; do
		case " $only " in *" $c "*) printf '%s ' "$c" ;; esac
	done
}

# The guest-memory cases at this L1D-flush setting: what both choose by
# default on this CPU.
linux_l1d=${HVX_BENCH_LINUX_L1D:-cond}
linux_limit=${HVX_BENCH_LINUX_LIMIT:-120}
guest_cmdline="console=ttyS0 quiet panic=-1"
# ... once per transparent-huge-page setting, set here: Linux turns THP
# off at boot below 512 MiB of RAM; "madvise" gives the RAM of hvx-run,
# of the KVM launcher and of first_touch's slot (2 MiB aligned,
# MADV_HUGEPAGE) huge pages, which both map with 2 MiB EPT pages.
linux_thp=${HVX_BENCH_LINUX_THP:-never madvise}
thp_file=/sys/kernel/mm/transparent_hugepage/enabled
touch_rounds=${HVX_BENCH_TOUCH_ROUNDS:-3}

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
# /tmp/linux-BACKEND-THP.console.  busybox's timeout signals only the
# bench program: on that SIGTERM it stops its hvx-run and waits for it
# (tools/hvx-bench/linux.c), so that no VM outlives the case.
linux_boot() {
	t0=$(date +%s)
	echo "$2" >"$thp_file" 2>/dev/null ||
		echo "HVX-BENCH-ERROR cannot set THP to $2"
	timeout "$linux_limit" "$bench" linux -m 256M \
		-o "/tmp/linux-$1-$2.console" "$1" /hvx/guest/vmlinuz \
		/hvx/guest/initrd.gz "$guest_cmdline" >"/tmp/linux-$1-$2.txt" \
		2>>/tmp/bench-$1.err
	boot_rc=$?
	echo "HVX-BENCH-LINUX-$1 l1d=$linux_l1d thp=$2 rc=$boot_rc seconds=$(($(date +%s) - t0))"
	# at once, so that a later hang does not take these figures along
	sed "s/^/HVX-BENCH-LINUX-RESULT thp=$2 /" "/tmp/linux-$1-$2.txt"
	if [ "$boot_rc" != 0 ]; then
		echo "linux $1 thp=$2: the guest's console:" >>/tmp/bench-$1.err
		tail -n 30 "/tmp/linux-$1-$2.console" >>/tmp/bench-$1.err
	fi
	ran "$boot_rc"
}

# first_touch BACKEND THP: the first_touch case with THP set to THP; its
# lines go to /tmp/touch-BACKEND-THP.txt and, at once, to the log.
first_touch() {
	t0=$(date +%s)
	echo "$2" >"$thp_file" 2>/dev/null ||
		echo "HVX-BENCH-ERROR cannot set THP to $2"
	echo "HVX-BENCH-MEM before first_touch $1 thp=$2:" \
		$(grep -E '^(MemTotal|MemFree|MemAvailable):' /proc/meminfo) \
		"free blocks by order:" \
		$(sed 's/^Node 0, zone *//' /proc/buddyinfo | tr '\n' ';')
	timeout "$limit" "$bench" -r "$touch_rounds" "$1" first_touch \
		>"/tmp/touch-$1-$2.txt" 2>>/tmp/bench-$1.err
	touch_rc=$?
	echo "HVX-BENCH-TOUCH-$1 l1d=$linux_l1d thp=$2 rc=$touch_rc seconds=$(($(date +%s) - t0))"
	sed "s/^/HVX-BENCH-TOUCH-RESULT /" "/tmp/touch-$1-$2.txt"
	ran "$touch_rc"
}

# mem_cases BACKEND: the guest-memory cases wanted, on BACKEND, loaded.
mem_cases() {
	# the iTLB multihit mitigation (executable large EPT pages split),
	# each side's own "auto": the same choice from the same CPU bug
	if [ "$1" = kvm ]; then
		echo "HVX-BENCH-MEM kvm nx_huge_pages=$(cat /sys/module/kvm/parameters/nx_huge_pages 2>/dev/null)"
	else
		echo "HVX-BENCH-MEM hvx nx_huge_pages=$(/hvx/bin/hvx-run --caps 2>/dev/null |
			sed -n 's/^  nx_huge_pages *//p')"
	fi
	if want touch && [ -n "$(pick first_touch)" ]; then
		for thp in $linux_thp; do
			first_touch "$1" "$thp" || status=1
		done
	fi
	if want linux; then
		for thp in $linux_thp; do
			linux_boot "$1" "$thp" || status=1
		done
	fi
}

# variant L1D NAME ARG...: the interrupt cases again on hvx.ko loaded with
# ARG..., one line each for the log (HVX-BENCH-HVX-NAME), and their
# counters.  It runs between the main hvx run and the check of that run's
# rc: its own status is v_rc.
variant() {
	irq_cases=$(pick lapic_timer msi_irqfd msi_irqfd_isr ipi_roundtrip)
	[ -n "$irq_cases" ] || return
	v_l1d=$1
	v_name=$2
	shift 2
	insmod /hvx/hvx.ko vmentry_l1d_flush="$v_l1d" "$@" || {
		echo "HVX-BENCH-ERROR insmod hvx.ko $* failed"
		status=1
		return
	}
	t0=$(date +%s)
	# shellcheck disable=SC2086 # one word per case
	timeout "$limit" "$bench" hvx $irq_cases \
		>"/tmp/bench-hvx-$v_name.txt" 2>>/tmp/bench-hvx.err
	v_rc=$?
	sed -n -e "s/^RESULT hvx /HVX-BENCH-HVX-$v_name l1d=$v_l1d /p" \
		-e "s/^COUNTS hvx /HVX-BENCH-HVX-$v_name-COUNTS l1d=$v_l1d /p" \
		"/tmp/bench-hvx-$v_name.txt"
	# a hang or a crash of this run is a failed run too
	echo "HVX-BENCH-HVX-$v_name l1d=$v_l1d rc=$v_rc seconds=$(($(date +%s) - t0))"
	ran "$v_rc" || status=1
	rmmod hvx || echo "HVX-BENCH-ERROR rmmod hvx failed"
}

# enable_apicv=0: every APIC access exits.  hvx and KVM both poll a
# halted vCPU adaptively by default, up to 200 us (halt_poll_ns):
# "hvxbenchhaltpoll=NS" adds a run with hvx polling up to NS.
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

if want touch || want linux; then
	for thp in $linux_thp; do
		for be in hvx kvm; do
			: >/tmp/linux-$be-$thp.txt
			: >/tmp/touch-$be-$thp.txt
		done
	done
	if insmod /hvx/hvx.ko vmentry_l1d_flush="$linux_l1d"; then
		mem_cases hvx
		rmmod hvx || echo "HVX-BENCH-ERROR rmmod hvx failed"
	else
		echo "HVX-BENCH-ERROR insmod hvx.ko failed"
		status=1
	fi
	if insmod_kvm "$linux_l1d"; then
		mem_cases kvm
	else
		status=1
	fi
	rmmod kvm_intel kvm irqbypass 2>/dev/null
fi

if want disk; then
	/hvx/tasks/bench_disk.sh "$linux_l1d" || status=1
fi

echo "HVX-BENCH-RESULTS-BEGIN"
for l1d in $settings; do
	echo "# vmentry_l1d_flush=$l1d"
	cat /tmp/bench-hvx-$l1d.txt /tmp/bench-kvm-$l1d.txt
done
if want touch; then
	for thp in $linux_thp; do
		echo "# first_touch, vmentry_l1d_flush=$linux_l1d, THP $thp"
		cat /tmp/touch-hvx-$thp.txt /tmp/touch-kvm-$thp.txt
	done
fi
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
if want touch; then
	echo "--- first_touch: one write to each 4 KiB page of a fresh" \
		"256 MiB slot, median of $touch_rounds rounds," \
		"vmentry_l1d_flush=$linux_l1d"
	"$bench" touch-table $(for thp in $linux_thp; do
		echo /tmp/touch-hvx-$thp.txt /tmp/touch-kvm-$thp.txt; done)
	echo
fi
if want linux; then
	for thp in $linux_thp; do
		echo "--- linux-boot: Debian's kernel, busybox initramfs," \
			"1 vCPU, 256 MiB, \"$guest_cmdline\"," \
			"vmentry_l1d_flush=$linux_l1d, THP $thp"
		"$bench" linux-table /tmp/linux-hvx-$thp.txt \
			/tmp/linux-kvm-$thp.txt
		echo
	done
	set -- $linux_thp
	if [ $# -ge 2 ]; then
		echo "--- linux-boot: EPT violations with THP $1 and $2"
		"$bench" linux-thp /tmp/linux-hvx-$1.txt /tmp/linux-hvx-$2.txt \
			/tmp/linux-kvm-$1.txt /tmp/linux-kvm-$2.txt
		echo
	fi
fi
if want disk; then
	cat /tmp/disk/table.txt
	echo
fi
echo "HVX-BENCH-TABLE-END"
if [ -s /tmp/bench-hvx.err ] || [ -s /tmp/bench-kvm.err ]; then
	echo "HVX-BENCH-STDERR-BEGIN"
	cat /tmp/bench-hvx.err /tmp/bench-kvm.err 2>/dev/null
	echo "HVX-BENCH-STDERR-END"
fi
echo "HVX-BENCH-END status=$status"
exit $status
