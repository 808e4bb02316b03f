/* recover.c - recovery of a dead process's holdings (see recover.h). */
#include "recover.h"

#include "frame.h"
#include "ftab.h"
#include "lockrank.h"
#include "pinlog.h"
#include "shm.h"
#include "tcache.h"

/* Step 2 for one frame whose EXCL the dead process held. */
static void adopt_frame(struct lfm__region_hdr *rh, struct lfm__frame *f,
			uint32_t s, uint32_t self)
{
	uint64_t tag = atomic_load_explicit(&f->tag, memory_order_relaxed);
	uint32_t examined = 0;
	struct lfm__bucket *b = NULL;
	int linked = 0;
	if (tag != 0) {
		b = lfm__ftab_bucket(rh, tag);
		lfm__mutex_lock_ranked(&b->lock, self, LFM_RANK_BUCKET);
		linked = lfm__ftab_find(rh, b, tag, &examined) == f;
		if (linked && !(s & LFM_F_VALID)) {
			lfm__ftab_unlink(rh, b, f);
			linked = 0;
		}
		if (!linked)
			atomic_store_explicit(&f->tag, 0, memory_order_relaxed);
		lfm__mutex_unlock_ranked(&b->lock);
	}
	if (linked && (s & LFM_F_VALID)) {
		lfm__frame_release_excl(f, 0, 0); /* a whole page: keep it */
		return;
	}
	atomic_store_explicit(&f->ckpt, 0, memory_order_relaxed);
	if ((s & LFM_F_VALID) && rh->elastic)
		atomic_fetch_sub_explicit(&rh->resident, 1,
					  memory_order_relaxed);
	lfm__frame_release_excl(
	    f, 0, LFM_F_VALID | LFM_F_DIRTY | LFM_F_USAGE_MASK | LFM_F_DISCARD);
}

void lfm__recover_proc(struct lfm__region_hdr *rh, uint32_t k, uint32_t self)
{
	uint32_t owner = k + 1;
	/* Under RECOVER (shm.c), for a process slot other than ours. */
	LFM_ASSERT(k < LFM_NPROCS && owner != self);
	LFM_ASSERT(lfm__rank_held_any(LFM_RANK_RECOVER));

	/* 1. Locks. */
	lfm__mutex_break(&rh->files_lock, owner);
	lfm__mutex_break(&rh->carve_lock, owner);
	struct lfm__bucket *buckets = lfm__buckets(rh);
	for (uint32_t i = 0; i < rh->nbuckets; i++)
		lfm__mutex_break(&buckets[i].lock, owner);

	/* 2. Frames it held in EXCL. */
	struct lfm__frame *frames = lfm__frames(rh);
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_acquire);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = atomic_load_explicit(&frames[i].state,
						  memory_order_acquire);
		if ((s & LFM_F_EXCL) &&
		    (s & LFM_F_OWNER_MASK) >> LFM_F_OWNER_SHIFT == owner)
			adopt_frame(rh, &frames[i], s, self);
	}

	/* 3. Direct pins. 4. Thread caches. */
	lfm__pinlog_drain(rh, k);
	for (uint32_t i = 0; i < rh->nhandles; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		if (atomic_load_explicit(&h->owner, memory_order_acquire) &&
		    atomic_load_explicit(&h->proc, memory_order_relaxed) ==
			owner)
			lfm__tcache_release_dead(rh, h);
	}

	/* 5. Its flusher threads died with it: no longer counted. */
	atomic_fetch_sub_explicit(
	    &rh->nflushers,
	    atomic_exchange_explicit(&rh->proc_flushers[k], 0,
				     memory_order_relaxed),
	    memory_order_relaxed);
}

int lfm__recover_dead(struct lfm__pool *mp)
{
	return mp->shm != NULL ? lfm__shm_recover(mp->shm, lfm__recover_proc)
			       : 0;
}
