// The write-back API (memp_set_logflush and memp_sync's write-ahead rule,
// memp_trickle, memp_set_flushers), the flushers at work, and durability of
// what they and evictions wrote. Fixture: writeback_fixture.h.

#include "writeback_fixture.h"

namespace lfmtest {
namespace {

// ======================================================= write-ahead rule

bool LsnLess(const DB_LSN &a, const DB_LSN &b) {
  return a.file < b.file || (a.file == b.file && a.offset < b.offset);
}
std::string LsnStr(const DB_LSN &l) {
  return "[" + std::to_string(l.file) + "," + std::to_string(l.offset) + "]";
}

struct LogState {
  std::mutex m;
  DB_LSN durable{0, 0};    // the largest LSN a call returned 0 for
  DB_LSN max_asked{0, 0};  // the largest LSN asked for
  int calls = 0;
  int fail = 0;  // nonzero: the callback returns it
  int violations = 0;
  std::string first_violation;
  long pages_checked = 0;

  int Calls() {
    std::lock_guard<std::mutex> l(m);
    return calls;
  }
  int Violations() {
    std::lock_guard<std::mutex> l(m);
    return violations;
  }
};

int LogFlush(void *arg, const DB_LSN *lsn) {
  LogState *s = static_cast<LogState *>(arg);
  std::lock_guard<std::mutex> l(s->m);
  s->calls++;
  if (LsnLess(s->max_asked, *lsn)) s->max_asked = *lsn;
  if (s->fail != 0) return s->fail;
  if (LsnLess(s->durable, *lsn)) s->durable = *lsn;
  return 0;
}

class WalTest : public Writeback {
 protected:
  void SetUp() override {
    Writeback::SetUp();
    ino_ = 0;
    // Every page write: its LSN (bytes 0..7) must be durable already.
    io().SetChecker([this](ino_t ino, off_t off, const uint8_t *data,
                           size_t len) {
      std::lock_guard<std::mutex> l(log_.m);
      if (ino != ino_.load()) return;
      if (off % static_cast<off_t>(kPage) != 0 || len % kPage != 0) {
        if (log_.violations++ == 0)
          log_.first_violation = "unaligned write at " + std::to_string(off);
        return;
      }
      for (size_t i = 0; i < len; i += kPage) {
        DB_LSN lsn;
        memcpy(&lsn, data + i, sizeof lsn);
        log_.pages_checked++;
        if (LsnLess(log_.durable, lsn) && log_.violations++ == 0)
          log_.first_violation = "page " + std::to_string((off + i) / kPage) +
                                 " with LSN " + LsnStr(lsn) +
                                 " written while the log was durable to " +
                                 LsnStr(log_.durable);
      }
    });
  }
  void Setup(size_t size, db_pgno_t npages, bool flushers = false) {
    ASSERT_NO_FATAL_FAILURE(
        Writeback::Setup(size, npages, flushers, 0, /*lsn_offset=*/0));
    ino_ = InodeOf(Path());
    ASSERT_EQ(memp_set_logflush(mp_, LogFlush, &log_), 0);
  }
  static std::vector<uint8_t> Expected(db_pgno_t pgno, uint32_t salt,
                                       DB_LSN lsn) {
    std::vector<uint8_t> v = PatternPage(pgno, kPage, salt);
    memcpy(v.data(), &lsn, sizeof lsn);
    return v;
  }
  void PutLsn(db_pgno_t pgno, uint32_t salt, DB_LSN lsn) {
    db_pgno_t pg = pgno;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0) << "page " << pgno;
    memcpy(page, Expected(pgno, salt, lsn).data(), kPage);
    ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);
  }
  void ExpectNoViolation() {
    std::lock_guard<std::mutex> l(log_.m);
    EXPECT_EQ(log_.violations, 0) << log_.first_violation;
  }

  LogState log_;
};

TEST_F(WalTest, SetLogflushNullPoolIsEinval) {
  EXPECT_EQ(memp_set_logflush(nullptr, LogFlush, &log_), EINVAL);
}

// memp_sync: the callback is asked (a few times, not per page) for an LSN
// covering every page before it is written; *lsn comes back as the largest
// LSN written. Pages already covered by the durable position need no new
// call. A refusing callback fails the sync and nothing past the durable
// position is written.
TEST_F(WalTest, SyncFlushesTheLogFirst) {
  constexpr db_pgno_t kN = 32;
  ASSERT_NO_FATAL_FAILURE(Setup(k256Frames, kN));
  for (db_pgno_t p = 0; p < kN; p++) PutLsn(p, 1, DB_LSN{1, 100 * (p + 1)});
  LSN lsn = {100, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
  EXPECT_EQ(lsn.file, 1u);
  EXPECT_EQ(lsn.offset, 100 * kN);
  ExpectNoViolation();
  {
    std::lock_guard<std::mutex> l(log_.m);
    EXPECT_GE(log_.calls, 1);
    EXPECT_LE(log_.calls, static_cast<int>(kN / 4))
        << "the log is flushed once per page, not per batch";
    EXPECT_FALSE(LsnLess(log_.max_asked, DB_LSN{1, 100 * kN}))
        << "asked only up to " << LsnStr(log_.max_asked);
    EXPECT_GE(log_.pages_checked, static_cast<long>(kN));
  }
  for (db_pgno_t p = 0; p < kN; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage),
              Expected(p, 1, DB_LSN{1, 100 * (p + 1)}))
        << "page " << p;

  // Below the durable position: written without a new call.
  const int calls = log_.Calls();
  for (db_pgno_t p = 0; p < 8; p++) PutLsn(p, 2, DB_LSN{1, 50 + p});
  lsn = {100, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
  EXPECT_EQ(log_.Calls(), calls) << "log flushed for LSNs already durable";
  for (db_pgno_t p = 0; p < 8; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage), Expected(p, 2, DB_LSN{1, 50 + p}))
        << "page " << p;
  ExpectNoViolation();

  // A refusing callback: the sync fails, nothing past the durable position
  // is written, the pages stay dirty.
  {
    std::lock_guard<std::mutex> l(log_.m);
    log_.fail = EIO;
  }
  for (db_pgno_t p = 8; p < 16; p++) PutLsn(p, 3, DB_LSN{2, p});
  lsn = {100, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), EIO);
  ExpectNoViolation();
  EXPECT_EQ(Dirty(), 8u);
  for (db_pgno_t p = 8; p < 16; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage),
              Expected(p, 1, DB_LSN{1, 100 * (p + 1)}))
        << "page " << p << " written although the log flush failed";
  {
    std::lock_guard<std::mutex> l(log_.m);
    log_.fail = 0;
  }
  lsn = {100, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
  EXPECT_EQ(lsn.file, 2u);
  EXPECT_EQ(lsn.offset, 15u);
  EXPECT_EQ(Dirty(), 0u);
  ExpectNoViolation();
  for (db_pgno_t p = 8; p < 16; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage), Expected(p, 3, DB_LSN{2, p}))
        << "page " << p;

  // memp_fsync obeys the rule too.
  for (db_pgno_t p = 16; p < 24; p++) PutLsn(p, 4, DB_LSN{3, p});
  EXPECT_EQ(memp_fsync(mpf_), 0);
  ExpectNoViolation();
  {
    std::lock_guard<std::mutex> l(log_.m);
    EXPECT_FALSE(LsnLess(log_.max_asked, DB_LSN{3, 23}));
  }
  for (db_pgno_t p = 16; p < 24; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage), Expected(p, 4, DB_LSN{3, p}));
}

// Eviction of a dirty victim obeys the rule as well.
TEST_F(WalTest, EvictionFlushesTheLogFirst) {
  ASSERT_NO_FATAL_FAILURE(Setup(kSmallPool, 12));
  for (db_pgno_t p = 0; p < 12; p++) PutLsn(p, 5, DB_LSN{4, p + 1});
  ExpectNoViolation();
  EXPECT_GE(log_.Calls(), 1);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  ExpectNoViolation();
  for (db_pgno_t p = 0; p < 12; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage), Expected(p, 5, DB_LSN{4, p + 1}));
}

// Flushers obey the rule: they write every page (12 dirty of 16 frames is
// below a 99% clean target), never one past the durable position.
TEST_F(WalTest, FlushersFlushTheLogFirst) {
  constexpr db_pgno_t kN = 12;
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, kN, /*flushers=*/true));
  ASSERT_EQ(memp_set_flushers(mp_, 1, 99), 0);
  for (db_pgno_t p = 0; p < kN; p++) PutLsn(p, 6, DB_LSN{5, p + 1});
  EXPECT_TRUE(WaitFor([&] { return Dirty() == 0; }))
      << Dirty() << " pages still dirty";
  ExpectNoViolation();
  EXPECT_GE(log_.Calls(), 1);
  EXPECT_GT(io().writes_other_thread.load(), 0);
  for (db_pgno_t p = 0; p < kN; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage), Expected(p, 6, DB_LSN{5, p + 1}));
}

// A log flush a flusher was refused is a background error: the pages stay
// dirty and unwritten, each refusal is counted, and the next memp_sync
// writes them and returns 0 (its own log flush succeeded): a refusal met
// by another thread is not its error.
TEST_F(WalTest, FlusherRefusedLogFlushIsCountedNotReturned) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8, /*flushers=*/true));
  {
    std::lock_guard<std::mutex> l(log_.m);
    log_.fail = EIO;
  }
  ASSERT_EQ(memp_set_flushers(mp_, 1, 99), 0);
  for (db_pgno_t p = 0; p < 8; p++) PutLsn(p, 8, DB_LSN{6, p + 1});
  EXPECT_TRUE(WaitFor([&] { return log_.Calls() > 0; }))
      << "no flusher asked for a log flush within the deadline";
  ASSERT_EQ(memp_set_flushers(mp_, 0, 0), 0);
  ExpectNoViolation();
  EXPECT_EQ(Dirty(), 8u);
  ExpectDisk(0, 8, 0);
  const int refused = log_.Calls();  // every one of them by a flusher
  EXPECT_EQ(Stat(mp_).st_bg_write_errors, static_cast<unsigned long>(refused));
  EXPECT_EQ(Stat(mp_).st_log_flush, static_cast<unsigned long>(refused));
  {
    std::lock_guard<std::mutex> l(log_.m);
    log_.fail = 0;
  }
  LSN lsn = {100, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0) << "a flusher's refusal returned";
  ExpectNoViolation();
  for (db_pgno_t p = 0; p < 8; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage), Expected(p, 8, DB_LSN{6, p + 1}));
  lsn = {100, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
}

// NULL turns the rule off: no more calls.
TEST_F(WalTest, NullCallbackTurnsTheRuleOff) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 4));
  ASSERT_EQ(memp_set_logflush(mp_, nullptr, nullptr), 0);
  for (db_pgno_t p = 0; p < 4; p++) PutLsn(p, 7, DB_LSN{9, p});
  LSN lsn = {100, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
  EXPECT_EQ(log_.Calls(), 0);
  for (db_pgno_t p = 0; p < 4; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage), Expected(p, 7, DB_LSN{9, p}));
}

// ======================================================= memp_trickle

TEST_F(Writeback, TrickleArgumentErrors) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 4));
  int n = 12345;
  EXPECT_EQ(memp_trickle(mp_, 0, &n), EINVAL);
  EXPECT_EQ(memp_trickle(mp_, 101, &n), EINVAL);
  EXPECT_EQ(memp_trickle(mp_, -1, &n), EINVAL);
  EXPECT_EQ(memp_trickle(nullptr, 50, &n), EINVAL);
  EXPECT_EQ(memp_trickle(mp_, 50, nullptr), 0);
  EXPECT_EQ(memp_trickle(mp_, 100, nullptr), 0);
}

// All 16 frames hold pages, 4 dirty and unpinned, 1 dirty and pinned:
// trickle(50) is satisfied (11 of 16 clean) and writes nothing;
// trickle(100) writes the 4, not the pinned one; once put, it goes too.
TEST_F(Writeback, TrickleWritesUnpinnedDirtyPagesOnly) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 16));
  ExpectCache(0, 16, 0);  // every frame holds a page
  PutRange(0, 4, 15);
  db_pgno_t pg = 4;
  void *pinned = nullptr;
  ASSERT_EQ(memp_fget(mpf_, &pg, 0, &pinned), 0);
  FillPattern(pinned, kPage, 4, 15);
  ASSERT_EQ(memp_fset(mpf_, pinned, DB_MPOOL_DIRTY), 0);
  EXPECT_EQ(Dirty(), 5u);

  int n = -1;
  EXPECT_EQ(memp_trickle(mp_, 50, &n), 0);
  EXPECT_EQ(n, 0);
  EXPECT_EQ(Dirty(), 5u);
  ExpectDisk(0, 5, 0);

  n = -1;
  EXPECT_EQ(memp_trickle(mp_, 100, &n), 0);
  EXPECT_EQ(n, 4);
  EXPECT_EQ(Dirty(), 1u);
  ExpectDisk(0, 4, 15);
  ExpectDisk(4, 1, 0);

  ASSERT_EQ(memp_fput(mpf_, pinned, 0), 0);
  n = -1;
  EXPECT_EQ(memp_trickle(mp_, 100, &n), 0);
  EXPECT_EQ(n, 1);
  EXPECT_EQ(Dirty(), 0u);
  ExpectDisk(0, 5, 15);
  n = -1;
  EXPECT_EQ(memp_trickle(mp_, 100, &n), 0);
  EXPECT_EQ(n, 0);
}

// ======================================================= memp_set_flushers

TEST_F(Writeback, SetFlushersArgumentErrors) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 4, /*flushers=*/true));
  EXPECT_EQ(memp_set_flushers(mp_, -2, 0), EINVAL);
  EXPECT_EQ(memp_set_flushers(mp_, 65, 0), EINVAL);
  EXPECT_EQ(memp_set_flushers(mp_, 1, 100), EINVAL);
  EXPECT_EQ(memp_set_flushers(mp_, 1, -1), EINVAL);
  EXPECT_EQ(memp_set_flushers(nullptr, 1, 20), EINVAL);
  EXPECT_EQ(memp_set_flushers(nullptr, 0, 0), EINVAL);
  EXPECT_EQ(memp_set_flushers(mp_, 64, 1), 0);
  EXPECT_EQ(memp_set_flushers(mp_, 1, 99), 0);
}

// Without DB_THREAD the application's pgin, pgout and log-flush function
// need not be thread-safe, so memp_open starts no thread that could call
// them: the process has as many threads after it as before, and every
// pgout (by evictions and syncs) runs on the application's thread. A
// flusher it asks for with memp_set_flushers is its choice, and runs.
std::atomic<long> g_foreign_pgouts{0};
std::atomic<long> g_pgouts{0};
pthread_t g_app_thread;
int PgoutOnAppThread(db_pgno_t, void *, DBT *) {
  g_pgouts++;
  if (!pthread_equal(pthread_self(), g_app_thread)) g_foreign_pgouts++;
  return 0;
}

TEST_F(Writeback, NoLibraryThreadWithoutDbThread) {
  MakeFile(Path(), 32, kPage);
  g_app_thread = pthread_self();
  const long before = ThreadCount();
  Open(k16Frames, 0);  // not free-threaded
  EXPECT_EQ(ThreadCount(), before) << "memp_open without DB_THREAD started "
                                      "a thread";
  ASSERT_EQ(memp_register(mp_, 5, nullptr, PgoutOnAppThread), 0);
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf_, 0, 5), 0);
  for (uint32_t salt = 1; salt <= 4; salt++)
    PutRange(0, 32, salt);  // twice the frames: dirty evictions
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_GT(g_pgouts.load(), 32);
  EXPECT_EQ(g_foreign_pgouts.load(), 0) << "pgout ran on a library thread";
  EXPECT_EQ(ThreadCount(), before);
  ExpectDisk(0, 32, 4);
  // Asked for, a flusher runs (and may call pgout from its thread).
  ASSERT_EQ(memp_set_flushers(mp_, 1, 50), 0);
  EXPECT_EQ(ThreadCount(), before + 1);
  ASSERT_EQ(memp_set_flushers(mp_, 0, 0), 0);
  EXPECT_EQ(ThreadCountSettled(before), before);
}

// Replacing the set over and over, with dirty pages about, neither hangs
// nor leaks (ASan), and nothing is lost.
TEST_F(Writeback, SetFlushersRepeatedly) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 32, /*flushers=*/true));
  const int counts[] = {1, 0, 2, -1, 0, 3, 1, -1, 2, 0, 1};
  uint32_t salt = 20;
  for (int round = 0; round < 3; round++) {
    for (int c : counts) {
      ASSERT_EQ(memp_set_flushers(mp_, c, c == 0 ? 0 : 10 + 20 * round), 0)
          << "nflushers " << c;
      PutRange(0, 32, ++salt);  // twice the frames: evictions too
    }
  }
  EXPECT_EQ(memp_fsync(mpf_), 0);
  ExpectDisk(0, 32, salt);
  ExpectCache(0, 32, salt);
}

// ENOMEM means every frame is pinned. With flushers writing runs (frames
// held for I/O) a miss, with no page pinned anywhere, must still get a
// frame: 5 frames, 10 pages dirtied round after round, every put a miss.
TEST_F(Writeback, MissWithNothingPinnedIsNeverEnomemWhileFlushersRun) {
  ASSERT_NO_FATAL_FAILURE(Setup(kSmallPool, 10, /*flushers=*/true));
  ASSERT_EQ(memp_set_flushers(mp_, 2, 99), 0);
  constexpr int kRounds = 300;
  int enomem = 0, other = 0, last = 0, first_round = -1;
  for (int round = 0; round < kRounds; round++) {
    for (db_pgno_t p = 0; p < 10; p++) {
      const int rc = Put(p, static_cast<uint32_t>(round));
      if (rc == ENOMEM) {
        if (enomem++ == 0) first_round = round;
      } else if (rc != 0) {
        other++;
        last = rc;
      }
    }
  }
  EXPECT_EQ(enomem, 0) << "memp_fget returned ENOMEM " << enomem << " times in "
                       << kRounds * 10 << " misses (first in round "
                       << first_round << ") with no page pinned";
  EXPECT_EQ(other, 0) << "last error " << last;
  // Nothing lost either way: every page holds its last version.
  ASSERT_EQ(memp_set_flushers(mp_, 0, 0), 0);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  ExpectCache(0, 10, kRounds - 1);
  ExpectDisk(0, 10, kRounds - 1);
}

// The same, made deterministic: a flusher is held inside its write of a
// run covering every frame (the hook blocks it until a second thread lets
// it go, 200 ms later). No frame is pinned, so a miss meanwhile must not
// fail with ENOMEM: it gets a frame once the write is done.
TEST_F(Writeback, MissWaitsForFramesAFlusherIsWriting) {
  ASSERT_NO_FATAL_FAILURE(Setup(kSmallPool, 8));
  PutRange(0, kSmallPoolFrames, 16);
  HoldFlusherWrites();
  ASSERT_EQ(memp_set_flushers(mp_, 1, 99), 0);
  ASSERT_TRUE(WaitFor([this] { return hold_in_write_.load(); }))
      << "no flusher wrote within the deadline";
  std::thread releaser = ReleaseLater();
  db_pgno_t pg = 5;
  void *page = nullptr;
  const int rc = memp_fget(mpf_, &pg, 0, &page);
  const bool released = hold_release_.load();
  releaser.join();
  EXPECT_EQ(rc, 0) << "memp_fget of a missing page returned " << rc
                   << (released ? " after" : " before")
                   << " the flusher's write finished; no frame was pinned";
  if (rc == 0) {
    EXPECT_EQ(Bytes(page, kPage), PatternPage(5, kPage));
    ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  }
  ASSERT_EQ(memp_set_flushers(mp_, 0, 0), 0);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  ExpectDisk(0, kSmallPoolFrames, 16);
}

// Two syncs at once, over dirty pages that only a thread cache references
// (CACHED entries, no pin): both steal the entries, and whichever loses a
// race for one must not take it for a pin. Neither may return
// DB_INCOMPLETE, since nothing is pinned. (Found by the memp fuzz target:
// a flusher and memp_fsync racing so.)
TEST_F(Writeback, ConcurrentSyncsOfCachedDirtyPagesAreComplete) {
  constexpr db_pgno_t kPages = 8;
  const int kRounds = static_cast<int>(EnvU64("LFM_ROUNDS", 400));
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, kPages));
  // Flushers steal the same entries too (with 99% they always want to).
  ASSERT_EQ(memp_set_flushers(mp_, 2, 99), 0);
  pthread_barrier_t start, done;
  ASSERT_EQ(pthread_barrier_init(&start, nullptr, 3), 0);
  ASSERT_EQ(pthread_barrier_init(&done, nullptr, 3), 0);
  std::atomic<int> incomplete{0}, other{0};
  auto syncer = [&] {
    for (int round = 0; round < kRounds; round++) {
      pthread_barrier_wait(&start);
      const int rc = memp_fsync(mpf_);
      if (rc == DB_INCOMPLETE) incomplete++;
      if (rc != 0 && rc != DB_INCOMPLETE) other++;
      pthread_barrier_wait(&done);
    }
  };
  std::thread a(syncer), b(syncer);
  for (int round = 0; round < kRounds; round++) {
    // Two uses each (the hit path's: no flags): from the second on, this
    // thread's cache holds them.
    for (int use = 0; use < 2; use++) {
      for (db_pgno_t p = 0; p < kPages; p++) {
        db_pgno_t pg = p;
        void *page = nullptr;
        ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0);
        FillPattern(page, kPage, p, static_cast<uint32_t>(round));
        ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);
      }
    }
    pthread_barrier_wait(&start);
    pthread_barrier_wait(&done);
  }
  a.join();
  b.join();
  pthread_barrier_destroy(&start);
  pthread_barrier_destroy(&done);
  ASSERT_EQ(memp_set_flushers(mp_, 0, 0), 0);
  EXPECT_EQ(incomplete.load(), 0)
      << "memp_fsync returned DB_INCOMPLETE with no page pinned";
  EXPECT_EQ(other.load(), 0);
  ExpectDisk(0, kPages, kRounds - 1);
}

// memp_close stops the flushers; nothing is written after it returns.
TEST_F(Writeback, CloseStopsFlushersNothingWrittenAfter) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 16, /*flushers=*/true));
  ASSERT_EQ(memp_set_flushers(mp_, 4, 99), 0);
  for (int round = 0; round < 5; round++) PutRange(0, 16, 30 + round);
  ASSERT_EQ(memp_close(mp_), 0);
  mp_ = nullptr;
  mpf_ = nullptr;
  const long writes = io().write_calls.load();
  const long fsyncs = io().fsync_calls.load();
  // No pool thread is left that could write: memp_close joined them all.
  EXPECT_EQ(ThreadCountSettled(threads_before_), threads_before_)
      << "a flusher outlived memp_close";
  EXPECT_EQ(io().write_calls.load(), writes) << "written after memp_close";
  EXPECT_EQ(io().fsync_calls.load(), fsyncs) << "synced after memp_close";
  // Each page on disk is whole: one of the versions put, or the original.
  for (db_pgno_t p = 0; p < 16; p++) {
    const std::vector<uint8_t> v = ReadPage(Path(), p, kPage);
    bool ok = v == PatternPage(p, kPage);
    for (uint32_t s = 30; s < 35 && !ok; s++)
      ok = v == PatternPage(p, kPage, s);
    EXPECT_TRUE(ok) << "page " << p << " is torn";
  }
}

// ======================================================= flushers at work

// With a 50% target the flushers write dirty, unpinned pages until about
// half the frames are clean; a pinned dirty page is never written while
// pinned.
TEST_F(Writeback, FlushersKeepTheCleanFractionAndSkipPinnedPages) {
  constexpr db_pgno_t kFrames = 16, kPinned = 9;
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, kFrames));
  // Fixture members, not locals: the checker may run until memp_close.
  ino_ = InodeOf(Path());
  window_ = true;
  io().SetChecker([this](ino_t i, off_t off, const uint8_t *, size_t len) {
    const off_t lo = static_cast<off_t>(kPinned * kPage);
    if (i == ino_.load() && window_.load() &&
        off < lo + static_cast<off_t>(kPage) &&
        off + static_cast<off_t>(len) > lo)
      pinned_writes_++;
  });
  ExpectCache(0, kFrames, 0);  // every frame holds a page
  db_pgno_t pg = kPinned;
  void *pinned = nullptr;
  ASSERT_EQ(memp_fget(mpf_, &pg, 0, &pinned), 0);
  FillPattern(pinned, kPage, kPinned, 40);
  ASSERT_EQ(memp_fset(mpf_, pinned, DB_MPOOL_DIRTY), 0);
  for (db_pgno_t p = 0; p < kFrames; p++) {
    if (p != kPinned) {
      ASSERT_EQ(Put(p, 40), 0);
    }
  }
  EXPECT_EQ(Stat(mp_).st_page_clean, 0u);

  ASSERT_EQ(memp_set_flushers(mp_, 1, 50), 0);
  unsigned long clean = 0;
  EXPECT_TRUE(WaitFor([&] {
    clean = Stat(mp_).st_page_clean;
    return clean >= kFrames / 2 - 1;
  })) << "only "
      << clean << " of " << kFrames << " frames clean";
  ASSERT_EQ(memp_set_flushers(mp_, 0, 0), 0);  // freeze
  clean = Stat(mp_).st_page_clean;
  EXPECT_GT(io().writes_other_thread.load(), 0);
  int on_disk_new = 0;
  for (db_pgno_t p = 0; p < kFrames; p++) {
    const std::vector<uint8_t> v = ReadPage(Path(), p, kPage);
    if (v == PatternPage(p, kPage, 40)) {
      on_disk_new++;
    } else {
      EXPECT_EQ(v, PatternPage(p, kPage)) << "page " << p << " is torn";
    }
  }
  EXPECT_GE(on_disk_new, static_cast<int>(clean));
  EXPECT_EQ(ReadPage(Path(), kPinned, kPage), PatternPage(kPinned, kPage));

  // The pinned page survives a trickle and an fsync too.
  int n = -1;
  EXPECT_EQ(memp_trickle(mp_, 100, &n), 0);
  EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE);
  EXPECT_EQ(pinned_writes_.load(), 0) << "the pinned page was written";
  EXPECT_EQ(ReadPage(Path(), kPinned, kPage), PatternPage(kPinned, kPage));
  window_ = false;
  ASSERT_EQ(memp_fput(mpf_, pinned, 0), 0);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  ExpectDisk(0, kFrames, 40);
}

// memp_set_flushers(0) and memp_close let a flusher finish the write it is
// making before they return (it is held inside the write for 200 ms).
TEST_F(Writeback, SetFlushersWaitsForTheWriteInProgress) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8));
  PutRange(0, 8, 24);
  HoldFlusherWrites();
  ASSERT_EQ(memp_set_flushers(mp_, 1, 99), 0);
  ASSERT_TRUE(WaitFor([this] { return hold_in_write_.load(); }))
      << "no flusher wrote within the deadline";
  std::thread releaser = ReleaseLater();
  EXPECT_EQ(memp_set_flushers(mp_, 0, 0), 0);
  const bool released = hold_release_.load();
  releaser.join();
  EXPECT_TRUE(released)
      << "memp_set_flushers returned while a flusher was inside a write";
  const long writes = io().write_calls.load();
  EXPECT_EQ(memp_fsync(mpf_), 0);
  ExpectDisk(0, 8, 24);
  EXPECT_GE(io().write_calls.load(), writes);
}

TEST_F(Writeback, CloseWaitsForTheWriteInProgress) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8));
  PutRange(0, 8, 25);
  HoldFlusherWrites();
  ASSERT_EQ(memp_set_flushers(mp_, 1, 99), 0);
  ASSERT_TRUE(WaitFor([this] { return hold_in_write_.load(); }))
      << "no flusher wrote within the deadline";
  std::thread releaser = ReleaseLater();
  EXPECT_EQ(memp_close(mp_), 0);
  const bool released = hold_release_.load();
  mp_ = nullptr;
  mpf_ = nullptr;
  releaser.join();
  EXPECT_TRUE(released) << "memp_close returned while a flusher was inside "
                           "a write";
  const long writes = io().write_calls.load();
  EXPECT_EQ(ThreadCountSettled(threads_before_), threads_before_)
      << "a flusher outlived memp_close";
  EXPECT_EQ(io().write_calls.load(), writes) << "written after memp_close";
  // The held write went out whole (it was of every dirty page, one run).
  for (db_pgno_t p = 0; p < 8; p++) {
    const std::vector<uint8_t> v = ReadPage(Path(), p, kPage);
    EXPECT_TRUE(v == PatternPage(p, kPage, 25) || v == PatternPage(p, kPage))
        << "page " << p << " is torn";
  }
}

// ======================================================= durability

// Pages a flusher wrote are made durable by the next memp_fsync, although
// it has nothing left to write itself.
TEST_F(Writeback, FsyncSyncsWhatFlushersWrote) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8, /*flushers=*/true));
  ASSERT_EQ(memp_set_flushers(mp_, 1, 99), 0);
  PutRange(0, 8, 26);
  EXPECT_TRUE(WaitFor([&] { return Dirty() == 0; }))
      << Dirty() << " pages still dirty";
  ASSERT_EQ(memp_set_flushers(mp_, 0, 0), 0);
  EXPECT_GT(io().writes_other_thread.load(), 0);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_TRUE(io().AllWritesSynced())
      << "memp_fsync returned with pages a flusher wrote not fdatasync'd";
  ExpectDisk(0, 8, 26);
}

// The same for pages evictions and memp_trickle wrote, and for memp_sync.
TEST_F(Writeback, SyncsSyncWhatEvictionsAndTrickleWrote) {
  ASSERT_NO_FATAL_FAILURE(Setup(kSmallPool, 10));
  PutRange(0, 10, 27);  // 5 frames: misses write 5 dirty victims
  EXPECT_GE(Stat(mp_).st_rw_evict, 5u);
  int n = -1;
  EXPECT_EQ(memp_trickle(mp_, 100, &n), 0);
  EXPECT_EQ(n, 5);
  EXPECT_EQ(Dirty(), 0u);
  EXPECT_FALSE(io().AllWritesSynced());  // nothing synced yet
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_TRUE(io().AllWritesSynced())
      << "memp_fsync returned with evicted / trickled pages not fdatasync'd";
  ExpectDisk(0, 10, 27);

  PutRange(0, 10, 28);
  EXPECT_EQ(memp_trickle(mp_, 100, &n), 0);
  LSN lsn = {0xFFFFFFFFu, 0xFFFFFFFFu};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
  EXPECT_TRUE(io().AllWritesSynced())
      << "memp_sync returned with written pages not fdatasync'd";
  ExpectDisk(0, 10, 28);
}

// memp_sync: an fdatasync error is returned and the pages are written again
// by the next sync.
TEST_F(Writeback, SyncFdatasyncErrorRedirtiesThePages) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8));
  PutRange(0, 8, 29);
  io().fsync_errno = EIO;
  LSN lsn = {0xFFFFFFFFu, 0xFFFFFFFFu};
  EXPECT_EQ(memp_sync(mp_, &lsn), EIO);
  EXPECT_EQ(Dirty(), 8u);
  io().ClearFaults();
  io().ClearCounters();
  lsn = {0xFFFFFFFFu, 0xFFFFFFFFu};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
  EXPECT_GE(io().bytes_written.load(), static_cast<long>(8 * kPage));
  EXPECT_TRUE(io().AllWritesSynced());
  ExpectDisk(0, 8, 29);
}

// mpool_sync (mpool(3)) makes its writes durable; a failed fdatasync or
// write is -1 / errno, and the next mpool_sync writes the pages again.
TEST_F(Writeback, MpoolSyncIsDurableAndRetries) {
  MakeFile(Path(), 8, kPage);
  const int fd = ::open(Path().c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  MPOOL *m = mpool_open(nullptr, fd, kPage, 16);
  ASSERT_NE(m, nullptr);
  auto dirty_all = [&](uint32_t salt) {
    for (db_pgno_t p = 0; p < 8; p++) {
      void *page = mpool_get(m, p, 0);
      ASSERT_NE(page, nullptr) << "page " << p;
      FillPattern(page, kPage, p, salt);
      ASSERT_EQ(mpool_put(m, page, MPOOL_DIRTY), 0);
    }
  };
  dirty_all(30);
  io().fsync_errno = EIO;
  errno = 0;
  EXPECT_EQ(mpool_sync(m), -1);
  EXPECT_EQ(errno, EIO);
  io().ClearFaults();
  io().ClearCounters();
  EXPECT_EQ(mpool_sync(m), 0);
  EXPECT_GE(io().bytes_written.load(), static_cast<long>(8 * kPage))
      << "pages not written again after the failed fdatasync";
  EXPECT_TRUE(io().AllWritesSynced());
  ExpectDisk(0, 8, 30);

  dirty_all(31);
  io().write_errno = ENOSPC;
  errno = 0;
  EXPECT_EQ(mpool_sync(m), -1);
  EXPECT_EQ(errno, ENOSPC);
  ExpectDisk(0, 8, 30);
  io().ClearFaults();
  EXPECT_EQ(mpool_sync(m), 0);
  EXPECT_TRUE(io().AllWritesSynced());
  ExpectDisk(0, 8, 31);
  EXPECT_EQ(mpool_close(m), 0);
  ::close(fd);
}

}  // namespace
}  // namespace lfmtest
