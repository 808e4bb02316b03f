/* shm.c - shared regions in files (see shm.h). */
#include "shm.h"

#include "lockrank.h"
#include "region_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JOIN_TRIES 500 /* x 10 ms: how long a joiner waits for a creator */
/* Rounds of recovery that found another process dead meanwhile, before
 * leaving the rest to the next recovery (the flushers' watch). */
#define RECOVER_ROUNDS 100

const char *lfm__shm_tmpdir(void)
{
	static const char *const env[] = {"TMPDIR", "TEMP", "TMP"};
	static const char *const dirs[] = {"/var/tmp", "/usr/tmp", "/temp",
					   "/tmp"};
	for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++) {
		const char *d = getenv(env[i]);
		if (d != NULL && *d != '\0')
			return d;
	}
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct stat st;
		if (stat(dirs[i], &st) == 0 && S_ISDIR(st.st_mode))
			return dirs[i];
	}
	return "/tmp";
}

int lfm__shm_key_path(const char *key, char *out, size_t n)
{
	size_t len = strlen(key);
	char name[2 * 48 + 1];
	if (len <= 48) {
		for (size_t i = 0; i < len; i++)
			snprintf(name + 2 * i, 3, "%02x",
				 (unsigned char)key[i]);
		name[2 * len] = '\0';
	} else {
		uint64_t h = 14695981039346656037ull;
		for (size_t i = 0; i < len; i++)
			h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
		snprintf(name, sizeof(name), "h%016llx", (unsigned long long)h);
	}
	return (size_t)snprintf(out, n, "%s/__lfm_mpool.key.%s",
				lfm__shm_tmpdir(), name) < n
		   ? 0
		   : ENAMETOOLONG;
}

/* An OFD lock operation on one byte. For F_OFD_GETLK: 0 if the byte could
 * be locked `type`, EBUSY if someone holds a conflicting lock. */
static int ofd(int fd, int cmd, short type, off_t at)
{
	struct flock fl = {.l_type = type,
			   .l_whence = SEEK_SET,
			   .l_start = at,
			   .l_len = 1,
			   .l_pid = 0};
	while (fcntl(fd, cmd, &fl) != 0) {
		if (errno != EINTR)
			return errno;
	}
	if (cmd == F_OFD_GETLK)
		return fl.l_type == F_UNLCK ? 0 : EBUSY;
	return 0;
}

static void nap(void)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	nanosleep(&ts, NULL);
}

int lfm__shm_proc_dead(const struct lfm__shm *s, uint32_t k)
{
	return atomic_load_explicit(&s->rh->procs[k].state,
				    memory_order_acquire) != 0 &&
	       ofd(s->fd, F_OFD_GETLK, F_WRLCK, LFM_LOCK_PROC + k) == 0;
}

/* Claims a free process slot and locks its byte. */
static int claim_proc(struct lfm__shm *s)
{
	struct lfm__region_hdr *rh = s->rh;
	for (uint32_t k = 0; k < LFM_NPROCS; k++) {
		uint32_t zero = 0;
		if (!atomic_compare_exchange_strong_explicit(
			&rh->procs[k].state, &zero, 1, memory_order_acq_rel,
			memory_order_relaxed))
			continue;
		/* Cannot fail unless another process judged the slot dead in
		 * the instant between our CAS and this lock, and took it: then
		 * it is theirs, and we look further. */
		if (ofd(s->fd, F_OFD_SETLK, F_WRLCK, LFM_LOCK_PROC + k) != 0)
			continue;
		atomic_store_explicit(&rh->procs[k].pid, (int32_t)getpid(),
				      memory_order_relaxed);
		s->proc = k;
		return 0;
	}
	return EMFILE;
}

/* Maps the whole region and checks it is one this build can use (the
 * checks lfmpool-stat makes too, region_reader.h), of the caller's
 * shape. */
static int map_checked(struct lfm__shm *s, const struct lfm__region_geom *g,
		       int size_given)
{
	struct stat st;
	if (fstat(s->fd, &st) != 0)
		return errno;
	if ((uint64_t)st.st_size < sizeof(struct lfm__region_hdr))
		return EAGAIN; /* the creator has not sized it yet */
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED, s->fd, 0);
	if (m == MAP_FAILED)
		return errno;
	struct lfm__region_hdr *rh = m;
	const char *what;
	enum lfm__region_fault f =
	    lfm__region_check(rh, (uint64_t)st.st_size, &what);
	int rc = 0;
	if (f == LFM_RF_UNINIT)
		rc = EAGAIN;
	else if (f != LFM_RF_OK ||
		 (size_given && rh->cache_bytes != g->cache_bytes) ||
		 rh->nfiles_max != g->nfiles_max || rh->nhandles != g->nhandles)
		rc = EINVAL;
	if (rc != 0) {
		munmap(m, (size_t)st.st_size);
		return rc;
	}
	s->rh = rh;
	s->size = (size_t)st.st_size;
	return 0;
}

static int create(struct lfm__shm *s, const struct lfm__region_geom *g)
{
	struct lfm__region_hdr l;
	struct lfm__region_geom gs = *g;
	gs.shared = 1;
	int rc = lfm__region_layout(&gs, &l);
	if (rc != 0)
		return rc;
	if (ftruncate(s->fd, (off_t)l.size) != 0)
		return errno;
	void *m =
	    mmap(NULL, l.size, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (m == MAP_FAILED)
		return errno;
	s->rh = m;
	s->size = l.size;
	lfm__region_init(s->rh, &l, &gs);
	return 0;
}

/* Whether `path` still names the file open on fd: an unlinker (memp_unlink,
 * the last memp_close of a dir-NULL pool, a key left by the dead) may have
 * removed it between our open and our INIT lock. */
static int still_named(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int lfm__shm_attach(const char *path, int create_it, int mode,
		    const struct lfm__region_geom *g, int size_given,
		    lfm__shm_release_fn release, struct lfm__shm *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	pthread_mutex_init(&s->recover_lock, NULL);
	if (strlen(path) >= sizeof(s->path))
		return ENAMETOOLONG;
	strcpy(s->path, path);
	for (int tries = 0; tries < JOIN_TRIES; tries++) {
		int created = 0, rc;
		s->fd = open(path, O_RDWR | O_CLOEXEC);
		if (s->fd < 0 && errno == ENOENT) {
			if (!create_it)
				return ENOENT;
			s->fd = open(
			    path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode);
			if (s->fd < 0 && errno == EEXIST)
				continue; /* another creator won: join it */
			created = s->fd >= 0;
		}
		if (s->fd < 0)
			return errno;
		/* Exclusive to build, shared to wait for the builder. Held
		 * until we hold ATTACH, so an unlinker (who takes INIT
		 * exclusively, then probes ATTACH) either removed the file
		 * before we look (we retry) or sees us attached (EBUSY). */
		rc = ofd(s->fd, F_OFD_SETLKW, created ? F_WRLCK : F_RDLCK,
			 LFM_LOCK_INIT);
		if (rc == 0 && !still_named(s->fd, path)) {
			close(s->fd);
			s->fd = -1;
			continue; /* unlinked under us: start again */
		}
		if (rc == 0)
			rc = created ? create(s, g)
				     : map_checked(s, g, size_given);
		if (rc == 0)
			rc = ofd(s->fd, F_OFD_SETLK, F_RDLCK, LFM_LOCK_ATTACH);
		if (rc == 0) {
			/* Slots of the dead are freed before we look for one,
			 * so dead processes cannot use them all up. */
			s->proc = UINT32_MAX;
			if (release != NULL)
				(void)lfm__shm_recover(s, release);
			rc = claim_proc(s);
		}
		if (rc == 0) {
			(void)ofd(s->fd, F_OFD_SETLK, F_UNLCK, LFM_LOCK_INIT);
			return 0;
		}
		if (s->rh != NULL)
			munmap(s->rh, s->size);
		s->rh = NULL;
		close(s->fd); /* drops our locks */
		s->fd = -1;
		if (created)
			unlink(path); /* never leave a half-built region */
		if (rc != EAGAIN)
			return rc;
		nap();
	}
	return EAGAIN;
}

void lfm__shm_detach(struct lfm__shm *s)
{
	if (s->rh == NULL)
		return;
	atomic_store_explicit(&s->rh->procs[s->proc].pid, 0,
			      memory_order_relaxed);
	/* Unlock (by the close below) after freeing the slot would let a
	 * claimer's lock fail; freeing after unlocking would let a prober
	 * call us dead. Unlock first: a prober that sees state 1 and no lock
	 * may then "recover" a slot that holds nothing, which is harmless. */
	(void)ofd(s->fd, F_OFD_SETLK, F_UNLCK, LFM_LOCK_PROC + s->proc);
	atomic_store_explicit(&s->rh->procs[s->proc].state, 0,
			      memory_order_release);
	munmap(s->rh, s->size);
	close(s->fd);
	s->rh = NULL;
	s->fd = -1;
	pthread_mutex_destroy(&s->recover_lock);
}

int lfm__shm_recover(struct lfm__shm *s, lfm__shm_release_fn release)
{
	int n = 0;
	lfm__rank_acquire(&s->fd, LFM_RANK_RECOVER); /* before it can block */
	pthread_mutex_lock(&s->recover_lock);
	if (ofd(s->fd, F_OFD_SETLKW, F_WRLCK, LFM_LOCK_RECOVER) != 0) {
		pthread_mutex_unlock(&s->recover_lock);
		lfm__rank_release(&s->fd);
		return 0;
	}
	/* Every dead slot at once: a frame's pins are recounted from the
	 * live processes (pinrecount.h), so all the dead must be known. A
	 * process that dies while release() works is added and release()
	 * runs again. */
	uint32_t dead = 0;
	for (int round = 0; round < RECOVER_ROUNDS; round++) {
		uint32_t more = 0;
		for (uint32_t k = 0; k < LFM_NPROCS; k++) {
			if (k == s->proc || ((dead >> k) & 1) ||
			    !lfm__shm_proc_dead(s, k) ||
			    ofd(s->fd, F_OFD_SETLK, F_WRLCK,
				LFM_LOCK_PROC + k) != 0)
				continue;
			/* Ours now: its owner is gone, and a claimer that
			 * raced in between its CAS and its lock has moved on
			 * (claim_proc). */
			more |= 1u << k;
		}
		dead |= more;
		if (dead == 0 || release(s, dead) != EAGAIN)
			break;
		if (more == 0 && round > 0)
			nap(); /* the newly dead one not seen yet */
	}
	for (uint32_t k = 0; k < LFM_NPROCS; k++) {
		if (!((dead >> k) & 1))
			continue;
		atomic_store_explicit(&s->rh->procs[k].pid, 0,
				      memory_order_relaxed);
		atomic_store_explicit(&s->rh->procs[k].state, 0,
				      memory_order_release);
		(void)ofd(s->fd, F_OFD_SETLK, F_UNLCK, LFM_LOCK_PROC + k);
		n++;
	}
	(void)ofd(s->fd, F_OFD_SETLK, F_UNLCK, LFM_LOCK_RECOVER);
	pthread_mutex_unlock(&s->recover_lock);
	lfm__rank_release(&s->fd);
	return n;
}

int lfm__shm_unlink(const char *path, int force)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : errno;
	/* INIT exclusively: no joiner is between its open and its ATTACH
	 * lock while we probe and remove (see lfm__shm_attach). */
	int rc = ofd(fd, F_OFD_SETLKW, F_WRLCK, LFM_LOCK_INIT);
	if (rc == 0 && !still_named(fd, path))
		rc = ENOENT; /* someone removed it already */
	if (rc == 0)
		rc = ofd(fd, F_OFD_GETLK, F_WRLCK, LFM_LOCK_ATTACH);
	if (rc == 0 || (rc == EBUSY && force))
		rc = unlink(path) == 0 || errno == ENOENT ? 0 : errno;
	close(fd); /* drops INIT */
	return rc == ENOENT ? 0 : rc;
}
