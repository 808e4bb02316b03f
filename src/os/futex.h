/*
 * futex.h - futex wait/wake and a futex mutex that may live in shared memory.
 *
 * lfm__mutex is Drepper's three-state lock ("Futexes Are Tricky", mutex 2):
 *   bits 0..1: 0 unlocked, 1 locked, 2 locked with (possible) waiters;
 *   bits 2..6: the holder's owner id (a shared region's process slot + 1;
 *   0 in private pools), so that the lock of a holder that died can be
 *   broken by recovery (shm.h). The structures these locks guard change
 *   by single publishing stores, so a broken lock finds them consistent.
 * Its only field is a 32-bit word, so it works at any address in any
 * process that maps it; it never holds a process-private pointer.
 * Acquire on lock (reads of the protected data must not float above it),
 * release on unlock (writes must not sink below it).
 */
#ifndef LFM_FUTEX_H
#define LFM_FUTEX_H

#include <stdatomic.h>
#include <stdint.h>

#include "lockrank.h"

typedef struct lfm__mutex {
	_Atomic uint32_t word;
} lfm__mutex;

/* Blocks while *addr == expected (or until a wake); spurious returns are
 * possible, so callers re-check their condition in a loop. */
void lfm__futex_wait(_Atomic uint32_t *addr, uint32_t expected);
void lfm__futex_wake_all(_Atomic uint32_t *addr);
/* As lfm__futex_wait, giving up after `ns` nanoseconds. */
void lfm__futex_wait_ns(_Atomic uint32_t *addr, uint32_t expected, uint64_t ns);

#define LFM_MUTEX_STATE	      3u
#define LFM_MUTEX_OWNER_SHIFT 2

void lfm__mutex_lock_slow(lfm__mutex *m, uint32_t owner);

/* Locks m for `owner` (0..31). */
static inline void lfm__mutex_lock_as(lfm__mutex *m, uint32_t owner)
{
	uint32_t expected = 0;
	if (!atomic_compare_exchange_strong_explicit(
		&m->word, &expected, 1 | owner << LFM_MUTEX_OWNER_SHIFT,
		memory_order_acquire, memory_order_relaxed))
		lfm__mutex_lock_slow(m, owner);
}

static inline void lfm__mutex_unlock(lfm__mutex *m)
{
	/* 1 needs no wake; 2 means someone may sleep. */
	if ((atomic_exchange_explicit(&m->word, 0, memory_order_release) &
	     LFM_MUTEX_STATE) == 2)
		lfm__futex_wake_all(&m->word);
}

/* lfm__mutex_lock_as and lfm__mutex_unlock, the lock ranked `rank`
 * (lockrank.h): checked in debug builds, the plain calls otherwise. */
static inline void lfm__mutex_lock_ranked(lfm__mutex *m, uint32_t owner,
					  int rank)
{
	(void)rank; /* unused without LFM_DEBUG */
	lfm__rank_acquire(m, rank);
	lfm__mutex_lock_as(m, owner);
}

static inline void lfm__mutex_unlock_ranked(lfm__mutex *m)
{
	lfm__mutex_unlock(m);
	lfm__rank_release(m);
}

/* Recovery: unlocks m if `owner` (non-zero, dead) holds it. 1 if it did. */
int lfm__mutex_break(lfm__mutex *m, uint32_t owner);

#endif
