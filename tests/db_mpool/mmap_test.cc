// The mmap path: a DB_RDONLY file no larger than mp_mmapsize
// (default 10 MB), of a type without pgin, is mapped into the process
// instead of read into the cache, unless DB_NOMMAP is given to memp_open or
// memp_fopen; st_map counts the pages served from the mapping. Each case
// runs on a private pool and on a shared one (a directory); the last ones
// involve a second process.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/shared_util.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

constexpr size_t kDefaultMmap = 10 * 1024 * 1024;

class Mmap : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    tmpdir_.reset(new ScopedTmpdir(dir_.path()));
    pool_ = dir_.File("pool");
    ASSERT_EQ(::mkdir(pool_.c_str(), 0755), 0);
  }
  void TearDown() override {
    if (mp_ != nullptr) {
      EXPECT_EQ(memp_close(mp_), 0);
    }
    mp_ = nullptr;
  }
  bool Shared() const { return GetParam(); }
  // The pool: private or in pool_, with mp_mmapsize `mmapsize` (0: default).
  void Open(int flags = 0, size_t mmapsize = 0) {
    int rc;
    if (Shared()) {
      rc = OpenShared(pool_.c_str(), DB_CREATE | flags, kSmallPool, &mp_, 0644,
                      mmapsize);
    } else {
      DB_ENV *env = new DB_ENV;
      memset(env, 0, sizeof *env);
      env->mp_size = kSmallPool;
      env->mp_mmapsize = mmapsize;
      Envs().push_back(env);
      rc = memp_open(nullptr, DB_CREATE | DB_MPOOL_PRIVATE | flags, 0644, env,
                     &mp_);
    }
    ASSERT_EQ(rc, 0) << strerror(rc);
  }
  std::string Path(const std::string &name = "f.db") const {
    return dir_.File(name);
  }
  // This file's statistics (by name).
  DB_MPOOL_FSTAT FStat(const std::string &path) { return FStatOf(mp_, path); }
  // Reads every page (twice) and checks its bytes against the pattern.
  void ReadAll(DB_MPOOLFILE *mpf, db_pgno_t n, uint32_t salt = 0) {
    for (int round = 0; round < 2; round++) {
      for (db_pgno_t p = 0; p < n; p++) {
        db_pgno_t pg = p;
        void *page = nullptr;
        ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0) << "page " << p;
        EXPECT_TRUE(Bytes(page, kPage) == PatternPage(p, kPage, salt))
            << "page " << p;
        ASSERT_EQ(memp_fput(mpf, page, 0), 0);
      }
    }
  }
  // Checks the file was read (not mapped): st_map 0, st_page_in == n.
  void ExpectCached(const std::string &path, unsigned long n) {
    DB_MPOOL_STAT g = Stat(mp_);
    DB_MPOOL_FSTAT f = FStat(path);
    EXPECT_EQ(g.st_map, 0u);
    EXPECT_EQ(f.st_map, 0u);
    EXPECT_EQ(f.st_page_in, n);
    EXPECT_EQ(g.st_page_in, n);
  }

  TempDir dir_;
  std::unique_ptr<ScopedTmpdir> tmpdir_;
  std::string pool_;
  DB_MPOOL *mp_ = nullptr;
};

INSTANTIATE_TEST_SUITE_P(PrivateAndShared, Mmap, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool> &i) {
                           return i.param ? "Shared" : "Private";
                         });

// A small read-only file is mapped: the right bytes, at one address per
// page, counted in st_map (per file and in total), never read.
TEST_P(Mmap, SmallReadOnlyFileIsMapped) {
  const std::string f = Path();
  MakeFile(f, 4, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, f, kPage, &mpf, DB_RDONLY), 0);
  ASSERT_NO_FATAL_FAILURE(ReadAll(mpf, 4));
  void *a = nullptr, *b = nullptr;
  db_pgno_t pg = 2;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &a), 0);
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &b), 0);
  EXPECT_EQ(a, b) << "a mapped page has one address";
  ASSERT_EQ(memp_fput(mpf, a, 0), 0);
  ASSERT_EQ(memp_fput(mpf, b, 0), 0);
  pg = 0;
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_LAST, &a), 0);
  EXPECT_EQ(pg, 3u);
  EXPECT_TRUE(Bytes(a, kPage) == PatternPage(3, kPage));
  ASSERT_EQ(memp_fput(mpf, a, 0), 0);
  DB_MPOOL_STAT g = Stat(mp_);
  DB_MPOOL_FSTAT fs = FStat(f);
  EXPECT_EQ(fs.st_map, 11u);
  EXPECT_EQ(g.st_map, 11u);
  EXPECT_EQ(fs.st_page_in, 0u);
  EXPECT_EQ(g.st_page_in, 0u);
  // A missing page is EINVAL, NEW too; CREATE makes it in the cache (a
  // zero page), never in the file: DIRTY on it is EACCES.
  pg = 4;
  EXPECT_EQ(memp_fget(mpf, &pg, 0, &a), EINVAL);
  EXPECT_EQ(a, nullptr) << "a failed get leaves no page";
  pg = 0;
  a = b;
  EXPECT_EQ(memp_fget(mpf, &pg, DB_MPOOL_NEW, &a), EINVAL);
  EXPECT_EQ(a, nullptr);
  pg = 4;
  ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_CREATE, &a), 0);
  EXPECT_EQ(pg, 4u);
  EXPECT_EQ(Bytes(a, kPage), std::vector<uint8_t>(kPage, 0));
  EXPECT_EQ(memp_fput(mpf, a, DB_MPOOL_DIRTY), EACCES);
  ASSERT_EQ(memp_fput(mpf, a, 0), 0);
  EXPECT_EQ(FileSize(f), static_cast<long long>(4 * kPage));
  EXPECT_EQ(memp_fsync(mpf), 0);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// memp_fput / memp_fset DIRTY on a mapped page: EACCES; plain, CLEAN and
// DISCARD puts are fine; the file is never written.
TEST_P(Mmap, DirtyOnMappedPageIsEacces) {
  const std::string f = Path();
  MakeFile(f, 2, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, f, kPage, &mpf, DB_RDONLY), 0);
  db_pgno_t pg = 1;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  ASSERT_GT(Stat(mp_).st_map, 0u) << "not mapped";
  EXPECT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), EACCES);
  EXPECT_EQ(memp_fset(mpf, page, DB_MPOOL_DIRTY), EACCES);
  EXPECT_EQ(memp_fset(mpf, page, DB_MPOOL_CLEAN), 0);
  EXPECT_EQ(memp_fput(mpf, page, DB_MPOOL_DISCARD), 0);
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  EXPECT_EQ(memp_fput(mpf, page, DB_MPOOL_CLEAN), 0);
  LSN all = {0xFFFFFFFFu, 0xFFFFFFFFu};
  EXPECT_EQ(memp_sync(mp_, &all), 0);
  EXPECT_TRUE(ReadPage(f, 1, kPage) == PatternPage(1, kPage));
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// DB_NOMMAP on memp_fopen: the pages are read into the cache.
TEST_P(Mmap, NoMmapOnFopenCaches) {
  const std::string f = Path();
  MakeFile(f, 4, kPage);
  Open();
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, f, kPage, &mpf, DB_RDONLY | DB_NOMMAP), 0);
  ASSERT_NO_FATAL_FAILURE(ReadAll(mpf, 4));
  ExpectCached(f, 4);
  // Still read-only.
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  EXPECT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), EACCES);
  EXPECT_EQ(memp_fput(mpf, page, 0), 0);
}

// DB_NOMMAP on memp_open: no file of the pool is mapped.
TEST_P(Mmap, NoMmapOnOpenCaches) {
  const std::string f = Path();
  MakeFile(f, 4, kPage);
  Open(DB_NOMMAP);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, f, kPage, &mpf, DB_RDONLY), 0);
  ASSERT_NO_FATAL_FAILURE(ReadAll(mpf, 4));
  ExpectCached(f, 4);
}

// Larger than mp_mmapsize: cached; exactly mp_mmapsize: mapped.
TEST_P(Mmap, MmapsizeIsTheLimit) {
  const std::string big = Path("big.db"), fit = Path("fit.db");
  MakeFile(big, 4, kPage);
  MakeFile(fit, 3, kPage);
  Open(0, 3 * kPage);
  DB_MPOOLFILE *a = nullptr, *b = nullptr;
  ASSERT_EQ(OpenFile(mp_, big, kPage, &a, DB_RDONLY), 0);
  ASSERT_EQ(OpenFile(mp_, fit, kPage, &b, DB_RDONLY), 0);
  ASSERT_NO_FATAL_FAILURE(ReadAll(a, 4));
  ASSERT_NO_FATAL_FAILURE(ReadAll(b, 3));
  EXPECT_EQ(FStat(big).st_map, 0u);
  EXPECT_EQ(FStat(big).st_page_in, 4u);
  EXPECT_EQ(FStat(fit).st_map, 6u);
  EXPECT_EQ(FStat(fit).st_page_in, 0u);
  EXPECT_EQ(Stat(mp_).st_map, 6u);
}

// The default mp_mmapsize is 10 MB (10 MiB here): a file of that size is
// mapped, one page more is cached.
TEST_P(Mmap, DefaultMmapsizeIsTenMegabytes) {
  const std::string fit = Path("fit.db"), big = Path("big.db");
  {
    std::vector<uint8_t> bytes(kDefaultMmap, 0x3c);
    ASSERT_TRUE(WriteAll(fit, bytes.data(), bytes.size()));
    bytes.resize(kDefaultMmap + kPage, 0x3c);
    ASSERT_TRUE(WriteAll(big, bytes.data(), bytes.size()));
  }
  Open();
  DB_MPOOLFILE *a = nullptr, *b = nullptr;
  ASSERT_EQ(OpenFile(mp_, fit, kPage, &a, DB_RDONLY), 0);
  ASSERT_EQ(OpenFile(mp_, big, kPage, &b, DB_RDONLY), 0);
  const db_pgno_t last = kDefaultMmap / kPage - 1;
  for (DB_MPOOLFILE *mpf : {a, b}) {
    for (db_pgno_t p : {db_pgno_t{0}, last}) {
      db_pgno_t pg = p;
      void *page = nullptr;
      ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
      std::vector<uint8_t> want(kPage, 0x3c);
      EXPECT_TRUE(Bytes(page, kPage) == want);
      ASSERT_EQ(memp_fput(mpf, page, 0), 0);
    }
  }
  EXPECT_EQ(FStat(fit).st_map, 2u);
  EXPECT_EQ(FStat(fit).st_page_in, 0u);
  EXPECT_EQ(FStat(big).st_map, 0u);
  EXPECT_EQ(FStat(big).st_page_in, 2u);
}

constexpr int kXorType = 3;
int XorPgin(db_pgno_t, void *page, DBT *) {
  uint8_t *p = static_cast<uint8_t *>(page);
  for (size_t i = 0; i < kPage; i++) p[i] ^= 0xFF;
  return 0;
}

// A file whose type has a pgin is not mapped: its pages need the pgin.
TEST_P(Mmap, FileWithPginTypeIsCached) {
  const std::string f = Path();
  MakeFile(f, 2, kPage);
  Open();
  ASSERT_EQ(memp_register(mp_, kXorType, XorPgin, nullptr), 0);
  DB_MPOOLFILE *mpf = nullptr;
  std::string copy = f;
  ASSERT_EQ(memp_fopen(mp_, &copy[0], kXorType, DB_RDONLY, 0644, kPage, -1,
                       nullptr, nullptr, &mpf),
            0);
  db_pgno_t pg = 1;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  EXPECT_TRUE(Bytes(page, kPage) == Xor(PatternPage(1, kPage)))
      << "pgin did not run";
  ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  ExpectCached(f, 1);
}

// Open for writing in this process first: a later read-only handle is not
// mapped (it would miss the cache's newer page) and sees the dirty page.
TEST_P(Mmap, FileOpenForWritingIsNotMapped) {
  const std::string f = Path();
  MakeFile(f, 2, kPage);
  Open();
  StopFlushers(mp_);
  DB_MPOOLFILE *rw = nullptr, *ro = nullptr;
  ASSERT_EQ(OpenFile(mp_, f, kPage, &rw), 0);
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(rw, &pg, 0, &page), 0);
  FillPattern(page, kPage, 0, 5);
  ASSERT_EQ(memp_fput(rw, page, DB_MPOOL_DIRTY), 0);
  ASSERT_EQ(OpenFile(mp_, f, kPage, &ro, DB_RDONLY), 0);
  ASSERT_EQ(memp_fget(ro, &pg, 0, &page), 0);
  EXPECT_TRUE(Bytes(page, kPage) == PatternPage(0, kPage, 5))
      << "the read-only handle missed the dirty page";
  ASSERT_EQ(memp_fput(ro, page, 0), 0);
  EXPECT_EQ(Stat(mp_).st_map, 0u);
}

// The other order, in one process: the file is mapped read-only, then
// opened for writing and a page dirtied. As in Berkeley DB ("if another
// process has opened the file for writing since we mmap'd it ... everything
// goes through the cache"), the read-only handle must now see the cache.
// (Found an engine bug, since fixed: it used to fail.)
TEST_P(Mmap, MappedHandleSeesPageDirtiedLaterInThisProcess) {
  const std::string f = Path();
  MakeFile(f, 2, kPage);
  Open();
  StopFlushers(mp_);
  DB_MPOOLFILE *rw = nullptr, *ro = nullptr;
  ASSERT_EQ(OpenFile(mp_, f, kPage, &ro, DB_RDONLY), 0);
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(ro, &pg, 0, &page), 0);
  ASSERT_EQ(memp_fput(ro, page, 0), 0);
  ASSERT_EQ(Stat(mp_).st_map, 1u) << "not mapped to begin with";
  ASSERT_EQ(OpenFile(mp_, f, kPage, &rw), 0);
  ASSERT_EQ(memp_fget(rw, &pg, 0, &page), 0);
  FillPattern(page, kPage, 0, 5);
  ASSERT_EQ(memp_fput(rw, page, DB_MPOOL_DIRTY), 0);
  ASSERT_EQ(memp_fget(ro, &pg, 0, &page), 0);
  EXPECT_TRUE(Bytes(page, kPage) == PatternPage(0, kPage, 5))
      << "the mapped read-only handle missed the dirty page";
  ASSERT_EQ(memp_fput(ro, page, 0), 0);
}

// Shared pools, two processes: a file another process has open for writing
// (it is already in the pool) is not mapped here, and this process sees
// the other's dirty page.
TEST(MmapShared, FileAnotherProcessWritesIsNotMapped) {
  TempDir dir;
  ScopedTmpdir tmp(dir.path());
  const std::string f = dir.File("f.db"), pool = dir.path();
  MakeFile(f, 2, kPage);
  Child w;
  ASSERT_TRUE(w.Start([&] {
    DB_MPOOL *mp = nullptr;
    C_OK(OpenShared(pool.c_str(), DB_CREATE, kSmallPool, &mp));
    C_OK(memp_set_flushers(mp, 0, 0));
    DB_MPOOLFILE *mpf = nullptr;
    std::string copy = f;
    C_OK(memp_fopen(mp, &copy[0], 0, 0, 0644, kPage, -1, nullptr, nullptr,
                    &mpf));
    db_pgno_t pg = 0;
    void *page = nullptr;
    C_OK(memp_fget(mpf, &pg, 0, &page));
    FillPattern(page, kPage, 0, 5);
    C_OK(memp_fput(mpf, page, DB_MPOOL_DIRTY));
    Tell("dirty");
    C_HEAR("bye");
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(w.Expect("dirty"));
  DB_MPOOL *mp = nullptr;
  ASSERT_EQ(OpenShared(pool.c_str(), 0, 0, &mp), 0);
  DB_MPOOLFILE *ro = nullptr;
  ASSERT_EQ(OpenFile(mp, f, kPage, &ro, DB_RDONLY), 0);
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(ro, &pg, 0, &page), 0);
  EXPECT_TRUE(Bytes(page, kPage) == PatternPage(0, kPage, 5))
      << "the other process's dirty page is not seen";
  ASSERT_EQ(memp_fput(ro, page, 0), 0);
  EXPECT_EQ(Stat(mp).st_map, 0u);
  w.Send("bye");
  EXPECT_TRUE(w.WaitOk());
  EXPECT_EQ(memp_close(mp), 0);
}

// Shared pools, the other order: this process maps the file read-only,
// then another process opens it for writing and dirties a page (no sync).
// The rule of shared pools that a page one process dirties is seen by
// the next memp_fget in another process asks that this process see it.
// (Found an engine bug, since fixed: it used to fail.)
TEST(MmapShared, PageDirtiedByAnotherProcessAfterMappingIsSeen) {
  TempDir dir;
  ScopedTmpdir tmp(dir.path());
  const std::string f = dir.File("f.db"), pool = dir.path();
  MakeFile(f, 2, kPage);
  Child w;
  ASSERT_TRUE(w.Start([&] {
    C_HEAR("go");
    DB_MPOOL *mp = nullptr;
    C_OK(OpenShared(pool.c_str(), 0, 0, &mp));
    C_OK(memp_set_flushers(mp, 0, 0));
    DB_MPOOLFILE *mpf = nullptr;
    std::string copy = f;
    C_OK(memp_fopen(mp, &copy[0], 0, 0, 0644, kPage, -1, nullptr, nullptr,
                    &mpf));
    db_pgno_t pg = 0;
    void *page = nullptr;
    C_OK(memp_fget(mpf, &pg, 0, &page));
    FillPattern(page, kPage, 0, 5);
    C_OK(memp_fput(mpf, page, DB_MPOOL_DIRTY));
    Tell("dirty");
    C_HEAR("bye");
    C_OK(memp_close(mp));
  }));
  DB_MPOOL *mp = nullptr;
  ASSERT_EQ(OpenShared(pool.c_str(), DB_CREATE, kSmallPool, &mp), 0);
  DB_MPOOLFILE *ro = nullptr;
  ASSERT_EQ(OpenFile(mp, f, kPage, &ro, DB_RDONLY), 0);
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(ro, &pg, 0, &page), 0);
  ASSERT_EQ(memp_fput(ro, page, 0), 0);
  const bool mapped = Stat(mp).st_map > 0;
  w.Send("go");
  ASSERT_TRUE(w.Expect("dirty"));
  ASSERT_EQ(memp_fget(ro, &pg, 0, &page), 0);
  EXPECT_TRUE(Bytes(page, kPage) == PatternPage(0, kPage, 5))
      << "the other process's dirty page is not seen (the handle is "
      << (mapped ? "mapped" : "cached") << ")";
  ASSERT_EQ(memp_fput(ro, page, 0), 0);
  w.Send("bye");
  EXPECT_TRUE(w.WaitOk());
  EXPECT_EQ(memp_close(mp), 0);
}

}  // namespace
}  // namespace lfmtest
