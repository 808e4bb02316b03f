/* aio_threads.c - the fallback engine: a few threads doing pread/pwrite
 * through the fault seam (fileio.h), for kernels or sandboxes that refuse
 * io_uring. Requests wait in a FIFO under `lock`; a worker takes one,
 * moves it whole (continuing short transfers), and finishes it. */
#include "aio_impl.h"
#include "fileio.h"

#include <errno.h>
#include <stdlib.h>

#define LFM_AIO_THREADS_MAX 4

struct threads_state {
	pthread_mutex_t lock; /* head, tail, stop */
	pthread_cond_t work;
	struct lfm__aio_req *head, *tail;
	int stop;
	unsigned n;
	pthread_t tid[LFM_AIO_THREADS_MAX];
	struct lfm__aio *q;
};

/* One buffer of a vector request, whole: bytes moved or -errno. */
static ssize_t segment(int fd, int write, void *p, size_t len, uint64_t off)
{
	const struct lfm__fileio *io = lfm__fileio();
	size_t done = 0;
	while (done < len) {
		ssize_t n = write ? io->pwrite(fd, (char *)p + done, len - done,
					       (off_t)(off + done))
				  : io->pread(fd, (char *)p + done, len - done,
					      (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* A vector request: its buffers in order, until one comes up short. */
static ssize_t transfer_vec(struct lfm__aio_req *r)
{
	size_t moved = 0;
	for (int i = 0; i < r->iovcnt; i++) {
		ssize_t n = segment(r->fd, r->write, r->iov[i].iov_base,
				    r->iov[i].iov_len, r->off + moved);
		if (n < 0)
			return moved > 0 ? (ssize_t)moved : n;
		moved += (size_t)n;
		if ((size_t)n < r->iov[i].iov_len)
			break;
	}
	return (ssize_t)moved;
}

static ssize_t transfer(struct lfm__aio_req *r)
{
	if (r->iovcnt > 0)
		return transfer_vec(r);
	const struct lfm__fileio *io = lfm__fileio();
	for (;;) {
		char *p = (char *)r->buf + r->moved;
		size_t left = r->len - r->moved;
		off_t off = (off_t)(r->off + r->moved);
		ssize_t n = r->write ? io->pwrite(r->fd, p, left, off)
				     : io->pread(r->fd, p, left, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		ssize_t out;
		if (lfm__aio_progress(r, n, &out))
			return out;
	}
}

static void *worker(void *arg)
{
	struct threads_state *e = arg;
	pthread_mutex_lock(&e->lock);
	for (;;) {
		while (e->head == NULL && !e->stop)
			pthread_cond_wait(&e->work, &e->lock);
		if (e->head == NULL)
			break; /* stopping, nothing left */
		struct lfm__aio_req *r = e->head;
		e->head = r->next;
		if (e->head == NULL)
			e->tail = NULL;
		pthread_mutex_unlock(&e->lock);
		lfm__aio_finish(e->q, r, transfer(r));
		pthread_mutex_lock(&e->lock);
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

static int threads_start(struct lfm__aio *q, struct lfm__aio_req *r)
{
	struct threads_state *e = q->e;
	pthread_mutex_lock(&e->lock);
	if (e->tail != NULL)
		e->tail->next = r;
	else
		e->head = r;
	e->tail = r;
	pthread_cond_signal(&e->work);
	pthread_mutex_unlock(&e->lock);
	return 0;
}

static void threads_stop(struct lfm__aio *q)
{
	struct threads_state *e = q->e;
	pthread_mutex_lock(&e->lock);
	e->stop = 1;
	pthread_cond_broadcast(&e->work);
	pthread_mutex_unlock(&e->lock);
	for (unsigned i = 0; i < e->n; i++)
		pthread_join(e->tid[i], NULL);
	pthread_cond_destroy(&e->work);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* Nothing is held back: a request is queued for the workers at once. */
static void threads_push(struct lfm__aio *q)
{
	(void)q;
}

static const struct lfm__aio_engine threads_engine = {
    threads_start, threads_push, threads_stop};

int lfm__aio_threads_open(struct lfm__aio *q)
{
	struct threads_state *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return ENOMEM;
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->work, NULL);
	e->q = q;
	q->e = e;
	q->engine = &threads_engine;
	q->kind = LFM_AIO_THREADS;
	/* As many threads as requests may be in flight, up to a few: each
	 * blocks in its read, so they are the queue depth the device sees. */
	unsigned all = q->depth + q->wdepth;
	unsigned want = all < LFM_AIO_THREADS_MAX ? all : LFM_AIO_THREADS_MAX;
	for (; e->n < want; e->n++) {
		int rc = pthread_create(&e->tid[e->n], NULL, worker, e);
		if (rc != 0) {
			if (e->n == 0) {
				threads_stop(q);
				return rc;
			}
			break; /* fewer threads: still correct */
		}
	}
	return 0;
}
