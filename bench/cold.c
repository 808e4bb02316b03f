/*
 * cold.c - the cold-storage benchmark's driver (bench/cold.sh runs it):
 * one mode a run, over a file it drops from the page cache first, one
 * thread, for --seconds; prints "<mode> <rate> <unit>" and, after a direct
 * run, the file's pages left in the page cache (docs/benchmarks.md, "Cold
 * storage").
 *
 *   pread     uniform random 4 KiB preads: the floor of a synchronous miss
 *             (the pread floor of bench_refs.c)
 *   bdb       Berkeley DB 5.3's uniform random gets (bench_bdb.c)
 *   get       uniform random gets through a 16384-frame pool (no hints)
 *   prefetch  the same, a list of 16 random pages prefetched, then got
 *   scan      gets of pages n, n+1, ... (MB/s)
 *   write     random gets made dirty (16 at a time, prefetched a list
 *             ahead) through a pool 1/8 the file, with flushers: pages
 *             written a second
 *   create    the same without reads: random pages past the end, created
 *             (DB_MPOOL_CREATE) and dirtied; the file is cut back after
 *
 * --direct opens the pool with DB_MPOOL_DIRECT.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "bench.h"
#include "db_mpool.h"

#define PAGE 4096

static struct rng rng; /* seeded in main, apart for each process */

static uint32_t rnd(uint32_t n)
{
	return (uint32_t)(rng_next(&rng) % n);
}

static void die(const char *what, const char *err)
{
	fprintf(stderr, "cold: %s: %s\n", what, err);
	exit(1);
}

/* The file's pages in the page cache (mincore on a mapping). */
static uint64_t cached_pages(const char *path)
{
	int fd = open(path, O_RDONLY);
	struct stat st;
	void *m;
	uint64_t n = 0, len;
	unsigned char *v;

	if (fd < 0 || fstat(fd, &st) != 0)
		return 0;
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	len = ((uint64_t)st.st_size + PAGE - 1) / PAGE;
	v = malloc(len);
	if (m != MAP_FAILED && v != NULL &&
	    mincore(m, (size_t)st.st_size, v) == 0)
		for (uint64_t i = 0; i < len; i++)
			n += v[i] & 1;
	free(v);
	if (m != MAP_FAILED)
		munmap(m, (size_t)st.st_size);
	close(fd);
	return n;
}

/* Uniform random gets (and puts) through one of the benchmark's systems
 * (the pread floor, Berkeley DB), a 16384-page cache: gets a second. */
static double run_sys(const struct bench_sys *sys, const char *path,
		      uint32_t npages, double secs)
{
	bench_pool *bp;
	uint64_t n = 0;
	double t0, t;
	void *p;
	int ret = sys->open(NULL, path, 16384u * PAGE, BENCH_PRIVATE, &bp);

	if (ret != 0)
		die(sys->name, sys->strerror(ret));
	for (t0 = t = bench_now(); t - t0 < secs; t = bench_now())
		for (int i = 0; i < 16; i++, n++) {
			if ((ret = sys->get(bp, rnd(npages), 0, &p)) != 0 ||
			    (ret = sys->put(bp, p, 0)) != 0)
				die(sys->name, sys->strerror(ret));
			(void)*(volatile char *)p;
		}
	sys->close(bp);
	return (double)n / (t - t0);
}

/* The lfmpool modes: gets a second, or pages written a second (write,
 * create); *out_pages: the pages read (written) in the run. */
static double run_pool(const char *mode, const char *path, uint32_t npages,
		       double secs, int direct, uint64_t *out_pages)
{
	const int create = strcmp(mode, "create") == 0;
	const int write = create || strcmp(mode, "write") == 0;
	/* Writes prefetch one list ahead (`ahead`): the reads of the next 16
	 * are in flight while the current 16 are got and dirtied. */
	const int ahead = write && !create;
	DB_ENV env = {.mp_size =
			  write ? (size_t)npages * PAGE / 8 : 16384u * PAGE};
	DB_MPOOL *mp;
	DB_MPOOLFILE *mpf;
	DB_MPOOL_STAT *gs;
	db_pgno_t lists[2][16];
	uint32_t next = rnd(npages);
	uint64_t n = 0;
	double t0, t;
	int rc = memp_open(NULL,
			   DB_CREATE | DB_MPOOL_PRIVATE | DB_NOMMAP |
			       (direct ? DB_MPOOL_DIRECT : 0) |
			       (write ? DB_THREAD : 0),
			   0600, &env, &mp);

	if (rc != 0 || (rc = memp_fopen(mp, (char *)path, 0, 0, 0, PAGE, -1,
					NULL, NULL, &mpf)) != 0)
		die("memp_open/memp_fopen", strerror(rc));
	t0 = t = bench_now();
	for (int k = 0; t - t0 < secs; t = bench_now(), k++) {
		for (int j = k == 0 ? 0 : ahead; j <= ahead; j++) {
			db_pgno_t *list = lists[(k + j) & 1];

			for (int i = 0; i < 16; i++)
				list[i] = strcmp(mode, "scan") == 0
					      ? (next = (next + 1) % npages)
					  : create ? npages + rnd(npages)
						   : rnd(npages);
			if (strcmp(mode, "prefetch") == 0 || ahead)
				memp_fprefetch(mpf, list, 16, NULL);
		}
		/* Gets (and puts) of the list: each page's first byte read. */
		for (int i = 0; i < 16; i++, n++) {
			db_pgno_t pg = lists[k & 1][i];
			void *p;

			if ((rc = memp_fget(mpf, &pg,
					    create ? DB_MPOOL_CREATE : 0,
					    &p)) != 0)
				die("memp_fget", strerror(rc));
			if (write)
				((volatile char *)p)[8] += 1;
			(void)*(volatile char *)p;
			if ((rc = memp_fput(mpf, p,
					    write ? DB_MPOOL_DIRTY : 0)) != 0)
				die("memp_fput", strerror(rc));
		}
	}
	if (memp_stat(mp, &gs, NULL, NULL) == 0) {
		*out_pages = write ? gs->st_page_out : gs->st_page_in;
		free(gs);
	}
	memp_close(mp); /* writes nothing: the rate is what was written */
	if (create && truncate(path, (off_t)npages * PAGE) != 0)
		die("truncate", path); /* the next run's file is the same */
	return (write ? (double)*out_pages : (double)n) / (t - t0);
}

int main(int argc, char **argv)
{
	const char *mode = NULL, *path = NULL, *suffix;
	double secs = 10, r;
	int direct = 0, fd;
	uint64_t pages = 0;
	uint32_t npages;
	struct stat st;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--direct") == 0)
			direct = 1;
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (mode == NULL)
			mode = argv[i];
		else
			path = argv[i];
	}
	if (mode == NULL || path == NULL || stat(path, &st) != 0) {
		fprintf(stderr, "usage: cold MODE FILE [--direct] "
				"[--seconds S]\n");
		return 2;
	}
	npages = (uint32_t)(st.st_size / PAGE);
	/* Cold: nothing of the file in the page cache before the run. */
	if ((fd = open(path, O_RDONLY)) < 0 || fdatasync(fd) != 0 ||
	    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0)
		die("dropping the file from the page cache", path);
	close(fd);
	rng_seed(&rng, 88172645463325252ull ^ (uint64_t)getpid() << 20);
	if (strcmp(mode, "pread") == 0)
		r = run_sys(&bench_floor_sys, path, npages, secs);
	else if (strcmp(mode, "bdb") == 0)
		r = run_sys(&bench_bdb_sys, path, npages, secs);
	else
		r = run_pool(mode, path, npages, secs, direct, &pages);
	suffix = direct ? "-direct" : "";
	if (strcmp(mode, "scan") == 0)
		printf("%s%s %.1f MB/s\n", mode, suffix, r * PAGE / 1e6);
	else
		printf("%s%s %.0f %s/s\n", mode, suffix, r,
		       strcmp(mode, "write") == 0 || strcmp(mode, "create") == 0
			   ? "pages"
			   : "ops");
	if (direct)
		printf("page-cache %llu of %llu pages the run moved\n",
		       (unsigned long long)cached_pages(path),
		       (unsigned long long)pages);
	return 0;
}
