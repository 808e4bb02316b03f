/*
 * bench_procs_bdb.c - the Berkeley DB 5.3 side of the multi-process
 * benchmark: a shared environment with only the memory pool, created by
 * one process (DB_CREATE | DB_INIT_MPOOL | DB_THREAD, no DB_PRIVATE: the
 * regions are files __db.NNN in the home directory, mapped shared) and
 * joined by others (DB_INIT_MPOOL | DB_THREAD), each process with its own
 * DB_ENV and DB_MPOOLFILE handles.
 */
#include <db.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_procs.h"

struct procs_pool {
	DB_ENV *env;
	DB_MPOOLFILE *mpf;
};

static int bdb_close(procs_pool *pp)
{
	int ret = 0, r;

	if (pp == NULL)
		return 0;
	if (pp->mpf != NULL && (r = pp->mpf->close(pp->mpf, 0)) != 0)
		ret = r;
	if (pp->env != NULL && (r = pp->env->close(pp->env, 0)) != 0 &&
	    ret == 0)
		ret = r;
	free(pp);
	return ret;
}

static int bdb_open(const char *home, const char *path, size_t cache_bytes,
		    u_int32_t flags, procs_pool **out)
{
	const size_t gb = (size_t)1 << 30;
	procs_pool *pp;
	int ret;

	*out = NULL;
	if ((pp = calloc(1, sizeof(*pp))) == NULL)
		return ENOMEM;
	if ((ret = db_env_create(&pp->env, 0)) != 0) {
		pp->env = NULL;
		goto err;
	}
	pp->env->set_errfile(pp->env, stderr);
	pp->env->set_errpfx(pp->env, "BDB");
	/* Used by the creator; a joiner's is ignored (the region's wins). */
	if ((ret =
		 pp->env->set_cachesize(pp->env, (u_int32_t)(cache_bytes / gb),
					(u_int32_t)(cache_bytes % gb), 1)) != 0)
		goto err;
	if ((ret = pp->env->open(pp->env, home,
				 flags | DB_INIT_MPOOL | DB_THREAD, 0600)) != 0)
		goto err;
	if ((ret = pp->env->memp_fcreate(pp->env, &pp->mpf, 0)) != 0) {
		pp->mpf = NULL;
		goto err;
	}
	if ((ret = pp->mpf->open(pp->mpf, path, 0, 0, PROCS_PAGE_SIZE)) != 0)
		goto err;
	*out = pp;
	return 0;
err:
	(void)bdb_close(pp);
	return ret;
}

static int bdb_create(const char *home, const char *path, size_t cache_bytes,
		      procs_pool **out)
{
	return bdb_open(home, path, cache_bytes, DB_CREATE, out);
}

static int bdb_join(const char *home, const char *path, size_t cache_bytes,
		    procs_pool **out)
{
	return bdb_open(home, path, cache_bytes, 0, out);
}

static int bdb_get(procs_pool *pp, uint32_t pgno, void **page)
{
	db_pgno_t pg = pgno;

	return pp->mpf->get(pp->mpf, &pg, NULL, 0, page);
}

static int bdb_put(procs_pool *pp, void *page)
{
	return pp->mpf->put(pp->mpf, page, DB_PRIORITY_UNCHANGED, 0);
}

static int bdb_stats(procs_pool *pp, uint64_t *misses, uint64_t *pages)
{
	DB_MPOOL_STAT *sp = NULL;
	int ret;

	if ((ret = pp->env->memp_stat(pp->env, &sp, NULL, 0)) != 0)
		return ret;
	*misses = (uint64_t)sp->st_cache_miss;
	*pages = sp->st_pages;
	free(sp);
	return 0;
}

/*
 * DB_ENV->remove with DB_FORCE (it unlinks the region files even when the
 * environment is in use, and frees its handle whatever it returns), then
 * any __db.* file it left, so that the directory can be removed.
 */
static int bdb_remove(const char *home)
{
	DB_ENV *env;
	DIR *d;
	struct dirent *de;
	char p[PATH_MAX];
	int ret;

	if ((ret = db_env_create(&env, 0)) == 0)
		ret = env->remove(env, home, DB_FORCE);
	if ((d = opendir(home)) == NULL)
		return ret != 0 ? ret : errno;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "__db.", 5) != 0)
			continue;
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", home, de->d_name) >=
		    sizeof(p)) {
			if (ret == 0)
				ret = ENAMETOOLONG;
			continue;
		}
		if (unlink(p) != 0 && errno != ENOENT && ret == 0)
			ret = errno;
	}
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

const struct procs_sys procs_bdb_sys = {
    .name = "BDB 5.3",
    .version = bdb_version,
    .create = bdb_create,
    .join = bdb_join,
    .get = bdb_get,
    .put = bdb_put,
    .stats = bdb_stats,
    .close = bdb_close,
    .remove = bdb_remove,
    .strerror = bdb_strerror,
};
