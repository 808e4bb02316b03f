/*
 * mpool_pins.c - mpool(3) while pages stay pinned, below, at and past
 * maxcache (the pool grows past it while pages are pinned and sheds back
 * as they are put; docs/protocol.md rule 12). Two Markdown tables
 * (docs/benchmarks.md, "mpool_pins"): us per get+put of an uncached page
 * while `held` pages stay pinned; and after a burst of mpool_new pins past
 * maxcache, put dirty and synced, the pages written (seen by a pgout
 * filter) per 1000 dirty get+puts of cached pages, which must be 0. No
 * peer: no mpool(3) of Debian's exports the API.
 *
 *   mpool_pins [--runs N] [--ms MS]
 */
#include "mpool.h"

#include <fcntl.h>
#include <stdio.h>

#include "bench.h"

#define PS     4096
#define NPAGES 8192

static unsigned long pgouts;

/* Dies with `what` unless ok. */
static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "mpool_pins: %s: %s\n", what, strerror(errno));
		exit(1);
	}
}

static void count_pgout(void *cookie, pgno_t pgno, void *page)
{
	(void)cookie;
	(void)pgno;
	(void)page;
	pgouts++;
}

/* A temporary file (unlinked) of `npages` pages holding their numbers. */
static int temp_file(unsigned npages)
{
	char path[] = "/tmp/mpool_pins.XXXXXX";
	int fd = mkstemp(path);

	check(fd >= 0, "mkstemp");
	unlink(path);
	errno = bench_fill(fd, PS, npages);
	check(errno == 0, "pwrite");
	return fd;
}

/*
 * One run: get+puts for `secs` of page p = next(k) (put with `flags`),
 * each checked to hold its number; microseconds per get+put. Before it,
 * `held` pages [0, held) pinned (put after), or, with `burst`, `held` pages
 * pinned from mpool_new, put dirty, synced, then pages [0, hot) got once;
 * *per_kput: pages written per 1000 get+puts.
 */
static double run(int fd, unsigned maxcache, unsigned held, int burst,
		  double secs, double *per_kput)
{
	MPOOL *mp = mpool_open(NULL, fd, PS, maxcache);
	void **pins = calloc(held + 1, sizeof(*pins));
	unsigned hot = maxcache > 1 ? maxcache / 2 : 1, s = 12345 + held;
	long ops = 0;
	double t0, t;

	check(mp != NULL && pins != NULL, "mpool_open");
	if (burst)
		mpool_filter(mp, NULL, count_pgout, NULL);
	for (unsigned i = 0; i < held; i++) {
		pgno_t pg;

		pins[i] = burst ? mpool_new(mp, &pg, MPOOL_PAGE_NEXT)
				: mpool_get(mp, i, 0);
		check(pins[i] != NULL, "mpool_get (held)");
		if (burst)
			memcpy(pins[i], &pg, sizeof(pg));
	}
	for (unsigned i = 0; i < held && burst; i++)
		check(mpool_put(mp, pins[i], MPOOL_DIRTY) == 0, "mpool_put");
	if (burst) {
		check(mpool_sync(mp) == 0, "mpool_sync");
		/* Bring the hot pages in once; what follows should hit. */
		for (unsigned p = 0; p < hot; p++) {
			void *pg = mpool_get(mp, p, 0);

			check(pg != NULL && mpool_put(mp, pg, 0) == 0, "warm");
		}
	}
	pgouts = 0;
	t0 = bench_now();
	do {
		for (int k = 0; k < 256; k++) {
			unsigned p, *pg;

			s = s * 1103515245u + 12345u;
			p = burst ? (unsigned)(ops + k) % hot
				  : held + (s >> 8) % (NPAGES - held);
			check((pg = mpool_get(mp, p, 0)) != NULL, "mpool_get");
			if (*pg != p) {
				fprintf(stderr,
					"mpool_pins: page %u holds %u\n", p,
					*pg);
				exit(1);
			}
			check(mpool_put(mp, pg, burst ? MPOOL_DIRTY : 0) == 0,
			      "mpool_put");
		}
		ops += 256;
		t = bench_now();
	} while (t - t0 < secs);
	*per_kput = (double)pgouts * 1000.0 / (double)ops;
	for (unsigned i = 0; i < held && !burst; i++)
		check(mpool_put(mp, pins[i], 0) == 0, "mpool_put (held)");
	free(pins);
	check(mpool_close(mp) == 0, "mpool_close");
	return (t - t0) * 1e6 / (double)ops;
}

int main(int argc, char **argv)
{
	static const unsigned cells[][2] = {
	    {64, 0},	  {64, 32},	{64, 63},    {64, 64},
	    {64, 100},	  {64, 300},	{1000, 0},   {1000, 900},
	    {1000, 1000}, {1000, 1100}, {1000, 1250}}; /* maxcache, held */
	static const unsigned bursts[][2] = {
	    {4, 5}, {4, 6}, {4, 10}, {64, 65}, {64, 200}}; /* maxcache, burst */
	int runs = 5, ms = 300, fd;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--runs") == 0)
			runs = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--ms") == 0)
			ms = atoi(argv[i + 1]);
	}
	if (runs < 1 || runs > 99 || ms < 1) {
		fprintf(stderr, "usage: mpool_pins [--runs 1-99] [--ms MS]\n");
		return 2;
	}
	printf("# mpool(3): get+put of an unpinned page while `held` pages "
	       "stay pinned\n\n%d runs of %d ms per cell, median; %u-page "
	       "file of %u-byte pages (docs/benchmarks.md, \"mpool_pins\")."
	       "\n\n| maxcache | held | us per get+put (median) | min | max "
	       "|\n|---:|---:|---:|---:|---:|\n",
	       runs, ms, NPAGES, PS);
	fd = temp_file(NPAGES);
	for (size_t c = 0; c < sizeof(cells) / sizeof(cells[0]); c++) {
		double r[99];
		double w;

		for (int i = 0; i < runs; i++)
			r[i] = run(fd, cells[c][0], cells[c][1], 0, ms / 1000.0,
				   &w);
		qsort(r, (size_t)runs, sizeof(r[0]), bench_cmp_double);
		printf("| %u | %u | %.2f | %.2f | %.2f |\n", cells[c][0],
		       cells[c][1], r[runs / 2], r[0], r[runs - 1]);
		fflush(stdout);
	}
	close(fd);
	printf("\n# mpool(3): dirty puts of cached pages after a burst of "
	       "mpool_new pins past maxcache\n\n%d runs of %d ms, median; "
	       "pages written per 1000 puts must be 0.\n\n| maxcache | burst "
	       "| pages written per 1000 puts | us per get+put |\n"
	       "|---:|---:|---:|---:|\n",
	       runs, ms);
	for (size_t c = 0; c < sizeof(bursts) / sizeof(bursts[0]); c++) {
		double w[99], u[99];

		for (int i = 0; i < runs; i++) {
			fd = temp_file(0);
			u[i] = run(fd, bursts[c][0], bursts[c][1], 1,
				   ms / 1000.0, &w[i]);
			close(fd);
		}
		qsort(w, (size_t)runs, sizeof(w[0]), bench_cmp_double);
		qsort(u, (size_t)runs, sizeof(u[0]), bench_cmp_double);
		printf("| %u | %u | %.1f | %.3f |\n", bursts[c][0],
		       bursts[c][1], w[runs / 2], u[runs / 2]);
		fflush(stdout);
	}
	return 0;
}
