/*
 * region_reader.h - a shared region's file checked and mapped read-only,
 * by a process that does not attach (lfmpool-stat): no process slot, no
 * lock, no write. The header checks are the ones a joiner makes (shm.c
 * calls lfm__region_check too), so a region the tool reads is one a
 * process could join, and the reverse.
 */
#ifndef LFM_REGION_READER_H
#define LFM_REGION_READER_H

#include "region.h"

#include <stddef.h>
#include <stdint.h>

/* What lfm__region_check found wrong. */
enum lfm__region_fault {
	LFM_RF_OK,
	LFM_RF_UNINIT,	 /* magic 0: being created, or its creator died */
	LFM_RF_MAGIC,	 /* not a region */
	LFM_RF_VERSION,	 /* another LFM_REGION_VERSION */
	LFM_RF_ABI,	 /* another build's layout (LFM_REGION_ABI) */
	LFM_RF_SIZE,	 /* the file's size is not the header's */
	LFM_RF_GEOMETRY, /* counts or offsets outside the file */
};

/* Checks header `h` (a copy, or the mapping itself) of a shared region
 * in a file of `file_size` bytes: magic, version, layout, size, and its
 * geometry (every array the layout names lies inside the file, each
 * count within bounds no region this build makes exceeds). Reads each
 * field once; the magic with acquire. For LFM_RF_GEOMETRY, *what names
 * the part that is wrong. */
enum lfm__region_fault lfm__region_check(const struct lfm__region_hdr *h,
					 uint64_t file_size, const char **what);

/* A region file mapped PROT_READ. */
struct lfm__region_ro {
	int fd; /* O_RDONLY */
	struct lfm__region_hdr *rh;
	uint64_t size;	 /* the region's (and the file's) bytes */
	uint64_t mapped; /* of those, mapped from offset 0 */
};

/* Opens `path` read-only, checks its header (a copy read first, so that
 * nothing past it is touched before it is checked) and maps the region
 * up to its pages, or all of it with `with_pages`; the mapped header must
 * still equal the checked copy. 0, or -1 with a one-line reason naming
 * the path in err (no newline). */
int lfm__region_open_ro(const char *path, int with_pages,
			struct lfm__region_ro *r, char *err, size_t errlen);

/* Unmaps and closes what lfm__region_open_ro opened. */
void lfm__region_close_ro(struct lfm__region_ro *r);

#endif
