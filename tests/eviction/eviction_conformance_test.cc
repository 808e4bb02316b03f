// Eviction conformance: what any replacement policy behind db_mpool(3) must
// guarantee, whatever page it picks. Public API only (db_mpool.h): a private
// pool small enough that every test evicts, real files in $TEST_TMPDIR, and
// pgin/pgout hooks (memp_register) that log each read and write in order.
//
//   - a pinned page is never evicted: its address and bytes stay while other
//     pages cycle through the pool (one thread, and several);
//   - ENOMEM only when every frame is pinned: the pins that fit equal the
//     frames memp_stat reports (st_cachesize / pagesize), and one put makes
//     room for a new page;
//   - a page put with DB_MPOOL_DISCARD is the next page replaced ("should be
//     discarded before other pages in the pool", memp_fput);
//   - a dirty victim is written (pgout once, the file holds its bytes)
//     before its frame is reused for the page that replaces it;
//   - one read per missing page, however many threads miss it at once.
//
// The suite runs once per replacement policy the library has (CLOCK, and
// FIFO, the minimal one), each chosen through the engine's test hook
// (policy_select.h) for the pools the test opens; a last test shows the
// pool does use the policy chosen, by a choice only it makes.
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "policy_select.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

constexpr int kFtype = 7;  // files opened with it go through the hooks below

// One pgin or pgout, in the order the hooks saw them.
struct Io {
  bool out;
  db_pgno_t pgno;
  bool operator==(const Io &o) const { return out == o.out && pgno == o.pgno; }
};

// What the hooks record. Hooks may run on any thread: everything behind m.
struct IoLog {
  std::mutex m;
  std::vector<Io> ios;
  std::map<db_pgno_t, int> reads;  // pgin calls per page
  // The dirty-victim test: the file (pread by pgin) and, per page read,
  // the bytes the file held for the last page written when the read began.
  std::string path;
  std::map<db_pgno_t, std::vector<uint8_t>> disk_at_read;
  // The concurrent-miss test: pgin waits until this many callers have
  // entered memp_fget, so they all ask while the read is in progress.
  std::atomic<int> entered{0};
  int wait_for = 0;
};

IoLog &Log() {
  static IoLog *log = new IoLog;
  return *log;
}

void ResetLog(const std::string &path = "") {
  IoLog &l = Log();
  std::lock_guard<std::mutex> g(l.m);
  l.ios.clear();
  l.reads.clear();
  l.path = path;
  l.disk_at_read.clear();
  l.entered.store(0);
  l.wait_for = 0;
}

int LogPgin(db_pgno_t pgno, void *, DBT *) {
  IoLog &l = Log();
  int wait_for;
  {
    std::lock_guard<std::mutex> g(l.m);
    wait_for = l.wait_for;
  }
  // Not a timed wait: every caller counts itself in before its fget, so
  // this ends however the pool serializes them.
  while (l.entered.load() < wait_for) std::this_thread::yield();
  std::lock_guard<std::mutex> g(l.m);
  if (!l.path.empty() && !l.ios.empty() && l.ios.back().out) {
    const db_pgno_t written = l.ios.back().pgno;
    l.disk_at_read[pgno] = ReadPage(l.path, written, kPage);
  }
  l.ios.push_back(Io{false, pgno});
  l.reads[pgno]++;
  return 0;
}

int LogPgout(db_pgno_t pgno, void *, DBT *) {
  IoLog &l = Log();
  std::lock_guard<std::mutex> g(l.m);
  l.ios.push_back(Io{true, pgno});
  return 0;
}

std::vector<Io> Ios() {
  std::lock_guard<std::mutex> g(Log().m);
  return Log().ios;
}

int ReadsOf(db_pgno_t pgno) {
  std::lock_guard<std::mutex> g(Log().m);
  auto it = Log().reads.find(pgno);
  return it == Log().reads.end() ? 0 : it->second;
}

// A private pool of `size` bytes, flushers stopped (only eviction and
// memp_fsync write), f.db of `pages` pattern pages open through the hooks;
// its replacement policy is the parameter (an index of policy_select.h).
class Eviction : public PoolTest,
                 public ::testing::WithParamInterface<unsigned> {
 protected:
  void SetUp() override {
    PoolTest::SetUp();
    ASSERT_EQ(lfm__policy_select(GetParam()), 0);
  }
  void OpenAll(size_t size, db_pgno_t pages, int flags = 0,
               size_t pagesize = kPage) {
    pagesize_ = pagesize;
    ResetLog();
    MakeFile(Path(), pages, pagesize);
    Open(size, flags);
    StopFlushers(mp_);
    ASSERT_EQ(memp_register(mp_, kFtype, LogPgin, LogPgout), 0);
    ASSERT_EQ(OpenFile(mp_, Path(), pagesize, &mpf_, 0, kFtype), 0);
  }
  void TearDown() override {
    if (mpf_ != nullptr) {
      EXPECT_EQ(memp_fclose(mpf_), 0);
    }
    mpf_ = nullptr;
    PoolTest::TearDown();
    ResetLog();
    EXPECT_EQ(lfm__policy_select(0), 0);  // the library's default again
  }
  // memp_fget(pgno, 0), checking the page's bytes against the file's.
  void *Get(db_pgno_t pgno) {
    db_pgno_t pg = pgno;
    void *page = nullptr;
    int rc = memp_fget(mpf_, &pg, 0, &page);
    EXPECT_EQ(rc, 0) << "page " << pgno;
    if (rc != 0) return nullptr;
    EXPECT_EQ(Bytes(page, pagesize_), PatternPage(pgno, pagesize_))
        << "page " << pgno;
    return page;
  }
  void GetPut(db_pgno_t pgno) {
    void *page = Get(pgno);
    ASSERT_NE(page, nullptr);
    ASSERT_EQ(memp_fput(mpf_, page, 0), 0);
  }
  // The frames the pool has for pages of this file, as memp_stat reports.
  size_t Frames() const { return Stat(mp_).st_cachesize / pagesize_; }

  DB_MPOOLFILE *mpf_ = nullptr;
  size_t pagesize_ = kPage;
};

// ====================================================== a pinned page stays

// One page pinned and changed in memory; 200 others cycle through the rest
// of the pool. The page keeps its address and its bytes, and getting it
// again reads nothing.
TEST_P(Eviction, PinnedPageIsNeverEvicted) {
  constexpr db_pgno_t kPages = 201;
  OpenAll(kSmallPool, kPages);
  void *pinned = Get(0);
  ASSERT_NE(pinned, nullptr);
  FillPattern(pinned, kPage, 0, 11);  // only in the frame
  const std::vector<uint8_t> mine = PatternPage(0, kPage, 11);
  for (db_pgno_t p = 1; p < kPages; p++) {
    GetPut(p);
    ASSERT_EQ(Bytes(pinned, kPage), mine) << "after page " << p;
  }
  EXPECT_GE(Stat(mp_).st_ro_evict, kPages - Frames());  // the pool cycled
  db_pgno_t pg = 0;
  void *again = nullptr;
  ASSERT_EQ(memp_fget(mpf_, &pg, 0, &again), 0);
  EXPECT_EQ(again, pinned);
  EXPECT_EQ(Bytes(again, kPage), mine);
  EXPECT_EQ(ReadsOf(0), 1);
  EXPECT_EQ(memp_fput(mpf_, again, 0), 0);
  EXPECT_EQ(memp_fput(mpf_, pinned, 0), 0);
}

// The same with DB_THREAD: the test thread pins two pages, two threads
// stream other pages through the remaining frames meanwhile.
TEST_P(Eviction, PagesPinnedByOneThreadSurviveOtherThreadsMisses) {
  constexpr db_pgno_t kStream = 150;  // pages 2 .. 2 + 2 * kStream
  OpenAll(kSmallPool * 2, 2 + 2 * kStream, DB_THREAD);
  void *a = Get(0), *b = Get(1);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  FillPattern(a, kPage, 0, 21);
  FillPattern(b, kPage, 1, 22);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (db_pgno_t t = 0; t < 2; t++) {
    threads.emplace_back([&, t] {
      for (db_pgno_t i = 0; i < kStream; i++) {
        db_pgno_t pg = 2 + t * kStream + i;
        const db_pgno_t want = pg;
        void *page = nullptr;
        if (memp_fget(mpf_, &pg, 0, &page) != 0 ||
            Bytes(page, kPage) != PatternPage(want, kPage) ||
            memp_fput(mpf_, page, 0) != 0)
          errors++;
      }
    });
  }
  for (auto &th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(Bytes(a, kPage), PatternPage(0, kPage, 21));
  EXPECT_EQ(Bytes(b, kPage), PatternPage(1, kPage, 22));
  EXPECT_GE(Stat(mp_).st_ro_evict, 2 * kStream - Frames());
  for (db_pgno_t p : {0u, 1u}) {
    db_pgno_t pg = p;
    void *again = nullptr;
    ASSERT_EQ(memp_fget(mpf_, &pg, 0, &again), 0);
    EXPECT_EQ(again, p == 0 ? a : b);
    EXPECT_EQ(ReadsOf(p), 1) << "page " << p;
    EXPECT_EQ(memp_fput(mpf_, again, 0), 0);
  }
  EXPECT_EQ(memp_fput(mpf_, a, 0), 0);
  EXPECT_EQ(memp_fput(mpf_, b, 0), 0);
}

// ================================================ ENOMEM: every frame pinned

// Pages are pinned one after another (in a pool already full of unpinned
// pages) until memp_fget fails: it fails with ENOMEM, and only once as many
// pages are pinned as the pool has frames. After one put, a page never
// seen before can be read.
TEST_P(Eviction, EnomemOnlyWhenEveryFrameIsPinned) {
  struct Case {
    size_t size, pagesize;
  };
  for (Case c : {Case{kSmallPool, kPage}, Case{64 * 1024, 8192},
                 Case{kSmallPool, 1024}}) {
    SCOPED_TRACE(std::to_string(c.size) + " / " + std::to_string(c.pagesize));
    const db_pgno_t pages = 4 * static_cast<db_pgno_t>(c.size / c.pagesize);
    OpenAll(c.size, pages, 0, c.pagesize);
    const size_t frames = Frames();
    ASSERT_GE(frames, 2u);
    for (db_pgno_t p = 0; p < frames; p++) GetPut(pages - 1 - p);  // full
    std::vector<void *> pins;
    int rc = 0;
    for (db_pgno_t p = 0; p < pages - frames; p++) {
      db_pgno_t pg = p;
      void *page = nullptr;
      rc = memp_fget(mpf_, &pg, 0, &page);
      if (rc != 0) break;
      EXPECT_EQ(Bytes(page, c.pagesize), PatternPage(p, c.pagesize));
      pins.push_back(page);
    }
    EXPECT_EQ(rc, ENOMEM);
    EXPECT_EQ(pins.size(), frames);
    EXPECT_EQ(ReadsOf(static_cast<db_pgno_t>(pins.size())), 0);  // not read
    EXPECT_EQ(Stat(mp_).st_pages, pins.size());
    // One pin back: a new page has a frame again (the released page's).
    const size_t released = pins.size() / 2;
    ASSERT_LT(released, pins.size());
    ASSERT_EQ(memp_fput(mpf_, pins[released], 0), 0);
    const db_pgno_t fresh = static_cast<db_pgno_t>(pins.size()) + 1;
    void *page = Get(fresh);
    ASSERT_NE(page, nullptr);
    EXPECT_EQ(ReadsOf(fresh), 1);
    EXPECT_EQ(memp_fput(mpf_, page, 0), 0);
    for (size_t i = 0; i < pins.size(); i++) {
      if (i != released) {
        EXPECT_EQ(memp_fput(mpf_, pins[i], 0), 0);
      }
    }
    ASSERT_EQ(memp_fclose(mpf_), 0);
    mpf_ = nullptr;
    ClosePool();
  }
}

// ===================================================== DISCARD goes first

// The pool holds exactly the pages of a set, each used since it was read,
// none pinned; one of them is put with DB_MPOOL_DISCARD. The next miss
// replaces that page and no other: getting every other page of the set
// reads nothing, getting the discarded one reads it. For each position of
// the discarded page in the set, after the pool has cycled (the CLOCK hand
// anywhere).
TEST_P(Eviction, DiscardedPageIsReplacedFirst) {
  OpenAll(kSmallPool, 100);
  const db_pgno_t frames = static_cast<db_pgno_t>(Frames());
  for (db_pgno_t p = 60; p < 77; p++) GetPut(p);  // cycle the pool
  db_pgno_t next = 0;
  for (db_pgno_t d = 0; d < frames; d++) {
    SCOPED_TRACE("discarded position " + std::to_string(d));
    // Pinning `frames` pages at once makes them the pool's only pages.
    std::vector<db_pgno_t> set;
    std::vector<void *> pins;
    for (db_pgno_t i = 0; i < frames; i++) {
      set.push_back(next);
      pins.push_back(Get(next++));
      ASSERT_NE(pins.back(), nullptr);
    }
    for (db_pgno_t i = 0; i < frames; i++)
      ASSERT_EQ(memp_fput(mpf_, pins[i], i == d ? DB_MPOOL_DISCARD : 0), 0);
    const DB_MPOOL_STAT s0 = Stat(mp_);
    ResetLog();
    const db_pgno_t fresh = next++;
    GetPut(fresh);  // the miss: one read, one eviction
    EXPECT_EQ(Ios(), (std::vector<Io>{{false, fresh}}));
    const DB_MPOOL_STAT s1 = Stat(mp_);
    EXPECT_EQ(s1.st_page_in, s0.st_page_in + 1);
    EXPECT_EQ(s1.st_ro_evict + s1.st_rw_evict,
              s0.st_ro_evict + s0.st_rw_evict + 1);
    for (db_pgno_t i = 0; i < frames; i++) {
      if (i == d) continue;
      GetPut(set[i]);
      EXPECT_EQ(ReadsOf(set[i]), 0) << "page " << set[i] << " was replaced";
    }
    EXPECT_EQ(Stat(mp_).st_page_in, s1.st_page_in);
    GetPut(set[d]);
    EXPECT_EQ(ReadsOf(set[d]), 1) << "the discarded page stayed";
  }
}

// ============================================ dirty victims written first

// Every frame holds a dirty page (changed, put DIRTY); as many new pages
// are read. Each dirty page is written exactly once, by pgout, before the
// read of the page that takes its frame begins (pgin finds the victim's
// new bytes in the file), and the file ends up with every change.
TEST_P(Eviction, DirtyVictimIsWrittenBeforeItsFrameIsReused) {
  OpenAll(kSmallPool, 40);
  const db_pgno_t frames = static_cast<db_pgno_t>(Frames());
  for (db_pgno_t p = 0; p < frames; p++) {
    void *page = Get(p);
    ASSERT_NE(page, nullptr);
    FillPattern(page, kPage, p, 31);
    ASSERT_EQ(memp_fput(mpf_, page, DB_MPOOL_DIRTY), 0);
  }
  for (db_pgno_t p = 0; p < frames; p++)  // nothing written yet
    ASSERT_EQ(ReadPage(Path(), p, kPage), PatternPage(p, kPage)) << p;
  ResetLog(Path());
  const DB_MPOOL_STAT s0 = Stat(mp_);
  for (db_pgno_t p = frames; p < 2 * frames; p++) GetPut(p);
  const std::vector<Io> ios = Ios();
  // out(victim), in(new page), for each new page: a victim's write comes
  // before the read into its frame, and each is written once.
  ASSERT_EQ(ios.size(), 2u * frames);
  std::set<db_pgno_t> written;
  for (db_pgno_t i = 0; i < frames; i++) {
    const Io out = ios[2 * i], in = ios[2 * i + 1];
    EXPECT_TRUE(out.out) << "event " << 2 * i;
    EXPECT_LT(out.pgno, frames);
    EXPECT_TRUE(written.insert(out.pgno).second) << "page " << out.pgno;
    EXPECT_EQ(in, (Io{false, frames + i}));
    std::lock_guard<std::mutex> g(Log().m);
    EXPECT_EQ(Log().disk_at_read[frames + i], PatternPage(out.pgno, kPage, 31))
        << "page " << out.pgno << " not on disk when page " << frames + i
        << " was read into a frame";
  }
  EXPECT_EQ(written.size(), frames);
  const DB_MPOOL_STAT s1 = Stat(mp_);
  EXPECT_EQ(s1.st_rw_evict, s0.st_rw_evict + frames);
  EXPECT_EQ(s1.st_page_out, s0.st_page_out + frames);
  for (db_pgno_t p = 0; p < frames; p++)
    EXPECT_EQ(ReadPage(Path(), p, kPage), PatternPage(p, kPage, 31)) << p;
  // A clean victim is not written: the pages just read go without a pgout.
  ResetLog(Path());
  for (db_pgno_t p = 2 * frames; p < 3 * frames; p++) GetPut(p);
  for (const Io &io : Ios()) EXPECT_FALSE(io.out) << "page " << io.pgno;
}

// ==================================================== one read per miss

// Three threads ask for the same missing page at the same time (the read
// holds until all three have called memp_fget): the page is read once,
// and all three get the same frame with the file's bytes. 40 pages, each
// missed once by all three.
TEST_P(Eviction, ConcurrentMissesOfOnePageReadItOnce) {
  constexpr int kThreads = 3;
  constexpr db_pgno_t kPages = 40;
  OpenAll(64 * 1024, kPages, DB_THREAD);
  ASSERT_LT(Frames(), kPages);  // the later pages evict the earlier
  for (db_pgno_t p = 0; p < kPages; p++) {
    {
      std::lock_guard<std::mutex> g(Log().m);
      Log().entered.store(0);
      Log().wait_for = kThreads;
    }
    const DB_MPOOL_STAT s0 = Stat(mp_);
    std::atomic<int> got{0}, errors{0};
    void *addr[kThreads] = {};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++) {
      threads.emplace_back([&, t] {
        db_pgno_t pg = p;
        void *page = nullptr;
        Log().entered.fetch_add(1);
        if (memp_fget(mpf_, &pg, 0, &page) != 0 ||
            Bytes(page, kPage) != PatternPage(p, kPage)) {
          errors++;
          got++;
          return;
        }
        addr[t] = page;
        // Hold the pin until all have the page: no eviction in between.
        got++;
        while (got.load() < kThreads) std::this_thread::yield();
        if (memp_fput(mpf_, page, 0) != 0) errors++;
      });
    }
    for (auto &th : threads) th.join();
    ASSERT_EQ(errors.load(), 0) << "page " << p;
    EXPECT_EQ(ReadsOf(p), 1) << "page " << p;
    EXPECT_EQ(Stat(mp_).st_page_in, s0.st_page_in + 1) << "page " << p;
    for (int t = 1; t < kThreads; t++) EXPECT_EQ(addr[t], addr[0]);
  }
  std::lock_guard<std::mutex> g(Log().m);
  Log().wait_for = 0;
}

// ================================================ the policy chosen is used

// Pages 0 .. frames-1 fill a fresh pool in order; page 0 is then used again
// and again; the next miss replaces one page. CLOCK keeps the page in use
// and replaces another; FIFO replaces the oldest, page 0, however hot.
TEST_P(Eviction, ThePolicyChosenPicksTheVictim) {
  OpenAll(kSmallPool, 40);
  const db_pgno_t frames = static_cast<db_pgno_t>(Frames());
  for (db_pgno_t p = 0; p < frames; p++) GetPut(p);
  for (int i = 0; i < 8; i++) GetPut(0);
  GetPut(frames);  // the miss
  GetPut(0);
  const std::string policy = lfm__policy_name(GetParam());
  if (policy == "fifo") {
    EXPECT_EQ(ReadsOf(0), 2) << "FIFO kept the oldest page";
  } else {
    ASSERT_EQ(policy, "clock");
    EXPECT_EQ(ReadsOf(0), 1) << "CLOCK replaced the page in use";
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, Eviction,
                         ::testing::Range(0u, lfm__policy_count()),
                         [](const ::testing::TestParamInfo<unsigned> &info) {
                           return std::string(lfm__policy_name(info.param));
                         });

}  // namespace
}  // namespace lfmtest
