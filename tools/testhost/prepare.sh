#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Usage: prepare.sh NAME BUILD_DIR
#
# What make run and make bench do before they boot the test host: install
# the dependencies (deps.sh), build everything against the test host's
# kernel headers (log in BUILD_DIR/NAME-build.log) and build the initramfs
# BUILD_DIR/testhost/NAME-initrd.img.  Prints the test host's kernel version
# on stdout; messages go to stderr.  Exit status 1 on any failure.

set -u

name=$1
build=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
th=$src/tools/testhost

say() { echo "$name: $*" >&2; }

kver=$("$th/deps.sh" "$build" | sed -n 's/^KVER=//p')
if [ -z "$kver" ]; then
	say "dependencies missing (see the messages above)"
	exit 1
fi

say "building against linux-headers-$kver"
if ! make -C "$src" --no-print-directory -j"$(nproc)" BUILD="$build" \
	KDIR="/usr/src/linux-headers-$kver" all tests >"$build/$name-build.log" 2>&1
then
	tail -n 30 "$build/$name-build.log" >&2
	say "build failed; the whole log is $build/$name-build.log"
	exit 1
fi

mkdir -p "$build/testhost"
if ! "$th/mkinitramfs.sh" "$build" "$kver" \
	"$build/testhost/$name-initrd.img"; then
	say "cannot build the test host's initramfs"
	exit 1
fi
echo "$kver"
