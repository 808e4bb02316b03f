/*
 * tcguard.h - when an owner may change its own cache entries (tcache.h)
 * by plain stores, with no locked instruction.
 *
 * An owner's pin and put through its entry (the hit path) are a load and
 * a CAS of the entry word: two full barriers an op on x86, which keep the
 * next op's loads waiting for this op's page. While its handle's `plain`
 * is set the owner makes them a load and a store instead. Everyone else
 * who writes another thread's entry (thieves, foreign putters, the drops
 * of memp_fclose and memp_close: tcache.c) does so between
 * lfm__tcguard_enter and lfm__tcguard_exit, while no handle is plain and
 * no plain change is in flight; so an owner's plain store can never
 * overwrite theirs, nor act on a word they changed under it.
 *
 * The handshake, per handle (the Dekker pattern with membarrier(2) on the
 * rare side, membarrier.h):
 *   owner:  busy = 1; compiler barrier; if plain (acquire): load word,
 *           check, store word, busy = 0 (release); else busy = 0 and the
 *           CAS protocol (tcache.h).
 *   thief:  (first one in) plain = 0 on every handle below hiwater;
 *           membarrier; wait until every busy is 0 (acquire).
 * Either an owner's load of plain came after its barrier point, and it
 * saw 0, or its busy = 1 is visible to the thief, which waits until the
 * owner's stores before busy = 0 are visible too. The word is loaded after
 * plain, so a word a thief changed before the guard opened again is seen
 * (opening is ordered after the thief's exit, and plain = 1 after
 * opening).
 *
 * State word tc_guard (region.h): bits 0..1 mode, 2..31 thieves inside,
 * 32..63 entries so far (a generation):
 *   OFF      handles may be plain; the next thief arms
 *   ARMING   the first thief clearing plain and waiting; others wait
 *   ARMED    no handle is plain: thieves enter and leave by CAS
 *   OPENING  the opener setting plain on the claimed handles
 * ARMED stays after the last thief leaves: a miss-heavy load would
 * otherwise pay a membarrier a miss. An owner on the CAS path calls
 * lfm__tcguard_try_open every LFM_TCGUARD_PERIOD ops, and a claim calls
 * it once (a new thread is plain from its first hit); it opens when no
 * thief is inside and none entered since the previous try (of anyone).
 * Shared regions, and processes whose kernel refuses membarrier, never
 * open (tc_plain_ok 0): every owner there stays on the CAS protocol.
 *
 * The inline halves of include/lfmpool.h are owners too: they make the
 * owner's side of the handshake on the same two words, which engine.h
 * publishes (lfm__fast_guard, 64 bytes before the entries), and count
 * their CAS-path ops in the thread's guard_ops, handing one in
 * LFM_TCGUARD_PERIOD to the library's hit path, which tries to open.
 *
 * Who writes `plain`: the arming thief (0), the opener (1, only handles
 * claimed when it looks, only under OPENING), the claimer and the releaser
 * of a handle (0, before its use and before it is free). 0 is always
 * safe. Who writes `busy`: the owner only.
 */
#ifndef LFM_TCGUARD_H
#define LFM_TCGUARD_H

#include <stdatomic.h>
#include <stdint.h>

#include "region.h"

#define LFM_TCGUARD_PERIOD 1024u /* an owner's CAS-path ops between tries */

/* The handle whose entries begin at `entries` (they follow it). */
static inline struct lfm__handle *
lfm__tcguard_handle(struct lfm__tc_entry *entries)
{
	return (struct lfm__handle *)entries - 1;
}

/* Owner: announces a plain change and says whether it may make one. On
 * 0 it has already withdrawn (busy = 0) and must use the CAS protocol; on
 * 1 it must call lfm__tcguard_done after its last plain store (or without
 * one). */
static inline int lfm__tcguard_begin(struct lfm__handle *h)
{
	atomic_store_explicit(&h->busy, 1, memory_order_relaxed);
	/* The thief's membarrier supplies the fence between the store
	 * above and the load below; the compiler must keep their order. */
	atomic_signal_fence(memory_order_seq_cst);
	if (__builtin_expect(
		atomic_load_explicit(&h->plain, memory_order_acquire) != 0, 1))
		return 1;
	atomic_store_explicit(&h->busy, 0, memory_order_relaxed);
	return 0;
}

/* Owner: its plain stores are done. Release: a thief that sees busy 0
 * sees them. */
static inline void lfm__tcguard_done(struct lfm__handle *h)
{
	atomic_store_explicit(&h->busy, 0, memory_order_release);
}

/* Thieves and foreign writers: until lfm__tcguard_exit, no owner of rh
 * changes an entry word by a plain store. May wait for owners (briefly:
 * a plain change is a few instructions) and for an arming thief. */
void lfm__tcguard_enter(struct lfm__region_hdr *rh);
void lfm__tcguard_exit(struct lfm__region_hdr *rh);

/* Owner on the CAS path, every LFM_TCGUARD_PERIOD ops, and a claimer
 * once its handle is claimed (tcache.c): lets the claimed
 * handles be plain again if no thief is inside and none entered since
 * the last try. Nothing in a region whose owners never are plain. */
void lfm__tcguard_try_open(struct lfm__region_hdr *rh);

/* The claimer before it uses handle h, the releaser before it frees it. */
static inline void lfm__tcguard_forbid(struct lfm__handle *h)
{
	atomic_store_explicit(&h->plain, 0, memory_order_relaxed);
}

#endif
