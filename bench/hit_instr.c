/*
 * hit_instr.c - a fixed number of get + read + put hits on a private pool,
 * through memp_fget/memp_fput, the native API (--native) or the bare probe
 * (--bare), for counting the hit path's instructions with callgrind
 * (bench/hit_instr.sh; docs/hit-path.md): instructions are repeatable
 * whatever else the machine is doing.
 *
 *   hit_instr [--pages N] [--hot N] [--ops N] [--seed N] [--tcache BYTES]
 *             [--native | --bare]
 *
 * --pages pages (16384) of 4 KiB are written to a temporary file and each
 * read once into a pool of exactly that many frames; then --ops gets (8 Mi)
 * pick a page uniformly among the first --hot (all), check its number and
 * put it back. Only hit_loop* is counted (callgrind --toggle-collect).
 * --tcache: memp_open's DB_ENV.mp_tcache_size (0: its default); the
 * native API's pool is opened LFMPOOL_LARGE_TCACHE if it is not 0.
 * Exits non-zero on any error or wrong page.
 */
#include <fcntl.h>
#include <stdio.h>

#include "bench.h"
#include "db_mpool.h"
#include "lfmpool.h"

#define PAGE 4096u

struct opts {
	uint32_t pages, hot;
	uint64_t ops, seed, tcache;
	int native; /* lfmpool_get/lfmpool_put (lfmpool.h), not memp_* */
	int bare;   /* the bare probe (bench_refs.c): the floor */
};

static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.pages = 16384, .ops = 8u << 20, .seed = 42};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		unsigned long long v;

		if (strcmp(a, "--native") == 0) {
			o->native = 1;
			continue;
		}
		if (strcmp(a, "--bare") == 0) {
			o->bare = 1;
			continue;
		}
		if (++i >= argc)
			return -1;
		v = strtoull(argv[i], NULL, 0);
		if (strcmp(a, "--pages") == 0)
			o->pages = (uint32_t)v;
		else if (strcmp(a, "--hot") == 0)
			o->hot = (uint32_t)v;
		else if (strcmp(a, "--ops") == 0)
			o->ops = v;
		else if (strcmp(a, "--seed") == 0)
			o->seed = v;
		else if (strcmp(a, "--tcache") == 0)
			o->tcache = v;
		else
			return -1;
	}
	if (o->hot == 0 || o->hot > o->pages)
		o->hot = o->pages;
	return o->pages == 0 || o->ops == 0 ? -1 : 0;
}

/* Page i holds its number in its first four bytes. */
static int make_file(char *path, uint32_t pages)
{
	int fd = mkstemp(path), err;

	if (fd < 0)
		return errno;
	err = bench_fill(fd, PAGE, pages);
	return close(fd) != 0 && err == 0 ? errno : err;
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

/* The counted loops, one per API, each returning the number of wrong
 * pages or -1 on error: one body around every API's get and put, so that
 * the loop's own cost is the same for all. memp_fget takes the page
 * number by address. Each loop starts a cache line, so that it does not
 * move with the code before it: callgrind's branch predictor indexes by
 * address (docs/benchmarks.md, "Instruction counts"). */
#define HIT_LOOP(name, type, GET, PUT)                                         \
	static __attribute__((noinline, aligned(64))) long name(               \
	    type h, const struct opts *o)                                      \
	{                                                                      \
		struct rng r = loop_rng(o->seed);                              \
		const uint64_t ops = o->ops, hot = o->hot;                     \
		long wrong = 0;                                                \
		for (uint64_t n = 0; n < ops; n++) {                           \
			uint32_t pg =                                          \
			    (uint32_t)(((rng_next(&r) >> 32) * hot) >> 32);    \
			uint32_t want = pg, got;                               \
			void *page;                                            \
			if (GET(h, pg, &page) != 0)                            \
				return -1;                                     \
			memcpy(&got, page, sizeof(got));                       \
			wrong += got != want;                                  \
			if (PUT(h, page) != 0)                                 \
				return -1;                                     \
		}                                                              \
		return wrong;                                                  \
	}
#define MEMP_GET(h, pg, pagep)	 memp_fget(h, &pg, 0, pagep)
#define MEMP_PUT(h, page)	 memp_fput(h, page, 0)
#define NATIVE_GET(h, pg, pagep) lfmpool_get(h, pg, pagep)
#define NATIVE_PUT(h, page)	 lfmpool_put(h, page)
#define BARE_GET(h, pg, pagep)	 bench_bare_sys.get(h, pg, 0, pagep)
#define BARE_PUT(h, page)	 bench_bare_sys.put(h, page, 0)
HIT_LOOP(hit_loop, DB_MPOOLFILE *, MEMP_GET, MEMP_PUT)
HIT_LOOP(hit_loop_native, lfmpool_file *, NATIVE_GET, NATIVE_PUT)
/* The bare probe (bench_refs.c): the least any pool can do per hit, the
 * floor the others are measured against. */
HIT_LOOP(hit_loop_bare, bench_pool *, BARE_GET, BARE_PUT)

/* The pool of each API, warmed: every page got and put once. */
struct pools {
	DB_MPOOL *mp;
	DB_MPOOLFILE *mpf;
	lfmpool *pool;
	lfmpool_file *f;
	bench_pool *bp;
};

static int open_memp(const char *path, const struct opts *o, struct pools *p)
{
	DB_ENV env;
	int ret;

	memset(&env, 0, sizeof(env));
	env.mp_size = (size_t)o->pages * PAGE;
	env.mp_tcache_size = (size_t)o->tcache;
	if ((ret = memp_open(NULL, DB_CREATE | DB_MPOOL_PRIVATE | DB_THREAD, 0,
			     &env, &p->mp)) != 0 ||
	    (ret = memp_fopen(p->mp, (char *)path, 0, 0, 0644, PAGE, -1, NULL,
			      NULL, &p->mpf)) != 0)
		return ret;
	for (uint32_t i = 0; ret == 0 && i < o->pages; i++) {
		db_pgno_t pg = i;
		void *page;

		if ((ret = memp_fget(p->mpf, &pg, 0, &page)) == 0)
			ret = memp_fput(p->mpf, page, 0);
	}
	return ret;
}

static int open_native(const char *path, const struct opts *o, struct pools *p)
{
	int ret = lfmpool_open(NULL, (size_t)o->pages * PAGE,
			       LFMPOOL_PRIVATE | LFMPOOL_FLUSHERS |
				   (o->tcache != 0 ? LFMPOOL_LARGE_TCACHE : 0),
			       0, &p->pool);

	if (ret == 0)
		ret = lfmpool_fopen(p->pool, path, PAGE, 0, 0644, &p->f);
	for (uint32_t i = 0; ret == 0 && i < o->pages; i++) {
		void *page;

		if ((ret = lfmpool_get(p->f, i, &page)) == 0)
			ret = lfmpool_put(p->f, page);
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct pools p = {0};
	char path[] = "/tmp/hit_instr.XXXXXX";
	const char *api;
	long wrong = -1;
	double t0, t1;
	int ret;

	if (parse(argc, argv, &o) != 0) {
		fprintf(stderr, "usage: hit_instr [--pages N] [--hot N] "
				"[--ops N] [--seed N] [--tcache BYTES] "
				"[--native | --bare]\n");
		return 2;
	}
	if ((ret = make_file(path, o.pages)) != 0) {
		fprintf(stderr, "hit_instr: data file: %s\n", strerror(ret));
		return 1;
	}
	api = o.bare ? "bare" : o.native ? "native" : "memp";
	if (o.bare)
		ret = bench_bare_sys.open(NULL, path, (size_t)o.pages * PAGE,
					  BENCH_PRIVATE, &p.bp);
	else
		ret = o.native ? open_native(path, &o, &p)
			       : open_memp(path, &o, &p);
	t0 = t1 = bench_now();
	if (ret != 0)
		fprintf(stderr, "hit_instr: %s: %s\n", api, strerror(ret));
	else {
		wrong = o.bare	   ? hit_loop_bare(p.bp, &o)
			: o.native ? hit_loop_native(p.f, &o)
				   : hit_loop(p.mpf, &o);
		t1 = bench_now();
	}
	/* hit_instr.sh reads the count, the second field, and with --wall the
	 * Mops/s. */
	if (wrong != 0)
		fprintf(stderr, "hit_instr: FAILED: %ld\n", wrong);
	else
		printf("hit_instr: %llu ops over %u of %u pages (%s): %.3f "
		       "Mops/s\n",
		       (unsigned long long)o.ops, o.hot, o.pages, api,
		       (double)o.ops / (t1 - t0) / 1e6);
	if (p.bp != NULL)
		bench_bare_sys.close(p.bp);
	if (p.f != NULL)
		lfmpool_fclose(p.f);
	if (p.pool != NULL)
		lfmpool_close(p.pool);
	if (p.mpf != NULL)
		memp_fclose(p.mpf);
	if (p.mp != NULL)
		memp_close(p.mp);
	unlink(path);
	return wrong == 0 ? 0 : 1;
}
