// Multi-threaded stress of one MPOOL (mpool(3) API): 4 threads doing random
// get / put / dirty puts (and some two-page pins and deletes) on 256 pages
// with maxcache 32.
//
// Every page carries an invariant: bytes 0..3 = pgno, 4..7 = version,
// 8..11 = checksum of the body, body a function of (pgno, version). Each
// page has a std::mutex guarding its content and its expected version (the
// pool has no page latches); every read is checked against both. pgin and
// pgout check the invariant of every page read from or written to the file,
// so a torn or stale write shows up. A dirty put bumps the version.
//
// mpool_sync (which writes pinned dirty pages too) runs now and then from
// thread 0 while no page is being modified: writers hold a shared gate,
// the sync holds it exclusively.
//
// At the end: mpool_sync, mpool_close, then every page is read back with
// pread(2) and must carry its expected version.
//
// Seed: $LFM_SEED (default kDefaultSeed), printed. Ops per thread:
// $LFM_STRESS_OPS (default kDefaultOps).
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/common/test_util.h"
#include "mpool.h"

namespace lfmtest {
namespace {

constexpr unsigned long long kDefaultSeed = 0x6d706f6f6cULL;  // "mpool"
constexpr unsigned long long kDefaultOps = 30000;
constexpr pgno_t kPages = 256;
constexpr pgno_t kMaxcache = 32;
constexpr pgno_t kPsz = 1024;
constexpr int kThreads = 4;
constexpr size_t kHeader = 16;

// ---------------------------------------------------------------- codec

uint64_t BodyWord(uint32_t pgno, uint32_t version, size_t j) {
  uint64_t z = (static_cast<uint64_t>(pgno) << 32 | version) +
               (static_cast<uint64_t>(j) + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint32_t Checksum(const uint8_t *p) {
  uint64_t h = 0x243F6A8885A308D3ULL;
  for (size_t off = kHeader; off + 8 <= kPsz; off += 8) {
    uint64_t w;
    memcpy(&w, p + off, sizeof w);
    h ^= w;
    h = (h << 7 | h >> 57) * 0x100000001B3ULL;
  }
  return static_cast<uint32_t>(h ^ (h >> 32));
}

void FillPage(void *page, uint32_t pgno, uint32_t version) {
  uint8_t *p = static_cast<uint8_t *>(page);
  for (size_t off = kHeader, j = 0; off + 8 <= kPsz; off += 8, j++) {
    const uint64_t w = BodyWord(pgno, version, j);
    memcpy(p + off, &w, sizeof w);
  }
  PutU32(p, 0, pgno);
  PutU32(p, 4, version);
  PutU32(p, 8, Checksum(p));
  PutU32(p, 12, 0);
}

// The page is a valid (pgno, some version) page; *version gets its version.
bool ValidPage(const void *page, uint32_t pgno, uint32_t *version) {
  const uint8_t *p = static_cast<const uint8_t *>(page);
  if (GetU32(p, 0) != pgno) return false;
  const uint32_t v = GetU32(p, 4);
  if (GetU32(p, 8) != Checksum(p)) return false;
  for (size_t off = kHeader, j = 0; off + 8 <= kPsz; off += 8, j++) {
    uint64_t w;
    memcpy(&w, p + off, sizeof w);
    if (w != BodyWord(pgno, v, j)) return false;
  }
  if (version != nullptr) *version = v;
  return true;
}

// ---------------------------------------------------------------- hooks

struct HookCounters {
  std::atomic<long> ins{0};
  std::atomic<long> outs{0};
  std::atomic<long> bad_in{0};
  std::atomic<long> bad_out{0};
  std::atomic<long> bad_cookie{0};
};

void StressPgin(void *cookie, pgno_t pgno, void *page) {
  HookCounters *h = static_cast<HookCounters *>(cookie);
  h->ins++;
  if (!ValidPage(page, pgno, nullptr)) h->bad_in++;
}

void StressPgout(void *cookie, pgno_t pgno, void *page) {
  HookCounters *h = static_cast<HookCounters *>(cookie);
  h->outs++;
  if (!ValidPage(page, pgno, nullptr)) h->bad_out++;
}

// ---------------------------------------------------------------- state

struct PageSlot {
  std::mutex mu;         // guards the page's content and `version`
  uint32_t version = 0;  // expected version
};

struct Shared {
  MPOOL *mp = nullptr;
  std::unique_ptr<PageSlot[]> slots{new PageSlot[kPages]};
  std::shared_mutex gate;  // shared: modifying a page; unique: mpool_sync
  std::atomic<long> errors{0};
  std::atomic<long> reads{0}, writes{0}, pairs{0}, deletes{0}, syncs{0};
  std::mutex msg_mu;
  std::string first_error;

  void Error(const std::string &what) {
    if (errors++ == 0) {
      std::lock_guard<std::mutex> g(msg_mu);
      first_error = what;
    }
  }
};

std::string Where(const char *op, pgno_t pg) {
  return std::string(op) + " page " + std::to_string(pg) + ": errno " +
         std::to_string(errno);
}

// Checks a pinned page against its slot (caller holds the slot's mutex).
bool Check(Shared &s, const void *page, pgno_t pg, const char *op) {
  uint32_t v = 0;
  if (!ValidPage(page, pg, &v)) {
    s.Error(Where(op, pg) + ": invariant broken");
    return false;
  }
  if (v != s.slots[pg].version) {
    s.Error(Where(op, pg) + ": version " + std::to_string(v) + ", want " +
            std::to_string(s.slots[pg].version));
    return false;
  }
  return true;
}

// One page: read it, maybe bump its version and put it dirty.
void OnePage(Shared &s, pgno_t pg, bool write) {
  std::shared_lock<std::shared_mutex> gate(s.gate, std::defer_lock);
  if (write) gate.lock();
  std::lock_guard<std::mutex> g(s.slots[pg].mu);
  void *p = mpool_get(s.mp, pg, 0);
  if (p == nullptr) return s.Error(Where("get", pg));
  Check(s, p, pg, write ? "write" : "read");
  unsigned flags = 0;
  if (write) {
    FillPage(p, pg, ++s.slots[pg].version);
    flags = MPOOL_DIRTY;
    s.writes++;
  } else {
    s.reads++;
  }
  if (mpool_put(s.mp, p, flags) != 0) s.Error(Where("put", pg));
}

// Two pages pinned at once (mutexes in page order); the first is checked
// again after the second get (a pinned page keeps its address and content).
void TwoPages(Shared &s, pgno_t a, pgno_t b, bool write) {
  if (a == b) return OnePage(s, a, write);
  if (a > b) std::swap(a, b);
  std::shared_lock<std::shared_mutex> gate(s.gate, std::defer_lock);
  if (write) gate.lock();
  std::lock_guard<std::mutex> ga(s.slots[a].mu);
  std::lock_guard<std::mutex> gb(s.slots[b].mu);
  void *pa = mpool_get(s.mp, a, 0);
  if (pa == nullptr) return s.Error(Where("get", a));
  void *pb = mpool_get(s.mp, b, 0);
  if (pb == nullptr) {
    mpool_put(s.mp, pa, 0);
    return s.Error(Where("get", b));
  }
  if (pa == pb) s.Error(Where("two pages, one address", a));
  Check(s, pb, b, "pair");
  Check(s, pa, a, "pair (first, after the second get)");
  unsigned fb = 0;
  if (write) {
    FillPage(pb, b, ++s.slots[b].version);
    fb = MPOOL_DIRTY;
  }
  if (mpool_put(s.mp, pa, 0) != 0) s.Error(Where("put", a));
  if (mpool_put(s.mp, pb, fb) != 0) s.Error(Where("put", b));
  s.pairs++;
}

// mpool_delete of a pinned page after scribbling on it: the scribble must
// never reach the file. The page reads back as what the file holds: a
// valid version no newer than expected (an unwritten dirty version is
// lost, as documented), which becomes the expected one.
void DeletePage(Shared &s, pgno_t pg) {
  std::shared_lock<std::shared_mutex> gate(s.gate);
  std::lock_guard<std::mutex> g(s.slots[pg].mu);
  void *p = mpool_get(s.mp, pg, 0);
  if (p == nullptr) return s.Error(Where("get", pg));
  Check(s, p, pg, "delete");
  memset(static_cast<uint8_t *>(p) + kHeader, 0xDD, kPsz - kHeader);
  if (mpool_delete(s.mp, p) != 0) return s.Error(Where("delete", pg));
  void *q = mpool_get(s.mp, pg, 0);
  if (q == nullptr) return s.Error(Where("get after delete", pg));
  uint32_t v = 0;
  if (!ValidPage(q, pg, &v)) {
    s.Error(Where("get after delete", pg) + ": invariant broken");
  } else if (v > s.slots[pg].version) {
    s.Error(Where("get after delete", pg) + ": version from the future");
  } else {
    s.slots[pg].version = v;
  }
  if (mpool_put(s.mp, q, 0) != 0) s.Error(Where("put", pg));
  s.deletes++;
}

void Worker(Shared &s, int t, unsigned long long seed, unsigned long long ops) {
  std::mt19937_64 rng(seed ^ (0x9E3779B97F4A7C15ULL * (t + 1)));
  for (unsigned long long i = 0; i < ops && s.errors.load() == 0; i++) {
    const uint64_t r = rng();
    const unsigned dice = static_cast<unsigned>(r % 100);
    // A skewed choice: half the ops on 32 hot pages, half on all 256.
    const pgno_t pg = ((r >> 8) & 1) ? static_cast<pgno_t>((r >> 16) % 32)
                                     : static_cast<pgno_t>((r >> 16) % kPages);
    const pgno_t other = static_cast<pgno_t>((r >> 40) % kPages);
    if (dice < 45) {
      OnePage(s, pg, false);
    } else if (dice < 80) {
      OnePage(s, pg, true);
    } else if (dice < 97) {
      TwoPages(s, pg, other, dice & 1);
    } else if (dice < 99) {
      DeletePage(s, pg);
    } else if (t == 0) {
      std::unique_lock<std::shared_mutex> g(s.gate);
      if (mpool_sync(s.mp) != 0) s.Error(Where("sync", 0));
      s.syncs++;
    }
  }
}

TEST(MpoolStress, FourThreadsRandomGetPutDirty) {
  const unsigned long long seed = EnvU64("LFM_SEED", kDefaultSeed);
  const unsigned long long ops = EnvU64("LFM_STRESS_OPS", kDefaultOps);
  printf("mpool_stress: LFM_SEED=%llu LFM_STRESS_OPS=%llu\n", seed, ops);
  fflush(stdout);
  RecordProperty("seed", std::to_string(seed));

  TempDir dir;
  const std::string path = dir.File("stress.db");
  {
    std::vector<uint8_t> all(static_cast<size_t>(kPages) * kPsz);
    for (pgno_t pg = 0; pg < kPages; pg++) FillPage(&all[pg * kPsz], pg, 0);
    ASSERT_TRUE(WriteAll(path, all.data(), all.size()));
  }
  const int fd = ::open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);

  Shared s;
  HookCounters hooks;
  s.mp = mpool_open(nullptr, fd, kPsz, kMaxcache);
  ASSERT_NE(s.mp, nullptr) << strerror(errno);
  mpool_filter(s.mp, StressPgin, StressPgout, &hooks);

  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++)
    ts.emplace_back(Worker, std::ref(s), t, seed, ops);
  for (auto &th : ts) th.join();

  EXPECT_EQ(s.errors.load(), 0)
      << "first: " << s.first_error << " (LFM_SEED=" << seed << ")";
  EXPECT_EQ(hooks.bad_in.load(), 0) << "pgin saw a broken page";
  EXPECT_EQ(hooks.bad_out.load(), 0) << "pgout saw a broken page";
  printf(
      "mpool_stress: reads %ld writes %ld pairs %ld deletes %ld syncs %ld "
      "pgin %ld pgout %ld\n",
      s.reads.load(), s.writes.load(), s.pairs.load(), s.deletes.load(),
      s.syncs.load(), hooks.ins.load(), hooks.outs.load());
  // 256 pages through 32 frames: the pool must have read and written.
  EXPECT_GT(hooks.ins.load(), static_cast<long>(kPages - kMaxcache));
  EXPECT_GT(hooks.outs.load(), 0);

  // Through the pool once more, then to the file.
  for (pgno_t pg = 0; pg < kPages; pg++) {
    void *p = mpool_get(s.mp, pg, 0);
    ASSERT_NE(p, nullptr) << pg;
    uint32_t v = 0;
    EXPECT_TRUE(ValidPage(p, pg, &v)) << "page " << pg;
    EXPECT_EQ(v, s.slots[pg].version) << "page " << pg;
    EXPECT_EQ(mpool_put(s.mp, p, 0), 0);
  }
  ASSERT_EQ(mpool_sync(s.mp), 0);
  ASSERT_EQ(mpool_close(s.mp), 0);
  EXPECT_NE(fcntl(fd, F_GETFD), -1);
  EXPECT_EQ(::close(fd), 0);

  EXPECT_EQ(FileSize(path), static_cast<long long>(kPages) * kPsz);
  for (pgno_t pg = 0; pg < kPages; pg++) {
    std::vector<uint8_t> v = ReadPage(path, pg, kPsz);
    ASSERT_EQ(v.size(), kPsz) << pg;
    uint32_t ver = 0;
    EXPECT_TRUE(ValidPage(v.data(), pg, &ver)) << "file page " << pg;
    EXPECT_EQ(ver, s.slots[pg].version) << "file page " << pg;
  }
  EXPECT_EQ(hooks.bad_out.load(), 0);
  EXPECT_EQ(hooks.bad_cookie.load(), 0);
}

}  // namespace
}  // namespace lfmtest
