/*
 * region_view.h - a read-only look at a shared pool's region file, for
 * lfmpool-stat. Everything that reads the region is in region_view.c.
 *
 * A sample opens the file O_RDONLY, checks its size, copies and checks the
 * header (magic, version, layout, every offset and count against the
 * file's size), maps the region up to its pages (and the pages too when
 * it lists them, to read each one's LSN) PROT_READ and reads it with
 * atomic loads, then unmaps and closes it. It takes no process slot, no lock
 * (process liveness is asked with F_OFD_GETLK, which locks nothing) and writes
 * nothing, so a pool user never waits for it and never sees it; it works
 * on a busy pool, an idle one, and one whose processes all died. Every
 * index read from the region is checked before it is followed (the file
 * may be damaged, or change under the reader), and a file truncated while
 * it is read is caught (SIGBUS) and reported, never a crash.
 *
 * The region's checks and mapping are the region layer's
 * (region_reader.h, which a joining process's checks share), and the
 * pool's and files' counters come from the same functions memp_stat uses
 * (stat_read.h), so the figures are the ones memp_stat would report at
 * the same moment. This header is plain C with no region types, so that
 * callers need not know the layout: only the statistics table
 * (stat_table.h), whose names it uses.
 */
#ifndef LFM_REGION_VIEW_H
#define LFM_REGION_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "stat_table.h"

#define RVIEW_NAME_MAX	256
#define RVIEW_SIZES_MAX 64 /* buffer sizes listed (more are left out) */

/* The pool as a whole. Counters are totals since the region was made
 * (of the files it knows now, as memp_stat's). */
struct rview_pool {
	uint64_t region_bytes; /* the region file's size */
	uint64_t cache_bytes;  /* mp_size: the page budget */
	uint64_t page_bytes;   /* bytes of frames carved now */
	uint32_t frames_max;   /* descriptors the region has room for */
	uint32_t frames;       /* frames carved (not retired) */
	/* Flusher threads of the live processes (a dead one's are not
	 * running, whether or not it was recovered yet). */
	uint32_t flushers;
	uint64_t pages;	 /* frames holding a page */
	uint64_t pinned; /* of those, pinned by some user */
	uint64_t dirty, clean;
	uint64_t written_flushers; /* of `written`, by flusher threads */
	/* memp_stat's counters, by the statistics table's names (hits is
	 * st_cache_hit, ...). hash_longest is st_hash_longest, the longest
	 * chain a lookup walked; chain_longest below is the longest now. */
#define RVIEW_POOL_FIELD(f, c, k, s, n, t) LFM__IF_POOL_##s(uint64_t n;)
	LFM_STATS(RVIEW_POOL_FIELD)
#undef RVIEW_POOL_FIELD
	uint32_t buckets;	 /* hash buckets */
	uint32_t occupied;	 /* buckets with a chain now */
	uint32_t chain_longest;	 /* longest chain now */
	uint64_t chain_frames;	 /* frames on all chains now */
	uint32_t nfiles_max;	 /* file slots */
	uint32_t nhandles;	 /* thread pin caches */
	uint32_t handles_in_use; /* of those, claimed now */
};

/* The frames of one buffer size (page size rounded up to 64 bytes). */
struct rview_size {
	uint32_t bufsize;
	uint32_t frames;  /* carved, not retired */
	uint32_t retired; /* given back to the budget for other sizes */
	uint32_t pages;	  /* of `frames`, holding a page */
	uint32_t dirty;
};

struct rview_file {
	uint32_t slot;
	char name[RVIEW_NAME_MAX]; /* as given to memp_fopen ("" temporary) */
	char path[RVIEW_NAME_MAX]; /* its absolute path ("" unknown) */
	uint32_t pagesize;
	uint64_t pages, dirty; /* held in the pool now */
	/* memp_stat's counters for the file, by the table's names. */
#define RVIEW_FILE_FIELD(f, c, k, s, n, t) LFM__IF_FILE_##s(uint64_t n;)
	LFM_STATS(RVIEW_FILE_FIELD)
#undef RVIEW_FILE_FIELD
};

struct rview_proc {
	uint32_t slot;
	int32_t pid;	   /* as the process recorded it */
	int alive;	   /* 1: its slot's lock is held; 0: it died */
	uint64_t pins;	   /* user pins it holds (direct and cached) */
	uint32_t flushers; /* flusher threads it runs (0 once dead) */
	uint32_t io;	   /* its prefetch I/O engine: 0 none, 1 io_uring,
			      2 threads (0 once dead) */
};

struct rview_page {
	uint32_t frame; /* its frame's index */
	uint32_t file;	/* file slot (rview_file.slot) */
	uint32_t pgno;
	uint32_t pagesize; /* its file's */
	uint32_t pins; /* user pins: direct plus those held through caches */
	uint32_t usage;
	int dirty;
	int has_lsn; /* the file has an LSN offset: lsn_file, lsn_offset */
	uint32_t lsn_file, lsn_offset;
};

struct rview_sample {
	struct rview_pool pool;
	struct rview_file *files; /* files known to the region, by slot */
	size_t nfiles;
	struct rview_proc *procs; /* claimed process slots */
	size_t nprocs;
	struct rview_page *pages; /* resident pages, when asked for */
	size_t npages;
	struct rview_size sizes[RVIEW_SIZES_MAX]; /* smallest first */
	size_t nsizes;
};

/* Reads one sample of the region in file `path` (with the resident pages
 * if want_pages: then the pages' bytes are mapped too, for their LSNs).
 * 0, or -1 with a one-line reason in err (no newline). */
int rview_read(const char *path, int want_pages, struct rview_sample *out,
	       char *err, size_t errlen);

void rview_free(struct rview_sample *s);

/* The region file of a pool: memp_open's in directory `dir`, or
 * mpool_open's for `key` (dir NULL). 0, or -1 (name too long). */
int rview_path(const char *dir, const char *key, char *out, size_t n);

#endif
