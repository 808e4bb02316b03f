/*
 * mpool_pins.c - mpool(3): the cost of a get+put of a page not in the cache
 * while the client holds `held` other pages pinned, below, at and past
 * maxcache (the pool grows past maxcache while pages are pinned and sheds
 * back as they are put; docs/protocol.md rule 12).
 *
 *   mpool_pins [--runs N] [--ms MS]
 *
 * Prints a Markdown table: median microseconds per get+put over N runs of
 * MS milliseconds each, one row per (maxcache, held). No peer: no mpool(3)
 * of Debian's exports the API (libdb1-compat keeps it internal).
 *
 * A second table is the btree split's pattern: `burst` pages pinned at
 * once from mpool_new (past maxcache), all put dirty, a sync, then dirty
 * get+puts of a few cached pages. Once the burst is put the pool must be
 * back within maxcache, writing a page only when it is evicted or synced:
 * the table counts the pages written (through a pgout filter) per 1000
 * such puts, which must be 0.
 */
#include "mpool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PS     4096
#define NPAGES 8192

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void die(const char *what)
{
	fprintf(stderr, "mpool_pins: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* mpool_get of page p, which must hold its number at offset 0. */
static unsigned *get_checked(MPOOL *mp, unsigned p)
{
	unsigned *pg = mpool_get(mp, p, 0);
	if (pg == NULL)
		die("mpool_get");
	if (*pg != p) {
		fprintf(stderr, "mpool_pins: page %u holds %u\n", p, *pg);
		exit(1);
	}
	return pg;
}

/* One run: microseconds per get+put of uniformly chosen unpinned pages. */
static double run(int fd, unsigned maxcache, unsigned held, double secs)
{
	MPOOL *mp = mpool_open(NULL, fd, PS, maxcache);
	if (mp == NULL)
		die("mpool_open");
	void **pins = calloc(held + 1, sizeof(*pins));
	for (unsigned i = 0; i < held; i++)
		if ((pins[i] = mpool_get(mp, i, 0)) == NULL)
			die("mpool_get (held)");
	unsigned s = 12345 + held;
	long ops = 0;
	double t0 = now(), t;
	do {
		for (int k = 0; k < 256; k++) {
			s = s * 1103515245u + 12345u;
			unsigned p = held + (s >> 8) % (NPAGES - held);
			unsigned *pg = get_checked(mp, p);
			if (mpool_put(mp, pg, 0) != 0)
				die("mpool_put");
		}
		ops += 256;
		t = now();
	} while (t - t0 < secs);
	for (unsigned i = 0; i < held; i++)
		if (mpool_put(mp, pins[i], 0) != 0)
			die("mpool_put (held)");
	free(pins);
	if (mpool_close(mp) != 0)
		die("mpool_close");
	return (t - t0) * 1e6 / (double)ops;
}

static unsigned long pgouts;

static void count_pgout(void *cookie, pgno_t pgno, void *page)
{
	(void)cookie;
	(void)pgno;
	(void)page;
	pgouts++;
}

/* One run of the burst case: pages written per 1000 dirty puts of
 * maxcache / 2 cached pages, after `burst` pages were pinned from
 * mpool_new at once; *us gets microseconds per get+put. */
static double run_burst(unsigned maxcache, unsigned burst, double secs,
			double *us)
{
	char path[] = "/tmp/mpool_pins_burst.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp");
	unlink(path);
	MPOOL *mp = mpool_open(NULL, fd, PS, maxcache);
	if (mp == NULL)
		die("mpool_open");
	mpool_filter(mp, NULL, count_pgout, NULL);
	void **pins = calloc(burst, sizeof(*pins));
	for (unsigned i = 0; i < burst; i++) {
		pgno_t pg;
		if ((pins[i] = mpool_new(mp, &pg, MPOOL_PAGE_NEXT)) == NULL)
			die("mpool_new");
		memcpy(pins[i], &pg, sizeof(pg));
	}
	for (unsigned i = 0; i < burst; i++)
		if (mpool_put(mp, pins[i], MPOOL_DIRTY) != 0)
			die("mpool_put (burst)");
	free(pins);
	if (mpool_sync(mp) != 0)
		die("mpool_sync");
	unsigned hot = maxcache > 1 ? maxcache / 2 : 1;
	/* Bring the hot pages in once; what follows should hit. */
	for (unsigned p = 0; p < hot; p++) {
		void *pg = mpool_get(mp, p, 0);
		if (pg == NULL || mpool_put(mp, pg, 0) != 0)
			die("mpool_get (warm)");
	}
	pgouts = 0;
	long ops = 0;
	double t0 = now(), t;
	do {
		for (int k = 0; k < 256; k++) {
			unsigned p = (unsigned)(ops + k) % hot;
			unsigned *pg = get_checked(mp, p);
			if (mpool_put(mp, pg, MPOOL_DIRTY) != 0)
				die("mpool_put");
		}
		ops += 256;
		t = now();
	} while (t - t0 < secs);
	double written = (double)pgouts * 1000.0 / (double)ops;
	*us = (t - t0) * 1e6 / (double)ops;
	if (mpool_close(mp) != 0)
		die("mpool_close");
	close(fd);
	return written;
}

/* The first table: a cell per (maxcache, held). */
static void pins_table(int fd, int runs, int ms)
{
	static const struct {
		unsigned maxcache, held;
	} cells[] = {{64, 0},	   {64, 32},	 {64, 63},    {64, 64},
		     {64, 100},	   {64, 300},	 {1000, 0},   {1000, 900},
		     {1000, 1000}, {1000, 1100}, {1000, 1250}};
	printf("# mpool(3): get+put of an unpinned page while `held` pages "
	       "stay pinned\n\n");
	printf("%d runs of %d ms per cell, median; %u-page file of %u-byte "
	       "pages, uniform over the pages not held (almost all misses)."
	       "\n\n",
	       runs, ms, NPAGES, PS);
	printf("| maxcache | held | us per get+put (median) | min | max |\n");
	printf("|---:|---:|---:|---:|---:|\n");
	for (size_t c = 0; c < sizeof(cells) / sizeof(cells[0]); c++) {
		double r[99];
		for (int i = 0; i < runs; i++)
			r[i] = run(fd, cells[c].maxcache, cells[c].held,
				   ms / 1000.0);
		qsort(r, (size_t)runs, sizeof(r[0]), cmp);
		printf("| %u | %u | %.2f | %.2f | %.2f |\n", cells[c].maxcache,
		       cells[c].held, r[runs / 2], r[0], r[runs - 1]);
		fflush(stdout);
	}
}

/* The second table: a cell per (maxcache, burst). */
static void bursts_table(int runs, int ms)
{
	static const struct {
		unsigned maxcache, burst;
	} bursts[] = {{4, 5}, {4, 6}, {4, 10}, {64, 65}, {64, 200}};
	printf("\n# mpool(3): dirty puts of cached pages after a burst of "
	       "mpool_new pins past maxcache\n\n");
	printf("`burst` pages pinned at once from mpool_new, put dirty, "
	       "synced; then dirty get+puts of maxcache / 2 cached pages. "
	       "Pages written per 1000 puts must be 0 (the pool is back within "
	       "maxcache); %d runs of %d ms, median.\n\n",
	       runs, ms);
	printf("| maxcache | burst | pages written per 1000 puts | us per "
	       "get+put |\n");
	printf("|---:|---:|---:|---:|\n");
	for (size_t c = 0; c < sizeof(bursts) / sizeof(bursts[0]); c++) {
		double w[99], u[99];
		for (int i = 0; i < runs; i++)
			w[i] = run_burst(bursts[c].maxcache, bursts[c].burst,
					 ms / 1000.0, &u[i]);
		qsort(w, (size_t)runs, sizeof(w[0]), cmp);
		qsort(u, (size_t)runs, sizeof(u[0]), cmp);
		printf("| %u | %u | %.1f | %.3f |\n", bursts[c].maxcache,
		       bursts[c].burst, w[runs / 2], u[runs / 2]);
		fflush(stdout);
	}
}

int main(int argc, char **argv)
{
	int runs = 5, ms = 300;
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
	char path[] = "/tmp/mpool_pins.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp");
	unlink(path);
	unsigned char page[PS] = {0};
	for (unsigned p = 0; p < NPAGES; p++) {
		memcpy(page, &p, sizeof(p));
		if (pwrite(fd, page, PS, (off_t)p * PS) != PS)
			die("pwrite");
	}

	pins_table(fd, runs, ms);
	close(fd);
	bursts_table(runs, ms);
	return 0;
}
