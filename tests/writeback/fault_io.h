// A fault-injecting file I/O table for the write-back tests, installed with
// lfm__fileio_set (src/os/fileio.h) and delegating to lfm__fileio_sys.
//
// One process-wide instance (FaultIo::Get()). Every knob and counter is an
// atomic, so the hooks may run in any thread (flushers included); the
// optional per-write checker runs under a mutex. Install before the pool's
// I/O, Uninstall (lfm__fileio_set(NULL)) only after memp_close, so no pool
// thread can still be inside a hook.
#ifndef LFMPOOL_TESTS_FAULT_IO_H
#define LFMPOOL_TESTS_FAULT_IO_H

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fileio.h"

namespace lfmtest {

// Short-write modes.
enum ShortMode {
  kShortNone = 0,
  kShortHalf = 1,  // write half of what was asked (at least one byte)
  kShortOne = 2,   // write one byte
  kShortZero = 3,  // write nothing and return 0
};

// Takes one from a budget: -1 is unlimited (always true), 0 is spent.
inline bool TakeOne(std::atomic<long> &budget) {
  long v = budget.load();
  for (;;) {
    if (v < 0) return true;
    if (v == 0) return false;
    if (budget.compare_exchange_weak(v, v - 1)) return true;
  }
}

// Raises an atomic maximum.
inline void RaiseMax(std::atomic<long> &m, long v) {
  long cur = m.load();
  while (v > cur && !m.compare_exchange_weak(cur, v)) {
  }
}

class FaultIo {
 public:
  // The bytes a write is about to put at `off` (a flattened copy).
  using Checker = std::function<void(ino_t ino, off_t off, const uint8_t *data,
                                     size_t len)>;

  static FaultIo &Get() {
    static FaultIo *io = new FaultIo;  // never destroyed: hooks may outlive
    return *io;
  }

  static void Install() { lfm__fileio_set(&Get().table_); }
  static void Uninstall() { lfm__fileio_set(nullptr); }

  // Clears every fault, counter and the checker; records the calling thread
  // as "the test thread". Only while no pool I/O is in flight.
  void Reset() {
    write_errno = 0;
    write_fail_left = -1;
    write_fail_every = 0;
    fail_ino = 0;
    short_mode = kShortNone;
    short_left = -1;
    write_eintr_left = 0;
    read_errno = 0;
    read_fail_left = -1;
    read_garbage_short = false;
    read_eintr_left = 0;
    fsync_errno = 0;
    fsync_fail_left = -1;
    fsync_eintr_left = 0;
    fsync_drops = false;
    ClearCounters();
    {
      std::lock_guard<std::mutex> l(mu_);
      checker_ = nullptr;
      fsync_gate_ = nullptr;
    }
    {
      std::lock_guard<std::mutex> l(jmu_);
      journal_.clear();
    }
    test_thread_ = pthread_self();
  }

  void ClearCounters() {
    write_calls = 0;
    pwrite_calls = 0;
    pwritev_calls = 0;
    max_iovcnt = 0;
    bytes_written = 0;
    failed_writes = 0;
    failed_writes_other_thread = 0;
    short_writes = 0;
    writes_other_thread = 0;
    read_calls = 0;
    failed_reads = 0;
    fsync_calls = 0;
    failed_fsyncs = 0;
    write_call_seq = 0;
    op_seq = 0;
    last_write_done = 0;
    last_sync_start = 0;
  }

  // Durability: every write that completed is followed by a successful
  // fdatasync that started after it. (Meaningful when no writes run
  // concurrently with the sync, e.g. with the flushers stopped.)
  bool AllWritesSynced() const {
    const long w = last_write_done.load();
    return w == 0 || last_sync_start.load() > w;
  }

  // Clears the write, read and fsync faults (counters stay).
  void ClearFaults() {
    write_errno = 0;
    write_fail_every = 0;
    fail_ino = 0;
    short_mode = kShortNone;
    write_eintr_left = 0;
    read_errno = 0;
    read_garbage_short = false;
    read_eintr_left = 0;
    fsync_errno = 0;
    fsync_eintr_left = 0;
  }

  // True in a pool thread (a flusher): neither the thread that called Reset
  // nor one marked with MarkTestThread.
  bool OtherThread() const {
    return !tl_mine_ && !pthread_equal(pthread_self(), test_thread_);
  }

  // Marks the calling thread as one of the test's own (its writes do not
  // count as "other thread", i.e. background, writes).
  static void MarkTestThread() { tl_mine_ = true; }

  void SetChecker(Checker c) {
    std::lock_guard<std::mutex> l(mu_);
    checker_ = std::move(c);
  }

  // Called at the start of every fdatasync call (before its fault, if
  // any), with the call's number (1, 2, ...): a test may hold a call there.
  using FsyncGate = std::function<void(long call)>;
  void SetFsyncGate(FsyncGate g) {
    std::lock_guard<std::mutex> l(mu_);
    fsync_gate_ = std::move(g);
  }

  // ---- faults
  std::atomic<int> write_errno{0};        // nonzero: writes fail with it ...
  std::atomic<long> write_fail_left{-1};  // ... this many times (-1: always)
  std::atomic<long> write_fail_every{0};  // > 0: 1 in N write calls fails EIO
  std::atomic<ino_t> fail_ino{0};         // nonzero: only this file's writes
  std::atomic<int> short_mode{kShortNone};
  std::atomic<long> short_left{-1};       // short writes left (-1: always)
  std::atomic<long> write_eintr_left{0};  // next N writes: -1/EINTR
  std::atomic<int> read_errno{0};
  std::atomic<long> read_fail_left{-1};
  // Reads alternate: a short read (the buffer first filled with 0xAA, then
  // half of it really read), then a failure with EIO.
  std::atomic<bool> read_garbage_short{false};
  std::atomic<long> read_eintr_left{0};
  std::atomic<int> fsync_errno{0};
  std::atomic<long> fsync_fail_left{-1};
  std::atomic<long> fsync_eintr_left{0};
  // The kernel's behaviour after a failed writeback, modelled: while set,
  // every write keeps the bytes it overwrote, and a failed fdatasync of a
  // file puts back what the writes since that file's last fdatasync
  // overwrote (newest first): those writes are lost, as Linux drops the
  // dirty pages whose writeback failed. A good fdatasync forgets them.
  std::atomic<bool> fsync_drops{false};

  // ---- counters (every call, failed or not, unless named otherwise)
  std::atomic<long> write_calls{0};  // pwrite + pwritev
  std::atomic<long> pwrite_calls{0};
  std::atomic<long> pwritev_calls{0};
  std::atomic<long> max_iovcnt{0};
  std::atomic<long> bytes_written{0};  // bytes really written
  std::atomic<long> failed_writes{0};  // calls made to fail (-1, not EINTR)
  // "Other thread": neither the thread that called Reset nor one marked
  // with MarkTestThread: a pool thread (a flusher).
  std::atomic<long> failed_writes_other_thread{0};
  std::atomic<long> writes_other_thread{0};
  std::atomic<long> short_writes{0};
  std::atomic<long> read_calls{0};
  std::atomic<long> failed_reads{0};
  std::atomic<long> fsync_calls{0};
  std::atomic<long> failed_fsyncs{0};
  std::atomic<long> write_call_seq{0};
  std::atomic<long> op_seq{0};           // orders writes and fdatasyncs
  std::atomic<long> last_write_done{0};  // op_seq after the last write
  std::atomic<long> last_sync_start{0};  // op_seq at the last good sync

 private:
  FaultIo() {
    table_.pread = &FaultIo::Pread;
    table_.pwrite = &FaultIo::Pwrite;
    table_.pwritev = &FaultIo::Pwritev;
    table_.fdatasync = &FaultIo::Fdatasync;
    test_thread_ = pthread_self();
  }

  // Counts a write call; true (errno EINTR) when it is to be interrupted.
  bool WriteEintr() {
    write_calls++;
    if (OtherThread()) writes_other_thread++;
    if (TakeOneIfPositive(write_eintr_left)) {
      errno = EINTR;
      return true;
    }
    return false;
  }

  // True (and *ret, errno set) when the write call fails.
  bool WriteFault(int fd, ssize_t *ret) {
    const ino_t only = fail_ino.load();
    if (only != 0) {
      struct stat st;
      if (::fstat(fd, &st) != 0 || st.st_ino != only) return false;
    }
    const bool other = OtherThread();
    const int e = write_errno.load();
    if (e != 0 && TakeOne(write_fail_left)) {
      failed_writes++;
      if (other) failed_writes_other_thread++;
      errno = e;
      *ret = -1;
      return true;
    }
    const long every = write_fail_every.load();
    if (every > 0 && (write_call_seq.fetch_add(1) + 1) % every == 0) {
      failed_writes++;
      if (other) failed_writes_other_thread++;
      errno = EIO;
      *ret = -1;
      return true;
    }
    return false;
  }

  static bool TakeOneIfPositive(std::atomic<long> &n) {
    long v = n.load();
    while (v > 0) {
      if (n.compare_exchange_weak(v, v - 1)) return true;
    }
    return false;
  }

  // How many of `len` bytes to really write now (len: no short write).
  size_t ShortLen(size_t len) {
    const int m = short_mode.load();
    if (m == kShortNone || len == 0 || !TakeOne(short_left)) return len;
    short_writes++;
    switch (m) {
      case kShortHalf:
        return std::max<size_t>(1, len / 2);
      case kShortOne:
        return 1;
      default:
        return 0;
    }
  }

  void Check(int fd, off_t off, const struct iovec *iov, int iovcnt) {
    std::lock_guard<std::mutex> l(mu_);
    if (!checker_) return;
    std::vector<uint8_t> flat;
    for (int i = 0; i < iovcnt; i++) {
      const uint8_t *b = static_cast<const uint8_t *>(iov[i].iov_base);
      flat.insert(flat.end(), b, b + iov[i].iov_len);
    }
    struct stat st;
    ino_t ino = ::fstat(fd, &st) == 0 ? st.st_ino : 0;
    checker_(ino, off, flat.data(), flat.size());
  }

  static ino_t InoOf(int fd) {
    struct stat st;
    return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
  }

  // fsync_drops: what the write about to be made at [off, off + len)
  // overwrites (bytes past the end read as zeroes).
  void Remember(int fd, off_t off, size_t len) {
    if (!fsync_drops.load() || len == 0) return;
    Undo u;
    u.ino = InoOf(fd);
    u.off = off;
    u.old.assign(len, 0);
    ssize_t got = lfm__fileio_sys.pread(fd, u.old.data(), len, off);
    (void)got;
    std::lock_guard<std::mutex> l(jmu_);
    journal_.push_back(std::move(u));
  }

  // fdatasync of fd ended with `failed`: lose or keep its file's writes.
  void SyncDone(int fd, bool failed) {
    const ino_t ino = InoOf(fd);
    std::lock_guard<std::mutex> l(jmu_);
    for (size_t i = journal_.size(); i-- > 0;) {
      if (journal_[i].ino != ino) continue;
      if (failed) {
        ssize_t w =
            lfm__fileio_sys.pwrite(fd, journal_[i].old.data(),
                                   journal_[i].old.size(), journal_[i].off);
        (void)w;
      }
      journal_.erase(journal_.begin() + static_cast<long>(i));
    }
  }

  void WriteDone(ssize_t n) {
    bytes_written += n;
    RaiseMax(last_write_done, op_seq.fetch_add(1) + 1);
  }

  static ssize_t Pwrite(int fd, const void *buf, size_t len, off_t off) {
    FaultIo &io = Get();
    io.pwrite_calls++;
    RaiseMax(io.max_iovcnt, 1);
    ssize_t r;
    if (io.WriteEintr()) return -1;
    // A short write (when one is due) comes before an error.
    const size_t n = io.ShortLen(len);
    if (n == len && io.WriteFault(fd, &r)) return r;
    if (n == 0 && len != 0) return 0;
    struct iovec v = {const_cast<void *>(buf), n};
    io.Check(fd, off, &v, 1);
    io.Remember(fd, off, n);
    r = lfm__fileio_sys.pwrite(fd, buf, n, off);
    if (r > 0) io.WriteDone(r);
    return r;
  }

  static ssize_t Pwritev(int fd, const struct iovec *iov, int iovcnt,
                         off_t off) {
    FaultIo &io = Get();
    io.pwritev_calls++;
    RaiseMax(io.max_iovcnt, iovcnt);
    ssize_t r;
    if (io.WriteEintr()) return -1;
    size_t total = 0;
    for (int i = 0; i < iovcnt; i++) total += iov[i].iov_len;
    size_t n = io.ShortLen(total);
    if (n == total && io.WriteFault(fd, &r)) return r;
    if (n == 0 && total != 0) return 0;
    std::vector<struct iovec> cut;
    for (int i = 0; i < iovcnt && n > 0; i++) {
      struct iovec v = iov[i];
      if (v.iov_len > n) v.iov_len = n;
      n -= v.iov_len;
      cut.push_back(v);
    }
    io.Check(fd, off, cut.data(), static_cast<int>(cut.size()));
    size_t cut_len = 0;
    for (const struct iovec &v : cut) cut_len += v.iov_len;
    io.Remember(fd, off, cut_len);
    r = lfm__fileio_sys.pwritev(fd, cut.data(), static_cast<int>(cut.size()),
                                off);
    if (r > 0) io.WriteDone(r);
    return r;
  }

  static ssize_t Pread(int fd, void *buf, size_t len, off_t off) {
    FaultIo &io = Get();
    const long call = io.read_calls.fetch_add(1);
    if (TakeOneIfPositive(io.read_eintr_left)) {
      errno = EINTR;
      return -1;
    }
    if (io.read_garbage_short.load()) {
      if (call % 2 == 0) {
        memset(buf, 0xAA, len);
        const size_t half = std::max<size_t>(1, len / 2);
        return lfm__fileio_sys.pread(fd, buf, half, off);
      }
      io.failed_reads++;
      errno = EIO;
      return -1;
    }
    const int e = io.read_errno.load();
    if (e != 0 && TakeOne(io.read_fail_left)) {
      io.failed_reads++;
      // Leave junk behind, as a failed read may.
      memset(buf, 0x5C, len);
      errno = e;
      return -1;
    }
    return lfm__fileio_sys.pread(fd, buf, len, off);
  }

  static int Fdatasync(int fd) {
    FaultIo &io = Get();
    const long call = io.fsync_calls.fetch_add(1) + 1;
    FsyncGate gate;
    {
      std::lock_guard<std::mutex> l(io.mu_);
      gate = io.fsync_gate_;
    }
    if (gate) gate(call);
    if (TakeOneIfPositive(io.fsync_eintr_left)) {
      errno = EINTR;
      return -1;
    }
    const long start = io.op_seq.fetch_add(1) + 1;
    const int e = io.fsync_errno.load();
    if (e != 0 && TakeOne(io.fsync_fail_left)) {
      io.failed_fsyncs++;
      io.SyncDone(fd, true);
      errno = e;
      return -1;
    }
    const int r = lfm__fileio_sys.fdatasync(fd);
    if (r == 0) {
      RaiseMax(io.last_sync_start, start);
      io.SyncDone(fd, false);
    }
    return r;
  }

  struct Undo {
    ino_t ino;
    off_t off;
    std::vector<uint8_t> old;
  };

  static inline thread_local bool tl_mine_ = false;
  struct lfm__fileio table_;
  std::mutex mu_;
  Checker checker_;
  FsyncGate fsync_gate_;
  std::mutex jmu_;  // the journal of fsync_drops
  std::vector<Undo> journal_;
  pthread_t test_thread_;
};

// Polls `cond` every millisecond until it holds or `seconds` pass.
inline bool WaitFor(const std::function<bool()> &cond, double seconds = 20.0) {
  const auto end = std::chrono::steady_clock::now() +
                   std::chrono::milliseconds(static_cast<long>(seconds * 1000));
  for (;;) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() > end) return cond();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

inline ino_t InodeOf(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

}  // namespace lfmtest

#endif  // LFMPOOL_TESTS_FAULT_IO_H
