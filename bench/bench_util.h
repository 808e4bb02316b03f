/* bench_util.h - small helpers both benchmark drivers use (bench_util.c). */
#ifndef LFM_BENCH_UTIL_H
#define LFM_BENCH_UTIL_H

#include <stddef.h>

/* The median of v[0..n-1] (n > 0), sorting v in place. */
double bench_median_sort(double *v, int n);

/* The CPU's model name from /proc/cpuinfo, or "unknown". */
void bench_cpu_model(char *buf, size_t len);

#endif
