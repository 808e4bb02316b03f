/*
 * bench_procs.c - the hit path with several processes sharing one pool:
 * lfmpool (memp_open(dir) without DB_MPOOL_PRIVATE) against Berkeley DB
 * 5.3 (a shared environment, no DB_PRIVATE), in the same run.
 *
 * One data file of --pages 4 KiB pages (offset 0 of each holds its page
 * number) is written once under a fresh temporary directory. Each
 * measurement then, for one system:
 *   1. creates the pool in a fresh subdirectory, big enough for every page
 *      (pages * 4096 * 1.25 bytes), opens the file and preloads every page
 *      (get and put in order), checking that all are held;
 *   2. forks --procs children after the pool's files exist; each opens a
 *      handle of its own (lfmpool: memp_open(dir, DB_THREAD); BDB:
 *      DB_ENV->open(dir, DB_INIT_MPOOL | DB_THREAD) and memp_fcreate +
 *      DB_MPOOLFILE->open), gets and puts every page of the workload's
 *      range once (warm-up: maps the region's pages into this process;
 *      --cold skips it), starts its threads and reports ready through its
 *      pipe (bench_procs_child.c);
 *   3. when every child is ready, closes the "go" pipe, which starts all
 *      of them at once; each child lets its threads loop (get a page drawn
 *      uniformly from the workload's range, check its page number, put)
 *      for --seconds, then reports its count, elapsed time and minor
 *      page faults;
 *   4. checks that the pool-wide miss count did not move (all hits), then
 *      closes and removes the pool (memp_unlink(dir, 1) / DB_ENV->remove
 *      with DB_FORCE and any __db.* left) and the subdirectory.
 * Throughput is the sum over children of ops / elapsed. Runs alternate the
 * systems (lfmpool first in even runs, BDB first in odd ones); the report
 * gives per-system medians and the median of the per-run ratios. Children
 * are not pinned to CPUs. The report (Markdown) goes to stdout (--data:
 * the medians also as a table for bench/plot.sh), progress (one line per
 * run, one per cell) to stderr; the exit status is 0 only if every
 * measurement succeeded.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_procs.h"
#include "bench_util.h"

#define MAX_PROCS 16
#define MAX_RUNS  101
#define MAX_LIST  8
#define NSYS	  2
#define READY_MS  60000 /* a child's open and thread start */
#define SLACK_MS  60000 /* beyond --seconds for a child's result */

static const struct procs_sys *const systems[NSYS] = {&procs_lfm_sys,
						      &procs_bdb_sys};

struct workload {
	const char *name;
	const char *desc;
	uint32_t range; /* pages drawn from [0, range); 0: every page */
};

static const struct workload workloads[] = {
    {"hit-uniform", "uniform over every page, pool holds all", 0},
    {"hit-hot256", "uniform over pages 0-255, pool holds all", 256},
};
#define NWORKLOADS ((int)(sizeof(workloads) / sizeof(workloads[0])))

static struct {
	int runs;
	double seconds;
	uint32_t pages;
	int procs[MAX_LIST], nprocs;
	int threads[MAX_LIST], nthreads;
	int wl[NWORKLOADS], nwl;
	const char *dir;
	int cold;	  /* no warm-up pass in the children */
	const char *data; /* --data: the medians as a table */
} opt = {5, 2.0, 16384, {1, 2}, 2, {1, 2}, 2, {0, 1}, 2, NULL, 0, NULL};

static char g_top[PATH_MAX];  /* our temporary directory */
static char g_data[PATH_MAX]; /* the data file in it */
static size_t g_cache;	      /* cache bytes for both systems */
static volatile sig_atomic_t g_signal;

static void on_signal(int sig)
{
	g_signal = sig;
}

/* ------------------------------------------------------------------ */
/* Messages from the children.                                        */

/* 0, or -1 with the reason in err: timeout, end of file (the child died),
 * or a signal to us. */
static int recv_msg(int fd, struct procs_msg *m, int timeout_ms, char *err,
		    size_t errlen)
{
	double deadline = procs_now() + timeout_ms / 1e3;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;

	for (;;) {
		int left = (int)((deadline - procs_now()) * 1e3);
		int r;

		if (g_signal) {
			snprintf(err, errlen, "interrupted by signal %d",
				 (int)g_signal);
			return -1;
		}
		if (left <= 0) {
			snprintf(err, errlen, "no word from a child in %d s",
				 timeout_ms / 1000);
			return -1;
		}
		if ((r = poll(&p, 1, left)) > 0)
			break;
		if (r < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
	}
	do
		n = read(fd, m, sizeof(*m));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*m)) {
		snprintf(err, errlen, "a child exited without reporting");
		return -1;
	}
	m->text[sizeof(m->text) - 1] = '\0';
	return 0;
}

/* ------------------------------------------------------------------ */
/* The parent: one measurement of one system.                          */

struct meas {
	double mops;
	uint64_t misses; /* misses during the timed phase (must be 0) */
	double minflt;	 /* minor faults per child in the timed phase */
};

static void errf(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (err[0] != '\0')
		return; /* keep the first */
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static int preload(const struct procs_sys *sys, procs_pool *pp, char *err,
		   size_t len)
{
	for (uint32_t pg = 0; pg < opt.pages; pg++) {
		void *page;
		int ret;

		if ((ret = sys->get(pp, pg, &page)) != 0) {
			errf(err, len, "preload page %u: %s (%d)", pg,
			     sys->strerror(ret), ret);
			return -1;
		}
		if (*(uint32_t *)page != pg) {
			errf(err, len, "preload page %u: wrong page %u", pg,
			     *(uint32_t *)page);
			(void)sys->put(pp, page);
			return -1;
		}
		if ((ret = sys->put(pp, page)) != 0) {
			errf(err, len, "preload put %u: %s (%d)", pg,
			     sys->strerror(ret), ret);
			return -1;
		}
	}
	return 0;
}

static int measure(const struct procs_sys *sys, const struct workload *wl,
		   int nprocs, int nthreads, int run, struct meas *out,
		   char *err, size_t len)
{
	char home[PATH_MAX];
	procs_pool *pp = NULL;
	pid_t pids[MAX_PROCS] = {0};
	int fds[MAX_PROCS], go[2] = {-1, -1};
	int abandon = 0, ret;
	uint64_t miss0 = 0, miss1 = 0, pages = 0;
	uint32_t range =
	    wl->range != 0 && wl->range < opt.pages ? wl->range : opt.pages;
	struct procs_msg m;

	err[0] = '\0';
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < MAX_PROCS; i++)
		fds[i] = -1;
	if ((size_t)snprintf(home, sizeof(home), "%s/pool.XXXXXX", g_top) >=
	    sizeof(home)) {
		errf(err, len, "directory name too long");
		return -1;
	}
	if (mkdtemp(home) == NULL) {
		errf(err, len, "mkdtemp %s: %s", home, strerror(errno));
		return -1;
	}
	if ((ret = sys->create(home, g_data, g_cache, &pp)) != 0) {
		pp = NULL;
		errf(err, len, "create: %s (%d)", sys->strerror(ret), ret);
		goto out;
	}
	if (preload(sys, pp, err, len) != 0)
		goto out;
	if ((ret = sys->stats(pp, &miss0, &pages)) != 0) {
		errf(err, len, "stat: %s (%d)", sys->strerror(ret), ret);
		goto out;
	}
	if (pages < opt.pages) {
		errf(err, len, "only %llu of %u pages held after preload",
		     (unsigned long long)pages, opt.pages);
		goto out;
	}
	if (pipe(go) != 0) {
		errf(err, len, "pipe: %s", strerror(errno));
		goto out;
	}
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < nprocs; i++) {
		int p[2];
		pid_t pid;

		if (pipe(p) != 0) {
			errf(err, len, "pipe: %s", strerror(errno));
			goto out;
		}
		if ((pid = fork()) < 0) {
			errf(err, len, "fork: %s", strerror(errno));
			close(p[0]);
			close(p[1]);
			goto out;
		}
		if (pid == 0) {
			close(p[0]);
			close(go[1]);
			for (int j = 0; j < i; j++)
				close(fds[j]);
			struct procs_child_args a = {
			    .sys = sys,
			    .home = home,
			    .path = g_data,
			    .cache_bytes = g_cache,
			    .seconds = opt.seconds,
			    .range = range,
			    .warm = !opt.cold,
			    .nthreads = nthreads,
			    .seed = ((uint64_t)run << 32) ^
				    ((uint64_t)i << 16) ^ 0x5eed,
			    .go_fd = go[0],
			    .out_fd = p[1],
			};

			procs_child_main(&a);
		}
		close(p[1]);
		fds[i] = p[0];
		pids[i] = pid;
	}
	close(go[0]);
	go[0] = -1;
	for (int i = 0; i < nprocs; i++) {
		if (recv_msg(fds[i], &m, READY_MS, err, len) != 0)
			goto out;
		if (m.kind != PROCS_MSG_READY) {
			errf(err, len, "child %d: %s", i, m.text);
			goto out;
		}
	}
	close(go[1]); /* everyone starts */
	go[1] = -1;
	for (int i = 0; i < nprocs; i++) {
		int timeout = (int)(opt.seconds * 1e3) + SLACK_MS;

		if (recv_msg(fds[i], &m, timeout, err, len) != 0)
			goto out;
		if (m.kind != PROCS_MSG_RESULT || m.secs <= 0) {
			errf(err, len, "child %d: %s", i, m.text);
			goto out;
		}
		out->mops += (double)m.ops / m.secs / 1e6;
		out->minflt += (double)m.minflt / nprocs;
	}
	for (int i = 0; i < nprocs; i++) {
		int st;

		if (waitpid(pids[i], &st, 0) != pids[i]) {
			errf(err, len, "waitpid: %s", strerror(errno));
			goto out;
		}
		pids[i] = 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			errf(err, len, "child %d: exit status %#x", i, st);
			goto out;
		}
	}
	if ((ret = sys->stats(pp, &miss1, &pages)) != 0) {
		errf(err, len, "stat: %s (%d)", sys->strerror(ret), ret);
		goto out;
	}
	out->misses = miss1 - miss0;
out:
	for (int i = 0; i < MAX_PROCS; i++) {
		if (pids[i] > 0) { /* failed: stop it; its pool is suspect */
			(void)kill(pids[i], SIGKILL);
			(void)waitpid(pids[i], NULL, 0);
			abandon = 1;
		}
		if (fds[i] >= 0)
			close(fds[i]);
	}
	if (go[0] >= 0)
		close(go[0]);
	if (go[1] >= 0)
		close(go[1]);
	/* A killed child may hold a BDB region mutex: then closing could
	 * hang, so the handle is left to process exit. */
	if (pp != NULL && !abandon && (ret = sys->close(pp)) != 0)
		errf(err, len, "close: %s (%d)", sys->strerror(ret), ret);
	if ((ret = sys->remove(home)) != 0)
		errf(err, len, "remove pool: %s (%d)", sys->strerror(ret), ret);
	if (rmdir(home) != 0)
		errf(err, len, "rmdir %s: %s", home, strerror(errno));
	return err[0] != '\0' ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* Setup, report, options.                                             */

static int make_data(void)
{
	static uint32_t buf[PROCS_PAGE_SIZE / sizeof(uint32_t)];
	int fd, ret = 0;

	if ((size_t)snprintf(g_data, sizeof(g_data), "%s/data.db", g_top) >=
	    sizeof(g_data))
		return ENAMETOOLONG;
	if ((fd = open(g_data, O_RDWR | O_CREAT | O_EXCL, 0644)) < 0)
		return errno;
	for (uint32_t pg = 0; pg < opt.pages && ret == 0; pg++) {
		off_t off = (off_t)pg * PROCS_PAGE_SIZE;
		ssize_t n;

		buf[0] = pg;
		buf[1] = ~pg;
		n = pwrite(fd, buf, sizeof(buf), off);
		if (n != (ssize_t)sizeof(buf))
			ret = n < 0 ? errno : EIO;
	}
	if (close(fd) != 0 && ret == 0)
		ret = errno;
	return ret;
}

static const char *base_dir(void)
{
	struct stat st;
	const char *t;

	if (opt.dir != NULL)
		return opt.dir;
	/* tmpfs: the kernel never writes the shared region files back
	 * (a disk would, at random, for both systems). */
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
	    access("/dev/shm", W_OK | X_OK) == 0)
		return "/dev/shm";
	if ((t = getenv("TMPDIR")) != NULL && t[0] != '\0')
		return t;
	return "/tmp";
}

static double median(const double *v, int n)
{
	double s[MAX_RUNS];

	memcpy(s, v, (size_t)n * sizeof(*v));
	return bench_median_sort(s, n);
}

/* The header's date and machine, set at the start (for --data too). */
static char g_date[64], g_machine[512];

static void set_date_machine(void)
{
	struct utsname u;
	char model[256];
	time_t now = time(NULL);

	strftime(g_date, sizeof(g_date), "%Y-%m-%d %H:%M:%S %Z",
		 localtime(&now));
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	bench_cpu_model(model, sizeof(model));
	snprintf(g_machine, sizeof(g_machine), "nproc %ld, %s %s %s, CPU %s",
		 sysconf(_SC_NPROCESSORS_ONLN), u.sysname, u.release, u.machine,
		 model);
}

static void print_header(const char *base)
{
	printf("# lfmpool vs Berkeley DB 5.3: the hit path shared between "
	       "processes\n\n");
	printf("- date: %s\n", g_date);
	printf("- machine: %s\n", g_machine);
	printf("- libraries: %s; %s\n", systems[0]->version(),
	       systems[1]->version());
	printf("- method: %u pages of 4 KiB in one file, all preloaded into a "
	       "shared pool of %zu bytes (both systems) created in a fresh "
	       "directory under %s; then P forked processes, each with its "
	       "own handle, %s and T threads, loop get / check page number / "
	       "put "
	       "for %.2f s, started together; no CPU pinning; Mops/s = sum "
	       "over processes of ops / elapsed; %d runs, lfmpool and BDB "
	       "alternating first; medians; ratio = median of per-run "
	       "lfmpool / BDB\n",
	       opt.pages, g_cache, base,
	       opt.cold ? "no warm-up" : "a warm-up pass over its pages",
	       opt.seconds, opt.runs);
	printf("- workloads:\n");
	for (int i = 0; i < opt.nwl; i++)
		printf("  - %s: %s\n", workloads[opt.wl[i]].name,
		       workloads[opt.wl[i]].desc);
	printf("\n");
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mpool_bench_procs [options]\n"
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

static int parse_ints(const char *s, int *v, int *n, int lo, int hi)
{
	char *end;

	*n = 0;
	do {
		long x = strtol(s, &end, 10);

		if (end == s || x < lo || x > hi || *n == MAX_LIST)
			return -1;
		v[(*n)++] = (int)x;
		s = end + 1;
	} while (*end == ',');
	return *end == '\0' ? 0 : -1;
}

static int parse_workloads(const char *s)
{
	opt.nwl = 0;
	while (*s != '\0') {
		size_t l = strcspn(s, ",");
		int w;

		for (w = 0; w < NWORKLOADS; w++)
			if (strlen(workloads[w].name) == l &&
			    strncmp(s, workloads[w].name, l) == 0)
				break;
		if (w == NWORKLOADS || opt.nwl == NWORKLOADS)
			return -1;
		opt.wl[opt.nwl++] = w;
		s += l + (s[l] == ',');
	}
	return opt.nwl > 0 ? 0 : -1;
}

static int parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"runs", required_argument, NULL, 'r'},
	    {"seconds", required_argument, NULL, 's'},
	    {"procs", required_argument, NULL, 'p'},
	    {"threads", required_argument, NULL, 't'},
	    {"workload", required_argument, NULL, 'w'},
	    {"pages", required_argument, NULL, 'n'},
	    {"dir", required_argument, NULL, 'd'},
	    {"cold", no_argument, NULL, 'c'},
	    {"data", required_argument, NULL, 'D'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, v[MAX_LIST], n;
	char *end;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_ints(optarg, v, &n, 1, MAX_RUNS) || n != 1)
				goto bad;
			opt.runs = v[0];
			break;
		case 's':
			opt.seconds = strtod(optarg, &end);
			if (*end != '\0' || !(opt.seconds >= 0.01) ||
			    opt.seconds > 3600)
				goto bad;
			break;
		case 'p':
			if (parse_ints(optarg, opt.procs, &opt.nprocs, 1,
				       MAX_PROCS))
				goto bad;
			break;
		case 't':
			if (parse_ints(optarg, opt.threads, &opt.nthreads, 1,
				       PROCS_MAX_THREADS))
				goto bad;
			break;
		case 'w':
			if (parse_workloads(optarg))
				goto bad;
			break;
		case 'n':
			if (parse_ints(optarg, v, &n, 256, 1 << 20) || n != 1)
				goto bad;
			opt.pages = (uint32_t)v[0];
			break;
		case 'd':
			opt.dir = optarg;
			break;
		case 'c':
			opt.cold = 1;
			break;
		case 'D':
			opt.data = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			goto bad;
		}
	}
	if (optind == argc)
		return 0;
bad:
	usage(stderr);
	return -1;
}

/* One cell: a workload, a number of processes, of threads in each. */
struct cell {
	int w, p, t;
	double mops[NSYS][MAX_RUNS], ratio[MAX_RUNS];
	double minflt[NSYS][MAX_RUNS];
};

/*
 * The --data table: '#' lines (what, date, machine, runs), a header line,
 * then one line per workload, system, threads per process and process
 * count, in that order (each line of a plot is one block of consecutive
 * rows): Mops/s median, minimum and maximum over the runs. 0 or -1.
 */
static int write_data(const struct cell *cells)
{
	FILE *f = bench_data_open(
	    opt.data,
	    "mpool_bench_procs --data: Mops/s per workload, process count, "
	    "threads per process and system over the runs",
	    g_date, g_machine, opt.runs, opt.seconds,
	    "workload\tprocs\tthreads\tsystem\tmops_median\tmops_min\t"
	    "mops_max\truns");

	if (f == NULL) {
		fprintf(stderr, "mpool_bench_procs: open %s: %s\n", opt.data,
			strerror(errno));
		return -1;
	}
	for (int wi = 0; wi < opt.nwl; wi++)
		for (int s = 0; s < NSYS; s++)
			for (int ti = 0; ti < opt.nthreads; ti++)
				for (int pi = 0; pi < opt.nprocs; pi++) {
					const struct cell *c =
					    &cells[(wi * opt.nprocs + pi) *
						       opt.nthreads +
						   ti];
					double v[MAX_RUNS];

					memcpy(v, c->mops[s],
					       (size_t)opt.runs * sizeof(v[0]));
					fprintf(f, "%s\t%d\t%d\t%s\t%.4f",
						workloads[c->w].name, c->p,
						c->t,
						s == 0 ? "lfmpool" : "bdb5.3",
						bench_median_sort(v, opt.runs));
					/* v is sorted now. */
					fprintf(f, "\t%.4f\t%.4f\t%d\n", v[0],
						v[opt.runs - 1], opt.runs);
				}
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "mpool_bench_procs: write %s: %s\n", opt.data,
			strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct cell *cells;
	int ncells = 0, failed = 0, ret;
	double t_start, now;
	char what[128];
	struct sigaction sa;
	const char *base;
	char err[512];

	if (parse_args(argc, argv) != 0)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: waits end early */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	cells =
	    calloc((size_t)opt.nwl * (size_t)opt.nprocs * (size_t)opt.nthreads,
		   sizeof(*cells));
	if (cells == NULL) {
		fprintf(stderr, "mpool_bench_procs: out of memory\n");
		return 1;
	}
	t_start = procs_now();
	set_date_machine();
	g_cache = (size_t)opt.pages * PROCS_PAGE_SIZE / 4 * 5;
	base = base_dir();
	if ((size_t)snprintf(g_top, sizeof(g_top), "%s/mpool-procs.XXXXXX",
			     base) >= sizeof(g_top) ||
	    mkdtemp(g_top) == NULL) {
		fprintf(stderr, "mpool_bench_procs: mkdtemp under %s: %s\n",
			base, strerror(errno));
		free(cells);
		return 1;
	}
	if ((ret = make_data()) != 0) {
		fprintf(stderr, "mpool_bench_procs: writing %s: %s\n", g_data,
			strerror(ret));
		failed = 1;
		goto cleanup;
	}
	for (int wi = 0; wi < opt.nwl; wi++)
		for (int pi = 0; pi < opt.nprocs; pi++)
			for (int ti = 0; ti < opt.nthreads; ti++) {
				struct cell *c = &cells[ncells++];

				c->w = opt.wl[wi];
				c->p = opt.procs[pi];
				c->t = opt.threads[ti];
			}
	for (int ci = 0; ci < ncells && !failed; ci++) {
		struct cell *c = &cells[ci];
		const struct workload *wl = &workloads[c->w];

		for (int r = 0; r < opt.runs && !failed; r++) {
			for (int k = 0; k < NSYS && !failed; k++) {
				int s = r % 2 ? NSYS - 1 - k : k;
				struct meas m;

				if (measure(systems[s], wl, c->p, c->t, r, &m,
					    err, sizeof(err)) != 0) {
					fprintf(stderr,
						"mpool_bench_procs: FAILED: "
						"%s, %s, %d procs x %d "
						"threads, run %d: %s\n",
						systems[s]->name, wl->name,
						c->p, c->t, r + 1, err);
					failed = 1;
					break;
				}
				if (m.misses != 0) {
					fprintf(stderr,
						"mpool_bench_procs: FAILED: "
						"%s, %s: %llu misses in the "
						"timed phase\n",
						systems[s]->name, wl->name,
						(unsigned long long)m.misses);
					failed = 1;
					break;
				}
				c->mops[s][r] = m.mops;
				c->minflt[s][r] = m.minflt;
			}
			if (failed)
				break;
			c->ratio[r] = c->mops[1][r] > 0
					  ? c->mops[0][r] / c->mops[1][r]
					  : 0;
			fprintf(stderr,
				"%s, %d procs x %d threads, run %d/%d: "
				"%s %.3f, %s %.3f Mops/s (minor faults "
				"per process %.0f, %.0f)\n",
				wl->name, c->p, c->t, r + 1, opt.runs,
				systems[0]->name, c->mops[0][r],
				systems[1]->name, c->mops[1][r],
				c->minflt[0][r], c->minflt[1][r]);
		}
		if (failed)
			break;
		/* Every cell costs the same: the time left is the time per
		 * cell so far times the cells to go. */
		snprintf(what, sizeof(what), "%s, %d proc%s x %d thread%s",
			 wl->name, c->p, c->p > 1 ? "s" : "", c->t,
			 c->t > 1 ? "s" : "");
		now = procs_now();
		bench_progress("mpool_bench_procs", ci + 1, ncells, what,
			       now - t_start,
			       (now - t_start) / (ci + 1) * (ncells - ci - 1));
	}
	if (!failed) {
		print_header(base);
		printf("## Throughput\n\n");
		printf("| workload | threads per process | %s Mops/s (median) "
		       "| %s Mops/s (median) | ratio (median) | ratio "
		       "min-max |\n",
		       systems[0]->name, systems[1]->name);
		printf("|---|---:|---:|---:|---:|---:|\n");
		for (int ci = 0; ci < ncells; ci++) {
			struct cell *c = &cells[ci];
			double lo = c->ratio[0], hi = c->ratio[0];

			for (int r = 1; r < opt.runs; r++) {
				lo = c->ratio[r] < lo ? c->ratio[r] : lo;
				hi = c->ratio[r] > hi ? c->ratio[r] : hi;
			}
			printf("| %s %d proc%s | %d | %.3f | %.3f | %.2f | "
			       "%.2f-%.2f |\n",
			       workloads[c->w].name, c->p, c->p > 1 ? "s" : "",
			       c->t, median(c->mops[0], opt.runs),
			       median(c->mops[1], opt.runs),
			       median(c->ratio, opt.runs), lo, hi);
		}
		printf("\n## Minor page faults per process in the timed phase "
		       "(median)\n\n| workload | threads per process | %s | "
		       "%s |\n|---|---:|---:|---:|\n",
		       systems[0]->name, systems[1]->name);
		for (int ci = 0; ci < ncells; ci++) {
			struct cell *c = &cells[ci];

			printf("| %s %d proc%s | %d | %.0f | %.0f |\n",
			       workloads[c->w].name, c->p, c->p > 1 ? "s" : "",
			       c->t, median(c->minflt[0], opt.runs),
			       median(c->minflt[1], opt.runs));
		}
		fflush(stdout);
		if (opt.data != NULL && write_data(cells) != 0)
			failed = 1;
	}
cleanup:
	if (g_data[0] != '\0' && unlink(g_data) != 0 && errno != ENOENT) {
		fprintf(stderr, "mpool_bench_procs: unlink %s: %s\n", g_data,
			strerror(errno));
		failed = 1;
	}
	if (rmdir(g_top) != 0) {
		fprintf(stderr, "mpool_bench_procs: rmdir %s: %s\n", g_top,
			strerror(errno));
		failed = 1;
	}
	free(cells);
	if (g_signal)
		return 128 + g_signal;
	return failed ? 1 : 0;
}
