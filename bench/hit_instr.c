/*
 * hit_instr.c - a fixed number of memp_fget + read + memp_fput hits on a
 * private pool, for counting the hit path's instructions with callgrind
 * (bench/hit_instr.sh). Wall-clock figures come from mpool_bench; this
 * counts what the machine cannot blur: instructions are repeatable for the
 * same binary and inputs, whatever else the machine is doing.
 *
 *   hit_instr [--pages N] [--hot N] [--ops N] [--seed N]
 *
 * N pages (default 16384) of 4 KiB are written to a temporary file, every
 * one is read once into a pool of exactly N frames (the warm-up), then
 * --ops gets (default 8 Mi) pick a page uniformly among the first --hot
 * (default: all), check its page number and put it back. The timed loop
 * is hit_loop (callgrind: --toggle-collect=hit_loop), so warm-up and setup
 * are not counted. Exits non-zero on any error or wrong page.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_rng.h"
#include "db_mpool.h"
#include "lfmpool.h"

#define PAGE 4096u

struct opts {
	uint32_t pages, hot;
	uint64_t ops, seed;
	int native; /* lfmpool_get/lfmpool_put (lfmpool.h), not memp_* */
	int bare;   /* the bare probe (bench_bare.c): the floor */
};

static int parse(int argc, char **argv, struct opts *o)
{
	o->pages = 16384;
	o->hot = 0;
	o->ops = 8u << 20;
	o->seed = 42;
	o->native = 0;
	o->bare = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--native") == 0) {
			o->native = 1;
			continue;
		}
		if (strcmp(argv[i], "--bare") == 0) {
			o->bare = 1;
			continue;
		}
		if (i + 1 >= argc)
			return -1;
		unsigned long long v = strtoull(argv[i + 1], NULL, 0);
		if (strcmp(argv[i], "--pages") == 0)
			o->pages = (uint32_t)v;
		else if (strcmp(argv[i], "--hot") == 0)
			o->hot = (uint32_t)v;
		else if (strcmp(argv[i], "--ops") == 0)
			o->ops = v;
		else if (strcmp(argv[i], "--seed") == 0)
			o->seed = v;
		else
			return -1;
		i++;
	}
	if (o->hot == 0 || o->hot > o->pages)
		o->hot = o->pages;
	return o->pages == 0 || o->ops == 0 ? -1 : 0;
}

/* Wall-clock seconds, for the Mops/s each run prints beside its count
 * (bench/hit_wall.sh compares them; callgrind counts only hit_loop*). */
static double now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The line a finished loop prints (hit_instr.sh reads the count, the
 * second field; hit_wall.sh the Mops/s), or FAILED with the wrong pages
 * seen (-1: the loop or the setup failed). */
static void report(const char *api, const struct opts *o, long wrong, double t0,
		   double t1)
{
	if (wrong != 0)
		fprintf(stderr, "hit_instr: FAILED: %ld\n", wrong);
	else
		printf("hit_instr: %llu ops over %u of %u pages (%s): %.3f "
		       "Mops/s\n",
		       (unsigned long long)o->ops, o->hot, o->pages, api,
		       (double)o->ops / (t1 - t0) / 1e6);
}

/* Page i holds its number in its first four bytes. */
static int make_file(char *path, uint32_t pages)
{
	int fd = mkstemp(path);
	if (fd < 0)
		return errno;
	unsigned char buf[PAGE];
	memset(buf, 0, sizeof(buf));
	for (uint32_t i = 0; i < pages; i++) {
		memcpy(buf, &i, sizeof(i));
		if (pwrite(fd, buf, PAGE, (off_t)i * PAGE) != (ssize_t)PAGE) {
			int err = errno ? errno : EIO;
			close(fd);
			return err;
		}
	}
	return close(fd) == 0 ? 0 : errno;
}

/* The loop's generator, seeded out of line and copied into a local whose
 * address never escapes, so that the state stays in registers: the loop's
 * own cost (hit_instr.sh prints it) is then the generator, the call and
 * the check, the same for every API. */
static struct rng loop_rng(uint64_t seed)
{
	struct rng r;
	rng_seed(&r, seed);
	return r;
}

/* The counted loop; returns the number of wrong pages, or -1 on error. */
static __attribute__((noinline)) long hit_loop(DB_MPOOLFILE *mpf,
					       const struct opts *o)
{
	struct rng r = loop_rng(o->seed);
	const uint64_t ops = o->ops, hot = o->hot;
	long wrong = 0;

	for (uint64_t n = 0; n < ops; n++) {
		db_pgno_t pg = (db_pgno_t)(((rng_next(&r) >> 32) * hot) >> 32);
		db_pgno_t want = pg;
		void *page;
		uint32_t got;

		if (memp_fget(mpf, &pg, 0, &page) != 0)
			return -1;
		memcpy(&got, page, sizeof(got));
		wrong += got != want;
		if (memp_fput(mpf, page, 0) != 0)
			return -1;
	}
	return wrong;
}

/* The same loop through the native API's inline calls. */
static __attribute__((noinline)) long hit_loop_native(lfmpool_file *f,
						      const struct opts *o)
{
	struct rng r = loop_rng(o->seed);
	const uint64_t ops = o->ops, hot = o->hot;
	long wrong = 0;

	for (uint64_t n = 0; n < ops; n++) {
		uint32_t pg = (uint32_t)(((rng_next(&r) >> 32) * hot) >> 32);
		void *page;
		uint32_t got;

		if (lfmpool_get(f, pg, &page) != 0)
			return -1;
		memcpy(&got, page, sizeof(got));
		wrong += got != pg;
		if (lfmpool_put(f, page) != 0)
			return -1;
	}
	return wrong;
}

/* The same loop through the bare probe, the least any pool can do per
 * hit (bench_bare.c): the floor the others are measured against. */
static __attribute__((noinline)) long hit_loop_bare(bench_pool *bp,
						    const struct opts *o)
{
	struct rng r = loop_rng(o->seed);
	const uint64_t ops = o->ops, hot = o->hot;
	long wrong = 0;

	for (uint64_t n = 0; n < ops; n++) {
		uint32_t pg = (uint32_t)(((rng_next(&r) >> 32) * hot) >> 32);
		void *page;
		uint32_t got;

		if (bench_bare_sys.get(bp, pg, 0, &page) != 0)
			return -1;
		memcpy(&got, page, sizeof(got));
		wrong += got != pg;
		if (bench_bare_sys.put(bp, page, 0) != 0)
			return -1;
	}
	return wrong;
}

static int run_bare(const char *path, const struct opts *o)
{
	bench_pool *bp = NULL;
	long wrong = -1;
	int ret = bench_bare_sys.open(NULL, path, (size_t)o->pages * PAGE,
				      BENCH_PRIVATE, &bp);
	if (ret != 0)
		fprintf(stderr, "hit_instr: bare: %s\n", strerror(ret));
	double t0 = now_sec(), t1 = t0;
	if (ret == 0) {
		wrong = hit_loop_bare(bp, o);
		t1 = now_sec();
	}
	report("bare", o, wrong, t0, t1);
	if (bp != NULL)
		bench_bare_sys.close(bp);
	return wrong == 0 ? 0 : 1;
}

static int run_native(const char *path, const struct opts *o)
{
	lfmpool *pool = NULL;
	lfmpool_file *f = NULL;
	long wrong = -1;
	int ret = lfmpool_open(NULL, (size_t)o->pages * PAGE,
			       LFMPOOL_PRIVATE | LFMPOOL_FLUSHERS, 0, &pool);
	if (ret == 0)
		ret = lfmpool_fopen(pool, path, PAGE, 0, 0644, &f);
	for (uint32_t i = 0; ret == 0 && i < o->pages; i++) {
		void *page;
		if ((ret = lfmpool_get(f, i, &page)) == 0)
			ret = lfmpool_put(f, page);
	}
	if (ret != 0)
		fprintf(stderr, "hit_instr: native: %s\n", strerror(ret));
	double t0 = now_sec(), t1 = t0;
	if (ret == 0) {
		wrong = hit_loop_native(f, o);
		t1 = now_sec();
	}
	report("native", o, wrong, t0, t1);
	if (f != NULL)
		lfmpool_fclose(f);
	if (pool != NULL)
		lfmpool_close(pool);
	return wrong == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct opts o;
	char path[] = "/tmp/hit_instr.XXXXXX";
	DB_ENV env;
	DB_MPOOL *mp = NULL;
	DB_MPOOLFILE *mpf = NULL;
	int ret;
	long wrong = -1;

	if (parse(argc, argv, &o) != 0) {
		fprintf(stderr, "usage: hit_instr [--pages N] [--hot N] "
				"[--ops N] [--seed N] [--native | --bare]\n");
		return 2;
	}
	if ((ret = make_file(path, o.pages)) != 0) {
		fprintf(stderr, "hit_instr: data file: %s\n", strerror(ret));
		return 1;
	}
	if (o.native || o.bare) {
		ret = o.native ? run_native(path, &o) : run_bare(path, &o);
		unlink(path);
		return ret;
	}
	memset(&env, 0, sizeof(env));
	env.mp_size = (size_t)o.pages * PAGE;
	if ((ret = memp_open(NULL, DB_CREATE | DB_MPOOL_PRIVATE | DB_THREAD, 0,
			     &env, &mp)) != 0 ||
	    (ret = memp_fopen(mp, path, 0, 0, 0644, PAGE, -1, NULL, NULL,
			      &mpf)) != 0) {
		fprintf(stderr, "hit_instr: open: %s\n", strerror(ret));
		goto out;
	}
	for (uint32_t i = 0; i < o.pages; i++) {
		db_pgno_t pg = i;
		void *page;
		if ((ret = memp_fget(mpf, &pg, 0, &page)) != 0 ||
		    (ret = memp_fput(mpf, page, 0)) != 0) {
			fprintf(stderr, "hit_instr: warm-up: %s\n",
				strerror(ret));
			goto out;
		}
	}
	double t0 = now_sec();
	wrong = hit_loop(mpf, &o);
	double t1 = now_sec();
	report("memp", &o, wrong, t0, t1);
out:
	if (mpf != NULL)
		memp_fclose(mpf);
	if (mp != NULL)
		memp_close(mp);
	unlink(path);
	return wrong == 0 ? 0 : 1;
}
