/*
 * bench_procs_child.c - one worker process of the multi-process benchmark
 * (bench_procs.c forks it): its own handle on the shared pool, a warm-up
 * pass, its threads, one result through its pipe.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_procs.h"
#include "bench_rng.h"

/* Uniform in [0, n): the high 32 bits scaled (Lemire, no division). */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

double procs_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------------ */
/* The threads.                                                        */

struct child {
	const struct procs_sys *sys;
	procs_pool *pp;
	uint32_t range;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int state; /* 0: wait, 1: run, -1: give up (under lock) */
	atomic_int stop;
};

struct worker {
	_Alignas(64) pthread_t tid;
	struct child *c;
	uint64_t seed;
	uint64_t ops;
	uint32_t bad_pgno; /* first page whose number was wrong */
	int bad;
	int err; /* first get/put error */
	uint32_t err_pgno;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct child *c = w->c;
	const struct procs_sys *sys = c->sys;
	struct rng r;
	uint64_t ops = 0;
	int state;

	rng_seed(&r, w->seed);
	pthread_mutex_lock(&c->lock);
	while ((state = c->state) == 0)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	if (state < 0)
		return NULL;
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		uint32_t pg = rng_below(&r, c->range);
		void *page;
		int ret;

		if ((ret = sys->get(c->pp, pg, &page)) != 0) {
			w->err = ret;
			w->err_pgno = pg;
			break;
		}
		if (*(volatile uint32_t *)page != pg && !w->bad++)
			w->bad_pgno = pg;
		if ((ret = sys->put(c->pp, page)) != 0) {
			w->err = ret;
			w->err_pgno = pg;
			break;
		}
		ops++;
	}
	w->ops = ops;
	return NULL;
}

static void set_state(struct child *c, int state)
{
	pthread_mutex_lock(&c->lock);
	c->state = state;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

static int send_msg(int fd, const struct procs_msg *m)
{
	ssize_t n;

	do
		n = write(fd, m, sizeof(*m));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

/* Maps this process's view of the pages it will use: one get/put of each
 * page in [0, range), in order, every page checked. */
static int warm_up(struct child *c, struct procs_msg *m)
{
	for (uint32_t pg = 0; pg < c->range; pg++) {
		void *page;
		int ret;

		if ((ret = c->sys->get(c->pp, pg, &page)) != 0) {
			snprintf(m->text, sizeof(m->text),
				 "warm-up page %u: %s", pg,
				 c->sys->strerror(ret));
			return -1;
		}
		if (*(volatile uint32_t *)page != pg) {
			snprintf(m->text, sizeof(m->text),
				 "warm-up page %u: wrong page", pg);
			(void)c->sys->put(c->pp, page);
			return -1;
		}
		if ((ret = c->sys->put(c->pp, page)) != 0) {
			snprintf(m->text, sizeof(m->text), "warm-up put %u: %s",
				 pg, c->sys->strerror(ret));
			return -1;
		}
	}
	return 0;
}

static long minflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

void procs_child_main(const struct procs_child_args *a)
{
	static struct worker w[PROCS_MAX_THREADS];
	struct child c = {.sys = a->sys, .range = a->range};
	struct procs_msg m;
	double t0, t1;
	long f0;
	int ret, n = 0, status = 1;
	char b;
	ssize_t got;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	memset(&m, 0, sizeof(m));
	m.kind = PROCS_MSG_ERROR;
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.cond, NULL);
	atomic_init(&c.stop, 0);
	if ((ret = a->sys->join(a->home, a->path, a->cache_bytes, &c.pp)) !=
	    0) {
		snprintf(m.text, sizeof(m.text), "join: %s (%d)",
			 a->sys->strerror(ret), ret);
		goto out;
	}
	if (a->warm && warm_up(&c, &m) != 0)
		goto out;
	for (n = 0; n < a->nthreads; n++) {
		memset(&w[n], 0, sizeof(w[n]));
		w[n].c = &c;
		w[n].seed = a->seed + (uint64_t)n;
		if ((ret = pthread_create(&w[n].tid, NULL, worker_main,
					  &w[n])) != 0) {
			snprintf(m.text, sizeof(m.text), "pthread_create: %s",
				 strerror(ret));
			set_state(&c, -1);
			goto out;
		}
	}
	m.kind = PROCS_MSG_READY;
	if (send_msg(a->out_fd, &m) != 0) {
		set_state(&c, -1);
		goto out;
	}
	m.kind = PROCS_MSG_ERROR;
	do
		got = read(a->go_fd, &b, 1);
	while (got < 0 && errno == EINTR);
	if (got != 0) { /* the parent only ever closes it */
		snprintf(m.text, sizeof(m.text), "bad start signal");
		set_state(&c, -1);
		goto out;
	}
	f0 = minflt();
	set_state(&c, 1);
	t0 = procs_now();
	{
		struct timespec ts;

		ts.tv_sec = (time_t)a->seconds;
		ts.tv_nsec = (long)((a->seconds - (double)ts.tv_sec) * 1e9);
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	atomic_store_explicit(&c.stop, 1, memory_order_relaxed);
	for (int i = 0; i < n; i++)
		pthread_join(w[i].tid, NULL);
	t1 = procs_now();
	n = 0;
	m.secs = t1 - t0;
	m.minflt = (uint64_t)(minflt() - f0);
	for (int i = 0; i < a->nthreads; i++) {
		m.ops += w[i].ops;
		if (w[i].err != 0) {
			snprintf(m.text, sizeof(m.text),
				 "page %u: get/put: %s (%d)", w[i].err_pgno,
				 a->sys->strerror(w[i].err), w[i].err);
			goto out;
		}
		if (w[i].bad != 0) {
			snprintf(m.text, sizeof(m.text),
				 "%d wrong pages, first %u", w[i].bad,
				 w[i].bad_pgno);
			goto out;
		}
	}
	m.kind = PROCS_MSG_RESULT;
	status = 0;
out:
	for (int i = 0; i < n; i++)
		pthread_join(w[i].tid, NULL);
	if (c.pp != NULL && (ret = a->sys->close(c.pp)) != 0 && status == 0) {
		m.kind = PROCS_MSG_ERROR;
		snprintf(m.text, sizeof(m.text), "close: %s (%d)",
			 a->sys->strerror(ret), ret);
		status = 1;
	}
	(void)send_msg(a->out_fd, &m);
	_exit(status);
}
