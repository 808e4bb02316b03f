/* memp_file.c - memp_fopen and memp_fclose: db_mpool(3)'s rules for files,
 * on the engine's file registry. */
#include "memp_adapter.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define FOPEN_FLAGS (DB_CREATE | DB_NOMMAP | DB_RDONLY)

int memp_fopen(DB_MPOOL *mp, char *file, int ftype, int flags, int mode,
	       size_t pagesize, int lsn_offset, DBT *pgcookie, u_int8_t *uid,
	       DB_MPOOLFILE **mpf)
{
	if (mp == NULL || mpf == NULL || (flags & ~FOPEN_FLAGS) != 0 ||
	    !lfm__pool_pagesize_ok(lfm__pool_of(mp), pagesize) ||
	    lsn_offset < -1 ||
	    (lsn_offset >= 0 && (size_t)lsn_offset + sizeof(DB_LSN) > pagesize))
		return EINVAL;
	/* Before the file is opened (or created): bad input changes nothing. */
	if (pgcookie != NULL &&
	    (pgcookie->size > DB_MPOOL_PGCOOKIE_MAX ||
	     (pgcookie->data == NULL && pgcookie->size != 0)))
		return EINVAL;
	int rdonly = (flags & DB_RDONLY) != 0;
	if (file == NULL && rdonly)
		return EINVAL;
	if (file != NULL && strlen(file) >= LFM_NAME_MAX)
		return ENAMETOOLONG;

	int fd;
	if (file == NULL) {
		fd = lfm__file_temp();
		if (fd < 0)
			return -fd;
	} else {
		int oflags = (rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
		if (flags & DB_CREATE)
			oflags |= O_CREAT;
		fd = open(file, oflags, mode);
		if (fd < 0)
			return errno;
	}
	struct lfm__attach a = {
	    .name = file,
	    .ftype = ftype,
	    .rdonly = rdonly,
	    .pagesize = pagesize,
	    .lsn_offset = lsn_offset,
	    .cookie = pgcookie != NULL ? pgcookie->data : NULL,
	    .cookie_size = pgcookie != NULL ? pgcookie->size : 0,
	    .uid = uid,
	    /* Files needing no pgin conversion, as in Berkeley DB (the
	     * pool's DB_NOMMAP is the engine's nomap). */
	    .may_map = rdonly && ftype == 0 && !(flags & DB_NOMMAP),
	    .nomap = (flags & DB_NOMMAP) != 0,
	};
	struct lfm__fh *fh;
	int rc = lfm__file_attach(lfm__pool_of(mp), fd, &a, &fh);
	if (rc == 0)
		*mpf = memp_file_handle(fh);
	return rc;
}

int memp_fclose(DB_MPOOLFILE *mpf)
{
	if (mpf == NULL)
		return EINVAL;
	return lfm__file_detach(lfm__fh_of(mpf));
}

_Static_assert(DB_MPOOL_PGCOOKIE_MAX == LFM_PGCOOKIE_MAX,
	       "the public cookie limit is the engine's");
