// Eviction through memp_fget / memp_fput on the 5-frame pool of PageTest
// (tests/common/page_fixture.h): ENOMEM when every frame is pinned (also by
// another thread) and for NEW and CREATE, recovery after one put, dirty
// victims written at eviction (also while flushers cannot write them), and
// DB_MPOOL_DISCARD making a page the next victim.
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <atomic>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/page_fixture.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

// ======================================================= every frame pinned

// Every frame pinned: a miss is ENOMEM at once; after one put it succeeds.
TEST_F(PageTest, AllFramesPinnedMissIsEnomemThenRecovers) {
  std::vector<void *> pins;
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) pins.push_back(Get(p));
  db_pgno_t pg = 8;
  void *page = nullptr;
  EXPECT_EQ(memp_fget(mpf_, &pg, 0, &page), ENOMEM);
  EXPECT_EQ(memp_fget(mpf_, &pg, 0, &page), ENOMEM);
  // A hit needs no frame.
  pg = 2;
  ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0);
  EXPECT_EQ(page, pins[2]);
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  ASSERT_EQ(memp_fput(mpf_, pins[3], 0), 0);
  pg = 8;
  ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(8, kPage));
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  for (int i : {0, 1, 2, 4}) EXPECT_EQ(memp_fput(mpf_, pins[i], 0), 0);
}

// A page-out that fails on every thread but the test's: flusher threads
// can then never clean a page, only a miss on the test's thread can.
std::atomic<std::thread::id> g_pgout_thread;
std::atomic<int> g_pgout_refused{0};
int TestThreadOnlyPgout(db_pgno_t, void *, DBT *) {
  if (std::this_thread::get_id() == g_pgout_thread.load()) return 0;
  g_pgout_refused.fetch_add(1);
  return EAGAIN;
}

// The only unpinned frame is dirty while flushers run (and cannot write
// it): the miss writes it itself and reuses the frame, it does not call
// the pool full. (A sweep that left cold dirty frames to the flushers used
// to give up before it came back to the frame.)
TEST_F(PageTest, OnlyUnpinnedFrameDirtyWithFlushersMissWritesIt) {
  g_pgout_thread.store(std::this_thread::get_id());
  g_pgout_refused.store(0);
  ASSERT_EQ(memp_fclose(mpf_), 0);
  mpf_ = nullptr;
  ASSERT_EQ(memp_register(mp_, 9, nullptr, TestThreadOnlyPgout), 0);
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf_, 0, 9), 0);
  ASSERT_EQ(memp_set_flushers(mp_, 1, 0), 0);
  std::vector<void *> pins;
  for (db_pgno_t p = 0; p + 1 < kSmallPoolFrames; p++) pins.push_back(Get(p));
  // Pages 4..11 in turn through the one free frame, each left dirty.
  for (db_pgno_t p = kSmallPoolFrames - 1; p < kPages; p++) {
    db_pgno_t pg = p;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0) << "page " << p;
    EXPECT_EQ(Bytes(page, kPage), PatternPage(p, kPage));
    FillPattern(page, kPage, p, 1);
    ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);
  }
  // Every page but the last went out through a miss, before its frame was
  // reused.
  for (db_pgno_t p = kSmallPoolFrames - 1; p + 1 < kPages; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage), PatternPage(p, kPage, 1))
        << "page " << p;
  for (void *page : pins) EXPECT_EQ(memp_fput(mpf_, page, 0), 0);
  StopFlushers(mp_);
  // A flusher's refused write is counted, not returned: the sync writes
  // the page itself (its pgout works on this thread) and returns 0, whether
  // a flusher tried or not.
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(Stat(mp_).st_bg_write_errors,
            static_cast<unsigned long>(g_pgout_refused.load()));
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), kPages - 1, kPage),
            PatternPage(kPages - 1, kPage, 1));
}

// NEW needs a frame too: ENOMEM when every frame is pinned, and the failed
// call appends nothing (LAST is unchanged, the next NEW gets last+1).
TEST_F(PageTest, NewWithAllFramesPinnedIsEnomemAndAppendsNothing) {
  std::vector<void *> pins;
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) pins.push_back(Get(p));
  db_pgno_t pg = 0;
  void *page = nullptr;
  EXPECT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_NEW, &page), ENOMEM);
  EXPECT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_NEW, &page), ENOMEM);
  ASSERT_EQ(memp_fput(mpf_, pins[0], 0), 0);
  pg = 0;
  ASSERT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_LAST, &page), 0);
  EXPECT_EQ(pg, kPages - 1);
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  pg = 0;
  ASSERT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_NEW, &page), 0);
  EXPECT_EQ(pg, kPages);
  EXPECT_TRUE(AllZero(page, kPage));
  ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);
  for (size_t i = 1; i < pins.size(); i++)
    EXPECT_EQ(memp_fput(mpf_, pins[i], 0), 0);
}

// CREATE of a missing page with every frame pinned: ENOMEM, and the failed
// call creates nothing (LAST is unchanged, the page still does not exist).
TEST_F(PageTest, CreateWithAllFramesPinnedIsEnomemAndCreatesNothing) {
  std::vector<void *> pins;
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) pins.push_back(Get(p));
  db_pgno_t pg = kPages + 3;
  void *page = nullptr;
  EXPECT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_CREATE, &page), ENOMEM);
  ASSERT_EQ(memp_fput(mpf_, pins[0], 0), 0);
  pg = 0;
  ASSERT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_LAST, &page), 0);
  EXPECT_EQ(pg, kPages - 1);
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  pg = kPages + 3;
  EXPECT_EQ(memp_fget(mpf_, &pg, 0, &page), EINVAL);
  for (size_t i = 1; i < pins.size(); i++)
    EXPECT_EQ(memp_fput(mpf_, pins[i], 0), 0);
}

// ============================================================ dirty victims

// A dirty page is written when it is evicted.
TEST_F(PageTest, DirtyPageIsWrittenAtEviction) {
  void *page = Get(0);
  ASSERT_NE(page, nullptr);
  FillPattern(page, kPage, 0, 5);
  ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);
  for (db_pgno_t p = 1; p < kPages; p++) {  // 11 other pages, 5 frames
    void *q = Get(p);
    ASSERT_NE(q, nullptr);
    ASSERT_EQ(memp_fput(mpf_, q, 0), 0);
  }
  EXPECT_EQ(ReadPage(Path(), 0, kPage), PatternPage(0, kPage, 5));
  DB_MPOOL_STAT s = Stat(mp_);
  EXPECT_EQ(s.st_rw_evict, 1u);
  EXPECT_EQ(s.st_page_out, 1u);
  // Read back from the file.
  void *back = Get(0);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(Bytes(back, kPage), PatternPage(0, kPage, 5));
  EXPECT_EQ(memp_fput(mpf_, back, 0), 0);
  EXPECT_EQ(Stat(mp_).st_page_in, s.st_page_in + 1);
}

// ================================================================== DISCARD

// DISCARD makes the page the next victim.
TEST_F(PageTest, DiscardedPageIsTheNextVictim) {
  std::vector<void *> pins;
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) pins.push_back(Get(p));
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++)
    ASSERT_EQ(memp_fput(mpf_, pins[p], p == 2 ? DB_MPOOL_DISCARD : 0), 0);
  void *fresh = Get(kSmallPoolFrames);  // a miss: evicts page 2
  ASSERT_NE(fresh, nullptr);
  ASSERT_EQ(memp_fput(mpf_, fresh, 0), 0);
  for (db_pgno_t p : {0u, 1u, 3u, 4u}) {
    DB_MPOOL_STAT s0 = Stat(mp_);
    void *page = Get(p);
    ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
    DB_MPOOL_STAT s1 = Stat(mp_);
    EXPECT_EQ(s1.st_cache_hit, s0.st_cache_hit + 1) << "page " << p;
    EXPECT_EQ(s1.st_cache_miss, s0.st_cache_miss) << "page " << p;
  }
  DB_MPOOL_STAT s0 = Stat(mp_);
  void *page = Get(2);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(2, kPage));
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  DB_MPOOL_STAT s1 = Stat(mp_);
  EXPECT_EQ(s1.st_cache_miss, s0.st_cache_miss + 1);
  EXPECT_EQ(s1.st_page_in, s0.st_page_in + 1);
  EXPECT_EQ(s1.st_cache_hit, s0.st_cache_hit);
}

// DISCARD drops the page from the cache, not its modifications: a page put
// DIRTY|DISCARD is written when it is evicted.
TEST_F(PageTest, DiscardedDirtyPageIsWrittenWhenEvicted) {
  std::vector<void *> pins;
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) pins.push_back(Get(p));
  FillPattern(pins[3], kPage, 3, 8);
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++)
    ASSERT_EQ(memp_fput(mpf_, pins[p],
                        p == 3 ? DB_MPOOL_DIRTY | DB_MPOOL_DISCARD : 0),
              0);
  void *fresh = Get(kSmallPoolFrames);  // evicts page 3, writing it
  ASSERT_NE(fresh, nullptr);
  ASSERT_EQ(memp_fput(mpf_, fresh, 0), 0);
  EXPECT_EQ(ReadPage(Path(), 3, kPage), PatternPage(3, kPage, 8));
  DB_MPOOL_STAT s = Stat(mp_);
  EXPECT_EQ(s.st_rw_evict, 1u);
  EXPECT_EQ(s.st_ro_evict, 0u);
  EXPECT_EQ(s.st_page_out, 1u);
  void *back = Get(3);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(Bytes(back, kPage), PatternPage(3, kPage, 8));
  EXPECT_EQ(memp_fput(mpf_, back, 0), 0);
}

// ================================================================ DB_THREAD

// Frames another (still running) thread used and put are free for this one:
// all 5 can be pinned here.
TEST_F(ThreadPageTest, FramesPutByAnotherLiveThreadAreReusable) {
  Runner other;
  other.Do([&] {
    for (int round = 0; round < 3; round++) {
      for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) {
        void *page = Get(p);
        EXPECT_NE(page, nullptr);
        EXPECT_EQ(memp_fput(mpf_, page, 0), 0);
      }
    }
  });
  std::vector<void *> pins;
  for (db_pgno_t p = kSmallPoolFrames; p < 2 * kSmallPoolFrames; p++) {
    db_pgno_t pg = p;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0) << "page " << p;
    EXPECT_EQ(Bytes(page, kPage), PatternPage(p, kPage));
    pins.push_back(page);
  }
  // And the other thread now finds every frame pinned.
  other.Do([&] {
    db_pgno_t pg = 0;
    void *page = nullptr;
    EXPECT_EQ(memp_fget(mpf_, &pg, 0, &page), ENOMEM);
  });
  for (void *p : pins) EXPECT_EQ(memp_fput(mpf_, p, 0), 0);
}

// Pins held by another live thread count: ENOMEM here until that thread
// puts one.
TEST_F(ThreadPageTest, PinsHeldByAnotherThreadCauseEnomemUntilPut) {
  Runner other;
  std::vector<void *> theirs;
  other.Do([&] {
    for (db_pgno_t p = 0; p < 3; p++) theirs.push_back(Get(p));
  });
  std::vector<void *> mine{Get(3), Get(4)};
  db_pgno_t pg = 8;
  void *page = nullptr;
  EXPECT_EQ(memp_fget(mpf_, &pg, 0, &page), ENOMEM);
  other.Do([&] { EXPECT_EQ(memp_fput(mpf_, theirs[1], 0), 0); });
  pg = 8;
  ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(8, kPage));
  mine.push_back(page);
  for (void *p : mine) EXPECT_EQ(memp_fput(mpf_, p, 0), 0);
  other.Do([&] {
    EXPECT_EQ(memp_fput(mpf_, theirs[0], 0), 0);
    EXPECT_EQ(memp_fput(mpf_, theirs[2], 0), 0);
  });
}

}  // namespace
}  // namespace lfmtest
