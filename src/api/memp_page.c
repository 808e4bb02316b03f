/* memp_page.c - memp_fget, memp_fput, memp_fset, memp_fsync, memp_sync:
 * db_mpool(3)'s argument rules, then the engine (the commonest calls go
 * straight to its hit path, as tail calls). */
#include "memp_adapter.h"

#include <errno.h>

#define GET_FLAGS (DB_MPOOL_CREATE | DB_MPOOL_LAST | DB_MPOOL_NEW)
#define PUT_FLAGS (DB_MPOOL_CLEAN | DB_MPOOL_DIRTY | DB_MPOOL_DISCARD)

int memp_fget(DB_MPOOLFILE *mpf, db_pgno_t *pgnoaddr, unsigned long flags,
	      void **pagep)
{
	if (__builtin_expect(flags == 0 && mpf != NULL && pgnoaddr != NULL &&
				 pagep != NULL,
			     1))
		return lfm__hit_get(lfm__fh_of(mpf), pgnoaddr, 0, pagep);
	if (mpf == NULL || pgnoaddr == NULL || pagep == NULL)
		return EINVAL;
	if ((flags & ~(unsigned long)GET_FLAGS) != 0)
		return EINVAL;
	/* CREATE, LAST and NEW are mutually exclusive. */
	if ((flags & (flags - 1)) != 0)
		return EINVAL;
	return lfm__get(lfm__fh_of(mpf), pgnoaddr, flags, pagep);
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
	if (mpf == NULL || pgaddr == NULL)
		return EINVAL;
	if (flags == 0)
		return lfm__hit_put(lfm__fh_of(mpf), pgaddr);
	if (flags == DB_MPOOL_DIRTY)
		return lfm__hit_put_flags(lfm__fh_of(mpf), pgaddr, flags);
	if (!put_flags_ok(flags))
		return EINVAL;
	return lfm__put(lfm__fh_of(mpf), pgaddr, flags);
}

int memp_fset(DB_MPOOLFILE *mpf, void *pgaddr, unsigned long flags)
{
	if (mpf == NULL || pgaddr == NULL || !put_flags_ok(flags))
		return EINVAL;
	return lfm__set(lfm__fh_of(mpf), pgaddr, flags);
}

int memp_fsync(DB_MPOOLFILE *mpf)
{
	if (mpf == NULL)
		return EINVAL;
	return memp_result(lfm__file_sync(lfm__fh_of(mpf), 0));
}

int memp_sync(DB_MPOOL *mp, LSN *lsn)
{
	if (mp == NULL || lsn == NULL)
		return EINVAL;
	struct lfm__lsn l = {.file = lsn->file, .offset = lsn->offset};
	int rc = lfm__pool_checkpoint(lfm__pool_of(mp), &l);
	lsn->file = l.file;
	lsn->offset = l.offset;
	return memp_result(rc);
}
