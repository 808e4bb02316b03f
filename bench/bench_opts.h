/*
 * bench_opts.h - what the driver's sources share: the workload table, the
 * systems, the command line of both modes (bench_opts.c) and die().
 *
 * The driver runs in one of two modes. Threads (mpool_bench): each system
 * in this process, a private pool, T threads. Processes (mpool_bench_procs,
 * or mpool_bench --procs LIST): lfmpool and BDB as shared pools, P forked
 * processes of T threads each (bench_procs.c).
 */
#ifndef LFMPOOL_BENCH_OPTS_H
#define LFMPOOL_BENCH_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "bench.h"

#define FILE_PAGES  16384u /* pages in each data file */
#define MAX_THREADS 256
#define MAX_RUNS    1000
#define MAX_LIST    64 /* entries of --threads and --procs */
#define NSYS	    4  /* 0: lfmpool, 1: BDB, 2: the bare probe, 3: the floor */
#define SYS_BDB	    1
#define SYS_BARE    2
#define SYS_FLOOR   3
#define NWORKLOADS  10 /* entries of workloads[] (checked in bench_opts.c) */
/* Pages in the large data file of the workloads that name it
 * (file_pages): 1 M pages of 4 KiB, 4 GiB. */
#define BIG_FILE_PAGES (1u << 20)

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
	/* The processes mode's description; NULL: not run there. */
	const char *procs_desc;
};

extern const struct workload workloads[NWORKLOADS];
extern const struct bench_sys *const systems[NSYS];

struct bench_opt {
	int procs_mode; /* processes (bench_procs.c), else threads */
	int wl_on[NWORKLOADS];
	int threads[MAX_LIST], nthreads;
	int threads_given; /* --threads was given */
	int procs[MAX_LIST], nprocs;
	double seconds;
	int runs;
	uint64_t seed;
	const char *csv_path;
	const char *data_path; /* --data: medians per cell, for plotting */
	int bdb_same_bytes;    /* --bdb-sizing=bytes */
	int clean_pct;	       /* lfmpool flushers' target; 0: its default */
	int trickle_pct;       /* BDB memp_trickle percentage */
	int trickle_pause_us;  /* pause between two memp_trickle calls */
	int bare;	       /* --bare (default) / --no-bare */
	int floor;	       /* --floor (default) / --no-floor */
	int bdb;	       /* --bdb (default) / --no-bdb */
	uint32_t pages;	       /* processes: pages in the file (--pages) */
	const char *dir;       /* processes: --dir */
	int cold;	       /* processes: no warm-up in the children */
};

extern struct bench_opt opt;
/* "mpool_bench" or "mpool_bench_procs": the messages' prefix. */
extern const char *g_prog;

/* Fills opt from the command line, in processes mode if `procs_mode` or
 * --procs is given; exits 2 on a bad one. */
void parse_args(int argc, char **argv, int procs_mode);

/* "<g_prog>: <message>" on stderr, then exit(1). */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

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
 * probe never evicts: it runs (unless --no-bare) where the pool holds the
 * whole file, the hit workloads. The pread floor runs (unless --no-floor)
 * where it does not, the miss workloads. So each workload has at most one
 * reference; the two-file workloads and the processes mode have none. */
static inline int sys_on(int w, int s)
{
	if ((workloads[w].run_pagesize != 0 || opt.procs_mode) && s >= SYS_BARE)
		return 0;
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

/* Does system s run in any workload selected? */
static inline int sys_any(int s)
{
	for (int w = 0; w < NWORKLOADS; w++)
		if (opt.wl_on[w] && sys_on(w, s))
			return 1;
	return 0;
}

#endif /* LFMPOOL_BENCH_OPTS_H */
