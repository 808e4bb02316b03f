/* pfile.h - this process's side of a file slot (pfile.c): the descriptor
 * to write it with, and the page functions registered for its type. */
#ifndef LFM_PFILE_H
#define LFM_PFILE_H

#include "pool.h"

/* The descriptor to write file `slot` with, opening the file by its
 * recorded absolute path if this process has not (shared pools: pages
 * another process dirtied). -1 if it cannot be opened here (a temporary
 * file of another process, no permission). */
int lfm__pfile_wfd_slow(struct lfm__pool *mp, uint32_t slot);
static inline int lfm__pfile_wfd(struct lfm__pool *mp, uint32_t slot)
{
	int fd =
	    atomic_load_explicit(&mp->pfiles[slot].fd_rw, memory_order_acquire);
	return fd >= 0 ? fd : lfm__pfile_wfd_slow(mp, slot);
}

/* Whether this process may write file `slot`'s pages: it can open the
 * file, and if any process registered a pgout for the file's type, this
 * one has too (memp_register is per process; never write raw). */
int lfm__pfile_writable(struct lfm__pool *mp, uint32_t slot);

/* This process's page functions for file type `ftype`: 1 if registered
 * (both NULL otherwise). Under mp->lock. */
int lfm__pool_ftype(struct lfm__pool *mp, int ftype, lfm__fnptr *pgin,
		    lfm__fnptr *pgout);

#endif
