/*
 * prefetch.h - starting the reads of pages a caller will want soon,
 * without waiting for them (memp_fprefetch, lfmpool_prefetch).
 *
 * A prefetched page takes the miss path's first half on the caller's
 * thread: a frame from the eviction mechanism, published in its bucket
 * with the page's tag and EXCL held, exactly as a miss publishes it. So a
 * get of the page meanwhile finds the frame and sleeps on it (as on any
 * read in flight), and no second read of the page starts. The read then
 * goes to this process's I/O queue (src/os/aio) and the caller goes on.
 *
 * The completion, on the queue's thread, zero-fills what lies past the
 * end of the file, runs this process's pgin and releases EXCL with VALID
 * set and CLOCK usage 0: the page is clean, unpinned, and the first the
 * sweep may take until a get uses it. A read that fails (or a pgin that
 * does) unpublishes the frame as a failed miss does and wakes the
 * sleepers, who look again and read the page themselves: its error is
 * then the result of the get of that page, and of no other.
 *
 * Bounds: at most the queue's depth of reads in flight (per pool and
 * process, lfm__prefetch_depth); a prefetch that finds the queue full
 * starts no more and says how many it started. Pages past the file's end,
 * pages resident or being read, and a pool with no frame to spare are
 * passed by: a prefetch is a hint, never an error but EINVAL.
 */
#ifndef LFM_PREFETCH_H
#define LFM_PREFETCH_H

#include "pool.h"

#define LFM_PREFETCH_DEPTH 32 /* reads in flight, by default */
/* Consecutive pages read with one vector read, at most: 128 KiB of 4 KiB
 * pages, the size at which the device gives its bandwidth. */
#define LFM_PF_RUN 32

/*
 * Read-ahead, in pools with direct I/O (where the kernel reads nothing
 * ahead; buffered pools leave it to the kernel): a thread whose read
 * misses walk a file page by page, two in a row or the first page past
 * its window, has the pages after the miss prefetched, a window that
 * starts at LFM_RA_MIN pages and doubles up to LFM_RA_MAX. Any other miss
 * closes the window: random access starts no read. Called after a read
 * miss of `tag` by thread t, with no lock held.
 */
#define LFM_RA_MIN 4
#define LFM_RA_MAX 256
void lfm__readahead(struct lfm__pool *mp, struct lfm__tls_node *t,
		    uint64_t tag);
/* A get of `tag` by thread t is about to wait for its read in flight: if
 * the page lies in the second half of t's window, the next window starts
 * now, so that a scan keeps reads in flight ahead of it. */
void lfm__readahead_wait(struct lfm__pool *mp, struct lfm__tls_node *t,
			 uint64_t tag);

#endif
