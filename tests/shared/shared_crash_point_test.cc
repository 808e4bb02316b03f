// A process dies at each named instant of the pin protocol
// (src/os/crashpoint.h, docs/protocol.md rule 26), not only where a random
// SIGKILL happens to land: a child arms one point, runs a workload that
// passes it again and again (misses, cached and direct pins, discards,
// syncs, a thread exiting with a pin held, memp_fclose and memp_close with
// pins held), and kills itself the nth time it gets there. Points inside
// recovery are reached by a process that recovers another one it finds
// dead, while a third process keeps pins on the same frames and must go
// on afterwards.
//
// Whatever the point, a process that then opens the pool must find the
// counts exact (every frame's DIRECT is the sum of the pin logs, its
// SLOTREF its cache entries, nothing held: kill_hooks.h), memp_fsync
// succeeding, every frame usable at once, and every finished change on
// disk.
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/shared_util.h"
#include "tests/common/test_util.h"
#include "tests/shared/kill_hooks.h"
#include "tests/shared/versioned_pages.h"

namespace lfmtest {
namespace {

constexpr uint32_t kFrames = 8;
constexpr uint32_t kPages = 3 * kFrames;
constexpr int kRounds = 40;
typedef Versions<kPages> CrashVersions;

class SharedCrashPoint : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!lfm_test_crash_points()) GTEST_SKIP() << "no crash points (NDEBUG)";
    tmpdir_.reset(new ScopedTmpdir(dir_.path()));
    v_ = CrashVersions::Create();
    ASSERT_NE(v_, nullptr);
  }
  void TearDown() override { CrashVersions::Destroy(v_); }

  // A fresh pool directory and file for one case.
  void Fresh(const std::string &name) {
    pool_ = dir_.File(name);
    ASSERT_EQ(::mkdir(pool_.c_str(), 0755), 0);
    file_ = dir_.File(name + ".db");
    std::vector<uint8_t> all(size_t{kPages} * kPage);
    for (uint32_t p = 0; p < kPages; p++) {
      WriteVersioned(&all[size_t{p} * kPage], kPage, p, 0);
      v_->started[p] = 0;
      v_->finished[p] = 0;
    }
    ASSERT_TRUE(WriteAll(file_, all.data(), all.size()));
  }

  // Child side: the pool (flushers off: only the recovery watch runs).
  void Open(DB_MPOOL **mp, DB_MPOOLFILE **mpf) {
    C_OK(OpenShared(pool_.c_str(), DB_CREATE | DB_THREAD, kFrames * kPage, mp));
    C_OK(memp_set_flushers(*mp, 0, 0));
    std::string copy = file_;
    C_OK(memp_fopen(*mp, &copy[0], 0, 0, 0644, kPage, -1, nullptr, nullptr,
                    mpf));
  }

  void *Get(DB_MPOOLFILE *mpf, uint32_t p) {
    db_pgno_t pg = p;
    void *page = nullptr;
    C_OK(memp_fget(mpf, &pg, 0, &page));
    std::string why = JudgeVersioned(page, kPage, p, v_->finished[p].load(),
                                     v_->started[p].load());
    if (!why.empty()) C_FAIL(why);
    return page;
  }

  void Rewrite(DB_MPOOLFILE *mpf, uint32_t p) {
    void *page = Get(mpf, p);
    uint64_t nv = v_->started[p].load() + 1;
    v_->started[p].store(nv);
    WriteVersioned(page, kPage, p, nv);
    C_OK(memp_fput(mpf, page, DB_MPOOL_DIRTY));
    v_->finished[p].store(nv);
  }

  // Child side: every path that moves a pin, until the armed point kills.
  void Workload() {
    DB_MPOOL *mp;
    DB_MPOOLFILE *mpf;
    Open(&mp, &mpf);
    for (int r = 0; r < kRounds; r++) {
      for (uint32_t p = 0; p < kPages; p++) {
        Rewrite(mpf, p);                       // a miss, direct pins
        C_OK(memp_fput(mpf, Get(mpf, p), 0));  // a ghost's use:
        C_OK(memp_fput(mpf, Get(mpf, p),       // a cache entry,
                       p % 5 == 0 ? DB_MPOOL_DISCARD : 0));  // dropped
      }
      C_OK(memp_fsync(mpf));  // steals cached references
      // A thread that exits with a pin held through its cache: the pin
      // becomes a direct one, which this thread then puts.
      void *kept = nullptr;
      std::thread([&] {
        C_OK(memp_fput(mpf, Get(mpf, 1), 0));
        kept = Get(mpf, 1);
      }).join();
      C_OK(memp_fput(mpf, kept, 0));
      if (r % 2 == 1) {  // the file's last close with pins held
        Get(mpf, 2);
        C_OK(memp_fput(mpf, Get(mpf, 2), 0));
        Get(mpf, 2);  // cached, held
        C_OK(memp_fclose(mpf));
        std::string copy = file_;
        C_OK(memp_fopen(mp, &copy[0], 0, 0, 0644, kPage, -1, nullptr, nullptr,
                        &mpf));
      }
      if (r % 3 == 2) {  // the pool's close with pins held
        Get(mpf, 3);
        C_OK(memp_fput(mpf, Get(mpf, 3), 0));
        Get(mpf, 3);
        C_OK(memp_close(mp));
        Open(&mp, &mpf);
      }
    }
    Tell("survived");
    Hear();
  }

  // After the deaths: a fresh process's view (in a child, so that a sync
  // or a get that never returns fails the test instead of hanging it).
  void Verify() {
    Child check;
    ASSERT_TRUE(check.Start([this] {
      DB_MPOOL *mp = nullptr;  // recovers the dead
      C_OK(OpenShared(pool_.c_str(), 0, 0, &mp));
      char why[256];
      C_CHECK_MSG(lfm_test_audit_pins(mp, 1, why, sizeof why) == 0, why);
      DB_MPOOLFILE *mpf = nullptr;
      C_OK(OpenFile(mp, file_, kPage, &mpf));
      C_RC(memp_fsync(mpf), 0);  // DB_INCOMPLETE: a dirty page stayed pinned
      std::vector<void *> held;
      for (uint32_t p = 0; p < kFrames; p++) {
        db_pgno_t pg = p;
        void *page = nullptr;
        int rc = memp_fget(mpf, &pg, 0, &page);
        C_CHECK_MSG(rc == 0, "page " << p << " with " << held.size() << " of "
                                     << kFrames << " frames pinned");
        held.push_back(page);
      }
      for (void *page : held) C_OK(memp_fput(mpf, page, 0));
      C_CHECK_MSG(lfm_test_audit_pins(mp, 1, why, sizeof why) == 0, why);
      C_OK(memp_fclose(mpf));
      C_OK(memp_close(mp));
      Tell("verified");
    }));
    ASSERT_TRUE(check.Expect("verified"));
    ASSERT_TRUE(check.WaitOk());
    for (uint32_t p = 0; p < kPages; p++) {
      std::vector<uint8_t> disk = ReadPage(file_, p, kPage);
      ASSERT_EQ(disk.size(), kPage);
      std::string bad = JudgeVersioned(
          disk.data(), kPage, p, v_->finished[p].load(), v_->started[p].load());
      EXPECT_TRUE(bad.empty()) << "on disk: " << bad;
    }
  }

  // Waits for a child that must have killed itself at its point.
  void ExpectKilled(Child &c, const std::string &what) {
    int st = c.Wait();
    EXPECT_TRUE(st != -1 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
        << what << ": the child ended with " << Child::Describe(st)
        << " (the point was not reached that many times)";
  }

  TempDir dir_;
  std::unique_ptr<ScopedTmpdir> tmpdir_;
  std::string pool_, file_;
  CrashVersions *v_ = nullptr;
};

// Points a process reaches in its own gets, puts and closes.
TEST_F(SharedCrashPoint, DeathAtEveryPointOfGetPutAndClose) {
  for (unsigned at = 1; at < lfm_test_crash_npoints(); at++) {
    if (lfm_test_crash_in_recovery(at)) continue;
    // Frames are carved only until the pool is full.
    const std::vector<unsigned> nths =
        std::string(lfm_test_crash_name(at)) == "CARVED"
            ? std::vector<unsigned>{1, kFrames / 2}
            : std::vector<unsigned>{1, 4, 17, 60, 250};
    for (unsigned nth : nths) {
      const std::string what =
          std::string(lfm_test_crash_name(at)) + " #" + std::to_string(nth);
      SCOPED_TRACE(what);
      ASSERT_NO_FATAL_FAILURE(
          Fresh("p" + std::to_string(at) + "_" + std::to_string(nth)));
      Child c;
      ASSERT_TRUE(c.Start([&] {
        lfm_test_crash_arm(at, nth);
        Workload();
      }));
      ExpectKilled(c, what);
      ASSERT_NO_FATAL_FAILURE(Verify());
      if (HasFailure()) return;
    }
  }
}

// Points inside recovery: A dies holding pins; C, attached meanwhile
// (without its recovery watch, so that A is B's to recover), holds pins of
// its own; B, recovering A, dies at the point (holding the log entries of
// C and of every free slot, or having set the counts). C must be able to
// go on with A's pages once its own watch, started again, takes up what B
// left, and a last process finds everything exact.
TEST_F(SharedCrashPoint, DeathAtEveryPointOfRecovery) {
  for (unsigned at = 1; at < lfm_test_crash_npoints(); at++) {
    if (!lfm_test_crash_in_recovery(at)) continue;
    for (unsigned nth : {1u, 2u, 3u}) {
      const std::string what =
          std::string(lfm_test_crash_name(at)) + " #" + std::to_string(nth);
      SCOPED_TRACE(what);
      ASSERT_NO_FATAL_FAILURE(
          Fresh("r" + std::to_string(at) + "_" + std::to_string(nth)));
      // Pins of pages 0..3: 0 and 1 through the cache, 2 and 3 direct, 0
      // and 2 dirty.
      auto hold = [this](DB_MPOOLFILE *mpf) {
        for (uint32_t p = 0; p < 4; p++) {
          if (p % 2 == 0) Rewrite(mpf, p);
          if (p < 2) C_OK(memp_fput(mpf, Get(mpf, p), 0));
          Get(mpf, p);
        }
      };
      Child a, c, b;
      ASSERT_TRUE(a.Start([&] {
        DB_MPOOL *mp;
        DB_MPOOLFILE *mpf;
        Open(&mp, &mpf);
        hold(mpf);
        Tell("holding");
        Hear();
      }));
      ASSERT_TRUE(a.Expect("holding"));
      ASSERT_TRUE(c.Start([&] {
        DB_MPOOL *mp;
        DB_MPOOLFILE *mpf;
        Open(&mp, &mpf);
        // No watch here until B has died: A's death is B's to recover.
        C_OK(lfm_test_stop_watch(mp));
        Tell("open");
        C_HEAR("hold");
        std::vector<void *> mine;
        for (uint32_t p = 4; p < 6; p++) mine.push_back(Get(mpf, p));
        Tell("holding");
        C_HEAR("go");
        C_OK(memp_set_flushers(mp, 0, 0));  // the watch again
        for (int i = 0; i < 50; i++)
          for (uint32_t p = 0; p < 4; p++) {
            if (i % 10 == 0) Rewrite(mpf, p);
            C_OK(memp_fput(mpf, Get(mpf, p), 0));
          }
        for (void *page : mine) C_OK(memp_fput(mpf, page, 0));
        Tell("done");
        Hear();
      }));
      ASSERT_TRUE(c.Expect("open"));
      a.Kill();
      c.Send("hold");
      ASSERT_TRUE(c.Expect("holding"));
      ASSERT_TRUE(b.Start([&] {
        lfm_test_crash_arm(at, nth);
        DB_MPOOL *mp;
        DB_MPOOLFILE *mpf;
        Open(&mp, &mpf);  // recovers A, dies in it
        Tell("survived");
        Hear();
      }));
      ExpectKilled(b, what);
      c.Send("go");
      EXPECT_TRUE(c.Expect("done")) << "C could not use A's pages";
      c.Kill();
      ASSERT_NO_FATAL_FAILURE(Verify());
      if (HasFailure()) return;
    }
  }
}

}  // namespace
}  // namespace lfmtest
