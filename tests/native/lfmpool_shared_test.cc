// Shared pools through the native API: lfmpool_open(home) without
// LFMPOOL_PRIVATE uses the region memp_open(home) uses, so native and
// db_mpool(3) processes share one pool's pages and pins; lfmpool_close
// drops what the process held and writes nothing; the limits of a shared
// pool (31 processes: EMFILE; a creator that never finished: EAGAIN).
//
// As in tests/shared: children are forked before the parent opens a pool
// (the parent is single-threaded then), open their own pools when the
// parent says so, talk to it over pipes (tests/common/shared_util.h) and
// leave with _exit; every wait has a deadline.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "db_mpool.h"
#include "gtest/gtest.h"
#include "lfmpool.h"
#include "tests/common/shared_util.h"
#include "tests/common/test_util.h"
#include "tests/native/native_fixture.h"

namespace lfmtest {
namespace {

constexpr uint32_t kFilePages = 16;

class NativeShared : public ::testing::Test {
 protected:
  void SetUp() override {
    tmpdir_.reset(new ScopedTmpdir(dir_.path()));
    home_ = dir_.File("env");
    ASSERT_EQ(::mkdir(home_.c_str(), 0755), 0) << strerror(errno);
    file_ = dir_.File("f.db");
    MakeFile(file_, kFilePages, kPage);
  }
  std::string Region() const { return home_ + "/" + kRegionFile; }

  TempDir dir_;
  std::unique_ptr<ScopedTmpdir> tmpdir_;
  std::string home_, file_;
};

// In a child: the native pool in `home` and `path` open in it.
lfmpool *CNativeOpen(const std::string &home, const std::string &path,
                     lfmpool_file **f) {
  lfmpool *pool = nullptr;
  C_OK(lfmpool_open(home.c_str(), 0, 0, 0, &pool));
  C_OK(lfmpool_fopen(pool, path.c_str(), kPage, 0, 0, f));
  return pool;
}

// A db_mpool(3) process and a native one (the parent) on one directory:
// each sees the other's changes before anything is written, pins taken
// through one API hold against the other's sync, and either's sync
// writes both's changes.
TEST_F(NativeShared, NativeAndDbMpoolProcessesShareOnePool) {
  const std::string home = home_, path = file_;
  Child c;
  ASSERT_TRUE(c.Start([&] {
    C_HEAR("open");
    DB_MPOOL *mp = nullptr;
    C_OK(OpenShared(home.c_str(), 0, 0, &mp));
    DB_MPOOLFILE *mpf = nullptr;
    C_OK(OpenFile(mp, path, kPage, &mpf));
    // A change through memp_*.
    db_pgno_t pg = 3;
    void *page = nullptr;
    C_OK(memp_fget(mpf, &pg, 0, &page));
    C_CHECK(Bytes(page, kPage) == PatternPage(3, kPage));
    FillPattern(page, kPage, 3, 7);
    C_OK(memp_fput(mpf, page, DB_MPOOL_DIRTY));
    Tell("wrote 3");
    // The native process's change, seen here.
    C_HEAR("read 4");
    pg = 4;
    C_OK(memp_fget(mpf, &pg, 0, &page));
    C_CHECK_MSG(Bytes(page, kPage) == PatternPage(4, kPage, 8),
                "page 4 is not the native process's");
    C_OK(memp_fput(mpf, page, 0));
    // A pin held here while the native process syncs.
    pg = 5;
    C_OK(memp_fget(mpf, &pg, 0, &page));
    Tell("holding 5");
    C_HEAR("release 5");
    C_OK(memp_fput(mpf, page, 0));
    Tell("released 5");
    C_HEAR("sync");
    C_OK(memp_fsync(mpf));
    Tell("synced");
    C_HEAR("bye");
    C_OK(memp_fclose(mpf));
    C_OK(memp_close(mp));
  }));

  lfmpool *pool = nullptr;
  ASSERT_EQ(
      lfmpool_open(home_.c_str(), kNativePool, LFMPOOL_CREATE, 0600, &pool), 0);
  lfmpool_file *f = OpenNativeFile(pool, file_);
  ASSERT_NE(f, nullptr);
  c.Send("open");
  ASSERT_TRUE(c.Expect("wrote 3"));
  void *page = NGet(f, 3);
  ASSERT_NE(page, nullptr);
  EXPECT_TRUE(Bytes(page, kPage) == PatternPage(3, kPage, 7))
      << "the db_mpool process's change is not in the pool";
  EXPECT_TRUE(ReadPage(file_, 3, kPage) == PatternPage(3, kPage))
      << "the change came from the file, not the pool";
  NPut(f, page);
  page = NGet(f, 4);
  ASSERT_NE(page, nullptr);
  FillPattern(page, kPage, 4, 8);
  NPut(f, page, LFMPOOL_PUT_DIRTY);
  c.Send("read 4");
  ASSERT_TRUE(c.Expect("holding 5"));
  // Page 5 dirtied here while the other process pins it: not written.
  page = NGet(f, 5);
  ASSERT_NE(page, nullptr);
  FillPattern(page, kPage, 5, 9);
  NPut(f, page, LFMPOOL_PUT_DIRTY);
  EXPECT_EQ(lfmpool_fsync(f), LFMPOOL_INCOMPLETE);
  EXPECT_TRUE(ReadPage(file_, 5, kPage) == PatternPage(5, kPage))
      << "a page pinned by the other process was written";
  c.Send("release 5");
  ASSERT_TRUE(c.Expect("released 5"));
  // The native sync wrote the memp process's change to page 3 as well.
  EXPECT_TRUE(ReadPage(file_, 3, kPage) == PatternPage(3, kPage, 7));
  EXPECT_TRUE(ReadPage(file_, 4, kPage) == PatternPage(4, kPage, 8));
  // A native change, synced by the memp process.
  page = NGet(f, 6);
  ASSERT_NE(page, nullptr);
  FillPattern(page, kPage, 6, 10);
  NPut(f, page, LFMPOOL_PUT_DIRTY);
  c.Send("sync");
  ASSERT_TRUE(c.Expect("synced"));
  EXPECT_TRUE(ReadPage(file_, 5, kPage) == PatternPage(5, kPage, 9));
  EXPECT_TRUE(ReadPage(file_, 6, kPage) == PatternPage(6, kPage, 10));
  c.Send("bye");
  EXPECT_TRUE(c.WaitOk());
  EXPECT_EQ(lfmpool_fsync(f), 0);
  EXPECT_EQ(lfmpool_fclose(f), 0);
  EXPECT_EQ(lfmpool_close(pool), 0);
}

// Two native processes on a 5-frame pool: the child's pins hold every
// frame against the parent (ENOMEM, the child alive); its lfmpool_close,
// with the pins never put and a page made dirty, drops the pins and
// writes nothing; the dirty page stays in the pool and is written when
// the parent's misses take its frame.
TEST_F(NativeShared, CloseDropsTheProcesssPinsAndWritesNothing) {
  const std::string home = home_, path = file_;
  Child c;
  ASSERT_TRUE(c.Start([&] {
    C_HEAR("open");
    lfmpool_file *f = nullptr;
    lfmpool *pool = CNativeOpen(home, path, &f);
    // Pages 0-2 pinned inline (used before), 3-4 directly (first uses).
    for (uint32_t p = 0; p < 3; p++) {
      for (int i = 0; i < 4; i++) {
        void *page = nullptr;
        C_OK(lfmpool_get(f, p, &page));
        C_OK(lfmpool_put(f, page));
      }
    }
    for (uint32_t p = 0; p < 5; p++) {
      void *page = nullptr;
      C_OK(lfmpool_get(f, p, &page));
      C_CHECK(Bytes(page, kPage) == PatternPage(p, kPage));
      if (p == 0) {
        FillPattern(page, kPage, 0, 5);
        C_OK(lfmpool_set(f, page, LFMPOOL_PUT_DIRTY));
      }
    }
    Tell("pinned");
    C_HEAR("close");
    C_OK(lfmpool_close(pool));
    Tell("closed");
    C_HEAR("bye");  // alive until then: the close, not a death, let go
  }));

  lfmpool *pool = nullptr;
  ASSERT_EQ(lfmpool_open(home_.c_str(), 20 * 1024, LFMPOOL_CREATE, 0600, &pool),
            0);
  lfmpool_file *f = OpenNativeFile(pool, file_);
  ASSERT_NE(f, nullptr);
  c.Send("open");
  ASSERT_TRUE(c.Expect("pinned"));
  void *page = nullptr;
  EXPECT_EQ(lfmpool_get(f, 8, &page), ENOMEM);
  // A page the child pins is there for another pin, with its change.
  page = NGet(f, 0);
  ASSERT_NE(page, nullptr);
  EXPECT_TRUE(Bytes(page, kPage) == PatternPage(0, kPage, 5));
  NPut(f, page);
  c.Send("close");
  ASSERT_TRUE(c.Expect("closed"));
  EXPECT_TRUE(ReadPage(file_, 0, kPage) == PatternPage(0, kPage))
      << "lfmpool_close wrote a page";
  std::vector<void *> held;
  for (uint32_t p = 8; p < 13; p++) {
    void *q = nullptr;
    int rc = lfmpool_get(f, p, &q);
    EXPECT_EQ(rc, 0) << "page " << p << ": the closed process's pins stayed";
    if (rc != 0) break;
    EXPECT_TRUE(Bytes(q, kPage) == PatternPage(p, kPage));
    held.push_back(q);
  }
  EXPECT_TRUE(ReadPage(file_, 0, kPage) == PatternPage(0, kPage, 5))
      << "the dirty page was lost when its frame was taken";
  for (void *q : held) NPut(f, q);
  c.Send("bye");
  EXPECT_TRUE(c.WaitOk());
  EXPECT_EQ(lfmpool_fclose(f), 0);
  EXPECT_EQ(lfmpool_close(pool), 0);
}

// lfmpool_open(NULL) is the pool of the temporary directory: a db_mpool
// process opening that directory by name shares it.
TEST_F(NativeShared, NullHomeIsTheTemporaryDirectorysPool) {
  const std::string tmp = dir_.path(), path = file_;
  Child c;
  ASSERT_TRUE(c.Start([&] {
    C_HEAR("open");
    DB_MPOOL *mp = nullptr;
    C_OK(OpenShared(tmp.c_str(), 0, 0, &mp));
    DB_MPOOLFILE *mpf = nullptr;
    C_OK(OpenFile(mp, path, kPage, &mpf));
    db_pgno_t pg = 2;
    void *page = nullptr;
    C_OK(memp_fget(mpf, &pg, 0, &page));
    C_CHECK_MSG(Bytes(page, kPage) == PatternPage(2, kPage, 4),
                "not the native process's pool");
    C_OK(memp_fput(mpf, page, 0));
    C_OK(memp_fclose(mpf));
    C_OK(memp_close(mp));
    Tell("seen");
  }));
  lfmpool *pool = nullptr;
  ASSERT_EQ(lfmpool_open(nullptr, 0, LFMPOOL_CREATE, 0600, &pool), 0);
  EXPECT_TRUE(Exists(dir_.File(kRegionFile)));
  lfmpool_file *f = OpenNativeFile(pool, file_);
  ASSERT_NE(f, nullptr);
  void *page = NGet(f, 2);
  ASSERT_NE(page, nullptr);
  FillPattern(page, kPage, 2, 4);
  NPut(f, page, LFMPOOL_PUT_DIRTY);
  c.Send("open");
  ASSERT_TRUE(c.Expect("seen"));
  EXPECT_TRUE(c.WaitOk());
  EXPECT_EQ(lfmpool_fclose(f), 0);
  EXPECT_EQ(lfmpool_close(pool), 0);
  // Unlike memp_open(NULL)'s, the pool stays when its last process
  // closes it (lfmpool(3)): memp_unlink removes it.
  EXPECT_TRUE(Exists(dir_.File(kRegionFile)));
  EXPECT_EQ(memp_unlink(nullptr, 0, nullptr), 0);
  EXPECT_FALSE(Exists(dir_.File(kRegionFile)));
}

// 31 processes share a pool: the parent and 30 children attach, the next
// child gets EMFILE.
TEST_F(NativeShared, The32ndProcessIsEmfile) {
  const std::string home = home_;
  constexpr int kKids = 31;
  std::vector<std::unique_ptr<Child>> kids;
  for (int i = 0; i < kKids; i++) {
    kids.emplace_back(new Child);
    ASSERT_TRUE(kids.back()->Start([&] {
      if (Hear() != "open") return;  // not needed
      lfmpool *pool = nullptr;
      int rc = lfmpool_open(home.c_str(), 0, 0, 0, &pool);
      Tell(rc == 0 ? "open" : "rc " + std::to_string(rc));
      Hear();
      if (rc == 0) C_OK(lfmpool_close(pool));
    }));
  }
  lfmpool *pool = nullptr;
  ASSERT_EQ(lfmpool_open(home_.c_str(), 0, LFMPOOL_CREATE, 0600, &pool), 0);
  int opened = 0;
  std::string last;
  for (int i = 0; i < kKids; i++) {
    kids[i]->Send("open");  // one at a time: each attached before the next
    last = kids[i]->Recv();
    if (last == "open") opened++;
    if (last != "open") break;
  }
  EXPECT_EQ(opened, 30);
  EXPECT_EQ(last, "rc " + std::to_string(EMFILE));
  for (auto &k : kids) k->Send("bye");
  for (auto &k : kids) EXPECT_TRUE(k->WaitOk());
  EXPECT_EQ(lfmpool_close(pool), 0);
}

// A region file whose creator never finished (all zero bytes): the open
// waits for it, then gives up with EAGAIN and leaves the file alone.
TEST_F(NativeShared, UnfinishedRegionIsEagain) {
  lfmpool *pool = nullptr;
  ASSERT_EQ(lfmpool_open(home_.c_str(), 0, LFMPOOL_CREATE, 0600, &pool), 0);
  ASSERT_EQ(lfmpool_close(pool), 0);
  const long long size = FileSize(Region());
  ASSERT_GT(size, 0);
  const std::string other = dir_.File("other");
  ASSERT_EQ(::mkdir(other.c_str(), 0755), 0);
  std::vector<uint8_t> zero(static_cast<size_t>(size), 0);
  ASSERT_TRUE(WriteAll(other + "/" + kRegionFile, zero.data(), zero.size()));
  pool = nullptr;
  EXPECT_EQ(lfmpool_open(other.c_str(), 0, LFMPOOL_CREATE, 0600, &pool),
            EAGAIN);
  EXPECT_EQ(pool, nullptr);
  EXPECT_TRUE(ReadWhole(other + "/" + kRegionFile) == zero);
}

}  // namespace
}  // namespace lfmtest
