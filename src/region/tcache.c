/* tcache.c - per-thread pin caches (protocol in tcache.h). */
#include "tcache.h"
#include "testpoint.h"

#include "crashpoint.h"
#include "lfm_assert.h"
#include "pinlog.h"
#include "tcguard.h"

/* This process's pin-log entry for frame index fi - 1 (`plog`: its log, in
 * a shared region; NULL in a private one, where nothing is logged), held
 * around every change of an entry's emptiness and of the frame's counts
 * (pinlog.h, P1). Returns the entry's COUNT (0 without a log). */
static inline _Atomic uint16_t *log_entry(_Atomic uint16_t *plog, uint32_t fi)
{
	return plog != NULL ? &plog[fi - 1] : NULL;
}

static inline uint32_t log_lock(_Atomic uint16_t *e)
{
	return e != NULL ? lfm__pinlog_lock(e) : 0;
}

static inline void log_unlock(_Atomic uint16_t *e, uint32_t count)
{
	if (e != NULL)
		lfm__pinlog_unlock(e, count);
}

/* Adds n hits of file `slot` to owner h's counter. */
static void owner_hits(struct lfm__region_hdr *rh, struct lfm__handle *h,
		       uint32_t slot, uint64_t n)
{
	lfm__owner_add(lfm__handle_stats(rh, h, slot) + LFM_ST_HIT, n);
}

void lfm__tcache_harvest(struct lfm__region_hdr *rh, struct lfm__handle *h,
			 uint64_t w)
{
	uint32_t uses = lfm__tc_uses(w);
	if (uses == 0)
		return;
	uint32_t fi = lfm__tc_frame(w);
	uint64_t tag = atomic_load_explicit(&lfm__frames(rh)[fi - 1].tag,
					    memory_order_relaxed);
	LFM_ASSERT(tag != 0); /* the word's SLOTREF keeps it */
	uint32_t slot = lfm__tag_slot(tag);
	if (tag == 0 || slot >= rh->nfiles_max)
		return;
	if (h != NULL)
		owner_hits(rh, h, slot, uses);
	else
		atomic_fetch_add_explicit(&lfm__files(rh)[slot]
					       .stats[fi % LFM_STAT_STRIPES]
					       .c[LFM_ST_HIT],
					  uses, memory_order_relaxed);
}

int lfm__tcache_claim(struct lfm__region_hdr *rh, uint32_t owner_id,
		      uint32_t proc)
{
	LFM_ASSERT(owner_id != 0); /* 0 marks a free handle */
	LFM_ASSERT(proc <= LFM_NPROCS);
	for (uint32_t i = 0; i < rh->nhandles; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		uint32_t expected = 0;
		if (atomic_load_explicit(&h->owner, memory_order_relaxed) ||
		    !atomic_compare_exchange_strong_explicit(
			&h->owner, &expected, owner_id, memory_order_acquire,
			memory_order_relaxed))
			continue;
		h->stripe = i % LFM_STAT_STRIPES;
		lfm__tcguard_forbid(h); /* CAS until opened (below) */
		atomic_store_explicit(&h->proc, proc, memory_order_relaxed);
		/* Ghosts of the previous owner mean nothing to this one. */
		struct lfm__tc_entry *e = lfm__tc_entries(h);
		for (uint32_t k = 0; k < rh->tc_entries; k++)
			e[k].tag = 0;
		uint32_t hi = atomic_load_explicit(&rh->handles_hiwater,
						   memory_order_relaxed);
		while (hi < i + 1 &&
		       !atomic_compare_exchange_weak_explicit(
			   &rh->handles_hiwater, &hi, i + 1,
			   memory_order_release, memory_order_relaxed))
			;
		/* Plain from its first use if no thief is about. */
		lfm__tcguard_try_open(rh);
		return (int)i;
	}
	return -1;
}

/* Owner: empties its entry `word` (loaded as w, naming f), its HELD count
 * becoming DIRECT pins on f (logged in `log`, this process's entry for f
 * in a shared region, held throughout), its SLOTREF dropped. A foreign
 * putter looks for a pin in DIRECT and then in the entries (getput.c
 * release()); emptying the entry first and adding to DIRECT after would
 * let it look between the two and find the pin in neither: EINVAL, the pin
 * and its DIRTY lost. So the count is added to DIRECT first. Until the
 * entry is emptied each of those pins is counted twice, and a putter may
 * drop it from either place; what it took from the entry meanwhile comes
 * off DIRECT again after. Returns -1, with nothing changed, if DIRECT has
 * no room for the count. */
static int entry_to_direct(struct lfm__region_hdr *rh, struct lfm__handle *h,
			   struct lfm__frame *f, _Atomic uint64_t *word,
			   uint64_t w, _Atomic uint16_t *log)
{
	const uint32_t fi = lfm__tc_frame(w), c = lfm__tc_count(w);
	uint32_t logged = log_lock(log);
	uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
	if (c > 0) {
		/* Relaxed: adding pins to pins the owner holds publishes
		 * nothing. */
		do {
			if (lfm__st_direct(s) + c > LFM_DIRECT_MAX ||
			    logged + c > LFM_PINLOG_COUNT) {
				log_unlock(log, logged);
				return -1;
			}
		} while (!atomic_compare_exchange_weak_explicit(
		    &f->state, &s, s + c * LFM_F_DIRECT_ONE,
		    memory_order_relaxed, memory_order_relaxed));
		logged += c;
		LFM_CRASH_POINT(LFM_CRASH_PIN_COUNTED);
	}
	/* Only foreign putters (count down), thieves (a CACHED entry:
	 * emptied, its SLOTREF theirs to drop) and sweeps (REF) change the
	 * word now. Acquire: a putter's page writes, released with its
	 * decrement, go on with the SLOTREF's release below. */
	int emptied = 0;
	while (lfm__tc_frame(w) == fi)
		if (atomic_compare_exchange_weak_explicit(
			word, &w, 0, memory_order_acq_rel,
			memory_order_acquire)) {
			emptied = 1;
			lfm__tcache_harvest(rh, h, w);
			break;
		}
	LFM_CRASH_POINT(LFM_CRASH_ENTRY_EMPTIED);
	const uint32_t gone = c - (emptied ? lfm__tc_count(w) : 0);
	if (gone == 0 && !emptied) {
		log_unlock(log, logged);
		return 0;
	}
	/* Release: the user's page writes reach whoever takes EXCL once
	 * the frame looks unpinned. Never below 0 DIRECT: a double put may
	 * have taken a counted-twice pin from DIRECT too (pins are
	 * fungible; such a put drops some other pin anyway). */
	s = atomic_load_explicit(&f->state, memory_order_relaxed);
	for (;;) {
		uint32_t d = lfm__st_direct(s), g = gone < d ? gone : d;
		uint32_t n = s - g * LFM_F_DIRECT_ONE -
			     (emptied ? LFM_F_SLOTREF_ONE : 0);
		if (n == s || atomic_compare_exchange_weak_explicit(
				  &f->state, &s, n, memory_order_release,
				  memory_order_relaxed)) {
			log_unlock(log, logged - (g < logged ? g : logged));
			return 0;
		}
	}
}

int lfm__tcache_release(struct lfm__region_hdr *rh, struct lfm__handle *h,
			_Atomic uint16_t *pinlog)
{
	struct lfm__frame *frames = lfm__frames(rh);
	struct lfm__tc_entry *e = lfm__tc_entries(h);
	uint32_t n = rh->tc_entries;
	int rc = 0;
	LFM_ASSERT(atomic_load_explicit(&h->owner, memory_order_relaxed) != 0);

	for (uint32_t i = 0; i < n; i++) {
		uint64_t w =
		    atomic_load_explicit(&e[i].word, memory_order_acquire);
		if (w == 0)
			continue;
		uint32_t fi = lfm__tc_frame(w);
		if (entry_to_direct(rh, h, &frames[fi - 1], &e[i].word, w,
				    log_entry(pinlog, fi)) != 0)
			rc = -1; /* keep the handle with what it holds */
	}
	if (rc == 0) {
		lfm__tcguard_forbid(h);
		atomic_store_explicit(&h->owner, 0, memory_order_release);
	}
	return rc;
}

void lfm__tcache_drop_all(struct lfm__region_hdr *rh, struct lfm__handle *h,
			  _Atomic uint16_t *plog)
{
	struct lfm__frame *frames = lfm__frames(rh);
	struct lfm__tc_entry *e = lfm__tc_entries(h);
	uint32_t n = rh->tc_entries;
	LFM_ASSERT(atomic_load_explicit(&h->owner, memory_order_relaxed) != 0);

	/* Another thread's handle, perhaps: its owner must not be plain. */
	lfm__tcguard_enter(rh);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t w =
		    atomic_load_explicit(&e[i].word, memory_order_relaxed);
		if (w == 0)
			continue;
		_Atomic uint16_t *log = log_entry(plog, lfm__tc_frame(w));
		uint32_t logged = log_lock(log);
		/* Exchange: a thief racing us takes the reference, or we do. */
		w = atomic_exchange_explicit(&e[i].word, 0,
					     memory_order_acq_rel);
		LFM_CRASH_POINT(LFM_CRASH_ENTRY_EMPTIED);
		if (w != 0) {
			lfm__tcache_harvest(rh, h, w);
			atomic_fetch_sub_explicit(
			    &frames[lfm__tc_frame(w) - 1].state,
			    LFM_F_SLOTREF_ONE, memory_order_release);
		}
		log_unlock(log, logged);
	}
	lfm__tcguard_forbid(h);
	lfm__tcguard_exit(rh);
	atomic_store_explicit(&h->proc, 0, memory_order_relaxed);
	atomic_store_explicit(&h->owner, 0, memory_order_release);
}

int lfm__tcache_get(struct lfm__region_hdr *rh, struct lfm__handle *h,
		    const struct lfm__frame *f, uint64_t tag)
{
	uint32_t fi = lfm__frame_idx(rh, f) + 1;
	struct lfm__tc_entry *e = lfm__tc_entry(rh, h, fi - 1);
	/* Another page's entry: f no longer holds `tag` (an entry naming f
	 * would carry f's tag), or the entry is another frame's. */
	if (e->tag != tag)
		return LFM_TC_ABSENT;
	uint64_t w = atomic_load_explicit(&e->word, memory_order_relaxed);
	for (;;) {
		if (w == 0)
			return LFM_TC_GHOST; /* or stolen: still hot */
		if (lfm__tc_frame(w) != fi)
			return LFM_TC_ABSENT; /* the page moved to that frame */
		if (lfm__tc_count(w) >= LFM_TC_COUNT_MAX)
			return LFM_TC_FULL;
		/* Uses at their top (the fast path sent this hit here): they
		 * and this hit go to the owner's counter, the word keeps 0. */
		int full = lfm__tc_uses(w) == LFM_TC_USE_MAX;
		uint64_t n = full ? (w & ~LFM_TC_USE_MASK) + LFM_TC_COUNT_ONE
				  : w + LFM_TC_PIN_USE;
		/* Acquire pairs with the release of a foreign putter that
		 * decremented the count. */
		if (atomic_compare_exchange_weak_explicit(
			&e->word, &w, n | LFM_TC_REF, memory_order_acquire,
			memory_order_relaxed)) {
			if (full)
				owner_hits(rh, h, lfm__tag_slot(tag),
					   LFM_TC_USE_MAX + 1u);
			return LFM_TC_HIT;
		}
	}
}

void lfm__tcache_note(struct lfm__region_hdr *rh, struct lfm__handle *h,
		      const struct lfm__frame *f, uint64_t tag,
		      _Atomic uint16_t *plog)
{
	uint32_t fi = lfm__frame_idx(rh, f) + 1;
	struct lfm__tc_entry *e = lfm__tc_entry(rh, h, fi - 1);
	uint64_t w = atomic_load_explicit(&e->word, memory_order_relaxed);
	if (w != 0) {
		/* Another frame's entry (frames share entries in pools larger
		 * than the cache): kept while it is held or was used since
		 * the last look, as CLOCK keeps a used frame. */
		if (lfm__tc_frame(w) == fi || lfm__tc_count(w) != 0)
			return;
		if (w & LFM_TC_REF) {
			/* Relaxed, as the sweep's (lfm__tcache_age). */
			atomic_compare_exchange_strong_explicit(
			    &e->word, &w, w & ~LFM_TC_REF, memory_order_relaxed,
			    memory_order_relaxed);
			return;
		}
		_Atomic uint16_t *log = log_entry(plog, lfm__tc_frame(w));
		uint32_t logged = log_lock(log);
		int took = atomic_compare_exchange_strong_explicit(
		    &e->word, &w, 0, memory_order_acquire,
		    memory_order_relaxed);
		if (took) {
			LFM_CRASH_POINT(LFM_CRASH_ENTRY_EMPTIED);
			lfm__tcache_harvest(rh, h, w);
			lfm__frame_unpin(&lfm__frames(rh)[lfm__tc_frame(w) - 1],
					 LFM_F_SLOTREF_ONE, 0, 0);
		}
		log_unlock(log, logged);
		if (!took && w != 0)
			return; /* it changed: leave it */
	}
	e->tag = tag;
}

enum lfm__pin_result lfm__tcache_insert(struct lfm__region_hdr *rh,
					struct lfm__handle *h,
					struct lfm__frame *f, uint64_t tag,
					_Atomic uint16_t *plog)
{
	uint32_t fi = lfm__frame_idx(rh, f) + 1;
	struct lfm__tc_entry *e = lfm__tc_entry(rh, h, fi - 1);
	/* Only the owner fills an empty word; a thief may have emptied it
	 * since the ghost was found, never filled it. */
	if (atomic_load_explicit(&e->word, memory_order_relaxed) != 0)
		return LFM_PIN_FULL;
	_Atomic uint16_t *log = log_entry(plog, fi);
	uint32_t logged = log_lock(log);
	enum lfm__pin_result r = lfm__frame_pin(f, tag, LFM_F_SLOTREF_ONE);
	if (r == LFM_PIN_OK) {
		LFM_CRASH_POINT(LFM_CRASH_ENTRY_COUNTED);
		e->tag = tag;
		atomic_store_explicit(&e->word, lfm__tc_word(fi, 1),
				      memory_order_release);
		LFM_CRASH_POINT(LFM_CRASH_ENTRY_FILLED);
	}
	log_unlock(log, logged);
	return r;
}

int lfm__tcache_put(struct lfm__region_hdr *rh, struct lfm__handle *h,
		    struct lfm__frame *f, uint32_t set, uint32_t clear,
		    int drop, _Atomic uint16_t *plog)
{
	uint32_t fi = lfm__frame_idx(rh, f) + 1;
	struct lfm__tc_entry *e = lfm__tc_entry(rh, h, fi - 1);
	/* Emptying the entry drops its SLOTREF: under the log (P1). Rare
	 * (discarded pages), so taken whether or not it comes to that. */
	_Atomic uint16_t *log = drop ? log_entry(plog, fi) : NULL;
	uint32_t logged = log_lock(log);
	int rc = -1;
	uint64_t w = atomic_load_explicit(&e->word, memory_order_relaxed);
	while (lfm__tc_frame(w) == fi && lfm__tc_count(w) != 0) {
		uint64_t n = w - LFM_TC_COUNT_ONE;
		int empties = drop && lfm__tc_count(n) == 0;
		/* Flags go on while we still hold the pin: a writer that sees
		 * the frame unpinned also sees DIRTY. */
		if (set)
			atomic_fetch_or_explicit(&f->state, set,
						 memory_order_release);
		if (clear && !empties)
			atomic_fetch_and_explicit(&f->state, ~clear,
						  memory_order_release);
		if (!atomic_compare_exchange_weak_explicit(
			&e->word, &w, empties ? 0 : n, memory_order_release,
			memory_order_relaxed))
			continue;
		if (empties) {
			LFM_CRASH_POINT(LFM_CRASH_ENTRY_EMPTIED);
			lfm__tcache_harvest(rh, h, w);
			lfm__frame_unpin(f, LFM_F_SLOTREF_ONE, 0, clear);
		}
		rc = 0;
		break;
	}
	log_unlock(log, logged);
	return rc;
}

int lfm__tcache_to_direct(struct lfm__region_hdr *rh, struct lfm__handle *h,
			  struct lfm__frame *f, _Atomic uint16_t *log)
{
	uint32_t fi = lfm__frame_idx(rh, f) + 1;
	struct lfm__tc_entry *e = lfm__tc_entry(rh, h, fi - 1);
	uint64_t w = atomic_load_explicit(&e->word, memory_order_relaxed);
	if (lfm__tc_frame(w) != fi || lfm__tc_count(w) != 1)
		return -1;
	return entry_to_direct(rh, h, f, &e->word, w, log);
}

/* What a visit of other threads' entries carries: the region, the
 * frame bits a foreign put applies, and what the visits found. */
struct visit {
	struct lfm__region_hdr *rh;
	uint32_t set, clear;
	uint32_t count; /* entries stolen, pins dropped */
	int ref;	/* an entry had REF (lfm__tcache_age) */
};

/* Visits, in every claimed handle, the entry of frame f if it names f.
 * `visit` gets the entry word and its value as loaded; a non-zero return
 * stops the walk and is returned. Used by foreign putters and thieves,
 * who only ever see other threads' handles through here; a visit that
 * may write a word (`writes`) runs inside the guard (tcguard.h). */
typedef int (*entry_visit)(struct lfm__frame *f, _Atomic uint64_t *word,
			   uint64_t w, struct visit *v);

static int visit_entries(struct lfm__region_hdr *rh, struct lfm__frame *f,
			 entry_visit visit, struct visit *v, uint32_t proc);

static int for_entries_of(struct lfm__region_hdr *rh, struct lfm__frame *f,
			  entry_visit visit, struct visit *v, uint32_t proc,
			  int writes)
{
	if (!writes)
		return visit_entries(rh, f, visit, v, proc);
	lfm__tcguard_enter(rh);
	int r = visit_entries(rh, f, visit, v, proc);
	lfm__tcguard_exit(rh);
	return r;
}

static int visit_entries(struct lfm__region_hdr *rh, struct lfm__frame *f,
			 entry_visit visit, struct visit *v, uint32_t proc)
{
	uint32_t fi = lfm__frame_idx(rh, f) + 1;
	uint32_t hi =
	    atomic_load_explicit(&rh->handles_hiwater, memory_order_acquire);
	for (uint32_t i = 0; i < hi; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		if (atomic_load_explicit(&h->owner, memory_order_acquire) ==
			0 ||
		    (proc != 0 && atomic_load_explicit(
				      &h->proc, memory_order_relaxed) != proc))
			continue;
		struct lfm__tc_entry *e = lfm__tc_entry(rh, h, fi - 1);
		/* Acquire: an entry its owner emptied into DIRECT pins
		 * (entry_to_direct) shows them to whoever then looks at
		 * DIRECT. */
		uint64_t w =
		    atomic_load_explicit(&e->word, memory_order_acquire);
		if (lfm__tc_frame(w) != fi)
			continue;
		int r = visit(f, &e->word, w, v);
		if (r != 0)
			return r;
		LFM_TEST_POINT(LFM_TEST_SCAN_PASSED, i);
	}
	return 0;
}

/* HELD(c) -> HELD(c-1); release: the user's page writes go with it.
 * v's set and clear bits are applied to the frame first, while the pin
 * still holds it, and only if there is a pin to drop. */
static int drop_one_pin(struct lfm__frame *f, _Atomic uint64_t *word,
			uint64_t w, struct visit *v)
{
	uint32_t fi = lfm__tc_frame(w);
	int applied = 0;
	while (lfm__tc_frame(w) == fi && lfm__tc_count(w) > 0) {
		if (!applied) {
			lfm__frame_apply_bits(f, v->set, v->clear);
			applied = 1;
		}
		if (atomic_compare_exchange_weak_explicit(
			word, &w, w - LFM_TC_COUNT_ONE, memory_order_release,
			memory_order_relaxed))
			return 1;
	}
	return 0;
}

/* CACHED -> empty, its uses counted, then the entry's SLOTREF goes
 * (rule 8). Retried while the entry still names f unpinned: its owner
 * setting REF, or a sweep clearing it, changes the word without making it
 * HELD. */
static int steal_cached(struct lfm__frame *f, _Atomic uint64_t *word,
			uint64_t w, struct visit *v)
{
	uint32_t fi = lfm__tc_frame(w);
	while (lfm__tc_frame(w) == fi && lfm__tc_count(w) == 0) {
		if (atomic_compare_exchange_weak_explicit(
			word, &w, 0, memory_order_acquire,
			memory_order_relaxed)) {
			LFM_CRASH_POINT(LFM_CRASH_ENTRY_EMPTIED);
			lfm__tcache_harvest(v->rh, NULL, w);
			lfm__frame_unpin(f, LFM_F_SLOTREF_ONE, 0, 0);
			v->count++;
			break;
		}
	}
	return 0;
}

/* HELD(c) -> CACHED: the pins go, the entry (its SLOTREF, REF and uses)
 * stays. */
static int drop_all_pins(struct lfm__frame *f, _Atomic uint64_t *word,
			 uint64_t w, struct visit *v)
{
	(void)f;
	uint32_t fi = lfm__tc_frame(w);
	while (lfm__tc_frame(w) == fi && lfm__tc_count(w) > 0) {
		if (atomic_compare_exchange_weak_explicit(
			word, &w,
			lfm__tc_word(fi, 0) |
			    (w & (LFM_TC_REF | LFM_TC_USE_MASK)),
			memory_order_release, memory_order_relaxed)) {
			v->count += lfm__tc_count(w);
			break;
		}
	}
	return 0; /* every entry naming the frame */
}

uint32_t lfm__tcache_drop_held(struct lfm__region_hdr *rh, struct lfm__frame *f,
			       uint32_t proc)
{
	struct visit v = {.rh = rh};
	for_entries_of(rh, f, drop_all_pins, &v, proc, 1);
	return v.count;
}

static int is_held(struct lfm__frame *f, _Atomic uint64_t *word, uint64_t w,
		   struct visit *v)
{
	(void)f, (void)word, (void)v;
	return lfm__tc_count(w) > 0;
}

int lfm__tcache_held(struct lfm__region_hdr *rh, struct lfm__frame *f,
		     uint32_t proc)
{
	struct visit v = {.rh = rh};
	return for_entries_of(rh, f, is_held, &v, proc, 0);
}

int lfm__tcache_put_foreign(struct lfm__region_hdr *rh, struct lfm__frame *f,
			    uint32_t proc, uint32_t set, uint32_t clear)
{
	struct visit v = {.rh = rh, .set = set, .clear = clear};
	return for_entries_of(rh, f, drop_one_pin, &v, proc, 1) ? 0 : -1;
}

uint32_t lfm__tcache_steal(struct lfm__region_hdr *rh, struct lfm__frame *f,
			   _Atomic uint16_t *plog)
{
	struct visit v = {.rh = rh};
	/* A thief's own entry for the frame, whoever's entries it empties
	 * (pinlog.h, P1): its death between an entry and its SLOTREF is
	 * then seen. */
	_Atomic uint16_t *log = log_entry(plog, lfm__frame_idx(rh, f) + 1);
	uint32_t logged = log_lock(log);
	for_entries_of(rh, f, steal_cached, &v, 0, 1);
	log_unlock(log, logged);
	return v.count;
}

/* CACHED with REF -> CACHED (another turn); CACHED -> empty. Relaxed
 * clear: REF orders nothing, and a lost clear only delays eviction. A
 * HELD entry's REF stays: the frame is not evicted while it is held. */
static int age_cached(struct lfm__frame *f, _Atomic uint64_t *word, uint64_t w,
		      struct visit *v)
{
	if (w & LFM_TC_REF) {
		v->ref = 1;
		if (lfm__tc_count(w) == 0)
			atomic_compare_exchange_strong_explicit(
			    word, &w, w & ~LFM_TC_REF, memory_order_relaxed,
			    memory_order_relaxed);
		return 0;
	}
	return steal_cached(f, word, w, v);
}

uint32_t lfm__tcache_age(struct lfm__region_hdr *rh, struct lfm__frame *f,
			 int *referenced, _Atomic uint16_t *plog)
{
	struct visit v = {.rh = rh};
	_Atomic uint16_t *log = log_entry(plog, lfm__frame_idx(rh, f) + 1);
	uint32_t logged = log_lock(log);
	for_entries_of(rh, f, age_cached, &v, 0, 1);
	log_unlock(log, logged);
	*referenced = v.ref;
	return v.count;
}
