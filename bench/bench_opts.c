/*
 * bench_opts.c - the command line (see usage()).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_opts.h"
#include "bench_state.h"

/* ------------------------------------------------------------------ */
/* Options                                                              */

static void usage(FILE *f)
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

static void parse_workloads(const char *arg)
{
	char *copy = strdup(arg), *save = NULL;

	if (copy == NULL)
		die("out of memory");
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		int found = 0;

		for (int w = 0; w < NWORKLOADS; w++)
			if (strcmp(tok, workloads[w].name) == 0 ||
			    strcmp(tok, "all") == 0 ||
			    (workloads[w].group != NULL &&
			     strcmp(tok, workloads[w].group) == 0)) {
				opt.wl_on[w] = 1;
				found = 1;
			}
		if (!found) {
			fprintf(stderr, "mpool_bench: unknown workload '%s'\n",
				tok);
			usage(stderr);
			exit(2);
		}
	}
	free(copy);
}

static void parse_threads(const char *arg)
{
	char *copy = strdup(arg), *save = NULL;

	if (copy == NULL)
		die("out of memory");
	opt.nthreads = 0;
	for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long n = strtol(tok, &end, 10);

		if (*end != '\0' || n < 1 || n > MAX_THREADS ||
		    opt.nthreads ==
			(int)(sizeof(opt.threads) / sizeof(opt.threads[0]))) {
			fprintf(stderr, "mpool_bench: bad --threads '%s'\n",
				arg);
			exit(2);
		}
		opt.threads[opt.nthreads++] = (int)n;
	}
	free(copy);
	if (opt.nthreads == 0) {
		fprintf(stderr, "mpool_bench: empty --threads\n");
		exit(2);
	}
}

static int int_arg(const char *arg, const char *name, long lo, long hi)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*end != '\0' || end == arg || n < lo || n > hi) {
		fprintf(stderr, "mpool_bench: bad %s '%s' (%ld to %ld)\n", name,
			arg, lo, hi);
		exit(2);
	}
	return (int)n;
}

void parse_args(int argc, char **argv)
{
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
	    {"bare", no_argument, NULL, 'B'},
	    {"no-bare", no_argument, NULL, 'N'},
	    {"floor", no_argument, NULL, 'F'},
	    {"no-floor", no_argument, NULL, 'n'},
	    {"floor-copy", no_argument, NULL, 'm'},
	    {"bdb", no_argument, NULL, 'Q'},
	    {"no-bdb", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int any_wl = 0, c;
	char *end;

	opt.seconds = 1.0;
	opt.runs = 5;
	opt.seed = 42;
	opt.clean_pct = 0;
	opt.trickle_pct = 20;
	opt.trickle_pause_us = 1000;
	opt.bare = 1;
	opt.floor = 1;
	opt.bdb = 1;
	parse_threads("1,2,4,8");
	while ((c = getopt_long(argc, argv, "w:t:s:r:c:d:b:D:S:C:T:P:h",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			parse_workloads(optarg);
			any_wl = 1;
			break;
		case 't':
			parse_threads(optarg);
			opt.threads_given = 1;
			break;
		case 's':
			opt.seconds = strtod(optarg, &end);
			if (*end != '\0' || !(opt.seconds > 0) ||
			    opt.seconds > 3600) {
				fprintf(stderr, "mpool_bench: bad --seconds\n");
				exit(2);
			}
			break;
		case 'r':
			opt.runs = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || opt.runs < 1 ||
			    opt.runs > MAX_RUNS) {
				fprintf(stderr, "mpool_bench: bad --runs\n");
				exit(2);
			}
			break;
		case 'c':
			opt.csv_path = optarg;
			break;
		case 'd':
			opt.data_path = optarg;
			break;
		case 'b':
			if (strcmp(optarg, "pages") == 0)
				opt.bdb_same_bytes = 0;
			else if (strcmp(optarg, "bytes") == 0)
				opt.bdb_same_bytes = 1;
			else {
				fprintf(stderr,
					"mpool_bench: --bdb-sizing is pages "
					"or bytes\n");
				exit(2);
			}
			break;
		case 'D':
			if (strcmp(optarg, "internal") == 0)
				bench_bdb_dirty_api = 0;
			else if (strcmp(optarg, "api") == 0)
				bench_bdb_dirty_api = 1;
			else {
				fprintf(stderr,
					"mpool_bench: --bdb-dirty is internal "
					"or api\n");
				exit(2);
			}
			break;
		case 'S':
			opt.seed = strtoull(optarg, &end, 0);
			if (*end != '\0') {
				fprintf(stderr, "mpool_bench: bad --seed\n");
				exit(2);
			}
			break;
		case 'C':
			opt.clean_pct = int_arg(optarg, "--clean-pct", 0, 99);
			break;
		case 'T':
			opt.trickle_pct =
			    int_arg(optarg, "--trickle-pct", 1, 100);
			break;
		case 'P':
			opt.trickle_pause_us =
			    int_arg(optarg, "--trickle-pause-us", 0, 1000000);
			break;
		case 'B':
			opt.bare = 1;
			break;
		case 'N':
			opt.bare = 0;
			break;
		case 'F':
			opt.floor = 1;
			break;
		case 'n':
			opt.floor = 0;
			break;
		case 'm':
			opt.floor = 1;
			bench_floor_copy = 1;
			break;
		case 'Q':
			opt.bdb = 1;
			break;
		case 'q':
			opt.bdb = 0;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mpool_bench: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		exit(2);
	}
	if (!any_wl)
		for (int w = 0; w < NWORKLOADS; w++)
			opt.wl_on[w] = 1;
}
