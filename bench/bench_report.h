/*
 * bench_report.h - the results both modes fill and the Markdown reports
 * and --data tables made of them (bench_report.c), with the helpers the
 * drivers share (progress, median).
 */
#ifndef LFMPOOL_BENCH_REPORT_H
#define LFMPOOL_BENCH_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "bench_opts.h"

/* What one timed run produced (threads mode). */
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

/* Allocates g_res for opt's cells; dies if it cannot. */
void results_alloc(void);
struct run_result *res_at(int w, int t, int s, int r);

/* One cell of the processes mode: a workload, P processes of T threads. */
struct procs_cell {
	int w, p, t;
	double mops[2][MAX_RUNS], ratio[MAX_RUNS];
	double minflt[2][MAX_RUNS]; /* per process, in the timed phase */
};

/* Sets the date and machine lines (and prints the header, threads). */
void print_header(void);
void print_report(void);
/* Processes: the header (pool of `cache` bytes under `base`), tables. */
void print_procs_report(const struct procs_cell *c, int ncells, size_t cache,
			const char *base);
/* --data: the medians, minimum and maximum per cell and system as a
 * tab-separated table (bench/plot.sh draws it); dies on an error. */
void write_data(const char *path);
void write_procs_data(const char *path, const struct procs_cell *c, int ncells);

/* The median of v[0..n-1] (n > 0), sorting v in place. */
double median_sort(double *v, int n);
/* CLOCK_MONOTONIC in seconds. */
double bench_now(void);
/*
 * Progress, one line on stderr when cell i (1-based) of n is done:
 * "<g_prog>: cell i/n done: <what>; elapsed <t>, ~<left> left". `left`:
 * the estimate of the time still to go. Only stderr: the report is
 * unchanged.
 */
void bench_progress(int i, int n, const char *what, double elapsed,
		    double left);

#endif /* LFMPOOL_BENCH_REPORT_H */
