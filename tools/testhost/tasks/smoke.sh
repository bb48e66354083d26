#!/bin/sh
insmod /hvx/hvx.ko; echo "insmod rc=$?"
/hvx/bin/zz-smoke
rmmod hvx; echo "rmmod rc=$?"
