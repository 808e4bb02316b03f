/* memp_pool.c - memp_open, memp_close, memp_register, memp_unlink. */
#include "pool.h"

#include "flusher.h"
#include "pinlog.h"
#include "recover.h"
#include "shm.h"

#include <limits.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OPEN_FLAGS (DB_CREATE | DB_MPOOL_PRIVATE | DB_NOMMAP | DB_THREAD)

/* The region file of the pool in `dir` (NULL: the temporary directory).
 * 0 if the name does not fit. */
static int region_path(const char *dir, char path[PATH_MAX])
{
	return (size_t)snprintf(path, PATH_MAX, "%s/" LFM_REGION_FILE,
				dir != NULL ? dir : lfm__shm_tmpdir()) <
	       PATH_MAX;
}

int memp_open(char *dir, int flags, int mode, DB_ENV *dbenv, DB_MPOOL **regionp)
{
	if (regionp == NULL || (flags & ~OPEN_FLAGS) != 0)
		return EINVAL;
	int size_given = dbenv != NULL && dbenv->mp_size != 0;
	size_t size = size_given ? dbenv->mp_size : LFM_DEFAULT_MP;
	if (size < LFM_MIN_MP)
		return EINVAL;
	uint64_t tc_cap =
	    dbenv != NULL ? dbenv->mp_tcache_size / sizeof(struct lfm__tc_entry)
			  : 0;
	if (dbenv != NULL && dbenv->mp_tcache_size != 0 && tc_cap < LFM_TC_WAYS)
		return EINVAL;

	struct lfm__region_geom g = {
	    .cache_bytes = size,
	    .nfiles_max = LFM_NFILES,
	    .nhandles = LFM_NHANDLES,
	    .tc_cap_entries = tc_cap,
	};
	int rc;
	if (flags & DB_MPOOL_PRIVATE) {
		rc = lfm__pool_create(&g, flags, dbenv, NULL, regionp);
	} else {
		/* dir NULL: the manual page's TMPDIR rule (its ERRORS section
		 * also calls that EINVAL; we follow the body, which
		 * memp_close's "removed as if memp_unlink were called" relies
		 * on). */
		char path[PATH_MAX];
		if (!region_path(dir, path))
			return ENAMETOOLONG;
		rc = lfm__pool_attach(path, &g, flags, mode, size_given, dbenv,
				      regionp);
		if (rc == 0)
			(*regionp)->unlink_at_close = dir == NULL;
	}
	if (rc != 0)
		return rc;
	/* Flushers call pgin/pgout and the log-flush function from threads
	 * of their own: only an application that said it is free-threaded
	 * gets them without asking (memp_set_flushers). */
	rc = lfm__flushers_set(*regionp,
			       flags & DB_THREAD ? lfm__flushers_default() : 0,
			       LFM_FLUSH_PCT);
	if (rc != 0) {
		(void)memp_close(*regionp);
		*regionp = NULL;
	}
	return rc;
}

int lfm__pool_attach(const char *path, const struct lfm__region_geom *g,
		     int flags, int mode, int size_given, DB_ENV *dbenv,
		     DB_MPOOL **regionp)
{
	struct lfm__shm *shm = malloc(sizeof(*shm));
	if (shm == NULL)
		return ENOMEM;
	int rc = lfm__shm_attach(path, flags, mode, g, size_given,
				 lfm__recover_proc, shm);
	if (rc != 0) {
		free(shm);
		return rc;
	}
	rc = lfm__pool_create(g, flags, dbenv, shm, regionp);
	if (rc != 0) {
		lfm__shm_detach(shm);
		free(shm);
		return rc;
	}
	(void)lfm__recover_dead(*regionp);
	return 0;
}

int lfm__pool_create(const struct lfm__region_geom *g, int flags, DB_ENV *dbenv,
		     struct lfm__shm *shm, DB_MPOOL **regionp)
{
	DB_MPOOL *mp = calloc(1, sizeof(*mp));
	if (mp == NULL)
		return ENOMEM;
	mp->shm = shm;
	mp->lock_owner = shm != NULL ? shm->proc + 1 : 0;
	mp->owner_bits = mp->lock_owner << LFM_F_OWNER_SHIFT;
	mp->rh = shm != NULL ? shm->rh : lfm__region_create_private(g);
	if (mp->rh == NULL) {
		int rc = errno;
		free(mp);
		return rc;
	}
	mp->pfiles = calloc(mp->rh->nfiles_max, sizeof(*mp->pfiles));
	if (mp->pfiles == NULL) {
		if (shm == NULL)
			lfm__region_destroy_private(mp->rh);
		free(mp);
		return ENOMEM;
	}
	for (uint32_t i = 0; i < mp->rh->nfiles_max; i++) {
		mp->pfiles[i].fd = -1;
		atomic_init(&mp->pfiles[i].fd_rw, -1);
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

/* Leaves a shared region: everything this process holds goes back, then
 * the process slot and the mapping. */
static void detach(DB_MPOOL *mp)
{
	struct lfm__region_hdr *rh = mp->rh;
	uint32_t me = mp->shm->proc + 1;
	/* Pins our users never put go with us: nothing of ours can use
	 * them after memp_close (the other threads are done, as memp_close
	 * requires). Our caches and logged pins go back like a dead
	 * process's. */
	for (uint32_t i = 0; i < rh->nhandles; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		if (atomic_load_explicit(&h->owner, memory_order_acquire) &&
		    atomic_load_explicit(&h->proc, memory_order_relaxed) == me)
			lfm__tcache_release_dead(rh, h);
	}
	lfm__pinlog_drain(rh, mp->shm->proc);
	char path[PATH_MAX];
	memcpy(path, mp->shm->path, sizeof(path));
	lfm__shm_detach(mp->shm);
	free(mp->shm);
	if (mp->unlink_at_close)
		(void)lfm__shm_unlink(path, 0); /* EBUSY: others still use it */
}

int memp_close(DB_MPOOL *mp)
{
	if (mp == NULL)
		return EINVAL;
	/* First, so that nothing is written after memp_close returns. */
	(void)lfm__flushers_set(mp, 0, -1);
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
		int fd_rw =
		    atomic_load_explicit(&pf->fd_rw, memory_order_relaxed);
		if (fd_rw >= 0 && fd_rw != pf->fd && close(fd_rw))
			rc = rc ? rc : errno;
		lfm__mapread_close(&pf->map);
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
	if (mp->shm != NULL)
		detach(mp);
	else
		lfm__region_destroy_private(mp->rh);
	free(mp);
	return rc;
}

int memp_register(DB_MPOOL *mp, int ftype,
		  int (*pgin)(db_pgno_t pgno, void *pgaddr, DBT *pgcookie),
		  int (*pgout)(db_pgno_t pgno, void *pgaddr, DBT *pgcookie))
{
	/* Negative types are reserved for the DB library's access methods
	 * (btree -1, hash -2), which register them through this call. */
	if (mp == NULL || ftype == 0)
		return EINVAL;
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
		struct lfm__file *f = &lfm__files(mp->rh)[s];
		if (pgout != NULL &&
		    atomic_load_explicit(&f->state, memory_order_acquire) ==
			LFM_FILE_ACTIVE &&
		    atomic_load_explicit(&f->ftype, memory_order_relaxed) ==
			ftype)
			atomic_store_explicit(&f->needs_pgout, 1,
					      memory_order_relaxed);
		if ((pf->fd >= 0 ||
		     atomic_load_explicit(&pf->fd_rw, memory_order_relaxed) >=
			 0) &&
		    (pf->nopen > 0
			 ? pf->ftype
			 : atomic_load_explicit(
			       &f->ftype, memory_order_relaxed)) == ftype) {
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
	(void)dbenv;
	char path[PATH_MAX];
	if (!region_path(dir, path))
		return ENAMETOOLONG;
	return lfm__shm_unlink(path, force);
}
