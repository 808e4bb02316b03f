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
 *    (get / insert / put, direct pins and a note on a first use, as
 *    getput.c does) and writes to it
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
 * 4. tcache_alias_recycle_vs_thief: as 2, with two owners (a handle
 *    each) on two frames that share one entry (caches of 4 entries):
 *    each owner uses the two pages in runs, so its notes recycle one
 *    frame's CACHED entry for the other's ghost (or clear its REF) while
 *    the thief steals, or ages as CLOCK does, the entries of both and
 *    takes EXCL. Invariant: as 2, for each frame and owner; an entry's
 *    SLOTREF dropped twice (by a recycle and a steal of one entry) would
 *    let the thief take EXCL while the other owner's entry names the
 *    frame.
 * 5. tcache_plain_owner_vs_thief: as 2 and 4, the owners pinning and
 *    putting through their entries by plain stores whenever the guard
 *    lets them (tcguard.h, as the hit path does), and trying to open it
 *    while it is shut; the thief pauses now and then until an owner has
 *    been plain, so that its next steal arms the guard against owners
 *    in the middle of plain changes. A plain store that overwrote a
 *    steal would leave an entry naming a frame under EXCL; one that lost
 *    a pin, a pinned page retagged under its owner.
 * Owners stay at most TC_SKEW rounds ahead of the thief, so that they
 * race on a loaded machine too.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "getput.h"
#include "frame.h"
#include "region.h"
#include "tcache.h"
#include "tcguard.h"
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

/* The owners' page in frame k, and the thief's other pages for it
 * (frames hold pages of different files: no page is in two frames). */
static uint64_t ftag(uint32_t k, uint32_t j)
{
	return tags[j] + ((uint64_t)k << 40);
}

#define TC_MAXF 2 /* frames */
#define TC_MAXO 2 /* owners, each with its handle */
/* Page layout: bytes 8 * o .. 8 * o + 7 owner o's last write (a sequence
 * number: owners pin together, so each writes its own bytes), then the
 * pattern of the frame's tag. */
#define TC_PAT (8 * TC_MAXO)

/* Rounds an owner may run ahead of the thief's loop: on a loaded machine
 * one thread alone could otherwise do every round while the other waits
 * for a CPU, and the two would never race. */
#define TC_SKEW 256

struct tc_owner_stats {
	long rounds, cached, inserted, direct, busy, mismatch;
	long recycled; /* notes that found another frame's entry go */
	long plain;    /* of cached: pinned by a plain store */
};

struct tc_shared {
	struct lfm__region_hdr *rh;
	struct lfm__frame *f[TC_MAXF];
	uint32_t nf;   /* frames used: 1, or 2 sharing one entry */
	uint32_t no;   /* owners */
	int thief_age; /* the thief ages (CLOCK) as well as steals */
	int plain;     /* owners are plain when the guard lets them (5) */
	atomic_long plain_ops; /* plain pins so far, all owners */
	struct lfm__handle *h[TC_MAXO];
	struct tc_owner_stats os[TC_MAXO];
	atomic_int owners_done;
	long thief_spared;
	atomic_long thief_stolen, thief_excl;
	atomic_long thief_loops;
};

struct tc_owner_arg {
	struct tc_shared *x;
	uint32_t o;
};

static void owner_use(struct tc_shared *x, uint32_t o, struct lfm__frame *f,
		      uint64_t want, uint64_t *seq)
{
	uint8_t *pg = lfm__frame_page(x->rh, f);
	uint64_t t = atomic_load_explicit(&f->tag, memory_order_relaxed);
	if (t != want)
		VIOLATION("owner %u: pinned %llx reads tag %llx\n", o,
			  (unsigned long long)want, (unsigned long long)t);
	for (uint32_t i = TC_PAT; i < PAGE; i++)
		if (pg[i] != pattern(want, i)) {
			VIOLATION("owner %u: page byte %u of %llx wrong\n", o,
				  i, (unsigned long long)want);
			break;
		}
	++*seq;
	memcpy(pg + 8 * o, seq, 8);
}

/* The hit path's plain pin (hit.c): if the guard lets the owner be
 * plain and its entry names f with the page's tag and room for a pin, one
 * pin more by a load and a store. 1: pinned; 0: not (the general path
 * then); -1: the guard is shut. */
static int plain_pin(struct tc_shared *x, struct lfm__handle *h,
		     struct lfm__frame *f, uint64_t want)
{
	if (!lfm__tcguard_begin(h))
		return -1;
	uint32_t fi = lfm__frame_idx(x->rh, f) + 1;
	struct lfm__tc_entry *e = lfm__tc_entry(x->rh, h, fi - 1);
	uint64_t w = atomic_load_explicit(&e->word, memory_order_relaxed);
	uint64_t n = w + LFM_TC_PIN_USE;
	int ok = e->tag == want && lfm__tc_frame(n) == fi &&
		 lfm__tc_count(w) < LFM_TC_COUNT_MAX;
	if (ok)
		atomic_store_explicit(&e->word, n | LFM_TC_REF,
				      memory_order_relaxed);
	lfm__tcguard_done(h);
	return ok;
}

/* The hit path's put: plain if the guard lets it, else by CAS. 0, or -1
 * if the entry holds no pin of f. */
static int plain_put(struct tc_shared *x, struct lfm__handle *h,
		     struct lfm__frame *f)
{
	if (!lfm__tcguard_begin(h))
		return lfm__tcache_put(x->rh, h, f, 0, 0, 0, NULL);
	uint32_t fi = lfm__frame_idx(x->rh, f) + 1;
	struct lfm__tc_entry *e = lfm__tc_entry(x->rh, h, fi - 1);
	uint64_t w = atomic_load_explicit(&e->word, memory_order_relaxed);
	int ok = lfm__tc_frame(w) == fi && lfm__tc_count(w) > 0;
	if (ok)
		atomic_store_explicit(&e->word, w - LFM_TC_COUNT_ONE,
				      memory_order_release);
	lfm__tcguard_done(h);
	return ok ? 0 : -1;
}

static void *tc_owner(void *p)
{
	struct tc_owner_arg *a = p;
	struct tc_shared *x = a->x;
	const uint32_t o = a->o;
	struct lfm__handle *h = x->h[o];
	struct tc_owner_stats *st = &x->os[o];
	uint64_t seq[TC_MAXF] = {0}, rng = seed ^ (0x3131ull * (o + 1));
	gate_wait((int)x->no + 1);
	/* `iters` rounds, and on until the thief has taken each frame and
	 * stolen entries a few times (bounded: at most 20 x iters). The
	 * engine's get (getput.c get_page): the entry first, an insert on a
	 * ghost, else a direct pin, noted when the page was absent. */
	long min_excl = (long)x->nf * (iters / 200 + 1);
	long min_stolen = iters / 1000 + 1;
	for (long n = 0; n < 20 * iters; n++) {
		if (n >= iters && atomic_load(&x->thief_excl) >= min_excl &&
		    atomic_load(&x->thief_stolen) >= min_stolen)
			break;
		while (n > atomic_load(&x->thief_loops) + TC_SKEW)
			sched_yield();
		st->rounds++;
		/* Runs of one page, then the other: its second use admits
		 * it, recycling the other's entry. */
		uint32_t k = x->nf == 1 ? 0 : (xorshift(&rng) % 4 == 0);
		struct lfm__frame *f = x->f[k];
		uint32_t fi = lfm__frame_idx(x->rh, f) + 1;
		uint64_t want = ftag(k, 0);
		if (x->plain) {
			int r = plain_pin(x, h, f, want);
			if (r < 0 && st->rounds % 8 == 0)
				lfm__tcguard_try_open(x->rh);
			if (r > 0) {
				st->cached++;
				st->plain++;
				atomic_fetch_add(&x->plain_ops, 1);
				owner_use(x, o, f, want, &seq[k]);
				if (plain_put(x, h, f) != 0)
					VIOLATION("owner %u: plain put\n", o);
				continue;
			}
		}
		int c = lfm__tcache_get(x->rh, h, f, want);
		if (c == LFM_TC_HIT) {
			st->cached++;
			uint64_t w = atomic_load_explicit(
			    &lfm__tc_entry(x->rh, h, fi - 1)->word,
			    memory_order_relaxed);
			if (lfm__tc_frame(w) != fi || lfm__tc_count(w) == 0)
				VIOLATION("owner %u: hit, entry word %llx\n", o,
					  (unsigned long long)w);
			owner_use(x, o, f, want, &seq[k]);
			if ((x->plain ? plain_put(x, h, f)
				      : lfm__tcache_put(x->rh, h, f, 0, 0, 0,
							NULL)) != 0)
				VIOLATION("owner %u: put failed\n", o);
			continue;
		}
		enum lfm__pin_result res = LFM_PIN_FULL;
		if (c == LFM_TC_GHOST) {
			res = lfm__tcache_insert(x->rh, h, f, want, NULL);
			if (res == LFM_PIN_OK) {
				st->inserted++;
				owner_use(x, o, f, want, &seq[k]);
				if (lfm__tcache_put(x->rh, h, f, 0, 0, 0,
						    NULL) != 0)
					VIOLATION("owner %u: put failed\n", o);
			}
		} else if (c != LFM_TC_ABSENT) {
			VIOLATION("owner %u: get returned %d\n", o, c);
			continue;
		}
		if (res == LFM_PIN_FULL) {
			res = lfm__frame_pin(f, want, LFM_F_DIRECT_ONE);
			if (res == LFM_PIN_OK) {
				st->direct++;
				if (c == LFM_TC_ABSENT) {
					_Atomic uint64_t *ew =
					    &lfm__tc_entry(x->rh, h, fi - 1)
						 ->word;
					uint64_t w0 = atomic_load(ew);
					lfm__tcache_note(x->rh, h, f, want,
							 NULL);
					st->recycled +=
					    lfm__tc_frame(w0) != 0 &&
					    lfm__tc_frame(w0) != fi &&
					    atomic_load(ew) == 0;
				}
				owner_use(x, o, f, want, &seq[k]);
				if (lfm__frame_unpin(f, LFM_F_DIRECT_ONE, 0,
						     0) != 0)
					VIOLATION("owner %u: unpin failed\n",
						  o);
			}
		}
		if (res == LFM_PIN_BUSY) {
			st->busy++;
			uint32_t s = atomic_load_explicit(&f->state,
							  memory_order_relaxed);
			if (s & LFM_F_EXCL)
				lfm__frame_wait(f, s);
		} else if (res == LFM_PIN_MISMATCH) {
			st->mismatch++;
		} else if (res != LFM_PIN_OK) {
			VIOLATION("owner %u: pin result %d\n", o, (int)res);
		}
	}
	atomic_fetch_add(&x->owners_done, 1);
	return NULL;
}

static void *tc_thief(void *p)
{
	struct tc_shared *x = p;
	uint64_t rng = seed ^ 0x7777ull;
	uint32_t nent = x->rh->tc_entries;
	uint64_t last_seq[TC_MAXF][TC_MAXO];
	memset(last_seq, 0, sizeof(last_seq));
	gate_wait((int)x->no + 1);
	long seen_plain = 0;
	for (uint32_t n = 0; atomic_load(&x->owners_done) < (int)x->no; n++) {
		atomic_fetch_add(&x->thief_loops, 1);
		/* Now and then, room for the guard to open (two tries of an
		 * owner with no thief between) and an owner to be plain:
		 * the steal after arms it against a plain change. Bounded,
		 * so that owners held back by TC_SKEW cannot stall it. */
		for (int y = 0; x->plain && n % 16 == 0 && y < 2000 &&
				atomic_load(&x->plain_ops) == seen_plain &&
				atomic_load(&x->owners_done) < (int)x->no;
		     y++)
			sched_yield();
		seen_plain = atomic_load(&x->plain_ops);
		uint32_t k = n % x->nf;
		struct lfm__frame *f = x->f[k];
		uint32_t fi = lfm__frame_idx(x->rh, f) + 1;
		uint8_t *pg = lfm__frame_page(x->rh, f);
		int used = 0;
		if (x->thief_age && xorshift(&rng) % 2 == 0) {
			/* CLOCK at a frame whose USAGE is 0. */
			atomic_fetch_add(
			    &x->thief_stolen,
			    lfm__tcache_age(x->rh, f, &used, NULL));
			x->thief_spared += used;
		} else {
			atomic_fetch_add(&x->thief_stolen,
					 lfm__tcache_steal(x->rh, f, NULL));
		}
		if (!lfm__frame_try_excl(f, 0, 0)) {
			sched_yield();
			continue;
		}
		atomic_fetch_add(&x->thief_excl, 1);
		uint32_t s =
		    atomic_load_explicit(&f->state, memory_order_relaxed);
		if (s & LFM_F_REFS_MASK)
			VIOLATION("thief: EXCL with pins 0x%x\n", s);
		/* SLOTREF 0: no entry of any handle may name the frame (rule
		 * 8); an entry's SLOTREF dropped twice (by a recycle and a
		 * steal of one entry) would show here while another
		 * handle's entry names the frame. */
		for (uint32_t o = 0; o < x->no; o++) {
			struct lfm__tc_entry *e = lfm__tc_entries(x->h[o]);
			for (uint32_t j = 0; j < nent; j++)
				if (lfm__tc_frame(atomic_load_explicit(
					&e[j].word, memory_order_relaxed)) ==
				    fi)
					VIOLATION("thief: owner %u's entry %u "
						  "names frame %u under "
						  "EXCL\n",
						  o, j, fi - 1);
		}
		/* The owners' writes are visible (plain read): their
		 * sequence numbers never go back. */
		for (uint32_t o = 0; o < x->no; o++) {
			uint64_t seq;
			memcpy(&seq, pg + 8 * o, 8);
			if (seq < last_seq[k][o])
				VIOLATION("thief: owner %u's write %llu then "
					  "%llu\n",
					  o, (unsigned long long)last_seq[k][o],
					  (unsigned long long)seq);
			last_seq[k][o] = seq;
		}
		uint64_t cur =
		    atomic_load_explicit(&f->tag, memory_order_relaxed);
		if (s & LFM_F_VALID)
			for (uint32_t i = TC_PAT; i < PAGE; i++)
				if (pg[i] != pattern(cur, i)) {
					VIOLATION("thief: page changed\n");
					break;
				}
		/* Mostly keep the owners' page (evict and refill the same
		 * page), sometimes another. */
		uint64_t r = xorshift(&rng);
		uint64_t next = ftag(k, r % 4 == 0 ? 1 + (r >> 8) % 2 : 0);
		for (uint32_t i = TC_PAT; i < PAGE; i++)
			pg[i] = pattern(next, i);
		atomic_store_explicit(&f->tag, next, memory_order_relaxed);
		lfm__frame_release_excl(f, LFM_F_VALID, LFM_F_DIRTY);
	}
	return NULL;
}

/* `no` owners and a thief on `nf` frames of a region whose caches have
 * `tc_entries` entries (0: the default). */
static void tcache_vs_thief(const char *name, uint32_t no, uint32_t nf,
			    uint32_t tc_entries, int thief_age, int plain)
{
	struct tc_shared x;
	memset(&x, 0, sizeof(x));
	x.no = no;
	x.nf = nf;
	x.thief_age = thief_age;
	x.plain = plain;
	x.rh = unit_region(1, no, tc_entries);
	REQUIRE(x.rh != NULL);
	int ok = 1;
	for (uint32_t o = 0; ok && o < no; o++) {
		int hi = lfm__tcache_claim(x.rh, o + 1, 0);
		ok = hi >= 0;
		if (ok)
			x.h[o] = lfm__handle_at(x.rh, (uint32_t)hi);
	}
	/* Frames sharing one entry: indices equal modulo tc_entries. */
	uint32_t mask = x.rh->tc_entries - 1;
	for (uint32_t k = 0; ok && k < nf;) {
		int64_t fi = lfm__region_carve(x.rh, PAGE, 0);
		if (fi < 0) {
			ok = 0;
			break;
		}
		if (k > 0 && ((uint32_t)fi & mask) !=
				 (lfm__frame_idx(x.rh, x.f[0]) & mask))
			continue; /* left a placeholder, unused */
		struct lfm__frame *f = &lfm__frames(x.rh)[fi];
		uint8_t *pg = lfm__frame_page(x.rh, f);
		for (uint32_t i = TC_PAT; i < PAGE; i++)
			pg[i] = pattern(ftag(k, 0), i);
		atomic_store(&f->tag, ftag(k, 0));
		lfm__frame_release_excl(f, LFM_F_VALID, 0);
		x.f[k++] = f;
	}
	if (!ok) {
		CHECK(ok);
		lfm__region_destroy_private(x.rh);
		return;
	}

	atomic_store(&gate, 0);
	pthread_t to[TC_MAXO], tt;
	struct tc_owner_arg args[TC_MAXO];
	uint32_t started = 0;
	int ok_t = pthread_create(&tt, NULL, tc_thief, &x) == 0;
	for (uint32_t o = 0; ok_t && o < no; o++) {
		args[o].x = &x;
		args[o].o = o;
		if (pthread_create(&to[o], NULL, tc_owner, &args[o]) != 0)
			break;
		started++;
	}
	CHECK(ok_t && started == no);
	if (!ok_t || started < no) { /* let the others go, and stop */
		atomic_store(&gate, (int)no + 1);
		atomic_store(&x.thief_excl, 1L << 40);
		atomic_store(&x.thief_stolen, 1L << 40);
		atomic_store(&x.thief_loops, 1L << 40);
	}
	for (uint32_t o = 0; o < started; o++)
		pthread_join(to[o], NULL);
	atomic_store(&x.owners_done, (int)no);
	if (ok_t)
		pthread_join(tt, NULL);

	/* The owners leave at most CACHED entries: release drops them. */
	for (uint32_t o = 0; o < no; o++)
		CHECK_EQ(lfm__tcache_release(x.rh, x.h[o], NULL), 0);
	for (uint32_t k = 0; k < nf; k++) {
		uint32_t s = atomic_load(&x.f[k]->state);
		CHECK_EQ(s & (LFM_F_REFS_MASK | LFM_F_EXCL | LFM_F_WAITERS), 0);
	}
	CHECK_EQ(atomic_load(&violations), 0);
	struct tc_owner_stats t = {0, 0, 0, 0, 0, 0, 0, 0};
	for (uint32_t o = 0; o < no; o++) {
		struct tc_owner_stats *q = &x.os[o];
		CHECK_EQ(q->cached + q->inserted + q->direct + q->busy +
			     q->mismatch,
			 q->rounds);
		t.rounds += q->rounds;
		t.cached += q->cached;
		t.inserted += q->inserted;
		t.direct += q->direct;
		t.busy += q->busy;
		t.mismatch += q->mismatch;
		t.recycled += q->recycled;
		t.plain += q->plain;
	}
	/* The race was run: owners were plain (where the kernel lets the
	 * guard open at all). */
	if (plain && x.rh->tc_plain_ok)
		CHECK(t.plain > 0);
	printf("%s: rounds %ld, cached %ld (plain %ld), inserted %ld, direct "
	       "%ld (recycling %ld), busy %ld, mismatch %ld; stolen %ld, "
	       "spared %ld, excl %ld\n",
	       name, t.rounds, t.cached, t.plain, t.inserted, t.direct,
	       t.recycled, t.busy, t.mismatch, atomic_load(&x.thief_stolen),
	       x.thief_spared, atomic_load(&x.thief_excl));
	lfm__region_destroy_private(x.rh);
}

static void test_tcache_owner_vs_thief(void)
{
	tcache_vs_thief("tcache_owner_vs_thief", 1, 1, 0, 0, 0);
}

static void test_tcache_alias_recycle_vs_thief(void)
{
	tcache_vs_thief("tcache_alias_recycle_vs_thief", 2, 2, 4, 1, 0);
}

static void test_tcache_plain_owner_vs_thief(void)
{
	tcache_vs_thief("tcache_plain_owner_vs_thief", 1, 1, 0, 1, 1);
	tcache_vs_thief("tcache_plain_alias_vs_thief", 2, 2, 4, 1, 1);
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
			if (lfm__buf_drop_pin(&x->mp, x->f, 0, 0) != 0) {
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
		int ok = lfm__tcache_insert(x.rh, h, x.f, tags[0], NULL) ==
			 LFM_PIN_OK;
		for (int k = 1; ok && k < RV_PINS; k++)
			ok = lfm__tcache_get(x.rh, h, x.f, tags[0]) ==
			     LFM_TC_HIT;
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
	RUN(test_tcache_alias_recycle_vs_thief);
	RUN(test_tcache_release_vs_foreign_put);
	RUN(test_tcache_plain_owner_vs_thief);
	UNIT_MAIN_END("torture");
}
