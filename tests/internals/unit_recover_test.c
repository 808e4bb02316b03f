/*
 * unit_recover_test.c - a process killed (SIGKILL) while using a shared pool
 * must not wedge the survivors (src/engine/recover.h). Each case forks its child
 * before any thread exists in the parent (ThreadSanitizer's rule), lets
 * the child reach the state wanted, kills it, and checks that the parent,
 * whose flusher looks for dead processes every 100 ms, finishes what it
 * needs within a deadline instead of hanging.
 */
#include "unit_check.h"

#include "fileio.h"
#include "ftab.h"
#include "hash.h"
#include "pool.h"

#include "db_mpool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PS	 4096
#define NPAGES	 64
#define NFRAMES	 8
#define DEADLINE 20 /* seconds */

static char dir[512], path[600];

static void setup(const char *name)
{
	const char *base = getenv("TEST_TMPDIR");
	snprintf(dir, sizeof(dir), "%s/recover.%s.%d", base ? base : "/tmp",
		 name, (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/data.db", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	unsigned char page[PS];
	for (int p = 0; p < NPAGES; p++) {
		memset(page, p + 1, sizeof(page));
		if (pwrite(fd, page, PS, (off_t)p * PS) != PS)
			abort();
	}
	close(fd);
}

static int open_pool(int create, DB_MPOOL **mp, DB_MPOOLFILE **mpf)
{
	DB_ENV env;
	memset(&env, 0, sizeof(env));
	env.mp_size = NFRAMES * PS;
	int rc = memp_open(dir, (create ? DB_CREATE : 0) | DB_THREAD, 0600,
			   &env, mp);
	if (rc == 0)
		rc = memp_fopen(*mp, path, 0, 0, 0, PS, -1, NULL, NULL, mpf);
	return rc;
}

static void teardown(DB_MPOOL *mp, DB_MPOOLFILE *mpf)
{
	if (mpf != NULL)
		memp_fclose(mpf);
	if (mp != NULL)
		memp_close(mp);
	memp_unlink(dir, 1, NULL);
	unlink(path);
	rmdir(dir);
}

/* A get in a thread of its own, so that the test can give up on it. */
struct getter {
	DB_MPOOLFILE *mpf;
	db_pgno_t pgno;
	int rc;
	unsigned char first;
	_Atomic int done;
};

static void *getter_main(void *arg)
{
	struct getter *g = arg;
	void *page;
	g->rc = memp_fget(g->mpf, &g->pgno, 0, &page);
	if (g->rc == 0) {
		g->first = *(unsigned char *)page;
		memp_fput(g->mpf, page, 0);
	}
	atomic_store(&g->done, 1);
	return NULL;
}

/* 1 if the get finished within the deadline (the thread is then joined);
 * 0 if it is still stuck (it is left behind: the process exits soon). */
static int get_within_deadline(struct getter *g)
{
	pthread_t th;
	if (pthread_create(&th, NULL, getter_main, g) != 0)
		return 0;
	for (int i = 0; i < DEADLINE * 100; i++) {
		if (atomic_load(&g->done)) {
			pthread_join(th, NULL);
			return 1;
		}
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	pthread_detach(th);
	return 0;
}

/* The child's pread of page 5 tells the parent and never returns. */
static int signal_fd = -1;
static ssize_t stuck_pread(int fd, void *buf, size_t len, off_t off)
{
	if (off == 5 * PS) {
		if (write(signal_fd, "r", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	return lfm__fileio_sys.pread(fd, buf, len, off);
}

static void kill_child(pid_t pid);

static pid_t fork_child(int *to_child, int *from_child)
{
	int down[2], up[2];
	if (pipe(down) != 0 || pipe(up) != 0)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		close(down[1]);
		close(up[0]);
		*to_child = down[0];
		*from_child = up[1];
		return 0;
	}
	close(down[0]);
	close(up[1]);
	*to_child = down[1];
	*from_child = up[0];
	return pid;
}

/* Forks a child that joins the pool the parent then creates, runs `body`
 * (which reports through `up` and never returns), while the parent opens
 * the pool, lets the child go and waits for its one-byte report. Returns
 * the child's pid, or -1. */
typedef void (*child_body)(DB_MPOOL *mp, DB_MPOOLFILE *mpf, int up);

static pid_t spawn(const char *name, child_body body, DB_MPOOL **mp,
		   DB_MPOOLFILE **mpf)
{
	int down, up;
	char c;
	setup(name);
	pid_t pid = fork_child(&down, &up);
	if (pid == 0) {
		DB_MPOOL *cmp;
		DB_MPOOLFILE *cmpf;
		if (read(down, &c, 1) != 1 || open_pool(0, &cmp, &cmpf) != 0)
			_exit(2);
		body(cmp, cmpf, up);
		_exit(4); /* bodies never return */
	}
	*mp = NULL;
	*mpf = NULL;
	if (open_pool(1, mp, mpf) != 0 || write(down, "g", 1) != 1 ||
	    read(up, &c, 1) != 1) {
		kill_child(pid);
		return -1;
	}
	return pid;
}

static void hang(void)
{
	for (;;)
		pause();
}

static void kill_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* The child dies in the middle of reading page 5 into a frame it holds in
 * EXCL, linked in its chain: the parent's get of page 5 waits on it, and
 * must be released by recovery and read the page itself. */
static void read_and_hang(DB_MPOOL *mp, DB_MPOOLFILE *mpf, int up)
{
	static struct lfm__fileio table;
	void *page;
	db_pgno_t p = 5;
	(void)mp;
	table = lfm__fileio_sys;
	table.pread = stuck_pread;
	signal_fd = up;
	lfm__fileio_set(&table);
	memp_fget(mpf, &p, 0, &page); /* never returns */
}

static void test_death_mid_read(void)
{
	DB_MPOOL *mp;
	DB_MPOOLFILE *mpf;
	pid_t pid = spawn("read", read_and_hang, &mp, &mpf);
	REQUIRE(pid > 0); /* the child is mid-read now */
	kill_child(pid);
	struct getter g = {.mpf = mpf, .pgno = 5};
	int finished = get_within_deadline(&g);
	CHECK(finished);
	if (!finished)
		return; /* a stuck thread still uses the pool: leave it */
	CHECK_EQ(g.rc, 0);
	CHECK_EQ(g.first, 6); /* page 5 holds bytes 6 */
	teardown(mp, mpf);
}

/* The child dies holding every frame but one pinned, some directly, some
 * through its thread cache: the parent, holding the last one, gets ENOMEM
 * until recovery takes the child's pins back. */
static void pin_and_hang(DB_MPOOL *mp, DB_MPOOLFILE *mpf, int up)
{
	void *page;
	(void)mp;
	for (db_pgno_t p = 0; p < NFRAMES - 1; p++) {
		db_pgno_t q = p;
		if (memp_fget(mpf, &q, 0, &page) != 0)
			_exit(5);
		if (p % 2 == 0) { /* a second use: a cached pin */
			memp_fput(mpf, page, 0);
			if (memp_fget(mpf, &q, 0, &page) != 0)
				_exit(6);
		}
	}
	if (write(up, "p", 1) != 1)
		_exit(7);
	hang();
}

static void test_death_with_pins(void)
{
	DB_MPOOL *mp;
	DB_MPOOLFILE *mpf;
	pid_t pid = spawn("pins", pin_and_hang, &mp, &mpf);
	REQUIRE(pid > 0);
	void *mine, *other;
	db_pgno_t p = 40, q = 41;
	REQUIRE(memp_fget(mpf, &p, 0, &mine) == 0);
	CHECK_EQ(memp_fget(mpf, &q, 0, &other), ENOMEM); /* all pinned */
	kill_child(pid);
	int rc = ENOMEM;
	for (int i = 0; i < DEADLINE * 100 && rc == ENOMEM; i++) {
		q = 41;
		rc = memp_fget(mpf, &q, 0, &other);
		if (rc == ENOMEM) {
			struct timespec ts = {0, 10 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
	}
	REQUIRE(rc == 0);
	memp_fput(mpf, other, 0);
	/* Every frame the child held is free again: pin NFRAMES - 1 more. */
	void *held[NFRAMES];
	int got = 0;
	for (db_pgno_t r = 0; r < NFRAMES - 1; r++) {
		db_pgno_t s = 20 + r;
		if (memp_fget(mpf, &s, 0, &held[got]) == 0) {
			CHECK_EQ(*(unsigned char *)held[got], s + 1);
			got++;
		}
	}
	CHECK_EQ(got, NFRAMES - 1);
	for (int i = 0; i < got; i++)
		memp_fput(mpf, held[i], 0);
	memp_fput(mpf, mine, 0);
	teardown(mp, mpf);
}

/* The child dies holding the bucket lock of page 9's chain: the parent's
 * miss on page 9 needs it, and recovery must break it. */
static void lock_and_hang(DB_MPOOL *dbmp, DB_MPOOLFILE *dbmpf, int up)
{
	/* The API's handles are the engine's objects (src/api). */
	struct lfm__pool *mp = (struct lfm__pool *)(void *)dbmp;
	struct lfm__fh *mpf = (struct lfm__fh *)(void *)dbmpf;
	struct lfm__bucket *b =
	    lfm__ftab_bucket(mp->rh, lfm__tag(mpf->slot, 9));
	lfm__mutex_lock_as(&b->lock, mp->lock_owner);
	if (write(up, "l", 1) != 1)
		_exit(7);
	hang();
}

static void test_death_holding_bucket_lock(void)
{
	DB_MPOOL *mp;
	DB_MPOOLFILE *mpf;
	pid_t pid = spawn("lock", lock_and_hang, &mp, &mpf);
	REQUIRE(pid > 0);
	kill_child(pid);
	struct getter g = {.mpf = mpf, .pgno = 9};
	int finished = get_within_deadline(&g);
	CHECK(finished);
	if (!finished)
		return;
	CHECK_EQ(g.rc, 0);
	CHECK_EQ(g.first, 10);
	teardown(mp, mpf);
}

/* Dirty pages a dead process left are written by the survivors' sync. */
static void dirty_and_hang(DB_MPOOL *mp, DB_MPOOLFILE *mpf, int up)
{
	void *page;
	memp_set_flushers(mp, 0, 0); /* leave them dirty */
	for (db_pgno_t p = 10; p < 14; p++) {
		db_pgno_t q = p;
		if (memp_fget(mpf, &q, 0, &page) != 0)
			_exit(5);
		memset(page, 0xA0 + (int)p, PS);
		memp_fput(mpf, page, DB_MPOOL_DIRTY);
	}
	if (write(up, "d", 1) != 1)
		_exit(7);
	hang();
}

static void test_dead_process_dirty_pages_survive(void)
{
	DB_MPOOL *mp;
	DB_MPOOLFILE *mpf;
	pid_t pid = spawn("dirty", dirty_and_hang, &mp, &mpf);
	REQUIRE(pid > 0);
	REQUIRE(memp_set_flushers(mp, 0, 0) == 0);
	kill_child(pid);
	DB_LSN all = {~0u, ~0u};
	CHECK_EQ(memp_sync(mp, &all), 0);
	int fd = open(path, O_RDONLY);
	for (int p = 10; p < 14; p++) {
		unsigned char b[PS];
		CHECK_EQ(pread(fd, b, PS, (off_t)p * PS), PS);
		CHECK_EQ(b[0], 0xA0 + p);
		CHECK_EQ(b[PS - 1], 0xA0 + p);
	}
	close(fd);
	teardown(mp, mpf);
}

int main(void)
{
	RUN(test_death_mid_read);
	RUN(test_death_with_pins);
	RUN(test_death_holding_bucket_lock);
	RUN(test_dead_process_dirty_pages_survive);
	UNIT_MAIN_END("recover");
}
