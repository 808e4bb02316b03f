/*
 * bgwriter.h - the background writer: this process's flusher threads,
 * writers of dirty, unpinned pages, so that a miss finds a clean victim.
 *
 * Each of the n threads owns a contiguous n-th of the frame array and runs
 * trickle passes over it (pagewrite.h) to keep `clean_pct` percent of its
 * frames clean and unpinned. After a pass that wrote something it goes
 * again at once; otherwise it sleeps on its wake-up word, 20 ms after a
 * pass that found work and twice as long after each idle one (up to 1 s),
 * and a miss that wrote a dirty victim itself, or passed over dirty ones,
 * kicks it awake. A write that fails is kept dirty, retried on a later
 * pass, and counted (st_bg_write_errors); no sync reports it, since the
 * page is still in the pool's care: whoever writes it later reports
 * that write's own result (rule 16).
 *
 * A flusher hands its runs to the I/O queue (ioq.h), so that many are in
 * flight; their frames stay in EXCL until each write is done. When the
 * writes' room there is full it waits for places rather than write a run
 * itself (pagewrite.c's run_submit).
 *
 * The set is replaced whole under mp->flush_lock; stopping sets `stop`,
 * bumps the wake-up word and wakes sleepers, joins, then drains the I/O
 * queue: the old set's runs are all written (their frames released) and
 * nothing is written for it after that.
 */
#ifndef LFM_BGWRITER_H
#define LFM_BGWRITER_H

#include "pool.h"

#define LFM_FLUSH_IDLE_NS     20000000ull   /* 20 ms */
#define LFM_FLUSH_IDLE_MAX_NS 1000000000ull /* idle passes back off to 1 s */
/* Shared pools: how often the first flusher looks for dead processes. */
#define LFM_RECOVER_EVERY_NS 100000000ll /* 100 ms */

/* lfm__flushers_default and lfm__flushers_set are the adapters' (engine.h). */

/* The region's part LFM_PART_FLUSH (the flushers' wake-up word): its
 * size, and its initialisation in a new region. */
uint64_t lfm__flushers_part_size(void);
void lfm__flushers_part_init(struct lfm__region_hdr *rh);

/* A miss wrote a dirty victim: wake a sleeping flusher, if any. */
void lfm__flushers_kick(struct lfm__region_hdr *rh);

#endif
