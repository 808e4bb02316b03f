// Model-based random test of the db_mpool(3) API, bad input included.
//
// One thread drives a small pool (20 or 32 KiB) over two files, one plain
// and one behind an XOR pgin/pgout codec, with a random mix of valid and
// invalid calls: memp_fget with every mode (and conflicting or unknown
// flags, NULL pagep, pages past the end), memp_fput/memp_fset with every
// flag (and CLEAN|DIRTY, unknown bits, pointers the pool never returned,
// pointers into the middle of a page, stale pointers), memp_fsync,
// memp_sync, memp_trickle, memp_fclose with pins held, and pool re-opens,
// private ones and ones shared by directory. Half the rounds also use a
// third file of 8 KiB pages, so page sizes mix and misses retire frames
// (docs/protocol.md rule 24). Some rounds open the plain
// file a second time, DB_RDONLY: pins through either handle share frames,
// DIRTY through the read-only one is EACCES, and closing one handle while
// the other is open keeps every pin.
// A model holds each page's contents and every pin the test holds; each
// call's return code is checked against what the manual page says, every
// pinned page against the model, and after every sync that returned 0 the
// file on disk against the model. Each round ends by releasing every pin,
// checking that nothing stayed pinned (all frames can be pinned at once) and
// that the pool has no dirty page left.
//
// Seed: $LFM_SEED (default kDefaultSeed); ops per round: $LFM_MODEL_OPS;
// $LFM_MODEL_TRACE=1 prints every call (model_driver.h).
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "model_driver.h"
#include "tests/common/test_util.h"

namespace lfmtest {
namespace {

constexpr unsigned long long kDefaultSeed = 0x30de1ULL;
#if defined(__SANITIZE_THREAD__)
// One thread drives it: under TSan only the flushers run beside it, and a
// quarter of the calls find what they can at a tenth of the speed.
constexpr unsigned long long kDefaultOps = 1000;
#else
constexpr unsigned long long kDefaultOps = 4000;
#endif
constexpr int kRounds = 6;
constexpr uint8_t kCodec = 0x5C;        // the codec file's pgin/pgout XOR byte
constexpr db_pgno_t kMaxPages = 40;     // files stop growing here
constexpr int kCodecType = 7;           // ftype of the codec file
constexpr size_t kBigPage = 2 * kPage;  // the third file's pages

int XorCodec(db_pgno_t, void *pgaddr, DBT *) {
  uint8_t *p = static_cast<uint8_t *>(pgaddr);
  for (size_t i = 0; i < kPage; i++) p[i] ^= kCodec;
  return 0;
}

// What a page holds: pattern pages of a version, or a fill byte (0 for
// DB_MPOOL_NEW and plain CREATE, kCodec for CREATE through the codec: pgin
// runs on the zeroed page).
struct PageModel {
  bool pattern = true;
  uint32_t version = 0;
  uint8_t fill = 0;
  // Changed since the last sync that certainly wrote it: DB_MPOOL_CLEAN
  // would drop that change, so the test only uses CLEAN when this is false.
  bool unsynced = false;
  // Made dirty while pinned, and pinned ever since: no one may write it
  // (eviction and flushers leave pinned pages alone), so a sync must skip it
  // and return DB_INCOMPLETE.
  bool dirty_pinned = false;
};

struct FileModel {
  std::string path;
  size_t ps = kPage;
  bool codec = false;
  DB_MPOOLFILE *mpf = nullptr;
  // A second, DB_RDONLY handle (plain file, some rounds): its pins share
  // the pages' frames; DIRTY through it is EACCES, NEW and CREATE past the
  // end EINVAL, and its memp_fsync writes nothing.
  DB_MPOOLFILE *ro = nullptr;
  std::vector<PageModel> pages;
};

struct Pin {
  int file;
  db_pgno_t pgno;
  void *addr;
  bool ro = false;  // taken through the file's DB_RDONLY handle
};

class ModelTest : public PoolTest, protected ModelDriver {
 protected:
  std::vector<uint8_t> Content(int f, db_pgno_t pg) const {
    const PageModel &m = files_[f].pages[pg];
    const size_t ps = files_[f].ps;
    if (m.pattern) return PatternPage(pg, ps, m.version);
    return std::vector<uint8_t>(ps, m.fill);
  }
  std::vector<uint8_t> DiskImage(int f, db_pgno_t pg) const {
    std::vector<uint8_t> v = Content(f, pg);
    return files_[f].codec ? Xor(v, kCodec) : v;
  }
  int PinCount(int f, db_pgno_t pg) const {
    int n = 0;
    for (const Pin &p : pins_) n += (p.file == f && p.pgno == pg);
    return n;
  }
  size_t DistinctPinned() const {
    std::set<std::pair<int, db_pgno_t>> s;
    for (const Pin &p : pins_) s.insert({p.file, p.pgno});
    return s.size();
  }
  bool AnyPinned(int f) const {
    for (const Pin &p : pins_)
      if (f < 0 || p.file == f) return true;
    return false;
  }
  bool AnyDirtyPinned(int f) const {
    for (size_t i = 0; i < files_.size(); i++) {
      if (f >= 0 && static_cast<int>(i) != f) continue;
      for (const PageModel &m : files_[i].pages)
        if (m.dirty_pinned) return true;
    }
    return false;
  }
  bool IsPinnedAddr(const void *a) const {
    for (const Pin &p : pins_)
      if (p.addr == a) return true;
    return false;
  }

  // ------------------------------------------------------------ set-up

  void OpenPoolAndFiles() {
    const int flags = (Rand(2) ? DB_THREAD : 0) | (Rand(2) ? DB_NOMMAP : 0);
    // A third of the rounds use a pool shared by directory (one process
    // here): its pins are also logged per process, and the put and fset
    // checks ask that log (pinlog.h).
    if (Rand(3) == 0) {
      std::string dir = Path("region" + std::to_string(round_));
      ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0) << dir;
      DB_ENV *env = new DB_ENV;
      memset(env, 0, sizeof *env);
      env->mp_size = mp_size_;
      Envs().push_back(env);
      Trace("memp_open %s size %zu flags %#x", dir.c_str(), mp_size_, flags);
      ASSERT_EQ(memp_open(&dir[0], DB_CREATE | flags, 0644, env, &mp_), 0)
          << Where();
    } else {
      Trace("memp_open size %zu flags %#x mixed %d", mp_size_, flags, mixed_);
      ASSERT_EQ(OpenPool(mp_size_, &mp_, flags), 0) << Where();
    }
    if (Rand(2)) {
      ASSERT_EQ(memp_set_flushers(mp_, 0, 0), 0);
    }
    ASSERT_EQ(memp_register(mp_, kCodecType, XorCodec, XorCodec), 0);
    for (size_t f = 0; f < files_.size(); f++) ReopenFile(static_cast<int>(f));
    if (Rand(2)) OpenReadOnly();
  }
  void ReopenFile(int f) {
    FileModel &fm = files_[f];
    ASSERT_EQ(
        OpenFile(mp_, fm.path, fm.ps, &fm.mpf, 0, fm.codec ? kCodecType : 0), 0)
        << Where() << " " << fm.path;
  }
  // After the read-write handle: the file has been writable through the
  // cache, so the read-only handle is not mapped and shares its frames.
  void OpenReadOnly() {
    FileModel &fm = files_[0];
    Trace("fopen file 0 DB_RDONLY");
    ASSERT_EQ(OpenFile(mp_, fm.path, kPage, &fm.ro, DB_RDONLY), 0) << Where();
  }
  DB_MPOOLFILE *HandleOf(const Pin &p) const {
    return p.ro ? files_[p.file].ro : files_[p.file].mpf;
  }
  // Files a round uses: the third, of 8 KiB pages, only in rounds that mix
  // page sizes (it is open in all).
  int NFiles() const { return mixed_ ? 3 : 2; }
  int PickFile() { return static_cast<int>(Rand(NFiles())); }
  void MakeFiles() {
    static const char *const kNames[] = {"plain.db", "codec.db", "big.db"};
    for (int f = 0; f < 3; f++) {
      FileModel fm;
      fm.path = Path(kNames[f]);
      fm.codec = (f == 1);
      fm.ps = f == 2 ? kBigPage : kPage;
      fm.pages.resize(3 + Rand(6));
      std::vector<uint8_t> all;
      files_.push_back(fm);
      for (db_pgno_t p = 0; p < files_[f].pages.size(); p++) {
        std::vector<uint8_t> img = DiskImage(f, p);
        all.insert(all.end(), img.begin(), img.end());
      }
      ASSERT_TRUE(WriteAll(fm.path, all.data(), all.size()));
    }
  }

  // ------------------------------------------------------------ checks

  void ExpectPinnedContent(const Pin &p, const char *what) {
    EXPECT_EQ(Bytes(p.addr, files_[p.file].ps), Content(p.file, p.pgno))
        << Where() << ": " << what << " file " << p.file << " page " << p.pgno;
  }
  // After a sync of file f (-1: all) returned rc: pages it had to write are
  // on disk, and rc is DB_INCOMPLETE exactly when it had to skip one.
  void CheckSync(int f, int rc, const char *what) {
    Trace("%s file %d -> %d", what, f, rc);
    if (AnyDirtyPinned(f)) {
      EXPECT_EQ(rc, DB_INCOMPLETE) << Where() << ": " << what;
    } else if (!AnyPinned(f)) {
      EXPECT_EQ(rc, 0) << Where() << ": " << what;
    } else {
      EXPECT_TRUE(rc == 0 || rc == DB_INCOMPLETE)
          << Where() << ": " << what << " returned " << rc;
    }
    if (rc != 0 && rc != DB_INCOMPLETE) return;
    for (size_t i = 0; i < files_.size(); i++) {
      if (f >= 0 && static_cast<int>(i) != f) continue;
      FileModel &fm = files_[i];
      const int fi = static_cast<int>(i);
      if (rc == 0 || !AnyPinned(fi)) {
        EXPECT_EQ(FileSize(fm.path),
                  static_cast<long long>(fm.pages.size() * fm.ps))
            << Where() << ": " << what << " " << fm.path;
      }
      for (db_pgno_t p = 0; p < fm.pages.size(); p++) {
        if (rc != 0 && PinCount(fi, p) > 0) continue;
        EXPECT_EQ(ReadPage(fm.path, p, fm.ps), DiskImage(fi, p))
            << Where() << ": " << what << ": on disk, file " << i << " page "
            << p;
        fm.pages[p].unsynced = false;
      }
    }
  }

  // ------------------------------------------------------------ ops

  // memp_fget of an existing page, or with CREATE / LAST / NEW.
  void OpGet() {
    const int f = PickFile();
    FileModel &fm = files_[f];
    const db_pgno_t n = static_cast<db_pgno_t>(fm.pages.size());
    const unsigned mode = Rand(8);
    // Through the read-only handle NEW fails, so it is tried even when the
    // file is at its largest; CREATE past the end makes the page in the
    // pool only, as through a writable handle.
    const bool ro = fm.ro != nullptr && Rand(3) == 0;
    const bool may_grow = n < kMaxPages;
    unsigned long flags = 0;
    db_pgno_t pg = Rand(n), want = pg;
    bool grows = false;
    uint8_t fill = 0;
    if (mode == 0 && may_grow) {  // CREATE at or past the end
      flags = DB_MPOOL_CREATE;
      pg = want = n + Rand(3);
      grows = true;
      fill = fm.codec ? kCodec : 0;
    } else if (mode == 1) {
      flags = DB_MPOOL_CREATE;  // of an existing page: reads it
    } else if (mode == 2) {
      flags = DB_MPOOL_LAST;
      want = n - 1;
      pg = Rand(1000);  // ignored
    } else if (mode == 3 && (may_grow || ro)) {
      flags = DB_MPOOL_NEW;
      want = n;
      pg = Rand(1000);  // ignored
      grows = true;
    }
    // A miss needs a frame; with every frame pinned it is ENOMEM (a hit, or
    // a page already pinned, may still succeed). With page sizes mixed,
    // frames are 4 or 8 KiB: a miss must succeed while the pinned pages'
    // frames (8 KiB at most each) and its own fit the budget, since it may
    // retire every unpinned frame; past that it may fail.
    const bool may_enomem = mixed_
                                ? DistinctPinned() * kBigPage + fm.ps > mp_size_
                                : DistinctPinned() >= frames_;
    void *page = nullptr;
    const int rc = memp_fget(ro ? fm.ro : fm.mpf, &pg, flags, &page);
    Trace("fget%s file %d pgno %u flags %lu -> %d page %p pgno %u",
          ro ? " (read-only handle)" : "", f, want, flags, rc, page, pg);
    if (ro && flags == DB_MPOOL_NEW) {
      // A read-only handle cannot append.
      EXPECT_EQ(rc, EINVAL) << Where() << ": NEW, DB_RDONLY";
      return;
    }
    if (!mixed_ && may_enomem && !grows && PinCount(f, want) == 0) {
      // Every frame holds a page this test pinned: not this one.
      EXPECT_EQ(rc, ENOMEM) << Where() << ": a miss with every frame pinned";
    }
    if (rc == ENOMEM && may_enomem) {
      EXPECT_TRUE(grows || PinCount(f, want) == 0) << Where();
      return;
    }
    ASSERT_EQ(rc, 0) << Where() << ": fget file " << f << " flags " << flags
                     << " pgno " << want << " (" << DistinctPinned()
                     << " pinned of " << frames_ << " frames)";
    ASSERT_EQ(pg, want) << Where();
    ASSERT_NE(page, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(page) % sizeof(size_t), 0u);
    for (const Pin &p : pins_)
      if (p.file == f && p.pgno == want) {
        EXPECT_EQ(p.addr, page) << Where() << ": a page has one address";
      }
    if (grows) {
      // Pages between the old end and a CREATE past it are created too, as
      // pgin makes them when first read (zero pages through pgin).
      for (db_pgno_t p = n; p <= want; p++) {
        PageModel m;
        m.pattern = false;
        m.fill = (p == want || flags == DB_MPOOL_CREATE) ? fill : 0;
        fm.pages.push_back(m);
      }
      // A created page that is never dirtied need not reach the file; the
      // model keeps every page it counts written, so it dirties them now.
      pins_.push_back({f, want, page});
      ExpectPinnedContent(pins_.back(), "created page");
      if (ro) {
        // Created through the read-only handle: never its to write.
        EXPECT_EQ(memp_fset(fm.ro, page, DB_MPOOL_DIRTY), EACCES) << Where();
      }
      ASSERT_EQ(memp_fset(fm.mpf, page, DB_MPOOL_DIRTY), 0) << Where();
      fm.pages[want].unsynced = true;
      fm.pages[want].dirty_pinned = true;
      for (db_pgno_t p = n; p < want; p++) DirtyGap(f, p);
      return;
    }
    pins_.push_back({f, want, page, ro});
    ExpectPinnedContent(pins_.back(), "fget");
  }
  // Dirties a page a CREATE past the end made implicitly.
  void DirtyGap(int f, db_pgno_t p) {
    db_pgno_t pg = p;
    void *page = nullptr;
    const int rc = memp_fget(files_[f].mpf, &pg, 0, &page);
    Trace("fget gap file %d pgno %u -> %d page %p", f, p, rc, page);
    if (rc == ENOMEM) {
      // No frame for it: the gap stays implicit. Write it through another
      // pin later; until then the model cannot say what the file holds, so
      // release a pin and retry (there is one: every frame is pinned).
      ASSERT_FALSE(pins_.empty()) << Where();
      ReleasePin(0, 0);
      return DirtyGap(f, p);
    }
    ASSERT_EQ(rc, 0) << Where() << ": gap page " << p;
    EXPECT_EQ(Bytes(page, files_[f].ps), Content(f, p))
        << Where() << ": file " << f << " gap page " << p;
    ASSERT_EQ(memp_fput(files_[f].mpf, page, DB_MPOOL_DIRTY), 0) << Where();
    files_[f].pages[p].unsynced = true;
  }

  // Releases pins_[i] with `flags` (which must be valid for it).
  void ReleasePin(size_t i, unsigned long flags) {
    const Pin p = pins_[i];
    Trace("fput file %d pgno %u page %p flags %lu", p.file, p.pgno, p.addr,
          flags);
    ExpectPinnedContent(p, "before fput");
    if (p.ro && (flags & DB_MPOOL_DIRTY)) {
      // EACCES, and the pin stays: put it again without DIRTY.
      EXPECT_EQ(memp_fput(HandleOf(p), p.addr, flags), EACCES) << Where();
      flags &= ~static_cast<unsigned long>(DB_MPOOL_DIRTY);
    }
    ASSERT_EQ(memp_fput(HandleOf(p), p.addr, flags), 0)
        << Where() << ": fput flags " << flags;
    pins_.erase(pins_.begin() + static_cast<long>(i));
    PageModel &m = files_[p.file].pages[p.pgno];
    if (flags & DB_MPOOL_DIRTY) m.dirty_pinned = true;
    if (flags & DB_MPOOL_CLEAN) m.dirty_pinned = false;
    if (PinCount(p.file, p.pgno) == 0) m.dirty_pinned = false;
  }

  // A valid flag set for a put/fset of page m: CLEAN only when it drops
  // nothing.
  unsigned long PutFlags(const PageModel &m) {
    static const unsigned long kChoices[] = {0,
                                             DB_MPOOL_DIRTY,
                                             DB_MPOOL_CLEAN,
                                             DB_MPOOL_DISCARD,
                                             DB_MPOOL_DIRTY | DB_MPOOL_DISCARD,
                                             DB_MPOOL_CLEAN | DB_MPOOL_DISCARD};
    unsigned long fl = kChoices[Rand(6)];
    if ((fl & DB_MPOOL_CLEAN) && (m.unsynced || m.dirty_pinned))
      fl &= ~static_cast<unsigned long>(DB_MPOOL_CLEAN);
    return fl;
  }

  void OpPut() {
    if (pins_.empty()) return OpGet();
    const size_t i = Rand(static_cast<unsigned>(pins_.size()));
    void *addr = pins_[i].addr;
    ReleasePin(i, PutFlags(files_[pins_[i].file].pages[pins_[i].pgno]));
    Stale(addr);
  }
  void Stale(void *addr) {
    if (stale_.size() >= 32) stale_.erase(stale_.begin());
    stale_.push_back(addr);
  }

  // Writes a new version into a pinned page and marks it dirty.
  void OpModify() {
    std::vector<Pin> rw;
    for (const Pin &q : pins_)
      if (!q.ro) rw.push_back(q);
    if (rw.empty()) return OpGet();
    const Pin p = rw[Rand(static_cast<unsigned>(rw.size()))];
    PageModel &m = files_[p.file].pages[p.pgno];
    m.pattern = true;
    m.version = ++version_;
    FillPattern(p.addr, files_[p.file].ps, p.pgno, m.version);
    ASSERT_EQ(memp_fset(files_[p.file].mpf, p.addr, DB_MPOOL_DIRTY), 0)
        << Where();
    m.unsynced = true;
    m.dirty_pinned = true;
  }

  void OpFset() {
    if (pins_.empty()) return OpGet();
    const Pin p = pins_[Rand(static_cast<unsigned>(pins_.size()))];
    PageModel &m = files_[p.file].pages[p.pgno];
    const unsigned long fl = PutFlags(m);
    Trace("fset%s file %d pgno %u flags %lu", p.ro ? " (read-only)" : "",
          p.file, p.pgno, fl);
    if (p.ro && (fl & DB_MPOOL_DIRTY)) {
      EXPECT_EQ(memp_fset(HandleOf(p), p.addr, fl), EACCES) << Where();
      ExpectPinnedContent(p, "after a refused fset");
      return;
    }
    ASSERT_EQ(memp_fset(HandleOf(p), p.addr, fl), 0) << Where();
    if (fl & DB_MPOOL_DIRTY) m.dirty_pinned = true;
    if (fl & DB_MPOOL_CLEAN) m.dirty_pinned = false;
    ExpectPinnedContent(p, "after fset");
  }

  // Invalid calls: each must fail with its errno and change nothing.
  void OpBad() {
    const int f = PickFile();
    FileModel &fm = files_[f];
    const db_pgno_t n = static_cast<db_pgno_t>(fm.pages.size());
    void *page = reinterpret_cast<void *>(uintptr_t{1});
    db_pgno_t pg = Rand(n);
    uint8_t local[64] = {0};
    switch (Rand(9)) {
      case 0:
        pg = n + Rand(5);
        EXPECT_EQ(memp_fget(fm.mpf, &pg, 0, &page), EINVAL) << Where();
        break;
      case 1: {
        static const unsigned long kBad[] = {
            DB_MPOOL_CREATE | DB_MPOOL_LAST, DB_MPOOL_CREATE | DB_MPOOL_NEW,
            DB_MPOOL_LAST | DB_MPOOL_NEW, 0x100, 0x80000000UL};
        EXPECT_EQ(memp_fget(fm.mpf, &pg, kBad[Rand(5)], &page), EINVAL)
            << Where();
        break;
      }
      case 2:
        EXPECT_EQ(memp_fget(fm.mpf, &pg, 0, nullptr), EINVAL) << Where();
        break;
      case 3:
        EXPECT_EQ(memp_fput(fm.mpf, local, 0), EINVAL) << Where();
        EXPECT_EQ(memp_fset(fm.mpf, local, DB_MPOOL_DIRTY), EINVAL) << Where();
        break;
      case 4:
      case 5: {
        if (pins_.empty()) break;
        const Pin p = pins_[Rand(static_cast<unsigned>(pins_.size()))];
        DB_MPOOLFILE *mpf = HandleOf(p);
        uint8_t *a = static_cast<uint8_t *>(p.addr);
        EXPECT_EQ(memp_fput(mpf, a + 1 + Rand(files_[p.file].ps - 1), 0),
                  EINVAL)
            << Where() << ": pointer inside a page";
        EXPECT_EQ(memp_fput(mpf, p.addr, DB_MPOOL_CLEAN | DB_MPOOL_DIRTY),
                  EINVAL)
            << Where();
        EXPECT_EQ(memp_fset(mpf, p.addr, DB_MPOOL_CLEAN | DB_MPOOL_DIRTY),
                  EINVAL)
            << Where();
        EXPECT_EQ(memp_fput(mpf, p.addr, 0x40), EINVAL) << Where();
        EXPECT_EQ(memp_fset(mpf, p.addr, 0x40), EINVAL) << Where();
        ExpectPinnedContent(p, "after rejected calls");
        break;
      }
      default:
        // A pointer that was pinned once and is no longer (its frame may
        // hold another page by now, but not one this test has pinned).
        if (stale_.empty()) break;
        void *s = stale_[Rand(static_cast<unsigned>(stale_.size()))];
        if (IsPinnedAddr(s)) break;
        // Every flag: none may reach the frame (CLEAN would drop a
        // change the next sync must write; the model would see it).
        static const unsigned long kFlags[] = {
            0, DB_MPOOL_DIRTY, DB_MPOOL_CLEAN, DB_MPOOL_DISCARD,
            DB_MPOOL_CLEAN | DB_MPOOL_DISCARD};
        const unsigned long fl = kFlags[Rand(5)];
        Trace("stale put/fset file %d page %p flags %lu", f, s, fl);
        EXPECT_EQ(memp_fput(fm.mpf, s, fl), EINVAL) << Where() << ": stale";
        EXPECT_EQ(memp_fset(fm.mpf, s, fl), EINVAL) << Where() << ": stale";
        break;
    }
  }

  void OpSync() {
    const unsigned k = Rand(4);
    if (k < 2) {
      const int f = PickFile();
      if (files_[f].ro != nullptr && Rand(3) == 0) {
        // Nothing is dirty through a read-only handle: it writes nothing.
        EXPECT_EQ(memp_fsync(files_[f].ro), 0) << Where() << ": DB_RDONLY";
        return;
      }
      CheckSync(f, memp_fsync(files_[f].mpf), "memp_fsync");
    } else if (k == 2) {
      // Each checkpoint a new one (a larger LSN): it writes every page
      // dirty now. Retries of an incomplete one: memp_file_test.
      DB_LSN lsn;
      lsn.file = 1;
      lsn.offset = ++checkpoints_;
      CheckSync(-1, memp_sync(mp_, &lsn), "memp_sync");
    } else {
      int nwrote = -1;
      const int rc =
          memp_trickle(mp_, static_cast<int>(1 + Rand(100)), &nwrote);
      EXPECT_EQ(rc, 0) << Where() << ": memp_trickle";
      EXPECT_GE(nwrote, 0) << Where();
    }
  }

  // memp_fclose with pins held releases them; the file's pages stay as the
  // model says once it is open again (the model syncs it first: fclose
  // writes nothing and a closed file's dirty pages are not kept).
  void OpReopenFile() {
    const int f = PickFile();
    FileModel &fm = files_[f];
    if (fm.ro != nullptr && Rand(2)) {
      // Not the file's last handle: every pin stays, the read-only ones
      // too (pins are not per handle), usable through the new handle.
      Trace("fclose file %d DB_RDONLY handle", f);
      ASSERT_EQ(memp_fclose(fm.ro), 0) << Where();
      fm.ro = nullptr;
      return OpenReadOnly();
    }
    std::vector<Pin> kept;
    for (size_t i = 0; i < pins_.size();) {
      const Pin p = pins_[i];
      if (p.file != f) {
        i++;
        continue;
      }
      // Dirty pins are put (so the sync can write them); clean ones stay
      // pinned for fclose to release.
      const PageModel &m = files_[f].pages[p.pgno];
      if (m.dirty_pinned || m.unsynced || Rand(2)) {
        ReleasePin(i, 0);
      } else {
        kept.push_back(p);
        i++;
      }
    }
    for (const PageModel &m : fm.pages) ASSERT_FALSE(m.dirty_pinned);
    CheckSync(f, memp_fsync(fm.mpf), "memp_fsync before fclose");
    Trace("fclose file %d with %zu pins kept", f, kept.size());
    ASSERT_EQ(memp_fclose(fm.mpf), 0) << Where();
    fm.mpf = nullptr;
    if (fm.ro != nullptr) {
      // The read-only handle is still open: not the last, so the pins
      // stay, and go on through the reopened handle.
      return ReopenFile(f);
    }
    std::vector<Pin> rest;
    for (const Pin &p : pins_)
      if (p.file != f) rest.push_back(p);
    for (const Pin &p : kept) Stale(p.addr);
    pins_ = rest;
    ReopenFile(f);
  }

  // Releases every pin, checks that none stayed (every frame can be pinned
  // at once), syncs, checks there is no dirty page left and closes the pool.
  void EndRound() {
    while (!pins_.empty()) {
      const Pin p = pins_.back();
      ReleasePin(pins_.size() - 1, p.file == 0 ? DB_MPOOL_DISCARD : 0);
      Stale(p.addr);
    }
    // A second put of a pointer already released is EINVAL.
    for (void *s : stale_)
      EXPECT_EQ(memp_fput(files_[0].mpf, s, 0), EINVAL) << Where();
    DB_LSN lsn;
    lsn.file = lsn.offset = 0xffffffffu;
    CheckSync(-1, memp_sync(mp_, &lsn), "memp_sync at the end");
    EXPECT_EQ(Stat(mp_).st_page_dirty, 0u) << Where();
    // No pin leaked: frames_ distinct pages pin at once. With page sizes
    // mixed, a 4 KiB page may sit in an 8 KiB frame, so as many as 8 KiB
    // frames fit the budget.
    const size_t want = mixed_ ? mp_size_ / kBigPage : frames_;
    std::vector<Pin> all;
    for (int f = 0; f < NFiles() && all.size() < want; f++) {
      for (db_pgno_t p = 0; p < files_[f].pages.size() && all.size() < want;
           p++) {
        db_pgno_t pg = p;
        void *page = nullptr;
        ASSERT_EQ(memp_fget(files_[f].mpf, &pg, 0, &page), 0)
            << Where() << ": a pin leaked (" << all.size() << " of " << want
            << " pinnable)";
        all.push_back({f, p, page});
        ExpectPinnedContent(all.back(), "at the end");
      }
    }
    for (const Pin &p : all)
      ASSERT_EQ(memp_fput(files_[p.file].mpf, p.addr, 0), 0) << Where();
    ASSERT_EQ(memp_close(mp_), 0) << Where();
    mp_ = nullptr;
    for (FileModel &fm : files_) fm.mpf = fm.ro = nullptr;
    stale_.clear();
  }

  size_t mp_size_ = kSmallPool;
  size_t frames_ = kSmallPoolFrames;
  // This round uses the 8 KiB file too (NFiles).
  bool mixed_ = false;
  uint32_t version_ = 100;
  std::vector<FileModel> files_;
  std::vector<Pin> pins_;
  uint32_t checkpoints_ = 0;  // memp_sync calls: each a larger LSN
  std::vector<void *> stale_;
};

TEST_F(ModelTest, RandomCallsMatchTheModel) {
  const unsigned long long ops = Start(kDefaultSeed, kDefaultOps, kRounds);
  ASSERT_NO_FATAL_FAILURE(MakeFiles());
  for (round_ = 0; round_ < kRounds; round_++) {
    mp_size_ = Rand(2) ? kSmallPool : 8 * kPage;
    frames_ = mp_size_ / kPage;
    mixed_ = Rand(2) == 0;
    ASSERT_NO_FATAL_FAILURE(OpenPoolAndFiles());
    for (op_ = 0; op_ < ops; op_++) {
      const unsigned k = Rand(100);
      if (k < 30) {
        ASSERT_NO_FATAL_FAILURE(OpGet());
      } else if (k < 55) {
        ASSERT_NO_FATAL_FAILURE(OpPut());
      } else if (k < 70) {
        ASSERT_NO_FATAL_FAILURE(OpModify());
      } else if (k < 78) {
        ASSERT_NO_FATAL_FAILURE(OpFset());
      } else if (k < 90) {
        ASSERT_NO_FATAL_FAILURE(OpBad());
      } else if (k < 98) {
        ASSERT_NO_FATAL_FAILURE(OpSync());
      } else {
        ASSERT_NO_FATAL_FAILURE(OpReopenFile());
      }
      if (HasFailure()) return;
    }
    ASSERT_NO_FATAL_FAILURE(EndRound());
  }
}

}  // namespace
}  // namespace lfmtest
