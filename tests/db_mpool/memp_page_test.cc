// memp_fget / memp_fput / memp_fset: flags, pins, EAGAIN, DIRTY and CLEAN,
// put and fset errors, DB_THREAD. Eviction, ENOMEM and DB_MPOOL_DISCARD:
// tests/eviction/memp_evict_test.cc.
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/page_fixture.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

// The counters that must not move on a failed fget.
void ExpectSameCounters(const DB_MPOOL_STAT &a, const DB_MPOOL_STAT &b) {
  EXPECT_EQ(a.st_cache_hit, b.st_cache_hit);
  EXPECT_EQ(a.st_cache_miss, b.st_cache_miss);
  EXPECT_EQ(a.st_map, b.st_map);
  EXPECT_EQ(a.st_page_create, b.st_page_create);
  EXPECT_EQ(a.st_page_in, b.st_page_in);
  EXPECT_EQ(a.st_page_out, b.st_page_out);
  EXPECT_EQ(a.st_ro_evict, b.st_ro_evict);
  EXPECT_EQ(a.st_rw_evict, b.st_rw_evict);
}

// ================================================================ memp_fget

TEST_F(PageTest, FgetMoreThanOneModeFlagIsEinval) {
  const unsigned long bad[] = {DB_MPOOL_CREATE | DB_MPOOL_LAST,
                               DB_MPOOL_CREATE | DB_MPOOL_NEW,
                               DB_MPOOL_LAST | DB_MPOOL_NEW,
                               DB_MPOOL_CREATE | DB_MPOOL_LAST | DB_MPOOL_NEW};
  DB_MPOOL_STAT s0 = Stat(mp_);
  for (unsigned long f : bad) {
    db_pgno_t pg = 1;
    void *page = nullptr;
    EXPECT_EQ(memp_fget(mpf_, &pg, f, &page), EINVAL) << "flags " << f;
  }
  ExpectSameCounters(s0, Stat(mp_));
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_LAST, &page), 0);
  EXPECT_EQ(pg, kPages - 1);  // no page was appended
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
}

TEST_F(PageTest, FgetUnknownFlagBitsAreEinval) {
  for (unsigned long f :
       {0x8UL, 0x10UL, 0x100UL, 0x80000000UL, DB_MPOOL_CREATE | 0x40UL}) {
    db_pgno_t pg = 1;
    void *page = nullptr;
    EXPECT_EQ(memp_fget(mpf_, &pg, f, &page), EINVAL) << "flags " << f;
  }
}

TEST_F(PageTest, FgetNullArgumentsAreEinval) {
  db_pgno_t pg = 1;
  void *page = nullptr;
  EXPECT_EQ(memp_fget(mpf_, nullptr, 0, &page), EINVAL);
  EXPECT_EQ(memp_fget(mpf_, nullptr, DB_MPOOL_NEW, &page), EINVAL);
  EXPECT_EQ(memp_fget(mpf_, nullptr, DB_MPOOL_LAST, &page), EINVAL);
  EXPECT_EQ(memp_fget(mpf_, &pg, 0, nullptr), EINVAL);
  EXPECT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_NEW, nullptr), EINVAL);
  // Nothing was appended or pinned: all 5 frames can be pinned.
  pg = 0;
  ASSERT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_LAST, &page), 0);
  EXPECT_EQ(pg, kPages - 1);
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  std::vector<void *> pins;
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) pins.push_back(Get(p));
  for (void *p : pins) EXPECT_EQ(memp_fput(mpf_, p, 0), 0);
}

// pgno > last without CREATE: EINVAL, no pin leaks, counters unchanged.
TEST_F(PageTest, FgetPastLastPageIsEinvalWithoutLeaks) {
  DB_MPOOL_STAT s0 = Stat(mp_);
  for (db_pgno_t p :
       {kPages, kPages + 1, kPages + 100, db_pgno_t{0xFFFFFFFF}}) {
    for (int i = 0; i < 3; i++) {
      db_pgno_t pg = p;
      void *page = nullptr;
      EXPECT_EQ(memp_fget(mpf_, &pg, 0, &page), EINVAL) << "page " << p;
    }
  }
  ExpectSameCounters(s0, Stat(mp_));
  std::vector<void *> pins;
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) pins.push_back(Get(p));
  for (void *p : pins) EXPECT_EQ(memp_fput(mpf_, p, 0), 0);
}

TEST_F(PoolTest, FgetOnEmptyFileHasNoPages) {
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf, DB_CREATE), 0);
  db_pgno_t pg = 0;
  void *page = nullptr;
  EXPECT_EQ(memp_fget(mpf, &pg, 0, &page), EINVAL);
  EXPECT_EQ(memp_fget(mpf, &pg, DB_MPOOL_LAST, &page), EINVAL);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

TEST_F(PageTest, FgetLastReturnsLastPage) {
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_LAST, &page), 0);
  EXPECT_EQ(pg, kPages - 1);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(kPages - 1, kPage));
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
}

// NEW appends page last+1, all zero bytes, without calling pgin.
TEST_F(PageTest, FgetNewAppendsZeroPageWithoutPgin) {
  ReopenWithHooks();
  HookState &h = Hooks();
  for (db_pgno_t want = kPages; want < kPages + 3; want++) {
    db_pgno_t pg = 0;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_NEW, &page), 0);
    EXPECT_EQ(pg, want);
    EXPECT_TRUE(AllZero(page, kPage));
    FillPattern(page, kPage, pg, 1);
    ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);
  }
  EXPECT_EQ(h.pgin_calls.load(), 0);
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_LAST, &page), 0);
  EXPECT_EQ(pg, kPages + 2);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(kPages + 2, kPage, 1));
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
}

TEST_F(PoolTest, FgetNewOnEmptyFileIsPageZero) {
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf, DB_CREATE), 0);
  db_pgno_t pg = 12345;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_NEW, &page), 0);
  EXPECT_EQ(pg, 0u);
  EXPECT_TRUE(AllZero(page, kPage));
  ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  pg = 12345;
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_NEW, &page), 0);
  EXPECT_EQ(pg, 1u);
  ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// CREATE of a missing page: zero bytes before pgin, pgin called with its
// number, last becomes pgno, the pages in between exist and read as zeroes.
TEST_F(PageTest, FgetCreateMissingPageZeroedPginCalledLastMoves) {
  ReopenWithHooks();
  HookState &h = Hooks();
  const db_pgno_t target = kPages + 4;
  db_pgno_t pg = target;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_CREATE, &page), 0);
  EXPECT_EQ(pg, target);
  EXPECT_TRUE(AllZero(page, kPage));
  ASSERT_EQ(h.pgin_calls.load(), 1);
  ASSERT_EQ(h.pgin_pgnos.size(), 1u);
  EXPECT_EQ(h.pgin_pgnos[0], target);
  EXPECT_EQ(h.last_pgin_addr, page);
  EXPECT_TRUE(AllZero(h.last_pgin_bytes.data(), h.last_pgin_bytes.size()));
  FillPattern(page, kPage, target, 2);
  ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);

  pg = 0;
  ASSERT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_LAST, &page), 0);
  EXPECT_EQ(pg, target);
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  for (db_pgno_t p = kPages; p < target; p++) {
    pg = p;
    ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0) << "page " << p;
    EXPECT_TRUE(AllZero(page, kPage)) << "page " << p;
    ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  }
  pg = target + 1;
  EXPECT_EQ(memp_fget(mpf_, &pg, 0, &page), EINVAL);
  pg = kPages;
  ASSERT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_NEW, &page), 0);
  EXPECT_EQ(pg, target + 1);
  ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);
}

TEST_F(PageTest, FgetCreateOfExistingPageReadsIt) {
  void *page = Get(3, DB_MPOOL_CREATE);
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(3, kPage));
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
}

// Existing pages are read from the file; pgin gets the page number, the page
// pointer and the file's pgcookie bytes.
TEST_F(PageTest, FgetReadsFileBytesAndCallsPginWithArguments) {
  char cookie_bytes[] = "cookie\0with nul";
  DBT cookie;
  memset(&cookie, 0, sizeof cookie);
  cookie.data = cookie_bytes;
  cookie.size = sizeof cookie_bytes - 1;
  ReopenWithHooks(&cookie);
  memset(cookie_bytes, '#', sizeof cookie_bytes);
  HookState &h = Hooks();
  for (db_pgno_t p : {7u, 0u, 11u}) {
    const int calls = h.pgin_calls;
    void *page = Get(p);
    ASSERT_NE(page, nullptr);
    EXPECT_EQ(Bytes(page, kPage), PatternPage(p, kPage));
    ASSERT_EQ(h.pgin_calls.load(), calls + 1);
    EXPECT_EQ(h.pgin_pgnos.back(), p);
    EXPECT_EQ(h.last_pgin_addr, page);
    EXPECT_EQ(h.last_pgin_bytes, PatternPage(p, kPage));
    ASSERT_FALSE(h.last_pgin_cookie_null);
    EXPECT_EQ(h.last_pgin_cookie, std::string("cookie\0with nul", 15));
    ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  }
}

TEST_F(PageTest, FgetPageIsAligned) {
  std::vector<void *> pins;
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) {
    void *page = Get(p);
    ASSERT_NE(page, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(page) % sizeof(size_t), 0u);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(page) % 64, 0u);
    pins.push_back(page);
  }
  for (void *p : pins) EXPECT_EQ(memp_fput(mpf_, p, 0), 0);
  DB_MPOOLFILE *odd = nullptr;
  ASSERT_EQ(OpenFile(mp_, std::string(), 200, &odd), 0);  // odd page size
  db_pgno_t pg;
  void *page = nullptr;
  for (int i = 0; i < 3; i++) {
    ASSERT_EQ(memp_fget(odd, &pg, DB_MPOOL_NEW, &page), 0);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(page) % sizeof(size_t), 0u);
    EXPECT_EQ(memp_fput(odd, page, 0), 0);
  }
  EXPECT_EQ(memp_fclose(odd), 0);
}

// A page fetched twice has one address; the pin count is per page.
TEST_F(PageTest, PinCountIsPerPage) {
  void *a = Get(4);
  void *b = Get(4);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a, b);
  FillPattern(a, kPage, 4, 1);
  ASSERT_EQ(memp_fset(mpf_, a, DB_MPOOL_DIRTY), 0);
  ASSERT_EQ(memp_fput(mpf_, a, 0), 0);
  EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE);  // still pinned once
  EXPECT_EQ(ReadPage(Path(), 4, kPage), PatternPage(4, kPage));
  ASSERT_EQ(memp_fput(mpf_, b, 0), 0);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), 4, kPage), PatternPage(4, kPage, 1));
  EXPECT_EQ(memp_fput(mpf_, a, 0), EINVAL);
}

// Pinning one page over and over eventually gives EAGAIN (before 2^24
// pins); after putting every pin the page is unpinned.
TEST_F(PageTest, PinCountOverflowIsEagain) {
  void *first = Get(6);
  ASSERT_NE(first, nullptr);
  FillPattern(first, kPage, 6, 1);
  ASSERT_EQ(memp_fset(mpf_, first, DB_MPOOL_DIRTY), 0);
  unsigned long pins = 1;
  int rc = 0;
  const unsigned long limit = 1UL << 24;
  while (pins <= limit) {
    db_pgno_t pg = 6;
    void *page = nullptr;
    rc = memp_fget(mpf_, &pg, 0, &page);
    if (rc != 0) break;
    if (page != first) {
      ADD_FAILURE() << "pin " << pins << " returned another address";
      break;
    }
    pins++;
  }
  ASSERT_EQ(rc, EAGAIN) << "after " << pins << " pins";
  EXPECT_LT(pins, limit);
  EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE);
  for (unsigned long i = 0; i < pins; i++) {
    int r = memp_fput(mpf_, first, 0);
    if (r != 0) {
      ADD_FAILURE() << "put " << i << " of " << pins << " returned " << r;
      break;
    }
  }
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), 6, kPage), PatternPage(6, kPage, 1));
  EXPECT_EQ(memp_fput(mpf_, first, 0), EINVAL);
}

// ================================================================ fput/fset

TEST_F(PageTest, CleanWithDirtyIsEinvalAndKeepsPin) {
  void *page = Get(1);
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(memp_fput(mpf_, page, DB_MPOOL_CLEAN | DB_MPOOL_DIRTY), EINVAL);
  EXPECT_EQ(memp_fset(mpf_, page, DB_MPOOL_CLEAN | DB_MPOOL_DIRTY), EINVAL);
  EXPECT_EQ(memp_fput(mpf_, page, 0), 0);
  EXPECT_EQ(memp_fput(mpf_, page, 0), EINVAL);
}

TEST_F(PageTest, UnknownPutFlagsAreEinvalAndKeepPin) {
  void *page = Get(1);
  ASSERT_NE(page, nullptr);
  for (unsigned long f :
       {0x8UL, 0x100UL, 0x80000000UL, DB_MPOOL_DIRTY | 0x10UL}) {
    EXPECT_EQ(memp_fput(mpf_, page, f), EINVAL) << "flags " << f;
    EXPECT_EQ(memp_fset(mpf_, page, f), EINVAL) << "flags " << f;
  }
  EXPECT_EQ(memp_fsync(mpf_), 0);  // the DIRTY|junk put did not dirty it
  EXPECT_EQ(memp_fput(mpf_, page, 0), 0);
  EXPECT_EQ(memp_fput(mpf_, page, 0), EINVAL);
}

// Pointers memp_fget did not return are EINVAL, never a crash; the real pin
// is untouched.
TEST_F(PageTest, ForeignPointersAreEinval) {
  void *page = Get(2);
  ASSERT_NE(page, nullptr);
  alignas(64) unsigned char stack_buf[2 * kPage];
  memset(stack_buf, 0, sizeof stack_buf);
  void *heap = nullptr;
  ASSERT_EQ(posix_memalign(&heap, 64, kPage), 0);
  memset(heap, 0, kPage);
  void *malloced = malloc(kPage);
  ASSERT_NE(malloced, nullptr);
  void *bad[] = {
      stack_buf, stack_buf + 64, heap, malloced, static_cast<char *>(page) + 1,
      nullptr};
  for (void *p : bad) {
    for (unsigned long f : {0UL, (unsigned long)DB_MPOOL_DIRTY}) {
      EXPECT_EQ(memp_fput(mpf_, p, f), EINVAL) << p << " flags " << f;
      EXPECT_EQ(memp_fset(mpf_, p, f), EINVAL) << p << " flags " << f;
    }
  }
  free(heap);
  free(malloced);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(memp_fput(mpf_, page, 0), 0);
  EXPECT_EQ(memp_fput(mpf_, page, 0), EINVAL);
}

TEST_F(PageTest, SecondPutOfUnpinnedPageIsEinval) {
  void *page = Get(2);
  ASSERT_NE(page, nullptr);
  ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);
  EXPECT_EQ(memp_fput(mpf_, page, 0), EINVAL);
  EXPECT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), EINVAL);
  // The page itself is fine: it can be pinned and put again.
  void *again = Get(2);
  EXPECT_EQ(again, page);
  EXPECT_EQ(memp_fput(mpf_, again, 0), 0);
}

// A page used often enough to sit in the thread's pin cache, then dirtied
// and released: resident, referenced by the cache, pinned by no one. A
// stale pointer to it is EINVAL for memp_fput and memp_fset with every
// flag, and changes nothing: DB_MPOOL_CLEAN does not drop the change, the
// next sync writes it.
TEST_F(PageTest, StalePointerToCachedDirtyPageIsEinvalAndDropsNothing) {
  void *page = nullptr;
  for (int i = 0; i < 3; i++) {
    page = Get(2);
    ASSERT_NE(page, nullptr);
    ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  }
  page = Get(2);
  FillPattern(page, kPage, 2, 7);
  ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);
  for (unsigned long fl :
       {0ul, (unsigned long)DB_MPOOL_CLEAN, (unsigned long)DB_MPOOL_DIRTY,
        (unsigned long)DB_MPOOL_DISCARD,
        (unsigned long)(DB_MPOOL_CLEAN | DB_MPOOL_DISCARD)}) {
    EXPECT_EQ(memp_fset(mpf_, page, fl), EINVAL) << "fset " << fl;
    EXPECT_EQ(memp_fput(mpf_, page, fl), EINVAL) << "fput " << fl;
  }
  EXPECT_EQ(Stat(mp_).st_page_dirty, 1u);
  EXPECT_EQ(ReadPage(Path(), 2, kPage), PatternPage(2, kPage));
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), 2, kPage), PatternPage(2, kPage, 7));
  // Nothing stayed pinned: every frame can be pinned at once.
  std::vector<void *> pins;
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) pins.push_back(Get(p));
  for (void *q : pins) EXPECT_EQ(memp_fput(mpf_, q, 0), 0);
}

// DIRTY then CLEAN (fset before the final put): memp_fsync writes nothing.
TEST_F(PageTest, CleanClearsDirtiness) {
  void *a = Get(3);
  void *b = Get(3);
  ASSERT_NE(a, nullptr);
  FillPattern(a, kPage, 3, 9);
  ASSERT_EQ(memp_fput(mpf_, a, DB_MPOOL_DIRTY), 0);
  ASSERT_EQ(memp_fset(mpf_, b, DB_MPOOL_CLEAN), 0);
  ASSERT_EQ(memp_fput(mpf_, b, 0), 0);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), 3, kPage), PatternPage(3, kPage));
  EXPECT_EQ(Stat(mp_).st_page_out, 0u);

  // The same through fset DIRTY then fput CLEAN.
  void *c = Get(5);
  ASSERT_NE(c, nullptr);
  FillPattern(c, kPage, 5, 9);
  ASSERT_EQ(memp_fset(mpf_, c, DB_MPOOL_DIRTY), 0);
  ASSERT_EQ(memp_fput(mpf_, c, DB_MPOOL_CLEAN), 0);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), 5, kPage), PatternPage(5, kPage));
  EXPECT_EQ(Stat(mp_).st_page_out, 0u);
}

// fset changes the flags and keeps the pin.
TEST_F(PageTest, FsetDirtyKeepsThePin) {
  void *page = Get(7);
  ASSERT_NE(page, nullptr);
  FillPattern(page, kPage, 7, 4);
  ASSERT_EQ(memp_fset(mpf_, page, DB_MPOOL_DIRTY), 0);
  EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE);
  EXPECT_EQ(ReadPage(Path(), 7, kPage), PatternPage(7, kPage));
  ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), 7, kPage), PatternPage(7, kPage, 4));
  EXPECT_EQ(memp_fput(mpf_, page, 0), EINVAL);
}

// ================================================================ DB_THREAD

// One DB_MPOOL and one DB_MPOOLFILE used from several threads at once.
TEST_F(PoolTest, ThreadsShareOnePoolAndFileHandle) {
  constexpr db_pgno_t kN = 40;
  constexpr int kThreads = 4, kRounds = 20;
  const std::string path = Path();
  MakeFile(path, kN, kPage);
  Open(16 * kPage, DB_THREAD);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf), 0);
  std::vector<std::vector<uint8_t>> want;
  for (db_pgno_t p = 0; p < kN; p++) want.push_back(PatternPage(p, kPage));
  std::atomic<long> bad{0}, errors{0}, gets{0};
  std::atomic<int> first_rc{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRounds; r++) {
        for (db_pgno_t i = 0; i < kN; i++) {
          db_pgno_t pg = (i * (2 * t + 1) + static_cast<db_pgno_t>(r)) % kN;
          const db_pgno_t want_pg = pg;
          void *page = nullptr;
          int rc = memp_fget(mpf, &pg, 0, &page);
          if (rc != 0) {
            errors++;
            first_rc = rc;
            continue;
          }
          gets++;
          if (memcmp(page, want[want_pg].data(), kPage) != 0) bad++;
          if (memp_fput(mpf, page, 0) != 0) errors++;
        }
      }
    });
  }
  for (auto &th : threads) th.join();
  EXPECT_EQ(errors.load(), 0) << "last error " << first_rc.load();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(gets.load(), long{kThreads} * kRounds * kN);
  DB_MPOOL_STAT s = Stat(mp_);
  EXPECT_EQ(s.st_cache_hit + s.st_cache_miss,
            static_cast<unsigned long>(gets.load()));
  EXPECT_EQ(s.st_page_out, 0u);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// The pin count of a page is shared by all threads: pins taken in three
// threads need exactly three puts, from any thread.
TEST_F(ThreadPageTest, PinCountIsSharedAcrossThreads) {
  Runner a, b;
  void *pa = nullptr, *pb = nullptr;
  a.Do([&] { pa = Get(3); });
  b.Do([&] { pb = Get(3); });
  void *pm = Get(3);
  ASSERT_NE(pm, nullptr);
  EXPECT_EQ(pa, pm);
  EXPECT_EQ(pb, pm);
  FillPattern(pm, kPage, 3, 6);
  ASSERT_EQ(memp_fset(mpf_, pm, DB_MPOOL_DIRTY), 0);
  b.Do([&] { EXPECT_EQ(memp_fput(mpf_, pm, 0), 0); });
  EXPECT_EQ(memp_fput(mpf_, pm, 0), 0);
  EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE);  // one pin left
  b.Do([&] { EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE); });
  EXPECT_EQ(ReadPage(Path(), 3, kPage), PatternPage(3, kPage));
  b.Do([&] { EXPECT_EQ(memp_fput(mpf_, pm, 0), 0); });  // a's pin, from b
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), 3, kPage), PatternPage(3, kPage, 6));
  a.Do([&] { EXPECT_EQ(memp_fput(mpf_, pm, 0), EINVAL); });
  EXPECT_EQ(memp_fput(mpf_, pm, 0), EINVAL);
}

}  // namespace
}  // namespace lfmtest
