#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The regression suite, run inside the VT-x test host (Bochs).  First
# module_test, which loads and unloads hvx.ko itself; then, with hvx.ko
# loaded, every other selftest binary (each prints its own TAP 13 stream);
# then the module must unload cleanly; then the APIC tests once more with
# hvx.ko reloaded with enable_apicv=1 preemption_timer=0.  "hvxtests=a,b"
# on the kernel command line limits the run to those binaries.

. /hvx/tasks/tap-lib.sh

echo "TAP version 13"
rc=0
run_tap_binary /hvx/selftests/module_test /hvx/hvx.ko || rc=1

if ! insmod /hvx/hvx.ko; then
	tap_result fail "insmod hvx.ko"
	exit 1
fi

tests=$(echo "${hvxtests:-}" | tr ',' ' ')
[ -n "$tests" ] || tests=$(ls /hvx/selftests/ | grep -v '^module_test$')
for t in $tests; do
	[ "$t" = module_test ] && continue
	[ -x "/hvx/selftests/$t" ] || continue
	# mm_test and mm_host_test page guest memory out: they need swap
	# (else those tests skip).
	case $t in mm_test | mm_host_test) zram_swap_on ;; esac
	run_tap_binary "/hvx/selftests/$t" || rc=1
done

# hvx-run end to end: every device, image format, boot mode, exit status.
case ",${hvxtests:-hvx_run}," in
*,hvx_run,*) /hvx/tasks/hvx_run.sh || rc=1 ;;
esac

# Linux as a guest (1, 2 and 4 vCPUs, time, poweroff and reboot): make
# check runs it in a test host of its own (task linux_boot), so only when
# named here.
case ",${hvxtests:-}," in
*,linux_boot,*) /hvx/tasks/linux_boot.sh || rc=1 ;;
esac

# Everything the tests created must be gone: the module unloads cleanly.
if rmmod hvx; then
	tap_result pass "rmmod hvx after the suite"
else
	tap_result fail "rmmod hvx after the suite"
	rc=1
fi

# The APIC tests again with the processor's APIC virtualization and the
# APIC timer always on the hrtimer: hvx.ko reloaded with enable_apicv=1
# preemption_timer=0 (the first pass had the defaults: the trapping path,
# the timer on the VMX-preemption timer while a vCPU runs).
apic_tests=
for t in apic_test mp_test irq_test eoi_test irqfd_test apicv_test; do
	case ",${hvxtests:-$t}," in
	*,$t,*) apic_tests="$apic_tests $t" ;;
	esac
done
if [ -n "$apic_tests" ]; then
	opts="enable_apicv=1 preemption_timer=0"
	if insmod /hvx/hvx.ko $opts; then
		tap_result pass "insmod hvx.ko $opts"
		for t in $apic_tests; do
			echo "# $opts: $t"
			run_tap_binary "/hvx/selftests/$t" || rc=1
		done
		rmmod hvx || { tap_result fail "rmmod hvx after $opts"; rc=1; }
	else
		tap_result fail "insmod hvx.ko $opts"
		rc=1
	fi
fi

# hvx-stat without hvx.ko, then with a VM held open (loads hvx.ko itself).
case ",${hvxtests:-hvx_stat}," in
*,hvx_stat,*) /hvx/tasks/hvx_stat.sh || rc=1 ;;
esac
exit $rc
