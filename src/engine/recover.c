/* recover.c - recovery of dead processes' holdings (see recover.h). */
#include "recover.h"

#include "frame.h"
#include "ftab.h"
#include "lockrank.h"
#include "pinrecount.h"
#include "shm.h"

/* Step 2 for one frame whose EXCL a dead process held. */
static void adopt_frame(struct lfm__region_hdr *rh, struct lfm__frame *f,
			uint32_t s, uint32_t self)
{
	uint64_t tag = atomic_load_explicit(&f->tag, memory_order_relaxed);
	uint32_t examined = 0;
	struct lfm__bucket *b = NULL;
	int linked = 0;
	if (tag != 0 && tag != LFM_TAG_RETIRED) {
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
	/* A retirement cut short (tag RETIRED, still ours: never linked)
	 * ends as a free frame; carve repair recounts the chunk's retired
	 * frames. */
	if (tag == LFM_TAG_RETIRED)
		atomic_store_explicit(&f->tag, 0, memory_order_relaxed);
	atomic_store_explicit(&f->ckpt, 0, memory_order_relaxed);
	if ((s & LFM_F_VALID) && rh->elastic)
		atomic_fetch_sub_explicit(&rh->resident, 1,
					  memory_order_relaxed);
	lfm__frame_release_excl(
	    f, 0, LFM_F_VALID | LFM_F_DIRTY | LFM_F_USAGE_MASK | LFM_F_DISCARD);
}

static int died(void *arg, uint32_t k)
{
	return lfm__shm_proc_dead(arg, k);
}

int lfm__recover_procs(struct lfm__shm *s, uint32_t dead)
{
	struct lfm__region_hdr *rh = s->rh;
	/* Locks recovery takes carry our id, so that our own death
	 * mid-recovery is recoverable in turn (none before we have a slot). */
	uint32_t self = s->proc < LFM_NPROCS ? s->proc + 1 : 0;
	LFM_ASSERT(dead != 0 && (self == 0 || !((dead >> (self - 1)) & 1)));
	LFM_ASSERT(lfm__rank_held_any(LFM_RANK_RECOVER));

	/* 0. Entries a dead recoverer held. */
	int rc = lfm__pinrecount_resume(rh, dead, died, s);
	if (rc != 0)
		return rc;

	/* 1. Locks. */
	int carving = 0;
	struct lfm__bucket *buckets = lfm__buckets(rh);
	for (uint32_t k = 0; k < LFM_NPROCS; k++) {
		if (!((dead >> k) & 1))
			continue;
		lfm__mutex_break(&rh->files_lock, k + 1);
		carving |= lfm__mutex_break(&rh->carve_lock, k + 1);
		for (uint32_t i = 0; i < rh->nbuckets; i++)
			lfm__mutex_break(&buckets[i].lock, k + 1);
	}

	/* 2. Frames they held in EXCL. */
	struct lfm__frame *frames = lfm__frames(rh);
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_acquire);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t st = atomic_load_explicit(&frames[i].state,
						   memory_order_acquire);
		uint32_t owner = (st & LFM_F_OWNER_MASK) >> LFM_F_OWNER_SHIFT;
		if ((st & LFM_F_EXCL) && owner != 0 &&
		    ((dead >> (owner - 1)) & 1))
			adopt_frame(rh, &frames[i], st, self);
	}
	if (carving)
		lfm__region_carve_repair(rh, self);

	/* 3. Pins and thread caches. */
	rc = lfm__pinrecount_dead(rh, dead, died, s);
	if (rc != 0)
		return rc;

	/* 4. Their flusher threads died with them: no longer counted. */
	for (uint32_t k = 0; k < LFM_NPROCS; k++)
		if ((dead >> k) & 1)
			atomic_fetch_sub_explicit(
			    &rh->nflushers,
			    atomic_exchange_explicit(&rh->proc_flushers[k], 0,
						     memory_order_relaxed),
			    memory_order_relaxed);
	return 0;
}

int lfm__recover_dead(struct lfm__pool *mp)
{
	return mp->shm != NULL ? lfm__shm_recover(mp->shm, lfm__recover_procs)
			       : 0;
}
