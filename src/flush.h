/* flush.h - writing dirty pages back: memp_fsync and memp_sync. */
#ifndef LFM_FLUSH_H
#define LFM_FLUSH_H

#include "pool.h"

/*
 * Writes the dirty pages of file `slot` (or of every file when slot is -1)
 * that no user has pinned; pages that thread caches merely reference are
 * taken back from them first. With `limit`, only pages whose LSN is below
 * it (files without an LSN offset: all), and *max_lsn is raised to the
 * largest LSN written. Each written file is then fdatasync'd.
 * Adjacent pages go out in runs (writeback.h), sorted by page number.
 * With `pinned_too` (mpool_sync) pinned pages are written as well, from a
 * copy taken under a pin of our own.
 * If fdatasync fails, the pages written for that file are marked dirty
 * again (the kernel may have dropped them). A flusher's failed write of a
 * covered file since the last sync is reported here, once.
 * Returns 0, DB_INCOMPLETE (some were pinned), or the first error (the
 * failed pages stay dirty and intact).
 */
int lfm__flush(DB_MPOOL *mp, int64_t slot, const DB_LSN *limit, DB_LSN *max_lsn,
	       int *wrote_lsn, int pinned_too);

/* Drops every frame of file `slot` (memp_fclose of a temporary file):
 * frames pinned by users are left. Returns how many were left. */
uint32_t lfm__flush_discard_file(DB_MPOOL *mp, uint32_t slot);

#endif
