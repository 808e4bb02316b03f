/* file.c - attaching files to a pool and detaching them: the file registry. */
#include "pfile.h"
#include "lockrank.h"
#include "getput.h"
#include "fcookie.h"
#include "filesync.h"
#include "pool.h"
#include "shm.h"
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int lfm__file_temp(void)
{
	char path[LFM_PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/lfmpool.XXXXXX", lfm__shm_tmpdir());
	int fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Gone from the directory at once: nothing is left behind even if
	 * the process dies. */
	unlink(path);
	return fd;
}

static int same_identity(const struct lfm__file *f, const struct stat *st,
			 const uint8_t *uid)
{
	if (uid != NULL)
		return f->has_uid && memcmp(f->uid, uid, LFM_ID_LEN) == 0;
	return !f->has_uid && f->dev == (uint64_t)st->st_dev &&
	       f->ino == (uint64_t)st->st_ino;
}

/* The open that finds no handle of the file open in any process (the
 * first in the region, or the first after every handle was closed)
 * decides its type, LSN offset and cookie; later ones' are ignored, as in
 * Berkeley DB 2.x, whose MPOOLFILE keeps its first open's. Under
 * files_lock. */
static void adopt_file_params(struct lfm__file *f, const struct lfm__attach *a)
{
	lfm__pfile_bind_type(f, a->ftype);
	atomic_store_explicit(&f->lsn_offset, a->lsn_offset,
			      memory_order_relaxed);
	lfm__fcookie_set(f, a->cookie, a->cookie != NULL ? a->cookie_size : 0);
}

/* The file's absolute path, through /proc (it names the file this very
 * descriptor has open, whatever the caller's working directory); "" if
 * there is none (a temporary file) or it does not fit. */
static void abs_path(int fd, char *out)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, out, LFM_PATH_MAX - 1);
	if (n <= 0 || n >= LFM_PATH_MAX - 1 || out[0] != '/' ||
	    strstr(out, " (deleted)") != NULL)
		n = 0;
	out[n] = '\0';
}

/* Maps a read-only file no larger than mp_mmapsize (failure to map just
 * leaves it cached). */
static void map_file(struct lfm__pool *mp, struct lfm__fh *h, int fd,
		     const struct stat *st, size_t pagesize)
{
	size_t len = (size_t)st->st_size;
	if (len == 0 || len > mp->mmapsize)
		return;
	void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return;
	h->map = m;
	h->map_len = len;
	h->map_pages = len / pagesize;
}

void lfm__funmap(struct lfm__fh *h)
{
	if (h->map != NULL)
		munmap((void *)h->map, h->map_len);
	h->map = NULL;
}

/* The handle's copy of what the hit path reads (pool.h). A mapped handle
 * is served by memp_fget's general path only. */
static void fast_init(struct lfm__pool *mp, struct lfm__fh *h)
{
	struct lfm__region_hdr *rh = mp->rh;
	h->fast_serial = h->map == NULL ? mp->serial : LFM_NO_FAST_SERIAL;
	h->put_serial =
	    h->map == NULL && !rh->elastic ? mp->serial : LFM_NO_FAST_SERIAL;
	h->tag_hi = lfm__tag(h->slot, 0);
	h->rh = rh;
	h->shiftp = &rh->uniform_shift;
	h->buckets = lfm__buckets(rh);
	h->frames = lfm__frames(rh);
	h->data = (const char *)rh + rh->off_data;
	h->bshift = rh->bucket_shift;
	h->limit = rh->nframes_max;
	h->elastic = rh->elastic;
	h->shared = mp->plog != NULL;
}

/* The descriptor names a regular file whose size fits the page size (or
 * may be partial): 0, or the errno. */
static int check_file(struct lfm__pool *mp, int fd, const struct lfm__attach *a,
		      struct stat *st)
{
	if (fstat(fd, st) != 0)
		return errno;
	if (mp->direct) {
		/* Direct I/O moves whole sectors from aligned buffers: the
		 * frames are, when the page is. A file system that refuses
		 * O_DIRECT (tmpfs) says EINVAL here, before anything is
		 * attached. */
		if (a->pagesize % LFM_DIRECT_ALIGN != 0)
			return EINVAL;
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || (!(fl & O_DIRECT) &&
			       fcntl(fd, F_SETFL, fl | O_DIRECT) != 0))
			return errno == ENOTSUP ? EINVAL : errno;
	}
	if (!S_ISREG(st->st_mode) ||
	    (!a->partial_ok && (uint64_t)st->st_size % a->pagesize != 0))
		return EINVAL;
	/* The region keeps LFM_PGCOOKIE_MAX bytes of cookie a file. */
	if (a->cookie_size > LFM_PGCOOKIE_MAX)
		return EINVAL;
	return 0;
}

/* A free slot made the file's: its identity, path, size and counters'
 * baseline, published ACTIVE last. Under files_lock. */
static void claim_slot(struct lfm__region_hdr *rh, uint32_t slot, int fd,
		       const struct lfm__attach *a, const struct stat *st)
{
	struct lfm__file *f = &lfm__files(rh)[slot];
	f->pagesize = (uint32_t)a->pagesize;
	atomic_store_explicit(&f->openers, 0, memory_order_relaxed);
	f->temporary = a->name == NULL;
	f->has_uid = a->uid != NULL;
	f->dev = (uint64_t)st->st_dev;
	f->ino = (uint64_t)st->st_ino;
	if (a->uid != NULL)
		memcpy(f->uid, a->uid, LFM_ID_LEN);
	snprintf(f->path, sizeof(f->path), "%s",
		 a->name != NULL ? a->name : "(temporary)");
	abs_path(fd, f->apath);
	atomic_store_explicit(&f->rw_opened, 0, memory_order_relaxed);
	atomic_store_explicit(&f->npages, (uint64_t)st->st_size / a->pagesize,
			      memory_order_relaxed);
	atomic_store_explicit(&f->sync_err, 0, memory_order_relaxed);
	atomic_store_explicit(&f->unsynced, 0, memory_order_relaxed);
	for (int c = 0; c < LFM_ST_NCOUNTERS; c++)
		f->stat_base[c] = lfm__stat_total(rh, slot, c);
	atomic_store_explicit(&f->state, LFM_FILE_ACTIVE, memory_order_release);
}

/* The region's slot of the file: the one already naming it (same device
 * and inode, or unique id), else a free one claimed; the first handle in
 * this attachment binds its parameters if no other attachment has it
 * open. Returns 0 (*slotp), EINVAL (a different page size) or EMFILE.
 * Under mp->lock. */
static int find_slot(struct lfm__pool *mp, int fd, const struct lfm__attach *a,
		     const struct stat *st, uint32_t *slotp)
{
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__file *files = lfm__files(rh);
	uint64_t npages = (uint64_t)st->st_size / a->pagesize;
	int64_t slot = -1, free_slot = -1;
	int rc = 0;
	lfm__mutex_lock_ranked(&rh->files_lock, mp->lock_owner, LFM_RANK_FILES);
	for (uint32_t i = 0; i < rh->nfiles_max; i++) {
		struct lfm__file *f = &files[i];
		if (atomic_load_explicit(&f->state, memory_order_relaxed) ==
		    LFM_FILE_FREE) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (a->name != NULL && !a->borrowed &&
		    same_identity(f, st, a->uid)) {
			slot = i;
			break;
		}
	}
	if (slot >= 0) {
		struct lfm__file *f = &files[slot];
		if (f->pagesize != a->pagesize)
			rc = EINVAL;
		else if (atomic_load_explicit(&f->npages,
					      memory_order_relaxed) < npages)
			atomic_store_explicit(&f->npages, npages,
					      memory_order_relaxed);
	} else if (free_slot < 0) {
		rc = EMFILE;
	} else {
		slot = free_slot;
		claim_slot(rh, (uint32_t)slot, fd, a, st);
	}
	if (rc == 0 && mp->pfiles[slot].nopen == 0) {
		/* This attachment's first handle of the file. */
		struct lfm__file *f = &files[slot];
		if (lfm__pfile_others_open(mp, (uint32_t)slot) == 0)
			adopt_file_params(f, a);
		atomic_fetch_or_explicit(&f->openers, lfm__pfile_bit(mp),
					 memory_order_relaxed);
	}
	lfm__mutex_unlock_ranked(&rh->files_lock);
	*slotp = (uint32_t)slot;
	return rc;
}

/* This process's side of the slot: the descriptor kept for reads (the
 * first open's) and for writes (the first writable open's), the copy
 * source. Returns the descriptor if this call did not keep it, else -1.
 * Under mp->lock. */
static int hold_fd(struct lfm__pool *mp, uint32_t slot, int fd,
		   const struct lfm__attach *a, const struct stat *st)
{
	struct lfm__pfile *pf = &mp->pfiles[slot];
	if (pf->fd < 0) {
		pf->fd = fd;
		pf->borrowed = a->borrowed;
		if (!a->nomap && !mp->nomap)
			lfm__mapread_open(&pf->map, fd, (uint64_t)st->st_size);
		if (!a->rdonly)
			atomic_store_explicit(&pf->fd_rw, fd,
					      memory_order_release);
		fd = -1;
	} else if (!a->rdonly &&
		   atomic_load_explicit(&pf->fd_rw, memory_order_relaxed) < 0) {
		/* kept until memp_close */
		atomic_store_explicit(&pf->fd_rw, fd, memory_order_release);
		fd = -1;
	}
	/* The file may have grown since the mapping was made. */
	lfm__mapread_learn(&pf->map, (uint64_t)st->st_size);
	if (a->nomap || mp->nomap)
		lfm__mapread_disable(&pf->map);
	pf->nopen++;
	return fd;
}

/* The handle: its slot, its statistics, a mapping if it may have one, the
 * hit path's copies; linked into the pool's list. Under mp->lock. */
static void build_handle(struct lfm__pool *mp, struct lfm__fh *h, uint32_t slot,
			 const struct lfm__attach *a, const struct stat *st)
{
	struct lfm__file *fl = &lfm__files(mp->rh)[slot];
	h->mp = mp;
	h->slot = slot;
	h->rdonly = a->rdonly;
	h->file = fl;
	h->stats_off = mp->rh->handle_stats_off +
		       (uint64_t)slot * LFM_ST_NCOUNTERS * sizeof(uint64_t);
	if (!a->rdonly)
		atomic_store_explicit(&fl->rw_opened, 1, memory_order_release);
	/* Mapped only while nothing in this process can write the file, so
	 * the cache holds no newer page than the file (memp_fget rechecks on
	 * every call). */
	if (a->may_map && !mp->nomap &&
	    !atomic_load_explicit(&fl->rw_opened, memory_order_acquire))
		map_file(mp, h, mp->pfiles[slot].fd, st, a->pagesize);
	fast_init(mp, h);
	h->next = mp->mpfs;
	mp->mpfs = h;
}

int lfm__file_attach(struct lfm__pool *mp, int fd, const struct lfm__attach *a,
		     struct lfm__fh **mpf)
{
	struct stat st;
	uint32_t slot;
	struct lfm__fh *h = NULL;
	int rc = check_file(mp, fd, a, &st);
	if (rc == 0 && (h = calloc(1, sizeof(*h))) == NULL)
		rc = ENOMEM;
	if (rc == 0) {
		lfm__pmutex_lock_ranked(&mp->lock, LFM_RANK_POOL);
		rc = find_slot(mp, fd, a, &st, &slot);
		if (rc == 0) {
			fd = hold_fd(mp, slot, fd, a, &st);
			build_handle(mp, h, slot, a, &st);
		}
		lfm__pmutex_unlock_ranked(&mp->lock);
	}
	/* A descriptor not kept is closed if it is ours (not borrowed). */
	if (fd >= 0 && !a->borrowed)
		close(fd);
	if (rc != 0) {
		free(h);
		return rc;
	}
	*mpf = h;
	return 0;
}

int lfm__file_detach(struct lfm__fh *mpf)
{
	struct lfm__pool *mp = mpf->mp;
	struct lfm__region_hdr *rh = mp->rh;
	struct lfm__file *file = &lfm__files(rh)[mpf->slot];
	int rc = 0;

	lfm__pmutex_lock_ranked(&mp->lock, LFM_RANK_POOL);
	struct lfm__fh **pp = &mp->mpfs;
	while (*pp != NULL && *pp != mpf)
		pp = &(*pp)->next;
	if (*pp == NULL) {
		lfm__pmutex_unlock_ranked(&mp->lock);
		return EINVAL;
	}
	*pp = mpf->next;
	struct lfm__pfile *pf = &mp->pfiles[mpf->slot];
	/* The last handle of the file here: pins this process's users never
	 * put go back (memp_fclose's contract), so its pages can be evicted
	 * (and a temporary file's discarded below). */
	if (pf->nopen == 1)
		(void)lfm__buf_release_file(mp, mpf->slot);
	/* The file stays known to the pool (its pages stay cached) and its
	 * descriptors stay open so evictions can still write its pages;
	 * a temporary file is the exception: nothing can reopen it. */
	if (pf->nopen == 1)
		lfm__pfile_unhold(mp, mpf->slot);
	if (--pf->nopen == 0 && file->temporary &&
	    lfm__flush_discard_file(mp, mpf->slot) == 0) {
		lfm__mutex_lock_ranked(&rh->files_lock, mp->lock_owner,
				       LFM_RANK_FILES);
		atomic_store_explicit(&file->state, LFM_FILE_FREE,
				      memory_order_release);
		lfm__mutex_unlock_ranked(&rh->files_lock);
		lfm__mapread_close(&pf->map);
		if (!pf->borrowed && close(pf->fd) != 0)
			rc = errno;
		pf->fd = -1;
		atomic_store_explicit(&pf->fd_rw, -1, memory_order_relaxed);
	}
	lfm__pmutex_unlock_ranked(&mp->lock);
	lfm__funmap(mpf);
	free(mpf);
	return rc;
}

int lfm__file_sync(struct lfm__fh *fh, int pinned_too)
{
	LFM_ASSERT(lfm__rank_none_held()); /* an API entry */
	if (fh->rdonly)
		return 0; /* it cannot have dirtied anything */
	return lfm__flush(fh->mp, fh->slot, pinned_too);
}

int lfm__pool_pagesize_ok(const struct lfm__pool *mp, size_t pagesize)
{
	return pagesize > 0 && pagesize <= mp->rh->cache_bytes &&
	       pagesize <= LFM_CHUNK && pagesize <= UINT32_MAX;
}

_Static_assert(LFM_NAME_MAX == LFM_PATH_MAX, "engine.h's name limit");
_Static_assert(LFM_PGCOOKIE_MAX == LFM_COOKIE_MAX, "engine.h's cookie limit");
