#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Usage: dkms-check.sh BUILD_DIR KVER KDIR [OUT]
#
# "make dkms-install" for kernel KVER whose build tree is KDIR, the way a
# user runs it, but into private DKMS trees under BUILD_DIR/dkms/KVER (the
# machine's own /usr/src, /var/lib/dkms and /lib/modules are left alone;
# KDIR stands in for /lib/modules/KVER/build).  Prints TAP: make
# dkms-install refuses to go beside make install's hvx.ko, dkms add, build
# and install succeed, and the installed hvx.ko is built for KVER.  OUT:
# where to copy that hvx.ko, uncompressed (the test hosts run it).

build=$(cd "$1" && pwd)
kver=$2
kdir=$3
out=${4:-}
src=$(cd "$(dirname "$0")/../.." && pwd)
d=$build/dkms/$kver
log=$d.log

rm -rf "$d"
mkdir -p "$d/src" "$d/tree" "$d/install/$kver"
args="--dkmstree $d/tree --sourcetree $d/src --installtree $d/install"
args="$args --kernelsourcedir $kdir --no-depmod"
dkms_install() {
	make -C "$src" --no-print-directory DKMS_SRCROOT="$d/src" \
		DKMS_KVER="$kver" DKMS_ARGS="$args" \
		DKMS_MODDIR="$d/install" dkms-install
}

# make install's copy there: Debian 12's DKMS would install none of its
# own and say it did
mkdir -p "$d/install/$kver/extra/module"
: >"$d/install/$kver/extra/module/hvx.ko"
if ! dkms_install >"$log" 2>&1 &&
   grep -q 'run make uninstall first' "$log" &&
   [ -z "$(ls "$d/src")" ]; then
	echo "ok 0 make dkms-install refuses to go beside make install's hvx.ko ($kver)"
else
	tail -n 5 "$log" | sed 's/^/# /'
	echo "not ok 0 make dkms-install refuses to go beside make install's hvx.ko ($kver)"
fi
rm -rf "$d/install/$kver/extra"
if dkms_install >"$log" 2>&1; then
	echo "ok 0 dkms add, build, install hvx for $kver"
else
	tail -n 20 "$log" | sed 's/^/# /'
	find "$d/tree" -name make.log -exec tail -n 20 {} \; | sed 's/^/# /'
	echo "not ok 0 dkms add, build, install hvx for $kver"
fi
ko=$(find "$d/install/$kver" -name 'hvx.ko*' | head -n 1)
if [ -n "$ko" ] &&
   [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$kver" ]; then
	echo "ok 0 dkms installed hvx.ko for $kver (${ko#"$d/install/"})"
else
	echo "not ok 0 dkms installed hvx.ko for $kver"
	ko=
fi
[ -n "$out" ] || exit 0
rm -f "$out"
[ -n "$ko" ] || exit 0
mkdir -p "$(dirname "$out")"
case $ko in
*.xz) xz -dc "$ko" >"$out" ;;
*.zst) zstd -dcq "$ko" >"$out" ;;
*.gz) gzip -dc "$ko" >"$out" ;;
*) cp "$ko" "$out" ;;
esac || rm -f "$out"
