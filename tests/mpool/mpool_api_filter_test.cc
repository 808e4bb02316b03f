// mpool(3) conformance, part 3: mpool_delete, mpool_filter and threads
// (the fixture and helpers are in mpool_test_fixture.h). One TEST per
// sentence of the manual pages and per point of include/mpool.h, bad input
// included.

#include "mpool_test_fixture.h"

namespace lfmtest {
namespace {

// ======================================================================
// mpool_delete
// ======================================================================

// The page must be pinned: 0, and it leaves without being written.
TEST_F(MpoolTest, DeletePinnedPageDropsChanges) {
  MakePages(4);
  Open();
  void *p = Get(2);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 2, 25);
  EXPECT_EQ(mpool_delete(mp_, p), 0);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(2), Pat(2));
}

// Dirty changes already put are lost, too.
TEST_F(MpoolTest, DeleteDropsEarlierDirtyPut) {
  MakePages(4);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 1, 26);
  Put(p, MPOOL_DIRTY);
  void *q = Get(1);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(mpool_delete(mp_, q), 0);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(1), Pat(1));
  // And eviction does not write it either.
  for (pgno_t pg = 0; pg < 4; pg++) Touch(pg);
  EXPECT_EQ(FilePage(1), Pat(1));
}

// The page number stays allocated: a get reads the file's bytes again.
TEST_F(MpoolTest, DeletedPageCanBeGotAgain) {
  MakePages(4);
  Open();
  Filter();
  void *p = Get(3);
  ASSERT_NE(p, nullptr);
  memset(p, 0x77, kPs);
  EXPECT_EQ(mpool_delete(mp_, p), 0);
  const int before = Flt().InCount(3);
  void *q = Get(3);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(Mem(q), Pat(3));
  EXPECT_EQ(Flt().InCount(3), before + 1);
  Put(q);
  EXPECT_NULL_ERRNO(mpool_get(mp_, 4, 0), EINVAL);
}

// FreeBSD: "the page must have been made by mpool_new()": a new page can
// be deleted; its number stays allocated (NEXT does not hand it out again)
// and reads as zero bytes.
TEST_F(MpoolTest, DeleteNewPage) {
  Open();
  pgno_t a = 0, b = 0;
  void *pa = New(&a);
  void *pb = New(&b);
  ASSERT_TRUE(pa && pb);
  ASSERT_EQ(a, 0u);
  ASSERT_EQ(b, 1u);
  FillPattern(pb, kPs, 1, 27);
  EXPECT_EQ(mpool_delete(mp_, pb), 0);
  Put(pa);
  pgno_t c = 0;
  void *pc = New(&c);
  ASSERT_NE(pc, nullptr);
  EXPECT_EQ(c, 2u);
  Put(pc);
  void *again = Get(1);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(AllZero(again, kPs));
  Put(again);
}

// Not pinned: -1/EINVAL.
TEST_F(MpoolTest, DeleteUnpinnedPageFailsEinval) {
  MakePages(3);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  Put(p);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, p), EINVAL);
  void *ip = Get(2, MPOOL_IGNOREPIN);
  ASSERT_NE(ip, nullptr);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, ip), EINVAL);
}

TEST_F(MpoolTest, DeleteForeignPointerFailsEinval) {
  MakePages(2);
  Open();
  void *p = Get(0);
  ASSERT_NE(p, nullptr);
  std::vector<uint8_t> buf(kPs);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, buf.data()), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, static_cast<char *>(p) + 1), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, nullptr), EINVAL);
  Put(p);
}

// Put after delete: -1/EINVAL.
TEST_F(MpoolTest, PutAfterDeleteFailsEinval) {
  MakePages(2);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(mpool_delete(mp_, p), 0);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, 0), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, MPOOL_DIRTY), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, p), EINVAL);
}

// The header: EBUSY if someone else also has the page pinned. A failed
// delete changes nothing: both pins stay.
TEST_F(MpoolTest, DeleteOfPageWithSecondPinFailsEbusy) {
  MakePages(2);
  Open();
  void *a = Get(1);
  void *b = Get(1);
  ASSERT_TRUE(a && b);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, a), EBUSY);
  Put(b);
  EXPECT_EQ(mpool_delete(mp_, a), 0) << "the EBUSY delete dropped its pin";
}

// A failed (EBUSY) delete does not drop the page's dirty mark: the other
// pinner's changes are still written.
TEST_F(MpoolTest, DeleteFailedWithEbusyKeepsDirtyMark) {
  MakePages(2);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 1, 28);
  Put(p, MPOOL_DIRTY);
  void *a = Get(1);
  void *b = Get(1);
  ASSERT_TRUE(a && b);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, a), EBUSY);
  Put(b);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(1), Pat(1, 28)) << "the dirty change was lost";
}

// ======================================================================
// mpool_filter
// ======================================================================

// "pgin ... is called each time a buffer is read into the memory pool from
// the backing file", with the cookie, the page number and the page; its
// changes are what mpool_get returns.
TEST_F(MpoolTest, FilterPginRunsAfterEveryRead) {
  MakePages(6);
  Open(2);
  Filter(/*xor_in=*/true);
  for (pgno_t pg = 0; pg < 6; pg++) {
    void *p = Get(pg);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(Mem(p), XorA5(Pat(pg)));
    EXPECT_GE(Flt().InCount(pg), 1);
    Put(p);
  }
  // Read again after eviction: pgin again, from the file's bytes.
  const int before = Flt().InCount(0);
  void *p = Get(0);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Mem(p), XorA5(Pat(0)));
  EXPECT_EQ(Flt().InCount(0), before + 1);
  {
    std::lock_guard<std::mutex> g(Flt().mu);
    ASSERT_FALSE(Flt().in_addrs.empty());
    EXPECT_EQ(Flt().in_addrs.back(), p);
  }
  Put(p);
  EXPECT_EQ(Flt().bad_cookie.load(), 0);
}

// A page got again while it is cached is not read (nor filtered) again.
TEST_F(MpoolTest, FilterPginNotRerunOnCacheHit) {
  MakePages(2);
  Open(8);
  Filter(true);
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  void *q = Get(1);
  EXPECT_EQ(p, q);
  EXPECT_EQ(Flt().InCount(1), 1);
  EXPECT_EQ(Mem(q), XorA5(Pat(1)));
  Put(p);
  Put(q);
}

// New pages are not read: no pgin.
TEST_F(MpoolTest, FilterPginNotCalledForNewPages) {
  Open(4);
  Filter(true);
  for (int i = 0; i < 3; i++) {
    pgno_t pg;
    void *p = New(&pg);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(AllZero(p, kPs));
    Put(p);
  }
  pgno_t req = 5;
  void *r = New(&req, MPOOL_PAGE_REQUEST);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(AllZero(r, kPs));
  Put(r);
  EXPECT_EQ(Flt().pgin.load(), 0);
}

// "pgout ... is called each time a buffer is written into the backing
// file", before the write, with the cookie and the page number.
TEST_F(MpoolTest, FilterPgoutRunsBeforeEveryWrite) {
  MakePages(8);
  Open(2);
  Filter();
  void *p = Get(0);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 0, 30);
  Put(p, MPOOL_DIRTY);
  for (pgno_t pg = 1; pg < 8; pg++) Touch(pg);  // evicts page 0
  EXPECT_EQ(Flt().OutCount(0), 1);
  void *q = Get(5);
  ASSERT_NE(q, nullptr);
  FillPattern(q, kPs, 5, 31);
  Put(q, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(Flt().OutCount(5), 1);
  EXPECT_EQ(Flt().pgout.load(), 2);
  {
    std::lock_guard<std::mutex> g(Flt().mu);
    ASSERT_EQ(Flt().out_bytes.size(), 2u);
    EXPECT_EQ(Flt().out_bytes[0], Pat(0, 30));
    EXPECT_EQ(Flt().out_bytes[1], Pat(5, 31));
  }
  EXPECT_EQ(Flt().bad_cookie.load(), 0);
}

// The cookie passed is exactly the one given; a second mpool_filter
// replaces the first.
TEST_F(MpoolTest, FilterCookieIsPassedExactly) {
  MakePages(3);
  Open(8);
  int other_cookie = 0;
  Flt().cookie = &other_cookie;
  mpool_filter(mp_, FltIn, FltOut, &other_cookie);
  void *p = Get(0);
  ASSERT_NE(p, nullptr);
  Put(p, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(Flt().pgin.load(), 1);
  EXPECT_EQ(Flt().pgout.load(), 1);
  EXPECT_EQ(Flt().bad_cookie.load(), 0);
  Flt().cookie = &cookie_;
  mpool_filter(mp_, FltIn, FltOut, &cookie_);
  void *q = Get(1);
  ASSERT_NE(q, nullptr);
  Put(q, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(Flt().pgin.load(), 2);
  EXPECT_EQ(Flt().pgout.load(), 2);
  EXPECT_EQ(Flt().bad_cookie.load(), 0);
}

// NULL functions are allowed: no filtering.
TEST_F(MpoolTest, FilterNullFunctionsMeanNoFilter) {
  MakePages(2);
  Open();
  mpool_filter(mp_, nullptr, nullptr, nullptr);
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Mem(p), Pat(1));
  FillPattern(p, kPs, 1, 32);
  Put(p, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(1), Pat(1, 32));
  // pgin only.
  Flt().cookie = nullptr;
  mpool_filter(mp_, FltIn, nullptr, nullptr);
  void *q = Get(1);
  ASSERT_NE(q, nullptr);
  FillPattern(q, kPs, 1, 33);
  Put(q, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(1), Pat(1, 33));
  EXPECT_EQ(Flt().bad_cookie.load(), 0);
}

// A pgout that transforms the page in place: the file gets the transformed
// bytes, the cached page keeps its in-memory form (the pool wrote a copy),
// and a matching pgin reads the original back.
TEST_F(MpoolTest, FilterPgoutTransformsACopy) {
  MakePages(4);
  Open(8);
  Filter(/*xor_in=*/false, /*xor_out=*/true);
  // A pinned page across the sync: it cannot have been read back.
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 1, 34);
  Put(p, MPOOL_DIRTY);
  void *pinned = Get(1);
  ASSERT_EQ(pinned, p);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(Mem(pinned), Pat(1, 34));
  EXPECT_EQ(FilePage(1), XorA5(Pat(1, 34)));
  Put(pinned);
  // An unpinned page: with the matching pgin on, whether it stayed cached
  // or was read again, it reads as the original.
  Flt().xor_in = true;
  void *q = Get(2);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(Mem(q), XorA5(Pat(2)));  // read through the XOR pgin
  FillPattern(q, kPs, 2, 35);
  Put(q, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  void *q2 = Get(2);
  ASSERT_NE(q2, nullptr);
  EXPECT_EQ(Mem(q2), Pat(2, 35));
  Put(q2);
  EXPECT_EQ(FilePage(2), XorA5(Pat(2, 35)));
  CloseMp();
  // Reopen with the matching pgin: the originals.
  Open(8);
  Filter(/*xor_in=*/true, /*xor_out=*/true);
  void *r1 = Get(1);
  void *r2 = Get(2);
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(Mem(r1), Pat(1, 34));
  EXPECT_EQ(Mem(r2), Pat(2, 35));
  Put(r1);
  Put(r2);
  EXPECT_EQ(Flt().bad_cookie.load(), 0);
}

// The same through eviction: the evicted page's file bytes are transformed
// and it reads back right.
TEST_F(MpoolTest, FilterPgoutAtEvictionAndPginBack) {
  MakePages(8);
  Open(2);
  Filter(/*xor_in=*/true, /*xor_out=*/true);
  // With xor_in on, the pool's view of every existing page is XOR(file).
  void *p = Get(0);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 0, 36);
  Put(p, MPOOL_DIRTY);
  for (pgno_t pg = 1; pg < 8; pg++) Touch(pg);
  EXPECT_EQ(FilePage(0), XorA5(Pat(0, 36)));
  void *q = Get(0);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(Mem(q), Pat(0, 36));
  Put(q);
}

// ======================================================================
// Threads: one MPOOL used by several threads at once.
// ======================================================================

void WriteVersioned(void *page, size_t ps, pgno_t pgno, uint32_t version) {
  PutU32(page, 0, pgno);
  PutU32(page, 4, version);
  uint8_t *b = static_cast<uint8_t *>(page);
  for (size_t i = 8; i < ps; i++)
    b[i] = static_cast<uint8_t>(pgno * 31u + version * 7u + i);
}

bool CheckVersioned(const void *page, size_t ps, pgno_t pgno,
                    uint32_t version) {
  if (GetU32(page, 0) != pgno || GetU32(page, 4) != version) return false;
  const uint8_t *b = static_cast<const uint8_t *>(page);
  for (size_t i = 8; i < ps; i++)
    if (b[i] != static_cast<uint8_t>(pgno * 31u + version * 7u + i))
      return false;
  return true;
}

// Disjoint pages per thread, more pages than maxcache.
TEST_F(MpoolTest, ThreadsOnDisjointPages) {
  constexpr pgno_t kN = 64, kPsT = 1024;
  constexpr int kThreads = 4, kRounds = 15;
  {
    std::vector<uint8_t> all(kN * kPsT);
    for (pgno_t pg = 0; pg < kN; pg++)
      WriteVersioned(&all[pg * kPsT], kPsT, pg, 0);
    ASSERT_TRUE(WriteAll(path_, all.data(), all.size()));
  }
  Open(8, kPsT);
  std::atomic<int> errors{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++)
    ts.emplace_back([&, t] {
      for (int r = 0; r < kRounds; r++)
        for (pgno_t pg = static_cast<pgno_t>(t); pg < kN; pg += kThreads) {
          void *p = mpool_get(mp_, pg, 0);
          if (p == nullptr) {
            errors++;
            continue;
          }
          if (!CheckVersioned(p, kPsT, pg, static_cast<uint32_t>(r))) errors++;
          WriteVersioned(p, kPsT, pg, static_cast<uint32_t>(r + 1));
          if (mpool_put(mp_, p, MPOOL_DIRTY) != 0) errors++;
        }
    });
  for (auto &th : ts) th.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(mpool_sync(mp_), 0);
  CloseMp();
  for (pgno_t pg = 0; pg < kN; pg++) {
    std::vector<uint8_t> v = ReadPage(path_, pg, kPsT);
    ASSERT_EQ(v.size(), kPsT);
    EXPECT_TRUE(CheckVersioned(v.data(), kPsT, pg, kRounds)) << "page " << pg;
  }
}

// Shared pages, each guarded by a std::mutex around content access:
// counters in every page add up.
TEST_F(MpoolTest, ThreadsOnSharedPagesWithMutex) {
  constexpr pgno_t kN = 24, kPsT = 512;
  constexpr int kThreads = 4, kOps = 600;
  {
    std::vector<uint8_t> all(kN * kPsT, 0);
    for (pgno_t pg = 0; pg < kN; pg++) PutU32(&all[pg * kPsT], 0, pg);
    ASSERT_TRUE(WriteAll(path_, all.data(), all.size()));
  }
  Open(4, kPsT);
  std::vector<std::mutex> mu(kN);
  std::atomic<int> errors{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++)
    ts.emplace_back([&, t] {
      uint32_t x = 0x9E3779B9u * static_cast<uint32_t>(t + 1);
      for (int i = 0; i < kOps; i++) {
        x = x * 1664525u + 1013904223u;
        const pgno_t pg = (x >> 8) % kN;
        std::lock_guard<std::mutex> g(mu[pg]);
        void *p = mpool_get(mp_, pg, 0);
        if (p == nullptr) {
          errors++;
          continue;
        }
        if (GetU32(p, 0) != pg) errors++;
        PutU32(p, 4, GetU32(p, 4) + 1);
        if (mpool_put(mp_, p, MPOOL_DIRTY) != 0) errors++;
      }
    });
  for (auto &th : ts) th.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(mpool_sync(mp_), 0);
  CloseMp();
  uint64_t total = 0;
  for (pgno_t pg = 0; pg < kN; pg++) {
    std::vector<uint8_t> v = ReadPage(path_, pg, kPsT);
    ASSERT_EQ(v.size(), kPsT);
    EXPECT_EQ(GetU32(v.data(), 0), pg);
    total += GetU32(v.data(), 4);
  }
  EXPECT_EQ(total, static_cast<uint64_t>(kThreads) * kOps);
}

// Several threads each holding many pages pinned at the same time, far
// past maxcache; every page keeps its content until put.
TEST_F(MpoolTest, ThreadsPinManyPagesPastMaxcache) {
  constexpr pgno_t kN = 96, kPsT = 512;
  constexpr int kThreads = 4, kEach = 24, kRounds = 5;
  {
    std::vector<uint8_t> all(kN * kPsT);
    for (pgno_t pg = 0; pg < kN; pg++)
      WriteVersioned(&all[pg * kPsT], kPsT, pg, 0);
    ASSERT_TRUE(WriteAll(path_, all.data(), all.size()));
  }
  Open(5, kPsT);
  std::atomic<int> errors{0};
  std::atomic<int> arrived{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++)
    ts.emplace_back([&, t] {
      for (int r = 0; r < kRounds; r++) {
        std::vector<void *> pins;
        for (int i = 0; i < kEach; i++) {
          const pgno_t pg = static_cast<pgno_t>(t * kEach + i);
          void *p = mpool_get(mp_, pg, 0);
          if (p == nullptr) {
            errors++;
            break;
          }
          pins.push_back(p);
        }
        // Everybody holds its pins at once (about 96 pages, maxcache 5).
        arrived++;
        while (arrived.load() < kThreads * (r + 1) && errors.load() == 0)
          std::this_thread::yield();
        for (size_t i = 0; i < pins.size(); i++) {
          const pgno_t pg = static_cast<pgno_t>(t * kEach + i);
          if (!CheckVersioned(pins[i], kPsT, pg, static_cast<uint32_t>(r)))
            errors++;
          WriteVersioned(pins[i], kPsT, pg, static_cast<uint32_t>(r + 1));
          if (mpool_put(mp_, pins[i], MPOOL_DIRTY) != 0) errors++;
        }
      }
    });
  for (auto &th : ts) th.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(mpool_sync(mp_), 0);
  CloseMp();
  for (pgno_t pg = 0; pg < kN; pg++) {
    std::vector<uint8_t> v = ReadPage(path_, pg, kPsT);
    ASSERT_EQ(v.size(), kPsT);
    EXPECT_TRUE(CheckVersioned(v.data(), kPsT, pg, kRounds)) << "page " << pg;
  }
}

// Concurrent mpool_new(NEXT): every thread gets distinct page numbers, and
// together they are 0 .. N-1.
TEST_F(MpoolTest, ThreadsNewPagesGetDistinctNumbers) {
  constexpr int kThreads = 4, kEach = 40;
  Open(8, 512);
  std::vector<std::vector<pgno_t>> got(kThreads);
  std::atomic<int> errors{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++)
    ts.emplace_back([&, t] {
      for (int i = 0; i < kEach; i++) {
        pgno_t pg = 0;
        void *p = mpool_new(mp_, &pg, MPOOL_PAGE_NEXT);
        if (p == nullptr || !AllZero(p, 512)) {
          errors++;
          continue;
        }
        PutU32(p, 0, pg);
        got[t].push_back(pg);
        if (mpool_put(mp_, p, MPOOL_DIRTY) != 0) errors++;
      }
    });
  for (auto &th : ts) th.join();
  EXPECT_EQ(errors.load(), 0);
  std::set<pgno_t> all;
  for (auto &v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  if (!all.empty()) {
    EXPECT_EQ(*all.begin(), 0u);
    EXPECT_EQ(*all.rbegin(), static_cast<pgno_t>(kThreads * kEach - 1));
  }
  ASSERT_EQ(mpool_sync(mp_), 0);
  CloseMp();
  for (pgno_t pg : all) EXPECT_EQ(GetU32(FilePage(pg).data(), 0), pg);
}

}  // namespace
}  // namespace lfmtest
