/* flush.c - writing dirty pages back (see flush.h). */
#include "flush.h"

#include "clock.h"
#include "ftab.h"
#include "pageio.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int lsn_less(const DB_LSN *a, const DB_LSN *b)
{
	return a->file < b->file ||
	       (a->file == b->file && a->offset < b->offset);
}

static int hint_qualifies(struct lfm__region_hdr *rh, struct lfm__frame *f,
			  uint64_t tag, const DB_LSN *limit)
{
	if (atomic_load_explicit(&lfm__files(rh)[lfm__tag_slot(tag)].lsn_offset,
				 memory_order_relaxed) < 0)
		return 1;
	uint64_t h = atomic_load_explicit(&f->lsn_hint, memory_order_relaxed);
	DB_LSN lsn = {(u_int32_t)(h >> 32), (u_int32_t)h};
	return lsn_less(&lsn, limit);
}

/* Takes EXCL on a dirty frame of the wanted file, stealing thread-cache
 * references if needed. 1: taken; 0: not dirty any more or not ours;
 * -1: pinned by a user. */
static int take_dirty(struct lfm__region_hdr *rh, struct lfm__frame *f,
		      int64_t slot, const DB_LSN *limit, uint64_t *tag)
{
	for (;;) {
		uint32_t s =
		    atomic_load_explicit(&f->state, memory_order_acquire);
		if ((s & (LFM_F_VALID | LFM_F_DIRTY)) !=
		    (LFM_F_VALID | LFM_F_DIRTY))
			return 0;
		*tag = atomic_load_explicit(&f->tag, memory_order_relaxed);
		if (*tag == 0 || (slot >= 0 && lfm__tag_slot(*tag) != slot))
			return 0;
		if (s & LFM_F_EXCL) {
			/* Someone is writing or evicting it: wait, look again.
			 */
			lfm__frame_wait(f, s);
			continue;
		}
		if (lfm__st_direct(s) != 0 ||
		    (lfm__st_slotref(s) != 0 &&
		     lfm__tcache_steal(rh, f, *tag) == 0)) {
			/* Pinned by a user. It counts against the sync only if
			 * it qualifies, judged by its LSN hint (the bytes are
			 * the user's while pinned). */
			if (limit != NULL &&
			    !hint_qualifies(rh, f, *tag, limit))
				return 0;
			return -1;
		}
		if (lfm__st_slotref(s) != 0)
			continue;
		if (lfm__frame_try_excl(f, LFM_F_VALID | LFM_F_DIRTY)) {
			/* The tag cannot move under EXCL; recheck it. */
			if (atomic_load_explicit(&f->tag,
						 memory_order_relaxed) == *tag)
				return 1;
			lfm__frame_release_excl(f, 0, 0);
		}
	}
}

/* mpool_sync's pinned dirty page: pin it ourselves (so it cannot change
 * identity), write a copy. 0, an error, or -1 if it went away. */
static int write_pinned(DB_MPOOL *mp, struct lfm__frame *f, uint64_t tag,
			struct lfm__tls_node *t)
{
	for (;;) {
		enum lfm__pin_result r =
		    lfm__frame_pin(f, tag, LFM_F_DIRECT_ONE);
		if (r == LFM_PIN_BUSY) {
			uint32_t s = atomic_load_explicit(&f->state,
							  memory_order_acquire);
			if (s & LFM_F_EXCL)
				lfm__frame_wait(f, s);
			continue;
		}
		if (r != LFM_PIN_OK)
			return -1;
		int rc = lfm__page_write_copy(mp, f, tag, t);
		lfm__frame_unpin(f, LFM_F_DIRECT_ONE, 0, 0);
		return rc;
	}
}

int lfm__flush(DB_MPOOL *mp, int64_t slot, const DB_LSN *limit, DB_LSN *max_lsn,
	       int *wrote_lsn, int pinned_too)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__frame *frames = lfm__frames(rh);
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_acquire);
	uint8_t *wrote = calloc(rh->nfiles_max, 1);
	int err = 0, incomplete = 0;
	struct lfm__tls_node *t = lfm__tls(mp);

	if (wrote == NULL)
		return ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		struct lfm__frame *f = &frames[i];
		uint64_t tag;
		int r = take_dirty(rh, f, slot, limit, &tag);
		if (r < 0 && pinned_too) {
			int rc = write_pinned(mp, f, tag, t);
			if (rc > 0 && err == 0)
				err = rc;
			if (rc == 0)
				wrote[lfm__tag_slot(tag)] = 1;
			continue;
		}
		if (r < 0)
			incomplete = 1;
		if (r <= 0)
			continue;
		uint32_t fs = lfm__tag_slot(tag);
		struct lfm__file *file = &lfm__files(rh)[fs];
		DB_LSN lsn = {0, 0};
		int32_t off = atomic_load_explicit(&file->lsn_offset,
						   memory_order_relaxed);
		int has_lsn = limit != NULL && max_lsn != NULL && off >= 0;
		if (has_lsn) {
			memcpy(&lsn, (char *)lfm__frame_page(rh, f) + off,
			       sizeof(lsn));
			if (!lsn_less(&lsn, limit)) {
				lfm__frame_release_excl(f, 0, 0);
				continue;
			}
		}
		int rc = lfm__page_write(mp, f, tag, t);
		lfm__frame_release_excl(f, 0, 0);
		if (rc != 0) {
			if (err == 0)
				err = rc;
			continue;
		}
		wrote[fs] = 1;
		if (has_lsn && (!*wrote_lsn || lsn_less(max_lsn, &lsn))) {
			*max_lsn = lsn;
			*wrote_lsn = 1;
		}
	}
	/* Durability: what this call wrote is on stable storage before it
	 * reports success. */
	for (uint32_t s = 0; s < rh->nfiles_max; s++) {
		if (wrote[s] && fdatasync(mp->pfiles[s].fd_rw) != 0 && err == 0)
			err = errno;
	}
	free(wrote);
	if (err != 0)
		return err;
	return incomplete ? DB_INCOMPLETE : 0;
}

uint32_t lfm__flush_discard_file(DB_MPOOL *mp, uint32_t slot)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__frame *frames = lfm__frames(rh);
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_acquire);
	uint32_t left = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct lfm__frame *f = &frames[i];
		uint64_t tag =
		    atomic_load_explicit(&f->tag, memory_order_relaxed);
		if (tag == 0 || lfm__tag_slot(tag) != slot)
			continue;
		lfm__tcache_steal(rh, f, tag);
		if (!lfm__frame_try_excl(f, LFM_F_VALID)) {
			left++;
			continue;
		}
		if (atomic_load_explicit(&f->tag, memory_order_relaxed) !=
		    tag) {
			lfm__frame_release_excl(f, 0, 0);
			continue;
		}
		/* Not written: the file goes away with its handle. */
		atomic_fetch_and_explicit(&f->state, ~LFM_F_DIRTY,
					  memory_order_relaxed);
		lfm__clock_evict(mp, f, lfm__tls(mp));
		lfm__frame_release_excl(f, 0, 0);
	}
	return left;
}
