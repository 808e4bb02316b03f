// Death of a process attached to a shared pool (a guarantee beyond
// Berkeley DB's): a child is killed with SIGKILL while it holds pins (through
// its thread caches or directly), inside a loop of gets and puts, in the middle
// of reading a page into a frame (inside its pgin) or of writing one
// (inside its pgout), or with dirty pages it never wrote. What it held is
// taken back when the death is seen (the next memp_open, or a flusher of a
// survivor): survivors can pin as many pages as the pool has frames, a
// half-read page is read again, and the pages it dirtied are written by
// the survivors.
//
// Seed: $LFM_SEED (default below) picks the kill moments.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
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

namespace lfmtest {
namespace {

constexpr unsigned long long kDefaultSeed = 0xdead4ULL;
constexpr db_pgno_t kFrames = 8;  // the pool: 8 pages of 4 KiB
constexpr size_t kPoolBytes = kFrames * kPage;
constexpr db_pgno_t kPages = 4 * kFrames;

class SharedDeath : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = TestSeed(kDefaultSeed);
    tmpdir_.reset(new ScopedTmpdir(dir_.path()));
    pool_ = dir_.File("pool");
    ASSERT_EQ(::mkdir(pool_.c_str(), 0755), 0);
    file_ = dir_.File("f.db");
    MakeFile(file_, kPages, kPage);
  }
  void TearDown() override {
    for (DB_MPOOL *mp : open_) EXPECT_EQ(memp_close(mp), 0);
    open_.clear();
  }
  DB_MPOOL *Join() {
    DB_MPOOL *mp = nullptr;
    int rc = OpenShared(pool_.c_str(), DB_THREAD, 0, &mp);
    EXPECT_EQ(rc, 0) << strerror(rc);
    if (rc == 0) open_.push_back(mp);
    return mp;
  }
  DB_MPOOLFILE *Fopen(DB_MPOOL *mp) {
    DB_MPOOLFILE *mpf = nullptr;
    EXPECT_EQ(OpenFile(mp, file_, kPage, &mpf), 0);
    return mpf;
  }
  // Pins pages first..first+n-1 all at once (each must work: no ENOMEM),
  // checks their bytes (salt per page: want(p)), and releases them.
  void PinAll(DB_MPOOLFILE *mpf, db_pgno_t first, db_pgno_t n,
              const std::function<uint32_t(db_pgno_t)> &salt) {
    std::vector<void *> held;
    for (db_pgno_t p = first; p < first + n; p++) {
      db_pgno_t pg = p;
      void *page = nullptr;
      int rc = memp_fget(mpf, &pg, 0, &page);
      EXPECT_EQ(rc, 0) << "page " << p << " with " << held.size()
                       << " pinned: " << strerror(rc);
      if (rc != 0) break;
      EXPECT_TRUE(Bytes(page, kPage) == PatternPage(p, kPage, salt(p)))
          << "page " << p;
      held.push_back(page);
    }
    for (void *page : held) EXPECT_EQ(memp_fput(mpf, page, 0), 0);
  }

  unsigned long long seed_ = 0;
  TempDir dir_;
  std::unique_ptr<ScopedTmpdir> tmpdir_;
  std::string pool_, file_;
  std::vector<DB_MPOOL *> open_;
};

uint32_t Plain(db_pgno_t) { return 0; }

typedef int (*lfm__pgfn_t)(db_pgno_t, void *, DBT *);

// Child side: opens (creating) the pool and the file, flushers off.
void ChildOpen(const std::string &pool, const std::string &file, DB_MPOOL **mp,
               DB_MPOOLFILE **mpf) {
  C_OK(OpenShared(pool.c_str(), DB_CREATE | DB_THREAD, kPoolBytes, mp));
  C_OK(memp_set_flushers(*mp, 0, 0));
  std::string copy = file;
  C_OK(memp_fopen(*mp, &copy[0], 0, 0, 0644, kPage, -1, nullptr, nullptr, mpf));
}

// Child side: page p pinned through the thread cache: a first use (get,
// put) leaves a ghost, the second get takes a cache entry; it stays held.
void *PinCached(DB_MPOOLFILE *mpf, db_pgno_t p) {
  db_pgno_t pg = p;
  void *page = nullptr;
  C_OK(memp_fget(mpf, &pg, 0, &page));
  C_OK(memp_fput(mpf, page, 0));
  C_OK(memp_fget(mpf, &pg, 0, &page));
  return page;
}

// The child pins every frame of the pool through its thread cache and is
// killed. While it lives, another process gets ENOMEM (the pins are real);
// once it is dead, the next memp_open recovers them and a process can pin
// as many other pages as the pool has frames, through an older handle too.
TEST_F(SharedDeath, ThreadCachePinsOfKilledProcessAreRecovered) {
  const std::string pool = pool_, file = file_;
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOL *mp;
    DB_MPOOLFILE *mpf;
    ChildOpen(pool, file, &mp, &mpf);
    for (db_pgno_t p = 0; p < kFrames; p++) PinCached(mpf, p);
    Tell("holding");
    Hear();  // until killed
  }));
  ASSERT_TRUE(c.Expect("holding"));
  DB_MPOOL *old = Join();
  ASSERT_NE(old, nullptr);
  DB_MPOOLFILE *oldf = Fopen(old);
  ASSERT_NE(oldf, nullptr);
  db_pgno_t pg = kFrames;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(oldf, &pg, 0, &page), ENOMEM)
      << "the child's pins did not fill the pool: the test proves nothing";
  c.Kill();
  DB_MPOOL *fresh = Join();  // recovers the dead child's caches
  ASSERT_NE(fresh, nullptr);
  ASSERT_NO_FATAL_FAILURE(PinAll(oldf, kFrames, kFrames, Plain));
  DB_MPOOLFILE *freshf = Fopen(fresh);
  ASSERT_NE(freshf, nullptr);
  ASSERT_NO_FATAL_FAILURE(PinAll(freshf, 2 * kFrames, kFrames, Plain));
  ASSERT_NO_FATAL_FAILURE(PinAll(freshf, 0, kFrames, Plain));
}

// Hits through a thread cache are counted in its entries until they are
// emptied (docs/protocol.md, rule 8a). The child reads every frame's page
// (a miss each), takes a cache entry for it (a hit), makes kUses more
// hits through the entry, and dies holding each page once. memp_stat
// counts its hits while its entries are the dead process's, and the same
// after recovery has emptied them.
TEST_F(SharedDeath, HitsOfKilledProcessStayCounted) {
  constexpr int kUses = 10;
  const std::string pool = pool_, file = file_;
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOL *mp;
    DB_MPOOLFILE *mpf;
    ChildOpen(pool, file, &mp, &mpf);
    for (db_pgno_t p = 0; p < kFrames; p++) {
      void *held = PinCached(mpf, p);
      for (int i = 0; i < kUses; i++) {
        db_pgno_t pg = p;
        void *page = nullptr;
        C_OK(memp_fget(mpf, &pg, 0, &page));
        C_CHECK(page == held);
        C_OK(memp_fput(mpf, page, 0));
      }
    }
    Tell("holding");
    Hear();  // until killed
  }));
  ASSERT_TRUE(c.Expect("holding"));
  const unsigned long hits = kFrames * (1 + kUses);
  DB_MPOOL *old = Join();
  ASSERT_NE(old, nullptr);
  DB_MPOOL_STAT live = Stat(old);
  EXPECT_EQ(live.st_cache_miss, kFrames);
  EXPECT_EQ(live.st_cache_hit, hits);
  c.Kill();
  DB_MPOOL *fresh = Join();  // recovers the dead child's caches
  ASSERT_NE(fresh, nullptr);
  DB_MPOOLFILE *f = Fopen(fresh);
  ASSERT_NE(f, nullptr);
  // Recovered: every frame can be pinned by others again.
  ASSERT_NO_FATAL_FAILURE(PinAll(f, kFrames, kFrames, Plain));
  DB_MPOOL_STAT after = Stat(fresh);
  EXPECT_EQ(after.st_cache_miss, kFrames + kFrames);
  EXPECT_EQ(after.st_cache_hit, hits);
  EXPECT_EQ(Stat(old).st_cache_hit, hits);
}

// The child's threads loop over gets and puts of pages in their caches
// (no misses: nothing but thread-cache pins); it is killed at a seeded
// moment. Several rounds, each with a fresh pool.
TEST_F(SharedDeath, KilledInGetPutLoopOfCachedPages) {
  codec::Rng rng(seed_);
  for (int round = 0; round < 6; round++) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string pool = dir_.File("pool" + std::to_string(round));
    ASSERT_EQ(::mkdir(pool.c_str(), 0755), 0);
    const std::string file = file_;
    const int nthreads = 1 + round % 3;
    Child c;
    ASSERT_TRUE(c.Start([&] {
      DB_MPOOL *mp;
      DB_MPOOLFILE *mpf;
      ChildOpen(pool, file, &mp, &mpf);
      std::atomic<int> warm{0};
      std::vector<std::thread> ts;
      for (int t = 0; t < nthreads; t++) {
        ts.emplace_back([&, t] {
          // 2 pages a thread, 6 at most: frames stay free for nobody
          // else, but every pin below is a cache hit.
          const db_pgno_t first = static_cast<db_pgno_t>(2 * t);
          for (int w = 0; w < 2; w++)
            for (db_pgno_t p = first; p < first + 2; p++) {
              void *page = PinCached(mpf, p);
              C_OK(memp_fput(mpf, page, 0));
            }
          warm++;
          for (uint64_t i = 0;; i++) {
            db_pgno_t pg = first + static_cast<db_pgno_t>(i % 2);
            void *page = nullptr;
            C_OK(memp_fget(mpf, &pg, 0, &page));
            const uint8_t *b = static_cast<const uint8_t *>(page);
            if (b[0] != PatternByte(pg, 0) ||
                b[kPage - 1] != PatternByte(pg, kPage - 1))
              C_FAIL("page " + std::to_string(pg) + " changed");
            C_OK(memp_fput(mpf, page, 0));
          }
        });
      }
      while (warm.load() < nthreads) NapMs(1);
      Tell("looping");
      Hear();  // until killed
    }));
    ASSERT_TRUE(c.Expect("looping"));
    NapMs(static_cast<int>(rng.Below(30)));  // a seeded kill moment
    c.Kill();
    DB_MPOOL *mp = nullptr;
    ASSERT_EQ(OpenShared(pool.c_str(), DB_THREAD, 0, &mp), 0);
    DB_MPOOLFILE *mpf = Fopen(mp);
    ASSERT_NE(mpf, nullptr);
    PinAll(mpf, kFrames, kFrames, Plain);
    PinAll(mpf, 0, kFrames, Plain);
    EXPECT_EQ(memp_close(mp), 0);
    if (HasFailure()) break;
  }
}

// Dirty pages the dead child left (put DIRTY, not written; two of them
// still held through its cache) stay dirty and are written by the
// survivor's memp_sync, which then reports no pinned page, although the
// survivor never opened the file.
TEST_F(SharedDeath, DirtyPagesOfKilledProcessAreWrittenBySurvivor) {
  const std::string pool = pool_, file = file_;
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOL *mp;
    DB_MPOOLFILE *mpf;
    ChildOpen(pool, file, &mp, &mpf);
    for (db_pgno_t p = 0; p < 6; p++) {
      db_pgno_t pg = p;
      void *page = nullptr;
      C_OK(memp_fget(mpf, &pg, 0, &page));
      FillPattern(page, kPage, p, 7);
      C_OK(memp_fput(mpf, page, DB_MPOOL_DIRTY));
    }
    PinCached(mpf, 0);  // still dirty, now held
    PinCached(mpf, 1);
    Tell("dirty");
    Hear();  // until killed
  }));
  ASSERT_TRUE(c.Expect("dirty"));
  c.Kill();
  for (db_pgno_t p = 0; p < 6; p++)
    ASSERT_TRUE(ReadPage(file_, p, kPage) == PatternPage(p, kPage, 0))
        << "page " << p << " was written before the kill";
  DB_MPOOL *mp = Join();
  ASSERT_NE(mp, nullptr);
  StopFlushers(mp);
  LSN all = {0xFFFFFFFFu, 0xFFFFFFFFu};
  EXPECT_EQ(memp_sync(mp, &all), 0);
  for (db_pgno_t p = 0; p < kPages; p++)
    EXPECT_TRUE(ReadPage(file_, p, kPage) ==
                PatternPage(p, kPage, p < 6 ? 7 : 0))
        << "page " << p << " on disk";
  DB_MPOOLFILE *mpf = Fopen(mp);
  ASSERT_NE(mpf, nullptr);
  PinAll(mpf, 0, kFrames, [](db_pgno_t p) { return p < 6 ? 7u : 0u; });
  PinAll(mpf, kFrames, kFrames, Plain);
}

// Without a sync: the survivor's evictions write the dead child's dirty
// pages (it never opened the file: through the recorded path).
TEST_F(SharedDeath, DirtyPagesOfKilledProcessAreWrittenByEviction) {
  const std::string pool = pool_, file = file_;
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOL *mp;
    DB_MPOOLFILE *mpf;
    ChildOpen(pool, file, &mp, &mpf);
    for (db_pgno_t p = 0; p < kFrames; p++) {
      void *page = PinCached(mpf, p);
      FillPattern(page, kPage, p, 9);
      C_OK(memp_fput(mpf, page, DB_MPOOL_DIRTY));
    }
    PinCached(mpf, 3);  // held at death
    Tell("dirty");
    Hear();
  }));
  ASSERT_TRUE(c.Expect("dirty"));
  c.Kill();
  DB_MPOOL *mp = Join();
  ASSERT_NE(mp, nullptr);
  StopFlushers(mp);
  const std::string g = dir_.File("g.db");
  MakeFile(g, 3 * kFrames, kPage, 2);
  DB_MPOOLFILE *gf = nullptr;
  ASSERT_EQ(OpenFile(mp, g, kPage, &gf), 0);
  PinAll(gf, 0, kFrames, [](db_pgno_t) { return 2u; });
  PinAll(gf, kFrames, kFrames, [](db_pgno_t) { return 2u; });
  for (db_pgno_t p = 0; p < kFrames; p++)
    EXPECT_TRUE(ReadPage(file_, p, kPage) == PatternPage(p, kPage, 9))
        << "page " << p << " on disk";
}

// (Found an engine bug, since fixed: it used to fail.)
// As many processes as the region has process slots attach (the ones
// past that get EMFILE while the others live) and are all killed: the
// slots of the dead must not keep anyone out.
TEST_F(SharedDeath, DeadProcessesDoNotUseUpProcessSlots) {
  const std::string pool = pool_;
  {  // the pool exists before the children come
    DB_MPOOL *mp = nullptr;
    ASSERT_EQ(OpenShared(pool_.c_str(), DB_CREATE, kPoolBytes, &mp), 0);
    ASSERT_EQ(memp_close(mp), 0);
  }
  constexpr int kKids = 36;  // more than the slots (31 in this build)
  std::vector<std::unique_ptr<Child>> kids;
  int opened = 0, emfile = 0;
  for (int i = 0; i < kKids; i++) {
    kids.emplace_back(new Child);
    ASSERT_TRUE(kids.back()->Start([&] {
      DB_MPOOL *mp = nullptr;
      int rc = OpenShared(pool.c_str(), 0, 0, &mp);
      Tell(rc == 0 ? "open" : "rc " + std::to_string(rc));
      Hear();
    }));
    // One at a time: each is attached before the next tries.
    const std::string r = kids.back()->Recv();
    if (r == "open")
      opened++;
    else if (r == "rc " + std::to_string(EMFILE))
      emfile++;
    else
      ADD_FAILURE() << "child " << i << ": " << r;
  }
  printf("[   info   ] %d children attached, %d got EMFILE\n", opened, emfile);
  EXPECT_GE(opened, 8);
  EXPECT_GT(emfile, 0) << "never ran out of slots: the test proves little";
  for (auto &k : kids) k->Kill();
  DB_MPOOL *mp = nullptr;
  int rc = OpenShared(pool_.c_str(), 0, 0, &mp);
  EXPECT_EQ(rc, 0) << strerror(rc) << ": the dead hold every process slot";
  if (rc == 0) {
    EXPECT_EQ(memp_close(mp), 0);
  }
  EXPECT_EQ(memp_unlink(pool_.c_str(), 0, nullptr), 0);
}

// Pins taken directly (each page's first use, not through the thread
// cache) by a process that dies are taken back too (its pin log).
TEST_F(SharedDeath, DirectPinsOfKilledProcessAreRecovered) {
  const std::string pool = pool_, file = file_;
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOL *mp;
    DB_MPOOLFILE *mpf;
    ChildOpen(pool, file, &mp, &mpf);
    for (db_pgno_t p = 0; p < kFrames; p++) {
      db_pgno_t pg = p;
      void *page = nullptr;
      C_OK(memp_fget(mpf, &pg, 0, &page));  // first use: a direct pin
    }
    Tell("holding");
    Hear();
  }));
  ASSERT_TRUE(c.Expect("holding"));
  c.Kill();
  DB_MPOOL *mp = Join();
  ASSERT_NE(mp, nullptr);
  DB_MPOOLFILE *mpf = Fopen(mp);
  ASSERT_NE(mpf, nullptr);
  PinAll(mpf, kFrames, kFrames, Plain);
}

// The child pins every frame directly and dies; the survivor was attached
// before (no memp_open after the death): its flusher, which watches for
// dead processes, takes the pins back while the survivor retries.
TEST_F(SharedDeath, AttachedSurvivorRecoversWithoutNewOpen) {
  const std::string pool = pool_, file = file_;
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOL *mp;
    DB_MPOOLFILE *mpf;
    ChildOpen(pool, file, &mp, &mpf);
    for (db_pgno_t p = 0; p < kFrames; p++) {
      db_pgno_t pg = p;
      void *page = nullptr;
      C_OK(memp_fget(mpf, &pg, 0, &page));
    }
    Tell("holding");
    Hear();
  }));
  ASSERT_TRUE(c.Expect("holding"));
  DB_MPOOL *mp = Join();  // flushers on: one of them watches
  ASSERT_NE(mp, nullptr);
  DB_MPOOLFILE *mpf = Fopen(mp);
  ASSERT_NE(mpf, nullptr);
  db_pgno_t pg = kFrames;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), ENOMEM) << "the pins are not real";
  c.Kill();
  int last = ENOMEM;
  EXPECT_TRUE(PollUntil([&] {
    pg = kFrames;
    last = memp_fget(mpf, &pg, 0, &page);
    if (last == 0) {
      EXPECT_EQ(memp_fput(mpf, page, 0), 0);
    }
    return last != ENOMEM;
  })) << "still ENOMEM "
      << kDeadlineMs << " ms after the death";
  EXPECT_EQ(last, 0) << strerror(last);
  PinAll(mpf, kFrames, kFrames, Plain);
}

// A dead process's pins never cause ENOMEM: a miss that finds every other
// frame pinned takes them back itself rather than wait for a flusher's
// watch. Pool of 32 frames; the child pins 4 (directly and through its
// cache) and is killed; the survivor, attached before the death and with
// its flushers off, at once pins 30 distinct pages.
TEST_F(SharedDeath, MissTakesBackDeadPinsBeforeEnomem) {
  constexpr db_pgno_t k32 = 32;
  const std::string pool = pool_, file = dir_.File("big.db");
  MakeFile(file, 2 * k32, kPage);
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOL *mp;
    DB_MPOOLFILE *mpf;
    C_OK(OpenShared(pool.c_str(), DB_CREATE | DB_THREAD, k32 * kPage, &mp));
    C_OK(memp_set_flushers(mp, 0, 0));
    std::string copy = file;
    C_OK(memp_fopen(mp, &copy[0], 0, 0, 0644, kPage, -1, nullptr, nullptr,
                    &mpf));
    for (db_pgno_t p = 0; p < 2; p++) PinCached(mpf, p);
    for (db_pgno_t p = 2; p < 4; p++) {
      db_pgno_t pg = p;
      void *page = nullptr;
      C_OK(memp_fget(mpf, &pg, 0, &page));
    }
    Tell("holding");
    Hear();  // until killed
  }));
  ASSERT_TRUE(c.Expect("holding"));
  DB_MPOOL *mp = Join();
  ASSERT_NE(mp, nullptr);
  ASSERT_EQ(memp_set_flushers(mp, 0, 0), 0);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp, file, kPage, &mpf), 0);
  c.Kill();
  std::vector<void *> held;
  for (db_pgno_t p = k32; p < k32 + 30; p++) {
    db_pgno_t pg = p;
    void *page = nullptr;
    const int rc = memp_fget(mpf, &pg, 0, &page);
    ASSERT_EQ(rc, 0) << "page " << p << " with " << held.size()
                     << " pinned: " << strerror(rc);
    EXPECT_TRUE(Bytes(page, kPage) == PatternPage(p, kPage)) << "page " << p;
    held.push_back(page);
  }
  for (void *page : held) EXPECT_EQ(memp_fput(mpf, page, 0), 0);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// memp_close with pages still pinned (directly and through the thread
// cache): the pins go with the process, and another can use every frame.
TEST_F(SharedDeath, CloseWithPinsHeldGivesThemBack) {
  const std::string pool = pool_, file = file_;
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOL *mp;
    DB_MPOOLFILE *mpf;
    ChildOpen(pool, file, &mp, &mpf);
    for (db_pgno_t p = 0; p < kFrames; p++) {
      if (p % 2 == 0) {
        PinCached(mpf, p);
      } else {
        db_pgno_t pg = p;
        void *page = nullptr;
        C_OK(memp_fget(mpf, &pg, 0, &page));
      }
    }
    C_OK(memp_close(mp));
    Tell("closed");
  }));
  ASSERT_TRUE(c.Expect("closed"));
  EXPECT_TRUE(c.WaitOk());
  DB_MPOOL *mp = Join();
  ASSERT_NE(mp, nullptr);
  StopFlushers(mp);  // nothing may depend on a flusher's recovery here
  DB_MPOOLFILE *mpf = Fopen(mp);
  ASSERT_NE(mpf, nullptr);
  PinAll(mpf, kFrames, kFrames, Plain);
}

constexpr int kBlockType = 5;
std::atomic<int> g_pgin3{0};

// Child: blocks (until killed) inside the pgin of page 3 / pgout of page 2.
int BlockingPgin(db_pgno_t pgno, void *, DBT *) {
  if (pgno == 3) {
    Tell("reading");
    Hear();
  }
  return 0;
}
int BlockingPgout(db_pgno_t pgno, void *, DBT *) {
  if (pgno == 2) {
    Tell("writing");
    Hear();
  }
  return 0;
}
// Survivor: identity, counting reads of page 3.
int CountingPgin(db_pgno_t pgno, void *, DBT *) {
  if (pgno == 3) g_pgin3++;
  return 0;
}
int IdentityPgout(db_pgno_t, void *, DBT *) { return 0; }

// Child side: the pool and the file with type kBlockType.
DB_MPOOLFILE *ChildOpenTyped(const std::string &pool, const std::string &file,
                             lfm__pgfn_t pgin, lfm__pgfn_t pgout) {
  DB_MPOOL *mp = nullptr;
  C_OK(OpenShared(pool.c_str(), DB_CREATE | DB_THREAD, kPoolBytes, &mp));
  C_OK(memp_set_flushers(mp, 0, 0));
  C_OK(memp_register(mp, kBlockType, pgin, pgout));
  DB_MPOOLFILE *mpf = nullptr;
  std::string copy = file;
  C_OK(memp_fopen(mp, &copy[0], kBlockType, 0, 0644, kPage, -1, nullptr,
                  nullptr, &mpf));
  return mpf;
}

// Killed in the middle of reading page 3 into a frame (inside its pgin,
// the frame held exclusively): a survivor thread already waiting for that
// page wakes when the death is seen (its flusher watches) and reads the
// page itself.
TEST_F(SharedDeath, KilledWhileReadingAPageWaiterReadsItAgain) {
  const std::string pool = pool_, file = file_;
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOLFILE *mpf = ChildOpenTyped(pool, file, BlockingPgin, nullptr);
    db_pgno_t pg = 3;
    void *page = nullptr;
    C_OK(memp_fget(mpf, &pg, 0, &page));  // blocks in pgin
    C_FAIL("the pgin returned");
  }));
  ASSERT_TRUE(c.Expect("reading"));
  DB_MPOOL *mp = Join();
  ASSERT_NE(mp, nullptr);
  g_pgin3 = 0;
  ASSERT_EQ(memp_register(mp, kBlockType, CountingPgin, IdentityPgout), 0);
  DB_MPOOLFILE *mpf = nullptr;
  std::string copy = file_;
  ASSERT_EQ(memp_fopen(mp, &copy[0], kBlockType, 0, 0644, kPage, -1, nullptr,
                       nullptr, &mpf),
            0);
  std::atomic<int> rc{-1};
  std::atomic<bool> same{false};
  std::thread waiter([&] {
    db_pgno_t pg = 3;
    void *page = nullptr;
    int r = memp_fget(mpf, &pg, 0, &page);
    if (r == 0) {
      same = Bytes(page, kPage) == PatternPage(3, kPage);
      r = memp_fput(mpf, page, 0);
    }
    rc = r;
  });
  NapMs(20);  // most likely waiting by now; the outcome must not depend on it
  EXPECT_EQ(rc.load(), -1) << "got a page another process was reading";
  c.Kill();
  const bool done = PollUntil([&] { return rc.load() != -1; });
  EXPECT_TRUE(done) << "the waiter is still blocked " << kDeadlineMs
                    << " ms after the reader died";
  if (!done) {
    // Cannot join a wedged thread: leave the process (the test has failed).
    fflush(stdout);
    _exit(1);
  }
  waiter.join();
  EXPECT_EQ(rc.load(), 0);
  EXPECT_TRUE(same.load()) << "page 3 has the wrong bytes";
  EXPECT_EQ(g_pgin3.load(), 1) << "page 3 was not read again (once)";
  PinAll(mpf, 0, kFrames, Plain);
  PinAll(mpf, kFrames, kFrames, Plain);
}

// The same death seen by the next memp_open (nobody waiting): the page is
// read again by the first process that wants it.
TEST_F(SharedDeath, KilledWhileReadingAPageNextOpenReadsItAgain) {
  const std::string pool = pool_, file = file_;
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOLFILE *mpf = ChildOpenTyped(pool, file, BlockingPgin, nullptr);
    db_pgno_t pg = 3;
    void *page = nullptr;
    C_OK(memp_fget(mpf, &pg, 0, &page));
    C_FAIL("the pgin returned");
  }));
  ASSERT_TRUE(c.Expect("reading"));
  c.Kill();
  DB_MPOOL *mp = Join();
  ASSERT_NE(mp, nullptr);
  g_pgin3 = 0;
  ASSERT_EQ(memp_register(mp, kBlockType, CountingPgin, IdentityPgout), 0);
  DB_MPOOLFILE *mpf = nullptr;
  std::string copy = file_;
  ASSERT_EQ(memp_fopen(mp, &copy[0], kBlockType, 0, 0644, kPage, -1, nullptr,
                       nullptr, &mpf),
            0);
  PinAll(mpf, 0, kFrames, Plain);
  EXPECT_EQ(g_pgin3.load(), 1);
  PinAll(mpf, kFrames, kFrames, Plain);
}

// Killed in the middle of writing dirty pages (inside the pgout of page 2,
// during memp_fsync): the pages stay dirty and whole, and the survivor's
// memp_sync writes them (through its own registration of the type).
TEST_F(SharedDeath, KilledWhileWritingPagesTheyStayDirtyForSurvivor) {
  const std::string pool = pool_, file = file_;
  Child c;
  ASSERT_TRUE(c.Start([&] {
    DB_MPOOLFILE *mpf = ChildOpenTyped(pool, file, nullptr, BlockingPgout);
    for (db_pgno_t p = 1; p <= 3; p++) {
      db_pgno_t pg = p;
      void *page = nullptr;
      C_OK(memp_fget(mpf, &pg, 0, &page));
      FillPattern(page, kPage, p, 4);
      C_OK(memp_fput(mpf, page, DB_MPOOL_DIRTY));
    }
    C_OK(memp_fsync(mpf));  // blocks in the pgout of page 2
    C_FAIL("the pgout returned");
  }));
  ASSERT_TRUE(c.Expect("writing"));
  c.Kill();
  DB_MPOOL *mp = Join();
  ASSERT_NE(mp, nullptr);
  StopFlushers(mp);
  ASSERT_EQ(memp_register(mp, kBlockType, CountingPgin, IdentityPgout), 0);
  LSN all = {0xFFFFFFFFu, 0xFFFFFFFFu};
  EXPECT_EQ(memp_sync(mp, &all), 0);
  for (db_pgno_t p = 0; p < 6; p++)
    EXPECT_TRUE(ReadPage(file_, p, kPage) ==
                PatternPage(p, kPage, p >= 1 && p <= 3 ? 4 : 0))
        << "page " << p << " on disk";
  DB_MPOOLFILE *mpf = nullptr;
  std::string copy = file_;
  ASSERT_EQ(memp_fopen(mp, &copy[0], kBlockType, 0, 0644, kPage, -1, nullptr,
                       nullptr, &mpf),
            0);
  PinAll(mpf, 0, kFrames,
         [](db_pgno_t p) { return p >= 1 && p <= 3 ? 4u : 0u; });
  PinAll(mpf, kFrames, kFrames, Plain);
}

}  // namespace
}  // namespace lfmtest
