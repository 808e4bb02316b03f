/*
 * memp_adapter.h - what the db_mpool(3) adapter's files share: its handles
 * are the engine's objects under db_mpool.h's names, converted as
 * pointers (never dereferenced as the API's types, which stay
 * incomplete), so a call costs no more than the engine's own.
 */
#ifndef LFM_MEMP_ADAPTER_H
#define LFM_MEMP_ADAPTER_H

#include "db_mpool.h"
#include "engine.h"

static inline struct lfm__pool *lfm__pool_of(DB_MPOOL *mp)
{
	return (struct lfm__pool *)(void *)mp;
}
static inline DB_MPOOL *memp_pool_handle(struct lfm__pool *p)
{
	return (DB_MPOOL *)(void *)p;
}
static inline struct lfm__fh *lfm__fh_of(DB_MPOOLFILE *mpf)
{
	return (struct lfm__fh *)(void *)mpf;
}
static inline DB_MPOOLFILE *memp_file_handle(struct lfm__fh *fh)
{
	return (DB_MPOOLFILE *)(void *)fh;
}

/* Errors: the engine's LFM_INCOMPLETE is db_mpool(3)'s DB_INCOMPLETE. */
static inline int memp_result(int rc)
{
	return rc == LFM_INCOMPLETE ? DB_INCOMPLETE : rc;
}

/* How the engine calls this API's page and log-flush functions. */
extern const struct lfm__calls lfm__memp_calls;

/* The flags' values are the engine's, so translating them is the
 * identity: the hit path passes them through unchanged. */
_Static_assert(DB_MPOOL_CREATE == LFM_GET_CREATE &&
		   DB_MPOOL_LAST == LFM_GET_LAST && DB_MPOOL_NEW == LFM_GET_NEW,
	       "memp_fget flags are the engine's");
_Static_assert(DB_MPOOL_CLEAN == LFM_PUT_CLEAN &&
		   DB_MPOOL_DIRTY == LFM_PUT_DIRTY &&
		   DB_MPOOL_DISCARD == LFM_PUT_DISCARD,
	       "memp_fput flags are the engine's");
_Static_assert(sizeof(DB_LSN) == sizeof(struct lfm__lsn),
	       "a page's LSN is the engine's");
_Static_assert(sizeof(db_pgno_t) == sizeof(uint32_t), "page numbers");

#endif
