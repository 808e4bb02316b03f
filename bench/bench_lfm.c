/*
 * bench_lfm.c - the lfmpool side: a private or shared (memp_open(home))
 * pool with its default flushers unless set_flushers is called, one
 * DB_MPOOLFILE per file shared by all threads. Dirtiness is declared at
 * put, as in the 2.x API.
 */

#include "bench.h"
#include "db_mpool.h"

struct bench_pool {
	DB_MPOOL *mp;
	DB_MPOOLFILE *mpf; /* the file get and put use: files[nfiles - 1] */
	DB_MPOOLFILE *files[BENCH_MAX_FILES];
	int nfiles;
};

/* The first error of closing the files, then the pool. */
static int lfm_close(bench_pool *bp)
{
	int ret = 0, r;

	for (int i = 0; i < bp->nfiles; i++)
		if ((r = memp_fclose(bp->files[i])) != 0 && ret == 0)
			ret = r;
	if ((r = memp_close(bp->mp)) != 0 && ret == 0)
		ret = r;
	free(bp);
	return ret;
}

static int lfm_use_file(bench_pool *bp, const char *path, uint32_t pagesize)
{
	DB_MPOOLFILE *mpf;
	int ret;

	if (bp->nfiles == BENCH_MAX_FILES)
		return EMFILE;
	if ((ret = memp_fopen(bp->mp, (char *)path, 0, 0, 0644, pagesize, -1,
			      NULL, NULL, &mpf)) != 0)
		return ret;
	bp->files[bp->nfiles++] = bp->mpf = mpf;
	return 0;
}

static int lfm_open(const char *home, const char *path, size_t cache_bytes,
		    enum bench_how how, bench_pool **out)
{
	DB_ENV env = {.mp_size = cache_bytes}; /* a joiner's: the region's */
	const int priv = how == BENCH_PRIVATE;
	const int flags = (priv ? DB_MPOOL_PRIVATE : 0) |
			  (how != BENCH_JOIN ? DB_CREATE : 0) | DB_THREAD;
	bench_pool *bp = calloc(1, sizeof(*bp));
	int ret;

	*out = NULL;
	if (bp == NULL)
		return ENOMEM;
	if ((ret = memp_open(priv ? NULL : (char *)home, flags, priv ? 0 : 0600,
			     &env, &bp->mp)) != 0)
		free(bp);
	else if ((ret = lfm_use_file(bp, path, BENCH_PAGE_SIZE)) != 0)
		(void)lfm_close(bp);
	else
		*out = bp;
	return ret;
}

static int lfm_get(bench_pool *bp, uint32_t pgno, int dirty, void **page)
{
	db_pgno_t pg = pgno;

	(void)dirty; /* declared at put */
	return memp_fget(bp->mpf, &pg, 0, page);
}

static int lfm_put(bench_pool *bp, void *page, int dirty)
{
	return memp_fput(bp->mpf, page, dirty ? DB_MPOOL_DIRTY : 0);
}

static int lfm_stats(bench_pool *bp, struct bench_stats *st)
{
	DB_MPOOL_STAT *gsp = NULL;
	int ret;

	if ((ret = memp_stat(bp->mp, &gsp, NULL, NULL)) != 0)
		return ret;
	st->hits = gsp->st_cache_hit;
	st->misses = gsp->st_cache_miss;
	st->pages_held = gsp->st_pages;
	st->cache_bytes = gsp->st_cachesize;
	st->evict_clean = gsp->st_ro_evict;
	st->evict_dirty = gsp->st_rw_evict;
	st->pages_out = gsp->st_page_out;
	st->pages_in = gsp->st_page_in;
	st->pages_in_mapped = gsp->st_page_in_mapped;
	free(gsp);
	return 0;
}

static int lfm_set_flushers(bench_pool *bp, int nflushers, int clean_pct)
{
	return memp_set_flushers(bp->mp, nflushers, clean_pct);
}

static int lfm_trickle(bench_pool *bp, int pct, int *nwrote)
{
	return memp_trickle(bp->mp, pct, nwrote);
}

static int lfm_remove(const char *home)
{
	return memp_unlink(home, 1, NULL);
}

static const char *lfm_strerror(int err)
{
	return err == DB_INCOMPLETE ? "DB_INCOMPLETE" : strerror(err);
}

const struct bench_sys bench_lfm_sys = {
    .name = "lfmpool",
    .csv = "lfmpool",
    .version = lfmpool_version,
    .open = lfm_open,
    .get = lfm_get,
    .put = lfm_put,
    .stats = lfm_stats,
    .set_flushers = lfm_set_flushers,
    .trickle = lfm_trickle,
    .use_file = lfm_use_file,
    .close = lfm_close,
    .remove = lfm_remove,
    .strerror = lfm_strerror,
};
