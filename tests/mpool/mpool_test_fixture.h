// The shared part of the mpool(3) conformance suites (mpool_api_*_test.cc):
// errno assertions, a recording pgin/pgout filter pair and the MpoolTest
// fixture that owns a scratch file, its descriptor and the MPOOL.
//
// Public headers only: test_util.h brings db_mpool.h for its helpers and
// is included before mpool.h, as mpool.h asks.
#ifndef LFMPOOL_TESTS_MPOOL_TEST_FIXTURE_H
#define LFMPOOL_TESTS_MPOOL_TEST_FIXTURE_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/common/test_util.h"  // (db_mpool.h first, as mpool.h asks)
#include "mpool.h"

namespace lfmtest {

constexpr pgno_t kPs = 4096;  // page size of most tests

// ------------------------------------------------------------ errno helpers

#define EXPECT_NULL_ERRNO(expr, err)                                          \
  do {                                                                        \
    errno = 0;                                                                \
    void *r_ = (expr);                                                        \
    const int e_ = errno;                                                     \
    EXPECT_EQ(r_, nullptr) << #expr;                                          \
    EXPECT_EQ(e_, (err)) << #expr << ": errno " << e_ << " (" << strerror(e_) \
                         << ")";                                              \
  } while (0)

#define EXPECT_MINUS1_ERRNO(expr, err)                                        \
  do {                                                                        \
    errno = 0;                                                                \
    int r_ = (expr);                                                          \
    const int e_ = errno;                                                     \
    EXPECT_EQ(r_, -1) << #expr;                                               \
    EXPECT_EQ(e_, (err)) << #expr << ": errno " << e_ << " (" << strerror(e_) \
                         << ")";                                              \
  } while (0)

// ------------------------------------------------------------ filter hooks

// State of the recording pgin/pgout pair. The cookie handed to mpool_filter
// is compared with `cookie` before anything else is touched.
struct FilterState {
  std::atomic<void *> cookie{nullptr};
  std::atomic<int> bad_cookie{0};
  std::atomic<int> pgin{0};
  std::atomic<int> pgout{0};
  std::atomic<bool> xor_in{false};
  std::atomic<bool> xor_out{false};
  size_t pagesize = kPs;
  std::mutex mu;
  std::vector<pgno_t> in_pgnos;
  std::vector<pgno_t> out_pgnos;
  std::vector<void *> in_addrs;
  std::vector<std::vector<uint8_t>> out_bytes;  // as pgout received them

  void Reset(size_t ps, void *expected_cookie) {
    cookie = expected_cookie;
    bad_cookie = 0;
    pgin = 0;
    pgout = 0;
    xor_in = false;
    xor_out = false;
    pagesize = ps;
    std::lock_guard<std::mutex> g(mu);
    in_pgnos.clear();
    out_pgnos.clear();
    in_addrs.clear();
    out_bytes.clear();
  }
  int InCount(pgno_t pgno) {
    std::lock_guard<std::mutex> g(mu);
    return static_cast<int>(std::count(in_pgnos.begin(), in_pgnos.end(), pgno));
  }
  int OutCount(pgno_t pgno) {
    std::lock_guard<std::mutex> g(mu);
    return static_cast<int>(
        std::count(out_pgnos.begin(), out_pgnos.end(), pgno));
  }
};

inline FilterState &Flt() {
  static FilterState *f = new FilterState;
  return *f;
}

inline void FltIn(void *cookie, pgno_t pgno, void *page) {
  FilterState &f = Flt();
  if (cookie != f.cookie.load()) {
    f.bad_cookie++;
    return;
  }
  f.pgin++;
  {
    std::lock_guard<std::mutex> g(f.mu);
    f.in_pgnos.push_back(pgno);
    f.in_addrs.push_back(page);
  }
  if (f.xor_in) {
    uint8_t *p = static_cast<uint8_t *>(page);
    for (size_t i = 0; i < f.pagesize; i++) p[i] ^= 0xA5;
  }
}

inline void FltOut(void *cookie, pgno_t pgno, void *page) {
  FilterState &f = Flt();
  if (cookie != f.cookie.load()) {
    f.bad_cookie++;
    return;
  }
  f.pgout++;
  {
    std::lock_guard<std::mutex> g(f.mu);
    f.out_pgnos.push_back(pgno);
    f.out_bytes.push_back(Bytes(page, f.pagesize));
  }
  if (f.xor_out) {
    uint8_t *p = static_cast<uint8_t *>(page);
    for (size_t i = 0; i < f.pagesize; i++) p[i] ^= 0xA5;
  }
}

inline std::vector<uint8_t> XorA5(std::vector<uint8_t> v) {
  return Xor(v, 0xA5);
}

// ------------------------------------------------------------ fixture

class MpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.File("f.db");
    Flt().Reset(kPs, &cookie_);
  }
  void TearDown() override {
    if (mp_ != nullptr) {
      EXPECT_EQ(mpool_close(mp_), 0);
    }
    mp_ = nullptr;
    if (fd_ >= 0) {
      EXPECT_EQ(::close(fd_), 0);
    }
    fd_ = -1;
  }

  // A file of n pattern pages (salt) plus `extra` bytes.
  void MakePages(uint32_t n, pgno_t ps = kPs, uint32_t salt = 0,
                 size_t extra = 0) {
    std::vector<uint8_t> all;
    for (uint32_t p = 0; p < n; p++) {
      std::vector<uint8_t> pg = PatternPage(p, ps, salt);
      all.insert(all.end(), pg.begin(), pg.end());
    }
    all.resize(all.size() + extra, 0x5A);
    ASSERT_TRUE(WriteAll(path_, all.data(), all.size()));
  }
  void OpenFd(int flags = O_RDWR | O_CREAT) {
    ASSERT_LT(fd_, 0);
    fd_ = ::open(path_.c_str(), flags, 0644);
    ASSERT_GE(fd_, 0) << strerror(errno);
  }
  // Opens fd_ (if not open) and mp_.
  void Open(pgno_t maxcache = 8, pgno_t ps = kPs) {
    if (fd_ < 0) OpenFd();
    ps_ = ps;
    Flt().pagesize = ps;
    errno = 0;
    mp_ = mpool_open(nullptr, fd_, ps, maxcache);
    ASSERT_NE(mp_, nullptr) << strerror(errno);
  }
  void CloseMp() {
    ASSERT_NE(mp_, nullptr);
    EXPECT_EQ(mpool_close(mp_), 0);
    mp_ = nullptr;
  }
  // mpool_filter with the recording hooks and cookie_.
  void Filter(bool xor_in = false, bool xor_out = false) {
    Flt().xor_in = xor_in;
    Flt().xor_out = xor_out;
    mpool_filter(mp_, FltIn, FltOut, &cookie_);
  }
  void *Get(pgno_t pgno, unsigned flags = 0) {
    errno = 0;
    void *p = mpool_get(mp_, pgno, flags);
    EXPECT_NE(p, nullptr) << "mpool_get " << pgno << ": " << strerror(errno);
    return p;
  }
  void Put(void *page, unsigned flags = 0) {
    errno = 0;
    EXPECT_EQ(mpool_put(mp_, page, flags), 0) << strerror(errno);
  }
  void *New(pgno_t *pgno, unsigned flags = MPOOL_PAGE_NEXT) {
    errno = 0;
    void *p = mpool_new(mp_, pgno, flags);
    EXPECT_NE(p, nullptr) << "mpool_new: " << strerror(errno);
    return p;
  }
  // Get + put of page pgno (to push other pages out).
  void Touch(pgno_t pgno) {
    void *p = Get(pgno);
    if (p != nullptr) Put(p);
  }
  std::vector<uint8_t> FilePage(pgno_t pgno) {
    return ReadPage(path_, pgno, ps_);
  }
  std::vector<uint8_t> Pat(pgno_t pgno, uint32_t salt = 0) {
    return PatternPage(pgno, ps_, salt);
  }
  std::vector<uint8_t> Zeros() { return std::vector<uint8_t>(ps_, 0); }
  std::vector<uint8_t> Mem(const void *page) { return Bytes(page, ps_); }

  TempDir dir_;
  std::string path_;
  int fd_ = -1;
  MPOOL *mp_ = nullptr;
  pgno_t ps_ = kPs;
  int cookie_ = 0;  // its address is the filter cookie
};

}  // namespace lfmtest

#endif  // LFMPOOL_TESTS_MPOOL_TEST_FIXTURE_H
