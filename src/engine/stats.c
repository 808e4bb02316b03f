/* stats.c - memp_stat's figures for a pool and the files this process
 * has open (engine.h): the region's sums (stat_read.h), which the adapters
 * copy out. */
#include "pool.h"
#include "ioq.h"
#include "stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void lfm__pool_stat(struct lfm__pool *mp, struct lfm__pstat *g)
{
	lfm__stat_pool(mp->rh, g);
	g->st_io_engine = (uint64_t)lfm__ioq_engine(mp);
}

int lfm__pool_file_stats(struct lfm__pool *mp, struct lfm__fstat **out,
			 size_t *n)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__file *files = lfm__files(rh);
	lfm__pmutex_lock_ranked(&mp->lock, LFM_RANK_POOL);
	size_t nf = 0, names = 0;
	for (uint32_t i = 0; i < rh->nfiles_max; i++) {
		if (mp->pfiles[i].nopen > 0) {
			nf++;
			names += strlen(files[i].path) + 1;
		}
	}
	/* One block: the entries, then the names. */
	struct lfm__fstat *st = malloc(nf * sizeof(*st) + names + 1);
	if (st == NULL) {
		lfm__pmutex_unlock_ranked(&mp->lock);
		return ENOMEM;
	}
	char *name = (char *)(st + nf);
	/* The caches read once for every file; each file's own read if
	 * this cannot be had. */
	uint64_t *live = malloc(rh->nfiles_max * sizeof(*live));
	if (live != NULL)
		lfm__stat_live_hits(rh, live);
	size_t k = 0;
	for (uint32_t i = 0; i < rh->nfiles_max; i++) {
		if (mp->pfiles[i].nopen == 0)
			continue;
		struct lfm__fstat *e = &st[k++];
		lfm__stat_file(rh, i, live, e);
		size_t len = strlen(files[i].path) + 1;
		memcpy(name, files[i].path, len);
		e->file_name = name;
		name += len;
	}
	lfm__pmutex_unlock_ranked(&mp->lock);
	free(live);
	*out = st;
	*n = nf;
	return 0;
}
