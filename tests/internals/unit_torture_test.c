/*
 * Concurrent torture of the pin protocol on ONE frame (frame.h) and of a
 * thread cache against a thief (tcache.h). Bounded iterations, no sleeps,
 * no timing assertions; meant to be run under --config=tsan too (page
 * bytes are plain memory, so a missing happens-before edge between the
 * EXCL holder and a pinner is a reported race).
 *
 * Seed: $LFM_SEED (default below), iterations per thread: $LFM_UNIT_ITERS.
 *
 * 1. frame_pin_vs_retag: 3 pinner threads pin / check / unpin directly
 *    (DIRECT or SLOTREF) while a retagger loops try_excl, rewrite the page,
 *    retag (sometimes to "not VALID"), release_excl. Invariant: a pinner
 *    that got LFM_PIN_OK reads the tag it asked for, and the page bytes of
 *    that tag, until it unpins; at the end no pins, no EXCL, no WAITERS.
 * 2. tcache_owner_vs_thief: an owner pins one page through its handle
 *    (get / insert / put, direct pins on a first use) and writes to it
 *    while pinned; a thief steals CACHED entries, takes EXCL when it can,
 *    checks that no cache entry still names the frame, checks the owner's
 *    last write is visible, and retags. At the end, after the handle is
 *    released, the frame has no pins.
 * 3. tcache_release_vs_foreign_put: an owner takes pins through its cache
 *    and hands them to a putter, then gives its handle back (thread exit:
 *    lfm__tcache_release turns HELD pins into direct ones) while the
 *    putter drops them with memp_fput's search for another thread's pin
 *    (lfm__buf_drop_pin). Invariant: every put finds a pin (rule 10),
 *    and after each round the frame has no pins.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "frame.h"
#include "hash.h"
#include "region.h"
#include "tcache.h"
#include "unit_check.h"
#include "unit_region.h"

#define DEFAULT_SEED  0x1f5eedull
#define DEFAULT_ITERS 20000
#define NPINNERS      3
#define PAGE	      256
#define NTAGS	      3

static uint64_t seed;
static long iters;

static atomic_int violations;

#define VIOLATION(...)                                                         \
	do {                                                                   \
		if (atomic_fetch_add(&violations, 1) < 10)                     \
			fprintf(stderr, __VA_ARGS__);                          \
	} while (0)

/* All threads of a test start their loops together. */
static atomic_int gate;

static void gate_wait(int n)
{
	atomic_fetch_add(&gate, 1);
	while (atomic_load(&gate) < n)
		sched_yield();
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint8_t pattern(uint64_t tag, uint32_t i)
{
	return (uint8_t)(tag * 31u + i * 7u + (tag >> 32) * 13u);
}

static const uint64_t tags[NTAGS] = {
    0x0000000100000001ull, 0x0000000100000002ull, 0x0000000200000001ull};

/* ------------------------------------------------------- 1: one frame */

static struct lfm__frame frame __attribute__((aligned(64)));
static uint8_t page[PAGE] __attribute__((aligned(64)));
static atomic_int pinners_done;

struct pinner_stats {
	long ok, busy, mismatch, waits;
};

struct pinner_arg {
	int id;
	struct pinner_stats st;
};

static void *pinner(void *p)
{
	struct pinner_arg *a = p;
	uint64_t rng = seed ^ (0x9e3779b97f4a7c15ull * (uint64_t)(a->id + 1));
	gate_wait(NPINNERS + 1);
	for (long n = 0; n < iters; n++) {
		uint64_t r = xorshift(&rng);
		uint64_t want = tags[r % NTAGS];
		uint32_t one =
		    (r >> 8) & 1 ? LFM_F_DIRECT_ONE : LFM_F_SLOTREF_ONE;
		enum lfm__pin_result res = lfm__frame_pin(&frame, want, one);
		if (res == LFM_PIN_OK) {
			a->st.ok++;
			uint32_t s = atomic_load_explicit(&frame.state,
							  memory_order_relaxed);
			if (!(s & LFM_F_VALID) || (s & LFM_F_EXCL) ||
			    (s & LFM_F_REFS_MASK) == 0)
				VIOLATION("pinner %d: pinned but state "
					  "0x%x\n",
					  a->id, s);
			/* Read the tag and the page a few times while
			 * pinned: both must stay those of `want`. */
			for (int k = 0; k < 3; k++) {
				uint64_t t = atomic_load_explicit(
				    &frame.tag, memory_order_relaxed);
				if (t != want)
					VIOLATION("pinner %d: pinned %llx "
						  "reads tag %llx\n",
						  a->id,
						  (unsigned long long)want,
						  (unsigned long long)t);
				for (uint32_t i = k; i < PAGE; i += 3)
					if (page[i] != pattern(want, i)) {
						VIOLATION(
						    "pinner %d: page "
						    "byte %u of %llx "
						    "wrong\n",
						    a->id, i,
						    (unsigned long long)want);
						break;
					}
			}
			uint32_t set = (r >> 9) & 1 ? LFM_F_DIRTY : 0;
			if (lfm__frame_unpin(&frame, one, set, 0) != 0)
				VIOLATION("pinner %d: unpin failed\n", a->id);
		} else if (res == LFM_PIN_BUSY) {
			a->st.busy++;
			uint32_t s = atomic_load_explicit(&frame.state,
							  memory_order_relaxed);
			if (s & LFM_F_EXCL) {
				a->st.waits++;
				lfm__frame_wait(&frame, s);
			}
		} else if (res == LFM_PIN_MISMATCH) {
			a->st.mismatch++;
		} else {
			VIOLATION("pinner %d: unexpected pin result %d\n",
				  a->id, (int)res);
		}
	}
	atomic_fetch_add(&pinners_done, 1);
	return NULL;
}

struct retagger_stats {
	long excl, refused, invalidated;
};

static void *retagger(void *p)
{
	struct retagger_stats *st = p;
	uint64_t rng = seed ^ 0xabcdefull;
	gate_wait(NPINNERS + 1);
	while (atomic_load(&pinners_done) < NPINNERS) {
		if (!lfm__frame_try_excl(&frame, 0, 0)) {
			st->refused++;
			sched_yield();
			continue;
		}
		st->excl++;
		uint32_t s =
		    atomic_load_explicit(&frame.state, memory_order_relaxed);
		if (s & LFM_F_REFS_MASK)
			VIOLATION("retagger: EXCL with pins: 0x%x\n", s);
		/* The page still holds what the last holder wrote. */
		uint64_t cur =
		    atomic_load_explicit(&frame.tag, memory_order_relaxed);
		if (s & LFM_F_VALID)
			for (uint32_t i = 0; i < PAGE; i++)
				if (page[i] != pattern(cur, i)) {
					VIOLATION("retagger: page of %llx "
						  "changed under pins\n",
						  (unsigned long long)cur);
					break;
				}
		uint64_t r = xorshift(&rng);
		uint64_t next = tags[r % NTAGS];
		for (uint32_t i = 0; i < PAGE; i++)
			page[i] = pattern(next, i);
		atomic_store_explicit(&frame.tag, next, memory_order_relaxed);
		if ((r >> 16) % 8 == 0) {
			st->invalidated++;
			lfm__frame_release_excl(&frame, 0,
						LFM_F_VALID | LFM_F_DIRTY);
		} else {
			lfm__frame_release_excl(&frame, LFM_F_VALID,
						LFM_F_DIRTY);
		}
	}
	return NULL;
}

static void test_frame_pin_vs_retag(void)
{
	memset(&frame, 0, sizeof(frame));
	for (uint32_t i = 0; i < PAGE; i++)
		page[i] = pattern(tags[0], i);
	atomic_store(&frame.tag, tags[0]);
	atomic_store(&frame.state, LFM_F_VALID);
	atomic_store(&pinners_done, 0);
	atomic_store(&gate, 0);

	pthread_t th[NPINNERS + 1];
	struct pinner_arg args[NPINNERS];
	struct retagger_stats rst = {0, 0, 0};
	int started = 0;
	if (pthread_create(&th[NPINNERS], NULL, retagger, &rst) != 0) {
		CHECK(!"pthread_create");
		return;
	}
	for (int i = 0; i < NPINNERS; i++) {
		memset(&args[i], 0, sizeof(args[i]));
		args[i].id = i;
		if (pthread_create(&th[i], NULL, pinner, &args[i]) != 0)
			break;
		started++;
	}
	CHECK_EQ(started, NPINNERS);
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	if (started < NPINNERS) { /* let the others go, and stop */
		atomic_store(&gate, NPINNERS + 1);
		atomic_store(&pinners_done, NPINNERS);
	}
	pthread_join(th[NPINNERS], NULL);

	uint32_t s = atomic_load(&frame.state);
	CHECK_EQ(s & LFM_F_REFS_MASK, 0);
	CHECK_EQ(s & (LFM_F_EXCL | LFM_F_WAITERS), 0);
	CHECK_EQ(atomic_load(&violations), 0);
	long ok = 0, busy = 0, mm = 0, waits = 0;
	for (int i = 0; i < started; i++) {
		ok += args[i].st.ok;
		busy += args[i].st.busy;
		mm += args[i].st.mismatch;
		waits += args[i].st.waits;
	}
	CHECK_EQ(ok + busy + mm, (long)started * iters);
	printf("frame_pin_vs_retag: pins ok %ld, busy %ld (waits %ld), "
	       "mismatch %ld; excl %ld (invalidated %ld), refused %ld\n",
	       ok, busy, waits, mm, rst.excl, rst.invalidated, rst.refused);
}

/* ------------------------------------------- 2: thread cache vs thief */

struct tc_shared {
	struct lfm__region_hdr *rh;
	struct lfm__frame *f;
	struct lfm__handle *h;
	atomic_int owner_done;
	long owner_rounds, owner_cached, owner_inserted, owner_direct,
	    owner_busy, owner_mismatch;
	long thief_stolen;
	atomic_long thief_excl;
};

/* Page layout: bytes 0..7 the owner's last write (a sequence number),
 * 8.. the pattern of the frame's tag. */
static void owner_use(struct tc_shared *x, uint64_t want, uint64_t *seq)
{
	uint8_t *pg = lfm__frame_page(x->rh, x->f);
	uint64_t t = atomic_load_explicit(&x->f->tag, memory_order_relaxed);
	if (t != want)
		VIOLATION("owner: pinned %llx reads tag %llx\n",
			  (unsigned long long)want, (unsigned long long)t);
	for (uint32_t i = 8; i < PAGE; i++)
		if (pg[i] != pattern(want, i)) {
			VIOLATION("owner: page byte %u of %llx wrong\n", i,
				  (unsigned long long)want);
			break;
		}
	++*seq;
	memcpy(pg, seq, 8);
}

static void *tc_owner(void *p)
{
	struct tc_shared *x = p;
	uint64_t want = tags[0], hash = lfm__hash_tag(want), seq = 0;
	gate_wait(2);
	/* `iters` rounds, and on until the thief has taken the frame a few
	 * times (bounded: at most 20 x iters). */
	long min_excl = iters / 200 + 1;
	for (long n = 0; n < 20 * iters; n++) {
		if (n >= iters && atomic_load(&x->thief_excl) >= min_excl)
			break;
		x->owner_rounds++;
		struct lfm__tc_entry *ghost;
		int64_t r = lfm__tcache_get(x->rh, x->h, want, hash, &ghost);
		if (r >= 0) {
			if (&lfm__frames(x->rh)[r] != x->f)
				VIOLATION("owner: cache names frame %lld\n",
					  (long long)r);
			x->owner_cached++;
			owner_use(x, want, &seq);
			if (lfm__tcache_put(x->rh, x->h, x->f, hash, 0, 0, 0,
					    NULL) != 0)
				VIOLATION("owner: put failed\n");
			continue;
		}
		enum lfm__pin_result res;
		if (r == LFM_TC_GHOST) {
			res = lfm__tcache_insert(x->rh, x->h, x->f, want, hash,
						 NULL);
			if (res == LFM_PIN_OK) {
				x->owner_inserted++;
				owner_use(x, want, &seq);
				if (lfm__tcache_put(x->rh, x->h, x->f, hash, 0,
						    0, 0, NULL) != 0)
					VIOLATION("owner: put failed\n");
			}
		} else if (r == LFM_TC_ABSENT) {
			res = lfm__frame_pin(x->f, want, LFM_F_DIRECT_ONE);
			if (res == LFM_PIN_OK) {
				x->owner_direct++;
				lfm__tcache_note(ghost, want);
				owner_use(x, want, &seq);
				if (lfm__frame_unpin(x->f, LFM_F_DIRECT_ONE, 0,
						     0) != 0)
					VIOLATION("owner: unpin failed\n");
			}
		} else {
			VIOLATION("owner: get returned %lld\n", (long long)r);
			continue;
		}
		if (res == LFM_PIN_BUSY) {
			x->owner_busy++;
			uint32_t s = atomic_load_explicit(&x->f->state,
							  memory_order_relaxed);
			if (s & LFM_F_EXCL)
				lfm__frame_wait(x->f, s);
		} else if (res == LFM_PIN_MISMATCH) {
			x->owner_mismatch++;
		} else if (res != LFM_PIN_OK) {
			VIOLATION("owner: pin result %d\n", (int)res);
		}
	}
	atomic_store(&x->owner_done, 1);
	return NULL;
}

static void *tc_thief(void *p)
{
	struct tc_shared *x = p;
	uint64_t rng = seed ^ 0x7777ull;
	struct lfm__tc_entry *e = (struct lfm__tc_entry *)(x->h + 1);
	uint32_t nent = x->rh->tc_sets * x->rh->tc_ways;
	uint32_t fi = lfm__frame_idx(x->rh, x->f) + 1;
	uint8_t *pg = lfm__frame_page(x->rh, x->f);
	uint64_t last_seq = 0;
	gate_wait(2);
	while (!atomic_load(&x->owner_done)) {
		uint64_t cur =
		    atomic_load_explicit(&x->f->tag, memory_order_relaxed);
		x->thief_stolen += lfm__tcache_steal(x->rh, x->f, cur, NULL);
		if (!lfm__frame_try_excl(x->f, 0, 0)) {
			sched_yield();
			continue;
		}
		atomic_fetch_add(&x->thief_excl, 1);
		uint32_t s =
		    atomic_load_explicit(&x->f->state, memory_order_relaxed);
		if (s & LFM_F_REFS_MASK)
			VIOLATION("thief: EXCL with pins 0x%x\n", s);
		/* SLOTREF 0: no entry may name the frame (rule 8). */
		for (uint32_t k = 0; k < nent; k++)
			if ((uint32_t)atomic_load_explicit(
				&e[k].word, memory_order_relaxed) == fi)
				VIOLATION("thief: entry %u names the frame "
					  "under EXCL\n",
					  k);
		/* The owner's writes are visible (plain read): its sequence
		 * number never goes back. */
		uint64_t seq;
		memcpy(&seq, pg, 8);
		if (seq < last_seq)
			VIOLATION("thief: owner's write %llu then %llu\n",
				  (unsigned long long)last_seq,
				  (unsigned long long)seq);
		last_seq = seq;
		cur = atomic_load_explicit(&x->f->tag, memory_order_relaxed);
		if (s & LFM_F_VALID)
			for (uint32_t i = 8; i < PAGE; i++)
				if (pg[i] != pattern(cur, i)) {
					VIOLATION("thief: page changed\n");
					break;
				}
		/* Mostly keep the owner's page (evict and refill the same
		 * page), sometimes another. */
		uint64_t r = xorshift(&rng);
		uint64_t next = r % 4 == 0 ? tags[1 + (r >> 8) % 2] : tags[0];
		for (uint32_t i = 8; i < PAGE; i++)
			pg[i] = pattern(next, i);
		atomic_store_explicit(&x->f->tag, next, memory_order_relaxed);
		lfm__frame_release_excl(x->f, LFM_F_VALID, LFM_F_DIRTY);
	}
	return NULL;
}

static void test_tcache_owner_vs_thief(void)
{
	struct tc_shared x;
	memset(&x, 0, sizeof(x));
	x.rh = unit_region(1, 2, 0);
	REQUIRE(x.rh != NULL);
	int64_t fi = lfm__region_carve(x.rh, PAGE, 0);
	int hi = lfm__tcache_claim(x.rh, 1, 0);
	if (fi < 0 || hi < 0) {
		CHECK(fi >= 0 && hi >= 0);
		lfm__region_destroy_private(x.rh);
		return;
	}
	x.f = &lfm__frames(x.rh)[fi];
	x.h = lfm__handle_at(x.rh, (uint32_t)hi);
	uint8_t *pg = lfm__frame_page(x.rh, x.f);
	for (uint32_t i = 8; i < PAGE; i++)
		pg[i] = pattern(tags[0], i);
	atomic_store(&x.f->tag, tags[0]);
	lfm__frame_release_excl(x.f, LFM_F_VALID, 0);

	atomic_store(&gate, 0);
	pthread_t to, tt;
	int ok_o = pthread_create(&to, NULL, tc_owner, &x) == 0;
	int ok_t = ok_o && pthread_create(&tt, NULL, tc_thief, &x) == 0;
	CHECK(ok_o && ok_t);
	if (!ok_t) {
		atomic_store(&gate, 2);
		atomic_store(&x.thief_excl, 1L << 40);
	}
	if (ok_o)
		pthread_join(to, NULL);
	atomic_store(&x.owner_done, 1);
	if (ok_t)
		pthread_join(tt, NULL);

	/* The owner leaves at most a CACHED entry: release drops it. */
	CHECK_EQ(lfm__tcache_release(x.rh, x.h, NULL), 0);
	uint32_t s = atomic_load(&x.f->state);
	CHECK_EQ(s & (LFM_F_REFS_MASK | LFM_F_EXCL | LFM_F_WAITERS), 0);
	CHECK_EQ(atomic_load(&violations), 0);
	CHECK_EQ(x.owner_cached + x.owner_inserted + x.owner_direct +
		     x.owner_busy + x.owner_mismatch,
		 x.owner_rounds);
	printf("tcache_owner_vs_thief: rounds %ld, cached %ld, inserted %ld, "
	       "direct %ld, "
	       "busy %ld, mismatch %ld; stolen %ld, excl %ld\n",
	       x.owner_rounds, x.owner_cached, x.owner_inserted, x.owner_direct,
	       x.owner_busy, x.owner_mismatch, x.thief_stolen,
	       atomic_load(&x.thief_excl));
	lfm__region_destroy_private(x.rh);
}

/* ------------------------------- 3: handle release vs foreign putter */

#define RV_PINS 3

struct rv_shared {
	struct lfm__pool mp; /* a private pool's: only rh is read here */
	struct lfm__region_hdr *rh;
	struct lfm__frame *f;
	atomic_long ready; /* round whose pins the putter may drop */
	atomic_long done;  /* round the putter has finished */
	long rounds;
	long lost;
};

static void *rv_putter(void *p)
{
	struct rv_shared *x = p;
	gate_wait(2);
	for (long r = 1; r <= x->rounds; r++) {
		while (atomic_load_explicit(&x->ready, memory_order_acquire) <
		       r)
			;
		/* memp_fput's search for a pin this thread did not take. */
		for (int k = 0; k < RV_PINS; k++)
			if (lfm__buf_drop_pin(&x->mp, x->f, tags[0], 0, 0) !=
			    0) {
				x->lost++;
				VIOLATION("putter: round %ld: no pin to drop\n",
					  r);
			}
		atomic_store_explicit(&x->done, r, memory_order_release);
	}
	return NULL;
}

static void test_tcache_release_vs_foreign_put(void)
{
	struct rv_shared x;
	memset(&x, 0, sizeof(x));
	x.rounds = iters * 5;
	x.rh = unit_region(1, 2, 0);
	REQUIRE(x.rh != NULL);
	x.mp.rh = x.rh;
	int64_t fi = lfm__region_carve(x.rh, PAGE, 0);
	if (fi < 0) {
		CHECK(fi >= 0);
		lfm__region_destroy_private(x.rh);
		return;
	}
	x.f = &lfm__frames(x.rh)[fi];
	atomic_store(&x.f->tag, tags[0]);
	lfm__frame_release_excl(x.f, LFM_F_VALID, 0);
	uint64_t hash = lfm__hash_tag(tags[0]);

	atomic_store(&gate, 0);
	pthread_t tp;
	REQUIRE(pthread_create(&tp, NULL, rv_putter, &x) == 0);
	gate_wait(2);
	long bad_state = 0;
	for (long r = 1; r <= x.rounds; r++) {
		int hi = lfm__tcache_claim(x.rh, 1, 0);
		if (hi < 0) {
			VIOLATION("owner: no handle in round %ld\n", r);
			break;
		}
		struct lfm__handle *h = lfm__handle_at(x.rh, (uint32_t)hi);
		/* RV_PINS pins, all HELD in one entry: insert, then gets. */
		int ok = lfm__tcache_insert(x.rh, h, x.f, tags[0], hash,
					    NULL) == LFM_PIN_OK;
		struct lfm__tc_entry *ghost;
		for (int k = 1; ok && k < RV_PINS; k++)
			ok = lfm__tcache_get(x.rh, h, tags[0], hash, &ghost) ==
			     fi;
		if (!ok) {
			VIOLATION("owner: pins not taken in round %ld\n", r);
			break;
		}
		atomic_store_explicit(&x.ready, r, memory_order_release);
		/* The owner's thread ends while the putter drops its pins. */
		if (lfm__tcache_release(x.rh, h, NULL) != 0)
			VIOLATION("owner: release kept the handle\n");
		while (atomic_load_explicit(&x.done, memory_order_acquire) < r)
			;
		uint32_t s = atomic_load(&x.f->state);
		if ((s & (LFM_F_REFS_MASK | LFM_F_EXCL)) != 0 &&
		    bad_state++ < 5)
			VIOLATION("round %ld: state 0x%x after all puts\n", r,
				  s);
		/* Start the next round from a clean frame either way. */
		atomic_store(&x.f->state, LFM_F_VALID);
	}
	atomic_store(&x.ready, x.rounds);
	pthread_join(tp, NULL);
	CHECK_EQ(x.lost, 0);
	CHECK_EQ(bad_state, 0);
	CHECK_EQ(atomic_load(&violations), 0);
	printf("tcache_release_vs_foreign_put: %ld rounds of %d pins, %ld "
	       "puts found no pin\n",
	       x.rounds, RV_PINS, x.lost);
	lfm__region_destroy_private(x.rh);
}

int main(void)
{
	const char *e = getenv("LFM_SEED");
	seed = e != NULL && *e ? strtoull(e, NULL, 0) : DEFAULT_SEED;
	if (seed == 0)
		seed = DEFAULT_SEED; /* xorshift needs a non-zero state */
	e = getenv("LFM_UNIT_ITERS");
	iters = e != NULL && *e ? strtol(e, NULL, 0) : DEFAULT_ITERS;
	if (iters <= 0)
		iters = DEFAULT_ITERS;
	printf("unit_torture: seed 0x%llx, %ld iterations per thread\n",
	       (unsigned long long)seed, iters);
	RUN(test_frame_pin_vs_retag);
	RUN(test_tcache_owner_vs_thief);
	RUN(test_tcache_release_vs_foreign_put);
	UNIT_MAIN_END("torture");
}
