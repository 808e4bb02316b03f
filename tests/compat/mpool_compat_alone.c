/*
 * <mpool.h> on its own, from C11: it defines pgno_t and its own DBT, and
 * both mpool_new forms compile.
 *
 * Prints "mpool_compat_alone: N passed, M failed"; exits non-zero if M > 0.
 */
#include <mpool.h>

#ifndef LFMPOOL_MPOOL_DBT
#error "<mpool.h> alone should define DBT"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Static_assert(_Generic((pgno_t)0, unsigned int : 1, default : 0),
	       "pgno_t is unsigned int");

static int passed, failed;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (cond) {                                                    \
			passed++;                                              \
		} else {                                                       \
			failed++;                                              \
			fprintf(stderr,                                        \
				"%s:%d: CHECK(%s) failed (errno %d)\n",        \
				__FILE__, __LINE__, #cond, errno);             \
		}                                                              \
	} while (0)

static void run(int fd)
{
	MPOOL *mp;
	pgno_t a = 7, b = 7;
	void *pa, *pb;
	char keybytes[] = "lfm-compat-alone-key";

	/* A key shares the pool (a region in TMPDIR, gone at the last close).
	 */
	mp = mpool_open(keybytes, fd, 256, 2);
	CHECK(mp != NULL);
	CHECK(mp != NULL && mpool_close(mp) == 0);

	mp = mpool_open(NULL, fd, 256, 2);
	CHECK(mp != NULL);
	if (mp == NULL)
		return;
	pa = mpool_new(mp, &a);
	pb = mpool_new(mp, &b, MPOOL_PAGE_NEXT);
	CHECK(pa != NULL && a == 0);
	CHECK(pb != NULL && b == 1);
	if (pa != NULL) {
		memset(pa, 'A', 256);
		CHECK(mpool_put(mp, pa, MPOOL_DIRTY) == 0);
	}
	if (pb != NULL)
		CHECK(mpool_put(mp, pb, 0) == 0);
	CHECK(mpool_sync(mp) == 0);
	CHECK(mpool_close(mp) == 0);
	CHECK(lseek(fd, 0, SEEK_END) >= 256);
}

int main(void)
{
	const char *base = getenv("TEST_TMPDIR");
	char dir[4096], path[4200];
	int fd;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(dir, sizeof dir, "%s/mpool_alone.XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof path, "%s/alone.db", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd >= 0) {
		run(fd);
		CHECK(close(fd) == 0);
	}
	unlink(path);
	rmdir(dir);
	printf("mpool_compat_alone: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
