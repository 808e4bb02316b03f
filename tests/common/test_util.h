// Shared helpers for the lfmpool GoogleTest suites: a scratch directory under
// $TEST_TMPDIR, files of N pages with known contents, pread(2) read-back, and
// small wrappers around memp_open / memp_fopen / memp_stat.
#ifndef LFMPOOL_TESTS_TEST_UTIL_H
#define LFMPOOL_TESTS_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"

namespace lfmtest {

// 20 KiB: the smallest pool; with 4 KiB pages it holds exactly 5 frames.
constexpr size_t kSmallPool = 20 * 1024;
constexpr size_t kPage = 4096;
constexpr size_t kSmallPoolFrames = kSmallPool / kPage;  // 5

// ---------------------------------------------------------------- temp dir

inline int RemoveOne(const char *path, const struct stat *, int, struct FTW *) {
  return ::remove(path);
}

// A fresh directory under $TEST_TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char *base = getenv("TEST_TMPDIR");
    if (base == nullptr || *base == '\0') base = "/tmp";
    std::string templ = std::string(base) + "/lfmpool.XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
      ADD_FAILURE() << "mkdtemp(" << templ << "): " << strerror(errno);
      return;
    }
    path_ = buf.data();
  }
  ~TempDir() {
    if (!path_.empty())
      nftw(path_.c_str(), RemoveOne, 16, FTW_DEPTH | FTW_PHYS);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::string &path() const { return path_; }
  std::string File(const std::string &name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// ---------------------------------------------------------------- contents

// The byte at offset i of page pgno in a "pattern" file; salt varies it.
inline uint8_t PatternByte(uint32_t pgno, size_t i, uint32_t salt = 0) {
  return static_cast<uint8_t>(pgno * 131u + static_cast<uint32_t>(i) * 7u +
                              salt * 29u + 1u);
}

inline std::vector<uint8_t> PatternPage(uint32_t pgno, size_t pagesize,
                                        uint32_t salt = 0) {
  std::vector<uint8_t> v(pagesize);
  for (size_t i = 0; i < pagesize; i++) v[i] = PatternByte(pgno, i, salt);
  return v;
}

inline void FillPattern(void *page, size_t pagesize, uint32_t pgno,
                        uint32_t salt = 0) {
  uint8_t *p = static_cast<uint8_t *>(page);
  for (size_t i = 0; i < pagesize; i++) p[i] = PatternByte(pgno, i, salt);
}

inline std::vector<uint8_t> Bytes(const void *page, size_t n) {
  const uint8_t *p = static_cast<const uint8_t *>(page);
  return std::vector<uint8_t>(p, p + n);
}

inline bool AllZero(const void *page, size_t n) {
  const uint8_t *p = static_cast<const uint8_t *>(page);
  for (size_t i = 0; i < n; i++)
    if (p[i] != 0) return false;
  return true;
}

inline std::vector<uint8_t> Xor(std::vector<uint8_t> v, uint8_t k = 0xFF) {
  for (auto &b : v) b ^= k;
  return v;
}

// ---------------------------------------------------------------- files

inline bool WriteAll(const std::string &path, const void *data, size_t n) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return false;
  const uint8_t *p = static_cast<const uint8_t *>(data);
  size_t done = 0;
  while (done < n) {
    ssize_t w = ::pwrite(fd, p + done, n - done, static_cast<off_t>(done));
    if (w <= 0) {
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(w);
  }
  return ::close(fd) == 0;
}

// Writes npages pattern pages (with salt) to path, truncating it.
inline void MakeFile(const std::string &path, uint32_t npages, size_t pagesize,
                     uint32_t salt = 0) {
  std::vector<uint8_t> all;
  all.reserve(npages * pagesize);
  for (uint32_t p = 0; p < npages; p++) {
    std::vector<uint8_t> pg = PatternPage(p, pagesize, salt);
    all.insert(all.end(), pg.begin(), pg.end());
  }
  ASSERT_TRUE(WriteAll(path, all.data(), all.size())) << path;
}

// Bytes of page pgno as read with pread(2); shorter (or empty) past the end.
inline std::vector<uint8_t> ReadPage(const std::string &path, uint32_t pgno,
                                     size_t pagesize) {
  std::vector<uint8_t> v(pagesize);
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    ADD_FAILURE() << "open(" << path << "): " << strerror(errno);
    return {};
  }
  size_t done = 0;
  off_t off = static_cast<off_t>(pgno) * static_cast<off_t>(pagesize);
  while (done < pagesize) {
    ssize_t r = ::pread(fd, v.data() + done, pagesize - done,
                        off + static_cast<off_t>(done));
    if (r <= 0) break;
    done += static_cast<size_t>(r);
  }
  ::close(fd);
  v.resize(done);
  return v;
}

inline long long FileSize(const std::string &path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<long long>(st.st_size);
}

inline bool Exists(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// ---------------------------------------------------------------- pool

// DB_ENV structures handed to memp_open must stay valid until memp_close;
// they are kept here and freed at process exit.
struct EnvHolder {
  std::vector<DB_ENV *> v;
  ~EnvHolder() {
    for (DB_ENV *e : v) delete e;
  }
};
inline std::vector<DB_ENV *> &Envs() {
  static EnvHolder h;
  return h.v;
}

// A private pool of mp_size bytes (0: dbenv NULL, the default size).
inline int OpenPool(size_t mp_size, DB_MPOOL **mp, int extra_flags = 0) {
  const int flags = DB_CREATE | DB_MPOOL_PRIVATE | extra_flags;
  if (mp_size == 0) return memp_open(nullptr, flags, 0644, nullptr, mp);
  DB_ENV *env = new DB_ENV;
  memset(env, 0, sizeof *env);
  env->mp_size = mp_size;
  Envs().push_back(env);
  return memp_open(nullptr, flags, 0644, env, mp);
}

// memp_fopen with mode 0644 and no uid; an empty path opens a private
// temporary file (file NULL).
inline int OpenFile(DB_MPOOL *mp, const std::string &path, size_t pagesize,
                    DB_MPOOLFILE **mpf, int flags = 0, int ftype = 0,
                    int lsn_offset = -1, DBT *cookie = nullptr) {
  std::string copy = path;  // memp_fopen takes char *
  return memp_fopen(mp, copy.empty() ? nullptr : &copy[0], ftype, flags, 0644,
                    pagesize, lsn_offset, cookie, nullptr, mpf);
}

// Global statistics (a copy; the allocation is freed).
inline DB_MPOOL_STAT Stat(DB_MPOOL *mp) {
  DB_MPOOL_STAT out;
  memset(&out, 0, sizeof out);
  DB_MPOOL_STAT *gs = nullptr;
  int rc = memp_stat(mp, &gs, nullptr, nullptr);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(gs, nullptr);
  if (rc == 0 && gs != nullptr) out = *gs;
  free(gs);
  return out;
}

struct FileStat {
  std::string name;
  bool name_null = true;
  DB_MPOOL_FSTAT s;
};

// Per-file statistics (copies); empty when *fsp came back NULL.
inline std::vector<FileStat> FStats(DB_MPOOL *mp, bool *was_null = nullptr) {
  std::vector<FileStat> out;
  DB_MPOOL_FSTAT **fs = reinterpret_cast<DB_MPOOL_FSTAT **>(uintptr_t{1});
  int rc = memp_stat(mp, nullptr, reinterpret_cast<DB_MPOOL_FSTAT *(*)[]>(&fs),
                     nullptr);
  EXPECT_EQ(rc, 0);
  if (rc != 0) return out;
  if (was_null != nullptr) *was_null = (fs == nullptr);
  if (fs == nullptr) return out;
  for (size_t i = 0; fs[i] != nullptr; i++) {
    FileStat f;
    f.s = *fs[i];
    f.name_null = fs[i]->file_name == nullptr;
    if (!f.name_null) f.name = fs[i]->file_name;
    out.push_back(f);
  }
  free(fs);
  return out;
}

// The statistics of the file opened as `path` (zeroes, and a test failure,
// when it has none).
inline DB_MPOOL_FSTAT FStatOf(DB_MPOOL *mp, const std::string &path) {
  for (const FileStat &f : FStats(mp))
    if (f.name == path) return f.s;
  ADD_FAILURE() << "no statistics for " << path;
  DB_MPOOL_FSTAT z;
  memset(&z, 0, sizeof z);
  return z;
}

// memp_open starts background flushers, which may write dirty, unpinned
// pages at any moment. Tests that check what was (not) written, or count
// writes, stop them right after memp_open.
inline void StopFlushers(DB_MPOOL *mp) {
  ASSERT_EQ(memp_set_flushers(mp, 0, 0), 0);
}

// A test fixture owning a scratch directory and (optionally) one pool,
// closed at TearDown (memp_close also closes files still open in it).
class PoolTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (mp_ != nullptr) {
      EXPECT_EQ(memp_close(mp_), 0);
    }
    mp_ = nullptr;
  }
  // Opens mp_ (a private pool of `size` bytes).
  void Open(size_t size = kSmallPool, int flags = 0) {
    ASSERT_EQ(OpenPool(size, &mp_, flags), 0);
    ASSERT_NE(mp_, nullptr);
  }
  void ClosePool() {
    ASSERT_EQ(memp_close(mp_), 0);
    mp_ = nullptr;
  }
  std::string Path(const std::string &name = "f.db") const {
    return dir_.File(name);
  }

  TempDir dir_;
  DB_MPOOL *mp_ = nullptr;
};

// ---------------------------------------------------------------- pgin/pgout

// Recording (and optionally failing or XOR-ing) page-in/page-out hooks for
// the single-threaded tests. Register with memp_register(mp, 1, TestPgin,
// TestPgout).
struct HookState {
  size_t pagesize = kPage;
  bool xor_in = false;              // pgin XORs every byte with 0xFF
  bool xor_out = false;             // pgout XORs every byte with 0xFF
  std::atomic<int> pgin_error{0};   // nonzero: pgin returns it
  std::atomic<int> pgout_error{0};  // nonzero: pgout returns it
  long fail_pgno = -1;              // -1: every page fails, else only this
  std::atomic<int> pgin_calls{0};
  std::atomic<int> pgout_calls{0};
  std::vector<db_pgno_t> pgin_pgnos;
  std::vector<db_pgno_t> pgout_pgnos;
  void *last_pgin_addr = nullptr;
  std::vector<uint8_t> last_pgin_bytes;  // the page as pgin first saw it
  bool last_pgin_cookie_null = true;
  std::string last_pgin_cookie;
  bool last_pgout_cookie_null = true;
  std::string last_pgout_cookie;
};

inline HookState &Hooks() {
  static HookState *h = new HookState;
  return *h;
}

inline void ResetHooks(size_t pagesize = kPage) {
  HookState &h = Hooks();
  h.pagesize = pagesize;
  h.xor_in = h.xor_out = false;
  h.pgin_error = 0;
  h.pgout_error = 0;
  h.fail_pgno = -1;
  h.pgin_calls = 0;
  h.pgout_calls = 0;
  h.pgin_pgnos.clear();
  h.pgout_pgnos.clear();
  h.last_pgin_addr = nullptr;
  h.last_pgin_bytes.clear();
  h.last_pgin_cookie_null = true;
  h.last_pgin_cookie.clear();
  h.last_pgout_cookie_null = true;
  h.last_pgout_cookie.clear();
}

inline int TestPgin(db_pgno_t pgno, void *pgaddr, DBT *cookie) {
  HookState &h = Hooks();
  h.pgin_calls++;
  if (h.pgin_error != 0 &&
      (h.fail_pgno < 0 || h.fail_pgno == static_cast<long>(pgno)))
    return h.pgin_error;
  h.pgin_pgnos.push_back(pgno);
  h.last_pgin_addr = pgaddr;
  h.last_pgin_bytes = Bytes(pgaddr, h.pagesize);
  h.last_pgin_cookie_null = cookie == nullptr || cookie->data == nullptr;
  h.last_pgin_cookie.clear();
  if (!h.last_pgin_cookie_null)
    h.last_pgin_cookie.assign(static_cast<const char *>(cookie->data),
                              cookie->size);
  if (h.xor_in) {
    uint8_t *p = static_cast<uint8_t *>(pgaddr);
    for (size_t i = 0; i < h.pagesize; i++) p[i] ^= 0xFF;
  }
  return 0;
}

inline int TestPgout(db_pgno_t pgno, void *pgaddr, DBT *cookie) {
  HookState &h = Hooks();
  h.pgout_calls++;
  if (h.pgout_error != 0 &&
      (h.fail_pgno < 0 || h.fail_pgno == static_cast<long>(pgno)))
    return h.pgout_error;
  h.pgout_pgnos.push_back(pgno);
  h.last_pgout_cookie_null = cookie == nullptr || cookie->data == nullptr;
  h.last_pgout_cookie.clear();
  if (!h.last_pgout_cookie_null)
    h.last_pgout_cookie.assign(static_cast<const char *>(cookie->data),
                               cookie->size);
  if (h.xor_out) {
    uint8_t *p = static_cast<uint8_t *>(pgaddr);
    for (size_t i = 0; i < h.pagesize; i++) p[i] ^= 0xFF;
  }
  return 0;
}

// ---------------------------------------------------------------- misc

inline unsigned long long EnvU64(const char *name, unsigned long long dflt) {
  const char *v = getenv(name);
  if (v == nullptr || *v == '\0') return dflt;
  char *end = nullptr;
  unsigned long long x = strtoull(v, &end, 0);
  return (end != nullptr && *end == '\0') ? x : dflt;
}

inline void PutU32(void *page, size_t off, uint32_t v) {
  memcpy(static_cast<uint8_t *>(page) + off, &v, sizeof v);
}
inline uint32_t GetU32(const void *page, size_t off) {
  uint32_t v;
  memcpy(&v, static_cast<const uint8_t *>(page) + off, sizeof v);
  return v;
}

}  // namespace lfmtest

// A thread that stays alive between tasks: Do(f) runs f on it and waits.
// Thread-local state of the pool (pin caches) lives as long as it; the
// mutex orders everything before Do with the task, and the task with
// everything after.
class Runner {
 public:
  Runner() : th_([this] { Loop(); }) {}
  ~Runner() {
    {
      std::lock_guard<std::mutex> l(m_);
      stop_ = true;
    }
    cv_.notify_all();
    th_.join();
  }
  void Do(std::function<void()> f) {
    std::unique_lock<std::mutex> l(m_);
    task_ = std::move(f);
    cv_.notify_all();
    cv_.wait(l, [&] { return !task_; });
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> l(m_);
    for (;;) {
      cv_.wait(l, [&] { return stop_ || task_; });
      if (task_) {
        task_();
        task_ = nullptr;
        cv_.notify_all();
      } else if (stop_) {
        return;
      }
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::function<void()> task_;
  bool stop_ = false;
  std::thread th_;
};

#endif  // LFMPOOL_TESTS_TEST_UTIL_H
