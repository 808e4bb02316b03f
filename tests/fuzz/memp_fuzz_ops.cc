// The calls of the db_mpool(3) fuzz target and the checks of their
// results against the model (memp_fuzz.h; what it covers: memp_fuzz.cc).
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <string>
#include <vector>

#include "memp_fuzz.h"

namespace lfmfuzz {
namespace memp {

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
  // A read-only handle cannot append; its CREATE past the end makes the
  // page in the pool only.
  if (ro && flags == DB_MPOOL_NEW) expect_einval = true;
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
  // A checkpoint: a new one when none is open or the LSN is past the open
  // one's (its set: every page dirty or pinned now), else the open one
  // goes on. File 1's pages (when it has LSNs) are {1, version}.
  DB_LSN lsn;
  lsn.file = b_.Bit() ? 1 : b_.U8();
  lsn.offset = b_.Bit() ? b_.U8() % 64 : b_.U32();
  const DB_LSN asked = lsn;
  const bool fresh = !ckpt_open_ || Lsn64(asked) > ckpt_lsn_;
  if (fresh) {
    ckpt_open_ = true;
    ckpt_lsn_ = Lsn64(asked);
    ckpt_set_.clear();
    for (int i = 0; i < kFiles; i++)
      for (db_pgno_t p = 0; p < files_[i].pages.size(); p++)
        if (files_[i].pages[p].dirty || Pins(i, p) > 0)
          ckpt_set_.insert({i, p});
  }
  const int rc = memp_sync(mp_, &lsn);
  Trace("memp_sync {%u, %u}%s -> %d {%u, %u}", asked.file, asked.offset,
        fresh ? " (new)" : "", rc, lsn.file, lsn.offset);
  // Files that only a read-only handle has open are not written.
  bool ro_only = false;
  for (const File &fl : files_)
    ro_only |= fl.mpf == nullptr && fl.ro != nullptr;
  AfterCheckpoint(rc, fresh, ro_only);
}

// After memp_sync returned rc. It is DB_INCOMPLETE exactly when a page of
// the set is pinned (while it goes on, a set page the cache evicted and
// read again has left the set: then either). Unpinned pages of the set
// leave it; a new checkpoint wrote the dirty ones (a continued one may
// have found them evicted, which wrote an allowed version).
void Run::AfterCheckpoint(int rc, bool fresh, bool ro_only) {
  if (rc == kInjected && Armed()) return;  // the set stays
  bool pinned = false;
  for (const auto &k : ckpt_set_) pinned |= Pins(k.first, k.second) > 0;
  if (ro_only || (pinned && !fresh)) {
    FUZZ_CHECK(rc == 0 || rc == DB_INCOMPLETE, "memp_sync: " + Str(rc));
  } else if (pinned) {
    FUZZ_CHECK(rc == DB_INCOMPLETE,
               "memp_sync: " + Str(rc) + " with a page of its set pinned");
  } else {
    FUZZ_CHECK(rc == 0, "memp_sync: " + Str(rc) +
                            " with none of its set "
                            "pinned");
  }
  for (auto it = ckpt_set_.begin(); it != ckpt_set_.end();) {
    if (Pins(it->first, it->second) > 0) {
      ++it;
      continue;
    }
    Page &m = files_[it->first].pages[it->second];
    if (fresh && m.dirty && !ro_only) {
      m.disk = {m.mem};
      m.dirty = false;
    }
    it = ckpt_set_.erase(it);
  }
  if (rc != 0) return;
  ckpt_open_ = false;
  ckpt_set_.clear();
  for (int i = 0; i < kFiles; i++)
    if (!files_[i].path.empty() &&
        (files_[i].mpf != nullptr || files_[i].ro != nullptr))
      CheckDisk(i, "memp_sync");
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
  FUZZ_CHECK(gs->st_pages * kPageSizes[0] <= env_.mp_size,
             "st_pages over budget");
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
      for (auto it = ckpt_set_.begin(); it != ckpt_set_.end();)
        it = it->first == f ? ckpt_set_.erase(it) : std::next(it);
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

}  // namespace memp
}  // namespace lfmfuzz
