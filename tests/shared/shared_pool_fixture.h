// The shared part of the shared-pool suites (shared_pool_test.cc,
// shared_pool_victim_test.cc): the SharedPool fixture and helpers usable in a
// forked child (failures go through C_* and _exit).
//
// Every test forks its children before the parent opens a pool (the parent
// is single-threaded at fork time); children open their own pools, talk to
// the parent over pipes (shared_util.h) and leave with _exit. TMPDIR points
// at the test's own directory.
#ifndef LFMPOOL_TESTS_SHARED_POOL_FIXTURE_H
#define LFMPOOL_TESTS_SHARED_POOL_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/shared_util.h"
#include "tests/common/test_util.h"
// After db_mpool.h (through test_util.h), as mpool.h asks.
#include "mpool.h"

namespace lfmtest {

constexpr size_t kMiB = 1024 * 1024;

class SharedPool : public ::testing::Test {
 protected:
  void SetUp() override {
    tmpdir_.reset(new ScopedTmpdir(dir_.path()));
    pool_ = dir_.File("pool");
    ASSERT_EQ(::mkdir(pool_.c_str(), 0755), 0) << strerror(errno);
  }
  void TearDown() override {
    for (DB_MPOOL *mp : open_) EXPECT_EQ(memp_close(mp), 0);
    open_.clear();
  }
  // Opens (and remembers, for TearDown) a pool in pool_ or `dir`.
  DB_MPOOL *Open(int flags, size_t size, const char *dir = nullptr) {
    DB_MPOOL *mp = nullptr;
    int rc = OpenShared(dir != nullptr ? dir : pool_.c_str(), flags, size, &mp);
    EXPECT_EQ(rc, 0) << strerror(rc);
    if (rc == 0) open_.push_back(mp);
    return mp;
  }
  void Close(DB_MPOOL *mp) {
    for (size_t i = 0; i < open_.size(); i++)
      if (open_[i] == mp) open_.erase(open_.begin() + static_cast<long>(i));
    EXPECT_EQ(memp_close(mp), 0);
  }
  std::string Region() const { return pool_ + "/" + kRegionFile; }

  TempDir dir_;
  std::unique_ptr<ScopedTmpdir> tmpdir_;
  std::string pool_;
  std::vector<DB_MPOOL *> open_;
};

// ---------------------------------------------------------------- helpers
// (usable in a child: failures go through C_* and _exit)

inline unsigned long CPageIn(DB_MPOOL *mp) {
  DB_MPOOL_STAT *gs = nullptr;
  C_OK(memp_stat(mp, &gs, nullptr, nullptr));
  unsigned long v = gs->st_page_in;
  free(gs);
  return v;
}

inline DB_MPOOL *COpen(const char *dir, int flags, size_t size) {
  DB_MPOOL *mp = nullptr;
  C_OK(OpenShared(dir, flags, size, &mp));
  return mp;
}

inline DB_MPOOLFILE *CFopen(DB_MPOOL *mp, const std::string &path,
                            int ftype = 0, int flags = 0, size_t ps = kPage) {
  DB_MPOOLFILE *mpf = nullptr;
  std::string copy = path;
  C_OK(memp_fopen(mp, copy.empty() ? nullptr : &copy[0], ftype, flags, 0644, ps,
                  -1, nullptr, nullptr, &mpf));
  return mpf;
}

// Page pgno filled with the salted pattern and put DIRTY.
inline void CDirty(DB_MPOOLFILE *mpf, db_pgno_t pgno, uint32_t salt,
                   unsigned long getflags = 0) {
  db_pgno_t pg = pgno;
  void *p = nullptr;
  C_OK(memp_fget(mpf, &pg, getflags, &p));
  C_CHECK_MSG(pg == pgno, "got page " << pg << " for " << pgno);
  FillPattern(p, kPage, pgno, salt);
  C_OK(memp_fput(mpf, p, DB_MPOOL_DIRTY));
}

// Page pgno must hold the salted pattern.
inline void CExpect(DB_MPOOLFILE *mpf, db_pgno_t pgno, uint32_t salt) {
  db_pgno_t pg = pgno;
  void *p = nullptr;
  C_OK(memp_fget(mpf, &pg, 0, &p));
  bool same = Bytes(p, kPage) == PatternPage(pgno, kPage, salt);
  C_OK(memp_fput(mpf, p, 0));
  C_CHECK_MSG(same, "page " << pgno << " does not hold pattern salt " << salt);
}

// Parent-side (gtest) versions.
inline void Dirty(DB_MPOOLFILE *mpf, db_pgno_t pgno, uint32_t salt) {
  db_pgno_t pg = pgno;
  void *p = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &p), 0) << "page " << pgno;
  FillPattern(p, kPage, pgno, salt);
  ASSERT_EQ(memp_fput(mpf, p, DB_MPOOL_DIRTY), 0);
}

inline void ExpectPage(DB_MPOOLFILE *mpf, db_pgno_t pgno,
                       const std::vector<uint8_t> &want,
                       const std::string &what) {
  db_pgno_t pg = pgno;
  void *p = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &p), 0) << what << ": page " << pgno;
  EXPECT_TRUE(Bytes(p, kPage) == want) << what << ": page " << pgno;
  ASSERT_EQ(memp_fput(mpf, p, 0), 0);
}

}  // namespace lfmtest

#endif  // LFMPOOL_TESTS_SHARED_POOL_FIXTURE_H
