// Helpers for the fork-based tests of pools shared across processes: forked
// children that talk to the parent over pipes, one text line a message,
// child-side checks that report to the parent and _exit, deadlines (never
// sleep-and-hope), and small wrappers for memp_open on a directory.
//
// Rules the helpers keep:
//  - a child never returns into gtest: it runs its function and _exit()s
//    (0 when the function returns, 1 after reporting a failed check);
//  - a child closes the parent's ends of every other child's pipes, so a
//    dead parent is seen by every child as EOF (the child then _exit()s);
//  - the parent waits for a message or an exit at most kDeadlineMs and
//    fails with a message when the deadline passes (the child is killed).
#ifndef LFMPOOL_TESTS_SHARED_UTIL_H
#define LFMPOOL_TESTS_SHARED_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "tests/common/test_util.h"

// ThreadSanitizer: its lock-order (deadlock) detector tracks at most 64
// mutexes held by one thread, and jemalloc's fork handler takes every arena
// mutex, more than 64 once a private pool has created its arena: TSan then
// aborts inside fork() ("CHECK failed: sanitizer_deadlock_detector.h:67").
// Binaries that fork turn that detector off; data races are still
// reported, and TSAN_OPTIONS from the environment applies on top. (One
// definition per binary: include this header from one file only.)
extern "C" __attribute__((used, visibility("default"))) const char *
__tsan_default_options() {
  return "detect_deadlocks=0";
}

namespace lfmtest {

constexpr int kDeadlineMs = 20000;
constexpr const char *kRegionFile = "__lfm_mpool.region";

inline int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

inline void NapMs(int ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// ---------------------------------------------------------------- TMPDIR

// Points TMPDIR at `dir` for the scope (memp_open(NULL), temporary files
// and mpool_open keys use it), restoring the old value after.
class ScopedTmpdir {
 public:
  explicit ScopedTmpdir(const std::string &dir) {
    const char *old = getenv("TMPDIR");
    had_ = old != nullptr;
    if (had_) old_ = old;
    setenv("TMPDIR", dir.c_str(), 1);
  }
  ~ScopedTmpdir() {
    if (had_)
      setenv("TMPDIR", old_.c_str(), 1);
    else
      unsetenv("TMPDIR");
  }

 private:
  bool had_ = false;
  std::string old_;
};

// Names in `dir` starting with `prefix`.
inline std::vector<std::string> ListDir(const std::string &dir,
                                        const std::string &prefix = "") {
  std::vector<std::string> out;
  DIR *d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (struct dirent *e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    if (n.compare(0, prefix.size(), prefix) == 0) out.push_back(n);
  }
  closedir(d);
  return out;
}

inline std::vector<uint8_t> ReadWhole(const std::string &path) {
  std::vector<uint8_t> v;
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return v;
  uint8_t buf[65536];
  for (;;) {
    ssize_t r = ::read(fd, buf, sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    v.insert(v.end(), buf, buf + r);
  }
  ::close(fd);
  return v;
}

// ---------------------------------------------------------------- pools

// memp_open of the shared pool in `dir` (NULL: the TMPDIR rule) with
// mp_size `size` (0: dbenv NULL, the default; the joiner's "any size").
inline int OpenShared(const char *dir, int flags, size_t size, DB_MPOOL **mp,
                      int mode = 0644, size_t mmapsize = 0) {
  DB_ENV *env = nullptr;
  if (size != 0 || mmapsize != 0) {
    env = new DB_ENV;
    memset(env, 0, sizeof *env);
    env->mp_size = size;
    env->mp_mmapsize = mmapsize;
    Envs().push_back(env);
  }
  std::string copy = dir != nullptr ? dir : "";
  return memp_open(dir != nullptr ? &copy[0] : nullptr, flags, mode, env, mp);
}

// memp_fopen with a uid.
inline int OpenFileUid(DB_MPOOL *mp, const std::string &path, size_t pagesize,
                       const uint8_t *uid, DB_MPOOLFILE **mpf, int flags = 0) {
  std::string copy = path;
  uint8_t u[DB_FILE_ID_LEN];
  memcpy(u, uid, sizeof u);
  return memp_fopen(mp, &copy[0], 0, flags, 0644, pagesize, -1, nullptr, u,
                    mpf);
}

// ---------------------------------------------------------------- children

// The child's ends of its pipes (set in the child only).
struct ChildSide {
  int in = -1;   // parent -> child
  int out = -1;  // child -> parent
};
inline ChildSide &Me() {
  static ChildSide s;
  return s;
}
// Parent-side pipe ends of live children, closed in every new child.
inline std::vector<int> &ParentFds() {
  static std::vector<int> v;
  return v;
}

inline void WriteLine(int fd, const std::string &line) {
  std::string s = line + "\n";
  size_t done = 0;
  while (done < s.size()) {
    ssize_t w = ::write(fd, s.data() + done, s.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    done += static_cast<size_t>(w);
  }
}

// Reads one line from fd into *line, waiting at most timeout_ms (-1: no
// limit). `buf` keeps what came after the line. 1: a line; 0: EOF; -1:
// timeout.
inline int ReadLine(int fd, std::string *buf, std::string *line,
                    int timeout_ms) {
  const int64_t end = timeout_ms < 0 ? -1 : NowMs() + timeout_ms;
  for (;;) {
    size_t nl = buf->find('\n');
    if (nl != std::string::npos) {
      *line = buf->substr(0, nl);
      buf->erase(0, nl + 1);
      return 1;
    }
    int left = -1;
    if (end >= 0) {
      int64_t l = end - NowMs();
      if (l <= 0) return -1;
      left = static_cast<int>(l);
    }
    struct pollfd p = {fd, POLLIN, 0};
    int r = ::poll(&p, 1, left);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return -1;
    char tmp[4096];
    ssize_t n = ::read(fd, tmp, sizeof tmp);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    buf->append(tmp, static_cast<size_t>(n));
  }
}

// Child side: a message to the parent (one write: lines of up to PIPE_BUF
// bytes from several threads do not interleave).
inline void Tell(const std::string &msg) { WriteLine(Me().out, msg); }

[[noreturn]] inline void ChildFail(const char *file, int line,
                                   const std::string &what) {
  std::ostringstream os;
  os << "FAIL " << file << ":" << line << " [pid " << getpid() << "] " << what;
  std::string s = os.str();
  for (char &c : s)
    if (c == '\n') c = ' ';
  if (s.size() > 3000) s.resize(3000);
  Tell(s);
  _exit(1);
}

// Child side: the next message from the parent. The parent gone (EOF) or
// silent for `timeout_ms`: the child leaves.
inline std::string Hear(int timeout_ms = 120000) {
  static std::string buf;
  std::string line;
  int r = ReadLine(Me().in, &buf, &line, timeout_ms);
  if (r == 0) _exit(6);
  if (r < 0) ChildFail(__FILE__, __LINE__, "no word from the parent");
  return line;
}

inline void HearExpect(const std::string &want, const char *file, int line) {
  std::string got = Hear();
  if (got != want)
    ChildFail(file, line,
              "expected '" + want + "' from the parent, got '" + got + "'");
}

#define C_FAIL(msg) ::lfmtest::ChildFail(__FILE__, __LINE__, (msg))
#define C_CHECK(cond)                                           \
  do {                                                          \
    if (!(cond)) C_FAIL(std::string("check failed: ") + #cond); \
  } while (0)
#define C_CHECK_MSG(cond, msg)                         \
  do {                                                 \
    if (!(cond)) {                                     \
      std::ostringstream os_;                          \
      os_ << "check failed: " << #cond << ": " << msg; \
      C_FAIL(os_.str());                               \
    }                                                  \
  } while (0)
// An lfmpool call that must return `want`.
#define C_RC(expr, want)                                              \
  do {                                                                \
    int rc_ = (expr);                                                 \
    if (rc_ != (want)) {                                              \
      std::ostringstream os_;                                         \
      os_ << #expr << " returned " << rc_ << " ("                     \
          << strerror(rc_ > 0 ? rc_ : 0) << "), expected " << (want); \
      C_FAIL(os_.str());                                              \
    }                                                                 \
  } while (0)
#define C_OK(expr) C_RC(expr, 0)
#define C_HEAR(want) ::lfmtest::HearExpect((want), __FILE__, __LINE__)

// Parent side of one forked child.
class Child {
 public:
  Child() = default;
  Child(const Child &) = delete;
  Child &operator=(const Child &) = delete;
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int st;
      while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
    }
    CloseFds();
  }

  // Forks a child that runs fn and then _exit(0)s. false if fork failed.
  bool Start(const std::function<void()> &fn) {
    int down[2], up[2];
    if (::pipe(down) != 0) return false;
    if (::pipe(up) != 0) {
      ::close(down[0]);
      ::close(down[1]);
      return false;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = ::fork();
    if (pid < 0) {
      for (int fd : {down[0], down[1], up[0], up[1]}) ::close(fd);
      return false;
    }
    if (pid == 0) {
      for (int fd : ParentFds()) ::close(fd);
      ::close(down[1]);
      ::close(up[0]);
      Me().in = down[0];
      Me().out = up[1];
      fn();
      _exit(0);
    }
    ::close(down[0]);
    ::close(up[1]);
    pid_ = pid;
    to_ = down[1];
    from_ = up[0];
    ParentFds().push_back(to_);
    ParentFds().push_back(from_);
    return true;
  }

  pid_t pid() const { return pid_; }

  void Send(const std::string &msg) { WriteLine(to_, msg); }

  // The next message (failing the test on a child's FAIL, EOF or the
  // deadline: then "" is returned).
  std::string Recv(int timeout_ms = kDeadlineMs) {
    std::string line;
    int r = ReadLine(from_, &buf_, &line, timeout_ms);
    if (r == 1 && line.compare(0, 5, "FAIL ") != 0) return line;
    if (r == 1)
      ADD_FAILURE() << "child " << pid_ << ": " << line;
    else if (r == 0)
      ADD_FAILURE() << "child " << pid_
                    << " closed its pipe (it died): " << Reap();
    else
      ADD_FAILURE() << "no message from child " << pid_ << " within "
                    << timeout_ms << " ms";
    return "";
  }

  // Receives the next message and checks it is `want`.
  bool Expect(const std::string &want, int timeout_ms = kDeadlineMs) {
    std::string got = Recv(timeout_ms);
    if (got == want) return true;
    if (!got.empty())
      ADD_FAILURE() << "child " << pid_ << ": expected '" << want << "', got '"
                    << got << "'";
    return false;
  }

  // Waits (deadline) for the child to exit; kills it when the deadline
  // passes. Reports any FAIL lines still in the pipe. Returns the wait
  // status, or -1 on timeout.
  int Wait(int timeout_ms = kDeadlineMs) {
    if (pid_ <= 0) return status_;
    const int64_t end = NowMs() + timeout_ms;
    for (;;) {
      int st = 0;
      pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        status_ = st;
        break;
      }
      if (r < 0 && errno != EINTR) {
        pid_ = -1;
        status_ = -1;
        break;
      }
      if (NowMs() >= end) {
        ADD_FAILURE() << "child " << pid_ << " did not exit within "
                      << timeout_ms << " ms: killed";
        ::kill(pid_, SIGKILL);
        while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        status_ = -1;
        return -1;
      }
      NapMs(1);
    }
    DrainFailures();
    return status_;
  }

  // Waits for a clean exit (status 0), failing the test otherwise.
  bool WaitOk(int timeout_ms = kDeadlineMs) {
    int st = Wait(timeout_ms);
    if (st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0) return true;
    if (st != -1) ADD_FAILURE() << "child ended with " << Describe(st);
    return false;
  }

  // SIGKILL and reap.
  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int st = 0;
    while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    status_ = st;
    pid_ = -1;
  }

  static std::string Describe(int st) {
    std::ostringstream os;
    if (WIFEXITED(st))
      os << "exit status " << WEXITSTATUS(st);
    else if (WIFSIGNALED(st))
      os << "signal " << WTERMSIG(st) << " (" << strsignal(WTERMSIG(st)) << ")";
    else
      os << "status " << st;
    return os.str();
  }

 private:
  // After EOF: reap and describe.
  std::string Reap() {
    if (pid_ <= 0) return Describe(status_);
    int st = Wait(kDeadlineMs);
    return st == -1 ? "did not exit" : Describe(st);
  }
  void DrainFailures() {
    std::string line;
    while (from_ >= 0 && ReadLine(from_, &buf_, &line, 0) == 1)
      if (line.compare(0, 5, "FAIL ") == 0) ADD_FAILURE() << "child: " << line;
  }
  void CloseFds() {
    for (int *fd : {&to_, &from_}) {
      if (*fd < 0) continue;
      std::vector<int> &v = ParentFds();
      for (size_t i = 0; i < v.size(); i++)
        if (v[i] == *fd) {
          v.erase(v.begin() + static_cast<long>(i));
          break;
        }
      ::close(*fd);
      *fd = -1;
    }
  }

  pid_t pid_ = -1;
  int status_ = 0;
  int to_ = -1, from_ = -1;
  std::string buf_;
};

// Polls cond() every millisecond until it holds or timeout_ms passes.
inline bool PollUntil(const std::function<bool()> &cond,
                      int timeout_ms = kDeadlineMs) {
  const int64_t end = NowMs() + timeout_ms;
  while (!cond()) {
    if (NowMs() >= end) return false;
    NapMs(1);
  }
  return true;
}

// The seed: $LFM_SEED, else `dflt` (never time-based); printed.
inline unsigned long long TestSeed(unsigned long long dflt) {
  unsigned long long s = EnvU64("LFM_SEED", dflt);
  printf("[   seed   ] LFM_SEED=%llu\n", s);
  fflush(stdout);
  return s;
}

}  // namespace lfmtest

#endif  // LFMPOOL_TESTS_SHARED_UTIL_H
