// Stress of one pool shared across processes: several processes, each with
// several threads, hammer one pool of 16 frames over more pages than frames,
// with invariant-carrying pages (page_codec.h: id, version, checksum of the
// body), checked on every read against the version the last writer
// recorded. Gets, puts (plain, DIRTY, DISCARD), memp_fset, two pages at
// once, memp_fsync and memp_sync, flushers on in some processes and off in
// others; every process creates-or-joins at the same moment. At the end
// every process syncs; the parent then checks every page on disk and again
// through a fresh pool.
//
// KilledProcess: one more process works on pages of its own and is killed
// with SIGKILL at a seeded point (counted in operations); the others go on,
// finish, and every invariant must still hold: the survivors' pages exactly,
// the dead process's pages whole, at the version it recorded or the one it
// was putting (its page in progress may be torn: it died writing it).
//
// Cross-process coordination of the test itself (page locks, recorded
// versions, barriers) lives in an anonymous MAP_SHARED block made before
// the fork. Env: LFM_SEED, LFM_STRESS_OPS (operations per thread).
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/page_codec.h"
#include "tests/common/shared_util.h"
#include "tests/common/test_util.h"

// ThreadSanitizer sees only the synchronisation between threads of its own
// process. With two threads a process, a frame often passes from one of
// them to the other through a third process (which unpinned, stole or
// evicted it in between: release/acquire on words TSan never sees change),
// a correct order TSan cannot see, which it would report as a race on the
// page's bytes. Under TSan each process therefore runs one thread (there is
// then nothing for it to misjudge, and nothing is suppressed); the
// multi-threaded stress tests cover threads within one process, and this
// test runs two threads a process plain and under ASan.
#if defined(__SANITIZE_THREAD__)
#define LFM_STRESS_THREADS 1
#else
#define LFM_STRESS_THREADS 2
#endif

namespace lfmtest {
namespace {

using codec::CheckPage;
using codec::FillPage;
using codec::Rng;

constexpr unsigned long long kDefaultSeed = 0x5eed4ULL;
constexpr size_t kFrames = 16;
constexpr size_t kPoolBytes = kFrames * kPage;
constexpr db_pgno_t kShared = 48;             // pages every worker uses
constexpr db_pgno_t kVictimPerThread = 6;     // pages of the killed process
constexpr int kThreads = LFM_STRESS_THREADS;  // per process
constexpr int kMaxProcs = 4;
constexpr db_pgno_t kPagesMax = kShared + kThreads * kVictimPerThread;

// The test's own shared state (not the pool's).
struct Ctl {
  std::atomic<int32_t> lock[kPagesMax];   // 0 free, >0 readers, -1 writer
  std::atomic<uint32_t> ver[kPagesMax];   // the last version put
  std::atomic<int32_t> inprog[kThreads];  // victim: page being changed, -1
  std::atomic<uint64_t> victim_ops;
  std::atomic<int> started, finished, synced;
  std::atomic<int> victim_dead;  // set by the parent after the kill
  std::atomic<uint64_t> reads, writes, syncs, incomplete, final_retries;
};

Ctl *MakeCtl() {
  void *m = mmap(nullptr, sizeof(Ctl), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return nullptr;
  Ctl *c = new (m) Ctl;
  for (auto &l : c->lock) l.store(0);
  for (auto &v : c->ver) v.store(0);
  for (auto &i : c->inprog) i.store(-1);
  c->victim_ops = 0;
  c->started = c->finished = c->synced = 0;
  c->victim_dead = 0;
  c->reads = c->writes = c->syncs = c->incomplete = c->final_retries = 0;
  return c;
}

// Waits (child side) for `cond`, failing after the deadline.
#define C_AWAIT(cond, what)                                         \
  do {                                                              \
    if (!PollUntil([&] { return (cond); }))                         \
      C_FAIL(std::string("waited ") + std::to_string(kDeadlineMs) + \
             " ms for " + (what));                                  \
  } while (0)

void Spin(int64_t start, const char *what, db_pgno_t p) {
  if (NowMs() - start > kDeadlineMs)
    C_FAIL(std::string(what) + " of page " + std::to_string(p) +
           " not granted within the deadline");
  sched_yield();
}

void RLock(Ctl *c, db_pgno_t p) {
  const int64_t t0 = NowMs();
  for (;;) {
    int32_t v = c->lock[p].load(std::memory_order_relaxed);
    if (v >= 0 &&
        c->lock[p].compare_exchange_weak(v, v + 1, std::memory_order_acquire))
      return;
    Spin(t0, "read lock", p);
  }
}
void RUnlock(Ctl *c, db_pgno_t p) {
  c->lock[p].fetch_sub(1, std::memory_order_release);
}
void WLock(Ctl *c, db_pgno_t p) {
  const int64_t t0 = NowMs();
  for (;;) {
    int32_t v = 0;
    if (c->lock[p].compare_exchange_weak(v, -1, std::memory_order_acquire))
      return;
    Spin(t0, "write lock", p);
  }
}
void WUnlock(Ctl *c, db_pgno_t p) {
  c->lock[p].store(0, std::memory_order_release);
}

// Pins page p (ENOMEM and everything else fail the child).
void *Get(DB_MPOOLFILE *mpf, db_pgno_t p) {
  db_pgno_t pg = p;
  void *page = nullptr;
  int rc = memp_fget(mpf, &pg, 0, &page);
  if (rc != 0)
    C_FAIL("memp_fget(" + std::to_string(p) + "): " + std::to_string(rc) +
           " (" + strerror(rc) + ")");
  return page;
}

// The page must be page p at exactly version `want`.
void Check(const void *page, db_pgno_t p, uint32_t want, const char *when) {
  uint32_t ver = 0;
  std::string why;
  if (!CheckPage(page, kPage, p, &ver, &why))
    C_FAIL(std::string(when) + ": " + why);
  if (ver != want)
    C_FAIL(std::string(when) + ": page " + std::to_string(p) + " version " +
           std::to_string(ver) + ", the last put was " + std::to_string(want));
}

void Put(DB_MPOOLFILE *mpf, void *page, unsigned long flags) {
  int rc = memp_fput(mpf, page, flags);
  if (rc != 0) C_FAIL("memp_fput: " + std::to_string(rc));
}

// One worker thread of a surviving process.
void Worker(Ctl *c, DB_MPOOL *mp, DB_MPOOLFILE *mpf, uint64_t seed,
            uint64_t ops) {
  Rng rng(seed);
  LSN all = {0xFFFFFFFFu, 0xFFFFFFFFu};
  for (uint64_t i = 0; i < ops; i++) {
    const uint64_t r = rng.Below(100);
    const db_pgno_t p = static_cast<db_pgno_t>(rng.Below(kShared));
    if (r < 50) {  // read
      RLock(c, p);
      void *page = Get(mpf, p);
      Check(page, p, c->ver[p].load(std::memory_order_relaxed), "read");
      Put(mpf, page, rng.Below(20) == 0 ? DB_MPOOL_DISCARD : 0);
      RUnlock(c, p);
      c->reads.fetch_add(1, std::memory_order_relaxed);
    } else if (r < 82) {  // write
      WLock(c, p);
      void *page = Get(mpf, p);
      const uint32_t v = c->ver[p].load(std::memory_order_relaxed);
      Check(page, p, v, "before write");
      FillPage(page, kPage, p, v + 1);
      if (rng.Below(4) == 0) {
        if (memp_fset(mpf, page, DB_MPOOL_DIRTY) != 0) C_FAIL("memp_fset");
        Put(mpf, page, 0);
      } else {
        Put(mpf, page, DB_MPOOL_DIRTY);
      }
      c->ver[p].store(v + 1, std::memory_order_relaxed);
      WUnlock(c, p);
      c->writes.fetch_add(1, std::memory_order_relaxed);
    } else if (r < 94) {  // two pages at once, locked in page order
      db_pgno_t q = static_cast<db_pgno_t>(rng.Below(kShared));
      if (q == p) q = (p + 1) % kShared;
      const db_pgno_t lo = p < q ? p : q, hi = p < q ? q : p;
      RLock(c, lo);
      RLock(c, hi);
      void *a = Get(mpf, lo);
      void *b = Get(mpf, hi);
      Check(a, lo, c->ver[lo].load(std::memory_order_relaxed), "pair");
      Check(b, hi, c->ver[hi].load(std::memory_order_relaxed), "pair");
      Put(mpf, b, 0);
      Put(mpf, a, 0);
      RUnlock(c, hi);
      RUnlock(c, lo);
      c->reads.fetch_add(2, std::memory_order_relaxed);
    } else {  // syncs: pages others hold pinned make them incomplete
      int rc = r < 97 ? memp_fsync(mpf) : memp_sync(mp, &all);
      if (rc == DB_INCOMPLETE)
        c->incomplete.fetch_add(1, std::memory_order_relaxed);
      else if (rc != 0)
        C_FAIL("sync: " + std::to_string(rc) + " (" + strerror(rc) + ")");
      c->syncs.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

// A surviving process: open (create or join), start together, work, wait
// for the others, sync until complete, close.
void Survivor(Ctl *c, const std::string &pool, const std::string &file,
              int proc, int nprocs, bool flushers, uint64_t seed, uint64_t ops,
              bool victim) {
  DB_MPOOL *mp = nullptr;
  C_OK(OpenShared(pool.c_str(), DB_CREATE | DB_THREAD, kPoolBytes, &mp));
  if (!flushers) C_OK(memp_set_flushers(mp, 0, 0));
  DB_MPOOLFILE *mpf = nullptr;
  std::string copy = file;
  C_OK(memp_fopen(mp, &copy[0], 0, 0, 0644, kPage, -1, nullptr, nullptr, &mpf));
  c->started++;
  C_AWAIT(c->started.load() >= nprocs, "every process to start");
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++)
    ts.emplace_back(Worker, c, mp, mpf,
                    seed ^ (0x1000003ULL * (proc * 16 + t + 1)), ops);
  for (auto &t : ts) t.join();
  c->finished++;
  C_AWAIT(c->finished.load() >= nprocs, "every process to finish");
  // The killed process's last pages are ours to write: sync after it died.
  if (victim) C_AWAIT(c->victim_dead.load() != 0, "the victim's death");
  // Nobody changes a page any more: a sync may only be incomplete while
  // another process's sync or flusher holds a page, or a dead process's
  // pin is not recovered yet.
  LSN all = {0xFFFFFFFFu, 0xFFFFFFFFu};
  int rc = DB_INCOMPLETE;
  C_AWAIT((rc = memp_sync(mp, &all)) != DB_INCOMPLETE ||
              (c->final_retries++, false),
          "a complete memp_sync");
  C_OK(rc);
  c->synced++;
  C_AWAIT(c->synced.load() >= nprocs, "every process to sync");
  C_OK(memp_close(mp));
}

// The process that gets killed: threads on pages of their own (nobody else
// touches them, so no page locks), each recording the page it is changing.
void Victim(Ctl *c, const std::string &pool, const std::string &file,
            int nprocs, uint64_t seed) {
  DB_MPOOL *mp = nullptr;
  C_OK(OpenShared(pool.c_str(), DB_CREATE | DB_THREAD, kPoolBytes, &mp));
  DB_MPOOLFILE *mpf = nullptr;
  std::string copy = file;
  C_OK(memp_fopen(mp, &copy[0], 0, 0, 0644, kPage, -1, nullptr, nullptr, &mpf));
  c->started++;
  C_AWAIT(c->started.load() >= nprocs, "every process to start");
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++) {
    ts.emplace_back([=] {
      Rng rng(seed ^ (0x2000003ULL * (t + 1)));
      const db_pgno_t first = kShared + t * kVictimPerThread;
      for (;;) {
        const db_pgno_t p =
            first + static_cast<db_pgno_t>(rng.Below(kVictimPerThread));
        const uint64_t r = rng.Below(100);
        if (r >= 95) {
          int rc = memp_fsync(mpf);
          if (rc != 0 && rc != DB_INCOMPLETE) C_FAIL("victim memp_fsync");
          continue;
        }
        c->inprog[t].store(static_cast<int32_t>(p));
        void *page = Get(mpf, p);
        const uint32_t v = c->ver[p].load();
        Check(page, p, v, "victim");
        if (r < 60) {
          FillPage(page, kPage, p, v + 1);
          Put(mpf, page, DB_MPOOL_DIRTY);
          c->ver[p].store(v + 1);
        } else {
          Put(mpf, page, 0);
        }
        c->inprog[t].store(-1);
        c->victim_ops.fetch_add(1);
      }
    });
  }
  Tell("running");
  for (auto &t : ts) t.join();  // never: killed
}

class SharedStress : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = TestSeed(kDefaultSeed);
    ops_ = EnvU64("LFM_STRESS_OPS", kDefaultOps);
    printf("[   info   ] LFM_STRESS_OPS=%llu per thread\n",
           static_cast<unsigned long long>(ops_));
    tmpdir_.reset(new ScopedTmpdir(dir_.path()));
  }

  // A file of n pages, page p at version 0.
  void MakeCodecFile(const std::string &path, db_pgno_t n) {
    std::vector<uint8_t> all(n * kPage);
    for (db_pgno_t p = 0; p < n; p++) FillPage(&all[p * kPage], kPage, p, 0);
    ASSERT_TRUE(WriteAll(path, all.data(), all.size()));
  }

  // Page p as found (on disk or through a pool) against the recorded
  // versions; `victim`: the killed process's rule.
  void Verify(const void *page, db_pgno_t p, const Ctl *c, bool victim,
              const std::string &where) {
    uint32_t ver = 0;
    std::string why;
    const int32_t prog0 = c->inprog[0].load(), prog1 = c->inprog[1].load();
    const bool torn_ok = victim && (static_cast<int32_t>(p) == prog0 ||
                                    static_cast<int32_t>(p) == prog1);
    if (!CheckPage(page, kPage, p, &ver, &why)) {
      if (torn_ok) return;  // it died writing this very page
      ADD_FAILURE() << where << ": " << why;
      return;
    }
    const uint32_t want = c->ver[p].load();
    if (!victim) {
      EXPECT_EQ(ver, want) << where << ": page " << p;
    } else if (!torn_ok) {
      // Recorded after the put: it may have died in between.
      EXPECT_TRUE(ver == want || ver == want + 1)
          << where << ": page " << p << " version " << ver << ", recorded "
          << want;
    }
  }

  void VerifyAll(const std::string &pool, const std::string &file, db_pgno_t n,
                 const Ctl *c) {
    for (db_pgno_t p = 0; p < n; p++) {
      std::vector<uint8_t> v = ReadPage(file, p, kPage);
      ASSERT_EQ(v.size(), kPage) << "page " << p;
      Verify(v.data(), p, c, p >= kShared, "on disk");
    }
    // A fresh pool: the old region is gone (everyone closed or died).
    ASSERT_EQ(memp_unlink(pool.c_str(), 0, nullptr), 0);
    DB_MPOOL *mp = nullptr;
    ASSERT_EQ(OpenShared(pool.c_str(), DB_CREATE, kPoolBytes, &mp), 0);
    DB_MPOOLFILE *mpf = nullptr;
    ASSERT_EQ(OpenFile(mp, file, kPage, &mpf), 0);
    for (db_pgno_t p = 0; p < n; p++) {
      db_pgno_t pg = p;
      void *page = nullptr;
      ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0) << "page " << p;
      Verify(page, p, c, p >= kShared, "fresh pool");
      ASSERT_EQ(memp_fput(mpf, page, 0), 0);
    }
    EXPECT_EQ(memp_close(mp), 0);
    EXPECT_EQ(memp_unlink(pool.c_str(), 0, nullptr), 0);
  }

  void Report(const Ctl *c) {
    printf(
        "[   info   ] reads %llu, writes %llu, syncs %llu (%llu "
        "incomplete), final sync retries %llu\n",
        static_cast<unsigned long long>(c->reads.load()),
        static_cast<unsigned long long>(c->writes.load()),
        static_cast<unsigned long long>(c->syncs.load()),
        static_cast<unsigned long long>(c->incomplete.load()),
        static_cast<unsigned long long>(c->final_retries.load()));
  }

#if defined(__SANITIZE_THREAD__)
  static constexpr unsigned long long kDefaultOps = 8000;
#else
  static constexpr unsigned long long kDefaultOps = 30000;
#endif
  unsigned long long seed_ = 0;
  uint64_t ops_ = 0;
  TempDir dir_;
  std::unique_ptr<ScopedTmpdir> tmpdir_;
};

// 3 processes x 2 threads, 48 pages through 16 frames; process 1 runs
// without flushers.
TEST_F(SharedStress, ProcessesAndThreadsShareOnePool) {
  Ctl *c = MakeCtl();
  ASSERT_NE(c, nullptr);
  const std::string pool = dir_.File("pool"), file = dir_.File("f.db");
  ASSERT_EQ(::mkdir(pool.c_str(), 0755), 0);
  ASSERT_NO_FATAL_FAILURE(MakeCodecFile(file, kShared));
  constexpr int kProcs = 3;
  std::vector<std::unique_ptr<Child>> kids;
  for (int i = 0; i < kProcs; i++) {
    kids.emplace_back(new Child);
    const uint64_t seed = seed_, ops = ops_;
    ASSERT_TRUE(kids.back()->Start(
        [=] { Survivor(c, pool, file, i, kProcs, i != 1, seed, ops, false); }));
  }
  for (auto &k : kids) EXPECT_TRUE(k->WaitOk(120000));
  Report(c);
  if (!HasFailure()) VerifyAll(pool, file, kShared, c);
  munmap(c, sizeof(Ctl));
}

// 2 surviving processes and 1 killed at a seeded operation count, 3
// rounds (fresh pool and file each).
TEST_F(SharedStress, KilledProcessLeavesEveryInvariantIntact) {
  Rng rng(seed_ ^ 0x4b11ULL);
  for (int round = 0; round < 3 && !HasFailure(); round++) {
    SCOPED_TRACE("round " + std::to_string(round));
    Ctl *c = MakeCtl();
    ASSERT_NE(c, nullptr);
    const std::string pool = dir_.File("pool" + std::to_string(round)),
                      file = dir_.File("f" + std::to_string(round) + ".db");
    ASSERT_EQ(::mkdir(pool.c_str(), 0755), 0);
    ASSERT_NO_FATAL_FAILURE(MakeCodecFile(file, kPagesMax));
    constexpr int kSurvivors = 2, kProcs = kSurvivors + 1;
    const uint64_t seed = seed_ + static_cast<uint64_t>(round) * 7919,
                   ops = ops_;
    const uint64_t kill_at = 50 + rng.Below(ops_ / 2 + 1);
    printf("[   info   ] round %d: kill after %llu victim operations\n", round,
           static_cast<unsigned long long>(kill_at));
    Child victim;
    ASSERT_TRUE(victim.Start([=] { Victim(c, pool, file, kProcs, seed); }));
    std::vector<std::unique_ptr<Child>> kids;
    for (int i = 0; i < kSurvivors; i++) {
      kids.emplace_back(new Child);
      ASSERT_TRUE(kids.back()->Start([=] {
        Survivor(c, pool, file, i, kSurvivors, true, seed, ops, true);
      }));
    }
    ASSERT_TRUE(victim.Expect("running", 60000));
    const bool reached =
        PollUntil([&] { return c->victim_ops.load() >= kill_at; });
    victim.Kill();
    c->victim_dead = 1;
    EXPECT_TRUE(reached) << "the victim did " << c->victim_ops.load()
                         << " operations in " << kDeadlineMs << " ms";
    printf("[   info   ] killed after %llu operations (in progress: %d, %d)\n",
           static_cast<unsigned long long>(c->victim_ops.load()),
           c->inprog[0].load(), c->inprog[1].load());
    for (auto &k : kids) EXPECT_TRUE(k->WaitOk(120000));
    Report(c);
    if (!HasFailure()) VerifyAll(pool, file, kPagesMax, c);
    munmap(c, sizeof(Ctl));
  }
}

}  // namespace
}  // namespace lfmtest
