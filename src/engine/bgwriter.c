/* bgwriter.c - the background writer's flusher threads (see bgwriter.h). */
#include "bgwriter.h"
#include "ioq.h"
#include "lockrank.h"

#include "recover.h"
#include "shm.h"
#include "pagewrite.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct lfm__flushers;

struct worker {
	struct lfm__flushers *set;
	pthread_t th;
	uint32_t k; /* which n-th of the frames */
};

struct lfm__flushers {
	struct lfm__pool *mp;
	uint32_t n;
	int pct;
	/* A shared pool with no flushers: one thread that only watches for
	 * dead processes. It writes nothing, so it calls no application
	 * code, and is not counted in rh->nflushers. */
	int watch_only;
	/* Set once by the stopper (release); read by each pass (acquire). */
	_Atomic int stop;
	struct worker w[];
};

/* The flushers' wake-up word, the region's part LFM_PART_FLUSH: `kick`
 * is bumped (release, then futex-woken) by a miss that found only dirty
 * victims and by a stopper; sleeping flushers wait on it. `sleepers`
 * (relaxed) saves the wake system call when nobody sleeps. This module's
 * alone. */
struct flush_part {
	_Atomic uint32_t kick;
	_Atomic uint32_t sleepers;
} __attribute__((aligned(LFM_CACHELINE)));

static struct flush_part *part(struct lfm__region_hdr *rh)
{
	return lfm__region_part(rh, LFM_PART_FLUSH);
}

uint64_t lfm__flushers_part_size(void)
{
	return sizeof(struct flush_part);
}

void lfm__flushers_part_init(struct lfm__region_hdr *rh)
{
	atomic_init(&part(rh)->kick, 0);
	atomic_init(&part(rh)->sleepers, 0);
}

int lfm__flushers_default(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	long n = cpus / 4;
	return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

void lfm__flushers_kick(struct lfm__region_hdr *rh)
{
	if (atomic_load_explicit(&part(rh)->sleepers, memory_order_relaxed) ==
	    0)
		return;
	atomic_fetch_add_explicit(&part(rh)->kick, 1, memory_order_release);
	lfm__futex_wake_all(&part(rh)->kick);
}

/* Flusher threads of this process: the region's count (CLOCK's hint)
 * and, in a shared region, our slot's (lfmpool-stat sums the live ones;
 * recovery takes a dead slot's back from the total). */
static void count_flushers(struct lfm__pool *mp, int32_t d)
{
	atomic_fetch_add_explicit(&mp->rh->nflushers, (uint32_t)d,
				  memory_order_relaxed);
	if (mp->shm != NULL)
		atomic_fetch_add_explicit(&mp->rh->proc_flushers[mp->shm->proc],
					  (uint32_t)d, memory_order_relaxed);
}

static void *flusher_main(void *arg)
{
	struct worker *w = arg;
	struct lfm__flushers *set = w->set;
	struct lfm__pool *mp = set->mp;
	struct lfm__region_hdr *rh = mp->rh;

	struct timespec last = {0, 0};
	uint64_t idle = LFM_FLUSH_IDLE_NS;
	struct lfm__wb_buf buf = {NULL, 0}; /* no allocation per pass */
	/* Shared pools: the watcher for dead processes must look often. */
	uint64_t idle_max = mp->shm != NULL && w->k == 0
				? (uint64_t)LFM_RECOVER_EVERY_NS
				: LFM_FLUSH_IDLE_MAX_NS;
	while (!atomic_load_explicit(&set->stop, memory_order_acquire)) {
		/* Shared pools: the first flusher also watches for dead
		 * processes, so that what they held cannot wedge survivors
		 * waiting on it (recover.h). */
		if (mp->shm != NULL && w->k == 0) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if ((now.tv_sec - last.tv_sec) * 1000000000ll +
				(now.tv_nsec - last.tv_nsec) >=
			    LFM_RECOVER_EVERY_NS) {
				(void)lfm__recover_dead(mp);
				last = now;
			}
		}
		if (set->watch_only) {
			lfm__futex_wait_ns(
			    &part(rh)->kick,
			    atomic_load_explicit(&part(rh)->kick,
						 memory_order_acquire),
			    LFM_RECOVER_EVERY_NS);
			continue;
		}
		/* Read before the pass: a kick during it is not lost. */
		uint32_t kick =
		    atomic_load_explicit(&part(rh)->kick, memory_order_acquire);
		uint32_t nf =
		    atomic_load_explicit(&rh->nframes, memory_order_acquire);
		uint32_t begin = (uint32_t)((uint64_t)nf * w->k / set->n);
		uint32_t end = (uint32_t)((uint64_t)nf * (w->k + 1) / set->n);
		uint32_t wrote = 0, slot = UINT32_MAX;
		int rc = lfm__wb_trickle(mp, begin, end, set->pct, 1, NULL,
					 &buf, &wrote, &slot);
		if (wrote > 0)
			atomic_fetch_add_explicit(&rh->flush_wrote, wrote,
						  memory_order_relaxed);
		/* A failed write was counted (LFM_ST_BGWERR) and its pages
		 * left dirty: a later pass, a sync or an eviction writes
		 * them, and that writer's caller hears of any error then. */
		if (rc == 0 && wrote > 0) {
			idle = LFM_FLUSH_IDLE_NS;
			continue;
		}
		atomic_fetch_add_explicit(&part(rh)->sleepers, 1,
					  memory_order_relaxed);
		if (!atomic_load_explicit(&set->stop, memory_order_acquire))
			lfm__futex_wait_ns(&part(rh)->kick, kick, idle);
		atomic_fetch_sub_explicit(&part(rh)->sleepers, 1,
					  memory_order_relaxed);
		/* A pass over a big pool reads every descriptor: while nothing
		 * needs writing, look less and less often; a kick brings the
		 * pace back. */
		if (atomic_load_explicit(&part(rh)->kick,
					 memory_order_relaxed) != kick)
			idle = LFM_FLUSH_IDLE_NS;
		else if (idle < idle_max)
			idle = idle * 2 < idle_max ? idle * 2 : idle_max;
	}
	free(buf.c);
	return NULL;
}

/* Stops and joins the first `started` threads of set, and frees it. */
static void stop_threads(struct lfm__pool *mp, struct lfm__flushers *set,
			 uint32_t started)
{
	struct lfm__region_hdr *rh = mp->rh;
	atomic_store_explicit(&set->stop, 1, memory_order_release);
	atomic_fetch_add_explicit(&part(rh)->kick, 1, memory_order_release);
	lfm__futex_wake_all(&part(rh)->kick);
	for (uint32_t k = 0; k < started; k++)
		pthread_join(set->w[k].th, NULL);
	if (!set->watch_only)
		count_flushers(mp, -(int32_t)started);
	free(set);
}

int lfm__flushers_set(struct lfm__pool *mp, int n, int pct)
{
	/* It joins threads that take every lock but this one. */
	LFM_ASSERT(lfm__rank_none_held());
	int rc = 0;
	lfm__pmutex_lock_ranked(&mp->flush_lock, LFM_RANK_FLUSH);
	if (mp->flushers != NULL) {
		stop_threads(mp, mp->flushers, mp->flushers->n);
		mp->flushers = NULL;
		/* Their runs still on the I/O queue finish too: the old set
		 * writes nothing after this returns. */
		lfm__ioq_drain(mp);
	}
	/* Shared pools keep one watcher for dead processes when no flusher
	 * runs (stopping for memp_close passes pct -1: none at all). */
	int watch_only = n == 0 && pct >= 0 && mp->shm != NULL;
	if (watch_only)
		n = 1;
	if (n > 0) {
		struct lfm__flushers *set =
		    calloc(1, sizeof(*set) + (size_t)n * sizeof(struct worker));
		if (set == NULL) {
			lfm__pmutex_unlock_ranked(&mp->flush_lock);
			return ENOMEM;
		}
		set->mp = mp;
		set->pct = pct;
		set->watch_only = watch_only;
		set->n = (uint32_t)n; /* fixed before any thread reads it */
		uint32_t k;
		for (k = 0; k < set->n; k++) {
			set->w[k].set = set;
			set->w[k].k = k;
			if (!watch_only)
				count_flushers(mp, 1);
			rc = pthread_create(&set->w[k].th, NULL, flusher_main,
					    &set->w[k]);
			if (rc != 0) {
				if (!watch_only)
					count_flushers(mp, -1);
				break;
			}
		}
		if (rc != 0)
			stop_threads(mp, set, k); /* all or none */
		else
			mp->flushers = set;
	}
	lfm__pmutex_unlock_ranked(&mp->flush_lock);
	return rc;
}
