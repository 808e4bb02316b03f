/*
 * bench_main.c - the driver's threads mode and main(): lfmpool against
 * Berkeley DB 5.3's mpool in this process, with one reference beside them,
 * in alternating runs (docs/benchmarks.md, "Method"). A run
 * opens a fresh private pool on the system's own copy of the data file,
 * warms it, times the crew (bench_run.c) and reads the statistics. A wrong
 * page or an error fails the benchmark (exit status 1) after the report.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_driver.h"
#include "bench_rng.h"

#ifndef BENCH_PROCS_MODE
#define BENCH_PROCS_MODE 0 /* 1: mpool_bench_procs */
#endif

/* The temp directory and the data files (one per system that runs,
 * identical): [0] the 4 KiB file, [1] the two-file workloads' second one
 * (8 KiB pages, the same bytes), [2] the BIG_FILE_PAGES-page file of the
 * workloads that name it (file_pages), each made only when needed. */
static char g_dir[PATH_MAX];
static char g_path[NSYS][3][PATH_MAX + 32];
static FILE *g_csv; /* --csv */

static void remove_files(void)
{
	/* unlink and rmdir only: async-signal-safe */
	for (int s = 0; s < NSYS; s++)
		for (int k = 0; k < 3; k++)
			if (g_path[s][k][0] != '\0')
				unlink(g_path[s][k]);
	if (g_dir[0] != '\0')
		rmdir(g_dir);
}

static void say(const char *msg)
{
	ssize_t n = write(2, msg, strlen(msg));

	(void)n;
}

static void on_signal(int sig)
{
	say(sig == SIGALRM ? "mpool_bench: FAILED: watchdog: a run did not "
			     "finish in time (hang?)\n"
			   : "mpool_bench: interrupted\n");
	remove_files();
	_exit(sig == SIGALRM ? 3 : 130);
}

/* Then dies of the signal (SA_RESETHAND restored the default action). */
static void on_fatal(int sig)
{
	say("mpool_bench: FAILED: fatal signal; data files removed\n");
	remove_files();
	raise(sig);
}

static void catch_signals(void)
{
	static const int fatal[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
	struct sigaction sa;

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
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	atexit(remove_files);
}

/* System s's file k (see g_path), named and made. */
static void make_one(int s, int k)
{
	static const char *const suffix[] = {"", "-8k", "-big"};
	static const uint32_t size[] = {BENCH_PAGE_SIZE, BENCH_PAGE_SIZE_LARGE,
					BENCH_PAGE_SIZE};

	snprintf(g_path[s][k], sizeof(g_path[s][k]), "%s/%s%s.db", g_dir,
		 systems[s]->csv, suffix[k]);
	bench_make_file(g_path[s][k], size[k],
			k == 2 ? BIG_FILE_PAGES : FILE_PAGES);
}

static void make_files(void)
{
	const char *base = getenv("TMPDIR");
	int two_files = 0;

	bench_mkdtemp(g_dir, sizeof(g_dir),
		      base != NULL && base[0] != '\0' ? base : "/tmp",
		      "mpool-bench.XXXXXX");
	for (int w = 0; w < NWORKLOADS; w++)
		two_files |= opt.wl_on[w] && workloads[w].run_pagesize != 0;
	for (int s = 0; s < NSYS; s++) {
		int usual = 0, big = 0; /* the files system s reads */

		for (int w = 0; w < NWORKLOADS; w++)
			if (opt.wl_on[w] && sys_on(w, s)) {
				big |= workloads[w].file_pages != 0;
				usual |= workloads[w].file_pages == 0;
			}
		if (big)
			make_one(s, 2);
		if (usual)
			make_one(s, 0);
		if (usual && two_files && s < SYS_BARE)
			make_one(s, 1);
	}
}

/* System s's 4 KiB data file for workload w (the one it opens). */
static const char *file_of(int s, int w)
{
	return g_path[s][workloads[w].file_pages != 0 ? 2 : 0];
}

/* System s's data file of `pagesize` byte pages. */
static const char *data_path(int s, uint32_t pagesize)
{
	return g_path[s][pagesize == BENCH_PAGE_SIZE_LARGE];
}

/* What went wrong in `what` of c's run (if f holds a fault), reported
 * on stderr and counted in rr: -1 if a call failed, else 0. */
static int failed(const struct crew *c, const char *what, const struct fault *f,
		  struct run_result *rr)
{
	char text[256];

	if (f->err == 0 && f->wrong == 0)
		return 0;
	bench_fault_text(c->sys, f, text, sizeof(text));
	fprintf(stderr,
		"mpool_bench: FAILED: %s: %s (workload %s, %d threads): %s\n",
		c->sys->name, what, c->wl.name, c->nthreads, text);
	rr->wrong += f->wrong;
	rr->errors += f->err != 0;
	g_failed = 1;
	return f->err != 0 ? -1 : 0;
}

/* The result `ret` of c->sys's call `op`: 0, or -1 after a report. */
static int call(const struct crew *c, const char *op, int ret,
		struct run_result *rr)
{
	struct fault f = {.err = ret, .op = op};

	return failed(c, op, &f, rr);
}

/* Warm the pool on `pages` pages: 0, or -1 after a report. */
static int warm(const struct crew *c, uint32_t pages, struct run_result *rr)
{
	struct fault f = {0};

	bench_warm(c->sys, c->bp, pages, &f);
	rr->checked += f.checked;
	return failed(c, "warm-up", &f, rr);
}

/* Background writing as the workload wants it (the floor writes nothing
 * back, so has neither): 0, or -1 after a report. */
static int set_wb(struct crew *c, struct run_result *rr)
{
	const struct bench_sys *sys = c->sys;
	int on = c->wl.wb == WB_ON;

	c->trickling = on && sys->set_flushers == NULL && sys->trickle != NULL;
	if (c->wl.wb == WB_ASIS || sys->set_flushers == NULL)
		return 0;
	return call(
	    c, "set_flushers",
	    sys->set_flushers(c->bp, on ? -1 : 0, on ? opt.clean_pct : 0), rr);
}

/* The pool filled before the timed period: 0, or -1 after a report.
 * Two-file workloads fill it from the file of one page size, then move to
 * the other's (the 4 KiB file is open already). */
static int fill(struct crew *c, int s, int w, struct run_result *rr)
{
	const struct workload *wl = &c->wl;
	const uint32_t warm_ps = wl->warm_pagesize, run_ps = wl->run_pagesize;

	if (run_ps == 0)
		return warm(c, wl_pages(w), rr);
	if (warm_ps != BENCH_PAGE_SIZE &&
	    call(c, "use_file",
		 c->sys->use_file(c->bp, data_path(s, warm_ps), warm_ps),
		 rr) != 0)
		return -1;
	if (warm(c, FILE_PAGES / (warm_ps / BENCH_PAGE_SIZE), rr) != 0)
		return -1;
	return call(c, "use_file",
		    c->sys->use_file(c->bp, data_path(s, run_ps), run_ps), rr);
}

/* The timed period of a filled pool, and the statistics' movement over
 * it: 0, or -1 after a report. */
static int timed(struct crew *c, int w, int t, int run, struct run_result *rr)
{
	uint64_t seeds[MAX_THREADS];
	struct bench_stats a, b;
	struct lat_hist *lat;
	char what[64];

	if (call(c, "stat", c->sys->stats(c->bp, &a), rr) != 0)
		return -1;
	rr->held_warm = a.pages_held;
	for (int i = 0; i < c->nthreads; i++) {
		uint64_t x = opt.seed ^ ((uint64_t)w << 48) ^
			     ((uint64_t)t << 40) ^ ((uint64_t)run << 20) ^
			     (uint64_t)i;

		/* The same streams for every system in the same run. */
		seeds[i] = splitmix64(&x);
	}
	crew_start(c, seeds);
	crew_time(c, opt.seconds);
	for (int i = 0; i < c->nthreads; i++) {
		rr->ops += c->w[i].ops;
		rr->checked += c->w[i].f.checked;
		snprintf(what, sizeof(what), "run %d, thread %d", run + 1, i);
		failed(c, what, &c->w[i].f, rr);
	}
	call(c, "trickle", c->trickle_err, rr);
	rr->trickle_calls = c->trickle_calls;
	rr->trickle_pages = c->trickle_pages;
	rr->ops_per_sec = (double)rr->ops / c->secs;
	lat = crew_free(c);
	if (call(c, "stat", c->sys->stats(c->bp, &b), rr) != 0) {
		free(lat);
		return -1;
	}
	rr->hits = b.hits - a.hits;
	rr->misses = b.misses - a.misses;
	rr->held_end = b.pages_held;
	rr->cache_bytes = b.cache_bytes;
	rr->evict_clean = b.evict_clean - a.evict_clean;
	rr->evict_dirty = b.evict_dirty - a.evict_dirty;
	rr->pages_out = b.pages_out - a.pages_out;
	rr->pages_in = b.pages_in - a.pages_in;
	rr->pages_in_mapped = b.pages_in_mapped - a.pages_in_mapped;
	if (lat != NULL) { /* p99 miss: docs/benchmarks.md, "Method" */
		rr->gets_timed = lat->n;
		rr->p99_all_us = (double)lat_quantile(lat, lat->n, 0.99) / 1e3;
		rr->p99_miss_us =
		    (double)lat_quantile(lat, rr->misses, 0.99) / 1e3;
	}
	free(lat);
	return 0;
}

static void run_one(int s, int w, int t, int run, struct run_result *rr)
{
	struct crew c = {
	    .sys = systems[s], .wl = workloads[w], .nthreads = opt.threads[t]};
	size_t bytes = g_cache_bytes[w][s];
	char what[PATH_MAX + 64];

	memset(rr, 0, sizeof(*rr));
	/* Watchdog: open + warm-up + the timed period + generous slack. */
	alarm((unsigned)(opt.seconds * 4) + 120);
	bench_floor_threads = c.nthreads; /* its slices of frames */
	snprintf(what, sizeof(what), "open pool of %zu bytes on %s", bytes,
		 file_of(s, w));
	if (call(&c, what,
		 c.sys->open(g_dir, file_of(s, w), bytes, BENCH_PRIVATE, &c.bp),
		 rr) == 0) {
		if (set_wb(&c, rr) == 0 && fill(&c, s, w, rr) == 0 &&
		    timed(&c, w, t, run, rr) == 0)
			rr->done = rr->errors == 0;
		if (call(&c, "close", c.sys->close(c.bp), rr) != 0)
			rr->done = 0;
	}
	alarm(0);
}

/* Pages BDB holds after the warm-up on workload w's file with a cache of
 * `bytes`; dies on an error or none. */
static uint64_t bdb_pages_held(int w, size_t bytes)
{
	struct crew c = {.sys = systems[SYS_BDB], .wl = workloads[w]};
	struct run_result rr = {0};
	struct bench_stats st;
	uint64_t held = 0;
	int ret;

	c.wl.name = "cache-sizing";
	alarm(120);
	if ((ret = c.sys->open(g_dir, file_of(SYS_BDB, w), bytes, BENCH_PRIVATE,
			       &c.bp)) != 0)
		die("%s: open with a %zu-byte cache: %s", c.sys->name, bytes,
		    c.sys->strerror(ret));
	c.nthreads = 1;
	if (warm(&c, wl_pages(w), &rr) == 0 &&
	    (ret = c.sys->stats(c.bp, &st)) == 0)
		held = st.pages_held;
	if ((ret = c.sys->close(c.bp)) != 0)
		die("%s: close: %s", c.sys->name, c.sys->strerror(ret));
	alarm(0);
	if (held == 0)
		die("BDB holds no pages with a %zu-byte cache", bytes);
	return held;
}

/* Is `held` closer to `target` than `best` (on a tie: not below)? */
static int closer(uint64_t held, uint64_t best, uint64_t target)
{
	long long a = llabs((long long)held - (long long)target);
	long long b = llabs((long long)best - (long long)target);

	return a < b || (a == b && held > best);
}

/* BDB's cache size that holds `target` pages after the warm-up (closest):
 * proportional steps until the answer is bracketed (lo holds too few, hi
 * too many), then bisection. `bytes` holds `held`. */
static size_t search_bytes(int w, size_t bytes, uint64_t held,
			   uint64_t *best_held)
{
	const uint64_t target = workloads[w].frames;
	size_t lo = 0, hi = 0, best = bytes;

	*best_held = held;
	for (int it = 0; it < 20 && *best_held != target; it++) {
		if (held < target)
			lo = bytes;
		else
			hi = bytes;
		if (lo != 0 && hi != 0) {
			if (hi - lo <= 64)
				break;
			bytes = lo + (hi - lo) / 2;
		} else if (held < target && target >= wl_pages(w)) {
			bytes = (size_t)((double)bytes * 1.1);
		} else {
			bytes = (size_t)((double)bytes * (double)target /
					 (double)held);
		}
		held = bdb_pages_held(w, bytes);
		if (closer(held, *best_held, target)) {
			best = bytes;
			*best_held = held;
		}
	}
	return best;
}

/* An earlier workload of the same frames on the same file: its answer. */
static int same_as(int w)
{
	for (int v = 0; v < w; v++)
		if (opt.wl_on[v] && sys_on(v, SYS_BDB) &&
		    workloads[v].frames == workloads[w].frames &&
		    workloads[v].file_pages == workloads[w].file_pages)
			return v;
	return -1;
}

/*
 * lfmpool holds exactly frames pages in frames * 4096 bytes. BDB keeps its
 * buffer headers and hash table inside the cache size (and adds 25% to
 * small caches), so by default (--bdb-sizing=pages) BDB's size is searched
 * for so that it holds the same number of pages after the warm-up (all of
 * the file for the hit workloads). With --bdb-sizing=bytes it gets the
 * same byte budget.
 */
static void size_bdb(int w)
{
	size_t bytes = g_cache_bytes[w][0];
	uint64_t held, best_held;
	int v = same_as(w);

	if (v >= 0) {
		g_cache_bytes[w][SYS_BDB] = g_cache_bytes[v][SYS_BDB];
		g_bdb_held_same_bytes[w] = g_bdb_held_same_bytes[v];
		return;
	}
	held = g_bdb_held_same_bytes[w] = bdb_pages_held(w, bytes);
	best_held = held;
	if (!opt.bdb_same_bytes)
		bytes = search_bytes(w, bytes, held, &best_held);
	g_cache_bytes[w][SYS_BDB] = bytes;
	fprintf(stderr,
		"mpool_bench: %s: lfmpool %llu frames (%zu bytes); "
		"BDB set_cachesize %zu bytes holds %llu pages\n",
		workloads[w].name, (unsigned long long)workloads[w].frames,
		g_cache_bytes[w][0], bytes, (unsigned long long)best_held);
}

static void size_caches(void)
{
	for (int w = 0; w < NWORKLOADS; w++) {
		if (!opt.wl_on[w])
			continue;
		/* The probe's open fails unless this holds the whole file;
		 * the floor has as many frames as lfmpool. */
		for (int s = 0; s < NSYS; s++)
			g_cache_bytes[w][s] =
			    (size_t)workloads[w].frames * BENCH_PAGE_SIZE;
		if (sys_on(w, SYS_BDB))
			size_bdb(w);
	}
}

static void csv_row(int w, int t, int s, int r, const struct run_result *rr)
{
	fprintf(g_csv, "%s,%d,%s,%d,%.0f", workloads[w].name, opt.threads[t],
		systems[s]->csv, r + 1, rr->ops_per_sec);
	if (workloads[w].timed)
		fprintf(g_csv, ",%.3f,%.3f\n", rr->p99_all_us, rr->p99_miss_us);
	else
		fprintf(g_csv, ",,\n");
	fflush(g_csv);
}

static void open_csv(void)
{
	if (opt.csv_path == NULL)
		return;
	if ((g_csv = fopen(opt.csv_path, "w")) == NULL)
		die("open %s: %s", opt.csv_path, strerror(errno));
	/* The p99 columns are empty for untimed workloads. */
	fprintf(g_csv, "workload,threads,system,run,ops_per_sec,"
		       "p99_all_us,p99_miss_us\n");
}

/* One line on stderr per run: each system's Mops/s (and p99 miss). */
static void run_line(int w, int t, int r)
{
	fprintf(stderr, "[%s, %d threads, run %d/%d]", workloads[w].name,
		opt.threads[t], r + 1, opt.runs);
	for (int s = 0; s < NSYS; s++)
		if (sys_on(w, s))
			fprintf(stderr, "%s %s %.3f Mops/s", s ? "," : "",
				s == SYS_BDB ? "BDB" : systems[s]->csv,
				res_at(w, t, s, r)->ops_per_sec / 1e6);
	if (workloads[w].timed)
		for (int s = 0; s < 2; s++)
			if (sys_on(w, s))
				fprintf(stderr, "%s %s %.1f us",
					s ? "," : "\n    p99 miss:",
					s ? "BDB" : "lfmpool",
					res_at(w, t, s, r)->p99_miss_us);
	fputc('\n', stderr);
}

/* Every cell. A run goes lfmpool, BDB, the reference when r is even and
 * the reverse when odd, so all see the same machine noise. The time left
 * is estimated from the time per run of one system so far. */
static void run_cells(double t_start)
{
	int ncells = 0, icell = 0, total = 0, done = 0;
	double t_loop = bench_now(), now;
	char what[128];

	/* Pass 0 counts the cells and runs, pass 1 runs them. */
	for (int pass = 0; pass < 2; pass++)
		FOR_CELLS(w, t)
		{
			int nsys = 0;

			for (int s = 0; s < NSYS; s++)
				nsys += sys_on(w, s);
			if (pass == 0) {
				ncells++;
				total += opt.runs * nsys;
				continue;
			}
			for (int r = 0; r < opt.runs; r++) {
				for (int k = 0; k < NSYS; k++) {
					int s = r % 2 == 0 ? k : NSYS - 1 - k;
					struct run_result *rr =
					    res_at(w, t, s, r);

					if (!sys_on(w, s))
						continue;
					run_one(s, w, t, r, rr);
					if (g_csv != NULL && rr->done)
						csv_row(w, t, s, r, rr);
				}
				run_line(w, t, r);
			}
			done += opt.runs * nsys;
			snprintf(what, sizeof(what), "%s, %d thread%s",
				 workloads[w].name, opt.threads[t],
				 opt.threads[t] > 1 ? "s" : "");
			now = bench_now();
			bench_progress(++icell, ncells, what, now - t_start,
				       (now - t_loop) / done * (total - done));
		}
}

static int threads_main(void)
{
	double t_start = bench_now();

	if (zipf_init() != 0)
		return 1;
	catch_signals();
	open_csv();
	results_alloc();
	print_header();
	fflush(stdout);
	make_files();
	size_caches();
	run_cells(t_start);
	print_report();
	if (opt.data_path != NULL)
		write_data(opt.data_path);
	if (g_csv != NULL && fclose(g_csv) != 0)
		die("write %s: %s", opt.csv_path, strerror(errno));
	if (g_failed)
		fprintf(stderr, "mpool_bench: FAILED (wrong pages or errors; "
				"see above)\n");
	return g_failed;
}

int main(int argc, char **argv)
{
	parse_args(argc, argv, BENCH_PROCS_MODE);
	return opt.procs_mode ? procs_main() : threads_main();
}
