/*
 * testpoint.h - pauses on purpose, for the tests of interleavings.
 *
 * Some races need another thread to act between two particular reads of
 * a scan (a put looking for a pin through every thread's cache, rule 10
 * of docs/protocol.md), which a stress test reaches only by chance. A
 * named point there calls the hook a test installed (lfm__test_hook_set),
 * on the scanning thread, which may then make other threads act and wait
 * for them before the scan goes on.
 *
 * Compiled only without NDEBUG, as the crash points (crashpoint.h);
 * release builds have none. Where compiled, a point without a hook is one
 * acquire load of a global and a branch, and points sit only off the hit
 * path.
 */
#ifndef LFM_TESTPOINT_H
#define LFM_TESTPOINT_H

#include <stdint.h>

enum lfm__test_at {
	LFM_TEST_NONE = 0,
	/* A scan for another thread's pin (tcache.c, for_entries_of) read
	 * handle `arg`'s entry for the frame, which named it and gave no
	 * pin, and goes on to the next handle. */
	LFM_TEST_SCAN_PASSED,
	/* A thief arming the guard (tcguard.c) found handle `arg`'s owner
	 * in the middle of a plain change and waits for it. Once a wait. */
	LFM_TEST_GUARD_WAIT,
};

typedef void (*lfm__test_hook)(uint32_t at, uint32_t arg);

#ifdef __cplusplus
extern "C" {
#endif
/* Tests: calls `hook` at every point reached (NULL: none). Set before the
 * threads that reach the points start, or while none can. */
void lfm__test_hook_set(lfm__test_hook hook);
#ifdef __cplusplus
}
#endif

#if !defined(NDEBUG) && !defined(__cplusplus)

#include <stdatomic.h>

extern _Atomic(lfm__test_hook) lfm__test_hook_fn;

#define LFM_TEST_POINT(at, arg)                                                \
	do {                                                                   \
		lfm__test_hook h_ = atomic_load_explicit(                      \
		    &lfm__test_hook_fn, memory_order_acquire);                 \
		if (__builtin_expect(h_ != NULL, 0))                           \
			h_((at), (arg));                                       \
	} while (0)

#else

#define LFM_TEST_POINT(at, arg) ((void)0)

#endif

#endif
