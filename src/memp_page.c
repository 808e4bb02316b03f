/* memp_page.c - argument checking for the page calls: memp_fget, memp_fput,
 * memp_fset, memp_fsync, memp_sync. The work is in buf.c and flush.c. */
#include "buf.h"
#include "checkpoint.h"
#include "flush.h"
#include "hit.h"
#include "stats.h"

#include <errno.h>

#define GET_FLAGS (DB_MPOOL_CREATE | DB_MPOOL_LAST | DB_MPOOL_NEW)
#define PUT_FLAGS (DB_MPOOL_CLEAN | DB_MPOOL_DIRTY | DB_MPOOL_DISCARD)

/* A page of a mapped read-only file: served from the mapping, unpinned,
 * counted in st_map. */
static int map_get(DB_MPOOLFILE *mpf, db_pgno_t *pgnoaddr, unsigned long flags,
		   void **pagep)
{
	uint64_t pgno = *pgnoaddr;
	if (flags & DB_MPOOL_NEW)
		return EINVAL; /* read-only */
	if (flags & DB_MPOOL_LAST)
		pgno = mpf->map_pages - 1;
	if (pgno >= mpf->map_pages) {
		if (!(flags & DB_MPOOL_CREATE))
			return EINVAL; /* missing */
		/* Past the mapping: created in the cache, as for any
		 * read-only file (never written). */
		return lfm__buf_get(mpf, pgnoaddr, flags, pagep);
	}
	size_t ps = lfm__files(mpf->mp->rh)[mpf->slot].pagesize;
	lfm__stat_add(lfm__tls(mpf->mp), mpf->mp->rh, mpf->slot, LFM_ST_MAP, 1);
	*pgnoaddr = (db_pgno_t)pgno;
	*pagep = (void *)(mpf->map + pgno * ps);
	return 0;
}

/* Whether p is the start of a page of mpf's mapping. */
static int in_map(DB_MPOOLFILE *mpf, const void *p)
{
	if (mpf->map == NULL || (const char *)p < mpf->map ||
	    (const char *)p >= mpf->map + mpf->map_len)
		return 0;
	size_t ps = lfm__files(mpf->mp->rh)[mpf->slot].pagesize;
	return (size_t)((const char *)p - mpf->map) % ps == 0;
}

int lfm__fget_general(DB_MPOOLFILE *mpf, db_pgno_t *pgnoaddr,
		      unsigned long flags, void **pagep)
{
	if ((flags & ~(unsigned long)GET_FLAGS) != 0)
		return EINVAL;
	/* CREATE, LAST and NEW are mutually exclusive. */
	if ((flags & (flags - 1)) != 0)
		return EINVAL;
	/* A mapped file that someone has since opened for writing is read
	 * through the cache: its newest pages may be there. */
	if (mpf->map != NULL &&
	    !atomic_load_explicit(&lfm__files(mpf->mp->rh)[mpf->slot].rw_opened,
				  memory_order_acquire))
		return map_get(mpf, pgnoaddr, flags, pagep);
	return lfm__buf_get(mpf, pgnoaddr, flags, pagep);
}

int memp_fget(DB_MPOOLFILE *mpf, db_pgno_t *pgnoaddr, unsigned long flags,
	      void **pagep)
{
	/* The commonest call, kept to a tail call (hit.h). */
	if (__builtin_expect(flags == 0 && mpf != NULL && pgnoaddr != NULL &&
				 pagep != NULL,
			     1))
		return lfm__hit_get(mpf, pgnoaddr, pagep);
	if (mpf == NULL || pgnoaddr == NULL || pagep == NULL)
		return EINVAL;
	return lfm__fget_general(mpf, pgnoaddr, flags, pagep);
}

static int put_flags_ok(unsigned long flags)
{
	if ((flags & ~(unsigned long)PUT_FLAGS) != 0)
		return 0;
	return (flags & (DB_MPOOL_CLEAN | DB_MPOOL_DIRTY)) !=
	       (DB_MPOOL_CLEAN | DB_MPOOL_DIRTY);
}

int lfm__fput_general(DB_MPOOLFILE *mpf, void *pgaddr, unsigned long flags)
{
	if (!put_flags_ok(flags))
		return EINVAL;
	if (in_map(mpf, pgaddr))
		return flags & DB_MPOOL_DIRTY ? EACCES : 0;
	return lfm__buf_put(mpf, pgaddr, flags);
}

int memp_fput(DB_MPOOLFILE *mpf, void *pgaddr, unsigned long flags)
{
	if (mpf == NULL || pgaddr == NULL)
		return EINVAL;
	/* The commonest calls, kept to a tail call (hit.h). */
	if ((flags & ~(unsigned long)DB_MPOOL_DIRTY) == 0)
		return lfm__hit_put(mpf, pgaddr, flags);
	return lfm__fput_general(mpf, pgaddr, flags);
}

int memp_fset(DB_MPOOLFILE *mpf, void *pgaddr, unsigned long flags)
{
	if (mpf == NULL || pgaddr == NULL || !put_flags_ok(flags))
		return EINVAL;
	if (in_map(mpf, pgaddr))
		return flags & DB_MPOOL_DIRTY ? EACCES : 0;
	return lfm__buf_set(mpf, pgaddr, flags);
}

int memp_fsync(DB_MPOOLFILE *mpf)
{
	if (mpf == NULL)
		return EINVAL;
	if (mpf->rdonly)
		return 0; /* it cannot have dirtied anything */
	return lfm__flush(mpf->mp, mpf->slot, 0);
}

int memp_sync(DB_MPOOL *mp, LSN *lsn)
{
	if (mp == NULL || lsn == NULL)
		return EINVAL;
	return lfm__checkpoint(mp, lsn);
}
