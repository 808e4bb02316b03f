// Conformance tests of the mpool(3) API (4.4BSD, with the FreeBSD additions
// mpool_new flags, mpool_delete and MPOOL_IGNOREPIN) as include/mpool.h
// documents it: one TEST per sentence of the manual pages and per point of
// the header's contract, bad input included.
//
// Public headers only (test_util.h brings db_mpool.h for its helpers; it is
// included before mpool.h, as mpool.h asks).
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
#include "test_util.h"  // (db_mpool.h first, as mpool.h asks)
#include "mpool.h"

// ThreadSanitizer aborts in fork() when jemalloc's fork handler takes more
// than the 64 mutexes its deadlock detector tracks (the case once a private
// pool has made its jemalloc arena); OpenSameKeySharesPagesAcrossFork forks
// after such tests, so the detector is off in this binary (races are still
// reported).
extern "C" __attribute__((used, visibility("default"))) const char *
__tsan_default_options() {
  return "detect_deadlocks=0";
}

namespace lfmtest {
namespace {

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

FilterState &Flt() {
  static FilterState *f = new FilterState;
  return *f;
}

void FltIn(void *cookie, pgno_t pgno, void *page) {
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

void FltOut(void *cookie, pgno_t pgno, void *page) {
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

std::vector<uint8_t> XorA5(std::vector<uint8_t> v) { return Xor(v, 0xA5); }

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

// ======================================================================
// mpool_open
// ======================================================================

// "If key is NULL, the buffers are mapped into private memory."
TEST_F(MpoolTest, OpenNullKeyGivesPrivatePool) {
  MakePages(2);
  Open();
  void *p = Get(0);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Mem(p), Pat(0));
  Put(p);
}

// Two private pools on one file do not share buffers: a dirty, unsynced
// change in one is not seen by the other.
TEST_F(MpoolTest, PrivatePoolsDoNotShareBuffers) {
  MakePages(2);
  Open();
  int fd2 = ::open(path_.c_str(), O_RDWR);
  ASSERT_GE(fd2, 0);
  MPOOL *mp2 = mpool_open(nullptr, fd2, kPs, 8);
  ASSERT_NE(mp2, nullptr);
  void *a = Get(1);
  ASSERT_NE(a, nullptr);
  FillPattern(a, kPs, 1, 9);
  Put(a, MPOOL_DIRTY);
  void *b = mpool_get(mp2, 1, 0);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a, b);
  EXPECT_EQ(Mem(b), Pat(1));
  EXPECT_EQ(mpool_put(mp2, b, 0), 0);
  EXPECT_EQ(mpool_close(mp2), 0);
  EXPECT_EQ(::close(fd2), 0);
}

// "If key is non-NULL, the buffers are shared between processes using the
// same key": a forked child and this process open the file with one key;
// a page each one dirties (no sync) is seen by the other, and the last
// mpool_close removes the key's region (in TMPDIR, here the test's dir).
TEST_F(MpoolTest, OpenSameKeySharesPagesAcrossFork) {
  MakePages(4);
  struct Env {  // TMPDIR for the scope
    std::string old;
    bool had;
    explicit Env(const std::string &d) {
      const char *o = getenv("TMPDIR");
      had = o != nullptr;
      if (had) old = o;
      setenv("TMPDIR", d.c_str(), 1);
    }
    ~Env() {
      if (had)
        setenv("TMPDIR", old.c_str(), 1);
      else
        unsetenv("TMPDIR");
    }
  } env(dir_.path());
  char key[] = "shared-key";
  int up[2], down[2];
  ASSERT_EQ(::pipe(up), 0);
  ASSERT_EQ(::pipe(down), 0);
  fflush(stdout);
  const pid_t pid = ::fork();  // before this process opens a pool
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(up[0]);
    ::close(down[1]);
    char c = 0;
    int fd = ::open(path_.c_str(), O_RDWR);
    MPOOL *m = fd >= 0 ? mpool_open(key, fd, kPs, 8) : nullptr;
    if (m == nullptr) _exit(2);
    void *p = mpool_get(m, 1, 0);
    if (p == nullptr) _exit(3);
    FillPattern(p, kPs, 1, 9);
    if (mpool_put(m, p, MPOOL_DIRTY) != 0) _exit(4);
    if (::write(up[1], "d", 1) != 1) _exit(5);
    if (::read(down[0], &c, 1) != 1) _exit(6);  // the parent dirtied page 2
    p = mpool_get(m, 2, 0);
    if (p == nullptr) _exit(7);
    const bool same = Bytes(p, kPs) == PatternPage(2, kPs, 8);
    if (mpool_put(m, p, 0) != 0 || !same) _exit(8);
    if (mpool_close(m) != 0) _exit(9);
    _exit(0);
  }
  ::close(up[1]);
  ::close(down[0]);
  struct Reaper {  // the child never outlives the test
    pid_t pid;
    int fds[2];
    int status = -1;
    ~Reaper() {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
      }
      ::close(fds[0]);
      ::close(fds[1]);
    }
  } child{pid, {up[0], down[1]}};
  struct pollfd pfd = {up[0], POLLIN, 0};
  char c = 0;
  ASSERT_EQ(::poll(&pfd, 1, 20000), 1) << "no word from the child in 20 s";
  ASSERT_EQ(::read(up[0], &c, 1), 1) << "the child died before it dirtied";
  OpenFd();
  mp_ = mpool_open(key, fd_, kPs, 8);
  ASSERT_NE(mp_, nullptr) << strerror(errno);
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Mem(p), Pat(1, 9)) << "the child's dirty page is not seen";
  Put(p);
  p = Get(2);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 2, 8);
  Put(p, MPOOL_DIRTY);
  ASSERT_EQ(::write(down[1], "c", 1), 1);
  int status = 0;
  for (int ms = 0; ms < 20000; ms++) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      child.pid = -1;
      break;
    }
    usleep(1000);
  }
  ASSERT_EQ(child.pid, -1) << "the child did not exit within 20 s";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "child status " << status << " (exit code: the failing step)";
  for (pgno_t q = 0; q < 4; q++) EXPECT_EQ(FilePage(q), Pat(q)) << q;
  auto regions = [&] {
    int n = 0;
    DIR *d = opendir(dir_.path().c_str());
    while (struct dirent *e = d != nullptr ? readdir(d) : nullptr)
      n += strncmp(e->d_name, "__lfm_mpool.key.", 16) == 0;
    if (d != nullptr) closedir(d);
    return n;
  };
  EXPECT_EQ(regions(), 1);
  CloseMp();
  EXPECT_EQ(regions(), 0) << "the last mpool_close left the key's region";
}

TEST_F(MpoolTest, OpenPagesizeZeroFailsEinval) {
  OpenFd();
  EXPECT_NULL_ERRNO(mpool_open(nullptr, fd_, 0, 8), EINVAL);
}

TEST_F(MpoolTest, OpenPagesizeOver1MiBFailsEinval) {
  OpenFd();
  EXPECT_NULL_ERRNO(mpool_open(nullptr, fd_, (1u << 20) + 1, 8), EINVAL);
  EXPECT_NULL_ERRNO(mpool_open(nullptr, fd_, 1u << 21, 8), EINVAL);
  EXPECT_NULL_ERRNO(mpool_open(nullptr, fd_, UINT_MAX, 8), EINVAL);
}

// 1 MiB itself is allowed.
TEST_F(MpoolTest, OpenPagesizeExactly1MiBWorks) {
  constexpr pgno_t kMiB = 1u << 20;
  MakePages(2, kMiB);
  Open(2, kMiB);
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Mem(p), Pat(1));
  Put(p);
}

// Any page size from 1 to 1 MiB: small and odd sizes too.
TEST_F(MpoolTest, OpenSmallAndOddPagesizesWork) {
  for (pgno_t ps : {1u, 100u, 512u, 1000u}) {
    SCOPED_TRACE(ps);
    MakePages(5, ps);
    Open(2, ps);
    for (pgno_t pg = 0; pg < 5; pg++) {
      void *p = Get(pg);
      ASSERT_NE(p, nullptr);
      EXPECT_EQ(Mem(p), Pat(pg));
      FillPattern(p, ps, pg, 3);
      Put(p, MPOOL_DIRTY);
    }
    EXPECT_NULL_ERRNO(mpool_get(mp_, 5, 0), EINVAL);
    EXPECT_EQ(mpool_sync(mp_), 0);
    CloseMp();
    for (pgno_t pg = 0; pg < 5; pg++) EXPECT_EQ(FilePage(pg), Pat(pg, 3));
    EXPECT_EQ(FileSize(path_), 5LL * ps);
    EXPECT_EQ(::close(fd_), 0);
    fd_ = -1;
  }
}

TEST_F(MpoolTest, OpenFdMinusOneFailsEbadf) {
  EXPECT_NULL_ERRNO(mpool_open(nullptr, -1, kPs, 8), EBADF);
}

TEST_F(MpoolTest, OpenClosedFdFailsEbadf) {
  OpenFd();
  int closed = fd_;
  ASSERT_EQ(::close(fd_), 0);
  fd_ = -1;
  EXPECT_NULL_ERRNO(mpool_open(nullptr, closed, kPs, 8), EBADF);
}

// "The fd argument is a file descriptor for the underlying file, which must
// be seekable."
TEST_F(MpoolTest, OpenPipeFailsEspipe) {
  int p[2];
  ASSERT_EQ(pipe(p), 0);
  EXPECT_NULL_ERRNO(mpool_open(nullptr, p[0], kPs, 8), ESPIPE);
  EXPECT_NULL_ERRNO(mpool_open(nullptr, p[1], kPs, 8), ESPIPE);
  // The pool did not close them.
  EXPECT_NE(fcntl(p[0], F_GETFD), -1);
  EXPECT_NE(fcntl(p[1], F_GETFD), -1);
  ::close(p[0]);
  ::close(p[1]);
}

// maxcache 0 is treated as 1: the pool works and caches at most one page.
TEST_F(MpoolTest, OpenMaxcacheZeroIsOne) {
  MakePages(4);
  Open(0);
  Filter();
  for (pgno_t pg = 0; pg < 4; pg++) {
    void *p = Get(pg);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(Mem(p), Pat(pg));
    Put(p);
  }
  // Page 0 was pushed out by pages 1..3: it is read again.
  const int before = Flt().InCount(0);
  Touch(0);
  EXPECT_EQ(Flt().InCount(0), before + 1);
  // And it can still pin more than one page at once.
  void *a = Get(1), *b = Get(2), *c = Get(3);
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(Mem(a), Pat(1));
  EXPECT_EQ(Mem(b), Pat(2));
  EXPECT_EQ(Mem(c), Pat(3));
  Put(a);
  Put(b);
  Put(c);
}

// The file's pages are 0 .. floor(size / pagesize) - 1.
TEST_F(MpoolTest, OpenExistingPagesAreWholePages) {
  MakePages(3);
  Open();
  for (pgno_t pg = 0; pg < 3; pg++) {
    void *p = Get(pg);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(Mem(p), Pat(pg));
    Put(p);
  }
  EXPECT_NULL_ERRNO(mpool_get(mp_, 3, 0), EINVAL);
}

// A partial last page is ignored: it is not a page, and the next new page
// takes its number.
TEST_F(MpoolTest, OpenPartialLastPageIgnored) {
  MakePages(3, kPs, 0, 100);
  Open();
  void *p = Get(2);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Mem(p), Pat(2));
  Put(p);
  EXPECT_NULL_ERRNO(mpool_get(mp_, 3, 0), EINVAL);
  pgno_t pg = 999;
  void *n = New(&pg);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(pg, 3u);
  EXPECT_TRUE(AllZero(n, kPs));
  // Written, it replaces the partial bytes.
  FillPattern(n, kPs, 3, 5);
  Put(n, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(3), Pat(3, 5));
  EXPECT_EQ(FileSize(path_), 4LL * kPs);
}

TEST_F(MpoolTest, OpenEmptyFileHasNoPages) {
  Open();
  EXPECT_NULL_ERRNO(mpool_get(mp_, 0, 0), EINVAL);
  EXPECT_NULL_ERRNO(mpool_get(mp_, 1, 0), EINVAL);
}

// A read-only fd is a valid backing file for reading.
TEST_F(MpoolTest, OpenReadOnlyFdReads) {
  MakePages(2);
  OpenFd(O_RDONLY);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Mem(p), Pat(1));
  Put(p);
}

// ======================================================================
// The fd: never closed by the pool; page N at byte N * pagesize.
// ======================================================================

TEST_F(MpoolTest, CloseLeavesFdOpenAndReadable) {
  MakePages(3);
  Open();
  void *p = Get(2);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 2, 7);
  Put(p, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  CloseMp();
  EXPECT_NE(fcntl(fd_, F_GETFD), -1) << strerror(errno);
  std::vector<uint8_t> buf(kPs);
  ASSERT_EQ(pread(fd_, buf.data(), kPs, 2 * kPs), static_cast<ssize_t>(kPs));
  EXPECT_EQ(buf, Pat(2, 7));
  ASSERT_EQ(pread(fd_, buf.data(), kPs, 1 * kPs), static_cast<ssize_t>(kPs));
  EXPECT_EQ(buf, Pat(1));
  // read(2) works too.
  ASSERT_EQ(lseek(fd_, 0, SEEK_SET), 0);
  ASSERT_EQ(read(fd_, buf.data(), kPs), static_cast<ssize_t>(kPs));
  EXPECT_EQ(buf, Pat(0));
}

// A failed mpool_open leaves the fd open, too.
TEST_F(MpoolTest, FailedOpenLeavesFdOpen) {
  OpenFd();
  EXPECT_EQ(mpool_open(nullptr, fd_, 0, 8), nullptr);
  EXPECT_NE(fcntl(fd_, F_GETFD), -1);
}

// Page N is read from and written to byte N * pagesize, whatever the fd's
// file offset is.
TEST_F(MpoolTest, PageNLivesAtByteNTimesPagesize) {
  MakePages(6);
  OpenFd();
  ASSERT_EQ(lseek(fd_, 12345, SEEK_SET), 12345);
  Open();
  for (pgno_t pg : {5u, 0u, 3u}) {
    void *p = Get(pg);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(Mem(p), Pat(pg));
    FillPattern(p, kPs, pg, 11);
    Put(p, MPOOL_DIRTY);
  }
  ASSERT_EQ(mpool_sync(mp_), 0);
  CloseMp();
  for (pgno_t pg = 0; pg < 6; pg++) {
    std::vector<uint8_t> buf(kPs);
    ASSERT_EQ(pread(fd_, buf.data(), kPs, static_cast<off_t>(pg) * kPs),
              static_cast<ssize_t>(kPs));
    const bool written = pg == 5 || pg == 0 || pg == 3;
    EXPECT_EQ(buf, Pat(pg, written ? 11 : 0)) << "page " << pg;
  }
  EXPECT_EQ(FileSize(path_), 6LL * kPs);
}

// ======================================================================
// mpool_new
// ======================================================================

// "If a new page can be allocated, a pointer to the page is returned and
// the page number is stored into the pgnoaddr address."
TEST_F(MpoolTest, NewNextOnEmptyFileCounts0And1And2) {
  Open();
  std::vector<void *> pages;
  for (pgno_t want = 0; want < 5; want++) {
    pgno_t pg = 12345;
    void *p = New(&pg, MPOOL_PAGE_NEXT);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(pg, want);
    EXPECT_TRUE(AllZero(p, kPs)) << "page " << pg;
    pages.push_back(p);
  }
  std::set<void *> distinct(pages.begin(), pages.end());
  EXPECT_EQ(distinct.size(), pages.size());
  for (void *p : pages) Put(p);
}

// The 4.4BSD two-argument form is MPOOL_PAGE_NEXT.
TEST_F(MpoolTest, NewTwoArgumentFormIsPageNext) {
  MakePages(2);
  Open();
  pgno_t a = 77, b = 77, c = 77;
  void *pa = mpool_new(mp_, &a);
  ASSERT_NE(pa, nullptr);
  EXPECT_EQ(a, 2u);
  EXPECT_TRUE(AllZero(pa, kPs));
  void *pb = mpool_new(mp_, &b, MPOOL_PAGE_NEXT);
  ASSERT_NE(pb, nullptr);
  EXPECT_EQ(b, 3u);
  void *pc = mpool_new(mp_, &c);
  ASSERT_NE(pc, nullptr);
  EXPECT_EQ(c, 4u);
  // Pinned, like any new page.
  Put(pa);
  Put(pb);
  Put(pc);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, pc, 0), EINVAL);
}

// New pages are zero bytes, even in a frame that held data before.
TEST_F(MpoolTest, NewPagesAreZeroFilledInReusedFrames) {
  MakePages(8);
  Open(2);
  for (pgno_t pg = 0; pg < 8; pg++) {
    void *p = Get(pg);
    ASSERT_NE(p, nullptr);
    memset(p, 0xEE, kPs);
    Put(p);  // not dirty: the change is dropped
  }
  for (int i = 0; i < 6; i++) {
    pgno_t pg = 0;
    void *p = New(&pg);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(pg, 8u + static_cast<pgno_t>(i));
    EXPECT_TRUE(AllZero(p, kPs)) << "page " << pg;
    memset(p, 0xEE, kPs);
    Put(p);
  }
}

// New pages come back pinned: exactly one put is accepted.
TEST_F(MpoolTest, NewPageIsPinned) {
  Open(2);
  pgno_t pg = 0;
  void *p = New(&pg);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, pg, 1);
  // Push plenty of other pages through the 2-frame pool.
  std::vector<pgno_t> others;
  for (int i = 0; i < 10; i++) {
    pgno_t o;
    void *q = New(&o);
    ASSERT_NE(q, nullptr);
    Put(q);
    others.push_back(o);
  }
  for (pgno_t o : others) Touch(o);
  EXPECT_EQ(Mem(p), Pat(pg, 1));
  Put(p);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, 0), EINVAL);
}

// Many new pages pinned at once, more than maxcache, then written by sync.
TEST_F(MpoolTest, NewManyPinnedBeyondMaxcacheThenSync) {
  Open(2);
  std::vector<void *> pages;
  for (pgno_t want = 0; want < 10; want++) {
    pgno_t pg = 0;
    void *p = New(&pg);
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(pg, want);
    FillPattern(p, kPs, pg, 4);
    pages.push_back(p);
  }
  for (pgno_t pg = 0; pg < 10; pg++) EXPECT_EQ(Mem(pages[pg]), Pat(pg, 4));
  for (void *p : pages) Put(p, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FileSize(path_), 10LL * kPs);
  for (pgno_t pg = 0; pg < 10; pg++) EXPECT_EQ(FilePage(pg), Pat(pg, 4));
}

// Flags other than exactly MPOOL_PAGE_REQUEST or MPOOL_PAGE_NEXT: EINVAL.
TEST_F(MpoolTest, NewBadFlagsFailEinval) {
  MakePages(2);
  Open();
  const std::vector<unsigned> bad = {0u,
                                     MPOOL_PAGE_REQUEST | MPOOL_PAGE_NEXT,
                                     4u,
                                     0x10u,
                                     MPOOL_PAGE_NEXT | 0x100u,
                                     0x80000000u,
                                     UINT_MAX};
  for (unsigned flags : bad) {
    SCOPED_TRACE(flags);
    pgno_t pg = 1;
    EXPECT_NULL_ERRNO(mpool_new(mp_, &pg, flags), EINVAL);
  }
  // Nothing was allocated: the next page is still 2.
  pgno_t pg = 0;
  void *p = New(&pg);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(pg, 2u);
  Put(p);
}

// MPOOL_PAGE_REQUEST: "allocate a new page with a specific page number".
TEST_F(MpoolTest, NewRequestCreatesThatPage) {
  MakePages(4);
  Open();
  pgno_t pg = 2;
  void *p = New(&pg, MPOOL_PAGE_REQUEST);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(pg, 2u);
  EXPECT_TRUE(AllZero(p, kPs));
  FillPattern(p, kPs, 2, 8);
  Put(p, MPOOL_DIRTY);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, 0), EINVAL);  // it was pinned once
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(2), Pat(2, 8));
  EXPECT_EQ(FilePage(1), Pat(1));
  EXPECT_EQ(FilePage(3), Pat(3));
  EXPECT_EQ(FileSize(path_), 4LL * kPs);
}

// EEXIST if the requested page is in the pool now (pinned).
TEST_F(MpoolTest, NewRequestOfPinnedPageFailsEexist) {
  MakePages(3);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  pgno_t pg = 1;
  EXPECT_NULL_ERRNO(mpool_new(mp_, &pg, MPOOL_PAGE_REQUEST), EEXIST);
  EXPECT_EQ(Mem(p), Pat(1));  // untouched
  Put(p);
  // A pinned new page, too.
  pgno_t n = 0;
  void *q = New(&n);
  ASSERT_NE(q, nullptr);
  pgno_t again = n;
  EXPECT_NULL_ERRNO(mpool_new(mp_, &again, MPOOL_PAGE_REQUEST), EEXIST);
  Put(q);
}

// A page number past the end extends the file: the pages in between exist
// (zero bytes), the ones after do not, and NEXT continues after it.
TEST_F(MpoolTest, NewRequestPastEndExtendsFile) {
  MakePages(2);
  Open();
  pgno_t pg = 6;
  void *p = New(&pg, MPOOL_PAGE_REQUEST);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(pg, 6u);
  EXPECT_TRUE(AllZero(p, kPs));
  FillPattern(p, kPs, 6, 2);
  Put(p, MPOOL_DIRTY);
  for (pgno_t gap = 2; gap < 6; gap++) {
    void *q = Get(gap);
    ASSERT_NE(q, nullptr) << gap;
    EXPECT_TRUE(AllZero(q, kPs)) << "page " << gap;
    Put(q);
  }
  EXPECT_NULL_ERRNO(mpool_get(mp_, 7, 0), EINVAL);
  EXPECT_NULL_ERRNO(mpool_get(mp_, 100, 0), EINVAL);
  pgno_t next = 0;
  void *n = New(&next);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(next, 7u);
  Put(n);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(6), Pat(6, 2));
  EXPECT_GE(FileSize(path_), 7LL * kPs);
  for (pgno_t gap = 2; gap < 6; gap++) EXPECT_EQ(FilePage(gap), Zeros());
}

// On an empty file, REQUEST of page 0 works like NEXT.
TEST_F(MpoolTest, NewRequestPageZeroOnEmptyFile) {
  Open();
  pgno_t pg = 0;
  void *p = New(&pg, MPOOL_PAGE_REQUEST);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(pg, 0u);
  EXPECT_TRUE(AllZero(p, kPs));
  Put(p);
  pgno_t next = 0;
  void *n = New(&next);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(next, 1u);
  Put(n);
}

// ======================================================================
// mpool_get
// ======================================================================

// "If the page exists, a pointer to the page is returned."
TEST_F(MpoolTest, GetExistingPageReturnsFileBytes) {
  MakePages(5, kPs, 3);
  Open();
  for (pgno_t pg : {4u, 0u, 2u}) {
    void *p = Get(pg);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(Mem(p), Pat(pg, 3));
    Put(p);
  }
}

// "Otherwise, NULL is returned and errno is set." EINVAL: "The requested
// record doesn't exist."
TEST_F(MpoolTest, GetPastEndFailsEinval) {
  MakePages(3);
  Open();
  EXPECT_NULL_ERRNO(mpool_get(mp_, 3, 0), EINVAL);
  EXPECT_NULL_ERRNO(mpool_get(mp_, 4, 0), EINVAL);
  EXPECT_NULL_ERRNO(mpool_get(mp_, UINT_MAX, 0), EINVAL);
  EXPECT_NULL_ERRNO(mpool_get(mp_, 3, MPOOL_IGNOREPIN), EINVAL);
}

TEST_F(MpoolTest, GetUnknownFlagsFailEinval) {
  MakePages(2);
  Open();
  for (unsigned flags :
       {2u, 4u, 0x80u, MPOOL_IGNOREPIN | 2u, 0x80000000u, UINT_MAX}) {
    SCOPED_TRACE(flags);
    EXPECT_NULL_ERRNO(mpool_get(mp_, 1, flags), EINVAL);
  }
  // None of them pinned page 1: one get, one put, and a second put fails.
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  Put(p);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, 0), EINVAL);
}

// A got page is pinned: one put is accepted, a second is not.
TEST_F(MpoolTest, GetPinsThePage) {
  MakePages(2);
  Open();
  void *p = Get(0);
  ASSERT_NE(p, nullptr);
  Put(p);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, 0), EINVAL);
}

// The same page got twice is the same memory and holds two pins (the pool
// is shared by threads: two of them may hold one page).
TEST_F(MpoolTest, GetSamePageTwiceHoldsTwoPins) {
  MakePages(2);
  Open();
  void *a = Get(1);
  void *b = Get(1);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a, b);
  Put(a);
  Put(b);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, a, 0), EINVAL);
}

// MPOOL_IGNOREPIN: "the returned page is not pinned".
TEST_F(MpoolTest, GetIgnorePinDoesNotPin) {
  MakePages(3);
  Open();
  void *p = Get(2, MPOOL_IGNOREPIN);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Mem(p), Pat(2));
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, 0), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, p), EINVAL);
}

// With maxcache 1, an IGNOREPIN page does not hold the frame: a pinned get
// of another page works, and the unpinned page is pushed out (read again).
TEST_F(MpoolTest, GetIgnorePinHoldsNoFrame) {
  MakePages(6);
  Open(1);
  Filter();
  void *a = Get(0, MPOOL_IGNOREPIN);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(Mem(a), Pat(0));
  void *b = Get(1);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Mem(b), Pat(1));
  Put(b);
  for (pgno_t pg = 2; pg < 6; pg++) Touch(pg);
  const int before = Flt().InCount(0);
  void *a2 = Get(0);
  ASSERT_NE(a2, nullptr);
  EXPECT_EQ(Mem(a2), Pat(0));
  EXPECT_EQ(Flt().InCount(0), before + 1) << "page 0 stayed in the pool";
  Put(a2);
}

// IGNOREPIN of a page somebody has pinned: same memory, the pin count is
// unchanged.
TEST_F(MpoolTest, GetIgnorePinOfPinnedPage) {
  MakePages(2);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  void *q = Get(1, MPOOL_IGNOREPIN);
  EXPECT_EQ(p, q);
  Put(p);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, 0), EINVAL);
}

// "The flags argument is not currently used" (4.4BSD): 0 is the plain get.
TEST_F(MpoolTest, GetFlagsZeroIsPlainGet) {
  MakePages(1);
  Open();
  void *p = mpool_get(mp_, 0, 0);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(mpool_put(mp_, p, 0), 0);
}

// ======================================================================
// Pins
// ======================================================================

// A pinned page keeps its address and contents until mpool_put, while
// many other pages are fetched and evicted.
TEST_F(MpoolTest, PinnedPageKeepsAddressAndContents) {
  MakePages(64);
  Open(3);
  void *p = Get(7);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 7, 21);  // modified in place, not yet put
  for (int round = 0; round < 3; round++)
    for (pgno_t pg = 0; pg < 64; pg++) {
      if (pg == 7) continue;
      void *q = Get(pg);
      ASSERT_NE(q, nullptr);
      ASSERT_NE(q, p);
      EXPECT_EQ(Mem(q), Pat(pg)) << "page " << pg;
      Put(q);
    }
  EXPECT_EQ(Mem(p), Pat(7, 21));
  void *again = Get(7);
  EXPECT_EQ(again, p);
  Put(again);
  Put(p, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(7), Pat(7, 21));
}

// Growth past maxcache under pins: 5, 8 and 40 pages pinned at once with
// maxcache 5; unpinned, the pool shrinks back to at most maxcache pages.
TEST_F(MpoolTest, PinsGrowPastMaxcacheAndShrinkBack) {
  MakePages(40);
  Open(5);
  Filter();
  for (pgno_t n : {5u, 8u, 40u}) {
    SCOPED_TRACE(n);
    std::vector<void *> pins;
    for (pgno_t pg = 0; pg < n; pg++) {
      void *p = Get(pg);
      ASSERT_NE(p, nullptr) << "page " << pg;
      EXPECT_EQ(Mem(p), Pat(pg));
      pins.push_back(p);
    }
    std::set<void *> distinct(pins.begin(), pins.end());
    EXPECT_EQ(distinct.size(), pins.size());
    for (pgno_t pg = 0; pg < n; pg++) EXPECT_EQ(Mem(pins[pg]), Pat(pg));
    for (void *p : pins) Put(p);
  }
  // All unpinned: at most 5 pages stayed; the other 35 are read again.
  const int before = Flt().pgin.load();
  for (pgno_t pg = 0; pg < 40; pg++) {
    void *p = Get(pg);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(Mem(p), Pat(pg));
    Put(p);
  }
  EXPECT_GE(Flt().pgin.load() - before, 35);
}

// The cache keeps unpinned pages up to maxcache however many pages it has
// read: a page just put is still there for the next get. (The count of
// cached pages once ran up with every read and never down, so each put
// past maxcache reads emptied the cache.)
TEST_F(MpoolTest, PutPageStaysCachedAfterManyReads) {
  MakePages(40);
  Open(5);
  Filter();
  for (pgno_t pg = 0; pg < 40; pg++) {
    void *p = Get(pg);
    ASSERT_NE(p, nullptr) << "page " << pg;
    Put(p);
  }
  for (pgno_t pg : {3u, 17u, 39u}) {
    SCOPED_TRACE(pg);
    void *p = Get(pg);
    ASSERT_NE(p, nullptr);
    Put(p);
    const int before = Flt().pgin.load();
    p = Get(pg);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(Mem(p), Pat(pg));
    Put(p);
    EXPECT_EQ(Flt().pgin.load(), before) << "page read again";
  }
}

// ======================================================================
// mpool_put
// ======================================================================

// "mpool_put() returns 0 on success."
TEST_F(MpoolTest, PutCleanAndDirtyReturnZero) {
  MakePages(2);
  Open();
  void *a = Get(0);
  void *b = Get(1);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(mpool_put(mp_, a, 0), 0);
  EXPECT_EQ(mpool_put(mp_, b, MPOOL_DIRTY), 0);
}

// Other flags: -1/EINVAL, and the pin is kept.
TEST_F(MpoolTest, PutBadFlagsFailEinvalAndKeepPin) {
  MakePages(2);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  for (unsigned flags : {2u, 4u, MPOOL_DIRTY | 2u, 0x80000000u, UINT_MAX}) {
    SCOPED_TRACE(flags);
    EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, flags), EINVAL);
  }
  EXPECT_EQ(mpool_put(mp_, p, 0), 0);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, 0), EINVAL);
}

// "pgaddr must be an address previously returned by mpool_get() or
// mpool_new()": anything else is -1/EINVAL, no crash.
TEST_F(MpoolTest, PutForeignPointerFailsEinval) {
  MakePages(2);
  Open();
  void *p = Get(0);
  ASSERT_NE(p, nullptr);
  std::vector<uint8_t> stack_like(kPs);
  alignas(4096) static uint8_t aligned[kPs];
  std::unique_ptr<uint8_t[]> heap(new uint8_t[kPs]);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, stack_like.data(), 0), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, aligned, 0), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, heap.get(), MPOOL_DIRTY), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, static_cast<char *>(p) + 1, 0), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, static_cast<char *>(p) + kPs / 2, 0),
                      EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, nullptr, 0), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, &cookie_, 0), EINVAL);
  // The real page is still pinned once.
  EXPECT_EQ(mpool_put(mp_, p, 0), 0);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, 0), EINVAL);
}

// A page of another pool is not a page of this one.
TEST_F(MpoolTest, PutPageOfAnotherPoolFailsEinval) {
  MakePages(2);
  Open();
  int fd2 = ::open(path_.c_str(), O_RDWR);
  ASSERT_GE(fd2, 0);
  MPOOL *mp2 = mpool_open(nullptr, fd2, kPs, 8);
  ASSERT_NE(mp2, nullptr);
  void *p = Get(0);
  void *q = mpool_get(mp2, 0, 0);
  ASSERT_TRUE(p && q);
  EXPECT_MINUS1_ERRNO(mpool_put(mp2, p, 0), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, q, 0), EINVAL);
  EXPECT_EQ(mpool_put(mp2, q, 0), 0);
  Put(p);
  EXPECT_EQ(mpool_close(mp2), 0);
  ::close(fd2);
}

TEST_F(MpoolTest, DoublePutFailsEinval) {
  MakePages(2);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  Put(p, MPOOL_DIRTY);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, 0), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, MPOOL_DIRTY), EINVAL);
  // A double put after the frame was reused is still refused.
  for (pgno_t pg = 0; pg < 2; pg++) Touch(pg);
  void *n = nullptr;
  for (int i = 0; i < 12; i++) {
    pgno_t pg;
    n = New(&pg);
    ASSERT_NE(n, nullptr);
    Put(n);
  }
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, n, 0), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, 0), EINVAL);
}

// ======================================================================
// MPOOL_DIRTY, mpool_sync, mpool_close
// ======================================================================

// "MPOOL_DIRTY: the page has been modified and needs to be written to the
// backing file": it is, when it is evicted.
TEST_F(MpoolTest, DirtyPageWrittenAtEviction) {
  MakePages(10);
  Open(2);
  void *p = Get(0);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 0, 13);
  Put(p, MPOOL_DIRTY);
  for (pgno_t pg = 1; pg < 10; pg++) Touch(pg);
  // Page 0 had to leave the 2-page pool: it was written.
  EXPECT_EQ(FilePage(0), Pat(0, 13));
  CloseMp();
  EXPECT_EQ(FilePage(0), Pat(0, 13));
}

// The dirty mark sticks until the page is written: a later clean put of
// the same page does not lose it.
TEST_F(MpoolTest, DirtySticksUntilWritten) {
  MakePages(3);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 1, 14);
  Put(p, MPOOL_DIRTY);
  void *q = Get(1);
  ASSERT_NE(q, nullptr);
  Put(q, 0);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(1), Pat(1, 14));
}

// Same, through eviction.
TEST_F(MpoolTest, DirtySticksAcrossCleanPutUntilEviction) {
  MakePages(10);
  Open(2);
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 1, 15);
  Put(p, MPOOL_DIRTY);
  Touch(1);
  for (pgno_t pg = 2; pg < 10; pg++) Touch(pg);
  EXPECT_EQ(FilePage(1), Pat(1, 15));
}

// "mpool_sync() writes all modified pages ... returns 0 on success."
TEST_F(MpoolTest, SyncWritesAllDirtyPagesAndReturnsZero) {
  MakePages(6);
  Open(8);
  for (pgno_t pg : {1u, 3u, 5u}) {
    void *p = Get(pg);
    ASSERT_NE(p, nullptr);
    FillPattern(p, kPs, pg, 16);
    Put(p, MPOOL_DIRTY);
  }
  EXPECT_EQ(FilePage(3), Pat(3));  // not yet
  EXPECT_EQ(mpool_sync(mp_), 0);
  for (pgno_t pg = 0; pg < 6; pg++)
    EXPECT_EQ(FilePage(pg), Pat(pg, pg % 2 ? 16 : 0)) << pg;
}

// Only modified pages are written: pgout sees exactly the dirty ones, and
// a second sync writes nothing (the mark is gone once written).
TEST_F(MpoolTest, SyncWritesOnlyDirtyPagesOnce) {
  MakePages(6);
  Open(8);
  Filter();
  for (pgno_t pg = 0; pg < 6; pg++) {
    void *p = Get(pg);
    ASSERT_NE(p, nullptr);
    if (pg == 2 || pg == 4) FillPattern(p, kPs, pg, 17);
    Put(p, (pg == 2 || pg == 4) ? MPOOL_DIRTY : 0);
  }
  ASSERT_EQ(mpool_sync(mp_), 0);
  {
    std::lock_guard<std::mutex> g(Flt().mu);
    std::multiset<pgno_t> out(Flt().out_pgnos.begin(), Flt().out_pgnos.end());
    EXPECT_EQ(out, (std::multiset<pgno_t>{2, 4}));
  }
  const int writes = Flt().pgout.load();
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(Flt().pgout.load(), writes);
  EXPECT_EQ(FilePage(2), Pat(2, 17));
  EXPECT_EQ(FilePage(4), Pat(4, 17));
}

// mpool_sync writes pinned dirty pages too.
TEST_F(MpoolTest, SyncWritesPinnedDirtyPages) {
  MakePages(3);
  Open();
  void *p = Get(2);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 2, 18);
  Put(p, MPOOL_DIRTY);
  void *q = Get(2);  // pinned again, still dirty
  ASSERT_NE(q, nullptr);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(2), Pat(2, 18));
  EXPECT_EQ(Mem(q), Pat(2, 18));
  Put(q);
}

// A pinned dirty page held by a second pin while the first is put DIRTY.
TEST_F(MpoolTest, SyncWritesPageDirtiedWhilePinnedTwice) {
  MakePages(3);
  Open();
  void *a = Get(0);
  void *b = Get(0);
  ASSERT_TRUE(a && b);
  FillPattern(a, kPs, 0, 19);
  Put(a, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(0), Pat(0, 19));
  Put(b);
}

// New pages written by sync land at their place and grow the file.
TEST_F(MpoolTest, SyncWritesNewPages) {
  Open();
  for (pgno_t want = 0; want < 3; want++) {
    pgno_t pg = 0;
    void *p = New(&pg);
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(pg, want);
    FillPattern(p, kPs, pg, 20);
    Put(p, MPOOL_DIRTY);
  }
  EXPECT_EQ(FileSize(path_), 0);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FileSize(path_), 3LL * kPs);
  for (pgno_t pg = 0; pg < 3; pg++) EXPECT_EQ(FilePage(pg), Pat(pg, 20));
}

TEST_F(MpoolTest, SyncOfCleanPoolReturnsZero) {
  MakePages(2);
  Open();
  EXPECT_EQ(mpool_sync(mp_), 0);
  Touch(0);
  EXPECT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(0), Pat(0));
}

// "mpool_sync() ... may fail and set errno for any of the errors specified
// for the library routine write(2)": a read-only fd gives EBADF.
TEST_F(MpoolTest, SyncWriteErrorReturnsMinusOne) {
  MakePages(2);
  OpenFd(O_RDONLY);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 1, 22);
  errno = 0;
  EXPECT_EQ(mpool_put(mp_, p, MPOOL_DIRTY), 0)
      << "a dirty put on a read-only fd: " << strerror(errno)
      << " (the write, and its error, belong to mpool_sync)";
  EXPECT_MINUS1_ERRNO(mpool_sync(mp_), EBADF);
  CloseMp();
  EXPECT_EQ(FilePage(1), Pat(1));
}

// "The mpool_get() function may fail and set errno for any of the errors
// specified for the library routine read(2)": a write-only fd gives EBADF.
TEST_F(MpoolTest, GetReadErrorFailsWithReadErrno) {
  MakePages(2);
  OpenFd(O_WRONLY);
  Open();
  EXPECT_NULL_ERRNO(mpool_get(mp_, 1, 0), EBADF);
  // New pages need no read.
  pgno_t pg = 0;
  void *p = New(&pg);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(pg, 2u);
  Put(p);
}

// "Modified pages are not written to the backing file."
TEST_F(MpoolTest, CloseWritesNothing) {
  MakePages(3);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 1, 23);
  Put(p, MPOOL_DIRTY);
  CloseMp();
  EXPECT_EQ(FilePage(1), Pat(1));
  EXPECT_EQ(FileSize(path_), 3LL * kPs);
}

// A new page, dirty and never written: close leaves the size unchanged.
TEST_F(MpoolTest, CloseDoesNotWriteNewPages) {
  MakePages(2);
  Open();
  pgno_t pg = 0;
  void *p = New(&pg);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, pg, 24);
  Put(p, MPOOL_DIRTY);
  CloseMp();
  EXPECT_EQ(FileSize(path_), 2LL * kPs);
}

// "mpool_close() returns 0", and frees everything, pinned pages included
// (ASan's leak check runs on this suite).
TEST_F(MpoolTest, CloseReturnsZeroWithPinnedPages) {
  MakePages(4);
  Open(2);
  Filter();
  void *a = Get(0);
  void *b = Get(1, MPOOL_IGNOREPIN);
  pgno_t pg;
  void *c = New(&pg);
  void *d = Get(3);
  ASSERT_TRUE(a && b && c && d);
  Put(d, MPOOL_DIRTY);
  EXPECT_EQ(mpool_close(mp_), 0);
  mp_ = nullptr;
  EXPECT_EQ(FilePage(3), Pat(3));
}

TEST_F(MpoolTest, OpenCloseManyTimes) {
  MakePages(3);
  OpenFd();
  for (int i = 0; i < 50; i++) {
    MPOOL *mp = mpool_open(nullptr, fd_, kPs, static_cast<pgno_t>(i % 4));
    ASSERT_NE(mp, nullptr);
    void *p = mpool_get(mp, static_cast<pgno_t>(i % 3), 0);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(mpool_put(mp, p, 0), 0);
    EXPECT_EQ(mpool_close(mp), 0);
  }
}

// ======================================================================
// mpool_delete
// ======================================================================

// The page must be pinned: 0, and it leaves without being written.
TEST_F(MpoolTest, DeletePinnedPageDropsChanges) {
  MakePages(4);
  Open();
  void *p = Get(2);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 2, 25);
  EXPECT_EQ(mpool_delete(mp_, p), 0);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(2), Pat(2));
}

// Dirty changes already put are lost, too.
TEST_F(MpoolTest, DeleteDropsEarlierDirtyPut) {
  MakePages(4);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 1, 26);
  Put(p, MPOOL_DIRTY);
  void *q = Get(1);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(mpool_delete(mp_, q), 0);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(1), Pat(1));
  // And eviction does not write it either.
  for (pgno_t pg = 0; pg < 4; pg++) Touch(pg);
  EXPECT_EQ(FilePage(1), Pat(1));
}

// The page number stays allocated: a get reads the file's bytes again.
TEST_F(MpoolTest, DeletedPageCanBeGotAgain) {
  MakePages(4);
  Open();
  Filter();
  void *p = Get(3);
  ASSERT_NE(p, nullptr);
  memset(p, 0x77, kPs);
  EXPECT_EQ(mpool_delete(mp_, p), 0);
  const int before = Flt().InCount(3);
  void *q = Get(3);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(Mem(q), Pat(3));
  EXPECT_EQ(Flt().InCount(3), before + 1);
  Put(q);
  EXPECT_NULL_ERRNO(mpool_get(mp_, 4, 0), EINVAL);
}

// FreeBSD: "the page must have been made by mpool_new()": a new page can
// be deleted; its number stays allocated (NEXT does not hand it out again)
// and reads as zero bytes.
TEST_F(MpoolTest, DeleteNewPage) {
  Open();
  pgno_t a = 0, b = 0;
  void *pa = New(&a);
  void *pb = New(&b);
  ASSERT_TRUE(pa && pb);
  ASSERT_EQ(a, 0u);
  ASSERT_EQ(b, 1u);
  FillPattern(pb, kPs, 1, 27);
  EXPECT_EQ(mpool_delete(mp_, pb), 0);
  Put(pa);
  pgno_t c = 0;
  void *pc = New(&c);
  ASSERT_NE(pc, nullptr);
  EXPECT_EQ(c, 2u);
  Put(pc);
  void *again = Get(1);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(AllZero(again, kPs));
  Put(again);
}

// Not pinned: -1/EINVAL.
TEST_F(MpoolTest, DeleteUnpinnedPageFailsEinval) {
  MakePages(3);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  Put(p);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, p), EINVAL);
  void *ip = Get(2, MPOOL_IGNOREPIN);
  ASSERT_NE(ip, nullptr);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, ip), EINVAL);
}

TEST_F(MpoolTest, DeleteForeignPointerFailsEinval) {
  MakePages(2);
  Open();
  void *p = Get(0);
  ASSERT_NE(p, nullptr);
  std::vector<uint8_t> buf(kPs);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, buf.data()), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, static_cast<char *>(p) + 1), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, nullptr), EINVAL);
  Put(p);
}

// Put after delete: -1/EINVAL.
TEST_F(MpoolTest, PutAfterDeleteFailsEinval) {
  MakePages(2);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(mpool_delete(mp_, p), 0);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, 0), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_put(mp_, p, MPOOL_DIRTY), EINVAL);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, p), EINVAL);
}

// The header: EBUSY if someone else also has the page pinned. A failed
// delete changes nothing: both pins stay.
TEST_F(MpoolTest, DeleteOfPageWithSecondPinFailsEbusy) {
  MakePages(2);
  Open();
  void *a = Get(1);
  void *b = Get(1);
  ASSERT_TRUE(a && b);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, a), EBUSY);
  Put(b);
  EXPECT_EQ(mpool_delete(mp_, a), 0) << "the EBUSY delete dropped its pin";
}

// A failed (EBUSY) delete does not drop the page's dirty mark: the other
// pinner's changes are still written.
TEST_F(MpoolTest, DeleteFailedWithEbusyKeepsDirtyMark) {
  MakePages(2);
  Open();
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 1, 28);
  Put(p, MPOOL_DIRTY);
  void *a = Get(1);
  void *b = Get(1);
  ASSERT_TRUE(a && b);
  EXPECT_MINUS1_ERRNO(mpool_delete(mp_, a), EBUSY);
  Put(b);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(1), Pat(1, 28)) << "the dirty change was lost";
}

// ======================================================================
// mpool_filter
// ======================================================================

// "pgin ... is called each time a buffer is read into the memory pool from
// the backing file", with the cookie, the page number and the page; its
// changes are what mpool_get returns.
TEST_F(MpoolTest, FilterPginRunsAfterEveryRead) {
  MakePages(6);
  Open(2);
  Filter(/*xor_in=*/true);
  for (pgno_t pg = 0; pg < 6; pg++) {
    void *p = Get(pg);
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(Mem(p), XorA5(Pat(pg)));
    EXPECT_GE(Flt().InCount(pg), 1);
    Put(p);
  }
  // Read again after eviction: pgin again, from the file's bytes.
  const int before = Flt().InCount(0);
  void *p = Get(0);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Mem(p), XorA5(Pat(0)));
  EXPECT_EQ(Flt().InCount(0), before + 1);
  {
    std::lock_guard<std::mutex> g(Flt().mu);
    ASSERT_FALSE(Flt().in_addrs.empty());
    EXPECT_EQ(Flt().in_addrs.back(), p);
  }
  Put(p);
  EXPECT_EQ(Flt().bad_cookie.load(), 0);
}

// A page got again while it is cached is not read (nor filtered) again.
TEST_F(MpoolTest, FilterPginNotRerunOnCacheHit) {
  MakePages(2);
  Open(8);
  Filter(true);
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  void *q = Get(1);
  EXPECT_EQ(p, q);
  EXPECT_EQ(Flt().InCount(1), 1);
  EXPECT_EQ(Mem(q), XorA5(Pat(1)));
  Put(p);
  Put(q);
}

// New pages are not read: no pgin.
TEST_F(MpoolTest, FilterPginNotCalledForNewPages) {
  Open(4);
  Filter(true);
  for (int i = 0; i < 3; i++) {
    pgno_t pg;
    void *p = New(&pg);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(AllZero(p, kPs));
    Put(p);
  }
  pgno_t req = 5;
  void *r = New(&req, MPOOL_PAGE_REQUEST);
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(AllZero(r, kPs));
  Put(r);
  EXPECT_EQ(Flt().pgin.load(), 0);
}

// "pgout ... is called each time a buffer is written into the backing
// file", before the write, with the cookie and the page number.
TEST_F(MpoolTest, FilterPgoutRunsBeforeEveryWrite) {
  MakePages(8);
  Open(2);
  Filter();
  void *p = Get(0);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 0, 30);
  Put(p, MPOOL_DIRTY);
  for (pgno_t pg = 1; pg < 8; pg++) Touch(pg);  // evicts page 0
  EXPECT_EQ(Flt().OutCount(0), 1);
  void *q = Get(5);
  ASSERT_NE(q, nullptr);
  FillPattern(q, kPs, 5, 31);
  Put(q, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(Flt().OutCount(5), 1);
  EXPECT_EQ(Flt().pgout.load(), 2);
  {
    std::lock_guard<std::mutex> g(Flt().mu);
    ASSERT_EQ(Flt().out_bytes.size(), 2u);
    EXPECT_EQ(Flt().out_bytes[0], Pat(0, 30));
    EXPECT_EQ(Flt().out_bytes[1], Pat(5, 31));
  }
  EXPECT_EQ(Flt().bad_cookie.load(), 0);
}

// The cookie passed is exactly the one given; a second mpool_filter
// replaces the first.
TEST_F(MpoolTest, FilterCookieIsPassedExactly) {
  MakePages(3);
  Open(8);
  int other_cookie = 0;
  Flt().cookie = &other_cookie;
  mpool_filter(mp_, FltIn, FltOut, &other_cookie);
  void *p = Get(0);
  ASSERT_NE(p, nullptr);
  Put(p, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(Flt().pgin.load(), 1);
  EXPECT_EQ(Flt().pgout.load(), 1);
  EXPECT_EQ(Flt().bad_cookie.load(), 0);
  Flt().cookie = &cookie_;
  mpool_filter(mp_, FltIn, FltOut, &cookie_);
  void *q = Get(1);
  ASSERT_NE(q, nullptr);
  Put(q, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(Flt().pgin.load(), 2);
  EXPECT_EQ(Flt().pgout.load(), 2);
  EXPECT_EQ(Flt().bad_cookie.load(), 0);
}

// NULL functions are allowed: no filtering.
TEST_F(MpoolTest, FilterNullFunctionsMeanNoFilter) {
  MakePages(2);
  Open();
  mpool_filter(mp_, nullptr, nullptr, nullptr);
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(Mem(p), Pat(1));
  FillPattern(p, kPs, 1, 32);
  Put(p, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(1), Pat(1, 32));
  // pgin only.
  Flt().cookie = nullptr;
  mpool_filter(mp_, FltIn, nullptr, nullptr);
  void *q = Get(1);
  ASSERT_NE(q, nullptr);
  FillPattern(q, kPs, 1, 33);
  Put(q, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(FilePage(1), Pat(1, 33));
  EXPECT_EQ(Flt().bad_cookie.load(), 0);
}

// A pgout that transforms the page in place: the file gets the transformed
// bytes, the cached page keeps its in-memory form (the pool wrote a copy),
// and a matching pgin reads the original back.
TEST_F(MpoolTest, FilterPgoutTransformsACopy) {
  MakePages(4);
  Open(8);
  Filter(/*xor_in=*/false, /*xor_out=*/true);
  // A pinned page across the sync: it cannot have been read back.
  void *p = Get(1);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 1, 34);
  Put(p, MPOOL_DIRTY);
  void *pinned = Get(1);
  ASSERT_EQ(pinned, p);
  ASSERT_EQ(mpool_sync(mp_), 0);
  EXPECT_EQ(Mem(pinned), Pat(1, 34));
  EXPECT_EQ(FilePage(1), XorA5(Pat(1, 34)));
  Put(pinned);
  // An unpinned page: with the matching pgin on, whether it stayed cached
  // or was read again, it reads as the original.
  Flt().xor_in = true;
  void *q = Get(2);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(Mem(q), XorA5(Pat(2)));  // read through the XOR pgin
  FillPattern(q, kPs, 2, 35);
  Put(q, MPOOL_DIRTY);
  ASSERT_EQ(mpool_sync(mp_), 0);
  void *q2 = Get(2);
  ASSERT_NE(q2, nullptr);
  EXPECT_EQ(Mem(q2), Pat(2, 35));
  Put(q2);
  EXPECT_EQ(FilePage(2), XorA5(Pat(2, 35)));
  CloseMp();
  // Reopen with the matching pgin: the originals.
  Open(8);
  Filter(/*xor_in=*/true, /*xor_out=*/true);
  void *r1 = Get(1);
  void *r2 = Get(2);
  ASSERT_TRUE(r1 && r2);
  EXPECT_EQ(Mem(r1), Pat(1, 34));
  EXPECT_EQ(Mem(r2), Pat(2, 35));
  Put(r1);
  Put(r2);
  EXPECT_EQ(Flt().bad_cookie.load(), 0);
}

// The same through eviction: the evicted page's file bytes are transformed
// and it reads back right.
TEST_F(MpoolTest, FilterPgoutAtEvictionAndPginBack) {
  MakePages(8);
  Open(2);
  Filter(/*xor_in=*/true, /*xor_out=*/true);
  // With xor_in on, the pool's view of every existing page is XOR(file).
  void *p = Get(0);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 0, 36);
  Put(p, MPOOL_DIRTY);
  for (pgno_t pg = 1; pg < 8; pg++) Touch(pg);
  EXPECT_EQ(FilePage(0), XorA5(Pat(0, 36)));
  void *q = Get(0);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(Mem(q), Pat(0, 36));
  Put(q);
}

// ======================================================================
// Threads: one MPOOL used by several threads at once.
// ======================================================================

void WriteVersioned(void *page, size_t ps, pgno_t pgno, uint32_t version) {
  PutU32(page, 0, pgno);
  PutU32(page, 4, version);
  uint8_t *b = static_cast<uint8_t *>(page);
  for (size_t i = 8; i < ps; i++)
    b[i] = static_cast<uint8_t>(pgno * 31u + version * 7u + i);
}

bool CheckVersioned(const void *page, size_t ps, pgno_t pgno,
                    uint32_t version) {
  if (GetU32(page, 0) != pgno || GetU32(page, 4) != version) return false;
  const uint8_t *b = static_cast<const uint8_t *>(page);
  for (size_t i = 8; i < ps; i++)
    if (b[i] != static_cast<uint8_t>(pgno * 31u + version * 7u + i))
      return false;
  return true;
}

// Disjoint pages per thread, more pages than maxcache.
TEST_F(MpoolTest, ThreadsOnDisjointPages) {
  constexpr pgno_t kN = 64, kPsT = 1024;
  constexpr int kThreads = 4, kRounds = 15;
  {
    std::vector<uint8_t> all(kN * kPsT);
    for (pgno_t pg = 0; pg < kN; pg++)
      WriteVersioned(&all[pg * kPsT], kPsT, pg, 0);
    ASSERT_TRUE(WriteAll(path_, all.data(), all.size()));
  }
  Open(8, kPsT);
  std::atomic<int> errors{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++)
    ts.emplace_back([&, t] {
      for (int r = 0; r < kRounds; r++)
        for (pgno_t pg = static_cast<pgno_t>(t); pg < kN; pg += kThreads) {
          void *p = mpool_get(mp_, pg, 0);
          if (p == nullptr) {
            errors++;
            continue;
          }
          if (!CheckVersioned(p, kPsT, pg, static_cast<uint32_t>(r))) errors++;
          WriteVersioned(p, kPsT, pg, static_cast<uint32_t>(r + 1));
          if (mpool_put(mp_, p, MPOOL_DIRTY) != 0) errors++;
        }
    });
  for (auto &th : ts) th.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(mpool_sync(mp_), 0);
  CloseMp();
  for (pgno_t pg = 0; pg < kN; pg++) {
    std::vector<uint8_t> v = ReadPage(path_, pg, kPsT);
    ASSERT_EQ(v.size(), kPsT);
    EXPECT_TRUE(CheckVersioned(v.data(), kPsT, pg, kRounds)) << "page " << pg;
  }
}

// Shared pages, each guarded by a std::mutex around content access:
// counters in every page add up.
TEST_F(MpoolTest, ThreadsOnSharedPagesWithMutex) {
  constexpr pgno_t kN = 24, kPsT = 512;
  constexpr int kThreads = 4, kOps = 600;
  {
    std::vector<uint8_t> all(kN * kPsT, 0);
    for (pgno_t pg = 0; pg < kN; pg++) PutU32(&all[pg * kPsT], 0, pg);
    ASSERT_TRUE(WriteAll(path_, all.data(), all.size()));
  }
  Open(4, kPsT);
  std::vector<std::mutex> mu(kN);
  std::atomic<int> errors{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++)
    ts.emplace_back([&, t] {
      uint32_t x = 0x9E3779B9u * static_cast<uint32_t>(t + 1);
      for (int i = 0; i < kOps; i++) {
        x = x * 1664525u + 1013904223u;
        const pgno_t pg = (x >> 8) % kN;
        std::lock_guard<std::mutex> g(mu[pg]);
        void *p = mpool_get(mp_, pg, 0);
        if (p == nullptr) {
          errors++;
          continue;
        }
        if (GetU32(p, 0) != pg) errors++;
        PutU32(p, 4, GetU32(p, 4) + 1);
        if (mpool_put(mp_, p, MPOOL_DIRTY) != 0) errors++;
      }
    });
  for (auto &th : ts) th.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(mpool_sync(mp_), 0);
  CloseMp();
  uint64_t total = 0;
  for (pgno_t pg = 0; pg < kN; pg++) {
    std::vector<uint8_t> v = ReadPage(path_, pg, kPsT);
    ASSERT_EQ(v.size(), kPsT);
    EXPECT_EQ(GetU32(v.data(), 0), pg);
    total += GetU32(v.data(), 4);
  }
  EXPECT_EQ(total, static_cast<uint64_t>(kThreads) * kOps);
}

// Several threads each holding many pages pinned at the same time, far
// past maxcache; every page keeps its content until put.
TEST_F(MpoolTest, ThreadsPinManyPagesPastMaxcache) {
  constexpr pgno_t kN = 96, kPsT = 512;
  constexpr int kThreads = 4, kEach = 24, kRounds = 5;
  {
    std::vector<uint8_t> all(kN * kPsT);
    for (pgno_t pg = 0; pg < kN; pg++)
      WriteVersioned(&all[pg * kPsT], kPsT, pg, 0);
    ASSERT_TRUE(WriteAll(path_, all.data(), all.size()));
  }
  Open(5, kPsT);
  std::atomic<int> errors{0};
  std::atomic<int> arrived{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++)
    ts.emplace_back([&, t] {
      for (int r = 0; r < kRounds; r++) {
        std::vector<void *> pins;
        for (int i = 0; i < kEach; i++) {
          const pgno_t pg = static_cast<pgno_t>(t * kEach + i);
          void *p = mpool_get(mp_, pg, 0);
          if (p == nullptr) {
            errors++;
            break;
          }
          pins.push_back(p);
        }
        // Everybody holds its pins at once (about 96 pages, maxcache 5).
        arrived++;
        while (arrived.load() < kThreads * (r + 1) && errors.load() == 0)
          std::this_thread::yield();
        for (size_t i = 0; i < pins.size(); i++) {
          const pgno_t pg = static_cast<pgno_t>(t * kEach + i);
          if (!CheckVersioned(pins[i], kPsT, pg, static_cast<uint32_t>(r)))
            errors++;
          WriteVersioned(pins[i], kPsT, pg, static_cast<uint32_t>(r + 1));
          if (mpool_put(mp_, pins[i], MPOOL_DIRTY) != 0) errors++;
        }
      }
    });
  for (auto &th : ts) th.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_EQ(mpool_sync(mp_), 0);
  CloseMp();
  for (pgno_t pg = 0; pg < kN; pg++) {
    std::vector<uint8_t> v = ReadPage(path_, pg, kPsT);
    ASSERT_EQ(v.size(), kPsT);
    EXPECT_TRUE(CheckVersioned(v.data(), kPsT, pg, kRounds)) << "page " << pg;
  }
}

// Concurrent mpool_new(NEXT): every thread gets distinct page numbers, and
// together they are 0 .. N-1.
TEST_F(MpoolTest, ThreadsNewPagesGetDistinctNumbers) {
  constexpr int kThreads = 4, kEach = 40;
  Open(8, 512);
  std::vector<std::vector<pgno_t>> got(kThreads);
  std::atomic<int> errors{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < kThreads; t++)
    ts.emplace_back([&, t] {
      for (int i = 0; i < kEach; i++) {
        pgno_t pg = 0;
        void *p = mpool_new(mp_, &pg, MPOOL_PAGE_NEXT);
        if (p == nullptr || !AllZero(p, 512)) {
          errors++;
          continue;
        }
        PutU32(p, 0, pg);
        got[t].push_back(pg);
        if (mpool_put(mp_, p, MPOOL_DIRTY) != 0) errors++;
      }
    });
  for (auto &th : ts) th.join();
  EXPECT_EQ(errors.load(), 0);
  std::set<pgno_t> all;
  for (auto &v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  if (!all.empty()) {
    EXPECT_EQ(*all.begin(), 0u);
    EXPECT_EQ(*all.rbegin(), static_cast<pgno_t>(kThreads * kEach - 1));
  }
  ASSERT_EQ(mpool_sync(mp_), 0);
  CloseMp();
  for (pgno_t pg : all) EXPECT_EQ(GetU32(FilePage(pg).data(), 0), pg);
}

}  // namespace
}  // namespace lfmtest
