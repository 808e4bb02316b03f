/* lockrank.c - the debug build's lock-rank checker (see lockrank.h). */
#include "lockrank.h"

#ifdef LFM_DEBUG

#include <stddef.h>

struct held {
	const void *lock;
	int rank;
};

/* This thread's locks, in the order taken. Process-local, owner-only. */
static _Thread_local struct held held[LFM_RANK_DEPTH];
static _Thread_local int depth;

static const char *rank_name(int rank)
{
	switch (rank) {
	case LFM_RANK_RECOVER:
		return "RECOVER";
	case LFM_RANK_FLUSH:
		return "flush_lock";
	case LFM_RANK_POOL:
		return "lfm__pool.lock";
	case LFM_RANK_FILES:
		return "files_lock";
	case LFM_RANK_CARVE:
		return "carve_lock";
	case LFM_RANK_BUCKET:
		return "bucket lock";
	case LFM_RANK_PINLOG:
		return "pin-log entry";
	case LFM_RANK_ALONE:
		return "live_lock";
	}
	return "unknown rank";
}

static void append(char *buf, size_t cap, size_t *n, const char *s)
{
	while (*s != '\0' && *n + 1 < cap)
		buf[(*n)++] = *s++;
	buf[*n] = '\0';
}

/* Aborts: "lock rank: <why>: taking <rank> while holding <rank>". */
static __attribute__((noreturn)) void violation(const char *why, int taking,
						int holding)
{
	char msg[160];
	size_t n = 0;
	append(msg, sizeof(msg), &n, "lock rank: ");
	append(msg, sizeof(msg), &n, why);
	append(msg, sizeof(msg), &n, ": taking ");
	append(msg, sizeof(msg), &n, rank_name(taking));
	append(msg, sizeof(msg), &n, " while holding ");
	append(msg, sizeof(msg), &n, rank_name(holding));
	lfm__assert_fail(__FILE__, __LINE__, msg);
}

void lfm__rank_acquire(const void *lock, int rank)
{
	LFM_ASSERT(rank >= LFM_RANK_RECOVER && rank <= LFM_RANK_ALONE);
	LFM_ASSERT(!lfm__rank_held(lock) && "a lock this thread holds");
	for (int i = 0; i < depth; i++) {
		int h = held[i].rank;
		if (h == LFM_RANK_BUCKET && rank == LFM_RANK_BUCKET)
			violation("never two bucket locks at once", rank, h);
		if (h == LFM_RANK_PINLOG && rank == LFM_RANK_PINLOG)
			violation("never two pin-log entries at once", rank, h);
		if (h == LFM_RANK_RECOVER && rank != LFM_RANK_CARVE &&
		    rank != LFM_RANK_BUCKET && rank != LFM_RANK_PINLOG)
			violation("only carve_lock, bucket locks and pin-log "
				  "entries under RECOVER",
				  rank, h);
		/* A pin-log entry is a leaf, which live_lock allows: a
		 * thread exiting under it gives its cache back through them. */
		if (h == LFM_RANK_ALONE && rank == LFM_RANK_PINLOG)
			continue;
		if (rank == LFM_RANK_ALONE || h == LFM_RANK_ALONE)
			violation("live_lock is taken alone", rank, h);
		if (h >= rank)
			violation("out of order", rank, h);
	}
	LFM_ASSERT(depth < LFM_RANK_DEPTH);
	held[depth].lock = lock;
	held[depth].rank = rank;
	depth++;
}

void lfm__rank_release(const void *lock)
{
	int i = depth - 1;
	while (i >= 0 && held[i].lock != lock)
		i--;
	LFM_ASSERT(i >= 0 && "releasing a lock this thread does not hold");
	for (; i + 1 < depth; i++)
		held[i] = held[i + 1];
	depth--;
}

int lfm__rank_held(const void *lock)
{
	for (int i = 0; i < depth; i++)
		if (held[i].lock == lock)
			return 1;
	return 0;
}

int lfm__rank_held_any(int rank)
{
	for (int i = 0; i < depth; i++)
		if (held[i].rank == rank)
			return 1;
	return 0;
}

int lfm__rank_none_held(void)
{
	return depth == 0;
}

#else

/* ISO C wants a translation unit to declare something. */
typedef int lfm__lockrank_unused;

#endif
