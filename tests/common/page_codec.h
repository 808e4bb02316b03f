// Invariant-carrying pages for the write-back crash and stress tests (the
// memp_stress_test.cc pattern): bytes 0..3 the page id, 4..7 a version,
// 8..11 a checksum of the body, 12..15 zero, then 64-bit words that are a
// function of (id, version, index). A torn, stale or misplaced page fails
// CheckPage or shows the wrong version.
#ifndef LFMPOOL_TESTS_PAGE_CODEC_H
#define LFMPOOL_TESTS_PAGE_CODEC_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <string>

namespace lfmtest {
namespace codec {

constexpr size_t kHeader = 16;

inline uint64_t BodyWord(uint32_t id, uint32_t version, size_t j) {
  uint64_t z = (static_cast<uint64_t>(id) << 32 | version) +
               (static_cast<uint64_t>(j) + 1) * 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline uint64_t Mix(uint64_t h, uint64_t w) {
  h ^= w;
  return (h << 7 | h >> 57) * 0x100000001B3ULL;
}

inline uint32_t Fold(uint64_t h) {
  return static_cast<uint32_t>(h ^ (h >> 32));
}

inline void Put32(uint8_t *p, uint32_t v) { memcpy(p, &v, sizeof v); }
inline uint32_t Get32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

inline void FillPage(void *page, size_t ps, uint32_t id, uint32_t version) {
  uint8_t *p = static_cast<uint8_t *>(page);
  uint64_t h = 0;
  for (size_t off = kHeader, j = 0; off + 8 <= ps; off += 8, j++) {
    const uint64_t w = BodyWord(id, version, j);
    memcpy(p + off, &w, sizeof w);
    h = Mix(h, w);
  }
  Put32(p, id);
  Put32(p + 4, version);
  Put32(p + 8, Fold(h));
  Put32(p + 12, 0);
}

inline bool AllZeroBytes(const void *page, size_t n) {
  const uint8_t *p = static_cast<const uint8_t *>(page);
  for (size_t i = 0; i < n; i++)
    if (p[i] != 0) return false;
  return true;
}

// True if the page is a whole, valid page `id`; *version gets its version.
inline bool CheckPage(const void *page, size_t ps, uint32_t id,
                      uint32_t *version, std::string *why) {
  const uint8_t *p = static_cast<const uint8_t *>(page);
  const uint32_t got = Get32(p), ver = Get32(p + 4);
  const std::string what =
      "page " + std::to_string(id) + " version " + std::to_string(ver);
  if (got != id) {
    *why = what + ": holds page id " + std::to_string(got);
    return false;
  }
  uint64_t h = 0;
  size_t bad = 0;
  for (size_t off = kHeader, j = 0; off + 8 <= ps; off += 8, j++) {
    uint64_t w;
    memcpy(&w, p + off, sizeof w);
    if (w != BodyWord(id, ver, j) && bad == 0) bad = off;
    h = Mix(h, w);
  }
  if (Get32(p + 8) != Fold(h) || Get32(p + 12) != 0) {
    *why = what + ": bad checksum";
    return false;
  }
  if (bad != 0) {
    *why = what + ": body differs at byte " + std::to_string(bad);
    return false;
  }
  *version = ver;
  return true;
}

// splitmix64
struct Rng {
  uint64_t s;
  explicit Rng(uint64_t seed) : s(seed) {}
  uint64_t Next() {
    uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }
};

}  // namespace codec
}  // namespace lfmtest

#endif  // LFMPOOL_TESTS_PAGE_CODEC_H
