/* pfile.c - this process's side of a file slot: the descriptor to write it
 * with and the page functions registered for its type here. */
#include "pfile.h"
#include "lockrank.h"
#include "pool.h"
#include "shm.h"

#include <fcntl.h>
#include <unistd.h>

const struct lfm__ftype *lfm__pool_ftype(struct lfm__pool *mp, int ftype)
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

lfm__fnptr lfm__pfile_fn(struct lfm__pool *mp, uint32_t slot, int out)
{
	int ftype = atomic_load_explicit(&lfm__files(mp->rh)[slot].ftype,
					 memory_order_relaxed);
	const struct lfm__ftype *e =
	    ftype != 0 ? lfm__pool_ftype(mp, ftype) : NULL;
	if (e == NULL)
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
		fd = open(f->apath, O_RDWR | O_CLOEXEC);
		if (fd >= 0)
			atomic_store_explicit(&pf->fd_rw, fd,
					      memory_order_release);
	}
	lfm__pmutex_unlock_ranked(&mp->lock);
	return fd;
}

int lfm__pfile_writable(struct lfm__pool *mp, uint32_t slot)
{
	int ftype = atomic_load_explicit(&lfm__files(mp->rh)[slot].ftype,
					 memory_order_relaxed);
	if (ftype != 0 && lfm__pool_ftype(mp, ftype) == NULL)
		return 0;
	return lfm__pfile_wfd(mp, slot) >= 0;
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
