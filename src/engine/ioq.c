/* ioq.c - this process's I/O queue for a pool (see ioq.h). */
#include "ioq.h"
#include "lockrank.h"

#include "aio.h"

#include <stdlib.h>
#include <string.h>

struct lfm__aio *lfm__ioq(struct lfm__pool *mp)
{
	struct lfm__aio *q =
	    atomic_load_explicit(&mp->aio, memory_order_acquire);
	if (q != NULL)
		return q;
	lfm__pmutex_lock_ranked(&mp->lock, LFM_RANK_POOL);
	q = atomic_load_explicit(&mp->aio, memory_order_relaxed);
	if (q == NULL && !mp->aio_failed) {
		/* LFMPOOL_IO_ENGINE names one engine (tests run both). */
		const char *want = getenv("LFMPOOL_IO_ENGINE");
		enum lfm__aio_kind k =
		    want == NULL		    ? LFM_AIO_ANY
		    : strcmp(want, "threads") == 0  ? LFM_AIO_THREADS
		    : strcmp(want, "io_uring") == 0 ? LFM_AIO_URING
						    : LFM_AIO_ANY;
		if (lfm__aio_open_rw(mp->aio_depth, LFM_IOQ_WDEPTH, k, &q) ==
		    0) {
			atomic_store_explicit(&mp->aio, q,
					      memory_order_release);
			if (mp->lock_owner != 0) /* shared: lfmpool-stat */
				atomic_store_explicit(
				    &mp->rh->proc_io[mp->lock_owner - 1],
				    (uint32_t)lfm__aio_kind_of(q),
				    memory_order_relaxed);
		} else
			mp->aio_failed = 1;
	}
	lfm__pmutex_unlock_ranked(&mp->lock);
	return q;
}

int lfm__ioq_engine(struct lfm__pool *mp)
{
	struct lfm__aio *q =
	    atomic_load_explicit(&mp->aio, memory_order_acquire);
	return q != NULL ? (int)lfm__aio_kind_of(q) : 0;
}

void lfm__ioq_close(struct lfm__pool *mp)
{
	LFM_ASSERT(lfm__rank_none_held()); /* it waits for completions */
	lfm__pmutex_lock_ranked(&mp->lock, LFM_RANK_POOL);
	mp->aio_failed = 1; /* closed: nobody opens it again */
	struct lfm__aio *q =
	    atomic_load_explicit(&mp->aio, memory_order_relaxed);
	lfm__pmutex_unlock_ranked(&mp->lock);
	if (q == NULL)
		return;
	lfm__aio_close(q); /* every request in flight done first */
	atomic_store_explicit(&mp->aio, NULL, memory_order_relaxed);
	if (mp->lock_owner != 0)
		atomic_store_explicit(&mp->rh->proc_io[mp->lock_owner - 1], 0,
				      memory_order_relaxed);
}

void lfm__ioq_drain(struct lfm__pool *mp)
{
	struct lfm__aio *q =
	    atomic_load_explicit(&mp->aio, memory_order_acquire);
	if (q != NULL)
		lfm__aio_drain(q);
}
