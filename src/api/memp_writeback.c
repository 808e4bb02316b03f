/* memp_writeback.c - memp_set_flushers, memp_trickle, memp_set_logflush,
 * and the reads ahead: memp_fprefetch, memp_set_prefetch_depth. */
#include "memp_adapter.h"

#include <errno.h>

int memp_set_flushers(DB_MPOOL *mp, int nflushers, int clean_pct)
{
	if (mp == NULL || nflushers < -1 || nflushers > LFM_FLUSH_MAX ||
	    clean_pct < 0 || clean_pct > 99)
		return EINVAL;
	if (nflushers == -1)
		nflushers = lfm__flushers_default();
	return lfm__flushers_set(lfm__pool_of(mp), nflushers,
				 clean_pct == 0 ? LFM_FLUSH_PCT : clean_pct);
}

int memp_trickle(DB_MPOOL *mp, int pct, int *nwrotep)
{
	if (mp == NULL || pct < 1 || pct > 100)
		return EINVAL;
	uint32_t wrote = 0;
	int rc = lfm__pool_trickle(lfm__pool_of(mp), pct, &wrote);
	if (nwrotep != NULL)
		*nwrotep = (int)wrote;
	return rc;
}

int memp_set_logflush(DB_MPOOL *mp,
		      int (*logflush)(void *arg, const DB_LSN *lsn), void *arg)
{
	if (mp == NULL)
		return EINVAL;
	return lfm__pool_set_logflush(lfm__pool_of(mp), (lfm__fnptr)logflush,
				      arg);
}

int memp_fprefetch(DB_MPOOLFILE *mpf, const db_pgno_t *pgnos, size_t n,
		   size_t *startedp)
{
	size_t started = 0;
	if (mpf == NULL || (pgnos == NULL && n > 0))
		return EINVAL;
	_Static_assert(sizeof(db_pgno_t) == sizeof(uint32_t), "page numbers");
	int rc = lfm__prefetch(lfm__fh_of(mpf), (const uint32_t *)pgnos, n,
			       &started);
	if (startedp != NULL)
		*startedp = started;
	return rc;
}

int memp_set_prefetch_depth(DB_MPOOL *mp, int depth)
{
	if (mp == NULL || depth < 1)
		return EINVAL;
	return lfm__prefetch_depth(lfm__pool_of(mp), (unsigned)depth);
}
