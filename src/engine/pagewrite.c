/* pagewrite.c - writing pages, in runs (see pagewrite.h). */
#include "pagewrite.h"
#include "lockrank.h"
#include "ioq.h"
#include "pfile.h"
#include "scan.h"

#include "aio.h"
#include "fileio.h"
#include "stats.h"
#include "tcache.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

int lfm__wb_page_lsn(struct lfm__region_hdr *rh, uint32_t slot,
		     const void *page, struct lfm__lsn *lsn)
{
	int32_t off = atomic_load_explicit(&lfm__files(rh)[slot].lsn_offset,
					   memory_order_relaxed);
	if (off < 0)
		return 0;
	memcpy(lsn, (const char *)page + off, sizeof(*lsn));
	return 1;
}

/* The write-ahead rule's shared state, the region's part LFM_PART_WAL:
 * the log is durable up to `durable` (file << 32 | offset), raised by CAS
 * after the log-flush callback succeeds (release), read before writing a
 * page (acquire). This module's alone. */
struct wal_part {
	_Atomic uint64_t durable;
} __attribute__((aligned(LFM_CACHELINE)));

uint64_t lfm__wb_part_size(void)
{
	return sizeof(struct wal_part);
}

void lfm__wb_part_init(struct lfm__region_hdr *rh)
{
	struct wal_part *w = lfm__region_part(rh, LFM_PART_WAL);
	atomic_init(&w->durable, 0); /* nothing is known durable yet */
}

int lfm__wb_wal(struct lfm__pool *mp, uint32_t slot, const struct lfm__lsn *lsn)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__logflush *lf =
	    atomic_load_explicit(&mp->logflush, memory_order_acquire);
	if (lf == NULL || atomic_load_explicit(&lfm__files(rh)[slot].lsn_offset,
					       memory_order_relaxed) < 0)
		return 0;
	struct wal_part *w = lfm__region_part(rh, LFM_PART_WAL);
	uint64_t want = lfm__lsn_u64(lsn);
	uint64_t d = atomic_load_explicit(&w->durable, memory_order_acquire);
	if (want <= d)
		return 0;
	lfm__stat_add(NULL, rh, slot, LFM_ST_LOGFLUSH, 1);
	int rc = mp->calls->logflush(lf->fn, lf->arg, lsn);
	if (rc != 0)
		return rc;
	/* Acquire/release pairs with the load above: whoever sees the log
	 * durable to `want` also sees what the callback did to make it so.
	 * Raise only: concurrent callers may finish out of order. */
	while (d < want && !atomic_compare_exchange_weak_explicit(
			       &w->durable, &d, want, memory_order_acq_rel,
			       memory_order_acquire))
		;
	return 0;
}

/* A flusher sends its runs to the device in batches of this many (one
 * io_uring_enter each), and the rest at the end of its pass. */
#define LFM_WB_BATCH 8

/* A run: frames in EXCL, pages first..first+n-1 of file `slot`. */
struct run {
	uint32_t slot, first, n;
	int background;	 /* a flusher's (lfm__wb_opts) */
	uint32_t queued; /* runs this pass handed to the I/O queue */
	struct lfm__frame *f[LFM_WB_RUN];
	struct lfm__wb_cand *c[LFM_WB_RUN]; /* NULL for a lone victim */
};

/*
 * The one write of pages to their file, in two halves: pages
 * first..first+n-1 of file `slot`, from src[0..n).
 *
 * prepare: copies are taken first when the file has a pgout (it may
 * transform in place; the cache keeps the plain form) or when `snapshot`
 * (the caller holds pins, not EXCL: users may change the bytes
 * meanwhile); then the write-ahead rule for the largest page LSN, and
 * pgout on each copy. iov[] gets what to write, *copy what to free after,
 * *fd where. *top gets the largest LSN, if any (*has_lsn).
 *
 * written: the file marked unsynced, LFM_ST_OUT. Frame state (DIRTY,
 * EXCL) is the caller's.
 */
static int prepare(struct lfm__pool *mp, uint32_t slot, uint32_t first,
		   void *const *src, uint32_t n, int snapshot,
		   struct iovec *iov, char **copyp, int *fd, int *has_lsn,
		   struct lfm__lsn *top)
{
	LFM_ASSERT(n >= 1 && n <= LFM_WB_RUN);
	LFM_ASSERT(!lfm__rank_held_any(LFM_RANK_BUCKET)); /* it writes */
	struct lfm__region_hdr *rh = mp->rh;
	size_t ps = lfm__files(rh)[slot].pagesize;
	lfm__fnptr pgout = lfm__pfile_fn(mp, slot, 1);
	char *copy = NULL;
	struct lfm__lsn lsn;
	int rc = 0;

	*has_lsn = 0;
	*copyp = NULL;
	*fd = lfm__pfile_wfd(mp, slot);
	if (*fd < 0)
		return EACCES; /* another process's temporary file */
	if (pgout != NULL || snapshot) {
		/* Aligned as the frames are: direct I/O needs it. */
		void *c;
		if (posix_memalign(&c, 4096, ps * n) != 0)
			return ENOMEM;
		copy = c;
	}
	for (uint32_t i = 0; i < n; i++) {
		iov[i].iov_base = src[i];
		iov[i].iov_len = ps;
		if (copy != NULL) {
			memcpy(copy + i * ps, src[i], ps);
			iov[i].iov_base = copy + i * ps;
		}
	}
	/* The LSNs are read before pgout may transform the bytes. */
	for (uint32_t i = 0; i < n; i++) {
		if (!lfm__wb_page_lsn(rh, slot, iov[i].iov_base, &lsn))
			break;
		if (!*has_lsn || lfm__lsn_less(top, &lsn))
			*top = lsn;
		*has_lsn = 1;
	}
	if (*has_lsn)
		rc = lfm__wb_wal(mp, slot, top);
	for (uint32_t i = 0; i < n && rc == 0 && pgout != NULL; i++)
		rc = lfm__pgcall(mp, slot, pgout, first + i, iov[i].iov_base);
	if (rc != 0) {
		free(copy);
		*has_lsn = 0;
		return rc;
	}
	*copyp = copy;
	return 0;
}

static void written(struct lfm__pool *mp, uint32_t slot, uint32_t n,
		    struct lfm__tls_node *t)
{
	atomic_store_explicit(&lfm__files(mp->rh)[slot].unsynced, 1,
			      memory_order_relaxed);
	lfm__stat_add(t, mp->rh, slot, LFM_ST_OUT, n);
}

/* Both halves, and the pwritev between them, on the calling thread. */
static int write_pages(struct lfm__pool *mp, uint32_t slot, uint32_t first,
		       void *const *src, uint32_t n, int snapshot,
		       struct lfm__tls_node *t, int *has_lsn,
		       struct lfm__lsn *top)
{
	struct iovec iov[LFM_WB_RUN];
	char *copy;
	int fd;
	int rc = prepare(mp, slot, first, src, n, snapshot, iov, &copy, &fd,
			 has_lsn, top);
	if (rc != 0)
		return rc;
	size_t ps = lfm__files(mp->rh)[slot].pagesize;
	rc = lfm__pwritev_full(fd, iov, (int)n, (uint64_t)first * ps);
	free(copy);
	if (rc != 0) {
		*has_lsn = 0;
		return rc;
	}
	written(mp, slot, n, t);
	return 0;
}

/* Writes the run; on success clears DIRTY. EXCL stays held. */
static int run_write(struct lfm__pool *mp, struct run *r,
		     struct lfm__tls_node *t, int *has_lsn,
		     struct lfm__lsn *max_lsn)
{
	void *src[LFM_WB_RUN];
	/* A run is written from frames nobody else can change or evict. */
	for (uint32_t i = 0; i < r->n; i++) {
		LFM_ASSERT(atomic_load_explicit(&r->f[i]->state,
						memory_order_relaxed) &
			   LFM_F_EXCL);
		src[i] = lfm__frame_page(mp->rh, r->f[i]);
	}
	struct lfm__lsn top;
	int lsn_seen;
	int rc = write_pages(mp, r->slot, r->first, src, r->n, 0, t, &lsn_seen,
			     &top);
	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < r->n; i++)
		atomic_fetch_and_explicit(&r->f[i]->state, ~LFM_F_DIRTY,
					  memory_order_release);
	if (lsn_seen && (!*has_lsn || lfm__lsn_less(max_lsn, &top))) {
		*max_lsn = top;
		*has_lsn = 1;
	}
	return 0;
}

int lfm__wb_write_one(struct lfm__pool *mp, struct lfm__frame *f, uint64_t tag,
		      struct lfm__tls_node *t)
{
	LFM_ASSERT(atomic_load_explicit(&f->state, memory_order_relaxed) &
		   LFM_F_EXCL);
	LFM_ASSERT(atomic_load_explicit(&f->tag, memory_order_relaxed) == tag);
	struct run r = {.slot = lfm__tag_slot(tag),
			.first = lfm__tag_pgno(tag),
			.n = 1,
			.f = {f}};
	int has = 0;
	struct lfm__lsn top;
	return run_write(mp, &r, t, &has, &top);
}

int lfm__wb_write_pinned(struct lfm__pool *mp, struct lfm__frame *f,
			 uint64_t tag, struct lfm__tls_node *t)
{
	void *src = lfm__frame_page(mp->rh, f);
	struct lfm__lsn top;
	int has;
	/* Cleared before the copy: a change made during it dirties the page
	 * again. A failed write sets DIRTY back: the page is never lost. */
	atomic_fetch_and_explicit(&f->state, ~LFM_F_DIRTY,
				  memory_order_acq_rel);
	int rc = write_pages(mp, lfm__tag_slot(tag), lfm__tag_pgno(tag), &src,
			     1, 1, t, &has, &top);
	if (rc != 0)
		atomic_fetch_or_explicit(&f->state, LFM_F_DIRTY,
					 memory_order_relaxed);
	return rc;
}

/* A flusher's run in flight on the I/O queue: its frames stay in EXCL
 * until the write is done, and the completion releases them. */
struct run_io {
	struct lfm__aio_req r;
	struct lfm__pool *mp;
	uint32_t slot, n;
	char *copy;
	struct lfm__frame *f[LFM_WB_RUN];
	struct iovec iov[LFM_WB_RUN];
};

/* On the queue's thread: the run's write is done (`res` bytes, or
 * -errno). As run_flush does after a synchronous write: the file marked
 * unsynced and DIRTY cleared before EXCL goes, or, if the write failed,
 * the pages left dirty and the failure counted (no caller hears of a
 * flusher's errors, rule 16). */
static void run_done(struct lfm__aio_req *r, ssize_t res)
{
	struct run_io *w = r->arg;
	int ok = res == (ssize_t)r->len;
	if (ok)
		written(w->mp, w->slot, w->n, NULL);
	else
		lfm__stat_add(NULL, w->mp->rh, w->slot, LFM_ST_BGWERR, 1);
	for (uint32_t i = 0; i < w->n; i++) {
		if (ok)
			atomic_fetch_and_explicit(&w->f[i]->state, ~LFM_F_DIRTY,
						  memory_order_release);
		lfm__frame_release_excl(w->f[i], 0, 0);
	}
	free(w->copy);
	free(w);
}

/* A flusher's run handed to the I/O queue, so that a flusher keeps many
 * writes in flight: 0 (its frames are the completion's now), -1 (not
 * handed over: write it here), or an errno (it failed before its write:
 * the write-ahead rule or pgout). The io_uring engine bypasses the fault
 * seam (fileio.h), so while a test's table is installed it is not used.
 *
 * When the writes' room is full it waits for a place rather than write
 * the run itself: a write of its own, one at a time, left the device's
 * queue to drain while it ran (measured: 5% of the runs when each page
 * written was read first, up to a third when pages were created).
 * Runs go out LFM_WB_BATCH at a time (`more`); lfm__wb_write sends the
 * last ones when its pass ends. */
static int run_submit(struct lfm__pool *mp, struct run *r)
{
	struct lfm__aio *q = lfm__ioq(mp);
	if (q == NULL || (lfm__aio_kind_of(q) == LFM_AIO_URING &&
			  lfm__fileio() != &lfm__fileio_sys))
		return -1;
	struct run_io *w = malloc(sizeof(*w));
	if (w == NULL)
		return -1;
	void *src[LFM_WB_RUN];
	for (uint32_t i = 0; i < r->n; i++)
		src[i] = lfm__frame_page(mp->rh, r->f[i]);
	struct lfm__lsn top;
	int has, fd;
	int rc = prepare(mp, r->slot, r->first, src, r->n, 0, w->iov, &w->copy,
			 &fd, &has, &top);
	if (rc != 0) {
		free(w);
		return rc;
	}
	size_t ps = lfm__files(mp->rh)[r->slot].pagesize;
	memset(&w->r, 0, sizeof(w->r));
	w->r.fd = fd;
	w->r.write = 1;
	w->r.iov = w->iov;
	w->r.iovcnt = (int)r->n;
	w->r.len = ps * r->n;
	w->r.off = (uint64_t)r->first * ps;
	w->r.done = run_done;
	w->r.arg = w;
	w->mp = mp;
	w->slot = r->slot;
	w->n = r->n;
	memcpy(w->f, r->f, sizeof(*r->f) * r->n);
	w->r.more = (r->queued + 1) % LFM_WB_BATCH != 0;
	while ((rc = lfm__aio_submit(q, &w->r)) == EAGAIN)
		lfm__aio_wait_write_room(q, LFM_WB_BATCH); /* sends what is
							     held back */
	if (rc != 0) {
		free(w->copy);
		free(w);
		return -1; /* the queue is closing: the flusher writes it */
	}
	r->queued++;
	return 0;
}

/* Writes and releases the run's frames; records the outcome. */
static void run_flush(struct lfm__pool *mp, struct run *r,
		      struct lfm__tls_node *t, struct lfm__wb_result *res)
{
	if (r->n == 0)
		return;
	int rc = r->background ? run_submit(mp, r) : -1;
	if (rc == 0) {
		/* In flight: written, as far as this pass can tell. */
		for (uint32_t i = 0; i < r->n; i++)
			r->c[i]->result = LFM_WB_WRITTEN;
		res->nwrote += r->n;
		r->n = 0;
		return;
	}
	if (rc < 0)
		rc = run_write(mp, r, t, &res->has_lsn, &res->max_lsn);
	for (uint32_t i = 0; i < r->n; i++) {
		r->c[i]->result = rc == 0 ? LFM_WB_WRITTEN : LFM_WB_FAILED;
		lfm__frame_release_excl(r->f[i], 0, 0);
	}
	if (rc == 0) {
		res->nwrote += r->n;
	} else {
		if (r->background)
			lfm__stat_add(t, mp->rh, r->slot, LFM_ST_BGWERR, 1);
		if (res->err == 0) {
			res->err = rc;
			res->err_slot = r->slot;
		}
	}
	r->n = 0;
}

static int cand_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct lfm__wb_cand *)a)->tag;
	uint64_t y = ((const struct lfm__wb_cand *)b)->tag;
	return x < y ? -1 : x > y;
}

/* Takes EXCL on c's frame if it still holds c's page, dirty and unpinned.
 * Returns 1 (taken), 0 (skip), or LFM_WB_PINNED. Flushes the pending run
 * before sleeping, so no thread sleeps holding frames. */
static int take(struct lfm__pool *mp, struct lfm__wb_cand *c,
		const struct lfm__wb_opts *o, struct run *r,
		struct lfm__tls_node *t, struct lfm__wb_result *res)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__frame *f = &lfm__frames(rh)[c->idx];
	for (unsigned spins = 0;;) {
		uint32_t s =
		    atomic_load_explicit(&f->state, memory_order_acquire);
		if ((s & (LFM_F_VALID | LFM_F_DIRTY)) !=
			(LFM_F_VALID | LFM_F_DIRTY) ||
		    atomic_load_explicit(&f->tag, memory_order_relaxed) !=
			c->tag)
			return 0;
		if (s & LFM_F_EXCL) {
			if (!o->wait_excl)
				return 0;
			run_flush(mp, r, t, res);
			lfm__frame_wait(f, s);
			continue;
		}
		/* A cache's reference is a pin only while its entry is HELD:
		 * a steal that finds nothing (another thread, a flusher or a
		 * sync, stole it first and is dropping its SLOTREF) looks
		 * again rather than call the page pinned. */
		if (lfm__st_direct(s) != 0 ||
		    (lfm__st_slotref(s) != 0 &&
		     lfm__tcache_steal(rh, f, mp->plog) == 0 &&
		     lfm__tcache_held(rh, f, 0)))
			return LFM_WB_PINNED;
		if (lfm__st_slotref(s) != 0) {
			/* Stolen, or being dropped by the other stealer: look
			 * again (yielding, should that thread be preempted in
			 * its few instructions between the two). */
			if (++spins > 64)
				sched_yield();
			continue;
		}
		if (!lfm__pfile_writable(mp, lfm__tag_slot(c->tag)))
			return LFM_WB_PINNED; /* not ours to write: incomplete
					       */
		if (!lfm__frame_try_excl(f, LFM_F_VALID | LFM_F_DIRTY,
					 mp->owner_bits))
			continue;
		/* The tag cannot move under EXCL; recheck it. */
		if (atomic_load_explicit(&f->tag, memory_order_relaxed) ==
		    c->tag)
			return 1;
		lfm__frame_release_excl(f, 0, 0);
		return 0;
	}
}

void lfm__wb_write(struct lfm__pool *mp, struct lfm__wb_cand *cand, uint32_t n,
		   const struct lfm__wb_opts *o, struct lfm__tls_node *t,
		   struct lfm__wb_result *res)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct run r = {.n = 0, .background = o->background};

	qsort(cand, n, sizeof(*cand), cand_cmp);
	for (uint32_t i = 0; i < n; i++) {
		struct lfm__wb_cand *c = &cand[i];
		c->result = LFM_WB_SKIPPED;
		int k = take(mp, c, o, &r, t, res);
		if (k == LFM_WB_PINNED) {
			c->result = LFM_WB_PINNED;
			res->npinned++;
		}
		if (k != 1)
			continue;
		struct lfm__frame *f = &lfm__frames(rh)[c->idx];
		uint32_t slot = lfm__tag_slot(c->tag);
		uint32_t pgno = lfm__tag_pgno(c->tag);
		if (r.n > 0 && (r.slot != slot || r.first + r.n != pgno ||
				r.n == LFM_WB_RUN))
			run_flush(mp, &r, t, res);
		if (r.n == 0) {
			r.slot = slot;
			r.first = pgno;
		}
		r.f[r.n] = f;
		r.c[r.n] = c;
		r.n++;
	}
	run_flush(mp, &r, t, res);
	if (r.queued % LFM_WB_BATCH != 0)
		lfm__aio_push(lfm__ioq(mp)); /* the last runs held back */
}

int lfm__wb_trickle(struct lfm__pool *mp, uint32_t begin, uint32_t end, int pct,
		    int cold_too, struct lfm__tls_node *t,
		    struct lfm__wb_buf *buf, uint32_t *nwrote,
		    uint32_t *err_slot)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__wb_buf own = {NULL, 0};
	uint64_t clean = 0, total, free_excl = 0, ndirty = 0, ncold = 0;
	struct lfm__scan it;

	*nwrote = 0;
	lfm__scan_init(&it, rh, begin, end, -1, 1);
	if (it.next >= it.end)
		return 0;
	begin = it.next;
	end = it.end;
	uint32_t n = it.carved;
	if (buf == NULL)
		buf = &own;
	if (lfm__scan_reserve(&it, buf) != 0)
		return ENOMEM;
	struct lfm__wb_cand *cand = buf->c;
	while (lfm__scan_next(&it)) {
		uint32_t s = it.state;
		if (!(s & LFM_F_VALID)) {
			clean++; /* free, or a placeholder to be carved */
			free_excl += (s & LFM_F_EXCL) != 0;
		} else if (lfm__st_direct(s) != 0 || (s & LFM_F_EXCL)) {
			/* pinned or in I/O: neither clean nor writable */
		} else if (!(s & LFM_F_DIRTY)) {
			clean++;
		} else {
			lfm__scan_cand(&it, &cand[ndirty]);
			ncold += cand[ndirty].usage == 0;
			ndirty++;
		}
	}
	/* Budget not carved yet will be clean frames (an estimate: pages of
	 * the pool's usual stride), less the placeholders counted above. The
	 * range's share of it is proportional to its size. */
	uint32_t stride =
	    atomic_load_explicit(&rh->uniform_stride, memory_order_relaxed);
	uint64_t used =
	    atomic_load_explicit(&rh->page_bytes_used, memory_order_relaxed);
	uint64_t left = used < rh->cache_bytes ? (rh->cache_bytes - used) /
						     (stride ? stride : 4096)
					       : 0;
	left = left > free_excl ? (left - free_excl) * (end - begin) / n : 0;
	clean += left;
	total = (uint64_t)(end - begin) + left;
	uint64_t want = (total * (uint64_t)pct + 99) / 100;
	int rc = 0;
	uint64_t need = clean < want ? want - clean : 0;
	if (cold_too && need < ncold)
		need = ncold;
	if (need > 0) {
		/* Coldest first: a stable pass per usage value. */
		uint32_t k = 0;
		for (uint8_t u = 0; u <= LFM_F_USAGE_MAX && k < need; u++)
			for (uint32_t i = k; i < ndirty && k < need; i++)
				if (cand[i].usage == u) {
					struct lfm__wb_cand tmp = cand[k];
					cand[k++] = cand[i];
					cand[i] = tmp;
				}
		/* cold_too: a flusher's pass (memp_trickle's caller hears
		 * of its errors). */
		struct lfm__wb_opts o = {.wait_excl = 0,
					 .background = cold_too};
		struct lfm__wb_result res = {0};
		lfm__wb_write(mp, cand, k, &o, t, &res);
		*nwrote = res.nwrote;
		rc = res.err;
		*err_slot = res.err_slot;
	}
	free(own.c);
	return rc;
}

int lfm__pool_trickle(struct lfm__pool *mp, int pct, uint32_t *wrote)
{
	LFM_ASSERT(lfm__rank_none_held());
	uint32_t slot;
	*wrote = 0;
	return lfm__wb_trickle(mp, 0, UINT32_MAX, pct, 0, lfm__tls(mp), NULL,
			       wrote, &slot);
}
