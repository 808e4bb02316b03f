/* tcache.c - per-thread pin caches (protocol in tcache.h). */
#include "tcache.h"

#include "hash.h"

static inline _Atomic uint64_t *words(struct lfm__handle *h)
{
	return (_Atomic uint64_t *)(h + 1);
}

static inline uint64_t *tags(struct lfm__handle *h)
{
	return (uint64_t *)(words(h) + (uint64_t)h->sets * h->ways);
}

static inline uint32_t set_base(const struct lfm__handle *h, uint64_t tag)
{
	return (uint32_t)(lfm__hash_tag(tag) >> 7) % h->sets * h->ways;
}

static inline uint32_t word_frame(uint64_t w)
{
	return (uint32_t)w;
}

static inline uint32_t word_count(uint64_t w)
{
	return (uint32_t)(w >> 32);
}

void lfm__tcache_geometry(uint64_t nframes, uint32_t *sets, uint32_t *ways)
{
	uint64_t want = nframes / 16, entries = LFM_TC_WAYS;
	while (entries * 2 <= want && entries < LFM_TC_MAX_ENTRIES)
		entries *= 2;
	*ways = LFM_TC_WAYS;
	*sets = (uint32_t)(entries / LFM_TC_WAYS);
}

void lfm__tcache_init_handles(struct lfm__region_hdr *rh)
{
	/* Geometry is fixed for the region's life: thieves read it without
	 * synchronising with the owner. */
	for (uint32_t i = 0; i < rh->nhandles; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		h->sets = rh->tc_sets;
		h->ways = rh->tc_ways;
		h->stripe = i % LFM_STAT_STRIPES;
	}
}

uint64_t lfm__tcache_handle_size(uint32_t sets, uint32_t ways)
{
	uint64_t n = (uint64_t)sets * ways;
	uint64_t sz = sizeof(struct lfm__handle) + n * 16;
	return (sz + LFM_CACHELINE - 1) & ~(uint64_t)(LFM_CACHELINE - 1);
}

int lfm__tcache_claim(struct lfm__region_hdr *rh, uint32_t owner_id)
{
	for (uint32_t i = 0; i < rh->nhandles; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		uint32_t expected = 0;
		if (atomic_load_explicit(&h->owner, memory_order_relaxed) ||
		    !atomic_compare_exchange_strong_explicit(
			&h->owner, &expected, owner_id, memory_order_acquire,
			memory_order_relaxed))
			continue;
		h->victim_rr = 0;
		/* Thieves must see this handle once it can hold entries; the
		 * entries themselves are published by their own stores. */
		uint32_t hi = atomic_load_explicit(&rh->handles_hiwater,
						   memory_order_relaxed);
		while (hi < i + 1 &&
		       !atomic_compare_exchange_weak_explicit(
			   &rh->handles_hiwater, &hi, i + 1,
			   memory_order_release, memory_order_relaxed))
			;
		return (int)i;
	}
	return -1;
}

int lfm__tcache_release(struct lfm__region_hdr *rh, struct lfm__handle *h)
{
	struct lfm__frame *frames = lfm__frames(rh);
	uint32_t n = h->sets * h->ways;
	int rc = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t w =
		    atomic_load_explicit(&words(h)[i], memory_order_acquire);
		while (w != 0) {
			uint32_t c = word_count(w);
			struct lfm__frame *f = &frames[word_frame(w) - 1];
			if (c > 0) {
				/* Turn the entry's pins into direct pins in one
				 * step, so the frame never looks unpinned. */
				uint32_t s = atomic_load_explicit(
				    &f->state, memory_order_relaxed);
				if (lfm__st_direct(s) + c > LFM_DIRECT_MAX) {
					rc = -1;
					break;
				}
				if (!atomic_compare_exchange_strong_explicit(
					&words(h)[i], &w, 0,
					memory_order_acq_rel,
					memory_order_acquire))
					continue;
				uint32_t add = c * LFM_F_DIRECT_ONE;
				s = atomic_load_explicit(&f->state,
							 memory_order_relaxed);
				while (!atomic_compare_exchange_weak_explicit(
				    &f->state, &s, s + add - LFM_F_SLOTREF_ONE,
				    memory_order_release, memory_order_relaxed))
					;
				break;
			}
			if (atomic_compare_exchange_strong_explicit(
				&words(h)[i], &w, 0, memory_order_acq_rel,
				memory_order_acquire)) {
				lfm__frame_unpin(f, LFM_F_SLOTREF_ONE, 0, 0);
				break;
			}
		}
	}
	if (rc == 0)
		atomic_store_explicit(&h->owner, 0, memory_order_release);
	return rc;
}

int64_t lfm__tcache_get(struct lfm__handle *h, uint64_t tag)
{
	uint32_t base = set_base(h, tag);
	for (uint32_t way = 0; way < h->ways; way++) {
		if (tags(h)[base + way] != tag)
			continue;
		_Atomic uint64_t *e = &words(h)[base + way];
		uint64_t w = atomic_load_explicit(e, memory_order_relaxed);
		for (;;) {
			if (w == 0)
				return -1; /* stolen */
			if (word_count(w) >= LFM_TC_COUNT_MAX)
				return -2;
			/* Acquire pairs with the release of a foreign putter
			 * that decremented the count. */
			if (atomic_compare_exchange_weak_explicit(
				e, &w, w + LFM_TC_COUNT_ONE,
				memory_order_acquire, memory_order_relaxed))
				return (int64_t)word_frame(w) - 1;
		}
	}
	return -1;
}

/* Finds a way for a new entry in tag's set: an empty one, or a CACHED one
 * recycled round-robin (dropping its SLOTREF). -1 if all are HELD. */
static int64_t free_way(struct lfm__region_hdr *rh, struct lfm__handle *h,
			uint32_t base)
{
	for (uint32_t i = 0; i < h->ways; i++)
		if (atomic_load_explicit(&words(h)[base + i],
					 memory_order_relaxed) == 0)
			return i;
	for (uint32_t k = 0; k < h->ways; k++) {
		uint32_t i = (h->victim_rr++) % h->ways;
		_Atomic uint64_t *e = &words(h)[base + i];
		uint64_t w = atomic_load_explicit(e, memory_order_relaxed);
		if (w == 0)
			return i;
		if (word_count(w) != 0)
			continue;
		if (atomic_compare_exchange_strong_explicit(
			e, &w, 0, memory_order_acquire, memory_order_relaxed)) {
			lfm__frame_unpin(&lfm__frames(rh)[word_frame(w) - 1],
					 LFM_F_SLOTREF_ONE, 0, 0);
			return i;
		}
		if (w == 0)
			return i; /* a thief emptied it meanwhile */
	}
	return -1;
}

static void publish(struct lfm__handle *h, uint32_t slot, uint64_t tag,
		    const struct lfm__frame *f)
{
	tags(h)[slot] = tag;
	atomic_store_explicit(&words(h)[slot],
			      (uint64_t)(f->idx + 1) | LFM_TC_COUNT_ONE,
			      memory_order_release);
}

enum lfm__pin_result lfm__tcache_insert(struct lfm__region_hdr *rh,
					struct lfm__handle *h,
					struct lfm__frame *f, uint64_t tag)
{
	uint32_t base = set_base(h, tag);
	int64_t way = free_way(rh, h, base);
	if (way < 0)
		return LFM_PIN_FULL;
	enum lfm__pin_result r = lfm__frame_pin(f, tag, LFM_F_SLOTREF_ONE);
	if (r == LFM_PIN_OK)
		publish(h, base + (uint32_t)way, tag, f);
	return r;
}

void lfm__tcache_adopt(struct lfm__region_hdr *rh, struct lfm__handle *h,
		       struct lfm__frame *f, uint64_t tag)
{
	uint32_t base = set_base(h, tag);
	int64_t way = free_way(rh, h, base);
	if (way < 0)
		return;
	uint32_t s = atomic_load_explicit(&f->state, memory_order_relaxed);
	do {
		if (lfm__st_slotref(s) == LFM_SLOTREF_MAX ||
		    lfm__st_direct(s) == 0)
			return;
	} while (!atomic_compare_exchange_weak_explicit(
	    &f->state, &s, s - LFM_F_DIRECT_ONE + LFM_F_SLOTREF_ONE,
	    memory_order_relaxed, memory_order_relaxed));
	publish(h, base + (uint32_t)way, tag, f);
}

int lfm__tcache_put(struct lfm__region_hdr *rh, struct lfm__handle *h,
		    struct lfm__frame *f, uint64_t tag, uint32_t set,
		    uint32_t clear, int drop)
{
	(void)rh;
	uint32_t base = set_base(h, tag);
	for (uint32_t way = 0; way < h->ways; way++) {
		_Atomic uint64_t *e = &words(h)[base + way];
		uint64_t w = atomic_load_explicit(e, memory_order_relaxed);
		for (;;) {
			if (word_frame(w) != f->idx + 1 || word_count(w) == 0)
				break;
			uint64_t n = w - LFM_TC_COUNT_ONE;
			int empties = drop && word_count(n) == 0;
			/* Flags go on while we still hold the pin: a writer
			 * that sees the frame unpinned also sees DIRTY. */
			if (set)
				atomic_fetch_or_explicit(&f->state, set,
							 memory_order_release);
			if (clear && !empties)
				atomic_fetch_and_explicit(&f->state, ~clear,
							  memory_order_release);
			if (!atomic_compare_exchange_weak_explicit(
				e, &w, empties ? 0 : n, memory_order_release,
				memory_order_relaxed))
				continue;
			if (empties)
				lfm__frame_unpin(f, LFM_F_SLOTREF_ONE, 0,
						 clear);
			return 0;
		}
	}
	return -1;
}

int lfm__tcache_put_foreign(struct lfm__region_hdr *rh, struct lfm__frame *f,
			    uint64_t tag)
{
	uint32_t hi =
	    atomic_load_explicit(&rh->handles_hiwater, memory_order_acquire);
	for (uint32_t i = 0; i < hi; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		if (atomic_load_explicit(&h->owner, memory_order_acquire) == 0)
			continue;
		uint32_t base = set_base(h, tag);
		for (uint32_t way = 0; way < h->ways; way++) {
			_Atomic uint64_t *e = &words(h)[base + way];
			uint64_t w =
			    atomic_load_explicit(e, memory_order_relaxed);
			while (word_frame(w) == f->idx + 1 &&
			       word_count(w) > 0) {
				if (atomic_compare_exchange_weak_explicit(
					e, &w, w - LFM_TC_COUNT_ONE,
					memory_order_release,
					memory_order_relaxed))
					return 0;
			}
		}
	}
	return -1;
}

uint32_t lfm__tcache_steal(struct lfm__region_hdr *rh, struct lfm__frame *f,
			   uint64_t tag)
{
	uint32_t stolen = 0;
	uint32_t hi =
	    atomic_load_explicit(&rh->handles_hiwater, memory_order_acquire);
	for (uint32_t i = 0; i < hi; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		if (atomic_load_explicit(&h->owner, memory_order_acquire) == 0)
			continue;
		uint32_t base = set_base(h, tag);
		for (uint32_t way = 0; way < h->ways; way++) {
			_Atomic uint64_t *e = &words(h)[base + way];
			uint64_t w =
			    atomic_load_explicit(e, memory_order_relaxed);
			if (word_frame(w) != f->idx + 1 || word_count(w) != 0)
				continue;
			if (atomic_compare_exchange_strong_explicit(
				e, &w, 0, memory_order_acquire,
				memory_order_relaxed)) {
				lfm__frame_unpin(f, LFM_F_SLOTREF_ONE, 0, 0);
				stolen++;
			}
		}
	}
	return stolen;
}
