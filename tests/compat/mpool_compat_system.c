/*
 * <mpool.h> after the system's Berkeley DB headers, as mpool(3)'s SYNOPSIS
 * has it (<db.h>, then <mpool.h>): Debian's libdb5.3-dev, which install.sh
 * installs, has a <db.h> that defines DBT and db_pgno_t but no pgno_t,
 * and a <db_185.h> (LFM_COMPAT_DB185) that defines both, as a classic
 * <db.h> does. <mpool.h> must compile after either (C11, the project's
 * warnings, -Werror), define pgno_t only where the header did not, never
 * define DBT again, and work.
 *
 * Prints "mpool_compat_system: N passed, M failed"; exits non-zero if M > 0.
 */
#ifdef LFM_COMPAT_DB185
#include <db_185.h>
#ifndef _DB_185_H_
#error "expected Berkeley DB's <db_185.h>"
#endif
#else
#include <db.h>
#if !defined(_DB_H_) || !defined(DB_VERSION_MAJOR)
#error "expected Berkeley DB's <db.h> (libdb5.3-dev), not a classic one"
#endif
#endif

#include <mpool.h>

#ifdef LFMPOOL_MPOOL_DBT
#error "<mpool.h> defined DBT again after a <db.h> that has one"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Static_assert(sizeof(pgno_t) == 4 && (pgno_t)-1 > 0,
	       "pgno_t is a 32-bit unsigned page number");
#ifndef LFM_COMPAT_DB185
/* Berkeley DB's own DBT, with its ulen, dlen, doff fields. */
_Static_assert(sizeof(((DBT *)0)->ulen) == 4, "DBT is <db.h>'s");
#endif

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

/* A page written through the pool reaches the file. */
static void run(int fd)
{
	unsigned char buf[PS];
	pgno_t pg = 99;
	MPOOL *mp = mpool_open(NULL, fd, PS, 4);
	CHECK(mp != NULL);
	if (mp == NULL)
		return;
	void *p = mpool_new(mp, &pg, MPOOL_PAGE_NEXT);
	CHECK(p != NULL && pg == 0);
	if (p != NULL) {
		memset(p, 0x6b, PS);
		CHECK(mpool_put(mp, p, MPOOL_DIRTY) == 0);
	}
	CHECK(mpool_sync(mp) == 0);
	CHECK(mpool_close(mp) == 0);
	memset(buf, 0, sizeof(buf));
	CHECK(pread(fd, buf, PS, 0) == (ssize_t)PS && buf[0] == 0x6b &&
	      buf[PS - 1] == 0x6b);
}

int main(void)
{
	const char *base = getenv("TEST_TMPDIR");
	char path[4200];

	if (base == NULL || *base == '\0')
		base = "/tmp";
	snprintf(path, sizeof path, "%s/compat_system.XXXXXX", base);
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd >= 0) {
		run(fd);
		CHECK(close(fd) == 0);
		unlink(path);
	}
	printf("mpool_compat_system: %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
