/*
 * bench_report.c - the results, the Markdown reports and the --data
 * tables of both modes (what each table means: docs/benchmarks.md,
 * "Method"). Every table goes through head() and row(): a new column is
 * one entry in a call.
 */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/utsname.h>

#include "bench_driver.h"

#define METHOD_LINE                                                            \
	"- method, and what each table means: docs/benchmarks.md, "            \
	"\"Method\"\n"

/* The header's date and machine lines, again in the --data file. */
static char g_date[64], g_machine[512];

static struct run_result *g_res; /* [w][t][sys][run] */
double g_start;
size_t g_cache_bytes[NWORKLOADS][NSYS];
uint64_t g_bdb_held_same_bytes[NWORKLOADS];
int g_failed;

void results_alloc(void)
{
	g_res = calloc((size_t)(NWORKLOADS * ncells_per_wl() * NSYS * opt.runs),
		       sizeof(*g_res));
	if (g_res == NULL)
		die("out of memory");
}

struct run_result *res_at(int w, int t, int s, int r)
{
	size_t cell = ((size_t)w * (size_t)ncells_per_wl() + (size_t)t) * NSYS;

	return &g_res[(cell + (size_t)s) * (size_t)opt.runs + (size_t)r];
}

/* A cell's text, in one of 16 rotating buffers: enough for a row. */
static char *cell(const char *fmt, ...)
{
	static char buf[16][64];
	static unsigned next;
	char *c = buf[next++ % 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	return c;
}

/* "42 s" under two minutes, "3 min 05 s" above. */
static const char *duration(double secs)
{
	long s = secs < 0 ? 0 : (long)(secs + 0.5);

	return s < 120 ? cell("%ld s", s)
		       : cell("%ld min %02ld s", s / 60, s % 60);
}

/* A cell's name: "w, T thread(s)", or "w, P proc(s) x T thread(s)". */
static const char *cell_name(int w, int t)
{
	const int nt = opt.threads[t % opt.nthreads],
		  p = opt.procs[t / opt.nthreads];

	if (!opt.procs_mode)
		return cell("%s, %d thread%s", workloads[w].name, nt,
			    nt > 1 ? "s" : "");
	return cell("%s, %d proc%s x %d thread%s", workloads[w].name, p,
		    p > 1 ? "s" : "", nt, nt > 1 ? "s" : "");
}

/* A line on stderr per run: Mops/s, and p99 miss or minor faults. */
static void run_line(int w, int t, int r)
{
	const struct run_result *l = res_at(w, t, 0, r),
				*b = res_at(w, t, SYS_BDB, r);

	if (opt.procs_mode) {
		fprintf(stderr,
			"%s, %d procs x %d threads, run %d/%d: %s %.3f, %s "
			"%.3f Mops/s (minor faults per process %.0f, %.0f)\n",
			workloads[w].name, opt.procs[t / opt.nthreads],
			opt.threads[t % opt.nthreads], r + 1, opt.runs,
			systems[0]->name, l->ops_per_sec / 1e6,
			systems[1]->name, b->ops_per_sec / 1e6, l->minflt,
			b->minflt);
		return;
	}
	fprintf(stderr, "[%s, %d threads, run %d/%d]", workloads[w].name,
		opt.threads[t], r + 1, opt.runs);
	for (int s = 0; s < NSYS; s++)
		if (sys_on(w, s))
			fprintf(stderr, "%s %s %.3f Mops/s", s ? "," : "",
				s == SYS_BDB ? "BDB" : systems[s]->csv,
				res_at(w, t, s, r)->ops_per_sec / 1e6);
	if (workloads[w].timed)
		for (int s = 0; s < 2; s++)
			if (sys_on(w, s))
				fprintf(stderr, "%s %s %.1f us",
					s ? "," : "\n    p99 miss:",
					s ? "BDB" : "lfmpool",
					res_at(w, t, s, r)->p99_miss_us);
	fputc('\n', stderr);
}

int run_cells(int (*measure)(int w, int t, int r, int s))
{
	int ncells = 0, icell = 0, total = 0, done = 0;
	double t_loop = bench_now(), now;

	FOR_CELLS(w, t)
	{
		ncells++;
		for (int s = 0; s < NSYS; s++)
			total += opt.runs * sys_on(w, s);
	}
	FOR_CELLS(w, t)
	{
		for (int r = 0; r < opt.runs; r++) {
			for (int k = 0; k < NSYS; k++) {
				int s = r % 2 == 0 ? k : NSYS - 1 - k;

				if (sys_on(w, s) && measure(w, t, r, s))
					return -1;
				done += sys_on(w, s);
			}
			run_line(w, t, r);
		}
		now = bench_now();
		fprintf(stderr,
			"%s: cell %d/%d done: %s; elapsed %s, ~%s left\n",
			g_prog, ++icell, ncells, cell_name(w, t),
			duration(now - g_start),
			duration((now - t_loop) / done * (total - done)));
	}
	return 0;
}

static void set_date_machine(void)
{
	char line[512], model[256] = "unknown";
	FILE *f = fopen("/proc/cpuinfo", "r");
	time_t now = time(NULL);
	cpu_set_t set;
	struct utsname u;

	while (f != NULL && fgets(line, sizeof(line), f) != NULL &&
	       sscanf(line, "model name : %255[^\n]", model) != 1)
		;
	if (f != NULL)
		fclose(f);
	strftime(g_date, sizeof(g_date), "%Y-%m-%d %H:%M:%S %Z",
		 localtime(&now));
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	snprintf(g_machine, sizeof(g_machine), "nproc %d, %s %s %s, CPU %s",
		 sched_getaffinity(0, sizeof(set), &set) == 0
		     ? CPU_COUNT(&set)
		     : (int)sysconf(_SC_NPROCESSORS_ONLN),
		 u.sysname, u.release, u.machine, model);
}

/* A Markdown table's header: `cols` separated by '|'; the first column
 * left-aligned, the others (numbers) right-aligned. */
static void head(const char *cols)
{
	printf("| ");
	for (const char *c = cols; *c != '\0'; c++)
		printf(*c == '|' ? " | " : "%c", *c);
	printf(" |\n|---");
	for (const char *c = cols; *c != '\0'; c++)
		if (*c == '|')
			printf("|---:");
	printf("|\n");
}

/* A Markdown table's row: the cells up to NULL. */
static void row(const char *first, ...)
{
	va_list ap;

	va_start(ap, first);
	for (const char *c = first; c != NULL; c = va_arg(ap, const char *))
		printf("| %s ", c);
	va_end(ap);
	printf("|\n");
}

#define OPS  offsetof(struct run_result, ops_per_sec)
#define P99M offsetof(struct run_result, p99_miss_us)
#define P99A offsetof(struct run_result, p99_all_us)
#define MINF offsetof(struct run_result, minflt)

/* The double at `off` in struct run_result of the good runs (done, no
 * wrong page) of system s in cell (w, t), into v: how many. */
static int good_runs(int w, int t, int s, size_t off, double *v)
{
	int n = 0;

	for (int r = 0; r < opt.runs; r++) {
		struct run_result *rr = res_at(w, t, s, r);

		if (rr->done && rr->wrong == 0)
			memcpy(&v[n++], (const char *)rr + off, sizeof(v[0]));
	}
	return n;
}

/* median_of's answer for a system that does not run in the workload. */
#define NOT_RUN (-2.0)

/* The median of good_runs; -1: none; NOT_RUN (also for s < 0). */
static double median_of(int w, int t, int s, size_t off)
{
	double v[MAX_RUNS];
	int n;

	if (s < 0 || !sys_on(w, s))
		return NOT_RUN;
	n = good_runs(w, t, s, off, v);
	return n == 0 ? -1 : median_sort(v, n);
}

/* A median (median_of) as text: "-" not run, "FAILED" no good run; ops/s
 * as Mops/s, microseconds with one digit below 100. */
static const char *med(double x, size_t off)
{
	if (x == NOT_RUN)
		return "-";
	if (x < 0)
		return "FAILED";
	if (off == MINF)
		return cell("%.0f", x);
	if (off != OPS)
		return cell(x < 100 ? "%.1f" : "%.0f", x);
	return cell("%.3f", x / 1e6);
}

static const char *ratio(double x, double y)
{
	return x > 0 && y > 0 ? cell("%.2f", x / y) : "-";
}

/* 100 * part / whole with `digits`, or "-" when whole is 0. */
static const char *pct(uint64_t part, uint64_t whole, int digits)
{
	return whole == 0 ? "-"
			  : cell("%.*f%%", digits,
				 100.0 * (double)part / (double)whole);
}

static const char *per_kop(uint64_t n, uint64_t ops)
{
	return ops == 0 ? "-" : cell("%.1f", 1000.0 * (double)n / (double)ops);
}

/* v as text if `on`, else "-". */
static const char *u64(int on, uint64_t v)
{
	return on ? cell("%llu", (unsigned long long)v) : "-";
}

/* Sums over the completed runs of one system in one cell; `done`: how
 * many. */
#define SUMMED(X)                                                              \
	BENCH_COUNTERS(X) X(ops) X(trickle_calls) X(trickle_pages) X(gets_timed)
static struct run_result sum_runs(int w, int t, int s)
{
	struct run_result sum = {0};

	for (int r = 0; r < opt.runs; r++) {
		const struct run_result *rr = res_at(w, t, s, r);

		if (!rr->done)
			continue;
		sum.held_end = rr->held_end;
		sum.done++;
#define SUM(f) sum.f += rr->f;
		SUMMED(SUM)
	}
	return sum;
}

/* Is some selected workload such that `pred`? */
#define ANY_WL(pred)                                                           \
	({                                                                     \
		int any_ = 0;                                                  \
		for (int w = 0; w < NWORKLOADS; w++)                           \
			any_ |= opt.wl_on[w] && (pred);                        \
		any_;                                                          \
	})

/* The title, date, machine and libraries lines. */
static void print_head(const char *title)
{
	printf("# %s\n\n- date: %s\n- machine: %s\n- libraries: %s; %s\n",
	       title, g_date, g_machine, systems[0]->version(),
	       systems[1]->version());
}

/* "- workloads: a, b, c" of those selected, and the method line. */
static void print_workloads(void)
{
	const char *sep = "";

	printf("- workloads: ");
	for (int w = 0; w < NWORKLOADS; w++)
		if (opt.wl_on[w]) {
			printf("%s%s", sep, workloads[w].name);
			sep = ", ";
		}
	printf("\n" METHOD_LINE);
}

/* The values of this run that the method (docs) leaves open. */
static void print_settings(void)
{
	long nfl = sysconf(_SC_NPROCESSORS_ONLN) / 4; /* lfmpool's default */
	const int bare = sys_any(SYS_BARE), floor = sys_any(SYS_FLOOR);

	printf("- run: 4 KiB pages, %u-page data file per system", FILE_PAGES);
	if (ANY_WL(workloads[w].file_pages != 0))
		printf(" (and one of %u pages, %u GiB)", BIG_FILE_PAGES,
		       BIG_FILE_PAGES / ((1u << 30) / BENCH_PAGE_SIZE));
	if (ANY_WL(workloads[w].run_pagesize != 0))
		printf(" (and one of %u pages of %u bytes)",
		       FILE_PAGES / (BENCH_PAGE_SIZE_LARGE / BENCH_PAGE_SIZE),
		       BENCH_PAGE_SIZE_LARGE);
	printf("; %.2f s per run, %d runs per system per cell, seed %llu; "
	       "medians; ratio = lfmpool / BDB\n",
	       opt.seconds, opt.runs, (unsigned long long)opt.seed);
	if (!opt.bdb)
		printf("- BDB 5.3 does not run (--no-bdb): no ratio to it\n");
	else
		printf("- BDB cache sizing: %s (--bdb-sizing %s)\n",
		       opt.bdb_same_bytes ? "lfmpool's byte budget"
					  : "holds lfmpool's pages",
		       opt.bdb_same_bytes ? "bytes" : "pages");
	if (ANY_WL(workloads[w].dirty_every != 0 && sys_on(w, SYS_BDB)))
		printf("- BDB dirty gets: %s\n",
		       bench_bdb_dirty_api
			   ? "DB_MPOOLFILE->get, which drops DB_MPOOL_DIRTY "
			     "(--bdb-dirty api)"
			   : "__memp_fget (--bdb-dirty internal)");
	if (bare || floor)
		printf("- references: %s%s%s\n",
		       bare ? "bare probe (hit workloads)" : "",
		       bare && floor ? ", " : "",
		       !floor		  ? ""
		       : bench_floor_copy ? "copy floor (miss workloads, "
					    "--floor-copy)"
					  : "pread floor (miss workloads)");
	nfl = nfl < 1 ? 1 : nfl > 8 ? 8 : nfl;
	if (ANY_WL(workloads[w].timed))
		printf("- write-back: lfmpool memp_set_flushers(mp, -1, %d): "
		       "%ld flusher thread(s), clean_pct %d%%; BDB 5.3 "
		       "memp_trickle(env, %d) then %d us, in a loop\n",
		       opt.clean_pct, nfl,
		       opt.clean_pct == 0 ? 20 : opt.clean_pct, opt.trickle_pct,
		       opt.trickle_pause_us);
	print_workloads();
	printf("\n");
}

void print_header(void)
{
	set_date_machine();
	if (opt.procs_mode)
		return; /* printed with the report */
	print_head("lfmpool vs Berkeley DB 5.3 mpool");
	print_settings();
}

static void print_throughput(void)
{
	printf("## Throughput\n\n");
	/* The old columns first, so that older reports compare column for
	 * column; the reference's after them. */
	head("workload|threads|lfmpool Mops/s (median)|BDB 5.3 Mops/s "
	     "(median)|ratio|lfmpool / floor|floor Mops/s (median)");
	FOR_CELLS(w, t)
	{
		double l = median_of(w, t, 0, OPS);
		double m = median_of(w, t, SYS_BDB, OPS);
		double p = median_of(w, t, ref_of(w), OPS);

		row(workloads[w].name, cell("%d", opt.threads[t]), med(l, OPS),
		    med(m, OPS), ratio(l, m), ratio(l, p), med(p, OPS), NULL);
	}
}

static void print_hit_rate(void)
{
	printf("\n## Hit rate over the timed periods (all runs)\n\n");
	head("workload|threads|lfmpool hit rate|BDB 5.3 hit rate|lfmpool "
	     "pages held|BDB pages held|lfmpool reads copied from a mapping");
	FOR_CELLS(w, t)
	{
		struct run_result l = sum_runs(w, t, 0);
		struct run_result b = sum_runs(w, t, SYS_BDB);

		row(workloads[w].name, cell("%d", opt.threads[t]),
		    pct(l.hits, l.hits + l.misses, 2),
		    pct(b.hits, b.hits + b.misses, 2), u64(1, l.held_end),
		    u64(sys_on(w, SYS_BDB), b.held_end),
		    pct(l.pages_in_mapped, l.pages_in, 2), NULL);
	}
}

/* The first completed run of system s in workload w, or all zeros. */
static const struct run_result *first_done(int w, int s)
{
	static const struct run_result none = {0};

	for (int t = 0; t < opt.nthreads; t++)
		for (int r = 0; r < opt.runs; r++)
			if (res_at(w, t, s, r)->done)
				return res_at(w, t, s, r);
	return &none;
}

static void print_cache_sizes(void)
{
	printf("\n## Cache sizes\n\n");
	head("workload|lfmpool mp_size|lfmpool st_cachesize|lfmpool pages "
	     "held after warm-up|BDB set_cachesize|BDB st_gbytes+st_bytes|"
	     "BDB pages held after warm-up|BDB pages held at lfmpool's byte "
	     "budget");
	for (int w = 0; w < NWORKLOADS; w++) {
		const struct run_result *r0 = first_done(w, 0);
		const struct run_result *r1 = first_done(w, SYS_BDB);
		int b = sys_on(w, SYS_BDB);

		if (opt.wl_on[w])
			row(workloads[w].name, u64(1, g_cache_bytes[w][0]),
			    u64(1, r0->cache_bytes), u64(1, r0->held_warm),
			    u64(b, g_cache_bytes[w][1]),
			    u64(b, r1->cache_bytes), u64(b, r1->held_warm),
			    u64(b, g_bdb_held_same_bytes[w]), NULL);
	}
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* Throughput and fget latency of the write-back workloads, then where
 * their victims came from. */
static void print_wb_report(void)
{
	uint64_t mismatch[2] = {0}; /* gets timed against hits + misses */

	if (!ANY_WL(workloads[w].timed))
		return;
	printf("\n## Write-back: throughput and memp_fget latency (dirty "
	       "path)\n\n");
	head("workload|threads|lfmpool Mops/s|BDB 5.3 Mops/s|ratio|lfmpool "
	     "p99 miss us|BDB 5.3 p99 miss us|p99 miss ratio|lfmpool p99 all "
	     "us|BDB 5.3 p99 all us");
	FOR_CELLS(w, t) if (workloads[w].timed)
	{
		double l = median_of(w, t, 0, OPS);
		double d = median_of(w, t, SYS_BDB, OPS);
		double lm = median_of(w, t, 0, P99M);
		double dm = median_of(w, t, SYS_BDB, P99M);

		row(workloads[w].name, cell("%d", opt.threads[t]), med(l, OPS),
		    med(d, OPS), ratio(l, d), med(lm, P99M), med(dm, P99M),
		    ratio(lm, dm), med(median_of(w, t, 0, P99A), P99A),
		    med(median_of(w, t, SYS_BDB, P99A), P99A), NULL);
	}
	printf("\n### Victims and writes over the timed periods (all "
	       "runs)\n\n");
	head("workload|threads|lfmpool dirty victims|BDB 5.3 dirty victims|"
	     "lfmpool writes/kop|BDB 5.3 writes/kop|BDB 5.3 trickle calls/s|"
	     "BDB 5.3 trickled/kop");
	FOR_CELLS(w, t) if (workloads[w].timed)
	{
		struct run_result l = sum_runs(w, t, 0);
		struct run_result b = sum_runs(w, t, SYS_BDB);
		int on = workloads[w].wb == WB_ON;

		mismatch[0] += absdiff(l.gets_timed, l.hits + l.misses);
		mismatch[1] += absdiff(b.gets_timed, b.hits + b.misses);
		row(workloads[w].name, cell("%d", opt.threads[t]),
		    pct(l.evict_dirty, l.evict_clean + l.evict_dirty, 1),
		    pct(b.evict_dirty, b.evict_clean + b.evict_dirty, 1),
		    per_kop(l.pages_out, l.ops), per_kop(b.pages_out, b.ops),
		    !on || b.done == 0
			? "-"
			: cell("%.0f", (double)b.trickle_calls /
					   (b.done * opt.seconds)),
		    on ? per_kop(b.trickle_pages, b.ops) : "-", NULL);
	}
	printf("\nCheck, summed over the cells: gets timed against "
	       "st_cache_hit + st_cache_miss differ by %llu for lfmpool, %llu "
	       "for BDB 5.3.\n",
	       (unsigned long long)mismatch[0],
	       (unsigned long long)mismatch[1]);
}

static void print_correctness(void)
{
	printf("\n## Correctness\n\n");
	for (int s = 0; s < NSYS; s++) {
		uint64_t n[3] = {0}; /* checked, wrong, errors */

		if (!sys_any(s))
			continue;
		for (int w = 0; w < NWORKLOADS; w++)
			for (int i = 0; i < opt.nthreads * opt.runs; i++) {
				const struct run_result *rr =
				    res_at(w, i / opt.runs, s, i % opt.runs);

				n[0] += rr->checked;
				n[1] += rr->wrong;
				n[2] += rr->errors;
			}
		printf("- %s: %llu pages checked, %llu wrong, %llu errors%s\n",
		       systems[s]->name, (unsigned long long)n[0],
		       (unsigned long long)n[1], (unsigned long long)n[2],
		       n[1] || n[2] ? " -- FAILED" : "");
	}
	if (g_failed)
		printf("\n**FAILED: see the errors above (stderr).**\n");
}

void print_report(void)
{
	print_throughput();
	print_hit_rate();
	print_cache_sizes();
	print_wb_report();
	print_correctness();
	fflush(stdout);
}

/* A --data row: system s's Mops/s in cell (w, t) over its good runs. */
static void data_row(FILE *f, int w, int t, int s)
{
	double v[MAX_RUNS], m;
	int n = good_runs(w, t, s, OPS, v);

	if (n == 0)
		return;
	for (int k = 0; k < n; k++)
		v[k] /= 1e6;
	m = median_sort(v, n); /* sorts v */
	fprintf(f, "%s\t%s%d\t%s\t%.4f\t%.4f\t%.4f\t%d\n", workloads[w].name,
		opt.procs_mode ? cell("%d\t", opt.procs[t / opt.nthreads]) : "",
		opt.threads[t % opt.nthreads],
		s == SYS_FLOOR && bench_floor_copy ? "floor-copy"
						   : systems[s]->csv,
		m, v[0], v[n - 1], n);
}

/*
 * The --data table (bench/plot.sh reads it): the '#' lines, the columns
 * line, then a row per workload, system and thread count (processes:
 * threads per process, then process count), in that order, so each line
 * of a plot is one block of rows; cells without a good run left out.
 */
void write_data(const char *path)
{
	const int pm = opt.procs_mode;
	FILE *f = fopen(path, "w");

	if (f == NULL)
		die("open %s: %s", path, strerror(errno));
	fprintf(f,
		"# %s --data: Mops/s per workload, %s and system over the "
		"runs\n# date: %s\n# machine: %s\n# runs: %d run%s of %.2f s "
		"per system and cell\nworkload\t%sthreads\tsystem\t"
		"mops_median\tmops_min\tmops_max\truns\n",
		g_prog,
		pm ? "process count, threads per process" : "thread count",
		g_date, g_machine, opt.runs, opt.runs > 1 ? "s" : "",
		opt.seconds, pm ? "procs\t" : "");
	for (int w = 0; w < NWORKLOADS; w++)
		for (int s = 0; s < NSYS; s++)
			for (int i = 0; i < ncells_per_wl(); i++) {
				const int t =
				    pm ? i % opt.nprocs * opt.nthreads +
					     i / opt.nprocs
				       : i;

				if (sys_on(w, s) && cell_on(w, t))
					data_row(f, w, t, s);
			}
	if (ferror(f) | fclose(f))
		die("write %s: %s", path, strerror(errno));
}

/* A row of the processes report's table 0 (throughput) or 1 (faults). */
static void procs_row(int w, int t, int table)
{
	const int p = opt.procs[t / opt.nthreads];
	const size_t off = table ? MINF : OPS;
	double q[MAX_RUNS], mq;

	/* lfmpool / BDB per run; 0 if BDB's is 0. */
	for (int r = 0; r < opt.runs; r++) {
		double l = res_at(w, t, 0, r)->ops_per_sec,
		       b = res_at(w, t, 1, r)->ops_per_sec;

		q[r] = b > 0 ? l / b : 0;
	}
	mq = median_sort(q, opt.runs); /* sorts q */
	row(cell("%s %d proc%s", workloads[w].name, p, p > 1 ? "s" : ""),
	    cell("%d", opt.threads[t % opt.nthreads]),
	    med(median_of(w, t, 0, off), off),
	    med(median_of(w, t, 1, off), off), table ? NULL : cell("%.2f", mq),
	    cell("%.2f-%.2f", q[0], q[opt.runs - 1]), NULL);
}

void print_procs_report(size_t cache, const char *base)
{
	print_head("lfmpool vs Berkeley DB 5.3: the hit path shared between "
		   "processes");
	printf("- run: %u pages of 4 KiB, a shared pool of %zu bytes (both "
	       "systems) under %s; children %s; %.2f s per run, %d runs, "
	       "lfmpool and BDB alternating first; medians; ratio = median "
	       "of per-run lfmpool / BDB\n",
	       opt.pages, cache, base,
	       opt.cold ? "without warm-up (--cold)" : "warm up", opt.seconds,
	       opt.runs);
	print_workloads();
	for (int table = 0; table < 2; table++) {
		printf(table == 0 ? "\n## Throughput\n\n"
				  : "\n## Minor page faults per process in "
				    "the timed phase (median)\n\n");
		head(table == 0
			 ? "workload|threads per process|lfmpool Mops/s "
			   "(median)|BDB 5.3 Mops/s (median)|ratio "
			   "(median)|ratio min-max"
			 : "workload|threads per process|lfmpool|BDB 5.3");
		for (int w = 0; w < NWORKLOADS; w++)
			for (int t = 0; t < opt.nprocs * opt.nthreads; t++)
				if (opt.wl_on[w])
					procs_row(w, t, table);
	}
	fflush(stdout);
}
