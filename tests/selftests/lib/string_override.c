// SPDX-License-Identifier: GPL-2.0
/*
 * Plain C memcpy(), memset(), memmove() and memcmp() for the whole test
 * binary.
 *
 * The compiler may emit calls to these for struct copies and
 * initialisers, in guest code too.  glibc's versions are chosen at
 * startup for the host CPU (AVX and friends), which a guest need not
 * have enabled, and live behind an indirection the guest cannot rely on.
 * Defining them here makes every such call land on code that is safe in
 * a guest.  The Makefile builds the tests with
 * -fno-tree-loop-distribute-patterns so that these loops are not turned
 * back into calls to themselves.
 */
#include <stddef.h>
#include <stdint.h>

/* Belt and braces for the Makefile flag, per function. */
#define NO_LIBCALLS \
	__attribute__((optimize("no-tree-loop-distribute-patterns")))

typedef uint64_t __attribute__((may_alias)) word_t;

NO_LIBCALLS void *memcpy(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	/* Word copies when both sides allow, for the host's image copies. */
	if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(word_t *)d = *(const word_t *)s;
	}
	while (n--)
		*d++ = *s++;
	return dst;
}

NO_LIBCALLS void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

NO_LIBCALLS void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	if (d < s || d >= s + n) {
		while (n--)
			*d++ = *s++;
	} else {
		while (n--)
			d[n] = s[n];
	}
	return dst;
}

NO_LIBCALLS int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (; n; n--, x++, y++) {
		if (*x != *y)
			return *x - *y;
	}
	return 0;
}
