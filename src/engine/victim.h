/*
 * victim.h - the eviction mechanism: a frame for a page that is not
 * resident.
 *
 * First the unspent budget (a fresh frame is carved), then the policy's
 * candidates (policy.h) in its order: a candidate this process cannot
 * write (another process's temporary file, a file type not registered here)
 * is passed over, a dirty one is left to running flushers for a while, and
 * the first that can be had is taken with EXCL, written if dirty, removed
 * from the frame table and reused. In pools mixing page sizes candidates
 * of every size compete: one of another size is retired and its bytes
 * carved into a frame of the miss's size (docs/protocol.md rule 24), so
 * each size's share of the budget follows its misses. Frames that thread
 * caches reference are the policy's to release (it knows whether they
 * were used).
 * It never waits for a pin: if every frame is pinned it fails with ENOMEM
 * at once. It does wait for frames a writer holds in EXCL (flushers' runs,
 * other misses' dirty victims): they are not pinned, and free soon.
 */
#ifndef LFM_VICTIM_H
#define LFM_VICTIM_H

#include "pool.h"

/* Returns 0 and a frame in EXCL, not VALID, untagged, unlinked, with a
 * buffer of at least `pagesize` bytes; or ENOMEM; or the error of the last
 * failed write of a dirty victim if that is why nothing could be freed. */
int lfm__victim_get(struct lfm__pool *mp, uint32_t pagesize,
		    struct lfm__tls_node *t, struct lfm__frame **out);

/* Publishes v (from lfm__victim_get: EXCL, untagged) as page `tag`'s frame
 * in its bucket b, under b's lock, unless the page is there already (put
 * there meanwhile by another thread): then v goes back free. 1 published,
 * 0 not. Whoever finds v from now on sees EXCL and waits for its fill. */
int lfm__victim_publish(struct lfm__pool *mp, struct lfm__bucket *b,
			struct lfm__frame *v, uint64_t tag);

/* With EXCL held on a VALID frame: writes it if dirty, unlinks it, clears
 * its tag and VALID. Returns 0 or the write error (frame then unchanged). */
int lfm__victim_evict(struct lfm__pool *mp, struct lfm__frame *f,
		      struct lfm__tls_node *t);

/* mpool(3) pools: sheds pages while more than max_resident are cached,
 * leaving their frames free. `put`: the frame a put just released; over
 * budget it is the one evicted (the others are pinned: rule 12) and named
 * in rh->shed_hint for the next miss. NULL: unpinned pages by the policy,
 * until within budget. */
void lfm__victim_shrink(struct lfm__pool *mp, struct lfm__tls_node *t,
			struct lfm__frame *put);

#endif
