/*
 * stat_table.h - every counter memp_stat and lfmpool-stat report, in one
 * table (an X-macro, as jemalloc's mutex_prof.h): the region's per-file
 * counter enum (region.h), the engine's lfm__pstat and lfm__fstat below,
 * their sums (stat_read.c), the copy into db_mpool.h's DB_MPOOL_STAT and
 * DB_MPOOL_FSTAT (api/memp_stat.c), and lfmpool-stat's figures, names and
 * JSON keys (src/tools) are all made from it. A new counter is a line
 * here, its increment, its field in db_mpool.h and its line in the
 * manual page.
 *
 * LFM_STATS(X) calls X(field, counter, kind, scope, name, text) for each,
 * in the order lfmpool-stat prints them:
 *   field    st_<field> in lfm__pstat / lfm__fstat and in db_mpool.h's
 *            structures
 *   counter  LFM_ST_<counter>, its index in a file's counters (kinds SUM
 *            and MAX), or what stat_read.c reads from the region header
 *            (kind HDR)
 *   kind     SUM  a per-file count: a pool's is the sum over its files
 *            MAX  a per-file maximum: a pool's is the largest
 *            HDR  a pool's count kept in the region header
 *   scope    PF   reported for the pool and for each file
 *            P    for the pool only
 *            H    for the pool only, under lfmpool-stat's "hash"
 *            N    reported by no one (a part of others, stat_read.c)
 *   name     lfmpool-stat's name (its field and JSON key)
 *   text     lfmpool-stat's text report: 0 when one of its sentences says
 *            it, else the words after the figure on a line of its own
 *
 * The order of the SUM and MAX lines is the order of a file's counters in
 * the region: changing it changes the region's layout (bump
 * LFM_REGION_VERSION). The hit path's counters come first, in one cache
 * line. Gauges (sizes, pages held now) are not counters: they are the
 * structures' other fields.
 */
#ifndef LFM_STAT_TABLE_H
#define LFM_STAT_TABLE_H

#include <stdint.h>

/* clang-format off */
#define LFM_STATS(X)                                                          \
  X(cache_hit,        HIT,         SUM, PF, hits,             0)              \
  X(hash_searches,    SEARCH,      SUM, H,  hash_searches,    0)              \
  X(hash_examined,    EXAMINED,    SUM, H,  hash_examined,    0)              \
  X(hash_longest,     LONGEST,     MAX, H,  hash_longest,     0)              \
  /* A hit found by a one-step walk (the fast path's common case): one     \
   * counter for what is also a hit, a search and one frame examined. */   \
  X(walk_hit,         WALKHIT,     SUM, N,  walk_hit,         0)              \
  X(cache_miss,       MISS,        SUM, PF, misses,           0)              \
  X(page_create,      CREATE,      SUM, PF, created,          0)              \
  X(page_in,          IN,          SUM, PF, read,             0)              \
  X(page_in_mapped,   INMAP,       SUM, PF, read_mapped,      0)              \
  X(map_faults,       MAPFAULT,    SUM, PF, map_faults,       0)              \
  X(map,              MAP,         SUM, PF, mapped,           0)              \
  X(page_out,         OUT,         SUM, PF, written,          0)              \
  X(ro_evict,         RO_EVICT,    HDR, P,  ro_evict,         0)              \
  X(rw_evict,         RW_EVICT,    HDR, P,  rw_evict,         0)              \
  X(alloc,            ALLOC,       SUM, PF, alloc,            0)              \
  X(alloc_pages,      ALLOC_PAGES, SUM, PF, alloc_pages,      0)              \
  X(alloc_max_pages,  ALLOC_MAX,   MAX, PF, alloc_max_pages,  0)              \
  X(io_wait,          IOWAIT,      SUM, PF, io_wait,          0)              \
  X(read_wait,        READWAIT,    SUM, PF, read_wait,        0)              \
  X(nomem,            NOMEM,       SUM, PF, nomem,            0)              \
  X(fdatasync,        FSYNC,       SUM, PF, fdatasync,        0)              \
  X(fdatasync_errors, FSYNC_ERR,   SUM, PF, fdatasync_errors, 0)              \
  X(bg_write_errors,  BGWERR,      SUM, PF, bg_write_errors,  0)              \
  X(log_flush,        LOGFLUSH,    SUM, PF, log_flush,        0)              \
  X(ckpt,             CKPT,        HDR, P,  ckpt,             0)              \
  X(ckpt_incomplete,  CKPT_INCOMPLETE, HDR, P, ckpt_incomplete, 0)            \
  X(ckpt_pages,       CKPT_PAGES,  HDR, P,  ckpt_pages,       0)              \
  X(ckpt_last_usec,   CKPT_LAST_USEC, HDR, P, ckpt_last_usec, 0)           \
  X(pin_limit,        PINLIMIT,    SUM, PF, pin_limit,        "gets failed with EAGAIN (a page at its pin limit)") \
  X(prefetch,         PREFETCH,    SUM, PF, prefetched,       "pages read ahead of their gets (memp_fprefetch, read-ahead)") \
  X(prefetch_lost,    PREFETCH_LOST, SUM, PF, prefetch_lost,  "prefetched pages not read whole (their gets read them)")
/* clang-format on */

/* Filters for the generators: LFM__IF_<kind or scope>(...) is its
 * arguments or nothing.
 * Per-file counters (the region's enum): */
#define LFM__IF_FILEC_SUM(...) __VA_ARGS__
#define LFM__IF_FILEC_MAX(...) __VA_ARGS__
#define LFM__IF_FILEC_HDR(...)
/* Reported for the pool: */
#define LFM__IF_POOL_PF(...) __VA_ARGS__
#define LFM__IF_POOL_P(...)  __VA_ARGS__
#define LFM__IF_POOL_H(...)  __VA_ARGS__
#define LFM__IF_POOL_N(...)
/* Of those, in lfmpool-stat's "pool" object (not under "hash"): */
#define LFM__IF_POOLOBJ_PF(...) __VA_ARGS__
#define LFM__IF_POOLOBJ_P(...)	__VA_ARGS__
#define LFM__IF_POOLOBJ_H(...)
#define LFM__IF_POOLOBJ_N(...)
/* Reported for each file: */
#define LFM__IF_FILE_PF(...) __VA_ARGS__
#define LFM__IF_FILE_P(...)
#define LFM__IF_FILE_H(...)
#define LFM__IF_FILE_N(...)

/* Every line's index: LFM_STAT_<field>. */
enum {
#define LFM__STAT_ID(f, c, k, s, n, t) LFM_STAT_##f,
	LFM_STATS(LFM__STAT_ID)
#undef LFM__STAT_ID
	    LFM_STAT_N
};

/* What memp_stat reports for a pool (lfm__pool_stat, lfm__stat_pool). */
struct lfm__pstat {
	/* Gauges: the budget, the hash table, the pages held now. */
	uint64_t st_cachesize, st_hash_buckets, st_page_clean, st_page_dirty,
	    st_pages;
	/* The calling process's prefetch I/O engine (aio.h's kind: 0 before
	 * its first prefetch). */
	uint64_t st_io_engine;
#define LFM__PSTAT_FIELD(f, c, k, s, n, t) LFM__IF_POOL_##s(uint64_t st_##f;)
	LFM_STATS(LFM__PSTAT_FIELD)
#undef LFM__PSTAT_FIELD
};

/* What memp_stat reports for a file (lfm__pool_file_stats,
 * lfm__stat_file). */
struct lfm__fstat {
	const char *file_name;
	uint64_t st_pagesize;
#define LFM__FSTAT_FIELD(f, c, k, s, n, t) LFM__IF_FILE_##s(uint64_t st_##f;)
	LFM_STATS(LFM__FSTAT_FIELD)
#undef LFM__FSTAT_FIELD
};

#endif
