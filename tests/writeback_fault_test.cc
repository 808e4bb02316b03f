// Write-back under injected I/O faults (src/fileio.h through tests/fault_io.h)
// and the write-back API: memp_set_flushers, memp_trickle, memp_set_logflush,
// memp_sync's write-ahead rule, batching, background errors.
//
// Each case installs the fault table in SetUp and removes it in TearDown,
// after memp_close (no pool thread can still be inside a hook then). Cases
// whose I/O must be deterministic turn the background flushers off right
// after memp_open.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "fault_io.h"
#include "gtest/gtest.h"
#include "test_util.h"  // (db_mpool.h first, as mpool.h asks)
#include "mpool.h"

namespace lfmtest {
namespace {

constexpr size_t k16Frames = 16 * kPage;   // 64 KiB
constexpr size_t k256Frames = 256 * kPage; // 1 MiB

class Writeback : public PoolTest {
 protected:
  void SetUp() override {
    ResetHooks(kPage);
    io().Reset();
    FaultIo::Install();
  }
  void TearDown() override {
    PoolTest::TearDown();  // memp_close: every pool thread is gone
    FaultIo::Uninstall();
    io().Reset();
  }
  static FaultIo &io() { return FaultIo::Get(); }

  // A DB_THREAD pool of `size` bytes with `npages` pattern pages in f.db
  // open as mpf_; flushers off unless `flushers`.
  void Setup(size_t size, db_pgno_t npages, bool flushers = false,
             int ftype = 0, int lsn_offset = -1) {
    MakeFile(Path(), npages, kPage);
    threads_before_ = ThreadCount();
    Open(size, DB_THREAD);
    if (!flushers) {
      // Deterministic I/O: only the test thread writes.
      ASSERT_EQ(memp_set_flushers(mp_, 0, 0), 0);
    }
    ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf_, 0, ftype, lsn_offset), 0);
  }

  // Pins page pgno (creating it if missing), fills it with the salted
  // pattern, puts it DIRTY.
  int Put(db_pgno_t pgno, uint32_t salt, DB_MPOOLFILE *mpf = nullptr) {
    if (mpf == nullptr) mpf = mpf_;
    db_pgno_t pg = pgno;
    void *page = nullptr;
    int rc = memp_fget(mpf, &pg, DB_MPOOL_CREATE, &page);
    if (rc != 0) return rc;
    FillPattern(page, kPage, pgno, salt);
    return memp_fput(mpf, page, DB_MPOOL_DIRTY);
  }
  void PutRange(db_pgno_t first, db_pgno_t n, uint32_t salt) {
    for (db_pgno_t p = first; p < first + n; p++)
      ASSERT_EQ(Put(p, salt), 0) << "page " << p;
  }
  // Pins every page of [first, first + n) and compares it with the pattern.
  void ExpectCache(db_pgno_t first, db_pgno_t n, uint32_t salt) {
    for (db_pgno_t p = first; p < first + n; p++) {
      db_pgno_t pg = p;
      void *page = nullptr;
      ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0) << "page " << p;
      EXPECT_EQ(Bytes(page, kPage), PatternPage(p, kPage, salt))
          << "cached page " << p;
      ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
    }
  }
  // Reads the file with plain pread (not through the pool).
  void ExpectDisk(db_pgno_t first, db_pgno_t n, uint32_t salt) {
    for (db_pgno_t p = first; p < first + n; p++)
      EXPECT_EQ(ReadPage(Path(), p, kPage), PatternPage(p, kPage, salt))
          << "on disk: page " << p << " (salt " << salt << ")";
  }
  unsigned long Dirty() { return Stat(mp_).st_page_dirty; }

  // A checker that holds a flusher inside its next write until
  // hold_release_ is set (at most 5 s); hold_in_write_ tells it is there.
  void HoldFlusherWrites() {
    io().SetChecker([this](ino_t, off_t, const uint8_t *, size_t) {
      if (!FaultIo::Get().OtherThread()) return;
      hold_in_write_ = true;
      const auto end =
          std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (!hold_release_.load() && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
  }
  // Lets the held flusher go 200 ms from now, from another thread.
  std::thread ReleaseLater() {
    return std::thread([this] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      hold_release_ = true;
    });
  }

  // Threads of this process (/proc/self/task): a pool thread that outlived
  // memp_close would still be counted.
  static long ThreadCount() {
    DIR *d = opendir("/proc/self/task");
    if (d == nullptr) return -1;
    long n = 0;
    while (struct dirent *e = readdir(d))
      if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
  }

  DB_MPOOLFILE *mpf_ = nullptr;
  long threads_before_ = -1;
  // For checkers (they may run in pool threads until memp_close).
  std::atomic<ino_t> ino_{0};
  std::atomic<bool> window_{false};
  std::atomic<int> pinned_writes_{0};
  std::atomic<bool> hold_in_write_{false}, hold_release_{false};
};

// ======================================================= write errors

class WriteError : public Writeback,
                   public ::testing::WithParamInterface<int> {};

// A write error during memp_fsync (existing pages and appended ones, so the
// batch and the file extension both fail): the error is returned, the pages
// stay dirty and intact in the cache, nothing reached the file; once the
// fault clears memp_fsync writes every page.
TEST_P(WriteError, FsyncReturnsItPagesStayDirtyAndIntact) {
  const int err = GetParam();
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8));
  PutRange(0, 8, 1);
  for (db_pgno_t want = 8; want < 11; want++) {
    db_pgno_t pg = 0;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_NEW, &page), 0);
    ASSERT_EQ(pg, want);
    FillPattern(page, kPage, pg, 1);
    ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);
  }
  io().write_errno = err;
  EXPECT_EQ(memp_fsync(mpf_), err);
  EXPECT_GE(io().failed_writes.load(), 1);
  EXPECT_EQ(Dirty(), 11u);
  ExpectDisk(0, 8, 0);
  EXPECT_EQ(FileSize(Path()), static_cast<long long>(8 * kPage));
  ExpectCache(0, 11, 1);
  // Again: still failing, still nothing lost.
  EXPECT_EQ(memp_fsync(mpf_), err);
  EXPECT_EQ(Dirty(), 11u);

  io().ClearFaults();
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(Dirty(), 0u);
  ExpectDisk(0, 11, 1);
  ExpectCache(0, 11, 1);
}

// Only the first write call fails: the error is still returned; the next
// fsync writes whatever was left dirty.
TEST_P(WriteError, OneFailedCallOfManyIsReturnedNothingLost) {
  const int err = GetParam();
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 12));
  // Two separate runs of adjacent pages: at least two write calls.
  PutRange(0, 4, 2);
  PutRange(6, 4, 2);
  io().write_errno = err;
  io().write_fail_left = 1;
  EXPECT_EQ(memp_fsync(mpf_), err);
  EXPECT_EQ(io().failed_writes.load(), 1);
  EXPECT_GE(Dirty(), 1u);
  ExpectCache(0, 4, 2);
  ExpectCache(6, 4, 2);
  io().ClearFaults();
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(Dirty(), 0u);
  ExpectDisk(0, 4, 2);
  ExpectDisk(4, 2, 0);
  ExpectDisk(6, 4, 2);
  ExpectDisk(10, 2, 0);
}

INSTANTIATE_TEST_SUITE_P(Errnos, WriteError, ::testing::Values(EIO, ENOSPC),
                         [](const ::testing::TestParamInfo<int> &i) {
                           return std::string(i.param == EIO ? "EIO"
                                                             : "ENOSPC");
                         });

// ======================================================= short writes

struct ShortCase {
  int mode;
  db_pgno_t pages;
  const char *name;
};

class ShortWrite : public Writeback,
                   public ::testing::WithParamInterface<ShortCase> {};

// Every write transfers only part of what was asked: the pool continues
// each one until the pages are whole on disk.
TEST_P(ShortWrite, IsCompleted) {
  const ShortCase c = GetParam();
  ASSERT_NO_FATAL_FAILURE(Setup(k256Frames, c.pages));
  PutRange(0, c.pages, 4);
  io().short_mode = c.mode;
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_GT(io().short_writes.load(), 0);
  EXPECT_EQ(io().bytes_written.load(),
            static_cast<long>(c.pages * kPage));
  EXPECT_EQ(Dirty(), 0u);
  ExpectDisk(0, c.pages, 4);
  ExpectCache(0, c.pages, 4);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, ShortWrite,
    ::testing::Values(ShortCase{kShortHalf, 64, "HalfOf64Pages"},
                      ShortCase{kShortOne, 3, "OneByteAtATime"}),
    [](const ::testing::TestParamInfo<ShortCase> &i) {
      return std::string(i.param.name);
    });

// A write that makes no progress (returns 0) is never taken as success:
// EIO, pages dirty; written once writes progress again.
TEST_F(Writeback, ZeroByteWritesAreEioPagesStayDirty) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8));
  PutRange(0, 8, 5);
  io().short_mode = kShortZero;
  EXPECT_EQ(memp_fsync(mpf_), EIO);
  EXPECT_GT(io().short_writes.load(), 0);
  EXPECT_EQ(Dirty(), 8u);
  ExpectDisk(0, 8, 0);
  ExpectCache(0, 8, 5);
  io().ClearFaults();
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(Dirty(), 0u);
  ExpectDisk(0, 8, 5);
}

// A short write followed by an error: the error is reported (a half page
// on disk is not success), the pages stay dirty; the next fsync completes
// them.
TEST_F(Writeback, ShortWriteThenErrorIsReportedThenCompleted) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8));
  PutRange(0, 8, 6);
  io().short_mode = kShortHalf;
  io().short_left = 1;
  io().write_errno = EIO;
  EXPECT_EQ(memp_fsync(mpf_), EIO);
  EXPECT_EQ(io().short_writes.load(), 1);
  EXPECT_GE(Dirty(), 1u);
  ExpectCache(0, 8, 6);
  io().ClearFaults();
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(Dirty(), 0u);
  ExpectDisk(0, 8, 6);
}

// ======================================================= EINTR

// Interrupted writes, fdatasyncs and reads are retried.
TEST_F(Writeback, EintrIsRetried) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 12));
  PutRange(0, 8, 7);
  io().write_eintr_left = 5;
  io().fsync_eintr_left = 3;
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(io().write_eintr_left.load(), 0) << "writes were not retried";
  EXPECT_EQ(io().fsync_eintr_left.load(), 0) << "fdatasync was not retried";
  EXPECT_EQ(Dirty(), 0u);
  ExpectDisk(0, 8, 7);

  io().read_eintr_left = 3;
  db_pgno_t pg = 11;  // not resident
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(11, kPage));
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  EXPECT_EQ(io().read_eintr_left.load(), 0) << "reads were not retried";
}

// ======================================================= read errors

// A read error fails that memp_fget; nothing stays behind: the page reads
// right once the fault clears, st_page_in counts only the good read, and no
// frame stays pinned (all 5 can be pinned, many pages cycle through).
TEST_F(Writeback, ReadErrorFailsFgetCleanly) {
  ASSERT_NO_FATAL_FAILURE(Setup(kSmallPool, 12));
  const DB_MPOOL_STAT s0 = Stat(mp_);
  io().read_errno = EIO;
  for (int i = 0; i < 3; i++) {
    db_pgno_t pg = 3;
    void *page = nullptr;
    EXPECT_EQ(memp_fget(mpf_, &pg, 0, &page), EIO);
  }
  EXPECT_GE(io().failed_reads.load(), 3);
  EXPECT_EQ(Stat(mp_).st_page_in, s0.st_page_in);
  io().ClearFaults();

  db_pgno_t pg = 3;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(3, kPage));
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  EXPECT_EQ(memp_fput(mpf_, page, 0), EINVAL) << "pinned more than once";
  EXPECT_EQ(Stat(mp_).st_page_in, s0.st_page_in + 1);

  std::vector<void *> pins;
  for (db_pgno_t p = 4; p < 4 + kSmallPoolFrames; p++) {
    db_pgno_t q = p;
    void *pp = nullptr;
    ASSERT_EQ(memp_fget(mpf_, &q, 0, &pp), 0) << "frame left pinned? page "
                                              << p;
    pins.push_back(pp);
  }
  for (void *pp : pins) ASSERT_EQ(memp_fput(mpf_, pp, 0), 0);
  for (int round = 0; round < 3; round++) ExpectCache(0, 12, 0);
}

// A read that delivers half a page of junk and then fails leaves no
// half-valid frame: the next fget reads the page again, whole.
TEST_F(Writeback, ShortReadThenErrorLeavesNoHalfPage) {
  ASSERT_NO_FATAL_FAILURE(Setup(kSmallPool, 6));
  const DB_MPOOL_STAT s0 = Stat(mp_);
  io().read_garbage_short = true;
  db_pgno_t pg = 2;
  void *page = nullptr;
  EXPECT_EQ(memp_fget(mpf_, &pg, 0, &page), EIO);
  EXPECT_EQ(io().failed_reads.load(), 1);
  EXPECT_EQ(Stat(mp_).st_page_in, s0.st_page_in);
  io().ClearFaults();
  ExpectCache(2, 1, 0);
  EXPECT_EQ(Stat(mp_).st_page_in, s0.st_page_in + 1);
  ExpectCache(0, 6, 0);
}

// Several threads miss on the same failing page at once: each gets EIO or,
// once the fault clears, the right page; none hangs, nothing stays pinned.
TEST_F(Writeback, ThreadsMissingOnTheSameFailingPage) {
  constexpr int kThreads = 4;
  ASSERT_NO_FATAL_FAILURE(Setup(kSmallPool, 12));
  io().read_errno = EIO;
  std::atomic<int> ready{0}, done{0}, errors{0}, wrong_rc{0}, bad_bytes{0};
  std::atomic<int> last_wrong{0};
  const std::vector<uint8_t> want = PatternPage(7, kPage);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&] {
      ready++;
      while (ready.load() < kThreads) std::this_thread::yield();
      for (;;) {
        db_pgno_t pg = 7;
        void *page = nullptr;
        int rc = memp_fget(mpf_, &pg, 0, &page);
        if (rc == 0) {
          if (memcmp(page, want.data(), kPage) != 0) bad_bytes++;
          if (memp_fput(mpf_, page, 0) != 0) wrong_rc++;
          break;
        }
        if (rc == EIO) {
          errors++;
        } else {
          wrong_rc++;
          last_wrong = rc;
        }
        std::this_thread::yield();
      }
      done++;
    });
  }
  const bool failed_enough =
      WaitFor([&] { return errors.load() >= kThreads; });
  io().ClearFaults();
  if (!WaitFor([&] { return done.load() == kThreads; })) {
    fprintf(stderr,
            "FATAL: %d of %d threads still inside memp_fget of a page whose "
            "read failed (hang)\n",
            kThreads - done.load(), kThreads);
    fflush(stderr);
    _exit(1);
  }
  for (auto &th : threads) th.join();
  EXPECT_TRUE(failed_enough) << "only " << errors.load() << " EIOs seen";
  EXPECT_EQ(wrong_rc.load(), 0) << "unexpected rc " << last_wrong.load();
  EXPECT_EQ(bad_bytes.load(), 0);
  std::vector<void *> pins;
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) {
    db_pgno_t q = p;
    void *pp = nullptr;
    ASSERT_EQ(memp_fget(mpf_, &q, 0, &pp), 0) << "page " << p;
    pins.push_back(pp);
  }
  for (void *pp : pins) ASSERT_EQ(memp_fput(mpf_, pp, 0), 0);
  ExpectCache(7, 1, 0);
}

// ======================================================= fdatasync errors

// fdatasync fails: memp_fsync returns EIO and the pages it wrote are dirty
// again (the kernel may have dropped them): the next fsync writes them all
// again.
TEST_F(Writeback, FdatasyncErrorRedirtiesThePages) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8));
  PutRange(0, 8, 8);
  io().fsync_errno = EIO;
  EXPECT_EQ(memp_fsync(mpf_), EIO);
  EXPECT_GE(io().failed_fsyncs.load(), 1);
  EXPECT_EQ(Dirty(), 8u) << "pages written before a failed fdatasync are "
                            "not dirty again";
  io().ClearFaults();
  io().ClearCounters();
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_GE(io().bytes_written.load(), static_cast<long>(8 * kPage))
      << "the pages were not written again after the failed fdatasync";
  EXPECT_GE(io().fsync_calls.load(), 1);
  EXPECT_EQ(Dirty(), 0u);
  ExpectDisk(0, 8, 8);
  EXPECT_EQ(memp_fsync(mpf_), 0);
}

// ======================================================= background errors

enum class Report { kFsync, kSync };

class BackgroundError : public Writeback,
                        public ::testing::WithParamInterface<Report> {
 protected:
  int SyncOnce() {
    if (GetParam() == Report::kFsync) return memp_fsync(mpf_);
    LSN lsn = {0xFFFFFFFFu, 0xFFFFFFFFu};
    return memp_sync(mp_, &lsn);
  }
};

// A flusher's failed write is reported once by the next sync, which also
// writes every page; the sync after it returns 0. (The flushers are stopped
// before the fault clears, so no failed attempt can land after that sync.)
TEST_P(BackgroundError, FlusherErrorIsReturnedOnce) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8, /*flushers=*/true));
  io().write_errno = EIO;
  ASSERT_EQ(memp_set_flushers(mp_, 1, 99), 0);
  PutRange(0, 8, 9);
  EXPECT_TRUE(WaitFor([] {
    return FaultIo::Get().failed_writes_other_thread.load() > 0;
  })) << "no flusher tried to write within the deadline";
  EXPECT_EQ(io().failed_writes.load(), io().failed_writes_other_thread.load())
      << "the test thread wrote";
  ASSERT_EQ(memp_set_flushers(mp_, 0, 0), 0);
  ExpectCache(0, 8, 9);
  io().ClearFaults();
  EXPECT_EQ(SyncOnce(), EIO) << "background error not reported";
  EXPECT_EQ(Dirty(), 0u);
  ExpectDisk(0, 8, 9);
  EXPECT_EQ(SyncOnce(), 0) << "background error reported twice";
  EXPECT_EQ(memp_fsync(mpf_), 0);
}

// The flusher retries after the fault clears and writes every page; the
// error it met is still reported once.
TEST_P(BackgroundError, FlusherRetriesAndErrorIsStillReportedOnce) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8, /*flushers=*/true));
  io().write_errno = EIO;
  ASSERT_EQ(memp_set_flushers(mp_, 1, 99), 0);
  PutRange(0, 8, 10);
  EXPECT_TRUE(WaitFor([] {
    return FaultIo::Get().failed_writes_other_thread.load() > 0;
  })) << "no flusher tried to write within the deadline";
  io().ClearFaults();
  EXPECT_TRUE(WaitFor([&] { return Dirty() == 0; }))
      << "the flusher did not retry: " << Dirty() << " pages still dirty";
  ExpectDisk(0, 8, 10);
  EXPECT_EQ(SyncOnce(), EIO) << "background error not reported";
  EXPECT_EQ(SyncOnce(), 0) << "background error reported twice";
}

INSTANTIATE_TEST_SUITE_P(By, BackgroundError,
                         ::testing::Values(Report::kFsync, Report::kSync),
                         [](const ::testing::TestParamInfo<Report> &i) {
                           return std::string(i.param == Report::kFsync
                                                  ? "MempFsync"
                                                  : "MempSync");
                         });

// memp_trickle reports its own write error directly; the page stays dirty.
TEST_F(Writeback, TrickleReturnsTheWriteError) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8));
  PutRange(0, 8, 11);
  io().write_errno = ENOSPC;
  int n = -1;
  EXPECT_EQ(memp_trickle(mp_, 100, &n), ENOSPC);
  EXPECT_EQ(Dirty(), 8u);
  ExpectDisk(0, 8, 0);
  io().ClearFaults();
  n = -1;
  EXPECT_EQ(memp_trickle(mp_, 100, &n), 0);
  EXPECT_EQ(n, 8);
  EXPECT_EQ(Dirty(), 0u);
  ExpectDisk(0, 8, 11);
}

// ======================================================= eviction

// Every frame dirty and unpinned, writes failing, no flushers: a miss
// fails (the write error, or ENOMEM) and loses nothing.
TEST_F(Writeback, EvictionWriteErrorFailsTheMissLosesNothing) {
  ASSERT_NO_FATAL_FAILURE(Setup(kSmallPool, 8));
  PutRange(0, kSmallPoolFrames, 12);
  io().write_errno = EIO;
  db_pgno_t pg = 5;
  void *page = nullptr;
  const int rc = memp_fget(mpf_, &pg, 0, &page);
  EXPECT_TRUE(rc == EIO || rc == ENOMEM) << "memp_fget returned " << rc;
  EXPECT_GE(io().failed_writes.load(), 1);
  ExpectDisk(0, kSmallPoolFrames, 0);
  io().ClearFaults();
  ExpectCache(0, kSmallPoolFrames, 12);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  ExpectDisk(0, kSmallPoolFrames, 12);
  ExpectCache(5, 3, 0);
  ExpectCache(0, kSmallPoolFrames, 12);
}

// ======================================================= batching

// 64 adjacent dirty pages go out in fewer write calls than pages (pwritev).
TEST_F(Writeback, AdjacentPagesAreBatched) {
  ASSERT_NO_FATAL_FAILURE(Setup(k256Frames, 64));
  PutRange(0, 64, 13);
  io().ClearCounters();
  EXPECT_EQ(memp_fsync(mpf_), 0);
  printf("[ batching ] 64 pages: %ld write calls (%ld pwritev), max iovcnt "
         "%ld\n",
         io().write_calls.load(), io().pwritev_calls.load(),
         io().max_iovcnt.load());
  EXPECT_LT(io().write_calls.load(), 64);
  EXPECT_GE(io().pwritev_calls.load(), 1);
  EXPECT_GT(io().max_iovcnt.load(), 1);
  EXPECT_EQ(io().bytes_written.load(), static_cast<long>(64 * kPage));
  ExpectDisk(0, 64, 13);
}

// Batched writes through pgout: the file holds the transformed bytes, the
// cache the plain ones.
TEST_F(Writeback, BatchedWritesGoThroughPgout) {
  HookState &h = Hooks();
  h.xor_out = true;
  ASSERT_NO_FATAL_FAILURE(Setup(k256Frames, 64, false, /*ftype=*/1));
  ASSERT_EQ(memp_register(mp_, 1, nullptr, TestPgout), 0);
  PutRange(0, 64, 14);
  io().ClearCounters();
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(h.pgout_calls.load(), 64);
  for (db_pgno_t p = 0; p < 64; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage), Xor(PatternPage(p, kPage, 14)))
        << "on disk: page " << p;
  ExpectCache(0, 64, 14);
  printf("[ batching ] with pgout: %ld write calls, max iovcnt %ld\n",
         io().write_calls.load(), io().max_iovcnt.load());
}

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
  int fail = 0;            // nonzero: the callback returns it
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
          log_.first_violation =
              "page " + std::to_string((off + i) / kPage) + " with LSN " +
              LsnStr(lsn) + " written while the log was durable to " +
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
// dirty and unwritten, the next memp_sync reports it once (writing them).
TEST_F(WalTest, FlusherRefusedLogFlushIsReturnedOnce) {
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
  {
    std::lock_guard<std::mutex> l(log_.m);
    log_.fail = 0;
  }
  LSN lsn = {100, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), EIO) << "refused log flush not reported";
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
  EXPECT_EQ(ThreadCount(), threads_before_) << "a flusher outlived memp_close";
  EXPECT_EQ(io().write_calls.load(), writes) << "written after memp_close";
  EXPECT_EQ(io().fsync_calls.load(), fsyncs) << "synced after memp_close";
  // Each page on disk is whole: one of the versions put, or the original.
  for (db_pgno_t p = 0; p < 16; p++) {
    const std::vector<uint8_t> v = ReadPage(Path(), p, kPage);
    bool ok = v == PatternPage(p, kPage);
    for (uint32_t s = 30; s < 35 && !ok; s++) ok = v == PatternPage(p, kPage, s);
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
  })) << "only " << clean << " of " << kFrames << " frames clean";
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
  EXPECT_EQ(ThreadCount(), threads_before_) << "a flusher outlived memp_close";
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

// ======================================================= background errors:
// which file, which cause

// A flusher's write error on one file is reported by that file's next
// memp_fsync, not by another file's.
TEST_F(Writeback, BackgroundErrorIsReportedForItsFileOnly) {
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 4, /*flushers=*/true));
  const std::string other = Path("g.db");
  MakeFile(other, 4, kPage);
  DB_MPOOLFILE *g = nullptr;
  ASSERT_EQ(OpenFile(mp_, other, kPage, &g), 0);
  io().fail_ino = InodeOf(Path());
  io().write_errno = EIO;
  ASSERT_EQ(memp_set_flushers(mp_, 1, 99), 0);
  PutRange(0, 4, 32);
  for (db_pgno_t p = 0; p < 4; p++) ASSERT_EQ(Put(p, 32, g), 0);
  EXPECT_TRUE(WaitFor([&] {
    return io().failed_writes_other_thread.load() > 0 && Dirty() == 4;
  })) << "the flusher did not fail on f.db and write g.db: " << Dirty()
      << " dirty, " << io().failed_writes_other_thread.load() << " failed";
  ASSERT_EQ(memp_set_flushers(mp_, 0, 0), 0);
  io().ClearFaults();
  EXPECT_EQ(memp_fsync(g), 0) << "f.db's background error reported for g.db";
  for (db_pgno_t p = 0; p < 4; p++)
    EXPECT_EQ(ReadPage(other, p, kPage), PatternPage(p, kPage, 32));
  EXPECT_EQ(memp_fsync(mpf_), EIO) << "background error not reported";
  ExpectDisk(0, 4, 32);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(memp_fclose(g), 0);
}

// A pgout error met by a flusher is a background error too.
TEST_F(Writeback, FlusherPgoutErrorIsReturnedOnce) {
  HookState &h = Hooks();
  h.pgout_error = EDOM;
  ASSERT_NO_FATAL_FAILURE(Setup(k16Frames, 8, /*flushers=*/true, 1));
  ASSERT_EQ(memp_register(mp_, 1, nullptr, TestPgout), 0);
  ASSERT_EQ(memp_set_flushers(mp_, 1, 99), 0);
  PutRange(0, 8, 33);
  EXPECT_TRUE(WaitFor([&] { return h.pgout_calls.load() > 0; }))
      << "no flusher called pgout within the deadline";
  ASSERT_EQ(memp_set_flushers(mp_, 0, 0), 0);
  EXPECT_EQ(io().write_calls.load(), 0);
  EXPECT_EQ(Dirty(), 8u);
  h.pgout_error = 0;
  EXPECT_EQ(memp_fsync(mpf_), EDOM) << "background pgout error not reported";
  ExpectDisk(0, 8, 33);
  EXPECT_EQ(memp_fsync(mpf_), 0);
}

}  // namespace
}  // namespace lfmtest
