/* ftab.c - chain updates of the frame table (rules in ftab.h). */
#include "ftab.h"

#include "lockrank.h"

#ifdef LFM_DEBUG
/* Whether f is in b's chain (the caller holds b->lock): for asserts. */
static int in_chain(struct lfm__region_hdr *rh, struct lfm__bucket *b,
		    const struct lfm__frame *f)
{
	struct lfm__frame *frames = lfm__frames(rh);
	uint32_t i = atomic_load_explicit(&b->head, memory_order_relaxed);
	for (uint32_t n = 0; i != LFM_NIL && n < rh->nframes_max; n++) {
		if (&frames[i - 1] == f)
			return 1;
		i = atomic_load_explicit(&frames[i - 1].next,
					 memory_order_relaxed);
	}
	return 0;
}
#else
#define in_chain(rh, b, f) 0
#endif

void lfm__ftab_link(struct lfm__region_hdr *rh, struct lfm__bucket *b,
		    struct lfm__frame *f)
{
	LFM_ASSERT(lfm__rank_held(&b->lock));
	LFM_ASSERT(atomic_load_explicit(&f->tag, memory_order_relaxed) != 0);
	LFM_ASSERT(!in_chain(rh, b, f));
	/* At the tail: a page that stays resident keeps its place at the
	 * head of its chain, where the hit path looks first (hit.c), however
	 * many pages pass through the bucket after it. */
	struct lfm__frame *frames = lfm__frames(rh);
	_Atomic uint32_t *link = &b->head;
	uint32_t i;
	while ((i = atomic_load_explicit(link, memory_order_relaxed)) !=
	       LFM_NIL)
		link = &frames[i - 1].next;
	atomic_store_explicit(&f->next, LFM_NIL, memory_order_relaxed);
	/* Publishes f->tag and f->next to lock-free walkers. */
	atomic_store_explicit(link, lfm__frame_idx(rh, f) + 1,
			      memory_order_release);
}

void lfm__ftab_unlink(struct lfm__region_hdr *rh, struct lfm__bucket *b,
		      struct lfm__frame *f)
{
	struct lfm__frame *frames = lfm__frames(rh);
	_Atomic uint32_t *link = &b->head;
	LFM_ASSERT(lfm__rank_held(&b->lock));
	uint32_t i = atomic_load_explicit(link, memory_order_relaxed);

	while (i != LFM_NIL) {
		struct lfm__frame *cur = &frames[i - 1];
		if (cur == f) {
			/* f->next stays as it is: a walker standing on f
			 * still reaches the rest of this chain. */
			uint32_t next = atomic_load_explicit(
			    &f->next, memory_order_relaxed);
			atomic_store_explicit(link, next, memory_order_release);
			return;
		}
		link = &cur->next;
		i = atomic_load_explicit(link, memory_order_relaxed);
	}
}
