/* pfile.c - this process's side of a file slot: the descriptor to write it
 * with and the page functions registered for its type here. */
#include "pfile.h"
#include "lockrank.h"
#include "pool.h"

#include <fcntl.h>
#include <unistd.h>

int lfm__pool_ftype(struct lfm__pool *mp, int ftype, lfm__fnptr *pgin,
		    lfm__fnptr *pgout)
{
	LFM_ASSERT(lfm__rank_held(&mp->lock));
	for (int i = 0; i < mp->nftypes; i++) {
		if (mp->ftypes[i].ftype == ftype) {
			*pgin = mp->ftypes[i].pgin;
			*pgout = mp->ftypes[i].pgout;
			return 1;
		}
	}
	*pgin = *pgout = NULL;
	return 0;
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
		if (fd >= 0) {
			lfm__fnptr in, out;
			if (pf->nopen == 0) {
				/* Not opened here: this process's
				 * registration for the file's type. */
				lfm__pool_ftype(mp, f->ftype, &in, &out);
				atomic_store_explicit(&pf->pgin, in,
						      memory_order_release);
				atomic_store_explicit(&pf->pgout, out,
						      memory_order_release);
			}
			atomic_store_explicit(&pf->fd_rw, fd,
					      memory_order_release);
		}
	}
	lfm__pmutex_unlock_ranked(&mp->lock);
	return fd;
}

int lfm__pfile_writable(struct lfm__pool *mp, uint32_t slot)
{
	if (lfm__pfile_wfd(mp, slot) < 0)
		return 0;
	return !atomic_load_explicit(&lfm__files(mp->rh)[slot].needs_pgout,
				     memory_order_relaxed) ||
	       atomic_load_explicit(&mp->pfiles[slot].pgout,
				    memory_order_acquire) != NULL;
}
