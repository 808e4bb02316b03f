/*
 * pagewrite.h - writing pages: the one write primitive (write-ahead rule,
 * pgout on copies, pwritev), in runs of consecutive dirty pages; the
 * engine behind memp_fsync, memp_sync, memp_trickle, the flushers and
 * dirty victims.
 *
 * A run is up to LFM_WB_RUN pages of one file with consecutive page
 * numbers, each frame held in EXCL (so nobody pins, changes or evicts the
 * page while it is written) and VALID|DIRTY. It goes to the file with one
 * pwritev from the frames themselves, or from copies when the file has a
 * pgout (pgout may transform in place; the cache keeps the plain form).
 *
 * Write-ahead rule: before a run is written, if its file has an LSN offset
 * and the largest page LSN in the run is past the LSN the log is known
 * durable to (this module's part of the region, LFM_PART_WAL), the pool's
 * log-flush callback is called with that LSN (with the frames still held:
 * the bytes cannot change in between), and that LSN is raised on
 * success. A refused flush fails the run.
 *
 * A failed run leaves every page dirty and unchanged; EXCL is released by
 * the caller either way.
 */
#ifndef LFM_PAGEWRITE_H
#define LFM_PAGEWRITE_H

#include "pool.h"

#define LFM_WB_RUN 64 /* pages per pwritev; well under IOV_MAX */

/* A page to consider writing: which frame, the page it held when chosen,
 * and its CLOCK usage then (flushers write the coldest first). `result`
 * is filled by lfm__wb_write. */
struct lfm__wb_cand {
	uint64_t tag;
	uint32_t idx;
	uint8_t usage;
	uint8_t result;
	uint64_t ckpt; /* its checkpoint mark when chosen (checkpoint.c) */
};

enum {
	LFM_WB_SKIPPED = 0, /* clean now, or moved */
	LFM_WB_WRITTEN,
	LFM_WB_PINNED, /* a user holds it: not written */
	LFM_WB_FAILED  /* write error: still dirty, intact */
};

struct lfm__wb_opts {
	/* Sleep on frames another thread holds in EXCL (a sync must see
	 * them through); otherwise pass them by (flushers). */
	int wait_excl;
	/* A flusher's: a failed run is counted (LFM_ST_BGWERR), since no
	 * caller hears of it; its pages stay dirty for a later write. */
	int background;
};

struct lfm__wb_result {
	uint32_t nwrote;
	uint32_t npinned;
	int err;		 /* first write error */
	int has_lsn;		 /* max_lsn is set */
	struct lfm__lsn max_lsn; /* largest page LSN written */
	uint32_t err_slot;	 /* file of `err` */
};

/* Writes the dirty pages named by cand[0..n) in runs; sorts cand by tag.
 * Thread-cache references (not user pins) are taken back first. */
void lfm__wb_write(struct lfm__pool *mp, struct lfm__wb_cand *cand, uint32_t n,
		   const struct lfm__wb_opts *o, struct lfm__tls_node *t,
		   struct lfm__wb_result *res);

/* Writes one page held in EXCL (a dirty victim): WAL rule, pgout, stats.
 * Clears DIRTY on success; EXCL stays with the caller. */
int lfm__wb_write_one(struct lfm__pool *mp, struct lfm__frame *f, uint64_t tag,
		      struct lfm__tls_node *t);

/* Writes a page that users may hold pinned (mpool_sync; the caller holds a
 * pin of its own, which keeps the tag): from a copy, DIRTY cleared before
 * it is taken, so a change made during the copy dirties the page again; a
 * failed write sets DIRTY back. */
int lfm__wb_write_pinned(struct lfm__pool *mp, struct lfm__frame *f,
			 uint64_t tag, struct lfm__tls_node *t);

/* The write-ahead rule for a page with LSN `lsn` of file `slot` about to
 * be written: 0, or the log-flush callback's error. */
int lfm__wb_wal(struct lfm__pool *mp, uint32_t slot,
		const struct lfm__lsn *lsn);

/* The LSN stored in a page of file `slot`; 0 if the file has no offset. */
int lfm__wb_page_lsn(struct lfm__region_hdr *rh, uint32_t slot,
		     const void *page, struct lfm__lsn *lsn);

static inline int lfm__lsn_less(const struct lfm__lsn *a,
				const struct lfm__lsn *b)
{
	return a->file < b->file ||
	       (a->file == b->file && a->offset < b->offset);
}

static inline uint64_t lfm__lsn_u64(const struct lfm__lsn *l)
{
	return ((uint64_t)l->file << 32) | l->offset;
}

/*
 * One trickle pass over frames [begin, end): counts the clean, unpinned
 * frames there (free frames and unspent budget count as clean), and if
 * they are fewer than `pct` percent, writes dirty unpinned pages, coldest
 * first, until they would not be. With `cold_too` (flushers) it also
 * writes every dirty page whose CLOCK usage has run down to 0: the pages
 * the sweep will offer as victims next (misses pass over them while
 * flushers run, see victim.c), as PostgreSQL's background writer cleans
 * ahead of its clock hand. `buf` (may be NULL: one allocation per call)
 * holds the candidates. *nwrote gets the pages written. Returns 0 or
 * the first write error (*err_slot: its file).
 */
/* Candidate storage a caller keeps across passes (flushers): grown as
 * needed, freed by the caller. */
struct lfm__wb_buf {
	struct lfm__wb_cand *c;
	uint32_t cap;
};

int lfm__wb_trickle(struct lfm__pool *mp, uint32_t begin, uint32_t end, int pct,
		    int cold_too, struct lfm__tls_node *t,
		    struct lfm__wb_buf *buf, uint32_t *nwrote,
		    uint32_t *err_slot);

/* The region's part LFM_PART_WAL: its size, and its initialisation in a
 * new region. */
uint64_t lfm__wb_part_size(void);
void lfm__wb_part_init(struct lfm__region_hdr *rh);

#endif
