// Processes killed over and over at random instants of their gets and puts
// (docs/protocol.md, rule 26): whatever instant a process dies at, every pin
// it held is taken back and no change it finished is lost.
//
// Four processes (two threads each) share a 48-frame pool over a 512-page
// file. Page p belongs to process p % 4 and, in it, to thread (p / 4) % 2,
// which rewrites it (version in the first 8 bytes, written first, then a
// body derived from page and version) and re-reads other pages of its own;
// every thread also gets and puts any page now and then, so that several
// processes wait for the same page's read.
// Versions are counted in memory every process shares (an anonymous
// MAP_SHARED mapping made before the first fork): `started` before a write
// begins, `finished` once its memp_fput(DIRTY) returned. Every few
// milliseconds the parent kills one at random (SIGKILL) and starts another
// in its place, which goes on from the versions the shared counters hold.
// Flushers run (so the periodic recovery has its chances). At the end all
// are killed, and a fresh process must find:
//  - memp_fsync succeeds (no dirty page pinned by the dead: DB_INCOMPLETE);
//  - the pool's 48 frames can all be pinned at once (no pin of the dead);
//  - on disk, every page holds its last finished version or the one being
//    written when its writer died, and a page at its finished version is
//    whole.
//
// Env: LFM_SEED (kill moments and victims), LFM_KILLS (default 300).
#include <errno.h>
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
#include "tests/shared/versioned_pages.h"

namespace lfmtest {
namespace {

constexpr unsigned long long kDefaultSeed = 0x6b696c6cULL;
constexpr uint32_t kFrames = 48;
constexpr uint32_t kPages = 512;
constexpr uint32_t kProcs = 4;
constexpr uint32_t kThreads = 2;

typedef Versions<kPages> KillVersions;

void WritePage(void *page, uint32_t pgno, uint64_t version) {
  WriteVersioned(page, kPage, pgno, version);
}

std::string Judge(const void *page, uint32_t pgno, uint64_t finished,
                  uint64_t started) {
  return JudgeVersioned(page, kPage, pgno, finished, started);
}

class SharedKillLoop : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = TestSeed(kDefaultSeed);
    kills_ = static_cast<int>(EnvU64("LFM_KILLS", 300));
    tmpdir_.reset(new ScopedTmpdir(dir_.path()));
    pool_ = dir_.File("pool");
    ASSERT_EQ(::mkdir(pool_.c_str(), 0755), 0);
    file_ = dir_.File("f.db");
    std::vector<uint8_t> all(size_t{kPages} * kPage);
    for (uint32_t p = 0; p < kPages; p++)
      WritePage(&all[size_t{p} * kPage], p, 0);
    ASSERT_TRUE(WriteAll(file_, all.data(), all.size()));
    v_ = KillVersions::Create();
    ASSERT_NE(v_, nullptr);
  }
  void TearDown() override { KillVersions::Destroy(v_); }

  // A worker process: slot `who`, its own seed. Runs until killed.
  void Worker(uint32_t who, unsigned long long seed) {
    DB_MPOOL *mp = nullptr;
    C_OK(
        OpenShared(pool_.c_str(), DB_CREATE | DB_THREAD, kFrames * kPage, &mp));
    DB_MPOOLFILE *mpf = nullptr;
    std::string copy = file_;
    C_OK(memp_fopen(mp, &copy[0], 0, 0, 0644, kPage, -1, nullptr, nullptr,
                    &mpf));
    std::vector<std::thread> ts;
    for (uint32_t t = 0; t < kThreads; t++)
      ts.emplace_back([=] { Loop(mpf, who, t, seed * 7919 + t); });
    Tell("running");
    for (std::thread &t : ts) t.join();  // never: killed first
  }

  void Loop(DB_MPOOLFILE *mpf, uint32_t who, uint32_t t,
            unsigned long long seed) {
    codec::Rng rng(seed);
    // This thread's pages: p % kProcs == who, (p / kProcs) % kThreads == t.
    const uint32_t mine = kPages / (kProcs * kThreads);
    auto page_no = [&](uint64_t k) {
      return static_cast<uint32_t>((k * kThreads + t) * kProcs + who);
    };
    for (;;) {
      if (rng.Below(3) == 0) {
        // Any process's page, looked at only: several processes then want
        // the same missing page, and wait for one read of it.
        db_pgno_t pg = static_cast<db_pgno_t>(rng.Below(kPages));
        void *page = nullptr;
        C_OK(memp_fget(mpf, &pg, 0, &page));
        C_OK(memp_fput(mpf, page, 0));
        continue;
      }
      uint32_t p = page_no(rng.Below(mine));
      db_pgno_t pg = p;
      void *page = nullptr;
      C_OK(memp_fget(mpf, &pg, 0, &page));
      std::string why =
          Judge(page, p, v_->finished[p].load(), v_->started[p].load());
      if (!why.empty()) C_FAIL(why);
      if (rng.Below(3) == 0) {  // a re-read
        C_OK(memp_fput(mpf, page, 0));
        continue;
      }
      uint64_t nv = v_->started[p].load() + 1;
      v_->started[p].store(nv);
      WritePage(page, p, nv);
      C_OK(memp_fput(mpf, page, DB_MPOOL_DIRTY));
      v_->finished[p].store(nv);
    }
  }

  unsigned long long seed_ = 0;
  int kills_ = 0;
  TempDir dir_;
  std::unique_ptr<ScopedTmpdir> tmpdir_;
  std::string pool_, file_;
  KillVersions *v_ = nullptr;
};

TEST_F(SharedKillLoop, EveryPinOfTheKilledIsTakenBackAndNoFinishedChangeLost) {
  codec::Rng rng(seed_);
  std::unique_ptr<Child> kids[kProcs];
  unsigned long long gen = 0;
  auto start = [&](uint32_t who) {
    kids[who].reset(new Child);
    unsigned long long s = seed_ ^ (++gen * 0x9e3779b97f4a7c15ULL);
    ASSERT_TRUE(kids[who]->Start([this, who, s] { Worker(who, s); }));
    // Running before the next kill: every kill lands in the loop, in
    // memp_open (recovering the one killed before) or in between.
    ASSERT_TRUE(kids[who]->Expect("running"));
  };
  for (uint32_t w = 0; w < kProcs; w++) ASSERT_NO_FATAL_FAILURE(start(w));
  for (int k = 0; k < kills_; k++) {
    NapMs(2 + static_cast<int>(rng.Below(9)));
    uint32_t who = static_cast<uint32_t>(rng.Below(kProcs));
    ::kill(kids[who]->pid(), SIGKILL);
    kids[who]->Wait();  // reports what the child said failed
    ASSERT_NO_FATAL_FAILURE(start(who));
    if (HasFailure()) break;
  }
  for (uint32_t w = 0; w < kProcs; w++) {
    ::kill(kids[w]->pid(), SIGKILL);
    kids[w]->Wait();
  }
  ASSERT_FALSE(HasFailure());

  // A fresh process recovers every one of them. In a child, so that a
  // sync or a get that never returns fails the test instead of hanging it.
  Child check;
  ASSERT_TRUE(check.Start([this] {
    DB_MPOOL *mp = nullptr;
    C_OK(OpenShared(pool_.c_str(), DB_THREAD, 0, &mp));
    DB_MPOOLFILE *mpf = nullptr;
    C_OK(OpenFile(mp, file_, kPage, &mpf));
    C_RC(memp_fsync(mpf), 0);  // DB_INCOMPLETE: a dirty page stayed pinned
    std::vector<void *> held;
    for (uint32_t p = 0; p < kFrames; p++) {
      db_pgno_t pg = p;
      void *page = nullptr;
      int rc = memp_fget(mpf, &pg, 0, &page);
      C_CHECK_MSG(rc == 0, "page " << p << " with " << held.size()
                                   << " pinned of " << kFrames
                                   << " frames: " << strerror(rc));
      held.push_back(page);
    }
    for (void *page : held) C_OK(memp_fput(mpf, page, 0));
    C_OK(memp_fclose(mpf));
    C_OK(memp_close(mp));
    Tell("verified");
  }));
  ASSERT_TRUE(check.Expect("verified"));
  ASSERT_TRUE(check.WaitOk());

  int bad = 0;
  for (uint32_t p = 0; p < kPages; p++) {
    std::vector<uint8_t> disk = ReadPage(file_, p, kPage);
    ASSERT_EQ(disk.size(), kPage);
    std::string why =
        Judge(disk.data(), p, v_->finished[p].load(), v_->started[p].load());
    if (!why.empty() && bad++ < 10) ADD_FAILURE() << "on disk: " << why;
  }
  EXPECT_EQ(bad, 0);
}

}  // namespace
}  // namespace lfmtest
