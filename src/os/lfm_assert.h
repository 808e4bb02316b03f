/*
 * lfm_assert.h - preconditions checked in debug builds only.
 *
 * LFM_ASSERT(cond) states something true in every correct run: a lock the
 * caller holds, EXCL on a frame, a pin count in range. With LFM_DEBUG
 * defined (bazel --config=debug) a false cond writes
 * "file:line: assertion failed: cond" to fd 2 with write(2) and aborts:
 * the one place the library writes anything, since it is dying anyway (no
 * stdio: it may run with a stdio lock held, or in a signal's aftermath).
 * Without LFM_DEBUG it is ((void)0) with cond type-checked but never
 * evaluated, so release code is the same as with no assert at all.
 *
 * LFM_DEBUG_ONLY(x) keeps x (a declaration, a statement) in debug builds
 * only: state that exists just to be asserted on.
 *
 * Never on the hit path (hit.c) nor in the inline functions it calls.
 */
#ifndef LFM_ASSERT_H
#define LFM_ASSERT_H

#ifdef LFM_DEBUG

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes "file:line: assertion failed: what\n" to fd 2 and aborts. A
 * copy per file that uses it, out of line: debug builds only. */
static __attribute__((noreturn, cold, noinline, unused)) void
lfm__assert_fail(const char *file, int line, const char *what)
{
	char num[12];
	int n = (int)sizeof(num);
	unsigned v = line > 0 ? (unsigned)line : 0;
	do {
		num[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && n > 0);
	/* Best effort: a failed write changes nothing, we abort anyway. */
	ssize_t r = write(2, file, strlen(file));
	r = write(2, ":", 1);
	r = write(2, num + n, sizeof(num) - (size_t)n);
	r = write(2, ": assertion failed: ", 20);
	r = write(2, what, strlen(what));
	r = write(2, "\n", 1);
	(void)r;
	abort();
}

#define LFM_ASSERT(cond)                                                       \
	((cond) ? (void)0 : lfm__assert_fail(__FILE__, __LINE__, #cond))
#define LFM_DEBUG_ONLY(x) x

#else

#define LFM_ASSERT(cond) ((void)sizeof(!(cond)))
#define LFM_DEBUG_ONLY(x)

#endif

#endif
