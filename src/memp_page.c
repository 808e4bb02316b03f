/* memp_page.c - argument checking for the page calls: memp_fget, memp_fput,
 * memp_fset, memp_fsync, memp_sync. The work is in buf.c and flush.c. */
#include "buf.h"
#include "flush.h"

#include <errno.h>

#define GET_FLAGS (DB_MPOOL_CREATE | DB_MPOOL_LAST | DB_MPOOL_NEW)
#define PUT_FLAGS (DB_MPOOL_CLEAN | DB_MPOOL_DIRTY | DB_MPOOL_DISCARD)

int memp_fget(DB_MPOOLFILE *mpf, db_pgno_t *pgnoaddr, unsigned long flags,
	      void **pagep)
{
	if (mpf == NULL || pgnoaddr == NULL || pagep == NULL ||
	    (flags & ~(unsigned long)GET_FLAGS) != 0)
		return EINVAL;
	/* CREATE, LAST and NEW are mutually exclusive. */
	if ((flags & (flags - 1)) != 0)
		return EINVAL;
	return lfm__buf_get(mpf, pgnoaddr, flags, pagep);
}

static int put_flags_ok(unsigned long flags)
{
	if ((flags & ~(unsigned long)PUT_FLAGS) != 0)
		return 0;
	return (flags & (DB_MPOOL_CLEAN | DB_MPOOL_DIRTY)) !=
	       (DB_MPOOL_CLEAN | DB_MPOOL_DIRTY);
}

int memp_fput(DB_MPOOLFILE *mpf, void *pgaddr, unsigned long flags)
{
	if (mpf == NULL || pgaddr == NULL || !put_flags_ok(flags))
		return EINVAL;
	return lfm__buf_put(mpf, pgaddr, flags);
}

int memp_fset(DB_MPOOLFILE *mpf, void *pgaddr, unsigned long flags)
{
	if (mpf == NULL || pgaddr == NULL || !put_flags_ok(flags))
		return EINVAL;
	return lfm__buf_set(mpf, pgaddr, flags);
}

int memp_fsync(DB_MPOOLFILE *mpf)
{
	if (mpf == NULL)
		return EINVAL;
	if (mpf->rdonly)
		return 0; /* it cannot have dirtied anything */
	int wrote = 0;
	return lfm__flush(mpf->mp, mpf->slot, NULL, NULL, &wrote, 0);
}

int memp_sync(DB_MPOOL *mp, LSN *lsn)
{
	if (mp == NULL || lsn == NULL)
		return EINVAL;
	DB_LSN limit = *lsn, max = {0, 0};
	int wrote = 0;
	int rc = lfm__flush(mp, -1, &limit, &max, &wrote, 0);
	if (rc == 0 && wrote)
		*lsn = max;
	return rc;
}
