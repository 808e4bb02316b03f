// Pages through the native API (include/lfmpool.h): changes reach the file
// by lfmpool_fsync or by eviction and are read back after it; pins hold
// pages against eviction (ENOMEM when every frame is pinned); the pin
// count limit (EAGAIN); CLEAN and DISCARD; what lfmpool_fclose and
// lfmpool_close drop and what they keep; pools of several page sizes and
// of page sizes that are not powers of two.
// Each case checks the pages' bytes in the pool and, with pread(2), in
// the file.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lfmpool.h"
#include "tests/common/test_util.h"
#include "tests/native/native_fixture.h"

namespace lfmtest {
namespace {

constexpr size_t kTinyPool = 20 * 1024;  // 5 frames of 4 KiB
constexpr uint32_t kTinyFrames = kTinyPool / kPage;

// A 5-frame private pool with data.db of kFilePages pattern pages.
class TinyPoolTest : public NativeTest {
 protected:
  static constexpr uint32_t kFilePages = 40;
  TinyPoolTest() : NativeTest(kTinyPool, kFilePages) {}
  // Pages of the file whose bytes on disk are pattern `salt`.
  uint32_t OnDisk(const std::string &path, uint32_t npages, uint32_t salt,
                  size_t pagesize = kPage) const {
    uint32_t n = 0;
    for (uint32_t p = 0; p < npages; p++)
      n += ReadPage(path, p, pagesize) == PatternPage(p, pagesize, salt);
    return n;
  }
};

using NativePages = NativeTest;

// ================================================================ round trips

// Changes put DIRTY, or marked with lfmpool_set and put, are seen by the
// next get and reach the file with lfmpool_fsync.
TEST_F(NativePages, DirtyPagesReachTheFileAfterFsync) {
  for (uint32_t p = 0; p < kPages; p++) {
    void *page = NGet(file_, p);
    ASSERT_NE(page, nullptr);
    FillPattern(page, kPage, p, 1);
    if (p % 2 == 0) {
      NPut(file_, page, LFMPOOL_PUT_DIRTY);
    } else {
      ASSERT_EQ(lfmpool_set(file_, page, LFMPOOL_PUT_DIRTY), 0);
      NPut(file_, page);
    }
  }
  for (uint32_t p = 0; p < kPages; p++) {
    void *page = NGet(file_, p);
    ASSERT_NE(page, nullptr);
    EXPECT_TRUE(Bytes(page, kPage) == PatternPage(p, kPage, 1)) << "page " << p;
    NPut(file_, page);
  }
  ASSERT_EQ(lfmpool_fsync(file_), 0);
  for (uint32_t p = 0; p < kPages; p++)
    EXPECT_TRUE(ReadPage(Path(), p, kPage) == PatternPage(p, kPage, 1))
        << "page " << p;
  // Nothing left dirty: a second sync writes nothing new.
  EXPECT_EQ(lfmpool_fsync(file_), 0);
}

// Every page of a file eight times the pool's size changed: the pages
// evicted to make room were written as they went (before any sync), and
// getting them again reads the changes back from the file.
TEST_F(TinyPoolTest, EvictedDirtyPagesAreWrittenAndReadBack) {
  for (uint32_t p = 0; p < kFilePages; p++) {
    void *page = NGet(file_, p);
    ASSERT_NE(page, nullptr);
    EXPECT_TRUE(Bytes(page, kPage) == PatternPage(p, kPage)) << "page " << p;
    FillPattern(page, kPage, p, 2);
    NPut(file_, page, LFMPOOL_PUT_DIRTY);
  }
  // At most the frames' pages can still be in the pool unwritten.
  EXPECT_GE(OnDisk(Path(), kFilePages, 2), kFilePages - kTinyFrames);
  for (uint32_t p = 0; p < kFilePages; p++) {
    void *page = NGet(file_, p);
    ASSERT_NE(page, nullptr);
    EXPECT_TRUE(Bytes(page, kPage) == PatternPage(p, kPage, 2))
        << "page " << p << " lost its change";
    NPut(file_, page);
  }
  ASSERT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_EQ(OnDisk(Path(), kFilePages, 2), kFilePages);
}

// ================================================================ pins

// Four pages pinned while thirty others go through the fifth frame: the
// pinned pages keep their addresses and their (unsynced) changes. With
// the fifth pinned too, a miss is ENOMEM at once, for every kind of get,
// and adds no page; one put makes room again.
TEST_F(TinyPoolTest, PinsHoldPagesAgainstEvictionAndFullIsEnomem) {
  void *held[kTinyFrames];
  for (uint32_t p = 0; p < kTinyFrames - 1; p++) {
    held[p] = NGet(file_, p);
    ASSERT_NE(held[p], nullptr);
    FillPattern(held[p], kPage, p, 3);
  }
  for (uint32_t p = kTinyFrames; p < kTinyFrames + 30; p++) {
    void *page = NGet(file_, p);
    ASSERT_NE(page, nullptr);
    EXPECT_TRUE(Bytes(page, kPage) == PatternPage(p, kPage)) << "page " << p;
    for (uint32_t h = 0; h < kTinyFrames - 1; h++)
      EXPECT_NE(page, held[h]) << "page " << p << " took a pinned frame";
    NPut(file_, page);
  }
  for (uint32_t p = 0; p < kTinyFrames - 1; p++) {
    EXPECT_TRUE(Bytes(held[p], kPage) == PatternPage(p, kPage, 3))
        << "pinned page " << p << " changed under its pin";
    EXPECT_EQ(NGet(file_, p), held[p]) << "pinned page " << p << " moved";
    NPut(file_, held[p]);
  }
  held[kTinyFrames - 1] = NGet(file_, kTinyFrames - 1);
  ASSERT_NE(held[kTinyFrames - 1], nullptr);

  void *page = nullptr;
  EXPECT_EQ(lfmpool_get(file_, 20, &page), ENOMEM);
  uint32_t pgno = 21;
  EXPECT_EQ(lfmpool_get_flags(file_, &pgno, 0, &page), ENOMEM);
  pgno = kFilePages + 3;
  EXPECT_EQ(lfmpool_get_flags(file_, &pgno, LFMPOOL_GET_CREATE, &page), ENOMEM);
  pgno = 0;
  EXPECT_EQ(lfmpool_get_flags(file_, &pgno, LFMPOOL_GET_NEW, &page), ENOMEM);
  // A pinned page is still there for another pin.
  EXPECT_EQ(NGet(file_, 2), held[2]);
  NPut(file_, held[2]);
  // LAST: the last page is not resident either.
  uint32_t last = 0;
  EXPECT_EQ(lfmpool_get_flags(file_, &last, LFMPOOL_GET_LAST, &page), ENOMEM);

  // One put: room for one miss.
  for (uint32_t p = 0; p < kTinyFrames - 1; p++)
    if (p != 1) NPut(file_, held[p], LFMPOOL_PUT_DIRTY);
  NPut(file_, held[kTinyFrames - 1]);
  EXPECT_TRUE(ReadPage(Path(), 1, kPage) == PatternPage(1, kPage))
      << "a page was written while pinned";
  page = NGet(file_, 20);
  ASSERT_NE(page, nullptr);
  EXPECT_TRUE(Bytes(page, kPage) == PatternPage(20, kPage));
  NPut(file_, page);
  ASSERT_EQ(lfmpool_set(file_, held[1], LFMPOOL_PUT_DIRTY), 0);
  NPut(file_, held[1]);
  ASSERT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_EQ(OnDisk(Path(), kTinyFrames - 1, 3), kTinyFrames - 1);
  // The failed NEW and CREATE added no page.
  ASSERT_EQ(lfmpool_get_flags(file_, &last, LFMPOOL_GET_LAST, &page), 0);
  EXPECT_EQ(last, kFilePages - 1);
  NPut(file_, page);
  EXPECT_EQ(FileSize(Path()), static_cast<long long>(kFilePages * kPage));
}

// One page pinned again and again: EAGAIN once its pin count is full,
// every pin at the same address, and every pin put back one by one.
TEST_F(NativePages, PinCountLimitIsEagain) {
  void *first = NGet(file_, 5);
  ASSERT_NE(first, nullptr);
  FillPattern(first, kPage, 5, 4);
  ASSERT_EQ(lfmpool_set(file_, first, LFMPOOL_PUT_DIRTY), 0);
  unsigned long pins = 1;
  int rc = 0;
  const unsigned long limit = 1ul << 22;
  while (pins < limit) {
    void *page = nullptr;
    rc = lfmpool_get(file_, 5, &page);
    if (rc != 0) break;
    if (page != first) {
      ADD_FAILURE() << "pin " << pins << " returned another address";
      break;
    }
    pins++;
  }
  printf("[   info   ] EAGAIN after %lu pins\n", pins);
  ASSERT_EQ(rc, EAGAIN) << "after " << pins << " pins";
  EXPECT_GT(pins, 0xffffu) << "fewer pins than a thread's entry holds";
  // Another page still pins.
  void *other = NGet(file_, 6);
  ASSERT_NE(other, nullptr);
  NPut(file_, other);
  EXPECT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE);
  for (unsigned long i = 0; i < pins; i++) {
    rc = lfmpool_put(file_, first);
    if (rc != 0) {
      ADD_FAILURE() << "put " << i << " of " << pins << ": " << rc;
      break;
    }
    // The last pin is still a pin.
    if (i + 2 == pins) {
      ASSERT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE);
    }
  }
  EXPECT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_TRUE(ReadPage(Path(), 5, kPage) == PatternPage(5, kPage, 4));
  EXPECT_EQ(lfmpool_put(file_, first), EINVAL);
}

// ================================================================ flags

// CLEAN drops the dirty mark: the change is not written by the sync.
TEST_F(NativePages, CleanPutAndCleanSetDropTheChange) {
  void *a = NGet(file_, 1);
  void *b = NGet(file_, 2);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  FillPattern(a, kPage, 1, 5);
  FillPattern(b, kPage, 2, 5);
  ASSERT_EQ(lfmpool_set(file_, a, LFMPOOL_PUT_DIRTY), 0);
  ASSERT_EQ(lfmpool_set(file_, b, LFMPOOL_PUT_DIRTY), 0);
  NPut(file_, a, LFMPOOL_PUT_CLEAN);
  ASSERT_EQ(lfmpool_set(file_, b, LFMPOOL_PUT_CLEAN), 0);
  // b is pinned but clean: nothing is left for the sync.
  EXPECT_EQ(lfmpool_fsync(file_), 0);
  NPut(file_, b);
  EXPECT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_TRUE(ReadPage(Path(), 1, kPage) == PatternPage(1, kPage));
  EXPECT_TRUE(ReadPage(Path(), 2, kPage) == PatternPage(2, kPage));
}

// A page put with DISCARD is the next miss's victim, written first if it
// is dirty.
TEST_F(TinyPoolTest, DiscardedPageIsEvictedFirst) {
  void *pages[kTinyFrames];
  for (int round = 0; round < 2; round++) {
    for (uint32_t p = 0; p < kTinyFrames; p++) {
      pages[p] = NGet(file_, p);
      ASSERT_NE(pages[p], nullptr);
      NPut(file_, pages[p]);
    }
  }
  for (uint32_t victim : {3u, 1u}) {
    void *page = NGet(file_, victim);
    ASSERT_EQ(page, pages[victim]);
    FillPattern(page, kPage, victim, 6);
    NPut(file_, page, LFMPOOL_PUT_DIRTY | LFMPOOL_PUT_DISCARD);
    const uint32_t miss = 10 + victim;
    void *next = NGet(file_, miss);
    EXPECT_EQ(next, pages[victim])
        << "the miss of page " << miss << " did not take discarded page "
        << victim << "'s frame";
    EXPECT_TRUE(ReadPage(Path(), victim, kPage) ==
                PatternPage(victim, kPage, 6))
        << "the dirty discarded page was not written before reuse";
    NPut(file_, next);
    pages[victim] = next;
  }
}

// ================================================================ fclose,
// close

// The last handle's close drops the pins its threads hold: a 5-frame pool
// whose every frame is pinned through a.db has room for b.db's pages once
// a.db is closed, and a.db's changes (made dirty while pinned) are written
// when their frames are taken.
TEST_F(TinyPoolTest, FcloseDropsThePinsOfItsFile) {
  for (uint32_t p = 0; p < kTinyFrames; p++) {
    void *page = NGet(file_, p);
    ASSERT_NE(page, nullptr);
    FillPattern(page, kPage, p, 7);
    ASSERT_EQ(lfmpool_set(file_, page, LFMPOOL_PUT_DIRTY), 0);
  }
  MakeFile(Path("b.db"), kTinyFrames, kPage, 8);
  lfmpool_file *fb = OpenNativeFile(pool_, Path("b.db"));
  ASSERT_NE(fb, nullptr);
  void *page = nullptr;
  ASSERT_EQ(lfmpool_get(fb, 0, &page), ENOMEM);
  ASSERT_EQ(lfmpool_fclose(file_), 0);
  file_ = nullptr;
  std::vector<void *> bs;
  for (uint32_t p = 0; p < kTinyFrames; p++) {
    void *b = NGet(fb, p);
    ASSERT_NE(b, nullptr) << "page " << p << ": a.db's pins stayed";
    EXPECT_TRUE(Bytes(b, kPage) == PatternPage(p, kPage, 8));
    bs.push_back(b);
  }
  EXPECT_EQ(OnDisk(Path(), kTinyFrames, 7), kTinyFrames)
      << "a.db's dirty pages were not written before their frames went";
  for (void *b : bs) NPut(fb, b);
  EXPECT_EQ(lfmpool_fclose(fb), 0);
  file_ = OpenNativeFile(pool_, Path());
  ASSERT_NE(file_, nullptr);
  for (uint32_t p = 0; p < kTinyFrames; p++) {
    void *a = NGet(file_, p);
    ASSERT_NE(a, nullptr);
    EXPECT_TRUE(Bytes(a, kPage) == PatternPage(p, kPage, 7));
    NPut(file_, a);
  }
}

// A closed file's dirty pages stay in the pool: the file is unchanged
// after lfmpool_fclose, a new handle sees the changes, and its sync
// writes them.
TEST_F(NativePages, FcloseWritesNothingAndKeepsThePages) {
  void *page = NGet(file_, 3);
  ASSERT_NE(page, nullptr);
  FillPattern(page, kPage, 3, 9);
  NPut(file_, page, LFMPOOL_PUT_DIRTY);
  ASSERT_EQ(lfmpool_fclose(file_), 0);
  file_ = nullptr;
  EXPECT_TRUE(ReadPage(Path(), 3, kPage) == PatternPage(3, kPage))
      << "lfmpool_fclose wrote a page";
  file_ = OpenNativeFile(pool_, Path());
  ASSERT_NE(file_, nullptr);
  page = NGet(file_, 3);
  ASSERT_NE(page, nullptr);
  EXPECT_TRUE(Bytes(page, kPage) == PatternPage(3, kPage, 9));
  NPut(file_, page);
  ASSERT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_TRUE(ReadPage(Path(), 3, kPage) == PatternPage(3, kPage, 9));
}

// lfmpool_close writes nothing, and closes the files still open in it.
TEST_F(NativePages, CloseWritesNothing) {
  lfmpool_file *again = OpenNativeFile(pool_, Path());
  ASSERT_NE(again, nullptr);
  void *page = NGet(file_, 4);
  ASSERT_NE(page, nullptr);
  FillPattern(page, kPage, 4, 10);
  NPut(file_, page, LFMPOOL_PUT_DIRTY);
  page = NGet(again, 5);  // still pinned at the close
  ASSERT_NE(page, nullptr);
  FillPattern(page, kPage, 5, 10);
  ASSERT_EQ(lfmpool_set(again, page, LFMPOOL_PUT_DIRTY), 0);
  file_ = nullptr;  // closed by lfmpool_close
  ASSERT_EQ(lfmpool_close(pool_), 0);
  pool_ = nullptr;
  EXPECT_TRUE(ReadPage(Path(), 4, kPage) == PatternPage(4, kPage));
  EXPECT_TRUE(ReadPage(Path(), 5, kPage) == PatternPage(5, kPage));
}

// ================================================================ page sizes

// Files of 4 KiB, 8 KiB and 1 KiB pages in one pool, together larger than
// it: every page changed, read back after eviction, and synced.
TEST(NativePageSizes, MixedPageSizesRoundTrip) {
  TempDir dir;
  struct F {
    std::string path;
    size_t pagesize;
    uint32_t npages;
    lfmpool_file *f;
  };
  std::vector<F> files = {{dir.File("a.db"), 4096, 40, nullptr},
                          {dir.File("b.db"), 8192, 20, nullptr},
                          {dir.File("c.db"), 1024, 120, nullptr}};
  lfmpool *pool = OpenPrivatePool(kNativePool);
  ASSERT_NE(pool, nullptr);
  for (F &f : files) {
    MakeFile(f.path, f.npages, f.pagesize);
    f.f = OpenNativeFile(pool, f.path, f.pagesize);
    ASSERT_NE(f.f, nullptr);
  }
  // Interleaved, so that each size's frames take the others'.
  for (uint32_t i = 0; i < 120; i++) {
    for (F &f : files) {
      if (i >= f.npages) continue;
      void *page = NGet(f.f, i);
      ASSERT_NE(page, nullptr);
      EXPECT_TRUE(Bytes(page, f.pagesize) == PatternPage(i, f.pagesize))
          << f.path << " page " << i;
      FillPattern(page, f.pagesize, i, 11);
      NPut(f.f, page, LFMPOOL_PUT_DIRTY);
    }
  }
  for (F &f : files) {
    for (uint32_t i = 0; i < f.npages; i++) {
      void *page = NGet(f.f, i);
      ASSERT_NE(page, nullptr);
      EXPECT_TRUE(Bytes(page, f.pagesize) == PatternPage(i, f.pagesize, 11))
          << f.path << " page " << i << " lost its change";
      EXPECT_EQ(reinterpret_cast<uintptr_t>(page) % 64, 0u);
      NPut(f.f, page);
    }
    ASSERT_EQ(lfmpool_fsync(f.f), 0);
    for (uint32_t i = 0; i < f.npages; i++)
      EXPECT_TRUE(ReadPage(f.path, i, f.pagesize) ==
                  PatternPage(i, f.pagesize, 11))
          << f.path << " page " << i;
    EXPECT_EQ(lfmpool_fclose(f.f), 0);
  }
  EXPECT_EQ(lfmpool_close(pool), 0);
}

// Page sizes that are not powers of two, and the smallest (1 byte), each
// alone in a pool: every page changed through eviction, read back, synced.
TEST(NativePageSizes, OddPageSizesRoundTrip) {
  for (size_t ps : {size_t{1}, size_t{100}, size_t{3000}, size_t{200000}}) {
    SCOPED_TRACE("page size " + std::to_string(ps));
    TempDir dir;
    const std::string path = dir.File("odd.db");
    const uint32_t frames = static_cast<uint32_t>(kNativePool / ps);
    const uint32_t npages = frames < 200 ? frames * 2 + 3 : 400;
    MakeFile(path, npages, ps);
    lfmpool *pool = OpenPrivatePool(kNativePool);
    ASSERT_NE(pool, nullptr);
    lfmpool_file *f = OpenNativeFile(pool, path, ps);
    ASSERT_NE(f, nullptr);
    for (int round = 0; round < 2; round++) {
      for (uint32_t p = 0; p < npages; p++) {
        void *page = NGet(f, p);
        ASSERT_NE(page, nullptr) << "page " << p;
        ASSERT_TRUE(Bytes(page, ps) == PatternPage(p, ps, round))
            << "page " << p << " round " << round;
        FillPattern(page, ps, p, round + 1);
        NPut(f, page, LFMPOOL_PUT_DIRTY);
      }
    }
    ASSERT_EQ(lfmpool_fsync(f), 0);
    for (uint32_t p = 0; p < npages; p++)
      ASSERT_TRUE(ReadPage(path, p, ps) == PatternPage(p, ps, 2))
          << "page " << p;
    EXPECT_EQ(lfmpool_fclose(f), 0);
    EXPECT_EQ(lfmpool_close(pool), 0);
  }
}

}  // namespace
}  // namespace lfmtest
