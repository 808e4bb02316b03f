// The shared part of the write-back suites (writeback_fault_test.cc,
// writeback_flusher_test.cc): the Writeback fixture, a DB_THREAD pool over
// f.db whose file I/O goes through the fault table of fault_io.h.
//
// Each case installs the fault table in SetUp and removes it in TearDown,
// after memp_close (no pool thread can still be inside a hook then). Cases
// whose I/O must be deterministic turn the background flushers off right
// after memp_open.
#ifndef LFMPOOL_TESTS_WRITEBACK_FIXTURE_H
#define LFMPOOL_TESTS_WRITEBACK_FIXTURE_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
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
#include "tests/common/test_util.h"  // (db_mpool.h first, as mpool.h asks)
#include "mpool.h"

namespace lfmtest {

constexpr size_t k16Frames = 16 * kPage;    // 64 KiB
constexpr size_t k256Frames = 256 * kPage;  // 1 MiB

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

  // The thread count once it is `want`, or after 5 s whatever it is then.
  // pthread_join returns when the kernel clears the thread's TID, a moment
  // before it removes the thread from /proc/self/task, so a count taken
  // right after a join (memp_set_flushers, memp_close) may still include
  // the joined thread. A thread that really stays keeps the count up, and
  // the caller's comparison fails.
  static long ThreadCountSettled(long want) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    long n = ThreadCount();
    while (n != want && std::chrono::steady_clock::now() < end) {
      sched_yield();
      n = ThreadCount();
    }
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

}  // namespace lfmtest

#endif  // LFMPOOL_TESTS_WRITEBACK_FIXTURE_H
