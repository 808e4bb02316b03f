/*
 * bench_bdb.c - the Berkeley DB 5.3 side: an environment with only the
 * memory pool, private (DB_PRIVATE) or shared (its regions __db.NNN in the
 * home directory), and one DB_MPOOLFILE per file, shared by all threads.
 * BDB wants dirtiness declared at get. It has no background writer: the
 * driver runs a thread calling trickle where a workload asks.
 */
#include <db.h>
#include <dirent.h>
#include <stdio.h>

#include "bench.h"

struct bench_pool {
	DB_ENV *env;
	DB_MPOOLFILE *mpf; /* the file get and put use: files[nfiles - 1] */
	DB_MPOOLFILE *files[BENCH_MAX_FILES];
	int nfiles;
};

/* The first error of closing the files, then the environment. */
static int bdb_close(bench_pool *bp)
{
	int ret = 0, r;

	for (int i = 0; i < bp->nfiles; i++)
		if ((r = bp->files[i]->close(bp->files[i], 0)) != 0 && ret == 0)
			ret = r;
	/* A private environment's cache is freed, not written, at close. */
	if ((r = bp->env->close(bp->env, 0)) != 0 && ret == 0)
		ret = r;
	free(bp);
	return ret;
}

/* BDB allocates each buffer at its file's page size, from the one cache. */
static int bdb_use_file(bench_pool *bp, const char *path, uint32_t pagesize)
{
	DB_MPOOLFILE *mpf;
	int ret;

	if (bp->nfiles == BENCH_MAX_FILES)
		return EMFILE;
	if ((ret = bp->env->memp_fcreate(bp->env, &mpf, 0)) != 0)
		return ret;
	if ((ret = mpf->open(mpf, path, 0, 0, pagesize)) != 0) {
		(void)mpf->close(mpf, 0);
		return ret;
	}
	bp->files[bp->nfiles++] = bp->mpf = mpf;
	return 0;
}

static int bdb_open(const char *home, const char *path, size_t cache_bytes,
		    enum bench_how how, bench_pool **out)
{
	const size_t gb = (size_t)1 << 30;
	const u_int32_t flags = DB_INIT_MPOOL | DB_THREAD |
				(how != BENCH_JOIN ? DB_CREATE : 0) |
				(how == BENCH_PRIVATE ? DB_PRIVATE : 0);
	bench_pool *bp = calloc(1, sizeof(*bp));
	DB_ENV *env;
	int ret;

	*out = NULL;
	if (bp == NULL)
		return ENOMEM;
	if ((ret = db_env_create(&env, 0)) != 0) {
		free(bp);
		return ret;
	}
	bp->env = env;
	env->set_errfile(env, stderr);
	env->set_errpfx(env, "BDB");
	/* A joiner's is ignored: the region's wins. */
	if ((ret = env->set_cachesize(env, (u_int32_t)(cache_bytes / gb),
				      (u_int32_t)(cache_bytes % gb), 1)) == 0 &&
	    (ret = env->open(env, home, flags,
			     how == BENCH_PRIVATE ? 0 : 0600)) == 0 &&
	    (ret = bdb_use_file(bp, path, BENCH_PAGE_SIZE)) == 0)
		*out = bp;
	else
		(void)bdb_close(bp);
	return ret;
}

/*
 * libdb 5.3.28's DB_MPOOLFILE->get clears DB_MPOOL_DIRTY before calling
 * __memp_fget (docs/benchmarks.md, "Dirty gets"): dirty gets call the
 * exported __memp_fget with the arguments ->get would pass it here (no
 * thread info, transaction or replication), unless --bdb-dirty api.
 */
int __memp_fget(DB_MPOOLFILE *dbmfp, db_pgno_t *pgnoaddr, DB_THREAD_INFO *ip,
		DB_TXN *txn, u_int32_t flags, void *addrp);

int bench_bdb_dirty_api;

static int bdb_get(bench_pool *bp, uint32_t pgno, int dirty, void **page)
{
	db_pgno_t pg = pgno;

	if (dirty && !bench_bdb_dirty_api)
		return __memp_fget(bp->mpf, &pg, NULL, NULL, DB_MPOOL_DIRTY,
				   page);
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
	st->evict_clean = (uint64_t)sp->st_ro_evict;
	st->evict_dirty = (uint64_t)sp->st_rw_evict;
	st->pages_out = (uint64_t)sp->st_page_out;
	free(sp);
	return 0;
}

/* DB_ENV->memp_trickle: the environment's whole cache (one file here). */
static int bdb_trickle(bench_pool *bp, int pct, int *nwrote)
{
	return bp->env->memp_trickle(bp->env, pct, nwrote);
}

/* DB_ENV->remove with DB_FORCE (even when the environment is in use; it
 * frees its handle whatever it returns), then any __db.* file it left. */
static int bdb_remove(const char *home)
{
	DB_ENV *env;
	DIR *d;
	struct dirent *de;
	int ret;

	if ((ret = db_env_create(&env, 0)) == 0)
		ret = env->remove(env, home, DB_FORCE);
	if ((d = opendir(home)) == NULL)
		return ret != 0 ? ret : errno;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "__db.", 5) == 0 &&
		    unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT &&
		    ret == 0)
			ret = errno;
	(void)closedir(d);
	return ret;
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
    .csv = "bdb5.3",
    .version = bdb_version,
    .open = bdb_open,
    .get = bdb_get,
    .put = bdb_put,
    .stats = bdb_stats,
    .trickle = bdb_trickle,
    .use_file = bdb_use_file,
    .close = bdb_close,
    .remove = bdb_remove,
    .strerror = bdb_strerror,
};
