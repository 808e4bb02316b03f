// The fixtures of the memp_fget / memp_fput / memp_fset suites
// (db_mpool/memp_page_test.cc) and of the page-level eviction suite
// (eviction/memp_evict_test.cc): a 5-frame private pool with a 12-page
// file open.
#ifndef LFMPOOL_TESTS_PAGE_FIXTURE_H
#define LFMPOOL_TESTS_PAGE_FIXTURE_H

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"

namespace lfmtest {

// A 5-frame pool (20 KiB, 4 KiB pages) with file f.db of kPages pattern
// pages open as mpf_.
class PageTest : public PoolTest {
 protected:
  static constexpr db_pgno_t kPages = 12;
  void SetUp() override {
    ResetHooks(kPage);
    MakeFile(Path(), kPages, kPage);
    Open();
    StopFlushers(mp_);  // exact eviction / page-out counts, file contents
    ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf_), 0);
  }
  void TearDown() override {
    if (mpf_ != nullptr) {
      EXPECT_EQ(memp_fclose(mpf_), 0);
    }
    mpf_ = nullptr;
    PoolTest::TearDown();
  }
  void *Get(db_pgno_t pgno, unsigned long flags = 0) {
    db_pgno_t pg = pgno;
    void *page = nullptr;
    EXPECT_EQ(memp_fget(mpf_, &pg, flags, &page), 0) << "page " << pgno;
    return page;
  }
  // Reopens f.db as mpf_ with ftype 1 (TestPgin / TestPgout registered).
  void ReopenWithHooks(DBT *cookie = nullptr) {
    ASSERT_EQ(memp_fclose(mpf_), 0);
    mpf_ = nullptr;
    ASSERT_EQ(memp_register(mp_, 1, TestPgin, TestPgout), 0);
    ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf_, 0, 1, -1, cookie), 0);
  }

  DB_MPOOLFILE *mpf_ = nullptr;
};

// PageTest's pool and file opened with DB_THREAD, flushers left running.
class ThreadPageTest : public PageTest {
 protected:
  void SetUp() override {
    MakeFile(Path(), kPages, kPage);
    Open(kSmallPool, DB_THREAD);
    ASSERT_EQ(OpenFile(mp_, Path(), kPage, &mpf_), 0);
  }
};

}  // namespace lfmtest

#endif  // LFMPOOL_TESTS_PAGE_FIXTURE_H
