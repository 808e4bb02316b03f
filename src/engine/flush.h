/* flush.h - writing dirty pages back: memp_fsync and mpool_sync, and the
 * durability step every sync ends with (memp_sync: checkpoint.h). */
#ifndef LFM_FLUSH_H
#define LFM_FLUSH_H

#include "pool.h"
#include "writeback.h"

/*
 * Writes the dirty pages of file `slot` (or of every file when slot is -1)
 * that no user has pinned; pages that thread caches merely reference are
 * taken back from them first, then made durable (lfm__flush_durable).
 * Adjacent pages go out in runs (writeback.h), sorted by page number.
 * With `pinned_too` (mpool_sync) pinned pages are written as well, from a
 * copy taken under a pin of our own.
 * Returns 0, LFM_INCOMPLETE (some were pinned), or the first error (the
 * failed pages stay dirty and intact).
 */
int lfm__flush(struct lfm__pool *mp, int64_t slot, int pinned_too);

/*
 * A sync's last step, for file `slot` (every file with -1): each file this
 * call wrote (wrote[s]), or that flushers and evictions wrote since the
 * last sync began, is fdatasync'd, so that what it reports written is on
 * stable storage. If fdatasync fails, the pages of that file in c[0..n)
 * that this call wrote (result LFM_WB_WRITTEN) are marked dirty again (the
 * kernel may have dropped them) and bad[s] is set (bad may be NULL). Then
 * a flusher's failed write of a covered file since the last sync is taken,
 * to be reported once. Returns the first error, or 0.
 */
int lfm__flush_durable(struct lfm__pool *mp, int64_t slot, const uint8_t *wrote,
		       const struct lfm__wb_cand *c, uint32_t n, uint8_t *bad);

/* Drops every frame of file `slot` (memp_fclose of a temporary file):
 * frames pinned by users are left. Returns how many were left. */
uint32_t lfm__flush_discard_file(struct lfm__pool *mp, uint32_t slot);

#endif
