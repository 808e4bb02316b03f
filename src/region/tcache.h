/*
 * tcache.h - per-thread pin caches ("handles"), so that a thread's repeated
 * pins of a hot page write only its own cache line, never the frame's.
 *
 * A handle is claimed by one thread (owner) and lives in the region. It is a
 * direct-mapped table of tc_entries entries (a power of two, region.h):
 * frame i's entry is entry i & (tc_entries - 1), in every handle, so the
 * owner's get (which knows the frame from the page's bucket), its put
 * (which knows it from the page's address) and every other thread (which
 * knows the frame) find an entry with no probe. In a pool of one page size
 * up to 4 KiB there is an entry for every frame; a larger pool's frames
 * share entries. An entry is {word, tag}:
 *
 *   word bits  0..15  count             user pins held through this entry
 *   word bit  16      REF               the owner pinned through the entry
 *                                       since CLOCK last passed the frame
 *   word bits 17..31  uses              the owner's pins through the entry
 *                                       not yet added to a hit counter
 *   word bits 32..63  frame index + 1   (0: no reference)
 *   tag               which page (owner-only, plain)
 *
 * An entry whose word is not 0 holds exactly one SLOTREF on its frame, so
 * the frame cannot be evicted or retagged while it exists: its tag is the
 * frame's. So the owner that finds an entry with its page's tag naming the
 * frame it looked up has that page, however stale its lookup:
 *   HELD   (count > 0): the owner's user holds `count` pins;
 *   CACHED (count = 0): nobody uses the page, but the next pin by the owner
 *                       is a CAS on this word alone.
 * An entry with word 0 and a tag is a GHOST: the owner pinned that page
 * directly not long ago. Admission: a page gets a referencing entry only
 * when its ghost is found, i.e. on the owner's second use; a page used once
 * costs no more than a direct pin (no entry to recycle later). A frame
 * whose entry references another frame (pools larger than the cache)
 * takes the entry when that one is CACHED and unused since the owner last
 * looked (REF clear; the look clears REF, as CLOCK does).
 *
 * A pin through an entry writes no shared line, so it cannot raise the
 * frame's USAGE; it sets REF in the same CAS instead, and the CLOCK sweep,
 * finding the frame's USAGE at 0, clears REF rather than steal such an
 * entry (lfm__tcache_age): the frame gets another turn, as a pinned one's
 * USAGE would give it. Other thieves (flush, discard) ignore REF.
 *
 * Who changes a word, always by CAS unless noted:
 * - owner: 0 -> HELD(1) (plain release store: nobody else writes a 0
 *   word), count +-1 (+1 sets REF; in the hit path a plain load and store
 *   while its handle is plain: tcguard.h, whose guard every other writer
 *   below holds), CACHED -> 0 (recycling the entry),
 *   HELD(c) -> 0 giving the handle back, after adding c to DIRECT (so a
 *   foreign putter finds each pin in one place or the other: rule 10);
 * - foreign putter (a thread releasing a pin another thread took):
 *   HELD(c) -> HELD(c-1); it never empties an entry;
 * - thief (CLOCK, flush, discard, which need the frame): CACHED -> 0, then
 *   it drops the SLOTREF; the CLOCK sweep instead clears REF of a CACHED
 *   entry that has it. Thieves never touch HELD entries.
 * In a shared region every change that empties or fills an entry, or moves
 * a SLOTREF or DIRECT count, is made holding the changer's own pin-log
 * entry for the frame (pinlog.h, P1; `plog` below is the calling
 * process's log, NULL in a private region): a death half-way through one
 * leaves that entry held, and recovery recounts the frame. Count changes
 * through a non-empty entry (pins, puts, a foreign putter) need no log.
 * Orders: the owner's decrement is a release and the thief's CAS an acquire,
 * so the user's page writes reach whoever takes EXCL after the thief drops
 * the SLOTREF (release).
 * Invariant: SLOTREF(frame) >= number of non-0 words naming it (equal but
 * between an entry's CAS to 0 and the SLOTREF decrement).
 *
 * After the entries, each handle carries its owner's statistics counters,
 * per file slot: the owner adds with a relaxed load and store (no locked
 * instruction; only the owner writes them), memp_stat reads them relaxed.
 *
 * Hits through an entry are counted in the pin's own CAS (uses), not in
 * a counter of their own: the hit path then stores nothing but the word.
 * Uses belong to the file of the frame's page, which cannot change while
 * the word names the frame (SLOTREF). They move to a counter (harvest)
 * whenever a word is emptied, before its SLOTREF goes: by the owner into
 * its handle's counters, by anyone else (thieves, recovery) into the
 * file's striped ones; and by the owner when they are full. A use past
 * the 15 bits' top carries into the frame field, so that the fast path's
 * one compare of the frame (the new word's against the frame looked up)
 * sends it to the general path, which harvests. (That carry cannot make
 * the word name the frame looked up: an entry names only frames whose
 * index is its own modulo tc_entries >= 4.) memp_stat adds what the live
 * words hold (stat_read.c); a change that empties a word and the harvest
 * after it are not atomic together, so a concurrent memp_stat may miss
 * those uses for that moment, as it may any counter's latest adds.
 */
#ifndef LFM_TCACHE_H
#define LFM_TCACHE_H

#include <stdint.h>

#include "frame.h"
#include "region.h"

/* A handle's first entry. */
static inline struct lfm__tc_entry *lfm__tc_entries(struct lfm__handle *h)
{
	return (struct lfm__tc_entry *)(h + 1);
}

/* Frame idx's entry among `entries`, `mask` being tc_entries - 1. */
static inline struct lfm__tc_entry *
lfm__tc_entry_of(struct lfm__tc_entry *entries, uint64_t mask, uint32_t idx)
{
	return &entries[idx & mask];
}

static inline struct lfm__tc_entry *
lfm__tc_entry(const struct lfm__region_hdr *rh, struct lfm__handle *h,
	      uint32_t idx)
{
	return lfm__tc_entry_of(lfm__tc_entries(h), rh->tc_entries - 1, idx);
}

/* An entry word's frame index + 1, and its count of user pins. */
static inline uint32_t lfm__tc_frame(uint64_t w)
{
	return (uint32_t)(w >> LFM_TC_FRAME_SHIFT);
}

static inline uint32_t lfm__tc_count(uint64_t w)
{
	return (uint32_t)w & LFM_TC_COUNT_MAX;
}

/* An entry word's uses not yet counted. */
static inline uint32_t lfm__tc_uses(uint64_t w)
{
	return (uint32_t)(w >> LFM_TC_USE_SHIFT) & LFM_TC_USE_MAX;
}

/* The word of an entry naming frame index + 1 `fi`, with `count` pins. */
static inline uint64_t lfm__tc_word(uint32_t fi, uint32_t count)
{
	return ((uint64_t)fi << LFM_TC_FRAME_SHIFT) | count;
}

/* Claims a free handle for `owner_id` (non-zero). Returns its index, or -1
 * when all are taken (the thread then pins directly). */
int lfm__tcache_claim(struct lfm__region_hdr *rh, uint32_t owner_id,
		      uint32_t proc);

/* Empties a handle and frees it: CACHED entries drop their SLOTREF, HELD
 * entries become DIRECT pins (logged in `pinlog`, the process's log, in a
 * shared region), added before the entry is emptied so that a foreign
 * putter always finds them (rule 10). Returns -1 (and keeps the handle,
 * with what it still holds) if a count does not fit in DIRECT. */
int lfm__tcache_release(struct lfm__region_hdr *rh, struct lfm__handle *h,
			_Atomic uint16_t *pinlog);

/* Empties and frees a handle of this process that is leaving the pool
 * (memp_close): its entries' references and the pins its users held
 * through them are dropped (the users are done), never turned into direct
 * pins. (A dead process's handles are recovery's: pinrecount.h.) */
void lfm__tcache_drop_all(struct lfm__region_hdr *rh, struct lfm__handle *h,
			  _Atomic uint16_t *plog);

/* Owner: pins frame f, expected to hold `tag`, through its entry if the
 * entry references it, counting the hit (uses). Returns LFM_TC_HIT
 * (pinned and counted), or LFM_TC_ABSENT (the
 * caller pins directly, then lfm__tcache_note), LFM_TC_GHOST (no entry,
 * but a ghost: the caller should pin with lfm__tcache_insert) or
 * LFM_TC_FULL (the entry's count is at its maximum: pin directly). */
#define LFM_TC_HIT    0
#define LFM_TC_ABSENT (-1)
#define LFM_TC_GHOST  (-2)
#define LFM_TC_FULL   (-3)
int lfm__tcache_get(struct lfm__region_hdr *rh, struct lfm__handle *h,
		    const struct lfm__frame *f, uint64_t tag);

/* Owner: after LFM_TC_ABSENT and a direct pin of f for `tag`, remembers
 * the page as a ghost if f's entry references nothing, or makes room for
 * it if the entry's frame was not used since the owner last looked. */
void lfm__tcache_note(struct lfm__region_hdr *rh, struct lfm__handle *h,
		      const struct lfm__frame *f, uint64_t tag,
		      _Atomic uint16_t *plog);

/* Owner: pins frame f (expected to hold `tag`) with a new entry, its ghost
 * being there. Returns LFM_PIN_* from the pin attempt, or LFM_PIN_FULL if
 * the entry is no longer free; the caller then pins directly. */
enum lfm__pin_result lfm__tcache_insert(struct lfm__region_hdr *rh,
					struct lfm__handle *h,
					struct lfm__frame *f, uint64_t tag,
					_Atomic uint16_t *plog);

/* Owner: releases one pin of f held through h. `set`/`clear` are state bits
 * to apply; `drop` asks to empty the entry when its count reaches 0 (for
 * discarded pages, which should not stay referenced). Returns 0, or -1 if
 * h holds no pin on f. */
int lfm__tcache_put(struct lfm__region_hdr *rh, struct lfm__handle *h,
		    struct lfm__frame *f, uint32_t set, uint32_t clear,
		    int drop, _Atomic uint16_t *plog);

/* Owner: if h holds exactly one pin on f (count 1), empties the entry,
 * the pin becoming a DIRECT one (logged in `log`, the process's pin-log
 * entry for f in a shared region, held throughout; else NULL) and the
 * SLOTREF dropped. 0 on success, -1 otherwise. */
int lfm__tcache_to_direct(struct lfm__region_hdr *rh, struct lfm__handle *h,
			  struct lfm__frame *f, _Atomic uint16_t *log);

/* memp_fclose of a file's last handle: every HELD entry naming f (in the
 * handles of process `proc` + 1's threads, or all handles for 0) loses its
 * pins and becomes CACHED. Returns the pins dropped. */
uint32_t lfm__tcache_drop_held(struct lfm__region_hdr *rh, struct lfm__frame *f,
			       uint32_t proc);

/* Whether some HELD entry naming f exists (in process `proc`'s handles, or
 * all for 0): a pin taken through a cache, the caller's perhaps. A snapshot:
 * it stays true only while the caller holds that pin. */
int lfm__tcache_held(struct lfm__region_hdr *rh, struct lfm__frame *f,
		     uint32_t proc);

/* Any thread: releases one pin on f held in some other handle, applying
 * set/clear to the frame first (nothing when there is no such pin). 0, or
 * -1 when no handle holds one. */
int lfm__tcache_put_foreign(struct lfm__region_hdr *rh, struct lfm__frame *f,
			    uint32_t proc, uint32_t set, uint32_t clear);

/* Any thread: empties every CACHED entry naming f. Returns how many. */
uint32_t lfm__tcache_steal(struct lfm__region_hdr *rh, struct lfm__frame *f,
			   _Atomic uint16_t *plog);

/* The CLOCK sweep at a frame whose USAGE is 0: empties every CACHED entry
 * naming f that has no REF, and clears REF of the CACHED ones that have
 * it. Returns how many it emptied; *referenced says whether any entry
 * had REF. */
uint32_t lfm__tcache_age(struct lfm__region_hdr *rh, struct lfm__frame *f,
			 int *referenced, _Atomic uint16_t *plog);

/* Moves the uses of word w, which the caller just emptied, to a hit
 * counter of the file of its frame's page: owner h's, or the file's
 * stripes for anyone else (h NULL). Called before the word's SLOTREF
 * goes, which keeps the frame's tag the page's. */
void lfm__tcache_harvest(struct lfm__region_hdr *rh, struct lfm__handle *h,
			 uint64_t w);

/* Adds n to one of the owner's counters: a plain add (a relaxed load and
 * store, no locked instruction), since only the owner writes them. */
static inline void lfm__owner_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* The owner's statistics counters for file `slot`. */
static inline _Atomic uint64_t *lfm__handle_stats(struct lfm__region_hdr *rh,
						  struct lfm__handle *h,
						  uint32_t slot)
{
	return (_Atomic uint64_t *)((char *)h + rh->handle_stats_off) +
	       (uint64_t)slot * LFM_ST_NCOUNTERS;
}

#endif
