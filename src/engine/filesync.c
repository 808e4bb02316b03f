/* filesync.c - syncing files (see filesync.h). */
#include "filesync.h"
#include "ckpt_state.h"
#include "lockrank.h"
#include "pfile.h"

#include "victim.h"
#include "ftab.h"
#include "fileio.h"
#include "pins.h"
#include "scan.h"
#include "stats.h"
#include "pagewrite.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* mpool_sync's pinned dirty page: pin it ourselves (so it cannot change
 * identity), write a copy. 0, an error, or -1 if it went away. */
static int write_pinned(struct lfm__pool *mp, struct lfm__frame *f,
			uint64_t tag, struct lfm__tls_node *t)
{
	for (;;) {
		enum lfm__pin_result r = lfm__pin_direct(mp, f, tag);
		if (r == LFM_PIN_BUSY) {
			uint32_t s = atomic_load_explicit(&f->state,
							  memory_order_acquire);
			if (s & LFM_F_EXCL)
				lfm__frame_wait(f, s);
			continue;
		}
		if (r != LFM_PIN_OK)
			return -1;
		int rc = lfm__wb_write_pinned(mp, f, tag, t);
		(void)lfm__unpin_direct(mp, f, 0, 0);
		return rc;
	}
}

/* A page made dirty again, pinned by us: an open checkpoint may have
 * counted it done (written by someone, clean at its start), so it joins
 * that checkpoint's set unless it is in one. As checkpoint.c marks:
 * under the bucket lock, while the frame is linked with the tag. */
static void mark_open_checkpoint(struct lfm__pool *mp, struct lfm__frame *f,
				 uint64_t tag)
{
	struct lfm__region_hdr *rh = mp->rh;
	uint64_t gen = lfm__ckpt_open_mark(rh);
	if (gen == 0)
		return;
	struct lfm__bucket *b = lfm__ftab_bucket(rh, tag);
	uint32_t examined = 0;
	uint64_t none = 0;
	lfm__mutex_lock_ranked(&b->lock, mp->lock_owner, LFM_RANK_BUCKET);
	if (lfm__ftab_find(rh, b, tag, &examined) == f)
		atomic_compare_exchange_strong_explicit(&f->ckpt, &none, gen,
							memory_order_relaxed,
							memory_order_relaxed);
	lfm__mutex_unlock_ranked(&b->lock);
}

/* fdatasync failed for file `slot`: the kernel may have dropped any write
 * of the file since the last good one, whoever made it (this sync, an
 * earlier one, a flusher, an eviction), so every page of the file still
 * cached is marked dirty again for the next sync to write (under a pin of
 * our own, which freezes the tag). A page a writer holds in EXCL is
 * waited for: its write may have been one the fdatasync covered. Pages
 * evicted since their write cannot be restored (rule 16). */
static void redirty_file(struct lfm__pool *mp, uint32_t slot)
{
	LFM_ASSERT(lfm__rank_none_held()); /* it waits for EXCL */
	struct lfm__scan it;
	lfm__scan_init(&it, mp->rh, 0, UINT32_MAX, slot, 0);
	while (lfm__scan_next(&it)) {
		struct lfm__frame *f = it.f;
		for (uint32_t s = it.state;;) {
			if (!(s & LFM_F_VALID) ||
			    (s & (LFM_F_DIRTY | LFM_F_EXCL)) == LFM_F_DIRTY)
				break; /* being read, or dirty already */
			enum lfm__pin_result r = lfm__pin_direct(mp, f, it.tag);
			if (r == LFM_PIN_BUSY) {
				s = atomic_load_explicit(&f->state,
							 memory_order_acquire);
				if (s & LFM_F_EXCL)
					lfm__frame_wait(f, s);
				s = atomic_load_explicit(&f->state,
							 memory_order_acquire);
				continue;
			}
			if (r != LFM_PIN_OK)
				break; /* it holds another page now */
			mark_open_checkpoint(mp, f, it.tag);
			(void)lfm__unpin_direct(mp, f, LFM_F_DIRTY, 0);
			break;
		}
	}
}

void lfm__flush_begin(struct lfm__pool *mp, int64_t slot, uint32_t *fails0)
{
	struct lfm__region_hdr *rh = mp->rh;
	for (uint32_t s = 0; s < rh->nfiles_max; s++)
		if (slot < 0 || (int64_t)s == slot)
			fails0[s] =
			    atomic_load_explicit(&lfm__files(rh)[s].sync_fails,
						 memory_order_acquire);
}

int lfm__flush_durable(struct lfm__pool *mp, int64_t slot, const uint8_t *wrote,
		       const uint32_t *fails0, uint8_t *bad)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__tls_node *t = lfm__tls(mp);
	int err = 0;
	for (uint32_t s = 0; s < rh->nfiles_max; s++) {
		if (slot >= 0 && (int64_t)s != slot)
			continue;
		struct lfm__file *file = &lfm__files(rh)[s];
		int rc = 0;
		int fd = lfm__pfile_wfd(mp, s);
		/* Nothing this process can have written: no fdatasync. */
		if (fd >= 0 && (atomic_exchange_explicit(
				    &file->unsynced, 0, memory_order_acq_rel) ||
				wrote[s])) {
			lfm__stat_add(t, rh, s, LFM_ST_FSYNC, 1);
			rc = lfm__fdatasync(fd);
		}
		if (rc != 0) {
			/* Counted twice: at once, for the syncs under way
			 * now, and once the pages are dirty again, for those
			 * that began meanwhile and may have found them clean.
			 * Release: whoever sees a count moved sees the error
			 * (and, after the second, the pages dirty). */
			atomic_store_explicit(&file->sync_err, rc,
					      memory_order_relaxed);
			atomic_fetch_add_explicit(&file->sync_fails, 1,
						  memory_order_release);
			lfm__stat_add(t, rh, s, LFM_ST_FSYNC_ERR, 1);
			atomic_store_explicit(&file->unsynced, 1,
					      memory_order_relaxed);
			redirty_file(mp, s);
			atomic_fetch_add_explicit(&file->sync_fails, 1,
						  memory_order_release);
		} else if (atomic_load_explicit(&file->sync_fails,
						memory_order_acquire) !=
			   fails0[s]) {
			/* Another sync's fdatasync failed since ours began:
			 * writes we cover may be lost, and the pages still
			 * cached are dirty again. */
			rc = atomic_load_explicit(&file->sync_err,
						  memory_order_relaxed);
			if (rc == 0)
				rc = EIO;
		}
		if (rc != 0) {
			if (bad != NULL)
				bad[s] = 1;
			if (err == 0)
				err = rc;
		}
	}
	return err;
}

int lfm__flush(struct lfm__pool *mp, int64_t slot, int pinned_too)
{
	/* It writes, fdatasyncs and waits for frames in EXCL. */
	LFM_ASSERT(!lfm__rank_held_any(LFM_RANK_BUCKET));
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__frame *frames = lfm__frames(rh);
	uint8_t *wrote = calloc(rh->nfiles_max, 1);
	uint32_t *fails0 = calloc(rh->nfiles_max, sizeof(*fails0));
	struct lfm__wb_buf buf = {NULL, 0};
	struct lfm__tls_node *t = lfm__tls(mp);
	struct lfm__scan it;
	uint32_t nc = 0;
	int err = 0;

	lfm__scan_init(&it, rh, 0, UINT32_MAX, slot, 0);
	if (wrote == NULL || fails0 == NULL ||
	    lfm__scan_reserve(&it, &buf) != 0) {
		free(wrote);
		free(fails0);
		free(buf.c);
		return ENOMEM;
	}
	struct lfm__wb_cand *cand = buf.c;
	lfm__flush_begin(mp, slot, fails0);
	while (lfm__scan_next(&it))
		if ((it.state & (LFM_F_VALID | LFM_F_DIRTY)) ==
		    (LFM_F_VALID | LFM_F_DIRTY))
			lfm__scan_cand(&it, &cand[nc++]);
	struct lfm__wb_opts o = {.wait_excl = 1};
	struct lfm__wb_result res = {0};
	lfm__wb_write(mp, cand, nc, &o, t, &res);
	err = res.err;
	for (uint32_t i = 0; i < nc; i++) {
		uint32_t fs = lfm__tag_slot(cand[i].tag);
		if (cand[i].result == LFM_WB_PINNED && pinned_too) {
			int rc = write_pinned(mp, &frames[cand[i].idx],
					      cand[i].tag, t);
			if (rc > 0 && err == 0)
				err = rc;
			if (rc == 0)
				cand[i].result = LFM_WB_WRITTEN;
		}
		if (cand[i].result == LFM_WB_WRITTEN)
			wrote[fs] = 1;
	}
	/* Durability: what this call wrote, and what flushers and evictions
	 * wrote before it, is on stable storage before it reports success. */
	int rc = lfm__flush_durable(mp, slot, wrote, fails0, NULL);
	if (err == 0)
		err = rc;
	free(cand);
	free(wrote);
	free(fails0);
	if (err != 0)
		return err;
	return res.npinned > 0 && !pinned_too ? LFM_INCOMPLETE : 0;
}

uint32_t lfm__flush_discard_file(struct lfm__pool *mp, uint32_t slot)
{
	LFM_ASSERT(lfm__rank_held(&mp->lock)); /* the file's last close */
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__scan it;
	uint32_t left = 0;

	lfm__scan_init(&it, rh, 0, UINT32_MAX, slot, 0);
	while (lfm__scan_next(&it)) {
		struct lfm__frame *f = it.f;
		lfm__tcache_steal(rh, f, mp->plog);
		if (!lfm__frame_try_excl(f, LFM_F_VALID, mp->owner_bits)) {
			left++;
			continue;
		}
		if (atomic_load_explicit(&f->tag, memory_order_relaxed) !=
		    it.tag) {
			lfm__frame_release_excl(f, 0, 0);
			continue;
		}
		/* Not written: the file goes away with its handle. */
		atomic_fetch_and_explicit(&f->state, ~LFM_F_DIRTY,
					  memory_order_relaxed);
		lfm__victim_evict(mp, f, lfm__tls(mp));
		lfm__frame_release_excl(f, 0, 0);
	}
	return left;
}
