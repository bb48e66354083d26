#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# libhvx-dev ships libhvx.h and libhvx.a for C and C++ programs alike: a
# C++ program that includes the header links against the C library (the
# header's extern "C"), and the ABI header's size checks build as C++.
# Prints TAP; run by check.sh on the build machine.

src=$(cd "$(dirname "$0")/../.." && pwd)
. "$src/tools/testhost/tap-check.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "TAP version 13"
echo "1..2"
if ! command -v g++ >/dev/null; then
	echo "ok 1 # SKIP no g++"
	echo "ok 2 # SKIP no g++"
	exit 0
fi
inc="-I$src/uapi -I$src/userspace/include"
mkdir "$tmp/lib"
for f in "$src"/userspace/lib/*.c; do
	gcc -std=gnu11 -D_GNU_SOURCE $inc -c "$f" \
		-o "$tmp/lib/$(basename "$f" .c).o" || exit 1
done
cat >"$tmp/t.cc" <<'CC'
#include <hvx/libhvx.h>

int main()
{
	struct hvx_msrs *m = hvx_msrs_alloc(1);
	int fd = hvx_open();

	return !m || (fd < 0 && fd != -1);
}
CC
g++ -std=c++11 $inc -c "$tmp/t.cc" -o "$tmp/t.o" 2>"$tmp/cc.err"
tap_check $? "libhvx.h and hvx.h compile as C++"
[ -s "$tmp/cc.err" ] && sed 's/^/# /' "$tmp/cc.err"
g++ "$tmp/t.o" "$tmp"/lib/*.o -o "$tmp/t" 2>"$tmp/ld.err" && "$tmp/t"
tap_check $? "a C++ program links against libhvx and runs"
[ -s "$tmp/ld.err" ] && sed 's/^/# /' "$tmp/ld.err" | head -n 5
exit $fail
