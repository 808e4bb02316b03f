/*
 * aio.h - an asynchronous I/O queue for page reads and writes: io_uring
 * where the kernel allows it (io_uring_setup refused by seccomp or an old
 * kernel: ENOSYS, EPERM), else a few I/O threads doing pread/pwrite
 * through the fault seam (fileio.h). Which one runs is chosen at open and
 * reported by lfm__aio_kind_of.
 *
 * A request is the caller's memory, untouched by the queue from its
 * `done` call on. Every request submitted gets exactly one `done`, on one
 * of the queue's threads, with the bytes moved (a read that meets end of
 * file moves fewer; the queue continues a short transfer that is not at
 * end of file) or -errno. `done` must not block on other requests of the
 * same queue (it runs on the thread that completes them) but may submit.
 *
 * At most `depth` requests are in flight: lfm__aio_submit says EAGAIN
 * rather than wait, so a prefetch can be dropped, and lfm__aio_wait_room
 * waits for one to finish. Any thread may submit. lfm__aio_close waits
 * for every request in flight to be done.
 *
 * Concurrency: `inflight` is changed with the queue's mutex held, and
 * read under it (submit, close); `done` runs with no lock held.
 */
#ifndef LFM_AIO_H
#define LFM_AIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum lfm__aio_kind {
	LFM_AIO_ANY = 0,    /* lfm__aio_open: io_uring if allowed */
	LFM_AIO_URING = 1,  /* io_uring (liburing) */
	LFM_AIO_THREADS = 2 /* I/O threads, pread/pwrite */
};

struct lfm__aio_req;
typedef void (*lfm__aio_done_fn)(struct lfm__aio_req *r, ssize_t res);

struct lfm__aio_req {
	int fd;
	int write; /* 0: read into buf, 1: write from buf */
	void *buf;
	size_t len;
	uint64_t off;
	lfm__aio_done_fn done;
	void *arg; /* the caller's */
	/* A vector request (iovcnt > 0): buf is unused, len is the iovecs'
	 * total, and a short transfer is not continued: done gets the bytes
	 * moved, the caller judges which of its buffers were filled. */
	const struct iovec *iov;
	int iovcnt;
	/* The queue's, from submit to done. */
	size_t moved;
	struct lfm__aio_req *next;
};

struct lfm__aio;

/* Opens a queue of `depth` (1..4096) requests in flight of kind `want`;
 * with LFM_AIO_ANY io_uring is tried first and the threads are the
 * fallback. 0, EINVAL, or the error that refused `want` (ENOSYS, EPERM,
 * ENOMEM, ...). */
int lfm__aio_open(unsigned depth, enum lfm__aio_kind want,
		  struct lfm__aio **out);

enum lfm__aio_kind lfm__aio_kind_of(const struct lfm__aio *q);
const char *lfm__aio_kind_name(enum lfm__aio_kind k);

/* Starts r: 0, EAGAIN (depth requests in flight), EINVAL (no buffer or
 * callback, or the queue is closing). r->done is not called unless 0. */
int lfm__aio_submit(struct lfm__aio *q, struct lfm__aio_req *r);

/* Waits until fewer than depth requests are in flight. */
void lfm__aio_wait_room(struct lfm__aio *q);

/* Waits until no request is in flight. Not from a `done` callback. */
void lfm__aio_drain(struct lfm__aio *q);

/* Requests submitted and not yet done. */
unsigned lfm__aio_inflight(struct lfm__aio *q);

/* Waits for every request in flight to be done, then frees the queue.
 * Not from a `done` callback. */
void lfm__aio_close(struct lfm__aio *q);

#ifdef __cplusplus
}
#endif
#endif
