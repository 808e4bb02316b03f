// Pages that carry a version, for the tests of processes killed while they
// write: `started` counts a write before it begins, `finished` once its
// memp_fput(DIRTY) returned, in memory every process shares (an anonymous
// MAP_SHARED mapping made before the first fork). A page holds its version
// in its first 8 bytes, written first, then a body derived from page and
// version: a page read (from the pool or the disk) must hold its last
// finished version, or the one a write cut short had begun, and a page at
// its finished version must be whole.
#ifndef LFMPOOL_TESTS_SHARED_VERSIONED_PAGES_H
#define LFMPOOL_TESTS_SHARED_VERSIONED_PAGES_H

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <atomic>
#include <new>
#include <string>

namespace lfmtest {

template <uint32_t kPages>
struct Versions {
  std::atomic<uint64_t> started[kPages];
  std::atomic<uint64_t> finished[kPages];

  // A fresh set in shared anonymous memory (nullptr if mmap failed).
  static Versions *Create() {
    void *m = mmap(nullptr, sizeof(Versions), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    return m == MAP_FAILED ? nullptr : new (m) Versions();
  }
  static void Destroy(Versions *v) {
    if (v != nullptr) munmap(v, sizeof(Versions));
  }
};

inline uint8_t BodyByte(uint32_t pgno, uint64_t version, size_t i) {
  return static_cast<uint8_t>((pgno * 131u) ^ (version * 7u) ^ (i * 13u) ^
                              (i >> 8));
}

inline void WriteVersioned(void *page, size_t pagesize, uint32_t pgno,
                           uint64_t version) {
  // The version first (one store), then the body: a page whose version is
  // its last finished one was not touched by a write cut short.
  __atomic_store_n(static_cast<uint64_t *>(page), version, __ATOMIC_RELAXED);
  uint8_t *b = static_cast<uint8_t *>(page);
  for (size_t i = sizeof(uint64_t); i < pagesize; i++)
    b[i] = BodyByte(pgno, version, i);
}

inline uint64_t VersionOf(const void *page) {
  uint64_t v;
  memcpy(&v, page, sizeof v);
  return v;
}

// "" if the page (as read) is acceptable given its counters, else why not.
inline std::string JudgeVersioned(const void *page, size_t pagesize,
                                  uint32_t pgno, uint64_t finished,
                                  uint64_t started) {
  uint64_t v = VersionOf(page);
  if (v < finished || v > started)
    return "page " + std::to_string(pgno) + " holds version " +
           std::to_string(v) + ", finished " + std::to_string(finished) +
           ", started " + std::to_string(started);
  if (v == finished) {
    const uint8_t *b = static_cast<const uint8_t *>(page);
    for (size_t i = sizeof(uint64_t); i < pagesize; i++)
      if (b[i] != BodyByte(pgno, v, i))
        return "page " + std::to_string(pgno) + " at version " +
               std::to_string(v) + " differs at byte " + std::to_string(i);
  }
  return "";
}

}  // namespace lfmtest

#endif  // LFMPOOL_TESTS_SHARED_VERSIONED_PAGES_H
