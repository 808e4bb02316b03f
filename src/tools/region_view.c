/* region_view.c - the read-only look at a region file (region_view.h). */
#include "region_view.h"

#include "frame.h"
#include "pinlog.h"
#include "region_reader.h"
#include "shm.h"
#include "stat_read.h"
#include "tcache.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

int rview_path(const char *dir, const char *key, char *out, size_t n)
{
	if (dir != NULL)
		return (size_t)snprintf(out, n, "%s/%s", dir, LFM_REGION_FILE) <
			       n
			   ? 0
			   : -1;
	return lfm__shm_key_path(key, out, n) == 0 ? 0 : -1;
}

/* A file truncated under the mapping makes reads past its new end fault
 * (SIGBUS): the read is abandoned and reported instead. */
static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_armed;

static void on_sigbus(int sig)
{
	if (bus_armed)
		siglongjmp(bus_jmp, 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* The hash chains as they are now. A walk stops at an index out of range
 * or after nframes_max steps (a chain changing under it, or damaged). */
static void read_chains(struct lfm__region_hdr *rh, struct rview_pool *p)
{
	struct lfm__bucket *b = lfm__buckets(rh);
	struct lfm__frame *fr = lfm__frames(rh);
	for (uint32_t i = 0; i < rh->nbuckets; i++) {
		uint32_t cur =
		    atomic_load_explicit(&b[i].head, memory_order_acquire);
		uint32_t len = 0;
		while (cur != LFM_NIL && cur - 1 < rh->nframes_max &&
		       len < rh->nframes_max) {
			len++;
			cur = atomic_load_explicit(&fr[cur - 1].next,
						   memory_order_acquire);
		}
		p->occupied += len > 0;
		p->chain_frames += len;
		if (len > p->chain_longest)
			p->chain_longest = len;
	}
}

/* Frames carved: what every chunk handed out, less those retired. */
static void read_chunks(struct lfm__region_hdr *rh, struct rview_pool *p)
{
	struct lfm__chunk *c = lfm__chunks(rh);
	uint32_t n =
	    min_u32(atomic_load_explicit(&rh->nchunks, memory_order_acquire),
		    rh->nchunks_max);
	uint64_t carved = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t cap = __atomic_load_n(&c[i].cap, __ATOMIC_RELAXED);
		uint32_t count = min_u32(
		    atomic_load_explicit(&c[i].count, memory_order_acquire),
		    cap);
		/* `retired` changes under carve_lock, which we never take: a
		 * relaxed load gives some recent value. */
		uint32_t ret = min_u32(
		    __atomic_load_n(&c[i].retired, __ATOMIC_RELAXED), count);
		carved += count - ret;
	}
	p->frames = carved > UINT32_MAX ? UINT32_MAX : (uint32_t)carved;
}

/* User pins held through thread caches: per frame (cached[]) and per
 * process slot (proc_pins[]). */
static void read_handles(struct lfm__region_hdr *rh, uint32_t nframes,
			 uint32_t *cached, uint64_t *proc_pins,
			 struct rview_pool *p)
{
	uint32_t hi = min_u32(
	    atomic_load_explicit(&rh->handles_hiwater, memory_order_acquire),
	    rh->nhandles);
	uint64_t nent = rh->tc_entries;
	for (uint32_t i = 0; i < hi; i++) {
		struct lfm__handle *h = lfm__handle_at(rh, i);
		if (atomic_load_explicit(&h->owner, memory_order_acquire) == 0)
			continue;
		p->handles_in_use++;
		uint32_t proc =
		    atomic_load_explicit(&h->proc, memory_order_relaxed);
		struct lfm__tc_entry *e = lfm__tc_entries(h);
		for (uint64_t k = 0; k < nent; k++) {
			uint64_t w = atomic_load_explicit(&e[k].word,
							  memory_order_relaxed);
			uint32_t idx = lfm__tc_frame(w);
			uint32_t cnt = lfm__tc_count(w);
			if (idx == 0 || idx - 1 >= nframes || cnt == 0)
				continue;
			cached[idx - 1] += cnt;
			if (proc >= 1 && proc <= LFM_NPROCS)
				proc_pins[proc - 1] += cnt;
		}
	}
}

static void read_procs(struct lfm__region_hdr *rh, int fd, uint32_t nframes,
		       const uint64_t *proc_pins, struct rview_sample *out)
{
	struct lfm__shm shm;
	memset(&shm, 0, sizeof(shm));
	shm.fd = fd;
	shm.rh = rh;
	for (uint32_t k = 0; k < LFM_NPROCS; k++) {
		if (atomic_load_explicit(&rh->procs[k].state,
					 memory_order_acquire) == 0)
			continue;
		/* F_OFD_GETLK: a question to the kernel, no lock taken. The
		 * pid after it: a process detaching clears its pid before it
		 * unlocks (shm.c), so an unlocked slot read with a pid is one
		 * whose process died. */
		int alive = !lfm__shm_proc_dead(&shm, k);
		int32_t pid = atomic_load_explicit(&rh->procs[k].pid,
						   memory_order_relaxed);
		/* Claimed, unlocked and no pid: a process between its claim
		 * and its lock, or between its unlock and the slot's release,
		 * holding nothing. Not listed: it is no process yet, or none
		 * any more. (One killed in that instant left nothing behind
		 * but the slot, which the next memp_open frees.) */
		if (!alive && pid == 0)
			continue;
		struct rview_proc *pr = &out->procs[out->nprocs++];
		pr->slot = k;
		pr->pid = pid;
		pr->alive = alive;
		uint64_t pins = proc_pins[k];
		_Atomic uint16_t *log = lfm__pinlog_of(rh, k);
		for (uint32_t i = 0; i < nframes; i++)
			pins += atomic_load_explicit(&log[i],
						     memory_order_relaxed) &
				LFM_PINLOG_COUNT;
		pr->pins = pins;
		/* A dead process's flushers died with it, recovered yet or
		 * not: only the live ones' run. */
		pr->flushers = alive
				   ? atomic_load_explicit(&rh->proc_flushers[k],
							  memory_order_relaxed)
				   : 0;
		out->pool.flushers += pr->flushers;
		pr->io = alive ? atomic_load_explicit(&rh->proc_io[k],
						      memory_order_relaxed)
			       : 0;
	}
}

/* A page's LSN, read from its bytes at its file's LSN offset (a page in
 * use may be changing: some recent value). 1 if the file has one. */
static int page_lsn(struct lfm__region_hdr *rh, uint64_t size,
		    const struct lfm__frame *f, uint32_t slot, uint32_t *file,
		    uint32_t *offset)
{
	int32_t off = atomic_load_explicit(&lfm__files(rh)[slot].lsn_offset,
					   memory_order_relaxed);
	uint32_t ps = lfm__files(rh)[slot].pagesize;
	uint64_t at = f->place & ((1ull << LFM_PLACE_SHIFT) - 1);
	uint32_t w[2];
	if (off < 0 || (uint64_t)off + sizeof(w) > ps ||
	    (uint64_t)off + sizeof(w) > lfm__frame_bufsize(f) ||
	    at < rh->off_data || at + (uint64_t)off + sizeof(w) > size)
		return 0; /* none, or a place outside the file: damaged */
	memcpy(w, (const char *)rh + at + off, sizeof(w));
	*file = w[0];
	*offset = w[1];
	return 1;
}

static void read_frames(struct lfm__region_hdr *rh, uint64_t size,
			uint32_t nframes, const uint32_t *cached,
			int want_pages, struct rview_file *byslot,
			struct rview_sample *out)
{
	struct lfm__frame *fr = lfm__frames(rh);
	for (uint32_t i = 0; i < nframes; i++) {
		uint32_t s =
		    atomic_load_explicit(&fr[i].state, memory_order_relaxed);
		if (!(s & LFM_F_VALID))
			continue;
		uint64_t tag =
		    atomic_load_explicit(&fr[i].tag, memory_order_relaxed);
		uint32_t pins = lfm__st_direct(s) + cached[i];
		out->pool.pinned += pins > 0;
		if (tag == 0 || tag == LFM_TAG_RETIRED ||
		    lfm__tag_slot(tag) >= rh->nfiles_max)
			continue; /* changing under us */
		uint32_t slot = lfm__tag_slot(tag);
		byslot[slot].pages++;
		byslot[slot].dirty += (s & LFM_F_DIRTY) != 0;
		if (want_pages) {
			struct rview_page *pg = &out->pages[out->npages++];
			pg->frame = i;
			pg->file = slot;
			pg->pgno = lfm__tag_pgno(tag);
			pg->pagesize = lfm__files(rh)[slot].pagesize;
			pg->pins = pins;
			pg->usage = lfm__st_usage(s);
			pg->dirty = (s & LFM_F_DIRTY) != 0;
			pg->has_lsn = page_lsn(rh, size, &fr[i], slot,
					       &pg->lsn_file, &pg->lsn_offset);
		}
	}
}

static void read_files(struct lfm__region_hdr *rh, struct rview_file *byslot,
		       uint64_t *live, struct rview_sample *out)
{
	struct lfm__file *files = lfm__files(rh);
	lfm__stat_live_hits(rh, live);
	for (uint32_t i = 0; i < rh->nfiles_max; i++) {
		if (atomic_load_explicit(&files[i].state,
					 memory_order_acquire) !=
		    LFM_FILE_ACTIVE)
			continue;
		struct rview_file *f = &out->files[out->nfiles++];
		struct lfm__fstat e;
		lfm__stat_file(rh, i, live, &e);
		f->slot = i;
		/* Written under files_lock before `state` was set: a bounded
		 * copy, terminated whatever it holds. */
		memcpy(f->name, files[i].path, sizeof(f->name) - 1);
		f->name[sizeof(f->name) - 1] = '\0';
		memcpy(f->path, files[i].apath, sizeof(f->path) - 1);
		f->path[sizeof(f->path) - 1] = '\0';
		f->pagesize = (uint32_t)e.st_pagesize;
		f->pages = byslot[i].pages;
		f->dirty = byslot[i].dirty;
#define FILE_SET(fl, c, k, sc, n, t) LFM__IF_FILE_##sc(f->n = e.st_##fl;)
		LFM_STATS(FILE_SET)
#undef FILE_SET
	}
}

static void read_sizes(struct lfm__region_hdr *rh, struct rview_sample *out)
{
	struct lfm__stat_size sz[RVIEW_SIZES_MAX];
	uint32_t n = lfm__stat_sizes(rh, sz, RVIEW_SIZES_MAX);
	for (uint32_t i = 0; i < n; i++) {
		out->sizes[i].bufsize = sz[i].bufsize;
		out->sizes[i].frames = sz[i].frames;
		out->sizes[i].retired = sz[i].retired;
		out->sizes[i].pages = sz[i].pages;
		out->sizes[i].dirty = sz[i].dirty;
	}
	out->nsizes = n;
}

static void read_pool(struct lfm__region_hdr *rh, uint64_t size,
		      struct rview_pool *p)
{
	struct lfm__pstat g;
	lfm__stat_pool(rh, &g); /* memp_stat's own figures */
	p->region_bytes = size;
	p->cache_bytes = rh->cache_bytes;
	p->page_bytes =
	    atomic_load_explicit(&rh->page_bytes_used, memory_order_relaxed);
	p->frames_max = rh->nframes_max;
	p->pages = g.st_pages;
	p->dirty = g.st_page_dirty;
	p->clean = g.st_page_clean;
	p->written_flushers =
	    atomic_load_explicit(&rh->flush_wrote, memory_order_relaxed);
#define POOL_SET(f, c, k, sc, n, t) LFM__IF_POOL_##sc(p->n = g.st_##f;)
	LFM_STATS(POOL_SET)
#undef POOL_SET
	p->buckets = rh->nbuckets;
	p->nfiles_max = rh->nfiles_max;
	p->nhandles = rh->nhandles;
	read_chunks(rh, p);
	read_chains(rh, p);
}

/* Everything one sample reads from the mapping. */
struct read_args {
	struct lfm__region_hdr *rh;
	int fd;
	uint64_t size;
	int want_pages;
	uint32_t *cached;
	uint64_t *proc_pins;
	struct rview_file *byslot;
	uint64_t *live; /* nfiles_max: the caches' live hits (stat_read.h) */
	struct rview_sample *out;
};

static __attribute__((noinline)) void read_all(const struct read_args *a)
{
	struct lfm__region_hdr *rh = a->rh;
	uint32_t nframes =
	    min_u32(atomic_load_explicit(&rh->nframes, memory_order_acquire),
		    rh->nframes_max);
	read_pool(rh, a->size, &a->out->pool);
	read_handles(rh, nframes, a->cached, a->proc_pins, &a->out->pool);
	read_procs(rh, a->fd, nframes, a->proc_pins, a->out);
	read_frames(rh, a->size, nframes, a->cached, a->want_pages, a->byslot,
		    a->out);
	read_files(rh, a->byslot, a->live, a->out);
	read_sizes(rh, a->out);
}

/* read_all under the SIGBUS guard: 0, or -1 if the file shrank under the
 * mapping. Its own function, so that no local changes after sigsetjmp. */
static __attribute__((noinline)) int read_guarded(const struct read_args *a)
{
	struct sigaction sa, old;
	int rc = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1) == 0) {
		bus_armed = 1;
		read_all(a);
	} else {
		rc = -1;
	}
	bus_armed = 0;
	sigaction(SIGBUS, &old, NULL);
	return rc;
}

void rview_free(struct rview_sample *s)
{
	free(s->files);
	free(s->procs);
	free(s->pages);
	memset(s, 0, sizeof(*s));
}

int rview_read(const char *path, int want_pages, struct rview_sample *out,
	       char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	struct lfm__region_ro ro;
	if (lfm__region_open_ro(path, want_pages, &ro, err, errlen) != 0)
		return -1;
	struct lfm__region_hdr *rh = ro.rh;
	/* Every array is sized before the guarded reads, so a fault leaves
	 * nothing half-allocated behind. */
	uint32_t nframes = rh->nframes_max;
	uint32_t *cached = calloc(nframes, sizeof(*cached));
	uint64_t *proc_pins = calloc(LFM_NPROCS, sizeof(*proc_pins));
	struct rview_file *byslot = calloc(rh->nfiles_max, sizeof(*byslot));
	uint64_t *live = calloc(rh->nfiles_max, sizeof(*live));
	out->files = calloc(rh->nfiles_max, sizeof(*out->files));
	out->procs = calloc(LFM_NPROCS, sizeof(*out->procs));
	out->pages = want_pages ? calloc(nframes, sizeof(*out->pages)) : NULL;
	int rc = 0;
	if (cached == NULL || proc_pins == NULL || byslot == NULL ||
	    live == NULL || out->files == NULL || out->procs == NULL ||
	    (want_pages && out->pages == NULL)) {
		rc = fail(err, errlen, "%s: out of memory", path);
		goto done;
	}
	struct read_args a = {rh,	 ro.fd,	 ro.size, want_pages, cached,
			      proc_pins, byslot, live,	  out};
	if (read_guarded(&a) != 0)
		rc = fail(err, errlen,
			  "%s: region file truncated while being read", path);
done:
	free(cached);
	free(proc_pins);
	free(byslot);
	free(live);
	lfm__region_close_ro(&ro);
	if (rc != 0)
		rview_free(out);
	return rc;
}
