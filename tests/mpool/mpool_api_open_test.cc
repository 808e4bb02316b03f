// mpool(3) conformance, part 1: mpool_open, the descriptor, mpool_new
// (the fixture and helpers are in mpool_test_fixture.h). One TEST per
// sentence of the manual pages and per point of include/mpool.h, bad input
// included.

#include "mpool_test_fixture.h"

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

// "When the key's pool already holds a file, fd is ignored and that file is
// used": fd -1 (or a pipe) then opens the key's pool, which shows the first
// MPOOL's unwritten change; with a key whose pool holds no file, fd is used
// and -1 is still EBADF (and leaves no region behind).
TEST_F(MpoolTest, OpenWithKeyIgnoresFdWhenThePoolHoldsAFile) {
  MakePages(4);
  struct Env {  // TMPDIR for the scope: the keys' regions go there
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
  char key[] = "fd-ignored", other[] = "no-file-yet";
  OpenFd();
  mp_ = mpool_open(key, fd_, kPs, 8);
  ASSERT_NE(mp_, nullptr) << strerror(errno);
  void *p = Get(2);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPs, 2, 5);
  Put(p, MPOOL_DIRTY);

  MPOOL *again = mpool_open(key, -1, kPs, 8);
  ASSERT_NE(again, nullptr)
      << "fd -1 with a key whose pool holds a file: " << strerror(errno);
  void *q = mpool_get(again, 2, 0);
  ASSERT_NE(q, nullptr) << strerror(errno);
  EXPECT_EQ(Mem(q), Pat(2, 5)) << "not the key's pool";
  EXPECT_EQ(mpool_put(again, q, 0), 0);
  EXPECT_EQ(mpool_close(again), 0);
  int pp[2];
  ASSERT_EQ(pipe(pp), 0);
  again = mpool_open(key, pp[0], kPs, 8);
  EXPECT_NE(again, nullptr)
      << "a pipe with a key whose pool holds a file: " << strerror(errno);
  if (again != nullptr) {
    EXPECT_EQ(mpool_close(again), 0);
  }
  ::close(pp[0]);
  ::close(pp[1]);

  EXPECT_NULL_ERRNO(mpool_open(other, -1, kPs, 8), EBADF);
  int n = 0;
  DIR *d = opendir(dir_.path().c_str());
  while (struct dirent *e = d != nullptr ? readdir(d) : nullptr)
    n += strncmp(e->d_name, "__lfm_mpool.key.", 16) == 0;
  if (d != nullptr) closedir(d);
  EXPECT_EQ(n, 1) << "only the first key's region should exist";
  CloseMp();
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

}  // namespace
}  // namespace lfmtest
