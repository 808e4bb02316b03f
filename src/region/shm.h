/*
 * shm.h - shared regions: a pool's region in a file under a directory,
 * mapped MAP_SHARED by every process that opens the pool.
 *
 * Files: `<dir>/__lfm_mpool.region` (memp_open), or
 * `<tmpdir>/__lfm_mpool.key.<hex>` (mpool_open with a key). Nothing else
 * is ever created, and memp_unlink removes just that file.
 *
 * Locks (open-file-description locks, fcntl F_OFD_*, on bytes past the end
 * of the region file; the kernel drops them when the holder dies or closes
 * the file, so they say who is alive without trusting pids):
 *   LFM_LOCK_INIT     the creator holds it exclusively while it builds the
 *                     region; joiners take it shared to wait for that;
 *   LFM_LOCK_ATTACH   every attached process holds it shared;
 *                     memp_unlink probes it exclusively: a conflict means
 *                     the pool is in use (EBUSY);
 *   LFM_LOCK_RECOVER  held exclusively by whoever recovers dead slots;
 *   LFM_LOCK_PROC+k   the process in slot k holds it exclusively; a slot
 *                     whose state is 1 and whose byte nobody holds belongs
 *                     to a process that died (see memp_pool.c, recovery).
 */
#ifndef LFM_SHM_H
#define LFM_SHM_H

#include "region.h"

#include <limits.h>
#include <pthread.h>
#include <stddef.h>

#define LFM_REGION_FILE "__lfm_mpool.region"

#define LFM_LOCK_INIT	 ((off_t)1 << 40)
#define LFM_LOCK_ATTACH	 (LFM_LOCK_INIT + 1)
#define LFM_LOCK_RECOVER (LFM_LOCK_INIT + 2)
#define LFM_LOCK_PROC	 (LFM_LOCK_INIT + 3)

struct lfm__shm {
	int fd; /* the region file; carries this process's locks */
	struct lfm__region_hdr *rh;
	size_t size;
	uint32_t proc; /* our slot in rh->procs */
	char path[PATH_MAX];
	/* The OFD locks are the open file description's, which every thread
	 * of this process shares: they keep other processes out of recovery
	 * but not our other threads (a flusher's watch and a miss about to
	 * fail with ENOMEM), so this orders those. Held with RECOVER. */
	pthread_mutex_t recover_lock;
};

/* The directory for `dir` NULL: TMPDIR, TEMP, TMP, then the first of
 * /var/tmp, /usr/tmp, /temp, /tmp that exists (the manual page's rule). */
const char *lfm__shm_tmpdir(void);

/* The region file of the mpool(3) pool shared by `key` (mpool_open):
 * <tmpdir>/__lfm_mpool.key.<name>, name the key's bytes in hex when short,
 * else a 64-bit FNV-1a hash of them (keys are NUL-terminated byte
 * strings). 0, or ENAMETOOLONG when it does not fit in n bytes. */
int lfm__shm_key_path(const char *key, char *out, size_t n);

struct lfm__shm;
/* Recovery's work (recover.h) for the process slots in mask `dead`, whose
 * owners died and whose lock bytes the caller holds: 0, or EAGAIN when a
 * process outside `dead` died meanwhile holding something recovery must
 * wait for (the caller then widens `dead` and calls again: the work can
 * be done again any number of times). */
typedef int (*lfm__shm_release_fn)(struct lfm__shm *s, uint32_t dead);

/* Creates (if `create`; mode modified by the umask) or joins
 * the region in file `path`. `g` is the geometry for a creator; a joiner
 * with `size_given` requires the region to have g->cache_bytes. Dead
 * processes' slots are recovered with `release` (recover.h) before a slot
 * is claimed.
 * Errors: ENOENT (no region, no DB_CREATE), EINVAL (another version,
 * layout or size), EAGAIN (the creator never finished), EMFILE (no
 * process slot), the errors of open, ftruncate, mmap. */
int lfm__shm_attach(const char *path, int create, int mode,
		    const struct lfm__region_geom *g, int size_given,
		    lfm__shm_release_fn release, struct lfm__shm *s);

/* Gives up the process slot and the mapping. */
void lfm__shm_detach(struct lfm__shm *s);

/* 1 if slot k is claimed by a process that is no longer alive. */
int lfm__shm_proc_dead(const struct lfm__shm *s, uint32_t k);

/* Recovers every slot whose process died: takes the slots' locks (so no
 * one claims or recovers them meanwhile), calls release(s, dead) once for
 * all of them (again, with more, while it answers EAGAIN), frees the
 * slots. Serialised by LFM_LOCK_RECOVER. Returns how many slots were
 * recovered. */
int lfm__shm_recover(struct lfm__shm *s, lfm__shm_release_fn release);

/* memp_unlink's work on one region file. 0 (also when there is none),
 * EBUSY (in use and not force), or the error of unlink. */
int lfm__shm_unlink(const char *path, int force);

#endif
