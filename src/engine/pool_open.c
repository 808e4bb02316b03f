/* pool.c - opening and closing pools, private or in a shared region file,
 * and this process's registrations of file types. */
#include "pool.h"

#include "bgwriter.h"
#include "parts.h"
#include "pfile.h"
#include "ioq.h"
#include "prefetch.h"
#include "pinlog.h"
#include "policy.h"
#include "recover.h"
#include "shm.h"

#include <limits.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int pool_create(const struct lfm__region_geom *g,
		       const struct lfm__pool_opts *o, struct lfm__shm *shm,
		       struct lfm__pool **regionp);

/* Joins or creates the shared region in file `path` and opens a pool on
 * it; recovers what dead processes left. */
static int pool_attach(const char *path, const struct lfm__region_geom *g,
		       const struct lfm__pool_opts *o,
		       struct lfm__pool **regionp)
{
	struct lfm__shm *shm = malloc(sizeof(*shm));
	if (shm == NULL)
		return ENOMEM;
	int rc = lfm__shm_attach(path, o->create, o->mode, g, o->size_given,
				 lfm__recover_procs, shm);
	if (rc != 0) {
		free(shm);
		return rc;
	}
	rc = pool_create(g, o, shm, regionp);
	if (rc != 0) {
		lfm__shm_detach(shm);
		free(shm);
		return rc;
	}
	(void)lfm__recover_dead(*regionp);
	return 0;
}

/* A pool on a private region, or with `shm` on the shared region it has
 * attached (the pool then owns it). */
static int pool_create(const struct lfm__region_geom *g,
		       const struct lfm__pool_opts *o, struct lfm__shm *shm,
		       struct lfm__pool **regionp)
{
	struct lfm__pool *mp = calloc(1, sizeof(*mp));
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
	/* A region naming a policy this build lacks: not one it can use. */
	mp->policy = lfm__policy_of(mp->rh, &mp->policy_state);
	if (mp->policy == NULL) {
		if (shm == NULL)
			lfm__region_destroy_private(mp->rh);
		free(mp);
		return EINVAL;
	}
	mp->plog = shm != NULL ? lfm__pinlog_of(mp->rh, shm->proc) : NULL;
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
	/* Bits of files the slot's previous owner held open (pfile.h). */
	if (shm != NULL)
		for (uint32_t i = 0; i < mp->rh->nfiles_max; i++)
			lfm__pfile_unhold(mp, i);
	mp->calls = o->calls;
	mp->calls_arg = o->calls_arg;
	mp->direct = o->direct;
	mp->nomap = o->nomap || o->direct; /* a mapping is the page cache */
	mp->mmapsize = o->mmapsize;
	mp->unlink_at_close = shm != NULL && o->unlink_close;
	pthread_mutex_init(&mp->lock, NULL);
	mp->aio_depth = LFM_PREFETCH_DEPTH;
	pthread_mutex_init(&mp->flush_lock, NULL);
	lfm__tls_register_pool(mp);
	*regionp = mp;
	return 0;
}

/* Leaves a shared region: everything this process holds goes back, then
 * the process slot and the mapping. */
static void detach(struct lfm__pool *mp)
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
			lfm__tcache_drop_all(rh, h, mp->plog);
	}
	lfm__pinlog_drain(rh, mp->shm->proc);
	char path[PATH_MAX];
	memcpy(path, mp->shm->path, sizeof(path));
	lfm__shm_detach(mp->shm);
	free(mp->shm);
	if (mp->unlink_at_close)
		(void)lfm__shm_unlink(path, 0); /* EBUSY: others still use it */
}

int lfm__pool_close(struct lfm__pool *mp)
{
	/* First, so that nothing is written after memp_close returns. */
	(void)lfm__flushers_set(mp, 0, -1);
	/* Then the reads and the flushers' writes in flight finish into the
	 * region. */
	lfm__ioq_close(mp);
	/* After this no dying thread touches the region (tls.c). */
	lfm__tls_unregister_pool(mp);
	while (mp->mpfs != NULL) {
		struct lfm__fh *next = mp->mpfs->next;
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
		if (pf->nopen > 0)
			lfm__pfile_unhold(mp, i);
	}
	lfm__pfile_free_types(mp);
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

int lfm__pool_open_region(const char *path, const struct lfm__region_geom *g,
			  const struct lfm__pool_opts *o,
			  struct lfm__pool **out)
{
	struct lfm__region_geom gp = *g;
	lfm__parts_geom(&gp); /* each module's part of a new region */
	return path != NULL ? pool_attach(path, &gp, o, out)
			    : pool_create(&gp, o, NULL, out);
}

int lfm__pool_dir_path(const char *dir, char *path, size_t size)
{
	return (size_t)snprintf(path, size, "%s/" LFM_REGION_FILE,
				dir != NULL ? dir : lfm__shm_tmpdir()) < size
		   ? 0
		   : ENAMETOOLONG;
}

int lfm__pool_key_path(const void *key, char *path, size_t size)
{
	return lfm__shm_key_path(key, path, size);
}

int lfm__pool_unlink(const char *path, int force)
{
	return lfm__shm_unlink(path, force);
}

int lfm__pool_set_logflush(struct lfm__pool *mp, lfm__fnptr fn, void *arg)
{
	struct lfm__logflush *lf = NULL;
	if (fn != NULL) {
		lf = malloc(sizeof(*lf));
		if (lf == NULL)
			return ENOMEM;
		lf->fn = fn;
		lf->arg = arg;
		lf->next = NULL;
	}
	lfm__pmutex_lock_ranked(&mp->lock, LFM_RANK_POOL);
	struct lfm__logflush *old =
	    atomic_exchange_explicit(&mp->logflush, lf, memory_order_acq_rel);
	if (old != NULL) {
		/* A writer may still be calling it: keep it to close. */
		old->next = mp->old_logflush;
		mp->old_logflush = old;
	}
	lfm__pmutex_unlock_ranked(&mp->lock);
	return 0;
}

void lfm__pool_raise_budget(struct lfm__pool *mp, uint32_t max_resident)
{
	uint32_t cur =
	    atomic_load_explicit(&mp->rh->max_resident, memory_order_relaxed);
	while (cur < max_resident &&
	       !atomic_compare_exchange_weak_explicit(
		   &mp->rh->max_resident, &cur, max_resident,
		   memory_order_relaxed, memory_order_relaxed))
		;
}

int lfm__pool_first_file(struct lfm__pool *mp, char path[LFM_NAME_MAX])
{
	struct lfm__file *f0 = &lfm__files(mp->rh)[0];
	if (atomic_load_explicit(&f0->state, memory_order_acquire) !=
	    LFM_FILE_ACTIVE)
		return 0;
	memcpy(path, f0->apath, LFM_NAME_MAX);
	return 1;
}

int lfm__pool_direct(const struct lfm__pool *mp)
{
	return mp->direct;
}
