/* crashpoint.c - deaths on purpose, for the tests of recovery (see
 * crashpoint.h). */
#include "crashpoint.h"

#ifndef NDEBUG

#include <signal.h>
#include <unistd.h>

/* The armed point; the passes left before it kills. Relaxed: a test arms
 * a point before it starts the threads that reach it. */
_Atomic uint32_t lfm__crash_armed;
static _Atomic uint32_t crash_left;

void lfm__crash_arm(uint32_t at, uint32_t nth)
{
	atomic_store_explicit(&crash_left, nth, memory_order_relaxed);
	atomic_store_explicit(&lfm__crash_armed, nth != 0 ? at : 0,
			      memory_order_relaxed);
}

void lfm__crash_reached(uint32_t at)
{
	if (atomic_load_explicit(&lfm__crash_armed, memory_order_relaxed) != at)
		return;
	if (atomic_fetch_sub_explicit(&crash_left, 1, memory_order_relaxed) ==
	    1)
		for (;;)
			kill(getpid(), SIGKILL);
}

#else

/* ISO C wants a translation unit to declare something. */
typedef int lfm__crashpoint_unused;

#endif
