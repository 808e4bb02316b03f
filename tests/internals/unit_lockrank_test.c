/*
 * unit_lockrank_test.c - the lock-rank checker (src/os/lockrank.h) and
 * LFM_ASSERT (src/os/lfm_assert.h).
 *
 * Built with -DLFM_DEBUG=1 and its own copy of lockrank.c whatever the
 * configuration, so it always tests the real checker: locks taken in rank
 * order pass; a lock taken out of order, a second bucket lock, anything
 * but a bucket lock under RECOVER, live_lock with another lock, a lock
 * taken twice or released unheld each abort a forked child, whose death
 * by SIGABRT and message on stderr are checked. Without LFM_DEBUG (should
 * the copt go) it checks that the stubs do nothing.
 */
#include "lfm_assert.h"
#include "lockrank.h"
#include "unit_check.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t m_flush = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_pool = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_files = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_carve = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_bucket = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_bucket2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_live = PTHREAD_MUTEX_INITIALIZER;
static int recover_byte;       /* stands for the OFD RECOVER lock's address */
static int pinlog_a, pinlog_b; /* stand for two pin-log entries */

#ifdef LFM_DEBUG

/* Runs fn in a child with stderr to a pipe. Returns 1 if the child died
 * of SIGABRT having written a line containing `want`; prints what it got
 * otherwise. */
static int aborts_with(void (*fn)(void), const char *want)
{
	int p[2];
	if (pipe(p) != 0)
		return 0;
	pid_t pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 2);
		fn();
		_exit(0); /* no abort: the check missed it */
	}
	close(p[1]);
	char buf[512];
	size_t n = 0;
	ssize_t r;
	while (n + 1 < sizeof(buf) &&
	       (r = read(p[0], buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(p[0]);
	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		return 0;
	int ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT &&
		 strstr(buf, want) != NULL;
	if (!ok)
		fprintf(stderr,
			"child status %#x, stderr: \"%s\", wanted \"%s\"\n",
			status, buf, want);
	return ok;
}

/* Every rank, lowest first, then released in reverse: no abort. */
static void test_in_order_passes(void)
{
	CHECK(lfm__rank_none_held());
	lfm__pmutex_lock_ranked(&m_flush, LFM_RANK_FLUSH);
	lfm__pmutex_lock_ranked(&m_pool, LFM_RANK_POOL);
	lfm__pmutex_lock_ranked(&m_files, LFM_RANK_FILES);
	lfm__pmutex_lock_ranked(&m_carve, LFM_RANK_CARVE);
	lfm__pmutex_lock_ranked(&m_bucket, LFM_RANK_BUCKET);
	CHECK(!lfm__rank_none_held());
	CHECK(lfm__rank_held(&m_flush));
	CHECK(lfm__rank_held(&m_bucket));
	CHECK(!lfm__rank_held(&m_bucket2));
	CHECK(lfm__rank_held_any(LFM_RANK_BUCKET));
	CHECK(!lfm__rank_held_any(LFM_RANK_RECOVER));
	lfm__pmutex_unlock_ranked(&m_bucket);
	CHECK(!lfm__rank_held(&m_bucket));
	CHECK(!lfm__rank_held_any(LFM_RANK_BUCKET));
	/* Another bucket once the first is released. */
	lfm__pmutex_lock_ranked(&m_bucket2, LFM_RANK_BUCKET);
	lfm__pmutex_unlock_ranked(&m_bucket2);
	/* Released out of order (not LIFO): still tracked right. */
	lfm__pmutex_unlock_ranked(&m_pool);
	CHECK(!lfm__rank_held(&m_pool));
	CHECK(lfm__rank_held(&m_files));
	lfm__pmutex_unlock_ranked(&m_carve);
	lfm__pmutex_unlock_ranked(&m_files);
	lfm__pmutex_unlock_ranked(&m_flush);
	CHECK(lfm__rank_none_held());

	/* Recovery: bucket locks, one at a time, under RECOVER. */
	lfm__rank_acquire(&recover_byte, LFM_RANK_RECOVER);
	CHECK(lfm__rank_held_any(LFM_RANK_RECOVER));
	lfm__pmutex_lock_ranked(&m_bucket, LFM_RANK_BUCKET);
	lfm__pmutex_unlock_ranked(&m_bucket);
	lfm__pmutex_lock_ranked(&m_bucket2, LFM_RANK_BUCKET);
	lfm__pmutex_unlock_ranked(&m_bucket2);
	/* carve_lock (its repair) under RECOVER; a pin-log entry under
	 * RECOVER, and under a bucket lock. */
	lfm__pmutex_lock_ranked(&m_carve, LFM_RANK_CARVE);
	lfm__pmutex_unlock_ranked(&m_carve);
	lfm__rank_acquire(&pinlog_a, LFM_RANK_PINLOG);
	lfm__rank_release(&pinlog_a);
	lfm__pmutex_lock_ranked(&m_bucket, LFM_RANK_BUCKET);
	lfm__rank_acquire(&pinlog_a, LFM_RANK_PINLOG);
	lfm__rank_release(&pinlog_a);
	lfm__pmutex_unlock_ranked(&m_bucket);
	lfm__rank_release(&recover_byte);

	/* live_lock alone, but for a pin-log entry (a leaf). */
	lfm__pmutex_lock_ranked(&m_live, LFM_RANK_ALONE);
	CHECK(lfm__rank_held(&m_live));
	lfm__rank_acquire(&pinlog_a, LFM_RANK_PINLOG);
	lfm__rank_release(&pinlog_a);
	lfm__pmutex_unlock_ranked(&m_live);
	CHECK(lfm__rank_none_held());
}

static pthread_barrier_t held_there, checked_here;

static void *hold_carve(void *arg)
{
	lfm__pmutex_lock_ranked(&m_carve, LFM_RANK_CARVE);
	*(int *)arg = lfm__rank_held(&m_carve);
	pthread_barrier_wait(&held_there);
	pthread_barrier_wait(&checked_here);
	lfm__pmutex_unlock_ranked(&m_carve);
	return NULL;
}

/* The stack is per thread: a lock another thread holds is not ours. */
static void test_per_thread(void)
{
	pthread_t th;
	int there = 0;
	REQUIRE(pthread_barrier_init(&held_there, NULL, 2) == 0);
	REQUIRE(pthread_barrier_init(&checked_here, NULL, 2) == 0);
	REQUIRE(pthread_create(&th, NULL, hold_carve, &there) == 0);
	pthread_barrier_wait(&held_there);
	CHECK_EQ(there, 1);
	CHECK(!lfm__rank_held(&m_carve));
	CHECK(lfm__rank_none_held());
	/* files_lock while another thread holds carve_lock: in order for
	 * this thread, which holds nothing. */
	lfm__pmutex_lock_ranked(&m_files, LFM_RANK_FILES);
	CHECK(lfm__rank_held(&m_files));
	lfm__pmutex_unlock_ranked(&m_files);
	pthread_barrier_wait(&checked_here);
	REQUIRE(pthread_join(th, NULL) == 0);
	CHECK(lfm__rank_none_held());
	pthread_barrier_destroy(&held_there);
	pthread_barrier_destroy(&checked_here);
}

static void lower_under_higher(void)
{
	lfm__pmutex_lock_ranked(&m_carve, LFM_RANK_CARVE);
	lfm__pmutex_lock_ranked(&m_files, LFM_RANK_FILES);
}

static void same_rank_twice(void)
{
	lfm__pmutex_lock_ranked(&m_flush, LFM_RANK_FLUSH);
	lfm__pmutex_lock_ranked(&m_pool, LFM_RANK_FLUSH);
}

static void two_buckets(void)
{
	lfm__pmutex_lock_ranked(&m_bucket, LFM_RANK_BUCKET);
	lfm__pmutex_lock_ranked(&m_bucket2, LFM_RANK_BUCKET);
}

static void files_under_recover(void)
{
	lfm__rank_acquire(&recover_byte, LFM_RANK_RECOVER);
	lfm__pmutex_lock_ranked(&m_files, LFM_RANK_FILES);
}

static void two_pinlog_entries(void)
{
	lfm__rank_acquire(&pinlog_a, LFM_RANK_PINLOG);
	lfm__rank_acquire(&pinlog_b, LFM_RANK_PINLOG);
}

static void bucket_under_pinlog(void)
{
	lfm__rank_acquire(&pinlog_a, LFM_RANK_PINLOG);
	lfm__pmutex_lock_ranked(&m_bucket, LFM_RANK_BUCKET);
}

static void recover_under_pool(void)
{
	lfm__pmutex_lock_ranked(&m_pool, LFM_RANK_POOL);
	lfm__rank_acquire(&recover_byte, LFM_RANK_RECOVER);
}

static void live_under_pool(void)
{
	lfm__pmutex_lock_ranked(&m_pool, LFM_RANK_POOL);
	lfm__pmutex_lock_ranked(&m_live, LFM_RANK_ALONE);
}

static void bucket_under_live(void)
{
	lfm__pmutex_lock_ranked(&m_live, LFM_RANK_ALONE);
	lfm__pmutex_lock_ranked(&m_bucket, LFM_RANK_BUCKET);
}

static void same_lock_twice(void)
{
	/* Checked before blocking: the child aborts, it does not hang. */
	lfm__pmutex_lock_ranked(&m_pool, LFM_RANK_POOL);
	lfm__pmutex_lock_ranked(&m_pool, LFM_RANK_POOL);
}

static void release_unheld(void)
{
	lfm__rank_release(&m_pool);
}

static void failed_assert(void)
{
	int pins = 2;
	LFM_ASSERT(pins == 1);
}
static const int failed_assert_line = __LINE__ - 2;

static void test_violations_abort(void)
{
	CHECK(aborts_with(lower_under_higher,
			  "lock rank: out of order: taking files_lock while "
			  "holding carve_lock"));
	CHECK(aborts_with(same_rank_twice,
			  "out of order: taking flush_lock while holding "
			  "flush_lock"));
	CHECK(aborts_with(two_buckets,
			  "never two bucket locks at once: taking bucket lock "
			  "while holding bucket lock"));
	CHECK(aborts_with(files_under_recover,
			  "only carve_lock, bucket locks and pin-log entries "
			  "under RECOVER: taking files_lock while holding "
			  "RECOVER"));
	CHECK(aborts_with(two_pinlog_entries,
			  "never two pin-log entries at once: taking pin-log "
			  "entry while holding pin-log entry"));
	CHECK(aborts_with(bucket_under_pinlog,
			  "out of order: taking bucket lock while holding "
			  "pin-log entry"));
	CHECK(aborts_with(recover_under_pool,
			  "out of order: taking RECOVER while holding "
			  "lfm__pool.lock"));
	CHECK(aborts_with(live_under_pool,
			  "live_lock is taken alone: taking live_lock while "
			  "holding lfm__pool.lock"));
	CHECK(aborts_with(bucket_under_live,
			  "live_lock is taken alone: taking bucket lock while "
			  "holding live_lock"));
	CHECK(aborts_with(same_lock_twice, "a lock this thread holds"));
	CHECK(aborts_with(release_unheld,
			  "releasing a lock this thread does not hold"));
	/* LFM_ASSERT names the file, line and condition. */
	char want[80];
	snprintf(want, sizeof(want),
		 "unit_lockrank_test.c:%d: assertion failed: pins == 1",
		 failed_assert_line);
	CHECK(aborts_with(failed_assert, want));
	/* The parent, which ran none of these, holds nothing. */
	CHECK(lfm__rank_none_held());
}

#else

/* The stubs: nothing is recorded, nothing aborts, asserts are not even
 * evaluated. */
static void test_stubs_do_nothing(void)
{
	int evaluated = 0;
	lfm__pmutex_lock_ranked(&m_carve, LFM_RANK_CARVE);
	lfm__pmutex_lock_ranked(&m_files, LFM_RANK_FILES);
	lfm__rank_release(&recover_byte);
	LFM_ASSERT(++evaluated == 5);
	CHECK_EQ(evaluated, 0);
	CHECK(lfm__rank_held(&m_bucket));
	CHECK(lfm__rank_none_held());
	lfm__pmutex_unlock_ranked(&m_files);
	lfm__pmutex_unlock_ranked(&m_carve);
}

#endif

int main(void)
{
#ifdef LFM_DEBUG
	RUN(test_in_order_passes);
	RUN(test_per_thread);
	RUN(test_violations_abort);
#else
	RUN(test_stubs_do_nothing);
#endif
	UNIT_MAIN_END("lockrank");
}
