/*
 * bench_procs.c - the processes mode: lfmpool against Berkeley DB 5.3, each
 * a pool shared between processes (docs/benchmarks.md, "The processes
 * benchmark"). A measurement creates and preloads the pool, forks the
 * children (each joins, warms up and starts its crew), starts them all at
 * once by closing the "go" pipe, sums their ops / elapsed, checks that the
 * pool-wide miss count did not move and removes the pool.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_driver.h"

#define MAX_PROCS 16
#define READY_MS  60000 /* a child's open and thread start */
#define SLACK_MS  60000 /* beyond --seconds for a child's result */

/* A child's messages, all children on one pipe: one write of at most
 * PIPE_BUF bytes each, so they never interleave. */
enum { MSG_READY = 1, MSG_RESULT, MSG_ERROR };

struct msg {
	int kind, child;
	uint64_t ops;	 /* RESULT: gets (each with its put) in `secs` */
	uint64_t minflt; /* RESULT: minor page faults in the timed phase */
	double secs;
	char text[200]; /* ERROR: what went wrong */
};

/* One measurement of one system. */
struct meas {
	const struct bench_sys *sys;
	struct workload wl; /* its range narrowed to the pages */
	int nprocs, nthreads, run;
	char home[PATH_MAX];
	bench_pool *bp;
	pid_t pids[MAX_PROCS];
	int up[2], go[2]; /* the children's messages; their start */
	double mops;
	uint64_t misses; /* misses during the timed phase (must be 0) */
	double minflt;	 /* minor faults per child in the timed phase */
	char err[512];	 /* the first error */
};

static char g_top[PATH_MAX];  /* our temporary directory */
static char g_data[PATH_MAX]; /* the data file in it */
static size_t g_cache;	      /* cache bytes for both systems */
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

/* "<what>: <the fault>" into m->text: -1; 0 if f holds none. */
static int fault_msg(struct msg *m, const struct bench_sys *sys,
		     const char *what, const struct fault *f)
{
	char text[sizeof(m->text) - 32];

	if (f->err == 0 && f->wrong == 0)
		return 0;
	bench_fault_text(sys, f, text, sizeof(text));
	snprintf(m->text, sizeof(m->text), "%s: %s", what, text);
	return -1;
}

static int send_msg(int fd, const struct msg *m)
{
	ssize_t n;

	do
		n = write(fd, m, sizeof(*m));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

static long minflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

/* Joins, warms up, starts the crew, says READY and waits for the go
 * pipe's end of file (the parent only ever closes it): 0, or -1 with the
 * reason in m->text. */
static int child_ready(const struct meas *ms, struct crew *c, int i,
		       struct msg *m)
{
	const uint64_t seed =
	    ((uint64_t)ms->run << 32) ^ ((uint64_t)i << 16) ^ 0x5eed;
	uint64_t seeds[MAX_LIST];
	struct fault f = {.op = "join"};
	ssize_t got;
	char b;

	f.err = c->sys->open(ms->home, g_data, g_cache, BENCH_JOIN, &c->bp);
	if (f.err == 0 && !opt.cold)
		bench_warm(c->sys, c->bp, c->wl.range, &f);
	if (fault_msg(m, c->sys, opt.cold ? "join" : "join, warm-up", &f))
		return -1;
	for (int k = 0; k < c->nthreads; k++)
		seeds[k] = seed + (uint64_t)k;
	crew_start(c, seeds);
	m->kind = MSG_READY;
	if (send_msg(ms->up[1], m) != 0)
		return -1;
	m->kind = MSG_ERROR;
	do
		got = read(ms->go[0], &b, 1);
	while (got < 0 && errno == EINTR);
	if (got != 0)
		snprintf(m->text, sizeof(m->text), "bad start signal");
	return got == 0 ? 0 : -1;
}

/* Child i: sends READY, then RESULT or ERROR, and _exits: 0 after a
 * RESULT, 1 otherwise (its threads, if waiting, die with it). */
static _Noreturn void child_main(const struct meas *ms, int i)
{
	struct crew c = {
	    .sys = ms->sys, .wl = ms->wl, .nthreads = ms->nthreads};
	struct msg m = {.kind = MSG_ERROR, .child = i};
	struct fault f = {.op = "close"};
	long f0;
	int ret = 0;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (child_ready(ms, &c, i, &m) != 0) {
		(void)send_msg(ms->up[1], &m);
		_exit(1);
	}
	f0 = minflt();
	crew_time(&c, opt.seconds);
	m.secs = c.secs;
	m.minflt = (uint64_t)(minflt() - f0);
	for (int k = 0; k < c.nthreads && ret == 0; k++) {
		m.ops += c.w[k].ops;
		ret = fault_msg(&m, c.sys, "timed phase", &c.w[k].f);
	}
	f.err = c.sys->close(c.bp);
	if (ret == 0)
		ret = fault_msg(&m, c.sys, "close", &f);
	m.kind = ret == 0 ? MSG_RESULT : MSG_ERROR;
	(void)send_msg(ms->up[1], &m);
	_exit(ret == 0 ? 0 : 1);
}

/* 0, or -1 with the reason in ms->err: timeout, end of file (the child
 * died), or a signal to us. */
static int recv_msg(struct meas *ms, struct msg *m, int timeout_ms)
{
	double deadline = bench_now() + timeout_ms / 1e3;
	struct pollfd p = {.fd = ms->up[0], .events = POLLIN};
	ssize_t n;
	int r = 0;

	while (r <= 0) {
		int left = (int)((deadline - bench_now()) * 1e3);

		if (g_signal)
			return errf(ms, "interrupted by signal %d",
				    (int)g_signal);
		if (left <= 0)
			return errf(ms, "no word from a child in %d s",
				    timeout_ms / 1000);
		if ((r = poll(&p, 1, left)) < 0 && errno != EINTR)
			return errf(ms, "poll: %s", strerror(errno));
	}
	do
		n = read(ms->up[0], m, sizeof(*m));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(*m))
		return errf(ms, "a child exited without reporting");
	m->text[sizeof(m->text) - 1] = '\0';
	return 0;
}

/* The pool created and preloaded: 0, or -1. */
static int create(struct meas *ms, uint64_t *miss0)
{
	struct bench_stats st;
	struct fault f = {.op = "create"};
	struct msg m;
	int ret;

	if ((f.err = ms->sys->open(ms->home, g_data, g_cache, BENCH_CREATE,
				   &ms->bp)) != 0)
		ms->bp = NULL;
	else
		bench_warm(ms->sys, ms->bp, opt.pages, &f);
	if (fault_msg(&m, ms->sys, "create, preload", &f))
		return errf(ms, "%s", m.text);
	if ((ret = ms->sys->stats(ms->bp, &st)) != 0)
		return errf(ms, "stat: %s (%d)", ms->sys->strerror(ret), ret);
	*miss0 = st.misses;
	if (st.pages_held < opt.pages)
		return errf(ms, "only %llu of %u pages held after preload",
			    (unsigned long long)st.pages_held, opt.pages);
	return 0;
}

/* Forks the children: 0, or -1. */
static int spawn(struct meas *ms)
{
	if (pipe(ms->up) != 0 || pipe(ms->go) != 0)
		return errf(ms, "pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	for (int i = 0; i < ms->nprocs; i++) {
		if ((ms->pids[i] = fork()) < 0) {
			ms->pids[i] = 0;
			return errf(ms, "fork: %s", strerror(errno));
		}
		if (ms->pids[i] == 0) {
			close(ms->up[0]);
			close(ms->go[1]);
			child_main(ms, i);
		}
	}
	close(ms->up[1]);
	close(ms->go[0]);
	ms->up[1] = ms->go[0] = -1;
	return 0;
}

/* Every child ready, then go (closing the pipe starts them all at once),
 * then every result, then every child exited 0: 0, or -1. */
static int gather(struct meas *ms)
{
	const int timeout = (int)(opt.seconds * 1e3) + SLACK_MS;
	struct msg m;
	int st;

	for (int i = 0; i < 2 * ms->nprocs; i++) {
		const int result = i >= ms->nprocs;

		if (i == ms->nprocs) {
			close(ms->go[1]);
			ms->go[1] = -1;
		}
		if (recv_msg(ms, &m, result ? timeout : READY_MS) != 0)
			return -1;
		if (m.kind != (result ? MSG_RESULT : MSG_READY) ||
		    (result && m.secs <= 0))
			return errf(ms, "child %d: %s", m.child, m.text);
		ms->mops += result ? (double)m.ops / m.secs / 1e6 : 0;
		ms->minflt += result ? (double)m.minflt / ms->nprocs : 0;
	}
	for (int i = 0; i < ms->nprocs; i++) {
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

	for (int i = 0; i < MAX_PROCS; i++) {
		if (ms->pids[i] > 0) { /* failed: its pool is suspect */
			(void)kill(ms->pids[i], SIGKILL);
			(void)waitpid(ms->pids[i], NULL, 0);
			abandon = 1;
		}
	}
	for (int k = 0; k < 2; k++) {
		if (ms->up[k] >= 0)
			close(ms->up[k]);
		if (ms->go[k] >= 0)
			close(ms->go[k]);
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

static int measure(struct meas *ms)
{
	struct bench_stats st;
	uint64_t miss0 = 0;
	int ret;

	ms->up[0] = ms->up[1] = ms->go[0] = ms->go[1] = -1;
	if ((size_t)snprintf(ms->home, sizeof(ms->home), "%s/pool.XXXXXX",
			     g_top) >= sizeof(ms->home) ||
	    mkdtemp(ms->home) == NULL)
		return errf(ms, "mkdtemp %s: %s", ms->home, strerror(errno));
	if (create(ms, &miss0) == 0 && spawn(ms) == 0 && gather(ms) == 0) {
		if ((ret = ms->sys->stats(ms->bp, &st)) != 0)
			errf(ms, "stat: %s (%d)", ms->sys->strerror(ret), ret);
		ms->misses = st.misses - miss0;
	}
	cleanup(ms);
	return ms->err[0] != '\0' ? -1 : 0;
}

/* System s in run r of cell c: 0, or -1 after a message. */
static int measure_one(struct procs_cell *c, int r, int s)
{
	struct meas *ms = calloc(1, sizeof(*ms));
	int ret = -1;

	if (ms == NULL)
		die("out of memory");
	*ms = (struct meas){.sys = systems[s],
			    .wl = workloads[c->w],
			    .nprocs = c->p,
			    .nthreads = c->t,
			    .run = r};
	if (ms->wl.range > opt.pages)
		ms->wl.range = opt.pages;
	if (measure(ms) != 0)
		fprintf(stderr,
			"mpool_bench_procs: FAILED: %s, %s, %d procs x %d "
			"threads, run %d: %s\n",
			ms->sys->name, ms->wl.name, c->p, c->t, r + 1, ms->err);
	else if (ms->misses != 0)
		fprintf(stderr,
			"mpool_bench_procs: FAILED: %s, %s: %llu misses in "
			"the timed phase\n",
			ms->sys->name, ms->wl.name,
			(unsigned long long)ms->misses);
	else
		ret = 0;
	c->mops[s][r] = ms->mops;
	c->minflt[s][r] = ms->minflt;
	free(ms);
	return ret;
}

/* Every cell (workload, processes, threads), each run both systems, the
 * first alternating: 0, or -1 at the first failure. Every cell costs the
 * same: the time left is the time per cell so far times the cells to go. */
static int run_cells(struct procs_cell *cells, int ncells, double t_start)
{
	char what[128];

	for (int ci = 0; ci < ncells; ci++) {
		struct procs_cell *c = &cells[ci];
		double now;

		for (int r = 0; r < opt.runs; r++) {
			for (int k = 0; k < 2; k++)
				if (measure_one(c, r, r % 2 ? 1 - k : k) != 0)
					return -1;
			c->ratio[r] = c->mops[1][r] > 0
					  ? c->mops[0][r] / c->mops[1][r]
					  : 0;
			fprintf(stderr,
				"%s, %d procs x %d threads, run %d/%d: %s "
				"%.3f, %s %.3f Mops/s (minor faults per "
				"process %.0f, %.0f)\n",
				workloads[c->w].name, c->p, c->t, r + 1,
				opt.runs, systems[0]->name, c->mops[0][r],
				systems[1]->name, c->mops[1][r],
				c->minflt[0][r], c->minflt[1][r]);
		}
		snprintf(what, sizeof(what), "%s, %d proc%s x %d thread%s",
			 workloads[c->w].name, c->p, c->p > 1 ? "s" : "", c->t,
			 c->t > 1 ? "s" : "");
		now = bench_now();
		bench_progress(ci + 1, ncells, what, now - t_start,
			       (now - t_start) / (ci + 1) * (ncells - ci - 1));
	}
	return 0;
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
	struct procs_cell *cells;
	const char *base = base_dir();
	double t_start = bench_now();
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
	int ncells = 0, failed;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if ((cells = calloc((size_t)NWORKLOADS * (size_t)opt.nprocs *
				(size_t)opt.nthreads,
			    sizeof(*cells))) == NULL)
		die("out of memory");
	for (int w = 0; w < NWORKLOADS; w++)
		for (int p = 0; p < opt.nprocs && opt.wl_on[w]; p++)
			for (int t = 0; t < opt.nthreads; t++)
				cells[ncells++] =
				    (struct procs_cell){.w = w,
							.p = opt.procs[p],
							.t = opt.threads[t]};
	print_header(); /* the date and machine only */
	g_cache = (size_t)opt.pages * BENCH_PAGE_SIZE / 4 * 5;
	bench_mkdtemp(g_top, sizeof(g_top), base, "mpool-procs.XXXXXX");
	if ((size_t)snprintf(g_data, sizeof(g_data), "%s/data.db", g_top) >=
	    sizeof(g_data))
		die("%s: name too long", g_top);
	bench_make_file(g_data, BENCH_PAGE_SIZE, opt.pages);
	failed = run_cells(cells, ncells, t_start) != 0;
	if (!failed) {
		print_procs_report(cells, ncells, g_cache, base);
		if (opt.data_path != NULL)
			write_procs_data(opt.data_path, cells, ncells);
	}
	if ((unlink(g_data) != 0 && errno != ENOENT) || rmdir(g_top) != 0) {
		fprintf(stderr, "mpool_bench_procs: removing %s: %s\n", g_top,
			strerror(errno));
		failed = 1;
	}
	free(cells);
	return g_signal ? 128 + g_signal : failed;
}
