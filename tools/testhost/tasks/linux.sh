#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test host's own kernel as a guest of hvx-run (development aid).
# On the test host's command line (HVX_APPEND): "hvxlinuxcpus=N" gives
# it N vCPUs, each "hvxguestarg=A" adds A to the guest's command line,
# and "hvxlinuxtrace=1" records hvx's port I/O tracepoint during the
# boot and prints the port I/O exits per port and direction, most first.
insmod /hvx/hvx.ko || exit 1
args=
trace=
for a in $(cat /proc/cmdline); do
	case $a in
	hvxlinuxcpus=*) args="$args -c ${a#hvxlinuxcpus=}" ;;
	hvxguestarg=*) guestargs="$guestargs ${a#hvxguestarg=}" ;;
	hvxlinuxtrace=1) trace=/sys/kernel/tracing ;;
	esac
done
if [ -n "$trace" ]; then
	echo 8192 >$trace/buffer_size_kb
	echo >$trace/trace
	echo 1 >$trace/events/hvx/hvx_io/enable
fi
time /hvx/bin/hvx-run -m 256M $args -k /hvx/guest/vmlinuz \
	-i /hvx/guest/initrd.gz \
	-p "console=ttyS0 panic=-1 hvxguest=dmesg ${guestargs:-}" </dev/null
rc=$?
echo "hvx-run status $rc"
if [ -n "$trace" ]; then
	echo 0 >$trace/events/hvx/hvx_io/enable
	echo "port I/O exits: $(grep -c ' hvx_io:' $trace/trace)"
	grep ' hvx_io:' $trace/trace |
		sed 's/.* \(in\|out\) port=\([0-9a-fx]*\) size=\([0-9]\).*/\1 \2 \3/' |
		sort | uniq -c | sort -rn | head -n 40
	grep 'LOST' $trace/trace | head -n 3
fi
rmmod hvx
exit $rc
