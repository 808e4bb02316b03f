// DB_MPOOL_DIRECT: misses are read straight into frames and write-back is
// written straight from them (or from aligned copies for pgout), so the
// kernel's page cache holds none of the file's pages afterwards, where a
// buffered pool leaves them all there; bytes and durability are the same
// as buffered; a file system that refuses O_DIRECT, or a page size it
// cannot take, is EINVAL at memp_fopen with nothing attached.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "lfmpool.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

// Pages of `path` in the kernel's page cache (mincore on a mapping).
size_t CachedPages(const std::string &path) {
  int fd = open(path.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0);
  struct stat st;
  EXPECT_EQ(fstat(fd, &st), 0);
  size_t len = (size_t)st.st_size, n = 0;
  if (len > 0) {
    void *m = mmap(nullptr, len, PROT_READ, MAP_SHARED, fd, 0);
    EXPECT_NE(m, MAP_FAILED);
    size_t vpages = (len + 4095) / 4096;
    std::vector<unsigned char> v(vpages);
    EXPECT_EQ(mincore(m, len, v.data()), 0);
    for (unsigned char c : v) n += c & 1;
    munmap(m, len);
  }
  close(fd);
  return n;
}

// Writes the file, makes it durable and drops it from the page cache.
void MakeColdFile(const std::string &path, uint32_t npages) {
  MakeFile(path, npages, kPage);
  int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(fdatasync(fd), 0);
  ASSERT_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  close(fd);
}

class Direct : public PoolTest {
 protected:
  void OpenDirect(size_t bytes, int flags = DB_MPOOL_DIRECT) {
    DB_ENV *env = new DB_ENV;
    memset(env, 0, sizeof *env);
    env->mp_size = bytes;
    Envs().push_back(env);
    ASSERT_EQ(memp_open(nullptr, DB_CREATE | DB_MPOOL_PRIVATE | flags, 0644,
                        env, &mp_),
              0);
  }
  void ReadAll(DB_MPOOLFILE *mpf, uint32_t npages) {
    for (db_pgno_t p = 0; p < npages; p++) {
      void *pg = nullptr;
      db_pgno_t q = p;
      ASSERT_EQ(memp_fget(mpf, &q, 0, &pg), 0) << "page " << p;
      ASSERT_EQ(Bytes(pg, kPage), PatternPage(p, kPage)) << "page " << p;
      ASSERT_EQ(memp_fput(mpf, pg, 0), 0);
    }
  }
};

TEST_F(Direct, ReadsLeaveNothingInThePageCacheWhereBufferedReadsLeaveAll) {
  const uint32_t n = 256;
  MakeColdFile(Path("d.db"), n);
  MakeColdFile(Path("b.db"), n);
  if (CachedPages(Path("d.db")) > n / 100 ||
      CachedPages(Path("b.db")) > n / 100)
    GTEST_SKIP() << "posix_fadvise(DONTNEED) did not drop the files here";
  // Buffered: the control, showing the measure can see cached pages.
  OpenDirect(512 * kPage, 0);
  DB_MPOOLFILE *b = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path("b.db"), kPage, &b, DB_NOMMAP), 0);
  ReadAll(b, n);
  ClosePool();
  EXPECT_GE(CachedPages(Path("b.db")), n * 9 / 10);

  OpenDirect(512 * kPage);
  DB_MPOOLFILE *d = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path("d.db"), kPage, &d), 0);
  ReadAll(d, n);
  std::vector<db_pgno_t> all(n);
  for (db_pgno_t p = 0; p < n; p++) all[p] = p;
  ASSERT_EQ(memp_fprefetch(d, all.data(), n, nullptr), 0);  // cached: none
  ClosePool();
  EXPECT_LE(CachedPages(Path("d.db")), n / 100);
}

TEST_F(Direct, ColdPrefetchesReadStraightIntoFrames) {
  const uint32_t n = 128;
  MakeColdFile(Path(), n);
  OpenDirect(256 * kPage);
  DB_MPOOLFILE *d = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &d), 0);
  std::vector<db_pgno_t> all(n);
  for (db_pgno_t p = 0; p < n; p++) all[p] = n - 1 - p;
  size_t started = 0;
  ASSERT_EQ(memp_fprefetch(d, all.data(), 16, &started), 0);
  EXPECT_EQ(started, 16u);
  ReadAll(d, n);
  EXPECT_EQ(Stat(mp_).st_page_in, n);
  ClosePool();
  EXPECT_LE(CachedPages(Path()), n / 100);
}

// The kernel reads nothing ahead for O_DIRECT: the pool does, for a scan.
TEST_F(Direct, ReadAheadFollowsAScanAndNotRandomAccess) {
  const uint32_t n = 256;
  MakeColdFile(Path("s.db"), n);
  MakeColdFile(Path("r.db"), n);
  OpenDirect(1024 * kPage);
  DB_MPOOLFILE *scan = nullptr, *rnd = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path("s.db"), kPage, &scan), 0);
  ASSERT_EQ(OpenFile(mp_, Path("r.db"), kPage, &rnd), 0);
  // Every 37th page modulo 256: no two gets in a row are neighbours.
  for (uint32_t i = 0; i < n; i++) {
    void *pg = nullptr;
    db_pgno_t q = (i * 37) % n;
    ASSERT_EQ(memp_fget(rnd, &q, 0, &pg), 0);
    ASSERT_EQ(Bytes(pg, kPage), PatternPage(q, kPage));
    ASSERT_EQ(memp_fput(rnd, pg, 0), 0);
  }
  DB_MPOOL_FSTAT r = FStatOf(mp_, Path("r.db"));
  EXPECT_EQ(r.st_cache_miss, n);  // each get read its own page
  EXPECT_EQ(r.st_page_in, n);     // and nothing else was read
  ReadAll(scan, n);
  DB_MPOOL_FSTAT s = FStatOf(mp_, Path("s.db"));
  EXPECT_EQ(s.st_page_in, n);         // each page read once
  EXPECT_LE(s.st_cache_miss, n / 8);  // most read ahead of the scan
  printf("scan of %u pages: %llu misses\n", n,
         (unsigned long long)s.st_cache_miss);
}

// pgout transforms a copy: the copy must be as aligned as the frames.
int XorOut(db_pgno_t, void *pg, DBT *) {
  for (size_t i = 0; i < kPage; i++) static_cast<uint8_t *>(pg)[i] ^= 0xff;
  return 0;
}
int XorIn(db_pgno_t p, void *pg, DBT *c) { return XorOut(p, pg, c); }

TEST_F(Direct, WriteBackIsDirectAndDurableFromFramesAndFromCopies) {
  const uint32_t n = 96;  // three times the pool: misses write victims
  OpenDirect(32 * kPage, DB_MPOOL_DIRECT | DB_THREAD);  // flushers too
  ASSERT_EQ(memp_register(mp_, 1, XorIn, XorOut), 0);
  DB_MPOOLFILE *plain = nullptr, *xored = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path("p.db"), kPage, &plain, DB_CREATE), 0);
  ASSERT_EQ(OpenFile(mp_, Path("x.db"), kPage, &xored, DB_CREATE, 1), 0);
  for (DB_MPOOLFILE *f : {plain, xored})
    for (db_pgno_t p = 0; p < n; p++) {
      void *pg = nullptr;
      db_pgno_t q = 0;
      ASSERT_EQ(memp_fget(f, &q, DB_MPOOL_NEW, &pg), 0);
      ASSERT_EQ(q, p);
      FillPattern(pg, kPage, p);
      ASSERT_EQ(memp_fput(f, pg, DB_MPOOL_DIRTY), 0);
    }
  ASSERT_EQ(memp_fsync(plain), 0);
  ASSERT_EQ(memp_fsync(xored), 0);
  ClosePool();
  for (db_pgno_t p = 0; p < n; p++) {
    ASSERT_EQ(ReadPage(Path("p.db"), p, kPage), PatternPage(p, kPage)) << p;
    ASSERT_EQ(ReadPage(Path("x.db"), p, kPage), Xor(PatternPage(p, kPage)))
        << p;
  }
}

TEST_F(Direct, AFileSystemThatRefusesItIsEinvalAtFopen) {
  struct statfs fs;
  if (statfs("/dev/shm", &fs) != 0 || fs.f_type != 0x01021994 /* tmpfs */)
    GTEST_SKIP() << "no tmpfs at /dev/shm";
  std::string path = "/dev/shm/lfm_direct_" + std::to_string(getpid());
  MakeFile(path, 4, kPage);
  int probe = open(path.c_str(), O_RDWR | O_DIRECT);
  if (probe >= 0) {
    close(probe);
    unlink(path.c_str());
    GTEST_SKIP() << "tmpfs takes O_DIRECT on this kernel (Linux 6.6 on)";
  }
  OpenDirect(64 * kPage);
  DB_MPOOLFILE *f = nullptr;
  EXPECT_EQ(OpenFile(mp_, path, kPage, &f), EINVAL);
  EXPECT_EQ(f, nullptr);
  unlink(path.c_str());
  // The pool is unchanged and serves files that take O_DIRECT.
  MakeColdFile(Path(), 4);
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &f), 0);
  ReadAll(f, 4);
}

TEST_F(Direct, APageSizeNotAMultipleOf512IsEinval) {
  MakeFile(Path(), 4, 1000);
  OpenDirect(64 * kPage);
  DB_MPOOLFILE *f = nullptr;
  EXPECT_EQ(OpenFile(mp_, Path(), 1000, &f), EINVAL);
  EXPECT_EQ(f, nullptr);
}

TEST(DirectNative, LfmpoolDirectReadsAndWrites) {
  TempDir dir;
  std::string path = dir.File("n.db");
  MakeColdFile(path, 16);
  lfmpool *pool = nullptr;
  ASSERT_EQ(lfmpool_open(nullptr, 64 * kPage, LFMPOOL_PRIVATE | LFMPOOL_DIRECT,
                         0, &pool),
            0);
  lfmpool_file *f = nullptr;
  ASSERT_EQ(lfmpool_fopen(pool, path.c_str(), kPage, 0, 0, &f), 0);
  for (uint32_t p = 0; p < 16; p++) {
    void *pg = nullptr;
    ASSERT_EQ(lfmpool_get(f, p, &pg), 0);
    ASSERT_EQ(Bytes(pg, kPage), PatternPage(p, kPage));
    static_cast<uint8_t *>(pg)[0] ^= 0xff;
    ASSERT_EQ(lfmpool_put_flags(f, pg, LFMPOOL_PUT_DIRTY), 0);
  }
  ASSERT_EQ(lfmpool_fsync(f), 0);
  ASSERT_EQ(lfmpool_close(pool), 0);
  for (uint32_t p = 0; p < 16; p++) {
    std::vector<uint8_t> want = PatternPage(p, kPage);
    want[0] ^= 0xff;
    ASSERT_EQ(ReadPage(path, p, kPage), want);
  }
}

}  // namespace
}  // namespace lfmtest
