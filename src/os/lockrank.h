/*
 * lockrank.h - lock ranks, checked in debug builds (a witness).
 *
 * Every lock the library takes has a rank (docs/protocol.md, "Locks and
 * their ranks"); a thread takes locks in strictly increasing rank, never
 * two bucket locks or two pin-log entries at once, only carve_lock, bucket
 * locks and pin-log entries under RECOVER, and `tls.c`'s live_lock with
 * nothing else but a pin-log entry. With LFM_DEBUG each thread keeps
 * a stack of the locks it holds (address and rank, thread-local), and
 * taking one out of order aborts (lfm_assert.h) before the thread could
 * deadlock, naming both ranks. lfm__rank_held and lfm__rank_none_held
 * turn "the caller holds b->lock" and "holding no lock" into asserts.
 *
 * Without LFM_DEBUG every call here is ((void)0) (lfm__rank_held and
 * lfm__rank_none_held: 1, lfm__rank_held_any: 0, for LFM_ASSERT only,
 * where they are not evaluated), and the ranked lock wrappers are the
 * plain lock calls: release code is unchanged.
 *
 * Breaking a dead process's lock (recovery, futex.h lfm__mutex_break) is
 * not an acquire: the lock was never this thread's.
 */
#ifndef LFM_LOCKRANK_H
#define LFM_LOCKRANK_H

#include <pthread.h>

#include "lfm_assert.h"

enum lfm__rank {
	LFM_RANK_RECOVER = -1, /* OFD RECOVER byte (shm.c): carve_lock, bucket
				  locks and pin-log entries only */
	LFM_RANK_FLUSH = 0,    /* DB_MPOOL.flush_lock */
	LFM_RANK_POOL = 1,     /* lfm__pool.lock */
	LFM_RANK_FILES = 2,    /* region files_lock */
	LFM_RANK_CARVE = 3,    /* region carve_lock */
	LFM_RANK_BUCKET = 4,   /* a bucket's lock; never two at once */
	LFM_RANK_PINLOG = 5,   /* a pin-log entry (pinlog.h): a leaf, one at
				  a time */
	LFM_RANK_ALONE = 6     /* tls.c live_lock: with no other lock */
};

/* Locks one thread may hold at once (RECOVER and the six ranks). */
#define LFM_RANK_DEPTH 8

#ifdef LFM_DEBUG

/* Checks that `lock` may be taken at `rank` given the locks this thread
 * holds (aborting if not), then records it. Call before blocking on it. */
void lfm__rank_acquire(const void *lock, int rank);
/* Forgets `lock`, which this thread must hold (aborts if not). */
void lfm__rank_release(const void *lock);
/* 1 if this thread holds `lock`. */
int lfm__rank_held(const void *lock);
/* 1 if this thread holds a lock of `rank`. */
int lfm__rank_held_any(int rank);
/* 1 if this thread holds no lock at all. */
int lfm__rank_none_held(void);

#else

#define lfm__rank_acquire(lock, rank) ((void)0)
#define lfm__rank_release(lock)	      ((void)0)
#define lfm__rank_held(lock)	      1
#define lfm__rank_held_any(rank)      0
#define lfm__rank_none_held()	      1

#endif

/* The process-local pthread mutexes (flush_lock, lfm__pool.lock,
 * live_lock), taken at `rank`. */
static inline void lfm__pmutex_lock_ranked(pthread_mutex_t *m, int rank)
{
	(void)rank; /* unused without LFM_DEBUG */
	lfm__rank_acquire(m, rank);
	pthread_mutex_lock(m);
}

static inline void lfm__pmutex_unlock_ranked(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
	lfm__rank_release(m);
}

#endif
