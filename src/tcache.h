/*
 * tcache.h - per-thread pin caches ("handles"), so that a thread's repeated
 * pins of a page write only its own cache line, never the frame's.
 *
 * A handle is claimed by one thread (owner) and lives in the region. It is a
 * small set-associative table: set = hash(tag) % sets, `ways` entries a set.
 * Each entry is one atomic word:
 *
 *   bits  0..31  frame index + 1   (0: empty)
 *   bits 32..47  count             user pins held through this entry
 *
 * An entry that is not empty holds exactly one SLOTREF on its frame, so
 * the frame cannot be evicted or retagged while the entry exists:
 *   HELD   (count > 0): the owner's user holds `count` pins;
 *   CACHED (count = 0): nobody uses the page, but the next pin by the owner
 *                       is a CAS on this word alone.
 * `tags[]` (owner-only, plain) remembers which page each entry is for.
 *
 * Who changes an entry, always by CAS on the word:
 * - owner: empty -> HELD(1) (plain release store: nobody else writes empty
 *   entries), count +-1, CACHED -> empty (when reusing the way);
 * - foreign putter (a thread releasing a pin taken by another): HELD(c) ->
 *   HELD(c-1); it never empties an entry;
 * - thief (evictor or sync that needs the frame): CACHED -> empty, then it
 *   drops the entry's SLOTREF. Thieves never touch HELD entries.
 * Orders: the owner's decrement is a release and the thief's CAS an acquire,
 * so the user's page writes reach whoever takes EXCL after the thief drops
 * the SLOTREF (release) — a chain of happens-before edges.
 * Invariant: SLOTREF(frame) = number of non-empty entries naming it (except
 * transiently, between an entry's CAS to empty and the SLOTREF decrement,
 * when SLOTREF is larger: conservative).
 */
#ifndef LFM_TCACHE_H
#define LFM_TCACHE_H

#include <stdint.h>

#include "frame.h"
#include "region.h"

#define LFM_TC_COUNT_ONE   (1ull << 32)
#define LFM_TC_COUNT_MAX   0xffffu
#define LFM_TC_WAYS	   4
#define LFM_TC_MAX_ENTRIES 1024

struct lfm__handle {
	_Atomic uint32_t owner; /* 0: free */
	uint32_t stripe;	/* statistics stripe of this handle */
	uint32_t sets, ways;
	uint32_t victim_rr; /* owner-only: next way to reuse */
	uint32_t pad[11];
	/* followed by: _Atomic uint64_t words[sets*ways];
	 *              uint64_t tags[sets*ways]; */
} __attribute__((aligned(LFM_CACHELINE)));

/* Geometry for a pool of about `nframes` frames: enough entries for a hot
 * working set, few enough that all handles together pin a small share. */
void lfm__tcache_geometry(uint64_t nframes, uint32_t *sets, uint32_t *ways);
uint64_t lfm__tcache_handle_size(uint32_t sets, uint32_t ways);
/* Writes the fixed fields of every handle of a new region. */
void lfm__tcache_init_handles(struct lfm__region_hdr *rh);

static inline struct lfm__handle *lfm__handle_at(struct lfm__region_hdr *rh,
						 uint32_t i)
{
	return lfm__at(rh, rh->off_handles + (uint64_t)i * rh->handle_size);
}

/* Claims a free handle for `owner_id` (non-zero). Returns its index, or -1
 * when all are taken (the thread then pins directly). */
int lfm__tcache_claim(struct lfm__region_hdr *rh, uint32_t owner_id);

/* Empties a handle and frees it: CACHED entries drop their SLOTREF, HELD
 * entries become DIRECT pins. Returns -1 (and keeps the handle) if a pin
 * could not be converted without overflow. */
int lfm__tcache_release(struct lfm__region_hdr *rh, struct lfm__handle *h);

/* Owner: pins page `tag` through the cache if an entry exists. Returns the
 * frame index, or -1 (no entry), or -2 (entry count is full). */
int64_t lfm__tcache_get(struct lfm__handle *h, uint64_t tag);

/* Owner: pins frame f (expected to hold `tag`) with a new entry. Returns
 * LFM_PIN_* from the pin attempt, or LFM_PIN_FULL if no way could be freed
 * (all HELD); the caller then pins directly. */
enum lfm__pin_result lfm__tcache_insert(struct lfm__region_hdr *rh,
					struct lfm__handle *h,
					struct lfm__frame *f, uint64_t tag);

/* Owner: releases one pin of f held through h. `set`/`clear` are state bits
 * to apply; `drop` asks to empty the entry when its count reaches 0 (for
 * dirty and discarded pages, which should not stay referenced). Returns 0,
 * or -1 if h holds no pin on f. */
int lfm__tcache_put(struct lfm__region_hdr *rh, struct lfm__handle *h,
		    struct lfm__frame *f, uint64_t tag, uint32_t set,
		    uint32_t clear, int drop);

/* Any thread: releases one pin on f held in some other handle. */
int lfm__tcache_put_foreign(struct lfm__region_hdr *rh, struct lfm__frame *f,
			    uint64_t tag);

/* Any thread: empties every CACHED entry naming f. Returns how many. */
uint32_t lfm__tcache_steal(struct lfm__region_hdr *rh, struct lfm__frame *f,
			   uint64_t tag);

/* Owner: turns one DIRECT pin the caller holds on f into a new entry, if a
 * way is free; otherwise leaves the direct pin. */
void lfm__tcache_adopt(struct lfm__region_hdr *rh, struct lfm__handle *h,
		       struct lfm__frame *f, uint64_t tag);

#endif
