// mpool(3) conformance, part 2: mpool_get, pins, mpool_put, MPOOL_DIRTY,
// mpool_sync and mpool_close
// (the fixture and helpers are in mpool_test_fixture.h). One TEST per
// sentence of the manual pages and per point of include/mpool.h, bad input
// included.

#include "mpool_test_fixture.h"

namespace lfmtest {
namespace {

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

// A btree split pins more new pages than maxcache at once. Once they are
// put and synced, the pool is back within maxcache: dirty puts of cached
// pages write nothing (a page reaches the file only when it is evicted or
// synced), however the pins were taken. Bursts of 5, 6 and 10 pins from
// mpool_new and of 10 from mpool_get, maxcache 4.
TEST_F(MpoolTest, PinsPastMaxcacheLeaveNoWriteThrough) {
  for (const bool from_new : {true, false}) {
    for (const pgno_t burst : {5u, 6u, 10u}) {
      if (!from_new && burst != 10) continue;
      SCOPED_TRACE(std::string(from_new ? "mpool_new" : "mpool_get") +
                   ", burst " + std::to_string(burst));
      if (mp_ != nullptr) CloseMp();
      if (fd_ >= 0) {
        ASSERT_EQ(::close(fd_), 0);
        fd_ = -1;
      }
      MakePages(from_new ? 0 : burst);  // (re)creates the file
      Open(4);
      Filter();
      std::vector<void *> pins;
      for (pgno_t i = 0; i < burst; i++) {
        pgno_t pg = 0;
        void *p = from_new ? New(&pg) : Get(i);
        ASSERT_NE(p, nullptr);
        FillPattern(p, ps_, i, 1);
        pins.push_back(p);
      }
      for (void *p : pins) Put(p, MPOOL_DIRTY);
      ASSERT_EQ(mpool_sync(mp_), 0);
      for (pgno_t pg = 0; pg < 3; pg++) Touch(pg);  // cached from here on
      const int written = Flt().pgout.load();
      for (int k = 0; k < 1000; k++) {
        void *p = Get(static_cast<pgno_t>(k % 3));
        ASSERT_NE(p, nullptr);
        FillPattern(p, ps_, static_cast<pgno_t>(k % 3), 2);
        Put(p, MPOOL_DIRTY);
      }
      EXPECT_EQ(Flt().pgout.load() - written, 0)
          << "dirty puts of cached pages were written through";
      for (pgno_t pg = 0; pg < 3; pg++)
        EXPECT_EQ(FilePage(pg), Pat(pg, 1))
            << "page " << pg << " written though never synced";
      ASSERT_EQ(mpool_sync(mp_), 0);
      for (pgno_t pg = 0; pg < 3; pg++) EXPECT_EQ(FilePage(pg), Pat(pg, 2));
    }
  }
}

// The pool grows at most 256 pages past maxcache (README "Limits"): with
// every page pinned, page 8 + 256 + 1 of a maxcache-8 pool is ENOMEM, and
// once one is put a new page fits again.
TEST_F(MpoolTest, GrowsAtMost256PagesPastMaxcache) {
  Open(8);
  std::vector<void *> pins;
  for (int i = 0; i < 8 + 256; i++) {
    pgno_t pg = 0;
    void *p = mpool_new(mp_, &pg, MPOOL_PAGE_NEXT);
    ASSERT_NE(p, nullptr) << "page " << i << ": errno " << errno;
    pins.push_back(p);
  }
  pgno_t pg = 0;
  errno = 0;
  EXPECT_EQ(mpool_new(mp_, &pg, MPOOL_PAGE_NEXT), nullptr);
  EXPECT_EQ(errno, ENOMEM);
  ASSERT_EQ(mpool_put(mp_, pins.back(), 0), 0);
  pins.pop_back();
  void *p = mpool_new(mp_, &pg, MPOOL_PAGE_NEXT);
  EXPECT_NE(p, nullptr) << "errno " << errno;
  if (p != nullptr) pins.push_back(p);
  for (void *q : pins) EXPECT_EQ(mpool_put(mp_, q, 0), 0);
}

// Page numbers end at 0xfffffffe, as for MPOOL_PAGE_NEXT: REQUEST of
// 0xffffffff is EFBIG and adds nothing; 0xfffffffe works (nothing is
// written: the put is clean), and NEXT after it is EFBIG.
TEST_F(MpoolTest, RequestPastTheLastPageNumberIsEfbig) {
  Open(4, 256);
  pgno_t pg = 0xffffffffu;
  errno = 0;
  EXPECT_EQ(mpool_new(mp_, &pg, MPOOL_PAGE_REQUEST), nullptr);
  EXPECT_EQ(errno, EFBIG);
  pgno_t next = 0;
  void *p = mpool_new(mp_, &next, MPOOL_PAGE_NEXT);
  ASSERT_NE(p, nullptr) << "errno " << errno;
  EXPECT_EQ(next, 0u) << "the failed REQUEST extended the file";
  ASSERT_EQ(mpool_put(mp_, p, 0), 0);
  pg = 0xfffffffeu;
  p = mpool_new(mp_, &pg, MPOOL_PAGE_REQUEST);
  ASSERT_NE(p, nullptr) << "errno " << errno;
  ASSERT_EQ(mpool_put(mp_, p, 0), 0);
  errno = 0;
  EXPECT_EQ(mpool_new(mp_, &next, MPOOL_PAGE_NEXT), nullptr);
  EXPECT_EQ(errno, EFBIG);
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

}  // namespace
}  // namespace lfmtest
