// memp_stat's counters beyond Berkeley DB 2.x (db_mpool.h, issue 26 item 6),
// each checked against what the test itself did: memp_sync calls,
// DB_INCOMPLETE answers, pages and the last call's duration; fdatasync
// calls and failures (fault_io.h); log-flush calls; ENOMEM returns;
// eviction effort; gets that slept on a read in flight or on a frame held
// for a write. Background write errors: writeback_fault_test.cc. The
// flushers are off (Setup's default), so only the test's threads do I/O.

#include "writeback_fixture.h"

namespace lfmtest {
namespace {

const LSN kMaxLsn = {0xFFFFFFFFu, 0xFFFFFFFFu};

int Checkpoint(DB_MPOOL *mp) {
  LSN lsn = kMaxLsn;
  return memp_sync(mp, &lsn);
}

// N checkpoints called: N counted, with the pages they wrote; one that
// met a pinned page of its set: one DB_INCOMPLETE answer.
TEST_F(Writeback, CheckpointsAreCounted) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8));
  PutRange(0, 5, 1);
  for (int i = 0; i < 3; i++) ASSERT_EQ(Checkpoint(mp_), 0);
  DB_MPOOL_STAT s = Stat(mp_);
  EXPECT_EQ(s.st_ckpt, 3u);
  EXPECT_EQ(s.st_ckpt_pages, 5u);
  EXPECT_EQ(s.st_ckpt_incomplete, 0u);

  db_pgno_t pg = 1;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0);
  ASSERT_EQ(Put(2, 1), 0);
  EXPECT_EQ(Checkpoint(mp_), DB_INCOMPLETE);
  s = Stat(mp_);
  EXPECT_EQ(s.st_ckpt, 4u);
  EXPECT_EQ(s.st_ckpt_incomplete, 1u);
  EXPECT_EQ(s.st_ckpt_pages, 6u);
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  EXPECT_EQ(Checkpoint(mp_), 0);
  EXPECT_EQ(Stat(mp_).st_ckpt, 5u);
}

// The last checkpoint's duration lies between a floor the test imposes
// (its fdatasync is held 5 ms) and the time the test saw the call take.
TEST_F(Writeback, LastCheckpointDurationIsMeasured) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8));
  PutRange(0, 2, 2);
  io().SetFsyncGate(
      [](long) { std::this_thread::sleep_for(std::chrono::milliseconds(5)); });
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(Checkpoint(mp_), 0);
  const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
                        std::chrono::steady_clock::now() - t0)
                        .count();
  io().SetFsyncGate(nullptr);
  const DB_MPOOL_STAT s = Stat(mp_);
  EXPECT_GE(s.st_ckpt_last_usec, 5000u);
  EXPECT_LE(s.st_ckpt_last_usec, static_cast<unsigned long>(took));
}

// Every fdatasync a sync makes is counted, the failed ones also apart;
// for the pool and for the file.
TEST_F(Writeback, FdatasyncCallsAndFailuresAreCounted) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8));
  PutRange(0, 4, 3);
  ASSERT_EQ(memp_fsync(mpf_), 0);
  ASSERT_EQ(Checkpoint(mp_), 0);  // nothing written since: no call
  ASSERT_EQ(Put(5, 3), 0);
  io().fsync_errno = EIO;
  EXPECT_EQ(memp_fsync(mpf_), EIO);
  io().ClearFaults();
  EXPECT_EQ(memp_fsync(mpf_), 0);  // writes what the failure redirtied
  const long calls = io().fsync_calls.load();
  EXPECT_EQ(calls, 3);
  DB_MPOOL_STAT s = Stat(mp_);
  EXPECT_EQ(s.st_fdatasync, static_cast<unsigned long>(calls));
  EXPECT_EQ(s.st_fdatasync_errors, 1u);
  DB_MPOOL_FSTAT f = FStatOf(mp_, Path());
  EXPECT_EQ(f.st_fdatasync, static_cast<unsigned long>(calls));
  EXPECT_EQ(f.st_fdatasync_errors, 1u);
}

struct LogCalls {
  std::atomic<int> n{0};
};

int CountingLogFlush(void *arg, const DB_LSN *) {
  static_cast<LogCalls *>(arg)->n++;
  return 0;
}

// Each call of the memp_set_logflush function is counted.
TEST_F(Writeback, LogFlushCallsAreCounted) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8, false, 0, /*lsn_offset=*/0));
  LogCalls log;
  ASSERT_EQ(memp_set_logflush(mp_, CountingLogFlush, &log), 0);
  for (uint32_t round = 1; round <= 3; round++) {
    for (db_pgno_t p = 0; p < 4; p++) {
      db_pgno_t pg = p;
      void *page = nullptr;
      ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0);
      const DB_LSN lsn = {round, 100 * p + 1};
      memcpy(page, &lsn, sizeof lsn);
      ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);
    }
    ASSERT_EQ(memp_fsync(mpf_), 0);
  }
  EXPECT_GE(log.n.load(), 3);
  EXPECT_EQ(Stat(mp_).st_log_flush, static_cast<unsigned long>(log.n.load()));
  EXPECT_EQ(FStatOf(mp_, Path()).st_log_flush,
            static_cast<unsigned long>(log.n.load()));
}

// A get that finds every frame pinned returns ENOMEM: counted once.
TEST_F(Writeback, EnomemReturnsAreCounted) {
  ASSERT_NO_FATAL_FAILURE(Setup(kSmallPool, 12));
  std::vector<void *> pins;
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) {
    db_pgno_t pg = p;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0);
    pins.push_back(page);
  }
  EXPECT_EQ(Stat(mp_).st_nomem, 0u);
  db_pgno_t pg = 10;
  void *page = nullptr;
  EXPECT_EQ(memp_fget(mpf_, &pg, 0, &page), ENOMEM);
  EXPECT_EQ(Stat(mp_).st_nomem, 1u);
  EXPECT_EQ(FStatOf(mp_, Path()).st_nomem, 1u);
  for (void *p : pins) ASSERT_EQ(memp_fput(mpf_, p, 0), 0);
  ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0);
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  EXPECT_EQ(Stat(mp_).st_nomem, 1u);
}

// A get of a page that already holds the most pins a page may have
// returns EAGAIN: each such get counted once, for the pool and the file,
// and nothing else is (the gets that pinned it, the gets after its pins
// were put back).
TEST_F(Writeback, PinLimitReturnsAreCounted) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8));
  db_pgno_t pg = 3;
  void *first = nullptr;
  ASSERT_EQ(memp_fget(mpf_, &pg, 0, &first), 0);
  unsigned long pins = 1;
  int rc = 0;
  for (const unsigned long limit = 1UL << 24; pins < limit; pins++) {
    void *page = nullptr;
    pg = 3;
    rc = memp_fget(mpf_, &pg, 0, &page);
    if (rc != 0) break;
    ASSERT_EQ(page, first) << "pin " << pins;
  }
  ASSERT_EQ(rc, EAGAIN) << "after " << pins << " pins";
  EXPECT_EQ(Stat(mp_).st_pin_limit, 1u);
  EXPECT_EQ(FStatOf(mp_, Path()).st_pin_limit, 1u);
  void *page = nullptr;
  pg = 3;
  EXPECT_EQ(memp_fget(mpf_, &pg, 0, &page), EAGAIN);
  EXPECT_EQ(Stat(mp_).st_pin_limit, 2u);
  for (unsigned long i = 0; i < pins; i++)
    ASSERT_EQ(memp_fput(mpf_, first, 0), 0) << "put " << i;
  pg = 3;
  ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0);
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  EXPECT_EQ(Stat(mp_).st_pin_limit, 2u);
  EXPECT_EQ(FStatOf(mp_, Path()).st_pin_limit, 2u);
}

// Misses that found a fresh frame took no victim; each later miss took one
// by sweeping: counted, with the frames the sweep examined (at least the
// victim itself, at most the sweep's bound of 9 steps a frame).
TEST_F(Writeback, EvictionEffortIsCounted) {
  ASSERT_NO_FATAL_FAILURE(Setup(kSmallPool, 20));
  ExpectCache(0, kSmallPoolFrames, 0);  // carved: no sweep
  DB_MPOOL_STAT s = Stat(mp_);
  EXPECT_EQ(s.st_alloc, 0u);
  EXPECT_EQ(s.st_alloc_pages, 0u);
  constexpr db_pgno_t kMore = 10;
  ExpectCache(kSmallPoolFrames, kMore, 0);  // each one evicts
  s = Stat(mp_);
  EXPECT_EQ(s.st_alloc, kMore);
  EXPECT_EQ(s.st_ro_evict, kMore);
  EXPECT_GE(s.st_alloc_pages, s.st_alloc);
  EXPECT_GE(s.st_alloc_max_pages, 1u);
  EXPECT_LE(s.st_alloc_max_pages, s.st_alloc_pages);
  EXPECT_LE(s.st_alloc_max_pages, 9u * kSmallPoolFrames);
  EXPECT_GE(s.st_alloc_max_pages * s.st_alloc, s.st_alloc_pages);
  DB_MPOOL_FSTAT f = FStatOf(mp_, Path());
  EXPECT_EQ(f.st_alloc, s.st_alloc);
  EXPECT_EQ(f.st_alloc_pages, s.st_alloc_pages);
  EXPECT_EQ(f.st_alloc_max_pages, s.st_alloc_max_pages);
  printf("[ effort ] %lu victims, %lu frames examined, at most %lu\n",
         s.st_alloc, s.st_alloc_pages, s.st_alloc_max_pages);
}

// Page functions that hold the calling thread until released.
struct Gate {
  std::atomic<bool> armed{false}, inside{false}, open{false};
  void Pass() {
    if (!armed.load()) return;
    inside = true;
    WaitFor([this] { return open.load(); });
  }
};
Gate &InGate() {
  static Gate *g = new Gate;
  return *g;
}
Gate &OutGate() {
  static Gate *g = new Gate;
  return *g;
}
int GatedPgin(db_pgno_t, void *, DBT *) {
  InGate().Pass();
  return 0;
}
int GatedPgout(db_pgno_t, void *, DBT *) {
  OutGate().Pass();
  return 0;
}

// A get of a page being read by another thread sleeps until the read is
// done: one wait, on a read. A get of a page a sync holds for writing
// (its pgout running) sleeps too: one wait more, not on a read. Each get
// goes to sleep only after it counted its wait, so the test releases the
// holder once the count shows it.
TEST_F(Writeback, GetsThatWaitedAreCounted) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8, false, /*ftype=*/1));
  ASSERT_EQ(memp_register(mp_, 1, GatedPgin, GatedPgout), 0);
  Gate &in = InGate();
  in.armed = true;
  void *pa = nullptr, *pb = nullptr;
  std::thread reader([&] {
    db_pgno_t pg = 3;
    EXPECT_EQ(memp_fget(mpf_, &pg, 0, &pa), 0);
  });
  ASSERT_TRUE(WaitFor([&] { return in.inside.load(); }));
  std::thread waiter([&] {
    db_pgno_t pg = 3;
    EXPECT_EQ(memp_fget(mpf_, &pg, 0, &pb), 0);
  });
  ASSERT_TRUE(WaitFor([&] { return Stat(mp_).st_io_wait >= 1; }));
  in.armed = false;
  in.open = true;
  reader.join();
  waiter.join();
  DB_MPOOL_STAT s = Stat(mp_);
  EXPECT_EQ(s.st_io_wait, 1u);
  EXPECT_EQ(s.st_read_wait, 1u);
  ASSERT_EQ(pa, pb);
  ASSERT_EQ(memp_fput(mpf_, pa, DB_MPOOL_DIRTY), 0);
  ASSERT_EQ(memp_fput(mpf_, pb, 0), 0);

  Gate &out = OutGate();
  out.armed = true;
  std::thread syncer([&] { EXPECT_EQ(memp_fsync(mpf_), 0); });
  ASSERT_TRUE(WaitFor([&] { return out.inside.load(); }));
  std::thread waiter2([&] {
    db_pgno_t pg = 3;
    void *p = nullptr;
    EXPECT_EQ(memp_fget(mpf_, &pg, 0, &p), 0);
    EXPECT_EQ(memp_fput(mpf_, p, 0), 0);
  });
  ASSERT_TRUE(WaitFor([&] { return Stat(mp_).st_io_wait >= 2; }));
  out.armed = false;
  out.open = true;
  syncer.join();
  waiter2.join();
  s = Stat(mp_);
  EXPECT_EQ(s.st_io_wait, 2u);
  EXPECT_EQ(s.st_read_wait, 1u);
  DB_MPOOL_FSTAT f = FStatOf(mp_, Path());
  EXPECT_EQ(f.st_io_wait, 2u);
  EXPECT_EQ(f.st_read_wait, 1u);
}

}  // namespace
}  // namespace lfmtest
