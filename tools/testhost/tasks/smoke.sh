#!/bin/sh
grep -m1 -i 'vmx flags' /proc/cpuinfo
insmod /hvx/hvx.ko; echo "insmod rc=$?"
ls -l /dev/hvx
rmmod hvx; echo "rmmod rc=$?"
