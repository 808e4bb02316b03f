// The asynchronous I/O queue (src/os/aio/aio.h) under both engines: bytes
// land where asked, a short read at end of file is reported short, each
// error reaches its own request, the depth is a hard bound, and close waits
// for every request in flight. The fault seam (fileio.h) reaches the
// threads engine.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "aio.h"
#include "fileio.h"
#include "gtest/gtest.h"

namespace {

constexpr size_t kPage = 4096;

// A request that records its result and signals the test.
struct Req {
  lfm__aio_req r;
  std::atomic<ssize_t> res{-999999};
  std::atomic<bool> done{false};
};

struct Waiter {
  std::mutex m;
  std::condition_variable cv;
  int finished = 0;
  // A gate done() may wait at (the depth test), and how many are there.
  bool gate_open = true;
  int at_gate = 0;
};

Waiter *g_waiter;

void OnDone(lfm__aio_req *r, ssize_t res) {
  Req *q = reinterpret_cast<Req *>(r->arg);
  q->res.store(res);
  std::unique_lock<std::mutex> l(g_waiter->m);
  g_waiter->at_gate++;
  g_waiter->cv.notify_all();
  g_waiter->cv.wait(l, [] { return g_waiter->gate_open; });
  g_waiter->at_gate--;
  g_waiter->finished++;
  q->done.store(true);
  g_waiter->cv.notify_all();
}

void Prep(Req *q, int fd, int write, void *buf, size_t len, uint64_t off) {
  memset(&q->r, 0, sizeof(q->r));
  q->r.fd = fd;
  q->r.write = write;
  q->r.buf = buf;
  q->r.len = len;
  q->r.off = off;
  q->r.done = OnDone;
  q->r.arg = q;
}

// Submits one request, waiting for room if the queue is full.
void SubmitAll(lfm__aio *a, Req &q) {
  int rc;
  while ((rc = lfm__aio_submit(a, &q.r)) == EAGAIN) lfm__aio_wait_room(a);
  ASSERT_EQ(rc, 0);
}

// Submits, waiting for room whenever the queue is full.
void SubmitAll(lfm__aio *a, std::vector<Req> &reqs) {
  for (auto &q : reqs) {
    int rc;
    while ((rc = lfm__aio_submit(a, &q.r)) == EAGAIN) lfm__aio_wait_room(a);
    ASSERT_EQ(rc, 0);
  }
}

void WaitFinished(int n) {
  std::unique_lock<std::mutex> l(g_waiter->m);
  g_waiter->cv.wait(l, [n] { return g_waiter->finished >= n; });
}

class AioTest : public ::testing::TestWithParam<lfm__aio_kind> {
 protected:
  void SetUp() override {
    g_waiter = new Waiter;
    char path[] = "/tmp/lfm_aio_test.XXXXXX";
    fd_ = mkstemp(path);
    ASSERT_GE(fd_, 0);
    unlink(path);
    int rc = lfm__aio_open(16, GetParam(), &a_);
    ASSERT_EQ(rc, 0) << "engine " << lfm__aio_kind_name(GetParam());
    ASSERT_EQ(lfm__aio_kind_of(a_), GetParam());
  }
  void TearDown() override {
    if (a_ != nullptr) lfm__aio_close(a_);
    close(fd_);
    delete g_waiter;
  }
  // Page i holds bytes (i * 7 + j) & 0xff.
  void FillFile(uint32_t pages, size_t tail = 0) {
    std::vector<uint8_t> b(kPage);
    for (uint32_t i = 0; i <= pages; i++) {
      for (size_t j = 0; j < kPage; j++) b[j] = (uint8_t)(i * 7 + j);
      size_t len = i < pages ? kPage : tail;
      if (len > 0) {
        ASSERT_EQ(pwrite(fd_, b.data(), len, i * kPage), (ssize_t)len);
      }
    }
  }
  static bool PageIs(const uint8_t *p, uint32_t i, size_t len = kPage) {
    for (size_t j = 0; j < len; j++)
      if (p[j] != (uint8_t)(i * 7 + j)) return false;
    return true;
  }
  int fd_ = -1;
  lfm__aio *a_ = nullptr;
};

TEST_P(AioTest, ReadsLandWhereAsked) {
  const uint32_t n = 200;  // more than the depth: submit waits for room
  FillFile(n);
  std::vector<uint8_t> buf(n * kPage, 0);
  std::vector<Req> reqs(n);
  // Backwards, so no request is served by accident of order.
  for (uint32_t i = 0; i < n; i++)
    Prep(&reqs[i], fd_, 0, &buf[i * kPage], kPage,
         (uint64_t)(n - 1 - i) * kPage);
  SubmitAll(a_, reqs);
  WaitFinished(n);
  for (uint32_t i = 0; i < n; i++) {
    ASSERT_EQ(reqs[i].res.load(), (ssize_t)kPage) << "request " << i;
    ASSERT_TRUE(PageIs(&buf[i * kPage], n - 1 - i)) << "request " << i;
  }
}

TEST_P(AioTest, ReadAtEndOfFileIsShortAndPastItEmpty) {
  FillFile(3, kPage / 2);  // 3.5 pages
  std::vector<uint8_t> buf(2 * kPage, 0xee);
  std::vector<Req> reqs(2);
  Prep(&reqs[0], fd_, 0, &buf[0], kPage, 3 * kPage);
  Prep(&reqs[1], fd_, 0, &buf[kPage], kPage, 5 * kPage);
  SubmitAll(a_, reqs);
  WaitFinished(2);
  EXPECT_EQ(reqs[0].res.load(), (ssize_t)(kPage / 2));
  EXPECT_TRUE(PageIs(&buf[0], 3, kPage / 2));
  EXPECT_EQ(reqs[1].res.load(), 0);
}

TEST_P(AioTest, WritesLand) {
  const uint32_t n = 40;
  std::vector<uint8_t> buf(n * kPage);
  for (uint32_t i = 0; i < n; i++)
    for (size_t j = 0; j < kPage; j++)
      buf[i * kPage + j] = (uint8_t)(i * 7 + j);
  std::vector<Req> reqs(n);
  for (uint32_t i = 0; i < n; i++)
    Prep(&reqs[i], fd_, 1, &buf[i * kPage], kPage, (uint64_t)i * kPage);
  SubmitAll(a_, reqs);
  WaitFinished(n);
  std::vector<uint8_t> back(kPage);
  for (uint32_t i = 0; i < n; i++) {
    ASSERT_EQ(reqs[i].res.load(), (ssize_t)kPage);
    ASSERT_EQ(pread(fd_, back.data(), kPage, i * kPage), (ssize_t)kPage);
    ASSERT_TRUE(PageIs(back.data(), i)) << "page " << i;
  }
}

TEST_P(AioTest, AnErrorReachesItsOwnRequestOnly) {
  FillFile(4);
  int bad = dup(fd_);
  ASSERT_GE(bad, 0);
  close(bad);  // a descriptor number that names nothing now
  std::vector<uint8_t> buf(3 * kPage, 0);
  std::vector<Req> reqs(3);
  Prep(&reqs[0], fd_, 0, &buf[0], kPage, 1 * kPage);
  Prep(&reqs[1], bad, 0, &buf[kPage], kPage, 2 * kPage);
  Prep(&reqs[2], fd_, 0, &buf[2 * kPage], kPage, 3 * kPage);
  SubmitAll(a_, reqs);
  WaitFinished(3);
  EXPECT_EQ(reqs[0].res.load(), (ssize_t)kPage);
  EXPECT_EQ(reqs[1].res.load(), -EBADF);
  EXPECT_EQ(reqs[2].res.load(), (ssize_t)kPage);
  EXPECT_TRUE(PageIs(&buf[0], 1));
  EXPECT_TRUE(PageIs(&buf[2 * kPage], 3));
}

TEST_P(AioTest, AVectorReadFillsItsBuffersInOrderAndStopsShortAtTheEnd) {
  FillFile(5, kPage / 2);  // 5.5 pages
  std::vector<uint8_t> a(kPage), b(kPage), c(kPage, 0xee);
  struct iovec iov[3] = {
      {a.data(), kPage}, {b.data(), kPage}, {c.data(), kPage}};
  std::vector<Req> reqs(2);
  Prep(&reqs[0], fd_, 0, nullptr, 3 * kPage, 1 * kPage);  // pages 1..3
  reqs[0].r.iov = iov;
  reqs[0].r.iovcnt = 3;
  SubmitAll(a_, reqs[0]);
  WaitFinished(1);
  EXPECT_EQ(reqs[0].res.load(), (ssize_t)(3 * kPage));
  EXPECT_TRUE(PageIs(a.data(), 1));
  EXPECT_TRUE(PageIs(b.data(), 2));
  EXPECT_TRUE(PageIs(c.data(), 3));
  Prep(&reqs[1], fd_, 0, nullptr, 3 * kPage, 4 * kPage);  // 4, 5.5, none
  reqs[1].r.iov = iov;
  reqs[1].r.iovcnt = 3;
  SubmitAll(a_, reqs[1]);
  WaitFinished(2);
  EXPECT_EQ(reqs[1].res.load(), (ssize_t)(kPage + kPage / 2));
  EXPECT_TRUE(PageIs(a.data(), 4));
  EXPECT_TRUE(PageIs(b.data(), 5, kPage / 2));
}

TEST_P(AioTest, TheDepthIsAHardBound) {
  lfm__aio_close(a_);
  a_ = nullptr;
  ASSERT_EQ(lfm__aio_open(2, GetParam(), &a_), 0);
  FillFile(4);
  g_waiter->gate_open = false;  // done() waits: both stay in flight
  std::vector<uint8_t> buf(3 * kPage);
  std::vector<Req> reqs(3);
  for (int i = 0; i < 3; i++)
    Prep(&reqs[i], fd_, 0, &buf[i * kPage], kPage, i * kPage);
  ASSERT_EQ(lfm__aio_submit(a_, &reqs[0].r), 0);
  ASSERT_EQ(lfm__aio_submit(a_, &reqs[1].r), 0);
  {
    // The first completion is at the gate: it is still in flight.
    std::unique_lock<std::mutex> l(g_waiter->m);
    g_waiter->cv.wait(l, [] { return g_waiter->at_gate >= 1; });
  }
  EXPECT_EQ(lfm__aio_inflight(a_), 2u);
  EXPECT_EQ(lfm__aio_submit(a_, &reqs[2].r), EAGAIN);
  EXPECT_FALSE(reqs[2].done.load());
  {
    std::lock_guard<std::mutex> l(g_waiter->m);
    g_waiter->gate_open = true;
    g_waiter->cv.notify_all();
  }
  lfm__aio_wait_room(a_);
  ASSERT_EQ(lfm__aio_submit(a_, &reqs[2].r), 0);
  WaitFinished(3);
  for (int i = 0; i < 3; i++) {
    EXPECT_EQ(reqs[i].res.load(), (ssize_t)kPage);
    EXPECT_TRUE(PageIs(&buf[i * kPage], i));
  }
}

TEST_P(AioTest, CloseWaitsForEveryRequestInFlight) {
  const uint32_t n = 64;
  FillFile(n);
  std::vector<uint8_t> buf(n * kPage);
  std::vector<Req> reqs(n);
  for (uint32_t i = 0; i < n; i++)
    Prep(&reqs[i], fd_, 0, &buf[i * kPage], kPage, i * kPage);
  SubmitAll(a_, reqs);
  lfm__aio_close(a_);
  a_ = nullptr;
  // No wait here: close returned, so every done has been called.
  for (uint32_t i = 0; i < n; i++) {
    ASSERT_TRUE(reqs[i].done.load()) << "request " << i;
    ASSERT_EQ(reqs[i].res.load(), (ssize_t)kPage);
  }
}

TEST_P(AioTest, BadRequestsAreEinvalAndNotStarted) {
  Req q;
  Prep(&q, fd_, 0, nullptr, kPage, 0);
  EXPECT_EQ(lfm__aio_submit(a_, &q.r), EINVAL);
  Prep(&q, fd_, 0, &q, 8, 0);
  q.r.done = nullptr;
  EXPECT_EQ(lfm__aio_submit(a_, &q.r), EINVAL);
  EXPECT_EQ(lfm__aio_inflight(a_), 0u);
  EXPECT_FALSE(q.done.load());
}

// A queue opened with a room for writes (lfm__aio_open_rw): reads and
// writes are bounded apart, so a full read room still takes writes and a
// full write room refuses writes only; each count is its own.
TEST_P(AioTest, WritesHaveARoomOfTheirOwn) {
  lfm__aio_close(a_);
  a_ = nullptr;
  ASSERT_EQ(lfm__aio_open_rw(2, 2, GetParam(), &a_), 0);
  FillFile(4);
  g_waiter->gate_open = false;  // done() waits: all stay in flight
  std::vector<uint8_t> buf(3 * kPage);
  std::vector<uint8_t> out(3 * kPage);
  for (uint32_t i = 0; i < 3; i++)
    for (size_t j = 0; j < kPage; j++)
      out[i * kPage + j] = (uint8_t)((10 + i) * 7 + j);
  std::vector<Req> reads(3), writes(3);
  for (int i = 0; i < 3; i++) {
    Prep(&reads[i], fd_, 0, &buf[i * kPage], kPage, i * kPage);
    Prep(&writes[i], fd_, 1, &out[i * kPage], kPage, (10 + i) * kPage);
  }
  ASSERT_EQ(lfm__aio_submit(a_, &reads[0].r), 0);
  ASSERT_EQ(lfm__aio_submit(a_, &reads[1].r), 0);
  EXPECT_EQ(lfm__aio_submit(a_, &reads[2].r), EAGAIN);
  ASSERT_EQ(lfm__aio_submit(a_, &writes[0].r), 0);  // the reads' room is full
  ASSERT_EQ(lfm__aio_submit(a_, &writes[1].r), 0);
  {
    std::unique_lock<std::mutex> l(g_waiter->m);
    g_waiter->cv.wait(l, [] { return g_waiter->at_gate >= 1; });
  }
  EXPECT_EQ(lfm__aio_submit(a_, &writes[2].r), EAGAIN);
  EXPECT_EQ(lfm__aio_inflight(a_), 2u);
  EXPECT_EQ(lfm__aio_inflight_writes(a_), 2u);
  EXPECT_FALSE(writes[2].done.load());
  {
    std::lock_guard<std::mutex> l(g_waiter->m);
    g_waiter->gate_open = true;
    g_waiter->cv.notify_all();
  }
  lfm__aio_wait_write_room(a_, 1);
  ASSERT_EQ(lfm__aio_submit(a_, &writes[2].r), 0);
  lfm__aio_wait_room(a_);
  ASSERT_EQ(lfm__aio_submit(a_, &reads[2].r), 0);
  WaitFinished(6);
  // More places than the room has: taken as the whole room, not forever.
  lfm__aio_wait_write_room(a_, 1000);
  EXPECT_EQ(lfm__aio_inflight_writes(a_), 0u);
  std::vector<uint8_t> back(kPage);
  for (uint32_t i = 0; i < 3; i++) {
    EXPECT_EQ(reads[i].res.load(), (ssize_t)kPage);
    EXPECT_TRUE(PageIs(&buf[i * kPage], i));
    EXPECT_EQ(writes[i].res.load(), (ssize_t)kPage);
    ASSERT_EQ(pread(fd_, back.data(), kPage, (10 + i) * kPage), (ssize_t)kPage);
    EXPECT_TRUE(PageIs(back.data(), 10 + i)) << "page " << 10 + i;
  }
}

// Requests submitted with `more` go out with the next request without it,
// with lfm__aio_push, or when a drain waits for them: none is left behind.
TEST_P(AioTest, HeldBackRequestsGoWithTheBatch) {
  const uint32_t n = 12;
  FillFile(n);
  std::vector<uint8_t> buf(n * kPage, 0);
  std::vector<Req> reqs(n);
  for (uint32_t i = 0; i < n; i++) {
    Prep(&reqs[i], fd_, 0, &buf[i * kPage], kPage, (uint64_t)i * kPage);
    reqs[i].r.more = 1;
  }
  // 0..3 held, 4 sends them all.
  reqs[4].r.more = 0;
  for (uint32_t i = 0; i < 5; i++) SubmitAll(a_, reqs[i]);
  WaitFinished(5);
  // 5..7 held, then pushed.
  for (uint32_t i = 5; i < 8; i++) SubmitAll(a_, reqs[i]);
  lfm__aio_push(a_);
  WaitFinished(8);
  // 8..11 held; the drain sends them before it waits.
  for (uint32_t i = 8; i < n; i++) SubmitAll(a_, reqs[i]);
  lfm__aio_drain(a_);
  for (uint32_t i = 0; i < n; i++) {
    ASSERT_TRUE(reqs[i].done.load()) << "request " << i;
    EXPECT_EQ(reqs[i].res.load(), (ssize_t)kPage) << "request " << i;
    EXPECT_TRUE(PageIs(&buf[i * kPage], i)) << "request " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, AioTest,
                         ::testing::Values(LFM_AIO_URING, LFM_AIO_THREADS),
                         [](const ::testing::TestParamInfo<lfm__aio_kind> &i) {
                           return std::string(lfm__aio_kind_name(i.param)) ==
                                          "io_uring"
                                      ? std::string("IoUring")
                                      : std::string("Threads");
                         });

// io_uring_enter refused (the kernel's memory, or completions not yet
// taken): the entries prepared are sent once it accepts, and a submit that
// returned 0 is done exactly once. Before, a refused send was reported as
// the submit's failure while its entry stayed in the ring, to be sent with
// the next batch: the request then completed after its caller had been
// told it never started.
class AioRefusedTest : public AioTest {};

TEST_P(AioRefusedTest, ARefusedSendIsWaitedOutNotReportedAsFailed) {
  const uint32_t n = 10;
  FillFile(n);
  std::vector<uint8_t> buf(n * kPage, 0);
  std::vector<Req> reqs(n);
  for (uint32_t i = 0; i < n; i++)
    Prep(&reqs[i], fd_, 0, &buf[i * kPage], kPage, (uint64_t)i * kPage);
  // Sent one by one, the first three sends refused.
  lfm__aio_uring_refuse_sends(3, EAGAIN);
  for (uint32_t i = 0; i < 5; i++)
    ASSERT_EQ(lfm__aio_submit(a_, &reqs[i].r), 0) << "request " << i;
  WaitFinished(5);
  EXPECT_EQ(lfm__aio_uring_refuse_sends(0, 0), 0) << "refusals not made";
  // A batch held back, its push refused twice.
  for (uint32_t i = 5; i < n; i++) {
    reqs[i].r.more = 1;
    ASSERT_EQ(lfm__aio_submit(a_, &reqs[i].r), 0) << "request " << i;
  }
  lfm__aio_uring_refuse_sends(2, EBUSY);
  lfm__aio_push(a_);
  lfm__aio_drain(a_);
  EXPECT_EQ(lfm__aio_uring_refuse_sends(0, 0), 0) << "refusals not made";
  {
    std::unique_lock<std::mutex> l(g_waiter->m);
    EXPECT_EQ(g_waiter->finished, (int)n) << "a request done twice";
  }
  for (uint32_t i = 0; i < n; i++) {
    ASSERT_TRUE(reqs[i].done.load()) << "request " << i;
    EXPECT_EQ(reqs[i].res.load(), (ssize_t)kPage) << "request " << i;
    EXPECT_TRUE(PageIs(&buf[i * kPage], i)) << "request " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(IoUring, AioRefusedTest,
                         ::testing::Values(LFM_AIO_URING));

TEST(AioOpen, DepthOutOfRangeIsEinval) {
  lfm__aio *a = nullptr;
  EXPECT_EQ(lfm__aio_open(0, LFM_AIO_ANY, &a), EINVAL);
  EXPECT_EQ(lfm__aio_open(5000, LFM_AIO_ANY, &a), EINVAL);
  EXPECT_EQ(lfm__aio_open(4, (lfm__aio_kind)7, &a), EINVAL);
  EXPECT_EQ(lfm__aio_open_rw(0, 4, LFM_AIO_ANY, &a), EINVAL);
  EXPECT_EQ(lfm__aio_open_rw(4, 5000, LFM_AIO_ANY, &a), EINVAL);
  EXPECT_EQ(a, nullptr);
}

// The fault seam reaches the threads engine: an injected EIO is the
// result of the read at that offset only, and a device that moves half of
// what is asked each call still fills the whole page.
std::atomic<uint64_t> g_fail_off{UINT64_MAX};
std::atomic<int> g_halves{0};

ssize_t FaultPread(int fd, void *buf, size_t len, off_t off) {
  if ((uint64_t)off == g_fail_off.load()) {
    errno = EIO;
    return -1;
  }
  if (len > 1) {
    g_halves++;
    len /= 2;
  }
  return lfm__fileio_sys.pread(fd, buf, len, off);
}

TEST(AioFaults, ThreadsEngineSeesTheSeam) {
  g_waiter = new Waiter;
  char path[] = "/tmp/lfm_aio_fault.XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  unlink(path);
  std::vector<uint8_t> b(kPage);
  for (uint32_t i = 0; i < 3; i++) {
    for (size_t j = 0; j < kPage; j++) b[j] = (uint8_t)(i * 7 + j);
    ASSERT_EQ(pwrite(fd, b.data(), kPage, i * kPage), (ssize_t)kPage);
  }
  struct lfm__fileio table = lfm__fileio_sys;
  table.pread = FaultPread;
  g_fail_off = kPage;
  lfm__fileio_set(&table);
  lfm__aio *a = nullptr;
  ASSERT_EQ(lfm__aio_open(4, LFM_AIO_THREADS, &a), 0);
  std::vector<uint8_t> buf(3 * kPage, 0);
  std::vector<Req> reqs(3);
  for (uint32_t i = 0; i < 3; i++)
    Prep(&reqs[i], fd, 0, &buf[i * kPage], kPage, i * kPage);
  SubmitAll(a, reqs);
  lfm__aio_close(a);
  lfm__fileio_set(nullptr);
  EXPECT_EQ(reqs[0].res.load(), (ssize_t)kPage);
  EXPECT_EQ(reqs[1].res.load(), -EIO);
  EXPECT_EQ(reqs[2].res.load(), (ssize_t)kPage);
  EXPECT_GT(g_halves.load(), 2);  // the halves were continued
  for (uint32_t i : {0u, 2u})
    for (size_t j = 0; j < kPage; j++)
      ASSERT_EQ(buf[i * kPage + j], (uint8_t)(i * 7 + j)) << i << "," << j;
  close(fd);
  delete g_waiter;
}

}  // namespace
