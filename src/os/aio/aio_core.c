/* aio_core.c - what both engines do with a request's result: count its
 * progress, and finish it (its callback, then out of flight, from the
 * room it was counted in: lfm__aio_own_room, which aio.c asks too).
 * Below aio.c and the engines, calling neither. */
#include "aio_impl.h"

#include <errno.h>

int lfm__aio_progress(struct lfm__aio_req *r, ssize_t res, ssize_t *out)
{
	r->moved += (size_t)res;
	if (r->iovcnt > 0) {
		*out = (ssize_t)r->moved; /* not continued (aio.h) */
		return 1;
	}
	if (res == 0 && r->moved < r->len) {
		/* End of file for a read; a write that makes no progress. */
		*out = r->write ? -EIO : (ssize_t)r->moved;
		return 1;
	}
	if (r->moved < r->len)
		return 0;
	*out = (ssize_t)r->moved;
	return 1;
}

int lfm__aio_own_room(const struct lfm__aio *q, const struct lfm__aio_req *r)
{
	return r->write && q->wdepth > 0;
}

void lfm__aio_finish(struct lfm__aio *q, struct lfm__aio_req *r, ssize_t res)
{
	int own = lfm__aio_own_room(q, r);
	r->done(r, res); /* r is the caller's again from here */
	pthread_mutex_lock(&q->lock);
	q->inflight--;
	q->winflight -= (unsigned)own;
	pthread_cond_broadcast(&q->room);
	pthread_mutex_unlock(&q->lock);
}
