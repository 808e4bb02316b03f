// A flusher whose writes' room on the I/O queue is full waits for places
// rather than write a run itself (issue 29): a write of its own, one at a
// time, let the device's queue drain while it ran. Every run it hands over
// is written by the queue's threads, none on the flusher's thread, and
// every page reaches the file. The threads engine, so that the writes go
// through the fault seam (the io_uring engine bypasses it).
#include <pthread.h>
#include <stdlib.h>

#include <mutex>
#include <set>

#include "writeback_fixture.h"

namespace lfmtest {
namespace {

struct Threads {
  std::mutex m;
  std::set<pthread_t> flusher;  // pool threads that called the log flush
  std::set<pthread_t> writers;  // threads that wrote f.db
};

int RecordFlusher(void *arg, const DB_LSN *) {
  if (!FaultIo::Get().OtherThread()) return 0;  // the test's memp_fsync
  Threads *t = static_cast<Threads *>(arg);
  std::lock_guard<std::mutex> l(t->m);
  t->flusher.insert(pthread_self());
  return 0;
}

class FlusherRoom : public Writeback {
 protected:
  void SetUp() override {
    setenv("LFMPOOL_IO_ENGINE", "threads", 1);
    Writeback::SetUp();
  }
  void TearDown() override {
    Writeback::TearDown();
    unsetenv("LFMPOOL_IO_ENGINE");
  }
  Threads threads_;
};

TEST_F(FlusherRoom, AFullWriteRoomMakesTheFlusherWaitNotWrite) {
  // Pages 0, 2, 4, ...: one run each, twice the room (LFM_IOQ_WDEPTH,
  // 32, in ioq.h, a C header).
  constexpr db_pgno_t kRuns = 64;
  ASSERT_NO_FATAL_FAILURE(
      Setup(k256Frames, 2 * kRuns, /*flushers=*/false, 0, /*lsn_offset=*/0));
  const ino_t ino = InodeOf(Path());
  // The log flush runs on the flusher's thread, once a run (each page's
  // LSN is past the last): it names that thread.
  ASSERT_EQ(memp_set_logflush(mp_, RecordFlusher, &threads_), 0);
  io().SetChecker([this, ino](ino_t i, off_t, const uint8_t *, size_t) {
    if (i != ino) return;
    {
      std::lock_guard<std::mutex> l(threads_.m);
      threads_.writers.insert(pthread_self());
    }
    if (!FaultIo::Get().OtherThread()) return;
    // Held (the checker runs under the table's mutex: every other write
    // waits too), so the room fills while the flusher still has runs.
    hold_in_write_ = true;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!hold_release_.load() && std::chrono::steady_clock::now() < end)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  for (db_pgno_t k = 0; k < kRuns; k++) {
    db_pgno_t pg = 2 * k;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0);
    FillPattern(page, kPage, pg, 9);
    const DB_LSN lsn{3, k + 1};
    memcpy(page, &lsn, sizeof lsn);
    ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);
  }
  ASSERT_EQ(memp_set_flushers(mp_, 1, 99), 0);
  ASSERT_TRUE(WaitFor([this] { return hold_in_write_.load(); }))
      << "no write reached the file";
  std::thread releaser = ReleaseLater();
  // Its first pass writes 62 of the 64 (99% of 256 frames clean; the
  // last 2 wait for CLOCK to cool them): more than the room holds, so it
  // met the room full. The rest is the test thread's, by memp_fsync.
  EXPECT_TRUE(WaitFor([this] { return Dirty() <= kRuns - 40; }))
      << Dirty() << " pages still dirty";
  releaser.join();
  ASSERT_EQ(memp_set_flushers(mp_, 0, 0), 0);
  ASSERT_EQ(memp_fsync(mpf_), 0);
  std::lock_guard<std::mutex> l(threads_.m);
  ASSERT_EQ(threads_.flusher.size(), 1u);
  const pthread_t flusher = *threads_.flusher.begin();
  EXPECT_FALSE(pthread_equal(flusher, pthread_self()));
  EXPECT_EQ(threads_.writers.count(flusher), 0u)
      << "the flusher wrote a run itself while the room was full";
  EXPECT_FALSE(threads_.writers.empty());
  for (db_pgno_t k = 0; k < kRuns; k++) {
    std::vector<uint8_t> want = PatternPage(2 * k, kPage, 9);
    const DB_LSN lsn{3, k + 1};
    memcpy(want.data(), &lsn, sizeof lsn);
    EXPECT_EQ(ReadPage(Path(), 2 * k, kPage), want) << "page " << 2 * k;
  }
}

}  // namespace
}  // namespace lfmtest
