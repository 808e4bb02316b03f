// Memory scales with the pool, not with its files: a sparse file of
// 2^32 - 1 pages (16 TiB, the largest page number memp_fget accepts is
// 2^32 - 2) is opened and its first, middle and last pages are read
// through a 1 MiB pool, and the process's anonymous memory must not grow
// by anything like a table of its pages (4 bytes a page would be 16 GiB).
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <string>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

// The process's anonymous address space in bytes: the mappings of
// /proc/self/maps that map no file (heap, allocator arenas, the pool's
// region). A table of a file's pages would be here; the read-only mapping
// of the file the pool copies misses from (docs/miss-path.md) is not.
long long AnonymousBytes() {
  FILE *f = fopen("/proc/self/maps", "r");
  if (f == nullptr) return -1;
  long long total = 0;
  char line[4096];
  while (fgets(line, sizeof line, f) != nullptr) {
    unsigned long long lo, hi, off, inode;
    char perms[8], dev[16];
    int n = 0;
    if (sscanf(line, "%llx-%llx %7s %llx %15s %llu %n", &lo, &hi, perms, &off,
               dev, &inode, &n) < 6)
      continue;
    if (inode == 0) total += static_cast<long long>(hi - lo);
  }
  fclose(f);
  return total;
}

TEST(SparseFile, PagesOfAHugeSparseFileCostNothingPerPageOfTheFile) {
  TempDir dir;
  std::string path = dir.File("sparse.db");
  const uint64_t npages = (1ull << 32) - 1;
  int fd = ::open(path.c_str(), O_CREAT | O_RDWR, 0644);
  ASSERT_GE(fd, 0);
  if (ftruncate(fd, static_cast<off_t>(npages * kPage)) != 0) {
    int err = errno;
    ::close(fd);
    GTEST_SKIP() << "this file system refuses a 16 TiB sparse file: "
                 << strerror(err);
  }
  ::close(fd);

  DB_MPOOL *mp = nullptr;
  ASSERT_EQ(OpenPool(1 << 20, &mp, DB_THREAD), 0);
  long long before = AnonymousBytes();
  ASSERT_GT(before, 0);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp, path, kPage, &mpf), 0);
  for (db_pgno_t p : {db_pgno_t{0}, db_pgno_t{1u << 31},
                      static_cast<db_pgno_t>(npages - 1)}) {
    db_pgno_t pg = p;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0) << p;
    EXPECT_TRUE(AllZero(page, kPage)) << p;
    ASSERT_EQ(memp_fput(mpf, page, 0), 0);
  }
  db_pgno_t past = static_cast<db_pgno_t>(npages);
  void *page = nullptr;
  EXPECT_EQ(memp_fget(mpf, &past, 0, &page), EINVAL);  // past the end
  long long after = AnonymousBytes();
  EXPECT_LT(after - before, 256ll << 20)
      << "opening and reading a 2^32-page file grew anonymous memory by "
      << (after - before) << " bytes";
  EXPECT_EQ(memp_fclose(mpf), 0);
  EXPECT_EQ(memp_close(mp), 0);
}

}  // namespace
}  // namespace lfmtest
