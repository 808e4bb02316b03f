// Crash test: a child process puts dirty pages, calls memp_fsync, tells the
// parent through a pipe, goes on dirtying pages and is killed with SIGKILL
// at some point; the parent then reads the file with plain pread: every
// page a successful sync covered holds (at least) the synced version, and
// no page is torn.
//
// The parent forks before it has any thread of its own (it never opens a
// pool); the child never returns into gtest (it leaves with _exit).
//
// Seed: $LFM_SEED (default kDefaultSeed); it picks the kill points.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/page_codec.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

using codec::CheckPage;
using codec::FillPage;
using codec::Rng;

constexpr unsigned long long kDefaultSeed = 0xc4a5bULL;
constexpr int kDeadlineMs = 20000;

// Child -> parent messages.
enum Kind : uint32_t {
  kSynced = 1,    // value: the version every page of the sync now has
  kDirtying = 2,  // value: how far the child got (it is putting pages now)
  kError = 3,     // value: an errno; line: where
};
struct Msg {
  uint32_t kind;
  uint32_t value;
  uint32_t line;
};

enum class Mode {
  kSyncThenBlock,  // flushers off: sync, dirty more, block
  kDirtyLoop,      // flushers on: sync, then puts forever (evictions too)
  kSyncCycles,     // flushers on: rewrite every page, sync, report, again
};

struct Plan {
  Mode mode;
  std::string path;
  db_pgno_t npages;
  size_t mp_size;
  uint64_t seed;
  bool kill_at_once;  // kSyncThenBlock: kill on kSynced, not on kDirtying
};

// ---------------------------------------------------------------- child

void Send(int fd, uint32_t kind, uint32_t value, uint32_t line = 0) {
  Msg m = {kind, value, line};
  const char *p = reinterpret_cast<const char *>(&m);
  size_t done = 0;
  while (done < sizeof m) {
    ssize_t w = ::write(fd, p + done, sizeof m - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(4);
    done += static_cast<size_t>(w);
  }
}

[[noreturn]] void Die(int fd, int err, int line) {
  Send(fd, kError, static_cast<uint32_t>(err), static_cast<uint32_t>(line));
  _exit(3);
}

#define CHILD_CHECK(expr)                  \
  do {                                     \
    int rc_ = (expr);                      \
    if (rc_ != 0) Die(wfd, rc_, __LINE__); \
  } while (0)

// Nothing is pinned between puts, so the miss must always get a frame.
void PutVersion(int wfd, DB_MPOOLFILE *mpf, db_pgno_t pgno, uint32_t version) {
  db_pgno_t pg = pgno;
  void *page = nullptr;
  CHILD_CHECK(memp_fget(mpf, &pg, DB_MPOOL_CREATE, &page));
  FillPage(page, kPage, pgno, version);
  CHILD_CHECK(memp_fput(mpf, page, DB_MPOOL_DIRTY));
}

[[noreturn]] void Child(const Plan &plan, int wfd) {
  DB_ENV env;
  memset(&env, 0, sizeof env);
  env.mp_size = plan.mp_size;
  DB_MPOOL *mp = nullptr;
  CHILD_CHECK(memp_open(nullptr, DB_CREATE | DB_MPOOL_PRIVATE | DB_THREAD, 0644,
                        &env, &mp));
  if (plan.mode == Mode::kSyncThenBlock) {
    CHILD_CHECK(memp_set_flushers(mp, 0, 0));
  } else {
    CHILD_CHECK(memp_set_flushers(mp, 2, 50));
  }
  std::string path = plan.path;
  DB_MPOOLFILE *mpf = nullptr;
  CHILD_CHECK(memp_fopen(mp, &path[0], 0, DB_CREATE, 0644, kPage, -1, nullptr,
                         nullptr, &mpf));
  Rng rng(plan.seed);
  const db_pgno_t n = plan.npages;

  switch (plan.mode) {
    case Mode::kSyncThenBlock: {
      for (db_pgno_t p = 0; p < n; p++) PutVersion(wfd, mpf, p, 1);
      CHILD_CHECK(memp_fsync(mpf));
      Send(wfd, kSynced, 1);
      // More dirty pages, synced ones included, never synced.
      for (db_pgno_t p = 0; p < n + n / 2; p++) PutVersion(wfd, mpf, p, 2);
      Send(wfd, kDirtying, 0);
      for (;;) pause();
    }
    case Mode::kDirtyLoop: {
      for (db_pgno_t p = 0; p < n; p++) PutVersion(wfd, mpf, p, 1);
      CHILD_CHECK(memp_fsync(mpf));
      Send(wfd, kSynced, 1);
      for (uint32_t it = 0;; it++) {
        PutVersion(wfd, mpf, static_cast<db_pgno_t>(rng.Below(2 * n)), it + 2);
        if (it == 200) Send(wfd, kDirtying, it);
      }
    }
    case Mode::kSyncCycles: {
      for (uint32_t v = 1;; v++) {
        for (db_pgno_t p = 0; p < n; p++) PutVersion(wfd, mpf, p, v);
        CHILD_CHECK(memp_fsync(mpf));
        Send(wfd, kSynced, v);
      }
    }
  }
  _exit(5);
}

// ---------------------------------------------------------------- parent

unsigned long long Seed() { return EnvU64("LFM_SEED", kDefaultSeed); }

// Reads one message, waiting at most kDeadlineMs. false on EOF / timeout.
bool ReadMsg(int fd, Msg *m, std::string *why, int timeout_ms = kDeadlineMs) {
  char *p = reinterpret_cast<char *>(m);
  size_t done = 0;
  while (done < sizeof *m) {
    struct pollfd pfd = {fd, POLLIN, 0};
    int r = ::poll(&pfd, 1, timeout_ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      *why = "no message from the child within " + std::to_string(timeout_ms) +
             " ms";
      return false;
    }
    ssize_t n = ::read(fd, p + done, sizeof *m - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *why = "the child closed the pipe (it died)";
      return false;
    }
    done += static_cast<size_t>(n);
  }
  if (m->kind == kError) {
    *why = "the child failed: error " + std::to_string(m->value) + " (" +
           strerror(static_cast<int>(m->value)) + ") at line " +
           std::to_string(m->line) + " of writeback_crash_test.cc";
    return false;
  }
  return true;
}

struct Outcome {
  uint32_t synced = 0;  // the last version the child reported synced
  bool ok = true;
  std::string why;
};

// Forks the child, waits for the kill point the plan picks, kills it with
// SIGKILL, reaps it, and returns what it reported.
Outcome RunChild(const Plan &plan) {
  Outcome out;
  int fds[2];
  if (::pipe(fds) != 0) {
    out.ok = false;
    out.why = std::string("pipe: ") + strerror(errno);
    return out;
  }
  fflush(stdout);
  fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    out.ok = false;
    out.why = std::string("fork: ") + strerror(errno);
    return out;
  }
  if (pid == 0) {
    ::close(fds[0]);
    Child(plan, fds[1]);
  }
  ::close(fds[1]);
  Rng rng(plan.seed ^ 0xabcdefULL);
  Msg m;
  switch (plan.mode) {
    case Mode::kSyncThenBlock:
      if (!ReadMsg(fds[0], &m, &out.why) || m.kind != kSynced) {
        out.ok = false;
        break;
      }
      out.synced = m.value;
      if (!plan.kill_at_once &&
          (!ReadMsg(fds[0], &m, &out.why) || m.kind != kDirtying))
        out.ok = false;
      break;
    case Mode::kDirtyLoop:
      if (!ReadMsg(fds[0], &m, &out.why) || m.kind != kSynced) {
        out.ok = false;
        break;
      }
      out.synced = m.value;
      if (!ReadMsg(fds[0], &m, &out.why) || m.kind != kDirtying) {
        out.ok = false;
        break;
      }
      // A seeded moment inside the loop of puts.
      usleep(static_cast<useconds_t>(rng.Below(3000)));
      break;
    case Mode::kSyncCycles: {
      const uint64_t k = 2 + rng.Below(4);
      for (uint64_t i = 0; i < k && out.ok; i++) {
        if (!ReadMsg(fds[0], &m, &out.why) || m.kind != kSynced)
          out.ok = false;
        else
          out.synced = m.value;
      }
      if (out.ok) usleep(static_cast<useconds_t>(rng.Below(2000)));
      break;
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  // Syncs the child reported before it died count too.
  while (out.ok) {
    std::string why;
    if (!ReadMsg(fds[0], &m, &why, 0)) {
      if (why.rfind("the child failed", 0) == 0) {
        out.ok = false;
        out.why = why;
      }
      break;
    }
    if (m.kind == kSynced) out.synced = m.value;
  }
  ::close(fds[0]);
  if (out.ok && !(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
    out.ok = false;
    out.why = "the child ended on its own, status " + std::to_string(status);
  }
  return out;
}

// Checks the file after the kill. Pages [0, synced_pages) must be whole and
// hold a version in [min_version, max_version]; pages past them (up to
// `extra`) must be whole or all zero or absent.
void CheckFile(const std::string &path, db_pgno_t synced_pages,
               uint32_t min_version, uint32_t max_version, db_pgno_t extra,
               const std::string &round) {
  const long long size = FileSize(path);
  ASSERT_GE(size, static_cast<long long>(synced_pages * kPage)) << round;
  EXPECT_EQ(size % static_cast<long long>(kPage), 0)
      << round << ": a partial page at the end of the file";
  int bad = 0;
  for (db_pgno_t p = 0; p < synced_pages + extra && bad < 5; p++) {
    std::vector<uint8_t> v = ReadPage(path, p, kPage);
    if (p >= synced_pages) {
      if (v.size() < kPage || codec::AllZeroBytes(v.data(), kPage)) continue;
    }
    ASSERT_EQ(v.size(), kPage) << round << ": page " << p;
    uint32_t ver = 0;
    std::string why;
    if (!CheckPage(v.data(), kPage, p, &ver, &why)) {
      ADD_FAILURE() << round << ": on disk: " << why;
      bad++;
      continue;
    }
    if (p < synced_pages && (ver < min_version || ver > max_version)) {
      ADD_FAILURE() << round << ": page " << p << " has version " << ver
                    << ", the sync covered version " << min_version
                    << " (at most " << max_version << " possible)";
      bad++;
    }
  }
}

class WritebackCrash : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = Seed();
    printf("[ crash    ] LFM_SEED=%llu\n", seed_);
    ::testing::Test::RecordProperty("seed", std::to_string(seed_));
  }
  unsigned long long seed_ = 0;
};

// Flushers off: the synced pages hold exactly the synced bytes, although
// the child dirtied them again; nothing unsynced reached the file.
TEST_F(WritebackCrash, SyncedPagesSurviveKillAfterSync) {
  for (int round = 0; round < 4; round++) {
    TempDir dir;
    Plan plan{Mode::kSyncThenBlock,
              dir.File("crash.db"),
              32,
              64 * kPage,
              seed_ + static_cast<uint64_t>(round),
              round % 2 == 0};
    const std::string name = "round " + std::to_string(round) +
                             (plan.kill_at_once ? " (killed while dirtying)"
                                                : " (killed while blocked)");
    Outcome o = RunChild(plan);
    ASSERT_TRUE(o.ok) << name << ": " << o.why;
    ASSERT_EQ(o.synced, 1u) << name;
    ASSERT_NO_FATAL_FAILURE(CheckFile(plan.path, plan.npages, 1, 1, 0, name));
    EXPECT_EQ(FileSize(plan.path), static_cast<long long>(plan.npages * kPage))
        << name << ": pages put after the sync reached the file";
  }
}

// Flushers on, a small pool (evictions), killed inside a loop of puts:
// every synced page is whole with the synced version or a later one; every
// other page is whole or zero.
TEST_F(WritebackCrash, SyncedPagesSurviveKillWhileDirtying) {
  for (int round = 0; round < 4; round++) {
    TempDir dir;
    Plan plan{Mode::kDirtyLoop,
              dir.File("crash.db"),
              32,
              16 * kPage,
              seed_ + 100 + static_cast<uint64_t>(round),
              false};
    const std::string name = "round " + std::to_string(round);
    Outcome o = RunChild(plan);
    ASSERT_TRUE(o.ok) << name << ": " << o.why;
    ASSERT_NO_FATAL_FAILURE(
        CheckFile(plan.path, plan.npages, 1, 0xFFFFFFFFu, plan.npages, name));
  }
}

// Flushers on, repeated rewrite-and-sync cycles, killed at a seeded moment
// (possibly inside a sync): every page holds the last version reported
// synced, or the one after it.
TEST_F(WritebackCrash, LastReportedSyncSurvivesKillDuringCycles) {
  for (int round = 0; round < 4; round++) {
    TempDir dir;
    Plan plan{Mode::kSyncCycles,
              dir.File("crash.db"),
              24,
              16 * kPage,
              seed_ + 200 + static_cast<uint64_t>(round),
              false};
    const std::string name = "round " + std::to_string(round);
    Outcome o = RunChild(plan);
    ASSERT_TRUE(o.ok) << name << ": " << o.why;
    ASSERT_GE(o.synced, 2u) << name;
    ASSERT_NO_FATAL_FAILURE(
        CheckFile(plan.path, plan.npages, o.synced, o.synced + 1, 0, name));
  }
}

}  // namespace
}  // namespace lfmtest
