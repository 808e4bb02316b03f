// What the fuzz targets share: the byte reader they decode their input
// with (each call takes the next bytes of the input, and past its end reads
// zeroes, so every input, even empty, is a complete, valid program of
// calls), the check that fails an input, the process's scratch directory,
// and the trace switch.
//
// The same targets build three ways (tests/fuzz/README.md): under
// libFuzzer (clang, tests/fuzz/fuzz.sh), and as replay binaries under
// Bazel's plain, TSan and ASan configurations (replay_main.cc).
#ifndef LFMPOOL_TESTS_FUZZ_FUZZ_BYTES_H
#define LFMPOOL_TESTS_FUZZ_FUZZ_BYTES_H

#include <errno.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <string>

namespace lfmfuzz {

class Bytes {
 public:
  Bytes(const uint8_t *data, size_t size) : d_(data), n_(size) {}
  bool Done() const { return pos_ >= n_; }
  uint8_t U8() { return pos_ < n_ ? d_[pos_++] : 0; }
  uint16_t U16() { return static_cast<uint16_t>(U8() | (U8() << 8)); }
  uint32_t U32() {
    return static_cast<uint32_t>(U16()) | (static_cast<uint32_t>(U16()) << 16);
  }
  // A value in [0, n), n at most 65536.
  unsigned Below(unsigned n) { return n <= 256 ? U8() % n : U16() % n; }
  bool Bit() { return (U8() & 1) != 0; }

 private:
  const uint8_t *d_;
  size_t n_;
  size_t pos_ = 0;
};

// A broken expectation: the target's own check failed. Prints where and
// aborts, so that libFuzzer keeps the input and the replay test fails.
[[noreturn]] inline void Fail(const char *file, int line,
                              const std::string &what) {
  fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what.c_str());
  fflush(stderr);
  abort();
}

inline int RemoveEntry(const char *path, const struct stat *, int,
                       struct FTW *) {
  return remove(path);
}

// This process's scratch directory, made on the first call under
// $TEST_TMPDIR (or /tmp) as <name>.XXXXXX and removed, with whatever is
// left in it, at exit.
inline const std::string &ScratchDir(const char *name) {
  static std::string dir;
  if (dir.empty()) {
    const char *t = getenv("TEST_TMPDIR");
    std::string tmpl = std::string(t != nullptr && *t != '\0' ? t : "/tmp") +
                       "/" + name + ".XXXXXX";
    if (mkdtemp(&tmpl[0]) == nullptr)
      Fail(__FILE__, __LINE__, tmpl + ": " + strerror(errno));
    dir = tmpl;
    atexit([] { nftw(dir.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS); });
  }
  return dir;
}

// $LFM_FUZZ_TRACE set (and not "0"): the targets print every call.
inline bool TraceOn() {
  const char *t = getenv("LFM_FUZZ_TRACE");
  return t != nullptr && *t != '\0' && strcmp(t, "0") != 0;
}

}  // namespace lfmfuzz

#define FUZZ_CHECK(cond, what)                                                 \
  do {                                                                         \
    if (!(cond))                                                               \
      ::lfmfuzz::Fail(__FILE__, __LINE__, std::string(#cond) + ": " + (what)); \
  } while (0)

#endif  // LFMPOOL_TESTS_FUZZ_FUZZ_BYTES_H
