/*
 * getput.c - getting and releasing pages: the engine behind memp_fget,
 * memp_fput and memp_fset (arguments are checked by the API layer).
 *
 * Hit path, in order of cost:
 *   1. the thread's own cache entry: one CAS on the thread's cache line;
 *   2. a lock-free walk of the bucket, then a pin CAS on the frame's state
 *      word (and an entry in the thread cache for next time).
 * Miss path: a frame from the eviction mechanism (victim.c), a locked re-check
 * of the bucket, insert with EXCL held, read, release EXCL. Threads that want
 * the page meanwhile find the frame, see EXCL and sleep on its state word, so a
 * page is read once however many threads ask for it.
 */
#include "getput.h"
#include "lockrank.h"

#include "victim.h"
#include "ftab.h"
#include "pagefill.h"
#include "pins.h"
#include "prefetch.h"
#include "scan.h"
#include "stats.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#define LFM_RETRY	 (-1)
#define LFM_DELETE_TRIES 8
/* Looks a put or set makes for a pin before it is EINVAL (look_again). */
#define LFM_PIN_LOOKS 32

/* lfm__victim_get for a miss of file `slot`, counting what it cost: a
 * victim taken by sweeping and the frames examined, or ENOMEM. Out of
 * line, so that get_page's hits do not pay for it. */
static __attribute__((noinline)) int
victim_counted(struct lfm__pool *mp, struct lfm__tls_node *t, uint32_t slot,
	       uint32_t pagesize, struct lfm__frame **v)
{
	struct lfm__region_hdr *rh = mp->rh;
	if (t != NULL)
		t->swept = 0;
	int rc = lfm__victim_get(mp, pagesize, t, v);
	if (rc == ENOMEM)
		lfm__stat_add(t, rh, slot, LFM_ST_NOMEM, 1);
	if (rc == 0 && t != NULL && t->swept != 0) {
		/* Taken by sweeping (not carved): what it cost. */
		lfm__stat_add(t, rh, slot, LFM_ST_ALLOC, 1);
		lfm__stat_add(t, rh, slot, LFM_ST_ALLOC_PAGES, t->swept);
		lfm__stat_raise(t, rh, slot, LFM_ST_ALLOC_MAX, t->swept);
	}
	return rc;
}

/* The page is not resident: claim a frame, publish it under the bucket
 * lock (EXCL held), fill it, release it with one direct pin. */
static int miss(struct lfm__pool *mp, struct lfm__tls_node *t,
		struct lfm__bucket *b, uint64_t tag, enum lfm__fill how,
		struct lfm__frame **out)
{
	struct lfm__region_hdr *rh = mp->rh;
	uint32_t slot = lfm__tag_slot(tag);
	struct lfm__file *file = &lfm__files(rh)[slot];
	struct lfm__frame *v;

	int rc = victim_counted(mp, t, slot, file->pagesize, &v);
	if (rc != 0)
		return rc;
	if (!lfm__victim_publish(mp, b, v, tag))
		return LFM_RETRY; /* another thread's is there: use theirs */

	rc = lfm__page_fill(mp, v, tag, how, t);
	if (rc != 0) {
		/* Leave nothing half-valid: unpublish, then wake the waiters,
		 * who will look again and try their own read. */
		lfm__mutex_lock_ranked(&b->lock, mp->lock_owner,
				       LFM_RANK_BUCKET);
		lfm__ftab_unlink(rh, b, v);
		atomic_store_explicit(&v->tag, 0, memory_order_relaxed);
		lfm__mutex_unlock_ranked(&b->lock);
		lfm__frame_release_excl(
		    v, 0, LFM_F_VALID | LFM_F_DIRTY | LFM_F_USAGE_MASK);
		return rc;
	}
	lfm__stat_add(t, rh, slot, LFM_ST_MISS, 1);
	if (rh->elastic)
		atomic_fetch_add_explicit(&rh->resident, 1,
					  memory_order_relaxed);
	lfm__pins_fill_done(mp, v);
	if (how == LFM_FILL_READ && t != NULL)
		lfm__readahead(mp, t, tag);
	*out = v;
	return 0;
}

/* Decides which page a memp_fget means. 0 or EINVAL/EFBIG. */
static int target_page(struct lfm__fh *mpf, struct lfm__file *file,
		       uint32_t *pgnoaddr, unsigned long flags, uint64_t *pgno,
		       enum lfm__fill *how, uint64_t *prev_end)
{
	*how = LFM_FILL_READ;
	if (flags & LFM_GET_LAST) {
		uint64_t n =
		    atomic_load_explicit(&file->npages, memory_order_relaxed);
		if (n == 0)
			return EINVAL;
		*pgno = n - 1;
	} else if (flags & LFM_GET_NEW) {
		if (mpf->rdonly)
			return EINVAL;
		*pgno = atomic_fetch_add_explicit(&file->npages, 1,
						  memory_order_relaxed);
		*prev_end = *pgno;
		if (*pgno > LFM_PGNO_MAX) {
			atomic_fetch_sub_explicit(&file->npages, 1,
						  memory_order_relaxed);
			return EFBIG;
		}
		*how = LFM_FILL_NEW;
	} else {
		*pgno = *pgnoaddr;
		uint64_t n =
		    atomic_load_explicit(&file->npages, memory_order_relaxed);
		while (*pgno >= n) {
			/* CREATE on a read-only file too: the page exists
			 * in the pool only (zeroed, through pgin), clean, and
			 * a DIRTY put of it is EACCES, so it is never written
			 * through this handle. Berkeley DB's hash reads empty
			 * buckets of a read-only file this way. */
			if (!(flags & LFM_GET_CREATE))
				return EINVAL;
			if (*pgno > LFM_PGNO_MAX)
				return EFBIG; /* as LFM_GET_NEW there */
			/* The thread that moves the end past pgno creates it;
			 * a racing creator then simply finds or reads it. */
			if (atomic_compare_exchange_weak_explicit(
				&file->npages, &n, *pgno + 1,
				memory_order_relaxed, memory_order_relaxed)) {
				*prev_end = n;
				*how = LFM_FILL_CREATE;
				break;
			}
		}
	}
	return 0;
}

/* A failed NEW or CREATE gives back the pages it added to the file, unless
 * another thread has appended since (then they stay, reading as zeroes). */
static int unextend(struct lfm__file *file, enum lfm__fill how, uint64_t pgno,
		    uint64_t prev_end, int rc)
{
	if (how != LFM_FILL_READ) {
		uint64_t end = pgno + 1;
		atomic_compare_exchange_strong_explicit(
		    &file->npages, &end, prev_end, memory_order_relaxed,
		    memory_order_relaxed);
	}
	return rc;
}

static int get_page(struct lfm__fh *mpf, uint64_t pgno, enum lfm__fill how,
		    int excl, void **pagep);

/* A get sleeps until the thread holding f in EXCL (state s) is done: a
 * read in flight (not VALID yet), or a write or eviction. Counted here,
 * out of get_page's loop, so that its hits do not pay for it. */
static __attribute__((noinline, cold)) void
wait_counted(struct lfm__pool *mp, struct lfm__tls_node *t, uint64_t tag,
	     struct lfm__frame *f, uint32_t s)
{
	struct lfm__region_hdr *rh = mp->rh;
	uint32_t slot = lfm__tag_slot(tag);
	lfm__stat_add(t, rh, slot, LFM_ST_IOWAIT, 1);
	/* A scan caught up with its read-ahead: start the next window. */
	if (!(s & LFM_F_VALID) && t != NULL)
		lfm__readahead_wait(mp, t, tag);
	if (!(s & LFM_F_VALID))
		lfm__stat_add(t, rh, slot, LFM_ST_READWAIT, 1);
	lfm__frame_wait(f, s);
}

int lfm__buf_get(struct lfm__fh *mpf, uint32_t *pgnoaddr, unsigned long flags,
		 void **pagep)
{
	struct lfm__file *file = &lfm__files(mpf->mp->rh)[mpf->slot];
	enum lfm__fill how;
	uint64_t pgno, prev_end = 0;

	/* A failed get leaves NULL, as Berkeley DB's own does, not the hit
	 * path's guess (hit.c stores it before its checks). */
	*pagep = NULL;
	int rc =
	    target_page(mpf, file, pgnoaddr, flags, &pgno, &how, &prev_end);
	if (rc != 0)
		return rc;
	rc = get_page(mpf, pgno, how, 0, pagep);
	if (rc != 0)
		return unextend(file, how, pgno, prev_end, rc);
	*pgnoaddr = (uint32_t)pgno;
	return 0;
}

int lfm__new_at(struct lfm__fh *mpf, uint32_t pgno, void **pagep)
{
	struct lfm__file *file = &lfm__files(mpf->mp->rh)[mpf->slot];
	if (mpf->rdonly)
		return EINVAL;
	if (pgno > LFM_PGNO_MAX)
		return EFBIG; /* as the page after the last there */
	uint64_t n = atomic_load_explicit(&file->npages, memory_order_relaxed);
	uint64_t prev = n;
	while (pgno >= n) {
		prev = n;
		if (atomic_compare_exchange_weak_explicit(
			&file->npages, &n, (uint64_t)pgno + 1,
			memory_order_relaxed, memory_order_relaxed))
			break;
	}
	int rc = get_page(mpf, pgno, LFM_FILL_NEW, 1, pagep);
	if (rc != 0 && pgno >= prev)
		return unextend(file, LFM_FILL_NEW, pgno, prev, rc);
	return rc;
}

/* Pins page pgno of mpf's file, filling it `how` if it is not resident;
 * with `excl`, a resident page is an error (EEXIST). */
static int get_page(struct lfm__fh *mpf, uint64_t pgno, enum lfm__fill how,
		    int excl, void **pagep)
{
	struct lfm__pool *mp = mpf->mp;
	struct lfm__region_hdr *rh = mp->rh;
	uint32_t slot = mpf->slot;
	struct lfm__tls_node *t = lfm__tls(mp);
	struct lfm__handle *h = t != NULL ? t->h : NULL;
	int rc;

	uint64_t tag = lfm__tag(slot, (uint32_t)pgno);
	struct lfm__bucket *b = lfm__ftab_bucket(rh, tag);
	for (;;) {
		uint32_t examined = 0;
		struct lfm__frame *f = lfm__ftab_find(rh, b, tag, &examined);
		lfm__stat_add(t, rh, slot, LFM_ST_SEARCH, 1);
		lfm__stat_add(t, rh, slot, LFM_ST_EXAMINED, examined);
		lfm__stat_max(t, rh, slot, examined);
		if (f == NULL) {
			rc = miss(mp, t, b, tag, how, &f);
			if (rc == LFM_RETRY)
				continue;
			if (rc != 0)
				return rc;
			if (h != NULL)
				lfm__tcache_note(rh, h, f, tag, mp->plog);
			*pagep = lfm__frame_page(rh, f);
			return 0;
		}
		if (excl)
			return EEXIST;
		/* The thread's own entry first; else a page this thread used
		 * recently earns one, others get a direct pin (tcache.h,
		 * admission). */
		int c =
		    h != NULL ? lfm__tcache_get(rh, h, f, tag) : LFM_TC_ABSENT;
		enum lfm__pin_result r = LFM_PIN_FULL;
		if (c == LFM_TC_HIT)
			r = LFM_PIN_OK;
		else if (c == LFM_TC_GHOST)
			r = lfm__tcache_insert(rh, h, f, tag, mp->plog);
		if (r == LFM_PIN_FULL) {
			r = lfm__pin_direct(mp, f, tag);
			if (r == LFM_PIN_OK && c == LFM_TC_ABSENT && h != NULL)
				lfm__tcache_note(rh, h, f, tag, mp->plog);
		}
		switch (r) {
		case LFM_PIN_OK:
			/* A pin through the entry counted itself (uses). */
			if (c != LFM_TC_HIT)
				lfm__stat_add(t, rh, slot, LFM_ST_HIT, 1);
			*pagep = lfm__frame_page(rh, f);
			return 0;
		case LFM_PIN_BUSY: {
			uint32_t s = atomic_load_explicit(&f->state,
							  memory_order_acquire);
			if (s & LFM_F_EXCL)
				wait_counted(mp, t, tag, f, s);
			continue;
		}
		case LFM_PIN_MISMATCH:
			continue;
		case LFM_PIN_FULL:
			lfm__stat_add(t, rh, slot, LFM_ST_PINLIMIT, 1);
			return EAGAIN;
		}
	}
}

/* Resolves a page pointer of mpf's file to its frame, or NULL. */
static struct lfm__frame *frame_of(struct lfm__fh *mpf, void *page,
				   uint64_t *tag)
{
	struct lfm__frame *f = lfm__region_frame_of(mpf->mp->rh, page);
	if (f == NULL)
		return NULL;
	uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
	*tag = atomic_load_explicit(&f->tag, memory_order_relaxed);
	if (!(s & LFM_F_REFS_MASK) || *tag == 0 ||
	    lfm__tag_slot(*tag) != mpf->slot)
		return NULL;
	return f;
}

static void flag_bits(unsigned long flags, uint32_t *set, uint32_t *clear)
{
	*set = *clear = 0;
	if (flags & LFM_PUT_DIRTY)
		*set |= LFM_F_DIRTY;
	if (flags & LFM_PUT_CLEAN)
		*clear |= LFM_F_DIRTY;
	if (flags & LFM_PUT_DISCARD) {
		*set |= LFM_F_DISCARD;
		*clear |= LFM_F_USAGE_MASK;
	}
}

/* What memp_fput and memp_fset share: the read-only check and the state
 * bits the flags stand for. */
static int put_flags(struct lfm__fh *mpf, unsigned long flags, uint32_t *set,
		     uint32_t *clear)
{
	if ((flags & LFM_PUT_DIRTY) && mpf->rdonly)
		return EACCES;
	flag_bits(flags, set, clear);
	return 0;
}

/* Turns the caller's pin, if it is the only one, into EXCL in one step,
 * so nobody can pin (or write) the page between the check and the
 * delete. 1: EXCL held; 0: other pins exist (caller's pin kept). */
static int pin_to_excl(struct lfm__pool *mp, struct lfm__handle *h,
		       struct lfm__frame *f)
{
	uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
	if (lfm__st_direct(s) == 1 && lfm__st_slotref(s) == 0 &&
	    lfm__pins_holds(mp, f))
		return lfm__pins_direct_to_excl(mp, f);
	/* The pin is an entry of our own cache: move it to a direct pin
	 * first (same count), then try again. */
	if (lfm__st_direct(s) == 0 && lfm__st_slotref(s) == 1 && h != NULL &&
	    lfm__tcache_to_direct(mp->rh, h, f, lfm__pins_log(mp, f)) == 0)
		return pin_to_excl(mp, NULL, f);
	return 0;
}

int lfm__delete(struct lfm__fh *mpf, void *page)
{
	struct lfm__pool *mp = mpf->mp;
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__tls_node *t = lfm__tls(mp);
	uint64_t tag;

	for (int tries = 0;; tries++) {
		struct lfm__frame *f = frame_of(mpf, page, &tag);
		if (f == NULL)
			return EINVAL;
		/* References other threads' caches merely keep are not pins. */
		lfm__tcache_steal(rh, f, mp->plog);
		if (pin_to_excl(mp, t != NULL ? t->h : NULL, f)) {
			/* Dropped unwritten: the caller deletes its changes. */
			atomic_fetch_and_explicit(&f->state, ~LFM_F_DIRTY,
						  memory_order_relaxed);
			lfm__victim_evict(mp, f, t);
			lfm__frame_release_excl(f, 0, 0);
			return 0;
		}
		/* Another pin: perhaps the pool's own, brief one (a sync
		 * writing the page). Look again a few times, then give up
		 * with the caller's pin and the page untouched. */
		uint32_t s =
		    atomic_load_explicit(&f->state, memory_order_acquire);
		if (s & LFM_F_EXCL)
			lfm__frame_wait(f, s);
		else if (tries >= LFM_DELETE_TRIES)
			return EBUSY;
		else
			sched_yield();
	}
}

/* Drops the caller's pin on f (holding `tag`), applying set/clear. */
static int release(struct lfm__fh *mpf, struct lfm__frame *f, uint32_t set,
		   uint32_t clear)
{
	struct lfm__pool *mp = mpf->mp;
	struct lfm__region_hdr *rh = mp->rh;

	/* Discarded pages leave the thread cache when released, so CLOCK
	 * takes them next without stealing. */
	uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
	int drop = (set | s) & LFM_F_DISCARD ? 1 : 0;
	/* No cache entry names the frame: the pin must be direct. */
	if (lfm__st_slotref(s) != 0) {
		struct lfm__tls_node *t = lfm__tls(mp);
		if (t != NULL && t->h != NULL &&
		    lfm__tcache_put(rh, t->h, f, set, clear, drop, mp->plog) ==
			0)
			return 0;
	}
	return lfm__buf_drop_pin(mp, f, set, clear) == 0 ? 0 : EINVAL;
}

/* One look for a pin of this process on f, in DIRECT, in the entries,
 * and in DIRECT again; drops the first it finds. */
static int drop_pin_once(struct lfm__pool *mp, struct lfm__frame *f,
			 uint32_t set, uint32_t clear)
{
	/* In a shared region only a pin this process logged is its to drop
	 * (pinlog.h). */
	if (lfm__unpin_direct(mp, f, set, clear) == 0)
		return 0;
	/* A pin taken by another thread (its flags go on first, while it
	 * still holds). */
	if (lfm__tcache_put_foreign(mp->rh, f, mp->lock_owner, set, clear) == 0)
		return 0;
	/* Pins move only from entries to DIRECT (a thread's handle given
	 * back), added there before the entry lets go (tcache.c): one not in
	 * DIRECT above and gone from the entries since is in DIRECT now. In a
	 * shared region the mover holds our log's entry for f from before it
	 * adds to DIRECT until after it empties the entry, and COUNT shows
	 * the pins only when it lets go: the entry is taken, not hinted. */
	return lfm__unpin_direct_wait(mp, f, set, clear);
}

/* Whether a put or set that found no pin on f should look again: yes
 * while f has references and fewer than LFM_PIN_LOOKS looks were made
 * (protocol rule 10: pins are fungible, so while a put is owed, f holds
 * at least one pin at every instant, but one look is not a snapshot:
 * other threads' gets and puts can add a pin where it has looked and
 * take one where it has not). Yields after the first few. */
static int look_again(const struct lfm__frame *f, int looks)
{
	uint32_t s = atomic_load_explicit(&f->state, memory_order_acquire);
	if (!(s & LFM_F_REFS_MASK) || looks >= LFM_PIN_LOOKS)
		return 0;
	if (looks >= LFM_PIN_LOOKS / 4)
		sched_yield();
	return 1;
}

int lfm__buf_drop_pin(struct lfm__pool *mp, struct lfm__frame *f, uint32_t set,
		      uint32_t clear)
{
	for (int looks = 1;; looks++) {
		if (drop_pin_once(mp, f, set, clear) == 0)
			return 0;
		if (!look_again(f, looks))
			return -1;
	}
}

int lfm__buf_put(struct lfm__fh *mpf, void *page, unsigned long flags)
{
	uint64_t tag;
	uint32_t set, clear;
	struct lfm__frame *f = frame_of(mpf, page, &tag);
	if (f == NULL)
		return EINVAL;
	int rc = put_flags(mpf, flags, &set, &clear);
	if (rc == 0)
		rc = release(mpf, f, set, clear);
	/* mpool(3) pools grew past maxcache while pages were pinned: give
	 * frames back as pins go. */
	if (rc == 0 && mpf->mp->rh->elastic)
		lfm__victim_shrink(mpf->mp, lfm__tls(mpf->mp), f);
	return rc;
}

/* Whether f is pinned by this process: a direct pin (its own, in a
 * shared region) or a HELD cache entry. A frame that only CACHED entries
 * name is resident but unpinned: a stale pointer's flags must not reach
 * it (LFM_PUT_CLEAN there would drop another page's changes). Which user
 * holds the pin is not recorded, so a stale pointer to a frame someone
 * else pins passes; the bits then land on a pinned page, which no writer
 * or eviction is touching. */
static int pinned_here_once(struct lfm__fh *mpf, struct lfm__frame *f)
{
	struct lfm__pool *mp = mpf->mp;
	uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
	if (lfm__st_direct(s) != 0 && lfm__pins_holds(mp, f))
		return 1;
	if (lfm__st_slotref(s) != 0 &&
	    lfm__tcache_held(mp->rh, f, mp->lock_owner))
		return 1;
	/* A HELD pin moved to DIRECT meanwhile (see lfm__buf_drop_pin). */
	s = atomic_load_explicit(&f->state, memory_order_relaxed);
	return lfm__st_direct(s) != 0 && lfm__pins_holds_wait(mp, f);
}

/* Looked for as a put looks (look_again). */
static int pinned_here(struct lfm__fh *mpf, struct lfm__frame *f)
{
	for (int looks = 1;; looks++) {
		if (pinned_here_once(mpf, f))
			return 1;
		if (!look_again(f, looks))
			return 0;
	}
}

int lfm__buf_set(struct lfm__fh *mpf, void *page, unsigned long flags)
{
	uint64_t tag;
	uint32_t set, clear;

	struct lfm__frame *f = frame_of(mpf, page, &tag);
	if (f == NULL || !pinned_here(mpf, f))
		return EINVAL;
	int rc = put_flags(mpf, flags, &set, &clear);
	if (rc == 0)
		lfm__frame_apply_bits(f, set, clear); /* the caller's pin */
	return rc;
}

/* Drops every direct pin on f but one we take ourselves (so the tag stays
 * frozen while we count), then ours. Private pools only: there every
 * direct pin on the file is this process's. */
static uint64_t drop_direct_private(struct lfm__frame *f, uint64_t tag)
{
	if (lfm__frame_pin(f, tag, LFM_F_DIRECT_ONE) != LFM_PIN_OK)
		return 0;
	uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
	uint32_t d;
	do {
		d = lfm__st_direct(s) - 1; /* the others */
	} while (d > 0 && !atomic_compare_exchange_weak_explicit(
			      &f->state, &s, s - d * LFM_F_DIRECT_ONE,
			      memory_order_release, memory_order_relaxed));
	lfm__frame_unpin(f, LFM_F_DIRECT_ONE, 0, 0);
	return d;
}

uint64_t lfm__buf_release_file(struct lfm__pool *mp, uint32_t slot)
{
	LFM_ASSERT(lfm__rank_held(&mp->lock)); /* the file's last close */
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__scan it;
	uint64_t released = 0;

	lfm__scan_init(&it, rh, 0, UINT32_MAX, slot, 0);
	while (lfm__scan_next(&it)) {
		if (!(it.state & LFM_F_REFS_MASK))
			continue;
		/* Pins held through thread caches: the entries stay, CACHED,
		 * for CLOCK to age and steal like any other. */
		released += lfm__tcache_drop_held(rh, it.f, mp->lock_owner);
		if (lfm__st_direct(it.state) != 0)
			released += mp->shm != NULL
					? lfm__pinlog_take(
					      rh, mp->lock_owner - 1, it.idx)
					: drop_direct_private(it.f, it.tag);
	}
	return released;
}
