/*
 * bench_opts.c - the workload table, the systems, the command line of
 * both modes (see usage()) and die().
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_opts.h"

#define HIT_PROCS "uniform over every page, pool holds all"

const struct workload workloads[NWORKLOADS] = {
    {"hit-uniform", "uniform over all 16384 pages, pool holds all", FILE_PAGES,
     DIST_UNIFORM, FILE_PAGES, 0, WB_ASIS, 0, NULL, 0, 0, 0, 0, HIT_PROCS},
    {"hit-hot256", "uniform over pages 0-255, pool holds all 16384", FILE_PAGES,
     DIST_UNIFORM, 256, 0, WB_ASIS, 0, NULL, 0, 0, 0, 0,
     "uniform over pages 0-255, pool holds all"},
    {"hit-zipf", "Zipf(0.99) over 16384 pages (page 0 hottest), pool holds all",
     FILE_PAGES, DIST_ZIPF, FILE_PAGES, 0, WB_ASIS, 0, NULL, 0, 0, 0, 0, NULL},
    /* hit-uniform at a size where neither the pool's structures nor the
     * TLB's reach cover it (issue 27: at least 0.8 of the bare probe at
     * one thread). A 4 GiB data file per system, made for it alone; one
     * thread with the default --threads. */
    {"hit-uniform-1m",
     "uniform over all 1048576 pages of a 4 GiB file, pool holds all (1 M "
     "frames)",
     BIG_FILE_PAGES, DIST_UNIFORM, BIG_FILE_PAGES, 0, WB_ASIS, 0, NULL, 1, 0, 0,
     BIG_FILE_PAGES, NULL},
    {"miss-uniform", "uniform over 16384 pages, 2048-page pool, reads only",
     2048, DIST_UNIFORM, FILE_PAGES, 0, WB_ASIS, 0, NULL, 0, 0, 0, 0, NULL},
    {"dirty", "as miss-uniform, 1 put in 4 dirty (a byte written)", 2048,
     DIST_UNIFORM, FILE_PAGES, 4, WB_ASIS, 0, NULL, 0, 0, 0, 0, NULL},
    /* The write-back pair ("dirty-flush" selects both): see bench_report.c's
     * print_wb_header for the method. */
    {"dirty-flush-off",
     "as dirty, every get timed; lfmpool flushers off, BDB 5.3 plain", 2048,
     DIST_UNIFORM, FILE_PAGES, 4, WB_OFF, 1, "dirty-flush", 4, 0, 0, 0, NULL},
    {"dirty-flush-on",
     "as dirty, every get timed; lfmpool default flushers, BDB 5.3 with a "
     "memp_trickle thread",
     2048, DIST_UNIFORM, FILE_PAGES, 4, WB_ON, 1, "dirty-flush", 4, 0, 0, 0,
     NULL},
    /* Two page sizes in one 8 MiB pool ("mixed-shift" selects both): the
     * pool is filled with pages of one size, then the gets move to a file
     * of the other. Uniform over 3/2 of what the pool holds at the new
     * size, so about 2/3 of the gets can hit once the pool has followed
     * them (docs/protocol.md rule 24). */
    {"mixed-shift-up",
     "8 MiB pool filled with 4 KiB pages (every page of the 4 KiB file), "
     "then uniform over 1536 pages of an 8 KiB-page file (1024 fit)",
     2048, DIST_UNIFORM, 1536, 0, WB_ASIS, 0, "mixed-shift", 2, BENCH_PAGE_SIZE,
     BENCH_PAGE_SIZE_LARGE, 0, NULL},
    {"mixed-shift-down",
     "8 MiB pool filled with 8 KiB pages (every page of the 8 KiB file), "
     "then uniform over 3072 pages of the 4 KiB file (2048 fit)",
     2048, DIST_UNIFORM, 3072, 0, WB_ASIS, 0, "mixed-shift", 2,
     BENCH_PAGE_SIZE_LARGE, BENCH_PAGE_SIZE, 0, NULL},
};
_Static_assert(sizeof(workloads) / sizeof(workloads[0]) == NWORKLOADS,
	       "NWORKLOADS in bench_opts.h");

const struct bench_sys *const systems[NSYS] = {
    &bench_lfm_sys, &bench_bdb_sys, &bench_bare_sys, &bench_floor_sys};

struct bench_opt opt;
const char *g_prog = "mpool_bench";

void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", g_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void usage_procs(FILE *f)
{
	fprintf(f, "usage: mpool_bench_procs [options] (or mpool_bench --procs "
		   "LIST [options])\n"
		   "  --runs N        runs per system per cell (default 5)\n"
		   "  --seconds S     timed phase of a run (default 2)\n"
		   "  --procs LIST    process counts, e.g. 1,2 (default 1,2)\n"
		   "  --threads LIST  threads per process (default 1,2)\n"
		   "  --workload LIST hit-uniform,hit-hot256 (default both)\n"
		   "  --pages N       pages in the file and the pool (default "
		   "16384)\n"
		   "  --dir DIR       where the temporary directory goes "
		   "(default /dev/shm, else $TMPDIR, else /tmp)\n"
		   "  --cold          children skip their warm-up pass\n"
		   "  --data FILE     also the median, minimum and maximum "
		   "Mops/s per cell and\n"
		   "                  system, tab-separated (bench/plot.sh "
		   "draws it)\n");
}

static void usage_threads(FILE *f)
{
	fprintf(f,
		"usage: mpool_bench [--workload NAME[,NAME...]]... "
		"[--threads N[,N...]]\n"
		"                   [--seconds S] [--runs N] [--csv FILE] "
		"[--data FILE]\n"
		"                   [--bdb-sizing pages|bytes] [--seed N]\n"
		"                   [--bdb-dirty internal|api] "
		"[--clean-pct N] [--trickle-pct N]\n"
		"                   [--trickle-pause-us N] "
		"[--bare | --no-bare] [--floor | --floor-copy | --no-floor]\n"
		"                   [--bdb | --no-bdb]\n"
		"       mpool_bench --procs N[,N...] ...: the processes mode "
		"(--procs --help)\n"
		"workloads:");
	for (int w = 0; w < NWORKLOADS; w++)
		fprintf(f, " %s", workloads[w].name);
	fprintf(f, " (default: all; dirty-flush: both dirty-flush-*,\n"
		   "  which run at 4 threads at most unless --threads is "
		   "given; mixed-shift: both\n"
		   "  mixed-shift-*, at 2 threads at most unless --threads "
		   "is given)\n"
		   "defaults: --threads 1,2,4,8 --seconds 1.0 --runs 5 "
		   "--bdb-sizing pages --bdb-dirty internal --seed 42\n"
		   "write-back (dirty-flush-on): --clean-pct 0 (lfmpool "
		   "flushers' target; 0: the library's default, 20)\n"
		   "  --trickle-pct 20 --trickle-pause-us 1000 (BDB's "
		   "memp_trickle thread)\n"
		   "--bare (default): in the hit workloads, also run the "
		   "bare probe (the least\n"
		   "  any pool can do per hit: one hash lookup, an atomic pin "
		   "and unpin) as a third\n"
		   "  system; --no-bare: lfmpool and BDB only\n"
		   "--floor (default): in the miss workloads, also run the "
		   "pread floor (one pread\n"
		   "  of the page per get, nothing else) as a third system; "
		   "--no-floor: lfmpool and\n"
		   "  BDB only; --floor-copy: the floor copies each page "
		   "from a read-only mapping of\n"
		   "  the file instead (lfmpool's way of reading a miss)\n"
		   "--bdb (default): run Berkeley DB 5.3; --no-bdb: lfmpool "
		   "and the workload's\n"
		   "  reference only\n"
		   "hit-uniform-1m: a 4 GiB data file per system (12 GiB "
		   "under $TMPDIR, removed at\n"
		   "  exit), a 4 GiB pool, BDB a 4.4 GiB cache; 1 thread "
		   "unless --threads is given\n"
		   "--csv FILE: every run's Mops/s (and p99s), one row each; "
		   "--data FILE: per cell\n"
		   "  and system the median, minimum and maximum Mops/s, "
		   "tab-separated (bench/plot.sh\n"
		   "  draws it); progress, one line per cell, on stderr\n");
}

static void usage(FILE *f)
{
	(opt.procs_mode ? usage_procs : usage_threads)(f);
}

static __attribute__((noreturn)) void bad(const char *what, const char *arg)
{
	fprintf(stderr, "%s: bad %s '%s'\n", g_prog, what, arg);
	usage(stderr);
	exit(2);
}

static long int_arg(const char *arg, const char *name, long lo, long hi)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*end != '\0' || end == arg || n < lo || n > hi)
		bad(name, arg);
	return n;
}

/* A comma-separated list of integers in [lo, hi], at most `max`. */
static int int_list(const char *arg, const char *name, int *v, int max, long lo,
		    long hi)
{
	char *copy = strdup(arg), *save = NULL;
	int n = 0;

	if (copy == NULL)
		die("out of memory");
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (n == max)
			bad(name, arg);
		v[n++] = (int)int_arg(tok, name, lo, hi);
	}
	free(copy);
	if (n == 0)
		bad(name, arg);
	return n;
}

/* Does `tok` name workload w? Processes: its own name only. */
static int names(const char *tok, int w)
{
	if (opt.procs_mode)
		return workloads[w].procs_desc != NULL &&
		       strcmp(tok, workloads[w].name) == 0;
	return strcmp(tok, workloads[w].name) == 0 || strcmp(tok, "all") == 0 ||
	       (workloads[w].group != NULL &&
		strcmp(tok, workloads[w].group) == 0);
}

static void parse_workloads(const char *arg)
{
	char *copy = strdup(arg), *save = NULL;

	if (copy == NULL)
		die("out of memory");
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		int found = 0;

		for (int w = 0; w < NWORKLOADS; w++)
			if (names(tok, w))
				opt.wl_on[w] = found = 1;
		if (!found)
			bad("workload", tok);
	}
	free(copy);
}

static double seconds_arg(const char *arg)
{
	char *end;
	double s = strtod(arg, &end);

	if (*end != '\0' || !(s >= (opt.procs_mode ? 0.01 : 1e-9)) || s > 3600)
		bad("--seconds", arg);
	return s;
}

static int choice(const char *arg, const char *name, const char *no,
		  const char *yes)
{
	if (strcmp(arg, no) != 0 && strcmp(arg, yes) != 0)
		bad(name, arg);
	return strcmp(arg, yes) == 0;
}

/* The mode each option belongs to, in longopts' order: 'T' threads, 'P'
 * processes, 'B' both. Flags set their int through getopt_long. */
static const char modes[] = "BBBBTBTTTTTTTTTTTTTBPPPB";
static const struct option longopts[] = {
    {"workload", required_argument, NULL, 'w'},
    {"threads", required_argument, NULL, 't'},
    {"seconds", required_argument, NULL, 's'},
    {"runs", required_argument, NULL, 'r'},
    {"csv", required_argument, NULL, 'c'},
    {"data", required_argument, NULL, 'd'},
    {"bdb-sizing", required_argument, NULL, 'b'},
    {"bdb-dirty", required_argument, NULL, 'D'},
    {"seed", required_argument, NULL, 'S'},
    {"clean-pct", required_argument, NULL, 'C'},
    {"trickle-pct", required_argument, NULL, 'T'},
    {"trickle-pause-us", required_argument, NULL, 'P'},
    {"bare", no_argument, &opt.bare, 1},
    {"no-bare", no_argument, &opt.bare, 0},
    {"floor", no_argument, &opt.floor, 1},
    {"no-floor", no_argument, &opt.floor, 0},
    {"floor-copy", no_argument, NULL, 'm'},
    {"bdb", no_argument, &opt.bdb, 1},
    {"no-bdb", no_argument, &opt.bdb, 0},
    {"procs", required_argument, NULL, 'p'},
    {"pages", required_argument, NULL, 'G'},
    {"dir", required_argument, NULL, 'i'},
    {"cold", no_argument, &opt.cold, 1},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
_Static_assert(sizeof(modes) == sizeof(longopts) / sizeof(longopts[0]),
	       "a mode per option");

static void defaults(void)
{
	opt.seconds = opt.procs_mode ? 2.0 : 1.0;
	opt.runs = 5;
	opt.seed = 42;
	opt.trickle_pct = 20;
	opt.trickle_pause_us = 1000;
	opt.bare = opt.floor = opt.bdb = 1;
	opt.pages = FILE_PAGES;
	opt.nprocs = int_list("1,2", "--procs", opt.procs, MAX_LIST, 1, 16);
	opt.nthreads = int_list(opt.procs_mode ? "1,2" : "1,2,4,8", "--threads",
				opt.threads, MAX_LIST, 1, MAX_THREADS);
}

static void threads_option(int c, const char *arg)
{
	switch (c) {
	case 'c':
		opt.csv_path = arg;
		break;
	case 'b':
		opt.bdb_same_bytes =
		    choice(arg, "--bdb-sizing", "pages", "bytes");
		break;
	case 'D':
		bench_bdb_dirty_api =
		    choice(arg, "--bdb-dirty", "internal", "api");
		break;
	case 'S': {
		char *end;

		opt.seed = strtoull(arg, &end, 0);
		if (*end != '\0')
			bad("--seed", arg);
		break;
	}
	case 'C':
		opt.clean_pct = (int)int_arg(arg, "--clean-pct", 0, 99);
		break;
	case 'T':
		opt.trickle_pct = (int)int_arg(arg, "--trickle-pct", 1, 100);
		break;
	case 'P':
		opt.trickle_pause_us =
		    (int)int_arg(arg, "--trickle-pause-us", 0, 1000000);
		break;
	case 'm':
		opt.floor = bench_floor_copy = 1;
		break;
	}
}

static void option(int c, const char *arg, int *any_wl)
{
	const int pm = opt.procs_mode;

	switch (c) {
	case 'w':
		parse_workloads(arg), *any_wl = 1;
		break;
	case 't':
		opt.nthreads =
		    int_list(arg, "--threads", opt.threads, pm ? 8 : MAX_LIST,
			     1, pm ? 16 : MAX_THREADS);
		opt.threads_given = 1;
		break;
	case 's':
		opt.seconds = seconds_arg(arg);
		break;
	case 'r':
		opt.runs = (int)int_arg(arg, "--runs", 1, pm ? 101 : MAX_RUNS);
		break;
	case 'd':
		opt.data_path = arg;
		break;
	case 'p':
		opt.nprocs = int_list(arg, "--procs", opt.procs, 8, 1, 16);
		break;
	case 'G':
		opt.pages = (uint32_t)int_arg(arg, "--pages", 256, 1 << 20);
		break;
	case 'i':
		opt.dir = arg;
		break;
	case 'h':
		usage(stdout), exit(0);
	default:
		threads_option(c, arg);
	}
}

/* --procs anywhere: the processes mode, whose defaults differ. */
static int wants_procs(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strncmp(argv[i], "--procs", 7) == 0)
			return 1;
	return 0;
}

void parse_args(int argc, char **argv, int procs_mode)
{
	int any_wl = 0, c;

	opt.procs_mode = procs_mode || wants_procs(argc, argv);
	if (opt.procs_mode)
		g_prog = "mpool_bench_procs";
	defaults();
	for (int i = -1;
	     (c = getopt_long(argc, argv, "w:t:s:r:c:d:b:D:S:C:T:P:h", longopts,
			      &i)) != -1;
	     i = -1) {
		char m = i >= 0 ? modes[i] : strchr("cbDSCTP", c) ? 'T' : 'B';

		if (c == '?' || m == (opt.procs_mode ? 'T' : 'P')) {
			usage(stderr);
			exit(2);
		}
		option(c, optarg, &any_wl);
	}
	if (optind != argc)
		bad("argument", argv[optind]);
	for (int w = 0; w < NWORKLOADS && !any_wl; w++)
		opt.wl_on[w] = !opt.procs_mode || workloads[w].procs_desc;
}
