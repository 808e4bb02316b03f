// Multi-threaded stress of one DB_MPOOL / DB_MPOOLFILE (DB_THREAD).
//
// Every page carries an invariant: bytes 0..3 = pgno, 4..7 = version, 8..11 =
// a checksum of the body, and the body is a function of (pgno, version). A
// dirty put bumps the version and refills the page. The test keeps each
// page's expected version (guarded, with the page content, by a per-page
// std::mutex: the pool has no page latches) and checks every read against
// it, so a dirty page lost across an eviction shows up as an old version.
//
// Seed: $LFM_SEED (default kDefaultSeed). Ops per thread: $LFM_STRESS_OPS
// (default kDefaultOps).
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace lfmtest {
namespace {

constexpr unsigned long long kDefaultSeed = 0x1f5eedULL;
constexpr unsigned long long kDefaultOps = 20000;
// Consecutive ENOMEMs (with no pin of its own held) after which a thread
// gives up and reports a hang.
constexpr long kEnomemStreakLimit = 5000000;

// ---------------------------------------------------------------- page codec
//
// Layout: bytes 0..3 pgno, 4..7 version, 8..11 checksum of bytes 16.., 12..15
// zero, then 64-bit words that are a function of (pgno, version, index).
// Everything is accessed a 64-bit word at a time (memcpy), which keeps the
// per-op cost low under ThreadSanitizer.

constexpr size_t kHeader = 16;

inline uint64_t BodyWord(uint32_t pgno, uint32_t version, size_t j) {
  uint64_t z = (static_cast<uint64_t>(pgno) << 32 | version) +
               (static_cast<uint64_t>(j) + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline uint64_t Load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

inline uint32_t Fold(uint64_t h) {
  return static_cast<uint32_t>(h ^ (h >> 32));
}

inline uint64_t Mix(uint64_t h, uint64_t w) {
  h ^= w;
  return (h << 7 | h >> 57) * 0x100000001B3ULL;
}

void FillPage(void *page, size_t ps, uint32_t pgno, uint32_t version) {
  uint8_t *p = static_cast<uint8_t *>(page);
  uint64_t h = 0;
  for (size_t off = kHeader, j = 0; off + 8 <= ps; off += 8, j++) {
    const uint64_t w = BodyWord(pgno, version, j);
    memcpy(p + off, &w, sizeof w);
    h = Mix(h, w);
  }
  PutU32(p, 0, pgno);
  PutU32(p, 4, version);
  PutU32(p, 8, Fold(h));
  PutU32(p, 12, 0);
}

// Checks the invariant; on success stores the version.
bool CheckPage(const void *page, size_t ps, uint32_t pgno, uint32_t *version,
               std::string *why) {
  const uint8_t *p = static_cast<const uint8_t *>(page);
  const uint32_t got_pgno = GetU32(p, 0), ver = GetU32(p, 4);
  const std::string what =
      "page " + std::to_string(pgno) + " version " + std::to_string(ver);
  if (got_pgno != pgno) {
    *why = what + ": holds pgno " + std::to_string(got_pgno);
    return false;
  }
  uint64_t h = 0;
  size_t bad = 0;
  for (size_t off = kHeader, j = 0; off + 8 <= ps; off += 8, j++) {
    const uint64_t w = Load64(p + off);
    if (w != BodyWord(pgno, ver, j) && bad == 0) bad = off;
    h = Mix(h, w);
  }
  if (GetU32(p, 8) != Fold(h) || GetU32(p, 12) != 0) {
    *why = what + ": bad checksum";
    return false;
  }
  if (bad != 0) {
    *why = what + ": body differs at byte " + std::to_string(bad);
    return false;
  }
  *version = ver;
  return true;
}

// pgin/pgout that XOR the page with 0xFF; the page size is the pgcookie
// (a native u_int32_t). Stateless, so safe from any thread.
int XorHook(db_pgno_t, void *pgaddr, DBT *cookie) {
  if (cookie == nullptr || cookie->data == nullptr ||
      cookie->size != sizeof(uint32_t))
    return EINVAL;
  uint32_t ps;
  memcpy(&ps, cookie->data, sizeof ps);
  uint8_t *p = static_cast<uint8_t *>(pgaddr);
  for (uint32_t i = 0; i + 8 <= ps; i += 8) {
    uint64_t w = Load64(p + i) ^ ~uint64_t{0};
    memcpy(p + i, &w, sizeof w);
  }
  return 0;
}

// ---------------------------------------------------------------- harness

struct Config {
  int threads = 4;
  db_pgno_t pages = 512;
  size_t mp_size = 64 * 4096;
  size_t pagesize = 4096;
  size_t max_pins = 3;       // pins a worker may hold at once
  unsigned write_pct = 30;   // % of gets that modify the page
  bool xor_hooks = false;    // register XOR pgin/pgout (ftype 1)
  int new_per_thread = 0;    // > 0: workers also append with DB_MPOOL_NEW
  bool cross_thread = false; // producers pin, consumers put
};

unsigned long long Seed() { return EnvU64("LFM_SEED", kDefaultSeed); }
unsigned long long OpsPerThread() {
  return EnvU64("LFM_STRESS_OPS", kDefaultOps);
}

// splitmix64
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
};

struct Slot {
  std::mutex m;
  uint32_t version = 0;            // guarded by m
  std::atomic<bool> published{false};  // readable by everyone
  std::atomic<int> claimed{0};     // times DB_MPOOL_NEW returned this pgno
};

struct Item {
  void *page;
  db_pgno_t pgno;
  unsigned long flags;
};

// A bounded blocking queue of pinned pages (cross-thread release variant).
class Queue {
 public:
  explicit Queue(size_t cap) : cap_(cap) {}
  void Push(const Item &it) {
    std::unique_lock<std::mutex> l(m_);
    not_full_.wait(l, [&] { return q_.size() < cap_; });
    q_.push_back(it);
    not_empty_.notify_one();
  }
  bool Pop(Item *it) {
    std::unique_lock<std::mutex> l(m_);
    not_empty_.wait(l, [&] { return !q_.empty() || closed_; });
    if (q_.empty()) return false;
    *it = q_.front();
    q_.pop_front();
    not_full_.notify_one();
    return true;
  }
  void Close() {
    std::lock_guard<std::mutex> l(m_);
    closed_ = true;
    not_empty_.notify_all();
  }

 private:
  std::mutex m_;
  std::condition_variable not_full_, not_empty_;
  std::deque<Item> q_;
  size_t cap_;
  bool closed_ = false;
};

class Stress {
 public:
  explicit Stress(const Config &c)
      : cfg_(c), seed_(Seed()), ops_(OpsPerThread()) {
    capacity_ = cfg_.pages +
                static_cast<db_pgno_t>(cfg_.threads * cfg_.new_per_thread);
    slots_.reset(new Slot[capacity_]);
  }

  void Run() {
    std::printf("[ stress   ] LFM_SEED=%llu LFM_STRESS_OPS=%llu threads=%d "
                "pages=%u frames=%zu\n",
                seed_, ops_, cfg_.threads, cfg_.pages,
                cfg_.mp_size / cfg_.pagesize);
    ::testing::Test::RecordProperty("seed", std::to_string(seed_));
    ::testing::Test::RecordProperty("ops_per_thread", std::to_string(ops_));
    path_ = dir_.File("stress.db");
    ASSERT_NO_FATAL_FAILURE(MakeInitialFile());
    ASSERT_EQ(OpenPool(cfg_.mp_size, &mp_, DB_THREAD), 0);
    uint32_t ps32 = static_cast<uint32_t>(cfg_.pagesize);
    DBT cookie;
    memset(&cookie, 0, sizeof cookie);
    cookie.data = &ps32;
    cookie.size = sizeof ps32;
    if (cfg_.xor_hooks) {
      ASSERT_EQ(memp_register(mp_, 1, XorHook, XorHook), 0);
      ASSERT_EQ(OpenFile(mp_, path_, cfg_.pagesize, &mpf_, 0, 1, -1, &cookie),
                0);
    } else {
      ASSERT_EQ(OpenFile(mp_, path_, cfg_.pagesize, &mpf_), 0);
    }
    for (db_pgno_t p = 0; p < cfg_.pages; p++) slots_[p].published = true;
    next_new_hint_ = cfg_.pages;

    std::vector<std::thread> threads;
    if (cfg_.cross_thread) {
      Queue q(std::max<size_t>(2, cfg_.mp_size / cfg_.pagesize / 4));
      const int producers = std::max(1, cfg_.threads / 2);
      std::vector<std::thread> prod;
      for (int t = 0; t < producers; t++)
        prod.emplace_back([this, t, &q] { Producer(t, &q); });
      for (int t = producers; t < cfg_.threads; t++)
        threads.emplace_back([this, &q] { Consumer(&q); });
      for (auto &th : prod) th.join();
      q.Close();
      for (auto &th : threads) th.join();
    } else {
      for (int t = 0; t < cfg_.threads; t++)
        threads.emplace_back([this, t] { Worker(t); });
      for (auto &th : threads) th.join();
    }
    ReportFailures();

    DB_MPOOL_STAT s = Stat(mp_);
    EXPECT_GE(s.st_cache_hit + s.st_cache_miss,
              static_cast<unsigned long>(gets_.load()));
    std::printf("[ stress   ] gets=%ld enomem=%ld news=%ld hit=%lu miss=%lu "
                "in=%lu out=%lu ro_evict=%lu rw_evict=%lu\n",
                gets_.load(), enomem_.load(), news_.load(), s.st_cache_hit,
                s.st_cache_miss, s.st_page_in, s.st_page_out, s.st_ro_evict,
                s.st_rw_evict);
    EXPECT_GT(gets_.load(), 0);
    EXPECT_EQ(memp_fsync(mpf_), 0) << "pins left behind?";
    EXPECT_EQ(memp_fclose(mpf_), 0);
    EXPECT_EQ(memp_close(mp_), 0);
    mp_ = nullptr;
    VerifyFile();
  }

  ~Stress() {
    if (mp_ != nullptr) memp_close(mp_);
  }

 private:
  void MakeInitialFile() {
    std::vector<uint8_t> all(cfg_.pages * cfg_.pagesize);
    for (db_pgno_t p = 0; p < cfg_.pages; p++) {
      uint8_t *pg = all.data() + p * cfg_.pagesize;
      FillPage(pg, cfg_.pagesize, p, 0);
      if (cfg_.xor_hooks)
        for (size_t i = 0; i < cfg_.pagesize; i++) pg[i] ^= 0xFF;
    }
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

  // Checks a pinned page against the test's expected version and, when
  // `write`, bumps it. Returns false on a mismatch.
  bool Touch(void *page, db_pgno_t pgno, bool write) {
    Slot &s = slots_[pgno];
    std::lock_guard<std::mutex> l(s.m);
    uint32_t ver = 0;
    std::string why;
    if (!CheckPage(page, cfg_.pagesize, pgno, &ver, &why)) {
      Fail(why + " (expected version " + std::to_string(s.version) + ")");
      return false;
    }
    if (ver != s.version) {
      Fail("page " + std::to_string(pgno) + " read version " +
           std::to_string(ver) + ", expected " + std::to_string(s.version));
      return false;
    }
    if (write) {
      s.version++;
      FillPage(page, cfg_.pagesize, pgno, s.version);
    }
    return true;
  }

  db_pgno_t PickPage(Rng &rng) {
    const db_pgno_t hint = next_new_hint_.load(std::memory_order_relaxed);
    db_pgno_t p = static_cast<db_pgno_t>(rng.Below(hint));
    if (!slots_[p].published.load(std::memory_order_acquire))
      p %= cfg_.pages;
    return p;
  }

  void Put(void *page, unsigned long flags) {
    int rc = memp_fput(mpf_, page, flags);
    if (rc != 0) Fail("memp_fput returned " + std::to_string(rc));
  }

  // Appends one page with DB_MPOOL_NEW: it must be all zeroes and its
  // number must never have been returned before.
  int NewPage() {
    db_pgno_t pg = 0;
    void *page = nullptr;
    int rc = memp_fget(mpf_, &pg, DB_MPOOL_NEW, &page);
    if (rc != 0) return rc;
    news_++;
    gets_++;
    if (pg < cfg_.pages || pg >= capacity_) {
      Fail("DB_MPOOL_NEW returned page " + std::to_string(pg) +
           " outside [" + std::to_string(cfg_.pages) + ", " +
           std::to_string(capacity_) + ")");
      Put(page, 0);
      return 0;
    }
    if (slots_[pg].claimed.fetch_add(1) != 0)
      Fail("DB_MPOOL_NEW returned page " + std::to_string(pg) + " twice");
    if (!AllZero(page, cfg_.pagesize))
      Fail("DB_MPOOL_NEW page " + std::to_string(pg) + " is not zeroed");
    {
      Slot &s = slots_[pg];
      std::lock_guard<std::mutex> l(s.m);
      s.version = 1;
      FillPage(page, cfg_.pagesize, pg, 1);
    }
    Put(page, DB_MPOOL_DIRTY);
    slots_[pg].published.store(true, std::memory_order_release);
    db_pgno_t h = next_new_hint_.load();
    while (h < pg + 1 && !next_new_hint_.compare_exchange_weak(h, pg + 1)) {
    }
    return 0;
  }

  void Worker(int t) {
    Rng rng(seed_ * 0x100000001B3ULL + static_cast<uint64_t>(t) + 1);
    std::vector<Item> held;
    auto release_all = [&] {
      for (const Item &it : held) Put(it.page, it.flags);
      held.clear();
    };
    int news_left = cfg_.new_per_thread;
    long streak = 0;
    for (unsigned long long op = 0; op < ops_ && !TooManyFailures();) {
      if (!held.empty() && (held.size() >= cfg_.max_pins || rng.Below(2))) {
        size_t i = rng.Below(held.size());
        Put(held[i].page, held[i].flags);
        held.erase(held.begin() + static_cast<long>(i));
      }
      int rc;
      if (news_left > 0 && rng.Below(ops_) < static_cast<uint64_t>(
                                                  cfg_.new_per_thread * 4)) {
        rc = NewPage();
        if (rc == 0) {
          news_left--;
          op++;
          streak = 0;
          continue;
        }
      } else {
        db_pgno_t pgno = PickPage(rng);
        db_pgno_t pg = pgno;
        void *page = nullptr;
        rc = memp_fget(mpf_, &pg, 0, &page);
        if (rc == 0) {
          streak = 0;
          op++;
          gets_++;
          const bool write = rng.Below(100) < cfg_.write_pct;
          Touch(page, pgno, write);
          unsigned long flags = write ? DB_MPOOL_DIRTY : 0;
          const uint64_t how = rng.Below(16);
          if (write && how == 0) {
            int r = memp_fset(mpf_, page, DB_MPOOL_DIRTY);
            if (r != 0) Fail("memp_fset returned " + std::to_string(r));
            flags = 0;
          } else if (!write && how == 1) {
            flags = DB_MPOOL_DISCARD;
          }
          if (held.size() < cfg_.max_pins && rng.Below(3) == 0)
            held.push_back(Item{page, pgno, flags});
          else
            Put(page, flags);
          if (t == 0 && op % 997 == 0) {
            int r = memp_fsync(mpf_);
            if (r != 0 && r != DB_INCOMPLETE)
              Fail("memp_fsync returned " + std::to_string(r));
          }
          if (t == 1 && op % 1999 == 0) {
            LSN lsn = {0xFFFFFFFFu, 0xFFFFFFFFu};
            int r = memp_sync(mp_, &lsn);
            if (r != 0 && r != DB_INCOMPLETE)
              Fail("memp_sync returned " + std::to_string(r));
            DB_MPOOL_STAT *gs = nullptr;
            if (memp_stat(mp_, &gs, nullptr, nullptr) != 0)
              Fail("memp_stat failed");
            free(gs);
          }
          continue;
        }
      }
      if (rc == ENOMEM) {
        enomem_++;
        const bool had = !held.empty();
        release_all();
        if (!had && ++streak > kEnomemStreakLimit) {
          Fail("thread " + std::to_string(t) +
               ": ENOMEM forever with no pin of its own held");
          break;
        }
        std::this_thread::yield();
        continue;
      }
      Fail("memp_fget returned " + std::to_string(rc));
      op++;
    }
    release_all();
  }

  void Producer(int t, Queue *q) {
    Rng rng(seed_ * 0x100000001B3ULL + static_cast<uint64_t>(t) + 1);
    long streak = 0;
    for (unsigned long long op = 0; op < ops_ && !TooManyFailures();) {
      db_pgno_t pgno = PickPage(rng);
      db_pgno_t pg = pgno;
      void *page = nullptr;
      int rc = memp_fget(mpf_, &pg, 0, &page);
      if (rc == ENOMEM) {
        enomem_++;
        if (++streak > kEnomemStreakLimit) {
          Fail("producer " + std::to_string(t) + ": ENOMEM forever");
          break;
        }
        std::this_thread::yield();
        continue;
      }
      streak = 0;
      op++;
      if (rc != 0) {
        Fail("memp_fget returned " + std::to_string(rc));
        continue;
      }
      gets_++;
      const bool write = rng.Below(100) < cfg_.write_pct;
      Touch(page, pgno, write);
      q->Push(Item{page, pgno, write ? static_cast<unsigned long>(DB_MPOOL_DIRTY)
                                     : 0UL});
    }
  }

  void Consumer(Queue *q) {
    Item it;
    while (q->Pop(&it)) {
      Touch(it.page, it.pgno, false);  // still pinned: still the same page
      Put(it.page, it.flags);
    }
  }

  void VerifyFile() {
    db_pgno_t total = cfg_.pages;
    if (cfg_.new_per_thread > 0) {
      const long n = news_.load();
      total = cfg_.pages + static_cast<db_pgno_t>(n);
      // The numbers returned by DB_MPOOL_NEW are distinct and contiguous.
      for (db_pgno_t p = cfg_.pages; p < capacity_; p++) {
        const int c = slots_[p].claimed.load();
        if (p < total) {
          EXPECT_EQ(c, 1) << "page " << p << " returned " << c << " times";
        } else {
          EXPECT_EQ(c, 0) << "page " << p << " beyond the " << n
                          << " appended";
        }
      }
    }
    EXPECT_EQ(FileSize(path_),
              static_cast<long long>(total) *
                  static_cast<long long>(cfg_.pagesize));
    int bad = 0;
    for (db_pgno_t p = 0; p < total && bad < 10; p++) {
      std::vector<uint8_t> v = ReadPage(path_, p, cfg_.pagesize);
      if (v.size() != cfg_.pagesize) {
        ADD_FAILURE() << "page " << p << ": short read " << v.size();
        bad++;
        continue;
      }
      if (cfg_.xor_hooks) v = Xor(v);
      uint32_t ver = 0;
      std::string why;
      if (!CheckPage(v.data(), cfg_.pagesize, p, &ver, &why)) {
        ADD_FAILURE() << "on disk: " << why;
        bad++;
      } else if (ver != slots_[p].version) {
        ADD_FAILURE() << "on disk: page " << p << " version " << ver
                      << ", expected " << slots_[p].version;
        bad++;
      }
    }
  }

  Config cfg_;
  unsigned long long seed_, ops_;
  TempDir dir_;
  std::string path_;
  DB_MPOOL *mp_ = nullptr;
  DB_MPOOLFILE *mpf_ = nullptr;
  db_pgno_t capacity_ = 0;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<db_pgno_t> next_new_hint_{0};
  std::atomic<long> failures_{0}, gets_{0}, enomem_{0}, news_{0};
  std::mutex msg_mu_;
  std::vector<std::string> msgs_;
};

// ---------------------------------------------------------------- tests

TEST(MempStress, FourThreadsRandomGetPutDirty) {
  Config c;
  c.threads = 4;
  Stress(c).Run();
}

TEST(MempStress, EightThreadsRandomGetPutDirty) {
  Config c;
  c.threads = 8;
  Stress(c).Run();
}

// 5 frames for 4 threads holding up to 2 pins each: ENOMEM is common and
// every read is likely a miss.
TEST(MempStress, TinyPoolFourThreads) {
  Config c;
  c.threads = 4;
  c.pages = 64;
  c.mp_size = kSmallPool;
  c.max_pins = 2;
  c.write_pct = 40;
  Stress(c).Run();
}

TEST(MempStress, ConcurrentAppendsWithNew) {
  Config c;
  c.threads = 4;
  c.pages = 256;
  c.new_per_thread = 64;
  Stress(c).Run();
}

TEST(MempStress, PagesReleasedByAnotherThread) {
  Config c;
  c.threads = 4;
  c.cross_thread = true;
  Stress(c).Run();
}

TEST(MempStress, XorPginPgoutUnderContention) {
  Config c;
  c.threads = 4;
  c.pages = 128;
  c.mp_size = 16 * 4096;
  c.xor_hooks = true;
  Stress(c).Run();
}

}  // namespace
}  // namespace lfmtest
