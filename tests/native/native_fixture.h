// The fixture of the native API's suites (include/lfmpool.h): a private
// pool of kFrames 4 KiB frames, no flusher threads (nothing is written but
// by lfmpool_fsync or an eviction), with data.db (kPages pattern pages,
// tests/common/test_util.h) open as file_.
//
// What the cases rely on: lfmpool_fsync returns LFMPOOL_INCOMPLETE while a
// dirty page of the file is pinned and 0 once every dirty page could be
// written, so a page made dirty and then synced with 0 shows that no pin
// is left on it; a pool of N bytes holds N / 4096 frames of 4 KiB pages
// (20 KiB: 5), so N / 4096 pins of distinct pages make the next miss
// ENOMEM.
#ifndef LFMPOOL_TESTS_NATIVE_FIXTURE_H
#define LFMPOOL_TESTS_NATIVE_FIXTURE_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "lfmpool.h"
#include "tests/common/test_util.h"

namespace lfmtest {

constexpr size_t kNativePool = 256 * 1024;  // 64 frames of 4 KiB
constexpr uint32_t kNativeFrames = kNativePool / kPage;

inline int64_t MonotonicMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Between two looks at something another thread does (with a deadline).
inline void NapOneMs() {
  struct timespec ts = {0, 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// A private pool of `bytes` (0: the default), or nullptr and a failure.
inline lfmpool *OpenPrivatePool(size_t bytes, unsigned extra = 0) {
  lfmpool *pool = nullptr;
  int rc = lfmpool_open(nullptr, bytes, LFMPOOL_PRIVATE | extra, 0, &pool);
  EXPECT_EQ(rc, 0) << "lfmpool_open(private, " << bytes
                   << "): " << strerror(rc);
  return rc == 0 ? pool : nullptr;
}

// lfmpool_fopen of `path`, or nullptr and a failure.
inline lfmpool_file *OpenNativeFile(lfmpool *pool, const std::string &path,
                                    size_t pagesize = kPage,
                                    unsigned flags = 0) {
  lfmpool_file *f = nullptr;
  int rc = lfmpool_fopen(pool, path.c_str(), pagesize, flags, 0644, &f);
  EXPECT_EQ(rc, 0) << "lfmpool_fopen(" << path << "): " << strerror(rc);
  return rc == 0 ? f : nullptr;
}

// lfmpool_get of page pgno: the page, or nullptr and a failure.
inline void *NGet(lfmpool_file *f, uint32_t pgno) {
  void *page = nullptr;
  int rc = lfmpool_get(f, pgno, &page);
  EXPECT_EQ(rc, 0) << "lfmpool_get of page " << pgno << ": " << strerror(rc);
  return rc == 0 ? page : nullptr;
}

// lfmpool_put that must succeed.
inline void NPut(lfmpool_file *f, void *page, unsigned flags = 0) {
  int rc =
      flags == 0 ? lfmpool_put(f, page) : lfmpool_put_flags(f, page, flags);
  EXPECT_EQ(rc, 0) << "lfmpool_put(flags " << flags << "): " << strerror(rc);
}

// This thread's guard words (include/lfmpool.h: LFMPOOL__GUARD_OFF bytes
// before its cache's first entry, in the pool it used last): 1 while its
// inline pins are plain stores, 0 while the guard is shut.
inline uint32_t GuardPlain() {
  auto *t = static_cast<lfmpool__thread *>(lfmpool__tls_fast);
  auto *g = reinterpret_cast<lfmpool__guard *>(reinterpret_cast<char *>(t->tc) -
                                               LFMPOOL__GUARD_OFF);
  return __atomic_load_n(&g->plain, __ATOMIC_ACQUIRE);
}

// A private pool of `pool_bytes` (kNativePool unless a subclass says)
// with data.db of `file_pages` pattern pages (kPages) open in it.
class NativeTest : public ::testing::Test {
 protected:
  static constexpr uint32_t kPages = 16;

  explicit NativeTest(size_t pool_bytes = kNativePool,
                      uint32_t file_pages = kPages)
      : pool_bytes_(pool_bytes), file_pages_(file_pages) {}

  void SetUp() override {
    MakeFile(Path(), file_pages_, kPage);
    pool_ = OpenPrivatePool(pool_bytes_);
    ASSERT_NE(pool_, nullptr);
    file_ = OpenNativeFile(pool_, Path());
    ASSERT_NE(file_, nullptr);
  }
  void TearDown() override {
    if (file_ != nullptr) {
      EXPECT_EQ(lfmpool_fclose(file_), 0);
    }
    if (pool_ != nullptr) {
      EXPECT_EQ(lfmpool_close(pool_), 0);
    }
  }

  std::string Path(const std::string &name = "data.db") const {
    return dir_.File(name);
  }

  const size_t pool_bytes_;
  const uint32_t file_pages_;
  TempDir dir_;
  lfmpool *pool_ = nullptr;
  lfmpool_file *file_ = nullptr;
};

}  // namespace lfmtest

#endif  // LFMPOOL_TESTS_NATIVE_FIXTURE_H
