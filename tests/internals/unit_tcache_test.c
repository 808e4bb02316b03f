/*
 * Unit tests of the per-thread pin caches (src/region/tcache.h, tcache.c):
 * geometry, claim, ghost admission, get / insert / note / put, steal,
 * aging, foreign put, to_direct, release, drop_all, drop_held and the
 * pin log, checking the frame state word and the entry word exactly after
 * each step. One thread plays owner, thief and foreign putter.
 *
 * A handle is direct-mapped by frame index: frame i's entry is entry
 * i & (tc_entries - 1). The region here has NENT entries a handle and 16
 * frames of 4 KiB, so frames NENT apart share ("alias") one entry: that is
 * what lets the tests make one page's entry stand in another's way.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "pinlog.h"
#include "region.h"
#include "stat_read.h"
#include "tcache.h"
#include "unit_check.h"
#include "unit_region.h"

#define OWNER 0x51u
#define NENT  4u /* entries a handle: frames i and i + NENT alias */

#define V   LFM_F_VALID
#define U1  LFM_F_USAGE_ONE
#define S1  LFM_F_SLOTREF_ONE
#define D1  LFM_F_DIRECT_ONE
#define REF LFM_TC_REF
/* Hits an entry counts (uses) are checked by test_uses_*; the other
 * tests compare the rest of the word. */
#define USES LFM_TC_USE_MASK

static struct lfm__region_hdr *new_region(void)
{
	return unit_region(4, 4, NENT);
}

static uint64_t tag_n(uint32_t n)
{
	return lfm__tag(0, n);
}

/* Carves frames until one shares f's entry (its index equal to f's modulo
 * tc_entries) and makes that one hold `tag`. The frames carved on the way
 * stay EXCL placeholders, unused. */
static struct lfm__frame *aliasing_frame(struct lfm__region_hdr *rh,
					 struct lfm__frame *f, uint64_t tag)
{
	uint32_t mask = rh->tc_entries - 1;
	for (;;) {
		int64_t i = lfm__region_carve(rh, 4096, 0);
		if (i < 0)
			return NULL;
		if (((uint32_t)i & mask) != (lfm__frame_idx(rh, f) & mask))
			continue;
		struct lfm__frame *g = &lfm__frames(rh)[i];
		atomic_store_explicit(&g->tag, tag, memory_order_relaxed);
		lfm__frame_release_excl(g, LFM_F_VALID, 0);
		return g;
	}
}

static uint32_t st(struct lfm__frame *f)
{
	return atomic_load(&f->state);
}

/* Frame f's entry in h, its word, and the word naming f with `count`. */
static struct lfm__tc_entry *ent(struct lfm__region_hdr *rh,
				 struct lfm__handle *h, struct lfm__frame *f)
{
	return lfm__tc_entry(rh, h, lfm__frame_idx(rh, f));
}

static uint64_t word(struct lfm__region_hdr *rh, struct lfm__handle *h,
		     struct lfm__frame *f)
{
	return atomic_load(&ent(rh, h, f)->word);
}

static uint64_t W(struct lfm__region_hdr *rh, struct lfm__frame *f,
		  uint32_t count)
{
	return lfm__tc_word(lfm__frame_idx(rh, f) + 1, count);
}

/* The count of f's entry in h (-1: the entry does not name f). */
static int64_t count_of(struct lfm__region_hdr *rh, struct lfm__handle *h,
			struct lfm__frame *f)
{
	uint64_t w = word(rh, h, f);
	if (lfm__tc_frame(w) != lfm__frame_idx(rh, f) + 1)
		return -1;
	return lfm__tc_count(w);
}

static int get(struct lfm__region_hdr *rh, struct lfm__handle *h,
	       struct lfm__frame *f, uint64_t tag)
{
	return lfm__tcache_get(rh, h, f, tag);
}

static int put(struct lfm__region_hdr *rh, struct lfm__handle *h,
	       struct lfm__frame *f)
{
	return lfm__tcache_put(rh, h, f, 0, 0, 0, NULL);
}

static enum lfm__pin_result insert(struct lfm__region_hdr *rh,
				   struct lfm__handle *h, struct lfm__frame *f,
				   uint64_t tag)
{
	return lfm__tcache_insert(rh, h, f, tag, NULL);
}

static void note(struct lfm__region_hdr *rh, struct lfm__handle *h,
		 struct lfm__frame *f, uint64_t tag)
{
	lfm__tcache_note(rh, h, f, tag, NULL);
}

/* The entry count of a pool: one per 4 KiB frame, rounded up to a power
 * of two, at most the cap (LFM_TC_DEFAULT_ENTRIES without one, never
 * more than LFM_TC_MAX_ENTRIES); a wanted count overrides the pool's. And the
 * handle's bytes: header, entries, statistics, in whole cache lines. */
static void test_geometry(void)
{
	CHECK_EQ(lfm__tcache_geometry(16, 0, 0), 16);
	CHECK_EQ(lfm__tcache_geometry(17, 0, 0), 32);
	CHECK_EQ(lfm__tcache_geometry(1, 0, 0), 1);
	CHECK_EQ(lfm__tcache_geometry(0, 0, 0), 1);
	CHECK_EQ(lfm__tcache_geometry(1u << 20, 0, 0), LFM_TC_DEFAULT_ENTRIES);
	CHECK_EQ(LFM_TC_DEFAULT_ENTRIES, 65536);
	/* A cap above the default: the pool's frames, up to the maximum. */
	CHECK_EQ(lfm__tcache_geometry(1u << 18, 0, 1u << 20), 1u << 18);
	CHECK_EQ(lfm__tcache_geometry(1u << 20, 0, 1u << 20), 1u << 20);
	CHECK_EQ(lfm__tcache_geometry(1u << 24, 0, 1ull << 30),
		 LFM_TC_MAX_ENTRIES);
	CHECK_EQ(LFM_TC_MAX_ENTRIES, 1u << 20);
	CHECK_EQ(lfm__tcache_geometry(1000, 0, 100), 64); /* within the cap */
	CHECK_EQ(lfm__tcache_geometry(1000, 0, 128), 128);
	CHECK_EQ(lfm__tcache_geometry(1000, 0, LFM_TC_MIN_ENTRIES),
		 LFM_TC_MIN_ENTRIES);
	CHECK_EQ(lfm__tcache_geometry(1000, 5, 0), 8);
	CHECK_EQ(lfm__tcache_geometry(2, 4, 0), 4);
	CHECK_EQ(lfm__tcache_geometry(1000, 64, 16), 16);

	uint64_t so = 0;
	uint64_t sz = lfm__tcache_handle_size(4, 3, &so);
	CHECK_EQ(so, sizeof(struct lfm__handle) + 4 * 16);
	CHECK_EQ(sizeof(struct lfm__tc_entry), 16);
	CHECK(sz >= so + 3 * LFM_ST_NCOUNTERS * 8);
	CHECK(sz < so + 3 * LFM_ST_NCOUNTERS * 8 + LFM_CACHELINE);
	CHECK_EQ(sz % LFM_CACHELINE, 0);

	/* The region: 64 KiB of 4 KiB frames gives 16 entries; a wanted
	 * count is rounded up to a power of two. */
	const uint32_t wanted[] = {0, NENT, 5, 1};
	const uint32_t got[] = {16, NENT, 8, 1};
	for (int k = 0; k < 4; k++) {
		struct lfm__region_hdr *rh = unit_region(3, 2, wanted[k]);
		REQUIRE(rh != NULL);
		CHECK_EQ(rh->tc_entries, got[k]);
		CHECK_EQ(rh->handle_size,
			 lfm__tcache_handle_size(rh->tc_entries, 3, &so));
		CHECK_EQ(rh->handle_stats_off, so);
		struct lfm__handle *h0 = lfm__handle_at(rh, 0),
				   *h1 = lfm__handle_at(rh, 1);
		CHECK_EQ((uintptr_t)h0 % LFM_CACHELINE, 0);
		CHECK_EQ((char *)h1 - (char *)h0, rh->handle_size);
		/* Counters follow the entries and end within the handle. */
		CHECK((char *)lfm__handle_stats(rh, h0, 0) ==
		      (char *)(lfm__tc_entries(h0) + rh->tc_entries));
		CHECK((char *)(lfm__handle_stats(rh, h0, 2) +
			       LFM_ST_NCOUNTERS) <= (char *)h1);
		lfm__region_destroy_private(rh);
	}
}

static void test_claim(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	CHECK_EQ(rh->tc_entries, NENT);
	CHECK_EQ(atomic_load(&rh->handles_hiwater), 0);
	for (uint32_t i = 0; i < 4; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		CHECK_EQ(atomic_load(&h->owner), 0);
		CHECK_EQ((uintptr_t)h % LFM_CACHELINE, 0);
	}
	for (uint32_t i = 0; i < 4; i++) {
		CHECK_EQ(lfm__tcache_claim(rh, 100 + i, i), i);
		CHECK_EQ(atomic_load(&lfm__handle_at(rh, i)->owner), 100 + i);
		CHECK_EQ(atomic_load(&lfm__handle_at(rh, i)->proc), i);
		CHECK_EQ(atomic_load(&rh->handles_hiwater), i + 1);
	}
	CHECK_EQ(lfm__tcache_claim(rh, 200, 0), -1); /* all taken */
	/* Releasing an empty handle frees it; the next claim reuses it. */
	CHECK_EQ(lfm__tcache_release(rh, lfm__handle_at(rh, 2), NULL), 0);
	CHECK_EQ(atomic_load(&lfm__handle_at(rh, 2)->owner), 0);
	CHECK_EQ(lfm__tcache_claim(rh, 300, 1), 2);
	CHECK_EQ(atomic_load(&lfm__handle_at(rh, 2)->proc), 1);
	CHECK_EQ(atomic_load(&rh->handles_hiwater), 4);
	lfm__region_destroy_private(rh);
}

/* Frame i's entry is entry i & (tc_entries - 1) of every handle, and the
 * word packs {frame + 1, REF, count} without one field spilling into
 * another. */
static void test_entry_of_frame_and_word(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	struct lfm__handle *a = lfm__handle_at(rh, 0),
			   *b = lfm__handle_at(rh, 1);
	for (uint32_t i = 0; i < 3 * NENT; i++) {
		CHECK(lfm__tc_entry(rh, a, i) == &lfm__tc_entries(a)[i % NENT]);
		CHECK(lfm__tc_entry(rh, b, i) == &lfm__tc_entries(b)[i % NENT]);
	}
	CHECK((char *)lfm__tc_entries(a) == (char *)(a + 1));
	CHECK((char *)(lfm__tc_entries(a) + NENT) <= (char *)b);

	uint64_t w = lfm__tc_word(7, 3);
	CHECK_EQ(w, (7ull << 32) | 3);
	CHECK_EQ(lfm__tc_frame(w), 7);
	CHECK_EQ(lfm__tc_count(w), 3);
	CHECK_EQ(lfm__tc_frame(w | REF), 7);
	CHECK_EQ(lfm__tc_count(w | REF), 3);
	w = lfm__tc_word(0xffffffffu, LFM_TC_COUNT_MAX) | REF;
	CHECK_EQ(lfm__tc_frame(w), 0xffffffffu);
	CHECK_EQ(lfm__tc_count(w), LFM_TC_COUNT_MAX);
	CHECK_EQ(lfm__tc_frame(lfm__tc_word(0, 0)), 0);
	CHECK_EQ(REF & (LFM_TC_COUNT_MAX | (~0ull << LFM_TC_FRAME_SHIFT)), 0);
	lfm__region_destroy_private(rh);
}

/* A page's first use leaves a ghost in its frame's entry; its second
 * finds the ghost and inserts an entry. */
static void test_ghost_admission(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(7);
	struct lfm__frame *f = unit_valid_frame(rh, t);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	struct lfm__tc_entry *e = ent(rh, h, f);

	/* First use: absent; the caller pins directly, then notes. */
	CHECK_EQ(get(rh, h, f, t), LFM_TC_ABSENT);
	CHECK_EQ(e->word, 0);
	CHECK_EQ(e->tag, 0);
	CHECK_EQ(lfm__frame_pin(f, t, D1), LFM_PIN_OK);
	note(rh, h, f, t);
	CHECK_EQ(e->word, 0); /* a ghost: no reference, no SLOTREF */
	CHECK_EQ(e->tag, t);
	CHECK_EQ(st(f), V | D1 | U1);
	CHECK_EQ(lfm__frame_unpin(f, D1, 0, 0), 0);
	CHECK_EQ(st(f), V | U1);
	/* Second use: the ghost says "insert". */
	CHECK_EQ(get(rh, h, f, t), LFM_TC_GHOST);
	CHECK_EQ(st(f), V | U1);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(st(f), V | S1 | 2 * U1);
	CHECK_EQ(e->word & ~USES, W(rh, f, 1)); /* no REF: a pin of the frame */
	CHECK_EQ(e->tag, t);
	/* Third use: a hit, which writes only the entry. */
	CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT);
	CHECK_EQ(e->word & ~USES, W(rh, f, 2) | REF);
	CHECK_EQ(st(f), V | S1 | 2 * U1);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(e->word & ~USES, W(rh, f, 0) | REF);

	/* Ghosts of a previous owner are forgotten at the next claim. */
	CHECK_EQ(lfm__tcache_release(rh, h, NULL), 0);
	CHECK_EQ(st(f), V | 2 * U1);
	CHECK_EQ(e->word, 0);
	CHECK_EQ(e->tag, t); /* the release leaves a ghost ... */
	struct lfm__handle *h2 = unit_claim(rh, OWNER + 1);
	REQUIRE(h2 == h);
	CHECK_EQ(e->tag, 0); /* ... the claim forgets it */
	CHECK_EQ(get(rh, h2, f, t), LFM_TC_ABSENT);
	lfm__region_destroy_private(rh);
}

/* A ghost names a page, not a frame: the page read again into another
 * frame with the same entry is admitted there; the frame holding another
 * page is absent. Two pages whose frames alias keep one ghost between
 * them, the last one used. */
static void test_ghost_follows_the_page(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(8), t2 = tag_n(9);
	struct lfm__frame *f = unit_valid_frame(rh, t);
	struct lfm__frame *g = aliasing_frame(rh, f, tag_n(100));
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && g != NULL && h != NULL);
	struct lfm__tc_entry *e = ent(rh, h, f);
	REQUIRE(ent(rh, h, g) == e);
	CHECK(g != f);

	CHECK_EQ(lfm__frame_pin(f, t, D1), LFM_PIN_OK);
	note(rh, h, f, t);
	CHECK_EQ(lfm__frame_unpin(f, D1, 0, 0), 0);
	CHECK_EQ(e->tag, t);
	/* f is evicted and now holds t2; t is read into g. */
	CHECK_EQ(lfm__frame_try_excl(f, V, 0), 1);
	atomic_store(&f->tag, t2);
	lfm__frame_release_excl(f, V, LFM_F_USAGE_MASK);
	CHECK_EQ(lfm__frame_try_excl(g, V, 0), 1);
	atomic_store(&g->tag, t);
	lfm__frame_release_excl(g, V, LFM_F_USAGE_MASK);
	CHECK_EQ(get(rh, h, f, t2), LFM_TC_ABSENT); /* not t2's ghost */
	CHECK_EQ(get(rh, h, g, t), LFM_TC_GHOST);   /* t's, in g */
	CHECK_EQ(insert(rh, h, g, t), LFM_PIN_OK);
	CHECK_EQ(e->word & ~USES, W(rh, g, 1));
	CHECK_EQ(st(g), V | S1 | U1);
	CHECK_EQ(st(f), V);
	/* Through the entry now: f's lookup of t (stale: t moved to g) is
	 * told the page is elsewhere; the entry stays g's. */
	CHECK_EQ(get(rh, h, f, t), LFM_TC_ABSENT);
	CHECK_EQ(e->word & ~USES, W(rh, g, 1));
	CHECK_EQ(put(rh, h, g), 0);
	CHECK_EQ(lfm__tcache_steal(rh, g, NULL), 1);
	CHECK_EQ(st(g), V | U1);

	/* Aliasing pages used in turn overwrite each other's ghost. */
	CHECK_EQ(e->word, 0);
	CHECK_EQ(e->tag, t);
	CHECK_EQ(lfm__frame_pin(f, t2, D1), LFM_PIN_OK);
	note(rh, h, f, t2);
	CHECK_EQ(lfm__frame_unpin(f, D1, 0, 0), 0);
	CHECK_EQ(e->tag, t2);
	CHECK_EQ(e->word, 0);
	CHECK_EQ(get(rh, h, g, t), LFM_TC_ABSENT);
	CHECK_EQ(get(rh, h, f, t2), LFM_TC_GHOST);
	lfm__region_destroy_private(rh);
}

/* Insert, get, put, put, steal, ghost, re-insert. */
static void test_lifecycle_insert_get_put_steal(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(1);
	struct lfm__frame *f = unit_valid_frame(rh, t);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	CHECK_EQ(st(f), V);

	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(lfm__st_slotref(st(f)), 1);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 1));

	/* A hit through the cache: the entry, not the frame, changes. */
	CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 2) | REF);
	CHECK_EQ(st(f), V | S1 | U1);

	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 1) | REF);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 0) | REF); /* CACHED */
	CHECK_EQ(st(f), V | S1 | U1); /* SLOTREF still 1 */
	CHECK_EQ(put(rh, h, f), -1);  /* no pin left */
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 0) | REF);
	CHECK_EQ(st(f), V | S1 | U1);
	/* A CACHED frame is still "pinned" for EXCL. */
	CHECK_EQ(lfm__frame_try_excl(f, 0, 0), 0);

	/* A thief empties it and drops the SLOTREF. */
	CHECK_EQ(lfm__tcache_steal(rh, f, NULL), 1);
	CHECK_EQ(st(f), V | U1);
	CHECK_EQ(word(rh, h, f), 0);
	CHECK_EQ(ent(rh, h, f)->tag, t);
	CHECK_EQ(lfm__tcache_steal(rh, f, NULL), 0); /* nothing left */
	CHECK_EQ(st(f), V | U1);

	/* The owner's next use finds a ghost (still hot), and re-inserts. */
	CHECK_EQ(get(rh, h, f, t), LFM_TC_GHOST);
	CHECK_EQ(st(f), V | U1);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(st(f), V | S1 | 2 * U1);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 1));
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(lfm__tcache_steal(rh, f, NULL), 1);
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
	struct lfm__frame *f = unit_valid_frame(rh, t);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	int used = -1;
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	/* HELD(1) without REF: neither a steal nor the sweep takes it. */
	CHECK_EQ(lfm__tcache_steal(rh, f, NULL), 0);
	CHECK_EQ(lfm__tcache_age(rh, f, &used, NULL), 0);
	CHECK_EQ(used, 0);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 1));
	CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(lfm__tcache_steal(rh, f, NULL), 0);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 2) | REF);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(lfm__tcache_steal(rh, f, NULL), 0); /* HELD(1) */
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 1) | REF);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(lfm__tcache_steal(rh, f, NULL), 1); /* CACHED now */
	CHECK_EQ(word(rh, h, f), 0);
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
	struct lfm__frame *f = unit_valid_frame(rh, t);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	int used = -1;
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(put(rh, h, f), 0);
	/* An insert is a pin of the frame (USAGE), not a use of the entry. */
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 0));

	/* Used through the cache: REF. */
	CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 1) | REF);
	CHECK_EQ(lfm__tcache_age(rh, f, &used, NULL), 0); /* HELD(1): kept */
	CHECK_EQ(used, 1);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 1) | REF);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(word(rh, h, f) & ~USES,
		 W(rh, f, 0) | REF); /* the put keeps it */

	/* First pass: another turn, REF cleared, SLOTREF kept. */
	CHECK_EQ(lfm__tcache_age(rh, f, &used, NULL), 0);
	CHECK_EQ(used, 1);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 0));
	CHECK_EQ(st(f), V | S1 | U1);
	/* Second pass with no use in between: stolen. */
	CHECK_EQ(lfm__tcache_age(rh, f, &used, NULL), 1);
	CHECK_EQ(used, 0);
	CHECK_EQ(word(rh, h, f), 0);
	CHECK_EQ(st(f), V | U1);
	CHECK_EQ(lfm__tcache_age(rh, f, &used, NULL), 0); /* nothing left */
	CHECK_EQ(used, 0);

	/* A plain steal takes a CACHED entry even with REF. */
	CHECK_EQ(get(rh, h, f, t), LFM_TC_GHOST);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 0) | REF);
	CHECK_EQ(lfm__tcache_steal(rh, f, NULL), 1);
	CHECK_EQ(word(rh, h, f), 0);
	CHECK_EQ(st(f), V | 2 * U1);
	lfm__region_destroy_private(rh);
}

/* Entries of f in several handles: a steal takes every CACHED one; the
 * sweep ages each on its own REF. */
static void test_steal_and_age_several_handles(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(3);
	struct lfm__frame *f = unit_valid_frame(rh, t);
	struct lfm__handle *a = unit_claim(rh, OWNER),
			   *b = unit_claim(rh, OWNER + 1),
			   *c = unit_claim(rh, OWNER + 2);
	REQUIRE(f != NULL && a != NULL && b != NULL && c != NULL);
	CHECK_EQ(insert(rh, a, f, t), LFM_PIN_OK);
	CHECK_EQ(insert(rh, b, f, t), LFM_PIN_OK);
	CHECK_EQ(insert(rh, c, f, t), LFM_PIN_OK);
	CHECK_EQ(st(f), V | 3 * S1 | 3 * U1);
	CHECK_EQ(put(rh, a, f), 0);
	CHECK_EQ(put(rh, c, f), 0);
	CHECK_EQ(lfm__tcache_steal(rh, f, NULL), 2);
	CHECK_EQ(st(f), V | S1 | 3 * U1);
	CHECK_EQ(word(rh, a, f), 0);
	CHECK_EQ(word(rh, b, f) & ~USES, W(rh, f, 1));
	CHECK_EQ(word(rh, c, f), 0);
	CHECK_EQ(get(rh, a, f, t), LFM_TC_GHOST);
	CHECK_EQ(get(rh, c, f, t), LFM_TC_GHOST);

	/* a: CACHED with REF, c: CACHED without, b: HELD. */
	CHECK_EQ(insert(rh, a, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, a, f, t), LFM_TC_HIT);
	CHECK_EQ(put(rh, a, f), 0);
	CHECK_EQ(put(rh, a, f), 0);
	CHECK_EQ(insert(rh, c, f, t), LFM_PIN_OK);
	CHECK_EQ(put(rh, c, f), 0);
	CHECK_EQ(st(f), V | 3 * S1 | 3 * U1);
	int used = -1;
	CHECK_EQ(lfm__tcache_age(rh, f, &used, NULL), 1);
	CHECK_EQ(used, 1);
	CHECK_EQ(word(rh, a, f) & ~USES, W(rh, f, 0));
	CHECK_EQ(word(rh, b, f) & ~USES, W(rh, f, 1));
	CHECK_EQ(word(rh, c, f), 0);
	CHECK_EQ(st(f), V | 2 * S1 | 3 * U1);
	lfm__region_destroy_private(rh);
}

static void test_put_foreign(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(4);
	struct lfm__frame *f = unit_valid_frame(rh, t);
	int hi = lfm__tcache_claim(rh, OWNER, 2); /* process slot 1's */
	REQUIRE(f != NULL && hi >= 0);
	struct lfm__handle *h = lfm__handle_at(rh, (uint32_t)hi);
	/* No entry anywhere: nothing to drop. */
	CHECK_EQ(lfm__tcache_put_foreign(rh, f, 0, 0, 0), -1);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 2) | REF);
	/* Another process's putter does not see this process's handles. */
	CHECK_EQ(lfm__tcache_put_foreign(rh, f, 1, LFM_F_DIRTY, 0), -1);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 2) | REF);
	CHECK_EQ(st(f), V | S1 | U1);
	/* This process's does, and applies its bits first. */
	CHECK_EQ(lfm__tcache_put_foreign(rh, f, 2, LFM_F_DIRTY, 0), 0);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 1) | REF);
	CHECK_EQ(st(f), V | LFM_F_DIRTY | S1 | U1);
	CHECK_EQ(lfm__tcache_put_foreign(rh, f, 0, 0, LFM_F_DIRTY), 0);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 0) | REF); /* CACHED: stays */
	CHECK_EQ(st(f), V | S1 | U1);
	/* Never empties an entry, nor applies bits with no pin to drop. */
	CHECK_EQ(lfm__tcache_put_foreign(rh, f, 0, LFM_F_DIRTY, 0), -1);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 0) | REF);
	CHECK_EQ(st(f), V | S1 | U1);
	/* The owner has no pin left either. */
	CHECK_EQ(put(rh, h, f), -1);
	lfm__region_destroy_private(rh);
}

static void test_put_set_clear_and_drop(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(5);
	struct lfm__frame *f = unit_valid_frame(rh, t);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT);
	/* DIRTY goes on with the put; the entry stays (count 1). */
	CHECK_EQ(lfm__tcache_put(rh, h, f, LFM_F_DIRTY, 0, 1, NULL), 0);
	CHECK_EQ(st(f), V | LFM_F_DIRTY | S1 | U1);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 1) | REF);
	/* Last put with drop: the entry empties and its SLOTREF goes, with
	 * `clear` applied; the page stays a ghost. */
	CHECK_EQ(
	    lfm__tcache_put(rh, h, f, LFM_F_DISCARD, LFM_F_USAGE_MASK, 1, NULL),
	    0);
	CHECK_EQ(word(rh, h, f), 0);
	CHECK_EQ(st(f), V | LFM_F_DIRTY | LFM_F_DISCARD);
	CHECK_EQ(get(rh, h, f, t), LFM_TC_GHOST);
	/* Without drop, clear applies and the entry is CACHED. */
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(st(f), V | LFM_F_DIRTY | S1 | U1); /* the pin took DISCARD */
	CHECK_EQ(lfm__tcache_put(rh, h, f, 0, LFM_F_DIRTY, 0, NULL), 0);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 0));
	/* No pin: nothing applied. */
	CHECK_EQ(lfm__tcache_put(rh, h, f, LFM_F_DIRTY, 0, 1, NULL), -1);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 0));
	lfm__region_destroy_private(rh);
}

static void test_to_direct(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(6);
	struct lfm__frame *f = unit_valid_frame(rh, t);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	CHECK_EQ(lfm__tcache_to_direct(rh, h, f, NULL), -1); /* no entry */
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT);
	CHECK_EQ(lfm__tcache_to_direct(rh, h, f, NULL), -1); /* count 2 */
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 2) | REF);
	CHECK_EQ(put(rh, h, f), 0);
	/* count 1 (with REF) */
	CHECK_EQ(lfm__tcache_to_direct(rh, h, f, NULL), 0);
	CHECK_EQ(st(f), V | D1 | U1);
	CHECK_EQ(word(rh, h, f), 0);
	CHECK_EQ(get(rh, h, f, t), LFM_TC_GHOST);
	CHECK_EQ(put(rh, h, f), -1); /* the pin is direct now */
	CHECK_EQ(lfm__frame_unpin(f, D1, 0, 0), 0);
	CHECK_EQ(st(f), V | U1);
	/* CACHED (count 0) does not convert. */
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(lfm__tcache_to_direct(rh, h, f, NULL), -1);
	CHECK_EQ(st(f), V | S1 | 2 * U1);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 0));
	lfm__region_destroy_private(rh);
}

/* to_direct when DIRECT is already at its maximum: the SLOTREF cannot
 * become a DIRECT pin, so it refuses and changes nothing. */
static void test_to_direct_at_direct_max(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(13);
	struct lfm__frame *f = unit_valid_frame(rh, t);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	atomic_fetch_add(&f->state, LFM_DIRECT_MAX * D1);
	uint32_t s0 = st(f);
	CHECK_EQ(s0, V | LFM_F_DIRECT_MASK | S1 | U1);
	CHECK_EQ(lfm__tcache_to_direct(rh, h, f, NULL), -1);
	CHECK_EQ(st(f), s0);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 1));
	lfm__region_destroy_private(rh);
}

static void test_release_converts_held_drops_cached(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t ta = tag_n(10), tb = tag_n(11);
	struct lfm__frame *fa = unit_valid_frame(rh, ta),
			  *fb = unit_valid_frame(rh, tb);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(fa != NULL && fb != NULL && h != NULL);
	REQUIRE(ent(rh, h, fa) != ent(rh, h, fb));
	CHECK_EQ(insert(rh, h, fa, ta), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, fa, ta), LFM_TC_HIT); /* HELD(2) */
	CHECK_EQ(insert(rh, h, fb, tb), LFM_PIN_OK);
	CHECK_EQ(put(rh, h, fb), 0); /* CACHED */
	CHECK_EQ(st(fa), V | S1 | U1);
	CHECK_EQ(st(fb), V | S1 | U1);

	CHECK_EQ(lfm__tcache_release(rh, h, NULL), 0);
	CHECK_EQ(st(fa), V | 2 * D1 | U1);
	CHECK_EQ(st(fb), V | U1);
	CHECK_EQ(atomic_load(&h->owner), 0);
	for (uint32_t k = 0; k < rh->tc_entries; k++)
		CHECK_EQ(atomic_load(&lfm__tc_entries(h)[k].word), 0);
	/* A freed handle is invisible to foreign putters and thieves. */
	CHECK_EQ(lfm__tcache_put_foreign(rh, fa, 0, 0, 0), -1);
	CHECK_EQ(lfm__tcache_held(rh, fa, 0), 0);
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
	struct lfm__frame *f = unit_valid_frame(rh, t);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT); /* HELD(2) */
	atomic_fetch_add(&f->state, (LFM_DIRECT_MAX - 1) * D1);
	uint32_t s0 = st(f);
	CHECK_EQ(lfm__st_direct(s0), LFM_DIRECT_MAX - 1);
	CHECK_EQ(lfm__tcache_release(rh, h, NULL), -1);
	CHECK_EQ(atomic_load(&h->owner), OWNER); /* kept */
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 2) | REF);
	CHECK_EQ(st(f), s0);
	/* With room again, release goes through. */
	atomic_fetch_sub(&f->state, (LFM_DIRECT_MAX - 1) * D1);
	CHECK_EQ(lfm__tcache_release(rh, h, NULL), 0);
	CHECK_EQ(st(f), V | 2 * D1 | U1);
	CHECK_EQ(atomic_load(&h->owner), 0);
	lfm__region_destroy_private(rh);
}

/* A closing process's handle: every entry's SLOTREF goes, and the pins
 * its users held through it are dropped, not made direct. */
static void test_drop_all(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t ta = tag_n(14), tb = tag_n(15);
	struct lfm__frame *fa = unit_valid_frame(rh, ta),
			  *fb = unit_valid_frame(rh, tb);
	int hi = lfm__tcache_claim(rh, OWNER, 3);
	REQUIRE(fa != NULL && fb != NULL && hi >= 0);
	struct lfm__handle *h = lfm__handle_at(rh, (uint32_t)hi);
	CHECK_EQ(insert(rh, h, fa, ta), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, fa, ta), LFM_TC_HIT); /* HELD(2) */
	CHECK_EQ(insert(rh, h, fb, tb), LFM_PIN_OK);
	CHECK_EQ(put(rh, h, fb), 0); /* CACHED */
	CHECK_EQ(st(fa), V | S1 | U1);
	CHECK_EQ(st(fb), V | S1 | U1);
	lfm__tcache_drop_all(rh, h, NULL);
	CHECK_EQ(st(fa), V | U1);
	CHECK_EQ(st(fb), V | U1);
	CHECK_EQ(atomic_load(&h->owner), 0);
	CHECK_EQ(atomic_load(&h->proc), 0);
	for (uint32_t k = 0; k < rh->tc_entries; k++)
		CHECK_EQ(atomic_load(&lfm__tc_entries(h)[k].word), 0);
	CHECK_EQ(lfm__frame_try_excl(fa, V, 0), 1);
	CHECK_EQ(lfm__frame_try_excl(fb, V, 0), 1);
	lfm__region_destroy_private(rh);
}

/* memp_fclose of a file's last handle: HELD entries naming the frame, of
 * one process's threads or of all, lose their pins and stay CACHED (with
 * their REF); lfm__tcache_held sees them until then. */
static void test_drop_held_and_held(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(16);
	struct lfm__frame *f = unit_valid_frame(rh, t);
	int ia = lfm__tcache_claim(rh, OWNER, 1),
	    ib = lfm__tcache_claim(rh, OWNER + 1, 2),
	    ic = lfm__tcache_claim(rh, OWNER + 2, 2);
	REQUIRE(f != NULL && ia >= 0 && ib >= 0 && ic >= 0);
	struct lfm__handle *a = lfm__handle_at(rh, (uint32_t)ia),
			   *b = lfm__handle_at(rh, (uint32_t)ib),
			   *c = lfm__handle_at(rh, (uint32_t)ic);
	CHECK_EQ(lfm__tcache_held(rh, f, 0), 0);
	CHECK_EQ(lfm__tcache_drop_held(rh, f, 0), 0);
	CHECK_EQ(insert(rh, a, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, a, f, t), LFM_TC_HIT); /* a: HELD(2) | REF */
	CHECK_EQ(insert(rh, b, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, b, f, t), LFM_TC_HIT);
	CHECK_EQ(get(rh, b, f, t), LFM_TC_HIT); /* b: HELD(3) | REF */
	CHECK_EQ(insert(rh, c, f, t), LFM_PIN_OK);
	CHECK_EQ(put(rh, c, f), 0); /* c: CACHED */
	CHECK_EQ(st(f), V | 3 * S1 | 3 * U1);

	CHECK_EQ(lfm__tcache_held(rh, f, 0), 1);
	CHECK_EQ(lfm__tcache_held(rh, f, 1), 1);
	CHECK_EQ(lfm__tcache_held(rh, f, 2), 1);
	CHECK_EQ(lfm__tcache_held(rh, f, 3), 0);
	/* Process slot 1 (proc 2): b's pins only. */
	CHECK_EQ(lfm__tcache_drop_held(rh, f, 2), 3);
	CHECK_EQ(word(rh, b, f) & ~USES, W(rh, f, 0) | REF);
	CHECK_EQ(word(rh, a, f) & ~USES, W(rh, f, 2) | REF);
	CHECK_EQ(word(rh, c, f) & ~USES, W(rh, f, 0));
	CHECK_EQ(lfm__tcache_held(rh, f, 2), 0);
	CHECK_EQ(st(f), V | 3 * S1 | 3 * U1); /* the entries stay */
	/* All processes: a's. */
	CHECK_EQ(lfm__tcache_drop_held(rh, f, 0), 2);
	CHECK_EQ(word(rh, a, f) & ~USES, W(rh, f, 0) | REF);
	CHECK_EQ(lfm__tcache_held(rh, f, 0), 0);
	CHECK_EQ(lfm__tcache_drop_held(rh, f, 0), 0);
	CHECK_EQ(put(rh, a, f), -1);
	CHECK_EQ(lfm__tcache_steal(rh, f, NULL), 3);
	CHECK_EQ(st(f), V | 3 * U1);
	lfm__region_destroy_private(rh);
}

/* f and g share one entry. The entry being f's, g is absent and cannot be
 * inserted; the caller pins g directly, and its note recycles f's entry,
 * CACHED and unused since it was made: f's SLOTREF goes, g's ghost takes
 * its place, and f's page is forgotten. */
static void test_alias_recycles_unused_cached(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t tf = tag_n(20), tg = tag_n(21);
	struct lfm__frame *f = unit_valid_frame(rh, tf);
	struct lfm__frame *g = aliasing_frame(rh, f, tg);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && g != NULL && h != NULL);
	struct lfm__tc_entry *e = ent(rh, h, f);
	REQUIRE(ent(rh, h, g) == e);

	CHECK_EQ(insert(rh, h, f, tf), LFM_PIN_OK);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(e->word & ~USES, W(rh, f, 0));
	CHECK_EQ(st(f), V | S1 | U1);

	CHECK_EQ(get(rh, h, g, tg), LFM_TC_ABSENT);
	CHECK_EQ(insert(rh, h, g, tg), LFM_PIN_FULL); /* no pin taken */
	CHECK_EQ(st(g), V);
	CHECK_EQ(e->word & ~USES, W(rh, f, 0));
	CHECK_EQ(e->tag, tf);
	CHECK_EQ(lfm__frame_pin(g, tg, D1), LFM_PIN_OK);
	note(rh, h, g, tg);
	CHECK_EQ(e->word, 0);
	CHECK_EQ(e->tag, tg);
	CHECK_EQ(st(f), V | U1);      /* f's SLOTREF dropped */
	CHECK_EQ(st(g), V | D1 | U1); /* the note takes nothing on g */
	CHECK_EQ(lfm__frame_unpin(g, D1, 0, 0), 0);
	/* f's page lost its entry and its ghost. */
	CHECK_EQ(get(rh, h, f, tf), LFM_TC_ABSENT);
	CHECK_EQ(lfm__tcache_steal(rh, f, NULL), 0);
	CHECK_EQ(lfm__frame_try_excl(f, V, 0), 1);
	lfm__frame_release_excl(f, 0, 0);
	/* g's second use is admitted. */
	CHECK_EQ(get(rh, h, g, tg), LFM_TC_GHOST);
	CHECK_EQ(insert(rh, h, g, tg), LFM_PIN_OK);
	CHECK_EQ(e->word & ~USES, W(rh, g, 1));
	CHECK_EQ(st(g), V | S1 | 2 * U1);
	CHECK_EQ(get(rh, h, g, tg), LFM_TC_HIT);
	CHECK_EQ(e->word & ~USES, W(rh, g, 2) | REF);
	lfm__region_destroy_private(rh);
}

/* A CACHED entry the owner used since it last looked (REF) gets a second
 * chance: the aliasing page's note clears REF and notes nothing; a use in
 * between earns another; the next note with none recycles it. */
static void test_alias_ref_second_chance(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t tf = tag_n(22), tg = tag_n(23);
	struct lfm__frame *f = unit_valid_frame(rh, tf);
	struct lfm__frame *g = aliasing_frame(rh, f, tg);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && g != NULL && h != NULL);
	struct lfm__tc_entry *e = ent(rh, h, f);
	REQUIRE(ent(rh, h, g) == e);

	CHECK_EQ(insert(rh, h, f, tf), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, f, tf), LFM_TC_HIT);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(e->word & ~USES, W(rh, f, 0) | REF);

	CHECK_EQ(lfm__frame_pin(g, tg, D1), LFM_PIN_OK);
	note(rh, h, g, tg); /* second chance */
	CHECK_EQ(lfm__frame_unpin(g, D1, 0, 0), 0);
	CHECK_EQ(e->word & ~USES, W(rh, f, 0));
	CHECK_EQ(e->tag, tf);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(get(rh, h, g, tg), LFM_TC_ABSENT); /* no ghost noted */

	/* f used again: REF again, and another chance. */
	CHECK_EQ(get(rh, h, f, tf), LFM_TC_HIT);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(e->word & ~USES, W(rh, f, 0) | REF);
	CHECK_EQ(lfm__frame_pin(g, tg, D1), LFM_PIN_OK);
	note(rh, h, g, tg);
	CHECK_EQ(lfm__frame_unpin(g, D1, 0, 0), 0);
	CHECK_EQ(e->word & ~USES, W(rh, f, 0));
	CHECK_EQ(e->tag, tf);

	/* No use since: recycled. */
	CHECK_EQ(lfm__frame_pin(g, tg, D1), LFM_PIN_OK);
	note(rh, h, g, tg);
	CHECK_EQ(lfm__frame_unpin(g, D1, 0, 0), 0);
	CHECK_EQ(e->word, 0);
	CHECK_EQ(e->tag, tg);
	CHECK_EQ(st(f), V | U1);
	CHECK_EQ(st(g), V | 3 * U1);
	lfm__region_destroy_private(rh);
}

/* A HELD entry is never recycled, with or without REF, and the note
 * leaves its REF alone; once put back to CACHED it ages as any other. A
 * note naming the entry's own frame changes nothing. */
static void test_alias_held_never_recycled(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t tf = tag_n(24), tg = tag_n(25);
	struct lfm__frame *f = unit_valid_frame(rh, tf);
	struct lfm__frame *g = aliasing_frame(rh, f, tg);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && g != NULL && h != NULL);
	struct lfm__tc_entry *e = ent(rh, h, f);
	REQUIRE(ent(rh, h, g) == e);

	CHECK_EQ(insert(rh, h, f, tf), LFM_PIN_OK); /* HELD(1), no REF */
	CHECK_EQ(lfm__frame_pin(g, tg, D1), LFM_PIN_OK);
	for (int i = 0; i < 3; i++)
		note(rh, h, g, tg);
	CHECK_EQ(e->word & ~USES, W(rh, f, 1));
	CHECK_EQ(e->tag, tf);
	CHECK_EQ(get(rh, h, f, tf), LFM_TC_HIT); /* HELD(2) | REF */
	for (int i = 0; i < 3; i++)
		note(rh, h, g, tg);
	CHECK_EQ(e->word & ~USES, W(rh, f, 2) | REF);
	CHECK_EQ(e->tag, tf);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(st(g), V | D1 | U1);
	/* f's own note (a direct pin of f beside its entry) changes
	 * nothing either. */
	note(rh, h, f, tf);
	CHECK_EQ(e->word & ~USES, W(rh, f, 2) | REF);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(put(rh, h, f), 0);
	note(rh, h, f, tf);
	CHECK_EQ(e->word & ~USES, W(rh, f, 0) | REF);
	CHECK_EQ(e->tag, tf);
	/* CACHED now: REF first, then the entry. */
	note(rh, h, g, tg);
	CHECK_EQ(e->word & ~USES, W(rh, f, 0));
	note(rh, h, g, tg);
	CHECK_EQ(e->word, 0);
	CHECK_EQ(e->tag, tg);
	CHECK_EQ(st(f), V | U1);
	CHECK_EQ(lfm__frame_unpin(g, D1, 0, 0), 0);
	CHECK_EQ(st(g), V | U1);
	lfm__region_destroy_private(rh);
}

/* Whatever is done to g leaves the entry f holds alone: every operation
 * naming a frame checks that the entry names it. */
static void test_alias_other_frame_untouched(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t tf = tag_n(26), tg = tag_n(27);
	struct lfm__frame *f = unit_valid_frame(rh, tf);
	struct lfm__frame *g = aliasing_frame(rh, f, tg);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && g != NULL && h != NULL);
	struct lfm__tc_entry *e = ent(rh, h, f);
	REQUIRE(ent(rh, h, g) == e);
	int used = -1;

	CHECK_EQ(insert(rh, h, f, tf), LFM_PIN_OK); /* HELD(1) */
	CHECK_EQ(lfm__frame_pin(g, tg, D1), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, g, tf), LFM_TC_ABSENT); /* f's tag, g's frame */
	CHECK_EQ(put(rh, h, g), -1);
	CHECK_EQ(lfm__tcache_to_direct(rh, h, g, NULL), -1);
	CHECK_EQ(lfm__tcache_put_foreign(rh, g, 0, LFM_F_DIRTY, 0), -1);
	CHECK_EQ(lfm__tcache_held(rh, g, 0), 0);
	CHECK_EQ(lfm__tcache_drop_held(rh, g, 0), 0);
	CHECK_EQ(e->word & ~USES, W(rh, f, 1));
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(st(g), V | D1 | U1);

	CHECK_EQ(get(rh, h, f, tf), LFM_TC_HIT);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(put(rh, h, f), 0); /* CACHED | REF */
	CHECK_EQ(lfm__tcache_steal(rh, g, NULL), 0);
	CHECK_EQ(lfm__tcache_age(rh, g, &used, NULL), 0);
	CHECK_EQ(used, 0);
	CHECK_EQ(e->word & ~USES, W(rh, f, 0) | REF);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(st(g), V | D1 | U1);
	CHECK_EQ(lfm__frame_unpin(g, D1, 0, 0), 0);
	lfm__region_destroy_private(rh);
}

/* What the engine's get does (getput.c get_page): the entry first, an insert
 * on a ghost, else a direct pin and a note; then the put. */
enum use_how { BY_HIT, BY_INSERT, BY_DIRECT };

static enum use_how use(struct lfm__region_hdr *rh, struct lfm__handle *h,
			struct lfm__frame *f, uint64_t tag)
{
	enum use_how how = BY_DIRECT;
	int c = get(rh, h, f, tag);
	enum lfm__pin_result r = LFM_PIN_FULL;
	if (c == LFM_TC_HIT) {
		how = BY_HIT;
		r = LFM_PIN_OK;
	} else if (c == LFM_TC_GHOST) {
		r = insert(rh, h, f, tag);
		how = r == LFM_PIN_OK ? BY_INSERT : BY_DIRECT;
	}
	if (r == LFM_PIN_FULL) {
		r = lfm__frame_pin(f, tag, D1);
		if (r == LFM_PIN_OK && c == LFM_TC_ABSENT)
			note(rh, h, f, tag);
	}
	if (r != LFM_PIN_OK)
		return (enum use_how) - 1;
	if (how == BY_DIRECT)
		(void)lfm__frame_unpin(f, D1, 0, 0);
	else
		(void)put(rh, h, f);
	return how;
}

/* Two pages whose frames alias, used by the engine's rule: taken in
 * turn, each finds the other's ghost and is pinned directly every time
 * (no entry made, none to recycle); a run of one is admitted; the other
 * then waits out the first one's REF before taking the entry. */
static void test_alias_pinned_directly(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t tf = tag_n(28), tg = tag_n(29);
	struct lfm__frame *f = unit_valid_frame(rh, tf);
	struct lfm__frame *g = aliasing_frame(rh, f, tg);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && g != NULL && h != NULL);
	struct lfm__tc_entry *e = ent(rh, h, f);
	REQUIRE(ent(rh, h, g) == e);

	for (int i = 0; i < 4; i++) {
		CHECK_EQ(use(rh, h, f, tf), BY_DIRECT);
		CHECK_EQ(e->word, 0);
		CHECK_EQ(e->tag, tf);
		CHECK_EQ(use(rh, h, g, tg), BY_DIRECT);
		CHECK_EQ(e->word, 0);
		CHECK_EQ(e->tag, tg);
	}
	CHECK_EQ(st(f), V | 3 * U1);
	CHECK_EQ(st(g), V | 3 * U1);
	CHECK_EQ(use(rh, h, g, tg), BY_INSERT);
	CHECK_EQ(e->word & ~USES, W(rh, g, 0));
	CHECK_EQ(use(rh, h, g, tg), BY_HIT);
	CHECK_EQ(e->word & ~USES, W(rh, g, 0) | REF);
	CHECK_EQ(st(g), V | S1 | 3 * U1);
	CHECK_EQ(use(rh, h, f, tf), BY_DIRECT); /* g's REF goes */
	CHECK_EQ(e->word & ~USES, W(rh, g, 0));
	CHECK_EQ(e->tag, tg);
	CHECK_EQ(use(rh, h, f, tf), BY_DIRECT); /* g's entry goes */
	CHECK_EQ(e->word, 0);
	CHECK_EQ(e->tag, tf);
	CHECK_EQ(st(g), V | 3 * U1);
	CHECK_EQ(use(rh, h, f, tf), BY_INSERT);
	CHECK_EQ(use(rh, h, f, tf), BY_HIT);
	CHECK_EQ(e->word & ~USES, W(rh, f, 0) | REF);
	CHECK_EQ(st(f), V | S1 | 3 * U1);
	/* g while f is HELD: direct, and f's entry untouched. */
	CHECK_EQ(get(rh, h, f, tf), LFM_TC_HIT);
	CHECK_EQ(use(rh, h, g, tg), BY_DIRECT);
	CHECK_EQ(use(rh, h, g, tg), BY_DIRECT);
	CHECK_EQ(e->word & ~USES, W(rh, f, 1) | REF);
	CHECK_EQ(e->tag, tf);
	CHECK_EQ(put(rh, h, f), 0);
	lfm__region_destroy_private(rh);
}

static void test_insert_busy_or_mismatch_makes_no_entry(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(30);
	struct lfm__frame *f = unit_valid_frame(rh, t);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	CHECK_EQ(insert(rh, h, f, tag_n(31)), LFM_PIN_MISMATCH);
	/* No pin left behind (USAGE is not part of that promise: the
	 * failed pin's USAGE bump stays, see unit_frame_test). */
	CHECK_EQ(st(f) & ~LFM_F_USAGE_MASK, V);
	CHECK_EQ(word(rh, h, f), 0);
	CHECK_EQ(lfm__frame_try_excl(f, V, 0), 1);
	uint32_t s0 = st(f);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_BUSY);
	CHECK_EQ(st(f), s0);
	CHECK_EQ(word(rh, h, f), 0);
	lfm__frame_release_excl(f, 0, LFM_F_USAGE_MASK);
	CHECK_EQ(st(f), V);
	/* SLOTREF at its maximum: FULL, the caller pins directly. */
	atomic_fetch_add(&f->state, LFM_SLOTREF_MAX * S1);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_FULL);
	CHECK_EQ(st(f), V | LFM_F_SLOTREF_MASK);
	CHECK_EQ(word(rh, h, f), 0);
	atomic_fetch_sub(&f->state, LFM_SLOTREF_MAX * S1);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 1));
	CHECK_EQ(ent(rh, h, f)->tag, t);
	/* An entry already there (f's own): FULL, nothing taken. */
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_FULL);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, 1));
	lfm__region_destroy_private(rh);
}

static void test_get_full_count(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(40);
	struct lfm__frame *f = unit_valid_frame(rh, t);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	int ok = 1;
	for (uint32_t c = 1; c < LFM_TC_COUNT_MAX && ok; c++)
		ok = get(rh, h, f, t) == LFM_TC_HIT;
	CHECK(ok);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, LFM_TC_COUNT_MAX) | REF);
	CHECK_EQ(get(rh, h, f, t), LFM_TC_FULL);
	CHECK_EQ(word(rh, h, f) & ~USES, W(rh, f, LFM_TC_COUNT_MAX) | REF);
	CHECK_EQ(count_of(rh, h, f), LFM_TC_COUNT_MAX);
	CHECK_EQ(st(f), V | S1 | U1);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT);
	CHECK_EQ(count_of(rh, h, f), LFM_TC_COUNT_MAX);
	lfm__region_destroy_private(rh);
}

/* Hits counted in entries (tcache.h, uses). File slot 0's hits: in h's
 * counters, in the file's stripes, and what memp_stat reads (the live
 * entries included). */
static uint64_t owner_hits(struct lfm__region_hdr *rh, struct lfm__handle *h)
{
	return atomic_load(lfm__handle_stats(rh, h, 0) + LFM_ST_HIT);
}

static uint64_t stripe_hits(struct lfm__region_hdr *rh)
{
	uint64_t n = 0;
	for (int s = 0; s < LFM_STAT_STRIPES; s++)
		n += atomic_load(&lfm__files(rh)[0].stats[s].c[LFM_ST_HIT]);
	return n;
}

static uint64_t read_hits(struct lfm__region_hdr *rh)
{
	struct lfm__fstat a, b;
	lfm__stat_file(rh, 0, NULL, &a);
	uint64_t *live = calloc(rh->nfiles_max, sizeof(*live));
	CHECK(live != NULL);
	lfm__stat_live_hits(rh, live);
	lfm__stat_file(rh, 0, live, &b);
	CHECK_EQ(a.st_cache_hit, b.st_cache_hit); /* one pass, or per file */
	free(live);
	return a.st_cache_hit;
}

/* Each pin through an entry (a hit) counts one use in its word, and only
 * there; puts, drop_held and the sweep's REF clearing keep them; a thief
 * that empties the entry (steal, age) moves them to the file's stripes.
 * memp_stat's reading counts each hit once throughout. Inserting counts
 * nothing (the general path counts that get itself). */
static void test_uses_counted_and_stolen(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(50);
	struct lfm__frame *f = unit_valid_frame(rh, t);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	int used = -1;

	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(lfm__tc_uses(word(rh, h, f)), 0);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT);
	CHECK_EQ(word(rh, h, f), W(rh, f, 4) | REF | 3 * LFM_TC_USE_ONE);
	CHECK_EQ(owner_hits(rh, h), 0);
	CHECK_EQ(stripe_hits(rh), 0);
	CHECK_EQ(read_hits(rh), 3);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(word(rh, h, f), W(rh, f, 0) | REF | 3 * LFM_TC_USE_ONE);
	/* HELD -> CACHED (a file's last close) keeps them. */
	CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT);
	CHECK_EQ(lfm__tcache_drop_held(rh, f, 0), 1);
	CHECK_EQ(word(rh, h, f), W(rh, f, 0) | REF | 4 * LFM_TC_USE_ONE);
	/* The sweep's first pass clears REF only. */
	CHECK_EQ(lfm__tcache_age(rh, f, &used, NULL), 0);
	CHECK_EQ(word(rh, h, f), W(rh, f, 0) | 4 * LFM_TC_USE_ONE);
	CHECK_EQ(read_hits(rh), 4);
	/* Its second empties the entry: the uses go to the file's stripes. */
	CHECK_EQ(lfm__tcache_age(rh, f, &used, NULL), 1);
	CHECK_EQ(word(rh, h, f), 0);
	CHECK_EQ(stripe_hits(rh), 4);
	CHECK_EQ(owner_hits(rh, h), 0);
	CHECK_EQ(read_hits(rh), 4);
	/* And a plain steal. */
	CHECK_EQ(get(rh, h, f, t), LFM_TC_GHOST);
	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(read_hits(rh), 5);
	CHECK_EQ(lfm__tcache_steal(rh, f, NULL), 1);
	CHECK_EQ(stripe_hits(rh), 5);
	CHECK_EQ(read_hits(rh), 5);
	lfm__region_destroy_private(rh);
}

/* The owner moves an entry's uses to its own counters whenever it empties
 * the entry: recycling it for an aliasing page (note), a put that drops
 * it, making its pin direct, giving the handle back (release, drop_all). */
static void test_uses_owner_harvests(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t tf = tag_n(60), tg = tag_n(61);
	struct lfm__frame *f = unit_valid_frame(rh, tf);
	struct lfm__frame *g = aliasing_frame(rh, f, tg);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && g != NULL && h != NULL);
	uint64_t want = 0;

	/* Recycled by the aliasing page's note. */
	CHECK_EQ(insert(rh, h, f, tf), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, f, tf), LFM_TC_HIT);
	CHECK_EQ(get(rh, h, f, tf), LFM_TC_HIT);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(lfm__tcache_age(rh, f, &(int){0}, NULL), 0); /* REF off */
	CHECK_EQ(lfm__frame_pin(g, tg, D1), LFM_PIN_OK);
	note(rh, h, g, tg);
	CHECK_EQ(word(rh, h, f), 0);
	CHECK_EQ(owner_hits(rh, h), want += 2);
	CHECK_EQ(lfm__frame_unpin(g, D1, 0, 0), 0);

	/* A put that drops the entry (a discarded page). */
	CHECK_EQ(get(rh, h, g, tg), LFM_TC_GHOST);
	CHECK_EQ(insert(rh, h, g, tg), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, g, tg), LFM_TC_HIT);
	CHECK_EQ(put(rh, h, g), 0);
	CHECK_EQ(lfm__tcache_put(rh, h, g, 0, 0, 1, NULL), 0);
	CHECK_EQ(word(rh, h, g), 0);
	CHECK_EQ(owner_hits(rh, h), want += 1);

	/* to_direct: the last pin becomes a direct one. */
	CHECK_EQ(insert(rh, h, g, tg), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, g, tg), LFM_TC_HIT);
	CHECK_EQ(put(rh, h, g), 0);
	CHECK_EQ(lfm__tcache_to_direct(rh, h, g, NULL), 0);
	CHECK_EQ(owner_hits(rh, h), want += 1);
	CHECK_EQ(lfm__frame_unpin(g, D1, 0, 0), 0);

	/* release: a HELD entry's pins become direct, its uses counted. */
	CHECK_EQ(insert(rh, h, g, tg), LFM_PIN_OK);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(get(rh, h, g, tg), LFM_TC_HIT);
	CHECK_EQ(read_hits(rh), want + 3);
	CHECK_EQ(lfm__tcache_release(rh, h, NULL), 0);
	CHECK_EQ(word(rh, h, g), 0);
	CHECK_EQ(owner_hits(rh, h), want += 3);
	CHECK_EQ(read_hits(rh), want);
	CHECK_EQ(lfm__st_direct(st(g)), 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(lfm__frame_unpin(g, D1, 0, 0), 0);

	/* drop_all (memp_close). */
	struct lfm__handle *h2 = unit_claim(rh, OWNER);
	REQUIRE(h2 == h);
	CHECK_EQ(get(rh, h, g, tg), LFM_TC_ABSENT); /* the claim forgot */
	CHECK_EQ(insert(rh, h, g, tg), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, g, tg), LFM_TC_HIT);
	CHECK_EQ(get(rh, h, g, tg), LFM_TC_HIT);
	lfm__tcache_drop_all(rh, h, NULL);
	CHECK_EQ(owner_hits(rh, h), want += 2);
	CHECK_EQ(stripe_hits(rh), 0);
	CHECK_EQ(read_hits(rh), want);
	CHECK_EQ(st(g) & LFM_F_REFS_MASK, 0);
	lfm__region_destroy_private(rh);
}

/* Uses at their top: the next pin through the entry carries into the
 * frame field, so the hit path's check of the new word's frame fails
 * (and it goes to the general path); lfm__tcache_get there moves them and
 * its own hit to the owner's counters and restarts the word's count. */
static void test_uses_full(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t t = tag_n(70);
	struct lfm__frame *f = unit_valid_frame(rh, t);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	REQUIRE(f != NULL && h != NULL);
	uint32_t fi = lfm__frame_idx(rh, f) + 1;

	CHECK_EQ(insert(rh, h, f, t), LFM_PIN_OK);
	int ok = 1;
	for (uint32_t i = 0; i < LFM_TC_USE_MAX && ok; i++)
		ok = get(rh, h, f, t) == LFM_TC_HIT && put(rh, h, f) == 0;
	CHECK(ok);
	uint64_t w = word(rh, h, f);
	CHECK_EQ(w, W(rh, f, 1) | REF | LFM_TC_USE_MASK);
	CHECK_EQ(lfm__tc_frame(w + LFM_TC_PIN_USE), fi + 1);
	CHECK_EQ(lfm__tc_frame(w - LFM_TC_USE_ONE + LFM_TC_PIN_USE), fi);
	CHECK_EQ(owner_hits(rh, h), 0);
	CHECK_EQ(read_hits(rh), LFM_TC_USE_MAX);
	CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT);
	CHECK_EQ(word(rh, h, f), W(rh, f, 2) | REF);
	CHECK_EQ(owner_hits(rh, h), LFM_TC_USE_MAX + 1u);
	CHECK_EQ(read_hits(rh), LFM_TC_USE_MAX + 1u);
	CHECK_EQ(get(rh, h, f, t), LFM_TC_HIT);
	CHECK_EQ(word(rh, h, f), W(rh, f, 3) | REF | LFM_TC_USE_ONE);
	CHECK_EQ(read_hits(rh), LFM_TC_USE_MAX + 2u);
	lfm__region_destroy_private(rh);
}

/* With a pin log (a shared region's; a plain array here): every change
 * leaves this process's entries unlocked, with COUNT its DIRECT pins on
 * the frame: made direct by to_direct and release, untouched by insert,
 * put, note's recycling (of the other frame's entry), steal, age and
 * drop_all, which move SLOTREFs only. */
static void test_pinlog_counts(void)
{
	struct lfm__region_hdr *rh = new_region();
	REQUIRE(rh != NULL);
	uint64_t tf = tag_n(50), tg = tag_n(51);
	struct lfm__frame *f = unit_valid_frame(rh, tf);
	struct lfm__frame *g = aliasing_frame(rh, f, tg);
	struct lfm__handle *h = unit_claim(rh, OWNER);
	_Atomic uint16_t *plog = calloc(rh->nframes_max, sizeof(*plog));
	REQUIRE(f != NULL && g != NULL && h != NULL && plog != NULL);
	uint32_t i = lfm__frame_idx(rh, f), j = lfm__frame_idx(rh, g);
	int used = -1;

	CHECK_EQ(lfm__tcache_insert(rh, h, f, tf, plog), LFM_PIN_OK);
	CHECK_EQ(plog[i], 0);
	CHECK_EQ(get(rh, h, f, tf), LFM_TC_HIT);
	CHECK_EQ(lfm__tcache_to_direct(rh, h, f, &plog[i]), -1); /* HELD(2) */
	CHECK_EQ(plog[i], 0);
	CHECK_EQ(put(rh, h, f), 0);
	CHECK_EQ(lfm__tcache_to_direct(rh, h, f, &plog[i]), 0);
	CHECK_EQ(plog[i], 1);
	CHECK_EQ(st(f), V | D1 | U1);
	CHECK_EQ(word(rh, h, f), 0);

	/* Release: HELD(2) becomes two logged DIRECT pins, three with the
	 * one already there. */
	CHECK_EQ(lfm__tcache_insert(rh, h, f, tf, plog), LFM_PIN_OK);
	CHECK_EQ(get(rh, h, f, tf), LFM_TC_HIT);
	CHECK_EQ(lfm__tcache_release(rh, h, plog), 0);
	CHECK_EQ(plog[i], 3);
	CHECK_EQ(st(f), V | 3 * D1 | 2 * U1);
	for (int k = 0; k < 3; k++)
		CHECK_EQ(lfm__frame_unpin(f, D1, 0, 0), 0);
	plog[i] = 0;

	/* Note recycles f's entry under f's log entry, whose COUNT (a
	 * DIRECT pin of f this process holds) stays. */
	h = unit_claim(rh, OWNER);
	REQUIRE(h != NULL);
	CHECK_EQ(lfm__tcache_insert(rh, h, f, tf, plog), LFM_PIN_OK);
	CHECK_EQ(lfm__tcache_put(rh, h, f, 0, 0, 0, plog), 0);
	CHECK_EQ(lfm__frame_pin(f, tf, D1), LFM_PIN_OK);
	plog[i] = 1;
	CHECK_EQ(lfm__frame_pin(g, tg, D1), LFM_PIN_OK);
	plog[j] = 1;
	lfm__tcache_note(rh, h, g, tg, plog);
	CHECK_EQ(word(rh, h, f), 0);
	CHECK_EQ(st(f), V | D1 | 3 * U1);
	CHECK_EQ(plog[i], 1);
	CHECK_EQ(plog[j], 1);

	/* Insert, put with drop, steal, age and drop_all keep COUNTs. */
	CHECK_EQ(lfm__tcache_insert(rh, h, g, tg, plog), LFM_PIN_OK);
	CHECK_EQ(lfm__tcache_put(rh, h, g, 0, 0, 1, plog), 0);
	CHECK_EQ(word(rh, h, g), 0);
	CHECK_EQ(plog[j], 1);
	CHECK_EQ(lfm__tcache_insert(rh, h, g, tg, plog), LFM_PIN_OK);
	CHECK_EQ(lfm__tcache_put(rh, h, g, 0, 0, 0, plog), 0);
	CHECK_EQ(lfm__tcache_age(rh, g, &used, plog), 1);
	CHECK_EQ(plog[j], 1);
	CHECK_EQ(lfm__tcache_insert(rh, h, g, tg, plog), LFM_PIN_OK);
	CHECK_EQ(lfm__tcache_put(rh, h, g, 0, 0, 0, plog), 0);
	CHECK_EQ(lfm__tcache_steal(rh, g, plog), 1);
	CHECK_EQ(plog[j], 1);
	CHECK_EQ(lfm__tcache_insert(rh, h, g, tg, plog), LFM_PIN_OK);
	lfm__tcache_drop_all(rh, h, plog);
	CHECK_EQ(plog[j], 1);
	CHECK_EQ(st(g), V | D1 | 3 * U1);
	CHECK_EQ(plog[i], 1);
	free((void *)plog);
	lfm__region_destroy_private(rh);
}

int main(void)
{
	RUN(test_geometry);
	RUN(test_claim);
	RUN(test_entry_of_frame_and_word);
	RUN(test_ghost_admission);
	RUN(test_ghost_follows_the_page);
	RUN(test_lifecycle_insert_get_put_steal);
	RUN(test_held_never_stolen);
	RUN(test_age_spares_used_entries);
	RUN(test_steal_and_age_several_handles);
	RUN(test_put_foreign);
	RUN(test_put_set_clear_and_drop);
	RUN(test_to_direct);
	RUN(test_to_direct_at_direct_max);
	RUN(test_release_converts_held_drops_cached);
	RUN(test_release_refuses_direct_overflow);
	RUN(test_drop_all);
	RUN(test_drop_held_and_held);
	RUN(test_alias_recycles_unused_cached);
	RUN(test_alias_ref_second_chance);
	RUN(test_alias_held_never_recycled);
	RUN(test_alias_other_frame_untouched);
	RUN(test_alias_pinned_directly);
	RUN(test_insert_busy_or_mismatch_makes_no_entry);
	RUN(test_get_full_count);
	RUN(test_pinlog_counts);
	RUN(test_uses_counted_and_stolen);
	RUN(test_uses_owner_harvests);
	RUN(test_uses_full);
	UNIT_MAIN_END("tcache");
}
