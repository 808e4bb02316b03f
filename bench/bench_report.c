/*
 * bench_report.c - the results, the Markdown reports and the --data
 * tables of both modes. Threads: the header (machine, method, workloads),
 * the throughput, hit-rate and cache-size tables, the write-back table
 * (throughput and fget latency) and the correctness line. Processes: the
 * header, the throughput and the minor page faults tables.
 * The references (the bare probe in the hit workloads, the pread floor in
 * the miss workloads) appear only in the throughput table (two columns
 * after the old ones, "-" where none ran) and the correctness lines.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_report.h"

/* The header's date and machine lines, again in the --data file. */
static char g_date[64], g_machine[512];

struct run_result *g_res; /* [w][t][sys][run] */
size_t g_cache_bytes[NWORKLOADS][NSYS];
uint64_t g_bdb_held_same_bytes[NWORKLOADS]; /* pages-mode info */
int g_failed;

void results_alloc(void)
{
	g_res = calloc((size_t)NWORKLOADS * (size_t)opt.nthreads * NSYS *
			   (size_t)opt.runs,
		       sizeof(*g_res));
	if (g_res == NULL)
		die("out of memory");
}

struct run_result *res_at(int w, int t, int s, int r)
{
	return &g_res[(((size_t)w * (size_t)opt.nthreads + (size_t)t) * NSYS +
		       (size_t)s) *
			  (size_t)opt.runs +
		      (size_t)r];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double median_sort(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* "42 s" under two minutes, "3 min 05 s" above. */
static void fmt_duration(char *buf, size_t len, double secs)
{
	long s = secs < 0 ? 0 : (long)(secs + 0.5);

	if (s < 120)
		snprintf(buf, len, "%ld s", s);
	else
		snprintf(buf, len, "%ld min %02ld s", s / 60, s % 60);
}

void bench_progress(int i, int n, const char *what, double elapsed, double left)
{
	char e[32], l[32];

	fmt_duration(e, sizeof(e), elapsed);
	fmt_duration(l, sizeof(l), left);
	fprintf(stderr, "%s: cell %d/%d done: %s; elapsed %s, ~%s left\n",
		g_prog, i, n, what, e, l);
}

/* The CPU's model name from /proc/cpuinfo, or "unknown". */
static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	snprintf(buf, len, "unknown");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
			colon += 1 + strspn(colon + 1, " \t");
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(buf, len, "%s", colon);
			break;
		}
	}
	if (f != NULL)
		fclose(f);
}

/*
 * Opens `path` for a --data table (bench/plot.sh reads it) and writes its
 * head: "# <what>", the date, machine and runs lines, then the tab-separated
 * `columns` line. Dies if it cannot be opened.
 */
static FILE *data_open(const char *path, const char *what, const char *columns)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		die("open %s: %s", path, strerror(errno));
	fprintf(f, "# %s\n# date: %s\n# machine: %s\n", what, g_date,
		g_machine);
	fprintf(f, "# runs: %d run%s of %.2f s per system and cell\n", opt.runs,
		opt.runs > 1 ? "s" : "", opt.seconds);
	fprintf(f, "%s\n", columns);
	return f;
}

static void data_close(FILE *f, const char *path)
{
	if (ferror(f) | fclose(f))
		die("write %s: %s", path, strerror(errno));
}

/* median_of's answer for a system that does not run in the workload. */
#define NOT_RUN (-2.0)

/* Median of a double field (at offset `off` in struct run_result) over the
 * completed runs of one system in one cell; -1: none; NOT_RUN. */
static double median_of(int w, int t, int s, size_t off)
{
	double v[MAX_RUNS];
	int n = 0;

	if (!sys_on(w, s))
		return NOT_RUN;
	for (int r = 0; r < opt.runs; r++) {
		struct run_result *rr = res_at(w, t, s, r);

		if (rr->done && rr->wrong == 0)
			memcpy(&v[n++], (const char *)rr + off, sizeof(v[0]));
	}
	if (n == 0)
		return -1;
	return median_sort(v, n);
}

/* Median ops/s of the completed runs of one system in one cell; -1: none;
 * NOT_RUN. */
static double median_ops(int w, int t, int s)
{
	return median_of(w, t, s, offsetof(struct run_result, ops_per_sec));
}

static int cpu_count(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

/* As lfmpool computes it: one per four online CPUs, 1 to 8. */
static int lfm_default_flushers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN) / 4;

	return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

static int any_wb_on(void)
{
	for (int w = 0; w < NWORKLOADS; w++)
		if (opt.wl_on[w] && workloads[w].timed)
			return 1;
	return 0;
}

/* Does a workload of the BIG_FILE_PAGES file run? */
static int any_big(void)
{
	for (int w = 0; w < NWORKLOADS; w++)
		if (opt.wl_on[w] && workloads[w].file_pages != 0)
			return 1;
	return 0;
}

/* How BDB's dirty gets are made, when a workload has some. */
static void print_bdb_dirty(void)
{
	int any = 0;

	for (int w = 0; w < NWORKLOADS; w++)
		any |= opt.wl_on[w] && workloads[w].dirty_every != 0 &&
		       sys_on(w, SYS_BDB);
	if (!any)
		return;
	if (bench_bdb_dirty_api)
		printf("- BDB dirty gets (--bdb-dirty api): "
		       "DB_MPOOLFILE->get(DB_MPOOL_DIRTY), which in libdb "
		       "5.3.28 drops the flag: BDB marks no page dirty and "
		       "writes nothing\n");
	else
		printf(
		    "- BDB dirty gets: the library's exported __memp_fget("
		    "mpf, &pgno, NULL, NULL, DB_MPOOL_DIRTY, &page), because "
		    "DB_MPOOLFILE->get of libdb 5.3.28 clears "
		    "DB_MPOOL_DIRTY before calling it (pages would never be "
		    "dirty, never written); --bdb-dirty api for the old "
		    "behaviour\n");
}

/* The write-back workloads' method, under the workload list. */
static void print_wb_header(void)
{
	char clean[64];

	if (!any_wb_on())
		return;
	if (opt.clean_pct == 0)
		snprintf(clean, sizeof(clean), "0, the library default: 20%%");
	else
		snprintf(clean, sizeof(clean), "%d%%", opt.clean_pct);
	printf("- write-back workloads (dirty-flush-*): the dirty workload "
	       "(16384 pages, 2048 frames, uniform, 1 put in 4 dirty); "
	       "off: lfmpool memp_set_flushers(mp, 0, 0), BDB 5.3 plain; "
	       "on: lfmpool memp_set_flushers(mp, -1, %d), that is %d "
	       "flusher thread(s) (the default, one per 4 CPUs, 1 to 8) with "
	       "clean_pct %s; BDB 5.3 with one more thread calling "
	       "DB_ENV->memp_trickle(env, %d, &nwrote) then nanosleep %d us, "
	       "in a loop, for the timed period. The dirty workload above "
	       "(if run) takes each pool as opened, so lfmpool's default "
	       "flushers are on there too\n",
	       opt.clean_pct, lfm_default_flushers(), clean, opt.trickle_pct,
	       opt.trickle_pause_us);
	printf("- fget latency (write-back workloads only): every get is timed "
	       "alone with clock_gettime(CLOCK_MONOTONIC) into a per-thread "
	       "log-linear histogram (64 buckets per power of two: "
	       "resolution 1.6%%, a quantile is reported as its bucket's "
	       "highest value); their throughput includes the two clock "
	       "reads per op. p99 miss: calls are not classified one by "
	       "one; the pool's st_cache_miss over the timed period gives "
	       "the number M of misses among the N gets (about 87.5%%: "
	       "hits are ~12.5%% of gets) and the p99 is taken over the M "
	       "slowest gets, the value of rank N - M + ceil(0.99 M). That is "
	       "an upper bound on the p99 of the misses (exact when no hit is "
	       "slower than it; a hit does no I/O). p99 all: over all N "
	       "gets, about the p98.9 of the misses. Medians over the runs, "
	       "as for throughput\n");
}

/* The two-file workloads' method, under the workload list. */
static void print_mixed_header(void)
{
	int any = 0;

	for (int w = 0; w < NWORKLOADS; w++)
		any |= opt.wl_on[w] && workloads[w].run_pagesize != 0;
	if (!any)
		return;
	printf("- two-file workloads (mixed-shift-*): a second data file per "
	       "system, %u pages of %u bytes (the same 64 MiB, page number "
	       "at offset 0). A run warms the pool by getting every page of "
	       "one file in order, which fills it with pages of that size, "
	       "then opens the other file in the same pool and times gets "
	       "of it only (the first stays open, its pages cached). "
	       "lfmpool carves frames of each page size from one budget "
	       "(docs/protocol.md rule 24); BDB 5.3 allocates each buffer "
	       "at its file's page size from its cache. Pages held count "
	       "both files' pages; no reference runs here\n",
	       FILE_PAGES / (BENCH_PAGE_SIZE_LARGE / BENCH_PAGE_SIZE),
	       BENCH_PAGE_SIZE_LARGE);
}

/* The references' method lines, where they run. */
static void print_refs_header(void)
{
	if (sys_any(SYS_BARE))
		printf(
		    "- bare probe (hit workloads; --no-bare: off): one "
		    "chained-hash lookup, an atomic pin and an "
		    "atomic unpin on a resident copy of the file laid out as "
		    "lfmpool's, and nothing else a pool must do (no CLOCK, "
		    "tag re-check, thread cache, statistics, eviction or "
		    "I/O), run as a third system alternating with the other "
		    "two: a bound on what any pool can do per hit here; the "
		    "hit workloads' floor in the throughput table\n");
	if (sys_any(SYS_FLOOR) && bench_floor_copy)
		printf(
		    "- copy floor (miss workloads, --floor-copy): the least a "
		    "pool that reads its misses as lfmpool does must do per "
		    "miss: one memcpy of the 4 KiB page from a read-only "
		    "MAP_SHARED mapping of the data file (MADV_RANDOM; in "
		    "the page cache) into a frame, without lfmpool's guard "
		    "(src/os/mapread.h), run as a third system alternating "
		    "with "
		    "the other two. Frames, slices and the 100%% miss rate "
		    "as for the pread floor (see bench/bench_floor.c)\n");
	if (sys_any(SYS_FLOOR) && !bench_floor_copy)
		printf(
		    "- pread floor (miss workloads; --no-floor: off): the "
		    "least a pool that reads its misses with pread(2) (as BDB "
		    "does) must do per miss, one pread of the 4 KiB page from "
		    "the data file (in the page cache) into a frame; lfmpool "
		    "copies misses from a mapping of the file instead "
		    "(src/os/mapread.h), so it can beat it. "
		    "run as a third system alternating with the other two. "
		    "As many frames as lfmpool's pool (2 MiB-aligned, "
		    "MADV_HUGEPAGE, touched at open), a slice of them per "
		    "thread, filled round-robin; put does nothing. Every get "
		    "is a read: it models a miss rate of 100%%, where the "
		    "pools hit in about 2048 / 16384 = 12.5%% of gets, so it "
		    "is the cost floor per get, slightly pessimistic (lfmpool "
		    "/ floor could reach 1.14 with free hits). It writes "
		    "nothing back: in the dirty workloads it is the read "
		    "side's floor only, dirty puts and write-back ignored\n");
}

static void set_date_machine(void)
{
	struct utsname u;
	char model[256];
	time_t now = time(NULL);

	strftime(g_date, sizeof(g_date), "%Y-%m-%d %H:%M:%S %Z",
		 localtime(&now));
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	cpu_model(model, sizeof(model));
	snprintf(g_machine, sizeof(g_machine), "nproc %d, %s %s %s, CPU %s",
		 cpu_count(), u.sysname, u.release, u.machine, model);
}

/* The title, date, machine and libraries lines. */
static void print_head(const char *title)
{
	printf("# %s\n\n", title);
	printf("- date: %s\n", g_date);
	printf("- machine: %s\n", g_machine);
	printf("- libraries: %s; %s\n", systems[0]->version(),
	       systems[1]->version());
}

void print_header(void)
{
	char big[96] = "";

	set_date_machine();
	if (opt.procs_mode)
		return; /* printed with the report */
	if (any_big())
		snprintf(big, sizeof(big),
			 " (and one of %u pages, %u GiB, for the workloads of "
			 "that size)",
			 BIG_FILE_PAGES,
			 BIG_FILE_PAGES / ((1u << 30) / BENCH_PAGE_SIZE));
	print_head("lfmpool vs Berkeley DB 5.3 mpool");
	printf("- method: 4 KiB pages, %u-page data file per system%s; each "
	       "op is get, read the page number at offset 0 (checked), "
	       "maybe write a byte, put; %.2f s per run, %d runs per system "
	       "per cell, lfmpool and BDB alternating; medians reported; "
	       "ratio = lfmpool / BDB\n",
	       FILE_PAGES, big, opt.seconds, opt.runs);
	if (!opt.bdb)
		printf("- BDB 5.3 does not run (--no-bdb): no ratio to it\n");
	else
		printf(
		    "- BDB cache sizing: %s\n",
		    opt.bdb_same_bytes
			? "same byte budget as lfmpool (pages x 4096); BDB "
			  "keeps its buffer headers inside it, see the pages "
			  "each holds below"
			: "sized to hold the same number of pages as lfmpool "
			  "(cache size searched for; see below)");
	print_bdb_dirty();
	print_refs_header();
	printf("- workloads:\n");
	for (int w = 0; w < NWORKLOADS; w++)
		if (opt.wl_on[w])
			printf("  - %s: %s\n", workloads[w].name,
			       workloads[w].desc);
	print_wb_header();
	print_mixed_header();
	printf("\n");
}

/* A cell's text, in one of 16 rotating buffers: enough for a row. */
static char *cell(const char *fmt, ...)
{
	static char buf[16][32];
	static unsigned next;
	char *c = buf[next++ % 16];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c, sizeof(buf[0]), fmt, ap);
	va_end(ap);
	return c;
}

/* A median (median_of) as text: "-" not run, "FAILED" no good run. */
static const char *med(double x, double scale, int digits_us)
{
	if (x == NOT_RUN)
		return "-";
	if (x < 0)
		return "FAILED";
	if (digits_us)
		return cell(x < 100 ? "%.1f" : "%.0f", x);
	return cell("%.3f", x / scale);
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

/* Sums over the completed runs of one system in one cell. */
static struct run_result sum_runs(int w, int t, int s, int *nruns)
{
	struct run_result sum = {0};

	*nruns = 0;
	for (int r = 0; r < opt.runs; r++) {
		const struct run_result *rr = res_at(w, t, s, r);

		if (!rr->done)
			continue;
		sum.ops += rr->ops;
		sum.hits += rr->hits;
		sum.misses += rr->misses;
		sum.held_end = rr->held_end;
		sum.pages_in += rr->pages_in;
		sum.pages_in_mapped += rr->pages_in_mapped;
		sum.evict_clean += rr->evict_clean;
		sum.evict_dirty += rr->evict_dirty;
		sum.pages_out += rr->pages_out;
		sum.trickle_calls += rr->trickle_calls;
		sum.trickle_pages += rr->trickle_pages;
		sum.gets_timed += rr->gets_timed;
		++*nruns;
	}
	return sum;
}

/* Every cell run, in report order; `timed`: the write-back ones only. */
#define FOR_CELLS(w, t, timed_only)                                            \
	for (int w = 0; w < NWORKLOADS; w++)                                   \
		for (int t = 0; t < opt.nthreads; t++)                         \
			if (cell_on(w, t) &&                                   \
			    (!(timed_only) || workloads[w].timed))

static void wb_throughput_row(int w, int t)
{
	const size_t m = offsetof(struct run_result, p99_miss_us);
	const size_t a = offsetof(struct run_result, p99_all_us);
	double l = median_ops(w, t, 0), d = median_ops(w, t, SYS_BDB);
	double lm = median_of(w, t, 0, m), dm = median_of(w, t, SYS_BDB, m);

	printf("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n",
	       workloads[w].name, opt.threads[t], med(l, 1e6, 0),
	       med(d, 1e6, 0), ratio(l, d), med(lm, 1, 1), med(dm, 1, 1),
	       ratio(lm, dm), med(median_of(w, t, 0, a), 1, 1),
	       med(median_of(w, t, SYS_BDB, a), 1, 1));
}

/* The victims row; adds the gap between gets timed and hits + misses to
 * mismatch[] (lfmpool's and BDB's: the floor writes nothing back). */
static void wb_victims_row(int w, int t, uint64_t *mismatch)
{
	struct run_result sm[2];
	int n[2];

	for (int s = 0; s < 2; s++) {
		uint64_t hm;

		sm[s] = sum_runs(w, t, s, &n[s]);
		hm = sm[s].hits + sm[s].misses;
		mismatch[s] += sm[s].gets_timed > hm ? sm[s].gets_timed - hm
						     : hm - sm[s].gets_timed;
	}
	printf("| %s | %d | %s | %s | %s | %s | %s | %s |\n", workloads[w].name,
	       opt.threads[t],
	       pct(sm[0].evict_dirty, sm[0].evict_clean + sm[0].evict_dirty, 1),
	       pct(sm[1].evict_dirty, sm[1].evict_clean + sm[1].evict_dirty, 1),
	       per_kop(sm[0].pages_out, sm[0].ops),
	       per_kop(sm[1].pages_out, sm[1].ops),
	       workloads[w].wb != WB_ON || n[1] == 0
		   ? "-"
		   : cell("%.0f",
			  (double)sm[1].trickle_calls / (n[1] * opt.seconds)),
	       workloads[w].wb != WB_ON
		   ? "-"
		   : per_kop(sm[1].trickle_pages, sm[1].ops));
}

/* Throughput and fget latency of the write-back workloads, then where
 * their victims came from. */
static void print_wb_report(void)
{
	uint64_t mismatch[2] = {0};

	if (!any_wb_on())
		return;
	printf("\n## Write-back: throughput and memp_fget latency (dirty "
	       "path)\n\n");
	printf("Medians over the runs; p99 in microseconds, p99 miss an "
	       "upper bound (see the method above); ratio = lfmpool / BDB "
	       "(throughput: higher is better for lfmpool; p99: lower "
	       "is).\n\n");
	printf("| workload | threads | lfmpool Mops/s | BDB 5.3 Mops/s | "
	       "ratio | lfmpool p99 miss us | BDB 5.3 p99 miss us | p99 miss "
	       "ratio | lfmpool p99 all us | BDB 5.3 p99 all us |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	FOR_CELLS(w, t, 1) wb_throughput_row(w, t);
	printf("\n### Victims and writes over the timed periods (all "
	       "runs)\n\n");
	printf("Dirty victims: evictions that wrote the page first "
	       "(st_rw_evict / (st_ro_evict + st_rw_evict)). Writes: "
	       "st_page_out per 1000 ops, by anyone (the getting thread, "
	       "flushers, the trickle thread). Trickled: pages the BDB "
	       "trickle thread's memp_trickle calls reported written, per "
	       "1000 ops.\n\n");
	printf("| workload | threads | lfmpool dirty victims | BDB 5.3 dirty "
	       "victims | lfmpool writes/kop | BDB 5.3 writes/kop | BDB 5.3 "
	       "trickle calls/s | BDB 5.3 trickled/kop |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
	FOR_CELLS(w, t, 1) wb_victims_row(w, t, mismatch);
	printf("\nCheck, summed over the cells: gets timed against "
	       "st_cache_hit + st_cache_miss over the same periods differ by "
	       "%llu for lfmpool, %llu for BDB 5.3. "
	       "Zero means M counts the misses among exactly the gets timed; "
	       "BDB updates its statistics without atomics, so racing threads "
	       "lose a few increments (an error of d in M moves the p99 miss "
	       "rank by about d / 100).\n",
	       (unsigned long long)mismatch[0],
	       (unsigned long long)mismatch[1]);
}

static void throughput_row(int w, int t)
{
	double l = median_ops(w, t, 0), m = median_ops(w, t, SYS_BDB);
	double p = ref_of(w) >= 0 ? median_ops(w, t, ref_of(w)) : NOT_RUN;

	printf("| %s | %d | %s | %s | %s | %s | %s |\n", workloads[w].name,
	       opt.threads[t], med(l, 1e6, 0), med(m, 1e6, 0), ratio(l, m),
	       ref_of(w) >= 0 ? ratio(l, p) : "-", med(p, 1e6, 0));
}

/* The old columns first, in their old order, so that older reports
 * compare column for column; the reference's after them. */
static void print_throughput(void)
{
	printf("## Throughput\n\n");
	if (sys_any(SYS_BARE) || sys_any(SYS_FLOOR))
		printf("floor: the workload's reference, measured in the same "
		       "runs (see above): hit workloads: the bare probe; miss "
		       "workloads: the pread floor; \"-\": none ran. lfmpool / "
		       "floor is the fraction of the floor's throughput "
		       "lfmpool reaches.\n\n");
	printf("| workload | threads | lfmpool Mops/s (median) | BDB 5.3 "
	       "Mops/s (median) | ratio | lfmpool / floor | floor "
	       "Mops/s (median) |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|\n");
	FOR_CELLS(w, t, 0) throughput_row(w, t);
}

static void hit_row(int w, int t)
{
	int n;
	struct run_result l = sum_runs(w, t, 0, &n);
	struct run_result b = sum_runs(w, t, SYS_BDB, &n);

	printf("| %s | %d | %s | %s | %llu | %s | %s |\n", workloads[w].name,
	       opt.threads[t], pct(l.hits, l.hits + l.misses, 2),
	       pct(b.hits, b.hits + b.misses, 2),
	       (unsigned long long)l.held_end,
	       sys_on(w, SYS_BDB) ? cell("%llu", (unsigned long long)b.held_end)
				  : "-",
	       pct(l.pages_in_mapped, l.pages_in, 2));
}

static void print_hit_rate(void)
{
	printf("\n## Hit rate over the timed periods (all runs)\n\n");
	printf("lfmpool reads copied from a mapping: of the pages it read "
	       "from the file, the share copied from a mapping of it "
	       "(st_page_in_mapped / st_page_in; the rest were pread: scans, "
	       "DB_NOMMAP, faults)\n\n");
	printf("| workload | threads | lfmpool hit rate | BDB 5.3 hit rate | "
	       "lfmpool pages held | BDB pages held | lfmpool reads copied "
	       "from a mapping |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|\n");
	FOR_CELLS(w, t, 0) hit_row(w, t);
}

/* The first completed run of system s in workload w, or NULL. */
static const struct run_result *first_done(int w, int s)
{
	for (int t = 0; t < opt.nthreads; t++)
		for (int r = 0; r < opt.runs; r++)
			if (res_at(w, t, s, r)->done)
				return res_at(w, t, s, r);
	return NULL;
}

static void cache_row(int w)
{
	static const struct run_result none = {0};
	const struct run_result *r0 = first_done(w, 0);
	const struct run_result *r1 = first_done(w, SYS_BDB);

	r0 = r0 != NULL ? r0 : &none;
	r1 = r1 != NULL ? r1 : &none;
	printf("| %s | %zu | %llu | %llu | ", workloads[w].name,
	       g_cache_bytes[w][0], (unsigned long long)r0->cache_bytes,
	       (unsigned long long)r0->held_warm);
	if (!sys_on(w, SYS_BDB))
		printf("- | - | - | - |\n");
	else
		printf("%zu | %llu | %llu | %llu |\n", g_cache_bytes[w][1],
		       (unsigned long long)r1->cache_bytes,
		       (unsigned long long)r1->held_warm,
		       (unsigned long long)g_bdb_held_same_bytes[w]);
}

static void print_cache_sizes(void)
{
	printf("\n## Cache sizes\n\n");
	printf("| workload | lfmpool mp_size | lfmpool st_cachesize | "
	       "lfmpool pages held after warm-up | BDB set_cachesize | BDB "
	       "st_gbytes+st_bytes | BDB pages held after warm-up | BDB "
	       "pages held at lfmpool's byte budget |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int w = 0; w < NWORKLOADS; w++)
		if (opt.wl_on[w])
			cache_row(w);
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

/*
 * The --data table: '#' lines (what, date, machine, runs), a header line,
 * then one line per workload, system and thread count, in that order (so
 * each system's line in a plot is one block of consecutive rows): Mops/s
 * median, minimum and maximum over the runs that completed without a
 * wrong page, and their number. Cells without such a run are left out.
 */
void write_data(const char *path)
{
	FILE *f = data_open(
	    path,
	    "mpool_bench --data: Mops/s per workload, thread count and system "
	    "over the runs",
	    "workload\tthreads\tsystem\tmops_median\tmops_min\tmops_max\t"
	    "runs");

	for (int w = 0; w < NWORKLOADS; w++)
		for (int s = 0; s < NSYS; s++)
			for (int t = 0; t < opt.nthreads; t++) {
				double v[MAX_RUNS];
				int n = 0;

				if (!cell_on(w, t) || !sys_on(w, s))
					continue;
				for (int r = 0; r < opt.runs; r++) {
					struct run_result *rr =
					    res_at(w, t, s, r);

					if (rr->done && rr->wrong == 0)
						v[n++] = rr->ops_per_sec / 1e6;
				}
				if (n == 0)
					continue;
				fprintf(f, "%s\t%d\t%s\t%.4f",
					workloads[w].name, opt.threads[t],
					s == SYS_FLOOR && bench_floor_copy
					    ? "floor-copy"
					    : systems[s]->csv,
					median_sort(v, n));
				/* Sorted by median_sort. */
				fprintf(f, "\t%.4f\t%.4f\t%d\n", v[0], v[n - 1],
					n);
			}
	data_close(f, path);
}

static double median(const double *v, int n)
{
	double s[MAX_RUNS];

	memcpy(s, v, (size_t)n * sizeof(*v));
	return median_sort(s, n);
}

static void print_procs_header(size_t cache, const char *base)
{
	print_head("lfmpool vs Berkeley DB 5.3: the hit path shared between "
		   "processes");
	printf("- method: %u pages of 4 KiB in one file, all preloaded into a "
	       "shared pool of %zu bytes (both systems) created in a fresh "
	       "directory under %s; then P forked processes, each with its "
	       "own handle, %s and T threads, loop get / check page number / "
	       "put "
	       "for %.2f s, started together; no CPU pinning; Mops/s = sum "
	       "over processes of ops / elapsed; %d runs, lfmpool and BDB "
	       "alternating first; medians; ratio = median of per-run "
	       "lfmpool / BDB\n",
	       opt.pages, cache, base,
	       opt.cold ? "no warm-up" : "a warm-up pass over its pages",
	       opt.seconds, opt.runs);
	printf("- workloads:\n");
	for (int w = 0; w < NWORKLOADS; w++)
		if (opt.wl_on[w])
			printf("  - %s: %s\n", workloads[w].name,
			       workloads[w].procs_desc);
	printf("\n");
}

static void print_procs_row(const struct procs_cell *c)
{
	double lo = c->ratio[0], hi = c->ratio[0];

	for (int r = 1; r < opt.runs; r++) {
		lo = c->ratio[r] < lo ? c->ratio[r] : lo;
		hi = c->ratio[r] > hi ? c->ratio[r] : hi;
	}
	printf("| %s %d proc%s | %d | %.3f | %.3f | %.2f | %.2f-%.2f |\n",
	       workloads[c->w].name, c->p, c->p > 1 ? "s" : "", c->t,
	       median(c->mops[0], opt.runs), median(c->mops[1], opt.runs),
	       median(c->ratio, opt.runs), lo, hi);
}

void print_procs_report(const struct procs_cell *c, int ncells, size_t cache,
			const char *base)
{
	print_procs_header(cache, base);
	printf("## Throughput\n\n");
	printf("| workload | threads per process | %s Mops/s (median) "
	       "| %s Mops/s (median) | ratio (median) | ratio "
	       "min-max |\n",
	       systems[0]->name, systems[1]->name);
	printf("|---|---:|---:|---:|---:|---:|\n");
	for (int i = 0; i < ncells; i++)
		print_procs_row(&c[i]);
	printf("\n## Minor page faults per process in the timed phase "
	       "(median)\n\n| workload | threads per process | %s | "
	       "%s |\n|---|---:|---:|---:|\n",
	       systems[0]->name, systems[1]->name);
	for (int i = 0; i < ncells; i++)
		printf("| %s %d proc%s | %d | %.0f | %.0f |\n",
		       workloads[c[i].w].name, c[i].p, c[i].p > 1 ? "s" : "",
		       c[i].t, median(c[i].minflt[0], opt.runs),
		       median(c[i].minflt[1], opt.runs));
	fflush(stdout);
}

/*
 * The --data table: one line per workload, system, threads per process
 * and process count, in that order (each line of a plot is one block of
 * consecutive rows): Mops/s median, minimum and maximum over the runs.
 * The cells are in the order workload, processes, threads.
 */
void write_procs_data(const char *path, const struct procs_cell *c, int ncells)
{
	const int per = opt.nprocs * opt.nthreads; /* cells per workload */
	FILE *f = data_open(
	    path,
	    "mpool_bench_procs --data: Mops/s per workload, process count, "
	    "threads per process and system over the runs",
	    "workload\tprocs\tthreads\tsystem\tmops_median\tmops_min\t"
	    "mops_max\truns");

	for (int b = 0; b < ncells; b += per)
		for (int s = 0; s < 2; s++)
			for (int i = 0; i < per; i++) {
				const struct procs_cell *x =
				    &c[b + (i % opt.nprocs) * opt.nthreads +
				       i / opt.nprocs];
				double v[MAX_RUNS];

				memcpy(v, x->mops[s],
				       (size_t)opt.runs * sizeof(v[0]));
				fprintf(f, "%s\t%d\t%d\t%s\t%.4f",
					workloads[x->w].name, x->p, x->t,
					systems[s]->csv,
					median_sort(v, opt.runs));
				fprintf(f, "\t%.4f\t%.4f\t%d\n", v[0],
					v[opt.runs - 1], opt.runs);
			}
	data_close(f, path);
}
