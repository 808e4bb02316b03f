/*
 * bench_procs_lfm.c - the lfmpool side of the multi-process benchmark: a
 * shared pool (memp_open(home, ...) without DB_MPOOL_PRIVATE, region in
 * <home>/__lfm_mpool.region) with the library's default flushers, and one
 * DB_MPOOLFILE per process.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench_procs.h"
#include "db_mpool.h"

struct procs_pool {
	DB_MPOOL *mp;
	DB_MPOOLFILE *mpf;
};

static int lfm_close(procs_pool *pp)
{
	int ret = 0, r;

	if (pp == NULL)
		return 0;
	if (pp->mpf != NULL && (r = memp_fclose(pp->mpf)) != 0)
		ret = r;
	if (pp->mp != NULL && (r = memp_close(pp->mp)) != 0 && ret == 0)
		ret = r;
	free(pp);
	return ret;
}

static int lfm_open(const char *home, const char *path, size_t cache_bytes,
		    int flags, procs_pool **out)
{
	DB_ENV env;
	procs_pool *pp;
	int ret;

	*out = NULL;
	if ((pp = calloc(1, sizeof(*pp))) == NULL)
		return ENOMEM;
	memset(&env, 0, sizeof(env));
	env.mp_size = cache_bytes; /* a joiner's must match the region's */
	if ((ret = memp_open((char *)home, flags | DB_THREAD, 0600, &env,
			     &pp->mp)) != 0) {
		pp->mp = NULL;
		goto err;
	}
	if ((ret = memp_fopen(pp->mp, (char *)path, 0, 0, 0644, PROCS_PAGE_SIZE,
			      -1, NULL, NULL, &pp->mpf)) != 0) {
		pp->mpf = NULL;
		goto err;
	}
	*out = pp;
	return 0;
err:
	(void)lfm_close(pp);
	return ret;
}

static int lfm_create(const char *home, const char *path, size_t cache_bytes,
		      procs_pool **out)
{
	return lfm_open(home, path, cache_bytes, DB_CREATE, out);
}

static int lfm_join(const char *home, const char *path, size_t cache_bytes,
		    procs_pool **out)
{
	return lfm_open(home, path, cache_bytes, 0, out);
}

static int lfm_get(procs_pool *pp, uint32_t pgno, void **page)
{
	db_pgno_t pg = pgno;

	return memp_fget(pp->mpf, &pg, 0, page);
}

static int lfm_put(procs_pool *pp, void *page)
{
	return memp_fput(pp->mpf, page, 0);
}

static int lfm_stats(procs_pool *pp, uint64_t *misses, uint64_t *pages)
{
	DB_MPOOL_STAT *gsp = NULL;
	DB_MPOOL_FSTAT **fsp = NULL;
	int ret;

	/* The header spells the array argument as the manual page does,
	 * DB_MPOOL_FSTAT *(*fsp)[], so a DB_MPOOL_FSTAT ** needs a cast. */
	if ((ret = memp_stat(pp->mp, &gsp, (void *)&fsp, NULL)) != 0)
		return ret;
	*misses = gsp->st_cache_miss;
	*pages = gsp->st_pages;
	free(gsp);
	free(fsp);
	return 0;
}

static int lfm_remove(const char *home)
{
	return memp_unlink(home, 1, NULL);
}

static const char *lfm_strerror(int err)
{
	if (err == DB_INCOMPLETE)
		return "DB_INCOMPLETE";
	return strerror(err);
}

static const char *lfm_version(void)
{
	return lfmpool_version();
}

const struct procs_sys procs_lfm_sys = {
    .name = "lfmpool",
    .version = lfm_version,
    .create = lfm_create,
    .join = lfm_join,
    .get = lfm_get,
    .put = lfm_put,
    .stats = lfm_stats,
    .close = lfm_close,
    .remove = lfm_remove,
    .strerror = lfm_strerror,
};
