/*
 * bench_state.h - the run's options, workload table and results: what the
 * driver's sources share (bench_state.c), and die(). bench_opts.c (the
 * command line) fills the options, bench_main.c (the runs and main(), on
 * top) the results, and bench_report.c (the report) reads both; the first
 * and the last depend on this module, never on bench_main.c.
 */
#ifndef LFMPOOL_BENCH_STATE_H
#define LFMPOOL_BENCH_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "bench.h"

#define FILE_PAGES  16384u /* pages in each data file */
#define MAX_THREADS 256
#define MAX_RUNS    1000
#define NSYS	    4  /* 0: lfmpool, 1: BDB, 2: the bare probe, 3: the floor */
#define SYS_BDB	    1  /* Berkeley DB 5.3's index (bench_bdb.c) */
#define SYS_BARE    2  /* the bare probe's index (bench_bare.c) */
#define SYS_FLOOR   3  /* the pread floor's index (bench_floor.c) */
#define NWORKLOADS  10 /* entries of workloads[] (checked in bench_state.c) */

/* Pages in the large data file of the workloads that name it
 * (file_pages): 1 M pages of 4 KiB, 4 GiB. */
#define BIG_FILE_PAGES (1u << 20)

/* ------------------------------------------------------------------ */
/* Workloads                                                           */

enum dist { DIST_UNIFORM, DIST_ZIPF };

/* Background writing during the timed period. */
enum wb_mode {
	WB_ASIS, /* each pool as opened: lfmpool with its default flushers */
	WB_OFF,	 /* lfmpool memp_set_flushers(mp, 0, 0); BDB as opened */
	WB_ON,	 /* lfmpool memp_set_flushers(mp, -1, --clean-pct); BDB with
		  * a thread calling memp_trickle(--trickle-pct) in a loop */
};

struct workload {
	const char *name;
	const char *desc;
	uint32_t frames; /* pool size in pages */
	enum dist dist;
	uint32_t range;	      /* pages drawn from [0, range) */
	uint32_t dirty_every; /* every Nth op of a thread dirties; 0: none */
	enum wb_mode wb;
	int timed;	   /* time every get into a latency histogram */
	const char *group; /* also selected by this name; NULL: none */
	int max_threads;   /* with the default --threads, skip cells above;
			    * 0: none */
	/* Two-file workloads (mixed-shift-*): the warm-up reads every page
	 * of the data file of `warm_pagesize` byte pages, then the pool
	 * moves to the one of `run_pagesize` (use_file), which the timed
	 * period reads. Both 0: the one 4 KiB data file throughout. */
	uint32_t warm_pagesize, run_pagesize;
	/* Pages of the 4 KiB data file: 0, the usual FILE_PAGES one;
	 * BIG_FILE_PAGES, a file of its own per system (hit-uniform-1m). */
	uint32_t file_pages;
};

extern const struct workload workloads[NWORKLOADS];

/* ------------------------------------------------------------------ */
/* Options and results                                                 */

struct bench_opt {
	int wl_on[NWORKLOADS];
	int threads[64];
	int nthreads;
	double seconds;
	int runs;
	const char *csv_path;
	const char *data_path; /* --data: medians per cell, for plotting */
	int bdb_same_bytes;    /* --bdb-sizing=bytes */
	uint64_t seed;
	int clean_pct;	      /* lfmpool flushers' target; 0: its default */
	int trickle_pct;      /* BDB memp_trickle percentage */
	int trickle_pause_us; /* pause between two memp_trickle calls */
	int threads_given;    /* --threads was given */
	int bare;	      /* --bare (default) / --no-bare */
	int floor;	      /* --floor (default) / --no-floor */
	int bdb;	      /* --bdb (default) / --no-bdb */
};

extern struct bench_opt opt;
extern const struct bench_sys *const systems[NSYS];
extern const char *const sys_csv_name[NSYS];

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
	/* Over the timed period, from the system's statistics. */
	uint64_t evict_clean, evict_dirty, pages_out;
	uint64_t pages_in, pages_in_mapped;
	/* Timed workloads: every get timed (bench_lat.h). */
	uint64_t gets_timed;
	double p99_all_us;  /* p99 of all gets */
	double p99_miss_us; /* p99 of the `misses` slowest gets */
	/* WB_ON on a system without flushers: the trickle thread. */
	uint64_t trickle_calls, trickle_pages;
};

extern struct run_result *g_res; /* [w][t][sys][run] */
extern size_t g_cache_bytes[NWORKLOADS][NSYS];
extern uint64_t g_bdb_held_same_bytes[NWORKLOADS]; /* pages-mode info */
extern int g_failed;

struct run_result *res_at(int w, int t, int s, int r);

/* The pages of workload w's 4 KiB data file. */
static inline uint32_t wl_pages(int w)
{
	return workloads[w].file_pages != 0 ? workloads[w].file_pages
					    : FILE_PAGES;
}

/* Is cell (workload w, thread count t) run? */
static inline int cell_on(int w, int t)
{
	return opt.wl_on[w] &&
	       (workloads[w].max_threads == 0 || opt.threads_given ||
		opt.threads[t] <= workloads[w].max_threads);
}

/* Does system s run in workload w? BDB runs unless --no-bdb. The bare
 * probe never evicts:
 * it runs (unless --no-bare) where the pool holds the whole file, the hit
 * workloads. The pread floor runs (unless --no-floor) where it does not,
 * the miss workloads. So each workload has at most one reference; the
 * two-file workloads have none. */
static inline int sys_on(int w, int s)
{
	if (workloads[w].run_pagesize != 0 && s >= SYS_BARE)
		return 0; /* the references serve one file */
	if (s == SYS_BDB)
		return opt.bdb;
	if (s == SYS_BARE)
		return opt.bare && workloads[w].frames >= wl_pages(w);
	if (s == SYS_FLOOR)
		return opt.floor && workloads[w].frames < wl_pages(w);
	return 1;
}

/* The reference that runs in workload w (SYS_BARE or SYS_FLOOR), or -1. */
static inline int ref_of(int w)
{
	return sys_on(w, SYS_BARE)    ? SYS_BARE
	       : sys_on(w, SYS_FLOOR) ? SYS_FLOOR
				      : -1;
}

/* The number of systems that run in workload w. */
static inline int nsys_in(int w)
{
	int n = 0;

	for (int s = 0; s < NSYS; s++)
		n += sys_on(w, s);
	return n;
}

/* Does system s run in any workload selected? */
static inline int sys_any(int s)
{
	for (int w = 0; w < NWORKLOADS; w++)
		if (opt.wl_on[w] && sys_on(w, s))
			return 1;
	return 0;
}

/* "mpool_bench: <message>" on stderr, then exit(1). */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

#endif /* LFMPOOL_BENCH_STATE_H */
