// Fuzz target for the 4.4BSD/FreeBSD mpool(3) API (include/mpool.h): each
// input is a program of calls, valid and invalid, on a private MPOOL over
// one data file.
//
// The first bytes choose the page size (256 to 8192), the pages already in
// the file (0 to 8, each stamped with magic, page number and version, and a
// body derived from both), maxcache (1 to 8), an XOR pgin/pgout filter
// keyed by page number (or none, or NULL functions), and maybe a bad
// mpool_open first (page size 0 or over 1 MiB: EINVAL; a pipe: ESPIPE; a
// closed fd: EBADF). Then calls: mpool_get (pinned, again, MPOOL_IGNOREPIN;
// past the end or bad flags: EINVAL); mpool_new with MPOOL_PAGE_NEXT (both
// forms) and MPOOL_PAGE_REQUEST (a page in the pool: EEXIST; past the end:
// the file grows), bad flags: EINVAL; new versions written into pinned
// pages; mpool_put (0, MPOOL_DIRTY, bad flags) also of pointers it never
// returned or does not pin (NULL, the stack, into a page, MPOOL_IGNOREPIN,
// stale: a stale address may be a page pinned now, whose pin it releases);
// mpool_delete of pages pinned once (dropped unwritten), twice (EBUSY), not
// at all (EINVAL); mpool_sync, pins held or not; pins up to 24 past maxcache
// (and once a process, maxcache + 256: mpool.h, README "Limits");
// mpool_close (it writes nothing: dirty pages are dropped), mpool_open again.
//
// The model holds, per page, the set of states it may be in (resident or
// not, flagged dirty or not, what the buffer and the file hold): a set, as
// the pool may or may not have written or dropped an unpinned page. Every
// page returned must be a state it allows (the set then narrows); pinned
// pages keep their bytes and address and do not overlap; every return value
// and errno is exact. After each mpool_sync and mpool_close, and at the end
// (every pin put, mpool_sync, pread), the file must hold what the model
// allows: no page put with MPOOL_DIRTY lost, no deleted or clean change
// written; then each page, pinned once, must delete (no pin leaked).
//
// Run: bash tests/fuzz/fuzz.sh mpool 300 (libFuzzer, ASan+UBSan; faster with
// TEST_TMPDIR=/dev/shm/...). Replay: mpool_fuzz_replay_test, or its binary
// with input files (LFM_FUZZ_TRACE=1 prints every call).
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fuzz_bytes.h"
#include "mpool.h"

// The harness's own byte loops are not worth coverage feedback.
#if defined(__clang__)
#define LFM_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define LFM_NO_COVERAGE
#endif

// A failed check, with the input's parameters and the op it was at.
#define MCHECK(cond, ...) FUZZ_CHECK(cond, Where() + Fmt(__VA_ARGS__))

namespace {

constexpr uint32_t kMagic = 0x504d464cu;  // "LFMP"
constexpr pgno_t kPageSizes[] = {256, 512, 1000, 1024, 4096, 8192};
constexpr unsigned kMaxPages = 300;  // the file stops growing here
constexpr unsigned kFar = 40;        // how far past the end REQUEST goes
constexpr int kMaxOps = 400;
constexpr unsigned kGrowth = 256;  // pages the pool grows past maxcache
// Once pins reach maxcache every miss and put sweeps all frames: inputs
// stay within this many past it.
constexpr unsigned kCrowd = 24;
constexpr pgno_t kNone = UINT_MAX;
// Page values in the caller's (decoded) form: zero bytes (a new page);
// what a read gives where the file has zero bytes or nothing (pgin of
// zero bytes); stamped versions from 2 up.
constexpr uint32_t kZero = 0, kHole = 1, kFirstVersion = 2;

std::string g_dir;  // this process's scratch directory
bool g_trace = false;

struct Filter {
  size_t ps = 0;
  int cookie = 0;  // its address is the pgcookie
  long calls = 0, bad = 0;
} g_filter;

uint64_t Mix(uint64_t x) {  // splitmix64
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
// The codec: XOR with a key stream of the page number, in words (page
// sizes are multiples of 8).
LFM_NO_COVERAGE void XorPage(pgno_t pg, uint8_t *p, size_t len) {
  for (size_t j = 0; j < len / 8; j++) {
    uint64_t w;
    memcpy(&w, p + 8 * j, 8);
    w ^= Mix((uint64_t{pg} << 32) ^ j ^ 0xA5A5000000000000ull);
    memcpy(p + 8 * j, &w, 8);
  }
}
uint32_t Load32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
// pgin decodes in place, pgout encodes (a copy, mpool.h says); a stamped
// page must come with its own page number, and the cookie is ours.
void FilterCheck(void *cookie, pgno_t pg, const uint8_t *p) {
  g_filter.calls++;
  if (cookie != &g_filter.cookie) g_filter.bad++;
  if (Load32(p) == kMagic && Load32(p + 4) != pg) g_filter.bad++;
}
void PgIn(void *cookie, pgno_t pg, void *page) {
  XorPage(pg, static_cast<uint8_t *>(page), g_filter.ps);
  FilterCheck(cookie, pg, static_cast<uint8_t *>(page));
}
void PgOut(void *cookie, pgno_t pg, void *page) {
  FilterCheck(cookie, pg, static_cast<uint8_t *>(page));
  XorPage(pg, static_cast<uint8_t *>(page), g_filter.ps);
}

std::string Fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
std::string Fmt(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  return buf;
}

// One state a page may be in. Not resident: mem 0, not dirty.
struct World {
  bool res, dirty;
  uint32_t mem, disk;
  bool operator==(const World &o) const {
    return res == o.res && dirty == o.dirty && mem == o.mem && disk == o.disk;
  }
};

struct Page {
  std::vector<World> w;
  int pins = 0;
  uint8_t *addr = nullptr;  // while pinned
};

void AddWorld(std::vector<World> *s, World w) {
  if (!w.res) w.mem = 0, w.dirty = false;
  if (std::find(s->begin(), s->end(), w) == s->end()) s->push_back(w);
}
template <typename F>
void Map(Page *p, F f) {  // every state of p through f
  std::vector<World> ws;
  for (const World &w : p->w) AddWorld(&ws, f(w));
  p->w.swap(ws);
}
World Dropped(const World &w) { return World{false, false, 0, w.disk}; }

class Run {
 public:
  Run(const uint8_t *data, size_t size) : b_(data, size) {}
  void Go();

 private:
  size_t N() const { return pages_.size(); }
  off_t Off(size_t pg) const { return static_cast<off_t>(pg) * ps_; }
  uint32_t Hole() const { return codec_ ? kHole : kZero; }
  bool Crowded() const { return pinned_.size() >= maxcache_ + kCrowd; }
  unsigned PutFlags() { return b_.Bit() ? MPOOL_DIRTY : 0; }
  pgno_t PickPinned() {
    return pinned_[b_.Below(static_cast<unsigned>(pinned_.size()))];
  }
  std::string Where() const {
    return Fmt("pagesize %u maxcache %u filter %d, %zu pinned, op %d (%s): ",
               ps_, maxcache_, codec_, pinned_.size(), ops_, op_);
  }
  void Trace(const char *fmt, ...) __attribute__((format(printf, 2, 3))) {
    if (!g_trace) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, (Fmt("[%d] ", ops_) + fmt + "\n").c_str(), ap);
    va_end(ap);
  }

  // The first len bytes (16, the header, or the page size) of value v of
  // page pg, in memory or on disk (pgout of it; a hole is zero bytes on
  // disk, pgin of them in memory).
  LFM_NO_COVERAGE void Gen(pgno_t pg, uint32_t v, bool disk, uint8_t *out,
                           size_t len) const {
    if (v == kZero || v == kHole) {
      memset(out, 0, len);
    } else {
      const uint32_t head[4] = {kMagic, pg, v, kMagic ^ pg ^ v};
      memcpy(out, head, sizeof head);
      for (size_t j = 2; j < len / 8; j++) {
        const uint64_t w = Mix(((uint64_t{v} << 32) | pg) + j * 0x632BE59Bu);
        memcpy(out + 8 * j, &w, 8);
      }
    }
    if (codec_ && (v == kHole ? !disk : disk)) XorPage(pg, out, len);
  }
  LFM_NO_COVERAGE bool Is(pgno_t pg, const uint8_t *b, uint32_t v, bool disk) {
    Gen(pg, v, disk, scratch_.data(), 16);
    if (memcmp(scratch_.data(), b, 16) != 0) return false;
    Gen(pg, v, disk, scratch_.data(), ps_);
    return memcmp(scratch_.data(), b, ps_) == 0;
  }
  std::string Describe(pgno_t pg, const uint8_t *b, bool disk) const {
    uint8_t h[16];
    memcpy(h, b, sizeof h);
    if (disk && codec_) XorPage(pg, h, sizeof h);
    if (Load32(h) == kMagic)
      return Fmt("a stamp of page %u version %u", Load32(h + 4), Load32(h + 8));
    if (std::all_of(b, b + ps_, [](uint8_t c) { return c == 0; }))
      return "zero bytes";
    return Fmt("bytes %02x %02x %02x %02x %02x %02x", b[0], b[1], b[2], b[3],
               b[4], b[5]);
  }
  static std::string List(const std::vector<uint32_t> &vs) {
    std::string r = "{";
    for (uint32_t v : vs)
      r += v == kZero ? " zero" : v == kHole ? " hole" : Fmt(" v%u", v);
    return r + " }";
  }

  // An unpinned page: from now on the pool may write it if dirty, and
  // drop it if clean, at any call.
  void Settle(Page *p) {
    if (p->pins > 0) return;
    for (size_t i = 0; i < p->w.size(); i++) {
      const World w = p->w[i];
      if (w.res && w.dirty) AddWorld(&p->w, World{true, false, w.mem, w.mem});
      if (w.res && !w.dirty) AddWorld(&p->w, World{false, false, 0, w.disk});
    }
  }
  // Bytes a get returned (disk false) or the file holds (true): one of the
  // values some state allows, which leaves the states that allow it.
  void Narrow(pgno_t pg, const uint8_t *b, bool disk, const char *what) {
    Page &p = pages_[pg];
    std::vector<uint32_t> cands;
    for (const World &w : p.w) {
      const uint32_t v = disk || !w.res ? w.disk : w.mem;
      if (std::find(cands.begin(), cands.end(), v) == cands.end())
        cands.push_back(v);
    }
    uint32_t got = kNone;
    for (uint32_t v : cands)
      if (Is(pg, b, v, disk)) got = v;
    MCHECK(got != kNone, "%s: %s page %u is %s, none of %s (pinned %d)", what,
           disk ? "on disk" : "in the pool", pg, Describe(pg, b, disk).c_str(),
           List(cands).c_str(), p.pins);
    std::vector<World> keep;
    for (const World &w : p.w) {
      if (disk && w.disk == got) AddWorld(&keep, w);
      if (!disk && w.res && w.mem == got) AddWorld(&keep, w);
      if (!disk && !w.res && w.disk == got)
        AddWorld(&keep, World{true, false, got, got});  // read in
    }
    p.w.swap(keep);
  }
  // A pinned page holds exactly what was last seen or written there.
  void CheckPinned(pgno_t pg, const char *what) {
    const Page &p = pages_[pg];
    MCHECK(p.pins > 0 && Is(pg, p.addr, p.w[0].mem, false),
           "%s: pinned page %u at %p changed: it is %s, not %s", what, pg,
           static_cast<void *>(p.addr), Describe(pg, p.addr, false).c_str(),
           List({p.w[0].mem}).c_str());
  }
  void CheckNoOverlap(const uint8_t *a) {
    for (pgno_t q : pinned_)
      MCHECK(a + ps_ <= pages_[q].addr || pages_[q].addr + ps_ <= a,
             "a page at %p overlaps pinned page %u at %p",
             static_cast<const void *>(a), q,
             static_cast<void *>(pages_[q].addr));
  }
  // The file (pread) against the model: whole pages, none past the model's
  // last, each one of the values the model allows on disk.
  void CheckFile(const char *what) {
    struct stat st;
    FUZZ_CHECK(fstat(fd_, &st) == 0, strerror(errno));
    MCHECK(st.st_size % ps_ == 0 && st.st_size <= Off(N()),
           "%s: the file has %lld bytes", what,
           static_cast<long long>(st.st_size));
    std::vector<uint8_t> buf(ps_);
    for (pgno_t pg = 0; pg < N(); pg++) {
      const ssize_t r = pread(fd_, buf.data(), ps_, Off(pg));
      FUZZ_CHECK(r >= 0, strerror(errno));
      memset(buf.data() + r, 0, ps_ - r);  // past the end: zero bytes
      Narrow(pg, buf.data(), true, what);
      Settle(&pages_[pg]);
    }
    MCHECK(g_filter.bad == 0, "%s: pgin/pgout: wrong cookie or page", what);
  }

  void Pin(pgno_t pg, uint8_t *a) {  // (a checked by the caller)
    if (pages_[pg].pins++ > 0) return;
    pages_[pg].addr = a;
    pinned_.push_back(pg);
  }
  void Unpinned(pgno_t pg) {  // its last pin went
    pinned_.erase(std::find(pinned_.begin(), pinned_.end(), pg));
    AddStale(pages_[pg].addr);
    Settle(&pages_[pg]);
  }
  void AddStale(uint8_t *a) {
    if (std::find(stale_.begin(), stale_.end(), a) != stale_.end()) return;
    if (stale_.size() >= 16) stale_.erase(stale_.begin());
    stale_.push_back(a);
  }
  pgno_t PinnedAt(const void *a) const {
    for (pgno_t pg : pinned_)
      if (pages_[pg].addr == a) return pg;
    return kNone;
  }
  // mpool_new gave page pg at a: it was not in the pool; now it is, pinned,
  // zero bytes (flagged dirty or not: mpool.h does not say).
  void ApplyNew(pgno_t pg, uint8_t *a) {
    Page &p = pages_[pg];
    std::vector<World> keep;
    for (const World &w : p.w) {
      if (w.res) continue;
      AddWorld(&keep, World{true, false, kZero, w.disk});
      AddWorld(&keep, World{true, true, kZero, w.disk});
    }
    MCHECK(!keep.empty(), "mpool_new gave page %u, which is in the pool", pg);
    p.w.swap(keep);
    CheckNoOverlap(a);
    Pin(pg, a);
    CheckPinned(pg, "mpool_new: contents not zero bytes");
  }
  void AddPages(pgno_t upto) {  // pages the file gains, holes till written
    while (N() <= upto)
      pages_.push_back(Page{{World{false, false, 0, Hole()}}});
  }

  void Open(bool null_filter) {
    errno = 0;
    mp_ = mpool_open(nullptr, fd_, ps_, maxcache_);
    Trace("mpool_open(fd %d, %u, %u) = %p", fd_, ps_, maxcache_,
          static_cast<void *>(mp_));
    MCHECK(mp_ != nullptr, "mpool_open: %s", strerror(errno));
    if (codec_ || null_filter)
      mpool_filter(mp_, codec_ ? PgIn : nullptr, codec_ ? PgOut : nullptr,
                   &g_filter.cookie);
  }
  void BadOpen(unsigned k) {
    static const struct {
      pgno_t ps;
      int fd, want;  // fd: 0 ours, 1 a pipe's read end, 2 its write end,
                     // 3 a closed fd, 4 -1
    } kCases[] = {{0, 0, EINVAL},        {(1u << 20) + 1, 0, EINVAL},
                  {UINT_MAX, 0, EINVAL}, {256, 1, ESPIPE},
                  {4096, 2, ESPIPE},     {256, 3, EBADF},
                  {4096, 4, EBADF}};
    const auto &c = kCases[k % 7];
    int p[2] = {-1, -1}, fd = fd_;
    if (c.fd == 1 || c.fd == 2) FUZZ_CHECK(pipe(p) == 0, strerror(errno));
    if (c.fd == 1 || c.fd == 2) fd = p[c.fd - 1];
    if (c.fd == 3) FUZZ_CHECK((fd = dup(fd_)) >= 0 && close(fd) == 0, "dup");
    if (c.fd == 4) fd = -1;
    errno = 0;
    MPOOL *m = mpool_open(nullptr, fd, c.ps, maxcache_);
    const int e = errno;
    if (p[0] >= 0) close(p[0]), close(p[1]);
    MCHECK(m == nullptr && e == c.want, "bad mpool_open %u: errno %d, not %d",
           k % 7, e, c.want);
  }

  // mpool_get of an existing page (fewer than maxcache + kGrowth pinned:
  // no ENOMEM).
  uint8_t *Get(pgno_t pg, unsigned flags) {
    errno = 0;
    uint8_t *a = static_cast<uint8_t *>(mpool_get(mp_, pg, flags));
    const int e = errno;
    Trace("mpool_get(%u, %#x) = %p errno %d", pg, flags, static_cast<void *>(a),
          e);
    Page &p = pages_[pg];
    MCHECK(a != nullptr, "mpool_get(%u, %#x): errno %d", pg, flags, e);
    MCHECK(p.pins == 0 || a == p.addr, "page %u is pinned at %p, got %p", pg,
           static_cast<void *>(p.addr), static_cast<void *>(a));
    if (p.pins == 0) CheckNoOverlap(a);
    Narrow(pg, a, false, "mpool_get");
    if (!(flags & MPOOL_IGNOREPIN)) {
      Pin(pg, a);
    } else if (p.pins == 0) {
      AddStale(a);
      Settle(&p);
    }
    return a;
  }
  // EINVAL, and nothing changes: mpool_get past the end or with unknown
  // flags, mpool_new with bad flags (*pgnoaddr untouched), mpool_put of a
  // pinned page with bad flags (it stays pinned, unchanged).
  void Invalid() {
    static const pgno_t kAway[] = {1000, 0x7fffffffu, 0xfffffffeu, UINT_MAX};
    static const unsigned kGet[] = {0x2u, 0x4u, MPOOL_IGNOREPIN | 0x2u, 0x100u,
                                    0x80000000u};
    static const unsigned kNew[] = {0u, MPOOL_PAGE_REQUEST | MPOOL_PAGE_NEXT,
                                    0x4u, 0x80u, MPOOL_PAGE_NEXT | 0x100u};
    static const unsigned kPut[] = {0x2u, 0x4u, 0x80u, MPOOL_DIRTY | 0x2u,
                                    0x80000000u};
    const unsigned k = b_.Below(4), f = b_.Below(5);
    if (k == 3 && !pinned_.empty())
      Put(pages_[PickPinned()].addr, kPut[f], "mpool_put with bad flags");
    if (k == 3) return;
    const pgno_t before = static_cast<pgno_t>(N()) + b_.Below(4);
    pgno_t pg = k == 0 && f < 4 ? kAway[f] : before;
    if (k == 1 && N() > 0) pg = b_.Below(static_cast<unsigned>(N()));
    const unsigned flags = k == 0   ? (f & 1) * MPOOL_IGNOREPIN
                           : k == 1 ? kGet[f]
                                    : kNew[f];
    errno = 0;
    void *a = k < 2 ? mpool_get(mp_, pg, flags) : mpool_new(mp_, &pg, flags);
    const int e = errno;
    MCHECK(a == nullptr && e == EINVAL && (k < 2 || pg == before),
           "%s(%u, %#x) = %p errno %d", k < 2 ? "mpool_get" : "mpool_new", pg,
           flags, a, e);
  }

  void Modify() {  // a new version (or zero bytes) into a pinned page
    if (pinned_.empty()) return;
    const pgno_t pg = PickPinned();
    Page &p = pages_[pg];
    CheckPinned(pg, "before writing");
    const uint32_t v = b_.Below(8) == 0 ? kZero : version_++;
    Gen(pg, v, false, p.addr, ps_);
    Map(&p, [v](const World &w) { return World{true, w.dirty, v, w.disk}; });
    Trace("write page %u: %s", pg, List({v}).c_str());
  }
  // mpool_put of any pointer: the start of a page pinned now loses one pin
  // (if the flags are good); anything else is EINVAL and changes nothing.
  void Put(void *a, unsigned flags, const char *what) {
    const pgno_t pg = PinnedAt(a);
    if (pg != kNone) CheckPinned(pg, what);
    errno = 0;
    const int rc = mpool_put(mp_, a, flags);
    const int e = errno;
    Trace("%s: mpool_put(%p = page %d, %#x) = %d errno %d", what, a,
          static_cast<int>(pg), flags, rc, e);
    if (pg == kNone || (flags & ~MPOOL_DIRTY) != 0) {
      MCHECK(rc == -1 && e == EINVAL, "%s: mpool_put(%p, %#x) = %d errno %d",
             what, a, flags, rc, e);
      if (pg != kNone) CheckPinned(pg, what);
      return;
    }
    MCHECK(rc == 0, "%s: mpool_put of pinned page %u: errno %d", what, pg, e);
    Page &p = pages_[pg];
    if (flags & MPOOL_DIRTY)
      Map(&p, [](const World &w) { return World{true, true, w.mem, w.disk}; });
    if (--p.pins == 0) Unpinned(pg);
  }
  void PutOne() {
    if (!pinned_.empty()) Put(pages_[PickPinned()].addr, PutFlags(), "put");
  }
  // mpool_delete of any pointer: a page pinned once now is dropped
  // unwritten; pinned twice, EBUSY; anything else, EINVAL.
  void Delete(void *a, const char *what) {
    const pgno_t pg = PinnedAt(a);
    if (pg != kNone) CheckPinned(pg, what);
    errno = 0;
    const int rc = mpool_delete(mp_, a);
    const int e = errno;
    Trace("%s: mpool_delete(%p = page %d) = %d errno %d", what, a,
          static_cast<int>(pg), rc, e);
    const int want = pg == kNone ? EINVAL : pages_[pg].pins > 1 ? EBUSY : 0;
    MCHECK(want == 0 ? rc == 0 : rc == -1 && e == want,
           "%s: mpool_delete(%p) = %d errno %d, not errno %d", what, a, rc, e,
           want);
    if (pg == kNone) return;
    if (want != 0) return CheckPinned(pg, what);
    Page &p = pages_[pg];
    Map(&p, Dropped);
    p.pins = 0;
    Unpinned(pg);
  }
  // Pointers the pool did not return, or does not pin (MPOOL_IGNOREPIN,
  // stale).
  void BadPointer() {
    uint8_t local[64] = {0};
    void *a = nullptr;
    const unsigned k = b_.Below(6);
    if (k == 0) a = local;
    if (k == 1) a = &g_filter;
    if (k == 2 && !pinned_.empty())
      a = pages_[PickPinned()].addr + 1 + b_.Below(ps_ - 1);
    if (k == 3 && N() > 0) {
      const pgno_t pg = b_.Below(static_cast<unsigned>(N()));
      if (pages_[pg].pins == 0) a = Get(pg, MPOOL_IGNOREPIN);
    }
    if (k >= 4 && !stale_.empty())
      a = stale_[b_.Below(static_cast<unsigned>(stale_.size()))];
    if (b_.Bit()) return Put(a, PutFlags(), "put of a pointer not pinned");
    Delete(a, "delete of a pointer not pinned");
  }

  void NewNext(bool two_args) {
    if (N() >= kMaxPages) return;
    pgno_t pg = 0xdeadbeefu;
    errno = 0;
    uint8_t *a = static_cast<uint8_t *>(
        two_args ? mpool_new(mp_, &pg) : mpool_new(mp_, &pg, MPOOL_PAGE_NEXT));
    const int e = errno;
    Trace("mpool_new(NEXT%s) = %p page %u errno %d", two_args ? ", 2 args" : "",
          static_cast<void *>(a), pg, e);
    MCHECK(a != nullptr && pg == N(), "MPOOL_PAGE_NEXT: page %u, errno %d", pg,
           e);
    AddPages(pg);
    ApplyNew(pg, a);
  }
  void NewRequest() {
    const unsigned n = static_cast<unsigned>(N()), k = b_.Below(4);
    pgno_t pg = n + b_.Below(k == 2 ? 4 : kFar);
    if (k == 0 && !pinned_.empty()) pg = PickPinned();
    if (k == 1 && n > 0) pg = b_.Below(n);
    if (pg >= kMaxPages) return;
    if (Crowded() && (pg >= n || pages_[pg].pins == 0)) return PutOne();
    pgno_t req = pg;
    errno = 0;
    uint8_t *a =
        static_cast<uint8_t *>(mpool_new(mp_, &req, MPOOL_PAGE_REQUEST));
    const int e = errno;
    Trace("mpool_new(REQUEST %u) = %p errno %d", pg, static_cast<void *>(a), e);
    MCHECK(req == pg, "REQUEST %u changed *pgnoaddr to %u", pg, req);
    if (pg < n && a == nullptr) {  // in the pool now
      Page &p = pages_[pg];
      MCHECK(e == EEXIST, "REQUEST %u (pinned %d): errno %d", pg, p.pins, e);
      std::vector<World> keep;
      for (const World &w : p.w)
        if (w.res) AddWorld(&keep, w);
      MCHECK(!keep.empty(), "REQUEST %u: EEXIST, page not in the pool", pg);
      p.w.swap(keep);
      return Settle(&p);
    }
    MCHECK(a != nullptr, "REQUEST %u of %u pages: errno %d", pg, n, e);
    MCHECK(pg >= n || pages_[pg].pins == 0, "REQUEST of pinned %u worked", pg);
    AddPages(pg);
    ApplyNew(pg, a);
  }

  // mpool_sync writes every page flagged dirty, pinned or not; pgout works
  // on a copy, so pinned pages keep their bytes.
  void Sync(const char *what) {
    errno = 0;
    const int rc = mpool_sync(mp_);
    const int e = errno;
    Trace("%s: mpool_sync = %d errno %d", what, rc, e);
    MCHECK(rc == 0, "%s: errno %d (%s)", what, e, strerror(e));
    for (Page &p : pages_) {
      Map(&p, [](const World &w) {
        return w.dirty ? World{true, false, w.mem, w.mem} : w;
      });
      Settle(&p);
    }
    CheckFile(what);
    for (pgno_t pg : pinned_) CheckPinned(pg, what);
  }
  void ReleaseAll() {
    while (!pinned_.empty())
      Put(pages_[pinned_.back()].addr, PutFlags(), "release");
  }
  // mpool_close with no pins (after a sync or not: it writes nothing, dirty
  // pages are lost) and mpool_open again: the file's whole pages are the
  // pool's. Stale pointers stay: the new pool may reuse the addresses.
  void Reopen() {
    ReleaseAll();
    if (b_.Bit()) Sync("mpool_sync before mpool_close");
    errno = 0;
    const int rc = mpool_close(mp_);
    Trace("mpool_close = %d errno %d", rc, errno);
    MCHECK(rc == 0, "mpool_close: %s", strerror(errno));
    mp_ = nullptr;
    for (Page &p : pages_) Map(&p, Dropped);
    CheckFile("after mpool_close");
    struct stat st;
    FUZZ_CHECK(fstat(fd_, &st) == 0, strerror(errno));
    pages_.resize(static_cast<size_t>(st.st_size) / ps_);
    if (b_.Bit()) {
      FUZZ_CHECK(close(fd_) == 0, strerror(errno));
      fd_ = open(path_.c_str(), O_RDWR);
      FUZZ_CHECK(fd_ >= 0, path_ + ": " + strerror(errno));
    }
    maxcache_ = 1 + b_.Below(8);
    Open(b_.Bit());
  }
  void Burst() {  // distinct pages pinned: existing ones, then new ones
    const unsigned count = 1 + b_.Below(2 * maxcache_ + 8);
    pgno_t next = 0;
    for (unsigned k = 0; k < count && !Crowded() && N() < kMaxPages; k++) {
      while (next < N() && pages_[next].pins > 0) next++;
      next < N() ? static_cast<void>(Get(next, 0)) : NewNext(false);
    }
  }

  void Step();
  void End();

  lfmfuzz::Bytes b_;
  std::string path_;
  int fd_ = -1;
  MPOOL *mp_ = nullptr;
  pgno_t ps_ = 0, maxcache_ = 1;
  bool codec_ = false;
  std::vector<Page> pages_;
  std::vector<pgno_t> pinned_;  // pages pinned now, each once
  std::vector<uint8_t *> stale_;
  uint32_t version_ = kFirstVersion;
  int ops_ = 0;
  const char *op_ = "start";
  std::vector<uint8_t> scratch_;
};

void Run::Step() {
  // The ops, by their share (out of 32) of the op byte's values.
  static const struct {
    unsigned share;
    const char *name;
  } kOps[] = {{6, "mpool_get"},    {1, "mpool_get MPOOL_IGNOREPIN"},
              {3, "EINVAL"},       {3, "write"},
              {5, "mpool_put"},    {3, "bad pointer"},
              {2, "NEXT"},         {2, "REQUEST"},
              {2, "mpool_delete"}, {3, "mpool_sync (or rarely reopen)"},
              {1, "burst"},        {1, "release all"}};
  unsigned k = b_.Below(32), i = 0;
  while (k >= kOps[i].share) k -= kOps[i++].share;
  op_ = kOps[i].name;
  const unsigned n = static_cast<unsigned>(N());
  const bool pin = i == 0 && !pinned_.empty() && b_.Below(4) == 0;
  const pgno_t pg = pin ? PickPinned() : i < 2 && n > 0 ? b_.Below(n) : 0;
  switch (i) {
    case 0:  // (Crowded: a new pin would sweep all frames; put one instead)
      if (n == 0) return;
      return pages_[pg].pins == 0 && Crowded() ? PutOne() : (void)Get(pg, 0);
    case 1:
      if (n > 0) Get(pg, MPOOL_IGNOREPIN);
      return;
    case 2:
      return Invalid();
    case 3:
      return Modify();
    case 4:
      return PutOne();
    case 5:
      return BadPointer();
    case 6:
      return Crowded() ? PutOne() : NewNext(b_.Bit());
    case 7:
      return NewRequest();
    case 8:
      if (!pinned_.empty()) Delete(pages_[PickPinned()].addr, op_);
      return;
    case 9:  // (reopen rarely: each pool costs a region, which ASan zeroes)
      return k == 2 && b_.Below(4) == 0 ? Reopen() : Sync(op_);
    case 10:
      return Burst();
    default:
      return ReleaseAll();
  }
}

// Every pin put, the file synced and checked; no pin leaked (each page,
// pinned once, can be deleted); the pool closed, the file checked again.
void Run::End() {
  op_ = "end";
  ReleaseAll();
  for (size_t i = 0; i < stale_.size(); i++)
    Put(stale_[i], PutFlags(), "end: mpool_put of a stale pointer");
  Sync("end: mpool_sync");
  for (pgno_t pg = 0; pg < N(); pg++)
    Delete(Get(pg, 0), "end: mpool_delete (a pin leaked?)");
  errno = 0;
  MCHECK(mpool_close(mp_) == 0, "mpool_close: %s", strerror(errno));
  CheckFile("end: after mpool_close");
  MCHECK(codec_ || g_filter.calls == 0, "pgin/pgout called with no filter");
  FUZZ_CHECK(close(fd_) == 0 && unlink(path_.c_str()) == 0, strerror(errno));
}

void Run::Go() {
  ps_ = kPageSizes[b_.Below(sizeof kPageSizes / sizeof kPageSizes[0])];
  const unsigned npages = b_.Below(9);
  maxcache_ = 1 + b_.Below(8);
  const uint8_t mode = b_.U8();
  codec_ = (mode & 1) != 0;
  g_filter = Filter();
  g_filter.ps = ps_;
  scratch_.resize(ps_);
  path_ = g_dir + "/mpool.db";
  fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  FUZZ_CHECK(fd_ >= 0, path_ + ": " + strerror(errno));
  std::vector<uint8_t> buf(ps_);
  for (pgno_t pg = 0; pg < npages; pg++) {
    Gen(pg, version_, true, buf.data(), ps_);
    FUZZ_CHECK(
        pwrite(fd_, buf.data(), ps_, Off(pg)) == static_cast<ssize_t>(ps_),
        strerror(errno));
    pages_.push_back(Page{{World{false, false, 0, version_++}}});
  }
  if (mode & 2) BadOpen(mode >> 2);
  Open((mode & 0x80) != 0);
  while (!b_.Done() && ops_ < kMaxOps) {
    ops_++;
    Step();
  }
  End();
}

// Once a process (past maxcache each pin sweeps every frame: too slow for
// every input): maxcache + kGrowth new pages pin at once, apart, and are
// put dirty and synced.
void GrowthCheck(pgno_t ps, pgno_t maxcache) {
  const std::string path = g_dir + "/growth.db";
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
  MPOOL *mp = fd >= 0 ? mpool_open(nullptr, fd, ps, maxcache) : nullptr;
  FUZZ_CHECK(mp != nullptr, path + ": " + strerror(errno));
  std::vector<uint8_t *> pins;
  for (pgno_t i = 0; i < maxcache + kGrowth; i++) {
    pgno_t pg = kNone;
    errno = 0;
    pins.push_back(static_cast<uint8_t *>(mpool_new(mp, &pg, MPOOL_PAGE_NEXT)));
    FUZZ_CHECK(pins.back() != nullptr && pg == i,
               Fmt("growth: pagesize %u maxcache %u, %u pinned: errno %d", ps,
                   maxcache, i, errno));
  }
  std::vector<uint8_t *> sorted = pins;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 1; i < sorted.size(); i++)
    FUZZ_CHECK(sorted[i] >= sorted[i - 1] + ps, "growth: pages overlap");
  for (uint8_t *a : pins)
    FUZZ_CHECK(mpool_put(mp, a, MPOOL_DIRTY) == 0, "growth: mpool_put");
  FUZZ_CHECK(mpool_sync(mp) == 0 && mpool_close(mp) == 0 && close(fd) == 0 &&
                 unlink(path.c_str()) == 0,
             Fmt("growth: sync, close: %s", strerror(errno)));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  g_dir = lfmfuzz::ScratchDir("lfm-mpool-fuzz");
  g_trace = lfmfuzz::TraceOn();
  GrowthCheck(256, 1);
  GrowthCheck(4096, 8);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (g_dir.empty()) LLVMFuzzerInitialize(nullptr, nullptr);
  Run(data, size).Go();
  return 0;
}
