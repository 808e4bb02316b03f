/*
 * Unit tests of the per-thread pin caches (src/tcache.h, src/tcache.c):
 * claim, ghost admission, insert / get / put, steal, foreign put,
 * to_direct and release, checking the frame state word exactly after each
 * step. One thread plays owner, thief and foreign putter ("any caller").
 *
 * A 64 KiB region gives every handle one set of LFM_TC_WAYS ways, so all
 * tags share a set: that is what lets the tests fill and recycle it.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"
#include "hash.h"
#include "region.h"
#include "tcache.h"
#include "unit_check.h"
#include "unit_region.h"

#define OWNER 0x51u

#define V  LFM_F_VALID
#define U1 LFM_F_USAGE_ONE
#define S1 LFM_F_SLOTREF_ONE
#define D1 LFM_F_DIRECT_ONE

static struct lfm__region_hdr *new_region(void)
{
	return unit_region(4, 4, LFM_TC_WAYS); /* one set: fillable */
}

static uint64_t tag_n(uint32_t n)
{
	return lfm__tag(0, n);
}

/* Carves a frame and makes it hold `tag`, VALID, unpinned: state VALID. */
static struct lfm__frame *valid_frame(struct lfm__region_hdr *rh, uint64_t tag)
{
	int64_t i = lfm__region_carve(rh, 4096, 0);
	if (i < 0)
		return NULL;
	struct lfm__frame *f = &lfm__frames(rh)[i];
	atomic_store_explicit(&f->tag, tag, memory_order_relaxed);
	lfm__frame_release_excl(f, LFM_F_VALID, 0);
	return f;
}

static uint32_t st(struct lfm__frame *f)
{
	return atomic_load(&f->state);
}

static struct lfm__tc_entry *entries(struct lfm__handle *h)
{
	return (struct lfm__tc_entry *)(h + 1);
}

/* The entry whose word names frame f, or NULL. */
static struct lfm__tc_entry *entry_of(struct lfm__region_hdr *rh,
				      struct lfm__handle *h,
				      struct lfm__frame *f)
{
	uint32_t fi = lfm__frame_idx(rh, f) + 1;
	for (uint32_t k = 0; k < rh->tc_sets * rh->tc_ways; k++)
		if ((uint32_t)atomic_load(&entries(h)[k].word) == fi)
			return &entries(h)[k];
	return NULL;
}

/* The count of f's entry in h (-1: no entry). */
static int64_t count_of(struct lfm__region_hdr *rh, struct lfm__handle *h,
			struct lfm__frame *f)
{
	struct lfm__tc_entry *e = entry_of(rh, h, f);
	return e == NULL ? -1 : (int64_t)lfm__tc_count(atomic_load(&e->word));
}

static int64_t get(struct lfm__region_hdr *rh, struct lfm__handle *h,
		   uint64_t tag)
{
	struct lfm__tc_entry *ghost;
	return lfm__tcache_get(rh, h, tag, lfm__hash_tag(tag), &ghost);
}

static int put(struct lfm__region_hdr *rh, struct lfm__handle *h,
	       struct lfm__frame *f, uint64_t tag)
{
	return lfm__tcache_put(rh, h, f, lfm__hash_tag(tag), 0, 0, 0, NULL);
}

static enum lfm__pin_result insert(struct lfm__region_hdr *rh,
				   struct lfm__handle *h, struct lfm__frame *f,
				   uint64_t tag)
{
	return lfm__tcache_insert(rh, h, f, tag, lfm__hash_tag(tag), NULL);
}

static struct lfm__handle *claim(struct lfm__region_hdr *rh, uint32_t id)
{
	int i = lfm__tcache_claim(rh, id, 0);
	return i < 0 ? NULL : lfm__handle_at(rh, (uint32_t)i);
}

static void test_geometry_and_claim(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	CHECK_EQ(rh->tc_ways, LFM_TC_WAYS);
	CHECK(rh->tc_sets >= 1 && (rh->tc_sets & (rh->tc_sets - 1)) == 0);
	CHECK_EQ(atomic_load(&rh->handles_hiwater), 0);
	for (uint32_t i = 0; i < 4; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		CHECK_EQ(atomic_load(&h->owner), 0);
		CHECK_EQ((uintptr_t)h % LFM_CACHELINE, 0);
	}
	for (uint32_t i = 0; i < 4; i++) {
		CHECK_EQ(lfm__tcache_claim(rh, 100 + i, 0), i);
		CHECK_EQ(atomic_load(&lfm__handle_at(rh, i)->owner), 100 + i);
		CHECK_EQ(atomic_load(&rh->handles_hiwater), i + 1);
	}
	CHECK_EQ(lfm__tcache_claim(rh, 200, 0), -1); /* all taken */
	/* Releasing an empty handle frees it; the next claim reuses it. */
	CHECK_EQ(lfm__tcache_release(rh, lfm__handle_at(rh, 2), NULL), 0);
	CHECK_EQ(atomic_load(&lfm__handle_at(rh, 2)->owner), 0);
	CHECK_EQ(lfm__tcache_claim(rh, 300, 0), 2);
	CHECK_EQ(atomic_load(&rh->handles_hiwater), 4);
	lfm__region_destroy_private(rh);
}

static void test_ghost_admission(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(7);
	struct lfm__frame *f = valid_frame(rh, t);
	struct lfm__handle *h = claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);

	/* First use: absent, with an unreferenced way offered. */
	struct lfm__tc_entry *ghost = NULL;
	CHECK_EQ(lfm__tcache_get(rh, h, t, lfm__hash_tag(t), &ghost),
		 LFM_TC_ABSENT);
	REQUIRE(ghost != NULL);
	CHECK_EQ(atomic_load(&ghost->word), 0);
	CHECK_EQ(lfm__frame_pin(f, t, D1), LFM_PIN_OK); /* direct pin */
	lfm__tcache_note(ghost, t);
	CHECK_EQ(lfm__frame_unpin(f, D1, 0, 0), 0);
	CHECK_EQ(st(f), V | U1);
	/* Second use: the ghost says "insert". */
	CHECK_EQ(get(rh, h, t), LFM_TC_GHOST);
	CHECK_EQ(st(f), V | U1);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(st(f), V | S1 | 2 * U1);
	/* The ghost's way was reused for the entry. */
	CHECK(entry_of(rh, h, f) == ghost);
	CHECK_EQ(ghost->tag, t);
	CHECK_EQ(count_of(rh, h, f), 1);
	CHECK_EQ(put(rh, h, f, t), 0);

	/* Ghosts of a previous owner are forgotten at the next claim. */
	CHECK_EQ(lfm__tcache_release(rh, h, NULL), 0);
	CHECK_EQ(st(f), V | 2 * U1);
	struct lfm__handle *h2 = claim(rh, OWNER + 1);
	REQUIRE(h2 == h);
	CHECK_EQ(get(rh, h2, t), LFM_TC_ABSENT);
	lfm__region_destroy_private(rh);
}

/* Item 4's walk: insert, get, put, put, steal, ghost. */
static void test_lifecycle_insert_get_put_steal(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(1);
	struct lfm__frame *f = valid_frame(rh, t);
	struct lfm__handle *h = claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	CHECK_EQ(st(f), V);

	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(lfm__st_slotref(st(f)), 1);
	CHECK_EQ(count_of(rh, h, f), 1);

	/* A hit through the cache: the entry, not the frame, changes. */
	CHECK_EQ(get(rh, h, t), lfm__frame_idx(rh, f));
	CHECK_EQ(count_of(rh, h, f), 2);
	CHECK_EQ(st(f), V | S1 | U1);

	CHECK_EQ(put(rh, h, f, t), 0);
	CHECK_EQ(count_of(rh, h, f), 1);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(put(rh, h, f, t), 0);
	CHECK_EQ(count_of(rh, h, f), 0); /* CACHED */
	CHECK_EQ(st(f), V | S1 | U1);	 /* SLOTREF still 1 */
	CHECK_EQ(put(rh, h, f, t), -1);	 /* no pin left */
	CHECK_EQ(st(f), V | S1 | U1);
	/* A CACHED frame is still "pinned" for EXCL. */
	CHECK_EQ(lfm__frame_try_excl(f, 0, 0), 0);

	/* A thief empties it and drops the SLOTREF. */
	CHECK_EQ(lfm__tcache_steal(rh, f, t, NULL), 1);
	CHECK_EQ(st(f), V | U1);
	CHECK(entry_of(rh, h, f) == NULL);
	CHECK_EQ(lfm__tcache_steal(rh, f, t, NULL), 0); /* nothing left */
	CHECK_EQ(st(f), V | U1);

	/* The owner's next use finds a ghost (still hot), and re-inserts. */
	CHECK_EQ(get(rh, h, t), LFM_TC_GHOST);
	CHECK_EQ(st(f), V | U1);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(st(f), V | S1 | 2 * U1);
	CHECK_EQ(count_of(rh, h, f), 1);
	CHECK_EQ(put(rh, h, f, t), 0);
	CHECK_EQ(lfm__tcache_steal(rh, f, t, NULL), 1);
	CHECK_EQ(st(f), V | 2 * U1);
	/* Now the frame can be taken. */
	CHECK_EQ(lfm__frame_try_excl(f, V, 0), 1);
	lfm__region_destroy_private(rh);
}

static void test_held_never_stolen(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(2);
	struct lfm__frame *f = valid_frame(rh, t);
	struct lfm__handle *h = claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, t), lfm__frame_idx(rh, f));
	for (int i = 0; i < 3; i++)
		CHECK_EQ(lfm__tcache_steal(rh, f, t, NULL), 0);
	CHECK_EQ(count_of(rh, h, f), 2);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(put(rh, h, f, t), 0);
	CHECK_EQ(lfm__tcache_steal(rh, f, t, NULL), 0); /* HELD(1) */
	CHECK_EQ(count_of(rh, h, f), 1);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(put(rh, h, f, t), 0);
	CHECK_EQ(lfm__tcache_steal(rh, f, t, NULL), 1); /* CACHED now */
	CHECK_EQ(st(f), V | U1);
	lfm__region_destroy_private(rh);
}

/* The CLOCK sweep's aging (lfm__tcache_age): a CACHED entry used since
 * the last pass (REF) loses REF and stays, and the sweep is told; one not
 * used since is stolen. HELD entries stay either way (and keep REF);
 * other thieves ignore REF. */
static void test_age_spares_used_entries(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(9);
	struct lfm__frame *f = valid_frame(rh, t);
	struct lfm__handle *h = claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	int used = -1;
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(put(rh, h, f, t), 0);
	struct lfm__tc_entry *e = entry_of(rh, h, f);
	REQUIRE(e != NULL);
	/* An insert is a pin of the frame (USAGE), not a use of the entry. */
	CHECK_EQ(atomic_load(&e->word) & LFM_TC_REF, 0);

	/* Used through the cache: REF. */
	CHECK_EQ(get(rh, h, t), lfm__frame_idx(rh, f));
	CHECK(atomic_load(&e->word) & LFM_TC_REF);
	CHECK_EQ(lfm__tcache_age(rh, f, t, &used, NULL), 0); /* HELD(1): kept */
	CHECK_EQ(used, 1);
	CHECK(atomic_load(&e->word) & LFM_TC_REF);
	CHECK_EQ(put(rh, h, f, t), 0);
	CHECK(atomic_load(&e->word) & LFM_TC_REF); /* the put keeps it */

	/* First pass: another turn, REF cleared, SLOTREF kept. */
	CHECK_EQ(lfm__tcache_age(rh, f, t, &used, NULL), 0);
	CHECK_EQ(used, 1);
	CHECK(entry_of(rh, h, f) == e);
	CHECK_EQ(atomic_load(&e->word) & LFM_TC_REF, 0);
	CHECK_EQ(count_of(rh, h, f), 0);
	CHECK_EQ(st(f), V | S1 | U1);
	/* Second pass with no use in between: stolen. */
	CHECK_EQ(lfm__tcache_age(rh, f, t, &used, NULL), 1);
	CHECK_EQ(used, 0);
	CHECK(entry_of(rh, h, f) == NULL);
	CHECK_EQ(st(f), V | U1);

	/* A plain steal takes a CACHED entry even with REF. */
	CHECK_EQ(get(rh, h, t), LFM_TC_GHOST);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, t), lfm__frame_idx(rh, f));
	CHECK_EQ(put(rh, h, f, t), 0);
	CHECK_EQ(put(rh, h, f, t), 0);
	e = entry_of(rh, h, f);
	REQUIRE(e != NULL);
	CHECK(atomic_load(&e->word) & LFM_TC_REF);
	CHECK_EQ(lfm__tcache_steal(rh, f, t, NULL), 1);
	CHECK(entry_of(rh, h, f) == NULL);
	lfm__region_destroy_private(rh);
}

/* Entries of f in two handles: a steal takes every CACHED one. */
static void test_steal_from_several_handles(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(3);
	struct lfm__frame *f = valid_frame(rh, t);
	struct lfm__handle *a = claim(rh, OWNER), *b = claim(rh, OWNER + 1),
			   *c = claim(rh, OWNER + 2);
	REQUIRE(f != NULL && a != NULL && b != NULL && c != NULL);
	CHECK_EQ(insert(rh, a, f, t), LFM_PIN_OK);
	CHECK_EQ(insert(rh, b, f, t), LFM_PIN_OK);
	CHECK_EQ(insert(rh, c, f, t), LFM_PIN_OK);
	CHECK_EQ(st(f), V | 3 * S1 | 3 * U1);
	CHECK_EQ(put(rh, a, f, t), 0);
	CHECK_EQ(put(rh, c, f, t), 0);
	CHECK_EQ(lfm__tcache_steal(rh, f, t, NULL), 2);
	CHECK_EQ(st(f), V | S1 | 3 * U1);
	CHECK_EQ(count_of(rh, b, f), 1);
	CHECK_EQ(get(rh, a, t), LFM_TC_GHOST);
	CHECK_EQ(get(rh, c, t), LFM_TC_GHOST);
	lfm__region_destroy_private(rh);
}

static void test_put_foreign(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(4);
	struct lfm__frame *f = valid_frame(rh, t);
	struct lfm__handle *h = claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	/* No entry anywhere: nothing to drop. */
	CHECK_EQ(lfm__tcache_put_foreign(rh, f, t, 0, 0, 0), -1);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, t), lfm__frame_idx(rh, f));
	CHECK_EQ(count_of(rh, h, f), 2);
	CHECK_EQ(lfm__tcache_put_foreign(rh, f, t, 0, 0, 0), 0);
	CHECK_EQ(count_of(rh, h, f), 1);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(lfm__tcache_put_foreign(rh, f, t, 0, 0, 0), 0);
	CHECK_EQ(count_of(rh, h, f), 0); /* CACHED: the entry stays */
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(lfm__tcache_put_foreign(rh, f, t, 0, 0, 0),
		 -1); /* never empties */
	CHECK_EQ(count_of(rh, h, f), 0);
	CHECK_EQ(st(f), V | S1 | U1);
	/* The owner has no pin left either. */
	CHECK_EQ(put(rh, h, f, t), -1);
	lfm__region_destroy_private(rh);
}

static void test_put_set_clear_and_drop(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(5);
	struct lfm__frame *f = valid_frame(rh, t);
	struct lfm__handle *h = claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	uint64_t hash = lfm__hash_tag(t);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, t), lfm__frame_idx(rh, f));
	/* DIRTY goes on with the put; the entry stays (count 1). */
	CHECK_EQ(lfm__tcache_put(rh, h, f, hash, LFM_F_DIRTY, 0, 1, NULL), 0);
	CHECK_EQ(st(f), V | LFM_F_DIRTY | S1 | U1);
	CHECK_EQ(count_of(rh, h, f), 1);
	/* Last put with drop: the entry empties and its SLOTREF goes, with
	 * `clear` applied. */
	CHECK_EQ(lfm__tcache_put(rh, h, f, hash, LFM_F_DISCARD,
				 LFM_F_USAGE_MASK, 1, NULL),
		 0);
	CHECK(entry_of(rh, h, f) == NULL);
	CHECK_EQ(st(f), V | LFM_F_DIRTY | LFM_F_DISCARD);
	CHECK_EQ(get(rh, h, t), LFM_TC_GHOST);
	/* Without drop, clear applies and the entry is CACHED. */
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(st(f), V | LFM_F_DIRTY | S1 | U1);
	CHECK_EQ(lfm__tcache_put(rh, h, f, hash, 0, LFM_F_DIRTY, 0, NULL), 0);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(count_of(rh, h, f), 0);
	lfm__region_destroy_private(rh);
}

static void test_to_direct(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(6);
	struct lfm__frame *f = valid_frame(rh, t);
	struct lfm__handle *h = claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	uint64_t hash = lfm__hash_tag(t);
	CHECK_EQ(lfm__tcache_to_direct(rh, h, f, hash, NULL),
		 -1); /* no entry */
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, t), lfm__frame_idx(rh, f));
	CHECK_EQ(lfm__tcache_to_direct(rh, h, f, hash, NULL), -1); /* count 2 */
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(put(rh, h, f, t), 0);
	CHECK_EQ(lfm__tcache_to_direct(rh, h, f, hash, NULL), 0); /* count 1 */
	CHECK_EQ(st(f), V | D1 | U1);
	CHECK(entry_of(rh, h, f) == NULL);
	CHECK_EQ(get(rh, h, t), LFM_TC_GHOST);
	CHECK_EQ(put(rh, h, f, t), -1); /* the pin is direct now */
	CHECK_EQ(lfm__frame_unpin(f, D1, 0, 0), 0);
	CHECK_EQ(st(f), V | U1);
	/* CACHED (count 0) does not convert. */
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(put(rh, h, f, t), 0);
	CHECK_EQ(lfm__tcache_to_direct(rh, h, f, hash, NULL), -1);
	CHECK_EQ(st(f), V | S1 | 2 * U1);
	lfm__region_destroy_private(rh);
}

/* to_direct when DIRECT is already at its maximum: the SLOTREF cannot
 * become a DIRECT pin, so it refuses and changes nothing. */
static void test_to_direct_at_direct_max(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(13);
	struct lfm__frame *f = valid_frame(rh, t);
	struct lfm__handle *h = claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	atomic_fetch_add(&f->state, LFM_DIRECT_MAX * D1);
	uint32_t s0 = st(f);
	CHECK_EQ(s0, V | LFM_F_DIRECT_MASK | S1 | U1);
	int rc = lfm__tcache_to_direct(rh, h, f, lfm__hash_tag(t), NULL);
	CHECK_EQ(rc, -1);
	CHECK_EQ(st(f), s0);
	CHECK(entry_of(rh, h, f));
	lfm__region_destroy_private(rh);
}

static void test_release_converts_held_drops_cached(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t ta = tag_n(10), tb = tag_n(11);
	struct lfm__frame *fa = valid_frame(rh, ta), *fb = valid_frame(rh, tb);
	struct lfm__handle *h = claim(rh, OWNER);
	REQUIRE(fa != NULL && fb != NULL && h != NULL);
	CHECK_EQ(insert(rh, h, fa, ta), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, ta), lfm__frame_idx(rh, fa)); /* HELD(2) */
	CHECK_EQ(insert(rh, h, fb, tb), LFM_PIN_OK);
	CHECK_EQ(put(rh, h, fb, tb), 0); /* CACHED */
	CHECK_EQ(st(fa), V | S1 | U1);
	CHECK_EQ(st(fb), V | S1 | U1);

	CHECK_EQ(lfm__tcache_release(rh, h, NULL), 0);
	CHECK_EQ(st(fa), V | 2 * D1 | U1);
	CHECK_EQ(st(fb), V | U1);
	CHECK_EQ(atomic_load(&h->owner), 0);
	for (uint32_t k = 0; k < rh->tc_sets * rh->tc_ways; k++)
		CHECK_EQ(atomic_load(&entries(h)[k].word), 0);
	/* A freed handle is invisible to foreign putters and thieves. */
	CHECK_EQ(lfm__tcache_put_foreign(rh, fa, ta, 0, 0, 0), -1);
	CHECK_EQ(lfm__frame_unpin(fa, D1, 0, 0), 0);
	CHECK_EQ(lfm__frame_unpin(fa, D1, 0, 0), 0);
	CHECK_EQ(st(fa), V | U1);
	lfm__region_destroy_private(rh);
}

static void test_release_refuses_direct_overflow(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(12);
	struct lfm__frame *f = valid_frame(rh, t);
	struct lfm__handle *h = claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, t), lfm__frame_idx(rh, f)); /* HELD(2) */
	atomic_fetch_add(&f->state, (LFM_DIRECT_MAX - 1) * D1);
	uint32_t s0 = st(f);
	CHECK_EQ(lfm__st_direct(s0), LFM_DIRECT_MAX - 1);
	CHECK_EQ(lfm__tcache_release(rh, h, NULL), -1);
	CHECK_EQ(atomic_load(&h->owner), OWNER); /* kept */
	CHECK_EQ(count_of(rh, h, f), 2);
	CHECK_EQ(st(f), s0);
	/* With room again, release goes through. */
	atomic_fetch_sub(&f->state, (LFM_DIRECT_MAX - 1) * D1);
	CHECK_EQ(lfm__tcache_release(rh, h, NULL), 0);
	CHECK_EQ(st(f), V | 2 * D1 | U1);
	lfm__region_destroy_private(rh);
}

/* A one-set region, its owner's handle, and LFM_TC_WAYS + 1 valid frames
 * holding tags first, first + 1, ... */
static struct lfm__region_hdr *one_set(struct lfm__handle **h,
				       struct lfm__frame **f, uint32_t first)
{
	struct lfm__region_hdr *rh = new_region();
	if (rh == NULL || rh->tc_sets != 1 || (*h = claim(rh, OWNER)) == NULL)
		return NULL;
	for (uint32_t i = 0; i <= LFM_TC_WAYS; i++)
		if ((f[i] = valid_frame(rh, tag_n(first + i))) == NULL)
			return NULL;
	return rh;
}

/* All ways HELD: insert says FULL and takes no pin; a CACHED way is
 * recycled, dropping the old frame's SLOTREF. */
static void test_insert_full_set_and_recycle(void)
{
	struct lfm__frame *f[LFM_TC_WAYS + 1];
	struct lfm__handle *h;
	struct lfm__region_hdr *rh = one_set(&h, f, 20);
	REQUIRE(rh != NULL);
	for (uint32_t i = 0; i < LFM_TC_WAYS; i++)
		CHECK_EQ(insert(rh, h, f[i], tag_n(20 + i)), LFM_PIN_OK);
	struct lfm__frame *x = f[LFM_TC_WAYS];
	uint64_t tx = tag_n(20 + LFM_TC_WAYS);
	CHECK_EQ(insert(rh, h, x, tx), LFM_PIN_FULL);
	CHECK_EQ(st(x), V);
	CHECK_EQ(get(rh, h, tx), LFM_TC_ABSENT);
	/* Make way 2's frame CACHED: it is the one recycled. */
	CHECK_EQ(put(rh, h, f[2], tag_n(22)), 0);
	CHECK_EQ(insert(rh, h, x, tx), LFM_PIN_OK);
	CHECK_EQ(st(x), V | S1 | U1);
	CHECK_EQ(st(f[2]), V | U1);
	CHECK(entry_of(rh, h, f[2]) == NULL);
	CHECK_EQ(get(rh, h, tag_n(22)), LFM_TC_ABSENT); /* no ghost: reused */
	for (uint32_t i = 0; i < LFM_TC_WAYS; i++)
		if (i != 2)
			CHECK_EQ(st(f[i]), V | S1 | U1);
	lfm__region_destroy_private(rh);
}

/* A full set of CACHED entries, two of them used since they were made
 * (REF): a new entry recycles one of the others. */
static void test_recycle_passes_over_used_entries(void)
{
	struct lfm__frame *f[LFM_TC_WAYS + 1];
	struct lfm__handle *h;
	struct lfm__region_hdr *rh = one_set(&h, f, 40);
	REQUIRE(rh != NULL);
	for (uint32_t i = 0; i < LFM_TC_WAYS; i++) {
		CHECK_EQ(insert(rh, h, f[i], tag_n(40 + i)), LFM_PIN_OK);
		CHECK_EQ(put(rh, h, f[i], tag_n(40 + i)), 0);
	}
	for (uint32_t i = 0; i < 2; i++) {
		CHECK_EQ(get(rh, h, tag_n(40 + i)), lfm__frame_idx(rh, f[i]));
		CHECK_EQ(put(rh, h, f[i], tag_n(40 + i)), 0);
	}
	struct lfm__frame *x = f[LFM_TC_WAYS];
	CHECK_EQ(insert(rh, h, x, tag_n(40 + LFM_TC_WAYS)), LFM_PIN_OK);
	CHECK(entry_of(rh, h, x) != NULL);
	CHECK(entry_of(rh, h, f[0]) != NULL);
	CHECK(entry_of(rh, h, f[1]) != NULL);
	CHECK_EQ((entry_of(rh, h, f[2]) == NULL) +
		     (entry_of(rh, h, f[3]) == NULL),
		 1);
	lfm__region_destroy_private(rh);
}

static void test_insert_busy_or_mismatch_makes_no_entry(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(30);
	struct lfm__frame *f = valid_frame(rh, t);
	struct lfm__handle *h = claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	CHECK_EQ(insert(rh, h, f, tag_n(31)), LFM_PIN_MISMATCH);
	/* No pin left behind (USAGE is not part of that promise: the
	 * failed pin's USAGE bump stays, see unit_frame_test). */
	CHECK_EQ(st(f) & ~LFM_F_USAGE_MASK, V);
	CHECK(entry_of(rh, h, f) == NULL);
	CHECK_EQ(lfm__frame_try_excl(f, V, 0), 1);
	uint32_t s0 = st(f);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_BUSY);
	CHECK_EQ(st(f), s0);
	CHECK(entry_of(rh, h, f) == NULL);
	lfm__frame_release_excl(f, 0, LFM_F_USAGE_MASK);
	CHECK_EQ(st(f), V);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(st(f), V | S1 | U1);
	lfm__region_destroy_private(rh);
}

static void test_get_full_count(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(40);
	struct lfm__frame *f = valid_frame(rh, t);
	struct lfm__handle *h = claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	int ok = 1;
	for (uint32_t c = 1; c < LFM_TC_COUNT_MAX && ok; c++)
		ok = get(rh, h, t) == lfm__frame_idx(rh, f);
	CHECK(ok);
	CHECK_EQ(count_of(rh, h, f), LFM_TC_COUNT_MAX);
	CHECK_EQ(get(rh, h, t), LFM_TC_FULL);
	CHECK_EQ(count_of(rh, h, f), LFM_TC_COUNT_MAX);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(put(rh, h, f, t), 0);
	CHECK_EQ(get(rh, h, t), lfm__frame_idx(rh, f));
	lfm__region_destroy_private(rh);
}

int main(void)
{
	RUN(test_geometry_and_claim);
	RUN(test_ghost_admission);
	RUN(test_lifecycle_insert_get_put_steal);
	RUN(test_held_never_stolen);
	RUN(test_age_spares_used_entries);
	RUN(test_steal_from_several_handles);
	RUN(test_put_foreign);
	RUN(test_put_set_clear_and_drop);
	RUN(test_to_direct);
	RUN(test_to_direct_at_direct_max);
	RUN(test_release_converts_held_drops_cached);
	RUN(test_release_refuses_direct_overflow);
	RUN(test_insert_full_set_and_recycle);
	RUN(test_recycle_passes_over_used_entries);
	RUN(test_insert_busy_or_mismatch_makes_no_entry);
	RUN(test_get_full_count);
	UNIT_MAIN_END("tcache");
}
