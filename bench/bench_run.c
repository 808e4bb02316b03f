/*
 * bench_run.c - a timed period over one open pool, for both modes: the
 * warm-up pass, then a crew of worker threads started together on a
 * barrier that loop (get a page, check its number, maybe write a byte,
 * put it) until told to stop, and for WB_ON on a system without flushers
 * a thread calling trickle. Zipf is drawn by Walker's alias table.
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>

#include "bench_driver.h"

#define ZIPF_THETA 0.99

/* A latency histogram, log-linear as HdrHistogram's (~1.6% resolution):
 * values below 128 ns have a bucket each, every power of two above has 64.
 * One per thread, merged after the run. A quantile is its bucket's highest
 * value: never below the exact one, at most 1/64 above it. */
#define LAT_SUB_BITS 6 /* 64 buckets per power of two */
#define LAT_SUB	     (1u << LAT_SUB_BITS)
#define LAT_NBUCKETS ((64 - LAT_SUB_BITS + 1) * LAT_SUB)

struct lat_hist {
	uint64_t n;   /* values recorded */
	uint64_t max; /* the largest, exact */
	uint64_t count[LAT_NBUCKETS];
};

/* The bucket of v: msb >= LAT_SUB_BITS + 1 leaves v >> shift in
 * [LAT_SUB, 2 * LAT_SUB). */
static inline void lat_record(struct lat_hist *h, uint64_t v)
{
	unsigned shift = v < 2 * LAT_SUB ? 0
					 : (unsigned)(63 - __builtin_clzll(v)) -
					       LAT_SUB_BITS;

	h->count[shift * LAT_SUB + (unsigned)(v >> shift)]++;
	h->n++;
	h->max = v > h->max ? v : h->max;
}

/* CLOCK_MONOTONIC in nanoseconds (vDSO: no system call with a TSC clock). */
static inline uint64_t lat_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The q-quantile (0 < q <= 1) of the `slow` slowest values (all: h->n),
 * the value of rank n - slow + ceil(q * slow): an upper bound on the
 * q-quantile of any `slow` of the values (among the n - slow + k smallest,
 * at least k are of that subset). 0 when slow is 0; slow is clamped to n. */
static uint64_t lat_quantile(const struct lat_hist *h, uint64_t slow, double q)
{
	uint64_t rank, seen = 0;
	double k;

	if ((slow = slow < h->n ? slow : h->n) == 0)
		return 0;
	/* ceil(q * slow), without 0.99 * 100 rounding up to 100 */
	k = ceil(q * (double)slow - 1e-6);
	rank = h->n - slow + (uint64_t)fmin(fmax(k, 1), (double)slow);
	for (unsigned b = 0; b < LAT_NBUCKETS; b++) {
		unsigned shift = b < 2 * LAT_SUB ? 0 : b / LAT_SUB - 1;
		/* the bucket's highest value, never above max */
		uint64_t v = ((uint64_t)(b - shift * LAT_SUB + 1) << shift) - 1;

		if ((seen += h->count[b]) >= rank)
			return v < h->max ? v : h->max;
	}
	return h->max; /* not reached: the counts add up to n */
}

static uint32_t zipf_prob[FILE_PAGES]; /* keep column if low32 < prob */
static uint32_t zipf_alias[FILE_PAGES];

/* Vose's build of the alias table, then the check that it gives back the
 * distribution it was built from: 0, or -1 after a message. */
int zipf_init(void)
{
	static double p[FILE_PAGES], q[FILE_PAGES], got[FILE_PAGES];
	/* Vose's two stacks in one array: small at [0, ns), large at [nl, n) */
	static uint32_t stack[FILE_PAGES];
	const uint32_t n = FILE_PAGES;
	uint32_t ns = 0, nl = n;
	double zeta = 0, worst = 0, total = 0;

	for (uint32_t i = 0; i < n; i++)
		zeta += 1.0 / pow((double)(i + 1), ZIPF_THETA);
	for (uint32_t i = 0; i < n; i++) {
		p[i] = 1.0 / pow((double)(i + 1), ZIPF_THETA) / zeta;
		q[i] = p[i] * n;
		zipf_alias[i] = i;
		zipf_prob[i] = UINT32_MAX; /* what is left: probability 1 */
		stack[q[i] < 1.0 ? ns++ : --nl] = i;
	}
	while (ns > 0 && nl < n) {
		uint32_t s = stack[--ns], l = stack[nl];
		long long fixed = llround(q[s] * 4294967296.0);

		zipf_prob[s] = fixed > (long long)UINT32_MAX ? UINT32_MAX
							     : (uint32_t)fixed;
		zipf_alias[s] = l;
		q[l] -= 1.0 - q[s];
		if (q[l] < 1.0)
			stack[ns++] = stack[nl++];
	}
	for (uint32_t i = 0; i < n; i++) {
		double keep = zipf_prob[i] == UINT32_MAX
				  ? 1.0
				  : zipf_prob[i] / 4294967296.0;

		got[i] += keep / n;
		got[zipf_alias[i]] += (1.0 - keep) / n;
	}
	for (uint32_t i = 0; i < n; i++) {
		total += got[i];
		worst = fmax(worst, fabs(got[i] - p[i]) / p[i]);
	}
	if (worst <= 1e-6 && fabs(total - 1.0) <= 1e-9)
		return 0;
	fprintf(stderr,
		"mpool_bench: Zipf table is wrong (worst relative error %g, "
		"total %.12f)\n",
		worst, total);
	return -1;
}

/* One 64-bit draw per sample; for Zipf the high half picks a column, the
 * low half decides between the column and its alias. */
static inline uint32_t next_page(struct rng *r, const struct workload *wl)
{
	uint64_t x = rng_next(r);
	uint32_t col;

	if (wl->dist == DIST_UNIFORM)
		return (uint32_t)(((x >> 32) * wl->range) >> 32);
	col = (uint32_t)(((x >> 32) * FILE_PAGES) >> 32);
	return (uint32_t)x < zipf_prob[col] ? col : zipf_alias[col];
}

void bench_make_file(const char *path, uint32_t pagesize, uint32_t bytes4k)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644), err;

	if (fd < 0)
		die("create %s: %s", path, strerror(errno));
	err = bench_fill(fd, pagesize, bytes4k / (pagesize / BENCH_PAGE_SIZE));
	if (close(fd) != 0 && err == 0)
		err = errno;
	if (err != 0)
		die("write %s: %s", path, strerror(err));
}

void bench_mkdtemp(char *buf, size_t len, const char *base, const char *pattern)
{
	if ((size_t)snprintf(buf, len, "%s/%s", base, pattern) >= len)
		die("%s: name too long", base);
	if (mkdtemp(buf) == NULL) {
		int e = errno;

		buf[0] = '\0';
		die("mkdtemp under %s: %s", base, strerror(e));
	}
}

int bench_fault_text(const struct bench_sys *sys, const struct fault *f,
		     const char *what, char *buf, size_t len)
{
	size_t n = 0;

	if (f->err == 0 && f->wrong == 0)
		return 0;
	if (what != NULL) /* a short literal: it fits */
		n = (size_t)snprintf(buf, len, "%s: ", what);
	buf += n;
	len -= n;
	if (f->err != 0 &&
	    (strcmp(f->op, "get") == 0 || strcmp(f->op, "put") == 0))
		snprintf(buf, len, "%s of page %u: %s (%d)", f->op, f->pgno,
			 sys->strerror(f->err), f->err);
	else if (f->err != 0)
		snprintf(buf, len, "%s (%d)", sys->strerror(f->err), f->err);
	else
		snprintf(buf, len,
			 "%llu wrong pages (first: asked for page %u, got page "
			 "%u)",
			 (unsigned long long)f->wrong, f->want, f->got);
	return -1;
}

/* Keeps the failed call: its error. */
static int fault_call(struct fault *f, int err, const char *op, uint32_t pg)
{
	f->op = op;
	f->pgno = pg;
	return f->err = err;
}

static void fault_page(struct fault *f, uint32_t want, uint32_t got)
{
	if (f->wrong++ == 0) {
		f->want = want;
		f->got = got;
	}
}

int bench_warm(const struct bench_sys *sys, bench_pool *bp, uint32_t pages,
	       struct fault *f)
{
	for (uint32_t pg = 0; pg < pages; pg++) {
		void *page;
		uint32_t got;
		int ret = sys->get(bp, pg, 0, &page);

		if (ret != 0)
			return fault_call(f, ret, "get", pg);
		f->checked++;
		memcpy(&got, page, sizeof(got));
		if (got != pg)
			fault_page(f, pg, got);
		if ((ret = sys->put(bp, page, 0)) != 0)
			return fault_call(f, ret, "put", pg);
	}
	return 0;
}

/* The op loop; `timed` is a constant in each of its two instances, so the
 * untimed workloads run exactly the loop they always ran. */
static inline __attribute__((always_inline)) void worker_loop(struct worker *w,
							      const int timed)
{
	struct crew *c = w->crew;
	const struct bench_sys *sys = c->sys;
	const struct workload *wl = &c->wl;
	bench_pool *bp = c->bp;
	struct lat_hist *lat = w->lat;
	const uint32_t every = wl->dirty_every;
	uint32_t k = 0;
	uint64_t ops = 0, t0 = 0;
	struct rng r;

	rng_seed(&r, w->seed);
	pthread_barrier_wait(&c->start);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		uint32_t pg = next_page(&r, wl), got;
		int dirty = 0, ret;
		void *page;

		if (every != 0 && ++k == every) {
			k = 0;
			dirty = 1;
		}
		if (timed)
			t0 = lat_now_ns();
		ret = sys->get(bp, pg, dirty, &page);
		if (timed)
			lat_record(lat, lat_now_ns() - t0);
		if (ret != 0) {
			fault_call(&w->f, ret, "get", pg);
			break;
		}
		memcpy(&got, page, sizeof(got));
		if (got != pg)
			fault_page(&w->f, pg, got);
		if (dirty) /* one byte, away from the page number */
			__atomic_store_n((unsigned char *)page + 64 +
					     (ops & 63),
					 (unsigned char)ops, __ATOMIC_RELAXED);
		ops++; /* the get was done and checked */
		if ((ret = sys->put(bp, page, dirty)) != 0) {
			fault_call(&w->f, ret, "put", pg);
			break;
		}
	}
	w->ops = ops;
	w->f.checked = ops;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (w->lat != NULL)
		worker_loop(w, 1);
	else
		worker_loop(w, 0);
	return NULL;
}

/* The peer's way to get clean victims (WB_ON, no flushers): trickle,
 * sleep, until the timed period ends. */
static void *trickle_main(void *arg)
{
	struct crew *c = arg;
	const struct timespec pause = {
	    .tv_sec = opt.trickle_pause_us / 1000000,
	    .tv_nsec = (long)(opt.trickle_pause_us % 1000000) * 1000,
	};

	pthread_barrier_wait(&c->start);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		int nwrote = 0, ret;

		if ((ret = c->sys->trickle(c->bp, opt.trickle_pct, &nwrote)) !=
		    0) {
			c->trickle_err = ret;
			break;
		}
		c->trickle_calls++;
		c->trickle_pages += (uint64_t)(nwrote > 0 ? nwrote : 0);
		if (opt.trickle_pause_us > 0)
			nanosleep(&pause, NULL);
	}
	return NULL;
}

static void spawn(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	int ret = pthread_create(tid, NULL, fn, arg);

	if (ret != 0)
		die("pthread_create: %s", strerror(ret));
}

void crew_start(struct crew *c, const uint64_t *seeds)
{
	size_t bytes = sizeof(*c->w) * (size_t)c->nthreads;
	int ret;

	if ((c->w = aligned_alloc(128, bytes)) == NULL)
		die("out of memory");
	memset(c->w, 0, bytes);
	if ((ret = pthread_barrier_init(
		 &c->start, NULL,
		 (unsigned)(c->nthreads + 1 + c->trickling))) != 0)
		die("pthread_barrier_init: %s", strerror(ret));
	if (c->trickling)
		spawn(&c->trickle_tid, trickle_main, c);
	for (int i = 0; i < c->nthreads; i++) {
		c->w[i].crew = c;
		c->w[i].seed = seeds[i];
		if (c->wl.timed &&
		    (c->w[i].lat = calloc(1, sizeof(struct lat_hist))) == NULL)
			die("out of memory");
		spawn(&c->w[i].tid, worker_main, &c->w[i]);
	}
}

void crew_time(struct crew *c, double seconds)
{
	struct timespec until;
	double end;

	pthread_barrier_wait(&c->start);
	c->secs = bench_now();
	end = c->secs + seconds;
	until =
	    (struct timespec){(time_t)end, (long)((end - floor(end)) * 1e9)};
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) ==
	       EINTR)
		;
	atomic_store(&c->stop, 1);
	for (int i = 0; i < c->nthreads; i++)
		pthread_join(c->w[i].tid, NULL);
	c->secs = bench_now() - c->secs;
	if (c->trickling)
		pthread_join(c->trickle_tid, NULL);
	pthread_barrier_destroy(&c->start);
}

void crew_free(struct crew *c, struct run_result *rr)
{
	struct lat_hist *lat = c->w[0].lat; /* the others merged into it */

	for (int i = 1; lat != NULL && i < c->nthreads; i++) {
		for (unsigned b = 0; b < LAT_NBUCKETS; b++)
			lat->count[b] += c->w[i].lat->count[b];
		lat->n += c->w[i].lat->n;
		if (c->w[i].lat->max > lat->max)
			lat->max = c->w[i].lat->max;
		free(c->w[i].lat);
	}
	if (lat != NULL) {
		rr->gets_timed = lat->n;
		rr->p99_all_us = (double)lat_quantile(lat, lat->n, 0.99) / 1e3;
		rr->p99_miss_us =
		    (double)lat_quantile(lat, rr->misses, 0.99) / 1e3;
	}
	free(lat);
	free(c->w);
	c->w = NULL;
}
