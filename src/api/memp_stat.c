/* memp_stat.c - memp_stat: the engine's figures in Berkeley DB's
 * structures, allocated with the caller's function. */
#include "memp_adapter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define COPY(d, s, f) ((d)->f = (s)->f)

/* The gauges by hand; the counters as the statistics table
 * (stat_table.h) lists them for a pool and for a file. */
static void pool_stat(DB_MPOOL_STAT *g, const struct lfm__pstat *s)
{
	memset(g, 0, sizeof(*g));
	COPY(g, s, st_cachesize);
	COPY(g, s, st_hash_buckets);
	COPY(g, s, st_page_clean);
	COPY(g, s, st_page_dirty);
	COPY(g, s, st_pages);
	COPY(g, s, st_io_engine);
#define POOL_COPY(f, c, k, sc, n, t) LFM__IF_POOL_##sc(COPY(g, s, st_##f);)
	LFM_STATS(POOL_COPY)
#undef POOL_COPY
}

static void file_stat(DB_MPOOL_FSTAT *e, const struct lfm__fstat *s)
{
	memset(e, 0, sizeof(*e));
	COPY(e, s, st_pagesize);
#define FILE_COPY(f, c, k, sc, n, t) LFM__IF_FILE_##sc(COPY(e, s, st_##f);)
	LFM_STATS(FILE_COPY)
#undef FILE_COPY
}

/* `fsp` is, as in Berkeley DB 2.x, the address of the caller's
 * DB_MPOOL_FSTAT ** variable: the array pointer is stored there. */
int memp_stat(DB_MPOOL *mp, DB_MPOOL_STAT **gsp, DB_MPOOL_FSTAT *(*fsp)[],
	      void *(*db_malloc)(size_t))
{
	if (mp == NULL)
		return EINVAL;
	void *(*alloc)(size_t) = db_malloc != NULL ? db_malloc : malloc;
	struct lfm__pool *p = lfm__pool_of(mp);

	if (gsp != NULL) {
		DB_MPOOL_STAT *g = alloc(sizeof(*g));
		if (g == NULL)
			return ENOMEM;
		struct lfm__pstat s;
		lfm__pool_stat(p, &s);
		pool_stat(g, &s);
		*gsp = g;
	}
	if (fsp == NULL)
		return 0;
	struct lfm__fstat *fs;
	size_t nf;
	if (lfm__pool_file_stats(p, &fs, &nf) != 0)
		return ENOMEM; /* *gsp, if filled, is the caller's */
	if (nf == 0) {
		free(fs);
		*(DB_MPOOL_FSTAT ***)fsp = NULL;
		return 0;
	}
	size_t names = 0;
	for (size_t k = 0; k < nf; k++)
		names += strlen(fs[k].file_name) + 1;
	/* One block: the NULL-terminated array, the structures and the
	 * names, so one free() releases it all. */
	size_t sz = (nf + 1) * sizeof(DB_MPOOL_FSTAT *) +
		    nf * sizeof(DB_MPOOL_FSTAT) + names;
	char *blk = alloc(sz);
	if (blk == NULL) {
		free(fs);
		return ENOMEM;
	}
	DB_MPOOL_FSTAT **arr = (DB_MPOOL_FSTAT **)blk;
	DB_MPOOL_FSTAT *st = (DB_MPOOL_FSTAT *)(arr + nf + 1);
	char *name = (char *)(st + nf);
	for (size_t k = 0; k < nf; k++) {
		file_stat(&st[k], &fs[k]);
		size_t len = strlen(fs[k].file_name) + 1;
		memcpy(name, fs[k].file_name, len);
		st[k].file_name = name;
		name += len;
		arr[k] = &st[k];
	}
	arr[nf] = NULL;
	free(fs);
	*(DB_MPOOL_FSTAT ***)fsp = arr;
	return 0;
}
