// Pools shared across processes, across fork: pages of files another process
// opened (written through their path; temporary files and unregistered
// pgouts never written), and mpool_open with a key. Fixture:
// shared_pool_fixture.h.

#include "shared_pool_fixture.h"

namespace lfmtest {
namespace {

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
