// memp_sync(lsn)'s checkpoints (db_mpool(3)): every page dirty when the
// checkpoint began is written, whatever LSN a later change gave it; a retry
// with the same LSN continues the same checkpoint; a larger LSN starts a new
// one. Moved from tests/db_mpool with the write-back tests.
#include <errno.h>
#include <string.h>

#include <string>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

class MempSync : public PoolTest {
 protected:
  void Open(size_t size = kSmallPool, int flags = 0) {
    PoolTest::Open(size, flags);
    StopFlushers(mp_);  // a flusher would write pages above the sync's LSN
  }
  static constexpr size_t kPs = 1024;
  static constexpr int kLsnOff = 13;  // deliberately unaligned

  // Pins page pgno, stores lsn (native-endian file, offset) at kLsnOff and a
  // salt marker, puts it DIRTY unless keep_pinned (then fset DIRTY).
  void *DirtyWithLsn(DB_MPOOLFILE *mpf, db_pgno_t pgno, uint32_t file,
                     uint32_t offset, bool keep_pinned = false) {
    db_pgno_t pg = pgno;
    void *page = nullptr;
    EXPECT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
    if (page == nullptr) return nullptr;
    memcpy(page, Expected(pgno, file, offset).data(), kPs);
    EXPECT_EQ(memp_fset(mpf, page, DB_MPOOL_DIRTY), 0);
    if (!keep_pinned) {
      EXPECT_EQ(memp_fput(mpf, page, 0), 0);
      return nullptr;
    }
    return page;
  }
  static std::vector<uint8_t> Expected(db_pgno_t pgno, uint32_t file,
                                       uint32_t offset) {
    std::vector<uint8_t> v = PatternPage(pgno, kPs, 11);
    PutU32(v.data(), kLsnOff, file);
    PutU32(v.data(), kLsnOff + 4, offset);
    return v;
  }
};

TEST_F(MempSync, NullLsnIsEinval) {
  Open();
  EXPECT_EQ(memp_sync(mp_, nullptr), EINVAL);
}

// memp_sync is a checkpoint: every page dirty when it starts is written,
// whatever LSN the page holds (a page's LSN is its latest change's; older,
// committed changes may be on it too). *lsn becomes the largest LSN
// written.
TEST_F(MempSync, WritesEveryPageDirtyAtItsStart) {
  const std::string path = Path();
  MakeFile(path, 6, kPs);
  Open(0);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPs, &mpf, 0, 0, kLsnOff), 0);
  const uint32_t lsns[6][2] = {{1, 100}, {1, 0xFFFFFFF0u}, {2, 49},
                               {2, 50},  {2, 51},          {3, 0}};
  for (db_pgno_t p = 0; p < 6; p++)
    DirtyWithLsn(mpf, p, lsns[p][0], lsns[p][1]);
  LSN lsn = {2, 50};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
  EXPECT_EQ(lsn.file, 3u);
  EXPECT_EQ(lsn.offset, 0u);
  for (db_pgno_t p = 0; p < 6; p++)
    EXPECT_EQ(ReadPage(path, p, kPs), Expected(p, lsns[p][0], lsns[p][1]))
        << "page " << p << " dirty at the checkpoint was not written";
  EXPECT_EQ(Stat(mp_).st_page_out, 6u);
  EXPECT_EQ(Stat(mp_).st_page_dirty, 0u);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// A page holding change A, logged at [1 50], and then change B, logged at
// [1 200] (its LSN field says [1 200]): a checkpoint at [1 100] must write
// it, or A is lost in a crash once the log before the checkpoint goes.
TEST_F(MempSync, OlderChangeUnderANewerLsnIsWritten) {
  const std::string path = Path();
  MakeFile(path, 1, kPs);
  Open(0);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPs, &mpf, 0, 0, kLsnOff), 0);
  db_pgno_t pg = 0;
  void *page = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &page), 0);
  static_cast<uint8_t *>(page)[100] = 'A';  // change A, log [1 50]
  PutU32(static_cast<uint8_t *>(page), kLsnOff, 1);
  PutU32(static_cast<uint8_t *>(page), kLsnOff + 4, 50);
  static_cast<uint8_t *>(page)[200] = 'B';  // change B, log [1 200]
  PutU32(static_cast<uint8_t *>(page), kLsnOff + 4, 200);
  const std::vector<uint8_t> want = Bytes(page, kPs);
  ASSERT_EQ(memp_fput(mpf, page, DB_MPOOL_DIRTY), 0);
  LSN lsn = {1, 100};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
  EXPECT_EQ(ReadPage(path, 0, kPs), want) << "change A is not on disk";
  EXPECT_EQ(lsn.file, 1u);
  EXPECT_EQ(lsn.offset, 200u);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// Files opened with lsn_offset -1 have their dirty pages written too; *lsn
// is unchanged when no written page had an LSN.
TEST_F(MempSync, FilesWithoutLsnOffsetAreWrittenAndLeaveLsnAlone) {
  const std::string a = Path("a.db"), b = Path("b.db");
  MakeFile(a, 2, kPs);
  MakeFile(b, 2, kPs);
  Open(0);
  DB_MPOOLFILE *fa = nullptr, *fb = nullptr;
  ASSERT_EQ(OpenFile(mp_, a, kPs, &fa, 0, 0, -1), 0);
  ASSERT_EQ(OpenFile(mp_, b, kPs, &fb, 0, 0, kLsnOff), 0);
  DirtyWithLsn(fa, 1, 9, 9);  // no LSN in this file: the bytes do not count
  LSN lsn = {1, 1};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
  EXPECT_EQ(lsn.file, 1u);
  EXPECT_EQ(lsn.offset, 1u);
  EXPECT_EQ(ReadPage(a, 1, kPs), Expected(1, 9, 9));

  DirtyWithLsn(fa, 0, 9, 9);
  DirtyWithLsn(fb, 0, 5, 5);
  lsn = {7, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
  EXPECT_EQ(lsn.file, 5u);
  EXPECT_EQ(lsn.offset, 5u);
  EXPECT_EQ(ReadPage(a, 0, kPs), Expected(0, 9, 9));
  EXPECT_EQ(ReadPage(b, 0, kPs), Expected(0, 5, 5));
  EXPECT_EQ(memp_fclose(fa), 0);
  EXPECT_EQ(memp_fclose(fb), 0);
}

// A page pinned when the checkpoint starts holds it (DB_INCOMPLETE) until
// released; retried with the same LSN, the checkpoint writes it if it came
// back dirty. A page first dirtied after the start is not part of it: not
// written by the retry, and, pinned, it does not hold the retry up.
TEST_F(MempSync, RetryWithTheSameLsnContinuesTheCheckpoint) {
  const std::string path = Path();
  MakeFile(path, 4, kPs);
  Open(0);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPs, &mpf, 0, 0, kLsnOff), 0);
  void *pinned = DirtyWithLsn(mpf, 0, 1, 1, true);
  ASSERT_NE(pinned, nullptr);
  DirtyWithLsn(mpf, 1, 1, 2);
  LSN lsn = {2, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), DB_INCOMPLETE);
  EXPECT_EQ(ReadPage(path, 0, kPs), PatternPage(0, kPs));
  EXPECT_EQ(ReadPage(path, 1, kPs), Expected(1, 1, 2));
  // After the start: page 2 dirtied and released, page 3 dirtied and held.
  DirtyWithLsn(mpf, 2, 2, 10);
  void *late = DirtyWithLsn(mpf, 3, 2, 11, true);
  ASSERT_NE(late, nullptr);
  lsn = {2, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), DB_INCOMPLETE) << "page 0 is still pinned";
  ASSERT_EQ(memp_fput(mpf, pinned, 0), 0);  // it was set DIRTY while held
  lsn = {2, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0) << "held up by a page dirtied after it";
  EXPECT_EQ(ReadPage(path, 0, kPs), Expected(0, 1, 1));
  EXPECT_EQ(ReadPage(path, 2, kPs), PatternPage(2, kPs))
      << "a page first dirtied after the checkpoint began was written";
  EXPECT_EQ(lsn.file, 1u);
  EXPECT_EQ(lsn.offset, 2u);
  ASSERT_EQ(memp_fput(mpf, late, 0), 0);
  // Finished, the next call is a new checkpoint, whatever its LSN.
  lsn = {2, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
  EXPECT_EQ(ReadPage(path, 2, kPs), Expected(2, 2, 10));
  EXPECT_EQ(ReadPage(path, 3, kPs), Expected(3, 2, 11));
  EXPECT_EQ(lsn.file, 2u);
  EXPECT_EQ(lsn.offset, 11u);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// A page pinned clean when the checkpoint starts: its holder may change it.
// Released clean it drops out of the checkpoint (nothing written); released
// dirty it is written by the retry.
TEST_F(MempSync, PinnedCleanPageCountsOnlyIfReleasedDirty) {
  const std::string path = Path();
  MakeFile(path, 2, kPs);
  Open(0);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPs, &mpf, 0, 0, kLsnOff), 0);
  void *a = nullptr, *b = nullptr;
  db_pgno_t pg = 0;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &a), 0);
  pg = 1;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &b), 0);
  LSN lsn = {4, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), DB_INCOMPLETE);
  ASSERT_EQ(memp_fput(mpf, a, 0), 0);  // clean
  lsn = {4, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), DB_INCOMPLETE) << "page 1 is still pinned";
  memcpy(b, Expected(1, 3, 3).data(), kPs);  // changed by its holder
  ASSERT_EQ(memp_fput(mpf, b, DB_MPOOL_DIRTY), 0);
  lsn = {4, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
  EXPECT_EQ(ReadPage(path, 1, kPs), Expected(1, 3, 3));
  EXPECT_EQ(ReadPage(path, 0, kPs), PatternPage(0, kPs));
  EXPECT_EQ(Stat(mp_).st_page_out, 1u);
  EXPECT_EQ(lsn.file, 3u);
  EXPECT_EQ(lsn.offset, 3u);
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// A larger LSN while a checkpoint is incomplete starts a new one, which
// takes in the pages dirtied since (Berkeley DB: the larger LSN wins).
TEST_F(MempSync, LargerLsnStartsANewCheckpoint) {
  const std::string path = Path();
  MakeFile(path, 3, kPs);
  Open(0);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(mp_, path, kPs, &mpf, 0, 0, kLsnOff), 0);
  void *pinned = DirtyWithLsn(mpf, 0, 1, 1, true);
  ASSERT_NE(pinned, nullptr);
  LSN lsn = {2, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), DB_INCOMPLETE);
  DirtyWithLsn(mpf, 1, 2, 5);
  lsn = {1, 0};  // an older LSN: the open checkpoint, which has not page 1
  EXPECT_EQ(memp_sync(mp_, &lsn), DB_INCOMPLETE);
  EXPECT_EQ(ReadPage(path, 1, kPs), PatternPage(1, kPs));
  lsn = {3, 0};  // a newer one: page 1 is in it
  EXPECT_EQ(memp_sync(mp_, &lsn), DB_INCOMPLETE);
  EXPECT_EQ(ReadPage(path, 1, kPs), Expected(1, 2, 5));
  ASSERT_EQ(memp_fput(mpf, pinned, 0), 0);
  lsn = {3, 0};
  EXPECT_EQ(memp_sync(mp_, &lsn), 0);
  EXPECT_EQ(ReadPage(path, 0, kPs), Expected(0, 1, 1));
  EXPECT_EQ(memp_fclose(mpf), 0);
}

}  // namespace
}  // namespace lfmtest
