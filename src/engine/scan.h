/*
 * scan.h - one pass over the frame array: the loop behind every
 * whole-pool walk (syncs, checkpoints, trickle passes, a file's last
 * close), and the candidate lists the writers take.
 *
 * A pass holds no lock and changes nothing. It reads each frame's state
 * with acquire order (a page seen clean was written, so its writer's
 * `unsynced` mark, written before DIRTY was cleared with release, is seen
 * after the pass) and its tag relaxed: both are a snapshot, a hint.
 * Whatever a caller then does to a frame rechecks the tag under a pin,
 * EXCL or the bucket lock, so a page that moved meanwhile is passed by.
 * Frames carved after the pass began are not visited: they hold pages
 * younger than the pass, which it does not cover.
 *
 * Usage:
 *	struct lfm__scan it;
 *	lfm__scan_init(&it, rh, 0, UINT32_MAX, slot, 0);
 *	while (lfm__scan_next(&it))
 *		... it.f, it.idx, it.state, it.tag ...
 */
#ifndef LFM_SCAN_H
#define LFM_SCAN_H

#include "pool.h"
#include "pagewrite.h"

struct lfm__scan {
	struct lfm__frame *frames;
	uint32_t next, end;
	uint32_t carved; /* frames carved when the pass began */
	int64_t slot;	 /* pages of this file only; -1: every file */
	int every;	 /* visit frames that hold no page too */
	/* The frame visited, and what the pass read of it. */
	struct lfm__frame *f;
	uint32_t idx;
	uint32_t state;
	uint64_t tag;
};

/* Visits frames [begin, end), clipped to those carved now: those that
 * hold a page of file `slot` (every file: -1), or with `every`, every
 * frame (then `slot` must be -1). */
static inline void lfm__scan_init(struct lfm__scan *it,
				  struct lfm__region_hdr *rh, uint32_t begin,
				  uint32_t end, int64_t slot, int every)
{
	LFM_ASSERT(!every || slot < 0);
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_acquire);
	it->frames = lfm__frames(rh);
	it->next = begin;
	it->end = end < n ? end : n;
	it->carved = n;
	it->slot = slot;
	it->every = every;
}

/* Advances to the next frame the pass visits: 1, or 0 at the end. */
static inline int lfm__scan_next(struct lfm__scan *it)
{
	while (it->next < it->end) {
		uint32_t i = it->next++;
		struct lfm__frame *f = &it->frames[i];
		it->state =
		    atomic_load_explicit(&f->state, memory_order_acquire);
		it->tag = atomic_load_explicit(&f->tag, memory_order_relaxed);
		if (!it->every &&
		    (it->tag == 0 || it->tag == LFM_TAG_RETIRED ||
		     (it->slot >= 0 && lfm__tag_slot(it->tag) != it->slot)))
			continue;
		it->f = f;
		it->idx = i;
		return 1;
	}
	return 0;
}

/* Room in buf for a candidate per frame the pass can visit; 0 or ENOMEM.
 * The caller frees buf->c. */
int lfm__scan_reserve(const struct lfm__scan *it, struct lfm__wb_buf *buf);

/* The frame visited as a candidate to write: the page it held and its
 * CLOCK usage when the pass read them. */
static inline void lfm__scan_cand(const struct lfm__scan *it,
				  struct lfm__wb_cand *k)
{
	k->tag = it->tag;
	k->idx = it->idx;
	k->usage = (uint8_t)lfm__st_usage(it->state);
	k->result = LFM_WB_SKIPPED;
	k->ckpt = 0;
}

#endif
