/*
 * bench_driver.h - what the driver's sources share. They call downward
 * only: bench_main.c (threads mode, main), bench_procs.c (processes mode),
 * then bench_report.c, bench_run.c and bench_opts.c.
 */
#ifndef LFMPOOL_BENCH_DRIVER_H
#define LFMPOOL_BENCH_DRIVER_H

#include <pthread.h>
#include <stdatomic.h>

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
/* The large data file of hit-uniform-1m: 1 M pages of 4 KiB, 4 GiB. */
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
	uint32_t frames; /* pool size in pages */
	enum dist dist;
	uint32_t range;	      /* pages drawn from [0, range) */
	uint32_t dirty_every; /* every Nth op of a thread dirties; 0: none */
	enum wb_mode wb;
	int timed;	   /* time every get into a latency histogram */
	const char *group; /* also selected by this name; NULL: none */
	int max_threads;   /* with the default --threads, skip cells above */
	/* mixed-shift-*: warm up on the file of `warm_pagesize` byte pages,
	 * then time gets of the other one; 0: the 4 KiB file throughout. */
	uint32_t warm_pagesize, run_pagesize;
	uint32_t file_pages; /* 0: FILE_PAGES; BIG_FILE_PAGES */
	int procs;	     /* also run in the processes mode */
};

extern const struct workload workloads[NWORKLOADS];
extern const struct bench_sys *const systems[NSYS];

struct bench_opt {
	int procs_mode;
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
	int bare, floor, bdb;  /* --no-bare, --no-floor, --no-bdb: 0 */
	uint32_t pages;	       /* processes: pages in the file (--pages) */
	const char *dir;       /* processes: --dir */
	int cold;	       /* processes: no warm-up in the children */
};

extern struct bench_opt opt;
extern const char *g_prog; /* the messages' prefix: the binary's name */

/* opt from the command line (processes mode if `procs_mode` or --procs);
 * exits 2 on a bad one. */
void parse_args(int argc, char **argv, int procs_mode);
/* "<g_prog>: <message>" on stderr, then exit(1). */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static inline uint32_t wl_pages(int w)
{
	return workloads[w].file_pages != 0 ? workloads[w].file_pages
					    : FILE_PAGES;
}

/* Cells per workload: a thread count, or (processes) a process count
 * (t / opt.nthreads) and a thread count (t % opt.nthreads). */
static inline int ncells_per_wl(void)
{
	return opt.nthreads * (opt.procs_mode ? opt.nprocs : 1);
}

/* Is cell t of workload w run? */
static inline int cell_on(int w, int t)
{
	return opt.wl_on[w] &&
	       (workloads[w].max_threads == 0 || opt.threads_given ||
		opt.threads[t % opt.nthreads] <= workloads[w].max_threads);
}

#define FOR_CELLS(w, t)                                                        \
	for (int w = 0; w < NWORKLOADS; w++)                                   \
		for (int t = 0; t < ncells_per_wl(); t++)                      \
			if (cell_on(w, t))

/* Does system s run in workload w? The bare probe never evicts: it runs
 * where the pool holds the whole file, the pread floor where it does not;
 * so a workload has at most one reference, the two-file workloads and the
 * processes mode none. */
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

static inline int sys_any(int s)
{
	for (int w = 0; w < NWORKLOADS; w++)
		if (opt.wl_on[w] && sys_on(w, s))
			return 1;
	return 0;
}

/* A run's results, for bench_report.c. */
struct run_result {
	int done;
	double ops_per_sec;
	uint64_t ops;
	uint64_t held_warm;	    /* pages in the cache after the warm-up */
	uint64_t held_end;	    /* ... at the end of the timed period */
	uint64_t cache_bytes;	    /* as the system reports it */
	uint64_t checked, wrong;    /* gets checked, wrong pages among them */
	uint64_t errors;	    /* failed calls */
	BENCH_COUNTERS(BENCH_FIELD) /* over the timed period */
	uint64_t gets_timed;	    /* timed workloads: every get */
	double p99_all_us;	    /* p99 of all gets */
	double p99_miss_us;	    /* p99 of the `misses` slowest gets */
	/* WB_ON on a system without flushers: the trickle thread. */
	uint64_t trickle_calls, trickle_pages;
	double minflt; /* processes: minor faults per process, timed phase */
};

/* bench_run.c: a timed period over one open pool, files, faults. */

/* What a pass or a worker saw go wrong: the first of each kind. */
struct fault {
	uint64_t checked, wrong; /* gets checked, wrong pages among them */
	uint32_t want, got;	 /* the first wrong page */
	int err;		 /* the first failed call, or 0 */
	const char *op;		 /* "get" or "put" */
	uint32_t pgno;
};

struct worker {
	pthread_t tid;
	struct crew *crew;
	uint64_t seed;
	uint64_t ops;
	struct fault f;
	struct lat_hist *lat; /* timed workloads: every get's latency */
} __attribute__((aligned(128)));

struct crew {
	/* Set by the caller before crew_start. */
	const struct bench_sys *sys;
	bench_pool *bp;
	struct workload wl; /* its range may be narrowed (processes) */
	int nthreads;
	int trickling; /* also a trickle thread (WB_ON, no flushers) */
	/* Zero until crew_start and crew_time set them. */
	struct worker *w;
	pthread_barrier_t start;
	atomic_int stop;
	pthread_t trickle_tid;
	uint64_t trickle_calls, trickle_pages;
	int trickle_err;
	double secs; /* the timed period, as measured */
};

/* What f holds (a failed call, else wrong pages) as text after "<what>: "
 * (what NULL: none): -1; 0 if it holds nothing. */
int bench_fault_text(const struct bench_sys *sys, const struct fault *f,
		     const char *what, char *buf, size_t len);
/* Builds and checks the Zipf table: 0, or -1 after a message. */
int zipf_init(void);
/* mkdtemp of `pattern` under `base` into buf, or die. */
void bench_mkdtemp(char *buf, size_t len, const char *base,
		   const char *pattern);
/* Writes `bytes4k` * 4 KiB of pages of `pagesize` bytes (bench_fill). */
void bench_make_file(const char *path, uint32_t pagesize, uint32_t bytes4k);
/* Gets, checks and puts pages [0, pages): the error of the first failed
 * call (which ends the pass), else 0; wrong pages counted. */
int bench_warm(const struct bench_sys *sys, bench_pool *bp, uint32_t pages,
	       struct fault *f);
/* Starts the crew (worker i seeded with seeds[i]) waiting at the barrier,
 * then lets it loop for `seconds` and joins it; dies if it cannot. */
void crew_start(struct crew *c, const uint64_t *seeds);
void crew_time(struct crew *c, double seconds);
/* Frees the crew; timed workloads: rr's gets timed, p99 of all and of the
 * rr->misses slowest (docs/benchmarks.md, "Method"). */
void crew_free(struct crew *c, struct run_result *rr);

/* bench_report.c: the results and what is made of them. */
extern size_t g_cache_bytes[NWORKLOADS][NSYS];
extern uint64_t g_bdb_held_same_bytes[NWORKLOADS]; /* pages-mode info */
extern int g_failed;

/* The results of run r of system s in cell (w, t): in the processes mode
 * t is (the index of P in --procs) * opt.nthreads + (that of T). */
void results_alloc(void); /* for opt's cells; dies if it cannot */
struct run_result *res_at(int w, int t, int s, int r);

/* The header (threads mode: printed at once), the report, the --data
 * table (bench/plot.sh draws it); die on an error. */
void print_header(void);
void print_report(void);
void print_procs_report(size_t cache, const char *base);
void write_data(const char *path);

/* Every cell run: `measure` (0, or -1 to stop) each system of each run,
 * in order when r is even and reversed when odd, so all see the same
 * machine noise; a progress line on stderr per run and per cell. */
int run_cells(int (*measure)(int w, int t, int r, int s));
extern double g_start; /* bench_now() at the start */

int procs_main(void); /* bench_procs.c: runs, reports; the exit status */

#endif /* LFMPOOL_BENCH_DRIVER_H */
