#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Usage: deb-check.sh BUILD_DIR
#
# "make deb", then checks the packages it made in BUILD_DIR/deb: each one's
# files (dpkg --contents), the udev rule's group and mode, that dpkg would
# install them here (dpkg --dry-run), and lintian (pedantic, info and
# experimental tags too: any tag fails).  Prints TAP.

build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
deb=$build/deb
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$src/dkms.conf")
. "$src/tools/testhost/tap-check.sh"

echo "TAP version 13"
make -C "$src" --no-print-directory BUILD="$build" deb >"$build/deb.log" 2>&1
st=$?
[ $st = 0 ] || tail -n 20 "$build/deb.log" | sed 's/^/# /'
tap_check $st "make deb"

# contains PACKAGE PATH...: every PATH is in PACKAGE's .deb.
contains() {
	pkg=$1
	shift
	f=$(ls "$deb/${pkg}_${ver}_"*.deb 2>/dev/null | head -n 1)
	if [ -z "$f" ]; then
		tap_check 1 "$pkg: package built"
		return
	fi
	list=$(dpkg --contents "$f" | awk '{ print $6 }' | sed 's,^\./,/,')
	st=0
	for p in "$@"; do
		if ! echo "$list" | grep -qx -- "$p"; then
			echo "# $pkg lacks $p"
			st=1
		fi
	done
	tap_check $st "$pkg: dpkg --contents has $*"
}

contains hvx-dkms /usr/src/hvx-$ver/dkms.conf /usr/src/hvx-$ver/Kbuild \
	/usr/src/hvx-$ver/module/Kbuild /usr/src/hvx-$ver/module/main.c \
	/usr/src/hvx-$ver/module/vmenter.S /usr/src/hvx-$ver/uapi/linux/hvx.h
contains hvx-tools /usr/bin/hvx-run /usr/bin/hvx-stat \
	/usr/share/man/man1/hvx-run.1.gz /usr/share/man/man1/hvx-stat.1.gz \
	/lib/udev/rules.d/60-hvx.rules
contains libhvx-dev /usr/include/linux/hvx.h /usr/include/hvx/libhvx.h \
	/usr/lib/x86_64-linux-gnu/libhvx.a

# The module source is complete: every .c of module/Kbuild's hvx-y.
objs=$(sed -n '/^hvx-y/,/^$/p' "$src/module/Kbuild" | tr ' \\' '\n\n' |
       sed -n 's/\.o$//p')
list=$(dpkg --contents "$deb/hvx-dkms_${ver}_all.deb" 2>/dev/null)
st=0
[ -n "$objs" ] || { echo "# no hvx-y objects in module/Kbuild"; st=1; }
for o in $objs; do
	echo "$list" | grep -Eq "/usr/src/hvx-$ver/module/$o\.(c|S)\$" ||
		{ echo "# hvx-dkms lacks module/$o.c"; st=1; }
done
tap_check $st "hvx-dkms: holds the source of every object of hvx.ko"

dpkg -f "$deb/hvx-dkms_${ver}_all.deb" Depends 2>/dev/null | grep -q dkms
tap_check $? "hvx-dkms: depends on dkms"

rule=$(dpkg-deb --fsys-tarfile "$deb/hvx-tools_${ver}_amd64.deb" 2>/dev/null |
       tar -xOf - ./lib/udev/rules.d/60-hvx.rules 2>/dev/null |
       grep -v '^#')
echo "$rule" | grep -q 'KERNEL=="hvx"' &&
	echo "$rule" | grep -q 'GROUP="hvx"' &&
	echo "$rule" | grep -q 'MODE="0660"'
tap_check $? "hvx-tools: udev rule gives /dev/hvx to group hvx, mode 0660"

out=$(dpkg --dry-run -i "$deb"/*_"$ver"_*.deb 2>&1)
st=$?
[ $st = 0 ] || echo "$out" | sed 's/^/# /'
tap_check $st "dpkg --dry-run -i installs the packages here"

# in a fixed locale: one the machine lacks makes perl (lintian) warn
out=$(LC_ALL=C.UTF-8 lintian --pedantic -E -I --display-experimental \
	"$deb/hvx_${ver}_amd64.changes" 2>&1 |
      grep -v '^running with root privileges')
[ -z "$out" ]
st=$?
echo "$out" | sed '/^$/d; s/^/# /'
tap_check $st "lintian: no tags (pedantic, info, experimental)"
echo "1..$n"
