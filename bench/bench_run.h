/*
 * bench_run.h - a timed period over one open pool, for both modes
 * (bench_run.c): the warm-up pass, then a crew of worker threads started
 * together on a barrier that loop (get a page, check it, maybe write a
 * byte, put it) until told to stop, and for WB_ON on a system without
 * flushers one more thread calling trickle.
 */
#ifndef LFMPOOL_BENCH_RUN_H
#define LFMPOOL_BENCH_RUN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "bench.h"
#include "bench_lat.h"
#include "bench_opts.h"

/* What a pass or a worker saw go wrong: the first of each kind. */
struct fault {
	uint64_t checked, wrong; /* gets checked, wrong pages among them */
	uint32_t want, got;	 /* the first wrong page */
	int err;		 /* the first failed call, or 0 */
	const char *op;		 /* "get" or "put" */
	uint32_t pgno;
};

struct worker {
	pthread_t tid;
	struct crew *crew;
	uint64_t seed;
	uint64_t ops;
	struct fault f;
	struct lat_hist *lat; /* timed workloads: every get's latency (ns) */
} __attribute__((aligned(128)));

struct crew {
	/* Set by the caller before crew_start. */
	const struct bench_sys *sys;
	bench_pool *bp;
	struct workload wl; /* its range may be narrowed (processes) */
	int nthreads;
	int trickling; /* also a trickle thread (WB_ON, no flushers) */
	/* Set by crew_start and crew_time. */
	struct worker *w;
	pthread_barrier_t start;
	atomic_int stop;
	pthread_t trickle_tid;
	uint64_t trickle_calls, trickle_pages;
	int trickle_err;
	double secs; /* the timed period, as measured */
};

/* Writes a data file of `bytes4k` * BENCH_PAGE_SIZE bytes in pages of
 * `pagesize` bytes, each holding its page number at offset 0; dies on an
 * error. */
void bench_make_file(const char *path, uint32_t pagesize, uint32_t bytes4k);

/* Get, check and put pages [0, pages) once, in order: the error of the
 * first failed call (which ends the pass), else 0; wrong pages counted. */
int bench_warm(const struct bench_sys *sys, bench_pool *bp, uint32_t pages,
	       struct fault *f);

/* Starts c->nthreads workers (worker i seeded with seeds[i]) and the
 * trickle thread, all waiting at the barrier; dies if it cannot. */
void crew_start(struct crew *c, const uint64_t *seeds);
/* Lets them loop for `seconds`, then stops and joins them. */
void crew_time(struct crew *c, double seconds);
/* The workers' latencies merged (timed workloads; else NULL), and the
 * crew's memory freed. */
struct lat_hist *crew_free(struct crew *c);

#endif /* LFMPOOL_BENCH_RUN_H */
