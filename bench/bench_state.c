/*
 * bench_state.c - the run's options, workload table and results: the one
 * copy of what bench_main.c (the runs), bench_opts.c (the command line) and
 * bench_report.c (the report) share, and die(), which all of them call.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "bench_state.h"

/* ------------------------------------------------------------------ */
/* Workloads                                                           */

const struct workload workloads[NWORKLOADS] = {
    {"hit-uniform", "uniform over all 16384 pages, pool holds all", FILE_PAGES,
     DIST_UNIFORM, FILE_PAGES, 0, WB_ASIS, 0, NULL, 0, 0, 0, 0},
    {"hit-hot256", "uniform over pages 0-255, pool holds all 16384", FILE_PAGES,
     DIST_UNIFORM, 256, 0, WB_ASIS, 0, NULL, 0, 0, 0, 0},
    {"hit-zipf", "Zipf(0.99) over 16384 pages (page 0 hottest), pool holds all",
     FILE_PAGES, DIST_ZIPF, FILE_PAGES, 0, WB_ASIS, 0, NULL, 0, 0, 0, 0},
    /* hit-uniform at a size where neither the pool's structures nor the
     * TLB's reach cover it (issue 27: at least 0.8 of the bare probe at
     * one thread). A 4 GiB data file per system, made for it alone; one
     * thread with the default --threads. */
    {"hit-uniform-1m",
     "uniform over all 1048576 pages of a 4 GiB file, pool holds all (1 M "
     "frames)",
     BIG_FILE_PAGES, DIST_UNIFORM, BIG_FILE_PAGES, 0, WB_ASIS, 0, NULL, 1, 0, 0,
     BIG_FILE_PAGES},
    {"miss-uniform", "uniform over 16384 pages, 2048-page pool, reads only",
     2048, DIST_UNIFORM, FILE_PAGES, 0, WB_ASIS, 0, NULL, 0, 0, 0, 0},
    {"dirty", "as miss-uniform, 1 put in 4 dirty (a byte written)", 2048,
     DIST_UNIFORM, FILE_PAGES, 4, WB_ASIS, 0, NULL, 0, 0, 0, 0},
    /* The write-back pair ("dirty-flush" selects both): see bench_report.c's
     * header for the method. */
    {"dirty-flush-off",
     "as dirty, every get timed; lfmpool flushers off, BDB 5.3 plain", 2048,
     DIST_UNIFORM, FILE_PAGES, 4, WB_OFF, 1, "dirty-flush", 4, 0, 0, 0},
    {"dirty-flush-on",
     "as dirty, every get timed; lfmpool default flushers, BDB 5.3 with a "
     "memp_trickle thread",
     2048, DIST_UNIFORM, FILE_PAGES, 4, WB_ON, 1, "dirty-flush", 4, 0, 0, 0},
    /* Two page sizes in one 8 MiB pool ("mixed-shift" selects both): the
     * pool is filled with pages of one size, then the gets move to a file
     * of the other. Uniform over 3/2 of what the pool holds at the new
     * size, so about 2/3 of the gets can hit once the pool has followed
     * them (docs/protocol.md rule 24). */
    {"mixed-shift-up",
     "8 MiB pool filled with 4 KiB pages (every page of the 4 KiB file), "
     "then uniform over 1536 pages of an 8 KiB-page file (1024 fit)",
     2048, DIST_UNIFORM, 1536, 0, WB_ASIS, 0, "mixed-shift", 2, BENCH_PAGE_SIZE,
     BENCH_PAGE_SIZE_LARGE, 0},
    {"mixed-shift-down",
     "8 MiB pool filled with 8 KiB pages (every page of the 8 KiB file), "
     "then uniform over 3072 pages of the 4 KiB file (2048 fit)",
     2048, DIST_UNIFORM, 3072, 0, WB_ASIS, 0, "mixed-shift", 2,
     BENCH_PAGE_SIZE_LARGE, BENCH_PAGE_SIZE, 0},
};
_Static_assert(sizeof(workloads) / sizeof(workloads[0]) == NWORKLOADS,
	       "NWORKLOADS in bench_state.h");

/* ------------------------------------------------------------------ */
/* Options, systems and results                                        */

struct bench_opt opt;

const struct bench_sys *const systems[NSYS] = {
    &bench_lfm_sys, &bench_bdb_sys, &bench_bare_sys, &bench_floor_sys};
const char *const sys_csv_name[NSYS] = {"lfmpool", "bdb5.3", "bare", "floor"};

struct run_result *g_res; /* [w][t][sys][run] */
size_t g_cache_bytes[NWORKLOADS][NSYS];
uint64_t g_bdb_held_same_bytes[NWORKLOADS]; /* pages-mode info */
int g_failed;

struct run_result *res_at(int w, int t, int s, int r)
{
	return &g_res[(((size_t)w * (size_t)opt.nthreads + (size_t)t) * NSYS +
		       (size_t)s) *
			  (size_t)opt.runs +
		      (size_t)r];
}

void die(const char *fmt, ...)
{
	va_list ap;

	fputs("mpool_bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}
