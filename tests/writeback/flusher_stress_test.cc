// Background flushers under concurrent load (run under --config=tsan too).
//
// 4 worker threads get / check / dirty / put random pages of one file (more
// pages than frames: misses, dirty victims) while 2 flushers keep 50% of
// the frames clean and a control thread now and then replaces the flusher
// set (0..3 threads, the default, varying targets), calls memp_trickle and
// memp_sync. Pages carry an invariant (tests/common/page_codec.h) and the test
// tracks each page's last version, so a lost or torn write shows. At the
// end memp_fsync must return 0 (nothing is pinned); the file is reopened in
// a fresh pool and every page must hold its last version.
//
// The second case injects write errors (1 write call in 5 fails with EIO):
// misses may fail with EIO and are retried, syncs may report it; once the
// fault clears, nothing may have been lost.
//
// Seed: $LFM_SEED (default kDefaultSeed). Ops per worker: $LFM_STRESS_OPS
// (default kDefaultOps).
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "fault_io.h"
#include "gtest/gtest.h"
#include "tests/common/page_codec.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

using codec::CheckPage;
using codec::FillPage;
using codec::Rng;

constexpr unsigned long long kDefaultSeed = 0xf1a5eedULL;
constexpr unsigned long long kDefaultOps = 20000;
// Consecutive failed misses (ENOMEM, or EIO while faults are on), with no
// pin of its own held, after which a worker reports a hang.
constexpr long kStreakLimit = 2000000;

struct Config {
  int threads = 4;
  db_pgno_t pages = 192;
  size_t mp_size = 32 * kPage;
  size_t max_pins = 2;
  unsigned write_pct = 40;
  long fail_every = 0;  // > 0: 1 write call in N fails with EIO
};

struct Slot {
  std::mutex m;
  uint32_t version = 0;  // guarded by m
};

class FlusherStress {
 public:
  explicit FlusherStress(const Config &c)
      : cfg_(c),
        seed_(EnvU64("LFM_SEED", kDefaultSeed)),
        ops_(EnvU64("LFM_STRESS_OPS", kDefaultOps)),
        slots_(new Slot[c.pages]) {
    path_ = dir_.File("flush.db");
  }

  ~FlusherStress() {
    if (mp_ != nullptr) memp_close(mp_);
    FaultIo::Uninstall();
    FaultIo::Get().Reset();
  }

  void Run() {
    printf(
        "[ flushers ] LFM_SEED=%llu LFM_STRESS_OPS=%llu threads=%d "
        "pages=%u frames=%zu fail_every=%ld\n",
        seed_, ops_, cfg_.threads, cfg_.pages, cfg_.mp_size / kPage,
        cfg_.fail_every);
    ::testing::Test::RecordProperty("seed", std::to_string(seed_));
    FaultIo &io = FaultIo::Get();
    io.Reset();
    FaultIo::Install();
    ASSERT_NO_FATAL_FAILURE(MakeInitialFile());
    ASSERT_EQ(OpenPool(cfg_.mp_size, &mp_, DB_THREAD), 0);
    ASSERT_EQ(memp_set_flushers(mp_, 2, 50), 0);
    ASSERT_EQ(OpenFile(mp_, path_, kPage, &mpf_), 0);
    io.write_fail_every = cfg_.fail_every;

    std::vector<std::thread> workers;
    for (int t = 0; t < cfg_.threads; t++)
      workers.emplace_back([this, t] { Worker(t); });
    std::thread control([this] { Control(); });
    for (auto &th : workers) th.join();
    stop_ = true;
    control.join();

    // Stop the flushers before the fault clears: no failed attempt can be
    // recorded after the syncs below.
    ASSERT_EQ(memp_set_flushers(mp_, 0, 0), 0);
    io.ClearFaults();
    ReportFailures();
    const DB_MPOOL_STAT s = Stat(mp_);
    printf(
        "[ flushers ] gets=%ld dirtied=%ld enomem=%ld eio=%ld "
        "trickled=%ld syncs=%ld flusher_sets=%ld hit=%lu miss=%lu "
        "out=%lu rw_evict=%lu writes=%ld (flushers %ld) failed=%ld\n",
        gets_.load(), dirtied_.load(), enomem_.load(), eio_.load(),
        trickled_.load(), syncs_.load(), sets_.load(), s.st_cache_hit,
        s.st_cache_miss, s.st_page_out, s.st_rw_evict, io.write_calls.load(),
        io.writes_other_thread.load(), io.failed_writes.load());
    EXPECT_GT(gets_.load(), 0);
    EXPECT_GT(io.writes_other_thread.load(), 0) << "no background write";
    if (cfg_.fail_every > 0) {
      EXPECT_GT(io.failed_writes.load(), 0);
      const int rc = memp_fsync(mpf_);  // may report a background error
      EXPECT_TRUE(rc == 0 || rc == EIO) << "memp_fsync returned " << rc;
    }
    EXPECT_EQ(memp_fsync(mpf_), 0) << "pins left behind?";
    EXPECT_EQ(Stat(mp_).st_page_dirty, 0u);
    EXPECT_EQ(memp_close(mp_), 0);
    mp_ = nullptr;
    FaultIo::Uninstall();
    Verify();
  }

 private:
  void MakeInitialFile() {
    std::vector<uint8_t> all(cfg_.pages * kPage);
    for (db_pgno_t p = 0; p < cfg_.pages; p++)
      FillPage(all.data() + p * kPage, kPage, p, 0);
    ASSERT_TRUE(WriteAll(path_, all.data(), all.size()));
  }

  void Fail(const std::string &msg) {
    failures_++;
    std::lock_guard<std::mutex> l(msg_mu_);
    if (msgs_.size() < 10) msgs_.push_back(msg);
  }
  bool TooManyFailures() const { return failures_.load() > 20; }
  void ReportFailures() {
    std::lock_guard<std::mutex> l(msg_mu_);
    EXPECT_EQ(failures_.load(), 0) << "seed " << seed_;
    for (const std::string &m : msgs_) ADD_FAILURE() << m;
  }

  // Checks a pinned page against its expected version and, if `write`,
  // writes the next version into it.
  void Touch(void *page, db_pgno_t pgno, bool write) {
    Slot &s = slots_[pgno];
    std::lock_guard<std::mutex> l(s.m);
    uint32_t ver = 0;
    std::string why;
    if (!CheckPage(page, kPage, pgno, &ver, &why)) {
      Fail(why + " (expected version " + std::to_string(s.version) + ")");
      return;
    }
    if (ver != s.version) {
      Fail("page " + std::to_string(pgno) + " read version " +
           std::to_string(ver) + ", expected " + std::to_string(s.version));
      return;
    }
    if (write) {
      s.version++;
      FillPage(page, kPage, pgno, s.version);
      dirtied_++;
    }
  }

  struct Held {
    void *page;
    unsigned long flags;
  };

  void Worker(int t) {
    FaultIo::MarkTestThread();
    Rng rng(seed_ * 0x100000001B3ULL + static_cast<uint64_t>(t) + 1);
    std::vector<Held> held;
    auto put = [&](const Held &h) {
      int rc = memp_fput(mpf_, h.page, h.flags);
      if (rc != 0) Fail("memp_fput returned " + std::to_string(rc));
    };
    auto release_all = [&] {
      for (const Held &h : held) put(h);
      held.clear();
    };
    long streak = 0;
    for (unsigned long long op = 0; op < ops_ && !TooManyFailures();) {
      if (!held.empty() && (held.size() >= cfg_.max_pins || rng.Below(2))) {
        const size_t i = rng.Below(held.size());
        put(held[i]);
        held.erase(held.begin() + static_cast<long>(i));
      }
      const db_pgno_t pgno = static_cast<db_pgno_t>(rng.Below(cfg_.pages));
      db_pgno_t pg = pgno;
      void *page = nullptr;
      const int rc = memp_fget(mpf_, &pg, 0, &page);
      if (rc == ENOMEM || (rc == EIO && cfg_.fail_every > 0)) {
        (rc == ENOMEM ? enomem_ : eio_)++;
        const bool had = !held.empty();
        release_all();
        if (!had && ++streak > kStreakLimit) {
          Fail("worker " + std::to_string(t) + ": memp_fget failed " +
               std::to_string(streak) + " times in a row (last " +
               std::to_string(rc) + ") with no pin of its own held");
          break;
        }
        std::this_thread::yield();
        continue;
      }
      op++;
      if (rc != 0) {
        Fail("memp_fget returned " + std::to_string(rc));
        continue;
      }
      streak = 0;
      gets_++;
      const bool write = rng.Below(100) < cfg_.write_pct;
      Touch(page, pgno, write);
      unsigned long flags = write ? DB_MPOOL_DIRTY : 0;
      if (write && rng.Below(8) == 0) {
        // Dirty while pinned: a flusher must not write it until the put.
        const int r = memp_fset(mpf_, page, DB_MPOOL_DIRTY);
        if (r != 0) Fail("memp_fset returned " + std::to_string(r));
        flags = 0;
      }
      if (held.size() < cfg_.max_pins && rng.Below(3) == 0)
        held.push_back(Held{page, flags});
      else
        put(Held{page, flags});
    }
    release_all();
  }

  void Control() {
    FaultIo::MarkTestThread();
    Rng rng(seed_ ^ 0xc0ffeeULL);
    const int counts[] = {0, 1, 2, 3, -1};
    const bool faults = cfg_.fail_every > 0;
    while (!stop_.load() && !TooManyFailures()) {
      switch (rng.Below(4)) {
        case 0: {
          const int n = counts[rng.Below(5)];
          const int pct = static_cast<int>(rng.Below(100));  // 0: default
          const int rc = memp_set_flushers(mp_, n, pct);
          if (rc != 0)
            Fail("memp_set_flushers(" + std::to_string(n) + ", " +
                 std::to_string(pct) + ") returned " + std::to_string(rc));
          sets_++;
          break;
        }
        case 1: {
          int n = -1;
          const int pct = 1 + static_cast<int>(rng.Below(100));
          const int rc = memp_trickle(mp_, pct, &n);
          if (rc != 0 && !(faults && rc == EIO))
            Fail("memp_trickle returned " + std::to_string(rc));
          if (rc == 0 && n < 0) Fail("memp_trickle left *nwrotep unset");
          if (n > 0) trickled_ += n;
          break;
        }
        case 2: {
          LSN lsn = {0xFFFFFFFFu, 0xFFFFFFFFu};
          const int rc = memp_sync(mp_, &lsn);
          if (rc != 0 && rc != DB_INCOMPLETE && !(faults && rc == EIO))
            Fail("memp_sync returned " + std::to_string(rc));
          syncs_++;
          break;
        }
        default: {
          DB_MPOOL_STAT *gs = nullptr;
          if (memp_stat(mp_, &gs, nullptr, nullptr) != 0)
            Fail("memp_stat failed");
          free(gs);
          break;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // Leave the usual set running for the end of the workers' run.
    if (memp_set_flushers(mp_, 2, 50) != 0) Fail("memp_set_flushers failed");
  }

  // A fresh pool reads every page: its invariant holds and it is the last
  // version written. The file itself (plain pread) must agree.
  void Verify() {
    EXPECT_EQ(FileSize(path_), static_cast<long long>(cfg_.pages * kPage));
    DB_MPOOL *mp = nullptr;
    ASSERT_EQ(OpenPool(cfg_.mp_size, &mp), 0);
    DB_MPOOLFILE *mpf = nullptr;
    ASSERT_EQ(OpenFile(mp, path_, kPage, &mpf), 0);
    int bad = 0;
    for (db_pgno_t p = 0; p < cfg_.pages && bad < 10; p++) {
      const uint32_t want = slots_[p].version;
      db_pgno_t pg = p;
      void *page = nullptr;
      ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0) << "page " << p;
      uint32_t ver = 0;
      std::string why;
      if (!CheckPage(page, kPage, p, &ver, &why)) {
        ADD_FAILURE() << "reopened: " << why;
        bad++;
      } else if (ver != want) {
        ADD_FAILURE() << "reopened: page " << p << " version " << ver
                      << ", last written " << want;
        bad++;
      }
      ASSERT_EQ(memp_fput(mpf, page, 0), 0);
      const std::vector<uint8_t> v = ReadPage(path_, p, kPage);
      ASSERT_EQ(v.size(), kPage);
      if (!CheckPage(v.data(), kPage, p, &ver, &why) || ver != want) {
        ADD_FAILURE() << "on disk: page " << p << ": " << why << " version "
                      << ver << ", last written " << want;
        bad++;
      }
    }
    EXPECT_EQ(memp_close(mp), 0);
  }

  Config cfg_;
  unsigned long long seed_, ops_;
  TempDir dir_;
  std::string path_;
  std::unique_ptr<Slot[]> slots_;
  DB_MPOOL *mp_ = nullptr;
  DB_MPOOLFILE *mpf_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<long> failures_{0}, gets_{0}, dirtied_{0}, enomem_{0}, eio_{0},
      trickled_{0}, syncs_{0}, sets_{0};
  std::mutex msg_mu_;
  std::vector<std::string> msgs_;
};

TEST(FlusherStress, FourThreadsWithFlushersTrickleAndSync) {
  Config c;
  FlusherStress(c).Run();
}

TEST(FlusherStress, FourThreadsWithWriteErrors) {
  Config c;
  c.fail_every = 5;
  FlusherStress(c).Run();
}

}  // namespace
}  // namespace lfmtest
