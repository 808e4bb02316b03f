/*
 * Unit tests of the guarded mapped copy (src/os/mapread.h, src/os/mapread.c):
 * what is copied, what is not tried (past `valid`, past the reservation,
 * disabled, a test I/O table, an unmappable descriptor), a file growing
 * under the mapping, and a truncated file faulting into FAULT instead of
 * killing the process, again and again on one thread and on several at
 * once (the guard is per thread, and each landing unblocks SIGBUS).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "mapread.h"
#include "unit_check.h"

#define PS 4096u

static char path[64];

static unsigned char pat(uint32_t pgno, uint32_t i)
{
	return (unsigned char)(pgno * 31u + i * 7u + 1u);
}

static void fill(unsigned char *b, uint32_t pgno)
{
	for (uint32_t i = 0; i < PS; i++)
		b[i] = pat(pgno, i);
}

static int is_page(const unsigned char *b, uint32_t pgno)
{
	for (uint32_t i = 0; i < PS; i++)
		if (b[i] != pat(pgno, i))
			return 0;
	return 1;
}

/* A file of pages [0, n) of the pattern, open read-write. */
static int make_file(uint32_t n)
{
	snprintf(path, sizeof(path), "/tmp/unit_mapread.XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	unsigned char b[PS];
	for (uint32_t p = 0; p < n; p++) {
		fill(b, p);
		if (pwrite(fd, b, PS, (off_t)p * PS) != (ssize_t)PS) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

/* A file of n pattern pages, mapped into m: its descriptor, or -1 if
 * either failed. */
static int map_file(struct lfm__mapread *m, uint32_t n)
{
	int fd = make_file(n);
	if (fd < 0)
		return -1;
	lfm__mapread_open(m, fd, (uint64_t)n * PS);
	if (m->base == NULL) {
		close(fd);
		return -1;
	}
	return fd;
}

static void unmap_file(struct lfm__mapread *m, int fd)
{
	lfm__mapread_close(m);
	close(fd);
}

static void test_copies_the_file(void)
{
	struct lfm__mapread m;
	int fd = map_file(&m, 4);
	REQUIRE(fd >= 0);
	unsigned char b[PS];
	for (uint32_t p = 0; p < 4; p++) {
		memset(b, 0xEE, PS);
		CHECK_EQ(lfm__mapread_copy(&m, b, PS, (uint64_t)p * PS),
			 LFM_MAPREAD_COPIED);
		CHECK(is_page(b, p));
	}
	/* A page written after the mapping was made: one page cache. */
	fill(b, 9);
	REQUIRE(pwrite(fd, b, PS, 1 * PS) == (ssize_t)PS);
	memset(b, 0, PS);
	CHECK_EQ(lfm__mapread_copy(&m, b, PS, 1 * PS), LFM_MAPREAD_COPIED);
	CHECK(is_page(b, 9));
	lfm__mapread_close(&m);
	CHECK(m.base == NULL);
	close(fd);
}

static void test_not_tried(void)
{
	struct lfm__mapread m;
	int fd = map_file(&m, 4);
	REQUIRE(fd >= 0);
	unsigned char b[PS];
	/* Past what the file is known to hold. */
	CHECK_EQ(lfm__mapread_copy(&m, b, PS, 4 * PS), LFM_MAPREAD_NO);
	/* A range ending past it, though it starts inside. */
	CHECK_EQ(lfm__mapread_copy(&m, b, PS, 3 * PS + 1), LFM_MAPREAD_NO);
	/* Past the reservation, even if `valid` says the file is there. */
	lfm__mapread_learn(&m, m.len + PS);
	CHECK_EQ(lfm__mapread_copy(&m, b, PS, m.len), LFM_MAPREAD_NO);
	/* A test I/O table: faults are injected into pread, so no copy. */
	struct lfm__fileio table = lfm__fileio_sys;
	lfm__fileio_set(&table);
	CHECK_EQ(lfm__mapread_copy(&m, b, PS, 0), LFM_MAPREAD_NO);
	lfm__fileio_set(NULL);
	CHECK_EQ(lfm__mapread_copy(&m, b, PS, 0), LFM_MAPREAD_COPIED);
	/* Disabled (DB_NOMMAP) for good. */
	lfm__mapread_disable(&m);
	CHECK_EQ(lfm__mapread_copy(&m, b, PS, 0), LFM_MAPREAD_NO);
	lfm__mapread_learn(&m, 2 * PS);
	CHECK_EQ(lfm__mapread_copy(&m, b, PS, 0), LFM_MAPREAD_NO);
	unmap_file(&m, fd);
}

static void test_write_only_descriptor_is_not_mapped(void)
{
	int fd = make_file(2);
	REQUIRE(fd >= 0);
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	int wfd = open(link, O_WRONLY);
	REQUIRE(wfd >= 0);
	struct lfm__mapread m;
	lfm__mapread_open(&m, wfd, 2 * PS);
	CHECK(m.base == NULL);
	unsigned char b[PS];
	CHECK_EQ(lfm__mapread_copy(&m, b, PS, 0), LFM_MAPREAD_NO);
	lfm__mapread_close(&m);
	close(wfd);
	close(fd);
}

static void test_file_grows_under_the_mapping(void)
{
	int fd = make_file(0);
	REQUIRE(fd >= 0);
	struct lfm__mapread m;
	lfm__mapread_open(&m, fd, 0);
	REQUIRE(m.base != NULL);
	CHECK(m.len >= 1ull << 30);
	unsigned char b[PS];
	for (uint32_t p = 0; p < 8; p++) {
		fill(b, p);
		REQUIRE(pwrite(fd, b, PS, (off_t)p * PS) == (ssize_t)PS);
	}
	CHECK_EQ(lfm__mapread_copy(&m, b, PS, 5 * PS), LFM_MAPREAD_NO);
	lfm__mapread_learn(&m, 8 * PS);
	memset(b, 0, PS);
	CHECK_EQ(lfm__mapread_copy(&m, b, PS, 5 * PS), LFM_MAPREAD_COPIED);
	CHECK(is_page(b, 5));
	/* learn never lowers. */
	lfm__mapread_learn(&m, 2 * PS);
	CHECK_EQ(atomic_load(&m.valid), 8 * PS);
	unmap_file(&m, fd);
}

static void test_truncated_file_faults_into_an_error(void)
{
	struct lfm__mapread m;
	int fd = map_file(&m, 4);
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, PS) == 0);
	unsigned char b[PS];
	/* Several faults in a row on this thread: each landing must leave
	 * SIGBUS unblocked, or the next fault would kill the process. */
	for (int round = 0; round < 3; round++) {
		lfm__mapread_learn(&m, 4 * PS);
		CHECK_EQ(lfm__mapread_copy(&m, b, PS, 2 * PS),
			 LFM_MAPREAD_FAULT);
		/* Lowered to the faulting page: the next page is not
		 * tried. */
		CHECK_EQ(atomic_load(&m.valid), 2 * PS);
		CHECK_EQ(lfm__mapread_copy(&m, b, PS, 3 * PS), LFM_MAPREAD_NO);
	}
	/* What is still in the file copies as before. */
	memset(b, 0, PS);
	CHECK_EQ(lfm__mapread_copy(&m, b, PS, 0), LFM_MAPREAD_COPIED);
	CHECK(is_page(b, 0));
	/* The page straddling the new end: the last page of the file exists
	 * (its tail past the end reads as zeroes) and pages past it fault. */
	fill(b, 1);
	REQUIRE(pwrite(fd, b, PS, PS) == (ssize_t)PS);
	REQUIRE(ftruncate(fd, PS + 100) == 0);
	lfm__mapread_learn(&m, 2 * PS);
	memset(b, 0xEE, PS);
	CHECK_EQ(lfm__mapread_copy(&m, b, PS, PS), LFM_MAPREAD_COPIED);
	int ok = 1;
	for (uint32_t i = 0; i < PS; i++)
		if (b[i] != (i < 100 ? pat(1, i) : 0))
			ok = 0;
	CHECK(ok);
	unmap_file(&m, fd);
}

struct faulter {
	int fd;
	int faults, others;
};

static void *fault_loop(void *arg)
{
	struct faulter *f = arg;
	struct lfm__mapread m;
	unsigned char b[PS];
	lfm__mapread_open(&m, f->fd, 4 * PS);
	if (m.base == NULL) {
		f->others = -1;
		return NULL;
	}
	for (int i = 0; i < 200; i++) {
		lfm__mapread_learn(&m, 4 * PS);
		if (lfm__mapread_copy(&m, b, PS, 3 * PS) == LFM_MAPREAD_FAULT)
			f->faults++;
		else
			f->others++;
		if (lfm__mapread_copy(&m, b, PS, 0) != LFM_MAPREAD_COPIED ||
		    !is_page(b, 0))
			f->others++;
	}
	lfm__mapread_close(&m);
	return NULL;
}

static void test_threads_fault_at_once(void)
{
	int fd = make_file(4);
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, PS) == 0);
	struct faulter f[3];
	pthread_t th[3];
	for (int i = 0; i < 3; i++) {
		f[i] = (struct faulter){fd, 0, 0};
		REQUIRE(pthread_create(&th[i], NULL, fault_loop, &f[i]) == 0);
	}
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(f[i].faults, 200);
		CHECK_EQ(f[i].others, 0);
	}
	close(fd);
}

/* With SIGBUS blocked, a fault would be delivered with the default action
 * (the kernel forces it), so a blocked thread must not copy: NO, even for
 * a page past the end of a truncated file, and copies again once it
 * unblocks, by its next check. */
static void *blocked_thread(void *arg)
{
	int *res = arg, fd = res[0];
	struct lfm__mapread m;
	unsigned char b[PS];
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGBUS);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	lfm__mapread_open(&m, fd, 4 * PS);
	if (m.base == NULL)
		return NULL;
	res[1] = lfm__mapread_copy(&m, b, PS, 0);
	res[2] = lfm__mapread_copy(&m, b, PS, 3 * PS); /* past the end */
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	int n = 0;
	while (n <= LFM_MAPREAD_RECHECK &&
	       lfm__mapread_copy(&m, b, PS, 0) != LFM_MAPREAD_COPIED)
		n++;
	res[3] = n;
	res[4] = is_page(b, 0);
	lfm__mapread_close(&m);
	return NULL;
}

static void test_thread_with_sigbus_blocked_does_not_copy(void)
{
	int fd = make_file(4);
	REQUIRE(fd >= 0);
	REQUIRE(ftruncate(fd, 2 * PS) == 0);
	int res[5] = {fd, -1, -1, -1, 0};
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, blocked_thread, res) == 0);
	pthread_join(th, NULL);
	CHECK_EQ(res[1], LFM_MAPREAD_NO);
	CHECK_EQ(res[2], LFM_MAPREAD_NO);
	CHECK(res[3] >= 0 && res[3] <= LFM_MAPREAD_RECHECK);
	CHECK(res[4]);
	close(fd);
}

static void other_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	_exit(77); /* never reached: nothing faults while it is installed */
}

/* A handler installed over the pool's: by its next check a thread stops
 * copying (a fault would now go to that handler), and copies again when
 * the pool's handler is back. */
static void test_replaced_handler_stops_copies(void)
{
	struct lfm__mapread m;
	int fd = map_file(&m, 2);
	REQUIRE(fd >= 0);
	unsigned char b[PS];
	struct sigaction ours, other;
	REQUIRE(sigaction(SIGBUS, NULL, &ours) == 0);
	memset(&other, 0, sizeof(other));
	other.sa_sigaction = other_handler;
	other.sa_flags = SA_SIGINFO;
	sigemptyset(&other.sa_mask);
	REQUIRE(sigaction(SIGBUS, &other, NULL) == 0);
	int n = 0;
	while (n <= LFM_MAPREAD_RECHECK &&
	       lfm__mapread_copy(&m, b, PS, 0) == LFM_MAPREAD_COPIED)
		n++;
	CHECK(n <= LFM_MAPREAD_RECHECK);
	CHECK_EQ(lfm__mapread_copy(&m, b, PS, 0), LFM_MAPREAD_NO);
	REQUIRE(sigaction(SIGBUS, &ours, NULL) == 0);
	n = 0;
	while (n <= LFM_MAPREAD_RECHECK &&
	       lfm__mapread_copy(&m, b, PS, 0) != LFM_MAPREAD_COPIED)
		n++;
	CHECK(n <= LFM_MAPREAD_RECHECK);
	unmap_file(&m, fd);
}

int main(void)
{
	RUN(test_copies_the_file);
	RUN(test_not_tried);
	RUN(test_write_only_descriptor_is_not_mapped);
	RUN(test_file_grows_under_the_mapping);
	RUN(test_truncated_file_faults_into_an_error);
	RUN(test_threads_fault_at_once);
	RUN(test_thread_with_sigbus_blocked_does_not_copy);
	RUN(test_replaced_handler_stops_copies);
	UNIT_MAIN_END("mapread");
}
