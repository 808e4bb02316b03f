/*
 * demo.c - a short tour of the lfmpool db_mpool(3) API.
 *
 * It opens a private pool of 32 pages, registers a pgin/pgout pair for file
 * type 1 (a toy encoding: every byte after a 16-byte header is stored on
 * disk plus the file's key byte, which is the file's page cookie), creates
 * a 100-page file with DB_MPOOL_NEW (more pages than the pool holds, so
 * dirty pages are evicted through pgout), re-reads every page (through
 * pgin), dirties some, flushes with memp_fsync, checks the bytes on disk
 * with plain read(2), prints memp_stat, and re-opens the file in a fresh
 * pool to read it back. Last, a pool shared with a child process: the
 * child's change is seen from the cache. Every step is checked; any
 * mismatch exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db_mpool.h"

#define PAGESIZE 4096
#define FRAMES	 32
#define NPAGES	 100
#define HEADER	 16 /* bytes left as they are by pgin/pgout */
#define FTYPE	 1

static int failures;
static unsigned long npgin, npgout;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr,                                        \
				"demo: FAILED at line %d: ", __LINE__);        \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			failures++;                                            \
		}                                                              \
	} while (0)

/* Stop at a failed call: the rest of the tour would only repeat it. */
#define CALL(expr)                                                             \
	do {                                                                   \
		int ret_ = (expr);                                             \
		if (ret_ != 0) {                                               \
			fprintf(stderr, "demo: FAILED at line %d: %s: %s\n",   \
				__LINE__, #expr,                               \
				ret_ == DB_INCOMPLETE ? "DB_INCOMPLETE"        \
						      : strerror(ret_));       \
			exit(1);                                               \
		}                                                              \
	} while (0)

/* The byte at `off` of page `pgno`, as the program sees it in memory. */
static unsigned char content(db_pgno_t pgno, size_t off, int version)
{
	return (unsigned char)(pgno * 7 + off + (size_t)version * 101);
}

/* Fill a page: its number at offset 0, then the pattern of `version`. */
static void fill(void *page, db_pgno_t pgno, int version)
{
	unsigned char *p = page;

	memset(p, 0, HEADER);
	memcpy(p, &pgno, sizeof(pgno));
	for (size_t off = HEADER; off < PAGESIZE; off++)
		p[off] = content(pgno, off, version);
}

/* Count the bytes of `page` that differ from version `version`. */
static size_t differences(const void *page, db_pgno_t pgno, int version)
{
	const unsigned char *p = page;
	db_pgno_t stored;
	size_t bad = 0;

	memcpy(&stored, p, sizeof(stored));
	if (stored != pgno)
		bad++;
	for (size_t off = HEADER; off < PAGESIZE; off++)
		if (p[off] != content(pgno, off, version))
			bad++;
	return bad;
}

/* The file's key byte, from the page cookie given to memp_fopen. */
static int key_of(DBT *cookie, unsigned char *key)
{
	if (cookie == NULL || cookie->size != 1 || cookie->data == NULL)
		return EINVAL;
	*key = *(unsigned char *)cookie->data;
	return 0;
}

static int pgin(db_pgno_t pgno, void *pgaddr, DBT *cookie)
{
	unsigned char key, *p = pgaddr;
	int ret;

	(void)pgno;
	if ((ret = key_of(cookie, &key)) != 0)
		return ret;
	for (size_t off = HEADER; off < PAGESIZE; off++)
		p[off] = (unsigned char)(p[off] - key);
	npgin++;
	return 0;
}

static int pgout(db_pgno_t pgno, void *pgaddr, DBT *cookie)
{
	unsigned char key, *p = pgaddr;
	int ret;

	(void)pgno;
	if ((ret = key_of(cookie, &key)) != 0)
		return ret;
	for (size_t off = HEADER; off < PAGESIZE; off++)
		p[off] = (unsigned char)(p[off] + key);
	npgout++;
	return 0;
}

static int is_touched(db_pgno_t i)
{
	return i % 10 == 3; /* the pages the demo rewrites */
}

int main(void)
{
	char dir[] = "/tmp/lfmpool-demo.XXXXXX", path[sizeof(dir) + 16];
	unsigned char key = 42, disk[PAGESIZE];
	DBT cookie = {.data = &key, .size = 1};
	DB_ENV env = {.mp_size = FRAMES * PAGESIZE};
	DB_MPOOL *mp;
	DB_MPOOLFILE *mpf;
	DB_MPOOL_STAT *gsp;
	DB_MPOOL_FSTAT **fsp;
	db_pgno_t first = 0, pgno;
	void *page;
	struct stat sb;
	int fd;

	printf("demo: %s\n", lfmpool_version());
	if (mkdtemp(dir) == NULL) {
		perror("demo: mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/demo.db", dir);

	/* 1. A private, thread-safe pool of 32 pages. */
	CALL(memp_open(NULL, DB_CREATE | DB_MPOOL_PRIVATE | DB_THREAD, 0, &env,
		       &mp));
	printf("opened a private pool of %d pages (%zu bytes)\n", FRAMES,
	       env.mp_size);

	/* 2. pgin/pgout for files of type 1. */
	CALL(memp_register(mp, FTYPE, pgin, pgout));
	printf("registered pgin/pgout for file type %d (key byte %u from the "
	       "page cookie)\n",
	       FTYPE, key);

	/* 3. A new file of 100 pages, appended one by one. */
	CALL(memp_fopen(mp, path, FTYPE, DB_CREATE, 0644, PAGESIZE, -1, &cookie,
			NULL, &mpf));
	key = 0; /* the pool keeps its own copy of the cookie */
	for (db_pgno_t i = 0; i < NPAGES; i++) {
		CALL(memp_fget(mpf, &pgno, DB_MPOOL_NEW, &page));
		if (i == 0)
			first = pgno;
		CHECK(pgno == first + i,
		      "DB_MPOOL_NEW gave page %u, expected %u", pgno,
		      first + i);
		fill(page, pgno, 0);
		CALL(memp_fput(mpf, page, DB_MPOOL_DIRTY));
	}
	CHECK(first <= 1, "the first DB_MPOOL_NEW page is %u", first);
	printf("created pages %u-%u with DB_MPOOL_NEW in %s; pgout ran %lu "
	       "times for evicted dirty pages\n",
	       first, first + NPAGES - 1, path, npgout);
	CHECK(npgout >= NPAGES - FRAMES,
	      "only %lu pgout calls for %d pages in %d frames", npgout, NPAGES,
	      FRAMES);

	/* 4. Read every page back (evicted ones come in through pgin);
	 *    rewrite every tenth. */
	for (db_pgno_t i = 0; i < NPAGES; i++) {
		size_t bad;

		pgno = first + i;
		CALL(memp_fget(mpf, &pgno, 0, &page));
		bad = differences(page, pgno, 0);
		CHECK(bad == 0, "page %u: %zu bytes wrong on re-read", pgno,
		      bad);
		if (is_touched(i))
			fill(page, pgno, 1);
		CALL(memp_fput(mpf, page, is_touched(i) ? DB_MPOOL_DIRTY : 0));
	}
	printf("re-read all %d pages (pgin ran %lu times) and rewrote %d of "
	       "them\n",
	       NPAGES, npgin, NPAGES / 10);
	CHECK(npgin > 0, "pgin never ran");

	/* 5. Flush. No page is pinned, so this must be complete. */
	CALL(memp_fsync(mpf));
	printf("memp_fsync: every dirty page written\n");

	/* 6. The file itself: pgout's encoding, page numbers in the clear. */
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	if (fd >= 0) {
		if (fstat(fd, &sb) != 0)
			sb.st_size = -1;
		CHECK(sb.st_size == (off_t)(first + NPAGES) * PAGESIZE,
		      "file is %lld bytes, expected %lld",
		      (long long)sb.st_size,
		      (long long)(first + NPAGES) * PAGESIZE);
		for (db_pgno_t i = 0; i < NPAGES; i++) {
			size_t bad;

			pgno = first + i;
			if (pread(fd, disk, PAGESIZE, (off_t)pgno * PAGESIZE) !=
			    PAGESIZE) {
				CHECK(0, "short read of page %u", pgno);
				break;
			}
			for (size_t off = HEADER; off < PAGESIZE; off++)
				disk[off] = (unsigned char)(disk[off] - 42);
			bad = differences(disk, pgno, is_touched(i) ? 1 : 0);
			CHECK(bad == 0, "page %u: %zu bytes wrong on disk",
			      pgno, bad);
		}
		close(fd);
		printf("checked the %d pages on disk with pread(2)\n", NPAGES);
	}

	/* pgout encoded the pages it wrote; the pool still shows them as
	 * the program left them. */
	for (db_pgno_t i = 0; i < NPAGES; i++) {
		pgno = first + i;
		CALL(memp_fget(mpf, &pgno, 0, &page));
		CHECK(differences(page, pgno, is_touched(i) ? 1 : 0) == 0,
		      "page %u wrong after memp_fsync", pgno);
		CALL(memp_fput(mpf, page, 0));
	}
	printf("re-read all pages in the same pool after memp_fsync\n");

	/* 7. Statistics. */
	/* fsp receives a NULL-terminated array of per-file statistics; the
	 * prototype spells it DB_MPOOL_FSTAT *(*fsp)[], as db_mpool(3) does. */
	CALL(memp_stat(mp, &gsp, (void *)&fsp, NULL));
	printf("memp_stat: cache %zu bytes, %lu hits, %lu misses, %lu "
	       "created, %lu read, %lu written, %lu clean + %lu dirty "
	       "evicted, %lu pages held\n",
	       gsp->st_cachesize, gsp->st_cache_hit, gsp->st_cache_miss,
	       gsp->st_page_create, gsp->st_page_in, gsp->st_page_out,
	       gsp->st_ro_evict, gsp->st_rw_evict, gsp->st_pages);
	CHECK(gsp->st_page_out >= NPAGES, "st_page_out %lu < %d",
	      gsp->st_page_out, NPAGES);
	CHECK(gsp->st_pages <= FRAMES, "st_pages %lu > %d frames",
	      gsp->st_pages, FRAMES);
	CHECK(gsp->st_page_dirty == 0, "%lu dirty pages after memp_fsync",
	      gsp->st_page_dirty);
	CHECK(fsp != NULL && fsp[0] != NULL && fsp[1] == NULL,
	      "expected exactly one per-file entry");
	if (fsp != NULL && fsp[0] != NULL) {
		printf("  file %s: page size %zu, %lu hits, %lu misses, "
		       "%lu written\n",
		       fsp[0]->file_name, fsp[0]->st_pagesize,
		       fsp[0]->st_cache_hit, fsp[0]->st_cache_miss,
		       fsp[0]->st_page_out);
		CHECK(fsp[0]->st_pagesize == PAGESIZE, "page size %zu",
		      fsp[0]->st_pagesize);
		CHECK(fsp[0]->file_name != NULL &&
			  strstr(fsp[0]->file_name, "demo.db") != NULL,
		      "file name %s",
		      fsp[0]->file_name ? fsp[0]->file_name : "(null)");
	}
	free(gsp); /* each block is one allocation */
	free(fsp);

	/* 8. Close, then read the file back in a fresh pool. */
	CALL(memp_fclose(mpf));
	CALL(memp_close(mp));
	key = 42;
	CALL(memp_open(NULL, DB_CREATE | DB_MPOOL_PRIVATE | DB_THREAD, 0, &env,
		       &mp));
	CALL(memp_register(mp, FTYPE, pgin, pgout));
	CALL(memp_fopen(mp, path, FTYPE, 0, 0, PAGESIZE, -1, &cookie, NULL,
			&mpf));
	CALL(memp_fget(mpf, &pgno, DB_MPOOL_LAST, &page));
	CHECK(pgno == first + NPAGES - 1, "DB_MPOOL_LAST is page %u", pgno);
	CHECK(differences(page, pgno, 0) == 0, "last page wrong in new pool");
	CALL(memp_fput(mpf, page, 0));
	for (db_pgno_t i = 0; i < NPAGES; i++) {
		pgno = first + i;
		CALL(memp_fget(mpf, &pgno, 0, &page));
		CHECK(differences(page, pgno, is_touched(i) ? 1 : 0) == 0,
		      "page %u wrong in the new pool", pgno);
		CALL(memp_fput(mpf, page, 0));
	}
	printf("re-opened the file in a new pool: last page %u, all pages "
	       "read back through pgin\n",
	       pgno);
	CALL(memp_fclose(mpf));
	CALL(memp_close(mp));

	unlink(path);

	/* 9. A pool shared between processes: its region lives in `dir`; a
	 * child joins it, dirties a page, and the parent sees the change with
	 * no read. */
	char spath[600];
	snprintf(spath, sizeof(spath), "%s/shared.db", dir);
	CALL(memp_open(dir, DB_CREATE | DB_THREAD, 0600, &env, &mp));
	CALL(memp_fopen(mp, spath, 0, DB_CREATE, 0600, PAGESIZE, -1, NULL, NULL,
			&mpf));
	pgno = 0;
	CALL(memp_fget(mpf, &pgno, DB_MPOOL_CREATE, &page));
	CALL(memp_fput(mpf, page, 0));
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		DB_MPOOL *cmp;
		DB_MPOOLFILE *cmpf;
		void *cpage;
		db_pgno_t zero = 0;
		if (memp_open(dir, DB_THREAD, 0, NULL, &cmp) != 0 ||
		    memp_fopen(cmp, spath, 0, 0, 0, PAGESIZE, -1, NULL, NULL,
			       &cmpf) != 0 ||
		    memp_fget(cmpf, &zero, 0, &cpage) != 0)
			_exit(1);
		snprintf(cpage, PAGESIZE, "written by process %d",
			 (int)getpid());
		if (memp_fput(cmpf, cpage, DB_MPOOL_DIRTY) != 0 ||
		    memp_fclose(cmpf) != 0 || memp_close(cmp) != 0)
			_exit(1);
		_exit(0);
	}
	int wstatus = 0;
	CHECK(child > 0 && waitpid(child, &wstatus, 0) == child &&
		  WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0,
	      "the child process failed");
	char expect[64];
	snprintf(expect, sizeof(expect), "written by process %d", (int)child);
	CALL(memp_fget(mpf, &pgno, 0, &page));
	CHECK(strcmp(page, expect) == 0, "the child's change is not seen");
	printf("shared pool in %s: the parent sees \"%s\" from the cache\n",
	       dir, (char *)page);
	CALL(memp_fput(mpf, page, 0));
	CHECK(memp_unlink(dir, 0, NULL) == EBUSY,
	      "memp_unlink of a pool in use is not EBUSY");
	CALL(memp_fsync(mpf));
	CALL(memp_fclose(mpf));
	CALL(memp_close(mp));
	CALL(memp_unlink(dir, 0, NULL));
	unlink(spath);

	rmdir(dir);
	if (failures != 0) {
		printf("demo: FAILED (%d checks)\n", failures);
		return 1;
	}
	printf("demo: OK\n");
	return 0;
}
