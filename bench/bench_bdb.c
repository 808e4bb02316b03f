/*
 * bench_bdb.c - the Berkeley DB 5.3 side of the benchmark: a private
 * environment with only the memory pool (DB_INIT_MPOOL | DB_PRIVATE |
 * DB_THREAD) and one DB_MPOOLFILE, shared by all threads.
 *
 * BDB 5.3 wants dirtiness declared at get (DB_MPOOL_DIRTY), so `dirty` goes
 * to get here; put always passes DB_PRIORITY_UNCHANGED and no flags.
 */
#include <db.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"

struct bench_pool {
	DB_ENV *env;
	DB_MPOOLFILE *mpf;
};

static int bdb_close(bench_pool *bp)
{
	int ret = 0, r;

	if (bp == NULL)
		return 0;
	if (bp->mpf != NULL && (r = bp->mpf->close(bp->mpf, 0)) != 0)
		ret = r;
	/* A private environment's cache is freed, not written, at close. */
	if (bp->env != NULL && (r = bp->env->close(bp->env, 0)) != 0 &&
	    ret == 0)
		ret = r;
	free(bp);
	return ret;
}

static int bdb_open(const char *home, const char *path, size_t cache_bytes,
		    bench_pool **out)
{
	const size_t gb = (size_t)1 << 30;
	bench_pool *bp;
	int ret;

	*out = NULL;
	if ((bp = calloc(1, sizeof(*bp))) == NULL)
		return ENOMEM;
	if ((ret = db_env_create(&bp->env, 0)) != 0) {
		bp->env = NULL;
		goto err;
	}
	bp->env->set_errfile(bp->env, stderr);
	bp->env->set_errpfx(bp->env, "BDB");
	if ((ret =
		 bp->env->set_cachesize(bp->env, (u_int32_t)(cache_bytes / gb),
					(u_int32_t)(cache_bytes % gb), 1)) != 0)
		goto err;
	if ((ret = bp->env->open(
		 bp->env, home,
		 DB_CREATE | DB_INIT_MPOOL | DB_THREAD | DB_PRIVATE, 0)) != 0)
		goto err;
	if ((ret = bp->env->memp_fcreate(bp->env, &bp->mpf, 0)) != 0) {
		bp->mpf = NULL;
		goto err;
	}
	if ((ret = bp->mpf->open(bp->mpf, path, 0, 0, BENCH_PAGE_SIZE)) != 0)
		goto err;
	*out = bp;
	return 0;
err:
	(void)bdb_close(bp);
	return ret;
}

static int bdb_get(bench_pool *bp, uint32_t pgno, int dirty, void **page)
{
	db_pgno_t pg = pgno;

	return bp->mpf->get(bp->mpf, &pg, NULL, dirty ? DB_MPOOL_DIRTY : 0,
			    page);
}

static int bdb_put(bench_pool *bp, void *page, int dirty)
{
	(void)dirty; /* declared at get */
	return bp->mpf->put(bp->mpf, page, DB_PRIORITY_UNCHANGED, 0);
}

static int bdb_stats(bench_pool *bp, struct bench_stats *st)
{
	DB_MPOOL_STAT *sp = NULL;
	int ret;

	if ((ret = bp->env->memp_stat(bp->env, &sp, NULL, 0)) != 0)
		return ret;
	st->hits = (uint64_t)sp->st_cache_hit;
	st->misses = (uint64_t)sp->st_cache_miss;
	st->pages_held = sp->st_pages;
	st->cache_bytes =
	    (uint64_t)sp->st_gbytes * ((uint64_t)1 << 30) + sp->st_bytes;
	free(sp);
	return 0;
}

static const char *bdb_version(void)
{
	return db_version(NULL, NULL, NULL);
}

static const char *bdb_strerror(int err)
{
	return db_strerror(err);
}

const struct bench_sys bench_bdb_sys = {
    .name = "BDB 5.3",
    .version = bdb_version,
    .open = bdb_open,
    .get = bdb_get,
    .put = bdb_put,
    .stats = bdb_stats,
    .close = bdb_close,
    .strerror = bdb_strerror,
};
