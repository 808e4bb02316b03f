/*
 * bench_run.c - a timed period over one open pool (see bench_run.h). Every
 * page returned is checked: offset 0 holds its page number.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_dist.h"
#include "bench_run.h"

/* A data file of `bytes4k` * BENCH_PAGE_SIZE bytes in pages of `pagesize`
 * bytes, each holding its page number at offset 0. */
void bench_make_file(const char *path, uint32_t pagesize, uint32_t bytes4k)
{
	static unsigned char buf[64 * BENCH_PAGE_SIZE];
	const uint32_t per = (uint32_t)sizeof(buf) / pagesize;
	const uint32_t pages = bytes4k / (pagesize / BENCH_PAGE_SIZE);
	int fd;

	if ((fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644)) < 0)
		die("create %s: %s", path, strerror(errno));
	for (uint32_t pg = 0; pg < pages; pg += per) {
		size_t n =
		    (size_t)(pages - pg < per ? pages - pg : per) * pagesize;

		for (uint32_t k = 0; k < per; k++) {
			unsigned char *p = buf + k * pagesize;
			uint32_t pgno = pg + k;

			memset(p, (int)(pgno & 0xff), pagesize);
			memcpy(p, &pgno, sizeof(pgno));
		}
		if (pwrite(fd, buf, n, (off_t)pg * pagesize) != (ssize_t)n)
			die("write %s: %s", path, strerror(errno));
	}
	if (close(fd) != 0)
		die("close %s: %s", path, strerror(errno));
}

static void fault_call(struct fault *f, int err, const char *op, uint32_t pg)
{
	f->err = err;
	f->op = op;
	f->pgno = pg;
}

static void fault_page(struct fault *f, uint32_t want, uint32_t got)
{
	if (f->wrong++ == 0) {
		f->want = want;
		f->got = got;
	}
}

int bench_warm(const struct bench_sys *sys, bench_pool *bp, uint32_t pages,
	       struct fault *f)
{
	for (uint32_t pg = 0; pg < pages; pg++) {
		void *page;
		uint32_t got;
		int ret;

		if ((ret = sys->get(bp, pg, 0, &page)) != 0) {
			fault_call(f, ret, "get", pg);
			return ret;
		}
		f->checked++;
		memcpy(&got, page, sizeof(got));
		if (got != pg)
			fault_page(f, pg, got);
		if ((ret = sys->put(bp, page, 0)) != 0) {
			fault_call(f, ret, "put", pg);
			return ret;
		}
	}
	return 0;
}

/* The op loop; `timed` is a constant in each of its two instances, so the
 * untimed workloads run exactly the loop they always ran. */
static inline __attribute__((always_inline)) void worker_loop(struct worker *w,
							      const int timed)
{
	struct crew *c = w->crew;
	const struct bench_sys *sys = c->sys;
	const struct workload *wl = &c->wl;
	bench_pool *bp = c->bp;
	struct lat_hist *lat = w->lat;
	const uint32_t every = wl->dirty_every;
	uint32_t k = 0;
	uint64_t ops = 0, t0 = 0;
	struct rng r;

	rng_seed(&r, w->seed);
	pthread_barrier_wait(&c->start);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		uint32_t pg = next_page(&r, wl), got;
		int dirty = 0, ret;
		void *page;

		if (every != 0 && ++k == every) {
			k = 0;
			dirty = 1;
		}
		if (timed)
			t0 = lat_now_ns();
		ret = sys->get(bp, pg, dirty, &page);
		if (timed)
			lat_record(lat, lat_now_ns() - t0);
		if (ret != 0) {
			fault_call(&w->f, ret, "get", pg);
			break;
		}
		memcpy(&got, page, sizeof(got));
		if (got != pg)
			fault_page(&w->f, pg, got);
		if (dirty) /* one byte, away from the page number */
			__atomic_store_n((unsigned char *)page + 64 +
					     (ops & 63),
					 (unsigned char)ops, __ATOMIC_RELAXED);
		ops++; /* the get was done and checked */
		if ((ret = sys->put(bp, page, dirty)) != 0) {
			fault_call(&w->f, ret, "put", pg);
			break;
		}
	}
	w->ops = ops;
	w->f.checked = ops;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	if (w->lat != NULL)
		worker_loop(w, 1);
	else
		worker_loop(w, 0);
	return NULL;
}

/*
 * The peer's way to get clean victims (WB_ON on a system without
 * flushers): one more thread calling trickle(--trickle-pct), then sleeping
 * --trickle-pause-us, until the timed period ends.
 */
static void *trickle_main(void *arg)
{
	struct crew *c = arg;
	const struct timespec pause = {
	    .tv_sec = opt.trickle_pause_us / 1000000,
	    .tv_nsec = (long)(opt.trickle_pause_us % 1000000) * 1000,
	};

	pthread_barrier_wait(&c->start);
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
		int nwrote = 0, ret;

		if ((ret = c->sys->trickle(c->bp, opt.trickle_pct, &nwrote)) !=
		    0) {
			c->trickle_err = ret;
			break;
		}
		c->trickle_calls++;
		c->trickle_pages += (uint64_t)(nwrote > 0 ? nwrote : 0);
		if (opt.trickle_pause_us > 0)
			nanosleep(&pause, NULL);
	}
	return NULL;
}

static void spawn(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	int ret = pthread_create(tid, NULL, fn, arg);

	if (ret != 0)
		die("pthread_create: %s", strerror(ret));
}

void crew_start(struct crew *c, const uint64_t *seeds)
{
	size_t bytes = sizeof(*c->w) * (size_t)c->nthreads;
	int ret;

	if ((c->w = aligned_alloc(128, bytes)) == NULL)
		die("out of memory");
	memset(c->w, 0, bytes);
	atomic_store(&c->stop, 0);
	c->trickle_calls = c->trickle_pages = 0;
	c->trickle_err = 0;
	if ((ret = pthread_barrier_init(
		 &c->start, NULL,
		 (unsigned)(c->nthreads + 1 + c->trickling))) != 0)
		die("pthread_barrier_init: %s", strerror(ret));
	if (c->trickling)
		spawn(&c->trickle_tid, trickle_main, c);
	for (int i = 0; i < c->nthreads; i++) {
		c->w[i].crew = c;
		c->w[i].seed = seeds[i];
		if (c->wl.timed &&
		    (c->w[i].lat = calloc(1, sizeof(struct lat_hist))) == NULL)
			die("out of memory");
		spawn(&c->w[i].tid, worker_main, &c->w[i]);
	}
}

static double ts_sec(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec * 1e-9;
}

void crew_time(struct crew *c, double seconds)
{
	struct timespec t0, t1, until;

	pthread_barrier_wait(&c->start);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	until = t0;
	until.tv_sec += (time_t)seconds;
	until.tv_nsec += (long)((seconds - floor(seconds)) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) ==
	       EINTR)
		;
	atomic_store(&c->stop, 1);
	for (int i = 0; i < c->nthreads; i++)
		pthread_join(c->w[i].tid, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (c->trickling)
		pthread_join(c->trickle_tid, NULL);
	pthread_barrier_destroy(&c->start);
	c->secs = ts_sec(&t1) - ts_sec(&t0);
}

struct lat_hist *crew_free(struct crew *c)
{
	struct lat_hist *lat = NULL;

	if (c->wl.timed && (lat = calloc(1, sizeof(*lat))) == NULL)
		die("out of memory");
	for (int i = 0; i < c->nthreads; i++)
		if (c->w[i].lat != NULL) {
			lat_merge(lat, c->w[i].lat);
			free(c->w[i].lat);
		}
	free(c->w);
	c->w = NULL;
	return lat;
}
