/*
 * bench_main.c - the benchmark driver: lfmpool against Berkeley DB 5.3's
 * mpool in the same process, on the same workloads, alternating runs.
 *
 * Each cell (workload x thread count) runs --runs times per system; run r
 * does lfmpool then BDB when r is even and BDB then lfmpool when r is odd,
 * so both see the same machine noise. A run opens a fresh pool on the
 * system's own copy of the data file, warms it by touching every page once
 * in order (this preloads the whole file where the pool can hold it, and
 * fills the pool otherwise), then starts the worker threads together on a
 * barrier and lets them loop (get a page, check it, maybe write a byte, put
 * it) for --seconds, timed with CLOCK_MONOTONIC. Every page returned is
 * checked: offset 0 holds its page number. A wrong page or an error fails
 * the benchmark (exit status 1) after the report.
 *
 * The report (Markdown) goes to stdout; progress goes to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define FILE_PAGES  16384u /* pages in each data file */
#define MAX_THREADS 256
#define MAX_RUNS    1000
#define NSYS	    2 /* 0: lfmpool, 1: BDB */
#define ZIPF_THETA  0.99

/* ------------------------------------------------------------------ */
/* Workloads                                                           */

enum dist { DIST_UNIFORM, DIST_ZIPF };

struct workload {
	const char *name;
	const char *desc;
	uint32_t frames; /* pool size in pages */
	enum dist dist;
	uint32_t range;	      /* pages drawn from [0, range) */
	uint32_t dirty_every; /* every Nth op of a thread dirties; 0: none */
};

static const struct workload workloads[] = {
    {"hit-uniform", "uniform over all 16384 pages, pool holds all", FILE_PAGES,
     DIST_UNIFORM, FILE_PAGES, 0},
    {"hit-hot256", "uniform over pages 0-255, pool holds all 16384", FILE_PAGES,
     DIST_UNIFORM, 256, 0},
    {"hit-zipf", "Zipf(0.99) over 16384 pages (page 0 hottest), pool holds all",
     FILE_PAGES, DIST_ZIPF, FILE_PAGES, 0},
    {"miss-uniform", "uniform over 16384 pages, 2048-page pool, reads only",
     2048, DIST_UNIFORM, FILE_PAGES, 0},
    {"dirty", "as miss-uniform, 1 put in 4 dirty (a byte written)", 2048,
     DIST_UNIFORM, FILE_PAGES, 4},
};
#define NWORKLOADS ((int)(sizeof(workloads) / sizeof(workloads[0])))

/* ------------------------------------------------------------------ */
/* Random numbers: splitmix64 seeds xoshiro256**, one generator per thread */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* ------------------------------------------------------------------ */
/* Zipf(theta) over FILE_PAGES pages: Walker's alias table (Vose's build),
 * one 64-bit draw per sample: the high half picks a column, the low half
 * decides between the column and its alias. */

static uint32_t zipf_prob[FILE_PAGES]; /* keep column if low32 < prob */
static uint32_t zipf_alias[FILE_PAGES];
static double zipf_p[FILE_PAGES]; /* exact probabilities */

static void zipf_build(void)
{
	static double q[FILE_PAGES];
	static uint32_t small[FILE_PAGES], large[FILE_PAGES];
	const uint32_t n = FILE_PAGES;
	uint32_t ns = 0, nl = 0;
	double zeta = 0;

	for (uint32_t i = 0; i < n; i++)
		zeta += 1.0 / pow((double)(i + 1), ZIPF_THETA);
	for (uint32_t i = 0; i < n; i++) {
		zipf_p[i] = 1.0 / pow((double)(i + 1), ZIPF_THETA) / zeta;
		q[i] = zipf_p[i] * n;
		zipf_alias[i] = i;
		if (q[i] < 1.0)
			small[ns++] = i;
		else
			large[nl++] = i;
	}
	while (ns > 0 && nl > 0) {
		uint32_t s = small[--ns], l = large[nl - 1];

		long long fixed = llround(q[s] * 4294967296.0);

		zipf_prob[s] = fixed > (long long)UINT32_MAX ? UINT32_MAX
							     : (uint32_t)fixed;
		zipf_alias[s] = l;
		q[l] -= 1.0 - q[s];
		if (q[l] < 1.0) {
			nl--;
			small[ns++] = l;
		}
	}
	/* What is left has probability 1 (up to rounding). */
	while (nl > 0)
		zipf_prob[large[--nl]] = UINT32_MAX;
	while (ns > 0)
		zipf_prob[small[--ns]] = UINT32_MAX;
}

/* The table must give back the distribution it was built from. */
static int zipf_check(void)
{
	static double got[FILE_PAGES];
	const double n = FILE_PAGES;
	double worst = 0, total = 0;

	memset(got, 0, sizeof(got));
	for (uint32_t i = 0; i < FILE_PAGES; i++) {
		double keep = zipf_prob[i] == UINT32_MAX
				  ? 1.0
				  : zipf_prob[i] / 4294967296.0;

		got[i] += keep / n;
		got[zipf_alias[i]] += (1.0 - keep) / n;
	}
	for (uint32_t i = 0; i < FILE_PAGES; i++) {
		double e = fabs(got[i] - zipf_p[i]) / zipf_p[i];

		total += got[i];
		if (e > worst)
			worst = e;
	}
	if (worst > 1e-6 || fabs(total - 1.0) > 1e-9) {
		fprintf(
		    stderr,
		    "mpool_bench: Zipf table is wrong (worst relative error "
		    "%g, total %.12f)\n",
		    worst, total);
		return -1;
	}
	return 0;
}

static inline uint32_t next_page(struct rng *r, const struct workload *wl)
{
	uint64_t x = rng_next(r);
	uint32_t col;

	if (wl->dist == DIST_UNIFORM)
		return (uint32_t)(((x >> 32) * wl->range) >> 32);
	col = (uint32_t)(((x >> 32) * FILE_PAGES) >> 32);
	return (uint32_t)x < zipf_prob[col] ? col : zipf_alias[col];
}

/* ------------------------------------------------------------------ */
/* Options and state                                                   */

static struct {
	int wl_on[NWORKLOADS];
	int threads[64];
	int nthreads;
	double seconds;
	int runs;
	const char *csv_path;
	int bdb_same_bytes; /* --bdb-sizing=bytes */
	uint64_t seed;
} opt;

static const struct bench_sys *systems[NSYS] = {&bench_lfm_sys, &bench_bdb_sys};
static const char *sys_csv_name[NSYS] = {"lfmpool", "bdb5.3"};

/* The temp directory and the two data files (one per system, identical). */
static char g_dir[PATH_MAX];
static char g_path[NSYS][PATH_MAX + 32];

/* What one timed run produced. */
struct run_result {
	int done;
	double ops_per_sec;
	uint64_t ops;
	uint64_t hits, misses;	 /* over the timed period */
	uint64_t held_warm;	 /* pages in the cache after the warm-up */
	uint64_t held_end;	 /* ... at the end of the timed period */
	uint64_t cache_bytes;	 /* as the system reports it */
	uint64_t checked, wrong; /* gets checked, wrong pages among them */
	uint64_t errors;	 /* failed calls */
};

static struct run_result *g_res; /* [w][t][sys][run] */
static size_t g_cache_bytes[NWORKLOADS][NSYS];
static uint64_t g_bdb_held_same_bytes[NWORKLOADS]; /* pages-mode info */
static int g_failed;
static FILE *g_csv;

static struct run_result *res_at(int w, int t, int s, int r)
{
	return &g_res[(((size_t)w * (size_t)opt.nthreads + (size_t)t) * NSYS +
		       (size_t)s) *
			  (size_t)opt.runs +
		      (size_t)r];
}

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("mpool_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ------------------------------------------------------------------ */
/* Temp files, removed at exit and on a signal                         */

static void remove_files(void)
{
	/* unlink and rmdir only: async-signal-safe */
	for (int s = 0; s < NSYS; s++)
		if (g_path[s][0] != '\0')
			unlink(g_path[s]);
	if (g_dir[0] != '\0')
		rmdir(g_dir);
}

static void on_signal(int sig)
{
	static const char hang[] =
	    "mpool_bench: FAILED: watchdog: a run did not finish in time "
	    "(hang?)\n";
	static const char intr[] = "mpool_bench: interrupted\n";

	if (sig == SIGALRM) {
		ssize_t n = write(2, hang, sizeof(hang) - 1);
		(void)n;
	} else {
		ssize_t n = write(2, intr, sizeof(intr) - 1);
		(void)n;
	}
	remove_files();
	_exit(sig == SIGALRM ? 3 : 130);
}

static void make_files(void)
{
	const char *base = getenv("TMPDIR");
	static unsigned char buf[64 * BENCH_PAGE_SIZE];

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if ((size_t)snprintf(g_dir, sizeof(g_dir), "%s/mpool-bench.XXXXXX",
			     base) >= sizeof(g_dir))
		die("TMPDIR too long");
	if (mkdtemp(g_dir) == NULL) {
		int e = errno;

		g_dir[0] = '\0';
		die("mkdtemp under %s: %s", base, strerror(e));
	}
	for (int s = 0; s < NSYS; s++) {
		int fd;

		if ((size_t)snprintf(g_path[s], sizeof(g_path[s]), "%s/%s.db",
				     g_dir,
				     sys_csv_name[s]) >= sizeof(g_path[s]))
			die("TMPDIR too long");
		if ((fd = open(g_path[s], O_CREAT | O_EXCL | O_WRONLY, 0644)) <
		    0)
			die("create %s: %s", g_path[s], strerror(errno));
		for (uint32_t pg = 0; pg < FILE_PAGES; pg += 64) {
			for (uint32_t k = 0; k < 64; k++) {
				unsigned char *p = buf + k * BENCH_PAGE_SIZE;
				uint32_t pgno = pg + k;

				memset(p, (int)(pgno & 0xff), BENCH_PAGE_SIZE);
				memcpy(p, &pgno, sizeof(pgno));
			}
			if (pwrite(fd, buf, sizeof(buf),
				   (off_t)pg * BENCH_PAGE_SIZE) !=
			    (ssize_t)sizeof(buf))
				die("write %s: %s", g_path[s], strerror(errno));
		}
		if (close(fd) != 0)
			die("close %s: %s", g_path[s], strerror(errno));
	}
}

/* ------------------------------------------------------------------ */
/* One run                                                              */

struct worker {
	pthread_t tid;
	const struct bench_sys *sys;
	bench_pool *bp;
	const struct workload *wl;
	uint64_t seed;
	uint64_t ops, wrong;
	uint32_t bad_want, bad_got; /* first wrong page */
	int err;		    /* first error */
	const char *err_op;
	uint32_t err_pgno;
} __attribute__((aligned(128)));

static pthread_barrier_t g_start;
static atomic_int g_stop;

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct bench_sys *sys = w->sys;
	const struct workload *wl = w->wl;
	bench_pool *bp = w->bp;
	const uint32_t every = wl->dirty_every;
	uint32_t k = 0;
	uint64_t ops = 0, wrong = 0;
	struct rng r;

	rng_seed(&r, w->seed);
	pthread_barrier_wait(&g_start);
	while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
		uint32_t pg = next_page(&r, wl), got;
		int dirty = 0, ret;
		void *page;

		if (every != 0 && ++k == every) {
			k = 0;
			dirty = 1;
		}
		if ((ret = sys->get(bp, pg, dirty, &page)) != 0) {
			w->err = ret;
			w->err_op = "get";
			w->err_pgno = pg;
			break;
		}
		memcpy(&got, page, sizeof(got));
		if (got != pg) {
			if (wrong++ == 0) {
				w->bad_want = pg;
				w->bad_got = got;
			}
		}
		if (dirty) /* one byte, away from the page number */
			__atomic_store_n((unsigned char *)page + 64 +
					     (ops & 63),
					 (unsigned char)ops, __ATOMIC_RELAXED);
		if ((ret = sys->put(bp, page, dirty)) != 0) {
			w->err = ret;
			w->err_op = "put";
			w->err_pgno = pg;
			ops++; /* the get was done and checked */
			break;
		}
		ops++;
	}
	w->ops = ops;
	w->wrong = wrong;
	return NULL;
}

static double ts_sec(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec * 1e-9;
}

static void report_error(const struct bench_sys *sys, const char *what,
			 const char *wl, int nthreads, const char *op,
			 uint32_t pgno, int err)
{
	fprintf(stderr,
		"mpool_bench: FAILED: %s: %s (workload %s, %d threads): "
		"%s of page %u: %s (%d)\n",
		sys->name, what, wl, nthreads, op, pgno, sys->strerror(err),
		err);
	g_failed = 1;
}

/*
 * Warm the pool: get and check every page of the file once, in order.
 * Returns 0, or -1 after reporting a failure.
 */
static int warm(const struct bench_sys *sys, bench_pool *bp, const char *wl,
		int nthreads, struct run_result *rr)
{
	for (uint32_t pg = 0; pg < FILE_PAGES; pg++) {
		void *page;
		uint32_t got;
		int ret;

		if ((ret = sys->get(bp, pg, 0, &page)) != 0) {
			rr->errors++;
			report_error(sys, "warm-up", wl, nthreads, "get", pg,
				     ret);
			return -1;
		}
		rr->checked++;
		memcpy(&got, page, sizeof(got));
		if (got != pg) {
			if (rr->wrong++ == 0)
				fprintf(stderr,
					"mpool_bench: FAILED: %s: warm-up "
					"(workload %s): asked for page %u, "
					"got page %u\n",
					sys->name, wl, pg, got);
			g_failed = 1;
		}
		if ((ret = sys->put(bp, page, 0)) != 0) {
			rr->errors++;
			report_error(sys, "warm-up", wl, nthreads, "put", pg,
				     ret);
			return -1;
		}
	}
	return 0;
}

static void run_one(int s, int w, int t, int run, size_t cache_bytes,
		    struct run_result *rr)
{
	const struct bench_sys *sys = systems[s];
	const struct workload *wl = &workloads[w];
	const int nthreads = opt.threads[t];
	struct worker *workers;
	struct bench_stats st0, st1;
	struct timespec t0, t1, until;
	bench_pool *bp;
	int ret, nstarted = 0;

	memset(rr, 0, sizeof(*rr));
	/* Watchdog: open + warm-up + the timed period + generous slack. */
	alarm((unsigned)(opt.seconds * 4) + 120);

	if ((ret = sys->open(g_dir, g_path[s], cache_bytes, &bp)) != 0) {
		rr->errors++;
		fprintf(stderr,
			"mpool_bench: FAILED: %s: open pool of %zu bytes on "
			"%s: %s (%d)\n",
			sys->name, cache_bytes, g_path[s], sys->strerror(ret),
			ret);
		g_failed = 1;
		alarm(0);
		return;
	}
	if (warm(sys, bp, wl->name, nthreads, rr) != 0)
		goto out;
	if ((ret = sys->stats(bp, &st0)) != 0) {
		rr->errors++;
		report_error(sys, "stats", wl->name, nthreads, "stat", 0, ret);
		goto out;
	}
	rr->held_warm = st0.pages_held;

	workers = aligned_alloc(128, sizeof(*workers) * (size_t)nthreads);
	if (workers == NULL)
		die("out of memory");
	memset(workers, 0, sizeof(*workers) * (size_t)nthreads);
	atomic_store(&g_stop, 0);
	if ((ret = pthread_barrier_init(&g_start, NULL,
					(unsigned)nthreads + 1)) != 0)
		die("pthread_barrier_init: %s", strerror(ret));
	for (int i = 0; i < nthreads; i++) {
		uint64_t x = opt.seed ^ ((uint64_t)w << 48) ^
			     ((uint64_t)t << 40) ^ ((uint64_t)run << 20) ^
			     (uint64_t)i;

		workers[i].sys = sys;
		workers[i].bp = bp;
		workers[i].wl = wl;
		/* The same streams for both systems in the same run. */
		workers[i].seed = splitmix64(&x);
		if ((ret = pthread_create(&workers[i].tid, NULL, worker_main,
					  &workers[i])) != 0)
			die("pthread_create: %s", strerror(ret));
		nstarted++;
	}
	pthread_barrier_wait(&g_start);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	until = t0;
	until.tv_sec += (time_t)opt.seconds;
	until.tv_nsec += (long)((opt.seconds - floor(opt.seconds)) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) ==
	       EINTR)
		;
	atomic_store(&g_stop, 1);
	for (int i = 0; i < nstarted; i++)
		pthread_join(workers[i].tid, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_barrier_destroy(&g_start);

	for (int i = 0; i < nthreads; i++) {
		struct worker *wk = &workers[i];

		rr->ops += wk->ops;
		rr->checked += wk->ops;
		if (wk->wrong != 0) {
			fprintf(stderr,
				"mpool_bench: FAILED: %s: %s, %d threads, run "
				"%d, thread %d: %llu wrong pages (first: "
				"asked for page %u, got page %u)\n",
				sys->name, wl->name, nthreads, run + 1, i,
				(unsigned long long)wk->wrong, wk->bad_want,
				wk->bad_got);
			rr->wrong += wk->wrong;
			g_failed = 1;
		}
		if (wk->err != 0) {
			rr->errors++;
			report_error(sys, "timed run", wl->name, nthreads,
				     wk->err_op, wk->err_pgno, wk->err);
		}
	}
	free(workers);
	rr->ops_per_sec = (double)rr->ops / (ts_sec(&t1) - ts_sec(&t0));

	if ((ret = sys->stats(bp, &st1)) != 0) {
		rr->errors++;
		report_error(sys, "stats", wl->name, nthreads, "stat", 0, ret);
		goto out;
	}
	rr->hits = st1.hits - st0.hits;
	rr->misses = st1.misses - st0.misses;
	rr->held_end = st1.pages_held;
	rr->cache_bytes = st1.cache_bytes;
	rr->done = rr->errors == 0;
out:
	if ((ret = sys->close(bp)) != 0) {
		rr->errors++;
		rr->done = 0;
		fprintf(stderr, "mpool_bench: FAILED: %s: close: %s (%d)\n",
			sys->name, sys->strerror(ret), ret);
		g_failed = 1;
	}
	alarm(0);
}

/* ------------------------------------------------------------------ */
/* Cache sizing                                                         */

/* Pages BDB holds after the warm-up with a cache of `bytes`; 0 on error. */
static uint64_t bdb_pages_held(size_t bytes)
{
	const struct bench_sys *sys = systems[1];
	struct run_result rr;
	struct bench_stats st;
	bench_pool *bp;
	uint64_t held = 0;
	int ret;

	memset(&rr, 0, sizeof(rr));
	alarm(120);
	if ((ret = sys->open(g_dir, g_path[1], bytes, &bp)) != 0)
		die("%s: open with a %zu-byte cache: %s", sys->name, bytes,
		    sys->strerror(ret));
	if (warm(sys, bp, "cache-sizing", 1, &rr) == 0 &&
	    (ret = sys->stats(bp, &st)) == 0)
		held = st.pages_held;
	if ((ret = sys->close(bp)) != 0)
		die("%s: close: %s", sys->name, sys->strerror(ret));
	alarm(0);
	return held;
}

/*
 * lfmpool holds exactly frames pages in frames * 4096 bytes. BDB keeps its
 * buffer headers and hash table inside the cache size (and adds 25% to
 * small caches), so by default (--bdb-sizing=pages) BDB's size is searched
 * for so that it holds the same number of pages after the warm-up (all of
 * the file for the hit workloads). With --bdb-sizing=bytes it gets the
 * same byte budget.
 */
static void size_caches(void)
{
	for (int w = 0; w < NWORKLOADS; w++) {
		const uint64_t target = workloads[w].frames;
		size_t bytes = (size_t)target * BENCH_PAGE_SIZE, best;
		uint64_t held, best_held;

		if (!opt.wl_on[w])
			continue;
		g_cache_bytes[w][0] = bytes;
		/* Same-frame workloads share one answer. */
		for (int v = 0; v < w; v++)
			if (opt.wl_on[v] && workloads[v].frames == target) {
				g_cache_bytes[w][1] = g_cache_bytes[v][1];
				g_bdb_held_same_bytes[w] =
				    g_bdb_held_same_bytes[v];
				goto next;
			}
		held = bdb_pages_held(bytes);
		if (held == 0)
			die("BDB holds no pages with a %zu-byte cache", bytes);
		g_bdb_held_same_bytes[w] = held;
		best = bytes;
		best_held = held;
		if (!opt.bdb_same_bytes) {
			/* Proportional steps until the answer is bracketed
			 * (lo holds too few, hi too many), then bisection. */
			size_t lo = 0, hi = 0;

			for (int it = 0; it < 20 && best_held != target; it++) {
				size_t next;

				if (held < target)
					lo = bytes;
				else
					hi = bytes;
				if (lo != 0 && hi != 0) {
					if (hi - lo <= 64)
						break;
					next = lo + (hi - lo) / 2;
				} else if (held < target &&
					   target >= FILE_PAGES) {
					next = (size_t)((double)bytes * 1.1);
				} else {
					next = (size_t)((double)bytes *
							(double)target /
							(double)held);
				}
				bytes = next;
				if ((held = bdb_pages_held(bytes)) == 0)
					die("BDB holds no pages with a "
					    "%zu-byte cache",
					    bytes);
				/* Closest; on a tie, the one not below. */
				if (llabs((long long)held - (long long)target) <
					llabs((long long)best_held -
					      (long long)target) ||
				    (llabs((long long)held -
					   (long long)target) ==
					 llabs((long long)best_held -
					       (long long)target) &&
				     held > best_held)) {
					best = bytes;
					best_held = held;
				}
			}
		}
		g_cache_bytes[w][1] = best;
		fprintf(stderr,
			"mpool_bench: %s: lfmpool %llu frames (%zu bytes); "
			"BDB set_cachesize %zu bytes holds %llu pages\n",
			workloads[w].name, (unsigned long long)target,
			g_cache_bytes[w][0], best,
			(unsigned long long)best_held);
	next:;
	}
}

/* ------------------------------------------------------------------ */
/* Report                                                               */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median ops/s of the completed runs of one system in one cell; -1: none */
static double median_ops(int w, int t, int s)
{
	double v[MAX_RUNS];
	int n = 0;

	for (int r = 0; r < opt.runs; r++) {
		struct run_result *rr = res_at(w, t, s, r);

		if (rr->done && rr->wrong == 0)
			v[n++] = rr->ops_per_sec;
	}
	if (n == 0)
		return -1;
	qsort(v, (size_t)n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void fmt_mops(char *buf, size_t len, double ops)
{
	if (ops < 0)
		snprintf(buf, len, "FAILED");
	else
		snprintf(buf, len, "%.3f", ops / 1e6);
}

static void fmt_hit(char *buf, size_t len, uint64_t hits, uint64_t misses)
{
	if (hits + misses == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f%%",
			 100.0 * (double)hits / (double)(hits + misses));
}

static int cpu_count(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, len, "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, len, "%s", colon);
			break;
		}
	}
	fclose(f);
}

static void print_header(void)
{
	struct utsname u;
	char date[64], model[256];
	time_t now = time(NULL);

	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	cpu_model(model, sizeof(model));
	printf("# lfmpool vs Berkeley DB 5.3 mpool\n\n");
	printf("- date: %s\n", date);
	printf("- machine: nproc %d, %s %s %s, CPU %s\n", cpu_count(),
	       u.sysname, u.release, u.machine, model);
	printf("- libraries: %s; %s\n", systems[0]->version(),
	       systems[1]->version());
	printf("- method: 4 KiB pages, %u-page data file per system; each op "
	       "is get, read the page number at offset 0 (checked), "
	       "maybe write a byte, put; %.2f s per run, %d runs per system "
	       "per cell, lfmpool and BDB alternating; medians reported; "
	       "ratio = lfmpool / BDB\n",
	       FILE_PAGES, opt.seconds, opt.runs);
	printf("- BDB cache sizing: %s\n",
	       opt.bdb_same_bytes
		   ? "same byte budget as lfmpool (pages x 4096); BDB keeps "
		     "its buffer headers inside it, see the pages each holds "
		     "below"
		   : "sized to hold the same number of pages as lfmpool "
		     "(cache size searched for; see below)");
	printf("- workloads:\n");
	for (int w = 0; w < NWORKLOADS; w++)
		if (opt.wl_on[w])
			printf("  - %s: %s\n", workloads[w].name,
			       workloads[w].desc);
	printf("\n");
}

static void print_report(void)
{
	char a[32], b[32], c[32];

	printf("## Throughput\n\n");
	printf("| workload | threads | lfmpool Mops/s (median) | BDB 5.3 "
	       "Mops/s (median) | ratio |\n");
	printf("|---|---:|---:|---:|---:|\n");
	for (int w = 0; w < NWORKLOADS; w++) {
		if (!opt.wl_on[w])
			continue;
		for (int t = 0; t < opt.nthreads; t++) {
			double l = median_ops(w, t, 0), d = median_ops(w, t, 1);

			fmt_mops(a, sizeof(a), l);
			fmt_mops(b, sizeof(b), d);
			if (l > 0 && d > 0)
				snprintf(c, sizeof(c), "%.2f", l / d);
			else
				snprintf(c, sizeof(c), "-");
			printf("| %s | %d | %s | %s | %s |\n",
			       workloads[w].name, opt.threads[t], a, b, c);
		}
	}

	printf("\n## Hit rate over the timed periods (all runs)\n\n");
	printf("| workload | threads | lfmpool hit rate | BDB 5.3 hit rate | "
	       "lfmpool pages held | BDB pages held |\n");
	printf("|---|---:|---:|---:|---:|---:|\n");
	for (int w = 0; w < NWORKLOADS; w++) {
		if (!opt.wl_on[w])
			continue;
		for (int t = 0; t < opt.nthreads; t++) {
			uint64_t h[NSYS] = {0}, m[NSYS] = {0}, held[NSYS] = {0};

			for (int s = 0; s < NSYS; s++)
				for (int r = 0; r < opt.runs; r++) {
					struct run_result *rr =
					    res_at(w, t, s, r);

					if (!rr->done)
						continue;
					h[s] += rr->hits;
					m[s] += rr->misses;
					held[s] = rr->held_end;
				}
			fmt_hit(a, sizeof(a), h[0], m[0]);
			fmt_hit(b, sizeof(b), h[1], m[1]);
			printf("| %s | %d | %s | %s | %llu | %llu |\n",
			       workloads[w].name, opt.threads[t], a, b,
			       (unsigned long long)held[0],
			       (unsigned long long)held[1]);
		}
	}

	printf("\n## Cache sizes\n\n");
	printf("| workload | lfmpool mp_size | lfmpool st_cachesize | "
	       "lfmpool pages held after warm-up | BDB set_cachesize | BDB "
	       "st_gbytes+st_bytes | BDB pages held after warm-up | BDB "
	       "pages held at lfmpool's byte budget |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int w = 0; w < NWORKLOADS; w++) {
		struct run_result *r0 = NULL, *r1 = NULL;

		if (!opt.wl_on[w])
			continue;
		for (int t = 0; t < opt.nthreads && (!r0 || !r1); t++)
			for (int r = 0; r < opt.runs; r++) {
				if (!r0 && res_at(w, t, 0, r)->done)
					r0 = res_at(w, t, 0, r);
				if (!r1 && res_at(w, t, 1, r)->done)
					r1 = res_at(w, t, 1, r);
			}
		printf(
		    "| %s | %zu | %llu | %llu | %zu | %llu | %llu | %llu |\n",
		    workloads[w].name, g_cache_bytes[w][0],
		    (unsigned long long)(r0 ? r0->cache_bytes : 0),
		    (unsigned long long)(r0 ? r0->held_warm : 0),
		    g_cache_bytes[w][1],
		    (unsigned long long)(r1 ? r1->cache_bytes : 0),
		    (unsigned long long)(r1 ? r1->held_warm : 0),
		    (unsigned long long)g_bdb_held_same_bytes[w]);
	}

	printf("\n## Correctness\n\n");
	for (int s = 0; s < NSYS; s++) {
		uint64_t checked = 0, wrong = 0, errors = 0;

		for (int w = 0; w < NWORKLOADS; w++)
			for (int t = 0; opt.wl_on[w] && t < opt.nthreads; t++)
				for (int r = 0; r < opt.runs; r++) {
					struct run_result *rr =
					    res_at(w, t, s, r);

					checked += rr->checked;
					wrong += rr->wrong;
					errors += rr->errors;
				}
		printf("- %s: %llu pages checked, %llu wrong, %llu errors%s\n",
		       systems[s]->name, (unsigned long long)checked,
		       (unsigned long long)wrong, (unsigned long long)errors,
		       wrong || errors ? " -- FAILED" : "");
	}
	if (g_failed)
		printf("\n**FAILED: see the errors above (stderr).**\n");
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* Options                                                              */

static void usage(FILE *f)
{
	fprintf(f, "usage: mpool_bench [--workload NAME[,NAME...]]... "
		   "[--threads N[,N...]]\n"
		   "                   [--seconds S] [--runs N] [--csv FILE] "
		   "[--bdb-sizing pages|bytes] [--seed N]\n"
		   "workloads:");
	for (int w = 0; w < NWORKLOADS; w++)
		fprintf(f, " %s", workloads[w].name);
	fprintf(f, " (default: all)\n"
		   "defaults: --threads 1,2,4,8 --seconds 1.0 --runs 5 "
		   "--bdb-sizing pages --seed 42\n");
}

static void parse_workloads(const char *arg)
{
	char *copy = strdup(arg), *save = NULL;

	if (copy == NULL)
		die("out of memory");
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		int found = 0;

		for (int w = 0; w < NWORKLOADS; w++)
			if (strcmp(tok, workloads[w].name) == 0 ||
			    strcmp(tok, "all") == 0) {
				opt.wl_on[w] = 1;
				found = 1;
			}
		if (!found) {
			fprintf(stderr, "mpool_bench: unknown workload '%s'\n",
				tok);
			usage(stderr);
			exit(2);
		}
	}
	free(copy);
}

static void parse_threads(const char *arg)
{
	char *copy = strdup(arg), *save = NULL;

	if (copy == NULL)
		die("out of memory");
	opt.nthreads = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long n = strtol(tok, &end, 10);

		if (*end != '\0' || n < 1 || n > MAX_THREADS ||
		    opt.nthreads ==
			(int)(sizeof(opt.threads) / sizeof(opt.threads[0]))) {
			fprintf(stderr, "mpool_bench: bad --threads '%s'\n",
				arg);
			exit(2);
		}
		opt.threads[opt.nthreads++] = (int)n;
	}
	free(copy);
	if (opt.nthreads == 0) {
		fprintf(stderr, "mpool_bench: empty --threads\n");
		exit(2);
	}
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"workload", required_argument, NULL, 'w'},
	    {"threads", required_argument, NULL, 't'},
	    {"seconds", required_argument, NULL, 's'},
	    {"runs", required_argument, NULL, 'r'},
	    {"csv", required_argument, NULL, 'c'},
	    {"bdb-sizing", required_argument, NULL, 'b'},
	    {"seed", required_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int any_wl = 0, c;
	char *end;

	opt.seconds = 1.0;
	opt.runs = 5;
	opt.seed = 42;
	parse_threads("1,2,4,8");
	while ((c = getopt_long(argc, argv, "w:t:s:r:c:b:S:h", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'w':
			parse_workloads(optarg);
			any_wl = 1;
			break;
		case 't':
			parse_threads(optarg);
			break;
		case 's':
			opt.seconds = strtod(optarg, &end);
			if (*end != '\0' || !(opt.seconds > 0) ||
			    opt.seconds > 3600) {
				fprintf(stderr, "mpool_bench: bad --seconds\n");
				exit(2);
			}
			break;
		case 'r':
			opt.runs = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || opt.runs < 1 ||
			    opt.runs > MAX_RUNS) {
				fprintf(stderr, "mpool_bench: bad --runs\n");
				exit(2);
			}
			break;
		case 'c':
			opt.csv_path = optarg;
			break;
		case 'b':
			if (strcmp(optarg, "pages") == 0)
				opt.bdb_same_bytes = 0;
			else if (strcmp(optarg, "bytes") == 0)
				opt.bdb_same_bytes = 1;
			else {
				fprintf(stderr,
					"mpool_bench: --bdb-sizing is pages "
					"or bytes\n");
				exit(2);
			}
			break;
		case 'S':
			opt.seed = strtoull(optarg, &end, 0);
			if (*end != '\0') {
				fprintf(stderr, "mpool_bench: bad --seed\n");
				exit(2);
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mpool_bench: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		exit(2);
	}
	if (!any_wl)
		for (int w = 0; w < NWORKLOADS; w++)
			opt.wl_on[w] = 1;
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	struct sigaction sa;

	parse_args(argc, argv);
	zipf_build();
	if (zipf_check() != 0)
		return 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	atexit(remove_files);

	if (opt.csv_path != NULL) {
		if ((g_csv = fopen(opt.csv_path, "w")) == NULL)
			die("open %s: %s", opt.csv_path, strerror(errno));
		fprintf(g_csv, "workload,threads,system,run,ops_per_sec\n");
	}
	g_res = calloc((size_t)NWORKLOADS * (size_t)opt.nthreads * NSYS *
			   (size_t)opt.runs,
		       sizeof(*g_res));
	if (g_res == NULL)
		die("out of memory");

	print_header();
	fflush(stdout);
	make_files();
	size_caches();

	for (int w = 0; w < NWORKLOADS; w++) {
		if (!opt.wl_on[w])
			continue;
		for (int t = 0; t < opt.nthreads; t++)
			for (int r = 0; r < opt.runs; r++) {
				/* ABAB...: lfm first on even runs. */
				for (int k = 0; k < NSYS; k++) {
					int s = (r % 2 == 0) ? k : NSYS - 1 - k;
					struct run_result *rr =
					    res_at(w, t, s, r);

					run_one(s, w, t, r, g_cache_bytes[w][s],
						rr);
					if (g_csv != NULL && rr->done) {
						fprintf(g_csv,
							"%s,%d,%s,%d,%.0f\n",
							workloads[w].name,
							opt.threads[t],
							sys_csv_name[s], r + 1,
							rr->ops_per_sec);
						fflush(g_csv);
					}
				}
				fprintf(stderr,
					"[%s, %d threads, run %d/%d] lfmpool "
					"%.3f Mops/s, BDB %.3f Mops/s\n",
					workloads[w].name, opt.threads[t],
					r + 1, opt.runs,
					res_at(w, t, 0, r)->ops_per_sec / 1e6,
					res_at(w, t, 1, r)->ops_per_sec / 1e6);
			}
	}

	print_report();
	if (g_csv != NULL && fclose(g_csv) != 0)
		die("write %s: %s", opt.csv_path, strerror(errno));
	if (g_failed) {
		fprintf(stderr, "mpool_bench: FAILED (wrong pages or errors; "
				"see above)\n");
		return 1;
	}
	return 0;
}
