// memp_open / memp_close / memp_register (pgin, pgout) / memp_unlink /
// memp_stat.
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <string>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

// ================================================================ memp_open

TEST(MempOpen, NullEnvGivesDefault128KiB) {
  DB_MPOOL *mp = nullptr;
  ASSERT_EQ(memp_open(nullptr, DB_MPOOL_PRIVATE, 0644, nullptr, &mp), 0);
  ASSERT_NE(mp, nullptr);
  DB_MPOOL_STAT s = Stat(mp);
  EXPECT_EQ(s.st_cachesize, 131072u);
  EXPECT_GT(s.st_hash_buckets, 0u);
  EXPECT_EQ(memp_close(mp), 0);
}

TEST(MempOpen, ZeroMpSizeGivesDefault128KiB) {
  DB_ENV env;
  memset(&env, 0, sizeof env);
  DB_MPOOL *mp = nullptr;
  ASSERT_EQ(memp_open(nullptr, DB_MPOOL_PRIVATE, 0644, &env, &mp), 0);
  EXPECT_EQ(Stat(mp).st_cachesize, 131072u);
  EXPECT_EQ(memp_close(mp), 0);
}

TEST(MempOpen, CacheSizeIsTheMpSizeGiven) {
  for (size_t size : {size_t{20480}, size_t{65536 + 100}, size_t{1} << 20}) {
    DB_MPOOL *mp = nullptr;
    ASSERT_EQ(OpenPool(size, &mp), 0) << size;
    EXPECT_EQ(Stat(mp).st_cachesize, size);
    EXPECT_EQ(memp_close(mp), 0);
  }
}

TEST(MempOpen, AcceptsEveryAllowedFlag) {
  DB_MPOOL *mp = nullptr;
  ASSERT_EQ(
      memp_open(nullptr, DB_CREATE | DB_MPOOL_PRIVATE | DB_NOMMAP | DB_THREAD,
                0644, nullptr, &mp),
      0);
  EXPECT_EQ(memp_close(mp), 0);
  TempDir dir;
  std::string d = dir.path();
  ASSERT_EQ(memp_open(&d[0], DB_MPOOL_PRIVATE, 0644, nullptr, &mp), 0);
  EXPECT_EQ(memp_close(mp), 0);
}

TEST(MempOpen, UnknownFlagBitsAreEinval) {
  for (int bad :
       {0x8, 0x10, 0x100, 0x1000, DB_RDONLY, 0x20000, 0x100000, 0x40000000}) {
    DB_MPOOL *mp = nullptr;
    EXPECT_EQ(memp_open(nullptr, DB_MPOOL_PRIVATE | DB_CREATE | bad, 0644,
                        nullptr, &mp),
              EINVAL)
        << "flag 0x" << std::hex << bad;
    if (mp != nullptr) memp_close(mp);
  }
}

TEST(MempOpen, NullRegionpIsEinval) {
  EXPECT_EQ(memp_open(nullptr, DB_MPOOL_PRIVATE, 0644, nullptr, nullptr),
            EINVAL);
}

TEST(MempOpen, CacheBelow20KiBIsEinval) {
  for (size_t size : {size_t{1}, size_t{4096}, size_t{20479}}) {
    DB_MPOOL *mp = nullptr;
    EXPECT_EQ(OpenPool(size, &mp), EINVAL) << size;
    if (mp != nullptr) memp_close(mp);
  }
}

TEST(MempOpen, Exactly20KiBIsAccepted) {
  DB_MPOOL *mp = nullptr;
  ASSERT_EQ(OpenPool(20480, &mp), 0);
  EXPECT_EQ(Stat(mp).st_cachesize, 20480u);
  EXPECT_EQ(memp_close(mp), 0);
}

// ------------------------------------------ mp_tcache_size (lfmpool)

// A shared pool of `pool_bytes` (16 MiB) with the given cap; returns its
// region file's size, or -1.
long long SharedRegionBytes(size_t tcache_size,
                            size_t pool_bytes = size_t{16} << 20) {
  TempDir dir;
  std::string d = dir.path();
  DB_ENV env;
  memset(&env, 0, sizeof env);
  env.mp_size = pool_bytes;
  env.mp_tcache_size = tcache_size;
  DB_MPOOL *mp = nullptr;
  if (memp_open(&d[0], DB_CREATE, 0644, &env, &mp) != 0) return -1;
  long long bytes = FileSize(d + "/__lfm_mpool.region");
  EXPECT_EQ(memp_close(mp), 0);
  EXPECT_EQ(memp_unlink(d.c_str(), 1, nullptr), 0);
  return bytes;
}

// Under 64 bytes (LFM_TC_MIN_ENTRIES: 4 entries of 16 bytes) is EINVAL.
TEST(MempOpen, TcacheSizeUnderFourEntriesIsEinval) {
  for (size_t bad : {size_t{1}, size_t{16}, size_t{63}}) {
    DB_ENV env;
    memset(&env, 0, sizeof env);
    env.mp_tcache_size = bad;
    DB_MPOOL *mp = nullptr;
    EXPECT_EQ(memp_open(nullptr, DB_MPOOL_PRIVATE, 0644, &env, &mp), EINVAL)
        << bad;
  }
}

// 16 MiB is 4096 frames, so each of the 64 thread caches has an entry of
// 16 bytes a frame, 4096 (64 KiB), by default; a cap of 4 KiB must take
// the region down by 64 x 60 KiB, and a cap above the default must not
// grow it.
TEST(MempOpen, TcacheSizeCapsEachThreadCache) {
  long long dflt = SharedRegionBytes(0);
  long long capped = SharedRegionBytes(4096);
  long long odd = SharedRegionBytes(4096 + 1000);  // rounds down to 4 KiB
  long long huge = SharedRegionBytes(size_t{1} << 30);
  ASSERT_GT(dflt, 0);
  ASSERT_GT(capped, 0);
  EXPECT_EQ(dflt - capped, 64LL * (65536 - 4096));
  EXPECT_EQ(odd, capped);
  EXPECT_EQ(huge, dflt);
}

// 512 MiB is 128 Ki frames: by default each thread cache stops at 64 Ki
// entries (1 MiB), so two frames share each; a cap of 2 MiB or more gives
// every frame its entry, and no more than the frames (the region's file is
// sparse: nothing of the pool is written).
TEST(MempOpen, TcacheSizeAboveTheDefaultCoversALargePool) {
  const size_t pool = size_t{512} << 20;
  long long dflt = SharedRegionBytes(0, pool);
  long long two = SharedRegionBytes(size_t{2} << 20, pool);
  long long huge = SharedRegionBytes(size_t{1} << 30, pool);
  ASSERT_GT(dflt, 0);
  EXPECT_EQ(two - dflt, 64LL * 65536 * 16);
  EXPECT_EQ(huge, two);
}

// With the smallest cache (4 entries, so 16 frames share each) the pages
// compete for the entries: pages must still read back intact and no pin
// may be left held.
TEST(MempOpen, SmallestTcacheKeepsPagesAndPins) {
  TempDir dir;
  DB_ENV *env = new DB_ENV;
  memset(env, 0, sizeof *env);
  env->mp_size = 64 * 4096;
  env->mp_tcache_size = 64;
  Envs().push_back(env);
  DB_MPOOL *mp = nullptr;
  ASSERT_EQ(memp_open(nullptr, DB_CREATE | DB_MPOOL_PRIVATE | DB_THREAD, 0644,
                      env, &mp),
            0);
  std::string path = dir.path() + "/f";
  MakeFile(path, 128, 4096);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp, path, 4096, &mpf), 0);
  for (int round = 0; round < 3; round++) {
    for (db_pgno_t p = 0; p < 128; p++) {
      db_pgno_t pg = p;
      void *a = nullptr, *b = nullptr;
      ASSERT_EQ(memp_fget(mpf, &pg, 0, &a), 0);
      ASSERT_EQ(memp_fget(mpf, &pg, 0, &b), 0);  // a second pin, same page
      EXPECT_EQ(a, b);
      EXPECT_EQ(Bytes(a, 4096), PatternPage(p, 4096, round)) << p;
      FillPattern(a, 4096, p, round + 1);
      EXPECT_EQ(memp_fput(mpf, b, 0), 0);
      EXPECT_EQ(memp_fput(mpf, a, DB_MPOOL_DIRTY), 0);
    }
  }
  EXPECT_EQ(memp_fsync(mpf), 0);  // DB_INCOMPLETE would mean a leaked pin
  for (db_pgno_t p = 0; p < 128; p++)
    EXPECT_EQ(ReadPage(path, p, 4096), PatternPage(p, 4096, 3)) << p;
  EXPECT_EQ(memp_fclose(mpf), 0);
  EXPECT_EQ(memp_close(mp), 0);
}

struct FrameCase {
  size_t mp_size;
  size_t pagesize;
  unsigned frames;
};

class MempOpenFrames : public ::testing::TestWithParam<FrameCase> {};

// The pool holds exactly floor(mp_size / pagesize) pages of one file: that
// many pins succeed, one more is ENOMEM.
TEST_P(MempOpenFrames, HoldsFloorMpSizeOverPagesizePages) {
  const FrameCase c = GetParam();
  ASSERT_EQ(c.mp_size / c.pagesize, c.frames);
  TempDir dir;
  std::string path = dir.File("frames.db");
  MakeFile(path, c.frames + 1, c.pagesize);
  DB_MPOOL *mp = nullptr;
  ASSERT_EQ(OpenPool(c.mp_size, &mp), 0);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp, path, c.pagesize, &mpf), 0);
  std::vector<void *> pages;
  for (db_pgno_t p = 0; p < c.frames; p++) {
    db_pgno_t pg = p;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0) << "page " << p;
    EXPECT_EQ(Bytes(page, c.pagesize), PatternPage(p, c.pagesize));
    pages.push_back(page);
  }
  db_pgno_t extra = c.frames;
  void *page = nullptr;
  EXPECT_EQ(memp_fget(mpf, &extra, 0, &page), ENOMEM);
  for (void *pg : pages) EXPECT_EQ(memp_fput(mpf, pg, 0), 0);
  EXPECT_EQ(memp_fclose(mpf), 0);
  EXPECT_EQ(memp_close(mp), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Sizes, MempOpenFrames,
    ::testing::Values(FrameCase{20480, 4096, 5}, FrameCase{20480, 8192, 2},
                      FrameCase{20480 + 4095, 4096, 5},
                      FrameCase{32768, 1024, 32}, FrameCase{20480, 640, 32},
                      FrameCase{65536 + 100, 4096, 16},
                      FrameCase{20480, 64, 320}, FrameCase{20480, 4160, 4},
                      FrameCase{131072, 65536, 2}));

// ================================================================ memp_close

// memp_close closes files left open (with pages pinned and dirty) and
// writes nothing.
TEST_F(PoolTest, MempCloseClosesOpenFilesAndWritesNothing) {
  const std::string path = Path();
  MakeFile(path, 3, kPage);
  Open();
  StopFlushers(mp_);  // a flusher could write the unpinned dirty page
  DB_MPOOLFILE *a = nullptr, *b = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &a), 0);
  ASSERT_EQ(OpenFile(mp_, std::string(), kPage, &b), 0);
  db_pgno_t pg = 1;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(a, &pg, 0, &page), 0);
  FillPattern(page, kPage, 1, 9);
  ASSERT_EQ(memp_fset(a, page, DB_MPOOL_DIRTY), 0);  // still pinned
  pg = 2;
  ASSERT_EQ(memp_fget(a, &pg, 0, &page), 0);
  FillPattern(page, kPage, 2, 9);
  ASSERT_EQ(memp_fput(a, page, DB_MPOOL_DIRTY), 0);  // unpinned, dirty
  ASSERT_EQ(memp_fget(b, &pg, DB_MPOOL_NEW, &page), 0);
  ClosePool();
  EXPECT_EQ(FileSize(path), static_cast<long long>(3 * kPage));
  for (db_pgno_t p = 0; p < 3; p++)
    EXPECT_EQ(ReadPage(path, p, kPage), PatternPage(p, kPage)) << p;
}

// ================================================================ memp_unlink

TEST(MempUnlink, DirectoryWithNoPoolReturnsZero) {
  TempDir dir;
  EXPECT_EQ(memp_unlink(dir.path().c_str(), 0, nullptr), 0);
  EXPECT_TRUE(Exists(dir.path()));
}

// ================================================================ register

class MempRegister : public PoolTest {
 protected:
  void SetUp() override { ResetHooks(kPage); }
  void Open(size_t size = kSmallPool, int flags = 0) {
    PoolTest::Open(size, flags);
    // Exact pgout counts and faults; the hooks' state is not thread-safe.
    StopFlushers(mp_);
  }
};

// Negative file types are reserved "for internal use by the DB library":
// Berkeley DB 2.x's btree registers -1 and hash -2 through memp_register,
// and opens its files with them. Any non-zero type is accepted and its
// functions run; 0 (no conversion) cannot be registered.
TEST_F(MempRegister, NegativeTypesAreTheDbLibrarysOwn) {
  const std::string path = Path();
  HookState &h = Hooks();
  h.xor_in = h.xor_out = true;
  Open();
  EXPECT_EQ(memp_register(mp_, 0, TestPgin, TestPgout), EINVAL);
  ASSERT_EQ(memp_register(mp_, -1, TestPgin, TestPgout), 0);  // DB_BTREE
  ASSERT_EQ(memp_register(mp_, -2, nullptr, nullptr), 0);     // DB_HASH
  ASSERT_EQ(memp_register(mp_, INT_MIN, nullptr, nullptr), 0);
  // Page 0 is on disk in its converted (XORed) form: pgin undoes it.
  const std::vector<uint8_t> disk0 = Xor(PatternPage(0, kPage));
  ASSERT_TRUE(WriteAll(path, disk0.data(), disk0.size()));
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf, 0, -1), 0);
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  EXPECT_EQ(h.pgin_calls.load(), 1) << "type -1's pgin not called";
  EXPECT_EQ(Bytes(page, kPage), PatternPage(0, kPage));
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  // A new page goes out through its pgout.
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_NEW, &page), 0);
  ASSERT_EQ(pg, 1u);
  FillPattern(page, kPage, pg);
  ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  ASSERT_EQ(memp_fsync(mpf), 0);
  EXPECT_EQ(h.pgout_calls.load(), 1) << "type -1's pgout not called";
  EXPECT_EQ(ReadPage(path, 1, kPage), Xor(PatternPage(1, kPage)));
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// pgout runs before each write (the file holds XORed bytes), the cached page
// keeps the un-XORed bytes, pgin runs after each read (a reopened file reads
// back the original bytes), and pgin is not called for DB_MPOOL_NEW.
TEST_F(MempRegister, XorPgoutOnWritePginOnRead) {
  const std::string path = Path();
  HookState &h = Hooks();
  h.xor_in = h.xor_out = true;
  Open();
  ASSERT_EQ(memp_register(mp_, 1, TestPgin, TestPgout), 0);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf, DB_CREATE, 1), 0);

  // Three NEW pages, dirty; fsync writes each once through pgout.
  for (db_pgno_t want = 0; want < 3; want++) {
    db_pgno_t pg = 999;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_NEW, &page), 0);
    ASSERT_EQ(pg, want);
    FillPattern(page, kPage, pg);
    ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  }
  EXPECT_EQ(h.pgin_calls.load(), 0) << "pgin called for DB_MPOOL_NEW";
  ASSERT_EQ(memp_fsync(mpf), 0);
  EXPECT_EQ(h.pgout_calls.load(), 3);
  for (db_pgno_t p = 0; p < 3; p++) {
    EXPECT_EQ(ReadPage(path, p, kPage), Xor(PatternPage(p, kPage))) << p;
    db_pgno_t pg = p;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
    EXPECT_EQ(Bytes(page, kPage), PatternPage(p, kPage))
        << "cached page " << p << " left XORed by pgout";
    ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  }

  // Page 0 rewritten (salt 1) and pushed out by eviction, not fsync: it
  // has been used three times (a hot page to CLOCK), so the new pages cycle
  // the pool several times over.
  constexpr db_pgno_t kNew = 28, kTotal = 3 + kNew;
  {
    db_pgno_t pg = 0;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
    FillPattern(page, kPage, 0, 1);
    ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  }
  for (db_pgno_t i = 0; i < kNew; i++) {
    db_pgno_t pg;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_NEW, &page), 0);
    FillPattern(page, kPage, pg);
    ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  }
  EXPECT_EQ(ReadPage(path, 0, kPage), Xor(PatternPage(0, kPage, 1)));
  ASSERT_EQ(memp_fsync(mpf), 0);
  ASSERT_EQ(memp_fclose(mpf), 0);
  ClosePool();
  EXPECT_EQ(FileSize(path), static_cast<long long>(kTotal * kPage));

  // A fresh pool: every read goes through pgin.
  Open();
  ASSERT_EQ(memp_register(mp_, 1, TestPgin, TestPgout), 0);
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf, 0, 1), 0);
  h.pgin_calls = 0;
  for (db_pgno_t p = 0; p < kTotal; p++) {
    db_pgno_t pg = p;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
    EXPECT_EQ(Bytes(page, kPage), PatternPage(p, kPage, p == 0 ? 1 : 0)) << p;
    ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  }
  EXPECT_EQ(h.pgin_calls.load(), static_cast<int>(kTotal));
  ASSERT_EQ(memp_fclose(mpf), 0);
}

// A failing pgin fails memp_fget with its value and pins nothing; once pgin
// succeeds the page is read again.
TEST_F(MempRegister, PginErrorFailsFgetAndPinsNothing) {
  const std::string path = Path();
  MakeFile(path, 8, kPage);
  HookState &h = Hooks();
  Open();
  ASSERT_EQ(memp_register(mp_, 1, TestPgin, nullptr), 0);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf, 0, 1), 0);

  h.pgin_error = EDOM;
  h.fail_pgno = 1;
  for (int i = 0; i < 3; i++) {  // repeated failures leak nothing either
    db_pgno_t pg = 1;
    void *page = nullptr;
    EXPECT_EQ(memp_fget(mpf, &pg, 0, &page), EDOM);
  }
  // All 5 frames can still be pinned by other pages.
  std::vector<void *> pinned;
  for (db_pgno_t p : {0u, 2u, 3u, 4u, 5u}) {
    db_pgno_t pg = p;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0) << "page " << p;
    EXPECT_EQ(Bytes(page, kPage), PatternPage(p, kPage));
    pinned.push_back(page);
  }
  for (void *page : pinned) ASSERT_EQ(memp_fput(mpf, page, 0), 0);

  h.pgin_error = 0;
  const int calls = h.pgin_calls;
  db_pgno_t pg = 1;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(1, kPage));
  EXPECT_EQ(h.pgin_calls.load(), calls + 1);
  ASSERT_FALSE(h.pgin_pgnos.empty());
  EXPECT_EQ(h.pgin_pgnos.back(), 1u);
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  EXPECT_EQ(memp_fput(mpf, page, 0), EINVAL);  // was pinned exactly once
  ASSERT_EQ(memp_fclose(mpf), 0);
}

// A failing pgout fails memp_fsync with its value; the page stays dirty and
// intact and is written once pgout succeeds.
TEST_F(MempRegister, PgoutErrorFailsFsyncPageKept) {
  const std::string path = Path();
  MakeFile(path, 3, kPage);
  HookState &h = Hooks();
  Open();
  ASSERT_EQ(memp_register(mp_, 1, nullptr, TestPgout), 0);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf, 0, 1), 0);
  db_pgno_t pg = 1;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  FillPattern(page, kPage, 1, 5);
  ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);

  h.pgout_error = EDOM;
  EXPECT_EQ(memp_fsync(mpf), EDOM);
  EXPECT_GE(h.pgout_calls.load(), 1);
  EXPECT_EQ(ReadPage(path, 1, kPage), PatternPage(1, kPage));
  pg = 1;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(1, kPage, 5));
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);

  h.pgout_error = 0;
  EXPECT_EQ(memp_fsync(mpf), 0);
  EXPECT_EQ(ReadPage(path, 1, kPage), PatternPage(1, kPage, 5));
  ASSERT_FALSE(h.pgout_pgnos.empty());
  EXPECT_EQ(h.pgout_pgnos.back(), 1u);
  ASSERT_EQ(memp_fclose(mpf), 0);
}

// A miss needing a frame when every frame is dirty and every pgout fails
// returns pgout's value; nothing is lost.
TEST_F(MempRegister, PgoutErrorDuringEvictionIsReturnedNothingLost) {
  const std::string path = Path();
  MakeFile(path, 8, kPage);
  HookState &h = Hooks();
  Open();
  ASSERT_EQ(memp_register(mp_, 1, nullptr, TestPgout), 0);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf, 0, 1), 0);
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) {
    db_pgno_t pg = p;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
    FillPattern(page, kPage, p, 7);
    ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  }
  h.pgout_error = EDOM;
  db_pgno_t pg = 5;
  void *page = nullptr;
  EXPECT_EQ(memp_fget(mpf, &pg, 0, &page), EDOM);
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++)
    EXPECT_EQ(ReadPage(path, p, kPage), PatternPage(p, kPage)) << p;

  h.pgout_error = 0;
  EXPECT_EQ(memp_fsync(mpf), 0);
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++)
    EXPECT_EQ(ReadPage(path, p, kPage), PatternPage(p, kPage, 7)) << p;
  pg = 5;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(5, kPage));
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  ASSERT_EQ(memp_fclose(mpf), 0);
}

// pgout gets the file's pgcookie bytes too.
TEST_F(MempRegister, PgoutGetsPgcookie) {
  const std::string path = Path();
  MakeFile(path, 2, kPage);
  HookState &h = Hooks();
  Open();
  ASSERT_EQ(memp_register(mp_, 1, TestPgin, TestPgout), 0);
  char cookie_bytes[] = "out-cookie\0tail";
  DBT cookie;
  memset(&cookie, 0, sizeof cookie);
  cookie.data = cookie_bytes;
  cookie.size = sizeof cookie_bytes - 1;
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf, 0, 1, -1, &cookie), 0);
  memset(cookie_bytes, 'x', sizeof cookie_bytes);  // the pool copied it
  db_pgno_t pg = 1;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  ASSERT_EQ(memp_fsync(mpf), 0);
  ASSERT_EQ(h.pgout_calls.load(), 1);
  ASSERT_FALSE(h.last_pgout_cookie_null);
  EXPECT_EQ(h.last_pgout_cookie, std::string("out-cookie\0tail", 15));
  EXPECT_EQ(h.pgout_pgnos, std::vector<db_pgno_t>{1});
  ASSERT_EQ(memp_fclose(mpf), 0);
}

// ================================================================ memp_stat

TEST_F(PoolTest, StatAcceptsNullOutputs) {
  Open();
  EXPECT_EQ(memp_stat(mp_, nullptr, nullptr, nullptr), 0);
  DB_MPOOL_STAT *gs = nullptr;
  EXPECT_EQ(memp_stat(mp_, &gs, nullptr, nullptr), 0);
  EXPECT_NE(gs, nullptr);
  free(gs);
}

TEST_F(PoolTest, StatFileArrayIsNullWithNoFiles) {
  Open();
  bool was_null = false;
  EXPECT_TRUE(FStats(mp_, &was_null).empty());
  EXPECT_TRUE(was_null);
  // Also after a file was opened and closed again.
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf, DB_CREATE), 0);
  EXPECT_EQ(FStats(mp_).size(), 1u);
  ASSERT_EQ(memp_fclose(mpf), 0);
  was_null = false;
  EXPECT_TRUE(FStats(mp_, &was_null).empty());
  EXPECT_TRUE(was_null);
}

TEST_F(PoolTest, StatFileArrayNamesAndPagesizes) {
  const std::string a = Path("a.db"), b = Path("b.db");
  MakeFile(a, 2, 1024);
  Open(1 << 20);
  DB_MPOOLFILE *fa = nullptr, *fb = nullptr, *ft = nullptr;
  ASSERT_EQ(OpenFile(mp_, a, 1024, &fa), 0);
  ASSERT_EQ(OpenFile(mp_, b, 2048, &fb, DB_CREATE), 0);
  ASSERT_EQ(OpenFile(mp_, std::string(), 8192, &ft), 0);
  std::vector<FileStat> fs = FStats(mp_);
  ASSERT_EQ(fs.size(), 3u);
  int seen = 0;
  for (const FileStat &f : fs) {
    if (f.s.st_pagesize == 1024) {
      seen |= 1;
      EXPECT_EQ(f.name, a);
    } else if (f.s.st_pagesize == 2048) {
      seen |= 2;
      EXPECT_EQ(f.name, b);
    } else if (f.s.st_pagesize == 8192) {
      seen |= 4;
      EXPECT_FALSE(f.name_null) << "temporary file has a NULL file_name";
    } else {
      ADD_FAILURE() << "unexpected st_pagesize " << f.s.st_pagesize;
    }
  }
  EXPECT_EQ(seen, 7);
  EXPECT_EQ(memp_fclose(fa), 0);
  EXPECT_EQ(memp_fclose(fb), 0);
  EXPECT_EQ(memp_fclose(ft), 0);
}

std::atomic<int> g_malloc_calls{0};
void *CountingMalloc(size_t n) {
  g_malloc_calls++;
  return malloc(n);
}

TEST_F(PoolTest, StatUsesDbMalloc) {
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf, DB_CREATE), 0);
  g_malloc_calls = 0;
  DB_MPOOL_STAT *gs = nullptr;
  DB_MPOOL_FSTAT **fs = nullptr;
  ASSERT_EQ(memp_stat(mp_, &gs, reinterpret_cast<DB_MPOOL_FSTAT *(*)[]>(&fs),
                      CountingMalloc),
            0);
  EXPECT_GT(g_malloc_calls.load(), 0);
  ASSERT_NE(gs, nullptr);
  ASSERT_NE(fs, nullptr);
  ASSERT_NE(fs[0], nullptr);
  EXPECT_EQ(fs[0]->st_pagesize, kPage);
  EXPECT_EQ(fs[1], nullptr);
  free(gs);
  free(fs);
  g_malloc_calls = 0;
  ASSERT_EQ(memp_stat(mp_, &gs, nullptr, CountingMalloc), 0);
  EXPECT_GT(g_malloc_calls.load(), 0);
  free(gs);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// One fget of a non-resident page: one miss, one page in; again: one hit.
TEST_F(PoolTest, StatHitMissPageIn) {
  const std::string path = Path();
  MakeFile(path, 12, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf), 0);
  DB_MPOOL_STAT s0 = Stat(mp_);
  db_pgno_t pg = 3;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  DB_MPOOL_STAT s1 = Stat(mp_);
  EXPECT_EQ(s1.st_cache_miss, s0.st_cache_miss + 1);
  EXPECT_EQ(s1.st_page_in, s0.st_page_in + 1);
  EXPECT_EQ(s1.st_cache_hit, s0.st_cache_hit);
  EXPECT_EQ(s1.st_page_create, s0.st_page_create);
  EXPECT_EQ(s1.st_page_out, s0.st_page_out);
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  DB_MPOOL_STAT s2 = Stat(mp_);
  EXPECT_EQ(s2.st_cache_hit, s1.st_cache_hit + 1);
  EXPECT_EQ(s2.st_cache_miss, s1.st_cache_miss);
  EXPECT_EQ(s2.st_page_in, s1.st_page_in);
  std::vector<FileStat> fs = FStats(mp_);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].s.st_cache_hit, s2.st_cache_hit);
  EXPECT_EQ(fs[0].s.st_cache_miss, s2.st_cache_miss);
  EXPECT_EQ(fs[0].s.st_page_in, s2.st_page_in);
  ASSERT_EQ(memp_fclose(mpf), 0);
}

// NEW and CREATE of a missing page count a page create and a miss.
TEST_F(PoolTest, StatPageCreate) {
  const std::string path = Path();
  MakeFile(path, 4, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf), 0);
  DB_MPOOL_STAT s0 = Stat(mp_);
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_NEW, &page), 0);
  EXPECT_EQ(pg, 4u);
  ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  DB_MPOOL_STAT s1 = Stat(mp_);
  EXPECT_EQ(s1.st_page_create, s0.st_page_create + 1);
  EXPECT_EQ(s1.st_cache_miss, s0.st_cache_miss + 1);
  EXPECT_EQ(s1.st_cache_hit, s0.st_cache_hit);
  pg = 7;
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_CREATE, &page), 0);
  ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  DB_MPOOL_STAT s2 = Stat(mp_);
  EXPECT_EQ(s2.st_page_create, s1.st_page_create + 1);
  EXPECT_EQ(s2.st_cache_miss, s1.st_cache_miss + 1);
  EXPECT_EQ(s2.st_cache_hit, s1.st_cache_hit);
  std::vector<FileStat> fs = FStats(mp_);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].s.st_page_create, s2.st_page_create);
  ASSERT_EQ(memp_fclose(mpf), 0);
}

// Evicting a dirty page: st_rw_evict and st_page_out; a clean one:
// st_ro_evict only; memp_fsync of k dirty pages: st_page_out += k.
TEST_F(PoolTest, StatEvictionsAndPageOut) {
  const std::string path = Path();
  MakeFile(path, 10, kPage);
  Open();
  StopFlushers(mp_);  // exact st_page_out / st_rw_evict counts
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf), 0);
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) {  // 5 dirty frames
    db_pgno_t pg = p;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
    FillPattern(page, kPage, p, 3);
    ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  }
  DB_MPOOL_STAT s0 = Stat(mp_);
  EXPECT_EQ(s0.st_ro_evict, 0u);
  EXPECT_EQ(s0.st_rw_evict, 0u);
  EXPECT_EQ(s0.st_page_out, 0u);

  db_pgno_t pg = 5;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);  // evicts a dirty page
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  DB_MPOOL_STAT s1 = Stat(mp_);
  EXPECT_EQ(s1.st_rw_evict, 1u);
  EXPECT_EQ(s1.st_ro_evict, 0u);
  EXPECT_EQ(s1.st_page_out, 1u);

  ASSERT_EQ(memp_fsync(mpf), 0);  // the 4 dirty pages left
  DB_MPOOL_STAT s2 = Stat(mp_);
  EXPECT_EQ(s2.st_page_out, 5u);
  EXPECT_EQ(s2.st_rw_evict, 1u);
  EXPECT_EQ(s2.st_ro_evict, 0u);
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++)
    EXPECT_EQ(ReadPage(path, p, kPage), PatternPage(p, kPage, 3)) << p;

  pg = 6;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);  // every frame clean now
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  DB_MPOOL_STAT s3 = Stat(mp_);
  EXPECT_EQ(s3.st_ro_evict, 1u);
  EXPECT_EQ(s3.st_rw_evict, 1u);
  EXPECT_EQ(s3.st_page_out, 5u);
  std::vector<FileStat> fs = FStats(mp_);
  ASSERT_EQ(fs.size(), 1u);
  EXPECT_EQ(fs[0].s.st_page_out, 5u);
  ASSERT_EQ(memp_fclose(mpf), 0);
}

// Global counters are the sum of the per-file counters.
TEST_F(PoolTest, StatGlobalIsSumOfFiles) {
  const std::string a = Path("a.db"), b = Path("b.db");
  MakeFile(a, 6, kPage);
  MakeFile(b, 6, kPage, 1);
  Open();
  StopFlushers(mp_);  // two memp_stat calls must see the same writes
  DB_MPOOLFILE *fa = nullptr, *fb = nullptr;
  ASSERT_EQ(OpenFile(mp_, a, kPage, &fa), 0);
  ASSERT_EQ(OpenFile(mp_, b, kPage, &fb), 0);
  for (int round = 0; round < 3; round++) {
    for (DB_MPOOLFILE *f : {fa, fb}) {
      for (db_pgno_t p = 0; p < 6; p += (f == fa ? 1 : 2)) {
        db_pgno_t pg = p;
        void *page = nullptr;
        ASSERT_EQ(memp_fget(f, &pg, 0, &page), 0);
        ASSERT_EQ(memp_fput(f, page, p % 3 == 0 ? DB_MPOOL_DIRTY : 0), 0);
      }
    }
  }
  db_pgno_t pg;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(fb, &pg, DB_MPOOL_NEW, &page), 0);
  ASSERT_EQ(memp_fput(fb, page, DB_MPOOL_DIRTY), 0);
  ASSERT_EQ(memp_fsync(fa), 0);
  DB_MPOOL_STAT g = Stat(mp_);
  std::vector<FileStat> fs = FStats(mp_);
  ASSERT_EQ(fs.size(), 2u);
  EXPECT_EQ(g.st_cache_hit, fs[0].s.st_cache_hit + fs[1].s.st_cache_hit);
  EXPECT_EQ(g.st_cache_miss, fs[0].s.st_cache_miss + fs[1].s.st_cache_miss);
  EXPECT_EQ(g.st_map, fs[0].s.st_map + fs[1].s.st_map);
  EXPECT_EQ(g.st_page_create, fs[0].s.st_page_create + fs[1].s.st_page_create);
  EXPECT_EQ(g.st_page_in, fs[0].s.st_page_in + fs[1].s.st_page_in);
  EXPECT_EQ(g.st_page_out, fs[0].s.st_page_out + fs[1].s.st_page_out);
  EXPECT_EQ(g.st_cache_hit + g.st_cache_miss, 3u * (6 + 3) + 1);
  EXPECT_EQ(g.st_page_create, 1u);
  EXPECT_GT(g.st_page_out, 0u);
  EXPECT_GT(g.st_hash_buckets, 0u);
  ASSERT_EQ(memp_fclose(fa), 0);
  ASSERT_EQ(memp_fclose(fb), 0);
}

}  // namespace
}  // namespace lfmtest
