// The memp_fget / memp_fput fast path (src/engine/hit.c) and its exits to the
// general path (src/engine/getput.c): misaligned and other-file pointers, pins
// held through the thread cache and direct pins, DISCARD, the count limits,
// statistics, past-the-end pages. Every test checks what the public API
// shows: return codes, page bytes, the file read back with pread after
// memp_fsync, memp_stat. The fixture, and what the cases rely on:
// tests/common/hit_fixture.h; puts from other threads and DIRTY puts:
// hit_foreign_test.cc; evicted pages and CLOCK against the thread caches:
// tests/eviction/hit_evict_test.cc.
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/hit_fixture.h"
#include "tests/common/test_util.h"

namespace lfmtest {
// No unnamed namespace: HitTest's out-of-line members are defined here;
// the helpers are static.

// ================================================= misaligned page pointers

// Pointers into (or just before) a pinned page, none of them the page's
// start. Each is EINVAL for memp_fput (0 and DIRTY) and memp_fset, and
// neither drops the pin nor dirties the page.
static void ExpectMisalignedPutsRejected(DB_MPOOLFILE *mpf, void *page) {
  char *p = static_cast<char *>(page);
  for (char *bad : {p + 8, p + 64, p + 2048, p + kPage - 1, p - 8}) {
    for (unsigned long f : {0UL, (unsigned long)DB_MPOOL_DIRTY}) {
      EXPECT_EQ(memp_fput(mpf, bad, f), EINVAL)
          << "page + " << (bad - p) << " flags " << f;
      EXPECT_EQ(memp_fset(mpf, bad, f), EINVAL)
          << "page + " << (bad - p) << " flags " << f;
    }
  }
  // Pinned but clean: the DIRTY attempts marked nothing.
  EXPECT_EQ(memp_fsync(mpf), 0);
}

// Pins page 5 (through this thread's cache entry when `cached`, else
// directly: a first use), checks the misaligned puts fail, then that the
// pin is still there and the only one.
void HitTest::MisalignedCase(bool cached) {
  if (cached) {
    Warm(5);
  }
  void *page = Get(5);
  ASSERT_NE(page, nullptr);
  ExpectMisalignedPutsRejected(mpf_, page);
  ASSERT_EQ(memp_fset(mpf_, page, DB_MPOOL_DIRTY), 0);
  EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE);
  EXPECT_EQ(memp_fput(mpf_, page, 0), 0);
  EXPECT_EQ(memp_fput(mpf_, page, 0), EINVAL);
  EXPECT_EQ(memp_fsync(mpf_), 0);
}

TEST_F(HitTest, MisalignedPutOfDirectPinIsEinvalAndKeepsThePin) {
  MisalignedCase(false);
}

TEST_F(HitTest, MisalignedPutOfCachedPinIsEinvalAndKeepsThePin) {
  MisalignedCase(true);
}

// =================================================== another file's handle

// Files a.db and b.db (same page size) in one pool; page 3 of each pinned
// (the same page number, so only the file tells them apart). Each pointer
// put or set through the other file's handle is EINVAL and changes
// nothing; then each is put once through its own.
static void CrossFilePuts(DB_MPOOLFILE *fa, DB_MPOOLFILE *fb, void *pa,
                          void *pb) {
  ASSERT_NE(pa, pb);
  for (unsigned long f : {0UL, (unsigned long)DB_MPOOL_DIRTY}) {
    EXPECT_EQ(memp_fput(fb, pa, f), EINVAL) << "flags " << f;
    EXPECT_EQ(memp_fput(fa, pb, f), EINVAL) << "flags " << f;
    EXPECT_EQ(memp_fset(fb, pa, f), EINVAL) << "flags " << f;
    EXPECT_EQ(memp_fset(fa, pb, f), EINVAL) << "flags " << f;
  }
  // Nothing was dirtied (a dirty pinned page would be DB_INCOMPLETE).
  EXPECT_EQ(memp_fsync(fa), 0);
  EXPECT_EQ(memp_fsync(fb), 0);
  // Both pins are still there: dirty now, so a pin shows as DB_INCOMPLETE.
  ASSERT_EQ(memp_fset(fa, pa, DB_MPOOL_DIRTY), 0);
  ASSERT_EQ(memp_fset(fb, pb, DB_MPOOL_DIRTY), 0);
  EXPECT_EQ(memp_fsync(fa), DB_INCOMPLETE);
  EXPECT_EQ(memp_fsync(fb), DB_INCOMPLETE);
  EXPECT_EQ(memp_fput(fa, pa, 0), 0);
  EXPECT_EQ(memp_fsync(fa), 0);
  EXPECT_EQ(memp_fsync(fb), DB_INCOMPLETE);  // b's pin did not go with a's
  EXPECT_EQ(memp_fput(fb, pb, 0), 0);
  EXPECT_EQ(memp_fsync(fb), 0);
  EXPECT_EQ(memp_fput(fa, pa, 0), EINVAL);
  EXPECT_EQ(memp_fput(fb, pb, 0), EINVAL);
}

// Opens a.db and b.db (8 pages each, patterns 1 and 2), makes page 3 of
// each resident, pins it (`cached`: through this thread's cache, else
// directly), then checks that cross-file puts fail and leave both pins.
void HitTest::CrossFileCase(bool cached) {
  MakeFile(Path("a.db"), 8, kPage, 1);
  MakeFile(Path("b.db"), 8, kPage, 2);
  DB_MPOOLFILE *fa = nullptr, *fb = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path("a.db"), kPage, &fa), 0);
  ASSERT_EQ(OpenFile(mp_, Path("b.db"), kPage, &fb), 0);
  for (DB_MPOOLFILE *f : {fa, fb}) {
    if (cached) {
      Warm(f, 3);
    } else {
      // Resident (a miss) by another thread, so the gets below are
      // first uses here: direct pins.
      std::thread th([&] { ASSERT_EQ(memp_fput(f, Get(f, 3), 0), 0); });
      th.join();
    }
  }
  void *pa = Get(fa, 3);
  void *pb = Get(fb, 3);
  ASSERT_NE(pa, nullptr);
  ASSERT_NE(pb, nullptr);
  EXPECT_EQ(Bytes(pa, kPage), PatternPage(3, kPage, 1));
  EXPECT_EQ(Bytes(pb, kPage), PatternPage(3, kPage, 2));
  CrossFilePuts(fa, fb, pa, pb);
  EXPECT_EQ(memp_fclose(fa), 0);
  EXPECT_EQ(memp_fclose(fb), 0);
}

TEST_F(HitTest, PutThroughAnotherFilesHandleIsEinvalAndKeepsDirectPin) {
  CrossFileCase(false);
}

TEST_F(HitTest, PutThroughAnotherFilesHandleIsEinvalAndKeepsCachedPin) {
  CrossFileCase(true);
}

// ============================================ repeated pins by one thread

// Get/put once (a ghost), then three gets without a put: the second and
// third come from the thread cache entry the first made. Three puts
// succeed, a fourth is EINVAL, and memp_fsync then writes the page (no
// pin is left).
TEST_F(HitTest, PinsServedFromTheThreadCacheNeedAsManyPuts) {
  void *first = Get(7);
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(memp_fput(mpf_, first, 0), 0);
  void *pins[3];
  for (void *&p : pins) {
    p = Get(7);
    ASSERT_EQ(p, first);
  }
  PutU32(first, 0, 0xC0FFEE07u);
  ASSERT_EQ(memp_fset(mpf_, first, DB_MPOOL_DIRTY), 0);
  EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE);  // pinned three times
  EXPECT_EQ(ReadPage(Path(), 7, kPage), PatternPage(7, kPage));
  EXPECT_EQ(memp_fput(mpf_, pins[0], DB_MPOOL_DIRTY), 0);
  EXPECT_EQ(memp_fput(mpf_, pins[1], 0), 0);
  EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE);  // one pin left
  EXPECT_EQ(memp_fput(mpf_, pins[2], 0), 0);
  EXPECT_EQ(memp_fput(mpf_, first, 0), EINVAL);
  EXPECT_EQ(memp_fput(mpf_, first, DB_MPOOL_DIRTY), EINVAL);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), 7, kPage), Marked(7, 0xC0FFEE07u));
}

// One direct pin (first use, kept) and two through the cache entry the
// second use makes: three puts in any order succeed, a fourth is EINVAL.
TEST_F(HitTest, DirectAndCachedPinsOfOnePageBalance) {
  void *direct = Get(9);
  ASSERT_NE(direct, nullptr);
  void *cached1 = Get(9);  // the ghost's second use: a cache entry
  void *cached2 = Get(9);  // that entry, count 2
  ASSERT_EQ(cached1, direct);
  ASSERT_EQ(cached2, direct);
  PutU32(direct, 0, 0x09090909u);
  for (int i = 0; i < 3; i++) {
    EXPECT_EQ(memp_fput(mpf_, direct, i == 0 ? DB_MPOOL_DIRTY : 0), 0)
        << "put " << i;
    if (i < 2) {
      EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE) << "put " << i;
    }
  }
  EXPECT_EQ(memp_fput(mpf_, direct, 0), EINVAL);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), 9, kPage), Marked(9, 0x09090909u));
  // Pinned again later: one get, one put.
  void *again = Get(9);
  EXPECT_EQ(again, direct);
  EXPECT_EQ(memp_fput(mpf_, again, 0), 0);
  EXPECT_EQ(memp_fput(mpf_, again, 0), EINVAL);
}

// Takes `pins` pins of page pgno (after `warm`ing it into the thread's
// cache or not), dirties it, then puts as many: each put succeeds, the
// page stays pinned until the last (memp_fsync: DB_INCOMPLETE), one more
// put is EINVAL, and the page is then written.
void HitTest::PinsNeedAsManyPuts(db_pgno_t pgno, int pins, bool warm) {
  if (warm) {
    Warm(pgno);
  }
  void *first = Get(pgno);
  ASSERT_NE(first, nullptr);
  for (int i = 1; i < pins; i++) {
    db_pgno_t pg = pgno;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0) << "get " << i;
    ASSERT_EQ(page, first) << "get " << i;
  }
  PutU32(first, 0, 0x11111111u);
  ASSERT_EQ(memp_fset(mpf_, first, DB_MPOOL_DIRTY), 0);
  for (int i = 0; i < pins; i++) {
    ASSERT_EQ(memp_fput(mpf_, first, 0), 0) << "put " << i;
    if (i == pins - 2) {
      EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE);  // one pin left
    }
  }
  EXPECT_EQ(memp_fput(mpf_, first, 0), EINVAL);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), pgno, kPage), Marked(pgno, 0x11111111u));
}

// 5000 gets of one page by one thread without a put, then 5000 puts.
TEST_F(HitTest, ManyPinsOfOnePageNeedAsManyPuts) {
  PinsNeedAsManyPuts(11, 5000, false);
}

// A cache entry counts at most 65535 pins (LFM_TC_COUNT_MAX); pins past
// that are taken directly. The count is still exact.
TEST_F(HitTest, PinsPastTheCacheEntryLimitAreStillCounted) {
  PinsNeedAsManyPuts(12, 65535 + 200, true);
}

// ================================================================ stats

// Snapshot of the counters a get may move.
struct Counters {
  unsigned long hit, miss, searches, examined, longest, page_in;
  unsigned long file_hit, file_miss;
};

static Counters Snap(DB_MPOOL *mp, const std::string &suffix) {
  DB_MPOOL_STAT g = Stat(mp);
  DB_MPOOL_FSTAT f = FStatBySuffix(mp, suffix);
  return Counters{g.st_cache_hit,     g.st_cache_miss,   g.st_hash_searches,
                  g.st_hash_examined, g.st_hash_longest, g.st_page_in,
                  f.st_cache_hit,     f.st_cache_miss};
}

// On a fresh pool (f.db open but unused) with two more files: each first get is
// one miss (and one page read), each later get one hit, in the global and that
// file's counters alike; the other file's counters do not move. A hit that
// searches the hash table (every first use by a thread, and the ghost's second
// use) counts at least one search, and at least one element examined per
// search.
TEST_F(HitTest, StatsCountEveryResidentGetAsExactlyOneHit) {
  MakeFile(Path("a.db"), 10, kPage, 1);
  MakeFile(Path("b.db"), 10, kPage, 2);
  DB_MPOOLFILE *fa = nullptr, *fb = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path("a.db"), kPage, &fa), 0);
  ASSERT_EQ(OpenFile(mp_, Path("b.db"), kPage, &fb), 0);
  Counters z = Snap(mp_, "/a.db");
  EXPECT_EQ(z.hit, 0u);
  EXPECT_EQ(z.miss, 0u);
  EXPECT_EQ(z.file_hit, 0u);
  EXPECT_EQ(z.file_miss, 0u);

  // A get of page p of f: the expected deltas of hit and miss, checked
  // globally and on f (suffix) and on the other file (other).
  auto get_put = [&](DB_MPOOLFILE *f, const char *suffix, const char *other,
                     db_pgno_t p, bool expect_miss, bool expect_search) {
    Counters b = Snap(mp_, suffix);
    Counters bo = Snap(mp_, other);
    db_pgno_t pg = p;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(f, &pg, 0, &page), 0);
    Counters a = Snap(mp_, suffix);
    Counters ao = Snap(mp_, other);
    ASSERT_EQ(memp_fput(f, page, 0), 0);
    EXPECT_EQ(a.hit - b.hit, expect_miss ? 0u : 1u) << suffix << " " << p;
    EXPECT_EQ(a.miss - b.miss, expect_miss ? 1u : 0u) << suffix << " " << p;
    EXPECT_EQ(a.file_hit - b.file_hit, expect_miss ? 0u : 1u)
        << suffix << " " << p;
    EXPECT_EQ(a.file_miss - b.file_miss, expect_miss ? 1u : 0u)
        << suffix << " " << p;
    EXPECT_EQ(a.page_in - b.page_in, expect_miss ? 1u : 0u)
        << suffix << " " << p;
    EXPECT_EQ(ao.file_hit, bo.file_hit) << suffix << " " << p;
    EXPECT_EQ(ao.file_miss, bo.file_miss) << suffix << " " << p;
    if (expect_search) {
      EXPECT_GE(a.searches - b.searches, 1u) << suffix << " " << p;
      if (!expect_miss) {
        // Found in the table: at least the frame itself was examined.
        EXPECT_GE(a.examined - b.examined, a.searches - b.searches)
            << suffix << " " << p;
        EXPECT_GE(a.longest, 1u);
      }
    }
  };

  // This thread reads both files: misses.
  for (db_pgno_t p = 0; p < 10; p++) {
    get_put(fa, "/a.db", "/b.db", p, true, true);
    get_put(fb, "/b.db", "/a.db", p, true, true);
  }
  // Another thread, for which every page is a first use: each get a hit
  // found by a hash search (the first through the general path, which
  // makes the thread's cache, the others through the hit path's own
  // search). Then second uses (an entry is made) and third and fourth uses
  // (served by it for the pages that got one): one hit each.
  Runner r;
  r.Do([&] {
    for (db_pgno_t p = 0; p < 10; p++) {
      get_put(fa, "/a.db", "/b.db", p, false, true);
      get_put(fb, "/b.db", "/a.db", p, false, true);
    }
    for (int round = 0; round < 3; round++) {
      for (db_pgno_t p = 0; p < 3; p++) {
        get_put(fa, "/a.db", "/b.db", p, false, false);
        get_put(fa, "/a.db", "/b.db", p, false, false);
      }
    }
  });
  // And this thread again: each page of b once more (found by a search:
  // a first use, or a ghost's second use), then once again (a hit, through
  // an entry for the pages that got one).
  for (db_pgno_t p = 0; p < 10; p++) {
    get_put(fb, "/b.db", "/a.db", p, false, true);
    get_put(fb, "/b.db", "/a.db", p, false, false);
  }
  // Pins held: every get a hit, whichever path served it.
  Counters b = Snap(mp_, "/a.db");
  std::vector<void *> held;
  for (int i = 0; i < 6; i++) held.push_back(Get(fa, 5));
  Counters a = Snap(mp_, "/a.db");
  EXPECT_EQ(a.hit - b.hit, 6u);
  EXPECT_EQ(a.file_hit - b.file_hit, 6u);
  EXPECT_EQ(a.miss, b.miss);
  for (void *p : held) EXPECT_EQ(memp_fput(fa, p, 0), 0);

  // Totals: 20 misses; hits: 20 (r's first uses) + 18 + 20 + 6.
  DB_MPOOL_STAT g = Stat(mp_);
  EXPECT_EQ(g.st_cache_miss, 20u);
  EXPECT_EQ(g.st_cache_hit, 20u + 18u + 20u + 6u);
  EXPECT_EQ(g.st_page_in, 20u);
  DB_MPOOL_FSTAT sa = FStatBySuffix(mp_, "/a.db"),
                 sb = FStatBySuffix(mp_, "/b.db");
  EXPECT_EQ(sa.st_cache_miss, 10u);
  EXPECT_EQ(sb.st_cache_miss, 10u);
  EXPECT_EQ(sa.st_cache_hit, 10u + 18u + 6u);
  EXPECT_EQ(sb.st_cache_hit, 10u + 20u);
  EXPECT_EQ(g.st_cache_hit, sa.st_cache_hit + sb.st_cache_hit);
  EXPECT_EQ(memp_fclose(fa), 0);
  EXPECT_EQ(memp_fclose(fb), 0);
}

// Hits through a thread's cache entry are counted in the entry itself and
// moved to counters when it fills (every 32768), when the entry is emptied
// and when the thread's cache is given back: memp_stat counts each hit once
// at every point, whichever of those happened. A Runner thread, whose
// cache goes when the Runner is destroyed, makes 3 * 32768 + 5 hits on one
// page (its entry fills three times), then one on each of pages 10-19.
TEST_F(HitTest, StatsCountEntryHitsOnceWhereverTheyAreHeld) {
  constexpr unsigned long kHits = 3 * 32768 + 5;
  for (db_pgno_t p : {7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}) {
    void *page = Get(p);  // resident: the counts below are hits only
    ASSERT_NE(page, nullptr);
    ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  }
  DB_MPOOL_STAT s0 = Stat(mp_);
  DB_MPOOL_FSTAT f0 = FStatBySuffix(mp_, "/f.db");
  {
    Runner r;
    r.Do([&] {
      Warm(7);  // two hits: a first use, then the entry's making
      for (unsigned long i = 0; i < kHits; i++) {
        db_pgno_t pg = 7;
        void *page = nullptr;
        ASSERT_EQ(memp_fget(mpf_, &pg, 0, &page), 0);
        ASSERT_EQ(static_cast<uint8_t *>(page)[5], PatternByte(7, 5));
        ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
      }
    });
    DB_MPOOL_STAT s1 = Stat(mp_);
    EXPECT_EQ(s1.st_cache_hit - s0.st_cache_hit, kHits + 2);
    EXPECT_EQ(FStatBySuffix(mp_, "/f.db").st_cache_hit - f0.st_cache_hit,
              kHits + 2);
    EXPECT_EQ(s1.st_cache_miss, s0.st_cache_miss);
    r.Do([&] {
      for (db_pgno_t p = 10; p < 20; p++) Warm(p);
    });
    EXPECT_EQ(Stat(mp_).st_cache_hit - s0.st_cache_hit, kHits + 2 + 20);
  }
  // The thread is gone, its cache given back: the same counts.
  DB_MPOOL_STAT s2 = Stat(mp_);
  EXPECT_EQ(s2.st_cache_hit - s0.st_cache_hit, kHits + 2 + 20);
  EXPECT_EQ(FStatBySuffix(mp_, "/f.db").st_cache_hit - f0.st_cache_hit,
            kHits + 2 + 20);
  EXPECT_EQ(s2.st_cache_miss, s0.st_cache_miss);
}

// ================================================================ past end

// A page past the end without DB_MPOOL_CREATE is EINVAL (and counts as
// nothing, and *pagep is NULL); with it, the page is created zero-filled, and
// then a plain get of it is a hit, and the next page past the new end is still
// EINVAL.
TEST_F(HitTest, PastTheEndIsEinvalUnlessCreated) {
  Warm(kPages - 1);  // the last page, resident and cached
  DB_MPOOL_STAT s0 = Stat(mp_);
  for (db_pgno_t p : {kPages, kPages + 1, kPages + 100}) {
    db_pgno_t pg = p;
    void *page = reinterpret_cast<void *>(uintptr_t{1});
    EXPECT_EQ(memp_fget(mpf_, &pg, 0, &page), EINVAL) << "page " << p;
    EXPECT_EQ(pg, p);
    // As Berkeley DB's own get: no page, not the hit path's guess.
    EXPECT_EQ(page, nullptr) << "page " << p;
  }
  DB_MPOOL_STAT s1 = Stat(mp_);
  EXPECT_EQ(s1.st_cache_hit, s0.st_cache_hit);
  EXPECT_EQ(s1.st_cache_miss, s0.st_cache_miss);
  EXPECT_EQ(s1.st_page_create, s0.st_page_create);
  EXPECT_EQ(FileSize(Path()), static_cast<long long>(kPages * kPage));

  db_pgno_t pg = kPages;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf_, &pg, DB_MPOOL_CREATE, &page), 0);
  EXPECT_EQ(pg, kPages);
  EXPECT_TRUE(AllZero(page, kPage));
  DB_MPOOL_STAT s2 = Stat(mp_);
  EXPECT_EQ(s2.st_page_create, s1.st_page_create + 1);
  EXPECT_EQ(s2.st_page_in, s1.st_page_in);
  PutU32(page, 100, 0xC4EA7E00u);
  ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);

  void *again = Get(kPages);  // now inside the file: a plain get hits
  ASSERT_EQ(again, page);
  EXPECT_EQ(GetU32(again, 100), 0xC4EA7E00u);
  DB_MPOOL_STAT s3 = Stat(mp_);
  EXPECT_EQ(s3.st_cache_hit, s2.st_cache_hit + 1);
  EXPECT_EQ(s3.st_cache_miss, s2.st_cache_miss);
  EXPECT_EQ(memp_fput(mpf_, again, 0), 0);
  EXPECT_EQ(memp_fput(mpf_, again, 0), EINVAL);

  pg = kPages + 1;
  page = nullptr;
  EXPECT_EQ(memp_fget(mpf_, &pg, 0, &page), EINVAL);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  std::vector<uint8_t> want(kPage, 0);
  PutU32(want.data(), 100, 0xC4EA7E00u);
  EXPECT_EQ(ReadPage(Path(), kPages, kPage), want);
  EXPECT_EQ(FileSize(Path()), static_cast<long long>((kPages + 1) * kPage));
}

// ================================================================ DISCARD

// Get, change, put DIRTY|DISCARD; get again: the change is there (the page
// was kept, or written and read back); a plain put then succeeds and a
// second is EINVAL. The change reaches the file.
TEST_F(HitTest, DiscardedPageComesBackWithItsContents) {
  for (bool cached : {false, true}) {
    const db_pgno_t p = cached ? 14 : 13;
    if (cached) Warm(p);
    void *page = Get(p);
    ASSERT_NE(page, nullptr);
    PutU32(page, 0, 0xD15C0000u + p);
    ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY | DB_MPOOL_DISCARD), 0);
    void *again = Get(p);
    ASSERT_NE(again, nullptr);
    EXPECT_EQ(Bytes(again, kPage), Marked(p, 0xD15C0000u + p))
        << "cached " << cached;
    EXPECT_EQ(memp_fput(mpf_, again, 0), 0);
    EXPECT_EQ(memp_fput(mpf_, again, 0), EINVAL);
    EXPECT_EQ(memp_fsync(mpf_), 0);
    EXPECT_EQ(ReadPage(Path(), p, kPage), Marked(p, 0xD15C0000u + p));
  }
}

// A page pinned twice, one pin put with DISCARD: the frame is marked for
// discard but still pinned, so the other put (plain, through the path that
// handles DISCARD) succeeds, a third is EINVAL, and the DIRTY given with
// the DISCARD is not lost. With a direct and a cached pin, and with two
// cached pins.
TEST_F(HitTest, PutAfterAnotherPinWasDiscardedStillCounts) {
  struct Case {
    db_pgno_t pgno;
    bool warm;
  };
  for (Case c : {Case{15, false}, Case{16, true}}) {
    if (c.warm) Warm(c.pgno);
    void *page = Get(c.pgno);
    ASSERT_NE(page, nullptr);
    ASSERT_EQ(Get(c.pgno), page);
    PutU32(page, 0, 0xD15C1000u + c.pgno);
    EXPECT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY | DB_MPOOL_DISCARD), 0);
    EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE) << "page " << c.pgno;
    EXPECT_EQ(memp_fput(mpf_, page, 0), 0) << "page " << c.pgno;
    EXPECT_EQ(memp_fput(mpf_, page, 0), EINVAL) << "page " << c.pgno;
    EXPECT_EQ(memp_fsync(mpf_), 0) << "page " << c.pgno;
    EXPECT_EQ(ReadPage(Path(), c.pgno, kPage),
              Marked(c.pgno, 0xD15C1000u + c.pgno));
  }
  // memp_fset DISCARD on a pinned page: the later puts count the same.
  Warm(17);
  void *page = Get(17);
  ASSERT_EQ(Get(17), page);
  ASSERT_EQ(memp_fset(mpf_, page, DB_MPOOL_DISCARD), 0);
  EXPECT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);
  EXPECT_EQ(memp_fput(mpf_, page, 0), 0);
  EXPECT_EQ(memp_fput(mpf_, page, 0), EINVAL);
  EXPECT_EQ(memp_fsync(mpf_), 0);
}

}  // namespace lfmtest

namespace lfmtest {

// ===================================== a ghost of a page whose chain is empty

// The fast get finds the page's frame as its bucket chain's first and the
// thread's entry of that frame (src/engine/hit.c). Here the page (63, in
// the last frame of a fresh 64-frame pool, whose entry is the cache's
// last) was used twice and put with DISCARD, so the thread's entry keeps
// its ghost; another thread's miss then evicts it, and its chain is left
// empty. The thread's next get of it must read it again (a miss), not be
// handed a page outside the pool.
TEST_F(HitTest, GetOfAnEvictedPageWhoseGhostIsInTheLastEntryRereadsIt) {
  ASSERT_EQ(memp_fclose(mpf_), 0);
  mpf_ = nullptr;
  MakeFile(Path("g.db"), kFrames + 8, kPage);
  ASSERT_EQ(OpenFile(mp_, Path("g.db"), kPage, &mpf_), 0);
  // Frames are carved in order: page p in frame p. Where the pages are.
  uintptr_t lo = UINTPTR_MAX, hi = 0;
  for (db_pgno_t p = 0; p < kFrames; p++) {
    void *page = Get(p);
    ASSERT_NE(page, nullptr);
    lo = std::min(lo, reinterpret_cast<uintptr_t>(page));
    hi = std::max(hi, reinterpret_cast<uintptr_t>(page));
    ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  }
  const db_pgno_t last = kFrames - 1;
  void *page = Get(last);  // the ghost's second use: an entry
  ASSERT_NE(page, nullptr);
  ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DISCARD), 0);  // entry goes
  std::thread th([&] {  // evicts the DISCARD page first
    void *other = Get(kFrames);
    if (other != nullptr) {
      EXPECT_EQ(memp_fput(mpf_, other, 0), 0);
    }
  });
  th.join();
  page = Get(last);
  ASSERT_NE(page, nullptr);
  uintptr_t a = reinterpret_cast<uintptr_t>(page);
  ASSERT_TRUE(a >= lo && a <= hi)
      << "page " << last << " at " << page << ", pages are in [" << (void *)lo
      << ", " << (void *)hi << "]";
  EXPECT_EQ(memcmp(page, PatternPage(last, kPage).data(), kPage), 0);
  EXPECT_EQ(memp_fput(mpf_, page, 0), 0);
}

}  // namespace lfmtest
