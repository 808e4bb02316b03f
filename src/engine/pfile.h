/* pfile.h - this process's side of a file slot (pfile.c): the descriptor
 * to write it with, and the page functions registered for its type.
 *
 * The page functions are bound here and only here: a file's type lives
 * with it in the region (struct lfm__file.ftype, set by its first open),
 * and each read or write looks up this process's registration of that
 * type (memp_register is per process), so a process that never opened the
 * file, or registered after opening it, uses its own functions. */
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

/* lfm__pool_register (engine.h) records this process's pgin/pgout for a
 * type; lfm__pfile_free_types frees every registration at close. */
void lfm__pfile_free_types(struct lfm__pool *mp);

/* Binds file f to type `ftype` (its first open's; under files_lock). */
void lfm__pfile_bind_type(struct lfm__file *f, int ftype);

/* This process's pgin (out 0) or pgout (out 1) for file `slot`'s type:
 * NULL for type 0, a type not registered here, or one registered without
 * that function. */
lfm__fnptr lfm__pfile_fn(struct lfm__pool *mp, uint32_t slot, int out);

/* Whether this process may write file `slot`'s pages: it can open the
 * file, and the file's type is 0 or registered here. As db_mpool(3) says,
 * a process that has not registered a type cannot evict pages of its
 * files: it does not know what pgout they need, so it leaves them dirty
 * and intact for a process that does (Berkeley DB 2.x's __memp_bhwrite). */
int lfm__pfile_writable(struct lfm__pool *mp, uint32_t slot);

/* Which attachments (bit lock_owner: 0 private, process slot + 1 shared)
 * hold a handle of a file open: struct lfm__file.openers. The open that
 * finds none alive decides the file's type, LSN offset and cookie, as the
 * open that creates Berkeley DB's MPOOLFILE does. */
static inline uint32_t lfm__pfile_bit(const struct lfm__pool *mp)
{
	return 1u << mp->lock_owner;
}
/* The live attachments other than this one with file `slot` open; bits of
 * dead or departed ones are cleared. Under files_lock. */
uint32_t lfm__pfile_others_open(struct lfm__pool *mp, uint32_t slot);
/* This attachment holds no handle of file `slot` (any more). */
static inline void lfm__pfile_unhold(struct lfm__pool *mp, uint32_t slot)
{
	atomic_fetch_and_explicit(&lfm__files(mp->rh)[slot].openers,
				  ~lfm__pfile_bit(mp), memory_order_relaxed);
}

#endif
