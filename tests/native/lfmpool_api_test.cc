// The native API's contract, function by function (include/lfmpool.h,
// lfmpool(3)): each argument rule and each error a function documents, and
// that a failed call leaves the pool and its pins as they were. Pages'
// data, pins against eviction and the pool's limits: lfmpool_page_test.cc;
// the inline fast path: lfmpool_inline_test.cc; shared pools:
// lfmpool_shared_test.cc.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "db_mpool.h"  // lfmpool_version is declared in both headers
#include "gtest/gtest.h"
#include "lfmpool.h"
#include "tests/common/test_util.h"
#include "tests/native/native_fixture.h"

namespace lfmtest {
namespace {

// ================================================================ open

TEST(NativeOpen, PrivatePoolOpensAndCloses) {
  lfmpool *pool = nullptr;
  ASSERT_EQ(lfmpool_open(nullptr, 0, LFMPOOL_PRIVATE, 0, &pool), 0);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(lfmpool_close(pool), 0);
  // The smallest size; home is not used by a private pool, even when it
  // does not exist.
  pool = nullptr;
  ASSERT_EQ(
      lfmpool_open("/no/such/directory", 20 * 1024, LFMPOOL_PRIVATE, 0, &pool),
      0);
  EXPECT_EQ(lfmpool_close(pool), 0);
}

TEST(NativeOpen, ArgumentErrorsAreEinval) {
  lfmpool *pool = nullptr;
  EXPECT_EQ(lfmpool_open(nullptr, 0, LFMPOOL_PRIVATE, 0, nullptr), EINVAL);
  for (unsigned bad : {0x20u, 0x40u, 0x80000000u, ~0u}) {
    EXPECT_EQ(lfmpool_open(nullptr, 0, LFMPOOL_PRIVATE | bad, 0, &pool), EINVAL)
        << "flags " << bad;
  }
  EXPECT_EQ(lfmpool_open(nullptr, 20 * 1024 - 1, LFMPOOL_PRIVATE, 0, &pool),
            EINVAL);
  EXPECT_EQ(lfmpool_open(nullptr, 1, LFMPOOL_PRIVATE, 0, &pool), EINVAL);
  // Far past what a pool can address (64 GiB).
  EXPECT_EQ(lfmpool_open(nullptr, size_t{1} << 40, LFMPOOL_PRIVATE, 0, &pool),
            EINVAL);
  EXPECT_EQ(pool, nullptr) << "a failed open stored a handle";
  EXPECT_EQ(lfmpool_close(nullptr), EINVAL);
}

TEST(NativeOpen, SharedPoolWithoutCreateIsEnoent) {
  TempDir dir;
  lfmpool *pool = nullptr;
  EXPECT_EQ(lfmpool_open(dir.path().c_str(), 0, 0, 0, &pool), ENOENT);
  EXPECT_FALSE(Exists(dir.File("__lfm_mpool.region")));
  // A directory that does not exist, with or without CREATE.
  const std::string none = dir.File("none");
  EXPECT_EQ(lfmpool_open(none.c_str(), 0, 0, 0, &pool), ENOENT);
  EXPECT_EQ(lfmpool_open(none.c_str(), 0, LFMPOOL_CREATE, 0600, &pool), ENOENT);
  EXPECT_EQ(pool, nullptr);
}

TEST(NativeOpen, HomeLongerThanPathMaxIsEnametoolong) {
  std::string home(5000, 'd');
  lfmpool *pool = nullptr;
  EXPECT_EQ(lfmpool_open(home.c_str(), 0, LFMPOOL_CREATE, 0600, &pool),
            ENAMETOOLONG);
  EXPECT_EQ(pool, nullptr);
}

TEST(NativeOpen, SharedPoolIsCreatedInHomeWithItsMode) {
  TempDir dir;
  lfmpool *pool = nullptr;
  const mode_t old = umask(022);
  int rc =
      lfmpool_open(dir.path().c_str(), 64 * 1024, LFMPOOL_CREATE, 0660, &pool);
  umask(old);
  ASSERT_EQ(rc, 0);
  struct stat st;
  ASSERT_EQ(stat(dir.File("__lfm_mpool.region").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u) << "mode 0660 less the umask 022";
  // Joined with 0 (its own size) and with its size; another size is not
  // this pool's.
  lfmpool *b = nullptr, *c = nullptr;
  EXPECT_EQ(lfmpool_open(dir.path().c_str(), 0, 0, 0, &b), 0);
  EXPECT_EQ(lfmpool_open(dir.path().c_str(), 64 * 1024, 0, 0, &c), 0);
  lfmpool *d = nullptr;
  EXPECT_EQ(
      lfmpool_open(dir.path().c_str(), 128 * 1024, LFMPOOL_CREATE, 0660, &d),
      EINVAL);
  EXPECT_EQ(d, nullptr);
  if (b != nullptr) {
    EXPECT_EQ(lfmpool_close(b), 0);
  }
  if (c != nullptr) {
    EXPECT_EQ(lfmpool_close(c), 0);
  }
  EXPECT_EQ(lfmpool_close(pool), 0);
}

// A shared pool of 512 MiB (128 Ki frames), with or without
// LFMPOOL_LARGE_TCACHE: its region file's size, or -1. A second process's
// view joins with the other flag: the creator's holds.
static long long RegionBytes(unsigned flags) {
  TempDir dir;
  lfmpool *pool = nullptr, *joined = nullptr;
  if (lfmpool_open(dir.path().c_str(), size_t{512} << 20,
                   LFMPOOL_CREATE | flags, 0600, &pool) != 0)
    return -1;
  long long bytes = FileSize(dir.File("__lfm_mpool.region"));
  EXPECT_EQ(lfmpool_open(dir.path().c_str(), 0, flags ^ LFMPOOL_LARGE_TCACHE, 0,
                         &joined),
            0);
  EXPECT_EQ(FileSize(dir.File("__lfm_mpool.region")), bytes);
  if (joined != nullptr) {
    EXPECT_EQ(lfmpool_close(joined), 0);
  }
  EXPECT_EQ(lfmpool_close(pool), 0);
  return bytes;
}

// By default a thread's cache stops at 64 Ki entries of 16 bytes, so two
// of the 128 Ki frames share each; with LFMPOOL_LARGE_TCACHE every frame
// has its own, in each of the 64 thread caches (the file is sparse).
TEST(NativeOpen, LargeTcacheGivesEveryFrameAnEntry) {
  long long dflt = RegionBytes(0);
  long long large = RegionBytes(LFMPOOL_LARGE_TCACHE);
  ASSERT_GT(dflt, 0);
  EXPECT_EQ(large - dflt, 64LL * 65536 * 16);
}

// A region file of another kind (here: garbage of a plausible size) is
// not a pool of this layout or version.
TEST(NativeOpen, ForeignRegionFileIsEinval) {
  TempDir dir;
  std::vector<uint8_t> junk(1 << 20);
  for (size_t i = 0; i < junk.size(); i++)
    junk[i] = static_cast<uint8_t>(i * 7 + 1);
  ASSERT_TRUE(
      WriteAll(dir.File("__lfm_mpool.region"), junk.data(), junk.size()));
  lfmpool *pool = nullptr;
  EXPECT_EQ(lfmpool_open(dir.path().c_str(), 0, LFMPOOL_CREATE, 0600, &pool),
            EINVAL);
  EXPECT_TRUE(ReadPage(dir.File("__lfm_mpool.region"), 0, junk.size()) == junk)
      << "the foreign file was changed";
}

TEST(NativeOpen, FlushersFlagStartsFlushersThatSetFlushersReplaces) {
  lfmpool *pool = nullptr;
  ASSERT_EQ(lfmpool_open(nullptr, kNativePool,
                         LFMPOOL_PRIVATE | LFMPOOL_FLUSHERS, 0, &pool),
            0);
  EXPECT_EQ(lfmpool_set_flushers(pool, 0, 0), 0);
  EXPECT_EQ(lfmpool_set_flushers(pool, 2, 50), 0);
  EXPECT_EQ(lfmpool_close(pool), 0);
}

// ================================================================ fopen

using NativeFopen = NativeTest;

TEST_F(NativeFopen, ArgumentErrorsAreEinval) {
  lfmpool_file *f = nullptr;
  const std::string p = Path();
  EXPECT_EQ(lfmpool_fopen(nullptr, p.c_str(), kPage, 0, 0, &f), EINVAL);
  EXPECT_EQ(lfmpool_fopen(pool_, nullptr, kPage, 0, 0, &f), EINVAL);
  EXPECT_EQ(lfmpool_fopen(pool_, p.c_str(), kPage, 0, 0, nullptr), EINVAL);
  for (unsigned bad : {0x4u, 0x100u, 0x80000000u})
    EXPECT_EQ(lfmpool_fopen(pool_, p.c_str(), kPage, bad, 0, &f), EINVAL)
        << "flags " << bad;
  // Page sizes: 0, above 1 MiB, above the pool (256 KiB).
  for (size_t ps : {size_t{0}, size_t{2} << 20, kNativePool * 2})
    EXPECT_EQ(lfmpool_fopen(pool_, Path("other.db").c_str(), ps,
                            LFMPOOL_FCREATE, 0644, &f),
              EINVAL)
        << "page size " << ps;
  EXPECT_EQ(f, nullptr);
  EXPECT_EQ(lfmpool_fclose(nullptr), EINVAL);
}

TEST_F(NativeFopen, MissingFileIsEnoentAndCreateMakesIt) {
  lfmpool_file *f = nullptr;
  const std::string p = Path("new.db");
  EXPECT_EQ(lfmpool_fopen(pool_, p.c_str(), kPage, 0, 0644, &f), ENOENT);
  EXPECT_EQ(lfmpool_fopen(pool_, p.c_str(), kPage, LFMPOOL_RDONLY, 0644, &f),
            ENOENT);
  EXPECT_FALSE(Exists(p));
  const mode_t old = umask(077);
  int rc = lfmpool_fopen(pool_, p.c_str(), kPage, LFMPOOL_FCREATE, 0644, &f);
  umask(old);
  ASSERT_EQ(rc, 0);
  struct stat st;
  ASSERT_EQ(stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "mode 0644 less the umask 077";
  EXPECT_EQ(st.st_size, 0);
  // An empty file has no page 0.
  void *page = nullptr;
  EXPECT_EQ(lfmpool_get(f, 0, &page), EINVAL);
  EXPECT_EQ(lfmpool_fclose(f), 0);
}

TEST_F(NativeFopen, SizeNotAMultipleOfThePageIsEinval) {
  std::vector<uint8_t> odd(kPage + 100, 7);
  ASSERT_TRUE(WriteAll(Path("odd.db"), odd.data(), odd.size()));
  lfmpool_file *f = nullptr;
  EXPECT_EQ(lfmpool_fopen(pool_, Path("odd.db").c_str(), kPage, 0, 0, &f),
            EINVAL);
  EXPECT_EQ(f, nullptr);
  EXPECT_EQ(FileSize(Path("odd.db")), static_cast<long long>(odd.size()));
}

// The same file (device and inode) with another page size, open or not:
// a file keeps its place, and its page size, in the pool.
TEST_F(NativeFopen, SameFileWithAnotherPageSizeIsEinval) {
  lfmpool_file *f = nullptr;
  EXPECT_EQ(lfmpool_fopen(pool_, Path().c_str(), 2 * kPage, 0, 0, &f), EINVAL);
  ASSERT_EQ(lfmpool_fclose(file_), 0);
  file_ = nullptr;
  EXPECT_EQ(lfmpool_fopen(pool_, Path().c_str(), 2 * kPage, 0, 0, &f), EINVAL);
  EXPECT_EQ(f, nullptr);
  // Through a hard link: the same file.
  ASSERT_EQ(link(Path().c_str(), Path("link.db").c_str()), 0);
  EXPECT_EQ(lfmpool_fopen(pool_, Path("link.db").c_str(), 2 * kPage, 0, 0, &f),
            EINVAL);
  file_ = OpenNativeFile(pool_, Path("link.db"));
  ASSERT_NE(file_, nullptr);
}

// Names of 255 bytes open; 256 is ENAMETOOLONG and creates nothing.
TEST_F(NativeFopen, NameOf256BytesIsEnametoolong) {
  // Slashes pad the name: the two differ only in length.
  ASSERT_LT(dir_.path().size(), 240u) << "TEST_TMPDIR too long for this test";
  std::string n255 = dir_.path() + "/";
  while (n255.size() < 255 - strlen("n.db")) n255 += '/';
  n255 += "n.db";
  ASSERT_EQ(n255.size(), 255u);
  const std::string n256 = "/" + n255;
  lfmpool_file *f = nullptr;
  EXPECT_EQ(
      lfmpool_fopen(pool_, n256.c_str(), kPage, LFMPOOL_FCREATE, 0644, &f),
      ENAMETOOLONG);
  EXPECT_EQ(f, nullptr);
  EXPECT_FALSE(Exists(dir_.File("n.db")));
  ASSERT_EQ(
      lfmpool_fopen(pool_, n255.c_str(), kPage, LFMPOOL_FCREATE, 0644, &f), 0);
  EXPECT_TRUE(Exists(dir_.File("n.db")));
  EXPECT_EQ(lfmpool_fclose(f), 0);
}

// 256 files in a pool; a file keeps its place after its last handle is
// closed, so the 257th is EMFILE even then. Another handle of a file the
// pool knows still opens.
TEST_F(NativeFopen, The257thFileIsEmfile) {
  std::vector<lfmpool_file *> open;
  // data.db is the first.
  for (int i = 1; i < 256; i++) {
    const std::string p = Path("f" + std::to_string(i) + ".db");
    lfmpool_file *f = nullptr;
    int rc = lfmpool_fopen(pool_, p.c_str(), kPage, LFMPOOL_FCREATE, 0644, &f);
    ASSERT_EQ(rc, 0) << "file " << i << ": " << strerror(rc);
    open.push_back(f);
  }
  lfmpool_file *f = nullptr;
  EXPECT_EQ(lfmpool_fopen(pool_, Path("last.db").c_str(), kPage,
                          LFMPOOL_FCREATE, 0644, &f),
            EMFILE);
  EXPECT_EQ(f, nullptr);
  for (lfmpool_file *o : open) EXPECT_EQ(lfmpool_fclose(o), 0);
  EXPECT_EQ(lfmpool_fopen(pool_, Path("last.db").c_str(), kPage,
                          LFMPOOL_FCREATE, 0644, &f),
            EMFILE);
  ASSERT_EQ(lfmpool_fopen(pool_, Path("f7.db").c_str(), kPage, 0, 0, &f), 0);
  EXPECT_EQ(lfmpool_fclose(f), 0);
}

// ================================================================ get

using NativeGet = NativeTest;

TEST_F(NativeGet, NullArgumentsAreEinval) {
  void *page = nullptr;
  uint32_t pgno = 1;
  EXPECT_EQ(lfmpool_get(nullptr, 1, &page), EINVAL);
  EXPECT_EQ(lfmpool_get(file_, 1, nullptr), EINVAL);
  EXPECT_EQ(lfmpool_get_flags(nullptr, &pgno, 0, &page), EINVAL);
  EXPECT_EQ(lfmpool_get_flags(file_, nullptr, 0, &page), EINVAL);
  EXPECT_EQ(lfmpool_get_flags(file_, &pgno, 0, nullptr), EINVAL);
  // Nothing was pinned: the page, made dirty, syncs completely.
  void *p = NGet(file_, 1);
  ASSERT_NE(p, nullptr);
  ASSERT_EQ(lfmpool_set(file_, p, LFMPOOL_PUT_DIRTY), 0);
  NPut(file_, p);
  EXPECT_EQ(lfmpool_fsync(file_), 0);
}

TEST_F(NativeGet, BadFlagsAreEinval) {
  void *page = nullptr;
  for (unsigned bad :
       {0x8u, 0x100u, 0x80000000u,
        unsigned{LFMPOOL_GET_CREATE | LFMPOOL_GET_LAST},
        unsigned{LFMPOOL_GET_CREATE | LFMPOOL_GET_NEW},
        unsigned{LFMPOOL_GET_LAST | LFMPOOL_GET_NEW},
        unsigned{LFMPOOL_GET_CREATE | LFMPOOL_GET_LAST | LFMPOOL_GET_NEW}}) {
    uint32_t pgno = 3;
    EXPECT_EQ(lfmpool_get_flags(file_, &pgno, bad, &page), EINVAL)
        << "flags " << bad;
    EXPECT_EQ(pgno, 3u);
  }
  // Not one page was added by the failed calls.
  uint32_t last = 0;
  ASSERT_EQ(lfmpool_get_flags(file_, &last, LFMPOOL_GET_LAST, &page), 0);
  EXPECT_EQ(last, kPages - 1);
  NPut(file_, page);
}

TEST_F(NativeGet, PagePastTheEndIsEinval) {
  void *page = nullptr;
  EXPECT_EQ(lfmpool_get(file_, kPages, &page), EINVAL);
  EXPECT_EQ(lfmpool_get(file_, 0xffffffffu, &page), EINVAL);
  uint32_t pgno = kPages + 5;
  EXPECT_EQ(lfmpool_get_flags(file_, &pgno, 0, &page), EINVAL);
  // The last page is there, and its bytes are the file's.
  void *last = NGet(file_, kPages - 1);
  ASSERT_NE(last, nullptr);
  EXPECT_TRUE(Bytes(last, kPage) == PatternPage(kPages - 1, kPage));
  NPut(file_, last);
}

TEST_F(NativeGet, GetAndGetFlagsWithoutFlagsReadTheFile) {
  for (uint32_t p = 0; p < kPages; p++) {
    void *a = NGet(file_, p);
    ASSERT_NE(a, nullptr);
    EXPECT_TRUE(Bytes(a, kPage) == PatternPage(p, kPage)) << "page " << p;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u) << "alignment";
    uint32_t pgno = p;
    void *b = nullptr;
    ASSERT_EQ(lfmpool_get_flags(file_, &pgno, 0, &b), 0);
    EXPECT_EQ(pgno, p);
    EXPECT_EQ(a, b) << "two pins of one page, two addresses";
    NPut(file_, b);
    NPut(file_, a);
  }
}

TEST_F(NativeGet, LastIsTheLastPageAndEinvalOnAnEmptyFile) {
  uint32_t pgno = 12345;
  void *page = nullptr;
  ASSERT_EQ(lfmpool_get_flags(file_, &pgno, LFMPOOL_GET_LAST, &page), 0);
  EXPECT_EQ(pgno, kPages - 1);
  EXPECT_TRUE(Bytes(page, kPage) == PatternPage(kPages - 1, kPage));
  NPut(file_, page);

  lfmpool_file *empty =
      OpenNativeFile(pool_, Path("empty.db"), kPage, LFMPOOL_FCREATE);
  ASSERT_NE(empty, nullptr);
  pgno = 7;
  EXPECT_EQ(lfmpool_get_flags(empty, &pgno, LFMPOOL_GET_LAST, &page), EINVAL);
  EXPECT_EQ(pgno, 7u);
  EXPECT_EQ(lfmpool_fclose(empty), 0);
}

TEST_F(NativeGet, NewAppendsZeroPagesAndSetsTheirNumbers) {
  for (uint32_t want = kPages; want < kPages + 3; want++) {
    uint32_t pgno = 999;
    void *page = nullptr;
    ASSERT_EQ(lfmpool_get_flags(file_, &pgno, LFMPOOL_GET_NEW, &page), 0);
    EXPECT_EQ(pgno, want);
    EXPECT_TRUE(AllZero(page, kPage));
    FillPattern(page, kPage, pgno, 5);
    NPut(file_, page, LFMPOOL_PUT_DIRTY);
  }
  uint32_t last = 0;
  void *page = nullptr;
  ASSERT_EQ(lfmpool_get_flags(file_, &last, LFMPOOL_GET_LAST, &page), 0);
  EXPECT_EQ(last, kPages + 2);
  NPut(file_, page);
  ASSERT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_EQ(FileSize(Path()), static_cast<long long>((kPages + 3) * kPage));
  for (uint32_t p = kPages; p < kPages + 3; p++)
    EXPECT_TRUE(ReadPage(Path(), p, kPage) == PatternPage(p, kPage, 5));
}

// CREATE of a page past the end makes it and every page before it (zero
// bytes); a page that exists is read as it is.
TEST_F(NativeGet, CreateMakesThePageAndThoseBeforeIt) {
  uint32_t pgno = kPages + 4;
  void *page = nullptr;
  ASSERT_EQ(lfmpool_get_flags(file_, &pgno, LFMPOOL_GET_CREATE, &page), 0);
  EXPECT_EQ(pgno, kPages + 4);
  EXPECT_TRUE(AllZero(page, kPage));
  FillPattern(page, kPage, pgno, 6);
  NPut(file_, page, LFMPOOL_PUT_DIRTY);
  for (uint32_t p = kPages; p < kPages + 4; p++) {
    void *gap = NGet(file_, p);
    ASSERT_NE(gap, nullptr);
    EXPECT_TRUE(AllZero(gap, kPage)) << "page " << p;
    NPut(file_, gap);
  }
  pgno = 2;
  ASSERT_EQ(lfmpool_get_flags(file_, &pgno, LFMPOOL_GET_CREATE, &page), 0);
  EXPECT_TRUE(Bytes(page, kPage) == PatternPage(2, kPage));
  NPut(file_, page);
  ASSERT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_TRUE(ReadPage(Path(), kPages + 4, kPage) ==
              PatternPage(kPages + 4, kPage, 6));
}

// Page numbers end at 0xfffffffe: CREATE of 0xffffffff, and NEW after
// 0xfffffffe, are EFBIG and add nothing.
TEST_F(NativeGet, PastTheLargestPageNumberIsEfbig) {
  uint32_t pgno = 0xffffffffu;
  void *page = nullptr;
  EXPECT_EQ(lfmpool_get_flags(file_, &pgno, LFMPOOL_GET_CREATE, &page), EFBIG);
  uint32_t last = 0;
  ASSERT_EQ(lfmpool_get_flags(file_, &last, LFMPOOL_GET_LAST, &page), 0);
  EXPECT_EQ(last, kPages - 1) << "a failed CREATE added pages";
  NPut(file_, page);

  pgno = 0xfffffffeu;
  ASSERT_EQ(lfmpool_get_flags(file_, &pgno, LFMPOOL_GET_CREATE, &page), 0);
  EXPECT_TRUE(AllZero(page, kPage));
  NPut(file_, page);
  pgno = 5;
  EXPECT_EQ(lfmpool_get_flags(file_, &pgno, LFMPOOL_GET_NEW, &page), EFBIG);
  ASSERT_EQ(lfmpool_get_flags(file_, &last, LFMPOOL_GET_LAST, &page), 0);
  EXPECT_EQ(last, 0xfffffffeu);
  NPut(file_, page);
  // Nothing dirty: the file was not extended.
  ASSERT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_EQ(FileSize(Path()), static_cast<long long>(kPages * kPage));
}

// ================================================================ put, set

using NativePut = NativeTest;

TEST_F(NativePut, NullArgumentsAndBadFlagsAreEinvalAndKeepThePin) {
  void *page = NGet(file_, 4);
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(lfmpool_put(nullptr, page), EINVAL);
  EXPECT_EQ(lfmpool_put(file_, nullptr), EINVAL);
  EXPECT_EQ(lfmpool_put_flags(nullptr, page, 0), EINVAL);
  EXPECT_EQ(lfmpool_put_flags(file_, nullptr, 0), EINVAL);
  EXPECT_EQ(lfmpool_set(nullptr, page, LFMPOOL_PUT_DIRTY), EINVAL);
  EXPECT_EQ(lfmpool_set(file_, nullptr, LFMPOOL_PUT_DIRTY), EINVAL);
  for (unsigned bad : {0x8u, 0x100u, 0x80000000u,
                       unsigned{LFMPOOL_PUT_CLEAN | LFMPOOL_PUT_DIRTY},
                       unsigned{LFMPOOL_PUT_CLEAN | LFMPOOL_PUT_DIRTY |
                                LFMPOOL_PUT_DISCARD}}) {
    EXPECT_EQ(lfmpool_put_flags(file_, page, bad), EINVAL) << "flags " << bad;
    EXPECT_EQ(lfmpool_set(file_, page, bad), EINVAL) << "flags " << bad;
  }
  // None of it dirtied the page.
  EXPECT_EQ(lfmpool_fsync(file_), 0);
  // The pin is still there, and only one.
  ASSERT_EQ(lfmpool_set(file_, page, LFMPOOL_PUT_DIRTY), 0);
  EXPECT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE);
  EXPECT_EQ(lfmpool_put(file_, page), 0);
  EXPECT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_EQ(lfmpool_put(file_, page), EINVAL);
}

// A put of a page that is not pinned: never pinned, pinned and put, or
// pinned and put again (a second put of one pin).
TEST_F(NativePut, PageNotPinnedIsEinval) {
  void *page = NGet(file_, 6);
  ASSERT_NE(page, nullptr);
  NPut(file_, page);
  EXPECT_EQ(lfmpool_put(file_, page), EINVAL);
  EXPECT_EQ(lfmpool_put_flags(file_, page, LFMPOOL_PUT_DIRTY), EINVAL);
  EXPECT_EQ(lfmpool_set(file_, page, LFMPOOL_PUT_DIRTY), EINVAL);
  // The failed DIRTY calls marked nothing: no page is dirty.
  EXPECT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_TRUE(ReadPage(Path(), 6, kPage) == PatternPage(6, kPage));
  // Memory that is no page of the pool.
  std::vector<uint8_t> heap(2 * kPage);
  EXPECT_EQ(lfmpool_put(file_, heap.data()), EINVAL);
  uint64_t stack[8] = {0};
  EXPECT_EQ(lfmpool_put(file_, stack), EINVAL);
  EXPECT_EQ(lfmpool_put_flags(file_, heap.data(), 0), EINVAL);
  EXPECT_EQ(lfmpool_set(file_, stack, 0), EINVAL);
}

// Pointers inside, or just before, a pinned page: none is a page start.
TEST_F(NativePut, PointerNotAPageStartIsEinvalAndKeepsThePin) {
  void *page = NGet(file_, 2);
  ASSERT_NE(page, nullptr);
  char *p = static_cast<char *>(page);
  for (char *bad : {p + 1, p + 8, p + 64, p + kPage / 2, p + kPage - 1, p - 8,
                    p - kPage / 2}) {
    EXPECT_EQ(lfmpool_put(file_, bad), EINVAL) << "page + " << (bad - p);
    EXPECT_EQ(lfmpool_put_flags(file_, bad, LFMPOOL_PUT_DIRTY), EINVAL)
        << "page + " << (bad - p);
    EXPECT_EQ(lfmpool_set(file_, bad, LFMPOOL_PUT_DIRTY), EINVAL)
        << "page + " << (bad - p);
  }
  EXPECT_EQ(lfmpool_fsync(file_), 0) << "a failed call dirtied a page";
  ASSERT_EQ(lfmpool_set(file_, page, LFMPOOL_PUT_DIRTY), 0);
  EXPECT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE) << "the pin went";
  EXPECT_EQ(lfmpool_put(file_, page), 0);
  EXPECT_EQ(lfmpool_fsync(file_), 0);
}

// A page of one file put through another file's handle (same page
// number, same page size) is EINVAL and keeps both pins.
TEST_F(NativePut, PageOfAnotherFileIsEinval) {
  MakeFile(Path("b.db"), kPages, kPage, 2);
  lfmpool_file *fb = OpenNativeFile(pool_, Path("b.db"));
  ASSERT_NE(fb, nullptr);
  void *pa = NGet(file_, 3);
  void *pb = NGet(fb, 3);
  ASSERT_NE(pa, nullptr);
  ASSERT_NE(pb, nullptr);
  ASSERT_NE(pa, pb);
  EXPECT_EQ(lfmpool_put(fb, pa), EINVAL);
  EXPECT_EQ(lfmpool_put(file_, pb), EINVAL);
  EXPECT_EQ(lfmpool_put_flags(fb, pa, LFMPOOL_PUT_DIRTY), EINVAL);
  EXPECT_EQ(lfmpool_set(file_, pb, LFMPOOL_PUT_DIRTY), EINVAL);
  EXPECT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_EQ(lfmpool_fsync(fb), 0);
  ASSERT_EQ(lfmpool_set(file_, pa, LFMPOOL_PUT_DIRTY), 0);
  ASSERT_EQ(lfmpool_set(fb, pb, LFMPOOL_PUT_DIRTY), 0);
  EXPECT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE);
  EXPECT_EQ(lfmpool_fsync(fb), LFMPOOL_INCOMPLETE);
  EXPECT_EQ(lfmpool_put(file_, pa), 0);
  EXPECT_EQ(lfmpool_fsync(fb), LFMPOOL_INCOMPLETE) << "b's pin went with a's";
  EXPECT_EQ(lfmpool_put(fb, pb), 0);
  EXPECT_EQ(lfmpool_fsync(fb), 0);
  EXPECT_EQ(lfmpool_fclose(fb), 0);
}

// Another handle of the same file is the same file: its pins are put
// through either.
TEST_F(NativePut, AnotherHandleOfTheSameFilePutsItsPins) {
  lfmpool_file *again = OpenNativeFile(pool_, Path());
  ASSERT_NE(again, nullptr);
  void *page = NGet(file_, 9);
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(NGet(again, 9), page);
  ASSERT_EQ(lfmpool_set(again, page, LFMPOOL_PUT_DIRTY), 0);
  EXPECT_EQ(lfmpool_put(again, page), 0);
  EXPECT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE);
  EXPECT_EQ(lfmpool_put(again, page), 0);
  EXPECT_EQ(lfmpool_fsync(again), 0);
  EXPECT_EQ(lfmpool_put(file_, page), EINVAL);
  EXPECT_EQ(lfmpool_fclose(again), 0);
}

// ================================================================ rdonly

TEST_F(NativePut, ReadOnlyFileRefusesDirtyAndNew) {
  lfmpool_file *ro = nullptr;
  MakeFile(Path("ro.db"), 4, kPage, 3);
  ASSERT_EQ(lfmpool_fopen(pool_, Path("ro.db").c_str(), kPage, LFMPOOL_RDONLY,
                          0, &ro),
            0);
  void *page = NGet(ro, 1);
  ASSERT_NE(page, nullptr);
  EXPECT_TRUE(Bytes(page, kPage) == PatternPage(1, kPage, 3));
  EXPECT_EQ(lfmpool_put_flags(ro, page, LFMPOOL_PUT_DIRTY), EACCES);
  EXPECT_EQ(
      lfmpool_put_flags(ro, page, LFMPOOL_PUT_DIRTY | LFMPOOL_PUT_DISCARD),
      EACCES);
  EXPECT_EQ(lfmpool_set(ro, page, LFMPOOL_PUT_DIRTY), EACCES);
  // The pin survived the EACCES: one put succeeds, a second does not.
  EXPECT_EQ(lfmpool_put_flags(ro, page, LFMPOOL_PUT_CLEAN), 0);
  EXPECT_EQ(lfmpool_put(ro, page), EINVAL);
  uint32_t pgno = 0;
  EXPECT_EQ(lfmpool_get_flags(ro, &pgno, LFMPOOL_GET_NEW, &page), EINVAL);
  // CREATE past the end makes the page in the pool only.
  pgno = 6;
  ASSERT_EQ(lfmpool_get_flags(ro, &pgno, LFMPOOL_GET_CREATE, &page), 0);
  EXPECT_TRUE(AllZero(page, kPage));
  EXPECT_EQ(lfmpool_put_flags(ro, page, LFMPOOL_PUT_DIRTY), EACCES);
  EXPECT_EQ(lfmpool_put(ro, page), 0);
  EXPECT_EQ(lfmpool_fsync(ro), 0);
  EXPECT_EQ(FileSize(Path("ro.db")), static_cast<long long>(4 * kPage));
  EXPECT_EQ(lfmpool_fclose(ro), 0);
}

// ================================================================ fsync

TEST_F(NativePut, FsyncOfNullIsEinval) {
  EXPECT_EQ(lfmpool_fsync(nullptr), EINVAL);
}

// A pinned dirty page is left unwritten (LFMPOOL_INCOMPLETE) while the
// others are written; once it is put, the next sync writes it.
TEST_F(NativePut, FsyncWithAPinnedDirtyPageIsIncomplete) {
  void *held = NGet(file_, 1);
  void *other = NGet(file_, 2);
  ASSERT_NE(held, nullptr);
  ASSERT_NE(other, nullptr);
  FillPattern(held, kPage, 1, 8);
  FillPattern(other, kPage, 2, 8);
  ASSERT_EQ(lfmpool_set(file_, held, LFMPOOL_PUT_DIRTY), 0);
  NPut(file_, other, LFMPOOL_PUT_DIRTY);
  EXPECT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE);
  EXPECT_TRUE(ReadPage(Path(), 2, kPage) == PatternPage(2, kPage, 8))
      << "the unpinned dirty page was not written";
  EXPECT_TRUE(ReadPage(Path(), 1, kPage) == PatternPage(1, kPage))
      << "the pinned page was written";
  EXPECT_EQ(lfmpool_fsync(file_), LFMPOOL_INCOMPLETE);
  NPut(file_, held);
  EXPECT_EQ(lfmpool_fsync(file_), 0);
  EXPECT_TRUE(ReadPage(Path(), 1, kPage) == PatternPage(1, kPage, 8));
}

// ================================================================ flushers

TEST(NativeFlushers, ArgumentErrorsAreEinval) {
  lfmpool *pool = OpenPrivatePool(kNativePool);
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(lfmpool_set_flushers(nullptr, 1, 0), EINVAL);
  EXPECT_EQ(lfmpool_set_flushers(pool, -1, 0), EINVAL);
  EXPECT_EQ(lfmpool_set_flushers(pool, 65, 0), EINVAL);
  EXPECT_EQ(lfmpool_set_flushers(pool, 1, -1), EINVAL);
  EXPECT_EQ(lfmpool_set_flushers(pool, 1, 100), EINVAL);
  EXPECT_EQ(lfmpool_set_flushers(pool, 64, 99), 0);
  EXPECT_EQ(lfmpool_set_flushers(pool, 0, 0), 0);
  EXPECT_EQ(lfmpool_close(pool), 0);
}

// Flushers write dirty pages that nobody syncs: every frame of the pool
// dirty, a flusher keeping 50% clean writes some of them to the file by
// itself (waited for with a deadline, never a sleep).
TEST(NativeFlushers, FlushersWriteDirtyPagesWithoutASync) {
  TempDir dir;
  const std::string path = dir.File("f.db");
  MakeFile(path, kNativeFrames, kPage);
  lfmpool *pool = OpenPrivatePool(kNativePool);
  ASSERT_NE(pool, nullptr);
  lfmpool_file *f = OpenNativeFile(pool, path);
  ASSERT_NE(f, nullptr);
  for (uint32_t p = 0; p < kNativeFrames; p++) {
    void *page = NGet(f, p);
    ASSERT_NE(page, nullptr);
    FillPattern(page, kPage, p, 4);
    NPut(f, page, LFMPOOL_PUT_DIRTY);
  }
  auto written = [&] {
    uint32_t n = 0;
    for (uint32_t p = 0; p < kNativeFrames; p++)
      n += ReadPage(path, p, kPage) == PatternPage(p, kPage, 4);
    return n;
  };
  ASSERT_EQ(written(), 0u) << "pages were written with no flusher running";
  ASSERT_EQ(lfmpool_set_flushers(pool, 1, 50), 0);
  const int64_t end = MonotonicMs() + 20000;
  uint32_t n = 0;
  while ((n = written()) == 0 && MonotonicMs() < end) NapOneMs();
  printf("[   info   ] the flusher wrote %u of %u dirty pages\n", n,
         kNativeFrames);
  EXPECT_GT(n, 0u) << "no page written within 20 s";
  EXPECT_EQ(lfmpool_set_flushers(pool, 0, 0), 0);
  EXPECT_EQ(lfmpool_fsync(f), 0);
  EXPECT_EQ(written(), kNativeFrames);
  EXPECT_EQ(lfmpool_fclose(f), 0);
  EXPECT_EQ(lfmpool_close(pool), 0);
}

// ================================================================ version

// "lfmpool X.Y.Z", the version macros of db_mpool.h, the same string
// through both headers' declarations.
TEST(NativeVersion, IsTheLibrarysVersion) {
  char want[64];
  snprintf(want, sizeof want, "lfmpool %d.%d.%d", LFMPOOL_VERSION_MAJOR,
           LFMPOOL_VERSION_MINOR, LFMPOOL_VERSION_PATCH);
  ASSERT_NE(lfmpool_version(), nullptr);
  EXPECT_STREQ(lfmpool_version(), want);
  EXPECT_EQ(lfmpool_version(), lfmpool_version()) << "not a static string";
}

}  // namespace
}  // namespace lfmtest
