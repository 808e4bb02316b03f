// Shared pools (issue 4), across fork: region files under a directory,
// joining with good and bad parameters, files identified by dev/ino or uid,
// memp_unlink with and without force, memp_open(NULL) under TMPDIR, pages of
// files another process opened (written through their path; temporary
// files and unregistered pgouts never written), and mpool_open with a key.
//
// Every test forks its children before the parent opens a pool (the parent
// is single-threaded at fork time); children open their own pools, talk to
// the parent over pipes (shared_util.h) and leave with _exit. TMPDIR points
// at the test's own directory.
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "shared_util.h"
#include "test_util.h"
// After db_mpool.h (through test_util.h), as mpool.h asks.
#include "mpool.h"

namespace lfmtest {
namespace {

constexpr size_t kMiB = 1024 * 1024;

class SharedPool : public ::testing::Test {
 protected:
  void SetUp() override {
    tmpdir_.reset(new ScopedTmpdir(dir_.path()));
    pool_ = dir_.File("pool");
    ASSERT_EQ(::mkdir(pool_.c_str(), 0755), 0) << strerror(errno);
  }
  void TearDown() override {
    for (DB_MPOOL *mp : open_) EXPECT_EQ(memp_close(mp), 0);
    open_.clear();
  }
  // Opens (and remembers, for TearDown) a pool in pool_ or `dir`.
  DB_MPOOL *Open(int flags, size_t size, const char *dir = nullptr) {
    DB_MPOOL *mp = nullptr;
    int rc = OpenShared(dir != nullptr ? dir : pool_.c_str(), flags, size, &mp);
    EXPECT_EQ(rc, 0) << strerror(rc);
    if (rc == 0) open_.push_back(mp);
    return mp;
  }
  void Close(DB_MPOOL *mp) {
    for (size_t i = 0; i < open_.size(); i++)
      if (open_[i] == mp) open_.erase(open_.begin() + static_cast<long>(i));
    EXPECT_EQ(memp_close(mp), 0);
  }
  std::string Region() const { return pool_ + "/" + kRegionFile; }

  TempDir dir_;
  std::unique_ptr<ScopedTmpdir> tmpdir_;
  std::string pool_;
  std::vector<DB_MPOOL *> open_;
};

// ---------------------------------------------------------------- helpers
// (usable in a child: failures go through C_* and _exit)

unsigned long CPageIn(DB_MPOOL *mp) {
  DB_MPOOL_STAT *gs = nullptr;
  C_OK(memp_stat(mp, &gs, nullptr, nullptr));
  unsigned long v = gs->st_page_in;
  free(gs);
  return v;
}

DB_MPOOL *COpen(const char *dir, int flags, size_t size) {
  DB_MPOOL *mp = nullptr;
  C_OK(OpenShared(dir, flags, size, &mp));
  return mp;
}

DB_MPOOLFILE *CFopen(DB_MPOOL *mp, const std::string &path, int ftype = 0,
                     int flags = 0, size_t ps = kPage) {
  DB_MPOOLFILE *mpf = nullptr;
  std::string copy = path;
  C_OK(memp_fopen(mp, copy.empty() ? nullptr : &copy[0], ftype, flags, 0644, ps,
                  -1, nullptr, nullptr, &mpf));
  return mpf;
}

// Page pgno filled with the salted pattern and put DIRTY.
void CDirty(DB_MPOOLFILE *mpf, db_pgno_t pgno, uint32_t salt,
            unsigned long getflags = 0) {
  db_pgno_t pg = pgno;
  void *p = nullptr;
  C_OK(memp_fget(mpf, &pg, getflags, &p));
  C_CHECK_MSG(pg == pgno, "got page " << pg << " for " << pgno);
  FillPattern(p, kPage, pgno, salt);
  C_OK(memp_fput(mpf, p, DB_MPOOL_DIRTY));
}

// Page pgno must hold the salted pattern.
void CExpect(DB_MPOOLFILE *mpf, db_pgno_t pgno, uint32_t salt) {
  db_pgno_t pg = pgno;
  void *p = nullptr;
  C_OK(memp_fget(mpf, &pg, 0, &p));
  bool same = Bytes(p, kPage) == PatternPage(pgno, kPage, salt);
  C_OK(memp_fput(mpf, p, 0));
  C_CHECK_MSG(same, "page " << pgno << " does not hold pattern salt " << salt);
}

// Parent-side (gtest) versions.
void Dirty(DB_MPOOLFILE *mpf, db_pgno_t pgno, uint32_t salt) {
  db_pgno_t pg = pgno;
  void *p = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &p), 0) << "page " << pgno;
  FillPattern(p, kPage, pgno, salt);
  ASSERT_EQ(memp_fput(mpf, p, DB_MPOOL_DIRTY), 0);
}

void ExpectPage(DB_MPOOLFILE *mpf, db_pgno_t pgno,
                const std::vector<uint8_t> &want, const std::string &what) {
  db_pgno_t pg = pgno;
  void *p = nullptr;
  ASSERT_EQ(memp_fget(mpf, &pg, 0, &p), 0) << what << ": page " << pgno;
  EXPECT_TRUE(Bytes(p, kPage) == want) << what << ": page " << pgno;
  ASSERT_EQ(memp_fput(mpf, p, 0), 0);
}

// ================================================================ memp_open

// DB_CREATE without DB_MPOOL_PRIVATE: <dir>/__lfm_mpool.region, with the
// mode given less the umask; it stays after memp_close (dir given).
TEST_F(SharedPool, CreateMakesRegionFileWithModeLessUmask) {
  struct Case {
    mode_t umask_, mode, want;
  } cases[] = {
      {027, 0666, 0640}, {0, 0600, 0600}, {077, 0666, 0600}, {002, 0664, 0664}};
  for (const Case &c : cases) {
    ASSERT_FALSE(Exists(Region()));
    mode_t old = ::umask(c.umask_);
    DB_MPOOL *mp = nullptr;
    int rc =
        OpenShared(pool_.c_str(), DB_CREATE, 0, &mp, static_cast<int>(c.mode));
    ::umask(old);
    ASSERT_EQ(rc, 0) << strerror(rc);
    struct stat st;
    ASSERT_EQ(::stat(Region().c_str(), &st), 0) << strerror(errno);
    EXPECT_TRUE(S_ISREG(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, c.want)
        << std::oct << "umask 0" << c.umask_ << " mode 0" << c.mode;
    EXPECT_EQ(ListDir(pool_), std::vector<std::string>{kRegionFile})
        << "only the region file is created";
    ASSERT_EQ(memp_close(mp), 0);
    EXPECT_TRUE(Exists(Region())) << "memp_close removed a dir's region";
    ASSERT_EQ(memp_unlink(pool_.c_str(), 0, nullptr), 0);
    EXPECT_FALSE(Exists(Region()));
  }
}

TEST_F(SharedPool, JoinWithoutCreateOnEmptyDirIsEnoent) {
  DB_MPOOL *mp = nullptr;
  EXPECT_EQ(OpenShared(pool_.c_str(), 0, 0, &mp), ENOENT);
  EXPECT_EQ(OpenShared(pool_.c_str(), DB_THREAD, kMiB, &mp), ENOENT);
  EXPECT_TRUE(ListDir(pool_).empty()) << "a failed join created a file";
  // A directory that does not exist: ENOENT as well, create or not.
  const std::string none = dir_.File("none");
  EXPECT_EQ(OpenShared(none.c_str(), 0, 0, &mp), ENOENT);
  EXPECT_EQ(OpenShared(none.c_str(), DB_CREATE, 0, &mp), ENOENT);
}

// A dirty page put by one process (no sync) is seen by the next memp_fget
// in the other, with no read (st_page_in unchanged), both ways; the joiner
// gives no mp_size (dbenv NULL) and joins the creator's 1 MiB pool.
TEST_F(SharedPool, DirtyPageSeenByOtherProcessWithoutIo) {
  const std::string f = dir_.File("f.db");
  MakeFile(f, 8, kPage);
  const std::string pool = pool_;
  Child b;
  ASSERT_TRUE(b.Start([&] {
    C_HEAR("go");
    DB_MPOOL *mp = COpen(pool.c_str(), DB_THREAD, 0);
    C_OK(memp_set_flushers(mp, 0, 0));
    DB_MPOOLFILE *mpf = CFopen(mp, f);
    const unsigned long in0 = CPageIn(mp);
    CExpect(mpf, 1, 5);  // A's dirty page
    C_CHECK_MSG(CPageIn(mp) == in0, "the page was read: st_page_in "
                                        << in0 << " -> " << CPageIn(mp));
    CDirty(mpf, 1, 6);  // A's page, changed again
    CDirty(mpf, 2, 7);  // read from the file, then changed
    Tell("done");
    C_HEAR("bye");
    C_OK(memp_close(mp));
  }));
  DB_MPOOL *a = Open(DB_CREATE | DB_THREAD, kMiB);
  ASSERT_NE(a, nullptr);
  StopFlushers(a);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(a, f, kPage, &mpf), 0);
  Dirty(mpf, 1, 5);
  b.Send("go");
  ASSERT_TRUE(b.Expect("done"));
  const unsigned long in0 = Stat(a).st_page_in;
  ExpectPage(mpf, 1, PatternPage(1, kPage, 6), "B's change of A's page");
  ExpectPage(mpf, 2, PatternPage(2, kPage, 7), "B's page");
  EXPECT_EQ(Stat(a).st_page_in, in0) << "A read a page B had in the pool";
  EXPECT_TRUE(ReadPage(f, 2, kPage) == PatternPage(2, kPage, 0))
      << "page 2 reached the file: nothing should have written it";
  b.Send("bye");
  EXPECT_TRUE(b.WaitOk());
}

// A joiner giving an mp_size other than the creator's: EINVAL (in another
// process and in this one); the same size, or none, joins.
TEST_F(SharedPool, JoinWithOtherMpSizeIsEinvalNoneJoins) {
  const std::string pool = pool_;
  Child b;
  ASSERT_TRUE(b.Start([&] {
    C_HEAR("go");
    DB_MPOOL *mp = nullptr;
    C_RC(OpenShared(pool.c_str(), 0, 512 * 1024, &mp), EINVAL);
    C_RC(OpenShared(pool.c_str(), DB_CREATE, 128 * 1024, &mp), EINVAL);
    C_OK(OpenShared(pool.c_str(), 0, 256 * 1024, &mp));
    C_OK(memp_close(mp));
    C_OK(OpenShared(pool.c_str(), 0, 0, &mp));
    DB_MPOOL_STAT *gs = nullptr;
    C_OK(memp_stat(mp, &gs, nullptr, nullptr));
    C_CHECK_MSG(gs->st_cachesize == 256 * 1024,
                "joined a pool of " << gs->st_cachesize << " bytes");
    free(gs);
    C_OK(memp_close(mp));
    Tell("done");
  }));
  DB_MPOOL *a = Open(DB_CREATE, 256 * 1024);
  ASSERT_NE(a, nullptr);
  b.Send("go");
  ASSERT_TRUE(b.Expect("done"));
  EXPECT_TRUE(b.WaitOk());
  DB_MPOOL *mp = nullptr;
  EXPECT_EQ(OpenShared(pool_.c_str(), 0, 1024 * 1024, &mp), EINVAL);
  EXPECT_EQ(OpenShared(pool_.c_str(), DB_CREATE, 20 * 1024, &mp), EINVAL);
  DB_MPOOL *c = Open(0, 0);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Stat(c).st_cachesize, 256u * 1024);
}

// Corrupts a copy of a region file (another dir) at `off` with `value` and
// checks memp_open refuses it with EINVAL without touching a byte.
void ExpectRefused(const std::string &dir, size_t off, uint32_t value,
                   const std::vector<uint8_t> &good, const std::string &what) {
  const std::string region = dir + "/" + kRegionFile;
  std::vector<uint8_t> bad = good;
  memcpy(&bad[off], &value, sizeof value);
  ASSERT_TRUE(WriteAll(region, bad.data(), bad.size()));
  for (int flags : {0, DB_CREATE, DB_CREATE | DB_THREAD}) {
    for (size_t size : {size_t{0}, size_t{256 * 1024}}) {
      DB_MPOOL *mp = nullptr;
      EXPECT_EQ(OpenShared(dir.c_str(), flags, size, &mp), EINVAL)
          << what << ", flags " << flags << ", mp_size " << size;
      EXPECT_TRUE(ReadWhole(region) == bad)
          << what << ": memp_open changed the region file";
    }
  }
  EXPECT_EQ(ListDir(dir), std::vector<std::string>{kRegionFile}) << what;
}

// A region of another version (uint32 at offset 4), or with a foreign
// magic (offset 0): EINVAL, the file untouched. The unmodified copy joins.
TEST_F(SharedPool, RegionOfOtherVersionIsEinvalAndUntouched) {
  DB_MPOOL *a = Open(DB_CREATE, 256 * 1024);
  ASSERT_NE(a, nullptr);
  Close(a);
  const std::vector<uint8_t> good = ReadWhole(Region());
  ASSERT_GT(good.size(), 64u);
  uint32_t version;
  memcpy(&version, &good[4], sizeof version);
  const std::string other = dir_.File("other");
  ASSERT_EQ(::mkdir(other.c_str(), 0755), 0);
  ExpectRefused(other, 4, version + 1, good, "version + 1");
  ExpectRefused(other, 4, version - 1, good, "version - 1");
  ExpectRefused(other, 4, 0xFFFFFFFFu, good, "version 0xFFFFFFFF");
  ExpectRefused(other, 0, 0x12345678u, good, "foreign magic");
  // Control: the same copy, unmodified, is a pool one can join.
  ASSERT_TRUE(WriteAll(other + "/" + kRegionFile, good.data(), good.size()));
  DB_MPOOL *c = Open(0, 0, other.c_str());
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Stat(c).st_cachesize, 256u * 1024);
}

// A region file of the right size that is all zero bytes (its creator died
// before it finished): memp_open waits for the creator, then gives up with
// EAGAIN, even with DB_CREATE, and leaves the file as it was.
TEST_F(SharedPool, UnfinishedRegionIsEagainAfterWaiting) {
  DB_MPOOL *a = Open(DB_CREATE, 0);
  ASSERT_NE(a, nullptr);
  Close(a);
  const long long size = FileSize(Region());
  ASSERT_GT(size, 0);
  const std::string other = dir_.File("other");
  ASSERT_EQ(::mkdir(other.c_str(), 0755), 0);
  const std::string region = other + "/" + kRegionFile;
  std::vector<uint8_t> zero(static_cast<size_t>(size), 0);
  ASSERT_TRUE(WriteAll(region, zero.data(), zero.size()));
  DB_MPOOL *mp = nullptr;
  const int64_t t0 = NowMs();
  EXPECT_EQ(OpenShared(other.c_str(), DB_CREATE, 0, &mp), EAGAIN);
  const int64_t waited = NowMs() - t0;
  printf("[   info   ] memp_open gave up after %lld ms\n",
         static_cast<long long>(waited));
  EXPECT_GE(waited, 1000) << "it did not wait for the creator";
  EXPECT_LT(waited, kDeadlineMs);
  EXPECT_TRUE(ReadWhole(region) == zero) << "the unfinished region changed";
}

// ================================================================ identity

// A opens a/x.db by a relative path; B opens the same file through a
// symbolic link and through a hard link: one file in the pool, shared.
TEST_F(SharedPool, SameFileThroughSymlinkAndHardLinkShares) {
  ASSERT_EQ(::mkdir(dir_.File("a").c_str(), 0755), 0);
  const std::string x = dir_.File("a/x.db");
  MakeFile(x, 4, kPage);
  const std::string sym = dir_.File("sym.db"), hard = dir_.File("hard.db");
  ASSERT_EQ(::symlink("a/x.db", sym.c_str()), 0);
  ASSERT_EQ(::link(x.c_str(), hard.c_str()), 0);
  const std::string pool = pool_, top = dir_.path();
  Child a, b;
  ASSERT_TRUE(a.Start([&] {
    C_CHECK(::chdir(top.c_str()) == 0);
    DB_MPOOL *mp = COpen(pool.c_str(), DB_CREATE, 0);
    C_OK(memp_set_flushers(mp, 0, 0));
    DB_MPOOLFILE *mpf = CFopen(mp, "a/x.db");
    CDirty(mpf, 0, 3);
    Tell("dirty");
    C_HEAR("check");
    CExpect(mpf, 1, 4);  // B's change through the hard link
    CExpect(mpf, 2, 5);  // B's change through the symbolic link
    Tell("ok");
    C_HEAR("bye");
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(b.Start([&] {
    C_HEAR("go");
    DB_MPOOL *mp = COpen(pool.c_str(), 0, 0);
    C_OK(memp_set_flushers(mp, 0, 0));
    DB_MPOOLFILE *viasym = CFopen(mp, sym);
    DB_MPOOLFILE *viahard = CFopen(mp, hard);
    const unsigned long in0 = CPageIn(mp);
    CExpect(viasym, 0, 3);
    CExpect(viahard, 0, 3);
    C_CHECK_MSG(CPageIn(mp) == in0, "page 0 was read from the file");
    CDirty(viahard, 1, 4);
    CDirty(viasym, 2, 5);
    Tell("dirty");
    C_HEAR("bye");
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(a.Expect("dirty"));
  b.Send("go");
  ASSERT_TRUE(b.Expect("dirty"));
  a.Send("check");
  ASSERT_TRUE(a.Expect("ok"));
  a.Send("bye");
  b.Send("bye");
  EXPECT_TRUE(a.WaitOk());
  EXPECT_TRUE(b.WaitOk());
}

// By uid: two copies of a file under different paths with the same
// DB_FILE_ID_LEN-byte uid are one file to the pool; another uid is not.
TEST_F(SharedPool, SameUidUnderDifferentPathsShares) {
  const std::string p1 = dir_.File("one.db"), p2 = dir_.File("two.db"),
                    p3 = dir_.File("three.db");
  MakeFile(p1, 4, kPage);
  MakeFile(p2, 4, kPage);
  MakeFile(p3, 4, kPage);
  uint8_t uid[DB_FILE_ID_LEN], other[DB_FILE_ID_LEN];
  for (int i = 0; i < DB_FILE_ID_LEN; i++) {
    uid[i] = static_cast<uint8_t>(0xA0 + i);
    other[i] = static_cast<uint8_t>(0xA0 + i);
  }
  other[DB_FILE_ID_LEN - 1] ^= 1;  // differs in the last byte only
  const std::string pool = pool_;
  Child a;
  ASSERT_TRUE(a.Start([&] {
    DB_MPOOL *mp = COpen(pool.c_str(), DB_CREATE, 0);
    C_OK(memp_set_flushers(mp, 0, 0));
    DB_MPOOLFILE *mpf = nullptr;
    C_OK(OpenFileUid(mp, p1, kPage, uid, &mpf));
    CDirty(mpf, 1, 8);
    Tell("dirty");
    C_HEAR("bye");
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(a.Expect("dirty"));
  DB_MPOOL *b = Open(0, 0);
  ASSERT_NE(b, nullptr);
  StopFlushers(b);
  DB_MPOOLFILE *same = nullptr, *diff = nullptr;
  ASSERT_EQ(OpenFileUid(b, p2, kPage, uid, &same), 0);
  ASSERT_EQ(OpenFileUid(b, p3, kPage, other, &diff), 0);
  const unsigned long in0 = Stat(b).st_page_in;
  ExpectPage(same, 1, PatternPage(1, kPage, 8), "same uid");
  EXPECT_EQ(Stat(b).st_page_in, in0) << "the shared page was read";
  ExpectPage(diff, 1, PatternPage(1, kPage, 0), "other uid");
  EXPECT_EQ(Stat(b).st_page_in, in0 + 1);
  a.Send("bye");
  EXPECT_TRUE(a.WaitOk());
}

// A file already in the pool (opened by another process) opened again with
// another page size: EINVAL, whether found by dev/ino or by uid.
TEST_F(SharedPool, PageSizeMismatchWithOtherProcessIsEinval) {
  const std::string f = dir_.File("f.db"), g = dir_.File("g.db"),
                    link = dir_.File("link.db");
  MakeFile(f, 4, kPage);
  MakeFile(g, 4, kPage);
  ASSERT_EQ(::link(f.c_str(), link.c_str()), 0);
  uint8_t uid[DB_FILE_ID_LEN];
  for (int i = 0; i < DB_FILE_ID_LEN; i++) uid[i] = static_cast<uint8_t>(i * 3);
  const std::string pool = pool_, other = dir_.File("u.db");
  MakeFile(other, 4, kPage);
  Child a;
  ASSERT_TRUE(a.Start([&] {
    DB_MPOOL *mp = COpen(pool.c_str(), DB_CREATE, 0);
    CFopen(mp, f);
    DB_MPOOLFILE *mpf = nullptr;
    C_OK(OpenFileUid(mp, other, kPage, uid, &mpf));
    Tell("open");
    C_HEAR("bye");
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(a.Expect("open"));
  DB_MPOOL *b = Open(0, 0);
  ASSERT_NE(b, nullptr);
  DB_MPOOLFILE *mpf = nullptr;
  EXPECT_EQ(OpenFile(b, f, 2048, &mpf), EINVAL);
  EXPECT_EQ(OpenFile(b, link, 1024, &mpf), EINVAL);
  EXPECT_EQ(OpenFile(b, f, 8192, &mpf), EINVAL);
  EXPECT_EQ(OpenFileUid(b, g, 2048, uid, &mpf), EINVAL);
  // The right page size is accepted both ways.
  DB_MPOOLFILE *ok1 = nullptr, *ok2 = nullptr;
  EXPECT_EQ(OpenFile(b, link, kPage, &ok1), 0);
  EXPECT_EQ(OpenFileUid(b, g, kPage, uid, &ok2), 0);
  a.Send("bye");
  EXPECT_TRUE(a.WaitOk());
}

// ================================================================ memp_unlink

// EBUSY while another process has the pool open; 0 once it closed it, and
// only the region file is removed.
TEST_F(SharedPool, UnlinkIsBusyWhileOtherProcessHasItOpen) {
  const std::string data = pool_ + "/data.db", note = pool_ + "/note.txt";
  MakeFile(data, 2, kPage);
  ASSERT_TRUE(WriteAll(note, "keep", 4));
  const std::string pool = pool_;
  Child b;
  ASSERT_TRUE(b.Start([&] {
    DB_MPOOL *mp = COpen(pool.c_str(), DB_CREATE, 0);
    CFopen(mp, data);
    Tell("open");
    C_HEAR("close");
    C_OK(memp_close(mp));
    Tell("closed");
    C_HEAR("bye");
  }));
  ASSERT_TRUE(b.Expect("open"));
  EXPECT_EQ(memp_unlink(pool_.c_str(), 0, nullptr), EBUSY);
  EXPECT_EQ(memp_unlink(pool_.c_str(), 0, nullptr), EBUSY) << "twice";
  EXPECT_TRUE(Exists(Region()));
  b.Send("close");
  ASSERT_TRUE(b.Expect("closed"));
  EXPECT_TRUE(Exists(Region())) << "memp_close removed a dir's region";
  EXPECT_EQ(memp_unlink(pool_.c_str(), 0, nullptr), 0);
  EXPECT_FALSE(Exists(Region()));
  std::vector<std::string> left = ListDir(pool_);
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"data.db", "note.txt"}));
  EXPECT_TRUE(ReadWhole(note) == std::vector<uint8_t>({'k', 'e', 'e', 'p'}));
  EXPECT_EQ(FileSize(data), static_cast<long long>(2 * kPage));
  // No pool: 0 again.
  EXPECT_EQ(memp_unlink(pool_.c_str(), 0, nullptr), 0);
  EXPECT_EQ(memp_unlink(pool_.c_str(), 1, nullptr), 0);
  b.Send("bye");
  EXPECT_TRUE(b.WaitOk());
}

// This process holding the pool open counts too.
TEST_F(SharedPool, UnlinkIsBusyWhileThisProcessHasItOpen) {
  DB_MPOOL *a = Open(DB_CREATE, 0);
  ASSERT_NE(a, nullptr);
  DB_MPOOL *b = Open(0, 0);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(memp_unlink(pool_.c_str(), 0, nullptr), EBUSY);
  Close(a);
  EXPECT_EQ(memp_unlink(pool_.c_str(), 0, nullptr), EBUSY);
  Close(b);
  EXPECT_EQ(memp_unlink(pool_.c_str(), 0, nullptr), 0);
  EXPECT_FALSE(Exists(Region()));
}

// A process killed while attached does not keep the pool busy.
TEST_F(SharedPool, UnlinkIsNotBusyAfterHolderDied) {
  const std::string pool = pool_;
  Child b;
  ASSERT_TRUE(b.Start([&] {
    COpen(pool.c_str(), DB_CREATE, 0);
    Tell("open");
    Hear();  // until killed
  }));
  ASSERT_TRUE(b.Expect("open"));
  EXPECT_EQ(memp_unlink(pool_.c_str(), 0, nullptr), EBUSY);
  b.Kill();
  EXPECT_EQ(memp_unlink(pool_.c_str(), 0, nullptr), 0);
  EXPECT_FALSE(Exists(Region()));
}

// force: 0 while another process has it open, the file is gone, and the
// process still attached keeps working (gets, puts, evictions, syncs) on
// its mapping; only the region file is removed.
TEST_F(SharedPool, UnlinkForceWhileOpenLeavesAttachedProcessWorking) {
  const std::string data = pool_ + "/data.db", note = pool_ + "/note.txt";
  MakeFile(data, 16, kPage);
  ASSERT_TRUE(WriteAll(note, "keep", 4));
  const std::string pool = pool_;
  Child b;
  ASSERT_TRUE(b.Start([&] {
    DB_MPOOL *mp = COpen(pool.c_str(), DB_CREATE | DB_THREAD, kSmallPool);
    DB_MPOOLFILE *mpf = CFopen(mp, data);
    CDirty(mpf, 0, 1);
    Tell("open");
    C_HEAR("work");
    // 16 pages through 5 frames: evictions write dirty pages.
    for (db_pgno_t p = 0; p < 16; p++) CDirty(mpf, p, 2);
    for (db_pgno_t p = 0; p < 16; p++) CExpect(mpf, p, 2);
    C_OK(memp_fsync(mpf));
    C_OK(memp_close(mp));
    Tell("done");
  }));
  ASSERT_TRUE(b.Expect("open"));
  EXPECT_EQ(memp_unlink(pool_.c_str(), 0, nullptr), EBUSY);
  EXPECT_EQ(memp_unlink(pool_.c_str(), 1, nullptr), 0);
  EXPECT_FALSE(Exists(Region()));
  b.Send("work");
  ASSERT_TRUE(b.Expect("done"));
  EXPECT_TRUE(b.WaitOk());
  for (db_pgno_t p = 0; p < 16; p++)
    EXPECT_TRUE(ReadPage(data, p, kPage) == PatternPage(p, kPage, 2))
        << "page " << p;
  std::vector<std::string> left = ListDir(pool_);
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"data.db", "note.txt"}));
  // The directory is free for a new pool.
  DB_MPOOL *c = Open(DB_CREATE, 0);
  EXPECT_NE(c, nullptr);
}

// dir NULL: the region goes in $TMPDIR; memp_close of the last process
// attached removes it, an earlier one does not; memp_unlink(NULL) looks
// there too.
TEST_F(SharedPool, DirNullUsesTmpdirAndLastCloseRemovesIt) {
  const std::string tmp = dir_.path();
  const std::string region = tmp + "/" + kRegionFile;
  const std::string f = dir_.File("f.db");
  MakeFile(f, 4, kPage);
  Child b;
  ASSERT_TRUE(b.Start([&] {
    C_HEAR("join");
    DB_MPOOL *mp = COpen(nullptr, 0, 0);
    DB_MPOOLFILE *mpf = CFopen(mp, f);
    CExpect(mpf, 2, 6);  // the parent's dirty page: the same pool
    Tell("joined");
    C_HEAR("close");
    C_OK(memp_close(mp));
    Tell("closed");
  }));
  DB_MPOOL *a = nullptr;
  ASSERT_EQ(OpenShared(nullptr, DB_CREATE, 0, &a), 0);
  StopFlushers(a);
  EXPECT_TRUE(Exists(region)) << "no region in $TMPDIR";
  EXPECT_FALSE(Exists(Region()));
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(OpenFile(a, f, kPage, &mpf), 0);
  Dirty(mpf, 2, 6);
  b.Send("join");
  ASSERT_TRUE(b.Expect("joined"));
  EXPECT_EQ(memp_unlink(nullptr, 0, nullptr), EBUSY);
  ASSERT_EQ(memp_close(a), 0);
  EXPECT_TRUE(Exists(region)) << "removed while another process uses it";
  b.Send("close");
  ASSERT_TRUE(b.Expect("closed"));
  EXPECT_TRUE(b.WaitOk());
  EXPECT_FALSE(Exists(region)) << "the last memp_close left the region";
  // And when this process is the last one.
  ASSERT_EQ(OpenShared(nullptr, DB_CREATE, 0, &a), 0);
  EXPECT_TRUE(Exists(region));
  ASSERT_EQ(memp_close(a), 0);
  EXPECT_FALSE(Exists(region));
  // memp_unlink(NULL) finds a region there.
  ASSERT_EQ(OpenShared(nullptr, DB_CREATE, 0, &a), 0);
  EXPECT_EQ(memp_unlink(nullptr, 0, nullptr), EBUSY);
  EXPECT_EQ(memp_unlink(nullptr, 1, nullptr), 0);
  EXPECT_FALSE(Exists(region));
  ASSERT_EQ(memp_close(a), 0);
}

bool RegionMappingDeleted() {
  std::vector<uint8_t> maps = ReadWhole("/proc/self/maps");
  std::string m(maps.begin(), maps.end());
  return m.find(std::string(kRegionFile) + " (deleted)") != std::string::npos;
}

// (Found an engine bug, since fixed: it used to fail.)
// dir NULL, two processes opening and closing the pool over and over: the
// last memp_close removes the region only when nobody else uses it, so a
// process that memp_open returned to is never in a region already removed
// from TMPDIR (a third process would then create another one).
TEST_F(SharedPool,
       DirNullOpenCloseRaceNeverLeavesAProcessInARemovedRegion) {
  constexpr int kKids = 2, kIters = 300;
  std::vector<std::unique_ptr<Child>> kids;
  for (int i = 0; i < kKids; i++) {
    kids.emplace_back(new Child);
    ASSERT_TRUE(kids.back()->Start([&] {
      C_HEAR("go");
      int orphaned = 0;
      for (int it = 0; it < kIters; it++) {
        DB_MPOOL *mp = nullptr;
        C_OK(OpenShared(nullptr, DB_CREATE, kSmallPool, &mp));
        if (RegionMappingDeleted()) orphaned++;
        C_OK(memp_close(mp));
      }
      Tell("orphaned " + std::to_string(orphaned));
    }));
  }
  for (auto &k : kids) k->Send("go");
  for (auto &k : kids) EXPECT_EQ(k->Recv(30000), "orphaned 0");
  for (auto &k : kids) EXPECT_TRUE(k->WaitOk());
  EXPECT_FALSE(Exists(dir_.path() + "/" + kRegionFile));
}

// ================================================================ victims

// A dirties pages of F and keeps them (no sync, no flushers); B, in the same
// pool, opens only G and reads more pages than the pool has frames: A's
// pages are evicted by B, which writes them to F (through F's path).
TEST_F(SharedPool, OtherProcessesDirtyPagesAreWrittenToTheirFile) {
  const std::string f = dir_.File("f.db"), g = dir_.File("g.db");
  MakeFile(f, 8, kPage);
  MakeFile(g, 20, kPage);
  const std::string pool = pool_;
  Child a;
  ASSERT_TRUE(a.Start([&] {
    DB_MPOOL *mp = COpen(pool.c_str(), DB_CREATE, kSmallPool);
    C_OK(memp_set_flushers(mp, 0, 0));
    DB_MPOOLFILE *mpf = CFopen(mp, f);
    for (db_pgno_t p = 0; p < 3; p++) CDirty(mpf, p, 9);
    Tell("dirty");
    C_HEAR("check");
    const unsigned long in0 = CPageIn(mp);
    for (db_pgno_t p = 0; p < 3; p++) CExpect(mpf, p, 9);
    C_CHECK_MSG(CPageIn(mp) >= in0 + 3, "A's pages were not evicted");
    Tell("ok");
    C_HEAR("bye");
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(a.Expect("dirty"));
  DB_MPOOL *b = Open(0, 0);
  ASSERT_NE(b, nullptr);
  StopFlushers(b);
  DB_MPOOLFILE *gf = nullptr;
  ASSERT_EQ(OpenFile(b, g, kPage, &gf), 0);
  const unsigned long out0 = Stat(b).st_page_out;
  for (int r = 0; r < 3; r++)
    for (db_pgno_t p = 0; p < 20; p++)
      ExpectPage(gf, p, PatternPage(p, kPage, 0), "G");
  EXPECT_GE(Stat(b).st_page_out, out0 + 3);
  for (db_pgno_t p = 0; p < 8; p++)
    EXPECT_TRUE(ReadPage(f, p, kPage) == PatternPage(p, kPage, p < 3 ? 9 : 0))
        << "F page " << p << " on disk";
  for (db_pgno_t p = 0; p < 20; p++)
    EXPECT_TRUE(ReadPage(g, p, kPage) == PatternPage(p, kPage, 0))
        << "G page " << p << " on disk";
  EXPECT_EQ(FileSize(f), static_cast<long long>(8 * kPage));
  a.Send("check");
  ASSERT_TRUE(a.Expect("ok"));
  a.Send("bye");
  EXPECT_TRUE(a.WaitOk());
}

// A's temporary file (memp_fopen(NULL)) has 4 dirty pages in a 5-frame
// pool: B cannot write them (it cannot open the file), so it never evicts
// them, and still cycles through its own 20 pages in the frame left, with
// its flushers running. A's pages keep their bytes.
TEST_F(SharedPool, TemporaryFileOfOtherProcessIsNeverWritten) {
  const std::string g = dir_.File("g.db");
  MakeFile(g, 20, kPage);
  const std::string pool = pool_;
  Child a;
  ASSERT_TRUE(a.Start([&] {
    DB_MPOOL *mp = COpen(pool.c_str(), DB_CREATE, kSmallPool);
    C_OK(memp_set_flushers(mp, 0, 0));
    DB_MPOOLFILE *tmp = CFopen(mp, "");
    for (db_pgno_t p = 0; p < 4; p++) CDirty(tmp, p, 11, DB_MPOOL_NEW);
    Tell("dirty");
    C_HEAR("check");
    const unsigned long in0 = CPageIn(mp);
    for (db_pgno_t p = 0; p < 4; p++) CExpect(tmp, p, 11);
    C_CHECK_MSG(CPageIn(mp) == in0, "temporary pages were evicted");
    C_OK(memp_fclose(tmp));
    Tell("ok");
    C_HEAR("bye");
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(a.Expect("dirty"));
  DB_MPOOL *b = Open(0, 0);
  ASSERT_NE(b, nullptr);  // flushers left running
  DB_MPOOLFILE *gf = nullptr;
  ASSERT_EQ(OpenFile(b, g, kPage, &gf), 0);
  const unsigned long out0 = Stat(b).st_page_out;
  for (int r = 0; r < 3; r++)
    for (db_pgno_t p = 0; p < 20; p++)
      ExpectPage(gf, p, PatternPage(p, kPage, 0), "G");
  EXPECT_EQ(Stat(b).st_page_out, out0) << "B wrote pages";
  // Writes of a few pages, evicted in the one frame left, work too.
  for (db_pgno_t p = 0; p < 20; p += 3) Dirty(gf, p, 12);
  for (db_pgno_t p = 0; p < 20; p++)
    ExpectPage(gf, p, PatternPage(p, kPage, p % 3 == 0 ? 12 : 0), "G again");
  EXPECT_EQ(memp_fsync(gf), 0);
  a.Send("check");
  ASSERT_TRUE(a.Expect("ok"));
  a.Send("bye");
  EXPECT_TRUE(a.WaitOk());
  EXPECT_TRUE(ListDir(dir_.path(), "lfmpool.").empty())
      << "a temporary file was left in TMPDIR";
}

constexpr int kXorType = 7;
constexpr uint8_t kXorKey = 0x5A;

int XorPage(db_pgno_t, void *page, DBT *) {
  uint8_t *p = static_cast<uint8_t *>(page);
  for (size_t i = 0; i < kPage; i++) p[i] ^= kXorKey;
  return 0;
}

// memp_register is per process: A registers pgin/pgout (XOR) for type 7,
// opens F with type 7 and dirties pages; B registered nothing for type 7,
// evicts by reading many pages of G (flushers on): F on disk never gets the
// plain in-memory bytes. A's memp_sync then writes the transformed bytes.
TEST_F(SharedPool, UnregisteredPgoutIsNeverWrittenRaw) {
  const std::string f = dir_.File("f.db"), g = dir_.File("g.db");
  MakeFile(f, 8, kPage);  // the on-disk form
  MakeFile(g, 20, kPage);
  const std::string pool = pool_;
  Child a;
  ASSERT_TRUE(a.Start([&] {
    DB_MPOOL *mp = COpen(pool.c_str(), DB_CREATE, kSmallPool);
    C_OK(memp_set_flushers(mp, 0, 0));
    C_OK(memp_register(mp, kXorType, XorPage, XorPage));
    DB_MPOOLFILE *mpf = CFopen(mp, f, kXorType);
    // In memory, page 3 is the XOR of the file's bytes (pgin).
    db_pgno_t pg = 3;
    void *p = nullptr;
    C_OK(memp_fget(mpf, &pg, 0, &p));
    C_CHECK(Bytes(p, kPage) == Xor(PatternPage(3, kPage, 0), kXorKey));
    C_OK(memp_fput(mpf, p, 0));
    for (db_pgno_t q = 0; q < 3; q++) CDirty(mpf, q, 4);
    Tell("dirty");
    C_HEAR("sync");
    LSN all = {0xFFFFFFFFu, 0xFFFFFFFFu};
    C_OK(memp_sync(mp, &all));
    for (db_pgno_t q = 0; q < 3; q++) CExpect(mpf, q, 4);
    Tell("synced");
    C_HEAR("bye");
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(a.Expect("dirty"));
  DB_MPOOL *b = Open(0, 0);
  ASSERT_NE(b, nullptr);
  DB_MPOOLFILE *gf = nullptr;
  ASSERT_EQ(OpenFile(b, g, kPage, &gf), 0);
  for (int r = 0; r < 3; r++)
    for (db_pgno_t p = 0; p < 20; p++)
      ExpectPage(gf, p, PatternPage(p, kPage, 0), "G");
  // B's sync cannot write A's pages either: incomplete.
  LSN all = {0xFFFFFFFFu, 0xFFFFFFFFu};
  EXPECT_EQ(memp_sync(b, &all), DB_INCOMPLETE);
  for (db_pgno_t p = 0; p < 3; p++) {
    std::vector<uint8_t> disk = ReadPage(f, p, kPage);
    EXPECT_FALSE(disk == PatternPage(p, kPage, 4))
        << "page " << p << " was written raw (without the pgout)";
    EXPECT_TRUE(disk == PatternPage(p, kPage, 0) ||
                disk == Xor(PatternPage(p, kPage, 4), kXorKey))
        << "page " << p << " holds neither the old nor the transformed bytes";
  }
  a.Send("sync");
  ASSERT_TRUE(a.Expect("synced"));
  for (db_pgno_t p = 0; p < 8; p++) {
    std::vector<uint8_t> want = p < 3 ? Xor(PatternPage(p, kPage, 4), kXorKey)
                                      : PatternPage(p, kPage, 0);
    EXPECT_TRUE(ReadPage(f, p, kPage) == want) << "page " << p << " on disk";
  }
  a.Send("bye");
  EXPECT_TRUE(a.WaitOk());
}

// A process that registers the pgout later (after it skipped the pages)
// may then write them: its memp_sync writes the transformed bytes.
TEST_F(SharedPool, PgoutRegisteredLaterLetsProcessWrite) {
  const std::string f = dir_.File("f.db"), g = dir_.File("g.db");
  MakeFile(f, 8, kPage);
  MakeFile(g, 20, kPage);
  const std::string pool = pool_;
  Child a;
  ASSERT_TRUE(a.Start([&] {
    DB_MPOOL *mp = COpen(pool.c_str(), DB_CREATE, kSmallPool);
    C_OK(memp_set_flushers(mp, 0, 0));
    C_OK(memp_register(mp, kXorType, XorPage, XorPage));
    DB_MPOOLFILE *mpf = CFopen(mp, f, kXorType);
    for (db_pgno_t q = 0; q < 3; q++) CDirty(mpf, q, 4);
    Tell("dirty");
    C_HEAR("bye");
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(a.Expect("dirty"));
  DB_MPOOL *b = Open(0, 0);
  ASSERT_NE(b, nullptr);
  StopFlushers(b);
  DB_MPOOLFILE *gf = nullptr;
  ASSERT_EQ(OpenFile(b, g, kPage, &gf), 0);
  for (db_pgno_t p = 0; p < 20; p++)
    ExpectPage(gf, p, PatternPage(p, kPage, 0), "G");
  LSN all = {0xFFFFFFFFu, 0xFFFFFFFFu};
  EXPECT_EQ(memp_sync(b, &all), DB_INCOMPLETE);
  for (db_pgno_t p = 0; p < 3; p++)
    EXPECT_TRUE(ReadPage(f, p, kPage) == PatternPage(p, kPage, 0))
        << "page " << p << " written before B registered the pgout";
  ASSERT_EQ(memp_register(b, kXorType, XorPage, XorPage), 0);
  EXPECT_EQ(memp_sync(b, &all), 0);
  for (db_pgno_t p = 0; p < 3; p++)
    EXPECT_TRUE(ReadPage(f, p, kPage) == Xor(PatternPage(p, kPage, 4), kXorKey))
        << "page " << p << " on disk";
  a.Send("bye");
  EXPECT_TRUE(a.WaitOk());
}

// ================================================================ mpool(3) key

class SharedKey : public ::testing::Test {
 protected:
  void SetUp() override {
    tmpdir_.reset(new ScopedTmpdir(dir_.path()));
    f_ = dir_.File("f.db");
    g_ = dir_.File("g.db");
    MakeFile(f_, 8, kPage, 0);
    MakeFile(g_, 8, kPage, 3);
  }
  std::vector<std::string> KeyRegions() {
    return ListDir(dir_.path(), "__lfm_mpool.key.");
  }

  TempDir dir_;
  std::unique_ptr<ScopedTmpdir> tmpdir_;
  std::string f_, g_;
};

void MDirty(MPOOL *m, pgno_t pgno, uint32_t salt) {
  void *p = mpool_get(m, pgno, 0);
  if (p == nullptr)
    C_FAIL("mpool_get " + std::to_string(pgno) + ": " + strerror(errno));
  FillPattern(p, kPage, pgno, salt);
  C_CHECK(mpool_put(m, p, MPOOL_DIRTY) == 0);
}

bool MHas(MPOOL *m, pgno_t pgno, uint32_t salt) {
  void *p = mpool_get(m, pgno, 0);
  if (p == nullptr) return false;
  bool same = Bytes(p, kPage) == PatternPage(pgno, kPage, salt);
  return mpool_put(m, p, 0) == 0 && same;
}

// Two processes with the same key share the pages, both ways (nothing is
// written: mpool_close writes nothing and nobody syncs); the last
// mpool_close removes the key's region file from TMPDIR.
TEST_F(SharedKey, SameKeySharesPagesAndLastCloseRemovesRegion) {
  const std::string f = f_;
  Child a;
  ASSERT_TRUE(a.Start([&] {
    int fd = ::open(f.c_str(), O_RDWR);
    C_CHECK(fd >= 0);
    char key[] = "lfm-shared-key";
    MPOOL *m = mpool_open(key, fd, kPage, 8);
    C_CHECK_MSG(m != nullptr, strerror(errno));
    MDirty(m, 1, 5);
    Tell("dirty");
    C_HEAR("check");
    C_CHECK(MHas(m, 2, 6));
    Tell("ok");
    C_HEAR("close");
    C_CHECK(mpool_close(m) == 0);
    ::close(fd);
    Tell("closed");
  }));
  ASSERT_TRUE(a.Expect("dirty"));
  EXPECT_EQ(KeyRegions().size(), 1u);
  int fd = ::open(f_.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char key[] = "lfm-shared-key";
  MPOOL *m = mpool_open(key, fd, kPage, 8);
  ASSERT_NE(m, nullptr) << strerror(errno);
  EXPECT_TRUE(MHas(m, 1, 5)) << "A's dirty page is not seen";
  void *p = mpool_get(m, 2, 0);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPage, 2, 6);
  ASSERT_EQ(mpool_put(m, p, MPOOL_DIRTY), 0);
  a.Send("check");
  ASSERT_TRUE(a.Expect("ok"));
  for (pgno_t q = 0; q < 8; q++)
    EXPECT_TRUE(ReadPage(f_, q, kPage) == PatternPage(q, kPage, 0))
        << "page " << q << " was written";
  a.Send("close");
  ASSERT_TRUE(a.Expect("closed"));
  EXPECT_TRUE(a.WaitOk());
  EXPECT_EQ(KeyRegions().size(), 1u) << "removed while this process uses it";
  EXPECT_TRUE(MHas(m, 1, 5));
  ASSERT_EQ(mpool_close(m), 0);
  EXPECT_TRUE(KeyRegions().empty()) << "the last mpool_close left the region";
  ::close(fd);
}

// When the key's region already holds a file, the fd is ignored: B gives an
// fd of G and still sees (and writes) F's pages; G is never touched.
TEST_F(SharedKey, FdIsIgnoredWhenKeyAlreadyHoldsAFile) {
  const std::string f = f_;
  Child a;
  ASSERT_TRUE(a.Start([&] {
    int fd = ::open(f.c_str(), O_RDWR);
    C_CHECK(fd >= 0);
    char key[] = "key-f";
    MPOOL *m = mpool_open(key, fd, kPage, 4);
    C_CHECK_MSG(m != nullptr, strerror(errno));
    MDirty(m, 1, 5);
    Tell("dirty");
    C_HEAR("close");
    C_CHECK(mpool_close(m) == 0);
    Tell("closed");
  }));
  ASSERT_TRUE(a.Expect("dirty"));
  const std::vector<uint8_t> g_before = ReadWhole(g_);
  int gfd = ::open(g_.c_str(), O_RDWR);
  ASSERT_GE(gfd, 0);
  char key[] = "key-f";
  MPOOL *m = mpool_open(key, gfd, kPage, 4);
  ASSERT_NE(m, nullptr) << strerror(errno);
  EXPECT_TRUE(MHas(m, 1, 5)) << "not F's cached page";
  EXPECT_TRUE(MHas(m, 3, 0)) << "page 3 is not F's (G has salt 3)";
  EXPECT_FALSE(MHas(m, 3, 3)) << "page 3 came from G's fd";
  void *p = mpool_get(m, 4, 0);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPage, 4, 7);
  ASSERT_EQ(mpool_put(m, p, MPOOL_DIRTY), 0);
  ASSERT_EQ(mpool_sync(m), 0) << strerror(errno);
  EXPECT_TRUE(ReadPage(f_, 4, kPage) == PatternPage(4, kPage, 7));
  EXPECT_TRUE(ReadPage(f_, 1, kPage) == PatternPage(1, kPage, 5));
  EXPECT_TRUE(ReadWhole(g_) == g_before) << "G was written";
  a.Send("close");
  ASSERT_TRUE(a.Expect("closed"));
  EXPECT_TRUE(a.WaitOk());
  ASSERT_EQ(mpool_close(m), 0);
  EXPECT_EQ(fcntl(gfd, F_GETFD), 0) << "the ignored fd was closed";
  ::close(gfd);
  EXPECT_TRUE(KeyRegions().empty());
}

// Different keys are different pools, even on one file.
TEST_F(SharedKey, DifferentKeysAreSeparatePools) {
  const std::string f = f_;
  Child a;
  ASSERT_TRUE(a.Start([&] {
    int fd = ::open(f.c_str(), O_RDWR);
    C_CHECK(fd >= 0);
    char key[] = "key-one";
    MPOOL *m = mpool_open(key, fd, kPage, 4);
    C_CHECK_MSG(m != nullptr, strerror(errno));
    MDirty(m, 1, 5);
    Tell("dirty");
    C_HEAR("check");
    C_CHECK(MHas(m, 2, 0));  // B's dirty page is in the other pool
    C_CHECK(MHas(m, 1, 5));
    Tell("ok");
    C_HEAR("close");
    C_CHECK(mpool_close(m) == 0);
    Tell("closed");
  }));
  ASSERT_TRUE(a.Expect("dirty"));
  int fd = ::open(f_.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char key[] = "key-two";
  MPOOL *m = mpool_open(key, fd, kPage, 4);
  ASSERT_NE(m, nullptr) << strerror(errno);
  EXPECT_TRUE(MHas(m, 1, 0)) << "saw the other key's dirty page";
  void *p = mpool_get(m, 2, 0);
  ASSERT_NE(p, nullptr);
  FillPattern(p, kPage, 2, 6);
  ASSERT_EQ(mpool_put(m, p, MPOOL_DIRTY), 0);
  EXPECT_EQ(KeyRegions().size(), 2u);
  a.Send("check");
  ASSERT_TRUE(a.Expect("ok"));
  a.Send("close");
  ASSERT_TRUE(a.Expect("closed"));
  EXPECT_TRUE(a.WaitOk());
  EXPECT_EQ(KeyRegions().size(), 1u);
  ASSERT_EQ(mpool_close(m), 0);
  ::close(fd);
  EXPECT_TRUE(KeyRegions().empty());
}

// (Found an engine bug, since fixed: it used to fail.)
// Processes opening one key at the same moment all end up in one pool:
// each dirties a page of its own, and every one sees every other's page.
TEST_F(SharedKey, ConcurrentOpensOfOneKeyShareOnePool) {
  constexpr int kKids = 4;
  const std::string f = f_;
  for (int round = 0; round < 8 && !HasFailure(); round++) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<std::unique_ptr<Child>> kids;
    for (int i = 0; i < kKids; i++) {
      kids.emplace_back(new Child);
      ASSERT_TRUE(kids.back()->Start([&, i] {
        int fd = ::open(f.c_str(), O_RDWR);
        C_CHECK(fd >= 0);
        char key[] = "raced-key";
        C_HEAR("go");
        MPOOL *m = mpool_open(key, fd, kPage, 8);
        C_CHECK_MSG(m != nullptr, strerror(errno));
        MDirty(m, static_cast<pgno_t>(i), 20 + i);
        Tell("dirty");
        C_HEAR("check");
        for (int j = 0; j < kKids; j++)
          C_CHECK_MSG(MHas(m, static_cast<pgno_t>(j), 20 + j),
                      "process " << i << " does not see page " << j
                                 << " of process " << j
                                 << ": not the same pool");
        Tell("ok");
        C_HEAR("close");
        C_CHECK(mpool_close(m) == 0);
      }));
    }
    for (auto &k : kids) k->Send("go");
    for (auto &k : kids) ASSERT_TRUE(k->Expect("dirty"));
    EXPECT_EQ(KeyRegions().size(), 1u) << "more than one region for a key";
    for (auto &k : kids) k->Send("check");
    for (auto &k : kids) k->Expect("ok");
    for (auto &k : kids) k->Send("close");
    for (auto &k : kids) EXPECT_TRUE(k->WaitOk());
    EXPECT_TRUE(KeyRegions().empty());
  }
}

// A key's region left by processes that were all killed is started afresh
// by the next mpool_open: its fd is used (not the dead pool's file).
TEST_F(SharedKey, RegionLeftByDeadProcessesStartsAfresh) {
  const std::string f = f_;
  Child a;
  ASSERT_TRUE(a.Start([&] {
    int fd = ::open(f.c_str(), O_RDWR);
    C_CHECK(fd >= 0);
    char key[] = "dead-key";
    MPOOL *m = mpool_open(key, fd, kPage, 4);
    C_CHECK_MSG(m != nullptr, strerror(errno));
    MDirty(m, 1, 5);
    Tell("dirty");
    Hear();  // until killed
  }));
  ASSERT_TRUE(a.Expect("dirty"));
  a.Kill();
  EXPECT_EQ(KeyRegions().size(), 1u);
  int gfd = ::open(g_.c_str(), O_RDWR);
  ASSERT_GE(gfd, 0);
  char key[] = "dead-key";
  MPOOL *m = mpool_open(key, gfd, kPage, 4);
  ASSERT_NE(m, nullptr) << strerror(errno);
  EXPECT_TRUE(MHas(m, 1, 3)) << "not G's page 1";
  EXPECT_TRUE(MHas(m, 2, 3)) << "not G's page 2";
  ASSERT_EQ(mpool_close(m), 0);
  ::close(gfd);
  EXPECT_TRUE(KeyRegions().empty());
}

// A second process giving the same key with another page size: refused.
TEST_F(SharedKey, OtherPageSizeForAKeyIsRefused) {
  const std::string f = f_;
  Child a;
  ASSERT_TRUE(a.Start([&] {
    int fd = ::open(f.c_str(), O_RDWR);
    C_CHECK(fd >= 0);
    char key[] = "ps-key";
    MPOOL *m = mpool_open(key, fd, kPage, 4);
    C_CHECK_MSG(m != nullptr, strerror(errno));
    Tell("open");
    C_HEAR("close");
    C_CHECK(mpool_close(m) == 0);
  }));
  ASSERT_TRUE(a.Expect("open"));
  int fd = ::open(f_.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  char key[] = "ps-key";
  errno = 0;
  MPOOL *m = mpool_open(key, fd, 2048, 4);
  EXPECT_EQ(m, nullptr) << "joined a 4096-byte pool with 2048-byte pages";
  EXPECT_EQ(errno, EINVAL);
  if (m != nullptr) mpool_close(m);
  a.Send("close");
  EXPECT_TRUE(a.WaitOk());
  ::close(fd);
  EXPECT_TRUE(KeyRegions().empty());
}

}  // namespace
}  // namespace lfmtest
