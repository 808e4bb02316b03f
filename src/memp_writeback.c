/* memp_writeback.c - memp_set_flushers, memp_trickle, memp_set_logflush. */
#include "flusher.h"
#include "pool.h"
#include "writeback.h"

#include <errno.h>
#include <stdlib.h>

int memp_set_flushers(DB_MPOOL *mp, int nflushers, int clean_pct)
{
	if (mp == NULL || nflushers < -1 || nflushers > LFM_FLUSH_MAX ||
	    clean_pct < 0 || clean_pct > 99)
		return EINVAL;
	if (nflushers == -1)
		nflushers = lfm__flushers_default();
	return lfm__flushers_set(mp, nflushers,
				 clean_pct == 0 ? LFM_FLUSH_PCT : clean_pct);
}

int memp_trickle(DB_MPOOL *mp, int pct, int *nwrotep)
{
	if (mp == NULL || pct < 1 || pct > 100)
		return EINVAL;
	uint32_t wrote = 0, slot;
	int rc = lfm__wb_trickle(mp, 0, UINT32_MAX, pct, 0, lfm__tls(mp), NULL,
				 &wrote, &slot);
	if (nwrotep != NULL)
		*nwrotep = (int)wrote;
	return rc;
}

int memp_set_logflush(DB_MPOOL *mp,
		      int (*logflush)(void *arg, const DB_LSN *lsn), void *arg)
{
	if (mp == NULL)
		return EINVAL;
	struct lfm__logflush *lf = NULL;
	if (logflush != NULL) {
		lf = malloc(sizeof(*lf));
		if (lf == NULL)
			return ENOMEM;
		lf->fn = logflush;
		lf->arg = arg;
		lf->next = NULL;
	}
	pthread_mutex_lock(&mp->lock);
	struct lfm__logflush *old =
	    atomic_exchange_explicit(&mp->logflush, lf, memory_order_acq_rel);
	if (old != NULL) {
		/* A writer may still be calling it: keep it to memp_close. */
		old->next = mp->old_logflush;
		mp->old_logflush = old;
	}
	pthread_mutex_unlock(&mp->lock);
	return 0;
}
