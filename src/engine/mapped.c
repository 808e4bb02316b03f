/* mapped.c - mapped read-only files: their pages are served from the
 * mapping; the entry points of the general get, put and set send every
 * other page to getput.c. */
#include "getput.h"
#include "hit.h"
#include "stats.h"

#include <errno.h>

/* A page of a mapped read-only file: served from the mapping, unpinned,
 * counted in st_map. */
static int map_get(struct lfm__fh *mpf, uint32_t *pgnoaddr, unsigned long flags,
		   void **pagep)
{
	uint64_t pgno = *pgnoaddr;
	*pagep = NULL; /* what a failed get leaves, as lfm__buf_get's */
	if (flags & LFM_GET_NEW)
		return EINVAL; /* read-only */
	if (flags & LFM_GET_LAST)
		pgno = mpf->map_pages - 1;
	if (pgno >= mpf->map_pages) {
		if (!(flags & LFM_GET_CREATE))
			return EINVAL; /* missing */
		/* Past the mapping: created in the cache, as for any
		 * read-only file (never written). */
		return lfm__buf_get(mpf, pgnoaddr, flags, pagep);
	}
	size_t ps = lfm__files(mpf->mp->rh)[mpf->slot].pagesize;
	lfm__stat_add(lfm__tls(mpf->mp), mpf->mp->rh, mpf->slot, LFM_ST_MAP, 1);
	*pgnoaddr = (uint32_t)pgno;
	*pagep = (void *)(mpf->map + pgno * ps);
	return 0;
}

/* Whether p is the start of a page of mpf's mapping. */
static int in_map(struct lfm__fh *mpf, const void *p)
{
	if (mpf->map == NULL || (const char *)p < mpf->map ||
	    (const char *)p >= mpf->map + mpf->map_len)
		return 0;
	size_t ps = lfm__files(mpf->mp->rh)[mpf->slot].pagesize;
	return (size_t)((const char *)p - mpf->map) % ps == 0;
}

int lfm__get(struct lfm__fh *mpf, uint32_t *pgnoaddr, unsigned long flags,
	     void **pagep)
{
	/* A mapped file that someone has since opened for writing is read
	 * through the cache: its newest pages may be there. */
	if (mpf->map != NULL &&
	    !atomic_load_explicit(&lfm__files(mpf->mp->rh)[mpf->slot].rw_opened,
				  memory_order_acquire))
		return map_get(mpf, pgnoaddr, flags, pagep);
	return lfm__buf_get(mpf, pgnoaddr, flags, pagep);
}

int lfm__put(struct lfm__fh *mpf, void *pgaddr, unsigned long flags)
{
	if (in_map(mpf, pgaddr))
		return flags & LFM_PUT_DIRTY ? EACCES : 0;
	return lfm__buf_put(mpf, pgaddr, flags);
}

int lfm__set(struct lfm__fh *fh, void *page, unsigned long flags)
{
	if (in_map(fh, page))
		return flags & LFM_PUT_DIRTY ? EACCES : 0;
	return lfm__buf_set(fh, page, flags);
}
