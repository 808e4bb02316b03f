// memp_fopen / memp_fclose / memp_fsync (memp_sync's checkpoints:
// tests/writeback/checkpoint_test.cc).
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

class MempFopen : public PoolTest {
 protected:
  void SetUp() override {
    Open();
    StopFlushers(mp_);  // some cases check nothing was written yet
  }
};

// Pins page pgno, overwrites it with the salted pattern, puts it DIRTY.
void Dirty(DB_MPOOLFILE *mpf, db_pgno_t pgno, size_t pagesize, uint32_t salt) {
  db_pgno_t pg = pgno;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0) << "page " << pgno;
  FillPattern(page, pagesize, pgno, salt);
  ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
}

// A pgin that marks the pages it sees, to tell pgin ran.
constexpr uint8_t kPginMark = 0x5a;
int MarkPgin(db_pgno_t, void *pgaddr, DBT *) {
  static_cast<uint8_t *>(pgaddr)[0] = kPginMark;
  return 0;
}

// ================================================================ memp_fopen

TEST_F(MempFopen, PagesizeZeroIsEinval) {
  DB_MPOOLFILE *mpf = nullptr;
  EXPECT_EQ(OpenFile(mp_, Path(), 0, &mpf, DB_CREATE), EINVAL);
  EXPECT_EQ(OpenFile(mp_, std::string(), 0, &mpf), EINVAL);
}

TEST_F(MempFopen, UnknownFlagsAreEinval) {
  const std::string path = Path();
  MakeFile(path, 1, kPage);
  for (int bad :
       {DB_THREAD, DB_MPOOL_PRIVATE, 0x8, 0x100, 0x20000, 0x20000000}) {
    DB_MPOOLFILE *mpf = nullptr;
    EXPECT_EQ(OpenFile(mp_, path, kPage, &mpf, DB_CREATE | bad), EINVAL)
        << "flag 0x" << std::hex << bad;
  }
}

TEST_F(MempFopen, AllowedFlagsAreAccepted) {
  const std::string path = Path();
  MakeFile(path, 1, kPage);
  DB_MPOOLFILE *a = nullptr, *b = nullptr, *c = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &a, DB_CREATE | DB_NOMMAP), 0);
  ASSERT_EQ(OpenFile(mp_, path, kPage, &b, DB_RDONLY), 0);
  ASSERT_EQ(OpenFile(mp_, Path("new.db"), kPage, &c, DB_CREATE | DB_NOMMAP), 0);
  EXPECT_EQ(memp_fclose(a), 0);
  EXPECT_EQ(memp_fclose(b), 0);
  EXPECT_EQ(memp_fclose(c), 0);
}

TEST_F(MempFopen, NullMpfIsEinval) {
  EXPECT_EQ(OpenFile(mp_, Path(), kPage, nullptr, DB_CREATE), EINVAL);
}

TEST_F(MempFopen, LengthNotMultipleOfPagesizeIsEinval) {
  const std::string path = Path();
  std::vector<uint8_t> bytes(2 * kPage + 100, 0x5a);
  ASSERT_TRUE(WriteAll(path, bytes.data(), bytes.size()));
  DB_MPOOLFILE *mpf = nullptr;
  EXPECT_EQ(OpenFile(mp_, path, kPage, &mpf), EINVAL);
  EXPECT_EQ(OpenFile(mp_, path, kPage, &mpf, DB_CREATE), EINVAL);
  ASSERT_TRUE(WriteAll(path, bytes.data(), 100));
  EXPECT_EQ(OpenFile(mp_, path, kPage, &mpf), EINVAL);
  EXPECT_EQ(FileSize(path), 100);
}

TEST_F(MempFopen, EmptyOrMultipleLengthIsAccepted) {
  const std::string empty = Path("empty.db"), two = Path("two.db");
  ASSERT_TRUE(WriteAll(empty, "", 0));
  MakeFile(two, 2, kPage);
  DB_MPOOLFILE *a = nullptr, *b = nullptr, *c = nullptr;
  ASSERT_EQ(OpenFile(mp_, empty, kPage, &a), 0);
  ASSERT_EQ(OpenFile(mp_, two, kPage, &b), 0);
  // 8192 bytes is also two 4 KiB... and eight 1 KiB pages: another pool.
  DB_MPOOL *mp2 = nullptr;
  ASSERT_EQ(OpenPool(kSmallPool, &mp2), 0);
  ASSERT_EQ(OpenFile(mp2, two, 1024, &c), 0);
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(c, &pg, DB_MPOOL_LAST, &page), 0);
  EXPECT_EQ(pg, 7u);
  ASSERT_EQ(memp_fput(c, page, 0), 0);
  EXPECT_EQ(memp_fclose(a), 0);
  EXPECT_EQ(memp_fclose(b), 0);
  EXPECT_EQ(memp_fclose(c), 0);
  EXPECT_EQ(memp_close(mp2), 0);
}

// The same file under another name (hard link, "./" in the path) with a
// different page size is EINVAL.
TEST_F(MempFopen, SameFileOtherPathOtherPagesizeIsEinval) {
  const std::string path = Path(), link = Path("link.db");
  const std::string dotted = dir_.path() + "/./f.db";
  MakeFile(path, 4, kPage);
  ASSERT_EQ(::link(path.c_str(), link.c_str()), 0);
  DB_MPOOLFILE *mpf = nullptr, *other = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf), 0);
  EXPECT_EQ(OpenFile(mp_, link, 2048, &other), EINVAL);
  EXPECT_EQ(OpenFile(mp_, dotted, 8192, &other), EINVAL);
  EXPECT_EQ(OpenFile(mp_, path, 1024, &other), EINVAL);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// ====================================================== mixed page sizes

// Two files with different page sizes in one pool. Once the pages of one
// size have filled every frame (all unpinned), a miss of the other size
// retires smaller frames to make room rather than fail; dirty pages go out
// first. Alternating many times, each page reads back its own bytes.
void MixPageSizes(DB_MPOOL *mp, const std::string &small,
                  const std::string &big, bool dirty) {
  const size_t kBig = 2 * kPage;
  const db_pgno_t kSmallPages = 3 * kSmallPoolFrames, kBigPages = 4;
  MakeFile(small, kSmallPages, kPage);
  MakeFile(big, kBigPages, kBig);
  DB_MPOOLFILE *a = nullptr, *b = nullptr;
  ASSERT_EQ(OpenFile(mp, small, kPage, &a), 0);
  ASSERT_EQ(OpenFile(mp, big, kBig, &b), 0);
  // Version of each page's latest contents (0: as made).
  std::vector<uint32_t> va(kSmallPages, 0), vb(kBigPages, 0);
  uint32_t next = 1;
  auto use = [&](DB_MPOOLFILE *mpf, db_pgno_t pgno, size_t ps,
                 uint32_t *version) {
    db_pgno_t pg = pgno;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0)
        << "page " << pgno << " of " << ps << "-byte pages";
    ASSERT_EQ(Bytes(page, ps), PatternPage(pgno, ps, *version))
        << "page " << pgno << " of " << ps << "-byte pages";
    unsigned long flags = 0;
    if (dirty) {
      *version = next++;
      FillPattern(page, ps, pgno, *version);
      flags = DB_MPOOL_DIRTY;
    }
    ASSERT_EQ(memp_fput(mpf, page, flags), 0);
  };
  for (int round = 0; round < 12; round++) {
    for (db_pgno_t p = 0; p < kSmallPages; p++)
      ASSERT_NO_FATAL_FAILURE(use(a, p, kPage, &va[p]));
    for (db_pgno_t p = 0; p < kBigPages; p++)
      ASSERT_NO_FATAL_FAILURE(use(b, p, kBig, &vb[p]));
  }
  // 0, not DB_INCOMPLETE: no dirty page stayed pinned. (A leaked pin
  // would also have made some round's miss ENOMEM: every round needs every
  // frame.)
  EXPECT_EQ(memp_fsync(a), 0);
  EXPECT_EQ(memp_fsync(b), 0);
  for (db_pgno_t p = 0; p < kSmallPages; p++)
    EXPECT_EQ(ReadPage(small, p, kPage), PatternPage(p, kPage, va[p]));
  for (db_pgno_t p = 0; p < kBigPages; p++)
    EXPECT_EQ(ReadPage(big, p, kBig), PatternPage(p, kBig, vb[p]));
  EXPECT_EQ(memp_fclose(a), 0);
  EXPECT_EQ(memp_fclose(b), 0);
}

TEST_F(MempFopen, PageSizesMixInOnePool) {
  MixPageSizes(mp_, Path("small.db"), Path("big.db"), false);
}

TEST_F(MempFopen, PageSizesMixInOnePoolWithDirtyPages) {
  MixPageSizes(mp_, Path("small.db"), Path("big.db"), true);
}

TEST_F(MempFopen, PageSizesMixInOneSharedPool) {
  const std::string dir = Path("region");
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  DB_ENV *env = new DB_ENV;
  memset(env, 0, sizeof *env);
  env->mp_size = kSmallPool;
  Envs().push_back(env);
  std::string copy = dir;
  DB_MPOOL *shared = nullptr;
  ASSERT_EQ(memp_open(&copy[0], DB_CREATE, 0644, env, &shared), 0);
  StopFlushers(shared);
  MixPageSizes(shared, Path("small.db"), Path("big.db"), true);
  EXPECT_EQ(memp_close(shared), 0);
}

// Every Berkeley DB page size, 512 bytes to 64 KiB, in one pool of the
// default size (128 KiB): each size gets frames, the others' retired as
// needed, and each page reads back its own bytes, written or not.
TEST_F(MempFopen, EveryPageSizeInOnePool) {
  DB_MPOOL *mp = nullptr;
  ASSERT_EQ(memp_open(nullptr, DB_CREATE | DB_MPOOL_PRIVATE, 0, nullptr, &mp),
            0);
  StopFlushers(mp);
  constexpr int kSizes = 8;
  constexpr db_pgno_t kPages = 2;
  std::vector<DB_MPOOLFILE *> h(kSizes);
  std::vector<std::string> path(kSizes);
  for (int i = 0; i < kSizes; i++) {
    const size_t ps = 512u << i;
    path[i] = Path("ps" + std::to_string(ps) + ".db");
    MakeFile(path[i], kPages, ps);
    ASSERT_EQ(OpenFile(mp, path[i], ps, &h[i]), 0) << ps;
  }
  for (uint32_t round = 1; round <= 3; round++) {
    for (int i = 0; i < kSizes; i++) {
      const size_t ps = 512u << i;
      for (db_pgno_t p = 0; p < kPages; p++) {
        db_pgno_t pg = p;
        void *page = nullptr;
        ASSERT_EQ(memp_fget(h[i], &pg, 0, &page), 0)
            << ps << "-byte page " << p << ", round " << round;
        ASSERT_EQ(Bytes(page, ps), PatternPage(p, ps, round - 1))
            << ps << "-byte page " << p << ", round " << round;
        FillPattern(page, ps, p, round);
        ASSERT_EQ(memp_fput(h[i], page, DB_MPOOL_DIRTY), 0);
      }
    }
  }
  for (int i = 0; i < kSizes; i++) {
    const size_t ps = 512u << i;
    EXPECT_EQ(memp_fsync(h[i]), 0) << ps;
    for (db_pgno_t p = 0; p < kPages; p++)
      EXPECT_EQ(ReadPage(path[i], p, ps), PatternPage(p, ps, 3)) << ps;
    EXPECT_EQ(memp_fclose(h[i]), 0);
  }
  EXPECT_EQ(memp_close(mp), 0);
}

// memp_fget CREATE of page 0xffffffff is EFBIG, as DB_MPOOL_NEW would be
// there, and adds no page.
TEST_F(MempFopen, CreatePastTheLastPageNumberIsEfbig) {
  MakeFile(Path(), 2, kPage);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf), 0);
  db_pgno_t pg = 0xffffffffu;
  void *page = nullptr;
  EXPECT_EQ(memp_fget(mpf, &pg, DB_MPOOL_CREATE, &page), EFBIG);
  pg = 0;
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_LAST, &page), 0);
  EXPECT_EQ(pg, 1u) << "the failed CREATE extended the file";
  EXPECT_EQ(memp_fput(mpf, page, 0), 0);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// With the same page size both handles share the cached page: a dirty page
// put through one is seen through the other with no I/O.
TEST_F(MempFopen, SameFileOtherPathSharesCachedPages) {
  const std::string path = Path(), link = Path("link.db");
  const std::string dotted = dir_.path() + "/./f.db";
  MakeFile(path, 4, kPage);
  ASSERT_EQ(::link(path.c_str(), link.c_str()), 0);
  DB_MPOOLFILE *h1 = nullptr, *h2 = nullptr, *h3 = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &h1), 0);
  ASSERT_EQ(OpenFile(mp_, link, kPage, &h2), 0);
  ASSERT_EQ(OpenFile(mp_, dotted, kPage, &h3), 0);
  Dirty(h1, 2, kPage, 4);
  DB_MPOOL_STAT s0 = Stat(mp_);
  for (DB_MPOOLFILE *h : {h2, h3}) {
    db_pgno_t pg = 2;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(h, &pg, 0, &page), 0);
    EXPECT_EQ(Bytes(page, kPage), PatternPage(2, kPage, 4));
    ASSERT_EQ(memp_fput(h, page, 0), 0);
  }
  DB_MPOOL_STAT s1 = Stat(mp_);
  EXPECT_EQ(s1.st_page_in, s0.st_page_in);
  EXPECT_EQ(s1.st_page_out, s0.st_page_out);
  EXPECT_EQ(s1.st_cache_miss, s0.st_cache_miss);
  EXPECT_EQ(s1.st_cache_hit, s0.st_cache_hit + 2);
  EXPECT_EQ(ReadPage(path, 2, kPage), PatternPage(2, kPage));
  // Written once, through any handle.
  EXPECT_EQ(memp_fsync(h2), 0);
  EXPECT_EQ(ReadPage(path, 2, kPage), PatternPage(2, kPage, 4));
  EXPECT_EQ(memp_fclose(h1), 0);
  EXPECT_EQ(memp_fclose(h2), 0);
  EXPECT_EQ(memp_fclose(h3), 0);
}

// Closing one of two handles on a file leaves the other's cached (dirty)
// pages alone: the other handle's fsync still writes them.
TEST_F(MempFopen, ClosingOneOfTwoHandlesKeepsTheOthersDirtyPages) {
  const std::string path = Path(), link = Path("link.db");
  MakeFile(path, 4, kPage);
  ASSERT_EQ(::link(path.c_str(), link.c_str()), 0);
  DB_MPOOLFILE *h1 = nullptr, *h2 = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &h1), 0);
  ASSERT_EQ(OpenFile(mp_, link, kPage, &h2), 0);
  Dirty(h2, 1, kPage, 7);
  Dirty(h1, 2, kPage, 7);
  ASSERT_EQ(memp_fclose(h1), 0);
  db_pgno_t pg = 1;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(h2, &pg, 0, &page), 0);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(1, kPage, 7));
  ASSERT_EQ(memp_fput(h2, page, 0), 0);
  EXPECT_EQ(memp_fsync(h2), 0);
  EXPECT_EQ(ReadPage(path, 1, kPage), PatternPage(1, kPage, 7));
  EXPECT_EQ(memp_fclose(h2), 0);
}

TEST_F(MempFopen, MissingFileWithoutCreateIsEnoent) {
  DB_MPOOLFILE *mpf = nullptr;
  EXPECT_EQ(OpenFile(mp_, Path("missing.db"), kPage, &mpf), ENOENT);
  EXPECT_FALSE(Exists(Path("missing.db")));
  EXPECT_EQ(OpenFile(mp_, Path("missing.db"), kPage, &mpf, DB_RDONLY), ENOENT);
}

TEST_F(MempFopen, MissingFileWithCreateIsCreatedWithModeLessUmask) {
  const std::string path = Path("created.db");
  const mode_t old = ::umask(027);
  DB_MPOOLFILE *mpf = nullptr;
  const int rc = memp_fopen(mp_, const_cast<char *>(path.c_str()), 0, DB_CREATE,
                            0666, kPage, -1, nullptr, nullptr, &mpf);
  ::umask(old);
  ASSERT_EQ(rc, 0);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(st.st_size, 0);
  db_pgno_t pg = 0;
  void *page = nullptr;
  EXPECT_EQ(memp_fget(mpf, &pg, DB_MPOOL_LAST, &page), EINVAL);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// file NULL: a private temporary file that works like any file, including
// eviction and re-reading of its pages.
TEST_F(MempFopen, TemporaryFileWorks) {
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, std::string(), kPage, &mpf), 0);
  for (db_pgno_t want = 0; want < 12; want++) {
    db_pgno_t pg = 999;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_NEW, &page), 0);
    ASSERT_EQ(pg, want);
    EXPECT_TRUE(AllZero(page, kPage));
    FillPattern(page, kPage, pg, 2);
    ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  }
  EXPECT_EQ(memp_fsync(mpf), 0);
  for (db_pgno_t p = 0; p < 12; p++) {  // more pages than frames
    db_pgno_t pg = p;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
    EXPECT_EQ(Bytes(page, kPage), PatternPage(p, kPage, 2)) << p;
    ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  }
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_LAST, &page), 0);
  EXPECT_EQ(pg, 11u);
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  EXPECT_GT(Stat(mp_).st_page_out, 0u);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

TEST_F(MempFopen, TemporaryFileReadOnlyIsEinval) {
  DB_MPOOLFILE *mpf = nullptr;
  EXPECT_EQ(OpenFile(mp_, std::string(), kPage, &mpf, DB_RDONLY), EINVAL);
}

// The pool keeps a file's pgcookie in its region (every process's pgin and
// pgout get it), which has room for DB_MPOOL_PGCOOKIE_MAX bytes: a longer
// one is EINVAL, and nothing happens (DB_CREATE makes no file); one of
// exactly that length reaches pgin and pgout whole. A size with no data is
// EINVAL too.
TEST_F(MempFopen, PgcookieLongerThanTheLimitIsEinval) {
  const std::string path = Path();
  std::string big(DB_MPOOL_PGCOOKIE_MAX + 1, 'c');
  for (size_t i = 0; i < big.size(); i++) big[i] = static_cast<char>(i * 7);
  DBT cookie;
  memset(&cookie, 0, sizeof cookie);
  cookie.data = &big[0];
  cookie.size = DB_MPOOL_PGCOOKIE_MAX + 1;
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(memp_register(mp_, 1, TestPgin, TestPgout), 0);
  EXPECT_EQ(OpenFile(mp_, path, kPage, &mpf, DB_CREATE, 1, -1, &cookie),
            EINVAL);
  EXPECT_EQ(mpf, nullptr);
  EXPECT_FALSE(Exists(path)) << "the refused memp_fopen created the file";
  cookie.data = nullptr;
  cookie.size = 8;
  EXPECT_EQ(OpenFile(mp_, path, kPage, &mpf, DB_CREATE, 1, -1, &cookie),
            EINVAL);
  EXPECT_FALSE(Exists(path));

  // The largest: whole, in pgin and in pgout.
  ResetHooks();
  cookie.data = &big[0];
  cookie.size = DB_MPOOL_PGCOOKIE_MAX;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf, DB_CREATE, 1, -1, &cookie), 0);
  const std::string want = big.substr(0, DB_MPOOL_PGCOOKIE_MAX);
  big.assign(big.size(), '#');  // the pool keeps its own copy
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_CREATE, &page), 0);
  ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  EXPECT_EQ(memp_fsync(mpf), 0);
  HookState &h = Hooks();
  ASSERT_EQ(h.pgin_calls.load(), 1);
  EXPECT_TRUE(h.last_pgin_cookie == want);
  ASSERT_EQ(h.pgout_calls.load(), 1);
  EXPECT_TRUE(h.last_pgout_cookie == want);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// ================================================================ DB_RDONLY

// The page names only DB_MPOOL_NEW as invalid on a file not opened for
// writing: DB_MPOOL_CREATE of a page past the end of a DB_RDONLY file makes
// it in the pool (zeroed, through pgin), as Berkeley DB's hash access method
// expects of the empty buckets of a read-only file. It is never written: a
// DIRTY put or set of it is EACCES, and the file keeps its length through
// every sync.
TEST_F(MempFopen, ReadOnlyCreatePastTheEndMakesThePageInThePool) {
  const std::string path = Path();
  MakeFile(path, 3, kPage);
  ASSERT_EQ(memp_register(mp_, 7, MarkPgin, nullptr), 0);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(memp_fopen(mp_, const_cast<char *>(path.c_str()), 7, DB_RDONLY, 0,
                       kPage, -1, nullptr, nullptr, &mpf),
            0);
  db_pgno_t pg = 5;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_CREATE, &page), 0);
  EXPECT_EQ(pg, 5u);
  std::vector<uint8_t> want(kPage, 0);
  want[0] = kPginMark;  // zeroed, then through pgin
  EXPECT_EQ(Bytes(page, kPage), want);
  EXPECT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), EACCES);
  EXPECT_EQ(memp_fset(mpf, page, DB_MPOOL_DIRTY), EACCES);
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  // The same page again, and one between the old end and it.
  pg = 5;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  EXPECT_EQ(Bytes(page, kPage), want);
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  pg = 4;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  EXPECT_EQ(Bytes(page, kPage), want);
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  EXPECT_EQ(memp_fsync(mpf), 0);
  DB_LSN lsn = {1, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
  EXPECT_EQ(FileSize(path), static_cast<long long>(3 * kPage));
  EXPECT_EQ(memp_fclose(mpf), 0);
  EXPECT_EQ(FileSize(path), static_cast<long long>(3 * kPage));
}

TEST_F(MempFopen, ReadOnlyRejectsNewAndMissingPage) {
  const std::string path = Path();
  MakeFile(path, 3, kPage);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf, DB_RDONLY), 0);
  db_pgno_t pg = 0;
  void *page = nullptr;
  EXPECT_EQ(memp_fget(mpf, &pg, DB_MPOOL_NEW, &page), EINVAL);
  pg = 3;
  EXPECT_EQ(memp_fget(mpf, &pg, 0, &page), EINVAL);
  // Existing pages read fine, also with DB_MPOOL_CREATE; the file is
  // unchanged.
  pg = 2;
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_CREATE, &page), 0);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(2, kPage));
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  pg = 0;
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_LAST, &page), 0);
  EXPECT_EQ(pg, 2u);
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  EXPECT_EQ(memp_fclose(mpf), 0);
  EXPECT_EQ(FileSize(path), static_cast<long long>(3 * kPage));
}

// DIRTY on a read-only file: EACCES, the pin is kept.
// DB_NOMMAP: the cached path, where pins are counted (mapped pages
// are not pinned, as in Berkeley DB).
TEST_F(MempFopen, ReadOnlyDirtyPutIsEaccesAndKeepsPin) {
  const std::string path = Path();
  MakeFile(path, 3, kPage);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf, DB_RDONLY | DB_NOMMAP), 0);
  db_pgno_t pg = 1;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  EXPECT_EQ(Bytes(page, kPage), PatternPage(1, kPage));
  EXPECT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), EACCES);
  EXPECT_EQ(memp_fput(mpf, page, 0), 0);
  EXPECT_EQ(memp_fput(mpf, page, 0), EINVAL);
  EXPECT_EQ(memp_fsync(mpf), 0);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// DB_NOMMAP: the cached path, where pins are counted (mapped pages
// are not pinned, as in Berkeley DB).
TEST_F(MempFopen, ReadOnlyDirtyFsetIsEaccesAndKeepsPin) {
  const std::string path = Path();
  MakeFile(path, 3, kPage);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf, DB_RDONLY | DB_NOMMAP), 0);
  db_pgno_t pg = 2;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  EXPECT_EQ(memp_fset(mpf, page, DB_MPOOL_DIRTY), EACCES);
  EXPECT_EQ(memp_fput(mpf, page, 0), 0);
  EXPECT_EQ(memp_fput(mpf, page, 0), EINVAL);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// memp_fclose of a file's last handle releases the pins still held on its
// pages, direct ones and ones held through the thread cache: the pool (5
// frames, all pinned before) can then hold 5 other pages at once.
TEST_F(MempFopen, FcloseOfTheLastHandleReleasesItsPins) {
  const std::string a = Path("a.db"), b = Path("b.db");
  MakeFile(a, 8, kPage);
  MakeFile(b, 8, kPage);
  DB_MPOOLFILE *fa = nullptr, *fb = nullptr;
  ASSERT_EQ(OpenFile(mp_, a, kPage, &fa), 0);
  ASSERT_EQ(OpenFile(mp_, b, kPage, &fb), 0);
  void *page = nullptr;
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) {
    db_pgno_t pg = p;
    ASSERT_EQ(memp_fget(fa, &pg, 0, &page), 0);
    if (p % 2 == 0) {  // a second use: this pin is held through the cache
      ASSERT_EQ(memp_fput(fa, page, 0), 0);
      ASSERT_EQ(memp_fget(fa, &pg, 0, &page), 0);
    }
  }
  db_pgno_t other = 0;
  ASSERT_EQ(memp_fget(fb, &other, 0, &page), ENOMEM);  // all pinned
  ASSERT_EQ(memp_fclose(fa), 0);
  std::vector<void *> held;
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) {
    db_pgno_t pg = p;
    ASSERT_EQ(memp_fget(fb, &pg, 0, &page), 0) << "page " << p;
    EXPECT_EQ(Bytes(page, kPage), PatternPage(p, kPage));
    held.push_back(page);
  }
  for (void *h : held) EXPECT_EQ(memp_fput(fb, h, 0), 0);
  EXPECT_EQ(memp_fclose(fb), 0);
}

// With two handles on one file, closing the first keeps the pins (they
// may be the second's); closing the last releases them.
TEST_F(MempFopen, FcloseKeepsPinsWhileAnotherHandleIsOpen) {
  const std::string a = Path("a.db"), b = Path("b.db");
  MakeFile(a, 8, kPage);
  MakeFile(b, 8, kPage);
  DB_MPOOLFILE *fa1 = nullptr, *fa2 = nullptr, *fb = nullptr;
  ASSERT_EQ(OpenFile(mp_, a, kPage, &fa1), 0);
  ASSERT_EQ(OpenFile(mp_, a, kPage, &fa2), 0);
  ASSERT_EQ(OpenFile(mp_, b, kPage, &fb), 0);
  void *page = nullptr;
  for (db_pgno_t p = 0; p < kSmallPoolFrames; p++) {
    db_pgno_t pg = p;
    ASSERT_EQ(memp_fget(fa2, &pg, 0, &page), 0);
  }
  ASSERT_EQ(memp_fclose(fa1), 0);
  db_pgno_t other = 0;
  EXPECT_EQ(memp_fget(fb, &other, 0, &page), ENOMEM);  // still pinned
  ASSERT_EQ(memp_fclose(fa2), 0);
  ASSERT_EQ(memp_fget(fb, &other, 0, &page), 0);
  EXPECT_EQ(memp_fput(fb, page, 0), 0);
  EXPECT_EQ(memp_fclose(fb), 0);
}

// ================================================================ memp_fsync

class MempFsync : public PoolTest {
 protected:
  void Open(size_t size = kSmallPool, int flags = 0) {
    PoolTest::Open(size, flags);
    StopFlushers(mp_);  // the cases check what is written, and when
  }
};

TEST_F(MempFsync, WritesTheFilesDirtyPages) {
  const std::string path = Path();
  MakeFile(path, 4, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf), 0);
  Dirty(mpf, 1, kPage, 6);
  Dirty(mpf, 3, kPage, 6);
  EXPECT_EQ(ReadPage(path, 1, kPage), PatternPage(1, kPage));
  EXPECT_EQ(memp_fsync(mpf), 0);
  EXPECT_EQ(ReadPage(path, 0, kPage), PatternPage(0, kPage));
  EXPECT_EQ(ReadPage(path, 1, kPage), PatternPage(1, kPage, 6));
  EXPECT_EQ(ReadPage(path, 2, kPage), PatternPage(2, kPage));
  EXPECT_EQ(ReadPage(path, 3, kPage), PatternPage(3, kPage, 6));
  EXPECT_EQ(Stat(mp_).st_page_out, 2u);
  // Now clean: a second fsync writes nothing.
  EXPECT_EQ(memp_fsync(mpf), 0);
  EXPECT_EQ(Stat(mp_).st_page_out, 2u);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// A pinned dirty page is skipped (DB_INCOMPLETE), the others are written;
// once unpinned the next fsync writes it.
TEST_F(MempFsync, SkipsPinnedDirtyPageThenWritesIt) {
  const std::string path = Path();
  MakeFile(path, 4, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf), 0);
  db_pgno_t pg = 0;
  void *pinned = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &pinned), 0);
  FillPattern(pinned, kPage, 0, 8);
  ASSERT_EQ(memp_fset(mpf, pinned, DB_MPOOL_DIRTY), 0);
  Dirty(mpf, 2, kPage, 8);
  EXPECT_EQ(memp_fsync(mpf), DB_INCOMPLETE);
  EXPECT_EQ(ReadPage(path, 0, kPage), PatternPage(0, kPage));
  EXPECT_EQ(ReadPage(path, 2, kPage), PatternPage(2, kPage, 8));
  ASSERT_EQ(memp_fput(mpf, pinned, 0), 0);
  EXPECT_EQ(memp_fsync(mpf), 0);
  EXPECT_EQ(ReadPage(path, 0, kPage), PatternPage(0, kPage, 8));
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// NEW pages beyond the end of the file extend it when written.
TEST_F(MempFsync, NewPagesExtendTheFile) {
  const std::string path = Path();
  MakeFile(path, 2, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf), 0);
  for (db_pgno_t want = 2; want < 4; want++) {
    db_pgno_t pg = 0;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_NEW, &page), 0);
    ASSERT_EQ(pg, want);
    FillPattern(page, kPage, pg, 1);
    ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  }
  EXPECT_EQ(FileSize(path), static_cast<long long>(2 * kPage));
  EXPECT_EQ(memp_fsync(mpf), 0);
  EXPECT_EQ(FileSize(path), static_cast<long long>(4 * kPage));
  EXPECT_EQ(ReadPage(path, 1, kPage), PatternPage(1, kPage));
  EXPECT_EQ(ReadPage(path, 2, kPage), PatternPage(2, kPage, 1));
  EXPECT_EQ(ReadPage(path, 3, kPage), PatternPage(3, kPage, 1));
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// memp_fclose writes nothing: dirty pages put but not synced are dropped.
TEST_F(MempFsync, FcloseWritesNothing) {
  const std::string path = Path();
  MakeFile(path, 3, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf), 0);
  Dirty(mpf, 0, kPage, 3);
  Dirty(mpf, 2, kPage, 3);
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_NEW, &page), 0);
  ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  ASSERT_EQ(memp_fclose(mpf), 0);
  EXPECT_EQ(FileSize(path), static_cast<long long>(3 * kPage));
  for (db_pgno_t p = 0; p < 3; p++)
    EXPECT_EQ(ReadPage(path, p, kPage), PatternPage(p, kPage)) << p;
  // Nor does closing the pool afterwards.
  ClosePool();
  EXPECT_EQ(FileSize(path), static_cast<long long>(3 * kPage));
  for (db_pgno_t p = 0; p < 3; p++)
    EXPECT_EQ(ReadPage(path, p, kPage), PatternPage(p, kPage)) << p;
}

// memp_close writes nothing either.
TEST_F(MempFsync, MempCloseWritesNothing) {
  const std::string path = Path();
  MakeFile(path, 3, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPage, &mpf), 0);
  Dirty(mpf, 1, kPage, 3);
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_NEW, &page), 0);
  ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  ASSERT_EQ(memp_fclose(mpf), 0);
  ClosePool();
  EXPECT_EQ(FileSize(path), static_cast<long long>(3 * kPage));
  for (db_pgno_t p = 0; p < 3; p++)
    EXPECT_EQ(ReadPage(path, p, kPage), PatternPage(p, kPage)) << p;
}

}  // namespace
}  // namespace lfmtest
