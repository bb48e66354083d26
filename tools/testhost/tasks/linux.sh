#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot the test host's own kernel as a guest of hvx-run (development aid:
# HVX_APPEND="hvxlinux=ARGS" passes extra hvx-run arguments).
insmod /hvx/hvx.ko || exit 1
args=
for a in $(cat /proc/cmdline); do
	case $a in
	hvxlinuxcpus=*) args="$args -c ${a#hvxlinuxcpus=}" ;;
	hvxguestarg=*) guestargs="$guestargs ${a#hvxguestarg=}" ;;
	esac
done
time /hvx/bin/hvx-run -m 256M $args -k /hvx/guest/vmlinuz \
	-i /hvx/guest/initrd.gz \
	-p "console=ttyS0 panic=-1 hvxguest=dmesg ${guestargs:-}" </dev/null
rc=$?
echo "hvx-run status $rc"
rmmod hvx
exit $rc
