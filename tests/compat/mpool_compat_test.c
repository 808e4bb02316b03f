/*
 * <mpool.h> after a classic <db.h>: the stand-in tests/compat/db.h defines
 * _DB_H_, pgno_t and DBT, as 4.4BSD, glibc <= 2.1 and Berkeley DB 1.85 do;
 * <mpool.h> must then use those and define neither again. Compiled as C11
 * with the project's warnings (-Werror). Then a short run of the API from
 * C, both mpool_new forms included.
 *
 * Prints "mpool_compat: N passed, M failed"; exits non-zero if M > 0.
 */
#include <db.h>

#ifndef LFMPOOL_TEST_CLASSIC_DB_H
#error "expected the stand-in tests/compat/db.h, not a system <db.h>"
#endif

#include <mpool.h>

#ifdef LFMPOOL_MPOOL_DBT
#error "<mpool.h> defined DBT again after a classic <db.h>"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* pgno_t and DBT are the classic header's. */
_Static_assert(_Generic((pgno_t)0, unsigned int : 1, default : 0),
	       "pgno_t is unsigned int");
_Static_assert(sizeof(DBT) == sizeof(void *) + sizeof(size_t),
	       "DBT is the classic {data, size}");

/* The prototypes are the FreeBSD ones. */
static MPOOL *(*const open_fn)(void *, int, pgno_t, pgno_t) = mpool_open;
static void (*const filter_fn)(MPOOL *, void (*)(void *, pgno_t, void *),
			       void (*)(void *, pgno_t, void *),
			       void *) = mpool_filter;
static void *(*const new_fn)(MPOOL *, pgno_t *, unsigned int) = (mpool_new);
static int (*const delete_fn)(MPOOL *, void *) = mpool_delete;
static void *(*const get_fn)(MPOOL *, pgno_t, unsigned int) = mpool_get;
static int (*const put_fn)(MPOOL *, void *, unsigned int) = mpool_put;
static int (*const sync_fn)(MPOOL *) = mpool_sync;
static int (*const close_fn)(MPOOL *) = mpool_close;

#define PS 512u

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

struct counts {
	int in, out, bad_cookie;
};

static struct counts hooks;

static void count_in(void *cookie, pgno_t pgno, void *page)
{
	(void)pgno;
	(void)page;
	if (cookie != &hooks)
		hooks.bad_cookie++;
	hooks.in++;
}

static void count_out(void *cookie, pgno_t pgno, void *page)
{
	(void)pgno;
	(void)page;
	if (cookie != &hooks)
		hooks.bad_cookie++;
	hooks.out++;
}

static void fill(void *page, pgno_t pgno)
{
	unsigned char *p = page;
	size_t i;

	for (i = 0; i < PS; i++)
		p[i] = (unsigned char)(pgno * 31u + i);
}

static int is_fill(const void *page, pgno_t pgno)
{
	const unsigned char *p = page;
	size_t i;

	for (i = 0; i < PS; i++)
		if (p[i] != (unsigned char)(pgno * 31u + i))
			return 0;
	return 1;
}

static int is_zero(const void *page)
{
	const unsigned char *p = page;
	size_t i;

	for (i = 0; i < PS; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void run(int fd)
{
	MPOOL *mp;
	pgno_t pg, next, req;
	int ins;
	void *p, *q, *r;
	unsigned char buf[PS];
	char keybytes[] = "lfm-compat-key";

	/* A key (a NUL-terminated byte string) shares the pool between
	 * processes through a region in TMPDIR; the last close removes it. */
	mp = open_fn(keybytes, fd, PS, 4);
	CHECK(mp != NULL);
	CHECK(mp != NULL && mpool_close(mp) == 0);
	errno = 0;
	CHECK(mpool_open(NULL, fd, 0, 4) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(mpool_open(NULL, -1, PS, 4) == NULL && errno == EBADF);

	mp = open_fn(NULL, fd, PS, 4);
	CHECK(mp != NULL);
	if (mp == NULL)
		return;
	filter_fn(mp, count_in, count_out, &hooks);

	/* The 4.4BSD two-argument form: the next page, 0 on an empty file. */
	pg = 99;
	p = mpool_new(mp, &pg);
	CHECK(p != NULL && pg == 0 && is_zero(p));
	if (p != NULL) {
		fill(p, pg);
		CHECK(mpool_put(mp, p, MPOOL_DIRTY) == 0);
	}
	/* The FreeBSD three-argument form. */
	next = 99;
	q = mpool_new(mp, &next, MPOOL_PAGE_NEXT);
	CHECK(q != NULL && next == 1 && is_zero(q));
	if (q != NULL) {
		fill(q, next);
		CHECK(put_fn(mp, q, MPOOL_DIRTY) == 0);
	}
	req = 3;
	r = new_fn(mp, &req, MPOOL_PAGE_REQUEST);
	CHECK(r != NULL && req == 3 && is_zero(r));
	errno = 0;
	CHECK(mpool_new(mp, &req, MPOOL_PAGE_REQUEST) == NULL &&
	      errno == EEXIST);
	if (r != NULL)
		CHECK(delete_fn(mp, r) == 0);
	errno = 0;
	CHECK(mpool_new(mp, &req, 0) == NULL && errno == EINVAL);
	/* Page 2, between the old end and the requested page 3. */
	p = mpool_get(mp, 2, 0);
	CHECK(p != NULL && is_zero(p));
	if (p != NULL)
		CHECK(mpool_put(mp, p, 0) == 0);

	p = get_fn(mp, 0, 0);
	CHECK(p != NULL && is_fill(p, 0));
	if (p != NULL) {
		CHECK(mpool_put(mp, p, 0) == 0);
		errno = 0;
		CHECK(mpool_put(mp, p, 0) == -1 && errno == EINVAL);
	}
	p = mpool_get(mp, 1, MPOOL_IGNOREPIN);
	CHECK(p != NULL && is_fill(p, 1));
	errno = 0;
	CHECK(mpool_put(mp, p, 0) == -1 && errno == EINVAL);
	errno = 0;
	CHECK(mpool_get(mp, 4, 0) == NULL && errno == EINVAL);

	CHECK(sync_fn(mp) == 0);
	CHECK(hooks.out == 2);
	CHECK(close_fn(mp) == 0);
	CHECK(fcntl(fd, F_GETFD) != -1);
	CHECK(pread(fd, buf, PS, 1 * PS) == (ssize_t)PS && is_fill(buf, 1));
	CHECK(pread(fd, buf, PS, 0) == (ssize_t)PS && is_fill(buf, 0));

	/* Reopen: pgin runs for the read. */
	mp = mpool_open(NULL, fd, PS, 1);
	CHECK(mp != NULL);
	if (mp == NULL)
		return;
	mpool_filter(mp, count_in, count_out, &hooks);
	ins = hooks.in;
	p = mpool_get(mp, 1, 0);
	CHECK(p != NULL && is_fill(p, 1));
	CHECK(hooks.in == ins + 1);
	if (p != NULL)
		CHECK(mpool_put(mp, p, 0) == 0);
	CHECK(hooks.bad_cookie == 0);
	CHECK(mpool_close(mp) == 0);
}

int main(void)
{
	const char *base = getenv("TEST_TMPDIR");
	char dir[4096], path[4200];
	int fd;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(dir, sizeof dir, "%s/mpool_compat.XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof path, "%s/compat.db", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd >= 0) {
		run(fd);
		CHECK(close(fd) == 0);
	}
	unlink(path);
	rmdir(dir);
	printf("mpool_compat: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
