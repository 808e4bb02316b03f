/* aio_impl.h - what the queue (aio.c) and its two engines share. */
#ifndef LFM_AIO_IMPL_H
#define LFM_AIO_IMPL_H

#include "aio.h"

#include <pthread.h>

struct lfm__aio_engine {
	/* Starts (or continues, after a short transfer) r; 0 or an errno.
	 * May run on a submitter's thread or on a completion thread. */
	int (*start)(struct lfm__aio *q, struct lfm__aio_req *r);
	/* Sends the requests held back by `more`. */
	void (*push)(struct lfm__aio *q);
	/* Stops the engine's threads and frees it; nothing is in flight. */
	void (*stop)(struct lfm__aio *q);
};

struct lfm__aio {
	enum lfm__aio_kind kind;
	unsigned depth;
	unsigned wdepth; /* writes' own room; 0: they share depth */
	const struct lfm__aio_engine *engine;
	void *e;	      /* the engine's state */
	pthread_mutex_t lock; /* inflight, winflight, closing */
	pthread_cond_t room;
	unsigned inflight;  /* every request in flight */
	unsigned winflight; /* of those, writes in their own room */
	int closing;
};

/* Whether r is counted in the writes' own room. */
int lfm__aio_own_room(const struct lfm__aio *q, const struct lfm__aio_req *r);

/* Calls r's done with `res`, then counts it out of flight. */
void lfm__aio_finish(struct lfm__aio *q, struct lfm__aio_req *r, ssize_t res);

/* After `res` more bytes (res >= 0) of r moved: 1 if r is complete (its
 * result set in *out), 0 if the rest must be started. */
int lfm__aio_progress(struct lfm__aio_req *r, ssize_t res, ssize_t *out);

int lfm__aio_uring_open(struct lfm__aio *q);
int lfm__aio_threads_open(struct lfm__aio *q);

#endif
