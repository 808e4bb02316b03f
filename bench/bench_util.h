/* bench_util.h - small helpers the benchmarks' sources share (bench_util.c). */
#ifndef LFM_BENCH_UTIL_H
#define LFM_BENCH_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* The median of v[0..n-1] (n > 0), sorting v in place. */
double bench_median_sort(double *v, int n);

/* The CPU's model name from /proc/cpuinfo, or "unknown". */
void bench_cpu_model(char *buf, size_t len);

/* Read all of `len` bytes at `off` of `fd` into buf, again on EINTR and
 * short reads: 0, or an errno (EIO: the file ends first). */
int bench_pread_full(int fd, unsigned char *buf, size_t len, off_t off);

/*
 * Opens `path` for a --data table (bench/plot.sh reads it) and writes its
 * head: "# <what>", the date, machine and runs lines, then the tab-separated
 * `columns` line. NULL (errno set) if it cannot be opened.
 */
FILE *bench_data_open(const char *path, const char *what, const char *date,
		      const char *machine, int runs, double seconds,
		      const char *columns);

/* CLOCK_MONOTONIC in seconds. */
double bench_now(void);

/*
 * Progress, one line on stderr when cell i (1-based) of n is done:
 * "<prog>: cell i/n done: <what>; elapsed <t>, ~<left> left". `elapsed`:
 * seconds since the benchmark started; `left`: the estimate of the time
 * still to go (negative: none yet). Only stderr: the report is unchanged.
 */
void bench_progress(const char *prog, int i, int n, const char *what,
		    double elapsed, double left);

#endif
