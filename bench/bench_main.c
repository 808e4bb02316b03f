/*
 * bench_main.c - the benchmark driver: lfmpool against Berkeley DB 5.3's
 * mpool in the same process, on the same workloads, alternating runs.
 * Beside them runs one reference, so that lfmpool is also measured against
 * a bound: in the hit workloads the bare probe (bench_bare.c, --no-bare:
 * off), the least any pool can do per hit; in the
 * miss workloads the pread floor (bench_floor.c, --no-floor: off), one
 * pread of the page per get, the least a pool reading misses with pread
 * must do (lfmpool copies them from a mapping, so it can beat it).
 *
 * Each cell (workload x thread count) runs --runs times per system; run r
 * does lfmpool then BDB (then the reference) when r is even and the reverse
 * when r is odd, so all see the same machine noise. A run opens a fresh pool
 * on the system's own copy of the data file, warms it by touching every page
 * once in order (this preloads the whole file where the pool can hold it, and
 * fills the pool otherwise), then starts the worker threads together on a
 * barrier and lets them loop (get a page, check it, maybe write a byte, put
 * it) for --seconds, timed with CLOCK_MONOTONIC. Every page returned is
 * checked: offset 0 holds its page number. A wrong page or an error fails
 * the benchmark (exit status 1) after the report.
 *
 * The two-file workloads (mixed-shift-*) warm the pool on a data file of
 * one page size, then open one of the other page size in the same pool
 * and time gets of it: how the pool's memory follows the move.
 *
 * The report (Markdown) goes to stdout (--data: the medians also as a table
 * for bench/plot.sh); progress, one line per cell, goes to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_dist.h"
#include "bench_lat.h"
#include "bench_opts.h"
#include "bench_report.h"
#include "bench_state.h"
#include "bench_util.h"

/* ------------------------------------------------------------------ */
/* State of this file                                                  */

/* The temp directory and the data files (one per system that runs,
 * identical). */
static char g_dir[PATH_MAX];
static char g_path[NSYS][PATH_MAX + 32];
/* The two-file workloads' second data file: 8 KiB pages, the same bytes. */
static char g_path_large[NSYS][PATH_MAX + 32];
/* The BIG_FILE_PAGES-page file of the workloads that name it (file_pages);
 * made only when one of them runs. */
static char g_path_big[NSYS][PATH_MAX + 32];
static FILE *g_csv; /* --csv */

/* ------------------------------------------------------------------ */
/* Temp files, removed at exit and on a signal                         */

static void remove_files(void)
{
	/* unlink and rmdir only: async-signal-safe */
	for (int s = 0; s < NSYS; s++) {
		if (g_path[s][0] != '\0')
			unlink(g_path[s]);
		if (g_path_large[s][0] != '\0')
			unlink(g_path_large[s]);
		if (g_path_big[s][0] != '\0')
			unlink(g_path_big[s]);
	}
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

/* A fatal signal: remove the files, then die of the signal as before
 * (SA_RESETHAND restored the default action; the faulting instruction runs
 * again, or the signal is raised again). */
static void on_fatal(int sig)
{
	static const char msg[] =
	    "mpool_bench: FAILED: fatal signal; data files removed\n";
	ssize_t n = write(2, msg, sizeof(msg) - 1);

	(void)n;
	remove_files();
	raise(sig);
}

/* A data file of `bytes4k` * BENCH_PAGE_SIZE bytes in pages of `pagesize`
 * bytes, each holding its page number at offset 0. */
static void make_file(const char *path, uint32_t pagesize, uint32_t bytes4k)
{
	static unsigned char buf[64 * BENCH_PAGE_SIZE];
	const uint32_t per = (uint32_t)sizeof(buf) / pagesize;
	const uint32_t pages = bytes4k / (pagesize / BENCH_PAGE_SIZE);
	int fd;

	if ((fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644)) < 0)
		die("create %s: %s", path, strerror(errno));
	for (uint32_t pg = 0; pg < pages; pg += per) {
		for (uint32_t k = 0; k < per; k++) {
			unsigned char *p = buf + k * pagesize;
			uint32_t pgno = pg + k;

			memset(p, (int)(pgno & 0xff), pagesize);
			memcpy(p, &pgno, sizeof(pgno));
		}
		if (pwrite(fd, buf, sizeof(buf), (off_t)pg * pagesize) !=
		    (ssize_t)sizeof(buf))
			die("write %s: %s", path, strerror(errno));
	}
	if (close(fd) != 0)
		die("close %s: %s", path, strerror(errno));
}

static void make_files(void)
{
	const char *base = getenv("TMPDIR");
	int two_files = 0;

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
	for (int w = 0; w < NWORKLOADS; w++)
		two_files |= opt.wl_on[w] && workloads[w].run_pagesize != 0;
	for (int s = 0; s < NSYS; s++) {
		int usual = 0, big = 0; /* the files system s reads */

		for (int w = 0; w < NWORKLOADS; w++)
			if (opt.wl_on[w] && sys_on(w, s)) {
				big |= workloads[w].file_pages != 0;
				usual |= workloads[w].file_pages == 0;
			}
		if (big) {
			if ((size_t)snprintf(
				g_path_big[s], sizeof(g_path_big[s]),
				"%s/%s-big.db", g_dir,
				sys_csv_name[s]) >= sizeof(g_path_big[s]))
				die("TMPDIR too long");
			make_file(g_path_big[s], BENCH_PAGE_SIZE,
				  BIG_FILE_PAGES);
		}
		if (!usual)
			continue;
		if ((size_t)snprintf(g_path[s], sizeof(g_path[s]), "%s/%s.db",
				     g_dir,
				     sys_csv_name[s]) >= sizeof(g_path[s]))
			die("TMPDIR too long");
		make_file(g_path[s], BENCH_PAGE_SIZE, FILE_PAGES);
		if (!two_files || s >= SYS_BARE)
			continue;
		if ((size_t)snprintf(g_path_large[s], sizeof(g_path_large[s]),
				     "%s/%s-8k.db", g_dir, sys_csv_name[s]) >=
		    sizeof(g_path_large[s]))
			die("TMPDIR too long");
		make_file(g_path_large[s], BENCH_PAGE_SIZE_LARGE, FILE_PAGES);
	}
}

/* System s's 4 KiB data file for workload w (the one it opens). */
static const char *file_of(int s, int w)
{
	return workloads[w].file_pages != 0 ? g_path_big[s] : g_path[s];
}

/* System s's data file of `pagesize` byte pages. */
static const char *data_path(int s, uint32_t pagesize)
{
	return pagesize == BENCH_PAGE_SIZE_LARGE ? g_path_large[s] : g_path[s];
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
	struct lat_hist *lat; /* timed workloads: every get's latency (ns) */
} __attribute__((aligned(128)));

static pthread_barrier_t g_start;
static atomic_int g_stop;

/* The op loop; `timed` is a constant in each of its two instances, so the
 * untimed workloads run exactly the loop they always ran. */
static inline __attribute__((always_inline)) void worker_loop(struct worker *w,
							      const int timed)
{
	const struct bench_sys *sys = w->sys;
	const struct workload *wl = w->wl;
	bench_pool *bp = w->bp;
	struct lat_hist *lat = w->lat;
	const uint32_t every = wl->dirty_every;
	uint32_t k = 0;
	uint64_t ops = 0, wrong = 0, t0 = 0;
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
		if (timed)
			t0 = lat_now_ns();
		ret = sys->get(bp, pg, dirty, &page);
		if (timed)
			lat_record(lat, lat_now_ns() - t0);
		if (ret != 0) {
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

/*
 * The peer's way to get clean victims (WB_ON on a system without
 * flushers): one more thread calling trickle(--trickle-pct), then sleeping
 * --trickle-pause-us, until the timed period ends.
 */
struct trickler {
	pthread_t tid;
	const struct bench_sys *sys;
	bench_pool *bp;
	uint64_t calls, pages;
	int err; /* first error */
};

static void *trickle_main(void *arg)
{
	struct trickler *tk = arg;
	const struct timespec pause = {
	    .tv_sec = opt.trickle_pause_us / 1000000,
	    .tv_nsec = (long)(opt.trickle_pause_us % 1000000) * 1000,
	};

	pthread_barrier_wait(&g_start);
	while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
		int nwrote = 0, ret;

		if ((ret = tk->sys->trickle(tk->bp, opt.trickle_pct,
					    &nwrote)) != 0) {
			tk->err = ret;
			break;
		}
		tk->calls++;
		tk->pages += (uint64_t)(nwrote > 0 ? nwrote : 0);
		if (opt.trickle_pause_us > 0)
			nanosleep(&pause, NULL);
	}
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
 * Warm the pool: get and check every page of the file (of `pages` pages)
 * once, in order. Returns 0, or -1 after reporting a failure.
 */
static int warm(const struct bench_sys *sys, bench_pool *bp, uint32_t pages,
		const char *wl, int nthreads, struct run_result *rr)
{
	for (uint32_t pg = 0; pg < pages; pg++) {
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
	struct trickler tk;
	struct bench_stats st0, st1;
	struct timespec t0, t1, until;
	struct lat_hist *lat = NULL; /* timed workloads: all threads' gets */
	bench_pool *bp;
	int ret, nstarted = 0, trickling = 0;

	memset(rr, 0, sizeof(*rr));
	/* Watchdog: open + warm-up + the timed period + generous slack. */
	alarm((unsigned)(opt.seconds * 4) + 120);
	bench_floor_threads = nthreads; /* its slices of frames */

	if ((ret = sys->open(g_dir, file_of(s, w), cache_bytes, &bp)) != 0) {
		rr->errors++;
		fprintf(stderr,
			"mpool_bench: FAILED: %s: open pool of %zu bytes on "
			"%s: %s (%d)\n",
			sys->name, cache_bytes, file_of(s, w),
			sys->strerror(ret), ret);
		g_failed = 1;
		alarm(0);
		return;
	}
	memset(&tk, 0, sizeof(tk));
	if (wl->wb != WB_ASIS && sys->set_flushers != NULL) {
		ret = wl->wb == WB_ON ? sys->set_flushers(bp, -1, opt.clean_pct)
				      : sys->set_flushers(bp, 0, 0);
		if (ret != 0) {
			rr->errors++;
			report_error(sys, "set_flushers", wl->name, nthreads,
				     "set_flushers", 0, ret);
			goto out;
		}
	} else if (wl->wb == WB_ON && sys->trickle != NULL) {
		/* (The pread floor has neither: it writes nothing back.) */
		trickling = 1;
		tk.sys = sys;
		tk.bp = bp;
	}
	if (wl->run_pagesize != 0) {
		/* Two-file workloads: fill the pool from the file of one page
		 * size, then move to the other's (the 4 KiB file is open
		 * already). */
		if (wl->warm_pagesize != BENCH_PAGE_SIZE &&
		    (ret = sys->use_file(bp, data_path(s, wl->warm_pagesize),
					 wl->warm_pagesize)) != 0) {
			rr->errors++;
			report_error(sys, "open", wl->name, nthreads,
				     "use_file", 0, ret);
			goto out;
		}
		if (warm(sys, bp,
			 FILE_PAGES / (wl->warm_pagesize / BENCH_PAGE_SIZE),
			 wl->name, nthreads, rr) != 0)
			goto out;
		if ((ret = sys->use_file(bp, data_path(s, wl->run_pagesize),
					 wl->run_pagesize)) != 0) {
			rr->errors++;
			report_error(sys, "open", wl->name, nthreads,
				     "use_file", 0, ret);
			goto out;
		}
	} else if (warm(sys, bp, wl_pages(w), wl->name, nthreads, rr) != 0)
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
	if ((ret = pthread_barrier_init(
		 &g_start, NULL, (unsigned)(nthreads + 1 + trickling))) != 0)
		die("pthread_barrier_init: %s", strerror(ret));
	if (trickling &&
	    (ret = pthread_create(&tk.tid, NULL, trickle_main, &tk)) != 0)
		die("pthread_create: %s", strerror(ret));
	if (wl->timed && (lat = calloc(1, sizeof(*lat))) == NULL)
		die("out of memory");
	for (int i = 0; i < nthreads; i++) {
		uint64_t x = opt.seed ^ ((uint64_t)w << 48) ^
			     ((uint64_t)t << 40) ^ ((uint64_t)run << 20) ^
			     (uint64_t)i;

		workers[i].sys = sys;
		workers[i].bp = bp;
		workers[i].wl = wl;
		if (wl->timed &&
		    (workers[i].lat = calloc(1, sizeof(*lat))) == NULL)
			die("out of memory");
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
	if (trickling)
		pthread_join(tk.tid, NULL);
	pthread_barrier_destroy(&g_start);
	if (tk.err != 0) {
		rr->errors++;
		report_error(sys, "trickle thread", wl->name, nthreads,
			     "trickle", 0, tk.err);
	}
	rr->trickle_calls = tk.calls;
	rr->trickle_pages = tk.pages;

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
		if (wk->lat != NULL) {
			lat_merge(lat, wk->lat);
			free(wk->lat);
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
	rr->evict_clean = st1.evict_clean - st0.evict_clean;
	rr->evict_dirty = st1.evict_dirty - st0.evict_dirty;
	rr->pages_out = st1.pages_out - st0.pages_out;
	rr->pages_in = st1.pages_in - st0.pages_in;
	rr->pages_in_mapped = st1.pages_in_mapped - st0.pages_in_mapped;
	if (lat != NULL) {
		/* See bench_lat.h and the report's method line. */
		rr->gets_timed = lat->n;
		rr->p99_all_us = (double)lat_quantile(lat, 0.99) / 1e3;
		rr->p99_miss_us =
		    (double)lat_quantile_of_slowest(lat, rr->misses, 0.99) /
		    1e3;
	}
	rr->done = rr->errors == 0;
out:
	free(lat);
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

/* Pages BDB holds after the warm-up on workload w's file with a cache of
 * `bytes`; 0 on error. */
static uint64_t bdb_pages_held(int w, size_t bytes)
{
	const struct bench_sys *sys = systems[SYS_BDB];
	struct run_result rr;
	struct bench_stats st;
	bench_pool *bp;
	uint64_t held = 0;
	int ret;

	memset(&rr, 0, sizeof(rr));
	alarm(120);
	if ((ret = sys->open(g_dir, file_of(SYS_BDB, w), bytes, &bp)) != 0)
		die("%s: open with a %zu-byte cache: %s", sys->name, bytes,
		    sys->strerror(ret));
	if (warm(sys, bp, wl_pages(w), "cache-sizing", 1, &rr) == 0 &&
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
		/* The probe's open fails unless this holds the whole file;
		 * the floor has as many frames as lfmpool. */
		g_cache_bytes[w][SYS_BARE] = bytes;
		g_cache_bytes[w][SYS_FLOOR] = bytes;
		if (!sys_on(w, SYS_BDB))
			continue;
		/* Same-frame workloads on the same file share one answer. */
		for (int v = 0; v < w; v++)
			if (opt.wl_on[v] && sys_on(v, SYS_BDB) &&
			    workloads[v].frames == target &&
			    workloads[v].file_pages ==
				workloads[w].file_pages) {
				g_cache_bytes[w][1] = g_cache_bytes[v][1];
				g_bdb_held_same_bytes[w] =
				    g_bdb_held_same_bytes[v];
				goto next;
			}
		held = bdb_pages_held(w, bytes);
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
					   target >= wl_pages(w)) {
					next = (size_t)((double)bytes * 1.1);
				} else {
					next = (size_t)((double)bytes *
							(double)target /
							(double)held);
				}
				bytes = next;
				if ((held = bdb_pages_held(w, bytes)) == 0)
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

static void csv_row(int w, int t, int s, int r, const struct run_result *rr)
{
	fprintf(g_csv, "%s,%d,%s,%d,%.0f", workloads[w].name, opt.threads[t],
		sys_csv_name[s], r + 1, rr->ops_per_sec);
	if (workloads[w].timed)
		fprintf(g_csv, ",%.3f,%.3f\n", rr->p99_all_us, rr->p99_miss_us);
	else
		fprintf(g_csv, ",,\n");
	fflush(g_csv);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	int ncells = 0, icell = 0, units_total = 0, units_done = 0;
	double t_start, t_loop, now;
	char what[128];

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
	/* A crash (of a pool under test) must not leave the data files
	 * behind either: hit-uniform-1m's are 4 GiB each. */
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	atexit(remove_files);

	if (opt.csv_path != NULL) {
		if ((g_csv = fopen(opt.csv_path, "w")) == NULL)
			die("open %s: %s", opt.csv_path, strerror(errno));
		/* The p99 columns are empty for untimed workloads. */
		fprintf(g_csv, "workload,threads,system,run,ops_per_sec,"
			       "p99_all_us,p99_miss_us\n");
	}
	g_res = calloc((size_t)NWORKLOADS * (size_t)opt.nthreads * NSYS *
			   (size_t)opt.runs,
		       sizeof(*g_res));
	if (g_res == NULL)
		die("out of memory");

	t_start = bench_now();
	print_header();
	fflush(stdout);
	make_files();
	size_caches();

	/* Progress: the time left is estimated from the time per run of one
	 * system so far, over the runs still to go. */
	for (int w = 0; w < NWORKLOADS; w++)
		for (int t = 0; t < opt.nthreads; t++)
			if (cell_on(w, t)) {
				ncells++;
				units_total += opt.runs * nsys_in(w);
			}
	t_loop = bench_now();
	for (int w = 0; w < NWORKLOADS; w++) {
		if (!opt.wl_on[w])
			continue;
		for (int t = 0; t < opt.nthreads; t++) {
			if (!cell_on(w, t))
				continue;
			for (int r = 0; r < opt.runs; r++) {
				/* lfm, BDB, the reference (probe or floor:
				 * one runs) on even runs, the reverse on odd:
				 * lfm and BDB alternate as before. */
				for (int k = 0; k < NSYS; k++) {
					int s = (r % 2 == 0) ? k : NSYS - 1 - k;
					struct run_result *rr =
					    res_at(w, t, s, r);

					if (!sys_on(w, s))
						continue;
					run_one(s, w, t, r, g_cache_bytes[w][s],
						rr);
					if (g_csv != NULL && rr->done)
						csv_row(w, t, s, r, rr);
				}
				fprintf(stderr,
					"[%s, %d threads, run %d/%d] lfmpool "
					"%.3f Mops/s",
					workloads[w].name, opt.threads[t],
					r + 1, opt.runs,
					res_at(w, t, 0, r)->ops_per_sec / 1e6);
				if (sys_on(w, SYS_BDB))
					fprintf(stderr, ", BDB %.3f Mops/s",
						res_at(w, t, SYS_BDB, r)
							->ops_per_sec /
						    1e6);
				if (ref_of(w) >= 0) {
					double p = res_at(w, t, ref_of(w), r)
						       ->ops_per_sec;

					fprintf(stderr, ", %s %.3f Mops/s",
						sys_csv_name[ref_of(w)],
						p / 1e6);
				}
				fputc('\n', stderr);
				if (workloads[w].timed) {
					fprintf(
					    stderr,
					    "    p99 miss: lfmpool %.1f us",
					    res_at(w, t, 0, r)->p99_miss_us);
					if (sys_on(w, SYS_BDB))
						fprintf(stderr, ", BDB %.1f us",
							res_at(w, t, SYS_BDB, r)
							    ->p99_miss_us);
					fputc('\n', stderr);
				}
			}
			units_done += opt.runs * nsys_in(w);
			snprintf(what, sizeof(what), "%s, %d thread%s",
				 workloads[w].name, opt.threads[t],
				 opt.threads[t] > 1 ? "s" : "");
			now = bench_now();
			bench_progress("mpool_bench", ++icell, ncells, what,
				       now - t_start,
				       (now - t_loop) / units_done *
					   (units_total - units_done));
		}
	}

	print_report();
	if (opt.data_path != NULL)
		write_data(opt.data_path);
	if (g_csv != NULL && fclose(g_csv) != 0)
		die("write %s: %s", opt.csv_path, strerror(errno));
	if (g_failed) {
		fprintf(stderr, "mpool_bench: FAILED (wrong pages or errors; "
				"see above)\n");
		return 1;
	}
	return 0;
}
