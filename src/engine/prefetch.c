/* prefetch.c - reads started ahead of the gets that want them (see
 * prefetch.h). */
#include "prefetch.h"
#include "lockrank.h"
#include "pfile.h"

#include "aio.h"
#include "ftab.h"
#include "stats.h"
#include "victim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A read in flight: the frame, held in EXCL and published with `tag`. */
struct pf_read {
	struct lfm__aio_req r;
	struct lfm__pool *mp;
	struct lfm__frame *f;
	uint64_t tag;
};

/* The process's queue, opened at the first prefetch. NULL: it could not
 * be (then prefetches start nothing). */
static struct lfm__aio *queue(struct lfm__pool *mp)
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
		if (lfm__aio_open(mp->aio_depth, k, &q) == 0)
			atomic_store_explicit(&mp->aio, q,
					      memory_order_release);
		else
			mp->aio_failed = 1;
	}
	lfm__pmutex_unlock_ranked(&mp->lock);
	return q;
}

/* Unpublishes a frame whose read failed and frees it, waking whoever
 * sleeps on it: they look again and read the page themselves. */
static void give_back(struct lfm__pool *mp, struct lfm__frame *f, uint64_t tag)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__bucket *b = lfm__ftab_bucket(rh, tag);
	lfm__mutex_lock_ranked(&b->lock, mp->lock_owner, LFM_RANK_BUCKET);
	lfm__ftab_unlink(rh, b, f);
	atomic_store_explicit(&f->tag, 0, memory_order_relaxed);
	lfm__mutex_unlock_ranked(&b->lock);
	lfm__frame_release_excl(f, 0,
				LFM_F_VALID | LFM_F_DIRTY | LFM_F_USAGE_MASK);
}

/* On the queue's thread: the read of p's page is done (`res` bytes, or
 * -errno). */
static void read_done(struct lfm__aio_req *r, ssize_t res)
{
	struct pf_read *p = r->arg;
	struct lfm__pool *mp = p->mp;
	uint32_t slot = lfm__tag_slot(p->tag);
	int rc = res < 0 ? (int)-res : 0;
	if (rc == 0 && (size_t)res < r->len) /* past the end: zeroes */
		memset((char *)r->buf + res, 0, r->len - (size_t)res);
	if (rc == 0) {
		lfm__fnptr pgin = lfm__pfile_fn(mp, slot, 0);
		if (pgin != NULL)
			rc = lfm__pgcall(mp, slot, pgin, lfm__tag_pgno(p->tag),
					 r->buf);
	}
	if (rc != 0) {
		give_back(mp, p->f, p->tag);
	} else {
		lfm__stat_add(NULL, mp->rh, slot, LFM_ST_IN, 1);
		if (mp->rh->elastic)
			atomic_fetch_add_explicit(&mp->rh->resident, 1,
						  memory_order_relaxed);
		/* Clean, unpinned, usage 0: the coldest until used. */
		lfm__frame_release_excl(p->f, LFM_F_VALID,
					LFM_F_DIRTY | LFM_F_USAGE_MASK);
	}
	free(p);
}

/* Publishes a frame for page `tag` and starts its read: 1 started, 0
 * passed by (resident, no frame), -1 the queue is full. */
static int start_one(struct lfm__pool *mp, struct lfm__aio *q,
		     struct lfm__tls_node *t, uint64_t tag)
{
	struct lfm__region_hdr *rh = mp->rh;
	uint32_t slot = lfm__tag_slot(tag);
	struct lfm__bucket *b = lfm__ftab_bucket(rh, tag);
	uint32_t examined = 0;
	if (lfm__ftab_find(rh, b, tag, &examined) != NULL)
		return 0; /* resident or being read: costs nothing more */
	if (lfm__aio_inflight(q) >= mp->aio_depth)
		return -1;
	struct pf_read *p = malloc(sizeof(*p));
	struct lfm__frame *v;
	if (p == NULL)
		return 0;
	if (lfm__victim_get(mp, lfm__files(rh)[slot].pagesize, t, &v) != 0) {
		free(p);
		return 0; /* every frame pinned: a hint is not worth a wait */
	}
	lfm__mutex_lock_ranked(&b->lock, mp->lock_owner, LFM_RANK_BUCKET);
	if (lfm__ftab_find(rh, b, tag, &examined) != NULL) {
		lfm__mutex_unlock_ranked(&b->lock);
		lfm__frame_release_excl(v, 0, 0);
		free(p);
		return 0;
	}
	atomic_store_explicit(&v->tag, tag, memory_order_relaxed);
	lfm__ftab_link(rh, b, v);
	lfm__mutex_unlock_ranked(&b->lock);

	size_t ps = lfm__files(rh)[slot].pagesize;
	memset(&p->r, 0, sizeof(p->r));
	p->r.fd = mp->pfiles[slot].fd;
	p->r.buf = lfm__frame_page(rh, v);
	p->r.len = ps;
	p->r.off = (uint64_t)lfm__tag_pgno(tag) * ps;
	p->r.done = read_done;
	p->r.arg = p;
	p->mp = mp;
	p->f = v;
	p->tag = tag;
	int rc = lfm__aio_submit(q, &p->r);
	if (rc != 0) {
		give_back(mp, v, tag);
		free(p);
		return rc == EAGAIN ? -1 : 0;
	}
	return 1;
}

/* Starts the reads of pages pgnos[0..n) of file `slot`: how many. */
static size_t prefetch_pages(struct lfm__pool *mp, struct lfm__tls_node *t,
			     uint32_t slot, const uint32_t *pgnos, size_t n)
{
	struct lfm__file *file = &lfm__files(mp->rh)[slot];
	struct lfm__aio *q = queue(mp);
	size_t started = 0;
	if (q == NULL)
		return 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t end =
		    atomic_load_explicit(&file->npages, memory_order_relaxed);
		if (pgnos[i] >= end)
			continue; /* past the end: nothing to read */
		int k = start_one(mp, q, t, lfm__tag(slot, pgnos[i]));
		if (k < 0)
			break;
		started += (size_t)k;
	}
	return started;
}

int lfm__prefetch(struct lfm__fh *fh, const uint32_t *pgnos, size_t n,
		  size_t *started)
{
	LFM_ASSERT(lfm__rank_none_held()); /* an API entry */
	*started = 0;
	if (pgnos == NULL && n > 0)
		return EINVAL;
	if (n == 0 || fh->map != NULL)
		return 0; /* a mapped file's pages are served from the map */
	*started = prefetch_pages(fh->mp, lfm__tls(fh->mp), fh->slot, pgnos, n);
	return 0;
}

void lfm__readahead(struct lfm__pool *mp, struct lfm__tls_node *t, uint64_t tag)
{
	LFM_ASSERT(lfm__rank_none_held()); /* it may evict and write */
	if (!mp->direct)
		return; /* buffered reads: the kernel reads ahead */
	uint32_t pgno = lfm__tag_pgno(tag);
	int seq = tag == t->ra_last + 1 || (t->ra_end != 0 && tag == t->ra_end);
	t->ra_last = tag;
	if (!seq || pgno >= UINT32_MAX - LFM_RA_MAX) {
		t->ra_win = 0; /* random access starts nothing */
		t->ra_end = 0;
		return;
	}
	t->ra_win = t->ra_win == 0		 ? LFM_RA_MIN
		    : t->ra_win * 2 > LFM_RA_MAX ? LFM_RA_MAX
						 : t->ra_win * 2;
	uint32_t from = pgno + 1, to = pgno + 1 + t->ra_win;
	if (t->ra_end > tag && lfm__tag_pgno(t->ra_end) > from)
		from = lfm__tag_pgno(t->ra_end); /* already asked for */
	uint32_t pgnos[LFM_RA_MAX];
	size_t n = 0;
	for (uint32_t p = from; p < to; p++)
		pgnos[n++] = p;
	(void)prefetch_pages(mp, t, lfm__tag_slot(tag), pgnos, n);
	t->ra_end = lfm__tag(lfm__tag_slot(tag), to);
}

int lfm__prefetch_depth(struct lfm__pool *mp, unsigned depth)
{
	if (depth == 0 || depth > 4096)
		return EINVAL;
	lfm__pmutex_lock_ranked(&mp->lock, LFM_RANK_POOL);
	int rc = atomic_load_explicit(&mp->aio, memory_order_relaxed) != NULL
		     ? EINVAL
		     : 0;
	if (rc == 0)
		mp->aio_depth = depth;
	lfm__pmutex_unlock_ranked(&mp->lock);
	return rc;
}

int lfm__prefetch_engine(struct lfm__pool *mp)
{
	struct lfm__aio *q =
	    atomic_load_explicit(&mp->aio, memory_order_acquire);
	return q != NULL ? (int)lfm__aio_kind_of(q) : 0;
}

void lfm__prefetch_close(struct lfm__pool *mp)
{
	struct lfm__aio *q =
	    atomic_load_explicit(&mp->aio, memory_order_acquire);
	if (q != NULL)
		lfm__aio_close(q);
	atomic_store_explicit(&mp->aio, NULL, memory_order_relaxed);
}
