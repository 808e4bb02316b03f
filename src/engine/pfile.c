/* pfile.c - this process's side of a file slot: the descriptor to write it
 * with, and the page functions: their registration (memp_register), a
 * file's type bound at its first open, and the lookup that joins them. */
#include "pfile.h"
#include "lockrank.h"
#include "pool.h"
#include "shm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

/* This process's registration of file type `ftype` (NULL: none). No lock:
 * any thread, at any time. */
static const struct lfm__ftype *registered(struct lfm__pool *mp, int ftype)
{
	int n = atomic_load_explicit(&mp->nftypes, memory_order_acquire);
	for (int i = 0; i < n; i++) {
		const struct lfm__ftype *e =
		    atomic_load_explicit(&mp->ftypes[i], memory_order_acquire);
		if (e->ftype == ftype)
			return e;
	}
	return NULL;
}

int lfm__pool_register(struct lfm__pool *mp, int ftype, lfm__fnptr pgin,
		       lfm__fnptr pgout)
{
	struct lfm__ftype *e = malloc(sizeof(*e));
	if (e == NULL)
		return ENOMEM;
	e->ftype = ftype;
	e->pgin = pgin;
	e->pgout = pgout;
	e->next = NULL;
	lfm__pmutex_lock_ranked(&mp->lock, LFM_RANK_POOL);
	int n = atomic_load_explicit(&mp->nftypes, memory_order_relaxed), i;
	for (i = 0; i < n; i++) {
		struct lfm__ftype *old =
		    atomic_load_explicit(&mp->ftypes[i], memory_order_relaxed);
		if (old->ftype == ftype) {
			/* Readers may hold the old one: kept until close. */
			atomic_store_explicit(&mp->ftypes[i], e,
					      memory_order_release);
			old->next = mp->old_ftypes;
			mp->old_ftypes = old;
			break;
		}
	}
	int rc = 0;
	if (i == n && n == LFM_MAX_FTYPES) {
		free(e);
		rc = ENOMEM;
	} else if (i == n) {
		atomic_store_explicit(&mp->ftypes[n], e, memory_order_release);
		atomic_store_explicit(&mp->nftypes, n + 1,
				      memory_order_release);
	}
	lfm__pmutex_unlock_ranked(&mp->lock);
	return rc;
}

void lfm__pfile_free_types(struct lfm__pool *mp)
{
	int nft = atomic_load_explicit(&mp->nftypes, memory_order_relaxed);
	for (int i = 0; i < nft; i++)
		free(
		    atomic_load_explicit(&mp->ftypes[i], memory_order_relaxed));
	atomic_store_explicit(&mp->nftypes, 0, memory_order_relaxed);
	while (mp->old_ftypes != NULL) {
		struct lfm__ftype *next = mp->old_ftypes->next;
		free(mp->old_ftypes);
		mp->old_ftypes = next;
	}
}

void lfm__pfile_bind_type(struct lfm__file *f, int ftype)
{
	atomic_store_explicit(&f->ftype, ftype, memory_order_relaxed);
}

/* The one rule: file `slot`'s type, bound at its first open, names this
 * process's registration of that type. *e gets it (NULL for type 0);
 * returns 0 when the type is not registered here. */
static int binding(struct lfm__pool *mp, uint32_t slot,
		   const struct lfm__ftype **e)
{
	int ftype = atomic_load_explicit(&lfm__files(mp->rh)[slot].ftype,
					 memory_order_relaxed);
	*e = ftype != 0 ? registered(mp, ftype) : NULL;
	return ftype == 0 || *e != NULL;
}

lfm__fnptr lfm__pfile_fn(struct lfm__pool *mp, uint32_t slot, int out)
{
	const struct lfm__ftype *e;
	if (!binding(mp, slot, &e) || e == NULL)
		return NULL;
	return out ? e->pgout : e->pgin;
}

int lfm__pfile_wfd_slow(struct lfm__pool *mp, uint32_t slot)
{
	struct lfm__pfile *pf = &mp->pfiles[slot];
	struct lfm__file *f = &lfm__files(mp->rh)[slot];
	/* Another process's temporary file has no path: CLOCK meets its dirty
	 * frames on every sweep, so say no without the lock. (apath is set
	 * before the slot is published and not changed while it is in use.) */
	if (f->apath[0] == '\0')
		return -1;
	lfm__pmutex_lock_ranked(&mp->lock, LFM_RANK_POOL);
	int fd = atomic_load_explicit(&pf->fd_rw, memory_order_relaxed);
	if (fd < 0 && f->apath[0] != '\0') {
		fd = open(f->apath,
			  O_RDWR | O_CLOEXEC | (mp->direct ? O_DIRECT : 0));
		if (fd >= 0)
			atomic_store_explicit(&pf->fd_rw, fd,
					      memory_order_release);
	}
	lfm__pmutex_unlock_ranked(&mp->lock);
	return fd;
}

int lfm__pfile_writable(struct lfm__pool *mp, uint32_t slot)
{
	const struct lfm__ftype *e;
	return binding(mp, slot, &e) && lfm__pfile_wfd(mp, slot) >= 0;
}

_Static_assert(LFM_NPROCS + 1 <= 32, "an openers bit per attachment");

uint32_t lfm__pfile_others_open(struct lfm__pool *mp, uint32_t slot)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__file *f = &lfm__files(rh)[slot];
	LFM_ASSERT(lfm__rank_held(&rh->files_lock));
	uint32_t bits =
	    atomic_load_explicit(&f->openers, memory_order_relaxed) &
	    ~lfm__pfile_bit(mp);
	uint32_t stale = 0;
	for (uint32_t b = 1; b <= LFM_NPROCS; b++) {
		if (!(bits & (1u << b)))
			continue;
		/* A slot that is free, or whose process died, holds nothing:
		 * its owner left without its last memp_fclose. */
		if (mp->shm == NULL ||
		    atomic_load_explicit(&rh->procs[b - 1].state,
					 memory_order_acquire) == 0 ||
		    lfm__shm_proc_dead(mp->shm, b - 1))
			stale |= 1u << b;
	}
	if (stale != 0)
		atomic_fetch_and_explicit(&f->openers, ~stale,
					  memory_order_relaxed);
	return bits & ~stale & ~1u;
}
