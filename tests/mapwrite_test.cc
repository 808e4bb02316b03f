// Mapped writes (src/mapio.h): a dirty page of a file opened read-write is
// written by copying it into the file's MAP_SHARED mapping instead of
// pwrite; DB_NOMMAP turns that off; a page past the end of the file is
// written with pwrite, which extends the file; a copy that faults (the file
// was truncated under the mapping) falls back to pwrite and loses nothing.
// Every check reads the file back with pread(2), outside the pool.
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "test_util.h"

namespace lfmtest {
namespace {

constexpr db_pgno_t kPages = 64;
constexpr size_t kPoolBytes = 2 * kPages * kPage;  // every page stays cached

class MapWriteTest : public PoolTest {
 protected:
  // Rewrites pages [first, first + n) with pattern `salt`, put dirty.
  void Dirty(DB_MPOOLFILE *mpf, db_pgno_t first, db_pgno_t n, uint32_t salt,
             int get_flags = 0) {
    for (db_pgno_t p = first; p < first + n; p++) {
      db_pgno_t pg = p;
      void *page = nullptr;
      ASSERT_EQ(memp_fget(mpf, &pg, get_flags, &page), 0) << p;
      ASSERT_EQ(pg, p);
      FillPattern(page, kPage, p, salt);
      ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0) << p;
    }
  }
  // The file, read with pread, holds pattern `salt` in [first, first + n).
  void ExpectFile(db_pgno_t first, db_pgno_t n, uint32_t salt) {
    for (db_pgno_t p = first; p < first + n; p++)
      ASSERT_EQ(ReadPage(Path(), p, kPage), PatternPage(p, kPage, salt)) << p;
  }
};

// Written through the mapping: every page that memp_fsync wrote, counted
// globally and for the file, and the file has the new bytes.
TEST_F(MapWriteTest, DirtyPagesAreCopiedIntoTheMapping) {
  MakeFile(Path(), kPages, kPage);
  Open(kPoolBytes);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf), 0);
  ASSERT_NO_FATAL_FAILURE(Dirty(mpf, 0, kPages, 1));
  ASSERT_EQ(memp_fsync(mpf), 0);
  ASSERT_NO_FATAL_FAILURE(ExpectFile(0, kPages, 1));

  DB_MPOOL_STAT g = Stat(mp_);
  EXPECT_GE(g.st_page_out, kPages);
  EXPECT_EQ(g.st_page_out_mapped, g.st_page_out);
  EXPECT_EQ(g.st_map_faults, 0u);
  DB_MPOOL_FSTAT f = FStatOf(mp_, Path());
  EXPECT_EQ(f.st_page_out_mapped, f.st_page_out);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// DB_NOMMAP: the same bytes reach the file, none through the mapping.
TEST_F(MapWriteTest, NommapWritesWithPwrite) {
  MakeFile(Path(), kPages, kPage);
  Open(kPoolBytes, DB_NOMMAP);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf), 0);
  ASSERT_NO_FATAL_FAILURE(Dirty(mpf, 0, kPages, 2));
  ASSERT_EQ(memp_fsync(mpf), 0);
  ASSERT_NO_FATAL_FAILURE(ExpectFile(0, kPages, 2));

  DB_MPOOL_STAT g = Stat(mp_);
  EXPECT_GE(g.st_page_out, kPages);
  EXPECT_EQ(g.st_page_out_mapped, 0u);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// Pages appended with DB_MPOOL_NEW lie past the end of the file: written
// with pwrite, which extends it. Once written, a page inside the file goes
// through the mapping again.
TEST_F(MapWriteTest, AppendedPagesArePwrittenThenMapped) {
  MakeFile(Path(), kPages, kPage);
  Open(kPoolBytes);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf), 0);
  constexpr db_pgno_t kNew = 8;
  for (db_pgno_t i = 0; i < kNew; i++) {
    db_pgno_t pg = 0;
    void *page = nullptr;
    ASSERT_EQ(memp_fget(mpf, &pg, DB_MPOOL_NEW, &page), 0);
    ASSERT_EQ(pg, kPages + i);
    FillPattern(page, kPage, pg, 3);
    ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  }
  ASSERT_EQ(memp_fsync(mpf), 0);
  EXPECT_EQ(FileSize(Path()), (long long)((kPages + kNew) * kPage));
  ASSERT_NO_FATAL_FAILURE(ExpectFile(kPages, kNew, 3));
  DB_MPOOL_STAT s1 = Stat(mp_);
  EXPECT_EQ(s1.st_page_out, kNew);
  EXPECT_EQ(s1.st_page_out_mapped, 0u);

  ASSERT_NO_FATAL_FAILURE(Dirty(mpf, kPages, kNew, 4));
  ASSERT_EQ(memp_fsync(mpf), 0);
  ASSERT_NO_FATAL_FAILURE(ExpectFile(kPages, kNew, 4));
  DB_MPOOL_STAT s2 = Stat(mp_);
  EXPECT_EQ(s2.st_page_out - s1.st_page_out, kNew);
  EXPECT_EQ(s2.st_page_out_mapped, kNew);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// Someone truncates the file while the pool holds dirty pages past the new
// end: the copies into the mapping fault (SIGBUS, caught), the pages go to
// pwrite, which extends the file again, and every byte arrives.
TEST_F(MapWriteTest, WriteAfterTruncationFallsBackToPwrite) {
  MakeFile(Path(), kPages, kPage);
  Open(kPoolBytes);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf), 0);
  StopFlushers(mp_);
  ASSERT_NO_FATAL_FAILURE(Dirty(mpf, 0, kPages, 5));
  ASSERT_EQ(::truncate(Path().c_str(), (off_t)(kPages / 2 * kPage)), 0);
  ASSERT_EQ(memp_fsync(mpf), 0);
  EXPECT_EQ(FileSize(Path()), (long long)(kPages * kPage));
  ASSERT_NO_FATAL_FAILURE(ExpectFile(0, kPages, 5));

  DB_MPOOL_STAT g = Stat(mp_);
  EXPECT_EQ(g.st_page_out, kPages);
  EXPECT_GE(g.st_map_faults, 1u);
  // The pages below the cut, and those past a pwrite that extended the file
  // again, are copied; the ones that faulted are not.
  EXPECT_GE(g.st_page_out_mapped, kPages / 2);
  EXPECT_LT(g.st_page_out_mapped, kPages);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

}  // namespace
}  // namespace lfmtest
