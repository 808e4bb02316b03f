// Model-based random test of the 4.4BSD/FreeBSD mpool(3) API (mpool.h),
// bad input included.
//
// One thread drives an MPOOL over a real file with a small maxcache (1 to 4
// pages) and a random page size, with a random mix of valid and invalid
// calls: mpool_get of existing pages (pinned, pinned twice, MPOOL_IGNOREPIN),
// of pages past the end and with unknown flags; mpool_new with
// MPOOL_PAGE_NEXT (three- and two-argument forms) and MPOOL_PAGE_REQUEST (of
// pinned pages: EEXIST, of other existing pages, past the end: the file
// grows), and with bad flags; mpool_put with 0 or MPOOL_DIRTY after new
// versions were written into pinned pages, and bad puts (pointers never
// returned, into a page, stale, NULL, unknown flags); mpool_delete of pages
// pinned once (dropped unwritten) and twice (EBUSY), and of unpinned
// pointers (EINVAL); mpool_sync with pins held; more distinct pages pinned
// than maxcache (the pool grows); closing and reopening the pool over the
// same file. One round runs through an XOR pgin/pgout filter.
//
// The model holds, for every page, what a get returns and what the file may
// hold (a set: a dirty page may have been written at eviction, or not), and
// every pin the test holds. Each call's result and errno are checked against
// mpool.h, every pinned page against the model when it is put, and after
// every mpool_sync the file: pages whose latest contents were put with
// MPOOL_DIRTY (pinned or not) must be on disk exactly. A round ends by
// releasing every pin, syncing, checking the file byte for byte, checking
// that no pin leaked (mpool_delete of each page pinned once succeeds, which
// is EBUSY with a second pin) and that maxcache pages pin at once, and
// mpool_close.
//
// Env: LFM_SEED (default kDefaultSeed), LFM_MODEL_OPS (ops per round),
// LFM_MODEL_TRACE=1 (print every call). Seed and op count are printed.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "model_driver.h"
#include "tests/common/test_util.h"  // (db_mpool.h first, as mpool.h asks)
#include "mpool.h"

namespace lfmtest {
namespace {

constexpr unsigned long long kDefaultSeed = 0x3b5d0011ULL;
constexpr unsigned long long kDefaultOps = 2500;
constexpr int kRounds = 6;
constexpr uint8_t kKey = 0x3C;    // the filter's XOR byte
constexpr pgno_t kMaxPages = 48;  // the file stops growing here
// Distinct pages pinned at most: maxcache plus this (the pool grows up to
// 256 pages past maxcache, README "Limits").
constexpr size_t kExtraPins = 6;
constexpr pgno_t kPageSizes[] = {256, 1000, 4096};

// ------------------------------------------------------------ the filter

struct FilterState {
  size_t ps = 0;
  int cookie = 0;  // its address is the pgcookie
  int bad_cookie = 0;
  long pgin = 0;
  long pgout = 0;
};
FilterState g_flt;

void XorPage(void *page) {
  uint8_t *p = static_cast<uint8_t *>(page);
  for (size_t i = 0; i < g_flt.ps; i++) p[i] ^= kKey;
}
void FilterIn(void *cookie, pgno_t, void *page) {
  if (cookie != &g_flt.cookie) g_flt.bad_cookie++;
  g_flt.pgin++;
  XorPage(page);
}
void FilterOut(void *cookie, pgno_t, void *page) {
  if (cookie != &g_flt.cookie) g_flt.bad_cookie++;
  g_flt.pgout++;
  XorPage(page);
}

// ------------------------------------------------------------ the model

// What a page holds as the caller sees it: pattern bytes of a version, or
// one fill byte.
struct Val {
  bool pattern = false;
  uint32_t v = 0;
  bool operator==(const Val &o) const {
    return pattern == o.pattern && v == o.v;
  }
};

Val Pattern(uint32_t version) { return Val{true, version}; }
Val Fill(uint8_t b) { return Val{false, b}; }

struct PageModel {
  // false after mpool_delete: the next read returns one of `disk`.
  bool known = true;
  Val cur;
  // What the file may hold for the page (in the caller's form: pgin of it).
  std::vector<Val> disk;
  // cur was written into the page while pinned and not yet put with
  // MPOOL_DIRTY (nor seen on disk): the last put of it must say DIRTY.
  bool owed = false;
  // Put with MPOOL_DIRTY since the last sync: an eviction may write it.
  bool maybe_dirty = false;
};

struct Pin {
  pgno_t pgno;
  void *addr;
};

struct Counts {
  long get = 0, get_twice = 0, get_ignorepin = 0, get_elastic = 0;
  long get_missing = 0, new_next = 0, new_request = 0, new_request_eexist = 0;
  long new_request_past_end = 0, put = 0, put_dirty = 0, modify = 0;
  long del = 0, del_ebusy = 0, reread_after_delete = 0, bad = 0, sync = 0;
  long sync_pinned = 0, reopen = 0, max_pinned = 0;
};

class MpoolModelTest : public ::testing::Test, protected ModelDriver {
 protected:
  void TearDown() override {
    if (mp_ != nullptr) {
      EXPECT_EQ(mpool_close(mp_), 0);
    }
    mp_ = nullptr;
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // ------------------------------------------------------------ helpers

  // What a read of a page the file does not hold gives: zero bytes, through
  // pgin on the filter round.
  Val Hole() const { return Fill(codec_ ? kKey : 0); }
  std::vector<uint8_t> MemBytes(pgno_t pg, const Val &v) const {
    if (v.pattern) return PatternPage(pg, ps_, v.v);
    return std::vector<uint8_t>(ps_, static_cast<uint8_t>(v.v));
  }
  std::vector<uint8_t> DiskBytes(pgno_t pg, const Val &v) const {
    std::vector<uint8_t> b = MemBytes(pg, v);
    return codec_ ? Xor(b, kKey) : b;
  }
  static std::string Describe(const Val &v) {
    return v.pattern ? "pattern v" + std::to_string(v.v)
                     : "fill " + std::to_string(v.v);
  }
  std::string DescribeSet(const std::vector<Val> &s) const {
    std::string r = "{";
    for (const Val &v : s) r += " " + Describe(v);
    return r + " }";
  }
  // Which of `cands` the bytes are, or -1.
  int Match(pgno_t pg, const uint8_t *bytes, const std::vector<Val> &cands,
            bool disk) const {
    for (size_t i = 0; i < cands.size(); i++) {
      std::vector<uint8_t> b =
          disk ? DiskBytes(pg, cands[i]) : MemBytes(pg, cands[i]);
      if (memcmp(b.data(), bytes, ps_) == 0) return static_cast<int>(i);
    }
    return -1;
  }
  std::string Head(const uint8_t *b) const {
    char buf[8];
    std::string r;
    for (size_t i = 0; i < 12 && i < ps_; i++) {
      snprintf(buf, sizeof buf, "%02x ", b[i]);
      r += buf;
    }
    return r;
  }
  static void AddCand(std::vector<Val> *s, const Val &v) {
    if (std::find(s->begin(), s->end(), v) == s->end()) s->push_back(v);
  }
  int PinCount(pgno_t pg) const {
    int n = 0;
    for (const Pin &p : pins_) n += (p.pgno == pg);
    return n;
  }
  const Pin *PinOf(pgno_t pg) const {
    for (const Pin &p : pins_)
      if (p.pgno == pg) return &p;
    return nullptr;
  }
  size_t DistinctPinned() const {
    std::set<pgno_t> s;
    for (const Pin &p : pins_) s.insert(p.pgno);
    return s.size();
  }
  bool IsPinnedAddr(const void *a) const {
    for (const Pin &p : pins_)
      if (p.addr == a) return true;
    return false;
  }
  size_t Cap() const { return maxcache_ + kExtraPins; }
  void Stale(void *addr) {
    if (IsPinnedAddr(addr)) return;
    if (std::find(stale_.begin(), stale_.end(), addr) != stale_.end()) return;
    if (stale_.size() >= 32) stale_.erase(stale_.begin());
    stale_.push_back(addr);
  }

  // A page the test holds (pinned, or just returned with IGNOREPIN) against
  // the model; an unknown page (deleted) must be one of its disk values,
  // and is that one from now on.
  void CheckPage(pgno_t pg, const void *addr, const char *what) {
    PageModel &m = pages_[pg];
    const uint8_t *b = static_cast<const uint8_t *>(addr);
    if (m.known) {
      std::vector<uint8_t> want = MemBytes(pg, m.cur);
      if (memcmp(want.data(), b, ps_) != 0) {
        size_t i = 0;
        while (i < ps_ && want[i] == b[i]) i++;
        ADD_FAILURE() << Where() << ": " << what << ": page " << pg
                      << " is not " << Describe(m.cur) << " (first difference"
                      << " at byte " << i << "; starts " << Head(b) << ")";
      }
      return;
    }
    const int k = Match(pg, b, m.disk, false);
    if (k < 0) {
      ADD_FAILURE() << Where() << ": " << what << ": page " << pg
                    << " (read again after mpool_delete) is none of "
                    << DescribeSet(m.disk) << " (starts " << Head(b) << ")";
      return;
    }
    counts_.reread_after_delete++;
    m.known = true;
    m.cur = m.disk[k];
    m.disk = {m.cur};
  }

  // The file against the model right after a successful mpool_sync (or
  // with the pool closed after one): every page not owed is exactly cur;
  // the others one of their disk values (or cur). Collapses the disk sets.
  void CheckDisk(const char *what) {
    const long long size = FileSize(path_);
    EXPECT_EQ(size % static_cast<long long>(ps_), 0)
        << Where() << ": " << what << ": file size " << size;
    EXPECT_LE(size, static_cast<long long>(n_) * ps_)
        << Where() << ": " << what << ": file larger than its " << n_
        << " pages";
    for (pgno_t pg = 0; pg < n_; pg++) {
      PageModel &m = pages_[pg];
      std::vector<uint8_t> got = ReadPage(path_, pg, ps_);
      got.resize(ps_, 0);  // past the end: a hole reads as zeroes
      std::vector<Val> cands;
      if (m.known && !m.owed) {
        cands = {m.cur};
      } else {
        cands = m.disk;
        if (m.known) AddCand(&cands, m.cur);
      }
      const int k = Match(pg, got.data(), cands, true);
      if (k < 0) {
        ADD_FAILURE() << Where() << ": " << what << ": on disk, page " << pg
                      << " is none of " << DescribeSet(cands)
                      << (codec_ ? " (through the XOR filter)" : "")
                      << " (pinned " << PinCount(pg) << "x, owed " << m.owed
                      << "; starts " << Head(got.data()) << ")";
        continue;
      }
      m.disk = {cands[k]};
      if (m.known && m.owed && cands[k] == m.cur) m.owed = false;
      m.maybe_dirty = false;
    }
  }

  // ------------------------------------------------------------ set-up

  void OpenMp() {
    maxcache_ = 1 + Rand(4);
    errno = 0;
    mp_ = mpool_open(nullptr, fd_, ps_, maxcache_);
    Trace("mpool_open fd %d pagesize %u maxcache %zu -> %p", fd_, ps_,
          maxcache_, static_cast<void *>(mp_));
    ASSERT_NE(mp_, nullptr) << Where() << ": " << strerror(errno);
    if (codec_) mpool_filter(mp_, FilterIn, FilterOut, &g_flt.cookie);
  }

  void StartRound() {
    ps_ = kPageSizes[Rand(3)];
    codec_ = round_ == codec_round_;
    g_flt = FilterState();
    g_flt.ps = ps_;
    path_ = dir_.File("round" + std::to_string(round_) + ".db");
    n_ = Rand(6);
    pages_.assign(n_, PageModel());
    std::vector<uint8_t> all;
    for (pgno_t pg = 0; pg < n_; pg++) {
      PageModel &m = pages_[pg];
      m.cur = Pattern(++version_);
      m.disk = {m.cur};
      std::vector<uint8_t> img = DiskBytes(pg, m.cur);
      all.insert(all.end(), img.begin(), img.end());
    }
    ASSERT_TRUE(WriteAll(path_, all.data(), all.size())) << path_;
    fd_ = ::open(path_.c_str(), O_RDWR);
    ASSERT_GE(fd_, 0) << strerror(errno);
    pins_.clear();
    stale_.clear();
    Trace("round: pagesize %u, %u pages, filter %d", ps_, n_, codec_);
    ASSERT_NO_FATAL_FAILURE(OpenMp());
  }

  // ------------------------------------------------------------ ops

  // mpool_get (pinned or IGNOREPIN) of an existing page.
  void OpGet(bool ignorepin) {
    if (n_ == 0) return OpNewNext();
    pgno_t pg = Rand(n_);
    if (!pins_.empty() && Rand(3) == 0)
      pg = pins_[Rand(static_cast<unsigned>(pins_.size()))].pgno;
    const int pinned = PinCount(pg);
    if (!ignorepin && pinned == 0 && DistinctPinned() >= Cap()) return OpPut();
    const bool elastic = pinned == 0 && DistinctPinned() >= maxcache_;
    const unsigned flags = ignorepin ? MPOOL_IGNOREPIN : 0;
    errno = 0;
    void *p = mpool_get(mp_, pg, flags);
    const int e = errno;
    Trace("mpool_get %u flags %u -> %p (pinned %dx, %zu distinct)", pg, flags,
          p, pinned, DistinctPinned());
    ASSERT_NE(p, nullptr) << Where() << ": mpool_get " << pg << " of " << n_
                          << " pages, flags " << flags << ", "
                          << DistinctPinned() << " pages pinned, maxcache "
                          << maxcache_ << ": errno " << e << " (" << strerror(e)
                          << ")";
    if (pinned > 0) {
      EXPECT_EQ(p, PinOf(pg)->addr)
          << Where() << ": page " << pg << " has two addresses";
    }
    counts_.get++;
    counts_.get_twice += pinned > 0 && !ignorepin;
    counts_.get_ignorepin += ignorepin;
    counts_.get_elastic += elastic && !ignorepin;
    CheckPage(pg, p, ignorepin ? "mpool_get IGNOREPIN" : "mpool_get");
    if (ignorepin) {
      Stale(p);
    } else {
      pins_.push_back({pg, p});
    }
  }

  // mpool_get past the end: NULL, EINVAL.
  void OpGetMissing() {
    static const pgno_t kFar[] = {1000, 0x7fffffffu, 0xfffffffeu, 0xffffffffu};
    pgno_t pg = Rand(2) ? n_ + Rand(3) : kFar[Rand(4)];
    if (pg < n_) pg = n_;
    const unsigned flags = Rand(2) ? MPOOL_IGNOREPIN : 0;
    errno = 0;
    void *p = mpool_get(mp_, pg, flags);
    const int e = errno;
    Trace("mpool_get missing %u flags %u -> %p errno %d", pg, flags, p, e);
    EXPECT_EQ(p, nullptr) << Where() << ": mpool_get " << pg << " of " << n_;
    EXPECT_EQ(e, EINVAL) << Where() << ": mpool_get " << pg << " of " << n_;
    counts_.get_missing++;
    if (p != nullptr && flags == 0) pins_.push_back({pg, p});  // (failed)
  }

  void AddNewPin(pgno_t pg, void *p) {
    PageModel &m = pages_[pg];
    m.known = true;
    m.cur = Fill(0);  // "Its contents are zero bytes."
    m.owed = true;    // (the file may hold other bytes)
    pins_.push_back({pg, p});
    CheckPage(pg, p, "mpool_new");
  }

  void OpNewNext() {
    if (n_ >= kMaxPages || DistinctPinned() >= Cap()) return OpPut();
    pgno_t pg = 12345;
    errno = 0;
    const bool two = Rand(2);
    void *p = two ? mpool_new(mp_, &pg) : mpool_new(mp_, &pg, MPOOL_PAGE_NEXT);
    const int e = errno;
    Trace("mpool_new NEXT%s -> %p pgno %u", two ? " (2 args)" : "", p, pg);
    ASSERT_NE(p, nullptr) << Where() << ": mpool_new NEXT: errno " << e << " ("
                          << strerror(e) << "), " << DistinctPinned()
                          << " pages pinned, maxcache " << maxcache_;
    ASSERT_EQ(pg, n_) << Where() << ": MPOOL_PAGE_NEXT is the page after the "
                      << "last";
    PageModel m;
    m.disk = {Hole()};
    pages_.push_back(m);
    n_++;
    counts_.new_next++;
    AddNewPin(pg, p);
  }

  void OpNewRequest() {
    const unsigned k = Rand(4);
    pgno_t pg;
    if (k == 0 && !pins_.empty()) {
      pg = pins_[Rand(static_cast<unsigned>(pins_.size()))].pgno;
    } else if (k == 1 && n_ > 0) {
      pg = Rand(n_);
    } else {
      pg = n_ + Rand(4);
    }
    const int pinned = PinCount(pg);
    if (pg >= kMaxPages && pinned == 0) return OpPut();
    if (pinned == 0 && DistinctPinned() >= Cap()) return OpPut();
    pgno_t req = pg;
    errno = 0;
    void *p = mpool_new(mp_, &req, MPOOL_PAGE_REQUEST);
    const int e = errno;
    Trace("mpool_new REQUEST %u (of %u, pinned %dx) -> %p pgno %u errno %d", pg,
          n_, pinned, p, req, e);
    counts_.new_request++;
    if (pinned > 0) {
      // In the pool now: EEXIST, and nothing changes.
      EXPECT_EQ(p, nullptr) << Where() << ": REQUEST of pinned page " << pg;
      EXPECT_EQ(e, EEXIST) << Where() << ": REQUEST of pinned page " << pg;
      if (p != nullptr) pins_.push_back({pg, p});
      counts_.new_request_eexist++;
      return;
    }
    if (pg < n_ && p == nullptr) {
      // Maybe still in the pool (unpinned pages may or may not be).
      EXPECT_EQ(e, EEXIST) << Where() << ": REQUEST of page " << pg;
      counts_.new_request_eexist++;
      return;
    }
    ASSERT_NE(p, nullptr) << Where() << ": REQUEST " << pg << " of " << n_
                          << " pages: errno " << e << " (" << strerror(e)
                          << ")";
    EXPECT_EQ(req, pg) << Where() << ": REQUEST changed *pgnoaddr";
    if (pg >= n_) {
      // "A page number past the end extends the file": the pages between
      // exist and read as the file's zero bytes.
      counts_.new_request_past_end++;
      PageModel gap;
      gap.cur = Hole();
      gap.disk = {Hole()};
      while (n_ < pg) {
        pages_.push_back(gap);
        n_++;
      }
      PageModel m;
      m.disk = {Hole()};
      pages_.push_back(m);
      n_++;
    }
    AddNewPin(pg, p);
  }

  // mpool_put of a pin, with 0 or MPOOL_DIRTY (DIRTY when its last pin
  // leaves a page changed since it was last put dirty).
  void OpPut() {
    if (pins_.empty()) return n_ > 0 ? OpGet(false) : OpNewNext();
    ReleasePin(Rand(static_cast<unsigned>(pins_.size())));
  }
  void ReleasePin(size_t i) {
    const Pin p = pins_[i];
    PageModel &m = pages_[p.pgno];
    unsigned flags = Rand(2) ? MPOOL_DIRTY : 0;
    if (m.owed && PinCount(p.pgno) == 1) flags = MPOOL_DIRTY;
    CheckPage(p.pgno, p.addr, "before mpool_put");
    errno = 0;
    const int rc = mpool_put(mp_, p.addr, flags);
    const int e = errno;
    Trace("mpool_put %u %p flags %u -> %d", p.pgno, p.addr, flags, rc);
    ASSERT_EQ(rc, 0) << Where() << ": mpool_put page " << p.pgno << " flags "
                     << flags << ": errno " << e << " (" << strerror(e) << ")";
    pins_.erase(pins_.begin() + static_cast<long>(i));
    counts_.put++;
    if (flags & MPOOL_DIRTY) {
      counts_.put_dirty++;
      m.owed = false;
      m.maybe_dirty = true;
      // (The header does not say a dirty page is written only when
      // unpinned, so the file may hold this from now on.)
      AddCand(&m.disk, m.cur);
    }
    if (PinCount(p.pgno) == 0) {
      // Unpinned and dirty: an eviction may write it from now on.
      if (m.maybe_dirty) AddCand(&m.disk, m.cur);
      Stale(p.addr);
    }
  }

  // A new version written into a pinned page.
  void OpModify() {
    if (pins_.empty()) return OpGet(false);
    const Pin p = pins_[Rand(static_cast<unsigned>(pins_.size()))];
    PageModel &m = pages_[p.pgno];
    CheckPage(p.pgno, p.addr, "before writing");
    m.cur =
        Rand(8) ? Pattern(++version_) : Fill(static_cast<uint8_t>(Rand(256)));
    m.owed = true;
    std::vector<uint8_t> b = MemBytes(p.pgno, m.cur);
    memcpy(p.addr, b.data(), ps_);
    if (m.maybe_dirty) AddCand(&m.disk, m.cur);  // (a dirty page, as above)
    Trace("write page %u %p: %s", p.pgno, p.addr, Describe(m.cur).c_str());
    counts_.modify++;
  }

  // mpool_delete of a pin: dropped without writing when it is the page's
  // only pin, EBUSY (nothing changes) with a second one.
  void OpDelete() {
    if (pins_.empty()) return OpGet(false);
    const size_t i = Rand(static_cast<unsigned>(pins_.size()));
    const Pin p = pins_[i];
    const int pinned = PinCount(p.pgno);
    PageModel &m = pages_[p.pgno];
    CheckPage(p.pgno, p.addr, "before mpool_delete");
    errno = 0;
    const int rc = mpool_delete(mp_, p.addr);
    const int e = errno;
    Trace("mpool_delete %u %p (pinned %dx) -> %d errno %d", p.pgno, p.addr,
          pinned, rc, e);
    if (pinned > 1) {
      EXPECT_EQ(rc, -1) << Where() << ": delete of a page pinned twice";
      EXPECT_EQ(e, EBUSY) << Where() << ": delete of a page pinned twice";
      counts_.del_ebusy++;
      CheckPage(p.pgno, p.addr, "after an EBUSY mpool_delete");
      if (rc == 0) {
        // (failed) model it as dropped to go on finding out more
        pins_.erase(pins_.begin() + static_cast<long>(i));
      }
      return;
    }
    ASSERT_EQ(rc, 0) << Where() << ": mpool_delete of page " << p.pgno
                     << ": errno " << e << " (" << strerror(e) << ")";
    counts_.del++;
    pins_.erase(pins_.begin() + static_cast<long>(i));
    Stale(p.addr);
    // Not written: a later read gives what the file holds.
    m.known = false;
    m.owed = false;
    m.maybe_dirty = false;
  }

  // Invalid calls: each fails with its errno and changes nothing.
  void OpBad() {
    counts_.bad++;
    uint8_t local[64] = {0};
    const Pin *pin = pins_.empty()
                         ? nullptr
                         : &pins_[Rand(static_cast<unsigned>(pins_.size()))];
    const unsigned k = Rand(9);
    int rc = 0, e = 0;
    void *r = nullptr;
    switch (k) {
      case 0: {  // a pointer the pool never returned
        void *a =
            Rand(2) ? static_cast<void *>(local) : static_cast<void *>(&g_flt);
        errno = 0;
        rc = mpool_put(mp_, a, Rand(2) ? MPOOL_DIRTY : 0);
        e = errno;
        Trace("bad: mpool_put foreign %p -> %d errno %d", a, rc, e);
        EXPECT_EQ(rc, -1) << Where() << ": put of a foreign pointer";
        EXPECT_EQ(e, EINVAL) << Where() << ": put of a foreign pointer";
        errno = 0;
        rc = mpool_delete(mp_, a);
        e = errno;
        Trace("bad: mpool_delete foreign %p -> %d errno %d", a, rc, e);
        EXPECT_EQ(rc, -1) << Where() << ": delete of a foreign pointer";
        EXPECT_EQ(e, EINVAL) << Where() << ": delete of a foreign pointer";
        break;
      }
      case 1:  // NULL
        errno = 0;
        rc = mpool_put(mp_, nullptr, 0);
        e = errno;
        Trace("bad: mpool_put NULL -> %d errno %d", rc, e);
        EXPECT_EQ(rc, -1) << Where() << ": put of NULL";
        EXPECT_EQ(e, EINVAL) << Where() << ": put of NULL";
        errno = 0;
        rc = mpool_delete(mp_, nullptr);
        e = errno;
        EXPECT_EQ(rc, -1) << Where() << ": delete of NULL";
        EXPECT_EQ(e, EINVAL) << Where() << ": delete of NULL";
        break;
      case 2:  // inside a pinned page
        if (pin != nullptr) {
          uint8_t *a = static_cast<uint8_t *>(pin->addr) + 1 + Rand(ps_ - 1);
          errno = 0;
          rc = mpool_put(mp_, a, Rand(2) ? MPOOL_DIRTY : 0);
          e = errno;
          Trace("bad: mpool_put inside page %u: %p -> %d errno %d", pin->pgno,
                static_cast<void *>(a), rc, e);
          EXPECT_EQ(rc, -1) << Where() << ": put of a pointer into a page";
          EXPECT_EQ(e, EINVAL) << Where() << ": put of a pointer into a page";
          errno = 0;
          rc = mpool_delete(mp_, a);
          e = errno;
          EXPECT_EQ(rc, -1) << Where() << ": delete of a pointer into a page";
          EXPECT_EQ(e, EINVAL) << Where() << ": delete into a page";
          CheckPage(pin->pgno, pin->addr, "after a rejected put");
        }
        break;
      case 3:  // unknown flags on a pinned page
        if (pin != nullptr) {
          static const unsigned kBad[] = {0x2u, 0x4u, 0x80u, MPOOL_DIRTY | 0x2u,
                                          0x80000000u};
          const unsigned fl = kBad[Rand(5)];
          errno = 0;
          rc = mpool_put(mp_, pin->addr, fl);
          e = errno;
          Trace("bad: mpool_put %u flags %#x -> %d errno %d", pin->pgno, fl, rc,
                e);
          EXPECT_EQ(rc, -1) << Where() << ": put flags " << fl;
          EXPECT_EQ(e, EINVAL) << Where() << ": put flags " << fl;
          CheckPage(pin->pgno, pin->addr, "after a rejected put");
        }
        break;
      case 4:
      case 5:  // stale: put (unpinned) before
        if (!stale_.empty()) {
          void *s = stale_[Rand(static_cast<unsigned>(stale_.size()))];
          if (IsPinnedAddr(s)) break;
          errno = 0;
          rc = mpool_put(mp_, s, Rand(2) ? MPOOL_DIRTY : 0);
          e = errno;
          Trace("bad: mpool_put (and delete) stale %p -> %d errno %d", s, rc,
                e);
          EXPECT_EQ(rc, -1) << Where() << ": put of a stale pointer";
          EXPECT_EQ(e, EINVAL) << Where() << ": put of a stale pointer";
          errno = 0;
          rc = mpool_delete(mp_, s);
          e = errno;
          EXPECT_EQ(rc, -1) << Where() << ": delete of a stale pointer";
          EXPECT_EQ(e, EINVAL) << Where() << ": delete of a stale pointer";
        }
        break;
      case 6:  // mpool_get with unknown flags
        if (n_ > 0) {
          static const unsigned kBad[] = {0x2u, 0x4u, MPOOL_IGNOREPIN | 0x2u,
                                          0x100u, 0x80000000u};
          const unsigned fl = kBad[Rand(5)];
          const pgno_t pg = Rand(n_);
          errno = 0;
          r = mpool_get(mp_, pg, fl);
          e = errno;
          Trace("bad: mpool_get %u flags %#x -> %p errno %d", pg, fl, r, e);
          EXPECT_EQ(r, nullptr) << Where() << ": get flags " << fl;
          EXPECT_EQ(e, EINVAL) << Where() << ": get flags " << fl;
        }
        break;
      case 7: {  // mpool_new with bad flags
        static const unsigned kBad[] = {0u,
                                        MPOOL_PAGE_REQUEST | MPOOL_PAGE_NEXT,
                                        0x4u, 0x80u, MPOOL_PAGE_NEXT | 0x100u};
        const unsigned fl = kBad[Rand(5)];
        pgno_t pg = n_;
        errno = 0;
        r = mpool_new(mp_, &pg, fl);
        e = errno;
        Trace("bad: mpool_new flags %#x -> %p errno %d", fl, r, e);
        EXPECT_EQ(r, nullptr) << Where() << ": new flags " << fl;
        EXPECT_EQ(e, EINVAL) << Where() << ": new flags " << fl;
        break;
      }
      default:  // an IGNOREPIN page is not pinned
        if (n_ > 0) {
          const pgno_t pg = Rand(n_);
          if (PinCount(pg) > 0) break;
          errno = 0;
          r = mpool_get(mp_, pg, MPOOL_IGNOREPIN);
          e = errno;
          ASSERT_NE(r, nullptr)
              << Where() << ": get IGNOREPIN " << pg << ": errno " << e;
          CheckPage(pg, r, "mpool_get IGNOREPIN");
          errno = 0;
          rc = mpool_delete(mp_, r);
          e = errno;
          Trace("bad: mpool_delete of IGNOREPIN page %u %p -> %d errno %d", pg,
                r, rc, e);
          EXPECT_EQ(rc, -1) << Where() << ": delete of an unpinned page";
          EXPECT_EQ(e, EINVAL) << Where() << ": delete of an unpinned page";
          errno = 0;
          rc = mpool_put(mp_, r, 0);
          e = errno;
          EXPECT_EQ(rc, -1) << Where() << ": put of an IGNOREPIN page";
          EXPECT_EQ(e, EINVAL) << Where() << ": put of an IGNOREPIN page";
          Stale(r);
        }
        break;
    }
  }

  // mpool_sync, pins held or not: the file against the model, and every
  // pinned page still as it was (pgout works on a copy).
  void OpSync(const char *what = "mpool_sync") {
    errno = 0;
    const int rc = mpool_sync(mp_);
    const int e = errno;
    Trace("%s (%zu pins) -> %d errno %d", what, pins_.size(), rc, e);
    ASSERT_EQ(rc, 0) << Where() << ": " << what << " with " << pins_.size()
                     << " pins: errno " << e << " (" << strerror(e) << ")";
    counts_.sync++;
    counts_.sync_pinned += !pins_.empty();
    CheckDisk(what);
    for (const Pin &p : pins_) CheckPage(p.pgno, p.addr, "after mpool_sync");
  }

  void ReleaseAll() {
    while (!pins_.empty()) {
      ASSERT_NO_FATAL_FAILURE(ReleasePin(pins_.size() - 1));
    }
  }

  // Closes the pool and opens a new one over the same file: its pages are
  // the file's whole pages.
  void OpReopen() {
    counts_.reopen++;
    ASSERT_NO_FATAL_FAILURE(ReleaseAll());
    ASSERT_NO_FATAL_FAILURE(OpSync("mpool_sync before mpool_close"));
    ASSERT_EQ(mpool_close(mp_), 0) << Where();
    mp_ = nullptr;
    CheckDisk("after mpool_close");
    const long long size = FileSize(path_);
    n_ = static_cast<pgno_t>(size / ps_);
    pages_.resize(n_);
    for (PageModel &m : pages_) {
      m.known = true;
      m.cur = m.disk[0];
    }
    stale_.clear();
    if (Rand(2)) {
      ASSERT_EQ(::close(fd_), 0);
      fd_ = ::open(path_.c_str(), O_RDWR);
      ASSERT_GE(fd_, 0) << strerror(errno);
    }
    ASSERT_NO_FATAL_FAILURE(OpenMp());
  }

  // Every pin released, the file synced and checked; no pin leaked; the
  // pool closed.
  void EndRound() {
    ASSERT_NO_FATAL_FAILURE(ReleaseAll());
    for (void *s : stale_) {
      errno = 0;
      const int rc = mpool_put(mp_, s, 0);
      const int e = errno;
      EXPECT_EQ(rc, -1) << Where() << ": end: put of a stale pointer";
      EXPECT_EQ(e, EINVAL) << Where() << ": end: put of a stale pointer";
    }
    ASSERT_NO_FATAL_FAILURE(OpSync("mpool_sync at the end"));
    // No pin leaked: each page pinned once can be deleted (a leaked pin
    // makes it EBUSY). It reads the file's bytes again afterwards.
    for (pgno_t pg = 0; pg < n_; pg++) {
      errno = 0;
      void *p = mpool_get(mp_, pg, 0);
      ASSERT_NE(p, nullptr)
          << Where() << ": end: get " << pg << ": errno " << errno;
      CheckPage(pg, p, "at the end");
      errno = 0;
      const int rc = mpool_delete(mp_, p);
      const int e = errno;
      EXPECT_EQ(rc, 0) << Where() << ": end: page " << pg
                       << " pinned once cannot be deleted (a leaked pin?): "
                       << "errno " << e << " (" << strerror(e) << ")";
      pages_[pg].known = false;
    }
    // maxcache pages (and a few more) pin at once.
    std::vector<Pin> all;
    for (pgno_t pg = 0; pg < n_ && all.size() < maxcache_ + 3; pg++) {
      errno = 0;
      void *p = mpool_get(mp_, pg, 0);
      ASSERT_NE(p, nullptr)
          << Where() << ": end: " << all.size() << " pages pinned, maxcache "
          << maxcache_ << ": errno " << errno;
      CheckPage(pg, p, "at the end, all pinned");
      all.push_back({pg, p});
    }
    for (const Pin &p : all) {
      EXPECT_EQ(mpool_put(mp_, p.addr, 0), 0) << Where();
    }
    ASSERT_EQ(mpool_close(mp_), 0) << Where();
    mp_ = nullptr;
    CheckDisk("after mpool_close");
    EXPECT_EQ(g_flt.bad_cookie, 0) << Where() << ": filter cookie";
    if (!codec_) {
      EXPECT_EQ(g_flt.pgin + g_flt.pgout, 0) << Where() << ": no filter set";
    }
    Trace("round end: %u pages, filter pgin %ld pgout %ld", n_, g_flt.pgin,
          g_flt.pgout);
    ASSERT_EQ(::close(fd_), 0);
    fd_ = -1;
  }

  int codec_round_ = 0;
  TempDir dir_;
  std::string path_;
  int fd_ = -1;
  MPOOL *mp_ = nullptr;
  pgno_t ps_ = 4096;
  size_t maxcache_ = 1;
  bool codec_ = false;
  pgno_t n_ = 0;
  uint32_t version_ = 100;
  std::vector<PageModel> pages_;
  std::vector<Pin> pins_;
  std::vector<void *> stale_;
  Counts counts_;
};

TEST_F(MpoolModelTest, RandomCallsMatchTheModel) {
  const unsigned long long ops = Start(kDefaultSeed, kDefaultOps, kRounds);
  codec_round_ = static_cast<int>(Rand(kRounds));
  for (round_ = 0; round_ < kRounds; round_++) {
    ASSERT_NO_FATAL_FAILURE(StartRound());
    for (op_ = 0; op_ < ops; op_++) {
      const unsigned k = Rand(100);
      if (k < 22) {
        ASSERT_NO_FATAL_FAILURE(OpGet(false));
      } else if (k < 27) {
        ASSERT_NO_FATAL_FAILURE(OpGet(true));
      } else if (k < 30) {
        ASSERT_NO_FATAL_FAILURE(OpGetMissing());
      } else if (k < 50) {
        ASSERT_NO_FATAL_FAILURE(OpPut());
      } else if (k < 63) {
        ASSERT_NO_FATAL_FAILURE(OpModify());
      } else if (k < 69) {
        ASSERT_NO_FATAL_FAILURE(OpNewNext());
      } else if (k < 75) {
        ASSERT_NO_FATAL_FAILURE(OpNewRequest());
      } else if (k < 80) {
        ASSERT_NO_FATAL_FAILURE(OpDelete());
      } else if (k < 94) {
        ASSERT_NO_FATAL_FAILURE(OpBad());
      } else if (k < 98) {
        ASSERT_NO_FATAL_FAILURE(OpSync());
      } else if (Rand(2)) {
        ASSERT_NO_FATAL_FAILURE(OpReopen());
      } else {
        ASSERT_NO_FATAL_FAILURE(OpGet(false));
      }
      counts_.max_pinned = std::max<long>(counts_.max_pinned,
                                          static_cast<long>(DistinctPinned()));
      if (HasFailure()) return;
    }
    ASSERT_NO_FATAL_FAILURE(EndRound());
    if (HasFailure()) return;
  }
  const Counts &c = counts_;
  std::printf(
      "[ model    ] get %ld (twice %ld, ignorepin %ld, past maxcache %ld, "
      "missing %ld), new next %ld request %ld (eexist %ld, past end %ld), "
      "put %ld (dirty %ld), writes %ld, delete %ld (ebusy %ld, reread %ld), "
      "bad %ld, sync %ld (with pins %ld), reopen %ld, most pinned %ld\n",
      c.get, c.get_twice, c.get_ignorepin, c.get_elastic, c.get_missing,
      c.new_next, c.new_request, c.new_request_eexist, c.new_request_past_end,
      c.put, c.put_dirty, c.modify, c.del, c.del_ebusy, c.reread_after_delete,
      c.bad, c.sync, c.sync_pinned, c.reopen, c.max_pinned);
}

}  // namespace
}  // namespace lfmtest
