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
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "memp_fuzz.h"

namespace lfmfuzz {
namespace memp {

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
  ckpt_open_ = false;  // the region goes (shared ones are unlinked)
  ckpt_set_.clear();
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

}  // namespace memp
}  // namespace lfmfuzz

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  lfmfuzz::memp::g_dir = lfmfuzz::ScratchDir("memp-fuzz");
  FUZZ_CHECK(mkdir((lfmfuzz::memp::g_dir + "/env").c_str(), 0700) == 0,
             "mkdir");
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  lfmfuzz::Bytes b(data, size);
  lfmfuzz::memp::Run(&b).Go();
  return 0;
}
