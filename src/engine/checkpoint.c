/* checkpoint.c - memp_sync's checkpoints (see checkpoint.h). */
#include "checkpoint.h"
#include "lockrank.h"

#include "filesync.h"
#include "ftab.h"
#include "scan.h"
#include "pagewrite.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Puts every page that is dirty or pinned now in generation gen's set. A
 * page is marked under its bucket lock and only while its frame is linked
 * with its tag: an eviction unlinks under the same lock and clears the
 * mark after, so no mark outlives the page's stay in its frame. */
static void mark(struct lfm__pool *mp, uint64_t gen)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__scan it;

	lfm__scan_init(&it, rh, 0, UINT32_MAX, -1, 0);
	while (lfm__scan_next(&it)) {
		/* Thread-cache references (SLOTREF) may be pins (HELD
		 * entries): marked too; judged when the set is written. */
		if (!(it.state & LFM_F_VALID) ||
		    !(it.state & (LFM_F_DIRTY | LFM_F_REFS_MASK)))
			continue;
		struct lfm__bucket *b = lfm__ftab_bucket(rh, it.tag);
		uint32_t examined = 0;
		lfm__mutex_lock_ranked(&b->lock, mp->lock_owner,
				       LFM_RANK_BUCKET);
		if (lfm__ftab_find(rh, b, it.tag, &examined) == it.f)
			atomic_store_explicit(&it.f->ckpt, gen,
					      memory_order_relaxed);
		lfm__mutex_unlock_ranked(&b->lock);
	}
}

/* Joins the open checkpoint, or starts (and marks) a new one. Returns its
 * generation. */
static uint64_t begin(struct lfm__pool *mp, uint64_t want)
{
	struct lfm__ckpt_part *cp = lfm__ckpt_part(mp->rh);
	for (;;) {
		uint64_t s =
		    atomic_load_explicit(&cp->state, memory_order_acquire);
		uint64_t g = s >> 2;
		unsigned phase = (unsigned)(s & 3);
		if (phase != LFM_CKPT_CLOSED &&
		    want <=
			atomic_load_explicit(&cp->lsn, memory_order_relaxed)) {
			if (phase == LFM_CKPT_MARKING) {
				/* Its starter may still be marking, or dead:
				 * mark too (the same pages), then open it. */
				mark(mp, g);
				atomic_compare_exchange_strong_explicit(
				    &cp->state, &s, g << 2 | LFM_CKPT_OPEN,
				    memory_order_acq_rel, memory_order_relaxed);
			}
			return g;
		}
		uint64_t next = (g + 1) << 2 | LFM_CKPT_MARKING;
		if (!atomic_compare_exchange_strong_explicit(
			&cp->state, &s, next, memory_order_acq_rel,
			memory_order_relaxed))
			continue;
		atomic_store_explicit(&cp->lsn, want, memory_order_relaxed);
		atomic_store_explicit(&cp->max, 0, memory_order_relaxed);
		atomic_store_explicit(&cp->wrote, 0, memory_order_relaxed);
		mark(mp, g + 1);
		atomic_compare_exchange_strong_explicit(
		    &cp->state, &next, (g + 1) << 2 | LFM_CKPT_OPEN,
		    memory_order_acq_rel, memory_order_relaxed);
		return g + 1;
	}
}

/* Whether a user pins f, which held `tag` (a page that moved is not). */
static int pinned(struct lfm__region_hdr *rh, struct lfm__frame *f,
		  uint64_t tag)
{
	uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
	if (atomic_load_explicit(&f->tag, memory_order_relaxed) != tag)
		return 0;
	return lfm__st_direct(s) != 0 ||
	       (lfm__st_slotref(s) != 0 && lfm__tcache_held(rh, f, 0));
}

/* Raises the checkpoint's largest written LSN to `lsn`. */
static void note_lsn(struct lfm__region_hdr *rh, const struct lfm__lsn *lsn)
{
	struct lfm__ckpt_part *cp = lfm__ckpt_part(rh);
	uint64_t v = lfm__lsn_u64(lsn);
	uint64_t cur = atomic_load_explicit(&cp->max, memory_order_relaxed);
	while ((cur < v ||
		!atomic_load_explicit(&cp->wrote, memory_order_relaxed)) &&
	       !atomic_compare_exchange_weak_explicit(&cp->max, &cur, v,
						      memory_order_relaxed,
						      memory_order_relaxed))
		;
	atomic_store_explicit(&cp->wrote, 1, memory_order_relaxed);
}

/* Writes what is left of the marked set (marks of any generation: an
 * older one's pages are in the newer set too, or done) and makes it
 * durable. *left gets the pages still in it. */
static int write_set(struct lfm__pool *mp, const uint32_t *fails0,
		     uint32_t *left)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__frame *frames = lfm__frames(rh);
	struct lfm__wb_buf buf = {NULL, 0};
	uint8_t *wrote = calloc(rh->nfiles_max, 1);
	uint8_t *bad = calloc(rh->nfiles_max, 1);
	struct lfm__scan it;
	int err = 0;

	*left = 0;
	lfm__scan_init(&it, rh, 0, UINT32_MAX, -1, 0);
	if (lfm__scan_reserve(&it, &buf) != 0 || wrote == NULL || bad == NULL) {
		free(buf.c);
		free(wrote);
		free(bad);
		return ENOMEM;
	}
	/* Dirty pages at the front (to write), clean ones at the back. */
	struct lfm__wb_cand *cand = buf.c;
	uint32_t n = buf.cap, nd = 0, back = n;
	while (lfm__scan_next(&it)) {
		uint64_t m =
		    atomic_load_explicit(&it.f->ckpt, memory_order_relaxed);
		if (m == 0)
			continue;
		struct lfm__wb_cand *c =
		    (it.state & LFM_F_DIRTY) ? &cand[nd++] : &cand[--back];
		lfm__scan_cand(&it, c);
		c->usage = 0;
		c->ckpt = m;
	}
	/* The clean ones follow the dirty ones: cand[0..nc). */
	uint32_t nc = nd + (n - back);
	memmove(&cand[nd], &cand[back], sizeof(*cand) * (n - back));
	struct lfm__wb_opts o = {.wait_excl = 1};
	struct lfm__wb_result res = {0};
	lfm__wb_write(mp, cand, nd, &o, lfm__tls(mp), &res);
	atomic_fetch_add_explicit(&rh->ckpt_pages, res.nwrote,
				  memory_order_relaxed);
	err = res.err;
	for (uint32_t i = 0; i < nc; i++) {
		struct lfm__wb_cand *c = &cand[i];
		if (c->result == LFM_WB_WRITTEN)
			wrote[lfm__tag_slot(c->tag)] = 1;
		else if (c->result == LFM_WB_SKIPPED &&
			 pinned(rh, &frames[c->idx], c->tag))
			c->result = LFM_WB_PINNED; /* clean, but its holder may
						     put it dirty */
	}
	int rc = lfm__flush_durable(mp, -1, wrote, fails0, bad);
	if (err == 0)
		err = rc;
	/* Out of the set: pages written (and made durable) and pages found
	 * clean and unpinned. By CAS from the mark seen: a newer
	 * checkpoint's mark stays. */
	for (uint32_t i = 0; i < nc; i++) {
		struct lfm__wb_cand *c = &cand[i];
		struct lfm__frame *f = &frames[c->idx];
		if ((c->result != LFM_WB_WRITTEN &&
		     c->result != LFM_WB_SKIPPED) ||
		    bad[lfm__tag_slot(c->tag)]) {
			(*left)++;
			continue;
		}
		uint64_t m = c->ckpt;
		if (atomic_load_explicit(&f->tag, memory_order_relaxed) ==
		    c->tag)
			atomic_compare_exchange_strong_explicit(
			    &f->ckpt, &m, 0, memory_order_relaxed,
			    memory_order_relaxed);
	}
	if (res.has_lsn)
		note_lsn(rh, &res.max_lsn);
	free(cand);
	free(wrote);
	free(bad);
	return err;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int checkpoint(struct lfm__pool *mp, struct lfm__lsn *lsn)
{
	struct lfm__region_hdr *rh = mp->rh;
	uint32_t *fails0 = calloc(rh->nfiles_max, sizeof(*fails0));
	if (fails0 == NULL)
		return ENOMEM;
	lfm__flush_begin(mp, -1, fails0);
	uint64_t gen = begin(mp, lfm__lsn_u64(lsn));
	uint32_t left = 0;
	int err = write_set(mp, fails0, &left);
	free(fails0);
	if (err != 0)
		return err;
	if (left > 0)
		return LFM_INCOMPLETE;
	struct lfm__ckpt_part *cp = lfm__ckpt_part(rh);
	uint64_t open = gen << 2 | LFM_CKPT_OPEN;
	atomic_compare_exchange_strong_explicit(
	    &cp->state, &open, gen << 2 | LFM_CKPT_CLOSED, memory_order_acq_rel,
	    memory_order_relaxed);
	if (atomic_load_explicit(&cp->wrote, memory_order_relaxed)) {
		uint64_t v =
		    atomic_load_explicit(&cp->max, memory_order_relaxed);
		lsn->file = (u_int32_t)(v >> 32);
		lsn->offset = (u_int32_t)v;
	}
	return 0;
}

int lfm__pool_checkpoint(struct lfm__pool *mp, struct lfm__lsn *lsn)
{
	LFM_ASSERT(lfm__rank_none_held()); /* an API entry */
	struct lfm__region_hdr *rh = mp->rh;
	uint64_t t0 = now_ns();
	int rc = checkpoint(mp, lsn);
	atomic_fetch_add_explicit(&rh->ckpt_calls, 1, memory_order_relaxed);
	if (rc == LFM_INCOMPLETE)
		atomic_fetch_add_explicit(&rh->ckpt_incomplete, 1,
					  memory_order_relaxed);
	atomic_store_explicit(&rh->ckpt_last_ns, now_ns() - t0,
			      memory_order_relaxed);
	return rc;
}
