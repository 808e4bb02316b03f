// Eviction of pages the thread caches hold (src/region/tcache.h) on the 64-frame
// pool of HitTest (tests/common/hit_fixture.h): a cached page evicted while
// other pages stream through is written and read again, a page kept hot
// through a cache is never evicted, and a miss finds a victim when every
// frame is hot in some cache.
#include <stdint.h>
#include <string.h>

#include <string>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/hit_fixture.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

// A page this thread has a cache entry for, changed and put DIRTY, is
// evicted (its entry stolen) while the thread reads 200 other pages
// through the 64-frame pool: it is written at eviction, and the thread's
// next get of it is a miss that reads it back, not its old frame (which
// now holds another page).
TEST_F(HitTest, EvictedCachedPageIsReadAgain) {
  constexpr db_pgno_t kBig = 200;
  MakeFile(Path("big.db"), kBig + 1, kPage, 3);
  DB_MPOOLFILE *big = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path("big.db"), kPage, &big), 0);
  Warm(big, 0);
  void *page = Get(big, 0);
  ASSERT_NE(page, nullptr);
  PutU32(page, 0, 0xE71C0000u);
  ASSERT_EQ(memp_fput(big, page, DB_MPOOL_DIRTY), 0);
  std::vector<uint8_t> want = PatternPage(0, kPage, 3);
  PutU32(want.data(), 0, 0xE71C0000u);

  for (db_pgno_t p = 1; p <= kBig; p++) {
    void *other = Get(big, p);
    ASSERT_NE(other, nullptr);
    ASSERT_EQ(Bytes(other, kPage), PatternPage(p, kPage, 3)) << "page " << p;
    ASSERT_EQ(memp_fput(big, other, 0), 0);
  }
  // Evicted, hence written (no flushers, no fsync).
  EXPECT_EQ(ReadPage(Path("big.db"), 0, kPage), want);
  DB_MPOOL_FSTAT s0 = FStatBySuffix(mp_, "/big.db");
  void *again = Get(big, 0);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Bytes(again, kPage), want);
  DB_MPOOL_FSTAT s1 = FStatBySuffix(mp_, "/big.db");
  EXPECT_EQ(s1.st_cache_miss, s0.st_cache_miss + 1);
  EXPECT_EQ(s1.st_cache_hit, s0.st_cache_hit);
  EXPECT_EQ(memp_fput(big, again, 0), 0);
  EXPECT_EQ(memp_fput(big, again, 0), EINVAL);
  EXPECT_EQ(memp_fclose(big), 0);
  static_assert(kFrames < kBig, "the other pages must overflow the pool");
}

// A page the thread keeps using through its cache is as hot as one it
// keeps pinning directly: a cached hit writes no shared state, but it
// marks the thread's entry, and CLOCK passes over a frame whose entry was
// used since its last visit (src/region/tcache.h, REF). So hot.db's one page,
// used between every two misses of a stream through the 64-frame pool, is
// read once, never evicted, while the stream's pages are evicted many
// times over.
TEST_F(HitTest, PageHotInThreadCacheIsNotEvicted) {
  constexpr db_pgno_t kBig = 200;
  constexpr int kRounds = 10;  // the stream evicts each frame ~30 times
  MakeFile(Path("hot.db"), 1, kPage, 5);
  MakeFile(Path("big.db"), kBig, kPage, 3);
  DB_MPOOLFILE *hot = nullptr, *big = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path("hot.db"), kPage, &hot), 0);
  ASSERT_EQ(OpenFile(mp_, Path("big.db"), kPage, &big), 0);
  Warm(hot, 0);  // an entry in this thread's cache
  for (int r = 0; r < kRounds; r++) {
    for (db_pgno_t p = 0; p < kBig; p++) {
      void *h = Get(hot, 0);
      ASSERT_NE(h, nullptr);
      ASSERT_EQ(Bytes(h, kPage), PatternPage(0, kPage, 5));
      ASSERT_EQ(memp_fput(hot, h, 0), 0);
      void *other = Get(big, p);
      ASSERT_NE(other, nullptr);
      ASSERT_EQ(Bytes(other, kPage), PatternPage(p, kPage, 3));
      ASSERT_EQ(memp_fput(big, other, 0), 0);
    }
  }
  DB_MPOOL_FSTAT hs = FStatBySuffix(mp_, "/hot.db");
  DB_MPOOL_FSTAT bs = FStatBySuffix(mp_, "/big.db");
  EXPECT_EQ(hs.st_page_in, 1u);
  EXPECT_EQ(hs.st_cache_miss, 1u);
  EXPECT_EQ(hs.st_cache_hit, 1u + kRounds * kBig);
  // The stream really did cycle the pool.
  EXPECT_GE(bs.st_page_in, (uint64_t)kRounds * (kBig - kFrames));
  EXPECT_EQ(memp_fclose(hot), 0);
  EXPECT_EQ(memp_fclose(big), 0);
  static_assert(kFrames < kBig, "the stream must overflow the pool");
}

// Every frame of the pool holds a page that one thread uses through its
// cache (REF set) and that another thread pinned directly too (USAGE at
// its top): the frames are hot, not pinned, so a miss must still find a
// victim (CLOCK drains USAGE, REF restores it once, and it drains again),
// never ENOMEM.
TEST_F(HitTest, MissFindsVictimWhenEveryFrameIsHotInACache) {
  constexpr db_pgno_t kAll = kFrames + 1;
  MakeFile(Path("all.db"), kAll, kPage, 7);
  DB_MPOOLFILE *all = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path("all.db"), kPage, &all), 0);
  for (db_pgno_t p = 0; p < kFrames; p++) {
    Warm(all, p);
    void *page = Get(all, p);  // through the cache: REF
    ASSERT_NE(page, nullptr);
    ASSERT_EQ(memp_fput(all, page, 0), 0);
  }
  std::thread th([&] {
    for (db_pgno_t p = 0; p < kFrames; p++) {
      void *page = Get(all, p);  // a first use here: a direct pin
      ASSERT_NE(page, nullptr);
      ASSERT_EQ(memp_fput(all, page, 0), 0);
    }
  });
  th.join();
  DB_MPOOL_FSTAT s0 = FStatBySuffix(mp_, "/all.db");
  ASSERT_EQ(s0.st_page_in, (uint64_t)kFrames);  // all resident, no eviction
  void *last = Get(all, kFrames);
  ASSERT_NE(last, nullptr);
  EXPECT_EQ(Bytes(last, kPage), PatternPage(kFrames, kPage, 7));
  EXPECT_EQ(memp_fput(all, last, 0), 0);
  EXPECT_EQ(memp_fclose(all), 0);
}

}  // namespace
}  // namespace lfmtest
