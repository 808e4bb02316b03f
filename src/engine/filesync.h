/* filesync.h - syncing files: memp_fsync and mpool_sync write a file's
 * dirty pages and make them durable, the fdatasync step every sync ends
 * with (memp_sync's checkpoints: checkpoint.h), and a temporary file's
 * pages dropped at its last close. */
#ifndef LFM_FILESYNC_H
#define LFM_FILESYNC_H

#include "pool.h"
#include "pagewrite.h"

/*
 * Writes the dirty pages of file `slot` (or of every file when slot is -1)
 * that no user has pinned; pages that thread caches merely reference are
 * taken back from them first, then made durable (lfm__flush_durable).
 * Adjacent pages go out in runs (pagewrite.h), sorted by page number.
 * With `pinned_too` (mpool_sync) pinned pages are written as well, from a
 * copy taken under a pin of our own.
 * Returns 0, LFM_INCOMPLETE (some were pinned), or the first error (the
 * failed pages stay dirty and intact).
 */
int lfm__flush(struct lfm__pool *mp, int64_t slot, int pinned_too);

/*
 * A sync's first step: fails0[s] gets the count of failed fdatasyncs of
 * each file s it covers (file `slot`, every file with -1), for
 * lfm__flush_durable. fails0 has nfiles_max entries.
 */
void lfm__flush_begin(struct lfm__pool *mp, int64_t slot, uint32_t *fails0);

/*
 * A sync's last step, for file `slot` (every file with -1): each file this
 * call wrote (wrote[s]), or that flushers and evictions wrote since the
 * last sync began, is fdatasync'd, so that what it reports written is on
 * stable storage. If fdatasync fails, every page of the file still cached
 * is marked dirty again (the kernel may have dropped any write since the
 * last good fdatasync, whoever made it); the error is returned and bad[s]
 * set (bad may be NULL). A file whose fdatasync, this call's or another
 * sync's, failed since lfm__flush_begin gave fails0 gets that error too:
 * the writes this sync covers may be among those dropped. A write that
 * failed earlier but was since made (a flusher's, say) is no error: the
 * result depends on what is durable, not on who tried (rule 16). Returns
 * the first error, or 0.
 */
int lfm__flush_durable(struct lfm__pool *mp, int64_t slot, const uint8_t *wrote,
		       const uint32_t *fails0, uint8_t *bad);

/* Drops every frame of file `slot` (memp_fclose of a temporary file):
 * frames pinned by users are left. Returns how many were left. */
uint32_t lfm__flush_discard_file(struct lfm__pool *mp, uint32_t slot);

#endif
