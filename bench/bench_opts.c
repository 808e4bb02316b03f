/*
 * bench_opts.c - the workload table, the systems, the command line of
 * both modes (one table: parsing and --help) and die().
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_driver.h"

#define HIT_PROCS "uniform over every page, pool holds all"

/* Fields: name, desc, frames, dist, range, dirty_every, wb, timed, group,
 * max_threads, warm_pagesize, run_pagesize, file_pages, procs_desc. */
const struct workload workloads[NWORKLOADS] = {
    {"hit-uniform", "uniform over all 16384 pages, pool holds all", FILE_PAGES,
     DIST_UNIFORM, FILE_PAGES, 0, WB_ASIS, 0, NULL, 0, 0, 0, 0, HIT_PROCS},
    {"hit-hot256", "uniform over pages 0-255, pool holds all 16384", FILE_PAGES,
     DIST_UNIFORM, 256, 0, WB_ASIS, 0, NULL, 0, 0, 0, 0,
     "uniform over pages 0-255, pool holds all"},
    {"hit-zipf", "Zipf(0.99) over 16384 pages (page 0 hottest), pool holds all",
     FILE_PAGES, DIST_ZIPF, FILE_PAGES, 0, WB_ASIS, 0, NULL, 0, 0, 0, 0, NULL},
    /* Where neither the pool's structures nor the TLB's reach cover it. */
    {"hit-uniform-1m",
     "uniform over all 1048576 pages of a 4 GiB file, pool holds all (1 M "
     "frames)",
     BIG_FILE_PAGES, DIST_UNIFORM, BIG_FILE_PAGES, 0, WB_ASIS, 0, NULL, 1, 0, 0,
     BIG_FILE_PAGES, NULL},
    {"miss-uniform", "uniform over 16384 pages, 2048-page pool, reads only",
     2048, DIST_UNIFORM, FILE_PAGES, 0, WB_ASIS, 0, NULL, 0, 0, 0, 0, NULL},
    {"dirty", "as miss-uniform, 1 put in 4 dirty (a byte written)", 2048,
     DIST_UNIFORM, FILE_PAGES, 4, WB_ASIS, 0, NULL, 0, 0, 0, 0, NULL},
    {"dirty-flush-off",
     "as dirty, every get timed; lfmpool flushers off, BDB 5.3 plain", 2048,
     DIST_UNIFORM, FILE_PAGES, 4, WB_OFF, 1, "dirty-flush", 4, 0, 0, 0, NULL},
    {"dirty-flush-on",
     "as dirty, every get timed; lfmpool default flushers, BDB 5.3 with a "
     "memp_trickle thread",
     2048, DIST_UNIFORM, FILE_PAGES, 4, WB_ON, 1, "dirty-flush", 4, 0, 0, 0,
     NULL},
    /* Uniform over 3/2 of what the 8 MiB pool holds at the new page size,
     * so about 2/3 of the gets can hit once the pool has followed them. */
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
	       "NWORKLOADS in bench_driver.h");

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

/*
 * Every option, once: getopt_long's entry, the mode it belongs to ('T'
 * threads, 'P' processes, 'B' both) and its --help line. A flag sets its
 * int through getopt_long.
 */
static const struct optdef {
	const char *name;
	int has_arg;
	int *flag; /* set to val by getopt_long; NULL: val is returned */
	int val;
	char mode;
	const char *arg, *help;
} optdefs[] = {
#define MORE "\n                     " /* a help text's next line */
    {"workload", 1, NULL, 'w', 'B', "LIST", "the workloads to run (below)"},
    {"threads", 1, NULL, 't', 'B', "LIST", "thread counts (per process)"},
    {"procs", 1, NULL, 'p', 'P', "LIST", "process counts (default 1,2)"},
    {"seconds", 1, NULL, 's', 'B', "S", "timed period of a run"},
    {"runs", 1, NULL, 'r', 'B', "N", "runs per system per cell (5)"},
    {"csv", 1, NULL, 'c', 'T', "FILE",
     "every run's Mops/s (and p99s), a row each"},
    {"data", 1, NULL, 'd', 'B', "FILE",
     "per cell and system the median, minimum and maximum" MORE
     "Mops/s, tab-separated (bench/plot.sh draws it)"},
    {"bdb-sizing", 1, NULL, 'b', 'T', "pages|bytes",
     "BDB's cache holds lfmpool's pages (default) or bytes"},
    {"bdb-dirty", 1, NULL, 'D', 'T', "internal|api",
     "BDB's dirty gets: __memp_fget (default), or" MORE
     "DB_MPOOLFILE->get, which drops the flag"},
    {"seed", 1, NULL, 'S', 'T', "N", "the workers' seed (42)"},
    {"clean-pct", 1, NULL, 'C', 'T', "N",
     "dirty-flush-on: lfmpool flushers' target (0: the" MORE
     "library's default, 20)"},
    {"trickle-pct", 1, NULL, 'T', 'T', "N",
     "dirty-flush-on: BDB's memp_trickle percentage (20)"},
    {"trickle-pause-us", 1, NULL, 'P', 'T', "N",
     "dirty-flush-on: pause between two memp_trickle (1000)"},
    {"pages", 1, NULL, 'G', 'P', "N", "pages in the file and the pool"},
    {"dir", 1, NULL, 'i', 'P', "DIR",
     "where the temporary directory goes (default" MORE
     "/dev/shm, else $TMPDIR, else /tmp)"},
    {"bare", 0, &opt.bare, 1, 'T', NULL,
     "hit workloads: also the bare probe (default)"},
    {"no-bare", 0, &opt.bare, 0, 'T', NULL, "lfmpool and BDB only"},
    {"floor", 0, &opt.floor, 1, 'T', NULL,
     "miss workloads: also the pread floor (default)"},
    {"floor-copy", 0, NULL, 'm', 'T', NULL,
     "the floor copies from a mapping (lfmpool's way)"},
    {"no-floor", 0, &opt.floor, 0, 'T', NULL, "lfmpool and BDB only"},
    {"bdb", 0, &opt.bdb, 1, 'T', NULL, "run Berkeley DB 5.3 (default)"},
    {"no-bdb", 0, &opt.bdb, 0, 'T', NULL,
     "lfmpool and the workload's reference only"},
    {"cold", 0, &opt.cold, 1, 'P', NULL, "children skip their warm-up"},
    {"help", 0, NULL, 'h', 'B', NULL, "this text"},
};
#define NOPTS ((int)(sizeof(optdefs) / sizeof(optdefs[0])))

static int in_mode(char mode)
{
	return mode == 'B' || mode == (opt.procs_mode ? 'P' : 'T');
}

static void usage(FILE *f)
{
	char left[40];

	fprintf(f, "usage: %s [OPTION]...%s\n", g_prog,
		opt.procs_mode ? " (or mpool_bench --procs LIST ...)"
			       : " (--procs LIST: the processes mode)");
	for (int i = 0; i < NOPTS; i++) {
		if (!in_mode(optdefs[i].mode))
			continue;
		snprintf(left, sizeof(left), "--%s %s", optdefs[i].name,
			 optdefs[i].arg != NULL ? optdefs[i].arg : "");
		/* A long one gets its help on the next line. */
		fprintf(f, "  %-18s%s%s\n", left,
			strlen(left) > 18 ? MORE : " ", optdefs[i].help);
	}
	fprintf(f, "workloads:");
	for (int w = 0; w < NWORKLOADS; w++)
		if (!opt.procs_mode || workloads[w].procs_desc != NULL)
			fprintf(f, " %s", workloads[w].name);
	if (opt.procs_mode) {
		fprintf(f, " (default: all)\ndefaults: --threads 1,2 --seconds "
			   "2 --runs 5 --pages 16384\n");
		return;
	}
	fprintf(f, "\n  (default: all; dirty-flush: both dirty-flush-*, at 4 "
		   "threads at most unless\n  --threads is given; mixed-shift: "
		   "both mixed-shift-*, at 2)\n"
		   "defaults: --threads 1,2,4,8 --seconds 1.0 --runs 5 "
		   "--bdb-sizing pages --bdb-dirty internal --seed 42\n"
		   "hit-uniform-1m: a 4 GiB data file per system (12 GiB "
		   "under $TMPDIR, removed at\n"
		   "  exit), a 4 GiB pool, BDB a 4.4 GiB cache; 1 thread "
		   "unless --threads is given\n"
		   "progress, one line per cell, on stderr\n");
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

/* Selects the workloads the list names (processes: by their own names). */
static void parse_workloads(const char *arg)
{
	char *copy = strdup(arg), *save = NULL;

	if (copy == NULL)
		die("out of memory");
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		int found = 0;

		for (int w = 0; w < NWORKLOADS; w++) {
			const struct workload *wl = &workloads[w];
			int named = strcmp(tok, wl->name) == 0;

			if (opt.procs_mode)
				named &= wl->procs_desc != NULL;
			else
				named |= strcmp(tok, "all") == 0 ||
					 (wl->group != NULL &&
					  strcmp(tok, wl->group) == 0);
			if (named)
				opt.wl_on[w] = found = 1;
		}
		if (!found)
			bad("workload", tok);
	}
	free(copy);
}

static int choice(const char *arg, const char *name, const char *no,
		  const char *yes)
{
	if (strcmp(arg, no) != 0 && strcmp(arg, yes) != 0)
		bad(name, arg);
	return strcmp(arg, yes) == 0;
}

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

static void option(int c, const char *arg)
{
	const int pm = opt.procs_mode;
	char *end;

	switch (c) {
	case 'w':
		parse_workloads(arg);
		break;
	case 't':
		opt.nthreads =
		    int_list(arg, "--threads", opt.threads, pm ? 8 : MAX_LIST,
			     1, pm ? 16 : MAX_THREADS);
		opt.threads_given = 1;
		break;
	case 'p':
		opt.nprocs = int_list(arg, "--procs", opt.procs, 8, 1, 16);
		break;
	case 's':
		opt.seconds = strtod(arg, &end);
		if (*end != '\0' || !(opt.seconds >= (pm ? 0.01 : 1e-9)) ||
		    opt.seconds > 3600)
			bad("--seconds", arg);
		break;
	case 'r':
		opt.runs = (int)int_arg(arg, "--runs", 1, pm ? 101 : MAX_RUNS);
		break;
	case 'c':
		opt.csv_path = arg;
		break;
	case 'd':
		opt.data_path = arg;
		break;
	case 'b':
		opt.bdb_same_bytes =
		    choice(arg, "--bdb-sizing", "pages", "bytes");
		break;
	case 'D':
		bench_bdb_dirty_api =
		    choice(arg, "--bdb-dirty", "internal", "api");
		break;
	case 'S':
		opt.seed = strtoull(arg, &end, 0);
		if (*end != '\0')
			bad("--seed", arg);
		break;
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
	case 'G':
		opt.pages = (uint32_t)int_arg(arg, "--pages", 256, 1 << 20);
		break;
	case 'i':
		opt.dir = arg;
		break;
	case 'h':
		usage(stdout);
		exit(0);
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
	struct option longopts[NOPTS + 1] = {{0}};
	int any_wl = 0, c, i;

	opt.procs_mode = procs_mode || wants_procs(argc, argv);
	if (opt.procs_mode)
		g_prog = "mpool_bench_procs";
	defaults();
	for (i = 0; i < NOPTS; i++)
		longopts[i] =
		    (struct option){optdefs[i].name, optdefs[i].has_arg,
				    optdefs[i].flag, optdefs[i].val};
	i = -1;
	/* An option of the other mode is refused. A short option (its
	 * letter is its val) leaves i at -1: found by its val. */
	while ((c = getopt_long(argc, argv, "w:t:s:r:c:d:b:D:S:C:T:P:h",
				longopts, &i)) != -1) {
		for (int k = 0; i < 0 && k < NOPTS; k++)
			i = optdefs[k].val == c && !optdefs[k].flag ? k : -1;
		if (c != '?' && i >= 0 && !in_mode(optdefs[i].mode))
			fprintf(stderr,
				"%s: --%s is an option of the %s mode\n",
				g_prog, optdefs[i].name,
				opt.procs_mode ? "threads" : "processes");
		if (c == '?' || i < 0 || !in_mode(optdefs[i].mode)) {
			usage(stderr);
			exit(2);
		}
		any_wl |= c == 'w';
		option(c, optarg);
		i = -1;
	}
	if (optind != argc)
		bad("argument", argv[optind]);
	for (int w = 0; w < NWORKLOADS && !any_wl; w++)
		opt.wl_on[w] = !opt.procs_mode || workloads[w].procs_desc;
}
