/*
 * ioq.h - this process's asynchronous I/O queue for a pool (src/os/aio):
 * prefetch and read-ahead reads (prefetch.h) and the flushers' runs
 * (pagewrite.h) go through it. Opened at first use, under the pool's
 * lock, with the depth memp_set_prefetch_depth set for reads and
 * LFM_IOQ_WDEPTH for writes (LFMPOOL_IO_ENGINE may name the engine);
 * published with release, read with acquire. Closed by memp_close once the
 * flushers are stopped: it waits for every request in flight, and is never
 * opened again.
 */
#ifndef LFM_IOQ_H
#define LFM_IOQ_H

#include "pool.h"

/* Writes in flight beside the reads (aio.h's wdepth): the flushers' runs
 * have a room of their own, so that neither the prefetch reads nor the
 * write-back take the other's places. 32, as many as the reads' default:
 * on the test VM fio's random writes at depth 32 gave 0.88 of depth 64's,
 * and its mixed reads and writes at depth 64 only 1.1 times depth 32's
 * (docs/benchmarks.md, "What bounds write-back"). */
#define LFM_IOQ_WDEPTH 32

/* The queue, or NULL: it could not be opened, or the pool is closing. */
struct lfm__aio *lfm__ioq(struct lfm__pool *mp);

/* The queue's engine (aio.h's kind), 0 before it is opened. */
int lfm__ioq_engine(struct lfm__pool *mp);

/* Waits until no request is in flight (new ones may start after). */
void lfm__ioq_drain(struct lfm__pool *mp);

/* Waits for every request in flight, then closes the queue. */
void lfm__ioq_close(struct lfm__pool *mp);

#endif
