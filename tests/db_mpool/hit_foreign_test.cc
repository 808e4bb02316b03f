// memp_fput / memp_fset from a thread other than the one that took the
// pin (pins are fungible: docs/protocol.md rule 10), and DIRTY puts of
// first-use and cache-held pins, on read-only files too. The fixture and
// what the cases rely on: hit_fixture.h.
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/hit_fixture.h"
#include "tests/common/test_util.h"
#include "testpoint.h"

namespace lfmtest {
namespace {

// ================================================================ foreign

// Thread A (this one) took the pin(s); thread B (a std::thread, joined
// before anything else happens) modifies the page and puts one pin with
// DIRTY. Returns B's put result.
int ForeignDirtyPut(DB_MPOOLFILE *mpf, void *page, uint32_t mark) {
  int rc = -12345;
  std::thread b([&] {
    PutU32(page, 0, mark);
    rc = memp_fput(mpf, page, DB_MPOOL_DIRTY);
  });
  b.join();
  return rc;
}

TEST_F(HitTest, ForeignDirtyPutOfFirstUsePin) {
  MakeResidentElsewhere(kPages);
  void *page = Get(4);  // first use by this thread: a direct pin
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(ForeignDirtyPut(mpf_, page, 0xB0B00004u), 0);
  EXPECT_EQ(memp_fsync(mpf_), 0);  // unpinned: written
  EXPECT_EQ(ReadPage(Path(), 4, kPage), Marked(4, 0xB0B00004u));
  EXPECT_EQ(memp_fput(mpf_, page, 0), EINVAL);  // A's pin went with B's put
}

TEST_F(HitTest, ForeignDirtyPutOfCacheHeldPin) {
  Warm(4);
  void *page = Get(4);  // through this thread's cache entry
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(ForeignDirtyPut(mpf_, page, 0xB0B10004u), 0);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), 4, kPage), Marked(4, 0xB0B10004u));
  EXPECT_EQ(memp_fput(mpf_, page, 0), EINVAL);
  // This thread's cache still works for the page.
  void *again = Get(4);
  EXPECT_EQ(again, page);
  EXPECT_EQ(Bytes(again, kPage), Marked(4, 0xB0B10004u));
  EXPECT_EQ(memp_fput(mpf_, again, 0), 0);
  EXPECT_EQ(memp_fput(mpf_, again, 0), EINVAL);
}

// B's memp_fset of a page A holds through its cache: B holds no pin, but
// the page is pinned (pins are fungible), so the flags apply; once A has
// put it, B's fset is EINVAL and changes nothing.
TEST_F(HitTest, ForeignFsetOfCacheHeldPinThenOfUnpinnedPage) {
  Warm(5);
  void *page = Get(5);  // through this thread's cache entry
  ASSERT_NE(page, nullptr);
  int rc = -1;
  std::thread b([&] {
    PutU32(page, 0, 0xB0B40005u);
    rc = memp_fset(mpf_, page, DB_MPOOL_DIRTY);
  });
  b.join();
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE);  // dirty and pinned
  EXPECT_EQ(memp_fput(mpf_, page, 0), 0);
  std::thread c([&] { rc = memp_fset(mpf_, page, DB_MPOOL_CLEAN); });
  c.join();
  EXPECT_EQ(rc, EINVAL);
  EXPECT_EQ(memp_fsync(mpf_), 0);  // the change was not dropped
  EXPECT_EQ(ReadPage(Path(), 5, kPage), Marked(5, 0xB0B40005u));
}

// A holds two pins through its cache; B puts one: one is left (DB_INCOMPLETE
// on the now dirty page) until A puts it.
TEST_F(HitTest, ForeignPutOfOneOfTwoCachedPinsLeavesOne) {
  Warm(6);
  void *page = Get(6);
  ASSERT_EQ(Get(6), page);
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(ForeignDirtyPut(mpf_, page, 0xB0B20006u), 0);
  EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE);
  EXPECT_EQ(ReadPage(Path(), 6, kPage), PatternPage(6, kPage));
  EXPECT_EQ(memp_fput(mpf_, page, 0), 0);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), 6, kPage), Marked(6, 0xB0B20006u));
  EXPECT_EQ(memp_fput(mpf_, page, 0), EINVAL);
}

// A holds a direct pin and a cached pin of the page; B puts both (the first
// with DIRTY), and a third put from B is EINVAL, as is A's.
TEST_F(HitTest, ForeignPutsOfDirectAndCachedPins) {
  MakeResidentElsewhere(kPages);
  void *page = Get(8);  // direct
  ASSERT_NE(page, nullptr);
  ASSERT_EQ(Get(8), page);  // the ghost's second use: a cache entry
  int rc[3] = {-1, -1, -1};
  std::thread b([&] {
    PutU32(page, 0, 0xB0B30008u);
    rc[0] = memp_fput(mpf_, page, DB_MPOOL_DIRTY);
    rc[1] = memp_fput(mpf_, page, 0);
    rc[2] = memp_fput(mpf_, page, 0);
  });
  b.join();
  EXPECT_EQ(rc[0], 0);
  EXPECT_EQ(rc[1], 0);
  EXPECT_EQ(rc[2], EINVAL);
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), 8, kPage), Marked(8, 0xB0B30008u));
  EXPECT_EQ(memp_fput(mpf_, page, 0), EINVAL);
}

// Two live threads each hold one pin of the page through their own cache.
// B puts twice (its own pin, then A's): both succeed; then A's put is
// EINVAL, since the page had two pins in all.
TEST_F(HitTest, PinsCachedByTwoThreadsAreOneCount) {
  Runner a, b;
  void *pa = nullptr, *pb = nullptr;
  a.Do([&] {
    Warm(10);
    pa = Get(10);
  });
  b.Do([&] {
    Warm(10);
    pb = Get(10);
  });
  ASSERT_NE(pa, nullptr);
  ASSERT_EQ(pa, pb);
  b.Do([&] {
    PutU32(pb, 0, 0xB0B4000Au);
    EXPECT_EQ(memp_fput(mpf_, pb, DB_MPOOL_DIRTY), 0);
    EXPECT_EQ(memp_fsync(mpf_), DB_INCOMPLETE);  // a's pin
    EXPECT_EQ(memp_fput(mpf_, pb, 0), 0);        // a's pin, from b
    EXPECT_EQ(memp_fsync(mpf_), 0);
  });
  EXPECT_EQ(ReadPage(Path(), 10, kPage), Marked(10, 0xB0B4000Au));
  a.Do([&] { EXPECT_EQ(memp_fput(mpf_, pa, 0), EINVAL); });
  b.Do([&] { EXPECT_EQ(memp_fput(mpf_, pb, 0), EINVAL); });
}

// ================================================================ DIRTY

// 50 resident pages pinned at once by this thread (4 through its cache,
// the others first uses: direct pins), a byte changed in each, each put
// DIRTY: memp_fsync writes every change; the other pages are untouched.
TEST_F(HitTest, DirtyPutsOfFirstUseAndCachedPagesAreWritten) {
  constexpr db_pgno_t kN = 50;
  MakeResidentElsewhere(kPages);
  for (db_pgno_t p = 0; p < 4; p++) Warm(p);
  std::vector<void *> pages;
  for (db_pgno_t p = 0; p < kN; p++) {
    void *page = Get(p);
    ASSERT_NE(page, nullptr);
    ASSERT_EQ(Bytes(page, kPage), PatternPage(p, kPage));
    pages.push_back(page);
  }
  for (db_pgno_t p = 0; p < kN; p++) PutU32(pages[p], 0, 0xD1D10000u + p);
  for (db_pgno_t p = 0; p < kN; p++)
    EXPECT_EQ(memp_fput(mpf_, pages[p], DB_MPOOL_DIRTY), 0) << "page " << p;
  EXPECT_EQ(memp_fsync(mpf_), 0);
  for (db_pgno_t p = 0; p < kN; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage), Marked(p, 0xD1D10000u + p))
        << "page " << p;
  for (db_pgno_t p = kN; p < kPages; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage), PatternPage(p, kPage))
        << "page " << p;
  for (db_pgno_t p = 0; p < kN; p++)
    EXPECT_EQ(memp_fput(mpf_, pages[p], 0), EINVAL) << "page " << p;
}

// The same with every page held through a thread cache: groups of 4 pages
// (one cache set's worth), each group in a fresh thread that warms them,
// pins each twice through its cache, changes it, and puts DIRTY then plain
// (the plain put must not undo the DIRTY one).
TEST_F(HitTest, DirtyPutsOfCacheHeldPagesAreWritten) {
  constexpr db_pgno_t kN = 50;
  for (db_pgno_t first = 0; first < kN; first += 4) {
    std::thread th([&] {
      db_pgno_t end = std::min<db_pgno_t>(first + 4, kN);
      for (db_pgno_t p = first; p < end; p++) Warm(p);
      for (db_pgno_t p = first; p < end; p++) {
        void *page = Get(p);
        ASSERT_NE(page, nullptr);
        ASSERT_EQ(Get(p), page);
        ASSERT_EQ(Bytes(page, kPage), PatternPage(p, kPage));
        PutU32(page, 0, 0xD2D20000u + p);
        EXPECT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0) << "page " << p;
        EXPECT_EQ(memp_fput(mpf_, page, 0), 0) << "page " << p;
        EXPECT_EQ(memp_fput(mpf_, page, 0), EINVAL) << "page " << p;
      }
    });
    th.join();
  }
  EXPECT_EQ(memp_fsync(mpf_), 0);
  for (db_pgno_t p = 0; p < kN; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage), Marked(p, 0xD2D20000u + p))
        << "page " << p;
  for (db_pgno_t p = kN; p < kPages; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage), PatternPage(p, kPage))
        << "page " << p;
}

// A DIRTY put (and set) of a file opened DB_RDONLY is EACCES and keeps the
// pin: a plain put then succeeds, once per pin. DB_NOMMAP, so the pages go
// through the cache (and the hit path) rather than a mapping.
TEST_F(HitTest, DirtyPutOnReadOnlyFileIsEaccesAndKeepsThePin) {
  DB_MPOOLFILE *ro = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &ro, DB_RDONLY | DB_NOMMAP), 0);
  // A direct pin (first use).
  void *page = Get(ro, 2);
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(2, kPage));
  EXPECT_EQ(memp_fput(ro, page, DB_MPOOL_DIRTY), EACCES);
  EXPECT_EQ(memp_fset(ro, page, DB_MPOOL_DIRTY), EACCES);
  EXPECT_EQ(memp_fput(ro, page, DB_MPOOL_DIRTY), EACCES);
  EXPECT_EQ(memp_fput(ro, page, 0), 0);
  EXPECT_EQ(memp_fput(ro, page, 0), EINVAL);
  // Two pins through the cache entry (page 2 is now a ghost: this get
  // makes the entry, the next one uses it).
  void *c1 = Get(ro, 2);
  void *c2 = Get(ro, 2);
  ASSERT_EQ(c1, page);
  ASSERT_EQ(c2, page);
  EXPECT_EQ(memp_fput(ro, page, DB_MPOOL_DIRTY), EACCES);
  EXPECT_EQ(memp_fput(ro, page, 0), 0);
  EXPECT_EQ(memp_fput(ro, page, DB_MPOOL_DIRTY), EACCES);
  EXPECT_EQ(memp_fput(ro, page, 0), 0);
  EXPECT_EQ(memp_fput(ro, page, 0), EINVAL);
  EXPECT_EQ(memp_fclose(ro), 0);
  // Nothing was dirtied through the read-only handle.
  EXPECT_EQ(memp_fsync(mpf_), 0);
  EXPECT_EQ(ReadPage(Path(), 2, kPage), PatternPage(2, kPage));
  DB_MPOOL_STAT s = Stat(mp_);
  EXPECT_EQ(s.st_page_dirty, 0u);
}

// ======================================================= a scan overtaken

// A thread of its own that runs what it is given, one thing at a time:
// Run returns when the thing has run there.
class Worker {
 public:
  Worker() : th_([this] { Loop(); }) {}
  ~Worker() {
    Run(nullptr);
    th_.join();
  }
  void Run(std::function<void()> fn) {
    std::unique_lock<std::mutex> l(m_);
    job_ = std::move(fn);
    stop_ = !job_;
    pending_ = true;
    cv_.notify_all();
    cv_.wait(l, [this] { return !pending_; });
  }

 private:
  void Loop() {
    for (;;) {
      std::unique_lock<std::mutex> l(m_);
      cv_.wait(l, [this] { return pending_; });
      if (stop_) {
        pending_ = false;
        cv_.notify_all();
        return;
      }
      job_();
      pending_ = false;
      cv_.notify_all();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::function<void()> job_;
  bool pending_ = false, stop_ = false;
  std::thread th_;
};

// What the scan's hook does, once, on the thread that armed it.
thread_local bool scan_armed = false;
std::function<void()> *scan_action = nullptr;

void OnTestPoint(uint32_t at, uint32_t) {
  if (at != LFM_TEST_SCAN_PASSED || !scan_armed) return;
  scan_armed = false;
  (*scan_action)();
}

// Three threads X, A and B, their caches claimed in that order, each with
// an entry for page 7. A takes a pin and hands it to B. B's put finds no
// pin in its own entry or DIRECT and looks through the threads' entries;
// just after it has read X's (no pin there yet), X takes a pin and hands
// it to A, and A puts it: A's put takes the pin in A's own entry, the one
// B owes. B then finds no pin in A's entry nor anywhere after, though
// there was one at every instant (X's, now). Pins are fungible (rule 10),
// so B's put must look again and take X's pin. Before it did, B's put
// was EINVAL and X's pin stayed for good.
TEST_F(HitTest, AForeignPutOvertakenByOtherThreadsStillFindsAPin) {
  const db_pgno_t kPg = 7;
  Worker x, a, b;
  x.Run([&] { Warm(kPg); });
  a.Run([&] { Warm(kPg); });
  b.Run([&] { Warm(kPg); });
  void *from_a = nullptr;
  a.Run([&] { from_a = Get(kPg); });
  ASSERT_NE(from_a, nullptr);

  int a_put = -1;
  bool fired = false;
  std::function<void()> overtake = [&] {
    fired = true;
    void *from_x = nullptr;
    x.Run([&] { from_x = Get(kPg); });
    a.Run([&] { a_put = memp_fput(mpf_, from_x, 0); });
  };
  scan_action = &overtake;
  lfm__test_hook_set(OnTestPoint);
  int b_put = -1;
  b.Run([&] {
    scan_armed = true;
    b_put = memp_fput(mpf_, from_a, 0);
    scan_armed = false;
  });
  lfm__test_hook_set(nullptr);
  scan_action = nullptr;

  EXPECT_TRUE(fired) << "the scan never passed an entry naming the frame";
  EXPECT_EQ(a_put, 0);
  EXPECT_EQ(b_put, 0) << "the put found no pin although one was there";
  // Both pins taken were put: none is left, so every frame pins at once
  // (the frames of a 64-frame pool over 60 pages plus the spare ones).
  MakeFile(Path() + ".more", kPool / kPage, kPage);
  DB_MPOOLFILE *more = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path() + ".more", kPage, &more), 0);
  std::vector<void *> held;
  for (db_pgno_t p = 0; p < kPool / kPage; p++) {
    db_pgno_t pg = p;
    void *page = nullptr;
    int rc = memp_fget(more, &pg, 0, &page);
    EXPECT_EQ(rc, 0) << "frame " << p << ": a pin was left";
    if (rc != 0) break;
    held.push_back(page);
  }
  for (void *page : held) EXPECT_EQ(memp_fput(more, page, 0), 0);
  EXPECT_EQ(memp_fclose(more), 0);
}

}  // namespace
}  // namespace lfmtest
