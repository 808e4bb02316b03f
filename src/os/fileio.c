/* fileio.c - the system-call table and full transfers (see fileio.h). */
#include "fileio.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

static ssize_t sys_pread(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off);
}

static ssize_t sys_pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite(fd, buf, len, off);
}

static ssize_t sys_pwritev(int fd, const struct iovec *iov, int iovcnt,
			   off_t off)
{
	return pwritev(fd, iov, iovcnt, off);
}

static int sys_fdatasync(int fd)
{
	return fdatasync(fd);
}

const struct lfm__fileio lfm__fileio_sys = {
    .pread = sys_pread,
    .pwrite = sys_pwrite,
    .pwritev = sys_pwritev,
    .fdatasync = sys_fdatasync,
};

static _Atomic(const struct lfm__fileio *) current = &lfm__fileio_sys;

void lfm__fileio_set(const struct lfm__fileio *ops)
{
	atomic_store_explicit(&current, ops != NULL ? ops : &lfm__fileio_sys,
			      memory_order_release);
}

const struct lfm__fileio *lfm__fileio(void)
{
	return atomic_load_explicit(&current, memory_order_acquire);
}

int lfm__pread_full(int fd, void *buf, size_t len, uint64_t off, size_t *got)
{
	const struct lfm__fileio *io = lfm__fileio();
	size_t done = 0;
	while (done < len) {
		ssize_t n = io->pread(fd, (char *)buf + done, len - done,
				      (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			break; /* end of file: the rest reads as zeroes */
		done += (size_t)n;
	}
	memset((char *)buf + done, 0, len - done);
	if (got != NULL)
		*got = done;
	return 0;
}

int lfm__pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	struct iovec iov = {(void *)buf, len};
	return lfm__pwritev_full(fd, &iov, 1, off);
}

int lfm__pwritev_full(int fd, struct iovec *iov, int iovcnt, uint64_t off)
{
	const struct lfm__fileio *io = lfm__fileio();
	while (iovcnt > 0) {
		ssize_t n = iovcnt == 1
				? io->pwrite(fd, iov->iov_base, iov->iov_len,
					     (off_t)off)
				: io->pwritev(fd, iov, iovcnt, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EIO; /* no progress: never taken as success */
		off += (uint64_t)n;
		/* A short write: skip what went out, go on with the rest. */
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int lfm__fdatasync(int fd)
{
	const struct lfm__fileio *io = lfm__fileio();
	while (io->fdatasync(fd) != 0) {
		if (errno != EINTR)
			return errno;
	}
	return 0;
}
