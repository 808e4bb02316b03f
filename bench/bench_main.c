/*
 * bench_main.c - the driver's threads mode and main(): lfmpool against
 * Berkeley DB 5.3's mpool in this process, with one reference beside them
 * (docs/benchmarks.md, "Method"). A run opens a fresh private pool on the
 * system's own copy of the data file, warms it, times the crew and reads
 * the statistics. A wrong page or an error fails the benchmark (exit
 * status 1) after the report.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>

#include "bench_driver.h"

#ifndef BENCH_PROCS_MODE
#define BENCH_PROCS_MODE 0 /* 1: mpool_bench_procs */
#endif

/* The temp directory and each system's data files (path_of). */
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

/* SIGINT, SIGTERM, the watchdog's SIGALRM and a crash (then the process
 * dies of the signal: SA_RESETHAND) must not leave the data files behind:
 * hit-uniform-1m's are 4 GiB each. */
static void on_signal(int sig)
{
	const char *msg =
	    sig == SIGALRM ? "mpool_bench: FAILED: watchdog: a run did not "
			     "finish in time (hang?)\n"
	    : sig == SIGINT || sig == SIGTERM
		? "mpool_bench: interrupted\n"
		: "mpool_bench: FAILED: fatal signal; data files removed\n";
	ssize_t n = write(2, msg, strlen(msg));

	(void)n;
	remove_files();
	if (sig == SIGALRM || sig == SIGINT || sig == SIGTERM)
		_exit(sig == SIGALRM ? 3 : 130);
	raise(sig); /* pending until this handler returns */
}

static void catch_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGALRM, SIGSEGV,
				   SIGBUS, SIGILL,  SIGFPE,  SIGABRT};
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sa.sa_flags = i < 3 ? 0 : SA_RESETHAND;
		sigaction(sigs[i], &sa, NULL);
	}
	atexit(remove_files);
}

/* System s's data file k, made at its first use: [0] the 4 KiB file, [1]
 * the two-file workloads' 8 KiB one, [2] the BIG_FILE_PAGES one. */
static const char *path_of(int s, int k)
{
	static const char *const suffix[] = {"", "-8k", "-big"};

	if (g_path[s][k][0] == '\0') {
		snprintf(g_path[s][k], sizeof(g_path[s][k]), "%s/%s%s.db",
			 g_dir, systems[s]->csv, suffix[k]);
		bench_make_file(g_path[s][k],
				k == 1 ? BENCH_PAGE_SIZE_LARGE
				       : BENCH_PAGE_SIZE,
				k == 2 ? BIG_FILE_PAGES : FILE_PAGES);
	}
	return g_path[s][k];
}

/* System s's 4 KiB data file for workload w (the one it opens). */
static const char *file_of(int s, int w)
{
	return path_of(s, workloads[w].file_pages != 0 ? 2 : 0);
}

/* f's fault in `what` of c's run, if any, reported and counted in rr: -1
 * if a call failed, else 0. */
static int failed(const struct crew *c, const char *what, const struct fault *f,
		  struct run_result *rr)
{
	char text[256];

	if (bench_fault_text(c->sys, f, NULL, text, sizeof(text)) == 0)
		return 0;
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

/* Background writing as the workload wants it, then the pool filled: 0,
 * or -1 after a report. Two-file workloads fill it from the file of one
 * page size, then move to the other's (the 4 KiB file is open already). */
static int fill(struct crew *c, int s, int w, struct run_result *rr)
{
	const struct bench_sys *sys = c->sys;
	const uint32_t warm_ps = c->wl.warm_pagesize,
		       run_ps = c->wl.run_pagesize;
	const int on = c->wl.wb == WB_ON;

	c->trickling = on && sys->set_flushers == NULL && sys->trickle != NULL;
	if (c->wl.wb != WB_ASIS && sys->set_flushers != NULL &&
	    call(c, "set_flushers",
		 sys->set_flushers(c->bp, on ? -1 : 0, on ? opt.clean_pct : 0),
		 rr) != 0)
		return -1;
	if (run_ps == 0)
		return warm(c, wl_pages(w), rr);
	if (warm_ps != BENCH_PAGE_SIZE &&
	    call(c, "use_file", sys->use_file(c->bp, path_of(s, 1), warm_ps),
		 rr) != 0)
		return -1;
	if (warm(c, FILE_PAGES / (warm_ps / BENCH_PAGE_SIZE), rr) != 0)
		return -1;
	return call(
	    c, "use_file",
	    sys->use_file(c->bp, path_of(s, run_ps != BENCH_PAGE_SIZE), run_ps),
	    rr);
}

/* The timed period and the statistics' movement: 0, or -1 after a report. */
static int timed(struct crew *c, int w, int t, int run, struct run_result *rr)
{
	uint64_t seeds[MAX_THREADS];
	struct bench_stats a, b;
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
	if (call(c, "stat", c->sys->stats(c->bp, &b), rr) != 0) {
		crew_free(c, rr);
		return -1;
	}
#define DELTA(f) rr->f = b.f - a.f;
	BENCH_COUNTERS(DELTA)
	rr->held_end = b.pages_held;
	rr->cache_bytes = b.cache_bytes;
	crew_free(c, rr);
	return 0;
}

/* One run of system s in cell (w, t); t < 0: the cache-size search's
 * warm-up alone, whose pages held go to rr->held_warm. */
static void run_one(int s, int w, int t, int run, size_t bytes,
		    struct run_result *rr)
{
	struct crew c = {.sys = systems[s], .wl = workloads[w]};
	char what[PATH_MAX + 64];
	struct bench_stats st;

	memset(rr, 0, sizeof(*rr));
	c.nthreads = t < 0 ? 1 : opt.threads[t];
	if (t < 0)
		c.wl.name = "cache-sizing";
	/* Watchdog: open + warm-up + the timed period + generous slack. */
	alarm((unsigned)(opt.seconds * 4) + 120);
	bench_floor_threads = c.nthreads; /* its slices of frames */
	snprintf(what, sizeof(what), "open pool of %zu bytes on %s", bytes,
		 file_of(s, w));
	if (call(&c, what,
		 c.sys->open(g_dir, file_of(s, w), bytes, BENCH_PRIVATE, &c.bp),
		 rr) == 0) {
		if (t < 0) {
			if (warm(&c, wl_pages(w), rr) == 0 &&
			    call(&c, "stat", c.sys->stats(c.bp, &st), rr) == 0)
				rr->held_warm = st.pages_held;
		} else if (fill(&c, s, w, rr) == 0 &&
			   timed(&c, w, t, run, rr) == 0) {
			rr->done = rr->errors == 0;
		}
		if (call(&c, "close", c.sys->close(c.bp), rr) != 0)
			rr->done = 0;
	}
	alarm(0);
}

/* Pages BDB holds after the warm-up on workload w's file with a cache of
 * `bytes`; dies on an error or none. */
static uint64_t bdb_pages_held(int w, size_t bytes)
{
	struct run_result rr;

	run_one(SYS_BDB, w, -1, 0, bytes, &rr);
	if (rr.held_warm == 0 || rr.errors != 0)
		die("BDB holds no pages with a %zu-byte cache", bytes);
	return rr.held_warm;
}

/*
 * lfmpool holds `frames` pages in frames * 4096 bytes. BDB keeps its buffer
 * headers and hash table inside the cache size (and adds 25% to small
 * caches), so by default (--bdb-sizing=pages) its size is searched for so
 * that it holds as many pages after the warm-up, the closest (on a tie:
 * not below): proportional steps until bracketed (lo holds too few, hi too
 * many), then bisection. --bdb-sizing=bytes: the same byte budget. An
 * earlier workload of the same frames and file gives its answer.
 */
static void size_bdb(int w)
{
	const uint64_t target = workloads[w].frames;
	size_t bytes = g_cache_bytes[w][0], lo = 0, hi = 0, best = bytes;
	uint64_t held, best_held;

	for (int v = 0; v < w; v++)
		if (opt.wl_on[v] && sys_on(v, SYS_BDB) &&
		    workloads[v].frames == workloads[w].frames &&
		    workloads[v].file_pages == workloads[w].file_pages) {
			g_cache_bytes[w][SYS_BDB] = g_cache_bytes[v][SYS_BDB];
			g_bdb_held_same_bytes[w] = g_bdb_held_same_bytes[v];
			return;
		}
	held = best_held = g_bdb_held_same_bytes[w] = bdb_pages_held(w, bytes);
	for (int it = 0; it < 20 && !opt.bdb_same_bytes && best_held != target;
	     it++) {
		long long d,
		    e = llabs((long long)best_held - (long long)target);

		if (held < target)
			lo = bytes;
		else
			hi = bytes;
		if (lo != 0 && hi != 0 && hi - lo <= 64)
			break;
		if (lo != 0 && hi != 0)
			bytes = lo + (hi - lo) / 2;
		else if (held < target && target >= wl_pages(w))
			bytes = (size_t)((double)bytes * 1.1);
		else
			bytes = (size_t)((double)bytes * (double)target /
					 (double)held);
		held = bdb_pages_held(w, bytes);
		d = llabs((long long)held - (long long)target);
		if (d < e || (d == e && held > best_held)) {
			best = bytes;
			best_held = held;
		}
	}
	g_cache_bytes[w][SYS_BDB] = best;
	fprintf(stderr,
		"mpool_bench: %s: lfmpool %llu frames (%zu bytes); "
		"BDB set_cachesize %zu bytes holds %llu pages\n",
		workloads[w].name, (unsigned long long)target,
		g_cache_bytes[w][0], best, (unsigned long long)best_held);
}

/* Run r of system s in cell (w, t), for run_cells; its --csv row. */
static int measure(int w, int t, int r, int s)
{
	struct run_result *rr = res_at(w, t, s, r);

	run_one(s, w, t, r, g_cache_bytes[w][s], rr);
	if (g_csv == NULL || !rr->done)
		return 0;
	fprintf(g_csv, "%s,%d,%s,%d,%.0f", workloads[w].name, opt.threads[t],
		systems[s]->csv, r + 1, rr->ops_per_sec);
	if (workloads[w].timed)
		fprintf(g_csv, ",%.3f,%.3f\n", rr->p99_all_us, rr->p99_miss_us);
	else
		fprintf(g_csv, ",,\n");
	fflush(g_csv);
	return 0;
}

static int threads_main(void)
{
	const char *base = getenv("TMPDIR");

	if (zipf_init() != 0)
		return 1;
	catch_signals();
	/* The p99 columns are empty for untimed workloads. */
	if (opt.csv_path != NULL &&
	    ((g_csv = fopen(opt.csv_path, "w")) == NULL ||
	     fprintf(g_csv, "workload,threads,system,run,ops_per_sec,"
			    "p99_all_us,p99_miss_us\n") < 0))
		die("open %s: %s", opt.csv_path, strerror(errno));
	results_alloc();
	print_header();
	fflush(stdout);
	bench_mkdtemp(g_dir, sizeof(g_dir),
		      base != NULL && base[0] != '\0' ? base : "/tmp",
		      "mpool-bench.XXXXXX");
	/* Every data file made first: no run finds a file just written. */
	for (int s = 0; s < NSYS; s++)
		for (int w = 0; w < NWORKLOADS; w++) {
			if (!opt.wl_on[w] || !sys_on(w, s))
				continue;
			(void)file_of(s, w);
			if (workloads[w].run_pagesize != 0)
				(void)path_of(s, 1);
		}
	for (int w = 0; w < NWORKLOADS; w++) {
		/* The probe's open fails unless this holds the whole file;
		 * the floor has as many frames as lfmpool. */
		for (int s = 0; s < NSYS && opt.wl_on[w]; s++)
			g_cache_bytes[w][s] =
			    (size_t)workloads[w].frames * BENCH_PAGE_SIZE;
		if (opt.wl_on[w] && sys_on(w, SYS_BDB))
			size_bdb(w);
	}
	run_cells(measure);
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
	g_start = bench_now();
	parse_args(argc, argv, BENCH_PROCS_MODE);
	return opt.procs_mode ? procs_main() : threads_main();
}
