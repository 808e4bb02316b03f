/* memp_writeback.c - memp_set_flushers, memp_trickle, memp_set_logflush. */
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
