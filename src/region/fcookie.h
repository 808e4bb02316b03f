/*
 * fcookie.h - a file's pgcookie, kept with its entry in the region
 * (struct lfm__file), so that every process's pgin and pgout get the same
 * bytes, whether or not it opened the file (as Berkeley DB 2.x keeps it
 * with its MPOOLFILE).
 *
 * The bytes are replaced only by an open that finds no handle of the file
 * open anywhere (file.c), but processes that have no handle may be writing
 * the file's pages meanwhile (flushers, memp_trickle, evictions), so
 * readers take a copy that is checked whole:
 *
 *   writer (under files_lock): g = cookie_gen; fill buffer (g + 1) & 1
 *     (relaxed stores, after a release fence), then cookie_gen = g + 1
 *     (release). The buffer a reader may be copying is never the one
 *     written until cookie_gen has moved past it.
 *   reader: g = cookie_gen (acquire); copy buffer g & 1 (relaxed loads);
 *     acquire fence; cookie_gen unchanged (relaxed) or copy again.
 *
 * A reader that copied bytes of a later writer's store synchronises with
 * that writer's release fence, so its second load of cookie_gen sees the
 * generation that writer already saw, and it retries. A writer killed
 * mid-way leaves only the buffer nobody reads half written: readers never
 * wait for it. Every access is atomic, so there is no data race to report.
 */
#ifndef LFM_FCOOKIE_H
#define LFM_FCOOKIE_H

#include <stdint.h>

#include "region.h"

/* Sets file f's cookie to `size` bytes at `data` (size 0: none). The
 * caller holds files_lock; size <= LFM_COOKIE_MAX. */
void lfm__fcookie_set(struct lfm__file *f, const void *data, uint32_t size);

/* Copies file f's cookie into buf (LFM_COOKIE_MAX bytes, 8-aligned) and
 * returns its size (0: none). Any thread, any process, no lock. */
uint32_t lfm__fcookie_get(struct lfm__file *f,
			  uint64_t buf[LFM_COOKIE_MAX / 8]);

#endif
