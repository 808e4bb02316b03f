// Mapped reads (src/os/mapread.h): a miss is copied from a read-only MAP_SHARED
// mapping of its file, except a miss of the page after the same thread's
// previous miss (read with pread, so that the kernel reads a scan ahead);
// DB_NOMMAP turns them off for a pool or a file; writes and truncations by
// others are seen as a pread would see them; a copy that faults (the file
// was truncated under the mapping) falls back to pread instead of killing
// the process, and a SIGBUS that is not the pool's goes to the handler
// installed before the pool's, or takes the default action.
//
// Files are opened read-write: a small DB_RDONLY file would be served by the
// older direct mapping instead (st_map, mmap_test.cc).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

constexpr db_pgno_t kPages = 64;
constexpr unsigned long long kDefaultSeed = 0x6d6170ULL;

// n page numbers first + (i * stride) % n: with stride > 1 and n > stride,
// no page follows the one before it, so every miss is eligible for a copy.
std::vector<db_pgno_t> Strided(db_pgno_t first, db_pgno_t n,
                               db_pgno_t stride = 7) {
  std::vector<db_pgno_t> v;
  for (db_pgno_t i = 0; i < n; i++) v.push_back(first + (i * stride) % n);
  return v;
}

// Gets page pgno, compares its bytes with want, puts it.
::testing::AssertionResult ReadIs(DB_MPOOLFILE *mpf, db_pgno_t pgno,
                                  const std::vector<uint8_t> &want) {
  db_pgno_t pg = pgno;
  void *page = nullptr;
  int rc = memp_fget(mpf, &pg, 0, &page);
  if (rc != 0)
    return ::testing::AssertionFailure()
           << "memp_fget(" << pgno << "): " << strerror(rc);
  const uint8_t *b = static_cast<const uint8_t *>(page);
  size_t bad = kPage;
  for (size_t i = 0; i < kPage && bad == kPage; i++)
    if (b[i] != want[i]) bad = i;
  unsigned got = bad < kPage ? b[bad] : 0;
  rc = memp_fput(mpf, page, 0);
  if (bad < kPage)
    return ::testing::AssertionFailure()
           << "page " << pgno << " byte " << bad << " is " << got
           << ", expected " << static_cast<unsigned>(want[bad]);
  if (rc != 0)
    return ::testing::AssertionFailure()
           << "memp_fput(" << pgno << "): " << strerror(rc);
  return ::testing::AssertionSuccess();
}

std::vector<uint8_t> ZeroPage() { return std::vector<uint8_t>(kPage, 0); }

// pwrite(2) of all of buf at off, outside the pool.
bool PwriteAll(int fd, const void *buf, size_t n, off_t off) {
  const uint8_t *p = static_cast<const uint8_t *>(buf);
  size_t done = 0;
  while (done < n) {
    ssize_t w =
        ::pwrite(fd, p + done, n - done, off + static_cast<off_t>(done));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    done += static_cast<size_t>(w);
  }
  return true;
}

// The pattern of pages [0, n) (salt 0), as one buffer.
std::vector<uint8_t> PatternFile(db_pgno_t n) {
  std::vector<uint8_t> all;
  for (db_pgno_t p = 0; p < n; p++) {
    std::vector<uint8_t> pg = PatternPage(p, kPage);
    all.insert(all.end(), pg.begin(), pg.end());
  }
  return all;
}

class MapReadTest : public PoolTest {
 protected:
  // This file's statistics (by the name it was opened with).
  DB_MPOOL_FSTAT FStat(const std::string &path) { return FStatOf(mp_, path); }
  // Reads pages in `order` of a file of pattern pages, checking each.
  void ReadPattern(DB_MPOOLFILE *mpf, const std::vector<db_pgno_t> &order,
                   uint32_t salt = 0) {
    for (db_pgno_t p : order)
      ASSERT_TRUE(ReadIs(mpf, p, PatternPage(p, kPage, salt)));
  }
};

// ============================================================ which path

// Every miss not following the previous one is a copy from the mapping,
// with the file's bytes, counted globally and for the file.
TEST_F(MapReadTest, NonSequentialMissesAreCopiedFromTheMapping) {
  MakeFile(Path(), kPages, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf), 0);
  ASSERT_NO_FATAL_FAILURE(ReadPattern(mpf, Strided(0, kPages)));

  DB_MPOOL_STAT g = Stat(mp_);
  EXPECT_EQ(g.st_page_in, kPages);
  EXPECT_EQ(g.st_page_in_mapped, kPages);
  EXPECT_EQ(g.st_map_faults, 0u);
  DB_MPOOL_FSTAT f = FStat(Path());
  EXPECT_EQ(f.st_page_in, kPages);
  EXPECT_EQ(f.st_page_in_mapped, kPages);
  EXPECT_EQ(f.st_map_faults, 0u);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// A scan is read with pread (so that the kernel reads ahead): only its
// first page, which follows no earlier miss, is copied.
TEST_F(MapReadTest, SequentialMissesUsePread) {
  MakeFile(Path(), kPages, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf), 0);
  ASSERT_NO_FATAL_FAILURE(ReadPattern(mpf, Strided(0, kPages, 1)));

  DB_MPOOL_STAT g = Stat(mp_);
  EXPECT_EQ(g.st_page_in, kPages);
  EXPECT_EQ(g.st_page_in_mapped, 1u);
  EXPECT_EQ(g.st_map_faults, 0u);
  DB_MPOOL_FSTAT f = FStat(Path());
  EXPECT_EQ(f.st_page_in, kPages);
  EXPECT_EQ(f.st_page_in_mapped, 1u);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// ============================================================ DB_NOMMAP

// DB_NOMMAP to memp_open: the same bytes, none of them copied.
TEST_F(MapReadTest, NommapPoolNeverCopies) {
  MakeFile(Path(), kPages, kPage);
  Open(kSmallPool, DB_NOMMAP);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf), 0);
  ASSERT_NO_FATAL_FAILURE(ReadPattern(mpf, Strided(0, kPages)));

  DB_MPOOL_STAT g = Stat(mp_);
  EXPECT_EQ(g.st_page_in, kPages);
  EXPECT_EQ(g.st_page_in_mapped, 0u);
  EXPECT_EQ(g.st_map_faults, 0u);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// DB_NOMMAP to memp_fopen is the file's alone: another file of the pool,
// opened without it, is still copied.
TEST_F(MapReadTest, NommapFileNeverCopiesOtherFilesStillDo) {
  const std::string a = Path("a.db"), b = Path("b.db");
  MakeFile(a, kPages, kPage);
  MakeFile(b, kPages, kPage, 1);
  Open();
  DB_MPOOLFILE *ma = nullptr, *mb = nullptr;
  ASSERT_EQ(OpenFile(mp_, a, kPage, &ma), 0);
  ASSERT_EQ(OpenFile(mp_, b, kPage, &mb, DB_NOMMAP), 0);
  ASSERT_NO_FATAL_FAILURE(ReadPattern(ma, Strided(0, kPages)));
  ASSERT_NO_FATAL_FAILURE(ReadPattern(mb, Strided(0, kPages), 1));

  DB_MPOOL_FSTAT fa = FStat(a), fb = FStat(b);
  EXPECT_EQ(fa.st_page_in, kPages);
  EXPECT_EQ(fa.st_page_in_mapped, kPages);
  EXPECT_EQ(fb.st_page_in, kPages);
  EXPECT_EQ(fb.st_page_in_mapped, 0u);
  DB_MPOOL_STAT g = Stat(mp_);
  EXPECT_EQ(g.st_page_in, 2 * kPages);
  EXPECT_EQ(g.st_page_in_mapped, kPages);
  EXPECT_EQ(memp_fclose(ma), 0);
  EXPECT_EQ(memp_fclose(mb), 0);
}

// A later memp_fopen of an open file with DB_NOMMAP stops the copies of
// that file in this process, also through the handle opened before it.
TEST_F(MapReadTest, NommapReopenStopsCopiesThroughEarlierHandle) {
  MakeFile(Path(), kPages, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr, *again = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf), 0);
  const std::vector<db_pgno_t> order = Strided(0, kPages);
  const std::vector<db_pgno_t> first(order.begin(), order.begin() + 32);
  const std::vector<db_pgno_t> rest(order.begin() + 32, order.end());
  ASSERT_NO_FATAL_FAILURE(ReadPattern(mpf, first));
  EXPECT_EQ(FStat(Path()).st_page_in_mapped, 32u);

  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &again, DB_NOMMAP), 0);
  ASSERT_NO_FATAL_FAILURE(ReadPattern(mpf, rest));
  DB_MPOOL_FSTAT f = FStat(Path());
  EXPECT_EQ(f.st_page_in, kPages);
  EXPECT_EQ(f.st_page_in_mapped, 32u);
  EXPECT_EQ(memp_fclose(again), 0);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// ============================================================ coherence

// One page cache: a page another writer changed after the pool mapped the
// file is copied with its new bytes.
TEST_F(MapReadTest, ExternalWriteIsSeenByLaterMiss) {
  MakeFile(Path(), kPages, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf), 0);
  ASSERT_TRUE(ReadIs(mpf, 9, PatternPage(9, kPage)));
  // 24 other pages through 5 frames: page 9 is evicted (its CLOCK count
  // is at most 3, and the hand passes it more than 4 times).
  std::vector<db_pgno_t> others;
  for (db_pgno_t p : Strided(0, kPages))
    if (p != 9 && p != 8 && others.size() < 24) others.push_back(p);
  ASSERT_NO_FATAL_FAILURE(ReadPattern(mpf, others));

  const std::vector<uint8_t> fresh = PatternPage(9, kPage, 5);
  int fd = ::open(Path().c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << strerror(errno);
  ASSERT_TRUE(
      PwriteAll(fd, fresh.data(), kPage, 9 * static_cast<off_t>(kPage)));
  ASSERT_EQ(::close(fd), 0);

  DB_MPOOL_STAT s0 = Stat(mp_);
  ASSERT_TRUE(ReadIs(mpf, 9, fresh));
  DB_MPOOL_STAT s1 = Stat(mp_);
  EXPECT_EQ(s1.st_cache_miss - s0.st_cache_miss, 1u)
      << "page 9 was still resident: the test did not test a miss";
  EXPECT_EQ(s1.st_page_in_mapped - s0.st_page_in_mapped, 1u);
  EXPECT_EQ(s1.st_map_faults, 0u);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// Pages the pool appended (beyond the file's length when it was mapped),
// written and evicted, read back right; the first re-read, of the last
// page, is a pread that raises the valid length to the end of the file,
// and the others are copies.
TEST_F(MapReadTest, AppendedPagesAreReadBackThroughTheMapping) {
  constexpr db_pgno_t kOld = 4, kNew = 40;
  constexpr uint32_t kSalt = 3;
  MakeFile(Path(), kOld, kPage);
  MakeFile(Path("other.db"), 32, kPage, 1);
  Open();
  StopFlushers(mp_);  // evictions write the pages; nothing else does
  DB_MPOOLFILE *mpf = nullptr, *other = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf), 0);
  ASSERT_EQ(OpenFile(mp_, Path("other.db"), kPage, &other), 0);
  for (db_pgno_t k = 0; k < kNew; k++) {
    db_pgno_t pg = 0;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_NEW, &page), 0);
    ASSERT_EQ(pg, kOld + k);
    FillPattern(page, kPage, pg, kSalt);
    ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  }
  ASSERT_EQ(memp_fsync(mpf), 0);
  ASSERT_EQ(FileSize(Path()), static_cast<long long>((kOld + kNew) * kPage));
  // 25 pages of another file through 5 frames evict all of this file's.
  std::vector<db_pgno_t> evict = Strided(0, 32);
  evict.resize(25);
  ASSERT_NO_FATAL_FAILURE(ReadPattern(other, evict, 1));

  // The last page first, then steps of -7 (mod 40): never prev + 1.
  std::vector<db_pgno_t> order;
  for (db_pgno_t i = 0; i < kNew; i++)
    order.push_back(kOld + (kNew - 1) - (i * 7) % kNew);
  DB_MPOOL_FSTAT f0 = FStat(Path());
  ASSERT_NO_FATAL_FAILURE(ReadPattern(mpf, order, kSalt));
  DB_MPOOL_FSTAT f1 = FStat(Path());
  EXPECT_EQ(f1.st_page_in - f0.st_page_in, kNew)
      << "some appended pages were still resident";
  EXPECT_GE(f1.st_page_in_mapped - f0.st_page_in_mapped, kNew - 1);
  EXPECT_EQ(f1.st_map_faults, 0u);
  EXPECT_EQ(memp_fclose(other), 0);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// ============================================================ truncation

// A file truncated under the mapping: the copy of a page past the new end
// faults, the miss reads it with pread (zeroes past the end of file) and
// the process lives; the valid length drops to that page, so a further page
// past the end is not tried (no second fault), while a page below the end
// is still copied.
TEST_F(MapReadTest, TruncatedFileReadsZeroesAndFaultsOnce) {
  MakeFile(Path(), kPages, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf), 0);
  ASSERT_NO_FATAL_FAILURE(ReadPattern(mpf, {0, 5, 10}));
  ASSERT_EQ(::truncate(Path().c_str(), 8 * static_cast<off_t>(kPage)), 0)
      << strerror(errno);

  DB_MPOOL_STAT s0 = Stat(mp_);
  ASSERT_TRUE(ReadIs(mpf, 40, ZeroPage()));
  DB_MPOOL_STAT s1 = Stat(mp_);
  EXPECT_EQ(s1.st_map_faults, 1u);
  EXPECT_EQ(s1.st_page_in - s0.st_page_in, 1u);
  EXPECT_EQ(s1.st_page_in_mapped, s0.st_page_in_mapped);

  ASSERT_TRUE(ReadIs(mpf, 50, ZeroPage()));
  DB_MPOOL_STAT s2 = Stat(mp_);
  EXPECT_EQ(s2.st_map_faults, 1u) << "a second fault: valid was not lowered";
  EXPECT_EQ(s2.st_page_in - s1.st_page_in, 1u);
  EXPECT_EQ(s2.st_page_in_mapped, s1.st_page_in_mapped);

  ASSERT_TRUE(ReadIs(mpf, 3, PatternPage(3, kPage)));
  DB_MPOOL_STAT s3 = Stat(mp_);
  EXPECT_EQ(s3.st_page_in_mapped - s2.st_page_in_mapped, 1u);
  EXPECT_EQ(s3.st_map_faults, 1u);
  DB_MPOOL_FSTAT f = FStat(Path());
  EXPECT_EQ(f.st_map_faults, 1u);
  EXPECT_EQ(f.st_page_in, 6u);
  EXPECT_EQ(f.st_page_in_mapped, 4u);  // 0, 5, 10, 3
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// Readers miss at random while the file is truncated to 8 pages and
// rewritten, over and over: every get succeeds and every byte is the
// pattern's or zero (a page read during a rewrite may be torn between the
// two). Seed: $LFM_SEED.
TEST_F(MapReadTest, TruncationWhileThreadsRead) {
  constexpr int kReaders = 2, kCycles = 200;
  constexpr size_t kMaxReports = 8;
  const unsigned long long seed = EnvU64("LFM_SEED", kDefaultSeed);
  printf("[ mapread  ] LFM_SEED=%llu\n", seed);
  ::testing::Test::RecordProperty("seed", std::to_string(seed));
  MakeFile(Path(), kPages, kPage);
  const std::vector<uint8_t> all = PatternFile(kPages);
  Open(kSmallPool, DB_THREAD);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf), 0);
  int fd = ::open(Path().c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << strerror(errno);

  std::atomic<bool> stop{false};
  std::atomic<int> started{0};
  // Each reader's own (read after join).
  std::vector<std::vector<std::string>> errors(kReaders);
  std::vector<unsigned long> bad(kReaders, 0), reads(kReaders, 0);
  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; t++) {
    readers.emplace_back([&, t] {
      uint64_t s = seed * 0x100000001B3ULL + static_cast<uint64_t>(t) + 1;
      auto next = [&s] {  // splitmix64
        uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
      };
      auto fail = [&](std::string msg) {
        if (bad[t]++ < kMaxReports) errors[t].push_back(std::move(msg));
      };
      started.fetch_add(1);
      while (!stop.load(std::memory_order_relaxed)) {
        db_pgno_t pg = static_cast<db_pgno_t>(next() % kPages);
        const db_pgno_t want = pg;
        void *page = nullptr;
        int rc = memp_fget(mpf, &pg, 0, &page);
        if (rc != 0) {
          fail("memp_fget(" + std::to_string(want) + "): " + strerror(rc));
          continue;
        }
        reads[t]++;
        const uint8_t *b = static_cast<const uint8_t *>(page);
        for (size_t i = 0; i < kPage; i++) {
          if (b[i] != 0 && b[i] != PatternByte(want, i)) {
            fail("page " + std::to_string(want) + " byte " + std::to_string(i) +
                 " is " + std::to_string(b[i]));
            break;
          }
        }
        rc = memp_fput(mpf, page, 0);
        if (rc != 0)
          fail("memp_fput(" + std::to_string(want) + "): " + strerror(rc));
      }
    });
  }
  // Both readers are in their loops before the file starts changing.
  while (started.load() < kReaders) std::this_thread::yield();
  bool io_ok = true;
  for (int c = 0; c < kCycles && io_ok; c++) {
    io_ok = ::ftruncate(fd, 8 * static_cast<off_t>(kPage)) == 0 &&
            PwriteAll(fd, all.data(), all.size(), 0);
  }
  stop.store(true);
  for (std::thread &th : readers) th.join();
  EXPECT_TRUE(io_ok) << strerror(errno);
  EXPECT_EQ(::close(fd), 0);

  for (int t = 0; t < kReaders; t++) {
    EXPECT_EQ(bad[t], 0u) << "reader " << t << ", seed " << seed;
    for (const std::string &e : errors[t])
      ADD_FAILURE() << "reader " << t << ": " << e;
  }
  DB_MPOOL_STAT g = Stat(mp_);
  printf(
      "[ mapread  ] reads %lu + %lu, st_page_in %lu, mapped %lu, "
      "st_map_faults %lu\n",
      reads[0], reads[1], g.st_page_in, g.st_page_in_mapped, g.st_map_faults);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// ============================================================ foreign SIGBUS

// The child's own SIGBUS handler: the signal reached it.
void ExitWith42(int, siginfo_t *, void *) { _exit(42); }

// Reports a failed step of the child and exits with a code no expectation
// matches.
[[noreturn]] void ChildFails(int code, const char *what) {
  fprintf(stderr, "child: %s: %s\n", what, strerror(errno));
  _exit(code);
}

// The body of a death test's child (a fresh process: threadsafe style
// re-executes the binary, so the pool's handler is installed here for the
// first time). Installs `before` as the SIGBUS disposition, makes the pool
// install its handler on top (the first memp_fopen maps the file) and copy
// one page, then touches a mapping of an empty file: a SIGBUS outside any
// copy of the pool's, which must go to `before`. Leaves no files behind.
[[noreturn]] void ForeignSigbus(bool default_action) {
  alarm(20);  // a chain that re-faults forever dies of SIGALRM instead
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigemptyset(&sa.sa_mask);
  if (default_action) {
    sa.sa_handler = SIG_DFL;
  } else {
    sa.sa_sigaction = ExitWith42;
    sa.sa_flags = SA_SIGINFO;
  }
  if (sigaction(SIGBUS, &sa, nullptr) != 0) ChildFails(10, "sigaction");

  const char *base = getenv("TEST_TMPDIR");
  std::string templ =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") +
      "/mapread.XXXXXX";
  if (mkdtemp(&templ[0]) == nullptr) ChildFails(11, "mkdtemp");
  const std::string file = templ + "/f.db", empty = templ + "/empty";
  const std::vector<uint8_t> data = PatternFile(4);
  if (!WriteAll(file, data.data(), data.size())) ChildFails(12, "write");

  DB_MPOOL *mp = nullptr;
  DB_MPOOLFILE *mpf = nullptr;
  if (OpenPool(kSmallPool, &mp) != 0) ChildFails(13, "memp_open");
  if (OpenFile(mp, file, kPage, &mpf) != 0) ChildFails(14, "memp_fopen");
  db_pgno_t pg = 2;
  void *page = nullptr;
  if (memp_fget(mpf, &pg, 0, &page) != 0) ChildFails(15, "memp_fget");
  if (memcmp(page, data.data() + 2 * kPage, kPage) != 0)
    ChildFails(16, "page bytes");
  if (memp_fput(mpf, page, 0) != 0) ChildFails(17, "memp_fput");
  DB_MPOOL_STAT *gs = nullptr;
  if (memp_stat(mp, &gs, nullptr, nullptr) != 0) ChildFails(18, "memp_stat");
  // Copied: the pool's handler is installed and saw `before`.
  if (gs->st_page_in_mapped != 1) ChildFails(19, "not a mapped read");
  free(gs);

  int fd = ::open(empty.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ::ftruncate(fd, 0) != 0) ChildFails(20, "empty file");
  void *m = mmap(nullptr, kPage, PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) ChildFails(21, "mmap");
  // The mapping and the pool's descriptor outlive the names.
  if (::unlink(empty.c_str()) != 0 || ::unlink(file.c_str()) != 0 ||
      ::rmdir(templ.c_str()) != 0)
    ChildFails(22, "cleanup");

  volatile const char *p = static_cast<const char *>(m);
  char c = *p;  // past the end of the file: SIGBUS
  fprintf(stderr, "child: no SIGBUS (read %d)\n", c);
  _exit(23);
}

class MapReadDeathTest : public ::testing::Test {
 protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(MapReadDeathTest, ForeignSigbusGoesToPreviousHandler) {
  EXPECT_EXIT(ForeignSigbus(false), ::testing::ExitedWithCode(42), "");
}

TEST_F(MapReadDeathTest, ForeignSigbusTakesDefaultAction) {
  EXPECT_EXIT(ForeignSigbus(true), ::testing::KilledBySignal(SIGBUS), "");
}

}  // namespace
}  // namespace lfmtest
