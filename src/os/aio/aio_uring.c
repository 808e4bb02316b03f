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
 * reaper gets it).
 *
 * An entry once prepared is promised: its start returned 0, or will (a
 * batch's). So a refused io_uring_enter must not leave it to be sent after
 * its request was reported failed and given back (the request's memory
 * then belongs to the caller again). A transient refusal (EAGAIN, ENOMEM:
 * the kernel's memory; EBUSY: completions the reaper has yet to take) is
 * waited out with sq_lock dropped, so that the reaper can run; any other
 * means the ring is unusable, and the process stops, as the reaper does
 * when it cannot wait on the ring. */
#include "aio_impl.h"

#include <errno.h>
#include <liburing.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

struct uring_state {
	struct io_uring ring;
	pthread_mutex_t sq_lock;
	pthread_t reaper;
	struct lfm__aio *q;
};

/* The test seam: the next `fail_sends` sends are refused with
 * `fail_err`, as io_uring_enter refuses under memory pressure (aio.h). */
static atomic_int fail_sends, fail_err;

int lfm__aio_uring_refuse_sends(int n, int err)
{
	atomic_store_explicit(&fail_err, err, memory_order_relaxed);
	int left =
	    atomic_exchange_explicit(&fail_sends, n, memory_order_acq_rel);
	return left > 0 ? left : 0;
}

/* io_uring_enter's error `n` must be a refusal for now, to be tried
 * again: any other is a failure of the ring itself, which stops the
 * process (see the header comment). */
static void must_be_refusal(int n)
{
	if (n != -EINTR && n != -EAGAIN && n != -ENOMEM && n != -EBUSY)
		abort();
}

static int submit_once(struct uring_state *e)
{
	if (atomic_load_explicit(&fail_sends, memory_order_acquire) > 0 &&
	    atomic_fetch_sub_explicit(&fail_sends, 1, memory_order_relaxed) > 0)
		return -atomic_load_explicit(&fail_err, memory_order_relaxed);
	return io_uring_submit(&e->ring);
}

/* Sends every prepared entry (see the header comment: a transient refusal
 * is waited out, with e->sq_lock dropped meanwhile). Under e->sq_lock. */
static void send_locked(struct uring_state *e)
{
	while (io_uring_sq_ready(&e->ring) > 0) {
		int n = submit_once(e);
		if (n >= 0 || n == -EINTR)
			continue; /* a short submit: the rest again */
		must_be_refusal(n);
		pthread_mutex_unlock(&e->sq_lock);
		struct timespec ts = {0, 50 * 1000};
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&e->sq_lock);
	}
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
	if (send)
		send_locked(e);
	return 0;
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

/* A completion of `res` for r: finished (0), or its rest prepared (1: a
 * short transfer, or one the kernel interrupted). */
static int complete(struct uring_state *e, struct lfm__aio_req *r, int res)
{
	ssize_t out;
	if (res >= 0 && lfm__aio_progress(r, res, &out)) {
		lfm__aio_finish(e->q, r, out);
		return 0;
	}
	if (res < 0 && res != -EINTR && res != -EAGAIN) {
		lfm__aio_finish(e->q, r, res);
		return 0;
	}
	/* Prepared only: the reaper sends after its batch (it must not wait
	 * out a refusal itself, as taking completions is what ends EBUSY). */
	pthread_mutex_lock(&e->sq_lock);
	int rc = submit_locked(e, r, 0);
	pthread_mutex_unlock(&e->sq_lock);
	if (rc != 0)
		lfm__aio_finish(e->q, r, -rc);
	return rc == 0;
}

/* The reaper's send: one try. 1 if entries are left unsent (refused for
 * now), for the reaper to try again soon rather than sleep on the ring. */
static int reaper_send(struct uring_state *e)
{
	pthread_mutex_lock(&e->sq_lock);
	int n = io_uring_sq_ready(&e->ring) > 0 ? submit_once(e) : 0;
	if (n < 0)
		must_be_refusal(n);
	int left = io_uring_sq_ready(&e->ring) > 0;
	pthread_mutex_unlock(&e->sq_lock);
	return left;
}

#define REAP_BATCH 64

static void *reaper(void *arg)
{
	struct uring_state *e = arg;
	int unsent = 0;
	for (;;) {
		struct io_uring_cqe *cqe;
		int rc;
		if (unsent) {
			/* Not a timed wait on the ring: liburing's sends what
			 * is prepared, outside sq_lock. */
			struct timespec soon = {0, 1000 * 1000};
			nanosleep(&soon, NULL);
			unsent = reaper_send(e);
			rc = io_uring_peek_cqe(&e->ring, &cqe);
		} else {
			rc = io_uring_wait_cqe(&e->ring, &cqe);
		}
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
		int res[REAP_BATCH], stop = 0, prepared = 0;
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
				prepared |= complete(e, r[i], res[i]);
		if (stop)
			return NULL;
		if (prepared) /* the rests complete() prepared */
			unsent = reaper_send(e);
	}
}

static void uring_push(struct lfm__aio *q)
{
	struct uring_state *e = q->e;
	pthread_mutex_lock(&e->sq_lock);
	send_locked(e);
	pthread_mutex_unlock(&e->sq_lock);
}

static void uring_stop(struct lfm__aio *q)
{
	struct uring_state *e = q->e;
	pthread_mutex_lock(&e->sq_lock);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&e->ring);
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data(sqe, NULL);
	send_locked(e);
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
