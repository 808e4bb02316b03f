// A file's pgcookie across processes (db_mpool(3), memp_fopen and
// memp_register): the pool keeps the cookie's bytes with the file in the
// shared region, as Berkeley DB 2.x keeps them with its MPOOLFILE, so every
// process's pgin and pgout get the bytes the file's first open gave, also
// a process that never opened the file (memp_trickle, memp_sync, a restart
// after kill -9); and a process that has not registered the file's type
// never writes its pages: they wait, dirty and intact, for one that has.
//
// The page functions check the cookie themselves and transform the page by
// XOR with the cookie's bytes, so the bytes on disk show which cookie the
// write used. Fixture: shared_pool_fixture.h.

#include <atomic>

#include "shared_pool_fixture.h"

namespace lfmtest {
namespace {

constexpr int kType = 7;
constexpr uint32_t kSalt = 31;
const std::string kCookieX("cook\0ieX", 8);  // 8 bytes, a NUL inside
const std::string kCookieY("other cookie, Y", 15);

// This process's page functions expect `want` as the cookie; a call with
// other bytes (or none) counts as bad and fails. Reset before each use.
struct CookieHooks {
  std::atomic<int> pgin{0}, pgout{0}, bad{0};
  std::string want;
};
CookieHooks &H() {
  static CookieHooks h;
  return h;
}
void Expect(const std::string &want) {
  H().pgin = 0;
  H().pgout = 0;
  H().bad = 0;
  H().want = want;
}

// The page XOR the cookie's bytes, repeated: its own inverse.
std::vector<uint8_t> XorCookie(std::vector<uint8_t> v, const std::string &c) {
  for (size_t i = 0; i < v.size(); i++)
    v[i] ^= static_cast<uint8_t>(c[i % c.size()]);
  return v;
}

int Transform(void *page, const DBT *c) {
  const std::string &want = H().want;
  if (c == nullptr || c->data == nullptr || c->size != want.size() ||
      memcmp(c->data, want.data(), want.size()) != 0) {
    H().bad++;
    return EINVAL;
  }
  uint8_t *p = static_cast<uint8_t *>(page);
  const uint8_t *k = static_cast<const uint8_t *>(c->data);
  for (size_t i = 0; i < kPage; i++) p[i] ^= k[i % c->size];
  return 0;
}
int CookiePgin(db_pgno_t, void *page, DBT *c) {
  H().pgin++;
  return Transform(page, c);
}
int CookiePgout(db_pgno_t, void *page, DBT *c) {
  H().pgout++;
  return Transform(page, c);
}

DBT Dbt(const std::string &bytes) {
  DBT d;
  memset(&d, 0, sizeof d);
  d.data = const_cast<char *>(bytes.data());
  d.size = static_cast<u_int32_t>(bytes.size());
  return d;
}

// memp_fopen of `path` as type kType with `cookie` (copied first and the
// copy overwritten after: the pool must keep its own).
int FopenCookie(DB_MPOOL *mp, const std::string &path,
                const std::string &cookie, DB_MPOOLFILE **mpf) {
  std::string name = path, bytes = cookie;
  DBT c = Dbt(bytes);
  int rc = memp_fopen(mp, &name[0], kType, DB_CREATE, 0644, kPage, -1, &c,
                      nullptr, mpf);
  bytes.assign(bytes.size(), '#');
  return rc;
}

// Child side: a process without DB_THREAD (no flushers) that registers
// type kType (if `reg`), opens `f` with cookie X and appends 3 dirty pages
// (DB_MPOOL_NEW) holding the salted pattern. Nothing is written.
DB_MPOOL *DirtyThree(const std::string &pool, const std::string &f, bool reg,
                     DB_MPOOLFILE **mpfp = nullptr) {
  DB_MPOOL *mp = COpen(pool.c_str(), DB_CREATE, kSmallPool);
  if (reg) C_OK(memp_register(mp, kType, CookiePgin, CookiePgout));
  Expect(kCookieX);
  DB_MPOOLFILE *mpf = nullptr;
  C_OK(FopenCookie(mp, f, kCookieX, &mpf));
  for (db_pgno_t p = 0; p < 3; p++) CDirty(mpf, p, kSalt, DB_MPOOL_NEW);
  if (mpfp != nullptr) *mpfp = mpf;
  C_CHECK_MSG(H().pgout == 0, "A wrote a page");
  return mp;
}

// The file holds pages 0..2 as pgout with cookie `c` wrote them.
void ExpectWritten(const std::string &f, const std::string &c) {
  EXPECT_EQ(FileSize(f), static_cast<long long>(3 * kPage));
  for (db_pgno_t p = 0; p < 3; p++)
    EXPECT_TRUE(ReadPage(f, p, kPage) ==
                XorCookie(PatternPage(p, kPage, kSalt), c))
        << "page " << p << " on disk";
}

// The case: A (no DB_THREAD) registers type 7, opens F with an
// 8-byte cookie, dirties 3 new pages and closes without syncing. B joins,
// registers type 7 and, without opening F, calls memp_trickle(mp, 100, &n):
// its pgout runs 3 times, each with the 8 bytes A gave, and the pages
// reach F.
TEST_F(SharedPool, CookieReachesPgoutOfProcessThatNeverOpenedTheFile) {
  const std::string f = dir_.File("f.db");
  const std::string pool = pool_;
  Child a;
  ASSERT_TRUE(a.Start([&] {
    C_OK(memp_close(DirtyThree(pool, f, true)));
    Tell("closed");
  }));
  ASSERT_TRUE(a.Expect("closed"));
  ASSERT_TRUE(a.WaitOk());
  ASSERT_EQ(FileSize(f), 0) << "A wrote pages";

  DB_MPOOL *b = Open(0, 0);  // no DB_THREAD: no flushers
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(memp_register(b, kType, CookiePgin, CookiePgout), 0);
  Expect(kCookieX);
  int n = -1;
  EXPECT_EQ(memp_trickle(b, 100, &n), 0);
  EXPECT_EQ(n, 3);
  EXPECT_EQ(H().pgout.load(), 3);
  EXPECT_EQ(H().bad.load(), 0) << "pgout got another cookie than A's";
  ExpectWritten(f, kCookieX);
}

// A is killed (SIGKILL) holding 3 dirty pages of F. B's memp_open recovers
// it, and B's checkpoint writes them through its pgout with A's cookie,
// never having opened F. A dead process holds F open no more: B's own
// memp_fopen then gives F its cookie.
TEST_F(SharedPool, KilledProcessDirtyPagesAreWrittenWithItsCookie) {
  const std::string f = dir_.File("f.db");
  const std::string pool = pool_;
  Child a;
  ASSERT_TRUE(a.Start([&] {
    DirtyThree(pool, f, true);
    Tell("dirty");
    C_HEAR("never sent");
  }));
  ASSERT_TRUE(a.Expect("dirty"));
  a.Kill();
  ASSERT_EQ(FileSize(f), 0) << "A wrote pages";

  DB_MPOOL *b = Open(0, 0);
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(memp_register(b, kType, CookiePgin, CookiePgout), 0);
  Expect(kCookieX);
  LSN all = {0xFFFFFFFFu, 0xFFFFFFFFu};
  EXPECT_EQ(memp_sync(b, &all), 0);
  EXPECT_EQ(H().pgout.load(), 3);
  EXPECT_EQ(H().bad.load(), 0) << "pgout got another cookie than A's";
  ExpectWritten(f, kCookieX);

  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(FopenCookie(b, f, kCookieY, &mpf), 0);
  Expect(kCookieY);
  Dirty(mpf, 0, kSalt + 1);  // cached: no pgin
  EXPECT_EQ(memp_fsync(mpf), 0);
  EXPECT_EQ(H().pgout.load(), 1);
  EXPECT_EQ(H().bad.load(), 0) << "the dead process's cookie was kept";
  EXPECT_TRUE(ReadPage(f, 0, kPage) ==
              XorCookie(PatternPage(0, kPage, kSalt + 1), kCookieY));
  EXPECT_EQ(memp_fclose(mpf), 0);
}

// A opens F as type 7 without registering the type and dirties 3 pages: it
// cannot write them itself (memp_fsync: DB_INCOMPLETE). B, which registered
// nothing either, writes none of them (memp_trickle writes 0, memp_sync is
// incomplete) and F stays empty. C registers type 7: its memp_trickle
// writes all 3, intact, through its pgout with A's cookie.
TEST_F(SharedPool, ProcessWithoutTheRegistrationLeavesPagesDirtyAndIntact) {
  const std::string f = dir_.File("f.db");
  const std::string pool = pool_;
  Child a, b;
  ASSERT_TRUE(a.Start([&] {
    DB_MPOOLFILE *mpf = nullptr;
    DB_MPOOL *mp = DirtyThree(pool, f, false, &mpf);
    C_RC(memp_fsync(mpf), DB_INCOMPLETE);
    C_OK(memp_close(mp));
    Tell("closed");
  }));
  ASSERT_TRUE(b.Start([&] {
    C_HEAR("go");
    DB_MPOOL *mp = COpen(pool.c_str(), 0, 0);
    int n = -1;
    C_OK(memp_trickle(mp, 100, &n));
    C_CHECK_MSG(n == 0, "B wrote " << n << " pages");
    LSN all = {0xFFFFFFFFu, 0xFFFFFFFFu};
    C_RC(memp_sync(mp, &all), DB_INCOMPLETE);
    C_OK(memp_close(mp));
    Tell("done");
  }));
  ASSERT_TRUE(a.Expect("closed"));
  ASSERT_TRUE(a.WaitOk());
  EXPECT_EQ(FileSize(f), 0) << "A wrote pages of a type it never registered";
  b.Send("go");
  ASSERT_TRUE(b.Expect("done"));
  ASSERT_TRUE(b.WaitOk());
  EXPECT_EQ(FileSize(f), 0) << "B wrote pages of a type it never registered";

  DB_MPOOL *c = Open(0, 0);
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(memp_register(c, kType, CookiePgin, CookiePgout), 0);
  Expect(kCookieX);
  int n = -1;
  EXPECT_EQ(memp_trickle(c, 100, &n), 0);
  EXPECT_EQ(n, 3);
  EXPECT_EQ(H().pgout.load(), 3);
  EXPECT_EQ(H().bad.load(), 0);
  ExpectWritten(f, kCookieX);
}

// While A holds F open, B's memp_fopen of F with another cookie changes
// nothing: B's pgin gets A's bytes. Once every handle is closed, the next
// open's cookie is the file's.
TEST_F(SharedPool, FirstOpenCookieHoldsWhileTheFileIsOpenAnywhere) {
  const std::string f = dir_.File("f.db");
  MakeFile(f, 4, kPage, kSalt);
  const std::string pool = pool_;
  Child a;
  ASSERT_TRUE(a.Start([&] {
    DB_MPOOL *mp = COpen(pool.c_str(), DB_CREATE, kSmallPool);
    C_OK(memp_register(mp, kType, CookiePgin, CookiePgout));
    DB_MPOOLFILE *mpf = nullptr;
    C_OK(FopenCookie(mp, f, kCookieX, &mpf));
    Tell("open");
    C_HEAR("close");
    C_OK(memp_fclose(mpf));
    Tell("closed");
    C_HEAR("bye");
    C_OK(memp_close(mp));
  }));
  ASSERT_TRUE(a.Expect("open"));
  DB_MPOOL *b = Open(0, 0);
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(memp_register(b, kType, CookiePgin, CookiePgout), 0);
  DB_MPOOLFILE *mpf = nullptr;
  ASSERT_EQ(FopenCookie(b, f, kCookieY, &mpf), 0);
  Expect(kCookieX);
  ExpectPage(mpf, 0, XorCookie(PatternPage(0, kPage, kSalt), kCookieX),
             "read while A has F open");
  EXPECT_EQ(H().pgin.load(), 1);
  EXPECT_EQ(H().bad.load(), 0) << "B's pgin got B's cookie, not the file's";
  EXPECT_EQ(memp_fclose(mpf), 0);

  a.Send("close");
  ASSERT_TRUE(a.Expect("closed"));
  ASSERT_EQ(FopenCookie(b, f, kCookieY, &mpf), 0);
  Expect(kCookieY);
  ExpectPage(mpf, 1, XorCookie(PatternPage(1, kPage, kSalt), kCookieY),
             "read after every handle was closed");
  EXPECT_EQ(H().pgin.load(), 1);
  EXPECT_EQ(H().bad.load(), 0) << "the closed handle's cookie was kept";
  EXPECT_EQ(memp_fclose(mpf), 0);
  a.Send("bye");
  EXPECT_TRUE(a.WaitOk());
}

}  // namespace
}  // namespace lfmtest
