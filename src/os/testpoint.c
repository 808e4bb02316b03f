/* testpoint.c - pauses on purpose, for the tests of interleavings (see
 * testpoint.h). */
#include "testpoint.h"

#ifndef NDEBUG

/* Acquire/release: a hook sees what the test set up before installing
 * it. */
_Atomic(lfm__test_hook) lfm__test_hook_fn;

void lfm__test_hook_set(lfm__test_hook hook)
{
	atomic_store_explicit(&lfm__test_hook_fn, hook, memory_order_release);
}

#else

/* Release builds: installing a hook does nothing (no point calls it). */
void lfm__test_hook_set(lfm__test_hook hook)
{
	(void)hook;
}

#endif
