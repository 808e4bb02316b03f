/* prefetch.c - reads started ahead of the gets that want them (see
 * prefetch.h). */
#include "prefetch.h"
#include "lockrank.h"
#include "pfile.h"

#include "aio.h"
#include "ioq.h"
#include "ftab.h"
#include "stats.h"
#include "victim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A read in flight: a run of pages first.. of file `slot`, each in its
 * frame f[i], held in EXCL and published; one vector read fills them. */
struct pf_read {
	struct lfm__aio_req r;
	struct lfm__pool *mp;
	uint32_t slot, first, n;
	struct lfm__frame *f[LFM_PF_RUN];
	struct iovec iov[LFM_PF_RUN];
};

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

/* On the queue's thread: the run's read is done (`res` bytes, or -errno).
 * Each page it filled whole is run through pgin and made VALID; any other
 * (an error, a read cut short by the end of the file or otherwise, a pgin
 * that failed) goes back, for its get to read itself. */
static void read_done(struct lfm__aio_req *r, ssize_t res)
{
	struct pf_read *p = r->arg;
	struct lfm__pool *mp = p->mp;
	lfm__fnptr pgin = lfm__pfile_fn(mp, p->slot, 0);
	size_t ps = r->iov[0].iov_len;
	uint32_t filled = res > 0 ? (uint32_t)((size_t)res / ps) : 0;
	for (uint32_t i = 0; i < p->n; i++) {
		uint64_t tag = lfm__tag(p->slot, p->first + i);
		int rc = i < filled ? 0 : EIO;
		if (rc == 0 && pgin != NULL)
			rc = lfm__pgcall(mp, p->slot, pgin, p->first + i,
					 p->iov[i].iov_base);
		if (rc != 0) {
			/* Counted before the frame goes back: a get that
			 * waited for it (acquire) then sees the count. */
			lfm__stat_add(NULL, mp->rh, p->slot,
				      LFM_ST_PREFETCH_LOST, 1);
			give_back(mp, p->f[i], tag);
			continue;
		}
		lfm__stat_add(NULL, mp->rh, p->slot, LFM_ST_IN, 1);
		lfm__stat_add(NULL, mp->rh, p->slot, LFM_ST_PREFETCH, 1);
		if (mp->rh->elastic)
			atomic_fetch_add_explicit(&mp->rh->resident, 1,
						  memory_order_relaxed);
		/* Clean, unpinned, usage 0: the coldest until used. */
		lfm__frame_release_excl(p->f[i], LFM_F_VALID,
					LFM_F_DIRTY | LFM_F_USAGE_MASK);
	}
	free(p);
}

/* A frame published for page `tag` in EXCL, or NULL: the page is resident
 * or being read already, or no frame is free without waiting. */
static struct lfm__frame *publish(struct lfm__pool *mp, struct lfm__tls_node *t,
				  uint64_t tag)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__bucket *b = lfm__ftab_bucket(rh, tag);
	uint32_t examined = 0;
	struct lfm__frame *v;
	if (lfm__ftab_find(rh, b, tag, &examined) != NULL)
		return NULL; /* resident or being read: costs nothing more */
	uint32_t ps = lfm__files(rh)[lfm__tag_slot(tag)].pagesize;
	if (lfm__victim_get(mp, ps, t, &v) != 0)
		return NULL; /* every frame pinned: a hint is not worth a wait
			      */
	return lfm__victim_publish(mp, b, v, tag) ? v : NULL;
}

/* Starts the run's read; *p is then the queue's (NULL). A queue that
 * fills meanwhile gives the frames back: 0 started, -1. */
static int submit_run(struct lfm__aio *q, struct pf_read **pp)
{
	struct pf_read *p = *pp;
	struct lfm__region_hdr *rh = p->mp->rh;
	size_t ps = lfm__files(rh)[p->slot].pagesize;
	*pp = NULL;
	for (uint32_t i = 0; i < p->n; i++) {
		p->iov[i].iov_base = lfm__frame_page(rh, p->f[i]);
		p->iov[i].iov_len = ps;
	}
	memset(&p->r, 0, sizeof(p->r));
	p->r.fd = p->mp->pfiles[p->slot].fd;
	p->r.len = ps * p->n;
	p->r.off = (uint64_t)p->first * ps;
	p->r.iov = p->iov;
	p->r.iovcnt = (int)p->n;
	p->r.done = read_done;
	p->r.arg = p;
	int n = (int)p->n; /* p is the completion's once submitted */
	if (lfm__aio_submit(q, &p->r) == 0)
		return n;
	for (uint32_t i = 0; i < p->n; i++)
		give_back(p->mp, p->f[i], lfm__tag(p->slot, p->first + i));
	free(p);
	return -1;
}

/* Starts the reads of pages pgnos[0..n) of file `slot`, consecutive ones
 * together (up to LFM_PF_RUN a read): how many it started. */
static size_t prefetch_pages(struct lfm__pool *mp, struct lfm__tls_node *t,
			     uint32_t slot, const uint32_t *pgnos, size_t n)
{
	struct lfm__file *file = &lfm__files(mp->rh)[slot];
	struct lfm__aio *q = lfm__ioq(mp);
	struct pf_read *p = NULL;
	size_t started = 0;
	int full = q == NULL;
	for (size_t i = 0; i < n && !full; i++) {
		if (p != NULL &&
		    (p->n == LFM_PF_RUN || pgnos[i] != p->first + p->n)) {
			int k = submit_run(q, &p);
			full = k < 0;
			started += k > 0 ? (size_t)k : 0;
			if (full)
				break;
		}
		if (pgnos[i] >=
		    atomic_load_explicit(&file->npages, memory_order_relaxed))
			continue; /* past the end: nothing to read */
		if (p == NULL && lfm__aio_inflight(q) >= mp->aio_depth)
			break; /* a hint is never waited for */
		struct lfm__frame *f = publish(mp, t, lfm__tag(slot, pgnos[i]));
		if (f == NULL) {
			if (p != NULL) {
				int k = submit_run(q, &p);
				full = k < 0;
				started += k > 0 ? (size_t)k : 0;
			}
			continue;
		}
		if (p == NULL) {
			p = malloc(sizeof(*p));
			if (p == NULL) {
				give_back(mp, f, lfm__tag(slot, pgnos[i]));
				break;
			}
			p->mp = mp;
			p->slot = slot;
			p->first = pgnos[i];
			p->n = 0;
		}
		p->f[p->n++] = f;
	}
	if (p != NULL) {
		int k = submit_run(q, &p);
		started += k > 0 ? (size_t)k : 0;
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

/* Prefetches t's next window: pages [from, from + win) of file `slot`. */
static void window(struct lfm__pool *mp, struct lfm__tls_node *t, uint32_t slot,
		   uint32_t from, uint32_t win)
{
	uint32_t pgnos[LFM_RA_MAX];
	for (uint32_t i = 0; i < win; i++)
		pgnos[i] = from + i;
	(void)prefetch_pages(mp, t, slot, pgnos, win);
	t->ra_win = win;
	t->ra_end = lfm__tag(slot, from + win);
}

static uint32_t grown(uint32_t win)
{
	return win == 0		      ? LFM_RA_MIN
	       : win * 2 > LFM_RA_MAX ? LFM_RA_MAX
				      : win * 2;
}

void lfm__readahead(struct lfm__pool *mp, struct lfm__tls_node *t, uint64_t tag)
{
	LFM_ASSERT(lfm__rank_none_held()); /* it may evict and write */
	if (!mp->direct)
		return; /* buffered reads: the kernel reads ahead */
	uint32_t pgno = lfm__tag_pgno(tag);
	int seq = tag == t->ra_last + 1 || (t->ra_end != 0 && tag == t->ra_end);
	t->ra_last = tag;
	if (!seq || pgno >= UINT32_MAX - 2 * LFM_RA_MAX) {
		t->ra_win = 0; /* random access starts nothing */
		t->ra_end = 0;
		return;
	}
	window(mp, t, lfm__tag_slot(tag), pgno + 1, grown(t->ra_win));
}

void lfm__readahead_wait(struct lfm__pool *mp, struct lfm__tls_node *t,
			 uint64_t tag)
{
	uint64_t end = t->ra_end;
	if (!mp->direct || end == 0 || tag >= end ||
	    tag + t->ra_win / 2 < end ||
	    lfm__tag_pgno(end) >= UINT32_MAX - 2 * LFM_RA_MAX)
		return;
	LFM_ASSERT(lfm__rank_none_held());
	t->ra_last = tag;
	window(mp, t, lfm__tag_slot(end), lfm__tag_pgno(end), grown(t->ra_win));
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
