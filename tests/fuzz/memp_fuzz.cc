// Fuzz target for the db_mpool(3) API: each input is a program of calls,
// valid and invalid, on a small pool over four files.
//
// The input's first bytes choose the pool (private or shared by directory,
// 20 to 64 KiB, mapped reads on or off, a flusher thread or none) and the
// files (page sizes from 512 bytes to 16 KiB, so pools mix up to four;
// some pages already on disk; a tail that is not a whole page; one file
// behind an XOR pgin/pgout codec; the last sometimes a temporary file).
// The rest is
// calls: memp_fget in every mode and with bad flags, NULL arguments and
// missing pages; writes into pinned pages; memp_fput / memp_fset with every
// flag, bad ones, and pointers the pool never returned, into a page or
// stale; memp_fsync, memp_sync, memp_trickle, memp_stat; pgin and pgout
// made to fail; a second, DB_RDONLY handle; memp_fclose and memp_fopen
// again (with pins held, and with the wrong page size); memp_close and
// memp_open again.
//
// Checks, beyond the sanitizers': every return value against the manual
// page (exact where the model can say, else one of a few); every page
// returned against a model that holds the versions each page may have
// (a set: a write the pool may or may not have made, before a drop or a
// DB_MPOOL_CLEAN, leaves more than one possible); after each input, with
// every pin put and the files synced, that each file holds what the
// model allows (no dirty page lost).
//
// Run: bash tests/fuzz/fuzz.sh memp 300. Replay: memp_fuzz_replay_test.
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "db_mpool.h"
#include "fuzz_bytes.h"

namespace {

using lfmfuzz::Bytes;

constexpr uint32_t kMagic = 0x5a4d464cu;  // "LFMZ"
constexpr uint8_t kCodec = 0xA5;          // the codec file's XOR byte
constexpr int kCodecType = 5;             // its ftype
constexpr int kLsnOffset = 16;            // where file 1's pages keep an LSN
constexpr int kInjected = 77;             // what a failing pgin/pgout returns
constexpr int kFiles = 4;
constexpr int kMaxOps = 400;
constexpr db_pgno_t kMaxPages = 24;  // files stop growing here
// File 0 has 4 KiB pages; the others any of these, so a pool may mix four
// sizes (every miss of a larger one then retires smaller frames).
constexpr size_t kPageSizes[] = {512, 1024, 2048, 4096, 8192, 16384};
constexpr size_t kPoolSizes[] = {20 << 10, 24 << 10, 40 << 10, 64 << 10};

std::string g_dir;  // this process's scratch directory
const bool g_trace = getenv("LFM_FUZZ_TRACE") != nullptr;

// $LFM_FUZZ_TRACE set: every call, to stdout, to replay one input by hand.
void Trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void Trace(const char *fmt, ...) {
  if (!g_trace) return;
  va_list ap;
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  fflush(stdout);
}

// Failure injection: fail the n-th next pgin / pgout (0: none). Atomic:
// flusher threads call pgout.
std::atomic<int> g_fail_in{0}, g_fail_out{0};

bool Fires(std::atomic<int> *n) {
  int v = n->load();
  while (v > 0 && !n->compare_exchange_weak(v, v - 1)) {
  }
  return v == 1;
}

struct Cookie {
  size_t ps;
  bool lsn;  // the file's pages carry an LSN (lsn_offset kLsnOffset)
};

// The write-ahead-log rule (memp_set_logflush), when an input turns it on:
// the largest LSN the log callback made durable, and its failures.
std::atomic<bool> g_wal{false};
std::atomic<uint64_t> g_durable{0};
std::atomic<int> g_fail_log{0};

uint64_t Lsn64(const DB_LSN &l) {
  return static_cast<uint64_t>(l.file) << 32 | l.offset;
}
int LogFlush(void *, const DB_LSN *lsn) {
  if (Fires(&g_fail_log)) return kInjected;
  uint64_t d = g_durable.load();
  while (d < Lsn64(*lsn) && !g_durable.compare_exchange_weak(d, Lsn64(*lsn))) {
  }
  return 0;
}

void XorPage(void *pgaddr, const DBT *cookie) {
  const size_t ps = static_cast<const Cookie *>(cookie->data)->ps;
  uint8_t *p = static_cast<uint8_t *>(pgaddr);
  for (size_t i = 0; i < ps; i++) p[i] ^= kCodec;
}
int PgIn(db_pgno_t, void *pgaddr, DBT *cookie) {
  if (Fires(&g_fail_in)) return kInjected;
  XorPage(pgaddr, cookie);
  return 0;
}
int PgOut(db_pgno_t, void *pgaddr, DBT *cookie) {
  // pgout sees each page just before its write: the log must be durable
  // up to the page's LSN by now.
  if (static_cast<const Cookie *>(cookie->data)->lsn && g_wal) {
    DB_LSN l;
    memcpy(&l, static_cast<const uint8_t *>(pgaddr) + kLsnOffset, sizeof(l));
    FUZZ_CHECK(Lsn64(l) <= g_durable, "a page written before its log");
  }
  if (Fires(&g_fail_out)) return kInjected;
  XorPage(pgaddr, cookie);
  return 0;
}

// A stamped page: header, then bytes derived from it (with an LSN of
// {1, version} at kLsnOffset in pages that have one). Version 0 means a
// page never stamped, all one fill byte (zero, or the codec byte where pgin
// ran on a zero page).
struct Stamp {
  uint32_t magic, file, pgno, version;
};
uint8_t BodyByte(uint32_t pgno, uint32_t version, size_t i) {
  return static_cast<uint8_t>(version * 131u + pgno * 7u + i);
}
DB_LSN LsnOf(uint32_t version) {
  DB_LSN l;
  l.file = version == 0 ? 0 : 1;
  l.offset = version;
  return l;
}
bool InLsn(bool lsn, size_t i) {
  return lsn && i >= kLsnOffset && i < kLsnOffset + sizeof(DB_LSN);
}
void WriteStamp(uint8_t *p, size_t ps, int f, db_pgno_t pgno, uint32_t v,
                bool lsn) {
  const Stamp s = {kMagic, static_cast<uint32_t>(f), pgno, v};
  memcpy(p, &s, sizeof(s));
  for (size_t i = sizeof(s); i < ps; i++) p[i] = BodyByte(pgno, v, i);
  if (lsn) {
    const DB_LSN l = LsnOf(v);
    memcpy(p + kLsnOffset, &l, sizeof(l));
  }
}
// The version a page holds, 0 for an allowed fill, or -1 if it is neither.
long long ReadStamp(const uint8_t *p, size_t ps, int f, db_pgno_t pgno,
                    bool codec, bool lsn) {
  Stamp s;
  memcpy(&s, p, sizeof(s));
  if (s.magic == kMagic) {
    if (s.file != static_cast<uint32_t>(f) || s.pgno != pgno || s.version == 0)
      return -1;
    for (size_t i = sizeof(s); i < ps; i++)
      if (!InLsn(lsn, i) && p[i] != BodyByte(pgno, s.version, i)) return -1;
    const DB_LSN want = LsnOf(s.version);
    if (lsn && memcmp(p + kLsnOffset, &want, sizeof(want)) != 0) return -1;
    return s.version;
  }
  if (p[0] != 0 && !(codec && p[0] == kCodec)) return -1;
  for (size_t i = 1; i < ps; i++)
    if (p[i] != p[0]) return -1;
  return 0;
}

struct Page {
  std::set<uint32_t> disk;  // versions the file may hold
  uint32_t mem = 0;         // the cached copy's version, if mem_known
  bool mem_known = false;
  bool dirty = false;
  // Dirtied while pinned and pinned ever since: no one may have written
  // it, so a sync must report DB_INCOMPLETE.
  bool dirty_pinned = false;
};

struct File {
  std::string path;  // "" for a temporary file
  size_t ps = 4096;
  bool codec = false;
  Cookie cookie;
  DB_MPOOLFILE *mpf = nullptr;
  DB_MPOOLFILE *ro = nullptr;
  bool known = false;  // the pool knows it (memp_fopen'd since memp_open)
  std::vector<Page> pages;
  uint32_t next_version = 2;  // 1: what the input's set-up wrote
};

int LsnOffset(const File &fl) { return fl.cookie.lsn ? kLsnOffset : -1; }

// The pgcookie memp_fopen copies: the file's page size, for the codec.
DBT CookieOf(File *fl) {
  DBT d;
  memset(&d, 0, sizeof(d));
  d.data = &fl->cookie;
  d.size = sizeof(fl->cookie);
  return d;
}

struct Pin {
  int f;
  db_pgno_t pgno;
  void *addr;
};

std::string Str(long long v) { return std::to_string(v); }

class Run {
 public:
  explicit Run(Bytes *b) : b_(*b) {}
  void Go();

 private:
  // ------------------------------------------------------------ set-up
  void SetUpFiles();
  void OpenPool();
  void ClosePool();
  void OpenFile(int f);
  void Finish();

  // ------------------------------------------------------------ ops
  void OpGet();
  void OpWrite();
  void OpPut(bool set);
  void OpBadPointer();
  void OpSync(bool one_file);
  void OpTrickle();
  void OpStat();
  void OpInject();
  void OpCloseFile();
  void OpReadOnly();
  void OpReopenPool();

  // ------------------------------------------------------------ model
  int PickFile() {
    std::vector<int> open;
    for (int f = 0; f < kFiles; f++)
      if (files_[f].mpf != nullptr || files_[f].ro != nullptr)
        open.push_back(f);
    if (open.empty()) return -1;
    return open[b_.Below(static_cast<unsigned>(open.size()))];
  }
  int Pins(int f, db_pgno_t pg) const {
    int n = 0;
    for (const Pin &p : pins_) n += p.f == f && p.pgno == pg;
    return n;
  }
  size_t DistinctPinned() const {
    std::set<std::pair<int, db_pgno_t>> s;
    for (const Pin &p : pins_) s.insert({p.f, p.pgno});
    return s.size();
  }
  // The handle to release a page of file f through.
  DB_MPOOLFILE *Handle(int f, bool prefer_ro) const {
    const File &fl = files_[f];
    if (fl.ro != nullptr && (prefer_ro || fl.mpf == nullptr)) return fl.ro;
    return fl.mpf;
  }
  void CheckContent(int f, db_pgno_t pg, const void *addr, const char *what);
  // Pin i is gone; its page may be evicted from now on when no pin is left.
  void Dropped(size_t i) {
    const Pin p = pins_[i];
    pins_.erase(pins_.begin() + static_cast<long>(i));
    if (Pins(p.f, p.pgno) == 0) files_[p.f].pages[p.pgno].dirty_pinned = false;
  }
  void MarkDirty(int f, db_pgno_t pg, bool still_pinned) {
    Page &m = files_[f].pages[pg];
    m.dirty = true;
    m.disk.insert(m.mem);  // from now on it may be written at any time
    if (still_pinned) m.dirty_pinned = true;
  }
  void MarkClean(int f, db_pgno_t pg) {
    Page &m = files_[f].pages[pg];
    m.dirty = false;
    m.dirty_pinned = false;
  }
  // Whether a sync up to `limit` (NULL: memp_fsync) must write page m of
  // file f: pages with no LSN always, others below the limit. 1 yes, 0 no,
  // -1 maybe: a page never stamped holds its fill bytes (0 or the codec
  // byte, the model does not say which) where the LSN goes.
  int Need(int f, const Page &m, const DB_LSN *limit) const {
    if (limit == nullptr || !files_[f].cookie.lsn) return 1;
    if (m.mem == 0) return -1;
    return Lsn64(LsnOf(m.mem)) < Lsn64(*limit);
  }
  bool AnyDirtyPinned(int f, const DB_LSN *limit) const {
    for (const Pin &p : pins_) {
      const Page &m = files_[p.f].pages[p.pgno];
      if ((f < 0 || p.f == f) && m.dirty_pinned && Need(p.f, m, limit) == 1)
        return true;
    }
    return false;
  }
  bool AnyPinnedDirty(int f, const DB_LSN *limit) const {
    for (const Pin &p : pins_) {
      const Page &m = files_[p.f].pages[p.pgno];
      if ((f < 0 || p.f == f) && m.dirty && Need(p.f, m, limit) != 0)
        return true;
    }
    return false;
  }
  bool Armed() const { return injected_; }
  void AfterSync(int f, int rc, const char *what,
                 const DB_LSN *limit = nullptr);
  void CheckDisk(int f, const char *what);

  Bytes &b_;
  File files_[kFiles];
  std::vector<Pin> pins_;
  std::vector<void *> stale_;  // addresses of pages put since
  DB_MPOOL *mp_ = nullptr;
  DB_ENV env_ = {};
  bool shared_ = false;
  int open_flags_ = 0;
  size_t max_ps_ = 0;      // largest page size any file of the pool has
  bool injected_ = false;  // a pgin/pgout failure was armed in this pool
  std::string env_dir_;
};

void Run::SetUpFiles() {
  const uint8_t kinds = b_.U8();
  for (int f = 0; f < kFiles; f++) {
    File &fl = files_[f];
    const uint8_t c = b_.U8();
    fl.ps = f == 0 ? 4096 : kPageSizes[c % 6];
    fl.codec = f == 1 && (kinds & 1);
    fl.cookie.ps = fl.ps;
    fl.cookie.lsn = f == 1 && (kinds & 4);
    if (f == kFiles - 1 && (kinds & 2)) continue;  // temporary: path ""
    fl.path = g_dir + "/f" + Str(f);
    const db_pgno_t n = (c >> 3) % 6;
    std::vector<uint8_t> img(n * fl.ps);
    for (db_pgno_t p = 0; p < n; p++) {
      WriteStamp(&img[p * fl.ps], fl.ps, f, p, 1, fl.cookie.lsn);
      if (fl.codec)
        for (size_t i = 0; i < fl.ps; i++) img[p * fl.ps + i] ^= kCodec;
      Page pg;
      pg.disk = {1};
      fl.pages.push_back(pg);
    }
    if (c & 0x80) img.resize(img.size() + 1 + c % 100);  // a torn tail
    const int fd = open(fl.path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    FUZZ_CHECK(fd >= 0, "creating " + fl.path);
    FUZZ_CHECK(img.empty() || write(fd, img.data(), img.size()) ==
                                  static_cast<ssize_t>(img.size()),
               "writing " + fl.path);
    close(fd);
  }
}

void Run::OpenPool() {
  const uint8_t c = b_.U8();
  shared_ = (c & 1) != 0;
  env_ = DB_ENV();
  env_.mp_size = kPoolSizes[(c >> 1) % 4];
  if (c & 8) env_.mp_tcache_size = 64u << ((c >> 4) % 4);  // small caches
  open_flags_ = DB_CREATE | DB_THREAD | (shared_ ? 0 : DB_MPOOL_PRIVATE) |
                ((c & 0x40) ? DB_NOMMAP : 0);
  env_dir_ = g_dir + "/env";
  const int rc =
      memp_open(shared_ ? const_cast<char *>(env_dir_.c_str()) : nullptr,
                open_flags_, 0600, &env_, &mp_);
  Trace("memp_open %s mp_size %zu tcache %zu flags %#x flushers %d",
        shared_ ? "shared" : "private", env_.mp_size, env_.mp_tcache_size,
        open_flags_, (c & 0x80) ? 1 : 0);
  FUZZ_CHECK(rc == 0, "memp_open returned " + Str(rc));
  // One flusher thread, or none (then the input alone decides the order).
  FUZZ_CHECK(memp_set_flushers(mp_, (c & 0x80) ? 1 : 0, 0) == 0, "flushers");
  FUZZ_CHECK(memp_register(mp_, kCodecType, PgIn, PgOut) == 0, "register");
  // The write-ahead-log rule, for file 1's LSNs.
  if (g_wal)
    FUZZ_CHECK(memp_set_logflush(mp_, LogFlush, nullptr) == 0, "logflush");
  max_ps_ = 0;
  injected_ = false;
  g_fail_in = 0;
  g_fail_out = 0;
  g_fail_log = 0;
}

void Run::OpenFile(int f) {
  File &fl = files_[f];
  char *path = fl.path.empty() ? nullptr : const_cast<char *>(fl.path.c_str());
  const int type = fl.codec ? kCodecType : 0;
  if (fl.known && (b_.U8() & 3) == 0) {
    // The same file with another page size: EINVAL while the pool knows
    // it (it does from its first memp_fopen on).
    DB_MPOOLFILE *bad = nullptr;
    const size_t other = fl.ps == 4096 ? 8192 : 4096;
    const int rc = memp_fopen(mp_, path, type, 0, 0600, other, LsnOffset(fl),
                              nullptr, nullptr, &bad);
    FUZZ_CHECK(rc == EINVAL, "fopen with another page size: " + Str(rc));
  }
  DBT cookie = CookieOf(&fl);
  const int flags = DB_CREATE | ((b_.U8() & 7) == 0 ? DB_NOMMAP : 0);
  int rc = memp_fopen(mp_, path, type, flags, 0600, fl.ps, LsnOffset(fl),
                      &cookie, nullptr, &fl.mpf);
  if (rc == EINVAL && path != nullptr) {
    // Only a torn tail may refuse a known-good page size: cut it and retry.
    struct stat st;
    FUZZ_CHECK(stat(path, &st) == 0, "stat");
    FUZZ_CHECK(st.st_size % static_cast<off_t>(fl.ps) != 0,
               "fopen EINVAL on a whole-page file");
    FUZZ_CHECK(truncate(path, st.st_size / fl.ps * fl.ps) == 0, "truncate");
    rc = memp_fopen(mp_, path, type, flags, 0600, fl.ps, LsnOffset(fl), &cookie,
                    nullptr, &fl.mpf);
  }
  Trace("fopen file %d ps %zu%s%s -> %d", f, fl.ps, fl.codec ? " codec" : "",
        path == nullptr ? " temporary" : "", rc);
  FUZZ_CHECK(rc == 0, "memp_fopen " + fl.path + ": " + Str(rc));
  fl.known = path != nullptr;
  if (fl.ps > max_ps_) max_ps_ = fl.ps;
}

void Run::CheckContent(int f, db_pgno_t pg, const void *addr,
                       const char *what) {
  File &fl = files_[f];
  Page &m = fl.pages[pg];
  const long long v = ReadStamp(static_cast<const uint8_t *>(addr), fl.ps, f,
                                pg, fl.codec, fl.cookie.lsn);
  FUZZ_CHECK(v >= 0, std::string(what) + ": garbage in file " + Str(f) +
                         " page " + Str(pg));
  const uint32_t got = static_cast<uint32_t>(v);
  const bool held = m.dirty || Pins(f, pg) > 0;
  bool ok;
  if (held && m.mem_known)
    ok = got == m.mem;
  else
    ok = m.disk.count(got) != 0 || (m.mem_known && got == m.mem);
  FUZZ_CHECK(ok, std::string(what) + ": file " + Str(f) + " page " + Str(pg) +
                     " holds version " + Str(got) + ", cached " +
                     Str(m.mem_known ? m.mem : -1) + (m.dirty ? " dirty" : ""));
  m.mem = got;
  m.mem_known = true;
}

void Run::OpGet() {
  const int f = PickFile();
  if (f < 0) return;
  File &fl = files_[f];
  const bool ro = fl.mpf == nullptr || (fl.ro != nullptr && b_.Bit());
  DB_MPOOLFILE *h = ro ? fl.ro : fl.mpf;
  const db_pgno_t n = static_cast<db_pgno_t>(fl.pages.size());
  const unsigned mode = b_.Below(9);
  unsigned long flags = 0;
  db_pgno_t pg = n == 0 ? 0 : b_.Below(n), want = pg;
  bool grows = false, expect_einval = false;
  void *page = nullptr;
  switch (mode) {
    case 0:
    case 1:
      break;  // an existing page
    case 2:   // CREATE, at or past the end or of an existing page
      flags = DB_MPOOL_CREATE;
      if ((b_.Bit() || n == 0) && n < kMaxPages) {
        pg = want = n + b_.Below(3);
        grows = true;
      }
      break;
    case 3:
      flags = DB_MPOOL_LAST;
      pg = b_.U16();  // ignored
      want = n - 1;
      expect_einval = n == 0;
      break;
    case 4:
      flags = DB_MPOOL_NEW;
      pg = b_.U16();  // ignored
      want = n;
      grows = true;
      if (n >= kMaxPages) return;
      break;
    case 5:  // missing
      pg = want = n + (b_.Bit() ? b_.Below(4) : b_.U32() % (0xfffffff0u - n));
      expect_einval = true;
      break;
    case 6: {  // conflicting or unknown flags
      static const unsigned long kBad[] = {DB_MPOOL_CREATE | DB_MPOOL_LAST,
                                           DB_MPOOL_CREATE | DB_MPOOL_NEW,
                                           DB_MPOOL_LAST | DB_MPOOL_NEW,
                                           0x8,
                                           0x100,
                                           0x80000000UL};
      flags = kBad[b_.Below(6)];
      expect_einval = true;
      break;
    }
    case 7: {  // NULL arguments
      const int which = b_.Below(3);
      const int rc =
          memp_fget(which == 0 ? nullptr : h, which == 1 ? nullptr : &pg, 0,
                    which == 2 ? nullptr : &page);
      FUZZ_CHECK(rc == EINVAL, "fget with NULL: " + Str(rc));
      return;
    }
    default:
      if (pins_.empty()) return;
      {  // a page already pinned: the same address
        const Pin p = pins_[b_.Below(static_cast<unsigned>(pins_.size()))];
        if (p.f != f) return;
        pg = want = p.pgno;
      }
      break;
  }
  if (n == 0 && (mode <= 2) && !grows) expect_einval = true;
  if (ro && grows) expect_einval = true;
  const bool may_enomem = DistinctPinned() * max_ps_ + fl.ps > env_.mp_size;
  const int rc = memp_fget(h, &pg, flags, &page);
  Trace("fget%s file %d pgno %u flags %#lx -> %d pgno %u page %p",
        ro ? " (ro)" : "", f, want, flags, rc, pg, page);
  if (expect_einval) {
    FUZZ_CHECK(rc == EINVAL, "fget mode " + Str(mode) + " returned " + Str(rc));
    return;
  }
  if (rc == ENOMEM && may_enomem) return;
  if (rc == kInjected && Armed()) return;
  FUZZ_CHECK(rc == 0, "fget file " + Str(f) + " pgno " + Str(want) + " flags " +
                          Str(flags) + " returned " + Str(rc) + " with " +
                          Str(DistinctPinned()) + " pages pinned");
  FUZZ_CHECK(pg == want, "fget pgno");
  FUZZ_CHECK(reinterpret_cast<uintptr_t>(page) % sizeof(size_t) == 0,
             "alignment");
  for (const Pin &p : pins_)
    if (p.f == f && p.pgno == want)
      FUZZ_CHECK(p.addr == page, "a page pinned twice has two addresses");
  if (grows) {
    // New pages (and those a CREATE past the end skips) read as fill.
    for (db_pgno_t p = n; p <= want; p++) {
      Page np;
      np.disk = {0};
      fl.pages.push_back(np);
    }
  }
  CheckContent(f, want, page, "fget");  // before the pin counts
  pins_.push_back({f, want, page});
}

void Run::OpWrite() {
  if (pins_.empty()) return;
  const size_t i = b_.Below(static_cast<unsigned>(pins_.size()));
  const Pin p = pins_[i];
  File &fl = files_[p.f];
  DB_MPOOLFILE *h = Handle(p.f, b_.Bit());
  if (h == fl.ro) {
    // DIRTY through a read-only handle: refused, the pin kept.
    FUZZ_CHECK(memp_fset(h, p.addr, DB_MPOOL_DIRTY) == EACCES, "ro fset");
    return;
  }
  Page &m = fl.pages[p.pgno];
  m.mem = fl.next_version++;
  m.mem_known = true;
  WriteStamp(static_cast<uint8_t *>(p.addr), fl.ps, p.f, p.pgno, m.mem,
             fl.cookie.lsn);
  Trace("write file %d pgno %u version %u page %p", p.f, p.pgno, m.mem, p.addr);
  if (b_.Bit()) {
    Trace("  fset DIRTY");
    FUZZ_CHECK(memp_fset(h, p.addr, DB_MPOOL_DIRTY) == 0, "fset DIRTY");
    MarkDirty(p.f, p.pgno, true);
  } else {
    Trace("  fput DIRTY");
    FUZZ_CHECK(memp_fput(h, p.addr, DB_MPOOL_DIRTY) == 0, "fput DIRTY");
    stale_.push_back(p.addr);
    Dropped(i);
    MarkDirty(p.f, p.pgno, Pins(p.f, p.pgno) > 0);
  }
}

void Run::OpPut(bool set) {
  if (pins_.empty()) return;
  const size_t i = b_.Below(static_cast<unsigned>(pins_.size()));
  const Pin p = pins_[i];
  DB_MPOOLFILE *h = Handle(p.f, b_.Bit());
  static const unsigned long kFlags[] = {
      0,
      DB_MPOOL_CLEAN,
      DB_MPOOL_DIRTY,
      DB_MPOOL_DISCARD,
      DB_MPOOL_CLEAN | DB_MPOOL_DISCARD,
      DB_MPOOL_DIRTY | DB_MPOOL_DISCARD,
      DB_MPOOL_CLEAN | DB_MPOOL_DIRTY,  // EINVAL
      0x10,                             // EINVAL
      0x80000000UL};                    // EINVAL
  const unsigned long flags = kFlags[b_.Below(9)];
  const int rc =
      set ? memp_fset(h, p.addr, flags) : memp_fput(h, p.addr, flags);
  const char *what = set ? "fset" : "fput";
  Trace("%s%s file %d pgno %u page %p flags %#lx -> %d", what,
        h == files_[p.f].ro ? " (ro)" : "", p.f, p.pgno, p.addr, flags, rc);
  if ((flags & ~7UL) != 0 || (flags & (DB_MPOOL_CLEAN | DB_MPOOL_DIRTY)) ==
                                 (DB_MPOOL_CLEAN | DB_MPOOL_DIRTY)) {
    FUZZ_CHECK(rc == EINVAL, std::string(what) + " bad flags: " + Str(rc));
    return;
  }
  if ((flags & DB_MPOOL_DIRTY) && h == files_[p.f].ro) {
    FUZZ_CHECK(rc == EACCES,
               std::string(what) + " DIRTY, read-only: " + Str(rc));
    return;
  }
  FUZZ_CHECK(rc == 0,
             std::string(what) + " flags " + Str(flags) + ": " + Str(rc));
  if (!set) {
    stale_.push_back(p.addr);
    Dropped(i);
  }
  const bool pinned = Pins(p.f, p.pgno) > 0;
  if (flags & DB_MPOOL_DIRTY) MarkDirty(p.f, p.pgno, pinned);
  if (flags & DB_MPOOL_CLEAN) MarkClean(p.f, p.pgno);
}

void Run::OpBadPointer() {
  const int f = PickFile();
  if (f < 0) return;
  DB_MPOOLFILE *h = Handle(f, b_.Bit());
  const bool set = b_.Bit();
  const unsigned long flags = b_.Bit() ? DB_MPOOL_DIRTY : 0;
  uint8_t local[64];
  void *addr = local;
  const unsigned kind = b_.Below(3);
  if (kind == 1 && !pins_.empty()) {  // inside a pinned page
    const Pin &p = pins_[b_.Below(static_cast<unsigned>(pins_.size()))];
    addr = static_cast<uint8_t *>(p.addr) + 1 + b_.Below(files_[p.f].ps - 1);
  } else if (kind == 2 && !stale_.empty()) {  // a page put since
    addr = stale_[b_.Below(static_cast<unsigned>(stale_.size()))];
    for (size_t i = 0; i < pins_.size(); i++)
      if (pins_[i].addr == addr) return;  // pinned again: not a bad pointer
  }
  const int rc = set ? memp_fset(h, addr, flags) : memp_fput(h, addr, flags);
  Trace("bad %s kind %u %p flags %#lx -> %d", set ? "fset" : "fput", kind, addr,
        flags, rc);
  if (h == files_[f].ro && (flags & DB_MPOOL_DIRTY)) {
    FUZZ_CHECK(rc == EINVAL || rc == EACCES, "bad pointer, ro: " + Str(rc));
  } else {
    FUZZ_CHECK(rc == EINVAL, "bad pointer kind " + Str(kind) + ": " + Str(rc));
  }
}

// What a sync that returned rc says of the model.
void Run::AfterSync(int f, int rc, const char *what, const DB_LSN *limit) {
  Trace("%s file %d -> %d", what, f, rc);
  if (rc == kInjected && Armed()) return;
  if (AnyDirtyPinned(f, limit)) {
    FUZZ_CHECK(rc == DB_INCOMPLETE, std::string(what) + ": " + Str(rc) +
                                        " with a dirty page pinned");
  } else if (!AnyPinnedDirty(f, limit)) {
    FUZZ_CHECK(rc == 0, std::string(what) + ": " + Str(rc));
  } else {
    FUZZ_CHECK(rc == 0 || rc == DB_INCOMPLETE,
               std::string(what) + ": " + Str(rc));
  }
  // Every dirty page not pinned now is on disk as cached.
  for (int i = 0; i < kFiles; i++) {
    if (f >= 0 && i != f) continue;
    if (files_[i].mpf == nullptr && files_[i].ro == nullptr) continue;
    for (db_pgno_t p = 0; p < files_[i].pages.size(); p++) {
      Page &m = files_[i].pages[p];
      if (m.dirty && Pins(i, p) == 0 && Need(i, m, limit) == 1) {
        m.disk = {m.mem};
        m.dirty = false;
      }
    }
    if (rc == 0 && !files_[i].path.empty()) CheckDisk(i, what);
  }
}

// The file holds, for every page, a version the model allows.
void Run::CheckDisk(int f, const char *what) {
  File &fl = files_[f];
  const int fd = open(fl.path.c_str(), O_RDONLY);
  FUZZ_CHECK(fd >= 0, "open " + fl.path);
  struct stat st;
  FUZZ_CHECK(fstat(fd, &st) == 0, "fstat");
  FUZZ_CHECK(static_cast<size_t>(st.st_size) <= fl.pages.size() * fl.ps,
             std::string(what) + ": file " + Str(f) + " longer than its pages");
  std::vector<uint8_t> buf(fl.ps);
  for (db_pgno_t p = 0; p < fl.pages.size(); p++) {
    const Page &m = fl.pages[p];
    if (Pins(f, p) > 0 && m.dirty) continue;  // skipped by the sync
    const ssize_t got =
        pread(fd, buf.data(), fl.ps, static_cast<off_t>(p) * fl.ps);
    FUZZ_CHECK(got == 0 || got == static_cast<ssize_t>(fl.ps), "short page");
    if (got == 0) {
      FUZZ_CHECK(m.disk.count(0) != 0, std::string(what) + ": file " + Str(f) +
                                           " page " + Str(p) + " missing");
      continue;
    }
    if (fl.codec)
      for (uint8_t &c : buf) c ^= kCodec;
    const long long v =
        ReadStamp(buf.data(), fl.ps, f, p, fl.codec, fl.cookie.lsn);
    // Version 1 is the set-up's, written before any log.
    FUZZ_CHECK(!g_wal || !fl.cookie.lsn || v < 2 ||
                   Lsn64(LsnOf(static_cast<uint32_t>(v))) <= g_durable,
               std::string(what) + ": page " + Str(p) + " version " + Str(v) +
                   " on disk before its log");
    FUZZ_CHECK(v >= 0 && m.disk.count(static_cast<uint32_t>(v)) != 0,
               std::string(what) + ": file " + Str(f) + " page " + Str(p) +
                   " on disk holds " + Str(v));
  }
  close(fd);
}

void Run::OpSync(bool one_file) {
  if (one_file) {
    const int f = PickFile();
    if (f < 0) return;
    File &fl = files_[f];
    if (fl.ro != nullptr && (fl.mpf == nullptr || b_.Bit())) {
      // A read-only handle's memp_fsync writes nothing.
      FUZZ_CHECK(memp_fsync(fl.ro) == 0, "fsync of a read-only handle");
      return;
    }
    AfterSync(f, memp_fsync(fl.mpf), "memp_fsync");
    return;
  }
  // Files with no lsn_offset are written whatever the LSN; file 1's pages
  // (when it has LSNs) are {1, version}.
  DB_LSN lsn;
  lsn.file = b_.Bit() ? 1 : b_.U8();
  lsn.offset = b_.Bit() ? b_.U8() % 64 : b_.U32();
  const DB_LSN limit = lsn;
  const int rc = memp_sync(mp_, &lsn);
  Trace("memp_sync {%u, %u} -> %d {%u, %u}", limit.file, limit.offset, rc,
        lsn.file, lsn.offset);
  // On success *lsn is the largest LSN written, below the limit (or left
  // alone when none was).
  if (rc == 0)
    FUZZ_CHECK(Lsn64(lsn) <= Lsn64(limit), "memp_sync wrote past its LSN");
  // Files that only a read-only handle has open are not written.
  bool ro_only = false;
  for (const File &fl : files_)
    ro_only |= fl.mpf == nullptr && fl.ro != nullptr;
  if (ro_only) {
    FUZZ_CHECK(rc == 0 || rc == DB_INCOMPLETE || (rc == kInjected && Armed()),
               "memp_sync: " + Str(rc));
    return;
  }
  AfterSync(-1, rc, "memp_sync", &limit);
}

void Run::OpTrickle() {
  const int pct = static_cast<int>(b_.Below(103)) - 1;  // -1 .. 101
  int wrote = -1;
  const int rc = memp_trickle(mp_, pct, b_.Bit() ? &wrote : nullptr);
  Trace("trickle %d -> %d wrote %d", pct, rc, wrote);
  if (pct < 1 || pct > 100) {
    FUZZ_CHECK(rc == EINVAL, "trickle pct " + Str(pct) + ": " + Str(rc));
    return;
  }
  FUZZ_CHECK(rc == 0 || (rc == kInjected && Armed()), "trickle: " + Str(rc));
}

void Run::OpStat() {
  DB_MPOOL_STAT *gs = nullptr;
  DB_MPOOL_FSTAT **fs = nullptr;
  const bool want_files = b_.Bit();
  const int rc = memp_stat(
      mp_, &gs,
      want_files ? reinterpret_cast<DB_MPOOL_FSTAT *(*)[]>(&fs) : nullptr,
      nullptr);
  FUZZ_CHECK(rc == 0 && gs != nullptr, "memp_stat: " + Str(rc));
  FUZZ_CHECK(gs->st_cachesize == env_.mp_size, "st_cachesize");
  // Pages dirtied while pinned and pinned since cannot have been cleaned.
  std::set<std::pair<int, db_pgno_t>> dp;
  for (const Pin &p : pins_)
    if (files_[p.f].pages[p.pgno].dirty_pinned) dp.insert({p.f, p.pgno});
  FUZZ_CHECK(gs->st_page_dirty >= dp.size(),
             "st_page_dirty " + Str(gs->st_page_dirty) + " < " +
                 Str(dp.size()) + " pinned dirty pages");
  FUZZ_CHECK(gs->st_pages * kPageSizes[0] <= env_.mp_size, "st_pages over budget");
  free(gs);
  if (want_files && fs != nullptr) {
    for (DB_MPOOL_FSTAT **p = fs; *p != nullptr; p++) {
      bool ours = false;
      for (const File &fl : files_) ours |= (*p)->st_pagesize == fl.ps;
      FUZZ_CHECK(ours, "st_pagesize " + Str((*p)->st_pagesize));
    }
    free(fs);
  }
}

void Run::OpInject() {
  const int n = 1 + b_.Below(4);
  static const char *const kWhat[] = {"pgin", "pgout", "log flush"};
  const unsigned which = b_.Below(3);
  (which == 0 ? g_fail_in : which == 1 ? g_fail_out : g_fail_log) = n;
  Trace("inject: fail the %s call %d from now", kWhat[which], n);
  injected_ = true;
}

void Run::OpCloseFile() {
  const int f = PickFile();
  if (f < 0) return;
  File &fl = files_[f];
  const bool close_ro = fl.ro != nullptr && (fl.mpf == nullptr || b_.Bit());
  DB_MPOOLFILE *&h = close_ro ? fl.ro : fl.mpf;
  Trace("fclose file %d%s", f, close_ro ? " (ro)" : "");
  FUZZ_CHECK(memp_fclose(h) == 0, "memp_fclose");
  h = nullptr;
  if (fl.mpf == nullptr && fl.ro == nullptr) {
    // The last handle: the process's pins on the file go with it.
    for (size_t i = pins_.size(); i-- > 0;)
      if (pins_[i].f == f) Dropped(i);
    if (fl.path.empty()) {
      fl.pages.clear();  // a temporary file goes too
      fl.next_version = 2;
    }
  }
  stale_.clear();  // a freed temporary file's frames may hold anything
  if (fl.mpf == nullptr && b_.Bit()) OpenFile(f);
}

void Run::OpReadOnly() {
  const int f = PickFile();
  if (f < 0) return;
  File &fl = files_[f];
  if (fl.ro != nullptr || fl.mpf == nullptr) return;
  DBT cookie = CookieOf(&fl);
  char *path = fl.path.empty() ? nullptr : const_cast<char *>(fl.path.c_str());
  const int rc = memp_fopen(mp_, path, fl.codec ? kCodecType : 0, DB_RDONLY, 0,
                            fl.ps, LsnOffset(fl), &cookie, nullptr, &fl.ro);
  if (path == nullptr) {
    FUZZ_CHECK(rc == EINVAL, "DB_RDONLY temporary file: " + Str(rc));
    fl.ro = nullptr;
    return;
  }
  Trace("fopen file %d DB_RDONLY -> %d", f, rc);
  FUZZ_CHECK(rc == 0, "fopen DB_RDONLY: " + Str(rc));
}

void Run::ClosePool() {
  Trace("memp_close");
  FUZZ_CHECK(memp_close(mp_) == 0, "memp_close");
  mp_ = nullptr;
  if (shared_) {
    const int rc = memp_unlink(env_dir_.c_str(), 0, nullptr);
    FUZZ_CHECK(rc == 0, "memp_unlink: " + Str(rc));
  }
  g_fail_in = 0;
  g_fail_out = 0;
  g_fail_log = 0;
  pins_.clear();
  stale_.clear();
  // Dirty pages are dropped: the files hold what they hold.
  for (int f = 0; f < kFiles; f++) {
    File &fl = files_[f];
    fl.mpf = fl.ro = nullptr;
    fl.known = false;
    if (fl.path.empty()) {
      fl.pages.clear();
      continue;
    }
    struct stat st;
    FUZZ_CHECK(stat(fl.path.c_str(), &st) == 0, "stat");
    const size_t n = static_cast<size_t>(st.st_size) / fl.ps;
    FUZZ_CHECK(n <= fl.pages.size(), "file grew past the model");
    for (size_t p = n; p < fl.pages.size(); p++)
      FUZZ_CHECK(
          fl.pages[p].disk.count(0) != 0,
          "page " + Str(p) + " of file " + Str(f) + " written, now gone");
    fl.pages.resize(n);
    for (Page &m : fl.pages) {
      m.dirty = m.dirty_pinned = false;
      m.mem_known = false;
    }
  }
}

void Run::OpReopenPool() {
  ClosePool();
  OpenPool();
  for (int f = 0; f < kFiles; f++) OpenFile(f);
}

// Puts every pin, syncs until nothing is dirty, checks the files.
void Run::Finish() {
  g_fail_in = 0;
  g_fail_out = 0;
  g_fail_log = 0;
  while (!pins_.empty()) {
    const Pin p = pins_.back();
    FUZZ_CHECK(memp_fput(Handle(p.f, false), p.addr, 0) == 0, "final fput");
    Dropped(pins_.size() - 1);
  }
  for (int f = 0; f < kFiles; f++) {
    File &fl = files_[f];
    if (fl.mpf == nullptr && !fl.path.empty()) {
      // Closed files keep their pages cached, dirty ones too: a new
      // read-write handle syncs them.
      if (fl.ro != nullptr) FUZZ_CHECK(memp_fclose(fl.ro) == 0, "fclose");
      fl.ro = nullptr;
      OpenFile(f);
    }
    if (fl.mpf == nullptr) continue;
    // The first sync may report a flusher's error from before.
    int rc = memp_fsync(fl.mpf);
    if (rc == kInjected && injected_) rc = memp_fsync(fl.mpf);
    AfterSync(f, rc, "final memp_fsync");
  }
  // No pin leaked: as many distinct pages as the budget surely holds can
  // be pinned at once (file 0 is open: it has a path).
  File &f0 = files_[0];
  const size_t can = (env_.mp_size - f0.ps) / max_ps_ + 1;
  for (db_pgno_t p = 0; p < can; p++) {
    db_pgno_t pg = p;
    void *page = nullptr;
    const bool grows = p >= f0.pages.size();
    const int rc = memp_fget(f0.mpf, &pg, grows ? DB_MPOOL_CREATE : 0, &page);
    FUZZ_CHECK(rc == 0, "pinning page " + Str(p) + " of " + Str(can) +
                            " at the end: " + Str(rc) + " (a pin leaked?)");
    if (grows) {
      Page np;
      np.disk = {0};
      f0.pages.push_back(np);
    }
    CheckContent(0, p, page, "final pin");
    pins_.push_back({0, p, page});
  }
  for (const Pin &p : pins_)
    FUZZ_CHECK(memp_fput(f0.mpf, p.addr, 0) == 0, "final fput");
  pins_.clear();
  ClosePool();
}

void Run::Go() {
  // The write-ahead-log rule, on for every pool of the input or none (the
  // log is the application's, and outlives pools).
  g_wal = (b_.U8() & 1) != 0;
  g_durable = 0;
  SetUpFiles();
  OpenPool();
  for (int f = 0; f < kFiles; f++) OpenFile(f);
  for (int op = 0; op < kMaxOps && !b_.Done(); op++) {
    switch (b_.Below(20)) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 4:
        OpGet();
        break;
      case 5:
      case 6:
      case 7:
        OpWrite();
        break;
      case 8:
      case 9:
        OpPut(false);
        break;
      case 10:
        OpPut(true);
        break;
      case 11:
        OpBadPointer();
        break;
      case 12:
        OpSync(true);
        break;
      case 13:
        OpSync(false);
        break;
      case 14:
        OpTrickle();
        break;
      case 15:
        OpStat();
        break;
      case 16:
        OpInject();
        break;
      case 17:
        OpCloseFile();
        break;
      case 18:
        OpReadOnly();
        break;
      default:
        if (b_.Below(4) == 0) OpReopenPool();
        break;
    }
  }
  Finish();
}

int RemoveEntry(const char *path, const struct stat *, int, struct FTW *) {
  return remove(path);
}
void RemoveScratch() {
  nftw(g_dir.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  const char *t = getenv("TEST_TMPDIR");
  std::string tmpl =
      std::string(t != nullptr ? t : "/tmp") + "/memp-fuzz-XXXXXX";
  FUZZ_CHECK(mkdtemp(&tmpl[0]) != nullptr, "mkdtemp");
  g_dir = tmpl;
  FUZZ_CHECK(mkdir((g_dir + "/env").c_str(), 0700) == 0, "mkdir");
  atexit(RemoveScratch);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Bytes b(data, size);
  Run(&b).Go();
  return 0;
}
