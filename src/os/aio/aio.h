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
 * waits for one to finish. A queue opened with lfm__aio_open_rw gives
 * writes a room of their own (`wdepth`, beside the `depth` reads), so that
 * a pool's write-back and its reads do not take each other's places:
 * measured, a flusher sharing 32 places with prefetch reads left 8 writes
 * in flight, and the reads it crowded out were read one at a time.
 * Any thread may submit. lfm__aio_close waits for every request in
 * flight to be done.
 *
 * A submitter may set `more` in a request to say that it submits others
 * right after: the engine may then hold the request back (io_uring: its
 * entry prepared, the system call saved) until one without `more`, or
 * lfm__aio_push, sends the batch. A request held back is in flight.
 *
 * Concurrency: `inflight` and `winflight` are changed with the queue's
 * mutex held, and read under it (submit, close); `done` runs with no lock
 * held.
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
	int more; /* others follow at once: the engine may batch (above) */
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

/* The same, writes apart: at most `depth` reads and `wdepth` writes in
 * flight (wdepth 0: writes share `depth`, as lfm__aio_open's do). Both
 * 0..4096, depth at least 1. */
int lfm__aio_open_rw(unsigned depth, unsigned wdepth, enum lfm__aio_kind want,
		     struct lfm__aio **out);

enum lfm__aio_kind lfm__aio_kind_of(const struct lfm__aio *q);
const char *lfm__aio_kind_name(enum lfm__aio_kind k);

/* Starts r: 0, EAGAIN (its room is full: depth requests, or wdepth
 * writes, in flight), EINVAL (no buffer or callback, or the queue is
 * closing). r->done is not called unless 0. */
int lfm__aio_submit(struct lfm__aio *q, struct lfm__aio_req *r);

/* Sends the requests held back by `more` (see above). */
void lfm__aio_push(struct lfm__aio *q);

/* Waits until fewer than depth requests (reads, and writes without a
 * room of their own) are in flight. */
void lfm__aio_wait_room(struct lfm__aio *q);

/* Waits until `places` writes (1..wdepth; fewer is taken as 1, more as
 * wdepth) can be submitted: their room (or the shared one, where it waits
 * for one place) has them. Waiting for a batch's worth rather than one
 * place wakes the waiter once a batch, not once a completion. Sends the
 * requests held back first, as they hold places. */
void lfm__aio_wait_write_room(struct lfm__aio *q, unsigned places);

/* Waits until no request is in flight. Not from a `done` callback. */
void lfm__aio_drain(struct lfm__aio *q);

/* Requests submitted and not yet done that count against `depth`: all of
 * them, but for writes with a room of their own. */
unsigned lfm__aio_inflight(struct lfm__aio *q);

/* Writes in their own room, submitted and not yet done (0 if wdepth 0). */
unsigned lfm__aio_inflight_writes(struct lfm__aio *q);

/* Waits for every request in flight to be done, then frees the queue.
 * Not from a `done` callback. */
void lfm__aio_close(struct lfm__aio *q);

/* Tests only: the io_uring engine's next `n` io_uring_enter calls that
 * would send entries are refused with `err` (EAGAIN, ENOMEM, EBUSY), as
 * the kernel refuses them under memory pressure. A request whose submit
 * returned 0 is still done exactly once, and never one that was refused.
 * Returns the refusals of the previous call not yet made. */
int lfm__aio_uring_refuse_sends(int n, int err);

#ifdef __cplusplus
}
#endif
#endif
