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

static void fmt_mops(char *buf, size_t len, double ops)
{
	if (ops == NOT_RUN)
		snprintf(buf, len, "-");
	else if (ops < 0)
		snprintf(buf, len, "FAILED");
	else
		snprintf(buf, len, "%.3f", ops / 1e6);
}

static void fmt_hit(char *buf, size_t len, uint64_t hits, uint64_t misses)
{
	if (hits + misses == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f%%",
			 100.0 * (double)hits / (double)(hits + misses));
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
	printf("- workloads:\n");
	for (int w = 0; w < NWORKLOADS; w++)
		if (opt.wl_on[w])
			printf("  - %s: %s\n", workloads[w].name,
			       workloads[w].desc);
	print_wb_header();
	print_mixed_header();
	printf("\n");
}

static void fmt_us(char *buf, size_t len, double us)
{
	if (us == NOT_RUN)
		snprintf(buf, len, "-");
	else if (us < 0)
		snprintf(buf, len, "FAILED");
	else if (us < 100)
		snprintf(buf, len, "%.1f", us);
	else
		snprintf(buf, len, "%.0f", us);
}

static void fmt_ratio(char *buf, size_t len, double x, double y)
{
	if (x > 0 && y > 0)
		snprintf(buf, len, "%.2f", x / y);
	else
		snprintf(buf, len, "-");
}

static void fmt_share(char *buf, size_t len, uint64_t part, uint64_t whole)
{
	if (whole == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%",
			 100.0 * (double)part / (double)whole);
}

static void fmt_per_kop(char *buf, size_t len, uint64_t n, uint64_t ops)
{
	if (ops == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", 1000.0 * (double)n / (double)ops);
}

/* Sums over the completed runs of one system in one cell. */
struct wb_sums {
	uint64_t ops, evict_clean, evict_dirty, pages_out;
	uint64_t trickle_calls, trickle_pages;
	uint64_t gets_timed, hits_misses;
	int nruns;
};

static void wb_sum(int w, int t, int s, struct wb_sums *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (int r = 0; r < opt.runs; r++) {
		struct run_result *rr = res_at(w, t, s, r);

		if (!rr->done)
			continue;
		sum->ops += rr->ops;
		sum->evict_clean += rr->evict_clean;
		sum->evict_dirty += rr->evict_dirty;
		sum->pages_out += rr->pages_out;
		sum->trickle_calls += rr->trickle_calls;
		sum->trickle_pages += rr->trickle_pages;
		sum->gets_timed += rr->gets_timed;
		sum->hits_misses += rr->hits + rr->misses;
		sum->nruns++;
	}
}

/* Throughput and fget latency of the write-back workloads, then where
 * their victims came from. */
static void print_wb_report(void)
{
	const size_t p99m = offsetof(struct run_result, p99_miss_us);
	const size_t p99a = offsetof(struct run_result, p99_all_us);
	uint64_t mismatch[NSYS] = {0};
	char c[10][32];

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
	for (int w = 0; w < NWORKLOADS; w++) {
		if (!opt.wl_on[w] || !workloads[w].timed)
			continue;
		for (int t = 0; t < opt.nthreads; t++) {
			if (!cell_on(w, t))
				continue;
			double l = median_ops(w, t, 0), d = median_ops(w, t, 1);
			double lm = median_of(w, t, 0, p99m);
			double dm = median_of(w, t, 1, p99m);

			fmt_mops(c[0], sizeof(c[0]), l);
			fmt_mops(c[1], sizeof(c[1]), d);
			fmt_ratio(c[2], sizeof(c[2]), l, d);
			fmt_us(c[3], sizeof(c[3]), lm);
			fmt_us(c[4], sizeof(c[4]), dm);
			fmt_ratio(c[5], sizeof(c[5]), lm, dm);
			fmt_us(c[6], sizeof(c[6]), median_of(w, t, 0, p99a));
			fmt_us(c[7], sizeof(c[7]), median_of(w, t, 1, p99a));
			printf("| %s | %d | %s | %s | %s | %s | %s | %s | %s | "
			       "%s |\n",
			       workloads[w].name, opt.threads[t], c[0], c[1],
			       c[2], c[3], c[4], c[5], c[6], c[7]);
		}
	}

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
	for (int w = 0; w < NWORKLOADS; w++) {
		if (!opt.wl_on[w] || !workloads[w].timed)
			continue;
		for (int t = 0; t < opt.nthreads; t++) {
			if (!cell_on(w, t))
				continue;
			struct wb_sums sm[NSYS];

			/* The tables are lfmpool's and BDB's: the floor
			 * runs here too, but writes nothing back. */
			for (int s = 0; s < SYS_BARE; s++) {
				wb_sum(w, t, s, &sm[s]);
				mismatch[s] +=
				    sm[s].gets_timed > sm[s].hits_misses
					? sm[s].gets_timed - sm[s].hits_misses
					: sm[s].hits_misses - sm[s].gets_timed;
			}
			for (int s = 0; s < SYS_BARE; s++) {
				fmt_share(
				    c[2 * s], sizeof(c[0]), sm[s].evict_dirty,
				    sm[s].evict_clean + sm[s].evict_dirty);
				fmt_per_kop(c[2 * s + 1], sizeof(c[0]),
					    sm[s].pages_out, sm[s].ops);
			}
			if (workloads[w].wb == WB_ON) {
				if (sm[1].nruns == 0)
					snprintf(c[4], sizeof(c[4]), "-");
				else
					snprintf(
					    c[4], sizeof(c[4]), "%.0f",
					    (double)sm[1].trickle_calls /
						(sm[1].nruns * opt.seconds));
				fmt_per_kop(c[5], sizeof(c[5]),
					    sm[1].trickle_pages, sm[1].ops);
			} else {
				snprintf(c[4], sizeof(c[4]), "-");
				snprintf(c[5], sizeof(c[5]), "-");
			}
			printf("| %s | %d | %s | %s | %s | %s | %s | %s |\n",
			       workloads[w].name, opt.threads[t], c[0], c[2],
			       c[1], c[3], c[4], c[5]);
		}
	}
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

void print_report(void)
{
	char a[32], b[32], c[32], d[32], e[32];

	/* The old columns first, in their old order, so that older reports
	 * compare column for column; the reference's after them. */
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
	for (int w = 0; w < NWORKLOADS; w++) {
		if (!opt.wl_on[w])
			continue;
		for (int t = 0; t < opt.nthreads; t++) {
			if (!cell_on(w, t))
				continue;
			double l = median_ops(w, t, 0), m = median_ops(w, t, 1);

			fmt_mops(a, sizeof(a), l);
			fmt_mops(b, sizeof(b), m);
			fmt_ratio(c, sizeof(c), l, m);
			if (ref_of(w) >= 0) {
				double p = median_ops(w, t, ref_of(w));

				fmt_ratio(d, sizeof(d), l, p);
				fmt_mops(e, sizeof(e), p);
			} else {
				snprintf(d, sizeof(d), "-");
				snprintf(e, sizeof(e), "-");
			}
			printf("| %s | %d | %s | %s | %s | %s | %s |\n",
			       workloads[w].name, opt.threads[t], a, b, c, d,
			       e);
		}
	}

	printf("\n## Hit rate over the timed periods (all runs)\n\n");
	printf("lfmpool reads copied from a mapping: of the pages it read "
	       "from the file, the share copied from a mapping of it "
	       "(st_page_in_mapped / st_page_in; the rest were pread: scans, "
	       "DB_NOMMAP, faults)\n\n");
	printf("| workload | threads | lfmpool hit rate | BDB 5.3 hit rate | "
	       "lfmpool pages held | BDB pages held | lfmpool reads copied "
	       "from a mapping |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|\n");
	for (int w = 0; w < NWORKLOADS; w++) {
		if (!opt.wl_on[w])
			continue;
		for (int t = 0; t < opt.nthreads; t++) {
			if (!cell_on(w, t))
				continue;
			uint64_t h[NSYS] = {0}, m[NSYS] = {0}, held[NSYS] = {0};
			uint64_t in = 0, in_mapped = 0;

			for (int s = 0; s < NSYS; s++)
				for (int r = 0; r < opt.runs; r++) {
					struct run_result *rr =
					    res_at(w, t, s, r);

					if (!rr->done)
						continue;
					h[s] += rr->hits;
					m[s] += rr->misses;
					held[s] = rr->held_end;
					if (s == 0) {
						in += rr->pages_in;
						in_mapped +=
						    rr->pages_in_mapped;
					}
				}
			fmt_hit(a, sizeof(a), h[0], m[0]);
			fmt_hit(b, sizeof(b), h[1], m[1]);
			/* The share of reads: fmt_hit's arithmetic. */
			fmt_hit(c, sizeof(c), in_mapped, in - in_mapped);
			if (sys_on(w, SYS_BDB))
				snprintf(d, sizeof(d), "%llu",
					 (unsigned long long)held[SYS_BDB]);
			else
				snprintf(d, sizeof(d), "-");
			printf("| %s | %d | %s | %s | %llu | %s | %s |\n",
			       workloads[w].name, opt.threads[t], a, b,
			       (unsigned long long)held[0], d, c);
		}
	}

	printf("\n## Cache sizes\n\n");
	printf("| workload | lfmpool mp_size | lfmpool st_cachesize | "
	       "lfmpool pages held after warm-up | BDB set_cachesize | BDB "
	       "st_gbytes+st_bytes | BDB pages held after warm-up | BDB "
	       "pages held at lfmpool's byte budget |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (int w = 0; w < NWORKLOADS; w++) {
		struct run_result *r0 = NULL, *r1 = NULL;

		if (!opt.wl_on[w])
			continue;
		for (int t = 0; t < opt.nthreads && (!r0 || !r1); t++)
			for (int r = 0; r < opt.runs; r++) {
				if (!r0 && res_at(w, t, 0, r)->done)
					r0 = res_at(w, t, 0, r);
				if (!r1 && res_at(w, t, 1, r)->done)
					r1 = res_at(w, t, 1, r);
			}
		printf("| %s | %zu | %llu | %llu | ", workloads[w].name,
		       g_cache_bytes[w][0],
		       (unsigned long long)(r0 ? r0->cache_bytes : 0),
		       (unsigned long long)(r0 ? r0->held_warm : 0));
		if (!sys_on(w, SYS_BDB))
			printf("- | - | - | - |\n");
		else
			printf("%zu | %llu | %llu | %llu |\n",
			       g_cache_bytes[w][1],
			       (unsigned long long)(r1 ? r1->cache_bytes : 0),
			       (unsigned long long)(r1 ? r1->held_warm : 0),
			       (unsigned long long)g_bdb_held_same_bytes[w]);
	}

	print_wb_report();

	printf("\n## Correctness\n\n");
	for (int s = 0; s < NSYS; s++) {
		uint64_t checked = 0, wrong = 0, errors = 0;

		if (!sys_any(s))
			continue;
		for (int w = 0; w < NWORKLOADS; w++)
			for (int t = 0; t < opt.nthreads; t++)
				for (int r = 0; r < opt.runs; r++) {
					struct run_result *rr =
					    res_at(w, t, s, r);

					checked += rr->checked;
					wrong += rr->wrong;
					errors += rr->errors;
				}
		printf("- %s: %llu pages checked, %llu wrong, %llu errors%s\n",
		       systems[s]->name, (unsigned long long)checked,
		       (unsigned long long)wrong, (unsigned long long)errors,
		       wrong || errors ? " -- FAILED" : "");
	}
	if (g_failed)
		printf("\n**FAILED: see the errors above (stderr).**\n");
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
