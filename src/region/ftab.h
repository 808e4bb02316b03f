/*
 * ftab.h - the frame table: a hash of page tags to frames.
 *
 * Buckets hold singly linked chains of frames (by index + 1). Readers walk a
 * chain with no lock (hit path); inserts and removals hold the bucket's
 * lock, one bucket at a time (no thread ever holds two bucket locks).
 *
 * A walker may be led astray when a frame it stands on is moved to another
 * chain, so a walk can miss a present page: that is why a miss is always
 * confirmed by a second walk under the bucket lock before a page is read.
 * A walk can also find a frame whose tag changes just after: the pin
 * re-checks the tag (frame.h). Frames are never freed, so every index a
 * walker reads names valid memory; walks are bounded by the frame count.
 *
 * Orders: `head` and `next` are stored with release by the lock holder after
 * the frame's tag is set, and loaded with acquire by walkers, so a walker
 * that reaches a frame through the chain sees its tag.
 */
#ifndef LFM_FTAB_H
#define LFM_FTAB_H

#include "frame.h"
#include "hash.h"
#include "region.h"

static inline struct lfm__bucket *lfm__ftab_bucket(struct lfm__region_hdr *rh,
						   uint64_t tag)
{
	return &lfm__buckets(rh)[lfm__hash_bucket(tag, rh->bucket_shift)];
}

/* Lock-free walk of a chain among `frames` from its frame i (index + 1,
 * or LFM_NIL), at most `limit` steps.
 * Returns the frame that (probably) holds tag, or NULL; *examined counts
 * the frames looked at. Each frame's page is prefetched at data + index *
 * stride as the chain names it (lfm__page_guess; stride 0, no pattern,
 * prefetches `data` itself: a useless but harmless line). */
static inline struct lfm__frame *
lfm__ftab_walk(struct lfm__frame *frames, const char *data, uint32_t stride,
	       uint32_t limit, uint32_t i, uint64_t tag, uint32_t *examined)
{
	uint32_t n = 0;

	while (i != LFM_NIL && n < limit) {
		n++;
		struct lfm__frame *f = &frames[i - 1];
		/* The caller will read this page next if it is the one: start
		 * fetching it now, alongside the descriptor. */
		__builtin_prefetch(data + (uint64_t)(i - 1) * stride);
		if (atomic_load_explicit(&f->tag, memory_order_relaxed) ==
		    tag) {
			*examined += n;
			return f;
		}
		i = atomic_load_explicit(&f->next, memory_order_acquire);
	}
	*examined += n;
	return NULL;
}

static inline struct lfm__frame *lfm__ftab_find(struct lfm__region_hdr *rh,
						struct lfm__bucket *b,
						uint64_t tag,
						uint32_t *examined)
{
	return lfm__ftab_walk(
	    lfm__frames(rh), (const char *)rh + rh->off_data,
	    atomic_load_explicit(&rh->uniform_stride, memory_order_relaxed),
	    rh->nframes_max,
	    atomic_load_explicit(&b->head, memory_order_acquire), tag,
	    examined);
}

/* Under b->lock: appends f (whose tag is already set) to the chain. */
void lfm__ftab_link(struct lfm__region_hdr *rh, struct lfm__bucket *b,
		    struct lfm__frame *f);
/* Under b->lock: removes f from the chain (no-op if absent). */
void lfm__ftab_unlink(struct lfm__region_hdr *rh, struct lfm__bucket *b,
		      struct lfm__frame *f);

#endif
