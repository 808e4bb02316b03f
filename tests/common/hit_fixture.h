// The fixture of the fast-path suites (db_mpool/hit_path_test.cc,
// db_mpool/hit_foreign_test.cc) and of eviction/hit_evict_test.cc: a
// 64-frame private DB_THREAD pool with f.db open.
//
// What the tests rely on (src/region/tcache.h): a thread's first use of a resident
// page is a direct pin, remembered as a "ghost"; its second use gives the
// page an entry in the thread's cache, and further gets are served from
// that entry. With a 256 KiB pool (64 frames) the cache has 64 entries,
// one a frame (frame i's is entry i), so no two resident pages compete for
// one.
//
// memp_fsync returns DB_INCOMPLETE when a dirty page of the file is still
// pinned (a user pin, direct or through any thread's cache) and 0 when
// every dirty page could be written (src/engine/filesync.c, src/engine/pagewrite.c take()):
// with the page made dirty, memp_fsync == 0 shows that no pin is left.
#ifndef LFMPOOL_TESTS_HIT_FIXTURE_H
#define LFMPOOL_TESTS_HIT_FIXTURE_H

#include <stdint.h>
#include <string.h>

#include <string>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"

namespace lfmtest {

// Per-file statistics of the file whose name ends in `suffix`.
inline DB_MPOOL_FSTAT FStatBySuffix(DB_MPOOL *mp, const std::string &suffix) {
  DB_MPOOL_FSTAT out;
  memset(&out, 0, sizeof out);
  int found = 0;
  for (const FileStat &f : FStats(mp)) {
    if (f.name.size() >= suffix.size() &&
        f.name.compare(f.name.size() - suffix.size(), suffix.size(), suffix) ==
            0) {
      out = f.s;
      found++;
    }
  }
  EXPECT_EQ(found, 1) << "files named *" << suffix;
  return out;
}

constexpr size_t kPool = 256 * 1024;  // 64 frames of 4 KiB
constexpr size_t kFrames = kPool / kPage;

// A 64-frame private DB_THREAD pool, flushers stopped (nothing is written
// but by memp_fsync or eviction), with f.db (kPages pattern pages) open as
// mpf_.
class HitTest : public PoolTest {
 protected:
  static constexpr db_pgno_t kPages = 60;
  void SetUp() override {
    MakeFile(Path(), kPages, kPage);
    Open(kPool, DB_THREAD);
    StopFlushers(mp_);
    ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf_), 0);
  }
  void TearDown() override {
    if (mpf_ != nullptr) {
      EXPECT_EQ(memp_fclose(mpf_), 0);
    }
    mpf_ = nullptr;
    PoolTest::TearDown();
  }

  // memp_fget(mpf, pgno, 0): the page, or nullptr (and a failure).
  static void *Get(DB_MPOOLFILE *mpf, db_pgno_t pgno) {
    db_pgno_t pg = pgno;
    void *page = nullptr;
    int rc = memp_fget(mpf, &pg, 0, &page);
    EXPECT_EQ(rc, 0) << "memp_fget of page " << pgno;
    EXPECT_EQ(pg, pgno);
    return rc == 0 ? page : nullptr;
  }
  void *Get(db_pgno_t pgno) { return Get(mpf_, pgno); }

  // Makes pgno resident (if it was not) and gives it a CACHED entry in the
  // calling thread's cache: two uses (ghost, then entry), both put.
  static void Warm(DB_MPOOLFILE *mpf, db_pgno_t pgno) {
    for (int i = 0; i < 2; i++) {
      void *page = Get(mpf, pgno);
      ASSERT_NE(page, nullptr);
      ASSERT_EQ(memp_fput(mpf, page, 0), 0);
    }
  }
  void Warm(db_pgno_t pgno) { Warm(mpf_, pgno); }
  void CrossFileCase(bool cached);
  void MisalignedCase(bool cached);
  void PinsNeedAsManyPuts(db_pgno_t pgno, int pins, bool warm);

  // Gets and puts pages [0, n) in a thread of its own (which then exits),
  // so they are resident but this thread has never used them.
  void MakeResidentElsewhere(db_pgno_t n) {
    std::thread th([&] {
      for (db_pgno_t p = 0; p < n; p++) {
        void *page = Get(p);
        if (page != nullptr) {
          EXPECT_EQ(memp_fput(mpf_, page, 0), 0);
        }
      }
    });
    th.join();
  }

  // The pattern page pgno with its first 4 bytes replaced by `mark`.
  static std::vector<uint8_t> Marked(db_pgno_t pgno, uint32_t mark) {
    std::vector<uint8_t> v = PatternPage(pgno, kPage);
    PutU32(v.data(), 0, mark);
    return v;
  }

  DB_MPOOLFILE *mpf_ = nullptr;
};

}  // namespace lfmtest

#endif  // LFMPOOL_TESTS_HIT_FIXTURE_H
