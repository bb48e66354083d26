#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Usage: checkpatch.sh BUILD_DIR
#
# checkpatch.pl --no-tree -f over every file of module/ and uapi/, one TAP
# line per file, and kernel-doc -v over every C file and header there: a
# kernel-doc comment must describe every parameter, member and return
# value (both come from Debian's linux-source, see deps.sh).

build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
cp=$build/cache/linux-source/scripts/checkpatch.pl
kd=$build/cache/linux-source/scripts/kernel-doc

cd "$src" || exit 1
files=$(git ls-files -co --exclude-standard module uapi 2>/dev/null | grep -E '\.(c|h|S)$')
[ -n "$files" ] || files=$(find module uapi -name '*.[chS]' | sort)
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
