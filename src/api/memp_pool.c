/* memp_pool.c - memp_open, memp_close, memp_register, memp_unlink:
 * db_mpool(3)'s rules for pools, on the engine's. */
#include "memp_adapter.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>

#define OPEN_FLAGS                                                             \
	(DB_CREATE | DB_MPOOL_PRIVATE | DB_NOMMAP | DB_THREAD | DB_MPOOL_DIRECT)

#define MEMP_DEFAULT_MP	 (128 * 1024)
#define MEMP_MIN_MP	 (20 * 1024)
#define MEMP_DEFAULT_MAP (10 * 1024 * 1024)

typedef int (*memp_pgfn)(db_pgno_t pgno, void *pgaddr, DBT *pgcookie);
typedef int (*memp_logfn)(void *arg, const DB_LSN *lsn);

static int call_page(void *arg, lfm__fnptr fn, uint32_t pgno, void *page,
		     const void *cookie, uint32_t cookie_size)
{
	(void)arg;
	DBT c = {0};
	c.data = (void *)cookie;
	c.size = cookie_size;
	return ((memp_pgfn)fn)(pgno, page, &c);
}

static int call_logflush(lfm__fnptr fn, void *arg, const struct lfm__lsn *lsn)
{
	DB_LSN l = {.file = lsn->file, .offset = lsn->offset};
	return ((memp_logfn)fn)(arg, &l);
}

const struct lfm__calls lfm__memp_calls = {
    .page = call_page,
    .logflush = call_logflush,
};

int memp_open(char *dir, int flags, int mode, DB_ENV *dbenv, DB_MPOOL **regionp)
{
	if (regionp == NULL || (flags & ~OPEN_FLAGS) != 0)
		return EINVAL;
	int size_given = dbenv != NULL && dbenv->mp_size != 0;
	size_t size = size_given ? dbenv->mp_size : MEMP_DEFAULT_MP;
	if (size < MEMP_MIN_MP)
		return EINVAL;
	uint64_t tc_cap;
	if (lfm__tcache_entries(dbenv != NULL ? dbenv->mp_tcache_size : 0,
				&tc_cap) != 0)
		return EINVAL;

	struct lfm__pool_geom g = {
	    .cache_bytes = size,
	    .tc_cap_entries = tc_cap,
	};
	struct lfm__pool_opts o = {
	    .calls = &lfm__memp_calls,
	    .create = (flags & DB_CREATE) != 0,
	    .mode = mode,
	    .size_given = size_given,
	    .nomap = (flags & DB_NOMMAP) != 0,
	    .direct = (flags & DB_MPOOL_DIRECT) != 0,
	    .mmapsize = dbenv != NULL && dbenv->mp_mmapsize != 0
			    ? dbenv->mp_mmapsize
			    : MEMP_DEFAULT_MAP,
	    /* dir NULL: the manual page's TMPDIR rule (its ERRORS section
	     * also calls that EINVAL; we follow the body, which memp_close's
	     * "removed as if memp_unlink were called" relies on). */
	    .unlink_close = dir == NULL,
	};
	char path[PATH_MAX];
	int rc = 0;
	if (!(flags & DB_MPOOL_PRIVATE))
		rc = lfm__pool_dir_path(dir, path, sizeof(path));
	struct lfm__pool *mp = NULL;
	if (rc == 0)
		rc = lfm__pool_open(flags & DB_MPOOL_PRIVATE ? NULL : path, &g,
				    &o, &mp);
	if (rc != 0)
		return rc;
	/* Flushers call pgin/pgout and the log-flush function from threads
	 * of their own: only an application that said it is free-threaded
	 * gets them without asking (memp_set_flushers). */
	rc = lfm__flushers_set(
	    mp, flags & DB_THREAD ? lfm__flushers_default() : 0, LFM_FLUSH_PCT);
	if (rc != 0) {
		(void)lfm__pool_close(mp);
		return rc;
	}
	*regionp = memp_pool_handle(mp);
	return 0;
}

int memp_close(DB_MPOOL *mp)
{
	if (mp == NULL)
		return EINVAL;
	return lfm__pool_close(lfm__pool_of(mp));
}

int memp_register(DB_MPOOL *mp, int ftype,
		  int (*pgin)(db_pgno_t pgno, void *pgaddr, DBT *pgcookie),
		  int (*pgout)(db_pgno_t pgno, void *pgaddr, DBT *pgcookie))
{
	/* Negative types are reserved for the DB library's access methods
	 * (btree -1, hash -2), which register them through this call. */
	if (mp == NULL || ftype == 0)
		return EINVAL;
	return lfm__pool_register(lfm__pool_of(mp), ftype, (lfm__fnptr)pgin,
				  (lfm__fnptr)pgout);
}

int memp_unlink(const char *dir, int force, DB_ENV *dbenv)
{
	(void)dbenv;
	char path[PATH_MAX];
	int rc = lfm__pool_dir_path(dir, path, sizeof(path));
	return rc != 0 ? rc : lfm__pool_unlink(path, force);
}
