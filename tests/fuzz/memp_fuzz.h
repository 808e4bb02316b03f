// The db_mpool(3) fuzz target's shared parts: constants, the page
// stamps, the pgin/pgout codec and failure injection, the log callback,
// the model, and the Run class whose ops memp_fuzz_ops.cc defines and
// whose set-up memp_fuzz.cc does (see memp_fuzz.cc for what it checks).
#ifndef LFMPOOL_TESTS_FUZZ_MEMP_FUZZ_H
#define LFMPOOL_TESTS_FUZZ_MEMP_FUZZ_H

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

namespace lfmfuzz {
namespace memp {

constexpr uint32_t kMagic = 0x5a4d464cu;  // "LFMZ"
constexpr uint8_t kCodec = 0xA5;          // the codec file's XOR byte
constexpr int kCodecType = 5;             // its ftype
constexpr int kLsnOffset = 16;            // where file 1's pages keep an LSN
constexpr int kInjected = 77;             // what a failing pgin/pgout returns
constexpr int kFiles = 4;
constexpr int kMaxOps = 400;
constexpr db_pgno_t kMaxPages = 24;  // files stop growing here
// File 0 has 4 KiB pages; the others any of these, so a pool may mix four
// sizes (a miss whose victim is another size's frame then retires it).
constexpr size_t kPageSizes[] = {512, 1024, 2048, 4096, 8192, 16384};
constexpr size_t kPoolSizes[] = {20 << 10, 24 << 10, 40 << 10, 64 << 10};

inline std::string g_dir;  // this process's scratch directory
inline const bool g_trace = TraceOn();

// $LFM_FUZZ_TRACE set: every call, to stdout, to replay one input by hand.
inline void Trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
inline void Trace(const char *fmt, ...) {
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
inline std::atomic<int> g_fail_in{0}, g_fail_out{0};

inline bool Fires(std::atomic<int> *n) {
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
inline std::atomic<bool> g_wal{false};
inline std::atomic<uint64_t> g_durable{0};
inline std::atomic<int> g_fail_log{0};

inline uint64_t Lsn64(const DB_LSN &l) {
  return static_cast<uint64_t>(l.file) << 32 | l.offset;
}
inline int LogFlush(void *, const DB_LSN *lsn) {
  if (Fires(&g_fail_log)) return kInjected;
  uint64_t d = g_durable.load();
  while (d < Lsn64(*lsn) && !g_durable.compare_exchange_weak(d, Lsn64(*lsn))) {
  }
  return 0;
}

inline void XorPage(void *pgaddr, const DBT *cookie) {
  const size_t ps = static_cast<const Cookie *>(cookie->data)->ps;
  uint8_t *p = static_cast<uint8_t *>(pgaddr);
  for (size_t i = 0; i < ps; i++) p[i] ^= kCodec;
}
inline int PgIn(db_pgno_t, void *pgaddr, DBT *cookie) {
  if (Fires(&g_fail_in)) return kInjected;
  XorPage(pgaddr, cookie);
  return 0;
}
inline int PgOut(db_pgno_t, void *pgaddr, DBT *cookie) {
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
inline uint8_t BodyByte(uint32_t pgno, uint32_t version, size_t i) {
  return static_cast<uint8_t>(version * 131u + pgno * 7u + i);
}
inline DB_LSN LsnOf(uint32_t version) {
  DB_LSN l;
  l.file = version == 0 ? 0 : 1;
  l.offset = version;
  return l;
}
inline bool InLsn(bool lsn, size_t i) {
  return lsn && i >= kLsnOffset && i < kLsnOffset + sizeof(DB_LSN);
}
inline void WriteStamp(uint8_t *p, size_t ps, int f, db_pgno_t pgno, uint32_t v,
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
inline long long ReadStamp(const uint8_t *p, size_t ps, int f, db_pgno_t pgno,
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

inline int LsnOffset(const File &fl) { return fl.cookie.lsn ? kLsnOffset : -1; }

// The pgcookie memp_fopen copies: the file's page size, for the codec.
inline DBT CookieOf(File *fl) {
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

inline std::string Str(long long v) { return std::to_string(v); }

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
  void AfterCheckpoint(int rc, bool fresh, bool ro_only);

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
  // memp_sync's checkpoint as the model sees it (src/engine/checkpoint.h): one is
  // open (the last call did not return 0), its LSN, and its set: the pages
  // dirty or pinned when it started that the model has not seen leave it.
  bool ckpt_open_ = false;
  uint64_t ckpt_lsn_ = 0;
  std::set<std::pair<int, db_pgno_t>> ckpt_set_;
};

}  // namespace memp
}  // namespace lfmfuzz

#endif  // LFMPOOL_TESTS_FUZZ_MEMP_FUZZ_H
