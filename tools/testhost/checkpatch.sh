#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Usage: checkpatch.sh BUILD_DIR
#
# checkpatch.pl --no-tree -f over every file of module/ and uapi/, one TAP
# line per file, and kernel-doc -v over every C file and header there: a
# kernel-doc comment must describe every parameter, member and return
# value (both come from Debian's linux-source, see deps.sh).

build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
cp=$build/cache/linux-source/scripts/checkpatch.pl
kd=$build/cache/linux-source/scripts/kernel-doc

# Any output is a finding, so the tools run in an environment of their
# own: a locale the machine lacks (one an SSH client sent) makes perl
# warn on every run, and a HOME's .checkpatch.conf (or none) changes what
# checkpatch checks.  C.UTF-8 is in every Debian's libc.
home=$build/checkpatch-home
rm -rf "$home"
mkdir -p "$home"
export LC_ALL=C.UTF-8 HOME="$home"
unset LANG LANGUAGE

cd "$src" || exit 1
# A tree git will not list (no .git, or another user's clone, which git
# refuses as "dubious ownership"): every source file, but kbuild's
# generated ones, which make install has made by now.
files=$(git -c safe.directory="$src" ls-files -co --exclude-standard \
	module uapi 2>/dev/null | grep -E '\.(c|h|S)$')
[ -n "$files" ] ||
	files=$(find module uapi -name '*.[chS]' ! -name '*.mod.c' | sort)
for f in $files; do
	# module/compat.h is where hvx tests the kernel version, by design.
	ignore=
	[ "$f" = module/compat.h ] && ignore="--ignore LINUX_VERSION_CODE"
	# shellcheck disable=SC2086
	out=$(perl "$cp" --no-tree --quiet --show-types $ignore -f "$f" 2>&1)
	if [ -z "$out" ]; then
		echo "ok 0 checkpatch $f"
	else
		echo "$out" | sed 's/^/# /'
		echo "not ok 0 checkpatch $f"
	fi
	case $f in
	*.c | *.h) ;;
	*) continue ;;
	esac
	out=$(perl "$kd" -none -v "$f" 2>&1 | grep -v ': info: ')
	if [ -z "$out" ]; then
		echo "ok 0 kernel-doc $f"
	else
		echo "$out" | sed 's/^/# /'
		echo "not ok 0 kernel-doc $f"
	fi
done
