/*
 * bench_procs.c - the processes mode: lfmpool against Berkeley DB 5.3, each
 * a pool shared between processes (docs/benchmarks.md, "The processes
 * benchmark"). A measurement creates and preloads the pool, forks the
 * children (each joins, warms up, starts its crew and says so in its slot
 * of a shared area), starts them at once through the area's go word, sums
 * their ops / elapsed, checks that the miss count did not move and removes
 * the pool.
 */
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bench_driver.h"

#define MAX_PROCS 16
#define READY_S	  60 /* a child's open, warm-up and thread start */
#define SLACK_S	  60 /* beyond --seconds for a child's result */

/* A child's slot: it writes the fields, then `state` (release); the
 * parent reads `state` (acquire), then the fields. */
enum { S_NONE, S_READY, S_RESULT, S_ERROR };

struct slot {
	_Atomic int state;
	uint64_t ops;	 /* RESULT: gets (each with its put) in `secs` */
	uint64_t minflt; /* RESULT: minor page faults in the timed phase */
	double secs;
	char text[200]; /* ERROR: what went wrong */
};

/* An anonymous MAP_SHARED mapping, made before the first fork and reset
 * for each measurement. The parent stores go = 1 and wakes the children
 * waiting on it (a futex on shared memory: not FUTEX_PRIVATE). */
struct area {
	_Atomic int go;
	struct slot s[MAX_PROCS];
};

/* One measurement of one system. */
struct meas {
	const struct bench_sys *sys;
	struct workload wl; /* its range narrowed to the pages */
	int nprocs, nthreads, run;
	char home[PATH_MAX];
	bench_pool *bp;
	pid_t pids[MAX_PROCS]; /* 0: reaped */
	double mops;
	double minflt; /* minor faults per child in the timed phase */
	char err[512]; /* the first error */
};

static char g_top[PATH_MAX];  /* our temporary directory */
static char g_data[PATH_MAX]; /* the data file in it */
static size_t g_cache;	      /* cache bytes for both systems */
static struct area *g_area;
static struct meas g_ms; /* the measurement under way */
static volatile sig_atomic_t g_signal;

static void on_signal(int sig)
{
	g_signal = sig;
}

/* Keeps the first error of a measurement: -1. */
static int errf(struct meas *m, const char *fmt, ...)
{
	va_list ap;

	if (m->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(m->err, sizeof(m->err), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static long minflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

static void futex(_Atomic int *word, int op, int val)
{
	(void)syscall(SYS_futex, word, op, val, NULL, NULL, 0);
}

/* Child i: joins, warms up, starts its crew, READY, waits for go, times,
 * then RESULT (exit 0) or ERROR (exit 1) in its slot. */
static _Noreturn void child_main(const struct meas *ms, int i)
{
	struct crew c = {
	    .sys = ms->sys, .wl = ms->wl, .nthreads = ms->nthreads};
	struct slot *sl = &g_area->s[i];
	const uint64_t seed =
	    ((uint64_t)ms->run << 32) ^ ((uint64_t)i << 16) ^ 0x5eed;
	uint64_t seeds[MAX_LIST];
	struct fault f = {.op = "join"};
	long f0;
	int ret;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	f.err = c.sys->open(ms->home, g_data, g_cache, BENCH_JOIN, &c.bp);
	if (f.err == 0 && !opt.cold)
		bench_warm(c.sys, c.bp, c.wl.range, &f);
	if (bench_fault_text(c.sys, &f, opt.cold ? "join" : "join, warm-up",
			     sl->text, sizeof(sl->text))) {
		atomic_store(&sl->state, S_ERROR);
		_exit(1);
	}
	for (int k = 0; k < c.nthreads; k++)
		seeds[k] = seed + (uint64_t)k;
	crew_start(&c, seeds);
	atomic_store(&sl->state, S_READY);
	while (atomic_load(&g_area->go) == 0)
		futex(&g_area->go, FUTEX_WAIT, 0);
	f0 = minflt();
	crew_time(&c, opt.seconds);
	sl->secs = c.secs;
	sl->minflt = (uint64_t)(minflt() - f0);
	ret = 0;
	for (int k = 0; k < c.nthreads && ret == 0; k++) {
		sl->ops += c.w[k].ops;
		ret = bench_fault_text(c.sys, &c.w[k].f, "timed phase",
				       sl->text, sizeof(sl->text));
	}
	f = (struct fault){.op = "close", .err = c.sys->close(c.bp)};
	if (ret == 0)
		ret = bench_fault_text(c.sys, &f, "close", sl->text,
				       sizeof(sl->text));
	atomic_store(&sl->state, ret == 0 ? S_RESULT : S_ERROR);
	_exit(ret == 0 ? 0 : 1);
}

/* Waits until every child's slot says `want`, checking every millisecond
 * for an error, an early exit, a signal or the timeout: 0, or -1. */
static int wait_slots(struct meas *ms, int want, double timeout)
{
	const struct timespec nap = {0, 1000000};
	const double deadline = bench_now() + timeout;

	for (;;) {
		int n = 0;

		for (int i = 0; i < ms->nprocs; i++) {
			struct slot *sl = &g_area->s[i];
			int st = atomic_load(&sl->state);

			if (st == S_ERROR) {
				sl->text[sizeof(sl->text) - 1] = '\0';
				return errf(ms, "child %d: %s", i, sl->text);
			}
			n += st == want;
			if (st != want && ms->pids[i] > 0 &&
			    waitpid(ms->pids[i], &st, WNOHANG) == ms->pids[i]) {
				ms->pids[i] = 0;
				return errf(ms,
					    "child %d exited without "
					    "reporting (status %#x)",
					    i, st);
			}
		}
		if (n == ms->nprocs)
			return 0;
		if (g_signal)
			return errf(ms, "interrupted by signal %d",
				    (int)g_signal);
		if (bench_now() > deadline)
			return errf(ms, "no word from a child in %.0f s",
				    timeout);
		nanosleep(&nap, NULL);
	}
}

/* The pool created and preloaded: 0, or -1. */
static int create(struct meas *ms, uint64_t *miss0)
{
	struct bench_stats st;
	struct fault f = {.op = "create"};
	char text[200];
	int ret;

	if ((f.err = ms->sys->open(ms->home, g_data, g_cache, BENCH_CREATE,
				   &ms->bp)) != 0)
		ms->bp = NULL;
	else
		bench_warm(ms->sys, ms->bp, opt.pages, &f);
	if (bench_fault_text(ms->sys, &f, "create, preload", text,
			     sizeof(text)))
		return errf(ms, "%s", text);
	if ((ret = ms->sys->stats(ms->bp, &st)) != 0)
		return errf(ms, "stat: %s (%d)", ms->sys->strerror(ret), ret);
	*miss0 = st.misses;
	if (st.pages_held < opt.pages)
		return errf(ms, "only %llu of %u pages held after preload",
			    (unsigned long long)st.pages_held, opt.pages);
	return 0;
}

/* Forks the children, lets them go when all are ready, collects and reaps
 * them: 0, or -1. The parent sleeps through the timed phase, so it takes
 * no CPU from them. */
static int spawn_gather(struct meas *ms)
{
	const struct timespec timed = {
	    (time_t)opt.seconds,
	    (long)((opt.seconds - (double)(time_t)opt.seconds) * 1e9)};
	int st;

	memset(g_area, 0, sizeof(*g_area));
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < ms->nprocs; i++) {
		if ((ms->pids[i] = fork()) < 0) {
			ms->pids[i] = 0;
			return errf(ms, "fork: %s", strerror(errno));
		}
		if (ms->pids[i] == 0)
			child_main(ms, i);
	}
	if (wait_slots(ms, S_READY, READY_S) != 0)
		return -1;
	atomic_store(&g_area->go, 1);
	futex(&g_area->go, FUTEX_WAKE, INT_MAX);
	nanosleep(&timed, NULL);
	if (wait_slots(ms, S_RESULT, SLACK_S) != 0)
		return -1;
	for (int i = 0; i < ms->nprocs; i++) {
		const struct slot *sl = &g_area->s[i];

		if (sl->secs <= 0)
			return errf(ms, "child %d: no time measured", i);
		ms->mops += (double)sl->ops / sl->secs / 1e6;
		ms->minflt += (double)sl->minflt / ms->nprocs;
		if (waitpid(ms->pids[i], &st, 0) != ms->pids[i])
			return errf(ms, "waitpid: %s", strerror(errno));
		ms->pids[i] = 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return errf(ms, "child %d: exit status %#x", i, st);
	}
	return 0;
}

/* Stops what is left of a failed measurement and removes the pool. */
static void cleanup(struct meas *ms)
{
	int abandon = 0, ret;

	for (int i = 0; i < MAX_PROCS; i++)
		if (ms->pids[i] > 0) { /* failed: its pool is suspect */
			(void)kill(ms->pids[i], SIGKILL);
			(void)waitpid(ms->pids[i], NULL, 0);
			abandon = 1;
		}
	/* A killed child may hold a BDB region mutex: then closing could
	 * hang, so the handle is left to process exit. */
	if (ms->bp != NULL && !abandon && (ret = ms->sys->close(ms->bp)) != 0)
		errf(ms, "close: %s (%d)", ms->sys->strerror(ret), ret);
	if ((ret = ms->sys->remove(ms->home)) != 0)
		errf(ms, "remove pool: %s (%d)", ms->sys->strerror(ret), ret);
	if (rmdir(ms->home) != 0)
		errf(ms, "rmdir %s: %s", ms->home, strerror(errno));
}

/* System s in run r of cell (w, t) (P processes of T threads, see
 * res_at): 0, or -1 after a message. */
static int measure_one(int w, int t, int r, int s)
{
	struct meas *ms = &g_ms;
	struct run_result *rr = res_at(w, t, s, r);
	struct bench_stats st;
	uint64_t miss0 = 0;
	int ret;

	*ms = (struct meas){.sys = systems[s],
			    .wl = workloads[w],
			    .nprocs = opt.procs[t / opt.nthreads],
			    .nthreads = opt.threads[t % opt.nthreads],
			    .run = r};
	if (ms->wl.range > opt.pages)
		ms->wl.range = opt.pages;
	if ((size_t)snprintf(ms->home, sizeof(ms->home), "%s/pool.XXXXXX",
			     g_top) >= sizeof(ms->home) ||
	    mkdtemp(ms->home) == NULL) {
		errf(ms, "mkdtemp %s: %s", ms->home, strerror(errno));
	} else {
		if (create(ms, &miss0) == 0 && spawn_gather(ms) == 0) {
			if ((ret = ms->sys->stats(ms->bp, &st)) != 0)
				errf(ms, "stat: %s (%d)",
				     ms->sys->strerror(ret), ret);
			else if (st.misses != miss0)
				errf(ms, "%llu misses in the timed phase",
				     (unsigned long long)(st.misses - miss0));
		}
		cleanup(ms);
	}
	if ((ret = ms->err[0] != '\0' ? -1 : 0) != 0)
		fprintf(stderr,
			"mpool_bench_procs: FAILED: %s, %s, %d procs x %d "
			"threads, run %d: %s\n",
			ms->sys->name, ms->wl.name, ms->nprocs, ms->nthreads,
			r + 1, ms->err);
	rr->done = ret == 0;
	rr->ops_per_sec = ms->mops * 1e6;
	rr->minflt = ms->minflt;
	return ret;
}

/* tmpfs first: the kernel never writes the shared region files back (a
 * disk would, at random, for both systems). */
static const char *base_dir(void)
{
	struct stat st;
	const char *t = getenv("TMPDIR");

	if (opt.dir != NULL)
		return opt.dir;
	if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
	    access("/dev/shm", W_OK | X_OK) == 0)
		return "/dev/shm";
	return t != NULL && t[0] != '\0' ? t : "/tmp";
}

int procs_main(void)
{
	const char *base = base_dir();
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
	int failed;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	g_area = mmap(NULL, sizeof(*g_area), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g_area == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	results_alloc();
	print_header(); /* the date and machine only */
	g_cache = (size_t)opt.pages * BENCH_PAGE_SIZE / 4 * 5;
	bench_mkdtemp(g_top, sizeof(g_top), base, "mpool-procs.XXXXXX");
	if ((size_t)snprintf(g_data, sizeof(g_data), "%s/data.db", g_top) >=
	    sizeof(g_data))
		die("%s: name too long", g_top);
	bench_make_file(g_data, BENCH_PAGE_SIZE, opt.pages);
	failed = run_cells(measure_one) != 0;
	if (!failed) {
		print_procs_report(g_cache, base);
		if (opt.data_path != NULL)
			write_data(opt.data_path);
	}
	if ((unlink(g_data) != 0 && errno != ENOENT) || rmdir(g_top) != 0) {
		fprintf(stderr, "mpool_bench_procs: removing %s: %s\n", g_top,
			strerror(errno));
		failed = 1;
	}
	return g_signal ? 128 + g_signal : failed;
}
