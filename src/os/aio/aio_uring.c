/* aio_uring.c - the io_uring engine: one ring a queue; submitters prepare
 * and submit under `sq_lock` (the submission ring has one producer at a
 * time), one reaper thread waits for completions and finishes requests,
 * starting the rest of a short transfer itself. A request with `more` is
 * only prepared: the next io_uring_submit (any submitter's, or a push)
 * sends it with the others, one system call for the batch.
 *
 * Order: what a submitter wrote into a request before submitting it is
 * read by the reaper after the completion arrives. The kernel orders the
 * two, but ThreadSanitizer does not see the kernel, so the reaper takes
 * and drops sq_lock after each batch of completions it has seen, before
 * reading them: the submitter's unlock then happens-before the reaper's
 * reads in TSan's model too (a request seen complete was prepared under
 * sq_lock by a holder that has released it, or releases it before the
 * reaper gets it). */
#include "aio_impl.h"

#include <errno.h>
#include <liburing.h>
#include <stdlib.h>

struct uring_state {
	struct io_uring ring;
	pthread_mutex_t sq_lock;
	pthread_t reaper;
	struct lfm__aio *q;
};

/* Sends every prepared entry. Under e->sq_lock. An error leaves them in
 * the ring, for the next submit to send. */
static int send_locked(struct uring_state *e)
{
	int n;
	do
		n = io_uring_submit(&e->ring);
	while (n == -EINTR);
	return n < 0 ? -n : 0;
}

/* Prepares r's remaining bytes, and submits them if `send`. Under
 * e->sq_lock. */
static int submit_locked(struct uring_state *e, struct lfm__aio_req *r,
			 int send)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->ring);
	if (sqe == NULL)
		return EAGAIN; /* cannot happen: the ring holds depth */
	char *p = (char *)r->buf + r->moved;
	unsigned left = (unsigned)(r->len - r->moved);
	if (r->iovcnt > 0 && r->write)
		io_uring_prep_writev(sqe, r->fd, r->iov, (unsigned)r->iovcnt,
				     r->off);
	else if (r->iovcnt > 0)
		io_uring_prep_readv(sqe, r->fd, r->iov, (unsigned)r->iovcnt,
				    r->off);
	else if (r->write)
		io_uring_prep_write(sqe, r->fd, p, left, r->off + r->moved);
	else
		io_uring_prep_read(sqe, r->fd, p, left, r->off + r->moved);
	io_uring_sqe_set_data(sqe, r);
	return send ? send_locked(e) : 0;
}

static int uring_start(struct lfm__aio *q, struct lfm__aio_req *r)
{
	struct uring_state *e = q->e;
	/* One sqe carries at most 4 GiB less a byte; pages are far smaller. */
	if (r->len > 0x7ffff000u)
		return EINVAL;
	pthread_mutex_lock(&e->sq_lock);
	int rc = submit_locked(e, r, !r->more);
	pthread_mutex_unlock(&e->sq_lock);
	return rc;
}

/* A completion of `res` for r: finished, or its rest started (a short
 * transfer, or one the kernel interrupted). */
static void complete(struct uring_state *e, struct lfm__aio_req *r, int res)
{
	ssize_t out;
	if (res >= 0 && lfm__aio_progress(r, res, &out)) {
		lfm__aio_finish(e->q, r, out);
		return;
	}
	if (res < 0 && res != -EINTR && res != -EAGAIN) {
		lfm__aio_finish(e->q, r, res);
		return;
	}
	pthread_mutex_lock(&e->sq_lock);
	int rc = submit_locked(e, r, 1); /* nobody pushes for the reaper */
	pthread_mutex_unlock(&e->sq_lock);
	if (rc != 0)
		lfm__aio_finish(e->q, r, -rc);
}

#define REAP_BATCH 64

static void *reaper(void *arg)
{
	struct uring_state *e = arg;
	for (;;) {
		struct io_uring_cqe *cqe;
		int rc = io_uring_wait_cqe(&e->ring, &cqe);
		if (rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc < 0)
			abort(); /* the ring itself failed: nothing can finish
				  */
		/* Every completion there now, one lock round for all. */
		struct io_uring_cqe *cqes[REAP_BATCH];
		unsigned n =
		    io_uring_peek_batch_cqe(&e->ring, cqes, REAP_BATCH);
		pthread_mutex_lock(&e->sq_lock); /* see the header comment */
		pthread_mutex_unlock(&e->sq_lock);
		struct lfm__aio_req *r[REAP_BATCH];
		int res[REAP_BATCH], stop = 0;
		for (unsigned i = 0; i < n; i++) {
			r[i] = io_uring_cqe_get_data(cqes[i]);
			res[i] = cqes[i]->res;
		}
		io_uring_cq_advance(&e->ring, n);
		/* A NULL request is stop's no-op: nothing else is in flight. */
		for (unsigned i = 0; i < n; i++)
			if (r[i] == NULL)
				stop = 1;
			else
				complete(e, r[i], res[i]);
		if (stop)
			return NULL;
	}
}

static void uring_push(struct lfm__aio *q)
{
	struct uring_state *e = q->e;
	pthread_mutex_lock(&e->sq_lock);
	if (io_uring_sq_ready(&e->ring) > 0)
		(void)send_locked(e); /* failed: the next submit sends them */
	pthread_mutex_unlock(&e->sq_lock);
}

static void uring_stop(struct lfm__aio *q)
{
	struct uring_state *e = q->e;
	pthread_mutex_lock(&e->sq_lock);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->ring);
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data(sqe, NULL);
	(void)send_locked(e);
	pthread_mutex_unlock(&e->sq_lock);
	pthread_join(e->reaper, NULL);
	io_uring_queue_exit(&e->ring);
	pthread_mutex_destroy(&e->sq_lock);
	free(e);
}

static const struct lfm__aio_engine uring_engine = {uring_start, uring_push,
						    uring_stop};

int lfm__aio_uring_open(struct lfm__aio *q)
{
	struct uring_state *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return ENOMEM;
	/* depth reads, wdepth writes and stop's no-op. */
	int rc = -io_uring_queue_init(q->depth + q->wdepth + 1, &e->ring, 0);
	if (rc != 0) {
		free(e);
		return rc;
	}
	pthread_mutex_init(&e->sq_lock, NULL);
	e->q = q;
	rc = pthread_create(&e->reaper, NULL, reaper, e);
	if (rc != 0) {
		io_uring_queue_exit(&e->ring);
		pthread_mutex_destroy(&e->sq_lock);
		free(e);
		return rc;
	}
	q->e = e;
	q->engine = &uring_engine;
	q->kind = LFM_AIO_URING;
	return 0;
}
