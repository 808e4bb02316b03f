/*
 * fileio.h - the pool's file system calls, behind one table so that tests
 * can inject faults (EIO, ENOSPC, EINTR, short transfers) without
 * LD_PRELOAD. Production code never installs another table; the default is
 * the system calls themselves.
 *
 * The table pointer is read with acquire at each call and replaced with
 * release, so an installed table is seen whole. A test installs its table
 * before the I/O it wants to fail and removes it (NULL) when done; the
 * table must stay valid until every call that may have loaded it returned
 * (tests: until the pool is closed or the I/O threads joined).
 */
#ifndef LFM_FILEIO_H
#define LFM_FILEIO_H

#include <sys/types.h>
#include <stdint.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Each entry has the system call's contract: -1 with errno on failure,
 * short counts allowed. */
struct lfm__fileio {
	ssize_t (*pread)(int fd, void *buf, size_t len, off_t off);
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off);
	ssize_t (*pwritev)(int fd, const struct iovec *iov, int iovcnt,
			   off_t off);
	int (*fdatasync)(int fd);
};

/* Installs `ops` for every pool of the process (NULL: the system calls). */
void lfm__fileio_set(const struct lfm__fileio *ops);

/* The system calls, for a test table to delegate to. */
extern const struct lfm__fileio lfm__fileio_sys;

/* The current table (never NULL). */
const struct lfm__fileio *lfm__fileio(void);

/* Full transfers: retry EINTR, continue short counts. A read reaching end
 * of file zero-fills the rest (`*got`, unless NULL: the bytes that came
 * from the file). A write making no progress (0) is EIO. Return 0 or an
 * errno value. */
int lfm__pread_full(int fd, void *buf, size_t len, uint64_t off, size_t *got);
int lfm__pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
/* iov is consumed (modified) as the transfer progresses. */
int lfm__pwritev_full(int fd, struct iovec *iov, int iovcnt, uint64_t off);
/* fdatasync, retrying EINTR. */
int lfm__fdatasync(int fd);

#ifdef __cplusplus
}
#endif
#endif
