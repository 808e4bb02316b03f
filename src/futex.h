/*
 * futex.h - futex wait/wake and a futex mutex that may live in shared memory.
 *
 * lfm__mutex is Drepper's three-state lock ("Futexes Are Tricky", mutex 2):
 *   0 unlocked, 1 locked, 2 locked with (possible) waiters.
 * Its only field is a 32-bit word, so it works at any address in any
 * process that maps it; it never holds a process-private pointer.
 * Acquire on lock (reads of the protected data must not float above it),
 * release on unlock (writes must not sink below it).
 */
#ifndef LFM_FUTEX_H
#define LFM_FUTEX_H

#include <stdatomic.h>
#include <stdint.h>

typedef struct lfm__mutex {
	_Atomic uint32_t word;
} lfm__mutex;

/* Blocks while *addr == expected (or until a wake); spurious returns are
 * possible, so callers re-check their condition in a loop. */
void lfm__futex_wait(_Atomic uint32_t *addr, uint32_t expected);
void lfm__futex_wake_all(_Atomic uint32_t *addr);
/* As lfm__futex_wait, giving up after `ns` nanoseconds. */
void lfm__futex_wait_ns(_Atomic uint32_t *addr, uint32_t expected, uint64_t ns);

void lfm__mutex_lock_slow(lfm__mutex *m);
void lfm__mutex_unlock_slow(lfm__mutex *m);

static inline void lfm__mutex_lock(lfm__mutex *m)
{
	uint32_t expected = 0;
	if (!atomic_compare_exchange_strong_explicit(&m->word, &expected, 1,
						     memory_order_acquire,
						     memory_order_relaxed))
		lfm__mutex_lock_slow(m);
}

static inline void lfm__mutex_unlock(lfm__mutex *m)
{
	/* 1 -> 0 needs no wake; 2 means someone may sleep. */
	if (atomic_fetch_sub_explicit(&m->word, 1, memory_order_release) != 1)
		lfm__mutex_unlock_slow(m);
}

#endif
