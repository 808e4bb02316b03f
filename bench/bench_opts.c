/*
 * bench_opts.c - the workload table, the systems, the command line of
 * both modes (one table: parsing and --help) and die().
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "bench_driver.h"

/* In struct workload's order; what each measures: docs/benchmarks.md,
 * "The workloads". */
const struct workload workloads[NWORKLOADS] = {
    {"hit-uniform", FILE_PAGES, DIST_UNIFORM, FILE_PAGES, 0, WB_ASIS, 0, NULL,
     0, 0, 0, 0, 1},
    {"hit-hot256", FILE_PAGES, DIST_UNIFORM, 256, 0, WB_ASIS, 0, NULL, 0, 0, 0,
     0, 1},
    {"hit-zipf", FILE_PAGES, DIST_ZIPF, FILE_PAGES, 0, WB_ASIS, 0, NULL, 0, 0,
     0, 0, 0},
    /* Where neither the pool's structures nor the TLB's reach cover it. */
    {"hit-uniform-1m", BIG_FILE_PAGES, DIST_UNIFORM, BIG_FILE_PAGES, 0, WB_ASIS,
     0, NULL, 1, 0, 0, BIG_FILE_PAGES, 0},
    {"miss-uniform", 2048, DIST_UNIFORM, FILE_PAGES, 0, WB_ASIS, 0, NULL, 0, 0,
     0, 0, 0},
    {"dirty", 2048, DIST_UNIFORM, FILE_PAGES, 4, WB_ASIS, 0, NULL, 0, 0, 0, 0,
     0},
    {"dirty-flush-off", 2048, DIST_UNIFORM, FILE_PAGES, 4, WB_OFF, 1,
     "dirty-flush", 4, 0, 0, 0, 0},
    {"dirty-flush-on", 2048, DIST_UNIFORM, FILE_PAGES, 4, WB_ON, 1,
     "dirty-flush", 4, 0, 0, 0, 0},
    /* Uniform over 3/2 of what the 8 MiB pool holds at the new page size,
     * so about 2/3 of the gets can hit once the pool has followed them. */
    {"mixed-shift-up", 2048, DIST_UNIFORM, 1536, 0, WB_ASIS, 0, "mixed-shift",
     2, BENCH_PAGE_SIZE, BENCH_PAGE_SIZE_LARGE, 0, 0},
    {"mixed-shift-down", 2048, DIST_UNIFORM, 3072, 0, WB_ASIS, 0, "mixed-shift",
     2, BENCH_PAGE_SIZE_LARGE, BENCH_PAGE_SIZE, 0, 0},
};
_Static_assert(sizeof(workloads) / sizeof(workloads[0]) == NWORKLOADS,
	       "NWORKLOADS in bench_driver.h");

const struct bench_sys *const systems[NSYS] = {
    &bench_lfm_sys, &bench_bdb_sys, &bench_bare_sys, &bench_floor_sys};

/* The defaults of both modes; parse_args sets the others. */
struct bench_opt opt = {.runs = 5,
			.seed = 42,
			.trickle_pct = 20,
			.trickle_pause_us = 1000,
			.bare = 1,
			.floor = 1,
			.bdb = 1,
			.pages = FILE_PAGES};
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
 * Every option, once: getopt_long's entry, its mode ('T' threads, 'P'
 * processes, 'B' both) and --help line. Without `arg`, a flag setting *i
 * to val; else an integer in [lo, hi] (processes: [lo, phi] if phi) sets
 * *i, a list of them i[0..*n), a string *str; option() handles the others
 * by their val (the short option).
 */
static const struct optdef {
	const char *name;
	int val;
	char mode;
	const char *arg, *help;
	int *i;
	long lo, hi, phi;
	int *n;
	const char **str;
} optdefs[] = {
    {"workload", 'w', 'B', "LIST", "the workloads to run (below)"},
    {"threads", 't', 'B', "LIST", "thread counts (per process)", opt.threads, 1,
     MAX_THREADS, 16, &opt.nthreads},
    {"procs", 'p', 'P', "LIST", "process counts (default 1,2)", opt.procs, 1,
     16, 16, &opt.nprocs},
    {"seconds", 's', 'B', "S", "timed period of a run"},
    {"runs", 'r', 'B', "N", "runs per system per cell (5)", &opt.runs, 1,
     MAX_RUNS, 101},
    {"csv", 'c', 'T', "FILE", "every run's Mops/s and p99s",
     .str = &opt.csv_path},
    {"data", 'd', 'B', "FILE", "medians per cell for bench/plot.sh",
     .str = &opt.data_path},
    {"bdb-sizing", 'b', 'T', "pages|bytes",
     "BDB holds lfmpool's pages or bytes"},
    {"bdb-dirty", 'D', 'T', "internal|api",
     "BDB's dirty gets: __memp_fget or ->get"},
    {"seed", 'S', 'T', "N", "the workers' seed (42)"},
    {"clean-pct", 'C', 'T', "N", "lfmpool flushers' target (0: 20)",
     &opt.clean_pct, 0, 99},
    {"trickle-pct", 'T', 'T', "N", "BDB's memp_trickle pct (20)",
     &opt.trickle_pct, 1, 100},
    {"trickle-pause-us", 'P', 'T', "N", "between two trickles (1000)",
     &opt.trickle_pause_us, 0, 1000000},
    {"pages", 'G', 'P', "N", "pages in the file and the pool"},
    {"dir", 'i', 'P', "DIR", "for the temporary directory", .str = &opt.dir},
    {"bare", 1, 'T', NULL, "the bare probe (default)", &opt.bare},
    {"no-bare", 0, 'T', NULL, "no bare probe", &opt.bare},
    {"floor", 1, 'T', NULL, "the pread floor (default)", &opt.floor},
    {"floor-copy", 'm', 'T', NULL, "the floor copies from a mapping"},
    {"no-floor", 0, 'T', NULL, "no floor", &opt.floor},
    {"bdb", 1, 'T', NULL, "run Berkeley DB 5.3 (default)", &opt.bdb},
    {"no-bdb", 0, 'T', NULL, "no Berkeley DB 5.3", &opt.bdb},
    {"cold", 1, 'P', NULL, "children skip their warm-up", &opt.cold},
    {"help", 'h', 'B', NULL, "this text"},
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
		snprintf(left, sizeof(left), "--%s %s", optdefs[i].name,
			 optdefs[i].arg != NULL ? optdefs[i].arg : "");
		if (in_mode(optdefs[i].mode))
			fprintf(f, "  %-24s %s\n", left, optdefs[i].help);
	}
	fprintf(f, "workloads (default: all):");
	for (int w = 0; w < NWORKLOADS; w++)
		if (!opt.procs_mode || workloads[w].procs)
			fprintf(f, " %s", workloads[w].name);
	fprintf(f, "%s\nthe options and defaults: docs/benchmarks.md\n",
		opt.procs_mode ? "" : " dirty-flush mixed-shift");
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

/* A comma-separated list: of integers in [1, hi] into v, at most `max`
 * (its length returned), or, with v NULL, of the workloads to select
 * (processes: by their own names). */
static int list(const char *arg, const char *name, int *v, int max, long hi)
{
	char *copy = strdup(arg), *save = NULL;
	int n = 0;

	if (copy == NULL)
		die("out of memory");
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save), n++) {
		int found = 0;

		if (v != NULL) {
			if (n == max)
				bad(name, arg);
			v[n] = (int)int_arg(tok, name, 1, hi);
			continue;
		}
		for (int w = 0; w < NWORKLOADS; w++) {
			const struct workload *wl = &workloads[w];
			int named = strcmp(tok, wl->name) == 0;

			if (opt.procs_mode)
				named &= wl->procs;
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
	if (n == 0 && v != NULL)
		bad(name, arg);
	return n;
}

static int choice(const char *arg, const char *name, const char *no,
		  const char *yes)
{
	if (strcmp(arg, no) != 0 && strcmp(arg, yes) != 0)
		bad(name, arg);
	return strcmp(arg, yes) == 0;
}

static void option(const struct optdef *d, const char *arg)
{
	const int pm = opt.procs_mode;
	const long hi = pm && d->phi != 0 ? d->phi : d->hi;
	char name[32];
	char *end;

	snprintf(name, sizeof(name), "--%s", d->name);
	if (d->n != NULL)
		*d->n = list(arg, name, d->i, pm ? 8 : MAX_LIST, hi);
	else if (d->i != NULL)
		*d->i = d->arg == NULL ? d->val
				       : (int)int_arg(arg, name, d->lo, hi);
	if (d->str != NULL)
		*d->str = arg;
	switch (d->val) {
	case 'w':
		list(arg, name, NULL, 0, 0);
		break;
	case 't':
		opt.threads_given = 1;
		break;
	case 's':
		opt.seconds = strtod(arg, &end);
		if (*end != '\0' || !(opt.seconds >= (pm ? 0.01 : 1e-9)) ||
		    opt.seconds > 3600)
			bad(name, arg);
		break;
	case 'b':
		opt.bdb_same_bytes = choice(arg, name, "pages", "bytes");
		break;
	case 'D':
		bench_bdb_dirty_api = choice(arg, name, "internal", "api");
		break;
	case 'S':
		opt.seed = strtoull(arg, &end, 0);
		if (*end != '\0')
			bad(name, arg);
		break;
	case 'm':
		opt.floor = bench_floor_copy = 1;
		break;
	case 'G':
		opt.pages = (uint32_t)int_arg(arg, name, 256, 1 << 20);
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
	opt.seconds = opt.procs_mode ? 2.0 : 1.0;
	if (opt.procs_mode)
		g_prog = "mpool_bench_procs";
	opt.nprocs = list("1,2", "--procs", opt.procs, MAX_LIST, 16);
	opt.nthreads = list(opt.procs_mode ? "1,2" : "1,2,4,8", "--threads",
			    opt.threads, MAX_LIST, MAX_THREADS);
	for (i = 0; i < NOPTS; i++)
		longopts[i] =
		    (struct option){optdefs[i].name, optdefs[i].arg != NULL,
				    NULL, optdefs[i].val};
	i = -1;
	/* An option of the other mode is refused. A short option (its
	 * letter is its val) leaves i at -1: found by its val. */
	while ((c = getopt_long(argc, argv, "w:t:s:r:c:d:b:D:S:C:T:P:h",
				longopts, &i)) != -1) {
		for (int k = 0; i < 0 && k < NOPTS; k++)
			i = optdefs[k].val == c ? k : -1;
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
		option(&optdefs[i], optarg);
		i = -1;
	}
	if (optind != argc)
		bad("argument", argv[optind]);
	for (int w = 0; w < NWORKLOADS && !any_wl; w++)
		opt.wl_on[w] = !opt.procs_mode || workloads[w].procs;
}
