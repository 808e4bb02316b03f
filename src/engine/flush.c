/* flush.c - writing dirty pages back (see flush.h). */
#include "flush.h"
#include "lockrank.h"
#include "pfile.h"

#include "victim.h"
#include "ftab.h"
#include "fileio.h"
#include "pageio.h"
#include "pins.h"
#include "writeback.h"

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
		int rc = lfm__page_write_copy(mp, f, tag, t);
		(void)lfm__unpin_direct(mp, f, 0, 0);
		return rc;
	}
}

/* fdatasync failed for file `slot`: the kernel may have dropped what we
 * wrote, so the pages this call wrote that are still cached, unchanged in
 * identity, are marked dirty again (under a pin of our own, which freezes
 * the tag) for the next sync to write. */
static void redirty(struct lfm__pool *mp, const struct lfm__wb_cand *c,
		    uint32_t n, uint32_t slot)
{
	struct lfm__frame *frames = lfm__frames(mp->rh);
	for (uint32_t i = 0; i < n; i++) {
		if (c[i].result != LFM_WB_WRITTEN ||
		    lfm__tag_slot(c[i].tag) != slot)
			continue;
		struct lfm__frame *f = &frames[c[i].idx];
		if (lfm__pin_direct(mp, f, c[i].tag) == LFM_PIN_OK)
			(void)lfm__unpin_direct(mp, f, LFM_F_DIRTY, 0);
	}
}

/* Takes the background write error of file s (reported once). */
static int take_bg_err(struct lfm__region_hdr *rh, uint32_t s)
{
	return atomic_exchange_explicit(&lfm__files(rh)[s].bg_err, 0,
					memory_order_relaxed);
}

int lfm__flush_durable(struct lfm__pool *mp, int64_t slot, const uint8_t *wrote,
		       const struct lfm__wb_cand *c, uint32_t n, uint8_t *bad)
{
	struct lfm__region_hdr *rh = mp->rh;
	int err = 0;
	for (uint32_t s = 0; s < rh->nfiles_max; s++) {
		if (slot >= 0 && (int64_t)s != slot)
			continue;
		struct lfm__file *file = &lfm__files(rh)[s];
		if (!atomic_exchange_explicit(&file->unsynced, 0,
					      memory_order_acq_rel) &&
		    !wrote[s])
			continue;
		int fd = lfm__pfile_wfd(mp, s);
		if (fd < 0)
			continue; /* nothing this process can have written */
		int rc = lfm__fdatasync(fd);
		if (rc != 0) {
			atomic_store_explicit(&file->unsynced, 1,
					      memory_order_relaxed);
			redirty(mp, c, n, s);
			if (bad != NULL)
				bad[s] = 1;
			if (err == 0)
				err = rc;
		}
	}
	/* A flusher's failed write is the next sync's to report. */
	for (uint32_t s = 0; s < rh->nfiles_max; s++) {
		if (slot >= 0 && (int64_t)s != slot)
			continue;
		int bg = take_bg_err(rh, s);
		if (bg != 0 && err == 0)
			err = bg;
	}
	return err;
}

int lfm__flush(struct lfm__pool *mp, int64_t slot, int pinned_too)
{
	/* It writes, fdatasyncs and waits for frames in EXCL. */
	LFM_ASSERT(!lfm__rank_held_any(LFM_RANK_BUCKET));
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__frame *frames = lfm__frames(rh);
	uint32_t n = atomic_load_explicit(&rh->nframes, memory_order_acquire);
	uint8_t *wrote = calloc(rh->nfiles_max, 1);
	struct lfm__wb_cand *cand = malloc(sizeof(*cand) * (n ? n : 1));
	struct lfm__tls_node *t = lfm__tls(mp);
	uint32_t nc = 0;
	int err = 0;

	if (wrote == NULL || cand == NULL) {
		free(wrote);
		free(cand);
		return ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		/* Acquire: a page seen clean was written, and its writer's
		 * `unsynced` mark is then seen below. */
		uint32_t s = atomic_load_explicit(&frames[i].state,
						  memory_order_acquire);
		if ((s & (LFM_F_VALID | LFM_F_DIRTY)) !=
		    (LFM_F_VALID | LFM_F_DIRTY))
			continue;
		uint64_t tag =
		    atomic_load_explicit(&frames[i].tag, memory_order_relaxed);
		if (tag == 0 || (slot >= 0 && lfm__tag_slot(tag) != slot))
			continue;
		cand[nc].tag = tag;
		cand[nc].idx = i;
		cand[nc].usage = 0;
		cand[nc].ckpt = 0;
		nc++;
	}
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
	int rc = lfm__flush_durable(mp, slot, wrote, cand, nc, NULL);
	if (err == 0)
		err = rc;
	free(cand);
	free(wrote);
	if (err != 0)
		return err;
	return res.npinned > 0 && !pinned_too ? LFM_INCOMPLETE : 0;
}

uint32_t lfm__flush_discard_file(struct lfm__pool *mp, uint32_t slot)
{
	LFM_ASSERT(lfm__rank_held(&mp->lock)); /* the file's last close */
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
		lfm__tcache_steal(rh, f, tag, mp->plog);
		if (!lfm__frame_try_excl(f, LFM_F_VALID, mp->owner_bits)) {
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
		lfm__victim_evict(mp, f, lfm__tls(mp));
		lfm__frame_release_excl(f, 0, 0);
	}
	return left;
}
