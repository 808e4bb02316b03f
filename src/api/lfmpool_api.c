/* lfmpool_api.c - the native API (include/lfmpool.h): its argument rules
 * on the engine's pools, files and pages. Its handles are the engine's
 * objects under the API's type names, as db_mpool(3)'s are. */
#include "lfmpool.h"

#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#define OPEN_FLAGS                                                             \
	(LFMPOOL_CREATE | LFMPOOL_PRIVATE | LFMPOOL_FLUSHERS |                 \
	 LFMPOOL_DIRECT | LFMPOOL_LARGE_TCACHE)
#define FOPEN_FLAGS (LFMPOOL_FCREATE | LFMPOOL_RDONLY)
#define GET_FLAGS   (LFMPOOL_GET_CREATE | LFMPOOL_GET_LAST | LFMPOOL_GET_NEW)
#define PUT_FLAGS   (LFMPOOL_PUT_CLEAN | LFMPOOL_PUT_DIRTY | LFMPOOL_PUT_DISCARD)

#define DEFAULT_BYTES (128 * 1024)
#define MIN_BYTES     (20 * 1024)

/* The inline calls read the engine's objects through the header's copy of
 * their layout: it must be the engine's (engine.h). */
#define SAME(a, fa, b, fb)                                                     \
	_Static_assert(offsetof(a, fa) == offsetof(b, fb) &&                   \
			   sizeof(((a *)0)->fa) == sizeof(((b *)0)->fb),       \
		       #a "." #fa)
_Static_assert(LFMPOOL_FAST_ABI == LFM_FAST_ABI, "the fast path's layout");
SAME(struct lfmpool__entry, word, struct lfm__fast_entry, word);
SAME(struct lfmpool__entry, tag, struct lfm__fast_entry, tag);
SAME(struct lfmpool__bucket, head, struct lfm__fast_bucket, head);
SAME(struct lfmpool__thread, serial, struct lfm__fast_thread, serial);
SAME(struct lfmpool__thread, tc, struct lfm__fast_thread, tc);
SAME(struct lfmpool__thread, tc_mask, struct lfm__fast_thread, tc_mask);
SAME(struct lfmpool__thread, guard_ops, struct lfm__fast_thread, guard_ops);
SAME(struct lfmpool__file, serial, struct lfm__fast_file, serial);
SAME(struct lfmpool__file, put_serial, struct lfm__fast_file, put_serial);
SAME(struct lfmpool__file, tag_hi, struct lfm__fast_file, tag_hi);
SAME(struct lfmpool__file, shiftp, struct lfm__fast_file, shiftp);
SAME(struct lfmpool__file, buckets, struct lfm__fast_file, buckets);
SAME(struct lfmpool__file, data, struct lfm__fast_file, data);
SAME(struct lfmpool__file, bshift, struct lfm__fast_file, bshift);
SAME(struct lfmpool__file, limit, struct lfm__fast_file, limit);
_Static_assert(sizeof(struct lfmpool__entry) == sizeof(struct lfm__fast_entry),
	       "an entry");
_Static_assert(sizeof(struct lfmpool__bucket) ==
		   sizeof(struct lfm__fast_bucket),
	       "a bucket");
SAME(struct lfmpool__guard, busy, struct lfm__fast_guard, busy);
SAME(struct lfmpool__guard, plain, struct lfm__fast_guard, plain);
_Static_assert(LFMPOOL__GUARD_OFF == LFM_FAST_GUARD_OFF &&
		   LFMPOOL__GUARD_PERIOD == LFM_FAST_GUARD_PERIOD,
	       "the guard");
_Static_assert(LFMPOOL__REF == LFM_FAST_REF &&
		   LFMPOOL__MAXPINS == LFM_FAST_COUNT_MAX &&
		   LFM_FAST_FRAME_SHIFT == 32,
	       "an entry word");
/* The flags are the engine's, so translating them is the identity. */
_Static_assert(LFMPOOL_GET_CREATE == LFM_GET_CREATE &&
		   LFMPOOL_GET_LAST == LFM_GET_LAST &&
		   LFMPOOL_GET_NEW == LFM_GET_NEW,
	       "get flags");
_Static_assert(LFMPOOL_PUT_CLEAN == LFM_PUT_CLEAN &&
		   LFMPOOL_PUT_DIRTY == LFM_PUT_DIRTY &&
		   LFMPOOL_PUT_DISCARD == LFM_PUT_DISCARD,
	       "put flags");
_Static_assert(LFMPOOL_INCOMPLETE == LFM_INCOMPLETE, "a sync's answer");

static struct lfm__pool *pool_of(lfmpool *p)
{
	return (struct lfm__pool *)(void *)p;
}

static struct lfm__fh *fh_of(lfmpool_file *f)
{
	return (struct lfm__fh *)(void *)f;
}

/* Native pools register no page functions: every file's type is 0, its
 * pages stored as they are. A process of a shared pool never writes the
 * pages of a file whose type another process registered (rule 20). */
static int no_page_fn(void *arg, lfm__fnptr fn, uint32_t pgno, void *page,
		      const void *cookie, uint32_t cookie_size)
{
	(void)arg, (void)fn, (void)pgno, (void)page, (void)cookie,
	    (void)cookie_size;
	return EINVAL;
}

static int no_logflush(lfm__fnptr fn, void *arg, const struct lfm__lsn *lsn)
{
	(void)fn, (void)arg, (void)lsn;
	return EINVAL;
}

static const struct lfm__calls native_calls = {
    .page = no_page_fn,
    .logflush = no_logflush,
};

int lfmpool_open(const char *home, size_t cache_bytes, unsigned flags, int mode,
		 lfmpool **poolp)
{
	if (poolp == NULL || (flags & ~(unsigned)OPEN_FLAGS) != 0 ||
	    (cache_bytes != 0 && cache_bytes < MIN_BYTES))
		return EINVAL;
	struct lfm__pool_geom g = {
	    .cache_bytes = cache_bytes != 0 ? cache_bytes : DEFAULT_BYTES,
	    /* Beyond the engine's largest: its largest. */
	    .tc_cap_entries = flags & LFMPOOL_LARGE_TCACHE ? UINT64_MAX : 0,
	};
	struct lfm__pool_opts o = {
	    .calls = &native_calls,
	    .create = (flags & LFMPOOL_CREATE) != 0,
	    .mode = mode,
	    .size_given = cache_bytes != 0,
	    .nomap = 0,
	    .direct = (flags & LFMPOOL_DIRECT) != 0,
	    .mmapsize = 0, /* no file is mapped instead of cached */
	};
	char path[PATH_MAX];
	int rc = 0;
	if (!(flags & LFMPOOL_PRIVATE))
		rc = lfm__pool_dir_path(home, path, sizeof(path));
	struct lfm__pool *mp = NULL;
	if (rc == 0)
		rc = lfm__pool_open(flags & LFMPOOL_PRIVATE ? NULL : path, &g,
				    &o, &mp);
	if (rc != 0)
		return rc;
	rc = lfm__flushers_set(
	    mp, flags & LFMPOOL_FLUSHERS ? lfm__flushers_default() : 0,
	    LFM_FLUSH_PCT);
	if (rc != 0) {
		(void)lfm__pool_close(mp);
		return rc;
	}
	*poolp = (lfmpool *)(void *)mp;
	return 0;
}

int lfmpool_close(lfmpool *pool)
{
	if (pool == NULL)
		return EINVAL;
	return lfm__pool_close(pool_of(pool));
}

int lfmpool_fopen(lfmpool *pool, const char *path, size_t pagesize,
		  unsigned flags, int mode, lfmpool_file **filep)
{
	if (pool == NULL || path == NULL || filep == NULL ||
	    (flags & ~(unsigned)FOPEN_FLAGS) != 0 ||
	    !lfm__pool_pagesize_ok(pool_of(pool), pagesize))
		return EINVAL;
	if (strlen(path) >= LFM_NAME_MAX)
		return ENAMETOOLONG;
	int rdonly = (flags & LFMPOOL_RDONLY) != 0;
	int oflags = (rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC |
		     (flags & LFMPOOL_FCREATE ? O_CREAT : 0);
	int fd = open(path, oflags, mode);
	if (fd < 0)
		return errno;
	struct lfm__attach a = {
	    .name = path,
	    .ftype = 0,
	    .rdonly = rdonly,
	    .pagesize = pagesize,
	    .lsn_offset = -1,
	};
	struct lfm__fh *fh;
	int rc = lfm__file_attach(pool_of(pool), fd, &a, &fh);
	if (rc == 0)
		*filep = (lfmpool_file *)(void *)fh;
	return rc;
}

int lfmpool_fclose(lfmpool_file *file)
{
	if (file == NULL)
		return EINVAL;
	return lfm__file_detach(fh_of(file));
}

/* The engine's hit path first: it serves a shut guard's hits by CAS (and
 * tries to open the guard now and then), and leaves for the general path
 * for anything else. */
int lfmpool__get_slow2(lfmpool_file *file, uint32_t pgno, void **pagep)
{
	if (file == NULL || pagep == NULL)
		return EINVAL;
	return lfm__hit_get(fh_of(file), &pgno, 0, pagep);
}

int lfmpool__put_slow2(lfmpool_file *file, void *page)
{
	if (file == NULL || page == NULL)
		return EINVAL;
	return lfm__hit_put(fh_of(file), page);
}

/* The library halves that programs built against LFMPOOL_FAST_ABI 1
 * call: their inline halves pin by CAS, which stays correct (an owner's
 * own CAS never races its plain stores), so the halves are the same. */
LFM_EXPORT int lfmpool__get_slow(lfmpool_file *file, uint32_t pgno,
				 void **pagep);
LFM_EXPORT int lfmpool__put_slow(lfmpool_file *file, void *page);

int lfmpool__get_slow(lfmpool_file *file, uint32_t pgno, void **pagep)
{
	return lfmpool__get_slow2(file, pgno, pagep);
}

int lfmpool__put_slow(lfmpool_file *file, void *page)
{
	return lfmpool__put_slow2(file, page);
}

int lfmpool_get_flags(lfmpool_file *file, uint32_t *pgnop, unsigned flags,
		      void **pagep)
{
	/* At most one of CREATE, LAST and NEW. */
	if (file == NULL || pgnop == NULL || pagep == NULL ||
	    (flags & ~(unsigned)GET_FLAGS) != 0 || (flags & (flags - 1)) != 0)
		return EINVAL;
	return lfm__get(fh_of(file), pgnop, flags, pagep);
}

static int put_flags_ok(unsigned flags)
{
	return (flags & ~(unsigned)PUT_FLAGS) == 0 &&
	       (flags & (LFMPOOL_PUT_CLEAN | LFMPOOL_PUT_DIRTY)) !=
		   (LFMPOOL_PUT_CLEAN | LFMPOOL_PUT_DIRTY);
}

int lfmpool_put_flags(lfmpool_file *file, void *page, unsigned flags)
{
	if (file == NULL || page == NULL || !put_flags_ok(flags))
		return EINVAL;
	return lfm__put(fh_of(file), page, flags);
}

int lfmpool_set(lfmpool_file *file, void *page, unsigned flags)
{
	if (file == NULL || page == NULL || !put_flags_ok(flags))
		return EINVAL;
	return lfm__set(fh_of(file), page, flags);
}

int lfmpool_fsync(lfmpool_file *file)
{
	if (file == NULL)
		return EINVAL;
	return lfm__file_sync(fh_of(file), 0);
}

int lfmpool_prefetch(lfmpool_file *file, const uint32_t *pgnos, size_t n,
		     size_t *startedp)
{
	size_t started = 0;
	if (file == NULL || (pgnos == NULL && n > 0))
		return EINVAL;
	int rc = lfm__prefetch(fh_of(file), pgnos, n, &started);
	if (startedp != NULL)
		*startedp = started;
	return rc;
}

int lfmpool_set_prefetch_depth(lfmpool *pool, int depth)
{
	if (pool == NULL || depth < 1)
		return EINVAL;
	return lfm__prefetch_depth(pool_of(pool), (unsigned)depth);
}

int lfmpool_set_flushers(lfmpool *pool, int n, int clean_pct)
{
	if (pool == NULL || n < 0 || n > LFM_FLUSH_MAX || clean_pct < 0 ||
	    clean_pct > 99)
		return EINVAL;
	return lfm__flushers_set(pool_of(pool), n,
				 clean_pct == 0 ? LFM_FLUSH_PCT : clean_pct);
}
