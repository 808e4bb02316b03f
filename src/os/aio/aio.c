/* aio.c - the asynchronous I/O queue: bounds, submission, completion, and
 * the choice of engine (see aio.h). */
#include "aio_impl.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#define LFM_AIO_DEPTH_MAX 4096

int lfm__aio_open(unsigned depth, enum lfm__aio_kind want,
		  struct lfm__aio **out)
{
	return lfm__aio_open_rw(depth, 0, want, out);
}

int lfm__aio_open_rw(unsigned depth, unsigned wdepth, enum lfm__aio_kind want,
		     struct lfm__aio **out)
{
	if (depth == 0 || depth > LFM_AIO_DEPTH_MAX ||
	    wdepth > LFM_AIO_DEPTH_MAX || want > LFM_AIO_THREADS)
		return EINVAL;
	struct lfm__aio *q = calloc(1, sizeof(*q));
	if (q == NULL)
		return ENOMEM;
	q->depth = depth;
	q->wdepth = wdepth;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->room, NULL);
	int rc = EINVAL;
	if (want != LFM_AIO_THREADS)
		rc = lfm__aio_uring_open(q);
	if (want == LFM_AIO_THREADS || (want == LFM_AIO_ANY && rc != 0))
		rc = lfm__aio_threads_open(q);
	if (rc != 0) {
		pthread_cond_destroy(&q->room);
		pthread_mutex_destroy(&q->lock);
		free(q);
		return rc;
	}
	*out = q;
	return 0;
}

enum lfm__aio_kind lfm__aio_kind_of(const struct lfm__aio *q)
{
	return q->kind;
}

const char *lfm__aio_kind_name(enum lfm__aio_kind k)
{
	return k == LFM_AIO_URING     ? "io_uring"
	       : k == LFM_AIO_THREADS ? "threads"
				      : "none";
}

int lfm__aio_submit(struct lfm__aio *q, struct lfm__aio_req *r)
{
	if (r == NULL || r->done == NULL ||
	    (r->iovcnt == 0 && r->buf == NULL && r->len > 0) ||
	    (r->iovcnt > 0 && r->iov == NULL) || r->iovcnt < 0 ||
	    r->iovcnt > IOV_MAX)
		return EINVAL;
	int own = lfm__aio_own_room(q, r);
	pthread_mutex_lock(&q->lock);
	int full = own ? q->winflight >= q->wdepth
		       : q->inflight - q->winflight >= q->depth;
	int rc = q->closing ? EINVAL : full ? EAGAIN : 0;
	if (rc == 0) {
		q->inflight++;
		q->winflight += (unsigned)own;
	}
	pthread_mutex_unlock(&q->lock);
	if (rc != 0)
		return rc;
	r->moved = 0;
	r->next = NULL;
	rc = q->engine->start(q, r);
	if (rc != 0) {
		pthread_mutex_lock(&q->lock);
		q->inflight--;
		q->winflight -= (unsigned)own;
		pthread_cond_broadcast(&q->room);
		pthread_mutex_unlock(&q->lock);
	}
	return rc;
}

void lfm__aio_push(struct lfm__aio *q)
{
	q->engine->push(q);
}

void lfm__aio_wait_room(struct lfm__aio *q)
{
	lfm__aio_push(q); /* what is held back holds places */
	pthread_mutex_lock(&q->lock);
	while (q->inflight - q->winflight >= q->depth)
		pthread_cond_wait(&q->room, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

void lfm__aio_wait_write_room(struct lfm__aio *q, unsigned places)
{
	if (q->wdepth == 0) {
		lfm__aio_wait_room(q);
		return;
	}
	lfm__aio_push(q); /* what is held back holds places */
	places = places < 1 ? 1 : places > q->wdepth ? q->wdepth : places;
	pthread_mutex_lock(&q->lock);
	while (q->winflight + places > q->wdepth)
		pthread_cond_wait(&q->room, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

void lfm__aio_drain(struct lfm__aio *q)
{
	lfm__aio_push(q); /* held back, it would never finish */
	pthread_mutex_lock(&q->lock);
	while (q->inflight > 0)
		pthread_cond_wait(&q->room, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

unsigned lfm__aio_inflight(struct lfm__aio *q)
{
	pthread_mutex_lock(&q->lock);
	unsigned n = q->inflight - q->winflight;
	pthread_mutex_unlock(&q->lock);
	return n;
}

unsigned lfm__aio_inflight_writes(struct lfm__aio *q)
{
	pthread_mutex_lock(&q->lock);
	unsigned n = q->winflight;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void lfm__aio_close(struct lfm__aio *q)
{
	lfm__aio_push(q);
	pthread_mutex_lock(&q->lock);
	q->closing = 1;
	while (q->inflight > 0)
		pthread_cond_wait(&q->room, &q->lock);
	pthread_mutex_unlock(&q->lock);
	q->engine->stop(q);
	pthread_cond_destroy(&q->room);
	pthread_mutex_destroy(&q->lock);
	free(q);
}
