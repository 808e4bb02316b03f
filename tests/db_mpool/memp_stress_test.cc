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
#include "tests/common/test_util.h"

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

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%x", v);
  return buf;
}

// Checks the invariant (pgno here is the page id: pgno | file tag << 24); on
// success stores the version.
bool CheckPage(const void *page, size_t ps, uint32_t pgno, uint32_t *version,
               std::string *why) {
  const uint8_t *p = static_cast<const uint8_t *>(page);
  const uint32_t got_pgno = GetU32(p, 0), ver = GetU32(p, 4);
  std::string what = "page " + std::to_string(pgno & 0xFFFFFF);
  if (pgno >> 24) what += " (file tag " + std::to_string(pgno >> 24) + ")";
  what += " version " + std::to_string(ver);
  if (got_pgno != pgno) {
    *why = what + ": holds page id 0x" + Hex(got_pgno) + ", not 0x" + Hex(pgno);
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
  db_pgno_t pages = 512;  // initial pages per file
  size_t mp_size = 64 * 4096;
  size_t pagesize = 4096;  // file f has pagesize >> f when mixed_pagesizes
  int files = 1;           // files sharing the pool
  bool mixed_pagesizes = false;
  size_t max_pins = 3;         // pins a worker may hold at once
  unsigned write_pct = 30;     // % of gets that modify the page
  bool xor_hooks = false;      // register XOR pgin/pgout (ftype 1)
  int new_per_thread = 0;      // > 0: workers also append with DB_MPOOL_NEW
  bool cross_thread = false;   // producers pin, consumers put
  unsigned long long ops = 0;  // per thread; 0: LFM_STRESS_OPS or default
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
  uint32_t version = 0;                // guarded by m
  std::atomic<bool> published{false};  // readable by everyone
  std::atomic<int> claimed{0};         // times DB_MPOOL_NEW returned this pgno
};

// One file in the pool. Page pgno of file f carries the id pgno | f << 24 in
// its header, so a page of one file showing up in another is caught too.
struct FileState {
  std::string path;
  size_t ps = 0;
  uint32_t ps32 = 0;  // the pgcookie of the XOR hooks
  DB_MPOOLFILE *mpf = nullptr;
  db_pgno_t capacity = 0;
  std::unique_ptr<Slot[]> slots;
  std::atomic<db_pgno_t> hint{0};  // pages [0, hint) may be published
  uint32_t Id(db_pgno_t pgno) const { return pgno | tag; }
  uint32_t tag = 0;
};

struct Item {
  void *page;
  int file;
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
      : cfg_(c), seed_(Seed()), ops_(c.ops ? c.ops : OpsPerThread()) {
    for (int f = 0; f < cfg_.files; f++) {
      files_.emplace_back(new FileState);
      FileState &fs = *files_.back();
      fs.path = dir_.File("stress" + std::to_string(f) + ".db");
      fs.ps = cfg_.mixed_pagesizes ? cfg_.pagesize >> f : cfg_.pagesize;
      fs.ps32 = static_cast<uint32_t>(fs.ps);
      fs.tag = static_cast<uint32_t>(f) << 24;
      fs.capacity = cfg_.pages +
                    static_cast<db_pgno_t>(cfg_.threads * cfg_.new_per_thread);
      fs.slots.reset(new Slot[fs.capacity]);
      for (db_pgno_t p = 0; p < cfg_.pages; p++) fs.slots[p].published = true;
      fs.hint = cfg_.pages;
    }
  }

  void Run() {
    std::printf(
        "[ stress   ] LFM_SEED=%llu LFM_STRESS_OPS=%llu threads=%d "
        "files=%d pages=%u frames=%zu\n",
        seed_, ops_, cfg_.threads, cfg_.files, cfg_.pages,
        cfg_.mp_size / cfg_.pagesize);
    ::testing::Test::RecordProperty("seed", std::to_string(seed_));
    ::testing::Test::RecordProperty("ops_per_thread", std::to_string(ops_));
    ASSERT_EQ(OpenPool(cfg_.mp_size, &mp_, DB_THREAD), 0);
    if (cfg_.xor_hooks) {
      ASSERT_EQ(memp_register(mp_, 1, XorHook, XorHook), 0);
    }
    for (auto &fp : files_) {
      FileState &fs = *fp;
      ASSERT_NO_FATAL_FAILURE(MakeInitialFile(fs));
      DBT cookie;
      memset(&cookie, 0, sizeof cookie);
      cookie.data = &fs.ps32;
      cookie.size = sizeof fs.ps32;
      ASSERT_EQ(OpenFile(mp_, fs.path, fs.ps, &fs.mpf, 0,
                         cfg_.xor_hooks ? 1 : 0, -1, &cookie),
                0);
    }

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
    std::printf(
        "[ stress   ] gets=%ld enomem=%ld news=%ld hit=%lu miss=%lu "
        "in=%lu out=%lu ro_evict=%lu rw_evict=%lu\n",
        gets_.load(), enomem_.load(), news_.load(), s.st_cache_hit,
        s.st_cache_miss, s.st_page_in, s.st_page_out, s.st_ro_evict,
        s.st_rw_evict);
    EXPECT_GT(gets_.load(), 0);
    for (auto &fp : files_) {
      EXPECT_EQ(memp_fsync(fp->mpf), 0) << "pins left behind?";
      EXPECT_EQ(memp_fclose(fp->mpf), 0);
    }
    EXPECT_EQ(memp_close(mp_), 0);
    mp_ = nullptr;
    for (auto &fp : files_) VerifyFile(*fp);
  }

  ~Stress() {
    if (mp_ != nullptr) memp_close(mp_);
  }

 private:
  void MakeInitialFile(const FileState &fs) {
    std::vector<uint8_t> all(cfg_.pages * fs.ps);
    for (db_pgno_t p = 0; p < cfg_.pages; p++) {
      uint8_t *pg = all.data() + p * fs.ps;
      FillPage(pg, fs.ps, fs.Id(p), 0);
      if (cfg_.xor_hooks)
        for (size_t i = 0; i < fs.ps; i++) pg[i] ^= 0xFF;
    }
    ASSERT_TRUE(WriteAll(fs.path, all.data(), all.size()));
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
  bool Touch(FileState &fs, void *page, db_pgno_t pgno, bool write) {
    Slot &s = fs.slots[pgno];
    std::lock_guard<std::mutex> l(s.m);
    uint32_t ver = 0;
    std::string why;
    if (!CheckPage(page, fs.ps, fs.Id(pgno), &ver, &why)) {
      Fail(fs.path + ": " + why + " (expected version " +
           std::to_string(s.version) + ")");
      return false;
    }
    if (ver != s.version) {
      Fail(fs.path + ": page " + std::to_string(pgno) + " read version " +
           std::to_string(ver) + ", expected " + std::to_string(s.version));
      return false;
    }
    if (write) {
      s.version++;
      FillPage(page, fs.ps, fs.Id(pgno), s.version);
    }
    return true;
  }

  int PickFile(Rng &rng) {
    return cfg_.files == 1 ? 0 : static_cast<int>(rng.Below(cfg_.files));
  }

  db_pgno_t PickPage(FileState &fs, Rng &rng) {
    const db_pgno_t hint = fs.hint.load(std::memory_order_relaxed);
    db_pgno_t p = static_cast<db_pgno_t>(rng.Below(hint));
    if (!fs.slots[p].published.load(std::memory_order_acquire)) p %= cfg_.pages;
    return p;
  }

  void Put(FileState &fs, void *page, unsigned long flags) {
    int rc = memp_fput(fs.mpf, page, flags);
    if (rc != 0) Fail("memp_fput returned " + std::to_string(rc));
  }

  // Appends one page with DB_MPOOL_NEW: it must be all zeroes and its
  // number must never have been returned before.
  int NewPage(FileState &fs) {
    db_pgno_t pg = 0;
    void *page = nullptr;
    int rc = memp_fget(fs.mpf, &pg, DB_MPOOL_NEW, &page);
    if (rc != 0) return rc;
    news_++;
    gets_++;
    if (pg < cfg_.pages || pg >= fs.capacity) {
      Fail("DB_MPOOL_NEW returned page " + std::to_string(pg) + " outside [" +
           std::to_string(cfg_.pages) + ", " + std::to_string(fs.capacity) +
           ")");
      Put(fs, page, 0);
      return 0;
    }
    if (fs.slots[pg].claimed.fetch_add(1) != 0)
      Fail("DB_MPOOL_NEW returned page " + std::to_string(pg) + " twice");
    if (!AllZero(page, fs.ps))
      Fail("DB_MPOOL_NEW page " + std::to_string(pg) + " is not zeroed");
    {
      Slot &s = fs.slots[pg];
      std::lock_guard<std::mutex> l(s.m);
      s.version = 1;
      FillPage(page, fs.ps, fs.Id(pg), 1);
    }
    Put(fs, page, DB_MPOOL_DIRTY);
    fs.slots[pg].published.store(true, std::memory_order_release);
    db_pgno_t h = fs.hint.load();
    while (h < pg + 1 && !fs.hint.compare_exchange_weak(h, pg + 1)) {
    }
    return 0;
  }

  void Worker(int t) {
    Rng rng(seed_ * 0x100000001B3ULL + static_cast<uint64_t>(t) + 1);
    std::vector<Item> held;
    auto release_all = [&] {
      for (const Item &it : held) Put(*files_[it.file], it.page, it.flags);
      held.clear();
    };
    int news_left = cfg_.new_per_thread;
    long streak = 0;
    for (unsigned long long op = 0; op < ops_ && !TooManyFailures();) {
      if (!held.empty() && (held.size() >= cfg_.max_pins || rng.Below(2))) {
        size_t i = rng.Below(held.size());
        Put(*files_[held[i].file], held[i].page, held[i].flags);
        held.erase(held.begin() + static_cast<long>(i));
      }
      const int file = PickFile(rng);
      FileState &fs = *files_[file];
      int rc;
      if (news_left > 0 &&
          rng.Below(ops_) < static_cast<uint64_t>(cfg_.new_per_thread * 4)) {
        rc = NewPage(fs);
        if (rc == 0) {
          news_left--;
          op++;
          streak = 0;
          continue;
        }
      } else {
        const db_pgno_t pgno = PickPage(fs, rng);
        db_pgno_t pg = pgno;
        void *page = nullptr;
        rc = memp_fget(fs.mpf, &pg, 0, &page);
        if (rc == 0) {
          streak = 0;
          op++;
          gets_++;
          const bool write = rng.Below(100) < cfg_.write_pct;
          Touch(fs, page, pgno, write);
          unsigned long flags = write ? DB_MPOOL_DIRTY : 0;
          const uint64_t how = rng.Below(16);
          if (write && how == 0) {
            int r = memp_fset(fs.mpf, page, DB_MPOOL_DIRTY);
            if (r != 0) Fail("memp_fset returned " + std::to_string(r));
            flags = 0;
          } else if (!write && how == 1) {
            flags = DB_MPOOL_DISCARD;
          }
          if (held.size() < cfg_.max_pins && rng.Below(3) == 0)
            held.push_back(Item{page, file, pgno, flags});
          else
            Put(fs, page, flags);
          if (t == 0 && op % 997 == 0) {
            int r = memp_fsync(fs.mpf);
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
      const int file = PickFile(rng);
      FileState &fs = *files_[file];
      const db_pgno_t pgno = PickPage(fs, rng);
      db_pgno_t pg = pgno;
      void *page = nullptr;
      int rc = memp_fget(fs.mpf, &pg, 0, &page);
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
      Touch(fs, page, pgno, write);
      q->Push(Item{page, file, pgno,
                   write ? static_cast<unsigned long>(DB_MPOOL_DIRTY) : 0UL});
    }
  }

  void Consumer(Queue *q) {
    Item it;
    while (q->Pop(&it)) {
      FileState &fs = *files_[it.file];
      Touch(fs, it.page, it.pgno, false);  // still pinned: still the same
      Put(fs, it.page, it.flags);
    }
  }

  void VerifyFile(const FileState &fs) {
    db_pgno_t total = cfg_.pages;
    if (cfg_.new_per_thread > 0) {
      // The numbers returned by DB_MPOOL_NEW are distinct and contiguous.
      db_pgno_t n = 0;
      for (db_pgno_t p = cfg_.pages; p < fs.capacity; p++)
        if (fs.slots[p].claimed.load() != 0) n++;
      total = cfg_.pages + n;
      for (db_pgno_t p = cfg_.pages; p < fs.capacity; p++) {
        const int c = fs.slots[p].claimed.load();
        if (p < total) {
          EXPECT_EQ(c, 1) << fs.path << ": page " << p << " returned " << c
                          << " times";
        } else {
          EXPECT_EQ(c, 0) << fs.path << ": page " << p << " beyond the " << n
                          << " appended";
        }
      }
    }
    EXPECT_EQ(FileSize(fs.path),
              static_cast<long long>(total) * static_cast<long long>(fs.ps))
        << fs.path;
    int bad = 0;
    for (db_pgno_t p = 0; p < total && bad < 10; p++) {
      std::vector<uint8_t> v = ReadPage(fs.path, p, fs.ps);
      if (v.size() != fs.ps) {
        ADD_FAILURE() << fs.path << ": page " << p << ": short read "
                      << v.size();
        bad++;
        continue;
      }
      if (cfg_.xor_hooks) v = Xor(v);
      uint32_t ver = 0;
      std::string why;
      if (!CheckPage(v.data(), fs.ps, fs.Id(p), &ver, &why)) {
        ADD_FAILURE() << "on disk: " << fs.path << ": " << why;
        bad++;
      } else if (ver != fs.slots[p].version) {
        ADD_FAILURE() << "on disk: " << fs.path << ": page " << p << " version "
                      << ver << ", expected " << fs.slots[p].version;
        bad++;
      }
    }
  }

  Config cfg_;
  unsigned long long seed_, ops_;
  TempDir dir_;
  std::vector<std::unique_ptr<FileState>> files_;
  DB_MPOOL *mp_ = nullptr;
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

// Two files with different page sizes compete for the frames of one pool.
TEST(MempStress, TwoFilesMixedPageSizesShareThePool) {
  Config c;
  c.threads = 4;
  c.files = 2;
  c.mixed_pagesizes = true;
  c.pages = 256;
  c.mp_size = 32 * 4096;
  Stress(c).Run();
}

// 8 KiB and 4 KiB pages: a miss whose CLOCK victim is a frame of the other
// size retires it and carves (or revives) one of its own from its bytes,
// many times a run (region.h, mixed page sizes; docs/protocol.md rule 24).
TEST(MempStress, MixedPageSizesRetireFramesForTheLarger) {
  Config c;
  c.threads = 4;
  c.files = 2;
  c.mixed_pagesizes = true;
  c.pagesize = 8192;
  c.pages = 128;
  c.mp_size = 24 * 4096;
  Stress(c).Run();
}

// More threads than the pool has per-thread pin caches (64): the rest pin
// directly and count in shared stripes; threads exit (giving their caches
// back) while the pool lives on, and the final checks run after that.
TEST(MempStress, MoreThreadsThanPinCaches) {
  Config c;
  c.threads = 80;
  c.pages = 256;
  c.mp_size = 128 * 4096;
  c.max_pins = 2;
  c.ops = 1500;
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
