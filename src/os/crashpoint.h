/*
 * crashpoint.h - deaths on purpose, for the tests of recovery.
 *
 * Recovery of a dead process (pinlog.h, recover.h) must be right whatever
 * instant the process died at. A random SIGKILL rarely lands between two
 * particular instructions, so the steps of every operation a death could
 * cut in two carry a named point; a test arms one (lfm__crash_arm) in a
 * child process, which then kills itself with SIGKILL the nth time it
 * passes that point, and the parent checks what recovery made of it.
 *
 * Compiled only without NDEBUG (every test configuration); release builds
 * (--config=opt, what install.sh installs) have none: LFM_CRASH_POINT is
 * ((void)0) there. Where compiled, an unarmed point is one relaxed load of
 * a global and a branch, and only shared regions' slow paths have them.
 */
#ifndef LFM_CRASHPOINT_H
#define LFM_CRASHPOINT_H

#include <stdatomic.h>
#include <stdint.h>

enum lfm__crash_at {
	LFM_CRASH_NONE = 0,
	LFM_CRASH_LOG_HELD,	 /* a log entry taken, the frame not changed */
	LFM_CRASH_PIN_COUNTED,	 /* DIRECT changed, the log not yet */
	LFM_CRASH_ENTRY_COUNTED, /* SLOTREF added, the cache entry not filled */
	LFM_CRASH_ENTRY_FILLED,	 /* the entry filled, the log not let go */
	LFM_CRASH_ENTRY_EMPTIED, /* an entry emptied, its SLOTREF not dropped */
	LFM_CRASH_RECOUNT_HELD,	 /* recovery holds the live entries */
	LFM_CRASH_RECOUNT_SET, /* recovery set the counts, holds the entries */
	LFM_CRASH_CARVED,      /* a frame carved, not yet marked as ours */
	LFM_CRASH_NPOINTS
};

#ifndef NDEBUG

extern _Atomic uint32_t lfm__crash_armed;
void lfm__crash_reached(uint32_t at);

#define LFM_CRASH_POINT(at)                                                    \
	do {                                                                   \
		if (__builtin_expect(                                          \
			atomic_load_explicit(&lfm__crash_armed,                \
					     memory_order_relaxed) != 0,       \
			0))                                                    \
			lfm__crash_reached(at);                                \
	} while (0)

/* Tests: this process kills itself (SIGKILL) the `nth` time (from 1) any
 * thread reaches point `at`; 0 disarms. */
void lfm__crash_arm(uint32_t at, uint32_t nth);

#else

#define LFM_CRASH_POINT(at) ((void)0)

#endif

#endif
