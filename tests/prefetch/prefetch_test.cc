// memp_fprefetch (db_mpool(3), lfmpool(3)): a prefetched page is read once
// and found by the gets that follow; cached pages and pages past the end
// cost nothing; a failed read's error is the result of the get of that page
// only, and its frame goes back; prefetches racing gets and evictions keep
// every page's bytes. Each case runs over both I/O engines.
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "fileio.h"
#include "gtest/gtest.h"
#include "lfmpool.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

class Prefetch : public PoolTest,
                 public ::testing::WithParamInterface<const char *> {
 protected:
  void SetUp() override { setenv("LFMPOOL_IO_ENGINE", GetParam(), 1); }
  void TearDown() override {
    PoolTest::TearDown();
    unsetenv("LFMPOOL_IO_ENGINE");
  }
  void OpenWith(uint32_t npages, size_t pool_bytes) {
    MakeFile(Path(), npages, kPage);
    Open(pool_bytes);
    StopFlushers(mp_);
    ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf_), 0);
  }
  // Gets page pgno, checks its bytes, puts it.
  void GetCheckPut(db_pgno_t pgno) {
    void *p = nullptr;
    ASSERT_EQ(memp_fget(mpf_, &pgno, 0, &p), 0) << "page " << pgno;
    ASSERT_EQ(Bytes(p, kPage), PatternPage(pgno, kPage)) << "page " << pgno;
    ASSERT_EQ(memp_fput(mpf_, p, 0), 0);
  }
  DB_MPOOLFILE *mpf_ = nullptr;
};

TEST_P(Prefetch, EachPageIsReadOnceAndTheGetsFindIt) {
  OpenWith(64, 256 * kPage);
  std::vector<db_pgno_t> want;
  for (db_pgno_t p = 3; p < 64; p += 4) want.push_back(p);
  size_t started = 0;
  ASSERT_EQ(memp_fprefetch(mpf_, want.data(), want.size(), &started), 0);
  EXPECT_EQ(started, want.size());
  for (db_pgno_t p : want) GetCheckPut(p);
  DB_MPOOL_STAT s = Stat(mp_);
  EXPECT_EQ(s.st_page_in, want.size());  // once each: no get read again
  EXPECT_EQ(s.st_cache_miss, 0u);
  EXPECT_EQ(s.st_prefetch, want.size());
  EXPECT_EQ(s.st_prefetch_lost, 0u);
  EXPECT_EQ(s.st_io_engine, std::string(GetParam()) == "io_uring" ? 1u : 2u);
  EXPECT_EQ(FStatOf(mp_, Path()).st_page_in, want.size());
  EXPECT_EQ(FStatOf(mp_, Path()).st_prefetch, want.size());
}

TEST_P(Prefetch, CachedPagesAndPagesPastTheEndCostNothing) {
  OpenWith(64, 256 * kPage);
  for (db_pgno_t p = 0; p < 8; p++) GetCheckPut(p);
  std::vector<db_pgno_t> want = {0, 1, 2, 3, 4, 5, 6, 7, 64, 1000, 8};
  size_t started = 99;
  ASSERT_EQ(memp_fprefetch(mpf_, want.data(), want.size(), &started), 0);
  EXPECT_EQ(started, 1u);  // page 8 only
  GetCheckPut(8);
  EXPECT_EQ(Stat(mp_).st_page_in, 9u);
  // Nothing to do is no error either.
  EXPECT_EQ(memp_fprefetch(mpf_, nullptr, 0, nullptr), 0);
}

TEST_P(Prefetch, BadArgumentsAreEinval) {
  OpenWith(4, 64 * kPage);
  db_pgno_t p = 1;
  EXPECT_EQ(memp_fprefetch(nullptr, &p, 1, nullptr), EINVAL);
  EXPECT_EQ(memp_fprefetch(mpf_, nullptr, 1, nullptr), EINVAL);
  EXPECT_EQ(memp_set_prefetch_depth(mp_, 0), EINVAL);
  EXPECT_EQ(memp_set_prefetch_depth(mp_, 4097), EINVAL);
  EXPECT_EQ(memp_set_prefetch_depth(nullptr, 8), EINVAL);
  EXPECT_EQ(memp_set_prefetch_depth(mp_, 8), 0);
  ASSERT_EQ(memp_fprefetch(mpf_, &p, 1, nullptr), 0);
  // The queue is open now: its depth is fixed.
  EXPECT_EQ(memp_set_prefetch_depth(mp_, 16), EINVAL);
  GetCheckPut(1);
}

// Gets and prefetches from two threads over a file four times the pool:
// prefetched frames are evicted, re-read, waited for, and every page a get
// returns has its own bytes.
TEST_P(Prefetch, RacingGetsAndEvictionsKeepEveryPage) {
  const uint32_t npages = 512;
  OpenWith(npages, 128 * kPage);
  auto worker = [&](uint32_t seed) {
    std::mt19937 rng(seed);
    for (int round = 0; round < 60; round++) {
      std::vector<db_pgno_t> batch(16);
      for (auto &p : batch) p = rng() % npages;
      ASSERT_EQ(memp_fprefetch(mpf_, batch.data(), batch.size(), nullptr), 0);
      for (db_pgno_t p : batch) GetCheckPut(p);
    }
  };
  std::thread a(worker, 1), b(worker, 2);
  a.join();
  b.join();
  ASSERT_EQ(memp_fsync(mpf_), 0);  // nothing pinned, nothing dirty
}

INSTANTIATE_TEST_SUITE_P(Engines, Prefetch,
                         ::testing::Values("io_uring", "threads"),
                         [](const ::testing::TestParamInfo<const char *> &i) {
                           return std::string(i.param) == "io_uring"
                                      ? std::string("IoUring")
                                      : std::string("Threads");
                         });

// A read fault through the seam (the threads engine's reads go through it):
// reads of page kBad fail with EIO while armed; each attempt is counted.
constexpr db_pgno_t kBad = 5;
std::atomic<bool> g_armed{false};
std::mutex g_m;
std::condition_variable g_cv;
int g_bad_reads = 0;

ssize_t FaultPread(int fd, void *buf, size_t len, off_t off) {
  if ((uint64_t)off == (uint64_t)kBad * kPage) {
    std::lock_guard<std::mutex> l(g_m);
    g_bad_reads++;
    g_cv.notify_all();
    if (g_armed.load()) {
      errno = EIO;
      return -1;
    }
  }
  return lfm__fileio_sys.pread(fd, buf, len, off);
}

class PrefetchFault : public Prefetch {
 protected:
  void SetUp() override {
    Prefetch::SetUp();
    table_ = lfm__fileio_sys;
    table_.pread = FaultPread;
    lfm__fileio_set(&table_);
  }
  void TearDown() override {
    Prefetch::TearDown();  // the pool is closed: no read is in flight
    lfm__fileio_set(nullptr);
    g_armed = false;
  }
  static void WaitBadReads(int n) {
    std::unique_lock<std::mutex> l(g_m);
    g_cv.wait(l, [n] { return g_bad_reads >= n; });
  }
  struct lfm__fileio table_;
};

TEST_P(PrefetchFault, AFailedReadIsTheResultOfItsOwnGetAndItsFrameGoesBack) {
  // 16 frames: a frame kept by a failed read would soon leave too few.
  OpenWith(32, 16 * kPage);
  {
    std::lock_guard<std::mutex> l(g_m);
    g_bad_reads = 0;
  }
  g_armed = true;
  for (int i = 0; i < 40; i++) {
    db_pgno_t want[] = {kBad - 1, kBad, kBad + 1};
    size_t started = 0;
    ASSERT_EQ(memp_fprefetch(mpf_, want, 3, &started), 0);
    WaitBadReads(2 * i + 1);  // the prefetch's read of kBad failed
    GetCheckPut(kBad - 1);    // others' gets are untouched by it
    GetCheckPut(kBad + 1);
    void *p = nullptr;
    db_pgno_t pg = kBad;
    // It waits for the failed read's frame to go, reads again itself.
    ASSERT_EQ(memp_fget(mpf_, &pg, 0, &p), EIO) << "round " << i;
    ASSERT_EQ(p, nullptr);
  }
  g_armed = false;
  // Each round's prefetch of kBad failed: counted, and read by its get.
  // The first round read kBad - 1 .. kBad + 1 with one vector read, which
  // stopped at kBad: kBad + 1 was lost too (its get read it).
  EXPECT_EQ(Stat(mp_).st_prefetch_lost, 41u);
  GetCheckPut(kBad);
  // Every frame can still be pinned at once: none was kept.
  std::vector<void *> pinned;
  for (db_pgno_t pg = 0; pg < 16; pg++) {
    void *p = nullptr;
    db_pgno_t q = pg;
    ASSERT_EQ(memp_fget(mpf_, &q, 0, &p), 0) << "page " << pg;
    pinned.push_back(p);
  }
  for (void *p : pinned) ASSERT_EQ(memp_fput(mpf_, p, 0), 0);
}

// The seam is the threads engine's only: io_uring reads go to the kernel.
INSTANTIATE_TEST_SUITE_P(Threads, PrefetchFault, ::testing::Values("threads"),
                         [](const ::testing::TestParamInfo<const char *> &) {
                           return std::string("Threads");
                         });

// The native API's call is the same engine's.
TEST(NativePrefetch, StartsReadsTheGetsFind) {
  TempDir dir;
  std::string path = dir.File("n.db");
  MakeFile(path, 32, kPage);
  lfmpool *pool = nullptr;
  ASSERT_EQ(lfmpool_open(nullptr, 128 * kPage, LFMPOOL_PRIVATE, 0, &pool), 0);
  lfmpool_file *f = nullptr;
  ASSERT_EQ(lfmpool_fopen(pool, path.c_str(), kPage, 0, 0, &f), 0);
  uint32_t want[] = {2, 30, 31, 32, 9};
  size_t started = 0;
  ASSERT_EQ(lfmpool_prefetch(f, want, 5, &started), 0);
  EXPECT_EQ(started, 4u);  // 32 is past the end
  for (uint32_t pg : {2u, 30u, 31u, 9u}) {
    void *p = nullptr;
    ASSERT_EQ(lfmpool_get(f, pg, &p), 0);
    ASSERT_EQ(Bytes(p, kPage), PatternPage(pg, kPage));
    ASSERT_EQ(lfmpool_put(f, p), 0);
  }
  EXPECT_EQ(lfmpool_prefetch(f, nullptr, 1, nullptr), EINVAL);
  EXPECT_EQ(lfmpool_set_prefetch_depth(pool, 8), EINVAL);  // already open
  ASSERT_EQ(lfmpool_close(pool), 0);
}

}  // namespace
}  // namespace lfmtest
