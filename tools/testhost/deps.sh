#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install and cache everything hvx needs to build and to boot its test host.
#
# Usage: deps.sh BUILD_DIR
#
# Installs missing Debian packages with apt-get, resolves the current Debian
# cloud kernel, downloads that kernel package into BUILD_DIR/cache (unpacked
# there, never installed), installs its matching headers, and extracts the
# kselftest headers and checkpatch.pl from linux-source-6.1.  Every step is
# skipped when its result is already present, so a second run does no
# network work.  Prints "KVER=<version>" as its last line.

set -eu

build=${1:?usage: deps.sh BUILD_DIR}
mkdir -p "$build/cache"
build=$(cd "$build" && pwd)
cache=$build/cache

export DEBIAN_FRONTEND=noninteractive

log() { echo "deps: $*" >&2; }

need_root() {
	if [ "$(id -u)" != 0 ]; then
		log "must run as root to install: $*"
		exit 1
	fi
}

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return 0
	need_root "packages"
	log "apt-get update"
	apt-get update -q >&2
	apt_updated=1
}

# Packages: builders, the emulators, the boot medium, libnl for hvx-stat,
# iasl and acpiexec for hvx-run's ACPI table test.
pkgs="build-essential bc kmod cpio gzip xz-utils bochs bochsbios vgabios \
busybox-static isolinux syslinux-common xorriso qemu-system-x86 \
libnl-3-dev libnl-genl-3-dev linux-source-6.1 perl acpica-tools"

missing=
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	     grep -q 'ok installed'; then
		missing="$missing $p"
	fi
done
if [ -n "$missing" ]; then
	apt_update_once
	log "installing:$missing"
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing >&2
fi

# The kernel the test host boots: the one Debian's cloud meta-package names.
kver_file=$cache/kver
if [ -s "$kver_file" ]; then
	kver=$(cat "$kver_file")
else
	kver=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
	       sed -n 's/.*Depends: linux-image-\(.*\)$/\1/p' | head -n 1)
	if [ -z "$kver" ]; then
		apt_update_once
		kver=$(apt-cache depends linux-image-cloud-amd64 |
		       sed -n 's/.*Depends: linux-image-\(.*\)$/\1/p' | head -n 1)
	fi
	[ -n "$kver" ] || { log "cannot resolve the cloud kernel"; exit 1; }
	echo "$kver" >"$kver_file"
fi

if ! dpkg-query -W -f='${Status}' "linux-headers-$kver" 2>/dev/null |
     grep -q 'ok installed'; then
	apt_update_once
	log "installing linux-headers-$kver"
	apt-get install -y -q --no-install-recommends "linux-headers-$kver" >&2
fi

kroot=$cache/kernel-$kver
if [ ! -f "$kroot/.unpacked" ]; then
	deb=$(ls "$cache"/linux-image-"$kver"_*.deb 2>/dev/null | head -n 1)
	if [ -z "$deb" ]; then
		apt_update_once
		log "downloading linux-image-$kver"
		(cd "$cache" && apt-get download -q "linux-image-$kver" >&2)
		deb=$(ls "$cache"/linux-image-"$kver"_*.deb | head -n 1)
	fi
	rm -rf "$kroot"
	dpkg-deb -x "$deb" "$kroot"
	touch "$kroot/.unpacked"
fi

# kselftest headers and checkpatch, from the kernel source Debian ships.
ksrc=$cache/linux-source
if [ ! -f "$ksrc/.extracted" ]; then
	tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -n 1)
	rm -rf "$ksrc"
	mkdir -p "$ksrc"
	log "extracting kselftest and checkpatch from $tarball"
	tar -xf "$tarball" -C "$ksrc" --strip-components=1 --wildcards \
		'*/tools/testing/selftests/kselftest.h' \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/scripts/checkpatch.pl' \
		'*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	touch "$ksrc/.extracted"
fi

echo "KVER=$kver"
