/* memp_pool.c - memp_open, memp_close, memp_register, memp_unlink. */
#include "pool.h"

#include "flusher.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OPEN_FLAGS (DB_CREATE | DB_MPOOL_PRIVATE | DB_NOMMAP | DB_THREAD)

int memp_open(char *dir, int flags, int mode, DB_ENV *dbenv, DB_MPOOL **regionp)
{
	(void)dir;
	(void)mode;
	if (regionp == NULL || (flags & ~OPEN_FLAGS) != 0)
		return EINVAL;
	/* Shared pools (region files under dir) are not in this release. */
	if (!(flags & DB_MPOOL_PRIVATE))
		return EINVAL;
	size_t size = dbenv != NULL && dbenv->mp_size != 0 ? dbenv->mp_size
							   : LFM_DEFAULT_MP;
	if (size < LFM_MIN_MP)
		return EINVAL;

	struct lfm__region_geom g = {
	    .cache_bytes = size,
	    .nfiles_max = LFM_NFILES,
	    .nhandles = LFM_NHANDLES,
	};
	int rc = lfm__pool_create(&g, flags, dbenv, regionp);
	if (rc != 0)
		return rc;
	rc =
	    lfm__flushers_set(*regionp, lfm__flushers_default(), LFM_FLUSH_PCT);
	if (rc != 0) {
		(void)memp_close(*regionp);
		*regionp = NULL;
	}
	return rc;
}

int lfm__pool_create(const struct lfm__region_geom *g, int flags, DB_ENV *dbenv,
		     DB_MPOOL **regionp)
{
	DB_MPOOL *mp = calloc(1, sizeof(*mp));
	if (mp == NULL)
		return ENOMEM;
	mp->rh = lfm__region_create_private(g);
	if (mp->rh == NULL) {
		int rc = errno;
		free(mp);
		return rc;
	}
	mp->pfiles = calloc(mp->rh->nfiles_max, sizeof(*mp->pfiles));
	if (mp->pfiles == NULL) {
		lfm__region_destroy_private(mp->rh);
		free(mp);
		return ENOMEM;
	}
	for (uint32_t i = 0; i < mp->rh->nfiles_max; i++) {
		mp->pfiles[i].fd = -1;
		mp->pfiles[i].fd_rw = -1;
	}
	mp->flags = flags;
	mp->dbenv = dbenv;
	mp->mmapsize = dbenv != NULL && dbenv->mp_mmapsize != 0
			   ? dbenv->mp_mmapsize
			   : LFM_DEFAULT_MAP;
	pthread_mutex_init(&mp->lock, NULL);
	pthread_mutex_init(&mp->flush_lock, NULL);
	lfm__tls_register_pool(mp);
	*regionp = mp;
	return 0;
}

int memp_close(DB_MPOOL *mp)
{
	if (mp == NULL)
		return EINVAL;
	/* First, so that nothing is written after memp_close returns. */
	(void)lfm__flushers_set(mp, 0, 0);
	/* After this no dying thread touches the region (tls.c). */
	lfm__tls_unregister_pool(mp);
	while (mp->mpfs != NULL) {
		DB_MPOOLFILE *next = mp->mpfs->next;
		lfm__funmap(mp->mpfs);
		free(mp->mpfs);
		mp->mpfs = next;
	}
	int rc = 0;
	for (uint32_t i = 0; i < mp->rh->nfiles_max; i++) {
		struct lfm__pfile *pf = &mp->pfiles[i];
		if (pf->fd_rw >= 0 && pf->fd_rw != pf->fd && close(pf->fd_rw))
			rc = rc ? rc : errno;
		if (pf->fd >= 0 && !pf->borrowed && close(pf->fd))
			rc = rc ? rc : errno;
		free(atomic_load_explicit(&pf->cookie, memory_order_relaxed));
	}
	while (mp->old_cookies != NULL) {
		struct lfm__cookie *next = mp->old_cookies->next;
		free(mp->old_cookies);
		mp->old_cookies = next;
	}
	struct lfm__logflush *lf =
	    atomic_load_explicit(&mp->logflush, memory_order_relaxed);
	free(lf);
	while (mp->old_logflush != NULL) {
		lf = mp->old_logflush->next;
		free(mp->old_logflush);
		mp->old_logflush = lf;
	}
	free(mp->pfiles);
	pthread_mutex_destroy(&mp->flush_lock);
	pthread_mutex_destroy(&mp->lock);
	lfm__region_destroy_private(mp->rh);
	free(mp);
	return rc;
}

int memp_register(DB_MPOOL *mp, int ftype,
		  int (*pgin)(db_pgno_t pgno, void *pgaddr, DBT *pgcookie),
		  int (*pgout)(db_pgno_t pgno, void *pgaddr, DBT *pgcookie))
{
	if (mp == NULL || ftype <= 0)
		return EINVAL; /* the page: negative types are the library's */
	return lfm__pool_register(mp, ftype, pgin, pgout);
}

int lfm__pool_register(DB_MPOOL *mp, int ftype, lfm__pgfn pgin, lfm__pgfn pgout)
{
	pthread_mutex_lock(&mp->lock);
	int i;
	for (i = 0; i < mp->nftypes; i++)
		if (mp->ftypes[i].ftype == ftype)
			break;
	if (i == mp->nftypes) {
		if (mp->nftypes == LFM_MAX_FTYPES) {
			pthread_mutex_unlock(&mp->lock);
			return ENOMEM;
		}
		mp->nftypes++;
	}
	mp->ftypes[i].ftype = ftype;
	mp->ftypes[i].pgin = pgin;
	mp->ftypes[i].pgout = pgout;
	for (uint32_t s = 0; s < mp->rh->nfiles_max; s++) {
		struct lfm__pfile *pf = &mp->pfiles[s];
		if (pf->fd >= 0 && pf->ftype == ftype) {
			atomic_store_explicit(&pf->pgin, pgin,
					      memory_order_release);
			atomic_store_explicit(&pf->pgout, pgout,
					      memory_order_release);
		}
	}
	pthread_mutex_unlock(&mp->lock);
	return 0;
}

int memp_unlink(const char *dir, int force, DB_ENV *dbenv)
{
	(void)force;
	(void)dbenv;
	(void)dir;
	/* Private pools leave no files behind; there is nothing to remove. */
	return 0;
}
